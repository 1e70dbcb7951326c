//! `tp simulate`: write a world with known truth.

use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tp_sim::{Assignment, CriteoParams, RetailParams, RetailWorld};

/// Which world to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// A grocery retailer with a coupon campaign, shaped like the reference case.
    Retail,
    /// A large uplift table in the shape of the Criteo uplift benchmark.
    Criteo,
}

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// Comma-separated values.
    Csv,
    /// Apache Parquet (snappy).
    Parquet,
}

impl FileFormat {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
        }
    }
}

/// Arguments of `tp simulate`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Examples:
  tp simulate --preset retail --seed 7 --out world              # 2,500 households, 102 weeks
  tp simulate --preset retail --randomized --out rct            # the same world as an RCT
  tp simulate --preset criteo --customers 14000000 --out big --format parquet")]
pub struct Args {
    /// World to simulate.
    #[arg(long, value_enum)]
    preset: Preset,
    /// Households (retail, default 2500) or rows (criteo, default 1000000).
    #[arg(long)]
    customers: Option<usize>,
    /// Seed: the same seed writes byte-identical files.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// File format (default: csv for retail, parquet for criteo).
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
    /// Retail: weeks of history, mailing and outcome window included.
    #[arg(long)]
    weeks: Option<usize>,
    /// Retail: number of arms including control (2 or 3).
    #[arg(long)]
    arms: Option<usize>,
    /// Retail: expected propensity AUC of the confounded "current practice" assignment (0.5–0.995).
    #[arg(long, conflicts_with = "randomized")]
    overlap_auc: Option<f64>,
    /// Retail: assign arms at random instead of by current practice.
    #[arg(long)]
    randomized: bool,
    /// Retail: share of households that receive a treatment arm.
    #[arg(long)]
    treated_share: Option<f64>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

/// One file written.
#[derive(Debug, Serialize)]
pub struct FileSummary {
    name: String,
    path: String,
    rows: u64,
}

#[derive(Debug, Serialize)]
struct Summary {
    preset: &'static str,
    seed: u64,
    files: Vec<FileSummary>,
    seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    world: Option<serde_json::Value>,
}

/// Runs `tp simulate`.
pub fn run(args: Args) -> Result<()> {
    let start = Instant::now();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output directory {}", args.out.display()))?;
    let (files, world) = match args.preset {
        Preset::Retail => retail(&args)?,
        Preset::Criteo => criteo(&args)?,
    };
    let summary = Summary {
        preset: match args.preset {
            Preset::Retail => "retail",
            Preset::Criteo => "criteo",
        },
        seed: args.seed,
        files,
        seconds: start.elapsed().as_secs_f64(),
        world,
    };
    crate::print::emit(args.json, &summary, || {
        let mut s = format!(
            "wrote {} files to {} in {:.1} s",
            summary.files.len(),
            args.out.display(),
            summary.seconds
        );
        for f in &summary.files {
            s.push_str(&format!("\n  {:<10} {:>10} rows  {}", f.name, f.rows, f.path));
        }
        s
    })
}

fn retail(args: &Args) -> Result<(Vec<FileSummary>, Option<serde_json::Value>)> {
    let mut params = RetailParams::default().seed(args.seed);
    if let Some(n) = args.customers {
        params = params.customers(n);
    }
    if let Some(w) = args.weeks {
        params = params.weeks(w);
    }
    if let Some(k) = args.arms {
        params = params.arms(k);
    }
    let default_share = 0.4;
    let share = args.treated_share.unwrap_or(default_share);
    let assignment = if args.randomized {
        Assignment::Randomized { treated_share: share }
    } else {
        Assignment::CurrentPractice { target_auc: args.overlap_auc.unwrap_or(0.9), treated_share: share }
    };
    params = params.assignment(assignment);
    let world = params.generate().context("invalid simulation parameters")?;
    write_retail(&world, &args.out, args.format.unwrap_or(FileFormat::Csv))
}

/// Writes the five tables of a retail world as `DIR/<name>.<ext>` plus
/// `DIR/world.json` (economics and calibration); returns the files written
/// and that JSON.
pub fn write_retail(
    world: &RetailWorld,
    dir: &Path,
    format: FileFormat,
) -> Result<(Vec<FileSummary>, Option<serde_json::Value>)> {
    let ext = format.ext();
    let mut files = Vec::new();
    for (name, table) in world.tables() {
        let path = dir.join(format!("{name}.{ext}"));
        tp_io::write_table(&path, table)?;
        files.push(FileSummary { name: name.into(), path: display(&path), rows: table.n_rows() as u64 });
    }
    let meta = world_json(world);
    let path = dir.join("world.json");
    tp_io::write_json(&path, &meta)?;
    files.push(FileSummary { name: "world".into(), path: display(&path), rows: 1 });
    Ok((files, Some(meta)))
}

/// Economics and calibration figures of a retail world.
pub fn world_json(world: &RetailWorld) -> serde_json::Value {
    let e = world.economics();
    let c = world.calibration();
    serde_json::json!({
        "economics": {
            "margin": e.margin(),
            "arm_labels": world.arm_labels(),
            // control first (it costs nothing), as the arm labels
            "cost_per_arm": (0..e.n_arms()).map(|a| e.cost(a)).collect::<Vec<_>>(),
            "breakeven_per_arm": std::iter::once(0.0).chain(e.breakeven()).collect::<Vec<_>>(),
        },
        "calibration": {
            "n_events": c.n_events,
            "top45_revenue_share": c.top45_revenue_share,
            "heaviest_archetype": c.heaviest_archetype,
            "heaviest_share": c.heaviest_share,
            "heaviest_spend_multiple": c.heaviest_spend_multiple,
            "oracle_treated_share": c.oracle_treated_share,
            "treat_all_profit": c.treat_all_profit,
            "oracle_profit": c.oracle_profit,
            "propensity_auc_expected": c.propensity_auc_expected,
            "propensity_auc_realized": c.propensity_auc_realized,
            "corr_pre_spend_tau": c.corr_pre_spend_tau,
        },
    })
}

fn criteo(args: &Args) -> Result<(Vec<FileSummary>, Option<serde_json::Value>)> {
    if args.weeks.is_some() || args.arms.is_some() || args.overlap_auc.is_some() || args.randomized {
        bail!("--weeks, --arms, --overlap-auc and --randomized apply to --preset retail only; remove them");
    }
    let mut params = CriteoParams::default().seed(args.seed);
    if let Some(n) = args.customers {
        params = params.rows(n);
    }
    if let Some(s) = args.treated_share {
        params = params.treated_share(s);
    }
    let ext = args.format.unwrap_or(FileFormat::Parquet).ext();
    let path = args.out.join(format!("criteo.{ext}"));
    let truth_path = args.out.join(format!("criteo_truth.{ext}"));
    // the observed columns and the truth go to separate files (row i of one is row i of the
    // other), so the truth never reaches a model's default covariates
    let mut writer = tp_io::TableWriter::create(&path)?;
    let mut truth_writer = tp_io::TableWriter::create(&truth_path)?;
    for chunk in params.chunks().context("invalid simulation parameters")? {
        let chunk = chunk?;
        let (truth, data): (Vec<_>, Vec<_>) = chunk
            .columns()
            .iter()
            .cloned()
            .partition(|c| tp_sim::CRITEO_TRUTH_COLUMNS.contains(&c.name.as_str()));
        writer.write(&tp_core::Table::new(data)?)?;
        truth_writer.write(&tp_core::Table::new(truth)?)?;
    }
    let rows = writer.finish()?;
    let truth_rows = truth_writer.finish()?;
    Ok((
        vec![
            FileSummary { name: "criteo".into(), path: display(&path), rows },
            FileSummary { name: "criteo_truth".into(), path: display(&truth_path), rows: truth_rows },
        ],
        None,
    ))
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
