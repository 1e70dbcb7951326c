//! The GRF causal forest: recovery of a known τ(x), interval coverage, the
//! doubly robust ATE, determinism across thread counts, input errors.

use super::sim::{World, slow, world};
use tp_core::faer::Mat;
use tp_uplift::{CausalForest, CausalForestModel, SplitRule, Tuning, UpliftError};

/// τ(x) = 1 + x₁ under confounded assignment (logit 0.8·(x₁ − x₂)), 5 covariates, unit noise.
fn linear_world(n: usize, seed: u64) -> World {
    world(n, 5, 2, 0.8, 1.0, seed, |_, x| 1.0 + x[0])
}

fn rmse(a: &[f64], truth: &Mat<f64>) -> f64 {
    let n = a.len();
    ((0..n).map(|i| (a[i] - truth[(i, 0)]).powi(2)).sum::<f64>() / n as f64).sqrt()
}

#[test]
fn recovers_a_linear_effect_better_than_a_constant() {
    let train = linear_world(2000, 1);
    let test = linear_world(1000, 2);
    let model = CausalForest::params().n_trees(500).seed(1).fit(&train.data).unwrap();
    let (tau, se) = model.predict(test.data.covariates()).unwrap();
    assert!(se.iter().all(|s| s.is_finite() && *s > 0.0));
    let pehe = rmse(&tau, &test.tau);
    // the best constant (the true mean effect) has PEHE = sd(x₁) ≈ 1; a
    // forest that explains at least 3/4 of the effect variance has PEHE ≤ 0.5
    let mean_tau = (0..1000).map(|i| test.tau[(i, 0)]).sum::<f64>() / 1000.0;
    let constant = rmse(&vec![mean_tau; 1000], &test.tau);
    eprintln!("causal forest n=2000, 500 trees: PEHE {pehe:.3} (constant {constant:.3})");
    assert!(pehe < 0.5 && pehe < constant, "PEHE {pehe:.3} vs constant {constant:.3}");
    let (oob, _) = model.oob_predict();
    let oob_pehe = rmse(oob, &train.tau);
    assert!(oob_pehe < 0.5, "OOB PEHE {oob_pehe:.3}");
    // x₁ drives the effect: it must carry the most splits
    let imp = model.variable_importance();
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(imp[1..].iter().all(|&v| v < imp[0]), "importance {imp:?}");
}

#[test]
fn doubly_robust_ate_within_four_se() {
    for seed in [3, 4] {
        let w = linear_world(2000, seed);
        let model = CausalForest::params().n_trees(200).seed(seed).fit(&w.data).unwrap();
        let (ate, se) = model.ate();
        let truth = (0..2000).map(|i| w.tau[(i, 0)]).sum::<f64>() / 2000.0;
        assert!(se > 0.0 && (ate - truth).abs() < 4.0 * se, "seed {seed}: ATE {ate} ± {se}, truth {truth}");
    }
}

/// Share of test points whose 90% interval covers τ(x), with the default forest.
pub fn coverage(n: usize, n_trees: usize, n_test: usize, seed: u64) -> f64 {
    // the variance-only intervals (the bias-aware default is tested in `coverage.rs`)
    coverage_with(CausalForest::params().intervals(tp_uplift::Intervals::Variance), n, n_trees, n_test, seed)
}

/// [`coverage`] for the forest `params` (tree count and seed set here).
pub fn coverage_with(params: CausalForest, n: usize, n_trees: usize, n_test: usize, seed: u64) -> f64 {
    // a smooth, bounded effect (grf's coverage designs use such surfaces)
    let tau = |_: usize, x: &[f64]| 1.0 + 1.0 / (1.0 + (-2.0 * x[0]).exp());
    let train = world(n, 5, 2, 0.5, 1.0, seed, tau);
    let test = world(n_test, 5, 2, 0.5, 1.0, seed + 1000, tau);
    let model = params.n_trees(n_trees).seed(seed).fit(&train.data).unwrap();
    if let Some(t) = model.tuning() {
        eprintln!("coverage world n={n}: tuned {:?}", t.best());
    }
    let pred = model.predict_interval(test.data.covariates(), 0.9).unwrap();
    let hit =
        (0..n_test).filter(|&i| pred.tau_lo[i] <= test.tau[(i, 0)] && test.tau[(i, 0)] <= pred.tau_hi[i]);
    hit.count() as f64 / n_test as f64
}

/// The acceptance band [0.85, 0.97] of the issue for the true coverage,
/// widened by three binomial standard errors of a share measured on
/// `n_test` points (at 0.9): the measured share of a forest whose true
/// coverage is in the band falls outside only by chance.
pub fn coverage_band(n_test: usize) -> std::ops::RangeInclusive<f64> {
    let se = (0.9 * 0.1 / n_test as f64).sqrt();
    (0.85 - 3.0 * se)..=(0.97 + 3.0 * se)
}

