//! Fits one tp-learn learner on a data set written by
//! `xtask/peers/learn_bench.py gen` and prints one JSON line with the fit
//! time and the held-out metric, for side-by-side runs against LightGBM and
//! scikit-learn.
//!
//! ```text
//! cargo run --release -p tp-learn --example learn_bench -- DATA_DIR TASK [THREADS] [TREES]
//! ```
//! TREES (default 100) is the number of boosting rounds or forest trees.
//! TASK is `gbdt` (boosting with the settings below), `rf` (random forest) or
//! `ols`. The data directory holds `meta.json` (`n`, `p`, `n_train`,
//! `kind` = `regression` | `binary`), `x.f64` (row-major, little-endian) and
//! `y.f64`; the first `n_train` rows train, the rest are the test set.

use std::time::Instant;
use tp_core::faer::Mat;
use tp_learn::{GradientBoosting, LinearRegression, RandomForestClassifier, RandomForestRegressor};

fn read_f64(path: &std::path::Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn meta_field(meta: &str, key: &str) -> String {
    let pat = format!("\"{key}\":");
    let start = meta.find(&pat).unwrap_or_else(|| panic!("meta.json has no {key}")) + pat.len();
    meta[start..].split([',', '}']).next().unwrap().trim().trim_matches('"').to_string()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(args.get(1).expect("usage: learn_bench DATA_DIR TASK [THREADS]"));
    let task = args.get(2).expect("usage: learn_bench DATA_DIR TASK [THREADS]").as_str();
    let threads: usize = args.get(3).map_or(2, |t| t.parse().expect("THREADS must be a number"));
    let trees: usize = args.get(4).map_or(100, |t| t.parse().expect("TREES must be a number"));
    let meta = std::fs::read_to_string(dir.join("meta.json")).expect("read meta.json");
    let (n, p, n_train): (usize, usize, usize) = (
        meta_field(&meta, "n").parse().unwrap(),
        meta_field(&meta, "p").parse().unwrap(),
        meta_field(&meta, "n_train").parse().unwrap(),
    );
    let binary = meta_field(&meta, "kind") == "binary";
    let xs = read_f64(&dir.join("x.f64"));
    let ys = read_f64(&dir.join("y.f64"));
    assert_eq!((xs.len(), ys.len()), (n * p, n), "x.f64 / y.f64 do not match meta.json");
    let x_train = Mat::from_fn(n_train, p, |i, j| xs[i * p + j]);
    let x_test = Mat::from_fn(n - n_train, p, |i, j| xs[(n_train + i) * p + j]);
    let (y_train, y_test) = ys.split_at(n_train);
    drop(xs);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let start = Instant::now();
    let pred = pool.install(|| match (task, binary) {
        ("gbdt", false) => {
            let m =
                GradientBoosting::regressor().n_rounds(trees).fit(x_train.as_ref(), y_train, None).unwrap();
            m.predict(x_test.as_ref()).unwrap()
        }
        ("gbdt", true) => {
            let m =
                GradientBoosting::classifier().n_rounds(trees).fit(x_train.as_ref(), y_train, None).unwrap();
            m.predict(x_test.as_ref()).unwrap()
        }
        ("rf", false) => {
            let m =
                RandomForestRegressor::params().n_trees(trees).fit(x_train.as_ref(), y_train, None).unwrap();
            m.predict(x_test.as_ref()).unwrap()
        }
        ("rf", true) => {
            let m =
                RandomForestClassifier::params().n_trees(trees).fit(x_train.as_ref(), y_train, None).unwrap();
            m.predict(x_test.as_ref()).unwrap()
        }
        ("bin", _) => {
            let mapper =
                tp_learn::tree::BinMapper::fit(x_train.as_ref(), 255, &mut tp_core::rng::stream(0, 0));
            let t = Instant::now();
            let b = mapper.transform(x_train.as_ref());
            eprintln!("transform {:.3}s, {} rows", t.elapsed().as_secs_f64(), b.n_rows());
            vec![0.0; x_test.nrows()]
        }
        ("gbdt1", _) => {
            let m = GradientBoosting::regressor().n_rounds(1).fit(x_train.as_ref(), y_train, None).unwrap();
            m.predict(x_test.as_ref()).unwrap()
        }
        ("ols", _) => LinearRegression::params()
            .fit(x_train.as_ref(), y_train, None)
            .unwrap()
            .predict(x_test.as_ref())
            .unwrap(),
        _ => panic!("unknown task {task}: expected gbdt, rf or ols"),
    });
    let fit_predict_s = start.elapsed().as_secs_f64();
    let metric = if binary {
        let ll: f64 = pred
            .iter()
            .zip(y_test)
            .map(|(&q, &y)| {
                let q = q.clamp(1e-15, 1.0 - 1e-15);
                -(y * q.ln() + (1.0 - y) * (1.0 - q).ln())
            })
            .sum::<f64>();
        ("log_loss", ll / y_test.len() as f64)
    } else {
        let mse = pred.iter().zip(y_test).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / y_test.len() as f64;
        ("rmse", mse.sqrt())
    };
    println!(
        "{{\"side\": \"tp\", \"task\": \"{task}\", \"threads\": {threads}, \"fit_predict_s\": {fit_predict_s:.4}, \"{}\": {:.6}}}",
        metric.0, metric.1
    );
}
