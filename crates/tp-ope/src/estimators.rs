//! The seven estimators, written as per-row terms.
//!
//! Every estimator here has the form `V̂ = mean(u) + Σ a / Σ b`: a plain
//! mean of per-row terms `u`, plus (for the self-normalized ones) a ratio of
//! sums. That one shape gives the point estimate, the influence terms for a
//! normal interval, and the mergeable sums a bootstrap replicate needs.

use crate::error::{OpeError, Result};
use crate::input::RowData;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An off-policy estimator (Open Bandit Pipeline's definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Direct method: `mean_i Σ_a π(a|x_i) q̂(x_i, a)`.
    Dm,
    /// Inverse probability weighting, `mean(min(w, λ) r)` with the clip λ.
    Ipw,
    /// Self-normalized IPW, `Σ w r / Σ w` (never clipped, as in obp).
    Snipw,
    /// Doubly robust, `mean(DM_i + min(w, λ)(r − q̂(a_i)))`.
    Dr,
    /// Self-normalized DR, `mean(DM_i) + Σ w (r − q̂(a_i)) / Σ w`.
    Sndr,
    /// Switch-DR(λ): the DR correction only where `w ≤ λ`.
    SwitchDr,
    /// DR with optimistic shrinkage, weight `λw / (w² + λ)`.
    Dros,
}

impl Estimator {
    /// All seven, in the order.
    pub const ALL: [Estimator; 7] = [
        Estimator::Dm,
        Estimator::Ipw,
        Estimator::Snipw,
        Estimator::Dr,
        Estimator::Sndr,
        Estimator::SwitchDr,
        Estimator::Dros,
    ];

    /// The CLI / JSON name (`dm`, `ipw`, `snipw`, `dr`, `sndr`, `switch-dr`, `dros`).
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Dm => "dm",
            Estimator::Ipw => "ipw",
            Estimator::Snipw => "snipw",
            Estimator::Dr => "dr",
            Estimator::Sndr => "sndr",
            Estimator::SwitchDr => "switch-dr",
            Estimator::Dros => "dros",
        }
    }

    /// Whether the estimator needs the reward model q̂.
    pub fn needs_reward_model(self) -> bool {
        !matches!(self, Estimator::Ipw | Estimator::Snipw)
    }

    /// Whether the estimator rests on importance weights alone (and so
    /// refuses when the target leaves the logged support).
    pub fn weights_only(self) -> bool {
        matches!(self, Estimator::Ipw | Estimator::Snipw)
    }

    /// Parses a comma-separated list such as `dm,ipw,dr`.
    pub fn parse_list(s: &str) -> Result<Vec<Estimator>> {
        s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(Estimator::from_str).collect()
    }
}

impl fmt::Display for Estimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Estimator {
    type Err = OpeError;
    fn from_str(s: &str) -> Result<Estimator> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match t.as_str() {
            "dm" => Estimator::Dm,
            "ipw" | "ips" => Estimator::Ipw,
            "snipw" | "snips" => Estimator::Snipw,
            "dr" => Estimator::Dr,
            "sndr" => Estimator::Sndr,
            "switch-dr" | "switchdr" => Estimator::SwitchDr,
            "dros" | "dr-os" => Estimator::Dros,
            _ => return Err(OpeError::UnknownEstimator { name: s.to_string() }),
        })
    }
}

/// The hyper-parameters the estimators use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Knobs {
    /// IPW/DR weight clip λ (`∞` = none).
    pub clip: f64,
    /// Switch-DR threshold λ.
    pub switch_lambda: f64,
    /// DRos shrinkage λ.
    pub dros_lambda: f64,
}

/// Per-row terms of one estimator: `V̂ = mean(u) + Σ a / Σ b`.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    /// The plain-mean part (`None` = zero).
    pub u: Option<Vec<f64>>,
    /// The ratio part `(a, b)` of self-normalized estimators.
    pub ratio: Option<(Vec<f64>, Vec<f64>)>,
}

/// DRos shrunk weight `λw / (w² + λ)`; `λ = ∞` keeps `w`, `λ = 0` gives 0.
#[inline]
fn dros_weight(w: f64, lambda: f64) -> f64 {
    if lambda == f64::INFINITY {
        w
    } else if lambda == 0.0 {
        0.0
    } else {
        lambda * w / (w * w + lambda)
    }
}

pub(crate) fn terms(est: Estimator, rows: &RowData, knobs: &Knobs) -> Terms {
    let n = rows.r.len();
    let resid = |i: usize| rows.r[i] - rows.qf[i];
    let plain = |u: Vec<f64>| Terms { u: Some(u), ratio: None };
    match est {
        Estimator::Dm => plain(rows.dm.clone()),
        Estimator::Ipw => plain((0..n).map(|i| rows.w[i].min(knobs.clip) * rows.r[i]).collect()),
        Estimator::Snipw => {
            Terms { u: None, ratio: Some(((0..n).map(|i| rows.w[i] * rows.r[i]).collect(), rows.w.clone())) }
        }
        Estimator::Dr => plain((0..n).map(|i| rows.dm[i] + rows.w[i].min(knobs.clip) * resid(i)).collect()),
        Estimator::Sndr => Terms {
            u: Some(rows.dm.clone()),
            ratio: Some(((0..n).map(|i| rows.w[i] * resid(i)).collect(), rows.w.clone())),
        },
        Estimator::SwitchDr => plain(
            (0..n)
                .map(|i| {
                    let w = rows.w[i];
                    rows.dm[i] + if w <= knobs.switch_lambda { w * resid(i) } else { 0.0 }
                })
                .collect(),
        ),
        Estimator::Dros => {
            plain((0..n).map(|i| rows.dm[i] + dros_weight(rows.w[i], knobs.dros_lambda) * resid(i)).collect())
        }
    }
}

impl Terms {
    /// The point estimate.
    pub fn value(&self) -> f64 {
        let mut v = 0.0;
        if let Some(u) = &self.u {
            v += u.iter().sum::<f64>() / u.len() as f64;
        }
        if let Some((a, b)) = &self.ratio {
            v += ratio_of_sums(a, b);
        }
        v
    }

    /// Per-row influence terms φ_i, whose mean is the estimate and whose
    /// `sd / √n` is the delta-method standard error:
    /// `φ_i = u_i + (a_i − θ b_i) / mean(b)`, `θ = Σa / Σb`.
    pub fn influence(&self) -> Vec<f64> {
        let n = self.len();
        let mut phi = match &self.u {
            Some(u) => u.clone(),
            None => vec![0.0; n],
        };
        if let Some((a, b)) = &self.ratio {
            let theta = ratio_of_sums(a, b);
            let mean_b = b.iter().sum::<f64>() / n as f64;
            for i in 0..n {
                // centred so that mean(φ) equals the estimate
                phi[i] += theta + (a[i] - theta * b[i]) / mean_b;
            }
        }
        phi
    }

    fn len(&self) -> usize {
        match (&self.u, &self.ratio) {
            (Some(u), _) => u.len(),
            (None, Some((a, _))) => a.len(),
            (None, None) => 0,
        }
    }
}

fn ratio_of_sums(a: &[f64], b: &[f64]) -> f64 {
    let sb: f64 = b.iter().sum();
    if sb == 0.0 { 0.0 } else { a.iter().sum::<f64>() / sb }
}