#[test]
fn ninety_percent_intervals_cover_between_85_and_97_percent() {
    let (n_test, c) =
        if slow() { (4000, coverage(5000, 2000, 4000, 7)) } else { (2000, coverage(2000, 1000, 2000, 7)) };
    let band = coverage_band(n_test);
    eprintln!("causal forest 90% interval coverage {c:.3} on {n_test} points (band {band:.3?})");
    assert!(band.contains(&c), "coverage {c:.3}");
}

/// The configuration `cargo xtask bench forest` compares with EconML:
/// EconML's split criterion, all features per split, 2 rows per arm.
fn econml_like() -> CausalForest {
    CausalForest::params().split_rule(SplitRule::Exact).min_node_size(2)
}

#[test]
fn exact_rule_recovers_a_linear_effect_better_than_a_constant() {
    let train = linear_world(2000, 1);
    let test = linear_world(1000, 2);
    let model = econml_like().n_trees(500).seed(1).fit(&train.data).unwrap();
    let (tau, se) = model.predict(test.data.covariates()).unwrap();
    assert!(se.iter().all(|s| s.is_finite() && *s > 0.0));
    // as in the gradient-rule test: PEHE ≤ 0.5 explains ≥ 3/4 of the effect variance
    let pehe = rmse(&tau, &test.tau);
    eprintln!("causal forest, exact rule, min_node_size 2: PEHE {pehe:.3}");
    assert!(pehe < 0.5, "PEHE {pehe:.3}");
    let imp = model.variable_importance();
    assert!(imp[1..].iter().all(|&v| v < imp[0]), "importance {imp:?}");
}

#[test]
fn exact_rule_intervals_cover_between_85_and_97_percent() {
    let (n_test, c) = if slow() {
        (4000, coverage_with(econml_like().intervals(tp_uplift::Intervals::Variance), 5000, 2000, 4000, 7))
    } else {
        (2000, coverage_with(econml_like().intervals(tp_uplift::Intervals::Variance), 2000, 1000, 2000, 7))
    };
    let band = coverage_band(n_test);
    eprintln!("exact-rule causal forest 90% interval coverage {c:.3} on {n_test} points (band {band:.3?})");
    assert!(band.contains(&c), "coverage {c:.3}");
}

#[test]
fn same_seed_same_forest_at_one_and_two_threads() {
    let w = linear_world(600, 9);
    let fit = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let m = CausalForest::params().n_trees(40).seed(5).fit(&w.data).unwrap();
            let (tau, se) = m.predict(w.data.covariates()).unwrap();
            let (oob, oob_se) = m.oob_predict();
            (tau, se, oob.to_vec(), oob_se.to_vec(), m.variable_importance().to_vec(), m.ate())
        })
    };
    let (a, b) = (fit(1), fit(2));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let other = CausalForest::params().n_trees(40).seed(6).fit(&w.data).unwrap();
    assert_ne!(other.oob_predict().0, a.2.as_slice());
}

#[test]
fn bad_inputs_are_errors_that_name_the_problem() {
    let nine = world(300, 2, 9, 0.0, 1.0, 1, |_, _| 1.0);
    let err = CausalForest::params().n_trees(10).fit(&nine.data).unwrap_err();
    assert!(matches!(err, UpliftError::InvalidParameter { ref name, .. } if name == "arms"), "{err}");
    let w = linear_world(300, 1);
    let err = CausalForest::params().sample_fraction(0.8).fit(&w.data).unwrap_err();
    assert!(err.to_string().contains("sample_fraction"), "{err}");
    let err = CausalForest::params().y_hat(vec![0.0; 3]).fit(&w.data).unwrap_err();
    assert!(matches!(err, UpliftError::Shape { .. }), "{err}");
    let m = CausalForest::params().n_trees(10).fit(&w.data).unwrap();
    let err = m.predict(Mat::<f64>::zeros(4, 2).as_ref()).unwrap_err();
    assert!(matches!(err, UpliftError::Shape { .. }), "{err}");
}

#[test]
fn tuning_runs_by_default_from_300_trees_and_keeps_what_the_user_set() {
    let w = linear_world(800, 11);
    let fit = |p: CausalForest| p.seed(2).fit(&w.data).unwrap();
    // Auto: 6 candidates × 52 trees ≤ 300 trees, so it tunes; below 300 it does not
    let tuned = fit(CausalForest::params().n_trees(300));
    let report = tuned.tuning().expect("tuned at 300 trees");
    assert_eq!(report.candidates.len(), 6);
    assert_eq!(report.trees_per_candidate, 52);
    let best = report.best();
    let low = report.candidates.iter().map(|c| c.loss).fold(f64::INFINITY, f64::min);
    assert!(best.loss <= low + best.se && report.candidates.iter().all(|c| c.rows > 700), "{report:?}");
    assert!(report.candidates.iter().all(|c| [1, 2, 5].contains(&c.min_node_size)));
    assert!(fit(CausalForest::params().n_trees(298)).tuning().is_none());
    assert!(fit(CausalForest::params().n_trees(300).tune(Tuning::Never)).tuning().is_none());
    assert!(fit(CausalForest::params().n_trees(20).tune(Tuning::Always)).tuning().is_some());
    // a leaf size set by the user is kept: only the rule is tuned
    let m = fit(CausalForest::params().n_trees(300).min_node_size(3));
    let r = m.tuning().unwrap();
    assert!(r.candidates.len() == 2 && r.candidates.iter().all(|c| c.min_node_size == 3), "{r:?}");
    assert_ne!(r.candidates[0].split_rule, r.candidates[1].split_rule);
    // both set: nothing left to tune
    let fixed = CausalForest::params().n_trees(300).min_node_size(5).split_rule(SplitRule::Gradient);
    assert!(fit(fixed).tuning().is_none());
}

