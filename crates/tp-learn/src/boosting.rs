//! Gradient-boosted trees (second-order, histogram-based).
//!
//! Each round computes per-row gradients gᵢ and hessians hᵢ of the loss at
//! the current scores (squared loss: g = w(F − y), h = w; log loss:
//! g = w(σ(F) − y), h = wσ(F)(1 − σ(F))), grows a depth-limited tree with
//! [`NewtonCriterion`] (gain ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)],
//! leaf −G/(H+λ)), and adds `learning_rate` × the leaf value to every row's
//! score. Histograms of a node's features are built in parallel (rayon over
//! features) and siblings come from subtraction. Optional row subsampling per
//! round draws from `tp_core::rng::stream(seed, round)`.
//!
//! Early stopping (`early_stopping(Some(patience))`): a seeded
//! `validation_fraction` of the rows is held out; boosting stops when the
//! validation loss has not improved for `patience` rounds and the model is
//! truncated to the best round ([`BoostingModel::best_round`]).

use crate::Result;
use crate::logistic::sigmoid;
use crate::traits::{Classifier, FittedClassifier, FittedRegressor, Regressor};
use crate::tree::{BinMapper, NewtonCriterion, Tree, TreeParams, exact_sum, grow_tree_routing};
use crate::validate::{check_binary, check_predict, check_train, param};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::faer::MatRef;
use tp_core::rng::{derive_seed_str, stream};

/// The loss a booster minimizes (serialized as `"squared"` / `"log_loss"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoostLoss {
    /// ½(y − F)²; the score is the prediction.
    Squared,
    /// Binary log loss; the score is the log-odds.
    LogLoss,
}

/// Gradient boosting params; build with [`GradientBoosting::regressor`] or
/// [`GradientBoosting::classifier`]. Defaults: 100 rounds, learning rate
/// 0.1, `max_depth = 6`, `min_samples_leaf = 20`, λ = 1, `min_hessian =
/// 1e-3`, 255 bins, no row or feature subsampling, no early stopping.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientBoosting {
    loss: BoostLoss,
    n_rounds: usize,
    learning_rate: f64,
    max_depth: usize,
    min_samples_leaf: usize,
    lambda: f64,
    min_hessian: f64,
    min_gain: f64,
    subsample: f64,
    mtry: Option<usize>,
    max_bins: usize,
    early_stopping: Option<usize>,
    validation_fraction: f64,
    seed: u64,
}

impl GradientBoosting {
    fn new(loss: BoostLoss) -> Self {
        Self {
            loss,
            n_rounds: 100,
            learning_rate: 0.1,
            max_depth: 6,
            min_samples_leaf: 20,
            lambda: 1.0,
            min_hessian: 1e-3,
            min_gain: 0.0,
            subsample: 1.0,
            mtry: None,
            max_bins: 255,
            early_stopping: None,
            validation_fraction: 0.1,
            seed: 0,
        }
    }

    /// Squared-loss regression.
    pub fn regressor() -> Self {
        Self::new(BoostLoss::Squared)
    }

    /// Binary log-loss classification (predicts P(y = 1)).
    pub fn classifier() -> Self {
        Self::new(BoostLoss::LogLoss)
    }

