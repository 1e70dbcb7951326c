//! `forest_run::fit_forest`: the causal forest as `tp uplift` and Python run it.

use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_uplift::forest_run::{MIN_ROWS_PER_ARM, fit_forest, sparse_arm};
use tp_uplift::{CausalForest, Intervals, Tuning, UpliftError};

/// `n` rows, `k` arms assigned in turn (arm `rare` gets only `rare_rows` rows), τₖ = k·(1 + x₀).
fn world(n: usize, k: usize, rare: Option<(usize, usize)>) -> CausalData {
    let x = Mat::from_fn(n, 3, |i, j| (((i * 7919 + j * 104_729) % 1000) as f64) / 500.0 - 1.0);
    let mut arms: Vec<usize> = (0..n).map(|i| i % k).collect();
    if let Some((arm, keep)) = rare {
        let mut seen = 0;
        for a in arms.iter_mut().filter(|a| **a == arm) {
            seen += 1;
            if seen > keep {
                *a = 0;
            }
        }
    }
    let y: Vec<f64> = (0..n).map(|i| x[(i, 1)] + arms[i] as f64 * (1.0 + x[(i, 0)])).collect();
    let labels = (0..k).map(|a| format!("arm{a}")).collect();
    CausalData::builder(x, vec!["a".into(), "b".into(), "c".into()], arms, y)
        .arm_labels(labels)
        .build()
        .unwrap()
}

#[test]
fn rows_without_an_out_of_bag_tree_come_from_the_whole_forest() {
    // 2 trees in one little-bags group: every row of its half-sample has no out-of-bag tree
    let data = world(300, 2, None);
    let params = CausalForest::params().n_trees(2).tune(Tuning::Never).seed(5);
    let fit = fit_forest(&params, &data, 0.9).unwrap();
    let (oob, _) = fit.model.oob_predict();
    let missing: Vec<usize> = (0..data.n()).filter(|&i| !oob[i].is_finite()).collect();
    assert!(!missing.is_empty(), "2 trees must leave rows without an out-of-bag tree");
    assert_eq!(fit.filled_rows, missing);
    let rows = Mat::from_fn(missing.len(), 3, |r, j| data.covariates()[(missing[r], j)]);
    let whole = fit.model.predict_arms(rows.as_ref()).unwrap();
    for (r, &i) in missing.iter().enumerate() {
        assert_eq!(fit.oob[0].tau[i].to_bits(), whole.tau[(r, 0)].to_bits());
        assert_eq!(fit.oob[0].tau_se[i].to_bits(), whole.se[(r, 0)].to_bits());
    }
    // rows that had an out-of-bag estimate keep it, bit for bit
    for i in (0..data.n()).filter(|i| !missing.contains(i)) {
        assert_eq!(fit.oob[0].tau[i].to_bits(), oob[i].to_bits());
    }
    assert!(fit.oob[0].tau.iter().all(|t| t.is_finite()));
}

#[test]
fn arm_models_reproduce_the_effects_and_intervals_match_the_level() {
    let data = world(600, 3, None);
    let params =
        CausalForest::params().n_trees(40).tune(Tuning::Never).intervals(Intervals::Variance).seed(1);
    let fit = fit_forest(&params, &data, 0.8).unwrap();
    assert_eq!(fit.oob.len(), 2);
    let z = tp_core::stats::normal_quantile(0.9);
    for (k, p) in fit.oob.iter().enumerate() {
        for i in 0..data.n() {
            // μ̂ₖ − μ̂₀ = τ̂ₖ (up to rounding), the interval is τ̂ ± z·se
            let diff = fit.mu[(i, k + 1)] - fit.mu[(i, 0)];
            assert!((diff - p.tau[i]).abs() < 1e-9, "row {i} arm {}: {diff} vs {}", k + 1, p.tau[i]);
            assert!((p.tau_hi[i] - p.tau[i] - z * p.tau_se[i]).abs() < 1e-12);
            assert!((p.tau[i] - p.tau_lo[i] - z * p.tau_se[i]).abs() < 1e-12);
        }
    }
    for i in 0..data.n() {
        for a in 0..3 {
            assert!((0.01..=0.99).contains(&fit.e[(i, a)]));
        }
    }
    // the effect grows with the arm: τ₂ ≈ 2·τ₁ on average (truth: 2 vs 1 at mean x₀ ≈ 0)
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (t1, t2) = (mean(&fit.oob[0].tau), mean(&fit.oob[1].tau));
    assert!((t1 - 1.0).abs() < 0.3 && (t2 - 2.0).abs() < 0.5, "{t1} {t2}");
    // the same call twice gives the same bits
    let again = fit_forest(&params, &data, 0.8).unwrap();
    assert_eq!(again.oob[1].tau, fit.oob[1].tau);
}

#[test]
fn a_sparse_arm_and_a_bad_level_are_refused() {
    let data = world(400, 3, Some((2, MIN_ROWS_PER_ARM - 1)));
    assert_eq!(sparse_arm(&data), Some((2, MIN_ROWS_PER_ARM - 1)));
    let params = CausalForest::params().n_trees(10).tune(Tuning::Never);
    match fit_forest(&params, &data, 0.9) {
        Err(e @ UpliftError::NotEnoughSamples { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("arm 'arm2'") && msg.contains("19"), "{msg}");
        }
        other => panic!("expected NotEnoughSamples, got {other:?}"),
    }
    let ok = world(400, 3, Some((2, MIN_ROWS_PER_ARM)));
    assert_eq!(sparse_arm(&ok), None);
    for level in [0.0, 1.0, f64::NAN] {
        assert!(matches!(fit_forest(&params, &ok, level), Err(UpliftError::InvalidParameter { .. })));
    }
}
