//! Tall-skinny products as mergeable row-block summaries.
//!
//! `XᵀWX` and `XᵀWy` for `n` in the millions and `p` in the tens are computed
//! by splitting rows into fixed blocks, one faer GEMM per block with
//! `Par::Seq` inside a rayon task, and summing the block results in block
//! order. Fixed blocks make the result independent of the thread count; the
//! split beat faer's own parallel split on this workload (DESIGN.md).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, MatRef, Par};
use rayon::prelude::*;

/// Rows per block: large enough to amortize a GEMM call, small enough to
/// give both cores work at n ≈ 100k.
const BLOCK_ROWS: usize = 16_384;

fn block_ranges(n: usize) -> Vec<(usize, usize)> {
    (0..n.div_ceil(BLOCK_ROWS)).map(|b| (b * BLOCK_ROWS, ((b + 1) * BLOCK_ROWS).min(n))).collect()
}

/// `XᵀWX` (`p × p`) with optional row weights `w` (`XᵀX` without).
pub fn gram(x: MatRef<'_, f64>, w: Option<&[f64]>) -> Mat<f64> {
    let p = x.ncols();
    let parts: Vec<Mat<f64>> = block_ranges(x.nrows())
        .into_par_iter()
        .map(|(lo, hi)| {
            let xb = x.subrows(lo, hi - lo);
            let mut out = Mat::<f64>::zeros(p, p);
            match w {
                None => matmul(out.as_mut(), Accum::Replace, xb.transpose(), xb, 1.0, Par::Seq),
                Some(w) => {
                    let xw = Mat::from_fn(hi - lo, p, |i, j| xb[(i, j)] * w[lo + i]);
                    matmul(out.as_mut(), Accum::Replace, xb.transpose(), xw.as_ref(), 1.0, Par::Seq);
                }
            }
            out
        })
        .collect();
    sum_in_order(parts, p, p)
}

/// `XᵀWy` (length `p`) with optional row weights `w`.
pub fn xt_y(x: MatRef<'_, f64>, y: &[f64], w: Option<&[f64]>) -> Col<f64> {
    let p = x.ncols();
    let parts: Vec<Mat<f64>> = block_ranges(x.nrows())
        .into_par_iter()
        .map(|(lo, hi)| {
            let xb = x.subrows(lo, hi - lo);
            let yb = Mat::from_fn(hi - lo, 1, |i, _| y[lo + i] * w.map_or(1.0, |w| w[lo + i]));
            let mut out = Mat::<f64>::zeros(p, 1);
            matmul(out.as_mut(), Accum::Replace, xb.transpose(), yb.as_ref(), 1.0, Par::Seq);
            out
        })
        .collect();
    let m = sum_in_order(parts, p, 1);
    Col::from_fn(p, |j| m[(j, 0)])
}

fn sum_in_order(parts: Vec<Mat<f64>>, r: usize, c: usize) -> Mat<f64> {
    let mut acc = Mat::<f64>::zeros(r, c);
    for part in parts {
        acc += part;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_matches_naive_with_and_without_weights() {
        let n = 40_000;
        let x = Mat::from_fn(n, 3, |i, j| ((i * (j + 3)) % 17) as f64 / 7.0 - 1.0);
        let w: Vec<f64> = (0..n).map(|i| (i % 5) as f64 * 0.5).collect();
        let y: Vec<f64> = (0..n).map(|i| (i % 11) as f64).collect();
        let g = gram(x.as_ref(), Some(&w));
        let v = xt_y(x.as_ref(), &y, None);
        for a in 0..3 {
            let naive_v: f64 = (0..n).map(|i| x[(i, a)] * y[i]).sum();
            assert!((v[a] - naive_v).abs() < 1e-9 * naive_v.abs().max(1.0));
            for b in 0..3 {
                let naive: f64 = (0..n).map(|i| x[(i, a)] * w[i] * x[(i, b)]).sum();
                assert!((g[(a, b)] - naive).abs() < 1e-9 * naive.abs().max(1.0));
            }
        }
        let g1 = gram(x.as_ref(), None);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(g1, pool.install(|| gram(x.as_ref(), None)), "thread count changed the result");
    }
}
