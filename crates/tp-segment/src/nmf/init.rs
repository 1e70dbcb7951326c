//! NMF initialisation: random, and NNDSVD with its two zero-filling variants
//! (Boutsidis & Gallopoulos 2008).
//!
//! The rank-k truncated SVD is a Rayleigh–Ritz step on XᵀX (see
//! `truncated_svd`): exact for narrow X, a randomized subspace iteration
//! otherwise. NNDSVD is invariant to the sign of each singular pair, so the
//! eigen-solver's sign convention does not matter.

use super::Init;
use super::pass::{self, Source};
use crate::error::{Result, SegmentError};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par, Side};
use rand::Rng;
use tp_core::rng::TpRng;

/// A standard normal draw (Box–Muller).
pub(crate) fn std_normal(rng: &mut TpRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Initial (Wᵀ as k × n, H as k × m), both column-major; `mean` is mean(X).
pub(crate) fn initialize(
    src: &Source<'_>,
    k: usize,
    init: Init,
    rng: &mut TpRng,
    mean: f64,
    parallel: bool,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let (n, m) = (src.nrows(), src.ncols());
    if init == Init::Random {
        let avg = (mean / k as f64).sqrt();
        let h: Vec<f64> = (0..k * m).map(|_| (avg * std_normal(rng)).abs()).collect();
        let wt: Vec<f64> = (0..k * n).map(|_| (avg * std_normal(rng)).abs()).collect();
        return Ok((wt, h));
    }
    let (u, s, v) = truncated_svd(src, k, rng, parallel)?;
    let mut wt = vec![0.0; k * n];
    let mut h = vec![0.0; k * m];
    for j in 0..k {
        let (uj, vj) = (u.col(j), v.col(j));
        let (cu, cv, scale) = if j == 0 {
            (
                uj.iter().map(|a| a.abs()).collect::<Vec<_>>(),
                vj.iter().map(|a| a.abs()).collect::<Vec<_>>(),
                s[0],
            )
        } else {
            let pos = |c: faer::ColRef<'_, f64>| c.iter().map(|a| a.max(0.0)).collect::<Vec<_>>();
            let neg = |c: faer::ColRef<'_, f64>| c.iter().map(|a| (-a).max(0.0)).collect::<Vec<_>>();
            let norm = |c: &[f64]| c.iter().map(|a| a * a).sum::<f64>().sqrt();
            let (xp, yp, xn, yn) = (pos(uj), pos(vj), neg(uj), neg(vj));
            let (xpn, ypn, xnn, ynn) = (norm(&xp), norm(&yp), norm(&xn), norm(&yn));
            let (mp, mn) = (xpn * ypn, xnn * ynn);
            let (a, b, an, bn, sigma) = if mp > mn { (xp, yp, xpn, ypn, mp) } else { (xn, yn, xnn, ynn, mn) };
            let lbd = (s[j] * sigma).sqrt();
            let sa = if an > 0.0 { lbd / an } else { 0.0 };
            let sb = if bn > 0.0 { lbd / bn } else { 0.0 };
            (a.iter().map(|t| t * sa).collect(), b.iter().map(|t| t * sb).collect(), 1.0)
        };
        let root = if j == 0 { scale.sqrt() } else { 1.0 };
        for i in 0..n {
            wt[i * k + j] = root * cu[i];
        }
        for t in 0..m {
            h[t * k + j] = root * cv[t];
        }
    }
    for v in wt.iter_mut().chain(h.iter_mut()) {
        if *v < 1e-6 {
            *v = 0.0;
        }
    }
    match init {
        Init::NndsvdA => {
            for v in wt.iter_mut().chain(h.iter_mut()) {
                if *v == 0.0 {
                    *v = mean;
                }
            }
        }
        Init::NndsvdAr => {
            for v in wt.iter_mut().chain(h.iter_mut()) {
                if *v == 0.0 {
                    *v = (mean * std_normal(rng) / 100.0).abs();
                }
            }
        }
        _ => {}
    }
    Ok((wt, h))
}

/// Columns of the right-singular subspace kept for small m (exact: V = I).
const EXACT_COLS: usize = 64;
/// Power iterations of the randomized range finder.
const POWER_ITERS: usize = 1;
/// Extra columns of the randomized range finder.
const OVERSAMPLE: usize = 4;

/// Leading k singular triplets (U n × k, S, V m × k) by Rayleigh–Ritz on a
/// subspace of the column space: for small m the whole space (V = I, so the
/// eigen-decomposition of XᵀX: exact); otherwise a randomized subspace
/// iteration (Halko, Martinsson & Tropp 2011: Gaussian start with
/// `OVERSAMPLE` extra columns, `POWER_ITERS` steps V ← orth(XᵀX V)), as
/// scikit-learn's NNDSVD does with `randomized_svd`. Each XᵀX V is one fused
/// pass over the rows of X (dense or sparse); U = X V / s is one more.
fn truncated_svd(
    src: &Source<'_>,
    k: usize,
    rng: &mut TpRng,
    parallel: bool,
) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let m = src.ncols();
    let exact = m <= EXACT_COLS.max(2 * (k + OVERSAMPLE));
    let fail = || SegmentError::Decomposition { what: "eigen-decomposition for nndsvd".into() };
    let basis = if exact {
        Mat::<f64>::identity(m, m)
    } else {
        let l = (k + OVERSAMPLE).min(m);
        let omega = Mat::from_fn(m, l, |_, _| std_normal(rng));
        let mut q = omega.qr().compute_thin_Q();
        for _ in 0..POWER_ITERS {
            q = pass::gram_times(src, q.as_ref(), parallel).qr().compute_thin_Q();
        }
        q
    };
    let z = pass::gram_times(src, basis.as_ref(), parallel);
    let mut t = Mat::<f64>::zeros(basis.ncols(), basis.ncols());
    matmul(t.as_mut(), Accum::Replace, basis.transpose(), z.as_ref(), 1.0, Par::Seq);
    let l = t.nrows();
    let t = Mat::from_fn(l, l, |i, j| 0.5 * (t[(i, j)] + t[(j, i)]));
    let evd = t.self_adjoint_eigen(Side::Lower).map_err(|_| fail())?;
    let (vecs, vals) = (evd.U(), evd.S().column_vector());
    let top: Vec<usize> = (0..k).map(|j| l - 1 - j).collect();
    let s: Vec<f64> = top.iter().map(|&c| vals[c].max(0.0).sqrt()).collect();
    let e = Mat::from_fn(l, k, |i, j| vecs[(i, top[j])]);
    let mut v = Mat::<f64>::zeros(m, k);
    matmul(v.as_mut(), Accum::Replace, basis.as_ref(), e.as_ref(), 1.0, Par::Seq);
    let mut u = pass::times(src, v.as_ref(), parallel);
    let tiny = s[0] * 1e-12;
    for j in 0..k {
        let inv = if s[j] > tiny { 1.0 / s[j] } else { 0.0 };
        for i in 0..u.nrows() {
            u[(i, j)] *= inv;
        }
    }
    Ok((u, s, v))
}
