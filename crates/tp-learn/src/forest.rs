//! Random forests (regression and probability forests) on the tree engine.
//!
//! Each tree draws its rows from `tp_core::rng::stream(seed, tree)` — a
//! bootstrap (n draws with replacement, `sample_fraction` × n of them) or a
//! subsample without replacement — and tries `mtry` random features per
//! node. Trees are grown in parallel with rayon and collected in tree order,
//! so the same seed gives the same forest at any thread count. The fitted
//! model keeps which rows each tree saw (a bitset per tree) and the
//! out-of-bag prediction of every training row: the mean over the trees
//! that did not see it (NaN if every tree saw it) — the OOB nuisances that
//! causal forests and cross-fitting-free scores need. Out-of-bag rows ride
//! along as passengers while a tree grows ([`grow_tree_routing`]), so no
//! row is ever sent down a finished deep tree during the fit; prediction
//! bins the rows once into row-major codes and routes them tree by tree,
//! each tree packed to 8 bytes a node so it stays in cache.
//!
//! Sample weights enter the split statistics and the leaf means; rows are
//! drawn uniformly (not in proportion to their weights).
//!
//! Honesty (`honest(true)`): the distinct sampled rows are shuffled and
//! split; the first `honesty_fraction` choose the splits, the rest
//! re-estimate the leaf values ([`Tree::reestimate`]).

use crate::Result;
use crate::traits::{Classifier, FittedClassifier, FittedRegressor, Regressor};
use crate::tree::{
    BinMapper, BinnedMatrix, ClassificationCriterion, Impurity, SplitCriterion, Tree, TreeParams,
    VarianceCriterion, grow_tree_routing,
};
use crate::validate::{check_binary, check_predict, check_train, param};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::faer::MatRef;
use tp_core::rng::{derive_seed_str, stream};

/// Shared forest params; see [`RandomForestRegressor`] and [`RandomForestClassifier`].
#[derive(Debug, Clone, PartialEq)]
struct ForestParams {
    n_trees: usize,
    max_depth: usize,
    min_samples_leaf: usize,
    min_gain: f64,
    mtry: Option<usize>,
    bootstrap: bool,
    sample_fraction: f64,
    honest: bool,
    honesty_fraction: f64,
    max_bins: usize,
    seed: u64,
}

macro_rules! forest_builders {
    ($t:ty) => {
        impl $t {
            /// Number of trees. Default 100.
            pub fn n_trees(mut self, n: usize) -> Self {
                self.p.n_trees = n;
                self
            }
            /// Maximum depth. Default 64 (in effect unlimited).
            pub fn max_depth(mut self, d: usize) -> Self {
                self.p.max_depth = d;
                self
            }
            /// Minimum rows per leaf.
            pub fn min_samples_leaf(mut self, n: usize) -> Self {
                self.p.min_samples_leaf = n;
                self
            }
            /// Minimum gain for a split. Default 0.
            pub fn min_gain(mut self, g: f64) -> Self {
                self.p.min_gain = g;
                self
            }
            /// Features tried per node (`None` = the default rule).
            pub fn mtry(mut self, m: Option<usize>) -> Self {
                self.p.mtry = m;
                self
            }
            /// Bootstrap (with replacement, default) or subsample without replacement.
            pub fn bootstrap(mut self, yes: bool) -> Self {
                self.p.bootstrap = yes;
                self
            }
            /// Rows drawn per tree as a fraction of n, in (0, 1]. Default 1 with
            /// bootstrap; set e.g. 0.5 with `bootstrap(false)` for subsampling.
            pub fn sample_fraction(mut self, f: f64) -> Self {
                self.p.sample_fraction = f;
                self
            }
            /// Honest trees: split on one part of each tree's sample, estimate
            /// leaves on the other. Default false.
            pub fn honest(mut self, yes: bool) -> Self {
                self.p.honest = yes;
                self
            }
            /// Share of each honest tree's sample used to choose splits. Default 0.5.
            pub fn honesty_fraction(mut self, f: f64) -> Self {
                self.p.honesty_fraction = f;
                self
            }
            /// Maximum finite bins per feature, 2..=255. Default 255.
            pub fn max_bins(mut self, b: usize) -> Self {
                self.p.max_bins = b;
                self
            }
            /// Seed of all sampling. Default 0.
            pub fn seed(mut self, s: u64) -> Self {
                self.p.seed = s;
                self
            }
        }
    };
}

