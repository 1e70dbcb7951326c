//! `forest`: the causal forest against EconML's `CausalForestDML` (ACIC 2016 settings 1–5, PEHE; a
//! simulated 100k × 20 speed case). Ours is the `forest_bench` example of tp-uplift; both sides read
//! the same prepared CSVs and are scored by the same probe. The uplift forest's cases are the `urf`
//! task.

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Cmd, Ctx, Quality, SEED, Scale, Side, number};
use crate::bench::report::thousands;

/// Trees of the ACIC cases (both sides).
const ACIC_TREES: usize = 500;

pub(super) fn forest(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let quick = scale == Scale::Quick;
    let mut cases = Vec::new();
    let settings: &[u32] = if quick { &[1] } else { &[1, 2, 3, 4, 5] };
    let acic_trees = if quick { 100 } else { ACIC_TREES };
    for &s in settings {
        let slug = format!("forest-acic-{s}");
        let dir = ctx.dir(&slug);
        cases.push(cf_case(
            ctx,
            format!("causal forest ACIC 2016 setting {s}"),
            slug,
            format!("4,802 × 82, {acic_trees} trees"),
            ctx.script("forest_prepare.py", &[&"acic", &s.to_string(), &dir]),
            &dir,
            acic_trees,
            EconMl::Peer,
        ));
        // ours alone with grf's fixed defaults (gradient rule, 5 rows per arm, no tuning), for reference
        let slug = format!("forest-acic-{s}-grf");
        let dir = ctx.dir(&slug);
        cases.push(cf_case(
            ctx,
            format!("causal forest ACIC 2016 setting {s}, untuned grf defaults"),
            slug,
            format!("4,802 × 82, {acic_trees} trees"),
            ctx.script("forest_prepare.py", &[&"acic", &s.to_string(), &dir]),
            &dir,
            acic_trees,
            EconMl::None,
        ));
    }
    // 2,000 trees (the figure) take EconML hours on this 2-core machine; both sides run 100
    let (n, p, trees) = if quick { (10_000u64, 20, 50) } else { (100_000, 20, 100) };
    let dir = ctx.dir("forest-cf-speed");
    cases.push(cf_case(
        ctx,
        "causal forest speed (simulated)".into(),
        "forest-cf-speed".into(),
        format!("{} × {p}, {trees} trees", thousands(n)),
        ctx.script("forest_prepare.py", &[&"cf-sim", &n.to_string(), &p.to_string(), &SEED, &dir]),
        &dir,
        trees,
        EconMl::Peer,
    ));
    cases
}

/// Whether a causal-forest case runs EconML beside ours. Ours always tries all features per split
/// (EconML's `max_features`); everything else is our default.
#[derive(Clone, Copy, PartialEq)]
enum EconMl {
    /// EconML runs too; ours runs its defaults, so the split rule and leaf size are tuned by
    /// out-of-bag R-loss when the forest has ≥ 300 trees (`CausalForest::tune`, grid fixed in
    /// tp-uplift's `forest::tune`, the same for every data set).
    Peer,
    /// Ours alone, tuning off (`tune=never`): grf's fixed defaults, gradient rule, 5 rows per arm.
    None,
}

#[allow(clippy::too_many_arguments)]
fn cf_case(
    ctx: &Ctx,
    label: String,
    slug: String,
    size: String,
    prepare: Cmd,
    dir: &std::path::Path,
    trees: usize,
    econml: EconMl,
) -> Case {
    let data = dir.join("data.csv");
    // ours.csv: τ̂ of every row from all trees (in-sample, as EconML's effect(X)); ours_oob.csv: OOB τ̂
    let (ours, oob, peer) = (dir.join("ours.csv"), dir.join("ours_oob.csv"), dir.join("peer.csv"));
    let t = trees.to_string();
    let in_sample = format!("in_sample={}", ours.display());
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"cf", &data, &t, &oob, &"all", &in_sample];
    if econml == EconMl::None {
        args.push(&"tune=never");
    }
    Case {
        label,
        slug,
        size,
        prepare: vec![prepare],
        ours: Side {
            run: ctx.example("forest_bench", &args),
            quality: Quality {
                probe: ctx.script("forest_probe.py", &[&"pehe", &ours, &data, &oob]),
                format: pehe,
            },
        },
        peer: (econml == EconMl::Peer).then(|| Side {
            run: ctx.script("forest_peer.py", &[&"cf", &data, &t, &peer]),
            quality: Quality { probe: ctx.script("forest_probe.py", &[&"pehe", &peer, &data]), format: pehe },
        }),
    }
}

/// `PEHE 0.412 in-sample` from the probe's `pehe`, with `(OOB 0.420)` when it scored OOB predictions too.
fn pehe(v: &Value) -> Result<String> {
    let Some(p) = number(v, "pehe") else { bail!("the probe printed no pehe: {v}") };
    Ok(match number(v, "pehe_oob") {
        Some(o) => format!("PEHE {p:.3} in-sample (OOB {o:.3})"),
        None => format!("PEHE {p:.3} in-sample"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cases_share_inputs_and_tree_counts() {
        let ctx = Ctx {
            tp: "/r/target/release/tp".into(),
            python: "/r/.venv/bin/python".into(),
            peers: "/r/xtask/peers".into(),
            out: "/r/bench-out".into(),
            examples: "/r/target/release/examples".into(),
        };
        let cases = forest(&ctx, Scale::Full);
        assert_eq!(cases.len(), 11);
        let acic = cases[0].ours.run.display();
        assert!(acic.ends_with(
            "cf /r/bench-out/forest-acic-1/data.csv 500 /r/bench-out/forest-acic-1/ours_oob.csv all \
             in_sample=/r/bench-out/forest-acic-1/ours.csv"
        ));
        assert!(cases[0].ours.quality.probe.display().ends_with("forest-acic-1/ours_oob.csv"));
        assert!(
            cases[1].peer.is_none()
                && cases[1]
                    .ours
                    .run
                    .display()
                    .ends_with("all in_sample=/r/bench-out/forest-acic-1-grf/ours.csv tune=never")
        );
        let speed = &cases[10];
        assert!(speed.ours.run.display().contains(
            "cf /r/bench-out/forest-cf-speed/data.csv 100 /r/bench-out/forest-cf-speed/ours_oob.csv all"
        ));
        assert!(
            speed
                .peer
                .as_ref()
                .unwrap()
                .run
                .display()
                .contains("forest_peer.py cf /r/bench-out/forest-cf-speed/data.csv 100")
        );
        assert_eq!(forest(&ctx, Scale::Quick).len(), 3);
    }

    #[test]
    fn quality_figures() {
        assert_eq!(pehe(&json!({ "pehe": 0.41234 })).unwrap(), "PEHE 0.412 in-sample");
        assert_eq!(
            pehe(&json!({ "pehe": 0.41234, "pehe_oob": 0.42 })).unwrap(),
            "PEHE 0.412 in-sample (OOB 0.420)"
        );
        assert!(pehe(&json!({})).is_err());
    }
}
