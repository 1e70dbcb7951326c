//! # tp-learn: nuisance learners
//!
//! Meta-learners, causal forests and off-policy reward models all stand on
//! base learners of E\[y | x\] and P(y = 1 | x). This crate builds them once;
//! it depends only on tp-core, and tp-uplift / tp-ope build on it.
//!
//! - **Traits** [`Regressor`] / [`Classifier`]: object-safe, `Send + Sync`
//!   params whose `fit(x, y, weights)` returns a boxed, immutable, `Send +
//!   Sync` fitted model ([`FittedRegressor::predict`],
//!   [`FittedClassifier::predict_proba`]). A meta-learner holds
//!   `&dyn Regressor` and fits it once per cross-fitting fold, giving each
//!   fold its own seed with [`Regressor::with_seed`].
//! - **Linear**: [`LinearRegression`] (OLS / ridge; Cholesky of the
//!   row-block-summed Gram; a collinear column is a named
//!   [`LearnError::Collinear`], not a silent pivot) and
//!   [`LogisticRegression`] (L2, Newton / IRLS with line search). Both take
//!   sample weights, an unpenalized intercept and a standardization option,
//!   and match scikit-learn to 1e-6 on the golden input.
//! - **One histogram tree engine** ([`tree`]): features quantile-binned into
//!   ≤ 255 `u8` bins (NaN has its own code and each split learns where NaN
//!   goes), histograms of per-bin sufficient statistics with the subtraction
//!   trick, depth-limited growth with `min_samples_leaf`, `min_gain`, mtry;
//!   a pluggable [`tree::SplitCriterion`] (variance, Gini / entropy, Newton)
//!   that tp-uplift extends with causal and uplift criteria; honest leaves.
//! - **On the engine**: [`RandomForestRegressor`] / [`RandomForestClassifier`]
//!   (bootstrap or subsample, out-of-bag predictions, honesty; rayon over
//!   trees) and [`GradientBoosting`] (squared or log loss, Newton leaves,
//!   shrinkage, early stopping on a validation split; rayon over features
//!   within a node).
//!
//! - **Saving**: every fitted model is serde `Serialize` / `Deserialize`
//!   with stable field names (trees as flat per-node vectors, bin cut points
//!   with the model); [`FittedRegressor::to_saved`] /
//!   [`FittedClassifier::to_saved`] turn a boxed model into a
//!   [`SavedRegressor`] / [`SavedClassifier`] enum that serializes and
//!   predicts.
//!
//! Choices: f64 only; faer views in, owned vectors out; every stochastic
//! step takes a seed and parallel work draws from
//! `tp_core::rng::stream(seed, task)` with results combined in index order,
//! so the same seed gives the same model, bit for bit, at any thread count.
//! Split statistics are exact fixed-point sums ([`tree::FixedPoint`]), so a
//! tree depends on the *set* of its rows, not their order: forests and
//! boosting give the same model for any permutation of the training rows
//! (row sampling aside, which draws row indices).
//! Memory is the binned matrix (n × p bytes, kept column- and row-major)
//! plus the trees, plus per running tree its row indices, one histogram per
//! level being grown and a node-local copy of at most 16,384 rows (small
//! nodes' subtrees grow from it, in cache), and the quantized per-row
//! statistics (16 bytes a row, shared by a forest's trees).
//!
//! ```
//! use tp_learn::{LinearRegression, Regressor};
//! use tp_core::faer::Mat;
//!
//! let x = Mat::from_fn(50, 2, |i, j| ((i * (j + 2)) % 9) as f64);
//! let y: Vec<f64> = (0..50).map(|i| 1.0 + 2.0 * x[(i, 0)] - x[(i, 1)]).collect();
//! let learner: Box<dyn Regressor> = Box::new(LinearRegression::params().alpha(0.0));
//! let model = learner.fit(x.as_ref(), &y, None).unwrap();
//! let pred = model.predict(x.as_ref()).unwrap();
//! assert!((pred[3] - y[3]).abs() < 1e-9);
//! ```

mod boosting;
mod error;
mod forest;
mod linalg;
mod linear;
mod logistic;
mod saved;
mod traits;
pub mod tree;
mod validate;

pub use boosting::{BoostLoss, BoostingModel, GradientBoosting};
pub use error::{LearnError, Result};
pub use forest::{ForestModel, RandomForestClassifier, RandomForestRegressor};
pub use linear::{LinearModel, LinearRegression};
pub use logistic::{LogisticModel, LogisticRegression};
pub use saved::{SavedClassifier, SavedRegressor};
pub use traits::{Classifier, FittedClassifier, FittedRegressor, Regressor};
