//! `tp uplift`: diagnostics, ATE and CATE per row; `tp score`: τ̂ for new
//! customers from a saved model.

use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_core::stats::normal_quantile;
use tp_core::{Column, Table};
use tp_io::ReadOptions;
use tp_pipeline::arms::Arms;
use tp_pipeline::causal::{Roles, causal_data, covariate_matrix};
use tp_uplift::{
    CateModel, CausalForest, Divergence, LearnerKind, Method, Tuning, UpliftForest, UpliftParams,
    UpliftSummary,
};

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
    /// Honest GRF causal forest with out-of-bag τ̂ and little-bags intervals, binary or multi-arm
    /// (one forest for all treated arms).
    CausalForest,
    /// Uplift random forest for a 0/1 outcome (KL, ED, Chi or CTS splits), binary or multi-arm,
    /// with out-of-bag uplift and little-bags intervals.
    UpliftForest,
}

/// When the causal forest tunes its split rule and leaf size (`tp_uplift::Tuning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TuneArg {
    /// When the forest has at least 300 trees.
    Auto,
    /// Always.
    Always,
    /// Never: grf's gradient rule and 5 rows of every arm per leaf.
    Never,
}

impl From<TuneArg> for Tuning {
    fn from(t: TuneArg) -> Tuning {
        match t {
            TuneArg::Auto => Tuning::Auto,
            TuneArg::Always => Tuning::Always,
            TuneArg::Never => Tuning::Never,
        }
    }
}

/// Split criterion of the uplift forest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CriterionArg {
    /// Kullback–Leibler divergence (causalml's default).
    Kl,
    /// Squared Euclidean distance.
    Ed,
    /// χ² divergence.
    Chi,
    /// Contextual treatment selection (the best arm's rate).
    Cts,
}

