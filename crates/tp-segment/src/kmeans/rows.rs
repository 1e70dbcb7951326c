//! Row-major data layout and block-parallel helpers shared by the K-Means engines.
//!
//! K-Means touches each row as a whole, so the input is copied once into a
//! row-major buffer. Work is cut into fixed blocks of [`BLOCK`] rows whose
//! partial results are merged in block order: the result does not depend on
//! the number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, ContiguousFwd, Mat, MatRef, Par};
use rayon::prelude::*;

/// Rows per parallel block (fixed, so results are thread-count independent).
pub(crate) const BLOCK: usize = 4096;

/// A row-major copy of an n × d matrix (block-wise transposition, parallel).
pub(crate) fn row_major(x: MatRef<'_, f64>) -> Vec<f64> {
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
    data
}

enum Store<'a> {
    Owned(Vec<f64>),
    Borrowed(MatRef<'a, f64, usize, usize, isize, ContiguousFwd>),
}

/// The K-Means input as rows: borrowed when the caller's matrix already has
/// contiguous rows (e.g. a row-major view of a C-order array), else a
/// row-major copy.
pub(crate) struct Rows<'a> {
    store: Store<'a>,
    pub n: usize,
    pub d: usize,
}

impl<'a> Rows<'a> {
    pub fn from_mat(x: MatRef<'a, f64>) -> Self {
        let (n, d) = (x.nrows(), x.ncols());
        let store = match x.try_as_row_major() {
            Some(v) if n > 0 => Store::Borrowed(v),
            _ => Store::Owned(row_major(x)),
        };
        Self { store, n, d }
    }

    /// The rows idx (in that order), copied.
    pub fn subset(&self, idx: &[usize]) -> Rows<'static> {
        let d = self.d;
        let mut data = Vec::with_capacity(idx.len() * d);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Rows { store: Store::Owned(data), n: idx.len(), d }
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        match &self.store {
            Store::Owned(v) => &v[i * self.d..(i + 1) * self.d],
            Store::Borrowed(m) => m.row(i).as_slice(),
        }
    }

    /// Rows lo..hi as a matrix view.
    pub fn block(&self, lo: usize, hi: usize) -> MatRef<'_, f64> {
        match &self.store {
            Store::Owned(v) => MatRef::from_row_major_slice(&v[lo * self.d..hi * self.d], hi - lo, self.d),
            Store::Borrowed(m) => m.subrows(lo, hi - lo).as_dyn_stride(),
        }
    }

    /// One pass over the data: the first non-finite entry (row, column,
    /// value), else ‖x_i‖² of every row and scikit-learn's tolerance scale
    /// (the mean over features of the population variance; per-block count,
    /// mean and M2 merged in block order, Chan et al.).
    pub fn stats(&self) -> std::result::Result<(Vec<f64>, f64), (usize, usize, f64)> {
        let d = self.d;
        let mut norms = vec![0.0; self.n];
        type Part = std::result::Result<(f64, Vec<f64>, Vec<f64>), (usize, usize, f64)>;
        let parts: Vec<Part> = norms
            .par_chunks_mut(BLOCK)
            .enumerate()
            .map(|(b, out)| {
                let lo = b * BLOCK;
                let cnt = out.len() as f64;
                let mut mean = vec![0.0; d];
                for (o, nrm) in out.iter_mut().enumerate() {
                    let row = self.row(lo + o);
                    if let Some(t) = row.iter().position(|v| !v.is_finite()) {
                        return Err((lo + o, t, row[t]));
                    }
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                    *nrm = row.iter().map(|a| a * a).sum();
                }
                mean.iter_mut().for_each(|m| *m /= cnt);
                let mut m2 = vec![0.0; d];
                for o in 0..out.len() {
                    m2.iter_mut()
                        .zip(self.row(lo + o))
                        .zip(&mean)
                        .for_each(|((s, v), m)| *s += (v - m) * (v - m));
                }
                Ok((cnt, mean, m2))
            })
            .collect();
        let (mut n, mut mean, mut m2) = (0.0, vec![0.0; d], vec![0.0; d]);
        for part in parts {
            let (cb, mb, sb) = part?;
            let tot = n + cb;
            for t in 0..d {
                let delta = mb[t] - mean[t];
                mean[t] += delta * cb / tot;
                m2[t] += sb[t] + delta * delta * n * cb / tot;
            }
            n = tot;
        }
        Ok((norms, m2.iter().sum::<f64>() / n / d as f64))
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
    let xb = x.block(lo, hi);
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
