//! Fitting a meta-learner: the registered learner's stages on all rows and
//! on each bootstrap replicate; see the module docs of [`crate::meta`].

use super::Method;
use super::cate_model::CateModel;
use super::learner::{FitContext, Learners};
use super::parts::Parts;
use crate::learner::{ClassifierSpec, RegressorSpec};
use crate::nuisance::Nuisances;
use crate::{Result, UpliftError};
use rand::Rng;
use rayon::prelude::*;
use tp_core::CausalData;
use tp_core::rng::{derive_seed, derive_seed_str, stream};

/// Fits a meta-learner on `data` with `n_boot` bootstrap replicates (0 for
/// none). `nuisances` (cross-fitted on the same rows) is required for R and
/// DR and ignored otherwise. `params` is recorded in the model as given.
#[allow(clippy::too_many_arguments)]
pub fn fit_cate(
    method: Method,
    data: &CausalData,
    nuisances: Option<&Nuisances>,
    outcome: &RegressorSpec,
    effect: &RegressorSpec,
    propensity: &ClassifierSpec,
    n_boot: usize,
    seed: u64,
    params: serde_json::Value,
) -> Result<CateModel> {
    let Some(learner) = method.learner() else {
        let (fit, wrap) = match method {
            Method::UpliftForest => ("uplift forests with UpliftForest", "from_uplift_forest"),
            _ => ("causal forests with CausalForest", "from_causal_forest"),
        };
        let meta: Vec<&str> =
            Method::ALL.iter().filter(|m| m.learner().is_some()).map(|m| m.name()).collect();
        return Err(UpliftError::InvalidParameter {
            name: "method".into(),
            value: method.name().into(),
            expected: format!(
                "a meta-learner ({}); fit {fit}::params() and wrap them with CateModel::{wrap}",
                meta.join(", ")
            ),
        });
    };
    let nuis = match (learner.needs_nuisances(), nuisances) {
        (true, None) => {
            return Err(UpliftError::InvalidParameter {
                name: "nuisances".into(),
                value: "none".into(),
                expected: format!("cross-fitted nuisances for the {method:?} learner"),
            });
        }
        (true, Some(n)) => {
            if n.propensity.nrows() != data.n() || n.propensity.ncols() != data.n_arms() {
                return Err(UpliftError::Shape {
                    what: "nuisances".into(),
                    expected: format!("{} × {}", data.n(), data.n_arms()),
                    got: format!("{} × {}", n.propensity.nrows(), n.propensity.ncols()),
                });
            }
            Some((n.propensity.clone(), n.outcome.clone()))
        }
        (false, _) => None,
    };
    let learners = Learners { outcome, effect, propensity };
    let cx = FitContext { data, nuisances: nuis.as_ref(), learners: &learners };
    let all: Vec<usize> = (0..data.n()).collect();
    let parts = learner.fit(&cx, &all, derive_seed_str(seed, "cate"))?;
    let replicates: Vec<Parts> = (0..n_boot)
        .into_par_iter()
        .map(|b| {
            let rows =
                resample_by_arm(data.arms(), data.n_arms(), derive_seed_str(seed, "bootstrap"), b as u64);
            learner.fit(&cx, &rows, derive_seed(seed, b as u64 + 1))
        })
        .collect::<Result<_>>()?;
    Ok(CateModel {
        method,
        feature_names: data.feature_names().to_vec(),
        arm_labels: data.arm_labels().to_vec(),
        params,
        seed,
        parts,
        replicates,
    })
}

/// Rows drawn with replacement within each arm (so every arm keeps its size).
fn resample_by_arm(arms: &[usize], k: usize, seed: u64, b: u64) -> Vec<usize> {
    let mut by_arm = vec![Vec::new(); k];
    for (i, &a) in arms.iter().enumerate() {
        by_arm[a].push(i);
    }
    let mut rng = stream(seed, b);
    let mut out = Vec::with_capacity(arms.len());
    for rows in &by_arm {
        for _ in 0..rows.len() {
            out.push(rows[rng.random_range(0..rows.len())]);
        }
    }
    out.sort_unstable();
    out
}
