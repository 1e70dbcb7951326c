//! One-hot encoding of categorical columns into `column=value` 0/1 floats.

use crate::error::{IoError, Location, Result};
use std::collections::BTreeSet;
use tp_core::{Column, ColumnData, CoreError, Table};

/// One-hot encoding parameters (a consuming builder).
///
/// Defaults: keep every category (`drop_first = false`), at most 256
/// categories per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneHot {
    drop_first: bool,
    max_categories: usize,
}

impl Default for OneHot {
    fn default() -> Self {
        OneHot { drop_first: false, max_categories: 256 }
    }
}

/// The sorted categories of one column, typed as the column is.
#[derive(Debug, Clone, PartialEq)]
enum Categories {
    Str(Vec<String>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

impl Categories {
    fn len(&self) -> usize {
        match self {
            Categories::Str(v) => v.len(),
            Categories::I64(v) => v.len(),
            Categories::Bool(v) => v.len(),
        }
    }

    fn label(&self, k: usize) -> String {
        match self {
            Categories::Str(v) => v[k].clone(),
            Categories::I64(v) => v[k].to_string(),
            Categories::Bool(v) => v[k].to_string(),
        }
    }

    /// The category index of every row, or the first unseen value.
    fn codes(&self, data: &ColumnData) -> std::result::Result<Vec<usize>, (usize, String)> {
        match (self, data) {
            (Categories::Str(c), ColumnData::Str(v)) => {
                v.iter().enumerate().map(|(i, x)| c.binary_search(x).map_err(|_| (i, x.clone()))).collect()
            }
            (Categories::I64(c), ColumnData::I64(v)) => v
                .iter()
                .enumerate()
                .map(|(i, x)| c.binary_search(x).map_err(|_| (i, x.to_string())))
                .collect(),
            (Categories::Bool(c), ColumnData::Bool(v)) => v
                .iter()
                .enumerate()
                .map(|(i, x)| c.binary_search(x).map_err(|_| (i, x.to_string())))
                .collect(),
            _ => unreachable!("types are checked before lookup"),
        }
    }
}

/// A fitted one-hot encoder: the sorted categories of each encoded column.
/// Use it to encode other tables (e.g. scoring data) with the same columns.
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotEncoder {
    params: OneHot,
    columns: Vec<(String, Categories)>,
}

impl OneHot {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leave out the first (smallest) category of each column, so the dummies
    /// are not collinear with an intercept.
    pub fn drop_first(mut self, drop_first: bool) -> Self {
        self.drop_first = drop_first;
        self
    }

    /// The most distinct values a column may have
    /// ([`IoError::TooManyCategories`] beyond).
    pub fn max_categories(mut self, max: usize) -> Self {
        self.max_categories = max;
        self
    }

    /// Learns the sorted categories of `columns` (string, int or bool columns).
    pub fn fit(&self, table: &Table, columns: &[&str]) -> Result<OneHotEncoder> {
        let mut out = Vec::with_capacity(columns.len());
        for &name in columns {
            let col = table.column(name)?;
            let cats = match &col.data {
                ColumnData::Str(v) => {
                    Categories::Str(v.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect())
                }
                ColumnData::I64(v) => {
                    Categories::I64(v.iter().copied().collect::<BTreeSet<_>>().into_iter().collect())
                }
                ColumnData::Bool(v) => {
                    Categories::Bool(v.iter().copied().collect::<BTreeSet<_>>().into_iter().collect())
                }
                ColumnData::F64(_) => {
                    return Err(IoError::NotCategorical { column: name.to_string(), found: "float" });
                }
            };
            if cats.len() > self.max_categories {
                return Err(IoError::TooManyCategories {
                    column: name.to_string(),
                    found: cats.len(),
                    max: self.max_categories,
                });
            }
            if !out.iter().any(|(n, _): &(String, Categories)| n == name) {
                out.push((name.to_string(), cats));
            }
        }
        Ok(OneHotEncoder { params: self.clone(), columns: out })
    }
}

impl OneHotEncoder {
    /// The category labels of an encoded column, in output order (including
    /// a dropped first one).
    pub fn categories(&self, column: &str) -> Option<Vec<String>> {
        let (_, c) = self.columns.iter().find(|(n, _)| n == column)?;
        Some((0..c.len()).map(|k| c.label(k)).collect())
    }

    /// Replaces each encoded column, in place, by its `column=value` 0/1
    /// float columns; other columns pass through. A value not seen at fit
    /// time is [`IoError::UnseenCategory`].
    pub fn transform(&self, table: &Table) -> Result<Table> {
        let mut out = Vec::with_capacity(table.n_cols());
        for col in table.columns() {
            let Some((_, cats)) = self.columns.iter().find(|(n, _)| *n == col.name) else {
                out.push(col.clone());
                continue;
            };
            let same_type = matches!(
                (cats, &col.data),
                (Categories::Str(_), ColumnData::Str(_))
                    | (Categories::I64(_), ColumnData::I64(_))
                    | (Categories::Bool(_), ColumnData::Bool(_))
            );
            if !same_type {
                return Err(CoreError::ColumnType {
                    name: col.name.clone(),
                    expected: match cats {
                        Categories::Str(_) => "string (as when fitted)",
                        Categories::I64(_) => "int (as when fitted)",
                        Categories::Bool(_) => "bool (as when fitted)",
                    }
                    .into(),
                    found: col.data.type_name().into(),
                }
                .into());
            }
            let codes = cats.codes(&col.data).map_err(|(row, value)| IoError::UnseenCategory {
                column: col.name.clone(),
                at: Location::Row(row as u64),
                value,
            })?;
            let first = usize::from(self.params.drop_first);
            for k in first..cats.len() {
                let values = codes.iter().map(|&c| if c == k { 1.0 } else { 0.0 }).collect();
                out.push(Column::f64(format!("{}={}", col.name, cats.label(k)), values));
            }
        }
        for (name, _) in &self.columns {
            table.column(name)?;
        }
        Ok(Table::new(out)?)
    }
}

/// One-hot encodes `columns` of `table` with the default [`OneHot`]
/// parameters: each becomes `column=value` 0/1 float columns, categories in
/// sorted order, at the position of the original column.
///
/// ```
/// use tp_core::{Column, Table};
/// let t = Table::new(vec![
///     Column::str("region", vec!["west".into(), "east".into(), "west".into()]),
///     Column::f64("spend", vec![1.0, 2.0, 3.0]),
/// ])
/// .unwrap();
/// let e = tp_io::one_hot(&t, &["region"]).unwrap();
/// assert_eq!(e.names(), ["region=east", "region=west", "spend"]);
/// assert_eq!(&*e.f64_values("region=west").unwrap(), &[1.0, 0.0, 1.0]);
/// ```
pub fn one_hot(table: &Table, columns: &[&str]) -> Result<Table> {
    OneHot::new().fit(table, columns)?.transform(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(vec![
            Column::i64("id", vec![1, 2, 3, 4]),
            Column::str("color", vec!["red".into(), "blue".into(), "red".into(), "green".into()]),
            Column::i64("size", vec![10, 2, 2, 10]),
            Column::bool("vip", vec![true, false, false, false]),
            Column::f64("x", vec![0.5; 4]),
        ])
        .unwrap()
    }

    #[test]
    fn sorted_dummies_in_place() {
        let e = one_hot(&table(), &["color", "size", "vip"]).unwrap();
        assert_eq!(
            e.names(),
            [
                "id",
                "color=blue",
                "color=green",
                "color=red",
                "size=2",
                "size=10",
                "vip=false",
                "vip=true",
                "x"
            ]
        );
        assert_eq!(&*e.f64_values("color=red").unwrap(), &[1.0, 0.0, 1.0, 0.0]);
        assert_eq!(&*e.f64_values("size=10").unwrap(), &[1.0, 0.0, 0.0, 1.0]);
        assert_eq!(&*e.f64_values("vip=true").unwrap(), &[1.0, 0.0, 0.0, 0.0]);
        // every row has exactly one hot dummy per encoded column
        for i in 0..4 {
            let s: f64 =
                ["color=blue", "color=green", "color=red"].iter().map(|c| e.f64_values(c).unwrap()[i]).sum();
            assert_eq!(s, 1.0);
        }
    }

    #[test]
    fn drop_first_and_guard() {
        let enc = OneHot::new().drop_first(true).fit(&table(), &["color"]).unwrap();
        assert_eq!(enc.categories("color").unwrap(), ["blue", "green", "red"]);
        let e = enc.transform(&table()).unwrap();
        assert_eq!(e.names(), ["id", "color=green", "color=red", "size", "vip", "x"]);
        let err = OneHot::new().max_categories(2).fit(&table(), &["color"]).unwrap_err();
        assert!(
            matches!(err, IoError::TooManyCategories { ref column, found: 3, max: 2 } if column == "color")
        );
        assert!(err.to_string().contains("raise the limit"));
    }

    #[test]
    fn bad_columns_and_unseen_values() {
        assert!(matches!(
            one_hot(&table(), &["x"]),
            Err(IoError::NotCategorical { ref column, found: "float" }) if column == "x"
        ));
        assert!(matches!(one_hot(&table(), &["nope"]), Err(IoError::Core(CoreError::UnknownColumn { .. }))));
        let enc = OneHot::new().fit(&table(), &["color"]).unwrap();
        let other = Table::new(vec![Column::str("color", vec!["red".into(), "pink".into()])]).unwrap();
        assert!(matches!(
            enc.transform(&other),
            Err(IoError::UnseenCategory { ref value, at: Location::Row(1), .. }) if value == "pink"
        ));
    }
}
