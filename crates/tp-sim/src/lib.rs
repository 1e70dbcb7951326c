//! # tp-sim: synthetic worlds with known truth
//!
//! tp-sim generates the data every other stage of tp is demonstrated and
//! scored on. It sits at the bottom of the stage layer and depends only on
//! tp-core: it returns [`tp_core::Table`]s and never writes files (the CLI,
//! `tp simulate --preset retail|criteo`, writes them through tp-io). Two
//! presets:
//!
//! - **retail** ([`RetailParams`] → [`RetailWorld`]): a grocery retailer
//!   calibrated to the reference case (a 2,500-household, 102-week, 2.6M-line
//!   coupon campaign): a catalog, a line-item event log, pre-campaign
//!   customer covariates, a campaign log with logging propensities, and a
//!   truth table with the potential outcomes of every household.
//! - **criteo** ([`CriteoParams`]): a large uplift table in the shape of the
//!   Criteo uplift benchmark, streamed in bounded chunks.
//!
//! ```
//! use tp_sim::{Assignment, RetailParams};
//!
//! let world = RetailParams::default()
//!     .customers(200)
//!     .weeks(40)
//!     .seed(7)
//!     .assignment(Assignment::Randomized { treated_share: 0.5 })
//!     .generate()
//!     .unwrap();
//! let names: Vec<&str> = world.tables().iter().map(|(name, _)| *name).collect();
//! assert_eq!(names, ["catalog", "events", "customers", "campaign", "truth"]);
//! assert!((world.economics().breakeven()[0] - 42.43).abs() < 0.01);
//!
//! let sim = tp_sim::CriteoParams::default().rows(1_000).chunk_rows(256).seed(7);
//! let rows: usize = sim.chunks().unwrap().map(|c| c.unwrap().n_rows()).sum();
//! assert_eq!(rows, 1_000);
//! ```
//!
//! ## The retail world
//!
//! **Time.** Weeks `1..=weeks` (default 102); days `1..=7·weeks`. The mailing
//! goes out at the end of week `weeks − window_weeks` (default 94); the outcome
//! window is the last `window_weeks` weeks (default 95–102). Visit rates follow
//! a mild annual cycle with a holiday bump in weeks 47–52 of each year.
//!
//! **Catalog** (~1,150 items, a real hierarchy): 10 departments → 42
//! commodities → 126 sub-commodities, 6–12 items each. Each item has a price
//! tier (budget 30%, mid 45%, premium 25%), a brand type (private label
//! mostly among budget items), a base price (commodity price × tier × brand ×
//! noise), a store-wide popularity and a promotion discount (15–40%). About 8%
//! of items are on promotion in any week (a fixed calendar shared by all
//! households).
//!
//! **Archetypes.** Every household belongs to one latent archetype that sets
//! the means of its parameters; each household then scatters around them
//! (visit rate ×LogNormal(σ 0.2), basket size ×LogNormal(σ 0.2), tastes
//! +N(0, 0.35), department shares ×LogNormal(σ 0.3), a random effect per
//! commodity, promotion hunting ±N(0, 0.1)), so archetypes overlap.
//!
//! | archetype | share | visits/wk | lines/visit | what they buy | coupon effect |
//! |---|---|---|---|---|---|
//! | `vip_heavy` | 12% | 1.9 | 12 | premium tier, national brands, broad | negative (−10% visits: cannibalization, "sleeping dogs") |
//! | `bulk_buyer` | 10% | 0.57 | 20 (+0.8 extra units) | bulk packs, household goods, budget | about zero |
//! | `family` | 14% | 1.04 | 12 | family-tagged items, budget, private label | small positive |
//! | `fresh_food` | 12% | 1.33 | 7 | produce, meat, dairy; healthy and fresh tags | small positive |
//! | `deal_seeker` | 16% | 1.14 | 8.5 | hunts promotions (60% of lines), budget, private label | strongly positive (+30% visits) |
//! | `convenience` | 14% | 1.9 | 4.5 | frozen, snacks, deli; convenient and indulgent tags | small positive |
//! | `light_grocery` | 22% | 0.95 | 5.5 | small baskets, broad | positive (+27% visits) |
//!
//! A share of households (8–30% by archetype) is *lapsing*: from 3–20 weeks
//! before the mailing their visit rate drops to 30–85%. Lapsing households
//! respond more to the coupon (win-back), and keener deal hunters respond
//! more than their archetype's mean.
//!
//! **Shopping process.** Week `w`: visits ~ Poisson(rate · season(w) · lapse ·
//! frailty), frailty ~ Gamma(3)/3; each visit has 1 + Poisson((basket − 1) ·
//! Gamma(2)/2) lines; each line picks an item from the household's choice
//! distribution (department share × softmax within department of popularity +
//! commodity effect + tastes·tags + tier and private-label affinity). With
//! probability `promo_hunt` a line is deal-hunted: up to 6 candidates are drawn
//! and the first on promotion taken (else the first). Quantity is 1 +
//! Poisson(extra units); value = quantity × price × (1 − discount if on
//! promotion), rounded to cents. In the outcome window, the received arm
//! multiplies the visit rate by `exp(delta_arm)`: the treatment acts on the
//! event log itself.
//!
//! **Assignment** ([`Assignment`]): by default *current practice*: the
//! probability of being mailed is a logistic function of a standardized score
//! of log pre-period spend (total and last 12 weeks), with slope solved so the
//! expected propensity AUC is 0.9 and intercept so 40% are mailed; the knob
//! `target_auc` goes up to 0.995 (0.99 is the reference case's overlap). Only
//! covariates of the `customers` table enter, so the campaign is unconfounded
//! given them. `Randomized` gives an RCT. With `arms(3)`, treated households
//! are split between `coupon` and `loyalty_bonus` (heavier households lean to
//! the bonus under current practice).
//!
//! **Economics** ([`Economics`]): margin 30%; `coupon` costs $12.73 (break-even
//! uplift $42.43 in window spend), `loyalty_bonus` $24.50 ($81.67).
//!
//! ### Tables
//!
//! - `catalog`: `item_id` (int, from 100001), `department`, `commodity`,
//!   `sub_commodity`, `price_tier` (`budget|mid|premium`), `brand_type`
//!   (`national|private`), `base_price` ($), and one 0/1 int column per L2
//!   tag: `healthy, indulgent, convenient, premium, family, fresh, bulk`.
//! - `events` (one row per line item, ordered by customer then time):
//!   `customer_id`, `basket_id` (one per visit, globally unique), `day`, `week`,
//!   `item_id`, `quantity`, `value` ($ paid), `promo` (bool).
//! - `customers` (what a modeler knows before the campaign; no archetype):
//!   `customer_id`, `age_band` (1 = 19–24, 2 = 25–34, 3 = 35–44, 4 = 45–54,
//!   5 = 55–64, 6 = 65+), `income_band` (1 = under 25k, 2 = 25–50k, 3 = 50–75k,
//!   4 = 75–100k, 5 = 100–150k, 6 = 150k+), `household_size`, `kids`,
//!   `homeowner` (bool), and pre-period (weeks up to the mailing) behavior:
//!   `pre_spend`, `pre_visits`, `pre_items` (lines), `pre_avg_basket` ($ per
//!   visit), `pre_promo_share` (share of lines on promotion),
//!   `pre_recency_weeks` (mailing week − last visit week), `pre_spend_last12`,
//!   `pre_weeks_active`.
//! - `campaign`: `customer_id`, `arm` (label), `treatment` (arm index, 0 =
//!   control), `outcome` (total `value` of the household's events in the
//!   outcome window), `propensity` (logging probability of the arm received),
//!   `p_<arm>` per arm, `campaign_start_day` (the first day of the outcome
//!   window, `7·mailing_week + 1`, the same for every household: profiles built
//!   from `events` for modeling must stop the day before).
//! - `truth`: `customer_id`, `archetype`, `e_<arm>` (true propensities),
//!   `mu_<arm>` (expected window spend under each arm, computed analytically
//!   from the household's parameters, not from the realized draw),
//!   `tau_<arm>` = `mu_<arm> − mu_control` per treatment arm, `oracle_arm` (the
//!   arm with the highest true expected profit `margin·tau − cost`, control if
//!   none is positive), `delta_<arm>` (log-lift of the visit rate), and the
//!   latent parameters `visit_rate`, `basket_mean`, `promo_hunt`, `lapse`,
//!   `taste_<tag>`.
//!
//! ### Calibration targets (seed 7, defaults; tested in `tests/sim.rs`)
//!
//! Events 2–3M (2.68M); top 45% of households bring 70–75% of revenue (0.734);
//! the heaviest archetype is ~12% of households (12.3%) at several times the
//! mean spend (2.9×); the oracle treats 20–40% (30%); treating everyone loses
//! money (true profit −$14.2k) while the oracle earns (+$5.4k); realized
//! propensity AUC 0.897 at the default and 0.990 at the extreme knob
//! (`target_auc: 0.99`); the correlation between pre-period spend and τ is
//! negative (−0.54), so a response model targets the wrong households: even
//! a perfect one (mail the 30% with the highest true spend when treated)
//! loses $9.4k. The default world generates in 1–2 s on two cores with a
//! peak of ~230 MB (`examples/retail_timing.rs`).
//!
//! ### What the truth lets each stage score
//!
//! - *profile*: `taste_<tag>` and the archetype against L2 profiles;
//! - *segment*: `archetype` against segments (ARI), `lapse` against recency;
//! - *uplift*: `tau_<arm>` against τ̂ (PEHE, rank correlation, calibration), the
//!   mean of `tau` against the ATE, `e_<arm>` against estimated propensities;
//! - *policy*: `oracle_arm` and the true profit of any assignment
//!   (Σ margin·tau − cost over the treated);
//! - *OPE*: the true value of any policy from `mu_<arm>`, against estimates
//!   from the logged `campaign`.
//!
//! ## The criteo preset
//!
//! `rows` rows (default 1M) of: `f0..f11` (floats from three correlated
//! Gaussian blocks pushed through log-normal, count, binary, bounded,
//! censored and ordinal transforms; `f11` is pure noise), `treatment` (0/1,
//! probability `treated_share` = 0.85 for every row, as in the Criteo RCT),
//! the outcome `visit` (0/1, ~5%), `propensity` (of the arm received: 0.85 treated, 0.15 control); a second outcome
//! `conversion` (0/1, only after a visit, ~0.6%); and truth: `mu0`, `mu1`
//! (P(conversion) without and with treatment), `tau` = `mu1 − mu0`
//! (heterogeneous, negative for ~30% of rows), `tau_visit`.
//! `tp simulate --preset criteo` writes [`CRITEO_TRUTH_COLUMNS`] (`conversion`
//! and the truth) to their own file (`criteo_truth`, row `i` of it is row `i`
//! of `criteo`), so the data file holds the features, the arm, the logged
//! propensity and one outcome, and `tp uplift --outcome visit` on it uses the
//! twelve features and nothing measured after the treatment. (`conversion`
//! implies `visit`: as a covariate of the visit model it would leak the
//! answer.) Row `i` is drawn from
//! its own stream `stream(derive_seed_str(seed, "criteo"), i)`, so the rows do
//! not depend on the chunk size, and memory is bounded by `chunk_rows`.
//!
//! ## Determinism
//!
//! Household `h` draws its parameters and pre-period from
//! `stream(derive_seed_str(seed, "households"), h)`, its arm from the
//! `"assignment"` stream and its window from the `"window"` stream; results are
//! concatenated in household order, so the output is identical at any thread
//! count, and the pre-period does not depend on the assignment rule.

mod assign;
mod catalog;
mod criteo;
mod error;
mod household;
mod retail;
mod retail_params;
mod world;

pub use assign::Assignment;
pub use catalog::{DEPARTMENTS, PRICE_TIERS, TAGS};
pub use criteo::{
    CRITEO_FEATURES, CRITEO_TRUTH_COLUMNS, CriteoChunks, CriteoParams, MAX_CHUNK_ROWS, MAX_CRITEO_ROWS,
};
pub use error::{Result, SimError};
pub use retail_params::{ARM_LABELS, MAX_CUSTOMERS, MIN_CUSTOMERS, MIN_PRE_WEEKS, RetailParams};
pub use tp_core::Economics;
pub use world::{Calibration, RetailWorld};
