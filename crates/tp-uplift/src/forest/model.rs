//! The fitted causal forest: flat trees whose leaves hold estimation
//! moments, prediction by the forest-weighted moment, little-bags variance,
//! binary or multi-arm.

use super::criterion::{MAX_TREATED, solve_in_place};
use super::store::{FlatForest, binned_code};
use crate::{Result, UpliftError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};
use tp_core::stats::{mean_se, normal_cdf, normal_pdf, normal_quantile};
use tp_learn::tree::BinnedMatrix;

/// Effects with standard errors and two-sided normal intervals (one arm).
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

/// Effects of every treated arm against control: `n × (K − 1)` matrices.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmEffects {
    /// τ̂ₖ(x), column k − 1 for arm k.
    pub tau: Mat<f64>,
    /// Little-bags standard errors, same layout.
    pub se: Mat<f64>,
}

/// A fitted causal forest (see [`CausalForest`](super::CausalForest)).
///
/// Serializable (serde): the trees are stored compactly (see the module
/// `store`), with the out-of-bag effects, nuisances and doubly robust
/// scores of the training rows, so a loaded model answers every query a
/// fresh one does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CausalForestModel {
    forest: FlatForest,
    /// Treated arms D = K − 1.
    d: usize,
    group_size: usize,
    n: usize,
    /// The rest are column-major n × D (arm k at [k·n, (k+1)·n)). Rows that
    /// no tree left out of bag have NaN out-of-bag values, which JSON writes
    /// as `null`: read back as NaN.
    #[serde(deserialize_with = "super::store::nan_for_null")]
    oob_tau: Vec<f64>,
    #[serde(deserialize_with = "super::store::nan_for_null")]
    oob_se: Vec<f64>,
    y_hat: Vec<f64>,
    w_hat: Vec<f64>,
    #[serde(deserialize_with = "super::store::nan_for_null")]
    scores: Vec<f64>,
    importance: Vec<f64>,
    /// What tuning tried and chose (module `tune`); None when it did not run.
    #[serde(default)]
    pub(super) tuning: Option<super::TuneReport>,
}

/// Rows per parallel prediction chunk.
const CHUNK: usize = 256;
/// Depths (root = 1) counted by the variable importance.
const IMPORTANCE_DEPTH: usize = 4;
/// Propensity clipping of the doubly robust scores.
const CLIP: f64 = 0.01;

/// Number of f64 per leaf for D treated arms: a (D), b, ab (D), aaᵀ upper triangle.
pub(crate) fn leaf_width(d: usize) -> usize {
    2 * d + 1 + d * (d + 1) / 2
}

/// Everything the fit hands to the model.
pub(crate) struct Fitted<'a> {
    pub forest: FlatForest,
    pub d: usize,
    pub group_size: usize,
    pub binned: &'a BinnedMatrix,
    /// In-bag bitsets and the bag of each tree.
    pub bags: Vec<Vec<u64>>,
    pub bag_of_tree: Vec<usize>,
    pub arms: &'a [usize],
    pub y_hat: Vec<f64>,
    /// Column-major n × D.
    pub w_hat: Vec<f64>,
    pub outcome: &'a [f64],
}

impl CausalForestModel {
    pub(crate) fn assemble(f: Fitted<'_>) -> Self {
        let n = f.arms.len();
        let (d, g) = (f.d, f.group_size);
        let (oob_tau, oob_se) = predict_rows(&f.forest, d, g, n, |i, vote| {
            for t in 0..f.forest.n_trees() {
                let bag = &f.bags[f.bag_of_tree[t]];
                vote(
                    t,
                    (bag[i / 64] & (1 << (i % 64)) == 0).then(|| f.forest.leaf(t, binned_code(f.binned, i))),
                );
            }
        });
        // grf's multi-arm scores: μ̂₀ = m̂ − Σₖ êₖτ̂ₖ, μ̂ₖ = μ̂₀ + τ̂ₖ,
        // Γₖ = τ̂ₖ + 1{W=k}(Y − μ̂ₖ)/êₖ − 1{W=0}(Y − μ̂₀)/ê₀
        let mut scores = vec![f64::NAN; n * d];
        for i in 0..n {
            let mut mu0 = f.y_hat[i];
            let mut e0 = 1.0;
            for k in 0..d {
                mu0 -= f.w_hat[k * n + i] * oob_tau[k * n + i];
                e0 -= f.w_hat[k * n + i];
            }
            let (arm, y) = (f.arms[i], f.outcome[i]);
            let e0 = e0.clamp(CLIP, 1.0 - CLIP);
            for k in 0..d {
                let tau = oob_tau[k * n + i];
                let ek = f.w_hat[k * n + i].clamp(CLIP, 1.0 - CLIP);
                let mut s = tau;
                if arm == k + 1 {
                    s += (y - mu0 - tau) / ek;
                } else if arm == 0 {
                    s -= (y - mu0) / e0;
                }
                scores[k * n + i] = s;
            }
        }
        let importance = importance(&f.forest);
        Self {
            forest: f.forest,
            d,
            group_size: g,
            n,
            oob_tau,
            oob_se,
            y_hat: f.y_hat,
            w_hat: f.w_hat,
            scores,
            importance,
            tuning: None,
        }
    }

