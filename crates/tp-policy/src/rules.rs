//! Decision rules from effect estimates: break-even threshold, top share,
//! risk adjustment, and a given current practice.
//!
//! Every rule returns an *assignment*: one arm index per row, `0` for the
//! control (not treated).

use crate::economics::Economics;
use crate::economics::EconomicsExt;
use crate::error::{PolicyError, Result, check_assignment, check_finite, check_shape};
use tp_core::faer::{Mat, MatRef};

/// Threshold rule: treat row `i` with the arm of highest net value
/// `m·τ̂_a(x_i) − c_a` if that value is positive, else leave it in control.
/// With one arm this is "treat iff τ̂(x) > τ* = c / m". Ties go to the lower arm.
pub fn threshold(econ: &Economics, tau: MatRef<'_, f64>) -> Result<Vec<usize>> {
    econ.check_effects("effects", tau)?;
    let (arm, net) = econ.best_treatment(tau);
    Ok(arm.into_iter().zip(net).map(|(a, v)| if v > 0.0 { a } else { 0 }).collect())
}

/// Top-share rule: rank rows by the net value of their best arm and treat the
/// top `round(share·n)` rows with that arm, profitable or not. Ties in the
/// score are broken by row order (earlier rows first).
pub fn top_share(econ: &Economics, tau: MatRef<'_, f64>, share: f64) -> Result<Vec<usize>> {
    econ.check_effects("effects", tau)?;
    if !(0.0..=1.0).contains(&share) {
        return Err(PolicyError::Parameter {
            name: "share".into(),
            value: share,
            expected: "a share of customers in [0, 1]".into(),
        });
    }
    let n = tau.nrows();
    let (arm, net) = econ.best_treatment(tau);
    let order = rank_descending(&net);
    let k = (share * n as f64).round() as usize;
    let mut out = vec![0; n];
    for &i in &order[..k.min(n)] {
        out[i] = arm[i];
    }
    Ok(out)
}

/// Row indices sorted by `score` descending (stable: ties keep row order).
pub(crate) fn rank_descending(score: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    order
}

/// Risk-adjusted effects `CE(λ) = (1 − λ)·τ̂ + λ·LB` from the point estimates
/// and their lower confidence bounds (same shape), `λ ∈ [0, 1]`: `λ = 0` is
/// risk-neutral, `λ = 1` acts on the lower bound alone.
pub fn risk_adjusted(tau: MatRef<'_, f64>, lower: MatRef<'_, f64>, lambda: f64) -> Result<Mat<f64>> {
    if !(0.0..=1.0).contains(&lambda) {
        return Err(PolicyError::Parameter {
            name: "risk lambda".into(),
            value: lambda,
            expected: "a weight in [0, 1] on the lower confidence bound".into(),
        });
    }
    check_shape("lower bounds", lower, tau.nrows(), tau.ncols())?;
    check_finite("effects", tau)?;
    check_finite("lower bounds", lower)?;
    Ok(Mat::from_fn(tau.nrows(), tau.ncols(), |i, a| (1.0 - lambda) * tau[(i, a)] + lambda * lower[(i, a)]))
}

/// Validates a given assignment (e.g. current practice) against `n` rows and
/// the arms of `econ`, and returns it.
pub fn current_practice(econ: &Economics, assignment: &[usize], n: usize) -> Result<Vec<usize>> {
    check_assignment("current practice", assignment, n, econ.n_arms())?;
    Ok(assignment.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn econ2() -> Economics {
        Economics::new(2.0, vec![1.0, 3.0]).unwrap()
    }

    #[test]
    fn threshold_one_arm_is_breakeven() {
        let e = Economics::new(0.5, vec![1.0]).unwrap(); // τ* = 2
        let tau = Mat::from_fn(4, 1, |i, _| [1.0, 2.0, 2.5, -3.0][i]);
        assert_eq!(threshold(&e, tau.as_ref()).unwrap(), vec![0, 0, 1, 0]);
    }

    #[test]
    fn threshold_multi_arm_picks_best_positive_net() {
        // nets: arm1 = 2τ1 − 1, arm2 = 2τ2 − 3
        let tau = Mat::from_fn(3, 2, |i, a| [[1.0, 1.0], [1.0, 3.0], [0.2, 1.4]][i][a]);
        // row0: 1, −1 → arm1; row1: 1, 3 → arm2; row2: −0.6, −0.2 → control
        assert_eq!(threshold(&econ2(), tau.as_ref()).unwrap(), vec![1, 2, 0]);
    }

    #[test]
    fn top_share_treats_the_best_ranked() {
        let e = Economics::new(1.0, vec![10.0]).unwrap();
        let tau = Mat::from_fn(5, 1, |i, _| [1.0, 5.0, 3.0, 4.0, 2.0][i]);
        assert_eq!(top_share(&e, tau.as_ref(), 0.4).unwrap(), vec![0, 1, 0, 1, 0]);
        assert_eq!(top_share(&e, tau.as_ref(), 0.0).unwrap(), vec![0; 5]);
        assert_eq!(top_share(&e, tau.as_ref(), 1.0).unwrap(), vec![1; 5]);
        assert!(top_share(&e, tau.as_ref(), 1.5).is_err());
    }

    #[test]
    fn risk_adjustment_interpolates() {
        let tau = Mat::from_fn(2, 1, |i, _| [4.0, 2.0][i]);
        let lb = Mat::from_fn(2, 1, |i, _| [0.0, 1.0][i]);
        let ce = risk_adjusted(tau.as_ref(), lb.as_ref(), 0.25).unwrap();
        assert_eq!(ce[(0, 0)], 3.0);
        assert_eq!(ce[(1, 0)], 1.75);
        assert!(risk_adjusted(tau.as_ref(), lb.as_ref(), -0.1).is_err());
        let short = Mat::<f64>::zeros(1, 1);
        assert!(matches!(risk_adjusted(tau.as_ref(), short.as_ref(), 0.5), Err(PolicyError::Shape { .. })));
    }

    #[test]
    fn current_practice_is_checked() {
        assert!(current_practice(&econ2(), &[0, 1, 2], 3).is_ok());
        let err = current_practice(&econ2(), &[0, 3, 2], 3).unwrap_err();
        assert!(matches!(err, PolicyError::ArmOutOfRange { row: 1, arm: 3, .. }), "{err}");
        assert!(current_practice(&econ2(), &[0, 1], 3).is_err());
    }
}
