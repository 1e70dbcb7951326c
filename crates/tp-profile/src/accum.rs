//! The streaming accumulator behind [`ProfileState::build`] and
//! [`StateBuilder`]: event chunks in, per-customer decayed sums out.
//!
//! **Hot path.** Each chunk is read as column slices. One sequential pass
//! maps every row to a dense customer index (a hash lookup only when the
//! customer changes from the previous row) and a dense item index (the
//! catalog's array or map), and skips future events and unknown items. The
//! customers are split into `P` shards (customer `g` lives in shard `g mod P`,
//! `P` = rayon threads); each shard is updated by one task that walks the
//! rows of its customers in row order. Decay factors of whole-day ages come
//! from a per-chunk table of `2^{-age/h}` (the same float as computing it), so
//! an event costs a few array reads and adds: no string and no per-event
//! `exp2` on integer days.
//!
//! **Determinism.** A customer's sums are accumulated in row order by
//! exactly one task whatever `P` is, so the state is bit-identical at any
//! thread count and for any chunking of the same rows.
//!
//! **Memory.** The accumulator holds, per customer, a few scalars, the
//! categorical sums (dense: `n_slots` floats; sparse: the touched slots, see
//! [`crate::Storage`]), the numeric sums and the sorted distinct visit days.
//! It does not grow with the number of events once customers, touched values
//! and visit days are known; a chunk adds only its own column slices and two
//! `u32` per row.

use crate::error::{ProfileError, Result};
use crate::slots::{SlotSums, sparse_add};
use crate::spec::{Catalog, int_column};
use crate::state::{CustomerAcc, Diagnostics, EventColumns, ProfileParams, ProfileState, Weight};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use tp_core::{ColumnData, Table};

/// A multiplicative hasher for integer ids (the std SipHash is several times
/// slower and its DoS resistance buys nothing here).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    #[inline]
    fn write_i64(&mut self, i: i64) {
        let x = (i as u64) ^ ((i as u64) >> 29);
        self.0 = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

pub(crate) type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

/// Event columns of one chunk as slices.
pub(crate) struct EventCols<'a> {
    pub customer: Cow<'a, [i64]>,
    pub item: Cow<'a, [i64]>,
    pub day: Cow<'a, [f64]>,
    pub quantity: Cow<'a, [f64]>,
    pub value: Cow<'a, [f64]>,
    pub promo: Option<Cow<'a, [bool]>>,
}

impl<'a> EventCols<'a> {
    /// Reads and checks the event columns; `row0` is the global row of the
    /// chunk's first row (for error messages).
    pub fn read(t: &'a Table, c: &EventColumns, row0: usize) -> Result<Self> {
        let missing = |name: &str| ProfileError::MissingColumn {
            table: "events".into(),
            column: name.into(),
            available: t.names().join(", "),
        };
        let num = |name: &str| -> Result<Cow<'a, [f64]>> {
            let col = t.column(name).map_err(|_| missing(name))?;
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
                return Err(ProfileError::NonFinite { column: name.into(), row: row0 + row, value });
            }
            Ok(v)
        };
        let promo = match t.column(&c.promo).ok().map(|col| &col.data) {
            None => None,
            Some(ColumnData::Bool(v)) => Some(Cow::Borrowed(v.as_slice())),
            Some(ColumnData::Str(_)) => {
                return Err(ProfileError::ColumnType {
                    table: "events".into(),
                    column: c.promo.clone(),
                    expected: "bool or 0/1".into(),
                    found: "string".into(),
                });
            }
            Some(_) => Some(Cow::Owned(t.f64_values(&c.promo)?.iter().map(|&x| x != 0.0).collect())),
        };
        let ids = |name: &str| {
            t.column(name).map_err(|_| missing(name))?;
            int_column(t, "events", name)
        };
        Ok(EventCols {
            customer: ids(&c.customer_id)?,
            item: ids(&c.item_id)?,
            day: num(&c.day)?,
            quantity: num(&c.quantity)?,
            value: num(&c.value)?,
            promo,
        })
    }

    fn len(&self) -> usize {
        self.customer.len()
    }
}

