//! A small columnar table: the common currency between readers, writers,
//! simulators and the stages.
//!
//! Columns are typed ([`ColumnData`]) and named; all columns have the same
//! length. Numeric columns turn into a faer matrix with [`Table::to_matrix`],
//! which checks finiteness and names the first bad cell.

use crate::error::{CoreError, Result};
use faer::Mat;
use std::borrow::Cow;

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// 64-bit floats (may hold NaN; see [`Table::to_matrix`]).
    F64(Vec<f64>),
    /// 64-bit signed integers.
    I64(Vec<i64>),
    /// Booleans.
    Bool(Vec<bool>),
    /// UTF-8 strings.
    Str(Vec<String>),
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::F64(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Str(v) => v.len(),
        }
    }

    /// True when the column holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name as used in error messages and schemas:
    /// `float`, `int`, `bool` or `string`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ColumnData::F64(_) => "float",
            ColumnData::I64(_) => "int",
            ColumnData::Bool(_) => "bool",
            ColumnData::Str(_) => "string",
        }
    }

    /// True for float, int and bool columns.
    pub fn is_numeric(&self) -> bool {
        !matches!(self, ColumnData::Str(_))
    }

    /// Rows `start..end` as a new column.
    pub fn slice(&self, start: usize, end: usize) -> ColumnData {
        match self {
            ColumnData::F64(v) => ColumnData::F64(v[start..end].to_vec()),
            ColumnData::I64(v) => ColumnData::I64(v[start..end].to_vec()),
            ColumnData::Bool(v) => ColumnData::Bool(v[start..end].to_vec()),
            ColumnData::Str(v) => ColumnData::Str(v[start..end].to_vec()),
        }
    }

    /// The rows at `idx`, in that order, as a new column.
    pub fn take(&self, idx: &[usize]) -> ColumnData {
        match self {
            ColumnData::F64(v) => ColumnData::F64(idx.iter().map(|&i| v[i]).collect()),
            ColumnData::I64(v) => ColumnData::I64(idx.iter().map(|&i| v[i]).collect()),
            ColumnData::Bool(v) => ColumnData::Bool(idx.iter().map(|&i| v[i]).collect()),
            ColumnData::Str(v) => ColumnData::Str(idx.iter().map(|&i| v[i].clone()).collect()),
        }
    }

    /// The value at `row` formatted for messages and CSV output.
    pub fn format_value(&self, row: usize) -> String {
        match self {
            ColumnData::F64(v) => format!("{}", v[row]),
            ColumnData::I64(v) => v[row].to_string(),
            ColumnData::Bool(v) => v[row].to_string(),
            ColumnData::Str(v) => v[row].clone(),
        }
    }
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name (unique within a table).
    pub name: String,
    /// The values.
    pub data: ColumnData,
}

impl Column {
    /// A float column.
    pub fn f64(name: impl Into<String>, values: Vec<f64>) -> Self {
        Column { name: name.into(), data: ColumnData::F64(values) }
    }
    /// An integer column.
    pub fn i64(name: impl Into<String>, values: Vec<i64>) -> Self {
        Column { name: name.into(), data: ColumnData::I64(values) }
    }
    /// A boolean column.
    pub fn bool(name: impl Into<String>, values: Vec<bool>) -> Self {
        Column { name: name.into(), data: ColumnData::Bool(values) }
    }
    /// A string column.
    pub fn str(name: impl Into<String>, values: Vec<String>) -> Self {
        Column { name: name.into(), data: ColumnData::Str(values) }
    }
}

/// A set of equally long, uniquely named columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
    n_rows: usize,
}

impl Table {
    /// Builds a table, checking that names are unique and lengths agree.
    pub fn new(columns: Vec<Column>) -> Result<Self> {
        let n_rows = columns.first().map_or(0, |c| c.data.len());
        for (j, c) in columns.iter().enumerate() {
            if c.data.len() != n_rows {
                return Err(CoreError::Shape {
                    what: format!("column '{}'", c.name),
                    expected: format!("{n_rows} rows (as column '{}')", columns[0].name),
                    got: format!("{} rows", c.data.len()),
                });
            }
            if columns[..j].iter().any(|o| o.name == c.name) {
                return Err(CoreError::InvalidParameter {
                    name: "column name".into(),
                    value: c.name.clone(),
                    expected: "unique column names; rename the duplicate".into(),
                });
            }
        }
        Ok(Table { columns, n_rows })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// All columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Consumes the table, returning its columns.
    pub fn into_columns(self) -> Vec<Column> {
        self.columns
    }

    /// Column names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Position of a column, if present.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column called `name`, or an error listing the available names.
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.position(name).map(|j| &self.columns[j]).ok_or_else(|| CoreError::UnknownColumn {
            name: name.to_string(),
            available: self.names().join(", "),
        })
    }

