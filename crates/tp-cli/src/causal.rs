//! Turning a table into [`CausalData`]: arms, outcome, covariates (string
//! covariates one-hot encoded), optional known propensities.

use crate::arms::Arms;
use anyhow::{Context, Result, bail};
use tp_core::faer::Mat;
use tp_core::{CausalData, Table};

/// Which columns play which role.
#[derive(Debug, Clone, Default)]
pub struct Roles<'a> {
    /// Arm column (labels or integers).
    pub treatment: &'a str,
    /// Outcome column.
    pub outcome: &'a str,
    /// Covariates; `None` = every numeric column not used for another role.
    pub covariates: Option<&'a [String]>,
    /// Label of the control arm.
    pub control: Option<&'a str>,
    /// Columns never used as covariates (ids, scores, …).
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
    let selected = table
        .select(&names.iter().map(String::as_str).collect::<Vec<_>>())
        .with_context(|| file.to_string())?;
    let encoded = if strings.is_empty() {
        selected
    } else {
        tp_io::OneHot::new().drop_first(true).fit(&selected, &strings)?.transform(&selected)?
    };
    let cols: Vec<String> = encoded.names().iter().map(|s| s.to_string()).collect();
    let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let x = encoded.to_matrix(&refs).with_context(|| file.to_string())?;
    Ok((x, cols))
}

/// Builds validated causal data from `table` (named `file` in messages).
pub fn causal_data(table: &Table, roles: &Roles<'_>, file: &str) -> Result<(CausalData, Arms)> {
    let arms = Arms::from_column(table, roles.treatment, roles.control, file)?;
    let arm_idx = arms.indices(table, roles.treatment, file)?;
    let y = table.f64_values(roles.outcome).with_context(|| file.to_string())?.into_owned();
    let names: Vec<String> = match roles.covariates {
        Some(c) => c.to_vec(),
        None => table
            .columns()
            .iter()
            .filter(|c| {
                c.data.is_numeric()
                    && c.name != roles.treatment
                    && c.name != roles.outcome
                    && !roles.exclude.contains(&c.name.as_str())
                    && !roles.propensity_prefix.is_some_and(|p| c.name.starts_with(p))
            })
            .map(|c| c.name.clone())
            .collect(),
    };
    if names.is_empty() {
        bail!("{file}: no covariate columns; list them with --covariates");
    }
    for forbidden in [roles.treatment, roles.outcome] {
        if names.iter().any(|n| n == forbidden) {
            bail!("{file}: column '{forbidden}' cannot be both a covariate and the treatment or outcome");
        }
    }
    let (x, cols) = covariate_matrix(table, &names, file)?;
    let mut builder = CausalData::builder(x, cols, arm_idx, y).arm_labels(arms.labels().to_vec());
    if let Some(prefix) = roles.propensity_prefix {
        let mut e = Mat::<f64>::zeros(table.n_rows(), arms.len());
        for (a, label) in arms.labels().iter().enumerate() {
            let col = format!("{prefix}{label}");
            let v = table.f64_values(&col).with_context(|| {
                format!("{file}: known propensities need a column '{col}' for arm '{label}'")
            })?;
            v.iter().enumerate().for_each(|(i, &p)| e[(i, a)] = p);
        }
        builder = builder.propensity(e);
    }
    let data = builder.build().with_context(|| file.to_string())?;
    Ok((data, arms))
}
