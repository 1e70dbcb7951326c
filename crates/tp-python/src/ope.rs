//! Off-policy evaluation and A/B design as `tp ope` and `tp design` compute them.

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use tp_core::faer::Mat;
use tp_ope::{Baseline, Estimator, LoggingPropensity, OpeInput, OpeParams, TargetPolicy};

use crate::{SOURCE, run_detached, table};

fn mat(a: &PyReadonlyArray2<'_, f64>) -> Mat<f64> {
    let v = a.as_array();
    Mat::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)])
}

/// `tp ope`: the value of a target policy from a log. `cols` holds the columns `action`,
/// `reward`, `propensity` and, when the policy (or current practice) plays one arm per row, the
/// columns `policy` (and `current`) with arm labels of the action's kind; `policy_probs` is the
/// alternative `n × K` matrix of probabilities (arms in `arms` order: control first). Returns the
/// `--json` summary as JSON text.
#[pyfunction]
#[pyo3(signature = (cols, policy_probs, q_hat, control, estimators, clip, switch_lambda, dros_lambda, bootstrap, alpha, seed))]
#[allow(clippy::too_many_arguments)]
fn ope_evaluate(
    py: Python<'_>,
    cols: &Bound<'_, PyList>,
    policy_probs: Option<PyReadonlyArray2<'_, f64>>,
    q_hat: Option<PyReadonlyArray2<'_, f64>>,
    control: Option<String>,
    estimators: Option<String>,
    clip: Option<f64>,
    switch_lambda: Option<f64>,
    dros_lambda: Option<f64>,
    bootstrap: usize,
    alpha: f64,
    seed: u64,
) -> PyResult<String> {
    let table = table(cols)?;
    let probs = policy_probs.as_ref().map(mat);
    let q = q_hat.as_ref().map(|a| (mat(a), a.shape()[1]));
    run_detached(py, move || {
        let arms = tp_pipeline::arms::Arms::from_column(&table, "action", control.as_deref(), SOURCE)?;
        let actions = arms.indices(&table, "action", SOURCE)?;
        let rewards = table.f64_values("reward")?.into_owned();
        let propensity = table.f64_values("propensity")?.into_owned();
        let n = table.n_rows();
        let target = match probs {
            Some(p) => {
                if p.nrows() != n || p.ncols() != arms.len() {
                    anyhow::bail!(
                        "{SOURCE}: policy probabilities are {} × {}, expected {n} × {} (rows of the log × arms {})",
                        p.nrows(),
                        p.ncols(),
                        arms.len(),
                        arms.labels().join(", ")
                    );
                }
                TargetPolicy::probs(p)
            }
            None => TargetPolicy::arms(arms.indices(&table, "policy", SOURCE)?),
        };
        let mut input = OpeInput::new(rewards, actions, LoggingPropensity::logged(propensity), target)
            .with_n_arms(arms.len());
        if let Some((q, k)) = q {
            if q.nrows() != n || k != arms.len() {
                anyhow::bail!(
                    "{SOURCE}: q_hat is {} × {k}, expected {n} × {} (arms {})",
                    q.nrows(),
                    arms.len(),
                    arms.labels().join(", ")
                );
            }
            input = input.with_q_hat(q);
        }
        let estimators = match &estimators {
            Some(s) => Estimator::parse_list(s)?,
            None if input.q_hat.is_some() => Estimator::ALL.to_vec(),
            None => vec![Estimator::Ipw, Estimator::Snipw],
        };
        let mut params =
            OpeParams::default().estimators(&estimators).bootstrap(bootstrap).alpha(alpha).seed(seed);
        if let Some(c) = clip {
            params = params.clip(c);
        }
        // as `tp ope`: a λ not given is chosen by SLOPE over tp_ope::SLOPE_GRID
        if let Some(l) = switch_lambda {
            params = params.switch_lambda(l);
        }
        if let Some(l) = dros_lambda {
            params = params.dros_lambda(l);
        }
        let report = tp_ope::evaluate(&input, &params)?;
        let mut baselines = vec![Baseline::treat_none(n)];
        for a in 1..arms.len() {
            let mut b = Baseline::treat_all(a, n);
            if arms.len() > 2 {
                b.name = format!("treat-all-{}", arms.labels()[a]);
            }
            baselines.push(b);
        }
        if table.position("current").is_some() {
            baselines.push(Baseline::named(
                "current",
                TargetPolicy::arms(arms.indices(&table, "current", SOURCE)?),
            ));
        }
        let mut comparisons = Vec::new();
        let mut skipped = Vec::new();
        for b in &baselines {
            match tp_ope::compare(&input, &params, std::slice::from_ref(b)) {
                Ok(c) => comparisons.extend(c),
                Err(e) => skipped.push(format!("comparison with {} skipped: {e}", b.name)),
            }
        }
        let mut summary = serde_json::to_value(&report)?;
        if let serde_json::Value::Object(m) = &mut summary {
            m.insert("arms".into(), serde_json::to_value(arms.labels())?);
            m.insert("comparisons".into(), serde_json::to_value(&comparisons)?);
            m.insert("skipped".into(), serde_json::to_value(&skipped)?);
        }
        Ok(serde_json::to_string(&summary)?)
    })
}

/// `tp design`: the A/B sample size for `mde` (or the MDE for `n` treated rows) with a
/// continuous outcome of standard deviation `sd` or a binary one of rate `base_rate`.
#[pyfunction]
#[pyo3(signature = (sd, base_rate, mde, n, power, alpha, ratio))]
#[allow(clippy::too_many_arguments)]
fn design(
    py: Python<'_>,
    sd: Option<f64>,
    base_rate: Option<f64>,
    mde: Option<f64>,
    n: Option<u64>,
    power: f64,
    alpha: f64,
    ratio: f64,
) -> PyResult<String> {
    let outcome = match (sd, base_rate) {
        (Some(sd), None) => tp_ope::Outcome::Continuous { sd },
        (None, Some(base_rate)) => tp_ope::Outcome::Binary { base_rate },
        _ => {
            return Err(PyValueError::new_err(
                "give exactly one of sd (continuous outcome) or base_rate (binary outcome)",
            ));
        }
    };
    run_detached(py, move || {
        let params = tp_ope::DesignParams::new(outcome).alpha(alpha).power(power).ratio(ratio);
        match (mde, n) {
            (Some(mde), None) => Ok(serde_json::to_string(&tp_ope::ab_design(mde, &params)?)?),
            (None, Some(n)) => {
                let mde = tp_ope::minimum_detectable_effect(n, &params)?;
                Ok(serde_json::to_string(&serde_json::json!({
                    "n_treated": n, "mde": mde, "alpha": alpha, "power": power, "ratio": ratio
                }))?)
            }
            _ => anyhow::bail!("give exactly one of mde (to get a sample size) or n (to get the MDE)"),
        }
    })
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ope_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(design, m)?)
}
