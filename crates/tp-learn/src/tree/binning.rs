//! Quantile binning of features into `u8` codes.
//!
//! Each feature gets at most `max_bins` (≤ 255) finite bins whose upper
//! edges (the *cut points*) are kept in the [`BinMapper`]; a value v falls in
//! the first bin b with v ≤ cut\[b\] (the last bin is unbounded). When a
//! feature has no more distinct values than bins, cuts sit midway between
//! consecutive distinct values (so splits are exact); otherwise cuts are
//! weighted-count quantiles of the (sub)sampled values. NaN gets its own code,
//! `n_finite_bins(f)`, one past the last finite bin; each split learns which
//! side NaN goes to.

use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::faer::MatRef;
use tp_core::rng::TpRng;

/// Rows sampled to find cut points (all rows when fewer).
pub(crate) const BIN_SAMPLE: usize = 200_000;

/// Cut points of every feature: the map from raw values to bin codes.
///
/// Serialized as `{"cuts": [[c₀, c₁, …], …]}`, one strictly increasing list
/// of finite cut points (at most 254) per feature; deserialization checks
/// exactly that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "BinMapperForm")]
pub struct BinMapper {
    cuts: Vec<Vec<f64>>,
}

/// The unchecked on-disk form of a [`BinMapper`].
#[derive(Deserialize)]
struct BinMapperForm {
    cuts: Vec<Vec<f64>>,
}

impl TryFrom<BinMapperForm> for BinMapper {
    type Error = String;

    fn try_from(form: BinMapperForm) -> std::result::Result<Self, String> {
        for (f, cuts) in form.cuts.iter().enumerate() {
            if cuts.len() > 254 {
                return Err(format!("bin mapper: feature {f} has {} cut points (at most 254)", cuts.len()));
            }
            if let Some(c) = cuts.iter().find(|c| !c.is_finite()) {
                return Err(format!("bin mapper: feature {f} has a non-finite cut point {c}"));
            }
            if cuts.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("bin mapper: cut points of feature {f} are not strictly increasing"));
            }
        }
        Ok(Self { cuts: form.cuts })
    }
}

impl BinMapper {
    /// Finds at most `max_bins` (2..=255) finite bins per column of `x`
    /// from up to 200,000 rows sampled with `rng` (NaN values are skipped).
    pub fn fit(x: MatRef<'_, f64>, max_bins: usize, rng: &mut TpRng) -> Self {
        let n = x.nrows();
        let rows: Vec<usize> = if n <= BIN_SAMPLE {
            (0..n).collect()
        } else {
            let mut r: Vec<usize> = (0..BIN_SAMPLE).map(|_| rng.random_range(0..n)).collect();
            r.sort_unstable();
            r
        };
        let cuts = (0..x.ncols())
            .into_par_iter()
            .map(|j| {
                let mut v: Vec<f64> = rows.iter().map(|&i| x[(i, j)]).filter(|v| !v.is_nan()).collect();
                v.sort_unstable_by(f64::total_cmp);
                feature_cuts(&v, max_bins)
            })
            .collect();
        Self { cuts }
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.cuts.len()
    }

    /// Number of finite bins of feature `f` (its NaN code equals this).
    pub fn n_finite_bins(&self, f: usize) -> usize {
        self.cuts[f].len() + 1
    }

    /// Cut points (upper bin edges) of feature `f`.
    pub fn cuts(&self, f: usize) -> &[f64] {
        &self.cuts[f]
    }

    /// The upper edge of bin `b` of feature `f` (+∞ for the last finite bin).
    pub fn threshold(&self, f: usize, b: usize) -> f64 {
        self.cuts[f].get(b).copied().unwrap_or(f64::INFINITY)
    }

    /// The code of value `v` in feature `f`.
    pub fn bin(&self, f: usize, v: f64) -> u8 {
        let cuts = &self.cuts[f];
        if v.is_nan() {
            return cuts.len() as u8 + 1;
        }
        cuts.partition_point(|&c| c < v) as u8
    }

    /// The NaN code of every feature (one past its last finite bin).
    pub fn nan_codes(&self) -> Vec<u8> {
        (0..self.n_features()).map(|f| self.n_finite_bins(f) as u8).collect()
    }

    /// Codes of rows `lo..lo + out.len() / p` of `x`, row-major, into `out`
    /// (p = number of features): the compact form prediction routes through
    /// trees, a row's codes in one cache line.
    pub fn bin_rows(&self, x: MatRef<'_, f64>, lo: usize, out: &mut [u8]) {
        let p = self.n_features();
        for f in 0..p {
            let col = x.col(f);
            for (j, row) in out.chunks_exact_mut(p).enumerate() {
                row[f] = self.bin(f, col[lo + j]);
            }
        }
    }