    /// Appends a column (same length, new name).
    pub fn push(&mut self, column: Column) -> Result<()> {
        let mut cols = std::mem::take(&mut self.columns);
        cols.push(column);
        match Table::new(cols) {
            Ok(t) => {
                *self = t;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A column's values as floats: float columns are borrowed, int and bool
    /// columns converted (`true` = 1). String columns are an error.
    pub fn f64_values(&self, name: &str) -> Result<Cow<'_, [f64]>> {
        let c = self.column(name)?;
        Ok(match &c.data {
            ColumnData::F64(v) => Cow::Borrowed(v.as_slice()),
            ColumnData::I64(v) => Cow::Owned(v.iter().map(|&x| x as f64).collect()),
            ColumnData::Bool(v) => Cow::Owned(v.iter().map(|&b| f64::from(u8::from(b))).collect()),
            ColumnData::Str(_) => {
                return Err(CoreError::ColumnType {
                    name: name.to_string(),
                    expected: "a numeric column".into(),
                    found: "string".into(),
                });
            }
        })
    }

    /// A column's values as strings (any type, formatted).
    pub fn string_values(&self, name: &str) -> Result<Cow<'_, [String]>> {
        let c = self.column(name)?;
        Ok(match &c.data {
            ColumnData::Str(v) => Cow::Borrowed(v.as_slice()),
            other => Cow::Owned((0..other.len()).map(|i| other.format_value(i)).collect()),
        })
    }

    /// The named columns, in the order given.
    pub fn select(&self, names: &[&str]) -> Result<Table> {
        let cols = names.iter().map(|n| self.column(n).cloned()).collect::<Result<Vec<_>>>()?;
        Table::new(cols)
    }

    /// Rows `start..end`.
    pub fn slice_rows(&self, start: usize, end: usize) -> Table {
        let end = end.min(self.n_rows);
        let start = start.min(end);
        Table {
            columns: self
                .columns
                .iter()
                .map(|c| Column { name: c.name.clone(), data: c.data.slice(start, end) })
                .collect(),
            n_rows: end - start,
        }
    }

    /// The rows at `idx`, in that order.
    pub fn take_rows(&self, idx: &[usize]) -> Table {
        Table {
            columns: self
                .columns
                .iter()
                .map(|c| Column { name: c.name.clone(), data: c.data.take(idx) })
                .collect(),
            n_rows: idx.len(),
        }
    }

    /// The named numeric columns as an `n_rows × names.len()` matrix.
    /// Any NaN or infinite value is an error naming its column and row.
    pub fn to_matrix(&self, names: &[&str]) -> Result<Mat<f64>> {
        let mut m = Mat::<f64>::zeros(self.n_rows, names.len());
        for (j, name) in names.iter().enumerate() {
            let v = self.f64_values(name)?;
            for (i, &x) in v.iter().enumerate() {
                if !x.is_finite() {
                    return Err(CoreError::NonFinite { column: name.to_string(), row: i, value: x });
                }
                m[(i, j)] = x;
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new(vec![
            Column::f64("x", vec![1.0, 2.5, 3.0]),
            Column::i64("n", vec![1, 2, 3]),
            Column::bool("b", vec![true, false, true]),
            Column::str("s", vec!["a".into(), "b".into(), "c".into()]),
        ])
        .unwrap()
    }

    #[test]
    fn ragged_columns_are_rejected() {
        let e = Table::new(vec![Column::f64("x", vec![1.0]), Column::f64("y", vec![1.0, 2.0])]);
        assert!(matches!(e, Err(CoreError::Shape { what, .. }) if what == "column 'y'"));
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let e = Table::new(vec![Column::f64("x", vec![1.0]), Column::f64("x", vec![2.0])]);
        assert!(matches!(e, Err(CoreError::InvalidParameter { value, .. }) if value == "x"));
    }

    #[test]
    fn numeric_conversion_and_matrix() {
        let t = sample();
        assert_eq!(&*t.f64_values("b").unwrap(), &[1.0, 0.0, 1.0]);
        let m = t.to_matrix(&["x", "n"]).unwrap();
        assert_eq!((m.nrows(), m.ncols()), (3, 2));
        assert_eq!(m[(1, 0)], 2.5);
        assert_eq!(m[(2, 1)], 3.0);
        assert!(matches!(t.f64_values("s"), Err(CoreError::ColumnType { .. })));
        assert!(
            matches!(t.column("zz"), Err(CoreError::UnknownColumn { available, .. }) if available == "x, n, b, s")
        );
    }

    #[test]
    fn matrix_names_the_non_finite_cell() {
        let t = Table::new(vec![Column::f64("x", vec![1.0, f64::NAN])]).unwrap();
        assert!(
            matches!(t.to_matrix(&["x"]), Err(CoreError::NonFinite { column, row: 1, .. }) if column == "x")
        );
    }

    #[test]
    fn select_slice_take() {
        let t = sample();
        let s = t.select(&["s", "x"]).unwrap();
        assert_eq!(s.names(), vec!["s", "x"]);
        let r = t.slice_rows(1, 3);
        assert_eq!(r.n_rows(), 2);
        assert_eq!(&*r.f64_values("x").unwrap(), &[2.5, 3.0]);
        let k = t.take_rows(&[2, 0]);
        assert_eq!(&*k.string_values("s").unwrap(), &["c".to_string(), "a".to_string()]);
    }
}
