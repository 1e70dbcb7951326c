//! Evaluate Open Bandit's Bernoulli Thompson sampling (BTS) policy from the
//! uniform-random log of the Open Bandit Dataset sample (campaign "all") and
//! compare each estimator's relative error with the table published by the
//! Open Bandit Pipeline (logistic reward model, 30 bootstrap resamples of the
//! log). The method lives in `tests/obd/mod.rs`, shared with the integration
//! test `open_bandit_bts_from_random_log`, which runs the same evaluation
//! (with fewer Monte Carlo draws and, unless `TP_SLOW_TESTS=1`, no resamples).
//!
//! ```text
//! cargo run --release -p tp-ope --example open_bandit -- [DATA_DIR] [N_SIM] [RESAMPLES]
//! ```
//!
//! `DATA_DIR` defaults to the crate's copy, `crates/tp-ope/testdata/open_bandit`
//! (`random_all.csv`, `bts_all.csv`, `item_context.csv`); `N_SIM` (Monte Carlo
//! draws for BTS's action distribution) to 1,000,000; `RESAMPLES` to 30.

#[path = "../tests/obd/mod.rs"]
mod obd;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map_or_else(obd::default_dir, std::path::PathBuf::from);
    let n_sim: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let resamples: u64 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(30);
    let t = std::time::Instant::now();
    let run = obd::run(&dir, n_sim, resamples)?;
    print!("{}", run.table());
    eprintln!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}
