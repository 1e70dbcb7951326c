//! `segment`: K-Means and NMF of tp-segment against scikit-learn on the same `.npy` inputs.
//!
//! Inputs are written (untimed) by `segment_peer.py make`; ours is the release example
//! `segment_bench` of tp-segment. Both sides write a JSON result with the fit-only seconds, which
//! the quality cell shows next to the figure, since the table's time is the whole process
//! (Python imports and loading the array included).
//!
//! - K-Means, 1,000,000 × 16 blobs, k = 8, n_init = 1: each side's own k-means++ (seed 7), then
//!   from one shared k-means++ init (scikit-learn's `kmeans_plusplus`, written by the preparation):
//!   the same Lloyd trajectory on both sides, so the inertia must agree.
//! - NMF, 20,000 × 300 counts of rank 6, nndsvda: scikit-learn's `cd` runs to its own
//!   convergence (tol 1e-4, untimed, in the preparation) and writes its objective
//!   (`reconstruction_err_`); ours is then timed to reach an objective ≤ that × 1.001
//!   (`--target-from`, tol 0), and the peer's `cd` is timed again as the peer side. Quality: both
//!   objectives and our loop's GEMM-equivalent GFLOP/s; a separate ours-only line gives faer's
//!   plain GEMM rate on the loop's two product shapes on the same machine.
//! - NMF, Kullback–Leibler by multiplicative updates, both sides with tol 1e-4 and the loss checked
//!   every 10 iterations (scikit-learn's rule).

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use super::{Case, Ctx, Quality, SEED, Scale, Side, number};
use crate::bench::report::thousands;

const EXAMPLE: &str = "segment_bench";

pub(super) fn segment(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let (km_rows, nmf_rows): (u64, u64) = match scale {
        Scale::Full => (1_000_000, 20_000),
        Scale::Quick => (100_000, 2_000),
    };
    let show = |path: &std::path::Path, format| Quality {
        probe: ctx.script("segment_peer.py", &[&"show", &path]),
        format,
    };
    let make = |what: &str, rows: u64, out: &std::path::Path| {
        ctx.script("segment_peer.py", &[&"make", &what, &"--rows", &rows.to_string(), &"--out", &out])
    };
    let km_size = format!("{} × 16, k = 8", thousands(km_rows));
    let nmf_size = format!("{} × 300, rank 6", thousands(nmf_rows));

    let mut cases = Vec::new();

    // K-Means, each side's own k-means++
    let dir = ctx.dir("segment-kmeans");
    let (x, ours, peer) = (dir.join("x.npy"), dir.join("ours.json"), dir.join("peer.json"));
    cases.push(Case {
        label: "segment k-means (k-means++, n_init 1)".into(),
        slug: "segment-kmeans".into(),
        size: km_size.clone(),
        prepare: vec![make("kmeans", km_rows, &x)],
        ours: Side {
            run: ctx.example(EXAMPLE, &[&"kmeans", &x, &"--k", &"8", &"--seed", &SEED, &"--out", &ours]),
            quality: show(&ours, inertia),
        },
        peer: Some(Side {
            run: ctx
                .script("segment_peer.py", &[&"kmeans", &x, &"--k", &"8", &"--seed", &SEED, &"--out", &peer]),
            quality: show(&peer, inertia),
        }),
    });

    // K-Means from one shared init: the same trajectory
    let dir = ctx.dir("segment-kmeans-init");
    let (x, init, ours, peer) =
        (dir.join("x.npy"), dir.join("init.npy"), dir.join("ours.json"), dir.join("peer.json"));
    cases.push(Case {
        label: "segment k-means (shared init)".into(),
        slug: "segment-kmeans-init".into(),
        size: km_size,
        prepare: vec![
            make("kmeans", km_rows, &x),
            ctx.script("segment_peer.py", &[&"init", &x, &"--k", &"8", &"--seed", &SEED, &"--out", &init]),
        ],
        ours: Side {
            run: ctx.example(EXAMPLE, &[&"kmeans", &x, &"--k", &"8", &"--init", &init, &"--out", &ours]),
            quality: show(&ours, inertia),
        },
        peer: Some(Side {
            run: ctx
                .script("segment_peer.py", &[&"kmeans", &x, &"--k", &"8", &"--init", &init, &"--out", &peer]),
            quality: show(&peer, inertia),
        }),
    });

    // NMF cd to scikit-learn's objective
    let dir = ctx.dir("segment-nmf-cd");
    let (x, target, ours, peer) =
        (dir.join("x.npy"), dir.join("target.json"), dir.join("ours.json"), dir.join("peer.json"));
    cases.push(Case {
        label: "segment nmf cd (to sklearn's objective × 1.001)".into(),
        slug: "segment-nmf-cd".into(),
        size: nmf_size.clone(),
        prepare: vec![
            make("nmf", nmf_rows, &x),
            ctx.script("segment_peer.py", &[&"nmf", &x, &"--k", &"6", &"--out", &target]),
        ],
        ours: Side {
            run: ctx.example(
                EXAMPLE,
                &[&"nmf", &x, &"--k", &"6", &"--tol", &"0", &"--target-from", &target, &"--out", &ours],
            ),
            quality: show(&ours, objective),
        },
        peer: Some(Side {
            run: ctx.script("segment_peer.py", &[&"nmf", &x, &"--k", &"6", &"--out", &peer]),
            quality: show(&peer, objective),
        }),
    });

    // faer's plain GEMM rate on the loop's shapes (ours only)
    let dir = ctx.dir("segment-gemm");
    let out = dir.join("ours.json");
    let rows = nmf_rows.to_string();
    cases.push(Case {
        label: "segment: faer plain GEMM (NMF shapes)".into(),
        slug: "segment-gemm".into(),
        size: nmf_size.clone(),
        prepare: vec![],
        ours: Side {
            run: ctx.example(
                EXAMPLE,
                &[&"gemm", &"--rows", &rows, &"--cols", &"300", &"--k", &"6", &"--out", &out],
            ),
            quality: show(&out, gemm_rates),
        },
        peer: None,
    });

    // NMF KL by multiplicative updates, same tolerance rule on both sides
    let dir = ctx.dir("segment-nmf-kl");
    let (x, ours, peer) = (dir.join("x.npy"), dir.join("ours.json"), dir.join("peer.json"));
    let kl = [&"--solver" as &dyn AsRef<std::ffi::OsStr>, &"mu", &"--loss", &"kl", &"--tol", &"1e-4"];
    let mut ours_args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"nmf", &x, &"--k", &"6"];
    ours_args.extend(kl);
    ours_args.extend([&"--out" as &dyn AsRef<std::ffi::OsStr>, &ours]);
    let mut peer_args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"nmf", &x, &"--k", &"6"];
    peer_args.extend(kl);
    peer_args.extend([&"--out" as &dyn AsRef<std::ffi::OsStr>, &peer]);
    cases.push(Case {
        label: "segment nmf kl (mu, tol 1e-4)".into(),
        slug: "segment-nmf-kl".into(),
        size: nmf_size,
        prepare: vec![make("nmf", nmf_rows, &x)],
        ours: Side { run: ctx.example(EXAMPLE, &ours_args), quality: show(&ours, objective) },
        peer: Some(Side { run: ctx.script("segment_peer.py", &peer_args), quality: show(&peer, objective) }),
    });
    cases
}

