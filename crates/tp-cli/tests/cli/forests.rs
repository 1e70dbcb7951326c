//! `tp uplift` with the two forests: the uplift forest's columns (binary and
//! three arms), its errors and `--json`; both forests' intervals at `--level`;
//! the three-arm causal forest; both forests saved and scored by `tp score`.

use super::{s, tempdir, tp, uniform};
use tp_core::{Column, Table};

/// A randomized campaign of `n` rows drawn from `seed`: `id`, x1 and x2
/// uniform on [−1, 1], `arm` uniform over `labels`, and the outcome column
/// `outcome` = `y(k, x1, x2, draw)` (k the arm's index; written as integers
/// when `integer`).
fn campaign(
    n: usize,
    seed: u64,
    labels: &[&str],
    (outcome, integer): (&str, bool),
    mut y: impl FnMut(usize, f64, f64, &mut dyn FnMut() -> f64) -> f64,
) -> Table {
    let mut unif = uniform(seed);
    let (mut x1, mut x2, mut arm, mut ys) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let (a, b) = (unif() * 2.0 - 1.0, unif() * 2.0 - 1.0);
        let k = ((unif() * labels.len() as f64) as usize).min(labels.len() - 1);
        x1.push(a);
        x2.push(b);
        arm.push(labels[k].to_string());
        ys.push(y(k, a, b, &mut unif));
    }
    let y = if integer {
        Column::i64(outcome, ys.iter().map(|&v| v as i64).collect())
    } else {
        Column::f64(outcome, ys)
    };
    Table::new(vec![
        Column::i64("id", (0..n as i64).collect()),
        Column::f64("x1", x1),
        Column::f64("x2", x2),
        Column::str("arm", arm),
        y,
    ])
    .unwrap()
}

/// A randomized campaign with a 0/1 outcome `bought`: base rate 0.2 + 0.1·x2, and
/// arm k (1-based, of `labels`) adds 0.3 when x1 > 0 (arm 1) or x2 > 0 (arm 2).
fn purchase_table(n: usize, labels: &[&str]) -> Table {
    campaign(n, 99, labels, ("bought", true), |k, a, b, unif| {
        let lift = match k {
            1 if a > 0.0 => 0.3,
            2 if b > 0.0 => 0.3,
            _ => 0.0,
        };
        f64::from(u8::from(unif() < 0.2 + 0.1 * b + lift))
    })
}

/// `tp uplift --json` on a [`campaign`] table with outcome column `outcome`.
fn uplift_on(
    data: &std::path::Path,
    out: &std::path::Path,
    outcome: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "uplift",
        "--data",
        s(data),
        "--treatment",
        "arm",
        "--outcome",
        outcome,
        "--id-col",
        "id",
        "--covariates",
        "x1,x2",
        "--out",
        s(out),
        "--json",
    ];
    args.extend_from_slice(extra);
    tp(&args)
}

/// `tp uplift` on a [`purchase_table`].
fn uplift(data: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    uplift_on(data, out, "bought", extra)
}

/// `t` with column `col` in place of the one of the same name (moved last).
fn with_column(t: &Table, col: Column) -> Table {
    let mut cols: Vec<Column> = t.columns().iter().filter(|c| c.name != col.name).cloned().collect();
    cols.push(col);
    Table::new(cols).unwrap()
}

