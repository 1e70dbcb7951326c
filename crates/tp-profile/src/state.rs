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
use crate::spec::{Catalog, int_column};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use tp_core::{ColumnData, Table};

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
    /// Rows per parallel partition (default 65,536).
    pub chunk_rows: usize,
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

    fn validate(&self) -> Result<()> {
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
    /// `Σ d·w` per categorical slot.
    pub cat: Vec<f64>,
    /// `Σ d·w·x_j` per numeric attribute.
    pub num: Vec<f64>,
    /// Sorted distinct visit days (floor of the event day) with the
    /// undecayed spend of that day.
    pub visits: Vec<(i64, f64)>,
}

impl CustomerAcc {
    fn new(n_slots: usize, n_num: usize) -> Self {
        CustomerAcc {
            w: 0.0,
            w2: 0.0,
            lines: 0.0,
            promo_lines: 0.0,
            spend: 0.0,
            n_lines: 0,
            total_spend: 0.0,
            cat: vec![0.0; n_slots],
            num: vec![0.0; n_num],
            visits: Vec::new(),
        }
    }

    fn add(&mut self, o: &CustomerAcc) {
        self.w += o.w;
        self.w2 += o.w2;
        self.lines += o.lines;
        self.promo_lines += o.promo_lines;
        self.spend += o.spend;
        self.n_lines += o.n_lines;
        self.total_spend += o.total_spend;
        self.cat.iter_mut().zip(&o.cat).for_each(|(a, b)| *a += b);
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

/// The mergeable profile summary of a set of customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

impl ProfileState {
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

    /// Profiles `events` against `catalog`: partitions of `chunk_rows` rows are
    /// summarized in parallel and merged in partition order.
    pub fn build(events: &Table, catalog: &Catalog, params: &ProfileParams) -> Result<Self> {
        params.validate()?;
        let cols = EventCols::read(events, &params.columns)?;
        let as_of = match params.as_of {
            Some(a) => a,
            None => cols.day.iter().copied().fold(f64::NEG_INFINITY, f64::max).max(0.0),
        };
        let mut state = ProfileState::empty(catalog, params, as_of)?;
        state.absorb(&cols, catalog)?;
        Ok(state)
    }

    /// Adds `new_events` to the state (same reference day): equal to profiling
    /// the old and new events together. Call [`ProfileState::rebase`] first to
    /// move the reference day forward.
    pub fn update(&mut self, new_events: &Table, catalog: &Catalog) -> Result<()> {
        self.check_catalog(catalog)?;
        let cols = EventCols::read(new_events, &self.params.columns)?;
        self.absorb(&cols, catalog)
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
            c.cat.iter_mut().for_each(|x| *x *= f);
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
        let d = &mut self.diagnostics;
        d.n_events += o.n_events;
        d.n_unknown_items += o.n_unknown_items;
        d.n_future += o.n_future;
        d.n_returns += o.n_returns;
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
        Ok(())
    }

    fn absorb(&mut self, cols: &EventCols<'_>, catalog: &Catalog) -> Result<()> {
        let n = cols.customer.len();
        let chunk = self.params.chunk_rows.max(1);
        let ranges: Vec<(usize, usize)> = (0..n).step_by(chunk).map(|s| (s, (s + chunk).min(n))).collect();
        let parts: Vec<Partial> =
            ranges.par_iter().map(|&(s, e)| accumulate(cols, catalog, &self.params, s, e)).collect();
        if self.params.strict {
            let unknown: usize = parts.iter().map(|p| p.unknown).sum();
            if let Some(p) = parts.iter().find(|p| p.unknown > 0) {
                let (first, row) = p.first_unknown.unwrap_or((0, 0));
                return Err(ProfileError::UnknownItems { count: unknown, first, row });
            }
        }
        for p in parts {
            self.add_customers(p.customers, p.diag);
        }
        Ok(())
    }
}

/// Event columns as slices.
struct EventCols<'a> {
    customer: std::borrow::Cow<'a, [i64]>,
    item: std::borrow::Cow<'a, [i64]>,
    day: std::borrow::Cow<'a, [f64]>,
    quantity: std::borrow::Cow<'a, [f64]>,
    value: std::borrow::Cow<'a, [f64]>,
    promo: Option<Vec<bool>>,
}

impl<'a> EventCols<'a> {
    fn read(t: &'a Table, c: &EventColumns) -> Result<Self> {
        let num = |name: &str| -> Result<std::borrow::Cow<'a, [f64]>> {
            let col = t.column(name)?;
            if let ColumnData::Str(_) = col.data {
                return Err(ProfileError::ColumnType {
                    table: "events".into(),
                    column: name.into(),
                    expected: "numbers (check the file for text in this column)".into(),
                    found: "string".into(),
                });
            }
            let v = t.f64_values(name)?;
            if let Some((row, &value)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(ProfileError::NonFinite { column: name.into(), row, value });
            }
            Ok(v)
        };
        let promo = match t.column(&c.promo).ok().map(|col| &col.data) {
            None => None,
            Some(ColumnData::Bool(v)) => Some(v.clone()),
            Some(ColumnData::Str(_)) => {
                return Err(ProfileError::ColumnType {
                    table: "events".into(),
                    column: c.promo.clone(),
                    expected: "bool or 0/1".into(),
                    found: "string".into(),
                });
            }
            Some(_) => Some(t.f64_values(&c.promo)?.iter().map(|&x| x != 0.0).collect()),
        };
        Ok(EventCols {
            customer: int_column(t, "events", &c.customer_id)?,
            item: int_column(t, "events", &c.item_id)?,
            day: num(&c.day)?,
            quantity: num(&c.quantity)?,
            value: num(&c.value)?,
            promo,
        })
    }
}

