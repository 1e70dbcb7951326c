//! The benchmark task registry.
//!
//! A task says which Python packages its peer needs and builds its cases: for each case, how to
//! make the input data (untimed), how to run ours and the peer (each timed in a fresh process), and
//! how to read each side's quality figure. Adding a stage's benchmark is one entry in [`TASKS`] and
//! one `fn(&Ctx, Scale) -> Vec<Case>`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::Value;

mod demo;
mod forest;
mod forest_scale;
mod learn;
mod ope;
mod policy;
mod profile;
mod segment;
mod simulate;
mod uplift;
mod urf;

use demo::demo;
use forest::forest;
use forest_scale::{forest_1m, forest_100k, forest_criteo};
use learn::learn;
use ope::ope;
use policy::policy;
use profile::profile;
use segment::segment;
use simulate::simulate;
use uplift::uplift;
use urf::urf;

/// The seed every task uses for its data, on both sides.
pub(crate) const SEED: &str = "7";
/// DESIGN.md: the retail world has ~2,500 households.
pub(crate) const RETAIL_CUSTOMERS: u64 = 2_500;

/// A number field of a probe's JSON object.
pub(crate) fn number(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

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
    /// `target/release/examples/`: the example programs the tasks list in [`Task::examples`].
    #[allow(dead_code)] // until the first stage task registers an example
    pub examples: PathBuf,
}

