//! Input checks shared by every learner.

use crate::{LearnError, Result};
use tp_core::faer::MatRef;

/// Checks shapes and finiteness of a training set and returns the weights
/// (all ones when `weights` is `None`). `x_may_have_nan` lets NaN (not inf)
/// through in `x` for learners that route missing values.
pub(crate) fn check_train(
    x: MatRef<'_, f64>,
    y: &[f64],
    weights: Option<&[f64]>,
    x_may_have_nan: bool,
) -> Result<Vec<f64>> {
    let n = x.nrows();
    if y.len() != n {
        return Err(LearnError::Shape {
            what: "y".into(),
            expected: format!("length {n} (rows of x)"),
            got: format!("length {}", y.len()),
        });
    }
    if x.ncols() == 0 {
        return Err(LearnError::Shape {
            what: "x".into(),
            expected: "at least one column".into(),
            got: "0 columns".into(),
        });
    }
    check_x(x, x_may_have_nan)?;
    for (row, &v) in y.iter().enumerate() {
        if !v.is_finite() {
            return Err(LearnError::NonFinite { what: "y".into(), row, value: v });
        }
    }
    let w = match weights {
        None => vec![1.0; n],
        Some(w) => {
            if w.len() != n {
                return Err(LearnError::Shape {
                    what: "weights".into(),
                    expected: format!("length {n} (rows of x)"),
                    got: format!("length {}", w.len()),
                });
            }
            for (row, &v) in w.iter().enumerate() {
                if !v.is_finite() {
                    return Err(LearnError::NonFinite { what: "weights".into(), row, value: v });
                }
                if v < 0.0 {
                    return Err(LearnError::NegativeWeight { row, value: v });
                }
            }
            w.to_vec()
        }
    };
    let positive = w.iter().filter(|&&v| v > 0.0).count();
    if positive < 2 {
        return Err(LearnError::NotEnoughSamples { what: "fit".into(), needed: 2, got: positive });
    }
    Ok(w)
}

/// Checks that every entry of `x` is finite (or NaN, when allowed).
pub(crate) fn check_x(x: MatRef<'_, f64>, allow_nan: bool) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if v.is_infinite() || (v.is_nan() && !allow_nan) {
                return Err(LearnError::NonFinite { what: format!("x column {j}"), row: i, value: v });
            }
        }
    }
    Ok(())
}

/// Checks that a classifier target is 0/1.
pub(crate) fn check_binary(y: &[f64]) -> Result<()> {
    for (row, &v) in y.iter().enumerate() {
        if v != 0.0 && v != 1.0 {
            return Err(LearnError::NotBinary { row, value: v });
        }
    }
    Ok(())
}

/// Checks the column count of a prediction input.
pub(crate) fn check_predict(x: MatRef<'_, f64>, n_features: usize, allow_nan: bool) -> Result<()> {
    if x.ncols() != n_features {
        return Err(LearnError::Shape {
            what: "x for predict".into(),
            expected: format!("{n_features} columns (as in training)"),
            got: format!("{} columns", x.ncols()),
        });
    }
    check_x(x, allow_nan)
}

/// Fails unless `value` lies in the described range.
pub(crate) fn param(ok: bool, name: &str, value: impl std::fmt::Display, expected: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(LearnError::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            expected: expected.into(),
        })
    }
}
