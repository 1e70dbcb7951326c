//! Identification diagnostics: can this data tell the effect at all?
//!
//! Before any effect is estimated: how well do covariates predict the arm
//! (propensity AUC; near 0.5 is an experiment, near 1 means treated and
//! control customers barely overlap), the share of rows whose propensity
//! lies in a band (default [0.1, 0.9]), propensity histograms by arm, and
//! covariate balance — standardized mean differences (SMD) raw and after
//! inverse-propensity weighting, with the count of covariates balanced
//! (|SMD| < 0.1). Poor overlap or balance produces plain-language warnings.
//!
//! Several arms: every diagnostic is computed per contrast *arm a vs
//! control*, on the rows in either, with the pair propensity
//! `ê_a / (ê_a + ê_0)`; a row counts as in overlap when its pair
//! propensities for all arms are in the band; `ps_auc` is the largest AUC
//! over contrasts and a covariate is balanced when it is in every contrast.
//!
//! SMD_j = (x̄_aj − x̄_0j) / √((s²_aj + s²_0j)/2). The weighted version uses
//! IPW weights `1/ê_W(X)` in the means and keeps the raw pooled SD in the
//! denominator (so the scale does not move with the weights, as R's
//! `cobalt` does by default); a constant covariate has SMD 0.

use crate::{Result, UpliftError};
use faer::MatRef;
use serde::Serialize;
use tp_core::CausalData;
use tp_core::stats::{mean, variance, weighted_mean};

/// Settings of [`diagnose`].
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosticsParams {
    /// Overlap band for the (pair) propensity. Default (0.1, 0.9).
    pub band: (f64, f64),
    /// Histogram bins over [0, 1]. Default 20.
    pub bins: usize,
    /// |SMD| below this counts as balanced. Default 0.1.
    pub smd_threshold: f64,
    /// Warn when the propensity AUC exceeds this. Default 0.8.
    pub auc_warning: f64,
    /// Warn when the overlap share is below this. Default 0.9.
    pub overlap_warning: f64,
}

impl Default for DiagnosticsParams {
    fn default() -> Self {
        Self { band: (0.1, 0.9), bins: 20, smd_threshold: 0.1, auc_warning: 0.8, overlap_warning: 0.9 }
    }
}

/// Propensity histogram of one contrast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropensityHistogram {
    /// Treated arm label of the contrast.
    pub arm: String,
    /// Bin edges over [0, 1] (`bins + 1` values).
    pub edges: Vec<f64>,
    /// Rows of the treated arm per bin.
    pub treated: Vec<usize>,
    /// Control rows per bin.
    pub control: Vec<usize>,
}

/// Balance of one covariate in one contrast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Balance {
    /// Covariate name.
    pub covariate: String,
    /// Treated arm label of the contrast.
    pub arm: String,
    /// SMD before weighting.
    pub smd_raw: f64,
    /// SMD after IPW weighting.
    pub smd_weighted: f64,
}

/// The diagnostics of one data set and propensity matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Propensity AUC (largest over contrasts).
    pub ps_auc: f64,
    /// Propensity AUC per treated arm.
    pub ps_auc_by_arm: Vec<f64>,
    /// Share of rows whose (pair) propensities are all in the band.
    pub overlap_share: f64,
    /// The band used.
    pub band: (f64, f64),
    /// Smallest (pair) propensity.
    pub propensity_min: f64,
    /// Largest (pair) propensity.
    pub propensity_max: f64,
    /// Whether the propensities were given (RCT or logged) rather than estimated.
    pub known_propensity: bool,
    /// Histograms per contrast.
    pub histograms: Vec<PropensityHistogram>,
    /// SMD per covariate and contrast.
    pub balance: Vec<Balance>,
    /// Largest |SMD| before weighting.
    pub max_abs_smd: f64,
    /// Largest |SMD| after weighting.
    pub max_abs_smd_weighted: f64,
    /// Covariates balanced after weighting (in every contrast).
    pub balanced: usize,
    /// Covariates balanced before weighting.
    pub balanced_raw: usize,
    /// Number of covariates.
    pub n_covariates: usize,
    /// Plain-language warnings; empty when nothing looks wrong.
    pub warnings: Vec<String>,
}

