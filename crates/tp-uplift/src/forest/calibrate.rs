//! Bias-aware intervals and the forest's self-check: how far the
//! out-of-bag effects sit from the doubly robust scores, measured without
//! the truth, and what that says about the intervals.
//!
//! The little-bags standard error measures how much τ̂(x) would move over
//! new samples. It says nothing of the smoothing bias b(x) = E\[τ̂(x)\] − τ(x):
//! a forest averages τ over a neighbourhood, so it pulls the effect toward
//! the local mean, most where τ changes fast or the data are thin. The
//! doubly robust score Γᵢ of a training row (out-of-bag τ̂ and nuisances)
//! has E\[Γᵢ | Xᵢ\] ≈ τ(Xᵢ) whatever τ̂ is, so the held-out errors are visible
//! in Γᵢ − τ̂ᵢ, under noise that is independent across rows. Two pieces:
//!
//! 1. **The shrinkage line.** Regress Γ on (1, τ̂ − τ̄) by least squares
//!    (τ̄ the mean out-of-bag τ̂): intercept a (the DR mean effect) and
//!    slope β, the doubly robust best linear predictor of τ from τ̂. A forest
//!    that shrinks has β > 1; one that sees heterogeneity where τ is flat
//!    has β < 1. E\[τ | τ̂\] − τ̂ ≈ b̂(τ̂) = a + β(τ̂ − τ̄) − τ̂ is the part of the
//!    error that τ̂ itself predicts; its sampling variance (HC0 sandwich of
//!    a and β) is carried into the interval.
//! 2. **What the line leaves** is not estimated. The mean square of the
//!    error left after the line, E\[(τ − τ̃)²\], would need E\[τ²\], and every
//!    estimate of it tried here from the scores failed on the coverage
//!    harness (docs/benchmarks.md, 2026-12-07): Γᵢ² is dominated by the
//!    outcome noise; products ΓᵢΓⱼ over pairs of rows sharing a leaf
//!    (noise-free in expectation, by the doubly robust property) came out
//!    too small on ACIC 2016 (within-leaf variation of τ) and too large and
//!    noisy on smooth simulated worlds; products of residuals Γ − τ̂ over
//!    such pairs are biased down because a neighbour's out-of-bag τ̂ is
//!    fitted on this row's outcome. So the interval carries only what is
//!    measured without assumptions on τ's smoothness.
//!
//! The interval of x then treats τ(x) − τ̂(x) as normal with mean b̂(τ̂(x))
//! and variance SE² + Var b̂, and takes the shortest interval centered at
//! τ̂ that holds τ with the requested probability (the center, and so τ̂ and
//! PEHE, do not move): between z·s and |b̂| + z·s.
//!
//! The self-check ([`EffectCalibration`]) reports β with its standard
//! error and the coverage that the variance-only intervals should have
//! under this error model; the CLI warns when that is well below nominal.

use serde::{Deserialize, Serialize};
use tp_core::stats::{normal_cdf, normal_quantile};

/// Which intervals a causal forest reports ([`CausalForest::intervals`](super::CausalForest::intervals)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Intervals {
    /// τ̂ ± z·SE: the little-bags variance only (grf's and EconML's intervals).
    Variance,
    /// Bias-aware: widened by the shrinkage line's bias b̂(τ̂) and its
    /// sampling variance (module docs).
    #[default]
    BiasAware,
}

/// Calibration of one treated arm's effects against the out-of-bag doubly
/// robust scores (module docs): the shrinkage line, the squared bias it
/// leaves and the estimated coverage of the variance-only intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EffectCalibration {
    /// Rows with an out-of-bag τ̂ and a finite score.
    pub rows: usize,
    /// Mean out-of-bag τ̂ (τ̄).
    pub tau_mean: f64,
    /// Intercept a of Γ on (1, τ̂ − τ̄): the DR mean effect.
    pub intercept: f64,
    /// Slope β (1: calibrated; above 1: the forest shrinks the heterogeneity).
    pub slope: f64,
    /// HC0 standard error of the intercept.
    pub intercept_se: f64,
    /// HC0 standard error of the slope.
    pub slope_se: f64,
    /// HC0 covariance of intercept and slope.
    pub cov: f64,
    /// Mean SE² of the out-of-bag τ̂.
    pub mean_var: f64,
    /// Mean squared bias b̂(τ̂)² over the rows.
    pub mean_bias_sq: f64,
    /// Estimated coverage of the variance-only 90% intervals under the
    /// error model (module docs); NaN without rows.
    pub variance_coverage_90: f64,
}

impl EffectCalibration {
    /// Estimated bias b̂ and its sampling variance at τ̂ = `tau`.
    pub fn bias_at(&self, tau: f64) -> (f64, f64) {
        let c = tau - self.tau_mean;
        let b = self.intercept + self.slope * c - tau;
        let v = self.intercept_se.powi(2) + c * c * self.slope_se.powi(2) + 2.0 * c * self.cov;
        (b, v.max(0.0))
    }

    /// The error model's (bias, sd) of τ − τ̂ at (τ̂, SE).
    fn error_model(&self, tau: f64, se: f64) -> (f64, f64) {
        let (b, vb) = self.bias_at(tau);
        (b, (se * se + vb).sqrt())
    }

    /// Half-width of the interval at `level` around τ̂ = `tau` with standard error `se`.
    pub fn half_width(&self, tau: f64, se: f64, level: f64, kind: Intervals) -> f64 {
        let z = normal_quantile(0.5 + level / 2.0);
        if kind == Intervals::Variance || !self.slope.is_finite() || !se.is_finite() {
            return z * se;
        }
        let (b, s) = self.error_model(tau, se);
        half_width(b, s, level)
    }
}

