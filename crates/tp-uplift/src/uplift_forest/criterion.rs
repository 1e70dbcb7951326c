//! The divergence criteria of uplift trees for a binary outcome
//! (Rzepakowski & Jaroszewicz 2012), with causalml's conventions.
//!
//! A node's *summary* is the positive rate pₖ of every arm k (0 = control).
//! The root uses raw rates; a child's rate is shrunk toward its parent's,
//! pₖ = (positivesₖ + p_parent,ₖ·n_reg)/(nₖ + n_reg), and is the parent's
//! when the child has at most `min_samples_treatment` rows of arm k.
//! Divergences between each treated arm and control, summed over arms:
//! - KL: Σₖ KL(pₖ ‖ p₀) for Bernoulli laws, p₀ clipped to [10⁻⁶, 1 − 10⁻⁶]
//!   (0 when p₀ = 0);
//! - ED: Σₖ 2(pₖ − p₀)²;
//! - Chi: Σₖ (pₖ − p₀)²·(1/max(p₀, 10⁻⁶) + 1/max(1 − p₀, 10⁻⁶));
//! - CTS: the node's score is −maxₖ pₖ (control included).
//!
//! The gain of a split with share q = n_L/n on the left is
//! q·D(L) + (1 − q)·D(R) − D(node) (for CTS the negated scores, i.e.
//! q·max p(L) + (1 − q)·max p(R) − max p(node)); for KL, ED and Chi it is
//! divided by causalml's normalization factor I (see [`norm_i`]), which
//! penalizes splits that separate treatment from control unevenly.

use serde::{Deserialize, Serialize};

/// Split criterion of an uplift tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Divergence {
    /// Kullback–Leibler divergence (causalml's default).
    Kl,
    /// Squared Euclidean distance.
    Ed,
    /// χ² divergence.
    Chi,
    /// Contextual treatment selection (the best arm's rate).
    Cts,
}

