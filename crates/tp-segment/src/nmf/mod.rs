//! Non-negative matrix factorisation X ≈ W H (W n × k, H k × m, both ≥ 0).
//!
//! Losses and solvers:
//! - Frobenius, ½‖X − WH‖²_F, by [`Solver::Cd`] (HALS / coordinate descent,
//!   Cichocki & Phan 2009; several cheap inner sweeps per pair of GEMMs, as in
//!   Gillis & Glineur's accelerated HALS) or [`Solver::Mu`] (Lee & Seung's
//!   multiplicative updates);
//! - Kullback–Leibler, Σ x ln(x / WH) − x + WH, by [`Solver::Mu`].
//!
//! Penalties (raw, not rescaled by n or m as scikit-learn's `alpha_W` is):
//! the objective adds l1_w‖W‖₁ + ½ l2_w‖W‖²_F + l1_h‖H‖₁ + ½ l2_h‖H‖²_F.
//!
//! Stopping: after each iteration (one W update and one H update) the error
//! e = ‖X − WH‖_F (KL: √(2·D_KL), scikit-learn's `reconstruction_err_` scale)
//! is compared with the previous one; the fit stops when
//! (e_prev − e) / e_init < tol, or after `max_iter` iterations.
//!
//! Explained variance is reported two ways: centered,
//! 1 − ‖X − WH‖²_F / ‖X − X̄‖²_F (X̄ the column means: the share of the
//! variance around the mean that the factors reproduce, comparable with PCA),
//! and total, 1 − ‖X − WH‖²_F / ‖X‖²_F (the share of the raw sum of squares).

mod init;
mod solve;

use crate::error::{Result, SegmentError, param};
use faer::{Mat, MatRef, Par};
use solve::{gram, view};

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
    /// The error (same scale as `objective`) at the start and after every iteration.
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
    /// penalties, inner sweeps chosen from the shape, `Par` chosen by size.
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
        let m = self.h.ncols();
        if x.ncols() != m {
            return Err(SegmentError::Shape {
                what: "nmf transform input columns".into(),
                expected: m.to_string(),
                got: x.ncols().to_string(),
            });
        }
        validate_x(x)?;
        let (n, k) = (x.nrows(), self.params.k);
        let xm = x.to_owned();
        let h: Vec<f64> =
            (0..m).flat_map(|j| (0..k).map(move |t| (j, t))).map(|(j, t)| self.h[(t, j)]).collect();
        let avg = (xm.sum() / (n * m).max(1) as f64 / k as f64).sqrt();
        let mut wt = vec![avg; k * n];
        let par = self.params.par_for(n, m);
        let mut fit = Fit { p: &self.params, x: xm.as_ref(), n, m, k, par, parallel: par != Par::Seq };
        let (_, _) = fit.iterate(&mut wt, &mut h.clone(), false)?;
        Ok(Mat::from_fn(n, k, |i, t| wt[i * k + t]))
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
    /// Coordinate-descent sweeps per factor update (default: 1 + m / (2k),
    /// capped at 30, balancing sweep cost against the GEMMs; 1 = scikit-learn's `cd`).
    pub fn inner_sweeps(mut self, sweeps: usize) -> Self {
        self.inner_sweeps = Some(sweeps);
        self
    }
    /// faer parallelism of the GEMMs and factor updates (default: rayon
    /// when n·m·k ≥ 2²⁰, else sequential). Use `Par::Seq` inside rayon tasks.
    pub fn par(mut self, par: Par) -> Self {
        self.par = Some(par);
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

    fn par_for(&self, n: usize, m: usize) -> Par {
        self.par.unwrap_or(if n * m * self.k >= 1 << 20 { Par::rayon(0) } else { Par::Seq })
    }

    /// Fit W and H to a non-negative, finite X (n × m).
    pub fn fit(&self, x: MatRef<'_, f64>) -> Result<Nmf> {
        let (n, m, k) = (x.nrows(), x.ncols(), self.k);
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
        validate_x(x)?;
        let xm = x.to_owned();
        let par = self.par_for(n, m);
        let mut rng = tp_core::rng::stream(self.seed, 0);
        let (mut wt, mut h) = init::initialize(xm.as_ref(), k, self.init, &mut rng, par)?;
        let mut fit = Fit { p: self, x: xm.as_ref(), n, m, k, par, parallel: par != Par::Seq };
        let started = std::time::Instant::now();
        let (n_iter, history) = fit.iterate(&mut wt, &mut h, true)?;
        let loop_seconds = started.elapsed().as_secs_f64();
        let converged = n_iter < self.max_iter;
        let w = Mat::from_fn(n, k, |i, t| wt[i * k + t]);
        let hm = Mat::from_fn(k, m, |t, j| h[j * k + t]);
        let mut diagnostics = fit.finish(&wt, &h, n_iter, converged, history);
        diagnostics.loop_seconds = loop_seconds;
        Ok(Nmf { params: self.clone(), w, h: hm, diagnostics })
    }
}

