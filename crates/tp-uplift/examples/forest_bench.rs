//! The "ours" side of `cargo xtask bench forest`, and the scale run.
//!
//! ```text
//! forest_bench cf  DATA.csv TREES OUT.csv [OPTION...] # causal forest, OOB τ̂ of every row
//! forest_bench urf TRAIN.csv TEST.csv TREES DEPTH OUT.csv [seeds=S,..] [group=G]
//!                                                  # uplift forest (KL), uplift of the test rows
//! forest_bench scale N P TREES                     # simulated N × P causal forest, prints timings
//! forest_bench cover DATA.csv TREES SEED cf|urf [OPTION...]
//!                                                  # 90% interval coverage of the true effects
//! ```
//!
//! `cover` reads the true effects from the columns `tau` (binary) or `tau1`, `tau2`, ... of
//! DATA.csv, fits the causal forest (`cf`, defaults but the tree count, the seed and the `cf`
//! options above) or the uplift forest (`urf`: KL, depth 8, `ci_group_size` 2), and prints one JSON
//! line: per treated arm the PEHE of the out-of-bag τ̂ of every training row and the coverage and
//! mean width of their 90% intervals, for each interval kind (`variance`, `bias_aware`; the uplift forest has only its little-bags `variance`), and the forest's own
//! calibration (BLP slope, estimated variance-only coverage).
//!
//! `cf` options: `all` (mtry = p), `mtry=M`, `rule=gradient|exact`, `min_node_size=N`,
//! `honesty_fraction=F`, `sample_fraction=F`, `alpha=A`, `nuisance_trees=T`, `seed=S`,
//! `nuisances=FILE` (use the `y_hat`, `w_hat` columns of FILE as m̂ and ê),
//! `in_sample=FILE` (also write τ̂ of every row from all trees, as EconML's `effect(X)`),
//! `nuisances_out=FILE` (write the m̂ and ê the forest centered with),
//! `tune=auto|always|never` (the tuning of rule and leaf size; default auto).
//!
//! Input CSVs are numeric with a header: feature columns `x*`, the arm `w`
//! (0 = control), the outcome `y`, other columns ignored. Outputs one
//! column `tau` (or `uplift`). Prints one JSON line with the fit time.

use std::error::Error;
use std::time::Instant;

use tp_core::CausalData;
use tp_core::faer::Mat;
use tp_uplift::{CausalForest, Divergence, Intervals, SplitRule, Tuning, UpliftForest, forest_run};

type Res<T> = Result<T, Box<dyn Error>>;

#[path = "shared/sim.rs"]
mod sim;
use sim::simulate;

fn read(path: &str) -> Res<CausalData> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or(format!("{path}: empty"))?.split(',').collect();
    let xs: Vec<usize> = (0..header.len()).filter(|&j| header[j].starts_with('x')).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).ok_or(format!("{path}: no column {name}"));
    let (wj, yj) = (col("w")?, col("y")?);
    let (mut x, mut arms, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for (r, line) in lines.enumerate() {
        let v: Vec<f64> = line
            .split(',')
            .map(|s| if s.is_empty() { Ok(f64::NAN) } else { s.parse::<f64>() })
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{path} row {}: {e}", r + 1))?;
        x.extend(xs.iter().map(|&j| v[j]));
        arms.push(v[wj] as usize);
        y.push(v[yj]);
    }
    let (n, p) = (y.len(), xs.len());
    let m = Mat::from_fn(n, p, |i, j| x[i * p + j]);
    let names = xs.iter().map(|&j| header[j].to_string()).collect();
    Ok(CausalData::builder(m, names, arms, y).build()?)
}

/// `y_hat` and `w_hat` columns of a CSV (user-supplied nuisances).
fn read_nuisances(path: &str) -> Res<(Vec<f64>, Vec<f64>)> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or(format!("{path}: empty"))?.split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).ok_or(format!("{path}: no column {name}"));
    let (yj, wj) = (col("y_hat")?, col("w_hat")?);
    let (mut y, mut w) = (Vec::new(), Vec::new());
    for line in lines {
        let v: Vec<&str> = line.split(',').collect();
        y.push(v[yj].parse::<f64>()?);
        w.push(v[wj].parse::<f64>()?);
    }
    Ok((y, w))
}

fn write(path: &str, name: &str, v: &[f64]) -> Res<()> {
    write_cols(path, &[(name.to_string(), v.to_vec())])
}

