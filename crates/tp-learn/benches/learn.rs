//! Criterion benchmarks of tp-learn's learners on a simulated 100k × 20
//! regression (fixed seed), each at one and two threads.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;
use tp_core::faer::Mat;
use tp_learn::{GradientBoosting, LinearRegression, LogisticRegression, RandomForestRegressor};

fn data(n: usize, p: usize) -> (Mat<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = tp_core::rng::stream(2026, 0);
    let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>());
    let y: Vec<f64> = (0..n)
        .map(|i| {
            10.0 * (std::f64::consts::PI * x[(i, 0)] * x[(i, 1)]).sin()
                + 20.0 * (x[(i, 2)] - 0.5).powi(2)
                + 10.0 * x[(i, 3)]
                + 5.0 * x[(i, 4)]
                + rng.random::<f64>()
        })
        .collect();
    let yb = y.iter().map(|&v| f64::from(u8::from(v > 14.0))).collect();
    (x, y, yb)
}

fn bench(c: &mut Criterion) {
    let (x, y, yb) = data(100_000, 20);
    let mut g = c.benchmark_group("learn_100k_x20");
    g.sample_size(10);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        g.bench_function(format!("ols/{threads}t"), |b| {
            b.iter(|| {
                pool.install(|| black_box(LinearRegression::params().fit(x.as_ref(), &y, None).unwrap()))
            })
        });
        g.bench_function(format!("logistic/{threads}t"), |b| {
            b.iter(|| {
                pool.install(|| black_box(LogisticRegression::params().fit(x.as_ref(), &yb, None).unwrap()))
            })
        });
        g.bench_function(format!("gbdt_50_rounds_depth6/{threads}t"), |b| {
            let gb = GradientBoosting::regressor().n_rounds(50);
            b.iter(|| pool.install(|| black_box(gb.fit(x.as_ref(), &y, None).unwrap())))
        });
        g.bench_function(format!("forest_20_trees/{threads}t"), |b| {
            let rf = RandomForestRegressor::params().n_trees(20);
            b.iter(|| pool.install(|| black_box(rf.fit(x.as_ref(), &y, None).unwrap())))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
