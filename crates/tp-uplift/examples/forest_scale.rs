//! The "ours" side of the scale cases of `cargo xtask bench forest-1m`: a causal forest on a
//! simulated N × P world generated in-process (no CSV to parse, so the peak memory is the data and
//! the fit).
//!
//! ```text
//! forest_scale N P TREES NUISANCE    # NUISANCE trees in each of the two nuisance forests
//! ```
//!
//! World: x ~ U(0, 1)ᵖ, e(x) = 0.25 + 0.5·x₁, τ(x) = 1 + x₀, y = x₁ + x₂ + τ·w + N(0, 1), drawn
//! from hashed uniforms (no RNG dependency). Prints one JSON line: simulation and fit seconds, the
//! doubly robust ATE and its SE, the out-of-bag PEHE against τ(x), the share of rows whose 90%
//! little-bags interval covers τ(x), and the stored forest's size.

use std::error::Error;
use std::time::Instant;

use tp_uplift::CausalForest;

type Res<T> = Result<T, Box<dyn Error>>;

#[path = "shared/sim.rs"]
mod sim;
use sim::simulate;

fn num(args: &[String], i: usize, what: &str) -> Res<usize> {
    args.get(i)
        .ok_or(format!("missing {what}; usage: forest_scale N P TREES NUISANCE"))?
        .parse()
        .map_err(|e| format!("{what}: {e}").into())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let (n, p) = (num(&args, 1, "N")?, num(&args, 2, "P")?);
    let (trees, nuisance) = (num(&args, 3, "TREES")?, num(&args, 4, "NUISANCE")?);
    let t = Instant::now();
    let data = simulate(n, p)?;
    let sim_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let model = CausalForest::params().n_trees(trees).nuisance_trees(nuisance).seed(7).fit(&data)?;
    let fit_s = t.elapsed().as_secs_f64();
    let (ate, ate_se) = model.ate();
    let pred = model.oob_interval(0.9);
    let x = data.covariates();
    let (mut sq, mut covered, mut m) = (0.0, 0usize, 0usize);
    for i in 0..n {
        if pred.tau[i].is_finite() {
            let truth = 1.0 + x[(i, 0)];
            sq += (pred.tau[i] - truth).powi(2);
            covered += usize::from(pred.tau_lo[i] <= truth && truth <= pred.tau_hi[i]);
            m += 1;
        }
    }
    let pehe = (sq / m.max(1) as f64).sqrt();
    let coverage = covered as f64 / m.max(1) as f64;
    println!(
        "{{\"n\": {n}, \"p\": {p}, \"trees\": {trees}, \"nuisance_trees\": {nuisance}, \"simulate_s\": {sim_s:.1}, \"fit_s\": {fit_s:.1}, \"ate\": {ate:.4}, \"ate_se\": {ate_se:.4}, \"pehe\": {pehe:.4}, \"coverage90\": {coverage:.4}, \"tree_mb\": {:.0}}}",
        model.tree_bytes() as f64 / 1e6
    );
    Ok(())
}
