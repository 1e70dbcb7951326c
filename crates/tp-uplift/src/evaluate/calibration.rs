//! Calibration of a CATE model (best linear predictor test) and group
//! average treatment effects.
//!
//! **BLP** (Chernozhukov et al. 2018; grf's `test_calibration`): regress
//! `Y − m̂(X)` on `(W − ê(X))·τ̄` and `(W − ê(X))·(τ̂(X) − τ̄)` without an
//! intercept, `τ̄` the mean prediction. A first coefficient near 1 says the
//! average prediction is right; a second coefficient near 1 says the
//! heterogeneity is well calibrated, and significantly above 0 that it is
//! real. Standard errors are heteroskedasticity-robust HC3, scaled by
//! `n / (n − 1)` as R's `sandwich::vcovCL` does with one cluster per row;
//! p-values are one-sided (H₀: coefficient ≤ 0), as grf reports.
//!
//! **GATE**: the mean of the doubly robust scores within a group, SE = sd/√n_g.

use super::check_finite;
use crate::{Result, UpliftError};
use serde::Serialize;
use tp_core::stats::{mean_se, normal_cdf};

/// One coefficient of the calibration regression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coefficient {
    /// Estimate.
    pub estimate: f64,
    /// HC3 standard error.
    pub se: f64,
    /// `estimate / se`.
    pub t: f64,
    /// One-sided p-value for H₀: coefficient ≤ 0 (normal approximation).
    pub p_one_sided: f64,
}

/// Result of [`test_calibration`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// Coefficient on the mean prediction (1 = calibrated on average).
    pub mean_prediction: Coefficient,
    /// Coefficient on the differential prediction (1 = calibrated
    /// heterogeneity; > 0 significantly = heterogeneity detected).
    pub differential_prediction: Coefficient,
}

/// The BLP calibration test for a binary treatment: outcomes `y`, treatment
/// indicators `w` (0/1), out-of-fold outcome means `m_hat` (E[Y | X]
/// marginal over arms), propensities `e_hat` (P(W = 1 | X)) and the CATE
/// predictions `tau_hat` to test, all evaluated on rows the CATE model did
/// not train on.
pub fn test_calibration(
    y: &[f64],
    w: &[f64],
    m_hat: &[f64],
    e_hat: &[f64],
    tau_hat: &[f64],
) -> Result<Calibration> {
    let n = y.len();
    for (what, v) in [("treatment", w), ("m_hat", m_hat), ("e_hat", e_hat), ("tau_hat", tau_hat)] {
        if v.len() != n {
            return Err(UpliftError::Shape {
                what: what.into(),
                expected: format!("{n} values (one per outcome)"),
                got: format!("{} values", v.len()),
            });
        }
        check_finite(what, v)?;
    }
    check_finite("outcome", y)?;
    if n < 3 {
        return Err(UpliftError::NotEnoughSamples { what: "calibration test".into(), needed: 3, got: n });
    }
    let tau_bar = tp_core::stats::mean(tau_hat);
    let x: Vec<[f64; 2]> =
        (0..n).map(|i| [(w[i] - e_hat[i]) * tau_bar, (w[i] - e_hat[i]) * (tau_hat[i] - tau_bar)]).collect();
    let target: Vec<f64> = (0..n).map(|i| y[i] - m_hat[i]).collect();
    let (beta, se) = ols2_hc3(&x, &target).ok_or_else(|| UpliftError::InvalidParameter {
        name: "tau_hat".into(),
        value: "constant or zero regressors".into(),
        expected: "non-constant predictions and treatment residuals (the calibration design is singular)"
            .into(),
    })?;
    let coef = |k: usize| {
        let t = beta[k] / se[k];
        Coefficient { estimate: beta[k], se: se[k], t, p_one_sided: 1.0 - normal_cdf(t) }
    };
    Ok(Calibration { mean_prediction: coef(0), differential_prediction: coef(1) })
}

