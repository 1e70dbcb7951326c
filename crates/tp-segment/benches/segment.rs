//! Criterion benchmarks of tp-segment: NMF 20,000 × 300 at rank 6 (cd and mu),
//! K-Means 1,000,000 × 16 with k = 8 from fixed centers (Lloyd and Hamerly,
//! parallel and sequential), on the same deterministic inputs as
//! `examples/segment_bench` and `xtask/peers/segment_peer.py`.

#[path = "../examples/segment_bench/bench_data.rs"]
mod bench_data;

use criterion::{Criterion, criterion_group, criterion_main};
use faer::Mat;
use std::hint::black_box;
use tp_segment::{Algorithm, KMeans, Nmf, Solver};

fn nmf(c: &mut Criterion) {
    let x = bench_data::nmf_counts(20_000, 300, 6);
    let mut g = c.benchmark_group("nmf_20000x300_k6");
    g.sample_size(10);
    for (name, solver) in [("cd", Solver::Cd), ("mu", Solver::Mu)] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(Nmf::params(6).solver(solver).fit(x.as_ref()).unwrap()))
        });
    }
    g.finish();
}

fn kmeans(c: &mut Criterion) {
    let x = bench_data::kmeans_blobs(1_000_000, 16, 8);
    let init = Mat::from_fn(8, 16, |j, t| x[(j, t)]);
    let mut g = c.benchmark_group("kmeans_1000000x16_k8");
    g.sample_size(10);
    for (name, algo, parallel) in [
        ("lloyd_par", Algorithm::Lloyd, true),
        ("hamerly_par", Algorithm::Hamerly, true),
        ("hamerly_seq", Algorithm::Hamerly, false),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    KMeans::params(8)
                        .algorithm(algo)
                        .parallel(parallel)
                        .fit_from_centers(x.as_ref(), init.as_ref(), None)
                        .unwrap(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, nmf, kmeans);
criterion_main!(benches);
