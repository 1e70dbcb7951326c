//! Times profiling a simulated world held in memory.
//!
//! ```text
//! cargo run --release -p tp-cli -- simulate --preset retail --seed 7 --out /tmp/world
//! cargo run --release -p tp-profile --example profile_timing -- /tmp/world
//! ```
//!
//! Reads `events.csv` and `catalog.csv` with a minimal CSV reader (untimed
//! apart from a separate figure), then times `ProfileState::build`
//! (sequential and parallel), `finish`, and the top-5 opportunities.

use std::time::Instant;
use tp_core::{Column, Table};
use tp_profile::{Catalog, CatalogSpec, ProfileParams, ProfileState, opportunities};

fn read_csv(path: &str) -> Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let mut raw: Vec<Vec<&str>> = vec![Vec::new(); header.len()];
    for l in lines.filter(|l| !l.is_empty()) {
        for (j, f) in l.split(',').enumerate() {
            raw[j].push(f);
        }
    }
    let cols = header
        .iter()
        .zip(raw)
        .map(|(name, vals)| {
            if let Ok(v) = vals.iter().map(|x| x.parse::<i64>()).collect::<Result<Vec<_>, _>>() {
                Column::i64(*name, v)
            } else if let Ok(v) = vals.iter().map(|x| x.parse::<f64>()).collect::<Result<Vec<_>, _>>() {
                Column::f64(*name, v)
            } else if let Ok(v) = vals.iter().map(|x| x.parse::<bool>()).collect::<Result<Vec<_>, _>>() {
                Column::bool(*name, v)
            } else {
                Column::str(*name, vals.iter().map(|x| x.to_string()).collect())
            }
        })
        .collect();
    Table::new(cols).expect("table")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp/world".into());
    let t0 = Instant::now();
    let events = read_csv(&format!("{dir}/events.csv"));
    let cat_t = read_csv(&format!("{dir}/catalog.csv"));
    let n = events.n_rows();
    println!("read {n} events (naive CSV) in {:.2} s", t0.elapsed().as_secs_f64());
    let cat = Catalog::new(&cat_t, &CatalogSpec::infer(&cat_t)?)?;
    let params = ProfileParams::default();
    let threads = rayon::current_num_threads();
    let seq = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    for (label, pool) in [("1 thread", Some(&seq)), ("all threads", None)] {
        let mut best = f64::INFINITY;
        let mut state = None;
        for _ in 0..3 {
            let t = Instant::now();
            let s = match pool {
                Some(p) => p.install(|| ProfileState::build(&events, &cat, &params))?,
                None => ProfileState::build(&events, &cat, &params)?,
            };
            best = best.min(t.elapsed().as_secs_f64());
            state = Some(s);
        }
        let state = state.expect("state");
        println!(
            "build ({label}{}): {:.3} s, {:.1} M events/s, {} customers",
            if pool.is_none() { format!(", {threads}") } else { String::new() },
            best,
            n as f64 / best / 1e6,
            state.customers.len()
        );
        if pool.is_none() {
            let t = Instant::now();
            let pr = state.finish(&cat)?;
            println!(
                "finish: {:.3} s ({} rows × {} columns)",
                t.elapsed().as_secs_f64(),
                pr.table().n_rows(),
                pr.table().n_cols()
            );
            let tab = pr.table();
            let names = tab.names();
            println!("columns: {} … {}", names[..6].join(", "), names[names.len() - 12..].join(", "));
            for name in
                names.iter().filter(|n| n.starts_with("l3.") || n.starts_with("l2.") && !n.ends_with(".lift"))
            {
                let v = tab.f64_values(name)?;
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                println!("  {name:<22} mean {mean:>10.3}  customer 1: {:>10.3}", v[0]);
            }
            let t = Instant::now();
            let opps = opportunities(&pr, &cat, 5)?;
            println!("opportunities (top 5): {:.3} s, {} rows", t.elapsed().as_secs_f64(), opps.len());
            for o in opps.iter().take(3) {
                println!(
                    "  customer {} #{} {}={} score {:.3} (aff {:.3}, share {:.3} vs pop {:.3}) drivers {:?}",
                    o.customer_id,
                    o.rank,
                    o.attribute,
                    o.value,
                    o.score,
                    o.affinity,
                    o.share,
                    o.pop_share,
                    o.drivers
                );
            }
        }
    }
    Ok(())
}
