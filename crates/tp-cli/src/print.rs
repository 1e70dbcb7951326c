//! Printing summaries: JSON to stdout under `--json`, a short human summary
//! to stderr otherwise.

use serde::Serialize;
use std::io::Write;

/// Prints `summary` as one JSON object on stdout when `json` is set;
/// otherwise prints `human` (several lines allowed) on stderr. A closed
/// pipe (`tp … --json | head`) is not an error.
pub fn emit<T: Serialize>(json: bool, summary: &T, human: impl FnOnce() -> String) -> anyhow::Result<()> {
    let result = if json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, summary).map_err(std::io::Error::from).and_then(|()| writeln!(out))
    } else {
        writeln!(std::io::stderr(), "{}", human())
    };
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