    fn check_x(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.forest.n_features() {
            return Err(UpliftError::Shape {
                what: "covariates to predict".into(),
                expected: format!("{} columns (as in training)", self.forest.n_features()),
                got: x.ncols().to_string(),
            });
        }
        Ok(())
    }

    /// τ̂ₖ(x) and standard errors of every treated arm for every row of `x`
    /// (same columns as the training covariates; NaN allowed).
    pub fn predict_arms(&self, x: MatRef<'_, f64>) -> Result<ArmEffects> {
        self.check_x(x)?;
        let n = x.nrows();
        let p = self.forest.n_features();
        let (tau, se) = predict_rows_binned(&self.forest, self.d, self.group_size, x, p);
        Ok(ArmEffects {
            tau: Mat::from_fn(n, self.d, |i, k| tau[k * n + i]),
            se: Mat::from_fn(n, self.d, |i, k| se[k * n + i]),
        })
    }

    /// τ̂(x) and its standard error for every row of `x`, for the first
    /// treated arm (the only one of a binary treatment; see
    /// [`predict_arms`](Self::predict_arms) for all arms).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<(Vec<f64>, Vec<f64>)> {
        let e = self.predict_arms(x)?;
        Ok((e.tau.col(0).iter().copied().collect(), e.se.col(0).iter().copied().collect()))
    }

    /// [`predict`](Self::predict) with two-sided normal intervals at `level` (e.g. 0.9).
    pub fn predict_interval(&self, x: MatRef<'_, f64>, level: f64) -> Result<ForestPrediction> {
        check_level(level)?;
        let (tau, tau_se) = self.predict(x)?;
        Ok(intervals(tau, tau_se, level))
    }

    /// Out-of-bag τ̂ and standard error of each training row for treated
    /// arm `arm` (1..K) (only trees whose subsample excluded the row; NaN
    /// when no tree did).
    pub fn oob_predict_arm(&self, arm: usize) -> Result<(&[f64], &[f64])> {
        let k = self.arm_index(arm)?;
        let r = k * self.n..(k + 1) * self.n;
        Ok((&self.oob_tau[r.clone()], &self.oob_se[r]))
    }

    /// [`oob_predict_arm`](Self::oob_predict_arm) for the first treated arm.
    pub fn oob_predict(&self) -> (&[f64], &[f64]) {
        (&self.oob_tau[..self.n], &self.oob_se[..self.n])
    }

    /// Out-of-bag predictions of the first treated arm with intervals at `level`.
    pub fn oob_interval(&self, level: f64) -> ForestPrediction {
        intervals(self.oob_tau[..self.n].to_vec(), self.oob_se[..self.n].to_vec(), level)
    }

    /// Out-of-bag predictions of treated arm `arm` (1..K) with intervals at `level`.
    pub fn oob_interval_arm(&self, arm: usize, level: f64) -> Result<ForestPrediction> {
        check_level(level)?;
        let (t, s) = self.oob_predict_arm(arm)?;
        Ok(intervals(t.to_vec(), s.to_vec(), level))
    }

    fn arm_index(&self, arm: usize) -> Result<usize> {
        if arm == 0 || arm > self.d {
            return Err(UpliftError::InvalidParameter {
                name: "arm".into(),
                value: arm.to_string(),
                expected: format!("a treated arm 1..={}", self.d),
            });
        }
        Ok(arm - 1)
    }

    /// Doubly robust ATE of the first treated arm against control and its
    /// standard error (see [`ate_arms`](Self::ate_arms)).
    pub fn ate(&self) -> (f64, f64) {
        self.ate_arms()[0]
    }

    /// Doubly robust ATE and standard error of each treated arm against
    /// control, from the out-of-bag scores (grf's): with μ̂₀ = m̂ − Σₖêₖτ̂ₖ,
    /// Γₖ = τ̂ₖ + 1{W=k}(Y − μ̂₀ − τ̂ₖ)/êₖ − 1{W=0}(Y − μ̂₀)/ê₀, propensities
    /// clipped to [0.01, 0.99] in the weights; rows without an OOB estimate
    /// are left out. For a binary treatment Γ = τ̂ + (W − ê)/(ê(1 − ê))·(Ỹ − W̃τ̂).
    pub fn ate_arms(&self) -> Vec<(f64, f64)> {
        (0..self.d)
            .map(|k| {
                let s: Vec<f64> = self.scores[k * self.n..(k + 1) * self.n]
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .collect();
                mean_se(&s)
            })
            .collect()
    }

    /// The doubly robust scores Γ of the first treated arm behind [`ate`](Self::ate).
    pub fn dr_scores(&self) -> &[f64] {
        &self.scores[..self.n]
    }

    /// The doubly robust scores of treated arm `arm` (1..K).
    pub fn dr_scores_arm(&self, arm: usize) -> Result<&[f64]> {
        let k = self.arm_index(arm)?;
        Ok(&self.scores[k * self.n..(k + 1) * self.n])
    }

    /// Depth-weighted split frequency per feature (grf's default): at each
    /// depth k = 1..=4 the share of splits on the feature, weighted by k⁻²,
    /// normalized to sum to 1 over the depths that have splits.
    pub fn variable_importance(&self) -> &[f64] {
        &self.importance
    }

    /// The nuisance predictions used for centering: (m̂(X), ê₁(X)), the
    /// propensity of the first treated arm.
    pub fn nuisances(&self) -> (&[f64], &[f64]) {
        (&self.y_hat, &self.w_hat[..self.n])
    }

    /// Propensity ê_arm(X) of treated arm `arm` (1..K) used for centering.
    pub fn propensity_arm(&self, arm: usize) -> Result<&[f64]> {
        let k = self.arm_index(arm)?;
        Ok(&self.w_hat[k * self.n..(k + 1) * self.n])
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.forest.n_trees()
    }

    /// Number of treated arms (K − 1).
    pub fn n_treated(&self) -> usize {
        self.d
    }

    /// Number of covariates the forest was trained on.
    pub fn n_features(&self) -> usize {
        self.forest.n_features()
    }

    /// Bytes of the stored trees (nodes and leaf moments).
    pub fn tree_bytes(&self) -> usize {
        self.forest.heap_bytes()
    }

    /// Checks a deserialized model for internal consistency.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| UpliftError::CorruptModel { reason };
        self.forest.check().map_err(|e| bad(format!("causal forest: {e}")))?;
        if self.d == 0 || self.d > MAX_TREATED || self.forest.width() != leaf_width(self.d) {
            return Err(bad(format!(
                "causal forest: {} treated arms with leaf width {}",
                self.d,
                self.forest.width()
            )));
        }
        let nd = self.n * self.d;
        let lens = [self.oob_tau.len(), self.oob_se.len(), self.w_hat.len(), self.scores.len()];
        if lens.iter().any(|&l| l != nd) || self.y_hat.len() != self.n || self.group_size == 0 {
            return Err(bad("causal forest: training-row vectors have inconsistent lengths".into()));
        }
        Ok(())
    }
}

