//! Base learners as tp-uplift holds them: any tp-learn learner, with the
//! linear and logistic ones kept in their plainest form.
//!
//! A meta-learner fits many nuisance and effect models, and a saved CATE
//! model must write its fitted base models out. A learner here is either a
//! *linear* / *logistic* spec (fitted through tp-learn, then kept as its
//! coefficients, which is all a linear model is) or *any* tp-learn
//! [`Regressor`] / [`Classifier`] (fitted and used through the trait). Every
//! tp-learn model — forests and boosting included — gives a serializable
//! copy of itself ([`FittedRegressor::to_saved`]), which is what a model
//! file stores; a learner from outside tp-learn that gives none makes
//! saving a [`UpliftError::NotSerializable`] error.

use crate::{Result, UpliftError};
use faer::MatRef;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tp_learn::{
    Classifier, FittedClassifier, FittedRegressor, GradientBoosting, LinearRegression, LogisticRegression,
    RandomForestClassifier, RandomForestRegressor, Regressor, SavedClassifier, SavedRegressor,
};

/// A learner of E[y | x] for outcome, nuisance and effect models.
#[derive(Clone)]
pub enum RegressorSpec {
    /// OLS / ridge, kept as coefficients.
    Linear(LinearRegression),
    /// Any tp-learn regressor, with a name for reports.
    Any(Arc<dyn Regressor>, String),
}

/// A learner of P(w = 1 | x) for propensity models.
#[derive(Clone)]
pub enum ClassifierSpec {
    /// L2 logistic regression, kept as coefficients.
    Logistic(LogisticRegression),
    /// Any tp-learn classifier, with a name for reports.
    Any(Arc<dyn Classifier>, String),
}

