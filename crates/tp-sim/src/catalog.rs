//! The retail catalog: a department → commodity → sub-commodity hierarchy,
//! items with price tier, brand type, base price and perceived (L2) tags, and
//! the weekly promotion calendar.

use rand::Rng;
use rand_distr::StandardNormal;
use tp_core::rng::TpRng;
use tp_core::{Column, Table};

use crate::error::Result;

/// Names of the perceived (L2) tags, in column order. Each is a 0/1 column of
/// the catalog.
pub const TAGS: [&str; 7] = ["healthy", "indulgent", "convenient", "premium", "family", "fresh", "bulk"];
/// Number of L2 tags.
pub(crate) const N_TAGS: usize = TAGS.len();
/// Department names, in the order archetype preferences use.
pub const DEPARTMENTS: [&str; 10] = [
    "GROCERY",
    "PRODUCE",
    "MEAT & SEAFOOD",
    "DAIRY & EGGS",
    "BAKERY",
    "FROZEN",
    "SNACKS & BEVERAGES",
    "HOUSEHOLD",
    "PERSONAL CARE & BABY",
    "DELI & PREPARED",
];
/// Number of departments.
pub(crate) const N_DEPTS: usize = DEPARTMENTS.len();
/// Price-tier labels (index 0 = budget).
pub const PRICE_TIERS: [&str; 3] = ["budget", "mid", "premium"];

const H: u8 = 1; // healthy
const I: u8 = 2; // indulgent
const C: u8 = 4; // convenient
const P: u8 = 8; // premium
const F: u8 = 16; // family
const R: u8 = 32; // fresh
const B: u8 = 64; // bulk

/// (department index, commodity, three sub-commodities, typical price, tag mask).
type CommoditySpec = (usize, &'static str, [&'static str; 3], f64, u8);

