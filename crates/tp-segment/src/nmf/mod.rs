//! Non-negative matrix factorisation X ≈ W H (W n × k, H k × m, both ≥ 0).
//!
//! Losses and solvers:
//! - Frobenius, ½‖X − WH‖²_F, by [`Solver::Cd`] (HALS / coordinate descent,
//!   Cichocki & Phan 2009; several cheap inner sweeps per pass over X, as in
//!   Gillis & Glineur's accelerated HALS, and Ang & Gillis's extrapolation,
//!   see [`NmfParams::extrapolate`]) or [`Solver::Mu`] (Lee & Seung's
//!   multiplicative updates);
//! - Kullback–Leibler, Σ x ln(x / WH) − x + WH, by [`Solver::Mu`].
//!
//! Penalties (raw, not rescaled by n or m as scikit-learn's `alpha_W` is):
//! the objective adds l1_w‖W‖₁ + ½ l2_w‖W‖²_F + l1_h‖H‖₁ + ½ l2_h‖H‖²_F.
//!
//! Stopping: after each iteration (one W update and one H update) the error
//! e = ‖X − WH‖_F (KL: √(2·D_KL), scikit-learn's `reconstruction_err_` scale)
//! is compared with the previous one; the fit stops when
//! (e_prev − e) / e_init < tol, when e ≤ [`NmfParams::target_objective`], or
//! after `max_iter` iterations. The KL error needs its own pass over X, so,
//! as scikit-learn does, it is evaluated every 10 iterations (and the history
//! has one entry per evaluation); the Frobenius error comes free from the
//! products of each pass.
//!
//! Every iteration is one fused pass over the rows of X (see `pass.rs`),
//! dense or sparse ([`Csr`]): the W update is row-local, so each row block
//! updates its W rows and accumulates WᵀX and WᵀW for the H update while it
//! is in cache.
//!
//! Explained variance is reported two ways: centered,
//! 1 − ‖X − WH‖²_F / ‖X − X̄‖²_F (X̄ the column means: the share of the
//! variance around the mean that the factors reproduce, comparable with PCA),
//! and total, 1 − ‖X − WH‖²_F / ‖X‖²_F (the share of the raw sum of squares).

mod init;
mod pass;
mod solve;

use crate::csr::Csr;
use crate::error::{Result, SegmentError, param};
use faer::{Mat, MatRef, Par};
use pass::{Source, WStep};
use solve::gram;

/// The NMF loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub enum Loss {
    /// ½‖X − WH‖²_F.
    #[default]
    Frobenius,
    /// Generalised Kullback–Leibler divergence (for counts).
    KullbackLeibler,
}

/// The NMF solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub enum Solver {
    /// HALS / coordinate descent (Frobenius only).
    #[default]
    Cd,
    /// Multiplicative updates (Frobenius or KL).
    Mu,
}

/// How W and H start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub enum Init {
    /// |N(0, 1)| · √(mean(X) / k), seeded.
    Random,
    /// NNDSVD: positive parts of the leading singular pairs (zeros kept; good for sparse factors).
    Nndsvd,
    /// NNDSVD with zeros filled by mean(X) (scikit-learn's default).
    #[default]
    NndsvdA,
    /// NNDSVD with zeros filled by small random values |N(0, 1)| · mean(X) / 100.
    NndsvdAr,
}

/// Parameters of an NMF fit (a consuming builder).
#[derive(Debug, Clone)]
pub struct NmfParams {
    k: usize,
    loss: Loss,
    solver: Solver,
    init: Init,
    max_iter: usize,
    tol: f64,
    seed: u64,
    l1_w: f64,
    l2_w: f64,
    l1_h: f64,
    l2_h: f64,
    inner_sweeps: Option<usize>,
    par: Option<Par>,
    target: Option<f64>,
    extrapolate: bool,
}

