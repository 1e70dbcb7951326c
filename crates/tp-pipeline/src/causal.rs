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
        let x = table.to_matrix(&refs).with_context(|| file.to_string())?;
        return Ok((x, names.to_vec()));
    }
    let selected = table
        .select(&names.iter().map(String::as_str).collect::<Vec<_>>())
        .with_context(|| file.to_string())?;
    let encoded = tp_io::OneHot::new().drop_first(true).fit(&selected, &strings)?.transform(&selected)?;
    let cols: Vec<String> = encoded.names().iter().map(|s| s.to_string()).collect();
    let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let x = encoded.to_matrix(&refs).with_context(|| file.to_string())?;
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
fn copies_treatment(data: &tp_core::ColumnData, arm_idx: &[usize], n_arms: usize) -> bool {
    use tp_core::ColumnData;
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

/// Builds validated causal data from `table` (named `file` in messages).
pub fn causal_data(table: &Table, roles: &Roles<'_>, file: &str) -> Result<(CausalData, Arms)> {
    let arms = Arms::from_column(table, roles.treatment, roles.control, file)?;
    let arm_idx = arms.indices(table, roles.treatment, file)?;
    let y = table.f64_values(roles.outcome).with_context(|| file.to_string())?.into_owned();
    let names: Vec<String> = match roles.covariates {
        Some(c) => c.to_vec(),
        None => default_covariates(table, roles, &arms, &arm_idx),
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
