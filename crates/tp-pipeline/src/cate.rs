//! The CATE table: the one layout that `tp uplift`, `tp score` and `tp run`
//! write (`cate.csv`) and `tp policy` reads back.
//!
//! After an optional id column, for each treated arm (arm 1 first): `tau_se`,
//! `tau_lo`, `tau_hi` when the method gives them, then `tau`. With more than
//! one treated arm every name ends in `_<arm label>` (`tau_se_coupon`,
//! `tau_coupon`). Then `gamma_<arm>` for every arm, control first: the doubly
//! robust (AIPW) scores that price a policy.

use anyhow::{Context, Result, bail};
use tp_core::faer::Mat;
use tp_core::stats::normal_quantile;
use tp_core::{Column, Table};

/// Effect estimates per row, ready to be written.
#[derive(Debug, Clone)]
pub struct Cate {
    /// Arm labels, control first.
    pub arms: Vec<String>,
    /// τ̂ per row and treated arm, `n × (K − 1)`.
    pub tau: Mat<f64>,
    /// Standard errors of τ̂, `n × (K − 1)`, when the method gives them.
    pub se: Option<Mat<f64>>,
    /// Interval bounds (lower, upper) of τ̂, `n × (K − 1)` each.
    pub bounds: Option<(Mat<f64>, Mat<f64>)>,
    /// Doubly robust scores per row and arm, `n × K`, control first.
    pub gamma: Option<Mat<f64>>,
}

/// The name of column `base` (`tau`, `tau_se`, `tau_lo`, `tau_hi`) for treated
/// arm `k` (1..K) of `arms` (control first): `base` with one treated arm, else
/// `base_<label>`.
pub fn column_name(base: &str, arms: &[String], k: usize) -> String {
    if arms.len() == 2 { base.to_string() } else { format!("{base}_{}", arms[k]) }
}

/// Two-sided normal interval bounds τ̂ ∓ z·se at coverage `level`.
pub fn normal_bounds(tau: &Mat<f64>, se: &Mat<f64>, level: f64) -> (Mat<f64>, Mat<f64>) {
    let z = normal_quantile(0.5 + level / 2.0);
    let lo = Mat::from_fn(tau.nrows(), tau.ncols(), |i, k| tau[(i, k)] - z * se[(i, k)]);
    let hi = Mat::from_fn(tau.nrows(), tau.ncols(), |i, k| tau[(i, k)] + z * se[(i, k)]);
    (lo, hi)
}

fn column(name: String, m: &Mat<f64>, k: usize) -> Column {
    Column::f64(name, m.col(k).iter().copied().collect())
}

impl Cate {
    /// The table in the layout above, `id` first when given.
    pub fn to_table(&self, id: Option<&Column>) -> Result<Table> {
        let mut cols: Vec<Column> = id.into_iter().cloned().collect();
        for k in 1..self.arms.len() {
            let name = |base: &str| column_name(base, &self.arms, k);
            if let Some(se) = &self.se {
                cols.push(column(name("tau_se"), se, k - 1));
            }
            if let Some((lo, hi)) = &self.bounds {
                cols.push(column(name("tau_lo"), lo, k - 1));
                cols.push(column(name("tau_hi"), hi, k - 1));
            }
            cols.push(column(name("tau"), &self.tau, k - 1));
        }
        if let Some(gamma) = &self.gamma {
            for (a, label) in self.arms.iter().enumerate() {
                cols.push(column(format!("gamma_{label}"), gamma, a));
            }
        }
        Ok(Table::new(cols)?)
    }
}

/// A CATE table read back: what `tp policy` needs of it.
#[derive(Debug, Clone)]
pub struct CateRead {
    /// Treated arm labels (control excluded).
    pub labels: Vec<String>,
    /// τ̂, `n × (K − 1)`.
    pub tau: Mat<f64>,
    /// The names of the interval's lower bounds (present or not).
    pub lower_columns: Vec<String>,
    /// Lower interval bounds, when the table has all of them.
    pub lower: Option<Mat<f64>>,
    /// Doubly robust scores, control first, when the table has all of them.
    pub gamma: Option<Mat<f64>>,
}

/// The treated arms' labels of a CATE table: `given`, else the one `gamma_<arm>`
/// label beside a lone `tau` (or `treated`), else the `<arm>` of every
/// `tau_<arm>` column that is not another arm's `tau_se_` / `tau_lo_` / `tau_hi_`.
fn treated_labels(table: &Table, given: Option<&[String]>, control: &str) -> Vec<String> {
    if let Some(l) = given {
        return l.to_vec();
    }
    let names = table.names();
    if table.position("tau").is_some() {
        let from_gamma: Vec<String> = names
            .iter()
            .filter_map(|c| c.strip_prefix("gamma_"))
            .filter(|l| *l != control)
            .map(String::from)
            .collect();
        return if from_gamma.len() == 1 { from_gamma } else { vec!["treated".into()] };
    }
    let candidates: Vec<&str> = names.iter().filter_map(|c| c.strip_prefix("tau_")).collect();
    candidates
        .iter()
        .filter(|l| {
            !["se_", "lo_", "hi_"]
                .iter()
                .any(|p| l.strip_prefix(p).is_some_and(|arm| candidates.contains(&arm)))
        })
        .map(|l| l.to_string())
        .collect()
}

