//! Budget-constrained allocation over several arms with their own costs.
//!
//! The problem: give each unit at most one arm so that the total value
//! `Σ v_i(a_i)` is maximal while the spend `Σ c_i(a_i)` stays within a budget.
//! Its LP relaxation (each unit's arm shares sum to at most one) is a
//! fractional multiple-choice knapsack, solved for *every* budget at once
//! along its Lagrangian path (Sverdrup, Wu, Wager & Athey 2024, "Qini curves
//! for multi-armed treatment rules"; grf-labs `maq`):
//!
//! 1. for each unit, the upper-left convex hull of its `(cost, value)` points,
//!    control `(0, 0)` included: only arms that add value for their extra cost
//!    at a falling rate survive;
//! 2. the hull segments of all units, sorted by incremental value per unit of
//!    cost, descending; within a unit they come out in hull order because the
//!    hull's slopes fall;
//! 3. walking the sorted segments gives the piecewise-linear cost curve: the
//!    LP optimum at every budget.
//!
//! **Rounding.** At a budget that falls inside a segment, the LP optimum moves
//! one unit part of the way to its next arm. [`BudgetPath::allocate`] rounds
//! that unit *down* (it keeps its previous arm), so the integer assignment
//! never overspends; the leftover budget is reported, not used. The integer
//! value is within one segment's value of the LP bound.

use crate::economics::Economics;
use crate::economics::EconomicsExt;
use crate::error::{PolicyError, Result, check_finite, check_shape};
use serde::{Deserialize, Serialize};
use tp_core::faer::MatRef;

/// One step on a unit's hull: move `unit` from arm `from` to arm `to`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// The unit (row).
    pub unit: usize,
    /// The arm the unit leaves.
    pub from: usize,
    /// The arm the unit moves to.
    pub to: usize,
    /// Extra cost of the move (`> 0`).
    pub cost: f64,
    /// Extra value of the move (`> 0`).
    pub value: f64,
}

impl Segment {
    /// Incremental value per unit of cost.
    pub fn slope(&self) -> f64 {
        self.value / self.cost
    }
}

/// The whole Lagrangian path: every budget's LP optimum and allocation.
#[derive(Debug, Clone)]
pub struct BudgetPath {
    n_arms: usize,
    start: Vec<usize>,
    segments: Vec<Segment>,
    spend: Vec<f64>,
    value: Vec<f64>,
}

/// An integer allocation at a budget (see the module notes on rounding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// The arm of each unit (0 = control).
    pub assignment: Vec<usize>,
    /// Budget asked for.
    pub budget: f64,
    /// Spend of the integer assignment (`≤ budget`).
    pub spend: f64,
    /// Value of the integer assignment.
    pub value: f64,
    /// LP (fractional) optimum at this budget: an upper bound on any integer
    /// assignment's value.
    pub lp_value: f64,
    /// The unit left part-way, if any: `(unit, next arm, fraction of the move)`.
    pub fractional: Option<(usize, usize, f64)>,
}

impl BudgetPath {
    /// The path for values `m·τ̂_a(x_i)` and per-arm costs of `econ`.
    pub fn new(econ: &Economics, tau: MatRef<'_, f64>) -> Result<Self> {
        econ.check_effects("effects", tau)?;
        let m = econ.margin();
        let costs = econ.costs();
        Ok(Self::build(tau.nrows(), tau.ncols(), |i, a| (costs[a], m * tau[(i, a)])))
    }

    /// The path for general per-unit values and costs (`n × (K − 1)` each,
    /// arm `a` in column `a − 1`, values relative to control, costs `≥ 0`).
    pub fn from_values(values: MatRef<'_, f64>, costs: MatRef<'_, f64>) -> Result<Self> {
        check_shape("costs", costs, values.nrows(), values.ncols())?;
        check_finite("values", values)?;
        check_finite("costs", costs)?;
        for j in 0..costs.ncols() {
            for i in 0..costs.nrows() {
                if costs[(i, j)] < 0.0 {
                    return Err(PolicyError::Parameter {
                        name: format!("cost of row {i}, arm {}", j + 1),
                        value: costs[(i, j)],
                        expected: "a cost >= 0".into(),
                    });
                }
            }
        }
        Ok(Self::build(values.nrows(), values.ncols(), |i, a| (costs[(i, a)], values[(i, a)])))
    }

