//! Nie & Wager's R-learner: on rows in arm a or control, with cross-fitted
//! pair propensity π and m̂ = π·μ̂_a + (1 − π)·μ̂_0, regress Ỹ/W̃ on X with
//! weights W̃², Ỹ = Y − m̂, W̃ = 1{W = a} − π.

use super::learner::{FitContext, MetaLearner};
use super::parts::{Parts, Stages};
use crate::Result;
use rayon::prelude::*;
use tp_core::rng::derive_seed;

/// The R-learner.
pub(crate) struct RLearner;

impl MetaLearner for RLearner {
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
                let r: Vec<usize> = rows.iter().copied().filter(|&i| arms[i] == a || arms[i] == 0).collect();
                let mut target = Vec::with_capacity(r.len());
                let mut wt = Vec::with_capacity(r.len());
                for &i in &r {
                    let pi = e[(i, a)] / (e[(i, a)] + e[(i, 0)]);
                    let m = pi * mu[(i, a)] + (1.0 - pi) * mu[(i, 0)];
                    let wres = f64::from(u8::from(arms[i] == a)) - pi;
                    target.push((y[i] - m) / wres);
                    wt.push(wres * wres);
                }
                cx.fit_reg(cx.learners.effect, &r, &target, Some(wt), s)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Parts::Effect(per_arm))
    }
}
