//! Exact depth-2 policy tree at the policytree vignette's size: n = 10,000,
//! p = 30, 20 arms (the vignette reports about 3 hours for this search).
//! Sequential (one rayon thread) and parallel side by side; 64 and 256 bins.
//!
//! Run: `cargo bench -p tp-policy --bench policy`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;
use tp_core::faer::Mat;
use tp_policy::{PolicyTreeParams, Search};

fn problem(n: usize, p: usize, k: usize) -> (Mat<f64>, Mat<f64>) {
    let mut rng = tp_core::rng::stream(42, 0);
    let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>());
    let mut rng = tp_core::rng::stream(42, 1);
    let r = Mat::from_fn(n, k, |i, a| {
        let signal = if a > 0 { (x[(i, a % p)] - 0.5) * (1.0 + a as f64 / k as f64) } else { 0.0 };
        signal + 2.0 * (rng.random::<f64>() - 0.5)
    });
    (x, r)
}

fn bench_tree(c: &mut Criterion) {
    let (x, r) = problem(10_000, 30, 20);
    let mut g = c.benchmark_group("policy_tree_depth2_n10000_p30_k20");
    g.sample_size(10);
    for bins in [64, 256] {
        let params = PolicyTreeParams::new(2).max_bins(bins).search(Search::Exact);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            g.bench_function(format!("bins{bins}_threads{threads}"), |b| {
                b.iter(|| pool.install(|| params.fit(black_box(x.as_ref()), black_box(r.as_ref())).unwrap()))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_tree);
criterion_main!(benches);
