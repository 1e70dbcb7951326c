//! Growing one tree over binned data with any [`SplitCriterion`].
//!
//! Nodes are expanded from a stack (the tree is the same as level-by-level
//! growth, because every node's split depends only on its own rows, and
//! there is no global leaf budget); the stack holds at most one pending
//! histogram per level, so memory is bounded by `depth × bins × features`.
//! A node with at least `dense_min` rows keeps a histogram of per-bin
//! statistics for every feature: the smaller child's is built from its rows
//! and the larger child's is the parent's minus it (the subtraction trick).
//! When fewer than half of the features are tried per node (forests with a
//! small mtry), building just those features' histograms from the node's
//! rows is cheaper than subtraction (which needs all of them), so the engine
//! does that instead. Small nodes skip histograms and sort their few rows
//! per feature.
//! Rows are kept in one index array partitioned in place (stably), so each
//! leaf owns a contiguous range of it.

use super::binning::{BinMapper, BinnedMatrix};
use super::criterion::SplitCriterion;
use super::model::{Node, Tree};
use rand::Rng;
use rayon::prelude::*;
use std::ops::{AddAssign, Sub};
use tp_core::rng::TpRng;

/// Growth limits and sampling of one tree.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeParams {
    /// Maximum depth (root = depth 0). Default 64.
    pub max_depth: usize,
    /// Minimum rows (counting bootstrap duplicates) in each child. Default 1.
    pub min_samples_leaf: usize,
    /// A split is made only if its gain exceeds this (≥ 0). Default 0.
    pub min_gain: f64,
    /// Features tried per node (`None` = all).
    pub mtry: Option<usize>,
    /// Build histograms of a node's features in parallel (rayon) when the
    /// node is large; for boosting, where trees are sequential. Default false.
    pub parallel_features: bool,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self { max_depth: 64, min_samples_leaf: 1, min_gain: 0.0, mtry: None, parallel_features: false }
    }
}

/// A grown tree with the partition of its training rows over leaves:
/// leaf `k` holds `rows[leaf_ranges[k].0 .. leaf_ranges[k].1]`, and likewise
/// for the passenger rows of [`grow_tree_routing`].
#[derive(Debug, Clone)]
pub struct GrownTree<L> {
    /// The tree.
    pub tree: Tree<L>,
    /// The training rows, permuted so each leaf's rows are contiguous.
    pub rows: Vec<u32>,
    /// Row range of each leaf in `rows`.
    pub leaf_ranges: Vec<(usize, usize)>,
    /// The passenger rows (routed, not used for splits), permuted so each
    /// leaf's passengers are contiguous (empty for [`grow_tree`]).
    pub passengers: Vec<u32>,
    /// Passenger range of each leaf in `passengers`.
    pub passenger_ranges: Vec<(usize, usize)>,
}

/// Per-bin entry of a histogram: row count and summed statistics.
#[derive(Debug, Clone, Copy, Default)]
struct Bin<S> {
    n: u32,
    s: S,
}

impl<S: AddAssign> AddAssign for Bin<S> {
    fn add_assign(&mut self, o: Self) {
        self.n += o.n;
        self.s += o.s;
    }
}

impl<S: Sub<Output = S>> Sub for Bin<S> {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self { n: self.n - o.n, s: self.s - o.s }
    }
}

struct Split<S> {
    feature: usize,
    bin: u8,
    nan_left: bool,
    gain: f64,
    left: Bin<S>,
    right: Bin<S>,
}

struct Pending<S> {
    node: usize,
    lo: usize,
    hi: usize,
    plo: usize,
    phi: usize,
    depth: usize,
    hist: Option<Vec<Bin<S>>>,
    total: Bin<S>,
}

/// Rows × features below which histogram building stays sequential.
const PAR_MIN_WORK: usize = 1 << 16;

struct Grower<'a, C: SplitCriterion> {
    data: &'a BinnedMatrix,
    crit: &'a C,
    params: &'a TreeParams,
    offsets: Vec<usize>,
    total_slots: usize,
    dense_min: usize,
    subtract: bool,
    pool: Vec<Vec<Bin<C::Stats>>>,
    features: Vec<usize>,
    sp_stats: Vec<C::Stats>,
    sp_codes: Vec<u8>,
    sp_keys: Vec<u32>,
    sp_compact: Vec<(u8, Bin<C::Stats>)>,
}

/// Grows a tree on `rows` (indices into `data`; duplicates allowed, e.g. a
/// bootstrap sample) of `data` binned by `mapper`. `rng` draws the mtry
/// feature subsets.
pub fn grow_tree<C: SplitCriterion>(
    data: &BinnedMatrix,
    mapper: &BinMapper,
    crit: &C,
    rows: Vec<u32>,
    params: &TreeParams,
    rng: &mut TpRng,
) -> GrownTree<C::Leaf> {
    grow_tree_routing(data, mapper, crit, rows, Vec::new(), params, rng)
}

