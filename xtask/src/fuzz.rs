//! `cargo xtask fuzz [--secs N] [TARGET...]`: runs the cargo-fuzz targets in `fuzz/` one after the
//! other, each for N seconds (default 60), at the lowest CPU priority, and prints per target the
//! executions libFuzzer reports and whether it found a crash.
//!
//! The targets live in their own workspace (`fuzz/Cargo.toml`), outside the build. cargo-fuzz needs
//! nightly compiler features; on a stable toolchain `RUSTC_BOOTSTRAP=1` enables them (set here for
//! the build). Install once with `RUSTC_BOOTSTRAP=1 cargo install cargo-fuzz --locked`. The targets
//! run with debug assertions (integer overflow panics) and without a sanitizer: tp forbids unsafe
//! code, so what there is to find is panics, overflows, unbounded recursion and allocation.
//! Seeds (small files tp wrote, see `docs/reliability.md`) are in `fuzz/seeds/<target>/`; what
//! libFuzzer adds goes to `fuzz/corpus/<target>/` (git-ignored). A crash leaves its input in `fuzz/artifacts/<target>/`; make it a regression test, then record the
//! run in `docs/reliability.md`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Every fuzz target, in the order they run.
pub const TARGETS: [&str; 8] = [
    "csv_reader",
    "parquet_reader",
    "run_config",
    "cate_model",
    "causal_forest",
    "uplift_forest",
    "learn_saved",
    "profile_state",
];

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut secs = 60u64;
    let mut targets: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--secs" => {
                let v = it.next().context("--secs needs a number of seconds")?;
                secs = v.parse().with_context(|| format!("--secs {v}: not a whole number of seconds"))?;
            }
            "--list" => {
                TARGETS.iter().for_each(|t| println!("{t}"));
                return Ok(());
            }
            t if TARGETS.contains(&t) => targets.push(TARGETS.iter().find(|x| **x == t).unwrap()),
            other => bail!("unknown fuzz target or option `{other}` (targets: {})", TARGETS.join(", ")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let probe = Command::new("cargo").args(["fuzz", "--version"]).output();
    if !probe.map(|o| o.status.success()).unwrap_or(false) {
        bail!("cargo-fuzz is not installed: RUSTC_BOOTSTRAP=1 cargo install cargo-fuzz --locked");
    }
    let fuzz = root.join("fuzz");
    let mut rows = Vec::new();
    for t in targets {
        // new inputs go to the (git-ignored) corpus; the committed seeds are read only
        let corpus = fuzz.join("corpus").join(t);
        std::fs::create_dir_all(&corpus)?;
        let seeds = fuzz.join("seeds").join(t);
        eprintln!("==> fuzz {t} for {secs} s");
        let out = Command::new("nice")
            .args(["-n", "19", "cargo", "fuzz", "run", "--debug-assertions", "--sanitizer", "none", t])
            .arg(&corpus)
            .arg(&seeds)
            .args(["--", &format!("-max_total_time={secs}"), "-rss_limit_mb=4096", "-print_final_stats=1"])
            .current_dir(&fuzz)
            .env("RUSTC_BOOTSTRAP", "1")
            .output()
            .with_context(|| format!("running cargo fuzz for {t}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let execs = log
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .map_or_else(|| "?".to_string(), |v| v.trim().to_string());
        let crashed = !out.status.success();
        if crashed {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        rows.push(format!(
            "| {t} | {secs} | {execs} | {} |",
            if crashed { "CRASH (see fuzz/artifacts)" } else { "0" }
        ));
    }
    println!("| target | seconds | executions | crashes |\n|---|---:|---:|---|");
    rows.iter().for_each(|r| println!("{r}"));
    Ok(())
}
