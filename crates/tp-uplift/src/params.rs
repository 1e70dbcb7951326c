//! [`UpliftParams`] → [`UpliftFit`], the one call behind `tp uplift`: diagnostics, ATE, CATE
//! and (optionally) holdout evaluation from one [`CausalData`].

use crate::ate::{ArmEffect, average_effects};
use crate::diagnostics::{Diagnostics, DiagnosticsParams, TrimRule, Trimming, diagnose, trim};
use crate::evaluate::calibration::{Calibration, test_calibration};
use crate::evaluate::{Evaluation, EvaluationParams, evaluate_ranking};
use crate::learner::{ClassifierSpec, LearnerKind, RegressorSpec};
use crate::meta::{CateModel, Method, fit_cate};
use crate::nuisance::{Nuisances, check_folds, crossfit_nuisances};
use crate::{Result, UpliftError};
use faer::Mat;
use serde::Serialize;
use std::borrow::Cow;
use tp_core::rng::derive_seed_str;
use tp_core::{CausalData, Folds};

/// Everything `tp uplift` needs to fit; build with [`UpliftParams::new`].
#[derive(Debug, Clone)]
pub struct UpliftParams {
    /// Meta-learner. Default DR.
    pub method: Method,
    /// Outcome (and S/T-stage) learner. Default OLS.
    pub outcome_learner: RegressorSpec,
    /// Final-stage effect learner for X, R and DR; `None` = the outcome learner.
    pub effect_learner: Option<RegressorSpec>,
    /// Propensity learner. Default logistic regression.
    pub propensity_learner: ClassifierSpec,
    /// Cross-fitting folds. Default 5.
    pub folds: usize,
    /// Seed of every stochastic step.
    pub seed: u64,
    /// Share of rows held out for evaluation (fit on the rest). Default none.
    pub holdout_share: Option<f64>,
    /// Bootstrap replicates for τ̂'s SE (0 = none). Default 0.
    pub n_boot: usize,
    /// Estimated propensities are clipped to `[clip, 1 − clip]`. Default 0.01.
    pub clip: f64,
    /// Diagnostics settings.
    pub diagnostics: DiagnosticsParams,
    /// Optional overlap trimming before effects are estimated. Default none.
    pub trim: Option<TrimRule>,
}

impl UpliftParams {
    /// Defaults for `method` with linear learners.
    pub fn new(method: Method) -> Self {
        Self::with_learners(method, LearnerKind::Linear)
    }

    /// Defaults for `method` with the learners of a family (`--learner`).
    pub fn with_learners(method: Method, kind: LearnerKind) -> Self {
        Self {
            method,
            outcome_learner: kind.regressor(),
            effect_learner: None,
            propensity_learner: kind.classifier(),
            folds: 5,
            seed: 0,
            holdout_share: None,
            n_boot: 0,
            clip: 0.01,
            diagnostics: DiagnosticsParams::default(),
            trim: None,
        }
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets the number of cross-fitting folds.
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }
    /// Holds out a share of rows for evaluation.
    pub fn holdout_share(mut self, s: f64) -> Self {
        self.holdout_share = Some(s);
        self
    }
    /// Bootstrap replicates for τ̂'s standard error.
    pub fn n_boot(mut self, b: usize) -> Self {
        self.n_boot = b;
        self
    }
    /// Trims rows without overlap before estimating effects.
    pub fn trim(mut self, rule: TrimRule) -> Self {
        self.trim = Some(rule);
        self
    }

    fn record(&self) -> serde_json::Value {
        serde_json::json!({
            "method": self.method,
            "outcome_learner": self.outcome_learner.name(),
            "effect_learner": self.effect_learner.as_ref().unwrap_or(&self.outcome_learner).name(),
            "propensity_learner": self.propensity_learner.name(),
            "folds": self.folds,
            "clip": self.clip,
            "n_boot": self.n_boot,
            "holdout_share": self.holdout_share,
        })
    }

