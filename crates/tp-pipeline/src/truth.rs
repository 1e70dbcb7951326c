//! The truth stage's one driver: on a simulated world, [`score`] prices every decision of a
//! run with the true effects (`tau_<arm>` per customer) and, when the truth file has them, the
//! world's true assignment probabilities (`e_<arm>`). `tp run` and `tp demo` call it when
//! `data.truth` is given; it fills `summary.json`'s `truth` block.

use crate::inputs::{Named, gather, join_rows};
use anyhow::{Context, Result};
use serde::Serialize;
use tp_core::faer::Mat;
use tp_io::causal::Arms;
use tp_policy::{LearnInputs, LearnParams, refit_all};

/// What [`score`] reads.
pub struct TruthInputs<'a> {
    /// The truth file (`tau_<arm>` per treated arm, optionally `e_<arm>` per arm).
    pub truth: &'a Named,
    /// The campaign log, whose customers are scored in its order.
    pub campaign: &'a Named,
    /// The id column both files carry.
    pub id: &'a str,
    /// Arm labels, control first.
    pub arms: &'a Arms,
    /// The run's propensities (`n × K`): current practice when the truth has no `e_<arm>`.
    pub propensity: &'a Mat<f64>,
    /// Whether those were logged (else estimated).
    pub propensity_logged: bool,
    /// The learned policy's arm per customer (0 = control), in campaign order.
    pub assignment: &'a [usize],
    /// The policy tree's arm per customer, when one was fit.
    pub tree_assignment: Option<&'a [usize]>,
    /// Value of one unit of outcome.
    pub margin: f64,
    /// Cost per treated customer of each treated arm.
    pub cost: &'a [f64],
    /// The learned policy's parameters and inputs, to refit every candidate (`None`: no candidates).
    pub learner: Option<(&'a LearnParams, LearnInputs<'a>)>,
}

/// True profits from a simulated world's truth.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// True expected profit of the learned policy.
    pub policy_profit: f64,
    /// Of the oracle (treat iff the true effect clears break-even).
    pub oracle_profit: f64,
    /// Of treating everyone with the first treated arm.
    pub treat_all_profit: f64,
    /// Of current practice (the logging propensities).
    pub current_practice_profit: f64,
    /// `policy_profit / oracle_profit`.
    pub policy_share_of_oracle: f64,
    /// Share the oracle treats.
    pub oracle_treated_share: f64,
    /// True profit of the policy tree, when one was fit.
    pub tree_profit: Option<f64>,
    /// Where current practice's profit comes from: the world's true assignment probabilities,
    /// the logged propensities, or (labelled) estimated ones.
    pub current_practice_source: String,
    /// True profit of every candidate policy, each refit on all rows.
    pub candidates: Vec<TrueCandidate>,
}

/// The true profit of one candidate policy.
#[derive(Debug, Clone, Serialize)]
pub struct TrueCandidate {
    /// Candidate name (as in `policy.candidates`).
    pub name: String,
    /// Its true profit, refit on all rows.
    pub profit: f64,
    /// Share it treats.
    pub share_treated: f64,
}

/// True expected profit of giving row `i` arm `arm[i]`: Σ margin·τ − cost.
fn true_profit(tau: &Mat<f64>, arm: &[usize], margin: f64, cost: &[f64]) -> f64 {
    arm.iter()
        .enumerate()
        .filter(|(_, a)| **a > 0)
        .map(|(i, &a)| margin * tau[(i, a - 1)] - cost[a - 1])
        .sum()
}

