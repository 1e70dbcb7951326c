//! # tp-io: tables in and out of CSV, Parquet and JSON
//!
//! Every tp command reads its inputs and writes its outputs through this
//! crate. It turns a CSV or Parquet file (chosen by extension) into a
//! [`tp_core::Table`] of typed columns (float, int, bool, string) and back,
//! and it sits directly above tp-core: the stages never see a file format.
//!
//! ## Reading
//!
//! [`read_table`] reads a whole file; [`read_table_chunks`] yields tables of
//! at most N rows so later stages can stream. [`read_table_bytes`] and
//! [`read_table_chunks_bytes`] do the same for a table already in memory,
//! through the same parsing code (the file readers only open the file). [`ReadOptions`] says which
//! columns to keep (only those are materialized: CSV records are streamed
//! with the `csv` crate, Parquet batches are decoded through a projection
//! mask, so memory follows the kept columns, not the file) and, optionally,
//! the [`Kind`] each column must hold. Kinds not required are inferred from
//! the whole CSV column: int if every value parses as `i64`, else float if
//! every value parses as `f64` (Rust's exact `str::parse`), else bool for
//! `true`/`false`, else string. Inference needs the whole column, so it is a
//! first pass over the file: [`read_table`] collects the table during that
//! pass whenever it can do so exactly (falling back to a second pass when a
//! column changes kind in a way that needs the original text back, or a
//! value would be an error); [`read_table_chunks`] stores nothing in it and
//! parses in a second pass. A file whose kept columns all have a required
//! concrete kind is read in one pass either way.
//!
//! Decisions, all enforced by tests:
//!
//! - a 0-byte file is [`IoError::EmptyFile`]; a header without data rows is
//!   [`IoError::NoRows`] unless [`ReadOptions::allow_no_rows`];
//! - a CSV column without a single non-empty value is read as a string
//!   column of empty strings (an empty string is a legitimate string);
//! - an empty numeric or boolean field (a Parquet null in any column) is
//!   [`IoError::MissingValue`]: impute or drop it before tp sees it;
//! - NaN and ±inf in numeric columns are [`IoError::NonFinite`] unless
//!   [`ReadOptions::allow_non_finite`];
//! - a CSV column whose kind is inferred and whose non-empty values are
//!   mostly numbers, but not all, is [`IoError::MixedColumn`] (naming the
//!   first other value and its line) rather than a string column: a stray
//!   `oops` never makes a numeric column silently drop out of an analysis.
//!   Require the column as [`Kind::Str`] to read it as text;
//! - numbers and booleans are trimmed of ASCII blanks before parsing,
//!   strings are kept verbatim.
//!
//! Every error of [`IoError`] names the file, the column, the location (CSV:
//! 1-based line, the header being line 1; Parquet: 0-based row) and what was
//! expected, and says how to fix it.
//!
//! ## Writing
//!
//! [`write_table`], [`write_json`] and the streaming [`TableWriter`] write to
//! a temporary file in the target's directory and rename it into place when
//! complete: a failed or abandoned write leaves neither a partial target nor
//! the temporary file. CSV floats are written in Rust's shortest round-trip
//! form (`{:?}`: always with a `.` or exponent, so `1.0` stays a float), and
//! read back bit for bit, `-0.0` and extreme exponents included. Parquet is
//! snappy-compressed in row groups of 2^20 rows; its bytes do not depend on
//! how the rows were split into [`TableWriter::write`] calls.
//!
//! ## Causal data
//!
//! [`causal::causal_data`] turns a table into validated [`tp_core::CausalData`] (arms with the
//! control first, default covariates that leave out the assignment and the outcome, one-hot
//! string covariates, known propensities); its errors name the file, the column and the row.
//!
//! ## Encoding
//!
//! [`one_hot`] / [`OneHot`] turn string, int or bool columns into sorted
//! `column=value` 0/1 float columns, with optional drop-first and a guard on
//! the number of categories.
//!
//! ## Example
//!
//! ```
//! use tp_core::{Column, Table};
//! use tp_io::{Kind, ReadOptions, read_table, write_table};
//!
//! let dir = std::env::temp_dir().join(format!("tp-io-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let t = Table::new(vec![
//!     Column::i64("customer_id", vec![1, 2, 3]),
//!     Column::f64("spend", vec![10.5, -0.0, 1e-300]),
//!     Column::str("region", vec!["east".into(), "west".into(), "east".into()]),
//! ])
//! .unwrap();
//! for file in ["customers.csv", "customers.parquet"] {
//!     let path = dir.join(file);
//!     write_table(&path, &t).unwrap();
//!     assert_eq!(read_table(&path, &ReadOptions::new()).unwrap(), t);
//!     // keep two columns, and insist that spend is numeric
//!     let opts = ReadOptions::new().columns(["spend", "region"]).require("spend", Kind::Numeric);
//!     let s = read_table(&path, &opts).unwrap();
//!     assert_eq!(s.names(), ["spend", "region"]);
//! }
//! let err = read_table(dir.join("customers.xlsx"), &ReadOptions::new()).unwrap_err();
//! assert!(err.to_string().contains(".csv, .parquet"));
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

