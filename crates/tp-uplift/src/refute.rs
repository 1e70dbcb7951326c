//! Refutation tests of an effect estimate (in the spirit of DoWhy's
//! refuters): change the data in a way whose consequence for the true
//! effect is known, re-estimate, and check the estimator follows.
//!
//! - [`placebo_treatment`]: arms permuted at random (within the data, so
//!   arm shares are kept). The treatment no longer carries information, so
//!   the re-estimated effect must be ≈ 0. *Pass*: |placebo| ≤ k·SE_placebo,
//!   and, when the original estimate claimed an effect (more than k·SE from
//!   0), the placebo moved away from it by more than k·SE_placebo.
//! - [`random_common_cause`]: a standard-normal noise covariate appended.
//!   It is independent of everything, so the effect must not move.
//!   *Pass*: |refuted − estimate| ≤ k·√(SE² + SE_refuted²).
//! - [`data_subset`]: random subsets of `fraction` of the rows (default
//!   80%), several draws. The effect must stay within sampling error:
//!   *Pass*: every draw's |refuted − estimate| ≤ k·SE_refuted·√(1 − f),
//!   the standard error of the difference between a subsample mean and the
//!   full-sample mean of an average-type estimator (a subsample of f·n
//!   rows has variance σ²/(fn), the covariance with the full mean is σ²/n,
//!   so Var(diff) = σ²/(fn)·(1 − f)).
//!
//! An estimator is anything implementing [`Estimator`] — a closure
//! `Fn(&CausalData) -> Result<Estimate>` does — returning one effect (for
//! several arms, refute each arm's estimator separately). The default k is
//! 3 (a two-sided 0.3% false-alarm rate per comparison under normality).
//!
//! ```
//! use tp_core::{CausalData, faer::Mat};
//! use tp_uplift::refute::{Estimate, RefuteParams, placebo_treatment};
//!
//! // a difference in means on a randomized trial with effect 1
//! let n = 2000;
//! let x = Mat::from_fn(n, 1, |i, _| (i % 10) as f64);
//! let arms: Vec<usize> = (0..n).map(|i| (i * 7 / 3) % 2).collect();
//! let y: Vec<f64> = (0..n).map(|i| arms[i] as f64 + ((i * 7919) % 13) as f64 / 13.0).collect();
//! let data = CausalData::builder(x, vec!["x".into()], arms, y).build().unwrap();
//! let diff = |d: &CausalData| -> tp_uplift::Result<Estimate> {
//!     let (mut s, mut c) = (vec![], vec![]);
//!     for (a, y) in d.arms().iter().zip(d.outcome()) {
//!         if *a == 1 { s.push(*y) } else { c.push(*y) }
//!     }
//!     let (m1, se1) = tp_core::stats::mean_se(&s);
//!     let (m0, se0) = tp_core::stats::mean_se(&c);
//!     Ok(Estimate { effect: m1 - m0, se: (se1 * se1 + se0 * se0).sqrt() })
//! };
//! let r = placebo_treatment(&diff, &data, &RefuteParams::default()).unwrap();
//! assert!(r.passed && r.refuted.abs() < 0.2 && (r.estimate - 1.0).abs() < 0.1);
//! ```

use crate::{Result, UpliftError};
use rand::seq::SliceRandom;
use rand_distr_free::standard_normal;
use serde::Serialize;
use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_core::rng::{derive_seed_str, stream};

/// An effect estimate and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimated effect (e.g. an ATE).
    pub effect: f64,
    /// Its standard error.
    pub se: f64,
}

/// Something that estimates one effect from data.
pub trait Estimator {
    /// Estimates the effect on `data`.
    fn estimate(&self, data: &CausalData) -> Result<Estimate>;
}

impl<F: Fn(&CausalData) -> Result<Estimate>> Estimator for F {
    fn estimate(&self, data: &CausalData) -> Result<Estimate> {
        self(data)
    }
}

/// Settings shared by the refuters.
#[derive(Debug, Clone, PartialEq)]
pub struct RefuteParams {
    /// Tolerance in standard errors. Default 3.
    pub k: f64,
    /// Share of rows kept by [`data_subset`]. Default 0.8.
    pub fraction: f64,
    /// Draws of [`data_subset`]. Default 3.
    pub subsets: usize,
    /// Permutations averaged by [`placebo_treatment`]. Default 1.
    pub placebos: usize,
    /// Seed of the permutations, noise and subsets. Default 0.
    pub seed: u64,
}