/// Random forest regression params. Defaults: 100 trees, bootstrap,
/// `min_samples_leaf = 5`, mtry = max(1, ⌊p/3⌋), depth unlimited, 255 bins.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomForestRegressor {
    p: ForestParams,
}

/// Random forest probability-classifier params (leaves hold P(y = 1); the
/// forest averages them). Defaults: 100 trees, bootstrap, Gini,
/// `min_samples_leaf = 1`, mtry = max(1, ⌊√p⌋), depth unlimited, 255 bins.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomForestClassifier {
    p: ForestParams,
    impurity: Impurity,
}

forest_builders!(RandomForestRegressor);
forest_builders!(RandomForestClassifier);

fn default_params(min_samples_leaf: usize) -> ForestParams {
    ForestParams {
        n_trees: 100,
        max_depth: 64,
        min_samples_leaf,
        min_gain: 0.0,
        mtry: None,
        bootstrap: true,
        sample_fraction: 1.0,
        honest: false,
        honesty_fraction: 0.5,
        max_bins: 255,
        seed: 0,
    }
}

impl Default for RandomForestRegressor {
    fn default() -> Self {
        Self::params()
    }
}

impl Default for RandomForestClassifier {
    fn default() -> Self {
        Self::params()
    }
}

impl RandomForestRegressor {
    /// The defaults listed on the type.
    pub fn params() -> Self {
        Self { p: default_params(5) }
    }

    /// Validates the input (NaN allowed in x) and grows the forest.
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64], weights: Option<&[f64]>) -> Result<ForestModel> {
        let w = check_train(x, y, weights, true)?;
        let mtry = self.p.mtry.unwrap_or((x.ncols() / 3).max(1));
        fit_forest(&self.p, mtry, x, |_| VarianceCriterion::new(y, &w))
    }
}

impl RandomForestClassifier {
    /// The defaults listed on the type.
    pub fn params() -> Self {
        Self { p: default_params(1), impurity: Impurity::Gini }
    }

    /// Split impurity (Gini default, or entropy).
    pub fn impurity(mut self, i: Impurity) -> Self {
        self.impurity = i;
        self
    }

    /// Validates the input (0/1 targets, NaN allowed in x) and grows the forest.
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64], weights: Option<&[f64]>) -> Result<ForestModel> {
        let w = check_train(x, y, weights, true)?;
        check_binary(y)?;
        let mtry = self.p.mtry.unwrap_or(((x.ncols() as f64).sqrt() as usize).max(1));
        fit_forest(&self.p, mtry, x, |_| ClassificationCriterion::new(y, &w, self.impurity))
    }
}

