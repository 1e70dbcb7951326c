//! The fitted causal forest: trees with per-leaf estimation moments,
//! prediction by the forest-weighted moment, little-bags variance.

use super::criterion::MomentSums;
use crate::{Result, UpliftError};
use rayon::prelude::*;
use tp_core::CausalData;
use tp_core::faer::MatRef;
use tp_core::stats::{mean_se, normal_cdf, normal_pdf, normal_quantile};
use tp_learn::tree::{BinnedMatrix, Tree};

/// Means of (W̃, Ỹ, W̃Ỹ, W̃²) over a leaf's estimation rows (`n` = 0: empty).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LeafMeans {
    n: u32,
    a: f64,
    b: f64,
    ab: f64,
    aa: f64,
}

impl LeafMeans {
    pub(crate) fn from_sums(s: &MomentSums) -> Self {
        if s.n <= 0.0 {
            return Self::default();
        }
        Self { n: s.n as u32, a: s.a / s.n, b: s.b / s.n, ab: s.ab / s.n, aa: s.aa / s.n }
    }
}

/// One honest tree: its splits, the moments of its leaves and (during the
/// fit only) the bitset of the rows it drew.
#[derive(Debug, Clone)]
pub(crate) struct CausalTree {
    pub tree: Tree<()>,
    pub leaves: Vec<LeafMeans>,
    pub in_bag: Vec<u64>,
}

/// Effects with standard errors and two-sided normal intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestPrediction {
    /// τ̂(x).
    pub tau: Vec<f64>,
    /// Little-bags standard error of τ̂(x) (NaN with `ci_group_size` 1).
    pub tau_se: Vec<f64>,
    /// Lower interval bound τ̂ − z·se.
    pub tau_lo: Vec<f64>,
    /// Upper interval bound τ̂ + z·se.
    pub tau_hi: Vec<f64>,
}

/// A fitted causal forest (see [`CausalForest`](super::CausalForest)).
#[derive(Debug, Clone)]
pub struct CausalForestModel {
    trees: Vec<CausalTree>,
    group_size: usize,
    n_features: usize,
    oob_tau: Vec<f64>,
    oob_se: Vec<f64>,
    y_hat: Vec<f64>,
    w_hat: Vec<f64>,
    scores: Vec<f64>,
    importance: Vec<f64>,
}

/// Rows per parallel prediction chunk.
const CHUNK: usize = 256;
/// Depths (root = 1) counted by the variable importance, and its decay exponent.
const IMPORTANCE_DEPTH: usize = 4;
/// Propensity clipping of the doubly robust scores.
const CLIP: f64 = 0.01;

impl CausalForestModel {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assemble(
        data: &CausalData,
        mut trees: Vec<CausalTree>,
        group_size: usize,
        binned: &BinnedMatrix,
        y_hat: Vec<f64>,
        w_hat: Vec<f64>,
        a: Vec<f64>,
        b: Vec<f64>,
    ) -> Self {
        let n = data.n();
        let (oob_tau, oob_se) = predict_with(&trees, group_size, n, |t, i| {
            let bag = &trees[t].in_bag;
            if bag[i / 64] & (1 << (i % 64)) != 0 {
                None
            } else {
                Some(trees[t].tree.leaf_index_binned(binned, i))
            }
        });
        for t in &mut trees {
            t.in_bag = Vec::new();
        }
        let w = data.arm_indicator(1);
        let scores = (0..n)
            .map(|i| {
                let e = w_hat[i].clamp(CLIP, 1.0 - CLIP);
                let tau = oob_tau[i];
                tau + (w[i] - e) / (e * (1.0 - e)) * (b[i] - a[i] * tau)
            })
            .collect();
        let importance = importance(&trees, data.p());
        Self { trees, group_size, n_features: data.p(), oob_tau, oob_se, y_hat, w_hat, scores, importance }
    }

