//! The uplift random forest as `tp uplift --method uplift-forest` fits it: the same driver
//! (`tp_pipeline::uplift::estimate`), so the same table and settings give the same bits.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tp_pipeline::uplift::{Criterion, ForestSettings, Source, UpliftSettings};
use tp_uplift::Method;

use crate::{CausalInput, Model, Roles, SOURCE, matrix, run_detached, vector};

fn criterion(name: &str) -> PyResult<Criterion> {
    Criterion::ALL.into_iter().find(|c| c.name() == name).ok_or_else(|| {
        let names: Vec<String> = Criterion::ALL.iter().map(|c| format!("'{}'", c.name())).collect();
        PyValueError::new_err(format!("criterion='{name}': expected one of {}", names.join(", ")))
    })
}

/// Fits the uplift forest exactly as `tp uplift --method uplift-forest` does.
///
/// Returns the model and a dict: `oob_tau`, `oob_se`, `oob_lo`, `oob_hi` (`n × (K − 1)`, the
/// CLI's `tau`, `tau_se`, `tau_lo`, `tau_hi` columns), `importance` and `summary` (JSON text).
#[pyfunction]
#[pyo3(signature = (roles, n_trees, criterion_name, max_depth, min_samples_leaf, min_per_arm, max_features, level, seed))]
#[allow(clippy::too_many_arguments)]
fn uplift_forest_fit<'py>(
    py: Python<'py>,
    roles: Roles<'py>,
    n_trees: usize,
    criterion_name: &str,
    max_depth: usize,
    min_samples_leaf: usize,
    min_per_arm: usize,
    max_features: usize,
    level: f64,
    seed: u64,
) -> PyResult<(Model, Bound<'py, PyDict>)> {
    let criterion = criterion(criterion_name)?;
    let input = CausalInput::new(roles)?;
    let (model, cate, importance, summary) = run_detached(py, || {
        let (data, arms) = input.data()?;
        let settings = UpliftSettings {
            method: Method::UpliftForest,
            level,
            trees: Some(n_trees),
            forest: ForestSettings {
                criterion,
                max_depth,
                min_samples_leaf,
                min_per_arm,
                max_features,
                ..ForestSettings::default()
            },
            seed,
            ..UpliftSettings::default()
        };
        let source = Source { file: SOURCE, treatment: input.treatment(), outcome: input.outcome() };
        let est = tp_pipeline::uplift::estimate(&settings, &data, &arms, source)?;
        let cate = est.cate.clone();
        let importance: Vec<f64> = est.importance.iter().flatten().map(|(_, v)| *v).collect();
        let summary = serde_json::to_string(&est.summary)?;
        let model = est.into_model(&settings, &data)?;
        Ok((model, cate, importance, summary))
    })?;
    let dict = PyDict::new(py);
    dict.set_item("oob_tau", matrix(py, &cate.tau))?;
    dict.set_item("oob_se", cate.se.as_ref().map(|s| matrix(py, s)))?;
    let (lo, hi) = cate.bounds.as_ref().map(|(l, h)| (matrix(py, l), matrix(py, h))).unzip();
    dict.set_item("oob_lo", lo)?;
    dict.set_item("oob_hi", hi)?;
    dict.set_item("importance", vector(py, importance))?;
    dict.set_item("summary", summary)?;
    Ok((Model { inner: model }, dict))
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(uplift_forest_fit, m)?)
}
