//! The off-policy driver: the value of a policy on the logged rows by every estimator asked for,
//! and its difference from treat-none, treat-all (per treated arm) and current practice.
//!
//! `tp ope` and the pipeline's off-policy step (`tp run`, `tp demo`) both call [`check`]; the
//! log, the policy and q̂ come in as views ([`OpeInput`] borrows what its caller holds).

use anyhow::{Context, Result, bail};
use tp_core::Table;
use tp_core::faer::Mat;
use tp_io::causal::Arms;
use tp_ope::{Baseline, Comparison, Estimator, OpeInput, OpeParams, OpeReport, TargetPolicy};

/// The estimators and their knobs.
#[derive(Debug, Clone, PartialEq)]
pub struct OpeSettings {
    /// Estimators of the policy's value.
    pub estimators: Vec<Estimator>,
    /// Two-sided α of the intervals.
    pub alpha: f64,
    /// Bootstrap replicates (0: normal intervals).
    pub bootstrap: usize,
    /// Importance-weight clip (`None`: none).
    pub clip: Option<f64>,
    /// Switch-DR's λ (`None`: chosen by SLOPE).
    pub switch_lambda: Option<f64>,
    /// DRos's λ (`None`: chosen by SLOPE).
    pub dros_lambda: Option<f64>,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl OpeSettings {
    /// tp-ope's parameters.
    pub fn params(&self) -> OpeParams {
        let mut p = OpeParams::default()
            .estimators(&self.estimators)
            .alpha(self.alpha)
            .bootstrap(self.bootstrap)
            .seed(self.seed);
        if let Some(c) = self.clip {
            p = p.clip(c);
        }
        if let Some(l) = self.switch_lambda {
            p = p.switch_lambda(l);
        }
        if let Some(l) = self.dros_lambda {
            p = p.dros_lambda(l);
        }
        p
    }
}

/// The reference policies of a log with arms `labels` (control first) and `n` rows: treat-none,
/// treat-all with each treated arm (`treat-all-<arm>` when there are several), and `current`
/// practice when given.
pub fn baselines<'a>(labels: &[String], n: usize, current: Option<TargetPolicy<'a>>) -> Vec<Baseline<'a>> {
    let mut b = vec![Baseline::treat_none(n)];
    for a in 1..labels.len() {
        let mut t = Baseline::treat_all(a, n);
        if labels.len() > 2 {
            t.name = format!("treat-all-{}", labels[a]);
        }
        b.push(t);
    }
    if let Some(c) = current {
        b.push(Baseline::named("current", c));
    }
    b
}

/// What the off-policy check found.
#[derive(Debug, Clone)]
pub struct OpeChecked {
    /// The policy's value by each estimator, with intervals and weight diagnostics.
    pub report: OpeReport,
    /// The policy minus each baseline the log supports.
    pub comparisons: Vec<Comparison>,
    /// Baselines the log cannot support (e.g. treat-all with IPW when an arm was never logged),
    /// each with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Values the policy of `input` by `settings`, and compares it with each baseline by
/// `compare_by` (the same settings, or e.g. DR alone).
pub fn check(
    settings: &OpeSettings,
    compare_by: &OpeSettings,
    input: &OpeInput<'_>,
    baselines: &[Baseline<'_>],
) -> Result<OpeChecked> {
    let report = tp_ope::evaluate(input, &settings.params()).context("off-policy evaluation")?;
    let params = compare_by.params();
    let mut comparisons = Vec::new();
    let mut skipped = Vec::new();
    for b in baselines {
        match tp_ope::compare(input, &params, std::slice::from_ref(b)) {
            Ok(c) => comparisons.extend(c),
            Err(e) => skipped.push((b.name.clone(), e.to_string())),
        }
    }
    Ok(OpeChecked { report, comparisons, skipped })
}

/// Reads `<prefix><arm>` columns of `table` into an `n × K` matrix; an arm
/// without a column is `missing` (None ⇒ error).
pub fn arm_matrix(
    table: &Table,
    prefix: &str,
    arms: &Arms,
    file: &str,
    missing: Option<f64>,
) -> Result<Mat<f64>> {
    for col in table.names() {
        if let Some(label) = col.strip_prefix(prefix)
            && arms.index(label).is_none()
        {
            bail!(
                "{file}: column '{col}' names arm '{label}', which the log does not have ({})",
                arms.labels().join(", ")
            );
        }
    }
    let mut m = Mat::<f64>::zeros(table.n_rows(), arms.len());
    for (a, label) in arms.labels().iter().enumerate() {
        let col = format!("{prefix}{label}");
        match table.f64_values(&col) {
            Ok(v) => v.iter().enumerate().for_each(|(i, &x)| m[(i, a)] = x),
            Err(_) if missing.is_some() && table.position(&col).is_none() => {
                (0..table.n_rows()).for_each(|i| m[(i, a)] = missing.unwrap_or(0.0))
            }
            Err(e) => bail!("{file}: {e}; expected a numeric column '{col}' for arm '{label}'"),
        }
    }
    Ok(m)
}

/// The policy in `table` (rows aligned with the log): an `arm` column of arm labels, or
/// `p_<arm>` probability columns (an arm without a column gets probability 0).
pub fn target_policy(table: &Table, arms: &Arms, file: &str) -> Result<TargetPolicy<'static>> {
    if table.position("arm").is_some() {
        Ok(TargetPolicy::arms(arms.indices(table, "arm", file)?))
    } else if table.names().iter().any(|c| c.starts_with("p_")) {
        Ok(TargetPolicy::probs(arm_matrix(table, "p_", arms, file, Some(0.0))?))
    } else {
        bail!("{file}: expected an `arm` column or `p_<arm>` probability columns")
    }
}
