//! Streaming Parquet reader: a projection mask keeps only the selected
//! columns, record batches are converted into typed chunks.
//!
//! Every call into the `parquet` crate runs inside [`guarded`]: some damaged files make its
//! decoder panic instead of returning an error (parquet 60.1/60.2, the newest release: a run
//! length of more than ten VLQ bytes trips an `assert!` in `BitReader::get_vlq_int`, in release
//! builds too, found by `fuzz/` and kept in `tests/data/damaged_rle.parquet`). tp's contract is exit
//! code 2 with a message naming the file on any bad input, so such a panic becomes
//! [`IoError::ParquetDamaged`]. Catching it is sound: nothing the decoder touched is used after it
//! panicked (the reader is marked damaged and never polled again), and tp keeps `panic = "unwind"`.

use crate::error::{IoError, Location, Result};
use crate::options::{Kind, ReadOptions, check_header};
use crate::table_build::{Bad, Builder, Target};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Type as PhysicalType;
use parquet::column::page::{Page, PageReader};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::ChunkReader;
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::schema::types::SchemaDescriptor;
use std::cell::Cell;
use std::fs::File;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use tp_core::{ColumnData, Table};

/// Largest record batch asked of the Parquet decoder.
const MAX_BATCH_ROWS: usize = 1 << 16;

