//! Times writing and reading a synthetic table as CSV and Parquet.
//!
//! `cargo run --release -p tp-io --example io_throughput -- [ROWS] [DIR]`
//! (defaults: 2,000,000 rows, the system temp directory). The table has 8
//! columns: 2 int, 5 float (full-precision), 1 string (20 categories).

use std::time::Instant;
use tp_core::{Column, Table};
use tp_io::{ReadOptions, read_table, read_table_chunks, write_table};

/// splitmix64: a tiny deterministic generator, enough for benchmark data.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// CPU seconds (user + system) used by this process so far, from
/// `/proc/self/stat` on Linux (clock ticks assumed 100 Hz); 0 elsewhere.
/// Reported beside wall time because a busy machine inflates the latter.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else { return 0.0 };
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the ')'
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f`, returning its result, wall seconds and CPU seconds.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let out = f();
    (out, t0.elapsed().as_secs_f64(), cpu_seconds() - c0)
}

fn synthetic(n: usize, seed: u64) -> Table {
    let mut s = seed;
    let mut unif = move || (splitmix(&mut s) >> 11) as f64 / (1u64 << 53) as f64;
    let regions: Vec<String> = (0..20).map(|k| format!("region_{k:02}")).collect();
    let mut cols = vec![
        Column::i64("customer_id", (0..n as i64).collect()),
        Column::i64("age", (0..n).map(|_| 18 + (unif() * 70.0) as i64).collect()),
    ];
    for name in ["spend", "visits", "x1", "x2", "x3"] {
        cols.push(Column::f64(name, (0..n).map(|_| (unif() - 0.3) * 1000.0).collect()));
    }
    cols.push(Column::str("region", (0..n).map(|_| regions[(unif() * 20.0) as usize].clone()).collect()));
    Table::new(cols).unwrap()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(2_000_000, |a| a.parse().expect("ROWS must be an integer"));
    let dir = args.next().map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let t = synthetic(n, 7);
    println!("{n} rows x {} columns", t.n_cols());
    println!("format: size | phase wall s / cpu s ...");
    for ext in ["csv", "parquet"] {
        let path = dir.join(format!("tp-io-throughput-{}.{ext}", std::process::id()));
        let ((), w, wc) = timed(|| write_table(&path, &t).unwrap());
        let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let (back, r, rc) = timed(|| read_table(&path, &ReadOptions::new()).unwrap());
        assert_eq!(back.n_rows(), n);
        drop(back);
        let opts = ReadOptions::new().require_like(&t);
        let (back, rt, rtc) = timed(|| read_table(&path, &opts).unwrap());
        assert_eq!(back, t);
        drop(back);
        let (rows, rk, rkc) = timed(|| {
            read_table_chunks(&path, &opts, 1 << 18).unwrap().map(|c| c.unwrap().n_rows()).sum::<usize>()
        });
        assert_eq!(rows, n);
        let sel = ReadOptions::new().columns(["spend"]);
        let (_, r1, r1c) = timed(|| read_table(&path, &sel).unwrap());
        println!(
            "{ext:>8}: {mb:6.1} MB | write {w:5.2}/{wc:5.2} | read inferred {r:5.2}/{rc:5.2} | \
             read typed {rt:5.2}/{rtc:5.2} | chunked typed {rk:5.2}/{rkc:5.2} | 1 column {r1:5.2}/{r1c:5.2}"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
