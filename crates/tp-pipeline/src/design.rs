//! The design stage's one driver: `tp design` and `tp run` both call [`design`], so the same
//! outcome spread, effect and settings give the same sample size whichever command asked.
//! `tp run` asks through [`confirming_test`], which first measures the spread the test
//! would see.

use anyhow::Result;
use serde::Serialize;
use tp_ope::{Design, DesignParams, Outcome, ab_design, minimum_detectable_effect};

/// The test's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesignSettings {
    /// Two-sided significance level.
    pub alpha: f64,
    /// Power 1 − β.
    pub power: f64,
    /// Allocation ratio n_control / n_treated.
    pub ratio: f64,
}

/// What the test must deliver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Question {
    /// The rows per arm that detect this difference in means.
    SampleSize {
        /// Minimum detectable effect (absolute difference in means).
        mde: f64,
    },
    /// The smallest difference in means this many treated rows detect.
    Detectable {
        /// Treated rows available.
        n_treated: u64,
    },
}

/// The smallest difference in means a given number of treated rows detects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detectable {
    /// Treated rows.
    pub n_treated: u64,
    /// Minimum detectable effect.
    pub mde: f64,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Power.
    pub power: f64,
    /// Allocation ratio n_control / n_treated.
    pub ratio: f64,
}

/// The answer to a [`Question`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// Rows per arm.
    SampleSize(Design),
    /// The detectable effect.
    Detectable(Detectable),
}

/// Answers `question` for an outcome with the spread `outcome`.
pub fn design(outcome: Outcome, question: Question, settings: &DesignSettings) -> Result<Answer> {
    Ok(match question {
        Question::SampleSize { mde } => Answer::SampleSize(sample_size(outcome, mde, settings)?),
        Question::Detectable { n_treated } => Answer::Detectable(detectable(outcome, n_treated, settings)?),
    })
}

fn params(outcome: Outcome, settings: &DesignSettings) -> DesignParams {
    DesignParams::new(outcome).alpha(settings.alpha).power(settings.power).ratio(settings.ratio)
}

/// Rows per arm that detect a difference `mde` in means.
pub fn sample_size(outcome: Outcome, mde: f64, settings: &DesignSettings) -> Result<Design> {
    Ok(ab_design(mde, &params(outcome, settings))?)
}

/// The smallest difference in means `n_treated` treated rows detect.
pub fn detectable(outcome: Outcome, n_treated: u64, settings: &DesignSettings) -> Result<Detectable> {
    Ok(Detectable {
        n_treated,
        mde: minimum_detectable_effect(n_treated, &params(outcome, settings))?,
        alpha: settings.alpha,
        power: settings.power,
        ratio: settings.ratio,
    })
}

/// The spread of the outcome a confirming test would see: the standard deviation of the
/// logged outcomes `y` of the customers the policy treats (`assignment > 0`) who were
/// controls in the log (`current == 0`), when there are at least 30 of them; else of all `y`.
pub fn targeted_sd(y: &[f64], assignment: &[usize], current: &[usize]) -> f64 {
    let targeted_control: Vec<f64> =
        (0..y.len()).filter(|&i| assignment[i] > 0 && current[i] == 0).map(|i| y[i]).collect();
    if targeted_control.len() >= 30 {
        tp_core::stats::variance(&targeted_control).sqrt()
    } else {
        tp_core::stats::variance(y).sqrt()
    }
}

/// The A/B test that would confirm a policy: rows per arm to detect `mde` in a continuous
/// outcome whose spread is [`targeted_sd`]; returns the design and that spread.
pub fn confirming_test(
    y: &[f64],
    assignment: &[usize],
    current: &[usize],
    mde: f64,
    settings: &DesignSettings,
) -> Result<(Design, f64)> {
    let sd = targeted_sd(y, assignment, current);
    Ok((sample_size(Outcome::Continuous { sd }, mde, settings)?, sd))
}
