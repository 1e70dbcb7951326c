//! Fitting and predicting the meta-learners; see the module docs of
//! [`crate::meta`].

use crate::learner::{ClassifierSpec, FittedClf, FittedReg, RegressorSpec, take_rows};
use crate::nuisance::Nuisances;
use crate::{Result, UpliftError};
use faer::{Mat, MatRef};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tp_core::CausalData;
use tp_core::rng::{derive_seed, derive_seed_str, stream};

/// The meta-learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Single model with the arm as a feature.
    S,
    /// Two (K) models, one per arm.
    T,
    /// Künzel et al.'s X-learner.
    X,
    /// Nie & Wager's R-learner.
    R,
    /// Kennedy's DR-learner.
    Dr,
    /// The honest causal forest ([`crate::CausalForest`]); not fitted by
    /// [`fit_cate`] but wrapped into a [`CateModel`] by
    /// [`CateModel::from_causal_forest`] so it saves and scores like the others.
    #[serde(rename = "causal-forest")]
    CausalForest,
    /// The uplift random forest ([`crate::UpliftForest`]); like the causal
    /// forest, wrapped by [`CateModel::from_uplift_forest`], not fitted by [`fit_cate`].
    #[serde(rename = "uplift-forest")]
    UpliftForest,
}

impl Method {
    /// Whether the method needs cross-fitted nuisances.
    pub fn needs_nuisances(self) -> bool {
        matches!(self, Method::R | Method::Dr)
    }
}

impl std::str::FromStr for Method {
    type Err = UpliftError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "s" => Ok(Method::S),
            "t" => Ok(Method::T),
            "x" => Ok(Method::X),
            "r" => Ok(Method::R),
            "dr" => Ok(Method::Dr),
            "causal-forest" | "causal_forest" | "cf" => Ok(Method::CausalForest),
            "uplift-forest" | "uplift_forest" | "urf" => Ok(Method::UpliftForest),
            _ => Err(UpliftError::InvalidParameter {
                name: "method".into(),
                value: s.into(),
                expected: "one of s, t, x, r, dr, causal-forest, uplift-forest".into(),
            }),
        }
    }
}

/// The fitted stages of one meta-learner.
#[derive(Clone)]
pub(crate) enum Parts {
    /// One model on `[x, 1{W = 1}, …, 1{W = K−1}]`.
    S(FittedReg),
    /// One outcome model per arm (K).
    T(Vec<FittedReg>),
    /// Per treated arm: effect model on treated rows, on control rows, and
    /// the pair propensity model.
    X(Vec<(FittedReg, FittedReg, FittedClf)>),
    /// Per treated arm: the effect model (R and DR).
    Effect(Vec<FittedReg>),
    /// A causal forest: all treated arms from one forest.
    Forest(Box<crate::CausalForestModel>),
    /// An uplift random forest: all treated arms from one forest.
    UpliftForest(Box<crate::UpliftForestModel>),
}

/// A fitted CATE model: predicts τ̂_a(x) for every treated arm `a`.
#[derive(Clone)]
pub struct CateModel {
    pub(crate) method: Method,
    pub(crate) feature_names: Vec<String>,
    pub(crate) arm_labels: Vec<String>,
    pub(crate) params: serde_json::Value,
    pub(crate) seed: u64,
    pub(crate) parts: Parts,
    pub(crate) replicates: Vec<Parts>,
}

impl std::fmt::Debug for CateModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CateModel")
            .field("method", &self.method)
            .field("features", &self.feature_names)
            .field("arms", &self.arm_labels)
            .field("params", &self.params)
            .field("replicates", &self.replicates.len())
            .finish()
    }
}

