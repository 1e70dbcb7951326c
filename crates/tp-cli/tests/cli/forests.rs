//! `tp uplift` with the two forests: the uplift forest's columns (binary and
//! three arms), its errors and `--json`; both forests' intervals at `--level`.

use super::{s, tempdir, tp};
use tp_core::{Column, Table};

/// A randomized campaign with a 0/1 outcome: base rate 0.2 + 0.1·x2, and
/// arm k (1-based, of `labels`) adds 0.3 when x1 > 0 (arm 1) or x2 > 0 (arm 2).
fn purchase_table(n: usize, labels: &[&str]) -> Table {
    let mut state: u64 = 99;
    let mut unif = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let (mut x1, mut x2, mut arm, mut y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let (a, b) = (unif() * 2.0 - 1.0, unif() * 2.0 - 1.0);
        let k = ((unif() * labels.len() as f64) as usize).min(labels.len() - 1);
        let lift = match k {
            1 if a > 0.0 => 0.3,
            2 if b > 0.0 => 0.3,
            _ => 0.0,
        };
        x1.push(a);
        x2.push(b);
        arm.push(labels[k].to_string());
        y.push(i64::from(unif() < 0.2 + 0.1 * b + lift));
    }
    Table::new(vec![
        Column::i64("id", (0..n as i64).collect()),
        Column::f64("x1", x1),
        Column::f64("x2", x2),
        Column::str("arm", arm),
        Column::i64("bought", y),
    ])
    .unwrap()
}

fn uplift(data: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "uplift",
        "--data",
        s(data),
        "--treatment",
        "arm",
        "--outcome",
        "bought",
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
    t = Table::new(
        t.columns()
            .iter()
            .filter(|c| c.name != "bought")
            .cloned()
            .chain([Column::f64("bought", y)])
            .collect(),
    )
    .unwrap();
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &t).unwrap();
    let cate = d.join("uplift.csv");
    let out = uplift(&data, &cate, &["--method", "uplift-forest"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'bought'") && err.contains("is 3 at data row 42") && err.contains("0/1"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // the other checks, on a valid 0/1 outcome
    let good = d.join("good.csv");
    tp_io::write_table(&good, &purchase_table(300, &["control", "offer"])).unwrap();
    let model = d.join("model.json");
    for bad in [
        vec!["--criterion", "gini"],
        vec!["--trees", "0"],
        vec!["--level", "1.5"],
        vec!["--save-model", s(&model)],
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
    let c = tp_io::read_table(&cate, &tp_io::ReadOptions::new()).unwrap();
    let (tau, se) = (c.f64_values("tau").unwrap(), c.f64_values("tau_se").unwrap());
    let (lo, hi) = (c.f64_values("tau_lo").unwrap(), c.f64_values("tau_hi").unwrap());
    for i in 0..tau.len() {
        assert!(tau[i].is_finite(), "row {i} has no estimate");
        assert!((hi[i] - tau[i] - Z80 * se[i]).abs() < 1e-9 && (tau[i] - lo[i] - Z80 * se[i]).abs() < 1e-9);
    }
    std::fs::remove_dir_all(&d).unwrap();
}
