//! Row-major data layout and block-parallel helpers shared by the K-Means engines.
//!
//! K-Means touches each row as a whole, so the input is copied once into a
//! row-major buffer. Work is cut into fixed blocks of [`BLOCK`] rows whose
//! partial results are merged in block order: the result does not depend on
//! the number of threads.

use faer::{ContiguousFwd, MatRef};
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
    /// value), else scikit-learn's tolerance scale (see [`merge_stats`]).
    pub fn stats(&self) -> std::result::Result<f64, NonFinite> {
        let parts: Vec<BlockStats> =
            (0..self.n.div_ceil(BLOCK)).into_par_iter().map(|b| self.block_stats(b)).collect();
        merge_stats(parts, self.d)
    }

    /// Count, feature means and feature M2 of block b (its rows read twice:
    /// the second time from cache), or its first non-finite entry.
    pub fn block_stats(&self, b: usize) -> BlockStats {
        let d = self.d;
        let (lo, hi) = (b * BLOCK, ((b + 1) * BLOCK).min(self.n));
        let cnt = (hi - lo) as f64;
        let mut mean = vec![0.0; d];
        for i in lo..hi {
            let row = self.row(i);
            if let Some(t) = row.iter().position(|v| !v.is_finite()) {
                return Err((i, t, row[t]));
            }
            mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= cnt);
        let mut m2 = vec![0.0; d];
        for i in lo..hi {
            m2.iter_mut().zip(self.row(i)).zip(&mean).for_each(|((s, v), m)| *s += (v - m) * (v - m));
        }
        Ok((cnt, mean, m2))
    }
}

/// Sample weights: all 1 (no vector to read: the unweighted fits stream one
/// array less) or given per row. `w[i]` reads either.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Weights<'a> {
    /// Every row weighs 1.
    Unit,
    /// One weight per row.
    Given(&'a [f64]),
}

impl<'a> Weights<'a> {
    /// `None` = unit weights.
    pub fn new(w: Option<&'a [f64]>) -> Self {
        w.map_or(Weights::Unit, Weights::Given)
    }
}

impl std::ops::Index<usize> for Weights<'_> {
    type Output = f64;

    #[inline(always)]
    fn index(&self, i: usize) -> &f64 {
        match self {
            Weights::Unit => &1.0,
            Weights::Given(w) => &w[i],
        }
    }
}

/// A non-finite input entry: (row, column, value).
pub(crate) type NonFinite = (usize, usize, f64);

/// One block's (count, feature means, feature M2), or its first non-finite entry.
pub(crate) type BlockStats = std::result::Result<(f64, Vec<f64>, Vec<f64>), NonFinite>;

/// scikit-learn's tolerance scale, the mean over features of the population
/// variance, from per-block statistics merged in block order (Chan et al.);
/// the first block's error if any.
pub(crate) fn merge_stats(parts: Vec<BlockStats>, d: usize) -> std::result::Result<f64, NonFinite> {
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
    Ok(m2.iter().sum::<f64>() / n / d as f64)
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
