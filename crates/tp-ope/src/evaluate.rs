//! `evaluate`: every requested estimator with its interval and the weight
//! diagnostics; `compare`: paired differences against baseline policies.

use crate::error::{OpeError, Result, invalid};
use crate::estimators::{Estimator, Knobs, Terms, terms};
use crate::input::{OpeInput, RowData, SupportGap, TargetPolicy, support_gap};
use crate::interval::{
    BootstrapTable, HighConfidenceBound, hcope_lower_bound, normal_interval, percentile_interval,
};
use crate::tune::tune_lambda;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How an off-policy evaluation runs. Build with [`OpeParams::default`] and
/// the setters; every field is documented with its default.
#[derive(Debug, Clone, PartialEq)]
pub struct OpeParams {
    /// Estimators to compute (default: all seven).
    pub estimators: Vec<Estimator>,
    /// IPW / DR importance-weight clip λ: `w → min(w, λ)` (default `∞`, no clipping).
    pub clip: f64,
    /// Switch-DR threshold λ: rows with `w > λ` use the DM term only.
    /// `None` (default): chosen per policy by SLOPE over `lambda_grid`
    /// ([`slope`](crate::slope)), as the Open Bandit Pipeline's tuning does.
    pub switch_lambda: Option<f64>,
    /// DRos shrinkage λ: `w → λw / (w² + λ)`. `None` (default): chosen by
    /// SLOPE over `lambda_grid`.
    pub dros_lambda: Option<f64>,
    /// The λ candidates SLOPE chooses from (default [`SLOPE_GRID`](crate::SLOPE_GRID)).
    pub lambda_grid: Vec<f64>,
    /// Bootstrap replicates; `0` (default) reports the normal interval instead.
    pub bootstrap: usize,
    /// Two-sided level: intervals cover `1 − α` (default 0.05). Also the δ of
    /// the high-confidence lower bound.
    pub alpha: f64,
    /// Seed of the bootstrap and of the lower bound's sample split (default 0).
    pub seed: u64,
    /// Compute the empirical-Bernstein lower bound (default true).
    pub high_confidence_bound: bool,
}

impl Default for OpeParams {
    fn default() -> OpeParams {
        OpeParams {
            estimators: Estimator::ALL.to_vec(),
            clip: f64::INFINITY,
            switch_lambda: None,
            dros_lambda: None,
            lambda_grid: crate::SLOPE_GRID.to_vec(),
            bootstrap: 0,
            alpha: 0.05,
            seed: 0,
            high_confidence_bound: true,
        }
    }
}

impl OpeParams {
    /// Sets the estimators.
    pub fn estimators(mut self, e: &[Estimator]) -> Self {
        self.estimators = e.to_vec();
        self
    }
    /// Sets the IPW / DR clip λ.
    pub fn clip(mut self, lambda: f64) -> Self {
        self.clip = lambda;
        self
    }
    /// Fixes the Switch-DR λ (no tuning).
    pub fn switch_lambda(mut self, lambda: f64) -> Self {
        self.switch_lambda = Some(lambda);
        self
    }
    /// Fixes the DRos λ (no tuning).
    pub fn dros_lambda(mut self, lambda: f64) -> Self {
        self.dros_lambda = Some(lambda);
        self
    }
    /// Sets the λ candidates SLOPE chooses from.
    pub fn lambda_grid(mut self, grid: &[f64]) -> Self {
        self.lambda_grid = grid.to_vec();
        self
    }
    /// Sets the number of bootstrap replicates.
    pub fn bootstrap(mut self, b: usize) -> Self {
        self.bootstrap = b;
        self
    }
    /// Sets α.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Turns the high-confidence lower bound on or off.
    pub fn high_confidence_bound(mut self, yes: bool) -> Self {
        self.high_confidence_bound = yes;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.estimators.is_empty() {
            return Err(invalid(
                "estimators",
                "[]",
                "at least one of dm, ipw, snipw, dr, sndr, switch-dr, dros",
            ));
        }
        if self.clip.is_nan() || self.clip <= 0.0 {
            return Err(invalid("clip", self.clip, "a positive weight cap (or infinity for none)"));
        }
        if let Some(l) = self.switch_lambda.filter(|l| l.is_nan() || *l < 0.0) {
            return Err(invalid("switch_lambda", l, ">= 0"));
        }
        if let Some(l) = self.dros_lambda.filter(|l| l.is_nan() || *l < 0.0) {
            return Err(invalid("dros_lambda", l, ">= 0"));
        }
        if self.lambda_grid.is_empty() || self.lambda_grid.iter().any(|l| l.is_nan() || *l < 0.0) {
            return Err(invalid(
                "lambda_grid",
                format!("{:?}", self.lambda_grid),
                "at least one λ >= 0 for SLOPE to choose from",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "a level in (0, 1), e.g. 0.05"));
        }
        if self.bootstrap == 1 {
            return Err(invalid("bootstrap", 1, "0 (normal interval) or at least 2 replicates"));
        }
        Ok(())
    }

