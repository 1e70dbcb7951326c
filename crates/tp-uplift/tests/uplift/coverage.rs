//! Bias-aware intervals of the causal forest (module `forest::calibrate`):
//! the same estimates, never narrower, wider where the forest shrinks, and
//! their coverage of the simulated truth over several seeds.

use super::sim::{World, slow, world};
use tp_core::faer::Mat;
use tp_core::stats::normal_quantile;
use tp_uplift::{CausalForest, CausalForestModel, Intervals};

/// τ(x) = 1 + x₁ under confounded assignment (logit 0.8·(x₁ − x₂)): a
/// strong linear effect the forest shrinks toward its mean.
fn linear_world(n: usize, seed: u64) -> World {
    world(n, 5, 2, 0.8, 1.0, seed, |_, x| 1.0 + x[0])
}

/// Held-out coverage of the 90% intervals of `model` (its interval kind) and their mean width.
fn cover(model: &CausalForestModel, test: &World) -> (f64, f64) {
    let p = model.predict_interval(test.data.covariates(), 0.9).unwrap();
    let n = p.tau.len();
    let hit = (0..n).filter(|&i| p.tau_lo[i] <= test.tau[(i, 0)] && test.tau[(i, 0)] <= p.tau_hi[i]).count();
    let width = (0..n).map(|i| p.tau_hi[i] - p.tau_lo[i]).sum::<f64>() / n as f64;
    (hit as f64 / n as f64, width)
}

#[test]
fn bias_aware_intervals_keep_the_estimates_and_never_narrow() {
    let train = linear_world(1500, 5);
    let test = linear_world(500, 6);
    let model = CausalForest::params().n_trees(200).seed(5).fit(&train.data).unwrap();
    assert_eq!(model.interval_kind(), Intervals::BiasAware);
    let x = test.data.covariates();
    let aware = model.predict_interval(x, 0.9).unwrap();
    let plain = model.clone().with_intervals(Intervals::Variance).predict_interval(x, 0.9).unwrap();
    assert_eq!(aware.tau, plain.tau);
    assert_eq!(aware.tau_se, plain.tau_se);
    let z = normal_quantile(0.95);
    for i in 0..aware.tau.len() {
        assert!((plain.tau_hi[i] - plain.tau[i] - z * plain.tau_se[i]).abs() < 1e-9);
        assert!(aware.tau_hi[i] - aware.tau_lo[i] >= plain.tau_hi[i] - plain.tau_lo[i] - 1e-12, "row {i}");
        // symmetric around τ̂
        assert!(((aware.tau_hi[i] - aware.tau[i]) - (aware.tau[i] - aware.tau_lo[i])).abs() < 1e-9);
    }
    // the out-of-bag intervals follow the same rule, and a saved model keeps it
    let oob = model.oob_interval(0.9);
    assert!(oob.tau.iter().zip(&oob.tau_lo).all(|(t, l)| !t.is_finite() || l <= t));
    let back: CausalForestModel = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
    assert_eq!(back.predict_interval(x, 0.9).unwrap(), aware);
    assert_eq!(back.calibration(), model.calibration());
    // a model saved before calibration existed loads with variance-only intervals
    let mut v: serde_json::Value = serde_json::to_value(&model).unwrap();
    let obj = v.as_object_mut().unwrap();
    obj.remove("calibration");
    obj.remove("intervals");
    let old: CausalForestModel = serde_json::from_value(v).unwrap();
    assert!(old.calibration().is_empty());
    assert_eq!(old.predict_interval(x, 0.9).unwrap(), plain);
}
