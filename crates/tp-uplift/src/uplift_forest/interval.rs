//! Standard errors of the uplift forest by the bootstrap of little bags
//! (Sexton & Laake 2009; the same estimator grf and the causal forest use).
//!
//! The trees come in G groups of g that share one half-sample of the rows.
//! For a point x, let Tₜ be tree t's uplift p̂ₖ − p̂₀ at x, Ḡⱼ the mean of
//! group j and τ̂ the mean of all trees. The forest is (close to) an average
//! over half-samples H of E[T | H], whose variance over H is the variance
//! of τ̂ over data sets (half-sampling). The group means estimate E[T | H],
//! but carry the within-group noise Var(T | H)/g, so
//! Var τ̂ ≈ V_between − N with V_between = mean over groups of (Ḡⱼ − τ̂)²
//! and N = s²_within / g (s²_within the unbiased within-group variance,
//! averaged over groups); grf's objective-Bayes correction keeps the
//! difference positive (see `debias`). For a training row the
//! out-of-bag version uses only the groups whose half-sample excluded it.

use crate::forest::debias;
use tp_core::faer::Mat;
use tp_core::stats::normal_quantile;

/// Uplift estimates with little-bags standard errors and two-sided normal
/// intervals: `n × (K − 1)` matrices, one column per treated arm.
#[derive(Debug, Clone, PartialEq)]
pub struct UpliftPrediction {
    /// Uplift p̂ₖ(x) − p̂₀(x).
    pub tau: Mat<f64>,
    /// Standard error of the uplift.
    pub se: Mat<f64>,
    /// Lower interval bound τ̂ − z·se.
    pub lo: Mat<f64>,
    /// Upper interval bound τ̂ + z·se.
    pub hi: Mat<f64>,
}

impl UpliftPrediction {
    /// Intervals at `level` (in (0, 1)) from estimates and standard errors.
    pub(crate) fn new(tau: Mat<f64>, se: Mat<f64>, level: f64) -> Self {
        let z = normal_quantile(0.5 + level / 2.0);
        let lo = Mat::from_fn(tau.nrows(), tau.ncols(), |i, k| tau[(i, k)] - z * se[(i, k)]);
        let hi = Mat::from_fn(tau.nrows(), tau.ncols(), |i, k| tau[(i, k)] + z * se[(i, k)]);
        Self { tau, se, lo, hi }
    }
}

/// Mean and little-bags variance of per-tree values `t` listed group by
/// group (`g` consecutive values per group, `g ≥ 2`). NaN without a group.
pub(crate) fn mean_and_variance(t: &[f64], g: usize) -> (f64, f64) {
    let groups = t.len() / g;
    if groups == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    let (mut between, mut within) = (0.0, 0.0);
    for grp in t.chunks_exact(g) {
        let m = grp.iter().sum::<f64>() / g as f64;
        between += (m - mean).powi(2);
        within += grp.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (g - 1) as f64;
    }
    let gs = groups as f64;
    (mean, debias(between / gs, within / gs / g as f64, gs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_bags_on_a_hand_computed_case() {
        // groups (1, 3) and (5, 9): mean 4.5, group means 2 and 7
        let (m, v) = mean_and_variance(&[1.0, 3.0, 5.0, 9.0], 2);
        assert_eq!(m, 4.5);
        let between: f64 = (6.25 + 6.25) / 2.0;
        let noise = (2.0 + 8.0) / 2.0 / 2.0; // within variances 2 and 8, over g = 2
        assert!((v - debias(between, noise, 2.0)).abs() < 1e-12);
        // far from zero the correction vanishes
        assert!((debias(10.0, 1.0, 1e6) - 9.0).abs() < 1e-9);
        assert!(debias(1.0, 2.0, 50.0) > 0.0);
        // identical trees within groups: no noise, the variance is V_between (up to the correction)
        let (_, v) = mean_and_variance(&[1.0, 1.0, 3.0, 3.0], 2);
        assert!(v >= 1.0);
        assert!(mean_and_variance(&[1.0], 2).0.is_nan());
    }

    #[test]
    fn intervals_use_the_normal_quantile() {
        let p = UpliftPrediction::new(Mat::from_fn(1, 1, |_, _| 0.1), Mat::from_fn(1, 1, |_, _| 0.02), 0.9);
        assert!((p.hi[(0, 0)] - 0.1 - 1.644_853_626_951_472_2 * 0.02).abs() < 1e-9);
        assert!((p.tau[(0, 0)] - p.lo[(0, 0)] - (p.hi[(0, 0)] - p.tau[(0, 0)])).abs() < 1e-15);
    }
}
