//! Out-of-bag tuning of the causal forest's split rule and leaf size.
//!
//! grf answers "which leaf size?" with `tune.parameters`: small forests over
//! candidate settings, each scored by its out-of-bag Robinson (R-) loss
//! L = mean over rows of (Ỹᵢ − W̃ᵢᵀτ̂₋ᵢ(xᵢ))², corrected for the Monte Carlo
//! error of a finite forest, and the best setting grows the full forest.
//! The R-loss is the objective the causal forest itself estimates: with
//! the centering fixed, E[L] = E[(W̃ᵀ(τ − τ̂))²] + const, so it ranks settings
//! by a propensity-weighted PEHE without knowing τ (Nie & Wager 2021).
//!
//! Here the candidates are a fixed, documented grid (not drawn at random,
//! and not chosen on any benchmark): both split rules
//! ([`SplitRule::Gradient`], [`SplitRule::Exact`]) × `min_node_size` in
//! [`LEAF_SIZES`] = {1, 2, 5} rows per arm: grf's default 5 and the two
//! smaller sizes, never larger. The intervals need the forest's bias to be
//! small against its standard error (Wager & Athey 2018 grow leaves small
//! for that reason: undersmoothing), while a loss that weighs bias and
//! variance alike picks larger leaves where τ is smooth. With 10 and 20 in
//! the grid the coverage tests picked them and 90% intervals covered 0.99
//! (binary) and 0.66 (3 arms, bias): so tuning may refine the leaf below
//! grf's default but not smooth beyond it. A parameter the user set
//! explicitly is held fixed and only the other is tuned; sizes that the
//! data cannot hold (fewer than 2·K·size rows) are left out.
//!
//! Each candidate grows two forests of [`TUNE_TREES`]/2 trees with the same
//! centering (the nuisances are fitted once, sized for the full forest, and
//! shared by every candidate and the final forest) and common seeds across
//! candidates, so their differences are not seed noise. With τ̂ᴬ, τ̂ᴮ the two
//! forests' out-of-bag estimates (h trees each) and τ̄ their mean, the Monte
//! Carlo part of (W̃ᵀ(τ̄ − τ))² has expectation Δ²/4 with Δ = W̃ᵀ(τ̂ᴬ − τ̂ᴮ)
//! (the two are independent given the data), as grf's `debiased.error`
//! uses; a forest of T trees has h/T of it. So the loss
//! L = mean[(Ỹ − W̃ᵀτ̄)² − (1 − h/T)·Δ²/4]
//! estimates the R-loss of the forest that will be grown (T = its trees):
//! small forests alone would favour large leaves for their lower Monte
//! Carlo noise, and a small final forest should not take leaves whose
//! noise only many trees average away. Rows that either forest left without
//! an out-of-bag estimate are skipped.
//!
//! The choice follows the one-standard-error rule: the differences in L
//! between candidates are often far inside their noise (on a 100k-row
//! world, 0.08% between exact/1 and gradient/5, and the forest with the
//! lower L had the higher PEHE and four times the trees' memory). So every
//! candidate whose L is within one standard error of the lowest (the SE of
//! the mean paired per-row difference) counts as tied with it, and the most
//! regularized of those wins: the largest leaf, then grf's gradient rule.
//! A smaller leaf or the exact rule is taken only when the data show it
//! fits better.
//!
//! [`Tuning::Auto`] (the default) tunes when the tuning trees (candidates ×
//! [`TUNE_TREES`], 300 for the full grid) are at most as many as the
//! forest's own: at grf's 2,000 trees that adds 15% of the trees (and the
//! nuisance forests are fitted once); below 300 trees the fixed defaults
//! (gradient rule, 5 rows per arm) are used. What was tried and chosen is on the model
//! ([`CausalForestModel::tuning`]).

use serde::{Deserialize, Serialize};
use tp_core::CausalData;
use tp_core::rng::derive_seed_str;

use super::{CausalForest, CausalForestModel, SplitRule};
use crate::Result;

/// When [`CausalForest::fit`] tunes the split rule and leaf size (see the
/// module docs of `forest::tune`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Tuning {
    /// Tune when the tuning trees are at most as many as the forest's
    /// (forests of 300 trees and more with the full grid). The default.
    #[default]
    Auto,
    /// Always tune (when more than one candidate fits the data).
    Always,
    /// Never tune: the rule and leaf size as set (defaults: gradient, 5).
    Never,
}

