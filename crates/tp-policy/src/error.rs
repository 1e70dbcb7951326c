//! The error type of tp-policy.

/// Everything that can go wrong when turning effect estimates into a policy.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Two inputs that must agree in shape do not.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        /// Which input has the wrong shape.
        what: String,
        /// The expected length or shape.
        expected: String,
        /// The length or shape that was given.
        got: String,
    },
    /// A value is NaN or infinite.
    #[error("non-finite value {value} in {input} at row {row}, column {column}: remove or impute it")]
    NonFinite {
        /// Which input holds the value.
        input: String,
        /// Zero-based row index.
        row: usize,
        /// Zero-based column index.
        column: usize,
        /// The offending value.
        value: f64,
    },
    /// A scalar parameter is outside its allowed range.
    #[error("{name} = {value} is invalid: {expected}")]
    Parameter {
        /// The parameter's name.
        name: String,
        /// The value that was given.
        value: f64,
        /// What is allowed.
        expected: String,
    },
    /// An assignment names an arm that does not exist.
    #[error(
        "{input}: row {row} has arm {arm} but there are only {n_arms} arms (0 = control); fix the labels"
    )]
    ArmOutOfRange {
        /// Which assignment.
        input: String,
        /// Zero-based row index.
        row: usize,
        /// The arm index found.
        arm: usize,
        /// Number of arms including control.
        n_arms: usize,
    },
    /// The AIPW scores could not be built from the nuisances given.
    #[error("doubly robust scores: {reason}")]
    Scores {
        /// What tp-core reported about the outcomes, arms, outcome model or propensities.
        reason: String,
    },
    /// The input has no rows (or no features where features are needed).
    #[error("{what} is empty: {hint}")]
    Empty {
        /// Which input.
        what: String,
        /// How to fix it.
        hint: String,
    },
}

/// Result alias of tp-policy.
pub type Result<T> = std::result::Result<T, PolicyError>;

/// Checks that every entry of a column-major view is finite.
pub(crate) fn check_finite(input: &str, m: tp_core::faer::MatRef<'_, f64>) -> Result<()> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            let v = m[(i, j)];
            if !v.is_finite() {
                return Err(PolicyError::NonFinite { input: input.into(), row: i, column: j, value: v });
            }
        }
    }
    Ok(())
}

/// Checks a matrix shape.
pub(crate) fn check_shape(
    what: &str,
    m: tp_core::faer::MatRef<'_, f64>,
    nrows: usize,
    ncols: usize,
) -> Result<()> {
    if m.nrows() != nrows || m.ncols() != ncols {
        return Err(PolicyError::Shape {
            what: what.into(),
            expected: format!("{nrows} × {ncols}"),
            got: format!("{} × {}", m.nrows(), m.ncols()),
        });
    }
    Ok(())
}

/// Checks that an assignment has `n` entries, each `< n_arms`.
pub(crate) fn check_assignment(input: &str, a: &[usize], n: usize, n_arms: usize) -> Result<()> {
    if a.len() != n {
        return Err(PolicyError::Shape {
            what: input.into(),
            expected: format!("{n} rows"),
            got: format!("{} rows", a.len()),
        });
    }
    if let Some((row, &arm)) = a.iter().enumerate().find(|(_, arm)| **arm >= n_arms) {
        return Err(PolicyError::ArmOutOfRange { input: input.into(), row, arm, n_arms });
    }
    Ok(())
}