fn fit_forest<'a, C, F>(p: &ForestParams, mtry: usize, x: MatRef<'_, f64>, make: F) -> Result<ForestModel>
where
    C: SplitCriterion<Leaf = f64> + 'a,
    F: Fn(()) -> C + Sync,
{
    param(p.n_trees >= 1, "n_trees", p.n_trees, "at least 1")?;
    param(p.max_depth >= 1, "max_depth", p.max_depth, "at least 1")?;
    param(p.min_samples_leaf >= 1, "min_samples_leaf", p.min_samples_leaf, "at least 1")?;
    param(p.min_gain >= 0.0, "min_gain", p.min_gain, "a value >= 0")?;
    param(mtry >= 1, "mtry", mtry, "at least 1")?;
    param(
        p.sample_fraction > 0.0 && p.sample_fraction <= 1.0,
        "sample_fraction",
        p.sample_fraction,
        "a value in (0, 1]",
    )?;
    param(
        p.honesty_fraction > 0.0 && p.honesty_fraction < 1.0,
        "honesty_fraction",
        p.honesty_fraction,
        "a value in (0, 1)",
    )?;
    param((2..=255).contains(&p.max_bins), "max_bins", p.max_bins, "2..=255")?;
    let n = x.nrows();
    let mapper = BinMapper::fit(x, p.max_bins, &mut stream(derive_seed_str(p.seed, "bins"), 0));
    let data = mapper.transform(x);
    let tree_params = TreeParams {
        max_depth: p.max_depth,
        min_samples_leaf: p.min_samples_leaf,
        min_gain: p.min_gain,
        mtry: Some(mtry.min(x.ncols())),
        features: None,
        parallel_features: false,
    };
    let draws = ((p.sample_fraction * n as f64).round() as usize).clamp(1, n);
    // one criterion (the quantized per-row statistics) shared by every tree
    let crit = &make(());
    // Trees are grown in parallel batches of a fixed size and folded in tree
    // order: each tree routes its out-of-bag rows to their leaves while it
    // grows (no traversal of the finished tree), and a batch's (row, leaf)
    // pairs are added to the per-row sums tree by tree, so the sums are the
    // same at any thread count and transient memory does not grow with it.
    let mut trees = Vec::with_capacity(p.n_trees);
    let mut in_bag = Vec::with_capacity(p.n_trees);
    let mut oob_sum = vec![0.0; n];
    let mut oob_count = vec![0u32; n];
    for batch in (0..p.n_trees).step_by(TREE_BATCH) {
        let built: Vec<GrownOne> = (batch..(batch + TREE_BATCH).min(p.n_trees))
            .into_par_iter()
            .map(|t| grow_one(p, t, n, draws, &data, &mapper, crit, &tree_params))
            .collect();
        for (tree, bag, oob) in built {
            for (r, leaf) in oob {
                oob_sum[r as usize] += tree.leaves()[leaf as usize];
                oob_count[r as usize] += 1;
            }
            trees.push(tree);
            in_bag.push(bag);
        }
    }
    let oob = oob_sum
        .iter()
        .zip(&oob_count)
        .map(|(&s, &c)| if c > 0 { s / f64::from(c) } else { f64::NAN })
        .collect();
    Ok(ForestModel { mapper, trees, in_bag, oob, n_features: x.ncols() })
}

/// A grown forest tree, its in-bag bitset and its (out-of-bag row, leaf) pairs.
type GrownOne = (Tree<f64>, Vec<u64>, Vec<(u32, u32)>);

/// Trees grown concurrently before their out-of-bag pairs are folded in.
const TREE_BATCH: usize = 16;

/// Grows tree `t`: its rows from `stream(seed, t)`, the bitset of rows it
/// drew, and the (row, leaf) pair of every row it did not draw.
#[allow(clippy::too_many_arguments)]
fn grow_one<C: SplitCriterion<Leaf = f64>>(
    p: &ForestParams,
    t: usize,
    n: usize,
    draws: usize,
    data: &BinnedMatrix,
    mapper: &BinMapper,
    crit: &C,
    tree_params: &TreeParams,
) -> GrownOne {
    let mut rng = stream(p.seed, t as u64);
    // the drawn rows in increasing order (a counting sort: one pass over n)
    let mut rows: Vec<u32> = if p.bootstrap {
        let mut count = vec![0u8; n];
        let mut more = Vec::new();
        for _ in 0..draws {
            let r = rng.random_range(0..n as u32);
            let c = &mut count[r as usize];
            if *c == u8::MAX {
                more.push(r);
            } else {
                *c += 1;
            }
        }
        more.sort_unstable();
        let mut rows = Vec::with_capacity(draws);
        let mut extra = more.iter().peekable();
        for (r, &c) in count.iter().enumerate() {
            let r = r as u32;
            rows.extend(std::iter::repeat_n(r, usize::from(c)));
            while extra.next_if_eq(&&r).is_some() {
                rows.push(r);
            }
        }
        rows
    } else {
        let mut rows: Vec<u32> =
            rand::seq::index::sample(&mut rng, n, draws).into_iter().map(|i| i as u32).collect();
        rows.sort_unstable();
        rows
    };
    let mut in_bag = vec![0u64; n.div_ceil(64)];
    for &r in &rows {
        in_bag[r as usize / 64] |= 1 << (r % 64);
    }
    let out_of_bag: Vec<u32> =
        (0..n as u32).filter(|&r| in_bag[r as usize / 64] & (1 << (r % 64)) == 0).collect();
    let grown = if p.honest {
        rows.sort_unstable();
        rows.dedup();
        for i in (1..rows.len()).rev() {
            let j = rng.random_range(0..=i);
            rows.swap(i, j);
        }
        let n_split = ((p.honesty_fraction * rows.len() as f64).round() as usize).clamp(1, rows.len());
        let mut est = rows.split_off(n_split);
        rows.sort_unstable();
        est.sort_unstable();
        let mut grown = grow_tree_routing(data, mapper, crit, rows, out_of_bag, tree_params, &mut rng);
        grown.tree = grown.tree.reestimate(data, crit, &est);
        grown
    } else {
        grow_tree_routing(data, mapper, crit, rows, out_of_bag, tree_params, &mut rng)
    };
    let mut oob = Vec::with_capacity(grown.passengers.len());
    for (leaf, &(a, b)) in grown.passenger_ranges.iter().enumerate() {
        oob.extend(grown.passengers[a..b].iter().map(|&r| (r, leaf as u32)));
    }
    (grown.tree, in_bag, oob)
}