/// Rows grouped and updated at a time: large enough to amortize the grouping
/// (its count array is one entry per customer), small enough that the
/// gathered columns of a block stay in cache.
const BLOCK_ROWS: usize = 1 << 20;

/// Per-customer scalars.
#[derive(Debug, Clone, Copy, Default)]
struct Scalars {
    w: f64,
    w2: f64,
    lines: f64,
    promo_lines: f64,
    spend: f64,
    total_spend: f64,
    n_lines: u64,
}

/// The customers `g ≡ shard (mod P)`, at local index `g / P`.
#[derive(Debug, Default)]
struct Shard {
    scal: Vec<Scalars>,
    /// Dense storage: `local × n_slots`.
    dense: Vec<f64>,
    /// Sparse storage: one sorted vector per customer.
    sparse: Vec<Vec<(u32, f64)>>,
    /// `local × n_num`.
    num: Vec<f64>,
    visits: Vec<Vec<(i64, f64)>>,
    /// Customers whose visit days arrived out of order in this chunk.
    unsorted: Vec<u32>,
}

/// The accumulator: customers in first-seen order, split into shards.
pub(crate) struct Accum {
    n_slots: usize,
    n_num: usize,
    sparse: bool,
    index: IdMap<u32>,
    ids: Vec<i64>,
    shards: Vec<Shard>,
}

/// Row → (customer index, item index) of one chunk; `u32::MAX` = skipped row.
struct Prepared {
    cust: Vec<u32>,
    item: Vec<u32>,
    /// `2^{-a/h}` for whole-day ages `a` below its length.
    decay: Vec<f64>,
}

