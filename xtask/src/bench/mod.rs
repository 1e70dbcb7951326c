//! `cargo xtask bench [TASK...] [--quick] [--list] [--no-append]`: ours against the Python peers.
//!
//! For the selected tasks: create or reuse the venv at `.venv/` and install only their pinned
//! requirements, build `tp` in release, then for each case run the untimed preparation, ours and
//! the peer, each in a fresh process through `xtask/peers/measure.py` (wall time, peak RSS) with
//! `OMP_WAIT_POLICY=PASSIVE`, read both quality figures, print the table and append a dated section
//! to `docs/benchmarks.md`.

mod coverage;
mod report;
mod scale;
mod tasks;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use report::{Measured, Row};
use tasks::{Case, Cmd, Ctx, Quality, Scale, Side, Task};

const USAGE: &str = "usage: cargo xtask bench [TASK...] [--quick] [--list] [--no-append]";

struct Options {
    tasks: Vec<String>,
    quick: bool,
    list: bool,
    append: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options { tasks: Vec::new(), quick: false, list: false, append: true };
    for arg in args {
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--list" => o.list = true,
            "--no-append" => o.append = false,
            "-h" | "--help" => o.list = true,
            flag if flag.starts_with('-') => bail!("unknown flag `{flag}`\n{USAGE}"),
            name => o.tasks.push(name.to_string()),
        }
    }
    Ok(o)
}

/// Entry point of `cargo xtask bench`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    // `coverage` has its own loop over data sets, seeds and interval kinds
    if args.first().map(String::as_str) == Some("coverage") {
        return coverage::run(root, &args[1..]);
    }
    // `scale` runs the criteo-sized chain of #19 stage by stage, no peers
    if args.first().map(String::as_str) == Some("scale") {
        return scale::run(root, &args[1..]);
    }
    let opts = parse(args)?;
    let selected = tasks::select(&opts.tasks)?;
    if opts.list {
        println!("{USAGE}\n\ntasks:");
        for t in tasks::TASKS {
            println!("  {:<12} {}", t.name, t.about);
        }
        return Ok(());
    }
    let requirements = tasks::requirements(&selected);
    let python = crate::venv::ensure(root, &requirements, "bench")?;
    let (tp, examples) = build(root, &selected)?;
    let ctx = Ctx {
        tp,
        python: python.clone(),
        peers: root.join("xtask/peers"),
        out: root.join("bench-out"),
        examples,
    };
    let scale = if opts.quick { Scale::Quick } else { Scale::Full };

    let date = report::now();
    let load = report::load();
    let mut rows = Vec::new();
    for task in &selected {
        for case in (task.cases)(&ctx, scale) {
            eprintln!("==> bench: {} ({})", case.label, case.size);
            rows.push(run_case(&ctx, &case)?);
        }
    }

    let command =
        std::iter::once("cargo xtask bench").chain(args.iter().map(String::as_str)).collect::<Vec<_>>();
    let python_version = capture(Command::new(&python).arg("--version"))?.trim().to_string();
    let ctx = report::Context {
        command: &command.join(" "),
        date: &date,
        machine: &report::machine(),
        load: &load,
        commit: &git_commit(root),
        python: &python_version,
        peers: &requirements,
    };
    let section = report::section(&ctx, &rows);
    println!("{section}");
    if opts.append {
        let path = root.join("docs/benchmarks.md");
        // the header (how figures are produced) lives only in the file itself
        let mut text = fs::read_to_string(&path)
            .with_context(|| format!("could not read {} (restore it with git)", path.display()))?;
        text.push_str(&section);
        fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
        eprintln!("==> bench: appended to {}", path.display());
    }
    Ok(())
}

/// Builds `tp` and the selected tasks' examples in release; returns `tp` and the examples' directory.
fn build(root: &Path, tasks: &[&Task]) -> Result<(PathBuf, PathBuf)> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut builds: Vec<Vec<&str>> = vec![vec!["build", "--release", "-p", "tp-cli"]];
    for (package, example) in tasks.iter().flat_map(|t| t.examples.iter()) {
        builds.push(vec!["build", "--release", "-p", package, "--example", example]);
    }
    builds.dedup();
    for args in &builds {
        eprintln!("==> bench: cargo {}", args.join(" "));
        let status =
            Command::new(&cargo).args(args).current_dir(root).status().context("could not run cargo")?;
        if !status.success() {
            bail!("cargo {} failed", args.join(" "));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let tp = target.join("release/tp");
    if !tp.exists() {
        bail!("{} is missing after the release build", tp.display());
    }
    Ok((tp, target.join("release/examples")))
}

fn run_case(ctx: &Ctx, case: &Case) -> Result<Row> {
    let dir = ctx.dir(&case.slug);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("could not empty {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    for cmd in &case.prepare {
        let status = command(cmd).status().with_context(|| format!("could not start {}", cmd.display()))?;
        if !status.success() {
            bail!("preparing {} failed: {}", case.label, cmd.display());
        }
    }
    let ours = measure(ctx, &case.ours, &dir, "ours")?;
    let peer = case.peer.as_ref().map(|p| measure(ctx, p, &dir, "peer")).transpose()?;
    Ok(Row { task: case.label.clone(), size: case.size.clone(), ours, peer })
}

/// A command with the benchmark environment.
fn command(cmd: &Cmd) -> Command {
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args)
        .env("OMP_WAIT_POLICY", "PASSIVE")
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .stdin(Stdio::null());
    c
}

