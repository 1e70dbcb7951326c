//! The uplift random forest (binary outcome): recovery of known uplift
//! with every criterion, binary and three arms, determinism, saving, errors.

use rand::Rng;
use tp_core::faer::Mat;
use tp_core::{CausalData, rng::stream};
use tp_uplift::{Divergence, UpliftError, UpliftForest, UpliftForestModel};

/// A randomized campaign with K arms, x ~ U(−1, 1)⁴, base rate
/// 0.2 + 0.1·x₂, and uplift(arm k) = u_k(x); returns data and true uplift.
fn campaign(n: usize, k: usize, seed: u64, uplift: impl Fn(usize, &[f64]) -> f64) -> (CausalData, Mat<f64>) {
    let mut rng = stream(seed, 0);
    let p = 4;
    let x = Mat::from_fn(n, p, |_, _| rng.random::<f64>() * 2.0 - 1.0);
    let mut truth = Mat::<f64>::zeros(n, k - 1);
    let mut arms = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<f64> = (0..p).map(|j| x[(i, j)]).collect();
        for a in 1..k {
            truth[(i, a - 1)] = uplift(a, &row);
        }
        let arm = rng.random_range(0..k);
        let rate = 0.2 + 0.1 * row[1] + if arm == 0 { 0.0 } else { truth[(i, arm - 1)] };
        y.push(f64::from(rng.random::<f64>() < rate));
        arms.push(arm);
    }
    let names = (0..p).map(|j| format!("x{j}")).collect();
    (CausalData::builder(x, names, arms, y).build().unwrap(), truth)
}

fn rmse(a: &Mat<f64>, b: &Mat<f64>, k: usize) -> f64 {
    let n = a.nrows();
    ((0..n).map(|i| (a[(i, k)] - b[(i, k)]).powi(2)).sum::<f64>() / n as f64).sqrt()
}

fn constant_rmse(b: &Mat<f64>, k: usize) -> f64 {
    let n = b.nrows();
    let m = (0..n).map(|i| b[(i, k)]).sum::<f64>() / n as f64;
    ((0..n).map(|i| (b[(i, k)] - m).powi(2)).sum::<f64>() / n as f64).sqrt()
}

#[test]
fn every_criterion_recovers_a_binary_uplift() {
    // uplift 0.25 when x₀ > 0, 0.05 otherwise: sd 0.1
    let u = |_: usize, x: &[f64]| if x[0] > 0.0 { 0.25 } else { 0.05 };
    let (train, _) = campaign(20_000, 2, 1, u);
    let (test, truth) = campaign(2000, 2, 2, u);
    for c in [Divergence::Kl, Divergence::Ed, Divergence::Chi, Divergence::Cts] {
        let model =
            UpliftForest::params().criterion(c).n_trees(30).max_features(4).seed(3).fit(&train).unwrap();
        let pred = model.predict(test.covariates()).unwrap();
        let (ours, constant) = (rmse(&pred, &truth, 0), constant_rmse(&truth, 0));
        eprintln!("uplift forest {c:?}: RMSE {ours:.4} (constant {constant:.4})");
        // at least 3/4 of the uplift variance explained
        assert!(ours < 0.5 * constant, "{c:?}: RMSE {ours:.4} vs constant {constant:.4}");
        // x₀ moves the uplift; x₁ moves the base rate (which rate-based gains
        // such as CTS and Chi also react to); x₂, x₃ are noise
        let imp = model.feature_importance();
        assert!(imp[0] > imp[2].max(imp[3]), "{c:?}: importance {imp:?}");
    }
}

#[test]
fn three_arms_get_their_own_uplift() {
    // arm 1 helps when x₀ > 0, arm 2 when x₂ > 0
    let u = |a: usize, x: &[f64]| {
        let on = if a == 1 { x[0] > 0.0 } else { x[2] > 0.0 };
        if on { 0.25 } else { 0.0 }
    };
    let (train, _) = campaign(30_000, 3, 5, u);
    let (test, truth) = campaign(2000, 3, 6, u);
    let model = UpliftForest::params().n_trees(30).max_features(4).seed(1).fit(&train).unwrap();
    let pred = model.predict(test.covariates()).unwrap();
    assert_eq!(pred.ncols(), 2);
    for k in 0..2 {
        let (ours, constant) = (rmse(&pred, &truth, k), constant_rmse(&truth, k));
        eprintln!("uplift forest 3 arms, arm {}: RMSE {ours:.4} (constant {constant:.4})", k + 1);
        assert!(ours < 0.5 * constant, "arm {}: RMSE {ours:.4} vs constant {constant:.4}", k + 1);
    }
    let rates = model.predict_rates(test.covariates()).unwrap();
    for i in 0..10 {
        assert!((rates[(i, 1)] - rates[(i, 0)] - pred[(i, 0)]).abs() < 1e-12);
    }
}

