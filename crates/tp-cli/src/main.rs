//! `tp`: targeting and profiling from the command line.
//!
//! One subcommand per stage (see DESIGN.md's CLI contract). Every command
//! reads CSV or Parquet by extension, writes its outputs atomically, prints a
//! machine-readable summary with `--json` (logs go to stderr), and exits with
//! code 2 and a one-line error on bad input.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;
mod print;
mod progress;

/// Targeting and profiling: from behavior logs to a priced, checked targeting decision.
#[derive(Debug, Parser)]
#[command(name = "tp", version, about, long_about = None, after_help = "\
Examples:
  tp demo --out demo
  tp run examples/retail.toml --out retail
  tp simulate --preset retail --customers 2500 --seed 7 --out world
  tp simulate --preset criteo --customers 14000000 --seed 7 --out big --format parquet
  tp design --sd 1 --mde 0.1 --json")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate the retail world and run the whole pipeline on it, scored against the truth.
    Demo(cmd::demo::Args),
    /// The whole pipeline on your files, from a TOML config: artifacts, summary.json, report.html.
    Run(cmd::run::Args),
    /// Write a simulated world with known truth (catalog, events, customers, campaign, truth).
    Simulate(cmd::simulate::Args),
    /// Diagnostics, ATE and CATE per row by meta-learners, with a savable model.
    Uplift(cmd::uplift::Args),
    /// τ̂ for customers outside the experiment, from a model saved by `tp uplift --save-model`.
    Score(cmd::uplift::ScoreArgs),
    /// Qini, AUUC, uplift@k and RATE of a score.
    Evaluate(cmd::evaluate::Args),
    /// L1/L2/L3 customer profiles from events and a catalog; incremental with a saved state.
    Profile(cmd::profile::Args),
    /// NMF latent factors → K-Means segments, with model selection and stability.
    Segment(cmd::segment::Args),
    /// Whom to treat with what: break-even, budgets, several arms, risk adjustment, policy trees.
    Policy(cmd::policy::Args),
    /// Value of a targeting policy from logged data, with intervals, vs treat-all / none / current.
    Ope(cmd::ope::Args),
    /// Sample size (or minimum detectable effect) of the A/B test that would confirm a policy.
    Design(cmd::design::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // clap's message spans several lines (tip, usage); keep the contract's one line.
            let rendered = e.to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            let extra: String = rendered
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("tip: ") || l.starts_with("[possible values"))
                .map(|l| format!(" {l}"))
                .collect();
            eprintln!("{first}{extra}; run with --help for usage");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Design(args) => cmd::design::run(args),
        Command::Ope(args) => cmd::ope::run(args),
        Command::Policy(args) => cmd::policy::run(args),
        Command::Segment(args) => cmd::segment::run(args),
        Command::Profile(args) => cmd::profile::run(args),
        Command::Uplift(args) => cmd::uplift::run(args),
        Command::Score(args) => cmd::uplift::score(args),
        Command::Evaluate(args) => cmd::evaluate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error chain joined by ": ", skipping a cause that
            // the message above it already quotes.
            let mut msg = String::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !msg.contains(&text) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&text);
                }
            }
            let msg = msg.replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