/// OLS of `y` on two columns without intercept; HC3 SEs with the
/// `n/(n−1)` cluster adjustment. `None` when the design is singular.
fn ols2_hc3(x: &[[f64; 2]], y: &[f64]) -> Option<([f64; 2], [f64; 2])> {
    let n = x.len();
    let (mut a, mut b, mut c, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (xi, yi) in x.iter().zip(y) {
        a += xi[0] * xi[0];
        b += xi[0] * xi[1];
        c += xi[1] * xi[1];
        r0 += xi[0] * yi;
        r1 += xi[1] * yi;
    }
    let det = a * c - b * b;
    if det.is_nan() || det.abs() <= 1e-12 * (a * c).max(f64::MIN_POSITIVE) {
        return None;
    }
    // (XᵀX)⁻¹
    let inv = [[c / det, -b / det], [-b / det, a / det]];
    let beta = [inv[0][0] * r0 + inv[0][1] * r1, inv[1][0] * r0 + inv[1][1] * r1];
    let mut meat = [[0.0; 2]; 2];
    for (xi, yi) in x.iter().zip(y) {
        let e = yi - beta[0] * xi[0] - beta[1] * xi[1];
        let g = [inv[0][0] * xi[0] + inv[0][1] * xi[1], inv[1][0] * xi[0] + inv[1][1] * xi[1]];
        let h = xi[0] * g[0] + xi[1] * g[1];
        let u = e / (1.0 - h);
        let u2 = u * u;
        meat[0][0] += u2 * xi[0] * xi[0];
        meat[0][1] += u2 * xi[0] * xi[1];
        meat[1][1] += u2 * xi[1] * xi[1];
    }
    meat[1][0] = meat[0][1];
    let adj = n as f64 / (n as f64 - 1.0);
    let mut v = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            let mut s = 0.0;
            for k in 0..2 {
                for l in 0..2 {
                    s += inv[i][k] * meat[k][l] * inv[l][j];
                }
            }
            v[i][j] = s * adj;
        }
    }
    Some((beta, [v[0][0].sqrt(), v[1][1].sqrt()]))
}

/// Average effect in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    /// Group id.
    pub group: usize,
    /// Rows in the group.
    pub n: usize,
    /// Mean doubly robust score in the group.
    pub estimate: f64,
    /// `sd / √n` (NaN for a single row).
    pub se: f64,
}

/// Group average treatment effects: for each distinct `group` id (in
/// increasing order) the mean of `scores` (doubly robust effect scores) and
/// its SE. Segments make natural groups.
pub fn gate(scores: &[f64], group: &[usize]) -> Result<Vec<Gate>> {
    if group.len() != scores.len() {
        return Err(UpliftError::Shape {
            what: "group".into(),
            expected: format!("{} values (one per score)", scores.len()),
            got: format!("{} values", group.len()),
        });
    }
    check_finite("DR scores", scores)?;
    let k = group.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (&g, &s) in group.iter().zip(scores) {
        members[g].push(s);
    }
    Ok(members
        .into_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(g, m)| {
            let (estimate, se) = mean_se(&m);
            Gate { group: g, n: m.len(), estimate, se }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_model_gives_unit_coefficients() {
        // Y = m + (W − e)·τ exactly ⇒ both coefficients 1.
        let n = 200;
        let e: Vec<f64> = (0..n).map(|i| 0.3 + 0.4 * ((i * 7) % 10) as f64 / 10.0).collect();
        let w: Vec<f64> = (0..n).map(|i| f64::from(u8::from((i * 13) % 10 < 5))).collect();
        let tau: Vec<f64> = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
        let m: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
        let y: Vec<f64> = (0..n).map(|i| m[i] + (w[i] - e[i]) * tau[i]).collect();
        let c = test_calibration(&y, &w, &m, &e, &tau).unwrap();
        assert!((c.mean_prediction.estimate - 1.0).abs() < 1e-10);
        assert!((c.differential_prediction.estimate - 1.0).abs() < 1e-10);
    }

    #[test]
    fn gate_by_group() {
        let g = gate(&[1.0, 3.0, 10.0, 2.0], &[0, 0, 2, 0]).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].group, g[0].n, g[0].estimate), (0, 3, 2.0));
        assert_eq!((g[1].group, g[1].n, g[1].estimate), (2, 1, 10.0));
    }
}
