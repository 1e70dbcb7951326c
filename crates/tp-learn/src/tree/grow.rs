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
//!
//! Deep trees spend most of their time in small nodes whose rows are
//! scattered over the data: every level would take a cache miss per row for
//! its codes and another for its statistics. So a node of at most
//! [`LOCAL_MAX`] rows is copied out once (its rows' codes, row-major, and
//! statistics, plus its passengers' codes: a few hundred kilobytes) and its
//! whole subtree is grown from the copy. The tree is the same either way:
//! splits depend only on exact per-bin sums, and the depth-first order (so
//! the draws of the feature subsets) is unchanged.

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
    /// Features tried per node (`None` = all candidates).
    pub mtry: Option<usize>,
    /// The candidate features, ascending (`None` = every feature): a tree
    /// splits only on these, and `mtry` draws among them. Indices at or
    /// beyond the data's feature count are ignored; a list left empty
    /// means every feature.
    pub features: Option<Vec<usize>>,
    /// Build histograms of a node's features in parallel (rayon) when the
    /// node is large; for boosting, where trees are sequential. Default false.
    pub parallel_features: bool,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self {
            max_depth: 64,
            min_samples_leaf: 1,
            min_gain: 0.0,
            mtry: None,
            features: None,
            parallel_features: false,
        }
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

/// Largest node (rows) whose subtree is grown from a node-local copy of its
/// rows' codes and statistics (about 36 bytes a row at 20 features: well
/// inside a core's L2 cache).
const LOCAL_MAX: usize = 1 << 14;

/// Where a node's rows' bin codes and statistics are read from: the whole
/// binned data (rows are global row indices) or a node-local copy (rows are
/// positions in the copy).
trait Source<S> {
    /// Whether a small node may be copied out (the global data only).
    const GATHER: bool;
    /// Statistics of training row `r`.
    fn stats(&self, r: u32) -> S;
    /// Codes of every feature of row `r`.
    fn row(&self, r: u32) -> &[u8];
    /// Code of feature `f` of row `r`.
    fn code(&self, f: usize, r: u32) -> u8;
    /// The column-major binned data, when the source is the whole data set.
    fn columns(&self) -> Option<&BinnedMatrix>;
}

struct Global<'a, C> {
    data: &'a BinnedMatrix,
    crit: &'a C,
}

impl<C: SplitCriterion> Source<C::Stats> for Global<'_, C> {
    const GATHER: bool = true;
    #[inline]
    fn stats(&self, r: u32) -> C::Stats {
        self.crit.row_stats(r as usize)
    }
    #[inline]
    fn row(&self, r: u32) -> &[u8] {
        self.data.row(r as usize)
    }
    #[inline]
    fn code(&self, f: usize, r: u32) -> u8 {
        self.data.column(f)[r as usize]
    }
    fn columns(&self) -> Option<&BinnedMatrix> {
        Some(self.data)
    }
}

/// A node's rows copied out: row-major codes of its training rows and then
/// of its passengers, and the training rows' statistics.
struct Local<'a, S> {
    codes: &'a [u8],
    stats: &'a [S],
    p: usize,
}

impl<S: Copy> Source<S> for Local<'_, S> {
    const GATHER: bool = false;
    #[inline]
    fn stats(&self, r: u32) -> S {
        self.stats[r as usize]
    }
    #[inline]
    fn row(&self, r: u32) -> &[u8] {
        let at = r as usize * self.p;
        &self.codes[at..at + self.p]
    }
    #[inline]
    fn code(&self, f: usize, r: u32) -> u8 {
        self.codes[r as usize * self.p + f]
    }
    fn columns(&self) -> Option<&BinnedMatrix> {
        None
    }
}

/// Reused buffers of the node-local copy: codes and statistics, the global
/// ids of its rows and passengers, and their local positions as partitioned.
#[derive(Default)]
struct LocalBuf<S> {
    codes: Vec<u8>,
    stats: Vec<S>,
    ids: Vec<u32>,
    pids: Vec<u32>,
    rows: Vec<u32>,
    pass: Vec<u32>,
}

/// The tree as it grows, with each leaf's row and passenger ranges.
struct Out<L> {
    nodes: Vec<Node>,
    leaves: Vec<L>,
    leaf_ranges: Vec<(usize, usize)>,
    passenger_ranges: Vec<(usize, usize)>,
}

