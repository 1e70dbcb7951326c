//! Arm labels: mapping a treatment column (strings or integers) to arm
//! indices with the control first.

use anyhow::{Result, bail};
use tp_core::{ColumnData, Table};

/// Arm labels in index order; index 0 is the control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arms {
    labels: Vec<String>,
}

impl Arms {
    /// Arms found in `column` of `table` (file name `file` for messages).
    /// Integer columns give labels `0..=max` (0 = control); string or bool
    /// columns give their sorted distinct values with `control` (the given
    /// label, else `"control"`, `"0"` or `"false"` when present) moved first.
    pub fn from_column(table: &Table, column: &str, control: Option<&str>, file: &str) -> Result<Arms> {
        let col = table.column(column).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        let mut labels: Vec<String> = match &col.data {
            ColumnData::I64(v) => {
                if let Some((row, &bad)) = v.iter().enumerate().find(|(_, a)| **a < 0) {
                    bail!(
                        "{file}: column '{column}' row {row} holds arm {bad}: integer arms must be 0 (control), 1, 2, …"
                    );
                }
                let max = v.iter().copied().max().unwrap_or(0);
                (0..=max).map(|a| a.to_string()).collect()
            }
            ColumnData::F64(_) => {
                bail!("{file}: column '{column}' holds floats; arms must be labels or integers 0, 1, …")
            }
            _ => {
                let mut s: Vec<String> = table.string_values(column)?.iter().cloned().collect();
                s.sort();
                s.dedup();
                s
            }
        };
        let control = match control {
            Some(c) => {
                if !labels.iter().any(|l| l == c) {
                    bail!(
                        "{file}: control arm '{c}' does not occur in column '{column}' (arms: {})",
                        labels.join(", ")
                    );
                }
                c.to_string()
            }
            None => ["control", "0", "false"]
                .iter()
                .find(|c| labels.iter().any(|l| l == *c))
                .map(|c| c.to_string())
                .unwrap_or_else(|| labels[0].clone()),
        };
        labels.retain(|l| *l != control);
        labels.insert(0, control);
        if labels.len() < 2 {
            bail!(
                "{file}: column '{column}' holds a single arm '{}': a contrast needs at least two",
                labels[0]
            );
        }
        Ok(Arms { labels })
    }

    /// Labels in index order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Number of arms.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no arms (never, once built: a contrast needs two).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Index of `label`, if it is an arm.
    pub fn index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    /// Arm index of every row of `column` (which must only hold known arms).
    pub fn indices(&self, table: &Table, column: &str, file: &str) -> Result<Vec<usize>> {
        let values = table.string_values(column).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        values
            .iter()
            .enumerate()
            .map(|(row, v)| {
                self.index(v).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{file}: column '{column}' row {row} holds arm '{v}', which is not one of {}",
                        self.labels.join(", ")
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::Column;

    #[test]
    fn control_goes_first() {
        let t =
            Table::new(vec![Column::str("arm", ["coupon", "control", "bonus"].map(String::from).to_vec())])
                .unwrap();
        let a = Arms::from_column(&t, "arm", None, "log.csv").unwrap();
        assert_eq!(a.labels(), ["control", "bonus", "coupon"]);
        assert_eq!(a.indices(&t, "arm", "log.csv").unwrap(), vec![2, 0, 1]);
        let b = Arms::from_column(&t, "arm", Some("bonus"), "log.csv").unwrap();
        assert_eq!(b.labels()[0], "bonus");
        assert!(Arms::from_column(&t, "arm", Some("nope"), "log.csv").is_err());
        let ints = Table::new(vec![Column::i64("w", vec![1, 0, 2])]).unwrap();
        assert_eq!(Arms::from_column(&ints, "w", None, "f").unwrap().labels(), ["0", "1", "2"]);
        let single = Table::new(vec![Column::i64("w", vec![0, 0])]).unwrap();
        assert!(Arms::from_column(&single, "w", None, "f").is_err());
    }
}
