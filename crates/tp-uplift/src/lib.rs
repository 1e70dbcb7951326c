//! # tp-uplift: whom a campaign moves, how sure we are, and when the data cannot tell
//!
//! The UPLIFT stage of tp sits between the segments and the policy: from a
//! campaign log ([`tp_core::CausalData`]: covariates, the arm each customer
//! got, the outcome, optionally known propensities) it estimates the effect
//! of each arm against control, per customer, with the diagnostics and
//! uncertainty a decision needs. It depends only on tp-core (data, folds,
//! AIPW scores, statistics) and tp-learn (base learners).
//!
//! - [`diagnostics`]: cross-fitted propensity model, propensity AUC,
//!   overlap share and histograms, covariate balance (SMD raw and IPW
//!   weighted), plain-language warnings, Crump et al. trimming.
//! - [`ate`]: AIPW average effects with influence-function SEs and the ATT,
//!   each arm against control, on cross-fitted nuisances ([`Nuisances`]).
//! - [`meta`]: the S, T, X, R and DR meta-learners over any tp-learn
//!   learners, binary and multi-arm, with optional seeded bootstrap SEs;
//!   the fitted [`CateModel`] predicts on new rows.
//! - [`model`]: train once, score many — a versioned, self-describing JSON
//!   model file that loads back to identical predictions.
//! - [`evaluate`]: uplift and Qini curves and their normalized areas
//!   (scikit-uplift's conventions, golden-tested), uplift@k, uplift by
//!   percentile, RATE (grf), BLP calibration and GATEs.
//! - [`forest`]: the honest GRF causal forest ([`CausalForest`]) —
//!   locally centered, subsampled, gradient-criterion or exact splits with
//!   the rule and leaf size tuned by out-of-bag R-loss ([`Tuning`]), out-of-bag
//!   τ̂ with little-bags confidence intervals, doubly robust ATE; binary or
//!   multi-arm (K − 1 effects from one forest), stored compactly, serializable.
//! - [`forest_run`]: the causal forest as `tp uplift` and Python run it
//!   (every training row's out-of-bag τ̂ completed, per-arm outcome models).
//! - [`uplift_forest`]: uplift random forests for binary outcomes (KL, ED,
//!   Chi, CTS divergences; causalml's conventions), binary or multi-arm,
//!   with out-of-bag uplift and little-bags standard errors (approximate:
//!   see "How sure" below).
//! - [`smooth`]: the decision score — the cross-fitted linear projection
//!   of τ̂ on the covariates, kept when its R-loss is lower than τ̂'s.
//! - [`refute`]: placebo treatment, random common cause and data-subset
//!   refutations of any effect estimator, each with a stated pass rule.
//! - [`UpliftParams`] → [`UpliftFit`]: the one call behind `tp uplift`.
//!
//! Key choices. Every nuisance that feeds a score is cross-fitted on folds
//! stratified by arm; estimated propensities are clipped (default 0.01).
//! Several arms are always handled as *each arm against control* (pair
//! propensity ê_a/(ê_a + ê_0)). Learners are pluggable through
//! [`RegressorSpec`] / [`ClassifierSpec`] (linear, logistic, random forest,
//! gradient boosting or any tp-learn learner); every fitted meta-learner
//! with tp-learn base models saves to a model file. Every stochastic step
//! takes a seed and parallel tasks draw from their own streams, so results
//! do not depend on the number of threads.
//!
//! ## Adding a meta-learner: one new file, one registration line
//!
//! Each meta-learner lives in its own file under `src/meta/` (`s.rs`, `t.rs`,
//! `x.rs`, `r.rs`, `dr.rs`): a unit struct implementing the crate-internal
//! `MetaLearner` trait, which says whether it needs cross-fitted nuisances,
//! which kind of fitted stages it returns (one augmented outcome model, one
//! outcome model per arm, the X-learner's blend, or one effect model per
//! treated arm) and how it fits them on a set of rows. A U-learner, say,
//! regressing (Y − m̂)/(W − π) per arm without the R-learner's weights:
//!
//! ```text
//! // src/meta/u.rs: the new file
//! pub(crate) struct ULearner;
//! impl MetaLearner for ULearner {
//!     fn needs_nuisances(&self) -> bool { true }
//!     fn stages(&self) -> Stages { Stages::Effect }
//!     fn fit(&self, cx: &FitContext<'_>, rows: &[usize], seed: u64) -> Result<Parts> {
//!         // per treated arm a: cx.fit_reg(cx.learners.effect, &rows_in_a_or_0, &target, None, seed)
//!     }
//! }
//!
//! // src/meta/mod.rs: the registration line, inside `meta_learners!`
//!     /// The U-learner.
//!     U = "u" in u::ULearner,
//! ```
//!
//! The line declares the module and adds `Method::U`, its name `"u"` (parsed by
//! `"u".parse::<Method>()`, listed in [`Method::ALL`], written in model files and
//! in `tp run`'s `uplift.method`) and the learner behind it. Fitting with
//! bootstrap replicates ([`meta::fit_cate`]), prediction, standard errors and the
//! model file ([`model`]) work for it unchanged.
//!
//! ## How sure: what a 90% interval on τ̂(x) does and does not hold
//!
//! The causal forest's standard error is the little-bags estimate of how
//! much τ̂(x) would move over new samples (grf's). It leaves out the
//! forest's *smoothing bias*: a forest averages the effect over a
//! neighbourhood, so it pulls τ̂(x) toward the local mean, most where τ
//! changes fast or the data are thin. On ACIC 2016 settings 1, 4 and 5 the
//! variance-only 90% intervals held the true τ(x) for 50–65% of the units
//! (EconML's `CausalForestDML`, the same kind of interval: 41–57%); see the
//! coverage table of `docs/benchmarks.md` (`cargo xtask bench coverage`).
//!
//! What tp adds is measured on the data, without the truth (module
//! `forest::calibrate`): the doubly robust scores Γᵢ of the training rows
//! (out-of-bag τ̂ and nuisances) have E\[Γ | X\] ≈ τ(X) whatever τ̂ is, so
//! regressing Γ on τ̂ gives the *shrinkage line* E\[τ | τ̂\] ≈ a + β(τ̂ − τ̄),
//! the doubly robust best linear predictor. β > 1 means the forest shrinks
//! the heterogeneity (the usual case: 1.16–1.29 on ACIC settings 1, 4 and 5);
//! β < 1 that it sees heterogeneity where there is less. The line's gap to
//! τ̂ is an estimate of the bias at τ̂, and the bias-aware interval
//! ([`Intervals::BiasAware`], the default) is the shortest interval
//! centered at τ̂ that holds τ with the stated probability when τ − τ̂ is
//! normal with that mean and the variance SE² plus the line's own sampling
//! variance. τ̂ is not moved, so PEHE and every ranking are unchanged; only
//! the width pays. What it cannot see is bias that τ̂ does not predict
//! (a bump the forest missed entirely); estimating that part needs E\[τ²\],
//! and the score-based estimates of it tried here were not reliable (the
//! module docs say why). Measured over ACIC 2016 and simulated worlds, mean
//! coverage rose from 0.840 to 0.895 at 1.25× the width, but ACIC 1, 4 and 5
//! stay at 0.61–0.71 and constant effects over-cover. `tp uplift` and
//! `tp run` keep variance-only bands for now (the policy step was measured
//! with them); the calibration block of `tp uplift --json` says per run
//! ([`CausalForestModel::calibration`]: β with its standard error and the
//! coverage the variance-only intervals should have under the line's bias).
//!
//! The uplift forest's intervals are **approximate**: its trees are not
//! honest (the same rows choose the splits and fill the leaves) and each
//! tree bootstraps within its half-sample, so the little-bags variance
//! misses both the adaptivity of the splits and the smoothing bias; read
//! them as a scale of the noise, not as coverage statements.
//!
//! ```
//! use tp_core::{CausalData, faer::Mat};
//! use tp_uplift::{Method, UpliftParams};
//!
//! // A randomized campaign where the effect is 1 + x.
//! let n = 400;
//! let x = Mat::from_fn(n, 1, |i, _| (i % 20) as f64 / 10.0 - 1.0);
//! let arms: Vec<usize> = (0..n).map(|i| (i / 20) % 2).collect();
//! let y: Vec<f64> = (0..n).map(|i| 2.0 * x[(i, 0)] + arms[i] as f64 * (1.0 + x[(i, 0)])).collect();
//! let data = CausalData::builder(x, vec!["x".into()], arms, y).build().unwrap();
//! let fit = UpliftParams::new(Method::T).seed(7).fit(&data).unwrap();
//! assert!((fit.ate() - 0.95).abs() < 1e-9); // mean of 1 + x over the rows
//! assert!((fit.tau[(0, 0)] - 0.0).abs() < 1e-9); // x = −1 ⇒ τ = 0
//! let json = serde_json::to_string(&fit).unwrap();
//! assert!(json.contains("\"ate_se\""));
//! ```

pub mod ate;
pub mod diagnostics;
mod error;
pub mod evaluate;
pub mod forest;
pub mod forest_run;
mod learner;
pub mod meta;
pub mod model;
mod nuisance;
mod params;
pub mod refute;
pub mod smooth;
pub mod uplift_forest;

pub use diagnostics::{Diagnostics, DiagnosticsParams, TrimRule};
pub use error::{Result, UpliftError};
pub use forest::{
    ArmEffects, CausalForest, CausalForestModel, EffectCalibration, ForestPrediction, Intervals, SplitRule,
    TuneCandidate, TuneReport, Tuning,
};
pub use learner::{ClassifierSpec, LearnerKind, RegressorSpec};
pub use meta::{CateModel, Method};
pub use nuisance::{Nuisances, crossfit_nuisances, crossfit_propensity};
pub use params::{DiagnosticsSummary, HoldoutMetrics, UpliftFit, UpliftParams, UpliftSummary};
pub use smooth::{CateSmoothing, SmoothMode, SmoothParams, Smoother, smooth_cate};
pub use uplift_forest::{Divergence, UpliftForest, UpliftForestModel};
