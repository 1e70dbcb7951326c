//! The benchmark task registry.
//!
//! A task says which Python packages its peer needs and builds its cases: for each case, how to
//! make the input data (untimed), how to run ours and the peer (each timed in a fresh process), and
//! how to read each side's quality figure. Adding a stage's benchmark is one entry in [`TASKS`] and
//! one `fn(&Ctx, Scale) -> Vec<Case>`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use super::report::thousands;

/// Where things are for one benchmark run.
pub struct Ctx {
    /// The release `tp` binary.
    pub tp: PathBuf,
    /// The venv's Python interpreter (runs the peers and the quality probes).
    pub python: PathBuf,
    /// `xtask/peers/`: peer scripts and probes.
    pub peers: PathBuf,
    /// `bench-out/`: every case writes below `bench-out/<case slug>/`.
    pub out: PathBuf,
}

impl Ctx {
    /// A Python script from `xtask/peers/` with its arguments.
    pub fn script(&self, script: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Cmd {
        let mut cmd = Cmd::new(&self.python, &[&self.peers.join(script)]);
        cmd.args.extend(args.iter().map(|a| a.as_ref().to_os_string()));
        cmd
    }

    /// The directory of one case.
    pub fn dir(&self, slug: &str) -> PathBuf {
        self.out.join(slug)
    }
}

/// Full size (the default) or `--quick`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The sizes reported in docs/benchmarks.md.
    Full,
    /// A tenth or so, to check the harness.
    Quick,
}

/// A program and its arguments.
#[derive(Debug, Clone)]
pub struct Cmd {
    /// Program path.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<OsString>,
}

