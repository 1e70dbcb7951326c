//! NMF initialisation: random, and NNDSVD with its two zero-filling variants
//! (Boutsidis & Gallopoulos 2008).
//!
//! The rank-k truncated SVD comes from the eigen-decomposition of the smaller
//! Gram matrix (XᵀX or XXᵀ, one faer GEMM and an m × m or n × n
//! eigen-solve), which is much cheaper than a full SVD of a tall X and exact
//! enough for the leading singular pairs NNDSVD uses. NNDSVD is invariant to
//! the sign of each singular pair, so the eigen-solver's sign convention does
//! not matter.

use super::Init;
use crate::error::{Result, SegmentError};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::Rng;
use tp_core::rng::TpRng;

/// A standard normal draw (Box–Muller).
pub(crate) fn std_normal(rng: &mut TpRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Initial (Wᵀ as k × n, H as k × m), both column-major.
pub(crate) fn initialize(
    x: MatRef<'_, f64>,
    k: usize,
    init: Init,
    rng: &mut TpRng,
    par: Par,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let (n, m) = (x.nrows(), x.ncols());
    let mean = x.sum() / (n * m) as f64;
    if init == Init::Random {
        let avg = (mean / k as f64).sqrt();
        let h: Vec<f64> = (0..k * m).map(|_| (avg * std_normal(rng)).abs()).collect();
        let wt: Vec<f64> = (0..k * n).map(|_| (avg * std_normal(rng)).abs()).collect();
        return Ok((wt, h));
    }
    let (u, s, v) = truncated_svd(x, k, par)?;
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

/// Leading k singular triplets (U n × k, S, V m × k) from the smaller Gram matrix.
fn truncated_svd(x: MatRef<'_, f64>, k: usize, par: Par) -> Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let (n, m) = (x.nrows(), x.ncols());
    let tall = n >= m;
    let p = if tall { m } else { n };
    let mut g = Mat::<f64>::zeros(p, p);
    if tall {
        matmul(g.as_mut(), Accum::Replace, x.transpose(), x, 1.0, par);
    } else {
        matmul(g.as_mut(), Accum::Replace, x, x.transpose(), 1.0, par);
    }
    let evd = g
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| SegmentError::Decomposition { what: "eigen-decomposition for nndsvd".into() })?;
    let (vecs, vals) = (evd.U(), evd.S().column_vector());
    let top: Vec<usize> = (0..k).map(|j| p - 1 - j).collect();
    let s: Vec<f64> = top.iter().map(|&c| vals[c].max(0.0).sqrt()).collect();
    let small = Mat::from_fn(p, k, |i, j| vecs[(i, top[j])]);
    // the other side: X V / s (tall) or Xᵀ U / s (wide)
    let mut other = if tall { Mat::<f64>::zeros(n, k) } else { Mat::<f64>::zeros(m, k) };
    if tall {
        matmul(other.as_mut(), Accum::Replace, x, small.as_ref(), 1.0, par);
    } else {
        matmul(other.as_mut(), Accum::Replace, x.transpose(), small.as_ref(), 1.0, par);
    }
    let tiny = s[0] * 1e-12;
    for j in 0..k {
        let inv = if s[j] > tiny { 1.0 / s[j] } else { 0.0 };
        for i in 0..other.nrows() {
            other[(i, j)] *= inv;
        }
    }
    Ok(if tall { (other, s, small) } else { (small, s, other) })
}
