//! The mergeable profile state: per-customer time-decayed sums.
//!
//! Every event `e` of a customer, on day `t_e ≤ as_of`, carries the decay
//! factor `d_e = 2^{-(as_of − t_e)/h}` (half-life `h` days) and the raw weight
//! `w_e` (its `value` for [`Weight::Spend`], its `quantity` for
//! [`Weight::Count`]). The state stores only sums of the form `Σ_e d_e·w_e·x_e`
//! (and `Σ (d_e w_e)²`), all *at the reference time* `as_of`. Two states
//! built with the same `h` and `as_of` from disjoint parts of an event log
//! therefore merge by plain addition, in any order and grouping (up to float
//! rounding). Moving the reference to a later `as_of'` multiplies every sum by
//! `2^{-(as_of' − as_of)/h}` (squared sums by its square) — exact, see
//! [`ProfileState::rebase`]. Visit days are kept as a sorted set of distinct
//! days per customer (union on merge), so gap statistics stay exact whatever
//! the split of the log.

use crate::error::{ProfileError, Result};
use crate::slots::{SlotSums, Storage};
use crate::spec::Catalog;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What weights an event in shares and means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Weight {
    /// The event's `value` (spend).
    Spend,
    /// The event's `quantity` (units).
    Count,
}

/// Names of the event columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventColumns {
    /// Integer customer id. Default `customer_id`.
    pub customer_id: String,
    /// Integer item id. Default `item_id`.
    pub item_id: String,
    /// Time in days (int or float). Default `day`.
    pub day: String,
    /// Units; negative = return (netted). Default `quantity`.
    pub quantity: String,
    /// Amount paid; negative for returns. Default `value`.
    pub value: String,
    /// Optional promotion flag (bool or 0/1); absent column = no promotions. Default `promo`.
    pub promo: String,
}

impl Default for EventColumns {
    fn default() -> Self {
        EventColumns {
            customer_id: "customer_id".into(),
            item_id: "item_id".into(),
            day: "day".into(),
            quantity: "quantity".into(),
            value: "value".into(),
            promo: "promo".into(),
        }
    }
}

/// Parameters of a profile (consuming builder; defaults documented per field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileParams {
    /// Half-life of the time decay in days (default 90).
    pub half_life_days: f64,
    /// Reference day; `None` = the latest event day. Events after it are ignored (counted).
    pub as_of: Option<f64>,
    /// Spend or count weighting (default spend).
    pub weight: Weight,
    /// Empirical-Bayes prior strength `s`, in effective events (default 5).
    pub shrinkage_strength: f64,
    /// Window in days of `l3.trend`: spend in the last window vs the one before (default 91).
    pub trend_window_days: f64,
    /// Unknown item ids are an error instead of counted and skipped (default false).
    pub strict: bool,
    /// Emit nested shares within the parent for hierarchy levels below the top (default true).
    pub nested_shares: bool,
    /// Emit lift columns vs the population (default true).
    pub lift: bool,
    /// Event column names.
    pub columns: EventColumns,
    /// Rows per parallel partition (default 65,536). Kept for saved states;
    /// the accumulator now splits work by customer, so results do not depend on it.
    pub chunk_rows: usize,
    /// Dense or sparse categorical sums (default [`Storage::Auto`]: by the slot count).
    #[serde(default)]
    pub storage: Storage,
}

impl Default for ProfileParams {
    fn default() -> Self {
        ProfileParams {
            half_life_days: 90.0,
            as_of: None,
            weight: Weight::Spend,
            shrinkage_strength: 5.0,
            trend_window_days: 91.0,
            strict: false,
            nested_shares: true,
            lift: true,
            columns: EventColumns::default(),
            chunk_rows: 1 << 16,
            storage: Storage::Auto,
        }
    }
}

