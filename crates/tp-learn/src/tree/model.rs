//! A fitted tree: split nodes over binned features, leaves holding values.

use super::binning::BinnedMatrix;
use super::criterion::SplitCriterion;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tp_core::faer::MatRef;

/// Marks a leaf in [`Node::feature`].
const LEAF: u32 = u32::MAX;

/// One node of a [`Tree`]. A split sends row x left when
/// `x[feature] <= threshold` (equivalently, bin ≤ `bin`), or when
/// `x[feature]` is NaN and `nan_left`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Upper edge of the left side (raw value scale).
    pub threshold: f64,
    /// Left child, or the leaf index for a leaf.
    pub left: u32,
    /// Right child (unused for a leaf).
    pub right: u32,
    /// Feature index, or `u32::MAX` for a leaf.
    pub feature: u32,
    /// Last bin code on the left side.
    pub bin: u8,
    /// Where NaN goes.
    pub nan_left: bool,
}

impl Node {
    /// Whether this node is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }

    pub(crate) fn leaf(index: usize) -> Self {
        Self { threshold: 0.0, left: index as u32, right: 0, feature: LEAF, bin: 0, nan_left: false }
    }
}

/// A binary tree over binned features; leaf `k` stores `leaves[k]`.
/// Node 0 is the root.
///
/// # On-disk form
///
/// Serde writes a tree as flat per-node vectors plus the leaf values:
///
/// ```text
/// { "feature":   [i64],        split feature, -1 for a leaf
///   "bin":       [u8],         last bin code on the left side (0 for a leaf)
///   "threshold": [f64 | null], left edge on the raw scale; null = +inf (or a leaf)
///   "nan_left":  [bool],       where NaN goes (false for a leaf)
///   "left":      [u32],        left child, or the leaf index for a leaf
///   "right":     [u32],        right child (0 for a leaf)
///   "leaves":    [L] }
/// ```
///
/// These names are stable. Deserialization checks that the vectors have
/// equal lengths, that children come after their parent (so routing always
/// ends) and that leaf indices exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree<L> {
    pub(crate) nodes: Vec<Node>,
    pub(crate) leaves: Vec<L>,
}

/// A [`Tree`]'s routing in 8 bytes a node, for predicting many rows: a
/// split node holds its left child (the right one is the next node), its
/// feature (16 bits), last left bin and NaN direction; a leaf its leaf
/// index and a flag. A million-node tree takes 8 MB instead of 24.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedTree {
    nodes: Vec<u64>,
}

impl PackedTree {
    const LEAF: u64 = 1 << 63;

    /// [`Tree::leaf_index_codes`] on the packed nodes (the same leaf).
    #[inline]
    pub fn leaf_index(&self, codes: &[u8], nan_code: &[u8]) -> usize {
        let mut k = 0;
        loop {
            let w = self.nodes[k];
            if w & Self::LEAF != 0 {
                return w as u32 as usize;
            }
            let f = (w >> 32) as u16 as usize;
            let (bin, nan_left) = ((w >> 48) as u8, (w >> 56) & 1 != 0);
            let b = codes[f];
            let left = (b <= bin) | (b == nan_code[f] && nan_left);
            k = w as u32 as usize + usize::from(!left);
        }
    }

    /// Steps from the root to the deepest leaf (0 for a tree that is one leaf).
    pub fn depth(&self) -> usize {
        // children come after their parent: one forward pass
        let mut depth = vec![0usize; self.nodes.len()];
        let mut max = 0;
        for (k, &w) in self.nodes.iter().enumerate() {
            if w & Self::LEAF == 0 {
                let (left, dk) = (w as u32 as usize, depth[k] + 1);
                for child in [left, left + 1] {
                    if let Some(d) = depth.get_mut(child) {
                        *d = dk;
                        max = max.max(dk);
                    }
                }
            }
        }
        max
    }

    /// [`leaf_index`](Self::leaf_index) of `N` rows at once (`codes` holds them one after
    /// another, `N × p` codes), walking `depth` ([`depth`](Self::depth)) steps for every row
    /// without branching: a row that reached its leaf stays there. The `N` walks are
    /// independent, so the processor overlaps their memory loads; the leaves are the same.
    #[inline]
    pub fn leaf_indices<const N: usize>(&self, codes: &[u8], nan_code: &[u8], depth: usize) -> [usize; N] {
        let p = codes.len() / N;
        let mut k = [0usize; N];
        for _ in 0..depth {
            for (j, kj) in k.iter_mut().enumerate() {
                let w = self.nodes[*kj];
                let f = (w >> 32) as u16 as usize;
                let (bin, nan_left) = ((w >> 48) as u8, (w >> 56) & 1 != 0);
                // a leaf's word has feature 0 here: a valid index whose result is not used
                let b = codes[j * p + f];
                let left = (b <= bin) | (b == nan_code[f] && nan_left);
                let next = w as u32 as usize + usize::from(!left);
                *kj = if w & Self::LEAF != 0 { *kj } else { next };
            }
        }
        k.map(|kj| self.nodes[kj] as u32 as usize)
    }
}

