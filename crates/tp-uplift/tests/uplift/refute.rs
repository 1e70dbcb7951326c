//! Refutations: a sound estimator passes all three, a broken one (that
//! ignores the treatment) fails the placebo test.

use super::sim::world;
use tp_core::CausalData;
use tp_core::stats::mean_se;
use tp_uplift::refute::{
    Estimate, RefuteParams, data_subset, placebo_treatment, random_common_cause, refute_all,
};
use tp_uplift::{Method, Result, UpliftParams};

/// AIPW ATE of the T-learner on cross-fitted nuisances (arm 1 vs control).
fn aipw(d: &CausalData) -> Result<Estimate> {
    let fit = UpliftParams::new(Method::T).seed(1).fit(d)?;
    Ok(Estimate { effect: fit.ate(), se: fit.ate_se() })
}

/// Ignores the treatment: the mean outcome of the rows with x₁ > 0 minus
/// the others, with its SE. On the original data this "effect" is far from
/// 0 and permuting arms does not move it.
fn broken(d: &CausalData) -> Result<Estimate> {
    let x = d.covariates();
    let (mut hi, mut lo) = (vec![], vec![]);
    for (i, &y) in d.outcome().iter().enumerate() {
        if x[(i, 0)] > 0.0 { hi.push(y) } else { lo.push(y) }
    }
    let ((a, sa), (b, sb)) = (mean_se(&hi), mean_se(&lo));
    Ok(Estimate { effect: a - b, se: (sa * sa + sb * sb).sqrt() })
}

#[test]
fn a_sound_estimator_of_a_true_effect_passes_every_refutation() {
    // τ = 1 under confounding; n = 2000
    let w = world(2000, 3, 2, 0.5, 1.0, 17, |_, _| 1.0);
    let params = RefuteParams { seed: 3, ..RefuteParams::default() };
    for r in refute_all(&aipw, &w.data, &params).unwrap() {
        eprintln!(
            "{}: {:.3} ± {:.3} → {:.3} ± {:.3}, passed {} ({})",
            r.test, r.estimate, r.estimate_se, r.refuted, r.refuted_se, r.passed, r.rule
        );
        assert!(r.passed, "{r:?}");
        assert!((r.estimate - 1.0).abs() < 4.0 * r.estimate_se);
    }
}

#[test]
fn an_estimator_that_ignores_treatment_fails_the_placebo() {
    let w = world(2000, 3, 2, 0.5, 1.0, 17, |_, _| 1.0);
    let r = placebo_treatment(&broken, &w.data, &RefuteParams::default()).unwrap();
    eprintln!("broken placebo: {:.3} → {:.3} ({})", r.estimate, r.refuted, r.rule);
    assert!(!r.passed, "{r:?}");
    // the permutation leaves it where it was
    assert!((r.refuted - r.estimate).abs() < 1e-12);
    // it passes the other two (they cannot see that the treatment is ignored)
    assert!(random_common_cause(&broken, &w.data, &RefuteParams::default()).unwrap().passed);
    assert!(data_subset(&broken, &w.data, &RefuteParams::default()).unwrap().passed);
}

#[test]
fn an_estimator_that_reacts_to_noise_fails_the_common_cause_test() {
    // "effect" = the coefficient-free mean of the last covariate ×10: moves when a column is appended
    let last = |d: &CausalData| -> Result<Estimate> {
        let x = d.covariates();
        let col: Vec<f64> = (0..d.n()).map(|i| x[(i, d.p() - 1)]).collect();
        let (m, s) = mean_se(&col);
        Ok(Estimate { effect: 10.0 + m, se: s })
    };
    let w = world(2000, 3, 2, 0.0, 1.0, 5, |_, _| 1.0);
    // x₃ is N(0, 1) like the noise column, so shift the original column to make the change visible
    let x = w.data.covariates().to_owned();
    let shifted =
        tp_core::faer::Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] + if j == 2 { 1.0 } else { 0.0 });
    let d = CausalData::builder(
        shifted,
        w.data.feature_names().to_vec(),
        w.data.arms().to_vec(),
        w.data.outcome().to_vec(),
    )
    .build()
    .unwrap();
    let r = random_common_cause(&last, &d, &RefuteParams::default()).unwrap();
    assert!(!r.passed, "{r:?}");
}

#[test]
fn bad_parameters_are_errors() {
    let w = world(200, 2, 2, 0.0, 1.0, 1, |_, _| 1.0);
    let p = RefuteParams { fraction: 1.5, ..RefuteParams::default() };
    assert!(data_subset(&broken, &w.data, &p).unwrap_err().to_string().contains("fraction"));
    let nan = |_: &CausalData| -> Result<Estimate> { Ok(Estimate { effect: f64::NAN, se: 1.0 }) };
    assert!(placebo_treatment(&nan, &w.data, &RefuteParams::default()).is_err());
}
