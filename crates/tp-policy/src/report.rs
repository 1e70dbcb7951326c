//! One call from effect estimates to a policy and its report: what the
//! `tp policy` command runs.

use crate::budget::BudgetPath;
use crate::curve::{
    Marker, SegmentSummary, effect_scores, policy_profit, profit_curve, profit_difference, segment_view,
    share_treated,
};
use crate::economics::Economics;
use crate::economics::EconomicsExt;
use crate::error::{PolicyError, Result, check_assignment, check_shape};
use crate::rules::{risk_adjusted, threshold, top_share};
use crate::tree::{PolicyTreeParams, TreeCandidate, TreeDiagnostics, TreeGrid, policy_rewards, select_tree};
use serde::{Deserialize, Serialize};
use tp_core::faer::{Mat, MatRef};

/// Which rule assigns the arms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// Treat with the best arm when its net value is positive.
    Threshold,
    /// Treat the top share of customers by net value with their best arm.
    TopShare(f64),
    /// The profit-maximizing multi-arm allocation with variable spend `≤` the budget
    /// (the fixed cost is outside the budget)
    /// (the Lagrangian path, stopped where a unit of spend returns less than one
    /// unit of value; the marginal unit is rounded down).
    Budget(f64),
}

/// The inputs of [`plan`]; everything but `tau` is optional.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInputs<'a> {
    /// Effect estimates `τ̂`, `n × (K − 1)` (arm `a` vs control in column `a − 1`).
    pub tau: MatRef<'a, f64>,
    /// Lower confidence bounds of `τ̂` (same shape); needed when `risk_lambda > 0`.
    pub lower: Option<MatRef<'a, f64>>,
    /// AIPW scores `Γ`, `n × K` (control first), from `tp_core::aipw_scores`.
    /// Without them profits are plug-in estimates from `τ̂`.
    pub gamma: Option<MatRef<'a, f64>>,
    /// Covariates `n × p` for a policy tree.
    pub covariates: Option<MatRef<'a, f64>>,
    /// Names of the covariates (for printing the tree).
    pub feature_names: Option<&'a [String]>,
    /// AIPW scores to *fit* the policy tree on (same shape as `gamma`), e.g.
    /// with capped weights from [`crate::clipped_aipw_scores`]; profits and
    /// the out-of-fold choice still use `gamma`. Default: `gamma`.
    pub tree_gamma: Option<MatRef<'a, f64>>,
    /// Current practice: the arm each row gets today.
    pub current: Option<&'a [usize]>,
    /// Segment label of each row, for the per-segment view.
    pub segments: Option<&'a [String]>,
    /// An assignment chosen elsewhere (e.g. by [`crate::learn_policy`]) with
    /// the name of its rule: when set it is the plan's assignment, and the
    /// report prices and describes it; `rule` and `tree` are not applied.
    pub assignment: Option<(&'a [usize], &'a str)>,
}

impl<'a> PolicyInputs<'a> {
    /// Inputs with only the effect estimates.
    pub fn new(tau: MatRef<'a, f64>) -> Self {
        PolicyInputs {
            tau,
            lower: None,
            gamma: None,
            covariates: None,
            feature_names: None,
            tree_gamma: None,
            current: None,
            segments: None,
            assignment: None,
        }
    }
}

/// Settings of [`plan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyParams {
    /// The economics.
    pub economics: Economics,
    /// The rule (default threshold).
    pub rule: Rule,
    /// Weight `λ ∈ [0, 1]` on the lower bound in `CE(λ)` (default 0).
    pub risk_lambda: f64,
    /// A policy tree on the covariates; when set, the tree's arms are the assignment.
    pub tree: Option<PolicyTreeParams>,
    /// Grid points of the profit curve (default 101).
    pub curve_points: usize,
    /// Folds for choosing the tree out of fold (default 5). With 2 or more,
    /// every candidate of `tree_grid` is judged by its out-of-fold profit, the
    /// best is refit on all rows, and the threshold rule is kept instead when
    /// that profit is not above the threshold rule's. 0 or 1: the tree given
    /// is fit and used as is.
    pub tree_folds: usize,
    /// The tree replaces the threshold rule only when its out-of-fold profit
    /// beats the threshold rule's by more than this many standard errors of
    /// the paired difference (default 1: the one-SE rule, which also absorbs
    /// the optimism of picking the best of several candidates).
    pub tree_margin_se: f64,
    /// Tree candidates (default: depths 1 up to the tree's depth × minimum
    /// leaf shares 0, 2 %, 5 %, 10 %; [`TreeGrid::up_to`]).
    pub tree_grid: Option<TreeGrid>,
    /// Seed of the fold split.
    pub seed: u64,
}

