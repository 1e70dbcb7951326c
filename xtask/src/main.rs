//! Project automation for tp, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! - `layers`: the crate graph must match DESIGN.md's layer table ([`layers::LAYERS`]).
//! - `ci`: the same steps as `.ci/run` (fmt, clippy, tests with `TP_SLOW_TESTS=1`, docs, layers).
//! - `golden [NAME]`: regenerates the golden files under `testdata/` from Python peers
//!   ([`golden::GENERATORS`]); not part of `ci`.
//! - `bench [TASK] [--quick]`: our binary against the Python peers, each in a fresh process;
//!   prints a table and appends it to `docs/benchmarks.md`.
//! - `fuzz [--secs N] [TARGET...]`: the cargo-fuzz targets of `fuzz/`, N seconds each (not part of
//!   `ci`; see `docs/reliability.md`).
//!
//! xtask depends on no tp crate: it drives them through `cargo` and the `tp` binary.

mod bench;
mod ci;
mod fuzz;
mod golden;
mod layers;
mod venv;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

const USAGE: &str = "usage: cargo xtask <command>

commands:
  layers                 check the crate graph against DESIGN.md's layer table
  ci                     run the CI steps (fmt, clippy, tests, docs, layers)
  golden [NAME...] [--list]
                         regenerate golden test files from the pinned Python peers (never run by CI)
  bench [TASK...] [--quick] [--list] [--no-append]
                         run benchmarks against the Python peers and append to docs/benchmarks.md
                         (tasks: see `cargo xtask bench --list`; `bench coverage [--quick] [--econml]`:
                         90% interval coverage of the forests, see xtask/src/bench/coverage.rs;
                         `bench scale [--customers N]`: the criteo-sized chain of #19, per stage)
  fuzz [--secs N] [TARGET...] [--list]
                         run the cargo-fuzz targets in fuzz/ for N seconds each (default 60)";

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives inside the workspace").to_path_buf()
}

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("layers") => layers::run(&root),
        Some("ci") => ci::run(&root),
        Some("bench") => bench::run(&root, &args[1..]),
        Some("golden") => golden::run(&root, &args[1..]),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}
