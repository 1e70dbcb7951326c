//! `summary.json` and the plain-language verdicts, both read off [`Outcome`]
//! (the HTML report shows the same structs).

use crate::{Config, Outcome};
use serde_json::{Value, json};

/// How sure the run can be: one sentence per finding, worst first.
pub fn verdicts(o: &Outcome) -> Vec<String> {
    let d = &o.uplift.diagnostics;
    let mut v = Vec::new();
    if d.overlap_share < 0.8 || d.ps_auc > 0.85 {
        v.push(format!(
            "Overlap is poor (propensity AUC {:.2}, {:.0}% of customers with ê in [{}, {}]): read these effects as hypotheses, and confirm the policy with the A/B test below.",
            d.ps_auc,
            100.0 * d.overlap_share,
            d.band.0,
            d.band.1
        ));
    } else if d.ps_auc > 0.6 {
        v.push(format!(
            "Overlap is fair (propensity AUC {:.2}, {:.0}% in the band): effects are identified through the covariates; the diagnostics below say how well.",
            d.ps_auc,
            100.0 * d.overlap_share
        ));
    } else {
        v.push(format!(
            "Overlap is good (propensity AUC {:.2}): treated and control customers look alike, as in an experiment.",
            d.ps_auc
        ));
    }
    if d.max_abs_smd_weighted > 0.1 {
        v.push(format!(
            "Balance after weighting is incomplete ({} of {} covariates with |SMD| < 0.1; worst {:.2}): some confounding may remain.",
            d.balanced, d.n_covariates, d.max_abs_smd_weighted
        ));
    }
    let r = &o.plan.report;
    match &o.selection {
        Some(sel) => {
            let p = &sel.profit_oof;
            if r.treated_share == 0.0 {
                v.push(format!(
                    "The evidence does not support treating anyone: {}. Run the A/B test below on the customers the best candidate would pick before spending on a campaign.",
                    sel.reason
                ));
            } else {
                v.push(format!(
                    "The shipped policy ({}, {:.0}% of customers) is estimated out of fold to earn {} ({:.0}% interval {} to {}){}.",
                    sel.chosen.name(),
                    100.0 * r.treated_share,
                    money(p.estimate),
                    100.0 * p.level,
                    money(p.lo),
                    money(p.hi),
                    if p.lo > 0.0 { ", above zero" } else { ": not distinguishable from zero; test before rolling out" }
                ));
            }
        }
        None => {
            let z = r.expected_profit / r.expected_profit_se.max(f64::MIN_POSITIVE);
            if r.treated_share == 0.0 {
                v.push("The policy treats nobody.".into());
            } else {
                v.push(format!(
                    "Targeting {:.0}% of customers is estimated to earn {} (± {}) on the customers it was chosen for (in-sample, optimistic){}.",
                    100.0 * r.treated_share,
                    money(r.expected_profit),
                    money(r.expected_profit_se),
                    if z > 2.0 { "" } else { ": not distinguishable from zero; test before rolling out" }
                ));
            }
        }
    }
    if r.treat_all.profit < 0.0 {
        v.push(format!("Treating everyone is estimated to lose {}.", money(-r.treat_all.profit)));
    }
    if o.ope.diagnostics.ess_share < 0.1 {
        v.push(format!(
            "Off-policy estimates rest on few customers (effective sample {:.0}% of the log): trust the DR and DM rows over IPW.",
            100.0 * o.ope.diagnostics.ess_share
        ));
    }
    if let Some(s) = &o.segments.stability
        && s.mean < 0.6
    {
        v.push(format!(
            "Segments are unstable (bootstrap ARI {:.2}): treat them as a summary, not as fixed groups.",
            s.mean
        ));
    }
    v
}

/// Dollars, no cents, with thousands separators and a sign.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}${out}", if neg { "−" } else { "" })
}

/// The policy block: the plan's report plus, when a learner chose the policy, its candidates,
/// the honest (nested cross-fitted) profit and the optimistic in-sample one, labelled.
fn policy_block(o: &Outcome, config: &Config) -> Value {
    let mut p = serde_json::to_value(&o.plan.report).unwrap_or(Value::Null);
    p["expected_profit_note"] =
        json!("priced on the customers the policy was learned from: optimistic; plan with profit_oof");
    if let Some(sel) = &o.selection {
        p["learner"] = json!(config.policy.learner.name());
        p["chosen"] = json!(sel.chosen.name());
        p["reason"] = json!(sel.reason);
        p["candidates"] = json!(sel.candidates);
        p["profit_oof"] = json!(sel.profit_oof);
        p["profit_in_sample"] = json!({
            "estimate": sel.profit_in_sample.estimate,
            "se": sel.profit_in_sample.se,
            "note": "priced on the customers it was learned from: optimistic",
        });
        p["tree_screen"] = json!(o.tree_screen);
        p["score"] = json!(o.score);
        if let Some(t) = &sel.tree {
            p["learned_tree"] = json!(t.to_string());
        }
    }
    p
}

/// The `summary.json` of a run.
pub fn summary(o: &Outcome, config: &Config) -> Value {
    let tree = o.tree_plan.as_ref().map(
        |t| json!({ "report": t.report.tree, "true_profit": o.truth.as_ref().and_then(|t| t.tree_profit) }),
    );
    json!({
        "n": o.n,
        "arms": o.arms,
        "profile": o.profile,
        "segments": o.segments.report(),
        "uplift": o.uplift.summary,
        "gate": o.gates,
        "ranking": {
            "qini_area": o.qini.area() - o.qini.random_area(),
            "uplift_area": o.uplift_curve.area() - o.uplift_curve.random_area(),
            "note": "areas above the random line of τ̂'s ranking on the logged outcomes (confounded when overlap is poor)",
        },
        "policy": policy_block(o, config),
        "policy_tree": tree,
        "ope": { "estimates": o.ope.estimates, "diagnostics": o.ope.diagnostics, "comparisons": o.comparisons },
        "design": o.design,
        "design_sd": o.design_sd,
        "truth": o.truth,
        "verdicts": verdicts(o),
        "config": config,
        "seconds": o.seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234567.4), "$1,234,567");
        assert_eq!(money(-14236.7), "−$14,237");
        assert_eq!(money(12.0), "$12");
        assert_eq!(money(f64::NAN), "n/a");
    }
}
