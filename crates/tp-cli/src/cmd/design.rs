//! `tp design`: the sample size of the A/B test that would confirm a policy.

use anyhow::{Result, bail};
use clap::Args as ClapArgs;
use tp_ope::Outcome;
use tp_pipeline::design::{Answer, DesignSettings, Question, design};

/// Arguments of `tp design`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Examples:
  tp design --sd 1 --mde 0.1                       # 1570 per arm
  tp design --base-rate 0.05 --mde 0.01 --power 0.9
  tp design --sd 120 --n 2000                       # the MDE reachable with 2000 per arm")]
pub struct Args {
    /// Standard deviation of a continuous outcome (in outcome units).
    #[arg(long, conflicts_with = "base_rate", required_unless_present = "base_rate")]
    sd: Option<f64>,
    /// Base rate of a binary outcome (σ² = p(1 − p)).
    #[arg(long)]
    base_rate: Option<f64>,
    /// Minimum detectable effect (absolute difference in means).
    #[arg(long, required_unless_present = "n", conflicts_with = "n")]
    mde: Option<f64>,
    /// Treated rows available: report the MDE instead of a sample size.
    #[arg(long)]
    n: Option<u64>,
    /// Power 1 − β.
    #[arg(long, default_value_t = 0.8)]
    power: f64,
    /// Two-sided significance level.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Allocation ratio n_control / n_treated.
    #[arg(long, default_value_t = 1.0)]
    ratio: f64,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `tp design`.
pub fn run(args: Args) -> Result<()> {
    let outcome = match (args.sd, args.base_rate) {
        (Some(sd), None) => Outcome::Continuous { sd },
        (None, Some(base_rate)) => Outcome::Binary { base_rate },
        _ => bail!("give exactly one of --sd (continuous outcome) or --base-rate (binary outcome)"),
    };
    let question = match (args.mde, args.n) {
        (Some(mde), None) => Question::SampleSize { mde },
        (None, Some(n_treated)) => Question::Detectable { n_treated },
        _ => bail!("give exactly one of --mde (to get a sample size) or --n (to get the MDE)"),
    };
    let settings = DesignSettings { alpha: args.alpha, power: args.power, ratio: args.ratio };
    match design(outcome, question, &settings)? {
        Answer::SampleSize(d) => crate::print::emit(args.json, &d, || {
            format!(
                "{} treated + {} control ({} total) detect a difference of {} with power {} at α = {} (two-sided)",
                d.n_treated, d.n_control, d.n_total, d.mde, d.power, d.alpha
            )
        }),
        Answer::Detectable(s) => crate::print::emit(args.json, &s, || {
            format!(
                "with {} treated rows the minimum detectable effect is {:.6} (power {}, α = {})",
                s.n_treated, s.mde, s.power, s.alpha
            )
        }),
    }
}
