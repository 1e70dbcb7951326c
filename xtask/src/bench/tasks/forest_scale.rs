//! The causal forest at scale, three tasks (each is long, so each runs and reports on its own):
//!
//! - `forest-100k`: 100k × 20 (the `forest` speed world) at the 2,000 trees, ours only,
//!   plus ours and EconML's `CausalForestDML` at two small tree counts on the same data, which give
//!   the peer's fixed and per-tree cost (EconML needs hours for 2,000 trees on this machine; the
//!   2,000-tree figure for it is an extrapolation, written by hand next to the table).
//! - `forest-1m`: 1M × 30, ours only (`forest_scale`, data simulated in-process).
//! - `forest-criteo`: the `criteo` preset at 14M rows through `tp uplift --method causal-forest`,
//!   ours only.
//!
//! Tree counts of the two ours-only scale cases are chosen to finish in about half an hour on this
//! shared 2-core machine; the nuisance forests follow at least 50 trees (grf: max(50, trees / 4)) where that fits
//! (it does not at 14M rows: see the constants).

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Ctx, Quality, SEED, Scale, Side, number};
use crate::bench::report::thousands;

/// The tree count for the 100k case (ours).
const TREES_100K: usize = 2000;
/// The peer's two measured tree counts (multiples of EconML's `subforest_size` 4).
const PEER_TREES: [usize; 2] = [4, 20];
/// 1M × 30: trees and nuisance trees (grf's floor of 50 nuisance trees).
const TREES_1M: (usize, usize) = (100, 50);
/// Criteo, 14M rows: trees and nuisance trees (fewer than grf's 50: at 14M rows the two nuisance
/// forests dominate the time).
const CRITEO_ROWS: u64 = 14_000_000;
const TREES_CRITEO: (usize, usize) = (40, 10);

pub(super) fn forest_100k(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let quick = scale == Scale::Quick;
    let (n, p) = (if quick { 5_000u64 } else { 100_000 }, 20);
    let big = if quick { 40 } else { TREES_100K };
    let mut cases = Vec::new();
    let counts: Vec<(usize, bool)> =
        std::iter::once((big, false)).chain(PEER_TREES.map(|t| (t, true))).collect();
    for (trees, with_peer) in counts {
        let slug = format!("forest-scale-100k-{trees}");
        let dir = ctx.dir(&slug);
        let data = dir.join("data.csv");
        let (ours, peer) = (dir.join("ours.csv"), dir.join("peer.csv"));
        let t = trees.to_string();
        let probe = |pred: &std::path::Path| Quality {
            probe: ctx.script("forest_probe.py", &[&"pehe", &pred, &data]),
            format: pehe,
        };
        cases.push(Case {
            label: format!("causal forest {}", if with_peer { "fixed + per-tree cost" } else { "speed" }),
            slug,
            size: format!("{} × {p}, {trees} trees", thousands(n)),
            prepare: vec![
                ctx.script("forest_prepare.py", &[&"cf-sim", &n.to_string(), &p.to_string(), &SEED, &dir]),
            ],
            // mtry = all features, as EconML's default max_features (as in `bench forest`)
            ours: Side {
                run: ctx.example("forest_bench", &[&"cf", &data, &t, &ours, &"all"]),
                quality: probe(&ours),
            },
            peer: with_peer.then(|| Side {
                run: ctx.script("forest_peer.py", &[&"cf", &data, &t, &peer]),
                quality: probe(&peer),
            }),
        });
    }
    cases
}

pub(super) fn forest_1m(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let (n, p) = if scale == Scale::Quick { (20_000u64, 30) } else { (1_000_000, 30) };
    let (trees, nuisance) = if scale == Scale::Quick { (20, 10) } else { TREES_1M };
    let slug = "forest-scale-1m".to_string();
    let dir = ctx.dir(&slug);
    vec![Case {
        label: "causal forest scale (simulated)".into(),
        slug,
        size: format!("{} × {p}, {trees} trees, nuisance 2 × {nuisance}", thousands(n)),
        prepare: vec![],
        ours: Side {
            run: ctx.example(
                "forest_scale",
                &[&n.to_string(), &p.to_string(), &trees.to_string(), &nuisance.to_string()],
            ),
            quality: Quality {
                probe: ctx.script("forest_scale_probe.py", &[&"json", &dir.join("ours.stdout")]),
                format: pehe_coverage,
            },
        },
        peer: None,
    }]
}