    fn build(n: usize, n_treat: usize, point: impl Fn(usize, usize) -> (f64, f64)) -> Self {
        let mut start = vec![0usize; n];
        let mut segments = Vec::new();
        let mut base_value = 0.0;
        let mut pts: Vec<(f64, f64, usize)> = Vec::with_capacity(n_treat);
        let mut hull: Vec<(f64, f64, usize)> = Vec::with_capacity(n_treat + 1);
        for (i, s) in start.iter_mut().enumerate() {
            // start: the best zero-cost point (control unless a free arm adds value)
            let mut origin = (0.0, 0.0, 0usize);
            pts.clear();
            for a in 0..n_treat {
                let (c, v) = point(i, a);
                if c == 0.0 {
                    if v > origin.1 {
                        origin = (0.0, v, a + 1);
                    }
                } else {
                    pts.push((c, v, a + 1));
                }
            }
            *s = origin.2;
            base_value += origin.1;
            // cost ascending; at equal cost the higher value first, then the lower arm
            pts.sort_by(|p, q| p.0.total_cmp(&q.0).then(q.1.total_cmp(&p.1)).then(p.2.cmp(&q.2)));
            hull.clear();
            hull.push(origin);
            let mut best = origin.1;
            for &p in &pts {
                if p.1 <= best {
                    continue; // dominated: costs more, adds nothing
                }
                best = p.1;
                while hull.len() >= 2 {
                    let (b, t) = (hull[hull.len() - 2], hull[hull.len() - 1]);
                    // keep t only if slope(b→t) > slope(t→p)
                    if (t.1 - b.1) * (p.0 - t.0) > (p.1 - t.1) * (t.0 - b.0) {
                        break;
                    }
                    hull.pop();
                }
                hull.push(p);
            }
            for w in hull.windows(2) {
                segments.push(Segment {
                    unit: i,
                    from: w[0].2,
                    to: w[1].2,
                    cost: w[1].0 - w[0].0,
                    value: w[1].1 - w[0].1,
                });
            }
        }
        // slope descending; ties by unit then hull order (the sort is stable)
        segments.sort_by(|a, b| b.slope().total_cmp(&a.slope()).then(a.unit.cmp(&b.unit)));
        let mut spend = Vec::with_capacity(segments.len() + 1);
        let mut value = Vec::with_capacity(segments.len() + 1);
        spend.push(0.0);
        value.push(base_value);
        for s in &segments {
            spend.push(spend[spend.len() - 1] + s.cost);
            value.push(value[value.len() - 1] + s.value);
        }
        BudgetPath { n_arms: n_treat + 1, start, segments, spend, value }
    }

    /// Number of arms, control included.
    pub fn n_arms(&self) -> usize {
        self.n_arms
    }

    /// The hull segments in path order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Breakpoints `(spend, value)` of the cost curve, from zero spend to the
    /// spend that gives every unit its most valuable arm.
    pub fn curve(&self) -> Vec<[f64; 2]> {
        self.spend.iter().zip(&self.value).map(|(&s, &v)| [s, v]).collect()
    }

    /// The spend beyond which more budget adds no value.
    pub fn max_spend(&self) -> f64 {
        self.spend[self.spend.len() - 1]
    }

    /// The spend that maximizes profit `value − spend`: the end of the last
    /// segment whose value per unit of cost exceeds 1.
    pub fn profit_optimal_spend(&self) -> f64 {
        let k = self.segments.partition_point(|s| s.slope() > 1.0);
        self.spend[k]
    }

    /// Number of segments taken whole at `budget`.
    fn whole(&self, budget: f64) -> usize {
        // spend is non-decreasing; the last k with spend[k] <= budget
        self.spend.partition_point(|&s| s <= budget).saturating_sub(1)
    }

    /// The LP optimum (largest fractional value) with spend `≤ budget`.
    pub fn lp_value(&self, budget: f64) -> f64 {
        let k = self.whole(budget.max(0.0));
        match self.segments.get(k) {
            Some(s) => self.value[k] + (budget - self.spend[k]) * s.slope(),
            None => self.value[k],
        }
    }

