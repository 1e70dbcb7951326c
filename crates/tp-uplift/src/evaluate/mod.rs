//! Evaluating a ranking or a CATE model: pure functions of outcomes, arms
//! and scores.
//!
//! - [`curves`]: uplift and Qini curves, AUUC and the Qini coefficient (raw
//!   and normalized by the perfect curve), uplift@k, uplift by percentile —
//!   scikit-uplift's conventions;
//! - [`rate`]: the rank-weighted average treatment effect (AUTOC and Qini
//!   weighting) with a half-sample bootstrap SE, as grf computes it;
//! - [`calibration`]: the best-linear-predictor calibration test
//!   (grf's `test_calibration`) and group average effects (GATE).
//!
//! Evaluate on rows the model was not fitted on (a holdout or cross-fitted
//! predictions): in-sample rankings look better than they are.

pub mod calibration;
pub mod curves;
pub mod rate;
mod summary;

pub use summary::{Evaluation, EvaluationParams, evaluate_ranking};

use crate::{Result, UpliftError};

/// Checks `(y, treatment, score)` for evaluation: equal lengths, at least two
/// rows, finite values, binary treatment with both groups present.
pub(crate) fn check_inputs(y: &[f64], treatment: &[usize], score: &[f64]) -> Result<()> {
    let n = y.len();
    for (what, len) in [("treatment", treatment.len()), ("score", score.len())] {
        if len != n {
            return Err(UpliftError::Shape {
                what: what.into(),
                expected: format!("{n} values (one per outcome)"),
                got: format!("{len} values"),
            });
        }
    }
    if n < 2 {
        return Err(UpliftError::NotEnoughSamples { what: "uplift evaluation".into(), needed: 2, got: n });
    }
    check_finite("outcome", y)?;
    check_finite("score", score)?;
    if let Some((row, &a)) = treatment.iter().enumerate().find(|(_, a)| **a > 1) {
        return Err(UpliftError::NotBinary {
            what: "treatment".into(),
            row,
            value: a as f64,
            hint: "evaluate one arm against control at a time".into(),
        });
    }
    let nt = treatment.iter().filter(|&&a| a == 1).count();
    if nt == 0 || nt == n {
        return Err(UpliftError::NotEnoughSamples {
            what: if nt == 0 { "treated rows".into() } else { "control rows".into() },
            needed: 1,
            got: 0,
        });
    }
    Ok(())
}

pub(crate) fn check_finite(what: &str, x: &[f64]) -> Result<()> {
    match x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((row, &value)) => Err(UpliftError::NonFinite { what: what.into(), row, value }),
        None => Ok(()),
    }
}
