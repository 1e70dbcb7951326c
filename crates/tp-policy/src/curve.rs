//! Money from doubly robust scores: the profit of an assignment, the profit
//! curve over the share targeted, and the per-segment view.
//!
//! With AIPW scores `Γ_i(a)` (`tp_core::aipw_scores`) the effect scores are
//! `D_i(a) = Γ_i(a) − Γ_i(0)`, and the estimated profit of an assignment `π`
//! over the `n` customers at hand is
//! `P̂(π) = Σ_i z_i − F·1{anyone treated}` with `z_i = m·D_i(π_i) − c_{π_i}`
//! (zero for control rows). Its standard error is `sd(z)·√n`: `P̂ = n·mean(z)`
//! and `mean(z)` has standard error `sd(z)/√n` (the fixed cost `F` is known).
//! Without scores the same formulas run on `τ̂` itself ("plug-in"), whose
//! standard error then reflects only the spread of `τ̂`, not its error.

use crate::economics::Economics;
use crate::economics::EconomicsExt;
use crate::error::{PolicyError, Result, check_assignment, check_finite};
use crate::rules::rank_descending;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Display;
use tp_core::faer::{Mat, MatRef};

/// A point estimate and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

/// Effect scores `Γ_i(a) − Γ_i(0)` (`n × (K − 1)`) from AIPW scores (`n × K`).
pub fn effect_scores(gamma: MatRef<'_, f64>) -> Result<Mat<f64>> {
    if gamma.ncols() < 2 {
        return Err(PolicyError::Shape {
            what: "doubly robust scores".into(),
            expected: "at least 2 columns (control first, then each treatment arm)".into(),
            got: format!("{} columns", gamma.ncols()),
        });
    }
    check_finite("doubly robust scores", gamma)?;
    Ok(Mat::from_fn(gamma.nrows(), gamma.ncols() - 1, |i, a| gamma[(i, a + 1)] - gamma[(i, 0)]))
}

/// AIPW scores (`n × K`, as `tp_core::aipw_scores`) with every inverse
/// propensity weight capped at `max_weight`: the propensities are floored at
/// `1 / max_weight` before the scores are built, so a row whose logged arm
/// had propensity `e < 1/max_weight` enters with weight `max_weight` instead
/// of `1/e`. Capping trades a bias (towards the outcome model μ̂) for far
/// smaller variance where the propensities are extreme; use the capped
/// scores to *fit* policy trees (`PolicyInputs::tree_gamma`) and the
/// uncapped ones to estimate profits.
pub fn clipped_aipw_scores(
    y: &[f64],
    arms: &[usize],
    mu: MatRef<'_, f64>,
    propensity: MatRef<'_, f64>,
    max_weight: f64,
) -> Result<Mat<f64>> {
    if max_weight.is_nan() || max_weight < 1.0 {
        return Err(PolicyError::Parameter {
            name: "max weight".into(),
            value: max_weight,
            expected: "an inverse-propensity cap of at least 1 (infinity for none)".into(),
        });
    }
    let floor = 1.0 / max_weight;
    let e = Mat::from_fn(propensity.nrows(), propensity.ncols(), |i, a| {
        let v = propensity[(i, a)];
        if v.is_finite() && v > 0.0 { v.max(floor) } else { v }
    });
    tp_core::aipw_scores(y, arms, mu, e.as_ref()).map_err(|e| PolicyError::Scores { reason: e.to_string() })
}

/// Per-row profit terms `z_i = m·D_i(π_i) − c_{π_i}` of an assignment.
fn profit_terms(econ: &Economics, scores: MatRef<'_, f64>, assignment: &[usize]) -> Vec<f64> {
    assignment
        .iter()
        .enumerate()
        .map(|(i, &a)| if a == 0 { 0.0 } else { econ.margin() * scores[(i, a - 1)] - econ.cost(a) })
        .collect()
}

fn total_estimate(z: &[f64], fixed: f64, any_treated: bool) -> Estimate {
    let n = z.len() as f64;
    let sum: f64 = z.iter().sum();
    let mean = sum / n;
    let var = if z.len() > 1 { z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    Estimate { value: sum - if any_treated { fixed } else { 0.0 }, se: (var * n).sqrt() }
}

/// Estimated total profit of `assignment` from effect scores (`n × (K − 1)`).
pub fn policy_profit(econ: &Economics, scores: MatRef<'_, f64>, assignment: &[usize]) -> Result<Estimate> {
    econ.check_effects("effect scores", scores)?;
    check_assignment("assignment", assignment, scores.nrows(), econ.n_arms())?;
    let z = profit_terms(econ, scores, assignment);
    Ok(total_estimate(&z, econ.fixed_cost(), assignment.iter().any(|&a| a > 0)))
}

/// Estimated profit of assignment `a` minus that of `b` on the same rows,
/// with the paired standard error `sd(z_a − z_b)·√n` (the rows' shared noise
/// cancels, so this SE is far smaller than either profit's).
pub fn profit_difference(
    econ: &Economics,
    scores: MatRef<'_, f64>,
    a: &[usize],
    b: &[usize],
) -> Result<Estimate> {
    econ.check_effects("effect scores", scores)?;
    check_assignment("assignment", a, scores.nrows(), econ.n_arms())?;
    check_assignment("baseline assignment", b, scores.nrows(), econ.n_arms())?;
    let (za, zb) = (profit_terms(econ, scores, a), profit_terms(econ, scores, b));
    let d: Vec<f64> = za.iter().zip(&zb).map(|(x, y)| x - y).collect();
    let fixed = |asg: &[usize]| if asg.iter().any(|&v| v > 0) { econ.fixed_cost() } else { 0.0 };
    let mut e = total_estimate(&d, 0.0, false);
    e.value -= fixed(a) - fixed(b);
    Ok(e)
}

/// A marked point on the profit curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Share of customers treated.
    pub share: f64,
    /// Estimated total profit.
    pub profit: f64,
    /// Its standard error.
    pub se: f64,
}

