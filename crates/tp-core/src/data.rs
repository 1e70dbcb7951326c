//! [`CausalData`]: the validated input of every effect and policy estimator.

use crate::error::{CoreError, Result};
use faer::{Mat, MatRef};

/// Covariates, arms, outcomes and optional known propensities and weights,
/// validated once at construction.
///
/// Invariants (checked by [`CausalDataBuilder::build`]): `n ≥ 1` rows;
/// covariates `n × p` with `p` names, all finite; arm indices `< K` with
/// `K ≥ 2` labels (arm 0 is the control) and every arm non-empty; finite
/// outcomes; propensities, when given, `n × K` with entries in `[0, 1]`,
/// rows summing to one (±1e-6) and the received arm's probability `> 0`;
/// weights, when given, finite and non-negative with a positive sum.
#[derive(Debug, Clone)]
pub struct CausalData {
    covariates: Mat<f64>,
    names: Vec<String>,
    arms: Vec<usize>,
    labels: Vec<String>,
    outcome: Vec<f64>,
    propensity: Option<Mat<f64>>,
    weights: Option<Vec<f64>>,
}

/// Builder for [`CausalData`]; see [`CausalData::builder`].
#[derive(Debug, Clone)]
pub struct CausalDataBuilder {
    covariates: Mat<f64>,
    names: Vec<String>,
    arms: Vec<usize>,
    labels: Option<Vec<String>>,
    outcome: Vec<f64>,
    propensity: Option<Mat<f64>>,
    weights: Option<Vec<f64>>,
}

impl CausalData {
    /// Starts a builder from covariates (`n × p`) with their column names,
    /// the arm index of each row and the outcome. Arm labels default to
    /// `"0"`, `"1"`, … up to the largest index.
    pub fn builder(
        covariates: Mat<f64>,
        names: Vec<String>,
        arms: Vec<usize>,
        outcome: Vec<f64>,
    ) -> CausalDataBuilder {
        CausalDataBuilder { covariates, names, arms, labels: None, outcome, propensity: None, weights: None }
    }

    /// Number of rows.
    pub fn n(&self) -> usize {
        self.arms.len()
    }
    /// Number of covariates.
    pub fn p(&self) -> usize {
        self.covariates.ncols()
    }
    /// Number of arms `K` (control included).
    pub fn n_arms(&self) -> usize {
        self.labels.len()
    }
    /// The covariate matrix.
    pub fn covariates(&self) -> MatRef<'_, f64> {
        self.covariates.as_ref()
    }
    /// Covariate names, in column order.
    pub fn feature_names(&self) -> &[String] {
        &self.names
    }
    /// Arm index of each row (0 = control).
    pub fn arms(&self) -> &[usize] {
        &self.arms
    }
    /// Arm labels; index 0 is the control.
    pub fn arm_labels(&self) -> &[String] {
        &self.labels
    }
    /// Outcome of each row.
    pub fn outcome(&self) -> &[f64] {
        &self.outcome
    }
    /// Known propensities (`n × K`), if given.
    pub fn propensity(&self) -> Option<MatRef<'_, f64>> {
        self.propensity.as_ref().map(|m| m.as_ref())
    }
    /// Row weights, if given.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }
    /// Number of rows in each arm.
    pub fn arm_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.n_arms()];
        for &a in &self.arms {
            c[a] += 1;
        }
        c
    }
    /// 1.0 where the row received `arm`, else 0.0.
    pub fn arm_indicator(&self, arm: usize) -> Vec<f64> {
        self.arms.iter().map(|&a| f64::from(u8::from(a == arm))).collect()
    }

    /// The rows `idx` (in that order) as a new data set. Arms that end up
    /// empty are an error, as at construction.
    pub fn subset(&self, idx: &[usize]) -> Result<CausalData> {
        let x = Mat::from_fn(idx.len(), self.p(), |i, j| self.covariates[(idx[i], j)]);
        let mut b = CausalData::builder(
            x,
            self.names.clone(),
            idx.iter().map(|&i| self.arms[i]).collect(),
            idx.iter().map(|&i| self.outcome[i]).collect(),
        )
        .arm_labels(self.labels.clone());
        if let Some(e) = &self.propensity {
            b = b.propensity(Mat::from_fn(idx.len(), e.ncols(), |i, j| e[(idx[i], j)]));
        }
        if let Some(w) = &self.weights {
            b = b.weights(idx.iter().map(|&i| w[i]).collect());
        }
        b.build()
    }
}

