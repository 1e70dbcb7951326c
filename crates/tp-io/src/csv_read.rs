//! Streaming CSV reader: header checks, a type-inference pass, typed chunks.
//!
//! Reading is one pass when every kept column has a required concrete kind.
//! Otherwise a first pass classifies the fields of the columns whose kind is
//! inferred. For chunked reading it stores nothing and a second pass parses
//! the kept columns into typed chunks. For a whole-file read the first pass
//! also collects the kept columns speculatively, in the kind inferred so far;
//! when that is exact (no value needs its original text back, no value would
//! be an error) the table comes out of that single pass, else the second pass
//! runs as for chunks and reports errors in file order. Memory is bounded by
//! the kept columns, whatever the width or length of the file.

use crate::error::{IoError, Location, Result};
use crate::options::{Kind, ReadOptions, check_header};
use crate::table_build::{Builder, Target, parse_bool, trim};
use bytes::Bytes;
use csv::ByteRecord;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use tp_core::{Column, ColumnData, Table};

/// What a field looks like, for inference, with its parsed value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Empty,
    Int(i64),
    Float(f64),
    Bool(bool),
    Other,
}

/// The inferred kind of a column so far (a join semilattice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inferred {
    Nothing,
    Int,
    Float,
    Bool,
    Str,
}

impl Inferred {
    fn join(self, c: Class) -> Inferred {
        use Inferred as I;
        match (self, c) {
            (s, Class::Empty) => s,
            (I::Str, _) | (_, Class::Other) => I::Str,
            (I::Nothing | I::Int, Class::Int(_)) => I::Int,
            (I::Nothing | I::Int, Class::Float(_)) | (I::Float, Class::Int(_) | Class::Float(_)) => I::Float,
            (I::Nothing | I::Bool, Class::Bool(_)) => I::Bool,
            (I::Bool, Class::Int(_) | Class::Float(_)) | (I::Int | I::Float, Class::Bool(_)) => I::Str,
        }
    }

    /// The column type; a column without a single non-empty value is a string column.
    fn target(self) -> Target {
        match self {
            Inferred::Int => Target::I64,
            Inferred::Float => Target::F64,
            Inferred::Bool => Target::Bool,
            Inferred::Nothing | Inferred::Str => Target::Str,
        }
    }
}

fn classify(field: &[u8]) -> Class {
    let t = trim(field);
    if t.is_empty() {
        return Class::Empty;
    }
    let Ok(s) = std::str::from_utf8(t) else { return Class::Other };
    if let Ok(i) = s.parse::<i64>() {
        Class::Int(i)
    } else if let Ok(x) = s.parse::<f64>() {
        Class::Float(x)
    } else if let Some(b) = parse_bool(t) {
        Class::Bool(b)
    } else {
        Class::Other
    }
}

/// Where a CSV table's bytes are: the file at `path`, or `data` in memory. `path` names the
/// table in every error either way. Each pass over the table opens it afresh ([`csv_reader`]), so
/// a file and the same bytes in memory go through the same parsing code.
#[derive(Debug, Clone)]
pub(crate) struct CsvSource {
    pub(crate) path: PathBuf,
    pub(crate) data: Option<Bytes>,
}

/// The bytes of one pass over a [`CsvSource`].
enum Input {
    File(File),
    Memory(Cursor<Bytes>),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory(c) => c.read(buf),
        }
    }
}

/// Opens a pass over `src`: a 0-byte table is [`IoError::EmptyFile`].
fn csv_reader(src: &CsvSource) -> Result<csv::Reader<Input>> {
    let path = src.path.as_path();
    let (input, len) = match &src.data {
        None => {
            let file = File::open(path).map_err(|e| IoError::io(path, e))?;
            let len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
            (Input::File(file), len)
        }
        Some(data) => (Input::Memory(Cursor::new(data.clone())), data.len() as u64),
    };
    if len == 0 {
        return Err(IoError::EmptyFile { path: path.to_path_buf() });
    }
    Ok(csv::ReaderBuilder::new().has_headers(true).flexible(true).buffer_capacity(1 << 16).from_reader(input))
}

/// The column names of a CSV table's header line.
pub(crate) fn header(src: &CsvSource) -> Result<Vec<String>> {
    header_names(&mut csv_reader(src)?, src.path.as_path())
}

/// The header line of an opened reader as column names; an empty header is an empty file.
fn header_names(reader: &mut csv::Reader<Input>, path: &Path) -> Result<Vec<String>> {
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|source| IoError::Csv { path: path.to_path_buf(), source })?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    if header.is_empty() {
        return Err(IoError::EmptyFile { path: path.to_path_buf() });
    }
    Ok(header)
}