    /// τ̂(x) and its standard error for every row of `x` (same columns as
    /// the training covariates; NaN allowed).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<(Vec<f64>, Vec<f64>)> {
        if x.ncols() != self.n_features {
            return Err(UpliftError::Shape {
                what: "covariates to predict".into(),
                expected: format!("{} columns (as in training)", self.n_features),
                got: x.ncols().to_string(),
            });
        }
        Ok(predict_with(&self.trees, self.group_size, x.nrows(), |t, i| {
            Some(self.trees[t].tree.leaf_index(x, i))
        }))
    }

    /// [`predict`](Self::predict) with two-sided normal intervals at `level` (e.g. 0.9).
    pub fn predict_interval(&self, x: MatRef<'_, f64>, level: f64) -> Result<ForestPrediction> {
        if !(level > 0.0 && level < 1.0) {
            return Err(UpliftError::InvalidParameter {
                name: "level".into(),
                value: level.to_string(),
                expected: "a value in (0, 1), e.g. 0.9".into(),
            });
        }
        let (tau, tau_se) = self.predict(x)?;
        Ok(intervals(tau, tau_se, level))
    }

    /// Out-of-bag τ̂ and standard error of each training row (only trees
    /// whose subsample excluded the row; NaN when no tree did).
    pub fn oob_predict(&self) -> (&[f64], &[f64]) {
        (&self.oob_tau, &self.oob_se)
    }

    /// Out-of-bag predictions with intervals at `level`.
    pub fn oob_interval(&self, level: f64) -> ForestPrediction {
        intervals(self.oob_tau.clone(), self.oob_se.clone(), level)
    }

    /// Doubly robust ATE and its standard error from the out-of-bag scores
    /// Γᵢ = τ̂ᵢ + (Wᵢ − êᵢ)/(êᵢ(1 − êᵢ))·(Ỹᵢ − W̃ᵢτ̂ᵢ), ê clipped to [0.01, 0.99]
    /// in the weight; rows without an OOB estimate are left out.
    pub fn ate(&self) -> (f64, f64) {
        let s: Vec<f64> = self.scores.iter().copied().filter(|v| v.is_finite()).collect();
        mean_se(&s)
    }

    /// The doubly robust scores Γᵢ behind [`ate`](Self::ate).
    pub fn dr_scores(&self) -> &[f64] {
        &self.scores
    }

    /// Depth-weighted split frequency per feature (grf's default): at each
    /// depth k = 1..=4 the share of splits on the feature, weighted by k⁻²,
    /// normalized to sum to 1 over the depths that have splits.
    pub fn variable_importance(&self) -> &[f64] {
        &self.importance
    }

    /// The nuisance predictions used for centering: (m̂(X), ê(X)).
    pub fn nuisances(&self) -> (&[f64], &[f64]) {
        (&self.y_hat, &self.w_hat)
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }
}

fn intervals(tau: Vec<f64>, tau_se: Vec<f64>, level: f64) -> ForestPrediction {
    let z = normal_quantile(0.5 + level / 2.0);
    let tau_lo = tau.iter().zip(&tau_se).map(|(t, s)| t - z * s).collect();
    let tau_hi = tau.iter().zip(&tau_se).map(|(t, s)| t + z * s).collect();
    ForestPrediction { tau, tau_se, tau_lo, tau_hi }
}

/// τ̂ and SE for rows 0..n, where `leaf(t, i)` is row i's leaf in tree t
/// (`None`: the tree does not vote for this row).
fn predict_with(
    trees: &[CausalTree],
    g: usize,
    n: usize,
    leaf: impl Fn(usize, usize) -> Option<usize> + Sync,
) -> (Vec<f64>, Vec<f64>) {
    let mut out = vec![(f64::NAN, f64::NAN); n];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let mut votes: Vec<Option<LeafMeans>> = vec![None; trees.len()];
        for (k, o) in chunk.iter_mut().enumerate() {
            let i = c * CHUNK + k;
            for (t, v) in votes.iter_mut().enumerate() {
                *v = leaf(t, i).map(|l| trees[t].leaves[l]).filter(|m| m.n > 0);
            }
            *o = estimate(&votes, g);
        }
    });
    out.into_iter().unzip()
}

