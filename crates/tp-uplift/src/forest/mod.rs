//! Honest causal forests in the sense of GRF (Athey, Tibshirani & Wager
//! 2019; Wager & Athey 2018), binary or multi-arm, on tp-learn's histogram
//! tree engine.
//!
//! 1. *Local centering*: Ỹ = Y − m̂(X) and W̃ = W − ê(X), where W is the
//!    vector of the K − 1 treated-arm indicators, with out-of-bag
//!    predictions of tp-learn regression forests of max(50, trees/4) trees
//!    on half-subsamples (as grf does; one 0/1 target per treated arm for
//!    ê), or user-supplied nuisances; known propensities in the data are
//!    used for ê.
//! 2. *Trees*: in groups of `ci_group_size` sharing one half-sample of the
//!    rows; each tree subsamples without replacement (`sample_fraction` × n
//!    rows), chooses splits on one half of its rows (honesty) with the
//!    gradient-based criterion (vector pseudo-outcomes ρ relabeled exactly
//!    in every node from mergeable sums of (1, W̃, Ỹ, W̃Ỹ, W̃W̃ᵀ), so
//!    tp-learn's histogram engine and its subtraction trick apply
//!    unchanged; gain Σ_children Σ_k (Σρ_k)²/n_child, grf's multi-arm rule),
//!    and fills its leaves with the other half. Children need
//!    `min_node_size` rows of every arm and at least `alpha` × the parent's.
//!    [`SplitRule::Exact`] scores splits instead by the exact drop in the
//!    children's least-squares residuals of Ỹ ≈ μ + W̃ᵀτ (EconML's
//!    `criterion='mse'`), from the same sums: it also splits where the level
//!    of Ỹ moves, which absorbs what m̂ missed. On ACIC 2016 it is the better
//!    rule where effects vary and the worse where they are constant
//!    (docs/benchmarks.md), and small leaves help where τ varies, hurt where
//!    it does not; so neither is fixed: *tuning* (module `tune`,
//!    [`Tuning`], on by default from 300 trees) picks the rule and
//!    `min_node_size` ∈ {1, 2, 5} by the out-of-bag R-loss of small forests,
//!    debiased for their Monte Carlo error, then grows the full forest.
//!    Without tuning: the gradient rule, 5 rows per arm (grf's).
//! 3. *Prediction*: forest weights αᵢ(x) = mean over trees of
//!    1{i ∈ leaf(x)}/|leaf(x)| over the estimation rows; τ̂(x) ∈ ℝᴷ⁻¹ solves
//!    the weighted moment Σα(W̃ − W̄_α)(W̃ − W̄_α)ᵀ τ = Σα(W̃ − W̄_α)(Ỹ − Ȳ_α).
//!    Leaves store the means of (W̃, Ỹ, W̃Ỹ, W̃W̃ᵀ) of their estimation rows,
//!    so α is never materialized (a leaf costs 4 f64 for a binary
//!    treatment, fewer bytes than grf's sample ids once a leaf holds two
//!    rows). Trees whose leaf for x has no estimation row are skipped.
//! 4. *Variance* by the bootstrap of little bags, as grf computes it: with
//!    the forest averages Ā, B̄, AB̄, AĀ, M = AĀ − ĀĀᵀ, τ̂ and μ = B̄ − Āᵀτ̂,
//!    each tree's leaf means give ψ_t = (ab_t − aa_t τ̂ − a_t μ) −
//!    Ā(b_t − a_tᵀτ̂ − μ), projected φ_t = M⁻¹ψ_t. Per arm, over the G
//!    groups all of whose trees contribute, V_between = mean of the squared
//!    group means of φ, V_total = mean of φ², the group noise
//!    N = (V_total − V_between)/(g − 1), and Var τ̂ = debias(V_between, N),
//!    grf's objective-Bayes correction of V_between − N (stays positive):
//!    with s = max(V_between, N)·√(2/G) and r = (V_between − N)/s,
//!    debias = V_between − N + s·φ(r)/Φ(r).
//! 5. *Storage*: the fitted trees are flat per-field vectors in one buffer
//!    (module `store`: 10 bytes a node, splits on bin codes, the cut points
//!    kept once) and serde-serializable; prediction bins each chunk of rows
//!    on the fly and never copies the forest; in-bag sets exist only during
//!    the fit (one bitset per half-sample group).
//!
//! Trees are grown in parallel with rayon: group g draws its half-sample
//! from `stream(derive_seed_str(seed, "half"), g)` and tree t its subsample,
//! honesty split and mtry draws from `stream(seed, t)`; results are
//! collected in tree order, so the same seed gives the same forest at any
//! number of threads. Per-thread memory is one tree's rows and histograms,
//! so the peak does not grow with the number of threads beyond that.
//!
//! ```
//! use tp_core::{CausalData, faer::Mat};
//! use tp_uplift::CausalForest;
//!
//! // a randomized trial where the effect is 2 when x > 0 and 0 otherwise
//! let n = 800;
//! let x = Mat::from_fn(n, 2, |i, j| ((i * (7 + 5 * j)) % 97) as f64 / 48.0 - 1.0);
//! let arms: Vec<usize> = (0..n).map(|i| (i / 3) % 2).collect();
//! let y: Vec<f64> = (0..n).map(|i| if arms[i] == 1 && x[(i, 0)] > 0.0 { 2.0 } else { 0.0 }).collect();
//! let data = CausalData::builder(x, vec!["x".into(), "z".into()], arms, y).build().unwrap();
//! let model = CausalForest::params().n_trees(100).seed(1).fit(&data).unwrap();
//! let probe = Mat::from_fn(2, 2, |i, _| if i == 0 { -0.5 } else { 0.5 });
//! let (tau, se) = model.predict(probe.as_ref()).unwrap();
//! assert!(tau[0] < 0.5 && tau[1] > 1.5 && se[1] > 0.0);
//! let (ate, ate_se) = model.ate();
//! assert!(ate > 0.5 && ate < 1.5 && ate_se > 0.0);
//! ```

