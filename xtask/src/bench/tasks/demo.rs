//! `demo`: the whole pipeline on the retail world; the quality figure is the true profit.

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Cmd, Ctx, Quality, RETAIL_CUSTOMERS, SEED, Scale, Side, number};
use crate::bench::report::thousands;

pub(super) fn demo(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let customers: u64 = match scale {
        Scale::Full => RETAIL_CUSTOMERS,
        Scale::Quick => 500,
    };
    let out = ctx.dir("demo").join("ours");
    let n_arg = customers.to_string();
    vec![Case {
        label: "demo (simulate → profit)".into(),
        slug: "demo".into(),
        size: format!("{} customers", thousands(customers)),
        prepare: vec![],
        ours: Side {
            run: Cmd::new(
                &ctx.tp,
                &[&"demo", &"--customers", &n_arg, &"--seed", &SEED, &"--out", &out, &"--json"],
            ),
            quality: Quality { probe: ctx.script("demo_quality.py", &[&out]), format: true_profits },
        },
        peer: None,
    }]
}

/// `policy $1,877 vs oracle $5,412 (35%)` from the demo's truth block.
fn true_profits(v: &Value) -> Result<String> {
    let (Some(policy), Some(oracle)) = (number(v, "policy_profit"), number(v, "oracle_profit")) else {
        bail!("the probe found no policy_profit / oracle_profit: {v}");
    };
    Ok(format!("true profit: policy ${policy:.0} vs oracle ${oracle:.0} ({:.0}%)", 100.0 * policy / oracle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_quality_figure() {
        let v = serde_json::json!({"policy_profit": 1877.0, "oracle_profit": 5412.0});
        assert_eq!(true_profits(&v).unwrap(), "true profit: policy $1877 vs oracle $5412 (35%)");
        assert!(true_profits(&serde_json::json!({})).is_err());
    }
}
