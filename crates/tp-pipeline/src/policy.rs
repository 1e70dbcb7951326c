//! The policy driver: from the uplift step's effects to whom to send what.
//!
//! [`decide`] is the pipeline's policy step (`tp run`, `tp demo`, Python's `tp.run`): the
//! decision score (τ̂ or its cross-fitted linear projection, by R-loss), the policy's own doubly
//! robust scores (propensities clipped to `policy.propensity_clip`), the learned policy when
//! `policy.rule = "threshold"` (candidates priced out of fold), the plan with its profit curve,
//! and the interpretable policy tree. [`plan`] is the part `tp policy` shares with it: a rule
//! from [`PlanSettings`] applied to effects and scores given as views.

use crate::config::{PolicyConfig, expand_columns};
use crate::uplift::UpliftResult;
use anyhow::{Context, Result, bail};
use serde::Serialize;
use tp_core::faer::Mat;
use tp_core::{CausalData, Economics, Table};
use tp_policy::{
    LearnInputs, LearnParams, Plan, PolicyInputs, PolicyParams, PolicyTreeParams, Rule, Selection,
    learn_policy,
};

/// The policy's decision score, for summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSummary {
    /// `raw` (τ̂) or `linear` (its cross-fitted projection on the uplift covariates).
    pub chosen: &'static str,
    /// How it was chosen (`auto`: lower R-loss; or forced by `policy.score`).
    pub mode: &'static str,
    /// R-loss of τ̂.
    pub r_loss_raw: f64,
    /// R-loss of the projection.
    pub r_loss_linear: f64,
    /// Paired SE of their difference.
    pub r_loss_diff_se: f64,
}

impl ScoreSummary {
    fn from_smoothing(s: &tp_uplift::CateSmoothing, mode: tp_uplift::SmoothMode) -> Self {
        Self {
            chosen: s.chosen.name(),
            mode: mode.name(),
            r_loss_raw: s.r_loss_raw,
            r_loss_linear: s.r_loss_linear,
            r_loss_diff_se: s.r_loss_diff_se,
        }
    }
}

/// A targeting rule and its economics, as `tp policy`'s flags and `[policy]` give them.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    /// Margin, cost per treatment arm, fixed cost.
    pub economics: Economics,
    /// Threshold, top share or budget.
    pub rule: Rule,
    /// Weight λ ∈ [0, 1] on the lower bound of τ̂.
    pub risk_lambda: f64,
    /// Grid points of the profit curve.
    pub curve_points: usize,
    /// Depth of a policy tree whose arms replace the rule's (`None`: no tree).
    pub tree_depth: Option<usize>,
    /// Seed of the tree's fold split.
    pub seed: u64,
}

impl PlanSettings {
    /// `rule` on `economics` with tp-policy's defaults: no risk adjustment, 101 curve points, no
    /// tree, seed 0.
    pub fn new(economics: Economics, rule: Rule) -> Self {
        let d = PolicyParams::new(economics);
        PlanSettings {
            rule,
            risk_lambda: d.risk_lambda,
            curve_points: d.curve_points,
            tree_depth: None,
            seed: d.seed,
            economics: d.economics,
        }
    }

    /// The settings of the `[policy]` block of a config (its tree left out: [`decide`] fits
    /// the tree as a second plan).
    pub fn from_config(config: &PolicyConfig, economics: Economics, seed: u64) -> Self {
        PlanSettings {
            economics,
            rule: match config.rule.as_str() {
                "top_share" => Rule::TopShare(config.top_share.unwrap_or(0.0)),
                "budget" => Rule::Budget(config.budget.unwrap_or(0.0)),
                _ => Rule::Threshold,
            },
            risk_lambda: config.risk_lambda,
            curve_points: config.curve_points,
            tree_depth: None,
            seed,
        }
    }

    fn params(&self) -> PolicyParams {
        let mut p = PolicyParams::new(self.economics.clone());
        p.seed = self.seed;
        p.risk_lambda = self.risk_lambda;
        p.curve_points = self.curve_points;
        p.rule = self.rule;
        p.tree = self.tree_depth.map(PolicyTreeParams::new);
        p
    }
}

