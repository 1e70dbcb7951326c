//! The compiled half of `tp.spark`: map / merge / finish of tp's mergeable summaries
//! ([`tp_core::Mergeable`]) at the level of bytes, so that Spark (or any engine) moves summaries
//! between processes without knowing what they hold.
//!
//! A summary travels as the JSON text of its Rust type (serde_json with exact float round trips),
//! so a summary decoded on another machine is the same value. Every function here runs with the
//! GIL released; bad input raises `ValueError` naming the column and the row *within the
//! partition*.

use numpy::{IntoPyArray, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use tp_core::faer::Mat;
use tp_core::{ColumnData, Mergeable, Table};
use tp_ope::{LoggingPropensity, OpeInput, OpeParams, OpeSums, OpeSumsParams, TargetPolicy};
use tp_profile::{Catalog, CatalogSpec, ProfileContext, ProfileParams, ProfileState};
use tp_segment::{AssignSums, Centers};

use crate::{run_detached, table};

fn decode<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(bytes).map_err(|e| anyhow::anyhow!("{what}: not a summary tp wrote ({e})"))
}

fn encode<T: serde::Serialize>(value: &T) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

fn bytes(py: Python<'_>, v: Vec<u8>) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &v)
}

// ---------------------------------------------------------------------------------------------
// profiles
// ---------------------------------------------------------------------------------------------

/// The profile context: the catalog compiled against its inferred spec, and the parameters
/// (JSON of `tp_profile::ProfileParams`, whose `as_of` must be set).
fn profile_context(catalog: &Table, params: &str) -> anyhow::Result<ProfileContext> {
    let params: ProfileParams =
        serde_json::from_str(params).map_err(|e| anyhow::anyhow!("profile params: {e}"))?;
    let catalog = Catalog::new(catalog, &CatalogSpec::infer(catalog)?)?;
    Ok(ProfileContext::new(catalog, params)?)
}

/// A finished table as `(name, numpy array or list of str)` pairs.
pub(crate) fn columns<'py>(py: Python<'py>, t: &Table) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for c in t.columns() {
        let v: Bound<'py, PyAny> = match &c.data {
            ColumnData::F64(v) => v.clone().into_pyarray(py).into_any(),
            ColumnData::I64(v) => v.clone().into_pyarray(py).into_any(),
            ColumnData::Bool(v) => v.clone().into_pyarray(py).into_any(),
            ColumnData::Str(v) => PyList::new(py, v)?.into_any(),
        };
        out.append((c.name.clone(), v))?;
    }
    Ok(out)
}

/// `tp_profile::ProfileParams` as JSON: the defaults with the keys of `overrides` (a JSON object)
/// replaced; an unknown key or a bad value is a `ValueError`.
#[pyfunction]
fn profile_params(py: Python<'_>, overrides: String) -> PyResult<String> {
    run_detached(py, move || {
        let mut base = serde_json::to_value(ProfileParams::default())?;
        let over: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&overrides).map_err(|e| anyhow::anyhow!("profile params: {e}"))?;
        let obj = base.as_object_mut().expect("params serialize to an object");
        for (k, v) in over {
            if !obj.contains_key(&k) {
                anyhow::bail!(
                    "profile params: unknown parameter '{k}' (known: {})",
                    obj.keys().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            obj.insert(k, v);
        }
        let params: ProfileParams =
            serde_json::from_value(base).map_err(|e| anyhow::anyhow!("profile params: {e}"))?;
        params.validate()?;
        Ok(serde_json::to_string(&params)?)
    })
}

/// The profile state of one partition of the events, as bytes.
#[pyfunction]
fn profile_map<'py>(
    py: Python<'py>,
    events: &Bound<'py, PyList>,
    catalog: &Bound<'py, PyList>,
    params: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let (events, catalog) = (table(events)?, table(catalog)?);
    let out = run_detached(py, move || {
        let ctx = profile_context(&catalog, &params)?;
        encode(&ProfileState::map(&ctx, &events)?)
    })?;
    Ok(bytes(py, out))
}

/// Two profile states merged.
#[pyfunction]
fn profile_merge<'py>(py: Python<'py>, a: Vec<u8>, b: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
    let out = run_detached(py, move || {
        let (a, b): (ProfileState, ProfileState) =
            (decode("profile state", &a)?, decode("profile state", &b)?);
        encode(&Mergeable::merge(a, b)?)
    })?;
    Ok(bytes(py, out))
}

