//! Households: latent archetypes, per-household parameters drawn around them,
//! the weekly shopping process that turns parameters into line items, and the
//! analytic expected spend used for the truth file.

use rand::Rng;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};
use tp_core::rng::TpRng;

use crate::catalog::{Catalog, N_COMMODITIES, N_DEPTS, N_TAGS};

/// Latent archetype of a household, with the parameters its members scatter around.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArchetypeSpec {
    pub name: &'static str,
    /// Share of households.
    pub share: f64,
    /// Mean visits per week.
    pub visits: f64,
    /// Mean line items per visit.
    pub basket: f64,
    /// Mean extra units per line (quantity = 1 + Poisson(qty_extra)).
    pub qty_extra: f64,
    /// Mean probability that a line item is "deal hunted".
    pub hunt: f64,
    /// Probability that the household is lapsing before the mailing.
    pub lapse_prob: f64,
    /// Log-lift of the visit rate under each treatment arm (coupon, loyalty bonus).
    pub delta: [f64; 2],
    /// Department preferences (relative weights).
    pub dept: [f64; N_DEPTS],
    /// Taste for each L2 tag (log-weight per tagged item).
    pub tastes: [f64; N_TAGS],
    /// Log-weight per price tier step (positive = premium lover).
    pub tier_aff: f64,
    /// Log-weight for private-label items.
    pub private_aff: f64,
    /// Mean age band (1–6) and income band (1–6).
    pub age: f64,
    pub income: f64,
    /// Household size range and probability of having kids.
    pub size: (i64, i64),
    pub kids_prob: f64,
}