    /// The estimators' knobs on these rows: fixed λs as given, the others
    /// chosen by SLOPE (only for the estimators asked for).
    fn knobs(&self, rows: &RowData) -> Knobs {
        let mut k = Knobs {
            clip: self.clip,
            switch_lambda: self.switch_lambda.unwrap_or(f64::INFINITY),
            dros_lambda: self.dros_lambda.unwrap_or(f64::INFINITY),
        };
        if self.switch_lambda.is_none() && self.estimators.contains(&Estimator::SwitchDr) {
            k.switch_lambda = tune_lambda(Estimator::SwitchDr, rows, &k, &self.lambda_grid);
        }
        if self.dros_lambda.is_none() && self.estimators.contains(&Estimator::Dros) {
            k.dros_lambda = tune_lambda(Estimator::Dros, rows, &k, &self.lambda_grid);
        }
        k
    }
}

/// Which interval `ci_low` / `ci_high` hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalKind {
    /// Estimate ± z·SE from the per-row influence terms.
    Normal,
    /// Percentile bootstrap.
    Bootstrap,
}

/// One estimator's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimated policy value.
    pub value: f64,
    /// Standard error from the influence terms (`sd(φ) / √n`).
    pub se: f64,
    /// Lower end of the `1 − α` interval.
    pub ci_low: f64,
    /// Upper end of the `1 − α` interval.
    pub ci_high: f64,
    /// Which interval `ci_low`/`ci_high` are.
    pub interval: IntervalKind,
}

/// Importance-weight diagnostics (unclipped weights `w = π / π_b` of the logged actions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Effective sample size `(Σw)² / Σw²`.
    pub ess: f64,
    /// `ess / n`.
    pub ess_share: f64,
    /// Largest weight.
    pub max_weight: f64,
    /// Mean weight; ≈ 1 when the propensities are right and the support is full.
    pub mean_weight: f64,
    /// Share of rows where the target puts mass on an arm the logging policy never plays.
    pub no_support_share: f64,
    /// Human-readable warnings (empty when nothing looks wrong).
    pub warnings: Vec<String>,
}

/// The result of [`evaluate`]; serializes to the `tp ope --json` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpeReport {
    /// Logged rows.
    pub n: usize,
    /// Arms.
    pub n_arms: usize,
    /// The α of the intervals.
    pub alpha: f64,
    /// Per estimator name (`dm`, `ipw`, …).
    pub estimates: BTreeMap<String, Estimate>,
    /// Weight diagnostics.
    pub diagnostics: Diagnostics,
    /// The λ Switch-DR and DRos used (`switch-dr`, `dros`; only those
    /// estimated), fixed or chosen by SLOPE; `∞` is written as `null`.
    #[serde(default)]
    pub lambdas: BTreeMap<String, Option<f64>>,
    /// Empirical-Bernstein lower bound on the value at confidence `1 − α`
    /// (absent when switched off, when support is missing, or with < 20 rows).
    pub high_confidence: Option<HighConfidenceBound>,
}

fn check_support(input: &OpeInput, target: &TargetPolicy, params: &OpeParams) -> Result<SupportGap> {
    let gap = support_gap(input, target);
    if let (Some((row, arm)), Some(e)) = (gap.first, params.estimators.iter().find(|e| e.weights_only())) {
        return Err(OpeError::NoSupport {
            estimator: e.name().into(),
            rows: gap.rows,
            share: gap.rows as f64 / input.n() as f64,
            first_row: row,
            arm,
        });
    }
    Ok(gap)
}

fn check_model(input: &OpeInput, params: &OpeParams) -> Result<()> {
    if input.q_hat.is_none()
        && let Some(e) = params.estimators.iter().find(|e| e.needs_reward_model())
    {
        return Err(OpeError::MissingRewardModel { estimator: e.name().into() });
    }
    Ok(())
}

