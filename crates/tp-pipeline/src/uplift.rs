//! The uplift stage's one driver: `tp uplift` and `tp run` both call
//! [`estimate`], so the same data and settings give the same CATE, bit for
//! bit, whichever command ran them.
//!
//! Method names live here once: [`tp_uplift::Method`] spelled by
//! [`method_name`], [`Tune`] and [`Criterion`], as in `docs/config.md`; the
//! command line accepts the same names with `-` for `_`.

use crate::cate::{Cate, normal_bounds};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_core::stats::normal_quantile;
use tp_io::causal::Arms;
use tp_uplift::forest_run::{ForestFit, MIN_ROWS_PER_ARM, UpliftForestFit};
use tp_uplift::{
    CateModel, CausalForest, CausalForestModel, Diagnostics, DiagnosticsSummary, Divergence, LearnerKind,
    Method, Tuning, UpliftForest, UpliftForestModel, UpliftParams,
};

/// Every method, in the order the docs list them: the two forests, then the meta-learners
/// [`tp_uplift::Method::ALL`] registers.
pub fn methods() -> Vec<Method> {
    let forests = [Method::CausalForest, Method::UpliftForest];
    forests.into_iter().chain(Method::ALL.iter().copied().filter(|m| !forests.contains(m))).collect()
}

/// The name of `method` in configs and summaries (`causal_forest`, `dr`, …); the command line
/// spells it with `-` for `_`.
pub fn method_name(method: Method) -> &'static str {
    match method {
        Method::CausalForest => "causal_forest",
        Method::UpliftForest => "uplift_forest",
        meta => meta.name(),
    }
}

/// Parses a method by its name ([`method_name`], `-` and `_` alike); the error lists the names.
pub fn parse_method(s: &str) -> Result<Method, String> {
    let key = s.replace('-', "_");
    let methods = methods();
    methods.iter().copied().find(|&m| method_name(m) == key).ok_or_else(|| {
        let names: Vec<String> = methods.iter().map(|&m| format!("\"{}\"", method_name(m))).collect();
        format!("method = \"{s}\": expected one of {}", names.join(", "))
    })
}

/// Every base-learner family.
pub const LEARNERS: [LearnerKind; 3] = [LearnerKind::Linear, LearnerKind::Rf, LearnerKind::Gbt];

/// The name of a base-learner family in configs and on the command line.
pub fn learner_name(learner: LearnerKind) -> &'static str {
    match learner {
        LearnerKind::Linear => "linear",
        LearnerKind::Rf => "rf",
        LearnerKind::Gbt => "gbt",
    }
}

/// When the causal forest tunes its split rule and leaf size ([`Tuning`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tune {
    /// When the forest has at least 300 trees.
    Auto,
    /// Always.
    Always,
    /// Never: grf's gradient rule and 5 rows of every arm per leaf.
    Never,
}

impl Tune {
    /// Every choice.
    pub const ALL: [Tune; 3] = [Tune::Auto, Tune::Always, Tune::Never];

    /// Its name in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Tune::Auto => "auto",
            Tune::Always => "always",
            Tune::Never => "never",
        }
    }
}

impl From<Tune> for Tuning {
    fn from(t: Tune) -> Tuning {
        match t {
            Tune::Auto => Tuning::Auto,
            Tune::Always => Tuning::Always,
            Tune::Never => Tuning::Never,
        }
    }
}

/// Which intervals the causal forest writes ([`tp_uplift::Intervals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bands {
    /// τ̂ ± z·SE, the little-bags variance only (grf's and EconML's intervals; the default, with
    /// which the policy step's risk-adjusted rule was measured).
    Variance,
    /// Widened by the forest's estimated smoothing bias (issue 21; tp-uplift's `calibrate`).
    BiasAware,
}

impl Bands {
    /// Every choice.
    pub const ALL: [Bands; 2] = [Bands::Variance, Bands::BiasAware];

