//! Integration tests of tp-io: every bad input has its own test asserting the
//! error variant and its fields; round trips are bit-exact.

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, DictionaryArray, Float32Array, Float64Array, Int32Array, Int64Array,
    LargeStringArray, RecordBatch, UInt64Array,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tp_core::{Column, ColumnData, Table};
use tp_io::{
    IoError, Kind, Location, OneHot, ReadOptions, TableWriter, read_table, read_table_chunks, write_json,
    write_table,
};

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("tp-io-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
    fn write(&self, file: &str, text: &str) -> PathBuf {
        let p = self.path(file);
        std::fs::write(&p, text).unwrap();
        p
    }
    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn opts() -> ReadOptions {
    ReadOptions::new()
}

/// Column-wise equality with floats compared bit for bit (so -0.0 != 0.0).
fn assert_bit_equal(a: &Table, b: &Table) {
    assert_eq!(a.names(), b.names());
    assert_eq!(a.n_rows(), b.n_rows());
    for (x, y) in a.columns().iter().zip(b.columns()) {
        match (&x.data, &y.data) {
            (ColumnData::F64(u), ColumnData::F64(v)) => {
                let ub: Vec<u64> = u.iter().map(|f| f.to_bits()).collect();
                let vb: Vec<u64> = v.iter().map(|f| f.to_bits()).collect();
                assert_eq!(ub, vb, "column {}", x.name);
            }
            (u, v) => assert_eq!(u, v, "column {}", x.name),
        }
    }
}

fn edge_table() -> Table {
    Table::new(vec![
        Column::f64(
            "x",
            vec![
                -0.0,
                0.0,
                5e-324,
                f64::MIN_POSITIVE,
                f64::MAX,
                -f64::MAX,
                1e16,
                1e-7,
                0.1 + 0.2,
                123_456_789.123_456_79,
                1.0,
                -2.5e300,
            ],
        ),
        Column::i64("n", vec![i64::MIN, i64::MAX, 0, -1, 1, 42, 7, 8, 9, 10, 11, 12]),
        Column::bool("b", vec![true, false, true, true, false, false, true, false, true, false, true, false]),
        Column::str(
            "s",
            vec![
                "plain".into(),
                "with, comma".into(),
                "quote \" inside".into(),
                "new\nline".into(),
                "".into(),
                "  padded  ".into(),
                "ünïcödé ✓".into(),
                "123".into(),
                "true".into(),
                "NaN".into(),
                "\r\n".into(),
                "last".into(),
            ],
        ),
    ])
    .unwrap()
}

// ---------------------------------------------------------------- bad inputs

#[test]
fn missing_file() {
    let d = TempDir::new("missing");
    for f in ["nope.csv", "nope.parquet"] {
        let p = d.path(f);
        match read_table(&p, &opts()) {
            Err(IoError::NotFound { path }) => assert_eq!(path, p),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn empty_file_zero_bytes() {
    let d = TempDir::new("empty");
    for f in ["e.csv", "e.parquet"] {
        let p = d.write(f, "");
        match read_table(&p, &opts()) {
            Err(IoError::EmptyFile { path }) => assert_eq!(path, p),
            other => panic!("{other:?}"),
        }
    }
    let p = d.write("blank.csv", "\n\n");
    assert!(matches!(read_table(&p, &opts()), Err(IoError::EmptyFile { .. })));
}

#[test]
fn header_only_needs_allow_no_rows() {
    let d = TempDir::new("header-only");
    let p = d.write("h.csv", "id,age\n");
    match read_table(&p, &opts()) {
        Err(IoError::NoRows { path }) => assert_eq!(path, p),
        other => panic!("{other:?}"),
    }
    let mut chunks = read_table_chunks(&p, &opts(), 10).unwrap();
    assert!(matches!(chunks.next(), Some(Err(IoError::NoRows { .. }))));
    assert!(chunks.next().is_none());
    let t = read_table(&p, &opts().allow_no_rows(true).require("age", Kind::Float)).unwrap();
    assert_eq!((t.n_rows(), t.names()), (0, vec!["id", "age"]));
    assert_eq!(t.column("id").unwrap().data.type_name(), "string");
    assert_eq!(t.column("age").unwrap().data.type_name(), "float");

    let empty = Table::new(vec![Column::f64("x", vec![])]).unwrap();
    let q = d.path("h.parquet");
    write_table(&q, &empty).unwrap();
    assert!(matches!(read_table(&q, &opts()), Err(IoError::NoRows { path }) if path == q));
    assert_eq!(read_table(&q, &opts().allow_no_rows(true)).unwrap(), empty);
    let all: Vec<_> = read_table_chunks(&q, &opts().allow_no_rows(true), 5).unwrap().collect();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].as_ref().unwrap(), &empty);
}

#[test]
fn missing_requested_column() {
    let d = TempDir::new("missing-col");
    let p = d.write("t.csv", "id,age\n1,30\n");
    match read_table(&p, &opts().columns(["id", "income"])) {
        Err(IoError::MissingColumn { path, column, available }) => {
            assert_eq!((path, column.as_str(), available.as_str()), (p.clone(), "income", "id, age"));
        }
        other => panic!("{other:?}"),
    }
    let err = read_table(&p, &opts().require("score", Kind::Numeric)).unwrap_err();
    assert!(matches!(err, IoError::MissingColumn { ref column, .. } if column == "score"));
    assert!(err.to_string().contains("available columns are id, age"));

    let q = d.path("t.parquet");
    write_table(&q, &read_table(&p, &opts()).unwrap()).unwrap();
    assert!(matches!(
        read_table(&q, &opts().columns(["income"])),
        Err(IoError::MissingColumn { column, .. }) if column == "income"
    ));
}

fn age_csv(d: &TempDir) -> PathBuf {
    // header = line 1, so "abc" sits on line 7
    d.write("ages.csv", "id,age\n1,30\n2,41\n3,25\n4,52\n5,38\n6,abc\n7,44\n")
}

#[test]
fn text_in_required_numeric_column() {
    let d = TempDir::new("text-numeric");
    let p = age_csv(&d);
    for kind in [Kind::Numeric, Kind::Float, Kind::Int] {
        match read_table(&p, &opts().require("age", kind)) {
            Err(IoError::TypeMismatch { path, column, at, value, expected }) => {
                assert_eq!(path, p);
                assert_eq!(column, "age");
                assert_eq!(at, Location::Line(7));
                assert_eq!(value, "abc");
                assert_eq!(expected, kind);
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
    let msg = read_table(&p, &opts().require("age", Kind::Numeric)).unwrap_err().to_string();
    assert!(
        msg.contains("ages.csv") && msg.contains("'age'") && msg.contains("line 7") && msg.contains("abc")
    );
    // without a requirement, a column of numbers but for one value is an error, not a text column
    for chunked in [false, true] {
        let got = if chunked {
            read_table_chunks(&p, &opts(), 3).map(|mut it| it.next().unwrap().unwrap())
        } else {
            read_table(&p, &opts())
        };
        match got {
            Err(IoError::MixedColumn { path, column, at, value, others, values }) => {
                assert_eq!((path, column.as_str(), at), (p.clone(), "age", Location::Line(7)));
                assert_eq!((value.as_str(), others, values), ("abc", 1, 7));
            }
            other => panic!("chunked {chunked}: {other:?}"),
        }
    }
    let msg = read_table(&p, &opts()).unwrap_err().to_string();
    assert!(msg.contains("'age'") && msg.contains("line 7") && msg.contains("\"abc\""), "{msg}");
    // asked for as text, it is text
    let t = read_table(&p, &opts().require("age", Kind::Str)).unwrap();
    assert_eq!(t.column("age").unwrap().data.type_name(), "string");
    assert_eq!(t.column("id").unwrap().data.type_name(), "int");
    // a text column with a few numbers stays text (numbers are not the majority)
    let q = d.write("names.csv", "id,name\n1,ann\n2,bob\n3,7up\n4,42\n");
    let t = read_table(&q, &opts()).unwrap();
    assert_eq!(&*t.string_values("name").unwrap(), &["ann", "bob", "7up", "42"]);
}

#[test]
fn error_messages_name_no_rust_api() {
    let d = TempDir::new("no-api-names");
    for (name, text) in [("nan.csv", "x\n1\nNaN\n"), ("header.csv", "x,y\n")] {
        let msg = read_table(d.write(name, text), &opts()).unwrap_err().to_string();
        assert!(!msg.contains("ReadOptions") && !msg.contains("::"), "{msg}");
    }
}

#[test]
fn non_finite_rejected_by_default() {
    let d = TempDir::new("non-finite");
    let p = d.write("nf.csv", "x,y\n1.5,2\nNaN,3\n2.0,inf\n");
    match read_table(&p, &opts()) {
        Err(IoError::NonFinite { path, column, at, value }) => {
            assert_eq!((path, column.as_str(), at), (p.clone(), "x", Location::Line(3)));
            assert!(value.is_nan());
        }
        other => panic!("{other:?}"),
    }
    match read_table(&p, &opts().columns(["y"]).require("y", Kind::Float)) {
        Err(IoError::NonFinite { column, at, value, .. }) => {
            assert_eq!((column.as_str(), at, value), ("y", Location::Line(4), f64::INFINITY));
        }
        other => panic!("{other:?}"),
    }
    let t = read_table(&p, &opts().allow_non_finite(true)).unwrap();
    let x = t.f64_values("x").unwrap();
    assert!(x[1].is_nan());
    assert_eq!(t.f64_values("y").unwrap()[2], f64::INFINITY);

    // parquet: the row index names the cell
    let q = d.path("nf.parquet");
    write_table(&q, &Table::new(vec![Column::f64("x", vec![1.0, 2.0, f64::NEG_INFINITY])]).unwrap()).unwrap();
    match read_table(&q, &opts()) {
        Err(IoError::NonFinite { column, at, value, .. }) => {
            assert_eq!((column.as_str(), at, value), ("x", Location::Row(2), f64::NEG_INFINITY));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read_table(&q, &opts().allow_non_finite(true)).unwrap().n_rows(), 3);
}

#[test]
fn ragged_row() {
    let d = TempDir::new("ragged");
    let p = d.write("r.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n");
    for o in [opts(), opts().require("a", Kind::Int).require("b", Kind::Int).require("c", Kind::Int)] {
        match read_table(&p, &o) {
            Err(IoError::RaggedRow { path, line, expected, found }) => {
                assert_eq!((path, line, expected, found), (p.clone(), 4, 3, 2));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn unknown_extension() {
    let d = TempDir::new("ext");
    let p = d.write("t.xlsx", "a\n1\n");
    match read_table(&p, &opts()) {
        Err(IoError::UnknownExtension { path, accepted }) => {
            assert_eq!(path, p);
            assert_eq!(accepted, ".csv, .parquet");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(TableWriter::create(d.path("out.txt")), Err(IoError::UnknownExtension { .. })));
    assert!(matches!(read_table(d.path("noext"), &opts()), Err(IoError::UnknownExtension { .. })));
    // upper case is fine
    let q = d.write("T.CSV", "a\n1\n");
    assert_eq!(read_table(&q, &opts()).unwrap().n_rows(), 1);
}

#[test]
fn duplicate_column_names() {
    let d = TempDir::new("dup");
    let p = d.write("d.csv", "id,x,y,x\n1,2,3,4\n");
    match read_table(&p, &opts().columns(["id"])) {
        Err(IoError::DuplicateColumn { path, column, first, second }) => {
            assert_eq!((path, column.as_str(), first, second), (p, "x", 2, 4));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_numeric_value() {
    let d = TempDir::new("missing-value");
    let p = d.write("m.csv", "id,age,name\n1,30,a\n2,,b\n3,40,\n");
    match read_table(&p, &opts()) {
        Err(IoError::MissingValue { path, column, at, expected }) => {
            assert_eq!(
                (path, column.as_str(), at, expected),
                (p.clone(), "age", Location::Line(3), Kind::Int)
            );
        }
        other => panic!("{other:?}"),
    }
    let msg = read_table(&p, &opts()).unwrap_err().to_string();
    assert!(msg.contains("impute") && msg.contains("drop"), "{msg}");
    // an empty string field is a legitimate value
    let t = read_table(&p, &opts().columns(["name"])).unwrap();
    assert_eq!(&*t.string_values("name").unwrap(), &["a", "b", ""]);
}

#[test]
fn parquet_null_and_type_requirements() {
    let d = TempDir::new("pq-null");
    let p = d.path("n.parquet");
    let x: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), Some(2.0), None, Some(4.0)]));
    let n: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3, 4]));
    let batch = RecordBatch::try_from_iter(vec![("x", x), ("n", n)]).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(&p).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    match read_table(&p, &opts()) {
        Err(IoError::MissingValue { column, at, expected, .. }) => {
            assert_eq!((column.as_str(), at, expected), ("x", Location::Row(2), Kind::Float));
        }
        other => panic!("{other:?}"),
    }
    // column selection skips the bad column; ints can be required as floats
    let t = read_table(&p, &opts().columns(["n"]).require("n", Kind::Float)).unwrap();
    assert_eq!(t.column("n").unwrap().data, ColumnData::F64(vec![1.0, 2.0, 3.0, 4.0]));
    match read_table(&p, &opts().columns(["n"]).require("n", Kind::Str)) {
        Err(IoError::ColumnType { column, found, expected, .. }) => {
            assert_eq!((column.as_str(), found.as_str(), expected), ("n", "Int64", Kind::Str));
        }
        other => panic!("{other:?}"),
    }
}

fn write_batch(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_foreign_types_are_widened() {
    let d = TempDir::new("pq-types");
    let p = d.path("foreign.parquet");
    let dict: DictionaryArray<Int32Type> = vec!["b", "a", "b"].into_iter().collect();
    write_batch(
        &p,
        vec![
            ("i32", Arc::new(Int32Array::from(vec![1, -2, 3])) as ArrayRef),
            ("f32", Arc::new(Float32Array::from(vec![0.5f32, -1.25, 3.0])) as ArrayRef),
            ("large", Arc::new(LargeStringArray::from(vec!["x", "y", ""])) as ArrayRef),
            ("dict", Arc::new(dict) as ArrayRef),
            ("u64", Arc::new(UInt64Array::from(vec![1, 2, u64::MAX])) as ArrayRef),
            ("date", Arc::new(Date32Array::from(vec![1, 2, 3])) as ArrayRef),
        ],
    );
    let t = read_table(&p, &opts().columns(["i32", "f32", "large", "dict"])).unwrap();
    assert_eq!(t.column("i32").unwrap().data, ColumnData::I64(vec![1, -2, 3]));
    assert_eq!(t.column("f32").unwrap().data, ColumnData::F64(vec![0.5, -1.25, 3.0]));
    assert_eq!(&*t.string_values("large").unwrap(), &["x", "y", ""]);
    assert_eq!(&*t.string_values("dict").unwrap(), &["b", "a", "b"]);
    match read_table(&p, &opts().columns(["u64"])) {
        Err(IoError::TypeMismatch { column, at, value, expected, .. }) => {
            assert_eq!((column.as_str(), at, expected), ("u64", Location::Row(2), Kind::Int));
            assert_eq!(value, u64::MAX.to_string());
        }
        other => panic!("{other:?}"),
    }
    match read_table(&p, &opts()) {
        Err(IoError::UnsupportedType { column, found, .. }) => {
            assert_eq!((column.as_str(), found.as_str()), ("date", "Date32"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parquet_chunks_cross_row_groups() {
    let d = TempDir::new("pq-groups");
    let p = d.path("g.parquet");
    // five row groups of 100 rows (tp's own writer makes groups of 2^20 rows)
    let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "id",
        arrow_schema::DataType::Int64,
        false,
    )]));
    let props =
        parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(100)).build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(&p).unwrap(), schema.clone(), Some(props)).unwrap();
    for k in 0..5i64 {
        let ids: ArrayRef = Arc::new(Int64Array::from((k * 100..k * 100 + 100).collect::<Vec<_>>()));
        w.write(&RecordBatch::try_new(schema.clone(), vec![ids]).unwrap()).unwrap();
    }
    assert_eq!(w.close().unwrap().row_groups().len(), 5);
    let chunks: Vec<Table> = read_table_chunks(&p, &opts(), 130).unwrap().map(|c| c.unwrap()).collect();
    let ids: Vec<i64> = chunks
        .iter()
        .flat_map(|c| c.f64_values("id").unwrap().iter().map(|&x| x as i64).collect::<Vec<_>>())
        .collect();
    assert_eq!(ids, (0..500).collect::<Vec<_>>());
    assert!(chunks.iter().all(|c| c.n_rows() <= 130));
}

// ------------------------------------------------------------ inference

#[test]
fn utf8_bom_is_stripped_and_invalid_utf8_is_named() {
    let d = TempDir::new("bom");
    let p = d.write("bom.csv", "\u{feff}id,name\n1,a\n");
    let t = read_table(&p, &opts()).unwrap();
    assert_eq!(t.names(), ["id", "name"]);
    let q = d.path("bad.csv");
    std::fs::write(&q, b"id,name\n1,a\n2,\xff\xfe\n").unwrap();
    match read_table(&q, &opts().require("name", Kind::Str)) {
        Err(IoError::InvalidUtf8 { column, at, .. }) => {
            assert_eq!((column.as_str(), at), ("name", Location::Line(3)))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn inference_rules() {
    let d = TempDir::new("infer");
    let p = d.write(
        "i.csv",
        "i,f,b,s,e,z,big\n1,1,true,x,,-0,9007199254740993\n2,2.5,False,1,,1.5,1\n-3, 3 ,TRUE,,,2,2\n",
    );
    let t = read_table(&p, &opts()).unwrap();
    let types: Vec<&str> = t.columns().iter().map(|c| c.data.type_name()).collect();
    assert_eq!(types, ["int", "float", "bool", "string", "string", "float", "int"]);
    assert_eq!(t.column("i").unwrap().data, ColumnData::I64(vec![1, 2, -3]));
    assert_eq!(t.column("f").unwrap().data, ColumnData::F64(vec![1.0, 2.5, 3.0]));
    assert_eq!(t.column("b").unwrap().data, ColumnData::Bool(vec![true, false, true]));
    assert_eq!(&*t.string_values("s").unwrap(), &["x", "1", ""]);
    // an all-empty column is a string column of empty strings
    assert_eq!(&*t.string_values("e").unwrap(), &["", "", ""]);
    // "-0" in a float column is the float -0.0, parsed from the text
    let z = t.f64_values("z").unwrap();
    assert!(z[0] == 0.0 && z[0].is_sign_negative());
    assert_eq!(t.column("big").unwrap().data, ColumnData::I64(vec![9_007_199_254_740_993, 1, 2]));
    // numeric requirement keeps ints as ints
    let t = read_table(&p, &opts().columns(["i"]).require("i", Kind::Numeric)).unwrap();
    assert_eq!(t.column("i").unwrap().data.type_name(), "int");
}

#[test]
fn selection_ignores_other_columns() {
    let d = TempDir::new("select");
    let p = d.write("s.csv", "junk,x,more\nabc,1.5,\n,2.5,NaN\nzz,3.5,x\n");
    let t = read_table(&p, &opts().columns(["x"])).unwrap();
    assert_eq!(t.names(), ["x"]);
    assert_eq!(t.column("x").unwrap().data, ColumnData::F64(vec![1.5, 2.5, 3.5]));
    let t = read_table(&p, &opts().columns(["x", "junk"])).unwrap();
    assert_eq!(t.names(), ["x", "junk"]);
}

// ------------------------------------------------------------ round trips

#[test]
fn csv_and_parquet_round_trip_bit_exact() {
    let d = TempDir::new("roundtrip");
    let t = edge_table();
    for f in ["t.csv", "t.parquet"] {
        let p = d.path(f);
        write_table(&p, &t).unwrap();
        // floats and ints are inferred back as themselves; the string
        // column needs its kind, as it holds "123" and "true"
        let back = read_table(&p, &opts().require("s", Kind::Str)).unwrap();
        assert_bit_equal(&back, &t);
        assert_bit_equal(&read_table(&p, &opts().require_like(&t)).unwrap(), &t);
    }
    // integral floats stay floats in CSV
    let p = d.path("ints_as_floats.csv");
    let f = Table::new(vec![Column::f64("x", vec![1.0, -0.0, 2.0, 1e22])]).unwrap();
    write_table(&p, &f).unwrap();
    assert_bit_equal(&read_table(&p, &opts()).unwrap(), &f);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "x\n1.0\n-0.0\n2.0\n1e22\n");
}

#[test]
fn chunked_reading_matches_whole_reading() {
    let d = TempDir::new("chunks");
    let n = 1000;
    let t = Table::new(vec![
        Column::i64("id", (0..n).collect()),
        Column::f64("x", (0..n).map(|i| i as f64 / 7.0).collect()),
        Column::str("s", (0..n).map(|i| format!("v{}", i % 13)).collect()),
    ])
    .unwrap();
    for f in ["c.csv", "c.parquet"] {
        let p = d.path(f);
        write_table(&p, &t).unwrap();
        for chunk_rows in [1, 7, 333, 1000, 5000] {
            let chunks: Vec<Table> =
                read_table_chunks(&p, &opts(), chunk_rows).unwrap().map(|c| c.unwrap()).collect();
            assert!(chunks.iter().all(|c| c.n_rows() <= chunk_rows && c.n_rows() > 0));
            assert_eq!(chunks.iter().map(Table::n_rows).sum::<usize>(), n as usize);
            let mut start = 0;
            for c in &chunks {
                assert_eq!(c, &t.slice_rows(start, start + c.n_rows()), "{f} {chunk_rows}");
                start += c.n_rows();
            }
        }
        let mut it = read_table_chunks(&p, &opts().columns(["s"]), 400).unwrap();
        let first = it.next().unwrap().unwrap();
        assert_eq!((first.names(), first.n_rows()), (vec!["s"], 400));
        assert_eq!(it.rows_read(), 400);
    }
    // an error mid-file ends the iteration after the error
    let p = d.write("bad.csv", "x\n1\n2\n3\nabc\n5\n");
    let items: Vec<_> = read_table_chunks(&p, &opts().require("x", Kind::Int), 2).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert!(matches!(items[1], Err(IoError::TypeMismatch { at: Location::Line(5), .. })));
    assert!(read_table_chunks(&p, &opts(), 0).is_err());
}

// ------------------------------------------------------------ writers

#[test]
fn table_writer_streams_chunks() {
    let d = TempDir::new("writer");
    let chunk = |k: i64| {
        Table::new(vec![
            Column::i64("id", (10 * k..10 * k + 10).collect()),
            Column::f64("y", (0..10).map(|i| (k * 10 + i) as f64 * 0.1).collect()),
        ])
        .unwrap()
    };
    for f in ["w.csv", "w.parquet"] {
        let p = d.path(f);
        let mut w = TableWriter::create(&p).unwrap();
        for k in 0..4 {
            w.write(&chunk(k)).unwrap();
            assert!(!p.exists(), "nothing at the target before finish");
        }
        assert_eq!(w.finish().unwrap(), 40);
        let back = read_table(&p, &opts()).unwrap();
        assert_eq!(back.n_rows(), 40);
        assert_eq!(back.slice_rows(30, 40), chunk(3));
    }
    let meta = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(d.path("w.parquet")).unwrap())
        .unwrap()
        .metadata()
        .clone();
    assert_eq!(meta.num_row_groups(), 1, "rows are grouped by 2^20, not by chunk");
    assert_eq!(d.entries(), ["w.csv", "w.parquet"]);
}

/// The bytes of a written file depend on its rows, not on how they were split into `write` calls:
/// chunks of 1, 7 and all rows, across Parquet's 2^16-row encoder batches.
#[test]
fn written_bytes_do_not_depend_on_the_chunking() {
    let d = TempDir::new("chunking");
    let n = (1 << 16) + 1000;
    let t = Table::new(vec![
        Column::i64("id", (0..n as i64).collect()),
        Column::f64("y", (0..n).map(|i| (i as f64 * 0.37).sin()).collect()),
        Column::str("s", (0..n).map(|i| format!("v{}", i % 13)).collect()),
        Column::bool("b", (0..n).map(|i| i % 3 == 0).collect()),
    ])
    .unwrap();
    for ext in ["csv", "parquet"] {
        let mut files = Vec::new();
        // all rows at once; chunks of 7; 1-row chunks over the part that crosses a batch edge
        let splits: [Vec<usize>; 3] = [
            vec![n],
            std::iter::repeat_n(7, n / 7).chain([n % 7]).collect(),
            [vec![(1 << 16) - 20], vec![1; 40], vec![n - (1 << 16) - 20]].concat(),
        ];
        for (k, sizes) in splits.iter().enumerate() {
            let p = d.path(&format!("c{k}.{ext}"));
            let mut w = TableWriter::create(&p).unwrap();
            let mut start = 0;
            for &m in sizes {
                w.write(&t.slice_rows(start, start + m)).unwrap();
                start += m;
            }
            assert_eq!(start, n);
            assert_eq!(w.finish().unwrap(), n as u64);
            files.push(std::fs::read(&p).unwrap());
        }
        assert!(files.iter().all(|f| *f == files[0]), "{ext}: the bytes depend on the chunking");
        assert_bit_equal(&read_table(d.path(&format!("c1.{ext}")), &opts()).unwrap(), &t);
        assert_eq!(tp_io::read_header(d.path(&format!("c0.{ext}"))).unwrap(), ["id", "y", "s", "b"]);
    }
}

#[test]
fn schema_mismatch_then_drop_leaves_nothing() {
    let d = TempDir::new("mismatch");
    for f in ["m.csv", "m.parquet"] {
        let p = d.path(f);
        let mut w = TableWriter::create(&p).unwrap();
        w.write(&Table::new(vec![Column::f64("x", vec![1.0])]).unwrap()).unwrap();
        let bad = Table::new(vec![Column::i64("x", vec![1])]).unwrap();
        match w.write(&bad) {
            Err(IoError::SchemaMismatch { path, expected, found }) => {
                assert_eq!((path, expected.as_str(), found.as_str()), (p.clone(), "x:float", "x:int"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.entries().len(), 1, "only the temporary file exists while writing");
        drop(w);
        assert!(d.entries().is_empty(), "{:?}", d.entries());
    }
    // finishing without any chunk fails and leaves nothing
    let w = TableWriter::create(d.path("none.parquet")).unwrap();
    assert!(matches!(w.finish(), Err(IoError::WriterState { .. })));
    assert!(d.entries().is_empty());
}

/// Serializes a few entries, then fails.
struct FailsMidway;

impl serde::Serialize for FailsMidway {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ok", &1)?;
        m.serialize_entry("big", &vec![0u8; 100_000])?;
        Err(S::Error::custom("boom"))
    }
}

#[test]
fn failed_json_write_leaves_no_partial_output() {
    let d = TempDir::new("json");
    let p = d.path("summary.json");
    assert!(matches!(write_json(&p, &FailsMidway), Err(IoError::Json { path, .. }) if path == p));
    assert!(d.entries().is_empty(), "{:?}", d.entries());
    // an existing target survives a failed rewrite untouched
    write_json(&p, &serde_json::json!({"ate": 1.5})).unwrap();
    let before = std::fs::read_to_string(&p).unwrap();
    assert!(write_json(&p, &FailsMidway).is_err());
    assert_eq!(std::fs::read_to_string(&p).unwrap(), before);
    assert_eq!(d.entries(), ["summary.json"]);
    let v: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert_eq!(v["ate"], 1.5);
    // a missing directory is an error naming the target
    let q = d.path("no/such/dir/out.json");
    assert!(matches!(write_json(&q, &1), Err(IoError::NotFound { path }) if path == q));
}

#[test]
fn one_hot_after_reading() {
    let d = TempDir::new("onehot");
    let p = d.write("o.csv", "id,region\n1,west\n2,east\n3,north\n4,east\n");
    let t = read_table(&p, &opts()).unwrap();
    let e = OneHot::new().drop_first(true).fit(&t, &["region"]).unwrap().transform(&t).unwrap();
    assert_eq!(e.names(), ["id", "region=north", "region=west"]);
    assert_eq!(&*e.f64_values("region=west").unwrap(), &[1.0, 0.0, 0.0, 0.0]);
}

// ------------------------------------------------------------ properties

fn column_strategy(name: String, n: usize) -> impl Strategy<Value = Column> {
    let finite_or_inf = prop::num::f64::NORMAL
        | prop::num::f64::SUBNORMAL
        | prop::num::f64::ZERO
        | prop::num::f64::INFINITE
        | prop::num::f64::NEGATIVE
        | prop::num::f64::POSITIVE;
    prop_oneof![
        prop::collection::vec(finite_or_inf, n).prop_map({
            let name = name.clone();
            move |v| Column::f64(name.clone(), v)
        }),
        prop::collection::vec(any::<i64>(), n).prop_map({
            let name = name.clone();
            move |v| Column::i64(name.clone(), v)
        }),
        prop::collection::vec(any::<bool>(), n).prop_map({
            let name = name.clone();
            move |v| Column::bool(name.clone(), v)
        }),
        prop::collection::vec("(\\PC|[,\"\n\r ]){0,8}", n).prop_map(move |v| Column::str(name.clone(), v)),
    ]
}

fn table_strategy() -> impl Strategy<Value = Table> {
    (1usize..5, 0usize..20).prop_flat_map(|(k, n)| {
        (0..k)
            .map(|j| column_strategy(format!("c{j}"), n))
            .collect::<Vec<_>>()
            .prop_map(|cols| Table::new(cols).unwrap())
    })
}

fn round_trip(dir: &Path, file: &str, t: &Table) -> Table {
    let p = dir.join(file);
    write_table(&p, t).unwrap();
    let o = ReadOptions::new().require_like(t).allow_non_finite(true).allow_no_rows(true);
    read_table(&p, &o).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_tables_round_trip(t in table_strategy()) {
        let d = TempDir::new("prop");
        assert_bit_equal(&round_trip(&d.0, "p.csv", &t), &t);
        assert_bit_equal(&round_trip(&d.0, "p.parquet", &t), &t);
    }
}

// The whole-file CSV read collects the table during the inference pass when
// it can; the chunked read always parses in a second pass. Both must agree on
// every input, errors included.

fn read_whole_and_chunked(p: &Path, o: &ReadOptions) -> (Result<Table, String>, Result<Table, String>) {
    let whole = read_table(p, o).map_err(|e| e.to_string());
    let chunked = read_table_chunks(p, o, 2).map_err(|e| e.to_string()).and_then(|it| {
        let parts: Vec<Table> = it.collect::<Result<_, _>>().map_err(|e| e.to_string())?;
        let mut cols: Vec<Column> = parts[0].columns().to_vec();
        for t in &parts[1..] {
            for (c, d) in cols.iter_mut().zip(t.columns()) {
                match (&mut c.data, &d.data) {
                    (ColumnData::F64(a), ColumnData::F64(b)) => a.extend_from_slice(b),
                    (ColumnData::I64(a), ColumnData::I64(b)) => a.extend_from_slice(b),
                    (ColumnData::Bool(a), ColumnData::Bool(b)) => a.extend_from_slice(b),
                    (ColumnData::Str(a), ColumnData::Str(b)) => a.extend_from_slice(b),
                    _ => panic!("chunk types differ"),
                }
            }
        }
        Ok(Table::new(cols).unwrap())
    });
    (whole, chunked)
}

const CELLS: &[&str] = &["1", "-0", "2.5", " 3 ", "", " ", "true", "x", "NaN", "1e400", "-7", "\"a,b\""];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn whole_and_chunked_csv_reads_agree(
        cells in prop::collection::vec(prop::collection::vec(0..CELLS.len(), 3), 0..6),
        opt in 0usize..5,
    ) {
        let d = TempDir::new("agree");
        let mut text = String::from("a,b,c\n");
        for row in &cells {
            let r: Vec<&str> = row.iter().map(|&i| CELLS[i]).collect();
            text.push_str(&r.join(","));
            text.push('\n');
        }
        let p = d.write("t.csv", &text);
        let o = match opt {
            0 => ReadOptions::new(),
            1 => ReadOptions::new().allow_non_finite(true).allow_no_rows(true),
            2 => ReadOptions::new().require("b", Kind::Numeric).allow_non_finite(true),
            3 => ReadOptions::new().require("a", Kind::Float).require("c", Kind::Str),
            _ => ReadOptions::new().columns(["c", "a"]).require("a", Kind::Bool).allow_no_rows(true),
        };
        let (whole, chunked) = read_whole_and_chunked(&p, &o);
        match (&whole, &chunked) {
            (Ok(w), Ok(c)) => assert_bit_equal(w, c),
            (Err(w), Err(c)) => prop_assert_eq!(w, c),
            _ => prop_assert!(false, "whole {:?} vs chunked {:?} on {:?}", whole, chunked, text),
        }
    }
}

#[test]
fn whole_read_single_pass_edge_cases() {
    let d = TempDir::new("single-pass");
    // int column promoted to float, "-0" after floats, strings with blanks
    let p = d.write("e.csv", "i,f,s,g\n1,1, a ,-0\n2,2.5,,1.5\n-3,-0,b,2\n");
    let t = read_table(&p, &opts()).unwrap();
    assert_eq!(t.column("i").unwrap().data, ColumnData::I64(vec![1, 2, -3]));
    let f = t.f64_values("f").unwrap();
    assert_eq!(f[..2], [1.0, 2.5]);
    assert!(f[2] == 0.0 && f[2].is_sign_negative());
    assert_eq!(&*t.string_values("s").unwrap(), &[" a ", "", "b"]);
    let g = t.f64_values("g").unwrap();
    assert!(g[0] == 0.0 && g[0].is_sign_negative());
    let (w, c) = read_whole_and_chunked(&p, &opts());
    assert_bit_equal(&w.unwrap(), &c.unwrap());
}

/// `fuzz/regressions/parquet_reader/crash-6c78f067…`: a 60-row `cate.parquet` whose RLE run header
/// is a VLQ integer of more than ten bytes. The `parquet` crate (60.1 and 60.2, the newest)
/// panics on it, in release builds too; tp-io turns that into an error naming the file, whichever
/// way the file is read.
#[test]
fn parquet_decoder_panic_is_an_error_naming_the_file() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/damaged_rle.parquet");
    let check = |err: IoError| {
        let msg = err.to_string();
        match &err {
            IoError::ParquetDamaged { path, detail } => {
                assert_eq!(path, &p);
                assert!(
                    detail.contains("shift left with overflow") || detail.contains("MAX_VLQ_BYTE_LEN"),
                    "{detail}"
                );
            }
            other => panic!("expected ParquetDamaged, got {other:?}"),
        }
        assert!(
            msg.starts_with(&p.display().to_string()) && msg.contains("damaged") && msg.contains("re-export"),
            "{msg}"
        );
    };
    check(read_table(&p, &opts()).unwrap_err());
    for chunk_rows in [1, 7, 1000] {
        let mut chunks = read_table_chunks(&p, &opts(), chunk_rows).unwrap();
        let err = loop {
            match chunks.next() {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break e,
                None => panic!("the damaged file read to its end at chunk_rows {chunk_rows}"),
            }
        };
        check(err);
        // the reader is marked damaged and never polled again
        assert!(matches!(chunks.next(), None | Some(Err(IoError::ParquetDamaged { .. }))));
    }
}
