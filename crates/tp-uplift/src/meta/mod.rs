//! Meta-learners: CATE from any base learners (Künzel et al. 2019; Nie &
//! Wager 2021; Kennedy 2023).
//!
//! For each treated arm `a` against control (arm 0):
//!
//! - **S**: one model μ̂(x, w) on the covariates plus one indicator column
//!   per treated arm; τ̂_a(x) = μ̂(x, e_a) − μ̂(x, 0). (With a linear base
//!   learner this has no interactions, so τ̂ is constant per arm.)
//! - **T**: μ̂_a on arm-a rows; τ̂_a = μ̂_a − μ̂_0.
//! - **X**: T-stage models; imputed effects D¹ = Y − μ̂_0(X) on arm-a rows
//!   and D⁰ = μ̂_a(X) − Y on control rows; effect models τ̂¹, τ̂⁰ on them;
//!   τ̂_a = g·τ̂⁰ + (1 − g)·τ̂¹ with g(x) = P(W = a | x, W ∈ {0, a}) from a
//!   propensity model fitted on those rows (kept in the model so new rows
//!   can be scored).
//! - **R**: on rows in arm a or control, with cross-fitted pair propensity
//!   π and m̂ = π·μ̂_a + (1 − π)·μ̂_0: regress Ỹ/W̃ on X with weights W̃²,
//!   Ỹ = Y − m̂, W̃ = 1{W = a} − π.
//! - **DR**: regress the cross-fitted AIPW contrast Γ(a) − Γ(0) on X, all rows.
//!
//! R and DR take their nuisances from [`crate::Nuisances`] (cross-fitted);
//! S, T and X fit their stages on disjoint or full rows as their papers do.
//! Bootstrap replicates (optional) resample rows with replacement within
//! each arm, refit the final stages (R and DR keep the cross-fitted
//! nuisances of the resampled rows) and give τ̂'s standard error per row.

mod fit;

pub(crate) use fit::Parts;
pub use fit::{CateModel, Method, fit_cate};