/// [`grow_tree`], also routing `passengers` (rows of `data` that do not
/// influence the tree, e.g. out-of-bag or honest estimation rows) to their
/// leaves as the tree grows: partitioning them alongside the training rows
/// is a sequential pass per level, much cheaper than sending each one down
/// the finished tree.
pub fn grow_tree_routing<C: SplitCriterion>(
    data: &BinnedMatrix,
    mapper: &BinMapper,
    crit: &C,
    mut rows: Vec<u32>,
    mut passengers: Vec<u32>,
    params: &TreeParams,
    rng: &mut TpRng,
) -> GrownTree<C::Leaf> {
    let p = data.n_features();
    let mut offsets = Vec::with_capacity(p + 1);
    let mut acc = 0;
    for f in 0..p {
        offsets.push(acc);
        acc += data.n_slots(f);
    }
    offsets.push(acc);
    let mut g = Grower {
        data,
        crit,
        params,
        offsets,
        total_slots: acc,
        dense_min: (acc / p.max(1) / 4).max(32),
        subtract: 2 * params.mtry.unwrap_or(p).clamp(1, p.max(1)) >= p,
        pool: Vec::new(),
        features: (0..p).collect(),
        sp_stats: Vec::new(),
        sp_codes: Vec::new(),
        sp_keys: Vec::new(),
        sp_compact: Vec::new(),
    };
    let mut total = Bin::<C::Stats>::default();
    for &r in &rows {
        total += Bin { n: 1, s: crit.row_stats(r as usize) };
    }
    let mut nodes = vec![Node::leaf(0)];
    let mut leaves = Vec::new();
    let mut leaf_ranges = Vec::new();
    let mut passenger_ranges = Vec::new();
    let mut scratch: Vec<u32> = Vec::new();
    let mut stack = vec![Pending {
        node: 0,
        lo: 0,
        hi: rows.len(),
        plo: 0,
        phi: passengers.len(),
        depth: 0,
        hist: None,
        total,
    }];
    while let Some(mut pd) = stack.pop() {
        let n_rows = pd.hi - pd.lo;
        let splittable = pd.depth < params.max_depth && n_rows >= 2 * params.min_samples_leaf.max(1);
        let best = if splittable {
            g.sample_features(rng);
            if pd.hist.is_none() && n_rows >= g.dense_min {
                pd.hist = Some(g.build_hist(&rows[pd.lo..pd.hi], !g.subtract));
            }
            match &pd.hist {
                Some(h) => g.best_split_dense(h, &pd.total),
                None => g.best_split_sparse(&rows[pd.lo..pd.hi], &pd.total),
            }
        } else {
            None
        };
        let Some(split) = best else {
            nodes[pd.node] = Node::leaf(leaves.len());
            leaves.push(crit.leaf_value(&pd.total.s));
            leaf_ranges.push((pd.lo, pd.hi));
            passenger_ranges.push((pd.plo, pd.phi));
            if let Some(h) = pd.hist.take() {
                g.pool.push(h);
            }
            continue;
        };
        // stable partitions of rows[lo..hi] and passengers[plo..phi]
        let col = data.column(split.feature);
        let nan_code = data.nan_code(split.feature);
        let mid = partition(&mut rows[pd.lo..pd.hi], &mut scratch, col, split.bin, nan_code, split.nan_left);
        let mid = pd.lo + mid;
        let pmid = pd.plo
            + partition(
                &mut passengers[pd.plo..pd.phi],
                &mut scratch,
                col,
                split.bin,
                nan_code,
                split.nan_left,
            );
        let f = split.feature;
        debug_assert_eq!(mid - pd.lo, split.left.n as usize);
        let (left_id, right_id) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::leaf(0));
        nodes.push(Node::leaf(0));
        nodes[pd.node] = Node {
            threshold: mapper.threshold(f, split.bin as usize),
            left: left_id as u32,
            right: right_id as u32,
            feature: f as u32,
            bin: split.bin,
            nan_left: split.nan_left,
        };
        let depth = pd.depth + 1;
        let (mut lh, mut rh) = (None, None);
        if let Some(h) = pd.hist.take_if(|_| !g.subtract) {
            g.pool.push(h);
        }
        if let Some(mut parent) = pd.hist.take() {
            let dense_min = g.dense_min.max(2 * params.min_samples_leaf);
            let child_dense = |n: usize| depth < params.max_depth && n >= dense_min;
            let (nl, nr) = (mid - pd.lo, pd.hi - mid);
            if child_dense(nl.max(nr)) {
                let small_left = nl <= nr;
                let small_rows = if small_left { &rows[pd.lo..mid] } else { &rows[mid..pd.hi] };
                let small = g.build_hist(small_rows, false);
                for (a, b) in parent.iter_mut().zip(&small) {
                    *a = *a - *b;
                }
                let small_keep = child_dense(nl.min(nr));
                let small = if small_keep {
                    Some(small)
                } else {
                    g.pool.push(small);
                    None
                };
                if small_left {
                    (lh, rh) = (small, Some(parent));
                } else {
                    (lh, rh) = (Some(parent), small);
                }
            } else {
                g.pool.push(parent);
            }
        }
        stack.push(Pending {
            node: right_id,
            lo: mid,
            hi: pd.hi,
            plo: pmid,
            phi: pd.phi,
            depth,
            hist: rh,
            total: split.right,
        });
        stack.push(Pending {
            node: left_id,
            lo: pd.lo,
            hi: mid,
            plo: pd.plo,
            phi: pmid,
            depth,
            hist: lh,
            total: split.left,
        });
    }
    GrownTree { tree: Tree { nodes, leaves }, rows, leaf_ranges, passengers, passenger_ranges }
}

