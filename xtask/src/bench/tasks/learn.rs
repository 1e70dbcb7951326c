//! `learn`: tp-learn's boosting and forests against LightGBM and scikit-learn on the same data.
//!
//! Ours is the release example `learn_bench` (tp-learn), the peer `xtask/peers/learn_bench.py peer`;
//! both fit on the training rows, predict the held-out rows and print one JSON line with the metric
//! (log loss or RMSE), which the quality probe reads back from the case's saved stdout. Every case
//! runs at 2 threads on both sides.

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Ctx, Quality, Scale, Side, number};
use crate::bench::report::thousands;

/// Threads on both sides.
const THREADS: &str = "2";

/// One learn case: `data` is the generated set (`sim_reg` / `starbucks`), `model` is `gbdt` / `rf`.
struct Spec {
    label: &'static str,
    slug: &'static str,
    data: &'static str,
    model: &'static str,
    /// Training rows for `sim_reg` (`None`: the Starbucks file).
    rows: Option<u64>,
    with_peer: bool,
}

pub(super) fn learn(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let (big, rf_rows) = match scale {
        Scale::Full => (1_000_000, 1_000_000),
        Scale::Quick => (100_000, 20_000),
    };
    let specs = [
        Spec {
            label: "GBDT Starbucks purchase ~ V1..V7 vs LightGBM",
            slug: "learn-gbdt-starbucks",
            data: "starbucks",
            model: "gbdt",
            rows: None,
            with_peer: true,
        },
        Spec {
            label: "GBDT regression × 20 vs LightGBM",
            slug: "learn-gbdt-sim",
            data: "sim_reg",
            model: "gbdt",
            rows: Some(big),
            with_peer: true,
        },
        // the size: scikit-learn takes 10–40 minutes here on 2 cores
        Spec {
            label: "random forest 100 trees × 20 vs scikit-learn",
            slug: "learn-rf-big",
            data: "sim_reg",
            model: "rf",
            rows: Some(rf_rows),
            with_peer: true,
        },
    ];
    specs.iter().map(|s| case(ctx, s)).collect()
}

fn case(ctx: &Ctx, s: &Spec) -> Case {
    let dir = ctx.dir(s.slug);
    let data = dir.join(s.data);
    let rows_arg = s.rows.map(|r| r.to_string());
    let mut generate: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"gen", &dir, &"--only", &s.data];
    if let Some(r) = &rows_arg {
        generate.extend([&"--rows" as &dyn AsRef<std::ffi::OsStr>, r]);
    }
    let probe = |who: &str| Quality {
        probe: ctx.script("learn_bench.py", &[&"show", &dir.join(format!("{who}.stdout"))]),
        format: metric,
    };
    let size = match s.rows {
        Some(r) => format!("{} train + {} test rows × 20", thousands(r), thousands(r / 5)),
        None => "Starbucks training set, 80/20 split".to_string(),
    };
    Case {
        label: s.label.into(),
        slug: s.slug.into(),
        size,
        prepare: vec![ctx.script("learn_bench.py", &generate)],
        ours: Side { run: ctx.example("learn_bench", &[&data, &s.model, &THREADS]), quality: probe("ours") },
        peer: s.with_peer.then(|| Side {
            run: ctx.script("learn_bench.py", &[&"peer", &data, &s.model, &THREADS]),
            quality: probe("peer"),
        }),
    }
}

/// `log loss 0.066718` / `RMSE 1.0635` from the side's JSON line.
fn metric(v: &Value) -> Result<String> {
    if let Some(ll) = number(v, "log_loss") {
        return Ok(format!("log loss {ll:.6}"));
    }
    if let Some(rmse) = number(v, "rmse") {
        return Ok(format!("RMSE {rmse:.4}"));
    }
    bail!("the side printed neither log_loss nor rmse: {v}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Ctx {
        super::super::test_ctx()
    }

    #[test]
    fn cases_run_the_example_and_the_peer_on_the_same_data() {
        let cases = learn(&ctx(), Scale::Quick);
        assert_eq!(cases.len(), 3);
        let sb = &cases[0];
        assert_eq!(
            sb.ours.run.display(),
            "/r/target/release/examples/learn_bench /r/bench-out/learn-gbdt-starbucks/starbucks gbdt 2"
        );
        assert!(
            sb.peer
                .as_ref()
                .unwrap()
                .run
                .display()
                .ends_with("learn_bench.py peer /r/bench-out/learn-gbdt-starbucks/starbucks gbdt 2")
        );
        assert!(sb.prepare[0].display().ends_with("gen /r/bench-out/learn-gbdt-starbucks --only starbucks"));
        assert!(cases[1].prepare[0].display().ends_with("--only sim_reg --rows 100000"));
        assert_eq!(cases[2].size, "20,000 train + 4,000 test rows × 20");
        assert!(cases.iter().all(|c| c.peer.is_some()));
        let full = learn(&ctx(), Scale::Full);
        assert_eq!(full[2].size, "1,000,000 train + 200,000 test rows × 20");
        assert!(full[2].peer.as_ref().unwrap().run.display().ends_with("learn-rf-big/sim_reg rf 2"));
        assert!(
            cases[0]
                .ours
                .quality
                .probe
                .display()
                .ends_with("show /r/bench-out/learn-gbdt-starbucks/ours.stdout")
        );
    }

    #[test]
    fn quality_figures() {
        assert_eq!(metric(&json!({"log_loss": 0.0667181})).unwrap(), "log loss 0.066718");
        assert_eq!(metric(&json!({"rmse": 1.063534})).unwrap(), "RMSE 1.0635");
        assert!(metric(&json!({"fit_predict_s": 1.0})).is_err());
    }
}
