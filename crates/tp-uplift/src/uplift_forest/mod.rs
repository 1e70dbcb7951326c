//! Uplift random forests for a binary outcome, binary or multi-arm
//! (Rzepakowski & Jaroszewicz 2012; Guelman et al. 2015), the peer being
//! causalml's `UpliftRandomForestClassifier`.
//!
//! Trees come in groups of `ci_group_size` (default 2) that share one
//! half-sample of the rows (⌊n/2⌋ drawn without replacement); each tree
//! grows on a bootstrap of its group's half-sample (as many draws as the
//! half has rows). This is what makes the forest's variance estimable by
//! the bootstrap of little bags ([`interval`]): the uplift of every point
//! comes with a standard error and an interval, and every training row has
//! an out-of-bag estimate from the groups whose half-sample excluded it.
//! With `ci_group_size(1)` each tree instead grows on a bootstrap of all n
//! rows (causalml's sampling) and there are no standard errors.
//!
//! **The intervals are approximate.** The trees are not honest (the rows
//! that choose a split also fill its leaves) and bootstrap within their
//! half-sample, so the little-bags variance leaves out the adaptivity of
//! the splits and the forest's smoothing bias; their coverage of the true
//! uplift is measured, not promised (`cargo xtask bench coverage`,
//! docs/benchmarks.md). Prefer the causal forest's intervals where
//! coverage matters.
//!
//! Trees grow over the histogram bins of the covariates (≤ 255 per feature, NaN with
//! its own code and sent to whichever side scores better). At every node
//! `max_features` features are drawn, every bin boundary is tried, and the
//! split maximizing the divergence gain of [`Divergence`] (KL, ED, Chi or
//! CTS, with causalml's shrinkage of child rates toward the parent by
//! `n_reg` pseudo-rows and its normalization factor, see [`norm_i`]) wins,
//! provided both children keep `min_samples_leaf` rows and
//! `min_samples_treatment` rows of every arm, and the gain is positive.
//! Leaves store the raw positive rate of every arm; the forest predicts,
//! per treated arm k, the mean over trees of p̂ₖ − p̂₀ of the row's leaf.
//!
//! Candidate thresholds are all bin boundaries (causalml 0.18 tries every
//! threshold; its legacy trees tried 11 percentiles of the node's values).
//! `max_depth` counts split levels (a tree of depth d has at most 2ᵈ
//! leaves), as causalml 0.18's `max_depth` does (its legacy trees counted
//! the root as depth 1, so their `max_depth = d + 1` gave d levels).
//!
//! Trees are grown in parallel; group j draws its half-sample from
//! `stream(derive_seed_str(seed, "half"), j)`, tree t its bootstrap and
//! features from `stream(seed, t)`, and the forest is assembled in tree order, so the
//! same seed gives the same forest at any number of threads. The fitted
//! forest uses the causal forest's compact storage and is serializable.
//!
//! ```
//! use tp_core::{CausalData, faer::Mat};
//! use tp_uplift::{Divergence, UpliftForest};
//!
//! // purchase rate 0.1 in control; the offer adds 0.3 when x > 0
//! let n = 4000;
//! let x = Mat::from_fn(n, 1, |i, _| ((i * 37) % 200) as f64 / 100.0 - 1.0);
//! let arms: Vec<usize> = (0..n).map(|i| (i / 7) % 2).collect();
//! let y: Vec<f64> = (0..n)
//!     .map(|i| {
//!         let p = 0.1 + if arms[i] == 1 && x[(i, 0)] > 0.0 { 0.3 } else { 0.0 };
//!         f64::from(((i * 7919) % 1000) as f64 / 1000.0 < p)
//!     })
//!     .collect();
//! let data = CausalData::builder(x, vec!["x".into()], arms, y).build().unwrap();
//! let model = UpliftForest::params().criterion(Divergence::Kl).n_trees(20).seed(1).fit(&data).unwrap();
//! let probe = Mat::from_fn(2, 1, |i, _| if i == 0 { -0.5 } else { 0.5 });
//! let uplift = model.predict(probe.as_ref()).unwrap();
//! assert!(uplift[(0, 0)] < 0.1 && uplift[(1, 0)] > 0.2);
//! // standard errors and 90% intervals (little bags), here and out of bag
//! let ci = model.predict_interval(probe.as_ref(), 0.9).unwrap();
//! assert!(ci.se[(1, 0)] > 0.0 && ci.lo[(1, 0)] < uplift[(1, 0)]);
//! assert_eq!(model.oob_interval(0.9).unwrap().tau.nrows(), n);
//! ```

