//! Row-major data layout and block-parallel helpers shared by the K-Means engines.
//!
//! K-Means touches each row as a whole, so the input is copied once into a
//! row-major buffer. Work is cut into fixed blocks of [`BLOCK`] rows whose
//! partial results are merged in block order: the result does not depend on
//! the number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

/// Rows per parallel block (fixed, so results are thread-count independent).
pub(crate) const BLOCK: usize = 4096;

/// A row-major copy of an n × d matrix.
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    pub data: Vec<f64>,
    pub n: usize,
    pub d: usize,
}

impl Rows {
    pub fn from_mat(x: MatRef<'_, f64>) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let mut data = vec![0.0; n * d];
        if d > 0 {
            // fill block by block: each block reads d short column runs and writes within L2
            data.par_chunks_mut(BLOCK * d).enumerate().for_each(|(b, chunk)| {
                let lo = b * BLOCK;
                let rows = chunk.len() / d;
                let cols: Vec<Vec<f64>> =
                    (0..d).map(|j| x.col(j).subrows(lo, rows).iter().copied().collect()).collect();
                for (o, row) in chunk.chunks_exact_mut(d).enumerate() {
                    for (v, c) in row.iter_mut().zip(&cols) {
                        *v = c[o];
                    }
                }
            });
        }
        Self { data, n, d }
    }

    /// ‖x_i‖² of every row.
    pub fn sq_norms(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, chunk)| {
            for (o, v) in chunk.iter_mut().enumerate() {
                *v = self.row(b * BLOCK + o).iter().map(|a| a * a).sum();
            }
        });
        out
    }

    pub fn subset(&self, idx: &[usize]) -> Self {
        let d = self.d;
        let mut data = Vec::with_capacity(idx.len() * d);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Self { data, n: idx.len(), d }
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }
}

/// Squared Euclidean distance.
#[inline]
pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// The k centers in both layouts: row-major (k × d) and feature-major (d × k),
/// the latter so that the distances of one row to all k centers accumulate
/// feature by feature in independent lanes (vectorisable), each distance
/// still summed over features in order.
#[derive(Debug, Clone)]
pub(crate) struct CenterSet {
    pub rows: Vec<f64>,
    cols: Vec<f64>,
    pub k: usize,
    pub d: usize,
}

impl CenterSet {
    pub fn new(centers: &[f64], k: usize, d: usize) -> Self {
        let mut cols = vec![0.0; k * d];
        for j in 0..k {
            for t in 0..d {
                cols[t * k + j] = centers[j * d + t];
            }
        }
        Self { rows: centers.to_vec(), cols, k, d }
    }

    /// Squared distances of `x` to every center, into `out[..k]`.
    #[inline]
    pub fn dists(&self, x: &[f64], out: &mut [f64]) {
        let out = &mut out[..self.k];
        out.fill(0.0);
        for (t, &xt) in x.iter().enumerate() {
            let ct = &self.cols[t * self.k..(t + 1) * self.k];
            for (o, c) in out.iter_mut().zip(ct) {
                let u = xt - c;
                *o += u * u;
            }
        }
    }

    /// Index and squared distance of the nearest center (first on ties).
    #[inline]
    pub fn nearest(&self, x: &[f64], buf: &mut [f64]) -> (usize, f64) {
        self.dists(x, buf);
        let mut best = (0, f64::INFINITY);
        for (j, &s) in buf[..self.k].iter().enumerate() {
            if s < best.1 {
                best = (j, s);
            }
        }
        best
    }

    /// Nearest index, nearest and second-nearest squared distances.
    #[inline]
    pub fn nearest_two(&self, x: &[f64], buf: &mut [f64]) -> (usize, f64, f64) {
        self.dists(x, buf);
        let (mut a, mut d1, mut d2) = (0, f64::INFINITY, f64::INFINITY);
        for (j, &s) in buf[..self.k].iter().enumerate() {
            if s < d1 {
                d2 = d1;
                d1 = s;
                a = j;
            } else if s < d2 {
                d2 = s;
            }
        }
        (a, d1, d2)
    }

    /// Row-major center j.
    #[inline]
    pub fn center(&self, j: usize) -> &[f64] {
        &self.rows[j * self.d..(j + 1) * self.d]
    }
}

/// For rows lo..hi, the k scores ‖c_j‖² − 2 x·c_j (the squared distance minus
/// ‖x‖², same argmin) as one faer GEMM of the block with the centers — the
/// form scikit-learn uses too; runtime-dispatched SIMD makes it the fast path
/// for full assignment passes.
pub(crate) fn block_scores(x: &Rows, lo: usize, hi: usize, centers: &[f64], k: usize) -> Mat<f64> {
    let d = x.d;
    let xb = MatRef::from_row_major_slice(&x.data[lo * d..hi * d], hi - lo, d);
    let c = MatRef::from_row_major_slice(centers, k, d);
    let mut g = Mat::<f64>::zeros(hi - lo, k);
    matmul(g.as_mut(), Accum::Replace, xb, c.transpose(), -2.0, Par::Seq);
    for j in 0..k {
        let cn: f64 = c.row(j).iter().map(|a| a * a).sum();
        for v in g.col_mut(j).iter_mut() {
            *v += cn;
        }
    }
    g
}

/// Index and score of the smallest and the second-smallest score in row o.
#[inline]
pub(crate) fn best_two(g: &Mat<f64>, o: usize) -> (usize, f64, f64) {
    let (mut a, mut s1, mut s2) = (0, f64::INFINITY, f64::INFINITY);
    for j in 0..g.ncols() {
        let s = g[(o, j)];
        if s < s1 {
            s2 = s1;
            s1 = s;
            a = j;
        } else if s < s2 {
            s2 = s;
        }
    }
    (a, s1, s2)
}

/// Labels of every row by nearest center (parallel over fixed blocks).
pub(crate) fn assign_all(x: &Rows, centers: &[f64], parallel: bool) -> Vec<usize> {
    let k = centers.len() / x.d;
    let mut labels = vec![0; x.n];
    let work = |(b, chunk): (usize, &mut [usize])| {
        let lo = b * BLOCK;
        let g = block_scores(x, lo, lo + chunk.len(), centers, k);
        for (o, l) in chunk.iter_mut().enumerate() {
            *l = best_two(&g, o).0;
        }
    };
    if parallel && x.n > BLOCK {
        labels.par_chunks_mut(BLOCK).enumerate().for_each(work);
    } else {
        labels.chunks_mut(BLOCK).enumerate().for_each(work);
    }
    labels
}

/// Σ w_i ‖x_i − c_{label_i}‖², summed per block then in block order.
pub(crate) fn inertia(x: &Rows, w: &[f64], centers: &[f64], labels: &[usize], parallel: bool) -> f64 {
    let d = x.d;
    let part = |b: usize| {
        let (lo, hi) = (b * BLOCK, ((b + 1) * BLOCK).min(x.n));
        (lo..hi).map(|i| w[i] * sq_dist(x.row(i), &centers[labels[i] * d..(labels[i] + 1) * d])).sum::<f64>()
    };
    let nb = x.n.div_ceil(BLOCK);
    let parts: Vec<f64> = if parallel && nb > 1 {
        (0..nb).into_par_iter().map(part).collect()
    } else {
        (0..nb).map(part).collect()
    };
    parts.iter().sum()
}
