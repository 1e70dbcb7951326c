//! Intervals: normal (influence terms), percentile bootstrap, and the
//! empirical-Bernstein high-confidence lower bound.

use crate::estimators::Terms;
use rand::RngCore;
use rand::seq::SliceRandom;
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
    /// `stream(seed, b)`; groups of replicates run in parallel and are
    /// collected in index order, so the result is the same at any thread count.
    pub fn replicates(&self, n_boot: usize, seed: u64) -> Vec<Vec<f64>> {
        let groups: Vec<usize> = (0..n_boot.div_ceil(GROUP)).collect();
        groups
            .into_par_iter()
            .flat_map_iter(|g| {
                let first = (g * GROUP) as u64;
                let last = ((g + 1) * GROUP).min(n_boot) as u64;
                self.replicate_group(seed, first..last)
            })
            .collect()
    }

    /// Replicates `reps` (a consecutive range): multinomial resampling counts,
    /// drawn block by block so every gather stays in L1. The number of draws
    /// landing in each block of rows follows the exact conditional binomial
    /// chain of a Multinomial(n, 1/n) (block `j` gets
    /// `Binomial(n_left, size_j / rows_left)`), then those draws pick rows
    /// uniformly within the block: the same distribution as drawing `n` row
    /// indices uniformly from all rows.
    ///
    /// Randomness: `stream(seed, b)` (ChaCha8) draws replicate `b`'s binomial
    /// counts and seeds a [`WyRand`] that makes its in-block picks — a full
    /// block has a power-of-two size, so an index is `bits` raw bits and one
    /// 64-bit output gives 5 or 6 exactly uniform indices; the last, partial
    /// block uses Lemire's bounded multiply-shift. ChaCha8 for a billion picks
    /// cost more than the gathers themselves (3.1 vs 0.9 CPU s at 1M rows ×
    /// 1000 replicates); everything still follows from `(seed, b)` alone.
    ///
    /// Loop order: blocks outside, the group's replicates inside, so a block
    /// is read from memory once per group rather than once per replicate
    /// (at 1M rows the table is 8 MB a column: streaming it per replicate made
    /// the bootstrap memory-bound). Each replicate still consumes its own
    /// random streams in block order, so the values do not depend on `GROUP`.
    fn replicate_group(&self, seed: u64, reps: std::ops::Range<u64>) -> Vec<Vec<f64>> {
        let n = self.n;
        let m = self.m;
        let block = block_rows(m);
        let bits = block.trailing_zeros();
        let n_blocks = n.div_ceil(block);
        let g = (reps.end - reps.start) as usize;
        let mut fast = Vec::with_capacity(g);
        let mut counts = vec![0usize; g * n_blocks];
        for (r, b) in reps.enumerate() {
            let mut rng = stream(seed, b);
            fast.push(WyRand(rng.next_u64()));
            let mut draws_left = n as u64;
            for (j, c) in counts[r * n_blocks..(r + 1) * n_blocks].iter_mut().enumerate() {
                let start = j * block;
                let len = block.min(n - start);
                let rows_left = (n - start) as f64;
                let k = if len == n - start || draws_left == 0 {
                    draws_left
                } else {
                    Binomial::new(draws_left, len as f64 / rows_left).map_or(0, |d| d.sample(&mut rng))
                };
                draws_left -= k;
                *c = k as usize;
            }
        }
        let mut sums = vec![0.0; g * m];
        for j in 0..n_blocks {
            let start = j * block;
            let len = block.min(n - start);
            let data = &self.data[start * m..(start + len) * m];
            for (r, (rng, sums)) in fast.iter_mut().zip(sums.chunks_exact_mut(m)).enumerate() {
                let k = counts[r * n_blocks + j];
                if k == 0 {
                    continue;
                }
                if len == block {
                    match m {
                        1 => gather::<1, 12, 5, 4096>(data, k, rng, sums),
                        2 => gather::<2, 11, 5, 2048>(data, k, rng, sums),
                        3 => gather::<3, 10, 6, 1024>(data, k, rng, sums),
                        4 => gather::<4, 10, 6, 1024>(data, k, rng, sums),
                        _ => gather_any(data, m, bits, k, rng, sums),
                    }
                } else {
                    for _ in 0..k {
                        let i = rng.below(len as u32) as usize;
                        for (s, v) in sums.iter_mut().zip(&data[i * m..(i + 1) * m]) {
                            *s += v;
                        }
                    }
                }
            }
        }
        sums.chunks_exact(m.max(1))
            .take(g)
            .map(|sums| {
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
            })
            .collect()
    }
}

/// Replicates per parallel task: each task streams the table once, and its
/// count table (`GROUP × blocks`) and sums stay small.
const GROUP: usize = 32;

/// Rows per bootstrap block for `m` columns: the largest power of two whose
/// `block × m` values fit in 32 KB (L1), at least 64.
fn block_rows(m: usize) -> usize {
    let cap = (4096 / m.max(1)).max(64);
    if cap.is_power_of_two() { cap } else { cap.next_power_of_two() / 2 }
}

/// Wang Yi's wyrand: a 64-bit counter passed through one 64×64→128 multiply
/// (passes BigCrush and PractRand). Only the bootstrap's in-block picks use
/// it, seeded per replicate from that replicate's ChaCha8 stream.
struct WyRand(u64);