/// How an NMF fit went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NmfDiagnostics {
    /// Iterations run (one W and one H update each).
    pub n_iter: usize,
    /// Whether the tolerance rule stopped the fit before `max_iter`.
    pub converged: bool,
    /// Final error on scikit-learn's `reconstruction_err_` scale: ‖X − WH‖_F
    /// (Frobenius) or √(2·D_KL(X‖WH)) (KL).
    pub objective: f64,
    /// ‖X − WH‖_F whatever the loss.
    pub frobenius_norm: f64,
    /// 1 − ‖X − WH‖²_F / ‖X − X̄‖²_F.
    pub explained_variance: f64,
    /// 1 − ‖X − WH‖²_F / ‖X‖²_F.
    pub explained_variance_total: f64,
    /// The error (same scale as `objective`) at the start and after every
    /// iteration (KL: every 10th; an undone extrapolation step repeats the
    /// previous value).
    pub history: Vec<f64>,
    /// Wall-clock seconds of the iteration loop (initialisation excluded).
    pub loop_seconds: f64,
}

/// A fitted NMF model.
#[derive(Debug, Clone)]
pub struct Nmf {
    params: NmfParams,
    w: Mat<f64>,
    h: Mat<f64>,
    diagnostics: NmfDiagnostics,
}

impl Nmf {
    /// Parameters for rank `k`. Defaults: Frobenius loss, [`Solver::Cd`],
    /// [`Init::NndsvdA`], `max_iter = 500`, `tol = 1e-5`, `seed = 0`, no
    /// penalties, inner sweeps chosen from the shape, extrapolated HALS,
    /// parallel passes chosen by size.
    pub fn params(k: usize) -> NmfParams {
        NmfParams {
            k,
            loss: Loss::Frobenius,
            solver: Solver::Cd,
            init: Init::NndsvdA,
            max_iter: 500,
            tol: 1e-5,
            seed: 0,
            l1_w: 0.0,
            l2_w: 0.0,
            l1_h: 0.0,
            l2_h: 0.0,
            inner_sweeps: None,
            par: None,
            target: None,
            extrapolate: true,
        }
    }
    /// The n × k row loadings W.
    pub fn w(&self) -> MatRef<'_, f64> {
        self.w.as_ref()
    }
    /// The k × m components H.
    pub fn h(&self) -> MatRef<'_, f64> {
        self.h.as_ref()
    }
    /// Take ownership of (W, H).
    pub fn into_factors(self) -> (Mat<f64>, Mat<f64>) {
        (self.w, self.h)
    }
    /// Iterations, convergence, objective, explained variance.
    pub fn diagnostics(&self) -> &NmfDiagnostics {
        &self.diagnostics
    }
    /// The parameters the model was fitted with.
    pub fn params_used(&self) -> &NmfParams {
        &self.params
    }

    /// W for new rows with H fixed: the same loss and solver, W started at
    /// √(mean(X)/k), iterated until the same tolerance rule or `max_iter`.
    pub fn transform(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_cols(x.ncols())?;
        let dense = Dense::new(x)?;
        self.transform_source(&dense.source())
    }

    /// [`Nmf::transform`] for sparse rows.
    pub fn transform_sparse(&self, x: &Csr) -> Result<Mat<f64>> {
        self.check_cols(x.ncols())?;
        check_sparse(x)?;
        self.transform_source(&Source::Sparse(x))
    }

    fn check_cols(&self, got: usize) -> Result<()> {
        let m = self.h.ncols();
        if got != m {
            return Err(SegmentError::Shape {
                what: "nmf transform input columns".into(),
                expected: m.to_string(),
                got: got.to_string(),
            });
        }
        Ok(())
    }

    fn transform_source(&self, src: &Source<'_>) -> Result<Mat<f64>> {
        self.params.transform_source(self.h.as_ref(), src)
    }
}

