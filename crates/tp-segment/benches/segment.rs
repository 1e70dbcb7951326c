//! Criterion benchmarks of tp-segment (filled in below).

fn main() {}
