//! Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's
//! greedy variant): the first center is drawn with probability ∝ w_i; each next
//! center is the best of `2 + ⌊ln k⌋` candidates drawn with probability
//! ∝ w_i · D(x_i)², "best" meaning the one that lowers the potential
//! Σ w_i · D(x_i)² the most.
//!
//! One pass over the data per center: the distances of every row to all the
//! candidates come from one small faer GEMM per block of rows
//! (‖x‖² − 2x·c + ‖c‖², clamped at 0, as scikit-learn's `euclidean_distances`),
//! are kept in a reused n × trials buffer, and the per-block potentials merge
//! in block order (thread-count independent).

use super::rows::{BLOCK, Rows, sq_dist};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rand::Rng;
use rayon::prelude::*;
use tp_core::rng::TpRng;

/// k × d row-major initial centers; `xn` holds ‖x_i‖².
pub(crate) fn kmeans_plusplus(
    x: &Rows,
    xn: &[f64],
    w: &[f64],
    k: usize,
    rng: &mut TpRng,
    parallel: bool,
) -> Vec<f64> {
    let (n, d) = (x.n, x.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let total_w: f64 = w.iter().sum();
    let first = sample_indices(n, |i| w[i], &[rng.random::<f64>() * total_w])[0];
    centers.extend_from_slice(x.row(first));
    let mut closest = vec![0.0; n];
    let c0 = x.row(first).to_vec();
    for_blocks(&mut closest, 1, parallel, |lo, out| {
        for (o, v) in out.iter_mut().enumerate() {
            *v = sq_dist(x.row(lo + o), &c0);
        }
    });
    let mut pot = block_sum(n, parallel, |i| w[i] * closest[i]);
    let mut buf = vec![0.0; n * trials];
    for _ in 1..k {
        let rs: Vec<f64> = (0..trials).map(|_| rng.random::<f64>() * pot).collect();
        let cands = sample_indices(n, |i| w[i] * closest[i], &rs);
        let cmat: Vec<f64> = cands.iter().flat_map(|&c| x.row(c).iter().copied()).collect();
        let cview = MatRef::from_row_major_slice(&cmat, trials, d);
        let cn: Vec<f64> = cands.iter().map(|&c| xn[c]).collect();
        // distances of every row to every candidate, block by block; per-block potentials
        let parts: Vec<Vec<f64>> = {
            let closest = &closest;
            let work = |(b, out): (usize, &mut [f64])| {
                let lo = b * BLOCK;
                let rows = out.len() / trials;
                let mut g = MatMut::from_column_major_slice_mut(out, rows, trials);
                matmul(g.as_mut(), Accum::Replace, x.block(lo, lo + rows), cview.transpose(), -2.0, Par::Seq);
                let mut pots = vec![0.0; trials];
                for (t, p) in pots.iter_mut().enumerate() {
                    for (o, v) in g.as_mut().col_mut(t).iter_mut().enumerate() {
                        *v = (*v + xn[lo + o] + cn[t]).max(0.0);
                        *p += w[lo + o] * v.min(closest[lo + o]);
                    }
                }
                pots
            };
            if parallel && n > BLOCK {
                buf.par_chunks_mut(BLOCK * trials).enumerate().map(work).collect()
            } else {
                buf.chunks_mut(BLOCK * trials).enumerate().map(work).collect()
            }
        };
        let pots: Vec<f64> = (0..trials).map(|t| parts.iter().map(|p| p[t]).sum()).collect();
        let best = (0..trials).fold(0, |b, t| if pots[t] < pots[b] { t } else { b });
        pot = pots[best];
        let buf = &buf;
        for_blocks(&mut closest, 1, parallel, |lo, out| {
            let rows = (n - lo).min(BLOCK);
            let col = &buf[lo * trials + best * rows..lo * trials + (best + 1) * rows];
            for (v, c) in out.iter_mut().zip(col) {
                *v = v.min(*c);
            }
        });
        centers.extend_from_slice(x.row(cands[best]));
    }
    centers
}

/// For each target r (in the given order), the first index whose cumulative
/// weight reaches r (numpy `searchsorted`, left), skipping zero weights;
/// rounding past the end falls back to the last positive weight. One scan.
fn sample_indices(n: usize, weight: impl Fn(usize) -> f64, rs: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rs.len()).collect();
    order.sort_by(|&a, &b| rs[a].total_cmp(&rs[b]));
    let mut out = vec![usize::MAX; rs.len()];
    let (mut acc, mut next, mut last_pos) = (0.0, 0, n - 1);
    for i in 0..n {
        let v = weight(i);
        acc += v;
        if v > 0.0 {
            last_pos = i;
            while next < order.len() && acc >= rs[order[next]] {
                out[order[next]] = i;
                next += 1;
            }
            if next == order.len() {
                break;
            }
        }
    }
    for o in out.iter_mut().filter(|o| **o == usize::MAX) {
        *o = last_pos;
    }
    out
}

/// Σ f(i) over blocks summed in block order.
fn block_sum(n: usize, parallel: bool, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let part = |b: usize| (b * BLOCK..((b + 1) * BLOCK).min(n)).map(&f).sum::<f64>();
    let nb = n.div_ceil(BLOCK);
    let parts: Vec<f64> = if parallel && nb > 1 {
        (0..nb).into_par_iter().map(part).collect()
    } else {
        (0..nb).map(part).collect()
    };
    parts.iter().sum()
}

/// `work(first_row, chunk)` over fixed blocks of a per-row buffer (`per` values a row).
fn for_blocks(v: &mut [f64], per: usize, parallel: bool, work: impl Fn(usize, &mut [f64]) + Sync) {
    if parallel && v.len() > BLOCK * per {
        v.par_chunks_mut(BLOCK * per).enumerate().for_each(|(b, c)| work(b * BLOCK, c));
    } else {
        v.chunks_mut(BLOCK * per).enumerate().for_each(|(b, c)| work(b * BLOCK, c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_searchsorted_left_on_positive_weights() {
        let w = [0.0, 1.0, 0.0, 2.0, 1.0];
        // cumulative: 0 1 1 3 4
        assert_eq!(sample_indices(5, |i| w[i], &[0.5, 1.0, 1.5, 3.0, 3.5]), vec![1, 1, 3, 3, 4]);
        assert_eq!(sample_indices(5, |i| w[i], &[3.2, 0.1]), vec![4, 1]);
        // rounding past the total: the last positive weight
        assert_eq!(sample_indices(5, |i| w[i], &[4.0000001]), vec![4]);
        assert_eq!(sample_indices(3, |i| [1.0, 1.0, 0.0][i], &[5.0]), vec![1]);
    }
}
