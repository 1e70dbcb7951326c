//! `tp._native`: the compiled half of the Python package `tp`.
//!
//! The Python half (`python/tp/`) holds the scikit-learn-style classes; it turns numpy arrays and
//! pandas / polars / pyarrow frames into named 1-D columns (float64, int64 or str) and calls the
//! functions here. They build a [`tp_core::Table`] from those columns and run the **same code as
//! the `tp` binary**: `tp_pipeline::causal::causal_data` for arms, one-hot covariates and input checks,
//! `tp_uplift::forest_run::fit_forest` for the causal forest, `tp_uplift::UpliftParams` for the
//! meta-learners. So a Python fit and a `tp uplift` run on the same table give the same bits,
//! and bad input raises `ValueError` with the message the CLI prints.
//!
//! Every fit and predict runs with the GIL released ([`Python::detach`]); a Rust panic is caught
//! and raised as `RuntimeError` instead of aborting the interpreter.

use std::panic::{AssertUnwindSafe, catch_unwind};

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tp_core::faer::Mat;
use tp_core::{Column, Table};

mod arrow;
mod meta;
mod metrics;
mod ope;
mod policy;
mod profile;
mod run;
mod segment;
mod spark;
mod uplift_forest;

/// The name inputs go by in error messages (the CLI names the file).
pub(crate) const SOURCE: &str = "data";

/// Joins an error chain the way `tp` prints it: causes joined by ": ", a cause that the message
/// above already quotes skipped.
pub(crate) fn message(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
    }
    msg.replace('\n', " ")
}

/// Runs `f` without the GIL; an error becomes `ValueError`, a panic `RuntimeError`.
pub(crate) fn run_detached<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    let out = py.detach(|| catch_unwind(AssertUnwindSafe(f)));
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(PyValueError::new_err(message(&e))),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(PyRuntimeError::new_err(format!("internal error in tp (please report it): {what}")))
        }
    }
}

/// One named column from Python: a 1-D float64 or int64 numpy array, a list of str, or a
/// covariate column read through the Arrow C stream interface ([`arrow::ArrowColumn`]).
pub(crate) fn column(name: String, obj: &Bound<'_, PyAny>) -> PyResult<Column> {
    if let Ok(a) = obj.cast::<arrow::ArrowColumn>() {
        return arrow::feature_column(name, a.get(), obj.py());
    }
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, f64>>() {
        return Ok(Column::f64(name, a.as_array().to_vec()));
    }
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, i64>>() {
        return Ok(Column::i64(name, a.as_array().to_vec()));
    }
    if let Ok(a) = obj.extract::<PyReadonlyArray1<'_, bool>>() {
        return Ok(Column::bool(name, a.as_array().to_vec()));
    }
    if let Ok(v) = obj.extract::<Vec<String>>() {
        return Ok(Column::str(name, v));
    }
    let kind = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    Err(PyTypeError::new_err(format!(
        "column '{name}': expected a 1-D float64, int64 or bool array or a list of str, got {kind}"
    )))
}

/// The table of `(name, column)` pairs; a duplicate name or unequal lengths are `ValueError`s.
pub(crate) fn table(cols: &Bound<'_, PyList>) -> PyResult<Table> {
    named_table(cols, SOURCE)
}

/// [`table`], with errors naming the input `source` (e.g. `events`) instead of `data`.
pub(crate) fn named_table(cols: &Bound<'_, PyList>, source: &str) -> PyResult<Table> {
    let mut out = Vec::with_capacity(cols.len());
    for item in cols.iter() {
        let (name, obj): (String, Bound<'_, PyAny>) = item.extract()?;
        out.push(column(name, &obj)?);
    }
    Table::new(out).map_err(|e| PyValueError::new_err(format!("{source}: {e}")))
}

/// What every causal fit takes first, as `tp._cate.CateEstimator._roles` passes it (a tuple): the
/// columns, the covariate names in order, the treatment and outcome column names, the control label.
#[derive(FromPyObject)]
pub(crate) struct Roles<'py>(Bound<'py, PyList>, Vec<String>, String, String, Option<String>);

/// [`Roles`] with the table built (under the GIL): a fit reads its data from it without the GIL.
pub(crate) struct CausalInput {
    table: Table,
    covariates: Vec<String>,
    treatment: String,
    outcome: String,
    control: Option<String>,
}

impl CausalInput {
    /// Builds the table of `roles` (a `ValueError` names a bad column).
    pub(crate) fn new(roles: Roles<'_>) -> PyResult<Self> {
        let Roles(cols, covariates, treatment, outcome, control) = roles;
        Ok(CausalInput { table: table(&cols)?, covariates, treatment, outcome, control })
    }

