//! Policy learners, judged and chosen by nested cross-fitting.
//!
//! A policy learned from doubly robust (DR) scores and priced on the same
//! scores looks better than it is: the learner has fit the scores' noise.
//! [`learn_policy`] therefore prices every candidate *out of fold*: the rows
//! are split into `folds` folds; each candidate is learned on the other folds
//! (its cut-off, its tree) and assigns the held-out fold; the held-out rows'
//! DR scores price those arms. Every row is priced once, by a policy that
//! never saw its score, so the totals are honest and their standard errors
//! (`sd·√n` of the per-row terms, and paired for differences) are valid.
//!
//! The candidates, most conservative first:
//!
//! | name | learns on the training rows |
//! |---|---|
//! | `treat_none` | nothing |
//! | `column` | the one-column rule "treat the top share of one covariate" (shares 10–50%, either direction, over every covariate it is given) whose group has the highest plug-in profit `Σ(m·τ̂ − c)`: the rule a marketer would write by hand, with the effect model choosing the column and the share (priced by `auto`, shipped on request: see below) |
//! | `risk` | nothing: the threshold rule on `CE(λ) = (1 − λ)·τ̂ + λ·LB`, effects discounted by their uncertainty |
//! | `threshold` | nothing: the arm of highest net value `m·τ̂ − c` when positive |
//! | `rank` | the cut-off on the ranking by net value `m·τ̂ − c` where the DR profit curve peaks (this corrects a forest's shrinkage of `τ̂` toward the mean) |
//! | `tree_depth_1`, `tree_depth_2` | exact policy trees over the given (screened) covariates, leaves of at least `min_leaf_share` of the rows, fit on the plug-in rewards `m·τ̂ − c` shifted by the `rank` cut-off: an interpretable summary of the ranking and its cross-fitted share (fit on raw DR rewards at poor overlap they chase a few extreme-weight rows and lost money in 14 of 20 simulated retail worlds; see docs/demo-quality.md) |
//!
//! | `treat_all` | the single arm of highest DR profit |
//!
//! plus `current_practice` (the logged propensities, priced on all rows) as
//! a reference that is never chosen.
//!
//! **The one-column rule is priced, not chosen, by default.** At a few
//! thousand rows, noisy outcomes and poor overlap, an effect model's τ̂
//! ranks customers only roughly and its level is shrunk toward the mean
//! effect, so both the break-even threshold and any cut-off read off the DR
//! scores are noisy. A group's *total* plug-in profit averages that noise
//! over hundreds of rows, so choosing among a few dozen coarse groups ("the
//! 20% most deal-prone") is far more stable than choosing row by row, and
//! the result is a rule a marketer can read and check. The column rule
//! treats its best group even when its plug-in profit is negative (the
//! model picks *whom*, the held-out DR profit *whether*), so unlike the
//! threshold rules it cannot shrink itself to nobody when τ̂ is flat: where
//! τ̂ ranks by a spurious column, it treats a whole wrong group. In the
//! simulated retail world (50 seeds) it raised the learner's mean true
//! profit from 0.44× to 0.61× the covariate ceiling as an `auto` candidate,
//! and lost money on 2 seeds where τ̂ pointed at a spurious column (−149%
//! and −68% of the oracle); neither the BLP slope, the R-loss against a
//! constant effect, the agreement of the folds' choices nor a significance
//! bar on its held-out profit singled those seeds out without giving the
//! gain back (docs/demo-quality.md, session 8). So `auto` prices it and
//! shows it, and ships it only under `learner = column`.
//!
//! **Selection.** Among the candidates the learner may choose from, the one
//! with the highest held-out profit wins — unless a more conservative rule is
//! within `margin_se` paired standard errors of it, in which case the most
//! conservative such rule is chosen (the k-standard-error rule, default two
//! SEs; it also absorbs the optimism of picking the best of several noisy
//! totals). When the rule so chosen earns nothing out of fold, nobody is
//! treated. The winner is then refit on all rows.
//!
//! Why two SEs: at poor overlap (logged propensities near 0 or 1) a DR total
//! is heavy-tailed and its SE understates how far it can miss. In the
//! simulated retail world (propensity AUC 0.9, 20 seeds) the held-out DR
//! profit of the aggressive rules missed their true profit by three SEs on
//! some seeds; with one SE the learner picked them and lost money on two of
//! 20 seeds, with two SEs it kept the risk-adjusted rule and lost none
//! (docs/demo-quality.md).
//!
//! **An honest value.** Choosing by held-out profit makes the winner's
//! held-out profit optimistic again. The value stated for the chosen policy,
//! [`Selection::profit_oof`], is therefore that of the whole *procedure*:
//! inside each outer fold's training rows the choice is made by an inner
//! cross-fit, and the chosen candidate, learned on those training rows,
//! assigns the held-out fold. Nothing about a held-out row's score enters
//! the policy that prices it.
//!
//! What ships, though, is the winner refit on *all* rows, and the outer
//! folds need not have chosen it: at weak evidence some folds pick treating
//! nobody and others a rule, so the procedure's value can be exactly 0
//! while the shipped rule treats customers. Two held-out figures bear on the
//! shipped rule: the procedure's (honest about the choice, but of policies
//! that differ from it) and the chosen rule's own cross-fitted value (the
//! same rule, but optimistic by the choice). The stated interval spans
//! both intervals; the estimate stays the procedure's. Where the two
//! agree this adds nothing; where they disagree, the interval says so.
//!
//! `τ̂` and its lower bounds must themselves be out of sample for each row
//! (a forest's out-of-bag estimates, a meta-learner's out-of-fold ones), and
//! the DR scores cross-fitted; the policy choices on top of them are what
//! this module cross-fits.

use crate::economics::Economics;
use crate::economics::EconomicsExt;
use crate::error::{PolicyError, Result, check_shape};
use crate::rules::{rank_descending, risk_adjusted};
use crate::tree::{PolicyTree, PolicyTreeParams};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};

/// Which policy the pipeline ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PolicyLearner {
    /// Choose among every candidate by held-out profit, with the k-SE rule (default).
    #[default]
    Auto,
    /// The break-even threshold on `τ̂`.
    Threshold,
    /// The ranking by `τ̂` with a cross-fitted share.
    Rank,
    /// The better of the depth-1 and depth-2 policy trees (k-SE rule).
    Tree,
    /// The threshold rule on the risk-adjusted `CE(λ)`.
    Risk,
    /// The one-column rule: the top share of one covariate.
    Column,
}

