//! Policy trees (`tp policy --tree-depth`): the depth-limited tree that maximizes the summed reward
//! of the arm it assigns (Athey & Wager; exact search up to depth 2, greedy deeper).

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use tp_core::faer::Mat;
use tp_policy::{PolicyTree, PolicyTreeParams};

use crate::run_detached;

fn mat(a: &PyReadonlyArray2<'_, f64>) -> Mat<f64> {
    let v = a.as_array();
    Mat::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)])
}

/// A fitted policy tree.
#[pyclass(module = "tp._native", frozen)]
pub struct Tree {
    inner: PolicyTree,
}

#[pymethods]
impl Tree {
    /// Loads a tree from `to_json`'s text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: String) -> PyResult<Tree> {
        let inner = run_detached(py, || {
            serde_json::from_str::<PolicyTree>(&text)
                .map_err(|e| anyhow::anyhow!("not a saved policy tree: {e}"))
        })?;
        Ok(Tree { inner })
    }
    /// The tree as JSON text (nodes, names, parameters, diagnostics).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }
    /// Arm index (0 = first reward column) for every row of `x`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let m = mat(&x);
        let arms = run_detached(py, || Ok(self.inner.predict(m.as_ref())?))?;
        Ok(arms.into_iter().map(|a| a as i64).collect::<Vec<i64>>().into_pyarray(py))
    }
}

/// Fits a policy tree of `depth` on covariates `x` (`n × p`) and rewards (`n × K`, one column per
/// arm, e.g. doubly robust scores net of costs).
#[pyfunction]
#[pyo3(signature = (x, rewards, feature_names, arm_labels, depth, min_node_size, max_bins))]
#[allow(clippy::too_many_arguments)]
fn policy_tree_fit(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    rewards: PyReadonlyArray2<'_, f64>,
    feature_names: Vec<String>,
    arm_labels: Vec<String>,
    depth: usize,
    min_node_size: usize,
    max_bins: usize,
) -> PyResult<Tree> {
    let (x, r) = (mat(&x), mat(&rewards));
    let inner = run_detached(py, move || {
        let tree = PolicyTreeParams::new(depth)
            .min_node_size(min_node_size)
            .max_bins(max_bins)
            .fit(x.as_ref(), r.as_ref())?;
        Ok(tree.with_names(feature_names, arm_labels)?)
    })?;
    Ok(Tree { inner })
}

/// Adds this module's functions to `tp._native`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Tree>()?;
    m.add_function(wrap_pyfunction!(policy_tree_fit, m)?)
}