impl CausalDataBuilder {
    /// Arm labels (index 0 = control). Their number sets `K`.
    pub fn arm_labels(mut self, labels: Vec<String>) -> Self {
        self.labels = Some(labels);
        self
    }
    /// Known propensities, `n × K` (RCT or logged probabilities).
    pub fn propensity(mut self, e: Mat<f64>) -> Self {
        self.propensity = Some(e);
        self
    }
    /// Row weights.
    pub fn weights(mut self, w: Vec<f64>) -> Self {
        self.weights = Some(w);
        self
    }

    /// Validates and builds.
    pub fn build(self) -> Result<CausalData> {
        let n = self.arms.len();
        if n == 0 {
            return Err(CoreError::NotEnoughSamples { what: "causal data".into(), needed: 2, got: 0 });
        }
        let shape =
            |what: &str, expected: String, got: String| CoreError::Shape { what: what.into(), expected, got };
        if self.covariates.nrows() != n {
            return Err(shape(
                "covariates",
                format!("{n} rows (one per arm entry)"),
                format!("{} rows", self.covariates.nrows()),
            ));
        }
        if self.names.len() != self.covariates.ncols() {
            return Err(shape(
                "covariate names",
                format!("{} names (one per column)", self.covariates.ncols()),
                format!("{} names", self.names.len()),
            ));
        }
        if self.outcome.len() != n {
            return Err(shape("outcome", format!("{n} values"), format!("{} values", self.outcome.len())));
        }
        let labels = match self.labels {
            Some(l) => l,
            None => {
                let k = self.arms.iter().copied().max().unwrap_or(0) + 1;
                (0..k).map(|a| a.to_string()).collect()
            }
        };
        let k = labels.len();
        if k < 2 {
            return Err(CoreError::TooFewArms { got: k });
        }
        let mut counts = vec![0usize; k];
        for (row, &a) in self.arms.iter().enumerate() {
            if a >= k {
                return Err(CoreError::ArmOutOfRange { row, index: a, n_arms: k });
            }
            counts[a] += 1;
        }
        if let Some(a) = counts.iter().position(|&c| c == 0) {
            return Err(CoreError::EmptyArm { arm: labels[a].clone() });
        }
        for j in 0..self.covariates.ncols() {
            for i in 0..n {
                let v = self.covariates[(i, j)];
                if !v.is_finite() {
                    return Err(CoreError::NonFinite { column: self.names[j].clone(), row: i, value: v });
                }
            }
        }
        if let Some((row, &v)) = self.outcome.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CoreError::NonFinite { column: "outcome".into(), row, value: v });
        }
        if let Some(e) = &self.propensity {
            if e.nrows() != n || e.ncols() != k {
                return Err(shape(
                    "propensity",
                    format!("{n} × {k}"),
                    format!("{} × {}", e.nrows(), e.ncols()),
                ));
            }
            for i in 0..n {
                let mut s = 0.0;
                for a in 0..k {
                    let v = e[(i, a)];
                    if !(0.0..=1.0).contains(&v) {
                        return Err(CoreError::Probability {
                            what: "propensity".into(),
                            row: i,
                            arm: labels[a].clone(),
                            value: v,
                            range: "[0, 1]".into(),
                        });
                    }
                    s += v;
                }
                if (s - 1.0).abs() > 1e-6 {
                    return Err(CoreError::Shape {
                        what: format!("propensity row {i}"),
                        expected: "probabilities summing to 1".into(),
                        got: format!("sum {s}"),
                    });
                }
                let a = self.arms[i];
                if e[(i, a)] <= 0.0 {
                    return Err(CoreError::Probability {
                        what: "propensity of the received arm".into(),
                        row: i,
                        arm: labels[a].clone(),
                        value: e[(i, a)],
                        range: "(0, 1]".into(),
                    });
                }
            }
        }
        if let Some(w) = &self.weights {
            if w.len() != n {
                return Err(shape("weights", format!("{n} values"), format!("{} values", w.len())));
            }
            if let Some((row, &v)) = w.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
                return Err(CoreError::InvalidParameter {
                    name: format!("weight at row {row}"),
                    value: v.to_string(),
                    expected: "a finite, non-negative weight".into(),
                });
            }
            if w.iter().sum::<f64>() <= 0.0 {
                return Err(CoreError::InvalidParameter {
                    name: "weights".into(),
                    value: "all zero".into(),
                    expected: "a positive total weight".into(),
                });
            }
        }
        Ok(CausalData {
            covariates: self.covariates,
            names: self.names,
            arms: self.arms,
            labels,
            outcome: self.outcome,
            propensity: self.propensity,
            weights: self.weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> CausalDataBuilder {
        let x = Mat::from_fn(4, 2, |i, j| (i + j) as f64);
        CausalData::builder(x, vec!["a".into(), "b".into()], vec![0, 1, 0, 1], vec![1.0, 2.0, 3.0, 4.0])
    }

    #[test]
    fn valid_data_builds() {
        let d = base().arm_labels(vec!["control".into(), "coupon".into()]).build().unwrap();
        assert_eq!((d.n(), d.p(), d.n_arms()), (4, 2, 2));
        assert_eq!(d.arm_indicator(1), vec![0.0, 1.0, 0.0, 1.0]);
        let s = d.subset(&[3, 0]).unwrap();
        assert_eq!(s.outcome(), &[4.0, 1.0]);
        assert_eq!(s.covariates()[(0, 1)], 4.0);
    }

    #[test]
    fn each_invalid_input_has_its_error() {
        let x = Mat::from_fn(4, 2, |i, j| (i + j) as f64);
        let names = || vec!["a".into(), "b".into()];
        assert!(matches!(
            CausalData::builder(x.clone(), names(), vec![0, 1, 0], vec![0.0; 3]).build(),
            Err(CoreError::Shape { what, .. }) if what == "covariates"
        ));
        assert!(matches!(
            CausalData::builder(x.clone(), vec!["a".into()], vec![0, 1, 0, 1], vec![0.0; 4]).build(),
            Err(CoreError::Shape { what, .. }) if what == "covariate names"
        ));
        assert!(matches!(
            CausalData::builder(x.clone(), names(), vec![0; 4], vec![0.0; 4]).build(),
            Err(CoreError::TooFewArms { got: 1 })
        ));
        assert!(matches!(
            base().arm_labels(vec!["c".into(), "t".into(), "t2".into()]).build(),
            Err(CoreError::EmptyArm { arm }) if arm == "t2"
        ));
        let mut bad = x.clone();
        bad[(2, 1)] = f64::NAN;
        assert!(matches!(
            CausalData::builder(bad, names(), vec![0, 1, 0, 1], vec![0.0; 4]).build(),
            Err(CoreError::NonFinite { column, row: 2, .. }) if column == "b"
        ));
        assert!(matches!(
            CausalData::builder(x.clone(), names(), vec![0, 1, 0, 1], vec![0.0, f64::INFINITY, 0.0, 0.0]).build(),
            Err(CoreError::NonFinite { column, row: 1, .. }) if column == "outcome"
        ));
        let e = Mat::from_fn(4, 2, |_, j| if j == 0 { 1.0 } else { 0.0 });
        assert!(matches!(base().propensity(e).build(), Err(CoreError::Probability { row: 1, .. })));
        assert!(matches!(
            base().weights(vec![1.0, -1.0, 1.0, 1.0]).build(),
            Err(CoreError::InvalidParameter { .. })
        ));
    }
}