/// Adds Σ_trees leaf value to `out[i]` for each row i of `x` (trees in
/// order for every row). Rows are binned once into row-major codes (n × p
/// bytes), so routing reads one cache line per row instead of one column of
/// `x` per level; then each tree, packed into 8 bytes a node
/// ([`Tree::packed`]) so a deep tree stays in cache, routes every row: a
/// block of 512 rows at a time through all trees, eight rows walked together.
pub(crate) fn predict_sum(mapper: &BinMapper, trees: &[Tree<f64>], x: MatRef<'_, f64>, out: &mut [f64]) {
    const CHUNK: usize = 512;
    let p = mapper.n_features().max(1);
    let nan_code = mapper.nan_codes();
    /// Rows walked down a tree together (see [`crate::tree::PackedTree::leaf_indices`]).
    const LANES: usize = 8;
    let packed: Vec<Option<(crate::tree::PackedTree, usize)>> = trees
        .iter()
        .map(|t| {
            t.packed().map(|pt| {
                let d = pt.depth();
                (pt, d)
            })
        })
        .collect();
    // one block of rows at a time through every tree, in tree order (so each row's sum adds the
    // same values in the same order as tree by tree over all rows): the block's codes stay in
    // cache, and there is one parallel pass, not one per tree
    out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| {
        let mut block = vec![0u8; chunk.len() * p];
        mapper.bin_rows(x, c * CHUNK, &mut block);
        for (t, packed) in trees.iter().zip(&packed) {
            let leaves = t.leaves();
            match packed {
                Some((packed, depth)) => {
                    let mut lanes = chunk.chunks_exact_mut(LANES);
                    let mut codes = block.chunks_exact(LANES * p);
                    for (o, rows) in lanes.by_ref().zip(codes.by_ref()) {
                        let k: [usize; LANES] = packed.leaf_indices(rows, &nan_code, *depth);
                        for (o, k) in o.iter_mut().zip(k) {
                            *o += leaves[k];
                        }
                    }
                    for (o, row) in lanes.into_remainder().iter_mut().zip(codes.remainder().chunks_exact(p)) {
                        *o += leaves[packed.leaf_index(row, &nan_code)];
                    }
                }
                None => {
                    for (o, row) in chunk.iter_mut().zip(block.chunks_exact(p)) {
                        *o += leaves[t.leaf_index_codes(row, &nan_code)];
                    }
                }
            }
        }
    });
}

/// A fitted random forest (regression: mean of tree means; classification:
/// mean of tree leaf probabilities).
///
/// Serialized as `{"mapper": BinMapper, "trees": [Tree<f64>], "n_features"}`
/// (see [`Tree`] for the flat node form). The training-row diagnostics —
/// which rows each tree drew and the out-of-bag predictions — belong to the
/// training set, not to the model, and are not written: after reading,
/// [`ForestModel::oob_predictions`] is empty and [`ForestModel::in_bag`] is
/// `None`. Predictions are identical, bit for bit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ForestForm")]
pub struct ForestModel {
    mapper: BinMapper,
    trees: Vec<Tree<f64>>,
    #[serde(skip)]
    in_bag: Vec<Vec<u64>>,
    #[serde(skip)]
    oob: Vec<f64>,
    n_features: usize,
}

