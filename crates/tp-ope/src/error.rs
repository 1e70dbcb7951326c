//! The error type of tp-ope.

use tp_core::CoreError;
use tp_learn::LearnError;

/// Everything that can go wrong when evaluating a policy or designing a test.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OpeError {
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
    #[error("non-finite value {value} in {what} at row {row}: remove or impute it")]
    NonFinite {
        /// Which input holds the value.
        what: String,
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// An arm index is outside `0..n_arms`.
    #[error("{what} at row {row} is arm {arm}, but there are only {n_arms} arms (0..{n_arms})")]
    ArmOutOfRange {
        /// Which input holds the arm.
        what: String,
        /// Zero-based row index.
        row: usize,
        /// The offending arm index.
        arm: usize,
        /// Number of arms.
        n_arms: usize,
    },
    /// A probability is outside its valid range.
    #[error("{what} at row {row} is {value}: expected a probability in {range}")]
    Probability {
        /// Which input holds the probability.
        what: String,
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
        /// The valid range, e.g. `(0, 1]`.
        range: String,
    },
    /// A row of action probabilities does not sum to one.
    #[error("{what} at row {row} sums to {sum}: each row of action probabilities must sum to 1")]
    NotADistribution {
        /// Which input holds the row.
        what: String,
        /// Zero-based row index.
        row: usize,
        /// The row sum.
        sum: f64,
    },
    /// The target policy puts mass on arms the logging policy never plays, so
    /// an importance-weighting estimator would be biased without saying so.
    #[error(
        "{estimator} refuses: the target policy puts mass on arms the logging policy never plays in \
         {rows} rows ({share:.4} of the log; first at row {first_row}, arm {arm}); use dm or a dr-type \
         estimator with a reward model, or change the target policy to stay within the logged support"
    )]
    NoSupport {
        /// The estimator that refused.
        estimator: String,
        /// Number of rows without support.
        rows: usize,
        /// Share of rows without support.
        share: f64,
        /// First such row.
        first_row: usize,
        /// An arm without support at that row.
        arm: usize,
    },
    /// [`OpeError::NoSupport`] found on a partitioned log (where rows have no global number).
    #[error(
        "{estimator} refuses: the target policy puts mass on arms the logging policy never plays in \
         {rows} rows ({share:.4} of the log; arm {arm}); use dm or a dr-type estimator with a reward \
         model, or change the target policy to stay within the logged support"
    )]
    NoSupportPartitioned {
        /// The estimator that refused.
        estimator: String,
        /// Number of rows without support.
        rows: usize,
        /// Share of rows without support.
        share: f64,
        /// An arm without support.
        arm: usize,
    },
    /// An estimator needs the reward model q̂ but none was supplied.
    #[error("{estimator} needs a reward model: supply q_hat (n × K) or fit one with cross_fit_q_hat")]
    MissingRewardModel {
        /// The estimator that needs q̂.
        estimator: String,
    },
    /// A name does not denote a known estimator.
    #[error("unknown estimator '{name}': expected one of dm, ipw, snipw, dr, sndr, switch-dr, dros")]
    UnknownEstimator {
        /// The name given.
        name: String,
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
    /// Not enough rows for the requested operation.
    #[error("{what}: needs at least {needed} rows, got {got}")]
    NotEnoughSamples {
        /// What needed the rows.
        what: String,
        /// Minimum number of rows.
        needed: usize,
        /// Rows available.
        got: usize,
    },
    /// An error from tp-core (e.g. building folds).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// An error from a tp-learn learner while fitting the reward model.
    #[error("reward model: {0}")]
    Learn(#[from] LearnError),
}

/// Result alias for tp-ope.
pub type Result<T, E = OpeError> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &str, value: impl std::fmt::Display, expected: &str) -> OpeError {
    OpeError::InvalidParameter { name: name.into(), value: value.to_string(), expected: expected.into() }
}
