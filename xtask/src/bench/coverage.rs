//! `cargo xtask bench coverage [--quick] [--econml] [--no-append]`: do the forests' 90% intervals
//! hold the true effect 90% of the time?
//!
//! Data with known effects (`xtask/peers/coverage_prepare.py`): ACIC 2016 settings 1–5 (4,802 rows,
//! the data fixed, the forest's seed varied) and simulated worlds at n = 2,500 and 10,000 (the
//! forest tests' linear, sigmoid and 3-arm designs, tp-sim's retail and criteo presets, and the
//! uplift forest's randomized binary world), several seeds each. Ours is the `cover` mode of
//! tp-uplift's `forest_bench` example (500 trees, defaults otherwise): coverage of the out-of-bag
//! 90% intervals of every training row, their mean width and the PEHE, for the variance-only and
//! the bias-aware intervals. EconML's `CausalForestDML` figures come from
//! `xtask/peers/coverage_econml.json`, written by `coverage_econml.py` (minutes per case on two
//! cores, so only `--econml` reruns it, on seed 1 of each case).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use super::report;

/// Trees per forest (ours and EconML's).
const TREES: usize = 500;
/// Interval kinds reported by `forest_bench cover` for the causal forest.
const KINDS: [&str; 2] = ["variance", "bias_aware"];

/// One data set: kind (see coverage_prepare.py), rows, seeds, method (`cf` or `urf`).
struct Spec {
    kind: &'static str,
    n: usize,
    seeds: Vec<u64>,
    method: &'static str,
}

fn specs(quick: bool) -> Vec<Spec> {
    let seeds: Vec<u64> = if quick { vec![1] } else { vec![1, 2, 3] };
    let sizes: &[usize] = if quick { &[2_500] } else { &[2_500, 10_000] };
    let mut out = Vec::new();
    for s in 1..=5 {
        let kind: &'static str = ["acic1", "acic2", "acic3", "acic4", "acic5"][s - 1];
        out.push(Spec { kind, n: 4_802, seeds: seeds.clone(), method: "cf" });
    }
    for &n in sizes {
        for kind in ["linear", "sigmoid", "arms3", "retail", "criteo"] {
            // the retail preset is calibrated at 2,500 households (10,000 write ~1 GB of events)
            if kind == "retail" && n > 2_500 {
                continue;
            }
            out.push(Spec { kind, n, seeds: seeds.clone(), method: "cf" });
        }
        out.push(Spec { kind: "urf", n, seeds: seeds.clone(), method: "urf" });
    }
    out
}

