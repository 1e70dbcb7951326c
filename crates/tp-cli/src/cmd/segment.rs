//! `tp segment`: NMF latent factors → K-Means segments.

use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use std::path::PathBuf;
use tp_io::ReadOptions;
use tp_pipeline::segment::{Segmented, segment};
use tp_segment::{Choice, Loss, SegmentPipeline, Solver};

/// NMF solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SolverArg {
    /// HALS / coordinate descent (Frobenius).
    Cd,
    /// Multiplicative updates (Frobenius or KL).
    Mu,
}

/// NMF loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    /// Squared Frobenius norm.
    Frobenius,
    /// Generalized Kullback–Leibler divergence (counts).
    Kl,
}

/// Arguments of `tp segment`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Examples:
  tp segment --input profiles.csv --id-col customer_id --factors 5 --clusters 7 --seed 7 --out segments.csv
  tp segment --input customers.csv --id-col customer_id --columns pre_spend,pre_visits,pre_promo_share \\
             --factors auto --clusters auto --json --out seg.csv")]
pub struct Args {
    /// Input table: one row per customer, non-negative numeric features.
    #[arg(long)]
    input: PathBuf,
    /// Id column copied to the output.
    #[arg(long)]
    id_col: String,
    /// Feature columns (default: every numeric column but the id and --value-col).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// NMF rank: a number, or `auto` (smallest rank reaching 90% explained variance, 2–10).
    #[arg(long, default_value = "auto")]
    factors: String,
    /// Number of segments: a number, or `auto` (lowest Davies–Bouldin, 2–10).
    #[arg(long, default_value = "auto")]
    clusters: String,
    /// NMF solver.
    #[arg(long, value_enum, default_value_t = SolverArg::Cd)]
    solver: SolverArg,
    /// NMF loss (kl needs --solver mu).
    #[arg(long, value_enum, default_value_t = LossArg::Frobenius)]
    loss: LossArg,
    /// Column whose share per segment is reported (e.g. revenue).
    #[arg(long)]
    value_col: Option<String>,
    /// Bootstrap stability runs (0 skips).
    #[arg(long, default_value_t = 100)]
    stability_runs: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output: id, segment, factor_1..K.
    #[arg(long)]
    out: PathBuf,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

fn choice(flag: &str, v: &str) -> Result<Choice> {
    if v.eq_ignore_ascii_case("auto") {
        return Ok(Choice::Auto { min: 2, max: 10 });
    }
    match v.parse::<usize>() {
        Ok(k) if k >= 1 => Ok(Choice::Fixed(k)),
        _ => bail!("--{flag} {v}: expected a positive integer or `auto`"),
    }
}

/// Runs `tp segment`.
pub fn run(args: Args) -> Result<()> {
    let file = args.input.display().to_string();
    // with --columns, only the columns used are read; without it every column is, and a column of
    // numbers with a stray value is an error (it would otherwise drop out of the features)
    let options = match &args.columns {
        Some(c) => {
            let mut keep: Vec<&str> = vec![args.id_col.as_str()];
            for k in c.iter().map(String::as_str).chain(args.value_col.as_deref()) {
                if !keep.contains(&k) {
                    keep.push(k);
                }
            }
            ReadOptions::new().columns(keep)
        }
        None => ReadOptions::new(),
    };
    let table = tp_io::read_table(&args.input, &options).map_err(|e| match e {
        tp_io::IoError::MixedColumn { .. } => {
            anyhow::anyhow!("{e} (tp segment uses every numeric column unless --columns lists the features)")
        }
        e => e.into(),
    })?;
    table.column(&args.id_col).with_context(|| file.clone())?;
    let columns: Vec<String> = match &args.columns {
        Some(c) => c.clone(),
        None => table
            .columns()
            .iter()
            .filter(|c| {
                c.data.is_numeric() && c.name != args.id_col && Some(&c.name) != args.value_col.as_ref()
            })
            .map(|c| c.name.clone())
            .collect(),
    };
    if columns.is_empty() {
        bail!("{file}: no numeric feature columns; list them with --columns");
    }
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let x = table.to_matrix(&names).with_context(|| file.clone())?;
    let value = args.value_col.as_ref().map(|c| table.f64_values(c).map(|v| v.into_owned())).transpose()?;
    let params = SegmentPipeline::params()
        .factors(choice("factors", &args.factors)?)
        .clusters(choice("clusters", &args.clusters)?)
        .solver(match args.solver {
            SolverArg::Cd => Solver::Cd,
            SolverArg::Mu => Solver::Mu,
        })
        .loss(match args.loss {
            LossArg::Frobenius => Loss::Frobenius,
            LossArg::Kl => Loss::KullbackLeibler,
        })
        .stability_runs(args.stability_runs)
        .seed(args.seed);
    let id = table.column(&args.id_col)?;
    let Segmented { result, table: out } =
        segment(&params, x.as_ref(), &columns, value.as_deref(), id).with_context(|| file.clone())?;
    tp_io::write_table(&args.out, &out)?;
    let report = result.report();
    crate::print::emit(args.json, &report, || {
        let mut s = format!(
            "{} factors → {} segments on {} rows ({} columns)",
            result.k_factors,
            result.k_clusters,
            result.labels.len(),
            columns.len()
        );
        for p in &result.profiles {
            s.push_str(&format!("\n  segment {}: {} rows ({:.1}%)", p.segment, p.size, 100.0 * p.share));
            if let Some(v) = p.value_share {
                s.push_str(&format!(", {:.1}% of value", 100.0 * v));
            }
        }
        s.push_str(&format!("\nwrote {}", args.out.display()));
        s
    })
}