/// Several named columns of equal length.
fn write_cols(path: &str, cols: &[(String, Vec<f64>)]) -> Res<()> {
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let mut s = names.join(",");
    s.push('\n');
    for i in 0..cols.first().map_or(0, |c| c.1.len()) {
        let row: Vec<String> = cols.iter().map(|(_, v)| v[i].to_string()).collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).map_err(|e| format!("{path}: {e}").into())
}

/// The true-effect columns `tau` or `tau1`, `tau2`, ... of a CSV.
fn read_truth(path: &str) -> Res<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or(format!("{path}: empty"))?.split(',').collect();
    let cols: Vec<usize> = (0..header.len()).filter(|&j| header[j].starts_with("tau")).collect();
    if cols.is_empty() {
        return Err(format!("{path}: no true-effect column (tau or tau1, tau2, ...)").into());
    }
    let mut out = vec![Vec::new(); cols.len()];
    for (r, line) in lines.enumerate() {
        let v: Vec<&str> = line.split(',').collect();
        for (o, &j) in out.iter_mut().zip(&cols) {
            o.push(v[j].parse::<f64>().map_err(|e| format!("{path} row {}: {e}", r + 1))?);
        }
    }
    Ok(out)
}

/// PEHE, coverage and mean width of intervals [lo, hi] around `tau` against `truth`.
fn scores(tau: &[f64], lo: &[f64], hi: &[f64], truth: &[f64]) -> String {
    let n = truth.len() as f64;
    let pehe = (tau.iter().zip(truth).map(|(t, u)| (t - u).powi(2)).sum::<f64>() / n).sqrt();
    let cover = (0..truth.len()).filter(|&i| lo[i] <= truth[i] && truth[i] <= hi[i]).count() as f64 / n;
    let width = hi.iter().zip(lo).map(|(h, l)| h - l).sum::<f64>() / n;
    format!("{{\"pehe\": {pehe:.5}, \"coverage\": {cover:.5}, \"width\": {width:.5}}}")
}

fn cf_params(data: &CausalData, trees: usize, opts: &[String]) -> Res<CausalForest> {
    let mut params = CausalForest::params().n_trees(trees).seed(7);
    for opt in opts {
        let (key, value) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
        let float = || value.parse::<f64>().map_err(|e| format!("{key}: {e}"));
        let int = || value.parse::<usize>().map_err(|e| format!("{key}: {e}"));
        params = match key {
            "all" => params.mtry(Some(data.p())),
            "mtry" => params.mtry(Some(int()?)),
            "min_node_size" => params.min_node_size(int()?),
            "honesty_fraction" => params.honesty_fraction(float()?),
            "sample_fraction" => params.sample_fraction(float()?),
            "alpha" => params.alpha(float()?),
            "rule" => params.split_rule(match value {
                "gradient" => SplitRule::Gradient,
                "exact" => SplitRule::Exact,
                _ => return Err(format!("rule: {value} (gradient or exact)").into()),
            }),
            "nuisance_trees" => params.nuisance_trees(int()?),
            "tune" => params.tune(match value {
                "auto" => Tuning::Auto,
                "always" => Tuning::Always,
                "never" => Tuning::Never,
                _ => return Err(format!("tune: {value} (auto, always or never)").into()),
            }),
            "seed" => params.seed(int()? as u64),
            _ => return Err(format!("unknown option {opt}").into()),
        };
    }
    Ok(params)
}