mod calibrate;
mod criterion;
mod model;
mod predict;
mod tune;
pub(crate) use predict::debias;
pub(crate) mod store;

pub use calibrate::{EffectCalibration, Intervals};
pub use model::{ArmEffects, CausalForestModel, ForestPrediction};

use crate::{Result, UpliftError};
pub use criterion::SplitRule;
pub use tune::{LEAF_SIZES, TUNE_TREES, TuneCandidate, TuneReport, Tuning};

use criterion::{CausalCriterion, MAX_TREATED, Moments};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use store::{FlatForest, FlatTree};
use tp_core::CausalData;
use tp_core::rng::{derive_seed_str, stream};
use tp_learn::RandomForestRegressor;
use tp_learn::tree::{BinMapper, TreeParams, grow_tree_routing};

/// Causal forest parameters (builder). Defaults follow grf: 2,000 trees,
/// `sample_fraction` 0.5, `min_node_size` 5 (per arm), mtry = min(⌈√p + 20⌉, p),
/// honesty with half of each tree's rows for splitting, `alpha` 0.05,
/// `ci_group_size` 2, unlimited depth, nuisance forests of max(50, trees/4)
/// trees (grf's `causal_forest`). With [`Tuning::Auto`] (default) the split
/// rule and `min_node_size` are chosen by out-of-bag R-loss over a fixed
/// grid when the forest has at least 300 trees (see [`Tuning`]); a rule or
/// leaf size set explicitly is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct CausalForest {
    n_trees: usize,
    sample_fraction: f64,
    min_node_size: usize,
    mtry: Option<usize>,
    max_depth: usize,
    honesty: bool,
    honesty_fraction: f64,
    alpha: f64,
    ci_group_size: usize,
    split_rule: SplitRule,
    /// whether `min_node_size` / `split_rule` were set (then tuning keeps them)
    leaf_set: bool,
    rule_set: bool,
    tuning: Tuning,
    intervals: Intervals,
    nuisance_trees: Option<usize>,
    y_hat: Option<Vec<f64>>,
    w_hat: Option<Vec<f64>>,
    /// grow on the pilot forest's important covariates (see [`CausalForest::select_variables`])
    select_variables: bool,
    /// the covariates trees may split on (`None`: all); set by the selection step
    features: Option<Vec<usize>>,
    seed: u64,
}

impl Default for CausalForest {
    fn default() -> Self {
        Self::params()
    }
}

fn invalid(name: &str, value: impl std::fmt::Display, expected: &str) -> UpliftError {
    UpliftError::InvalidParameter { name: name.into(), value: value.to_string(), expected: expected.into() }
}