/// Applies the rule of `settings` to `inputs` (τ̂, its lower bounds, DR scores, covariates as
/// views): the assignment, its profit and the profit curve.
pub fn plan(settings: &PlanSettings, inputs: &PolicyInputs<'_>) -> Result<Plan> {
    Ok(tp_policy::plan(&settings.params(), inputs)?)
}

/// What the policy step reads: the causal data, the uplift step's results and the customer
/// features, all borrowed.
#[derive(Debug, Clone, Copy)]
pub struct PolicyData<'a> {
    /// Covariates, outcome and logged arms of the campaign rows.
    pub data: &'a CausalData,
    /// τ̂ (and its bounds), propensities, outcome models, diagnostics, forest importance.
    pub uplift: &'a UpliftResult,
    /// Customer features in campaign order (the trees' covariates come from here).
    pub features: &'a Table,
    /// Their names.
    pub feature_names: &'a [&'a str],
    /// The segment features (the trees' default covariates).
    pub segment_features: &'a [String],
    /// Segment of each row.
    pub segment_labels: &'a [usize],
}

/// The learned policy's inputs, kept so that its candidates can be refit (the truth step).
#[derive(Debug, Clone)]
pub struct Learner {
    /// Its parameters.
    pub params: LearnParams,
    tau: Mat<f64>,
    lower: Option<Mat<f64>>,
    gamma: Mat<f64>,
    covariates: Mat<f64>,
    names: Vec<String>,
    /// Every tree feature (unscreened): what the one-column rule may target by.
    columns: Mat<f64>,
    column_names: Vec<String>,
}

impl Learner {
    /// The learner's inputs as views; `uplift` gives current practice and the overlap.
    pub fn inputs<'a>(&'a self, uplift: &'a UpliftResult) -> LearnInputs<'a> {
        LearnInputs {
            tau: self.tau.as_ref(),
            lower: self.lower.as_ref().filter(|_| self.tau.ncols() == 1).map(|m| m.as_ref()),
            gamma: self.gamma.as_ref(),
            covariates: Some(self.covariates.as_ref()),
            feature_names: Some(&self.names),
            columns: Some(self.columns.as_ref()),
            column_names: Some(&self.column_names),
            current: uplift.propensity_logged.then(|| uplift.propensity.as_ref()),
            overlap_share: Some(uplift.diagnostics.overlap_share),
        }
    }
}

/// What the policy step decided.
#[derive(Debug, Clone)]
pub struct Decision {
    /// The plan: the assignment, its profit and the profit curve.
    pub plan: Plan,
    /// The learned policy's candidates, choice and honest value (`policy.rule = "threshold"`).
    pub selection: Option<Selection>,
    /// The policy tree's plan, when `policy.tree_depth > 0`.
    pub tree_plan: Option<Plan>,
    /// Covariates the candidate policy trees could split on.
    pub tree_screen: Vec<String>,
    /// The score the policy decided on and the R-losses behind it.
    pub score: ScoreSummary,
    /// The learned policy's inputs (whether or not it ran: the truth step refits its candidates
    /// only when [`Decision::selection`] is set).
    pub learner: Learner,
}

/// Checks `policy.propensity_clip`.
pub fn check_propensity_clip(clip: f64) -> Result<()> {
    if !(0.0..0.5).contains(&clip) {
        bail!("policy.propensity_clip = {clip}: expected a share in [0, 0.5), e.g. 0.01");
    }
    Ok(())
}

