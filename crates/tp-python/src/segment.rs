//! K-Means and NMF (tp-segment) on a float64 matrix: the code behind `tp segment`.
//!
//! The Python half validates the input the way scikit-learn does and hands over a C-contiguous
//! float64 array, which is read in place (tp-segment's K-Means and NMF read row-major input
//! without copying). A fitted model is kept on the Python side as its arrays (centers, or
//! components and parameters), so pickling needs no model file: `kmeans_predict` and
//! `nmf_transform` take them back.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tp_core::faer::{Mat, MatRef};
use tp_segment::{Algorithm, Init, KMeans, Loss, Nmf, NmfParams, Solver};

use crate::{matrix, run_detached};

/// A row-major view of a C-contiguous 2-D array (the Python half makes it so).
fn view<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<MatRef<'a, f64>> {
    let (n, d) = (a.shape()[0], a.shape()[1]);
    let slice =
        a.as_slice().map_err(|_| PyValueError::new_err("internal: expected a C-contiguous float64 array"))?;
    Ok(MatRef::from_row_major_slice(slice, n, d))
}

fn labels<'py>(py: Python<'py>, l: &[usize]) -> Bound<'py, PyArray1<i64>> {
    l.iter().map(|&c| c as i64).collect::<Vec<i64>>().into_pyarray(py)
}

fn algorithm(name: &str, batch_size: usize) -> PyResult<Algorithm> {
    Ok(match name {
        "hamerly" => Algorithm::Hamerly,
        "lloyd" => Algorithm::Lloyd,
        "minibatch" => Algorithm::MiniBatch { batch_size },
        other => {
            return Err(PyValueError::new_err(format!(
                "algorithm='{other}': expected 'hamerly', 'lloyd' or 'minibatch'"
            )));
        }
    })
}

/// Fits K-Means: returns a dict with `centers` (k × d), `labels` (int64), `inertia`, `n_iter`
/// and `converged`.
#[pyfunction]
#[pyo3(signature = (x, k, n_init, max_iter, tol, seed, algorithm_name, batch_size, sample_weight))]
#[allow(clippy::too_many_arguments)]
fn kmeans_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    k: usize,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    algorithm_name: &str,
    batch_size: usize,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let params = KMeans::params(k)
        .n_init(n_init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(seed)
        .algorithm(algorithm(algorithm_name, batch_size)?);
    let xv = view(&x)?;
    let w = sample_weight.as_ref().map(|w| w.as_slice()).transpose()?;
    let fit = run_detached(py, || Ok(params.fit_weighted(xv, w)?))?;
    let dict = PyDict::new(py);
    dict.set_item("centers", matrix(py, &fit.centers().to_owned()))?;
    dict.set_item("labels", labels(py, fit.labels()))?;
    dict.set_item("inertia", fit.inertia())?;
    dict.set_item("n_iter", fit.diagnostics().n_iter)?;
    dict.set_item("converged", fit.diagnostics().converged)?;
    Ok(dict)
}

/// The nearest of `centers` for every row of `x` (int64).
#[pyfunction]
fn kmeans_predict<'py>(
    py: Python<'py>,
    centers: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (c, xv) = (view(&centers)?, view(&x)?);
    let l = run_detached(py, || Ok(tp_segment::nearest_centers(c, xv)?))?;
    Ok(labels(py, &l))
}

/// scikit-learn's NMF penalties: `alpha_W`, `alpha_H` and `l1_ratio`.
type Penalties = (f64, f64, f64);

