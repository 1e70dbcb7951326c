//! Simulated campaigns with known effects.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use tp_core::faer::Mat;
use tp_core::{CausalData, rng::stream};

/// A simulated data set and its true effects (`n × (K−1)`).
pub struct World {
    pub data: CausalData,
    pub tau: Mat<f64>,
}

/// `p` standard-normal covariates; arms drawn with softmax propensities
/// `confounding · (x₁ − x₂)` per treated arm (0 = a randomized trial, known
/// propensities then recorded); `y = 1 + x₁ + 0.5·x₂ + τ_W(x) + N(0, noise²)`.
pub fn world(
    n: usize,
    p: usize,
    k: usize,
    confounding: f64,
    noise: f64,
    seed: u64,
    tau: impl Fn(usize, &[f64]) -> f64,
) -> World {
    let mut rng = stream(seed, 0);
    let mut x = Mat::<f64>::zeros(n, p);
    for i in 0..n {
        for j in 0..p {
            x[(i, j)] = StandardNormal.sample(&mut rng);
        }
    }
    let mut arms = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    let mut e = Mat::<f64>::zeros(n, k);
    let mut t = Mat::<f64>::zeros(n, k - 1);
    for i in 0..n {
        let row: Vec<f64> = (0..p).map(|j| x[(i, j)]).collect();
        let logits: Vec<f64> =
            (0..k).map(|a| if a == 0 { 0.0 } else { confounding * (row[0] - row[1]) }).collect();
        let z: f64 = logits.iter().map(|l| l.exp()).sum();
        for a in 0..k {
            e[(i, a)] = logits[a].exp() / z;
        }
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut w = k - 1;
        for a in 0..k {
            acc += e[(i, a)];
            if u < acc {
                w = a;
                break;
            }
        }
        for a in 1..k {
            t[(i, a - 1)] = tau(a, &row);
        }
        let eps: f64 = StandardNormal.sample(&mut rng);
        let effect = if w == 0 { 0.0 } else { t[(i, w - 1)] };
        y.push(1.0 + row[0] + 0.5 * row[1] + effect + noise * eps);
        arms.push(w);
    }
    let names = (0..p).map(|j| format!("x{}", j + 1)).collect();
    let labels = (0..k).map(|a| if a == 0 { "control".to_string() } else { format!("arm{a}") }).collect();
    let mut b = CausalData::builder(x, names, arms, y).arm_labels(labels);
    if confounding == 0.0 {
        b = b.propensity(e);
    }
    World { data: b.build().expect("valid simulated data"), tau: t }
}

/// Root mean squared error of `tau_hat` against the truth (PEHE), per arm.
pub fn pehe(tau_hat: &Mat<f64>, truth: &Mat<f64>, arm: usize) -> f64 {
    let n = truth.nrows();
    ((0..n).map(|i| (tau_hat[(i, arm)] - truth[(i, arm)]).powi(2)).sum::<f64>() / n as f64).sqrt()
}

/// Whether slow tests are enabled (`TP_SLOW_TESTS=1`).
pub fn slow() -> bool {
    std::env::var("TP_SLOW_TESTS").is_ok_and(|v| v == "1")
}