    /// Maximum number of boosting rounds (trees). Default 100.
    pub fn n_rounds(mut self, n: usize) -> Self {
        self.n_rounds = n;
        self
    }
    /// Shrinkage applied to each tree, in (0, 1]. Default 0.1.
    pub fn learning_rate(mut self, v: f64) -> Self {
        self.learning_rate = v;
        self
    }
    /// Maximum tree depth. Default 6.
    pub fn max_depth(mut self, d: usize) -> Self {
        self.max_depth = d;
        self
    }
    /// Minimum rows per leaf. Default 20.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }
    /// L2 penalty λ on leaf values. Default 1.
    pub fn lambda(mut self, v: f64) -> Self {
        self.lambda = v;
        self
    }
    /// Minimum hessian sum per leaf. Default 1e-3.
    pub fn min_hessian(mut self, v: f64) -> Self {
        self.min_hessian = v;
        self
    }
    /// Minimum gain for a split. Default 0.
    pub fn min_gain(mut self, v: f64) -> Self {
        self.min_gain = v;
        self
    }
    /// Fraction of rows drawn (without replacement) per round, in (0, 1]. Default 1.
    pub fn subsample(mut self, v: f64) -> Self {
        self.subsample = v;
        self
    }
    /// Features tried per node (`None` = all). Default all.
    pub fn mtry(mut self, m: Option<usize>) -> Self {
        self.mtry = m;
        self
    }
    /// Maximum finite bins per feature, 2..=255. Default 255.
    pub fn max_bins(mut self, b: usize) -> Self {
        self.max_bins = b;
        self
    }
    /// Stop after `patience` rounds without validation improvement (`None` = off).
    pub fn early_stopping(mut self, patience: Option<usize>) -> Self {
        self.early_stopping = patience;
        self
    }
    /// Share of rows held out for early stopping, in (0, 1). Default 0.1.
    pub fn validation_fraction(mut self, v: f64) -> Self {
        self.validation_fraction = v;
        self
    }
    /// Seed of the binning sample, row subsampling and validation split. Default 0.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    /// Validates the input (NaN allowed in x; 0/1 targets for log loss) and boosts.
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64], weights: Option<&[f64]>) -> Result<BoostingModel> {
        let w = check_train(x, y, weights, true)?;
        if self.loss == BoostLoss::LogLoss {
            check_binary(y)?;
        }
        param(
            self.learning_rate > 0.0 && self.learning_rate <= 1.0,
            "learning_rate",
            self.learning_rate,
            "a value in (0, 1]",
        )?;
        param(self.max_depth >= 1, "max_depth", self.max_depth, "at least 1")?;
        param(self.min_samples_leaf >= 1, "min_samples_leaf", self.min_samples_leaf, "at least 1")?;
        param(self.lambda >= 0.0, "lambda", self.lambda, "a value >= 0")?;
        param(
            self.subsample > 0.0 && self.subsample <= 1.0,
            "subsample",
            self.subsample,
            "a value in (0, 1]",
        )?;
        param((2..=255).contains(&self.max_bins), "max_bins", self.max_bins, "2..=255")?;
        param(
            self.validation_fraction > 0.0 && self.validation_fraction < 1.0,
            "validation_fraction",
            self.validation_fraction,
            "a value in (0, 1)",
        )?;
        let n = x.nrows();
        let mapper = BinMapper::fit(x, self.max_bins, &mut stream(derive_seed_str(self.seed, "bins"), 0));
        let data = mapper.transform(x);
        // train / validation split
        let (train, valid): (Vec<u32>, Vec<u32>) = if self.early_stopping.is_some() {
            let mut rng = stream(derive_seed_str(self.seed, "validation"), 0);
            let n_valid = ((self.validation_fraction * n as f64).round() as usize).clamp(1, n - 1);
            let mut is_valid = vec![false; n];
            for i in rand::seq::index::sample(&mut rng, n, n_valid) {
                is_valid[i] = true;
            }
            (0..n as u32).partition(|&i| !is_valid[i as usize])
        } else {
            ((0..n as u32).collect(), Vec::new())
        };
        // exact sums: the start score does not depend on the order of the rows
        let sw = exact_sum(&train.iter().map(|&i| w[i as usize]).collect::<Vec<f64>>());
        let swy = exact_sum(&train.iter().map(|&i| w[i as usize] * y[i as usize]).collect::<Vec<f64>>());
        let mean = swy / sw;
        let base = match self.loss {
            BoostLoss::Squared => mean,
            BoostLoss::LogLoss => {
                let p = mean.clamp(1e-12, 1.0 - 1e-12);
                (p / (1.0 - p)).ln()
            }
        };
        let mut score = vec![base; n];
        let mut grad = vec![0.0; n];
        let mut hess = vec![0.0; n];
        let tree_params = TreeParams {
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            min_gain: self.min_gain,
            mtry: self.mtry,
            features: None,
            parallel_features: true,
        };
        let mut trees: Vec<Tree<f64>> = Vec::new();
        let mut valid_loss = Vec::new();
        let (mut best_loss, mut best_round, mut since_best) = (f64::INFINITY, 0usize, 0usize);
        let loss = self.loss;
        for round in 0..self.n_rounds {
            grad.par_chunks_mut(4096).zip(hess.par_chunks_mut(4096)).enumerate().for_each(|(c, (g, h))| {
                for k in 0..g.len() {
                    let i = c * 4096 + k;
                    (g[k], h[k]) = match loss {
                        BoostLoss::Squared => (w[i] * (score[i] - y[i]), w[i]),
                        BoostLoss::LogLoss => {
                            let p = sigmoid(score[i]);
                            (w[i] * (p - y[i]), w[i] * p * (1.0 - p))
                        }
                    };
                }
            });
            let mut rng = stream(self.seed, round as u64);
            // rows this round's tree is grown on; every other row (validation,
            // rows left out by subsampling) rides along as a passenger, so each
            // row's leaf comes from the partition, never from a traversal
            let (rows, passengers): (Vec<u32>, Vec<u32>) = if self.subsample < 1.0 {
                let k = ((self.subsample * train.len() as f64).round() as usize).clamp(1, train.len());
                let mut chosen = vec![false; n];
                for j in rand::seq::index::sample(&mut rng, train.len(), k) {
                    chosen[train[j] as usize] = true;
                }
                (0..n as u32).partition(|&i| chosen[i as usize])
            } else {
                (train.clone(), valid.clone())
            };
            let crit = NewtonCriterion::new(&grad, &hess, self.lambda, self.min_hessian);
            let grown = grow_tree_routing(&data, &mapper, &crit, rows, passengers, &tree_params, &mut rng);
            let lr = self.learning_rate;
            let tree = grown.tree.map_leaves(|v| lr * v);
            for (k, &v) in tree.leaves().iter().enumerate() {
                let (a, b) = grown.leaf_ranges[k];
                let (pa, pb) = grown.passenger_ranges[k];
                for &r in grown.rows[a..b].iter().chain(&grown.passengers[pa..pb]) {
                    score[r as usize] += v;
                }
            }
            trees.push(tree);
            if let Some(patience) = self.early_stopping {
                let vw: f64 = valid.iter().map(|&i| w[i as usize]).sum();
                let l = valid
                    .iter()
                    .map(|&i| w[i as usize] * point_loss(loss, y[i as usize], score[i as usize]))
                    .sum::<f64>()
                    / vw;
                valid_loss.push(l);
                if l < best_loss {
                    (best_loss, best_round, since_best) = (l, round + 1, 0);
                } else {
                    since_best += 1;
                    if since_best >= patience {
                        break;
                    }
                }
            } else {
                best_round = round + 1;
            }
        }
        trees.truncate(best_round);
        Ok(BoostingModel { loss, base, mapper, trees, valid_loss, n_features: x.ncols() })
    }
}

