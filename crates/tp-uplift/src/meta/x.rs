//! Künzel et al.'s X-learner: T-stage models; imputed effects
//! D¹ = Y − μ̂_0(X) on arm-a rows and D⁰ = μ̂_a(X) − Y on control rows; effect
//! models τ̂¹, τ̂⁰ on them; τ̂_a = g·τ̂⁰ + (1 − g)·τ̂¹ with g(x) = P(W = a | x,
//! W ∈ {0, a}) from a propensity model fitted on those rows.

use super::learner::{FitContext, MetaLearner, pick};
use super::parts::{Parts, Stages};
use crate::Result;
use crate::learner::take_rows;
use rayon::prelude::*;
use tp_core::rng::derive_seed;

/// The X-learner.
pub(crate) struct XLearner;

impl MetaLearner for XLearner {
    fn stages(&self) -> Stages {
        Stages::Blend
    }

    fn fit(&self, cx: &FitContext<'_>, rows: &[usize], seed: u64) -> Result<Parts> {
        let (x, y, arms, l) = (cx.data.covariates(), cx.data.outcome(), cx.data.arms(), cx.learners);
        let control = cx.rows_of(rows, 0);
        let mu0 = cx.fit_reg(l.outcome, &control, &pick(y, &control), None, derive_seed(seed, 0))?;
        let xc = take_rows(x, &control);
        let per_arm = (1..cx.data.n_arms())
            .into_par_iter()
            .map(|a| {
                let s = derive_seed(seed, 100 + a as u64);
                let treated = cx.rows_of(rows, a);
                // the treated rows' copy lives only while mu0 predicts on it (each later fit
                // copies its own rows): one copy of the covariates fewer at the peak
                let d1: Vec<f64> = mu0
                    .predict(take_rows(x, &treated).as_ref())?
                    .iter()
                    .zip(&treated)
                    .map(|(m, &i)| y[i] - m)
                    .collect();
                let mua = cx.fit_reg(l.outcome, &treated, &pick(y, &treated), None, derive_seed(s, 1))?;
                let d0: Vec<f64> =
                    mua.predict(xc.as_ref())?.iter().zip(&control).map(|(m, &i)| m - y[i]).collect();
                let tau1 = cx.fit_reg(l.effect, &treated, &d1, None, derive_seed(s, 2))?;
                let tau0 = cx.fit_reg(l.effect, &control, &d0, None, derive_seed(s, 3))?;
                let mut both: Vec<usize> = treated.iter().chain(&control).copied().collect();
                both.sort_unstable();
                let d: Vec<f64> = both.iter().map(|&i| f64::from(u8::from(arms[i] == a))).collect();
                let g = l.propensity.fit(take_rows(x, &both).as_ref(), &d, derive_seed(s, 4))?;
                Ok((tau1, tau0, g))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Parts::X(per_arm))
    }
}
