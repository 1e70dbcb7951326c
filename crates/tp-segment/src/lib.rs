//! tp-segment (essay to come)

mod error;
mod kmeans;
pub mod metrics;
mod nmf;

pub use error::{Result, SegmentError};
pub use kmeans::{Algorithm, KMeans, KMeansDiagnostics, KMeansParams};
pub use nmf::{Init, Loss, Nmf, NmfDiagnostics, NmfParams, Solver};
