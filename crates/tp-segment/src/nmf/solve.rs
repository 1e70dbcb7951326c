//! The NMF update rules, written on factors stored as k × p column-major
//! buffers (Wᵀ is k × n, H is k × m): each column is one row of W or one
//! column of H, contiguous, and the columns are independent given the other
//! factor, so they update in parallel over fixed blocks.
//!
//! Every rule needs only two small products of the other factor: the k × k
//! Gram `A` (HHᵀ or WᵀW) and the k × p cross product `B` (HXᵀ or WᵀX); those
//! are the faer GEMMs of the hot loop.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

/// scikit-learn's `EPSILON` (float32 machine epsilon) used to guard divisions.
pub(crate) const EPSILON: f64 = f32::EPSILON as f64;

/// Columns per parallel block of a factor update.
const COLS: usize = 512;

pub(crate) fn view(f: &[f64], k: usize, p: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(f, k, p)
}

/// A = F Fᵀ (k × k) of a k × p factor.
pub(crate) fn gram(f: &[f64], k: usize, p: usize, par: Par) -> Mat<f64> {
    let fv = view(f, k, p);
    let mut a = Mat::<f64>::zeros(k, k);
    matmul(a.as_mut(), Accum::Replace, fv, fv.transpose(), 1.0, par);
    a
}

/// Run `work(first_column, block)` over column blocks of a k × p factor.
fn for_blocks(f: &mut [f64], k: usize, parallel: bool, work: impl Fn(usize, &mut [f64]) + Sync) {
    if parallel {
        f.par_chunks_mut(k * COLS).enumerate().for_each(|(b, blk)| work(b * COLS, blk));
    } else {
        f.chunks_mut(k * COLS).enumerate().for_each(|(b, blk)| work(b * COLS, blk));
    }
}

/// HALS / coordinate descent on the whole factor (parallel column blocks);
/// see [`cd_block`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn cd_update(
    f: &mut [f64],
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    k: usize,
    l1: f64,
    l2: f64,
    sweeps: usize,
    parallel: bool,
) {
    let a_cols: Vec<f64> = (0..k * k).map(|i| a[(i % k, i / k)]).collect();
    for_blocks(f, k, parallel, |j0, blk| {
        let p = blk.len() / k;
        cd_block(blk, &a_cols, b.subcols(j0, p), k, l1, l2, sweeps)
    });
}

/// HALS / coordinate descent: every column f_j of a block minimises
/// ½ fᵀ A f − b_jᵀ f + l1·Σf + ½ l2·‖f‖² over f ≥ 0 by cyclic coordinate
/// steps f_t ← max(0, f_t − (A f − b + l1 + l2 f)_t / (A_tt + l2)), repeated up to
/// `sweeps` times (stopping early when a sweep moves the column less than a
/// tenth of the first sweep did). One sweep is exactly scikit-learn's `cd`
/// update; more sweeps amortise the GEMMs that built A and B (Gillis &
/// Glineur's accelerated HALS). `a_cols` is A column-major, `b` is k × p.
pub(crate) fn cd_block(
    blk: &mut [f64],
    a_cols: &[f64],
    b: MatRef<'_, f64>,
    k: usize,
    l1: f64,
    l2: f64,
    sweeps: usize,
) {
    for (c, col) in blk.chunks_exact_mut(k).enumerate() {
        let bj = b.col(c);
        let mut first = 0.0;
        for s in 0..sweeps {
            let mut moved = 0.0;
            for t in 0..k {
                let at = &a_cols[t * k..(t + 1) * k];
                let hess = at[t] + l2;
                if hess <= 0.0 {
                    continue;
                }
                let mut g = l1 - bj[t] + l2 * col[t];
                for (ar, fr) in at.iter().zip(col.iter()) {
                    g += ar * fr;
                }
                let new = (col[t] - g / hess).max(0.0);
                moved += (new - col[t]).abs();
                col[t] = new;
            }
            if s == 0 {
                first = moved;
            } else if moved <= 0.1 * first {
                break;
            }
            if moved == 0.0 {
                break;
            }
        }
    }
}

/// Frobenius multiplicative update on the whole factor; see [`mu_frobenius_block`].
pub(crate) fn mu_frobenius_update(
    f: &mut [f64],
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    k: usize,
    l1: f64,
    l2: f64,
    parallel: bool,
) {
    let a_cols: Vec<f64> = (0..k * k).map(|i| a[(i % k, i / k)]).collect();
    for_blocks(f, k, parallel, |j0, blk| {
        let p = blk.len() / k;
        mu_frobenius_block(blk, &a_cols, b.subcols(j0, p), k, l1, l2)
    });
}

/// Frobenius multiplicative update (Lee & Seung 2001):
/// F ← F ∘ B / (A F + l1 + l2 F), zero denominators replaced by `EPSILON`.
pub(crate) fn mu_frobenius_block(
    blk: &mut [f64],
    a_cols: &[f64],
    b: MatRef<'_, f64>,
    k: usize,
    l1: f64,
    l2: f64,
) {
    let mut den = vec![0.0; k];
    for (c, col) in blk.chunks_exact_mut(k).enumerate() {
        let bj = b.col(c);
        for t in 0..k {
            let at = &a_cols[t * k..(t + 1) * k];
            let mut s = l1 + l2 * col[t];
            for (ar, fr) in at.iter().zip(col.iter()) {
                s += ar * fr;
            }
            den[t] = if s == 0.0 { EPSILON } else { s };
        }
        for t in 0..k {
            col[t] *= bj[t] / den[t];
            if col[t] < f64::MIN_POSITIVE {
                col[t] = 0.0; // flush subnormals (they stall the GEMMs)
            }
        }
    }
}

/// Kullback–Leibler multiplicative update on the whole factor; see [`mu_kl_block`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn mu_kl_update(
    f: &mut [f64],
    num: MatRef<'_, f64>,
    sums: &[f64],
    k: usize,
    l1: f64,
    l2: f64,
    zero_small: bool,
    parallel: bool,
) {
    for_blocks(f, k, parallel, |j0, blk| {
        let p = blk.len() / k;
        mu_kl_block(blk, num.subcols(j0, p), sums, k, l1, l2, zero_small)
    });
}

/// Kullback–Leibler multiplicative update: F ← F ∘ N / (σ + l1 + l2 F) where
/// N is the k × p product of the other factor with X / WH and σ_t the sum of
/// the other factor's row t. H (`zero_small`): entries below machine epsilon
/// are set to 0 (scikit-learn's rule); W: subnormals are flushed (they stall
/// every later GEMM by orders of magnitude).
pub(crate) fn mu_kl_block(
    blk: &mut [f64],
    num: MatRef<'_, f64>,
    sums: &[f64],
    k: usize,
    l1: f64,
    l2: f64,
    zero_small: bool,
) {
    let floor = if zero_small { f64::EPSILON } else { f64::MIN_POSITIVE };
    for (c, col) in blk.chunks_exact_mut(k).enumerate() {
        let nj = num.col(c);
        for t in 0..k {
            let mut den = sums[t] + l1 + l2 * col[t];
            if den == 0.0 {
                den = EPSILON;
            }
            col[t] *= nj[t] / den;
            if col[t] < floor {
                col[t] = 0.0;
            }
        }
    }
}
