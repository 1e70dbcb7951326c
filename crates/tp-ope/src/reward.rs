//! Cross-fitted reward models q̂(x, a) from any tp-learn learner.
//!
//! Rows are split into stratified folds (by logged arm, `tp_core::Folds`);
//! the model that predicts q̂ on fold `f` never saw fold `f`. Two shapes:
//! one model per arm ([`RewardFeatures::PerArm`]), or one joint model on
//! `[x, arm features]` ([`RewardFeatures::Joint`], obp's `RegressionModel`
//! shape; useful when arms are many and rows per arm few).

use crate::error::{OpeError, Result};
use faer::Mat;
use rayon::prelude::*;
use tp_core::Folds;
use tp_core::rng::derive_seed;
use tp_learn::{Classifier, Regressor};

/// The learner that fits the reward: a regressor of E\[r | x, a\], or a
/// classifier of P(r = 1 | x, a) for 0/1 rewards.
#[derive(Clone, Copy)]
pub enum RewardLearner<'a> {
    /// Any tp-learn regressor.
    Regressor(&'a dyn Regressor),
    /// Any tp-learn classifier (rewards must be 0/1).
    Classifier(&'a dyn Classifier),
}

/// How arms enter the reward model.
#[derive(Debug, Clone)]
pub enum RewardFeatures {
    /// A separate model per arm, fitted on the rows that logged it.
    PerArm,
    /// One model on `[x_i, f(a)]` where `f(a)` is row `a` of the given
    /// `K × d` arm-feature matrix, or, when `None`, the one-hot code of arms
    /// `1..K` (arm 0 is the reference level).
    Joint(Option<Mat<f64>>),
}

impl RewardLearner<'_> {
    fn fit_predict(
        &self,
        seed: u64,
        x_train: &Mat<f64>,
        y: &[f64],
        x_pred: &[Mat<f64>],
    ) -> Result<Vec<Vec<f64>>> {
        match self {
            RewardLearner::Regressor(l) => {
                let m = l.with_seed(seed).fit(x_train.as_ref(), y, None)?;
                x_pred.iter().map(|x| Ok(m.predict(x.as_ref())?)).collect()
            }
            RewardLearner::Classifier(l) => {
                let m = l.with_seed(seed).fit(x_train.as_ref(), y, None)?;
                x_pred.iter().map(|x| Ok(m.predict_proba(x.as_ref())?)).collect()
            }
        }
    }
}

fn rows_of(x: &Mat<f64>, rows: &[usize], extra: Option<&dyn Fn(usize) -> Vec<f64>>) -> Mat<f64> {
    let p = x.ncols();
    let d = extra.map_or(0, |f| f(rows.first().copied().unwrap_or(0)).len());
    let mut out = Mat::zeros(rows.len(), p + d);
    for (r, &i) in rows.iter().enumerate() {
        for j in 0..p {
            out[(r, j)] = x[(i, j)];
        }
        if let Some(f) = extra {
            for (j, v) in f(i).into_iter().enumerate() {
                out[(r, p + j)] = v;
            }
        }
    }
    out
}

/// Fits q̂ by `n_folds`-fold cross-fitting and returns the `n × K` matrix of
/// out-of-fold predictions `q̂(x_i, a)` for every row and arm.
///
/// `x` holds the covariates (n × p), `actions` the logged arms, `rewards`
/// the rewards. Fold `f`'s learner gets seed `derive_seed(seed, f)` (per-arm
/// models `derive_seed(seed, f·K + a)`); folds fit in parallel.
#[allow(clippy::too_many_arguments)]
pub fn cross_fit_q_hat(
    x: &Mat<f64>,
    actions: &[usize],
    rewards: &[f64],
    n_arms: usize,
    learner: RewardLearner<'_>,
    features: &RewardFeatures,
    n_folds: usize,
    seed: u64,
) -> Result<Mat<f64>> {
    let n = x.nrows();
    for (what, got) in [("actions", actions.len()), ("rewards", rewards.len())] {
        if got != n {
            return Err(OpeError::Shape {
                what: what.into(),
                expected: format!("{n} rows (as the covariates)"),
                got: format!("{got} rows"),
            });
        }
    }
    if let RewardFeatures::Joint(Some(f)) = features
        && f.nrows() != n_arms
    {
        return Err(OpeError::Shape {
            what: "arm features".into(),
            expected: format!("{n_arms} rows (one per arm)"),
            got: format!("{} rows", f.nrows()),
        });
    }
    let folds = Folds::stratified(actions, n_arms, n_folds, seed)?;
    let arm_code = |a: usize| -> Vec<f64> {
        match features {
            RewardFeatures::Joint(Some(f)) => (0..f.ncols()).map(|j| f[(a, j)]).collect(),
            _ => (1..n_arms).map(|b| if a == b { 1.0 } else { 0.0 }).collect(),
        }
    };
    let per_fold: Vec<Result<Vec<Vec<f64>>>> = (0..folds.k())
        .into_par_iter()
        .map(|f| {
            let train = folds.train(f);
            let test = folds.test(f);
            match features {
                RewardFeatures::PerArm => {
                    let x_test = rows_of(x, test, None);
                    let mut cols = Vec::with_capacity(n_arms);
                    for a in 0..n_arms {
                        let rows: Vec<usize> = train.iter().copied().filter(|&i| actions[i] == a).collect();
                        if rows.len() < 2 {
                            return Err(OpeError::NotEnoughSamples {
                                what: format!("reward model for arm {a} in cross-fitting fold {f}"),
                                needed: 2,
                                got: rows.len(),
                            });
                        }
                        let y: Vec<f64> = rows.iter().map(|&i| rewards[i]).collect();
                        let xt = rows_of(x, &rows, None);
                        let s = derive_seed(seed, (f * n_arms + a) as u64);
                        cols.push(learner.fit_predict(s, &xt, &y, std::slice::from_ref(&x_test))?.remove(0));
                    }
                    Ok(cols)
                }
                RewardFeatures::Joint(_) => {
                    let logged = |i: usize| arm_code(actions[i]);
                    let xt = rows_of(x, &train, Some(&logged));
                    let y: Vec<f64> = train.iter().map(|&i| rewards[i]).collect();
                    let preds: Vec<Mat<f64>> = (0..n_arms)
                        .map(|a| {
                            let code = |_: usize| arm_code(a);
                            rows_of(x, test, Some(&code))
                        })
                        .collect();
                    learner.fit_predict(derive_seed(seed, f as u64), &xt, &y, &preds)
                }
            }
        })
        .collect();
    let mut q = Mat::zeros(n, n_arms);
    for (f, cols) in per_fold.into_iter().enumerate() {
        let cols = cols?;
        for (a, col) in cols.iter().enumerate() {
            for (r, &i) in folds.test(f).iter().enumerate() {
                q[(i, a)] = col[r];
            }
        }
    }
    Ok(q)
}
