//! The error type of tp-core.

/// Everything that can go wrong when building or using tp-core's types.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
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
    /// A value is NaN or infinite.
    #[error("non-finite value {value} in {column} at row {row}: remove or impute it")]
    NonFinite {
        /// Column (or input) holding the value.
        column: String,
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// Fewer than two arms: no contrast can be estimated.
    #[error("only {got} arm(s) present: a causal contrast needs a control and at least one treatment arm")]
    TooFewArms {
        /// Number of arms found.
        got: usize,
    },
    /// An arm label is declared but no row has it.
    #[error("arm '{arm}' has no rows: drop it from the arm labels or add data for it")]
    EmptyArm {
        /// Label of the empty arm.
        arm: String,
    },
    /// An arm index points outside the arm labels.
    #[error("arm index {index} at row {row} is out of range for {n_arms} arm labels")]
    ArmOutOfRange {
        /// Zero-based row index.
        row: usize,
        /// The offending arm index.
        index: usize,
        /// Number of arm labels.
        n_arms: usize,
    },
    /// A probability is outside its valid range.
    #[error("{what} at row {row}, arm '{arm}' is {value}: expected a probability in {range}")]
    Probability {
        /// Which input holds the probability.
        what: String,
        /// Zero-based row index.
        row: usize,
        /// Arm label.
        arm: String,
        /// The offending value.
        value: f64,
        /// The valid range, e.g. `(0, 1]`.
        range: String,
    },
    /// Not enough rows (overall or in some group) for the requested operation.
    #[error("{what}: needs at least {needed} rows, got {got}")]
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
    /// A column name is not in the table.
    #[error("no column named '{name}': available columns are {available}")]
    UnknownColumn {
        /// The requested name.
        name: String,
        /// Comma-separated available names.
        available: String,
    },
    /// A column exists but has the wrong type for the request.
    #[error("column '{name}' is {found}, expected {expected}")]
    ColumnType {
        /// Column name.
        name: String,
        /// Type that was needed.
        expected: String,
        /// Type found.
        found: String,
    },
    /// A linear system could not be solved (singular or not positive definite).
    #[error(
        "{what}: matrix is singular or not positive definite; remove collinear columns or add a ridge penalty"
    )]
    Singular {
        /// Which system.
        what: String,
    },
}

/// Result alias for tp-core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
