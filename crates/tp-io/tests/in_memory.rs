//! The in-memory readers (`read_table_bytes`, `read_table_chunks_bytes`) against the file readers:
//! for good tables, for every kind of bad CSV, and for truncated and bit-flipped Parquet and CSV
//! files, the same bytes give the same table (bit for bit) or the same error message, whole and in
//! chunks. This is what lets `fuzz/` fuzz the readers in memory without fuzzing another code path.

mod outcome;

use outcome::{render, render_chunks};
use std::path::{Path, PathBuf};
use tp_core::{Column, Table};
use tp_io::{
    Format, IoError, Kind, ReadOptions, read_table, read_table_bytes, read_table_chunks,
    read_table_chunks_bytes, write_table,
};

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("tp-io-mem-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads `data` as the file `path` and from memory (named `path`), whole and in chunks of 1, 3
/// and 1,000 rows, asserts the outcomes are the same and returns the whole read's outcome.
fn same_both_ways(path: &Path, format: Format, data: &[u8], opts: &ReadOptions) -> tp_io::Result<Table> {
    std::fs::write(path, data).unwrap();
    let from_file = read_table(path, opts);
    let from_memory = read_table_bytes(path, format, data.to_vec(), opts);
    let (file_text, memory_text) = (render(from_file), render(from_memory));
    assert_eq!(file_text, memory_text, "whole read of {data:?}");
    for chunk_rows in [1, 3, 1000] {
        let file = render_chunks(read_table_chunks(path, opts, chunk_rows));
        let memory = render_chunks(read_table_chunks_bytes(path, format, data.to_vec(), opts, chunk_rows));
        assert_eq!(file, memory, "chunks of {chunk_rows} of {data:?}");
    }
    read_table_bytes(path, format, data.to_vec(), opts)
}

fn csv_cases() -> Vec<(&'static str, &'static [u8], ReadOptions)> {
    let o = ReadOptions::new;
    vec![
        ("good", b"id,x,s,b\n1,0.5,a,true\n2,-0.0,\"b,c\",false\n3,1e300,d,TRUE\n", o()),
        ("good, selected", b"id,x,s\n1,0.5,a\n2,2,b\n", o().columns(["s", "id"])),
        ("good, required", b"id,x\n1,2\n2,3\n", o().require("x", Kind::Float).require("id", Kind::Str)),
        ("bom", b"\xef\xbb\xbfid,x\n1,2\n", o()),
        ("empty", b"", o()),
        ("header only", b"id,x\n", o()),
        ("header only, allowed", b"id,x\n", o().allow_no_rows(true)),
        ("ragged", b"id,x\n1,2\n3\n", o()),
        ("mixed", b"id,x\n1,2\n2,oops\n3,4\n4,5\n", o()),
        ("mixed, as text", b"id,x\n1,2\n2,oops\n3,4\n", o().require("x", Kind::Str)),
        ("not numeric", b"id,x\n1,a\n2,b\n", o().require("x", Kind::Numeric)),
        ("missing value", b"id,x\n1,2\n2,\n", o()),
        ("nan", b"id,x\n1,2\n2,NaN\n", o()),
        ("nan, allowed", b"id,x\n1,2\n2,NaN\n3,-inf\n", o().allow_non_finite(true)),
        ("invalid utf-8", b"id,s\n1,a\n2,\xff\xfe\n", o()),
        ("duplicate column", b"id,x,x\n1,2,3\n", o()),
        ("no such column", b"id,x\n1,2\n", o().columns(["y"])),
        // the csv crate reads an unterminated quote to the end of the file: one row
        ("unterminated quote", b"id,s\n1,\"abc\n2,d\n", o()),
        ("int then float", b"id,x\n1,2\n2,2.5\n3,-0\n", o()),
    ]
}

#[test]
fn csv_bytes_read_like_the_file() {
    let d = TempDir::new("csv");
    let path = d.0.join("upload.csv");
    let (mut ok, mut errors) = (0, Vec::new());
    for (what, data, opts) in csv_cases() {
        match same_both_ways(&path, Format::Csv, data, &opts) {
            Ok(t) => {
                ok += 1;
                assert!(t.n_rows() > 0 || what.contains("allowed"), "{what}");
            }
            Err(e) => {
                assert!(e.to_string().starts_with(&path.display().to_string()), "{what}: {e}");
                errors.push(std::mem::discriminant(&e));
            }
        }
    }
    errors.sort_by_key(|d| format!("{d:?}"));
    errors.dedup();
    // the cases cover tables and many distinct errors (so the comparison above is not vacuous)
    assert_eq!(ok, 9);
    assert_eq!(errors.len(), 10, "{} distinct errors", errors.len());
}

#[test]
fn damaged_csv_and_parquet_bytes_read_like_the_file() {
    let d = TempDir::new("damaged");
    let table = Table::new(vec![
        Column::i64("id", (0..40).collect()),
        Column::f64("x", (0..40).map(|i| f64::from(i) * 0.37 - 3.0).collect()),
        Column::str("s", (0..40).map(|i| format!("v{}", i % 5)).collect()),
        Column::bool("b", (0..40).map(|i| i % 3 == 0).collect()),
    ])
    .unwrap();
    let mut outcomes = (0, 0);
    for (file, format) in [("t.csv", Format::Csv), ("t.parquet", Format::Parquet)] {
        let original = d.0.join(format!("original-{file}"));
        write_table(&original, &table).unwrap();
        let bytes = std::fs::read(&original).unwrap();
        let path = d.0.join(file);
        let t = same_both_ways(&path, format, &bytes, &ReadOptions::new()).unwrap();
        assert_eq!(t, table);
        // truncations and single-bit flips at 24 offsets spread over the file
        for k in 0..24 {
            let at = k * bytes.len() / 24;
            for damaged in [bytes[..at].to_vec(), {
                let mut b = bytes.clone();
                b[at] ^= 1 << (k % 8);
                b
            }] {
                match same_both_ways(&path, format, &damaged, &ReadOptions::new()) {
                    Ok(_) => outcomes.0 += 1,
                    Err(_) => outcomes.1 += 1,
                }
            }
        }
    }
    // both outcomes occur, so errors and tables were both compared
    assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
}

/// The Parquet file whose damaged RLE run makes the `parquet` decoder panic: caught the same way
/// from memory, and named by the name given.
#[test]
fn parquet_decoder_panic_in_memory_is_the_same_error() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/damaged_rle.parquet");
    let bytes = std::fs::read(&p).unwrap();
    let d = TempDir::new("rle");
    let err =
        same_both_ways(&d.0.join("cate.parquet"), Format::Parquet, &bytes, &ReadOptions::new()).unwrap_err();
    assert!(matches!(err, IoError::ParquetDamaged { .. }), "{err:?}");
    let err = read_table_bytes("upload", Format::Parquet, bytes, &ReadOptions::new()).unwrap_err();
    assert!(err.to_string().starts_with("upload: the Parquet file is damaged"), "{err}");
}

