//! `profile`: `tp profile` on the retail world (CSV and Parquet ingest) against a pandas groupby of
//! the same L1 shares and RFM, the in-memory aggregation rate (the `profile_stream` example against
//! the same groupby on numpy columns), and 10M vs 100M streamed events (ours only: peak memory).

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Case, Cmd, Ctx, Quality, RETAIL_CUSTOMERS, SEED, Scale, Side, number};
use crate::bench::report::thousands;

/// Customers of the larger Parquet world: ~1,070 lines each, so ~20M events.
const BIG_CUSTOMERS: u64 = 19_000;

pub(super) fn profile(ctx: &Ctx, scale: Scale) -> Vec<Case> {
    let quick = scale == Scale::Quick;
    let retail = if quick { 500 } else { RETAIL_CUSTOMERS };
    let big = if quick { 1_000 } else { BIG_CUSTOMERS };
    let mut cases = vec![
        file_case(ctx, "profile retail csv", "profile-retail-csv", retail, "csv"),
        file_case(ctx, "profile retail parquet", "profile-retail-parquet", retail, "parquet"),
        file_case(ctx, "profile larger world parquet", "profile-big-parquet", big, "parquet"),
    ];
    let events: u64 = if quick { 1_000_000 } else { 10_000_000 };
    let dir = ctx.dir("profile-rate");
    let (ours_json, peer_json) = (dir.join("ours.json"), dir.join("peer.json"));
    let n_arg = events.to_string();
    cases.push(Case {
        label: "profile in-memory aggregation".into(),
        slug: "profile-rate".into(),
        size: format!("{} events, 10,000 customers", thousands(events)),
        prepare: vec![],
        ours: Side {
            run: ctx.example(
                "profile_stream",
                &[
                    &"rate",
                    &"--events",
                    &n_arg,
                    &"--customers",
                    &"10000",
                    &"--lines",
                    &"10",
                    &"--json-out",
                    &ours_json,
                ],
            ),
            quality: probe(ctx, &ours_json, ours_rate),
        },
        peer: Some(Side {
            run: ctx.script(
                "profile_peer.py",
                &[
                    &"synthetic",
                    &"--events",
                    &n_arg,
                    &"--customers",
                    &"10000",
                    &"--lines",
                    &"10",
                    &"--json-out",
                    &peer_json,
                ],
            ),
            quality: probe(ctx, &peer_json, peer_rate),
        }),
    });
    // bounded memory: same customers and days, 10x the lines per visit
    let lines: &[u64] = if quick { &[1] } else { &[1, 10] };
    for &l in lines {
        let n = 100_000 * 100 * l;
        let slug = format!("profile-stream-{l}");
        let json = ctx.dir(&slug).join("ours.json");
        let l_arg = l.to_string();
        cases.push(Case {
            label: "profile streamed (generator, peak memory)".into(),
            slug,
            size: format!("{} events, 100,000 customers", thousands(n)),
            prepare: vec![],
            ours: Side {
                run: ctx.example(
                    "profile_stream",
                    &[
                        &"stream",
                        &"--customers",
                        &"100000",
                        &"--days",
                        &"100",
                        &"--lines",
                        &l_arg,
                        &"--json-out",
                        &json,
                    ],
                ),
                quality: probe(ctx, &json, streamed),
            },
            peer: None,
        });
    }
    cases
}

/// One world written as `format`, profiled by `tp profile` and by the pandas peer.
fn file_case(ctx: &Ctx, label: &str, slug: &str, customers: u64, format: &str) -> Case {
    let dir = ctx.dir(slug);
    let world = dir.join("world");
    let events = world.join(format!("events.{format}"));
    let catalog = world.join(format!("catalog.{format}"));
    let n_arg = customers.to_string();
    let (ours_out, peer_out) = (dir.join("ours.csv"), dir.join("peer.csv"));
    Case {
        label: label.into(),
        slug: slug.into(),
        size: format!("{} customers", thousands(customers)),
        prepare: vec![Cmd::new(
            &ctx.tp,
            &[
                &"simulate",
                &"--preset",
                &"retail",
                &"--customers",
                &n_arg,
                &"--seed",
                &SEED,
                &"--out",
                &world,
                &"--format",
                &format,
            ],
        )],
        ours: Side {
            run: Cmd::new(
                &ctx.tp,
                &[&"profile", &"--events", &events, &"--catalog", &catalog, &"--out", &ours_out, &"--json"],
            ),
            quality: probe(ctx, &dir.join("ours.stdout"), ingest),
        },
        peer: Some(Side {
            run: ctx.script(
                "profile_peer.py",
                &[&"files", &"--events", &events, &"--catalog", &catalog, &"--out", &peer_out],
            ),
            quality: probe(ctx, &dir.join("peer.stdout"), ingest),
        }),
    }
}