pub(super) fn forest_criteo(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let rows = if scale == Scale::Quick { 200_000 } else { CRITEO_ROWS };
    let (trees, nuisance) = if scale == Scale::Quick { (20, 10) } else { TREES_CRITEO };
    let slug = "forest-scale-criteo".to_string();
    let dir = ctx.dir(&slug);
    let (data, cate) = (dir.join("criteo.parquet"), dir.join("cate.parquet"));
    let covariates = (0..12).map(|j| format!("f{j}")).collect::<Vec<_>>().join(",");
    vec![Case {
        label: "causal forest criteo preset (tp uplift, outcome visit)".into(),
        slug,
        size: format!("{} × 12, {trees} trees, nuisance 2 × {nuisance}", thousands(rows)),
        prepare: vec![super::Cmd::new(
            &ctx.tp,
            &[
                &"simulate",
                &"--preset",
                &"criteo",
                &"--customers",
                &rows.to_string(),
                &"--seed",
                &SEED,
                &"--out",
                &dir,
                &"--format",
                &"parquet",
            ],
        )],
        ours: Side {
            run: super::Cmd::new(
                &ctx.tp,
                &[
                    &"uplift",
                    &"--data",
                    &data,
                    &"--treatment",
                    &"treatment",
                    &"--outcome",
                    &"visit",
                    &"--covariates",
                    &covariates,
                    &"--method",
                    &"causal-forest",
                    &"--trees",
                    &trees.to_string(),
                    &"--nuisance-trees",
                    &nuisance.to_string(),
                    &"--seed",
                    &SEED,
                    &"--out",
                    &cate,
                    &"--json",
                ],
            ),
            quality: Quality {
                probe: ctx.script("forest_scale_probe.py", &[&"criteo", &cate, &data]),
                format: pehe_coverage,
            },
        },
        peer: None,
    }]
}

/// `PEHE 0.412` from the probe's `pehe`.
fn pehe(v: &Value) -> Result<String> {
    let Some(p) = number(v, "pehe") else { bail!("the probe printed no pehe: {v}") };
    Ok(format!("PEHE {p:.3}"))
}

/// `PEHE 0.0123, 90% coverage 0.874` (also the fit seconds when the side printed them).
fn pehe_coverage(v: &Value) -> Result<String> {
    let (Some(p), Some(c)) = (number(v, "pehe"), number(v, "coverage90")) else {
        bail!("the probe printed no pehe and coverage90: {v}")
    };
    Ok(match number(v, "fit_s") {
        Some(f) => format!("PEHE {p:.4}, 90% coverage {c:.3}, fit {f:.0} s"),
        None => format!("PEHE {p:.4}, 90% coverage {c:.3}"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx;
    use super::*;
    use serde_json::json;

    #[test]
    fn the_100k_cases_share_one_world_and_only_small_counts_run_the_peer() {
        let cases = forest_100k(&test_ctx(), Scale::Full);
        assert_eq!(cases.len(), 3);
        assert!(cases[0].peer.is_none());
        assert!(cases[0].ours.run.display().contains("forest-scale-100k-2000/data.csv 2000"));
        for (case, t) in cases[1..].iter().zip(PEER_TREES) {
            let peer = case.peer.as_ref().unwrap().run.display();
            assert!(
                peer.contains(&format!("forest_peer.py cf /r/bench-out/forest-scale-100k-{t}/data.csv {t}"))
            );
            assert_eq!(t % 4, 0, "EconML needs a multiple of subforest_size 4");
        }
        for case in &cases {
            assert!(
                case.prepare[0]
                    .display()
                    .ends_with(&format!("cf-sim 100000 20 7 /r/bench-out/{}", case.slug))
            );
        }
    }

    #[test]
    fn the_scale_cases_state_their_tree_counts() {
        let m = &forest_1m(&test_ctx(), Scale::Full)[0];
        assert!(m.ours.run.display().ends_with("forest_scale 1000000 30 100 50"));
        assert_eq!(m.size, "1,000,000 × 30, 100 trees, nuisance 2 × 50");
        let c = &forest_criteo(&test_ctx(), Scale::Full)[0];
        assert!(c.prepare[0].display().contains("--customers 14000000"));
        let run = c.ours.run.display();
        assert!(run.contains("--method causal-forest --trees 40 --nuisance-trees 10"), "{run}");
        assert!(run.contains("--covariates f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11"));
    }

    #[test]
    fn quality_figures() {
        assert_eq!(pehe(&json!({ "pehe": 0.41234 })).unwrap(), "PEHE 0.412");
        assert_eq!(
            pehe_coverage(&json!({ "pehe": 0.01234, "coverage90": 0.8766 })).unwrap(),
            "PEHE 0.0123, 90% coverage 0.877"
        );
        assert_eq!(
            pehe_coverage(&json!({ "pehe": 0.1, "coverage90": 0.9, "fit_s": 812.4 })).unwrap(),
            "PEHE 0.1000, 90% coverage 0.900, fit 812 s"
        );
        assert!(pehe_coverage(&json!({ "pehe": 0.1 })).is_err());
    }
}
