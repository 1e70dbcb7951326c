//! How the pipeline tells its caller where it is: the [`Progress`] trait, and
//! [`Log`], plain `[  1.2 s] step` lines on stderr (or nothing). The `tp`
//! binary adds spinners on a terminal; Python prints lines when verbose.

use std::time::Instant;

/// Receives the pipeline's steps as they start.
pub trait Progress {
    /// A step starts (the previous one, if any, is over).
    fn step(&mut self, what: &str);
    /// Seconds since the run started ([`crate::Outcome::seconds`]).
    fn elapsed(&self) -> f64;
}

/// Plain progress lines on stderr, `[  1.2 s] step`, or nothing when quiet.
#[derive(Debug, Clone)]
pub struct Log {
    start: Instant,
    quiet: bool,
}

impl Log {
    /// A log whose clock starts now; `quiet` prints nothing.
    pub fn new(quiet: bool) -> Log {
        Log { start: Instant::now(), quiet }
    }

    /// The last step is over: prints `[  9.9 s] done`.
    pub fn done(&mut self) {
        self.step("done");
    }
}

impl Progress for Log {
    fn step(&mut self, what: &str) {
        if !self.quiet {
            eprintln!("[{:>6.1} s] {what}", self.elapsed());
        }
    }

    fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}