/// Entry point (`args` after `coverage`).
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let (mut quick, mut econml, mut append) = (false, false, true);
    for a in args {
        match a.as_str() {
            "--quick" => quick = true,
            "--econml" => econml = true,
            "--no-append" => append = false,
            other => bail!(
                "unknown argument `{other}`\nusage: cargo xtask bench coverage [--quick] [--econml] [--no-append]"
            ),
        }
    }
    let mut reqs = vec!["numpy==2.4.6", "pandas==3.1.1"];
    if econml {
        reqs.extend(["scikit-learn==1.9.1", "econml==0.17.0"]);
    }
    let python = crate::venv::ensure(root, &reqs, "bench")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for build in [
        vec!["build", "--release", "-p", "tp-cli"],
        vec!["build", "--release", "-p", "tp-uplift", "--example", "forest_bench"],
    ] {
        eprintln!("==> bench coverage: cargo {}", build.join(" "));
        let ok =
            Command::new(&cargo).args(&build).current_dir(root).status().context("could not run cargo")?;
        if !ok.success() {
            bail!("cargo {} failed", build.join(" "));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let (tp, bench) = (target.join("release/tp"), target.join("release/examples/forest_bench"));
    let peers = root.join("xtask/peers");
    let out = root.join("bench-out/coverage");
    fs::create_dir_all(&out).with_context(|| format!("could not create {}", out.display()))?;
    let econml_file = peers.join("coverage_econml.json");

    let date = report::now();
    let load = report::load();
    let specs = specs(quick);
    if econml {
        let cases: Vec<String> = specs
            .iter()
            .filter(|s| s.method == "cf")
            .map(|s| format!("{}:{}:{}", s.kind, s.n, s.seeds[0]))
            .collect();
        eprintln!("==> bench coverage: EconML on {} cases", cases.len());
        let ok = Command::new(&python)
            .arg(peers.join("coverage_econml.py"))
            .arg(&econml_file)
            .arg(TREES.to_string())
            .arg(&tp)
            .args(&cases)
            .env("OMP_WAIT_POLICY", "PASSIVE")
            .status()
            .context("could not run coverage_econml.py")?;
        if !ok.success() {
            bail!("coverage_econml.py failed");
        }
    }
    let peer: Value = match fs::read_to_string(&econml_file) {
        Ok(text) => {
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", econml_file.display()))?
        }
        Err(_) => Value::Null,
    };

    let mut rows = Vec::new();
    for spec in &specs {
        let mut runs = Vec::new();
        for &seed in &spec.seeds {
            let data = out.join(format!("{}-{}-{seed}.csv", spec.kind, spec.n));
            let ok = Command::new(&python)
                .arg(peers.join("coverage_prepare.py"))
                .args([spec.kind, &spec.n.to_string(), &seed.to_string()])
                .arg(&data)
                .arg(&tp)
                .status()
                .context("could not run coverage_prepare.py")?;
            if !ok.success() {
                bail!("coverage_prepare.py {} {} {seed} failed", spec.kind, spec.n);
            }
            eprintln!("==> bench coverage: {} n={} seed={seed} ({})", spec.kind, spec.n, spec.method);
            let output = Command::new(&bench)
                .arg("cover")
                .arg(&data)
                .args([&TREES.to_string(), &seed.to_string(), spec.method])
                .env("OMP_WAIT_POLICY", "PASSIVE")
                .output()
                .context("could not run forest_bench")?;
            if !output.status.success() {
                bail!(
                    "forest_bench cover {} failed: {}",
                    data.display(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            let text = String::from_utf8_lossy(&output.stdout);
            let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            let v: Value =
                serde_json::from_str(line).with_context(|| format!("forest_bench printed {text:?}"))?;
            eprintln!("    {line}");
            runs.push(v);
        }
        rows.push(summarize(spec, &runs, &peer));
    }
    let table = table(&rows);
    let command = std::iter::once("cargo xtask bench coverage")
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>();
    let section = format!(
        "\n## {date}: `{}`\n\n- command: `{}`\n- machine: {}\n- load: {load}\n- forests: {TREES} trees, defaults otherwise; \
         ours out-of-bag on every training row, EconML `effect_interval(X)` in-sample (file `xtask/peers/coverage_econml.json`, seed 1)\n\n{table}",
        command.join(" "),
        command.join(" "),
        report::machine(),
    );
    println!("{section}");
    if append {
        let path = root.join("docs/benchmarks.md");
        let mut text = fs::read_to_string(&path)
            .with_context(|| format!("could not read {} (restore it with git)", path.display()))?;
        text.push_str(&section);
        fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
        eprintln!("==> bench coverage: appended to {}", path.display());
    }
    Ok(())
}

/// Per data set: mean over seeds and arms of each figure.
struct Summary {
    label: String,
    runs: usize,
    /// kind → (coverage, width, PEHE)
    ours: BTreeMap<&'static str, (f64, f64, f64)>,
    slope: f64,
    est_cover: f64,
    econml: Option<(f64, f64, f64)>,
}

fn summarize(spec: &Spec, runs: &[Value], peer: &Value) -> Summary {
    let kinds: &[&'static str] = if spec.method == "urf" { &["variance"] } else { &KINDS };
    let mut ours = BTreeMap::new();
    let arms = |v: &Value| v["arms"].as_array().cloned().unwrap_or_default();
    for &kind in kinds {
        let (mut c, mut w, mut p, mut k) = (0.0, 0.0, 0.0, 0.0);
        for a in runs.iter().flat_map(arms) {
            c += a[kind]["coverage"].as_f64().unwrap_or(f64::NAN);
            w += a[kind]["width"].as_f64().unwrap_or(f64::NAN);
            p += a[kind]["pehe"].as_f64().unwrap_or(f64::NAN);
            k += 1.0;
        }
        ours.insert(kind, (c / k, w / k, p / k));
    }
    let mean_of = |f: &dyn Fn(&Value) -> Option<f64>| {
        let v: Vec<f64> = runs.iter().flat_map(arms).filter_map(|a| f(&a)).collect();
        if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
    };
    let slope = mean_of(&|a| a["calibration"]["slope"].as_f64());
    let est_cover = mean_of(&|a| a["calibration"]["variance_coverage_90"].as_f64());
    let n = runs.first().and_then(|v| v["n"].as_u64()).unwrap_or(spec.n as u64);
    let econml = peer
        .as_object()
        .and_then(|m| m.get(&format!("{} {n} {}", spec.kind, spec.seeds[0])))
        .and_then(|e| e["arms"].as_array())
        .map(|a| {
            let k = a.len() as f64;
            let f = |key: &str| a.iter().map(|x| x[key].as_f64().unwrap_or(f64::NAN)).sum::<f64>() / k;
            (f("coverage"), f("width"), f("pehe"))
        });
    let method = if spec.method == "urf" {
        "uplift forest"
    } else if spec.kind == "arms3" {
        "causal forest, 3 arms"
    } else {
        "causal forest"
    };
    Summary {
        label: format!("{} ({method}) | {}", spec.kind, report::thousands(n)),
        runs: runs.len(),
        ours,
        slope,
        est_cover,
        econml,
    }
}

fn table(rows: &[Summary]) -> String {
    let mut s = String::from(
        "| data (method) | n | seeds | variance-only: coverage / width | bias-aware: coverage / width | PEHE | BLP slope | est. variance-only coverage | EconML coverage / width / PEHE |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let cw =
        |x: Option<&(f64, f64, f64)>| x.map_or("—".to_string(), |(c, w, _)| format!("{c:.3} / {w:.3}"));
    let (mut tot, mut cnt) = ([0.0; 2], 0.0);
    let mut econ = (0.0, 0.0);
    for r in rows {
        let pehe = r.ours.get("variance").map_or(f64::NAN, |x| x.2);
        let fmt = |v: f64| if v.is_finite() { format!("{v:.3}") } else { "—".into() };
        let peer = r.econml.map_or("—".to_string(), |(c, w, p)| format!("{c:.3} / {w:.3} / {p:.3}"));
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {peer} |\n",
            r.label,
            r.runs,
            cw(r.ours.get("variance")),
            cw(r.ours.get("bias_aware")),
            fmt(pehe),
            fmt(r.slope),
            fmt(r.est_cover),
        ));
        if r.ours.contains_key("bias_aware") {
            for (t, k) in tot.iter_mut().zip(KINDS) {
                *t += r.ours[k].0;
            }
            cnt += 1.0;
            if let Some((c, _, _)) = r.econml {
                econ.0 += c;
                econ.1 += 1.0;
            }
        }
    }
    s.push_str(&format!(
        "\nMean coverage over the {cnt} causal-forest rows: variance-only {:.3}, bias-aware {:.3}; \
         EconML {} over the {} rows it ran.\n",
        tot[0] / cnt,
        tot[1] / cnt,
        if econ.1 > 0.0 { format!("{:.3}", econ.0 / econ.1) } else { "—".into() },
        econ.1
    ));
    s
}