mod criterion;
pub mod interval;

pub use criterion::{Divergence, norm_i};
pub use interval::UpliftPrediction;

use crate::forest::store::{FlatForest, FlatTree};
use crate::{Result, UpliftError};
use criterion::summary;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::CausalData;
use tp_core::faer::{Mat, MatRef};
use tp_core::rng::{TpRng, derive_seed_str, stream};
use tp_learn::tree::{BinMapper, BinnedMatrix};

/// Largest number of arms (control included).
const MAX_ARMS: usize = 8;

/// Uplift random forest parameters (builder). Defaults follow causalml's
/// `UpliftRandomForestClassifier`: 10 trees, KL, `max_features` 10,
/// depth 4 split levels (legacy causalml's `max_depth = 5`; causalml 0.18
/// counts split levels and its default 5 is one level deeper), `min_samples_leaf`
/// 100, `min_samples_treatment` 10, `n_reg` 10, normalization on; and
/// `ci_group_size` 2 (trees in pairs on shared half-samples, for standard
/// errors; causalml bootstraps all rows, which is `ci_group_size(1)`).
#[derive(Debug, Clone, PartialEq)]
pub struct UpliftForest {
    n_trees: usize,
    criterion: Divergence,
    max_features: usize,
    max_depth: usize,
    min_samples_leaf: usize,
    min_samples_treatment: usize,
    n_reg: f64,
    normalization: bool,
    ci_group_size: usize,
    seed: u64,
}

impl Default for UpliftForest {
    fn default() -> Self {
        Self::params()
    }
}

fn invalid(name: &str, value: impl std::fmt::Display, expected: &str) -> UpliftError {
    UpliftError::InvalidParameter { name: name.into(), value: value.to_string(), expected: expected.into() }
}