/// NMF's parameters from the Python names (scikit-learn's spellings), for data of `shape`
/// (rows, columns). The penalties are scaled as scikit-learn (≥ 1.2) scales them: W's by the
/// number of features, H's by the number of samples, so the objective is
/// ½‖X − WH‖²_F + α_W·m·(ρ‖W‖₁ + ½(1 − ρ)‖W‖²_F) + α_H·n·(ρ‖H‖₁ + ½(1 − ρ)‖H‖²_F).
#[allow(clippy::too_many_arguments)]
fn nmf_params(
    k: usize,
    beta_loss: &str,
    solver: &str,
    init: &str,
    max_iter: usize,
    tol: f64,
    seed: u64,
    (alpha_w, alpha_h, l1_ratio): Penalties,
    (n, m): (usize, usize),
) -> PyResult<NmfParams> {
    for (name, v) in [("alpha_W", alpha_w), ("alpha_H", alpha_h)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(PyValueError::new_err(format!(
                "{name}={v}: expected a finite penalty >= 0 (0 = no penalty)"
            )));
        }
    }
    if !(0.0..=1.0).contains(&l1_ratio) {
        return Err(PyValueError::new_err(format!(
            "l1_ratio={l1_ratio}: expected a value in [0, 1] (0 = L2 only, 1 = L1 only)"
        )));
    }
    let (w_scale, h_scale) = (m as f64 * alpha_w, n as f64 * alpha_h);
    let loss = match beta_loss {
        "frobenius" => Loss::Frobenius,
        "kullback-leibler" => Loss::KullbackLeibler,
        other => {
            return Err(PyValueError::new_err(format!(
                "beta_loss='{other}': expected 'frobenius' or 'kullback-leibler'"
            )));
        }
    };
    let solver = match solver {
        "cd" => Solver::Cd,
        "mu" => Solver::Mu,
        other => return Err(PyValueError::new_err(format!("solver='{other}': expected 'cd' or 'mu'"))),
    };
    let init = match init {
        "random" => Init::Random,
        "nndsvd" => Init::Nndsvd,
        "nndsvda" => Init::NndsvdA,
        "nndsvdar" => Init::NndsvdAr,
        other => {
            return Err(PyValueError::new_err(format!(
                "init='{other}': expected 'random', 'nndsvd', 'nndsvda' or 'nndsvdar'"
            )));
        }
    };
    Ok(Nmf::params(k)
        .loss(loss)
        .solver(solver)
        .init(init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(seed)
        .penalty_w(w_scale * l1_ratio, w_scale * (1.0 - l1_ratio))
        .penalty_h(h_scale * l1_ratio, h_scale * (1.0 - l1_ratio)))
}

/// Fits NMF: returns a dict with `w` (n × k), `h` (k × m), `reconstruction_err`, `n_iter`,
/// `converged` and `explained_variance`.
#[pyfunction]
#[pyo3(signature = (x, k, beta_loss, solver, init, max_iter, tol, seed, penalties))]
#[allow(clippy::too_many_arguments)]
fn nmf_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    k: usize,
    beta_loss: &str,
    solver: &str,
    init: &str,
    max_iter: usize,
    tol: f64,
    seed: u64,
    penalties: Penalties,
) -> PyResult<Bound<'py, PyDict>> {
    let xv = view(&x)?;
    let shape = (xv.nrows(), xv.ncols());
    let params = nmf_params(k, beta_loss, solver, init, max_iter, tol, seed, penalties, shape)?;
    let fit = run_detached(py, || Ok(params.fit(xv)?))?;
    let d = fit.diagnostics().clone();
    let (w, h) = fit.into_factors();
    let dict = PyDict::new(py);
    dict.set_item("w", matrix(py, &w))?;
    dict.set_item("h", matrix(py, &h))?;
    dict.set_item("reconstruction_err", d.objective)?;
    dict.set_item("n_iter", d.n_iter)?;
    dict.set_item("converged", d.converged)?;
    dict.set_item("explained_variance", d.explained_variance)?;
    Ok(dict)
}

/// W for the rows of `x` with the components `h` fixed, under the fit's parameters.
#[pyfunction]
#[pyo3(signature = (h, x, beta_loss, solver, init, max_iter, tol, seed, penalties))]
#[allow(clippy::too_many_arguments)]
fn nmf_transform<'py>(
    py: Python<'py>,
    h: PyReadonlyArray2<'py, f64>,
    x: PyReadonlyArray2<'py, f64>,
    beta_loss: &str,
    solver: &str,
    init: &str,
    max_iter: usize,
    tol: f64,
    seed: u64,
    penalties: Penalties,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    let (hv, xv) = (view(&h)?, view(&x)?);
    let shape = (xv.nrows(), xv.ncols());
    let params = nmf_params(hv.nrows(), beta_loss, solver, init, max_iter, tol, seed, penalties, shape)?;
    let w: Mat<f64> = run_detached(py, || Ok(params.transform_with(hv, xv)?))?;
    Ok(matrix(py, &w))
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kmeans_fit, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_predict, m)?)?;
    m.add_function(wrap_pyfunction!(nmf_fit, m)?)?;
    m.add_function(wrap_pyfunction!(nmf_transform, m)?)
}
