//! Off-policy evaluation as a [`Mergeable`] summary: sufficient statistics per partition of the
//! log, merged, and the estimates and intervals computed once from the merged sums.
//!
//! Every estimator is `V̂ = mean(u) + Σa / Σb` over per-row terms (see the estimators module), and
//! its normal interval rests on the variance of the influence terms
//! `φ_i = u_i + θ + (a_i − θ b_i)/mean(b)`. Both need only the sums
//! `Σu, Σa, Σb, Σu², Σa², Σb², Σua, Σub, Σab` and `n`: those are the summary. SLOPE's choice
//! of λ for Switch-DR and DRos needs the value and SE at every λ of the grid, so a tuned
//! estimator keeps one set of sums per candidate. The weight diagnostics keep `Σw`, `Σw²`, the
//! largest weight, the clipped count and, for the support check, the arms logged and the
//! count of rows per set of arms the target plays.
//!
//! **Exact under partitioning.** Every sum is an [`ExactSum`] of per-row terms that each row
//! computes the same way wherever it lies, and the variances come from
//! [`variance_from_sums`]: the value, SE, normal interval, λ choice and diagnostics are the same
//! bits for every partitioning of the log. Against [`crate::evaluate`] (plain `f64` sums, a
//! two-pass variance) they agree to a relative 1e-12.
//!
//! **Not mergeable, so refused:** percentile-bootstrap intervals (a replicate resamples the whole
//! log with one random stream; a partitioned bootstrap would need a per-row seeded multiplier,
//! which defines another bootstrap) and the empirical-Bernstein lower bound (a seeded split of
//! the whole log). Row numbers in input errors count from the start of the partition.

use crate::error::{OpeError, Result, invalid};
use crate::estimators::{Estimator, Knobs, terms};
use crate::evaluate::{Diagnostics, Estimate, IntervalKind, OpeParams, OpeReport, weight_warnings};
use crate::input::{ArmMatrix, LoggingPropensity, OpeInput, RowData, TargetPolicy};
use crate::tune::slope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tp_core::merge::variance_from_sums;
use tp_core::{ExactSum, Mergeable, stats};

/// A λ of Switch-DR or DRos: fixed (`None` = ∞, which JSON cannot write) or chosen by SLOPE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lambda {
    /// Chosen by SLOPE over the grid.
    Tuned,
    /// Fixed; `None` = ∞.
    Fixed(Option<f64>),
}

impl Lambda {
    fn of(l: Option<f64>) -> Lambda {
        l.map_or(Lambda::Tuned, |l| Lambda::Fixed(l.is_finite().then_some(l)))
    }
    fn value(self) -> f64 {
        match self {
            Lambda::Fixed(Some(l)) => l,
            _ => f64::INFINITY,
        }
    }
}

/// The fixed settings of a partitioned evaluation (the [`Mergeable::Context`] of [`OpeSums`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpeSumsParams {
    /// Estimators, in report order.
    pub estimators: Vec<Estimator>,
    /// Number of arms K (at most 64).
    pub n_arms: usize,
    /// IPW / DR clip λ; `None` = no clipping.
    pub clip: Option<f64>,
    /// Switch-DR λ.
    pub switch_lambda: Lambda,
    /// DRos λ.
    pub dros_lambda: Lambda,
    /// SLOPE's candidates (`None` = ∞).
    pub lambda_grid: Vec<Option<f64>>,
    /// Two-sided level of the intervals.
    pub alpha: f64,
}

impl OpeSumsParams {
    /// The settings of `params` for a log with `n_arms` arms. Errors on invalid parameters and on
    /// what cannot be merged: bootstrap intervals (use `bootstrap = 0`, the normal interval).
    pub fn new(params: &OpeParams, n_arms: usize) -> Result<OpeSumsParams> {
        params.validate()?;
        if params.bootstrap > 0 {
            return Err(invalid(
                "bootstrap",
                params.bootstrap,
                "0 for a partitioned evaluation: a bootstrap replicate resamples the whole log, which \
                 partition sums cannot reproduce; the normal interval is exact under partitioning",
            ));
        }
        if !(1..=64).contains(&n_arms) {
            return Err(invalid("n_arms", n_arms, "1 to 64 arms for a partitioned evaluation"));
        }
        let fin = |l: f64| l.is_finite().then_some(l);
        Ok(OpeSumsParams {
            estimators: params.estimators.clone(),
            n_arms,
            clip: fin(params.clip),
            switch_lambda: Lambda::of(params.switch_lambda),
            dros_lambda: Lambda::of(params.dros_lambda),
            lambda_grid: params.lambda_grid.iter().map(|&l| fin(l)).collect(),
            alpha: params.alpha,
        })
    }