struct Grower<'a, C: SplitCriterion> {
    data: &'a BinnedMatrix,
    mapper: &'a BinMapper,
    crit: &'a C,
    params: &'a TreeParams,
    offsets: Vec<usize>,
    total_slots: usize,
    dense_min: usize,
    subtract: bool,
    local_max: usize,
    pool: Vec<Vec<Bin<C::Stats>>>,
    features: Vec<usize>,
    scratch: Vec<u32>,
    sp_stats: Vec<C::Stats>,
    sp_codes: Vec<u8>,
    sp_keys: Vec<u32>,
    sp_compact: Vec<(u8, Bin<C::Stats>)>,
    local: LocalBuf<C::Stats>,
    out: Out<C::Leaf>,
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
    rows: Vec<u32>,
    passengers: Vec<u32>,
    params: &TreeParams,
    rng: &mut TpRng,
) -> GrownTree<C::Leaf> {
    // boosting's shallow trees build large nodes' histograms in parallel
    // from the global columns instead
    let local_max = if params.parallel_features { 0 } else { LOCAL_MAX };
    grow_with(data, mapper, crit, (rows, passengers), params, rng, local_max)
}

/// [`grow_tree_routing`] with nodes of at most `local_max` rows grown from
/// a node-local copy (0: never). The tree does not depend on `local_max`.
fn grow_with<C: SplitCriterion>(
    data: &BinnedMatrix,
    mapper: &BinMapper,
    crit: &C,
    (mut rows, mut passengers): (Vec<u32>, Vec<u32>),
    params: &TreeParams,
    rng: &mut TpRng,
    local_max: usize,
) -> GrownTree<C::Leaf> {
    let p = data.n_features();
    let mut offsets = Vec::with_capacity(p + 1);
    let mut acc = 0;
    for f in 0..p {
        offsets.push(acc);
        acc += data.n_slots(f);
    }
    offsets.push(acc);
    // the candidate features (an empty or out-of-range list: every feature)
    let mut features: Vec<usize> = params.features.iter().flatten().copied().filter(|&j| j < p).collect();
    if features.is_empty() {
        features = (0..p).collect();
    }
    let mut g = Grower {
        data,
        mapper,
        crit,
        params,
        offsets,
        total_slots: acc,
        dense_min: (acc / p.max(1) / 4).max(32),
        subtract: 2 * params.mtry.unwrap_or(p).clamp(1, features.len().max(1)) >= p,
        local_max,
        pool: Vec::new(),
        features,
        scratch: Vec::new(),
        sp_stats: Vec::new(),
        sp_codes: Vec::new(),
        sp_keys: Vec::new(),
        sp_compact: Vec::new(),
        local: LocalBuf::default(),
        out: Out {
            nodes: vec![Node::leaf(0)],
            leaves: Vec::new(),
            leaf_ranges: Vec::new(),
            passenger_ranges: Vec::new(),
        },
    };
    let mut total = Bin::<C::Stats>::default();
    for &r in &rows {
        total += Bin { n: 1, s: crit.row_stats(r as usize) };
    }
    let root = Pending {
        node: 0,
        lo: 0,
        hi: rows.len(),
        plo: 0,
        phi: passengers.len(),
        depth: 0,
        hist: None,
        total,
    };
    g.grow(&Global { data, crit }, &mut rows, &mut passengers, (0, 0), root, rng);
    let out = g.out;
    GrownTree {
        tree: Tree { nodes: out.nodes, leaves: out.leaves },
        rows,
        leaf_ranges: out.leaf_ranges,
        passengers,
        passenger_ranges: out.passenger_ranges,
    }
}