    /// Its name in configs (`tp uplift` spells `_` as `-`).
    pub fn name(self) -> &'static str {
        match self {
            Bands::Variance => "variance",
            Bands::BiasAware => "bias_aware",
        }
    }
}

impl From<Bands> for tp_uplift::Intervals {
    fn from(b: Bands) -> tp_uplift::Intervals {
        match b {
            Bands::Variance => tp_uplift::Intervals::Variance,
            Bands::BiasAware => tp_uplift::Intervals::BiasAware,
        }
    }
}

/// Split criterion of the uplift forest ([`Divergence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Kullback–Leibler divergence (causalml's default).
    Kl,
    /// Squared Euclidean distance.
    Ed,
    /// χ² divergence.
    Chi,
    /// Contextual treatment selection (the best arm's rate).
    Cts,
}

impl Criterion {
    /// Every criterion.
    pub const ALL: [Criterion; 4] = [Criterion::Kl, Criterion::Ed, Criterion::Chi, Criterion::Cts];

    /// Its name in configs, summaries and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Kl => "kl",
            Criterion::Ed => "ed",
            Criterion::Chi => "chi",
            Criterion::Cts => "cts",
        }
    }
}

impl From<Criterion> for Divergence {
    fn from(c: Criterion) -> Divergence {
        match c {
            Criterion::Kl => Divergence::Kl,
            Criterion::Ed => Divergence::Ed,
            Criterion::Chi => Divergence::Chi,
            Criterion::Cts => Divergence::Cts,
        }
    }
}

/// The forests' knobs besides their size: `[uplift.forest]` in a config, flags of `tp uplift`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForestSettings {
    /// Causal forest: trees of each nuisance forest (default max(50, trees/4), grf's).
    pub nuisance_trees: Option<usize>,
    /// Causal forest: when to tune the split rule and leaf size (default `auto`).
    pub tune: Tune,
    /// Causal forest: grow the final forest on the covariates a pilot forest found important
    /// (split frequency at least the mean; Athey & Wager 2019). Default false.
    pub select_variables: bool,
    /// Causal forest: `variance` (default) or `bias_aware` intervals.
    pub intervals: Bands,
    /// Uplift forest: split criterion (default `kl`).
    pub criterion: Criterion,
    /// Uplift forest: split levels (default 4).
    pub max_depth: usize,
    /// Uplift forest: fewest rows in a child (default 100).
    pub min_samples_leaf: usize,
    /// Uplift forest: fewest rows of every arm in a child (default 10).
    pub min_per_arm: usize,
    /// Uplift forest: features tried at each split (default 10).
    pub max_features: usize,
}

impl Default for ForestSettings {
    fn default() -> Self {
        ForestSettings {
            nuisance_trees: None,
            tune: Tune::Auto,
            select_variables: false,
            intervals: Bands::Variance,
            criterion: Criterion::Kl,
            max_depth: 4,
            min_samples_leaf: 100,
            min_per_arm: 10,
            max_features: 10,
        }
    }
}

/// Every setting of the uplift stage; [`Default`] holds `tp uplift`'s defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct UpliftSettings {
    /// The estimator.
    pub method: Method,
    /// Base learners of a meta-learner.
    pub learner: LearnerKind,
    /// Cross-fitting folds of a meta-learner (and of its out-of-fold τ̂).
    pub folds: usize,
    /// Bootstrap replicates of a meta-learner's τ̂ standard errors (0 = none).
    pub bootstrap: usize,
    /// Share of rows a meta-learner holds out for its ranking metrics.
    pub holdout_share: Option<f64>,
    /// A meta-learner's τ̂ of each row from a model fitted without it (stratified folds), as
    /// `tp run` prices its policy on; otherwise the model fitted on every row.
    pub out_of_fold: bool,
    /// Coverage of the τ̂ interval.
    pub level: f64,
    /// Forest trees (default 2000 for the causal forest, 100 for the uplift forest).
    pub trees: Option<usize>,
    /// The forests' other knobs.
    pub forest: ForestSettings,
    /// Seed.
    pub seed: u64,
}

