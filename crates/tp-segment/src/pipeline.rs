//! The one-call pipeline behind `tp segment`: scale → NMF → K-Means on the
//! factor scores → metrics → bootstrap stability → summaries.
//!
//! Choices, in order:
//! 1. Columns are scaled by their maximum ([`Scale::MaxAbs`], default) so
//!    that features in dollars and in counts weigh alike and X stays ≥ 0;
//!    the NMF objective and explained variance are on the scaled X.
//! 2. NMF rank: fixed, or chosen by [`crate::choose_factors`] over a range.
//! 3. Each row of H is rescaled to unit L2 norm (W's column by the inverse),
//!    so WH is unchanged and every factor score is in the units of X.
//! 4. K-Means on W; the number of clusters is fixed, or chosen by
//!    [`crate::choose_clusters`] (lowest Davies–Bouldin) over a range.
//! 5. Silhouette, Davies–Bouldin and Calinski–Harabasz on W with the final
//!    labels; bootstrap ARI stability on W; profiles on the unscaled X.

use crate::error::{Result, SegmentError};
use crate::kmeans::{Algorithm, KMeans};
use crate::nmf::{Loss, Nmf, NmfDiagnostics, Solver};
use crate::select::{self, KMeansCurvePoint, NmfCurvePoint};
use crate::stability::{Stability, bootstrap_stability};
use crate::summary::{FactorColumns, SegmentProfile, factor_top_columns, segment_profiles};
use faer::{Mat, MatRef};
use std::time::Instant;

/// A fixed number, or automatic choice over an inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Choice {
    /// Use exactly this many.
    Fixed(usize),
    /// Choose within `min..=max` by the documented rule.
    Auto {
        /// Smallest candidate.
        min: usize,
        /// Largest candidate.
        max: usize,
    },
}

/// Column scaling before NMF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub enum Scale {
    /// Use X as given.
    None,
    /// Divide each column by its maximum (all-zero columns stay 0).
    #[default]
    MaxAbs,
}

/// Entry point of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct SegmentPipeline;

/// Pipeline parameters (a consuming builder).
#[derive(Debug, Clone)]
pub struct PipelineParams {
    factors: Choice,
    clusters: Choice,
    solver: Solver,
    loss: Loss,
    seed: u64,
    scale: Scale,
    n_init: usize,
    nmf_max_iter: usize,
    nmf_tol: f64,
    target_explained_variance: f64,
    stability_runs: usize,
    stability_fraction: f64,
    top_columns: usize,
}

impl SegmentPipeline {
    /// Defaults: factors and clusters `Auto { min: 2, max: 10 }`, [`Solver::Cd`],
    /// Frobenius, seed 0, [`Scale::MaxAbs`], K-Means `n_init = 10`, NMF
    /// `max_iter = 500`, `tol = 1e-5`, EV target 0.90, 100 stability runs of
    /// 80 % subsamples, 5 top columns per factor.
    pub fn params() -> PipelineParams {
        PipelineParams {
            factors: Choice::Auto { min: 2, max: 10 },
            clusters: Choice::Auto { min: 2, max: 10 },
            solver: Solver::Cd,
            loss: Loss::Frobenius,
            seed: 0,
            scale: Scale::MaxAbs,
            n_init: 10,
            nmf_max_iter: 500,
            nmf_tol: 1e-5,
            target_explained_variance: 0.9,
            stability_runs: 100,
            stability_fraction: 0.8,
            top_columns: 5,
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta] $name:ident: $ty:ty),* $(,)?) => {
        $(#[$doc] pub fn $name(mut self, v: $ty) -> Self { self.$name = v; self })*
    };
}

impl PipelineParams {
    setter! {
        /// NMF rank: fixed or auto (smallest k with EV ≥ target, else the elbow).
        factors: Choice,
        /// Number of segments: fixed or auto (lowest Davies–Bouldin).
        clusters: Choice,
        /// NMF solver.
        solver: Solver,
        /// NMF loss.
        loss: Loss,
        /// Seed of every stochastic step.
        seed: u64,
        /// Column scaling before NMF.
        scale: Scale,
        /// K-Means restarts.
        n_init: usize,
        /// NMF iteration cap.
        nmf_max_iter: usize,
        /// NMF tolerance.
        nmf_tol: f64,
        /// Centered explained variance the auto rank rule aims for.
        target_explained_variance: f64,
        /// Bootstrap stability runs (0 skips stability).
        stability_runs: usize,
        /// Share of rows in each stability subsample.
        stability_fraction: f64,
        /// Top-loading columns listed per factor.
        top_columns: usize,
    }

    /// Fit on X (n × m, ≥ 0) with its column names.
    pub fn fit(&self, x: MatRef<'_, f64>, names: &[String]) -> Result<SegmentResult> {
        self.fit_with_value(x, names, None)
    }

