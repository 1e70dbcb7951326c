//! Kennedy's DR-learner: regress the cross-fitted AIPW contrast Γ(a) − Γ(0)
//! on X, all rows.

use super::learner::{FitContext, MetaLearner};
use super::parts::{Parts, Stages};
use crate::Result;
use rayon::prelude::*;
use tp_core::rng::derive_seed;

/// The DR-learner.
pub(crate) struct DrLearner;

impl MetaLearner for DrLearner {
    fn needs_nuisances(&self) -> bool {
        true
    }

    fn stages(&self) -> Stages {
        Stages::Effect
    }

    fn fit(&self, cx: &FitContext<'_>, rows: &[usize], seed: u64) -> Result<Parts> {
        let (y, arms) = (cx.data.outcome(), cx.data.arms());
        let (e, mu) = cx.nuisances();
        let per_arm = (1..cx.data.n_arms())
            .into_par_iter()
            .map(|a| {
                let s = derive_seed(seed, 200 + a as u64);
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
                cx.fit_reg(cx.learners.effect, rows, &target, None, s)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Parts::Effect(per_arm))
    }
}