impl Default for UpliftSettings {
    fn default() -> Self {
        UpliftSettings {
            method: Method::Dr,
            learner: LearnerKind::Linear,
            folds: 5,
            bootstrap: 0,
            holdout_share: None,
            out_of_fold: false,
            level: 0.9,
            trees: None,
            forest: ForestSettings::default(),
            seed: 0,
        }
    }
}

/// Where the data came from, for messages: the file and the role columns.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// File name (or description).
    pub file: &'a str,
    /// Treatment column.
    pub treatment: &'a str,
    /// Outcome column.
    pub outcome: &'a str,
}

/// The fitted model, kept for `--save-model`.
#[derive(Debug)]
pub enum Fitted {
    /// A meta-learner's CATE model.
    Meta(CateModel),
    /// The causal forest.
    CausalForest(Box<CausalForestModel>),
    /// The uplift forest.
    UpliftForest(Box<UpliftForestModel>),
}

/// What [`estimate`] returns.
#[derive(Debug)]
pub struct UpliftEstimate {
    /// τ̂ per row and treated arm, with standard errors, intervals and doubly robust scores where
    /// the method gives them.
    pub cate: Cate,
    /// The machine-readable summary (`tp uplift --json` without its timing).
    pub summary: Value,
    /// Identification diagnostics (absent for the uplift forest, which fits no propensity).
    pub diagnostics: Option<Diagnostics>,
    /// Outcome model per row and arm, `n × K` (OPE's reward model), where the method fits one.
    pub q_hat: Option<Mat<f64>>,
    /// Propensities per row and arm, `n × K` (logged when known, else estimated), where fitted.
    pub propensity: Option<Mat<f64>>,
    /// Variable importance by covariate, for the forests.
    pub importance: Option<Vec<(String, f64)>>,
    /// The model.
    pub fitted: Fitted,
}

impl UpliftEstimate {
    /// The savable model file of the fit (`settings` and `data` as given to [`estimate`]).
    pub fn into_model(self, settings: &UpliftSettings, data: &CausalData) -> Result<CateModel> {
        let names = data.feature_names().to_vec();
        let labels = data.arm_labels().to_vec();
        Ok(match self.fitted {
            Fitted::Meta(m) => m,
            Fitted::CausalForest(model) => {
                let params =
                    json!({ "method": "causal-forest", "trees": model.n_trees(), "level": settings.level });
                CateModel::from_causal_forest(*model, names, labels, params, settings.seed)?
            }
            Fitted::UpliftForest(model) => {
                let params = json!({
                    "method": "uplift-forest",
                    "criterion": self.summary["criterion"],
                    "trees": model.n_trees(),
                    "max_depth": settings.forest.max_depth,
                    "min_samples_leaf": settings.forest.min_samples_leaf,
                    "min_per_arm": settings.forest.min_per_arm,
                    "max_features": settings.forest.max_features,
                });
                CateModel::from_uplift_forest(*model, names, labels, params, settings.seed)?
            }
        })
    }
}

fn importance(data: &CausalData, values: &[f64]) -> Vec<(String, f64)> {
    data.feature_names().iter().cloned().zip(values.iter().copied()).collect()
}

/// Estimates the effects of `data`'s arms (`arms` holds their labels) with `settings`.
pub fn estimate(
    settings: &UpliftSettings,
    data: &CausalData,
    arms: &Arms,
    source: Source<'_>,
) -> Result<UpliftEstimate> {
    let s = settings;
    if !(s.level > 0.0 && s.level < 1.0) {
        bail!("level {}: expected a coverage in (0, 1), e.g. 0.9", s.level);
    }
    match s.method {
        Method::CausalForest => causal_forest(s, data, arms, source),
        Method::UpliftForest => uplift_forest(s, data, arms, source),
        m => meta(s, m, data, arms, source),
    }
}

