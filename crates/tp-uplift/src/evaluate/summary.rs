//! The headline metrics of a ranking in one call (what `tp evaluate` prints).

use super::curves::{AtKStrategy, TopK, qini_auc, uplift_at_k, uplift_auc};
use super::rate::{RateParams, RateTarget, rate};
use crate::{Result, UpliftError};
use serde::Serialize;

/// Settings of [`evaluate_ranking`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationParams {
    /// Share of rows for uplift@k (overall strategy). Default 0.3.
    pub k: f64,
    /// RATE settings (target is forced to AUTOC). Default 200 half-samples, seed 0.
    pub rate: RateParams,
}

impl Default for EvaluationParams {
    fn default() -> Self {
        Self { k: 0.3, rate: RateParams::default() }
    }
}

/// Headline metrics of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Qini coefficient normalized by the perfect curve (scikit-uplift `qini_auc_score`).
    pub qini_auc: f64,
    /// Area between the Qini curve and the random line.
    pub qini_auc_raw: f64,
    /// AUUC normalized by the perfect curve (scikit-uplift `uplift_auc_score`).
    pub uplift_auc: f64,
    /// Area between the uplift curve and the random line.
    pub uplift_auc_raw: f64,
    /// Uplift among the top 30% (or the configured k), overall strategy.
    pub uplift_at_30: f64,
    /// RATE with AUTOC weighting.
    pub rate_autoc: f64,
    /// Its half-sample bootstrap SE.
    pub rate_autoc_se: f64,
}

/// Qini, AUUC, uplift@k and RATE (AUTOC) of the ranking `score` on
/// outcomes `y` and 0/1 `treatment`. RATE uses the doubly robust effect
/// scores `dr_scores` when given; without them it assumes a randomized
/// experiment and builds them from the arm means and the treated share:
/// `Γ = ȳ_1 − ȳ_0 + W(Y − ȳ_1)/p − (1 − W)(Y − ȳ_0)/(1 − p)`.
pub fn evaluate_ranking(
    y: &[f64],
    treatment: &[usize],
    score: &[f64],
    dr_scores: Option<&[f64]>,
    params: &EvaluationParams,
) -> Result<Evaluation> {
    let q = qini_auc(y, treatment, score)?;
    let u = uplift_auc(y, treatment, score)?;
    let at_k = uplift_at_k(y, treatment, score, TopK::Share(params.k), AtKStrategy::Overall)?;
    let gamma: Vec<f64> = match dr_scores {
        Some(g) if g.len() == y.len() => g.to_vec(),
        Some(g) => {
            return Err(UpliftError::Shape {
                what: "DR scores".into(),
                expected: format!("{} values", y.len()),
                got: format!("{} values", g.len()),
            });
        }
        None => {
            let n = y.len() as f64;
            let nt = treatment.iter().filter(|&&t| t == 1).count() as f64;
            let p = nt / n;
            let mean_of = |arm: usize, cnt: f64| {
                y.iter().zip(treatment).filter(|(_, t)| **t == arm).map(|(v, _)| v).sum::<f64>() / cnt
            };
            let (m1, m0) = (mean_of(1, nt), mean_of(0, n - nt));
            y.iter()
                .zip(treatment)
                .map(|(&v, &t)| if t == 1 { m1 - m0 + (v - m1) / p } else { m1 - m0 - (v - m0) / (1.0 - p) })
                .collect()
        }
    };
    let r = rate(&gamma, score, &RateParams { target: RateTarget::Autoc, ..params.rate.clone() })?;
    Ok(Evaluation {
        qini_auc: q.normalized,
        qini_auc_raw: q.raw(),
        uplift_auc: u.normalized,
        uplift_auc_raw: u.raw(),
        uplift_at_30: at_k,
        rate_autoc: r.estimate,
        rate_autoc_se: r.se,
    })
}
