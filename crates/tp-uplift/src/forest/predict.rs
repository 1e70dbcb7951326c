//! Forest estimates for many rows: the forest-weighted moment τ̂(x) and its
//! little-bags variance (formulas in the module docs of `forest`).
//!
//! A row's estimate needs every tree's leaf for it twice: once for the
//! forest averages that give τ̂, and once more, with τ̂ known, for each
//! tree's projected score φ. Walking all trees for one row and then the
//! next would touch the whole forest (tens of megabytes at 2,000 trees)
//! for every row. Instead rows are taken in blocks of [`BLOCK`], and within
//! a block the trees are the outer loop: one tree (a few tens of kilobytes)
//! stays in cache while every row of the block walks it. Each row keeps
//! running sums, added in tree order, so the results are the same bit for
//! bit as the row-by-row computation (`estimate`, kept for the tests). The
//! second pass, group by group, reads the leaves the first pass found (one
//! u32 per voting tree and row of the block: about 4 MB per thread at 2,000
//! trees), so every tree is walked once per row.

use super::criterion::{MAX_TREATED, solve_in_place};
use super::store::FlatForest;
use rayon::prelude::*;
use std::ops::Range;
use tp_core::stats::{normal_cdf, normal_pdf};

/// Rows per block (per parallel task).
const BLOCK: usize = 1024;

/// τ̂ in `[..d]` and its standard error in `[MAX_TREATED..MAX_TREATED + d]` (NaN when undefined).
pub(crate) type Estimate = [f64; 2 * MAX_TREATED];

/// Reads a leaf payload: (a, b, ab, aaᵀ as a full d × d matrix).
#[inline]
fn unpack<'v>(v: &'v [f64], d: usize, aa: &mut [f64; 64]) -> (&'v [f64], f64, &'v [f64]) {
    let tri = &v[2 * d + 1..];
    let mut at = 0;
    for k in 0..d {
        for j in k..d {
            aa[k * d + j] = tri[at];
            aa[j * d + k] = tri[at];
            at += 1;
        }
    }
    (&v[..d], v[d], &v[d + 1..2 * d + 1])
}

/// Running sums of one row's votes (the trees' leaf means), in tree order.
#[derive(Debug, Clone, Copy)]
struct Sums {
    a: [f64; MAX_TREATED],
    b: f64,
    ab: [f64; MAX_TREATED],
    aa: [f64; 64],
    votes: usize,
}

impl Default for Sums {
    fn default() -> Self {
        Self { a: [0.0; MAX_TREATED], b: 0.0, ab: [0.0; MAX_TREATED], aa: [0.0; 64], votes: 0 }
    }
}

/// What the variance pass needs from the averages: τ̂, μ = B̄ − Āᵀτ̂, Ā, M⁻¹.
#[derive(Debug, Clone, Copy)]
struct Solved {
    tau: [f64; MAX_TREATED],
    mu: f64,
    a: [f64; MAX_TREATED],
    m_inv: [f64; 64],
}

impl Sums {
    #[inline]
    fn add(&mut self, v: &[f64], d: usize) {
        let mut leaf_aa = [0.0; 64];
        let (la, lb, lab) = unpack(v, d, &mut leaf_aa);
        for k in 0..d {
            self.a[k] += la[k];
            self.ab[k] += lab[k];
        }
        for (s, l) in self.aa[..d * d].iter_mut().zip(&leaf_aa[..d * d]) {
            *s += l;
        }
        self.b += lb;
        self.votes += 1;
    }

    /// Writes τ̂ into `out` and returns what the variance pass needs
    /// (`None`: no τ̂, or no variance with `g` < 2).
    fn solve(mut self, d: usize, g: usize, out: &mut Estimate) -> Option<Solved> {
        if self.votes == 0 {
            return None;
        }
        let kf = self.votes as f64;
        let (a, b, ab, aa) = (&mut self.a, &mut self.b, &mut self.ab, &mut self.aa);
        a[..d].iter_mut().chain(ab[..d].iter_mut()).chain(aa[..d * d].iter_mut()).for_each(|v| *v /= kf);
        *b /= kf;
        // M = AA − AAᵀ, τ̂ = M⁻¹(AB − A·B)
        let mut m = [0.0; 64];
        let mut tau = [0.0; MAX_TREATED];
        for k in 0..d {
            for j in 0..d {
                m[k * d + j] = aa[k * d + j] - a[k] * a[j];
            }
            tau[k] = ab[k] - a[k] * *b;
        }
        if (0..d).any(|k| m[k * d + k] <= 0.0) {
            return None;
        }
        let m_copy = m;
        solve_in_place(&mut m[..d * d], &mut tau[..d], d)?;
        out[..d].copy_from_slice(&tau[..d]);
        if g < 2 {
            return None;
        }
        // M⁻¹ as columns, to project each tree's ψ
        let mut m_inv = [0.0; 64];
        for c in 0..d {
            let mut mm = m_copy;
            let mut e = [0.0; MAX_TREATED];
            e[c] = 1.0;
            solve_in_place(&mut mm[..d * d], &mut e[..d], d)?;
            for r in 0..d {
                m_inv[r * d + c] = e[r];
            }
        }
        let mu = *b - (0..d).map(|k| a[k] * tau[k]).sum::<f64>();
        Some(Solved { tau, mu, a: *a, m_inv })
    }
}

