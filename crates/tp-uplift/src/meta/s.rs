//! The S-learner: one outcome model μ̂(x, w) on the covariates plus one
//! indicator column per treated arm; τ̂_a(x) = μ̂(x, e_a) − μ̂(x, 0).

use super::learner::{FitContext, MetaLearner, pick};
use super::parts::{Parts, Stages, augment};
use crate::Result;
use crate::learner::take_rows;

/// The S-learner.
pub(crate) struct SLearner;

impl MetaLearner for SLearner {
    fn stages(&self) -> Stages {
        Stages::Augmented
    }

    fn fit(&self, cx: &FitContext<'_>, rows: &[usize], seed: u64) -> Result<Parts> {
        let data = cx.data;
        let xa = augment(take_rows(data.covariates(), rows).as_ref(), &pick(data.arms(), rows), data.n_arms(), None);
        let w = cx.weights_of(rows);
        Ok(Parts::S(cx.learners.outcome.fit(xa.as_ref(), &pick(data.outcome(), rows), w.as_deref(), seed)?))
    }
}
