//! tp-segment (essay to come)

mod error;
mod kmeans;
pub mod metrics;

pub use error::{Result, SegmentError};
pub use kmeans::{Algorithm, KMeans, KMeansDiagnostics, KMeansParams};
