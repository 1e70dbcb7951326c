//! The fitted causal forest: flat trees whose leaves hold estimation
//! moments, prediction by the forest-weighted moment, little-bags variance,
//! binary or multi-arm.

use super::calibrate::{EffectCalibration, Intervals, calibrate};
use super::criterion::MAX_TREATED;
use super::predict::predict;
use super::store::FlatForest;
use crate::{Result, UpliftError};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};
use tp_core::stats::{mean_se, normal_quantile};
use tp_learn::tree::BinnedMatrix;

/// Effects with standard errors and two-sided normal intervals (one arm).
#[derive(Debug, Clone, PartialEq)]
pub struct ForestPrediction {
    /// τ̂(x).
    pub tau: Vec<f64>,
    /// Little-bags standard error of τ̂(x) (NaN with `ci_group_size` 1).
    pub tau_se: Vec<f64>,
    /// Lower interval bound: τ̂ − z·se, or the bias-aware bound
    /// ([`Intervals`](super::Intervals)).
    pub tau_lo: Vec<f64>,
    /// Upper interval bound (same rule).
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
/// fresh one does. Deserialization validates the model
/// ([`validate`](Self::validate)): a malformed one is an error naming what is
/// wrong, never a model whose `predict` could index out of bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
// deserialization goes through `CausalForestForm`: its field attributes (defaults, null → NaN) apply
#[serde(try_from = "CausalForestForm")]
pub struct CausalForestModel {
    forest: FlatForest,
    /// Treated arms D = K − 1.
    d: usize,
    group_size: usize,
    n: usize,
    /// The rest are column-major n × D (arm k at [k·n, (k+1)·n)). Rows that
    /// no tree left out of bag have NaN out-of-bag values, which JSON writes
    /// as `null`: read back as NaN.
    oob_tau: Vec<f64>,
    oob_se: Vec<f64>,
    y_hat: Vec<f64>,
    w_hat: Vec<f64>,
    scores: Vec<f64>,
    importance: Vec<f64>,
    /// What tuning tried and chose (module `tune`); None when it did not run.
    pub(super) tuning: Option<super::TuneReport>,
    /// Per treated arm: the out-of-bag calibration behind bias-aware
    /// intervals (empty in models saved before it existed: then intervals
    /// are variance-only).
    calibration: Vec<EffectCalibration>,
    /// Which intervals `predict_interval` and `oob_interval` report.
    pub(super) intervals: Intervals,
}

/// The unchecked on-disk form of a [`CausalForestModel`].
#[derive(Deserialize)]
struct CausalForestForm {
    forest: FlatForest,
    d: usize,
    group_size: usize,
    n: usize,
    #[serde(deserialize_with = "super::store::nan_for_null")]
    oob_tau: Vec<f64>,
    #[serde(deserialize_with = "super::store::nan_for_null")]
    oob_se: Vec<f64>,
    y_hat: Vec<f64>,
    w_hat: Vec<f64>,
    #[serde(deserialize_with = "super::store::nan_for_null")]
    scores: Vec<f64>,
    importance: Vec<f64>,
    #[serde(default)]
    tuning: Option<super::TuneReport>,
    #[serde(default)]
    calibration: Vec<EffectCalibration>,
    #[serde(default)]
    intervals: Intervals,
}

impl TryFrom<CausalForestForm> for CausalForestModel {
    type Error = UpliftError;

