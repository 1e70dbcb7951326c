//! Cross-fitted nuisance models: propensities ê_a(x) and per-arm outcome
//! means μ̂_a(x), each predicted on rows its model did not train on.
//!
//! Folds are stratified by arm ([`tp_core::Folds::stratified`]). Fold `f`
//! and arm `a` form one task, run in parallel; the learner of task
//! `(f, a)` gets the seed `derive_seed(seed, f·K + a)` (propensity models
//! on a separate derived seed), so the result does not depend on threads.
//!
//! Propensities: with two arms one classifier of 1{W = 1}; with K > 2 one
//! classifier per arm (one-vs-rest) and each row's K probabilities
//! normalized to sum to one. Estimated propensities are clipped to
//! `[clip, 1 − clip]` (then renormalized) before they divide anything;
//! known propensities (from [`CausalData`]) are used as given.
//! The marginal mean is `m̂(x) = Σ_a ê_a(x) μ̂_a(x)`.

use crate::learner::{ClassifierSpec, RegressorSpec, take_rows};
use crate::{Result, UpliftError};
use faer::Mat;
use rayon::prelude::*;
use tp_core::rng::{derive_seed, derive_seed_str};
use tp_core::{CausalData, Folds};

/// Out-of-fold nuisance predictions for every row.
#[derive(Debug, Clone)]
pub struct Nuisances {
    /// Propensities ê_a(X_i), `n × K` (known ones when the data has them).
    pub propensity: Mat<f64>,
    /// Outcome means μ̂_a(X_i), `n × K`, out-of-fold.
    pub outcome: Mat<f64>,
    /// The folds used.
    pub folds: Folds,
    /// Whether the propensities were given rather than estimated.
    pub known_propensity: bool,
}

impl Nuisances {
    /// The AIPW score matrix Γ (`n × K`).
    pub fn aipw_scores(&self, data: &CausalData) -> Result<Mat<f64>> {
        Ok(tp_core::aipw_scores(
            data.outcome(),
            data.arms(),
            self.outcome.as_ref(),
            self.propensity.as_ref(),
        )?)
    }

    /// `m̂(X_i) = Σ_a ê_a(X_i) μ̂_a(X_i)`.
    pub fn marginal_mean(&self) -> Vec<f64> {
        (0..self.outcome.nrows())
            .map(|i| (0..self.outcome.ncols()).map(|a| self.propensity[(i, a)] * self.outcome[(i, a)]).sum())
            .collect()
    }

    /// Propensity of arm `a` among rows in arm `a` or control:
    /// `ê_a / (ê_a + ê_0)`.
    pub fn pair_propensity(&self, arm: usize) -> Vec<f64> {
        (0..self.propensity.nrows())
            .map(|i| {
                let (ea, e0) = (self.propensity[(i, arm)], self.propensity[(i, 0)]);
                ea / (ea + e0)
            })
            .collect()
    }
}

/// Validates cross-fitting settings.
pub(crate) fn check_folds(folds: usize, clip: f64) -> Result<()> {
    if folds < 2 {
        return Err(UpliftError::InvalidParameter {
            name: "folds".into(),
            value: folds.to_string(),
            expected: "at least 2".into(),
        });
    }
    if !(0.0..0.5).contains(&clip) {
        return Err(UpliftError::InvalidParameter {
            name: "clip".into(),
            value: clip.to_string(),
            expected: "a propensity clip in [0, 0.5)".into(),
        });
    }
    Ok(())
}

