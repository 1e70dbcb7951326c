//! The error type of tp-profile.

/// Everything that can go wrong when profiling.
///
/// Messages are lower-case, name the offending input and say how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// An error from tp-core (missing column, wrong column type, shape).
    #[error(transparent)]
    Core(#[from] tp_core::CoreError),
    /// A required column is missing.
    #[error("{table} has no column '{column}' (columns: {available}): rename it or set the column name")]
    MissingColumn {
        /// `events` or `catalog`.
        table: String,
        /// The missing column.
        column: String,
        /// The columns present.
        available: String,
    },
    /// No event rows at all.
    #[error("events have no rows: nothing to profile (check the file or its filter)")]
    NoEvents,
    /// A layer name that is neither `l1` nor `l2`.
    #[error("unknown layer '{name}': use l1 (objective attributes) or l2 (perceived attributes)")]
    UnknownLayer {
        /// The given name.
        name: String,
    },
    /// A column has a type the profiler cannot use.
    #[error("{table} column '{column}' is {found}: expected {expected}")]
    ColumnType {
        /// `events` or `catalog`.
        table: String,
        /// Column name.
        column: String,
        /// What the profiler needs.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A numeric event field is NaN or infinite.
    #[error("events column '{column}' has non-finite value {value} at row {row}: fix or drop the row")]
    NonFinite {
        /// Column name.
        column: String,
        /// Zero-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A catalog item lacks a value for a declared attribute.
    #[error(
        "catalog item {item_id} has no value for attribute '{attribute}': fill it or drop the attribute from the spec"
    )]
    MissingAttribute {
        /// The item.
        item_id: i64,
        /// The attribute.
        attribute: String,
    },
    /// The same item id appears twice in the catalog.
    #[error("catalog item {item_id} appears more than once: keep one row per item")]
    DuplicateItem {
        /// The item.
        item_id: i64,
    },
    /// Events reference items that are not in the catalog (strict mode).
    #[error(
        "{count} event(s) reference items missing from the catalog (first: item {first} at row {row}): add them to the catalog or run without strict"
    )]
    UnknownItems {
        /// Number of such events.
        count: usize,
        /// First unknown item id.
        first: i64,
        /// Row of the first one.
        row: usize,
    },
    /// A parameter is out of range.
    #[error("parameter {name} = {value} is invalid: {hint}")]
    Param {
        /// Parameter name.
        name: String,
        /// The given value.
        value: String,
        /// What is allowed.
        hint: String,
    },
    /// Two states cannot be merged or a state does not fit the catalog.
    #[error("profile states are incompatible: {reason}")]
    Incompatible {
        /// Why.
        reason: String,
    },
    /// A saved profile state (`tp profile --state`) is malformed.
    #[error("the profile state is damaged: {reason}; save it again with tp profile --save-state")]
    CorruptState {
        /// What is wrong, naming the customer and field.
        reason: String,
    },
    /// The catalog spec is inconsistent with the catalog table.
    #[error("catalog spec: {reason}")]
    Spec {
        /// Why.
        reason: String,
    },
}

/// Result alias of tp-profile.
pub type Result<T> = std::result::Result<T, ProfileError>;