impl From<CriterionArg> for Divergence {
    fn from(c: CriterionArg) -> Divergence {
        match c {
            CriterionArg::Kl => Divergence::Kl,
            CriterionArg::Ed => Divergence::Ed,
            CriterionArg::Chi => Divergence::Chi,
            CriterionArg::Cts => Divergence::Cts,
        }
    }
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

impl From<LearnerArg> for LearnerKind {
    fn from(l: LearnerArg) -> LearnerKind {
        match l {
            LearnerArg::Linear => LearnerKind::Linear,
            LearnerArg::Rf => LearnerKind::Rf,
            LearnerArg::Gbt => LearnerKind::Gbt,
        }
    }
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
    /// Estimator: a meta-learner or one of the two forests.
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
    /// Level of the two-sided normal τ̂ interval written as tau_lo / tau_hi (meta-learners with
    /// --bootstrap, and both forests).
    #[arg(long, default_value_t = 0.9)]
    level: f64,
    /// Hold out this share of rows: fit on the rest, report Qini/AUUC/RATE on them.
    #[arg(long)]
    holdout_share: Option<f64>,
    /// Forests: number of trees (default 2000 for the causal forest, 100 for the uplift forest).
    #[arg(long)]
    trees: Option<usize>,
    /// Causal forest: trees of each nuisance forest (E[Y|X], E[W|X]); default max(50, trees/4) (grf).
    #[arg(long)]
    nuisance_trees: Option<usize>,
    /// Causal forest: choose the split rule and leaf size by out-of-bag R-loss (auto: from 300 trees).
    #[arg(long, value_enum, default_value_t = TuneArg::Auto)]
    tune: TuneArg,
    /// Uplift forest: split criterion.
    #[arg(long, value_enum, default_value_t = CriterionArg::Kl)]
    criterion: CriterionArg,
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
    if args.method == MethodArg::CausalForest {
        return run_forest(&args, &table, &data, &arms, start);
    }
    if args.method == MethodArg::UpliftForest {
        return run_uplift_forest(&args, &table, &data, &arms, start);
    }
    let method = match args.method {
        MethodArg::S => Method::S,
        MethodArg::T => Method::T,
        MethodArg::X => Method::X,
        MethodArg::R => Method::R,
        MethodArg::Dr => Method::Dr,
        MethodArg::CausalForest | MethodArg::UpliftForest => unreachable!("handled above"),
    };
    let mut params = UpliftParams::with_learners(method, args.learner.into())
        .seed(args.seed)
        .folds(args.folds)
        .n_boot(args.bootstrap);
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
        save_model(&fit.model, path)?;
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

/// `--save-model`: writes `model` to `path`.
fn save_model(model: &CateModel, path: &std::path::Path) -> Result<()> {
    model.save(path).with_context(|| format!("cannot save the model to {}", path.display()))
}

#[derive(Serialize)]
struct ForestSummary {
    method: &'static str,
    /// ATE of the first treated arm (the only one of a binary treatment).
    ate: f64,
    ate_se: f64,
    arms: Vec<String>,
    /// Doubly robust ATE of every treated arm against control.
    effects: Vec<ForestEffect>,
    diagnostics: tp_uplift::DiagnosticsSummary,
    /// The covariates the forest was fit on (string columns one-hot encoded).
    covariates: Vec<String>,
    variable_importance: Vec<(String, f64)>,
    /// What tuning tried and chose (absent when the forest did not tune).
    #[serde(skip_serializing_if = "Option::is_none")]
    tuning: Option<tp_uplift::TuneReport>,
    n: usize,
    trees: usize,
    seconds: f64,
}

/// One treated arm's doubly robust ATE (the meta-learners' `effects` fields, without the ATT).
#[derive(Serialize)]
struct ForestEffect {
    arm: usize,
    label: String,
    ate: f64,
    ate_se: f64,
    ci_low: f64,
    ci_high: f64,
}

use tp_uplift::forest_run::MIN_ROWS_PER_ARM;

/// `tp uplift --method causal-forest`: out-of-bag τ̂ of every treated arm
/// with little-bags intervals, the forest's doubly robust ATEs, overlap
/// diagnostics from its propensity forest, and AIPW scores from its
/// centering nuisances.
fn run_forest(args: &Args, table: &Table, data: &CausalData, arms: &Arms, start: Instant) -> Result<()> {
    let file = args.data.display().to_string();
    // see MIN_ROWS_PER_ARM for why
    if let Some((a, count)) = tp_uplift::forest_run::sparse_arm(data) {
        bail!(
            "{file}: arm '{}' of column '{}' has {count} rows; --method causal-forest needs at least \
             {MIN_ROWS_PER_ARM} rows of every arm: merge it into another arm or drop its rows",
            arms.labels()[a],
            args.treatment,
        );
    }
    let mut params =
        CausalForest::params().n_trees(args.trees.unwrap_or(2000)).tune(args.tune.into()).seed(args.seed);
    if let Some(m) = args.nuisance_trees {
        params = params.nuisance_trees(m);
    }
    let tp_uplift::forest_run::ForestFit { model, oob: pred, mu, e, .. } =
        tp_uplift::forest_run::fit_forest(&params, data, args.level).with_context(|| file.clone())?;
    let (n, d) = (data.n(), model.n_treated());
    let gamma = tp_core::aipw_scores(data.outcome(), data.arms(), mu.as_ref(), e.as_ref())?;
    let diagnostics = tp_uplift::diagnostics::diagnose(
        data,
        data.propensity().unwrap_or(e.as_ref()),
        data.propensity().is_some(),
        &tp_uplift::DiagnosticsParams::default(),
    )?;
    let labels = arms.labels();
    let mut cols = Vec::new();
    if let Some(id) = &args.id_col {
        cols.push(table.column(id)?.clone());
    }
    for (k, p) in pred.into_iter().enumerate() {
        let suffix = if d == 1 { String::new() } else { format!("_{}", labels[k + 1]) };
        cols.push(Column::f64(format!("tau_se{suffix}"), p.tau_se));
        cols.push(Column::f64(format!("tau_lo{suffix}"), p.tau_lo));
        cols.push(Column::f64(format!("tau_hi{suffix}"), p.tau_hi));
        cols.push(Column::f64(format!("tau{suffix}"), p.tau));
    }
    for (a, label) in labels.iter().enumerate() {
        cols.push(Column::f64(format!("gamma_{label}"), gamma.col(a).iter().copied().collect()));
    }
    tp_io::write_table(&args.out, &Table::new(cols)?)?;
    let z95 = normal_quantile(0.975);
    let effects: Vec<ForestEffect> = model
        .ate_arms()
        .into_iter()
        .enumerate()
        .map(|(k, (ate, ate_se))| ForestEffect {
            arm: k + 1,
            label: labels[k + 1].clone(),
            ate,
            ate_se,
            ci_low: ate - z95 * ate_se,
            ci_high: ate + z95 * ate_se,
        })
        .collect();
    let summary = ForestSummary {
        method: "causal_forest",
        ate: effects[0].ate,
        ate_se: effects[0].ate_se,
        arms: labels.to_vec(),
        effects,
        diagnostics: tp_uplift::DiagnosticsSummary::from(&diagnostics),
        covariates: data.feature_names().to_vec(),
        variable_importance: data
            .feature_names()
            .iter()
            .cloned()
            .zip(model.variable_importance().iter().copied())
            .collect(),
        tuning: model.tuning().cloned(),
        n,
        trees: model.n_trees(),
        seconds: start.elapsed().as_secs_f64(),
    };
    if let Some(path) = &args.save_model {
        let params =
            serde_json::json!({ "method": "causal-forest", "trees": model.n_trees(), "level": args.level });
        let names = data.feature_names().to_vec();
        save_model(&CateModel::from_causal_forest(model, names, labels.to_vec(), params, args.seed)?, path)?;
    }
    crate::report::emit(args.json, &summary, || {
        let mut s = format!("causal forest ({} trees):", summary.trees);
        for e in &summary.effects {
            s.push_str(&format!(" ATE {} vs {}: {:.4} ± {:.4};", e.label, labels[0], e.ate, e.ate_se));
        }
        s.push_str(&format!(
            " propensity AUC {:.3}, {:.1}% of rows in the overlap band\n",
            summary.diagnostics.ps_auc,
            100.0 * summary.diagnostics.overlap_share
        ));
        for w in &summary.diagnostics.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s.push_str(&format!("wrote {} ({n} rows) in {:.1} s", args.out.display(), summary.seconds));
        s
    })
}

#[derive(Serialize)]
struct UpliftForestSummary {
    method: &'static str,
    criterion: String,
    arms: Vec<String>,
    /// Mean out-of-bag uplift of each treated arm against control.
    mean_uplift: Vec<f64>,
    /// Observed positive rate of each arm (control first).
    observed_rate: Vec<f64>,
    /// The covariates the forest was fit on (string columns one-hot encoded).
    covariates: Vec<String>,
    variable_importance: Vec<(String, f64)>,
    n: usize,
    trees: usize,
    max_depth: usize,
    level: f64,
    seconds: f64,
}

/// `tp uplift --method uplift-forest`: out-of-bag uplift of every row with
/// little-bags intervals, one set of columns per treated arm; with
/// `--save-model`, the forest (trees and leaf rates only) for `tp score`.
fn run_uplift_forest(
    args: &Args,
    table: &Table,
    data: &CausalData,
    arms: &Arms,
    start: Instant,
) -> Result<()> {
    let file = args.data.display().to_string();
    if let Some(row) = data.outcome().iter().position(|&v| v != 0.0 && v != 1.0) {
        bail!(
            "{file}: --method uplift-forest needs a 0/1 outcome, but column '{}' is {} at data row {} \
             (1 = first row after the header); recode it to 0/1 or use --method causal-forest or a meta-learner",
            args.outcome,
            data.outcome()[row],
            row + 1
        );
    }
    let model = UpliftForest::params()
        .criterion(args.criterion.into())
        .n_trees(args.trees.unwrap_or(100))
        .max_depth(args.max_depth)
        .min_samples_leaf(args.min_samples_leaf)
        .min_samples_treatment(args.min_per_arm)
        .max_features(args.max_features)
        .seed(args.seed)
        .fit(data)
        .with_context(|| file.clone())?;
    let mut pred = model.oob_interval(args.level)?;
    // a row inside every group's half-sample (likely only with few trees): whole-forest estimate
    let inbag: Vec<usize> = (0..data.n()).filter(|&i| !pred.tau[(i, 0)].is_finite()).collect();
    if !inbag.is_empty() {
        let x = data.covariates();
        let rows = Mat::from_fn(inbag.len(), data.p(), |r, j| x[(inbag[r], j)]);
        let fill = model.predict_interval(rows.as_ref(), args.level)?;
        for (r, &i) in inbag.iter().enumerate() {
            for k in 0..pred.tau.ncols() {
                pred.tau[(i, k)] = fill.tau[(r, k)];
                pred.se[(i, k)] = fill.se[(r, k)];
                pred.lo[(i, k)] = fill.lo[(r, k)];
                pred.hi[(i, k)] = fill.hi[(r, k)];
            }
        }
    }
    let labels = arms.labels();
    let mut cols = Vec::new();
    if let Some(id) = &args.id_col {
        cols.push(table.column(id)?.clone());
    }
    let col = |m: &Mat<f64>, k: usize| m.col(k).iter().copied().collect::<Vec<f64>>();
    for k in 0..labels.len() - 1 {
        let suffix = if labels.len() == 2 { String::new() } else { format!("_{}", labels[k + 1]) };
        cols.push(Column::f64(format!("tau_se{suffix}"), col(&pred.se, k)));
        cols.push(Column::f64(format!("tau_lo{suffix}"), col(&pred.lo, k)));
        cols.push(Column::f64(format!("tau_hi{suffix}"), col(&pred.hi, k)));
        cols.push(Column::f64(format!("tau{suffix}"), col(&pred.tau, k)));
    }
    tp_io::write_table(&args.out, &Table::new(cols)?)?;
    let mut observed = vec![(0.0, 0.0); labels.len()];
    for (&a, &y) in data.arms().iter().zip(data.outcome()) {
        observed[a].0 += y;
        observed[a].1 += 1.0;
    }
    let summary = UpliftForestSummary {
        method: "uplift_forest",
        criterion: format!("{:?}", Divergence::from(args.criterion)).to_lowercase(),
        arms: labels.to_vec(),
        mean_uplift: (0..labels.len() - 1).map(|k| tp_core::stats::mean(&col(&pred.tau, k))).collect(),
        observed_rate: observed.iter().map(|(s, n)| if *n > 0.0 { s / n } else { f64::NAN }).collect(),
        covariates: data.feature_names().to_vec(),
        variable_importance: data
            .feature_names()
            .iter()
            .cloned()
            .zip(model.feature_importance().iter().copied())
            .collect(),
        n: data.n(),
        trees: model.n_trees(),
        max_depth: args.max_depth,
        level: args.level,
        seconds: start.elapsed().as_secs_f64(),
    };
    if let Some(path) = &args.save_model {
        let params = serde_json::json!({
            "method": "uplift-forest",
            "criterion": summary.criterion,
            "trees": model.n_trees(),
            "max_depth": args.max_depth,
            "min_samples_leaf": args.min_samples_leaf,
            "min_per_arm": args.min_per_arm,
            "max_features": args.max_features,
        });
        let names = data.feature_names().to_vec();
        save_model(&CateModel::from_uplift_forest(model, names, labels.to_vec(), params, args.seed)?, path)?;
    }
    crate::report::emit(args.json, &summary, || {
        let mut s = format!("uplift forest ({} trees, {}):", summary.trees, summary.criterion);
        for (k, m) in summary.mean_uplift.iter().enumerate() {
            s.push_str(&format!(" mean uplift {} vs {}: {m:.4};", labels[k + 1], labels[0]));
        }
        s.push_str(&format!(
            "\nwrote {} ({} rows) in {:.1} s",
            args.out.display(),
            summary.n,
            summary.seconds
        ));
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
    // standard errors where the model has them: a causal forest's own, or the bootstrap replicates'
    let se = model.predict_se(aligned.as_ref())?;
    let mut mean_tau = Vec::new();
    for (j, name) in tau_names.into_iter().enumerate() {
        let v: Vec<f64> = tau.col(j).iter().copied().collect();
        mean_tau.push(tp_core::stats::mean(&v));
        if let Some(se) = &se {
            let suffix = name.strip_prefix("tau").unwrap_or("").to_string();
            cols.push(Column::f64(format!("tau_se{suffix}"), se.col(j).iter().copied().collect()));
        }
        cols.push(Column::f64(name, v));
    }
    tp_io::write_table(&args.out, &Table::new(cols)?)?;
    let summary = ScoreSummary { rows: table.n_rows(), arms: labels, mean_tau };
    crate::report::emit(args.json, &summary, || {
        format!("scored {} rows; mean τ̂ {:?}; wrote {}", summary.rows, summary.mean_tau, args.out.display())
    })
}