impl PolicyLearner {
    /// The config word.
    pub fn name(self) -> &'static str {
        match self {
            PolicyLearner::Auto => "auto",
            PolicyLearner::Threshold => "threshold",
            PolicyLearner::Rank => "rank",
            PolicyLearner::Tree => "tree",
            PolicyLearner::Risk => "risk",
            PolicyLearner::Column => "column",
        }
    }
}

/// One candidate policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Candidate {
    /// Nobody treated.
    TreatNone,
    /// The top share (10–50%) of one covariate, the one whose group has the highest plug-in
    /// profit `Σ(m·τ̂ − c)`: a marketer's rule, chosen by the effect model.
    Column,
    /// Threshold on `CE(λ)`: the break-even rule on effects discounted by their uncertainty.
    Risk,
    /// Break-even threshold on `τ̂`.
    Threshold,
    /// Ranking by `τ̂`, share from the DR profit curve.
    Rank,
    /// Exact depth-1 policy tree.
    TreeDepth1,
    /// Exact depth-2 policy tree.
    TreeDepth2,
    /// Everybody on one arm.
    TreatAll,
}

impl Candidate {
    /// Whether the rule itself is learned from the DR scores (a cut-off or splits chosen by DR
    /// profit), not only priced by them.
    pub fn learned_from_dr(self) -> bool {
        matches!(self, Candidate::Rank | Candidate::TreeDepth1 | Candidate::TreeDepth2)
    }

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Candidate::TreatNone => "treat_none",
            Candidate::Column => "column",
            Candidate::TreatAll => "treat_all",
            Candidate::Threshold => "threshold",
            Candidate::Risk => "risk",
            Candidate::Rank => "rank",
            Candidate::TreeDepth1 => "tree_depth_1",
            Candidate::TreeDepth2 => "tree_depth_2",
        }
    }

    /// Every candidate, most conservative first: the order of the k-SE preference.
    pub const ALL: [Candidate; 8] = [
        Candidate::TreatNone,
        Candidate::Column,
        Candidate::Risk,
        Candidate::Threshold,
        Candidate::Rank,
        Candidate::TreeDepth1,
        Candidate::TreeDepth2,
        Candidate::TreatAll,
    ];
}

/// Settings of [`learn_policy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnParams {
    /// The economics.
    pub economics: Economics,
    /// Which candidates may be chosen (default [`PolicyLearner::Auto`]: all).
    pub learner: PolicyLearner,
    /// Outer folds (default 5).
    pub folds: usize,
    /// Inner folds of the nested choice (default 4).
    pub inner_folds: usize,
    /// A simpler candidate within this many paired SEs of the best is chosen (default 2).
    pub margin_se: f64,
    /// Smallest leaf of a policy tree, as a share of the rows it is fit on (default 0.10).
    pub min_leaf_share: f64,
    /// `λ` of the risk candidate (default 0.3: in the simulated retail world, 30 seeds, the
    /// smallest λ on the grid 0.25, 0.3, …, 0.5 with no losing seed; 0.25 lost on one seed
    /// where the forest's τ̂ barely correlates with the truth, 0.5 earned a fifth less).
    pub risk_lambda: f64,
    /// Coverage of the stated interval of the chosen policy's profit (default 0.9).
    pub level: f64,
    /// Under [`PolicyLearner::Auto`], the candidates whose rule is itself learned from the DR
    /// scores (`rank` and the trees: a cut-off or splits chosen by DR profit) may be shipped only
    /// when at least this share of the rows has propensities in [0.1, 0.9]
    /// ([`LearnInputs::overlap_share`]); otherwise they are priced and shown but not eligible.
    /// Default 0.9. At poor overlap a DR total is heavy-tailed and its SE understates how far it
    /// can miss: in the simulated retail world (71% of rows in the band) `rank` beat the risk
    /// rule by 2.8 paired SEs out of fold on one seed at n = 10,000 and truly lost $23k against it.
    pub min_overlap_dr: f64,
    /// Seed of the fold splits.
    pub seed: u64,
}

impl LearnParams {
    /// Defaults for these economics: auto, 5 outer and 4 inner folds, the two-SE rule,
    /// leaves ≥ 10 %, λ = 0.3, 90 % intervals, seed 0.
    pub fn new(economics: Economics) -> Self {
        LearnParams {
            economics,
            learner: PolicyLearner::Auto,
            folds: 5,
            inner_folds: 4,
            margin_se: 2.0,
            min_leaf_share: 0.10,
            risk_lambda: 0.3,
            level: 0.9,
            min_overlap_dr: 0.9,
            seed: 0,
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |name: &str, value: f64, expected: &str| {
            Err(PolicyError::Parameter { name: name.into(), value, expected: expected.into() })
        };
        if self.folds < 2 {
            return bad("policy folds", self.folds as f64, "at least 2");
        }
        if self.inner_folds < 2 {
            return bad("policy inner folds", self.inner_folds as f64, "at least 2");
        }
        if !(self.margin_se >= 0.0 && self.margin_se.is_finite()) {
            return bad(
                "selection margin (SE)",
                self.margin_se,
                "a finite number of standard errors ≥ 0, e.g. 1",
            );
        }
        if !(0.0..0.5).contains(&self.min_leaf_share) {
            return bad(
                "minimum leaf share",
                self.min_leaf_share,
                "a share of the rows in [0, 0.5), e.g. 0.1",
            );
        }
        if !(0.0..=1.0).contains(&self.risk_lambda) {
            return bad("risk lambda", self.risk_lambda, "a weight in [0, 1], e.g. 0.5");
        }
        if !(0.0..=1.0).contains(&self.min_overlap_dr) {
            return bad("minimum overlap share", self.min_overlap_dr, "a share in [0, 1], e.g. 0.9");
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return bad("interval level", self.level, "a coverage in (0, 1), e.g. 0.9");
        }
        Ok(())
    }
}

/// What [`learn_policy`] learns from.
#[derive(Debug, Clone, Copy)]
pub struct LearnInputs<'a> {
    /// Out-of-sample effect estimates `τ̂` (`n × (K − 1)`).
    pub tau: MatRef<'a, f64>,
    /// Their lower confidence bounds (same shape), for the risk candidate.
    pub lower: Option<MatRef<'a, f64>>,
    /// Cross-fitted AIPW scores `Γ` (`n × K`, control first).
    pub gamma: MatRef<'a, f64>,
    /// Covariates of the policy trees (`n × p`; screen them to a few first).
    pub covariates: Option<MatRef<'a, f64>>,
    /// Their names.
    pub feature_names: Option<&'a [String]>,
    /// Current practice's probability of each arm (`n × K`), for the reference row.
    pub current: Option<MatRef<'a, f64>>,
    /// Covariates of the one-column rules (`n × q`, unscreened: every column a marketer could
    /// target by), with [`LearnInputs::column_names`].
    pub columns: Option<MatRef<'a, f64>>,
    /// Their names.
    pub column_names: Option<&'a [String]>,
    /// Share of the rows whose propensities (those behind `gamma`) lie in [0.1, 0.9]; `None`
    /// when unknown, taken as full overlap. See [`LearnParams::min_overlap_dr`].
    pub overlap_share: Option<f64>,
}

