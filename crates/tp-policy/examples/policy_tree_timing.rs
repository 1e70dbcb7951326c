//! Times one exact depth-2 policy tree at the policytree vignette's size
//! (n = 10,000, p = 30, 20 arms) — the Rust side of `cargo xtask bench
//! policy` (peer: econml's greedy `PolicyTree`, `xtask/peers/policy_peer.py`).
//!
//! ```text
//! cargo run --release -p tp-policy --example policy_tree_timing -- [BINS] [THREADS] [SEED]
//! ```
//!
//! The data are the same bit for bit on both sides: `u(j) = (h_j >> 11)·2⁻⁵³`
//! with `h_j` output `j` (1-based) of SplitMix64 started at the seed;
//! `x[i, j] = u(1 + i·p + j)`, noise `ε[i, a] = u(1 + n·p + i·K + a)`, and the
//! rewards `R[i, a] = (x[i, a mod p] − 0.5)·(1 + a/K) + 2(ε[i, a] − 0.5)` for
//! `a > 0`, `R[i, 0] = 2(ε[i, 0] − 0.5)`. Prints the tree, then one JSON line:
//! fit seconds, the tree's in-sample value `Σ_i R[i, π(x_i)]`, leaves, exactness.

use std::time::Instant;
use tp_core::faer::Mat;
use tp_policy::{PolicyTreeParams, Search};

/// Output `j` (1-based) of SplitMix64 started at `seed`, as a uniform in [0, 1).
fn uniform(seed: u64, j: u64) -> f64 {
    let mut z = seed.wrapping_add(j.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 * (-53f64).exp2()
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let bins = args.first().copied().unwrap_or(64);
    let threads = args.get(1).copied().unwrap_or(2);
    let seed = args.get(2).copied().unwrap_or(42) as u64;
    let (n, p, k) = (10_000usize, 30usize, 20usize);
    let x = Mat::from_fn(n, p, |i, j| uniform(seed, 1 + (i * p + j) as u64));
    let r = Mat::from_fn(n, k, |i, a| {
        let signal = if a > 0 { (x[(i, a % p)] - 0.5) * (1.0 + a as f64 / k as f64) } else { 0.0 };
        signal + 2.0 * (uniform(seed, 1 + (n * p + i * k + a) as u64) - 0.5)
    });
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let params = PolicyTreeParams::new(2).max_bins(bins).search(Search::Exact);
    let start = Instant::now();
    let tree = pool.install(|| params.fit(x.as_ref(), r.as_ref())).expect("fit");
    let secs = start.elapsed().as_secs_f64();
    let arms = tree.predict(x.as_ref()).expect("predict");
    let value: f64 = arms.iter().enumerate().map(|(i, &a)| r[(i, a)]).sum();
    let d = tree.diagnostics();
    print!("{tree}");
    println!(
        "{{\"rows\": {n}, \"features\": {p}, \"arms\": {k}, \"bins\": {bins}, \"threads\": {threads}, \
         \"fit_seconds\": {secs:.3}, \"value\": {value}, \"leaves\": {}, \"search\": \"{}\", \"work\": {:.3e}}}",
        d.leaves, d.search, d.estimated_work
    );
}