impl UpliftForest {
    /// The defaults listed on the type.
    pub fn params() -> Self {
        Self {
            n_trees: 10,
            criterion: Divergence::Kl,
            max_features: 10,
            max_depth: 4,
            min_samples_leaf: 100,
            min_samples_treatment: 10,
            n_reg: 10.0,
            normalization: true,
            ci_group_size: 2,
            seed: 0,
        }
    }
    /// Number of trees.
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }
    /// Split criterion.
    pub fn criterion(mut self, c: Divergence) -> Self {
        self.criterion = c;
        self
    }
    /// Features tried per node (capped at the number of features).
    pub fn max_features(mut self, m: usize) -> Self {
        self.max_features = m;
        self
    }
    /// Split levels (root = depth 0).
    pub fn max_depth(mut self, d: usize) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum rows (bootstrap duplicates counted) in each child.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
    /// Minimum rows of every arm in each child; also the count at or below
    /// which a child's rate is its parent's.
    pub fn min_samples_treatment(mut self, n: usize) -> Self {
        self.min_samples_treatment = n;
        self
    }
    /// Pseudo-rows of the parent's rate mixed into a child's rate.
    pub fn n_reg(mut self, n: f64) -> Self {
        self.n_reg = n;
        self
    }
    /// Divide KL, ED and Chi gains by the normalization factor. Default true.
    pub fn normalization(mut self, yes: bool) -> Self {
        self.normalization = yes;
        self
    }
    /// Trees per half-sample group (default 2; 1 = causalml's bootstrap of
    /// all rows, without standard errors). The number of trees is rounded
    /// up to a multiple of it.
    pub fn ci_group_size(mut self, g: usize) -> Self {
        self.ci_group_size = g;
        self
    }
    /// Seed of every random draw. Default 0.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    fn validate(&self, data: &CausalData) -> Result<()> {
        if !(2..=MAX_ARMS).contains(&data.n_arms()) {
            return Err(invalid("arms", format!("{} arms", data.n_arms()), "2 to 8 arms (control = 0)"));
        }
        if let Some(row) = data.outcome().iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(UpliftError::NotBinary {
                what: "outcome".into(),
                row,
                value: data.outcome()[row],
                hint: "the uplift forest needs a binary outcome; use the causal forest for continuous ones"
                    .into(),
            });
        }
        if data.weights().is_some() {
            return Err(invalid(
                "weights",
                "sample weights",
                "unweighted data (the uplift forest ignores none)",
            ));
        }
        let checks = [
            (self.n_trees >= 1, "n_trees", self.n_trees.to_string(), "at least 1"),
            (self.max_features >= 1, "max_features", self.max_features.to_string(), "at least 1"),
            (self.min_samples_leaf >= 1, "min_samples_leaf", self.min_samples_leaf.to_string(), "at least 1"),
            (self.n_reg >= 0.0, "n_reg", self.n_reg.to_string(), "a value ≥ 0"),
            (self.ci_group_size >= 1, "ci_group_size", self.ci_group_size.to_string(), "at least 1"),
            (
                self.ci_group_size == 1 || data.n() >= 4,
                "rows",
                data.n().to_string(),
                "at least 4 rows for half-sample groups",
            ),
        ];
        for (ok, name, value, expected) in checks {
            if !ok {
                return Err(invalid(name, value, expected));
            }
        }
        Ok(())
    }

    /// Grows the forest.
    pub fn fit(&self, data: &CausalData) -> Result<UpliftForestModel> {
        self.validate(data)?;
        let (n, k) = (data.n(), data.n_arms());
        let x = data.covariates();
        let mapper = BinMapper::fit(x, 255, &mut stream(derive_seed_str(self.seed, "bins"), 0));
        let binned = mapper.transform(x);
        let grower = Grower {
            data: &binned,
            arms: data.arms(),
            y: data.outcome(),
            k,
            params: self,
            mtry: self.max_features.min(data.p()).max(1),
        };
        let g = self.ci_group_size;
        let n_groups = self.n_trees.div_ceil(g);
        // per group: its half-sample as a bitset (none when g = 1: each tree bootstraps all rows)
        let grown: Vec<(Vec<Grown>, Option<Vec<u64>>)> = (0..n_groups)
            .into_par_iter()
            .map(|grp| {
                let half: Option<Vec<u32>> = (g > 1).then(|| {
                    let mut rng = stream(derive_seed_str(self.seed, "half"), grp as u64);
                    let mut h: Vec<u32> =
                        rand::seq::index::sample(&mut rng, n, n / 2).into_iter().map(|i| i as u32).collect();
                    h.sort_unstable();
                    h
                });
                let trees = (0..g)
                    .into_par_iter()
                    .map(|j| {
                        let t = grp * g + j;
                        let mut rng = stream(self.seed, t as u64);
                        let rows: Vec<u32> = match &half {
                            Some(h) => (0..h.len()).map(|_| h[rng.random_range(0..h.len())]).collect(),
                            None => (0..n).map(|_| rng.random_range(0..n as u32)).collect(),
                        };
                        grower.tree(rows, &mut rng)
                    })
                    .collect();
                (trees, half.map(|h| bitset(&h, n)))
            })
            .collect();
        let mut bags = Vec::new();
        let grown: Vec<Grown> = grown
            .into_iter()
            .flat_map(|(trees, bag)| {
                bags.extend(bag);
                trees
            })
            .collect();
        let mut importance = vec![0.0; data.p()];
        let mut trees = Vec::with_capacity(grown.len());
        for (tree, imp) in grown {
            importance.iter_mut().zip(&imp).for_each(|(a, b)| *a += b);
            trees.push(tree);
        }
        let total: f64 = importance.iter().sum();
        if total > 0.0 {
            importance.iter_mut().for_each(|v| *v /= total);
        }
        let forest = FlatForest::new(&mapper, k, trees);
        let oob = (g > 1).then(|| oob_estimates(&forest, &binned, &bags, g, k));
        Ok(UpliftForestModel { forest, n_arms: k, importance, group_size: g, oob })
    }
}