#[test]
fn a_tuned_forest_is_the_untuned_forest_with_the_chosen_parameters() {
    let w = linear_world(600, 12);
    let tuned = CausalForest::params().n_trees(20).tune(Tuning::Always).seed(4).fit(&w.data).unwrap();
    let best = tuned.tuning().unwrap().best().clone();
    // tuning fits the nuisances once (sized for the full forest: max(50, 20/4) trees) and
    // grows the full forest with the winner's rule and leaf size, nothing else
    let plain = CausalForest::params()
        .n_trees(20)
        .split_rule(best.split_rule)
        .min_node_size(best.min_node_size)
        .seed(4)
        .fit(&w.data)
        .unwrap();
    assert_eq!(tuned.nuisances(), plain.nuisances());
    assert_eq!(tuned.oob_predict(), plain.oob_predict());
    assert_eq!(tuned.predict(w.data.covariates()).unwrap(), plain.predict(w.data.covariates()).unwrap());
    // the same at one and two threads
    let at = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let m = CausalForest::params().n_trees(20).tune(Tuning::Always).seed(4).fit(&w.data).unwrap();
            (format!("{:?}", m.tuning()), m.oob_predict().0.to_vec())
        })
    };
    assert_eq!(at(1), at(2));
    assert_eq!(at(1).1, tuned.oob_predict().0);
}

#[test]
fn the_tuning_report_survives_saving_and_old_models_load() {
    let w = linear_world(500, 13);
    let m = CausalForest::params().n_trees(10).tune(Tuning::Always).seed(1).fit(&w.data).unwrap();
    let json = serde_json::to_string(&m).unwrap();
    let back: CausalForestModel = serde_json::from_str(&json).unwrap();
    assert_eq!(back.tuning(), m.tuning());
    // a model saved before tuning existed has no "tuning" field
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v.as_object_mut().unwrap().remove("tuning").unwrap();
    let old: CausalForestModel = serde_json::from_value(v).unwrap();
    old.validate().unwrap();
    assert!(old.tuning().is_none());
    let err = CausalForest::params().nuisance_trees(0).fit(&w.data).unwrap_err();
    assert!(err.to_string().contains("nuisance_trees"), "{err}");
}

#[test]
fn variable_selection_keeps_the_moderator_and_drops_the_rest() {
    // τ(x) = 1 + x₃ among 12 covariates: x₁ and x₂ confound, the other ten are noise for the
    // effect. The pilot forest splits on all of them; the selected forest splits only on those
    // with at least the mean split frequency, which must include x₃ and exclude most of the rest.
    // (Its error is not lower here: with one covariate left every tree splits the same way, and
    // x₁, x₂ can no longer mop up what the nuisances miss; PEHE is printed, not asserted. On the
    // retail demo the trade went the other way: docs/demo-quality.md.)
    let tau = |_: usize, x: &[f64]| 1.0 + x[2];
    for seed in 1..=3u64 {
        let train = world(2000, 12, 2, 0.8, 2.0, seed, tau);
        let test = world(1000, 12, 2, 0.8, 2.0, seed + 100, tau);
        let params = CausalForest::params().n_trees(200).seed(seed);
        let plain = params.clone().fit(&train.data).unwrap();
        let selected = params.clone().select_variables(true).fit(&train.data).unwrap();
        let imp = selected.variable_importance();
        assert_eq!(imp.len(), 12, "the model keeps every covariate's column");
        assert!(imp[2] > 0.0 && imp.iter().all(|&v| v <= imp[2]), "x3 leads the splits: {imp:?}");
        let kept: Vec<usize> = (0..12).filter(|&j| imp[j] > 0.0).collect();
        assert!(kept.len() <= 6, "seed {seed}: the noise covariates were not dropped: {imp:?}");
        // every split of the plain forest's pilot is spread over all twelve
        assert!(plain.variable_importance().iter().filter(|&&v| v > 0.0).count() >= 10);
        // the pilot's nuisances centre the selected forest
        assert_eq!(selected.nuisances().0, plain.nuisances().0);
        // the same seed gives the same forest; predictions take all twelve columns
        let again = params.clone().select_variables(true).fit(&train.data).unwrap();
        assert_eq!(again.oob_predict().0, selected.oob_predict().0);
        let x = test.data.covariates();
        let p = rmse(&plain.predict(x).unwrap().0, &test.tau);
        let s = rmse(&selected.predict(x).unwrap().0, &test.tau);
        eprintln!("seed {seed}: PEHE plain {p:.3}, selected {s:.3} (kept {kept:?})");
    }
}
