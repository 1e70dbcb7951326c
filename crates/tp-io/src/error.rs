//! The one error type of tp-io.

use crate::options::Kind;
use std::fmt;
use std::path::PathBuf;

/// Where in a file a bad value sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A CSV line number, 1-based, the header being line 1 (for a record that
    /// spans several lines, the line it starts on).
    Line(u64),
    /// A 0-based row index (Parquet, or an in-memory table).
    Row(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(l) => write!(f, "line {l}"),
            Location::Row(r) => write!(f, "row {r} (0-based)"),
        }
    }
}

/// Everything that can go wrong reading, writing or encoding a table.
///
/// Every variant that concerns a file names it; every variant that concerns a
/// value names its column and [`Location`]. Messages are lower-case and end
/// with the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// The file does not exist.
    #[error("{}: no such file: check the path", path.display())]
    NotFound {
        /// The path that was asked for.
        path: PathBuf,
    },
    /// Any other operating-system error while opening, reading, writing or renaming.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The extension names no format tp knows.
    #[error("{}: unknown file extension: expected one of {accepted}", path.display())]
    UnknownExtension {
        /// The file concerned.
        path: PathBuf,
        /// The accepted extensions, e.g. `.csv, .parquet`.
        accepted: &'static str,
    },
    /// The file has no bytes (or, for CSV, not even a header line).
    #[error("{}: the file is empty: expected a header line and data rows", path.display())]
    EmptyFile {
        /// The file concerned.
        path: PathBuf,
    },
    /// The file has a header (schema) but no data rows, and rows are required.
    #[error(
        "{}: the file has a header but no data rows: add data rows below the header",
        path.display()
    )]
    NoRows {
        /// The file concerned.
        path: PathBuf,
    },
    /// Two columns of the header share a name.
    #[error(
        "{}: column name '{column}' appears twice (fields {first} and {second}, 1-based): rename one of them",
        path.display()
    )]
    DuplicateColumn {
        /// The file concerned.
        path: PathBuf,
        /// The repeated name.
        column: String,
        /// 1-based position of its first occurrence.
        first: usize,
        /// 1-based position of its second occurrence.
        second: usize,
    },
    /// A requested column is not in the file.
    #[error("{}: no column named '{column}': available columns are {available}", path.display())]
    MissingColumn {
        /// The file concerned.
        path: PathBuf,
        /// The requested name.
        column: String,
        /// The file's column names, comma separated.
        available: String,
    },
    /// A CSV record has a different number of fields than the header.
    #[error(
        "{}: line {line} has {found} fields, the header has {expected}: fix the quoting or the separators on that line",
        path.display()
    )]
    RaggedRow {
        /// The file concerned.
        path: PathBuf,
        /// 1-based line number (header = line 1).
        line: u64,
        /// Number of header fields.
        expected: usize,
        /// Number of fields on this line.
        found: usize,
    },
    /// A value does not parse as the column's required (or inferred) kind.
    #[error("{}: column '{column}' at {at} holds \"{value}\", expected {expected}: fix or drop that row", path.display())]
    TypeMismatch {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// Where the value is.
        at: Location,
        /// The offending text.
        value: String,
        /// What the column requires.
        expected: Kind,
    },
    /// A column whose non-empty values are mostly numbers also holds a few
    /// other values: read as text it would drop out of every numeric
    /// analysis, so it is an error instead of a silent change of kind.
    #[error(
        "{}: column '{column}' holds numbers except {others} of its {values} values, the first \"{value}\" at {at}: \
         fix or drop those values (or their rows), or leave the column out",
        path.display()
    )]
    MixedColumn {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// Where the first value that is not a number is.
        at: Location,
        /// That value.
        value: String,
        /// How many non-empty values are not numbers.
        others: u64,
        /// How many non-empty values the column has.
        values: u64,
    },
    /// A Parquet column's stored type cannot serve the required kind.
    #[error("{}: column '{column}' is stored as {found}, expected {expected}: convert it or drop the requirement", path.display())]
    ColumnType {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// The stored (Arrow) type.
        found: String,
        /// What the column requires.
        expected: Kind,
    },
    /// A Parquet column has a type tp tables cannot hold.
    #[error(
        "{}: column '{column}' has unsupported type {found}: cast it to float, int, bool or string, or leave it out of the selection",
        path.display()
    )]
    UnsupportedType {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// The stored (Arrow) type.
        found: String,
    },
    /// NaN or ±infinity in a numeric column, rejected by default.
    #[error(
        "{}: column '{column}' at {at} is {value}: NaN and infinite values are not accepted; impute or drop that value (or its row)",
        path.display()
    )]
    NonFinite {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// Where the value is.
        at: Location,
        /// The value (NaN or ±inf).
        value: f64,
    },
    /// An empty field (CSV) or null (Parquet) in a numeric or boolean column.
    #[error(
        "{}: column '{column}' has a missing value at {at}, expected {expected}: impute it or drop the row",
        path.display()
    )]
    MissingValue {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// Where the value is.
        at: Location,
        /// What the column holds.
        expected: Kind,
    },
    /// A string field is not valid UTF-8.
    #[error("{}: column '{column}' at {at} is not valid UTF-8: re-encode the file as UTF-8", path.display())]
    InvalidUtf8 {
        /// The file concerned.
        path: PathBuf,
        /// The column.
        column: String,
        /// Where the value is.
        at: Location,
    },
    /// The CSV parser failed (e.g. a read error inside a record).
    #[error("{}: malformed CSV: {source}", path.display())]
    Csv {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
    /// The Parquet library failed.
    #[error("{}: parquet error: {source}", path.display())]
    Parquet {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// The Parquet decoder panicked on a damaged file (caught at tp-io's boundary, see
    /// `parquet_read::guarded`): the file's bytes contradict its own encoding.
    #[error(
        "{}: the Parquet file is damaged: its decoder stopped on {detail}: re-export the file from its source",
        path.display()
    )]
    ParquetDamaged {
        /// The file concerned.
        path: PathBuf,
        /// What the decoder said when it stopped.
        detail: String,
    },
    /// A Parquet file claims more than its bytes hold, or contradicts itself (checked before
    /// decoding: the decoder would allocate what the file claims).
    #[error("{}: the Parquet file is damaged: {claim}: re-export the file from its source", path.display())]
    ParquetClaim {
        /// The file concerned.
        path: PathBuf,
        /// What it claims, and against what.
        claim: String,
    },
    /// The Arrow library failed while decoding or building a batch.
    #[error("{}: arrow error: {source}", path.display())]
    Arrow {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// Serializing JSON failed.
    #[error("{}: cannot serialize JSON: {source}", path.display())]
    Json {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A chunk given to a [`TableWriter`](crate::TableWriter) has another schema than the first.
    #[error(
        "{}: chunk schema ({found}) differs from the first chunk's ({expected}): write chunks with the same columns and types",
        path.display()
    )]
    SchemaMismatch {
        /// The file being written.
        path: PathBuf,
        /// The first chunk's schema, as `name:type` pairs.
        expected: String,
        /// This chunk's schema.
        found: String,
    },
    /// [`TableWriter::finish`](crate::TableWriter::finish) was called before any chunk, or after a failed write.
    #[error("{}: {reason}: nothing was written to the target", path.display())]
    WriterState {
        /// The file being written.
        path: PathBuf,
        /// Why the writer cannot finish.
        reason: &'static str,
    },
    /// One-hot encoding asked of a float column.
    #[error(
        "column '{column}' is {found}: one-hot encoding needs a string, int or bool column; bin it first"
    )]
    NotCategorical {
        /// The column.
        column: String,
        /// Its type name.
        found: &'static str,
    },
    /// One-hot encoding would create more columns than allowed.
    #[error(
        "column '{column}' has {found} distinct values, more than max_categories = {max}: raise the limit or group rare values"
    )]
    TooManyCategories {
        /// The column.
        column: String,
        /// Number of distinct values.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// A value seen at transform time that the encoder was not fitted on.
    #[error(
        "column '{column}' at {at} holds \"{value}\", a category not seen when fitting: refit on data that has it"
    )]
    UnseenCategory {
        /// The column.
        column: String,
        /// Where the value is.
        at: Location,
        /// The value.
        value: String,
    },
    /// An error from tp-core (unknown column, duplicate name, ...).
    #[error(transparent)]
    Core(#[from] tp_core::CoreError),
}

/// `Result` with [`IoError`].
pub type Result<T, E = IoError> = std::result::Result<T, E>;

impl IoError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            IoError::NotFound { path }
        } else {
            IoError::Io { path, source }
        }
    }
}