fn cover(args: &[String]) -> Res<()> {
    let path = args.get(2).ok_or("missing DATA")?;
    let data = read(path)?;
    let truth = read_truth(path)?;
    let trees = num(args, 3, "TREES")?;
    let seed = num(args, 4, "SEED")? as u64;
    let method = args.get(5).map_or("cf", String::as_str);
    let t = Instant::now();
    let mut arms = Vec::new();
    let mut extra = String::new();
    if method == "urf" {
        let model = UpliftForest::params()
            .criterion(Divergence::Kl)
            .n_trees(trees)
            .max_depth(8)
            .ci_group_size(2)
            .seed(seed)
            .fit(&data)?;
        let p = model.oob_interval(0.9)?;
        for (k, u) in truth.iter().enumerate() {
            let col = |m: &Mat<f64>| m.col(k).iter().copied().collect::<Vec<f64>>();
            // rows without an out-of-bag tree are left out of every figure
            let ok: Vec<usize> =
                (0..u.len()).filter(|&i| p.tau[(i, k)].is_finite() && p.se[(i, k)].is_finite()).collect();
            let pick = |v: Vec<f64>| ok.iter().map(|&i| v[i]).collect::<Vec<f64>>();
            let (tau, lo, hi) = (pick(col(&p.tau)), pick(col(&p.lo)), pick(col(&p.hi)));
            let truth: Vec<f64> = ok.iter().map(|&i| u[i]).collect();
            arms.push(format!(
                "{{\"rows\": {}, \"variance\": {}}}",
                ok.len(),
                scores(&tau, &lo, &hi, &truth)
            ));
        }
    } else {
        let params = cf_params(&data, trees, &args[6.min(args.len())..])?.seed(seed);
        let fit = forest_run::fit_forest(&params, &data, 0.9)?;
        if let Some(t) = fit.model.tuning() {
            let b = t.best();
            extra = format!(", \"tuned\": \"{:?} min_node_size={}\"", b.split_rule, b.min_node_size);
        }
        for (k, u) in truth.iter().enumerate() {
            let p = &fit.oob[k];
            let mut kinds = Vec::new();
            for (name, kind) in [("variance", Intervals::Variance), ("bias_aware", Intervals::BiasAware)] {
                let m = fit.model.clone().with_intervals(kind);
                let h: Vec<f64> = (0..u.len())
                    .map(|i| m.half_width(k + 1, p.tau[i], p.tau_se[i], 0.9))
                    .collect::<Result<_, _>>()?;
                let lo: Vec<f64> = p.tau.iter().zip(&h).map(|(t, h)| t - h).collect();
                let hi: Vec<f64> = p.tau.iter().zip(&h).map(|(t, h)| t + h).collect();
                kinds.push(format!("\"{name}\": {}", scores(&p.tau, &lo, &hi, u)));
            }
            let c = fit.model.calibration()[k];
            kinds.push(format!(
                "\"calibration\": {{\"slope\": {:.4}, \"slope_se\": {:.4}, \"mean_bias_sq\": {:.6}, \"mean_var\": {:.6}, \"variance_coverage_90\": {:.4}}}",
                c.slope, c.slope_se, c.mean_bias_sq, c.mean_var, c.variance_coverage_90
            ));
            arms.push(format!("{{\"rows\": {}, {}}}", u.len(), kinds.join(", ")));
        }
    }
    let fit_s = t.elapsed().as_secs_f64();
    println!("{{\"n\": {}, \"fit_s\": {fit_s:.2}{extra}, \"arms\": [{}]}}", data.n(), arms.join(", "));
    Ok(())
}

