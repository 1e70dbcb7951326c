//! `summary.json` and the plain-language verdicts, both read off [`Outcome`]
//! (the HTML report shows the same structs).

use super::{Config, Outcome};
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
    let z = r.expected_profit / r.expected_profit_se.max(f64::MIN_POSITIVE);
    if r.treated_share == 0.0 {
        v.push("The policy treats nobody: no customer's estimated effect clears break-even.".into());
    } else if z > 2.0 {
        v.push(format!(
            "Targeting {:.0}% of customers is estimated to earn {} (± {}), clearly above zero.",
            100.0 * r.treated_share,
            money(r.expected_profit),
            money(r.expected_profit_se)
        ));
    } else {
        v.push(format!(
            "Targeting {:.0}% of customers is estimated to earn {} (± {}): not distinguishable from zero; test before rolling out.",
            100.0 * r.treated_share,
            money(r.expected_profit),
            money(r.expected_profit_se)
        ));
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
        "policy": o.plan.report,
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
