//! Treatment assignment: "current practice" (a logistic score of pre-period
//! spend, calibrated to a target propensity AUC) or a randomized trial.

use crate::error::{Result, SimError};

/// How the campaign arms were assigned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assignment {
    /// The marketer's habit: households with high pre-period spend are much
    /// more likely to be mailed. The propensity is `σ(α + β z)` with `z` a
    /// standardized score of log pre-period spend (total and last 12 weeks);
    /// `β` is solved so that the *expected* AUC of the propensity against the
    /// arm equals `target_auc` (0.5 = no confounding, 0.99 = almost no
    /// overlap), and `α` so that the mean propensity equals `treated_share`.
    /// Propensities are clipped to [0.001, 0.999].
    CurrentPractice {
        /// Expected AUC of the true propensity against the received arm, in [0.5, 0.995].
        target_auc: f64,
        /// Mean probability of receiving any treatment arm, in [0.05, 0.95].
        treated_share: f64,
    },
    /// A randomized trial: every household gets a treatment arm with
    /// probability `treated_share`, split equally among treatment arms.
    Randomized {
        /// Probability of receiving any treatment arm, in [0.05, 0.95].
        treated_share: f64,
    },
}

impl Default for Assignment {
    /// Current practice with propensity AUC 0.9 and 40% treated.
    fn default() -> Self {
        Assignment::CurrentPractice { target_auc: 0.9, treated_share: 0.4 }
    }
}

impl Assignment {
    pub(crate) fn validate(&self) -> Result<()> {
        match *self {
            Assignment::CurrentPractice { target_auc, treated_share } => {
                crate::error::check_f64("assignment.target_auc", target_auc, 0.5, 0.995)?;
                crate::error::check_f64("assignment.treated_share", treated_share, 0.05, 0.95)
            }
            Assignment::Randomized { treated_share } => {
                crate::error::check_f64("assignment.treated_share", treated_share, 0.05, 0.95)
            }
        }
    }
}

/// Lowest and highest logged propensity under current practice.
pub(crate) const CLIP: f64 = 1e-3;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Expected AUC of the score `e` against labels drawn as Bernoulli(`e`):
/// Σ_{i≠j} e_i (1 − e_j) [e_i > e_j] (ties ½) over Σ_{i≠j} e_i (1 − e_j).
pub(crate) fn expected_auc(e: &[f64]) -> f64 {
    let mut s: Vec<f64> = e.to_vec();
    s.sort_by(f64::total_cmp);
    let (mut num, mut below) = (0.0, 0.0); // below = Σ (1 − e_j) over strictly smaller e_j
    let mut i = 0;
    while i < s.len() {
        let mut j = i;
        while j < s.len() && s[j] == s[i] {
            j += 1;
        }
        let k = (j - i) as f64;
        let ei = s[i];
        // strictly smaller, plus ties (half weight, excluding the pair i = i)
        num += k * ei * below + 0.5 * ei * (1.0 - ei) * k * (k - 1.0);
        below += k * (1.0 - ei);
        i = j;
    }
    let (se, sf): (f64, f64) = (e.iter().sum(), e.iter().map(|x| 1.0 - x).sum());
    let self_pairs: f64 = e.iter().map(|x| x * (1.0 - x)).sum();
    num / (se * sf - self_pairs)
}

/// Propensities `clip(σ(α + β z))` with α solved for the mean `share`.
fn propensities(z: &[f64], beta: f64, share: f64) -> Vec<f64> {
    let eval = |alpha: f64| z.iter().map(move |&zi| sigmoid(alpha + beta * zi).clamp(CLIP, 1.0 - CLIP));
    let (mut lo, mut hi) = (-60.0, 60.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        let mean = eval(mid).sum::<f64>() / z.len() as f64;
        if mean < share {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    eval(0.5 * (lo + hi)).collect()
}

/// Probability of any treatment per household under current practice, with
/// `β` solved for the expected AUC (bisection; the AUC grows with `β`).
pub(crate) fn current_practice(z: &[f64], target_auc: f64, share: f64) -> Result<Vec<f64>> {
    let (mut lo, mut hi) = (0.0, 80.0);
    let best = expected_auc(&propensities(z, hi, share));
    if best < target_auc {
        return Err(SimError::Parameter {
            name: "assignment.target_auc",
            value: target_auc.to_string(),
            allowed: format!("at most {best:.4}, the largest AUC this population allows"),
        });
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if expected_auc(&propensities(z, mid, share)) < target_auc {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(propensities(z, 0.5 * (lo + hi), share))
}

/// Splits the probability of treatment among arms: returns one row of
/// probabilities per household, arm 0 = control. With more than one
/// treatment arm under current practice, heavier households (larger `z`)
/// lean towards the last arm.
pub(crate) fn arm_probabilities(
    p_treat: &[f64],
    z: &[f64],
    n_arms: usize,
    randomized: bool,
) -> Vec<Vec<f64>> {
    p_treat
        .iter()
        .zip(z)
        .map(|(&pt, &zi)| {
            let mut row = vec![0.0; n_arms];
            row[0] = 1.0 - pt;
            if n_arms == 2 {
                row[1] = pt;
            } else if randomized {
                for r in &mut row[1..] {
                    *r = pt / (n_arms - 1) as f64;
                }
            } else {
                // a softmax over treatment arms with slope growing with the arm index
                let w: Vec<f64> = (1..n_arms).map(|k| ((k - 1) as f64 * zi).exp()).collect();
                let tot: f64 = w.iter().sum();
                for (r, wk) in row[1..].iter_mut().zip(&w) {
                    *r = pt * wk / tot;
                }
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute-force O(n²) version of the expected AUC.
    fn brute(e: &[f64]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for (i, &a) in e.iter().enumerate() {
            for (j, &b) in e.iter().enumerate() {
                if i != j {
                    let w = a * (1.0 - b);
                    den += w;
                    num += w * if a > b {
                        1.0
                    } else if a == b {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        num / den
    }

    #[test]
    fn expected_auc_matches_brute_force_with_ties() {
        let e = [0.1, 0.5, 0.5, 0.9, 0.2, 0.9, 0.3];
        assert!((expected_auc(&e) - brute(&e)).abs() < 1e-12);
        assert!((expected_auc(&[0.4; 5]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn calibration_hits_target_and_share() {
        let z: Vec<f64> = (0..500).map(|i| ((i * 37 % 500) as f64 / 500.0 - 0.5) * 3.0).collect();
        for target in [0.7, 0.9, 0.99] {
            let p = current_practice(&z, target, 0.4).unwrap();
            assert!((expected_auc(&p) - target).abs() < 1e-4);
            assert!((p.iter().sum::<f64>() / 500.0 - 0.4).abs() < 1e-6);
        }
        let rows = arm_probabilities(&[0.3, 0.6], &[-1.0, 2.0], 3, false);
        for r in rows {
            assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
