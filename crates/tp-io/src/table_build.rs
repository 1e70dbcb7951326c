//! Typed column accumulation shared by the CSV and Parquet readers.

use crate::error::{IoError, Location};
use crate::options::Kind;
use std::path::PathBuf;
use tp_core::{Column, ColumnData};

/// The concrete type a kept column is read into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    F64,
    I64,
    Bool,
    Str,
}

/// Why one value was refused; turned into an [`IoError`] by the caller, who
/// knows the file, the column and the location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bad {
    Missing(Kind),
    Mismatch(Kind),
    NonFinite(f64),
    Utf8,
}

impl Bad {
    pub(crate) fn into_error(self, path: PathBuf, column: String, at: Location, raw: &[u8]) -> IoError {
        match self {
            Bad::Missing(expected) => IoError::MissingValue { path, column, at, expected },
            Bad::Mismatch(expected) => IoError::TypeMismatch {
                path,
                column,
                at,
                value: String::from_utf8_lossy(raw).into_owned(),
                expected,
            },
            Bad::NonFinite(value) => IoError::NonFinite { path, column, at, value },
            Bad::Utf8 => IoError::InvalidUtf8 { path, column, at },
        }
    }
}

/// The growing values of one column.
pub(crate) struct Builder(pub(crate) ColumnData);

impl Builder {
    pub(crate) fn new(target: Target, capacity: usize) -> Builder {
        Builder(match target {
            Target::F64 => ColumnData::F64(Vec::with_capacity(capacity)),
            Target::I64 => ColumnData::I64(Vec::with_capacity(capacity)),
            Target::Bool => ColumnData::Bool(Vec::with_capacity(capacity)),
            Target::Str => ColumnData::Str(Vec::with_capacity(capacity)),
        })
    }

    /// Parses one CSV field. Numbers and booleans are trimmed of ASCII
    /// whitespace first; strings are kept verbatim (an empty field is "").
    pub(crate) fn push_text(&mut self, field: &[u8], allow_non_finite: bool) -> Result<(), Bad> {
        match &mut self.0 {
            ColumnData::Str(v) => {
                v.push(std::str::from_utf8(field).map_err(|_| Bad::Utf8)?.to_owned());
            }
            ColumnData::F64(v) => {
                let t = numeric_text(field, Kind::Float)?;
                let x: f64 = t.parse().map_err(|_| Bad::Mismatch(Kind::Float))?;
                if !allow_non_finite && !x.is_finite() {
                    return Err(Bad::NonFinite(x));
                }
                v.push(x);
            }
            ColumnData::I64(v) => {
                let t = numeric_text(field, Kind::Int)?;
                v.push(t.parse().map_err(|_| Bad::Mismatch(Kind::Int))?);
            }
            ColumnData::Bool(v) => {
                let t = trim(field);
                if t.is_empty() {
                    return Err(Bad::Missing(Kind::Bool));
                }
                v.push(parse_bool(t).ok_or(Bad::Mismatch(Kind::Bool))?);
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self, name: String) -> Column {
        Column { name, data: self.0 }
    }
}

fn numeric_text(field: &[u8], kind: Kind) -> Result<&str, Bad> {
    let t = trim(field);
    if t.is_empty() {
        return Err(Bad::Missing(kind));
    }
    std::str::from_utf8(t).map_err(|_| Bad::Mismatch(kind))
}

/// A cell's text without surrounding ASCII whitespace.
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// `true`/`True`/`TRUE` or `false`/`False`/`FALSE`; anything else is not a bool.
pub(crate) fn parse_bool(b: &[u8]) -> Option<bool> {
    match b {
        b"true" | b"True" | b"TRUE" => Some(true),
        b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parsing_by_target() {
        let mut f = Builder::new(Target::F64, 4);
        f.push_text(b"-0", false).unwrap();
        f.push_text(b" 2.5e-300 ", false).unwrap();
        assert_eq!(f.push_text(b"", false), Err(Bad::Missing(Kind::Float)));
        assert_eq!(f.push_text(b"abc", false), Err(Bad::Mismatch(Kind::Float)));
        assert!(matches!(f.push_text(b"inf", false), Err(Bad::NonFinite(x)) if x == f64::INFINITY));
        f.push_text(b"NaN", true).unwrap();
        let ColumnData::F64(v) = &f.0 else { panic!() };
        assert!(v[0] == 0.0 && v[0].is_sign_negative());
        assert_eq!(v[1], 2.5e-300);
        assert!(v[2].is_nan());

        let mut i = Builder::new(Target::I64, 1);
        i.push_text(b"42", false).unwrap();
        assert_eq!(i.push_text(b"4.2", false), Err(Bad::Mismatch(Kind::Int)));
        let mut b = Builder::new(Target::Bool, 1);
        b.push_text(b"True", false).unwrap();
        assert_eq!(b.push_text(b"1", false), Err(Bad::Mismatch(Kind::Bool)));
        let mut s = Builder::new(Target::Str, 1);
        s.push_text(b" a ", false).unwrap();
        s.push_text(b"", false).unwrap();
        assert_eq!(s.push_text(&[0xff], false), Err(Bad::Utf8));
        assert_eq!(s.0, ColumnData::Str(vec![" a ".into(), String::new()]));
    }
}