impl Default for RefuteParams {
    fn default() -> Self {
        Self { k: 3.0, fraction: 0.8, subsets: 3, placebos: 1, seed: 0 }
    }
}

/// The outcome of one refutation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refutation {
    /// Which refuter ran.
    pub test: &'static str,
    /// The estimate on the original data.
    pub estimate: f64,
    /// Its standard error.
    pub estimate_se: f64,
    /// The estimate on the changed data (the mean over draws when several).
    pub refuted: f64,
    /// Its standard error (the mean over draws when several).
    pub refuted_se: f64,
    /// Whether the estimator passed, by `rule`.
    pub passed: bool,
    /// The rule, in words with the numbers.
    pub rule: String,
}

fn check(params: &RefuteParams) -> Result<()> {
    let bad = |name: &str, value: String, expected: &str| UpliftError::InvalidParameter {
        name: name.into(),
        value,
        expected: expected.into(),
    };
    if params.k.is_nan() || params.k <= 0.0 {
        return Err(bad("k", params.k.to_string(), "a positive number of standard errors, e.g. 3"));
    }
    if !(params.fraction > 0.0 && params.fraction < 1.0) {
        return Err(bad("fraction", params.fraction.to_string(), "a share in (0, 1), e.g. 0.8"));
    }
    if params.subsets == 0 || params.placebos == 0 {
        return Err(bad("subsets/placebos", format!("{}/{}", params.subsets, params.placebos), "at least 1"));
    }
    Ok(())
}

fn finite(e: Estimate, what: &str) -> Result<Estimate> {
    if e.effect.is_finite() && e.se.is_finite() && e.se >= 0.0 {
        Ok(e)
    } else {
        Err(UpliftError::InvalidParameter {
            name: "estimator".into(),
            value: format!("{} ± {} on the {what} data", e.effect, e.se),
            expected: "a finite effect and a finite, non-negative standard error".into(),
        })
    }
}

fn rebuild(data: &CausalData, x: Mat<f64>, names: Vec<String>, arms: Vec<usize>) -> Result<CausalData> {
    let mut b =
        CausalData::builder(x, names, arms, data.outcome().to_vec()).arm_labels(data.arm_labels().to_vec());
    if let Some(w) = data.weights() {
        b = b.weights(w.to_vec());
    }
    Ok(b.build()?)
}

/// Permuted arms ⇒ the effect must vanish. Known propensities are dropped
/// (they no longer describe the permuted arms). Passes when
/// |mean placebo| ≤ k·SE_placebo/√placebos and, if the original estimate
/// is more than k·SE from 0, the placebo is also more than k·SE_placebo
/// from it (it moved toward 0, not stayed put).
pub fn placebo_treatment(
    est: &impl Estimator,
    data: &CausalData,
    params: &RefuteParams,
) -> Result<Refutation> {
    check(params)?;
    let original = finite(est.estimate(data)?, "original")?;
    let (mut sum, mut sum_se) = (0.0, 0.0);
    for r in 0..params.placebos {
        let mut arms = data.arms().to_vec();
        arms.shuffle(&mut stream(derive_seed_str(params.seed, "placebo"), r as u64));
        let d = rebuild(data, data.covariates().to_owned(), data.feature_names().to_vec(), arms)?;
        let e = finite(est.estimate(&d)?, "placebo")?;
        sum += e.effect;
        sum_se += e.se;
    }
    let m = params.placebos as f64;
    let (refuted, refuted_se) = (sum / m, sum_se / m);
    let tol = params.k * refuted_se / m.sqrt();
    let near_zero = refuted.abs() <= tol;
    let claimed = original.effect.abs() > params.k * original.se;
    let moved = !claimed || (original.effect - refuted).abs() > params.k * refuted_se;
    Ok(Refutation {
        test: "placebo_treatment",
        estimate: original.effect,
        estimate_se: original.se,
        refuted,
        refuted_se,
        passed: near_zero && moved,
        rule: format!(
            "|placebo {refuted:.4}| ≤ {k}·SE/√{m} = {tol:.4}{}",
            if claimed {
                format!(" and it differs from the estimate {:.4} by > {}·SE", original.effect, params.k)
            } else {
                String::new()
            },
            k = params.k
        ),
    })
}