fn check_level(level: f64) -> Result<()> {
    if !(level > 0.0 && level < 1.0) {
        return Err(UpliftError::InvalidParameter {
            name: "level".into(),
            value: level.to_string(),
            expected: "a value in (0, 1), e.g. 0.9".into(),
        });
    }
    Ok(())
}

fn intervals(tau: Vec<f64>, tau_se: Vec<f64>, level: f64) -> ForestPrediction {
    let z = normal_quantile(0.5 + level / 2.0);
    let tau_lo = tau.iter().zip(&tau_se).map(|(t, s)| t - z * s).collect();
    let tau_hi = tau.iter().zip(&tau_se).map(|(t, s)| t + z * s).collect();
    ForestPrediction { tau, tau_se, tau_lo, tau_hi }
}

/// Predictions for new rows: each chunk is binned on the fly.
fn predict_rows_binned(
    forest: &FlatForest,
    d: usize,
    g: usize,
    x: MatRef<'_, f64>,
    p: usize,
) -> (Vec<f64>, Vec<f64>) {
    let n = x.nrows();
    let mut out = vec![[f64::NAN; 2 * MAX_TREATED]; n];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let start = c * CHUNK;
        let mut codes = Vec::new();
        forest.bin_rows(x, start..start + chunk.len(), &mut codes);
        let mut scratch = Scratch::new(forest.n_trees());
        for (k, o) in chunk.iter_mut().enumerate() {
            scratch.clear();
            for t in 0..forest.n_trees() {
                scratch.vote(forest, t, Some(forest.leaf(t, |f| codes[k * p + f])));
            }
            *o = scratch.estimate(d, g);
        }
    });
    columns(out, d)
}

