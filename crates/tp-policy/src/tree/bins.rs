//! Quantile binning of the features a policy tree splits on.
//!
//! Each feature gets at most `max_bins` bins. With no more distinct values
//! than that, every distinct value is its own bin (the search is then exact
//! over the raw data); otherwise the cut points are the empirical quantiles
//! at `k / max_bins`, deduplicated. A split "after bin `t`" sends
//! `x ≤ edges[t]` left, so the printed threshold applies unchanged to new data.

use crate::error::{PolicyError, Result};
use tp_core::faer::MatRef;

/// Binned features: per feature the bin of every row and the cut points.
#[derive(Debug, Clone)]
pub(crate) struct Binned {
    /// `bins[j][i]`: the bin of row `i` on feature `j`.
    pub bins: Vec<Vec<u8>>,
    /// `edges[j]`: ascending cut points; feature `j` has `edges[j].len() + 1` bins.
    pub edges: Vec<Vec<f64>>,
    /// Every feature has at most `max_bins` distinct values, so every
    /// distinct value is its own bin and a search over the bins is a search
    /// over every possible threshold.
    pub lossless: bool,
}

impl Binned {
    pub(crate) fn new(x: MatRef<'_, f64>, max_bins: usize) -> Result<Self> {
        let (n, p) = (x.nrows(), x.ncols());
        let mut bins = Vec::with_capacity(p);
        let mut edges = Vec::with_capacity(p);
        let mut sorted = Vec::with_capacity(n);
        let mut lossless = true;
        for j in 0..p {
            sorted.clear();
            for i in 0..n {
                let v = x[(i, j)];
                if !v.is_finite() {
                    return Err(PolicyError::NonFinite {
                        input: "covariates".into(),
                        row: i,
                        column: j,
                        value: v,
                    });
                }
                sorted.push(v);
            }
            sorted.sort_by(f64::total_cmp);
            lossless &= sorted.chunk_by(|a, b| a == b).count() <= max_bins;
            let e = cut_points(&sorted, max_bins);
            bins.push((0..n).map(|i| bin_of(&e, x[(i, j)]) as u8).collect());
            edges.push(e);
        }
        Ok(Binned { bins, edges, lossless })
    }

    /// Number of bins of feature `j`.
    pub(crate) fn n_bins(&self, j: usize) -> usize {
        self.edges[j].len() + 1
    }
}

/// The bin of `v`: the number of cut points strictly below it.
fn bin_of(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&e| e < v)
}

fn cut_points(sorted: &[f64], max_bins: usize) -> Vec<f64> {
    let mut distinct: Vec<f64> = sorted.to_vec();
    distinct.dedup();
    let mut e: Vec<f64> = if distinct.len() <= max_bins {
        distinct
    } else {
        let n = sorted.len();
        let mut e: Vec<f64> = (1..max_bins).map(|k| sorted[(k * n / max_bins).saturating_sub(1)]).collect();
        e.dedup();
        e
    };
    // the largest value is never a cut: nothing would go right
    if let (Some(&last), Some(&max)) = (e.last(), sorted.last())
        && last >= max
    {
        e.pop();
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::faer::Mat;

    #[test]
    fn few_distinct_values_bin_exactly() {
        let x = Mat::from_fn(6, 1, |i, _| [3.0, 1.0, 2.0, 3.0, 1.0, 2.0][i]);
        let b = Binned::new(x.as_ref(), 64).unwrap();
        assert_eq!(b.edges[0], vec![1.0, 2.0]);
        assert_eq!(b.bins[0], vec![2, 0, 1, 2, 0, 1]);
    }

    #[test]
    fn many_values_get_at_most_max_bins() {
        let x = Mat::from_fn(1000, 1, |i, _| ((i * 37) % 1000) as f64);
        let b = Binned::new(x.as_ref(), 16).unwrap();
        assert!(b.n_bins(0) <= 16);
        assert!(b.n_bins(0) >= 15);
        let mut counts = vec![0; b.n_bins(0)];
        for &v in &b.bins[0] {
            counts[v as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (62..=63).contains(&c) || c == 64), "{counts:?}");
        let mut bad = x.clone();
        bad[(5, 0)] = f64::INFINITY;
        assert!(Binned::new(bad.as_ref(), 16).is_err());
    }
}