impl PolicyParams {
    /// Threshold rule, no risk adjustment, no tree, 101 curve points, 5 tree folds, seed 0.
    pub fn new(economics: Economics) -> Self {
        PolicyParams {
            economics,
            rule: Rule::Threshold,
            risk_lambda: 0.0,
            tree: None,
            curve_points: 101,
            tree_folds: 5,
            tree_margin_se: 1.0,
            tree_grid: None,
            seed: 0,
        }
    }
}

/// Break-even: a number with one treatment arm, one per arm otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Breakeven {
    /// The single treatment arm's `c / m`.
    Single(f64),
    /// `c_a / m` of each treatment arm.
    PerArm(Vec<f64>),
}

/// The budget part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetReport {
    /// The budget given.
    pub budget: f64,
    /// Spend of the assignment.
    pub spend: f64,
    /// Estimated gross value `Σ m·τ̂` of the assignment (before costs).
    pub value: f64,
    /// LP bound on the gross value at the spend used.
    pub lp_value: f64,
    /// Spend that maximizes estimated profit when the budget is unlimited.
    pub profit_optimal_spend: f64,
    /// The cost curve `[spend, LP value]` on an even grid of spends.
    pub cost_curve: Vec<[f64; 2]>,
}

/// The tree part of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeReport {
    /// The tree, printed.
    pub text: String,
    /// Whether the tree's arms are the assignment (false: the threshold rule
    /// was kept because the tree did not beat it out of fold).
    pub used: bool,
    /// Why the tree was not used, in words.
    pub fallback: Option<String>,
    /// Depth of the chosen tree.
    pub depth: usize,
    /// Minimum leaf size of the chosen tree.
    pub min_leaf: usize,
    /// Every candidate with its out-of-fold value (empty without folds).
    pub candidates: Vec<TreeCandidate>,
    /// Estimated profit of the tree (in-sample: the tree was fit on the same scores).
    pub profit: f64,
    /// Its standard error.
    pub profit_se: f64,
    /// Out-of-fold profit of the chosen candidate: trees fit on the other
    /// folds assign each fold (`None` when `tree_folds` is below 2 or exceeds the rows).
    pub cross_fit_profit: Option<f64>,
    /// Its standard error.
    pub cross_fit_profit_se: Option<f64>,
    /// Out-of-fold profit minus the threshold rule's profit, on the same rows.
    pub gain_over_threshold: Option<f64>,
    /// Paired standard error of that gain.
    pub gain_over_threshold_se: Option<f64>,
    /// Estimated profit of the threshold rule on the same rows, for comparison.
    pub threshold_profit: f64,
    /// Its standard error.
    pub threshold_profit_se: f64,
    /// Fit diagnostics.
    pub diagnostics: TreeDiagnostics,
}

/// The machine-readable summary of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyReport {
    /// Break-even effect `c / m` (number for one arm, list for several).
    pub breakeven: Breakeven,
    /// `"threshold"`, `"top_share"`, `"budget"` or `"tree"`.
    pub rule: String,
    /// `"doubly_robust"` (from AIPW scores) or `"plug_in"` (from `τ̂`).
    pub estimator: String,
    /// Rows.
    pub n: usize,
    /// Share of rows treated with any arm.
    pub treated_share: f64,
    /// Share of rows per arm (index 0 = control).
    pub arm_shares: Vec<f64>,
    /// Estimated total profit of the assignment over the `n` rows.
    pub expected_profit: f64,
    /// Its standard error.
    pub expected_profit_se: f64,
    /// Profit curve `[share, profit]` over the share targeted.
    pub curve: Vec<[f64; 2]>,
    /// Standard error at each curve point.
    pub curve_se: Vec<f64>,
    /// Spend at each curve point (ROI = profit / spend).
    pub curve_spend: Vec<f64>,
    /// Spend of the assignment: its variable costs plus the fixed cost if anyone is treated.
    pub spend: f64,
    /// Return on spend, `expected_profit / spend` (0 when nothing is spent).
    pub roi: f64,
    /// The most profitable share.
    pub argmax: Marker,
    /// Everyone on the single best arm.
    pub treat_all: Marker,
    /// The arm of `treat_all`.
    pub treat_all_arm: usize,
    /// Nobody treated.
    pub treat_none: Marker,
    /// The given current practice.
    pub current_practice: Option<Marker>,
    /// Budget details when the rule is a budget.
    pub budget: Option<BudgetReport>,
    /// Tree details when a tree was fit.
    pub tree: Option<TreeReport>,
    /// Per-segment view when segment labels were given.
    pub segments: Option<Vec<SegmentSummary>>,
}