/// Predictions for rows 0..n where `votes(i, vote)` calls `vote(t, leaf)`
/// for every tree t (`None`: the tree does not vote for row i).
fn predict_rows(
    forest: &FlatForest,
    d: usize,
    g: usize,
    n: usize,
    votes: impl Fn(usize, &mut dyn FnMut(usize, Option<usize>)) + Sync,
) -> (Vec<f64>, Vec<f64>) {
    let mut out = vec![[f64::NAN; 2 * MAX_TREATED]; n];
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let mut scratch = Scratch::new(forest.n_trees());
        for (k, o) in chunk.iter_mut().enumerate() {
            scratch.clear();
            votes(c * CHUNK + k, &mut |t, l| scratch.vote(forest, t, l));
            *o = scratch.estimate(d, g);
        }
    });
    columns(out, d)
}

fn columns(rows: Vec<[f64; 2 * MAX_TREATED]>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len();
    let mut tau = vec![0.0; n * d];
    let mut se = vec![0.0; n * d];
    for (i, r) in rows.iter().enumerate() {
        for k in 0..d {
            tau[k * n + i] = r[k];
            se[k * n + i] = r[MAX_TREATED + k];
        }
    }
    (tau, se)
}

/// Per-row buffer of the trees' leaf payloads (`None` = tree skipped).
struct Scratch<'f> {
    votes: Vec<Option<&'f [f64]>>,
}

impl<'f> Scratch<'f> {
    fn new(trees: usize) -> Self {
        Self { votes: Vec::with_capacity(trees) }
    }
    fn clear(&mut self) {
        self.votes.clear();
    }
    fn vote(&mut self, forest: &'f FlatForest, t: usize, leaf: Option<usize>) {
        debug_assert_eq!(self.votes.len(), t);
        self.votes.push(leaf.map(|l| forest.payload(l)).filter(|m| !m[0].is_nan()));
    }
    fn estimate(&self, d: usize, g: usize) -> [f64; 2 * MAX_TREATED] {
        estimate(&self.votes, d, g)
    }
}

/// Reads a leaf payload: (a, b, ab, aaᵀ as a full d × d matrix).
#[inline]
fn unpack<'v>(v: &'v [f64], d: usize, aa: &mut [f64; 64]) -> (&'v [f64], f64, &'v [f64]) {
    let tri = &v[2 * d + 1..];
    let mut at = 0;
    for k in 0..d {
        for j in k..d {
            aa[k * d + j] = tri[at];
            aa[j * d + k] = tri[at];
            at += 1;
        }
    }
    (&v[..d], v[d], &v[d + 1..2 * d + 1])
}