impl ProfileParams {
    /// Sets the half-life in days.
    pub fn half_life_days(mut self, h: f64) -> Self {
        self.half_life_days = h;
        self
    }
    /// Sets the reference day.
    pub fn as_of(mut self, day: f64) -> Self {
        self.as_of = Some(day);
        self
    }
    /// Sets the weighting.
    pub fn weight(mut self, w: Weight) -> Self {
        self.weight = w;
        self
    }
    /// Sets the shrinkage strength.
    pub fn shrinkage_strength(mut self, s: f64) -> Self {
        self.shrinkage_strength = s;
        self
    }
    /// Sets strict mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
    /// Sets the rows per parallel partition.
    pub fn chunk_rows(mut self, n: usize) -> Self {
        self.chunk_rows = n;
        self
    }
    /// Sets the storage of categorical sums.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Checks every parameter's range (a finite positive half-life, …); the error names it.
    pub fn validate(&self) -> Result<()> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ProfileError::Param {
                    name: name.into(),
                    value: v.to_string(),
                    hint: "must be > 0".into(),
                })
            }
        };
        pos("half_life_days", self.half_life_days)?;
        pos("trend_window_days", self.trend_window_days)?;
        if !(self.shrinkage_strength >= 0.0 && self.shrinkage_strength.is_finite()) {
            return Err(ProfileError::Param {
                name: "shrinkage_strength".into(),
                value: self.shrinkage_strength.to_string(),
                hint: "must be ≥ 0".into(),
            });
        }
        if let Some(a) = self.as_of.filter(|a| !a.is_finite()) {
            return Err(ProfileError::Param {
                name: "as_of".into(),
                value: a.to_string(),
                hint: "must be finite".into(),
            });
        }
        Ok(())
    }
}

/// Decayed sums of one customer (all at the state's reference day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerAcc {
    /// `Σ d·w`.
    pub w: f64,
    /// `Σ (d·w)²` (for the effective sample size).
    pub w2: f64,
    /// `Σ d` (decayed line count).
    pub lines: f64,
    /// `Σ d·[promo]`.
    pub promo_lines: f64,
    /// `Σ d·value` (decayed spend, the monetary value).
    pub spend: f64,
    /// Undecayed line count.
    pub n_lines: u64,
    /// Undecayed spend.
    pub total_spend: f64,
    /// `Σ d·w` per categorical slot, dense or sparse ([`Storage`]).
    pub cat: SlotSums,
    /// `Σ d·w·x_j` per numeric attribute.
    pub num: Vec<f64>,
    /// Sorted distinct visit days (floor of the event day) with the
    /// undecayed spend of that day.
    pub visits: Vec<(i64, f64)>,
}

impl CustomerAcc {
    fn add(&mut self, o: &CustomerAcc) {
        self.w += o.w;
        self.w2 += o.w2;
        self.lines += o.lines;
        self.promo_lines += o.promo_lines;
        self.spend += o.spend;
        self.n_lines += o.n_lines;
        self.total_spend += o.total_spend;
        self.cat.add(&o.cat);
        if self.num.len() < o.num.len() {
            self.num.resize(o.num.len(), 0.0);
        }
        self.num.iter_mut().zip(&o.num).for_each(|(a, b)| *a += b);
        self.visits = union_sorted(&self.visits, &o.visits);
    }
}

fn union_sorted(a: &[(i64, f64)], b: &[(i64, f64)]) -> Vec<(i64, f64)> {
    let mut out: Vec<(i64, f64)> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let x = if j == b.len() || (i < a.len() && a[i].0 <= b[j].0) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        match out.last_mut() {
            Some(last) if last.0 == x.0 => last.1 += x.1,
            _ => out.push(x),
        }
    }
    out
}

/// Counts from building a state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Events read.
    pub n_events: u64,
    /// Events whose item is not in the catalog (skipped).
    pub n_unknown_items: u64,
    /// Events after `as_of` (skipped).
    pub n_future: u64,
    /// Events with negative quantity (returns, netted).
    pub n_returns: u64,
}

impl Diagnostics {
    pub(crate) fn add(&mut self, o: &Diagnostics) {
        self.n_events += o.n_events;
        self.n_unknown_items += o.n_unknown_items;
        self.n_future += o.n_future;
        self.n_returns += o.n_returns;
    }
}

