//! Intervals: normal (influence terms), percentile bootstrap, and the
//! empirical-Bernstein high-confidence lower bound.

use crate::estimators::Terms;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::rng::{derive_seed_str, stream};
use tp_core::stats;

/// `(se, low, high)` of a normal interval from per-row influence terms
/// whose mean is `value`: `se = sd(φ) / √n`, `value ± z_{1−α/2} se`.
pub(crate) fn normal_interval(value: f64, phi: &[f64], alpha: f64) -> (f64, f64, f64) {
    let se = (stats::variance(phi) / phi.len() as f64).sqrt();
    let z = stats::normal_quantile(1.0 - alpha / 2.0);
    (se, value - z * se, value + z * se)
}

/// Where a statistic's parts live among the bootstrap table's columns.
#[derive(Debug, Clone, Copy)]
struct StatSpec {
    u: Option<usize>,
    ratio: Option<(usize, usize)>,
}

/// Per-row columns of several statistics, stored row-major so one bootstrap
/// index draw feeds every statistic (and paired differences share draws).
#[derive(Debug, Clone)]
pub(crate) struct BootstrapTable {
    n: usize,
    m: usize,
    data: Vec<f64>,
    stats: Vec<StatSpec>,
}

impl BootstrapTable {
    /// Lays out the terms of each statistic as columns.
    pub fn new(all: &[&Terms]) -> BootstrapTable {
        let mut cols: Vec<&[f64]> = Vec::new();
        let mut specs = Vec::with_capacity(all.len());
        for t in all {
            let u = t.u.as_ref().map(|u| {
                cols.push(u);
                cols.len() - 1
            });
            let ratio = t.ratio.as_ref().map(|(a, b)| {
                cols.push(a);
                cols.push(b);
                (cols.len() - 2, cols.len() - 1)
            });
            specs.push(StatSpec { u, ratio });
        }
        let m = cols.len();
        let n = cols.first().map_or(0, |c| c.len());
        let mut data = vec![0.0; n * m];
        for (j, c) in cols.iter().enumerate() {
            for (i, v) in c.iter().enumerate() {
                data[i * m + j] = *v;
            }
        }
        BootstrapTable { n, m, data, stats: specs }
    }

    /// `n_boot` replicates of every statistic (`n_boot × S`, replicate-major).
    /// Replicate `b` resamples `n` rows with replacement using
    /// `stream(seed, b)`; replicates run in parallel and are collected in
    /// index order, so the result is the same at any thread count.
    pub fn replicates(&self, n_boot: usize, seed: u64) -> Vec<Vec<f64>> {
        (0..n_boot).into_par_iter().map(|b| self.one_replicate(seed, b as u64)).collect()
    }

