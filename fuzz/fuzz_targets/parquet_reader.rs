//! tp-io's Parquet reader on arbitrary bytes: whole-file and chunked reads end
//! in a table or an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tp_io::ReadOptions;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("parquet");
    std::fs::write(&path, data).unwrap();
    let _ = tp_io::read_table(&path, &ReadOptions::new());
    if let Ok(chunks) = tp_io::read_table_chunks(&path, &ReadOptions::new(), 3) {
        for chunk in chunks {
            if chunk.is_err() {
                break;
            }
        }
    }
});
