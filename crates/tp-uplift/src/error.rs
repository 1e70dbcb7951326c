//! The error type of tp-uplift.

use tp_core::CoreError;
use tp_learn::LearnError;

/// Everything that can go wrong when estimating, evaluating, saving or
/// loading uplift models.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpliftError {
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
    /// A value that must be 0 or 1 is not.
    #[error("{what} at row {row} is {value}: expected 0 or 1 ({hint})")]
    NotBinary {
        /// Which input.
        what: String,
        /// Zero-based row index.
        row: usize,
        /// The offending value.
        value: f64,
        /// How to fix it.
        hint: String,
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
    /// Estimated or known propensities leave some rows without overlap.
    #[error(
        "no overlap for arm '{arm}': propensity {value} at row {row} is outside (0, 1); trim rows (Crump et al.) or use a smoother propensity model"
    )]
    NoOverlap {
        /// Arm label.
        arm: String,
        /// Zero-based row index.
        row: usize,
        /// The propensity.
        value: f64,
    },
    /// A saved model was fitted on other features than the data given.
    #[error("feature mismatch: the model expects features [{expected}] in this order, the data has [{got}]")]
    FeatureMismatch {
        /// Feature names the model was fitted on.
        expected: String,
        /// Feature names of the data.
        got: String,
    },
    /// A saved model has a format version this build cannot read.
    #[error(
        "model file format version {found} is newer than this build supports ({supported}): upgrade tp to read it"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Highest version this build reads.
        supported: u32,
    },
    /// A saved model file cannot be parsed or is inconsistent.
    #[error("model file is corrupt or not a tp uplift model: {reason}")]
    CorruptModel {
        /// What is wrong.
        reason: String,
    },
    /// A fitted base model cannot be written to a model file.
    #[error("cannot save the model: {what} has no serialized form; fit with a tp-learn learner to save it")]
    NotSerializable {
        /// Which part of the model.
        what: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An error from a base learner.
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// An error from tp-core.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Result alias for tp-uplift.
pub type Result<T, E = UpliftError> = std::result::Result<T, E>;