/// One candidate's held-out result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateReport {
    /// Name (`treat_none`, `rank`, …, or `current_practice`).
    pub name: String,
    /// Held-out DR profit: every row priced by the candidate learned without its fold (currency).
    pub profit: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower end of the interval at the selection's level.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Share of rows the held-out assignments treat.
    pub share_treated: f64,
    /// Held-out profit minus the chosen candidate's, on the same rows.
    pub vs_chosen: f64,
    /// Paired standard error of that difference.
    pub vs_chosen_se: f64,
    /// Whether the learner could choose it (`current_practice` is a reference only).
    pub eligible: bool,
    /// The rule learned on all rows, in words, where it has a simple form (the column rule:
    /// "the 20% with the highest pre_promo_share").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// A stated profit with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProfitInterval {
    /// Point estimate (currency, total over the rows).
    pub estimate: f64,
    /// Standard error.
    pub se: f64,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Coverage of `[lo, hi]`.
    pub level: f64,
}

/// The chosen policy and the evidence for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The chosen candidate refit on all rows: one arm per row.
    pub assignment: Vec<usize>,
    /// The chosen candidate.
    pub chosen: Candidate,
    /// Every candidate's held-out profit, simplest first, then `current_practice`.
    pub candidates: Vec<CandidateReport>,
    /// The honest value of the shipped procedure: nested cross-fitted held-out profit (exactly 0
    /// when nobody is treated); its interval also spans the chosen rule's own held-out interval.
    pub profit_oof: ProfitInterval,
    /// The chosen policy priced on the rows it was learned from (optimistic).
    pub profit_in_sample: ProfitInterval,
    /// Why this candidate, in words.
    pub reason: String,
    /// The refit tree, when a tree was chosen.
    pub tree: Option<PolicyTree>,
}

/// A fitted candidate: the rule it applies to new rows.
enum Fitted {
    Arm(usize),
    /// Treat with the best arm when its net value clears `cutoff` (strictly, for the threshold rules).
    Net {
        cutoff: f64,
        strict: bool,
        risk: bool,
    },
    Tree(PolicyTree),
    /// Treat with `arm` the rows whose `sign · x[column] ≥ cut`.
    Column {
        column: usize,
        sign: f64,
        cut: f64,
        arm: usize,
        share: f64,
    },
}

/// The treated shares a one-column rule may take.
pub const COLUMN_SHARES: [f64; 5] = [0.1, 0.2, 0.3, 0.4, 0.5];

struct Ctx<'a> {
    params: &'a LearnParams,
    /// DR rewards `m·D − c` (control 0): what prices every candidate.
    rewards: Mat<f64>,
    /// Plug-in rewards `m·τ̂ − c`: what the trees are fit on.
    tree_rewards: Mat<f64>,
    /// Best arm and its net value by `τ̂`.
    arm: Vec<usize>,
    net: Vec<f64>,
    /// Best arm and net value by `CE(λ)`, when bounds are given.
    risk: Option<(Vec<usize>, Vec<f64>)>,
    x: Option<MatRef<'a, f64>>,
    columns: Option<MatRef<'a, f64>>,
}

impl<'a> Ctx<'a> {
    /// Checks the inputs and precomputes the rewards and each row's best arm.
    fn new(params: &'a LearnParams, inputs: &LearnInputs<'a>) -> Result<Self> {
        params.check()?;
        let econ = &params.economics;
        econ.check_effects("effects", inputs.tau)?;
        let n = inputs.tau.nrows();
        check_shape("doubly robust scores", inputs.gamma, n, econ.n_arms())?;
        let scores = crate::curve::effect_scores(inputs.gamma)?;
        let (arm, net) = econ.best_treatment(inputs.tau);
        let risk = match inputs.lower {
            Some(lb) => {
                check_shape("lower bounds", lb, n, econ.n_arms() - 1)?;
                let ce = risk_adjusted(inputs.tau, lb, params.risk_lambda)?;
                Some(econ.best_treatment(ce.as_ref()))
            }
            None => None,
        };
        // covariates: one row per effect row, every value finite
        let check_rows = |what: &str, x: Option<MatRef<'_, f64>>| -> Result<()> {
            let Some(x) = x else { return Ok(()) };
            if x.nrows() != n {
                return Err(PolicyError::Shape {
                    what: what.into(),
                    expected: format!("{n} rows"),
                    got: format!("{} rows", x.nrows()),
                });
            }
            crate::error::check_finite(what, x)
        };
        check_rows("tree covariates", inputs.covariates)?;
        check_rows("one-column rule covariates", inputs.columns)?;
        if let Some(p) = inputs.current {
            check_shape("current practice probabilities", p, n, econ.n_arms())?;
        }
        Ok(Ctx {
            params,
            rewards: econ.rewards(scores.as_ref()),
            tree_rewards: econ.rewards(inputs.tau),
            arm,
            net,
            risk,
            x: inputs.covariates,
            columns: inputs.columns,
        })
    }
}

