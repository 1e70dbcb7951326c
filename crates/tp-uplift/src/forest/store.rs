//! Compact storage of a fitted forest, shared by the causal and the uplift
//! forest.
//!
//! Every tree's nodes live in flat per-field vectors, trees one after the
//! other in preorder (a split's left child is the next node; `child` holds
//! the right child's tree-local index, or the tree-local leaf id of a leaf).
//! A split compares a feature's *bin code* with `bin`, so a node is 10
//! bytes (feature u32, bin u8, NaN side u8 as bool, child u32), and the
//! forest keeps the bin cut points once, not a threshold per node. Leaf
//! payloads (a fixed number of f64 per leaf) sit in one shared buffer.
//! Prediction bins each chunk of rows on the fly and walks the trees by
//! reference: the forest is never copied.

use serde::{Deserialize, Serialize};
use tp_core::faer::MatRef;
use tp_learn::tree::{BinMapper, Tree};

/// Marks a leaf in `feature`.
const LEAF: u32 = u32::MAX;

/// Rows walking a tree together in [`FlatForest::leaves_of`].
const LANES: usize = 8;

/// Many trees over binned features with `width` f64 per leaf.
///
/// Deserialization checks the forest ([`FlatForest::check`]): a loaded
/// forest is either consistent or an error naming what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// deserialization goes through `FlatForestForm`: its field attributes (defaults, null → NaN) apply
#[serde(try_from = "FlatForestForm")]
pub(crate) struct FlatForest {
    /// Cut points (upper bin edges) per feature: value v is in the first
    /// bin b with v ≤ cuts\[b\]; NaN has code `cuts.len() + 1`.
    cuts: Vec<Vec<f64>>,
    /// First node of each tree (length trees + 1).
    node_start: Vec<u64>,
    /// First leaf of each tree (length trees + 1).
    leaf_start: Vec<u64>,
    feature: Vec<u32>,
    bin: Vec<u8>,
    nan_left: Vec<bool>,
    child: Vec<u32>,
    /// f64 per leaf.
    width: usize,
    /// A leaf without estimation rows holds NaN moments (JSON `null`).
    leaves: Vec<f64>,
}

/// The unchecked on-disk form of a [`FlatForest`].
#[derive(Deserialize)]
struct FlatForestForm {
    cuts: Vec<Vec<f64>>,
    node_start: Vec<u64>,
    leaf_start: Vec<u64>,
    feature: Vec<u32>,
    bin: Vec<u8>,
    nan_left: Vec<bool>,
    child: Vec<u32>,
    width: usize,
    #[serde(deserialize_with = "nan_for_null")]
    leaves: Vec<f64>,
}

impl TryFrom<FlatForestForm> for FlatForest {
    type Error = String;

    fn try_from(f: FlatForestForm) -> Result<Self, String> {
        let forest = FlatForest {
            cuts: f.cuts,
            node_start: f.node_start,
            leaf_start: f.leaf_start,
            feature: f.feature,
            bin: f.bin,
            nan_left: f.nan_left,
            child: f.child,
            width: f.width,
            leaves: f.leaves,
        };
        forest.check().map_err(|e| format!("forest trees: {e}"))?;
        Ok(forest)
    }
}