/// Reads the effect columns of `table` (from `file`, for messages); `given`
/// names the treated arms, else they come from the column names.
pub fn read(table: &Table, given: Option<&[String]>, control: &str, file: &str) -> Result<CateRead> {
    let labels = treated_labels(table, given, control);
    if labels.is_empty() {
        bail!("{file}: no effect column; expected `tau` (one treatment arm) or `tau_<arm>` columns");
    }
    let single = labels.len() == 1;
    // a lone `tau` column serves one arm whatever its label; otherwise `tau_<label>`
    let col = |base: &str, label: &str| {
        if single && table.position(base).is_some() { base.to_string() } else { format!("{base}_{label}") }
    };
    let matrix = |cols: &[String]| -> Result<Mat<f64>> {
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        table.to_matrix(&names).with_context(|| file.to_string())
    };
    let has_all = |cols: &[String]| cols.iter().all(|c| table.position(c).is_some());
    let tau = matrix(&labels.iter().map(|l| col("tau", l)).collect::<Vec<_>>())?;
    let lower_columns: Vec<String> = labels.iter().map(|l| col("tau_lo", l)).collect();
    let lower = if has_all(&lower_columns) { Some(matrix(&lower_columns)?) } else { None };
    let mut gamma_cols = vec![format!("gamma_{control}")];
    gamma_cols.extend(labels.iter().map(|l| format!("gamma_{l}")));
    let gamma = if has_all(&gamma_cols) { Some(matrix(&gamma_cols)?) } else { None };
    Ok(CateRead { labels, tau, lower_columns, lower, gamma })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn written_tables_read_back_for_one_and_two_treated_arms() {
        for arms in [labels(&["control", "coupon"]), labels(&["control", "lo", "seasonal"])] {
            let (n, d) = (4, arms.len() - 1);
            let tau = Mat::from_fn(n, d, |i, k| i as f64 + 10.0 * k as f64);
            let se = Mat::from_fn(n, d, |_, k| 0.5 + k as f64);
            let cate = Cate {
                arms: arms.clone(),
                tau: tau.clone(),
                bounds: Some(normal_bounds(&tau, &se, 0.9)),
                se: Some(se),
                gamma: Some(Mat::from_fn(n, d + 1, |i, a| (i * a) as f64)),
            };
            let table = cate.to_table(Some(&Column::i64("id", vec![1, 2, 3, 4]))).unwrap();
            let names = table.names();
            assert_eq!(names[0], "id");
            assert_eq!(names.last().map(|s| s.to_string()), Some(format!("gamma_{}", arms[d])));
            let back = read(&table, None, "control", "cate.csv").unwrap();
            assert_eq!(back.labels, arms[1..], "{names:?}");
            assert_eq!(back.tau, tau);
            assert_eq!(back.lower.unwrap(), cate.bounds.as_ref().unwrap().0);
            assert_eq!(back.gamma.unwrap(), *cate.gamma.as_ref().unwrap());
        }
    }

    #[test]
    fn one_arm_layout_and_labels() {
        let tau = Mat::from_fn(3, 1, |i, _| i as f64);
        let cate = Cate { arms: labels(&["c", "t"]), tau, se: None, bounds: None, gamma: None };
        let t = cate.to_table(None).unwrap();
        assert_eq!(t.names(), ["tau"]);
        // no gamma: the label cannot be known and defaults to `treated`
        assert_eq!(read(&t, None, "control", "f").unwrap().labels, ["treated"]);
        let e = read(&Table::new(vec![Column::f64("x", vec![1.0])]).unwrap(), None, "control", "f.csv");
        assert!(e.unwrap_err().to_string().contains("f.csv: no effect column"));
    }

    #[test]
    fn normal_bounds_are_symmetric_at_the_level() {
        let tau = Mat::from_fn(1, 1, |_, _| 1.0);
        let se = Mat::from_fn(1, 1, |_, _| 2.0);
        let (lo, hi) = normal_bounds(&tau, &se, 0.95);
        assert!((hi[(0, 0)] - 1.0 - 2.0 * 1.959_963_984_540_054).abs() < 1e-9);
        assert_eq!(lo[(0, 0)] + hi[(0, 0)], 2.0);
    }
}
