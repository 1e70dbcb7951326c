//! L2-penalized logistic regression by Newton's method (IRLS).
//!
//! Minimizes Σᵢ wᵢ ℓ(yᵢ, b + xᵢᵀβ) + (λ/2)‖β‖², ℓ the binary log loss and
//! the intercept b unpenalized. scikit-learn's `LogisticRegression(C=…)`
//! minimizes C·Σ wᵢ ℓᵢ + ½‖β‖², the same problem with λ = 1/C. Each Newton
//! step solves (ZᵀDZ + λI′) δ = ∇ by Cholesky, with a backtracking Armijo
//! line search on the penalized objective; iteration stops when ‖∇‖∞ ≤ tol ·
//! Σw, or when the Newton decrement ∇ᵀδ/2 (the predicted decrease) is below
//! the rounding level of the objective — then the full Newton step is taken
//! (quadratic convergence) and the fit ends, instead of a line search
//! halving its step on rounding noise. With λ = 0
//! and separable data the optimum is at infinity: the fit then stops at
//! `max_iter` and [`LogisticModel::converged`] is false (a diagnostic, not
//! an error). Collinear columns with λ = 0 are [`LearnError::Collinear`].

use crate::linalg::{cholesky, cholesky_solve, column_moments, weighted_gram};
use crate::linear::linear_predictor;
use crate::traits::{Classifier, FittedClassifier};
use crate::validate::{check_binary, check_predict, check_train, param};
use crate::{LearnError, Result};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};

/// Params of L2-penalized logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    l2: f64,
    fit_intercept: bool,
    standardize: bool,
    max_iter: usize,
    tol: f64,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        Self::params()
    }
}

impl LogisticRegression {
    /// Defaults: λ = 1 (scikit-learn's C = 1), intercept, no standardization,
    /// `max_iter = 100`, `tol = 1e-10`.
    pub fn params() -> Self {
        Self { l2: 1.0, fit_intercept: true, standardize: false, max_iter: 100, tol: 1e-10 }
    }

    /// L2 penalty λ ≥ 0 on the slopes (λ = 1/C in scikit-learn terms).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }

