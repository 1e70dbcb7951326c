//! criterion benchmarks across the tp crates (see `benches/`).