impl Ctx<'_> {
    fn available(&self, c: Candidate) -> bool {
        match c {
            Candidate::Risk => self.risk.is_some(),
            Candidate::TreeDepth1 | Candidate::TreeDepth2 => self.x.is_some_and(|x| x.ncols() > 0),
            Candidate::Column => self.columns.is_some_and(|x| x.ncols() > 0),
            _ => true,
        }
    }

    fn fit(&self, c: Candidate, rows: &[usize]) -> Result<Fitted> {
        Ok(match c {
            Candidate::TreatNone => Fitted::Arm(0),
            Candidate::TreatAll => {
                let k = self.rewards.ncols();
                let mut best = (1, f64::NEG_INFINITY);
                for a in 1..k {
                    let v: f64 = rows.iter().map(|&i| self.rewards[(i, a)]).sum();
                    if v > best.1 {
                        best = (a, v);
                    }
                }
                Fitted::Arm(best.0)
            }
            Candidate::Threshold => Fitted::Net { cutoff: 0.0, strict: true, risk: false },
            Candidate::Risk => Fitted::Net { cutoff: 0.0, strict: true, risk: true },
            Candidate::Rank => Fitted::Net { cutoff: self.rank_cutoff(rows), strict: false, risk: false },
            Candidate::Column => self.column_rule(rows),
            Candidate::TreeDepth1 | Candidate::TreeDepth2 => {
                let x = self.x.expect("trees are available only with covariates");
                let depth = if c == Candidate::TreeDepth1 { 1 } else { 2 };
                let min_leaf = ((self.params.min_leaf_share * rows.len() as f64).ceil() as usize).max(1);
                let xt = Mat::from_fn(rows.len(), x.ncols(), |r, j| x[(rows[r], j)]);
                // the plug-in rewards shifted by the rank candidate's cut-off: the tree summarizes
                // "rank by τ̂, treat down to where the DR profit curve peaks"
                let cutoff = self.rank_cutoff(rows);
                if !cutoff.is_finite() {
                    return Ok(Fitted::Arm(0));
                }
                let rt = Mat::from_fn(rows.len(), self.tree_rewards.ncols(), |r, a| {
                    if a == 0 { 0.0 } else { self.tree_rewards[(rows[r], a)] - cutoff }
                });
                Fitted::Tree(
                    PolicyTreeParams::new(depth).min_node_size(min_leaf).fit(xt.as_ref(), rt.as_ref())?,
                )
            }
        })
    }

    /// The one-column rule learned on `rows`: over every column, both directions and the shares
    /// of [`COLUMN_SHARES`], the group "the top share by this column" (its cut the training rows'
    /// quantile; ties may enlarge it, by at most 15 points) and its best arm by the plug-in
    /// rewards `m·τ̂ − c`; the group and arm with the highest plug-in profit win (ties: the first
    /// column, the higher direction, the smaller share). It treats its group even when that
    /// profit is negative: the effect model picks *whom*, the held-out DR profit decides
    /// *whether* (a shrunk τ̂ understates the level, see the module docs).
    fn column_rule(&self, rows: &[usize]) -> Fitted {
        let x = self.columns.expect("the column rule is available only with covariates");
        let k = self.tree_rewards.ncols();
        let mut best: Option<(f64, Fitted)> = None;
        let mut v = vec![0.0; rows.len()];
        for column in 0..x.ncols() {
            for sign in [1.0, -1.0] {
                for (r, &i) in rows.iter().enumerate() {
                    v[r] = sign * x[(i, column)];
                }
                let mut sorted = v.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                for share in COLUMN_SHARES {
                    let at = ((share * rows.len() as f64).ceil() as usize).clamp(1, rows.len()) - 1;
                    let cut = sorted[at];
                    let members: Vec<usize> =
                        rows.iter().zip(&v).filter(|&(_, &vi)| vi >= cut).map(|(&i, _)| i).collect();
                    if members.len() as f64 > (share + 0.15) * rows.len() as f64 {
                        continue;
                    }
                    for arm in 1..k {
                        let value: f64 = members.iter().map(|&i| self.tree_rewards[(i, arm)]).sum();
                        if best.as_ref().is_none_or(|(b, _)| value > *b) {
                            best = Some((value, Fitted::Column { column, sign, cut, arm, share }));
                        }
                    }
                }
            }
        }
        best.map_or(Fitted::Arm(0), |(_, f)| f)
    }

    /// The net value down to which the DR profit curve of the ranking by net value peaks on
    /// `rows` (`+∞`: it peaks at nobody).
    fn rank_cutoff(&self, rows: &[usize]) -> f64 {
        let net: Vec<f64> = rows.iter().map(|&i| self.net[i]).collect();
        let order = rank_descending(&net);
        let (mut sum, mut best, mut best_k) = (0.0, 0.0, 0usize);
        for (k, &r) in order.iter().enumerate() {
            let i = rows[r];
            sum += self.rewards[(i, self.arm[i])];
            if sum > best {
                best = sum;
                best_k = k + 1;
            }
        }
        if best_k == 0 { f64::INFINITY } else { net[order[best_k - 1]] }
    }

    fn assign(&self, f: &Fitted, rows: &[usize]) -> Result<Vec<usize>> {
        Ok(match f {
            Fitted::Arm(a) => vec![*a; rows.len()],
            Fitted::Net { cutoff, strict, risk } => {
                let (arm, net) = match (risk, &self.risk) {
                    (true, Some((a, v))) => (a, v),
                    _ => (&self.arm, &self.net),
                };
                rows.iter()
                    .map(|&i| {
                        if (*strict && net[i] > *cutoff) || (!*strict && net[i] >= *cutoff) {
                            arm[i]
                        } else {
                            0
                        }
                    })
                    .collect()
            }
            Fitted::Tree(t) => {
                let x = self.x.expect("trees are available only with covariates");
                t.predict(Mat::from_fn(rows.len(), x.ncols(), |r, j| x[(rows[r], j)]).as_ref())?
            }
            Fitted::Column { column, sign, cut, arm, .. } => {
                let x = self.columns.expect("the column rule is available only with covariates");
                rows.iter().map(|&i| if sign * x[(i, *column)] >= *cut { *arm } else { 0 }).collect()
            }
        })
    }

    /// Held-out assignments of each candidate in `pool` over `rows`, split into `k` folds.
    fn cross_fit(&self, pool: &[Candidate], rows: &[usize], k: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
        let split = folds(rows.len(), k, seed)?;
        let mut out = vec![vec![0usize; rows.len()]; pool.len()];
        for f in 0..split.k() {
            let train: Vec<usize> = split.train(f).iter().map(|&r| rows[r]).collect();
            let test_pos = split.test(f);
            let test: Vec<usize> = test_pos.iter().map(|&r| rows[r]).collect();
            for (c, &cand) in pool.iter().enumerate() {
                let fitted = self.fit(cand, &train)?;
                for (&p, a) in test_pos.iter().zip(self.assign(&fitted, &test)?) {
                    out[c][p] = a;
                }
            }
        }
        Ok(out)
    }

    fn terms(&self, rows: &[usize], arms: &[usize]) -> Vec<f64> {
        rows.iter().zip(arms).map(|(&i, &a)| self.rewards[(i, a)]).collect()
    }

    /// The choice among `pool` (most conservative first) given their per-row held-out terms:
    /// the best by held-out profit, unless a more conservative rule is within `margin_se`
    /// paired SEs of it — then the most conservative such rule; and nobody when the rule so
    /// chosen does not earn more than nothing out of fold. Treating nobody is not itself
    /// preferred by the k-SE rule: that would throw away every rule whose profit is merely
    /// uncertain, where the conservative rules already shrink the treated set.
    fn choose(&self, pool: &[Candidate], terms: &[Vec<f64>]) -> (usize, String) {
        let sum = |z: &[f64]| z.iter().sum::<f64>();
        let m = self.params.margin_se;
        if pool.len() == 1 {
            return (0, format!("{} is the only candidate the learner may ship", pool[0].name()));
        }
        let best = (0..pool.len()).fold(0, |b, c| if sum(&terms[c]) > sum(&terms[b]) { c } else { b });
        let mut pick = best;
        let mut why = format!("{} earns the most out of fold ({:.0})", pool[best].name(), sum(&terms[best]));
        if let Some(c) = (0..best).find(|&c| {
            pool[c] != Candidate::TreatNone && {
                let d = paired(&terms[best], &terms[c]);
                d.0 <= m * d.1
            }
        }) {
            let d = paired(&terms[best], &terms[c]);
            why = format!(
                "{why}, but {} is more conservative and within {m} paired SE of it ({:.0} ± {:.0} less)",
                pool[c].name(),
                d.0,
                d.1
            );
            pick = c;
        } else if pool[best] != Candidate::TreatNone {
            why = format!("{why}, more than {m} paired SE above every more conservative rule");
        }
        if pool[pick] != Candidate::TreatNone
            && sum(&terms[pick]) <= 0.0
            && let Some(none) = pool.iter().position(|&c| c == Candidate::TreatNone)
        {
            why = format!(
                "{why}; it earns nothing out of fold ({:.0}), so nobody is treated",
                sum(&terms[pick])
            );
            pick = none;
        }
        (pick, why)
    }
}