/// Candidate minimum rows per arm per child.
pub const LEAF_SIZES: [usize; 3] = [1, 2, 5];
/// Trees per candidate (two forests of half as many).
pub const TUNE_TREES: usize = 50;

/// One tuning candidate and its debiased out-of-bag R-loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneCandidate {
    /// Split rule.
    #[serde(with = "rule_name")]
    pub split_rule: SplitRule,
    /// Minimum rows of every arm per child.
    pub min_node_size: usize,
    /// Out-of-bag R-loss, its Monte Carlo part scaled to the final forest's
    /// trees (lower is better).
    pub loss: f64,
    /// Rows scored (those with out-of-bag estimates in both forests).
    pub rows: usize,
    /// Standard error of this candidate's loss minus the lowest loss, from
    /// the paired per-row differences (0 for the lowest itself).
    #[serde(default)]
    pub se: f64,
}

/// What tuning tried and chose ([`CausalForestModel::tuning`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneReport {
    /// Every candidate, in grid order (rule, then leaf size).
    pub candidates: Vec<TuneCandidate>,
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// Trees per candidate.
    pub trees_per_candidate: usize,
}

impl CausalForestModel {
    /// What tuning tried and chose, when `fit` tuned ([`Tuning`]).
    pub fn tuning(&self) -> Option<&TuneReport> {
        self.tuning.as_ref()
    }
}

impl TuneReport {
    /// The chosen candidate.
    pub fn best(&self) -> &TuneCandidate {
        &self.candidates[self.chosen]
    }
}

