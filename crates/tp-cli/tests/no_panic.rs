//! No input makes `tp` panic (exit code 101): saved models, a saved profile
//! state and the data files are truncated and bit-flipped at many offsets,
//! and every run of the binary must end with 0 (the damage was harmless) or
//! 2 (bad input, with a message), never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tp_core::{Column, Table};

fn tp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tp")).args(args).output().expect("failed to start tp")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A randomized campaign: id, x1, x2 on [−1, 1], arm, a 0/1 outcome `y`
/// whose rate rises with x1 when treated (64-bit LCG, no RNG crate).
fn campaign(n: usize) -> Table {
    let mut state = 77u64;
    let mut unif = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let (mut x1, mut x2, mut arm, mut y) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let (a, b, t) = (unif() * 2.0 - 1.0, unif() * 2.0 - 1.0, unif() < 0.5);
        let rate = 0.3 + 0.1 * b + if t && a > 0.0 { 0.3 } else { 0.0 };
        x1.push(a);
        x2.push(b);
        arm.push(if t { "treated" } else { "control" }.to_string());
        y.push(i64::from(unif() < rate));
    }
    Table::new(vec![
        Column::i64("id", (0..n as i64).collect()),
        Column::f64("x1", x1),
        Column::f64("x2", x2),
        Column::str("arm", arm),
        Column::i64("y", y),
    ])
    .unwrap()
}

/// Offsets spread over a file of `len` bytes: the first and last 8 bytes
/// and `spread` more evenly between them.
fn offsets(len: usize, spread: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..8.min(len)).chain(len.saturating_sub(8)..len).collect();
    v.extend((1..spread).map(|k| k * len / spread));
    v.sort_unstable();
    v.dedup();
    v
}

/// Damaged copies of `bytes`: truncated at each offset, and with one bit
/// flipped at each offset (the bit cycles with the offset).
fn damaged(bytes: &[u8], spread: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for at in offsets(bytes.len(), spread) {
        out.push((format!("truncated to {at} bytes"), bytes[..at].to_vec()));
        let mut b = bytes.to_vec();
        b[at] ^= 1 << (at % 8);
        out.push((format!("bit {} flipped at byte {at}", at % 8), b));
    }
    out
}

/// Runs `args(path)` on every damaged copy of `file` written to `path`;
/// counts the runs that succeeded and fails on any exit code but 0 and 2.
fn never_panics(
    file: &Path,
    into: &Path,
    spread: usize,
    args: impl Fn(&Path) -> Vec<String>,
) -> (usize, usize) {
    let bytes = std::fs::read(file).unwrap();
    let (mut runs, mut passed) = (0, 0);
    for (what, b) in damaged(&bytes, spread) {
        std::fs::write(into, &b).unwrap();
        let a = args(into);
        let out = tp(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(2),
            "{} {what}: exit {code:?} running tp {}\n{err}",
            file.display(),
            a.join(" ")
        );
        assert!(!err.contains("panicked"), "{} {what}: {err}", file.display());
        if code == Some(2) {
            assert!(!err.trim().is_empty(), "{} {what}: exit 2 without a message", file.display());
        }
        runs += 1;
        passed += usize::from(code == Some(0));
    }
    (runs, passed)
}

#[test]
fn damaged_models_states_and_inputs_never_make_tp_panic() {
    let d = std::env::temp_dir().join(format!("tp-no-panic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let data = d.join("campaign.csv");
    tp_io::write_table(&data, &campaign(400)).unwrap();
    let parquet = d.join("campaign.parquet");
    tp_io::write_table(&parquet, &campaign(400)).unwrap();
    // the three saved-model formats: base learners, causal forest, uplift forest
    let models: Vec<(&str, PathBuf)> = vec![
        ("t", d.join("t.json")),
        ("causal-forest", d.join("cf.json")),
        ("uplift-forest", d.join("uf.json")),
    ];
    for (method, path) in &models {
        let mut args = vec!["uplift", "--data", s(&data), "--treatment", "arm", "--outcome", "y"];
        args.extend(["--covariates", "x1,x2", "--method", method, "--seed", "1"]);
        if *method != "t" {
            args.extend(["--trees", "8"]);
        }
        let cate = d.join(format!("cate-{method}.csv"));
        args.extend(["--out", s(&cate), "--save-model", s(path)]);
        ok(&tp(&args));
    }
    let scored = d.join("scored.csv");
    let score = |model: &Path, data: &Path| -> Vec<String> {
        ["score", "--model", s(model), "--data", s(data), "--id-col", "id", "--out", s(&scored)]
            .map(String::from)
            .to_vec()
    };
    let mut report = Vec::new();
    for (method, path) in &models {
        let into = d.join(format!("damaged-{method}.json"));
        let (runs, passed) = never_panics(path, &into, 40, |m| score(m, &data));
        report.push(format!("{method} model: {runs} runs, {passed} exit 0"));
    }
    // the inputs tp score reads, CSV and Parquet
    let model = &models[0].1;
    for (name, file) in [("csv", &data), ("parquet", &parquet)] {
        let into = d.join(format!("damaged.{name}"));
        let (runs, passed) = never_panics(file, &into, 40, |f| score(model, f));
        report.push(format!("{name} input: {runs} runs, {passed} exit 0"));
    }
    // a saved profile state, read by tp profile --state
    let sim = d.join("world");
    ok(&tp(&["simulate", "--preset", "retail", "--customers", "100", "--seed", "2", "--out", s(&sim)]));
    let (events, catalog, state) = (sim.join("events.csv"), sim.join("catalog.csv"), d.join("state.json"));
    let profiles = d.join("profiles.csv");
    ok(&tp(&[
        "profile",
        "--events",
        s(&events),
        "--catalog",
        s(&catalog),
        "--out",
        s(&profiles),
        "--save-state",
        s(&state),
    ]));
    let into = d.join("damaged-state.json");
    let (runs, passed) = never_panics(&state, &into, 40, |st| {
        ["profile", "--events", s(&events), "--catalog", s(&catalog), "--state", s(st), "--out", s(&profiles)]
            .map(String::from)
            .to_vec()
    });
    report.push(format!("profile state: {runs} runs, {passed} exit 0"));
    // and the events themselves
    let into = d.join("damaged-events.csv");
    let (runs, passed) = never_panics(&events, &into, 40, |ev| {
        ["profile", "--events", s(ev), "--catalog", s(&catalog), "--out", s(&profiles)]
            .map(String::from)
            .to_vec()
    });
    report.push(format!("events: {runs} runs, {passed} exit 0"));
    eprintln!("{}", report.join("\n"));
    std::fs::remove_dir_all(&d).unwrap();
}

/// The damaged Parquet file the fuzzer found (`fuzz/regressions/parquet_reader/`, kept in tp-io's
/// test data): the `parquet` crate panics inside its RLE decoder on it, in every build; `tp` must
/// exit 2 with one line naming the file, and print no panic.
#[test]
fn the_fuzzers_damaged_parquet_file_is_an_error_not_a_panic() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tp-io/tests/data/damaged_rle.parquet");
    let d = std::env::temp_dir().join(format!("tp-no-panic-pq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let out =
        tp(&["policy", "--cate", s(&file), "--value", "0.3", "--cost", "1", "--out", s(&d.join("p.csv"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("damaged_rle.parquet") && err.contains("damaged"), "{err}");
    assert!(!d.join("p.csv").exists(), "nothing is written");
    std::fs::remove_dir_all(&d).unwrap();
}