fn validate_x(x: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(SegmentError::NotEnoughSamples { what: "nmf input".into(), needed: 1, got: x.nrows() });
    }
    crate::error::check_finite("nmf input", x)?;
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            if x[(i, j)] < 0.0 {
                return Err(SegmentError::Negative {
                    input: "nmf input".into(),
                    row: i,
                    column: j,
                    value: x[(i, j)],
                });
            }
        }
    }
    Ok(())
}

/// One fitting run's shared state.
struct Fit<'a> {
    p: &'a NmfParams,
    x: MatRef<'a, f64>,
    n: usize,
    m: usize,
    k: usize,
    par: Par,
    parallel: bool,
}

impl Fit<'_> {
    fn sweeps(&self) -> usize {
        self.p.inner_sweeps.unwrap_or_else(|| (1 + self.m / (2 * self.k)).min(30)).max(1)
    }

    /// Iterate until the tolerance rule or `max_iter`; returns (iterations, error history).
    fn iterate(&mut self, wt: &mut [f64], h: &mut [f64], update_h: bool) -> Result<(usize, Vec<f64>)> {
        let (n, m, k, par, parallel) = (self.n, self.m, self.k, self.par, self.parallel);
        let p = self.p;
        let x = self.x;
        let xx = x.squared_norm_l2();
        let kl = p.loss == Loss::KullbackLeibler;
        let mut wh = if kl { vec![0.0; n * m] } else { Vec::new() };
        let err_of = |wt: &[f64], h: &[f64], wh: &mut [f64]| -> f64 {
            if kl {
                solve::reconstruct(wt, h, k, n, m, wh, par);
                let sw: Vec<f64> = row_sums(wt, k);
                let sh: Vec<f64> = row_sums(h, k);
                let sum_wh: f64 = sw.iter().zip(&sh).map(|(a, b)| a * b).sum();
                (2.0 * solve::kl_divergence(x, view(wh, n, m), sum_wh, parallel)).max(0.0).sqrt()
            } else {
                let a = gram(wt, k, n, par);
                let mut b = Mat::<f64>::zeros(k, m);
                faer::linalg::matmul::matmul(b.as_mut(), faer::Accum::Replace, view(wt, k, n), x, 1.0, par);
                frob_from_products(xx, a.as_ref(), b.as_ref(), h, k, m, par)
            }
        };
        let err_init = err_of(wt, h, &mut wh);
        let mut history = vec![err_init];
        let mut prev = err_init;
        let sweeps = self.sweeps();
        let mut it = 0;
        while it < p.max_iter {
            it += 1;
            let err = match (p.solver, kl) {
                (_, true) => {
                    // wh holds WH for the current factors (from err_of or the last iteration)
                    solve::kl_ratio(x, &mut wh, parallel);
                    let mut num = Mat::<f64>::zeros(k, n);
                    faer::linalg::matmul::matmul(
                        num.as_mut(),
                        faer::Accum::Replace,
                        view(h, k, m),
                        view(&wh, n, m).transpose(),
                        1.0,
                        par,
                    );
                    solve::mu_kl_update(
                        wt,
                        num.as_ref(),
                        &row_sums(h, k),
                        k,
                        p.l1_w,
                        p.l2_w,
                        false,
                        parallel,
                    );
                    if update_h {
                        solve::reconstruct(wt, h, k, n, m, &mut wh, par);
                        solve::kl_ratio(x, &mut wh, parallel);
                        let mut num = Mat::<f64>::zeros(k, m);
                        faer::linalg::matmul::matmul(
                            num.as_mut(),
                            faer::Accum::Replace,
                            view(wt, k, n),
                            view(&wh, n, m),
                            1.0,
                            par,
                        );
                        solve::mu_kl_update(
                            h,
                            num.as_ref(),
                            &row_sums(wt, k),
                            k,
                            p.l1_h,
                            p.l2_h,
                            true,
                            parallel,
                        );
                    }
                    err_of(wt, h, &mut wh)
                }
                (solver, false) => {
                    // W step: A = HHᵀ, B = HXᵀ
                    let a = gram(h, k, m, par);
                    let mut b = Mat::<f64>::zeros(k, n);
                    faer::linalg::matmul::matmul(
                        b.as_mut(),
                        faer::Accum::Replace,
                        view(h, k, m),
                        x.transpose(),
                        1.0,
                        par,
                    );
                    match solver {
                        Solver::Mu => solve::mu_frobenius_update(
                            wt,
                            a.as_ref(),
                            b.as_ref(),
                            k,
                            p.l1_w,
                            p.l2_w,
                            parallel,
                        ),
                        _ => {
                            solve::cd_update(wt, a.as_ref(), b.as_ref(), k, p.l1_w, p.l2_w, sweeps, parallel)
                        }
                    }
                    // H step: A = WᵀW, B = WᵀX
                    let a = gram(wt, k, n, par);
                    let mut b = Mat::<f64>::zeros(k, m);
                    faer::linalg::matmul::matmul(
                        b.as_mut(),
                        faer::Accum::Replace,
                        view(wt, k, n),
                        x,
                        1.0,
                        par,
                    );
                    if update_h {
                        match solver {
                            Solver::Mu => solve::mu_frobenius_update(
                                h,
                                a.as_ref(),
                                b.as_ref(),
                                k,
                                p.l1_h,
                                p.l2_h,
                                parallel,
                            ),
                            _ => solve::cd_update(
                                h,
                                a.as_ref(),
                                b.as_ref(),
                                k,
                                p.l1_h,
                                p.l2_h,
                                sweeps,
                                parallel,
                            ),
                        }
                    }
                    frob_from_products(xx, a.as_ref(), b.as_ref(), h, k, m, par)
                }
            };
            history.push(err);
            if p.target.is_some_and(|t| err <= t) {
                break;
            }
            if err_init == 0.0 || (prev - err) / err_init < p.tol {
                break;
            }
            prev = err;
        }
        Ok((it, history))
    }

    /// Exact final objective and explained variance.
    fn finish(
        &self,
        wt: &[f64],
        h: &[f64],
        n_iter: usize,
        converged: bool,
        history: Vec<f64>,
    ) -> NmfDiagnostics {
        let (n, m, k) = (self.n, self.m, self.k);
        let mut wh = vec![0.0; n * m];
        solve::reconstruct(wt, h, k, n, m, &mut wh, self.par);
        let x = self.x;
        let (mut rss, mut tss_c, mut tss) = (0.0, 0.0, 0.0);
        for j in 0..m {
            let xc = x.col(j);
            let mean = xc.sum() / n as f64;
            for i in 0..n {
                let r = xc[i] - wh[j * n + i];
                rss += r * r;
                tss_c += (xc[i] - mean) * (xc[i] - mean);
                tss += xc[i] * xc[i];
            }
        }
        let objective = if self.p.loss == Loss::KullbackLeibler {
            let sw = row_sums(wt, k);
            let sh = row_sums(h, k);
            let sum_wh: f64 = sw.iter().zip(&sh).map(|(a, b)| a * b).sum();
            (2.0 * solve::kl_divergence(x, view(&wh, n, m), sum_wh, self.parallel)).max(0.0).sqrt()
        } else {
            rss.sqrt()
        };
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

/// Row sums of a k × p column-major factor.
fn row_sums(f: &[f64], k: usize) -> Vec<f64> {
    let mut s = vec![0.0; k];
    for col in f.chunks_exact(k) {
        for (a, b) in s.iter_mut().zip(col) {
            *a += b;
        }
    }
    s
}

/// ‖X − WH‖_F from ‖X‖², A = WᵀW, B = WᵀX and H: ‖X‖² − 2⟨H, B⟩ + ⟨A, HHᵀ⟩.
fn frob_from_products(
    xx: f64,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    h: &[f64],
    k: usize,
    m: usize,
    par: Par,
) -> f64 {
    let hh = gram(h, k, m, par);
    let mut cross = 0.0;
    for j in 0..m {
        for t in 0..k {
            cross += h[j * k + t] * b[(t, j)];
        }
    }
    let mut quad = 0.0;
    for t in 0..k {
        for r in 0..k {
            quad += a[(t, r)] * hh[(t, r)];
        }
    }
    (xx - 2.0 * cross + quad).max(0.0).sqrt()
}