impl Cmd {
    /// `program args...`.
    pub fn new(program: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Cmd {
        Cmd { program: program.to_path_buf(), args: args.iter().map(|a| a.as_ref().to_os_string()).collect() }
    }

    /// The command as one shell-like line (for messages).
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(|s| s.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Turns a JSON object into the quality cell of the table.
pub type Formatter = fn(&Value) -> Result<String>;

/// How a side's quality figure is read: after the timed run, `probe` (untimed) prints a JSON object
/// on stdout and `format` turns it into the table cell.
pub struct Quality {
    /// Reads what the side wrote.
    pub probe: Cmd,
    /// Formats the probe's JSON.
    pub format: Formatter,
}

/// One side (ours or the peer) of a case.
pub struct Side {
    /// The timed command.
    pub run: Cmd,
    /// How to read its quality figure.
    pub quality: Quality,
}

/// One line of the report.
pub struct Case {
    /// Task and variant as shown in the table.
    pub label: String,
    /// Directory name under `bench-out/`; emptied before the case runs.
    pub slug: String,
    /// Problem size as shown in the table.
    pub size: String,
    /// Untimed commands that make the input both sides read.
    pub prepare: Vec<Cmd>,
    /// Our `tp` binary.
    pub ours: Side,
    /// The Python peer, if there is one for this case.
    pub peer: Option<Side>,
}

/// A benchmark task.
#[derive(Debug)]
pub struct Task {
    /// Name on the command line.
    pub name: &'static str,
    /// One line for `--list`.
    pub about: &'static str,
    /// Pinned pip requirements of this task's peers and probes (installed only when it runs).
    pub requirements: &'static [&'static str],
    /// Builds the cases.
    pub cases: fn(&Ctx, Scale) -> Vec<Case>,
}

/// Every task, in the order `cargo xtask bench` runs them.
pub const TASKS: &[Task] = &[
    Task {
        name: "simulate",
        about: "tp simulate (criteo parquet vs a numpy/pyarrow script; retail csv, ours only)",
        requirements: &["numpy==2.4.6", "pyarrow==26.0.1"],
        cases: simulate,
    },
    Task {
        name: "demo",
        about: "tp demo: the whole pipeline on the retail world, ours only (quality: true profits)",
        requirements: &[],
        cases: demo,
    },
];

/// The tasks named on the command line (all when none is named).
pub fn select(names: &[String]) -> Result<Vec<&'static Task>> {
    if names.is_empty() {
        return Ok(TASKS.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            TASKS.iter().find(|t| t.name == name).with_context(|| {
                let known: Vec<&str> = TASKS.iter().map(|t| t.name).collect();
                format!("unknown bench task `{name}`; known tasks: {}", known.join(", "))
            })
        })
        .collect()
}

/// The pip requirements of the selected tasks, each once, in first-seen order.
pub fn requirements(tasks: &[&Task]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for req in tasks.iter().flat_map(|t| t.requirements.iter().copied()) {
        if !out.contains(&req) {
            out.push(req);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------
// simulate
// ---------------------------------------------------------------------------------------------------

const SEED: &str = "7";
/// DESIGN.md: the retail world has ~2,500 households.
const RETAIL_CUSTOMERS: u64 = 2_500;

fn simulate(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let n: u64 = match scale {
        Scale::Full => 1_000_000,
        Scale::Quick => 100_000,
    };
    let criteo = ctx.dir("simulate-criteo");
    let retail = ctx.dir("simulate-retail");
    let (ours_criteo, peer_criteo, ours_retail) =
        (criteo.join("ours"), criteo.join("peer"), retail.join("ours"));
    let n_arg = n.to_string();
    let retail_arg = RETAIL_CUSTOMERS.to_string();
    let probe =
        |dir: &Path| Quality { probe: ctx.script("simulate_quality.py", &[&dir]), format: treated_and_tau };
    vec![
        Case {
            label: "simulate criteo (parquet)".into(),
            slug: "simulate-criteo".into(),
            size: format!("{} customers", thousands(n)),
            prepare: vec![],
            ours: Side {
                run: Cmd::new(
                    &ctx.tp,
                    &[
                        &"simulate",
                        &"--preset",
                        &"criteo",
                        &"--customers",
                        &n_arg,
                        &"--seed",
                        &SEED,
                        &"--out",
                        &ours_criteo,
                        &"--format",
                        &"parquet",
                    ],
                ),
                quality: probe(&ours_criteo),
            },
            peer: Some(Side {
                run: ctx.script(
                    "simulate_criteo.py",
                    &[&"--customers", &n_arg, &"--seed", &SEED, &"--out", &peer_criteo],
                ),
                quality: probe(&peer_criteo),
            }),
        },
        Case {
            label: "simulate retail (csv)".into(),
            slug: "simulate-retail".into(),
            size: format!("{} customers", thousands(RETAIL_CUSTOMERS)),
            prepare: vec![],
            ours: Side {
                run: Cmd::new(
                    &ctx.tp,
                    &[
                        &"simulate",
                        &"--preset",
                        &"retail",
                        &"--customers",
                        &retail_arg,
                        &"--seed",
                        &SEED,
                        &"--out",
                        &ours_retail,
                        &"--format",
                        &"csv",
                    ],
                ),
                quality: Quality {
                    probe: ctx.script("simulate_quality.py", &[&ours_retail]),
                    format: rows_written,
                },
            },
            peer: None,
        },
    ]
}

// ---------------------------------------------------------------------------------------------------
// demo
// ---------------------------------------------------------------------------------------------------

fn demo(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let customers: u64 = match scale {
        Scale::Full => RETAIL_CUSTOMERS,
        Scale::Quick => 500,
    };
    let out = ctx.dir("demo").join("ours");
    let n_arg = customers.to_string();
    vec![Case {
        label: "demo (simulate → profit)".into(),
        slug: "demo".into(),
        size: format!("{} customers", thousands(customers)),
        prepare: vec![],
        ours: Side {
            run: Cmd::new(
                &ctx.tp,
                &[&"demo", &"--customers", &n_arg, &"--seed", &SEED, &"--out", &out, &"--json"],
            ),
            quality: Quality { probe: ctx.script("demo_quality.py", &[&out]), format: true_profits },
        },
        peer: None,
    }]
}

/// `policy $1,877 vs oracle $5,412 (35%)` from the demo's truth block.
fn true_profits(v: &Value) -> Result<String> {
    let (Some(policy), Some(oracle)) = (number(v, "policy_profit"), number(v, "oracle_profit")) else {
        bail!("the probe found no policy_profit / oracle_profit: {v}");
    };
    Ok(format!("true profit: policy ${policy:.0} vs oracle ${oracle:.0} ({:.0}%)", 100.0 * policy / oracle))
}

fn number(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// `treated 0.850, mean τ 0.001625` from the probe's `treated_share` and `mean_tau`.
fn treated_and_tau(v: &Value) -> Result<String> {
    let (Some(share), Some(tau)) = (number(v, "treated_share"), number(v, "mean_tau")) else {
        bail!("the probe found no treatment or tau column: {v}");
    };
    Ok(format!("treated {share:.3}, mean τ {tau:.6}"))
}

/// `events 2,612,000 rows, 5 files` from the probe's `files` map and `rows` total.
fn rows_written(v: &Value) -> Result<String> {
    let files = v.get("files").and_then(Value::as_object).context("the probe printed no `files`")?;
    let rows = v.get("rows").and_then(Value::as_u64).context("the probe printed no `rows`")?;
    let largest = files.iter().filter_map(|(name, n)| Some((name, n.as_u64()?))).max_by_key(|(_, n)| *n);
    Ok(match largest {
        Some((name, n)) => {
            format!("{} rows in {} files (largest: {name}, {})", thousands(rows), files.len(), thousands(n))
        }
        None => "no files written".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Ctx {
        Ctx {
            tp: "/r/target/release/tp".into(),
            python: "/r/.venv/bin/python".into(),
            peers: "/r/xtask/peers".into(),
            out: "/r/bench-out".into(),
        }
    }

    #[test]
    fn selecting_tasks() {
        assert_eq!(select(&[]).unwrap().len(), TASKS.len());
        assert_eq!(select(&["simulate".into()]).unwrap()[0].name, "simulate");
        let err = select(&["nope".into()]).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("simulate"), "{err}");
    }

    #[test]
    fn requirements_are_per_task_and_deduplicated() {
        let a = Task { name: "a", about: "", requirements: &["numpy==1", "pyarrow==2"], cases: simulate };
        let b = Task { name: "b", about: "", requirements: &["numpy==1", "causalml==3"], cases: simulate };
        assert_eq!(requirements(&[&a]), vec!["numpy==1", "pyarrow==2"]);
        assert_eq!(requirements(&[&a, &b]), vec!["numpy==1", "pyarrow==2", "causalml==3"]);
        // the first task must not wait on the heavy peers
        let sim = select(&["simulate".into()]).unwrap();
        assert!(requirements(&sim).iter().all(|r| !r.starts_with("causalml") && !r.starts_with("econml")));
        // every requirement is pinned, so a rerun installs nothing and results are reproducible
        assert!(TASKS.iter().flat_map(|t| t.requirements).all(|r| r.contains("==")));
    }

    #[test]
    fn task_names_are_unique() {
        for (i, t) in TASKS.iter().enumerate() {
            assert!(TASKS[..i].iter().all(|u| u.name != t.name), "duplicate task {}", t.name);
        }
    }

    #[test]
    fn simulate_cases_use_the_same_size_and_seed_on_both_sides() {
        let cases = simulate(&ctx(), Scale::Quick);
        assert_eq!(cases.len(), 2);
        let criteo = &cases[0];
        let ours = criteo.ours.run.display();
        let peer = criteo.peer.as_ref().unwrap().run.display();
        assert!(
            ours.starts_with("/r/target/release/tp simulate --preset criteo --customers 100000 --seed 7")
        );
        assert!(ours.ends_with("--format parquet"), "{ours}");
        assert!(peer.contains("simulate_criteo.py --customers 100000 --seed 7"), "{peer}");
        assert_eq!(criteo.size, "100,000 customers");
        assert!(cases[1].peer.is_none());
        assert!(cases[1].ours.run.display().contains("--preset retail"));
        assert_eq!(simulate(&ctx(), Scale::Full)[0].size, "1,000,000 customers");
        // every case writes below its own directory
        for case in &cases {
            assert!(case.ours.run.display().contains(&format!("/r/bench-out/{}/", case.slug)));
        }
    }

    #[test]
    fn demo_quality_figure() {
        let v = serde_json::json!({"policy_profit": 1877.0, "oracle_profit": 5412.0});
        assert_eq!(true_profits(&v).unwrap(), "true profit: policy $1877 vs oracle $5412 (35%)");
        assert!(true_profits(&serde_json::json!({})).is_err());
    }

    #[test]
    fn quality_figures() {
        let v = json!({ "rows": 10, "treated_share": 0.8512, "mean_tau": 0.01234 });
        assert_eq!(treated_and_tau(&v).unwrap(), "treated 0.851, mean τ 0.012340");
        assert!(treated_and_tau(&json!({ "rows": 10 })).is_err());
        let v = json!({ "rows": 1200, "files": { "events": 1000, "customers": 200 } });
        assert_eq!(rows_written(&v).unwrap(), "1,200 rows in 2 files (largest: events, 1,000)");
        assert!(rows_written(&json!({})).is_err());
    }
}