/// Cross-fitted propensities only (`n × K`): the known ones when the data
/// has them, otherwise estimated with `learner` over `folds`.
pub fn crossfit_propensity(
    data: &CausalData,
    learner: &ClassifierSpec,
    folds: &Folds,
    clip: f64,
    seed: u64,
) -> Result<Mat<f64>> {
    if let Some(e) = data.propensity() {
        return Ok(e.to_owned());
    }
    let (n, k) = (data.n(), data.n_arms());
    let x = data.covariates();
    let models = if k == 2 { 1 } else { k };
    let base = derive_seed_str(seed, "propensity");
    let tasks: Vec<(usize, usize)> = (0..folds.k()).flat_map(|f| (0..models).map(move |a| (f, a))).collect();
    let preds: Vec<Vec<f64>> = tasks
        .par_iter()
        .map(|&(f, a)| {
            let train = folds.train(f);
            let arm = if k == 2 { 1 } else { a };
            let target: Vec<f64> =
                train.iter().map(|&i| f64::from(u8::from(data.arms()[i] == arm))).collect();
            let m = learner.fit(
                take_rows(x, &train).as_ref(),
                &target,
                derive_seed(base, (f * models + a) as u64),
            )?;
            m.predict_proba(take_rows(x, folds.test(f)).as_ref())
        })
        .collect::<Result<_>>()?;
    let mut e = Mat::<f64>::zeros(n, k);
    for (t, &(f, a)) in tasks.iter().enumerate() {
        for (r, &i) in folds.test(f).iter().enumerate() {
            let p = preds[t][r];
            if k == 2 {
                e[(i, 1)] = p;
                e[(i, 0)] = 1.0 - p;
            } else {
                e[(i, a)] = p;
            }
        }
    }
    for i in 0..n {
        let mut s = 0.0;
        for a in 0..k {
            let v = e[(i, a)];
            if !v.is_finite() {
                return Err(UpliftError::NonFinite { what: "estimated propensity".into(), row: i, value: v });
            }
            s += v;
        }
        for a in 0..k {
            let v = if s > 0.0 { e[(i, a)] / s } else { 1.0 / k as f64 };
            e[(i, a)] = v.clamp(clip, 1.0 - clip);
        }
        let s: f64 = (0..k).map(|a| e[(i, a)]).sum();
        for a in 0..k {
            e[(i, a)] /= s;
        }
    }
    Ok(e)
}

/// Cross-fitted propensities and per-arm outcome models.
pub fn crossfit_nuisances(
    data: &CausalData,
    outcome: &RegressorSpec,
    propensity: &ClassifierSpec,
    n_folds: usize,
    clip: f64,
    seed: u64,
) -> Result<Nuisances> {
    check_folds(n_folds, clip)?;
    let folds = Folds::stratified(data.arms(), data.n_arms(), n_folds, derive_seed_str(seed, "folds"))?;
    let e = crossfit_propensity(data, propensity, &folds, clip, seed)?;
    let mu = crossfit_outcomes(data, outcome, &folds, seed)?;
    Ok(Nuisances { propensity: e, outcome: mu, folds, known_propensity: data.propensity().is_some() })
}

/// Out-of-fold μ̂_a(X_i) for every row and arm (`n × K`).
pub(crate) fn crossfit_outcomes(
    data: &CausalData,
    learner: &RegressorSpec,
    folds: &Folds,
    seed: u64,
) -> Result<Mat<f64>> {
    let (n, k) = (data.n(), data.n_arms());
    let x = data.covariates();
    let base = derive_seed_str(seed, "outcome");
    let tasks: Vec<(usize, usize)> = (0..folds.k()).flat_map(|f| (0..k).map(move |a| (f, a))).collect();
    let preds: Vec<Vec<f64>> = tasks
        .par_iter()
        .map(|&(f, a)| {
            let train: Vec<usize> = folds.train(f).into_iter().filter(|&i| data.arms()[i] == a).collect();
            let y: Vec<f64> = train.iter().map(|&i| data.outcome()[i]).collect();
            let w: Option<Vec<f64>> = data.weights().map(|w| train.iter().map(|&i| w[i]).collect());
            let m = learner.fit(
                take_rows(x, &train).as_ref(),
                &y,
                w.as_deref(),
                derive_seed(base, (f * k + a) as u64),
            )?;
            m.predict(take_rows(x, folds.test(f)).as_ref())
        })
        .collect::<Result<_>>()?;
    let mut mu = Mat::<f64>::zeros(n, k);
    for (t, &(f, a)) in tasks.iter().enumerate() {
        for (r, &i) in folds.test(f).iter().enumerate() {
            mu[(i, a)] = preds[t][r];
        }
    }
    Ok(mu)
}

impl Nuisances {
    /// The nuisances of the rows `rows` (in that order). The folds are not
    /// carried over (a subset has no fold structure of its own), so the
    /// result keeps the folds of `self`; use it only for scores.
    pub fn subset(&self, rows: &[usize]) -> Nuisances {
        Nuisances {
            propensity: take_rows(self.propensity.as_ref(), rows),
            outcome: take_rows(self.outcome.as_ref(), rows),
            folds: self.folds.clone(),
            known_propensity: self.known_propensity,
        }
    }
}
