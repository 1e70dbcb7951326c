//! The fitted stages of a meta-learner (or a wrapped forest), and τ̂ from them.

use crate::Result;
use crate::learner::{FittedClf, FittedReg};
use faer::{Mat, MatRef};

/// The fitted stages of one meta-learner.
#[derive(Clone)]
pub(crate) enum Parts {
    /// One model on `[x, 1{W = 1}, …, 1{W = K−1}]`.
    S(FittedReg),
    /// One outcome model per arm (K).
    T(Vec<FittedReg>),
    /// Per treated arm: effect model on treated rows, on control rows, and
    /// the pair propensity model.
    X(Vec<(FittedReg, FittedReg, FittedClf)>),
    /// Per treated arm: the effect model (R and DR).
    Effect(Vec<FittedReg>),
    /// A causal forest: all treated arms from one forest.
    Forest(Box<crate::CausalForestModel>),
    /// An uplift random forest: all treated arms from one forest.
    UpliftForest(Box<crate::UpliftForestModel>),
}

/// The kinds of fitted stages ([`Parts`]) a meta-learner can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stages {
    /// One outcome model on the covariates plus arm indicators ([`Parts::S`]).
    Augmented,
    /// One outcome model per arm ([`Parts::T`]).
    PerArm,
    /// Two effect models and a pair propensity per treated arm ([`Parts::X`]).
    Blend,
    /// One effect model per treated arm ([`Parts::Effect`]).
    Effect,
}

/// `[x, 1{arm = 1}, …, 1{arm = K−1}]`; with `fixed = Some(a)` every row
/// gets arm `a`.
pub(crate) fn augment(x: MatRef<'_, f64>, arms: &[usize], k: usize, fixed: Option<usize>) -> Mat<f64> {
    let p = x.ncols();
    Mat::from_fn(x.nrows(), p + k - 1, |i, j| {
        if j < p {
            x[(i, j)]
        } else {
            let arm = fixed.unwrap_or_else(|| arms[i]);
            f64::from(u8::from(arm == j - p + 1))
        }
    })
}

impl Parts {
    /// τ̂ for every row of `x` (`n × (K − 1)`).
    pub(crate) fn predict(&self, x: MatRef<'_, f64>, k: usize) -> Result<Mat<f64>> {
        let n = x.nrows();
        let mut tau = Mat::<f64>::zeros(n, k - 1);
        match self {
            Parts::S(m) => {
                let base = m.predict(augment(x, &[], k, Some(0)).as_ref())?;
                for a in 1..k {
                    let pa = m.predict(augment(x, &[], k, Some(a)).as_ref())?;
                    for i in 0..n {
                        tau[(i, a - 1)] = pa[i] - base[i];
                    }
                }
            }
            Parts::T(mu) => {
                let base = mu[0].predict(x)?;
                for a in 1..k {
                    let pa = mu[a].predict(x)?;
                    for i in 0..n {
                        tau[(i, a - 1)] = pa[i] - base[i];
                    }
                }
            }
            Parts::X(per_arm) => {
                for (a, (tau1, tau0, g)) in per_arm.iter().enumerate() {
                    let (t1, t0, gg) = (tau1.predict(x)?, tau0.predict(x)?, g.predict_proba(x)?);
                    for i in 0..n {
                        tau[(i, a)] = gg[i] * t0[i] + (1.0 - gg[i]) * t1[i];
                    }
                }
            }
            Parts::Effect(per_arm) => {
                for (a, m) in per_arm.iter().enumerate() {
                    for (i, v) in m.predict(x)?.into_iter().enumerate() {
                        tau[(i, a)] = v;
                    }
                }
            }
            Parts::Forest(forest) => return forest.predict_tau_arms(x),
            Parts::UpliftForest(forest) => return forest.predict(x),
        }
        Ok(tau)
    }
}