/// The forest-weighted moment estimate and the little-bags variance per arm
/// from each tree's leaf moments, trees in groups of `g`: τ̂ in `[..d]`, SE
/// in `[MAX_TREATED..MAX_TREATED + d]`.
pub(crate) fn estimate(votes: &[Option<&[f64]>], d: usize, g: usize) -> [f64; 2 * MAX_TREATED] {
    let mut out = [f64::NAN; 2 * MAX_TREATED];
    let (mut a, mut b, mut ab, mut aa) = ([0.0; MAX_TREATED], 0.0, [0.0; MAX_TREATED], [0.0; 64]);
    let mut leaf_aa = [0.0; 64];
    let mut k_votes = 0usize;
    for v in votes.iter().flatten() {
        let (la, lb, lab) = unpack(v, d, &mut leaf_aa);
        for k in 0..d {
            a[k] += la[k];
            ab[k] += lab[k];
        }
        for (s, l) in aa[..d * d].iter_mut().zip(&leaf_aa[..d * d]) {
            *s += l;
        }
        b += lb;
        k_votes += 1;
    }
    if k_votes == 0 {
        return out;
    }
    let kf = k_votes as f64;
    a[..d].iter_mut().chain(ab[..d].iter_mut()).chain(aa[..d * d].iter_mut()).for_each(|v| *v /= kf);
    b /= kf;
    // M = AA − AAᵀ, τ̂ = M⁻¹(AB − A·B)
    let mut m = [0.0; 64];
    let mut tau = [0.0; MAX_TREATED];
    for k in 0..d {
        for j in 0..d {
            m[k * d + j] = aa[k * d + j] - a[k] * a[j];
        }
        tau[k] = ab[k] - a[k] * b;
    }
    if (0..d).any(|k| m[k * d + k] <= 0.0) {
        return out;
    }
    let m_copy = m;
    if solve_in_place(&mut m[..d * d], &mut tau[..d], d).is_none() {
        return out;
    }
    out[..d].copy_from_slice(&tau[..d]);
    if g < 2 {
        return out;
    }
    // M⁻¹ as columns, to project each tree's ψ
    let mut m_inv = [0.0; 64];
    for c in 0..d {
        let mut mm = m_copy;
        let mut e = [0.0; MAX_TREATED];
        e[c] = 1.0;
        if solve_in_place(&mut mm[..d * d], &mut e[..d], d).is_none() {
            return out;
        }
        for r in 0..d {
            m_inv[r * d + c] = e[r];
        }
    }
    let mu = b - (0..d).map(|k| a[k] * tau[k]).sum::<f64>();
    let (mut total, mut between, mut groups) = ([0.0; MAX_TREATED], [0.0; MAX_TREATED], 0usize);
    for grp in votes.chunks_exact(g) {
        if grp.iter().any(Option::is_none) {
            continue;
        }
        groups += 1;
        let mut sum = [0.0; MAX_TREATED];
        for v in grp.iter().flatten() {
            let (la, lb, lab) = unpack(v, d, &mut leaf_aa);
            let at: f64 = (0..d).map(|k| la[k] * tau[k]).sum();
            let resid = lb - at - mu;
            let mut psi = [0.0; MAX_TREATED];
            for k in 0..d {
                let aat: f64 = (0..d).map(|j| leaf_aa[k * d + j] * tau[j]).sum();
                psi[k] = (lab[k] - aat - la[k] * mu) - a[k] * resid;
            }
            for k in 0..d {
                let phi: f64 = (0..d).map(|j| m_inv[k * d + j] * psi[j]).sum();
                total[k] += phi * phi;
                sum[k] += phi;
            }
        }
        for k in 0..d {
            let mean = sum[k] / g as f64;
            between[k] += mean * mean;
        }
    }
    if groups == 0 {
        return out;
    }
    for k in 0..d {
        let between = between[k] / groups as f64;
        let total = total[k] / (groups * g) as f64;
        let noise = (total - between) / (g - 1) as f64;
        out[MAX_TREATED + k] = debias(between, noise, groups as f64).max(0.0).sqrt();
    }
    out
}

/// grf's objective-Bayes correction of V_between − noise: a uniform prior
/// on [0, ∞) for the true variance and a Gaussian error of the moment
/// estimate with scale max(V_between, noise)·√(2/G). The uplift forest's
/// little bags use it too.
pub(crate) fn debias(between: f64, noise: f64, groups: f64) -> f64 {
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

fn importance(forest: &FlatForest) -> Vec<f64> {
    let counts = forest.split_counts(IMPORTANCE_DEPTH);
    let mut imp = vec![0.0; forest.n_features()];
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
        // leaves (a, b, ab, aa); two trees, one group
        let l1 = [0.1, 0.5, 0.4, 0.3];
        let l2 = [-0.1, 0.2, 0.2, 0.2];
        let out = estimate(&[Some(&l1), Some(&l2)], 1, 2);
        let (a, b, ab, aa) = (0.0, 0.35, 0.3, 0.25);
        assert!((out[0] - (ab - a * b) / (aa - a * a)).abs() < 1e-12);
        assert!(out[MAX_TREATED].is_finite() && out[MAX_TREATED] >= 0.0);
        let one = estimate(&[Some(&l1), None], 1, 2);
        assert!((one[0] - (0.4 - 0.05) / (0.3 - 0.01)).abs() < 1e-12);
        assert!(one[MAX_TREATED].is_nan());
    }

    #[test]
    fn two_arm_estimate_solves_the_vector_moment_equation() {
        // one leaf with a = (0.1, −0.2), b = 0.3, ab = (0.2, 0.1), aa = [[0.4, 0.05], [0.05, 0.3]]
        let l = [0.1, -0.2, 0.3, 0.2, 0.1, 0.4, 0.05, 0.3];
        assert_eq!(l.len(), leaf_width(2));
        let out = estimate(&[Some(&l)], 2, 1);
        let m = [0.4 - 0.01, 0.05 + 0.02, 0.05 + 0.02, 0.3 - 0.04];
        let r = [0.2 - 0.03, 0.1 + 0.06];
        let det = m[0] * m[3] - m[1] * m[2];
        let want = [(m[3] * r[0] - m[1] * r[1]) / det, (m[0] * r[1] - m[2] * r[0]) / det];
        assert!((out[0] - want[0]).abs() < 1e-12 && (out[1] - want[1]).abs() < 1e-12, "{out:?}");
    }
}
