//! `uplift`: CATE meta-learners with gradient-boosted base learners on ACIC 2016 settings 1–5 (PEHE
//! and ATE bias against the true τ = mu1 − mu0), ours (S, T, X, R, DR) next to causalml's X-learner
//! and EconML's DR-learner on LightGBM; and the X-learner's fit time on 1M × 20 simulated rows.
//!
//! Every case prepares its own data with `uplift_bench.py gen --only NAME` (untimed); both sides fit
//! on all rows and write τ̂ for the same rows, and one probe (`uplift_bench.py score`) scores both.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Ctx, Quality, Scale, Side, number};
use crate::bench::report::thousands;

/// ACIC 2016 rows (causallib's copy) and covariates after one-hot encoding `x_2`, `x_21`, `x_24`.
const ACIC_ROWS: u64 = 4_802;
const ACIC_COLS: u64 = 82;

/// Our meta-learners, each with the peer that implements the same method (if any).
const LEARNERS: [(&str, &str, Option<&str>); 5] = [
    ("s", "S", None),
    ("t", "T", None),
    ("x", "X", Some("causalml-x")),
    ("r", "R", None),
    ("dr", "DR", Some("econml-dr")),
];

fn peer_name(peer: &str) -> &'static str {
    match peer {
        "causalml-x" => "causalml X",
        _ => "EconML DR",
    }
}

/// One case: `method` of ours (GBT learners) and optionally a peer, on the data set `data`.
fn case(ctx: &Ctx, data: &str, label: String, size: String, method: &str, peer: Option<&str>) -> Case {
    let slug = format!("uplift-{data}-{method}");
    let dir = ctx.dir(&slug);
    let input = dir.join("data");
    let score = |tau: &Path| Quality {
        probe: ctx.script("uplift_bench.py", &[&"score", &input, &tau]),
        format: pehe_and_bias,
    };
    let quick: &[&dyn AsRef<std::ffi::OsStr>] = if data == "sim-quick" { &[&"--quick"] } else { &[] };
    let name = data.trim_end_matches("-quick");
    let mut make: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"gen", &input, &"--only", &name];
    make.extend_from_slice(quick);
    let (ours_tau, peer_tau) = (dir.join("ours_tau.f64"), dir.join("peer_tau.f64"));
    Case {
        label,
        slug,
        size,
        prepare: vec![ctx.script("uplift_bench.py", &make)],
        ours: Side {
            run: ctx.example("uplift_bench", &[&input, &method, &ours_tau, &"gbt"]),
            quality: score(&ours_tau),
        },
        peer: peer.map(|p| Side {
            run: ctx.script("uplift_bench.py", &[&"peer", &input, &p, &peer_tau]),
            quality: score(&peer_tau),
        }),
    }
}

pub(super) fn uplift(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let mut cases = Vec::new();
    let acic_size = format!("{} × {ACIC_COLS}", thousands(ACIC_ROWS));
    for k in 1..=5 {
        for (method, name, peer) in LEARNERS {
            let label = match peer {
                Some(p) => format!("ACIC 2016 #{k}: {name}-learner (GBT) vs {}", peer_name(p)),
                None => format!("ACIC 2016 #{k}: {name}-learner (GBT)"),
            };
            cases.push(case(ctx, &format!("acic{k}"), label, acic_size.clone(), method, peer));
        }
    }
    let (sim, n) = match scale {
        Scale::Full => ("sim", 1_000_000),
        Scale::Quick => ("sim-quick", 100_000),
    };
    let label = "simulated: X-learner (GBT) vs causalml X, fit time".to_string();
    cases.push(case(ctx, sim, label, format!("{} × 20", thousands(n)), "x", Some("causalml-x")));
    cases
}

/// `PEHE 0.743, ATE bias +0.195` from the probe's `pehe` and `ate_bias`.
fn pehe_and_bias(v: &Value) -> Result<String> {
    let (Some(pehe), Some(bias)) = (number(v, "pehe"), number(v, "ate_bias")) else {
        bail!("the probe printed no pehe / ate_bias: {v}");
    };
    Ok(format!("PEHE {pehe:.3}, ATE bias {bias:+.3}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        super::super::test_ctx()
    }

    #[test]
    fn cases_pair_each_learner_with_its_peer_on_the_same_data() {
        let cases = uplift(&ctx(), Scale::Quick);
        assert_eq!(cases.len(), 26);
        let x1 = &cases[2];
        assert_eq!(x1.label, "ACIC 2016 #1: X-learner (GBT) vs causalml X");
        assert_eq!(
            x1.prepare[0].display(),
            "/r/.venv/bin/python /r/xtask/peers/uplift_bench.py gen /r/bench-out/uplift-acic1-x/data --only acic1"
        );
        assert_eq!(
            x1.ours.run.display(),
            "/r/target/release/examples/uplift_bench /r/bench-out/uplift-acic1-x/data x \
             /r/bench-out/uplift-acic1-x/ours_tau.f64 gbt"
        );
        let peer = x1.peer.as_ref().unwrap().run.display();
        assert!(peer.ends_with(
            "peer /r/bench-out/uplift-acic1-x/data causalml-x /r/bench-out/uplift-acic1-x/peer_tau.f64"
        ));
        assert!(cases[4].peer.as_ref().unwrap().run.display().contains("econml-dr"));
        assert!(cases[0].peer.is_none() && cases[1].peer.is_none() && cases[3].peer.is_none());
        // the timing case is 100k rows when quick, 1M otherwise
        let sim = cases.last().unwrap();
        assert!(sim.prepare[0].display().ends_with("--only sim --quick"));
        assert_eq!(sim.size, "100,000 × 20");
        assert_eq!(uplift(&ctx(), Scale::Full).last().unwrap().size, "1,000,000 × 20");
        assert!(!uplift(&ctx(), Scale::Full).last().unwrap().prepare[0].display().contains("--quick"));
        // slugs are unique, so no case empties another's directory
        for (i, c) in cases.iter().enumerate() {
            assert!(cases[..i].iter().all(|d| d.slug != c.slug), "duplicate slug {}", c.slug);
        }
    }

    #[test]
    fn quality_figure() {
        let v = serde_json::json!({"pehe": 0.74287, "ate_bias": -0.0372});
        assert_eq!(pehe_and_bias(&v).unwrap(), "PEHE 0.743, ATE bias -0.037");
        assert!(pehe_and_bias(&serde_json::json!({})).is_err());
    }
}