/// Stable partition of `rows` by the split (bin ≤ `bin`, NaN by `nan_left`):
/// left rows first; returns their count. Branch-free: every row is written
/// to both sides and the cursors move by the test.
fn partition(
    rows: &mut [u32],
    scratch: &mut Vec<u32>,
    code: impl Fn(u32) -> u8,
    bin: u8,
    nan_code: u8,
    nan_left: bool,
) -> usize {
    scratch.clear();
    scratch.resize(rows.len(), 0);
    let (mut w, mut s) = (0, 0);
    for k in 0..rows.len() {
        let r = rows[k];
        let b = code(r);
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
    /// Grows the subtree of `root` (its row ranges index `rows` and `pass`;
    /// `base` is their offset in the tree's arrays) depth-first, the left
    /// child first. A splittable node of at most `local_max` rows drawn from
    /// the global data is copied out and its subtree grown from the copy:
    /// the same tree (splits depend only on exact per-bin sums, and the
    /// depth-first order is unchanged), but every level below it reads a few
    /// cache-resident kilobytes instead of rows scattered over the data.
    fn grow<S: Source<C::Stats>>(
        &mut self,
        src: &S,
        rows: &mut [u32],
        pass: &mut [u32],
        base: (usize, usize),
        root: Pending<C::Stats>,
        rng: &mut TpRng,
    ) {
        let params = self.params;
        let mut stack = vec![root];
        while let Some(mut pd) = stack.pop() {
            let n_rows = pd.hi - pd.lo;
            let splittable = pd.depth < params.max_depth && n_rows >= 2 * params.min_samples_leaf.max(1);
            if S::GATHER && splittable && n_rows <= self.local_max {
                let (lo, hi, plo, phi) = (pd.lo, pd.hi, pd.plo, pd.phi);
                self.grow_local(&mut rows[lo..hi], &mut pass[plo..phi], (base.0 + lo, base.1 + plo), pd, rng);
                continue;
            }
            let best = if splittable {
                self.sample_features(rng);
                if pd.hist.is_none() && n_rows >= self.dense_min {
                    pd.hist = Some(self.build_hist(src, &rows[pd.lo..pd.hi], !self.subtract));
                }
                match &pd.hist {
                    Some(h) => self.best_split_dense(h, &pd.total),
                    None => self.best_split_sparse(src, &rows[pd.lo..pd.hi], &pd.total),
                }
            } else {
                None
            };
            let Some(split) = best else {
                let out = &mut self.out;
                out.nodes[pd.node] = Node::leaf(out.leaves.len());
                out.leaves.push(self.crit.leaf_value(&pd.total.s));
                out.leaf_ranges.push((base.0 + pd.lo, base.0 + pd.hi));
                out.passenger_ranges.push((base.1 + pd.plo, base.1 + pd.phi));
                if let Some(h) = pd.hist.take() {
                    self.pool.push(h);
                }
                continue;
            };
            // stable partitions of rows[lo..hi] and pass[plo..phi]
            let mid = pd.lo + self.partition(src, &mut rows[pd.lo..pd.hi], &split);
            let pmid = pd.plo + self.partition(src, &mut pass[pd.plo..pd.phi], &split);
            let f = split.feature;
            debug_assert_eq!(mid - pd.lo, split.left.n as usize);
            let nodes = &mut self.out.nodes;
            let (left_id, right_id) = (nodes.len(), nodes.len() + 1);
            nodes.push(Node::leaf(0));
            nodes.push(Node::leaf(0));
            nodes[pd.node] = Node {
                threshold: self.mapper.threshold(f, split.bin as usize),
                left: left_id as u32,
                right: right_id as u32,
                feature: f as u32,
                bin: split.bin,
                nan_left: split.nan_left,
            };
            let depth = pd.depth + 1;
            let (mut lh, mut rh) = (None, None);
            if let Some(h) = pd.hist.take_if(|_| !self.subtract) {
                self.pool.push(h);
            }
            if let Some(mut parent) = pd.hist.take() {
                let dense_min = self.dense_min.max(2 * params.min_samples_leaf);
                let child_dense = |n: usize| depth < params.max_depth && n >= dense_min;
                let (nl, nr) = (mid - pd.lo, pd.hi - mid);
                if child_dense(nl.max(nr)) {
                    let small_left = nl <= nr;
                    let small_rows = if small_left { &rows[pd.lo..mid] } else { &rows[mid..pd.hi] };
                    let small = self.build_hist(src, small_rows, false);
                    for (a, b) in parent.iter_mut().zip(&small) {
                        *a = *a - *b;
                    }
                    let small = if child_dense(nl.min(nr)) {
                        Some(small)
                    } else {
                        self.pool.push(small);
                        None
                    };
                    if small_left {
                        (lh, rh) = (small, Some(parent));
                    } else {
                        (lh, rh) = (Some(parent), small);
                    }
                } else {
                    self.pool.push(parent);
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
    }

    /// Copies the codes and statistics of `rows` and the codes of `pass`
    /// (global ids) into the local buffer, grows `pd`'s subtree from the
    /// copy, and writes the partitioned ids back.
    fn grow_local(
        &mut self,
        rows: &mut [u32],
        pass: &mut [u32],
        base: (usize, usize),
        pd: Pending<C::Stats>,
        rng: &mut TpRng,
    ) {
        let mut buf = std::mem::take(&mut self.local);
        let p = self.data.n_features();
        buf.codes.clear();
        buf.stats.clear();
        for &r in rows.iter() {
            buf.codes.extend_from_slice(self.data.row(r as usize));
            buf.stats.push(self.crit.row_stats(r as usize));
        }
        for &r in pass.iter() {
            buf.codes.extend_from_slice(self.data.row(r as usize));
        }
        buf.ids.clear();
        buf.ids.extend_from_slice(rows);
        buf.pids.clear();
        buf.pids.extend_from_slice(pass);
        let n = rows.len() as u32;
        buf.rows.clear();
        buf.rows.extend(0..n);
        buf.pass.clear();
        buf.pass.extend(n..n + pass.len() as u32);
        let root = Pending { lo: 0, hi: rows.len(), plo: 0, phi: pass.len(), ..pd };
        let src = Local { codes: &buf.codes, stats: &buf.stats, p };
        self.grow(&src, &mut buf.rows, &mut buf.pass, base, root, rng);
        for (dst, &k) in rows.iter_mut().zip(&buf.rows) {
            *dst = buf.ids[k as usize];
        }
        for (dst, &k) in pass.iter_mut().zip(&buf.pass) {
            *dst = buf.pids[(k - n) as usize];
        }
        self.local = buf;
    }

    /// Stable partition of `rows` (ids in `src`) by `split`; returns the
    /// number of rows sent left.
    fn partition<S: Source<C::Stats>>(
        &mut self,
        src: &S,
        rows: &mut [u32],
        split: &Split<C::Stats>,
    ) -> usize {
        let (f, bin, nan_left) = (split.feature, split.bin, split.nan_left);
        let nan_code = self.data.nan_code(f);
        match src.columns() {
            Some(data) => {
                let col = data.column(f);
                partition(rows, &mut self.scratch, |r| col[r as usize], bin, nan_code, nan_left)
            }
            None => partition(rows, &mut self.scratch, |r| src.code(f, r), bin, nan_code, nan_left),
        }
    }

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
    fn build_hist<S: Source<C::Stats>>(
        &mut self,
        src: &S,
        rows: &[u32],
        sampled_only: bool,
    ) -> Vec<Bin<C::Stats>> {
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
        // Few rows scattered over the data (or a node-local copy): read each
        // row's codes from its one cache line (row-major) instead of taking a
        // cache miss per feature.
        let data = match src.columns() {
            Some(data) if parallel || rows.len() * 64 >= feats.len() * data.n_rows() => data,
            _ => {
                let slots: Vec<(usize, usize)> = feats.iter().map(|&f| (f, self.offsets[f])).collect();
                for &r in rows {
                    let codes = src.row(r);
                    let s = src.stats(r);
                    for &(f, o) in &slots {
                        let b = &mut hist[o + codes[f] as usize];
                        b.n += 1;
                        b.s += s;
                    }
                }
                return hist;
            }
        };
        let stats: Vec<C::Stats> = rows.iter().map(|&r| src.stats(r)).collect();
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
        let gain = self.crit.node_gain(&total.s);
        for &f in &self.features[..self.n_try()] {
            let h = &hist[self.offsets[f]..self.offsets[f + 1]];
            let (finite, nan) = h.split_at(h.len() - 1);
            let bins = finite.iter().enumerate().filter(|(_, b)| b.n > 0).map(|(i, b)| (i as u8, *b));
            self.scan(f, bins, nan[0], total, &gain, &mut best);
        }
        best
    }

    fn best_split_sparse<S: Source<C::Stats>>(
        &mut self,
        src: &S,
        rows: &[u32],
        total: &Bin<C::Stats>,
    ) -> Option<Split<C::Stats>> {
        let mut best: Option<Split<C::Stats>> = None;
        let (mut stats, mut codes, mut keys, mut compact) = (
            std::mem::take(&mut self.sp_stats),
            std::mem::take(&mut self.sp_codes),
            std::mem::take(&mut self.sp_keys),
            std::mem::take(&mut self.sp_compact),
        );
        // gather the sampled features' codes of every row (one cache line a row)
        let nt = self.n_try();
        let crit = self.crit;
        let gain = crit.node_gain(&total.s);
        stats.clear();
        codes.clear();
        for &r in rows {
            stats.push(src.stats(r));
            let c = src.row(r);
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
            self.scan(f, compact.iter().copied(), nan, total, &gain, &mut best);
        }
        (self.sp_stats, self.sp_codes, self.sp_keys, self.sp_compact) = (stats, codes, keys, compact);
        best
    }

    /// Scans the non-empty finite bins of feature `f` in increasing order,
    /// trying NaN on either side, scoring with `gain` (the node's
    /// [`SplitCriterion::node_gain`]), and updates `best`.
    fn scan(
        &self,
        f: usize,
        bins: impl Iterator<Item = (u8, Bin<C::Stats>)>,
        nan: Bin<C::Stats>,
        total: &Bin<C::Stats>,
        gain: &impl Fn(&C::Stats, &C::Stats) -> f64,
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
                let gain = gain(&l.s, &r.s);
                let threshold = best.as_ref().map_or(self.params.min_gain, |s| s.gain);
                if gain > threshold {
                    let nan_left = if nan.n > 0 { nan_left } else { l.n >= r.n };
                    *best = Some(Split { feature: f, bin: b, nan_left, gain, left: l, right: r });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::VarianceCriterion;
    use tp_core::faer::Mat;
    use tp_core::rng::stream;

    #[test]
    fn node_local_copies_grow_the_same_tree() {
        // duplicated rows (a bootstrap), NaN, passengers, mtry below and above p/2
        let n = 6000;
        let x = Mat::from_fn(n, 5, |i, j| {
            if (i * 7 + j) % 31 == 0 { f64::NAN } else { (((i * (3 + j * 17)) % 613) as f64).sin() }
        });
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)].max(0.0) * 3.0 + x[(i, 1)] - x[(i, 2)].abs()).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let mut rows: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 0).flat_map(|r| [r, r / 2]).collect();
        rows.sort_unstable();
        let passengers: Vec<u32> = (0..n as u32).filter(|r| r % 3 == 0).collect();
        for mtry in [Some(2), Some(4), None] {
            let params = TreeParams { min_samples_leaf: 2, mtry, ..TreeParams::default() };
            let grow = |local_max| {
                let input = (rows.clone(), passengers.clone());
                grow_with(&data, &mapper, &crit, input, &params, &mut stream(5, 1), local_max)
            };
            let global = grow(0);
            assert!(global.tree.n_leaves() > 200);
            for local_max in [100, 2000, LOCAL_MAX] {
                let local = grow(local_max);
                assert_eq!(local.tree, global.tree);
                assert_eq!(local.rows, global.rows);
                assert_eq!(local.leaf_ranges, global.leaf_ranges);
                assert_eq!(local.passengers, global.passengers);
                assert_eq!(local.passenger_ranges, global.passenger_ranges);
            }
        }
    }

    #[test]
    fn candidate_features_confine_the_splits() {
        // y depends on features 0 and 3; the mask {1, 3, 4} may use only 3 of them
        let n = 3000;
        let x = Mat::from_fn(n, 5, |i, j| (((i * (7 + j * 13)) % 997) as f64).cos());
        let y: Vec<f64> = (0..n).map(|i| 2.0 * x[(i, 0)] + x[(i, 3)]).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let rows: Vec<u32> = (0..n as u32).collect();
        let split_features = |t: &GrownTree<f64>| -> Vec<usize> {
            let mut f: Vec<usize> =
                t.tree.nodes.iter().filter(|nd| !nd.is_leaf()).map(|nd| nd.feature as usize).collect();
            f.sort_unstable();
            f.dedup();
            f
        };
        for (mtry, local_max) in [(None, 0), (Some(2), 0), (None, LOCAL_MAX), (Some(1), LOCAL_MAX)] {
            let grow = |features: Option<Vec<usize>>| {
                let params = TreeParams { min_samples_leaf: 5, mtry, features, ..TreeParams::default() };
                grow_with(
                    &data,
                    &mapper,
                    &crit,
                    (rows.clone(), vec![]),
                    &params,
                    &mut stream(9, 2),
                    local_max,
                )
            };
            let all = grow(None);
            assert_eq!(split_features(&all), vec![0, 1, 2, 3, 4], "unmasked trees use every feature");
            // every feature listed (or none usable) is the unmasked tree, bit for bit
            assert_eq!(grow(Some((0..5).collect())).tree, all.tree);
            assert_eq!(grow(Some(vec![])).tree, all.tree);
            assert_eq!(grow(Some(vec![7, 9])).tree, all.tree);
            let masked = grow(Some(vec![1, 3, 4, 11]));
            let used = split_features(&masked);
            assert!(used.contains(&3), "the informative candidate is used: {used:?}");
            assert!(used.iter().all(|f| [1, 3, 4].contains(f)), "splits outside the mask: {used:?}");
        }
    }
}