impl NmfParams {
    /// The loss (default Frobenius).
    pub fn loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }
    /// The solver (default [`Solver::Cd`]; KL needs [`Solver::Mu`]).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }
    /// The initialisation (default [`Init::NndsvdA`]).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
    /// Maximum iterations (default 500).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }
    /// Stop when (e_prev − e) / e_init < tol (default 1e-5; this rule is not
    /// scikit-learn's projected-gradient ratio, and 1e-4 stops `cd` early).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Seed for random initialisations.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// L1 and L2 penalties on W (default 0, 0).
    pub fn penalty_w(mut self, l1: f64, l2: f64) -> Self {
        self.l1_w = l1;
        self.l2_w = l2;
        self
    }
    /// L1 and L2 penalties on H (default 0, 0).
    pub fn penalty_h(mut self, l1: f64, l2: f64) -> Self {
        self.l1_h = l1;
        self.l2_h = l2;
        self
    }
    /// Coordinate-descent sweeps per factor update (default: W gets
    /// 1 + m / (8k) capped at 2, H gets 1 + n / (2k) capped at 30 — a sweep over
    /// W's n rows costs about as much as the GEMMs, one over H's m columns
    /// almost nothing; 1 = scikit-learn's `cd`).
    pub fn inner_sweeps(mut self, sweeps: usize) -> Self {
        self.inner_sweeps = Some(sweeps);
        self
    }
    /// Parallelism of the row-block passes (default: rayon when n·m·k ≥ 2¹⁸
    /// and n > 1024, else sequential; any value other than `Par::Seq` means
    /// rayon). Results do not depend on it. Use `Par::Seq` inside rayon tasks.
    pub fn par(mut self, par: Par) -> Self {
        self.par = Some(par);
        self
    }
    /// Extrapolated HALS for [`Solver::Cd`] (default true; Ang & Gillis 2019:
    /// each iteration starts from the factors moved on along their last step,
    /// with an adaptive step that is undone whenever it raises the error, so
    /// the error history never increases). `false` gives plain HALS.
    pub fn extrapolate(mut self, on: bool) -> Self {
        self.extrapolate = on;
        self
    }
    /// Also stop as soon as the error (the `objective` scale) is at most
    /// `target` (default: no target). Benchmarks use it to time "reaching the
    /// same objective as another solver".
    pub fn target_objective(mut self, target: f64) -> Self {
        self.target = Some(target);
        self
    }
    /// The rank.
    pub fn k(&self) -> usize {
        self.k
    }
    /// The same parameters at another rank.
    pub fn with_k(&self, k: usize) -> Self {
        Self { k, ..self.clone() }
    }

    fn parallel(&self, n: usize, m: usize) -> bool {
        match self.par {
            Some(p) => p != Par::Seq,
            None => n * m * self.k >= 1 << 18 && n > pass::CHUNK,
        }
    }

    /// [`Nmf::transform`] with the components `h` (k × m, k = these parameters' rank) kept
    /// outside a fitted model (the Python package pickles a model as its components): W for the
    /// rows of `x` with H fixed, by the same iterations.
    pub fn transform_with(&self, h: MatRef<'_, f64>, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if h.nrows() != self.k || h.ncols() != x.ncols() {
            return Err(SegmentError::Shape {
                what: "nmf components".into(),
                expected: format!("{} x {}", self.k, x.ncols()),
                got: format!("{} x {}", h.nrows(), h.ncols()),
            });
        }
        if let Some((i, j)) = (0..h.nrows())
            .flat_map(|i| (0..h.ncols()).map(move |j| (i, j)))
            .find(|&(i, j)| !h[(i, j)].is_finite() || h[(i, j)] < 0.0)
        {
            return Err(param(&format!("components[{i}, {j}]"), h[(i, j)], "a finite value >= 0"));
        }
        let dense = Dense::new(x)?;
        self.transform_source(h, &dense.source())
    }

    fn transform_source(&self, h: MatRef<'_, f64>, src: &Source<'_>) -> Result<Mat<f64>> {
        let (n, m, k) = (src.nrows(), src.ncols(), self.k);
        let mut h: Vec<f64> =
            (0..m).flat_map(|j| (0..k).map(move |t| (j, t))).map(|(j, t)| h[(t, j)]).collect();
        let (xx, xsum) = src.sq_norm_and_sum();
        let avg = (xsum / (n * m).max(1) as f64 / k as f64).sqrt();
        let mut wt = vec![avg; k * n];
        let fit = Fit { p: self, src, k, xx, parallel: self.parallel(n, m) };
        fit.iterate(&mut wt, &mut h, false);
        Ok(Mat::from_fn(n, k, |i, t| wt[i * k + t]))
    }

    /// Fit W and H to a non-negative, finite X (n × m). A row-major view is
    /// read in place; other layouts are copied once into row-major order.
    pub fn fit(&self, x: MatRef<'_, f64>) -> Result<Nmf> {
        let dense = Dense::new(x)?;
        self.fit_source(&dense.source())
    }

    /// Fit W and H to a sparse non-negative X. Same algorithm and results as
    /// [`NmfParams::fit`] on the dense equivalent (up to rounding): the
    /// products touch only the stored entries.
    pub fn fit_sparse(&self, x: &Csr) -> Result<Nmf> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(SegmentError::NotEnoughSamples {
                what: "nmf input".into(),
                needed: 1,
                got: x.nrows(),
            });
        }
        check_sparse(x)?;
        self.fit_source(&Source::Sparse(x))
    }

    fn check(&self, n: usize, m: usize) -> Result<()> {
        let k = self.k;
        if k == 0 {
            return Err(param("k", k, "at least 1 component"));
        }
        if k > n.min(m) && self.init != Init::Random {
            return Err(param(
                "k",
                k,
                &format!("at most min(n, m) = {} for nndsvd inits; use random", n.min(m)),
            ));
        }
        if self.solver == Solver::Cd && self.loss == Loss::KullbackLeibler {
            return Err(param("solver", "cd", "solver mu for the kullback-leibler loss"));
        }
        for (name, v) in [("l1_w", self.l1_w), ("l2_w", self.l2_w), ("l1_h", self.l1_h), ("l2_h", self.l2_h)]
        {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(param(name, v, "a finite penalty >= 0"));
            }
        }
        if self.tol.is_nan() || self.tol < 0.0 || self.max_iter == 0 {
            return Err(param(
                "tol / max_iter",
                format!("{} / {}", self.tol, self.max_iter),
                "tol >= 0, max_iter >= 1",
            ));
        }
        Ok(())
    }

    fn fit_source(&self, src: &Source<'_>) -> Result<Nmf> {
        let (n, m, k) = (src.nrows(), src.ncols(), self.k);
        self.check(n, m)?;
        let parallel = self.parallel(n, m);
        let (xx, xsum) = src.sq_norm_and_sum();
        let mut rng = tp_core::rng::stream(self.seed, 0);
        let (mut wt, mut h) = init::initialize(src, k, self.init, &mut rng, xsum / (n * m) as f64, parallel)?;
        let fit = Fit { p: self, src, k, xx, parallel };
        let started = std::time::Instant::now();
        let (n_iter, history) = fit.iterate(&mut wt, &mut h, true);
        let loop_seconds = started.elapsed().as_secs_f64();
        let converged = n_iter < self.max_iter;
        let w = Mat::from_fn(n, k, |i, t| wt[i * k + t]);
        let hm = Mat::from_fn(k, m, |t, j| h[j * k + t]);
        let mut diagnostics = fit.finish(&mut wt, &h, n_iter, converged, history);
        diagnostics.loop_seconds = loop_seconds;
        Ok(Nmf { params: self.clone(), w, h: hm, diagnostics })
    }
}

