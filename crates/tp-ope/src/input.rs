//! The logged data and the policy to evaluate, validated once.

use crate::error::{OpeError, Result};
use faer::Mat;

/// Tolerance on the row sums of a probability matrix.
const SUM_TOL: f64 = 1e-6;

/// The policy to evaluate, on the logged rows.
#[derive(Debug, Clone)]
pub enum TargetPolicy {
    /// `π(a | x_i)` for every row `i` and arm `a` (`n × K`, rows sum to 1).
    Probs(Mat<f64>),
    /// A deterministic policy: the arm it plays on each row.
    Arms(Vec<usize>),
}

impl TargetPolicy {
    /// The policy that plays `arm` on every one of `n` rows (treat-all with
    /// `arm ≥ 1`, treat-none with `arm = 0`).
    pub fn constant(arm: usize, n: usize) -> TargetPolicy {
        TargetPolicy::Arms(vec![arm; n])
    }

    /// Number of rows the policy covers.
    pub fn n_rows(&self) -> usize {
        match self {
            TargetPolicy::Probs(p) => p.nrows(),
            TargetPolicy::Arms(a) => a.len(),
        }
    }

    /// `π(a | x_i)`.
    #[inline]
    pub fn prob(&self, i: usize, a: usize) -> f64 {
        match self {
            TargetPolicy::Probs(p) => p[(i, a)],
            TargetPolicy::Arms(v) => {
                if v[i] == a {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// The logging (behavior) policy's propensities.
#[derive(Debug, Clone)]
pub enum LoggingPropensity {
    /// `π_b(a_i | x_i)`: the probability of the logged action only (length n).
    /// Support of unlogged arms is then judged from the log itself: an arm no
    /// row ever logged counts as never played.
    Logged(Vec<f64>),
    /// `π_b(a | x_i)` for every row and arm (`n × K`, rows sum to 1); a zero
    /// entry marks an arm the logging policy never plays on that row.
    Full(Mat<f64>),
}

/// Logged bandit feedback plus the policy to evaluate.
///
/// Build it with [`OpeInput::new`] and, for model-based estimators, add the
/// reward model with [`OpeInput::with_q_hat`]. [`crate::evaluate`] validates
/// it (shapes, finiteness, probabilities) before anything is computed.
#[derive(Debug, Clone)]
pub struct OpeInput {
    /// Observed reward of each logged row.
    pub rewards: Vec<f64>,
    /// Arm the logging policy played on each row (`0..K`).
    pub actions: Vec<usize>,
    /// The logging policy's propensities.
    pub propensity: LoggingPropensity,
    /// The policy to evaluate.
    pub target: TargetPolicy,
    /// Reward model `q̂(x_i, a)` (`n × K`), ideally cross-fitted
    /// (see [`crate::cross_fit_q_hat`]); needed by every estimator but IPW/SNIPW.
    pub q_hat: Option<Mat<f64>>,
    /// Number of arms K; `None` infers it from the matrices given, else from
    /// the largest arm index seen.
    pub n_arms: Option<usize>,
}

impl OpeInput {
    /// A log with rewards, logged actions and the logging propensities, and
    /// the target policy; no reward model yet.
    pub fn new(
        rewards: Vec<f64>,
        actions: Vec<usize>,
        propensity: LoggingPropensity,
        target: TargetPolicy,
    ) -> OpeInput {
        OpeInput { rewards, actions, propensity, target, q_hat: None, n_arms: None }
    }

    /// Adds the reward model `q̂` (`n × K`).
    pub fn with_q_hat(mut self, q_hat: Mat<f64>) -> OpeInput {
        self.q_hat = Some(q_hat);
        self
    }

    /// Sets the number of arms explicitly.
    pub fn with_n_arms(mut self, k: usize) -> OpeInput {
        self.n_arms = Some(k);
        self
    }

    /// Number of logged rows.
    pub fn n(&self) -> usize {
        self.rewards.len()
    }

    /// The number of arms K (explicit, or inferred).
    pub fn n_arms(&self) -> usize {
        if let Some(k) = self.n_arms {
            return k;
        }
        if let TargetPolicy::Probs(p) = &self.target {
            return p.ncols();
        }
        if let Some(q) = &self.q_hat {
            return q.ncols();
        }
        if let LoggingPropensity::Full(p) = &self.propensity {
            return p.ncols();
        }
        let max_logged = self.actions.iter().copied().max().unwrap_or(0);
        let max_target = match &self.target {
            TargetPolicy::Arms(a) => a.iter().copied().max().unwrap_or(0),
            TargetPolicy::Probs(_) => 0,
        };
        max_logged.max(max_target) + 1
    }

    /// Logging probability of the logged action on row `i`.
    #[inline]
    pub(crate) fn logged_propensity(&self, i: usize) -> f64 {
        match &self.propensity {
            LoggingPropensity::Logged(p) => p[i],
            LoggingPropensity::Full(p) => p[(i, self.actions[i])],
        }
    }

    /// Checks shapes, finiteness and probability ranges; names the first bad
    /// input and row.
    pub fn validate(&self) -> Result<()> {
        let n = self.n();
        let k = self.n_arms();
        if n < 2 {
            return Err(OpeError::NotEnoughSamples {
                what: "off-policy evaluation".into(),
                needed: 2,
                got: n,
            });
        }
        let len = |what: &str, got: usize| -> Result<()> {
            if got == n {
                Ok(())
            } else {
                Err(OpeError::Shape {
                    what: what.into(),
                    expected: format!("{n} rows"),
                    got: format!("{got} rows"),
                })
            }
        };
        let shape = |what: &str, m: &Mat<f64>| -> Result<()> {
            if m.nrows() == n && m.ncols() == k {
                Ok(())
            } else {
                Err(OpeError::Shape {
                    what: what.into(),
                    expected: format!("{n} × {k}"),
                    got: format!("{} × {}", m.nrows(), m.ncols()),
                })
            }
        };
        len("actions", self.actions.len())?;
        len("target policy", self.target.n_rows())?;
        for (i, &r) in self.rewards.iter().enumerate() {
            if !r.is_finite() {
                return Err(OpeError::NonFinite { what: "rewards".into(), row: i, value: r });
            }
        }
        for (i, &a) in self.actions.iter().enumerate() {
            if a >= k {
                return Err(OpeError::ArmOutOfRange {
                    what: "logged action".into(),
                    row: i,
                    arm: a,
                    n_arms: k,
                });
            }
        }
        match &self.propensity {
            LoggingPropensity::Logged(p) => {
                len("logging propensities", p.len())?;
                for (i, &v) in p.iter().enumerate() {
                    if !(v > 0.0 && v <= 1.0) {
                        return Err(OpeError::Probability {
                            what: "logging propensity of the logged action".into(),
                            row: i,
                            value: v,
                            range: "(0, 1]".into(),
                        });
                    }
                }
            }
            LoggingPropensity::Full(p) => {
                shape("logging propensities", p)?;
                check_distribution("logging propensities", p)?;
                for i in 0..n {
                    let v = p[(i, self.actions[i])];
                    if v <= 0.0 {
                        return Err(OpeError::Probability {
                            what: "logging propensity of the logged action".into(),
                            row: i,
                            value: v,
                            range: "(0, 1] (the logged action must have been possible)".into(),
                        });
                    }
                }
            }
        }
        match &self.target {
            TargetPolicy::Probs(p) => {
                shape("target policy probabilities", p)?;
                check_distribution("target policy probabilities", p)?;
            }
            TargetPolicy::Arms(a) => {
                for (i, &v) in a.iter().enumerate() {
                    if v >= k {
                        return Err(OpeError::ArmOutOfRange {
                            what: "target policy arm".into(),
                            row: i,
                            arm: v,
                            n_arms: k,
                        });
                    }
                }
            }
        }
        if let Some(q) = &self.q_hat {
            shape("q_hat", q)?;
            for j in 0..k {
                for i in 0..n {
                    let v = q[(i, j)];
                    if !v.is_finite() {
                        return Err(OpeError::NonFinite {
                            what: format!("q_hat column {j}"),
                            row: i,
                            value: v,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_distribution(what: &str, p: &Mat<f64>) -> Result<()> {
    for i in 0..p.nrows() {
        let mut s = 0.0;
        for j in 0..p.ncols() {
            let v = p[(i, j)];
            if !(0.0..=1.0).contains(&v) {
                return Err(OpeError::Probability {
                    what: what.into(),
                    row: i,
                    value: v,
                    range: "[0, 1]".into(),
                });
            }
            s += v;
        }
        if (s - 1.0).abs() > SUM_TOL {
            return Err(OpeError::NotADistribution { what: what.into(), row: i, sum: s });
        }
    }
    Ok(())
}

/// Per-row quantities every estimator is built from.
#[derive(Debug, Clone)]
pub(crate) struct RowData {
    /// Reward.
    pub r: Vec<f64>,
    /// Importance weight `π(a_i|x_i) / π_b(a_i|x_i)`, unclipped.
    pub w: Vec<f64>,
    /// `Σ_a π(a|x_i) q̂(x_i, a)` (empty without q̂).
    pub dm: Vec<f64>,
    /// `q̂(x_i, a_i)` (empty without q̂).
    pub qf: Vec<f64>,
}

impl RowData {
    /// Computes the per-row quantities of a validated input under `target`.
    pub fn build(input: &OpeInput, target: &TargetPolicy) -> RowData {
        let n = input.n();
        let k = input.n_arms();
        let mut w = Vec::with_capacity(n);
        for i in 0..n {
            w.push(target.prob(i, input.actions[i]) / input.logged_propensity(i));
        }
        let (dm, qf) = match &input.q_hat {
            Some(q) => {
                let mut dm = Vec::with_capacity(n);
                let mut qf = Vec::with_capacity(n);
                for i in 0..n {
                    let v = match target {
                        TargetPolicy::Arms(a) => q[(i, a[i])],
                        TargetPolicy::Probs(p) => (0..k).map(|a| p[(i, a)] * q[(i, a)]).sum(),
                    };
                    dm.push(v);
                    qf.push(q[(i, input.actions[i])]);
                }
                (dm, qf)
            }
            None => (Vec::new(), Vec::new()),
        };
        RowData { r: input.rewards.clone(), w, dm, qf }
    }
}

/// Rows where `target` puts mass on arms the logging policy never plays.
#[derive(Debug, Clone, Default)]
pub(crate) struct SupportGap {
    /// Number of such rows.
    pub rows: usize,
    /// First such row and an unsupported arm on it.
    pub first: Option<(usize, usize)>,
}

pub(crate) fn support_gap(input: &OpeInput, target: &TargetPolicy) -> SupportGap {
    let n = input.n();
    let k = input.n_arms();
    let mut gap = SupportGap::default();
    let never_logged: Vec<bool> = match &input.propensity {
        LoggingPropensity::Logged(_) => {
            let mut seen = vec![false; k];
            for &a in &input.actions {
                seen[a] = true;
            }
            seen.into_iter().map(|s| !s).collect()
        }
        LoggingPropensity::Full(_) => vec![false; k],
    };
    for i in 0..n {
        let bad = (0..k).find(|&a| {
            let unsupported = match &input.propensity {
                LoggingPropensity::Logged(_) => never_logged[a],
                LoggingPropensity::Full(p) => p[(i, a)] <= 0.0,
            };
            unsupported && target.prob(i, a) > 0.0
        });
        if let Some(a) = bad {
            gap.rows += 1;
            if gap.first.is_none() {
                gap.first = Some((i, a));
            }
        }
    }
    gap
}