impl CausalForest {
    /// The defaults listed on the type.
    pub fn params() -> Self {
        Self {
            n_trees: 2000,
            sample_fraction: 0.5,
            min_node_size: 5,
            mtry: None,
            max_depth: 64,
            honesty: true,
            honesty_fraction: 0.5,
            alpha: 0.05,
            ci_group_size: 2,
            split_rule: SplitRule::Gradient,
            leaf_set: false,
            rule_set: false,
            tuning: Tuning::Auto,
            intervals: Intervals::default(),
            nuisance_trees: None,
            y_hat: None,
            w_hat: None,
            select_variables: false,
            features: None,
            seed: 0,
        }
    }
    /// Number of trees (rounded up to a multiple of `ci_group_size`).
    pub fn n_trees(mut self, n: usize) -> Self {
        self.n_trees = n;
        self
    }
    /// Share of the rows each tree draws without replacement, in (0, 1]
    /// (at most 0.5 when `ci_group_size` > 1).
    pub fn sample_fraction(mut self, f: f64) -> Self {
        self.sample_fraction = f;
        self
    }
    /// Minimum treated and minimum control rows (of the splitting half) per
    /// child. Default 5, or tuned ([`Tuning`]) unless set here.
    pub fn min_node_size(mut self, n: usize) -> Self {
        self.min_node_size = n;
        self.leaf_set = true;
        self
    }
    /// Features tried per split (`None` = min(⌈√p + 20⌉, p)).
    pub fn mtry(mut self, m: Option<usize>) -> Self {
        self.mtry = m;
        self
    }
    /// Maximum tree depth.
    pub fn max_depth(mut self, d: usize) -> Self {
        self.max_depth = d;
        self
    }
    /// Honest trees (split and estimate on disjoint halves). Default true.
    pub fn honesty(mut self, yes: bool) -> Self {
        self.honesty = yes;
        self
    }
    /// Share of each tree's rows used to choose splits when honest. Default 0.5.
    pub fn honesty_fraction(mut self, f: f64) -> Self {
        self.honesty_fraction = f;
        self
    }
    /// Minimum share of the parent's rows in each child, in [0, 0.25]. Default 0.05.
    pub fn alpha(mut self, a: f64) -> Self {
        self.alpha = a;
        self
    }
    /// Trees per half-sample group for the little-bags variance (≥ 2 for SEs;
    /// 1 disables them). Default 2.
    pub fn ci_group_size(mut self, g: usize) -> Self {
        self.ci_group_size = g;
        self
    }
    /// How splits are scored: grf's gradient rule (default) or the exact
    /// local least-squares rule ([`SplitRule`]); tuned ([`Tuning`]) unless set here.
    pub fn split_rule(mut self, rule: SplitRule) -> Self {
        self.split_rule = rule;
        self.rule_set = true;
        self
    }
    /// Whether `fit` tunes the split rule and leaf size by out-of-bag
    /// R-loss ([`Tuning`]; default [`Tuning::Auto`]). The model reports what
    /// was tried and chosen ([`CausalForestModel::tuning`]).
    pub fn tune(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }
    /// Which intervals the fitted model reports ([`Intervals`]; default
    /// bias-aware, see module `calibrate`). The estimates do not depend on it.
    pub fn intervals(mut self, kind: Intervals) -> Self {
        self.intervals = kind;
        self
    }
    /// Grow the forest on the covariates a pilot forest found important
    /// (default false): the pilot, with every covariate, is fitted (and
    /// tuned) first; the covariates whose split frequency
    /// ([`CausalForestModel::variable_importance`]) is at least the mean are
    /// kept, and the final forest, tuned again, splits only on those, centred
    /// by the pilot's nuisances m̂ and ê (fitted on every covariate). This is
    /// the practice of Athey & Wager (2019, *Estimating treatment effects
    /// with causal forests: an application*): covariates that carry no
    /// heterogeneity still take splits, and each one taken spends rows and
    /// adds variance. The selection sees every row's outcome, as the
    /// tuning does, so out-of-bag estimates are slightly less out of sample;
    /// the fitted model keeps every covariate's column (predictions take the
    /// same `X`) and reports the dropped ones with importance 0. Costs about
    /// twice the fit time.
    pub fn select_variables(mut self, on: bool) -> Self {
        self.select_variables = on;
        self
    }
    /// Trees of each nuisance forest (m̂ and ê). Default max(50, trees/4), grf's rule.
    pub fn nuisance_trees(mut self, n: usize) -> Self {
        self.nuisance_trees = Some(n);
        self
    }

