//! The logged data and the policy to evaluate, validated once.
//!
//! The log's vectors and matrices are taken as views or owned, as the caller holds them:
//! [`Cow`] slices for rewards, actions and logged propensities, [`ArmMatrix`] for `n × K`
//! matrices (target probabilities, full logging propensities, the reward model). A pipeline
//! that already holds its outcome, actions and q̂ lends them; nothing here copies them.

use crate::error::{OpeError, Result};
use faer::{Mat, MatRef};
use std::borrow::Cow;

/// Tolerance on the row sums of a probability matrix.
const SUM_TOL: f64 = 1e-6;

/// An `n × K` matrix (rows, arms), owned or borrowed: the matrix counterpart of a [`Cow`] slice.
#[derive(Debug, Clone)]
pub enum ArmMatrix<'a> {
    /// Owned by the input.
    Owned(Mat<f64>),
    /// Lent by the caller.
    Borrowed(MatRef<'a, f64>),
}

impl ArmMatrix<'_> {
    /// The matrix as a view.
    pub fn as_ref(&self) -> MatRef<'_, f64> {
        match self {
            ArmMatrix::Owned(m) => m.as_ref(),
            ArmMatrix::Borrowed(m) => *m,
        }
    }

    /// A borrowed view of the same matrix.
    pub fn view(&self) -> ArmMatrix<'_> {
        ArmMatrix::Borrowed(self.as_ref())
    }

    /// Rows.
    pub fn nrows(&self) -> usize {
        self.as_ref().nrows()
    }

    /// Columns (arms).
    pub fn ncols(&self) -> usize {
        self.as_ref().ncols()
    }

    /// The matrix, owned (a copy only when borrowed).
    pub fn into_owned(self) -> Mat<f64> {
        match self {
            ArmMatrix::Owned(m) => m,
            ArmMatrix::Borrowed(m) => m.to_owned(),
        }
    }
}

impl std::ops::Index<(usize, usize)> for ArmMatrix<'_> {
    type Output = f64;
    #[inline]
    fn index(&self, (i, j): (usize, usize)) -> &f64 {
        match self {
            ArmMatrix::Owned(m) => &m[(i, j)],
            ArmMatrix::Borrowed(m) => m.get(i, j),
        }
    }
}

impl From<Mat<f64>> for ArmMatrix<'_> {
    fn from(m: Mat<f64>) -> Self {
        ArmMatrix::Owned(m)
    }
}

impl<'a> From<MatRef<'a, f64>> for ArmMatrix<'a> {
    fn from(m: MatRef<'a, f64>) -> Self {
        ArmMatrix::Borrowed(m)
    }
}

impl<'a> From<&'a Mat<f64>> for ArmMatrix<'a> {
    fn from(m: &'a Mat<f64>) -> Self {
        ArmMatrix::Borrowed(m.as_ref())
    }
}

/// The policy to evaluate, on the logged rows.
#[derive(Debug, Clone)]
pub enum TargetPolicy<'a> {
    /// `π(a | x_i)` for every row `i` and arm `a` (`n × K`, rows sum to 1).
    Probs(ArmMatrix<'a>),
    /// A deterministic policy: the arm it plays on each row.
    Arms(Cow<'a, [usize]>),
}

impl<'a> TargetPolicy<'a> {
    /// `π(a | x_i)` per row and arm, owned or lent.
    pub fn probs(p: impl Into<ArmMatrix<'a>>) -> Self {
        TargetPolicy::Probs(p.into())
    }

    /// The arm played on each row, owned or lent.
    pub fn arms(a: impl Into<Cow<'a, [usize]>>) -> Self {
        TargetPolicy::Arms(a.into())
    }

    /// The policy that plays `arm` on every one of `n` rows (treat-all with
    /// `arm ≥ 1`, treat-none with `arm = 0`).
    pub fn constant(arm: usize, n: usize) -> TargetPolicy<'static> {
        TargetPolicy::Arms(Cow::Owned(vec![arm; n]))
    }

    /// A borrowed view of the same policy.
    pub fn view(&self) -> TargetPolicy<'_> {
        match self {
            TargetPolicy::Probs(p) => TargetPolicy::Probs(p.view()),
            TargetPolicy::Arms(a) => TargetPolicy::Arms(Cow::Borrowed(a)),
        }
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
pub enum LoggingPropensity<'a> {
    /// `π_b(a_i | x_i)`: the probability of the logged action only (length n).
    /// Support of unlogged arms is then judged from the log itself: an arm no
    /// row ever logged counts as never played.
    Logged(Cow<'a, [f64]>),
    /// `π_b(a | x_i)` for every row and arm (`n × K`, rows sum to 1); a zero
    /// entry marks an arm the logging policy never plays on that row.
    Full(ArmMatrix<'a>),
}

impl<'a> LoggingPropensity<'a> {
    /// The probability of the logged action per row, owned or lent.
    pub fn logged(p: impl Into<Cow<'a, [f64]>>) -> Self {
        LoggingPropensity::Logged(p.into())
    }

    /// The probability of every arm per row, owned or lent.
    pub fn full(p: impl Into<ArmMatrix<'a>>) -> Self {
        LoggingPropensity::Full(p.into())
    }

    /// A borrowed view of the same propensities.
    pub fn view(&self) -> LoggingPropensity<'_> {
        match self {
            LoggingPropensity::Logged(p) => LoggingPropensity::Logged(Cow::Borrowed(p)),
            LoggingPropensity::Full(p) => LoggingPropensity::Full(p.view()),
        }
    }
}

/// Logged bandit feedback plus the policy to evaluate.
///
/// Build it with [`OpeInput::new`] and, for model-based estimators, add the
/// reward model with [`OpeInput::with_q_hat`]. [`crate::evaluate`] validates
/// it (shapes, finiteness, probabilities) before anything is computed. Each
/// vector and matrix is owned or lent (`Vec` or slice, `Mat` or `MatRef`).
#[derive(Debug, Clone)]
pub struct OpeInput<'a> {
    /// Observed reward of each logged row.
    pub rewards: Cow<'a, [f64]>,
    /// Arm the logging policy played on each row (`0..K`).
    pub actions: Cow<'a, [usize]>,
    /// The logging policy's propensities.
    pub propensity: LoggingPropensity<'a>,
    /// The policy to evaluate.
    pub target: TargetPolicy<'a>,
    /// Reward model `q̂(x_i, a)` (`n × K`), ideally cross-fitted
    /// (see [`crate::cross_fit_q_hat`]); needed by every estimator but IPW/SNIPW.
    pub q_hat: Option<ArmMatrix<'a>>,
    /// Number of arms K; `None` infers it from the matrices given, else from
    /// the largest arm index seen.
    pub n_arms: Option<usize>,
}