thread_local! {
    /// Whether this thread is inside [`guarded`] (its panics are reported as errors, not printed).
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once per process, a panic hook that stays silent for panics raised inside
/// [`guarded`] on the panicking thread and hands every other panic to the hook it replaced.
fn quiet_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` (a call into the `parquet` crate on `path`'s bytes) and turns a panic inside it into
/// [`IoError::ParquetDamaged`] naming the file and the decoder's message.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    quiet_hook();
    let outer = GUARDED.with(|g| g.replace(true));
    let caught = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    caught.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an internal error".to_string());
        Err(IoError::ParquetDamaged { path: path.to_path_buf(), detail: format!("\"{detail}\"") })
    })
}

/// Reads the footer of the Parquet file at `path`, or of `data` when it is in memory (`path` then
/// only names it in errors): a 0-byte table is [`IoError::EmptyFile`]. Both go through the same
/// [`ChunkReader`]-generic code from here on ([`ParquetChunks::open`] and [`header`] call this).
fn builder_for(path: &Path, data: Option<&Bytes>) -> Result<Footer> {
    match data {
        None => {
            let file = File::open(path).map_err(|e| IoError::io(path, e))?;
            if file.metadata().map_err(|e| IoError::io(path, e))?.len() == 0 {
                return Err(IoError::EmptyFile { path: path.to_path_buf() });
            }
            let pages = file.try_clone().map_err(|e| IoError::io(path, e))?;
            Ok(Footer::File(footer(path, file)?, pages))
        }
        Some(data) if data.is_empty() => Err(IoError::EmptyFile { path: path.to_path_buf() }),
        Some(data) => Ok(Footer::Memory(footer(path, data.clone())?, data.clone())),
    }
}

/// `ParquetRecordBatchReaderBuilder::try_new` under [`guarded`].
fn footer<T: ChunkReader + 'static>(path: &Path, input: T) -> Result<ParquetRecordBatchReaderBuilder<T>> {
    guarded(path, || {
        ParquetRecordBatchReaderBuilder::try_new(input)
            .map_err(|source| IoError::Parquet { path: path.to_path_buf(), source })
    })
}

/// A reader builder over a file or over bytes in memory, with a second handle on the same bytes
/// for [`check_claims`] (a `File` clone reads at its own offsets: parquet's `ChunkReader` for
/// `File` seeks a fresh clone for every read).
enum Footer {
    File(ParquetRecordBatchReaderBuilder<File>, File),
    Memory(ParquetRecordBatchReaderBuilder<Bytes>, Bytes),
}

/// Checks what a Parquet file claims about the kept columns before any of them is decoded, so
/// that a damaged file is refused instead of making tp allocate what it claims: the footer's row
/// count must be the sum of its row groups', every kept column chunk of a row group must hold one
/// value per row (tp reads flat columns only) and lie inside the file, and a dictionary page must
/// hold the bytes of the values it claims. The decoder takes a dictionary page's value count on trust: it sizes the
/// dictionary by it before reading a value (parquet 60.2, `DictDecoder::set_dict`), so a 1.7 KB
/// file whose dictionary page header claims 932 million doubles took 7.5 GB in one allocation
/// (found by `fuzz/`, kept in `tests/data/dictionary_claim.parquet`). Costs a read of each kept
/// column chunk's first page header and its dictionary page (at most ~1 MB as writers cap them).
/// What the check cannot read it leaves to the decoder, which reports it as before.
fn check_claims<T: ChunkReader + 'static>(
    path: &Path,
    schema: &SchemaDescriptor,
    meta: &ParquetMetaData,
    roots: &[usize],
    pages: T,
) -> Result<()> {
    let damaged = |claim: String| IoError::ParquetClaim { path: path.to_path_buf(), claim };
    let file_len = pages.len();
    let leaves: Vec<usize> =
        (0..schema.num_columns()).filter(|&i| roots.contains(&schema.get_column_root_idx(i))).collect();
    let pages = Arc::new(pages);
    let mut sum: i128 = 0;
    for (g, rg) in meta.row_groups().iter().enumerate() {
        let rows = rg.num_rows();
        if rows < 0 {
            return Err(damaged(format!("row group {g} claims {rows} rows")));
        }
        sum += i128::from(rows);
        for &i in &leaves {
            let chunk = rg.column(i);
            let descr = schema.column(i);
            let name = descr.path().string();
            if chunk.num_values() != rows {
                return Err(damaged(format!(
                    "row group {g} claims {rows} rows, its column '{name}' {} values",
                    chunk.num_values()
                )));
            }
            let (start, len) = chunk.byte_range();
            if start.checked_add(len).is_none_or(|end| end > file_len) {
                return Err(damaged(format!(
                    "column '{name}' in row group {g} claims bytes {start}..{} of a file of {file_len} bytes",
                    start as u128 + len as u128
                )));
            }
            // a page header the check cannot read is left to the decoder, which reports it
            let rows = usize::try_from(rows).unwrap_or(usize::MAX);
            let Ok(mut reader) = SerializedPageReader::new(pages.clone(), chunk, rows, None) else {
                continue;
            };
            if !reader.peek_next_page().is_ok_and(|p| p.is_some_and(|p| p.is_dict)) {
                continue;
            }
            // dictionary values are plain-encoded, whatever encoding the page header names
            let Ok(Some(Page::DictionaryPage { buf, num_values, .. })) = reader.get_next_page() else {
                continue;
            };
            let n = u64::from(num_values);
            let (need, each) = match descr.physical_type() {
                PhysicalType::BOOLEAN => (n.div_ceil(8), "1 bit".to_string()),
                PhysicalType::INT32 | PhysicalType::FLOAT => (4 * n, "4 bytes".to_string()),
                PhysicalType::INT64 | PhysicalType::DOUBLE => (8 * n, "8 bytes".to_string()),
                PhysicalType::INT96 => (12 * n, "12 bytes".to_string()),
                PhysicalType::BYTE_ARRAY => (4 * n, "at least 4 bytes (its length)".to_string()),
                PhysicalType::FIXED_LEN_BYTE_ARRAY => {
                    let w = u64::try_from(descr.type_length()).unwrap_or(0);
                    (w * n, format!("{w} bytes"))
                }
            };
            if need > buf.len() as u64 {
                return Err(damaged(format!(
                    "the dictionary page of column '{name}' in row group {g} claims {n} values in {} bytes, \
                     where a {} value takes {each}",
                    buf.len(),
                    descr.physical_type()
                )));
            }
        }
    }
    let file_rows = meta.file_metadata().num_rows();
    if i128::from(file_rows) != sum {
        return Err(damaged(format!("its footer claims {file_rows} rows, its row groups {sum}")));
    }
    Ok(())
}

/// The column names of a Parquet table's schema (read from its footer only).
pub(crate) fn header(path: &Path, data: Option<&Bytes>) -> Result<Vec<String>> {
    let schema = match builder_for(path, data)? {
        Footer::File(b, _) => b.schema().clone(),
        Footer::Memory(b, _) => b.schema().clone(),
    };
    Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
}

/// The column type a stored Arrow type reads into by default.
fn natural(dt: &DataType) -> Option<Target> {
    use DataType as D;
    match dt {
        D::Float32 | D::Float64 => Some(Target::F64),
        D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::UInt8 | D::UInt16 | D::UInt32 | D::UInt64 => {
            Some(Target::I64)
        }
        D::Boolean => Some(Target::Bool),
        D::Utf8 | D::LargeUtf8 | D::Utf8View => Some(Target::Str),
        D::Dictionary(_, v) if matches!(**v, D::Utf8 | D::LargeUtf8 | D::Utf8View) => Some(Target::Str),
        _ => None,
    }
}

struct ParquetColumn {
    name: String,
    /// Position in the projected batch (file order of the kept columns).
    batch_index: usize,
    target: Target,
}

/// A Parquet file opened for typed, chunked reading.
pub(crate) struct ParquetChunks {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    columns: Vec<ParquetColumn>,
    allow_non_finite: bool,
    batch_rows: usize,
    pending: Option<RecordBatch>,
    rows_read: u64,
    total_rows: u64,
    /// Set when the decoder panicked: the reader is never polled again.
    damaged: Option<String>,
}

impl ParquetChunks {
    /// Opens the file at `path` (or `data`, in memory, named `path`), checks its schema against
    /// `opts`; batches will hold at most `chunk_rows` rows.
    pub(crate) fn open(
        path: &Path,
        data: Option<&Bytes>,
        opts: &ReadOptions,
        chunk_rows: usize,
    ) -> Result<ParquetChunks> {
        match builder_for(path, data)? {
            Footer::File(b, pages) => Self::from_builder(path, b, pages, opts, chunk_rows),
            Footer::Memory(b, pages) => Self::from_builder(path, b, pages, opts, chunk_rows),
        }
    }

    /// The rest of [`ParquetChunks::open`], the same code for a file and for bytes.
    fn from_builder<T: ChunkReader + 'static>(
        path: &Path,
        builder: ParquetRecordBatchReaderBuilder<T>,
        pages: T,
        opts: &ReadOptions,
        chunk_rows: usize,
    ) -> Result<ParquetChunks> {
        let pq_err = |source| IoError::Parquet { path: path.to_path_buf(), source };
        let schema = builder.schema().clone();
        let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let keep = check_header(path, &header, opts)?;
        let total_rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        if total_rows == 0 && !opts.no_rows_allowed() {
            return Err(IoError::NoRows { path: path.to_path_buf() });
        }
        let mut sorted = keep.clone();
        sorted.sort_unstable();
        let mut columns = Vec::with_capacity(keep.len());
        for &j in &keep {
            let name = header[j].clone();
            let dt = schema.field(j).data_type();
            let Some(nat) = natural(dt) else {
                return Err(IoError::UnsupportedType {
                    path: path.to_path_buf(),
                    column: name,
                    found: dt.to_string(),
                });
            };
            let target = match (opts.required(&name), nat) {
                (None | Some(Kind::Numeric), Target::F64 | Target::I64) | (None, _) => nat,
                (Some(Kind::Float), Target::F64 | Target::I64) => Target::F64,
                (Some(Kind::Int), Target::I64) => Target::I64,
                (Some(Kind::Bool), Target::Bool) => Target::Bool,
                (Some(Kind::Str), Target::Str) => Target::Str,
                (Some(expected), _) => {
                    return Err(IoError::ColumnType {
                        path: path.to_path_buf(),
                        column: name,
                        found: dt.to_string(),
                        expected,
                    });
                }
            };
            let batch_index = sorted.binary_search(&j).expect("kept index is in the sorted list");
            columns.push(ParquetColumn { name, batch_index, target });
        }
        guarded(path, || check_claims(path, builder.parquet_schema(), builder.metadata(), &sorted, pages))?;
        let chunk_rows = chunk_rows.max(1);
        let pieces = chunk_rows.div_ceil(MAX_BATCH_ROWS);
        let batch_rows = chunk_rows / pieces;
        let mask = ProjectionMask::roots(builder.parquet_schema(), sorted);
        let reader = guarded(path, || {
            builder.with_projection(mask).with_batch_size(batch_rows).build().map_err(pq_err)
        })?;
        Ok(ParquetChunks {
            path: path.to_path_buf(),
            reader,
            columns,
            allow_non_finite: opts.non_finite_allowed(),
            batch_rows,
            pending: None,
            rows_read: 0,
            total_rows,
            damaged: None,
        })
    }

    /// Data rows read so far.
    pub(crate) fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// A table with the kept columns and no rows.
    pub(crate) fn empty_table(&self) -> Result<Table> {
        let cols = self.columns.iter().map(|c| Builder::new(c.target, 0).finish(c.name.clone())).collect();
        Ok(Table::new(cols)?)
    }

    /// The decoder's next record batch; a panic inside it marks the reader damaged.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let path = self.path.clone();
        if let Some(detail) = &self.damaged {
            return Err(IoError::ParquetDamaged { path, detail: detail.clone() });
        }
        let reader = &mut self.reader;
        let next = guarded(&path, || {
            reader.next().transpose().map_err(|source| IoError::Arrow { path: path.clone(), source })
        });
        if let Err(IoError::ParquetDamaged { detail, .. }) = &next {
            self.damaged = Some(detail.clone());
        }
        next
    }

    /// The next at most `max_rows` rows, or `None` at the end of the file.
    pub(crate) fn next_chunk(&mut self, max_rows: usize) -> Result<Option<Table>> {
        let remaining = usize::try_from(self.total_rows - self.rows_read).unwrap_or(usize::MAX);
        let cap = max_rows.min(remaining).min(1 << 24);
        let mut builders: Vec<Builder> = self.columns.iter().map(|c| Builder::new(c.target, cap)).collect();
        let mut n = 0usize;
        loop {
            let batch = match self.pending.take() {
                Some(b) => b,
                None => match self.next_batch()? {
                    None => break,
                    Some(b) => b,
                },
            };
            if n > 0 && n + batch.num_rows() > max_rows {
                self.pending = Some(batch);
                break;
            }
            let offset = self.rows_read + n as u64;
            for (c, b) in self.columns.iter().zip(builders.iter_mut()) {
                append(b, batch.column(c.batch_index).as_ref(), self.allow_non_finite).map_err(
                    |(i, bad, raw)| {
                        bad.into_error(
                            self.path.clone(),
                            c.name.clone(),
                            Location::Row(offset + i as u64),
                            raw.as_bytes(),
                        )
                    },
                )?;
            }
            n += batch.num_rows();
            if n + self.batch_rows > max_rows {
                break;
            }
        }
        self.rows_read += n as u64;
        if n == 0 {
            return Ok(None);
        }
        let cols = self.columns.iter().zip(builders).map(|(c, b)| b.finish(c.name.clone())).collect();
        Ok(Some(Table::new(cols)?))
    }
}

type Refusal = (usize, Bad, String);

/// Appends one Arrow array to a builder; a refusal carries the index in the
/// array, the reason and the offending value as text.
fn append(b: &mut Builder, a: &dyn Array, allow_non_finite: bool) -> Result<(), Refusal> {
    let target_kind = match &b.0 {
        ColumnData::F64(_) => Kind::Float,
        ColumnData::I64(_) => Kind::Int,
        ColumnData::Bool(_) => Kind::Bool,
        ColumnData::Str(_) => Kind::Str,
    };
    if a.null_count() > 0 {
        let i = (0..a.len()).find(|&i| a.is_null(i)).unwrap_or(0);
        return Err((i, Bad::Missing(target_kind), String::new()));
    }
    match &mut b.0 {
        ColumnData::F64(v) => {
            let start = v.len();
            if let Some(p) = a.as_primitive_opt::<Float64Type>() {
                v.extend_from_slice(p.values());
            } else if let Some(p) = a.as_primitive_opt::<Float32Type>() {
                v.extend(p.values().iter().map(|&x| f64::from(x)));
            } else {
                let mut ints = Vec::with_capacity(a.len());
                append_ints(&mut ints, a)?;
                v.extend(ints.iter().map(|&x| x as f64));
            }
            if !allow_non_finite && let Some(i) = v[start..].iter().position(|x| !x.is_finite()) {
                let x = v[start + i];
                return Err((i, Bad::NonFinite(x), x.to_string()));
            }
        }
        ColumnData::I64(v) => append_ints(v, a)?,
        ColumnData::Bool(v) => {
            let p = a.as_boolean_opt().ok_or((0, Bad::Mismatch(Kind::Bool), String::new()))?;
            v.extend(p.values().iter());
        }
        ColumnData::Str(v) => append_strings(v, a).ok_or((0, Bad::Mismatch(Kind::Str), String::new()))?,
    }
    Ok(())
}

fn append_ints(out: &mut Vec<i64>, a: &dyn Array) -> Result<(), Refusal> {
    macro_rules! widen {
        ($($t:ty),*) => {$(
            if let Some(p) = a.as_primitive_opt::<$t>() {
                out.extend(p.values().iter().map(|&x| i64::from(x)));
                return Ok(());
            }
        )*};
    }
    widen!(Int64Type, Int32Type, Int16Type, Int8Type, UInt32Type, UInt16Type, UInt8Type);
    if let Some(p) = a.as_primitive_opt::<UInt64Type>() {
        for (i, &x) in p.values().iter().enumerate() {
            out.push(i64::try_from(x).map_err(|_| (i, Bad::Mismatch(Kind::Int), x.to_string()))?);
        }
        return Ok(());
    }
    Err((0, Bad::Mismatch(Kind::Int), String::new()))
}

fn append_strings(out: &mut Vec<String>, a: &dyn Array) -> Option<()> {
    if let Some(s) = a.as_string_opt::<i32>() {
        out.extend(s.iter().map(|x| x.unwrap_or_default().to_owned()));
    } else if let Some(s) = a.as_string_opt::<i64>() {
        out.extend(s.iter().map(|x| x.unwrap_or_default().to_owned()));
    } else if let Some(s) = a.as_string_view_opt() {
        out.extend(s.iter().map(|x| x.unwrap_or_default().to_owned()));
    } else if let Some(d) = a.as_any_dictionary_opt() {
        if d.len() == 0 {
            return Some(());
        }
        let mut values = Vec::with_capacity(d.values().len());
        append_strings(&mut values, d.values().as_ref())?;
        if values.is_empty() {
            return None;
        }
        // a damaged file can carry keys outside the dictionary: refuse them, never index past it
        for k in d.normalized_keys() {
            out.push(values.get(k)?.clone());
        }
    } else {
        return None;
    }
    Some(())
}