mod rule_name {
    use super::SplitRule;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(rule: &SplitRule, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match rule {
            SplitRule::Exact => "exact",
            _ => "gradient",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SplitRule, D::Error> {
        match String::deserialize(d)?.as_str() {
            "gradient" => Ok(SplitRule::Gradient),
            "exact" => Ok(SplitRule::Exact),
            other => Err(D::Error::custom(format!("unknown split rule {other:?} (gradient or exact)"))),
        }
    }
}

/// The candidates (rule, leaf size) the data can hold, respecting the
/// parameters the user fixed.
pub(super) fn grid(params: &CausalForest, data: &CausalData) -> Vec<(SplitRule, usize)> {
    let rules: Vec<SplitRule> =
        if params.rule_set { vec![params.split_rule] } else { vec![SplitRule::Gradient, SplitRule::Exact] };
    let sizes: Vec<usize> = if params.leaf_set {
        vec![params.min_node_size]
    } else {
        LEAF_SIZES.iter().copied().filter(|&s| data.n() >= 2 * data.n_arms() * s).collect()
    };
    rules.iter().flat_map(|&r| sizes.iter().map(move |&s| (r, s))).collect()
}

/// Whether `fit` tunes, given the grid.
pub(super) fn should_tune(params: &CausalForest, grid_len: usize) -> bool {
    grid_len > 1
        && match params.tuning {
            Tuning::Always => true,
            Tuning::Never => false,
            Tuning::Auto => grid_len * TUNE_TREES <= params.n_trees,
        }
}

/// Tunes over `grid`, then grows the full forest with the winner.
pub(super) fn fit_tuned(
    params: &CausalForest,
    data: &CausalData,
    grid: &[(SplitRule, usize)],
) -> Result<CausalForestModel> {
    let (n, d) = (data.n(), data.n_arms() - 1);
    // the centering, fitted once (nuisances sized for the full forest)
    let (y_hat, w_hat) = match (&params.y_hat, &params.w_hat) {
        (Some(y), Some(w)) => (y.clone(), w.clone()),
        _ => {
            let mut probe = params.clone();
            probe.n_trees = probe.ci_group_size;
            probe.nuisance_trees = Some(params.nuisance_trees_for_fit());
            let m = probe.fit_fixed(data)?;
            let (y, w) = m.centering();
            (y.to_vec(), w.to_vec())
        }
    };
    let b: Vec<f64> = (0..n).map(|i| data.outcome()[i] - y_hat[i]).collect();
    let a: Vec<f64> = (0..d)
        .flat_map(|k| (0..n).map(move |i| f64::from(data.arms()[i] == k + 1)))
        .zip(&w_hat)
        .map(|(w, e)| w - e)
        .collect();
    let half = (TUNE_TREES / 2).div_ceil(params.ci_group_size) * params.ci_group_size;
    let mut candidates = Vec::with_capacity(grid.len());
    let mut losses = Vec::with_capacity(grid.len());
    for &(rule, size) in grid {
        let mut small = params.clone();
        small.split_rule = rule;
        small.min_node_size = size;
        small.y_hat = Some(y_hat.clone());
        small.w_hat = Some(w_hat.clone());
        small.n_trees = half;
        let oob = |s: u64| -> Result<Vec<f64>> {
            let m = small.clone().seed(s).fit_fixed(data)?;
            let mut t = Vec::with_capacity(n * d);
            for arm in 1..=d {
                t.extend_from_slice(m.oob_predict_arm(arm)?.0);
            }
            Ok(t)
        };
        let (ta, tb) =
            (oob(derive_seed_str(params.seed, "tune_a"))?, oob(derive_seed_str(params.seed, "tune_b"))?);
        let keep = half as f64 / params.n_trees.max(1) as f64;
        let per_row = debiased_rloss(&a, &b, &ta, &tb, n, d, keep);
        let (loss, rows) = mean_finite(&per_row);
        candidates.push(TuneCandidate { split_rule: rule, min_node_size: size, loss, rows, se: 0.0 });
        losses.push(per_row);
    }
    let chosen = one_se_choice(&mut candidates, &losses);
    let mut full = params.clone();
    full.split_rule = candidates[chosen].split_rule;
    full.min_node_size = candidates[chosen].min_node_size;
    full.y_hat = Some(y_hat);
    full.w_hat = Some(w_hat);
    let mut model = full.fit_fixed(data)?;
    model.tuning = Some(TuneReport { candidates, chosen, trees_per_candidate: 2 * half });
    Ok(model)
}

/// Per row, (b − aᵀτ̄)² − (1 − keep)·(aᵀ(τᴬ − τᴮ))²/4 with τ̄ = (τᴬ + τᴮ)/2
/// and `keep` the share of the Monte Carlo error to keep (trees per half /
/// trees of the final forest); a and the τ's column-major n × d. NaN for a
/// row without both estimates.
fn debiased_rloss(a: &[f64], b: &[f64], ta: &[f64], tb: &[f64], n: usize, d: usize, keep: f64) -> Vec<f64> {
    b.iter()
        .take(n)
        .enumerate()
        .map(|(i, &bi)| {
            let (mut fit, mut diff) = (0.0, 0.0);
            for k in 0..d {
                let j = k * n + i;
                fit += a[j] * 0.5 * (ta[j] + tb[j]);
                diff += a[j] * (ta[j] - tb[j]);
            }
            if fit.is_finite() && diff.is_finite() {
                (bi - fit).powi(2) - (1.0 - keep) * 0.25 * diff * diff
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Mean of the finite values and their count (NaN mean when there are none).
fn mean_finite(v: &[f64]) -> (f64, usize) {
    let (sum, rows) = v.iter().filter(|x| x.is_finite()).fold((0.0, 0usize), |(s, r), x| (s + x, r + 1));
    (if rows > 0 { sum / rows as f64 } else { f64::NAN }, rows)
}

/// The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani &
/// Friedman, §7.10): with `best` the lowest loss, every candidate whose loss
/// is within one standard error of it (the SE of the mean paired per-row
/// difference, over the rows both scored) is as good as the data can tell,
/// and the most regularized of those wins: the largest leaf, and at equal
/// leaf grf's gradient rule. Fills each candidate's `se`; returns the index.
fn one_se_choice(candidates: &mut [TuneCandidate], losses: &[Vec<f64>]) -> usize {
    let best = (0..candidates.len()).fold(0, |b, c| {
        if candidates[c].loss < candidates[b].loss || candidates[b].loss.is_nan() { c } else { b }
    });
    for (c, cand) in candidates.iter_mut().enumerate() {
        let diffs: Vec<f64> = losses[c].iter().zip(&losses[best]).map(|(x, y)| x - y).collect();
        let (mean, m) = mean_finite(&diffs);
        let var = diffs.iter().filter(|x| x.is_finite()).map(|x| (x - mean).powi(2)).sum::<f64>()
            / (m.max(2) - 1) as f64;
        cand.se = if c == best { 0.0 } else { (var / m.max(1) as f64).sqrt() };
    }
    let within = |c: &TuneCandidate| c.loss <= candidates[best].loss + c.se;
    let simpler = |c: &TuneCandidate| (std::cmp::Reverse(c.min_node_size), c.split_rule == SplitRule::Exact);
    (0..candidates.len())
        .filter(|&c| within(&candidates[c]))
        .min_by_key(|&c| simpler(&candidates[c]))
        .unwrap_or(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debiased_rloss_removes_the_monte_carlo_term() {
        let mean = |v: Vec<f64>| mean_finite(&v);
        // two rows, binary: a = (1, −1), b = (2, 0)
        let (a, b) = ([1.0, -1.0], [2.0, 0.0]);
        // equal estimates: plain R-loss ((2 − 1)² + (0 + 1)²)/2 = 1
        assert_eq!(mean(debiased_rloss(&a, &b, &[1.0, 1.0], &[1.0, 1.0], 2, 1, 0.0)), (1.0, 2));
        // estimates 0 and 2 on row 0 (mean 1): minus (1·2)²/4 = 1 on that row
        assert_eq!(mean(debiased_rloss(&a, &b, &[0.0, 1.0], &[2.0, 1.0], 2, 1, 0.0)), (0.5, 2));
        // keeping a quarter of the Monte Carlo term (final forest 4 × a half): minus 3/4
        assert_eq!(mean(debiased_rloss(&a, &b, &[0.0, 1.0], &[2.0, 1.0], 2, 1, 0.25)), (0.625, 2));
        // a row without an estimate is skipped
        assert_eq!(mean(debiased_rloss(&a, &b, &[f64::NAN, 1.0], &[1.0, 1.0], 2, 1, 0.0)), (1.0, 1));
        assert!(mean(debiased_rloss(&a, &b, &[f64::NAN; 2], &[1.0; 2], 2, 1, 0.0)).0.is_nan());
    }

    #[test]
    fn one_se_rule_takes_the_largest_leaf_within_noise_of_the_best() {
        let cand = |rule, size, rows: &[f64]| {
            let (loss, n) = mean_finite(rows);
            (TuneCandidate { split_rule: rule, min_node_size: size, loss, rows: n, se: 0.0 }, rows.to_vec())
        };
        let choose = |cs: Vec<(TuneCandidate, Vec<f64>)>| {
            let (mut c, l): (Vec<_>, Vec<_>) = cs.into_iter().unzip();
            (one_se_choice(&mut c, &l), c)
        };
        let base = [1.0, 3.0, 2.0, 4.0, 0.5, 2.5];
        // exact/1 lower by a noisy margin (differences ±1 around −0.1): gradient/5 is kept
        let noisy: Vec<f64> =
            base.iter().enumerate().map(|(i, v)| v - 0.1 + if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let (pick, c) = choose(vec![cand(SplitRule::Gradient, 5, &base), cand(SplitRule::Exact, 1, &noisy)]);
        assert_eq!((pick, c[1].se), (0, 0.0));
        assert!(c[0].se > 0.4 && c[0].loss - c[1].loss < c[0].se, "{c:?}");
        // lower by a steady 0.1 on every row (SE 0): exact/1 wins
        let steady: Vec<f64> = base.iter().map(|v| v - 0.1).collect();
        let (pick, _) = choose(vec![cand(SplitRule::Gradient, 5, &base), cand(SplitRule::Exact, 1, &steady)]);
        assert_eq!(pick, 1);
        // among candidates all within noise, the larger leaf, then the gradient rule
        let (pick, _) = choose(vec![
            cand(SplitRule::Exact, 2, &noisy),
            cand(SplitRule::Exact, 5, &base),
            cand(SplitRule::Gradient, 5, &base),
        ]);
        assert_eq!(pick, 2);
    }

    #[test]
    fn rule_names_round_trip() {
        let c =
            TuneCandidate { split_rule: SplitRule::Exact, min_node_size: 2, loss: 1.5, rows: 3, se: 0.25 };
        let s = serde_json::to_string(&c).unwrap();
        assert!(s.contains("\"exact\""), "{s}");
        assert_eq!(serde_json::from_str::<TuneCandidate>(&s).unwrap(), c);
        assert!(serde_json::from_str::<TuneCandidate>(&s.replace("exact", "mse")).is_err());
    }
}
