//! Fitted models in a form that can be written and read back.
//!
//! Every fitted model type ([`LinearModel`], [`LogisticModel`],
//! [`ForestModel`], [`BoostingModel`]) implements serde's `Serialize` and
//! `Deserialize`. A caller that holds a model only as a trait object (a
//! meta-learner holding `Box<dyn FittedRegressor>`) gets a serializable copy
//! from [`FittedRegressor::to_saved`] / [`FittedClassifier::to_saved`]: an
//! enum over the concrete models, externally tagged (`{"forest": {…}}`), which
//! itself predicts. There is no format-version envelope here: a caller that
//! writes files wraps these in its own versioned form.

use crate::traits::{FittedClassifier, FittedRegressor};
use crate::{BoostingModel, ForestModel, LinearModel, LogisticModel, Result};
use serde::{Deserialize, Serialize};
use tp_core::faer::MatRef;

/// A fitted tp-learn regressor, serializable and usable as a [`FittedRegressor`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SavedRegressor {
    /// OLS / ridge.
    Linear(LinearModel),
    /// Random forest regressor.
    Forest(ForestModel),
    /// Gradient boosting with squared loss.
    Boosting(BoostingModel),
}

/// A fitted tp-learn classifier, serializable and usable as a [`FittedClassifier`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SavedClassifier {
    /// L2 logistic regression.
    Logistic(LogisticModel),
    /// Random forest probability classifier.
    Forest(ForestModel),
    /// Gradient boosting with log loss.
    Boosting(BoostingModel),
}

impl FittedRegressor for SavedRegressor {
    fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        match self {
            SavedRegressor::Linear(m) => m.predict(x),
            SavedRegressor::Forest(m) => m.predict(x),
            SavedRegressor::Boosting(m) => m.predict(x),
        }
    }

    fn n_features(&self) -> usize {
        match self {
            SavedRegressor::Linear(m) => FittedRegressor::n_features(m),
            SavedRegressor::Forest(m) => FittedRegressor::n_features(m),
            SavedRegressor::Boosting(m) => FittedRegressor::n_features(m),
        }
    }

    fn to_saved(&self) -> Option<SavedRegressor> {
        Some(self.clone())
    }
}

impl FittedClassifier for SavedClassifier {
    fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        match self {
            SavedClassifier::Logistic(m) => m.predict_proba(x),
            SavedClassifier::Forest(m) => m.predict(x),
            SavedClassifier::Boosting(m) => m.predict(x),
        }
    }

    fn n_features(&self) -> usize {
        match self {
            SavedClassifier::Logistic(m) => FittedClassifier::n_features(m),
            SavedClassifier::Forest(m) => FittedClassifier::n_features(m),
            SavedClassifier::Boosting(m) => FittedClassifier::n_features(m),
        }
    }

    fn to_saved(&self) -> Option<SavedClassifier> {
        Some(self.clone())
    }
}
