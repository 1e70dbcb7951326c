//! `cargo xtask ci`: the steps of `.ci/run`, in the same order, without the install part.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// One CI step: a label, the cargo arguments and extra environment.
struct Step {
    label: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

/// The CI steps; `.ci/run` runs the same commands.
const STEPS: &[Step] = &[
    Step { label: "fmt", args: &["fmt", "--all", "--", "--check"], env: &[] },
    Step {
        label: "clippy",
        args: &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
        env: &[],
    },
    Step {
        label: "test",
        args: &["test", "--workspace"],
        env: &[("TP_SLOW_TESTS", "1"), ("PROPTEST_RNG_SEED", "20261129")],
    },
    Step {
        label: "doc",
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

/// Runs every step, stopping at the first failure, then the layer check.
pub fn run(root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for step in STEPS {
        eprintln!("==> ci: {} (cargo {})", step.label, step.args.join(" "));
        let status = Command::new(&cargo)
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(root)
            .status()
            .with_context(|| format!("could not start cargo for the {} step", step.label))?;
        if !status.success() {
            bail!("ci step `{}` failed ({status})", step.label);
        }
    }
    eprintln!("==> ci: layers");
    crate::layers::run(root)?;
    eprintln!("==> ci: all steps passed");
    Ok(())
}