impl Divergence {
    /// Parses `kl`, `ed`, `chi` or `cts` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "kl" => Some(Self::Kl),
            "ed" => Some(Self::Ed),
            "chi" => Some(Self::Chi),
            "cts" => Some(Self::Cts),
            _ => None,
        }
    }

    /// The node score D(p) of a summary (CTS: −max p).
    pub fn score(self, p: &[f64]) -> f64 {
        let pc = p[0];
        match self {
            Self::Kl => p[1..].iter().map(|&pt| kl(pt, pc)).sum(),
            Self::Ed => p[1..].iter().map(|&pt| 2.0 * (pt - pc).powi(2)).sum(),
            Self::Chi => {
                let (a, b) = (pc.max(1e-6), (1.0 - pc).max(1e-6));
                p[1..].iter().map(|&pt| (pt - pc).powi(2) / a + (pt - pc).powi(2) / b).sum()
            }
            Self::Cts => -p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// Whether the gain is divided by the normalization factor I.
    pub fn normalized(self) -> bool {
        !matches!(self, Self::Cts)
    }
}

/// Bernoulli KL(p ‖ q) with causalml's guards.
pub(crate) fn kl(p: f64, q: f64) -> f64 {
    if q == 0.0 {
        return 0.0;
    }
    let eps = 1e-6;
    let q = q.clamp(eps, 1.0 - eps);
    if p == 0.0 {
        -(1.0 - q).ln()
    } else if p == 1.0 {
        -q.ln()
    } else {
        p * (p / q).ln() + (1.0 - p) * ((1.0 - p) / (1.0 - q)).ln()
    }
}

/// causalml's `entropyH`: −p·ln q (with q = p when omitted), 0 when not positive.
fn h(p: f64, q: Option<f64>) -> f64 {
    match q {
        None if p > 0.0 => -p * p.ln(),
        Some(q) if q > 0.0 => -p * q.ln(),
        _ => 0.0,
    }
}

/// Normalization factor I of a split (causalml's `normI` with α = 0.9),
/// from the arm counts of the node (`cur`) and of its left child (`left`),
/// control first:
/// α·H(n_t/n, n_c/n)·KL(p_t^L ‖ p_c^L) + Σₖ [(1 − α)·H(nₖ/(nₖ + n_c),
/// n_c/(nₖ + n_c))·KL(pₖ^L ‖ p_c^L) + nₖ/n·H(pₖ^L)] + n_c/n·H(p_c^L) + ½,
/// where p^L = n^L/(n + 0.1) are the shares sent left and H(a, b) = −a ln b.
pub fn norm_i(cur: &[f64], left: &[f64]) -> f64 {
    let alpha = 0.9;
    let (n_c, n_c_left) = (cur[0], left[0]);
    let sum_t: f64 = cur[1..].iter().sum();
    let sum_t_left: f64 = left[1..].iter().sum();
    let total = sum_t + n_c;
    let pt_a = sum_t_left / (sum_t + 0.1);
    let pc_a = n_c_left / (n_c + 0.1);
    let mut norm = alpha * h(sum_t / total, Some(n_c / total)) * kl(pt_a, pc_a);
    for k in 1..cur.len() {
        let pt_k = left[k] / (cur[k] + 0.1);
        let nk = cur[k];
        norm += (1.0 - alpha) * h(nk / (nk + n_c), Some(n_c / (nk + n_c))) * kl(pt_k, pc_a);
        norm += nk / total * h(pt_k, None);
    }
    norm += n_c / total * h(pc_a, None);
    norm + 0.5
}

/// A node's summary: per-arm positive rates from (count, positives) pairs,
/// shrunk toward `parent` as described in the module docs.
pub(crate) fn summary(
    counts: &[[f64; 2]],
    parent: Option<&[f64]>,
    min_samples_treatment: usize,
    n_reg: f64,
    out: &mut [f64],
) {
    for (k, &[n, pos]) in counts.iter().enumerate() {
        out[k] = match parent {
            None => {
                if n > 0.0 {
                    pos / n
                } else {
                    0.0
                }
            }
            Some(pp) => {
                if n > min_samples_treatment as f64 {
                    (pos + pp[k] * n_reg) / (n + n_reg)
                } else {
                    pp[k]
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergences_on_hand_computed_cases() {
        // control 0.2, one treated arm 0.5
        let p = [0.2, 0.5];
        let kl_want = 0.5 * (0.5f64 / 0.2).ln() + 0.5 * (0.5f64 / 0.8).ln(); // 0.22314
        assert!((Divergence::Kl.score(&p) - kl_want).abs() < 1e-12);
        assert!((kl_want - 0.223_143_551_314_209_7).abs() < 1e-12);
        assert!((Divergence::Ed.score(&p) - 0.18).abs() < 1e-12);
        // 0.09/0.2 + 0.09/0.8 = 0.45 + 0.1125
        assert!((Divergence::Chi.score(&p) - 0.5625).abs() < 1e-12);
        assert_eq!(Divergence::Cts.score(&p), -0.5);
        // two treated arms add up
        let p3 = [0.2, 0.5, 0.1];
        assert!((Divergence::Ed.score(&p3) - (0.18 + 0.02)).abs() < 1e-12);
        assert_eq!(Divergence::Cts.score(&p3), -0.5);
        // guards: control rate 0 gives KL 0; treated rate 0 or 1 closed forms
        assert_eq!(kl(0.3, 0.0), 0.0);
        assert!((kl(0.0, 0.25) - -(0.75f64).ln()).abs() < 1e-12);
        assert!((kl(1.0, 0.25) - -(0.25f64).ln()).abs() < 1e-12);
        assert!((Divergence::Chi.score(&[0.0, 0.1]) - (0.01 / 1e-6 + 0.01)).abs() < 1e-6);
    }

    #[test]
    fn normalization_on_a_hand_computed_case() {
        // node: 100 control, 100 treated; left child: 50 control, 30 treated
        let cur = [100.0, 100.0];
        let left = [50.0, 30.0];
        let pt: f64 = 30.0 / 100.1;
        let pc: f64 = 50.0 / 100.1;
        let kl_tc = pt * (pt / pc).ln() + (1.0 - pt) * ((1.0 - pt) / (1.0 - pc)).ln();
        let h_half = -0.5 * 0.5f64.ln();
        let want =
            0.9 * h_half * kl_tc + 0.1 * h_half * kl_tc + 0.5 * (-pt * pt.ln()) + 0.5 * (-pc * pc.ln()) + 0.5;
        assert!((norm_i(&cur, &left) - want).abs() < 1e-12, "{} vs {want}", norm_i(&cur, &left));
        // an even split of both arms: KL terms vanish
        let even = norm_i(&[100.0, 100.0], &[50.0, 50.0]);
        let p: f64 = 50.0 / 100.1;
        assert!((even - (-p * p.ln() + 0.5)).abs() < 1e-12);
    }

    #[test]
    fn summaries_shrink_toward_the_parent() {
        let mut out = [0.0; 2];
        summary(&[[10.0, 2.0], [20.0, 10.0]], None, 10, 100.0, &mut out);
        assert_eq!(out, [0.2, 0.5]);
        // arm 0 has 10 rows (not > 10): parent's rate; arm 1: (10 + 0.4·100)/(20 + 100)
        summary(&[[10.0, 2.0], [20.0, 10.0]], Some(&[0.3, 0.4]), 10, 100.0, &mut out);
        assert_eq!(out[0], 0.3);
        assert!((out[1] - 50.0 / 120.0).abs() < 1e-12);
    }
}
