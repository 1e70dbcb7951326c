//! tp-segment's side of `cargo xtask bench segment`: the same `.npy` inputs as
//! `xtask/peers/segment_peer.py` (which also writes them), one fit per process,
//! a JSON result file with the fit-only seconds next to the quality figure.
//!
//! ```text
//! segment_bench kmeans X.npy --k 8 [--init C.npy] [--n-init N] [--seed S] [--algorithm hamerly|lloyd] --out R.json
//! segment_bench nmf X.npy --k 6 [--target T | --target-from PEER.json] [--solver cd|mu] [--loss frobenius|kl]
//!                            [--tol T] [--max-iter N] --out R.json
//! segment_bench gemm [--rows 20000] [--cols 300] [--k 6] --out R.json
//! segment_bench layouts
//! ```
//!
//! `nmf --target-from PEER.json` reads scikit-learn's `objective` from the peer's
//! result and stops as soon as ours is ≤ that × 1.001 (`--target` gives the
//! bound directly): the time to reach the same objective.

mod bench_data;
mod layouts;
mod npy;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use std::collections::HashMap;
use std::time::Instant;
use tp_segment::{Algorithm, KMeans, Loss, Nmf, Solver};

type Res<T> = Result<T, String>;

struct Args {
    positional: Vec<String>,
    flags: HashMap<String, String>,
}

impl Args {
    fn parse() -> Self {
        let mut positional = Vec::new();
        let mut flags = HashMap::new();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                flags.insert(name.to_string(), it.next().unwrap_or_default());
            } else {
                positional.push(a);
            }
        }
        Self { positional, flags }
    }
    fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Res<T> {
        match self.flags.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name} {v}: not a valid value")),
        }
    }
    fn text(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }
    fn out(&self) -> Res<&str> {
        self.text("out").ok_or_else(|| "--out R.json is required".to_string())
    }
    fn data(&self) -> Res<npy::Npy> {
        npy::read(self.positional.get(1).ok_or("the input .npy path is missing")?)
    }
}

fn write(path: &str, json: &str) -> Res<()> {
    std::fs::write(path, format!("{json}\n")).map_err(|e| format!("could not write {path}: {e}"))
}

fn kmeans(a: &Args) -> Res<()> {
    let x = a.data()?;
    let k = a.get("k", 8usize)?;
    let algorithm = match a.text("algorithm").unwrap_or("hamerly") {
        "lloyd" => Algorithm::Lloyd,
        "hamerly" => Algorithm::Hamerly,
        other => return Err(format!("--algorithm {other}: use hamerly or lloyd")),
    };
    let params =
        KMeans::params(k).algorithm(algorithm).seed(a.get("seed", 0u64)?).n_init(a.get("n-init", 1)?);
    let init = a.text("init").map(npy::read).transpose()?;
    let t = Instant::now();
    let fit = match &init {
        Some(c) => params.fit_from_centers(x.view(), c.view(), None),
        None => params.fit(x.view()),
    }
    .map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    write(
        a.out()?,
        &format!(
            "{{\"side\":\"tp-segment\",\"fit_seconds\":{secs},\"inertia\":{},\"n_iter\":{}}}",
            fit.inertia(),
            fit.diagnostics().n_iter
        ),
    )
}