/// Dense input as contiguous rows: the caller's view when its rows are
/// contiguous, else a row-major copy; checked finite and non-negative.
struct Dense<'a> {
    view: Option<MatRef<'a, f64>>,
    owned: Vec<f64>,
    n: usize,
    m: usize,
}

impl<'a> Dense<'a> {
    fn new(x: MatRef<'a, f64>) -> Result<Self> {
        let (n, m) = (x.nrows(), x.ncols());
        if n == 0 || m == 0 {
            return Err(SegmentError::NotEnoughSamples { what: "nmf input".into(), needed: 1, got: n });
        }
        let d = match x.try_as_row_major() {
            Some(v) => Dense { view: Some(v.as_dyn_stride()), owned: Vec::new(), n, m },
            None => Dense { view: None, owned: crate::kmeans::rows::row_major(x), n, m },
        };
        d.check()?;
        Ok(d)
    }

    fn rows(&self) -> MatRef<'_, f64> {
        self.view.unwrap_or_else(|| MatRef::from_row_major_slice(&self.owned, self.n, self.m))
    }

    fn source(&self) -> Source<'_> {
        Source::Dense(self.rows())
    }

    /// The first non-finite or negative entry (in row order) is an error.
    fn check(&self) -> Result<()> {
        let x = self.rows();
        let src = Source::Dense(x);
        let bad = src.chunks(true, |lo, hi| {
            (lo..hi).find_map(|i| {
                let row = pass::dense_row(&x, i);
                (0..self.m).find(|&j| !(row[j] >= 0.0 && row[j].is_finite())).map(|j| (i, j, row[j]))
            })
        });
        match bad.into_iter().flatten().next() {
            None => Ok(()),
            Some((row, column, value)) if !value.is_finite() => {
                Err(SegmentError::NonFinite { input: "nmf input".into(), row, column, value })
            }
            Some((row, column, value)) => {
                Err(SegmentError::Negative { input: "nmf input".into(), row, column, value })
            }
        }
    }
}

