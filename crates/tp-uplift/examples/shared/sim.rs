//! The simulated causal world both forest examples use (included with `#[path]`, not an example).

use std::error::Error;

use tp_core::CausalData;
use tp_core::faer::Mat;

/// x ~ U(0, 1)ᵖ, e(x) = 0.25 + 0.5·x₂, τ(x) = 1 + x₁, y = x₂ + x₃ + τ·w + N(0, 1)
/// (hashed uniform draws, so no RNG dependency in the example).
pub fn simulate(n: usize, p: usize) -> Result<CausalData, Box<dyn Error>> {
    let u = |i: usize, j: usize| {
        let mut h =
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        h ^= h >> 31;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 29;
        (h >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = Mat::from_fn(n, p, &u);
    let arms: Vec<usize> = (0..n).map(|i| usize::from(u(i, p) < 0.25 + 0.5 * x[(i, 1)])).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let z =
                (-2.0 * u(i, p + 1).max(1e-300).ln()).sqrt() * (std::f64::consts::TAU * u(i, p + 2)).cos();
            x[(i, 1)] + x[(i, 2)] + (1.0 + x[(i, 0)]) * arms[i] as f64 + z
        })
        .collect();
    let names = (0..p).map(|j| format!("x{j}")).collect();
    Ok(CausalData::builder(x, names, arms, y).build()?)
}