    /// Fit, and report each segment's share of `value` (e.g. revenue per row).
    pub fn fit_with_value(
        &self,
        x: MatRef<'_, f64>,
        names: &[String],
        value: Option<&[f64]>,
    ) -> Result<SegmentResult> {
        let start = Instant::now();
        let (n, m) = (x.nrows(), x.ncols());
        if names.len() != m {
            return Err(SegmentError::Shape {
                what: "column names".into(),
                expected: m.to_string(),
                got: names.len().to_string(),
            });
        }
        check_columns(x, names)?;
        let xs = match self.scale {
            Scale::None => x.to_owned(),
            Scale::MaxAbs => {
                let max: Vec<f64> = (0..m).map(|j| x.col(j).iter().fold(0.0f64, |a, b| a.max(*b))).collect();
                Mat::from_fn(n, m, |i, j| if max[j] > 0.0 { x[(i, j)] / max[j] } else { 0.0 })
            }
        };
        let nmf_params = Nmf::params(1)
            .solver(self.solver)
            .loss(self.loss)
            .seed(tp_core::rng::derive_seed_str(self.seed, "nmf"))
            .max_iter(self.nmf_max_iter)
            .tol(self.nmf_tol);
        let mut timings = Timings::default();
        let t = Instant::now();
        let (k_factors, factor_curve) = match self.factors {
            Choice::Fixed(k) => (k, None),
            Choice::Auto { min, max } => {
                let max = max.min(n.min(m));
                let curve = select::nmf_curve(xs.as_ref(), &nmf_params, min, max)?;
                let k = select::choose_factors(&curve, self.target_explained_variance).unwrap_or(min);
                (k, Some(curve))
            }
        };
        timings.factor_selection = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let nmf = nmf_params.with_k(k_factors).fit(xs.as_ref())?;
        let nmf_diag = nmf.diagnostics().clone();
        let (mut w, mut h) = nmf.into_factors();
        for t in 0..k_factors {
            let norm = h.row(t).norm_l2();
            if norm > 0.0 {
                for j in 0..m {
                    h[(t, j)] /= norm;
                }
                for i in 0..n {
                    w[(i, t)] *= norm;
                }
            }
        }
        timings.nmf = t.elapsed().as_secs_f64();

        let km_params =
            KMeans::params(2).n_init(self.n_init).seed(tp_core::rng::derive_seed_str(self.seed, "kmeans"));
        let metric_seed = tp_core::rng::derive_seed_str(self.seed, "silhouette");
        let t = Instant::now();
        let (k_clusters, cluster_curve) = match self.clusters {
            Choice::Fixed(k) => (k, None),
            Choice::Auto { min, max } => {
                let max = max.min(n.saturating_sub(1));
                let curve = select::kmeans_curve(w.as_ref(), &km_params, min, max, metric_seed)?;
                (select::choose_clusters(&curve).unwrap_or(min), Some(curve))
            }
        };
        timings.cluster_selection = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let km = km_params.with_k(k_clusters).algorithm(Algorithm::Hamerly).fit(w.as_ref())?;
        timings.kmeans = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let scores = select::score_labels(w.as_ref(), k_clusters, km.inertia(), km.labels(), metric_seed)?;
        timings.metrics = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let stability = if self.stability_runs > 0 {
            Some(bootstrap_stability(
                w.as_ref(),
                &km_params.with_k(k_clusters),
                km.labels(),
                self.stability_runs,
                self.stability_fraction,
                tp_core::rng::derive_seed_str(self.seed, "stability"),
            )?)
        } else {
            None
        };
        timings.stability = t.elapsed().as_secs_f64();
        let profiles = segment_profiles(x, km.labels(), k_clusters, value)?;
        let factor_columns = factor_top_columns(h.as_ref(), names, self.top_columns)?;
        timings.total = start.elapsed().as_secs_f64();
        Ok(SegmentResult {
            labels: km.labels().to_vec(),
            centers: km.centers().to_owned(),
            kmeans_n_iter: km.diagnostics().n_iter,
            kmeans_converged: km.diagnostics().converged,
            w,
            h,
            nmf: nmf_diag,
            k_factors,
            k_clusters,
            scores,
            stability,
            factor_curve,
            cluster_curve,
            profiles,
            factor_columns,
            timings,
        })
    }
}

fn check_columns(x: MatRef<'_, f64>, names: &[String]) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if !v.is_finite() {
                return Err(SegmentError::NonFinite {
                    input: format!("column '{}'", names[j]),
                    row: i,
                    column: j,
                    value: v,
                });
            }
            if v < 0.0 {
                return Err(SegmentError::Negative {
                    input: format!("column '{}'", names[j]),
                    row: i,
                    column: j,
                    value: v,
                });
            }
        }
    }
    Ok(())
}

/// Wall-clock seconds per stage.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// NMF rank selection (0 when fixed).
    pub factor_selection: f64,
    /// The final NMF fit.
    pub nmf: f64,
    /// Cluster-count selection (0 when fixed).
    pub cluster_selection: f64,
    /// The final K-Means fit.
    pub kmeans: f64,
    /// Silhouette, Davies–Bouldin, Calinski–Harabasz.
    pub metrics: f64,
    /// Bootstrap stability.
    pub stability: f64,
    /// Everything.
    pub total: f64,
}