/// Sparse input must be non-negative (finiteness is checked by [`Csr::new`]).
fn check_sparse(x: &Csr) -> Result<()> {
    for i in 0..x.nrows() {
        if let Some((column, value)) = x.row(i).find(|(_, v)| *v < 0.0) {
            return Err(SegmentError::Negative { input: "nmf input".into(), row: i, column, value });
        }
    }
    Ok(())
}

/// One fitting run's shared state.
struct Fit<'a> {
    p: &'a NmfParams,
    src: &'a Source<'a>,
    k: usize,
    /// ‖X‖²_F.
    xx: f64,
    parallel: bool,
}

/// How often the KL loss is evaluated (scikit-learn's multiplicative-update rule).
const KL_CHECK_EVERY: usize = 10;

impl Fit<'_> {
    fn sweeps(&self) -> (usize, usize) {
        let (n, m, k) = (self.src.nrows(), self.src.ncols(), self.k);
        match self.p.inner_sweeps {
            Some(s) => (s.max(1), s.max(1)),
            // sweeps per factor: the other factor's GEMMs cost ~ (rows of X touched) · k per
            // column updated; a sweep costs ~ k² per column
            None => ((1 + m / (8 * k)).clamp(1, 2), (1 + n / (2 * k)).clamp(1, 30)),
        }
    }

    /// ‖X − WH‖_F from ‖X‖², ⟨H, WᵀX⟩ = `cross` and WᵀW = `q`: ‖X‖² − 2·cross + ⟨WᵀW, HHᵀ⟩.
    fn frobenius(&self, cross: f64, q: MatRef<'_, f64>, h: &[f64]) -> f64 {
        let (k, m) = (self.k, self.src.ncols());
        let hh = gram(h, k, m, Par::Seq);
        let mut quad = 0.0;
        for t in 0..k {
            for r in 0..k {
                quad += q[(t, r)] * hh[(t, r)];
            }
        }
        (self.xx - 2.0 * cross + quad).max(0.0).sqrt()
    }

    /// √(2·D_KL(X‖WH)) with a loss-only pass.
    fn kl_error(&self, wt: &mut [f64], h: &[f64]) -> f64 {
        let s = pass::kl_pass(self.src, wt, h, self.k, None, false, true, self.parallel);
        let sum_wh: f64 = s.w_sums.iter().zip(row_sums(h, self.k)).map(|(a, b)| a * b).sum();
        (2.0 * (s.loss_terms + sum_wh)).max(0.0).sqrt()
    }

    /// Iterate until the tolerance rule, the target or `max_iter`; returns
    /// (iterations, error history). Frobenius: one fused pass per iteration
    /// (the W step and the products of the H step), the error from those
    /// products every iteration. KL: one fused pass per iteration, the loss
    /// (one more pass) every `KL_CHECK_EVERY` iterations as scikit-learn.
    fn iterate(&self, wt: &mut [f64], h: &mut [f64], update_h: bool) -> (usize, Vec<f64>) {
        let (k, m, parallel) = (self.k, self.src.ncols(), self.parallel);
        let p = self.p;
        let kl = p.loss == Loss::KullbackLeibler;
        let (sw_w, sw_h) = self.sweeps();
        let err_init = if kl {
            self.kl_error(wt, h)
        } else {
            let s = pass::frobenius_pass(self.src, wt, h, k, WStep::Keep, false, parallel);
            self.frobenius(s.cross, s.q.as_ref(), h)
        };
        let mut history = vec![err_init];
        let mut prev = err_init;
        let mut it = 0;
        let mut ex = Extrapolation::new(p.extrapolate && !kl && p.solver == Solver::Cd && update_h, wt, h);
        while it < p.max_iter {
            it += 1;
            let err = if kl {
                let s = pass::kl_pass(self.src, wt, h, k, Some((p.l1_w, p.l2_w)), update_h, false, parallel);
                if let Some(num) = s.p {
                    solve::mu_kl_update(h, num.as_ref(), &s.w_sums, k, p.l1_h, p.l2_h, true, parallel);
                }
                if it % KL_CHECK_EVERY != 0 && it < p.max_iter {
                    continue;
                }
                self.kl_error(wt, h)
            } else {
                ex.extrapolate(wt, h);
                let step = match p.solver {
                    Solver::Mu => WStep::Mu { l1: p.l1_w, l2: p.l2_w },
                    Solver::Cd => WStep::Cd { l1: p.l1_w, l2: p.l2_w, sweeps: sw_w },
                };
                let s = pass::frobenius_pass(self.src, wt, h, k, step, update_h, parallel);
                match s.p {
                    Some(pm) => {
                        let (a, b) = (s.q.as_ref(), pm.as_ref());
                        match p.solver {
                            Solver::Mu => solve::mu_frobenius_update(h, a, b, k, p.l1_h, p.l2_h, parallel),
                            Solver::Cd => solve::cd_update(h, a, b, k, p.l1_h, p.l2_h, sw_h, parallel),
                        }
                        let mut cross = 0.0;
                        for j in 0..m {
                            for t in 0..k {
                                cross += h[j * k + t] * b[(t, j)];
                            }
                        }
                        self.frobenius(cross, a, h)
                    }
                    None => self.frobenius(s.cross, s.q.as_ref(), h),
                }
            };
            if !ex.accept(err, prev, wt, h) {
                // the extrapolated step raised the error: back to the last iterate, smaller β
                history.push(prev);
                continue;
            }
            history.push(err);
            if p.target.is_some_and(|t| err <= t) {
                break;
            }
            if err_init == 0.0 || (prev - err) / err_init < p.tol {
                break;
            }
            prev = err;
        }
        (it, history)
    }

    /// Exact final objective and explained variance.
    fn finish(
        &self,
        wt: &mut [f64],
        h: &[f64],
        n_iter: usize,
        converged: bool,
        history: Vec<f64>,
    ) -> NmfDiagnostics {
        let (n, k) = (self.src.nrows(), self.k);
        let rss = pass::residual_sq(self.src, wt, h, k, self.parallel);
        let col_sums = pass::col_sums(self.src, self.parallel);
        let tss = self.xx;
        let tss_c = (tss - col_sums.iter().map(|s| s * s).sum::<f64>() / n as f64).max(0.0);
        let objective = if self.p.loss == Loss::KullbackLeibler { self.kl_error(wt, h) } else { rss.sqrt() };
        let ratio = |den: f64| if den > 0.0 { 1.0 - rss / den } else { 0.0 };
        NmfDiagnostics {
            n_iter,
            converged,
            objective,
            frobenius_norm: rss.sqrt(),
            explained_variance: ratio(tss_c),
            explained_variance_total: ratio(tss),
            history,
            loop_seconds: 0.0,
        }
    }
}

