//! `tp uplift`: diagnostics, ATE and CATE per row; `tp score`: τ̂ for new
//! customers from a saved model.

use crate::causal::{Roles, causal_data, covariate_matrix};
use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use tp_core::faer::Mat;
use tp_core::stats::normal_quantile;
use tp_core::{Column, Table};
use tp_io::ReadOptions;
use tp_uplift::{CateModel, LearnerKind, Method, UpliftParams, UpliftSummary};

/// Meta-learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// One outcome model with the arm as a feature.
    S,
    /// One outcome model per arm.
    T,
    /// Künzel et al.'s X-learner.
    X,
    /// Nie & Wager's R-learner.
    R,
    /// Kennedy's DR-learner (doubly robust scores regressed on X).
    Dr,
}

/// Base-learner family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LearnerArg {
    /// OLS / logistic regression (models can be saved).
    Linear,
    /// Random forests.
    Rf,
    /// Gradient boosting.
    Gbt,
}

/// Arguments of `tp uplift`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Output columns: the id column, `tau` (two arms) or `tau_<arm>`, with --bootstrap also `tau_se`,
`tau_lo`, `tau_hi` (90% normal interval by default), and `gamma_<arm>`: cross-fitted doubly robust
scores for every arm, which `tp policy` uses for doubly robust profit estimates.

Examples:
  tp uplift --data campaign.csv --treatment arm --outcome outcome --id-col customer_id \\
            --method dr --seed 7 --out cate.csv --json
  tp uplift --data rct.parquet --treatment w --outcome y --method x --learner gbt --holdout-share 0.3 \\
            --out cate.parquet --save-model model.json")]
