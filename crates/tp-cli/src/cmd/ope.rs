//! `tp ope`: the value of a targeting policy from logged data, by several
//! estimators with intervals, against treat-all, treat-none and current
//! practice.

use anyhow::{Context, Result, bail};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tp_core::Table;

use tp_io::ReadOptions;
use tp_io::causal::Arms;
use tp_ope::{Comparison, Estimator, LoggingPropensity, OpeInput, OpeReport};
use tp_pipeline::ope::{self, OpeSettings};

/// Arguments of `tp ope`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
The policy file has one row per logged row (same order) and either an `arm` column (the arm the
policy plays) or `p_<arm>` columns (its probabilities). --q-hat has `q_<arm>` columns.

Examples:
  tp ope --log world/campaign.csv --action arm --reward outcome --propensity propensity \\
         --policy policy.csv --q-hat qhat.csv --json
  tp ope --log log.parquet --action a --reward r --propensity pscore --policy pi.parquet --estimators ipw,snipw")]
pub struct Args {
    /// The logged data (CSV or Parquet).
    #[arg(long)]
    log: PathBuf,
    /// Column of the logged action (arm label or integer arm).
    #[arg(long)]
    action: String,
    /// Column of the observed reward.
    #[arg(long)]
    reward: String,
    /// Column of the logging policy's probability of the logged action.
    #[arg(long)]
    propensity: String,
    /// The policy to evaluate: `arm` or `p_<arm>` columns, rows aligned with the log.
    #[arg(long)]
    policy: PathBuf,
    /// Reward model: `q_<arm>` columns, rows aligned with the log (needed by all but ipw, snipw).
    #[arg(long)]
    q_hat: Option<PathBuf>,
    /// Current practice to compare with: a file with an `arm` column, rows aligned with the log.
    #[arg(long)]
    current: Option<PathBuf>,
    /// Label of the control arm (default: `control`, `0` or `false` if present).
    #[arg(long)]
    control: Option<String>,
    /// Estimators, comma-separated (default: all those the inputs allow).
    #[arg(long)]
    estimators: Option<String>,
    /// Importance-weight clip for ipw and dr.
    #[arg(long)]
    clip: Option<f64>,
    /// Switch-DR threshold λ (default: chosen by SLOPE over 10, 50, …, 10000, ∞).
    #[arg(long)]
    switch_lambda: Option<f64>,
    /// DRos shrinkage λ (default: chosen by SLOPE over 10, 50, …, 10000, ∞).
    #[arg(long)]
    dros_lambda: Option<f64>,
    /// Bootstrap replicates for percentile intervals (0 = normal intervals).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Intervals cover 1 − alpha.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary {
    arms: Vec<String>,
    #[serde(flatten)]
    report: OpeReport,
    comparisons: Vec<Comparison>,
}

fn read(path: &Path) -> Result<Table> {
    Ok(tp_io::read_table(path, &ReadOptions::new())?)
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Runs `tp ope`.
pub fn run(args: Args) -> Result<()> {
    let log_name = name(&args.log);
    let log = tp_io::read_table(
        &args.log,
        &ReadOptions::new().columns([args.action.as_str(), args.reward.as_str(), args.propensity.as_str()]),
    )?;
    let arms = Arms::from_column(&log, &args.action, args.control.as_deref(), &log_name)?;
    let actions = arms.indices(&log, &args.action, &log_name)?;
    let rewards = log.f64_values(&args.reward).with_context(|| log_name.clone())?;
    let propensity = log.f64_values(&args.propensity).with_context(|| log_name.clone())?;
    let n = log.n_rows();

    let aligned = |t: &Table, path: &Path| -> Result<()> {
        if t.n_rows() != n {
            bail!(
                "{}: has {} rows but the log has {n}; rows must be aligned with the log",
                name(path),
                t.n_rows()
            );
        }
        Ok(())
    };
    let policy_table = read(&args.policy)?;
    aligned(&policy_table, &args.policy)?;
    let target = ope::target_policy(&policy_table, &arms, &name(&args.policy))?;

    let mut input = OpeInput::new(rewards, actions, LoggingPropensity::logged(propensity), target)
        .with_n_arms(arms.len());
    if let Some(q) = &args.q_hat {
        let t = read(q)?;
        aligned(&t, q)?;
        input = input.with_q_hat(ope::arm_matrix(&t, "q_", &arms, &name(q), None)?);
    }
    let settings = OpeSettings {
        estimators: match &args.estimators {
            Some(s) => Estimator::parse_list(s)?,
            None if input.q_hat.is_some() => Estimator::ALL.to_vec(),
            None => vec![Estimator::Ipw, Estimator::Snipw],
        },
        alpha: args.alpha,
        bootstrap: args.bootstrap,
        clip: args.clip,
        switch_lambda: args.switch_lambda,
        dros_lambda: args.dros_lambda,
        seed: args.seed,
    };
    let current = match &args.current {
        Some(c) => {
            let t = read(c)?;
            aligned(&t, c)?;
            Some(ope::target_policy(&t, &arms, &name(c))?)
        }
        None => None,
    };
    let baselines = ope::baselines(arms.labels(), n, current);
    // baselines the log cannot support (e.g. treat-all with IPW when some arm was never logged)
    // are reported rather than failing the whole evaluation
    let checked = ope::check(&settings, &settings, &input, &baselines)?;
    for (name, why) in &checked.skipped {
        eprintln!("warning: comparison with {name} skipped: {why}");
    }
    let (report, comparisons) = (checked.report, checked.comparisons);
    let summary = Summary { arms: arms.labels().to_vec(), report, comparisons };
    crate::print::emit(args.json, &summary, || human(&summary))
}

fn human(s: &Summary) -> String {
    let mut out = format!("policy value on {} logged rows ({} arms)\n", s.report.n, s.report.n_arms);
    out.push_str(&format!("{:<10} {:>12} {:>12} {:>12}\n", "estimator", "value", "ci_low", "ci_high"));
    for (k, e) in &s.report.estimates {
        out.push_str(&format!("{k:<10} {:>12.4} {:>12.4} {:>12.4}\n", e.value, e.ci_low, e.ci_high));
    }
    let d = &s.report.diagnostics;
    out.push_str(&format!(
        "weights: ess {:.1} ({:.1}%), max {:.2}, no-support share {:.3}\n",
        d.ess,
        100.0 * d.ess_share,
        d.max_weight,
        d.no_support_share
    ));
    for c in &s.comparisons {
        out.push_str(&format!(
            "vs {:<12} {:<10} difference {:>10.4} [{:.4}, {:.4}]\n",
            c.baseline, c.estimator, c.difference, c.ci_low, c.ci_high
        ));
    }
    for w in &d.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.trim_end().to_string()
}
