//! The internal trait every meta-learner implements, and what a fit sees:
//! the data, the cross-fitted nuisances, the base learners.

use super::parts::{Parts, Stages};
use crate::Result;
use crate::learner::{ClassifierSpec, FittedReg, RegressorSpec, take_rows};
use faer::Mat;
use tp_core::CausalData;

/// One meta-learner: how it fits its stages. Its file in `meta/` implements
/// this for a unit struct, and one line of the `meta_learners!` list in
/// `meta/mod.rs` registers it (a [`crate::Method`] variant, its name, its module).
pub(crate) trait MetaLearner: Sync {
    /// Whether it needs cross-fitted nuisances ([`crate::Nuisances`]).
    fn needs_nuisances(&self) -> bool {
        false
    }
    /// The kind of fitted stages it returns (checked when a model file is read).
    fn stages(&self) -> Stages;
    /// Fits the stages on the rows `rows` of the data (possibly repeated: a
    /// bootstrap replicate).
    fn fit(&self, cx: &FitContext<'_>, rows: &[usize], seed: u64) -> Result<Parts>;
}

/// The learners a meta-learner uses.
pub(crate) struct Learners<'a> {
    pub outcome: &'a RegressorSpec,
    pub effect: &'a RegressorSpec,
    pub propensity: &'a ClassifierSpec,
}

/// What a meta-learner's fit sees.
pub(crate) struct FitContext<'a> {
    /// The training data.
    pub data: &'a CausalData,
    /// Cross-fitted (propensity `n × K`, outcome `n × K`), when the learner needs them.
    pub nuisances: Option<&'a (Mat<f64>, Mat<f64>)>,
    /// The base learners.
    pub learners: &'a Learners<'a>,
}

impl FitContext<'_> {
    /// The rows of `rows` in arm `a`.
    pub fn rows_of(&self, rows: &[usize], a: usize) -> Vec<usize> {
        let arms = self.data.arms();
        rows.iter().copied().filter(|&i| arms[i] == a).collect()
    }

    /// The data's row weights on `rows`, if it has any.
    pub fn weights_of(&self, rows: &[usize]) -> Option<Vec<f64>> {
        self.data.weights().map(|w| pick(w, rows))
    }

    /// Fits `spec` on the covariates of `rows` to `target`, weighted by the
    /// data's row weights times `extra_w` (either may be absent).
    pub fn fit_reg(
        &self,
        spec: &RegressorSpec,
        rows: &[usize],
        target: &[f64],
        extra_w: Option<Vec<f64>>,
        seed: u64,
    ) -> Result<FittedReg> {
        let w = match (self.weights_of(rows), extra_w) {
            (Some(a), Some(b)) => Some(a.iter().zip(&b).map(|(u, v)| u * v).collect::<Vec<_>>()),
            (a, b) => a.or(b),
        };
        spec.fit(take_rows(self.data.covariates(), rows).as_ref(), target, w.as_deref(), seed)
    }

    /// The cross-fitted nuisances (propensity, outcome); [`super::fit_cate`]
    /// refuses a learner that needs them when they are missing.
    pub fn nuisances(&self) -> &(Mat<f64>, Mat<f64>) {
        self.nuisances.expect("fit_cate checks the nuisances of a learner that needs them")
    }
}

/// `v[i]` for each `i` of `rows`.
pub(crate) fn pick<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| v[i]).collect()
}