/// The mergeable profile summary of a set of customers.
///
/// Deserialization validates the state ([`ProfileState::validate`]): a
/// damaged file is an error naming the customer and field, never a state
/// that panics later. Whether it fits a catalog is checked when it is used
/// with one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StateForm")]
pub struct ProfileState {
    /// Parameters (with `as_of` resolved).
    pub params: ProfileParams,
    /// Slot and numeric names of the catalog it was built against.
    pub layout: Vec<String>,
    /// Per-customer sums, by customer id.
    pub customers: BTreeMap<i64, CustomerAcc>,
    /// Counts.
    pub diagnostics: Diagnostics,
}

/// The unchecked on-disk form of a [`ProfileState`].
#[derive(Deserialize)]
struct StateForm {
    params: ProfileParams,
    layout: Vec<String>,
    customers: BTreeMap<i64, CustomerAcc>,
    diagnostics: Diagnostics,
}

impl TryFrom<StateForm> for ProfileState {
    type Error = ProfileError;

    fn try_from(f: StateForm) -> Result<Self> {
        let state = ProfileState {
            params: f.params,
            layout: f.layout,
            customers: f.customers,
            diagnostics: f.diagnostics,
        };
        state.validate()?;
        Ok(state)
    }
}

/// Largest |visit day| a state may hold: gaps between days then fit an i64
/// and a day converts to f64 exactly.
const MAX_DAY: i64 = 1 << 52;

impl CustomerAcc {
    /// What is wrong with this customer's sums, if anything (`width`: the
    /// layout's length, the bound of slot and numeric indices).
    fn problem(&self, width: usize) -> Option<String> {
        let scalars = [
            ("w", self.w),
            ("w2", self.w2),
            ("lines", self.lines),
            ("promo_lines", self.promo_lines),
            ("spend", self.spend),
            ("total_spend", self.total_spend),
        ];
        if let Some((name, v)) = scalars.iter().find(|(_, v)| !v.is_finite()) {
            return Some(format!("{name} is {v}"));
        }
        match &self.cat {
            SlotSums::Dense(v) => {
                if v.len() > width {
                    return Some(format!("{} slot sums for a layout of {width}", v.len()));
                }
                if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                    return Some(format!("slot {k} sum is {}", v[k]));
                }
            }
            SlotSums::Sparse(v) => {
                if let Some(&(k, x)) = v.iter().find(|(k, x)| *k as usize >= width || !x.is_finite()) {
                    return Some(format!("slot {k} sum {x} (layout has {width} entries)"));
                }
                if v.windows(2).any(|w| w[0].0 >= w[1].0) {
                    return Some("sparse slots are not strictly increasing".into());
                }
            }
        }
        if self.num.len() > width || self.num.iter().any(|x| !x.is_finite()) {
            return Some(format!(
                "{} numeric sums, not all finite (layout has {width} entries)",
                self.num.len()
            ));
        }
        if let Some(&(d, v)) =
            self.visits.iter().find(|(d, v)| !(-MAX_DAY..=MAX_DAY).contains(d) || !v.is_finite())
        {
            return Some(format!("visit day {d} with spend {v} (days must lie within ±2^52, spend finite)"));
        }
        if self.visits.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Some("visit days are not strictly increasing".into());
        }
        None
    }
}

impl ProfileState {
    /// Checks a state read from a file: valid parameters with a finite
    /// reference day, and per customer finite sums, slot indices inside the
    /// layout, sparse slots and visit days strictly increasing.
    pub fn validate(&self) -> Result<()> {
        let corrupt = |reason: String| ProfileError::CorruptState { reason };
        self.params.validate().map_err(|e| corrupt(format!("params: {e}")))?;
        if self.params.as_of.is_none() {
            return Err(corrupt("params.as_of (the reference day) is missing".into()));
        }
        let width = self.layout.len();
        for (id, c) in &self.customers {
            if let Some(why) = c.problem(width) {
                return Err(corrupt(format!("customer {id}: {why}")));
            }
        }
        Ok(())
    }

    /// An empty state for `catalog` at reference day `as_of`.
    pub fn empty(catalog: &Catalog, params: &ProfileParams, as_of: f64) -> Result<Self> {
        params.validate()?;
        let mut p = params.clone();
        p.as_of = Some(as_of);
        Ok(ProfileState {
            params: p,
            layout: catalog.layout(),
            customers: BTreeMap::new(),
            diagnostics: Diagnostics::default(),
        })
    }