/// Diagnostics of `data` under propensities `e` (`n × K`, rows summing to 1;
/// typically cross-fitted, see [`crate::crossfit_propensity`]).
pub fn diagnose(
    data: &CausalData,
    e: MatRef<'_, f64>,
    known_propensity: bool,
    params: &DiagnosticsParams,
) -> Result<Diagnostics> {
    let (n, k, p) = (data.n(), data.n_arms(), data.p());
    if e.nrows() != n || e.ncols() != k {
        return Err(UpliftError::Shape {
            what: "propensity".into(),
            expected: format!("{n} × {k}"),
            got: format!("{} × {}", e.nrows(), e.ncols()),
        });
    }
    let (lo, hi) = params.band;
    if !(0.0 <= lo && lo < hi && hi <= 1.0) || params.bins == 0 {
        return Err(UpliftError::InvalidParameter {
            name: "band / bins".into(),
            value: format!("{:?} / {}", params.band, params.bins),
            expected: "0 <= low < high <= 1 and at least one bin".into(),
        });
    }
    let arms = data.arms();
    let labels = data.arm_labels();
    let x = data.covariates();
    let pair = |i: usize, a: usize| e[(i, a)] / (e[(i, a)] + e[(i, 0)]);
    let mut in_band = vec![true; n];
    let (mut pmin, mut pmax) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut aucs = Vec::new();
    let mut histograms = Vec::new();
    let mut balance = Vec::new();
    let mut balanced_w = vec![true; p];
    let mut balanced_r = vec![true; p];
    let edges: Vec<f64> = (0..=params.bins).map(|b| b as f64 / params.bins as f64).collect();
    for (a, label) in labels.iter().enumerate().skip(1) {
        let rows: Vec<usize> = (0..n).filter(|&i| arms[i] == a || arms[i] == 0).collect();
        let s: Vec<f64> = rows.iter().map(|&i| pair(i, a)).collect();
        let pos: Vec<bool> = rows.iter().map(|&i| arms[i] == a).collect();
        aucs.push(auc(&s, &pos));
        let (mut ht, mut hc) = (vec![0; params.bins], vec![0; params.bins]);
        for (r, &v) in s.iter().enumerate() {
            let b = ((v * params.bins as f64) as usize).min(params.bins - 1);
            if pos[r] { ht[b] += 1 } else { hc[b] += 1 }
        }
        histograms.push(PropensityHistogram {
            arm: label.clone(),
            edges: edges.clone(),
            treated: ht,
            control: hc,
        });
        for (i, ok) in in_band.iter_mut().enumerate() {
            let v = pair(i, a);
            pmin = pmin.min(v);
            pmax = pmax.max(v);
            *ok &= (lo..=hi).contains(&v);
        }
        let t_rows: Vec<usize> = rows.iter().copied().filter(|&i| arms[i] == a).collect();
        let c_rows: Vec<usize> = rows.iter().copied().filter(|&i| arms[i] == 0).collect();
        let ipw = |r: &[usize]| -> Vec<f64> { r.iter().map(|&i| 1.0 / e[(i, arms[i])]).collect() };
        let (wt, wc) = (ipw(&t_rows), ipw(&c_rows));
        for j in 0..p {
            let col = |r: &[usize]| -> Vec<f64> { r.iter().map(|&i| x[(i, j)]).collect() };
            let (xt, xc) = (col(&t_rows), col(&c_rows));
            let sd = ((variance(&xt).max(0.0) + variance(&xc).max(0.0)) / 2.0).sqrt();
            let smd = |d: f64| if sd > 0.0 && sd.is_finite() { d / sd } else { 0.0 };
            let raw = smd(mean(&xt) - mean(&xc));
            let weighted = smd(weighted_mean(&xt, &wt) - weighted_mean(&xc, &wc));
            balanced_r[j] &= raw.abs() < params.smd_threshold;
            balanced_w[j] &= weighted.abs() < params.smd_threshold;
            balance.push(Balance {
                covariate: data.feature_names()[j].clone(),
                arm: label.clone(),
                smd_raw: raw,
                smd_weighted: weighted,
            });
        }
    }
    let overlap_share = in_band.iter().filter(|&&b| b).count() as f64 / n as f64;
    let ps_auc = aucs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let max_abs = |f: fn(&Balance) -> f64| balance.iter().map(|b| f(b).abs()).fold(0.0, f64::max);
    let max_abs_smd = max_abs(|b| b.smd_raw);
    let max_abs_smd_weighted = max_abs(|b| b.smd_weighted);
    let balanced = balanced_w.iter().filter(|&&b| b).count();
    let balanced_raw = balanced_r.iter().filter(|&&b| b).count();
    let mut warnings = Vec::new();
    if ps_auc > params.auc_warning {
        warnings.push(format!(
            "propensity AUC is {ps_auc:.3}: the covariates predict who was treated, so treated and control \
             customers differ and effects for the least comparable ones are extrapolated"
        ));
    }
    if overlap_share < params.overlap_warning {
        warnings.push(format!(
            "only {:.1}% of rows have a propensity in [{lo}, {hi}]: overlap is poor; consider trimming \
             (Crump et al.) and report effects for the overlap population",
            100.0 * overlap_share
        ));
    }
    if pmin < 0.01 || pmax > 0.99 {
        warnings.push(format!(
            "propensities range from {pmin:.4} to {pmax:.4}: some rows get inverse-propensity weights above 100, \
             so doubly robust estimates lean on a few customers"
        ));
    }
    if balanced < p {
        warnings.push(format!(
            "{} of {p} covariates stay imbalanced (|SMD| >= {}) after weighting (largest {max_abs_smd_weighted:.3}): \
             the propensity model may be misspecified",
            p - balanced,
            params.smd_threshold
        ));
    }
    Ok(Diagnostics {
        ps_auc,
        ps_auc_by_arm: aucs,
        overlap_share,
        band: params.band,
        propensity_min: pmin,
        propensity_max: pmax,
        known_propensity,
        histograms,
        balance,
        max_abs_smd,
        max_abs_smd_weighted,
        balanced,
        balanced_raw,
        n_covariates: p,
        warnings,
    })
}