fn fit_seconds(v: &Value) -> Result<f64> {
    number(v, "fit_seconds").with_context(|| format!("no fit_seconds in {v}"))
}

/// `inertia 35994546.52 (fit 0.31 s, 3 it)`.
fn inertia(v: &Value) -> Result<String> {
    let Some(inertia) = number(v, "inertia") else { bail!("no inertia in {v}") };
    Ok(format!("inertia {inertia:.2} (fit {:.2} s, {} it)", fit_seconds(v)?, v["n_iter"]))
}

/// `objective 938.16 (fit 0.80 s, 30 it, loop 6.1 GFLOP/s)`; the target when there is one.
fn objective(v: &Value) -> Result<String> {
    let Some(obj) = number(v, "objective") else { bail!("no objective in {v}") };
    let mut s = format!("objective {obj:.3}");
    if let Some(t) = number(v, "target") {
        if obj > t {
            bail!("our objective {obj} did not reach the target {t}: {v}");
        }
        s.push_str(&format!(" ≤ target {t:.3}"));
    }
    s.push_str(&format!(" (fit {:.2} s, {} it", fit_seconds(v)?, v["n_iter"]));
    if let Some(g) = number(v, "loop_gflops") {
        s.push_str(&format!(", loop {g:.1} GFLOP/s"));
    }
    s.push(')');
    Ok(s)
}

/// `XHᵀ 7.9, WᵀX 1.2, 1000² 23.4 GFLOP/s`.
fn gemm_rates(v: &Value) -> Result<String> {
    let (Some(a), Some(b), Some(c)) =
        (number(v, "xht_gflops"), number(v, "wtx_gflops"), number(v, "square_1000_gflops"))
    else {
        bail!("no GEMM rates in {v}");
    };
    Ok(format!("faer GEMM: X·Hᵀ {a:.1}, Wᵀ·X {b:.1}, 1000×1000 {c:.1} GFLOP/s"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Ctx {
        super::super::test_ctx()
    }

    #[test]
    fn cases_share_inputs_and_targets() {
        let cases = segment(&ctx(), Scale::Quick);
        assert_eq!(cases.len(), 5);
        let km = &cases[0];
        assert!(km.prepare[0].display().contains("segment_peer.py make kmeans --rows 100000"));
        assert!(km.ours.run.display().starts_with("/r/target/release/examples/segment_bench kmeans"));
        let nmf = &cases[2];
        let target = nmf.prepare[1].display();
        assert!(target.contains("segment_peer.py nmf") && target.ends_with("target.json"), "{target}");
        assert!(nmf.ours.run.display().contains("--target-from /r/bench-out/segment-nmf-cd/target.json"));
        assert!(cases[4].ours.run.display().contains("--loss kl"));
        assert!(cases[4].peer.as_ref().unwrap().run.display().contains("--loss kl"));
        assert_eq!(segment(&ctx(), Scale::Full)[0].size, "1,000,000 × 16, k = 8");
    }

    #[test]
    fn quality_cells() {
        let v = json!({"fit_seconds": 0.314, "inertia": 35994546.5177, "n_iter": 3});
        assert_eq!(inertia(&v).unwrap(), "inertia 35994546.52 (fit 0.31 s, 3 it)");
        let v = json!({"fit_seconds": 0.8, "objective": 938.16, "target": 938.79, "n_iter": 30, "loop_gflops": 6.05});
        assert_eq!(
            objective(&v).unwrap(),
            "objective 938.160 ≤ target 938.790 (fit 0.80 s, 30 it, loop 6.0 GFLOP/s)"
        );
        let missed = json!({"fit_seconds": 0.8, "objective": 940.0, "target": 938.79, "n_iter": 30});
        assert!(objective(&missed).is_err());
        let v = json!({"xht_gflops": 7.9, "wtx_gflops": 1.24, "square_1000_gflops": 23.4});
        assert_eq!(gemm_rates(&v).unwrap(), "faer GEMM: X·Hᵀ 7.9, Wᵀ·X 1.2, 1000×1000 23.4 GFLOP/s");
    }
}