/// The unchecked on-disk form of a [`BoostingModel`].
#[derive(Deserialize)]
struct BoostingForm {
    loss: BoostLoss,
    base: f64,
    mapper: BinMapper,
    trees: Vec<Tree<f64>>,
    valid_loss: Vec<f64>,
    n_features: usize,
}

impl TryFrom<BoostingForm> for BoostingModel {
    type Error = String;

    fn try_from(f: BoostingForm) -> std::result::Result<Self, String> {
        if f.mapper.n_features() != f.n_features {
            return Err(format!(
                "boosting: mapper has {} features, model {}",
                f.mapper.n_features(),
                f.n_features
            ));
        }
        for (t, tree) in f.trees.iter().enumerate() {
            tree.check_features(&f.mapper).map_err(|e| format!("boosting tree {t}: {e}"))?;
        }
        let BoostingForm { loss, base, mapper, trees, valid_loss, n_features } = f;
        Ok(Self { loss, base, mapper, trees, valid_loss, n_features })
    }
}

fn point_loss(loss: BoostLoss, y: f64, f: f64) -> f64 {
    match loss {
        BoostLoss::Squared => 0.5 * (y - f) * (y - f),
        BoostLoss::LogLoss => {
            let softplus = if f > 0.0 { f + (-f).exp().ln_1p() } else { f.exp().ln_1p() };
            softplus - y * f
        }
    }
}