/// Reads a JSON array of numbers in which `null` stands for NaN (serde_json
/// writes every non-finite float as `null`).
pub(crate) fn nan_for_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<f64>, D::Error> {
    let v: Vec<Option<f64>> = Deserialize::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

/// One tree in flat form before it joins a forest.
#[derive(Debug, Clone, Default)]
pub(crate) struct FlatTree {
    pub feature: Vec<u32>,
    pub bin: Vec<u8>,
    pub nan_left: Vec<bool>,
    pub child: Vec<u32>,
    /// `width` values per leaf, in leaf-id order.
    pub leaves: Vec<f64>,
}

impl FlatTree {
    /// Preorder copy of a tp-learn tree's splits (leaf ids kept); leaf
    /// payloads are added by the caller.
    pub fn from_tree<L: Clone + Send + Sync>(tree: &Tree<L>) -> Self {
        let nodes = tree.nodes();
        let mut out = FlatTree::default();
        let mut stack = vec![(0usize, usize::MAX)];
        while let Some((k, parent)) = stack.pop() {
            let at = out.feature.len();
            if parent != usize::MAX {
                out.child[parent] = at as u32; // this is a right child
            }
            let n = &nodes[k];
            if n.is_leaf() {
                out.push(LEAF, 0, false, n.left);
            } else {
                out.push(n.feature, n.bin, n.nan_left, 0);
                stack.push((n.right as usize, at));
                stack.push((n.left as usize, usize::MAX));
            }
        }
        out
    }

    pub fn push(&mut self, feature: u32, bin: u8, nan_left: bool, child: u32) {
        self.feature.push(feature);
        self.bin.push(bin);
        self.nan_left.push(nan_left);
        self.child.push(child);
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }
}

#[inline]
fn walk(
    feature: &[u32],
    bin: &[u8],
    nan_left: &[bool],
    child: &[u32],
    code: impl Fn(usize) -> u8,
    nan_code: impl Fn(usize) -> u8,
) -> usize {
    let mut k = 0usize;
    loop {
        let f = feature[k];
        if f == LEAF {
            return child[k] as usize;
        }
        let f = f as usize;
        let c = code(f);
        let left = if c == nan_code(f) { nan_left[k] } else { c <= bin[k] };
        k = if left { k + 1 } else { child[k] as usize };
    }
}

impl FlatForest {
    /// Joins trees (consumed one at a time, so peak memory stays near the
    /// final size) over the bins of `mapper`.
    pub fn new(mapper: &BinMapper, width: usize, trees: Vec<FlatTree>) -> Self {
        let nodes: usize = trees.iter().map(FlatTree::n_nodes).sum();
        let leaf_values: usize = trees.iter().map(|t| t.leaves.len()).sum();
        let mut f = FlatForest {
            cuts: (0..mapper.n_features()).map(|j| mapper.cuts(j).to_vec()).collect(),
            node_start: Vec::with_capacity(trees.len() + 1),
            leaf_start: Vec::with_capacity(trees.len() + 1),
            feature: Vec::with_capacity(nodes),
            bin: Vec::with_capacity(nodes),
            nan_left: Vec::with_capacity(nodes),
            child: Vec::with_capacity(nodes),
            width,
            leaves: Vec::with_capacity(leaf_values),
        };
        f.node_start.push(0);
        f.leaf_start.push(0);
        for t in trees {
            f.feature.extend_from_slice(&t.feature);
            f.bin.extend_from_slice(&t.bin);
            f.nan_left.extend_from_slice(&t.nan_left);
            f.child.extend_from_slice(&t.child);
            f.leaves.extend_from_slice(&t.leaves);
            f.node_start.push(f.feature.len() as u64);
            f.leaf_start.push((f.leaves.len() / width.max(1)) as u64);
        }
        f
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.node_start.len() - 1
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.cuts.len()
    }

    /// f64 per leaf.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Checks the internal consistency of a deserialized forest: every
    /// walk from a tree's root ends, in that tree, at a leaf whose payload
    /// exists, and every bin code fits a u8. The message names the part
    /// that is wrong.
    pub fn check(&self) -> Result<(), String> {
        let m = self.feature.len();
        if self.bin.len() != m || self.nan_left.len() != m || self.child.len() != m {
            return Err(format!(
                "node vectors differ in length (feature {m}, bin {}, nan_left {}, child {})",
                self.bin.len(),
                self.nan_left.len(),
                self.child.len()
            ));
        }
        if self.node_start.len() < 2 || self.leaf_start.len() != self.node_start.len() {
            return Err(format!(
                "tree offsets are missing (node_start has {} entries, leaf_start {}; need trees + 1 each, at \
                 least one tree)",
                self.node_start.len(),
                self.leaf_start.len()
            ));
        }
        if self.width == 0 || !self.leaves.len().is_multiple_of(self.width) {
            return Err(format!(
                "leaf buffer of {} values is not a whole number of leaves of width {}",
                self.leaves.len(),
                self.width
            ));
        }
        let n_leaves = self.leaves.len() / self.width;
        if n_leaves > u32::MAX as usize || m > u32::MAX as usize {
            return Err(format!("{m} nodes and {n_leaves} leaves: more than a forest can index"));
        }
        // a NaN code is one past the last finite bin and must fit in a u8
        for (f, c) in self.cuts.iter().enumerate() {
            if c.len() > usize::from(u8::MAX) - 1 {
                return Err(format!("feature {f} has more than {} cut points", u8::MAX - 1));
            }
            if c.iter().any(|v| !v.is_finite()) || c.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("the cut points of feature {f} are not finite and strictly increasing"));
            }
        }
        for t in 0..self.n_trees() {
            let bad_offsets = || format!("tree {t} has bad offsets");
            let (a, b) = (self.node_start[t], self.node_start[t + 1]);
            let (la, lb) = (self.leaf_start[t], self.leaf_start[t + 1]);
            if a >= b || b > m as u64 || la > lb || lb > n_leaves as u64 {
                return Err(bad_offsets());
            }
            let (a, b, leaves) = (a as usize, b as usize, (lb - la) as usize);
            for k in a..b {
                let (f, c) = (self.feature[k], self.child[k] as usize);
                let ok = if f == LEAF {
                    c < leaves
                } else {
                    (f as usize) < self.cuts.len() && c > k - a + 1 && c < b - a
                };
                if !ok {
                    return Err(format!("tree {t} node {} is inconsistent", k - a));
                }
            }
        }
        Ok(())
    }

    /// Global leaf index (into the payload buffer) of a row in tree `t`.
    #[inline]
    pub fn leaf(&self, t: usize, code: impl Fn(usize) -> u8) -> usize {
        let (a, b) = (self.node_start[t] as usize, self.node_start[t + 1] as usize);
        let local =
            walk(&self.feature[a..b], &self.bin[a..b], &self.nan_left[a..b], &self.child[a..b], code, |f| {
                self.cuts[f].len() as u8 + 1
            });
        self.leaf_start[t] as usize + local
    }

    /// The code of NaN per feature (one past its last finite bin).
    pub fn nan_codes(&self) -> Vec<u8> {
        self.cuts.iter().map(|c| c.len() as u8 + 1).collect()
    }

    /// Global leaf indices in tree `t` of many rows at once: `rows` index
    /// `codes` (row-major, `p` codes a row); `nan` from
    /// [`nan_codes`](Self::nan_codes). Rows walk the tree [`LANES`] at a
    /// time, level by level, so their memory reads overlap instead of
    /// waiting on one another.
    pub fn leaves_of(&self, t: usize, rows: &[u32], codes: &[u8], p: usize, nan: &[u8], out: &mut Vec<u32>) {
        let (a, b) = (self.node_start[t] as usize, self.node_start[t + 1] as usize);
        let (feature, bin, nan_left, child) =
            (&self.feature[a..b], &self.bin[a..b], &self.nan_left[a..b], &self.child[a..b]);
        let first = self.leaf_start[t] as u32;
        out.clear();
        for lanes in rows.chunks(LANES) {
            // a leaf keeps its lanes where they are; missing lanes repeat the first row
            let at: [usize; LANES] = std::array::from_fn(|l| lanes[l.min(lanes.len() - 1)] as usize * p);
            let mut k = [0usize; LANES];
            loop {
                let mut done = true;
                for l in 0..LANES {
                    let kk = k[l];
                    let leaf = feature[kk] == LEAF;
                    let f = if leaf { 0 } else { feature[kk] as usize };
                    let c = codes[at[l] + f];
                    let is_nan = c == nan[f];
                    let left = (is_nan & nan_left[kk]) | (!is_nan & (c <= bin[kk]));
                    let next = if left { kk + 1 } else { child[kk] as usize };
                    k[l] = if leaf { kk } else { next };
                    done &= leaf;
                }
                if done {
                    break;
                }
            }
            out.extend(k[..lanes.len()].iter().map(|&k| first + child[k]));
        }
    }

    /// The payload of global leaf `l`.
    #[inline]
    pub fn payload(&self, l: usize) -> &[f64] {
        &self.leaves[l * self.width..(l + 1) * self.width]
    }

    /// Bin codes of rows `rows` of `x` (row-major, `p` per row) into `out`.
    pub fn bin_rows(&self, x: MatRef<'_, f64>, rows: std::ops::Range<usize>, out: &mut Vec<u8>) {
        let p = self.cuts.len();
        out.clear();
        out.reserve(rows.len() * p);
        for i in rows {
            for (f, cuts) in self.cuts.iter().enumerate() {
                let v = x[(i, f)];
                out.push(if v.is_nan() {
                    cuts.len() as u8 + 1
                } else {
                    cuts.partition_point(|&c| c < v) as u8
                });
            }
        }
    }

    /// Per feature and depth (root = 0, below `depths`), the number of splits.
    pub fn split_counts(&self, depths: usize) -> Vec<Vec<f64>> {
        let mut counts = vec![vec![0.0; self.cuts.len()]; depths];
        for t in 0..self.n_trees() {
            let a = self.node_start[t] as usize;
            let mut stack = vec![(0usize, 0usize)];
            while let Some((k, d)) = stack.pop() {
                let f = self.feature[a + k];
                if f == LEAF || d >= depths {
                    continue;
                }
                counts[d][f as usize] += 1.0;
                stack.push((k + 1, d + 1));
                stack.push((self.child[a + k] as usize, d + 1));
            }
        }
        counts
    }

    /// Bytes held by the node and leaf buffers.
    pub fn heap_bytes(&self) -> usize {
        self.feature.len() * 10 + self.leaves.len() * 8 + self.node_start.len() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::faer::Mat;
    use tp_core::rng::stream;
    use tp_learn::tree::{BinnedMatrix, TreeParams, VarianceCriterion, grow_tree};

    /// Code of feature f of training row i.
    fn binned_code(data: &BinnedMatrix, i: usize) -> impl Fn(usize) -> u8 + '_ {
        move |f| data.column(f)[i]
    }

    #[test]
    fn flat_trees_route_rows_like_the_engine() {
        let n = 500;
        let x = Mat::from_fn(n, 3, |i, j| {
            if (i + j) % 37 == 0 { f64::NAN } else { (((i * (7 + 13 * j)) % 101) as f64).sin() }
        });
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)].max(0.0) + x[(i, 1)].abs()).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let params = TreeParams { max_depth: 6, min_samples_leaf: 5, ..TreeParams::default() };
        let trees: Vec<_> = (0..3)
            .map(|s| {
                grow_tree(&data, &mapper, &crit, (0..n as u32).collect(), &params, &mut stream(s, 1)).tree
            })
            .collect();
        let flats: Vec<FlatTree> = trees
            .iter()
            .map(|t| {
                let mut f = FlatTree::from_tree(t);
                f.leaves = (0..t.n_leaves()).map(|l| l as f64).collect();
                f
            })
            .collect();
        let forest = FlatForest::new(&mapper, 1, flats);
        forest.check().unwrap();
        let mut codes = Vec::new();
        forest.bin_rows(x.as_ref(), 0..n, &mut codes);
        for (t, tree) in trees.iter().enumerate() {
            for i in 0..n {
                let want = tree.leaf_index(x.as_ref(), i);
                let l = forest.leaf(t, |f| codes[i * 3 + f]);
                assert_eq!(forest.payload(l)[0] as usize, want);
                assert_eq!(forest.leaf(t, binned_code(&data, i)), l);
            }
            // many rows at once, in any order, with a partial last group of lanes
            let rows: Vec<u32> = (0..n as u32).rev().step_by(3).collect();
            let mut many = Vec::new();
            forest.leaves_of(t, &rows, &codes, 3, &forest.nan_codes(), &mut many);
            assert_eq!(many.len(), rows.len());
            for (&r, &l) in rows.iter().zip(&many) {
                assert_eq!(l as usize, forest.leaf(t, |f| codes[r as usize * 3 + f]));
            }
        }
        let json = serde_json::to_string(&forest).unwrap();
        let back: FlatForest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, forest);
        // damage a loaded file could carry is an error, not an overflow
        let mut bad = forest.clone();
        bad.leaf_start.swap(1, 2);
        assert!(bad.check().unwrap_err().contains("offsets"));
        let mut bad = forest.clone();
        bad.cuts[0] = (0..255).map(f64::from).collect();
        assert!(bad.check().unwrap_err().contains("cut points"));
    }
}
