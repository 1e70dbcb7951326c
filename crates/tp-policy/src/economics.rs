//! Campaign economics: what a unit of outcome is worth, what each arm costs.
//!
//! Arm 0 is always the control (no treatment, no cost); arms `1..K` are the
//! treatments with their own cost per treated unit. With margin `m` (value
//! per unit of outcome) and cost `c_a`, the net value of treating customer `i`
//! with arm `a` is `m·τ_a(x_i) − c_a`, and the break-even effect is
//! `τ*_a = c_a / m`. A fixed cost is charged once if anyone is treated.

use crate::error::{PolicyError, Result, check_finite};
use tp_core::faer::{Mat, MatRef};

pub use tp_core::Economics;

/// What the rules need of [`Economics`] beyond its figures.
pub(crate) trait EconomicsExt {
    /// Checks that `tau` has `K − 1` finite columns; `what` names it in errors.
    fn check_effects(&self, what: &str, tau: MatRef<'_, f64>) -> Result<()>;
    /// Net value `m·τ_a(x_i) − c_a` of each row and treatment arm (`n × (K − 1)`).
    #[cfg(test)]
    fn net_values(&self, tau: MatRef<'_, f64>) -> Result<Mat<f64>>;
    /// Rewards with the control as column 0 (`n × K`, column 0 is zero, column
    /// `a` is `m·τ_a − c_a`): the per-row objective of rules and trees.
    fn rewards(&self, effects: MatRef<'_, f64>) -> Mat<f64>;
    /// The best treatment arm of each row by net value and that net value
    /// (ties go to the lower arm index), whether or not it is positive.
    fn best_treatment(&self, tau: MatRef<'_, f64>) -> (Vec<usize>, Vec<f64>);
}

impl EconomicsExt for Economics {
    /// Checks that `tau` has `K − 1` finite columns; `what` names it in errors.
    fn check_effects(&self, what: &str, tau: MatRef<'_, f64>) -> Result<()> {
        if tau.ncols() != self.costs().len() {
            return Err(PolicyError::Shape {
                what: what.into(),
                expected: format!("{} columns (one per treatment arm, as many as costs)", self.costs().len()),
                got: format!("{} columns", tau.ncols()),
            });
        }
        if tau.nrows() == 0 {
            return Err(PolicyError::Empty { what: what.into(), hint: "give at least one row".into() });
        }
        check_finite(what, tau)
    }

    /// Net value `m·τ_a(x_i) − c_a` of each row and treatment arm (`n × (K − 1)`).
    #[cfg(test)]
    fn net_values(&self, tau: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_effects("effects", tau)?;
        Ok(Mat::from_fn(tau.nrows(), tau.ncols(), |i, a| self.margin() * tau[(i, a)] - self.costs()[a]))
    }

    /// Rewards with the control as column 0 (`n × K`, column 0 is zero, column
    /// `a` is `m·τ_a − c_a`): the per-row objective of rules and trees.
    fn rewards(&self, effects: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(effects.nrows(), effects.ncols() + 1, |i, a| {
            if a == 0 { 0.0 } else { self.margin() * effects[(i, a - 1)] - self.costs()[a - 1] }
        })
    }

    /// The best treatment arm of each row by net value and that net value
    /// (ties go to the lower arm index), whether or not it is positive.
    fn best_treatment(&self, tau: MatRef<'_, f64>) -> (Vec<usize>, Vec<f64>) {
        let n = tau.nrows();
        let mut arm = vec![1usize; n];
        let mut net = vec![f64::NEG_INFINITY; n];
        for (a, &c) in self.costs().iter().enumerate() {
            for i in 0..n {
                let v = self.margin() * tau[(i, a)] - c;
                if v > net[i] {
                    net[i] = v;
                    arm[i] = a + 1;
                }
            }
        }
        (arm, net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_values_and_shape_errors() {
        let e = Economics::new(2.0, vec![1.0]).unwrap();
        let tau = Mat::from_fn(3, 1, |i, _| i as f64);
        let net = e.net_values(tau.as_ref()).unwrap();
        assert_eq!(net[(0, 0)], -1.0);
        assert_eq!(net[(2, 0)], 3.0);
        let wide = Mat::<f64>::zeros(3, 2);
        let err = e.net_values(wide.as_ref()).unwrap_err();
        assert!(matches!(err, PolicyError::Shape { .. }), "{err}");
        let mut bad = Mat::<f64>::zeros(3, 1);
        bad[(1, 0)] = f64::NAN;
        let err = e.net_values(bad.as_ref()).unwrap_err();
        assert!(matches!(err, PolicyError::NonFinite { row: 1, column: 0, .. }), "{err}");
    }
}
