//! # tp-segment: NMF latent factors and K-Means segments
//!
//! The SEGMENT stage of tp: from a non-negative table of behavioral features
//! (one row per customer) to a few latent factors and a handful of segments
//! that can be named, sized, valued and trusted. It depends only on tp-core.
//!
//! Main types:
//! - [`Nmf`] / [`NmfParams`]: X ≈ WH with W, H ≥ 0; Frobenius loss by HALS /
//!   coordinate descent ([`Solver::Cd`]) or multiplicative updates
//!   ([`Solver::Mu`]), Kullback–Leibler by MU; NNDSVD(a/ar) or random init;
//!   L1/L2 penalties; dense or sparse ([`Csr`]) input; `transform` of new
//!   rows with H fixed; the objective on
//!   scikit-learn's `reconstruction_err_` scale and explained variance two ways.
//! - [`KMeans`] / [`KMeansParams`]: greedy k-means++, Lloyd or Hamerly
//!   (identical results, Hamerly skips most distance computations), mini-batch
//!   for very large n, sample weights, parallel seeded restarts, `predict`.
//! - [`Centers`] / [`AssignSums`]: fitted centers applied to rows anywhere
//!   (row-local labels) and the [`tp_core::Mergeable`] summary of the assigned
//!   rows (sizes, means, inertia; exact under partitioning): the seam
//!   `tp.spark.kmeans_assign` runs on.
//! - [`metrics`]: silhouette, Davies–Bouldin, Calinski–Harabasz, adjusted Rand
//!   index, with scikit-learn's definitions.
//! - [`nmf_curve`] / [`kmeans_curve`] with the `auto` rules [`choose_factors`]
//!   (smallest rank reaching a target explained variance, else the elbow) and
//!   [`choose_clusters`] (lowest Davies–Bouldin); [`bootstrap_stability`]
//!   (ARI of re-fits on 80 % subsamples against the full-data labels).
//! - [`segment_profiles`] and [`factor_top_columns`]: what each segment and
//!   factor is.
//! - [`SegmentPipeline`]: the one call behind `tp segment`, returning a
//!   [`SegmentResult`] whose [`SegmentResult::report`] is the `--json` object.
//!
//! Key choices. The NMF hot loop is four faer GEMM products per iteration
//! (XHᵀ, HHᵀ, WᵀX, WᵀW), fused into one pass over the rows of X: each block
//! of 128 rows computes H·X_bᵀ, updates its W rows (W's update is row-local),
//! then adds W_bᵀ·X_b and W_bᵀW_b while the block is still in cache, so X is
//! read once per iteration and the long-inner-dimension WᵀX never runs as
//! one badly shaped GEMM; blocks form parallel chunks merged in chunk order
//! (`Par::Seq` inside, results independent of the thread count). Factors are
//! k × p column-major buffers (each row of W / column of H a contiguous
//! k-vector); HALS does a few cheap sweeps per pass. The same passes serve
//! sparse input ([`Csr`], via [`NmfParams::fit_sparse`]) and the randomized
//! SVD behind NNDSVD. K-Means reads row-major input in place (else copies it
//! once) and works on fixed 4096-row blocks whose partial sums merge in block
//! order, so results are bit-identical at any thread count. Its distances
//! come from one kernel: for few centers (k ≤ 8, k · d ≤ 512) a hand-written,
//! allocation-free loop (centers transposed in groups of 8, four rows at a
//! time, compiled for the CPU's widest SIMD through faer's `pulp` dispatch,
//! exactly Σ_t (x_t − c_t)²), above that one faer GEMM per tile
//! (‖x‖² − 2x·c + ‖c‖²). k-means++ reads the data once per center (the
//! pass scoring the candidates also folds in the previous center), and
//! restarts run in parallel on `tp_core::rng::stream(seed, restart)`. The
//! K-Means iteration follows scikit-learn exactly (strict convergence when no
//! label changes, tolerance on the squared center shift scaled by the mean
//! feature variance, empty clusters take the farthest rows), so from the same
//! initial centers the labels, centers and inertia agree to 1e-9.
//!
//! ```
//! use tp_segment::{Choice, KMeans, Nmf, SegmentPipeline, metrics};
//! use tp_core::faer::Mat;
//!
//! // two groups of rows with different column profiles
//! let x = Mat::from_fn(40, 4, |i, j| if (i < 20) == (j < 2) { 3.0 + (i % 3) as f64 } else { 0.2 });
//! let nmf = Nmf::params(2).fit(x.as_ref()).unwrap();
//! assert!(nmf.diagnostics().explained_variance > 0.9);
//! let km = KMeans::params(2).seed(7).fit(nmf.w()).unwrap();
//! let truth: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
//! assert_eq!(metrics::adjusted_rand_index(km.labels(), &truth).unwrap(), 1.0);
//!
//! let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
//! let result = SegmentPipeline::params()
//!     .factors(Choice::Fixed(2))
//!     .clusters(Choice::Auto { min: 2, max: 4 })
//!     .stability_runs(10)
//!     .seed(1)
//!     .fit(x.as_ref(), &names)
//!     .unwrap();
//! assert_eq!(result.k_clusters, 2);
//! assert!(result.report().stability_ari.unwrap().mean > 0.9);
//! ```

mod apply;
mod csr;
mod error;
mod kmeans;
pub mod metrics;
mod nmf;
mod pipeline;
mod select;
mod stability;
mod summary;

pub use apply::{AssignSummary, AssignSums, Centers};
pub use csr::Csr;
pub use error::{Result, SegmentError};
pub use kmeans::{Algorithm, KMeans, KMeansDiagnostics, KMeansParams, nearest_centers};
pub use nmf::{Init, Loss, Nmf, NmfDiagnostics, NmfParams, Solver};
pub use pipeline::{
    Choice, KMeansReport, NmfReport, PipelineParams, Scale, SegmentPipeline, SegmentReport, SegmentResult,
    StabilityReport, Timings,
};
pub use select::{KMeansCurvePoint, NmfCurvePoint, choose_clusters, choose_factors, kmeans_curve, nmf_curve};
pub use stability::{Stability, bootstrap_stability};
pub use summary::{FactorColumns, SegmentProfile, factor_top_columns, segment_profiles};