impl<L: Clone + Send + Sync> Tree<L> {
    /// The nodes (node 0 is the root).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The leaf values.
    pub fn leaves(&self) -> &[L] {
        &self.leaves
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.leaves.len()
    }

    /// Checks that every split uses a feature below `n_features` whose bin
    /// code fits `mapper` (for models read from disk).
    pub(crate) fn check_features(&self, mapper: &super::BinMapper) -> std::result::Result<(), String> {
        for (k, n) in self.nodes.iter().enumerate() {
            if n.is_leaf() {
                continue;
            }
            let f = n.feature as usize;
            if f >= mapper.n_features() {
                return Err(format!("tree node {k} splits on feature {f} of {}", mapper.n_features()));
            }
            if n.bin as usize >= mapper.n_finite_bins(f) {
                return Err(format!("tree node {k} splits feature {f} at bin {} (it has fewer bins)", n.bin));
            }
        }
        Ok(())
    }

    /// Depth (a single leaf has depth 0).
    pub fn depth(&self) -> usize {
        fn d(nodes: &[Node], i: usize) -> usize {
            let n = nodes[i];
            if n.is_leaf() { 0 } else { 1 + d(nodes, n.left as usize).max(d(nodes, n.right as usize)) }
        }
        d(&self.nodes, 0)
    }

    /// Leaf index of row `i` of a raw matrix (NaN allowed).
    pub fn leaf_index(&self, x: MatRef<'_, f64>, i: usize) -> usize {
        let mut k = 0;
        loop {
            let n = &self.nodes[k];
            if n.is_leaf() {
                return n.left as usize;
            }
            let v = x[(i, n.feature as usize)];
            let left = if v.is_nan() { n.nan_left } else { v <= n.threshold };
            k = if left { n.left } else { n.right } as usize;
        }
    }

    /// Leaf index of row `i` of a binned matrix (binned by the same mapper).
    pub fn leaf_index_binned(&self, data: &BinnedMatrix, i: usize) -> usize {
        let mut k = 0;
        loop {
            let n = &self.nodes[k];
            if n.is_leaf() {
                return n.left as usize;
            }
            let f = n.feature as usize;
            let b = data.column(f)[i];
            let left = if b == data.nan_code(f) { n.nan_left } else { b <= n.bin };
            k = if left { n.left } else { n.right } as usize;
        }
    }

    /// Leaf index of one row given as bin codes (`codes[f]` = the code of
    /// feature f, `nan_code[f]` its NaN code), as from
    /// [`BinMapper::bin_rows`](super::BinMapper::bin_rows).
    #[inline]
    pub fn leaf_index_codes(&self, codes: &[u8], nan_code: &[u8]) -> usize {
        let mut k = 0;
        loop {
            let n = &self.nodes[k];
            if n.is_leaf() {
                return n.left as usize;
            }
            let f = n.feature as usize;
            let b = codes[f];
            // NaN's code lies above every finite bin, so `b <= n.bin` is false for it
            let left = (b <= n.bin) | (b == nan_code[f] && n.nan_left);
            k = if left { n.left } else { n.right } as usize;
        }
    }

    /// The tree packed for routing bin codes, 8 bytes a node (see
    /// [`PackedTree`]); `None` if it does not fit that form (a feature index
    /// ≥ 2^16, or a right child not stored right after its left sibling, as
    /// a tree read from disk may have).
    pub fn packed(&self) -> Option<PackedTree> {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            if n.is_leaf() {
                nodes.push(PackedTree::LEAF | u64::from(n.left));
            } else {
                if n.feature > u32::from(u16::MAX) || n.right != n.left.wrapping_add(1) {
                    return None;
                }
                nodes.push(
                    u64::from(n.left)
                        | u64::from(n.feature) << 32
                        | u64::from(n.bin) << 48
                        | u64::from(n.nan_left) << 56,
                );
            }
        }
        Some(PackedTree { nodes })
    }

    /// The value of the leaf row `i` of `x` falls in.
    pub fn predict_row(&self, x: MatRef<'_, f64>, i: usize) -> &L {
        &self.leaves[self.leaf_index(x, i)]
    }

    /// Honesty: recomputes every leaf value from the statistics of the
    /// `rows` (an estimation sample disjoint from the one the splits were
    /// chosen on). A leaf that receives no estimation row takes the value of
    /// its nearest ancestor that does (the root always does unless `rows` is
    /// empty, in which case the tree is returned unchanged).
    pub fn reestimate<C: SplitCriterion<Leaf = L>>(
        &self,
        data: &BinnedMatrix,
        crit: &C,
        rows: &[u32],
    ) -> Self {
        if rows.is_empty() {
            return self.clone();
        }
        let m = self.nodes.len();
        let mut stats = vec![C::Stats::default(); m];
        let mut count = vec![0usize; m];
        let mut parent = vec![usize::MAX; m];
        for (k, n) in self.nodes.iter().enumerate() {
            if !n.is_leaf() {
                parent[n.left as usize] = k;
                parent[n.right as usize] = k;
            }
        }
        for &r in rows {
            let r = r as usize;
            let s = crit.row_stats(r);
            let mut k = 0;
            loop {
                stats[k] += s;
                count[k] += 1;
                let n = &self.nodes[k];
                if n.is_leaf() {
                    break;
                }
                let f = n.feature as usize;
                let b = data.column(f)[r];
                let left = if b == data.nan_code(f) { n.nan_left } else { b <= n.bin };
                k = if left { n.left } else { n.right } as usize;
            }
        }
        let mut leaves = self.leaves.clone();
        for (k, n) in self.nodes.iter().enumerate() {
            if n.is_leaf() {
                let mut a = k;
                while count[a] == 0 && parent[a] != usize::MAX {
                    a = parent[a];
                }
                leaves[n.left as usize] = crit.leaf_value(&stats[a]);
            }
        }
        Self { nodes: self.nodes.clone(), leaves }
    }

    /// The same tree with every leaf value mapped by `f`.
    pub fn map_leaves<M: Clone + Send + Sync>(&self, f: impl Fn(&L) -> M) -> Tree<M> {
        Tree { nodes: self.nodes.clone(), leaves: self.leaves.iter().map(f).collect() }
    }
}

