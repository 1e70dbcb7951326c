//! `simulate`: the two presets, criteo against a numpy/pyarrow script, retail ours only.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use super::{Case, Cmd, Ctx, Quality, RETAIL_CUSTOMERS, SEED, Scale, Side, number};
use crate::bench::report::thousands;

pub(super) fn simulate(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let n: u64 = match scale {
        Scale::Full => 1_000_000,
        Scale::Quick => 100_000,
    };
    let criteo = ctx.dir("simulate-criteo");
    let retail = ctx.dir("simulate-retail");
    let (ours_criteo, peer_criteo, ours_retail) =
        (criteo.join("ours"), criteo.join("peer"), retail.join("ours"));
    let n_arg = n.to_string();
    let retail_arg = RETAIL_CUSTOMERS.to_string();
    let probe =
        |dir: &Path| Quality { probe: ctx.script("simulate_quality.py", &[&dir]), format: treated_and_tau };
    vec![
        Case {
            label: "simulate criteo (parquet)".into(),
            slug: "simulate-criteo".into(),
            size: format!("{} customers", thousands(n)),
            prepare: vec![],
            ours: Side {
                run: Cmd::new(
                    &ctx.tp,
                    &[
                        &"simulate",
                        &"--preset",
                        &"criteo",
                        &"--customers",
                        &n_arg,
                        &"--seed",
                        &SEED,
                        &"--out",
                        &ours_criteo,
                        &"--format",
                        &"parquet",
                    ],
                ),
                quality: probe(&ours_criteo),
            },
            peer: Some(Side {
                run: ctx.script(
                    "simulate_criteo.py",
                    &[&"--customers", &n_arg, &"--seed", &SEED, &"--out", &peer_criteo],
                ),
                quality: probe(&peer_criteo),
            }),
        },
        Case {
            label: "simulate retail (csv)".into(),
            slug: "simulate-retail".into(),
            size: format!("{} customers", thousands(RETAIL_CUSTOMERS)),
            prepare: vec![],
            ours: Side {
                run: Cmd::new(
                    &ctx.tp,
                    &[
                        &"simulate",
                        &"--preset",
                        &"retail",
                        &"--customers",
                        &retail_arg,
                        &"--seed",
                        &SEED,
                        &"--out",
                        &ours_retail,
                        &"--format",
                        &"csv",
                    ],
                ),
                quality: Quality {
                    probe: ctx.script("simulate_quality.py", &[&ours_retail]),
                    format: rows_written,
                },
            },
            peer: None,
        },
    ]
}

/// `treated 0.850, mean τ 0.001625` from the probe's `treated_share` and `mean_tau`.
fn treated_and_tau(v: &Value) -> Result<String> {
    let (Some(share), Some(tau)) = (number(v, "treated_share"), number(v, "mean_tau")) else {
        bail!("the probe found no treatment or tau column: {v}");
    };
    Ok(format!("treated {share:.3}, mean τ {tau:.6}"))
}

/// `events 2,612,000 rows, 5 files` from the probe's `files` map and `rows` total.
fn rows_written(v: &Value) -> Result<String> {
    let files = v.get("files").and_then(Value::as_object).context("the probe printed no `files`")?;
    let rows = v.get("rows").and_then(Value::as_u64).context("the probe printed no `rows`")?;
    let largest = files.iter().filter_map(|(name, n)| Some((name, n.as_u64()?))).max_by_key(|(_, n)| *n);
    Ok(match largest {
        Some((name, n)) => {
            format!("{} rows in {} files (largest: {name}, {})", thousands(rows), files.len(), thousands(n))
        }
        None => "no files written".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quality_figures() {
        let v = json!({ "rows": 10, "treated_share": 0.8512, "mean_tau": 0.01234 });
        assert_eq!(treated_and_tau(&v).unwrap(), "treated 0.851, mean τ 0.012340");
        assert!(treated_and_tau(&json!({ "rows": 10 })).is_err());
        let v = json!({ "rows": 1200, "files": { "events": 1000, "customers": 200 } });
        assert_eq!(rows_written(&v).unwrap(), "1,200 rows in 2 files (largest: events, 1,000)");
        assert!(rows_written(&json!({})).is_err());
    }
}