#[test]
fn same_seed_same_forest_at_any_thread_count_and_after_saving() {
    let (d, _) = campaign(3000, 2, 9, |_, x| if x[0] > 0.0 { 0.2 } else { 0.0 });
    let fit = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| UpliftForest::params().n_trees(8).min_samples_leaf(50).seed(2).fit(&d).unwrap())
    };
    let (a, b) = (fit(1), fit(2));
    let (pa, pb) = (a.predict(d.covariates()).unwrap(), b.predict(d.covariates()).unwrap());
    assert_eq!(pa, pb);
    let back: UpliftForestModel = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    back.validate().unwrap();
    assert_eq!(back.predict(d.covariates()).unwrap(), pa);
}

#[test]
fn bad_inputs_are_errors() {
    let (d, _) = campaign(500, 2, 1, |_, _| 0.1);
    let y: Vec<f64> = d.outcome().iter().map(|v| v * 2.5).collect();
    let cont =
        CausalData::builder(d.covariates().to_owned(), d.feature_names().to_vec(), d.arms().to_vec(), y)
            .build()
            .unwrap();
    let err = UpliftForest::params().fit(&cont).unwrap_err();
    assert!(matches!(err, UpliftError::NotBinary { .. }), "{err}");
    let err = UpliftForest::params().n_trees(0).fit(&d).unwrap_err();
    assert!(err.to_string().contains("n_trees"), "{err}");
    let m = UpliftForest::params().n_trees(2).fit(&d).unwrap();
    assert!(matches!(m.predict(Mat::<f64>::zeros(3, 2).as_ref()), Err(UpliftError::Shape { .. })));
    assert_eq!(Divergence::parse("CHI"), Some(Divergence::Chi));
    assert_eq!(Divergence::parse("gini"), None);
}

/// Little-bags standard errors against the truth they estimate: over R
/// independent data sets (new data and a new forest seed each), the mean
/// estimated variance of τ̂(x) at fixed points, summed over the points,
/// equals the variance of τ̂(x) across the data sets, summed likewise.
/// Both sides are means over the R replicates of per-replicate sums
/// (E_r = Σⱼ seⱼ², D_r = Σⱼ (τ̂ⱼ − mean τ̂ⱼ)²·R/(R − 1)), so the ratio's
/// standard error follows from their spreads and R by the delta method;
/// the ratio must be within 4 of them of 1. (The finite forest's own Monte
/// Carlo variance, V_between/G, adds about 1/G to the empirical side.)
#[test]
fn little_bags_variance_matches_the_variance_across_data_sets() {
    let slow = std::env::var("TP_SLOW_TESTS").is_ok_and(|v| v == "1");
    let (reps, n, trees) = if slow { (200, 2000, 400) } else { (30, 1000, 200) };
    let u = |_: usize, x: &[f64]| if x[0] > 0.0 { 0.2 } else { 0.05 };
    let points =
        Mat::from_fn(6, 4, |i, j| if j == 0 { -0.75 + 0.3 * i as f64 } else { 0.1 * j as f64 - 0.2 });
    let (mut taus, mut est) = (vec![vec![0.0; reps]; points.nrows()], vec![0.0; reps]);
    for r in 0..reps {
        let (d, _) = campaign(n, 2, 1000 + r as u64, u);
        let model = UpliftForest::params()
            .n_trees(trees)
            .max_depth(3)
            .max_features(4)
            .min_samples_leaf(n / 40)
            .seed(r as u64)
            .fit(&d)
            .unwrap();
        let ci = model.predict_interval(points.as_ref(), 0.9).unwrap();
        for (j, t) in taus.iter_mut().enumerate() {
            t[r] = ci.tau[(j, 0)];
            est[r] += ci.se[(j, 0)].powi(2);
        }
    }
    let rf = reps as f64;
    let dev: Vec<f64> = (0..reps)
        .map(|r| taus.iter().map(|t| (t[r] - tp_core::stats::mean(t)).powi(2)).sum::<f64>() * rf / (rf - 1.0))
        .collect();
    let (e, d) = (tp_core::stats::mean(&est), tp_core::stats::mean(&dev));
    let ratio = e / d;
    let rel = |v: &[f64], m: f64| tp_core::stats::variance(v) / (rf * m * m);
    let se = ratio * (rel(&est, e) + rel(&dev, d)).sqrt();
    eprintln!(
        "little bags: estimated {e:.3e} vs across data sets {d:.3e}: ratio {ratio:.3} ± {se:.3} (R = {reps})"
    );
    assert!((ratio - 1.0).abs() < 4.0 * se, "ratio {ratio:.3}, SE {se:.3}");
}