/// The on-disk form of a [`Tree`] (see there), owned for reading.
#[derive(Serialize, Deserialize)]
struct TreeForm<V> {
    feature: Vec<i64>,
    bin: Vec<u8>,
    threshold: Vec<Option<f64>>,
    nan_left: Vec<bool>,
    left: Vec<u32>,
    right: Vec<u32>,
    leaves: V,
}

impl<L: Serialize> Serialize for Tree<L> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let nodes = &self.nodes;
        TreeForm {
            feature: nodes.iter().map(|n| if n.is_leaf() { -1 } else { i64::from(n.feature) }).collect(),
            bin: nodes.iter().map(|n| n.bin).collect(),
            threshold: nodes
                .iter()
                .map(|n| if n.is_leaf() || !n.threshold.is_finite() { None } else { Some(n.threshold) })
                .collect(),
            nan_left: nodes.iter().map(|n| n.nan_left).collect(),
            left: nodes.iter().map(|n| n.left).collect(),
            right: nodes.iter().map(|n| n.right).collect(),
            leaves: &self.leaves,
        }
        .serialize(serializer)
    }
}

impl<'de, L: Deserialize<'de>> Deserialize<'de> for Tree<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let form = TreeForm::<Vec<L>>::deserialize(deserializer)?;
        Tree::from_form(form).map_err(serde::de::Error::custom)
    }
}

impl<L> Tree<L> {
    fn from_form(f: TreeForm<Vec<L>>) -> std::result::Result<Self, String> {
        let m = f.feature.len();
        if m == 0 {
            return Err("tree: no nodes".into());
        }
        let lens = [f.bin.len(), f.threshold.len(), f.nan_left.len(), f.left.len(), f.right.len()];
        if lens.iter().any(|&l| l != m) {
            return Err(format!(
                "tree: per-node vectors differ in length (feature {m}, bin/threshold/nan_left/left/right {lens:?})"
            ));
        }
        let mut nodes = Vec::with_capacity(m);
        // each node has at most one parent: a tree, not a graph whose paths
        // multiply (a walk over it would take exponential time)
        let mut has_parent = vec![false; m];
        for k in 0..m {
            let (feature, left, right) = (f.feature[k], f.left[k], f.right[k]);
            if feature < 0 {
                if left as usize >= f.leaves.len() {
                    return Err(format!("tree: node {k} names leaf {left} of {}", f.leaves.len()));
                }
                nodes.push(Node::leaf(left as usize));
                continue;
            }
            if feature >= i64::from(LEAF) {
                return Err(format!("tree: node {k} has feature {feature} (too large)"));
            }
            for child in [left, right] {
                if child as usize <= k || child as usize >= m {
                    return Err(format!(
                        "tree: node {k} has child {child}; children must lie in {}..{m}",
                        k + 1
                    ));
                }
                if std::mem::replace(&mut has_parent[child as usize], true) {
                    return Err(format!("tree: node {child} is the child of two nodes"));
                }
            }
            let threshold = match f.threshold[k] {
                Some(t) if t.is_nan() => return Err(format!("tree: node {k} has a NaN threshold")),
                Some(t) => t,
                None => f64::INFINITY,
            };
            nodes.push(Node {
                threshold,
                left,
                right,
                feature: feature as u32,
                bin: f.bin[k],
                nan_left: f.nan_left[k],
            });
        }
        Ok(Self { nodes, leaves: f.leaves })
    }
}