/// The profile table of a merged state.
#[pyfunction]
fn profile_finish<'py>(
    py: Python<'py>,
    state: Vec<u8>,
    catalog: &Bound<'py, PyList>,
    params: String,
) -> PyResult<Bound<'py, PyList>> {
    let catalog = table(catalog)?;
    let t = run_detached(py, move || {
        let ctx = profile_context(&catalog, &params)?;
        let state: ProfileState = decode("profile state", &state)?;
        Ok(Mergeable::finish(state, &ctx)?.table().clone())
    })?;
    columns(py, &t)
}

/// The single-machine path: all events in one pass (`tp profile`'s build and finish).
#[pyfunction]
fn profile_local<'py>(
    py: Python<'py>,
    events: &Bound<'py, PyList>,
    catalog: &Bound<'py, PyList>,
    params: String,
) -> PyResult<Bound<'py, PyList>> {
    let (events, catalog) = (table(events)?, table(catalog)?);
    let t = run_detached(py, move || {
        let params: ProfileParams =
            serde_json::from_str(&params).map_err(|e| anyhow::anyhow!("profile params: {e}"))?;
        let (_, _, profiles) = tp_profile::profile(&events, &catalog, &params)?;
        Ok(profiles.table().clone())
    })?;
    columns(py, &t)
}

// ---------------------------------------------------------------------------------------------
// off-policy evaluation
// ---------------------------------------------------------------------------------------------

/// The arms of a log from its distinct action labels (the driver computes them once), in the
/// order `tp ope` gives them (control first), and the settings of a partitioned evaluation as
/// JSON. Returns `(arm labels, settings JSON)`.
#[pyfunction]
#[pyo3(signature = (labels, control, estimators, has_q_hat, clip, switch_lambda, dros_lambda, alpha))]
#[allow(clippy::too_many_arguments)]
fn ope_context(
    py: Python<'_>,
    labels: &Bound<'_, PyList>,
    control: Option<String>,
    estimators: Option<String>,
    has_q_hat: bool,
    clip: Option<f64>,
    switch_lambda: Option<f64>,
    dros_lambda: Option<f64>,
    alpha: f64,
) -> PyResult<(Vec<String>, String)> {
    let t = table(labels)?;
    run_detached(py, move || {
        let arms = tp_pipeline::arms::Arms::from_column(&t, "action", control.as_deref(), "actions")?;
        let estimators = match &estimators {
            Some(s) => tp_ope::Estimator::parse_list(s)?,
            None if has_q_hat => tp_ope::Estimator::ALL.to_vec(),
            None => vec![tp_ope::Estimator::Ipw, tp_ope::Estimator::Snipw],
        };
        if !has_q_hat && let Some(e) = estimators.iter().find(|e| e.needs_reward_model()) {
            anyhow::bail!(
                "{e} needs a reward model: pass q_hat (one column per arm {}) or choose ipw / snipw",
                arms.labels().join(", ")
            );
        }
        let mut params = OpeParams::default().estimators(&estimators).alpha(alpha);
        if let Some(c) = clip {
            params = params.clip(c);
        }
        params.switch_lambda = switch_lambda;
        params.dros_lambda = dros_lambda;
        let ctx = OpeSumsParams::new(&params, arms.len())?;
        Ok((arms.labels().to_vec(), serde_json::to_string(&ctx)?))
    })
}

/// The arm index of every row of `column`, by the driver's labels.
fn indices(t: &Table, column: &str, labels: &[String]) -> anyhow::Result<Vec<usize>> {
    let values = t.string_values(column).map_err(|e| anyhow::anyhow!("log: {e}"))?;
    values
        .iter()
        .enumerate()
        .map(|(row, v)| {
            labels.iter().position(|l| l == v).ok_or_else(|| {
                anyhow::anyhow!(
                    "log: column '{column}' row {row} of this partition holds arm '{v}', which is not one of {}",
                    labels.join(", ")
                )
            })
        })
        .collect()
}

