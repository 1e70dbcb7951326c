//! `urf`: the uplift forest against causalml's `UpliftRandomForestClassifier`, the two questions of
//! issue #7 (split out of `forest` because the 100-tree speed case takes the peer tens of minutes):
//!
//! - Starbucks held-out Qini "≥ causalml's with the same trees and depth": both sides fit the same
//!   70% split once per seed (ours `seed`, causalml `random_state`, seeds 1–5) and the same probe
//!   scores the held-out 30%; the quality cell is the mean ± sd over the seeds. A second, ours-only
//!   row grows every tree on a bootstrap of all rows (`group=1`, causalml's sampling) instead of
//!   little bags.
//! - Speed "200k × 80, 100 trees ≥ 10× faster than causalml": one fit each at the size.
//!
//! Ours is the `urf` mode of the `forest_bench` example of tp-uplift; both sides read the same
//! prepared CSVs and are scored by `forest_probe.py qini`.

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Cmd, Ctx, Quality, SEED, Scale, Side, number};
use crate::bench::report::thousands;

/// Trees and depth of the Starbucks cases: split levels on both sides (causalml 0.18's `max_depth`
/// counts them as ours does; the bench used to pass depth + 1, the legacy trees' counting, which
/// gave causalml one level more than ours).
const STARBUCKS_TREES: usize = 100;
const DEPTH: usize = 4;
/// The Starbucks seeds, on both sides.
const SEEDS: &str = "1,2,3,4,5";
/// The speed case: rows, features, trees (the figures).
const SPEED: (u64, usize, usize) = (200_000, 80, 100);

pub(super) fn urf(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let quick = scale == Scale::Quick;
    let (sb_trees, seeds) = if quick { (10, "1,2") } else { (STARBUCKS_TREES, SEEDS) };
    let n_seeds = seeds.split(',').count();
    let mut cases = Vec::new();
    for (slug, label, group, peer) in [
        ("urf-starbucks", "uplift forest Starbucks (30% held out)", "group=2", true),
        ("urf-starbucks-bootstrap", "uplift forest Starbucks, bootstrap of all rows", "group=1", false),
    ] {
        let dir = ctx.dir(slug);
        cases.push(urf_case(
            ctx,
            label.into(),
            slug.into(),
            format!("59k × 7, {sb_trees} trees, depth {DEPTH}, {n_seeds} seeds"),
            ctx.script("forest_prepare.py", &[&"starbucks", &SEED, &dir]),
            &dir,
            sb_trees,
            &[format!("seeds={seeds}"), group.to_string()],
            peer.then(|| format!("seeds={seeds}")),
        ));
    }
    let (n, p, trees) = if quick { (20_000, 80, 10) } else { SPEED };
    let dir = ctx.dir("urf-speed");
    cases.push(urf_case(
        ctx,
        "uplift forest speed (simulated)".into(),
        "urf-speed".into(),
        format!("{} × {p}, {trees} trees, depth {DEPTH}", thousands(n)),
        ctx.script("forest_prepare.py", &[&"urf-sim", &n.to_string(), &p.to_string(), &SEED, &dir]),
        &dir,
        trees,
        &[],
        Some(String::new()),
    ));
    cases
}

/// One case: ours (`forest_bench urf` with `options`) and, when `peer` is given (its extra argument,
/// possibly empty), causalml, on `train.csv` / `test.csv` of `dir`.
#[allow(clippy::too_many_arguments)]
fn urf_case(
    ctx: &Ctx,
    label: String,
    slug: String,
    size: String,
    prepare: Cmd,
    dir: &std::path::Path,
    trees: usize,
    options: &[String],
    peer: Option<String>,
) -> Case {
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    let (ours, peer_out) = (dir.join("ours.csv"), dir.join("peer.csv"));
    let (t, d) = (trees.to_string(), DEPTH.to_string());
    let probe = |pred: &std::path::Path| Quality {
        probe: ctx.script("forest_probe.py", &[&"qini", &pred, &test]),
        format: qini,
    };
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"urf", &train, &test, &t, &d, &ours];
    args.extend(options.iter().map(|o| o as &dyn AsRef<std::ffi::OsStr>));
    Case {
        label,
        slug,
        size,
        prepare: vec![prepare],
        ours: Side { run: ctx.example("forest_bench", &args), quality: probe(&ours) },
        peer: peer.map(|extra| {
            let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"urf", &train, &test, &t, &d, &peer_out];
            if !extra.is_empty() {
                args.push(&extra);
            }
            Side { run: ctx.script("forest_peer.py", &args), quality: probe(&peer_out) }
        }),
    }
}

/// `Qini 0.1234` (with `± sd (min–max, N seeds)` over seeds, and the uplift PEHE when the truth is
/// known).
fn qini(v: &Value) -> Result<String> {
    let Some(q) = number(v, "qini") else { bail!("the probe printed no qini: {v}") };
    let mut s = format!("Qini {q:.4}");
    if let (Some(sd), Some(Value::Object(each))) = (number(v, "qini_sd"), v.get("qinis")) {
        let each: Vec<f64> = each.values().filter_map(Value::as_f64).collect();
        let (lo, hi) =
            each.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        s.push_str(&format!(" ± {sd:.4} ({lo:.4}–{hi:.4}, {} seeds)", each.len()));
    }
    if let Some(p) = number(v, "pehe") {
        s.push_str(&format!(", uplift PEHE {p:.4}"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx;
    use super::*;
    use serde_json::json;

    #[test]
    fn both_sides_fit_the_same_seeds_split_and_size() {
        let cases = urf(&test_ctx(), Scale::Full);
        assert_eq!(cases.len(), 3);
        let sb = &cases[0];
        assert!(sb.ours.run.display().ends_with(
            "urf /r/bench-out/urf-starbucks/train.csv /r/bench-out/urf-starbucks/test.csv 100 4 \
             /r/bench-out/urf-starbucks/ours.csv seeds=1,2,3,4,5 group=2"
        ));
        let peer = sb.peer.as_ref().unwrap().run.display();
        assert!(
            peer.ends_with(
                "urf-starbucks/test.csv 100 4 /r/bench-out/urf-starbucks/peer.csv seeds=1,2,3,4,5"
            )
        );
        assert!(cases[1].peer.is_none() && cases[1].ours.run.display().ends_with("group=1"));
        let speed = &cases[2];
        assert!(speed.size.starts_with("200,000 × 80, 100 trees"));
        assert!(speed.ours.run.display().ends_with("100 4 /r/bench-out/urf-speed/ours.csv"));
        assert!(
            speed.peer.as_ref().unwrap().run.display().ends_with("100 4 /r/bench-out/urf-speed/peer.csv")
        );
        assert_eq!(urf(&test_ctx(), Scale::Quick).len(), 3);
    }

    #[test]
    fn quality_figures() {
        assert_eq!(qini(&json!({ "qini": 0.1 })).unwrap(), "Qini 0.1000");
        assert_eq!(qini(&json!({ "qini": 0.1, "pehe": 0.02 })).unwrap(), "Qini 0.1000, uplift PEHE 0.0200");
        let seeds =
            json!({ "qini": 0.17, "qini_sd": 0.01, "qinis": { "uplift_s1": 0.16, "uplift_s2": 0.18 } });
        assert_eq!(qini(&seeds).unwrap(), "Qini 0.1700 ± 0.0100 (0.1600–0.1800, 2 seeds)");
        assert!(qini(&json!({})).is_err());
    }
}