struct Partial {
    customers: BTreeMap<i64, CustomerAcc>,
    diag: Diagnostics,
    unknown: usize,
    first_unknown: Option<(i64, usize)>,
}

fn accumulate(cols: &EventCols<'_>, cat: &Catalog, p: &ProfileParams, s: usize, e: usize) -> Partial {
    let as_of = p.as_of.unwrap_or(0.0);
    let ih = 1.0 / p.half_life_days;
    let nf = cat.fields.len();
    let nn = cat.numerics.len();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut accs: Vec<(i64, CustomerAcc)> = Vec::new();
    let mut last: Option<(i64, usize)> = None;
    let mut diag = Diagnostics::default();
    let mut unknown = 0;
    let mut first_unknown = None;
    for r in s..e {
        diag.n_events += 1;
        let cid = cols.customer[r];
        let day = cols.day[r];
        if day > as_of {
            diag.n_future += 1;
            continue;
        }
        let Some(item) = cat.item_index(cols.item[r]) else {
            unknown += 1;
            diag.n_unknown_items += 1;
            first_unknown.get_or_insert((cols.item[r], r));
            continue;
        };
        let k = match last {
            Some((id, k)) if id == cid => k,
            _ => {
                let k = *index.entry(cid).or_insert_with(|| {
                    accs.push((cid, CustomerAcc::new(cat.n_slots, nn)));
                    accs.len() - 1
                });
                last = Some((cid, k));
                k
            }
        };
        let q = cols.quantity[r];
        if q < 0.0 {
            diag.n_returns += 1;
        }
        let v = cols.value[r];
        let age = as_of - day;
        let d = (-age * ih).exp2();
        let raw = match p.weight {
            Weight::Spend => v,
            Weight::Count => q,
        };
        let w = d * raw;
        let a = &mut accs[k].1;
        a.w += w;
        a.w2 += w * w;
        a.lines += d;
        if cols.promo.as_ref().is_some_and(|pr| pr[r]) {
            a.promo_lines += d;
        }
        a.spend += d * v;
        a.n_lines += 1;
        a.total_spend += v;
        for &slot in &cat.item_slots[item * nf..(item + 1) * nf] {
            a.cat[slot as usize] += w;
        }
        for (acc, &x) in a.num.iter_mut().zip(&cat.item_nums[item * nn..(item + 1) * nn]) {
            *acc += w * x;
        }
        let dd = day.floor() as i64;
        match a.visits.last_mut() {
            Some(last) if last.0 == dd => last.1 += v,
            _ => a.visits.push((dd, v)),
        }
    }
    let customers = accs
        .into_iter()
        .map(|(id, mut a)| {
            if !a.visits.is_sorted_by_key(|x| x.0) {
                a.visits.sort_by_key(|x| x.0);
                let mut merged: Vec<(i64, f64)> = Vec::with_capacity(a.visits.len());
                for x in a.visits.drain(..) {
                    match merged.last_mut() {
                        Some(last) if last.0 == x.0 => last.1 += x.1,
                        _ => merged.push(x),
                    }
                }
                a.visits = merged;
            }
            (id, a)
        })
        .collect();
    Partial { customers, diag, unknown, first_unknown }
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
