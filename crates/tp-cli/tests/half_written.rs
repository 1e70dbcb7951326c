//! No half-written results (issue #20): `kill -9` of a real `tp demo` or `tp run` writing into an
//! existing output folder leaves that folder byte for byte as it was and no partial folder under
//! its name. The kill points are events, not delays: the test watches the run's temporary sibling
//! folder (`.NAME.tp-partial-PID`) and kills the run when it appears, and again when given files
//! have appeared inside it. A run killed inside its commit, between moving the previous folder
//! aside and renaming the new one into place, is rebuilt by hand: the next run puts the previous
//! folder back. And the report lists every covariate the effect model used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tp-cli-half-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir` (relative path → bytes).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

/// Starts `tp` with `args`, its output discarded.
fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tp"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("failed to start tp")
}

/// Where a kill happens: when the run's temporary folder exists and holds every file named here
/// (paths inside it; none = as soon as the folder appears).
const KILL_POINTS: [&[&str]; 5] =
    [&[], &["profiles.csv"], &["segments.csv"], &["cate.csv"], &["policy.csv", "ope.json", "summary.json"]];

/// Waits until the run `child` has written `files` into its temporary sibling of `out`, then
/// kills it with SIGKILL; returns false (and nothing is killed) if the run ended first.
fn kill_when(child: &mut Child, out: &Path, files: &[&str]) -> bool {
    let tmp = out.with_file_name(format!(
        ".{}.tp-partial-{}",
        out.file_name().unwrap().to_str().unwrap(),
        child.id()
    ));
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if tmp.is_dir() && files.iter().all(|f| tmp.join(f).exists()) {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills `run` (a command writing into `out`, which holds a finished run's results) at every
/// point of [`KILL_POINTS`] and checks the folder each time; then checks that the next complete
/// run leaves no temporary folder behind.
fn kill_at_every_point(parent: &Path, out: &Path, run: &dyn Fn() -> Child) {
    let mut before = snapshot(out);
    assert!(before.contains_key("summary.json") && before.contains_key("report.html"), "{:?}", before.keys());
    let mut killed = 0;
    for files in KILL_POINTS {
        let mut child = run();
        let pid = child.id();
        if !kill_when(&mut child, out, files) {
            // the run ended before that point (only possible for the last files, written just
            // before the commit): its results are the new reference
            assert!(child.wait().unwrap().success());
            before = snapshot(out);
            continue;
        }
        let now = snapshot(out);
        if now != before {
            // killed after its commit's rename, before it exited: a complete new folder
            assert!(
                files.contains(&"summary.json")
                    && now.contains_key("report.html")
                    && now.keys().eq(before.keys()),
                "killed once {files:?} were written, the output folder changed and is not a complete run"
            );
            before = now;
        } else {
            killed += 1;
            // the killed run's folder is left, hidden and named as temporary, with its process id
            let tmp = format!(".out.tp-partial-{pid}");
            assert!(names(parent).contains(&tmp), "{tmp} is not there: {:?}", names(parent));
        }
        // nothing else appeared, under the target's name or any other
        for name in names(parent) {
            assert!(
                name == "out"
                    || name == "world"
                    || name.ends_with(".toml")
                    || name.starts_with(".out.tp-partial-"),
                "unexpected {name} after a run was killed once {files:?} were written"
            );
        }
    }
    // the folder exists for the whole run, and the first files long before the commit
    assert!(killed >= 3, "only {killed} runs were killed before their commit");
    // the next complete run removes the killed runs' folders (their processes are gone)
    assert!(run().wait().unwrap().success());
    let left: Vec<String> = names(parent).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(left.is_empty(), "temporary folders of killed runs were left behind: {left:?}");
}

/// A process id that no process has any more.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    pid
}

#[test]
fn killed_demo_runs_leave_the_previous_output_untouched() {
    if !Path::new("/proc/self").exists() {
        return; // the sweep of dead runs' folders needs /proc (Linux)
    }
    let d = tempdir("demo");
    let out = d.join("out");
    let demo = |seed: &'static str| {
        let out = out.clone();
        move || {
            start(&[
                "demo",
                "--out",
                s(&out),
                "--customers",
                "300",
                "--trees",
                "100",
                "--json",
                "--seed",
                seed,
            ])
        }
    };
    assert!(demo("3")().wait().unwrap().success());
    let reference = snapshot(&out);
    kill_at_every_point(&d, &out, &demo("4"));

    // killed inside the commit: the previous folder moved aside to `.out.tp-partial-PID.old`,
    // the new one still under its temporary name, nothing under `out`
    let previous = snapshot(&out);
    let pid = dead_pid();
    let aside = d.join(format!(".out.tp-partial-{pid}.old"));
    std::fs::rename(&out, &aside).unwrap();
    std::fs::create_dir(d.join(format!(".out.tp-partial-{pid}"))).unwrap();
    std::fs::write(d.join(format!(".out.tp-partial-{pid}/cate.csv")), "customer_id,tau\n").unwrap();
    // the next run puts the previous folder back before it starts writing: kill it right then
    let mut child = demo("5")();
    assert!(kill_when(&mut child, &out, &[]), "the run ended before its temporary folder was seen");
    assert_eq!(snapshot(&out), previous, "the previous results were not put back");
    assert_eq!(names(&d), [format!(".out.tp-partial-{}", child.id()), "out".to_string()]);
    assert!(demo("3")().wait().unwrap().success());
    assert_eq!(names(&d), ["out"]);
    // same seed, same results (but the timing fields of summary.json)
    let again = snapshot(&out);
    assert_eq!(again.keys().collect::<Vec<_>>(), reference.keys().collect::<Vec<_>>());
    for (name, bytes) in &reference {
        if name != "summary.json" && name != "report.html" {
            assert!(again[name] == *bytes, "{name} differs between two runs with seed 3");
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn killed_pipeline_runs_leave_the_previous_output_untouched() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let d = tempdir("run");
    let sim = Command::new(env!("CARGO_BIN_EXE_tp"))
        .args([
            "simulate",
            "--preset",
            "retail",
            "--customers",
            "300",
            "--seed",
            "5",
            "--out",
            s(&d.join("world")),
        ])
        .output()
        .unwrap();
    assert!(sim.status.success(), "{}", String::from_utf8_lossy(&sim.stderr));
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/retail.toml");
    let text = std::fs::read_to_string(example).unwrap().replace("trees = 2000", "trees = 100");
    let config = d.join("retail.toml");
    std::fs::write(&config, text).unwrap();
    let out = d.join("out");
    let run = || start(&["run", s(&config), "--out", s(&out), "--json"]);
    assert!(run().wait().unwrap().success());
    kill_at_every_point(&d, &out, &run);
    std::fs::remove_dir_all(&d).unwrap();
}

/// report.html lists every covariate of summary.json's `uplift.covariates`, in order, even when
/// the balance table shows only the 15 least balanced rows.
#[test]
fn the_report_lists_every_covariate_used() {
    let d = tempdir("covariates");
    let out = d.join("out");
    let done = Command::new(env!("CARGO_BIN_EXE_tp"))
        .args(["demo", "--out", s(&out), "--customers", "200", "--trees", "50", "--json", "--seed", "3"])
        .output()
        .unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let used: Vec<&str> =
        v["uplift"]["covariates"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let balance_rows = v["uplift"]["diagnostics"]["balance"].as_array().map_or(0, Vec::len);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let start = html.find("<p id=\"covariates-used\">").expect("the report has no list of covariates");
    let list = &html[start..start + html[start..].find("</p>").unwrap()];
    let listed: Vec<&str> =
        list.split("<code>").skip(1).map(|c| c.split("</code>").next().unwrap()).collect();
    // the demo's covariates are plain names (no characters HTML escapes)
    assert_eq!(listed, used);
    assert!(html.contains(&format!("fitted on these {} covariates", used.len())));
    assert!(used.len() > 15, "the demo should use more covariates than the balance table shows: {used:?}");
    if balance_rows > 15 {
        assert!(html.contains(&format!("The 15 least balanced of {balance_rows} rows")), "{balance_rows}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}
