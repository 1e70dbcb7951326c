//! Choosing the λ of Switch-DR and DRos by SLOPE (Su, Srinath &
//! Krishnamurthy 2020; Tucker & Lee 2021's SLOPE++ as the Open Bandit
//! Pipeline implements it as its `tuning_method="slope"`).
//!
//! Each candidate λ gives an estimate θ and a standard error; its
//! confidence width is `cnf = z₀.₉₅ · se`. Candidates are visited from the
//! widest interval (least bias) to the narrowest, and one is kept while it
//! lies within `cnf_i + (√6 − 1)·cnf_j` of every candidate kept before it;
//! the last one kept is chosen: the narrowest interval whose estimate still
//! agrees with the less biased ones.

use crate::estimators::{Estimator, Knobs, terms};
use crate::input::RowData;
use crate::interval::normal_interval;
use tp_core::stats::normal_quantile;

/// The default λ candidates (the Open Bandit Pipeline's grid in its
/// benchmarks): 10, 50, 100, 500, 1,000, 5,000, 10,000 and ∞.
pub const SLOPE_GRID: [f64; 8] = [10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0, f64::INFINITY];

/// SLOPE's choice among `candidates` given as `(λ, estimate, se)`: the
/// index of the chosen candidate (see the module docs). An empty slice is
/// not allowed (the caller checks the grid).
pub fn slope(candidates: &[(f64, f64, f64)]) -> usize {
    assert!(!candidates.is_empty(), "slope needs at least one candidate");
    let c = 6f64.sqrt() - 1.0;
    let z = normal_quantile(0.95);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    // widest first; ties (and NaN) keep the grid order
    order.sort_by(|&a, &b| candidates[b].2.total_cmp(&candidates[a].2));
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(candidates.len());
    for (pos, &i) in order.iter().enumerate() {
        let (_, theta, se) = candidates[i];
        let cnf = z * se;
        if kept.iter().all(|&(t, cj)| (t - theta).abs() <= cnf + c * cj) {
            kept.push((theta, cnf));
        } else {
            return order[pos - 1];
        }
    }
    order[order.len() - 1]
}

/// The λ SLOPE picks from `grid` for `est` (Switch-DR or DRos) on these rows.
pub(crate) fn tune_lambda(est: Estimator, rows: &RowData, knobs: &Knobs, grid: &[f64]) -> f64 {
    let candidates: Vec<(f64, f64, f64)> = grid
        .iter()
        .map(|&l| {
            let k = match est {
                Estimator::SwitchDr => Knobs { switch_lambda: l, ..*knobs },
                _ => Knobs { dros_lambda: l, ..*knobs },
            };
            let t = terms(est, rows, &k);
            let value = t.value();
            let (se, _, _) = normal_interval(value, &t.influence(), 0.05);
            (l, value, se)
        })
        .collect();
    grid[slope(&candidates)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_stops_before_the_first_disagreeing_candidate() {
        // widths fall with λ; the estimate drifts away once λ is small (bias)
        let c = [(1.0, 0.0, 0.01), (10.0, 0.5, 0.05), (100.0, 0.52, 0.1), (1000.0, 0.55, 0.2)];
        // visit order 1000, 100, 10, 1: 10 agrees with both, 1 (0.0) does not agree with 10
        assert_eq!(slope(&c), 1);
        // all agree: the narrowest is chosen
        let c = [(1.0, 0.5, 0.01), (10.0, 0.5, 0.05), (100.0, 0.5, 0.1)];
        assert_eq!(slope(&c), 0);
        // the second-widest already disagrees: the widest is kept
        let c = [(1.0, 3.0, 0.01), (10.0, 2.0, 0.05), (100.0, 0.0, 0.1)];
        assert_eq!(slope(&c), 2);
        assert_eq!(slope(&[(5.0, 1.0, 0.3)]), 0);
    }

    #[test]
    fn slope_threshold_is_cnf_i_plus_c_cnf_j() {
        // two candidates, se 0.1 (wide, kept first) and 0.05: the bound is
        // z·0.05 + (√6 − 1)·z·0.1 with z = 1.6449
        let z = normal_quantile(0.95);
        let bound = z * 0.05 + (6f64.sqrt() - 1.0) * z * 0.1;
        assert_eq!(slope(&[(1.0, bound - 1e-9, 0.05), (2.0, 0.0, 0.1)]), 0);
        assert_eq!(slope(&[(1.0, bound + 1e-9, 0.05), (2.0, 0.0, 0.1)]), 1);
    }
}
