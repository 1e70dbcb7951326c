//! `tp policy`: from effect estimates to whom-to-send-what, and the money.

use anyhow::{Context, Result, bail};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::path::PathBuf;
use tp_core::{Column, Table};
use tp_io::ReadOptions;
use tp_pipeline::cate::{self, CateRead};
use tp_pipeline::policy::{self, PlanSettings};
use tp_policy::{Economics, PolicyInputs, PolicyReport, Rule};

/// Arguments of `tp policy`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
The CATE file (as written by `tp uplift`) has `tau` (one treatment arm) or `tau_<arm>` columns, and
optionally `tau_lo[_<arm>]` lower bounds (for --risk-lambda) and `gamma_<arm>` doubly robust scores
for every arm including control (for doubly robust profit estimates and trees). Arm labels come
from --arms, else from the `gamma_<arm>` or `tau_<arm>` columns, else `treated`.

Examples:
  tp policy --cate cate.csv --id-col customer_id --value 0.3 --cost 12.73 --out policy.csv --json
  tp policy --cate cate.csv --value 0.3 --cost 12.73,20 --arms coupon,bonus --budget 5000 --out p.csv
  tp policy --cate cate.csv --value 0.3 --cost 12.73 --tree-depth 2 --features pre_spend,pre_visits --out p.csv")]
pub struct Args {
    /// Effect estimates per row (CSV or Parquet).
    #[arg(long)]
    cate: PathBuf,
    /// Id column copied to the output.
    #[arg(long)]
    id_col: Option<String>,
    /// Value of one unit of outcome (e.g. 0.3 = 30% margin on spend).
    #[arg(long)]
    value: f64,
    /// Cost per treated unit, one per treatment arm, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    cost: Vec<f64>,
    /// Treatment arm labels, comma-separated (default: from `tau_<arm>` columns, or `treated`).
    #[arg(long, value_delimiter = ',')]
    arms: Option<Vec<String>>,
    /// Label of the control arm in the output.
    #[arg(long, default_value = "control")]
    control: String,
    /// Fixed cost of running the campaign at all.
    #[arg(long, default_value_t = 0.0)]
    fixed_cost: f64,
    /// Total budget across arms (the multi-arm knapsack along its Lagrangian path).
    #[arg(long, conflicts_with = "top_share")]
    budget: Option<f64>,
    /// Treat only this share of rows, the best first.
    #[arg(long)]
    top_share: Option<f64>,
    /// Weight λ ∈ [0, 1] on the lower confidence bound: score = (1−λ)·τ̂ + λ·LB.
    #[arg(long, default_value_t = 0.0)]
    risk_lambda: f64,
    /// Learn a policy tree of this depth (exact search up to 2) from the doubly robust scores.
    #[arg(long)]
    tree_depth: Option<usize>,
    /// Columns of the CATE file the tree may split on (default: all numeric non-score columns).
    #[arg(long, value_delimiter = ',')]
    features: Option<Vec<String>>,
    /// Column with the current practice's arm label, for comparison.
    #[arg(long)]
    current_col: Option<String>,
    /// Column with segment labels, for the per-segment view.
    #[arg(long)]
    segment_col: Option<String>,
    /// Output file: the id column and the chosen `arm` per row.
    #[arg(long)]
    out: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary<'a> {
    arms: Vec<String>,
    #[serde(flatten)]
    report: &'a PolicyReport,
    out: String,
}

