//! Covariate columns read through the Arrow C stream interface (the PyCapsule protocol,
//! `__arrow_c_stream__`), which pyarrow (`ChunkedArray`, `Array`) and polars (`Series`) export.
//!
//! The producer hands over its buffers without copying; this module reads them in place and
//! writes the values once into the `tp_core::Table` column (which owns its values: that one copy
//! is the only one). Against the numpy route it saves the concatenation of a chunked column and,
//! for text, the Python `str` object per value (`to_pylist`) and the list that holds them.
//!
//! This is the crate's only `unsafe` code outside PyO3's macros: one call that moves the stream
//! out of the capsule ([`take_stream`]).

use arrow_array::cast::AsArray;
use arrow_array::ffi_stream::{ArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::DataType;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use tp_core::Column;

/// A covariate column of a pyarrow or polars frame, read through the Arrow C stream interface
/// when the compiled module builds its table (`tp._native.ArrowColumn(series)`).
///
/// It holds the Python object, not its values: each table built from it exports a fresh stream
/// (the producer's buffers, not a copy).
#[pyclass(module = "tp._native", frozen)]
pub struct ArrowColumn {
    source: Py<PyAny>,
    rows: usize,
}

#[pymethods]
impl ArrowColumn {
    /// Wraps a pyarrow `ChunkedArray` / `Array` or a polars `Series` (anything with
    /// `__arrow_c_stream__`) of `rows` values.
    #[new]
    fn new(source: Bound<'_, PyAny>, rows: usize) -> PyResult<Self> {
        if !source.hasattr("__arrow_c_stream__")? {
            let kind = source.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            return Err(PyTypeError::new_err(format!(
                "ArrowColumn: {kind} does not export the Arrow C stream interface (__arrow_c_stream__)"
            )));
        }
        Ok(ArrowColumn { source: source.unbind(), rows })
    }

    fn __len__(&self) -> usize {
        self.rows
    }
}

/// Moves the Arrow stream out of the capsule that `__arrow_c_stream__` returned.
fn take_stream(capsule: &Bound<'_, PyCapsule>) -> PyResult<FFI_ArrowArrayStream> {
    let ptr = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
    // SAFETY: a capsule named "arrow_array_stream" holds a pointer to an initialized
    // `ArrowArrayStream` struct (the Arrow PyCapsule interface), alive as long as the capsule,
    // which the caller borrows for this call; `from_raw` moves the struct out and leaves a
    // released one (null `release`) behind, the interface's "move", so the capsule's destructor
    // does not release the stream a second time. `FFI_ArrowArrayStream` is `#[repr(C)]` with the
    // C struct's layout.
    Ok(unsafe { FFI_ArrowArrayStream::from_raw(ptr.cast::<FFI_ArrowArrayStream>().as_ptr()) })
}

/// The covariate column `name` of `col` as tp's table holds covariates: numbers (integers,
/// floats, booleans as 0/1) as float64 with a missing value as NaN; text (string, large string,
/// string view, or a dictionary of strings) as strings, where a missing value is an error naming
/// the row, as the numpy route reports it.
pub(crate) fn feature_column(name: String, col: &ArrowColumn, py: Python<'_>) -> PyResult<Column> {
    let capsule = col.source.bind(py).call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast_into::<PyCapsule>().map_err(|e| PyTypeError::new_err(e.to_string()))?;
    let reader = ArrayStreamReader::try_new(take_stream(&capsule)?).map_err(|e| arrow_error(&name, &e))?;
    let mut out = Values::None;
    for chunk in reader {
        let chunk = chunk.map_err(|e| arrow_error(&name, &e))?;
        out.extend(&name, chunk.as_ref(), col.rows)?;
    }
    let rows = out.len();
    if rows != col.rows {
        return Err(PyValueError::new_err(format!(
            "column '{name}': the Arrow stream has {rows} values where the frame has {} rows",
            col.rows
        )));
    }
    Ok(match out {
        Values::None => Column::f64(name, Vec::new()),
        Values::Num(v) => Column::f64(name, v),
        Values::Text(v) => Column::str(name, v),
    })
}

fn arrow_error(name: &str, e: &arrow_schema::ArrowError) -> PyErr {
    PyValueError::new_err(format!("column '{name}': reading its Arrow data: {e}"))
}

/// The values read so far (the first chunk fixes the kind).
enum Values {
    None,
    Num(Vec<f64>),
    Text(Vec<String>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::None => 0,
            Values::Num(v) => v.len(),
            Values::Text(v) => v.len(),
        }
    }

    fn extend(&mut self, name: &str, a: &dyn Array, rows: usize) -> PyResult<()> {
        if is_number(a.data_type()) {
            if let Values::None = self {
                *self = Values::Num(Vec::with_capacity(rows));
            }
            let Values::Num(v) = self else { return Err(mixed(name)) };
            numbers(a, v);
            return Ok(());
        }
        if let Values::None = self {
            *self = Values::Text(Vec::with_capacity(rows));
        }
        let Values::Text(v) = self else { return Err(mixed(name)) };
        let start = v.len();
        let missing = |i: usize| {
            PyValueError::new_err(format!(
                "data: column '{name}' row {} is missing: impute it or drop the row",
                start + i
            ))
        };
        if let Some(s) = a.as_string_opt::<i32>() {
            for (i, x) in s.iter().enumerate() {
                v.push(x.ok_or_else(|| missing(i))?.to_owned());
            }
        } else if let Some(s) = a.as_string_opt::<i64>() {
            for (i, x) in s.iter().enumerate() {
                v.push(x.ok_or_else(|| missing(i))?.to_owned());
            }
        } else if let Some(s) = a.as_string_view_opt() {
            for (i, x) in s.iter().enumerate() {
                v.push(x.ok_or_else(|| missing(i))?.to_owned());
            }
        } else if let Some(d) = a.as_any_dictionary_opt()
            && let Some(labels) = texts(d.values().as_ref())
        {
            // a categorical column: each row copies its category's text
            for (i, k) in d.normalized_keys().into_iter().enumerate() {
                match labels.get(k).copied().flatten() {
                    Some(label) if !a.is_null(i) => v.push(label.to_owned()),
                    _ => return Err(missing(i)),
                }
            }
        } else {
            return Err(PyTypeError::new_err(format!(
                "column '{name}': unsupported Arrow type {}; expected numbers or strings",
                a.data_type()
            )));
        }
        Ok(())
    }
}

