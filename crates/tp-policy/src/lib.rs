//! tp-policy (essay to come)

mod budget;
mod curve;
mod economics;
mod report;
mod error;
mod rules;
mod tree;

pub use budget::{Allocation, BudgetPath, Segment};
pub use curve::{
    Estimate, Marker, ProfitCurve, SegmentSummary, effect_scores, policy_profit, profit_curve, segment_view,
    share_treated,
};
pub use economics::Economics;
pub use error::{PolicyError, Result};
pub use rules::{current_practice, risk_adjusted, threshold, top_share};
pub use tree::{Node, PolicyTree, PolicyTreeParams, Search, TreeDiagnostics, policy_rewards};
pub use report::{BudgetReport, Breakeven, Plan, PolicyInputs, PolicyParams, PolicyReport, Rule, TreeReport, plan};
