//! `tp demo`: simulate the retail world and run the whole pipeline on it —
//! segments → uplift (diagnostics first) → policy → off-policy check → A/B
//! design — then score every decision against the world's known truth.

use crate::causal::{Roles, causal_data};
use crate::cmd::simulate::{FileFormat, write_retail};
use crate::cmd::uplift::{diagnostics_summary, forest_arm_models};
use anyhow::{Context, Result, bail};
use clap::Args as ClapArgs;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tp_core::faer::Mat;
use tp_core::{Column, Table, contrast_scores};
use tp_ope::{
    Baseline, DesignParams, Estimator, LoggingPropensity, OpeInput, OpeParams, Outcome, TargetPolicy,
};
use tp_policy::{Economics, PolicyInputs, PolicyParams, PolicyTreeParams};
use tp_segment::{Choice, SegmentPipeline};
use tp_sim::{RetailParams, RetailWorld};
use tp_uplift::{CausalForest, Method, UpliftParams};

/// Pre-period behavior the segments are built from (all non-negative).
const SEGMENT_FEATURES: [&str; 8] = [
    "pre_spend",
    "pre_visits",
    "pre_items",
    "pre_avg_basket",
    "pre_promo_share",
    "pre_recency_weeks",
    "pre_spend_last12",
    "pre_weeks_active",
];

/// Arguments of `tp demo`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Writes to DIR: world/ (the simulated data), segments.csv, cate.csv, policy.csv, summary.json.
summary.json's `truth` block compares the learned policy's true profit with the oracle's
(treat iff the true effect exceeds break-even), treat-all and current practice.

Examples:
  tp demo --out demo
  tp demo --out demo --seed 11 --customers 5000
  tp demo --out demo --meta-learner --learner gbt")]
pub struct Args {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the world and of every stochastic step.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Households in the simulated world.
    #[arg(long, default_value_t = 2500)]
    customers: usize,
    /// Causal forest trees.
    #[arg(long, default_value_t = 2000)]
    trees: usize,
    /// Use the DR meta-learner (out-of-fold τ̂) instead of the causal forest.
    #[arg(long)]
    meta_learner: bool,
    /// Base learners of the DR meta-learner (with --meta-learner).
    #[arg(long, value_enum, default_value_t = crate::cmd::uplift::LearnerArg::Linear, requires = "meta_learner")]
    learner: crate::cmd::uplift::LearnerArg,
    /// Print the summary JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn step(json: bool, what: &str, start: &Instant) {
    if !json {
        eprintln!("[{:>6.1} s] {what}", start.elapsed().as_secs_f64());
    }
}

/// The customers table joined with the campaign on `customer_id` (both come
/// from the simulator in the same order; checked).
fn campaign_table(world: &RetailWorld) -> Result<Table> {
    let customers = world.customers();
    let campaign = world.campaign();
    if customers.column("customer_id")?.data != campaign.column("customer_id")?.data {
        bail!("simulated customers and campaign are not in the same customer order");
    }
    let mut cols = customers.columns().to_vec();
    for c in campaign.columns() {
        if c.name != "customer_id" {
            cols.push(c.clone());
        }
    }
    Ok(Table::new(cols)?)
}

/// True expected profit of giving each customer `arm[i]` (0 = control):
/// Σ margin·τ_true − cost over treated customers.
fn true_profit(tau: &Mat<f64>, arm: &[usize], margin: f64, costs: &[f64]) -> f64 {
    arm.iter().enumerate().filter(|(_, a)| **a > 0).map(|(i, &a)| margin * tau[(i, a - 1)] - costs[a]).sum()
}

/// τ̂ for every row from a CATE model fitted without that row (5 folds,
/// stratified by arm).
fn out_of_fold_tau(params: &UpliftParams, data: &tp_core::CausalData, seed: u64) -> Result<Mat<f64>> {
    let folds = tp_core::Folds::stratified(
        data.arms(),
        data.n_arms(),
        5,
        tp_core::rng::derive_seed_str(seed, "demo-oof"),
    )?;
    let mut tau = Mat::<f64>::zeros(data.n(), data.n_arms() - 1);
    for f in 0..folds.k() {
        let fit = params.fit(&data.subset(&folds.train(f))?)?;
        let test = folds.test(f);
        let held_out = data.subset(test)?;
        let t = fit.model.predict(held_out.covariates())?;
        for (r, &i) in test.iter().enumerate() {
            for a in 0..t.ncols() {
                tau[(i, a)] = t[(r, a)];
            }
        }
    }
    Ok(tau)
}

