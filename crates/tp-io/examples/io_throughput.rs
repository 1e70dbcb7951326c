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
    for ext in ["csv", "parquet"] {
        let path = dir.join(format!("tp-io-throughput-{}.{ext}", std::process::id()));
        let t0 = Instant::now();
        write_table(&path, &t).unwrap();
        let w = t0.elapsed().as_secs_f64();
        let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let t0 = Instant::now();
        let back = read_table(&path, &ReadOptions::new()).unwrap();
        let r = t0.elapsed().as_secs_f64();
        assert_eq!(back.n_rows(), n);
        let opts = ReadOptions::new().require_like(&t);
        let t0 = Instant::now();
        let back = read_table(&path, &opts).unwrap();
        let rt = t0.elapsed().as_secs_f64();
        assert_eq!(back, t);
        let t0 = Instant::now();
        let rows: usize =
            read_table_chunks(&path, &opts, 1 << 18).unwrap().map(|c| c.unwrap().n_rows()).sum();
        let rc = t0.elapsed().as_secs_f64();
        assert_eq!(rows, n);
        let sel = ReadOptions::new().columns(["spend"]);
        let t0 = Instant::now();
        read_table(&path, &sel).unwrap();
        let r1 = t0.elapsed().as_secs_f64();
        println!(
            "{ext:>8}: {mb:7.1} MB | write {w:6.2} s ({:5.1} Mrow/s, {:6.1} MB/s) | read inferred {r:6.2} s \
             ({:5.1} Mrow/s) | read typed {rt:6.2} s | chunked typed {rc:6.2} s | 1 column {r1:6.2} s",
            n as f64 / w / 1e6,
            mb / w,
            n as f64 / r / 1e6,
        );
        std::fs::remove_file(&path).unwrap();
    }
}
