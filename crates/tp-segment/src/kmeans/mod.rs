//! K-Means: params, fit, model.
//!
//! [`KMeans::params`] returns a consuming builder with documented defaults;
//! `fit` validates the input, runs `n_init` restarts (in parallel, restart `r`
//! seeded by `tp_core::rng::stream(seed, r)`) and keeps the one with the
//! lowest inertia (the first on ties).

mod dist;
mod engine;
mod init;
mod minibatch;
pub(crate) mod rows;

use crate::error::{Result, SegmentError, check_finite, param};
use faer::{Mat, MatRef};
use rayon::prelude::*;
use rows::{Rows, Weights};

/// How K-Means iterates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// Lloyd's algorithm: every row against every center, each iteration.
    Lloyd,
    /// Hamerly (2010): per-row upper/lower distance bounds skip rows whose
    /// nearest center cannot have changed. Same result as [`Algorithm::Lloyd`]
    /// (up to exact distance ties), usually far fewer distance computations.
    #[default]
    Hamerly,
    /// Mini-batch K-Means (Sculley 2010) for very large n: approximate, much
    /// cheaper per step. `max_iter` counts epochs over the data.
    MiniBatch {
        /// Rows per batch (scikit-learn's default is 1024).
        batch_size: usize,
    },
}

/// Parameters of a K-Means fit (a consuming builder).
#[derive(Debug, Clone)]
pub struct KMeansParams {
    k: usize,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    algorithm: Algorithm,
    parallel: bool,
}

/// A fitted K-Means model.
#[derive(Debug, Clone)]
pub struct KMeans {
    params: KMeansParams,
    centers: Mat<f64>,
    labels: Vec<usize>,
    diagnostics: KMeansDiagnostics,
}

/// How a K-Means fit went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KMeansDiagnostics {
    /// Iterations of the kept restart (mini-batch: steps).
    pub n_iter: usize,
    /// Whether the kept restart converged before `max_iter`.
    pub converged: bool,
    /// Σ w_i ‖x_i − c_{label_i}‖² of the kept restart.
    pub inertia: f64,
    /// Index of the kept restart.
    pub best_restart: usize,
    /// Final inertia of every restart, in restart order.
    pub restart_inertias: Vec<f64>,
    /// Inertia at each assignment step of the kept restart (Lloyd only; the
    /// mini-batch engine records its smoothed batch inertia; empty for Hamerly).
    pub inertia_trace: Vec<f64>,
}

impl KMeans {
    /// Parameters for `k` clusters. Defaults: `n_init = 10`, `max_iter = 300`,
    /// `tol = 1e-4` (scaled by the mean feature variance, as scikit-learn),
    /// `seed = 0`, [`Algorithm::Hamerly`], parallel.
    pub fn params(k: usize) -> KMeansParams {
        KMeansParams {
            k,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            algorithm: Algorithm::default(),
            parallel: true,
        }
    }

    /// The k × d cluster centers.
    pub fn centers(&self) -> MatRef<'_, f64> {
        self.centers.as_ref()
    }

    /// The cluster (0..k) of every training row.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Σ w_i ‖x_i − c_{label_i}‖² on the training data.
    pub fn inertia(&self) -> f64 {
        self.diagnostics.inertia
    }

    /// Iterations, convergence and inertia of the fit.
    pub fn diagnostics(&self) -> &KMeansDiagnostics {
        &self.diagnostics
    }

    /// The parameters the model was fitted with.
    pub fn params_used(&self) -> &KMeansParams {
        &self.params
    }

    /// The nearest center of every row of `x` (shape-checked against the centers).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
        if x.ncols() != self.centers.ncols() {
            return Err(SegmentError::Shape {
                what: "predict input columns".into(),
                expected: self.centers.ncols().to_string(),
                got: x.ncols().to_string(),
            });
        }
        check_finite("predict input", x)?;
        let rows = Rows::from_mat(x);
        Ok(dist::assign_all(&rows, &rows::row_major(self.centers.as_ref()), self.params.parallel))
    }
}

