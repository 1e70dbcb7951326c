//! The T-learner: one outcome model μ̂_a per arm; τ̂_a = μ̂_a − μ̂_0.

use super::learner::{FitContext, MetaLearner, pick};
use super::parts::{Parts, Stages};
use crate::Result;
use rayon::prelude::*;
use tp_core::rng::derive_seed;

/// The T-learner.
pub(crate) struct TLearner;

impl MetaLearner for TLearner {
    fn stages(&self) -> Stages {
        Stages::PerArm
    }

    fn fit(&self, cx: &FitContext<'_>, rows: &[usize], seed: u64) -> Result<Parts> {
        let y = cx.data.outcome();
        let mu = (0..cx.data.n_arms())
            .into_par_iter()
            .map(|a| {
                let r = cx.rows_of(rows, a);
                cx.fit_reg(cx.learners.outcome, &r, &pick(y, &r), None, derive_seed(seed, a as u64))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Parts::T(mu))
    }
}
