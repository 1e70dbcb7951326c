//! `cargo xtask bench scale [--customers N] [--cf-rows M] [--cf-trees T] [--no-append]`: the
//! criteo-sized chain of issue #19 on one machine, stage by stage.
//!
//! Each stage runs `tp` in a fresh process through `xtask/peers/measure.py` (standard library only,
//! so the system `python3` does): wall time, CPU time (user + sys) and peak RSS. The stages:
//!
//! 1. `tp simulate --preset criteo --customers N` (Parquet, written in chunks);
//! 2. `tp uplift --method x --learner gbt --save-model --q-hat-out` on every row;
//! 3. `tp uplift --method causal-forest --sample-share M/N` on a Bernoulli sample of about M rows
//!    (default 500,000) with T trees (default 100): the forest on all 14M rows does not fit the
//!    30-minute budget on two cores (3254 s for 40 trees in session 3);
//! 4. `tp score` of the saved X-learner over every row, in batches;
//! 5. `tp policy --value 1 --cost 0.01` (treat where τ̂ of a visit exceeds 1%);
//! 6. `tp ope --estimators dr --bootstrap 1000` of that policy with the X-learner's cross-fitted
//!    outcome model.
//!
//! The goals of #19: the whole chain in under 30 minutes, every stage under 8 GiB, scoring at
//! 2M rows/s or more. The table is printed and appended to `docs/benchmarks.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use super::report;

const USAGE: &str =
    "usage: cargo xtask bench scale [--customers N] [--cf-rows M] [--cf-trees T] [--no-append]";

