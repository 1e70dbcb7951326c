//! The retail preset's parameters and their validation.

use crate::assign::Assignment;
use crate::error::{Result, SimError, check_f64, check_usize};

/// Labels of the campaign arms, in arm-index order (0 = control).
pub const ARM_LABELS: [&str; 3] = ["control", "coupon", "loyalty_bonus"];

/// Parameters of the simulated retail world (a consuming builder).
///
/// Defaults reproduce the reference case: 2,500 households, 102 weeks, an
/// 8-week outcome window after a mailing at week 94, a binary campaign
/// (`control`, `coupon` at $12.73) at a 30% margin, current-practice
/// assignment with propensity AUC 0.9 and 40% treated, seed 0.
#[derive(Debug, Clone, PartialEq)]
pub struct RetailParams {
    pub(crate) customers: usize,
    pub(crate) weeks: usize,
    pub(crate) window_weeks: usize,
    pub(crate) seed: u64,
    pub(crate) assignment: Assignment,
    pub(crate) arms: usize,
    pub(crate) margin: f64,
    pub(crate) coupon_cost: f64,
    pub(crate) bonus_cost: f64,
}

impl Default for RetailParams {
    fn default() -> Self {
        RetailParams {
            customers: 2500,
            weeks: 102,
            window_weeks: 8,
            seed: 0,
            assignment: Assignment::default(),
            arms: 2,
            margin: 0.30,
            coupon_cost: 12.73,
            bonus_cost: 24.50,
        }
    }
}

/// Smallest number of households.
pub const MIN_CUSTOMERS: usize = 100;
/// Largest number of households. At the default 102 weeks a household has
/// about 1,070 line items of ~60 bytes each, so 100,000 households need ~6 GB.
pub const MAX_CUSTOMERS: usize = 100_000;
/// Shortest pre-period (weeks before the mailing).
pub const MIN_PRE_WEEKS: usize = 26;

impl RetailParams {
    /// Number of households (default 2,500; allowed [100, 100,000]).
    pub fn customers(mut self, n: usize) -> Self {
        self.customers = n;
        self
    }
    /// Weeks of history including the outcome window (default 102; at most 520).
    pub fn weeks(mut self, w: usize) -> Self {
        self.weeks = w;
        self
    }
    /// Weeks in the outcome window after the mailing (default 8; allowed [1, 26]).
    pub fn window_weeks(mut self, w: usize) -> Self {
        self.window_weeks = w;
        self
    }
    /// Seed of every random draw (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// How arms are assigned (default: current practice, AUC 0.9, 40% treated).
    pub fn assignment(mut self, a: Assignment) -> Self {
        self.assignment = a;
        self
    }
    /// Number of arms including control: 2 (`control`, `coupon`; default) or
    /// 3 (adds `loyalty_bonus`).
    pub fn arms(mut self, k: usize) -> Self {
        self.arms = k;
        self
    }
    /// Gross margin on incremental spend (default 0.30; allowed (0, 1]).
    pub fn margin(mut self, m: f64) -> Self {
        self.margin = m;
        self
    }
    /// Cost per household of the coupon arm (default 12.73).
    pub fn coupon_cost(mut self, c: f64) -> Self {
        self.coupon_cost = c;
        self
    }
    /// Cost per household of the loyalty-bonus arm (default 24.50; used when `arms(3)`).
    pub fn bonus_cost(mut self, c: f64) -> Self {
        self.bonus_cost = c;
        self
    }

    /// The last week before the outcome window (the mailing week).
    pub fn mailing_week(&self) -> usize {
        self.weeks.saturating_sub(self.window_weeks)
    }

    /// Checks every parameter; `generate` calls it first.
    pub fn validate(&self) -> Result<()> {
        check_usize("customers", self.customers, MIN_CUSTOMERS, MAX_CUSTOMERS)?;
        check_usize("window_weeks", self.window_weeks, 1, 26)?;
        check_usize("weeks", self.weeks, MIN_PRE_WEEKS + 1, 520)?;
        if self.weeks < self.window_weeks + MIN_PRE_WEEKS {
            return Err(SimError::Inconsistent {
                first: "weeks",
                second: "window_weeks",
                reason: format!(
                    "weeks ({}) must be at least window_weeks ({}) + {MIN_PRE_WEEKS} pre-period weeks",
                    self.weeks, self.window_weeks
                ),
            });
        }
        check_usize("arms", self.arms, 2, 3)?;
        if !(self.margin > 0.0 && self.margin <= 1.0) {
            return Err(SimError::Parameter {
                name: "margin",
                value: self.margin.to_string(),
                allowed: "a share in (0, 1]".into(),
            });
        }
        check_f64("coupon_cost", self.coupon_cost, 0.0, 1e6)?;
        check_f64("bonus_cost", self.bonus_cost, 0.0, 1e6)?;
        self.assignment.validate()
    }

    pub(crate) fn n_arms(&self) -> usize {
        self.arms
    }
    pub(crate) fn margin_value(&self) -> f64 {
        self.margin
    }
    pub(crate) fn costs(&self) -> Vec<f64> {
        [0.0, self.coupon_cost, self.bonus_cost][..self.arms].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_parameters() {
        let e = RetailParams::default().customers(5).validate().unwrap_err();
        assert!(matches!(e, SimError::Parameter { name: "customers", .. }));
        let e = RetailParams::default().weeks(40).window_weeks(20).validate().unwrap_err();
        assert!(matches!(e, SimError::Inconsistent { first: "weeks", .. }));
        let e = RetailParams::default().arms(4).validate().unwrap_err();
        assert!(matches!(e, SimError::Parameter { name: "arms", .. }));
        let e = RetailParams::default().margin(0.0).validate().unwrap_err();
        assert!(matches!(e, SimError::Parameter { name: "margin", .. }));
        let bad = Assignment::CurrentPractice { target_auc: 1.2, treated_share: 0.4 };
        let e = RetailParams::default().assignment(bad).validate().unwrap_err();
        assert!(matches!(e, SimError::Parameter { name: "assignment.target_auc", .. }));
        assert!(RetailParams::default().validate().is_ok());
    }
}