/// Running little-bags sums of one row: Σφ² over trees and Σ(group mean φ)²
/// over the groups all of whose trees vote.
#[derive(Debug, Clone, Copy, Default)]
struct Spread {
    total: [f64; MAX_TREATED],
    between: [f64; MAX_TREATED],
    groups: usize,
}

impl Spread {
    /// Adds one complete group's votes.
    #[inline]
    #[allow(clippy::needless_range_loop)] // index notation of the formulas
    fn group<'v>(&mut self, votes: impl Iterator<Item = &'v [f64]>, s: &Solved, d: usize, g: usize) {
        self.groups += 1;
        let mut leaf_aa = [0.0; 64];
        let mut sum = [0.0; MAX_TREATED];
        for v in votes {
            let (la, lb, lab) = unpack(v, d, &mut leaf_aa);
            let at: f64 = (0..d).map(|k| la[k] * s.tau[k]).sum();
            let resid = lb - at - s.mu;
            let mut psi = [0.0; MAX_TREATED];
            for k in 0..d {
                let aat: f64 = (0..d).map(|j| leaf_aa[k * d + j] * s.tau[j]).sum();
                psi[k] = (lab[k] - aat - la[k] * s.mu) - s.a[k] * resid;
            }
            for k in 0..d {
                let phi: f64 = (0..d).map(|j| s.m_inv[k * d + j] * psi[j]).sum();
                self.total[k] += phi * phi;
                sum[k] += phi;
            }
        }
        for k in 0..d {
            let mean = sum[k] / g as f64;
            self.between[k] += mean * mean;
        }
    }

    /// Writes the standard errors into `out` (left NaN without a complete group).
    fn finish(&self, d: usize, g: usize, out: &mut Estimate) {
        if self.groups == 0 {
            return;
        }
        for k in 0..d {
            let between = self.between[k] / self.groups as f64;
            let total = self.total[k] / (self.groups * g) as f64;
            let noise = (total - between) / (g - 1) as f64;
            out[MAX_TREATED + k] = debias(between, noise, self.groups as f64).max(0.0).sqrt();
        }
    }
}

/// grf's objective-Bayes correction of V_between − noise: a uniform prior
/// on [0, ∞) for the true variance and a Gaussian error of the moment
/// estimate with scale max(V_between, noise)·√(2/G). The uplift forest's
/// little bags use it too.
pub(crate) fn debias(between: f64, noise: f64, groups: f64) -> f64 {
    let initial = between - noise;
    let se = between.max(noise) * (2.0 / groups).sqrt();
    if se <= 0.0 {
        return initial.max(0.0);
    }
    let r = initial / se;
    let cdf = normal_cdf(r);
    if cdf <= 0.0 {
        return 0.0;
    }
    initial + se * normal_pdf(r) / cdf
}

/// The forest-weighted moment estimate and the little-bags variance per
/// arm of one row from each tree's leaf moments (`None`: the tree does not
/// vote), trees in groups of `g`: the row-by-row reference for [`predict`].
#[cfg(test)]
pub(crate) fn estimate(votes: &[Option<&[f64]>], d: usize, g: usize) -> Estimate {
    let mut out = [f64::NAN; 2 * MAX_TREATED];
    let mut sums = Sums::default();
    for v in votes.iter().flatten() {
        sums.add(v, d);
    }
    let Some(solved) = sums.solve(d, g, &mut out) else {
        return out;
    };
    let mut spread = Spread::default();
    for grp in votes.chunks_exact(g) {
        if grp.iter().all(Option::is_some) {
            spread.group(grp.iter().flatten().copied(), &solved, d, g);
        }
    }
    spread.finish(d, g, &mut out);
    out
}

