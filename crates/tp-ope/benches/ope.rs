//! Criterion benchmarks of tp-ope: DR with 1,000 percentile-bootstrap
//! replicates on 1M logged rows × 5 arms, sequential (1-thread pool) and
//! parallel (all cores) side by side. Inputs are built outside the timed loop.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::Rng;
use std::hint::black_box;
use tp_core::faer::Mat;
use tp_core::rng::stream;
use tp_ope::{Estimator, LoggingPropensity, OpeInput, OpeParams, TargetPolicy, evaluate};

/// A logged bandit of `n` rows over `k` arms: uniform-ish logging
/// probabilities, a target that favours one arm per row, 0/1 rewards.
fn log(n: usize, k: usize, seed: u64) -> OpeInput<'static> {
    let mut rng = stream(seed, 0);
    let mut actions = Vec::with_capacity(n);
    let mut pscore = Vec::with_capacity(n);
    let mut rewards = Vec::with_capacity(n);
    let target = Mat::from_fn(n, k, |i, a| if a == i % k { 0.6 } else { 0.4 / (k - 1) as f64 });
    let q = Mat::from_fn(n, k, |i, a| 0.05 + 0.02 * a as f64 + 0.001 * (i % 10) as f64);
    for _ in 0..n {
        let a = rng.random_range(0..k);
        actions.push(a);
        pscore.push(1.0 / k as f64);
        rewards.push(if rng.random::<f64>() < 0.05 + 0.02 * a as f64 { 1.0 } else { 0.0 });
    }
    OpeInput::new(rewards, actions, LoggingPropensity::logged(pscore), TargetPolicy::probs(target))
        .with_q_hat(q)
}

fn dr_bootstrap(c: &mut Criterion) {
    let input = log(1_000_000, 5, 1);
    let params = OpeParams::default()
        .estimators(&[Estimator::Dr])
        .bootstrap(1000)
        .seed(7)
        .high_confidence_bound(false);
    let mut g = c.benchmark_group("dr_bootstrap_1000_on_1m_x5");
    g.sample_size(10);
    let seq = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    g.bench_function("sequential", |b| {
        b.iter(|| seq.install(|| black_box(evaluate(&input, &params).unwrap())))
    });
    g.bench_function("parallel", |b| b.iter(|| black_box(evaluate(&input, &params).unwrap())));
    let point = OpeParams::default().high_confidence_bound(false);
    g.bench_function("all_seven_point_and_normal_ci", |b| {
        b.iter(|| black_box(evaluate(&input, &point).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, dr_bootstrap);
criterion_main!(benches);
