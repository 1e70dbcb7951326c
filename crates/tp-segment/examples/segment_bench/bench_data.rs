//! Deterministic bench inputs shared with `xtask/peers/segment_peer.py`
//! (the same SplitMix64 formulas, so both sides fit the same matrices).

#![allow(dead_code)]

use faer::Mat;

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in [0, 1) for (stream, index).
pub fn uniform(stream: u64, i: u64) -> f64 {
    (splitmix64(stream.wrapping_mul(0x1_0000_0000).wrapping_add(i)) >> 11) as f64 / (1u64 << 53) as f64
}

/// n × m counts of rank k: W, H exponential (H 70 % zeros), X = ⌊5·WH + u⌋.
pub fn nmf_counts(n: usize, m: usize, k: usize) -> Mat<f64> {
    let w = Mat::from_fn(n, k, |i, t| -(1.0 - uniform(1, (i * k + t) as u64)).ln());
    let h = Mat::from_fn(k, m, |t, j| {
        let idx = (t * m + j) as u64;
        if uniform(3, idx) < 0.3 { -(1.0 - uniform(2, idx)).ln() } else { 0.0 }
    });
    let wh = &w * &h;
    Mat::from_fn(n, m, |i, j| (5.0 * wh[(i, j)] + uniform(4, (i * m + j) as u64)).floor())
}

/// n × d blobs around k centers (cluster of row i from a hash), noise ≈ N(0, 1.5²)
/// from a sum of three uniforms.
pub fn kmeans_blobs(n: usize, d: usize, k: usize) -> Mat<f64> {
    let centers = Mat::from_fn(k, d, |j, t| 10.0 * (uniform(5, (j * d + t) as u64) - 0.5));
    Mat::from_fn(n, d, |i, t| {
        let c = (splitmix64(i as u64 ^ 0xABCD) % k as u64) as usize;
        let base = 3 * (i * d + t) as u64;
        let s = uniform(6, base) + uniform(6, base + 1) + uniform(6, base + 2) - 1.5;
        centers[(c, t)] + 3.0 * s
    })
}