impl std::fmt::Debug for RegressorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::fmt::Debug for ClassifierSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The learner families the CLI offers (`--learner linear|rf|gbt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LearnerKind {
    /// OLS for outcomes and effects, L2 logistic regression (λ = 1,
    /// gradient tolerance 1e-7 per unit weight) for propensities.
    Linear,
    /// Random forests (tp-learn defaults).
    Rf,
    /// Gradient boosting (tp-learn defaults).
    Gbt,
}

impl LearnerKind {
    /// The regressor of this family.
    pub fn regressor(self) -> RegressorSpec {
        match self {
            LearnerKind::Linear => RegressorSpec::Linear(LinearRegression::params()),
            LearnerKind::Rf => RegressorSpec::any(RandomForestRegressor::params(), "random forest"),
            LearnerKind::Gbt => RegressorSpec::any(GradientBoosting::regressor(), "gradient boosting"),
        }
    }

    /// The classifier of this family.
    pub fn classifier(self) -> ClassifierSpec {
        match self {
            // A gradient tolerance of 1e-7 per unit weight is far below what a
            // propensity needs and stops Newton before rounding-level steps.
            LearnerKind::Linear => ClassifierSpec::Logistic(LogisticRegression::params().tol(1e-7)),
            LearnerKind::Rf => ClassifierSpec::any(RandomForestClassifier::params(), "random forest"),
            LearnerKind::Gbt => ClassifierSpec::any(GradientBoosting::classifier(), "gradient boosting"),
        }
    }
}

impl RegressorSpec {
    /// Wraps any tp-learn regressor.
    pub fn any(learner: impl Regressor + 'static, name: &str) -> Self {
        RegressorSpec::Any(Arc::new(learner), name.to_string())
    }

    /// A short name for reports and model files.
    pub fn name(&self) -> String {
        match self {
            RegressorSpec::Linear(_) => "linear".into(),
            RegressorSpec::Any(_, name) => name.clone(),
        }
    }

    /// Fits with the learner's seed replaced by `seed`.
    pub(crate) fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        w: Option<&[f64]>,
        seed: u64,
    ) -> Result<FittedReg> {
        Ok(match self {
            RegressorSpec::Linear(p) => {
                let m = p.fit(x, y, w)?;
                FittedReg::Linear(LinearCoef { coef: m.coef().to_vec(), intercept: m.intercept() })
            }
            RegressorSpec::Any(p, name) => {
                FittedReg::Opaque(Arc::from(p.with_seed(seed).fit(x, y, w)?), name.clone())
            }
        })
    }
}

impl ClassifierSpec {
    /// Wraps any tp-learn classifier.
    pub fn any(learner: impl Classifier + 'static, name: &str) -> Self {
        ClassifierSpec::Any(Arc::new(learner), name.to_string())
    }

    /// A short name for reports and model files.
    pub fn name(&self) -> String {
        match self {
            ClassifierSpec::Logistic(_) => "logistic".into(),
            ClassifierSpec::Any(_, name) => name.clone(),
        }
    }

    /// Fits with the learner's seed replaced by `seed`.
    pub(crate) fn fit(&self, x: MatRef<'_, f64>, y: &[f64], seed: u64) -> Result<FittedClf> {
        Ok(match self {
            ClassifierSpec::Logistic(p) => {
                let m = p.fit(x, y, None)?;
                FittedClf::Logistic(LinearCoef { coef: m.coef().to_vec(), intercept: m.intercept() })
            }
            ClassifierSpec::Any(p, name) => {
                FittedClf::Opaque(Arc::from(p.with_seed(seed).fit(x, y, None)?), name.clone())
            }
        })
    }
}

/// Coefficients of a linear predictor `b + xᵀβ`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LinearCoef {
    pub coef: Vec<f64>,
    pub intercept: f64,
}

impl LinearCoef {
    fn eta(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        if x.ncols() != self.coef.len() {
            return Err(UpliftError::Shape {
                what: "x".into(),
                expected: format!("{} columns (as fitted)", self.coef.len()),
                got: format!("{} columns", x.ncols()),
            });
        }
        let mut out = vec![self.intercept; x.nrows()];
        for (j, &b) in self.coef.iter().enumerate() {
            for (i, o) in out.iter_mut().enumerate() {
                *o += b * x[(i, j)];
            }
        }
        Ok(out)
    }
}

/// A fitted regression model.
#[derive(Clone)]
pub(crate) enum FittedReg {
    Linear(LinearCoef),
    Opaque(Arc<dyn FittedRegressor>, String),
}

/// A fitted classifier.
#[derive(Clone)]
pub(crate) enum FittedClf {
    Logistic(LinearCoef),
    Opaque(Arc<dyn FittedClassifier>, String),
}

/// What a saved base model looks like in a model file: a linear or
/// logistic model as its coefficients (format version 1 and later), any
/// other tp-learn model in tp-learn's own serialized form with the
/// learner's report name (version 2 and later).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum SavedBase {
    Linear(LinearCoef),
    Logistic(LinearCoef),
    Regressor { learner: String, model: SavedRegressor },
    Classifier { learner: String, model: SavedClassifier },
}

impl FittedReg {
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        match self {
            FittedReg::Linear(c) => c.eta(x),
            FittedReg::Opaque(m, _) => Ok(m.predict(x)?),
        }
    }

    pub fn save(&self) -> Result<SavedBase> {
        match self {
            FittedReg::Linear(c) => Ok(SavedBase::Linear(c.clone())),
            FittedReg::Opaque(m, name) => match m.to_saved() {
                Some(model) => Ok(SavedBase::Regressor { learner: name.clone(), model }),
                None => Err(UpliftError::NotSerializable { what: format!("a {name} model") }),
            },
        }
    }

    pub fn load(s: SavedBase, n_features: usize) -> Result<Self> {
        match s {
            SavedBase::Linear(c) if c.coef.len() == n_features => Ok(FittedReg::Linear(c)),
            SavedBase::Regressor { learner, model } if FittedRegressor::n_features(&model) == n_features => {
                Ok(FittedReg::Opaque(Arc::new(model), learner))
            }
            other => Err(UpliftError::CorruptModel {
                reason: format!(
                    "expected a regression model on {n_features} inputs, found {}",
                    describe(&other)
                ),
            }),
        }
    }
}

impl FittedClf {
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        match self {
            FittedClf::Logistic(c) => Ok(c.eta(x)?.into_iter().map(sigmoid).collect()),
            FittedClf::Opaque(m, _) => Ok(m.predict_proba(x)?),
        }
    }

    pub fn save(&self) -> Result<SavedBase> {
        match self {
            FittedClf::Logistic(c) => Ok(SavedBase::Logistic(c.clone())),
            FittedClf::Opaque(m, name) => match m.to_saved() {
                Some(model) => Ok(SavedBase::Classifier { learner: name.clone(), model }),
                None => Err(UpliftError::NotSerializable { what: format!("a {name} model") }),
            },
        }
    }

    pub fn load(s: SavedBase, n_features: usize) -> Result<Self> {
        match s {
            SavedBase::Logistic(c) if c.coef.len() == n_features => Ok(FittedClf::Logistic(c)),
            SavedBase::Classifier { learner, model }
                if FittedClassifier::n_features(&model) == n_features =>
            {
                Ok(FittedClf::Opaque(Arc::new(model), learner))
            }
            other => Err(UpliftError::CorruptModel {
                reason: format!("expected a classifier on {n_features} inputs, found {}", describe(&other)),
            }),
        }
    }
}

fn describe(s: &SavedBase) -> String {
    match s {
        SavedBase::Linear(c) => format!("a linear model on {} inputs", c.coef.len()),
        SavedBase::Logistic(c) => format!("a logistic model on {} inputs", c.coef.len()),
        SavedBase::Regressor { learner, model } => {
            format!("a {learner} regressor on {} inputs", FittedRegressor::n_features(model))
        }
        SavedBase::Classifier { learner, model } => {
            format!("a {learner} classifier on {} inputs", FittedClassifier::n_features(model))
        }
    }
}

fn sigmoid(a: f64) -> f64 {
    if a >= 0.0 {
        1.0 / (1.0 + (-a).exp())
    } else {
        let e = a.exp();
        e / (1.0 + e)
    }
}

/// The rows `rows` of `x` as an owned matrix.
pub(crate) fn take_rows(x: MatRef<'_, f64>, rows: &[usize]) -> faer::Mat<f64> {
    faer::Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)])
}
