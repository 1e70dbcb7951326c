//! `tp uplift`: diagnostics, ATE and CATE per row; `tp score`: τ̂ for new
//! customers from a saved model.

use anyhow::{Context, Result, bail};
use clap::Args as ClapArgs;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tp_core::Table;
use tp_core::faer::Mat;
use tp_io::ReadOptions;
use tp_pipeline::cate::Cate;
use tp_pipeline::causal::{Roles, causal_data, covariate_matrix};
use tp_pipeline::uplift::{self, Criterion, ForestSettings, Source, Tune, UpliftSettings};
use tp_uplift::{CateModel, LearnerKind, Method};

/// A clap value parser over `all` by `name` (with `-` for `_`), so `--help` lists the names the
/// pipeline knows and nothing here spells them again.
fn choice<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl clap::builder::TypedValueParser<Value = T> {
    let names: Vec<String> = all.iter().map(|&v| name(v).replace('_', "-")).collect();
    PossibleValuesParser::new(names)
        .map(move |s| *all.iter().find(|&&v| name(v).replace('_', "-") == s).expect("clap checked the value"))
}

/// Arguments of `tp uplift`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Output columns: the id column, `tau` (two arms) or `tau_<arm>` (one per treated arm), and
`tau_se`, `tau_lo`, `tau_hi` (or `tau_se_<arm>`, ...: a two-sided normal interval at --level, 90%
by default) with --bootstrap for a meta-learner and always for the forests (little-bags standard
errors; out-of-bag estimates for every training row). Meta-learners and the causal forest also
write `gamma_<arm>`: doubly robust scores for every arm, which `tp policy` uses for doubly robust
profit estimates. The uplift forest needs a 0/1 outcome.

Examples:
  tp uplift --data campaign.csv --treatment arm --outcome outcome --id-col customer_id \\
            --method dr --seed 7 --out cate.csv --json
  tp uplift --data campaign.csv --treatment arm --outcome outcome --method causal-forest --out cate.csv
  tp uplift --data campaign.csv --treatment arm --outcome purchased --method uplift-forest \\
            --criterion ed --trees 200 --max-depth 5 --min-per-arm 20 --out uplift.csv --json
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
    /// Estimator: a meta-learner (s, t, x, r, dr), the causal forest (binary or multi-arm) or the
    /// uplift forest (0/1 outcome, KL/ED/Chi/CTS splits).
    #[arg(long, value_parser = choice(&uplift::METHODS, uplift::method_name), default_value = "dr")]
    method: Method,
    /// Base-learner family: linear (OLS / logistic; models can be saved), rf, gbt.
    #[arg(long, value_parser = choice(&uplift::LEARNERS, uplift::learner_name), default_value = "linear")]
    learner: LearnerKind,
    /// Cross-fitting folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Bootstrap replicates for τ̂'s standard error and interval (0 = none).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Level of the two-sided normal τ̂ interval written as tau_lo / tau_hi (meta-learners with
    /// --bootstrap, and both forests).
    #[arg(long, default_value_t = 0.9)]
    level: f64,
    /// Hold out this share of rows: fit on the rest, report Qini/AUUC/RATE on them.
    #[arg(long)]
    holdout_share: Option<f64>,
    /// Meta-learners: τ̂ of each row from a model fitted without it (the --folds folds), as
    /// `tp run` writes and prices it; not with --bootstrap or --holdout-share.
    #[arg(long)]
    out_of_fold: bool,
    /// Forests: number of trees (default 2000 for the causal forest, 100 for the uplift forest).
    #[arg(long)]
    trees: Option<usize>,
    /// Causal forest: trees of each nuisance forest (E[Y|X], E[W|X]); default max(50, trees/4) (grf).
    #[arg(long)]
    nuisance_trees: Option<usize>,
    /// Causal forest: choose the split rule and leaf size by out-of-bag R-loss (auto: from 300 trees).
    #[arg(long, value_parser = choice(&Tune::ALL, Tune::name), default_value = "auto")]
    tune: Tune,
    /// Uplift forest: split criterion (kl: causalml's default, ed, chi, cts).
    #[arg(long, value_parser = choice(&Criterion::ALL, Criterion::name), default_value = "kl")]
    criterion: Criterion,
    /// Uplift forest: split levels (a tree has at most 2^depth leaves; causalml 0.18's max_depth,
    /// legacy causalml's max_depth − 1).
    #[arg(long, default_value_t = 4)]
    max_depth: usize,
    /// Uplift forest: minimum rows in each child.
    #[arg(long, default_value_t = 100)]
    min_samples_leaf: usize,
    /// Uplift forest: minimum rows of every arm in each child (causalml's min_samples_treatment).
    #[arg(long, default_value_t = 10)]
    min_per_arm: usize,
    /// Uplift forest: features tried at each split.
    #[arg(long, default_value_t = 10)]
    max_features: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output: id, τ̂ columns, intervals, doubly robust scores.
    #[arg(long)]
    out: PathBuf,
    /// Save the fitted model (versioned JSON) for `tp score` (every method).
    #[arg(long)]
    save_model: Option<PathBuf>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `tp uplift`.