    /// The nuisance forests' size for this forest: as set, else max(50, trees/4).
    fn nuisance_trees_for_fit(&self) -> usize {
        self.nuisance_trees.unwrap_or((self.n_trees / 4).max(50))
    }
    /// User-supplied E[Y|X] for the training rows (should be out-of-fold).
    pub fn y_hat(mut self, y_hat: Vec<f64>) -> Self {
        self.y_hat = Some(y_hat);
        self
    }
    /// User-supplied propensities of the treated arms for the training rows
    /// (should be out-of-fold): n values P(W = 1|X) for a binary treatment,
    /// n·(K − 1) for K arms, arm 1's n values first.
    pub fn w_hat(mut self, w_hat: Vec<f64>) -> Self {
        self.w_hat = Some(w_hat);
        self
    }
    /// Seed of every random draw. Default 0.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    fn validate(&self, data: &CausalData) -> Result<()> {
        if !(2..=MAX_TREATED + 1).contains(&data.n_arms()) {
            return Err(invalid(
                "arms",
                format!("{} arms", data.n_arms()),
                "2 to 8 arms (control = 0); merge rare arms or fit several forests",
            ));
        }
        let d = data.n_arms() - 1;
        if data.weights().is_some() {
            return Err(invalid(
                "weights",
                "sample weights",
                "unweighted data: the causal forest does not use sample weights yet; drop them or use a meta-learner",
            ));
        }
        let checks = [
            (self.n_trees >= 1, "n_trees", self.n_trees.to_string(), "at least 1"),
            (
                self.sample_fraction > 0.0
                    && self.sample_fraction <= if self.ci_group_size > 1 { 0.5 } else { 1.0 },
                "sample_fraction",
                self.sample_fraction.to_string(),
                "a value in (0, 0.5] with ci_group_size > 1, (0, 1] otherwise",
            ),
            (self.min_node_size >= 1, "min_node_size", self.min_node_size.to_string(), "at least 1"),
            (self.max_depth >= 1, "max_depth", self.max_depth.to_string(), "at least 1"),
            (
                self.honesty_fraction > 0.0 && self.honesty_fraction < 1.0,
                "honesty_fraction",
                self.honesty_fraction.to_string(),
                "a value in (0, 1)",
            ),
            ((0.0..=0.25).contains(&self.alpha), "alpha", self.alpha.to_string(), "a value in [0, 0.25]"),
            (self.ci_group_size >= 1, "ci_group_size", self.ci_group_size.to_string(), "at least 1"),
            (self.nuisance_trees != Some(0), "nuisance_trees", "0".into(), "at least 1"),
            (self.mtry != Some(0), "mtry", format!("{:?}", self.mtry), "None or at least 1"),
        ];
        for (ok, name, value, expected) in checks {
            if !ok {
                return Err(invalid(name, value, expected));
            }
        }
        let n = data.n();
        for (what, v, len) in [("y_hat", &self.y_hat, n), ("w_hat", &self.w_hat, n * d)] {
            if let Some(v) = v {
                if v.len() != len {
                    return Err(UpliftError::Shape {
                        what: what.into(),
                        expected: format!("{len} values (one per row and treated arm)"),
                        got: v.len().to_string(),
                    });
                }
                if let Some(row) = v.iter().position(|x| !x.is_finite()) {
                    return Err(UpliftError::NonFinite { what: what.into(), row, value: v[row] });
                }
            }
        }
        if n < 2 * (d + 1) * self.min_node_size {
            return Err(UpliftError::NotEnoughSamples {
                what: "causal forest".into(),
                needed: 2 * (d + 1) * self.min_node_size,
                got: n,
            });
        }
        Ok(())
    }

    /// Fits the nuisances, tunes when [`Tuning`] says so, grows the forest
    /// and computes the out-of-bag effects of the training rows.
    pub fn fit(&self, data: &CausalData) -> Result<CausalForestModel> {
        self.validate(data)?;
        if self.select_variables && self.features.is_none() {
            return self.fit_selected(data);
        }
        let grid = tune::grid(self, data);
        if tune::should_tune(self, grid.len()) {
            return tune::fit_tuned(self, data, &grid);
        }
        self.fit_fixed(data)
    }

    /// [`CausalForest::select_variables`]: the pilot on every covariate, then
    /// the forest on the important ones, centred by the pilot's nuisances.
    fn fit_selected(&self, data: &CausalData) -> Result<CausalForestModel> {
        let mut pilot_params = self.clone();
        pilot_params.select_variables = false;
        let pilot = pilot_params.fit(data)?;
        let keep = important_covariates(pilot.variable_importance());
        if keep.len() == data.p() {
            return Ok(pilot);
        }
        let (y_hat, w_hat) = pilot.centering();
        let mut params = pilot_params;
        params.y_hat = Some(y_hat.to_vec());
        params.w_hat = Some(w_hat.to_vec());
        params.features = Some(keep);
        params.fit(data)
    }

    /// Grows the forest with the parameters as they are (no tuning).
    fn fit_fixed(&self, data: &CausalData) -> Result<CausalForestModel> {
        match data.n_arms() - 1 {
            1 => self.fit_d::<1>(data),
            2 => self.fit_d::<2>(data),
            3 => self.fit_d::<3>(data),
            4 => self.fit_d::<4>(data),
            5 => self.fit_d::<5>(data),
            6 => self.fit_d::<6>(data),
            _ => self.fit_d::<7>(data),
        }
    }

    fn fit_d<const D: usize>(&self, data: &CausalData) -> Result<CausalForestModel> {
        let (n, p) = (data.n(), data.p());
        let x = data.covariates();
        let y = data.outcome();
        let arms = data.arms();
        let oob = |target: &[f64], tag: &str| -> Result<Vec<f64>> {
            let f = RandomForestRegressor::params()
                .n_trees(self.nuisance_trees_for_fit())
                .bootstrap(false)
                .sample_fraction(0.5)
                .seed(derive_seed_str(self.seed, tag))
                .fit(x, target, None)?;
            let mean = target.iter().sum::<f64>() / n as f64;
            Ok(f.oob_predictions().iter().map(|&v| if v.is_nan() { mean } else { v }).collect())
        };
        let y_hat = match &self.y_hat {
            Some(v) => v.clone(),
            None => oob(y, "y_hat")?,
        };
        // column-major n × D propensities of the treated arms
        let w_hat: Vec<f64> = match (&self.w_hat, data.propensity()) {
            (Some(v), _) => v.clone(),
            (None, Some(e)) => (1..=D).flat_map(|k| (0..n).map(move |i| e[(i, k)])).collect(),
            (None, None) => {
                let mut all = Vec::with_capacity(n * D);
                for k in 1..=D {
                    let tag = if k == 1 { "w_hat".to_string() } else { format!("w_hat_{k}") };
                    all.extend(oob(&data.arm_indicator(k), &tag)?);
                }
                all
            }
        };
        // row-major n × D centered treatment, centered outcome
        let a: Vec<f64> = (0..n)
            .flat_map(|i| (0..D).map(move |k| f64::from(arms[i] == k + 1)).collect::<Vec<_>>())
            .enumerate()
            .map(|(j, w)| w - w_hat[(j % D) * n + j / D])
            .collect();
        let b: Vec<f64> = (0..n).map(|i| y[i] - y_hat[i]).collect();

        let mapper = BinMapper::fit(x, 255, &mut stream(derive_seed_str(self.seed, "bins"), 0));
        let binned = mapper.transform(x);
        let crit = CausalCriterion::<D> {
            rule: self.split_rule,
            arms,
            a: &a,
            b: &b,
            min_per_arm: self.min_node_size as f64,
            alpha: self.alpha,
        };
        let mtry = self.mtry.unwrap_or(((p as f64).sqrt() + 20.0).ceil() as usize).min(p);
        let tree_params = TreeParams {
            max_depth: self.max_depth,
            min_samples_leaf: (D + 1) * self.min_node_size,
            min_gain: 0.0,
            mtry: Some(mtry),
            features: self.features.clone(),
            parallel_features: false,
        };
        let g = self.ci_group_size;
        let n_groups = self.n_trees.div_ceil(g);
        let half_seed = derive_seed_str(self.seed, "half");
        let width = model::leaf_width(D);
        let bitset = |rows: &[u32]| {
            let mut bag = vec![0u64; n.div_ceil(64)];
            for &r in rows {
                bag[r as usize / 64] |= 1 << (r % 64);
            }
            bag
        };
        // each group: its trees and the in-bag sets (one per group when every
        // tree draws the whole half-sample, else one per tree)
        let grown: Vec<(Vec<FlatTree>, Vec<Vec<u64>>)> = (0..n_groups)
            .into_par_iter()
            .map(|grp| {
                let half: Vec<u32> = if g > 1 {
                    let mut rng = stream(half_seed, grp as u64);
                    rand::seq::index::sample(&mut rng, n, n / 2).into_iter().map(|i| i as u32).collect()
                } else {
                    (0..n as u32).collect()
                };
                let draws = if g > 1 {
                    ((2.0 * self.sample_fraction * half.len() as f64).round() as usize).clamp(2, half.len())
                } else {
                    ((self.sample_fraction * n as f64).round() as usize).clamp(2, n)
                };
                let shared = draws == half.len();
                let mut bags = if shared { vec![bitset(&half)] } else { Vec::new() };
                let trees = (0..g)
                    .map(|j| {
                        let t = grp * g + j;
                        let mut rng = stream(self.seed, t as u64);
                        let mut rows: Vec<u32> = rand::seq::index::sample(&mut rng, half.len(), draws)
                            .into_iter()
                            .map(|k| half[k])
                            .collect();
                        if !shared {
                            bags.push(bitset(&rows));
                        }
                        let est = if self.honesty {
                            rows.shuffle(&mut rng);
                            let n_split = ((self.honesty_fraction * rows.len() as f64).round() as usize)
                                .clamp(1, rows.len() - 1);
                            let mut est = rows.split_off(n_split);
                            est.sort_unstable();
                            est
                        } else {
                            rows.clone()
                        };
                        rows.sort_unstable();
                        // the estimation rows ride along as passengers (in increasing order
                        // within each leaf, as the partition is stable)
                        let grown =
                            grow_tree_routing(&binned, &mapper, &crit, rows, est, &tree_params, &mut rng);
                        let mut sums = vec![Moments::<D>::default(); grown.tree.n_leaves()];
                        for (s, &(lo, hi)) in sums.iter_mut().zip(&grown.passenger_ranges) {
                            for &r in &grown.passengers[lo..hi] {
                                *s += crit.stats(r as usize);
                            }
                        }
                        let mut flat = FlatTree::from_tree(&grown.tree);
                        flat.leaves.reserve(sums.len() * width);
                        for s in &sums {
                            push_leaf(&mut flat.leaves, s);
                        }
                        flat
                    })
                    .collect();
                (trees, bags)
            })
            .collect();
        let mut trees = Vec::with_capacity(n_groups * g);
        let mut bags = Vec::new();
        let mut bag_of_tree = Vec::with_capacity(n_groups * g);
        for (ts, bs) in grown {
            let shared = bs.len() == 1 && ts.len() > 1;
            for j in 0..ts.len() {
                bag_of_tree.push(bags.len() + if shared { 0 } else { j });
            }
            trees.extend(ts);
            bags.extend(bs);
        }
        let forest = FlatForest::new(&mapper, width, trees);
        let model = CausalForestModel::assemble(model::Fitted {
            forest,
            d: D,
            group_size: g,
            binned: &binned,
            bags,
            bag_of_tree,
            arms,
            y_hat,
            w_hat,
            outcome: y,
        });
        Ok(model.with_intervals(self.intervals))
    }
}

/// Appends a leaf's estimation moments as means: a (D), b, ab (D), the
/// upper triangle of aaᵀ; an empty leaf is NaN.
fn push_leaf<const D: usize>(out: &mut Vec<f64>, s: &Moments<D>) {
    if s.n <= 0.0 {
        out.extend(std::iter::repeat_n(f64::NAN, model::leaf_width(D)));
        return;
    }
    out.extend(s.a.iter().map(|v| v / s.n));
    out.push(s.b / s.n);
    out.extend(s.ab.iter().map(|v| v / s.n));
    for k in 0..D {
        for j in k..D {
            out.push(s.aa[k][j] / s.n);
        }
    }
}

/// The covariates whose importance is at least the mean importance (all of
/// them when no split was made), ascending: the selection rule of Athey &
/// Wager (2019).
fn important_covariates(importance: &[f64]) -> Vec<usize> {
    let p = importance.len();
    let mean = importance.iter().sum::<f64>() / p.max(1) as f64;
    if mean.is_nan() || mean <= 0.0 {
        return (0..p).collect();
    }
    (0..p).filter(|&j| importance[j] >= mean).collect()
}