/// Scores every decision of a run against the truth: the learned policy, its tree, the
/// oracle, treat-all, current practice and (when the learned policy ran) every candidate refit
/// on all rows.
pub fn score(inputs: TruthInputs<'_>) -> Result<Truth> {
    let TruthInputs {
        truth,
        campaign,
        id,
        arms,
        propensity,
        propensity_logged,
        assignment,
        tree_assignment,
        margin,
        cost,
        learner,
    } = inputs;
    let rows = join_rows(campaign, truth, id, true)?;
    let t = gather(&truth.table, &rows, id)?;
    let cols: Vec<String> = arms.labels()[1..].iter().map(|l| format!("tau_{l}")).collect();
    let tau = t.to_matrix(&cols.iter().map(String::as_str).collect::<Vec<_>>()).with_context(|| {
        format!("{}: the truth file needs the true effects {}", truth.name, cols.join(", "))
    })?;
    let n = tau.nrows();
    let k = arms.len();
    let net = |i: usize, a: usize| margin * tau[(i, a - 1)] - cost[a - 1];
    let oracle: Vec<usize> = (0..n)
        .map(|i| {
            (1..k)
                .map(|a| (a, net(i, a)))
                .filter(|(_, v)| *v > 0.0)
                .max_by(|x, y| x.1.total_cmp(&y.1))
                .map_or(0, |(a, _)| a)
        })
        .collect();
    // current practice: the world's true assignment probabilities when the truth file has them
    let e_cols: Vec<String> = arms.labels().iter().map(|l| format!("e_{l}")).collect();
    let true_e = t.to_matrix(&e_cols.iter().map(String::as_str).collect::<Vec<_>>()).ok();
    let (current_probs, current_practice_source) = match &true_e {
        Some(e) => (e.as_ref(), "the world's true assignment probabilities"),
        None if propensity_logged => (propensity.as_ref(), "the logged propensities"),
        None => (propensity.as_ref(), "estimated propensities (none logged): an estimate, not the truth"),
    };
    let current: f64 = (0..n).map(|i| (1..k).map(|a| current_probs[(i, a)] * net(i, a)).sum::<f64>()).sum();
    let oracle_profit = true_profit(&tau, &oracle, margin, cost);
    let policy_profit = true_profit(&tau, assignment, margin, cost);
    let share = |a: &[usize]| a.iter().filter(|&&v| v > 0).count() as f64 / n as f64;
    let candidates = match learner {
        Some((p, inputs)) => refit_all(p, &inputs)?
            .into_iter()
            .map(|(c, a)| TrueCandidate {
                name: c.name().into(),
                profit: true_profit(&tau, &a, margin, cost),
                share_treated: share(&a),
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Truth {
        policy_profit,
        oracle_profit,
        treat_all_profit: true_profit(&tau, &vec![1; n], margin, cost),
        current_practice_profit: current,
        policy_share_of_oracle: policy_profit / oracle_profit,
        oracle_treated_share: share(&oracle),
        tree_profit: tree_assignment.map(|a| true_profit(&tau, a, margin, cost)),
        current_practice_source: current_practice_source.into(),
        candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::{Column, Table};

    fn named(table: Table, name: &str) -> Named {
        Named { table, name: name.into() }
    }

    fn four<'a>(truth: &'a Named, campaign: &'a Named, arms: &'a Arms, p: &'a Mat<f64>) -> TruthInputs<'a> {
        TruthInputs {
            truth,
            campaign,
            id: "id",
            arms,
            propensity: p,
            propensity_logged: false,
            assignment: &[1, 1, 0, 0],
            tree_assignment: Some(&[1, 0, 1, 0]),
            margin: 1.0,
            cost: &[10.0],
            learner: None,
        }
    }

    /// Four customers, margin 1, cost 10: true effects 100, 10, 50, −20 give net profits
    /// 90, 0, 40, −30 per treated customer; the truth file lists them in another order.
    #[test]
    fn scores_every_decision_with_the_true_effects() {
        let campaign = named(
            Table::new(vec![
                Column::i64("id", vec![1, 2, 3, 4]),
                Column::str("arm", ["control", "coupon", "control", "coupon"].map(String::from).to_vec()),
            ])
            .unwrap(),
            "campaign.csv",
        );
        let truth = named(
            Table::new(vec![
                Column::i64("id", vec![3, 1, 4, 2]),
                Column::f64("tau_coupon", vec![50.0, 100.0, -20.0, 10.0]),
                Column::f64("e_control", vec![0.5, 0.2, 0.9, 0.6]),
                Column::f64("e_coupon", vec![0.5, 0.8, 0.1, 0.4]),
            ])
            .unwrap(),
            "truth.csv",
        );
        let arms = Arms::from_column(&campaign.table, "arm", Some("control"), "campaign.csv").unwrap();
        let estimated = Mat::from_fn(4, 2, |_, a| if a == 0 { 0.7 } else { 0.3 });
        let s = score(four(&truth, &campaign, &arms, &estimated)).unwrap();
        assert_eq!(s.policy_profit, 90.0);
        assert_eq!(s.oracle_profit, 130.0);
        assert_eq!(s.oracle_treated_share, 0.5);
        assert_eq!(s.treat_all_profit, 100.0);
        assert_eq!(s.tree_profit, Some(130.0));
        assert_eq!(s.policy_share_of_oracle, 90.0 / 130.0);
        // current practice by the world's e_coupon: 0.8·90 + 0.4·0 + 0.5·40 + 0.1·(−30)
        assert!((s.current_practice_profit - 89.0).abs() < 1e-12, "{}", s.current_practice_profit);
        assert_eq!(s.current_practice_source, "the world's true assignment probabilities");
        assert!(s.candidates.is_empty());

        // without e_<arm>: the run's (here estimated) propensities, labelled as such
        let no_e =
            Table::new(truth.table.columns().iter().filter(|c| !c.name.starts_with("e_")).cloned().collect())
                .unwrap();
        let s = score(four(&named(no_e, "truth.csv"), &campaign, &arms, &estimated)).unwrap();
        assert!((s.current_practice_profit - 0.3 * 100.0).abs() < 1e-12);
        assert!(s.current_practice_source.starts_with("estimated propensities"));
    }

    #[test]
    fn a_truth_file_without_the_arms_effects_is_an_error_naming_the_columns() {
        let campaign = named(
            Table::new(vec![
                Column::i64("id", vec![1, 2]),
                Column::str("arm", vec!["control".into(), "coupon".into()]),
            ])
            .unwrap(),
            "campaign.csv",
        );
        let truth = named(Table::new(vec![Column::i64("id", vec![1, 2])]).unwrap(), "truth.csv");
        let arms = Arms::from_column(&campaign.table, "arm", Some("control"), "campaign.csv").unwrap();
        let p = Mat::from_fn(2, 2, |_, _| 0.5);
        let e = score(TruthInputs {
            truth: &truth,
            campaign: &campaign,
            id: "id",
            arms: &arms,
            propensity: &p,
            propensity_logged: true,
            assignment: &[0, 1],
            tree_assignment: None,
            margin: 1.0,
            cost: &[1.0],
            learner: None,
        })
        .unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("truth.csv") && msg.contains("tau_coupon"), "{msg}");
    }
}