/// A column rule in words: "the 20% with the highest pre_promo_share (arm 1)"; `None` for
/// other rules.
fn describe(f: &Fitted, names: Option<&[String]>) -> Option<String> {
    let Fitted::Column { column, sign, share, arm, .. } = f else { return None };
    let name = names.and_then(|n| n.get(*column)).map_or_else(|| format!("column {column}"), Clone::clone);
    let side = if *sign > 0.0 { "highest" } else { "lowest" };
    Some(format!("the {:.0}% with the {side} {name} (arm {arm})", 100.0 * share))
}

fn folds(n: usize, k: usize, seed: u64) -> Result<tp_core::Folds> {
    tp_core::Folds::kfold(n, k.min(n), seed).map_err(|e| PolicyError::Parameter {
        name: "policy folds".into(),
        value: k as f64,
        expected: e.to_string(),
    })
}

/// `(sum(a − b), sd(a − b)·√n)`.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    total(&d)
}

/// `(sum, sd·√n)` of per-row terms.
fn total(z: &[f64]) -> (f64, f64) {
    let n = z.len() as f64;
    let (mean, se) = tp_core::stats::mean_se(z);
    (mean * n, se * n)
}

fn interval(z: &[f64], level: f64) -> ProfitInterval {
    let (estimate, se) = total(z);
    let q = tp_core::stats::normal_quantile(0.5 + level / 2.0);
    ProfitInterval { estimate, se, lo: estimate - q * se, hi: estimate + q * se, level }
}