struct Options {
    customers: u64,
    cf_rows: u64,
    cf_trees: u64,
    append: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options { customers: 14_000_000, cf_rows: 500_000, cf_trees: 100, append: true };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |name: &str| -> Result<u64> {
            let v = it.next().with_context(|| format!("{name} needs a value\n{USAGE}"))?;
            let n: u64 =
                v.replace('_', "").parse().with_context(|| format!("{name} {v}: not a count\n{USAGE}"))?;
            if n == 0 {
                bail!("{name} 0: expected at least 1\n{USAGE}");
            }
            Ok(n)
        };
        match a.as_str() {
            "--customers" => o.customers = number("--customers")?,
            "--cf-rows" => o.cf_rows = number("--cf-rows")?,
            "--cf-trees" => o.cf_trees = number("--cf-trees")?,
            "--no-append" => o.append = false,
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    Ok(o)
}

/// One measured stage.
struct Stage {
    name: &'static str,
    command: String,
    wall_s: f64,
    cpu_s: f64,
    rss_kib: u64,
    rows: u64,
    loadavg: String,
    note: String,
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Runs `tp args…` under measure.py; returns the stage and tp's `--json` stdout.
fn measure(
    tp: &Path,
    measure_py: &Path,
    out: &Path,
    name: &'static str,
    args: &[String],
    rows: u64,
) -> Result<(Stage, Value)> {
    let (stdout, stderr) = (out.join(format!("{name}.out")), out.join(format!("{name}.err")));
    let load = loadavg();
    eprintln!("==> bench scale: {name} (load {load}): tp {}", args.join(" "));
    let output = Command::new("python3")
        .arg(measure_py)
        .arg("--stdout")
        .arg(&stdout)
        .arg("--stderr")
        .arg(&stderr)
        .arg("--")
        .arg(tp)
        .args(args)
        .output()
        .context("could not run python3 xtask/peers/measure.py")?;
    let line = String::from_utf8_lossy(&output.stdout);
    let m: Value =
        serde_json::from_str(line.trim()).with_context(|| format!("measure.py printed {line:?}"))?;
    if m["exit"].as_i64() != Some(0) {
        bail!(
            "{name} failed (exit {}): {}",
            m["exit"],
            fs::read_to_string(&stderr).unwrap_or_default().trim()
        );
    }
    let json: Value =
        serde_json::from_str(&fs::read_to_string(&stdout).unwrap_or_default()).unwrap_or(Value::Null);
    let stage = Stage {
        name,
        command: format!("tp {}", args.join(" ")),
        wall_s: m["wall_s"].as_f64().unwrap_or(f64::NAN),
        cpu_s: m["user_s"].as_f64().unwrap_or(f64::NAN) + m["sys_s"].as_f64().unwrap_or(f64::NAN),
        rss_kib: m["max_rss_kib"].as_u64().unwrap_or(0),
        rows,
        loadavg: load,
        note: String::new(),
    };
    eprintln!(
        "    {:.1} s wall, {:.1} s CPU, {} peak RSS",
        stage.wall_s,
        stage.cpu_s,
        report::memory(stage.rss_kib)
    );
    Ok((stage, json))
}

/// Entry point of `cargo xtask bench scale`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("==> bench scale: cargo build --release -p tp-cli");
    let ok = Command::new(&cargo)
        .args(["build", "--release", "-p", "tp-cli"])
        .current_dir(root)
        .status()
        .context("could not run cargo")?;
    if !ok.success() {
        bail!("cargo build --release -p tp-cli failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let tp = target.join("release/tp");
    let measure_py = root.join("xtask/peers/measure.py");
    let out = root.join(format!("bench-out/scale-{}", o.customers));
    fs::create_dir_all(&out).with_context(|| format!("could not create {}", out.display()))?;
    let p = |f: &str| out.join(f).display().to_string();
    let n = o.customers;
    let share = (o.cf_rows as f64 / n as f64).min(1.0);
    let covariates = (0..12).map(|j| format!("f{j}")).collect::<Vec<_>>().join(",");
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();

    let date = report::now();
    let load = report::load();
    let mut stages = Vec::new();

    let (mut s, _) = measure(
        &tp,
        &measure_py,
        &out,
        "simulate",
        &strings(&[
            "simulate",
            "--preset",
            "criteo",
            "--customers",
            &n.to_string(),
            "--seed",
            "7",
            "--out",
            &p("world"),
            "--json",
        ]),
        n,
    )?;
    s.note = "criteo.parquet + criteo_truth.parquet".into();
    stages.push(s);
    let data = p("world/criteo.parquet");

    let (mut s, v) = measure(
        &tp,
        &measure_py,
        &out,
        "uplift-x-gbt",
        &strings(&[
            "uplift",
            "--data",
            &data,
            "--treatment",
            "treatment",
            "--outcome",
            "visit",
            "--covariates",
            &covariates,
            "--method",
            "x",
            "--learner",
            "gbt",
            "--seed",
            "7",
            "--out",
            &p("cate.parquet"),
            "--save-model",
            &p("model.json"),
            "--q-hat-out",
            &p("qhat.parquet"),
            "--json",
        ]),
        n,
    )?;
    s.note = format!(
        "ATE {:.5} ± {:.5}",
        v["ate"].as_f64().unwrap_or(f64::NAN),
        v["ate_se"].as_f64().unwrap_or(f64::NAN)
    );
    stages.push(s);

    let (mut s, v) = measure(
        &tp,
        &measure_py,
        &out,
        "uplift-cf-sample",
        &strings(&[
            "uplift",
            "--data",
            &data,
            "--treatment",
            "treatment",
            "--outcome",
            "visit",
            "--covariates",
            &covariates,
            "--method",
            "causal-forest",
            "--trees",
            &o.cf_trees.to_string(),
            "--sample-share",
            &format!("{share}"),
            "--seed",
            "7",
            "--out",
            &p("cate_cf.parquet"),
            "--json",
        ]),
        n,
    )?;
    let cf_n = v["n"].as_u64().unwrap_or(0);
    s.rows = cf_n;
    s.note = format!(
        "{} trees on a {:.4} sample ({} rows); ATE {:.5} ± {:.5}",
        o.cf_trees,
        share,
        report::thousands(cf_n),
        v["effects"][0]["ate"].as_f64().unwrap_or(f64::NAN),
        v["effects"][0]["ate_se"].as_f64().unwrap_or(f64::NAN)
    );
    stages.push(s);

    let (mut s, v) = measure(
        &tp,
        &measure_py,
        &out,
        "score",
        &strings(&[
            "score",
            "--model",
            &p("model.json"),
            "--data",
            &data,
            "--out",
            &p("scores.parquet"),
            "--json",
        ]),
        n,
    )?;
    s.note = format!("tp's own clock {:.0} rows/s", n as f64 / v["seconds"].as_f64().unwrap_or(f64::NAN));
    stages.push(s);

    let (mut s, v) = measure(
        &tp,
        &measure_py,
        &out,
        "policy",
        &strings(&[
            "policy",
            "--cate",
            &p("scores.parquet"),
            "--value",
            "1",
            "--cost",
            "0.01",
            "--arms",
            "1",
            "--control",
            "0",
            "--out",
            &p("policy.parquet"),
            "--json",
        ]),
        n,
    )?;
    s.note = format!("treated share {:.3}", v["treated_share"].as_f64().unwrap_or(f64::NAN));
    stages.push(s);

    let (mut s, v) = measure(
        &tp,
        &measure_py,
        &out,
        "ope-dr-1000",
        &strings(&[
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
            &p("policy.parquet"),
            "--q-hat",
            &p("qhat.parquet"),
            "--estimators",
            "dr",
            "--bootstrap",
            "1000",
            "--seed",
            "7",
            "--json",
        ]),
        n,
    )?;
    let dr = &v["estimates"]["dr"];
    s.note = format!(
        "DR {:.5} [{:.5}, {:.5}]",
        dr["value"].as_f64().unwrap_or(f64::NAN),
        dr["ci_low"].as_f64().unwrap_or(f64::NAN),
        dr["ci_high"].as_f64().unwrap_or(f64::NAN)
    );
    stages.push(s);

    let total_wall: f64 = stages.iter().map(|s| s.wall_s).sum();
    let total_cpu: f64 = stages.iter().map(|s| s.cpu_s).sum();
    let peak = stages.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let mut table = String::from(
        "| stage | rows | wall | CPU (user+sys) | peak RSS | rows/s (wall) | load avg at start | notes |\n|---|---|---|---|---|---|---|---|\n",
    );
    for s in &stages {
        table.push_str(&format!(
            "| {} | {} | {:.1} s | {:.1} s | {} | {} | {} | {} |\n",
            s.name,
            report::thousands(s.rows),
            s.wall_s,
            s.cpu_s,
            report::memory(s.rss_kib),
            report::thousands((s.rows as f64 / s.wall_s) as u64),
            s.loadavg,
            s.note
        ));
    }
    table.push_str(&format!(
        "| **chain** | {} | **{:.1} s** ({:.1} min) | {:.1} s | **{}** (largest stage) | | | goals: < 30 min, < 8 GiB, score ≥ 2M rows/s |\n",
        report::thousands(n),
        total_wall,
        total_wall / 60.0,
        total_cpu,
        report::memory(peak)
    ));
    let commands: String = stages.iter().map(|s| format!("  - {}: `{}`\n", s.name, s.command)).collect();
    let command =
        std::iter::once("cargo xtask bench scale").chain(args.iter().map(String::as_str)).collect::<Vec<_>>();
    let section = format!(
        "\n## {date}: `{cmd}`\n\n- command: `{cmd}`\n- machine: {}\n- load: {load}\n- commit: {}\n- stages (paths under `bench-out/scale-{n}/`):\n{commands}\n{table}",
        report::machine(),
        super::git_commit(root),
        cmd = command.join(" "),
    );
    println!("{section}");
    if o.append {
        let path = root.join("docs/benchmarks.md");
        let mut text = fs::read_to_string(&path)
            .with_context(|| format!("could not read {} (restore it with git)", path.display()))?;
        text.push_str(&section);
        fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
        eprintln!("==> bench scale: appended to {}", path.display());
    }
    Ok(())
}
