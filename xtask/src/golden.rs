//! `cargo xtask golden [NAME...] [--list]`: (re)creates the golden files tests compare against, by
//! running each generator's Python peer in `.venv` with pinned packages.
//!
//! A golden file is a peer library's answer on a stated input (e.g. scikit-learn's coefficients),
//! committed under `testdata/` so tests run without Python. Regenerate one when its input or the
//! pinned peer version changes, review the diff, and commit it. A crate adds its generator as one
//! entry in [`GENERATORS`]: a script in `xtask/peers/` that takes the output path as its only
//! argument. This is never part of `.ci/run` or `cargo xtask ci`: CI checks against the committed
//! files and needs no Python.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// One golden file and how to make it.
#[derive(Debug)]
pub struct Generator {
    /// Name on the command line.
    pub name: &'static str,
    /// The peer script under `xtask/peers/`; it is run as `python SCRIPT OUTPUT`.
    pub script: &'static str,
    /// The file it writes, relative to the workspace root.
    pub output: &'static str,
    /// Pinned pip requirements of the script.
    pub requirements: &'static [&'static str],
}

/// Every golden generator.
pub const GENERATORS: &[Generator] = &[Generator {
    name: "learn",
    script: "learn_golden.py",
    output: "testdata/learn/linear_golden.json",
    requirements: &["numpy==2.4.6", "scikit-learn==1.9.1"],
}];

const USAGE: &str = "usage: cargo xtask golden [NAME...] [--list]";

/// Runs the named generators (all when none is named).
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--list" || a == "-h" || a == "--help") {
        println!("{USAGE}\n\ngolden files:");
        for g in GENERATORS {
            println!("  {:<10} {} (xtask/peers/{})", g.name, g.output, g.script);
        }
        return Ok(());
    }
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        bail!("unknown flag `{flag}`\n{USAGE}");
    }
    let selected = select(args)?;
    let python = crate::venv::ensure(root, &requirements(&selected), "golden")?;
    for g in selected {
        let (program, cmd_args) = command(root, &python, g);
        eprintln!("==> golden: {} -> {}", g.name, g.output);
        let status = Command::new(&program)
            .args(&cmd_args)
            .env("OMP_WAIT_POLICY", "PASSIVE")
            .current_dir(root)
            .status()
            .with_context(|| format!("could not run {}", program.display()))?;
        if !status.success() {
            bail!("golden generator `{}` failed ({status})", g.name);
        }
        let out = root.join(g.output);
        if !out.exists() {
            bail!("golden generator `{}` exited cleanly but wrote no {}", g.name, out.display());
        }
    }
    eprintln!("==> golden: done; review `git diff testdata/` and commit the files that changed");
    Ok(())
}

/// The generators named (all when none is named).
fn select(names: &[String]) -> Result<Vec<&'static Generator>> {
    if names.is_empty() {
        return Ok(GENERATORS.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            GENERATORS.iter().find(|g| g.name == name).with_context(|| {
                let known: Vec<&str> = GENERATORS.iter().map(|g| g.name).collect();
                format!("unknown golden file `{name}`; known: {}", known.join(", "))
            })
        })
        .collect()
}

/// The pip requirements of the selected generators, each once.
fn requirements(selected: &[&Generator]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in selected.iter().flat_map(|g| g.requirements.iter().copied()) {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// `python xtask/peers/SCRIPT ROOT/OUTPUT`.
fn command(root: &Path, python: &Path, g: &Generator) -> (PathBuf, Vec<PathBuf>) {
    (python.to_path_buf(), vec![root.join("xtask/peers").join(g.script), root.join(g.output)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_unique_pinned_and_exist() {
        let root = crate::workspace_root();
        for (i, g) in GENERATORS.iter().enumerate() {
            assert!(GENERATORS[..i].iter().all(|h| h.name != g.name && h.output != g.output), "{}", g.name);
            assert!(root.join("xtask/peers").join(g.script).exists(), "missing script {}", g.script);
            assert!(g.output.starts_with("testdata/"), "{}", g.output);
            assert!(g.requirements.iter().all(|r| r.contains("==")), "unpinned requirement in {}", g.name);
        }
        // the learn golden test reads the file this generator writes
        let test = std::fs::read_to_string(root.join("crates/tp-learn/tests/learn/golden.rs")).unwrap();
        assert!(test.contains(GENERATORS[0].output));
    }

    #[test]
    fn selection_and_command() {
        assert_eq!(select(&[]).unwrap().len(), GENERATORS.len());
        let err = select(&["nope".into()]).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("learn"), "{err}");
        let learn = select(&["learn".into()]).unwrap();
        assert_eq!(requirements(&learn), vec!["numpy==2.4.6", "scikit-learn==1.9.1"]);
        let (program, args) = command(Path::new("/r"), Path::new("/r/.venv/bin/python"), learn[0]);
        assert_eq!(program, Path::new("/r/.venv/bin/python"));
        assert_eq!(
            args,
            vec![
                PathBuf::from("/r/xtask/peers/learn_golden.py"),
                "/r/testdata/learn/linear_golden.json".into()
            ]
        );
    }

    #[test]
    fn ci_never_regenerates_golden_files() {
        let root = crate::workspace_root();
        let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
        assert!(!ci.contains("golden"), ".ci/run must not run `cargo xtask golden`");
        let steps = std::fs::read_to_string(root.join("xtask/src/ci.rs")).unwrap();
        assert!(!steps.contains("\"golden\""));
    }
}