fn line_of(record: &ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// One kept column: where it is in the record, its name, and how to parse it.
struct CsvColumn {
    field: usize,
    name: String,
    target: Target,
}

/// A CSV file opened for typed, chunked reading.
pub(crate) struct CsvChunks {
    path: PathBuf,
    reader: csv::Reader<Input>,
    n_fields: usize,
    columns: Vec<CsvColumn>,
    record: ByteRecord,
    allow_non_finite: bool,
    rows_read: u64,
    /// Data rows in the file, when the inference pass counted them all.
    known_rows: Option<u64>,
    /// The whole table, when the inference pass could collect it exactly.
    prefetched: Option<Table>,
    done: bool,
}

impl CsvChunks {
    /// Opens `src`, checks the header against `opts`, and infers the kinds
    /// not required (a first pass over the file). With `whole`, that pass
    /// also tries to collect the whole table (see the module docs).
    pub(crate) fn open(src: &CsvSource, opts: &ReadOptions, whole: bool) -> Result<CsvChunks> {
        let path = src.path.as_path();
        let mut reader = csv_reader(src)?;
        let header = header_names(&mut reader, path)?;
        let keep = check_header(path, &header, opts)?;
        let required: Vec<Option<Kind>> = keep.iter().map(|&j| opts.required(&header[j])).collect();
        let mut targets: Vec<Option<Target>> = required
            .iter()
            .map(|k| match k {
                Some(Kind::Float) => Some(Target::F64),
                Some(Kind::Int) => Some(Target::I64),
                Some(Kind::Bool) => Some(Target::Bool),
                Some(Kind::Str) => Some(Target::Str),
                Some(Kind::Numeric) | None => None,
            })
            .collect();
        let to_infer: Vec<usize> = (0..keep.len()).filter(|&c| targets[c].is_none()).collect();
        let mut known_rows = None;
        let mut prefetched = None;
        if !to_infer.is_empty() {
            let pass: Vec<PassColumn> = keep
                .iter()
                .enumerate()
                .map(|(c, &j)| PassColumn {
                    field: j,
                    name: &header[j],
                    mode: match targets[c] {
                        Some(t) => Mode::Fixed(t),
                        None => Mode::Infer { numeric: required[c] == Some(Kind::Numeric) },
                    },
                })
                .collect();
            let inference = infer(src, header.len(), &pass, whole, opts.non_finite_allowed())?;
            known_rows = inference.rows;
            for &c in &to_infer {
                targets[c] = Some(match (inference.kinds[c], required[c]) {
                    (Inferred::Nothing, Some(Kind::Numeric)) => Target::F64,
                    (k, _) => k.target(),
                });
            }
            if let Some(specs) = inference.specs {
                let data: Option<Vec<ColumnData>> = specs
                    .into_iter()
                    .zip(&targets)
                    .map(|(s, t)| s.finish(t.expect("every target is set"), opts.non_finite_allowed()))
                    .collect();
                if let Some(data) = data {
                    let cols = keep
                        .iter()
                        .zip(data)
                        .map(|(&j, data)| Column { name: header[j].clone(), data })
                        .collect();
                    prefetched = Some(Table::new(cols)?);
                }
            }
        }
        let columns = keep
            .iter()
            .zip(targets)
            .map(|(&j, t)| CsvColumn {
                field: j,
                name: header[j].clone(),
                target: t.expect("every target is set"),
            })
            .collect();
        Ok(CsvChunks {
            path: path.to_path_buf(),
            reader,
            n_fields: header.len(),
            columns,
            record: ByteRecord::new(),
            allow_non_finite: opts.non_finite_allowed(),
            rows_read: 0,
            known_rows,
            prefetched,
            done: false,
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

    /// The next at most `max_rows` rows, or `None` at the end of the file.
    pub(crate) fn next_chunk(&mut self, max_rows: usize) -> Result<Option<Table>> {
        if self.done {
            return Ok(None);
        }
        if let Some(t) = self.prefetched.take() {
            self.done = true;
            self.rows_read = t.n_rows() as u64;
            return Ok((t.n_rows() > 0).then_some(t));
        }
        let cap = match self.known_rows {
            Some(total) => {
                max_rows.min(usize::try_from(total.saturating_sub(self.rows_read)).unwrap_or(usize::MAX))
            }
            None => max_rows.min(1 << 16),
        };
        let mut builders: Vec<Builder> = self.columns.iter().map(|c| Builder::new(c.target, cap)).collect();
        let mut n = 0usize;
        while n < max_rows {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|source| IoError::Csv { path: self.path.clone(), source })?;
            if !more {
                self.done = true;
                break;
            }
            let line = line_of(&self.record);
            if self.record.len() != self.n_fields {
                return Err(IoError::RaggedRow {
                    path: self.path.clone(),
                    line,
                    expected: self.n_fields,
                    found: self.record.len(),
                });
            }
            for (c, b) in self.columns.iter().zip(builders.iter_mut()) {
                let field = &self.record[c.field];
                b.push_text(field, self.allow_non_finite).map_err(|bad| {
                    bad.into_error(self.path.clone(), c.name.clone(), Location::Line(line), field)
                })?;
            }
            n += 1;
        }
        self.rows_read += n as u64;
        if n == 0 {
            return Ok(None);
        }
        let cols = self.columns.iter().zip(builders).map(|(c, b)| b.finish(c.name.clone())).collect();
        Ok(Some(Table::new(cols)?))
    }
}

/// How the inference pass treats one kept column.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Kind to infer; `numeric` when it must be a number.
    Infer { numeric: bool },
    /// Kind required: only parsed when collecting.
    Fixed(Target),
}

struct PassColumn<'a> {
    field: usize,
    name: &'a str,
    mode: Mode,
}

/// A column's values collected during the inference pass, in the kind
/// inferred so far; `Lost` once that can no longer be exact.
enum Spec {
    Start,
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
    Fixed(Builder),
    Lost,
}

impl Spec {
    /// Adds the field `raw`, classified as `class`, to an inferred column.
    fn push(&mut self, raw: &[u8], class: Class) {
        // "-0" is the integer 0 but the float -0.0: give up rather than guess
        let neg_zero = |i: i64| i == 0 && trim(raw).first() == Some(&b'-');
        *self = match (std::mem::replace(self, Spec::Lost), class) {
            (Spec::Str(mut v), _) => match std::str::from_utf8(raw) {
                Ok(s) => {
                    v.push(s.to_owned());
                    Spec::Str(v)
                }
                Err(_) => Spec::Lost,
            },
            (Spec::Start, Class::Int(i)) if !neg_zero(i) => Spec::Int(vec![i]),
            (Spec::Start, Class::Float(x)) => Spec::Float(vec![x]),
            (Spec::Start, Class::Bool(b)) => Spec::Bool(vec![b]),
            (Spec::Start, Class::Other) => match std::str::from_utf8(raw) {
                Ok(s) => Spec::Str(vec![s.to_owned()]),
                Err(_) => Spec::Lost,
            },
            (Spec::Int(mut v), Class::Int(i)) if !neg_zero(i) => {
                v.push(i);
                Spec::Int(v)
            }
            (Spec::Int(v), Class::Float(x)) => {
                // an integer converts to the f64 its text parses to (both round to nearest even)
                let mut f: Vec<f64> = v.into_iter().map(|i| i as f64).collect();
                f.push(x);
                Spec::Float(f)
            }
            (Spec::Float(mut v), Class::Int(i)) => {
                v.push(if neg_zero(i) { -0.0 } else { i as f64 });
                Spec::Float(v)
            }
            (Spec::Float(mut v), Class::Float(x)) => {
                v.push(x);
                Spec::Float(v)
            }
            (Spec::Bool(mut v), Class::Bool(b)) => {
                v.push(b);
                Spec::Bool(v)
            }
            // empty fields (missing, or strings to keep verbatim), kind changes, -0
            _ => Spec::Lost,
        };
    }

    /// The collected column, if exact and free of errors for `target`.
    fn finish(self, target: Target, allow_non_finite: bool) -> Option<ColumnData> {
        let data = match self {
            Spec::Lost => return None,
            Spec::Start => Builder::new(target, 0).0,
            Spec::Int(v) => ColumnData::I64(v),
            Spec::Float(v) => {
                if !allow_non_finite && v.iter().any(|x| !x.is_finite()) {
                    return None;
                }
                ColumnData::F64(v)
            }
            Spec::Bool(v) => ColumnData::Bool(v),
            Spec::Str(v) => ColumnData::Str(v),
            Spec::Fixed(b) => b.0,
        };
        let same = matches!(
            (&data, target),
            (ColumnData::F64(_), Target::F64)
                | (ColumnData::I64(_), Target::I64)
                | (ColumnData::Bool(_), Target::Bool)
                | (ColumnData::Str(_), Target::Str)
        );
        same.then_some(data)
    }
}

/// Per inferred column: numbers seen, other non-empty values seen, and the
/// first of those (line, text).
#[derive(Debug, Clone, Default)]
struct Tally {
    numbers: u64,
    others: u64,
    first_other: Option<(u64, String)>,
}

/// What the inference pass learned.
struct Inference {
    /// Per kept column (`Nothing` for required ones).
    kinds: Vec<Inferred>,
    /// Number of data rows, when the pass read them all.
    rows: Option<u64>,
    /// The collected columns, when asked for.
    specs: Option<Vec<Spec>>,
}

/// The inference pass: classifies every field of the inferred columns, and
/// with `collect` also gathers every kept column. Columns that must be
/// numeric get an error at the first other value; a column inferred as text
/// whose non-empty values are mostly numbers is [`IoError::MixedColumn`].
fn infer(
    src: &CsvSource,
    n_fields: usize,
    cols: &[PassColumn],
    collect: bool,
    allow_non_finite: bool,
) -> Result<Inference> {
    let path = src.path.as_path();
    let mut rows = 0u64;
    let mut reader = csv_reader(src)?;
    let mut kinds = vec![Inferred::Nothing; cols.len()];
    let mut specs: Vec<Spec> = cols
        .iter()
        .map(|c| match c.mode {
            Mode::Fixed(t) if collect => Spec::Fixed(Builder::new(t, 1 << 16)),
            _ => Spec::Start,
        })
        .collect();
    let mut mixed: Vec<Tally> = vec![Tally::default(); cols.len()];
    let mut record = ByteRecord::new();
    let csv_err = |source| IoError::Csv { path: path.to_path_buf(), source };
    reader.byte_headers().map_err(csv_err)?;
    while reader.read_byte_record(&mut record).map_err(csv_err)? {
        if record.len() != n_fields {
            return Err(IoError::RaggedRow {
                path: path.to_path_buf(),
                line: line_of(&record),
                expected: n_fields,
                found: record.len(),
            });
        }
        for (k, c) in cols.iter().enumerate() {
            let raw = &record[c.field];
            let numeric = match c.mode {
                Mode::Fixed(_) => {
                    if let Spec::Fixed(b) = &mut specs[k]
                        && b.push_text(raw, allow_non_finite).is_err()
                    {
                        specs[k] = Spec::Lost;
                    }
                    continue;
                }
                Mode::Infer { numeric } => numeric,
            };
            let class = classify(raw);
            let m = &mut mixed[k];
            match class {
                Class::Empty => {}
                Class::Int(_) | Class::Float(_) => m.numbers += 1,
                Class::Bool(_) | Class::Other => {
                    m.others += 1;
                    if m.first_other.is_none() {
                        m.first_other = Some((line_of(&record), String::from_utf8_lossy(raw).into_owned()));
                    }
                }
            }
            if kinds[k] == Inferred::Str {
                if collect {
                    specs[k].push(raw, Class::Other);
                }
                continue;
            }
            if numeric && matches!(class, Class::Bool(_) | Class::Other) {
                return Err(IoError::TypeMismatch {
                    path: path.to_path_buf(),
                    column: c.name.to_string(),
                    at: Location::Line(line_of(&record)),
                    value: String::from_utf8_lossy(raw).into_owned(),
                    expected: Kind::Numeric,
                });
            }
            kinds[k] = kinds[k].join(class);
            if collect {
                specs[k].push(raw, class);
            }
        }
        rows += 1;
    }
    // a column of numbers with a few other values would silently become a text column (and
    // drop out of every numeric analysis): that is an error naming the first odd value
    for (k, c) in cols.iter().enumerate() {
        let m = &mixed[k];
        if let (Inferred::Str, Some((line, value))) = (kinds[k], &m.first_other)
            && m.numbers > m.others
        {
            return Err(IoError::MixedColumn {
                path: path.to_path_buf(),
                column: c.name.to_string(),
                at: Location::Line(*line),
                value: value.clone(),
                others: m.others,
                values: m.numbers + m.others,
            });
        }
    }
    Ok(Inference { kinds, rows: Some(rows), specs: collect.then_some(specs) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify(b"12"), Class::Int(12));
        assert_eq!(classify(b" -3 "), Class::Int(-3));
        assert_eq!(classify(b"1.5"), Class::Float(1.5));
        assert_eq!(classify(b"1e400"), Class::Float(f64::INFINITY));
        assert!(matches!(classify(b"NaN"), Class::Float(x) if x.is_nan()));
        assert_eq!(classify(b"true"), Class::Bool(true));
        assert_eq!(classify(b"yes"), Class::Other);
        assert_eq!(classify(b""), Class::Empty);
        assert_eq!(classify(b"  "), Class::Empty);
        assert_eq!(classify(&[0xff, 0x31]), Class::Other);
    }

    #[test]
    fn inference_lattice() {
        let (i, f, b) = (Class::Int(1), Class::Float(0.5), Class::Bool(true));
        let run = |cs: &[Class]| cs.iter().fold(Inferred::Nothing, |s, &c| s.join(c));
        assert_eq!(run(&[i, Class::Empty, i]), Inferred::Int);
        assert_eq!(run(&[i, f, i]), Inferred::Float);
        assert_eq!(run(&[b, b]), Inferred::Bool);
        assert_eq!(run(&[b, i]), Inferred::Str);
        assert_eq!(run(&[f, b]), Inferred::Str);
        assert_eq!(run(&[i, Class::Other, i]), Inferred::Str);
        assert_eq!(run(&[Class::Empty, Class::Empty]), Inferred::Nothing);
        assert_eq!(Inferred::Nothing.target(), Target::Str);
    }
}
