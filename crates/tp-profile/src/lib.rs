//! # tp-profile: multi-layer customer profiles from event logs
//!
//! A profile answers three questions about a customer: *what* is consumed
//! (L1, objective product attributes such as department or price tier), *in
//! what mood or context* (L2, perceived attributes such as healthy or
//! indulgent, from any tagging source), and *through which hidden patterns*
//! (L3, behavior: promotion share, regularity, basket size, variety, RFM,
//! trend). It sits right after ingest (`events + catalog → PROFILE`) and feeds
//! tp-segment and the uplift covariates; it depends only on tp-core.
//!
//! ## Main types
//!
//! - [`CatalogSpec`]: which catalog columns are categorical or numeric, their
//!   layer, and the hierarchies (`department → commodity → sub_commodity`);
//!   [`CatalogSpec::infer`] guesses one, the builder declares one.
//!   [`Catalog`] is the catalog compiled against a spec.
//! - [`ProfileParams`]: half-life, `as_of`, spend or count weighting,
//!   shrinkage strength, strictness, event column names.
//! - [`ProfileState`]: the *mergeable summary*. Every sum is time-decayed to
//!   the fixed reference day `as_of` (an event of day `t` counts
//!   `2^{-(as_of − t)/h}`), so states of disjoint event sets merge by plain
//!   addition ([`ProfileState::merge`], associative and commutative up to
//!   rounding), grow with new events ([`ProfileState::update`]), move their
//!   reference day forward exactly ([`ProfileState::rebase`]) and serialize
//!   with serde. Visit days are a sorted set per customer, so inter-purchase
//!   gaps stay exact across any split of the log.
//! - [`ProfileContext`]: the state as a [`tp_core::Mergeable`] summary (map a
//!   partition of the events, merge, finish once), the seam `tp.spark.profiles`
//!   runs on; equal to one pass to a relative 1e-12 (see its module).
//! - [`StateBuilder`]: the streaming entry: push event chunks one at a time
//!   (e.g. from `tp_io::read_table_chunks`); memory follows customers ×
//!   touched attribute values and visit days, never the number of events.
//!   [`ProfileState::build`] is one push.
//! - [`Storage`] / [`SlotSums`]: per-customer categorical sums are dense (one
//!   float per attribute value) when the catalog has at most
//!   [`DENSE_MAX_SLOTS`] values, sparse (sorted `(value, sum)` pairs of the
//!   touched values) above; both give the same results.
//! - [`Profiles`]: the finished profiles ([`ProfileState::finish`]), with the
//!   wide [`Profiles::table`]: `l1.department.PRODUCE`, `….within`, `….lift`,
//!   `l2.healthy`, `l3.promo_share`, …. L3: promotion share of decayed lines,
//!   CV and mean of the gaps between visit days, decayed lines per visit,
//!   normalized entropy over the finest hierarchy level, recency, decayed
//!   visit count (frequency), decayed spend (monetary), total spend, trend
//!   `(recent − earlier)/(recent + earlier)` over two windows of
//!   `trend_window_days`, and the effective number of events.
//!   [`profile`] does spec inference, compile, build and finish in one call.
//! - [`affinity`] and [`opportunities`]: cosine similarity between a
//!   customer's standardized profile and the attribute vectors of items (or of
//!   the items carrying one attribute value), and the values a customer
//!   resembles but under-buys, with the attributes that drive the score.
//!
//! ## Key choices
//!
//! Shares are shrunk toward the population mix with an empirical-Bayes prior
//! worth `s` events: `(n·share + s·pop)/(n + s)`, `n` the Kish effective number
//! of decayed events — thin histories look like the population, not like
//! noise. Accumulation maps customer and item ids to dense indices once per
//! row, then updates customers split into shards in parallel (rayon), each
//! customer's sums in row order by one task: the state is bit-identical at
//! any thread count and chunking. Whole-day decay factors come from a table.
//!
//! Memory: the state holds per customer a few scalars, the categorical sums
//! (dense `n_slots` floats, or 16 bytes per touched value when sparse), the
//! numeric sums and the distinct visit days with their spend — bounded by
//! customers × (attribute values + days), whatever the number of events
//! (10M and 100M streamed events over the same customers and days peak at the
//! same RSS, see `examples/profile_stream.rs`). [`Profiles`] and its table are
//! dense (one column per value), so finishing a very large attribute space
//! costs customers × values there.
//!
//! ## Example
//!
//! ```
//! use tp_core::{Column, Table};
//! use tp_profile::{Catalog, CatalogSpec, ProfileParams, ProfileState};
//!
//! let catalog = Table::new(vec![
//!     Column::i64("item_id", vec![1, 2]),
//!     Column::str("department", vec!["PRODUCE".into(), "SNACKS".into()]),
//!     Column::i64("healthy", vec![1, 0]),
//! ])?;
//! let events = Table::new(vec![
//!     Column::i64("customer_id", vec![7, 7, 8]),
//!     Column::i64("item_id", vec![1, 2, 2]),
//!     Column::i64("day", vec![0, 10, 10]),
//!     Column::f64("quantity", vec![1.0, 1.0, 2.0]),
//!     Column::f64("value", vec![3.0, 1.0, 2.0]),
//! ])?;
//! let catalog = Catalog::new(&catalog, &CatalogSpec::infer(&catalog)?)?;
//! let params = ProfileParams::default().half_life_days(30.0).as_of(10.0).shrinkage_strength(0.0);
//! let state = ProfileState::build(&events, &catalog, &params)?;
//! let profiles = state.finish(&catalog)?;
//! let healthy = profiles.table().f64_values("l2.healthy")?;
//! // customer 7: $3 healthy 10 days ago (decay 2^{-1/3}) and $1 not healthy today
//! let d = (-10.0f64 / 30.0).exp2();
//! assert!((healthy[0] - 3.0 * d / (3.0 * d + 1.0)).abs() < 1e-12);
//! assert_eq!(healthy[1], 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accum;
mod affinity;
mod error;
mod finish;
mod merge;
mod slots;
mod spec;
mod state;

pub use accum::StateBuilder;
pub use affinity::{
    Opportunity, affinity, item_affinity, opportunities, opportunities_for, opportunities_table,
};
pub use error::{ProfileError, Result};
pub use finish::{L3_FEATURES, Profiles, shrink};
pub use merge::ProfileContext;
pub use slots::{DENSE_MAX_SLOTS, SlotSums, Storage};
pub use spec::{AttrKind, AttributeSpec, Catalog, CatalogSpec, Field, HierarchySpec, Layer};
pub use state::{CustomerAcc, Diagnostics, EventColumns, ProfileParams, ProfileState, Weight};

/// One call for the CLI: infers the [`CatalogSpec`], compiles the catalog,
/// builds the state and finishes it. Returns all three so the caller can
/// save the state ([`ProfileState`] is serde-serializable), write
/// [`Profiles::table`] and compute [`opportunities`].
pub fn profile(
    events: &tp_core::Table,
    catalog: &tp_core::Table,
    params: &ProfileParams,
) -> Result<(Catalog, ProfileState, Profiles)> {
    let catalog = Catalog::new(catalog, &CatalogSpec::infer(catalog)?)?;
    let state = ProfileState::build(events, &catalog, params)?;
    let profiles = state.finish(&catalog)?;
    Ok((catalog, state, profiles))
}