    /// The arms, outcome and (one-hot) covariates as `tp uplift` builds them, with its checks and
    /// messages (`tp_pipeline::causal::causal_data`).
    pub(crate) fn data(&self) -> anyhow::Result<(tp_core::CausalData, tp_pipeline::arms::Arms)> {
        let roles = tp_pipeline::causal::Roles {
            treatment: &self.treatment,
            outcome: &self.outcome,
            covariates: Some(&self.covariates),
            control: self.control.as_deref(),
            exclude: vec![],
            propensity_prefix: None,
        };
        Ok(tp_pipeline::causal::causal_data(&self.table, &roles, SOURCE)?)
    }

    /// The treatment column's name.
    pub(crate) fn treatment(&self) -> &str {
        &self.treatment
    }

    /// The outcome column's name.
    pub(crate) fn outcome(&self) -> &str {
        &self.outcome
    }
}

/// The covariate matrix of `table` in the order of a model's `features`: numeric columns by name,
/// string columns one-hot encoded (all categories, so a category missing from new rows is all
/// zeros and one the model never saw is ignored, as `tp score` does).
pub(crate) fn aligned_matrix(table: &Table, features: &[String]) -> anyhow::Result<Mat<f64>> {
    let strings: Vec<&str> =
        table.columns().iter().filter(|c| !c.data.is_numeric()).map(|c| c.name.as_str()).collect();
    let encoded = if strings.is_empty() {
        table.clone()
    } else {
        tp_io::OneHot::new().drop_first(false).fit(table, &strings)?.transform(table)?
    };
    let names: Vec<&str> = encoded.names();
    let mut idx = Vec::with_capacity(features.len());
    for f in features {
        match names.iter().position(|n| n == f) {
            Some(j) => idx.push(Some(j)),
            None if f.contains('=') && table.position(f.split_once('=').map_or(f, |p| p.0)).is_some() => {
                idx.push(None)
            }
            None => anyhow::bail!(
                "{SOURCE}: lacks the model's covariate '{f}' (the model was fitted on {}); pass the same columns as at fit time",
                features.join(", ")
            ),
        }
    }
    let cols: Vec<Option<std::borrow::Cow<'_, [f64]>>> =
        idx.iter().map(|j| j.map(|j| encoded.f64_values(names[j])).transpose()).collect::<Result<_, _>>()?;
    Ok(Mat::from_fn(table.n_rows(), features.len(), |i, j| cols[j].as_ref().map_or(0.0, |c| c[i])))
}

/// An `n × k` matrix as a numpy array (row-major copy).
pub(crate) fn matrix<'py>(py: Python<'py>, m: &Mat<f64>) -> Bound<'py, PyArray2<f64>> {
    let (n, k) = (m.nrows(), m.ncols());
    let flat: Vec<f64> = (0..n).flat_map(|i| (0..k).map(move |j| m[(i, j)])).collect();
    flat.into_pyarray(py).reshape([n, k]).expect("n·k values reshape to n × k")
}

/// A vector as a 1-D numpy array.
pub(crate) fn vector<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    v.into_pyarray(py)
}

/// τ̂ and, when asked for, its standard error.
type Prediction<'py> = (Bound<'py, PyArray2<f64>>, Option<Bound<'py, PyArray2<f64>>>);

/// A fitted CATE model (any method), saved and loaded through tp's model file format.
#[pyclass(module = "tp._native", frozen)]
pub struct Model {
    pub(crate) inner: tp_uplift::CateModel,
}

#[pymethods]
impl Model {
    /// Loads a model from the JSON text written by `to_json` (or `tp uplift --save-model`).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: String) -> PyResult<Model> {
        let inner = run_detached(py, || Ok(tp_uplift::CateModel::from_json(&text)?))?;
        Ok(Model { inner })
    }
    /// The model file's JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        run_detached(py, || Ok(self.inner.to_json()?))
    }
    /// Covariate names in the model's column order.
    #[getter]
    fn features(&self) -> Vec<String> {
        self.inner.feature_names().to_vec()
    }
    /// Arm labels, control first.
    #[getter]
    fn arms(&self) -> Vec<String> {
        self.inner.arm_labels().to_vec()
    }
    /// τ̂ (`n × (K − 1)`) and its standard error (same shape, or None) for the rows of `cols`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        cols: &Bound<'py, PyList>,
        with_se: bool,
    ) -> PyResult<Prediction<'py>> {
        let table = table(cols)?;
        let (tau, se) = run_detached(py, || {
            let x = aligned_matrix(&table, self.inner.feature_names())?;
            // with the standard errors, one call: a causal forest computes τ̂ and its variance in
            // one pass over the trees instead of predicting τ̂ twice
            let (tau, se) = if with_se {
                self.inner.predict_with_se(x.as_ref())
            } else {
                self.inner.predict(x.as_ref()).map(|tau| (tau, None))
            }
            .map_err(|e| anyhow::anyhow!("{SOURCE}: {e}"))?;
            Ok((tau, se))
        })?;
        Ok((matrix(py, &tau), se.map(|s| matrix(py, &s))))
    }
}