/// A noise covariate N(0, 1) appended ⇒ the effect must not move. Passes
/// when |refuted − estimate| ≤ k·√(SE² + SE_refuted²) (conservative: the
/// two estimates share their data and are positively correlated).
pub fn random_common_cause(
    est: &impl Estimator,
    data: &CausalData,
    params: &RefuteParams,
) -> Result<Refutation> {
    check(params)?;
    let original = finite(est.estimate(data)?, "original")?;
    let (n, p) = (data.n(), data.p());
    let mut rng = stream(derive_seed_str(params.seed, "common_cause"), 0);
    let noise: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
    let x = Mat::from_fn(n, p + 1, |i, j| if j < p { data.covariates()[(i, j)] } else { noise[i] });
    let mut names = data.feature_names().to_vec();
    names.push("random_common_cause".into());
    let mut d = rebuild(data, x, names, data.arms().to_vec())?;
    if let Some(e) = data.propensity() {
        d = with_propensity(d, e.to_owned())?;
    }
    let e = finite(est.estimate(&d)?, "noise-augmented")?;
    let tol = params.k * (original.se.powi(2) + e.se.powi(2)).sqrt();
    Ok(Refutation {
        test: "random_common_cause",
        estimate: original.effect,
        estimate_se: original.se,
        refuted: e.effect,
        refuted_se: e.se,
        passed: (e.effect - original.effect).abs() <= tol,
        rule: format!(
            "|refuted − estimate| = {:.4} ≤ {}·√(SE² + SE_r²) = {tol:.4}",
            (e.effect - original.effect).abs(),
            params.k
        ),
    })
}

fn with_propensity(d: CausalData, e: Mat<f64>) -> Result<CausalData> {
    let mut b = CausalData::builder(
        d.covariates().to_owned(),
        d.feature_names().to_vec(),
        d.arms().to_vec(),
        d.outcome().to_vec(),
    )
    .arm_labels(d.arm_labels().to_vec())
    .propensity(e);
    if let Some(w) = d.weights() {
        b = b.weights(w.to_vec());
    }
    Ok(b.build()?)
}

/// Random subsets of `fraction` of the rows ⇒ the effect must stay within
/// sampling error. Passes when every draw has
/// |refuted − estimate| ≤ k·SE_refuted·√(1 − fraction).
pub fn data_subset(est: &impl Estimator, data: &CausalData, params: &RefuteParams) -> Result<Refutation> {
    check(params)?;
    let original = finite(est.estimate(data)?, "original")?;
    let n = data.n();
    let m = ((params.fraction * n as f64).round() as usize).clamp(1, n);
    let (mut sum, mut sum_se, mut worst) = (0.0, 0.0, 0.0f64);
    let mut passed = true;
    for r in 0..params.subsets {
        let mut rng = stream(derive_seed_str(params.seed, "subset"), r as u64);
        let mut idx: Vec<usize> = rand::seq::index::sample(&mut rng, n, m).into_vec();
        idx.sort_unstable();
        let e = finite(est.estimate(&data.subset(&idx)?)?, "subset")?;
        let dev = (e.effect - original.effect).abs() / (e.se * (1.0 - params.fraction).sqrt());
        worst = worst.max(dev);
        passed &= dev <= params.k;
        sum += e.effect;
        sum_se += e.se;
    }
    let s = params.subsets as f64;
    Ok(Refutation {
        test: "data_subset",
        estimate: original.effect,
        estimate_se: original.se,
        refuted: sum / s,
        refuted_se: sum_se / s,
        passed,
        rule: format!(
            "every {}% subset within {}·SE_r·√(1 − f) of the estimate (worst {worst:.2})",
            (params.fraction * 100.0).round(),
            params.k
        ),
    })
}

/// All three refuters with the same parameters.
pub fn refute_all(est: &impl Estimator, data: &CausalData, params: &RefuteParams) -> Result<Vec<Refutation>> {
    Ok(vec![
        placebo_treatment(est, data, params)?,
        random_common_cause(est, data, params)?,
        data_subset(est, data, params)?,
    ])
}

/// A standard normal draw (Box–Muller), so the crate needs no rand_distr.
mod rand_distr_free {
    use rand::Rng;
    pub fn standard_normal(rng: &mut impl Rng) -> f64 {
        let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}