/// Learns the candidates, prices each out of fold, chooses one by the
/// k-SE rule (default two SEs) and refits it on all rows; the chosen procedure's value is
/// priced by nested cross-fitting. See the module docs.
pub fn learn_policy(params: &LearnParams, inputs: &LearnInputs<'_>) -> Result<Selection> {
    let ctx = Ctx::new(params, inputs)?;
    let econ = &params.economics;
    let n = inputs.tau.nrows();
    if n < 2 * params.folds {
        return Err(PolicyError::Empty {
            what: "rows".into(),
            hint: format!("learning a policy out of fold needs at least {} rows", 2 * params.folds),
        });
    }
    let all: Vec<Candidate> = Candidate::ALL.into_iter().filter(|&c| ctx.available(c)).collect();
    let poor_overlap = inputs.overlap_share.filter(|&s| s < params.min_overlap_dr);
    // the column rule is priced and shown but shipped only on request (see the module docs)
    let pool: Vec<Candidate> = match params.learner {
        PolicyLearner::Auto => all
            .iter()
            .copied()
            .filter(|&c| c != Candidate::Column && !(poor_overlap.is_some() && c.learned_from_dr()))
            .collect(),
        PolicyLearner::Threshold => vec![Candidate::Threshold],
        PolicyLearner::Rank => vec![Candidate::Rank],
        PolicyLearner::Risk if ctx.risk.is_some() => vec![Candidate::Risk],
        PolicyLearner::Column if ctx.available(Candidate::Column) => vec![Candidate::Column],
        PolicyLearner::Column => {
            return Err(PolicyError::Empty {
                what: "one-column rule covariates".into(),
                hint: "the column learner needs covariates to target by".into(),
            });
        }
        PolicyLearner::Tree if ctx.x.is_some_and(|x| x.ncols() > 0) => {
            vec![Candidate::TreeDepth1, Candidate::TreeDepth2]
        }
        PolicyLearner::Risk => {
            return Err(PolicyError::Empty {
                what: "lower bounds".into(),
                hint: "the risk learner needs τ̂ intervals: use the causal forest".into(),
            });
        }
        PolicyLearner::Tree => {
            return Err(PolicyError::Empty {
                what: "tree covariates".into(),
                hint: "the tree learner needs covariates".into(),
            });
        }
    };
    let rows: Vec<usize> = (0..n).collect();
    let outer_seed = tp_core::rng::derive_seed_str(params.seed, "policy-outer");
    // every candidate, held out once
    let held = ctx.cross_fit(&all, &rows, params.folds, outer_seed)?;
    let terms: Vec<Vec<f64>> = held.iter().map(|a| ctx.terms(&rows, a)).collect();
    let pool_idx: Vec<usize> =
        pool.iter().map(|c| all.iter().position(|a| a == c).expect("pool ⊂ all")).collect();
    let pool_terms: Vec<Vec<f64>> = pool_idx.iter().map(|&i| terms[i].clone()).collect();
    let (choice, mut reason) = ctx.choose(&pool, &pool_terms);
    if let Some(share) = poor_overlap.filter(|_| params.learner == PolicyLearner::Auto) {
        reason = format!(
            "{reason}; rank and the trees are priced but not eligible: only {:.0}% of the rows have propensities in [0.1, 0.9] (below {:.0}%), where DR totals cannot be trusted to choose a cut-off",
            100.0 * share,
            100.0 * params.min_overlap_dr
        );
    }
    let chosen = pool[choice];

    // the procedure's honest value: the choice itself made inside each outer training set
    let split = folds(n, params.folds, outer_seed)?;
    let mut nested = vec![0usize; n];
    for f in 0..split.k() {
        let train = split.train(f);
        let test = split.test(f);
        let pick = if pool.len() == 1 {
            pool[0]
        } else {
            let inner_seed = tp_core::rng::derive_seed(params.seed, 1000 + f as u64);
            let inner = ctx.cross_fit(&pool, &train, params.inner_folds, inner_seed)?;
            let inner_terms: Vec<Vec<f64>> = inner.iter().map(|a| ctx.terms(&train, a)).collect();
            pool[ctx.choose(&pool, &inner_terms).0]
        };
        let fitted = ctx.fit(pick, &train)?;
        for (&i, a) in test.iter().zip(ctx.assign(&fitted, test)?) {
            nested[i] = a;
        }
    }
    // treating nobody earns nothing for certain; any other choice is priced by the procedure, and
    // its interval also spans the chosen rule's own held-out interval (see the module docs)
    let profit_oof = if chosen == Candidate::TreatNone {
        ProfitInterval { estimate: 0.0, se: 0.0, lo: 0.0, hi: 0.0, level: params.level }
    } else {
        let procedure = interval(&ctx.terms(&rows, &nested), params.level);
        let rule = interval(&terms[pool_idx[choice]], params.level);
        ProfitInterval { lo: procedure.lo.min(rule.lo), hi: procedure.hi.max(rule.hi), ..procedure }
    };

    // refit on all rows
    let fitted = ctx.fit(chosen, &rows)?;
    let assignment = ctx.assign(&fitted, &rows)?;
    let profit_in_sample = interval(&ctx.terms(&rows, &assignment), params.level);
    if let Some(rule) = describe(&fitted, inputs.column_names) {
        reason = format!("{reason}; the column rule treats {rule}");
    }
    let tree = match fitted {
        Fitted::Tree(t) => Some(match inputs.feature_names {
            Some(names) => {
                t.with_names(names.to_vec(), (0..econ.n_arms()).map(|a| a.to_string()).collect())?
            }
            None => t,
        }),
        _ => None,
    };

    let chosen_terms = &terms[pool_idx[choice]];
    let share = |a: &[usize]| a.iter().filter(|&&v| v > 0).count() as f64 / n as f64;
    let mut candidates: Vec<CandidateReport> = all
        .iter()
        .enumerate()
        .map(|(c, cand)| {
            let iv = interval(&terms[c], params.level);
            let d = paired(&terms[c], chosen_terms);
            CandidateReport {
                name: cand.name().into(),
                profit: iv.estimate,
                se: iv.se,
                lo: iv.lo,
                hi: iv.hi,
                share_treated: share(&held[c]),
                vs_chosen: d.0,
                vs_chosen_se: d.1,
                eligible: pool.contains(cand),
                rule: match cand {
                    Candidate::Column => describe(&ctx.column_rule(&rows), inputs.column_names),
                    _ => None,
                },
            }
        })
        .collect();
    if let Some(p) = inputs.current {
        let z: Vec<f64> =
            (0..n).map(|i| (1..econ.n_arms()).map(|a| p[(i, a)] * ctx.rewards[(i, a)]).sum()).collect();
        let iv = interval(&z, params.level);
        let d = paired(&z, chosen_terms);
        let treated: f64 = (0..n).map(|i| (1..econ.n_arms()).map(|a| p[(i, a)]).sum::<f64>()).sum();
        candidates.push(CandidateReport {
            name: "current_practice".into(),
            profit: iv.estimate,
            se: iv.se,
            lo: iv.lo,
            hi: iv.hi,
            share_treated: treated / n as f64,
            vs_chosen: d.0,
            vs_chosen_se: d.1,
            eligible: false,
            rule: None,
        });
    }
    Ok(Selection { assignment, chosen, candidates, profit_oof, profit_in_sample, reason, tree })
}