impl Accum {
    pub fn new(catalog: &Catalog, sparse: bool) -> Self {
        let p = rayon::current_num_threads().max(1);
        Accum {
            n_slots: catalog.n_slots,
            n_num: catalog.numerics.len(),
            sparse,
            index: IdMap::default(),
            ids: Vec::new(),
            shards: (0..p).map(|_| Shard::default()).collect(),
        }
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    fn shard_of(&self, g: usize) -> (usize, usize) {
        let p = self.shards.len();
        (g % p, g / p)
    }

    fn grow(&mut self) {
        let p = self.shards.len();
        let n = self.ids.len();
        for (s, sh) in self.shards.iter_mut().enumerate() {
            let local = (n + p - 1 - s) / p;
            if sh.scal.len() < local {
                sh.scal.resize(local, Scalars::default());
                if self.sparse {
                    sh.sparse.resize_with(local, Vec::new);
                } else {
                    sh.dense.resize(local * self.n_slots, 0.0);
                }
                sh.num.resize(local * self.n_num, 0.0);
                sh.visits.resize_with(local, Vec::new);
            }
        }
    }

    /// Moves a state's customers in (ascending id order).
    pub fn load(&mut self, customers: BTreeMap<i64, CustomerAcc>) {
        let (ns, nn) = (self.n_slots, self.n_num);
        for (id, acc) in customers {
            let g = self.ids.len();
            self.index.insert(id, g as u32);
            self.ids.push(id);
            self.grow();
            let (s, l) = self.shard_of(g);
            let sh = &mut self.shards[s];
            sh.scal[l] = Scalars {
                w: acc.w,
                w2: acc.w2,
                lines: acc.lines,
                promo_lines: acc.promo_lines,
                spend: acc.spend,
                total_spend: acc.total_spend,
                n_lines: acc.n_lines,
            };
            if self.sparse {
                sh.sparse[l] = acc.cat.to_sparse();
            } else {
                acc.cat.for_each(|k, x| {
                    if k < ns {
                        sh.dense[l * ns + k] = x;
                    }
                });
            }
            for (j, &x) in acc.num.iter().enumerate().take(nn) {
                sh.num[l * nn + j] = x;
            }
            sh.visits[l] = acc.visits;
        }
    }

    /// Moves the customers out, by id.
    pub fn into_customers(mut self) -> BTreeMap<i64, CustomerAcc> {
        let (ns, nn) = (self.n_slots, self.n_num);
        let mut out = BTreeMap::new();
        let p = self.shards.len();
        // last customers first, so every shard's arrays shrink from the end
        for g in (0..self.ids.len()).rev() {
            let (s, l) = (g % p, g / p);
            let sh = &mut self.shards[s];
            let c = sh.scal[l];
            let cat = if self.sparse {
                SlotSums::Sparse(sh.sparse.pop().unwrap_or_default())
            } else {
                let v = sh.dense[l * ns..].to_vec();
                shrink(&mut sh.dense, l * ns);
                SlotSums::Dense(v)
            };
            let num = sh.num[l * nn..].to_vec();
            shrink(&mut sh.num, l * nn);
            let visits = sh.visits.pop().unwrap_or_default();
            out.insert(
                self.ids[g],
                CustomerAcc {
                    w: c.w,
                    w2: c.w2,
                    lines: c.lines,
                    promo_lines: c.promo_lines,
                    spend: c.spend,
                    n_lines: c.n_lines,
                    total_spend: c.total_spend,
                    cat,
                    num,
                    visits,
                },
            );
        }
        out
    }

    /// Multiplies every decayed sum by `f` (squared sums by `f²`).
    pub fn scale(&mut self, f: f64) {
        let sparse = self.sparse;
        self.shards.par_iter_mut().for_each(|sh| {
            for c in &mut sh.scal {
                c.w *= f;
                c.w2 *= f * f;
                c.lines *= f;
                c.promo_lines *= f;
                c.spend *= f;
            }
            if sparse {
                sh.sparse.iter_mut().flatten().for_each(|e| e.1 *= f);
            } else {
                sh.dense.iter_mut().for_each(|x| *x *= f);
            }
            sh.num.iter_mut().for_each(|x| *x *= f);
        });
    }

    /// Adds one chunk of events at reference day `as_of`; returns its
    /// diagnostics. Cannot fail: every check happens before (see [`strict_check`]).
    pub fn absorb(
        &mut self,
        cols: &EventCols<'_>,
        catalog: &Catalog,
        params: &ProfileParams,
        as_of: f64,
    ) -> Diagnostics {
        let (prep, diag) = self.prepare(cols, catalog, params, as_of);
        self.grow();
        let p = self.shards.len();
        let (sparse, ns, nn) = (self.sparse, self.n_slots, self.n_num);
        let ih = 1.0 / params.half_life_days;
        let spend_weighted = params.weight == Weight::Spend;
        let nf = catalog.fields.len();
        let n = prep.cust.len();
        for b0 in (0..n).step_by(BLOCK_ROWS) {
            let b1 = (b0 + BLOCK_ROWS).min(n);
            let (mut order, bounds) = group_rows(&prep.cust[b0..b1], self.ids.len(), p);
            order.iter_mut().for_each(|r| *r += b0 as u32);
            let task = |(t, sh): (usize, &mut Shard)| {
                // gather the shard's rows into contiguous columns first: tight loops of
                // independent loads overlap their cache misses, the update loop then streams
                let rows = &order[bounds[t]..bounds[t + 1]];
                let gather = |col: &[f64]| rows.iter().map(|&r| col[r as usize]).collect::<Vec<f64>>();
                let (gq, gv, gd) = (gather(&cols.quantity), gather(&cols.value), gather(&cols.day));
                let gc: Vec<u32> = rows.iter().map(|&r| prep.cust[r as usize]).collect();
                let gi: Vec<u32> = rows.iter().map(|&r| prep.item[r as usize]).collect();
                let gp: Option<Vec<bool>> =
                    cols.promo.as_ref().map(|pr| rows.iter().map(|&r| pr[r as usize]).collect());
                for k in 0..rows.len() {
                    let l = gc[k] as usize / p;
                    let item = gi[k] as usize;
                    let (q, v, day) = (gq[k], gv[k], gd[k]);
                    let age = as_of - day;
                    let a = age as usize;
                    let d = if a as f64 == age && a < prep.decay.len() {
                        prep.decay[a]
                    } else {
                        (-age * ih).exp2()
                    };
                    let w = d * if spend_weighted { v } else { q };
                    let c = &mut sh.scal[l];
                    c.w += w;
                    c.w2 += w * w;
                    c.lines += d;
                    if gp.as_ref().is_some_and(|pr| pr[k]) {
                        c.promo_lines += d;
                    }
                    c.spend += d * v;
                    c.n_lines += 1;
                    c.total_spend += v;
                    let slots = &catalog.item_slots[item * nf..(item + 1) * nf];
                    if sparse {
                        let acc = &mut sh.sparse[l];
                        for &slot in slots {
                            sparse_add(acc, slot, w);
                        }
                    } else {
                        let acc = &mut sh.dense[l * ns..(l + 1) * ns];
                        for &slot in slots {
                            acc[slot as usize] += w;
                        }
                    }
                    let xs = &catalog.item_nums[item * nn..(item + 1) * nn];
                    for (acc, &x) in sh.num[l * nn..(l + 1) * nn].iter_mut().zip(xs) {
                        *acc += w * x;
                    }
                    let dd = day.floor() as i64;
                    let vis = &mut sh.visits[l];
                    match vis.last_mut() {
                        Some(last) if last.0 == dd => last.1 += v,
                        Some(last) if last.0 > dd => {
                            sh.unsorted.push(l as u32);
                            vis.push((dd, v));
                        }
                        _ => vis.push((dd, v)),
                    }
                }
                let mut unsorted = std::mem::take(&mut sh.unsorted);
                unsorted.sort_unstable();
                unsorted.dedup();
                for l in unsorted {
                    normalize_days(&mut sh.visits[l as usize]);
                }
            };
            if p == 1 {
                task((0, &mut self.shards[0]));
            } else {
                self.shards.par_iter_mut().enumerate().for_each(task);
            }
        }
        diag
    }

    fn prepare(
        &mut self,
        cols: &EventCols<'_>,
        catalog: &Catalog,
        params: &ProfileParams,
        as_of: f64,
    ) -> (Prepared, Diagnostics) {
        let n = cols.len();
        let mut cust = vec![u32::MAX; n];
        let mut item = vec![u32::MAX; n];
        let mut diag = Diagnostics { n_events: n as u64, ..Default::default() };
        let mut last: Option<(i64, u32)> = None;
        let mut max_age = 0.0f64;
        for r in 0..n {
            let day = cols.day[r];
            if day > as_of {
                diag.n_future += 1;
                continue;
            }
            let Some(i) = catalog.item_index(cols.item[r]) else {
                diag.n_unknown_items += 1;
                continue;
            };
            if cols.quantity[r] < 0.0 {
                diag.n_returns += 1;
            }
            max_age = max_age.max(as_of - day);
            let cid = cols.customer[r];
            let g = match last {
                Some((id, g)) if id == cid => g,
                _ => {
                    let next = self.ids.len() as u32;
                    let g = *self.index.entry(cid).or_insert(next);
                    if g == next {
                        self.ids.push(cid);
                    }
                    last = Some((cid, g));
                    g
                }
            };
            cust[r] = g;
            item[r] = i as u32;
        }
        // whole-day ages up to 4 years, computed exactly as the per-event formula would
        let ih = 1.0 / params.half_life_days;
        let len = (max_age.min(1460.0) as usize + 1).min(n.max(1));
        let decay = (0..len).map(|a| (-(a as f64) * ih).exp2()).collect();
        (Prepared { cust, item, decay }, diag)
    }
}

/// The rows of each shard, grouped by customer (a stable counting sort on
/// `(shard, local index)`, so a customer's rows keep their order): shard `t`
/// owns `order[bounds[t]..bounds[t + 1]]`. Processing a customer's rows
/// together keeps its sums in cache, which is what makes a time-ordered log
/// (the customer changes on every row) as fast as a customer-sorted one.
fn group_rows(cust: &[u32], n_customers: usize, p: usize) -> (Vec<u32>, Vec<usize>) {
    let per = n_customers.div_ceil(p).max(1);
    let key = |g: u32| (g as usize % p) * per + g as usize / p;
    let mut start = vec![0u32; p * per + 1];
    for &g in cust.iter().filter(|&&g| g != u32::MAX) {
        start[key(g) + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let bounds = (0..=p).map(|t| start[t * per] as usize).collect();
    let mut order = vec![0u32; start[p * per] as usize];
    for (r, &g) in cust.iter().enumerate() {
        if g != u32::MAX {
            let k = key(g);
            order[start[k] as usize] = r as u32;
            start[k] += 1;
        }
    }
    (order, bounds)
}

/// Truncates `v` to `len`, giving memory back once less than half is used
/// (so moving customers out never holds much more than one copy).
fn shrink<T>(v: &mut Vec<T>, len: usize) {
    v.truncate(len);
    if v.len() < v.capacity() / 2 {
        v.shrink_to_fit();
    }
}

/// Strict mode: events up to `as_of` whose item is not in the catalog are an
/// error naming the first one and its global row.
fn strict_check(cols: &EventCols<'_>, catalog: &Catalog, as_of: f64, row0: usize) -> Result<()> {
    let mut unknown = cols
        .item
        .iter()
        .enumerate()
        .filter(|(r, id)| cols.day[*r] <= as_of && catalog.item_index(**id).is_none());
    if let Some((row, &first)) = unknown.next() {
        return Err(ProfileError::UnknownItems { count: 1 + unknown.count(), first, row: row0 + row });
    }
    Ok(())
}

/// Sorts visit days and sums the spend of equal days.
pub(crate) fn normalize_days(v: &mut Vec<(i64, f64)>) {
    if v.is_sorted_by_key(|x| x.0) && v.windows(2).all(|w| w[0].0 != w[1].0) {
        return;
    }
    // stable: equal days keep their arrival order, so their spend adds in row order
    v.sort_by_key(|x| x.0);
    let mut out: Vec<(i64, f64)> = Vec::with_capacity(v.len());
    for x in v.drain(..) {
        match out.last_mut() {
            Some(last) if last.0 == x.0 => last.1 += x.1,
            _ => out.push(x),
        }
    }
    *v = out;
}

/// Builds a [`ProfileState`] from event chunks read one at a time (e.g. with
/// `tp_io::read_table_chunks`): memory follows customers × touched attribute
/// values and visit days, not the number of events.
///
/// With a fixed `as_of` ([`ProfileParams::as_of`]) events after it are
/// skipped (counted). Without one, the reference day is the latest event day
/// seen so far: when a chunk brings a later day the sums are rebased to it
/// first (exact up to rounding, see [`ProfileState::rebase`]), so the result
/// equals [`ProfileState::build`] on all the rows at once.
///
/// ```
/// use tp_core::{Column, Table};
/// use tp_profile::{Catalog, CatalogSpec, ProfileParams, ProfileState, StateBuilder};
///
/// let catalog = Table::new(vec![
///     Column::i64("item_id", vec![1, 2]),
///     Column::str("department", vec!["PRODUCE".into(), "SNACKS".into()]),
/// ])?;
/// let catalog = Catalog::new(&catalog, &CatalogSpec::infer(&catalog)?)?;
/// let all = Table::new(vec![
///     Column::i64("customer_id", vec![7, 7]),
///     Column::i64("item_id", vec![1, 2]),
///     Column::i64("day", vec![3, 10]),
///     Column::f64("quantity", vec![1.0, 1.0]),
///     Column::f64("value", vec![2.0, 2.0]),
/// ])?;
/// let params = ProfileParams::default();
/// let mut b = StateBuilder::new(&catalog, &params)?;
/// b.push(&all.slice_rows(0, 1))?;
/// b.push(&all.slice_rows(1, 2))?; // a later day: the sums move to as_of = 10
/// let streamed = b.finish();
/// let whole = ProfileState::build(&all, &catalog, &params)?;
/// assert_eq!(streamed.as_of(), 10.0);
/// assert!((streamed.customers[&7].w - whole.customers[&7].w).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StateBuilder<'c> {
    catalog: &'c Catalog,
    params: ProfileParams,
    /// Current reference day (`None` until the first chunk when not fixed).
    as_of: Option<f64>,
    fixed: bool,
    acc: Accum,
    diagnostics: Diagnostics,
    rows: usize,
}

impl<'c> StateBuilder<'c> {
    /// A builder for a new state.
    pub fn new(catalog: &'c Catalog, params: &ProfileParams) -> Result<Self> {
        params.validate()?;
        let sparse = params.storage.is_sparse(catalog.n_slots);
        Ok(StateBuilder {
            catalog,
            params: params.clone(),
            as_of: params.as_of,
            fixed: params.as_of.is_some(),
            acc: Accum::new(catalog, sparse),
            diagnostics: Diagnostics::default(),
            rows: 0,
        })
    }

    /// A builder that continues a saved state (its reference day stays fixed:
    /// [`ProfileState::rebase`] it first to move forward).
    pub fn from_state(state: ProfileState, catalog: &'c Catalog) -> Result<Self> {
        state.check_catalog(catalog)?;
        let sparse = state.params.storage.is_sparse(catalog.n_slots);
        let mut acc = Accum::new(catalog, sparse);
        acc.load(state.customers);
        Ok(StateBuilder {
            catalog,
            as_of: Some(state.params.as_of.unwrap_or(0.0)),
            params: state.params,
            fixed: true,
            acc,
            diagnostics: state.diagnostics,
            rows: 0,
        })
    }

    /// Adds one chunk of events. Errors name the column and the row counted
    /// from the first row of the first chunk; a failed chunk leaves the sums
    /// as they were before it.
    pub fn push(&mut self, events: &Table) -> Result<()> {
        let cols = EventCols::read(events, &self.params.columns, self.rows)?;
        let old = self.as_of;
        let as_of = match old {
            Some(a) if self.fixed => a,
            _ => {
                let top = cols.day.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                old.map_or(top.max(0.0), |a| a.max(top))
            }
        };
        if self.params.strict {
            strict_check(&cols, self.catalog, as_of, self.rows)?;
        }
        if let Some(a) = old.filter(|&a| as_of > a) {
            self.acc.scale((-(as_of - a) / self.params.half_life_days).exp2());
        }
        self.as_of = Some(as_of);
        let d = self.acc.absorb(&cols, self.catalog, &self.params, as_of);
        self.diagnostics.add(&d);
        self.rows += cols.len();
        Ok(())
    }

    /// Event rows pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Customers seen so far.
    pub fn customers(&self) -> usize {
        self.acc.len()
    }

    /// The state (reference day 0 when no chunk was pushed and none was fixed).
    pub fn finish(self) -> ProfileState {
        let mut params = self.params;
        params.as_of = Some(self.as_of.unwrap_or(0.0));
        ProfileState {
            params,
            layout: self.catalog.layout(),
            customers: self.acc.into_customers(),
            diagnostics: self.diagnostics,
        }
    }
}

/// The state's constructors that run a [`StateBuilder`].
impl ProfileState {
    /// Profiles `events` against `catalog` (one chunk of a [`StateBuilder`]).
    /// Without a fixed `as_of` the reference day is the latest event day.
    /// Zero event rows are an error ([`ProfileError::NoEvents`]).
    pub fn build(events: &Table, catalog: &Catalog, params: &ProfileParams) -> Result<Self> {
        if events.n_rows() == 0 {
            return Err(ProfileError::NoEvents);
        }
        let mut b = StateBuilder::new(catalog, params)?;
        b.push(events)?;
        Ok(b.finish())
    }

    /// Adds `new_events` to the state (same reference day): equal to profiling
    /// the old and new events together. Call [`ProfileState::rebase`] first to
    /// move the reference day forward. On error the state is unchanged.
    pub fn update(&mut self, new_events: &Table, catalog: &Catalog) -> Result<()> {
        self.check_catalog(catalog)?;
        let taken = std::mem::replace(
            self,
            ProfileState {
                params: self.params.clone(),
                layout: Vec::new(),
                customers: BTreeMap::new(),
                diagnostics: Diagnostics::default(),
            },
        );
        let mut b = StateBuilder::from_state(taken, catalog)?;
        let pushed = b.push(new_events);
        *self = b.finish();
        pushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_sorted_and_merged() {
        let mut v = vec![(3, 1.0), (1, 2.0), (3, 0.5), (2, 1.0)];
        normalize_days(&mut v);
        assert_eq!(v, vec![(1, 2.0), (2, 1.0), (3, 1.5)]);
    }

    #[test]
    fn id_hasher_spreads_multiples_of_powers_of_two() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<IdHasher>::default();
        let mut low: Vec<u64> = (0..64i64).map(|i| b.hash_one(i << 20) & 63).collect();
        low.sort();
        low.dedup();
        assert!(low.len() > 32, "{} distinct low bits", low.len());
    }
}