fn diagnostics(rows: &RowData, gap: &SupportGap, params: &OpeParams) -> Diagnostics {
    let n = rows.w.len() as f64;
    let sw: f64 = rows.w.iter().sum();
    let sw2: f64 = rows.w.iter().map(|w| w * w).sum();
    let ess = if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 };
    let max_weight = rows.w.iter().copied().fold(0.0, f64::max);
    let mean_weight = sw / n;
    let no_support_share = gap.rows as f64 / n;
    let se_w = (tp_core::stats::variance(&rows.w) / n).sqrt();
    let clipped = rows.w.iter().filter(|&&w| w > params.clip).count();
    let first = gap.first.map(|(row, arm)| (gap.rows, Some(row), arm));
    let warnings =
        weight_warnings(n, ess, mean_weight, se_w, first, no_support_share, params.clip, max_weight, clipped);
    Diagnostics { ess, ess_share: ess / n, max_weight, mean_weight, no_support_share, warnings }
}

/// The weight warnings of `n` rows: `gap` is `(rows without support, first such row if known,
/// an unsupported arm)`; `clipped` counts the weights above `clip`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn weight_warnings(
    n: f64,
    ess: f64,
    mean_weight: f64,
    se_w: f64,
    gap: Option<(usize, Option<usize>, usize)>,
    no_support_share: f64,
    clip: f64,
    max_weight: f64,
    clipped: usize,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some((rows, first_row, arm)) = gap {
        let at = match first_row {
            Some(row) => format!("first row {row}, arm {arm}"),
            None => format!("arm {arm}"),
        };
        warnings.push(format!(
            "no support: in {rows} rows ({:.2}% of the log; {at}) the target policy plays \
             arms the logging policy never plays; importance weights cannot see those rows, so model-based \
             estimates there rest on q_hat alone",
            100.0 * no_support_share
        ));
    }
    if ess < 0.01 * n {
        warnings.push(format!(
            "effective sample size {ess:.1} is under 1% of {n} rows: the target policy is far from the \
             logging policy and weighted estimates are noisy; consider clipping or a dr-type estimator"
        ));
    }
    if gap.is_none() && (mean_weight - 1.0).abs() > 4.0 * se_w.max(1e-12) && (mean_weight - 1.0).abs() > 1e-9
    {
        warnings.push(format!(
            "mean importance weight is {mean_weight:.4}, more than 4 standard errors from 1: check that the \
             logging propensities are the probabilities of the logged actions"
        ));
    }
    if clip.is_finite() && max_weight > clip {
        warnings.push(format!("{clipped} weights exceed the clip {clip} and were capped"));
    }
    warnings
}

/// Per-estimator terms for one target policy, after all checks.
fn estimator_terms<'a>(
    input: &'a OpeInput<'_>,
    target: &TargetPolicy<'_>,
    params: &OpeParams,
) -> Result<(RowData<'a>, SupportGap, Vec<Terms>, Knobs)> {
    check_model(input, params)?;
    let gap = check_support(input, target, params)?;
    let rows = RowData::build(input, target);
    let knobs = params.knobs(&rows);
    let all = params.estimators.iter().map(|&e| terms(e, &rows, &knobs)).collect();
    Ok((rows, gap, all, knobs))
}

/// Estimates the value of `input.target` with every estimator in `params`.
///
/// Errors on invalid input (named input and row), on a model-based estimator
/// without `q_hat`, and when IPW or SNIPW is asked for while the target puts
/// mass outside the logged support ([`OpeError::NoSupport`]); the DR family
/// still runs then, with a warning in the diagnostics.
pub fn evaluate(input: &OpeInput, params: &OpeParams) -> Result<OpeReport> {
    input.validate()?;
    params.validate()?;
    let (rows, gap, all, knobs) = estimator_terms(input, &input.target, params)?;
    let finite = |l: f64| l.is_finite().then_some(l);
    let lambdas = params
        .estimators
        .iter()
        .filter_map(|e| match e {
            Estimator::SwitchDr => Some((e.name().to_string(), finite(knobs.switch_lambda))),
            Estimator::Dros => Some((e.name().to_string(), finite(knobs.dros_lambda))),
            _ => None,
        })
        .collect();
    let boot = if params.bootstrap > 0 {
        let refs: Vec<&Terms> = all.iter().collect();
        Some(BootstrapTable::new(&refs).replicates(params.bootstrap, params.seed))
    } else {
        None
    };
    let mut estimates = BTreeMap::new();
    for (s, (e, t)) in params.estimators.iter().zip(&all).enumerate() {
        let value = t.value();
        let phi = t.influence();
        let (se, lo, hi) = normal_interval(value, &phi, params.alpha);
        let est = match &boot {
            Some(reps) => {
                let col: Vec<f64> = reps.iter().map(|r| r[s]).collect();
                let (bl, bh) = percentile_interval(&col, params.alpha);
                Estimate { value, se, ci_low: bl, ci_high: bh, interval: IntervalKind::Bootstrap }
            }
            None => Estimate { value, se, ci_low: lo, ci_high: hi, interval: IntervalKind::Normal },
        };
        estimates.insert(e.name().to_string(), est);
    }
    let high_confidence = if params.high_confidence_bound && gap.rows == 0 {
        let r_lo = rows.r.iter().copied().fold(0.0, f64::min);
        let x: Vec<f64> = rows.w.iter().zip(rows.r).map(|(w, r)| w.min(params.clip) * (r - r_lo)).collect();
        hcope_lower_bound(&x, params.alpha, params.seed).map(|mut b| {
            b.lower_bound += r_lo;
            b
        })
    } else {
        None
    };
    Ok(OpeReport {
        n: input.n(),
        n_arms: input.n_arms(),
        alpha: params.alpha,
        estimates,
        diagnostics: diagnostics(&rows, &gap, params),
        lambdas,
        high_confidence,
    })
}

