//! Printing summaries: JSON to stdout under `--json`, a short human summary
//! to stderr otherwise.

use serde::Serialize;

/// Prints `summary` as one JSON object on stdout when `json` is set;
/// otherwise prints `human` (several lines allowed) on stderr.
pub fn emit<T: Serialize>(json: bool, summary: &T, human: impl FnOnce() -> String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(summary)?);
    } else {
        eprintln!("{}", human());
    }
    Ok(())
}