/// The values of a string, large string or string view array (`None`: not text).
fn texts(a: &dyn Array) -> Option<Vec<Option<&str>>> {
    if let Some(s) = a.as_string_opt::<i32>() {
        return Some(s.iter().collect());
    }
    if let Some(s) = a.as_string_opt::<i64>() {
        return Some(s.iter().collect());
    }
    a.as_string_view_opt().map(|s| s.iter().collect())
}

/// Integer, float and boolean types: the ones [`numbers`] reads.
fn is_number(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Boolean
    )
}

fn mixed(name: &str) -> PyErr {
    PyTypeError::new_err(format!("column '{name}': its Arrow chunks mix numbers and text"))
}

/// Appends a numeric or boolean array's values as float64, a missing value as NaN (types that
/// [`is_number`] refuses append nothing, which the caller's row count reports).
fn numbers(a: &dyn Array, out: &mut Vec<f64>) {
    fn prim<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>, out: &mut Vec<f64>, f: impl Fn(T::Native) -> f64) {
        let start = out.len();
        out.extend(a.values().iter().map(|&x| f(x)));
        if a.null_count() > 0 {
            for (i, o) in out[start..].iter_mut().enumerate() {
                if a.is_null(i) {
                    *o = f64::NAN;
                }
            }
        }
    }
    match a.data_type() {
        DataType::Int8 => prim(a.as_primitive::<Int8Type>(), out, f64::from),
        DataType::Int16 => prim(a.as_primitive::<Int16Type>(), out, f64::from),
        DataType::Int32 => prim(a.as_primitive::<Int32Type>(), out, f64::from),
        // numpy's int64 → float64 conversion: the nearest float
        DataType::Int64 => prim(a.as_primitive::<Int64Type>(), out, |x| x as f64),
        DataType::UInt8 => prim(a.as_primitive::<UInt8Type>(), out, f64::from),
        DataType::UInt16 => prim(a.as_primitive::<UInt16Type>(), out, f64::from),
        DataType::UInt32 => prim(a.as_primitive::<UInt32Type>(), out, f64::from),
        DataType::UInt64 => prim(a.as_primitive::<UInt64Type>(), out, |x| x as f64),
        DataType::Float32 => prim(a.as_primitive::<Float32Type>(), out, f64::from),
        DataType::Float64 => prim(a.as_primitive::<Float64Type>(), out, |x| x),
        DataType::Boolean => {
            let b = a.as_boolean();
            let start = out.len();
            out.extend(b.values().iter().map(|x| f64::from(u8::from(x))));
            if b.null_count() > 0 {
                for (i, o) in out[start..].iter_mut().enumerate() {
                    if b.is_null(i) {
                        *o = f64::NAN;
                    }
                }
            }
        }
        _ => {}
    }
}
