//! # tp-learn: nuisance learners
//!
//! Meta-learners, causal forests and off-policy reward models all stand on
//! base learners of E\[y | x\] and P(y = 1 | x). This crate builds them once:
//!
//! - [`LinearRegression`] (OLS / ridge, Cholesky of the Gram, collinearity is
//!   a named error) and [`LogisticRegression`] (L2, Newton / IRLS);
//! - the traits [`Regressor`] / [`Classifier`]: object-safe params that fit
//!   to a boxed, immutable, `Send + Sync` model, so tp-uplift and tp-ope can
//!   take "any learner" and fit it once per cross-fitting fold.
//!
//! Choices: f64 only, faer views in, owned vectors out; sample weights
//! everywhere; every stochastic step takes a seed and parallel work draws
//! from `tp_core::rng::stream(seed, task)`, so the same seed gives the same
//! model at any thread count.
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
mod traits;
pub mod tree;
mod validate;

pub use boosting::{BoostLoss, BoostingModel, GradientBoosting};
pub use error::{LearnError, Result};
pub use forest::{ForestModel, RandomForestClassifier, RandomForestRegressor};
pub use linear::{LinearModel, LinearRegression};
pub use logistic::{LogisticModel, LogisticRegression};
pub use traits::{Classifier, FittedClassifier, FittedRegressor, Regressor};