fn capture(c: &mut Command) -> Result<String> {
    let out = c.output().with_context(|| format!("could not start {c:?}"))?;
    if !out.status.success() {
        bail!("{c:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn parse_json(text: &str, what: &str) -> Result<Value> {
    // the object is the last non-empty line (tools may print progress lines before it)
    let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    serde_json::from_str(line).with_context(|| format!("{what} printed no JSON object: {text:?}"))
}

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Runs one side in a fresh process through measure.py, then reads its quality figure.
fn measure(ctx: &Ctx, side: &Side, dir: &Path, who: &str) -> Result<Measured> {
    let (stdout, stderr) = (dir.join(format!("{who}.stdout")), dir.join(format!("{who}.stderr")));
    let wrapper = Cmd::new(
        &ctx.python,
        &[&ctx.peers.join("measure.py"), &"--stdout", &stdout, &"--stderr", &stderr, &"--"],
    );
    let mut c = command(&wrapper);
    c.arg(&side.run.program).args(&side.run.args);
    eprintln!("    {who}: {}", side.run.display());
    let m = parse_json(&capture(&mut c)?, "measure.py")?;
    let exit = m["exit"].as_i64().unwrap_or(-1);
    if exit != 0 {
        let why = m["error"].as_str().map_or_else(|| tail(&stderr), str::to_string);
        bail!("{who} exited with {exit}: {}\n{why}", side.run.display());
    }
    let wall_s = m["wall_s"].as_f64().context("measure.py printed no wall_s")?;
    let max_rss_kib = m["max_rss_kib"].as_u64().context("measure.py printed no max_rss_kib")?;
    let Quality { probe, format } = &side.quality;
    let quality = format(&parse_json(&capture(&mut command(probe))?, &probe.display())?)?;
    let cpu_s = m["user_s"].as_f64().unwrap_or(0.0) + m["sys_s"].as_f64().unwrap_or(0.0);
    eprintln!(
        "    {who}: {} wall, {} cpu, {} peak RSS, {quality}",
        report::seconds(wall_s),
        report::seconds(cpu_s),
        report::memory(max_rss_kib)
    );
    Ok(Measured { wall_s, max_rss_kib, quality })
}

pub(super) fn git_commit(root: &Path) -> String {
    let head = capture(Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(root))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let dirty = capture(
        Command::new("git").args(["status", "--porcelain", "--untracked-files=no"]).current_dir(root),
    )
    .map(|s| !s.trim().is_empty())
    .unwrap_or(false);
    if dirty { format!("{head} (with uncommitted changes)") } else { head }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = parse(&["simulate".into(), "--quick".into()]).unwrap();
        assert_eq!(o.tasks, vec!["simulate"]);
        assert!(o.quick && o.append && !o.list);
        assert!(!parse(&["--no-append".into()]).unwrap().append);
        assert!(parse(&["--fast".into()]).is_err());
    }

    fn scratch(name: &str) -> (Ctx, PathBuf) {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let root = crate::workspace_root();
        let ctx = Ctx {
            tp: "tp".into(),
            python: "python3".into(),
            peers: root.join("xtask/peers"),
            out: dir.clone(),
            examples: dir.join("examples"),
        };
        (ctx, dir)
    }

    fn python(code: &str) -> Cmd {
        Cmd::new(Path::new("python3"), &[&"-c", &code])
    }

    fn figure(v: &Value) -> Result<String> {
        Ok(format!("rows {}", v["rows"]))
    }

    #[test]
    fn measure_reports_the_childs_peak_memory_and_quality() {
        let (ctx, dir) = scratch("ok");
        // the child holds 200 MiB; the wrapper's own memory must not be what is reported
        let side = Side {
            run: python("b = bytearray(200 * 1024 * 1024); print('done')"),
            quality: Quality { probe: python("print('log line'); print('{\"rows\": 42}')"), format: figure },
        };
        let m = measure(&ctx, &side, &dir, "ours").unwrap();
        assert!(m.max_rss_kib >= 200 * 1024, "peak RSS {} KiB", m.max_rss_kib);
        assert!(m.max_rss_kib < 400 * 1024, "peak RSS {} KiB", m.max_rss_kib);
        assert!(m.wall_s > 0.0);
        assert_eq!(m.quality, "rows 42");
        assert_eq!(fs::read_to_string(dir.join("ours.stdout")).unwrap().trim(), "done");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failing_side_is_an_error_with_its_stderr() {
        let (ctx, dir) = scratch("fail");
        let side = Side {
            run: python("import sys; sys.stderr.write('bad input: column x\\n'); sys.exit(2)"),
            quality: Quality { probe: python("print('{}')"), format: figure },
        };
        let err = format!("{:#}", measure(&ctx, &side, &dir, "peer").unwrap_err());
        assert!(err.contains("exited with 2") && err.contains("bad input: column x"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn json_is_the_last_line() {
        let v = parse_json("progress 1\nprogress 2\n{\"exit\": 0}\n\n", "x").unwrap();
        assert_eq!(v["exit"], 0);
        assert!(parse_json("no json", "x").is_err());
    }
}
