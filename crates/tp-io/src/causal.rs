//! From a table to [`CausalData`]: which column is the treatment, the outcome, the covariates
//! and the known propensities, checked once, with every error naming the file, the column and
//! the row.
//!
//! [`Arms`] maps a treatment column (labels, integers or booleans) to arm indices with the
//! control first; [`causal_data`] builds validated [`CausalData`] from a table and its
//! [`Roles`]: string covariates are one-hot encoded (`column=value`, the first category
//! dropped), and without a covariate list every numeric column is a covariate except those that
//! describe the assignment or the outcome ([`default_covariates`]). `tp uplift`, `tp run`,
//! `tp ope`, `tp evaluate` and the Python package all build their causal data here.

use crate::IoError;
use crate::onehot::OneHot;
use std::borrow::Cow;
use tp_core::faer::Mat;
use tp_core::{CausalData, ColumnData, CoreError, Table};

/// Why a table could not become causal data. Every message names the file (as given by the
/// caller), and the column and row where there is one, and ends with the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CausalTableError {
    /// A column is missing or has the wrong type, or the data fail [`CausalData`]'s checks.
    #[error("{file}: {source}")]
    Table {
        /// The file concerned.
        file: String,
        /// What the table or the data builder said.
        #[source]
        source: Box<CoreError>,
    },
    /// A negative integer arm.
    #[error("{file}: column '{column}' row {row} holds arm {arm}: integer arms must be 0 (control), 1, 2, …")]
    NegativeArm {
        /// The file concerned.
        file: String,
        /// The treatment column.
        column: String,
        /// 0-based row.
        row: usize,
        /// The value.
        arm: i64,
    },
    /// A float treatment column.
    #[error("{file}: column '{column}' holds floats; arms must be labels or integers 0, 1, …")]
    FloatArms {
        /// The file concerned.
        file: String,
        /// The treatment column.
        column: String,
    },
    /// The control label given does not occur.
    #[error("{file}: control arm '{control}' does not occur in column '{column}' (arms: {arms})")]
    UnknownControl {
        /// The file concerned.
        file: String,
        /// The label given.
        control: String,
        /// The treatment column.
        column: String,
        /// The arms found, comma-separated.
        arms: String,
    },
    /// One arm only.
    #[error("{file}: column '{column}' holds a single arm '{label}': a contrast needs at least two")]
    SingleArm {
        /// The file concerned.
        file: String,
        /// The treatment column.
        column: String,
        /// The only label.
        label: String,
    },
    /// A row holds a label that is not one of the arms.
    #[error("{file}: column '{column}' row {row} holds arm '{value}', which is not one of {arms}")]
    UnknownArm {
        /// The file concerned.
        file: String,
        /// The column read.
        column: String,
        /// 0-based row.
        row: usize,
        /// The value.
        value: String,
        /// The arms, comma-separated.
        arms: String,
    },
    /// No covariate is left.
    #[error("{file}: no covariate columns; list them with --covariates")]
    NoCovariates {
        /// The file concerned.
        file: String,
    },
    /// A covariate that is also the treatment or the outcome.
    #[error("{file}: column '{column}' cannot be both a covariate and the treatment or outcome")]
    RoleClash {
        /// The file concerned.
        file: String,
        /// The column.
        column: String,
    },
    /// A known-propensity column is missing or not numeric.
    #[error("{file}: known propensities need a column '{column}' for arm '{arm}': {source}")]
    Propensity {
        /// The file concerned.
        file: String,
        /// The column expected.
        column: String,
        /// Its arm.
        arm: String,
        /// What the table said.
        #[source]
        source: Box<CoreError>,
    },
    /// One-hot encoding of a string covariate failed (e.g. too many categories).
    #[error(transparent)]
    Encoding(#[from] Box<IoError>),
}

type Result<T> = std::result::Result<T, CausalTableError>;

