//! `tp uplift` and `tp run` call the same uplift driver: on the same data with the same
//! settings their CATE columns (τ̂, standard errors, interval bounds, AIPW scores) are the
//! same bits, for the causal forest (two and three arms), the uplift forest and a
//! meta-learner's out-of-fold τ̂.

use super::{s, tempdir, tp, uniform};
use std::path::{Path, PathBuf};
use tp_core::{Column, Table};

/// A randomized campaign: `id`, covariates x1, x2 on [−1, 1], non-negative segment features
/// s1, s2, `arm` uniform over `labels`, a continuous outcome `y` (arm k adds k·(1 + x1)) and a
/// 0/1 outcome `bought` (arm k adds 0.25 where x2 > 0).
fn table(n: usize, labels: &[&str]) -> Table {
    let mut u = uniform(17);
    let mut cols: [Vec<f64>; 6] = Default::default();
    let mut arm = Vec::new();
    for _ in 0..n {
        let (x1, x2) = (u() * 2.0 - 1.0, u() * 2.0 - 1.0);
        let k = ((u() * labels.len() as f64) as usize).min(labels.len() - 1);
        let y = x2 + k as f64 * (1.0 + x1) + u() - 0.5;
        let bought = f64::from(u8::from(u() < 0.3 + if x2 > 0.0 { 0.25 * k as f64 } else { 0.0 }));
        for (c, v) in cols.iter_mut().zip([x1, x2, u(), u(), y, bought]) {
            c.push(v);
        }
        arm.push(labels[k].to_string());
    }
    let [x1, x2, s1, s2, y, bought] = cols;
    Table::new(vec![
        Column::i64("id", (0..n as i64).collect()),
        Column::f64("x1", x1),
        Column::f64("x2", x2),
        Column::f64("s1", s1),
        Column::f64("s2", s2),
        Column::str("arm", arm),
        Column::f64("y", y),
        Column::f64("bought", bought),
    ])
    .unwrap()
}

/// The columns of a CATE file whose names start with `tau` or `gamma_`, as text (the CSV
/// writer prints the shortest round-trip form, so equal text is equal bits).
fn effect_columns(path: &Path) -> Vec<(String, Vec<String>)> {
    let t = tp_io::read_table(path, &tp_io::ReadOptions::new()).unwrap();
    t.columns()
        .iter()
        .filter(|c| c.name.starts_with("tau") || c.name.starts_with("gamma_"))
        .map(|c| {
            let v = t.f64_values(&c.name).unwrap();
            (c.name.clone(), v.iter().map(|x| format!("{:?}", x.to_bits())).collect())
        })
        .collect()
}

/// Runs `tp run` in `d` on `d/campaign.csv` with the `[uplift]` lines `uplift` and the `[policy]`
/// lines `policy` (margin 1, cost 0.1 per treated arm, no tree unless they say otherwise); returns
/// the output folder.
fn run_pipeline(d: &Path, labels: &[&str], outcome: &str, uplift: &str, policy: &str) -> PathBuf {
    let costs = vec!["0.1"; labels.len() - 1].join(", ");
    let toml = format!(
        "seed = 3\n[data]\ncampaign = \"campaign.csv\"\nid = \"id\"\n\
         [campaign]\ntreatment = \"arm\"\noutcome = \"{outcome}\"\npropensity_prefix = \"\"\n\
         [segment]\nfeatures = [\"s1\", \"s2\"]\nfactors = 2\nclusters = 2\nstability_runs = 0\nvalue = \"\"\n\
         [uplift]\ninterval_level = 0.8\ncovariates = [\"x1\", \"x2\"]\nfactor_covariates = false\n{uplift}\n\
         [policy]\nmargin = 1.0\ncost = [{costs}]\ntree_depth = 0\n{policy}\n"
    );
    std::fs::write(d.join("run.toml"), toml).unwrap();
    let run = d.join("run");
    let out = tp(&["run", s(&d.join("run.toml")), "--out", s(&run)]);
    assert!(out.status.success(), "tp run: {}", String::from_utf8_lossy(&out.stderr));
    run
}

