//! The outcome of a read as text, to compare a file read with a read of the same bytes in memory.
//! Shared by `tests/in_memory.rs` and the reader fuzz targets (`fuzz/fuzz_targets/common.rs`
//! includes this file by path).

use tp_core::{ColumnData, Table};
use tp_io::{IoError, TableChunks};

/// A read's outcome as text: the table's columns (floats as bits, so NaN and -0.0 compare), or
/// the error as [`describe`] puts it.
pub fn render(r: tp_io::Result<Table>) -> String {
    match r {
        Ok(t) => t
            .columns()
            .iter()
            .map(|c| match &c.data {
                ColumnData::F64(v) => {
                    format!("{}: {:?}", c.name, v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                }
                _ => format!("{c:?}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => describe(&e),
    }
}

/// Every chunk of a chunked read (or its opening error), rendered.
pub fn render_chunks(r: tp_io::Result<TableChunks>) -> Vec<String> {
    match r {
        Ok(chunks) => chunks.map(render).collect(),
        Err(e) => vec![describe(&e)],
    }
}

/// An error's message, but for errors raised inside the Parquet decoder only the file and the kind:
/// the decoder words the same short read differently when it reads a `File` ("failed to fill
/// whole buffer") and when it reads `Bytes` ("EOF: Expected to read at offset …").
pub fn describe(e: &IoError) -> String {
    match e {
        IoError::Parquet { path, .. } => format!("error: {}: parquet error", path.display()),
        IoError::Arrow { path, .. } => format!("error: {}: arrow error", path.display()),
        e => format!("error: {e}"),
    }
}