/// The seven archetypes. Tag order: healthy, indulgent, convenient, premium,
/// family, fresh, bulk. Department order as `catalog::DEPARTMENTS`.
pub(crate) const ARCHETYPES: [ArchetypeSpec; 7] = [
    ArchetypeSpec {
        name: "vip_heavy",
        share: 0.12,
        visits: 1.90,
        basket: 12.0,
        qty_extra: 0.25,
        hunt: 0.05,
        lapse_prob: 0.08,
        delta: [-0.10, 0.09],
        dept: [16.0, 13.0, 15.0, 12.0, 7.0, 8.0, 11.0, 7.0, 5.0, 6.0],
        tastes: [0.3, 0.3, 0.2, 0.9, 0.0, 0.3, -0.2],
        tier_aff: 0.8,
        private_aff: -0.4,
        age: 4.0,
        income: 4.6,
        size: (2, 4),
        kids_prob: 0.35,
    },
    ArchetypeSpec {
        name: "bulk_buyer",
        share: 0.10,
        visits: 0.57,
        basket: 20.0,
        qty_extra: 0.8,
        hunt: 0.2,
        lapse_prob: 0.12,
        delta: [-0.02, 0.0],
        dept: [20.0, 6.0, 12.0, 10.0, 5.0, 12.0, 12.0, 14.0, 7.0, 2.0],
        tastes: [-0.2, 0.1, 0.0, -0.6, 0.4, -0.3, 1.2],
        tier_aff: -0.6,
        private_aff: 0.5,
        age: 3.6,
        income: 3.0,
        size: (3, 5),
        kids_prob: 0.5,
    },
    ArchetypeSpec {
        name: "family",
        share: 0.14,
        visits: 1.04,
        basket: 12.0,
        qty_extra: 0.3,
        hunt: 0.2,
        lapse_prob: 0.12,
        delta: [0.05, 0.04],
        dept: [18.0, 9.0, 12.0, 14.0, 7.0, 11.0, 12.0, 7.0, 7.0, 3.0],
        tastes: [0.0, 0.3, 0.2, -0.3, 1.2, 0.0, 0.4],
        tier_aff: -0.3,
        private_aff: 0.4,
        age: 3.0,
        income: 3.3,
        size: (3, 6),
        kids_prob: 0.9,
    },
    ArchetypeSpec {
        name: "fresh_food",
        share: 0.12,
        visits: 1.33,
        basket: 7.0,
        qty_extra: 0.15,
        hunt: 0.1,
        lapse_prob: 0.12,
        delta: [0.02, 0.05],
        dept: [10.0, 26.0, 18.0, 16.0, 9.0, 3.0, 6.0, 4.0, 4.0, 4.0],
        tastes: [1.1, -0.6, -0.3, 0.3, 0.0, 1.0, -0.3],
        tier_aff: 0.3,
        private_aff: 0.0,
        age: 4.5,
        income: 4.0,
        size: (1, 3),
        kids_prob: 0.2,
    },
    ArchetypeSpec {
        name: "deal_seeker",
        share: 0.16,
        visits: 1.14,
        basket: 8.5,
        qty_extra: 0.2,
        hunt: 0.6,
        lapse_prob: 0.25,
        delta: [0.30, 0.40],
        dept: [18.0, 10.0, 10.0, 12.0, 6.0, 12.0, 14.0, 9.0, 6.0, 3.0],
        tastes: [0.0, 0.3, 0.1, -0.8, 0.2, -0.1, 0.3],
        tier_aff: -0.7,
        private_aff: 0.8,
        age: 3.6,
        income: 2.0,
        size: (2, 4),
        kids_prob: 0.45,
    },
    ArchetypeSpec {
        name: "convenience",
        share: 0.14,
        visits: 1.90,
        basket: 4.5,
        qty_extra: 0.1,
        hunt: 0.05,
        lapse_prob: 0.15,
        delta: [0.06, 0.03],
        dept: [8.0, 5.0, 5.0, 9.0, 7.0, 20.0, 22.0, 3.0, 4.0, 17.0],
        tastes: [-0.4, 0.8, 1.2, 0.0, -0.3, -0.4, -0.5],
        tier_aff: 0.1,
        private_aff: -0.2,
        age: 2.2,
        income: 3.2,
        size: (1, 2),
        kids_prob: 0.1,
    },
    ArchetypeSpec {
        name: "light_grocery",
        share: 0.22,
        visits: 0.95,
        basket: 5.5,
        qty_extra: 0.1,
        hunt: 0.25,
        lapse_prob: 0.3,
        delta: [0.27, 0.40],
        dept: [20.0, 10.0, 8.0, 16.0, 10.0, 6.0, 12.0, 6.0, 6.0, 6.0],
        tastes: [0.1, 0.0, 0.3, -0.1, -0.3, 0.0, -0.6],
        tier_aff: 0.0,
        private_aff: 0.1,
        age: 2.6,
        income: 2.6,
        size: (1, 2),
        kids_prob: 0.1,
    },
];

/// Candidates a deal-hunted line item looks at before settling.
pub(crate) const HUNT_TRIES: i32 = 6;

/// Seasonal multiplier of the visit rate in week `w` (1-based): a mild annual
/// cycle plus a holiday bump in weeks 47–52 of each year.
pub(crate) fn season(w: usize) -> f64 {
    let wy = (w - 1) % 52 + 1;
    let cycle = 0.06 * (2.0 * std::f64::consts::PI * (w as f64 - 1.0) / 52.0).sin();
    1.0 + cycle + if wy >= 47 { 0.12 } else { 0.0 }
}

/// Demographics known before the campaign.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Demographics {
    pub age_band: i64,
    pub income_band: i64,
    pub household_size: i64,
    pub kids: i64,
    pub homeowner: bool,
}

/// One line item of a household.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub week: u16,
    pub day: u16,
    /// Visit number within the household (0-based).
    pub visit: u32,
    pub item: u32,
    pub quantity: u16,
    pub value: f64,
    pub promo: bool,
}

