//! Augmented inverse-propensity-weighted (doubly robust) scores.
//!
//! Γ_i(a) = μ̂_a(X_i) + 1{W_i = a}·(Y_i − μ̂_a(X_i)) / ê_a(X_i)
//! (Robins, Rotnitzky & Zhao 1994). The mean of Γ(a) − Γ(0) is the AIPW
//! estimate of the effect of arm `a` vs control, its standard deviation over
//! √n the influence-function standard error; policy values, RATE, GATEs and
//! policy trees all average the same matrix over different sets of rows.

use crate::error::{CoreError, Result};
use faer::{Mat, MatRef};

/// The `n × K` matrix of AIPW scores from outcomes `y`, received arms,
/// outcome-model predictions `mu` (`n × K`, μ̂_a(X_i)) and propensities `e`
/// (`n × K`, ê_a(X_i)).
///
/// Errors on mismatched shapes, non-finite inputs, an arm index `≥ K`, or a
/// received arm whose propensity is not in `(0, 1]`.
pub fn aipw_scores(y: &[f64], arms: &[usize], mu: MatRef<'_, f64>, e: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let n = y.len();
    let k = mu.ncols();
    let shape =
        |what: &str, expected: String, got: String| CoreError::Shape { what: what.into(), expected, got };
    if arms.len() != n {
        return Err(shape("arms", format!("{n} values"), format!("{}", arms.len())));
    }
    if mu.nrows() != n {
        return Err(shape("outcome predictions", format!("{n} rows"), format!("{} rows", mu.nrows())));
    }
    if e.nrows() != n || e.ncols() != k {
        return Err(shape("propensities", format!("{n} × {k}"), format!("{} × {}", e.nrows(), e.ncols())));
    }
    let mut g = Mat::<f64>::zeros(n, k);
    for i in 0..n {
        let w = arms[i];
        if w >= k {
            return Err(CoreError::ArmOutOfRange { row: i, index: w, n_arms: k });
        }
        if !y[i].is_finite() {
            return Err(CoreError::NonFinite { column: "outcome".into(), row: i, value: y[i] });
        }
        for a in 0..k {
            let m = mu[(i, a)];
            if !m.is_finite() {
                return Err(CoreError::NonFinite { column: format!("mu_{a}"), row: i, value: m });
            }
            g[(i, a)] = m;
        }
        let p = e[(i, w)];
        if !(p > 0.0 && p <= 1.0) {
            return Err(CoreError::Probability {
                what: "propensity of the received arm".into(),
                row: i,
                arm: w.to_string(),
                value: p,
                range: "(0, 1]; trim rows without overlap or clip propensities".into(),
            });
        }
        g[(i, w)] += (y[i] - mu[(i, w)]) / p;
    }
    Ok(g)
}

/// Per-row effect scores Γ_i(a) − Γ_i(0) of arm `a` vs control.
pub fn contrast_scores(scores: MatRef<'_, f64>, arm: usize) -> Vec<f64> {
    (0..scores.nrows()).map(|i| scores[(i, arm)] - scores[(i, 0)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_by_hand() {
        let y = [3.0, 1.0];
        let arms = [1, 0];
        let mu = Mat::from_fn(2, 2, |i, a| (i + a) as f64); // [[0,1],[1,2]]
        let e = Mat::from_fn(2, 2, |_, _| 0.5);
        let g = aipw_scores(&y, &arms, mu.as_ref(), e.as_ref()).unwrap();
        // row 0 got arm 1: Γ(1) = 1 + (3 − 1)/0.5 = 5, Γ(0) = 0
        assert_eq!((g[(0, 0)], g[(0, 1)]), (0.0, 5.0));
        // row 1 got arm 0: Γ(0) = 1 + (1 − 1)/0.5 = 1, Γ(1) = 2
        assert_eq!((g[(1, 0)], g[(1, 1)]), (1.0, 2.0));
        assert_eq!(contrast_scores(g.as_ref(), 1), vec![5.0, 1.0]);
    }

    #[test]
    fn dr_equals_dm_when_residuals_vanish() {
        // μ̂ exact on the received arm ⇒ Γ = μ̂ whatever ê.
        let mu = Mat::from_fn(3, 2, |i, a| (2 * i + a) as f64);
        let arms = [0, 1, 1];
        let y: Vec<f64> = (0..3).map(|i| mu[(i, arms[i])]).collect();
        let e = Mat::from_fn(3, 2, |i, a| if a == 0 { 0.1 + 0.2 * i as f64 } else { 0.9 - 0.2 * i as f64 });
        let g = aipw_scores(&y, &arms, mu.as_ref(), e.as_ref()).unwrap();
        assert_eq!(g, mu);
    }

    #[test]
    fn zero_propensity_is_an_error() {
        let mu = Mat::<f64>::zeros(1, 2);
        let e = Mat::from_fn(1, 2, |_, a| if a == 0 { 1.0 } else { 0.0 });
        assert!(matches!(
            aipw_scores(&[1.0], &[1], mu.as_ref(), e.as_ref()),
            Err(CoreError::Probability { row: 0, .. })
        ));
        assert!(matches!(
            aipw_scores(&[1.0, 2.0], &[0], mu.as_ref(), e.as_ref()),
            Err(CoreError::Shape { .. })
        ));
    }
}
