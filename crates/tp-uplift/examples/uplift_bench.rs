//! Fits one CATE meta-learner on a data set written by
//! `xtask/peers/uplift_bench.py gen`, predicts τ̂ on the same rows and writes
//! it, for side-by-side runs against causalml and EconML
//! (`cargo xtask bench uplift`; `uplift_bench.py score` computes PEHE and ATE
//! bias for both sides).
//!
//! ```text
//! cargo run --release -p tp-uplift --example uplift_bench -- DATA_DIR METHOD OUT [LEARNER]
//! ```
//! METHOD is `s`, `t`, `x`, `r` or `dr`; LEARNER is `gbt` (default), `rf`
//! or `linear` (outcome, effect and propensity learners of that family,
//! tp-learn defaults). R and DR get 5-fold cross-fitted nuisances; S, T and
//! X fit their stages on all rows (as `tp uplift` does). DATA_DIR holds
//! `meta.json` (`n`, `p`) and little-endian f64 files `x.f64` (row-major),
//! `w.f64` (0/1) and `y.f64`; τ̂ is written to OUT the same way. Prints one
//! JSON line: method, learner, `fit_predict_s` (excluding reading the data)
//! and the mean of τ̂.

use std::path::Path;
use std::time::Instant;
use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_uplift::{LearnerKind, Method, crossfit_nuisances, meta::fit_cate};

const SEED: u64 = 7;
const USAGE: &str = "usage: uplift_bench DATA_DIR s|t|x|r|dr OUT [gbt|rf|linear]";

fn read_f64(path: &Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn meta_field(meta: &str, key: &str) -> usize {
    let pat = format!("\"{key}\":");
    let start = meta.find(&pat).unwrap_or_else(|| panic!("meta.json has no {key}")) + pat.len();
    meta[start..].split([',', '}']).next().unwrap().trim().parse().expect("a count in meta.json")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let dir = Path::new(&args[1]);
    let method: Method = args[2].parse().unwrap_or_else(|e| panic!("{e}\n{USAGE}"));
    let out = Path::new(&args[3]);
    let learner = args.get(4).map_or("gbt", String::as_str);
    let kind = match learner {
        "gbt" => LearnerKind::Gbt,
        "rf" => LearnerKind::Rf,
        "linear" => LearnerKind::Linear,
        other => panic!("unknown learner {other}\n{USAGE}"),
    };
    let meta = std::fs::read_to_string(dir.join("meta.json")).expect("read meta.json");
    let (n, p) = (meta_field(&meta, "n"), meta_field(&meta, "p"));
    let xs = read_f64(&dir.join("x.f64"));
    let w = read_f64(&dir.join("w.f64"));
    let y = read_f64(&dir.join("y.f64"));
    assert_eq!((xs.len(), w.len(), y.len()), (n * p, n, n), "data files do not match meta.json");
    let x = Mat::from_fn(n, p, |i, j| xs[i * p + j]);
    drop(xs);
    let arms: Vec<usize> = w.iter().map(|&v| usize::from(v == 1.0)).collect();
    let names = (0..p).map(|j| format!("x{j}")).collect();
    let data = CausalData::builder(x, names, arms, y).build().expect("valid data");

    let start = Instant::now();
    let (outcome, propensity) = (kind.regressor(), kind.classifier());
    let nuisances = if method.needs_nuisances() {
        Some(crossfit_nuisances(&data, &outcome, &propensity, 5, 0.01, SEED).expect("nuisances"))
    } else {
        None
    };
    let params = serde_json::json!({ "method": method, "learner": learner });
    let model = fit_cate(method, &data, nuisances.as_ref(), &outcome, &outcome, &propensity, 0, SEED, params)
        .expect("fit");
    let tau = model.predict(data.covariates()).expect("predict");
    let seconds = start.elapsed().as_secs_f64();

    let bytes: Vec<u8> = (0..n).flat_map(|i| tau[(i, 0)].to_le_bytes()).collect();
    std::fs::write(out, bytes).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    let mean = (0..n).map(|i| tau[(i, 0)]).sum::<f64>() / n as f64;
    println!(
        "{}",
        serde_json::json!({
            "learner": format!("tp-uplift {method:?} ({learner})"),
            "fit_predict_s": seconds,
            "n": n,
            "mean_tau": mean,
        })
    );
}