/// Every candidate the learner could ship, each learned on all rows: what
/// the pipeline scores against a simulated world's truth (`truth.candidates`).
pub fn refit_all(params: &LearnParams, inputs: &LearnInputs<'_>) -> Result<Vec<(Candidate, Vec<usize>)>> {
    let ctx = Ctx::new(params, inputs)?;
    let n = inputs.tau.nrows();
    let rows: Vec<usize> = (0..n).collect();
    Candidate::ALL
        .into_iter()
        .filter(|&c| ctx.available(c))
        .map(|c| Ok((c, ctx.assign(&ctx.fit(c, &rows)?, &rows)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world where the effect is `τ(x) = 60·x − 10` on one covariate `x ∈ [0, 1]`, known
    /// propensity 0.5, DR scores = τ plus noise of SD `noise`.
    fn world(n: usize, noise: f64, seed: u64) -> (Mat<f64>, Mat<f64>, Mat<f64>, Vec<f64>) {
        let mut rng = tp_core::rng::stream(seed, 0);
        use rand::Rng;
        let x: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
        let tau: Vec<f64> = x.iter().map(|&v| 60.0 * v - 10.0).collect();
        let gamma = Mat::from_fn(n, 2, |i, a| {
            if a == 0 { 0.0 } else { tau[i] + noise * (rng.random::<f64>() - 0.5) * 3.46 }
        });
        // τ̂: the truth shrunk halfway to its mean plus small noise (a forest's shape)
        let mean = tau.iter().sum::<f64>() / n as f64;
        let tau_hat = Mat::from_fn(n, 1, |i, _| mean + 0.5 * (tau[i] - mean));
        let xm = Mat::from_fn(n, 1, |i, _| x[i]);
        (tau_hat, gamma, xm, tau)
    }

    fn econ() -> Economics {
        // margin 1, cost 30: treat iff τ > 30 (x > 2/3)
        Economics::new(1.0, vec![30.0]).unwrap()
    }

    #[test]
    fn rank_corrects_shrinkage_and_trees_find_the_cut() {
        let (tau_hat, gamma, x, tau) = world(4000, 20.0, 3);
        let names = vec!["x".to_string()];
        let inputs = LearnInputs {
            tau: tau_hat.as_ref(),
            lower: None,
            gamma: gamma.as_ref(),
            covariates: Some(x.as_ref()),
            feature_names: Some(&names),
            columns: None,
            column_names: None,
            current: None,
            overlap_share: None,
        };
        let truth =
            |a: &[usize]| a.iter().zip(&tau).map(|(&a, &t)| if a > 0 { t - 30.0 } else { 0.0 }).sum::<f64>();
        let oracle: f64 = tau.iter().map(|&t| (t - 30.0).max(0.0)).sum();
        let mut p = LearnParams::new(econ());
        // τ̂ is shrunk toward 20: it crosses 30 only at x > 5/6, so the threshold rule treats too few
        // (75 % of the oracle's profit in expectation)
        p.learner = PolicyLearner::Threshold;
        let th = learn_policy(&p, &inputs).unwrap();
        p.learner = PolicyLearner::Rank;
        let rank = learn_policy(&p, &inputs).unwrap();
        assert!(truth(&rank.assignment) > 0.95 * oracle, "{} vs {oracle}", truth(&rank.assignment));
        assert!(truth(&th.assignment) < 0.8 * oracle);
        p.learner = PolicyLearner::Tree;
        let tree = learn_policy(&p, &inputs).unwrap();
        assert!(truth(&tree.assignment) > 0.95 * oracle);
        assert_eq!(tree.chosen, Candidate::TreeDepth1, "{}", tree.reason);
        // auto: rank and the trees beat the simpler candidates by far more than two SEs
        p.learner = PolicyLearner::Auto;
        let auto = learn_policy(&p, &inputs).unwrap();
        assert!(matches!(auto.chosen, Candidate::Rank | Candidate::TreeDepth1), "{}", auto.reason);
        assert!(auto.candidates.iter().all(|c| c.eligible));
        // the honest value brackets the true profit
        let true_profit = truth(&auto.assignment);
        assert!(
            auto.profit_oof.lo < true_profit && true_profit < auto.profit_oof.hi,
            "{:?} {true_profit}",
            auto.profit_oof
        );
        // ... and spans both the procedure's interval and the chosen rule's own
        let rule = auto.candidates.iter().find(|c| c.name == auto.chosen.name()).unwrap();
        let v = &auto.profit_oof;
        let q = tp_core::stats::normal_quantile(0.5 + v.level / 2.0);
        assert!(v.lo <= rule.lo && v.hi >= rule.hi, "{v:?} {rule:?}");
        assert!(v.lo <= v.estimate - q * v.se && v.hi >= v.estimate + q * v.se, "{v:?}");
        assert!(v.lo == rule.lo.min(v.estimate - q * v.se), "{v:?} {rule:?}");
        // at poor overlap the same candidates are priced but auto may not ship them
        let poor = LearnInputs { overlap_share: Some(0.7), ..inputs };
        let guarded = learn_policy(&p, &poor).unwrap();
        assert!(!guarded.chosen.learned_from_dr(), "{}", guarded.reason);
        assert!(guarded.reason.contains("not eligible"), "{}", guarded.reason);
        for c in &guarded.candidates {
            let learned = ["rank", "tree_depth_1", "tree_depth_2"].contains(&c.name.as_str());
            assert_eq!(c.eligible, !learned && c.name != "current_practice", "{}", c.name);
        }
        let same = auto.candidates.iter().zip(&guarded.candidates).all(|(a, b)| a.profit == b.profit);
        assert!(same, "pricing does not depend on eligibility");
        // overlap at the floor is enough
        let fine = LearnInputs { overlap_share: Some(0.9), ..inputs };
        assert_eq!(learn_policy(&p, &fine).unwrap().chosen, auto.chosen);
    }

    /// The effect sits in one segment: 60 for the 20% of rows highest (or, flipped, lowest) on
    /// column 1, −10 elsewhere; columns 0 and 2 are noise; τ̂ is the truth shrunk toward its mean
    /// with noise of SD 16 (a forest's shape), so its level understates the segment's effect and
    /// its row-by-row threshold is noisy; the DR scores are τ plus noise of SD 40.
    fn segment_world(n: usize, flip: bool, seed: u64) -> (Mat<f64>, Mat<f64>, Mat<f64>, Vec<f64>) {
        use rand::Rng;
        let mut rng = tp_core::rng::stream(seed, 7);
        let x = Mat::from_fn(n, 3, |_, _| rng.random::<f64>());
        let tau: Vec<f64> = (0..n)
            .map(|i| {
                let v = if flip { 1.0 - x[(i, 1)] } else { x[(i, 1)] };
                if v > 0.8 { 60.0 } else { -10.0 }
            })
            .collect();
        let mean = tau.iter().sum::<f64>() / n as f64;
        let tau_hat = Mat::from_fn(n, 1, |i, _| {
            mean + 0.6 * (tau[i] - mean) + 16.0 * (rng.random::<f64>() - 0.5) * 3.46
        });
        let gamma =
            Mat::from_fn(
                n,
                2,
                |i, a| if a == 0 { 0.0 } else { tau[i] + 40.0 * (rng.random::<f64>() - 0.5) * 3.46 },
            );
        (tau_hat, gamma, x, tau)
    }

    #[test]
    fn the_column_rule_finds_the_segment_a_shrunk_noisy_score_misses() {
        let names: Vec<String> = ["noise_a", "deal_prone", "noise_b"].map(String::from).to_vec();
        for (seed, flip) in [(1, false), (2, true), (3, false)] {
            let (tau_hat, gamma, x, tau) = segment_world(3000, flip, seed);
            let inputs = LearnInputs {
                tau: tau_hat.as_ref(),
                lower: None,
                gamma: gamma.as_ref(),
                covariates: None,
                feature_names: None,
                columns: Some(x.as_ref()),
                column_names: Some(&names),
                current: None,
                overlap_share: None,
            };
            let truth = |a: &[usize]| {
                a.iter().zip(&tau).map(|(&a, &t)| if a > 0 { t - 30.0 } else { 0.0 }).sum::<f64>()
            };
            let oracle: f64 = tau.iter().map(|&t| (t - 30.0).max(0.0)).sum();
            let mut p = LearnParams::new(econ());
            p.seed = seed;
            p.learner = PolicyLearner::Column;
            let col = learn_policy(&p, &inputs).unwrap();
            assert_eq!(col.chosen, Candidate::Column);
            let side = if flip { "lowest" } else { "highest" };
            assert!(col.reason.contains(&format!("the 20% with the {side} deal_prone")), "{}", col.reason);
            assert!(truth(&col.assignment) > 0.9 * oracle, "{} vs {oracle}", truth(&col.assignment));
            // the shrunk, noisy score's own threshold misses a third of the segment
            p.learner = PolicyLearner::Threshold;
            let th = learn_policy(&p, &inputs).unwrap();
            let (c, t) = (truth(&col.assignment), truth(&th.assignment));
            assert!(c > t + 0.2 * oracle, "column {c}, threshold {t}, oracle {oracle}");
            // auto prices it (the best held-out profit here) and shows it, but does not ship it
            p.learner = PolicyLearner::Auto;
            let auto = learn_policy(&p, &inputs).unwrap();
            assert_ne!(auto.chosen, Candidate::Column, "{}", auto.reason);
            let c = auto.candidates.iter().find(|c| c.name == "column").unwrap();
            assert!(!c.eligible && c.profit > 0.0, "{c:?}");
            // the report says which rule it is, though it does not ship
            let rule = c.rule.as_deref().unwrap_or_default();
            assert!(rule.starts_with(&format!("the 20% with the {side} deal_prone")), "{c:?}");
            assert!(auto.candidates.iter().filter(|c| c.name != "column").all(|c| c.rule.is_none()));
            let best = auto.candidates.iter().filter(|c| c.name != "current_practice").map(|c| c.profit);
            assert_eq!(best.fold(f64::NEG_INFINITY, f64::max), c.profit, "{:?}", auto.candidates);
        }
        // a 0/1 column with 60% ones cannot make a group of 10–40% (ties would enlarge it by
        // more than 15 points); at 50% it may
        let n = 1000;
        let x = Mat::from_fn(n, 1, |i, _| f64::from(i % 5 < 3));
        let tau_hat = Mat::from_fn(n, 1, |i, _| if i % 5 < 3 { 50.0 } else { 0.0 });
        let gamma = Mat::from_fn(n, 2, |i, a| if a == 0 { 0.0 } else { tau_hat[(i, 0)] });
        let inputs = LearnInputs {
            tau: tau_hat.as_ref(),
            lower: None,
            gamma: gamma.as_ref(),
            covariates: None,
            feature_names: None,
            columns: Some(x.as_ref()),
            column_names: None,
            current: None,
            overlap_share: None,
        };
        let mut p = LearnParams::new(econ());
        p.learner = PolicyLearner::Column;
        let s = learn_policy(&p, &inputs).unwrap();
        assert!(s.reason.contains("the 50% with the highest column 0"), "{}", s.reason);
        assert_eq!(s.assignment.iter().filter(|&&a| a > 0).count(), 600);
        // no columns: the column learner is an error, auto goes on without it
        let none = LearnInputs { columns: None, ..inputs };
        assert!(learn_policy(&p, &none).unwrap_err().to_string().contains("one-column"));
        p.learner = PolicyLearner::Auto;
        let auto = learn_policy(&p, &none).unwrap();
        assert!(auto.candidates.iter().all(|c| c.name != "column"));
    }

    #[test]
    fn pure_noise_loses_little() {
        // no heterogeneity: τ = 15 < 30 everywhere, τ̂ is noise around 35 (a fooled forest), so
        // the threshold rule treats everyone and loses 15 per row
        let n = 3000;
        let mut lost = 0.0;
        for seed in 0..10 {
            let mut rng = tp_core::rng::stream(seed, 1);
            use rand::Rng;
            let tau_hat = Mat::from_fn(n, 1, |_, _| 35.0 + 10.0 * (rng.random::<f64>() - 0.5));
            let gamma =
                Mat::from_fn(
                    n,
                    2,
                    |_, a| if a == 0 { 0.0 } else { 15.0 + 200.0 * (rng.random::<f64>() - 0.5) },
                );
            let inputs = LearnInputs {
                tau: tau_hat.as_ref(),
                lower: None,
                gamma: gamma.as_ref(),
                covariates: None,
                feature_names: None,
                columns: None,
                column_names: None,
                current: None,
                overlap_share: None,
            };
            let mut p = LearnParams::new(econ());
            p.seed = seed;
            let s = learn_policy(&p, &inputs).unwrap();
            assert_ne!(s.chosen, Candidate::Threshold, "{}", s.reason);
            assert_ne!(s.chosen, Candidate::TreatAll, "{}", s.reason);
            let true_profit = -15.0 * s.assignment.iter().filter(|&&a| a > 0).count() as f64;
            lost -= true_profit;
        }
        // at most a twentieth of what the threshold rule would lose (15·n per seed)
        assert!(lost <= 0.05 * 15.0 * n as f64 * 10.0, "lost {lost}");
    }

    #[test]
    fn same_seed_same_choice_and_bad_params_are_errors() {
        let (tau_hat, gamma, x, _) = world(600, 30.0, 5);
        let current = Mat::from_fn(600, 2, |_, a| if a == 0 { 0.6 } else { 0.4 });
        let inputs = LearnInputs {
            tau: tau_hat.as_ref(),
            lower: Some(tau_hat.as_ref()),
            gamma: gamma.as_ref(),
            covariates: Some(x.as_ref()),
            feature_names: None,
            columns: Some(x.as_ref()),
            column_names: None,
            current: Some(current.as_ref()),
            overlap_share: None,
        };
        let p = LearnParams::new(econ());
        let a = learn_policy(&p, &inputs).unwrap();
        let b = learn_policy(&p, &inputs).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.candidates.len(), Candidate::ALL.len() + 1);
        assert_eq!(a.candidates.last().unwrap().name, "current_practice");
        assert!(!a.candidates.last().unwrap().eligible);
        let mut bad = p.clone();
        bad.min_leaf_share = 0.7;
        assert!(learn_policy(&bad, &inputs).unwrap_err().to_string().contains("leaf"));
        bad = p.clone();
        bad.min_overlap_dr = 1.5;
        assert!(learn_policy(&bad, &inputs).unwrap_err().to_string().contains("overlap"));
        bad = p.clone();
        bad.folds = 1;
        assert!(learn_policy(&bad, &inputs).is_err());
    }
}
