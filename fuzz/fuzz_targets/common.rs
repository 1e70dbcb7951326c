//! Helpers shared by the fuzz targets (included with `#[path]`).

#![allow(dead_code)]

use tp_core::faer::Mat;

/// A few rows of `p` features with NaN, negatives, zero and large values:
/// what a loaded model is asked to predict.
pub fn probe(p: usize) -> Mat<f64> {
    let values = [f64::NAN, -1.0, 0.0, 0.5, 3.0, 1e12];
    Mat::from_fn(values.len(), p.min(4096), |i, j| values[(i + j) % values.len()])
}

/// A path unique to this process for a fuzz input that must be a file.
pub fn scratch(ext: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("TP_FUZZ_SCRATCH").map_or_else(std::env::temp_dir, Into::into);
    dir.join(format!("tp-fuzz-{}.{ext}", std::process::id()))
}