/// A bitset of `rows` over `n` rows.
fn bitset(rows: &[u32], n: usize) -> Vec<u64> {
    let mut b = vec![0u64; n.div_ceil(64)];
    for &r in rows {
        b[r as usize / 64] |= 1 << (r % 64);
    }
    b
}

/// Out-of-bag uplift and little-bags variance of every training row, from
/// the groups whose half-sample excluded it; `n × (K − 1)`.
fn oob_estimates(forest: &FlatForest, binned: &BinnedMatrix, bags: &[Vec<u64>], g: usize, k: usize) -> Oob {
    let per_row: Vec<Vec<(f64, f64)>> = (0..binned.n_rows())
        .into_par_iter()
        .map_init(Vec::new, |vals: &mut Vec<f64>, i| {
            let code = |f: usize| binned.column(f)[i];
            let out_groups: Vec<usize> =
                (0..bags.len()).filter(|&j| bags[j][i / 64] & (1 << (i % 64)) == 0).collect();
            row_estimates(forest, k, g, &out_groups, |t| forest.leaf(t, code), vals)
        })
        .collect();
    let (tau, se) = estimate_matrices(&per_row, k);
    Oob { tau, se }
}

/// Mean uplift and little-bags variance of one row, per treated arm, from
/// the trees of `groups` (group j = trees j·g .. (j + 1)·g, voting in that
/// order); `leaf(t)` is the row's leaf in tree t. The one path of the
/// out-of-bag and the new-row intervals, which differ only in the groups.
fn row_estimates(
    forest: &FlatForest,
    k: usize,
    g: usize,
    groups: &[usize],
    leaf: impl Fn(usize) -> usize,
    vals: &mut Vec<f64>,
) -> Vec<(f64, f64)> {
    (1..k)
        .map(|a| {
            vals.clear();
            for &j in groups {
                for t in j * g..(j + 1) * g {
                    let leaf = forest.payload(leaf(t));
                    vals.push(leaf[a] - leaf[0]);
                }
            }
            interval::mean_and_variance(vals, g)
        })
        .collect()
}

/// Per-row (mean, variance) of every treated arm as `n × (K − 1)` estimate
/// and standard-error matrices.
fn estimate_matrices(per_row: &[Vec<(f64, f64)>], k: usize) -> (Mat<f64>, Mat<f64>) {
    let n = per_row.len();
    (Mat::from_fn(n, k - 1, |i, a| per_row[i][a].0), Mat::from_fn(n, k - 1, |i, a| per_row[i][a].1.sqrt()))
}

/// Out-of-bag estimates kept with a freshly fitted model (not saved).
#[derive(Debug, Clone)]
struct Oob {
    tau: Mat<f64>,
    se: Mat<f64>,
}

struct Grower<'a> {
    data: &'a BinnedMatrix,
    arms: &'a [usize],
    y: &'a [f64],
    k: usize,
    params: &'a UpliftForest,
    mtry: usize,
}

/// A grown tree and its per-feature importance.
type Grown = (FlatTree, Vec<f64>);

/// Per-arm (rows, positives).
type Counts = [[f64; 2]; MAX_ARMS];

