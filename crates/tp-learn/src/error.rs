//! The error type of tp-learn.

use tp_core::CoreError;

/// Everything that can go wrong when fitting or applying a learner.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LearnError {
    /// Two inputs that must agree in length or shape do not.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        /// Which input has the wrong shape.
        what: String,
        /// The expected length or shape.
        expected: String,
        /// The length or shape that was given.
        got: String,
    },
    /// A value is NaN or infinite where only finite values are allowed.
    #[error("non-finite value {value} in {what} at row {row}: remove or impute it")]
    NonFinite {
        /// Which input (e.g. `x column 3`, `y`, `weights`).
        what: String,
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// A sample weight is negative.
    #[error("weight {value} at row {row} is negative: sample weights must be >= 0")]
    NegativeWeight {
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// A classifier target is not 0 or 1.
    #[error("classifier target at row {row} is {value}: expected 0 or 1 (recode the outcome as binary)")]
    NotBinary {
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// Not enough rows (or total weight) to fit.
    #[error("{what}: needs at least {needed} rows with positive weight, got {got}")]
    NotEnoughSamples {
        /// What needed the rows.
        what: String,
        /// Minimum number of rows.
        needed: usize,
        /// Rows available.
        got: usize,
    },
    /// A parameter is outside its valid range.
    #[error("parameter {name} = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// The value given, formatted.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// A design-matrix column is (numerically) a linear combination of the
    /// columns before it (or of the intercept), so least squares has no
    /// unique solution.
    #[error(
        "x column {column} is collinear with the columns before it{intercept_note}: drop it or set a ridge penalty alpha > 0"
    )]
    Collinear {
        /// Zero-based index of the first collinear column.
        column: usize,
        /// Extra text when the column is constant (collinear with the intercept).
        intercept_note: String,
    },
    /// An error from tp-core.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Result alias for tp-learn.
pub type Result<T, E = LearnError> = std::result::Result<T, E>;
