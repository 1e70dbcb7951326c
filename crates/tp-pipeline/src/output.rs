//! The output folder: written into a temporary sibling and renamed into
//! place ([`Staging`]), and the summary, `ope.json` and `report.html` written
//! from an [`Outcome`].

use crate::{Config, Outcome, html, summary};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// An output folder being written: every file goes into a hidden temporary
/// sibling of the target (`.NAME.tp-partial-PID`), which [`Staging::commit`]
/// renames into place once the run has succeeded. A run that fails drops the
/// temporary folder; a run that is killed leaves it behind, and the next run
/// next to it removes it (its process is gone). Either way the target keeps
/// its previous content and no partial new one appears under its name.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

const PARTIAL: &str = ".tp-partial-";

impl Staging {
    /// Prepares to write `target`: it must be absent, empty or a previous
    /// output folder of tp (it has a `summary.json`), since committing
    /// replaces it whole.
    pub fn new(target: &Path) -> Result<Staging> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .with_context(|| format!("--out {}: name a folder, e.g. --out results", target.display()))?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.exists() {
            if !target.is_dir() {
                bail!("--out {}: a file of that name exists; name a folder", target.display());
            }
            let empty = std::fs::read_dir(target)
                .with_context(|| format!("cannot read the output folder {}", target.display()))?
                .next()
                .is_none();
            if !empty && !target.join("summary.json").exists() {
                bail!(
                    "--out {}: the folder exists and is not an output folder of tp (no summary.json); \
                     tp replaces its output folder whole, so name a new or empty folder",
                    target.display()
                );
            }
        }
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
        sweep_stale(&parent, name);
        let tmp = parent.join(format!(".{name}{PARTIAL}{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        std::fs::create_dir(&tmp).with_context(|| format!("cannot create the folder {}", tmp.display()))?;
        Ok(Staging { target: target.to_path_buf(), tmp, committed: false })
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the finished folder in place of the target (the previous target,
    /// if any, is moved aside first and then removed).
    pub fn commit(mut self) -> Result<()> {
        let old = self.tmp.with_file_name(format!(
            "{}.old",
            self.tmp.file_name().and_then(|n| n.to_str()).unwrap_or(".tp-partial")
        ));
        let had_target = self.target.exists();
        if had_target {
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move the previous {} aside", self.target.display()))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.target) {
            if had_target {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e).with_context(|| format!("cannot rename the results to {}", self.target.display()));
        }
        self.committed = true;
        if had_target {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove the previous results {}", old.display()))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Removes temporary siblings of `name` in `parent` left by killed runs
/// (their process id no longer runs). Only where `/proc` tells which
/// processes run; elsewhere they stay (hidden, and harmless to the target).
fn sweep_stale(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}{PARTIAL}");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else { continue };
        let (pid, old) = match rest.strip_suffix(".old") {
            Some(pid) => (pid, true),
            None => (rest, false),
        };
        if pid.parse::<u32>().is_ok_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
            let target = parent.join(name);
            // a run killed inside commit, between its two renames: put the previous results back
            if old && !target.exists() && std::fs::rename(e.path(), &target).is_ok() {
                continue;
            }
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `summary.json` (with `extra` entries added at the top level),
/// `ope.json` and `report.html` into `out`; returns the summary.
pub fn write_outputs(
    o: &Outcome,
    config: &Config,
    out: &Path,
    extra: Vec<(&str, serde_json::Value)>,
    title: &str,
    context: &str,
) -> Result<serde_json::Value> {
    let mut s = summary::summary(o, config);
    for (k, v) in extra {
        s[k] = v;
    }
    tp_io::write_json(out.join("ope.json"), &s["ope"])?;
    tp_io::write_json(out.join("summary.json"), &s)?;
    let html = html::render(o, title, context)?;
    let path = out.join("report.html");
    let tmp = out.join(".report.html.tmp");
    std::fs::write(&tmp, html).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(s)
}
