//! `tp.profiles`: customer profiles as `tp profile` builds them.
//!
//! The same steps as the CLI's `tp profile` (crates/tp-cli/src/cmd/profile.rs): the catalog's spec
//! inferred and compiled, the events pushed into a [`StateBuilder`] in chunks of `chunk_rows`
//! rows (the CLI reads its file in chunks of `--chunk-rows`; without a fixed `as_of` a later chunk
//! rescales the sums to its later day, so the chunking is part of the result), the state
//! finished. The same table, parameters and chunk size give the same bits as the CLI's output.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use tp_profile::{Catalog, CatalogSpec, ProfileParams, StateBuilder, Weight};

use crate::spark::columns;
use crate::{named_table, run_detached};

/// Profiles of `events` against `catalog` (both `(name, column)` lists) with `tp profile`'s
/// parameters; returns the profile table as `(name, column)` pairs.
#[pyfunction]
#[pyo3(signature = (events, catalog, half_life_days, as_of, shrinkage, weight, chunk_rows))]
#[allow(clippy::too_many_arguments)]
fn profiles<'py>(
    py: Python<'py>,
    events: &Bound<'py, PyList>,
    catalog: &Bound<'py, PyList>,
    half_life_days: f64,
    as_of: Option<f64>,
    shrinkage: f64,
    weight: &str,
    chunk_rows: usize,
) -> PyResult<Bound<'py, PyList>> {
    let weight = match weight {
        "spend" => Weight::Spend,
        "count" => Weight::Count,
        other => {
            return Err(PyValueError::new_err(format!(
                "weight='{other}': expected 'spend' or 'count' (the CLI's --weight)"
            )));
        }
    };
    if chunk_rows == 0 {
        return Err(PyValueError::new_err("chunk_rows=0: expected at least 1 event row per chunk"));
    }
    let events = named_table(events, "events")?;
    let catalog = named_table(catalog, "catalog")?;
    let out = run_detached(py, move || {
        use anyhow::Context;
        if events.n_rows() == 0 {
            anyhow::bail!("events: the table has no rows: nothing to profile");
        }
        let spec = CatalogSpec::infer(&catalog).context("catalog")?;
        let catalog = Catalog::new(&catalog, &spec).context("catalog")?;
        let mut params = ProfileParams::default()
            .half_life_days(half_life_days)
            .shrinkage_strength(shrinkage)
            .weight(weight);
        if let Some(d) = as_of {
            params = params.as_of(d);
        }
        let mut builder = StateBuilder::new(&catalog, &params).context("events")?;
        let n = events.n_rows();
        if n <= chunk_rows {
            builder.push(&events).context("events")?;
        } else {
            for start in (0..n).step_by(chunk_rows) {
                let chunk = events.slice_rows(start, n.min(start + chunk_rows));
                builder.push(&chunk).context("events")?;
            }
        }
        let state = builder.finish();
        let profiles = state.finish(&catalog)?;
        Ok(profiles.table().clone())
    })?;
    columns(py, &out)
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(profiles, m)?)
}