/// P(|N(b, s²)| ≤ h).
fn holds(b: f64, s: f64, h: f64) -> f64 {
    normal_cdf((h - b) / s) - normal_cdf((-h - b) / s)
}

/// The h with P(|N(b, s²)| ≤ h) = level: between z·s (b = 0) and |b| + z·s, by bisection.
pub(crate) fn half_width(b: f64, s: f64, level: f64) -> f64 {
    let z = normal_quantile(0.5 + level / 2.0);
    if s <= 0.0 {
        return b.abs();
    }
    let (mut lo, mut hi) = (z * s, b.abs() + z * s);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if holds(b, s, mid) < level {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// Calibrates one treated arm's out-of-bag effects (`tau`, `se`, scores
/// `gamma`, each of the n training rows).
pub(crate) fn calibrate(tau: &[f64], se: &[f64], gamma: &[f64]) -> EffectCalibration {
    let n = tau.len();
    let ok: Vec<usize> =
        (0..n).filter(|&i| tau[i].is_finite() && gamma[i].is_finite() && se[i].is_finite()).collect();
    let m = ok.len();
    let nan = f64::NAN;
    let empty = EffectCalibration {
        rows: m,
        tau_mean: nan,
        intercept: nan,
        slope: nan,
        intercept_se: nan,
        slope_se: nan,
        cov: nan,
        mean_var: nan,
        mean_bias_sq: nan,
        variance_coverage_90: nan,
    };
    if m < 10 {
        return empty;
    }
    let mf = m as f64;
    let tau_mean = ok.iter().map(|&i| tau[i]).sum::<f64>() / mf;
    let intercept = ok.iter().map(|&i| gamma[i]).sum::<f64>() / mf;
    let sxx: f64 = ok.iter().map(|&i| (tau[i] - tau_mean).powi(2)).sum();
    let slope =
        if sxx > 0.0 { ok.iter().map(|&i| (tau[i] - tau_mean) * gamma[i]).sum::<f64>() / sxx } else { 0.0 };
    let mut resid = vec![nan; n];
    for &i in &ok {
        resid[i] = gamma[i] - intercept - slope * (tau[i] - tau_mean);
    }
    // HC0 sandwich of (a, β) with the centered regressor (X'X diagonal: m, sxx)
    let (mut v_a, mut v_b, mut c_ab) = (0.0, 0.0, 0.0);
    for &i in &ok {
        let (c, e2) = (tau[i] - tau_mean, resid[i] * resid[i]);
        v_a += e2;
        v_b += c * c * e2;
        c_ab += c * e2;
    }
    let v_a = v_a / (mf * mf);
    let (v_b, c_ab) = if sxx > 0.0 { (v_b / (sxx * sxx), c_ab / (mf * sxx)) } else { (0.0, 0.0) };
    let mean_var = ok.iter().map(|&i| se[i] * se[i]).sum::<f64>() / mf;
    let mut cal = EffectCalibration {
        rows: m,
        tau_mean,
        intercept,
        slope,
        intercept_se: v_a.sqrt(),
        slope_se: v_b.sqrt(),
        cov: c_ab,
        mean_var,
        mean_bias_sq: nan,
        variance_coverage_90: nan,
    };
    cal.mean_bias_sq = ok.iter().map(|&i| cal.bias_at(tau[i]).0.powi(2)).sum::<f64>() / mf;
    let z = normal_quantile(0.95);
    cal.variance_coverage_90 = ok
        .iter()
        .map(|&i| {
            let (b, s) = cal.error_model(tau[i], se[i]);
            if s > 0.0 { holds(b, s, z * se[i]) } else { f64::from(b == 0.0) }
        })
        .sum::<f64>()
        / mf;
    cal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_holds_the_level_and_reduces_to_z_sigma_without_bias() {
        let z = normal_quantile(0.95);
        assert!((half_width(0.0, 2.0, 0.9) - z * 2.0).abs() < 1e-9);
        for (b, s) in [(0.5, 1.0), (-3.0, 0.2), (1.0, 1.0)] {
            let h = half_width(b, s, 0.9);
            assert!((holds(b, s, h) - 0.9).abs() < 1e-9, "b {b} s {s}: h {h}");
            assert!(h > z * s && h <= b.abs() + z * s + 1e-12);
        }
    }

    #[test]
    fn bias_follows_the_shrinkage_line() {
        let cal = EffectCalibration {
            rows: 100,
            tau_mean: 1.0,
            intercept: 1.2,
            slope: 2.0,
            intercept_se: 0.1,
            slope_se: 0.2,
            cov: 0.0,
            mean_var: 0.0,
            mean_bias_sq: 0.0,
            variance_coverage_90: f64::NAN,
        };
        // τ̂ = 1.5: line at 1.2 + 2·0.5 = 2.2, bias 0.7, variance 0.01 + 0.25·0.04
        let (b, v) = cal.bias_at(1.5);
        assert!((b - 0.7).abs() < 1e-12 && (v - 0.02).abs() < 1e-12, "{b} {v}");
        let w = cal.half_width(1.5, 0.3, 0.9, Intervals::BiasAware);
        assert!(w > 0.7 && w > normal_quantile(0.95) * 0.3);
        assert_eq!(cal.half_width(1.5, 0.3, 0.9, Intervals::Variance), normal_quantile(0.95) * 0.3);
    }
}
