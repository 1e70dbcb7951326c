//! Issue 20, "Trust": no leakage on the documented path, no silent data loss,
//! no half-written output folders, the same bytes at any thread count.

use super::{s, tempdir, tp, uniform};
use std::path::{Path, PathBuf};

/// A two-arm campaign log with every kind of column that leaks the
/// assignment: `treatment` (the arm as 0/1), `flag` (the arm recoded as
/// 5/9), the logged `propensity` and `p_<arm>`; `x1`, `x2` are the real
/// pre-treatment covariates.
fn leaky_campaign(path: &Path, n: usize) {
    let mut u = uniform(11);
    let mut text =
        String::from("customer_id,x1,x2,arm,treatment,flag,propensity,p_control,p_treated,outcome\n");
    for i in 0..n {
        let (x1, x2) = (u(), u());
        let p = 0.3 + 0.4 * x1;
        let treated = u() < p;
        let y = x2 + if treated { 0.5 * x1 } else { 0.0 } + 0.3 * u();
        let pa = if treated { p } else { 1.0 - p };
        text.push_str(&format!(
            "{i},{x1},{x2},{},{},{},{pa},{},{p},{y}\n",
            if treated { "treated" } else { "control" },
            u8::from(treated),
            if treated { 9 } else { 5 },
            1.0 - p,
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn uplift_default_covariates_leave_out_propensities_and_copies_of_the_treatment() {
    let d = tempdir("trust-uplift-cov");
    let data = d.join("campaign.csv");
    leaky_campaign(&data, 400);
    let out = tp(&[
        "uplift",
        "--data",
        s(&data),
        "--treatment",
        "arm",
        "--outcome",
        "outcome",
        "--id-col",
        "customer_id",
        "--method",
        "dr",
        "--out",
        s(&d.join("cate.csv")),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["covariates"], serde_json::json!(["x1", "x2"]), "{v}");
    // the causal forest's --json lists them too; --exclude adds to the default exclusions
    let out = tp(&[
        "uplift",
        "--data",
        s(&data),
        "--treatment",
        "arm",
        "--outcome",
        "outcome",
        "--id-col",
        "customer_id",
        "--method",
        "causal-forest",
        "--trees",
        "50",
        "--exclude",
        "x2",
        "--out",
        s(&d.join("cate.csv")),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["covariates"], serde_json::json!(["x1"]), "{v}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// `campaign.exclude` extends the default exclusions: naming one more column
/// must not bring `treatment` and `propensity` back.
#[test]
fn run_campaign_exclude_extends_the_default_exclusions() {
    let d = tempdir("trust-run-exclude");
    leaky_campaign(&d.join("campaign.csv"), 400);
    let config = d.join("run.toml");
    std::fs::write(
        &config,
        "[data]\ncampaign = \"campaign.csv\"\n[campaign]\ntreatment = \"arm\"\nexclude = [\"x2\"]\n\
         [segment]\nfeatures = [\"x1\", \"x2\"]\nfactors = 2\nclusters = 2\nstability_runs = 0\nvalue = \"\"\n\
         [uplift]\nmethod = \"dr\"\nfactor_covariates = false\n[policy]\nmargin = 1.0\ncost = [0.1]\n",
    )
    .unwrap();
    let out = tp(&["run", s(&config), "--out", s(&d.join("out")), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["uplift"]["covariates"], serde_json::json!(["x1"]), "{}", v["uplift"]);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn simulate_criteo_writes_the_truth_to_its_own_file() {
    let d = tempdir("trust-criteo");
    let out =
        tp(&["simulate", "--preset", "criteo", "--customers", "3000", "--format", "csv", "--out", s(&d)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let data = tp_io::read_table(d.join("criteo.csv"), &tp_io::ReadOptions::new()).unwrap();
    let truth = tp_io::read_table(d.join("criteo_truth.csv"), &tp_io::ReadOptions::new()).unwrap();
    for c in ["conversion", "mu0", "mu1", "tau", "tau_visit"] {
        assert!(data.position(c).is_none(), "criteo.csv still holds the post-treatment column {c}");
        assert!(truth.position(c).is_some(), "criteo_truth.csv lacks {c}");
    }
    assert_eq!(truth.n_rows(), data.n_rows());
    // the truth is the same draw: tau = mu1 - mu0 row by row
    let (mu0, mu1, tau) = (
        truth.f64_values("mu0").unwrap(),
        truth.f64_values("mu1").unwrap(),
        truth.f64_values("tau").unwrap(),
    );
    assert!((0..truth.n_rows()).all(|i| tau[i] == mu1[i] - mu0[i]));
    // a conversion happens only after a visit
    let (visit, conversion) = (data.f64_values("visit").unwrap(), truth.f64_values("conversion").unwrap());
    assert!((0..data.n_rows()).all(|i| conversion[i] <= visit[i]));
    // and the default covariates of the data file, with nothing excluded, are the twelve features
    let out = tp(&[
        "uplift",
        "--data",
        s(&d.join("criteo.csv")),
        "--treatment",
        "treatment",
        "--outcome",
        "visit",
        "--method",
        "t",
        "--out",
        s(&d.join("cate.csv")),
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: Vec<String> = (0..12).map(|j| format!("f{j}")).collect();
    assert_eq!(v["covariates"], serde_json::json!(want), "{v}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A small retail world in `dir/world`; returns the campaign start day.
fn small_world(dir: &Path) -> i64 {
    let out = tp(&[
        "simulate",
        "--preset",
        "retail",
        "--customers",
        "300",
        "--weeks",
        "36",
        "--seed",
        "3",
        "--out",
        s(&dir.join("world")),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c = tp_io::read_table(dir.join("world/campaign.csv"), &tp_io::ReadOptions::new()).unwrap();
    let start = c.f64_values("campaign_start_day").expect("the campaign log records its start");
    assert!(start.iter().all(|&x| x == start[0]));
    // weeks 1..=36, an 8-week outcome window: the mailing is week 28
    assert_eq!(start[0], (7 * 28 + 1) as f64);
    start[0] as i64
}

/// A quick config on `dir/world` with profile covariates, plus `extra` lines.
fn profile_config(dir: &Path, events: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("run-{}.toml", dir.read_dir().unwrap().count()));
    std::fs::write(
        &path,
        format!(
            "[data]\ncustomers = \"world/customers.csv\"\ncampaign = \"world/campaign.csv\"\n\
             events = \"{events}\"\ncatalog = \"world/catalog.csv\"\n\
             [segment]\nstability_runs = 0\n[uplift]\ntrees = 50\nprofile_covariates = [\"l3.*\"]\n\
             [policy]\nmargin = 0.3\ncost = [12.73]\n{extra}"
        ),
    )
    .unwrap();
    path
}

/// The default `profile.as_of` is the day before the campaign: the profiles
/// (and so the CATE's profile covariates) are the same whether or not the
/// event log holds the outcome window.
#[test]
fn profiles_do_not_see_the_outcome_window_by_default() {
    let d = tempdir("trust-asof");
    let start = small_world(&d);
    // the same events without the outcome window
    let text = std::fs::read_to_string(d.join("world/events.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let day_col = header.split(',').position(|h| h == "day").unwrap();
    let mut pre = format!("{header}\n");
    let mut dropped = 0;
    for l in lines {
        if l.split(',').nth(day_col).unwrap().parse::<i64>().unwrap() < start {
            pre.push_str(l);
            pre.push('\n');
        } else {
            dropped += 1;
        }
    }
    assert!(dropped > 1000, "the outcome window holds events: {dropped}");
    std::fs::write(d.join("world/events_pre.csv"), pre).unwrap();
    let mut profiles = Vec::new();
    for events in ["world/events.csv", "world/events_pre.csv"] {
        let out_dir = d.join(format!("out-{}", profiles.len()));
        let out = tp(&["run", s(&profile_config(&d, events, "")), "--out", s(&out_dir), "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["profile"]["as_of"], serde_json::json!((start - 1) as f64), "{}", v["profile"]);
        assert_eq!(v["profile"]["as_of_source"], "campaign start - 1");
        assert!(
            v["uplift"]["covariates"].as_array().unwrap().iter().any(|c| c == "l3.total_spend"),
            "{}",
            v["uplift"]["covariates"]
        );
        profiles.push(std::fs::read(out_dir.join("profiles.csv")).unwrap());
    }
    assert!(profiles[0] == profiles[1], "profiles.csv depends on events of the outcome window");
    // `tp profile` (events streamed in chunks) and `tp run` call the same profile driver: at the
    // run's as-of day they write the same bytes
    let asof = (start - 1).to_string();
    let p = d.join("profiles.csv");
    let out = tp(&[
        "profile",
        "--events",
        s(&d.join("world/events.csv")),
        "--catalog",
        s(&d.join("world/catalog.csv")),
        "--as-of",
        &asof,
        "--chunk-rows",
        "5000",
        "--out",
        s(&p),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&p).unwrap() == profiles[0], "tp profile's profiles differ from tp run's");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A `profile.as_of` inside the outcome window is an error naming both days,
/// unless `profile.allow_outcome_overlap` is set; with the start unknown,
/// profile columns in `policy.tree_features` (or as covariates) are an error.
#[test]
fn profile_windows_that_overlap_the_outcome_are_errors() {
    let d = tempdir("trust-overlap");
    let start = small_world(&d);
    let late = format!("[profile]\nas_of = {}\n", start + 10);
    let out = tp(&["run", s(&profile_config(&d, "world/events.csv", &late)), "--out", s(&d.join("o1"))]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("profile.as_of = {}", start + 10))
            && err.contains(&format!("day {start}"))
            && err.contains("profile.allow_outcome_overlap"),
        "{err}"
    );
    assert!(!d.join("o1").exists(), "a failed run left an output folder");
    let allowed = format!("{late}allow_outcome_overlap = true\n");
    let out = tp(&["run", s(&profile_config(&d, "world/events.csv", &allowed)), "--out", s(&d.join("o2"))]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // a campaign log without its start: profile columns in the policy tree are refused
    let text = std::fs::read_to_string(d.join("world/campaign.csv")).unwrap();
    let no_start: String = text.lines().map(|l| format!("{}\n", l.rsplit_once(',').unwrap().0)).collect();
    assert!(no_start.starts_with("customer_id,") && !no_start.contains("campaign_start_day"));
    std::fs::write(d.join("world/campaign.csv"), no_start).unwrap();
    let tree = "[policy]\ntree_features = [\"pre_spend\", \"l3.total_spend\"]\n";
    let config = profile_config(&d, "world/events.csv", "").to_str().unwrap().to_string();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("profile_covariates = [\"l3.*\"]", "profile_covariates = []")
        .replace("[policy]\n", tree);
    std::fs::write(&config, text).unwrap();
    let out = tp(&["run", &config, "--out", s(&d.join("o3"))]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("policy.tree_features") && err.contains("campaign.start_day"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A feature column of numbers with one stray `oops` used to vanish from
/// `tp segment`'s features; now it is an error naming the column, the line,
/// the value and the fix, and `--columns` without it runs.
#[test]
fn segment_refuses_a_numeric_column_with_a_stray_value() {
    let d = tempdir("trust-mixed");
    let mut u = uniform(5);
    let mut text = String::from("customer_id,a,b,c\n");
    for i in 0..120 {
        let c = if i == 57 { "oops".to_string() } else { format!("{}", u()) };
        text.push_str(&format!("{i},{},{},{c}\n", u(), 2.0 * u()));
    }
    let input = d.join("features.csv");
    std::fs::write(&input, text).unwrap();
    let seg_out = d.join("seg.csv");
    let seg = |extra: &[&str]| {
        let mut args = vec![
            "segment",
            "--input",
            s(&input),
            "--id-col",
            "customer_id",
            "--factors",
            "2",
            "--clusters",
            "2",
            "--stability-runs",
            "0",
            "--out",
            s(&seg_out),
            "--json",
        ];
        args.extend_from_slice(extra);
        tp(&args)
    };
    let out = seg(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    // header = line 1, row i on line i + 2
    assert!(
        err.contains("'c'")
            && err.contains("line 59")
            && err.contains("\"oops\"")
            && err.contains("--columns"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = seg(&["--columns", "a,b"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = tp_io::read_table(&seg_out, &tp_io::ReadOptions::new()).unwrap();
    assert_eq!((t.n_rows(), t.names()), (120, vec!["customer_id", "segment", "factor_1", "factor_2"]));
    std::fs::remove_dir_all(&d).unwrap();
}

/// Every file under `dir` (relative path → bytes), with timing removed:
/// JSON keys named `seconds`, `timings` (or ending in `_seconds`) and the
/// report's "Made by tp in N s".
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, untimed(&p, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn strip_seconds(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| k != "seconds" && k != "timings" && !k.ends_with("_seconds"));
            m.values_mut().for_each(strip_seconds);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_seconds),
        _ => {}
    }
}

fn untimed(path: &Path, bytes: Vec<u8>) -> Vec<u8> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            strip_seconds(&mut v);
            serde_json::to_vec(&v).unwrap()
        }
        Some("html") => {
            let text = String::from_utf8(bytes).unwrap();
            let (head, tail) = text.split_once("Made by tp in ").expect("the report's timing note");
            let rest = &tail[tail.find(" s.").expect("seconds")..];
            format!("{head}Made by tp in T{rest}").into_bytes()
        }
        _ => bytes,
    }
}

/// Runs `tp` in `dir` with `threads` rayon threads; its stdout, with timing removed when it is JSON.
fn tp_threads(dir: &Path, threads: usize, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tp"))
        .args(args)
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "tp {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    match serde_json::from_slice::<serde_json::Value>(&out.stdout) {
        Ok(mut v) => {
            strip_seconds(&mut v);
            serde_json::to_vec(&v).unwrap()
        }
        Err(_) => out.stdout,
    }
}

/// Every command's output files (and --json summaries) are the same bytes at
/// 1, 2 and 8 threads, apart from timing fields. Small inputs keep it quick.
#[test]
fn every_command_writes_the_same_bytes_at_1_2_and_8_threads() {
    let d = tempdir("trust-threads");
    let mut runs = Vec::new();
    for threads in [1usize, 2, 8] {
        let w = d.join(format!("t{threads}"));
        std::fs::create_dir_all(&w).unwrap();
        // relative paths, run from w: the --json outputs name the same files at every thread count
        let p = |f: &str| f.to_string();
        let mut stdout = Vec::new();
        let mut run = |args: &[&str]| stdout.push(tp_threads(&w, threads, args));
        run(&[
            "simulate",
            "--preset",
            "retail",
            "--customers",
            "200",
            "--weeks",
            "36",
            "--seed",
            "3",
            "--out",
            &p("world"),
            "--json",
        ]);
        run(&[
            "simulate",
            "--preset",
            "criteo",
            "--customers",
            "1500",
            "--format",
            "csv",
            "--seed",
            "3",
            "--out",
            &p("criteo"),
            "--json",
        ]);
        run(&[
            "profile",
            "--events",
            &p("world/events.csv"),
            "--catalog",
            &p("world/catalog.csv"),
            "--out",
            &p("profiles.csv"),
            "--save-state",
            &p("state.json"),
            "--json",
        ]);
        run(&[
            "segment",
            "--input",
            &p("world/customers.csv"),
            "--id-col",
            "customer_id",
            "--columns",
            "pre_spend,pre_visits,pre_items,pre_promo_share",
            "--factors",
            "2",
            "--clusters",
            "auto",
            "--stability-runs",
            "5",
            "--seed",
            "3",
            "--out",
            &p("segments.csv"),
            "--json",
        ]);
        let data = p("criteo/criteo.csv");
        let uplift = |method: &str, out: &str| -> Vec<String> {
            [
                "uplift",
                "--data",
                &data,
                "--treatment",
                "treatment",
                "--outcome",
                "visit",
                "--method",
                method,
                "--seed",
                "3",
                "--out",
                &p(out),
                "--json",
            ]
            .iter()
            .map(|a| a.to_string())
            .collect()
        };
        let refs = |v: &[String]| -> Vec<String> { v.to_vec() };
        for (method, out, extra) in [
            ("dr", "cate_dr.csv", vec!["--save-model".to_string(), p("dr.json")]),
            ("causal-forest", "cate_cf.csv", vec!["--trees".into(), "100".into()]),
            (
                "uplift-forest",
                "cate_uf.csv",
                vec!["--trees".into(), "20".into(), "--min-samples-leaf".into(), "50".into()],
            ),
        ] {
            let mut a = refs(&uplift(method, out));
            a.extend(extra);
            run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        }
        run(&["score", "--model", &p("dr.json"), "--data", &data, "--out", &p("scores.csv"), "--json"]);
        // evaluate and policy read the scores next to the outcome
        let mut t = tp_io::read_table(w.join(&data), &tp_io::ReadOptions::new()).unwrap();
        let cate = tp_io::read_table(w.join("cate_dr.csv"), &tp_io::ReadOptions::new()).unwrap();
        for c in cate.columns() {
            t.push(c.clone()).unwrap();
        }
        tp_io::write_table(w.join("scored.csv"), &t).unwrap();
        run(&[
            "evaluate",
            "--data",
            &p("scored.csv"),
            "--treatment",
            "treatment",
            "--outcome",
            "visit",
            "--score",
            "tau",
            "--json",
        ]);
        run(&[
            "policy",
            "--cate",
            &p("scored.csv"),
            "--value",
            "1",
            "--cost",
            "0.01",
            "--arms",
            "1",
            "--control",
            "0",
            "--tree-depth",
            "2",
            "--features",
            "f0,f1,f2",
            "--out",
            &p("policy.csv"),
            "--json",
        ]);
        run(&[
            "ope",
            "--log",
            &data,
            "--action",
            "treatment",
            "--reward",
            "visit",
            "--propensity",
            "propensity",
            "--policy",
            &p("policy.csv"),
            "--bootstrap",
            "50",
            "--seed",
            "3",
            "--json",
        ]);
        run(&["design", "--sd", "1", "--mde", "0.1", "--json"]);
        run(&["demo", "--out", &p("demo"), "--customers", "150", "--trees", "100", "--seed", "3", "--json"]);
        runs.push((snapshot(&w), stdout));
    }
    let (files, stdout) = &runs[0];
    assert!(files.len() > 25 && files.contains_key("demo/report.html"), "{:?}", files.keys());
    for (k, (f, o)) in runs.iter().enumerate().skip(1) {
        assert_eq!(f.keys().collect::<Vec<_>>(), files.keys().collect::<Vec<_>>());
        for (name, bytes) in files {
            assert!(f[name] == *bytes, "{name} differs between 1 and {} threads", [1, 2, 8][k]);
        }
        for (i, (a, b)) in stdout.iter().zip(o).enumerate() {
            assert!(
                a == b,
                "the --json output of command {i} differs between 1 and {} threads",
                [1, 2, 8][k]
            );
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// `kill -9` of a real `tp demo` at several points of its run leaves the
/// previous output folder byte for byte as it was and no partial folder
/// under its name; the next run removes the killed runs' temporary folders.
#[test]
fn a_killed_demo_leaves_the_previous_output_untouched() {
    let d = tempdir("trust-kill");
    let out_dir = d.join("out");
    let demo = |seed: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tp"))
            .args([
                "demo",
                "--out",
                s(&out_dir),
                "--customers",
                "300",
                "--trees",
                "100",
                "--json",
                "--seed",
                seed,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let t0 = std::time::Instant::now();
    assert!(demo("3").wait().unwrap().success());
    let full = t0.elapsed();
    let mut before = snapshot(&out_dir);
    assert!(before.contains_key("summary.json") && before.contains_key("world/events.csv"));
    let mut killed = 0;
    for frac in [0.02, 0.1, 0.25, 0.45, 0.65, 0.85] {
        let mut child = demo("4");
        std::thread::sleep(full.mul_f64(frac));
        if child.try_wait().unwrap().is_some() {
            // it finished first: its results are the new reference
            before = snapshot(&out_dir);
            continue;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed += 1;
        let now = snapshot(&out_dir);
        if now != before {
            // killed after its commit (the rename) but before it exited: a complete new folder
            assert!(
                now.contains_key("summary.json")
                    && now.contains_key("report.html")
                    && now.len() == before.len(),
                "killed at {frac} of a run, the output folder changed and is not a complete run"
            );
            before = now;
        }
        for e in std::fs::read_dir(&d).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(name == "out" || name.starts_with(".out.tp-partial-"), "unexpected {name}");
        }
    }
    assert!(killed >= 3, "only {killed} runs were killed before they finished");
    assert!(demo("5").wait().unwrap().success());
    let left: Vec<String> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(left, ["out"], "temporary folders of killed runs were left behind");
    std::fs::remove_dir_all(&d).unwrap();
}