/// Everything that drives one household's shopping.
#[derive(Debug, Clone)]
pub(crate) struct Household {
    pub archetype: usize,
    pub visit_rate: f64,
    pub basket_mean: f64,
    pub qty_extra: f64,
    pub hunt: f64,
    /// Visit-rate multiplier from `lapse_start` on (< 1: lapsing).
    pub lapse: f64,
    pub lapse_start: usize,
    pub tastes: [f64; N_TAGS],
    /// Log-lift of the visit rate per arm (arm 0 = control = 0).
    pub delta: Vec<f64>,
    pub demographics: Demographics,
    /// Department preferences (relative weights).
    dept: [f64; N_DEPTS],
    /// Random effect per commodity (log-weight).
    commodity_effect: Vec<f64>,
    tier_aff: f64,
    private_aff: f64,
    visits_so_far: u32,
}

/// A household's item-choice distribution over the catalog, built on demand
/// (about 19 kB per household, so it is not kept between passes).
#[derive(Debug, Clone)]
pub(crate) struct Chooser {
    /// Probability of each item for one undirected draw.
    pub probs: Vec<f64>,
    cdf: Vec<f64>,
    /// Probability that a line item is deal-hunted.
    hunt: f64,
}

impl Chooser {
    fn sample_item(&self, rng: &mut TpRng) -> usize {
        let u = rng.random::<f64>() * self.cdf[self.cdf.len() - 1];
        self.cdf.partition_point(|&c| c <= u).min(self.cdf.len() - 1)
    }

    /// One line item's item: with probability `hunt` look at up to
    /// [`HUNT_TRIES`] candidates and take the first on promotion, else (and if
    /// none is) the first candidate.
    fn pick(&self, rng: &mut TpRng, promo: &[bool]) -> usize {
        let hunting = rng.random::<f64>() < self.hunt;
        let first = self.sample_item(rng);
        if hunting && !promo[first] {
            for _ in 1..HUNT_TRIES {
                let c = self.sample_item(rng);
                if promo[c] {
                    return c;
                }
            }
        }
        first
    }

    /// Expected value of one unit of a line item in week `w`.
    fn expected_unit_value(&self, catalog: &Catalog, w: usize) -> f64 {
        let promo = &catalog.on_promo[w - 1];
        let (mut p_promo, mut a, mut b) = (0.0, 0.0, 0.0);
        for ((it, &p), &on) in catalog.items.iter().zip(&self.probs).zip(promo) {
            if on {
                p_promo += p;
                a += p * it.price * (1.0 - it.discount);
            } else {
                b += p * it.price;
            }
        }
        let t = HUNT_TRIES;
        let promo_boost =
            if p_promo > 1e-12 { (1.0 - (1.0 - p_promo).powi(t)) / p_promo } else { f64::from(t) };
        let hunted = a * promo_boost + b * (1.0 - p_promo).powi(t - 1);
        (1.0 - self.hunt) * (a + b) + self.hunt * hunted
    }
}

fn normal(rng: &mut TpRng) -> f64 {
    rng.sample(StandardNormal)
}

/// A Poisson draw that is 0 for a non-positive rate.
fn poisson(rng: &mut TpRng, lambda: f64) -> u64 {
    if lambda > 0.0 { Poisson::new(lambda).map_or(0, |p| p.sample(rng) as u64) } else { 0 }
}

/// A mean-one gamma frailty with the given shape.
fn frailty(rng: &mut TpRng, shape: f64) -> f64 {
    Gamma::new(shape, 1.0 / shape).map_or(1.0, |g| g.sample(rng))
}