    /// Validates, then fits diagnostics, average effects and the CATE model.
    pub fn fit(&self, data: &CausalData) -> Result<UpliftFit> {
        check_folds(self.folds, self.clip)?;
        if let Some(s) = self.holdout_share
            && !(s > 0.0 && s < 1.0)
        {
            return Err(UpliftError::InvalidParameter {
                name: "holdout_share".into(),
                value: s.to_string(),
                expected: "a share in (0, 1)".into(),
            });
        }
        let (outcome, propensity) = (&self.outcome_learner, &self.propensity_learner);
        let effect = self.effect_learner.as_ref().unwrap_or(outcome);
        let full = crossfit_nuisances(data, outcome, propensity, self.folds, self.clip, self.seed)?;
        let diagnostics = diagnose(data, full.propensity.as_ref(), full.known_propensity, &self.diagnostics)?;
        let nuisances = full.clone();
        // borrowed, not cloned, when every row is used: a copy of the data is the size of the
        // covariates (1.3 GB at 14M × 12)
        let (used, nuis, trimming) = match self.trim {
            None => (Cow::Borrowed(data), full, None),
            Some(rule) => {
                let t = trim(data, full.propensity.as_ref(), rule)?;
                let sub = data.subset(&t.kept)?;
                let n = crossfit_nuisances(&sub, outcome, propensity, self.folds, self.clip, self.seed)?;
                (Cow::Owned(sub), n, Some(t))
            }
        };
        let effects = average_effects(&used, &nuis)?;
        let (train, holdout) = match self.holdout_share {
            None => ((0..used.n()).collect::<Vec<_>>(), Vec::new()),
            Some(s) => split(&used, s, self.seed)?,
        };
        let fit_data: Cow<'_, CausalData> =
            if holdout.is_empty() { Cow::Borrowed(&*used) } else { Cow::Owned(used.subset(&train)?) };
        // The model must not see the held-out outcomes, not even through the
        // nuisances behind R and DR targets: with a holdout those are
        // cross-fitted again on the training rows alone.
        let fit_nuis: Cow<'_, Nuisances> = if holdout.is_empty() {
            Cow::Borrowed(&nuis)
        } else if self.method.needs_nuisances() {
            Cow::Owned(crossfit_nuisances(&fit_data, outcome, propensity, self.folds, self.clip, self.seed)?)
        } else {
            Cow::Owned(nuis.subset(&train))
        };
        let model = fit_cate(
            self.method,
            &fit_data,
            Some(&fit_nuis),
            outcome,
            effect,
            propensity,
            self.n_boot,
            self.seed,
            self.record(),
        )?;
        let tau = model.predict(data.covariates())?;
        let tau_se = model.predict_se(data.covariates())?;
        let evaluation = if holdout.is_empty() {
            None
        } else {
            let tau_used = model.predict(used.covariates())?;
            Some(evaluate_holdout(&used, &nuis, &tau_used, &holdout, self.seed)?)
        };
        // holdout rows as indices into `data` (trimming keeps a subset)
        let holdout_rows = match &trimming {
            Some(t) => holdout.iter().map(|&i| t.kept[i]).collect(),
            None => holdout,
        };
        Ok(UpliftFit {
            method: self.method,
            arms: data.arm_labels().to_vec(),
            effects,
            tau,
            tau_se,
            nuisances,
            diagnostics,
            trimming,
            evaluation,
            holdout_rows,
            n_fit: fit_data.n(),
            model,
        })
    }
}

/// Splits rows into (train, holdout), stratified by arm.
fn split(data: &CausalData, share: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    // A fold count near 1/share; the first fold is the holdout.
    let k = ((1.0 / share).round() as usize).max(2);
    let folds = Folds::stratified(data.arms(), data.n_arms(), k, derive_seed_str(seed, "holdout"))?;
    let (mut train, mut holdout) = (folds.train(0), folds.test(0).to_vec());
    train.sort_unstable();
    holdout.sort_unstable();
    Ok((train, holdout))
}

/// Holdout metrics of one treated arm against control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldoutMetrics {
    /// Treated arm label.
    pub arm: String,
    /// Holdout rows in this arm or control.
    pub n: usize,
    /// Qini, AUUC, uplift@30 and RATE on the holdout.
    #[serde(flatten)]
    pub metrics: Evaluation,
    /// BLP calibration test on the holdout.
    pub calibration: Option<Calibration>,
}

fn evaluate_holdout(
    data: &CausalData,
    nuis: &Nuisances,
    tau: &Mat<f64>,
    holdout: &[usize],
    seed: u64,
) -> Result<Vec<HoldoutMetrics>> {
    let scores = nuis.aipw_scores(data)?;
    let arms = data.arms();
    let y = data.outcome();
    let mut out = Vec::new();
    for a in 1..data.n_arms() {
        let rows: Vec<usize> = holdout.iter().copied().filter(|&i| arms[i] == a || arms[i] == 0).collect();
        let yy: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let t: Vec<usize> = rows.iter().map(|&i| usize::from(arms[i] == a)).collect();
        let s: Vec<f64> = rows.iter().map(|&i| tau[(i, a - 1)]).collect();
        let g: Vec<f64> = rows.iter().map(|&i| scores[(i, a)] - scores[(i, 0)]).collect();
        let mut params = EvaluationParams::default();
        params.rate.seed = derive_seed_str(seed, "rate");
        let metrics = evaluate_ranking(&yy, &t, &s, Some(&g), &params)?;
        let pi = nuis.pair_propensity(a);
        let e: Vec<f64> = rows.iter().map(|&i| pi[i]).collect();
        let m: Vec<f64> = rows
            .iter()
            .map(|&i| pi[i] * nuis.outcome[(i, a)] + (1.0 - pi[i]) * nuis.outcome[(i, 0)])
            .collect();
        let w: Vec<f64> = t.iter().map(|&v| v as f64).collect();
        let calibration = test_calibration(&yy, &w, &m, &e, &s).ok();
        out.push(HoldoutMetrics { arm: data.arm_labels()[a].clone(), n: rows.len(), metrics, calibration });
    }
    Ok(out)
}