    /// Whether to fit an unpenalized intercept. Default true.
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.fit_intercept = yes;
        self
    }

    /// Whether to standardize columns before penalizing (coefficients are
    /// reported on the original scale). Default false.
    pub fn standardize(mut self, yes: bool) -> Self {
        self.standardize = yes;
        self
    }

    /// Maximum Newton iterations. Default 100.
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Convergence tolerance on ‖∇‖∞ / Σw. Default 1e-10.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Validates the input and fits.
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64], weights: Option<&[f64]>) -> Result<LogisticModel> {
        param(self.l2.is_finite() && self.l2 >= 0.0, "l2", self.l2, "a finite value >= 0")?;
        param(self.max_iter >= 1, "max_iter", self.max_iter, "at least 1")?;
        param(self.tol > 0.0, "tol", self.tol, "a value > 0")?;
        let w = check_train(x, y, weights, false)?;
        check_binary(y)?;
        let (n, p) = (x.nrows(), x.ncols());
        let (mean, scale) = column_moments(x, &w, self.fit_intercept, self.standardize);
        let off = usize::from(self.fit_intercept);
        let q = p + off;
        // design: [1 | (x - mean) / scale]
        let z = Mat::from_fn(n, q, |i, j| {
            if j < off { 1.0 } else { (x[(i, j - off)] - mean[j - off]) / scale[j - off] }
        });
        let sw: f64 = w.iter().sum();
        let penalty = |j: usize| if j < off { 0.0 } else { self.l2 };
        let mut beta = vec![0.0; q];
        if self.fit_intercept {
            let ybar = (y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / sw).clamp(1e-12, 1.0 - 1e-12);
            beta[0] = (ybar / (1.0 - ybar)).ln();
        }
        let eta_of = |beta: &[f64]| {
            let mut eta = vec![0.0; n];
            for (j, &b) in beta.iter().enumerate() {
                for (i, e) in eta.iter_mut().enumerate() {
                    *e += b * z[(i, j)];
                }
            }
            eta
        };
        let objective = |eta: &[f64], beta: &[f64]| {
            let mut f = 0.0;
            for i in 0..n {
                // log(1 + e^η) − yη, computed stably
                let e = eta[i];
                let softplus = if e > 0.0 { e + (-e).exp().ln_1p() } else { e.exp().ln_1p() };
                f += w[i] * (softplus - y[i] * e);
            }
            f + 0.5 * beta.iter().enumerate().map(|(j, b)| penalty(j) * b * b).sum::<f64>()
        };
        let mut eta = eta_of(&beta);
        let mut obj = objective(&eta, &beta);
        let mut converged = false;
        let mut n_iter = 0;
        for _ in 0..self.max_iter {
            n_iter += 1;
            let prob: Vec<f64> = eta.iter().map(|&e| sigmoid(e)).collect();
            let d: Vec<f64> = (0..n).map(|i| w[i] * prob[i] * (1.0 - prob[i])).collect();
            let r: Vec<f64> = (0..n).map(|i| w[i] * (prob[i] - y[i])).collect();
            let (mut h, mut grad) = weighted_gram(z.as_ref(), &d, &r);
            for j in 0..q {
                grad[j] += penalty(j) * beta[j];
                h[(j, j)] += penalty(j);
            }
            let gmax = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            if gmax <= self.tol * sw {
                converged = true;
                break;
            }
            let l = cholesky(&h, 1e-12).map_err(|j| {
                if j < off {
                    LearnError::NotEnoughSamples {
                        what: "logistic regression (all probabilities saturated)".into(),
                        needed: 2,
                        got: 0,
                    }
                } else {
                    LearnError::Collinear { column: j - off, intercept_note: String::new() }
                }
            })?;
            let step = cholesky_solve(&l, &grad);
            // Newton decrement: the predicted decrease of the objective is dec / 2
            let dec: f64 = grad.iter().zip(&step).map(|(g, s)| g * s).sum();
            // Below rounding level the objective cannot tell a better point from a
            // worse one; Newton is then in its quadratic regime: take the full step
            // and stop (this is where a plain "objective must decrease" search
            // halves its step dozens of times for nothing).
            let noise = 64.0 * f64::EPSILON * obj.abs().max(sw);
            if !dec.is_finite() || dec <= 0.0 || 0.5 * dec <= noise {
                beta.iter_mut().zip(&step).for_each(|(b, s)| *b -= s);
                converged = true;
                break;
            }
            // backtracking Armijo on the penalized objective
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..40 {
                let cand: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
                let cand_eta = eta_of(&cand);
                let cand_obj = objective(&cand_eta, &cand);
                if cand_obj <= obj - 1e-4 * t * dec {
                    (beta, eta, obj) = (cand, cand_eta, cand_obj);
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                // no step decreases the objective measurably: at the optimum up to rounding
                converged = gmax <= 1e3 * self.tol * sw;
                break;
            }
        }
        let coef: Vec<f64> = (0..p).map(|j| beta[j + off] / scale[j]).collect();
        let intercept = if self.fit_intercept {
            beta[0] - coef.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>()
        } else {
            0.0
        };
        Ok(LogisticModel { params: self.clone(), coef, intercept, converged, n_iter })
    }
}

/// The logistic function 1 / (1 + e^−η).
pub(crate) fn sigmoid(e: f64) -> f64 {
    if e >= 0.0 {
        1.0 / (1.0 + (-e).exp())
    } else {
        let a = e.exp();
        a / (1.0 + a)
    }
}

/// A fitted logistic model P(y = 1 | x) = σ(b + xᵀβ). Serialized as
/// `{"params": {"l2", "fit_intercept", "standardize", "max_iter", "tol"},
/// "coef": [..], "intercept", "converged", "n_iter"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    params: LogisticRegression,
    coef: Vec<f64>,
    intercept: f64,
    converged: bool,
    n_iter: usize,
}

