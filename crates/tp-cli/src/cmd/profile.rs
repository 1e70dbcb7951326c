//! `tp profile`: L1/L2/L3 customer profiles from events and a catalog, with
//! a saved state for incremental updates and "high affinity, low
//! realization" opportunities.

use anyhow::{Context, Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use serde::Serialize;
use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Instant;
use tp_io::ReadOptions;
use tp_pipeline::profile::{Profiled, Start, profile};
use tp_profile::{ProfileParams, ProfileState, Weight};

/// What weights an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightArg {
    /// The event's spend (`value`).
    Spend,
    /// One per event.
    Count,
}

/// Arguments of `tp profile`.
#[derive(Debug, ClapArgs)]
#[command(after_help = "\
Events need customer_id, item_id, day, quantity, value, promo; the catalog needs item_id and the
attributes (string columns are categorical, department → commodity → sub_commodity a hierarchy,
0/1 tag columns perceived L2 attributes).

Examples:
  tp profile --events world/events.csv --catalog world/catalog.csv --out profiles.csv --save-state state.json
  tp profile --events new_week.csv --catalog world/catalog.csv --state state.json --save-state state.json \\
             --out profiles.csv      # incremental: history is not re-read")]
pub struct Args {
    /// Event log (CSV or Parquet).
    #[arg(long)]
    events: PathBuf,
    /// Catalog: item_id → attributes.
    #[arg(long)]
    catalog: PathBuf,
    /// Output: one row per customer.
    #[arg(long)]
    out: PathBuf,
    /// A state saved by --save-state: the new events are added to it.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Save the profile state (JSON) for later incremental updates.
    #[arg(long)]
    save_state: Option<PathBuf>,
    /// Half-life of an event's weight, in days.
    #[arg(long, default_value_t = 90.0)]
    half_life_days: f64,
    /// Day the profiles describe (default: the last event day).
    #[arg(long)]
    as_of: Option<f64>,
    /// Strength of the shrinkage toward the population mix, in events.
    #[arg(long, default_value_t = 5.0)]
    shrinkage: f64,
    /// Spend- or count-weighted shares.
    #[arg(long, value_enum, default_value_t = WeightArg::Spend)]
    weight: WeightArg,
    /// Also write the top opportunities (high affinity, low realized share) per customer here.
    #[arg(long)]
    opportunities: Option<PathBuf>,
    /// Opportunities per customer.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Event rows read and aggregated at a time (memory follows customers, not events).
    #[arg(long, default_value_t = 1 << 20)]
    chunk_rows: usize,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Summary {
    events: usize,
    customers: usize,
    columns: usize,
    as_of: f64,
    seconds: f64,
    /// Time spent reading event chunks (CSV/Parquet decoding).
    read_seconds: f64,
    /// Time spent aggregating them into the state.
    aggregate_seconds: f64,
}

/// Runs `tp profile`.
pub fn run(args: Args) -> Result<()> {
    let start = Instant::now();
    if args.save_state.as_ref().is_some_and(|p| *p == args.out) {
        bail!("--save-state and --out name the same file; give them different paths");
    }
    let catalog_file = args.catalog.display().to_string();
    let catalog_table = tp_io::read_table(&args.catalog, &ReadOptions::new())?;
    let events_file = args.events.display().to_string();
    let start_from = match &args.state {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read state {}", path.display()))?;
            let state: ProfileState = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a profile state saved by tp profile", path.display()))?;
            Start::Saved(state)
        }
        None => {
            let mut params = ProfileParams::default()
                .half_life_days(args.half_life_days)
                .shrinkage_strength(args.shrinkage)
                .weight(match args.weight {
                    WeightArg::Spend => Weight::Spend,
                    WeightArg::Count => Weight::Count,
                });
            if let Some(d) = args.as_of {
                params = params.as_of(d);
            }
            Start::Fresh(params)
        }
    };
    // stream the events: read a chunk, aggregate it, drop it
    let chunks = tp_io::read_table_chunks(&args.events, &ReadOptions::new(), args.chunk_rows.max(1))?
        .map(|chunk| Ok(Cow::Owned(chunk?)));
    let Profiled { catalog, state, profiles, events: n_events, read_seconds, aggregate_seconds } =
        profile(start_from, &catalog_table, &catalog_file, chunks, &events_file)?;
    tp_io::write_table(&args.out, profiles.table())?;
    if let Some(path) = &args.save_state {
        tp_io::write_json(path, &state)?;
    }
    if let Some(path) = &args.opportunities {
        let opps = tp_profile::opportunities(&profiles, &catalog, args.top)?;
        tp_io::write_table(path, &tp_profile::opportunities_table(&opps)?)?;
    }
    let summary = Summary {
        events: n_events,
        customers: profiles.len(),
        columns: profiles.table().n_cols(),
        as_of: state.as_of(),
        seconds: start.elapsed().as_secs_f64(),
        read_seconds,
        aggregate_seconds,
    };
    crate::print::emit(args.json, &summary, || {
        format!(
            "profiled {} customers from {} events ({} columns, as of day {}) in {:.1} s; wrote {}",
            summary.customers,
            summary.events,
            summary.columns,
            summary.as_of,
            summary.seconds,
            args.out.display()
        )
    })
}