    /// Moves the reference day to `as_of ≥` the current one, rescaling every
    /// decayed sum by `2^{-(as_of − old)/h}` (exact).
    pub fn rebase(&mut self, as_of: f64) -> Result<()> {
        let old = self.params.as_of.unwrap_or(0.0);
        if !(as_of.is_finite() && as_of >= old) {
            return Err(ProfileError::Param {
                name: "as_of".into(),
                value: as_of.to_string(),
                hint: format!("a state can only move forward from day {old}"),
            });
        }
        let f = (-(as_of - old) / self.params.half_life_days).exp2();
        for c in self.customers.values_mut() {
            c.w *= f;
            c.w2 *= f * f;
            c.lines *= f;
            c.promo_lines *= f;
            c.spend *= f;
            c.cat.scale(f);
            c.num.iter_mut().for_each(|x| *x *= f);
        }
        self.params.as_of = Some(as_of);
        Ok(())
    }

    /// Merges two states built with the same decay parameters, reference day
    /// and catalog layout: plain addition of the sums, union of visit days.
    pub fn merge(mut self, other: ProfileState) -> Result<ProfileState> {
        self.check_compatible(&other)?;
        self.add_customers(other.customers, other.diagnostics);
        Ok(self)
    }

    fn add_customers(&mut self, customers: BTreeMap<i64, CustomerAcc>, o: Diagnostics) {
        for (id, acc) in customers {
            match self.customers.get_mut(&id) {
                Some(a) => a.add(&acc),
                None => {
                    self.customers.insert(id, acc);
                }
            }
        }
        self.diagnostics.add(&o);
    }

    /// Reference day.
    pub fn as_of(&self) -> f64 {
        self.params.as_of.unwrap_or(0.0)
    }

    fn check_compatible(&self, o: &ProfileState) -> Result<()> {
        let (a, b) = (&self.params, &o.params);
        let why = if a.half_life_days != b.half_life_days {
            "different half-lives"
        } else if a.as_of != b.as_of {
            "different reference days (rebase one of them)"
        } else if a.weight != b.weight {
            "different weighting"
        } else if self.layout != o.layout {
            "built against different catalogs"
        } else {
            return Ok(());
        };
        Err(ProfileError::Incompatible { reason: why.into() })
    }

    pub(crate) fn check_catalog(&self, catalog: &Catalog) -> Result<()> {
        if self.layout != catalog.layout() {
            return Err(ProfileError::Incompatible {
                reason: "the state was built against a different catalog layout".into(),
            });
        }
        // the layout lists the slots, then the numerics: indices must stay in their part
        let (ns, nn) = (catalog.n_slots, catalog.numerics.len());
        for (id, c) in &self.customers {
            let mut top = None;
            c.cat.for_each(|k, x| {
                if k >= ns && (x != 0.0 || matches!(c.cat, SlotSums::Sparse(_))) {
                    top.get_or_insert(k);
                }
            });
            if let Some(k) = top {
                return Err(ProfileError::CorruptState {
                    reason: format!("customer {id}: slot {k}, but the catalog has {ns} slots"),
                });
            }
            if c.num.len() > nn {
                return Err(ProfileError::CorruptState {
                    reason: format!("customer {id}: {} numeric sums, the catalog has {nn}", c.num.len()),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_visit_days_sums_spend_on_shared_days() {
        let a = [(1, 1.0), (3, 2.0)];
        let b = [(0, 5.0), (3, 1.0), (7, 4.0)];
        assert_eq!(union_sorted(&a, &b), vec![(0, 5.0), (1, 1.0), (3, 3.0), (7, 4.0)]);
        assert_eq!(union_sorted(&b, &a), union_sorted(&a, &b));
        assert_eq!(union_sorted(&[], &a), a.to_vec());
    }

    #[test]
    fn invalid_params_are_rejected() {
        assert!(ProfileParams::default().half_life_days(0.0).validate().is_err());
        assert!(ProfileParams::default().shrinkage_strength(-1.0).validate().is_err());
        assert!(ProfileParams::default().as_of(f64::NAN).validate().is_err());
        assert!(ProfileParams::default().validate().is_ok());
    }
}
