//! The Rust side of the OPE speed comparison with `xtask/peers/ope_peer.py`
//! (`cargo xtask bench ope`): a synthetic log of n rows × k arms, uniform
//! logging, a target with 0.6 on arm i % k, a fixed reward model, 0/1
//! rewards; DR with a `B`-replicate percentile bootstrap. Prints one JSON
//! line with the estimate, its interval, the wall time and the process CPU
//! time of the estimator call (data generation excluded), so a busy machine
//! can still be compared on CPU seconds.
//!
//! The log is the same on both sides, bit for bit: row i's action and reward
//! come from outputs `2i + 1` and `2i + 2` of SplitMix64 started at the seed
//! (action `⌊(h >> 32)·k / 2³²⌋`, reward `1` iff `(h >> 11)·2⁻⁵³ < 0.05 + 0.02a`),
//! which numpy reproduces with wrapping `uint64` arithmetic; so the DR value
//! agrees exactly and only the bootstrap draws differ.
//!
//! ```text
//! cargo run --release -p tp-ope --example dr_bootstrap -- [ROWS] [ARMS] [BOOTSTRAP] [THREADS] [SEED]
//! ```
//!
//! Exact output at the defaults (1M × 5, 1000 replicates, seed 7), the same
//! at any thread count: value 0.08988995250007663, 95 % percentile interval
//! [0.08910870139999973, 0.09067687213750039]; the numpy peer prints the same
//! value (its interval differs by its own bootstrap draws).

use tp_core::faer::Mat;
use tp_ope::{Estimator, LoggingPropensity, OpeInput, OpeParams, TargetPolicy, evaluate};

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`, 100 ticks/s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (tick(11) + tick(12)) / 100.0
}

/// Output `j` (1-based) of SplitMix64 started at `seed`.
fn splitmix(seed: u64, j: u64) -> u64 {
    let mut z = seed.wrapping_add(j.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn main() {
    let a: Vec<usize> = std::env::args().skip(1).map(|s| s.parse().expect("numeric arguments")).collect();
    let n = a.first().copied().unwrap_or(1_000_000);
    let k = a.get(1).copied().unwrap_or(5);
    let b = a.get(2).copied().unwrap_or(1000);
    let threads = a.get(3).copied().unwrap_or(0);
    let seed = a.get(4).copied().unwrap_or(7) as u64;
    let target = Mat::from_fn(n, k, |i, a| if a == i % k { 0.6 } else { 0.4 / (k - 1) as f64 });
    let q = Mat::from_fn(n, k, |i, a| 0.05 + 0.02 * a as f64 + 0.001 * (i % 10) as f64);
    let mut actions = Vec::with_capacity(n);
    let mut rewards = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let arm = (((splitmix(seed, 2 * i + 1) >> 32) * k as u64) >> 32) as usize;
        let u = (splitmix(seed, 2 * i + 2) >> 11) as f64 * (-53f64).exp2();
        actions.push(arm);
        rewards.push(if u < 0.05 + 0.02 * arm as f64 { 1.0 } else { 0.0 });
    }
    let input = OpeInput::new(
        rewards,
        actions,
        LoggingPropensity::logged(vec![1.0 / k as f64; n]),
        TargetPolicy::probs(target),
    )
    .with_q_hat(q);
    let params = OpeParams::default()
        .estimators(&[Estimator::Dr])
        .bootstrap(b)
        .seed(seed)
        .high_confidence_bound(false);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let (cpu0, t0) = (cpu_seconds(), std::time::Instant::now());
    let report = pool.install(|| evaluate(&input, &params).expect("evaluate"));
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    let dr = &report.estimates["dr"];
    println!(
        "{{\"rows\": {n}, \"arms\": {k}, \"bootstrap\": {b}, \"threads\": {}, \"value\": {}, \"ci_low\": {}, \"ci_high\": {}, \"estimator_seconds\": {wall:.3}, \"cpu_seconds\": {cpu:.2}}}",
        pool.current_num_threads(),
        dr.value,
        dr.ci_low,
        dr.ci_high
    );
}
