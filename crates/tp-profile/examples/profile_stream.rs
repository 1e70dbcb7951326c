//! Streams synthetic events through [`StateBuilder`] and reports rates and
//! peak memory. Nothing is read from disk: a generator fills in-memory column
//! chunks (100M rows as a CSV would be ~5 GB).
//!
//! ```text
//! # bounded memory: the same customers and days, 10× the events per visit
//! cargo run --release -p tp-profile --example profile_stream -- stream --customers 100000 --days 100 --lines 1
//! cargo run --release -p tp-profile --example profile_stream -- stream --customers 100000 --days 100 --lines 10
//! # aggregation rate on in-memory columns, 1 and 2 threads, time-ordered and customer-sorted rows
//! cargo run --release -p tp-profile --example profile_stream -- rate --events 10000000 --customers 10000 --lines 10
//! ```
//!
//! The synthetic catalog has 1,000 items in a department (10) → commodity
//! (50) → sub-commodity (200) hierarchy, a price tier (3), a brand
//! (`--brands`, default 20; 5,000 makes the attribute space large enough for
//! sparse storage), a price and three 0/1 tags. Customer `c` visits every day
//! and buys `--lines` items per visit, rows ordered by day then customer (a
//! time-ordered log: the customer changes on every row). Prints one JSON
//! object as its last line (also written to `--json-out`).

use std::time::Instant;
use tp_core::{Column, Table};
use tp_profile::{Catalog, CatalogSpec, Layer, ProfileParams, StateBuilder, Storage};

struct Opts {
    mode: String,
    customers: u64,
    days: u64,
    lines: u64,
    events: u64,
    brands: u64,
    chunk: u64,
    storage: Storage,
    json_out: Option<String>,
}