    /// Codes of every entry of `x`, column-major (see [`BinnedMatrix`]).
    pub fn transform(&self, x: MatRef<'_, f64>) -> BinnedMatrix {
        let n = x.nrows();
        let columns: Vec<Vec<u8>> = (0..x.ncols())
            .into_par_iter()
            .map(|f| (0..n).map(|i| self.bin(f, x[(i, f)])).collect())
            .collect();
        let nan_code = (0..x.ncols()).map(|f| self.n_finite_bins(f) as u8).collect();
        BinnedMatrix::from_columns(n, columns, nan_code)
    }
}

/// Cut points for one sorted feature sample.
fn feature_cuts(sorted: &[f64], max_bins: usize) -> Vec<f64> {
    if sorted.is_empty() {
        return Vec::new();
    }
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in sorted {
        match distinct.last_mut() {
            Some((u, c)) if *u == v => *c += 1,
            _ => distinct.push((v, 1)),
        }
    }
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|w| midpoint(w[0].0, w[1].0)).collect();
    }
    // quantile cuts over the empirical distribution, at most max_bins - 1 of them
    let total = sorted.len() as f64;
    let mut cuts = Vec::with_capacity(max_bins - 1);
    let mut cum = 0usize;
    let mut next_q = 1usize;
    for w in distinct.windows(2) {
        cum += w[0].1;
        let target = total * next_q as f64 / max_bins as f64;
        if cum as f64 >= target {
            cuts.push(midpoint(w[0].0, w[1].0));
            while next_q < max_bins && total * next_q as f64 / max_bins as f64 <= cum as f64 {
                next_q += 1;
            }
            if cuts.len() == max_bins - 1 {
                break;
            }
        }
    }
    cuts
}

fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m >= b { a } else { m }
}

/// Feature codes of n rows, column-major (`column(f)[i]` is the bin of row
/// i) and also row-major (`row(i)[f]`): n × p bytes each. Histograms of a
/// large node stream columns; a small node's rows are scattered over the
/// data, and reading all of a row's codes from one cache line beats one
/// cache miss per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedMatrix {
    n_rows: usize,
    columns: Vec<Vec<u8>>,
    row_major: Vec<u8>,
    nan_code: Vec<u8>,
}

impl BinnedMatrix {
    fn from_columns(n_rows: usize, columns: Vec<Vec<u8>>, nan_code: Vec<u8>) -> Self {
        let p = columns.len();
        let mut row_major = vec![0u8; n_rows * p];
        row_major.par_chunks_mut(4096 * p.max(1)).enumerate().for_each(|(c, block)| {
            for (f, col) in columns.iter().enumerate() {
                for (j, row) in block.chunks_exact_mut(p).enumerate() {
                    row[f] = col[c * 4096 + j];
                }
            }
        });
        Self { n_rows, columns, row_major, nan_code }
    }

    /// Bin codes of row `i`, one per feature.
    #[inline]
    pub fn row(&self, i: usize) -> &[u8] {
        let p = self.columns.len();
        &self.row_major[i * p..(i + 1) * p]
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.columns.len()
    }

    /// Bin codes of feature `f`.
    pub fn column(&self, f: usize) -> &[u8] {
        &self.columns[f]
    }

    /// The NaN code of feature `f` (one past its last finite bin).
    pub fn nan_code(&self, f: usize) -> u8 {
        self.nan_code[f]
    }

    /// Number of histogram slots of feature `f` (finite bins plus NaN).
    pub fn n_slots(&self, f: usize) -> usize {
        self.nan_code[f] as usize + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::faer::Mat;
    use tp_core::rng::stream;

    #[test]
    fn few_distinct_values_get_exact_cuts_and_nan_its_own_code() {
        let x = Mat::from_fn(8, 1, |i, _| if i == 7 { f64::NAN } else { (i % 3) as f64 });
        let m = BinMapper::fit(x.as_ref(), 255, &mut stream(1, 0));
        assert_eq!(m.cuts(0), &[0.5, 1.5]);
        let b = m.transform(x.as_ref());
        assert_eq!(b.column(0), &[0, 1, 2, 0, 1, 2, 0, 3]);
        assert_eq!(b.nan_code(0), 3);
    }

    #[test]
    fn many_values_get_roughly_equal_count_bins() {
        let x = Mat::from_fn(10_000, 1, |i, _| ((i * 7919) % 10_000) as f64);
        let m = BinMapper::fit(x.as_ref(), 16, &mut stream(1, 0));
        assert_eq!(m.n_finite_bins(0), 16);
        let b = m.transform(x.as_ref());
        let mut counts = [0usize; 17];
        for &c in b.column(0) {
            counts[c as usize] += 1;
        }
        for &c in &counts[..16] {
            assert!((600..=650).contains(&c), "{counts:?}");
        }
    }
}
