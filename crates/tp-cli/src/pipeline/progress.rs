//! Step progress on stderr: an `indicatif` spinner per step on a terminal,
//! plain `[  1.2 s] step` lines when stderr is redirected, nothing under
//! `--json`.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (`--json`).
    Silent,
    /// One line per step (stderr is not a terminal: logs, CI).
    Lines,
    /// A spinner per step with its elapsed time (stderr is a terminal).
    Bars,
}

/// The progress of one run.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    start: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Silent under `json`; bars on a terminal; lines otherwise.
    pub fn new(json: bool) -> Progress {
        let mode = if json {
            Mode::Silent
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        };
        Progress { mode, start: Instant::now(), bar: None }
    }

    /// Seconds since the run started.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Starts a step (finishing the previous one).
    pub fn step(&mut self, what: &str) {
        self.finish_bar();
        match self.mode {
            Mode::Silent => {}
            Mode::Lines => eprintln!("[{:>6.1} s] {what}", self.elapsed()),
            Mode::Bars => {
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
    }

    /// Finishes the last step.
    pub fn done(&mut self) {
        self.finish_bar();
        if self.mode == Mode::Lines {
            eprintln!("[{:>6.1} s] done", self.elapsed());
        }
    }

    fn finish_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            let line = format!("✓ {} ({:.1} s)", bar.message(), bar.elapsed().as_secs_f64());
            bar.finish_and_clear();
            eprintln!("{line}");
        }
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
