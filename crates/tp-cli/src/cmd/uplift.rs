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
use tp_io::causal::{Roles, causal_data};
use tp_pipeline::cate::Cate;
use tp_pipeline::uplift::{self, Bands, Criterion, ForestSettings, Source, Tune, UpliftSettings};
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
    #[arg(long, value_parser = choice(uplift::methods().leak(), uplift::method_name), default_value = "dr")]
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
    /// Causal forest: grow the final forest on the covariates a pilot forest found important
    /// (split frequency at least the mean, Athey & Wager 2019); about twice the fit time.
    #[arg(long)]
    select_variables: bool,
    /// Causal forest: `variance` intervals (the little-bags variance only, as grf and EconML) or
    /// `bias-aware` ones, widened by the forest's estimated smoothing bias (see the json's
    /// `calibration` for whether the variance-only ones look too narrow).
    #[arg(long, value_parser = choice(&Bands::ALL, Bands::name), default_value = "variance")]
    intervals: Bands,
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
    /// Write the outcome model per row and arm (`q_<arm>` columns, rows aligned with the data
    /// used) for `tp ope --q-hat`; meta-learners and the causal forest.
    #[arg(long)]
    q_hat_out: Option<PathBuf>,
    /// Fit on a random share of the rows (each row kept with this probability, drawn from
    /// --seed), read in bounded batches: for methods too slow for the whole file, e.g. the
    /// causal forest on 14M rows. The output holds the sampled rows only; use --id-col to
    /// join them back.
    #[arg(long)]
    sample_share: Option<f64>,
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
    let mixed = |e: tp_io::IoError| match e {
        tp_io::IoError::MixedColumn { .. } => {
            anyhow::anyhow!("{e} (tp uplift reads every column unless --covariates lists the covariates)")
        }
        e => e.into(),
    };
    let table = match args.sample_share {
        None => tp_io::read_table(&args.data, &options).map_err(mixed)?,
        Some(share) => {
            read_sample(&args.data, &options, share, args.seed).map_err(|e| match e.downcast() {
                Ok(io) => mixed(io),
                Err(e) => e,
            })?
        }
    };
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
    // only the id column is needed from here on: free the table (at 14M rows, more than the
    // covariate matrix itself) before fitting
    let id = args.id_col.as_ref().map(|c| table.column(c).cloned()).transpose()?;
    drop(table);
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
            select_variables: args.select_variables,
            intervals: args.intervals,
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
    if let Some(path) = &args.q_hat_out {
        let Some(q) = &est.q_hat else {
            bail!(
                "--q-hat-out: the {} method fits no outcome model; drop the flag",
                uplift::method_name(args.method)
            );
        };
        let mut cols: Vec<tp_core::Column> = id.iter().cloned().collect();
        for (a, label) in arms.labels().iter().enumerate() {
            cols.push(tp_core::Column::f64(format!("q_{label}"), q.col(a).iter().copied().collect()));
        }
        tp_io::write_table(path, &Table::new(cols)?)?;
    }
    tp_io::write_table(&args.out, &est.cate.to_table(id.as_ref())?)?;
    let mut summary = est.summary.clone();
    if let Some(path) = &args.save_model {
        let model = est.into_model(&settings, &data)?;
        model.save(path).with_context(|| format!("cannot save the model to {}", path.display()))?;
    }
    summary["seconds"] = json!(start.elapsed().as_secs_f64());
    crate::print::emit(args.json, &summary, || human(&summary, arms.labels(), &args.out))
}