/// The unchecked on-disk form of a [`ForestModel`].
#[derive(Deserialize)]
struct ForestForm {
    mapper: BinMapper,
    trees: Vec<Tree<f64>>,
    n_features: usize,
}

impl TryFrom<ForestForm> for ForestModel {
    type Error = String;

    fn try_from(f: ForestForm) -> std::result::Result<Self, String> {
        if f.mapper.n_features() != f.n_features {
            return Err(format!(
                "forest: mapper has {} features, model {}",
                f.mapper.n_features(),
                f.n_features
            ));
        }
        if f.trees.is_empty() {
            return Err("forest: no trees".into());
        }
        for (t, tree) in f.trees.iter().enumerate() {
            tree.check_features(&f.mapper).map_err(|e| format!("forest tree {t}: {e}"))?;
        }
        Ok(Self {
            mapper: f.mapper,
            trees: f.trees,
            in_bag: Vec::new(),
            oob: Vec::new(),
            n_features: f.n_features,
        })
    }
}

impl ForestModel {
    /// The forest's prediction for each row of `x` (NaN allowed): for a
    /// classifier, P(y = 1).
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        check_predict(x, self.n_features, true)?;
        let mut out = vec![0.0; x.nrows()];
        let k = self.trees.len() as f64;
        predict_sum(&self.mapper, &self.trees, x, &mut out);
        for o in out.iter_mut() {
            *o /= k;
        }
        Ok(out)
    }

    /// Out-of-bag prediction of each training row: the mean over trees that
    /// did not draw it (NaN when every tree drew it). Empty for a model read
    /// from disk (the diagnostics are not serialized).
    pub fn oob_predictions(&self) -> &[f64] {
        &self.oob
    }

    /// Whether tree `t` drew training row `i` (in either honest half);
    /// `None` when `t` or `i` is out of range or the model was read from
    /// disk (the bag record is not serialized).
    pub fn in_bag(&self, t: usize, i: usize) -> Option<bool> {
        let word = self.in_bag.get(t)?.get(i / 64)?;
        (i < self.oob.len()).then_some(word & (1 << (i % 64)) != 0)
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree<f64>] {
        &self.trees
    }

    /// The binning of the training features.
    pub fn mapper(&self) -> &BinMapper {
        &self.mapper
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }
}

impl Regressor for RandomForestRegressor {
    fn fit(&self, x: MatRef<'_, f64>, y: &[f64], w: Option<&[f64]>) -> Result<Box<dyn FittedRegressor>> {
        Ok(Box::new(RandomForestRegressor::fit(self, x, y, w)?))
    }
    fn clone_box(&self) -> Box<dyn Regressor> {
        Box::new(self.clone())
    }
    fn with_seed(&self, seed: u64) -> Box<dyn Regressor> {
        Box::new(self.clone().seed(seed))
    }
}

impl FittedRegressor for ForestModel {
    fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        ForestModel::predict(self, x)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn to_saved(&self) -> Option<crate::SavedRegressor> {
        Some(crate::SavedRegressor::Forest(self.clone()))
    }
}

impl Classifier for RandomForestClassifier {
    fn fit(&self, x: MatRef<'_, f64>, y: &[f64], w: Option<&[f64]>) -> Result<Box<dyn FittedClassifier>> {
        Ok(Box::new(RandomForestClassifier::fit(self, x, y, w)?))
    }
    fn clone_box(&self) -> Box<dyn Classifier> {
        Box::new(self.clone())
    }
    fn with_seed(&self, seed: u64) -> Box<dyn Classifier> {
        Box::new(self.clone().seed(seed))
    }
}

impl FittedClassifier for ForestModel {
    fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        ForestModel::predict(self, x)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn to_saved(&self) -> Option<crate::SavedClassifier> {
        Some(crate::SavedClassifier::Forest(self.clone()))
    }
}
