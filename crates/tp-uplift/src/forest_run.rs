//! The causal forest as `tp uplift --method causal-forest` and Python's
//! `tp.CausalForest` run it: one call from [`CausalData`] to the fitted
//! forest, an out-of-bag τ̂ with an interval for **every** training row of
//! every treated arm, and the per-arm outcome means and propensities that
//! feed doubly robust scores and off-policy evaluation.
//!
//! [`CausalForest::fit`] leaves NaN for a row that fell inside every group's
//! half-sample (no out-of-bag tree: likely only with few trees);
//! [`fit_forest`] fills such a row from the whole forest, as grf's
//! `predict()` without new data does for rows without an out-of-bag estimate.
//! Both front ends call this module, so their numbers are bit-identical.
//! [`fit_uplift_forest`] does the same for the uplift forest.
//!
//! ```
//! use tp_core::{CausalData, faer::Mat};
//! use tp_uplift::{CausalForest, Tuning, forest_run};
//!
//! // a randomized campaign where the effect is 1 + x
//! let n = 400;
//! let x = Mat::from_fn(n, 2, |i, j| ((i * (3 + j)) % 17) as f64 / 8.0 - 1.0);
//! let arms: Vec<usize> = (0..n).map(|i| (i / 3) % 2).collect();
//! let y: Vec<f64> = (0..n).map(|i| x[(i, 1)] + arms[i] as f64 * (1.0 + x[(i, 0)])).collect();
//! let data = CausalData::builder(x, vec!["a".into(), "b".into()], arms, y).build().unwrap();
//! let params = CausalForest::params().n_trees(50).tune(Tuning::Never).seed(3);
//! let fit = forest_run::fit_forest(&params, &data, 0.9).unwrap();
//! assert_eq!(fit.oob.len(), 1); // one treated arm
//! assert!(fit.oob[0].tau.iter().all(|t| t.is_finite()));
//! assert_eq!((fit.mu.nrows(), fit.mu.ncols()), (n, 2));
//! ```

use crate::uplift_forest::UpliftPrediction;
use crate::{
    CausalForest, CausalForestModel, ForestPrediction, Result, UpliftError, UpliftForest, UpliftForestModel,
};
use faer::Mat;
use tp_core::CausalData;

/// Fewest rows of any arm the causal forest accepts: each tree estimates on
/// a quarter of the rows (half-sample, then the honest half) and a leaf needs
/// 5 rows of every arm (grf's min node size), so fewer than 4 × 5 rows of an
/// arm leave most trees without it and its propensity, effect and standard
/// error are not estimable.
pub const MIN_ROWS_PER_ARM: usize = 20;

/// The first arm (index, row count) with fewer than [`MIN_ROWS_PER_ARM`]
/// rows, if any. Front ends name the arm and column in their own message.
pub fn sparse_arm(data: &CausalData) -> Option<(usize, usize)> {
    let mut count = vec![0usize; data.n_arms()];
    data.arms().iter().for_each(|&a| count[a] += 1);
    count.iter().position(|&c| c < MIN_ROWS_PER_ARM).map(|a| (a, count[a]))
}

/// What [`fit_forest`] returns.
#[derive(Debug, Clone)]
pub struct ForestFit {
    /// The fitted forest (nuisances, trees, tuning report, ATEs).
    pub model: CausalForestModel,
    /// Per treated arm (arm 1 first): τ̂, standard error and the two-sided
    /// normal interval at the requested level for every training row —
    /// out-of-bag, or from the whole forest for a row without an
    /// out-of-bag tree ([`ForestFit::filled_rows`]).
    pub oob: Vec<ForestPrediction>,
    /// Training rows whose estimate came from the whole forest.
    pub filled_rows: Vec<usize>,
    /// Per-arm outcome means `n × K` (see [`forest_arm_models`]).
    pub mu: Mat<f64>,
    /// Per-arm propensities `n × K`, clipped to [0.01, 0.99].
    pub e: Mat<f64>,
}

