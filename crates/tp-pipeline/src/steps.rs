//! The pipeline's steps, in order, each reading the config and the results
//! before it.

use crate::config::{Count, expand_columns};
use crate::design::DesignSettings;
use crate::inputs::{Inputs, Named, gather, join_rows};
use crate::ope::OpeSettings;
use crate::policy::{Decision, PolicyData, ScoreSummary};
use crate::truth::{Truth, TruthInputs};
use crate::uplift::{self, Source, UpliftResult, UpliftSettings};
use crate::{Config, Progress};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::path::Path;
use tp_core::{CausalData, Column, Table, contrast_scores};
use tp_io::causal::Arms;
use tp_io::causal::{Roles, causal_data};
use tp_ope::{Comparison, Design, Estimator, LoggingPropensity, OpeInput, OpeReport, TargetPolicy};
use tp_policy::{Economics, Plan, Selection};
use tp_segment::{Choice, SegmentPipeline, SegmentResult};
use tp_uplift::evaluate::curves::Curve;

/// What profiling produced.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    /// Events read.
    pub events: usize,
    /// Customers profiled.
    pub customers: usize,
    /// Profile columns.
    pub columns: usize,
    /// Campaign customers without any event (profile features 0).
    pub campaign_customers_without_events: usize,
    /// Day the profiles describe (events after it are left out).
    pub as_of: f64,
    /// Where `as_of` came from: `profile.as_of`, `campaign start - 1` or `last event day`.
    pub as_of_source: &'static str,
    /// First day of the outcome window, when known (`campaign.start_day` or its column).
    pub campaign_start_day: Option<f64>,
}

/// GATE of one treated arm by segment.
#[derive(Debug, Clone, Serialize)]
pub struct GateByArm {
    /// Treated arm.
    pub arm: String,
    /// One entry per segment.
    pub by_segment: Vec<GateRow>,
}

/// GATE of one segment.
#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    /// Segment id.
    pub segment: usize,
    /// Rows.
    pub n: usize,
    /// Mean doubly robust effect score.
    pub estimate: f64,
    /// Its SE.
    pub se: f64,
}

/// Everything the pipeline computed.
#[derive(Debug)]
pub struct Outcome {
    /// Rows (campaign customers).
    pub n: usize,
    /// Arm labels, control first.
    pub arms: Vec<String>,
    /// Break-even effect per treated arm.
    pub breakeven: Vec<f64>,
    /// Profiling, when done.
    pub profile: Option<ProfileSummary>,
    /// Segment feature names.
    pub segment_features: Vec<String>,
    /// The segmentation.
    pub segments: SegmentResult,
    /// Effects.
    pub uplift: UpliftResult,
    /// GATE by segment.
    pub gates: Vec<GateByArm>,
    /// Doubly robust gain curve of the ranking by τ̂ (first treated arm): the summed DR
    /// effect scores of the top k customers.
    pub qini: Curve,
    /// Targeting operator characteristic of the same ranking on the DR scores.
    pub uplift_curve: Curve,
    /// The policy.
    pub plan: Plan,
    /// The learned policy's candidates, choice and honest value (`policy.rule = "threshold"`).
    pub selection: Option<Selection>,
    /// Covariates the candidate policy trees could split on.
    pub tree_screen: Vec<String>,
    /// The score the policy decided on (τ̂ or its linear projection) and the R-losses behind it.
    pub score: ScoreSummary,
    /// The policy tree's plan, when `policy.tree_depth > 0`.
    pub tree_plan: Option<Plan>,
    /// Off-policy estimates of the policy.
    pub ope: OpeReport,
    /// The policy against treat-none / treat-all / current, by DR.
    pub comparisons: Vec<Comparison>,
    /// The confirming A/B test.
    pub design: Design,
    /// The outcome SD the design used.
    pub design_sd: f64,
    /// True profits, when a truth file was given.
    pub truth: Option<Truth>,
    /// Seconds of the whole run.
    pub seconds: f64,
}

fn choice(c: Count) -> Choice {
    match c {
        Count::Fixed(k) => Choice::Fixed(k),
        Count::Auto(_) => Choice::Auto { min: 2, max: 10 },
    }
}