/// The OPE sums of one partition of a log, as bytes. `cols` holds `action`, `reward`,
/// `propensity`, `policy` (arm labels) and, for model-based estimators, `q_hat` (`n × K`, arms
/// in `labels` order).
#[pyfunction]
#[pyo3(signature = (cols, q_hat, labels, context))]
fn ope_map<'py>(
    py: Python<'py>,
    cols: &Bound<'py, PyList>,
    q_hat: Option<PyReadonlyArray2<'py, f64>>,
    labels: Vec<String>,
    context: String,
) -> PyResult<Bound<'py, PyBytes>> {
    let t = table(cols)?;
    let q = q_hat.map(|a| {
        let v = a.as_array();
        Mat::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)])
    });
    let out = run_detached(py, move || {
        let ctx: OpeSumsParams = decode("ope settings", context.as_bytes())?;
        let n = t.n_rows();
        if n == 0 {
            return encode(&OpeSums::empty(&ctx)?);
        }
        let k = labels.len();
        let actions = indices(&t, "action", &labels)?;
        let policy = indices(&t, "policy", &labels)?;
        let rewards = t.f64_values("reward")?.into_owned();
        let propensity = t.f64_values("propensity")?.into_owned();
        let mut input = OpeInput::new(
            rewards,
            actions,
            LoggingPropensity::logged(propensity),
            TargetPolicy::arms(policy),
        )
        .with_n_arms(k);
        if let Some(q) = q {
            if q.nrows() != n || q.ncols() != k {
                anyhow::bail!("log: q_hat is {} × {}, expected {n} × {k}", q.nrows(), q.ncols());
            }
            input = input.with_q_hat(q);
        }
        encode(&OpeSums::map(&ctx, &input)?)
    })?;
    Ok(bytes(py, out))
}

/// Two OPE summaries merged.
#[pyfunction]
fn ope_merge<'py>(py: Python<'py>, a: Vec<u8>, b: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
    let out = run_detached(py, move || {
        let (a, b): (OpeSums, OpeSums) = (decode("ope summary", &a)?, decode("ope summary", &b)?);
        encode(&a.merge(b)?)
    })?;
    Ok(bytes(py, out))
}

/// The report (`tp ope --json`'s estimates and diagnostics) of a merged summary, as JSON text.
#[pyfunction]
fn ope_finish(py: Python<'_>, sums: Vec<u8>, context: String) -> PyResult<String> {
    run_detached(py, move || {
        let ctx: OpeSumsParams = decode("ope settings", context.as_bytes())?;
        let sums: OpeSums = decode("ope summary", &sums)?;
        Ok(serde_json::to_string(&sums.finish(&ctx)?)?)
    })
}

// ---------------------------------------------------------------------------------------------
// segments
// ---------------------------------------------------------------------------------------------

fn mat(a: &PyReadonlyArray2<'_, f64>) -> Mat<f64> {
    let v = a.as_array();
    Mat::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)])
}

/// Labels (int64) of the rows of `x` under `centers`, and the summary of the partition as bytes.
#[pyfunction]
fn kmeans_assign<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
) -> PyResult<(Bound<'py, numpy::PyArray1<i64>>, Bound<'py, PyBytes>)> {
    let (x, c) = (mat(&x), mat(&centers));
    let (labels, out) = run_detached(py, move || {
        let centers = Centers::new(c.as_ref())?;
        let (labels, sums) = AssignSums::assign(&centers, x.as_ref())?;
        Ok((labels.into_iter().map(|l| l as i64).collect::<Vec<i64>>(), encode(&sums)?))
    })?;
    Ok((labels.into_pyarray(py), bytes(py, out)))
}

/// Two assignment summaries merged.
#[pyfunction]
fn kmeans_merge<'py>(py: Python<'py>, a: Vec<u8>, b: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
    let out = run_detached(py, move || {
        let (a, b): (AssignSums, AssignSums) =
            (decode("assignment summary", &a)?, decode("assignment summary", &b)?);
        encode(&a.merge(b)?)
    })?;
    Ok(bytes(py, out))
}

/// Sizes, means and inertia of a merged assignment summary, as JSON text.
#[pyfunction]
fn kmeans_finish(py: Python<'_>, sums: Vec<u8>, centers: PyReadonlyArray2<'_, f64>) -> PyResult<String> {
    let c = mat(&centers);
    run_detached(py, move || {
        let centers = Centers::new(c.as_ref())?;
        let sums: AssignSums = decode("assignment summary", &sums)?;
        Ok(serde_json::to_string(&sums.finish(&centers)?)?)
    })
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(profile_params, m)?)?;
    m.add_function(wrap_pyfunction!(profile_map, m)?)?;
    m.add_function(wrap_pyfunction!(profile_merge, m)?)?;
    m.add_function(wrap_pyfunction!(profile_finish, m)?)?;
    m.add_function(wrap_pyfunction!(profile_local, m)?)?;
    m.add_function(wrap_pyfunction!(ope_context, m)?)?;
    m.add_function(wrap_pyfunction!(ope_map, m)?)?;
    m.add_function(wrap_pyfunction!(ope_merge, m)?)?;
    m.add_function(wrap_pyfunction!(ope_finish, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_assign, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_merge, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_finish, m)?)
}