/// A policy: the arm of every row and its report.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Arm per row (0 = control).
    pub assignment: Vec<usize>,
    /// The summary.
    pub report: PolicyReport,
}

/// From effect estimates (and optionally DR scores, bounds, covariates) to an
/// assignment and its report.
pub fn plan(params: &PolicyParams, inputs: &PolicyInputs<'_>) -> Result<Plan> {
    let econ = &params.economics;
    econ.check_effects("effects", inputs.tau)?;
    let n = inputs.tau.nrows();
    let tau_used: Mat<f64> = match (inputs.lower, params.risk_lambda) {
        (_, 0.0) => inputs.tau.to_owned(),
        (Some(lb), l) => risk_adjusted(inputs.tau, lb, l)?,
        (None, l) => {
            return Err(PolicyError::Parameter {
                name: "risk lambda".into(),
                value: l,
                expected: "0 unless lower confidence bounds are given; pass the CATE's lower bounds".into(),
            });
        }
    };
    let (scores, estimator) = match inputs.gamma {
        Some(g) => {
            check_shape("doubly robust scores", g, n, econ.n_arms())?;
            (effect_scores(g)?, "doubly_robust")
        }
        None => (inputs.tau.to_owned(), "plug_in"),
    };
    if let Some(c) = inputs.current {
        check_assignment("current practice", c, n, econ.n_arms())?;
    }
    let threshold_assignment = threshold(econ, tau_used.as_ref())?;
    let mut budget = None;
    let mut tree = None;
    let (rule, assignment) = match (&params.tree, params.rule) {
        _ if inputs.assignment.is_some() => {
            let (a, name) = inputs.assignment.expect("matched");
            check_assignment("given assignment", a, n, econ.n_arms())?;
            (name, a.to_vec())
        }
        (Some(tp), _) => {
            let x = inputs.covariates.ok_or_else(|| PolicyError::Empty {
                what: "covariates".into(),
                hint: "a policy tree needs covariates; pass them or drop the tree depth".into(),
            })?;
            if x.nrows() != n {
                return Err(PolicyError::Shape {
                    what: "covariates".into(),
                    expected: format!("{n} rows"),
                    got: format!("{} rows", x.nrows()),
                });
            }
            if !(params.tree_margin_se >= 0.0 && params.tree_margin_se.is_finite()) {
                return Err(PolicyError::Parameter {
                    name: "tree margin (SE)".into(),
                    value: params.tree_margin_se,
                    expected: "a finite number of standard errors ≥ 0, e.g. 1".into(),
                });
            }
            let rewards = policy_rewards(econ, scores.as_ref())?;
            let fit_rewards = match inputs.tree_gamma {
                Some(g) => {
                    check_shape("tree doubly robust scores", g, n, econ.n_arms())?;
                    policy_rewards(econ, effect_scores(g)?.as_ref())?
                }
                None => rewards.clone(),
            };
            let th = policy_profit(econ, scores.as_ref(), &threshold_assignment)?;
            let (mut fitted, cross, candidates) = if params.tree_folds >= 2 && params.tree_folds <= n {
                let grid = params.tree_grid.clone().unwrap_or_else(|| TreeGrid::up_to(tp.depth()));
                let sel = select_tree(
                    tp,
                    &grid,
                    x,
                    fit_rewards.as_ref(),
                    rewards.as_ref(),
                    params.tree_folds,
                    params.seed,
                )?;
                let cross = policy_profit(econ, scores.as_ref(), &sel.oof_arms)?;
                let gain = profit_difference(econ, scores.as_ref(), &sel.oof_arms, &threshold_assignment)?;
                (sel.tree, Some((cross, gain)), sel.candidates)
            } else {
                (tp.fit(x, fit_rewards.as_ref())?, None, Vec::new())
            };
            if let Some(names) = inputs.feature_names {
                let labels = (0..econ.n_arms()).map(|a| a.to_string()).collect();
                fitted = fitted.with_names(names.to_vec(), labels)?;
            }
            let a = fitted.predict(x)?;
            let tv = policy_profit(econ, scores.as_ref(), &a)?;
            let fallback = cross.filter(|(_, g)| g.value <= params.tree_margin_se * g.se).map(|(c, g)| {
                format!(
                    "the tree's out-of-fold profit {:.2} ± {:.2} beats the threshold rule's {:.2} by {:.2} ± {:.2} \
                     (paired), not by more than {} SE; the threshold rule's arms are kept",
                    c.value, c.se, th.value, g.value, g.se, params.tree_margin_se
                )
            });
            tree = Some(TreeReport {
                text: fitted.to_string(),
                used: fallback.is_none(),
                fallback: fallback.clone(),
                depth: fitted.params().depth(),
                min_leaf: fitted.params().min_leaf(),
                candidates,
                profit: tv.value,
                profit_se: tv.se,
                cross_fit_profit: cross.map(|(e, _)| e.value),
                cross_fit_profit_se: cross.map(|(e, _)| e.se),
                gain_over_threshold: cross.map(|(_, g)| g.value),
                gain_over_threshold_se: cross.map(|(_, g)| g.se),
                threshold_profit: th.value,
                threshold_profit_se: th.se,
                diagnostics: fitted.diagnostics().clone(),
            });
            if fallback.is_some() { ("threshold", threshold_assignment) } else { ("tree", a) }
        }
        (None, Rule::Threshold) => ("threshold", threshold_assignment),
        (None, Rule::TopShare(q)) => ("top_share", top_share(econ, tau_used.as_ref(), q)?),
        (None, Rule::Budget(b)) => {
            let path = BudgetPath::new(econ, tau_used.as_ref())?;
            let alloc = path.allocate_for_profit(b)?;
            let max = path.max_spend();
            let cost_curve =
                (0..=100).map(|g| max * g as f64 / 100.0).map(|s| [s, path.lp_value(s)]).collect();
            budget = Some(BudgetReport {
                budget: b,
                spend: alloc.spend,
                value: alloc.value,
                lp_value: path.lp_value(alloc.spend),
                profit_optimal_spend: path.profit_optimal_spend(),
                cost_curve,
            });
            ("budget", alloc.assignment)
        }
    };
    let profit = policy_profit(econ, scores.as_ref(), &assignment)?;
    let curve = profit_curve(econ, tau_used.as_ref(), scores.as_ref(), params.curve_points, inputs.current)?;
    let mut counts = vec![0usize; econ.n_arms()];
    for &a in &assignment {
        counts[a] += 1;
    }
    let segments = match inputs.segments {
        Some(l) => Some(segment_view(econ, scores.as_ref(), &assignment, l)?),
        None => None,
    };
    let variable: f64 = assignment.iter().map(|&a| econ.cost(a)).sum();
    let spend = variable + if assignment.iter().any(|&a| a > 0) { econ.fixed_cost() } else { 0.0 };
    let be = econ.breakeven();
    let report = PolicyReport {
        breakeven: if be.len() == 1 { Breakeven::Single(be[0]) } else { Breakeven::PerArm(be) },
        rule: rule.into(),
        estimator: estimator.into(),
        n,
        treated_share: share_treated(&assignment),
        arm_shares: counts.iter().map(|&c| c as f64 / n as f64).collect(),
        expected_profit: profit.value,
        expected_profit_se: profit.se,
        curve: curve.points,
        curve_se: curve.se,
        curve_spend: curve.spend,
        spend,
        roi: if spend > 0.0 { profit.value / spend } else { 0.0 },
        argmax: curve.argmax,
        treat_all: curve.treat_all,
        treat_all_arm: curve.treat_all_arm,
        treat_none: curve.treat_none,
        current_practice: curve.current_practice,
        budget,
        tree,
        segments,
    };
    Ok(Plan { assignment, report })
}
