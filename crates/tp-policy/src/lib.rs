//! tp-policy: from effect estimates to *whom to send what*, and the money.
//!
//! This is the POLICY stage of tp. It sits on tp-core only: the uplift stage
//! hands it plain matrices — the effect estimates `τ̂` (`n × (K − 1)`, arm `a`
//! vs control in column `a − 1`, optionally with lower confidence bounds) and
//! the AIPW scores `Γ` (`n × K`, control first, from `tp_core::aipw_scores`) —
//! and it returns an assignment (one arm index per row, `0` = control) with
//! an honest estimate of what that assignment earns.
//!
//! The pieces:
//!
//! - [`Economics`]: margin (value of one unit of outcome), cost per treated
//!   unit of each arm, a fixed cost; break-even `τ* = c / m` and net values
//!   `m·τ̂_a(x) − c_a` (tp-core's type, re-exported: the simulator prices its
//!   truth with the same one).
//! - Rules: [`threshold`] (the arm of highest positive net value),
//!   [`top_share`], [`risk_adjusted`] effects `CE(λ) = (1 − λ)·τ̂ + λ·LB`, and a
//!   given [`current_practice`] for comparison.
//! - [`BudgetPath`]: the multi-arm knapsack along its Lagrangian path
//!   (Sverdrup, Wu, Wager & Athey 2024; grf-labs `maq`): per-unit convex hulls
//!   of `(cost, value)`, segments taken in decreasing value per unit of cost;
//!   the LP optimum at every budget and an integer allocation rounded down at
//!   the marginal unit.
//! - Money from doubly robust scores: [`policy_profit`] (total profit with
//!   standard error `sd(z)·√n`), [`profit_curve`] over the share targeted
//!   with treat-all / treat-none / current practice / argmax marked, and
//!   [`segment_view`].
//! - [`PolicyTreeParams`] → [`PolicyTree`]: trees that maximize the summed DR
//!   rewards (Athey & Wager 2021; `policytree`), exact over binned features
//!   for depth ≤ 2 with cumulative sums over bins — `O(p²·(n·K + B²·K))`, so the
//!   policytree vignette's three-hour case (n = 10,000, p = 30, 20 arms) takes
//!   seconds — greedy above, with an automatic fallback on a work estimate.
//! - Choosing the tree out of fold: [`select_tree`] judges every candidate
//!   of a [`TreeGrid`] (depths × minimum leaf sizes as shares of the rows)
//!   by its out-of-fold DR value — fit on K − 1 folds, assign the held-out
//!   fold — and refits the best on all rows. In-sample, a depth-2 tree on
//!   noisy DR scores finds a small leaf whose few rows carry huge inverse
//!   propensity weights and looks profitable by chance (the demo's 79-row
//!   leaf lost money in truth); out of fold that luck does not repeat.
//!   [`plan`] does this whenever `tree_folds ≥ 2` and keeps the threshold
//!   rule unless the tree's out-of-fold profit beats it by more than
//!   `tree_margin_se` paired standard errors ([`profit_difference`]). The
//!   trees can be fit on scores with capped weights
//!   ([`clipped_aipw_scores`], `PolicyInputs::tree_gamma`) while profits and
//!   the choice use the unbiased ones.
//! - [`learn_policy`]: the policy to ship, chosen among candidates (treat-none,
//!   the risk-adjusted and plain break-even rules, a ranking with a
//!   cross-fitted share, depth-1/2 trees, treat-all) by their out-of-fold DR
//!   profit with the two-SE rule, refit on all rows, and priced by nested
//!   cross-fitting ([`Selection::profit_oof`]).
//! - [`plan`]: everything above in one call, returning a serde
//!   [`PolicyReport`] (what `tp policy --json` prints) and the assignment.
//!
//! Key choices: profits are totals over the `n` rows given (not per
//! customer); without AIPW scores they are plug-in sums of `τ̂` and the report
//! says so (`estimator = "plug_in"`); ties always go to the lower row or arm
//! index, and parallel searches reduce in feature order, so results do not
//! depend on the thread count.
//!
//! ```
//! use tp_core::faer::Mat;
//! use tp_policy::{Economics, PolicyInputs, PolicyParams, plan, threshold};
//!
//! // a 30% margin and a $12.73 coupon: break-even uplift ≈ $42.43
//! let econ = Economics::new(0.3, vec![12.73]).unwrap();
//! let tau = Mat::from_fn(4, 1, |i, _| [10.0, 50.0, 45.0, -5.0][i]);
//! assert_eq!(threshold(&econ, tau.as_ref()).unwrap(), vec![0, 1, 1, 0]);
//!
//! let plan = plan(&PolicyParams::new(econ), &PolicyInputs::new(tau.as_ref())).unwrap();
//! assert_eq!(plan.report.treated_share, 0.5);
//! let json = serde_json::to_string(&plan.report).unwrap();
//! assert!(json.contains("\"breakeven\":42.43"));
//! ```

mod budget;
mod curve;
mod economics;
mod error;
mod learn;
mod report;
mod rules;
mod tree;

pub use budget::{Allocation, BudgetPath, Segment};
pub use curve::{
    Estimate, Marker, ProfitCurve, SegmentSummary, clipped_aipw_scores, effect_scores, policy_profit,
    profit_curve, profit_difference, segment_view, share_treated,
};
pub use economics::Economics;
pub use error::{PolicyError, Result};
pub use learn::{
    Candidate, CandidateReport, LearnInputs, LearnParams, PolicyLearner, ProfitInterval, Selection,
    learn_policy, refit_all,
};
pub use report::{
    Breakeven, BudgetReport, Plan, PolicyInputs, PolicyParams, PolicyReport, Rule, TreeReport, plan,
};
pub use rules::{current_practice, risk_adjusted, threshold, top_share};
pub use tree::{
    Node, PolicyTree, PolicyTreeParams, Search, TreeCandidate, TreeDiagnostics, TreeGrid, TreeSearch,
    TreeSelection, policy_rewards, select_tree,
};