/// The result of [`UpliftParams::fit`]. Serializes to the `tp uplift
/// --json` summary (see [`UpliftFit::summary`]).
#[derive(Debug, Clone)]
pub struct UpliftFit {
    /// Meta-learner used.
    pub method: Method,
    /// Arm labels (index 0 = control).
    pub arms: Vec<String>,
    /// ATE and ATT of each treated arm against control (AIPW, cross-fitted).
    pub effects: Vec<ArmEffect>,
    /// τ̂ per input row and treated arm (`n × (K − 1)`).
    pub tau: Mat<f64>,
    /// Bootstrap SE of τ̂ (when `n_boot ≥ 2`).
    pub tau_se: Option<Mat<f64>>,
    /// Cross-fitted nuisances (ê and μ̂ per arm) of every input row, before
    /// trimming: the reward model of off-policy evaluation and, through
    /// [`UpliftFit::scores`], the AIPW scores of policy values and trees.
    pub nuisances: Nuisances,
    /// Identification diagnostics (on all rows, before trimming).
    pub diagnostics: Diagnostics,
    /// Trimming applied, if any.
    pub trimming: Option<Trimming>,
    /// Holdout metrics per treated arm, when a holdout share was set.
    pub evaluation: Option<Vec<HoldoutMetrics>>,
    /// The held-out rows (indices into the input data, ascending; empty
    /// without a holdout share). The CATE model never saw their outcomes;
    /// [`UpliftFit::evaluation`] is computed on them alone.
    pub holdout_rows: Vec<usize>,
    /// Rows the CATE model was fitted on.
    pub n_fit: usize,
    /// The fitted CATE model (save it with [`CateModel::save`]).
    pub model: CateModel,
}

/// The headline diagnostics of the JSON summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagnosticsSummary {
    /// Propensity AUC.
    pub ps_auc: f64,
    /// Share of rows with propensity in the band.
    pub overlap_share: f64,
    /// Largest |SMD| before weighting.
    pub max_abs_smd: f64,
    /// Largest |SMD| after IPW weighting.
    pub max_abs_smd_weighted: f64,
    /// Covariates with |SMD| < threshold after weighting.
    pub balanced: usize,
    /// Number of covariates.
    pub n_covariates: usize,
    /// Plain-language warnings.
    pub warnings: Vec<String>,
}

impl From<&Diagnostics> for DiagnosticsSummary {
    fn from(d: &Diagnostics) -> DiagnosticsSummary {
        DiagnosticsSummary {
            ps_auc: d.ps_auc,
            overlap_share: d.overlap_share,
            max_abs_smd: d.max_abs_smd,
            max_abs_smd_weighted: d.max_abs_smd_weighted,
            balanced: d.balanced,
            n_covariates: d.n_covariates,
            warnings: d.warnings.clone(),
        }
    }
}

/// The machine-readable summary printed by `tp uplift --json` (the CLI adds
/// `seconds`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpliftSummary {
    /// Meta-learner.
    pub method: Method,
    /// ATE of the first treated arm.
    pub ate: f64,
    /// Its SE.
    pub ate_se: f64,
    /// Arm labels (index 0 = control).
    pub arms: Vec<String>,
    /// Effects of every treated arm.
    pub effects: Vec<ArmEffect>,
    /// Headline diagnostics.
    pub diagnostics: DiagnosticsSummary,
    /// Rows used for effects (after trimming).
    pub n_used: usize,
    /// Trimming α, when trimming was applied.
    pub trim_alpha: Option<f64>,
    /// Holdout metrics, when a holdout share was set.
    pub evaluation: Option<Vec<HoldoutMetrics>>,
}

impl UpliftFit {
    /// ATE of the first treated arm against control.
    pub fn ate(&self) -> f64 {
        self.effects[0].ate
    }
    /// Its influence-function SE.
    pub fn ate_se(&self) -> f64 {
        self.effects[0].ate_se
    }
    /// Cross-fitted AIPW scores Γ(i, a) of every row of `data` (the data
    /// this fit was made on) and arm, `n × K` with control first.
    pub fn scores(&self, data: &CausalData) -> Result<Mat<f64>> {
        self.nuisances.aipw_scores(data)
    }
    /// Column names for τ̂: `tau` with two arms, `tau_<arm>` with more.
    pub fn tau_columns(&self) -> Vec<String> {
        if self.arms.len() == 2 {
            vec!["tau".into()]
        } else {
            self.arms[1..].iter().map(|a| format!("tau_{a}")).collect()
        }
    }
    /// The JSON summary.
    pub fn summary(&self) -> UpliftSummary {
        UpliftSummary {
            method: self.method,
            ate: self.ate(),
            ate_se: self.ate_se(),
            arms: self.arms.clone(),
            effects: self.effects.clone(),
            diagnostics: DiagnosticsSummary::from(&self.diagnostics),
            n_used: self.trimming.as_ref().map_or(self.tau.nrows(), |t| t.kept.len()),
            trim_alpha: self.trimming.as_ref().map(|t| t.alpha),
            evaluation: self.evaluation.clone(),
        }
    }
}

impl Serialize for UpliftFit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.summary().serialize(s)
    }
}