/// A policy to compare the target against, on the same logged rows (owned or lent, as
/// [`TargetPolicy`]).
#[derive(Debug, Clone)]
pub struct Baseline<'a> {
    /// Label in the report (`treat-all`, `treat-none`, `current`, …).
    pub name: String,
    /// The baseline policy.
    pub policy: TargetPolicy<'a>,
}

impl<'a> Baseline<'a> {
    /// Everyone gets `arm`.
    pub fn treat_all(arm: usize, n: usize) -> Baseline<'static> {
        Baseline { name: "treat-all".into(), policy: TargetPolicy::constant(arm, n) }
    }
    /// Everyone gets the control arm 0.
    pub fn treat_none(n: usize) -> Baseline<'static> {
        Baseline { name: "treat-none".into(), policy: TargetPolicy::constant(0, n) }
    }
    /// The current-practice assignment (or any named policy).
    pub fn named(name: &str, policy: TargetPolicy<'a>) -> Baseline<'a> {
        Baseline { name: name.into(), policy }
    }
}

/// The target policy minus one baseline, by one estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Baseline label.
    pub baseline: String,
    /// Estimator name.
    pub estimator: String,
    /// Value of the target policy.
    pub policy_value: f64,
    /// Value of the baseline.
    pub baseline_value: f64,
    /// `policy_value − baseline_value`.
    pub difference: f64,
    /// SE of the difference from per-row paired influence differences.
    pub se: f64,
    /// Lower end of the `1 − α` interval of the difference.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Which interval.
    pub interval: IntervalKind,
}

/// Compares `input.target` with each baseline, by each estimator in
/// `params`, on the same rows: the difference's SE comes from the per-row
/// differences of influence terms (so the shared noise cancels), and with
/// `params.bootstrap > 0` both values are recomputed on the same resamples.
pub fn compare(input: &OpeInput, params: &OpeParams, baselines: &[Baseline]) -> Result<Vec<Comparison>> {
    input.validate()?;
    params.validate()?;
    let (_, _, mine, _) = estimator_terms(input, &input.target, params)?;
    let mut theirs = Vec::with_capacity(baselines.len());
    for b in baselines {
        let probe = input.with_target(b.policy.view());
        probe.validate()?;
        theirs.push(estimator_terms(&probe, &b.policy, params)?.2);
    }
    let boot = if params.bootstrap > 0 {
        let refs: Vec<&Terms> = mine.iter().chain(theirs.iter().flatten()).collect();
        Some(BootstrapTable::new(&refs).replicates(params.bootstrap, params.seed))
    } else {
        None
    };
    let s_count = params.estimators.len();
    let mut out = Vec::new();
    for (bi, b) in baselines.iter().enumerate() {
        for (s, e) in params.estimators.iter().enumerate() {
            let (p, q) = (&mine[s], &theirs[bi][s]);
            let (pv, qv) = (p.value(), q.value());
            let diff = pv - qv;
            let phi: Vec<f64> = p.influence().iter().zip(q.influence()).map(|(x, y)| x - y).collect();
            let (se, lo, hi) = normal_interval(diff, &phi, params.alpha);
            let (ci_low, ci_high, interval) = match &boot {
                Some(reps) => {
                    let j = s_count * (bi + 1) + s;
                    let d: Vec<f64> = reps.iter().map(|r| r[s] - r[j]).collect();
                    let (l, h) = percentile_interval(&d, params.alpha);
                    (l, h, IntervalKind::Bootstrap)
                }
                None => (lo, hi, IntervalKind::Normal),
            };
            out.push(Comparison {
                baseline: b.name.clone(),
                estimator: e.name().into(),
                policy_value: pv,
                baseline_value: qv,
                difference: diff,
                se,
                ci_low,
                ci_high,
                interval,
            });
        }
    }
    Ok(out)
}
