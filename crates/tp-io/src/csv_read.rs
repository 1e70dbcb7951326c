//! Streaming CSV reader: header checks, a type-inference pass, typed chunks.
//!
//! Reading is one pass when every kept column has a required concrete kind,
//! and two passes otherwise: the first only classifies the fields of the
//! columns whose kind is inferred (nothing is stored), the second parses the
//! kept columns into typed vectors. Memory is therefore bounded by the kept
//! columns of one chunk, whatever the width or length of the file.

use crate::error::{IoError, Location, Result};
use crate::options::{Kind, ReadOptions, find_duplicate};
use crate::table_build::{Builder, Target};
use csv::ByteRecord;
use std::fs::File;
use std::path::{Path, PathBuf};
use tp_core::Table;

/// What a field looks like, for inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Empty,
    Int,
    Float,
    Bool,
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
            (I::Nothing, Class::Int) => I::Int,
            (I::Nothing | I::Int, Class::Float) | (I::Float, Class::Int | Class::Float) => I::Float,
            (I::Int, Class::Int) => I::Int,
            (I::Nothing | I::Bool, Class::Bool) => I::Bool,
            (I::Bool, Class::Int | Class::Float) | (I::Int | I::Float, Class::Bool) => I::Str,
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

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

pub(crate) fn parse_bool(b: &[u8]) -> Option<bool> {
    match b {
        b"true" | b"True" | b"TRUE" => Some(true),
        b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

fn classify(field: &[u8]) -> Class {
    let t = trim(field);
    if t.is_empty() {
        return Class::Empty;
    }
    let Ok(s) = std::str::from_utf8(t) else { return Class::Other };
    if s.parse::<i64>().is_ok() {
        Class::Int
    } else if s.parse::<f64>().is_ok() {
        Class::Float
    } else if parse_bool(t).is_some() {
        Class::Bool
    } else {
        Class::Other
    }
}

fn csv_reader(path: &Path) -> Result<csv::Reader<File>> {
    let file = File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    if len == 0 {
        return Err(IoError::EmptyFile { path: path.to_path_buf() });
    }
    Ok(csv::ReaderBuilder::new().has_headers(true).flexible(true).buffer_capacity(1 << 16).from_reader(file))
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
    reader: csv::Reader<File>,
    n_fields: usize,
    columns: Vec<CsvColumn>,
    record: ByteRecord,
    allow_non_finite: bool,
    rows_read: u64,
    /// Data rows in the file, when the inference pass counted them all.
    known_rows: Option<u64>,
    done: bool,
}

impl CsvChunks {
    /// Opens `path`, checks the header against `opts`, and infers the kinds
    /// not required (a first pass over the file).
    pub(crate) fn open(path: &Path, opts: &ReadOptions) -> Result<CsvChunks> {
        let mut reader = csv_reader(path)?;
        let header: Vec<String> = reader
            .byte_headers()
            .map_err(|source| IoError::Csv { path: path.to_path_buf(), source })?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        if header.is_empty() {
            return Err(IoError::EmptyFile { path: path.to_path_buf() });
        }
        if let Some((i, j)) = find_duplicate(&header) {
            return Err(IoError::DuplicateColumn {
                path: path.to_path_buf(),
                column: header[j].clone(),
                first: i + 1,
                second: j + 1,
            });
        }
        let keep = opts.resolve(&header).map_err(|column| IoError::MissingColumn {
            path: path.to_path_buf(),
            column,
            available: header.join(", "),
        })?;
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
        if !to_infer.is_empty() {
            let fields: Vec<usize> = to_infer.iter().map(|&c| keep[c]).collect();
            let numeric: Vec<bool> = to_infer.iter().map(|&c| required[c] == Some(Kind::Numeric)).collect();
            let names: Vec<&str> = fields.iter().map(|&j| header[j].as_str()).collect();
            let (inferred, rows) = infer(path, header.len(), &fields, &numeric, &names)?;
            known_rows = rows;
            for (&c, inf) in to_infer.iter().zip(inferred) {
                targets[c] = Some(inf.target());
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

/// The inference pass: classifies every field of the columns at `fields`.
/// Columns flagged in `numeric` must hold numbers; anything else there is an
/// error. Also returns the number of data rows when the pass read them all.
fn infer(
    path: &Path,
    n_fields: usize,
    fields: &[usize],
    numeric: &[bool],
    names: &[&str],
) -> Result<(Vec<Inferred>, Option<u64>)> {
    let mut rows = 0u64;
    let mut reader = csv_reader(path)?;
    let mut state = vec![Inferred::Nothing; fields.len()];
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
        for (k, &j) in fields.iter().enumerate() {
            if state[k] == Inferred::Str {
                continue;
            }
            let class = classify(&record[j]);
            if numeric[k] && matches!(class, Class::Bool | Class::Other) {
                return Err(IoError::TypeMismatch {
                    path: path.to_path_buf(),
                    column: names[k].to_string(),
                    at: Location::Line(line_of(&record)),
                    value: String::from_utf8_lossy(&record[j]).into_owned(),
                    expected: Kind::Numeric,
                });
            }
            state[k] = state[k].join(class);
        }
        // nothing left to learn (ragged rows are caught by the reading pass)
        rows += 1;
        if !numeric.iter().any(|&n| n) && state.iter().all(|&s| s == Inferred::Str) {
            return Ok((state, None));
        }
    }
    Ok((state, Some(rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(classify(b"12"), Class::Int);
        assert_eq!(classify(b" -3 "), Class::Int);
        assert_eq!(classify(b"1.5"), Class::Float);
        assert_eq!(classify(b"1e400"), Class::Float);
        assert_eq!(classify(b"NaN"), Class::Float);
        assert_eq!(classify(b"true"), Class::Bool);
        assert_eq!(classify(b"yes"), Class::Other);
        assert_eq!(classify(b""), Class::Empty);
        assert_eq!(classify(b"  "), Class::Empty);
        assert_eq!(classify(&[0xff, 0x31]), Class::Other);
    }

    #[test]
    fn inference_lattice() {
        let run = |cs: &[Class]| cs.iter().fold(Inferred::Nothing, |s, &c| s.join(c));
        assert_eq!(run(&[Class::Int, Class::Empty, Class::Int]), Inferred::Int);
        assert_eq!(run(&[Class::Int, Class::Float, Class::Int]), Inferred::Float);
        assert_eq!(run(&[Class::Bool, Class::Bool]), Inferred::Bool);
        assert_eq!(run(&[Class::Bool, Class::Int]), Inferred::Str);
        assert_eq!(run(&[Class::Float, Class::Bool]), Inferred::Str);
        assert_eq!(run(&[Class::Int, Class::Other, Class::Int]), Inferred::Str);
        assert_eq!(run(&[Class::Empty, Class::Empty]), Inferred::Nothing);
        assert_eq!(Inferred::Nothing.target(), Target::Str);
    }
}