fn table_error(file: &str) -> impl Fn(CoreError) -> CausalTableError + '_ {
    move |source| CausalTableError::Table { file: file.to_string(), source: Box::new(source) }
}

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
        let col = table.column(column).map_err(table_error(file))?;
        let mut labels: Vec<String> = match &col.data {
            ColumnData::I64(v) => {
                if let Some((row, &arm)) = v.iter().enumerate().find(|(_, a)| **a < 0) {
                    return Err(CausalTableError::NegativeArm {
                        file: file.into(),
                        column: column.into(),
                        row,
                        arm,
                    });
                }
                let max = v.iter().copied().max().unwrap_or(0);
                (0..=max).map(|a| a.to_string()).collect()
            }
            ColumnData::F64(_) => {
                return Err(CausalTableError::FloatArms { file: file.into(), column: column.into() });
            }
            _ => {
                let mut s: Vec<String> =
                    table.string_values(column).map_err(table_error(file))?.iter().cloned().collect();
                s.sort();
                s.dedup();
                s
            }
        };
        let control = match control {
            Some(c) => {
                if !labels.iter().any(|l| l == c) {
                    return Err(CausalTableError::UnknownControl {
                        file: file.into(),
                        control: c.into(),
                        column: column.into(),
                        arms: labels.join(", "),
                    });
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
            return Err(CausalTableError::SingleArm {
                file: file.into(),
                column: column.into(),
                label: labels[0].clone(),
            });
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
        let values = table.string_values(column).map_err(table_error(file))?;
        values
            .iter()
            .enumerate()
            .map(|(row, v)| {
                self.index(v).ok_or_else(|| CausalTableError::UnknownArm {
                    file: file.into(),
                    column: column.into(),
                    row,
                    value: v.clone(),
                    arms: self.labels.join(", "),
                })
            })
            .collect()
    }
}

/// Which columns play which role.
#[derive(Debug, Clone, Default)]
pub struct Roles<'a> {
    /// Arm column (labels or integers).
    pub treatment: &'a str,
    /// Outcome column.
    pub outcome: &'a str,
    /// Covariates; `None` = every numeric column not used for another role and not
    /// excluded by [`default_covariates`]'s rules.
    pub covariates: Option<&'a [String]>,
    /// Label of the control arm.
    pub control: Option<&'a str>,
    /// Columns never used as covariates (ids, scores, …), on top of the default exclusions.
    pub exclude: Vec<&'a str>,
    /// Prefix of known-propensity columns `<prefix><arm>` (e.g. `p_`).
    pub propensity_prefix: Option<&'a str>,
}

/// The covariate matrix of `table`: numeric columns as they are, string
/// columns one-hot encoded (`column=value`, first category dropped).
pub fn covariate_matrix(table: &Table, names: &[String], file: &str) -> Result<(Mat<f64>, Vec<String>)> {
    let strings: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| table.column(n).is_ok_and(|c| !c.data.is_numeric()))
        .collect();
    let unique = names.iter().enumerate().all(|(i, n)| !names[..i].contains(n));
    if strings.is_empty() && unique {
        // numeric columns straight into the matrix: no copy of the selected columns on the way
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let x = table.to_matrix(&refs).map_err(table_error(file))?;
        return Ok((x, names.to_vec()));
    }
    let selected =
        table.select(&names.iter().map(String::as_str).collect::<Vec<_>>()).map_err(table_error(file))?;
    let encoded = OneHot::new()
        .drop_first(true)
        .fit(&selected, &strings)
        .and_then(|h| h.transform(&selected))
        .map_err(Box::new)?;
    let cols: Vec<String> = encoded.names().iter().map(|s| s.to_string()).collect();
    let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let x = encoded.to_matrix(&refs).map_err(table_error(file))?;
    Ok((x, cols))
}

/// Name of the logged propensity of the arm received, in the retail world's campaign log and the
/// criteo preset; never a default covariate.
pub const PROPENSITY_COLUMN: &str = "propensity";

/// Prefix of logged per-arm propensities (`p_<arm>`); never a default covariate.
pub const ARM_PROPENSITY_PREFIX: &str = "p_";

/// The campaign log's column with the first day of the outcome window; never a default covariate.
pub const CAMPAIGN_START_COLUMN: &str = "campaign_start_day";