    /// One replicate: multinomial resampling counts, drawn block by block so
    /// every gather stays in cache. The number of draws landing in each block
    /// of rows follows the exact conditional binomial chain of a
    /// Multinomial(n, 1/n) (block `j` gets `Binomial(n_left, size_j / rows_left)`),
    /// then those draws pick rows uniformly within the block: the same
    /// distribution as drawing `n` row indices uniformly from all rows.
    fn one_replicate(&self, seed: u64, b: u64) -> Vec<f64> {
        let mut rng = stream(seed, b);
        let n = self.n;
        let m = self.m;
        // power-of-two blocks: an index within a full block is `bits` uniform
        // random bits, so one u64 yields several exactly uniform indices
        let block = (4096 / m.max(1)).max(64).next_power_of_two();
        let bits = block.trailing_zeros();
        let per_word = 64 / bits;
        let mask = (block - 1) as u64;
        let mut sums = vec![0.0; m];
        let mut draws_left = n as u64;
        let mut start = 0usize;
        let mut word = 0u64;
        let mut left = 0u32;
        let mut buf = [0u64; 256];
        while start < n && draws_left > 0 {
            let len = block.min(n - start);
            let rows_left = (n - start) as f64;
            let k = if len == n - start {
                draws_left
            } else {
                Binomial::new(draws_left, len as f64 / rows_left).map_or(0, |d| d.sample(&mut rng))
            };
            draws_left -= k;
            let data = &self.data[start * m..(start + len) * m];
            if len == block && m == 1 {
                // hot path: bulk random words, four accumulators to break the add chain
                let k = k as usize;
                let mut acc = [0.0f64; 4];
                let mut done = 0usize;
                while done < k {
                    let take = (k - done).min(buf.len() * per_word as usize);
                    let words = take.div_ceil(per_word as usize);
                    rng.fill(&mut buf[..words]);
                    let mut lane = 0usize;
                    let mut produced = 0usize;
                    'words: for &w in &buf[..words] {
                        let mut w = w;
                        for _ in 0..per_word {
                            if produced == take {
                                break 'words;
                            }
                            acc[lane & 3] += data[(w & mask) as usize];
                            w >>= bits;
                            lane += 1;
                            produced += 1;
                        }
                    }
                    done += take;
                }
                sums[0] += (acc[0] + acc[1]) + (acc[2] + acc[3]);
            } else {
                for _ in 0..k {
                    let i = if len == block {
                        if left == 0 {
                            word = rng.next_u64();
                            left = per_word;
                        }
                        let i = (word & mask) as usize;
                        word >>= bits;
                        left -= 1;
                        i
                    } else {
                        rng.random_range(0..len as u32) as usize
                    };
                    for (s, v) in sums.iter_mut().zip(&data[i * m..(i + 1) * m]) {
                        *s += v;
                    }
                }
            }
            start += len;
        }
        self.stats
            .iter()
            .map(|spec| {
                let mut v = spec.u.map_or(0.0, |c| sums[c] / n as f64);
                if let Some((a, b)) = spec.ratio {
                    v += if sums[b] == 0.0 { 0.0 } else { sums[a] / sums[b] };
                }
                v
            })
            .collect()
    }
}

/// Percentile interval `(q_{α/2}, q_{1−α/2})` of replicate values (linear
/// interpolation, numpy's default, as obp's `estimate_confidence_interval_by_bootstrap`).
pub(crate) fn percentile_interval(values: &[f64], alpha: f64) -> (f64, f64) {
    let q = stats::quantiles(values, &[alpha / 2.0, 1.0 - alpha / 2.0]);
    (q[0], q[1])
}

/// A high-confidence lower bound on the policy value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HighConfidenceBound {
    /// With probability at least `1 − delta`, the value is at least this.
    pub lower_bound: f64,
    /// The failure probability δ.
    pub delta: f64,
    /// The truncation threshold `c` applied to the shifted IPW terms.
    pub threshold: f64,
    /// Rows used to choose `c` (the rest compute the bound).
    pub n_select: usize,
    /// Rows the bound was computed on.
    pub n_bound: usize,
}

/// Maurer & Pontil's empirical-Bernstein bound on the mean of `x` truncated
/// at `c` (Thomas et al. 2015, Theorem 1 with a common threshold):
/// `mean(min(x, c)) − 7 c ln(2/δ) / (3(n − 1)) − √(2 ln(2/δ) s² / n)`,
/// with `s²` the unbiased sample variance of `min(x, c)`; `n_eff` replaces
/// `n` in the penalty terms when predicting the bound for another sample size.
fn eb_bound(x: &[f64], c: f64, delta: f64, n_eff: usize) -> f64 {
    let y: Vec<f64> = x.iter().map(|v| v.min(c)).collect();
    let n = n_eff as f64;
    let l = (2.0 / delta).ln();
    let s2 = if y.len() > 1 { stats::variance(&y) } else { 0.0 };
    stats::mean(&y) - 7.0 * c * l / (3.0 * (n - 1.0)) - (2.0 * l * s2 / n).sqrt()
}

