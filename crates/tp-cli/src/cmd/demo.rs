//! `tp demo`: simulate the retail world and run the whole pipeline on it
//! with its documented defaults ([`Config::default`]) — profiles →
//! segments → uplift (diagnostics first) → policy → off-policy check → A/B
//! design — then score every decision against the world's known truth.

use crate::cmd::simulate::{FileFormat, write_retail};
use crate::progress::Progress;
use anyhow::{Context, Result, bail};
use clap::Args as ClapArgs;
use std::path::PathBuf;
use tp_pipeline::{self as pipeline, Config, Inputs, Named, Progress as _};
use tp_sim::RetailParams;

/// Arguments of `tp demo`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Writes to DIR: world/ (the simulated data), profiles.csv, segments.csv, cate.csv, policy.csv,
ope.json, summary.json and report.html, through a hidden temporary folder next to DIR that
replaces DIR only when the demo succeeds (DIR must be new, empty or an earlier output folder). summary.json's `truth` block compares the learned
policy's true profit with the oracle's (treat iff the true effect exceeds break-even),
treat-all and current practice.

Examples:
  tp demo --out demo
  tp demo --out demo --seed 11 --customers 5000
  tp demo --out demo --config tweaks.toml      # override pipeline defaults (docs/config.md)")]
pub struct Args {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Seed of the world and of every stochastic step.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Households in the simulated world.
    #[arg(long, default_value_t = 2500)]
    customers: usize,
    /// Causal forest trees (default: the config's, 2000).
    #[arg(long)]
    trees: Option<usize>,
    /// A config whose sections override the pipeline's defaults (the data section and the economics
    /// come from the simulated world and may not be set).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the summary JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// The demo's config: the defaults (or `file`'s), the world's economics, `seed`.
fn demo_config(args: &Args, margin: f64, cost: Vec<f64>) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => {
            let c = Config::load(path)?;
            if c.data != pipeline::config::DataConfig::default() {
                bail!(
                    "{}: [data] is set by tp demo (the simulated world); remove that section",
                    path.display()
                );
            }
            if c.policy.margin.is_some() || c.policy.cost.is_some() {
                bail!(
                    "{}: policy.margin and policy.cost come from the simulated world; remove them",
                    path.display()
                );
            }
            c
        }
        None => Config::default(),
    };
    config.seed = args.seed;
    if let Some(t) = args.trees {
        config.uplift.trees = t;
    }
    config.policy.margin = Some(margin);
    config.policy.cost = Some(cost);
    Ok(config)
}

/// Runs `tp demo`.
pub fn run(args: Args) -> Result<()> {
    // everything is written into a temporary sibling of --out, renamed into place at the end:
    // a failed or killed run leaves the previous results as they were
    let staging = pipeline::Staging::new(&args.out)?;
    let dir = staging.path();
    let world_dir = dir.join("world");
    std::fs::create_dir_all(&world_dir).with_context(|| format!("cannot create {}", world_dir.display()))?;
    let mut progress = Progress::new(args.json);
    progress.step("simulating the retail world");
    let world = RetailParams::default()
        .customers(args.customers)
        .seed(args.seed)
        .generate()
        .context("invalid simulation parameters")?;
    let (_, world_meta) = write_retail(&world, &world_dir, FileFormat::Csv)?;
    let econ = world.economics().clone();
    let config = demo_config(&args, econ.margin(), econ.costs().to_vec())?;
    let named =
        |t: &tp_core::Table, name: &str| Named { table: t.clone(), name: format!("world/{name}.csv") };
    let inputs = Inputs {
        customers: Some(named(world.customers(), "customers")),
        campaign: named(world.campaign(), "campaign"),
        events: config
            .profile
            .enabled
            .then(|| (named(world.events(), "events"), named(world.catalog(), "catalog"))),
        truth: Some(named(world.truth(), "truth")),
    };
    drop(world);
    let outcome = pipeline::run(&config, &inputs, dir, &mut progress)?;
    progress.step("writing summary.json and report.html");
    let context = format!(
        "The simulated retail world: {} households, seed {}, a confounded coupon campaign with known truth.",
        outcome.n, args.seed
    );
    let summary = pipeline::write_outputs(
        &outcome,
        &config,
        dir,
        vec![("world", world_meta.unwrap_or_default())],
        "tp demo: whom to send the coupon to",
        &context,
    )?;
    staging.commit()?;
    progress.done();
    crate::print::emit(args.json, &summary, || super::run::human(&outcome, &args.out))
}
