//! Streams the criteo-like preset chunk by chunk and prints rates and time.
//!
//! `cargo run --release -p tp-sim --example criteo_timing [rows] [seed]`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let rows = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let seed = args.get(2).map_or(Ok(7), |s| s.parse())?;
    let start = Instant::now();
    let sim = tp_sim::CriteoParams::default().rows(rows).seed(seed);
    let (mut n, mut treated, mut visits, mut conv, mut tau, mut tau_neg) =
        (0usize, 0.0, 0.0, 0.0, 0.0, 0usize);
    let (mut conv_t, mut n_t, mut conv_c, mut n_c) = (0.0, 0.0, 0.0, 0.0);
    for chunk in sim.chunks()? {
        let chunk = chunk?;
        n += chunk.n_rows();
        let t = chunk.f64_values("treatment")?;
        let c = chunk.f64_values("conversion")?;
        treated += t.iter().sum::<f64>();
        visits += chunk.f64_values("visit")?.iter().sum::<f64>();
        conv += c.iter().sum::<f64>();
        for (ti, ci) in t.iter().zip(c.iter()) {
            if *ti > 0.5 {
                conv_t += ci;
                n_t += 1.0;
            } else {
                conv_c += ci;
                n_c += 1.0;
            }
        }
        let tv = chunk.f64_values("tau")?;
        tau += tv.iter().sum::<f64>();
        tau_neg += tv.iter().filter(|&&x| x < 0.0).count();
    }
    let nf = n as f64;
    println!(
        "rows {n}, treated {:.4}, visit rate {:.4}, conversion rate {:.5}",
        treated / nf,
        visits / nf,
        conv / nf
    );
    println!(
        "mean tau {:.5}, share tau<0 {:.3}, realized diff {:.5}",
        tau / nf,
        tau_neg as f64 / nf,
        conv_t / n_t - conv_c / n_c
    );
    println!("streamed in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