/// Area under the ROC curve of `score` for the positives `pos`
/// (Mann–Whitney with mid-ranks for ties); 0.5 when a class is empty.
pub fn auc(score: &[f64], pos: &[bool]) -> f64 {
    let n = score.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let mut rank_sum_pos = 0.0;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && score[idx[end]] == score[idx[start]] {
            end += 1;
        }
        let mid = (start + end + 1) as f64 / 2.0; // mean of ranks start+1..=end
        rank_sum_pos += mid * idx[start..end].iter().filter(|&&i| pos[i]).count() as f64;
        start = end;
    }
    let n_pos = pos.iter().filter(|&&b| b).count() as f64;
    let n_neg = n as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return 0.5;
    }
    (rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Which rows to keep when trimming for overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrimRule {
    /// Keep rows whose (pair) propensities are all in `[α, 1 − α]`.
    Fixed(f64),
    /// Crump, Hotz, Imbens & Mitnik (2009): α chosen from the data as the
    /// smallest trimming under which `1/(α(1−α)) ≤ 2·E[1/(ê(1−ê)) | kept]`
    /// (no trimming when the condition holds for all rows).
    Crump,
}

/// Result of [`trim`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trimming {
    /// The α applied.
    pub alpha: f64,
    /// Rows kept, ascending.
    pub kept: Vec<usize>,
}

/// Rows to keep under `rule`, judged on the pair propensities of every
/// contrast. Use [`CausalData::subset`] with [`Trimming::kept`].
pub fn trim(data: &CausalData, e: MatRef<'_, f64>, rule: TrimRule) -> Result<Trimming> {
    let (n, k) = (data.n(), data.n_arms());
    if e.nrows() != n || e.ncols() != k {
        return Err(UpliftError::Shape {
            what: "propensity".into(),
            expected: format!("{n} × {k}"),
            got: format!("{} × {}", e.nrows(), e.ncols()),
        });
    }
    // The most extreme pair propensity of each row, folded to (0, 0.5].
    let worst: Vec<f64> = (0..n)
        .map(|i| {
            (1..k).map(|a| e[(i, a)] / (e[(i, a)] + e[(i, 0)])).map(|v| v.min(1.0 - v)).fold(0.5, f64::min)
        })
        .collect();
    let alpha = match rule {
        TrimRule::Fixed(a) if (0.0..0.5).contains(&a) => a,
        TrimRule::Fixed(a) => {
            return Err(UpliftError::InvalidParameter {
                name: "trim alpha".into(),
                value: a.to_string(),
                expected: "a value in [0, 0.5)".into(),
            });
        }
        TrimRule::Crump => crump_alpha(&worst),
    };
    let kept: Vec<usize> = (0..n).filter(|&i| worst[i] >= alpha).collect();
    if kept.is_empty() {
        return Err(UpliftError::NotEnoughSamples {
            what: "rows left after trimming".into(),
            needed: 1,
            got: 0,
        });
    }
    Ok(Trimming { alpha, kept })
}

/// Crump et al.'s α from folded propensities `v = min(ê, 1 − ê)`.
fn crump_alpha(v: &[f64]) -> f64 {
    let mut g: Vec<f64> = v.iter().map(|&v| 1.0 / (v * (1.0 - v)).max(f64::MIN_POSITIVE)).collect();
    g.sort_by(f64::total_cmp);
    let total: f64 = g.iter().sum();
    if g.last().copied().unwrap_or(0.0) <= 2.0 * total / g.len() as f64 {
        return 0.0;
    }
    // Largest bound L = 2·mean(g_1..g_j) that still admits g_j.
    let mut acc = 0.0;
    let mut bound = g[0];
    for (j, &gj) in g.iter().enumerate() {
        acc += gj;
        let l = 2.0 * acc / (j + 1) as f64;
        if gj <= l {
            bound = l;
        } else {
            break;
        }
    }
    // α(1 − α) = 1/L.
    let disc = (0.25 - 1.0 / bound).max(0.0);
    0.5 - disc.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_with_ties() {
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]), 1.0);
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), 0.5);
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), 0.75);
    }

    #[test]
    fn crump_alpha_near_known_value() {
        // Uniform folded propensities: Crump's rule is known to land near 0.1.
        let v: Vec<f64> = (1..1000).map(|i| 0.5 * i as f64 / 1000.0).collect();
        let a = crump_alpha(&v);
        assert!(a > 0.02 && a < 0.2, "{a}");
        assert_eq!(crump_alpha(&[0.5, 0.4, 0.45]), 0.0);
    }
}