fn parse() -> Opts {
    let mut o = Opts {
        mode: "stream".into(),
        customers: 100_000,
        days: 100,
        lines: 1,
        events: 10_000_000,
        brands: 20,
        chunk: 1 << 20,
        storage: Storage::Auto,
        json_out: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = || args.get(i + 1).cloned().unwrap_or_default();
        let num = || val().replace('_', "").parse::<u64>().expect("a number");
        match args[i].as_str() {
            "stream" | "rate" => {
                o.mode = args[i].clone();
                i += 1;
                continue;
            }
            "--customers" => o.customers = num(),
            "--days" => o.days = num(),
            "--lines" => o.lines = num(),
            "--events" => o.events = num(),
            "--brands" => o.brands = num(),
            "--chunk" => o.chunk = num(),
            "--json-out" => o.json_out = Some(val()),
            "--storage" => {
                o.storage = match val().as_str() {
                    "dense" => Storage::Dense,
                    "sparse" => Storage::Sparse,
                    _ => Storage::Auto,
                }
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    o
}

const N_ITEMS: u64 = 1000;

fn catalog(brands: u64) -> Catalog {
    let ids: Vec<i64> = (0..N_ITEMS as i64).collect();
    let s = |f: &dyn Fn(u64) -> String| (0..N_ITEMS).map(f).collect::<Vec<String>>();
    let t = Table::new(vec![
        Column::i64("item_id", ids),
        Column::str("department", s(&|i| format!("D{}", i % 200 / 20))),
        Column::str("commodity", s(&|i| format!("C{}", i % 200 / 4))),
        Column::str("sub_commodity", s(&|i| format!("S{}", i % 200))),
        Column::str("price_tier", s(&|i| ["budget", "mid", "premium"][(i % 3) as usize].into())),
        Column::str("brand", s(&|i| format!("B{}", mix(i ^ 0xB4A2D) % brands))),
        Column::f64("price", (0..N_ITEMS).map(|i| 1.0 + (i % 17) as f64 * 0.5).collect()),
        Column::i64("healthy", (0..N_ITEMS).map(|i| i.is_multiple_of(5) as i64).collect()),
        Column::i64("indulgent", (0..N_ITEMS).map(|i| i.is_multiple_of(7) as i64).collect()),
        Column::i64("fresh", (0..N_ITEMS).map(|i| i.is_multiple_of(3) as i64).collect()),
    ])
    .expect("catalog");
    let spec = CatalogSpec::new()
        .hierarchy(&["department", "commodity", "sub_commodity"], Layer::L1)
        .categorical("price_tier", Layer::L1)
        .categorical("brand", Layer::L1)
        .numeric("price", Layer::L1)
        .numeric("healthy", Layer::L2)
        .numeric("indulgent", Layer::L2)
        .numeric("fresh", Layer::L2);
    Catalog::new(&t, &spec).expect("compile")
}

/// splitmix64 finalizer: a cheap deterministic hash.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Rows `start..end` of the log: row `r` is line `r mod L` of customer
/// `(r / L) mod C` on day `r / (L C)` (or customer-major when `by_customer`).
fn chunk(o: &Opts, start: u64, end: u64, by_customer: bool) -> Table {
    let n = (end - start) as usize;
    let (mut cust, mut item, mut day) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut qty, mut val, mut promo) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let per_day = o.lines * o.customers;
    for r in start..end {
        let (c, d) = if by_customer {
            let per_c = o.lines * o.days;
            (r / per_c, (r % per_c) / o.lines)
        } else {
            ((r % per_day) / o.lines, r / per_day)
        };
        let h = mix(r ^ (c << 20));
        // each customer favours a band of 200 items (its taste), with some spread
        let i = (c * 37 + (h % 200) + if h >> 60 == 0 { h >> 32 } else { 0 }) % N_ITEMS;
        let q = 1 + (h >> 40) % 3;
        cust.push(c as i64);
        item.push(i as i64);
        day.push(d as i64);
        qty.push(q as f64);
        val.push(q as f64 * (1.0 + (i % 17) as f64 * 0.5));
        promo.push((h >> 50).is_multiple_of(5));
    }
    Table::new(vec![
        Column::i64("customer_id", cust),
        Column::i64("item_id", item),
        Column::i64("day", day),
        Column::f64("quantity", qty),
        Column::f64("value", val),
        Column::bool("promo", promo),
    ])
    .expect("chunk")
}

/// CPU seconds (user + system) this process has used so far, from
/// `/proc/self/stat` (clock ticks of 1/100 s). On a machine shared with other
/// jobs, events per CPU-second is the per-core rate; wall-clock rates there
/// also count the time other processes held the core.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |k: usize| f.get(k).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// Peak resident set of this process so far, in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn emit(o: &Opts, json: String) {
    if let Some(path) = &o.json_out {
        std::fs::write(path, format!("{json}\n")).expect("write --json-out");
    }
    println!("{json}");
}

fn stream(o: &Opts) -> Result<(), Box<dyn std::error::Error>> {
    let cat = catalog(o.brands);
    let params = ProfileParams::default().as_of((o.days - 1) as f64).storage(o.storage);
    let total = o.customers * o.days * o.lines;
    let mut b = StateBuilder::new(&cat, &params)?;
    let (t0, mut agg, mut agg_cpu) = (Instant::now(), 0.0, 0.0);
    let mut s = 0;
    while s < total {
        let e = (s + o.chunk).min(total);
        let t = chunk(o, s, e, false);
        let (ta, ca) = (Instant::now(), cpu_s());
        b.push(&t)?;
        agg += ta.elapsed().as_secs_f64();
        agg_cpu += cpu_s() - ca;
        s = e;
    }
    let state = b.finish();
    let wall = t0.elapsed().as_secs_f64();
    let stored: usize = state.customers.values().map(|c| c.cat.stored()).sum();
    let visits: usize = state.customers.values().map(|c| c.visits.len()).sum();
    let sparse = params.storage.is_sparse(cat.n_slots);
    eprintln!(
        "{total} events, {} customers, {} slots ({}), {stored} slot sums, {visits} visit days: \
         {wall:.1} s wall, aggregation {agg:.1} s wall = {:.1} M events/s, {agg_cpu:.1} CPU-s = {:.1} M events/CPU-s, \
         {} threads; peak RSS {:.0} MiB",
        state.customers.len(),
        cat.n_slots,
        if sparse { "sparse" } else { "dense" },
        total as f64 / agg / 1e6,
        total as f64 / agg_cpu / 1e6,
        rayon::current_num_threads(),
        peak_rss_mib()
    );
    emit(
        o,
        format!(
            "{{\"mode\":\"stream\",\"events\":{total},\"customers\":{},\"slots\":{},\"sparse\":{sparse},\
             \"slot_sums\":{stored},\"visit_days\":{visits},\"wall_s\":{wall:.3},\"aggregate_s\":{agg:.3},\
             \"events_per_s\":{:.0},\"aggregate_cpu_s\":{agg_cpu:.2},\"events_per_cpu_s\":{:.0},\
             \"threads\":{},\"peak_rss_mib\":{:.1}}}",
            state.customers.len(),
            cat.n_slots,
            total as f64 / agg,
            total as f64 / agg_cpu,
            rayon::current_num_threads(),
            peak_rss_mib()
        ),
    );
    Ok(())
}

fn rate(o: &Opts) -> Result<(), Box<dyn std::error::Error>> {
    let cat = catalog(o.brands);
    // customers × days × lines ≥ events
    let o2 =
        Opts { mode: o.mode.clone(), days: o.events.div_ceil(o.customers * o.lines), json_out: None, ..*o };
    let n = o2.customers * o2.days * o2.lines;
    let params = ProfileParams::default().as_of((o2.days - 1) as f64).storage(o.storage);
    let mut fields = Vec::new();
    for (order, by_customer) in [("time_ordered", false), ("customer_sorted", true)] {
        // the log held in memory as chunks of --chunk rows (default 2^20)
        let chunks: Vec<Table> = (0..n)
            .step_by(o.chunk as usize)
            .map(|s| chunk(&o2, s, (s + o.chunk).min(n), by_customer))
            .collect();
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
            let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
            for _ in 0..3 {
                let (t0, c0) = (Instant::now(), cpu_s());
                let st = pool.install(|| -> tp_profile::Result<_> {
                    let mut b = StateBuilder::new(&cat, &params)?;
                    for t in &chunks {
                        b.push(t)?;
                    }
                    Ok(b.finish())
                })?;
                best = best.min(t0.elapsed().as_secs_f64());
                best_cpu = best_cpu.min(cpu_s() - c0);
                assert_eq!(st.customers.len() as u64, o2.customers);
            }
            let (r, rc) = (n as f64 / best, n as f64 / best_cpu);
            eprintln!(
                "{order}, {threads} thread(s): {n} events in {best:.3} s wall = {:.1} M events/s; \
                 {best_cpu:.2} CPU-s = {:.1} M events/CPU-s",
                r / 1e6,
                rc / 1e6
            );
            fields.push(format!("\"{order}_{threads}t\":{r:.0},\"{order}_{threads}t_per_cpu_s\":{rc:.0}"));
        }
    }
    emit(
        o,
        format!(
            "{{\"mode\":\"rate\",\"events\":{n},\"customers\":{},\"slots\":{},{},\"peak_rss_mib\":{:.1}}}",
            o2.customers,
            cat.n_slots,
            fields.join(","),
            peak_rss_mib()
        ),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse();
    match o.mode.as_str() {
        "rate" => rate(&o),
        _ => stream(&o),
    }
}