    fn try_from(f: CausalForestForm) -> Result<Self> {
        let model = CausalForestModel {
            forest: f.forest,
            d: f.d,
            group_size: f.group_size,
            n: f.n,
            oob_tau: f.oob_tau,
            oob_se: f.oob_se,
            y_hat: f.y_hat,
            w_hat: f.w_hat,
            scores: f.scores,
            importance: f.importance,
            tuning: f.tuning,
            calibration: f.calibration,
            intervals: f.intervals,
        };
        model.validate()?;
        Ok(model)
    }
}

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
        let codes = |rows: std::ops::Range<usize>, out: &mut Vec<u8>| {
            out.clear();
            rows.for_each(|i| out.extend_from_slice(f.binned.row(i)));
        };
        let in_bag = |t: usize, i: usize| f.bags[f.bag_of_tree[t]][i / 64] & (1 << (i % 64)) != 0;
        let (oob_tau, oob_se) = predict(&f.forest, d, g, n, codes, in_bag);
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
        let calibration = (0..d)
            .map(|k| {
                let r = k * n..(k + 1) * n;
                calibrate(&oob_tau[r.clone()], &oob_se[r.clone()], &scores[r])
            })
            .collect();
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
            calibration,
            intervals: Intervals::default(),
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
        let codes = |rows, out: &mut Vec<u8>| self.forest.bin_rows(x, rows, out);
        let (tau, se) = predict(&self.forest, self.d, self.group_size, n, codes, |_, _| false);
        Ok(ArmEffects {
            tau: Mat::from_fn(n, self.d, |i, k| tau[k * n + i]),
            se: Mat::from_fn(n, self.d, |i, k| se[k * n + i]),
        })
    }

    /// τ̂ₖ(x) of every treated arm for every row of `x` (`n × (K − 1)`), without the
    /// little-bags variance: the same bits as [`predict_arms`](Self::predict_arms)'s `tau`
    /// (the forest averages do not depend on the groups), at the cost of one walk of the
    /// trees instead of the walk plus the per-group projections.
    pub fn predict_tau_arms(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_x(x)?;
        let n = x.nrows();
        let codes = |rows, out: &mut Vec<u8>| self.forest.bin_rows(x, rows, out);
        // groups of one: `predict` skips the variance pass
        let (tau, _) = predict(&self.forest, self.d, 1, n, codes, |_, _| false);
        Ok(Mat::from_fn(n, self.d, |i, k| tau[k * n + i]))
    }

    /// τ̂(x) and its standard error for every row of `x`, for the first
    /// treated arm (the only one of a binary treatment; see
    /// [`predict_arms`](Self::predict_arms) for all arms).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<(Vec<f64>, Vec<f64>)> {
        let e = self.predict_arms(x)?;
        Ok((e.tau.col(0).iter().copied().collect(), e.se.col(0).iter().copied().collect()))
    }

    /// [`predict`](Self::predict) with two-sided normal intervals at `level` (e.g. 0.9).
    /// The bounds follow the model's [`Intervals`] ([`interval_kind`](Self::interval_kind)).
    pub fn predict_interval(&self, x: MatRef<'_, f64>, level: f64) -> Result<ForestPrediction> {
        self.predict_interval_arm(x, 1, level)
    }

    /// τ̂, standard error and interval at `level` of treated arm `arm` (1..K) for every row of `x`.
    pub fn predict_interval_arm(
        &self,
        x: MatRef<'_, f64>,
        arm: usize,
        level: f64,
    ) -> Result<ForestPrediction> {
        check_level(level)?;
        let k = self.arm_index(arm)?;
        let e = self.predict_arms(x)?;
        let tau = e.tau.col(k).iter().copied().collect();
        let se = e.se.col(k).iter().copied().collect();
        Ok(self.intervals_of(k, tau, se, level, self.intervals))
    }

    /// Intervals of treated arm index `k` (0-based) at `level` from τ̂ and SE, by `kind`.
    fn intervals_of(
        &self,
        k: usize,
        tau: Vec<f64>,
        tau_se: Vec<f64>,
        level: f64,
        kind: Intervals,
    ) -> ForestPrediction {
        let z = normal_quantile(0.5 + level / 2.0);
        let cal = self.calibration.get(k);
        let half: Vec<f64> = tau
            .iter()
            .zip(&tau_se)
            .map(|(&t, &s)| match cal {
                Some(c) if kind != Intervals::Variance => c.half_width(t, s, level, kind),
                _ => z * s,
            })
            .collect();
        let tau_lo = tau.iter().zip(&half).map(|(t, h)| t - h).collect();
        let tau_hi = tau.iter().zip(&half).map(|(t, h)| t + h).collect();
        ForestPrediction { tau, tau_se, tau_lo, tau_hi }
    }

    /// The interval half-width at `level` of treated arm `arm` (1..K) for
    /// an estimate `tau` with standard error `se`, by the model's [`Intervals`].
    pub fn half_width(&self, arm: usize, tau: f64, se: f64, level: f64) -> Result<f64> {
        check_level(level)?;
        let k = self.arm_index(arm)?;
        Ok(match self.calibration.get(k) {
            Some(c) => c.half_width(tau, se, level, self.intervals),
            None => normal_quantile(0.5 + level / 2.0) * se,
        })
    }

    /// Which intervals the model reports.
    pub fn interval_kind(&self) -> Intervals {
        self.intervals
    }

    /// The same model reporting `kind` intervals.
    pub fn with_intervals(mut self, kind: Intervals) -> Self {
        self.intervals = kind;
        self
    }

    /// Per treated arm (arm 1 first), the out-of-bag calibration of the
    /// effects against the doubly robust scores: the BLP slope, the bias
    /// model behind bias-aware intervals and the estimated coverage of the
    /// variance-only intervals (module `calibrate`). Empty for a model
    /// saved before calibration existed.
    pub fn calibration(&self) -> &[EffectCalibration] {
        &self.calibration
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
        self.intervals_of(
            0,
            self.oob_tau[..self.n].to_vec(),
            self.oob_se[..self.n].to_vec(),
            level,
            self.intervals,
        )
    }

    /// Out-of-bag predictions of treated arm `arm` (1..K) with intervals at `level`.
    pub fn oob_interval_arm(&self, arm: usize, level: f64) -> Result<ForestPrediction> {
        check_level(level)?;
        let (t, s) = self.oob_predict_arm(arm)?;
        Ok(self.intervals_of(arm - 1, t.to_vec(), s.to_vec(), level, self.intervals))
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

    /// Every centering nuisance: m̂(X), and ê of every treated arm,
    /// column-major `n × (K − 1)` (arm k at `[(k−1)·n, k·n)`), as
    /// [`CausalForest`](super::CausalForest)'s `y_hat` / `w_hat` take them.
    pub(crate) fn centering(&self) -> (&[f64], &[f64]) {
        (&self.y_hat, &self.w_hat)
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

    /// Checks a deserialized model for internal consistency (run by
    /// deserialization itself; the error names what is wrong).
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| UpliftError::CorruptModel { reason: format!("causal forest: {reason}") };
        self.forest.check().map_err(bad)?;
        if self.d == 0 || self.d > MAX_TREATED || self.forest.width() != leaf_width(self.d) {
            return Err(bad(format!(
                "{} treated arms (1..={MAX_TREATED}) with leaf width {} (expected {})",
                self.d,
                self.forest.width(),
                leaf_width(self.d.min(MAX_TREATED))
            )));
        }
        let Some(nd) = self.n.checked_mul(self.d) else {
            return Err(bad(format!("{} training rows is too many", self.n)));
        };
        let lens = [self.oob_tau.len(), self.oob_se.len(), self.w_hat.len(), self.scores.len()];
        if lens.iter().any(|&l| l != nd) || self.y_hat.len() != self.n {
            return Err(bad(format!(
                "training-row vectors have inconsistent lengths (oob_tau, oob_se, w_hat, scores {lens:?}, \
                 y_hat {}; expected {nd} and {})",
                self.y_hat.len(),
                self.n
            )));
        }
        if self.group_size == 0 || !self.forest.n_trees().is_multiple_of(self.group_size) {
            return Err(bad(format!(
                "{} trees do not form whole groups of {}",
                self.forest.n_trees(),
                self.group_size
            )));
        }
        if !self.calibration.is_empty() && self.calibration.len() != self.d {
            return Err(bad(format!("{} calibrations for {} treated arms", self.calibration.len(), self.d)));
        }
        if self.importance.len() != self.forest.n_features() {
            return Err(bad(format!(
                "{} importance values for {} features",
                self.importance.len(),
                self.forest.n_features()
            )));
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