const COMMODITIES: [CommoditySpec; 42] = [
    (0, "CANNED GOODS", ["CANNED VEGETABLES", "CANNED SOUP", "CANNED FISH"], 1.8, C | F),
    (0, "PASTA & RICE", ["DRY PASTA", "RICE", "PASTA SAUCE"], 2.2, F),
    (0, "BREAKFAST CEREAL", ["KIDS CEREAL", "ADULT CEREAL", "OATMEAL"], 3.8, F),
    (0, "BAKING", ["FLOUR & SUGAR", "BAKING MIXES", "SPICES"], 3.0, F),
    (0, "CONDIMENTS", ["KETCHUP & MUSTARD", "SALAD DRESSING", "OILS & VINEGAR"], 3.2, 0),
    (0, "COFFEE & TEA", ["GROUND COFFEE", "COFFEE PODS", "TEA"], 6.5, P),
    (1, "FRUIT", ["APPLES & PEARS", "BERRIES", "BANANAS & TROPICAL"], 2.8, H | R),
    (1, "VEGETABLES", ["POTATOES & ONIONS", "GREENS", "TOMATOES & PEPPERS"], 2.0, H | R),
    (1, "SALADS", ["BAGGED SALAD", "SALAD KITS", "SPROUTS & HERBS"], 3.3, H | R | C),
    (1, "ORGANIC PRODUCE", ["ORGANIC FRUIT", "ORGANIC VEGETABLES", "ORGANIC HERBS"], 3.9, H | R | P),
    (2, "BEEF", ["GROUND BEEF", "STEAKS", "ROASTS"], 7.5, F | R),
    (2, "CHICKEN", ["CHICKEN BREASTS", "WHOLE CHICKEN", "WINGS & THIGHS"], 6.0, H | F | R),
    (2, "PORK", ["CHOPS", "BACON", "SAUSAGE"], 5.5, I | F),
    (2, "SEAFOOD", ["FRESH FISH", "SHRIMP", "SALMON"], 9.0, H | R | P),
    (2, "DELI MEATS", ["SLICED TURKEY", "SLICED HAM", "SALAMI"], 4.5, C),
    (3, "MILK", ["WHOLE MILK", "LOW-FAT MILK", "PLANT MILK"], 3.0, F | R),
    (3, "CHEESE", ["SHREDDED CHEESE", "SLICED CHEESE", "SPECIALTY CHEESE"], 4.2, I),
    (3, "YOGURT", ["CUP YOGURT", "GREEK YOGURT", "DRINKABLE YOGURT"], 1.4, H | C),
    (3, "EGGS", ["LARGE EGGS", "ORGANIC EGGS", "EGG SUBSTITUTES"], 3.2, F | R),
    (3, "BUTTER & CREAM", ["BUTTER", "CREAM", "SOUR CREAM"], 3.4, I),
    (4, "BREAD", ["SANDWICH BREAD", "ARTISAN BREAD", "ROLLS & BUNS"], 2.9, F | R),
    (4, "PASTRIES", ["DONUTS", "MUFFINS", "CROISSANTS"], 3.5, I | R),
    (4, "CAKES & DESSERTS", ["CAKES", "PIES", "COOKIES"], 6.0, I | F),
    (5, "FROZEN MEALS", ["SINGLE MEALS", "FAMILY MEALS", "FROZEN BREAKFAST"], 3.8, C),
    (5, "FROZEN PIZZA", ["THIN CRUST", "RISING CRUST", "SNACK PIZZA"], 5.2, C | I | F),
    (5, "ICE CREAM", ["TUBS", "NOVELTIES", "PREMIUM PINTS"], 4.4, I),
    (5, "FROZEN VEGETABLES", ["PLAIN VEGETABLES", "STEAM BAGS", "POTATOES & FRIES"], 2.3, H | C),
    (6, "CHIPS & SNACKS", ["POTATO CHIPS", "TORTILLA CHIPS", "PRETZELS"], 3.3, I | C),
    (6, "CANDY", ["CHOCOLATE", "GUM & MINTS", "SEASONAL CANDY"], 2.0, I),
    (6, "SOFT DRINKS", ["COLA", "FLAVORED SODA", "ENERGY DRINKS"], 4.5, I | C),
    (6, "JUICE", ["ORANGE JUICE", "APPLE JUICE", "JUICE BOXES"], 3.3, F),
    (6, "BEER & WINE", ["BEER", "WINE", "SPIRITS & MIXERS"], 10.5, I | P),
    (6, "WATER", ["STILL WATER", "SPARKLING WATER", "FLAVORED WATER"], 3.5, H | B),
    (7, "PAPER GOODS", ["TOILET TISSUE", "PAPER TOWELS", "NAPKINS"], 7.5, F | B),
    (7, "CLEANING", ["SURFACE CLEANERS", "DISH SOAP", "TRASH BAGS"], 4.0, B),
    (7, "LAUNDRY", ["DETERGENT", "SOFTENER", "STAIN REMOVERS"], 8.5, F | B),
    (7, "PET", ["DOG FOOD", "CAT FOOD", "PET TREATS"], 9.0, B),
    (8, "HEALTH & BEAUTY", ["SHAMPOO", "ORAL CARE", "DEODORANT"], 4.8, 0),
    (8, "MEDICINE", ["PAIN RELIEF", "COLD & FLU", "VITAMINS"], 8.0, H),
    (8, "BABY", ["DIAPERS", "BABY FOOD", "WIPES"], 11.0, F | B),
    (9, "PREPARED MEALS", ["ROTISSERIE CHICKEN", "HOT ENTREES", "SUSHI"], 7.5, C | R),
    (9, "SANDWICHES & PARTY", ["SANDWICHES & WRAPS", "PARTY TRAYS", "DIPS & SPREADS"], 6.5, C | I | F),
];

/// Number of commodities.
pub(crate) const N_COMMODITIES: usize = COMMODITIES.len();

/// One item of the catalog.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub dept: usize,
    pub commodity: usize,
    pub sub: usize,
    /// 0 budget, 1 mid, 2 premium.
    pub tier: usize,
    pub private: bool,
    pub price: f64,
    pub tags: [bool; N_TAGS],
    /// Log popularity (a store-wide random effect).
    pub log_pop: f64,
    /// Promotion discount when on promotion (share of price).
    pub discount: f64,
}

/// The catalog plus the weekly promotion calendar.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub items: Vec<Item>,
    /// `on_promo[week - 1][item]`.
    pub on_promo: Vec<Vec<bool>>,
}

/// Multiplier from the typical commodity prices of the table to shelf prices
/// (calibrates the mean line value to about $3.5).
const PRICE_SCALE: f64 = 0.5;
/// Share of items on promotion in a given week.
const PROMO_RATE: f64 = 0.08;
/// First item id (ids are `ITEM_ID_BASE + index`).
pub(crate) const ITEM_ID_BASE: i64 = 100_001;

