//! A Parquet file's claims are checked against its bytes before anything is decoded: a damaged
//! file is refused with a message naming it and the claim, instead of making the decoder allocate
//! what the file claims (found by `fuzz/`: a 1.7 KB file took 7.5 GB).

mod outcome;

use outcome::{describe, render, render_chunks};
use std::path::{Path, PathBuf};
use tp_core::{Column, Table};
use tp_io::{
    Format, IoError, ReadOptions, read_table, read_table_bytes, read_table_chunks, read_table_chunks_bytes,
    write_table,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// A scratch path unique to this process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        Scratch(std::env::temp_dir().join(format!("tp-io-claims-{}-{name}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Every way to read `bytes` as the file `path`: whole and in chunks of 1 and 1,000 rows, from the
/// file and from memory; all must end in the same single error, which is returned.
fn refused(path: &Path, bytes: &[u8]) -> IoError {
    std::fs::write(path, bytes).unwrap();
    let opts = ReadOptions::new();
    let whole = read_table(path, &opts).unwrap_err();
    let text = describe(&whole);
    assert_eq!(text, render(read_table_bytes(path, Format::Parquet, bytes.to_vec(), &opts)));
    for rows in [1, 1000] {
        // refused when opened, before a first chunk
        assert_eq!(render_chunks(read_table_chunks(path, &opts, rows)), vec![text.clone()]);
        assert_eq!(
            render_chunks(read_table_chunks_bytes(path, Format::Parquet, bytes.to_vec(), &opts, rows)),
            vec![text.clone()]
        );
    }
    whole
}

/// The fuzz finding itself (`fuzz/regressions/parquet_reader/oom-714caa0c…`, a damaged 60-row
/// `cate.parquet`): its first dictionary page claims 932 million doubles in 8 bytes, and its row
/// group claims 8 rows while each column claims 60 values. Before the check, a whole read took
/// 7.5 GB (one `Vec::resize` in the decoder's dictionary) and 22 s before failing; now it is
/// refused before decoding.
#[test]
fn the_fuzz_finding_is_refused_before_decoding() {
    let bytes = std::fs::read(data("dictionary_claim.parquet")).unwrap();
    let s = Scratch::new("cate.parquet");
    let err = refused(&s.0, &bytes);
    assert!(matches!(&err, IoError::ParquetClaim { path, .. } if path == &s.0), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: the Parquet file is damaged: row group 0 claims 8 rows, its column 'tau_se' 60 values: \
             re-export the file from its source",
            s.0.display()
        )
    );
}

/// A good 60-row file written by tp, and the same file with one byte changed: its first
/// dictionary page (3 distinct doubles, 24 bytes) then claims 63 values. The footer is untouched,
/// so only the dictionary check can refuse it.
#[test]
fn a_dictionary_page_claiming_more_values_than_its_bytes_is_refused() {
    let s = Scratch::new("good.parquet");
    let t = Table::new(vec![
        Column::f64("tau", (0..60).map(|i| [0.5, -1.25, 3.0][i % 3]).collect()),
        Column::i64("id", (0..60).collect()),
    ])
    .unwrap();
    write_table(&s.0, &t).unwrap();
    let good = std::fs::read(&s.0).unwrap();
    assert_eq!(read_table(&s.0, &ReadOptions::new()).unwrap(), t);
    // "PAR1", then the first page header (thrift compact): type DICTIONARY_PAGE (0x15 0x04),
    // uncompressed and compressed sizes (0x15 n each), then field 7, the dictionary page header
    // (0x4c), whose field 1 is num_values (0x15, zigzag varint 6 = 3 values)
    assert_eq!(&good[..6], b"PAR1\x15\x04");
    let at = good.windows(3).position(|w| w == b"\x4c\x15\x06").expect("the dictionary page header") + 2;
    assert!(at < 16, "{at}");
    let mut bad = good.clone();
    bad[at] = 0x7e; // zigzag 126 = 63 values
    let err = refused(&s.0, &bad);
    assert!(
        err.to_string().ends_with(
            "the Parquet file is damaged: the dictionary page of column 'tau' in row group 0 claims 63 values \
             in 24 bytes, where a DOUBLE value takes 8 bytes: re-export the file from its source"
        ),
        "{err}"
    );
    // fewer values than the bytes hold is no claim beyond the bytes: the decoder's business
    bad[at] = 0x04;
    std::fs::write(&s.0, &bad).unwrap();
    if let Err(e) = read_table(&s.0, &ReadOptions::new()) {
        assert!(!matches!(e, IoError::ParquetClaim { .. }), "{e}");
    }
}

/// Files with many row groups and dictionary pages (tp's writer: groups of 2^20 rows) still read,
/// whole and in chunks, with the same values.
#[test]
fn large_files_with_several_row_groups_still_read() {
    let s = Scratch::new("large.parquet");
    let n = (1 << 20) * 2 + 17;
    let t = Table::new(vec![
        Column::f64("x", (0..n).map(|i| (i % 1000) as f64 * 0.25).collect()),
        Column::i64("id", (0..n as i64).collect()),
        Column::str("arm", (0..n).map(|i| ["control", "email"][i % 2].to_string()).collect()),
    ])
    .unwrap();
    write_table(&s.0, &t).unwrap();
    assert_eq!(read_table(&s.0, &ReadOptions::new()).unwrap(), t);
    let rows: usize =
        read_table_chunks(&s.0, &ReadOptions::new(), 1 << 16).unwrap().map(|c| c.unwrap().n_rows()).sum();
    assert_eq!(rows, n);
}