/// Stable partition of `rows` by the split (bin ≤ `bin`, NaN by `nan_left`):
/// left rows first; returns their count. Branch-free: every row is written
/// to both sides and the cursors move by the test.
fn partition(
    rows: &mut [u32],
    scratch: &mut Vec<u32>,
    col: &[u8],
    bin: u8,
    nan_code: u8,
    nan_left: bool,
) -> usize {
    scratch.clear();
    scratch.resize(rows.len(), 0);
    let (mut w, mut s) = (0, 0);
    for k in 0..rows.len() {
        let r = rows[k];
        let b = col[r as usize];
        let left = (b <= bin && b != nan_code) | (b == nan_code && nan_left);
        rows[w] = r;
        scratch[s] = r;
        w += usize::from(left);
        s += usize::from(!left);
    }
    rows[w..].copy_from_slice(&scratch[..s]);
    w
}

impl<C: SplitCriterion> Grower<'_, C> {
    /// Puts this node's candidate features, sorted, in `features[..mtry]`.
    fn sample_features(&mut self, rng: &mut TpRng) {
        let p = self.features.len();
        let m = self.params.mtry.unwrap_or(p).clamp(1, p);
        if m < p {
            self.features.sort_unstable();
            for i in 0..m {
                let j = rng.random_range(i..p);
                self.features.swap(i, j);
            }
            self.features[..m].sort_unstable();
        }
    }

    fn n_try(&self) -> usize {
        let p = self.features.len();
        self.params.mtry.unwrap_or(p).clamp(1, p)
    }

    /// Histogram of `rows` over every feature, or over the node's sampled
    /// features only (the other slices are then stale and never read).
    fn build_hist(&mut self, rows: &[u32], sampled_only: bool) -> Vec<Bin<C::Stats>> {
        let mut hist = self.pool.pop().unwrap_or_default();
        let feats: Vec<usize> = if sampled_only {
            self.features[..self.n_try()].to_vec()
        } else {
            (0..self.offsets.len() - 1).collect()
        };
        if sampled_only {
            hist.resize(self.total_slots, Bin::default());
            for &f in &feats {
                hist[self.offsets[f]..self.offsets[f + 1]].fill(Bin::default());
            }
        } else {
            hist.clear();
            hist.resize(self.total_slots, Bin::default());
        }
        let parallel = self.params.parallel_features && rows.len() * feats.len() >= PAR_MIN_WORK;
        // Few rows scattered over the data: read each row's codes from its one
        // cache line (row-major) instead of taking a cache miss per feature.
        if !parallel && rows.len() * 64 < feats.len() * self.data.n_rows() {
            let slots: Vec<(usize, usize)> = feats.iter().map(|&f| (f, self.offsets[f])).collect();
            for &r in rows {
                let codes = self.data.row(r as usize);
                let s = self.crit.row_stats(r as usize);
                for &(f, o) in &slots {
                    let b = &mut hist[o + codes[f] as usize];
                    b.n += 1;
                    b.s += s;
                }
            }
            return hist;
        }
        let stats: Vec<C::Stats> = rows.iter().map(|&r| self.crit.row_stats(r as usize)).collect();
        let mut slices: Vec<(usize, &mut [Bin<C::Stats>])> = Vec::with_capacity(feats.len());
        let mut rest = hist.as_mut_slice();
        let mut at = 0;
        for &f in &feats {
            let (_, tail) = rest.split_at_mut(self.offsets[f] - at);
            let (a, b) = tail.split_at_mut(self.offsets[f + 1] - self.offsets[f]);
            slices.push((f, a));
            rest = b;
            at = self.offsets[f + 1];
        }
        let data = self.data;
        let fill = |f: usize, h: &mut [Bin<C::Stats>]| {
            let col = data.column(f);
            for (k, &r) in rows.iter().enumerate() {
                let b = &mut h[col[r as usize] as usize];
                b.n += 1;
                b.s += stats[k];
            }
        };
        if parallel {
            slices.into_par_iter().for_each(|(f, h)| fill(f, h));
        } else {
            for (f, h) in slices {
                fill(f, h);
            }
        }
        hist
    }

    fn best_split_dense(&self, hist: &[Bin<C::Stats>], total: &Bin<C::Stats>) -> Option<Split<C::Stats>> {
        let mut best: Option<Split<C::Stats>> = None;
        for &f in &self.features[..self.n_try()] {
            let h = &hist[self.offsets[f]..self.offsets[f + 1]];
            let (finite, nan) = h.split_at(h.len() - 1);
            let bins = finite.iter().enumerate().filter(|(_, b)| b.n > 0).map(|(i, b)| (i as u8, *b));
            self.scan(f, bins, nan[0], total, &mut best);
        }
        best
    }

    fn best_split_sparse(&mut self, rows: &[u32], total: &Bin<C::Stats>) -> Option<Split<C::Stats>> {
        let mut best: Option<Split<C::Stats>> = None;
        let (mut stats, mut codes, mut keys, mut compact) = (
            std::mem::take(&mut self.sp_stats),
            std::mem::take(&mut self.sp_codes),
            std::mem::take(&mut self.sp_keys),
            std::mem::take(&mut self.sp_compact),
        );
        // gather the sampled features' codes of every row (one cache line a row)
        let nt = self.n_try();
        stats.clear();
        codes.clear();
        for &r in rows {
            stats.push(self.crit.row_stats(r as usize));
            let c = self.data.row(r as usize);
            codes.extend(self.features[..nt].iter().map(|&f| c[f]));
        }
        debug_assert!(rows.len() < 1 << 16, "the sparse path sorts 16-bit row positions");
        for (j, &f) in self.features[..nt].iter().enumerate() {
            let nan_code = self.data.nan_code(f);
            // sort (bin, position) packed into one u32
            keys.clear();
            keys.extend(
                codes.iter().skip(j).step_by(nt).enumerate().map(|(k, &b)| u32::from(b) << 16 | k as u32),
            );
            keys.sort_unstable();
            compact.clear();
            let mut nan = Bin::default();
            for &key in &keys {
                let (b, k) = ((key >> 16) as u8, key & 0xffff);
                let e = Bin { n: 1, s: stats[k as usize] };
                if b == nan_code {
                    nan += e;
                } else {
                    match compact.last_mut() {
                        Some((lb, acc)) if *lb == b => *acc += e,
                        _ => compact.push((b, e)),
                    }
                }
            }
            self.scan(f, compact.iter().copied(), nan, total, &mut best);
        }
        (self.sp_stats, self.sp_codes, self.sp_keys, self.sp_compact) = (stats, codes, keys, compact);
        best
    }

    /// Scans the non-empty finite bins of feature `f` in increasing order,
    /// trying NaN on either side, and updates `best`.
    fn scan(
        &self,
        f: usize,
        bins: impl Iterator<Item = (u8, Bin<C::Stats>)>,
        nan: Bin<C::Stats>,
        total: &Bin<C::Stats>,
        best: &mut Option<Split<C::Stats>>,
    ) {
        let min_leaf = self.params.min_samples_leaf.max(1) as u32;
        let mut left = Bin::<C::Stats>::default();
        for (b, e) in bins {
            left += e;
            if total.n - left.n < min_leaf {
                break;
            }
            let sides: &[bool] = if nan.n > 0 { &[false, true] } else { &[false] };
            for &nan_left in sides {
                let mut l = left;
                if nan_left {
                    l += nan;
                }
                let r = *total - l;
                if l.n < min_leaf || r.n < min_leaf {
                    continue;
                }
                let gain = self.crit.gain(&l.s, &r.s, &total.s);
                let threshold = best.as_ref().map_or(self.params.min_gain, |s| s.gain);
                if gain > threshold {
                    let nan_left = if nan.n > 0 { nan_left } else { l.n >= r.n };
                    *best = Some(Split { feature: f, bin: b, nan_left, gain, left: l, right: r });
                }
            }
        }
    }
}