impl Catalog {
    /// Draws the catalog and a `weeks`-long promotion calendar.
    pub fn generate(rng: &mut TpRng, weeks: usize) -> Catalog {
        let mut items = Vec::new();
        for (c, &(dept, _, _, typical, mask)) in COMMODITIES.iter().enumerate() {
            for sub in 0..3 {
                let n = rng.random_range(6..=12);
                for _ in 0..n {
                    let u: f64 = rng.random();
                    let tier = if u < 0.3 {
                        0
                    } else if u < 0.75 {
                        1
                    } else {
                        2
                    };
                    let private = rng.random::<f64>() < [0.55, 0.3, 0.08][tier];
                    let mut tags = [false; N_TAGS];
                    for (t, tag) in tags.iter_mut().enumerate() {
                        let has = mask & (1 << t) != 0;
                        *tag = rng.random::<f64>() < if has { 0.85 } else { 0.05 };
                    }
                    // "premium" is perceived mostly from the tier.
                    tags[3] = rng.random::<f64>() < [0.02, 0.15, 0.85][tier] || (tags[3] && tier > 0);
                    let bulk_pack = tags[6] && rng.random::<f64>() < 0.5;
                    let noise: f64 = rng.sample(StandardNormal);
                    let price = PRICE_SCALE
                        * typical
                        * [0.7, 1.0, 1.6][tier]
                        * if private { 0.8 } else { 1.0 }
                        * if bulk_pack { 1.8 } else { 1.0 }
                        * (0.2 * noise).exp();
                    let price = (price.max(0.29) * 100.0).round() / 100.0;
                    let log_pop = 0.8 * rng.sample::<f64, _>(StandardNormal);
                    let discount = rng.random_range(0.15..0.40);
                    items.push(Item {
                        dept,
                        commodity: c,
                        sub,
                        tier,
                        private,
                        price,
                        tags,
                        log_pop,
                        discount,
                    });
                }
            }
        }
        let on_promo = (0..weeks)
            .map(|_| (0..items.len()).map(|_| rng.random::<f64>() < PROMO_RATE).collect())
            .collect();
        Catalog { items, on_promo }
    }

    /// The catalog as a table: `item_id, department, commodity, sub_commodity,
    /// price_tier, brand_type, base_price`, then one 0/1 column per tag.
    pub fn table(&self) -> Result<Table> {
        let it = &self.items;
        let mut cols = vec![
            Column::i64("item_id", (0..it.len()).map(|i| ITEM_ID_BASE + i as i64).collect()),
            Column::str("department", it.iter().map(|x| DEPARTMENTS[x.dept].to_string()).collect()),
            Column::str("commodity", it.iter().map(|x| COMMODITIES[x.commodity].1.to_string()).collect()),
            Column::str(
                "sub_commodity",
                it.iter().map(|x| COMMODITIES[x.commodity].2[x.sub].to_string()).collect(),
            ),
            Column::str("price_tier", it.iter().map(|x| PRICE_TIERS[x.tier].to_string()).collect()),
            Column::str(
                "brand_type",
                it.iter().map(|x| if x.private { "private" } else { "national" }.to_string()).collect(),
            ),
            Column::f64("base_price", it.iter().map(|x| x.price).collect()),
        ];
        for (t, name) in TAGS.iter().enumerate() {
            cols.push(Column::i64(*name, it.iter().map(|x| i64::from(x.tags[t])).collect()));
        }
        Ok(Table::new(cols)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_is_a_tree_and_sizes_are_plausible() {
        let cat = Catalog::generate(&mut tp_core::rng::stream(1, 0), 10);
        assert!((600..=2000).contains(&cat.items.len()), "{} items", cat.items.len());
        // every commodity belongs to exactly one department; sub names are unique
        let mut subs: Vec<&str> = COMMODITIES.iter().flat_map(|c| c.2.iter().copied()).collect();
        subs.sort_unstable();
        let n = subs.len();
        subs.dedup();
        assert_eq!(subs.len(), n, "sub-commodity names must be unique");
        assert!(COMMODITIES.iter().all(|c| c.0 < N_DEPTS));
        let t = cat.table().unwrap();
        assert_eq!(t.n_cols(), 7 + N_TAGS);
        assert!(cat.items.iter().all(|i| i.price > 0.0));
        let promo: usize = cat.on_promo.iter().map(|w| w.iter().filter(|&&b| b).count()).sum();
        let rate = promo as f64 / (10 * cat.items.len()) as f64;
        assert!((rate - PROMO_RATE).abs() < 0.02, "promo rate {rate}");
    }
}
