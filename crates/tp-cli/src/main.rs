//! `tp`: targeting and profiling from the command line.
//!
//! One subcommand per stage (see DESIGN.md's CLI contract). Every command
//! reads CSV or Parquet by extension, writes its outputs atomically, prints a
//! machine-readable summary with `--json` (logs go to stderr), and exits with
//! code 2 and a one-line error on bad input.

mod cmd;
mod report;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Targeting and profiling: from behavior logs to a priced, checked targeting decision.
#[derive(Debug, Parser)]
#[command(name = "tp", version, about, long_about = None, after_help = "\
Examples:
  tp simulate --preset retail --customers 2500 --seed 7 --out world
  tp simulate --preset criteo --customers 14000000 --seed 7 --out big --format parquet")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a simulated world with known truth (catalog, events, customers, campaign, truth).
    Simulate(cmd::simulate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate(args) => cmd::simulate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error chain joined by ": ".
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
