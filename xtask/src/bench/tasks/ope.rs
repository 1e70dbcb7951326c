//! `ope`: DR with a 1,000-replicate percentile bootstrap on a 1M-row, 5-arm log, our release example
//! `dr_bootstrap` against a numpy implementation of the same estimator (`ope_peer.py`; obp itself
//! needs Python ≤ 3.10). Both sides build the same log bit for bit, so the values agree and only the
//! bootstrap draws (hence the interval's last digits) differ.

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Ctx, Quality, SEED, Scale, Side, number};
use crate::bench::report::thousands;

const ARMS: &str = "5";
const BOOTSTRAP: &str = "1000";

pub(super) fn ope(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let rows: u64 = match scale {
        Scale::Full => 1_000_000,
        Scale::Quick => 100_000,
    };
    let slug = "ope-dr-bootstrap";
    let dir = ctx.dir(slug);
    let rows_arg = rows.to_string();
    let probe = |who: &str| Quality {
        probe: ctx.script("ope_quality.py", &[&dir.join(format!("{who}.stdout"))]),
        format: value_and_interval,
    };
    vec![Case {
        label: "ope DR, percentile bootstrap".into(),
        slug: slug.into(),
        size: format!("{} rows × {ARMS} arms, B = {}", thousands(rows), thousands(1000)),
        prepare: vec![],
        ours: Side {
            run: ctx.example("dr_bootstrap", &[&rows_arg, &ARMS, &BOOTSTRAP, &"0", &SEED]),
            quality: probe("ours"),
        },
        peer: Some(Side {
            run: ctx.script(
                "ope_peer.py",
                &[&"--rows", &rows_arg, &"--arms", &ARMS, &"--bootstrap", &BOOTSTRAP, &"--seed", &SEED],
            ),
            quality: probe("peer"),
        }),
    }]
}

/// `DR 0.090295 [0.089548, 0.091088], estimator 0.62 s` from a side's JSON line.
fn value_and_interval(v: &Value) -> Result<String> {
    let (Some(value), Some(lo), Some(hi)) = (number(v, "value"), number(v, "ci_low"), number(v, "ci_high"))
    else {
        bail!("the side printed no value / ci_low / ci_high: {v}");
    };
    let secs = number(v, "estimator_seconds").map_or(String::new(), |s| format!(", estimator {s:.2} s"));
    Ok(format!("DR {value:.6} [{lo:.6}, {hi:.6}]{secs}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quality_figure() {
        let v = json!({"value": 0.0902946, "ci_low": 0.0895482, "ci_high": 0.0910875, "estimator_seconds": 0.617});
        assert_eq!(value_and_interval(&v).unwrap(), "DR 0.090295 [0.089548, 0.091088], estimator 0.62 s");
        assert!(value_and_interval(&json!({"value": 1.0})).is_err());
    }

    #[test]
    fn both_sides_get_the_same_log() {
        let ctx = Ctx {
            tp: "/r/target/release/tp".into(),
            python: "/r/.venv/bin/python".into(),
            peers: "/r/xtask/peers".into(),
            out: "/r/bench-out".into(),
            examples: "/r/target/release/examples".into(),
        };
        let case = &ope(&ctx, Scale::Full)[0];
        assert_eq!(case.ours.run.display(), "/r/target/release/examples/dr_bootstrap 1000000 5 1000 0 7");
        let peer = case.peer.as_ref().unwrap().run.display();
        assert!(peer.ends_with("ope_peer.py --rows 1000000 --arms 5 --bootstrap 1000 --seed 7"), "{peer}");
    }
}
