//! Average effects from cross-fitted nuisances: AIPW ATE with its
//! influence-function SE, and the ATT, for each arm against control.
//!
//! ATE of arm a: mean of `Γ_i(a) − Γ_i(0)` over all rows, SE = sd/√n
//! (Robins, Rotnitzky & Zhao 1994; Chernozhukov et al. 2018).
//!
//! ATT of arm a, on the rows in arm a or control with pair propensity
//! `π = ê_a/(ê_a + ê_0)` and `D = 1{W = a}`:
//! `τ_ATT = Σ [D(Y − μ̂_0) − (1 − D)·π/(1 − π)·(Y − μ̂_0)] / Σ D`,
//! SE from the influence function `ψ_i = [D(Y − μ̂_0 − τ) − (1 − D)π/(1 − π)(Y − μ̂_0)] / p̂`,
//! `p̂` the share of arm-a rows (Hahn 1998; Moodie et al. 2018).

use crate::Result;
use crate::nuisance::Nuisances;
use serde::Serialize;
use tp_core::stats::{mean_se, normal_quantile, variance};
use tp_core::{CausalData, contrast_scores};

/// The average effects of one arm against control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmEffect {
    /// Arm index (≥ 1).
    pub arm: usize,
    /// Arm label.
    pub label: String,
    /// AIPW average treatment effect.
    pub ate: f64,
    /// Its influence-function standard error.
    pub ate_se: f64,
    /// Lower end of the 95% normal interval.
    pub ci_low: f64,
    /// Upper end of the 95% normal interval.
    pub ci_high: f64,
    /// Average effect on the rows that received this arm.
    pub att: f64,
    /// Its influence-function standard error.
    pub att_se: f64,
}

/// AIPW ATE and ATT of every arm against control from cross-fitted
/// nuisances (see [`crate::crossfit_nuisances`]).
pub fn average_effects(data: &CausalData, nuisances: &Nuisances) -> Result<Vec<ArmEffect>> {
    let scores = nuisances.aipw_scores(data)?;
    let z = normal_quantile(0.975);
    let y = data.outcome();
    let arms = data.arms();
    let mut out = Vec::new();
    for a in 1..data.n_arms() {
        let (ate, ate_se) = mean_se(&contrast_scores(scores.as_ref(), a));
        // ATT on the rows in arm a or control.
        let rows: Vec<usize> = (0..data.n()).filter(|&i| arms[i] == a || arms[i] == 0).collect();
        let pi = nuisances.pair_propensity(a);
        let mut num = 0.0;
        let mut n_t = 0.0;
        let terms: Vec<(f64, f64)> = rows
            .iter()
            .map(|&i| {
                let r = y[i] - nuisances.outcome[(i, 0)];
                if arms[i] == a { (1.0, r) } else { (0.0, -pi[i] / (1.0 - pi[i]) * r) }
            })
            .collect();
        for &(d, v) in &terms {
            num += v;
            n_t += d;
        }
        let att = num / n_t;
        let p_hat = n_t / rows.len() as f64;
        let psi: Vec<f64> = terms.iter().map(|&(d, v)| (v - d * att) / p_hat).collect();
        let att_se = (variance(&psi) / rows.len() as f64).sqrt();
        out.push(ArmEffect {
            arm: a,
            label: data.arm_labels()[a].clone(),
            ate,
            ate_se,
            ci_low: ate - z * ate_se,
            ci_high: ate + z * ate_se,
            att,
            att_se,
        });
    }
    Ok(out)
}
