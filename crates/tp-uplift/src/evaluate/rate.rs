//! Rank-weighted average treatment effect (Yadlowsky et al. 2021), as grf's
//! `rank_average_treatment_effect` computes it.
//!
//! Sort rows by priority, highest first, and replace the doubly robust
//! scores Γ of tied priorities by their group mean. With `S_j` the sum of
//! the first `j` sorted scores, `TOC(j/n) = S_j / j − mean(Γ)`; AUTOC is the
//! mean of `TOC(j/n)` over `j = 1..n`, the Qini-weighted RATE the mean of
//! `(j/n)·TOC(j/n)`. The TOC on a grid of `q` interpolates fractionally
//! between rows as grf does. Standard errors come from `R` half-samples
//! (⌊n/2⌋ rows drawn without replacement, which has the full sample's
//! variance): SE = sd of the replicate estimates. Replicate `r` draws from
//! `tp_core::rng::stream(seed, r)`, so results do not depend on threads.
//!
//! The scores must come from nuisances not fitted on the priorities' own
//! training rows (cross-fitted, or a holdout), or the RATE is optimistic.

use super::check_finite;
use crate::{Result, UpliftError};
use rand::seq::index::sample;
use rayon::prelude::*;
use serde::Serialize;

/// Which weighting of the TOC curve to average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RateTarget {
    /// Area under the TOC curve: uniform weight on q.
    Autoc,
    /// Qini weighting: weight q.
    Qini,
}

/// Settings of [`rate`].
#[derive(Debug, Clone, PartialEq)]
pub struct RateParams {
    /// AUTOC or Qini weighting. Default AUTOC.
    pub target: RateTarget,
    /// Grid of q in (0, 1], increasing, ending at 1, for the TOC curve.
    /// Default 0.1, 0.2, …, 1.0.
    pub q: Vec<f64>,
    /// Number of half-sample bootstrap replicates (0 or 1 = no SE). Default 200.
    pub n_boot: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for RateParams {
    fn default() -> Self {
        Self {
            target: RateTarget::Autoc,
            q: (1..=10).map(|i| i as f64 / 10.0).collect(),
            n_boot: 200,
            seed: 0,
        }
    }
}

/// The RATE with its SE and the TOC curve on the q grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// Weighting used.
    pub target: RateTarget,
    /// RATE point estimate.
    pub estimate: f64,
    /// Half-sample bootstrap standard error (0 without replicates).
    pub se: f64,
    /// Grid of q.
    pub q: Vec<f64>,
    /// TOC(q) point estimates.
    pub toc: Vec<f64>,
    /// TOC(q) standard errors.
    pub toc_se: Vec<f64>,
}

/// RATE of a prioritization `priority` (higher = treat first) on doubly
/// robust effect scores `scores` (e.g. `Γ(1) − Γ(0)` from
/// [`tp_core::contrast_scores`]).
pub fn rate(scores: &[f64], priority: &[f64], params: &RateParams) -> Result<Rate> {
    let n = scores.len();
    if priority.len() != n {
        return Err(UpliftError::Shape {
            what: "priority".into(),
            expected: format!("{n} values (one per score)"),
            got: format!("{} values", priority.len()),
        });
    }
    if n < 2 {
        return Err(UpliftError::NotEnoughSamples { what: "RATE".into(), needed: 2, got: n });
    }
    check_finite("DR scores", scores)?;
    check_finite("priority", priority)?;
    let q = &params.q;
    let grid_ok = !q.is_empty()
        && q.windows(2).all(|w| w[0] < w[1])
        && q[0] > 0.0
        && (q[q.len() - 1] - 1.0).abs() == 0.0;
    if !grid_ok {
        return Err(UpliftError::InvalidParameter {
            name: "q".into(),
            value: format!("{q:?}"),
            expected: "an increasing grid in (0, 1] ending at 1".into(),
        });
    }
    // Sort once; a half-sample keeps the global order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| priority[b].total_cmp(&priority[a]));
    let sorted_scores: Vec<f64> = order.iter().map(|&i| scores[i]).collect();
    let sorted_prio: Vec<f64> = order.iter().map(|&i| priority[i]).collect();
    let full = estimate(&sorted_scores, &sorted_prio, None, params.target, q);
    let reps: Vec<Vec<f64>> = if params.n_boot >= 2 {
        (0..params.n_boot)
            .into_par_iter()
            .map(|r| {
                let mut rng = tp_core::rng::stream(params.seed, r as u64);
                let mut mask = vec![false; n];
                for i in sample(&mut rng, n, n / 2) {
                    mask[i] = true;
                }
                estimate(&sorted_scores, &sorted_prio, Some(&mask), params.target, q)
            })
            .collect()
    } else {
        Vec::new()
    };
    let sd = |k: usize| -> f64 {
        if reps.len() < 2 {
            return 0.0;
        }
        let v: Vec<f64> = reps.iter().map(|r| r[k]).collect();
        tp_core::stats::variance(&v).sqrt()
    };
    Ok(Rate {
        target: params.target,
        estimate: full[0],
        se: sd(0),
        q: q.clone(),
        toc: full[1..].to_vec(),
        toc_se: (1..=q.len()).map(sd).collect(),
    })
}