pub fn run(args: Args) -> Result<()> {
    let start = Instant::now();
    let file = args.data.display().to_string();
    if !(args.level > 0.0 && args.level < 1.0) {
        bail!("--level {}: expected a coverage in (0, 1), e.g. 0.9", args.level);
    }
    // with the covariates named, read only the columns used (a 14M-row criteo table: 14 of 21)
    let mut options = ReadOptions::new();
    if let (Some(cov), None) = (&args.covariates, &args.propensity_prefix) {
        let mut keep: Vec<&str> = args.id_col.iter().map(String::as_str).collect();
        keep.extend([args.treatment.as_str(), args.outcome.as_str()]);
        for c in cov {
            if !keep.contains(&c.as_str()) {
                keep.push(c);
            }
        }
        options = options.columns(keep);
    }
    let table = tp_io::read_table(&args.data, &options).map_err(|e| match e {
        tp_io::IoError::MixedColumn { .. } => {
            anyhow::anyhow!("{e} (tp uplift reads every column unless --covariates lists the covariates)")
        }
        e => e.into(),
    })?;
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
    let settings = UpliftSettings {
        method: args.method,
        learner: args.learner,
        folds: args.folds,
        bootstrap: args.bootstrap,
        holdout_share: args.holdout_share,
        out_of_fold: args.out_of_fold,
        level: args.level,
        trees: args.trees,
        forest: ForestSettings {
            nuisance_trees: args.nuisance_trees,
            tune: args.tune,
            criterion: args.criterion,
            max_depth: args.max_depth,
            min_samples_leaf: args.min_samples_leaf,
            min_per_arm: args.min_per_arm,
            max_features: args.max_features,
        },
        seed: args.seed,
    };
    let source = Source { file: &file, treatment: &args.treatment, outcome: &args.outcome };
    let est = uplift::estimate(&settings, &data, &arms, source)?;
    let id = args.id_col.as_ref().map(|c| table.column(c)).transpose()?;
    tp_io::write_table(&args.out, &est.cate.to_table(id)?)?;
    let mut summary = est.summary.clone();
    if let Some(path) = &args.save_model {
        let model = est.into_model(&settings, &data)?;
        model.save(path).with_context(|| format!("cannot save the model to {}", path.display()))?;
    }
    summary["seconds"] = json!(start.elapsed().as_secs_f64());
    crate::report::emit(args.json, &summary, || human(&summary, arms.labels(), &args.out))
}

/// The human summary of `tp uplift` on stderr.
fn human(summary: &Value, labels: &[String], out: &Path) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut s = String::new();
    let d = &summary["diagnostics"];
    match summary["method"].as_str() {
        Some("uplift_forest") => {
            s.push_str(&format!(
                "uplift forest ({} trees, {}):",
                summary["trees"],
                summary["criterion"].as_str().unwrap_or("")
            ));
            for (k, m) in summary["mean_uplift"].as_array().into_iter().flatten().enumerate() {
                s.push_str(&format!(" mean uplift {} vs {}: {:.4};", labels[k + 1], labels[0], num(m)));
            }
            s.push('\n');
        }
        Some("causal_forest") => {
            s.push_str(&format!("causal forest ({} trees):", summary["trees"]));
            for e in summary["effects"].as_array().into_iter().flatten() {
                s.push_str(&format!(
                    " ATE {} vs {}: {:.4} ± {:.4};",
                    e["label"].as_str().unwrap_or(""),
                    labels[0],
                    num(&e["ate"]),
                    num(&e["ate_se"])
                ));
            }
            s.push_str(&format!(
                " propensity AUC {:.3}, {:.1}% of rows in the overlap band\n",
                num(&d["ps_auc"]),
                100.0 * num(&d["overlap_share"])
            ));
        }
        _ => {
            for e in summary["effects"].as_array().into_iter().flatten() {
                s.push_str(&format!(
                    "ATE {} vs {}: {:.4} ± {:.4} (95% CI {:.4} to {:.4})\n",
                    e["label"].as_str().unwrap_or(""),
                    labels[0],
                    num(&e["ate"]),
                    num(&e["ate_se"]),
                    num(&e["ci_low"]),
                    num(&e["ci_high"])
                ));
            }
            s.push_str(&format!(
                "overlap: propensity AUC {:.3}, {:.1}% of rows with ê in the band; balance: {}/{} covariates |SMD| < 0.1 after weighting\n",
                num(&d["ps_auc"]),
                100.0 * num(&d["overlap_share"]),
                d["balanced"],
                d["n_covariates"]
            ));
        }
    }
    for w in d["warnings"].as_array().into_iter().flatten() {
        s.push_str(&format!("warning: {}\n", w.as_str().unwrap_or("")));
    }
    s.push_str(&format!(
        "wrote {} ({} rows) in {:.1} s",
        out.display(),
        summary["n"],
        num(&summary["seconds"])
    ));
    s
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
    // standard errors where the model has them: a causal forest's own, or the bootstrap replicates'
    let se = model.predict_se(aligned.as_ref())?;
    let mean_tau: Vec<f64> = (0..tau.ncols())
        .map(|j| tp_core::stats::mean(&tau.col(j).iter().copied().collect::<Vec<_>>()))
        .collect();
    let cate = Cate { arms: labels.clone(), tau, se, bounds: None, gamma: None };
    let id = args.id_col.as_ref().map(|c| table.column(c).with_context(|| file.clone())).transpose()?;
    tp_io::write_table(&args.out, &cate.to_table(id)?)?;
    let summary = ScoreSummary { rows: table.n_rows(), arms: labels, mean_tau };
    crate::report::emit(args.json, &summary, || {
        format!("scored {} rows; mean τ̂ {:?}; wrote {}", summary.rows, summary.mean_tau, args.out.display())
    })
}
