//! The meta-learners (S, T, X, R, DR) as `tp uplift --method s|t|x|r|dr` fits them.

use numpy::PyArray2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tp_uplift::{LearnerKind, Method, UpliftParams};

use crate::{CausalInput, Model, Roles, SOURCE, matrix, run_detached, vector};

fn method(name: &str) -> PyResult<Method> {
    Ok(match name {
        "s" => Method::S,
        "t" => Method::T,
        "x" => Method::X,
        "r" => Method::R,
        "dr" => Method::Dr,
        other => return Err(PyValueError::new_err(format!("method '{other}': expected s, t, x, r or dr"))),
    })
}

fn learner(name: &str) -> PyResult<LearnerKind> {
    Ok(match name {
        "linear" => LearnerKind::Linear,
        "rf" => LearnerKind::Rf,
        "gbt" => LearnerKind::Gbt,
        other => {
            return Err(PyValueError::new_err(format!(
                "learner='{other}': expected 'linear', 'rf' or 'gbt' (the CLI's --learner)"
            )));
        }
    })
}

/// Fits a meta-learner exactly as `tp uplift --method <method> --learner <learner>` does.
///
/// Returns the model and a dict: `tau` (`n × (K − 1)`, the CLI's `tau` columns), `tau_se` (with
/// `bootstrap ≥ 2`), `ate`, `ate_se`, `ci_low`, `ci_high`, `att`, `att_se` per treated arm,
/// `scores` (AIPW, `n × K`) and `diagnostics` (JSON text).
#[pyfunction]
#[pyo3(signature = (roles, method_name, learner_name, folds, bootstrap, seed))]
fn meta_fit<'py>(
    py: Python<'py>,
    roles: Roles<'py>,
    method_name: &str,
    learner_name: &str,
    folds: usize,
    bootstrap: usize,
    seed: u64,
) -> PyResult<(Model, Bound<'py, PyDict>)> {
    let (m, l) = (method(method_name)?, learner(learner_name)?);
    let input = CausalInput::new(roles)?;
    let (fit, scores, arms) = run_detached(py, || {
        let (data, arms) = input.data()?;
        let params = UpliftParams::with_learners(m, l).seed(seed).folds(folds).n_boot(bootstrap);
        let fit = params.fit(&data).map_err(|e| anyhow::anyhow!("{SOURCE}: {e}"))?;
        let scores = fit.scores(&data)?;
        Ok((fit, scores, arms.labels().to_vec()))
    })?;
    let dict = PyDict::new(py);
    dict.set_item("tau", matrix(py, &fit.tau))?;
    dict.set_item("tau_se", fit.tau_se.as_ref().map(|s| matrix(py, s)))?;
    let field = |f: fn(&tp_uplift::ate::ArmEffect) -> f64| fit.effects.iter().map(f).collect::<Vec<f64>>();
    dict.set_item("ate", vector(py, field(|e| e.ate)))?;
    dict.set_item("ate_se", vector(py, field(|e| e.ate_se)))?;
    dict.set_item("ci_low", vector(py, field(|e| e.ci_low)))?;
    dict.set_item("ci_high", vector(py, field(|e| e.ci_high)))?;
    dict.set_item("att", vector(py, field(|e| e.att)))?;
    dict.set_item("att_se", vector(py, field(|e| e.att_se)))?;
    let s: Bound<'py, PyArray2<f64>> = matrix(py, &scores);
    dict.set_item("scores", s)?;
    dict.set_item("arms", arms)?;
    let summary = serde_json::to_string(&fit.summary()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    dict.set_item("summary", summary)?;
    Ok((Model { inner: fit.model }, dict))
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(meta_fit, m)?)
}