/// Extrapolated HALS (Ang & Gillis 2019, "Accelerating nonnegative matrix
/// factorization algorithms using extrapolation"): before each iteration the
/// factors move on along their last step, W ← [W + β(W − W₋)]₊ and likewise H,
/// and the iteration starts from there. β adapts: ×γ (capped by β̄, which
/// itself grows ×γ̄ up to 1) after a step that lowered the error; a step that
/// raised it is undone (back to the last iterate, so the error history never
/// increases), β ← β/η and β̄ ← the last β that worked. Constants are the
/// paper's: β₀ = 0.5, η = 1.5, γ = 1.05, γ̄ = 1.01.
struct Extrapolation {
    on: bool,
    beta: f64,
    beta_max: f64,
    beta_ok: f64,
    /// The previous accepted iterate (W₋, H₋).
    prev_w: Vec<f64>,
    prev_h: Vec<f64>,
    /// The current accepted iterate, kept to undo a failed step.
    cur_w: Vec<f64>,
    cur_h: Vec<f64>,
}

impl Extrapolation {
    fn new(on: bool, wt: &[f64], h: &[f64]) -> Self {
        let copy = |v: &[f64]| if on { v.to_vec() } else { Vec::new() };
        Self {
            on,
            beta: 0.5,
            beta_max: 1.0,
            beta_ok: 0.5,
            prev_w: copy(wt),
            prev_h: copy(h),
            cur_w: copy(wt),
            cur_h: copy(h),
        }
    }