impl WyRand {
    #[inline(always)]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// Uniform in `0..len` (`len ≥ 1`): Lemire's multiply-shift with the
    /// rejection step that makes it exact.
    fn below(&mut self, len: u32) -> u32 {
        let s = u64::from(len);
        let mut m = (self.next() >> 32) * s;
        if (m as u32) < len {
            let t = len.wrapping_neg() % len;
            while (m as u32) < t {
                m = (self.next() >> 32) * s;
            }
        }
        (m >> 32) as u32
    }
}

/// Adds `k` uniformly drawn rows of a full block (`ROWS = 2^BITS` rows × `M`
/// columns) to `sums`: `PER = ⌊64 / BITS⌋` indices per random word, one
/// accumulator per index position so the additions do not form one chain.
/// The block is a fixed-size array, so the masked index needs no bounds check.
#[inline(always)]
fn gather<const M: usize, const BITS: u32, const PER: usize, const ROWS: usize>(
    data: &[f64],
    k: usize,
    rng: &mut WyRand,
    sums: &mut [f64],
) {
    let (rows, _) = data.as_chunks::<M>();
    let rows: &[[f64; M]; ROWS] = rows.try_into().expect("a full block");
    let mask = (ROWS - 1) as u64;
    let mut acc = [[[0.0f64; M]; PER]; 2];
    let add = |a: &mut [f64; M], w: u64| {
        for (s, v) in a.iter_mut().zip(&rows[(w & mask) as usize]) {
            *s += v;
        }
    };
    for _ in 0..k / (2 * PER) {
        for half in acc.iter_mut() {
            let mut w = rng.next();
            for a in half.iter_mut() {
                add(a, w);
                w >>= BITS;
            }
        }
    }
    let mut rest = k % (2 * PER);
    for half in acc.iter_mut() {
        if rest == 0 {
            break;
        }
        let mut w = rng.next();
        for a in half.iter_mut().take(rest) {
            add(a, w);
            w >>= BITS;
        }
        rest -= rest.min(PER);
    }
    for a in acc.iter().flatten() {
        for (s, v) in sums.iter_mut().zip(a) {
            *s += v;
        }
    }
}

/// [`gather`] for any column count (`bits` = log2 of the block's rows).
fn gather_any(data: &[f64], m: usize, bits: u32, k: usize, rng: &mut WyRand, sums: &mut [f64]) {
    let per = (64 / bits) as usize;
    let mask = (1u64 << bits) - 1;
    let mut w = 0u64;
    for j in 0..k {
        if j % per == 0 {
            w = rng.next();
        }
        let i = (w & mask) as usize * m;
        for (s, v) in sums.iter_mut().zip(&data[i..i + m]) {
            *s += v;
        }
        w >>= bits;
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
        // 1, 2, 3 and 5 columns: every gather path, full and partial blocks
        for (n, extra) in [(10_007usize, 0usize), (3_001, 1), (5_000, 2), (4_099, 4)] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 7919) % 17) as f64).collect();
            let t = plain(x.clone());
            let more: Vec<Terms> =
                (0..extra).map(|j| plain(x.iter().map(|v| v * j as f64).collect())).collect();
            let refs: Vec<&Terms> = std::iter::once(&t).chain(&more).collect();
            let table = BootstrapTable::new(&refs);
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
            // every column of a drawn row is added together: the last statistic is j·(the first)
            let scale = extra.saturating_sub(1) as f64;
            for r in table.replicates(if extra > 0 { 20 } else { 0 }, 4) {
                assert!((r[extra] - scale * r[0]).abs() < 1e-9 * (1.0 + r[0].abs()), "{r:?}");
            }
        }
    }

    /// A replicate's value depends only on `(seed, b)`: computed alone, inside
    /// a group, or as part of a longer run, it is the same bit for bit (the
    /// block-outer loop must not mix the replicates' random streams).
    #[test]
    fn replicates_do_not_depend_on_grouping() {
        let x: Vec<f64> = (0..9_001).map(|i| ((i * 31) % 23) as f64 * 0.5).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let (t, r) = (plain(x.clone()), Terms { u: None, ratio: Some((x, y)) });
        let table = BootstrapTable::new(&[&t, &r]);
        let long = table.replicates(GROUP * 2 + 5, 11);
        let short = table.replicates(GROUP + 1, 11);
        assert_eq!(&long[..GROUP + 1], &short[..]);
        for b in [0u64, 7, GROUP as u64, GROUP as u64 * 2 + 4] {
            let alone = table.replicate_group(11, b..b + 1);
            assert_eq!(alone[0], long[b as usize], "replicate {b}");
        }
    }

    /// Lemire's bounded draw is uniform: a chi-square over `len` cells stays
    /// below its mean + 4 SD (`df + 4√(2 df)`).
    #[test]
    fn bounded_draws_are_uniform() {
        for len in [1u32, 3, 7, 1000] {
            let mut rng = WyRand(len.into());
            let draws = 200 * len as usize;
            let mut counts = vec![0usize; len as usize];
            for _ in 0..draws {
                counts[rng.below(len) as usize] += 1;
            }
            let expected = draws as f64 / len as f64;
            let chi2: f64 = counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
            let df = (len - 1) as f64;
            assert!(chi2 <= df + 4.0 * (2.0 * df).sqrt(), "len {len}: chi2 {chi2}");
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