/// Everything the pipeline produced.
#[derive(Debug, Clone)]
pub struct SegmentResult {
    /// Segment of every row (0..k_clusters).
    pub labels: Vec<usize>,
    /// K-Means centers in factor space (k_clusters × k_factors).
    pub centers: Mat<f64>,
    /// K-Means iterations of the kept restart.
    pub kmeans_n_iter: usize,
    /// Whether that restart converged.
    pub kmeans_converged: bool,
    /// Factor scores (n × k_factors), H rows normalised to unit L2 norm.
    pub w: Mat<f64>,
    /// Factor loadings (k_factors × m), rows of unit L2 norm.
    pub h: Mat<f64>,
    /// The final NMF fit's diagnostics (on the scaled X).
    pub nmf: NmfDiagnostics,
    /// NMF rank used.
    pub k_factors: usize,
    /// Number of segments used.
    pub k_clusters: usize,
    /// Inertia, silhouette, Davies–Bouldin, Calinski–Harabasz of the final labels on W.
    pub scores: KMeansCurvePoint,
    /// Bootstrap ARI (None when `stability_runs = 0`).
    pub stability: Option<Stability>,
    /// The rank curve when the rank was chosen automatically.
    pub factor_curve: Option<Vec<NmfCurvePoint>>,
    /// The cluster curve when k was chosen automatically.
    pub cluster_curve: Option<Vec<KMeansCurvePoint>>,
    /// Per-segment profiles on the unscaled X.
    pub profiles: Vec<SegmentProfile>,
    /// Top-loading columns per factor.
    pub factor_columns: Vec<FactorColumns>,
    /// Seconds per stage.
    pub timings: Timings,
}

/// The `--json` summary of `tp segment` (serialize with serde_json).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SegmentReport {
    /// NMF: objective (‖X − WH‖_F or √(2·KL)), explained variance, iterations, rank.
    pub nmf: NmfReport,
    /// K-Means: k, inertia, iterations.
    pub kmeans: KMeansReport,
    /// Mean silhouette of the segments (on W).
    pub silhouette: f64,
    /// Davies–Bouldin index (on W).
    pub davies_bouldin: f64,
    /// Calinski–Harabasz index (on W).
    pub calinski_harabasz: f64,
    /// Bootstrap ARI mean and sd (null when skipped).
    pub stability_ari: Option<StabilityReport>,
    /// Total seconds.
    pub seconds: f64,
    /// Seconds per stage.
    pub timings: Timings,
    /// Rank curve (auto only).
    pub factor_curve: Option<Vec<NmfCurvePoint>>,
    /// Cluster curve (auto only).
    pub cluster_curve: Option<Vec<KMeansCurvePoint>>,
    /// Segment profiles.
    pub segments: Vec<SegmentProfile>,
    /// Factor name candidates.
    pub factors: Vec<FactorColumns>,
}

/// NMF part of [`SegmentReport`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct NmfReport {
    /// Rank.
    pub k: usize,
    /// scikit-learn `reconstruction_err_` scale.
    pub objective: f64,
    /// Centered explained variance.
    pub explained_variance: f64,
    /// Total explained variance.
    pub explained_variance_total: f64,
    /// Iterations.
    pub n_iter: usize,
    /// Converged before `max_iter`.
    pub converged: bool,
}

/// K-Means part of [`SegmentReport`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct KMeansReport {
    /// Number of segments.
    pub k: usize,
    /// Within-cluster sum of squares on W.
    pub inertia: f64,
    /// Iterations.
    pub n_iter: usize,
    /// Converged before `max_iter`.
    pub converged: bool,
}

/// Stability part of [`SegmentReport`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct StabilityReport {
    /// Mean ARI.
    pub mean: f64,
    /// Sample sd of the ARI.
    pub sd: f64,
    /// Number of runs.
    pub runs: usize,
}

impl SegmentResult {
    /// The machine-readable summary `tp segment --json` prints.
    pub fn report(&self) -> SegmentReport {
        SegmentReport {
            nmf: NmfReport {
                k: self.k_factors,
                objective: self.nmf.objective,
                explained_variance: self.nmf.explained_variance,
                explained_variance_total: self.nmf.explained_variance_total,
                n_iter: self.nmf.n_iter,
                converged: self.nmf.converged,
            },
            kmeans: KMeansReport {
                k: self.k_clusters,
                inertia: self.scores.inertia,
                n_iter: self.kmeans_n_iter,
                converged: self.kmeans_converged,
            },
            silhouette: self.scores.silhouette,
            davies_bouldin: self.scores.davies_bouldin,
            calinski_harabasz: self.scores.calinski_harabasz,
            stability_ari: self.stability.as_ref().map(|s| StabilityReport {
                mean: s.mean,
                sd: s.sd,
                runs: s.runs.len(),
            }),
            seconds: self.timings.total,
            timings: self.timings.clone(),
            factor_curve: self.factor_curve.clone(),
            cluster_curve: self.cluster_curve.clone(),
            segments: self.profiles.clone(),
            factors: self.factor_columns.clone(),
        }
    }
}
