//! Campaign economics: what a unit of outcome is worth, what each arm costs.
//!
//! Arm 0 is always the control (no treatment, no cost); arms `1..K` are the
//! treatments with their own cost per treated unit. With margin `m` (value
//! per unit of outcome) and cost `c_a`, the net value of treating customer `i`
//! with arm `a` is `m·τ_a(x_i) − c_a`, and the break-even effect is
//! `τ*_a = c_a / m`. A fixed cost is charged once if anyone is treated.

use crate::error::{PolicyError, Result, check_finite};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};

/// Margin, per-arm costs and fixed cost of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Economics {
    margin: f64,
    costs: Vec<f64>,
    fixed_cost: f64,
}

impl Economics {
    /// Economics with `margin` (value of one unit of outcome, `> 0`) and the cost
    /// per treated unit of each treatment arm (`costs[a − 1]` for arm `a`, each
    /// finite and `≥ 0`). The fixed cost starts at zero.
    pub fn new(margin: f64, costs: Vec<f64>) -> Result<Self> {
        if !(margin.is_finite() && margin > 0.0) {
            return Err(PolicyError::Parameter {
                name: "margin".into(),
                value: margin,
                expected: "a finite value > 0 (the value of one unit of outcome, e.g. 0.3 for a 30% margin \
                           on spend)"
                    .into(),
            });
        }
        if costs.is_empty() {
            return Err(PolicyError::Empty {
                what: "costs".into(),
                hint: "give one cost per treatment arm (control costs nothing)".into(),
            });
        }
        for (a, &c) in costs.iter().enumerate() {
            if !(c.is_finite() && c >= 0.0) {
                return Err(PolicyError::Parameter {
                    name: format!("cost of arm {}", a + 1),
                    value: c,
                    expected: "a finite cost per treated unit >= 0".into(),
                });
            }
        }
        Ok(Economics { margin, costs, fixed_cost: 0.0 })
    }

    /// Sets a fixed cost (finite, `≥ 0`) charged once when at least one unit is treated.
    pub fn with_fixed_cost(mut self, fixed_cost: f64) -> Result<Self> {
        if !(fixed_cost.is_finite() && fixed_cost >= 0.0) {
            return Err(PolicyError::Parameter {
                name: "fixed cost".into(),
                value: fixed_cost,
                expected: "a finite value >= 0".into(),
            });
        }
        self.fixed_cost = fixed_cost;
        Ok(self)
    }

    /// Value of one unit of outcome.
    pub fn margin(&self) -> f64 {
        self.margin
    }

    /// Costs per treated unit of arms `1..K`.
    pub fn costs(&self) -> &[f64] {
        &self.costs
    }

    /// The fixed cost.
    pub fn fixed_cost(&self) -> f64 {
        self.fixed_cost
    }

    /// Number of arms `K`, control included.
    pub fn n_arms(&self) -> usize {
        self.costs.len() + 1
    }

    /// Cost per unit of arm `a` (0 for the control).
    pub fn cost(&self, arm: usize) -> f64 {
        if arm == 0 { 0.0 } else { self.costs[arm - 1] }
    }

    /// Break-even effect `τ*_a = c_a / m` of each treatment arm.
    pub fn breakeven(&self) -> Vec<f64> {
        self.costs.iter().map(|c| c / self.margin).collect()
    }

    /// Checks that `tau` has `K − 1` finite columns; `what` names it in errors.
    pub(crate) fn check_effects(&self, what: &str, tau: MatRef<'_, f64>) -> Result<()> {
        if tau.ncols() != self.costs.len() {
            return Err(PolicyError::Shape {
                what: what.into(),
                expected: format!("{} columns (one per treatment arm, as many as costs)", self.costs.len()),
                got: format!("{} columns", tau.ncols()),
            });
        }
        if tau.nrows() == 0 {
            return Err(PolicyError::Empty { what: what.into(), hint: "give at least one row".into() });
        }
        check_finite(what, tau)
    }

    /// Net value `m·τ_a(x_i) − c_a` of each row and treatment arm (`n × (K − 1)`).
    pub fn net_values(&self, tau: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_effects("effects", tau)?;
        Ok(Mat::from_fn(tau.nrows(), tau.ncols(), |i, a| self.margin * tau[(i, a)] - self.costs[a]))
    }

    /// Rewards with the control as column 0 (`n × K`, column 0 is zero, column
    /// `a` is `m·τ_a − c_a`): the per-row objective of rules and trees.
    pub(crate) fn rewards(&self, effects: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(effects.nrows(), effects.ncols() + 1, |i, a| {
            if a == 0 { 0.0 } else { self.margin * effects[(i, a - 1)] - self.costs[a - 1] }
        })
    }

    /// The best treatment arm of each row by net value and that net value
    /// (ties go to the lower arm index), whether or not it is positive.
    pub(crate) fn best_treatment(&self, tau: MatRef<'_, f64>) -> (Vec<usize>, Vec<f64>) {
        let n = tau.nrows();
        let mut arm = vec![1usize; n];
        let mut net = vec![f64::NEG_INFINITY; n];
        for (a, &c) in self.costs.iter().enumerate() {
            for i in 0..n {
                let v = self.margin * tau[(i, a)] - c;
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
    fn breakeven_is_cost_over_margin() {
        let e = Economics::new(0.3, vec![12.73, 3.0]).unwrap();
        let b = e.breakeven();
        assert!((b[0] - 42.433_333_333).abs() < 1e-6);
        assert!((b[1] - 10.0).abs() < 1e-12);
        assert_eq!(e.n_arms(), 3);
        assert_eq!(e.cost(0), 0.0);
        assert_eq!(e.cost(2), 3.0);
    }

    #[test]
    fn bad_economics_are_named_errors() {
        let err = Economics::new(0.0, vec![1.0]).unwrap_err();
        assert!(err.to_string().contains("margin"), "{err}");
        let err = Economics::new(1.0, vec![1.0, f64::NAN]).unwrap_err();
        assert!(err.to_string().contains("cost of arm 2"), "{err}");
        assert!(Economics::new(1.0, vec![]).is_err());
        assert!(Economics::new(1.0, vec![1.0]).unwrap().with_fixed_cost(-1.0).is_err());
    }

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