/// A fitted boosted ensemble: score = base + Σ trees.
///
/// Serialized as `{"loss", "base", "mapper": BinMapper, "trees":
/// [Tree<f64>], "valid_loss": [..], "n_features"}` (see [`Tree`] for the flat
/// node form; leaf values include the learning rate).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "BoostingForm")]
pub struct BoostingModel {
    loss: BoostLoss,
    base: f64,
    mapper: BinMapper,
    trees: Vec<Tree<f64>>,
    valid_loss: Vec<f64>,
    n_features: usize,
}

impl BoostingModel {
    /// Raw scores (prediction for squared loss, log-odds for log loss).
    pub fn decision_function(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        check_predict(x, self.n_features, true)?;
        let mut out = vec![self.base; x.nrows()];
        crate::forest::predict_sum(&self.mapper, &self.trees, x, &mut out);
        Ok(out)
    }

    /// Predictions: E\[y | x\] for squared loss, P(y = 1 | x) for log loss.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        let s = self.decision_function(x)?;
        Ok(match self.loss {
            BoostLoss::Squared => s,
            BoostLoss::LogLoss => s.into_iter().map(sigmoid).collect(),
        })
    }

    /// Number of trees kept (the best round under early stopping).
    pub fn best_round(&self) -> usize {
        self.trees.len()
    }

    /// Mean validation loss after each round (empty without early stopping;
    /// ½(y−F)² for squared loss, log loss for classification).
    pub fn validation_loss(&self) -> &[f64] {
        &self.valid_loss
    }

    /// The trees (leaf values already include the learning rate).
    pub fn trees(&self) -> &[Tree<f64>] {
        &self.trees
    }

    /// The binning of the training features.
    pub fn mapper(&self) -> &BinMapper {
        &self.mapper
    }

    /// The initial score.
    pub fn base_score(&self) -> f64 {
        self.base
    }
}

impl Regressor for GradientBoosting {
    fn fit(&self, x: MatRef<'_, f64>, y: &[f64], w: Option<&[f64]>) -> Result<Box<dyn FittedRegressor>> {
        Ok(Box::new(GradientBoosting::fit(self, x, y, w)?))
    }
    fn clone_box(&self) -> Box<dyn Regressor> {
        Box::new(self.clone())
    }
    fn with_seed(&self, seed: u64) -> Box<dyn Regressor> {
        Box::new(self.clone().seed(seed))
    }
}

impl FittedRegressor for BoostingModel {
    fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        BoostingModel::predict(self, x)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn to_saved(&self) -> Option<crate::SavedRegressor> {
        Some(crate::SavedRegressor::Boosting(self.clone()))
    }
}

impl Classifier for GradientBoosting {
    fn fit(&self, x: MatRef<'_, f64>, y: &[f64], w: Option<&[f64]>) -> Result<Box<dyn FittedClassifier>> {
        Ok(Box::new(GradientBoosting::fit(self, x, y, w)?))
    }
    fn clone_box(&self) -> Box<dyn Classifier> {
        Box::new(self.clone())
    }
    fn with_seed(&self, seed: u64) -> Box<dyn Classifier> {
        Box::new(self.clone().seed(seed))
    }
}

impl FittedClassifier for BoostingModel {
    fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        BoostingModel::predict(self, x)
    }
    fn n_features(&self) -> usize {
        self.n_features
    }
    fn to_saved(&self) -> Option<crate::SavedClassifier> {
        Some(crate::SavedClassifier::Boosting(self.clone()))
    }
}