/// `[RATE, TOC(q_1), …]` on the rows of `mask` (all when `None`), already
/// sorted by priority descending.
fn estimate(scores: &[f64], prio: &[f64], mask: Option<&[bool]>, target: RateTarget, q: &[f64]) -> Vec<f64> {
    let rows: Vec<usize> = match mask {
        Some(m) => (0..scores.len()).filter(|&i| m[i]).collect(),
        None => (0..scores.len()).collect(),
    };
    let m = rows.len();
    // Tie-averaged scores in sorted order.
    let mut s = Vec::with_capacity(m);
    let mut start = 0;
    while start < m {
        let mut end = start + 1;
        while end < m && prio[rows[end]] == prio[rows[start]] {
            end += 1;
        }
        let avg = rows[start..end].iter().map(|&i| scores[i]).sum::<f64>() / (end - start) as f64;
        s.extend(std::iter::repeat_n(avg, end - start));
        start = end;
    }
    let mut cum = Vec::with_capacity(m);
    let mut acc = 0.0;
    for v in &s {
        acc += v;
        cum.push(acc);
    }
    let mf = m as f64;
    let ate = acc / mf;
    let rate = match target {
        RateTarget::Autoc => cum.iter().enumerate().map(|(j, c)| c / (j + 1) as f64 - ate).sum::<f64>() / mf,
        RateTarget::Qini => {
            cum.iter().enumerate().map(|(j, c)| (j + 1) as f64 / mf * (c / (j + 1) as f64 - ate)).sum::<f64>()
                / mf
        }
    };
    let mut out = vec![rate];
    for &qq in q {
        let nw = qq * mf;
        let idx = ((nw + 1e-15).floor() as usize).min(m);
        let num = if idx > 0 { cum[idx - 1] } else { 0.0 };
        let frac = nw - idx as f64;
        let next = s[idx.min(m - 1)];
        out.push((num + frac * next) / nw - ate);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hand_without_ties() {
        // sorted scores 3, 1, 2: ATE 2; TOC = 3−2, 2−2, 2−2 ⇒ AUTOC = 1/3
        let r = rate(&[1.0, 3.0, 2.0], &[2.0, 3.0, 1.0], &RateParams { n_boot: 0, ..Default::default() })
            .unwrap();
        assert!((r.estimate - 1.0 / 3.0).abs() < 1e-15);
        let qini = RateParams { target: RateTarget::Qini, n_boot: 0, ..Default::default() };
        let r = rate(&[1.0, 3.0, 2.0], &[2.0, 3.0, 1.0], &qini).unwrap();
        assert!((r.estimate - (1.0 / 3.0) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn constant_priority_gives_zero() {
        let s: Vec<f64> = (0..50).map(|i| (i as f64).sin()).collect();
        let r = rate(&s, &[1.0; 50], &RateParams { n_boot: 20, ..Default::default() }).unwrap();
        assert!(r.estimate.abs() < 1e-12);
        assert!(r.toc.iter().all(|t| t.abs() < 1e-12));
    }

    #[test]
    fn seeded_and_deterministic() {
        let s: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin() + (i % 7) as f64 * 0.1).collect();
        let p: Vec<f64> = (0..200).map(|i| (i % 7) as f64).collect();
        let a = rate(&s, &p, &RateParams { seed: 3, ..Default::default() }).unwrap();
        let b = rate(&s, &p, &RateParams { seed: 3, ..Default::default() }).unwrap();
        assert_eq!(a, b);
        assert!(a.se > 0.0);
    }
}