/// The nearest of `centers` (k × d) for every row of `x`: [`KMeans::predict`] for centers kept
/// outside a fitted model (the Python package pickles a model as its centers). Same kernel, so
/// the same labels.
pub fn nearest_centers(centers: MatRef<'_, f64>, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
    if centers.nrows() == 0 {
        return Err(param("centers", "0 rows", "at least 1 center"));
    }
    if x.ncols() != centers.ncols() {
        return Err(SegmentError::Shape {
            what: "predict input columns".into(),
            expected: centers.ncols().to_string(),
            got: x.ncols().to_string(),
        });
    }
    check_finite("centers", centers)?;
    check_finite("predict input", x)?;
    let rows = Rows::from_mat(x);
    Ok(dist::assign_all(&rows, &rows::row_major(centers), true))
}

impl KMeansParams {
    /// Number of restarts from different k-means++ seeds (default 10).
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }
    /// Maximum iterations per restart (mini-batch: epochs) (default 300).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }
    /// Convergence tolerance on Σ_j ‖Δc_j‖², relative to the mean feature
    /// variance (default 1e-4). A restart also stops when no label changes.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Seed of the k-means++ draws (restart r uses stream r).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The iteration engine (default [`Algorithm::Hamerly`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }
    /// Use rayon inside a fit (default true). Results do not depend on it.
    pub fn parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }
    /// The number of clusters.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The same parameters with another number of clusters.
    pub fn with_k(&self, k: usize) -> Self {
        Self { k, ..self.clone() }
    }
    /// The seed.
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    fn validate(&self, x: MatRef<'_, f64>, w: Option<&[f64]>) -> Result<()> {
        if self.k == 0 {
            return Err(param("k", self.k, "at least 1 cluster"));
        }
        if self.n_init == 0 {
            return Err(param("n_init", self.n_init, "at least 1 restart"));
        }
        if self.max_iter == 0 {
            return Err(param("max_iter", self.max_iter, "at least 1 iteration"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(param("tol", self.tol, "a finite value >= 0"));
        }
        if let Algorithm::MiniBatch { batch_size: 0 } = self.algorithm {
            return Err(param("batch_size", 0, "at least 1 row per batch"));
        }
        if x.nrows() < self.k {
            return Err(SegmentError::NotEnoughSamples {
                what: format!("k-means with k = {}", self.k),
                needed: self.k,
                got: x.nrows(),
            });
        }
        if x.ncols() == 0 {
            return Err(SegmentError::Shape {
                what: "k-means input columns".into(),
                expected: "at least 1".into(),
                got: "0".into(),
            });
        }
        if let Some(w) = w {
            if w.len() != x.nrows() {
                return Err(SegmentError::Shape {
                    what: "sample_weight length".into(),
                    expected: x.nrows().to_string(),
                    got: w.len().to_string(),
                });
            }
            if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(param(&format!("sample_weight[{i}]"), w[i], "a finite weight >= 0"));
            }
            if w.iter().filter(|v| **v > 0.0).count() < self.k {
                return Err(SegmentError::NotEnoughSamples {
                    what: "rows with positive sample weight".into(),
                    needed: self.k,
                    got: w.iter().filter(|v| **v > 0.0).count(),
                });
            }
        }
        Ok(())
    }

    /// Fit with unit weights.
    pub fn fit(&self, x: MatRef<'_, f64>) -> Result<KMeans> {
        self.fit_weighted(x, None)
    }

    /// Fit with optional sample weights (`None` = all 1).
    pub fn fit_weighted(&self, x: MatRef<'_, f64>, weights: Option<&[f64]>) -> Result<KMeans> {
        self.validate(x, weights)?;
        let rows = Rows::from_mat(x);
        let w = Weights::new(weights);
        // mini-batch seeds on a subsample, so it needs the statistics pass of its own; the full
        // k-means++ takes them from its first pass
        let var = match self.algorithm {
            Algorithm::MiniBatch { .. } => Some(input_stats(&rows)?),
            _ => None,
        };
        let one = |r: usize| -> Result<engine::Run> {
            let mut rng = tp_core::rng::stream(self.seed, r as u64);
            let (init, var) = match (self.algorithm, var) {
                (Algorithm::MiniBatch { batch_size }, Some(var)) => {
                    // seed on a subsample, as scikit-learn does (3 batches)
                    let m = (3 * batch_size).max(self.k).min(rows.n);
                    let idx = sample_without_replacement(rows.n, m, &mut rng);
                    let sub = rows.subset(&idx);
                    let sw: Option<Vec<f64>> = weights.map(|w| idx.iter().map(|&i| w[i]).collect());
                    let (init, _) = init::kmeans_plusplus(
                        &sub,
                        Weights::new(sw.as_deref()),
                        self.k,
                        &mut rng,
                        self.parallel,
                        false,
                    )
                    .map_err(non_finite)?;
                    (init, var)
                }
                _ => {
                    let (init, var) = init::kmeans_plusplus(&rows, w, self.k, &mut rng, self.parallel, true)
                        .map_err(non_finite)?;
                    (init, var.expect("statistics from the first pass"))
                }
            };
            Ok(self.run_from(&rows, w, &init, self.tol * var, &mut rng))
        };
        let runs: Vec<engine::Run> = if self.parallel && self.n_init > 1 {
            (0..self.n_init).into_par_iter().map(one).collect::<Result<_>>()?
        } else {
            (0..self.n_init).map(one).collect::<Result<_>>()?
        };
        Ok(self.keep_best(runs, rows.d))
    }

    /// One run from the given k × d initial centers (no restarts): the
    /// deterministic path the golden test follows.
    pub fn fit_from_centers(
        &self,
        x: MatRef<'_, f64>,
        centers: MatRef<'_, f64>,
        weights: Option<&[f64]>,
    ) -> Result<KMeans> {
        self.validate(x, weights)?;
        if centers.nrows() != self.k || centers.ncols() != x.ncols() {
            return Err(SegmentError::Shape {
                what: "initial centers".into(),
                expected: format!("{} x {}", self.k, x.ncols()),
                got: format!("{} x {}", centers.nrows(), centers.ncols()),
            });
        }
        check_finite("initial centers", centers)?;
        let rows = Rows::from_mat(x);
        let var = input_stats(&rows)?;
        let w = Weights::new(weights);
        let tol = self.tol * var;
        let init = rows::row_major(centers);
        let mut rng = tp_core::rng::stream(self.seed, 0);
        let run = self.run_from(&rows, w, &init, tol, &mut rng);
        Ok(self.keep_best(vec![run], rows.d))
    }

    fn run_from(
        &self,
        rows: &Rows,
        w: Weights<'_>,
        init: &[f64],
        tol: f64,
        rng: &mut tp_core::rng::TpRng,
    ) -> engine::Run {
        match self.algorithm {
            Algorithm::Lloyd => engine::run(rows, w, init, self.k, self.max_iter, tol, false, self.parallel),
            Algorithm::Hamerly => engine::run(rows, w, init, self.k, self.max_iter, tol, true, self.parallel),
            Algorithm::MiniBatch { batch_size } => {
                minibatch::run(rows, w, init, self.k, batch_size, self.max_iter, rng, self.parallel)
            }
        }
    }

    fn keep_best(&self, runs: Vec<engine::Run>, d: usize) -> KMeans {
        let restart_inertias: Vec<f64> = runs.iter().map(|r| r.inertia).collect();
        let best = (0..runs.len()).fold(0, |b, r| if runs[r].inertia < runs[b].inertia { r } else { b });
        let run = runs.into_iter().nth(best).expect("at least one restart");
        let centers = Mat::from_fn(self.k, d, |j, t| run.centers[j * d + t]);
        KMeans {
            params: self.clone(),
            centers,
            labels: run.labels,
            diagnostics: KMeansDiagnostics {
                n_iter: run.n_iter,
                converged: run.converged,
                inertia: run.inertia,
                best_restart: best,
                restart_inertias,
                inertia_trace: run.inertia_trace,
            },
        }
    }
}

/// The mean feature variance (scikit-learn's tolerance scale), or the first
/// non-finite entry as an error.
fn input_stats(rows: &Rows) -> Result<f64> {
    rows.stats().map_err(non_finite)
}

fn non_finite((row, column, value): rows::NonFinite) -> SegmentError {
    SegmentError::NonFinite { input: "k-means input".into(), row, column, value }
}

/// `m` distinct indices of 0..n in random order (partial Fisher–Yates).
pub(crate) fn sample_without_replacement(n: usize, m: usize, rng: &mut tp_core::rng::TpRng) -> Vec<usize> {
    use rand::Rng;
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..m.min(n) {
        let j = rng.random_range(i..n);
        idx.swap(i, j);
    }
    idx.truncate(m.min(n));
    idx
}