/// Runs `tp policy`.
pub fn run(args: Args) -> Result<()> {
    let file = args.cate.display().to_string();
    let table = tp_io::read_table(&args.cate, &ReadOptions::new())?;
    let CateRead { labels, tau, lower_columns, lower, gamma } =
        cate::read(&table, args.arms.as_deref(), &args.control, &file)?;
    if labels.len() != args.cost.len() {
        bail!(
            "--cost has {} value(s) but {file} has {} treatment arm(s) ({}); give one cost per arm",
            args.cost.len(),
            labels.len(),
            labels.join(", ")
        );
    }
    if lower.is_none() && args.risk_lambda > 0.0 {
        bail!(
            "{file}: --risk-lambda needs lower bounds in {}; run `tp uplift` with a method that gives intervals",
            lower_columns.join(", ")
        );
    }
    let mut all_labels = vec![args.control.clone()];
    all_labels.extend(labels.iter().cloned());
    let arm_index = |v: &str, row: usize, col: &str| -> Result<usize> {
        all_labels.iter().position(|l| l == v).with_context(|| {
            format!("{file}: column '{col}' row {row} holds '{v}', not one of {}", all_labels.join(", "))
        })
    };
    let current: Option<Vec<usize>> = match &args.current_col {
        Some(c) => Some(
            table
                .string_values(c)?
                .iter()
                .enumerate()
                .map(|(i, v)| arm_index(v, i, c))
                .collect::<Result<_>>()?,
        ),
        None => None,
    };
    let segments: Option<Vec<String>> =
        args.segment_col.as_ref().map(|c| table.string_values(c).map(|v| v.into_owned())).transpose()?;

    let reserved = |c: &str| {
        c.starts_with("tau")
            || c.starts_with("gamma_")
            || Some(c) == args.id_col.as_deref()
            || Some(c) == args.current_col.as_deref()
            || Some(c) == args.segment_col.as_deref()
    };
    let feature_names: Vec<String> = match &args.features {
        Some(f) => f.clone(),
        None => table
            .columns()
            .iter()
            .filter(|c| c.data.is_numeric() && !reserved(&c.name))
            .map(|c| c.name.clone())
            .collect(),
    };
    let covariates = match args.tree_depth {
        Some(_) if feature_names.is_empty() => {
            bail!("{file}: --tree-depth needs covariates; list them with --features")
        }
        Some(_) => {
            let names: Vec<&str> = feature_names.iter().map(String::as_str).collect();
            Some(table.to_matrix(&names).with_context(|| file.clone())?)
        }
        None => None,
    };

    let economics = Economics::new(args.value, args.cost.clone())?.with_fixed_cost(args.fixed_cost)?;
    let rule = match (args.budget, args.top_share) {
        (Some(b), _) => Rule::Budget(b),
        (None, Some(s)) => Rule::TopShare(s),
        (None, None) => Rule::Threshold,
    };
    let mut settings = PlanSettings::new(economics, rule);
    settings.risk_lambda = args.risk_lambda;
    settings.tree_depth = args.tree_depth;
    let mut inputs = PolicyInputs::new(tau.as_ref());
    inputs.lower = lower.as_ref().map(|m| m.as_ref());
    inputs.gamma = gamma.as_ref().map(|m| m.as_ref());
    inputs.covariates = covariates.as_ref().map(|m| m.as_ref());
    inputs.feature_names = Some(&feature_names);
    inputs.current = current.as_deref();
    inputs.segments = segments.as_deref();
    let plan = policy::plan(&settings, &inputs)?;

    let mut cols = Vec::new();
    if let Some(id) = &args.id_col {
        cols.push(table.column(id).with_context(|| file.clone())?.clone());
    }
    cols.push(Column::str("arm", plan.assignment.iter().map(|&a| all_labels[a].clone()).collect()));
    tp_io::write_table(&args.out, &Table::new(cols)?)?;

    let summary =
        Summary { arms: all_labels.clone(), report: &plan.report, out: args.out.display().to_string() };
    crate::print::emit(args.json, &summary, || {
        let r = &plan.report;
        let mut s = format!(
            "{} rule ({} estimate): treat {:.1}% of {} rows, expected profit {:.2} ± {:.2}\n",
            r.rule,
            r.estimator,
            100.0 * r.treated_share,
            r.n,
            r.expected_profit,
            r.expected_profit_se
        );
        s.push_str(&format!(
            "best share {:.1}% → {:.2}; treat-all {:.2}; treat-none {:.2}",
            100.0 * r.argmax.share,
            r.argmax.profit,
            r.treat_all.profit,
            r.treat_none.profit
        ));
        if let Some(c) = &r.current_practice {
            s.push_str(&format!("; current practice {:.2}", c.profit));
        }
        if let Some(t) = &r.tree {
            s.push_str(&format!(
                "\npolicy tree (profit {:.2} vs threshold {:.2}):\n{}",
                t.profit, t.threshold_profit, t.text
            ));
        }
        s.push_str(&format!("\nwrote {}", args.out.display()));
        s
    })
}