/// Asserts that a run failed as bad input: exit code 2 and one line that holds every `needle`.
fn refused(out: &std::process::Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(needles.iter().all(|n| err.contains(n)), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

fn names(t: &Table) -> Vec<String> {
    t.columns().iter().map(|c| c.name.clone()).collect()
}

/// z of a two-sided 80% normal interval.
const Z80: f64 = 1.281_551_565_544_600_5;

#[test]
fn uplift_forest_writes_oob_uplift_with_intervals_at_the_level() {
    let d = tempdir("urf");
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &purchase_table(4000, &["control", "offer"])).unwrap();
    let cate = d.join("uplift.csv");
    let out = uplift(
        &data,
        &cate,
        &[
            "--method",
            "uplift-forest",
            "--criterion",
            "ed",
            "--trees",
            "60",
            "--max-depth",
            "3",
            "--min-per-arm",
            "20",
            "--level",
            "0.8",
            "--seed",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "uplift_forest");
    assert_eq!(v["criterion"], "ed");
    assert_eq!(v["trees"], 60);
    // not honest trees: the intervals say so
    assert_eq!(v["intervals"], "approximate");
    assert_eq!(v["arms"], serde_json::json!(["control", "offer"]));
    // the mean uplift is 0.15 (0.3 on half the rows); n = 4000 gives it an SE of about 0.013
    let mean = v["mean_uplift"][0].as_f64().unwrap();
    assert!((mean - 0.15).abs() < 0.06, "mean uplift {mean}");
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(names(&c), ["id", "tau_se", "tau_lo", "tau_hi", "tau"]);
    let (tau, se) = (c.f64_values("tau").unwrap(), c.f64_values("tau_se").unwrap());
    let (lo, hi) = (c.f64_values("tau_lo").unwrap(), c.f64_values("tau_hi").unwrap());
    let t = tp_io::read_table(&data, &tp_io::ReadOptions::new()).unwrap();
    let x1 = t.f64_values("x1").unwrap();
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for i in 0..tau.len() {
        assert!(tau[i].is_finite() && se[i] > 0.0, "row {i}: {} ± {}", tau[i], se[i]);
        assert!((hi[i] - tau[i] - Z80 * se[i]).abs() < 1e-9 && (tau[i] - lo[i] - Z80 * se[i]).abs() < 1e-9);
        if x1[i] > 0.0 { on.push(tau[i]) } else { off.push(tau[i]) }
    }
    let (m_on, m_off) = (tp_core::stats::mean(&on), tp_core::stats::mean(&off));
    assert!(m_on - m_off > 0.15, "uplift where x1 > 0: {m_on:.3}, elsewhere {m_off:.3}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn uplift_forest_writes_one_set_of_columns_per_treated_arm() {
    let d = tempdir("urf3");
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &purchase_table(6000, &["control", "email", "sms"])).unwrap();
    let cate = d.join("uplift.csv");
    let out = uplift(&data, &cate, &["--method", "uplift-forest", "--criterion", "cts", "--trees", "40"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(
        names(&c),
        [
            "id",
            "tau_se_email",
            "tau_lo_email",
            "tau_hi_email",
            "tau_email",
            "tau_se_sms",
            "tau_lo_sms",
            "tau_hi_sms",
            "tau_sms"
        ]
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mean_uplift"].as_array().unwrap().len(), 2);
    assert_eq!(v["observed_rate"].as_array().unwrap().len(), 3);
    // email works on x1 > 0, sms on x2 > 0
    let t = tp_io::read_table(&data, &tp_io::ReadOptions::new()).unwrap();
    let (x1, email) = (t.f64_values("x1").unwrap(), c.f64_values("tau_email").unwrap());
    let gap = |x: &[f64], tau: &[f64]| {
        let on: Vec<f64> = (0..x.len()).filter(|&i| x[i] > 0.0).map(|i| tau[i]).collect();
        let off: Vec<f64> = (0..x.len()).filter(|&i| x[i] <= 0.0).map(|i| tau[i]).collect();
        tp_core::stats::mean(&on) - tp_core::stats::mean(&off)
    };
    assert!(gap(&x1, &email) > 0.1, "email gap {}", gap(&x1, &email));
    let (x2, sms) = (t.f64_values("x2").unwrap(), c.f64_values("tau_sms").unwrap());
    assert!(gap(&x2, &sms) > 0.1, "sms gap {}", gap(&x2, &sms));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn uplift_forest_rejects_a_non_binary_outcome_and_bad_flags() {
    let d = tempdir("urf-bad");
    let mut t = purchase_table(300, &["control", "offer"]);
    let mut y = t.f64_values("bought").unwrap().into_owned();
    y[41] = 3.0;
    t = with_column(&t, Column::f64("bought", y));
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &t).unwrap();
    let cate = d.join("uplift.csv");
    refused(
        &uplift(&data, &cate, &["--method", "uplift-forest"]),
        &["'bought'", "is 3 at data row 42", "0/1"],
    );
    // the other checks, on a valid 0/1 outcome
    let good = d.join("good.csv");
    tp_io::write_table(&good, &purchase_table(300, &["control", "offer"])).unwrap();
    for bad in [
        vec!["--criterion", "gini"],
        vec!["--trees", "0"],
        vec!["--level", "1.5"],
        vec!["--max-features", "0"],
    ] {
        let mut args = vec!["--method", "uplift-forest"];
        args.extend(bad.iter().copied());
        let out = uplift(&good, &cate, &args);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("0/1 outcome"), "{bad:?}: {err}");
    }
    assert!(!cate.exists(), "a failed run wrote {}", cate.display());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn causal_forest_intervals_follow_the_level() {
    let d = tempdir("cf-level");
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &purchase_table(1500, &["control", "offer"])).unwrap();
    let cate = d.join("cate.csv");
    let out = uplift(&data, &cate, &["--method", "causal-forest", "--trees", "100", "--level", "0.8"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // the forest's self-check: variance-only bands, the BLP slope of the DR scores on τ̂ and the
    // estimated coverage of those bands, with a warning exactly when it is below 0.85
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intervals"], "variance");
    let cal = &v["calibration"][0];
    assert_eq!(cal["arm"], "offer");
    assert!(cal["blp_slope"].as_f64().unwrap().is_finite() && cal["blp_slope_se"].as_f64().unwrap() > 0.0);
    let est = cal["estimated_variance_coverage_90"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&est), "{est}");
    let warnings = v["interval_warnings"].as_array().unwrap();
    assert_eq!(warnings.is_empty(), est >= 0.85, "{v}");
    assert!(warnings.iter().all(|w| w.as_str().unwrap().contains("too narrow")));
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    let (tau, se) = (c.f64_values("tau").unwrap(), c.f64_values("tau_se").unwrap());
    let (lo, hi) = (c.f64_values("tau_lo").unwrap(), c.f64_values("tau_hi").unwrap());
    for i in 0..tau.len() {
        assert!(tau[i].is_finite(), "row {i} has no estimate");
        assert!((hi[i] - tau[i] - Z80 * se[i]).abs() < 1e-9 && (tau[i] - lo[i] - Z80 * se[i]).abs() < 1e-9);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bias_aware_intervals_keep_the_estimates_and_widen_the_bands() {
    let d = tempdir("cf-bias");
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &purchase_table(1500, &["control", "offer"])).unwrap();
    let read = |extra: &[&str], name: &str| {
        let cate = d.join(name);
        let mut args = vec!["--method", "causal-forest", "--trees", "100"];
        args.extend_from_slice(extra);
        let out = uplift(&data, &cate, &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
        let col = |n: &str| c.f64_values(n).unwrap().to_vec();
        (v, col("tau"), col("tau_se"), col("tau_lo"), col("tau_hi"))
    };
    let (v0, tau0, se0, lo0, hi0) = read(&[], "variance.csv");
    let (v1, tau1, se1, lo1, hi1) = read(&["--intervals", "bias-aware"], "bias.csv");
    assert_eq!((v0["intervals"].as_str(), v1["intervals"].as_str()), (Some("variance"), Some("bias_aware")));
    assert_eq!(tau1, tau0, "the estimates do not change");
    assert_eq!(se1, se0, "nor their standard errors");
    let mut wider = 0;
    for i in 0..tau0.len() {
        assert!(
            lo1[i] <= lo0[i] && hi1[i] >= hi0[i],
            "row {i}: [{}, {}] inside [{}, {}]",
            lo1[i],
            hi1[i],
            lo0[i],
            hi0[i]
        );
        wider += usize::from(hi1[i] - lo1[i] > hi0[i] - lo0[i] + 1e-12);
    }
    // the bias term is estimated from the data and may be 0 for a row; it is not 0 for all
    assert!(wider > 0, "no band was widened");
    let bad = uplift(&data, &d.join("x.csv"), &["--method", "causal-forest", "--intervals", "wide"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(["--intervals", "variance", "bias-aware"].iter().all(|n| err.contains(n)), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A randomized three-arm campaign (`ct`, `t1`, `t2`) with a continuous
/// outcome `y` = x1 − x2 + τ + N(0, 1): τ_t1 = 1 + x1, τ_t2 = 2 − x2.
fn three_arm_table(n: usize, seed: u64) -> Table {
    campaign(n, seed, &["ct", "t1", "t2"], ("y", false), |k, a, b, unif| {
        // a normal draw (Box–Muller)
        let noise = (-2.0 * (1.0 - unif()).ln()).sqrt() * (std::f64::consts::TAU * unif()).cos();
        a - b + [0.0, 1.0 + a, 2.0 - b][k] + noise
    })
}

/// `tp uplift --method causal-forest` on a [`three_arm_table`].
fn causal_forest(data: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--control", "ct", "--method", "causal-forest"];
    args.extend_from_slice(extra);
    uplift_on(data, out, "y", &args)
}

#[test]
fn causal_forest_estimates_every_treated_arm_of_three() {
    let d = tempdir("cf3");
    let (train, fresh) = (d.join("train.csv"), d.join("fresh.csv"));
    let all = three_arm_table(3400, 21);
    let rows: Vec<usize> = (0..3400).collect();
    tp_io::write_table(&train, &all.take_rows(&rows[..3000])).unwrap();
    tp_io::write_table(&fresh, &all.take_rows(&rows[3000..])).unwrap();
    let (cate, model) = (d.join("cate.csv"), d.join("forest.json"));
    let out = causal_forest(
        &train,
        &cate,
        &["--trees", "200", "--nuisance-trees", "50", "--seed", "5", "--save-model", s(&model)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(
        names(&c),
        [
            "id",
            "tau_se_t1",
            "tau_lo_t1",
            "tau_hi_t1",
            "tau_t1",
            "tau_se_t2",
            "tau_lo_t2",
            "tau_hi_t2",
            "tau_t2",
            "gamma_ct",
            "gamma_t1",
            "gamma_t2"
        ]
    );
    // each arm's doubly robust ATE within 4 SE of its sample truth: mean(1 + x1), mean(2 − x2)
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = tp_io::read_table(&train, &tp_io::ReadOptions::new()).unwrap();
    let (x1, x2) = (t.f64_values("x1").unwrap(), t.f64_values("x2").unwrap());
    let truth = [1.0 + tp_core::stats::mean(&x1), 2.0 - tp_core::stats::mean(&x2)];
    let effects = v["effects"].as_array().unwrap();
    assert_eq!(effects.len(), 2);
    for (k, e) in effects.iter().enumerate() {
        assert_eq!(e["label"], ["t1", "t2"][k]);
        let (ate, se) = (e["ate"].as_f64().unwrap(), e["ate_se"].as_f64().unwrap());
        assert!(se > 0.0 && (ate - truth[k]).abs() < 4.0 * se, "arm {k}: {ate} ± {se} vs {}", truth[k]);
        assert!(e["ci_low"].as_f64().unwrap() < ate && ate < e["ci_high"].as_f64().unwrap());
    }
    assert_eq!(v["ate"], effects[0]["ate"]);
    // the per-arm τ̂ follow their own covariate: t1 rises with x1, t2 falls with x2
    let slope = |x: &[f64], tau: &[f64]| {
        let (mx, mt) = (tp_core::stats::mean(x), tp_core::stats::mean(tau));
        x.iter().zip(tau).map(|(a, b)| (a - mx) * (b - mt)).sum::<f64>()
            / x.iter().map(|a| (a - mx).powi(2)).sum::<f64>()
    };
    let (t1, t2) = (c.f64_values("tau_t1").unwrap(), c.f64_values("tau_t2").unwrap());
    assert!(slope(&x1, &t1) > 0.4 && slope(&x2, &t2) < -0.4, "{} {}", slope(&x1, &t1), slope(&x2, &t2));
    // the saved model scores new customers, one τ̂ and SE per treated arm
    let scored = d.join("scored.csv");
    let out =
        tp(&["score", "--model", s(&model), "--data", s(&fresh), "--id-col", "id", "--out", s(&scored)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sc = tp_io::read_table(&scored, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(names(&sc), ["id", "tau_se_t1", "tau_t1", "tau_se_t2", "tau_t2"]);
    let f = tp_io::read_table(&fresh, &tp_io::ReadOptions::new()).unwrap();
    let s1 = slope(&f.f64_values("x1").unwrap(), &sc.f64_values("tau_t1").unwrap());
    assert!(s1 > 0.4, "fresh rows, t1 slope {s1}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn causal_forest_names_an_arm_too_small_to_estimate() {
    let d = tempdir("cf3-bad");
    let mut t = three_arm_table(600, 3);
    // all but 7 of the t2 rows become t1
    let arm: Vec<String> = {
        let mut seen = 0;
        t.string_values("arm")
            .unwrap()
            .iter()
            .map(|a| {
                seen += usize::from(a == "t2");
                if a == "t2" && seen > 7 { "t1".to_string() } else { a.to_string() }
            })
            .collect()
    };
    t = with_column(&t, Column::str("arm", arm));
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &t).unwrap();
    let cate = d.join("cate.csv");
    refused(&causal_forest(&data, &cate, &["--trees", "20"]), &["arm 't2'", "has 7 rows", "at least 20"]);
    let out = causal_forest(&data, &cate, &["--level", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--level 1.5"));
    assert!(!cate.exists(), "a failed run wrote {}", cate.display());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn uplift_forest_saves_and_scores_bit_for_bit() {
    use tp_uplift::{Divergence, UpliftForest};
    let d = tempdir("urf-save");
    let (train, fresh) = (d.join("train.csv"), d.join("fresh.csv"));
    let labels = ["control", "email", "sms"];
    let all = purchase_table(3500, &labels);
    let rows: Vec<usize> = (0..3500).collect();
    tp_io::write_table(&train, &all.take_rows(&rows[..3000])).unwrap();
    tp_io::write_table(&fresh, &all.take_rows(&rows[3000..])).unwrap();
    let fit = |data: &std::path::Path, model: &std::path::Path| {
        let out = uplift(
            data,
            &d.join("uplift.csv"),
            &["--method", "uplift-forest", "--trees", "40", "--seed", "8", "--save-model", s(model)],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let model = d.join("urf.json");
    fit(&train, &model);
    let scored = d.join("scored.csv");
    let score = |model: &std::path::Path| {
        tp(&["score", "--model", s(model), "--data", s(&fresh), "--id-col", "id", "--out", s(&scored)])
    };
    let out = score(&model);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sc = tp_io::read_table(&scored, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!(names(&sc), ["id", "tau_se_email", "tau_email", "tau_se_sms", "tau_sms"]);
    // the same forest fitted in this process (same data, flags and seed) predicts exactly what the
    // saved, reloaded one scored
    let t = tp_io::read_table(&train, &tp_io::ReadOptions::new()).unwrap();
    let matrix = |t: &Table| {
        let (a, b) = (t.f64_values("x1").unwrap(), t.f64_values("x2").unwrap());
        tp_core::faer::Mat::from_fn(a.len(), 2, |i, j| if j == 0 { a[i] } else { b[i] })
    };
    let arms: Vec<usize> =
        t.string_values("arm").unwrap().iter().map(|a| labels.iter().position(|l| l == a).unwrap()).collect();
    let data = tp_core::CausalData::builder(
        matrix(&t),
        vec!["x1".into(), "x2".into()],
        arms,
        t.f64_values("bought").unwrap().into_owned(),
    )
    .build()
    .unwrap();
    let direct = UpliftForest::params()
        .criterion(Divergence::Kl)
        .n_trees(40)
        .max_depth(4)
        .min_samples_leaf(100)
        .min_samples_treatment(10)
        .max_features(10)
        .seed(8)
        .fit(&data)
        .unwrap();
    let f = tp_io::read_table(&fresh, &tp_io::ReadOptions::new()).unwrap();
    let want = direct.predict_interval(matrix(&f).as_ref(), 0.9).unwrap();
    for (k, arm) in ["email", "sms"].iter().enumerate() {
        let want_tau: Vec<f64> = want.tau.col(k).iter().copied().collect();
        let want_se: Vec<f64> = want.se.col(k).iter().copied().collect();
        assert_eq!(sc.f64_values(&format!("tau_{arm}")).unwrap().into_owned(), want_tau, "{arm}");
        assert_eq!(sc.f64_values(&format!("tau_se_{arm}")).unwrap().into_owned(), want_se, "{arm}");
    }
    // compact: trees and leaf rates only, so four times the rows give about the same file
    let (big_data, big_model) = (d.join("big.csv"), d.join("big.json"));
    tp_io::write_table(&big_data, &purchase_table(12_000, &labels)).unwrap();
    fit(&big_data, &big_model);
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len() as f64;
    assert!(size(&big_model) < 1.5 * size(&model), "{} vs {} bytes", size(&big_model), size(&model));
    // a tampered file is an error naming the file, not a panic
    let text = std::fs::read_to_string(&model).unwrap();
    let tampered = d.join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"n_arms\": 3", "\"n_arms\": 2", 1)).unwrap();
    let out = score(&tampered);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tampered.json") && err.contains("corrupt"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}