/// Runs `tp uplift` with `flags` and `tp run` with the `[uplift]` lines `config` on the same
/// file and asserts the same effect columns; returns their names.
fn same_cate(name: &str, labels: &[&str], outcome: &str, flags: &[&str], config: &str) -> Vec<String> {
    let d = tempdir(&format!("same-{name}"));
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &table(600, labels)).unwrap();
    let cate = d.join("cate.csv");
    let mut args = vec![
        "uplift",
        "--data",
        s(&data),
        "--treatment",
        "arm",
        "--outcome",
        outcome,
        "--id-col",
        "id",
        "--covariates",
        "x1,x2",
        "--seed",
        "3",
        "--level",
        "0.8",
        "--out",
        s(&cate),
    ];
    args.extend_from_slice(flags);
    let out = tp(&args);
    assert!(out.status.success(), "tp uplift: {}", String::from_utf8_lossy(&out.stderr));
    let run = run_pipeline(&d, labels, outcome, config, "");
    let (a, b) = (effect_columns(&cate), effect_columns(&run.join("cate.csv")));
    let names: Vec<String> = a.iter().map(|(n, _)| n.clone()).collect();
    for (name, col) in &a {
        let other = b.iter().find(|(n, _)| n == name).map(|(_, c)| c);
        assert_eq!(other, Some(col), "{name}: tp run's cate.csv differs from tp uplift's");
    }
    std::fs::remove_dir_all(&d).unwrap();
    names
}

#[test]
fn tp_uplift_and_tp_run_give_the_same_causal_forest_cate() {
    let names = same_cate(
        "cf2",
        &["control", "coupon"],
        "y",
        &["--method", "causal-forest", "--trees", "100"],
        "method = \"causal_forest\"\ntrees = 100",
    );
    assert_eq!(names, ["tau_se", "tau_lo", "tau_hi", "tau", "gamma_control", "gamma_coupon"]);
    let names = same_cate(
        "cf3",
        &["control", "a", "b"],
        "y",
        &["--method", "causal-forest", "--trees", "100", "--tune", "never"],
        "method = \"causal_forest\"\ntrees = 100\n[uplift.forest]\ntune = \"never\"",
    );
    assert!(names.contains(&"tau_se_b".to_string()) && names.contains(&"gamma_b".to_string()), "{names:?}");
}

#[test]
fn tp_uplift_and_tp_run_give_the_same_uplift_forest_and_meta_learner_cate() {
    let names = same_cate(
        "urf",
        &["control", "a", "b"],
        "bought",
        &["--method", "uplift-forest", "--trees", "40", "--criterion", "ed", "--min-samples-leaf", "40"],
        "method = \"uplift_forest\"\ntrees = 40\n[uplift.forest]\ncriterion = \"ed\"\nmin_samples_leaf = 40",
    );
    assert_eq!(names.len(), 8, "{names:?}");
    let names = same_cate(
        "dr",
        &["control", "coupon"],
        "y",
        &["--method", "dr", "--out-of-fold"],
        "method = \"dr\"\nfolds = 5",
    );
    assert_eq!(names, ["tau", "gamma_control", "gamma_coupon"]);
}

