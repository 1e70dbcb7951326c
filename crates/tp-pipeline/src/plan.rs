//! `tp run --dry-run`: the plan — steps, their inputs, outputs and
//! parameters — from the config alone, without reading or writing data.

use crate::Config;
use crate::uplift::{learner_name, method_name};
use serde::Serialize;
use std::path::Path;
use tp_uplift::Method;

/// One step of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    /// Step name.
    pub step: &'static str,
    /// What it reads.
    pub inputs: Vec<String>,
    /// What it writes into the output folder.
    pub outputs: Vec<String>,
    /// Its parameters, as `key = value`.
    pub parameters: Vec<String>,
}

fn path(p: &Option<std::path::PathBuf>) -> String {
    p.as_ref().map_or_else(|| "(not set)".into(), |p| p.display().to_string())
}

/// The steps `config` would run, writing into `out`.
pub fn plan(config: &Config, out: &Path) -> Vec<PlanStep> {
    let d = &config.data;
    let mut steps = Vec::new();
    let profiling = config.profile.enabled && d.events.is_some() && d.catalog.is_some();
    if profiling {
        let p = &config.profile;
        steps.push(PlanStep {
            step: "profile",
            inputs: vec![
                format!("data.events = {}", path(&d.events)),
                format!("data.catalog = {}", path(&d.catalog)),
            ],
            outputs: vec!["profiles.csv".into()],
            parameters: vec![
                format!("half_life_days = {}", p.half_life_days),
                format!("shrinkage = {}", p.shrinkage),
                format!("weight = {}", p.weight),
                format!(
                    "as_of = {}",
                    p.as_of.map_or("the day before the campaign start".into(), |d| d.to_string())
                ),
            ],
        });
    }
    let s = &config.segment;
    steps.push(PlanStep {
        step: "segment",
        inputs: vec![
            format!("data.customers = {}", path(&d.customers)),
            format!("data.campaign = {} (its customers, joined on {})", path(&d.campaign), d.id),
        ],
        outputs: vec!["segments.csv".into()],
        parameters: vec![
            format!("features = {:?}", s.features),
            format!("factors = {:?}", s.factors),
            format!("clusters = {:?}", s.clusters),
            format!("stability_runs = {}", s.stability_runs),
            format!("value = {:?}", s.value),
        ],
    });
    let u = &config.uplift;
    let c = &config.campaign;
    steps.push(PlanStep {
        step: "uplift",
        inputs: vec![format!(
            "data.campaign: treatment = {}, outcome = {}, control = {}, propensities = {}",
            c.treatment,
            c.outcome,
            c.control.as_deref().unwrap_or("(auto)"),
            if c.propensity_prefix.is_empty() {
                "estimated".to_string()
            } else {
                format!("{}<arm>", c.propensity_prefix)
            }
        )],
        outputs: vec!["cate.csv".into()],
        parameters: vec![
            format!("method = {}", method_name(u.method)),
            match u.method {
                Method::CausalForest | Method::UpliftForest => format!("trees = {}", u.trees),
                _ => format!("learner = {}", learner_name(u.learner)),
            },
            format!(
                "covariates = {}",
                u.covariates.as_ref().map_or("every numeric column".into(), |v| format!("{v:?}"))
            ),
            format!("factor_covariates = {}", u.factor_covariates),
            format!("profile_covariates = {:?}", u.profile_covariates),
            format!("interval_level = {}", u.interval_level),
        ],
    });
    let p = &config.policy;
    steps.push(PlanStep {
        step: "policy",
        inputs: vec!["τ̂ and doubly robust scores".into()],
        outputs: vec!["policy.csv".into()],
        parameters: vec![
            format!("margin = {}", p.margin.map_or("(missing)".into(), |m| m.to_string())),
            format!("cost = {}", p.cost.as_ref().map_or("(missing)".into(), |c| format!("{c:?}"))),
            format!("fixed_cost = {}", p.fixed_cost),
            format!("rule = {}", p.rule),
            format!("risk_lambda = {}", p.risk_lambda),
            format!("tree_depth = {}", p.tree_depth),
        ],
    });
    steps.push(PlanStep {
        step: "ope",
        inputs: vec!["logged arms, outcomes and propensities; the policy".into()],
        outputs: vec![],
        parameters: vec![
            format!("estimators = {:?}", config.ope.estimators.iter().map(|e| e.name()).collect::<Vec<_>>()),
            format!("alpha = {}", config.ope.alpha),
            format!("bootstrap = {}", config.ope.bootstrap),
            "baselines = treat-none, treat-all, current".into(),
        ],
    });
    steps.push(PlanStep {
        step: "design",
        inputs: vec!["outcome spread of the targeted customers".into()],
        outputs: vec![],
        parameters: vec![
            format!("mde = {}", config.design.mde.map_or("break-even uplift".into(), |m| m.to_string())),
            format!("alpha = {}", config.design.alpha),
            format!("power = {}", config.design.power),
        ],
    });
    if d.truth.is_some() {
        steps.push(PlanStep {
            step: "truth",
            inputs: vec![format!("data.truth = {}", path(&d.truth))],
            outputs: vec![],
            parameters: vec!["true profit of the policy, oracle, treat-all, current practice".into()],
        });
    }
    steps.push(PlanStep {
        step: "report",
        inputs: vec![],
        outputs: vec!["summary.json".into(), "report.html".into()],
        parameters: vec![format!("out = {}", out.display())],
    });
    steps
}

/// The plan as text, one block per step.
pub fn render(steps: &[PlanStep]) -> String {
    let mut s = String::new();
    for (i, st) in steps.iter().enumerate() {
        s.push_str(&format!("{}. {}\n", i + 1, st.step));
        for x in &st.inputs {
            s.push_str(&format!("   in:  {x}\n"));
        }
        for x in &st.outputs {
            s.push_str(&format!("   out: {x}\n"));
        }
        for x in &st.parameters {
            s.push_str(&format!("   {x}\n"));
        }
    }
    s.push_str("(dry run: nothing was read or written)");
    s
}
