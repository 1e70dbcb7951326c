//! Small dense kernels for the linear learners: a row-blocked weighted Gram
//! (a mergeable summary: blocks are summed in index order, so the result
//! does not depend on the thread count) and a Cholesky factorization that
//! reports the first column whose pivot collapses.

use rayon::prelude::*;
use tp_core::faer::{Accum, Mat, MatRef, Par, linalg::matmul::matmul};

/// Rows per block of the Gram summary (fixed, so results are thread-count free).
const BLOCK: usize = 4096;

/// `(Zᵀ diag(d) Z, Zᵀ r)` for an n × q design `z`, row weights `d` (≥ 0) and
/// a vector `r` (already weighted by the caller if needed).
pub(crate) fn weighted_gram(z: MatRef<'_, f64>, d: &[f64], r: &[f64]) -> (Mat<f64>, Vec<f64>) {
    let (n, q) = (z.nrows(), z.ncols());
    let n_blocks = n.div_ceil(BLOCK).max(1);
    let parts: Vec<(Mat<f64>, Vec<f64>)> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let lo = b * BLOCK;
            let hi = ((b + 1) * BLOCK).min(n);
            let zb = z.subrows(lo, hi - lo);
            let scaled = Mat::from_fn(hi - lo, q, |i, j| zb[(i, j)] * d[lo + i].sqrt());
            let mut g = Mat::<f64>::zeros(q, q);
            matmul(g.as_mut(), Accum::Replace, scaled.transpose(), scaled.as_ref(), 1.0, Par::Seq);
            let mut v = vec![0.0; q];
            for (j, vj) in v.iter_mut().enumerate() {
                let mut s = 0.0;
                for i in 0..hi - lo {
                    s += zb[(i, j)] * r[lo + i];
                }
                *vj = s;
            }
            (g, v)
        })
        .collect();
    let mut g = Mat::<f64>::zeros(q, q);
    let mut v = vec![0.0; q];
    for (gb, vb) in parts {
        g += gb;
        for (a, b) in v.iter_mut().zip(vb) {
            *a += b;
        }
    }
    (g, v)
}

/// Lower Cholesky factor of a symmetric matrix, or `Err(j)` with the first
/// column whose pivot is ≤ `rel_tol` × its original diagonal (numerically a
/// combination of the earlier columns).
pub(crate) fn cholesky(a: &Mat<f64>, rel_tol: f64) -> std::result::Result<Mat<f64>, usize> {
    let q = a.nrows();
    let mut l = Mat::<f64>::zeros(q, q);
    for j in 0..q {
        let mut d = a[(j, j)];
        for k in 0..j {
            d -= l[(j, k)] * l[(j, k)];
        }
        if d.is_nan() || d <= rel_tol * a[(j, j)].abs() || d <= 0.0 {
            return Err(j);
        }
        let djj = d.sqrt();
        l[(j, j)] = djj;
        for i in j + 1..q {
            let mut s = a[(i, j)];
            for k in 0..j {
                s -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = s / djj;
        }
    }
    Ok(l)
}

/// Solves `L Lᵀ x = b` given the lower factor `L`.
pub(crate) fn cholesky_solve(l: &Mat<f64>, b: &[f64]) -> Vec<f64> {
    let q = l.nrows();
    let mut y = b.to_vec();
    for i in 0..q {
        let mut s = y[i];
        for k in 0..i {
            s -= l[(i, k)] * y[k];
        }
        y[i] = s / l[(i, i)];
    }
    for i in (0..q).rev() {
        let mut s = y[i];
        for k in i + 1..q {
            s -= l[(k, i)] * y[k];
        }
        y[i] = s / l[(i, i)];
    }
    y
}

/// Weighted column means and scales of `x`: means are 0 when `center` is
/// false; scales are the weighted standard deviations around those means
/// (1 when `scale` is false, and 1 for a column with zero spread).
pub(crate) fn column_moments(
    x: MatRef<'_, f64>,
    w: &[f64],
    center: bool,
    scale: bool,
) -> (Vec<f64>, Vec<f64>) {
    let sw: f64 = w.iter().sum();
    let p = x.ncols();
    let mut mean = vec![0.0; p];
    let mut sd = vec![1.0; p];
    for j in 0..p {
        if center {
            let mut s = 0.0;
            for i in 0..x.nrows() {
                s += w[i] * x[(i, j)];
            }
            mean[j] = s / sw;
        }
        if scale {
            let mut s = 0.0;
            for i in 0..x.nrows() {
                let d = x[(i, j)] - mean[j];
                s += w[i] * d * d;
            }
            let v = (s / sw).sqrt();
            sd[j] = if v > 0.0 { v } else { 1.0 };
        }
    }
    (mean, sd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_and_flags_collinear_column() {
        let a = Mat::from_fn(3, 3, |i, j| if i == j { 4.0 } else { 1.0 });
        let l = cholesky(&a, 1e-12).unwrap();
        let x = cholesky_solve(&l, &[6.0, 6.0, 6.0]);
        for v in x {
            assert!((v - 1.0).abs() < 1e-12);
        }
        // column 2 = column 0 + column 1 in the underlying design
        let z = Mat::from_fn(5, 3, |i, j| match j {
            0 => i as f64,
            1 => (i * i) as f64,
            _ => (i + i * i) as f64,
        });
        let (g, _) = weighted_gram(z.as_ref(), &[1.0; 5], &[0.0; 5]);
        assert_eq!(cholesky(&g, 1e-10).unwrap_err(), 2);
    }
}