pub struct Args {
    /// The campaign table: covariates, treatment, outcome (CSV or Parquet).
    #[arg(long)]
    data: PathBuf,
    /// Arm column (labels or integers; control = `control`, `0` or `false` unless --control).
    #[arg(long)]
    treatment: String,
    /// Outcome column.
    #[arg(long)]
    outcome: String,
    /// Label of the control arm.
    #[arg(long)]
    control: Option<String>,
    /// Id column copied to the output.
    #[arg(long)]
    id_col: Option<String>,
    /// Covariates, comma-separated (default: every numeric column not otherwise used;
    /// string covariates are one-hot encoded).
    #[arg(long, value_delimiter = ',')]
    covariates: Option<Vec<String>>,
    /// Columns to leave out of the default covariates.
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Known propensities in columns `<prefix><arm>` (RCT or logged); otherwise estimated.
    #[arg(long)]
    propensity_prefix: Option<String>,
    /// Meta-learner.
    #[arg(long, value_enum, default_value_t = MethodArg::Dr)]
    method: MethodArg,
    /// Base-learner family.
    #[arg(long, value_enum, default_value_t = LearnerArg::Linear)]
    learner: LearnerArg,
    /// Cross-fitting folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Bootstrap replicates for τ̂'s standard error and interval (0 = none).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Level of the τ̂ interval written as tau_lo / tau_hi.
    #[arg(long, default_value_t = 0.9)]
    level: f64,
    /// Hold out this share of rows: fit on the rest, report Qini/AUUC/RATE on them.
    #[arg(long)]
    holdout_share: Option<f64>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output: id, τ̂ columns, intervals, doubly robust scores.
    #[arg(long)]
    out: PathBuf,
    /// Save the fitted model (versioned JSON) for `tp score`.
    #[arg(long)]
    save_model: Option<PathBuf>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary {
    #[serde(flatten)]
    fit: UpliftSummary,
    n: usize,
    covariates: Vec<String>,
    seconds: f64,
}

/// Runs `tp uplift`.
pub fn run(args: Args) -> Result<()> {
    let start = Instant::now();
    let file = args.data.display().to_string();
    if !(args.level > 0.0 && args.level < 1.0) {
        bail!("--level {}: expected a coverage in (0, 1), e.g. 0.9", args.level);
    }
    let table = tp_io::read_table(&args.data, &ReadOptions::new())?;
    let mut exclude: Vec<&str> = args.exclude.iter().map(String::as_str).collect();
    if let Some(id) = &args.id_col {
        table.column(id).with_context(|| file.clone())?;
        exclude.push(id);
    }
    let roles = Roles {
        treatment: &args.treatment,
        outcome: &args.outcome,
        covariates: args.covariates.as_deref(),
        control: args.control.as_deref(),
        exclude,
        propensity_prefix: args.propensity_prefix.as_deref(),
    };
    let (data, arms) = causal_data(&table, &roles, &file)?;
    let method = match args.method {
        MethodArg::S => Method::S,
        MethodArg::T => Method::T,
        MethodArg::X => Method::X,
        MethodArg::R => Method::R,
        MethodArg::Dr => Method::Dr,
    };
    let kind = match args.learner {
        LearnerArg::Linear => LearnerKind::Linear,
        LearnerArg::Rf => LearnerKind::Rf,
        LearnerArg::Gbt => LearnerKind::Gbt,
    };
    let mut params =
        UpliftParams::with_learners(method, kind).seed(args.seed).folds(args.folds).n_boot(args.bootstrap);
    if let Some(s) = args.holdout_share {
        params = params.holdout_share(s);
    }
    let fit = params.fit(&data).with_context(|| file.clone())?;

    let mut cols = Vec::new();
    if let Some(id) = &args.id_col {
        cols.push(table.column(id)?.clone());
    }
    let z = normal_quantile(0.5 + args.level / 2.0);
    for (j, name) in fit.tau_columns().into_iter().enumerate() {
        let tau: Vec<f64> = fit.tau.col(j).iter().copied().collect();
        if let Some(se) = &fit.tau_se {
            let se: Vec<f64> = se.col(j).iter().copied().collect();
            let suffix = name.strip_prefix("tau").unwrap_or("").to_string();
            cols.push(Column::f64(format!("tau_se{suffix}"), se.clone()));
            cols.push(Column::f64(
                format!("tau_lo{suffix}"),
                tau.iter().zip(&se).map(|(t, s)| t - z * s).collect(),
            ));
            cols.push(Column::f64(
                format!("tau_hi{suffix}"),
                tau.iter().zip(&se).map(|(t, s)| t + z * s).collect(),
            ));
        }
        cols.push(Column::f64(name, tau));
    }
    {
        let g = fit.scores(&data)?;
        for (a, label) in arms.labels().iter().enumerate() {
            cols.push(Column::f64(format!("gamma_{label}"), g.col(a).iter().copied().collect()));
        }
    }
    tp_io::write_table(&args.out, &Table::new(cols)?)?;
    if let Some(path) = &args.save_model {
        fit.model.save(path).with_context(|| format!("cannot save the model to {}", path.display()))?;
    }
    let summary = Summary {
        fit: fit.summary(),
        n: data.n(),
        covariates: data.feature_names().to_vec(),
        seconds: start.elapsed().as_secs_f64(),
    };
    crate::report::emit(args.json, &summary, || {
        let d = &summary.fit.diagnostics;
        let mut s = String::new();
        for e in &summary.fit.effects {
            s.push_str(&format!(
                "ATE {} vs {}: {:.4} ± {:.4} (95% CI {:.4} to {:.4})\n",
                e.label,
                arms.labels()[0],
                e.ate,
                e.ate_se,
                e.ci_low,
                e.ci_high
            ));
        }
        s.push_str(&format!(
            "overlap: propensity AUC {:.3}, {:.1}% of rows with ê in the band; balance: {}/{} covariates |SMD| < 0.1 after weighting\n",
            d.ps_auc,
            100.0 * d.overlap_share,
            d.balanced,
            d.n_covariates
        ));
        for w in &d.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s.push_str(&format!("wrote {} ({} rows) in {:.1} s", args.out.display(), summary.n, summary.seconds));
        s
    })
}

/// Arguments of `tp score`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Examples:
  tp uplift --data campaign.csv --treatment arm --outcome outcome --out cate.csv --save-model model.json
  tp score --model model.json --data new_customers.csv --id-col customer_id --out scores.csv")]
pub struct ScoreArgs {
    /// A model saved by `tp uplift --save-model`.
    #[arg(long)]
    model: PathBuf,
    /// Customers to score: must hold the model's covariates (same names).
    #[arg(long)]
    data: PathBuf,
    /// Id column copied to the output.
    #[arg(long)]
    id_col: Option<String>,
    /// Output: id and τ̂ columns.
    #[arg(long)]
    out: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ScoreSummary {
    rows: usize,
    arms: Vec<String>,
    mean_tau: Vec<f64>,
}

/// Columns of `table` that, once string columns are one-hot encoded, give
/// exactly the model's features: a feature `c=v` comes from column `c`.
fn source_columns(table: &Table, features: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in features {
        let src = if table.position(f).is_some() {
            f.clone()
        } else {
            f.split_once('=').map_or(f.clone(), |(c, _)| c.to_string())
        };
        if !out.contains(&src) {
            out.push(src);
        }
    }
    out
}

/// Runs `tp score`.
pub fn score(args: ScoreArgs) -> Result<()> {
    let model = CateModel::load(&args.model)
        .with_context(|| format!("cannot load the model {}", args.model.display()))?;
    let file = args.data.display().to_string();
    let table = tp_io::read_table(&args.data, &ReadOptions::new())?;
    let sources = source_columns(&table, model.feature_names());
    let (x, names) = covariate_matrix(&table, &sources, &file)?;
    // One-hot encoding of new data may see other categories: align to the model's columns.
    let aligned = Mat::from_fn(x.nrows(), model.feature_names().len(), |i, j| {
        names.iter().position(|n| *n == model.feature_names()[j]).map_or(0.0, |k| x[(i, k)])
    });
    let missing: Vec<&String> = model.feature_names().iter().filter(|f| !names.contains(f)).collect();
    if !missing.is_empty() && missing.iter().any(|f| !f.contains('=')) {
        bail!("{file}: lacks the model's covariates {:?}", missing);
    }
    let tau = model.predict(aligned.as_ref())?;
    let labels = model.arm_labels().to_vec();
    let mut cols = Vec::new();
    if let Some(id) = &args.id_col {
        cols.push(table.column(id).with_context(|| file.clone())?.clone());
    }
    let tau_names: Vec<String> = if labels.len() == 2 {
        vec!["tau".into()]
    } else {
        labels[1..].iter().map(|a| format!("tau_{a}")).collect()
    };
    let mut mean_tau = Vec::new();
    for (j, name) in tau_names.into_iter().enumerate() {
        let v: Vec<f64> = tau.col(j).iter().copied().collect();
        mean_tau.push(tp_core::stats::mean(&v));
        cols.push(Column::f64(name, v));
    }
    tp_io::write_table(&args.out, &Table::new(cols)?)?;
    let summary = ScoreSummary { rows: table.n_rows(), arms: labels, mean_tau };
    crate::report::emit(args.json, &summary, || {
        format!("scored {} rows; mean τ̂ {:?}; wrote {}", summary.rows, summary.mean_tau, args.out.display())
    })
}