/// Fits the causal forest exactly as `tp uplift --method causal-forest` does.
///
/// `roles` holds the covariates, the treatment and the outcome (see [`Roles`]). Returns the model
/// and a dict of training-row results.
#[pyfunction]
#[pyo3(signature = (roles, n_trees, nuisance_trees, tune, level, seed))]
fn causal_forest_fit<'py>(
    py: Python<'py>,
    roles: Roles<'py>,
    n_trees: usize,
    nuisance_trees: Option<usize>,
    tune: &str,
    level: f64,
    seed: u64,
) -> PyResult<(Model, Bound<'py, PyDict>)> {
    let tuning = match tune {
        "auto" => tp_uplift::Tuning::Auto,
        "always" => tp_uplift::Tuning::Always,
        "never" => tp_uplift::Tuning::Never,
        other => {
            return Err(PyValueError::new_err(format!(
                "tune='{other}': expected 'auto', 'always' or 'never'"
            )));
        }
    };
    let input = CausalInput::new(roles)?;
    let out = run_detached(py, || {
        let (data, arms) = input.data()?;
        if let Some((a, count)) = tp_uplift::forest_run::sparse_arm(&data) {
            anyhow::bail!(
                "{SOURCE}: arm '{}' of column '{}' has {count} rows; the causal forest needs at least {} rows of every arm: merge it into another arm or drop its rows",
                arms.labels()[a],
                input.treatment(),
                tp_uplift::forest_run::MIN_ROWS_PER_ARM
            );
        }
        let mut params = tp_uplift::CausalForest::params().n_trees(n_trees).tune(tuning).seed(seed);
        if let Some(m) = nuisance_trees {
            params = params.nuisance_trees(m);
        }
        let fit = tp_uplift::forest_run::fit_forest(&params, &data, level)
            .map_err(|e| anyhow::anyhow!("{SOURCE}: {e}"))?;
        let n = data.n();
        let d = fit.model.n_treated();
        let tau = Mat::from_fn(n, d, |i, k| fit.oob[k].tau[i]);
        let se = Mat::from_fn(n, d, |i, k| fit.oob[k].tau_se[i]);
        let ate = fit.model.ate_arms();
        let importance = fit.model.variable_importance().to_vec();
        let tuning = fit.model.tuning().map(serde_json::to_string).transpose()?;
        let gamma = tp_core::aipw_scores(data.outcome(), data.arms(), fit.mu.as_ref(), fit.e.as_ref())?;
        let mu = fit.mu.clone();
        let trees = fit.model.n_trees();
        let names = data.feature_names().to_vec();
        let params_json = serde_json::json!({ "method": "causal-forest", "trees": trees, "level": level });
        let model = tp_uplift::CateModel::from_causal_forest(
            fit.model,
            names,
            arms.labels().to_vec(),
            params_json,
            seed,
        )?;
        Ok((model, tau, se, ate, importance, tuning, gamma, mu, fit.filled_rows.len(), trees))
    })?;
    let (model, tau, se, ate, importance, tuning, gamma, mu, filled, trees) = out;
    let dict = PyDict::new(py);
    dict.set_item("oob_tau", matrix(py, &tau))?;
    dict.set_item("oob_se", matrix(py, &se))?;
    dict.set_item("ate", vector(py, ate.iter().map(|a| a.0).collect()))?;
    dict.set_item("ate_se", vector(py, ate.iter().map(|a| a.1).collect()))?;
    dict.set_item("importance", vector(py, importance))?;
    dict.set_item("tuning", tuning)?;
    dict.set_item("scores", matrix(py, &gamma))?;
    dict.set_item("mu", matrix(py, &mu))?;
    dict.set_item("filled_rows", filled)?;
    dict.set_item("trees", trees)?;
    Ok((Model { inner: model }, dict))
}

/// The compiled module `tp._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Model>()?;
    m.add_class::<arrow::ArrowColumn>()?;
    m.add_function(wrap_pyfunction!(causal_forest_fit, m)?)?;
    meta::register(m)?;
    metrics::register(m)?;
    ope::register(m)?;
    policy::register(m)?;
    profile::register(m)?;
    run::register(m)?;
    segment::register(m)?;
    spark::register(m)?;
    uplift_forest::register(m)?;
    Ok(())
}