impl<'a> OpeInput<'a> {
    /// A log with rewards, logged actions and the logging propensities, and
    /// the target policy; no reward model yet.
    pub fn new(
        rewards: impl Into<Cow<'a, [f64]>>,
        actions: impl Into<Cow<'a, [usize]>>,
        propensity: LoggingPropensity<'a>,
        target: TargetPolicy<'a>,
    ) -> OpeInput<'a> {
        OpeInput {
            rewards: rewards.into(),
            actions: actions.into(),
            propensity,
            target,
            q_hat: None,
            n_arms: None,
        }
    }

    /// Adds the reward model `q̂` (`n × K`), owned or lent.
    pub fn with_q_hat(mut self, q_hat: impl Into<ArmMatrix<'a>>) -> OpeInput<'a> {
        self.q_hat = Some(q_hat.into());
        self
    }

    /// Sets the number of arms explicitly.
    pub fn with_n_arms(mut self, k: usize) -> OpeInput<'a> {
        self.n_arms = Some(k);
        self
    }

    /// The same log with another target policy, borrowing everything else (no copy of the
    /// rewards, actions, propensities or q̂).
    pub fn with_target<'b>(&'b self, target: TargetPolicy<'b>) -> OpeInput<'b> {
        OpeInput {
            rewards: Cow::Borrowed(&self.rewards),
            actions: Cow::Borrowed(&self.actions),
            propensity: self.propensity.view(),
            target,
            q_hat: self.q_hat.as_ref().map(ArmMatrix::view),
            n_arms: self.n_arms,
        }
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
        let shape = |what: &str, m: &ArmMatrix<'_>| -> Result<()> {
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

fn check_distribution(what: &str, p: &ArmMatrix<'_>) -> Result<()> {
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
pub(crate) struct RowData<'a> {
    /// Reward (the input's own).
    pub r: &'a [f64],
    /// Importance weight `π(a_i|x_i) / π_b(a_i|x_i)`, unclipped.
    pub w: Vec<f64>,
    /// `Σ_a π(a|x_i) q̂(x_i, a)` (empty without q̂).
    pub dm: Vec<f64>,
    /// `q̂(x_i, a_i)` (empty without q̂).
    pub qf: Vec<f64>,
}

impl RowData<'_> {
    /// Computes the per-row quantities of a validated input under `target`.
    pub fn build<'a>(input: &'a OpeInput<'_>, target: &TargetPolicy<'_>) -> RowData<'a> {
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
        RowData { r: &input.rewards, w, dm, qf }
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

pub(crate) fn support_gap(input: &OpeInput<'_>, target: &TargetPolicy<'_>) -> SupportGap {
    let n = input.n();
    let k = input.n_arms();
    let mut gap = SupportGap::default();
    let never_logged: Vec<bool> = match &input.propensity {
        LoggingPropensity::Logged(_) => {
            let mut seen = vec![false; k];
            for &a in input.actions.iter() {
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