#[derive(Serialize)]
struct Truth {
    policy_profit: f64,
    oracle_profit: f64,
    treat_all_profit: f64,
    current_practice_profit: f64,
    policy_share_of_oracle: f64,
    oracle_treated_share: f64,
}

/// Runs `tp demo`.
pub fn run(args: Args) -> Result<()> {
    let start = Instant::now();
    let dir = &args.out;
    let world_dir = dir.join("world");
    std::fs::create_dir_all(&world_dir).with_context(|| format!("cannot create {}", world_dir.display()))?;

    step(args.json, "simulating the retail world", &start);
    let world = RetailParams::default()
        .customers(args.customers)
        .seed(args.seed)
        .generate()
        .context("invalid simulation parameters")?;
    let (_, world_meta) = write_retail(&world, &world_dir, FileFormat::Csv)?;
    let econ = world.economics().clone();
    let n_arms = econ.arm_labels.len();
    let table = campaign_table(&world)?;
    let n = table.n_rows();

    step(args.json, "segmenting customers (NMF → K-Means)", &start);
    let feature_names: Vec<String> = SEGMENT_FEATURES.iter().map(|s| s.to_string()).collect();
    let x_seg = table.to_matrix(&SEGMENT_FEATURES)?;
    let spend = table.f64_values("pre_spend")?.into_owned();
    let seg = SegmentPipeline::params()
        .factors(Choice::Fixed(5))
        .clusters(Choice::Fixed(7))
        .stability_runs(30)
        .seed(args.seed)
        .fit_with_value(x_seg.as_ref(), &feature_names, Some(&spend))?;
    let seg_labels: Vec<String> = seg.labels.iter().map(|l| format!("segment_{l}")).collect();
    let mut seg_cols = vec![table.column("customer_id")?.clone()];
    seg_cols.push(Column::i64("segment", seg.labels.iter().map(|&l| l as i64).collect()));
    for t in 0..seg.k_factors {
        seg_cols.push(Column::f64(format!("factor_{}", t + 1), seg.w.col(t).iter().copied().collect()));
    }
    let seg_table = Table::new(seg_cols)?;
    tp_io::write_table(dir.join("segments.csv"), &seg_table)?;

    step(args.json, "estimating uplift (diagnostics, ATE, CATE)", &start);
    // covariates: what a modeler has before the campaign, plus the segment factors
    let mut with_factors = table.clone();
    for c in seg_table.columns().iter().filter(|c| c.name.starts_with("factor_")) {
        with_factors.push(c.clone())?;
    }
    let exclude: Vec<&str> = vec!["customer_id", "treatment", "propensity"];
    let roles = Roles {
        treatment: "arm",
        outcome: "outcome",
        covariates: None,
        control: Some("control"),
        exclude,
        propensity_prefix: Some("p_"),
    };
    let (data, arms) = causal_data(&with_factors, &roles, "simulated campaign")?;
    let (summary_uplift, tau, gamma, q_hat) = if args.meta_learner {
        let uplift = UpliftParams::with_learners(Method::Dr, args.learner.into()).seed(args.seed);
        let fit = uplift.fit(&data)?;
        let gamma = fit.scores(&data)?;
        // τ̂ fitted on the same rows whose DR scores then price the policy overfits their
        // noise and inflates the estimated profit; use out-of-fold τ̂ instead.
        let tau = out_of_fold_tau(&uplift, &data, args.seed)?;
        (serde_json::to_value(fit.summary())?, tau, gamma, fit.nuisances.outcome.clone())
    } else {
        let model = CausalForest::params().n_trees(args.trees).seed(args.seed).fit(&data)?;
        let oob = model.oob_interval(0.9);
        let (mu, e) = forest_arm_models(&model, &oob.tau);
        let gamma = tp_core::aipw_scores(data.outcome(), data.arms(), mu.as_ref(), e.as_ref())?;
        let diagnostics = tp_uplift::diagnostics::diagnose(
            &data,
            data.propensity().context("the simulated campaign carries its logging propensities")?,
            true,
            &tp_uplift::DiagnosticsParams::default(),
        )?;
        let (ate, ate_se) = model.ate();
        let summary = serde_json::json!({
            "method": "causal_forest", "trees": model.n_trees(), "ate": ate, "ate_se": ate_se,
            "tau_interval_level": 0.9,
            "diagnostics": diagnostics_summary(&diagnostics),
        });
        (summary, Mat::from_fn(n, 1, |i, _| oob.tau[i]), gamma, mu)
    };
    let mut cate_cols = vec![table.column("customer_id")?.clone()];
    for j in 0..tau.ncols() {
        let name = if tau.ncols() == 1 { "tau".to_string() } else { format!("tau_{}", arms.labels()[j + 1]) };
        cate_cols.push(Column::f64(name, tau.col(j).iter().copied().collect()));
    }
    for (a, label) in arms.labels().iter().enumerate() {
        cate_cols.push(Column::f64(format!("gamma_{label}"), gamma.col(a).iter().copied().collect()));
    }
    tp_io::write_table(dir.join("cate.csv"), &Table::new(cate_cols)?)?;
    // effects by segment: GATE from the DR scores
    let gates: Vec<serde_json::Value> = (1..n_arms)
        .map(|a| -> Result<serde_json::Value> {
            let g = tp_uplift::evaluate::calibration::gate(&contrast_scores(gamma.as_ref(), a), &seg.labels)?;
            Ok(serde_json::json!({ "arm": arms.labels()[a], "by_segment": g.iter().map(|g| serde_json::json!({
                "segment": g.group, "n": g.n, "estimate": g.estimate, "se": g.se })).collect::<Vec<_>>() }))
        })
        .collect::<Result<_>>()?;

    step(args.json, "choosing whom to treat (break-even, profit curve, policy tree)", &start);
    let current = data.arms().to_vec();
    let tree_features: Vec<String> = SEGMENT_FEATURES.iter().map(|s| s.to_string()).collect();
    let x_tree = table.to_matrix(&SEGMENT_FEATURES)?;
    let economics = Economics::new(econ.margin, econ.cost_per_arm[1..].to_vec())?;
    let mut pparams = PolicyParams::new(economics);
    pparams.seed = args.seed;
    let mut inputs = PolicyInputs::new(tau.as_ref());
    inputs.gamma = Some(gamma.as_ref());
    inputs.current = Some(&current);
    inputs.segments = Some(&seg_labels);
    let plan = tp_policy::plan(&pparams, &inputs)?;
    let mut tree_params = pparams.clone();
    tree_params.tree = Some(PolicyTreeParams::new(2));
    let mut tree_inputs = inputs;
    tree_inputs.covariates = Some(x_tree.as_ref());
    tree_inputs.feature_names = Some(&tree_features);
    let tree_plan = tp_policy::plan(&tree_params, &tree_inputs)?;
    let policy_cols = vec![
        table.column("customer_id")?.clone(),
        Column::str("arm", plan.assignment.iter().map(|&a| arms.labels()[a].clone()).collect()),
        Column::str("tree_arm", tree_plan.assignment.iter().map(|&a| arms.labels()[a].clone()).collect()),
    ];
    tp_io::write_table(dir.join("policy.csv"), &Table::new(policy_cols)?)?;

    step(args.json, "checking the policy off-policy (DM, IPW, DR, …) against alternatives", &start);
    let logged = table.f64_values("propensity")?.into_owned();
    let current_probs =
        data.propensity().context("the simulated campaign carries its logging propensities")?;
    let input = OpeInput::new(
        data.outcome().to_vec(),
        current.clone(),
        LoggingPropensity::Logged(logged),
        TargetPolicy::Arms(plan.assignment.clone()),
    )
    .with_q_hat(q_hat)
    .with_n_arms(n_arms);
    let oparams = OpeParams::default().estimators(&Estimator::ALL).seed(args.seed);
    let ope = tp_ope::evaluate(&input, &oparams)?;
    let baselines = vec![
        Baseline::treat_none(n),
        Baseline::treat_all(1, n),
        Baseline::named("current", TargetPolicy::Probs(current_probs.to_owned())),
    ];
    let comparisons =
        tp_ope::compare(&input, &OpeParams::default().estimators(&[Estimator::Dr]), &baselines)?;

    step(args.json, "designing the confirming A/B test", &start);
    // Confirm that the targeted customers' uplift clears break-even: MDE = break-even
    // effect, σ = spread of the outcome among the targeted customers in control.
    let y = data.outcome();
    let targeted_control: Vec<f64> =
        (0..n).filter(|&i| plan.assignment[i] > 0 && current[i] == 0).map(|i| y[i]).collect();
    let sd = if targeted_control.len() >= 2 {
        tp_core::stats::variance(&targeted_control).sqrt()
    } else {
        tp_core::stats::variance(y).sqrt()
    };
    let design =
        tp_ope::ab_design(econ.breakeven_per_arm[1], &DesignParams::new(Outcome::Continuous { sd }))?;

    // the truth
    let truth_table = world.truth();
    let tau_true = {
        let cols: Vec<String> = arms.labels()[1..].iter().map(|l| format!("tau_{l}")).collect();
        truth_table.to_matrix(&cols.iter().map(String::as_str).collect::<Vec<_>>())?
    };
    let oracle: Vec<usize> = (0..n)
        .map(|i| {
            (1..n_arms)
                .map(|a| (a, econ.margin * tau_true[(i, a - 1)] - econ.cost_per_arm[a]))
                .filter(|(_, v)| *v > 0.0)
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .map_or(0, |(a, _)| a)
        })
        .collect();
    let e = current_probs;
    let current_profit: f64 = (0..n)
        .map(|i| {
            (1..n_arms)
                .map(|a| e[(i, a)] * (econ.margin * tau_true[(i, a - 1)] - econ.cost_per_arm[a]))
                .sum::<f64>()
        })
        .sum();
    let oracle_profit = true_profit(&tau_true, &oracle, econ.margin, &econ.cost_per_arm);
    let policy_profit = true_profit(&tau_true, &plan.assignment, econ.margin, &econ.cost_per_arm);
    let truth = Truth {
        policy_profit,
        oracle_profit,
        treat_all_profit: true_profit(&tau_true, &vec![1; n], econ.margin, &econ.cost_per_arm),
        current_practice_profit: current_profit,
        policy_share_of_oracle: policy_profit / oracle_profit,
        oracle_treated_share: oracle.iter().filter(|&&a| a > 0).count() as f64 / n as f64,
    };
    let tree_true_profit = true_profit(&tau_true, &tree_plan.assignment, econ.margin, &econ.cost_per_arm);

    let summary = serde_json::json!({
        "world": world_meta,
        "segments": seg.report(),
        "uplift": summary_uplift,
        "gate": gates,
        "policy": plan.report,
        "policy_tree": { "report": tree_plan.report.tree, "true_profit": tree_true_profit },
        "ope": { "estimates": ope.estimates, "diagnostics": ope.diagnostics, "comparisons": comparisons },
        "design": design,
        "truth": truth,
        "seconds": start.elapsed().as_secs_f64(),
    });
    tp_io::write_json(dir.join("summary.json"), &summary)?;
    step(args.json, "done", &start);
    crate::report::emit(args.json, &summary, || human(dir, &plan.report, &truth, &summary))
}

