//! `tp run CONFIG.toml --out DIR`: the whole pipeline on your own files.

use crate::pipeline::{self, Config, Inputs, Progress, plan};
use anyhow::Result;
use clap::Args as ClapArgs;
use std::path::PathBuf;

/// Arguments of `tp run`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
The config (TOML) names the input files and every choice of the pipeline; docs/config.md lists
every key with its default and unit, and examples/retail.toml runs on the files that
`tp simulate --preset retail --out world` writes. Unknown keys are errors.

Writes to DIR: profiles.csv (with events and catalog), segments.csv, cate.csv, policy.csv,
ope.json, summary.json and report.html (one self-contained page). The files are written into a
hidden temporary folder next to DIR, which replaces DIR only when the run succeeds: a failed or
interrupted run leaves DIR as it was. DIR must be new, empty, or an earlier output folder.

Examples:
  tp simulate --preset retail --out examples/world && tp run examples/retail.toml --out retail
  tp run examples/retail.toml --out retail --dry-run      # print the plan, write nothing")]
pub struct Args {
    /// The pipeline config (TOML).
    config: PathBuf,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Print the plan (steps, inputs, outputs, parameters) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the summary JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `tp run`.
pub fn run(args: Args) -> Result<()> {
    let config = Config::load(&args.config)?;
    pipeline::steps::validate(&config)?;
    pipeline::check_files(&config)?;
    if config.data.campaign.is_none() {
        // Inputs::read names the missing key; do it before a dry run claims success
        Inputs::read(&config)?;
    }
    if args.dry_run {
        let steps = plan::plan(&config, &args.out);
        let summary = serde_json::json!({ "dry_run": true, "steps": steps, "config": config });
        return crate::report::emit(args.json, &summary, || plan::render(&steps));
    }
    let mut progress = Progress::new(args.json);
    progress.step("reading the input files");
    let inputs = Inputs::read(&config)?;
    // everything is written into a temporary sibling of --out, renamed into place at the end:
    // a failed or killed run leaves the previous results as they were
    let staging = pipeline::Staging::new(&args.out)?;
    let outcome = pipeline::run(&config, &inputs, staging.path(), &mut progress)?;
    progress.step("writing summary.json and report.html");
    let context = format!(
        "{} campaign customers from {}; config {}",
        outcome.n,
        inputs.campaign.name,
        args.config.display()
    );
    let summary =
        pipeline::write_outputs(&outcome, &config, staging.path(), vec![], "Targeting report", &context)?;
    staging.commit()?;
    progress.done();
    crate::report::emit(args.json, &summary, || pipeline::human(&outcome, &args.out))
}
