//! A fitted tree: split nodes over binned features, leaves holding values.

use super::binning::BinnedMatrix;
use super::criterion::SplitCriterion;
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
#[derive(Debug, Clone, PartialEq)]
pub struct Tree<L> {
    pub(crate) nodes: Vec<Node>,
    pub(crate) leaves: Vec<L>,
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