    fn clip(&self) -> f64 {
        self.clip.unwrap_or(f64::INFINITY)
    }

    /// `(λ, knobs)` of each candidate of `est`: one for a fixed or λ-free estimator, the grid
    /// for a tuned one.
    fn candidates(&self, est: Estimator) -> Vec<(Option<f64>, Knobs)> {
        let base = Knobs {
            clip: self.clip(),
            switch_lambda: self.switch_lambda.value(),
            dros_lambda: self.dros_lambda.value(),
        };
        let grid = |set: &dyn Fn(f64) -> Knobs| -> Vec<(Option<f64>, Knobs)> {
            self.lambda_grid.iter().map(|l| (*l, set(l.unwrap_or(f64::INFINITY)))).collect()
        };
        match (est, self.switch_lambda, self.dros_lambda) {
            (Estimator::SwitchDr, Lambda::Tuned, _) => grid(&|l| Knobs { switch_lambda: l, ..base }),
            (Estimator::Dros, _, Lambda::Tuned) => grid(&|l| Knobs { dros_lambda: l, ..base }),
            (Estimator::SwitchDr, Lambda::Fixed(l), _) | (Estimator::Dros, _, Lambda::Fixed(l)) => {
                vec![(l, base)]
            }
            _ => vec![(None, base)],
        }
    }
}

/// Exact sums of one estimator's per-row terms `u`, `a`, `b` and their products.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Moments {
    u: ExactSum,
    uu: ExactSum,
    a: ExactSum,
    b: ExactSum,
    aa: ExactSum,
    bb: ExactSum,
    ab: ExactSum,
    ua: ExactSum,
    ub: ExactSum,
}

impl Moments {
    fn add_sum(&mut self, o: &Moments) {
        for (x, y) in self.parts_mut().into_iter().zip(o.parts()) {
            x.add_sum(y);
        }
    }
    fn parts(&self) -> [&ExactSum; 9] {
        [&self.u, &self.uu, &self.a, &self.b, &self.aa, &self.bb, &self.ab, &self.ua, &self.ub]
    }
    fn parts_mut(&mut self) -> [&mut ExactSum; 9] {
        [
            &mut self.u,
            &mut self.uu,
            &mut self.a,
            &mut self.b,
            &mut self.aa,
            &mut self.bb,
            &mut self.ab,
            &mut self.ua,
            &mut self.ub,
        ]
    }

    /// `(value, se)` of `n` rows, for an estimator with a mean part (`has_u`) and/or a ratio
    /// part (`has_ratio`), as `Terms::value` and the influence-term SE define them.
    fn value_se(&self, n: u64, has_u: bool, has_ratio: bool) -> (f64, f64) {
        let nf = n as f64;
        let mut value = 0.0;
        if has_u {
            value += self.u.value() / nf;
        }
        if !has_ratio {
            let var = variance_from_sums(n, &self.u, &self.uu);
            return (value, (var / nf).sqrt());
        }
        let (sa, sb) = (self.a.value(), self.b.value());
        let theta = if sb == 0.0 { 0.0 } else { sa / sb };
        value += theta;
        // φ_i − θ = u_i + c·a_i − cθ·b_i with c = 1 / mean(b): its sums, formed exactly from the
        // exact sums and the rounded coefficients c, cθ
        let c = nf / sb;
        let (ca, cb) = (c, -c * theta);
        let mut s1 = self.a.times(ca);
        s1.add_sum(&self.b.times(cb));
        let mut s2 = self.aa.times(ca * ca);
        s2.add_sum(&self.bb.times(cb * cb));
        s2.add_sum(&self.ab.times(2.0 * ca * cb));
        if has_u {
            s1.add_sum(&self.u);
            s2.add_sum(&self.uu);
            s2.add_sum(&self.ua.times(2.0 * ca));
            s2.add_sum(&self.ub.times(2.0 * cb));
        }
        let var = if sb == 0.0 { f64::NAN } else { variance_from_sums(n, &s1, &s2) };
        (value, (var / nf).sqrt())
    }
}

/// The mergeable summary of a partition of a log under one target policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpeSums {
    params: OpeSumsParams,
    n: u64,
    /// Σw and Σw² of the unclipped weights.
    w: ExactSum,
    ww: ExactSum,
    max_weight: f64,
    /// Rows whose weight exceeds the clip.
    clipped: u64,
    /// Bit a: arm a was logged (support check of logged propensities).
    logged_arms: u64,
    /// Rows by the set of arms (bit mask) where the target puts mass, under logged propensities.
    target_sets: BTreeMap<u64, u64>,
    /// Rows without support under full logging propensities (zero logging probability of an arm
    /// the target plays): `(rows, lowest such arm)`.
    full_gap: (u64, Option<u64>),
    /// Per estimator, per λ candidate: the sums.
    moments: Vec<Vec<Moments>>,
}