fn human(dir: &Path, policy: &tp_policy::PolicyReport, truth: &Truth, summary: &serde_json::Value) -> String {
    let u = &summary["uplift"];
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let overlap = num(&u["diagnostics"]["overlap_share"]);
    let mut s = String::new();
    s.push_str(&format!(
        "overlap: propensity AUC {:.3}, {:.0}% of customers with ê in [0.1, 0.9]{}\n",
        num(&u["diagnostics"]["ps_auc"]),
        100.0 * overlap,
        if overlap < 0.8 { " — overlap is poor: read these effects as hypotheses" } else { "" }
    ));
    s.push_str(&format!(
        "ATE of the coupon on window spend: ${:.2} ± {:.2}\n",
        num(&u["ate"]),
        num(&u["ate_se"])
    ));
    s.push_str(&format!(
        "policy: treat {:.1}% (break-even uplift ${:.2}); estimated profit ${:.0} ± {:.0}\n",
        100.0 * policy.treated_share,
        summary["policy"]["breakeven"].as_f64().unwrap_or(f64::NAN),
        policy.expected_profit,
        policy.expected_profit_se
    ));
    s.push_str(&format!(
        "truth: learned policy ${:.0}, oracle ${:.0} (treats {:.0}%), treat-all ${:.0}, current practice ${:.0}\n",
        truth.policy_profit,
        truth.oracle_profit,
        100.0 * truth.oracle_treated_share,
        truth.treat_all_profit,
        truth.current_practice_profit
    ));
    s.push_str(&format!("A/B test to confirm: {} customers per arm\n", summary["design"]["n_per_arm"]));
    s.push_str(&format!(
        "wrote {}/{{world/, segments.csv, cate.csv, policy.csv, summary.json}}",
        dir.display()
    ));
    s
}