/// The forest-weighted moment estimate and the little-bags variance from
/// each tree's leaf moments (`None` = tree skipped), trees in groups of `g`.
fn estimate(votes: &[Option<LeafMeans>], g: usize) -> (f64, f64) {
    let mut m = [0.0; 4];
    let mut k = 0usize;
    for v in votes.iter().flatten() {
        m[0] += v.a;
        m[1] += v.b;
        m[2] += v.ab;
        m[3] += v.aa;
        k += 1;
    }
    if k == 0 {
        return (f64::NAN, f64::NAN);
    }
    let [a, b, ab, aa] = m.map(|s| s / k as f64);
    let d = aa - a * a;
    if d <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let tau = (ab - a * b) / d;
    if g < 2 {
        return (tau, f64::NAN);
    }
    let mu = b - a * tau;
    let (mut total, mut between, mut groups) = (0.0, 0.0, 0usize);
    for grp in votes.chunks_exact(g) {
        if grp.iter().any(Option::is_none) {
            continue;
        }
        groups += 1;
        let mut sum = 0.0;
        for v in grp.iter().flatten() {
            let psi = (v.ab - v.aa * tau - v.a * mu) - a * (v.b - v.a * tau - mu);
            total += psi * psi;
            sum += psi;
        }
        let mean = sum / g as f64;
        between += mean * mean;
    }
    if groups == 0 {
        return (tau, f64::NAN);
    }
    let between = between / groups as f64;
    let total = total / (groups * g) as f64;
    let noise = (total - between) / (g - 1) as f64;
    let var = debias(between, noise, groups as f64) / (d * d);
    (tau, var.max(0.0).sqrt())
}

/// grf's objective-Bayes correction of V_between − noise: a uniform prior
/// on [0, ∞) for the true variance and a Gaussian error of the moment
/// estimate with scale max(V_between, noise)·√(2/G).
fn debias(between: f64, noise: f64, groups: f64) -> f64 {
    let initial = between - noise;
    let se = between.max(noise) * (2.0 / groups).sqrt();
    if se <= 0.0 {
        return initial.max(0.0);
    }
    let r = initial / se;
    let cdf = normal_cdf(r);
    if cdf <= 0.0 {
        return 0.0;
    }
    initial + se * normal_pdf(r) / cdf
}

fn importance(trees: &[CausalTree], p: usize) -> Vec<f64> {
    let mut counts = vec![vec![0.0; p]; IMPORTANCE_DEPTH];
    for t in trees {
        let nodes = t.tree.nodes();
        let mut stack = vec![(0usize, 0usize)];
        while let Some((k, depth)) = stack.pop() {
            let node = &nodes[k];
            if node.is_leaf() || depth >= IMPORTANCE_DEPTH {
                continue;
            }
            counts[depth][node.feature as usize] += 1.0;
            stack.push((node.left as usize, depth + 1));
            stack.push((node.right as usize, depth + 1));
        }
    }
    let mut imp = vec![0.0; p];
    let mut norm = 0.0;
    for (d, c) in counts.iter().enumerate() {
        let total: f64 = c.iter().sum();
        if total > 0.0 {
            let weight = ((d + 1) as f64).powi(-2);
            norm += weight;
            for (o, v) in imp.iter_mut().zip(c) {
                *o += weight * v / total;
            }
        }
    }
    if norm > 0.0 {
        imp.iter_mut().for_each(|v| *v /= norm);
    }
    imp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debias_keeps_positive_and_is_identity_far_from_zero() {
        assert!((debias(10.0, 1.0, 1e6) - 9.0).abs() < 1e-9);
        assert!(debias(1.0, 2.0, 50.0) > 0.0);
    }

    #[test]
    fn estimate_solves_the_moment_equation() {
        // two trees, one group: τ̂ = (AB − A·B)/(AA − A²) over the averages
        let l1 = LeafMeans { n: 3, a: 0.1, b: 0.5, ab: 0.4, aa: 0.3 };
        let l2 = LeafMeans { n: 5, a: -0.1, b: 0.2, ab: 0.2, aa: 0.2 };
        let (tau, se) = estimate(&[Some(l1), Some(l2)], 2);
        let (a, b, ab, aa) = (0.0, 0.35, 0.3, 0.25);
        assert!((tau - (ab - a * b) / (aa - a * a)).abs() < 1e-12);
        assert!(se.is_finite() && se >= 0.0);
        let (t1, s1) = estimate(&[Some(l1), None], 2);
        assert!((t1 - (0.4 - 0.05) / (0.3 - 0.01)).abs() < 1e-12);
        assert!(s1.is_nan());
    }
}