impl OpeSums {
    /// Rows summarized.
    pub fn n(&self) -> u64 {
        self.n
    }

    fn check_compatible(&self, o: &OpeSums) -> Result<()> {
        if self.params != o.params {
            return Err(invalid(
                "ope summaries",
                "of different settings",
                "summaries built with the same estimators, arms, clip, λs and α",
            ));
        }
        Ok(())
    }

    /// `(rows without support, an unsupported arm)`.
    fn support_gap(&self) -> (u64, Option<usize>) {
        let mut rows = self.full_gap.0;
        let mut arm = self.full_gap.1.map(|a| a as usize);
        for (&set, &count) in &self.target_sets {
            let unsupported = set & !self.logged_arms;
            if unsupported != 0 {
                rows += count;
                let a = unsupported.trailing_zeros() as usize;
                arm = Some(arm.map_or(a, |b: usize| b.min(a)));
            }
        }
        (rows, arm)
    }
}

impl Mergeable for OpeSums {
    type Context = OpeSumsParams;
    type Part<'a> = &'a OpeInput<'a>;
    type Output = OpeReport;
    type Error = OpeError;

    fn empty(params: &OpeSumsParams) -> Result<OpeSums> {
        let moments =
            params.estimators.iter().map(|&e| vec![Moments::default(); params.candidates(e).len()]).collect();
        Ok(OpeSums {
            params: params.clone(),
            n: 0,
            w: ExactSum::new(),
            ww: ExactSum::new(),
            max_weight: 0.0,
            clipped: 0,
            logged_arms: 0,
            target_sets: BTreeMap::new(),
            full_gap: (0, None),
            moments,
        })
    }

    fn map(params: &OpeSumsParams, input: Self::Part<'_>) -> Result<OpeSums> {
        let mut s = OpeSums::empty(params)?;
        let n = input.n();
        if n == 0 {
            return Ok(s);
        }
        let k = params.n_arms;
        if input.n_arms() != k {
            return Err(OpeError::Shape {
                what: "arms of the partition".into(),
                expected: k.to_string(),
                got: input.n_arms().to_string(),
            });
        }
        // `validate` wants two rows; a one-row partition is checked as a copy of itself
        if n == 1 {
            doubled(input).validate()?;
        } else {
            input.validate()?;
        }
        if let Some(e) = params.estimators.iter().find(|e| e.needs_reward_model())
            && input.q_hat.is_none()
        {
            return Err(OpeError::MissingRewardModel { estimator: e.name().into() });
        }
        let rows = RowData::build(input, &input.target);
        s.n = n as u64;
        let clip = params.clip();
        for &w in &rows.w {
            s.w.add(w);
            s.ww.add_product(w, w);
            s.max_weight = s.max_weight.max(w);
            s.clipped += u64::from(w > clip);
        }
        for i in 0..n {
            match &input.propensity {
                LoggingPropensity::Logged(_) => {
                    s.logged_arms |= 1 << input.actions[i];
                    let set = (0..k).filter(|&a| input.target.prob(i, a) > 0.0).fold(0u64, |m, a| m | 1 << a);
                    *s.target_sets.entry(set).or_insert(0) += 1;
                }
                LoggingPropensity::Full(p) => {
                    if let Some(a) = (0..k).find(|&a| p[(i, a)] <= 0.0 && input.target.prob(i, a) > 0.0) {
                        s.full_gap.0 += 1;
                        s.full_gap.1 = Some(s.full_gap.1.map_or(a as u64, |b| b.min(a as u64)));
                    }
                }
            }
        }
        for (e, ms) in params.estimators.iter().zip(&mut s.moments) {
            for ((_, knobs), m) in params.candidates(*e).into_iter().zip(ms.iter_mut()) {
                let t = terms(*e, &rows, &knobs);
                if let Some(u) = &t.u {
                    for &x in u {
                        m.u.add(x);
                        m.uu.add_product(x, x);
                    }
                }
                if let Some((a, b)) = &t.ratio {
                    for i in 0..n {
                        let (x, y) = (a[i], b[i]);
                        m.a.add(x);
                        m.b.add(y);
                        m.aa.add_product(x, x);
                        m.bb.add_product(y, y);
                        m.ab.add_product(x, y);
                        if let Some(u) = &t.u {
                            m.ua.add_product(u[i], x);
                            m.ub.add_product(u[i], y);
                        }
                    }
                }
            }
        }
        Ok(s)
    }

