//! What to read: column selection, required kinds, and leniency switches.

use std::fmt;
use tp_core::{ColumnData, Table};

/// The kind of values a column must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Integers or floats: an int column when every value is an integer, else a float column.
    Numeric,
    /// Floats (integers are read as floats).
    Float,
    /// 64-bit signed integers.
    Int,
    /// Booleans (`true`/`false`, also `True`/`TRUE`/`False`/`FALSE` in CSV).
    Bool,
    /// Strings, taken verbatim.
    Str,
}

impl Kind {
    /// The kind that reads a column back exactly as `data` holds it.
    pub fn of(data: &ColumnData) -> Kind {
        match data {
            ColumnData::F64(_) => Kind::Float,
            ColumnData::I64(_) => Kind::Int,
            ColumnData::Bool(_) => Kind::Bool,
            ColumnData::Str(_) => Kind::Str,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Numeric => "a number",
            Kind::Float => "a float",
            Kind::Int => "an integer",
            Kind::Bool => "a boolean (true/false)",
            Kind::Str => "a string",
        })
    }
}

/// How to read a table: which columns, which kinds, how lenient.
///
/// A consuming builder; the defaults are: every column of the file, kinds
/// inferred, non-finite numbers rejected, a file without data rows rejected.
///
/// ```
/// use tp_io::{Kind, ReadOptions};
/// let opts = ReadOptions::new()
///     .columns(["age", "income", "region"])
///     .require("age", Kind::Numeric)
///     .require("region", Kind::Str);
/// assert_eq!(opts.selected().unwrap(), ["age", "income", "region"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    columns: Option<Vec<String>>,
    required: Vec<(String, Kind)>,
    allow_non_finite: bool,
    allow_no_rows: bool,
}

impl ReadOptions {
    /// The defaults (all columns, inferred kinds, strict).
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep only these columns, in this order. Only they are materialized:
    /// memory is bounded by the columns kept, not by the file.
    pub fn columns<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.columns = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Require `column` to hold values of `kind` (instead of inferring it).
    /// A required column must exist, and is kept even when [`columns`](Self::columns)
    /// does not list it (it is then appended after the listed ones).
    pub fn require(mut self, column: impl Into<String>, kind: Kind) -> Self {
        let column = column.into();
        self.required.retain(|(c, _)| *c != column);
        self.required.push((column, kind));
        self
    }

    /// Require every column of `table`, with exactly its type, and keep just
    /// those columns in its order: reads back what [`write_table`](crate::write_table) wrote.
    pub fn require_like(mut self, table: &Table) -> Self {
        self.columns = Some(table.names().iter().map(|s| s.to_string()).collect());
        for c in table.columns() {
            self = self.require(c.name.clone(), Kind::of(&c.data));
        }
        self
    }

    /// Accept NaN and ±infinity in numeric columns (default: reject them with
    /// [`IoError::NonFinite`](crate::IoError::NonFinite)).
    pub fn allow_non_finite(mut self, allow: bool) -> Self {
        self.allow_non_finite = allow;
        self
    }

    /// Accept a file with a header (schema) but no data rows, returning a
    /// table with zero rows (default: [`IoError::NoRows`](crate::IoError::NoRows)).
    pub fn allow_no_rows(mut self, allow: bool) -> Self {
        self.allow_no_rows = allow;
        self
    }

    /// The selected columns, if a selection was made.
    pub fn selected(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    /// The required kind of `column`, if any.
    pub fn required(&self, column: &str) -> Option<Kind> {
        self.required.iter().find(|(c, _)| c == column).map(|&(_, k)| k)
    }

    /// Whether non-finite numbers are accepted.
    pub fn non_finite_allowed(&self) -> bool {
        self.allow_non_finite
    }

    /// Whether a file without data rows is accepted.
    pub fn no_rows_allowed(&self) -> bool {
        self.allow_no_rows
    }

    /// The columns to keep given the file's header, in output order, as
    /// indices into `header`; or the first name that is missing.
    pub(crate) fn resolve(&self, header: &[String]) -> std::result::Result<Vec<usize>, String> {
        let mut names: Vec<&str> = match &self.columns {
            Some(c) => c.iter().map(String::as_str).collect(),
            None => header.iter().map(String::as_str).collect(),
        };
        for (c, _) in &self.required {
            if !names.contains(&c.as_str()) {
                names.push(c);
            }
        }
        let mut idx = Vec::with_capacity(names.len());
        for n in names {
            let j = header.iter().position(|h| h == n).ok_or_else(|| n.to_string())?;
            if !idx.contains(&j) {
                idx.push(j);
            }
        }
        Ok(idx)
    }
}

/// Checks a file's `header` (no repeated names, every selected or required
/// column present) and returns the kept columns' positions, as
/// [`ReadOptions::resolve`] orders them.
pub(crate) fn check_header(
    path: &std::path::Path,
    header: &[String],
    opts: &ReadOptions,
) -> crate::Result<Vec<usize>> {
    if let Some((i, j)) = find_duplicate(header) {
        return Err(crate::IoError::DuplicateColumn {
            path: path.to_path_buf(),
            column: header[j].clone(),
            first: i + 1,
            second: j + 1,
        });
    }
    opts.resolve(header).map_err(|column| crate::IoError::MissingColumn {
        path: path.to_path_buf(),
        column,
        available: header.join(", "),
    })
}

/// The first pair of equal names in `header`, as 0-based positions.
pub(crate) fn find_duplicate(header: &[String]) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::with_capacity(header.len());
    for (j, h) in header.iter().enumerate() {
        if let Some(&i) = seen.get(h.as_str()) {
            return Some((i, j));
        }
        seen.insert(h.as_str(), j);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn resolve_keeps_selection_order_and_appends_required() {
        let o = ReadOptions::new().columns(["c", "a"]).require("b", Kind::Int);
        assert_eq!(o.resolve(&header()).unwrap(), vec![2, 0, 1]);
        assert_eq!(ReadOptions::new().resolve(&header()).unwrap(), vec![0, 1, 2]);
        assert_eq!(ReadOptions::new().columns(["a", "zz"]).resolve(&header()).unwrap_err(), "zz");
        assert_eq!(ReadOptions::new().require("q", Kind::Str).resolve(&header()).unwrap_err(), "q");
    }

    #[test]
    fn require_replaces_an_earlier_requirement() {
        let o = ReadOptions::new().require("a", Kind::Int).require("a", Kind::Float);
        assert_eq!(o.required("a"), Some(Kind::Float));
        assert_eq!(o.required("b"), None);
    }

    #[test]
    fn duplicates_are_found() {
        let h: Vec<String> = ["x", "y", "x"].iter().map(|s| s.to_string()).collect();
        assert_eq!(find_duplicate(&h), Some((0, 2)));
        assert_eq!(find_duplicate(&header()), None);
    }
}
