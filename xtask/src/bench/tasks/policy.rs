//! `policy`: the exact depth-2 policy tree at the policytree vignette's size (n = 10,000, p = 30,
//! 20 arms; the vignette reports about three hours for R's exact search), our release example
//! `policy_tree_timing` against econml's `PolicyTree` (`policy_peer.py`). There is no Python exact
//! policy tree: econml grows the tree greedily, an easier problem, so its time is a reference and
//! the quality column compares the in-sample value `Σ R[i, π(x_i)]` each tree reaches on the same
//! data (built bit for bit alike on both sides). A second case, ours only, uses 256 bins.

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Ctx, Quality, SEED, Scale, Side, number};

const SIZE: &str = "10,000 rows × 30 features × 20 arms";

pub(super) fn policy(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let bins: &[&str] = match scale {
        Scale::Full => &["64", "256"],
        Scale::Quick => &["16"],
    };
    bins.iter()
        .enumerate()
        .map(|(c, &b)| {
            let slug = format!("policy-tree-depth2-{b}-bins");
            let dir = ctx.dir(&slug);
            let probe = |who: &str| Quality {
                probe: ctx.script("ope_quality.py", &[&dir.join(format!("{who}.stdout"))]),
                format: tree_value,
            };
            Case {
                label: format!("policy tree depth 2, exact, {b} bins"),
                slug: slug.clone(),
                size: SIZE.into(),
                prepare: vec![],
                ours: Side {
                    run: ctx.example("policy_tree_timing", &[&b, &"0", &SEED]),
                    quality: probe("ours"),
                },
                // the peer has no bins; run it once, next to the default
                peer: (c == 0).then(|| Side {
                    run: ctx.script(
                        "policy_peer.py",
                        &[&"--rows", &"10000", &"--features", &"30", &"--arms", &"20", &"--seed", &SEED],
                    ),
                    quality: probe("peer"),
                }),
            }
        })
        .collect()
}

/// `value 4041.9 (4 leaves, exact), fit 0.72 s` from a side's JSON line.
fn tree_value(v: &Value) -> Result<String> {
    let Some(value) = number(v, "value") else {
        bail!("the side printed no tree value: {v}");
    };
    let leaves = number(v, "leaves").map_or(String::new(), |l| format!("{l:.0} leaves"));
    let kind = match v.get("exact").and_then(Value::as_bool) {
        Some(true) => ", exact",
        Some(false) => ", greedy fallback",
        None => ", greedy",
    };
    let secs = number(v, "fit_seconds").map_or(String::new(), |s| format!(", fit {s:.2} s"));
    Ok(format!("value {value:.1} ({leaves}{kind}){secs}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quality_figure() {
        let ours = json!({"value": 4041.897, "leaves": 4, "exact": true, "fit_seconds": 0.722});
        assert_eq!(tree_value(&ours).unwrap(), "value 4041.9 (4 leaves, exact), fit 0.72 s");
        let peer = json!({"value": 3936.835, "leaves": 4, "fit_seconds": 0.192});
        assert_eq!(tree_value(&peer).unwrap(), "value 3936.8 (4 leaves, greedy), fit 0.19 s");
        assert!(tree_value(&json!({})).is_err());
    }

    #[test]
    fn cases_share_seed_and_size() {
        let ctx = Ctx {
            tp: "/r/target/release/tp".into(),
            python: "/r/.venv/bin/python".into(),
            peers: "/r/xtask/peers".into(),
            out: "/r/bench-out".into(),
            examples: "/r/target/release/examples".into(),
        };
        let cases = policy(&ctx, Scale::Full);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].ours.run.display(), "/r/target/release/examples/policy_tree_timing 64 0 7");
        let peer = cases[0].peer.as_ref().unwrap().run.display();
        assert!(peer.ends_with("policy_peer.py --rows 10000 --features 30 --arms 20 --seed 7"), "{peer}");
        assert!(cases[1].peer.is_none());
    }
}
