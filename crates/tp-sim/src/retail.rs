//! The retail preset's two-pass generator.

use rand::Rng;
use rayon::prelude::*;
use tp_core::rng::{derive_seed_str, stream};

use crate::assign::{self, Assignment};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::household::{Household, Line};
use crate::retail_params::RetailParams;
use crate::world::{self, HouseholdOutcome, RetailWorld};

impl RetailParams {
    /// Generates the world: validates, draws the catalog, simulates every
    /// household's pre-period in parallel, assigns arms from the pre-period
    /// covariates, then simulates the outcome window under the received arm.
    /// Output is identical at any thread count.
    pub fn generate(&self) -> Result<RetailWorld> {
        self.validate()?;
        let (n, weeks, mailing, n_arms) = (self.customers, self.weeks, self.mailing_week(), self.arms);
        let catalog = Catalog::generate(&mut stream(derive_seed_str(self.seed, "catalog"), 0), weeks);

        // Pass 1: households and their pre-period.
        let hh_seed = derive_seed_str(self.seed, "households");
        let pre: Vec<(Household, Vec<Line>)> = (0..n)
            .into_par_iter()
            .map(|h| {
                let mut rng = stream(hh_seed, h as u64);
                let mut hh = Household::draw(&mut rng, mailing, n_arms);
                let mut lines = Vec::new();
                hh.shop(&mut rng, &catalog, &hh.chooser(&catalog), 1..=mailing, 0.0, &mut lines);
                (hh, lines)
            })
            .collect();
        let summaries: Vec<world::PreSummary> =
            pre.iter().map(|(_, lines)| world::PreSummary::of(lines, mailing)).collect();

        // Assignment from pre-period covariates only.
        let z = assignment_score(&summaries);
        let (p_treat, randomized) = match self.assignment {
            Assignment::CurrentPractice { target_auc, treated_share } => {
                (assign::current_practice(&z, target_auc, treated_share)?, false)
            }
            Assignment::Randomized { treated_share } => (vec![treated_share; n], true),
        };
        let probs = assign::arm_probabilities(&p_treat, &z, n_arms, randomized);

        // Pass 2: the arm, the outcome window under it, the analytic potential outcomes.
        let (assign_seed, window_seed) =
            (derive_seed_str(self.seed, "assignment"), derive_seed_str(self.seed, "window"));
        let window = mailing + 1..=weeks;
        let outcomes: Vec<HouseholdOutcome> = pre
            .into_par_iter()
            .zip(summaries)
            .zip(probs)
            .enumerate()
            .map(|(h, (((mut hh, mut lines), pre), propensity))| {
                let u: f64 = stream(assign_seed, h as u64).random();
                let mut arm = n_arms - 1;
                let mut acc = 0.0;
                for (k, p) in propensity.iter().enumerate() {
                    acc += p;
                    if u < acc {
                        arm = k;
                        break;
                    }
                }
                let n_pre = lines.len();
                let delta = hh.delta[arm];
                let chooser = hh.chooser(&catalog);
                hh.shop(
                    &mut stream(window_seed, h as u64),
                    &catalog,
                    &chooser,
                    window.clone(),
                    delta,
                    &mut lines,
                );
                let outcome = lines[n_pre..].iter().map(|l| l.value).sum();
                let mu = hh
                    .delta
                    .iter()
                    .map(|&d| hh.expected_spend(&catalog, &chooser, window.clone(), d))
                    .collect();
                HouseholdOutcome { household: hh, lines, pre, propensity, arm, outcome, mu }
            })
            .collect();
        world::assemble(self.clone(), &catalog, outcomes)
    }
}

/// The current-practice score: standardized log pre-period spend, total and
/// last 12 weeks, re-standardized.
fn assignment_score(summaries: &[world::PreSummary]) -> Vec<f64> {
    let a = standardize(summaries.iter().map(|s| s.spend.ln_1p()).collect());
    let b = standardize(summaries.iter().map(|s| s.spend_last12.ln_1p()).collect());
    standardize(a.iter().zip(&b).map(|(x, y)| x + 0.3 * y).collect())
}

fn standardize(x: Vec<f64>) -> Vec<f64> {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
    let sd = if sd > 0.0 { sd } else { 1.0 };
    x.into_iter().map(|v| (v - m) / sd).collect()
}