/// Profit over the share targeted, ranked by the net value of each row's best arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfitCurve {
    /// `[share, profit]` at the grid points.
    pub points: Vec<[f64; 2]>,
    /// Standard error of the profit at each grid point.
    pub se: Vec<f64>,
    /// Spend (variable costs plus the fixed cost once anyone is treated) at
    /// each grid point; ROI at a point is profit / spend.
    pub spend: Vec<f64>,
    /// The share (over every possible cut, not just the grid) with the highest estimated profit.
    pub argmax: Marker,
    /// Everyone treated with the single arm of highest estimated profit.
    pub treat_all: Marker,
    /// The arm of `treat_all`.
    pub treat_all_arm: usize,
    /// Nobody treated.
    pub treat_none: Marker,
    /// The given current practice, if any.
    pub current_practice: Option<Marker>,
}

/// The profit curve: rows ranked by the best net value `max_a m·τ̂_a − c_a`
/// (ties by row order); the top `k` get their best arm; profit from the
/// effect `scores`. `points ≥ 2` grid points at shares `0, 1/(points−1), …, 1`
/// (each rounded to a whole number of rows).
pub fn profit_curve(
    econ: &Economics,
    tau: MatRef<'_, f64>,
    scores: MatRef<'_, f64>,
    points: usize,
    current: Option<&[usize]>,
) -> Result<ProfitCurve> {
    econ.check_effects("effects", tau)?;
    econ.check_effects("effect scores", scores)?;
    let n = tau.nrows();
    if scores.nrows() != n {
        return Err(PolicyError::Shape {
            what: "effect scores".into(),
            expected: format!("{n} rows, as the effects"),
            got: format!("{} rows", scores.nrows()),
        });
    }
    if points < 2 {
        return Err(PolicyError::Parameter {
            name: "curve points".into(),
            value: points as f64,
            expected: "at least 2".into(),
        });
    }
    let (arm, net) = econ.best_treatment(tau);
    let order = rank_descending(&net);
    // cumulative sums of z and z² along the ranking
    let (mut s, mut q, mut cost) = (vec![0.0; n + 1], vec![0.0; n + 1], vec![0.0; n + 1]);
    for (k, &i) in order.iter().enumerate() {
        let z = econ.margin() * scores[(i, arm[i] - 1)] - econ.cost(arm[i]);
        s[k + 1] = s[k] + z;
        cost[k + 1] = cost[k] + econ.cost(arm[i]);
        q[k + 1] = q[k] + z * z;
    }
    let nf = n as f64;
    let at = |k: usize| -> Marker {
        let fixed = if k > 0 { econ.fixed_cost() } else { 0.0 };
        let mean = s[k] / nf;
        let var = if n > 1 { (q[k] - nf * mean * mean).max(0.0) / (nf - 1.0) } else { 0.0 };
        Marker { share: k as f64 / nf, profit: s[k] - fixed, se: (var * nf).sqrt() }
    };
    let mut points_out = Vec::with_capacity(points);
    let mut se = Vec::with_capacity(points);
    let mut spend = Vec::with_capacity(points);
    for g in 0..points {
        let k = ((g as f64 / (points - 1) as f64) * nf).round() as usize;
        let m = at(k.min(n));
        points_out.push([m.share, m.profit]);
        se.push(m.se);
        let k = k.min(n);
        spend.push(cost[k] + if k > 0 { econ.fixed_cost() } else { 0.0 });
    }
    let best_k = (0..=n).fold(0, |b, k| if at(k).profit > at(b).profit { k } else { b });
    let mut treat_all = None;
    let mut treat_all_arm = 1;
    for a in 1..econ.n_arms() {
        let e = policy_profit(econ, scores, &vec![a; n])?;
        if treat_all.is_none_or(|t: Estimate| e.value > t.value) {
            treat_all = Some(e);
            treat_all_arm = a;
        }
    }
    let t = treat_all.expect("at least one treatment arm");
    let current_practice = match current {
        Some(c) => {
            let e = policy_profit(econ, scores, c)?;
            Some(Marker { share: share_treated(c), profit: e.value, se: e.se })
        }
        None => None,
    };
    Ok(ProfitCurve {
        points: points_out,
        se,
        spend,
        argmax: at(best_k),
        treat_all: Marker { share: 1.0, profit: t.value, se: t.se },
        treat_all_arm,
        treat_none: Marker { share: 0.0, profit: 0.0, se: 0.0 },
        current_practice,
    })
}