/// The learners a meta-learner uses.
pub(crate) struct Learners<'a> {
    pub outcome: &'a RegressorSpec,
    pub effect: &'a RegressorSpec,
    pub propensity: &'a ClassifierSpec,
}

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
    let forest = match method {
        Method::CausalForest => {
            Some(("causal-forest", "causal forests with CausalForest", "from_causal_forest"))
        }
        Method::UpliftForest => {
            Some(("uplift-forest", "uplift forests with UpliftForest", "from_uplift_forest"))
        }
        _ => None,
    };
    if let Some((value, fit, wrap)) = forest {
        return Err(UpliftError::InvalidParameter {
            name: "method".into(),
            value: value.into(),
            expected: format!(
                "a meta-learner (s, t, x, r, dr); fit {fit}::params() and wrap them with CateModel::{wrap}"
            ),
        });
    }
    let nuis = match (method.needs_nuisances(), nuisances) {
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
    let all: Vec<usize> = (0..data.n()).collect();
    let parts = fit_parts(method, data, &all, nuis.as_ref(), &learners, derive_seed_str(seed, "cate"))?;
    let replicates: Vec<Parts> = (0..n_boot)
        .into_par_iter()
        .map(|b| {
            let rows =
                resample_by_arm(data.arms(), data.n_arms(), derive_seed_str(seed, "bootstrap"), b as u64);
            fit_parts(method, data, &rows, nuis.as_ref(), &learners, derive_seed(seed, b as u64 + 1))
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

fn pick(v: &[f64], rows: &[usize]) -> Vec<f64> {
    rows.iter().map(|&i| v[i]).collect()
}

/// Fits the stages on the rows `rows` of `data` (possibly repeated).
fn fit_parts(
    method: Method,
    data: &CausalData,
    rows: &[usize],
    nuis: Option<&(Mat<f64>, Mat<f64>)>,
    l: &Learners<'_>,
    seed: u64,
) -> Result<Parts> {
    let k = data.n_arms();
    let x = data.covariates();
    let y = data.outcome();
    let arms = data.arms();
    let weights = data.weights();
    let rows_of = |a: usize| -> Vec<usize> { rows.iter().copied().filter(|&i| arms[i] == a).collect() };
    let w_of = |r: &[usize]| weights.map(|w| pick(w, r));
    let fit_reg = |spec: &RegressorSpec, r: &[usize], target: &[f64], extra_w: Option<Vec<f64>>, s: u64| {
        let w = match (w_of(r), extra_w) {
            (Some(a), Some(b)) => Some(a.iter().zip(&b).map(|(u, v)| u * v).collect::<Vec<_>>()),
            (a, b) => a.or(b),
        };
        spec.fit(take_rows(x, r).as_ref(), target, w.as_deref(), s)
    };
    match method {
        Method::S => {
            let xa = augment(take_rows(x, rows).as_ref(), &pick_usize(arms, rows), k, None);
            let w = w_of(rows);
            Ok(Parts::S(l.outcome.fit(xa.as_ref(), &pick(y, rows), w.as_deref(), seed)?))
        }
        Method::T => {
            let mu = (0..k)
                .into_par_iter()
                .map(|a| {
                    let r = rows_of(a);
                    fit_reg(l.outcome, &r, &pick(y, &r), None, derive_seed(seed, a as u64))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Parts::T(mu))
        }
        Method::X => {
            let control = rows_of(0);
            let mu0 = fit_reg(l.outcome, &control, &pick(y, &control), None, derive_seed(seed, 0))?;
            let xc = take_rows(x, &control);
            let per_arm = (1..k)
                .into_par_iter()
                .map(|a| {
                    let s = derive_seed(seed, 100 + a as u64);
                    let treated = rows_of(a);
                    // the treated rows' copy lives only while mu0 predicts on it (each later fit
                    // copies its own rows): one copy of the covariates fewer at the peak
                    let d1: Vec<f64> = mu0
                        .predict(take_rows(x, &treated).as_ref())?
                        .iter()
                        .zip(&treated)
                        .map(|(m, &i)| y[i] - m)
                        .collect();
                    let mua = fit_reg(l.outcome, &treated, &pick(y, &treated), None, derive_seed(s, 1))?;
                    let d0: Vec<f64> =
                        mua.predict(xc.as_ref())?.iter().zip(&control).map(|(m, &i)| m - y[i]).collect();
                    let tau1 = fit_reg(l.effect, &treated, &d1, None, derive_seed(s, 2))?;
                    let tau0 = fit_reg(l.effect, &control, &d0, None, derive_seed(s, 3))?;
                    let mut both: Vec<usize> = treated.iter().chain(&control).copied().collect();
                    both.sort_unstable();
                    let d: Vec<f64> = both.iter().map(|&i| f64::from(u8::from(arms[i] == a))).collect();
                    let g = l.propensity.fit(take_rows(x, &both).as_ref(), &d, derive_seed(s, 4))?;
                    Ok((tau1, tau0, g))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Parts::X(per_arm))
        }
        Method::R | Method::Dr => {
            let (e, mu) = nuis.expect("checked by fit_cate");
            let per_arm = (1..k)
                .into_par_iter()
                .map(|a| {
                    let s = derive_seed(seed, 200 + a as u64);
                    if method == Method::Dr {
                        let target: Vec<f64> = rows
                            .iter()
                            .map(|&i| {
                                let g = |b: usize| {
                                    let m = mu[(i, b)];
                                    if arms[i] == b { m + (y[i] - m) / e[(i, b)] } else { m }
                                };
                                g(a) - g(0)
                            })
                            .collect();
                        fit_reg(l.effect, rows, &target, None, s)
                    } else {
                        let r: Vec<usize> =
                            rows.iter().copied().filter(|&i| arms[i] == a || arms[i] == 0).collect();
                        let mut target = Vec::with_capacity(r.len());
                        let mut wt = Vec::with_capacity(r.len());
                        for &i in &r {
                            let pi = e[(i, a)] / (e[(i, a)] + e[(i, 0)]);
                            let m = pi * mu[(i, a)] + (1.0 - pi) * mu[(i, 0)];
                            let wres = f64::from(u8::from(arms[i] == a)) - pi;
                            target.push((y[i] - m) / wres);
                            wt.push(wres * wres);
                        }
                        fit_reg(l.effect, &r, &target, Some(wt), s)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Parts::Effect(per_arm))
        }
        Method::CausalForest | Method::UpliftForest => unreachable!("refused at the top of fit_cate"),
    }
}

fn pick_usize(v: &[usize], rows: &[usize]) -> Vec<usize> {
    rows.iter().map(|&i| v[i]).collect()
}

/// `[x, 1{arm = 1}, …, 1{arm = K−1}]`; with `fixed = Some(a)` every row
/// gets arm `a`.
fn augment(x: MatRef<'_, f64>, arms: &[usize], k: usize, fixed: Option<usize>) -> Mat<f64> {
    let p = x.ncols();
    Mat::from_fn(x.nrows(), p + k - 1, |i, j| {
        if j < p {
            x[(i, j)]
        } else {
            let arm = fixed.unwrap_or_else(|| arms[i]);
            f64::from(u8::from(arm == j - p + 1))
        }
    })
}

impl Parts {
    /// τ̂ for every row of `x` (`n × (K − 1)`).
    pub(crate) fn predict(&self, x: MatRef<'_, f64>, k: usize) -> Result<Mat<f64>> {
        let n = x.nrows();
        let mut tau = Mat::<f64>::zeros(n, k - 1);
        match self {
            Parts::S(m) => {
                let base = m.predict(augment(x, &[], k, Some(0)).as_ref())?;
                for a in 1..k {
                    let pa = m.predict(augment(x, &[], k, Some(a)).as_ref())?;
                    for i in 0..n {
                        tau[(i, a - 1)] = pa[i] - base[i];
                    }
                }
            }
            Parts::T(mu) => {
                let base = mu[0].predict(x)?;
                for a in 1..k {
                    let pa = mu[a].predict(x)?;
                    for i in 0..n {
                        tau[(i, a - 1)] = pa[i] - base[i];
                    }
                }
            }
            Parts::X(per_arm) => {
                for (a, (tau1, tau0, g)) in per_arm.iter().enumerate() {
                    let (t1, t0, gg) = (tau1.predict(x)?, tau0.predict(x)?, g.predict_proba(x)?);
                    for i in 0..n {
                        tau[(i, a)] = gg[i] * t0[i] + (1.0 - gg[i]) * t1[i];
                    }
                }
            }
            Parts::Effect(per_arm) => {
                for (a, m) in per_arm.iter().enumerate() {
                    for (i, v) in m.predict(x)?.into_iter().enumerate() {
                        tau[(i, a)] = v;
                    }
                }
            }
            Parts::Forest(forest) => return forest.predict_tau_arms(x),
            Parts::UpliftForest(forest) => return forest.predict(x),
        }
        Ok(tau)
    }
}

impl CateModel {
    /// Wraps a fitted causal forest so it saves, loads and scores like a
    /// meta-learner. `feature_names` are the forest's covariates in training
    /// order, `arm_labels` its arms (control first); `params` and `seed` are
    /// recorded in the model file as given.
    pub fn from_causal_forest(
        forest: crate::CausalForestModel,
        feature_names: Vec<String>,
        arm_labels: Vec<String>,
        params: serde_json::Value,
        seed: u64,
    ) -> Result<CateModel> {
        if feature_names.len() != forest.n_features() || arm_labels.len() != forest.n_treated() + 1 {
            return Err(UpliftError::Shape {
                what: "causal forest names".into(),
                expected: format!(
                    "{} feature names and {} arm labels",
                    forest.n_features(),
                    forest.n_treated() + 1
                ),
                got: format!("{} feature names and {} arm labels", feature_names.len(), arm_labels.len()),
            });
        }
        Ok(CateModel {
            method: Method::CausalForest,
            feature_names,
            arm_labels,
            params,
            seed,
            parts: Parts::Forest(Box::new(forest)),
            replicates: Vec::new(),
        })
    }

    /// Wraps a fitted uplift random forest so it saves, loads and scores
    /// like a meta-learner (τ̂ = the forest's uplift p̂ₖ − p̂₀; standard
    /// errors when it was grown in little bags). Arguments as in
    /// [`Self::from_causal_forest`].
    pub fn from_uplift_forest(
        forest: crate::UpliftForestModel,
        feature_names: Vec<String>,
        arm_labels: Vec<String>,
        params: serde_json::Value,
        seed: u64,
    ) -> Result<CateModel> {
        if feature_names.len() != forest.n_features() || arm_labels.len() != forest.n_arms() {
            return Err(UpliftError::Shape {
                what: "uplift forest names".into(),
                expected: format!("{} feature names and {} arm labels", forest.n_features(), forest.n_arms()),
                got: format!("{} feature names and {} arm labels", feature_names.len(), arm_labels.len()),
            });
        }
        Ok(CateModel {
            method: Method::UpliftForest,
            feature_names,
            arm_labels,
            params,
            seed,
            parts: Parts::UpliftForest(Box::new(forest)),
            replicates: Vec::new(),
        })
    }

    /// The meta-learner.
    pub fn method(&self) -> Method {
        self.method
    }
    /// Feature names, in the order `predict` expects its columns.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
    /// Arm labels (index 0 = control).
    pub fn arm_labels(&self) -> &[String] {
        &self.arm_labels
    }
    /// The parameters recorded at fit time.
    pub fn params(&self) -> &serde_json::Value {
        &self.params
    }
    /// The seed used at fit time.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Number of bootstrap replicates kept.
    pub fn n_replicates(&self) -> usize {
        self.replicates.len()
    }

    fn check_x(&self, x: MatRef<'_, f64>) -> Result<()> {
        if x.ncols() != self.feature_names.len() {
            return Err(UpliftError::Shape {
                what: "x".into(),
                expected: format!("{} columns ({})", self.feature_names.len(), self.feature_names.join(", ")),
                got: format!("{} columns", x.ncols()),
            });
        }
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                if !x[(i, j)].is_finite() {
                    return Err(UpliftError::NonFinite {
                        what: self.feature_names[j].clone(),
                        row: i,
                        value: x[(i, j)],
                    });
                }
            }
        }
        Ok(())
    }

    /// τ̂_a(x) for each row of `x` (columns in [`Self::feature_names`]
    /// order) and treated arm: an `n × (K − 1)` matrix, column `a − 1` for arm `a`.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        self.check_x(x)?;
        self.parts.predict(x, self.arm_labels.len())
    }

    /// Like [`Self::predict`], after checking that `names` are the
    /// model's features in the model's order.
    pub fn predict_named(&self, names: &[String], x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if names != self.feature_names.as_slice() {
            return Err(UpliftError::FeatureMismatch {
                expected: self.feature_names.join(", "),
                got: names.join(", "),
            });
        }
        self.predict(x)
    }

    /// [`Self::predict`] and [`Self::predict_se`] together, the same bits as the two calls: for a
    /// causal forest from one pass over the trees (the forest computes τ̂ on the way to its
    /// variance), for the other models the two calls.
    pub fn predict_with_se(&self, x: MatRef<'_, f64>) -> Result<(Mat<f64>, Option<Mat<f64>>)> {
        if let Parts::Forest(forest) = &self.parts {
            self.check_x(x)?;
            let e = forest.predict_arms(x)?;
            return Ok((e.tau, Some(e.se)));
        }
        Ok((self.predict(x)?, self.predict_se(x)?))
    }

    /// Bootstrap standard error of τ̂ per row and arm (sd over the
    /// replicates); `None` when the model has fewer than two replicates.
    /// For a causal forest, the forest's own (little-bags) standard error;
    /// for an uplift forest too, when it was grown in little bags.
    pub fn predict_se(&self, x: MatRef<'_, f64>) -> Result<Option<Mat<f64>>> {
        self.check_x(x)?;
        if let Parts::Forest(forest) = &self.parts {
            return Ok(Some(forest.predict_arms(x)?.se));
        }
        if let Parts::UpliftForest(forest) = &self.parts {
            // the level does not enter the standard errors
            return Ok((forest.ci_group_size() >= 2)
                .then(|| forest.predict_interval(x, 0.9))
                .transpose()?
                .map(|p| p.se));
        }
        let b = self.replicates.len();
        if b < 2 {
            return Ok(None);
        }
        let k = self.arm_labels.len();
        let preds = self.replicates.par_iter().map(|p| p.predict(x, k)).collect::<Result<Vec<_>>>()?;
        let (n, m) = (x.nrows(), k - 1);
        Ok(Some(Mat::from_fn(n, m, |i, a| {
            let v: Vec<f64> = preds.iter().map(|p| p[(i, a)]).collect();
            tp_core::stats::variance(&v).sqrt()
        })))
    }
}