/// The pipeline's policy step: decision score, DR scores, learned policy, plan and tree.
pub fn decide(
    config: &PolicyConfig,
    seed: u64,
    economics: &Economics,
    d: PolicyData<'_>,
) -> Result<Decision> {
    let (data, uplift) = (d.data, d.uplift);
    check_propensity_clip(config.propensity_clip)?;
    // the decision score: τ̂ or its cross-fitted linear projection on the covariates, by R-loss
    let smoothing = tp_uplift::smooth_cate(
        data.covariates(),
        uplift.cate.tau.as_ref(),
        data.outcome(),
        data.arms(),
        uplift.propensity.as_ref(),
        uplift.q_hat.as_ref(),
        &tp_uplift::SmoothParams {
            seed: tp_core::rng::derive_seed_str(seed, "policy-score"),
            mode: config.score,
            ..tp_uplift::SmoothParams::default()
        },
    )
    .context("policy.score")?;
    let score = ScoreSummary::from_smoothing(&smoothing, config.score);
    let tau = smoothing.tau;
    // the interval keeps its half-width around the decision score
    let lower = uplift.cate.bounds.as_ref().map(|(lo, _)| {
        Mat::from_fn(lo.nrows(), lo.ncols(), |i, a| tau[(i, a)] - (uplift.cate.tau[(i, a)] - lo[(i, a)]))
    });
    // the policy's DR scores: the uplift step's outcome models, propensities clipped to the band
    let clip = config.propensity_clip;
    let e = uplift.propensity.as_ref();
    let e_clip = Mat::from_fn(e.nrows(), e.ncols(), |i, a| e[(i, a)].clamp(clip, 1.0 - clip));
    let gamma = tp_core::aipw_scores(data.outcome(), data.arms(), uplift.q_hat.as_ref(), e_clip.as_ref())?;
    let tree_features = match &config.tree_features {
        Some(p) => expand_columns(p, d.feature_names, "policy.tree_features")?,
        None => d.segment_features.to_vec(),
    };
    let x_tree = d.features.to_matrix(&tree_features.iter().map(String::as_str).collect::<Vec<_>>())?;
    let tree_screen = screen(&tree_features, uplift.importance.as_deref(), config.tree_screen);
    let x_screen = d.features.to_matrix(&tree_screen.iter().map(String::as_str).collect::<Vec<_>>())?;
    let mut params = LearnParams::new(economics.clone());
    params.learner = config.learner;
    params.folds = config.folds;
    params.margin_se = config.margin_se;
    params.min_leaf_share = config.min_leaf_share;
    params.level = config.profit_level;
    params.min_overlap_dr = config.min_overlap_dr;
    params.seed = seed;
    if config.risk_lambda > 0.0 {
        params.risk_lambda = config.risk_lambda;
    }
    let learner = Learner {
        params,
        tau,
        lower,
        gamma,
        covariates: x_screen,
        names: tree_screen.clone(),
        columns: x_tree.clone(),
        column_names: tree_features.clone(),
    };
    let selection = if config.rule == "threshold" {
        Some(learn_policy(&learner.params, &learner.inputs(uplift)).context("policy learner")?)
    } else {
        None
    };

    let seg_labels: Vec<String> = d.segment_labels.iter().map(|l| format!("segment_{l}")).collect();
    let mut inputs = PolicyInputs::new(learner.tau.as_ref());
    inputs.gamma = Some(learner.gamma.as_ref());
    inputs.current = Some(data.arms());
    inputs.segments = Some(&seg_labels);
    if config.risk_lambda > 0.0 {
        inputs.lower = Some(
            learner
                .lower
                .as_ref()
                .context("policy.risk_lambda needs τ̂ intervals: use uplift.method = \"causal_forest\"")?
                .as_ref(),
        );
    }
    if let Some(sel) = &selection {
        inputs.assignment = Some((&sel.assignment, sel.chosen.name()));
    }
    let settings = PlanSettings::from_config(config, economics.clone(), seed);
    let plan = self::plan(&settings, &inputs).context("policy")?;
    let tree_plan = if config.tree_depth > 0 {
        let tree_settings = PlanSettings { tree_depth: Some(config.tree_depth), ..settings };
        let mut tinputs = inputs;
        tinputs.assignment = None;
        tinputs.covariates = Some(x_tree.as_ref());
        tinputs.feature_names = Some(&tree_features);
        Some(self::plan(&tree_settings, &tinputs).context("policy tree")?)
    } else {
        None
    };
    Ok(Decision { plan, selection, tree_plan, tree_screen, score, learner })
}

/// The `k` of `features` the forest split on most (ties in feature order); all of them when
/// `k` is 0 or no importance is known.
fn screen(features: &[String], importance: Option<&[(String, f64)]>, k: usize) -> Vec<String> {
    let Some(imp) = importance.filter(|_| k > 0 && k < features.len()) else {
        return features.to_vec();
    };
    let score = |f: &String| imp.iter().find(|(n, _)| n == f).map_or(0.0, |(_, v)| *v);
    let mut order: Vec<usize> = (0..features.len()).collect();
    order.sort_by(|&a, &b| score(&features[b]).total_cmp(&score(&features[a])));
    let mut keep: Vec<usize> = order.into_iter().take(k).collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| features[i].clone()).collect()
}