impl Grower<'_> {
    fn counts(&self, rows: &[u32]) -> Counts {
        let mut c = [[0.0; 2]; MAX_ARMS];
        for &r in rows {
            let r = r as usize;
            c[self.arms[r]][0] += 1.0;
            c[self.arms[r]][1] += self.y[r];
        }
        c
    }

    /// One tree and its per-feature importance (Σ of n-weighted gains).
    fn tree(&self, mut rows: Vec<u32>, rng: &mut TpRng) -> (FlatTree, Vec<f64>) {
        let mut out = FlatTree::default();
        let mut imp = vec![0.0; self.data.n_features()];
        let mut features: Vec<usize> = (0..self.data.n_features()).collect();
        self.node(&mut rows, 0, None, rng, &mut features, &mut out, &mut imp);
        (out, imp)
    }

    #[allow(clippy::too_many_arguments)]
    fn node(
        &self,
        rows: &mut [u32],
        depth: usize,
        parent: Option<&[f64]>,
        rng: &mut TpRng,
        features: &mut [usize],
        out: &mut FlatTree,
        imp: &mut [f64],
    ) {
        let k = self.k;
        let p = self.params;
        let counts = self.counts(rows);
        let mut cur = [0.0; MAX_ARMS];
        summary(&counts[..k], parent, p.min_samples_treatment, p.n_reg, &mut cur[..k]);
        let best = if depth < p.max_depth && rows.len() >= 2 * p.min_samples_leaf {
            self.best_split(rows, &counts, &cur, rng, features)
        } else {
            None
        };
        let at = out.n_nodes();
        let Some(split) = best else {
            let leaf = out.leaves.len() / k;
            out.push(u32::MAX, 0, false, leaf as u32);
            out.leaves.extend(counts[..k].iter().map(|&[n, pos]| if n > 0.0 { pos / n } else { 0.0 }));
            return;
        };
        imp[split.feature] += split.gain_for_importance;
        out.push(split.feature as u32, split.bin, split.nan_left, 0);
        let col = self.data.column(split.feature);
        let nan = self.data.nan_code(split.feature);
        let goes_left = |r: &u32| {
            let b = col[*r as usize];
            if b == nan { split.nan_left } else { b <= split.bin }
        };
        let mid = partition(rows, goes_left);
        let (left, right) = rows.split_at_mut(mid);
        self.node(left, depth + 1, Some(&cur[..k]), rng, features, out, imp);
        out.child[at] = out.n_nodes() as u32;
        self.node(right, depth + 1, Some(&cur[..k]), rng, features, out, imp);
    }

    fn best_split(
        &self,
        rows: &[u32],
        counts: &Counts,
        cur: &[f64; MAX_ARMS],
        rng: &mut TpRng,
        features: &mut [usize],
    ) -> Option<Split> {
        let (k, p) = (self.k, self.params);
        let pf = features.len();
        features.sort_unstable();
        for i in 0..self.mtry {
            let j = rng.random_range(i..pf);
            features.swap(i, j);
        }
        let n = rows.len() as f64;
        let cur_score = p.criterion.score(&cur[..k]);
        let n_cur: Vec<f64> = counts[..k].iter().map(|c| c[0]).collect();
        let mut best: Option<Split> = None;
        let mut hist: Vec<Counts> = Vec::new();
        let (mut ls, mut rs) = ([0.0; MAX_ARMS], [0.0; MAX_ARMS]);
        let mut tried: Vec<usize> = features[..self.mtry].to_vec();
        tried.sort_unstable();
        for &f in &tried {
            let slots = self.data.n_slots(f);
            let nan_code = self.data.nan_code(f) as usize;
            hist.clear();
            hist.resize(slots, [[0.0; 2]; MAX_ARMS]);
            let col = self.data.column(f);
            for &r in rows {
                let r = r as usize;
                let h = &mut hist[col[r] as usize][self.arms[r]];
                h[0] += 1.0;
                h[1] += self.y[r];
            }
            let nan = hist[nan_code];
            let has_nan = nan[..k].iter().any(|c| c[0] > 0.0);
            let mut left: Counts = [[0.0; 2]; MAX_ARMS];
            for (b, bin) in hist.iter().enumerate().take(nan_code.saturating_sub(1)) {
                if bin[..k].iter().all(|c| c[0] == 0.0) {
                    continue;
                }
                for a in 0..k {
                    left[a][0] += bin[a][0];
                    left[a][1] += bin[a][1];
                }
                for nan_left in if has_nan { [false, true].as_slice() } else { [true].as_slice() } {
                    let mut l = left;
                    if *nan_left && has_nan {
                        for a in 0..k {
                            l[a][0] += nan[a][0];
                            l[a][1] += nan[a][1];
                        }
                    }
                    let mut r = [[0.0; 2]; MAX_ARMS];
                    for a in 0..k {
                        r[a] = [counts[a][0] - l[a][0], counts[a][1] - l[a][1]];
                    }
                    let nl: f64 = l[..k].iter().map(|c| c[0]).sum();
                    let nr = n - nl;
                    let min_leaf = p.min_samples_leaf as f64;
                    if nl < min_leaf || nr < min_leaf {
                        continue;
                    }
                    let mst = p.min_samples_treatment as f64;
                    if l[..k].iter().chain(&r[..k]).any(|c| c[0] < mst) {
                        continue;
                    }
                    summary(&l[..k], Some(&cur[..k]), p.min_samples_treatment, p.n_reg, &mut ls[..k]);
                    summary(&r[..k], Some(&cur[..k]), p.min_samples_treatment, p.n_reg, &mut rs[..k]);
                    let (sl, sr) = (p.criterion.score(&ls[..k]), p.criterion.score(&rs[..k]));
                    let q = nl / n;
                    let (mut gain, gain_imp) = if p.criterion == Divergence::Cts {
                        (cur_score - q * sl - (1.0 - q) * sr, n * cur_score - nl * sl - nr * sr)
                    } else {
                        (q * sl + (1.0 - q) * sr - cur_score, nl * sl + nr * sr - n * cur_score)
                    };
                    if p.normalization && p.criterion.normalized() {
                        let n_left: Vec<f64> = l[..k].iter().map(|c| c[0]).collect();
                        gain /= norm_i(&n_cur, &n_left);
                    }
                    if gain > best.as_ref().map_or(0.0, |s| s.gain) {
                        best = Some(Split {
                            feature: f,
                            bin: b as u8,
                            nan_left: *nan_left && has_nan,
                            gain,
                            gain_for_importance: gain_imp,
                        });
                    }
                }
            }
        }
        best
    }
}