/// Checks the config's values before any work is done.
pub fn validate(config: &Config) -> Result<(f64, Vec<f64>)> {
    let margin = config.policy.margin.context(
        "policy.margin is missing: the value of one unit of outcome, e.g. margin = 0.3 for a 30% gross margin on spend",
    )?;
    let cost = config.policy.cost.clone().context(
        "policy.cost is missing: the cost per treated customer of each treatment arm, e.g. cost = [12.73]",
    )?;
    Economics::new(margin, cost.clone()).context("policy.margin / policy.cost")?;
    if !(config.uplift.interval_level > 0.0 && config.uplift.interval_level < 1.0) {
        bail!(
            "uplift.interval_level = {}: expected a coverage in (0, 1), e.g. 0.9",
            config.uplift.interval_level
        );
    }
    match config.policy.rule.as_str() {
        "threshold" => {}
        "top_share" if config.policy.top_share.is_some() => {}
        "budget" if config.policy.budget.is_some() => {}
        "top_share" => bail!("policy.rule = \"top_share\" needs policy.top_share, e.g. top_share = 0.3"),
        "budget" => bail!("policy.rule = \"budget\" needs policy.budget, e.g. budget = 10000"),
        other => bail!("policy.rule = \"{other}\": expected \"threshold\", \"top_share\" or \"budget\""),
    }
    if !["spend", "count"].contains(&config.profile.weight.as_str()) {
        bail!("profile.weight = \"{}\": expected \"spend\" or \"count\"", config.profile.weight);
    }
    Ok((margin, cost))
}

fn write(out: &Path, name: &str, table: &Table) -> Result<()> {
    tp_io::write_table(out.join(name), table)
        .with_context(|| format!("cannot write {}", out.join(name).display()))
}