/// The default covariates of `table`: every numeric column except
/// - the treatment and the outcome, and the columns of `roles.exclude`;
/// - logged propensities: `propensity`, `p_<arm>` for every arm, and every column starting with
///   `roles.propensity_prefix`;
/// - numeric copies of the treatment: a column that takes one value per arm, a different one for
///   each arm, on every row (e.g. the retail log's `treatment` = arm index next to `arm`);
/// - the campaign start day ([`CAMPAIGN_START_COLUMN`]).
///
/// All of these describe the assignment or the outcome, not the customer before it: as
/// covariates they would leak the answer into the CATE.
pub fn default_covariates(table: &Table, roles: &Roles<'_>, arms: &Arms, arm_idx: &[usize]) -> Vec<String> {
    let arm_propensities: Vec<String> =
        arms.labels().iter().map(|l| format!("{ARM_PROPENSITY_PREFIX}{l}")).collect();
    table
        .columns()
        .iter()
        .filter(|c| {
            let name = c.name.as_str();
            c.data.is_numeric()
                && name != roles.treatment
                && name != roles.outcome
                && !roles.exclude.contains(&name)
                && name != PROPENSITY_COLUMN
                && name != CAMPAIGN_START_COLUMN
                && !arm_propensities.iter().any(|p| p == name)
                && !roles.propensity_prefix.is_some_and(|p| name.starts_with(p))
                && !copies_treatment(&c.data, arm_idx, arms.len())
        })
        .map(|c| c.name.clone())
        .collect()
}

/// Whether `data` is a one-to-one recoding of the arm: one value per arm, distinct across arms.
fn copies_treatment(data: &ColumnData, arm_idx: &[usize], n_arms: usize) -> bool {
    let value = |i: usize| -> Option<f64> {
        match data {
            ColumnData::F64(v) => Some(v[i]),
            ColumnData::I64(v) => Some(v[i] as f64),
            ColumnData::Bool(v) => Some(f64::from(u8::from(v[i]))),
            ColumnData::Str(_) => None,
        }
    };
    let mut of_arm: Vec<Option<f64>> = vec![None; n_arms];
    for (i, &a) in arm_idx.iter().enumerate() {
        let Some(x) = value(i) else { return false };
        match of_arm[a] {
            None => of_arm[a] = Some(x),
            Some(y) if y.to_bits() == x.to_bits() => {}
            Some(_) => return false,
        }
    }
    let seen: Vec<f64> = of_arm.into_iter().flatten().collect();
    seen.len() >= 2 && (0..seen.len()).all(|i| (0..i).all(|j| seen[i].to_bits() != seen[j].to_bits()))
}

/// Builds validated causal data from `table` (named `file` in messages), and its arms.
pub fn causal_data(table: &Table, roles: &Roles<'_>, file: &str) -> Result<(CausalData, Arms)> {
    let arms = Arms::from_column(table, roles.treatment, roles.control, file)?;
    let arm_idx = arms.indices(table, roles.treatment, file)?;
    let y = table.f64_values(roles.outcome).map_err(table_error(file))?.into_owned();
    let names: Vec<String> = match roles.covariates {
        Some(c) => c.to_vec(),
        None => default_covariates(table, roles, &arms, &arm_idx),
    };
    if names.is_empty() {
        return Err(CausalTableError::NoCovariates { file: file.into() });
    }
    for forbidden in [roles.treatment, roles.outcome] {
        if names.iter().any(|n| n == forbidden) {
            return Err(CausalTableError::RoleClash { file: file.into(), column: forbidden.into() });
        }
    }
    let (x, cols) = covariate_matrix(table, &names, file)?;
    let mut builder = CausalData::builder(x, cols, arm_idx, y).arm_labels(arms.labels().to_vec());
    if let Some(prefix) = roles.propensity_prefix {
        let mut e = Mat::<f64>::zeros(table.n_rows(), arms.len());
        for (a, label) in arms.labels().iter().enumerate() {
            let column = format!("{prefix}{label}");
            let v: Cow<'_, [f64]> =
                table.f64_values(&column).map_err(|source| CausalTableError::Propensity {
                    file: file.into(),
                    column: column.clone(),
                    arm: label.clone(),
                    source: Box::new(source),
                })?;
            v.iter().enumerate().for_each(|(i, &p)| e[(i, a)] = p);
        }
        builder = builder.propensity(e);
    }
    let data = builder.build().map_err(table_error(file))?;
    Ok((data, arms))
}
