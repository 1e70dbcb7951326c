//! The generated retail world: its tables, economics and calibration figures.

use tp_core::Economics;
use tp_core::{Column, Table};

use crate::catalog::{Catalog, ITEM_ID_BASE, TAGS};
use crate::error::Result;
use crate::household::{ARCHETYPES, Household, Line};
use crate::retail_params::{ARM_LABELS, RetailParams};

/// Pre-period behavior of one household (weeks 1..=mailing).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PreSummary {
    pub spend: f64,
    pub visits: i64,
    pub lines: i64,
    pub promo_lines: i64,
    pub recency_weeks: i64,
    pub spend_last12: f64,
    pub weeks_active: i64,
}

impl PreSummary {
    pub fn of(lines: &[Line], mailing: usize) -> PreSummary {
        let mut s = PreSummary { recency_weeks: mailing as i64, ..Default::default() };
        let (mut last_visit, mut last_week) = (None, 0u16);
        for l in lines {
            s.spend += l.value;
            s.lines += 1;
            s.promo_lines += i64::from(l.promo);
            if l.week as usize + 12 > mailing {
                s.spend_last12 += l.value;
            }
            if last_visit != Some(l.visit) {
                s.visits += 1;
                last_visit = Some(l.visit);
            }
            if l.week != last_week {
                s.weeks_active += 1;
                last_week = l.week;
            }
            s.recency_weeks = (mailing - l.week as usize) as i64;
        }
        s
    }
}

/// One household after the campaign (internal).
pub(crate) struct HouseholdOutcome {
    pub household: Household,
    pub lines: Vec<Line>,
    pub pre: PreSummary,
    pub propensity: Vec<f64>,
    pub arm: usize,
    pub outcome: f64,
    pub mu: Vec<f64>,
}

/// Figures that show the world matches the reference case (all from the
/// generated data; profits are *true* expected profits from the truth table).
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Rows of the events table.
    pub n_events: usize,
    /// Share of total revenue (all weeks) brought by the top 45% of households.
    pub top45_revenue_share: f64,
    /// The archetype with the highest mean spend.
    pub heaviest_archetype: &'static str,
    /// Its share of households.
    pub heaviest_share: f64,
    /// Its mean total spend over the overall mean.
    pub heaviest_spend_multiple: f64,
    /// Share of households whose best arm (by true expected profit) is not control.
    pub oracle_treated_share: f64,
    /// True expected profit of sending the first treatment arm to everyone ($).
    pub treat_all_profit: f64,
    /// True expected profit of the oracle policy ($).
    pub oracle_profit: f64,
    /// True expected profit of mailing the first treatment arm to the 30% of
    /// households with the highest *true* expected spend when treated
    /// (`mu_<arm 1>`): the best a response model could do, for contrast with
    /// the oracle.
    pub response_model_profit: f64,
    /// Expected AUC of the true propensity of any treatment against the arm.
    pub propensity_auc_expected: f64,
    /// Realized AUC (Mann–Whitney) of that propensity against the received arm.
    pub propensity_auc_realized: f64,
    /// Pearson correlation of pre-period spend with τ of the first treatment arm.
    pub corr_pre_spend_tau: f64,
    /// Mean expected window spend under control.
    pub mean_mu_control: f64,
}

/// A generated retail world: five tables plus economics and calibration.
#[derive(Debug, Clone)]
pub struct RetailWorld {
    params: RetailParams,
    catalog: Table,
    events: Table,
    customers: Table,
    campaign: Table,
    truth: Table,
    economics: Economics,
    arm_labels: Vec<String>,
    calibration: Calibration,
}

