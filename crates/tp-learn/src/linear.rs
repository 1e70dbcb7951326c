//! Least squares and ridge regression.
//!
//! Minimizes Σᵢ wᵢ (yᵢ − b − xᵢᵀβ)² + α‖β‖² (the intercept b is never
//! penalized; this is scikit-learn's `Ridge(alpha)` objective, and
//! `LinearRegression` when α = 0). With an intercept, x and y are centered
//! by their weighted means first, which is an exact reparametrization and
//! keeps the Gram well conditioned. The normal equations are solved by a
//! Cholesky factorization of the p × p Gram (summed over row blocks in
//! parallel). Rank deficiency is **an error, not a silent pivot**: when α = 0
//! and a column is (to relative tolerance 1e-10) a combination of the
//! columns before it, [`LearnError::Collinear`] names that column — drop it
//! or set α > 0.
//!
//! `standardize(true)` scales each column by its weighted standard deviation
//! before penalizing (so α acts on standardized coefficients, as in glmnet);
//! coefficients are reported on the original scale either way.

use crate::linalg::{cholesky, cholesky_solve, column_moments, weighted_gram};
use crate::traits::{FittedRegressor, Regressor};
use crate::validate::{check_predict, check_train, param};
use crate::{LearnError, Result};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};

/// Params of ordinary least squares / ridge regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearRegression {
    alpha: f64,
    fit_intercept: bool,
    standardize: bool,
}

impl Default for LinearRegression {
    fn default() -> Self {
        Self::params()
    }
}

impl LinearRegression {
    /// OLS with an intercept: α = 0, `fit_intercept = true`, `standardize = false`.
    pub fn params() -> Self {
        Self { alpha: 0.0, fit_intercept: true, standardize: false }
    }

    /// Ridge penalty α ≥ 0 on the (possibly standardized) slopes. Default 0.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Whether to fit an unpenalized intercept. Default true.
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.fit_intercept = yes;
        self
    }

    /// Whether to scale columns to unit weighted standard deviation before
    /// penalizing. Default false. Has no effect on the fit when α = 0.
    pub fn standardize(mut self, yes: bool) -> Self {
        self.standardize = yes;
        self
    }

    /// Validates the input and fits.
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64], weights: Option<&[f64]>) -> Result<LinearModel> {
        param(self.alpha.is_finite() && self.alpha >= 0.0, "alpha", self.alpha, "a finite value >= 0")?;
        let w = check_train(x, y, weights, false)?;
        let (n, p) = (x.nrows(), x.ncols());
        let (mean, scale) = column_moments(x, &w, self.fit_intercept, self.standardize);
        let sw: f64 = w.iter().sum();
        let y_mean =
            if self.fit_intercept { y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / sw } else { 0.0 };
        let z = Mat::from_fn(n, p, |i, j| (x[(i, j)] - mean[j]) / scale[j]);
        let r: Vec<f64> = (0..n).map(|i| w[i] * (y[i] - y_mean)).collect();
        let (mut g, rhs) = weighted_gram(z.as_ref(), &w, &r);
        for j in 0..p {
            g[(j, j)] += self.alpha;
        }
        let l = cholesky(&g, 1e-10).map_err(|column| {
            let constant = g[(column, column)] <= self.alpha;
            LearnError::Collinear {
                column,
                intercept_note: if constant && self.fit_intercept {
                    " (it is constant, so collinear with the intercept)".into()
                } else if constant {
                    " (it is all zeros)".into()
                } else {
                    String::new()
                },
            }
        })?;
        let beta_z = cholesky_solve(&l, &rhs);
        let coef: Vec<f64> = beta_z.iter().zip(&scale).map(|(b, s)| b / s).collect();
        let intercept = y_mean - coef.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>();
        Ok(LinearModel { params: self.clone(), coef, intercept })
    }
}

/// A fitted linear model ŷ = b + xᵀβ. Serialized as `{"params": {"alpha",
/// "fit_intercept", "standardize"}, "coef": [..], "intercept"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    params: LinearRegression,
    coef: Vec<f64>,
    intercept: f64,
}

impl LinearModel {
    /// The slopes β, one per column, on the original scale.
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    /// The intercept b (0 when fitted without one).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The params this model was fitted with.
    pub fn params(&self) -> &LinearRegression {
        &self.params
    }

    /// b + xᵢᵀβ for each row.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        check_predict(x, self.coef.len(), false)?;
        Ok(linear_predictor(x, &self.coef, self.intercept))
    }
}

/// b + xᵢᵀβ for each row (no checks).
pub(crate) fn linear_predictor(x: MatRef<'_, f64>, coef: &[f64], intercept: f64) -> Vec<f64> {
    let mut out = vec![intercept; x.nrows()];
    for (j, &b) in coef.iter().enumerate() {
        for (i, o) in out.iter_mut().enumerate() {
            *o += b * x[(i, j)];
        }
    }
    out
}

impl Regressor for LinearRegression {
    fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Box<dyn FittedRegressor>> {
        Ok(Box::new(LinearRegression::fit(self, x, y, weights)?))
    }

    fn clone_box(&self) -> Box<dyn Regressor> {
        Box::new(self.clone())
    }
}

impl FittedRegressor for LinearModel {
    fn predict(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        LinearModel::predict(self, x)
    }

    fn n_features(&self) -> usize {
        self.coef.len()
    }

    fn to_saved(&self) -> Option<crate::SavedRegressor> {
        Some(crate::SavedRegressor::Linear(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_exact_plane() {
        let x = Mat::from_fn(20, 2, |i, j| ((i * (j + 3)) % 7) as f64 + 0.1 * i as f64);
        let y: Vec<f64> = (0..20).map(|i| 1.5 + 2.0 * x[(i, 0)] - 0.5 * x[(i, 1)]).collect();
        let m = LinearRegression::params().fit(x.as_ref(), &y, None).unwrap();
        assert!((m.intercept() - 1.5).abs() < 1e-9);
        assert!((m.coef()[0] - 2.0).abs() < 1e-9 && (m.coef()[1] + 0.5).abs() < 1e-9);
    }

    #[test]
    fn collinear_column_is_named() {
        let x = Mat::from_fn(10, 3, |i, j| match j {
            0 => i as f64,
            1 => (i % 3) as f64,
            _ => 2.0 * i as f64 - (i % 3) as f64,
        });
        let y: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let err = LinearRegression::params().fit(x.as_ref(), &y, None).unwrap_err();
        assert!(matches!(err, LearnError::Collinear { column: 2, .. }), "{err}");
        let constant = Mat::from_fn(10, 2, |i, j| if j == 0 { i as f64 } else { 3.0 });
        let err = LinearRegression::params().fit(constant.as_ref(), &y, None).unwrap_err();
        assert!(err.to_string().contains("column 1") && err.to_string().contains("intercept"), "{err}");
        // ridge resolves it
        assert!(LinearRegression::params().alpha(1.0).fit(x.as_ref(), &y, None).is_ok());
    }
}
