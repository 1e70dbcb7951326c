//! The error type of tp-segment.

/// Everything that can go wrong when fitting or applying a segmentation model.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentError {
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
    /// NMF needs non-negative input.
    #[error(
        "negative value {value} in {input} at row {row}, column {column}: NMF needs x >= 0; \
         shift or clip the column, or drop it"
    )]
    Negative {
        /// Which input holds the value.
        input: String,
        /// Zero-based row index.
        row: usize,
        /// Zero-based column index.
        column: usize,
        /// The offending value.
        value: f64,
    },
    /// Too few rows for the requested number of clusters / components.
    #[error("{what}: needs at least {needed} rows, got {got}; lower k or add data")]
    NotEnoughSamples {
        /// What was being fitted.
        what: String,
        /// Rows needed.
        needed: usize,
        /// Rows given.
        got: usize,
    },
    /// A parameter is outside its valid range.
    #[error("parameter {name} = {value}: {expected}")]
    Parameter {
        /// Parameter name, as in the builder method.
        name: String,
        /// The value that was given, formatted.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// A numerical decomposition failed (e.g. the SVD for NNDSVD initialisation).
    #[error("{what} failed to converge: try init = random")]
    Decomposition {
        /// Which decomposition failed.
        what: String,
    },
}

/// Result alias for tp-segment.
pub type Result<T> = std::result::Result<T, SegmentError>;

pub(crate) fn check_finite(input: &str, x: faer::MatRef<'_, f64>) -> Result<()> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let v = x[(i, j)];
            if !v.is_finite() {
                return Err(SegmentError::NonFinite { input: input.into(), row: i, column: j, value: v });
            }
        }
    }
    Ok(())
}

pub(crate) fn param(name: &str, value: impl std::fmt::Display, expected: &str) -> SegmentError {
    SegmentError::Parameter { name: name.into(), value: value.to_string(), expected: expected.into() }
}
