//! Times one exact depth-2 policy tree at the policytree vignette's size
//! (n = 10,000, p = 30, 20 arms). `cargo run --release -p tp-policy --example
//! policy_tree_timing -- [bins] [threads]`; the criterion bench is the reference.

use rand::Rng;
use std::time::Instant;
use tp_core::faer::Mat;
use tp_policy::{PolicyTreeParams, Search};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let bins = args.first().copied().unwrap_or(64);
    let threads = args.get(1).copied().unwrap_or(2);
    let (n, p, k) = (10_000, 30, 20);
    let mut rng = tp_core::rng::stream(42, 0);
    let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>());
    let mut rng = tp_core::rng::stream(42, 1);
    let r = Mat::from_fn(n, k, |i, a| {
        let signal = if a > 0 { (x[(i, a % p)] - 0.5) * (1.0 + a as f64 / k as f64) } else { 0.0 };
        signal + 2.0 * (rng.random::<f64>() - 0.5)
    });
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let params = PolicyTreeParams::new(2).max_bins(bins).search(Search::Exact);
    let start = Instant::now();
    let tree = pool.install(|| params.fit(x.as_ref(), r.as_ref())).expect("fit");
    let secs = start.elapsed().as_secs_f64();
    println!("n={n} p={p} arms={k} bins={bins} threads={threads}: {secs:.3} s");
    println!(
        "value {:.3}, work estimate {:.3e}",
        tree.diagnostics().value,
        tree.diagnostics().estimated_work
    );
    print!("{tree}");
}
