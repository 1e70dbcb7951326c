//! The two learner traits every tp learner implements.
//!
//! A learner is a *params* object (cheap to clone, `Send + Sync`) whose
//! [`Regressor::fit`] / [`Classifier::fit`] validates the input and returns an
//! immutable fitted model behind a `Box<dyn …>`. The traits are object-safe,
//! so a meta-learner or an OPE reward model can hold `&dyn Regressor` (or an
//! `Arc<dyn Regressor>`) and fit it many times, once per cross-fitting fold,
//! possibly from several rayon tasks at once.

use crate::Result;
use crate::{SavedClassifier, SavedRegressor};
use tp_core::faer::MatRef;

/// A learner of E\[y | x\]: params that fit to a [`FittedRegressor`].
pub trait Regressor: Send + Sync {
    /// Fits on rows of `x` (n × p, finite unless the learner documents NaN
    /// support) with targets `y` (length n) and optional non-negative
    /// `weights` (length n; `None` = all ones).
    fn fit(&self, x: MatRef<'_, f64>, y: &[f64], weights: Option<&[f64]>)
    -> Result<Box<dyn FittedRegressor>>;

    /// A boxed copy of these params.
    fn clone_box(&self) -> Box<dyn Regressor>;

    /// A boxed copy with its seed replaced (learners without randomness
    /// return an unchanged copy). Cross-fitting uses this to give each fold
    /// its own stream: `learner.with_seed(derive_seed(seed, fold))`.
    fn with_seed(&self, seed: u64) -> Box<dyn Regressor> {
        let _ = seed;
        self.clone_box()
    }
}

/// A fitted regression model.
pub trait FittedRegressor: Send + Sync {
    /// Predicted E\[y | x\] for each row of `x` (must have the training
    /// number of columns).
    fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>>;

    /// Number of input columns the model was fitted on.
    fn n_features(&self) -> usize;

    /// A serializable copy of this model (every tp-learn model gives one;
    /// models defined elsewhere may return `None`).
    fn to_saved(&self) -> Option<SavedRegressor> {
        None
    }
}

/// A learner of P(y = 1 | x) for a binary 0/1 target.
pub trait Classifier: Send + Sync {
    /// Fits on rows of `x` with 0/1 targets `y` (any other value is
    /// [`LearnError::NotBinary`](crate::LearnError::NotBinary)) and optional
    /// non-negative `weights`.
    fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Box<dyn FittedClassifier>>;

    /// A boxed copy of these params.
    fn clone_box(&self) -> Box<dyn Classifier>;

    /// A boxed copy with its seed replaced (see [`Regressor::with_seed`]).
    fn with_seed(&self, seed: u64) -> Box<dyn Classifier> {
        let _ = seed;
        self.clone_box()
    }
}

/// A fitted binary classifier.
pub trait FittedClassifier: Send + Sync {
    /// Predicted P(y = 1 | x) for each row of `x`.
    fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>>;

    /// Number of input columns the model was fitted on.
    fn n_features(&self) -> usize;

    /// A serializable copy of this model (every tp-learn model gives one;
    /// models defined elsewhere may return `None`).
    fn to_saved(&self) -> Option<SavedClassifier> {
        None
    }
}

impl Clone for Box<dyn Regressor> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

impl Clone for Box<dyn Classifier> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}