struct Split {
    feature: usize,
    bin: u8,
    nan_left: bool,
    gain: f64,
    gain_for_importance: f64,
}

/// Moves the rows for which `left` holds to the front; returns their count.
fn partition(rows: &mut [u32], left: impl Fn(&u32) -> bool) -> usize {
    let mut mid = 0;
    for i in 0..rows.len() {
        if left(&rows[i]) {
            rows.swap(mid, i);
            mid += 1;
        }
    }
    mid
}

/// A fitted uplift random forest (see [`UpliftForest`]); serializable.
/// Deserialization validates the model ([`validate`](Self::validate)): a
/// malformed one is an error naming what is wrong.
#[derive(Debug, Clone, Serialize, Deserialize)]
// deserialization goes through `UpliftForestForm`: its field attributes (defaults, null → NaN) apply
#[serde(try_from = "UpliftForestForm")]
pub struct UpliftForestModel {
    forest: FlatForest,
    n_arms: usize,
    importance: Vec<f64>,
    /// Trees per half-sample group (1: no standard errors); models saved
    /// before groups existed load as 1.
    group_size: usize,
    #[serde(skip)]
    oob: Option<Oob>,
}

fn one() -> usize {
    1
}

/// The unchecked on-disk form of an [`UpliftForestModel`].
#[derive(Deserialize)]
struct UpliftForestForm {
    forest: FlatForest,
    n_arms: usize,
    importance: Vec<f64>,
    #[serde(default = "one")]
    group_size: usize,
}

impl TryFrom<UpliftForestForm> for UpliftForestModel {
    type Error = UpliftError;