pub mod causal;
mod csv_read;
mod error;
mod onehot;
mod options;
mod parquet_read;
mod table_build;
mod write;

pub use error::{IoError, Location, Result};
pub use onehot::{OneHot, OneHotEncoder, one_hot};
pub use options::{Kind, ReadOptions};
pub use write::{TableWriter, write_json, write_table};

pub use bytes::Bytes;

use csv_read::{CsvChunks, CsvSource};
use parquet_read::ParquetChunks;
use std::path::Path;
use tp_core::Table;

/// A table file format, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Comma-separated values with a header line (`.csv`).
    Csv,
    /// Apache Parquet (`.parquet`).
    Parquet,
}

impl Format {
    /// The extensions [`Format::from_path`] accepts, for messages.
    pub const ACCEPTED: &'static str = ".csv, .parquet";

    /// The format named by `path`'s extension (case-insensitive), or
    /// [`IoError::UnknownExtension`].
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("parquet") => Ok(Format::Parquet),
            _ => Err(IoError::UnknownExtension { path: path.to_path_buf(), accepted: Format::ACCEPTED }),
        }
    }
}

enum Source {
    Csv(Box<CsvChunks>),
    Parquet(Box<ParquetChunks>),
}

impl Source {
    /// Opens the file at `path`, or `data` in memory named `path`, for chunks of at most
    /// `chunk_rows` rows; `usize::MAX` means the whole table is read at once.
    fn open(
        path: &Path,
        data: Option<Bytes>,
        format: Format,
        opts: &ReadOptions,
        chunk_rows: usize,
    ) -> Result<Source> {
        let whole = chunk_rows == usize::MAX;
        Ok(match format {
            Format::Csv => {
                let src = CsvSource { path: path.to_path_buf(), data };
                Source::Csv(Box::new(CsvChunks::open(&src, opts, whole)?))
            }
            Format::Parquet => {
                Source::Parquet(Box::new(ParquetChunks::open(path, data.as_ref(), opts, chunk_rows)?))
            }
        })
    }

    fn next_chunk(&mut self, max_rows: usize) -> Result<Option<Table>> {
        match self {
            Source::Csv(s) => s.next_chunk(max_rows),
            Source::Parquet(s) => s.next_chunk(max_rows),
        }
    }

    fn rows_read(&self) -> u64 {
        match self {
            Source::Csv(s) => s.rows_read(),
            Source::Parquet(s) => s.rows_read(),
        }
    }

    fn empty_table(&self) -> Result<Table> {
        match self {
            Source::Csv(s) => s.empty_table(),
            Source::Parquet(s) => s.empty_table(),
        }
    }
}

/// The column names of a CSV or Parquet file (by extension), in file order, without reading its
/// rows: a CSV file's header line, a Parquet file's schema. Lets a caller choose the columns to
/// keep ([`ReadOptions::columns`]) before streaming a file with [`read_table_chunks`].
pub fn read_header(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    match Format::from_path(path)? {
        Format::Csv => csv_read::header(&CsvSource { path: path.to_path_buf(), data: None }),
        Format::Parquet => parquet_read::header(path, None),
    }
}