/// Reads the rows of `path` kept by a Bernoulli(`share`) draw per row from `seed`, in batches:
/// memory follows the sample, not the file, and the sample does not depend on the batch size.
fn read_sample(path: &Path, options: &ReadOptions, share: f64, seed: u64) -> Result<Table> {
    if !(share > 0.0 && share <= 1.0) {
        bail!("--sample-share {share}: expected a share of rows in (0, 1], e.g. 0.1");
    }
    let base = tp_core::rng::derive_seed_str(seed, "sample-share");
    let mut parts: Vec<Table> = Vec::new();
    let mut row = 0u64;
    for chunk in tp_io::read_table_chunks(path, options, 1 << 16)? {
        let chunk = chunk?;
        let keep: Vec<usize> = (0..chunk.n_rows())
            .filter(|&i| {
                let u = (tp_core::rng::derive_seed(base, row + i as u64) >> 11) as f64 / (1u64 << 53) as f64;
                u < share
            })
            .collect();
        row += chunk.n_rows() as u64;
        parts.push(chunk.take_rows(&keep));
    }
    let mut parts = parts.into_iter();
    let first = parts.next().context("no rows")?;
    let mut cols: Vec<tp_core::Column> = first.into_columns();
    for part in parts {
        for (c, p) in cols.iter_mut().zip(part.into_columns()) {
            use tp_core::ColumnData as D;
            match (&mut c.data, p.data) {
                (D::F64(a), D::F64(b)) => a.extend(b),
                (D::I64(a), D::I64(b)) => a.extend(b),
                (D::Bool(a), D::Bool(b)) => a.extend(b),
                (D::Str(a), D::Str(b)) => a.extend(b),
                _ => bail!("{}: column '{}' changed type between batches", path.display(), c.name),
            }
        }
    }
    if cols.first().is_some_and(|c| c.data.is_empty()) {
        bail!("{}: --sample-share {share} kept no rows of {row}; raise it", path.display());
    }
    Ok(Table::new(cols)?)
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
The data are read, scored and written in batches of --chunk-rows rows, so memory follows the batch,
not the file; the output's bytes do not depend on the batch size.

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
    /// Rows read, scored and written at a time.
    #[arg(long, default_value_t = 1 << 16)]
    chunk_rows: usize,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ScoreSummary {
    rows: usize,
    arms: Vec<String>,
    mean_tau: Vec<f64>,
    seconds: f64,
}

/// Where a model's feature comes from in the data.
enum FeatureSource {
    /// A numeric column of the same name.
    Column(String),
    /// `column=value`: 1 where a string column holds the value, else 0 (one-hot encoding; the
    /// category dropped in training has no feature, a category unseen in training none either).
    Category(String, String),
}

/// How each of the model's features is read from a file with columns `header`, or the features
/// the file lacks.
fn feature_sources(
    header: &[String],
    features: &[String],
) -> std::result::Result<Vec<FeatureSource>, Vec<String>> {
    let mut out = Vec::with_capacity(features.len());
    let mut missing = Vec::new();
    for f in features {
        if header.contains(f) {
            out.push(FeatureSource::Column(f.clone()));
        } else if let Some((c, v)) = f.split_once('=')
            && header.iter().any(|h| h == c)
        {
            out.push(FeatureSource::Category(c.to_string(), v.to_string()));
        } else {
            missing.push(f.clone());
        }
    }
    if missing.is_empty() { Ok(out) } else { Err(missing) }
}

/// The feature matrix of one batch; `first_row` (0-based, in the file) places errors.
fn feature_matrix(
    table: &Table,
    sources: &[FeatureSource],
    first_row: usize,
    file: &str,
) -> Result<Mat<f64>> {
    let mut x = Mat::<f64>::zeros(table.n_rows(), sources.len());
    for (j, src) in sources.iter().enumerate() {
        match src {
            FeatureSource::Column(c) => {
                let v = table.f64_values(c).with_context(|| {
                    format!("{file}: column '{c}' must be numeric, as in the data the model was fitted on")
                })?;
                for (i, &value) in v.iter().enumerate() {
                    if !value.is_finite() {
                        bail!(
                            "{file}: column '{c}' row {} holds {value}; covariates must be finite (impute or drop the row)",
                            first_row + i
                        );
                    }
                    x[(i, j)] = value;
                }
            }
            FeatureSource::Category(c, value) => {
                let v = table.string_values(c).with_context(|| file.to_string())?;
                for (i, s) in v.iter().enumerate() {
                    x[(i, j)] = f64::from(u8::from(s == value));
                }
            }
        }
    }
    Ok(x)
}

/// Runs `tp score`: reads `--chunk-rows` rows at a time, scores them and appends them to the
/// output, which appears only when every row is scored.
pub fn score(args: ScoreArgs) -> Result<()> {
    let start = Instant::now();
    if args.chunk_rows == 0 {
        bail!("--chunk-rows 0: expected at least 1 row per batch");
    }
    let model = CateModel::load(&args.model)
        .with_context(|| format!("cannot load the model {}", args.model.display()))?;
    let file = args.data.display().to_string();
    let header = tp_io::read_header(&args.data)?;
    let sources = feature_sources(&header, model.feature_names())
        .map_err(|missing| anyhow::anyhow!("{file}: lacks the model's covariates {missing:?}"))?;
    let mut keep: Vec<&str> = Vec::new();
    for s in &sources {
        let (FeatureSource::Column(c) | FeatureSource::Category(c, _)) = s;
        if !keep.contains(&c.as_str()) {
            keep.push(c);
        }
    }
    if let Some(id) = &args.id_col {
        if !header.contains(id) {
            bail!("{file}: no id column '{id}' (columns: {})", header.join(", "));
        }
        if !keep.contains(&id.as_str()) {
            keep.push(id);
        }
    }
    let labels = model.arm_labels().to_vec();
    let mut writer = tp_io::TableWriter::create(&args.out)?;
    // running sums in row order: the same additions, in the same order, as a mean over all rows
    let mut sums = vec![std::iter::empty::<f64>().sum::<f64>(); labels.len().saturating_sub(1)];
    let mut rows = 0usize;
    for chunk in tp_io::read_table_chunks(&args.data, &ReadOptions::new().columns(keep), args.chunk_rows)? {
        let table = chunk?;
        let x = feature_matrix(&table, &sources, rows, &file)?;
        let tau = model.predict(x.as_ref())?;
        // standard errors where the model has them: a causal forest's own, or the bootstrap replicates'
        let se = model.predict_se(x.as_ref())?;
        for (j, sum) in sums.iter_mut().enumerate() {
            *sum = tau.col(j).iter().fold(*sum, |acc, &t| acc + t);
        }
        let cate = Cate { arms: labels.clone(), tau, se, bounds: None, gamma: None };
        let id = args.id_col.as_ref().map(|c| table.column(c).with_context(|| file.clone())).transpose()?;
        writer.write(&cate.to_table(id)?)?;
        rows += table.n_rows();
    }
    writer.finish()?;
    let mean_tau = sums.iter().map(|s| if rows == 0 { f64::NAN } else { s / rows as f64 }).collect();
    let seconds = start.elapsed().as_secs_f64();
    let summary = ScoreSummary { rows, arms: labels, mean_tau, seconds };
    crate::print::emit(args.json, &summary, || {
        format!(
            "scored {} rows in {:.1} s; mean τ̂ {:?}; wrote {}",
            summary.rows,
            summary.seconds,
            summary.mean_tau,
            args.out.display()
        )
    })
}