/// Estimates for rows 0..n, column-major n × d (τ̂, SE). `codes(rows, out)`
/// writes the row-major bin codes of a range of rows; `skip(t, i)` says
/// tree t does not vote for row i (it was in the tree's subsample). A
/// leaf without estimation rows (NaN moments) does not vote either.
pub(crate) fn predict(
    forest: &FlatForest,
    d: usize,
    g: usize,
    n: usize,
    codes: impl Fn(Range<usize>, &mut Vec<u8>) + Sync,
    skip: impl Fn(usize, usize) -> bool + Sync,
) -> (Vec<f64>, Vec<f64>) {
    let p = forest.n_features();
    let trees = forest.n_trees();
    let nan = forest.nan_codes();
    let mut out = vec![[f64::NAN; 2 * MAX_TREATED]; n];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(c, block)| {
        let (start, len) = (c * BLOCK, block.len());
        let mut buf = Vec::new();
        codes(start..start + len, &mut buf);
        // pass 1, tree by tree: the block rows that tree t votes for (in
        // increasing order), their leaves (kept for pass 2), the running sums
        let mut voters = Vec::with_capacity(len);
        let voters_of = |t: usize, voters: &mut Vec<u32>| {
            voters.clear();
            voters.extend((0..len as u32).filter(|&k| !skip(t, start + k as usize)));
        };
        let mut leaves = Vec::new();
        let mut tree_at = Vec::with_capacity(trees + 1);
        let mut walked = Vec::with_capacity(len);
        let mut sums = vec![Sums::default(); len];
        for t in 0..trees {
            voters_of(t, &mut voters);
            forest.leaves_of(t, &voters, &buf, p, &nan, &mut walked);
            tree_at.push(leaves.len());
            leaves.extend_from_slice(&walked);
            for (&k, &l) in voters.iter().zip(&walked) {
                let v = forest.payload(l as usize);
                if !v[0].is_nan() {
                    sums[k as usize].add(v, d);
                }
            }
        }
        tree_at.push(leaves.len());
        let solved: Vec<Option<Solved>> =
            sums.into_iter().zip(block.iter_mut()).map(|(s, o)| s.solve(d, g, o)).collect();
        let live: Vec<u32> = (0..len as u32).filter(|&k| solved[k as usize].is_some()).collect();
        if g < 2 || live.is_empty() {
            return;
        }
        // pass 2, the little bags: per group, each live row's leaf in each tree
        const NONE: u32 = u32::MAX;
        let mut spread = vec![Spread::default(); len];
        let mut slots = vec![NONE; g * len];
        for grp in 0..trees / g {
            for j in 0..g {
                let t = grp * g + j;
                let slot = &mut slots[j * len..(j + 1) * len];
                slot.fill(NONE);
                voters_of(t, &mut voters);
                for (&k, &l) in voters.iter().zip(&leaves[tree_at[t]..tree_at[t + 1]]) {
                    if !forest.payload(l as usize)[0].is_nan() {
                        slot[k as usize] = l;
                    }
                }
            }
            for &k in &live {
                let k = k as usize;
                if (0..g).all(|j| slots[j * len + k] != NONE) {
                    let votes = (0..g).map(|j| forest.payload(slots[j * len + k] as usize));
                    spread[k].group(votes, solved[k].as_ref().expect("live rows are solved"), d, g);
                }
            }
        }
        for (s, o) in spread.iter().zip(block.iter_mut()) {
            s.finish(d, g, o);
        }
    });
    let mut tau = vec![0.0; n * d];
    let mut se = vec![0.0; n * d];
    for (i, r) in out.iter().enumerate() {
        for k in 0..d {
            tau[k * n + i] = r[k];
            se[k * n + i] = r[MAX_TREATED + k];
        }
    }
    (tau, se)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forest::store::FlatTree;
    use tp_core::faer::Mat;
    use tp_core::rng::stream;
    use tp_learn::tree::{BinMapper, TreeParams, VarianceCriterion, grow_tree};

    #[test]
    fn debias_keeps_positive_and_is_identity_far_from_zero() {
        assert!((debias(10.0, 1.0, 1e6) - 9.0).abs() < 1e-9);
        assert!(debias(1.0, 2.0, 50.0) > 0.0);
    }

    #[test]
    fn blocked_prediction_is_the_row_by_row_estimate_bit_for_bit() {
        // 3 blocks (the last partial), 10 trees in groups of 2, skipped votes, empty leaves
        let (n, p, trees, g) = (2 * BLOCK + 77, 3, 10, 2);
        let x = Mat::from_fn(n, p, |i, j| {
            if (i + 2 * j) % 41 == 0 { f64::NAN } else { (((i * (5 + 7 * j)) % 89) as f64).sin() }
        });
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)].abs() + x[(i, 1)]).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let params =
            TreeParams { max_depth: 7, min_samples_leaf: 20, mtry: Some(2), ..TreeParams::default() };
        let flats: Vec<FlatTree> = (0..trees)
            .map(|t: usize| {
                let rows: Vec<u32> =
                    (0..n as u32).filter(|r| !(r * 7 + t as u32).is_multiple_of(3)).collect();
                let tree = grow_tree(&data, &mapper, &crit, rows, &params, &mut stream(t as u64, 1)).tree;
                let mut flat = FlatTree::from_tree(&tree);
                for l in 0..tree.n_leaves() {
                    if (l + t) % 9 == 4 {
                        flat.leaves.extend([f64::NAN; 4]);
                    } else {
                        let u = ((l * 31 + t * 17) % 23) as f64 / 23.0;
                        // a, b, ab, aa with aa > a² so every row is solvable
                        flat.leaves.extend([u - 0.5, 2.0 * u, u * u, 0.3 + u * u]);
                    }
                }
                flat
            })
            .collect();
        let forest = FlatForest::new(&mapper, 4, flats);
        let skip = |t: usize, i: usize| (i * 13 + t / g * 5).is_multiple_of(4);
        let codes = |rows: Range<usize>, out: &mut Vec<u8>| {
            out.clear();
            rows.for_each(|i| out.extend_from_slice(data.row(i)));
        };
        let (tau, se) = predict(&forest, 1, g, n, codes, skip);
        // groups of one skip the variance pass and leave τ̂ as it is
        let (tau_only, se_none) = predict(&forest, 1, 1, n, codes, skip);
        assert!(tau_only.iter().zip(&tau).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert!(se_none.iter().all(|s| s.is_nan()));
        let nan = forest.nan_codes();
        let mut with_se = 0;
        for i in 0..n {
            let votes: Vec<Option<&[f64]>> = (0..trees)
                .map(|t| {
                    let mut l = Vec::new();
                    forest.leaves_of(t, &[0], data.row(i), p, &nan, &mut l);
                    let v = forest.payload(l[0] as usize);
                    (!skip(t, i) && !v[0].is_nan()).then_some(v)
                })
                .collect();
            let want = estimate(&votes, 1, g);
            assert_eq!(tau[i].to_bits(), want[0].to_bits(), "row {i}");
            assert_eq!(se[i].to_bits(), want[MAX_TREATED].to_bits(), "row {i}");
            with_se += usize::from(se[i].is_finite());
        }
        assert!(with_se > n / 2, "{with_se} rows with a standard error");
    }

    #[test]
    fn estimate_solves_the_moment_equation() {
        // leaves (a, b, ab, aa); two trees, one group
        let l1 = [0.1, 0.5, 0.4, 0.3];
        let l2 = [-0.1, 0.2, 0.2, 0.2];
        let out = estimate(&[Some(&l1), Some(&l2)], 1, 2);
        let (a, b, ab, aa) = (0.0, 0.35, 0.3, 0.25);
        assert!((out[0] - (ab - a * b) / (aa - a * a)).abs() < 1e-12);
        assert!(out[MAX_TREATED].is_finite() && out[MAX_TREATED] >= 0.0);
        let one = estimate(&[Some(&l1), None], 1, 2);
        assert!((one[0] - (0.4 - 0.05) / (0.3 - 0.01)).abs() < 1e-12);
        assert!(one[MAX_TREATED].is_nan());
    }

    #[test]
    fn two_arm_estimate_solves_the_vector_moment_equation() {
        // one leaf with a = (0.1, −0.2), b = 0.3, ab = (0.2, 0.1), aa = [[0.4, 0.05], [0.05, 0.3]]
        let l = [0.1, -0.2, 0.3, 0.2, 0.1, 0.4, 0.05, 0.3];
        assert_eq!(l.len(), super::super::model::leaf_width(2));
        let out = estimate(&[Some(&l)], 2, 1);
        let m = [0.4 - 0.01, 0.05 + 0.02, 0.05 + 0.02, 0.3 - 0.04];
        let r = [0.2 - 0.03, 0.1 + 0.06];
        let det = m[0] * m[3] - m[1] * m[2];
        let want = [(m[3] * r[0] - m[1] * r[1]) / det, (m[0] * r[1] - m[2] * r[0]) / det];
        assert!((out[0] - want[0]).abs() < 1e-12 && (out[1] - want[1]).abs() < 1e-12, "{out:?}");
    }
}