/// Memory reads never look at the name's extension; a file's format still comes from it.
#[test]
fn the_format_is_given_not_guessed() {
    let csv = b"id,x\n1,2\n".to_vec();
    let t = read_table_bytes("data.parquet", Format::Csv, csv.clone(), &ReadOptions::new()).unwrap();
    assert_eq!(t.names(), ["id", "x"]);
    let err = read_table_bytes("data.csv", Format::Parquet, csv, &ReadOptions::new()).unwrap_err();
    assert!(matches!(err, IoError::Parquet { .. }), "{err:?}");
    assert!(err.to_string().starts_with("data.csv: parquet error"), "{err}");
    let err = read_table_chunks_bytes("x.csv", Format::Csv, Vec::new(), &ReadOptions::new(), 0).unwrap_err();
    assert!(err.to_string().contains("chunk_rows"), "{err}");
}

/// Found by `fuzz/` (`parquet_reader`, which compares file and memory reads): a damaged 60-row
/// file whose column chunk claims bytes past the end of the file. Read in chunks of 3 rows, both
/// ways used to return the same first chunks and then the decoder's short read, worded by the
/// reader it was handed ("failed to fill whole buffer" from a `File`, "EOF: Expected to read at
/// offset …" from `Bytes`). tp-io now checks each column chunk's byte range against the file
/// before decoding: both ways refuse the file on opening, with the same message.
#[test]
fn a_short_read_is_refused_on_opening_the_same_way() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/short_read.parquet");
    let bytes = std::fs::read(&p).unwrap();
    let from_file = read_table_chunks(&p, &ReadOptions::new(), 3).unwrap_err();
    let from_memory =
        read_table_chunks_bytes(&p, Format::Parquet, bytes.clone(), &ReadOptions::new(), 3).unwrap_err();
    assert_eq!(from_file.to_string(), from_memory.to_string());
    assert_eq!(
        from_file.to_string(),
        format!(
            "{}: the Parquet file is damaged: column 'tau_lo' in row group 0 claims bytes 1105..1182 of a \
             file of 1082 bytes: re-export the file from its source",
            p.display()
        )
    );
    // and everything else about the two reads is the same
    let err = same_both_ways(
        &std::env::temp_dir().join(format!("tp-io-mem-short-{}.parquet", std::process::id())),
        Format::Parquet,
        &bytes,
        &ReadOptions::new(),
    )
    .unwrap_err();
    assert!(matches!(err, IoError::ParquetClaim { .. }), "{err:?}");
}