    fn extrapolate(&mut self, wt: &mut [f64], h: &mut [f64]) {
        if !self.on {
            return;
        }
        let beta = self.beta;
        for (f, p) in [(wt, &self.prev_w), (h, &self.prev_h)] {
            f.iter_mut().zip(p.iter()).for_each(|(v, q)| *v = (*v + beta * (*v - q)).max(0.0));
        }
    }

    /// Keep the step (true) or undo it (false).
    fn accept(&mut self, err: f64, prev: f64, wt: &mut [f64], h: &mut [f64]) -> bool {
        if !self.on {
            return true;
        }
        if err > prev {
            wt.copy_from_slice(&self.cur_w);
            h.copy_from_slice(&self.cur_h);
            self.beta_max = self.beta_ok;
            self.beta /= 1.5;
            return false;
        }
        std::mem::swap(&mut self.prev_w, &mut self.cur_w);
        std::mem::swap(&mut self.prev_h, &mut self.cur_h);
        self.cur_w.copy_from_slice(wt);
        self.cur_h.copy_from_slice(h);
        self.beta_ok = self.beta;
        self.beta = (1.05 * self.beta).min(self.beta_max);
        self.beta_max = (1.01 * self.beta_max).min(1.0);
        true
    }
}

/// Row sums of a k × p column-major factor.
pub(crate) fn row_sums(f: &[f64], k: usize) -> Vec<f64> {
    let mut s = vec![0.0; k];
    for col in f.chunks_exact(k) {
        for (a, b) in s.iter_mut().zip(col) {
            *a += b;
        }
    }
    s
}
