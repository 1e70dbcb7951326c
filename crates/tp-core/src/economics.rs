//! Campaign economics: what a unit of outcome is worth, what each arm costs.
//!
//! One type for every stage that prices a decision (the policy rules, the
//! simulator's truth, the pipeline). Arm 0 is always the control: no
//! treatment, no cost. Arms `1..K` are the treatments, each with its own cost
//! per treated unit. With margin `m` (value per unit of outcome) and cost
//! `c_a`, the net value of treating customer `i` with arm `a` is
//! `m·τ_a(x_i) − c_a`, and the break-even effect is `τ*_a = c_a / m`. A fixed
//! cost is charged once if anyone is treated.

use crate::error::{CoreError, Result};
use serde::{Deserialize, Serialize};

/// Margin, per-arm costs and fixed cost of a campaign. Deserializing
/// validates like [`Economics::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EconomicsForm")]
pub struct Economics {
    margin: f64,
    costs: Vec<f64>,
    fixed_cost: f64,
}

/// The on-disk form, validated into [`Economics`].
#[derive(Deserialize)]
struct EconomicsForm {
    margin: f64,
    costs: Vec<f64>,
    #[serde(default)]
    fixed_cost: f64,
}

impl TryFrom<EconomicsForm> for Economics {
    type Error = CoreError;
    fn try_from(f: EconomicsForm) -> Result<Self> {
        Economics::new(f.margin, f.costs)?.with_fixed_cost(f.fixed_cost)
    }
}

impl Economics {
    /// Economics with `margin` (value of one unit of outcome, `> 0`) and the cost
    /// per treated unit of each treatment arm (`costs[a − 1]` for arm `a`, each
    /// finite and `≥ 0`; the control costs nothing and is not listed). The
    /// fixed cost starts at zero.
    pub fn new(margin: f64, costs: Vec<f64>) -> Result<Self> {
        if !(margin.is_finite() && margin > 0.0) {
            return Err(CoreError::InvalidParameter {
                name: "margin".into(),
                value: margin.to_string(),
                expected: "a finite value > 0 (the value of one unit of outcome, e.g. 0.3 for a 30% margin \
                           on spend)"
                    .into(),
            });
        }
        if costs.is_empty() {
            return Err(CoreError::InvalidParameter {
                name: "costs".into(),
                value: "none".into(),
                expected: "one cost per treatment arm (control costs nothing)".into(),
            });
        }
        for (a, &c) in costs.iter().enumerate() {
            if !(c.is_finite() && c >= 0.0) {
                return Err(CoreError::InvalidParameter {
                    name: format!("cost of arm {}", a + 1),
                    value: c.to_string(),
                    expected: "a finite cost per treated unit >= 0".into(),
                });
            }
        }
        Ok(Economics { margin, costs, fixed_cost: 0.0 })
    }

    /// Sets a fixed cost (finite, `≥ 0`) charged once when at least one unit is treated.
    pub fn with_fixed_cost(mut self, fixed_cost: f64) -> Result<Self> {
        if !(fixed_cost.is_finite() && fixed_cost >= 0.0) {
            return Err(CoreError::InvalidParameter {
                name: "fixed cost".into(),
                value: fixed_cost.to_string(),
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

    /// Costs per treated unit of arms `1..K` (the control's is not listed: it is 0).
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

    /// Cost per unit of arm `a` (0 for the control). Panics if `a ≥ K`.
    pub fn cost(&self, arm: usize) -> f64 {
        if arm == 0 { 0.0 } else { self.costs[arm - 1] }
    }

    /// Break-even effect `τ*_a = c_a / m` of each treatment arm (`K − 1` values).
    pub fn breakeven(&self) -> Vec<f64> {
        self.costs.iter().map(|c| c / self.margin).collect()
    }

    /// Net value `m·τ − c_a` of giving arm `a` to a unit whose effect of `a` is `tau`
    /// (0 for the control).
    pub fn net_value(&self, arm: usize, tau: f64) -> f64 {
        if arm == 0 { 0.0 } else { self.margin * tau - self.costs[arm - 1] }
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
        assert_eq!(e.net_value(0, 100.0), 0.0);
        assert!((e.net_value(1, b[0])).abs() < 1e-12, "zero net value at break-even");
        assert_eq!(e.net_value(2, 20.0), 0.3 * 20.0 - 3.0);
    }

    #[test]
    fn bad_economics_are_named_errors() {
        let err = Economics::new(0.0, vec![1.0]).unwrap_err();
        assert!(err.to_string().contains("margin"), "{err}");
        let err = Economics::new(1.0, vec![1.0, f64::NAN]).unwrap_err();
        assert!(err.to_string().contains("cost of arm 2"), "{err}");
        let err = Economics::new(1.0, vec![]).unwrap_err();
        assert!(err.to_string().contains("one cost per treatment arm"), "{err}");
        let err = Economics::new(1.0, vec![1.0]).unwrap().with_fixed_cost(-1.0).unwrap_err();
        assert!(err.to_string().contains("fixed cost"), "{err}");
    }

    #[test]
    fn serde_round_trip_keeps_every_field() {
        let e = Economics::new(0.25, vec![2.0, 5.5]).unwrap().with_fixed_cost(100.0).unwrap();
        let back: Economics = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        let err = serde_json::from_str::<Economics>(r#"{"margin": -1, "costs": [1]}"#).unwrap_err();
        assert!(err.to_string().contains("margin"), "{err}");
    }
}
