//! Uplift metrics as `tp evaluate` computes them: Qini, AUUC, uplift@k, RATE.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tp_uplift::evaluate::{EvaluationParams, evaluate_ranking};

use crate::{SOURCE, run_detached, table};

/// `tp evaluate`: the metrics of `score` on the columns `treatment`, `outcome`, `score` (and
/// `dr_score`) of `cols`, one treated arm against control. Returns the `--json` summary.
#[pyfunction]
#[pyo3(signature = (cols, treatment, outcome, score, dr_score, control, k, seed))]
#[allow(clippy::too_many_arguments)]
fn evaluate<'py>(
    py: Python<'py>,
    cols: &Bound<'py, PyList>,
    treatment: String,
    outcome: String,
    score: String,
    dr_score: Option<String>,
    control: Option<String>,
    k: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let table = table(cols)?;
    let (json, arms) = run_detached(py, || {
        let arms = tp_pipeline::arms::Arms::from_column(&table, &treatment, control.as_deref(), SOURCE)?;
        if arms.len() != 2 {
            anyhow::bail!(
                "{SOURCE}: column '{treatment}' has {} arms; evaluate one treated arm against control at a time",
                arms.len()
            );
        }
        let t = arms.indices(&table, &treatment, SOURCE)?;
        let y = table.f64_values(&outcome)?;
        let s = table.f64_values(&score)?;
        let g = dr_score.as_ref().map(|c| table.f64_values(c).map(|v| v.into_owned())).transpose()?;
        let mut params = EvaluationParams { k, ..EvaluationParams::default() };
        params.rate.seed = seed;
        let m = evaluate_ranking(&y, &t, &s, g.as_deref(), &params)
            .map_err(|e| anyhow::anyhow!("{SOURCE}: {e}"))?;
        Ok((serde_json::to_string(&m)?, arms.labels().to_vec()))
    })?;
    let dict = PyDict::new(py);
    dict.set_item("metrics", json)?;
    dict.set_item("arms", arms)?;
    Ok(dict)
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(evaluate, m)?)
}
