//! The error type of tp-sim.

use tp_core::CoreError;

/// Everything that can go wrong when configuring or generating a world.
///
/// Parameters are validated before any work starts; the message names the
/// parameter, the value given and the allowed range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter is outside its allowed range.
    #[error("parameter {name} = {value} is out of range: expected {allowed}")]
    Parameter {
        /// The parameter, as named by its builder method (e.g. `customers`).
        name: &'static str,
        /// The value given, formatted.
        value: String,
        /// The allowed range, e.g. `an integer in [100, 10000000]`.
        allowed: String,
    },
    /// Two parameters are individually valid but inconsistent with each other.
    #[error("parameters {first} and {second} are inconsistent: {reason}")]
    Inconsistent {
        /// The first parameter.
        first: &'static str,
        /// The second parameter.
        second: &'static str,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// Building an output table failed (a tp-core invariant; should not happen).
    #[error(transparent)]
    Table(#[from] CoreError),
}

/// Result alias for tp-sim.
pub type Result<T, E = SimError> = std::result::Result<T, E>;

/// Checks `lo <= value <= hi` for a float parameter (NaN fails).
pub(crate) fn check_f64(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(SimError::Parameter {
            name,
            value: value.to_string(),
            allowed: format!("a number in [{lo}, {hi}]"),
        })
    }
}

/// Checks `lo <= value <= hi` for an integer parameter.
pub(crate) fn check_usize(name: &'static str, value: usize, lo: usize, hi: usize) -> Result<()> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(SimError::Parameter {
            name,
            value: value.to_string(),
            allowed: format!("an integer in [{lo}, {hi}]"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_checks_name_the_parameter() {
        assert!(check_f64("margin", 0.3, 0.0, 1.0).is_ok());
        let e = check_f64("margin", f64::NAN, 0.0, 1.0).unwrap_err();
        assert!(e.to_string().starts_with("parameter margin = NaN"));
        let e = check_usize("customers", 3, 100, 1000).unwrap_err();
        assert!(matches!(e, SimError::Parameter { name: "customers", .. }));
        assert!(e.to_string().contains("[100, 1000]"));
    }
}
