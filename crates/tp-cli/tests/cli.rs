//! End-to-end tests of the `tp` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "cli/forests.rs"]
mod forests;
#[path = "cli/run.rs"]
mod run;
#[path = "cli/same_driver.rs"]
mod same_driver;
#[path = "cli/trust.rs"]
mod trust;

fn tp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tp")).args(args).output().expect("failed to start tp")
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tp-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Uniform draws in [0, 1) from a 64-bit LCG started at `state` (test tables
/// that do not depend on any crate's RNG).
fn uniform(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

#[test]
fn simulate_retail_is_byte_identical_for_the_same_seed() {
    let d = tempdir("sim-same");
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    for (dir, seed) in [(&a, "3"), (&b, "3"), (&c, "4")] {
        let out =
            tp(&["simulate", "--preset", "retail", "--customers", "300", "--seed", seed, "--out", s(dir)]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for f in ["catalog.csv", "events.csv", "customers.csv", "campaign.csv", "truth.csv", "world.json"] {
        let fa = std::fs::read(a.join(f)).unwrap();
        assert_eq!(fa, std::fs::read(b.join(f)).unwrap(), "{f} differs between two runs with seed 3");
        if f == "events.csv" {
            assert_ne!(fa, std::fs::read(c.join(f)).unwrap(), "seeds 3 and 4 wrote the same events");
        }
    }
    // the campaign table reads back with the columns the stages need
    let campaign = tp_io::read_table(a.join("campaign.csv"), &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(campaign.n_rows(), 300);
    for col in ["customer_id", "arm", "outcome", "propensity"] {
        assert!(campaign.position(col).is_some(), "campaign.csv lacks {col}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn simulate_criteo_parquet_json_summary() {
    let d = tempdir("sim-criteo");
    let out = tp(&["simulate", "--preset", "criteo", "--customers", "5000", "--out", s(&d), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    assert_eq!(v["files"][0]["rows"], 5000);
    let t = tp_io::read_table(d.join("criteo.parquet"), &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(t.n_rows(), 5000);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let d = tempdir("sim-bad");
    for args in [
        vec!["simulate", "--preset", "retail", "--overlap-auc", "2", "--out", s(&d)],
        vec!["simulate", "--preset", "retail", "--customers", "3", "--out", s(&d)],
        vec!["simulate", "--preset", "criteo", "--weeks", "10", "--out", s(&d)],
        vec!["simulate", "--preset", "nope", "--out", s(&d)],
    ] {
        let out = tp(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error"), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    // nothing was written by the failed runs
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn help_lists_commands_with_examples() {
    let out = tp(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("simulate") && text.contains("Examples"), "{text}");
    let out = tp(&["simulate", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--preset retail"));
}

#[test]
fn design_matches_the_textbook_formula() {
    // σ = 1, MDE = 0.1, α = 0.05, power 0.8: 2·(1.95996 + 0.84162)²/0.01 = 1569.8 ⇒ 1570 per arm.
    let out = tp(&["design", "--sd", "1", "--mde", "0.1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n_per_arm"], 1570);
    // binary, unpooled (Chow, Shao & Wang §4.2): p₀ = 0.1, p₁ = p₀ + MDE = 0.12,
    // n = (z₀.₉₇₅ + z₀.₈)² (p₀(1 − p₀) + p₁(1 − p₁)) / MDE², the quantiles to 16 digits
    let (z_a, z_b) = (1.959963984540054, 0.8416212335729143);
    let (p0, p1, mde) = (0.1f64, 0.12f64, 0.02f64);
    let textbook = ((z_a + z_b) * (z_a + z_b) * (p0 * (1.0 - p0) + p1 * (1.0 - p1)) / (mde * mde)).ceil();
    assert_eq!(textbook, 3839.0); // 3838.1 rounded up; the pooled p₀(1 − p₀) twice gave 3532
    let out = tp(&["design", "--base-rate", "0.1", "--mde", "0.02", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["n_per_arm"].as_f64(), Some(textbook));
    // and the inverse at that n is just under the MDE
    let out = tp(&["design", "--base-rate", "0.1", "--n", "3839", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = v["mde"].as_f64().unwrap();
    assert!(m <= 0.02 && m > 0.0199, "{m}");
    // inverse: the MDE at n = 1570 is just under 0.1
    let out = tp(&["design", "--sd", "1", "--n", "1570", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mde = v["mde"].as_f64().unwrap();
    assert!(mde < 0.1 && mde > 0.0999, "{mde}");
    // bad input: exit 2, one line
    for args in [&["design", "--sd=-1", "--mde", "0.1"][..], &["design", "--sd", "-1", "--mde", "0.1"]] {
        let out = tp(args);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end().lines().count(), 1);
    }
}

#[test]
fn ope_on_a_simulated_campaign_with_the_true_reward_model() {
    use tp_core::{Column, Table};
    let d = tempdir("ope");
    let out = tp(&["simulate", "--preset", "retail", "--customers", "400", "--seed", "5", "--out", s(&d)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let opts = tp_io::ReadOptions::new();
    let truth = tp_io::read_table(d.join("truth.csv"), &opts).unwrap();
    // target policy: the oracle arm; reward model: the true expected outcomes
    let oracle = truth.string_values("oracle_arm").unwrap().into_owned();
    let mu0 = truth.f64_values("mu_control").unwrap().into_owned();
    let mu1 = truth.f64_values("mu_coupon").unwrap().into_owned();
    let policy = Table::new(vec![Column::str("arm", oracle.clone())]).unwrap();
    tp_io::write_table(d.join("policy.csv"), &policy).unwrap();
    let q = Table::new(vec![Column::f64("q_control", mu0.clone()), Column::f64("q_coupon", mu1.clone())])
        .unwrap();
    tp_io::write_table(d.join("qhat.csv"), &q).unwrap();
    let (log, pol, qh) = (d.join("campaign.csv"), d.join("policy.csv"), d.join("qhat.csv"));
    let out = tp(&[
        "ope",
        "--log",
        s(&log),
        "--action",
        "arm",
        "--reward",
        "outcome",
        "--propensity",
        "propensity",
        "--policy",
        s(&pol),
        "--q-hat",
        s(&qh),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // DM with the true model is the mean true expected outcome under the oracle's arms.
    let want: f64 =
        (0..oracle.len()).map(|i| if oracle[i] == "coupon" { mu1[i] } else { mu0[i] }).sum::<f64>() / 400.0;
    let dm = v["estimates"]["dm"]["value"].as_f64().unwrap();
    assert!((dm - want).abs() < 1e-9 * want.abs(), "dm {dm} vs {want}");
    for e in ["dm", "ipw", "snipw", "dr", "sndr", "switch-dr", "dros"] {
        let est = &v["estimates"][e];
        assert!(est["ci_low"].as_f64().unwrap() <= est["value"].as_f64().unwrap(), "{e}");
        assert!(est["ci_high"].as_f64().unwrap() >= est["value"].as_f64().unwrap(), "{e}");
    }
    assert!(v["diagnostics"]["ess"].as_f64().unwrap() > 0.0);
    let baselines: Vec<&str> =
        v["comparisons"].as_array().unwrap().iter().map(|c| c["baseline"].as_str().unwrap()).collect();
    assert!(baselines.contains(&"treat-none") && baselines.contains(&"treat-all"), "{baselines:?}");

    // a policy file with the wrong number of rows is bad input naming the file
    tp_io::write_table(d.join("short.csv"), &policy.slice_rows(0, 10)).unwrap();
    let short = d.join("short.csv");
    let out = tp(&[
        "ope",
        "--log",
        s(&log),
        "--action",
        "arm",
        "--reward",
        "outcome",
        "--propensity",
        "propensity",
        "--policy",
        s(&short),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("short.csv") && err.contains("aligned"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn policy_from_true_effects_treats_exactly_above_breakeven() {
    use tp_core::{Column, Table};
    let d = tempdir("policy");
    let out = tp(&["simulate", "--preset", "retail", "--customers", "400", "--seed", "6", "--out", s(&d)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let truth = tp_io::read_table(d.join("truth.csv"), &tp_io::ReadOptions::new()).unwrap();
    let tau = truth.f64_values("tau_coupon").unwrap().into_owned();
    let ids = truth.column("customer_id").unwrap().clone();
    let cate = Table::new(vec![ids, Column::f64("tau", tau.clone())]).unwrap();
    let cate_path = d.join("cate.csv");
    tp_io::write_table(&cate_path, &cate).unwrap();
    let out_path = d.join("policy.csv");
    let out = tp(&[
        "policy",
        "--cate",
        s(&cate_path),
        "--id-col",
        "customer_id",
        "--value",
        "0.3",
        "--cost",
        "12.73",
        "--out",
        s(&out_path),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let treat: Vec<bool> = tau.iter().map(|t| 0.3 * t > 12.73).collect();
    let share = treat.iter().filter(|&&t| t).count() as f64 / 400.0;
    let profit: f64 = tau.iter().filter(|t| 0.3 * **t > 12.73).map(|t| 0.3 * t - 12.73).sum();
    assert!((v["breakeven"].as_f64().unwrap() - 12.73 / 0.3).abs() < 1e-9);
    assert!((v["treated_share"].as_f64().unwrap() - share).abs() < 1e-12);
    assert!((v["expected_profit"].as_f64().unwrap() - profit).abs() < 1e-6 * profit.abs().max(1.0));
    assert!(v["curve"].as_array().unwrap().len() > 10);
    let written = tp_io::read_table(&out_path, &tp_io::ReadOptions::new()).unwrap();
    let arms = written.string_values("arm").unwrap();
    for (i, t) in treat.iter().enumerate() {
        assert_eq!(arms[i] == "treated", *t, "row {i}");
    }
    // one cost per arm: two costs for one arm is bad input
    let out =
        tp(&["policy", "--cate", s(&cate_path), "--value", "0.3", "--cost", "1,2", "--out", s(&out_path)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one cost per arm"));
    std::fs::remove_dir_all(&d).unwrap();
}

/// `--factors auto --clusters auto` follow their documented rules (smallest rank reaching 90%
/// explained variance; lowest Davies–Bouldin over 2–10), on the KL loss by multiplicative
/// updates, and `--json` carries every key the issue names; KL with the cd solver is refused.
#[test]
fn segment_auto_selection_follows_its_rules() {
    let d = tempdir("segment-auto");
    let out = tp(&["simulate", "--preset", "retail", "--customers", "300", "--seed", "8", "--out", s(&d)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (input, seg) = (d.join("customers.csv"), d.join("segments.csv"));
    let cols = "pre_spend,pre_visits,pre_items,pre_avg_basket,pre_promo_share,pre_spend_last12";
    let args = |solver: &'static str, out: &std::path::Path| -> Vec<String> {
        let mut a: Vec<String> = ["segment", "--input", s(&input), "--id-col", "customer_id", "--columns"]
            .iter()
            .map(|v| v.to_string())
            .collect();
        a.push(cols.into());
        for v in ["--factors", "auto", "--clusters", "auto", "--solver", solver, "--loss", "kl"] {
            a.push(v.into());
        }
        for v in ["--stability-runs", "3", "--seed", "1", "--json", "--out", s(out)] {
            a.push(v.into());
        }
        a
    };
    let run = |a: &[String]| tp(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let out = run(&args("mu", &seg));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (section, key) in [("nmf", "objective"), ("nmf", "explained_variance"), ("nmf", "n_iter")] {
        assert!(v[section][key].is_number(), "{section}.{key} missing: {v}");
    }
    assert!(v["kmeans"]["inertia"].as_f64().unwrap() > 0.0);
    // factors: the chosen rank is the first on the curve reaching 90% (or the largest tried)
    let curve = v["factor_curve"].as_array().unwrap();
    let k = v["nmf"]["k"].as_u64().unwrap();
    let first = curve.iter().find(|c| c["explained_variance"].as_f64().unwrap() >= 0.9);
    let want =
        first.map_or_else(|| curve.last().unwrap()["k"].as_u64().unwrap(), |c| c["k"].as_u64().unwrap());
    assert_eq!(k, want, "{curve:?}");
    assert!((2..=10).contains(&k));
    // clusters: the lowest Davies–Bouldin on the curve, reported for the final fit too
    let curve = v["cluster_curve"].as_array().unwrap();
    let best = curve
        .iter()
        .min_by(|a, b| {
            a["davies_bouldin"].as_f64().unwrap().total_cmp(&b["davies_bouldin"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(v["kmeans"]["k"], best["k"], "{curve:?}");
    let t = tp_io::read_table(&seg, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(t.n_cols(), 2 + k as usize);
    // KL needs the multiplicative-update solver: exit 2, no file
    let bad = d.join("bad.csv");
    let out = run(&args("cd", &bad));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("solver") && err.contains("mu"), "{err}");
    assert!(!bad.exists());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn segment_writes_ids_segments_and_factors() {
    let d = tempdir("segment");
    let out = tp(&["simulate", "--preset", "retail", "--customers", "300", "--seed", "8", "--out", s(&d)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (input, seg) = (d.join("customers.csv"), d.join("segments.csv"));
    let cols = "pre_spend,pre_visits,pre_items,pre_avg_basket,pre_promo_share,pre_spend_last12";
    let out = tp(&[
        "segment",
        "--input",
        s(&input),
        "--id-col",
        "customer_id",
        "--columns",
        cols,
        "--factors",
        "3",
        "--clusters",
        "4",
        "--stability-runs",
        "5",
        "--seed",
        "1",
        "--out",
        s(&seg),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kmeans"]["k"], 4);
    assert_eq!(v["nmf"]["k"], 3);
    let ev = v["nmf"]["explained_variance"].as_f64().unwrap();
    assert!(ev > 0.0 && ev <= 1.0, "{ev}");
    for key in ["silhouette", "davies_bouldin", "calinski_harabasz", "seconds"] {
        assert!(v[key].is_number(), "{key} missing: {v}");
    }
    assert!(v["stability_ari"]["mean"].is_number());
    let t = tp_io::read_table(&seg, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(t.names(), ["customer_id", "segment", "factor_1", "factor_2", "factor_3"]);
    assert_eq!(t.n_rows(), 300);
    let labels = t.f64_values("segment").unwrap();
    assert!(labels.iter().all(|&l| (0.0..4.0).contains(&l)));
    // a column with negative values cannot be factorized: exit 2, naming the column
    let out = tp(&[
        "segment",
        "--input",
        s(&d.join("truth.csv")),
        "--id-col",
        "customer_id",
        "--columns",
        "tau_coupon,mu_control",
        "--factors",
        "2",
        "--clusters",
        "2",
        "--out",
        s(&d.join("bad.csv")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("tau_coupon"), "{err}");
    assert!(!d.join("bad.csv").exists());
    std::fs::remove_dir_all(&d).unwrap();
}

/// An RCT table with a known effect τ(x) = 2 + x1 on a continuous outcome.
/// `tp uplift --data DATA --treatment arm --outcome y REST…` on an [`rct_table`] file.
fn uplift(data: &Path, rest: &[&str]) -> Output {
    let mut args = vec!["uplift", "--data", s(data), "--treatment", "arm", "--outcome", "y"];
    args.extend_from_slice(rest);
    tp(&args)
}

fn rct_table(n: usize) -> tp_core::Table {
    use tp_core::{Column, Table};
    let mut x1 = Vec::new();
    let mut x2 = Vec::new();
    let mut arm = Vec::new();
    let mut y = Vec::new();
    let mut region = Vec::new();
    let mut unif = uniform(12345);
    for _ in 0..n {
        let a = unif() * 2.0 - 1.0;
        let b = unif() * 2.0 - 1.0;
        let t = unif() < 0.5;
        let noise = (unif() - 0.5) * 0.2;
        x1.push(a);
        x2.push(b);
        region.push(if b > 0.0 { "north".to_string() } else { "south".to_string() });
        arm.push(if t { "treated".to_string() } else { "control".to_string() });
        y.push(1.0 + a - b + if t { 2.0 + a } else { 0.0 } + noise);
    }
    Table::new(vec![
        Column::i64("id", (0..n as i64).collect()),
        Column::f64("x1", x1),
        Column::f64("x2", x2),
        Column::str("region", region),
        Column::str("arm", arm),
        Column::f64("y", y),
    ])
    .unwrap()
}

#[test]
fn uplift_score_evaluate_round_trip() {
    let d = tempdir("uplift");
    let data = d.join("rct.csv");
    tp_io::write_table(&data, &rct_table(2000)).unwrap();
    let (cate, model, scored) = (d.join("cate.csv"), d.join("model.json"), d.join("scored.csv"));
    let out = uplift(
        &data,
        &[
            "--id-col",
            "id",
            "--method",
            "t",
            "--covariates",
            "x1,x2,region",
            "--seed",
            "3",
            "--out",
            s(&cate),
            "--save-model",
            s(&model),
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // true ATE = 2 + mean(x1); the AIPW estimate is within 4 SE of the sample truth
    let t = tp_io::read_table(&data, &tp_io::ReadOptions::new()).unwrap();
    let truth = 2.0 + tp_core::stats::mean(&t.f64_values("x1").unwrap());
    let (ate, se) = (v["ate"].as_f64().unwrap(), v["ate_se"].as_f64().unwrap());
    assert!((ate - truth).abs() < 4.0 * se, "ate {ate} ± {se} vs {truth}");
    assert!(v["diagnostics"]["ps_auc"].is_number() && v["diagnostics"]["overlap_share"].is_number());
    assert_eq!(v["covariates"], serde_json::json!(["x1", "x2", "region=south"]));
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(c.names(), ["id", "tau", "gamma_control", "gamma_treated"]);
    let tau = c.f64_values("tau").unwrap();
    let x1 = t.f64_values("x1").unwrap();
    let pehe = (tau.iter().zip(x1.iter()).map(|(t, x)| (t - 2.0 - x).powi(2)).sum::<f64>() / 2000.0).sqrt();
    assert!(pehe < 0.05, "linear T-learner should recover τ = 2 + x1 closely, PEHE {pehe}");

    // the saved model scores new rows identically
    let out = tp(&["score", "--model", s(&model), "--data", s(&data), "--id-col", "id", "--out", s(&scored)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sc = tp_io::read_table(&scored, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(sc.f64_values("tau").unwrap(), tau);

    // the estimated τ ranks the RCT well
    let joined = d.join("joined.csv");
    let mut jt = t.clone();
    jt.push(tp_core::Column::f64("tau", tau.into_owned())).unwrap();
    tp_io::write_table(&joined, &jt).unwrap();
    let out = tp(&[
        "evaluate",
        "--data",
        s(&joined),
        "--treatment",
        "arm",
        "--outcome",
        "y",
        "--score",
        "tau",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(e["qini_auc"].as_f64().unwrap() > 0.0, "{e}");

    // a model scored on data without its covariates is bad input
    let bad = d.join("bad.csv");
    tp_io::write_table(&bad, &t.select(&["id", "x1"]).unwrap()).unwrap();
    let out = tp(&["score", "--model", s(&model), "--data", s(&bad), "--out", s(&d.join("x.csv"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("x2"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn causal_forest_saves_and_scores_new_customers() {
    let d = tempdir("forest-score");
    let (train, fresh) = (d.join("train.csv"), d.join("fresh.csv"));
    let all = rct_table(1600);
    let rows: Vec<usize> = (0..1600).collect();
    tp_io::write_table(&train, &all.take_rows(&rows[..1200])).unwrap();
    tp_io::write_table(&fresh, &all.take_rows(&rows[1200..])).unwrap();
    let (cate, model, scored) = (d.join("cate.csv"), d.join("forest.json"), d.join("scored.csv"));
    let out = uplift(
        &train,
        &[
            "--id-col",
            "id",
            "--covariates",
            "x1,x2",
            "--method",
            "causal-forest",
            "--trees",
            "200",
            "--seed",
            "4",
            "--out",
            s(&cate),
            "--save-model",
            s(&model),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let score = |out_path: &std::path::Path| {
        tp(&["score", "--model", s(&model), "--data", s(&fresh), "--id-col", "id", "--out", s(out_path)])
    };
    let out = score(&scored);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sc = tp_io::read_table(&scored, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(sc.names(), ["id", "tau_se", "tau"]);
    // customers outside the experiment: τ = 2 + x1 is recovered far better than by a constant
    let x1 =
        tp_io::read_table(&fresh, &tp_io::ReadOptions::new()).unwrap().f64_values("x1").unwrap().into_owned();
    let tau = sc.f64_values("tau").unwrap();
    let mse =
        |pred: &dyn Fn(usize) -> f64| (0..400).map(|i| (pred(i) - 2.0 - x1[i]).powi(2)).sum::<f64>() / 400.0;
    let mean_tau = tp_core::stats::mean(&tau);
    assert!(
        mse(&|i| tau[i]) < 0.25 * mse(&|_| mean_tau),
        "forest mse {} vs constant {}",
        mse(&|i| tau[i]),
        mse(&|_| mean_tau)
    );
    assert!(sc.f64_values("tau_se").unwrap().iter().all(|v| v.is_finite() && *v > 0.0));
    // scoring is deterministic
    let again = d.join("again.csv");
    assert!(score(&again).status.success());
    assert_eq!(std::fs::read(&scored).unwrap(), std::fs::read(&again).unwrap());

    // streamed in batches: the same bytes and summary for batches of 1, 7 and all rows, CSV and Parquet
    let fresh_pq = d.join("fresh.parquet");
    tp_io::write_table(&fresh_pq, &tp_io::read_table(&fresh, &tp_io::ReadOptions::new()).unwrap()).unwrap();
    for (data, ext) in [(&fresh, "csv"), (&fresh_pq, "parquet")] {
        let mut outputs = Vec::new();
        for rows in ["1", "7", "400"] {
            let path = d.join(format!("batch{rows}.{ext}"));
            let out = tp(&[
                "score",
                "--model",
                s(&model),
                "--data",
                s(data),
                "--id-col",
                "id",
                "--out",
                s(&path),
                "--chunk-rows",
                rows,
                "--json",
            ]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["rows"], 400);
            assert_eq!(v["mean_tau"][0].as_f64().unwrap().to_bits(), mean_tau.to_bits());
            outputs.push(std::fs::read(&path).unwrap());
        }
        assert!(outputs.iter().all(|o| *o == outputs[0]), "{ext}: the bytes depend on the batch size");
    }
    assert_eq!(std::fs::read(d.join("batch7.csv")).unwrap(), std::fs::read(&scored).unwrap());

    // a bad row late in the file is an error naming it, and no partial output is left behind
    let mut t = tp_io::read_table(&fresh, &tp_io::ReadOptions::new()).unwrap();
    let mut x1v = t.f64_values("x1").unwrap().into_owned();
    x1v[350] = f64::NAN;
    let cols: Vec<tp_core::Column> = t
        .columns()
        .iter()
        .map(|c| if c.name == "x1" { tp_core::Column::f64("x1", x1v.clone()) } else { c.clone() })
        .collect();
    t = tp_core::Table::new(cols).unwrap();
    let bad = d.join("bad.parquet");
    tp_io::write_table(&bad, &t).unwrap();
    let target = d.join("partial.csv");
    let out =
        tp(&["score", "--model", s(&model), "--data", s(&bad), "--out", s(&target), "--chunk-rows", "7"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("x1") && err.contains("350"), "{err}");
    assert!(!target.exists());
    assert!(
        std::fs::read_dir(&d).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("tmp"))
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn causal_forest_tuning_is_reported_and_can_be_turned_off() {
    let d = tempdir("forest-tune");
    let data = d.join("rct.csv");
    tp_io::write_table(&data, &rct_table(800)).unwrap();
    let run = |tune: &str, trees: &str| {
        let out = uplift(
            &data,
            &[
                "--covariates",
                "x1,x2",
                "--method",
                "causal-forest",
                "--trees",
                trees,
                "--tune",
                tune,
                "--seed",
                "2",
                "--out",
                s(&d.join("cate.csv")),
                "--json",
            ],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // always: six candidates (two rules × leaves 1, 2, 5), each with its loss and SE, and the choice
    let v = run("always", "40");
    let t = &v["tuning"];
    let c = t["candidates"].as_array().expect("tuning.candidates");
    assert_eq!(c.len(), 6, "{t}");
    let chosen = t["chosen"].as_u64().unwrap() as usize;
    let low = c.iter().map(|c| c["loss"].as_f64().unwrap()).fold(f64::INFINITY, f64::min);
    assert!(c[chosen]["loss"].as_f64().unwrap() <= low + c[chosen]["se"].as_f64().unwrap(), "{t}");
    assert!(c.iter().all(|c| ["gradient", "exact"].contains(&c["split_rule"].as_str().unwrap())));
    // never (and auto below 300 trees): no tuning in the summary
    assert!(run("never", "40").get("tuning").is_none());
    assert!(run("auto", "40").get("tuning").is_none());
    // a bad value names the choices
    let out =
        uplift(&data, &["--method", "causal-forest", "--tune", "sometimes", "--out", s(&d.join("x.csv"))]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("never"));
    assert!(!d.join("x.csv").exists());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn demo_runs_the_pipeline_and_scores_it_against_the_truth() {
    let d = tempdir("demo");
    let out = tp(&["demo", "--out", s(&d), "--customers", "500", "--seed", "3", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap())
        .expect("summary.json is JSON");
    assert_eq!(v["truth"], file["truth"]);
    for k in ["policy_profit", "oracle_profit", "treat_all_profit", "current_practice_profit"] {
        assert!(v["truth"][k].is_number(), "truth.{k} missing");
    }
    // the oracle is the best policy there is: no policy beats it in true profit
    let oracle = v["truth"]["oracle_profit"].as_f64().unwrap();
    for k in ["policy_profit", "treat_all_profit", "current_practice_profit"] {
        assert!(v["truth"][k].as_f64().unwrap() <= oracle + 1e-9, "{k} beats the oracle");
    }
    assert!(v["uplift"]["diagnostics"]["ps_auc"].as_f64().unwrap() > 0.5);
    // the learned policy: every candidate priced out of fold, the shipped one among them, and an
    // honest interval for it; the truth scores every candidate too
    let p = &v["policy"];
    let names: Vec<&str> =
        p["candidates"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    for c in [
        "treat_none",
        "column",
        "treat_all",
        "threshold",
        "risk",
        "rank",
        "tree_depth_1",
        "tree_depth_2",
        "current_practice",
    ] {
        assert!(names.contains(&c), "policy.candidates lacks {c}: {names:?}");
    }
    assert!(names.contains(&p["chosen"].as_str().unwrap()));
    assert_eq!(p["rule"], p["chosen"]);
    let oof = &p["profit_oof"];
    let (lo, est, hi) =
        (oof["lo"].as_f64().unwrap(), oof["estimate"].as_f64().unwrap(), oof["hi"].as_f64().unwrap());
    assert!(lo <= est && est <= hi && oof["level"] == 0.9, "{oof}");
    // what ships is the chosen rule refit on all rows: the stated interval spans its own too
    let chosen = p["candidates"].as_array().unwrap().iter().find(|c| c["name"] == p["chosen"]).unwrap();
    if p["chosen"] != "treat_none" {
        assert!(
            lo <= chosen["lo"].as_f64().unwrap() && chosen["hi"].as_f64().unwrap() <= hi,
            "{oof} {chosen}"
        );
    }
    assert_eq!(v["truth"]["candidates"].as_array().unwrap().len(), 8);
    // the decision score: the one of lower R-loss, both losses shown
    let sc = &p["score"];
    let (raw, lin) = (sc["r_loss_raw"].as_f64().unwrap(), sc["r_loss_linear"].as_f64().unwrap());
    assert_eq!(sc["mode"], "auto");
    assert_eq!(sc["chosen"], if lin < raw { "linear" } else { "raw" }, "{sc}");
    assert!(sc["r_loss_diff_se"].as_f64().unwrap() > 0.0);
    assert!(v["truth"]["current_practice_source"].as_str().unwrap().contains("true"));
    assert_eq!(v["segments"]["kmeans"]["k"], 7);
    assert!(v["ope"]["estimates"]["dr"]["value"].is_number());
    assert!(v["design"]["n_per_arm"].as_u64().unwrap() > 0);
    for f in ["world/events.csv", "world/truth.csv", "segments.csv", "cate.csv", "policy.csv"] {
        assert!(d.join(f).exists(), "{f} not written");
    }
    let policy = tp_io::read_table(d.join("policy.csv"), &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(policy.n_rows(), 500);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn policy_propensity_clip_outside_its_range_is_an_error_naming_the_key() {
    let d = tempdir("clip");
    let cfg = d.join("clip.toml");
    std::fs::write(&cfg, "[policy]\npropensity_clip = 0.5\n").unwrap();
    let out =
        tp(&["demo", "--out", s(&d.join("run")), "--customers", "300", "--seed", "2", "--config", s(&cfg)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("policy.propensity_clip = 0.5") && err.contains("[0, 0.5)"), "{err}");
    assert!(!d.join("run").exists(), "a failed run leaves no folder");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn profile_incremental_update_equals_profiling_all_events() {
    let d = tempdir("profile");
    let out = tp(&["simulate", "--preset", "retail", "--customers", "200", "--seed", "9", "--out", s(&d)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = tp_io::read_table(d.join("events.csv"), &tp_io::ReadOptions::new()).unwrap();
    let day = events.f64_values("day").unwrap().into_owned();
    let last = day.iter().copied().fold(f64::MIN, f64::max);
    let (early, late): (Vec<usize>, Vec<usize>) = (0..day.len()).partition(|&i| day[i] < 400.0);
    tp_io::write_table(d.join("early.csv"), &events.take_rows(&early)).unwrap();
    tp_io::write_table(d.join("late.csv"), &events.take_rows(&late)).unwrap();
    let as_of = last.to_string();
    let (cat, all, early_p, state, inc) = (
        d.join("catalog.csv"),
        d.join("all.csv"),
        d.join("early_p.csv"),
        d.join("state.json"),
        d.join("inc.csv"),
    );
    let run = |args: &[&str]| {
        let out = tp(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ev = d.join("events.csv");
    run(&["profile", "--events", s(&ev), "--catalog", s(&cat), "--as-of", &as_of, "--out", s(&all)]);
    let early_ev = d.join("early.csv");
    run(&[
        "profile",
        "--events",
        s(&early_ev),
        "--catalog",
        s(&cat),
        "--as-of",
        &as_of,
        "--out",
        s(&early_p),
        "--save-state",
        s(&state),
    ]);
    let late_ev = d.join("late.csv");
    run(&["profile", "--events", s(&late_ev), "--catalog", s(&cat), "--state", s(&state), "--out", s(&inc)]);
    let a = tp_io::read_table(&all, &tp_io::ReadOptions::new()).unwrap();
    let b = tp_io::read_table(&inc, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(a.names(), b.names());
    assert_eq!(a.n_rows(), 200);
    for name in a.names() {
        let (x, y) = (a.f64_values(name).unwrap(), b.f64_values(name).unwrap());
        for (i, (u, v)) in x.iter().zip(y.iter()).enumerate() {
            assert!((u - v).abs() <= 1e-9 * u.abs().max(1.0), "{name} row {i}: {u} vs {v}");
        }
    }
    // an unreadable state is bad input, not a panic
    std::fs::write(&state, "{\"not\": \"a state\"}").unwrap();
    let out = tp(&[
        "profile",
        "--events",
        s(&late_ev),
        "--catalog",
        s(&cat),
        "--state",
        s(&state),
        "--out",
        s(&inc),
    ]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn causal_forest_writes_intervals_that_contain_the_estimate() {
    let d = tempdir("forest");
    let data = d.join("rct.csv");
    tp_io::write_table(&data, &rct_table(1500)).unwrap();
    let cate = d.join("cate.csv");
    let out = uplift(
        &data,
        &[
            "--id-col",
            "id",
            "--method",
            "causal-forest",
            "--covariates",
            "x1,x2",
            "--trees",
            "400",
            "--seed",
            "2",
            "--out",
            s(&cate),
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = tp_io::read_table(&data, &tp_io::ReadOptions::new()).unwrap();
    let x1 = t.f64_values("x1").unwrap();
    let truth = 2.0 + tp_core::stats::mean(&x1);
    let (ate, se) = (v["ate"].as_f64().unwrap(), v["ate_se"].as_f64().unwrap());
    assert!((ate - truth).abs() < 4.0 * se, "ate {ate} ± {se} vs {truth}");
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    let (tau, lo, hi) =
        (c.f64_values("tau").unwrap(), c.f64_values("tau_lo").unwrap(), c.f64_values("tau_hi").unwrap());
    for i in 0..tau.len() {
        assert!(lo[i] <= tau[i] && tau[i] <= hi[i], "row {i}");
    }
    // the forest ranks effects: τ̂ correlates with the true τ = 2 + x1
    let (mt, mx) = (tp_core::stats::mean(&tau), tp_core::stats::mean(&x1));
    let cov: f64 = tau.iter().zip(x1.iter()).map(|(a, b)| (a - mt) * (b - mx)).sum();
    let corr = cov / (tp_core::stats::variance(&tau) * tp_core::stats::variance(&x1)).sqrt() / 1499.0;
    assert!(corr > 0.5, "correlation of τ̂ with τ is {corr}");
    std::fs::remove_dir_all(&d).unwrap();
}
