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

#[path = "../../crates/tp-io/tests/outcome/mod.rs"]
mod outcome;

/// The outcomes of a whole read and of a read in chunks of 3 rows, as text.
fn outcomes(whole: tp_io::Result<tp_core::Table>, chunks: tp_io::Result<tp_io::TableChunks>) -> Vec<String> {
    let mut out = vec![outcome::render(whole)];
    out.extend(outcome::render_chunks(chunks));
    out
}

/// The reader targets: `data` read from memory whole and in chunks of 3 rows; for one input in 64
/// also from a file named like the memory table, which must give the same outcomes.
pub fn read_table_bytes_and_file(data: &[u8], format: tp_io::Format, ext: &str) {
    let opts = tp_io::ReadOptions::new();
    let path = scratch(ext);
    let memory = || {
        let bytes = tp_io::Bytes::copy_from_slice(data);
        outcomes(
            tp_io::read_table_bytes(&path, format, bytes.clone(), &opts),
            tp_io::read_table_chunks_bytes(&path, format, bytes, &opts, 3),
        )
    };
    let hash = data.iter().fold(0x811c_9dc5_u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    if hash % 64 != 0 {
        memory();
        return;
    }
    std::fs::write(&path, data).unwrap();
    let file = outcomes(tp_io::read_table(&path, &opts), tp_io::read_table_chunks(&path, &opts, 3));
    assert_eq!(file, memory(), "the file and the same bytes in memory read differently");
}
