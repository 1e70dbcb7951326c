//! `tp.run`: the whole pipeline from a config file, as `tp run CONFIG --out DIR`.

use std::path::Path;

use pyo3::prelude::*;
use tp_pipeline::progress::Log;
use tp_pipeline::{self as pipeline, Config, Inputs, Progress as _};

use crate::run_detached;

/// Runs the pipeline of the TOML config at `config_path` into the folder `out` (artifacts,
/// `summary.json`, `report.html`) and returns the summary as JSON text. Progress lines go to
/// stderr when `verbose`.
#[pyfunction]
#[pyo3(signature = (config_path, out, verbose))]
fn run_config(py: Python<'_>, config_path: String, out: String, verbose: bool) -> PyResult<String> {
    run_detached(py, move || {
        let path = Path::new(&config_path);
        let out = Path::new(&out);
        let config = Config::load(path)?;
        pipeline::steps::validate(&config)?;
        pipeline::check_files(&config)?;
        let mut progress = Log::new(!verbose);
        progress.step("reading the input files");
        let inputs = Inputs::read(&config)?;
        let outcome = pipeline::run(&config, &inputs, out, &mut progress)?;
        progress.step("writing summary.json and report.html");
        let context = format!(
            "{} campaign customers from {}; config {}",
            outcome.n,
            inputs.campaign.name,
            path.display()
        );
        let summary = pipeline::write_outputs(&outcome, &config, out, vec![], "Targeting report", &context)?;
        progress.done();
        Ok(serde_json::to_string(&summary)?)
    })
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_config, m)?)
}