/// Runs every step.
pub fn run(config: &Config, inputs: &Inputs, out: &Path, progress: &mut dyn Progress) -> Result<Outcome> {
    let (margin, cost) = validate(config)?;
    let id = config.data.id.as_str();
    let n = inputs.campaign.table.n_rows();
    // a single table without ids (an experiment's file): number the rows
    let numbered;
    let campaign = if inputs.campaign.table.position(id).is_none()
        && inputs.customers.is_none()
        && inputs.events.is_none()
        && inputs.truth.is_none()
    {
        let mut t = inputs.campaign.table.clone();
        t.push(Column::i64(id, (0..n as i64).collect()))?;
        numbered = Named { table: t, name: inputs.campaign.name.clone() };
        &numbered
    } else {
        &inputs.campaign
    };

    // customer features: customers (or the campaign log itself) + profiles, in campaign order
    let mut features = match &inputs.customers {
        Some(customers) => gather(&customers.table, &join_rows(campaign, customers, id, true)?, id)?,
        None => gather(&campaign.table, &(0..n).map(Some).collect::<Vec<_>>(), id)?,
    };
    let mut profile_summary = None;
    let mut profile_names: Vec<String> = Vec::new();
    if let Some((events, catalog)) = &inputs.events {
        progress.step("profiling customers from their events (L1/L2/L3)");
        let mut params = tp_profile::ProfileParams::default()
            .half_life_days(config.profile.half_life_days)
            .shrinkage_strength(config.profile.shrinkage)
            .weight(if config.profile.weight == "count" {
                tp_profile::Weight::Count
            } else {
                tp_profile::Weight::Spend
            });
        let start = crate::window::campaign_start(config, campaign)?;
        let as_of = crate::window::profile_as_of(config, start.as_ref())?;
        if let Some(d) = as_of {
            params = params.as_of(d);
        }
        let crate::profile::Profiled { state, profiles, .. } = crate::profile::profile(
            crate::profile::Start::Fresh(params),
            &catalog.table,
            &catalog.name,
            [Ok(std::borrow::Cow::Borrowed(&events.table))],
            &events.name,
        )
        .with_context(|| format!("profiling {} with {}", events.name, catalog.name))?;
        if start.is_none() {
            let names: Vec<String> = profiles.table().names().iter().map(|s| s.to_string()).collect();
            crate::window::check_unknown_start(config, &names)?;
        }
        write(out, "profiles.csv", profiles.table())?;
        let named = Named { table: profiles.table().clone(), name: "profiles (from data.events)".into() };
        let rows = join_rows(campaign, &named, id, false)?;
        let missing = rows.iter().filter(|r| r.is_none()).count();
        let gathered = gather(&named.table, &rows, id)?;
        for c in gathered.columns() {
            if features.position(&c.name).is_none() {
                profile_names.push(c.name.clone());
                features.push(c.clone())?;
            }
        }
        profile_summary = Some(ProfileSummary {
            events: events.table.n_rows(),
            customers: profiles.len(),
            columns: profiles.table().n_cols() - 1,
            campaign_customers_without_events: missing,
            as_of: state.as_of(),
            as_of_source: match (config.profile.as_of, &start) {
                (Some(_), _) => "profile.as_of",
                (None, Some(_)) => "campaign start - 1",
                (None, None) => "last event day",
            },
            campaign_start_day: start.map(|s| s.day),
        });
    }
    let feature_names: Vec<&str> = features.names();

    progress.step("segmenting customers (NMF → K-Means)");
    let seg_features = expand_columns(&config.segment.features, &feature_names, "segment.features")?;
    let seg_refs: Vec<&str> = seg_features.iter().map(String::as_str).collect();
    let x_seg = features.to_matrix(&seg_refs).context("segment.features")?;
    let value = if config.segment.value.is_empty() {
        None
    } else {
        Some(
            features
                .f64_values(&config.segment.value)
                .with_context(|| {
                    format!(
                        "segment.value = \"{}\": set it to a numeric column or to \"\"",
                        config.segment.value
                    )
                })?
                .into_owned(),
        )
    };
    let params = SegmentPipeline::params()
        .factors(choice(config.segment.factors))
        .clusters(choice(config.segment.clusters))
        .stability_runs(config.segment.stability_runs)
        .seed(config.seed);
    let ids = campaign.table.column(id)?.clone();
    let crate::segment::Segmented { result: seg, table: seg_table } =
        crate::segment::segment(&params, x_seg.as_ref(), &seg_features, value.as_deref(), &ids)
            .context("segment.features must be non-negative numbers (NMF)")?;
    write(out, "segments.csv", &seg_table)?;

    progress.step(&format!(
        "estimating uplift ({}: diagnostics, ATE, CATE)",
        uplift::method_name(config.uplift.method)
    ));
    let single_table = inputs.customers.is_none();
    let uplift = uplift_step(config, campaign, &features, &profile_names, &seg_table, single_table)?;
    let (data, arms) = &uplift.1;
    let uplift = uplift.0;
    let n_arms = arms.len();
    if cost.len() != n_arms - 1 {
        bail!(
            "policy.cost lists {} cost(s) but the campaign has {} treatment arm(s) ({}); give one cost per arm after control",
            cost.len(),
            n_arms - 1,
            arms.labels()[1..].join(", ")
        );
    }
    write(out, "cate.csv", &uplift.cate.to_table(Some(&ids))?)?;
    let gates = (1..n_arms)
        .map(|a| -> Result<GateByArm> {
            let g = tp_uplift::evaluate::calibration::gate(&contrast_scores(uplift.gamma(), a), &seg.labels)?;
            Ok(GateByArm {
                arm: arms.labels()[a].clone(),
                by_segment: g
                    .iter()
                    .map(|g| GateRow { segment: g.group, n: g.n, estimate: g.estimate, se: g.se })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // ranking curves of the first treated arm on the cross-fitted DR scores: under confounding the
    // logged outcomes mix who was treated with how well τ̂ ranks
    let d_first = contrast_scores(uplift.gamma(), 1);
    let s_first: Vec<f64> = uplift.cate.tau.col(0).iter().copied().collect();
    let qini = tp_uplift::evaluate::curves::dr_gain_curve(&d_first, &s_first)?;
    let uplift_curve = tp_uplift::evaluate::curves::dr_toc_curve(&d_first, &s_first)?;

    progress.step("choosing whom to treat (candidates priced out of fold, profit curve, policy tree)");
    let economics = Economics::new(margin, cost.clone())?.with_fixed_cost(config.policy.fixed_cost)?;
    let decision = crate::policy::decide(
        &config.policy,
        config.seed,
        &economics,
        PolicyData {
            data,
            uplift: &uplift,
            features: &features,
            feature_names: &feature_names,
            segment_features: &seg_features,
            segment_labels: &seg.labels,
        },
    )?;
    let Decision { plan, selection, tree_plan, tree_screen, score, learner } = decision;
    let current = data.arms();
    let mut policy_cols = vec![
        ids.clone(),
        Column::str("arm", plan.assignment.iter().map(|&a| arms.labels()[a].clone()).collect()),
    ];
    if let Some(t) = &tree_plan {
        policy_cols
            .push(Column::str("tree_arm", t.assignment.iter().map(|&a| arms.labels()[a].clone()).collect()));
    }
    write(out, "policy.csv", &Table::new(policy_cols)?)?;

    progress.step("checking the policy off-policy (DM, IPW, DR, …) against alternatives");
    let logged: Vec<f64> = (0..n).map(|i| uplift.propensity[(i, current[i])]).collect();
    let input = OpeInput::new(
        data.outcome(),
        current,
        LoggingPropensity::logged(logged),
        TargetPolicy::arms(plan.assignment.as_slice()),
    )
    .with_q_hat(&uplift.q_hat)
    .with_n_arms(n_arms);
    let settings = OpeSettings {
        estimators: config.ope.estimators.clone(),
        alpha: config.ope.alpha,
        bootstrap: config.ope.bootstrap,
        clip: config.ope.clip,
        switch_lambda: None,
        dros_lambda: None,
        seed: config.seed,
    };
    // the comparisons by DR alone, with normal intervals
    let by_dr = OpeSettings { estimators: vec![Estimator::Dr], bootstrap: 0, clip: None, ..settings.clone() };
    let current_practice = TargetPolicy::probs(&uplift.propensity);
    let baselines = crate::ope::baselines(arms.labels(), n, Some(current_practice));
    let checked = crate::ope::check(&settings, &by_dr, &input, &baselines)?;
    if let Some((name, why)) = checked.skipped.first() {
        bail!("off-policy comparison with {name}: {why}");
    }
    let (ope, comparisons) = (checked.report, checked.comparisons);

    progress.step("designing the confirming A/B test");
    let breakeven: Vec<f64> = cost.iter().map(|c| c / margin).collect();
    let mde = config.design.mde.unwrap_or(breakeven[0]);
    let settings = DesignSettings { alpha: config.design.alpha, power: config.design.power, ratio: 1.0 };
    let (design, design_sd) =
        crate::design::confirming_test(data.outcome(), &plan.assignment, current, mde, &settings)
            .context("design.mde / design.alpha / design.power")?;

    let truth = match &inputs.truth {
        Some(t) => Some(crate::truth::score(TruthInputs {
            truth: t,
            campaign,
            id,
            arms,
            propensity: &uplift.propensity,
            propensity_logged: uplift.propensity_logged,
            assignment: &plan.assignment,
            tree_assignment: tree_plan.as_ref().map(|p| p.assignment.as_slice()),
            margin,
            cost: &cost,
            learner: selection.as_ref().map(|_| (&learner.params, learner.inputs(&uplift))),
        })?),
        None => None,
    };
    Ok(Outcome {
        n,
        arms: arms.labels().to_vec(),
        breakeven,
        profile: profile_summary,
        segment_features: seg_features,
        segments: seg,
        uplift,
        gates,
        qini,
        uplift_curve,
        plan,
        selection,
        tree_screen,
        score,
        tree_plan,
        ope,
        comparisons,
        design,
        design_sd,
        truth,
        seconds: progress.elapsed(),
    })
}

type UpliftStep = (UpliftResult, (CausalData, Arms));

fn uplift_step(
    config: &Config,
    campaign: &Named,
    features: &Table,
    profile_names: &[String],
    seg_table: &Table,
    single_table: bool,
) -> Result<UpliftStep> {
    let u = &config.uplift;
    let c = &config.campaign;
    let id = config.data.id.as_str();
    // the modeling table: customer covariates, campaign columns, factors, chosen profile columns
    let mut table = Table::new(
        features.columns().iter().filter(|col| !profile_names.contains(&col.name)).cloned().collect(),
    )?;
    for col in campaign.table.columns().iter().filter(|_| !single_table) {
        if col.name != id && table.position(&col.name).is_none() {
            table.push(col.clone())?;
        } else if col.name != id {
            bail!(
                "{}: column '{}' is also a customer column; rename it in one of the files",
                campaign.name,
                col.name
            );
        }
    }
    for name in [&c.treatment, &c.outcome] {
        if campaign.table.position(name).is_none() {
            bail!(
                "{}: no column '{name}' (campaign.treatment / campaign.outcome); columns: {}",
                campaign.name,
                campaign.table.names().join(", ")
            );
        }
    }
    let mut extra: Vec<String> = Vec::new();
    if !u.profile_covariates.is_empty() {
        if profile_names.is_empty() {
            bail!("uplift.profile_covariates needs profiles: give data.events and data.catalog");
        }
        let refs: Vec<&str> = profile_names.iter().map(String::as_str).collect();
        for name in expand_columns(&u.profile_covariates, &refs, "uplift.profile_covariates")? {
            table.push(features.column(&name)?.clone())?;
            extra.push(name);
        }
    }
    if u.factor_covariates {
        for col in seg_table.columns().iter().filter(|c| c.name.starts_with("factor_")) {
            table.push(col.clone())?;
            extra.push(col.name.clone());
        }
    }
    let covariates: Option<Vec<String>> = match &u.covariates {
        Some(p) => {
            let names = table.names();
            let mut v = expand_columns(p, &names, "uplift.covariates")?;
            v.extend(extra.iter().filter(|e| !v.contains(e)).cloned().collect::<Vec<_>>());
            Some(v)
        }
        None => None,
    };
    let prefix = (!c.propensity_prefix.is_empty()).then_some(c.propensity_prefix.as_str());
    if let Some(p) = prefix
        && !table.names().iter().any(|n| n.starts_with(p))
    {
        bail!(
            "{}: campaign.propensity_prefix = \"{p}\" but no column starts with it; set propensity_prefix = \"\" to estimate the propensities",
            campaign.name
        );
    }
    let mut exclude: Vec<&str> = vec![id, c.start_day_column.as_str()];
    exclude.extend(c.exclude.iter().map(String::as_str));
    let roles = Roles {
        treatment: &c.treatment,
        outcome: &c.outcome,
        covariates: covariates.as_deref(),
        control: c.control.as_deref(),
        exclude,
        propensity_prefix: prefix,
    };
    let (data, arms) = causal_data(&table, &roles, &campaign.name)?;
    let settings = UpliftSettings {
        method: u.method,
        learner: u.learner,
        folds: u.folds,
        // τ̂ fitted on the rows whose DR scores then price the policy overfits their noise
        // and inflates the estimated profit; use out-of-fold τ̂ instead.
        out_of_fold: true,
        level: u.interval_level,
        trees: Some(u.trees),
        forest: u.forest.clone(),
        seed: config.seed,
        ..UpliftSettings::default()
    };
    let source = Source { file: &campaign.name, treatment: &c.treatment, outcome: &c.outcome };
    let est = uplift::estimate(&settings, &data, &arms, source)?;
    let mut summary = est.summary;
    if est.cate.bounds.is_some() {
        summary["tau_interval_level"] = serde_json::json!(u.interval_level);
    }
    let mut cate = est.cate;
    let (diagnostics, q_hat, propensity) = match (est.diagnostics, est.q_hat, est.propensity) {
        (Some(d), Some(q), Some(p)) => (d, q, p),
        // the uplift forest fits no nuisances: the policy and OPE steps price on cross-fitted ones
        _ => {
            let nuisances = tp_uplift::crossfit_nuisances(
                &data,
                &u.learner.regressor(),
                &u.learner.classifier(),
                u.folds,
                0.01,
                config.seed,
            )?;
            cate.gamma = Some(nuisances.aipw_scores(&data)?);
            let diagnostics = tp_uplift::diagnostics::diagnose(
                &data,
                nuisances.propensity.as_ref(),
                data.propensity().is_some(),
                &tp_uplift::DiagnosticsParams::default(),
            )?;
            summary["diagnostics"] = serde_json::to_value(tp_uplift::DiagnosticsSummary::from(&diagnostics))?;
            (diagnostics, nuisances.outcome, nuisances.propensity)
        }
    };
    // the causal forest clips each arm's propensity to [0.01, 0.99] for its scores; as current
    // practice's assignment probabilities (OPE) the rows of three or more arms must sum to 1
    let mut propensity = propensity;
    if propensity.ncols() > 2 && data.propensity().is_none() {
        for i in 0..propensity.nrows() {
            let total: f64 = (0..propensity.ncols()).map(|a| propensity[(i, a)]).sum();
            for a in 0..propensity.ncols() {
                propensity[(i, a)] /= total;
            }
        }
    }
    let result = UpliftResult {
        summary,
        diagnostics,
        cate,
        q_hat,
        propensity,
        propensity_logged: data.propensity().is_some(),
        importance: est.importance,
    };
    Ok((result, (data, arms)))
}