impl Ctx {
    /// A Python script from `xtask/peers/` with its arguments.
    pub fn script(&self, script: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Cmd {
        let mut cmd = Cmd::new(&self.python, &[&self.peers.join(script)]);
        cmd.args.extend(args.iter().map(|a| a.as_ref().to_os_string()));
        cmd
    }

    /// A release example program (listed in its task's [`Task::examples`]) with its arguments.
    #[allow(dead_code)] // until the first stage task registers an example
    pub fn example(&self, name: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Cmd {
        Cmd::new(&self.examples.join(name), args)
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
    /// Release examples the cases run as "ours" besides `tp`: `(package, example)`, built before the run.
    pub examples: &'static [(&'static str, &'static str)],
    /// Builds the cases.
    pub cases: fn(&Ctx, Scale) -> Vec<Case>,
}

/// Every task, in the order `cargo xtask bench` runs them.
pub const TASKS: &[Task] = &[
    Task {
        name: "simulate",
        about: "tp simulate (criteo parquet vs a numpy/pyarrow script; retail csv, ours only)",
        requirements: &["numpy==2.4.6", "pyarrow==26.0.1"],
        examples: &[],
        cases: simulate,
    },
    Task {
        name: "profile",
        about: "tp profile: retail CSV/Parquet ingest and in-memory aggregation vs pandas groupby; 10M vs 100M streamed",
        requirements: &["numpy==2.4.6", "pandas==3.1.1", "pyarrow==26.0.1"],
        examples: &[("tp-profile", "profile_stream")],
        cases: profile,
    },
    Task {
        name: "demo",
        about: "tp demo: the whole pipeline on the retail world, ours only (quality: true profits)",
        requirements: &[],
        examples: &[],
        cases: demo,
    },
    Task {
        name: "segment",
        about: "tp-segment K-Means and NMF (cd, KL mu) vs scikit-learn on the same .npy inputs",
        requirements: &["numpy==2.4.6", "scikit-learn==1.9.1"],
        examples: &[("tp-segment", "segment_bench")],
        cases: segment,
    },
    Task {
        name: "ope",
        about: "DR with 1,000 bootstrap replicates on 1M rows × 5 arms vs numpy (same log, same estimator)",
        requirements: &["numpy==2.4.6"],
        examples: &[("tp-ope", "dr_bootstrap")],
        cases: ope,
    },
    Task {
        name: "uplift",
        about: "S/T/X/R/DR (GBT) on ACIC 2016 #1-5 vs causalml X, EconML DR (LightGBM); X fit 1M × 20",
        requirements: &[
            "numpy==2.4.6",
            "lightgbm==4.7.0",
            "scikit-learn==1.9.1",
            "causalml==0.18.0",
            "econml==0.17.0",
        ],
        examples: &[("tp-uplift", "uplift_bench")],
        cases: uplift,
    },
    Task {
        name: "forest",
        about: "causal forest vs EconML CausalForestDML (ACIC 2016 PEHE, 100k speed); the uplift forest is `urf`",
        requirements: &[
            "numpy==2.4.6",
            "scikit-learn==1.9.1",
            "pandas==3.1.1",
            "econml==0.17.0",
            "causalml==0.18.0",
        ],
        examples: &[("tp-uplift", "forest_bench")],
        cases: forest,
    },
    Task {
        name: "urf",
        about: "uplift forest vs causalml UpliftRandomForestClassifier: Starbucks held-out Qini over seeds 1-5 (both sides), 200k × 80 at 100 trees",
        requirements: &["numpy==2.4.6", "pandas==3.1.1", "causalml==0.18.0"],
        examples: &[("tp-uplift", "forest_bench")],
        cases: urf,
    },
    Task {
        name: "forest-100k",
        about: "causal forest 100k × 20 at 2,000 trees (ours), and ours vs EconML CausalForestDML at 4 and 20 trees (fixed + per-tree cost)",
        requirements: &["numpy==2.4.6", "scikit-learn==1.9.1", "pandas==3.1.1", "econml==0.17.0"],
        examples: &[("tp-uplift", "forest_bench")],
        cases: forest_100k,
    },
    Task {
        name: "forest-1m",
        about: "causal forest 1M × 30 (simulated in-process), ours only: time, peak RSS, PEHE, 90% coverage",
        requirements: &[],
        examples: &[("tp-uplift", "forest_scale")],
        cases: forest_1m,
    },
    Task {
        name: "forest-criteo",
        about: "tp uplift --method causal-forest on the criteo preset at 14M rows, ours only",
        requirements: &["numpy==2.4.6", "pyarrow==26.0.1"],
        examples: &[],
        cases: forest_criteo,
    },
    Task {
        name: "learn",
        about: "GBDT vs LightGBM (Starbucks log loss, 1M × 20 RMSE); random forest vs scikit-learn",
        requirements: &["numpy==2.4.6", "lightgbm==4.7.0", "scikit-learn==1.9.1"],
        examples: &[("tp-learn", "learn_bench")],
        cases: learn,
    },
    Task {
        name: "policy",
        about: "exact depth-2 policy tree, n 10,000 × p 30 × 20 arms (64 and 256 bins) vs econml's greedy PolicyTree",
        requirements: &["numpy==2.4.6", "scikit-learn==1.9.1", "econml==0.17.0"],
        examples: &[("tp-policy", "policy_tree_timing")],
        cases: policy,
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

/// The context the tasks' tests build cases with: fixed paths below `/r`.
#[cfg(test)]
pub(crate) fn test_ctx() -> Ctx {
    Ctx {
        tp: "/r/target/release/tp".into(),
        python: "/r/.venv/bin/python".into(),
        peers: "/r/xtask/peers".into(),
        out: "/r/bench-out".into(),
        examples: "/r/target/release/examples".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        test_ctx()
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
        let a = Task {
            name: "a",
            about: "",
            requirements: &["numpy==1", "pyarrow==2"],
            examples: &[],
            cases: simulate,
        };
        let b = Task {
            name: "b",
            about: "",
            requirements: &["numpy==1", "causalml==3"],
            examples: &[],
            cases: simulate,
        };
        assert_eq!(requirements(&[&a]), vec!["numpy==1", "pyarrow==2"]);
        assert_eq!(requirements(&[&a, &b]), vec!["numpy==1", "pyarrow==2", "causalml==3"]);
        // the first task must not wait on the heavy peers
        let sim = select(&["simulate".into()]).unwrap();
        assert!(requirements(&sim).iter().all(|r| !r.starts_with("causalml") && !r.starts_with("econml")));
        // every requirement is pinned, so a rerun installs nothing and results are reproducible
        assert!(TASKS.iter().flat_map(|t| t.requirements).all(|r| r.contains("==")));
    }

    #[test]
    fn examples_run_from_the_release_examples_directory() {
        let cmd = ctx().example("learn_bench", &[&"data", &"gbdt"]);
        assert_eq!(cmd.display(), "/r/target/release/examples/learn_bench data gbdt");
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
}