    fn merge(mut self, o: OpeSums) -> Result<OpeSums> {
        self.check_compatible(&o)?;
        self.n += o.n;
        self.w.add_sum(&o.w);
        self.ww.add_sum(&o.ww);
        self.max_weight = self.max_weight.max(o.max_weight);
        self.clipped += o.clipped;
        self.logged_arms |= o.logged_arms;
        for (set, c) in o.target_sets {
            *self.target_sets.entry(set).or_insert(0) += c;
        }
        self.full_gap.0 += o.full_gap.0;
        self.full_gap.1 = match (self.full_gap.1, o.full_gap.1) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (ms, os) in self.moments.iter_mut().zip(&o.moments) {
            for (m, x) in ms.iter_mut().zip(os) {
                m.add_sum(x);
            }
        }
        Ok(self)
    }

    fn finish(self, params: &OpeSumsParams) -> Result<OpeReport> {
        if self.params != *params {
            return Err(invalid("ope summary", "of other settings", "the settings it was built with"));
        }
        let n = self.n;
        if n < 2 {
            return Err(OpeError::NotEnoughSamples {
                what: "off-policy evaluation".into(),
                needed: 2,
                got: n as usize,
            });
        }
        let (gap_rows, gap_arm) = self.support_gap();
        if gap_rows > 0
            && let Some(e) = params.estimators.iter().find(|e| e.weights_only())
        {
            return Err(OpeError::NoSupportPartitioned {
                estimator: e.name().into(),
                rows: gap_rows as usize,
                share: gap_rows as f64 / n as f64,
                arm: gap_arm.unwrap_or(0),
            });
        }
        let z = stats::normal_quantile(1.0 - params.alpha / 2.0);
        let mut estimates = BTreeMap::new();
        let mut lambdas = BTreeMap::new();
        for (e, ms) in params.estimators.iter().zip(&self.moments) {
            let (has_u, has_ratio) = match e {
                Estimator::Snipw => (false, true),
                Estimator::Sndr => (true, true),
                _ => (true, false),
            };
            let cands = params.candidates(*e);
            let vs: Vec<(f64, f64)> = ms.iter().map(|m| m.value_se(n, has_u, has_ratio)).collect();
            let pick = if cands.len() > 1 {
                let c: Vec<(f64, f64, f64)> = cands
                    .iter()
                    .zip(&vs)
                    .map(|((l, _), (v, se))| (l.unwrap_or(f64::INFINITY), *v, *se))
                    .collect();
                slope(&c)
            } else {
                0
            };
            if matches!(e, Estimator::SwitchDr | Estimator::Dros) {
                lambdas.insert(e.name().to_string(), cands[pick].0);
            }
            let (value, se) = vs[pick];
            estimates.insert(
                e.name().to_string(),
                Estimate {
                    value,
                    se,
                    ci_low: value - z * se,
                    ci_high: value + z * se,
                    interval: IntervalKind::Normal,
                },
            );
        }
        let nf = n as f64;
        let (sw, sw2) = (self.w.value(), self.ww.value());
        let ess = if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 };
        let mean_weight = sw / nf;
        let se_w = (variance_from_sums(n, &self.w, &self.ww) / nf).sqrt();
        let no_support_share = gap_rows as f64 / nf;
        let gap = (gap_rows > 0).then(|| (gap_rows as usize, None, gap_arm.unwrap_or(0)));
        let warnings = weight_warnings(
            nf,
            ess,
            mean_weight,
            se_w,
            gap,
            no_support_share,
            params.clip(),
            self.max_weight,
            self.clipped as usize,
        );
        Ok(OpeReport {
            n: n as usize,
            n_arms: params.n_arms,
            alpha: params.alpha,
            estimates,
            diagnostics: Diagnostics {
                ess,
                ess_share: ess / nf,
                max_weight: self.max_weight,
                mean_weight,
                no_support_share,
                warnings,
            },
            lambdas,
            high_confidence: None,
        })
    }
}

/// A one-row input repeated twice, for validation only.
fn doubled(input: &OpeInput<'_>) -> OpeInput<'static> {
    let rep =
        |m: &ArmMatrix<'_>| ArmMatrix::Owned(tp_core::faer::Mat::from_fn(2, m.ncols(), |_, j| m[(0, j)]));
    OpeInput {
        rewards: vec![input.rewards[0]; 2].into(),
        actions: vec![input.actions[0]; 2].into(),
        propensity: match &input.propensity {
            LoggingPropensity::Logged(p) => LoggingPropensity::logged(vec![p[0]; 2]),
            LoggingPropensity::Full(p) => LoggingPropensity::Full(rep(p)),
        },
        target: match &input.target {
            TargetPolicy::Arms(a) => TargetPolicy::arms(vec![a[0]; 2]),
            TargetPolicy::Probs(p) => TargetPolicy::Probs(rep(p)),
        },
        q_hat: input.q_hat.as_ref().map(rep),
        n_arms: input.n_arms,
    }
}