impl RetailWorld {
    /// The five tables in writing order: `catalog`, `events`, `customers`,
    /// `campaign`, `truth`.
    pub fn tables(&self) -> Vec<(&'static str, &Table)> {
        vec![
            ("catalog", &self.catalog),
            ("events", &self.events),
            ("customers", &self.customers),
            ("campaign", &self.campaign),
            ("truth", &self.truth),
        ]
    }
    /// The catalog table.
    pub fn catalog(&self) -> &Table {
        &self.catalog
    }
    /// The events (line items) table.
    pub fn events(&self) -> &Table {
        &self.events
    }
    /// The pre-campaign customer covariates.
    pub fn customers(&self) -> &Table {
        &self.customers
    }
    /// The campaign log.
    pub fn campaign(&self) -> &Table {
        &self.campaign
    }
    /// The ground truth per customer.
    pub fn truth(&self) -> &Table {
        &self.truth
    }
    /// Margin and cost per treatment arm (break-even = cost / margin); the control costs nothing.
    pub fn economics(&self) -> &Economics {
        &self.economics
    }
    /// The arms' labels, control first (`control`, `coupon`, then `loyalty_bonus` when three arms).
    pub fn arm_labels(&self) -> &[String] {
        &self.arm_labels
    }
    /// Calibration figures against the reference case.
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }
    /// The parameters that generated this world.
    pub fn params(&self) -> &RetailParams {
        &self.params
    }
}

