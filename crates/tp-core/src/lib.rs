//! # tp-core: the shared foundation of tp
//!
//! Every stage crate of tp (profile, segment, uplift, policy, OPE) depends on
//! this crate and on nothing of each other's; they meet in the types defined
//! here. It holds:
//!
//! - [`Table`] / [`Column`]: a small typed columnar table, the currency of
//!   readers, writers and simulators;
//! - [`CausalData`]: covariates (faer `Mat<f64>` with named columns), the arm
//!   of each row (arm 0 = control), the outcome, optional known propensities
//!   and weights, validated once at construction;
//! - [`Folds`]: seeded cross-fitting folds stratified by arm;
//! - [`Economics`]: margin and cost per treatment arm (control free), the one
//!   type the policy rules, the simulator's truth and the pipeline price with;
//! - [`rng`]: ChaCha8 streams derived from `(seed, index)` so parallel work is
//!   deterministic at any thread count;
//! - [`aipw_scores`]: the doubly robust score matrix Γ(i, a) every stage shares;
//! - [`stats`]: weighted moments, quantiles, the normal cdf and quantile;
//! - [`merge`]: the mergeable-summary seam ([`Mergeable`]: map a partition,
//!   merge, finish) and [`merge::ExactSum`], the exact sum that makes merged
//!   results the same bits under any partitioning;
//! - [`kernels`]: faer-based tall-skinny products (XᵀWX, XᵀWy) computed as
//!   mergeable row-block summaries.
//!
//! Choices: f64 only; faer views in, owned matrices out; one error enum
//! ([`CoreError`]) whose messages name the bad input and the fix.
//!
//! ```
//! use tp_core::{CausalData, Folds, faer::Mat};
//!
//! let x = Mat::from_fn(6, 1, |i, _| i as f64);
//! let data = CausalData::builder(x, vec!["age".into()], vec![0, 1, 0, 1, 0, 1], vec![1.0; 6])
//!     .arm_labels(vec!["control".into(), "coupon".into()])
//!     .build()
//!     .unwrap();
//! assert_eq!(data.arm_counts(), vec![3, 3]);
//! let folds = Folds::stratified(data.arms(), data.n_arms(), 3, 42).unwrap();
//! assert_eq!(folds.test(0).len(), 2);
//! ```

mod aipw;
mod data;
mod economics;
pub mod error;
mod folds;
pub mod kernels;
pub mod merge;
pub mod rng;
pub mod stats;
pub mod table;

pub use aipw::{aipw_scores, contrast_scores};
pub use data::{CausalData, CausalDataBuilder};
pub use economics::Economics;
pub use error::{CoreError, Result};
pub use folds::Folds;
pub use merge::{ExactSum, Mergeable};
pub use table::{Column, ColumnData, Table};

/// The faer version every tp crate uses.
pub use faer;