/// `tp policy` on `tp run`'s own cate.csv, with the run's rule and economics, writes the run's
/// policy.csv byte for byte: both apply the rule through `tp_pipeline::policy::plan` (the run
/// decides on τ̂ itself here, `policy.score = "raw"`). Two arms under a top share, three under a
/// budget.
#[test]
fn tp_policy_and_tp_run_give_the_same_policy() {
    for (name, labels, rule, flags) in [
        (
            "pol2",
            &["control", "coupon"][..],
            "rule = \"top_share\"\ntop_share = 0.3",
            &["--top-share", "0.3"][..],
        ),
        ("pol3", &["control", "a", "b"][..], "rule = \"budget\"\nbudget = 20.0", &["--budget", "20"][..]),
    ] {
        let d = tempdir(&format!("same-{name}"));
        tp_io::write_table(d.join("campaign.csv"), &table(600, labels)).unwrap();
        let run = run_pipeline(&d, labels, "y", "method = \"dr\"", &format!("score = \"raw\"\n{rule}"));
        let costs = vec!["0.1"; labels.len() - 1].join(",");
        let (pol, cate) = (d.join("policy.csv"), run.join("cate.csv"));
        let mut args = vec!["policy", "--cate", s(&cate), "--id-col", "id", "--value", "1", "--cost", &costs];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--out", s(&pol), "--json"]);
        let out = tp(&args);
        assert!(out.status.success(), "tp policy: {}", String::from_utf8_lossy(&out.stderr));
        let a = std::fs::read(&pol).unwrap();
        let b = std::fs::read(run.join("policy.csv")).unwrap();
        assert_eq!(a, b, "{name}: tp policy's policy.csv differs from tp run's");
        // a rule that treats some but not all: the equality is not that of two empty plans
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let share = v["treated_share"].as_f64().unwrap();
        assert!(share > 0.05 && share < 0.95, "{name}: treated share {share}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}

/// `tp segment` on the campaign file's segment features writes `tp run`'s segments.csv byte for
/// byte (both call `tp_pipeline::segment::segment`).
#[test]
fn tp_segment_and_tp_run_give_the_same_segments() {
    let d = tempdir("same-seg");
    tp_io::write_table(d.join("campaign.csv"), &table(600, &["control", "coupon"])).unwrap();
    let run = run_pipeline(&d, &["control", "coupon"], "y", "method = \"dr\"", "");
    let seg = d.join("segments.csv");
    let out = tp(&[
        "segment",
        "--input",
        s(&d.join("campaign.csv")),
        "--id-col",
        "id",
        "--columns",
        "s1,s2",
        "--factors",
        "2",
        "--clusters",
        "2",
        "--stability-runs",
        "0",
        "--seed",
        "3",
        "--out",
        s(&seg),
    ]);
    assert!(out.status.success(), "tp segment: {}", String::from_utf8_lossy(&out.stderr));
    let a = std::fs::read(&seg).unwrap();
    assert!(
        a == std::fs::read(run.join("segments.csv")).unwrap(),
        "tp segment's segments.csv differs from tp run's"
    );
    let labels = tp_io::read_table(&seg, &tp_io::ReadOptions::new()).unwrap();
    let l = labels.f64_values("segment").unwrap();
    assert!(l.contains(&0.0) && l.contains(&1.0), "two segments");
    std::fs::remove_dir_all(&d).unwrap();
}

/// `tp ope` on the log, `tp run`'s policy.csv and the outcome models `tp uplift --q-hat-out`
/// writes with the run's settings gives the run's ope.json estimates and comparisons (treat-none,
/// treat-all, current practice) bit for bit: both call `tp_pipeline::ope::check`. The campaign
/// logs its propensities (`p_<arm>`, and `propensity` of the arm received).
#[test]
fn tp_ope_and_tp_run_give_the_same_estimates() {
    let d = tempdir("same-ope");
    let labels = ["control", "coupon"];
    let mut t = table(600, &labels);
    let arm = t.string_values("arm").unwrap().into_owned();
    // a logging policy that depends on x1: P(coupon) = 0.3 or 0.7
    let x1 = t.f64_values("x1").unwrap().into_owned();
    let p1: Vec<f64> = x1.iter().map(|&x| if x > 0.0 { 0.7 } else { 0.3 }).collect();
    let logged: Vec<f64> =
        arm.iter().zip(&p1).map(|(a, p)| if a == "coupon" { *p } else { 1.0 - p }).collect();
    t.push(Column::f64("p_control", p1.iter().map(|p| 1.0 - p).collect())).unwrap();
    t.push(Column::f64("p_coupon", p1.clone())).unwrap();
    t.push(Column::f64("propensity", logged)).unwrap();
    tp_io::write_table(d.join("campaign.csv"), &t).unwrap();
    let current = Table::new(vec![
        Column::f64("p_control", p1.iter().map(|p| 1.0 - p).collect()),
        Column::f64("p_coupon", p1),
    ])
    .unwrap();
    tp_io::write_table(d.join("current.csv"), &current).unwrap();
    // the run's config with the logged propensities and DR alone
    let run = run_pipeline(&d, &labels, "y", "method = \"dr\"", "");
    let toml = std::fs::read_to_string(d.join("run.toml"))
        .unwrap()
        .replace("propensity_prefix = \"\"", "propensity_prefix = \"p_\"")
        + "[ope]\nestimators = [\"dr\", \"ipw\"]\n";
    std::fs::write(d.join("run.toml"), toml).unwrap();
    let out = tp(&["run", s(&d.join("run.toml")), "--out", s(&run)]);
    assert!(out.status.success(), "tp run: {}", String::from_utf8_lossy(&out.stderr));
    let q = d.join("q.csv");
    let data = d.join("campaign.csv");
    let out = tp(&[
        "uplift",
        "--data",
        s(&data),
        "--treatment",
        "arm",
        "--outcome",
        "y",
        "--id-col",
        "id",
        "--covariates",
        "x1,x2",
        "--propensity-prefix",
        "p_",
        "--method",
        "dr",
        "--out-of-fold",
        "--seed",
        "3",
        "--out",
        s(&d.join("cate.csv")),
        "--q-hat-out",
        s(&q),
    ]);
    assert!(out.status.success(), "tp uplift: {}", String::from_utf8_lossy(&out.stderr));
    let out = tp(&[
        "ope",
        "--log",
        s(&data),
        "--action",
        "arm",
        "--reward",
        "y",
        "--propensity",
        "propensity",
        "--policy",
        s(&run.join("policy.csv")),
        "--q-hat",
        s(&q),
        "--current",
        s(&d.join("current.csv")),
        "--estimators",
        "dr",
        "--seed",
        "3",
        "--json",
    ]);
    assert!(out.status.success(), "tp ope: {}", String::from_utf8_lossy(&out.stderr));
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ran: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("ope.json")).unwrap()).unwrap();
    assert_eq!(cli["estimates"]["dr"], ran["estimates"]["dr"], "DR estimate");
    assert_eq!(cli["comparisons"], ran["comparisons"], "comparisons by DR");
    assert_eq!(cli["comparisons"].as_array().unwrap().len(), 3, "{}", cli["comparisons"]);
    std::fs::remove_dir_all(&d).unwrap();
}

/// `tp design` with the spread and effect `tp run` designed its confirming test for prints the
/// run's design, field for field (both call `tp_pipeline::design`): the spread is the run's
/// `design_sd` (the targeted controls' outcome SD), the effect its break-even uplift.
#[test]
fn tp_design_and_tp_run_give_the_same_design() {
    let d = tempdir("same-design");
    tp_io::write_table(d.join("campaign.csv"), &table(600, &["control", "coupon"])).unwrap();
    let run = run_pipeline(&d, &["control", "coupon"], "y", "method = \"dr\"", "");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap();
    let design = &summary["design"];
    let (sd, mde) = (summary["design_sd"].as_f64().unwrap(), design["mde"].as_f64().unwrap());
    // margin 1 and cost 0.1: the break-even uplift is the MDE
    assert_eq!(mde, 0.1);
    let (sd, mde) = (format!("{sd:?}"), format!("{mde:?}"));
    let out = tp(&["design", "--sd", &sd, "--mde", &mde, "--json"]);
    assert!(out.status.success(), "tp design: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(&v, design, "tp design differs from tp run's design");
    assert!(v["n_per_arm"].as_u64().unwrap() > 10, "{v}");
    std::fs::remove_dir_all(&d).unwrap();
}