impl Household {
    /// Draws a household: archetype from the shares, then every parameter
    /// around the archetype's value. `mailing` is the last pre-period week.
    pub fn draw(rng: &mut TpRng, mailing: usize, n_arms: usize) -> Household {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut archetype = ARCHETYPES.len() - 1;
        for (a, spec) in ARCHETYPES.iter().enumerate() {
            acc += spec.share;
            if u < acc {
                archetype = a;
                break;
            }
        }
        let s = &ARCHETYPES[archetype];
        let visit_rate = s.visits * (0.2 * normal(rng) - 0.2 * 0.2 / 2.0).exp();
        let basket_mean = 1.0 + (s.basket - 1.0) * (0.2 * normal(rng) - 0.2 * 0.2 / 2.0).exp();
        let qty_extra = s.qty_extra * (0.3 * normal(rng)).exp();
        let hunt = (s.hunt + 0.1 * normal(rng)).clamp(0.0, 0.95);
        let (lapse, lapse_start) = if rng.random::<f64>() < s.lapse_prob {
            (rng.random_range(0.3..0.85), mailing + 1 - rng.random_range(3..=20))
        } else {
            ((0.1 * normal(rng)).exp().min(1.25), mailing + 1 - 12)
        };
        let mut tastes = s.tastes;
        for t in &mut tastes {
            *t += 0.35 * normal(rng);
        }
        let tier_aff = s.tier_aff + 0.3 * normal(rng);
        let private_aff = s.private_aff + 0.3 * normal(rng);
        let mut dept = s.dept;
        for d in &mut dept {
            *d *= (0.3 * normal(rng)).exp();
        }
        let commodity_effect: Vec<f64> = (0..N_COMMODITIES).map(|_| 0.5 * normal(rng)).collect();

        // The effect on the visit rate: the archetype's lift, larger for lapsing
        // households (win-back) and, for the coupon, for keener deal hunters.
        let mut delta = vec![0.0; n_arms];
        for (k, d) in delta.iter_mut().enumerate().skip(1) {
            let (lapse_gain, hunt_gain) = if k == 1 { (0.6, 0.5) } else { (0.4, 0.2) };
            *d = s.delta[(k - 1).min(1)]
                + lapse_gain * (1.0 - lapse.min(1.0))
                + hunt_gain * (hunt - s.hunt)
                + 0.06 * normal(rng);
        }

        let demographics = {
            let age_band = (s.age + 1.1 * normal(rng)).round().clamp(1.0, 6.0) as i64;
            let income_band = (s.income + 1.2 * normal(rng)).round().clamp(1.0, 6.0) as i64;
            let household_size = rng.random_range(s.size.0..=s.size.1);
            let kids = if household_size > 1 && rng.random::<f64>() < s.kids_prob {
                rng.random_range(1..=(household_size - 1).min(3))
            } else {
                0
            };
            let homeowner = rng.random::<f64>() < 0.3 + 0.08 * income_band as f64 + 0.04 * age_band as f64;
            Demographics { age_band, income_band, household_size, kids, homeowner }
        };

        Household {
            archetype,
            visit_rate,
            basket_mean,
            qty_extra,
            hunt,
            lapse,
            lapse_start,
            tastes,
            delta,
            demographics,
            dept,
            commodity_effect,
            tier_aff,
            private_aff,
            visits_so_far: 0,
        }
    }

    /// The item-choice distribution: department share times a softmax within
    /// the department of popularity + commodity effect + tastes·tags + tier
    /// and private-label affinity.
    pub fn chooser(&self, catalog: &Catalog) -> Chooser {
        let items = &catalog.items;
        let mut probs: Vec<f64> = items
            .iter()
            .map(|it| {
                let mut score = it.log_pop
                    + self.commodity_effect[it.commodity]
                    + self.tier_aff * (it.tier as f64 - 1.0)
                    + if it.private { self.private_aff } else { 0.0 };
                for (t, &on) in it.tags.iter().enumerate() {
                    if on {
                        score += self.tastes[t];
                    }
                }
                score.exp()
            })
            .collect();
        let mut dept_sum = [0.0; N_DEPTS];
        for (it, p) in items.iter().zip(&probs) {
            dept_sum[it.dept] += p;
        }
        let dept_total: f64 = self.dept.iter().sum();
        for (it, p) in items.iter().zip(probs.iter_mut()) {
            *p *= self.dept[it.dept] / dept_total / dept_sum[it.dept];
        }
        let mut cdf = Vec::with_capacity(probs.len());
        let mut run = 0.0;
        for p in &probs {
            run += p;
            cdf.push(run);
        }
        Chooser { probs, cdf, hunt: self.hunt }
    }