/// Share of rows with an arm other than control.
pub fn share_treated(assignment: &[usize]) -> f64 {
    assignment.iter().filter(|&&a| a > 0).count() as f64 / assignment.len().max(1) as f64
}

/// Who is treated in one segment, and what it earns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// The segment label.
    pub segment: String,
    /// Customers in the segment.
    pub n: usize,
    /// Customers treated (any arm).
    pub treated: usize,
    /// `treated / n`.
    pub treated_share: f64,
    /// Customers per arm (index 0 = control).
    pub arm_counts: Vec<usize>,
    /// Estimated profit of the assignment within the segment (fixed cost not allocated).
    pub profit: f64,
    /// Its standard error, `sd(z)·√n_g` over the segment's rows.
    pub profit_se: f64,
}

/// Per-segment view of an assignment: segments in label order.
pub fn segment_view<L: Ord + Display + Clone>(
    econ: &Economics,
    scores: MatRef<'_, f64>,
    assignment: &[usize],
    labels: &[L],
) -> Result<Vec<SegmentSummary>> {
    econ.check_effects("effect scores", scores)?;
    let n = scores.nrows();
    check_assignment("assignment", assignment, n, econ.n_arms())?;
    if labels.len() != n {
        return Err(PolicyError::Shape {
            what: "segment labels".into(),
            expected: format!("{n} rows"),
            got: format!("{} rows", labels.len()),
        });
    }
    let z = profit_terms(econ, scores, assignment);
    let mut groups: BTreeMap<L, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        groups.entry(l.clone()).or_default().push(i);
    }
    Ok(groups
        .into_iter()
        .map(|(label, rows)| {
            let zg: Vec<f64> = rows.iter().map(|&i| z[i]).collect();
            let est = total_estimate(&zg, 0.0, false);
            let mut arm_counts = vec![0; econ.n_arms()];
            for &i in &rows {
                arm_counts[assignment[i]] += 1;
            }
            let treated = rows.len() - arm_counts[0];
            SegmentSummary {
                segment: label.to_string(),
                n: rows.len(),
                treated,
                treated_share: treated as f64 / rows.len() as f64,
                arm_counts,
                profit: est.value,
                profit_se: est.se,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profit_and_se_by_hand() {
        let e = Economics::new(2.0, vec![1.0]).unwrap().with_fixed_cost(0.5).unwrap();
        let d = Mat::from_fn(4, 1, |i, _| [1.0, 2.0, 0.0, -1.0][i]);
        let est = policy_profit(&e, d.as_ref(), &[1, 1, 0, 0]).unwrap();
        // z = [1, 3, 0, 0]; sum 4 − fixed 0.5; mean 1, var = (0+4+1+1)/3 = 2
        assert!((est.value - 3.5).abs() < 1e-12);
        assert!((est.se - (2.0f64 * 4.0).sqrt()).abs() < 1e-12);
        let none = policy_profit(&e, d.as_ref(), &[0; 4]).unwrap();
        assert_eq!(none.value, 0.0);
    }

    #[test]
    fn curve_matches_direct_evaluation() {
        let e = Economics::new(1.0, vec![1.0, 2.0]).unwrap();
        let tau = Mat::from_fn(6, 2, |i, a| (i as f64) * 0.7 - (a as f64) * 0.3 + [0.1, -0.4][a]);
        let d = Mat::from_fn(6, 2, |i, a| ((i * 7 + a * 3) % 5) as f64 - 1.0);
        let c = profit_curve(&e, tau.as_ref(), d.as_ref(), 7, Some(&[0, 0, 1, 1, 2, 2])).unwrap();
        assert_eq!(c.points.len(), 7);
        for (g, p) in c.points.iter().enumerate() {
            let share = g as f64 / 6.0;
            let direct = crate::rules::top_share(&e, tau.as_ref(), share).unwrap();
            let est = policy_profit(&e, d.as_ref(), &direct).unwrap();
            assert!((p[1] - est.value).abs() < 1e-12, "share {share}");
            assert!((c.se[g] - est.se).abs() < 1e-9);
        }
        let best = c.points.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max);
        assert!((c.argmax.profit - best).abs() < 1e-12);
        let cp = c.current_practice.unwrap();
        assert!((cp.share - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn segments_partition_the_profit() {
        let e = Economics::new(1.0, vec![0.5]).unwrap();
        let d = Mat::from_fn(5, 1, |i, _| i as f64);
        let a = [1, 0, 1, 1, 0];
        let v = segment_view(&e, d.as_ref(), &a, &["b", "a", "b", "a", "a"]).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].segment, "a");
        assert_eq!((v[0].n, v[0].treated), (3, 1));
        let total: f64 = v.iter().map(|s| s.profit).sum();
        let direct = policy_profit(&e, d.as_ref(), &a).unwrap();
        assert!((total - direct.value).abs() < 1e-12);
        assert!(segment_view(&e, d.as_ref(), &a, &["a"]).is_err());
    }
}
