//! Choosing a policy tree by its out-of-fold value.
//!
//! A tree fit to doubly robust rewards and judged on the same rewards is
//! optimistic, and most of all where the rewards are noisiest: a small leaf
//! whose few rows carry large inverse-propensity weights can look very
//! profitable by chance. [`select_tree`] therefore judges each candidate
//! (depth × minimum leaf size) out of fold — fit on K − 1 folds, assign the
//! held-out fold, sum the held-out rows' rewards of those arms — picks the
//! candidate with the highest out-of-fold value (ties go to the simpler one,
//! listed first), and refits it on all rows.

use super::{PolicyTree, PolicyTreeParams};
use crate::error::{PolicyError, Result};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};

/// The candidates [`select_tree`] compares: every depth with every minimum leaf size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeGrid {
    /// Depths tried.
    pub depths: Vec<usize>,
    /// Minimum leaf sizes as shares of the rows a tree is fit on: a
    /// candidate's leaves keep at least `max(min_node_size, ⌈share · n_fit⌉)`
    /// rows (`min_node_size` from the base parameters).
    pub min_leaf_shares: Vec<f64>,
}

impl TreeGrid {
    /// Depths `1..=depth` with minimum leaf shares 0 (the base parameters'
    /// own minimum), 2 %, 5 % and 10 % of the rows.
    pub fn up_to(depth: usize) -> TreeGrid {
        TreeGrid { depths: (1..=depth.max(1)).collect(), min_leaf_shares: vec![0.0, 0.02, 0.05, 0.10] }
    }

    /// Only the base parameters (depth `depth`, their own minimum leaf size):
    /// the out-of-fold value is still computed, nothing is chosen.
    pub fn fixed(depth: usize) -> TreeGrid {
        TreeGrid { depths: vec![depth], min_leaf_shares: vec![0.0] }
    }

    /// Candidates in order, simplest first: depth ascending, then the
    /// largest minimum leaf first.
    fn candidates(&self) -> Result<Vec<(usize, f64)>> {
        if self.depths.is_empty() || self.min_leaf_shares.is_empty() {
            return Err(PolicyError::Empty {
                what: "tree grid".into(),
                hint: "give at least one depth and one minimum leaf share, e.g. TreeGrid::up_to(2)".into(),
            });
        }
        if let Some(&s) = self.min_leaf_shares.iter().find(|s| !(0.0..0.5).contains(*s)) {
            return Err(PolicyError::Parameter {
                name: "minimum leaf share".into(),
                value: s,
                expected: "a share of the rows in [0, 0.5)".into(),
            });
        }
        let mut depths = self.depths.clone();
        depths.sort_unstable();
        depths.dedup();
        let mut shares = self.min_leaf_shares.clone();
        shares.sort_by(|a, b| b.total_cmp(a));
        shares.dedup();
        Ok(depths.iter().flat_map(|&d| shares.iter().map(move |&s| (d, s))).collect())
    }
}

/// One candidate's out-of-fold result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeCandidate {
    /// Depth.
    pub depth: usize,
    /// Minimum leaf size as a share of the rows fit on.
    pub min_leaf_share: f64,
    /// The minimum leaf size of the refit on all rows.
    pub min_leaf: usize,
    /// Sum over all rows of the evaluation rewards of the out-of-fold arms.
    pub oof_value: f64,
    /// Its standard error, `sd · √n` of the per-row terms.
    pub oof_se: f64,
}

/// The result of [`select_tree`].
#[derive(Debug, Clone, PartialEq)]
pub struct TreeSelection {
    /// The chosen candidate refit on all rows.
    pub tree: PolicyTree,
    /// The chosen candidate's out-of-fold arm of every row.
    pub oof_arms: Vec<usize>,
    /// Every candidate, in the order tried.
    pub candidates: Vec<TreeCandidate>,
    /// Index of the chosen candidate.
    pub chosen: usize,
}

fn min_leaf(base: usize, share: f64, n_fit: usize) -> usize {
    base.max((share * n_fit as f64).ceil() as usize).max(1)
}