fn nmf(a: &Args) -> Res<()> {
    let x = a.data()?;
    let k = a.get("k", 6usize)?;
    let solver = match a.text("solver").unwrap_or("cd") {
        "cd" => Solver::Cd,
        "mu" => Solver::Mu,
        other => return Err(format!("--solver {other}: use cd or mu")),
    };
    let loss = match a.text("loss").unwrap_or("frobenius") {
        "frobenius" => Loss::Frobenius,
        "kl" => Loss::KullbackLeibler,
        other => return Err(format!("--loss {other}: use frobenius or kl")),
    };
    let target = match (a.text("target"), a.text("target-from")) {
        (Some(_), _) => Some(a.get("target", 0.0)?),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {path}: {e}"))?;
            let key = "\"objective\":";
            let at = text.find(key).ok_or_else(|| format!("{path} has no objective"))?;
            let rest = &text[at + key.len()..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            let peer: f64 = rest[..end].trim().parse().map_err(|_| format!("{path}: bad objective"))?;
            Some(peer * 1.001)
        }
        (None, None) => None,
    };
    let mut params =
        Nmf::params(k).solver(solver).loss(loss).tol(a.get("tol", 1e-5)?).max_iter(a.get("max-iter", 1000)?);
    if let Some(t) = target {
        params = params.target_objective(t);
    }
    let t = Instant::now();
    let fit = params.fit(x.view()).map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    let d = fit.diagnostics();
    let (n, m) = (x.rows, x.cols);
    // the loop's GEMMs per iteration. Frobenius: HXᵀ and WᵀX (2nmk each), HHᵀ and WᵀW (2mk², 2nk²);
    // KL: WH twice, (X/WH)Hᵀ and Wᵀ(X/WH) (2nmk each; the loss passes every 10 iterations not counted)
    let per_iter = match loss {
        Loss::KullbackLeibler => 8.0 * (n * m * k) as f64,
        _ => 4.0 * (n * m * k) as f64 + 2.0 * ((n + m) * k * k) as f64,
    };
    let flops = d.n_iter as f64 * per_iter;
    write(
        a.out()?,
        &format!(
            "{{\"side\":\"tp-segment\",\"fit_seconds\":{secs},\"loop_seconds\":{},\"objective\":{},\
             \"target\":{},\"n_iter\":{},\"loop_gflops\":{}}}",
            d.loop_seconds,
            d.objective,
            target.map_or("null".into(), |t| t.to_string()),
            d.n_iter,
            flops / d.loop_seconds.max(1e-9) / 1e9
        ),
    )
}

/// faer's plain GEMM rate on the NMF loop's shapes (XHᵀ: n × m times m × k; WᵀX: k × n times n × m).
fn gemm(a: &Args) -> Res<()> {
    let (n, m, k) = (a.get("rows", 20_000usize)?, a.get("cols", 300usize)?, a.get("k", 6usize)?);
    let x = Mat::from_fn(n, m, |i, j| ((i * 7 + j * 3) % 13) as f64);
    let h = Mat::from_fn(m, k, |i, j| ((i * 5 + j) % 11) as f64);
    let wt = Mat::from_fn(k, n, |i, j| ((i * 5 + j) % 11) as f64);
    let mut xh = Mat::<f64>::zeros(n, k);
    let mut wx = Mat::<f64>::zeros(k, m);
    let par = Par::rayon(0);
    let rate = |f: &mut dyn FnMut()| {
        f();
        let reps = 30;
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        2.0 * (n * m * k * reps) as f64 / t.elapsed().as_secs_f64() / 1e9
    };
    let xht = rate(&mut || matmul(xh.as_mut(), Accum::Replace, x.as_ref(), h.as_ref(), 1.0, par));
    let wtx = rate(&mut || matmul(wx.as_mut(), Accum::Replace, wt.as_ref(), x.as_ref(), 1.0, par));
    let sq = 1000;
    let (p, q) = (
        Mat::from_fn(sq, sq, |i, j| ((i + j) % 7) as f64),
        Mat::from_fn(sq, sq, |i, j| ((i * j) % 5) as f64),
    );
    let mut r = Mat::<f64>::zeros(sq, sq);
    matmul(r.as_mut(), Accum::Replace, p.as_ref(), q.as_ref(), 1.0, par);
    let t = Instant::now();
    matmul(r.as_mut(), Accum::Replace, p.as_ref(), q.as_ref(), 1.0, par);
    let square = 2.0 * (sq * sq * sq) as f64 / t.elapsed().as_secs_f64() / 1e9;
    write(
        a.out()?,
        &format!(
            "{{\"side\":\"tp-segment\",\"xht_gflops\":{xht},\"wtx_gflops\":{wtx},\"square_{sq}_gflops\":{square}}}"
        ),
    )
}

fn main() {
    let args = Args::parse();
    let result = match args.positional.first().map(String::as_str) {
        Some("kmeans") => kmeans(&args),
        Some("nmf") => nmf(&args),
        Some("gemm") => gemm(&args),
        Some("layouts") => {
            layouts::run();
            Ok(())
        }
        Some("scores") => {
            layouts::scores();
            Ok(())
        }
        Some("fused") => {
            layouts::fused();
            Ok(())
        }
        _ => Err("usage: segment_bench kmeans|nmf|gemm|layouts ... (see the example's doc)".into()),
    };
    if let Err(e) = result {
        eprintln!("segment_bench: {e}");
        std::process::exit(2);
    }
}
