//! The Python venv (`.venv/`, git-ignored) that runs the peers of `cargo xtask bench` and the
//! generators of `cargo xtask golden`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// Creates `.venv/` if needed and installs the pinned requirements (a no-op when satisfied);
/// `who` (`bench`, `golden`) prefixes the progress lines.
pub fn ensure(root: &Path, requirements: &[&str], who: &str) -> Result<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!("==> {who}: creating {}", venv.display());
        let status = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().context(
            "could not run python3: install Python 3.11 (on Debian also `apt-get install python3-venv`)",
        )?;
        if !status.success() {
            bail!("`python3 -m venv {}` failed; on Debian `apt-get install python3-venv`", venv.display());
        }
    }
    if !requirements.is_empty() {
        eprintln!("==> {who}: pip install {}", requirements.join(" "));
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(requirements)
            .status()
            .context("could not run pip in the venv")?;
        if !status.success() {
            bail!("pip could not install {}", requirements.join(" "));
        }
    }
    Ok(python)
}
