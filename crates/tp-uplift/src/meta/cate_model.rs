//! The fitted CATE model: any meta-learner or a wrapped forest, predicting
//! τ̂ and its standard error on new rows.

use super::Method;
use super::parts::Parts;
use crate::{Result, UpliftError};
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// A fitted CATE model: predicts τ̂_a(x) for every treated arm `a`.
#[derive(Clone)]
pub struct CateModel {
    pub(crate) method: Method,
    pub(crate) feature_names: Vec<String>,
    pub(crate) arm_labels: Vec<String>,
    pub(crate) params: serde_json::Value,
    pub(crate) seed: u64,
    pub(crate) parts: Parts,
    pub(crate) replicates: Vec<Parts>,
}

impl std::fmt::Debug for CateModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CateModel")
            .field("method", &self.method)
            .field("features", &self.feature_names)
            .field("arms", &self.arm_labels)
            .field("params", &self.params)
            .field("replicates", &self.replicates.len())
            .finish()
    }
}

impl CateModel {
    /// Wraps a fitted causal forest so it saves, loads and scores like a
    /// meta-learner. `feature_names` are the forest's covariates in training
    /// order, `arm_labels` its arms (control first); `params` and `seed` are
    /// recorded in the model file as given.
    pub fn from_causal_forest(
        forest: crate::CausalForestModel,
        feature_names: Vec<String>,
        arm_labels: Vec<String>,
        params: serde_json::Value,
        seed: u64,
    ) -> Result<CateModel> {
        if feature_names.len() != forest.n_features() || arm_labels.len() != forest.n_treated() + 1 {
            return Err(UpliftError::Shape {
                what: "causal forest names".into(),
                expected: format!(
                    "{} feature names and {} arm labels",
                    forest.n_features(),
                    forest.n_treated() + 1
                ),
                got: format!("{} feature names and {} arm labels", feature_names.len(), arm_labels.len()),
            });
        }
        Ok(CateModel {
            method: Method::CausalForest,
            feature_names,
            arm_labels,
            params,
            seed,
            parts: Parts::Forest(Box::new(forest)),
            replicates: Vec::new(),
        })
    }

    /// Wraps a fitted uplift random forest so it saves, loads and scores
    /// like a meta-learner (τ̂ = the forest's uplift p̂ₖ − p̂₀; standard
    /// errors when it was grown in little bags). Arguments as in
    /// [`Self::from_causal_forest`].
    pub fn from_uplift_forest(
        forest: crate::UpliftForestModel,
        feature_names: Vec<String>,
        arm_labels: Vec<String>,
        params: serde_json::Value,
        seed: u64,
    ) -> Result<CateModel> {
        if feature_names.len() != forest.n_features() || arm_labels.len() != forest.n_arms() {
            return Err(UpliftError::Shape {
                what: "uplift forest names".into(),
                expected: format!("{} feature names and {} arm labels", forest.n_features(), forest.n_arms()),
                got: format!("{} feature names and {} arm labels", feature_names.len(), arm_labels.len()),
            });
        }
        Ok(CateModel {
            method: Method::UpliftForest,
            feature_names,
            arm_labels,
            params,
            seed,
            parts: Parts::UpliftForest(Box::new(forest)),
            replicates: Vec::new(),
        })
    }

    /// The meta-learner.
    pub fn method(&self) -> Method {
        self.method
    }
    /// Feature names, in the order `predict` expects its columns.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Arm labels (index 0 = control).
    pub fn arm_labels(&self) -> &[String] {
        &self.arm_labels
    }
    /// The parameters recorded at fit time.
    pub fn params(&self) -> &serde_json::Value {
        &self.params
    }
    /// The seed used at fit time.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Number of bootstrap replicates kept.
    pub fn n_replicates(&self) -> usize {
        self.replicates.len()
    }

    fn check_x(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.feature_names.len() {
            return Err(UpliftError::Shape {
                what: "x".into(),
                expected: format!("{} columns ({})", self.feature_names.len(), self.feature_names.join(", ")),
                got: format!("{} columns", x.ncols()),
            });
        }
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                if !x[(i, j)].is_finite() {
                    return Err(UpliftError::NonFinite {
                        what: self.feature_names[j].clone(),
                        row: i,
                        value: x[(i, j)],
                    });
                }
            }
        }
        Ok(())
    }

    /// τ̂_a(x) for each row of `x` (columns in [`Self::feature_names`]
    /// order) and treated arm: an `n × (K − 1)` matrix, column `a − 1` for arm `a`.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_x(x)?;
        self.parts.predict(x, self.arm_labels.len())
    }

    /// Like [`Self::predict`], after checking that `names` are the
    /// model's features in the model's order.
    pub fn predict_named(&self, names: &[String], x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if names != self.feature_names.as_slice() {
            return Err(UpliftError::FeatureMismatch {
                expected: self.feature_names.join(", "),
                got: names.join(", "),
            });
        }
        self.predict(x)
    }

    /// [`Self::predict`] and [`Self::predict_se`] together, the same bits as the two calls: for a
    /// causal forest from one pass over the trees (the forest computes τ̂ on the way to its
    /// variance), for the other models the two calls.
    pub fn predict_with_se(&self, x: MatRef<'_, f64>) -> Result<(Mat<f64>, Option<Mat<f64>>)> {
        if let Parts::Forest(forest) = &self.parts {
            self.check_x(x)?;
            let e = forest.predict_arms(x)?;
            return Ok((e.tau, Some(e.se)));
        }
        Ok((self.predict(x)?, self.predict_se(x)?))
    }

    /// Bootstrap standard error of τ̂ per row and arm (sd over the
    /// replicates); `None` when the model has fewer than two replicates.
    /// For a causal forest, the forest's own (little-bags) standard error;
    /// for an uplift forest too, when it was grown in little bags.
    pub fn predict_se(&self, x: MatRef<'_, f64>) -> Result<Option<Mat<f64>>> {
        self.check_x(x)?;
        if let Parts::Forest(forest) = &self.parts {
            return Ok(Some(forest.predict_arms(x)?.se));
        }
        if let Parts::UpliftForest(forest) = &self.parts {
            // the level does not enter the standard errors
            return Ok((forest.ci_group_size() >= 2)
                .then(|| forest.predict_interval(x, 0.9))
                .transpose()?
                .map(|p| p.se));
        }
        let b = self.replicates.len();
        if b < 2 {
            return Ok(None);
        }
        let k = self.arm_labels.len();
        let preds = self.replicates.par_iter().map(|p| p.predict(x, k)).collect::<Result<Vec<_>>>()?;
        let (n, m) = (x.nrows(), k - 1);
        Ok(Some(Mat::from_fn(n, m, |i, a| {
            let v: Vec<f64> = preds.iter().map(|p| p[(i, a)]).collect();
            tp_core::stats::variance(&v).sqrt()
        })))
    }
}
