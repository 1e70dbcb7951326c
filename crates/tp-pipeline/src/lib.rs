//! The pipeline as a library, behind `tp run`, `tp demo` and Python's `tp.run`: profile →
//! segment → uplift (diagnostics first) → policy (+ policy tree) → off-policy check → A/B
//! design, and, when a truth file is given, the true profit of every decision.
//!
//! Every choice lives in [`Config`] (documented in `docs/config.md`); the steps live in
//! [`steps`], each calling its stage's driver — [`profile`], [`segment`], [`uplift`], [`policy`],
//! [`ope`] — which the `tp <stage>` commands call too, so a command and `tp run` give the same
//! bytes for the same inputs and settings; [`Outcome`] holds every result the summary JSON and the HTML report are made
//! from, so the two always show the same numbers. The caller shows progress through the
//! [`Progress`] trait and prints what it likes; nothing here writes to stdout.

pub mod cate;
pub mod config;
pub mod design;
pub mod html;
pub mod inputs;
pub mod ope;
pub mod output;
pub mod plan;
pub mod policy;
pub mod profile;
pub mod progress;
pub mod segment;
pub mod steps;
pub mod summary;
pub mod truth;
pub mod uplift;
pub mod window;

/// Table → causal data ([`tp_io::causal`]), under the path the Python package imports.
pub use tp_io::causal;

/// Arm labels ([`tp_io::causal::Arms`]), under the path the Python package imports.
pub mod arms {
    pub use tp_io::causal::Arms;
}

pub use config::Config;
pub use inputs::{Inputs, Named, check_files};
pub use output::{Staging, write_outputs};
pub use progress::Progress;
pub use steps::Outcome;

use anyhow::{Context, Result};
use std::path::Path;

/// Runs the pipeline on `inputs` and writes every artifact into `out` (an
/// existing folder: `tp run` and `tp demo` pass a [`Staging`] folder).
pub fn run(config: &Config, inputs: &Inputs, out: &Path, progress: &mut dyn Progress) -> Result<Outcome> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    steps::run(config, inputs, out, progress)
}