fn meta(
    s: &UpliftSettings,
    method: Method,
    data: &CausalData,
    arms: &Arms,
    source: Source<'_>,
) -> Result<UpliftEstimate> {
    if s.out_of_fold && (s.bootstrap > 0 || s.holdout_share.is_some()) {
        bail!("out-of-fold τ̂ goes with neither a bootstrap nor a holdout share: drop one of them");
    }
    let mut params =
        UpliftParams::with_learners(method, s.learner).seed(s.seed).folds(s.folds).n_boot(s.bootstrap);
    if let Some(h) = s.holdout_share {
        params = params.holdout_share(h);
    }
    let fit = params.fit(data).with_context(|| source.file.to_string())?;
    let gamma = fit.scores(data)?;
    // τ̂ fitted on the rows whose DR scores then price the policy overfits their noise and
    // inflates the estimated profit: `out_of_fold` takes each row's τ̂ from a model without it
    let tau = if s.out_of_fold { out_of_fold_tau(&params, data, s.folds, s.seed)? } else { fit.tau.clone() };
    let bounds = fit.tau_se.as_ref().map(|se| normal_bounds(&tau, se, s.level));
    let mut summary = serde_json::to_value(fit.summary())?;
    summary["n"] = json!(data.n());
    summary["covariates"] = json!(data.feature_names());
    Ok(UpliftEstimate {
        cate: Cate { arms: arms.labels().to_vec(), tau, se: fit.tau_se.clone(), bounds, gamma: Some(gamma) },
        summary,
        diagnostics: Some(fit.diagnostics.clone()),
        q_hat: Some(fit.nuisances.outcome.clone()),
        propensity: Some(fit.nuisances.propensity.clone()),
        importance: None,
        fitted: Fitted::Meta(fit.model),
    })
}