    /// Expected visits in week `w` before the frailty, with log-lift `delta`.
    fn rate(&self, w: usize, delta: f64) -> f64 {
        let lapse = if w >= self.lapse_start { self.lapse } else { 1.0 };
        self.visit_rate * season(w) * lapse * delta.exp()
    }

    /// Simulates weeks `weeks` with log-lift `delta`, appending line items.
    pub fn shop(
        &mut self,
        rng: &mut TpRng,
        catalog: &Catalog,
        chooser: &Chooser,
        weeks: std::ops::RangeInclusive<usize>,
        delta: f64,
        out: &mut Vec<Line>,
    ) {
        let mut days = Vec::new();
        for w in weeks {
            let lambda = self.rate(w, delta) * frailty(rng, 3.0);
            let n_visits = poisson(rng, lambda);
            days.clear();
            days.extend((0..n_visits).map(|_| (w as u16 - 1) * 7 + rng.random_range(1..=7u16)));
            days.sort_unstable();
            let promo = &catalog.on_promo[w - 1];
            for &day in &days {
                let basket_frailty = frailty(rng, 2.0);
                let n_lines = 1 + poisson(rng, (self.basket_mean - 1.0) * basket_frailty);
                for _ in 0..n_lines {
                    let item = chooser.pick(rng, promo);
                    let quantity = 1 + poisson(rng, self.qty_extra);
                    let it = &catalog.items[item];
                    let unit = if promo[item] { it.price * (1.0 - it.discount) } else { it.price };
                    let value = (quantity as f64 * unit * 100.0).round() / 100.0;
                    out.push(Line {
                        week: w as u16,
                        day,
                        visit: self.visits_so_far,
                        item: item as u32,
                        quantity: quantity as u16,
                        value,
                        promo: promo[item],
                    });
                }
                self.visits_so_far += 1;
            }
        }
    }

    /// Expected spend over `weeks` with log-lift `delta`, computed from the
    /// household's parameters (no draws): visits × lines per visit × units per
    /// line × expected unit price under the deal-hunting choice rule.
    pub fn expected_spend(
        &self,
        catalog: &Catalog,
        chooser: &Chooser,
        weeks: std::ops::RangeInclusive<usize>,
        delta: f64,
    ) -> f64 {
        let per_visit = self.basket_mean * (1.0 + self.qty_extra);
        weeks.map(|w| self.rate(w, delta) * per_visit * chooser.expected_unit_value(catalog, w)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one_and_probs_normalise() {
        let total: f64 = ARCHETYPES.iter().map(|a| a.share).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let cat = Catalog::generate(&mut tp_core::rng::stream(3, 0), 30);
        let h = Household::draw(&mut tp_core::rng::stream(3, 1), 20, 2);
        let s: f64 = h.chooser(&cat).probs.iter().sum();
        assert!((s - 1.0).abs() < 1e-9);
        assert_eq!(h.delta[0], 0.0);
    }

    #[test]
    fn expected_spend_matches_simulation() {
        // Many replays of the same household: the mean spend must match the
        // analytic expectation within 4 standard errors.
        let cat = Catalog::generate(&mut tp_core::rng::stream(5, 0), 30);
        let base = Household::draw(&mut tp_core::rng::stream(5, 1), 20, 2);
        let chooser = base.chooser(&cat);
        let expected = base.expected_spend(&cat, &chooser, 21..=28, 0.2);
        let reps = 400;
        let spends: Vec<f64> = (0..reps)
            .map(|r| {
                let mut h = base.clone();
                let mut out = Vec::new();
                h.shop(&mut tp_core::rng::stream(6, r), &cat, &chooser, 21..=28, 0.2, &mut out);
                out.iter().map(|l| l.value).sum()
            })
            .collect();
        let m = spends.iter().sum::<f64>() / reps as f64;
        let v = spends.iter().map(|s| (s - m).powi(2)).sum::<f64>() / (reps as f64 - 1.0);
        let se = (v / reps as f64).sqrt();
        assert!((m - expected).abs() < 4.0 * se, "simulated {m}, analytic {expected}, se {se}");
    }
}
