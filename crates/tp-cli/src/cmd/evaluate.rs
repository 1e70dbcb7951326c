//! `tp evaluate`: how well a score ranks customers by uplift.

use anyhow::{Context, Result, bail};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::path::PathBuf;
use tp_io::ReadOptions;
use tp_io::causal::Arms;
use tp_uplift::evaluate::{Evaluation, EvaluationParams, evaluate_ranking};

/// Arguments of `tp evaluate`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Without --dr-score the data are taken to be a randomized experiment.

Examples:
  tp evaluate --data holdout.csv --treatment arm --outcome outcome --score tau --json")]
pub struct Args {
    /// Table with treatment, outcome and score columns.
    #[arg(long)]
    data: PathBuf,
    /// Treatment column (two arms).
    #[arg(long)]
    treatment: String,
    /// Outcome column.
    #[arg(long)]
    outcome: String,
    /// Score column (higher = more uplift expected).
    #[arg(long)]
    score: String,
    /// Column of doubly robust effect scores Γ(1) − Γ(0) for RATE (observational data).
    #[arg(long)]
    dr_score: Option<String>,
    /// Label of the control arm.
    #[arg(long)]
    control: Option<String>,
    /// Share targeted for uplift@k.
    #[arg(long, default_value_t = 0.3)]
    k: f64,
    /// Seed of RATE's bootstrap.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary {
    n: usize,
    #[serde(flatten)]
    metrics: Evaluation,
}

/// Runs `tp evaluate`.
pub fn run(args: Args) -> Result<()> {
    let file = args.data.display().to_string();
    let mut cols = vec![args.treatment.as_str(), args.outcome.as_str(), args.score.as_str()];
    if let Some(d) = &args.dr_score {
        cols.push(d);
    }
    let table = tp_io::read_table(&args.data, &ReadOptions::new().columns(cols))?;
    let arms = Arms::from_column(&table, &args.treatment, args.control.as_deref(), &file)?;
    if arms.len() != 2 {
        bail!(
            "{file}: column '{}' has {} arms; evaluate one treated arm against control at a time",
            args.treatment,
            arms.len()
        );
    }
    let t = arms.indices(&table, &args.treatment, &file)?;
    let y = table.f64_values(&args.outcome).with_context(|| file.clone())?;
    let s = table.f64_values(&args.score).with_context(|| file.clone())?;
    let g = args.dr_score.as_ref().map(|c| table.f64_values(c).map(|v| v.into_owned())).transpose()?;
    let mut params = EvaluationParams { k: args.k, ..EvaluationParams::default() };
    params.rate.seed = args.seed;
    let metrics = evaluate_ranking(&y, &t, &s, g.as_deref(), &params).with_context(|| file.clone())?;
    let summary = Summary { n: y.len(), metrics };
    crate::print::emit(args.json, &summary, || {
        let m = &summary.metrics;
        format!(
            "qini {:.4} (raw {:.4}), auuc {:.4} (raw {:.4}), uplift@{:.0}% {:.4}, RATE AUTOC {:.4} ± {:.4}",
            m.qini_auc,
            m.qini_auc_raw,
            m.uplift_auc,
            m.uplift_auc_raw,
            100.0 * args.k,
            m.uplift_at_30,
            m.rate_autoc,
            m.rate_autoc_se
        )
    })
}