    /// The integer allocation at `budget` (`≥ 0`), rounded down at the marginal unit.
    pub fn allocate(&self, budget: f64) -> Result<Allocation> {
        if !(budget.is_finite() && budget >= 0.0) {
            return Err(PolicyError::Parameter {
                name: "budget".into(),
                value: budget,
                expected: "a finite budget >= 0".into(),
            });
        }
        let k = self.whole(budget);
        let mut assignment = self.start.clone();
        for s in &self.segments[..k] {
            debug_assert_eq!(assignment[s.unit], s.from);
            assignment[s.unit] = s.to;
        }
        let fractional = self.segments.get(k).and_then(|s| {
            let f = (budget - self.spend[k]) / s.cost;
            (f > 0.0).then_some((s.unit, s.to, f))
        });
        Ok(Allocation {
            assignment,
            budget,
            spend: self.spend[k],
            value: self.value[k],
            lp_value: self.lp_value(budget),
            fractional,
        })
    }

    /// The profit-maximizing integer allocation with spend `≤ budget`: stops
    /// where another unit of spend returns less than one unit of value.
    pub fn allocate_for_profit(&self, budget: f64) -> Result<Allocation> {
        let a = self.allocate(budget.min(self.profit_optimal_spend()))?;
        Ok(Allocation { budget, ..a })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::faer::Mat;

    #[test]
    fn single_arm_is_greedy_by_value_per_cost() {
        let e = Economics::new(1.0, vec![2.0]).unwrap();
        let tau = Mat::from_fn(4, 1, |i, _| [4.0, 1.0, -1.0, 6.0][i]);
        let p = BudgetPath::new(&e, tau.as_ref()).unwrap();
        // segments: unit 3 (slope 3), unit 0 (2), unit 1 (0.5); unit 2 never
        let order: Vec<usize> = p.segments().iter().map(|s| s.unit).collect();
        assert_eq!(order, vec![3, 0, 1]);
        let a = p.allocate(5.0).unwrap();
        assert_eq!(a.assignment, vec![1, 0, 0, 1]);
        assert_eq!(a.spend, 4.0);
        assert_eq!(a.value, 10.0);
        assert_eq!(a.fractional, Some((1, 1, 0.5)));
        assert!((a.lp_value - 10.5).abs() < 1e-12);
        assert_eq!(p.profit_optimal_spend(), 4.0);
        assert_eq!(p.max_spend(), 6.0);
    }

    #[test]
    fn dominated_and_interior_arms_leave_the_hull() {
        // unit 0: arms (1, 1), (2, 3), (3, 3.5), (4, 3.2): arm 1 is under the
        // chord (0,0)-(2,3); arm 4 is dominated by arm 3.
        let v = Mat::from_fn(1, 4, |_, a| [1.0, 3.0, 3.5, 3.2][a]);
        let c = Mat::from_fn(1, 4, |_, a| [1.0, 2.0, 3.0, 4.0][a]);
        let p = BudgetPath::from_values(v.as_ref(), c.as_ref()).unwrap();
        let hull: Vec<(usize, usize)> = p.segments().iter().map(|s| (s.from, s.to)).collect();
        assert_eq!(hull, vec![(0, 2), (2, 3)]);
        assert!((p.lp_value(1.0) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn free_arm_is_the_start() {
        let v = Mat::from_fn(2, 2, |i, a| [[1.0, 2.0], [-1.0, 5.0]][i][a]);
        let c = Mat::from_fn(2, 2, |_, a| [0.0, 1.0][a]);
        let p = BudgetPath::from_values(v.as_ref(), c.as_ref()).unwrap();
        let a = p.allocate(0.0).unwrap();
        assert_eq!(a.assignment, vec![1, 0]);
        assert_eq!(a.value, 1.0);
        let a = p.allocate(10.0).unwrap();
        assert_eq!(a.assignment, vec![2, 2]);
        assert_eq!(a.value, 7.0);
        assert!(p.allocate(-1.0).is_err());
    }
}