    fn try_from(f: UpliftForestForm) -> Result<Self> {
        let model = UpliftForestModel {
            forest: f.forest,
            n_arms: f.n_arms,
            importance: f.importance,
            group_size: f.group_size,
            oob: None,
        };
        model.validate()?;
        Ok(model)
    }
}

impl UpliftForestModel {
    /// Predicted uplift p̂ₖ(x) − p̂₀(x) of every treated arm: `n × (K − 1)`.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let p = self.forest.n_features();
        if x.ncols() != p {
            return Err(UpliftError::Shape {
                what: "covariates to predict".into(),
                expected: format!("{p} columns (as in training)"),
                got: x.ncols().to_string(),
            });
        }
        let (n, k) = (x.nrows(), self.n_arms);
        let mut out = vec![0.0; n * (k - 1)];
        let trees = self.forest.n_trees() as f64;
        out.par_chunks_mut(256 * (k - 1)).enumerate().for_each(|(c, chunk)| {
            let start = c * 256;
            let rows = chunk.len() / (k - 1);
            let mut codes = Vec::new();
            self.forest.bin_rows(x, start..start + rows, &mut codes);
            for i in 0..rows {
                let o = &mut chunk[i * (k - 1)..(i + 1) * (k - 1)];
                for t in 0..self.forest.n_trees() {
                    let leaf = self.forest.payload(self.forest.leaf(t, |f| codes[i * p + f]));
                    for a in 1..k {
                        o[a - 1] += leaf[a] - leaf[0];
                    }
                }
                o.iter_mut().for_each(|v| *v /= trees);
            }
        });
        Ok(Mat::from_fn(n, k - 1, |i, a| out[i * (k - 1) + a]))
    }

    /// [`predict`](Self::predict) with little-bags standard errors and
    /// two-sided normal intervals at `level` (e.g. 0.9).
    pub fn predict_interval(&self, x: MatRef<'_, f64>, level: f64) -> Result<UpliftPrediction> {
        self.check_intervals(level)?;
        let p = self.forest.n_features();
        if x.ncols() != p {
            return Err(UpliftError::Shape {
                what: "covariates to predict".into(),
                expected: format!("{p} columns (as in training)"),
                got: x.ncols().to_string(),
            });
        }
        let (n, k, g) = (x.nrows(), self.n_arms, self.group_size);
        let groups: Vec<usize> = (0..self.forest.n_trees() / g).collect();
        let rows: Vec<Vec<(f64, f64)>> = (0..n)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(codes, vals): &mut (Vec<u8>, Vec<f64>), i| {
                    self.forest.bin_rows(x, i..i + 1, codes);
                    row_estimates(&self.forest, k, g, &groups, |t| self.forest.leaf(t, |f| codes[f]), vals)
                },
            )
            .collect();
        let (tau, se) = estimate_matrices(&rows, k);
        Ok(UpliftPrediction::new(tau, se, level))
    }

    /// Out-of-bag uplift of every training row with little-bags standard
    /// errors and intervals at `level`: only the groups whose half-sample
    /// excluded the row vote (NaN for a row inside every half-sample, which
    /// needs few groups: probability 2⁻ᴳ). Available on the fitted model,
    /// not on one loaded from a file.
    pub fn oob_interval(&self, level: f64) -> Result<UpliftPrediction> {
        self.check_intervals(level)?;
        let Some(oob) = &self.oob else {
            return Err(invalid(
                "out-of-bag estimates",
                "a model loaded from a file",
                "the model returned by fit (out-of-bag estimates are not saved)",
            ));
        };
        Ok(UpliftPrediction::new(oob.tau.clone(), oob.se.clone(), level))
    }

    fn check_intervals(&self, level: f64) -> Result<()> {
        if self.group_size < 2 {
            return Err(invalid(
                "ci_group_size",
                self.group_size,
                "at least 2 for standard errors (refit with ci_group_size(2))",
            ));
        }
        if !(level > 0.0 && level < 1.0) {
            return Err(invalid("level", level, "a coverage in (0, 1), e.g. 0.9"));
        }
        Ok(())
    }

    /// Trees per half-sample group (1: grown without little bags).
    pub fn ci_group_size(&self) -> usize {
        self.group_size
    }

    /// Per-arm positive rates p̂ₖ(x) averaged over trees: `n × K`, control first.
    pub fn predict_rates(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let uplift = self.predict(x)?;
        let p = self.forest.n_features();
        let mut codes = Vec::new();
        self.forest.bin_rows(x, 0..x.nrows(), &mut codes);
        let control: Vec<f64> = (0..x.nrows())
            .into_par_iter()
            .map(|i| {
                (0..self.forest.n_trees())
                    .map(|t| self.forest.payload(self.forest.leaf(t, |f| codes[i * p + f]))[0])
                    .sum::<f64>()
                    / self.forest.n_trees() as f64
            })
            .collect();
        Ok(Mat::from_fn(x.nrows(), self.n_arms, |i, a| {
            if a == 0 { control[i] } else { control[i] + uplift[(i, a - 1)] }
        }))
    }

    /// Split-gain feature importance (n-weighted gains summed over splits,
    /// normalized to sum to 1; zeros when no tree split).
    pub fn feature_importance(&self) -> &[f64] {
        &self.importance
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.forest.n_trees()
    }

    /// Number of covariates the forest was trained on.
    pub fn n_features(&self) -> usize {
        self.forest.n_features()
    }

    /// Number of arms, control included.
    pub fn n_arms(&self) -> usize {
        self.n_arms
    }

    /// Checks a deserialized model for internal consistency (run by
    /// deserialization itself; the error names what is wrong).
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| UpliftError::CorruptModel { reason: format!("uplift forest: {reason}") };
        self.forest.check().map_err(bad)?;
        if self.group_size == 0 || !self.forest.n_trees().is_multiple_of(self.group_size) {
            return Err(bad(format!(
                "{} trees do not form whole groups of {}",
                self.forest.n_trees(),
                self.group_size
            )));
        }
        if !(2..=MAX_ARMS).contains(&self.n_arms) || self.forest.width() != self.n_arms {
            return Err(bad(format!(
                "{} arms (2..={MAX_ARMS}) with leaf width {}; they must be equal",
                self.n_arms,
                self.forest.width()
            )));
        }
        if self.importance.len() != self.forest.n_features() || self.importance.iter().any(|v| !v.is_finite())
        {
            return Err(bad(format!(
                "the importance is not one finite value per feature ({} values, {} features)",
                self.importance.len(),
                self.forest.n_features()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_stump_finds_the_uplift_step_with_every_criterion() {
        // uplift 0.4 where x0 > 0, none elsewhere; x1 is noise
        let n = 4000;
        let x = Mat::from_fn(n, 2, |i, j| (((i * (13 + 17 * j)) % 400) as f64) / 200.0 - 1.0);
        let arms: Vec<usize> = (0..n).map(|i| (i / 3) % 2).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let p = 0.2 + if arms[i] == 1 && x[(i, 0)] > 0.0 { 0.4 } else { 0.0 };
                f64::from(((i * 7919 + 13) % 997) as f64 / 997.0 < p)
            })
            .collect();
        let data = CausalData::builder(x.clone(), vec!["a".into(), "b".into()], arms, y).build().unwrap();
        for c in [Divergence::Kl, Divergence::Ed, Divergence::Chi, Divergence::Cts] {
            let m = UpliftForest::params()
                .criterion(c)
                .n_trees(1)
                .ci_group_size(1)
                .max_features(2)
                .max_depth(1)
                .fit(&data)
                .unwrap();
            let probe = Mat::from_fn(2, 2, |i, _| if i == 0 { -0.5 } else { 0.5 });
            let u = m.predict(probe.as_ref()).unwrap();
            assert!(u[(0, 0)].abs() < 0.1 && (u[(1, 0)] - 0.4).abs() < 0.1, "{c:?}: {u:?}");
            assert!(m.feature_importance()[0] > 0.99, "{c:?}");
        }
    }
}