fn probe(ctx: &Ctx, file: &Path, format: super::Formatter) -> Quality {
    Quality { probe: ctx.script("profile_probe.py", &[&file]), format }
}

/// `2,683,992 ev → 2,500 × 563; read 1.40 s (1.9 M ev/s), aggregate 0.65 s (4.1 M ev/s)`.
fn ingest(v: &Value) -> Result<String> {
    let (Some(ev), Some(cust), Some(cols), Some(read), Some(agg)) = (
        number(v, "events"),
        number(v, "customers"),
        number(v, "columns"),
        number(v, "read_s").or_else(|| number(v, "read_seconds")),
        number(v, "aggregate_s").or_else(|| number(v, "aggregate_seconds")),
    ) else {
        bail!("the side printed no events/customers/columns/read/aggregate figures: {v}");
    };
    Ok(format!(
        "{} ev → {} × {}; read {read:.2} s ({:.1} M ev/s), aggregate {agg:.2} s ({:.1} M ev/s)",
        thousands(ev as u64),
        thousands(cust as u64),
        cols as u64,
        ev / read / 1e6,
        ev / agg / 1e6
    ))
}

/// `1 thread 11.6 M ev/s (CPU 12.0), 2 threads …; customer-sorted …`.
fn ours_rate(v: &Value) -> Result<String> {
    let f = |k: &str| number(v, k).map(|x| x / 1e6);
    let (Some(t1), Some(t1c), Some(t2), Some(s1), Some(s2)) = (
        f("time_ordered_1t"),
        f("time_ordered_1t_per_cpu_s"),
        f("time_ordered_2t"),
        f("customer_sorted_1t"),
        f("customer_sorted_2t"),
    ) else {
        bail!("profile_stream printed no rates: {v}");
    };
    Ok(format!(
        "time-ordered: 1 thread {t1:.1} M ev/s ({t1c:.1} per CPU-s), 2 threads {t2:.1}; \
         customer-sorted: {s1:.1} / {s2:.1} M ev/s"
    ))
}

/// `pandas groupby 1.9 M ev/s`.
fn peer_rate(v: &Value) -> Result<String> {
    let Some(r) = number(v, "events_per_s") else { bail!("the peer printed no events_per_s: {v}") };
    Ok(format!("pandas groupby {:.1} M ev/s", r / 1e6))
}

/// `peak RSS 586 MiB, 4.1 M ev/s (6.5 per CPU-s), 28,300,000 slot sums`.
fn streamed(v: &Value) -> Result<String> {
    let (Some(rss), Some(r), Some(rc), Some(sums), Some(days)) = (
        number(v, "peak_rss_mib"),
        number(v, "events_per_s"),
        number(v, "events_per_cpu_s"),
        number(v, "slot_sums"),
        number(v, "visit_days"),
    ) else {
        bail!("profile_stream printed no stream figures: {v}");
    };
    Ok(format!(
        "peak RSS {rss:.0} MiB (state: {} slot sums, {} visit days); {:.1} M ev/s ({:.1} per CPU-s)",
        thousands(sums as u64),
        thousands(days as u64),
        r / 1e6,
        rc / 1e6
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quality_figures() {
        let v = json!({"events": 2_000_000, "customers": 2500, "columns": 563, "read_seconds": 1.0,
            "aggregate_seconds": 0.5});
        assert_eq!(
            ingest(&v).unwrap(),
            "2,000,000 ev → 2,500 × 563; read 1.00 s (2.0 M ev/s), aggregate 0.50 s (4.0 M ev/s)"
        );
        assert!(ingest(&json!({})).is_err());
        assert_eq!(peer_rate(&json!({"events_per_s": 1.9e6})).unwrap(), "pandas groupby 1.9 M ev/s");
        assert!(ours_rate(&json!({})).is_err() && streamed(&json!({})).is_err());
    }
}