/// Reads a whole CSV or Parquet file (by extension) into a table.
///
/// See the [crate docs](crate) for inference and the errors; see
/// [`read_table_chunks`] to stream instead, and [`read_table_bytes`] for a
/// table already in memory.
pub fn read_table(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Table> {
    let path = path.as_ref();
    read_whole(path, None, Format::from_path(path)?, opts)
}

/// Reads a whole CSV or Parquet table from bytes in memory (a `Vec<u8>`, a
/// `&'static [u8]`, a [`Bytes`]; a `Vec` is not copied), in `format`.
///
/// `name` only names the table in errors (it is not opened, and its
/// extension is not looked at). The bytes go through the same parsing code
/// as a file's: `read_table_bytes(path, format, std::fs::read(path)?, opts)`
/// returns the same table as [`read_table`]`(path, opts)`, or the same error
/// with the same message, for any content. The exceptions: the errors of
/// opening a file and [`IoError::UnknownExtension`] come only from files,
/// and in an [`IoError::Parquet`] or [`IoError::Arrow`] error the decoder's
/// own detail can be worded differently (a short read is "failed to fill
/// whole buffer" from a file, "EOF: Expected to read at offset …" from
/// bytes).
///
/// ```
/// use tp_io::{Format, ReadOptions, read_table_bytes};
/// let good: &'static [u8] = b"customer_id,spend\n1,10.5\n2,7\n";
/// let t = read_table_bytes("upload.csv", Format::Csv, good, &ReadOptions::new()).unwrap();
/// assert_eq!((t.n_rows(), t.names()), (2, vec!["customer_id", "spend"]));
/// let ragged = b"customer_id,spend\n1,10.5\n2\n".to_vec();
/// let err = read_table_bytes("upload.csv", Format::Csv, ragged, &ReadOptions::new()).unwrap_err();
/// assert!(err.to_string().starts_with("upload.csv: line 3"), "{err}");
/// ```
pub fn read_table_bytes(
    name: impl AsRef<Path>,
    format: Format,
    data: impl Into<Bytes>,
    opts: &ReadOptions,
) -> Result<Table> {
    read_whole(name.as_ref(), Some(data.into()), format, opts)
}

fn read_whole(path: &Path, data: Option<Bytes>, format: Format, opts: &ReadOptions) -> Result<Table> {
    let mut source = Source::open(path, data, format, opts, usize::MAX)?;
    match source.next_chunk(usize::MAX)? {
        Some(t) => Ok(t),
        None if opts.no_rows_allowed() => source.empty_table(),
        None => Err(IoError::NoRows { path: path.to_path_buf() }),
    }
}

/// Opens a CSV or Parquet file for chunked reading: the iterator yields
/// tables of at most `chunk_rows` rows (all with the same schema) until the
/// file ends, or one error. A file without data rows yields
/// [`IoError::NoRows`], or one empty table when
/// [`ReadOptions::allow_no_rows`] is set.
///
/// ```
/// use tp_core::{Column, Table};
/// let dir = std::env::temp_dir().join(format!("tp-io-doc-chunks-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("t.csv");
/// tp_io::write_table(&path, &Table::new(vec![Column::i64("n", (0..10).collect())]).unwrap()).unwrap();
/// let sizes: Vec<usize> = tp_io::read_table_chunks(&path, &tp_io::ReadOptions::new(), 4)
///     .unwrap()
///     .map(|t| t.unwrap().n_rows())
///     .collect();
/// assert_eq!(sizes, [4, 4, 2]);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn read_table_chunks(
    path: impl AsRef<Path>,
    opts: &ReadOptions,
    chunk_rows: usize,
) -> Result<TableChunks> {
    let path = path.as_ref();
    chunks(path, None, Format::from_path(path)?, opts, chunk_rows)
}

/// [`read_table_chunks`] over bytes in memory in `format`, named `name` in
/// errors: the same chunks, or the same error, as from a file holding the
/// bytes (see [`read_table_bytes`]).
pub fn read_table_chunks_bytes(
    name: impl AsRef<Path>,
    format: Format,
    data: impl Into<Bytes>,
    opts: &ReadOptions,
    chunk_rows: usize,
) -> Result<TableChunks> {
    chunks(name.as_ref(), Some(data.into()), format, opts, chunk_rows)
}

fn chunks(
    path: &Path,
    data: Option<Bytes>,
    format: Format,
    opts: &ReadOptions,
    chunk_rows: usize,
) -> Result<TableChunks> {
    if chunk_rows == 0 {
        return Err(tp_core::CoreError::InvalidParameter {
            name: "chunk_rows".into(),
            value: "0".into(),
            expected: "at least 1 row per chunk".into(),
        }
        .into());
    }
    let source = Source::open(path, data, format, opts, chunk_rows)?;
    Ok(TableChunks {
        source,
        chunk_rows,
        allow_no_rows: opts.no_rows_allowed(),
        path: path.to_path_buf(),
        done: false,
    })
}

/// Iterator over the chunks of a file; see [`read_table_chunks`].
pub struct TableChunks {
    source: Source,
    chunk_rows: usize,
    allow_no_rows: bool,
    path: std::path::PathBuf,
    done: bool,
}

impl std::fmt::Debug for TableChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableChunks")
            .field("path", &self.path)
            .field("chunk_rows", &self.chunk_rows)
            .field("rows_read", &self.source.rows_read())
            .finish_non_exhaustive()
    }
}

impl TableChunks {
    /// Data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.source.rows_read()
    }
}

impl Iterator for TableChunks {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Result<Table>> {
        if self.done {
            return None;
        }
        let first = self.source.rows_read() == 0;
        let item = match self.source.next_chunk(self.chunk_rows) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => {
                self.done = true;
                if !first {
                    return None;
                }
                if self.allow_no_rows {
                    self.source.empty_table()
                } else {
                    Err(IoError::NoRows { path: self.path.clone() })
                }
            }
            Err(e) => Err(e),
        };
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

impl std::iter::FusedIterator for TableChunks {}