impl LogisticModel {
    /// The slopes β on the original scale.
    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    /// The intercept b.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Whether the gradient tolerance was reached.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Newton iterations used.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The params this model was fitted with.
    pub fn params(&self) -> &LogisticRegression {
        &self.params
    }

    /// Linear predictor b + xᵀβ (log-odds) per row.
    pub fn decision_function(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        check_predict(x, self.coef.len(), false)?;
        Ok(linear_predictor(x, &self.coef, self.intercept))
    }

    /// P(y = 1 | x) per row.
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        Ok(self.decision_function(x)?.into_iter().map(sigmoid).collect())
    }
}

impl Classifier for LogisticRegression {
    fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        weights: Option<&[f64]>,
    ) -> Result<Box<dyn FittedClassifier>> {
        Ok(Box::new(LogisticRegression::fit(self, x, y, weights)?))
    }

    fn clone_box(&self) -> Box<dyn Classifier> {
        Box::new(self.clone())
    }
}

impl FittedClassifier for LogisticModel {
    fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        LogisticModel::predict_proba(self, x)
    }

    fn n_features(&self) -> usize {
        self.coef.len()
    }

    fn to_saved(&self) -> Option<crate::SavedClassifier> {
        Some(crate::SavedClassifier::Logistic(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_stops_at_rounding_level_without_wasted_iterations() {
        // 50,000 rows with two features of order 1e10 (unscaled amounts): the
        // rounding noise of the gradient sums is then about tol · Σw, so the
        // gradient test alone may never pass, and a plain "objective must
        // decrease" search halves its step on rounding noise, iteration after
        // iteration. Newton's decrement tells when to stop.
        use rand::Rng;
        let mut rng = tp_core::rng::stream(5, 0);
        let n = 50_000;
        let big = 1e10;
        let x = Mat::from_fn(n, 4, |_, j| (rng.random::<f64>() * 2.0 - 1.0) * if j < 2 { big } else { 1.0 });
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let eta = 0.3 + x[(i, 0)] / big - 0.7 * x[(i, 1)] / big + 0.2 * x[(i, 3)];
                f64::from(u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp())))
            })
            .collect();
        let m = LogisticRegression::params().l2(1.0).fit(x.as_ref(), &y, None).unwrap();
        assert!(m.converged());
        assert!(m.n_iter() <= 10, "{} Newton iterations", m.n_iter());
        // the optimum is accurate: the slopes match the signal on its own scale
        assert!(
            (m.coef()[0] * big - 1.0).abs() < 0.1 && (m.coef()[1] * big + 0.7).abs() < 0.1,
            "{:?}",
            m.coef()
        );
        let p = m.predict_proba(x.as_ref()).unwrap();
        let g0: f64 = (0..n).map(|i| p[i] - y[i]).sum();
        assert!(g0.abs() < 1e-6, "{g0}");
    }

    #[test]
    fn gradient_is_zero_at_the_optimum() {
        let x = Mat::from_fn(60, 2, |i, j| (((i * 7 + j * 3) % 11) as f64 - 5.0) / 3.0);
        let y: Vec<f64> = (0..60).map(|i| f64::from(u8::from((i * 13) % 5 < 2 + (i % 3)))).collect();
        let m = LogisticRegression::params().l2(0.5).fit(x.as_ref(), &y, None).unwrap();
        assert!(m.converged());
        let p = m.predict_proba(x.as_ref()).unwrap();
        let g0: f64 = (0..60).map(|i| p[i] - y[i]).sum();
        assert!(g0.abs() < 1e-8);
        for j in 0..2 {
            let g: f64 = (0..60).map(|i| (p[i] - y[i]) * x[(i, j)]).sum::<f64>() + 0.5 * m.coef()[j];
            assert!(g.abs() < 1e-8, "{g}");
        }
    }
}
