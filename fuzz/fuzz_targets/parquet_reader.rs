//! tp-io's Parquet reader on arbitrary bytes: whole and chunked reads end in a table or an error,
//! never a panic. The bytes are read in memory (`read_table_bytes`: the same code as a file's,
//! with `Bytes` as the decoder's `ChunkReader` instead of `File`); one input in 64 (chosen by a
//! hash of its bytes) is also written to a file and read by path, and must give the same tables
//! or the same error messages.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::read_table_bytes_and_file(data, tp_io::Format::Parquet, "parquet"));
