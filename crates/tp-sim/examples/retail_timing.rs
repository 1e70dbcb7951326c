//! Generates the default retail world and prints its size, calibration
//! figures and the generation time.
//!
//! `cargo run --release -p tp-sim --example retail_timing [customers] [seed] [arms]`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let customers = args.get(1).map_or(Ok(2500), |s| s.parse())?;
    let seed = args.get(2).map_or(Ok(7), |s| s.parse())?;
    let arms = args.get(3).map_or(Ok(2), |s| s.parse())?;
    let start = Instant::now();
    let world = tp_sim::RetailParams::default().customers(customers).seed(seed).arms(arms).generate()?;
    let elapsed = start.elapsed();
    for (name, t) in world.tables() {
        println!("{name:>10}: {} rows x {} columns", t.n_rows(), t.n_cols());
    }
    println!("{:#?}", world.calibration());
    println!("{:#?}", world.economics());
    // per-archetype summary from the truth and customers tables
    let truth = world.truth();
    let arch = truth.string_values("archetype")?;
    let tau = truth.f64_values("tau_coupon")?;
    let mu0 = truth.f64_values("mu_control")?;
    let oracle = truth.string_values("oracle_arm")?;
    let pre = world.customers().f64_values("pre_spend")?;
    let promo = world.customers().f64_values("pre_promo_share")?;
    let mut names: Vec<&String> = arch.iter().collect();
    names.sort();
    names.dedup();
    println!(
        "{:>14} {:>6} {:>10} {:>10} {:>9} {:>7} {:>6}",
        "archetype", "share", "pre_spend", "mu_control", "tau", "oracle", "promo"
    );
    for a in names {
        let idx: Vec<usize> = (0..arch.len()).filter(|&i| &arch[i] == a).collect();
        let m = |v: &[f64]| idx.iter().map(|&i| v[i]).sum::<f64>() / idx.len() as f64;
        let treated = idx.iter().filter(|&&i| oracle[i] != "control").count() as f64 / idx.len() as f64;
        println!(
            "{:>14} {:>6.3} {:>10.0} {:>10.1} {:>9.1} {:>7.2} {:>6.2}",
            a,
            idx.len() as f64 / arch.len() as f64,
            m(&pre),
            m(&mu0),
            m(&tau),
            treated,
            m(&promo)
        );
    }
    let mut counts = std::collections::BTreeMap::new();
    for a in oracle.iter() {
        *counts.entry(a.clone()).or_insert(0usize) += 1;
    }
    println!("oracle arms: {counts:?}");
    let value = world.events().f64_values("value")?;
    println!("mean line value {:.2}", value.iter().sum::<f64>() / value.len() as f64);
    println!("generated in {:.2} s on {} threads", elapsed.as_secs_f64(), rayon::current_num_threads());
    Ok(())
}
