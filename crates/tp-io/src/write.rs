//! Atomic writers: every output goes to a temporary file in the target's
//! directory and is renamed into place only when complete.

use crate::Format;
use crate::error::{IoError, Result};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tp_core::{Column, ColumnData, Table};

/// Rows per Parquet row group (the last one of a file may hold fewer).
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Rows per Arrow batch handed to the Parquet encoder. Rows are regrouped into batches of exactly
/// this size (only a file's last batch is shorter) whatever the sizes of the tables written, so the
/// file's bytes do not depend on how its rows were split into [`TableWriter::write`] calls.
const BATCH_ROWS: usize = 1 << 16;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file next to its target; removed on drop unless persisted.
struct TempPath {
    tmp: PathBuf,
    target: PathBuf,
    armed: bool,
}

impl TempPath {
    fn create(target: &Path) -> Result<(TempPath, File)> {
        let name = target.file_name().ok_or_else(|| {
            IoError::io(target, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"))
        })?;
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{}.tmp-{}-{n}", name.to_string_lossy(), std::process::id()));
        let file =
            OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(|e| IoError::io(target, e))?;
        Ok((TempPath { tmp, target: target.to_path_buf(), armed: true }, file))
    }

    /// Syncs `file`, closes it and renames the temporary file onto the target.
    fn persist(mut self, file: File) -> Result<()> {
        file.sync_all().map_err(|e| IoError::io(&self.target, e))?;
        drop(file);
        fs::rename(&self.tmp, &self.target).map_err(|e| IoError::io(&self.target, e))?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `value` as pretty-printed JSON (plus a final newline), atomically.
pub fn write_json<T: serde::Serialize + ?Sized>(path: impl AsRef<Path>, value: &T) -> Result<()> {
    let path = path.as_ref();
    let (temp, file) = TempPath::create(path)?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(|source| IoError::Json { path: path.to_path_buf(), source })?;
    w.write_all(b"\n").map_err(|e| IoError::io(path, e))?;
    let file = w.into_inner().map_err(|e| IoError::io(path, e.into_error()))?;
    temp.persist(file)
}

/// Writes a whole table, CSV or Parquet by extension, atomically.
///
/// CSV floats are written in Rust's shortest round-trip form with a decimal
/// point or exponent always present (`1.0`, `-0.0`, `1e300`, `NaN`, `inf`),
/// so that reading the file back yields bit-identical floats and infers the
/// column as float again. Parquet is snappy-compressed, one row group per
/// 2^20 rows.
pub fn write_table(path: impl AsRef<Path>, table: &Table) -> Result<()> {
    let mut w = TableWriter::create(path)?;
    w.write(table)?;
    w.finish().map(|_| ())
}

enum Sink {
    Pending(File),
    Csv(Box<csv::Writer<File>>),
    Parquet(Box<ArrowWriter<File>>, SchemaRef),
    Gone,
}

/// A streaming, atomic table writer: chunks with one schema go to a
/// temporary file, [`finish`](Self::finish) renames it onto the target.
/// Dropping the writer without `finish` (or after a failed write) removes the
/// temporary file, so the target is either complete or untouched.
///
/// Parquet output is snappy-compressed in row groups of 2^20 rows, encoded
/// from batches of 2^16 rows whatever the chunks written: the same rows give
/// the same bytes however they were split into chunks, and memory stays
/// bounded by one row group (plus the chunk being written).
///
/// ```
/// use tp_core::{Column, Table};
/// use tp_io::TableWriter;
/// let dir = std::env::temp_dir().join(format!("tp-io-doc-writer-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("stream.parquet");
/// let mut w = TableWriter::create(&path).unwrap();
/// for k in 0..3 {
///     let chunk = Table::new(vec![Column::i64("id", vec![2 * k, 2 * k + 1])]).unwrap();
///     w.write(&chunk).unwrap();
/// }
/// assert_eq!(w.finish().unwrap(), 6);
/// let back = tp_io::read_table(&path, &tp_io::ReadOptions::new()).unwrap();
/// assert_eq!(back.n_rows(), 6);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct TableWriter {
    format: Format,
    sink: Sink,
    schema: Option<Vec<(String, &'static str)>>,
    /// Parquet: rows written but not yet encoded (fewer than [`BATCH_ROWS`]).
    pending: Vec<Column>,
    failed: bool,
    rows: u64,
    temp: TempPath,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("target", &self.temp.target)
            .field("format", &self.format)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

fn schema_string(s: &[(String, &'static str)]) -> String {
    s.iter().map(|(n, t)| format!("{n}:{t}")).collect::<Vec<_>>().join(", ")
}

impl TableWriter {
    /// Starts writing `path` (format by extension: `.csv` or `.parquet`).
    /// Nothing appears at `path` until [`finish`](Self::finish).
    pub fn create(path: impl AsRef<Path>) -> Result<TableWriter> {
        let path = path.as_ref();
        let format = Format::from_path(path)?;
        let (temp, file) = TempPath::create(path)?;
        Ok(TableWriter {
            format,
            sink: Sink::Pending(file),
            schema: None,
            pending: Vec::new(),
            failed: false,
            rows: 0,
            temp,
        })
    }

    /// Appends a chunk. Its column names and types must equal the first
    /// chunk's ([`IoError::SchemaMismatch`] otherwise, and the writer stays
    /// usable). Any other failure poisons the writer.
    pub fn write(&mut self, table: &Table) -> Result<()> {
        let path = self.temp.target.clone();
        if self.failed {
            return Err(IoError::WriterState { path, reason: "an earlier write failed" });
        }
        if table.n_cols() == 0 {
            return Err(IoError::WriterState { path, reason: "the table has no columns" });
        }
        let schema: Vec<(String, &'static str)> =
            table.columns().iter().map(|c| (c.name.clone(), c.data.type_name())).collect();
        match &self.schema {
            Some(first) if *first != schema => {
                return Err(IoError::SchemaMismatch {
                    path,
                    expected: schema_string(first),
                    found: schema_string(&schema),
                });
            }
            Some(_) => {}
            None => self.schema = Some(schema),
        }
        let result = self.write_inner(table);
        if result.is_err() {
            self.failed = true;
        } else {
            self.rows += table.n_rows() as u64;
        }
        result
    }

    fn write_inner(&mut self, table: &Table) -> Result<()> {
        let path = &self.temp.target;
        let csv_err = |source| IoError::Csv { path: path.clone(), source };
        let pq_err = |source| IoError::Parquet { path: path.clone(), source };
        if let Sink::Pending(_) = self.sink {
            let Sink::Pending(file) = std::mem::replace(&mut self.sink, Sink::Gone) else { unreachable!() };
            self.sink = match self.format {
                Format::Csv => {
                    let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(file);
                    w.write_record(table.names()).map_err(csv_err)?;
                    Sink::Csv(Box::new(w))
                }
                Format::Parquet => {
                    let schema = arrow_schema_of(table);
                    let props = WriterProperties::builder()
                        .set_compression(Compression::SNAPPY)
                        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                        .build();
                    let w = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(pq_err)?;
                    Sink::Parquet(Box::new(w), schema)
                }
            };
        }
        match &mut self.sink {
            Sink::Csv(w) => write_csv_rows(w, table).map_err(csv_err),
            Sink::Parquet(w, schema) => {
                let n = table.n_rows();
                let encode = |w: &mut ArrowWriter<File>, cols: &[Column], start: usize, end: usize| {
                    let batch = record_batch(cols, start, end, schema)
                        .map_err(|source| IoError::Arrow { path: path.clone(), source })?;
                    w.write(&batch).map_err(pq_err)
                };
                // top up the rows left over from earlier chunks to one batch first
                let mut start = 0;
                if !self.pending.is_empty() {
                    let have = self.pending[0].data.len();
                    start = (BATCH_ROWS - have).min(n);
                    for (p, c) in self.pending.iter_mut().zip(table.columns()) {
                        extend(&mut p.data, &c.data, 0, start);
                    }
                    if have + start < BATCH_ROWS {
                        return Ok(());
                    }
                    let full = std::mem::take(&mut self.pending);
                    encode(w, &full, 0, BATCH_ROWS)?;
                }
                while n - start >= BATCH_ROWS {
                    encode(w, table.columns(), start, start + BATCH_ROWS)?;
                    start += BATCH_ROWS;
                }
                if start < n {
                    self.pending = table
                        .columns()
                        .iter()
                        .map(|c| Column { name: c.name.clone(), data: c.data.slice(start, n) })
                        .collect();
                }
                Ok(())
            }
            Sink::Pending(_) | Sink::Gone => unreachable!("the sink was opened above"),
        }
    }

    /// Rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Completes the file and renames it onto the target; returns the number
    /// of rows written. Fails (leaving no output) if no chunk was written or
    /// a write failed.
    pub fn finish(self) -> Result<u64> {
        let TableWriter { sink, pending, failed, rows, temp, .. } = self;
        let path = temp.target.clone();
        if failed {
            return Err(IoError::WriterState { path, reason: "an earlier write failed" });
        }
        let sink = match sink {
            Sink::Parquet(mut w, schema) => {
                if let Some(first) = pending.first() {
                    let batch = record_batch(&pending, 0, first.data.len(), &schema)
                        .map_err(|source| IoError::Arrow { path: path.clone(), source })?;
                    w.write(&batch).map_err(|source| IoError::Parquet { path: path.clone(), source })?;
                }
                Sink::Parquet(w, schema)
            }
            other => other,
        };
        let file = match sink {
            Sink::Pending(_) | Sink::Gone => {
                return Err(IoError::WriterState {
                    path,
                    reason: "no table was written (write at least one, possibly empty, table)",
                });
            }
            Sink::Csv(w) => w.into_inner().map_err(|e| IoError::io(&path, e.into_error()))?,
            Sink::Parquet(w, _) => w.into_inner().map_err(|source| IoError::Parquet { path, source })?,
        };
        temp.persist(file)?;
        Ok(rows)
    }
}

fn write_csv_rows<W: Write>(w: &mut csv::Writer<W>, table: &Table) -> csv::Result<()> {
    let mut buf = String::with_capacity(32);
    let cols = table.columns();
    for i in 0..table.n_rows() {
        for c in cols {
            match &c.data {
                ColumnData::F64(v) => {
                    buf.clear();
                    let _ = write!(buf, "{:?}", v[i]);
                    w.write_field(&buf)?;
                }
                ColumnData::I64(v) => {
                    buf.clear();
                    let _ = write!(buf, "{}", v[i]);
                    w.write_field(&buf)?;
                }
                ColumnData::Bool(v) => w.write_field(if v[i] { "true" } else { "false" })?,
                ColumnData::Str(v) => w.write_field(&v[i])?,
            }
        }
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}

fn arrow_schema_of(table: &Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .columns()
        .iter()
        .map(|c| {
            let dt = match c.data {
                ColumnData::F64(_) => DataType::Float64,
                ColumnData::I64(_) => DataType::Int64,
                ColumnData::Bool(_) => DataType::Boolean,
                ColumnData::Str(_) => DataType::Utf8,
            };
            Field::new(c.name.clone(), dt, false)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Appends rows `start..end` of `src` to `dst` (both of the same type, as the schema check ensures).
fn extend(dst: &mut ColumnData, src: &ColumnData, start: usize, end: usize) {
    match (dst, src) {
        (ColumnData::F64(d), ColumnData::F64(s)) => d.extend_from_slice(&s[start..end]),
        (ColumnData::I64(d), ColumnData::I64(s)) => d.extend_from_slice(&s[start..end]),
        (ColumnData::Bool(d), ColumnData::Bool(s)) => d.extend_from_slice(&s[start..end]),
        (ColumnData::Str(d), ColumnData::Str(s)) => d.extend_from_slice(&s[start..end]),
        _ => unreachable!("chunks are checked against the first chunk's schema before they are written"),
    }
}

fn record_batch(
    columns: &[Column],
    start: usize,
    end: usize,
    schema: &SchemaRef,
) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|c| -> ArrayRef {
            match &c.data {
                ColumnData::F64(v) => Arc::new(Float64Array::from(v[start..end].to_vec())),
                ColumnData::I64(v) => Arc::new(Int64Array::from(v[start..end].to_vec())),
                ColumnData::Bool(v) => Arc::new(BooleanArray::from(v[start..end].to_vec())),
                ColumnData::Str(v) => Arc::new(StringArray::from_iter_values(v[start..end].iter())),
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), arrays)
}