/// τ̂ for every row from a CATE model fitted without that row (stratified folds).
fn out_of_fold_tau(params: &UpliftParams, data: &CausalData, k: usize, seed: u64) -> Result<Mat<f64>> {
    let folds = tp_core::Folds::stratified(
        data.arms(),
        data.n_arms(),
        k,
        tp_core::rng::derive_seed_str(seed, "demo-oof"),
    )?;
    let mut tau = Mat::<f64>::zeros(data.n(), data.n_arms() - 1);
    for f in 0..folds.k() {
        let fit = params.fit(&data.subset(&folds.train(f))?)?;
        let test = folds.test(f);
        let t = fit.model.predict(data.subset(test)?.covariates())?;
        for (r, &i) in test.iter().enumerate() {
            for a in 0..t.ncols() {
                tau[(i, a)] = t[(r, a)];
            }
        }
    }
    Ok(tau)
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

/// Out-of-bag τ̂ of every treated arm with little-bags intervals, the forest's doubly robust
/// ATEs, overlap diagnostics from its propensity forest, and AIPW scores from its centering
/// nuisances.
fn causal_forest(
    s: &UpliftSettings,
    data: &CausalData,
    arms: &Arms,
    source: Source<'_>,
) -> Result<UpliftEstimate> {
    let file = source.file;
    // see MIN_ROWS_PER_ARM for why
    if let Some((a, count)) = tp_uplift::forest_run::sparse_arm(data) {
        bail!(
            "{file}: arm '{}' of column '{}' has {count} rows; the causal forest needs at least \
             {MIN_ROWS_PER_ARM} rows of every arm: merge it into another arm or drop its rows",
            arms.labels()[a],
            source.treatment,
        );
    }
    // Variance-only bands by default (tp-uplift's library default is bias-aware, issue 21): the
    // policy step's risk-adjusted candidates read these lower bounds and were measured with them.
    // The forest's self-check below says when they look too narrow.
    let mut params = CausalForest::params()
        .n_trees(s.trees.unwrap_or(2000))
        .tune(s.forest.tune.into())
        .intervals(s.forest.intervals.into())
        .select_variables(s.forest.select_variables)
        .seed(s.seed);
    if let Some(m) = s.forest.nuisance_trees {
        params = params.nuisance_trees(m);
    }
    let ForestFit { model, oob, mu, e, .. } =
        tp_uplift::forest_run::fit_forest(&params, data, s.level).with_context(|| file.to_string())?;
    let (n, d) = (data.n(), model.n_treated());
    let gamma = tp_core::aipw_scores(data.outcome(), data.arms(), mu.as_ref(), e.as_ref())?;
    let propensity = data.propensity().map_or(e, |p| p.to_owned());
    let diagnostics = tp_uplift::diagnostics::diagnose(
        data,
        propensity.as_ref(),
        data.propensity().is_some(),
        &tp_uplift::DiagnosticsParams::default(),
    )?;
    let labels = arms.labels();
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
    let importance = importance(data, model.variable_importance());
    let mut summary = json!({
        "method": "causal_forest",
        "ate": effects[0].ate,
        "ate_se": effects[0].ate_se,
        "arms": labels,
        "effects": effects,
        "diagnostics": DiagnosticsSummary::from(&diagnostics),
        "covariates": data.feature_names(),
        "variable_importance": importance,
        "n": n,
        "trees": model.n_trees(),
    });
    if let Some(t) = model.tuning() {
        summary["tuning"] = serde_json::to_value(t)?;
    }
    // the self-check (tp-uplift forest::calibrate): BLP slope of the out-of-bag DR scores on τ̂ and
    // the coverage that variance-only 90% intervals should have under the bias the slope implies
    let calibration: Vec<Value> = model
        .calibration()
        .iter()
        .enumerate()
        .map(|(k, c)| {
            json!({
                "arm": labels[k + 1], "blp_slope": c.slope, "blp_slope_se": c.slope_se,
                "estimated_variance_coverage_90": c.variance_coverage_90,
            })
        })
        .collect();
    let warnings: Vec<String> = model
        .calibration()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.variance_coverage_90 < NARROW_COVERAGE)
        .map(|(k, c)| {
            format!(
                "{} vs {}: the effect intervals look too narrow: the doubly robust scores put the calibration slope at \
                 {:.2} ± {:.2}, so the forest's 90% intervals would hold the true effect for only about {:.0}% of \
                 customers; read per-customer bands (and rules built on them) as optimistic",
                labels[k + 1],
                labels[0],
                c.slope,
                c.slope_se,
                100.0 * c.variance_coverage_90
            )
        })
        .collect();
    summary["intervals"] = serde_json::to_value(model.interval_kind())?;
    summary["calibration"] = json!(calibration);
    summary["interval_warnings"] = json!(warnings);
    let col = |f: fn(&tp_uplift::ForestPrediction) -> &Vec<f64>| Mat::from_fn(n, d, |i, k| f(&oob[k])[i]);
    let cate = Cate {
        arms: labels.to_vec(),
        tau: col(|p| &p.tau),
        se: Some(col(|p| &p.tau_se)),
        bounds: Some((col(|p| &p.tau_lo), col(|p| &p.tau_hi))),
        gamma: Some(gamma),
    };
    Ok(UpliftEstimate {
        cate,
        summary,
        diagnostics: Some(diagnostics),
        q_hat: Some(mu),
        propensity: Some(propensity),
        importance: Some(importance),
        fitted: Fitted::CausalForest(Box::new(model)),
    })
}

/// Below this estimated coverage of variance-only 90% intervals the causal forest's self-check warns.
const NARROW_COVERAGE: f64 = 0.85;