/// HCOPE lower bound (Thomas, Theocharous & Ghavamzadeh 2015) on `E[x]` for
/// non-negative `x`: a seeded 20 % of rows choose the threshold `c` (the
/// candidate among quantiles of `x` that maximizes the bound predicted for
/// the remaining rows), the other 80 % compute [`eb_bound`] with that `c`.
/// Truncating non-negative terms only lowers their mean, so the bound stays
/// valid for any `c` fixed before looking at the 80 %.
pub(crate) fn hcope_lower_bound(x: &[f64], delta: f64, seed: u64) -> Option<HighConfidenceBound> {
    let n = x.len();
    if n < 20 {
        return None;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut stream(derive_seed_str(seed, "hcope"), 0));
    let n_sel = n / 5;
    let select: Vec<f64> = idx[..n_sel].iter().map(|&i| x[i]).collect();
    let bound: Vec<f64> = idx[n_sel..].iter().map(|&i| x[i]).collect();
    let qs = [0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0];
    let mut best: Option<(f64, f64)> = None;
    for c in stats::quantiles(&select, &qs) {
        if c <= 0.0 {
            continue;
        }
        let predicted = eb_bound(&select, c, delta, bound.len());
        if best.is_none_or(|(_, b)| predicted > b) {
            best = Some((c, predicted));
        }
    }
    let c = best.map_or(0.0, |(c, _)| c);
    let lower = if c > 0.0 { eb_bound(&bound, c, delta, bound.len()).max(0.0) } else { 0.0 };
    Some(HighConfidenceBound {
        lower_bound: lower,
        delta,
        threshold: c,
        n_select: n_sel,
        n_bound: bound.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(u: Vec<f64>) -> Terms {
        Terms { u: Some(u), ratio: None }
    }

    /// The blocked multinomial draw must behave like n uniform draws: replicate
    /// means centre on the sample mean with variance σ²/n (σ² the population
    /// variance of the rows). Tolerances are 4 Monte Carlo standard errors:
    /// sd(mean)/√B for the centre, √(2/(B−1)) relative for the variance.
    #[test]
    fn bootstrap_draws_match_the_multinomial_bootstrap_moments() {
        for (n, m_extra) in [(10_007usize, false), (3_001, true)] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 17) as f64).collect();
            let t = plain(x.clone());
            let second = plain(x.iter().map(|v| v * v).collect());
            let table =
                if m_extra { BootstrapTable::new(&[&t, &second]) } else { BootstrapTable::new(&[&t]) };
            let b = 2000;
            let reps: Vec<f64> = table.replicates(b, 3).iter().map(|r| r[0]).collect();
            let mean = stats::mean(&x);
            let pop_var = stats::variance(&x) * (n - 1) as f64 / n as f64;
            let want_var = pop_var / n as f64;
            let got_mean = stats::mean(&reps);
            let got_var = stats::variance(&reps);
            assert!(
                (got_mean - mean).abs() < 4.0 * (want_var / b as f64).sqrt(),
                "centre {got_mean} vs {mean}"
            );
            let rel = got_var / want_var - 1.0;
            assert!(rel.abs() < 4.0 * (2.0 / (b - 1) as f64).sqrt(), "variance ratio off by {rel}");
        }
    }

    #[test]
    fn eb_bound_below_mean_and_tightens_with_n() {
        let x: Vec<f64> = (0..2000).map(|i| (i % 10) as f64 / 10.0).collect();
        let m = stats::mean(&x);
        let b_small = eb_bound(&x[..200], 1.0, 0.05, 200);
        let b_large = eb_bound(&x, 1.0, 0.05, 2000);
        assert!(b_small < b_large && b_large < m);
    }

    #[test]
    fn eb_bound_matches_hand_formula() {
        // x = (0, 1) repeated: mean 0.5, unbiased s² = n/(4(n−1)).
        let x: Vec<f64> = (0..100).map(|i| (i % 2) as f64).collect();
        let l = (2.0f64 / 0.1).ln();
        let s2 = 100.0 / (4.0 * 99.0);
        let want = 0.5 - 7.0 * l / (3.0 * 99.0) - (2.0 * l * s2 / 100.0).sqrt();
        assert!((eb_bound(&x, 1.0, 0.1, 100) - want).abs() < 1e-12);
    }
}
