//! `tp run CONFIG.toml --out DIR`: the whole pipeline on your own files.

use crate::progress::Progress;
use anyhow::Result;
use clap::Args as ClapArgs;
use std::path::{Path, PathBuf};
use tp_pipeline::{self as pipeline, Config, Inputs, Outcome, Progress as _, plan, summary};

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
        return crate::print::emit(args.json, &summary, || plan::render(&steps));
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
    crate::print::emit(args.json, &summary, || human(&outcome, &args.out))
}

/// The human summary printed on stderr after a run.
pub fn human(o: &Outcome, out: &Path) -> String {
    let d = &o.uplift.diagnostics;
    let r = &o.plan.report;
    let mut s = String::new();
    s.push_str(&format!(
        "overlap: propensity AUC {:.3}, {:.0}% of customers with ê in [{}, {}]{}\n",
        d.ps_auc,
        100.0 * d.overlap_share,
        d.band.0,
        d.band.1,
        if d.overlap_share < 0.8 { " — overlap is poor: read these effects as hypotheses" } else { "" }
    ));
    s.push_str(&format!(
        "ATE of {} on the outcome: {:.2} ± {:.2}\n",
        o.arms.get(1).map_or("", String::as_str),
        o.uplift.summary["ate"].as_f64().unwrap_or(f64::NAN),
        o.uplift.summary["ate_se"].as_f64().unwrap_or(f64::NAN)
    ));
    match &o.selection {
        Some(sel) => s.push_str(&format!(
            "policy: {} treats {:.1}% (break-even uplift {:.2}); out of fold it earns {} ({:.0}% interval {} to {})\n",
            sel.chosen.name(),
            100.0 * r.treated_share,
            o.breakeven[0],
            summary::money(sel.profit_oof.estimate),
            100.0 * sel.profit_oof.level,
            summary::money(sel.profit_oof.lo),
            summary::money(sel.profit_oof.hi)
        )),
        None => s.push_str(&format!(
            "policy: treat {:.1}% (break-even uplift {:.2}); estimated profit {} ± {} (in-sample, optimistic)\n",
            100.0 * r.treated_share,
            o.breakeven[0],
            summary::money(r.expected_profit),
            summary::money(r.expected_profit_se)
        )),
    }
    if let Some(t) = &o.truth {
        s.push_str(&format!(
            "truth: learned policy {} ({:.0}% of the oracle), oracle {} (treats {:.0}%), treat-all {}, current practice {}\n",
            summary::money(t.policy_profit),
            100.0 * t.policy_share_of_oracle,
            summary::money(t.oracle_profit),
            100.0 * t.oracle_treated_share,
            summary::money(t.treat_all_profit),
            summary::money(t.current_practice_profit)
        ));
    }
    s.push_str(&format!("A/B test to confirm: {} customers per arm\n", o.design.n_per_arm));
    s.push_str(&format!(
        "wrote {}/{{{}segments.csv, cate.csv, policy.csv, ope.json, summary.json, report.html}} in {:.1} s",
        out.display(),
        if o.profile.is_some() { "profiles.csv, " } else { "" },
        o.seconds
    ));
    s
}
