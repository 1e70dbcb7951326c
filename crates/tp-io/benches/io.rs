//! Criterion benchmarks of tp-io: CSV and Parquet write and read of a
//! 200,000 × 8 table (2 int, 5 float, 1 string column). For the large-table
//! figures run `cargo run --release -p tp-io --example io_throughput`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tp_core::{Column, Table};
use tp_io::{ReadOptions, read_table, write_table};

const ROWS: usize = 200_000;

fn synthetic(n: usize) -> Table {
    let mut s = 7u64;
    let mut next = move || {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut cols = vec![
        Column::i64("customer_id", (0..n as i64).collect()),
        Column::i64("age", (0..n).map(|_| 18 + (next() * 70.0) as i64).collect()),
    ];
    for name in ["spend", "visits", "x1", "x2", "x3"] {
        cols.push(Column::f64(name, (0..n).map(|_| (next() - 0.3) * 1000.0).collect()));
    }
    cols.push(Column::str(
        "region",
        (0..n).map(|_| format!("region_{:02}", (next() * 20.0) as usize)).collect(),
    ));
    Table::new(cols).unwrap()
}

fn bench_io(c: &mut Criterion) {
    let t = synthetic(ROWS);
    let dir = std::env::temp_dir().join(format!("tp-io-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("io_200k_x8");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS as u64));
    for ext in ["csv", "parquet"] {
        let path = dir.join(format!("t.{ext}"));
        g.bench_function(format!("write_{ext}"), |b| b.iter(|| write_table(&path, black_box(&t)).unwrap()));
        write_table(&path, &t).unwrap();
        let typed = ReadOptions::new().require_like(&t);
        g.bench_function(format!("read_{ext}_inferred"), |b| {
            b.iter(|| read_table(&path, &ReadOptions::new()).unwrap())
        });
        g.bench_function(format!("read_{ext}_typed"), |b| b.iter(|| read_table(&path, &typed).unwrap()));
    }
    g.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

criterion_group!(benches, bench_io);
criterion_main!(benches);