/// Out-of-bag uplift of every row with little-bags intervals, one set of columns per treated
/// arm.
fn uplift_forest(
    s: &UpliftSettings,
    data: &CausalData,
    arms: &Arms,
    source: Source<'_>,
) -> Result<UpliftEstimate> {
    let file = source.file;
    if let Some(row) = data.outcome().iter().position(|&v| v != 0.0 && v != 1.0) {
        bail!(
            "{file}: the uplift forest needs a 0/1 outcome, but column '{}' is {} at data row {} \
             (1 = first row after the header); recode it to 0/1 or use the causal forest or a meta-learner",
            source.outcome,
            data.outcome()[row],
            row + 1
        );
    }
    let params = UpliftForest::params()
        .criterion(s.forest.criterion.into())
        .n_trees(s.trees.unwrap_or(100))
        .max_depth(s.forest.max_depth)
        .min_samples_leaf(s.forest.min_samples_leaf)
        .min_samples_treatment(s.forest.min_per_arm)
        .max_features(s.forest.max_features)
        .seed(s.seed);
    let UpliftForestFit { model, oob, .. } =
        tp_uplift::forest_run::fit_uplift_forest(&params, data, s.level).with_context(|| file.to_string())?;
    let labels = arms.labels();
    let mut observed = vec![(0.0, 0.0); labels.len()];
    for (&a, &y) in data.arms().iter().zip(data.outcome()) {
        observed[a].0 += y;
        observed[a].1 += 1.0;
    }
    let col = |m: &Mat<f64>, k: usize| m.col(k).iter().copied().collect::<Vec<f64>>();
    let importance = importance(data, model.feature_importance());
    let summary = json!({
        "method": "uplift_forest",
        "criterion": s.forest.criterion.name(),
        "arms": labels,
        "mean_uplift": (0..labels.len() - 1).map(|k| tp_core::stats::mean(&col(&oob.tau, k))).collect::<Vec<_>>(),
        "observed_rate": observed.iter().map(|(s, n)| if *n > 0.0 { s / n } else { f64::NAN }).collect::<Vec<_>>(),
        "covariates": data.feature_names(),
        "variable_importance": importance,
        "n": data.n(),
        "trees": model.n_trees(),
        "max_depth": s.forest.max_depth,
        "level": s.level,
        // the trees are not honest: the little-bags intervals leave out split adaptivity and bias
        "intervals": "approximate",
    });
    Ok(UpliftEstimate {
        cate: Cate {
            arms: labels.to_vec(),
            tau: oob.tau,
            se: Some(oob.se),
            bounds: Some((oob.lo, oob.hi)),
            gamma: None,
        },
        summary,
        diagnostics: None,
        q_hat: None,
        propensity: None,
        importance: Some(importance),
        fitted: Fitted::UpliftForest(Box::new(model)),
    })
}

/// The effect estimates.
#[derive(Debug, Clone)]
pub struct UpliftResult {
    /// The uplift block of summary.json.
    pub summary: serde_json::Value,
    /// Full identification diagnostics (histograms, balance).
    pub diagnostics: tp_uplift::Diagnostics,
    /// τ̂ per row and treated arm, with standard errors and intervals when the method gives them,
    /// and AIPW scores per row and arm (always there: [`UpliftResult::gamma`]).
    pub cate: Cate,
    /// Outcome model per row and arm (OPE's reward model).
    pub q_hat: Mat<f64>,
    /// Propensities per row and arm (logged when known, else estimated).
    pub propensity: Mat<f64>,
    /// Whether the propensities were logged (else estimated).
    pub propensity_logged: bool,
    /// The causal forest's variable importance (split frequency) by covariate, when a forest ran.
    pub importance: Option<Vec<(String, f64)>>,
}

impl UpliftResult {
    /// The AIPW scores per row and arm, `n × K`.
    pub fn gamma(&self) -> tp_core::faer::MatRef<'_, f64> {
        self.cate.gamma.as_ref().expect("uplift_step always fills in the AIPW scores").as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip_and_unknown_ones_list_the_choices() {
        for m in methods() {
            assert_eq!(parse_method(method_name(m)), Ok(m));
            assert_eq!(parse_method(&method_name(m).replace('_', "-")), Ok(m));
        }
        let e = parse_method("forest").unwrap_err();
        assert!(e.contains("\"forest\"") && e.contains("\"causal_forest\"") && e.contains("\"dr\""), "{e}");
    }
}