/// Chooses a policy tree among `grid`'s candidates by out-of-fold value.
///
/// `fit_rewards` (`n × K`) are what the trees maximize; `eval_rewards`
/// (same shape) are what the held-out rows are scored with — pass the same
/// matrix twice, or fit on rewards from clipped weights
/// ([`crate::clipped_aipw_scores`]) and evaluate on unclipped ones.
/// The rows are split by `tp_core::Folds::kfold(n, folds, seed)`; the other
/// settings (bins, search, base minimum node size) come from `base`.
///
/// The chosen candidate's out-of-fold value is itself slightly optimistic
/// (it is the best of several noisy values); with the default grid of 8
/// candidates the effect is small next to the in-sample optimism it replaces.
pub fn select_tree(
    base: &PolicyTreeParams,
    grid: &TreeGrid,
    x: MatRef<'_, f64>,
    fit_rewards: MatRef<'_, f64>,
    eval_rewards: MatRef<'_, f64>,
    folds: usize,
    seed: u64,
) -> Result<TreeSelection> {
    let (n, k) = (x.nrows(), fit_rewards.ncols());
    if fit_rewards.nrows() != n || eval_rewards.nrows() != n || eval_rewards.ncols() != k {
        return Err(PolicyError::Shape {
            what: "tree rewards".into(),
            expected: format!("{n} rows (as the covariates), fit and evaluation rewards of the same shape"),
            got: format!(
                "{} × {} and {} × {}",
                fit_rewards.nrows(),
                k,
                eval_rewards.nrows(),
                eval_rewards.ncols()
            ),
        });
    }
    crate::error::check_finite("evaluation rewards", eval_rewards)?;
    if folds < 2 || n < folds {
        return Err(PolicyError::Parameter {
            name: "tree folds".into(),
            value: folds as f64,
            expected: format!("at least 2 and at most the number of rows ({n})"),
        });
    }
    let candidates = grid.candidates()?;
    let split = tp_core::Folds::kfold(n, folds, seed).map_err(|e| PolicyError::Parameter {
        name: "tree folds".into(),
        value: folds as f64,
        expected: e.to_string(),
    })?;
    let mut oof = vec![vec![0usize; n]; candidates.len()];
    for f in 0..split.k() {
        let train = split.train(f);
        let test = split.test(f);
        let xt = Mat::from_fn(train.len(), x.ncols(), |r, j| x[(train[r], j)]);
        let rt = Mat::from_fn(train.len(), k, |r, a| fit_rewards[(train[r], a)]);
        let xs = Mat::from_fn(test.len(), x.ncols(), |r, j| x[(test[r], j)]);
        for (c, &(depth, share)) in candidates.iter().enumerate() {
            let params = PolicyTreeParams {
                depth,
                min_node_size: min_leaf(base.min_node_size, share, train.len()),
                ..base.clone()
            };
            let tree = params.fit(xt.as_ref(), rt.as_ref())?;
            for (&i, a) in test.iter().zip(tree.predict(xs.as_ref())?) {
                oof[c][i] = a;
            }
        }
    }
    let mut report: Vec<TreeCandidate> = Vec::with_capacity(candidates.len());
    let mut chosen = 0;
    for (c, &(depth, share)) in candidates.iter().enumerate() {
        let z: Vec<f64> = (0..n).map(|i| eval_rewards[(i, oof[c][i])]).collect();
        let (mean, se_mean) = tp_core::stats::mean_se(&z);
        let cand = TreeCandidate {
            depth,
            min_leaf_share: share,
            min_leaf: min_leaf(base.min_node_size, share, n),
            oof_value: mean * n as f64,
            oof_se: se_mean * n as f64,
        };
        if c > 0 && cand.oof_value > report[chosen].oof_value {
            chosen = c;
        }
        report.push(cand);
    }
    let (depth, share) = candidates[chosen];
    let params =
        PolicyTreeParams { depth, min_node_size: min_leaf(base.min_node_size, share, n), ..base.clone() };
    let tree = params.fit(x, fit_rewards)?;
    Ok(TreeSelection { tree, oof_arms: std::mem::take(&mut oof[chosen]), candidates: report, chosen })
}