/// AUC of `score` against `label` by the Mann–Whitney statistic (ties ½).
pub(crate) fn mann_whitney_auc(score: &[f64], label: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && score[idx[j]] == score[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0; // ranks i+1..=j
        rank_sum += idx[i..j].iter().filter(|&&k| label[k]).count() as f64 * avg_rank;
        i = j;
    }
    let n1 = label.iter().filter(|&&b| b).count() as f64;
    let n0 = label.len() as f64 - n1;
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

/// Builds the tables and figures from the simulated households.
pub(crate) fn assemble(
    params: RetailParams,
    catalog: &Catalog,
    mut hh: Vec<HouseholdOutcome>,
) -> Result<RetailWorld> {
    let n_arms = params.n_arms();
    let labels: Vec<String> = ARM_LABELS[..n_arms].iter().map(|s| s.to_string()).collect();
    let economics = Economics::new(params.margin_value(), params.costs()[1..].to_vec())?;
    let ids: Vec<i64> = (1..=hh.len() as i64).collect();

    // events (each household's lines are freed as they are copied into columns)
    let total_spend: Vec<f64> = hh.iter().map(|o| o.lines.iter().map(|l| l.value).sum()).collect();
    let n_events: usize = hh.iter().map(|h| h.lines.len()).sum();
    let mut ev_cust = Vec::with_capacity(n_events);
    let mut ev_basket = Vec::with_capacity(n_events);
    let mut ev_day = Vec::with_capacity(n_events);
    let mut ev_week = Vec::with_capacity(n_events);
    let mut ev_item = Vec::with_capacity(n_events);
    let mut ev_qty = Vec::with_capacity(n_events);
    let mut ev_value = Vec::with_capacity(n_events);
    let mut ev_promo = Vec::with_capacity(n_events);
    let mut basket_offset = 1i64;
    for (h, o) in hh.iter_mut().enumerate() {
        let mut max_visit = 0i64;
        for l in std::mem::take(&mut o.lines) {
            ev_cust.push(ids[h]);
            ev_basket.push(basket_offset + i64::from(l.visit));
            max_visit = i64::from(l.visit) + 1;
            ev_day.push(i64::from(l.day));
            ev_week.push(i64::from(l.week));
            ev_item.push(ITEM_ID_BASE + i64::from(l.item));
            ev_qty.push(i64::from(l.quantity));
            ev_value.push(l.value);
            ev_promo.push(l.promo);
        }
        basket_offset += max_visit;
    }
    let events = Table::new(vec![
        Column::i64("customer_id", ev_cust),
        Column::i64("basket_id", ev_basket),
        Column::i64("day", ev_day),
        Column::i64("week", ev_week),
        Column::i64("item_id", ev_item),
        Column::i64("quantity", ev_qty),
        Column::f64("value", ev_value),
        Column::bool("promo", ev_promo),
    ])?;

    // customers: demographics and pre-period behavior
    let d = |f: fn(&HouseholdOutcome) -> i64| hh.iter().map(f).collect::<Vec<i64>>();
    let customers = Table::new(vec![
        Column::i64("customer_id", ids.clone()),
        Column::i64("age_band", d(|o| o.household.demographics.age_band)),
        Column::i64("income_band", d(|o| o.household.demographics.income_band)),
        Column::i64("household_size", d(|o| o.household.demographics.household_size)),
        Column::i64("kids", d(|o| o.household.demographics.kids)),
        Column::bool("homeowner", hh.iter().map(|o| o.household.demographics.homeowner).collect()),
        Column::f64("pre_spend", hh.iter().map(|o| (o.pre.spend * 100.0).round() / 100.0).collect()),
        Column::i64("pre_visits", d(|o| o.pre.visits)),
        Column::i64("pre_items", d(|o| o.pre.lines)),
        Column::f64(
            "pre_avg_basket",
            hh.iter()
                .map(|o| if o.pre.visits > 0 { o.pre.spend / o.pre.visits as f64 } else { 0.0 })
                .collect(),
        ),
        Column::f64(
            "pre_promo_share",
            hh.iter()
                .map(|o| if o.pre.lines > 0 { o.pre.promo_lines as f64 / o.pre.lines as f64 } else { 0.0 })
                .collect(),
        ),
        Column::i64("pre_recency_weeks", d(|o| o.pre.recency_weeks)),
        Column::f64(
            "pre_spend_last12",
            hh.iter().map(|o| (o.pre.spend_last12 * 100.0).round() / 100.0).collect(),
        ),
        Column::i64("pre_weeks_active", d(|o| o.pre.weeks_active)),
    ])?;

    // campaign
    let mut cols = vec![
        Column::i64("customer_id", ids.clone()),
        Column::str("arm", hh.iter().map(|o| labels[o.arm].clone()).collect()),
        Column::i64("treatment", hh.iter().map(|o| o.arm as i64).collect()),
        Column::f64("outcome", hh.iter().map(|o| o.outcome).collect()),
        Column::f64("propensity", hh.iter().map(|o| o.propensity[o.arm]).collect()),
    ];
    for (k, l) in labels.iter().enumerate() {
        cols.push(Column::f64(format!("p_{l}"), hh.iter().map(|o| o.propensity[k]).collect()));
    }
    // the first day of the outcome window (the day after the mailing week): profiles of the
    // events must stop before it, or they carry the outcome
    let start_day = (7 * params.mailing_week() + 1) as i64;
    cols.push(Column::i64("campaign_start_day", vec![start_day; hh.len()]));
    let campaign = Table::new(cols)?;

    // truth
    let profit = |o: &HouseholdOutcome, k: usize| economics.net_value(k, o.mu[k] - o.mu[0]);
    let oracle: Vec<usize> = hh
        .iter()
        .map(|o| {
            let (mut best, mut best_profit) = (0, 0.0);
            for k in 1..n_arms {
                if profit(o, k) > best_profit {
                    (best, best_profit) = (k, profit(o, k));
                }
            }
            best
        })
        .collect();
    let mut cols = vec![
        Column::i64("customer_id", ids.clone()),
        Column::str(
            "archetype",
            hh.iter().map(|o| ARCHETYPES[o.household.archetype].name.to_string()).collect(),
        ),
    ];
    for (k, l) in labels.iter().enumerate() {
        cols.push(Column::f64(format!("e_{l}"), hh.iter().map(|o| o.propensity[k]).collect()));
    }
    for (k, l) in labels.iter().enumerate() {
        cols.push(Column::f64(format!("mu_{l}"), hh.iter().map(|o| o.mu[k]).collect()));
    }
    for (k, l) in labels.iter().enumerate().skip(1) {
        cols.push(Column::f64(format!("tau_{l}"), hh.iter().map(|o| o.mu[k] - o.mu[0]).collect()));
    }
    cols.push(Column::str("oracle_arm", oracle.iter().map(|&k| labels[k].clone()).collect()));
    for (k, l) in labels.iter().enumerate().skip(1) {
        cols.push(Column::f64(format!("delta_{l}"), hh.iter().map(|o| o.household.delta[k]).collect()));
    }
    cols.push(Column::f64("visit_rate", hh.iter().map(|o| o.household.visit_rate).collect()));
    cols.push(Column::f64("basket_mean", hh.iter().map(|o| o.household.basket_mean).collect()));
    cols.push(Column::f64("promo_hunt", hh.iter().map(|o| o.household.hunt).collect()));
    cols.push(Column::f64("lapse", hh.iter().map(|o| o.household.lapse).collect()));
    for (t, tag) in TAGS.iter().enumerate() {
        cols.push(Column::f64(format!("taste_{tag}"), hh.iter().map(|o| o.household.tastes[t]).collect()));
    }
    let truth = Table::new(cols)?;

    // calibration figures
    let mut sorted = total_spend.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let top = (0.45 * sorted.len() as f64).round() as usize;
    let revenue: f64 = sorted.iter().sum();
    let mean_spend = revenue / sorted.len() as f64;
    let mut per_arch = vec![(0usize, 0.0f64); ARCHETYPES.len()];
    for (o, s) in hh.iter().zip(&total_spend) {
        per_arch[o.household.archetype].0 += 1;
        per_arch[o.household.archetype].1 += s;
    }
    let heaviest = (0..ARCHETYPES.len())
        .filter(|&a| per_arch[a].0 > 0)
        .max_by(|&a, &b| {
            (per_arch[a].1 / per_arch[a].0 as f64).total_cmp(&(per_arch[b].1 / per_arch[b].0 as f64))
        })
        .unwrap_or(0);
    let n = hh.len() as f64;
    let p_treat: Vec<f64> = hh.iter().map(|o| 1.0 - o.propensity[0]).collect();
    let treated: Vec<bool> = hh.iter().map(|o| o.arm > 0).collect();
    let tau1: Vec<f64> = hh.iter().map(|o| o.mu[1] - o.mu[0]).collect();
    let pre_spend: Vec<f64> = hh.iter().map(|o| o.pre.spend).collect();
    let mut by_response: Vec<usize> = (0..hh.len()).collect();
    by_response.sort_by(|&a, &b| hh[b].mu[1].total_cmp(&hh[a].mu[1]));
    let response_model_profit =
        by_response[..(0.3 * n).round() as usize].iter().map(|&i| profit(&hh[i], 1)).sum();
    let calibration = Calibration {
        n_events,
        top45_revenue_share: sorted[..top].iter().sum::<f64>() / revenue,
        heaviest_archetype: ARCHETYPES[heaviest].name,
        heaviest_share: per_arch[heaviest].0 as f64 / n,
        heaviest_spend_multiple: per_arch[heaviest].1 / per_arch[heaviest].0.max(1) as f64 / mean_spend,
        oracle_treated_share: oracle.iter().filter(|&&k| k > 0).count() as f64 / n,
        treat_all_profit: hh.iter().map(|o| profit(o, 1)).sum(),
        response_model_profit,
        oracle_profit: hh.iter().zip(&oracle).map(|(o, &k)| if k > 0 { profit(o, k) } else { 0.0 }).sum(),
        propensity_auc_expected: crate::assign::expected_auc(&p_treat),
        propensity_auc_realized: mann_whitney_auc(&p_treat, &treated),
        corr_pre_spend_tau: pearson(&pre_spend, &tau1),
        mean_mu_control: hh.iter().map(|o| o.mu[0]).sum::<f64>() / n,
    };
    let catalog = catalog.table()?;
    Ok(RetailWorld {
        params,
        catalog,
        events,
        customers,
        campaign,
        truth,
        economics,
        arm_labels: labels,
        calibration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_handles_ties_and_extremes() {
        assert_eq!(mann_whitney_auc(&[1.0, 2.0, 3.0, 4.0], &[false, false, true, true]), 1.0);
        assert_eq!(mann_whitney_auc(&[1.0, 2.0, 3.0, 4.0], &[true, true, false, false]), 0.0);
        assert_eq!(mann_whitney_auc(&[1.0, 1.0, 1.0, 1.0], &[true, false, true, false]), 0.5);
        // one tie across classes: 3 of 4 pairs ordered, one tied
        assert_eq!(mann_whitney_auc(&[1.0, 2.0, 2.0, 3.0], &[false, false, true, true]), 0.875);
    }
}