/// Fits `params` on `data` and completes the out-of-bag estimates of every
/// treated arm at interval `level` (in (0, 1)).
///
/// Errors: an arm with fewer than [`MIN_ROWS_PER_ARM`] rows
/// ([`UpliftError::NotEnoughSamples`]), a level outside (0, 1), and every
/// error of [`CausalForest::fit`].
pub fn fit_forest(params: &CausalForest, data: &CausalData, level: f64) -> Result<ForestFit> {
    if !(level > 0.0 && level < 1.0) {
        return Err(UpliftError::InvalidParameter {
            name: "level".into(),
            value: level.to_string(),
            expected: "a coverage in (0, 1), e.g. 0.9".into(),
        });
    }
    if let Some((a, got)) = sparse_arm(data) {
        let label = data.arm_labels().get(a).cloned().unwrap_or_else(|| a.to_string());
        return Err(UpliftError::NotEnoughSamples {
            what: format!("causal forest, arm '{label}' (merge it into another arm or drop its rows)"),
            needed: MIN_ROWS_PER_ARM,
            got,
        });
    }
    let model = params.fit(data)?;
    let (n, d) = (data.n(), model.n_treated());
    let mut oob: Vec<ForestPrediction> =
        (1..=d).map(|a| model.oob_interval_arm(a, level)).collect::<Result<_>>()?;
    let filled_rows: Vec<usize> = (0..n).filter(|&i| !oob[0].tau[i].is_finite()).collect();
    if !filled_rows.is_empty() {
        let x = data.covariates();
        let rows = Mat::from_fn(filled_rows.len(), data.p(), |r, j| x[(filled_rows[r], j)]);
        let fill = model.predict_arms(rows.as_ref())?;
        for (k, p) in oob.iter_mut().enumerate() {
            for (r, &i) in filled_rows.iter().enumerate() {
                let (t, se) = (fill.tau[(r, k)], fill.se[(r, k)]);
                let h = model.half_width(k + 1, t, se, level)?;
                (p.tau[i], p.tau_se[i], p.tau_lo[i], p.tau_hi[i]) = (t, se, t - h, t + h);
            }
        }
    }
    let tau: Vec<f64> = oob.iter().flat_map(|p| p.tau.iter().copied()).collect();
    let (mu, e) = forest_arm_models(&model, &tau);
    Ok(ForestFit { model, oob, filled_rows, mu, e })
}

/// The per-arm outcome means and propensities (`n × K`) implied by a causal
/// forest's centering nuisances m̂ = E[Y|X], êₖ = P(W=k|X) and τ̂ₖ (`tau`
/// column-major `n × (K − 1)`, arm k at `[(k−1)·n, k·n)`):
/// μ̂₀ = m̂ − Σⱼ êⱼτ̂ⱼ, μ̂ₖ = m̂ + (1 − êₖ)τ̂ₖ − Σ_{j≠k} êⱼτ̂ⱼ (= μ̂₀ + τ̂ₖ);
/// êₖ and ê₀ = 1 − Σⱼ êⱼ clipped to [0.01, 0.99] as the forest's own doubly
/// robust scores do. They feed `tp_core::aipw_scores` and serve as the
/// reward model of off-policy evaluation.
pub fn forest_arm_models(model: &CausalForestModel, tau: &[f64]) -> (Mat<f64>, Mat<f64>) {
    let (m_hat, _) = model.nuisances();
    let (n, d) = (m_hat.len(), model.n_treated());
    let w: Vec<&[f64]> =
        (1..=d).map(|a| model.propensity_arm(a).expect("every treated arm has a propensity")).collect();
    let e = Mat::from_fn(n, d + 1, |i, a| {
        if a == 0 {
            (1.0 - w.iter().map(|w| w[i]).sum::<f64>()).clamp(0.01, 0.99)
        } else {
            w[a - 1][i].clamp(0.01, 0.99)
        }
    });
    let mu = Mat::from_fn(n, d + 1, |i, a| {
        let others: f64 = (0..d).filter(|&j| j + 1 != a).map(|j| w[j][i] * tau[j * n + i]).sum();
        if a == 0 {
            m_hat[i] - others
        } else {
            m_hat[i] + (1.0 - w[a - 1][i]) * tau[(a - 1) * n + i] - others
        }
    });
    (mu, e)
}

/// What [`fit_uplift_forest`] returns.
#[derive(Debug, Clone)]
pub struct UpliftForestFit {
    /// The fitted uplift forest.
    pub model: UpliftForestModel,
    /// Uplift, standard error and interval of every training row and treated
    /// arm: out-of-bag, or from the whole forest for a row without an
    /// out-of-bag estimate ([`UpliftForestFit::filled_rows`]).
    pub oob: UpliftPrediction,
    /// Training rows whose estimate came from the whole forest.
    pub filled_rows: Vec<usize>,
}

/// Fits the uplift forest `params` on `data` and completes its out-of-bag
/// estimates at interval `level`: a row inside every group's half-sample
/// (likely only with few trees) gets the whole forest's estimate.
///
/// Errors: those of [`UpliftForest::fit`] and of the interval (a level
/// outside (0, 1)).
pub fn fit_uplift_forest(params: &UpliftForest, data: &CausalData, level: f64) -> Result<UpliftForestFit> {
    let model = params.fit(data)?;
    let mut oob = model.oob_interval(level)?;
    let filled_rows: Vec<usize> = (0..data.n()).filter(|&i| !oob.tau[(i, 0)].is_finite()).collect();
    if !filled_rows.is_empty() {
        let x = data.covariates();
        let rows = Mat::from_fn(filled_rows.len(), data.p(), |r, j| x[(filled_rows[r], j)]);
        let fill = model.predict_interval(rows.as_ref(), level)?;
        for (r, &i) in filled_rows.iter().enumerate() {
            for k in 0..oob.tau.ncols() {
                oob.tau[(i, k)] = fill.tau[(r, k)];
                oob.se[(i, k)] = fill.se[(r, k)];
                oob.lo[(i, k)] = fill.lo[(r, k)];
                oob.hi[(i, k)] = fill.hi[(r, k)];
            }
        }
    }
    Ok(UpliftForestFit { model, oob, filled_rows })
}