fn num(args: &[String], i: usize, what: &str) -> Res<usize> {
    args.get(i).ok_or(format!("missing {what}"))?.parse().map_err(|e| format!("{what}: {e}").into())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("cover") => cover(&args)?,
        Some("cf") => {
            let data = read(&args[2])?;
            let trees = num(&args, 3, "TREES")?;
            let t = Instant::now();
            // mtry: "all" features (EconML's default max_features) or the grf default
            let mut params = CausalForest::params().n_trees(trees).seed(7);
            let (mut in_sample, mut nuisances_out) = (None, None);
            for opt in &args[5.min(args.len())..] {
                let (key, value) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
                let float = || value.parse::<f64>().map_err(|e| format!("{key}: {e}"));
                let int = || value.parse::<usize>().map_err(|e| format!("{key}: {e}"));
                params = match key {
                    "all" => params.mtry(Some(data.p())),
                    "mtry" => params.mtry(Some(int()?)),
                    "min_node_size" => params.min_node_size(int()?),
                    "honesty_fraction" => params.honesty_fraction(float()?),
                    "sample_fraction" => params.sample_fraction(float()?),
                    "alpha" => params.alpha(float()?),
                    "rule" => params.split_rule(match value {
                        "gradient" => SplitRule::Gradient,
                        "exact" => SplitRule::Exact,
                        _ => return Err(format!("rule: {value} (gradient or exact)").into()),
                    }),
                    "nuisance_trees" => params.nuisance_trees(int()?),
                    "tune" => params.tune(match value {
                        "auto" => Tuning::Auto,
                        "always" => Tuning::Always,
                        "never" => Tuning::Never,
                        _ => return Err(format!("tune: {value} (auto, always or never)").into()),
                    }),
                    "seed" => params.seed(int()? as u64),
                    "nuisances" => {
                        let (y_hat, w_hat) = read_nuisances(value)?;
                        params.y_hat(y_hat).w_hat(w_hat)
                    }
                    "in_sample" => {
                        in_sample = Some(value.to_string());
                        params
                    }
                    "nuisances_out" => {
                        nuisances_out = Some(value.to_string());
                        params
                    }
                    _ => return Err(format!("unknown option {opt}").into()),
                };
            }
            let model = params.fit(&data)?;
            let fit_s = t.elapsed().as_secs_f64();
            write(&args[4], "tau", model.oob_predict().0)?;
            if let Some(path) = in_sample {
                write(&path, "tau", &model.predict(data.covariates())?.0)?;
            }
            if let Some(path) = nuisances_out {
                let (y_hat, w_hat) = model.nuisances();
                let mut s = String::from("y_hat,w_hat\n");
                for (y, w) in y_hat.iter().zip(w_hat) {
                    s.push_str(&format!("{y},{w}\n"));
                }
                std::fs::write(&path, s).map_err(|e| format!("{path}: {e}"))?;
            }
            let (ate, se) = model.ate();
            let tuned = model.tuning().map_or("none".to_string(), |t| {
                let b = t.best();
                format!("{:?} min_node_size={}", b.split_rule, b.min_node_size)
            });
            println!(
                "{{\"fit_s\": {fit_s:.3}, \"ate\": {ate}, \"ate_se\": {se}, \"tree_mb\": {:.1}, \"tuned\": \"{tuned}\"}}",
                model.tree_bytes() as f64 / 1e6
            );
            if let Some(t) = model.tuning() {
                for c in &t.candidates {
                    eprintln!(
                        "tune {:?} min_node_size={} loss={:.5} se={:.5} rows={}",
                        c.split_rule, c.min_node_size, c.loss, c.se, c.rows
                    );
                }
            }
        }
        Some("urf") => {
            let (train, test) = (read(&args[2])?, read(&args[3])?);
            let (trees, depth) = (num(&args, 4, "TREES")?, num(&args, 5, "DEPTH")?);
            // options: seeds=1,2,3 (one fit and one `uplift_s<seed>` column per seed; default one
            // fit at seed 7 written as `uplift`), group=G (ci_group_size; 1 = bootstrap of all rows)
            let (mut seeds, mut group) = (None, 2);
            for opt in &args[7.min(args.len())..] {
                match opt.split_once('=') {
                    Some(("seeds", v)) => {
                        seeds = Some(v.split(',').map(str::parse::<u64>).collect::<Result<Vec<_>, _>>()?)
                    }
                    Some(("group", v)) => group = v.parse()?,
                    _ => return Err(format!("unknown urf option {opt}").into()),
                }
            }
            let t = Instant::now();
            let mut cols = Vec::new();
            for &seed in seeds.as_deref().unwrap_or(&[7]) {
                let model = UpliftForest::params()
                    .criterion(Divergence::Kl)
                    .n_trees(trees)
                    .max_depth(depth)
                    .ci_group_size(group)
                    .seed(seed)
                    .fit(&train)?;
                let u = model.predict(test.covariates())?;
                let name = if seeds.is_some() { format!("uplift_s{seed}") } else { "uplift".into() };
                cols.push((name, u.col(0).iter().copied().collect::<Vec<_>>()));
            }
            let fit_s = t.elapsed().as_secs_f64();
            write_cols(&args[6], &cols)?;
            println!("{{\"fit_s\": {fit_s:.3}, \"fits\": {}}}", cols.len());
        }
        Some("scale") => {
            let (n, p, trees) = (num(&args, 2, "N")?, num(&args, 3, "P")?, num(&args, 4, "TREES")?);
            let t = Instant::now();
            let data = simulate(n, p)?;
            let sim_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let model = CausalForest::params().n_trees(trees).seed(7).fit(&data)?;
            let fit_s = t.elapsed().as_secs_f64();
            let (ate, se) = model.ate();
            println!(
                "{{\"n\": {n}, \"p\": {p}, \"trees\": {trees}, \"simulate_s\": {sim_s:.1}, \"fit_s\": {fit_s:.1}, \"ate\": {ate:.4}, \"ate_se\": {se:.4}, \"tree_mb\": {:.0}}}",
                model.tree_bytes() as f64 / 1e6
            );
        }
        _ => {
            return Err(
                "usage: forest_bench cf DATA TREES OUT [OPTION...] | urf TRAIN TEST TREES DEPTH OUT [seeds=..] [group=G] | scale N P TREES | cover DATA TREES SEED cf|urf [OPTION...]"
                    .into(),
            );
        }
    }
    Ok(())
}
