//! Step progress on stderr: an `indicatif` spinner per step on a terminal,
//! plain `[  1.2 s] step` lines ([`tp_pipeline::progress::Log`]) when stderr
//! is redirected, nothing under `--json`.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;
use tp_pipeline::progress::Log;

/// The progress of one run.
#[derive(Debug)]
pub struct Progress {
    /// Lines (or silence); also the run's clock.
    log: Log,
    /// Spinners instead of lines (stderr is a terminal).
    bars: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Silent under `json`; spinners on a terminal; lines otherwise.
    pub fn new(json: bool) -> Progress {
        let bars = !json && std::io::stderr().is_terminal();
        Progress { log: Log::new(json || bars), bars, bar: None }
    }

    /// Finishes the last step.
    pub fn done(&mut self) {
        self.finish_bar();
        self.log.done();
    }

    fn finish_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            let line = format!("✓ {} ({:.1} s)", bar.message(), bar.elapsed().as_secs_f64());
            bar.finish_and_clear();
            eprintln!("{line}");
        }
    }
}

impl tp_pipeline::Progress for Progress {
    fn step(&mut self, what: &str) {
        self.finish_bar();
        self.log.step(what);
        if self.bars {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(what.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar = Some(bar);
        }
    }

    fn elapsed(&self) -> f64 {
        self.log.elapsed()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error mid-step: clear the spinner so the one-line error stands alone.
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
