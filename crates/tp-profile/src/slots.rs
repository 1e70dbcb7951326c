//! Per-customer categorical sums, dense or sparse.
//!
//! A customer's categorical accumulator holds `Σ d·w` for every attribute
//! value (slot) of the catalog. With a few hundred slots (the retail world has
//! 183) a dense `Vec<f64>` per customer is both small and the fastest to
//! update. With a large attribute space (brands, sub-categories by the
//! thousand, LLM tags) most customers touch a tiny fraction of it, and dense
//! storage would cost `customers × slots × 8` bytes. The sparse form keeps only
//! the touched slots as `(slot, sum)` pairs sorted by slot, so memory is
//! bounded by customers × touched values.
//!
//! [`Storage::Auto`] chooses dense when the catalog has at most
//! [`DENSE_MAX_SLOTS`] slots (8 KiB per customer at most), sparse otherwise.
//! Both forms add the same terms in the same order, so their results are
//! equal bit for bit (a test holds them to 1e-12), and they merge with each
//! other (a mixed merge densifies).

use serde::{Deserialize, Serialize};

/// Largest number of categorical slots for which [`Storage::Auto`] picks
/// dense storage (1,024 slots = 8 KiB per customer).
pub const DENSE_MAX_SLOTS: usize = 1024;

/// How per-customer categorical sums are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Storage {
    /// Dense when the catalog has at most [`DENSE_MAX_SLOTS`] slots, else sparse.
    #[default]
    Auto,
    /// One `f64` per slot and customer.
    Dense,
    /// Only the slots a customer touched, as sorted `(slot, sum)` pairs.
    Sparse,
}

impl Storage {
    /// True when a catalog of `n_slots` slots is stored sparse.
    pub fn is_sparse(self, n_slots: usize) -> bool {
        match self {
            Storage::Auto => n_slots > DENSE_MAX_SLOTS,
            Storage::Dense => false,
            Storage::Sparse => true,
        }
    }
}

/// One customer's `Σ d·w` per categorical slot.
///
/// Serialized untagged: a dense accumulator is a plain array of numbers (the
/// format of states saved before sparse storage existed), a sparse one an
/// array of `[slot, sum]` pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SlotSums {
    /// One sum per slot (a shorter vector means zeros at the end).
    Dense(Vec<f64>),
    /// `(slot, sum)` for the touched slots, sorted by slot, no duplicates.
    Sparse(Vec<(u32, f64)>),
}

impl SlotSums {
    /// The sum of one slot (0 when untouched).
    #[inline]
    pub fn get(&self, slot: usize) -> f64 {
        match self {
            SlotSums::Dense(v) => v.get(slot).copied().unwrap_or(0.0),
            SlotSums::Sparse(v) => match v.binary_search_by_key(&(slot as u32), |e| e.0) {
                Ok(k) => v[k].1,
                Err(_) => 0.0,
            },
        }
    }

    /// Calls `f(slot, sum)` for every stored slot (dense: all, in order; sparse: touched, in order).
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(usize, f64)) {
        match self {
            SlotSums::Dense(v) => v.iter().enumerate().for_each(|(k, &x)| f(k, x)),
            SlotSums::Sparse(v) => v.iter().for_each(|&(k, x)| f(k as usize, x)),
        }
    }

    /// Number of stored sums.
    pub fn stored(&self) -> usize {
        match self {
            SlotSums::Dense(v) => v.len(),
            SlotSums::Sparse(v) => v.len(),
        }
    }

    /// Multiplies every sum by `f`.
    pub fn scale(&mut self, f: f64) {
        match self {
            SlotSums::Dense(v) => v.iter_mut().for_each(|x| *x *= f),
            SlotSums::Sparse(v) => v.iter_mut().for_each(|e| e.1 *= f),
        }
    }

    /// Adds `o` slot by slot. Sparse + sparse stays sparse (sorted union);
    /// a mixed pair becomes dense. Addition per slot is commutative, so the
    /// result does not depend on which side is `self`.
    pub fn add(&mut self, o: &SlotSums) {
        match (&mut *self, o) {
            (SlotSums::Dense(a), SlotSums::Dense(b)) => {
                if a.len() < b.len() {
                    a.resize(b.len(), 0.0);
                }
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            }
            (SlotSums::Dense(a), SlotSums::Sparse(b)) => {
                for &(k, y) in b {
                    let k = k as usize;
                    if k >= a.len() {
                        a.resize(k + 1, 0.0);
                    }
                    a[k] += y;
                }
            }
            (SlotSums::Sparse(a), SlotSums::Dense(b)) => {
                let mut d = b.clone();
                for &(k, x) in a.iter() {
                    let k = k as usize;
                    if k >= d.len() {
                        d.resize(k + 1, 0.0);
                    }
                    d[k] += x;
                }
                *self = SlotSums::Dense(d);
            }
            (SlotSums::Sparse(a), SlotSums::Sparse(b)) => *a = union_add(a, b),
        }
    }

    /// The dense form with `n_slots` entries.
    pub fn to_dense(&self, n_slots: usize) -> Vec<f64> {
        let mut d = vec![0.0; n_slots];
        self.for_each(|k, x| {
            if k < n_slots {
                d[k] = x;
            }
        });
        d
    }

    /// The sparse form (every stored slot kept, zeros of a dense vector dropped).
    pub fn to_sparse(&self) -> Vec<(u32, f64)> {
        match self {
            SlotSums::Sparse(v) => v.clone(),
            SlotSums::Dense(v) => {
                v.iter().enumerate().filter(|(_, x)| **x != 0.0).map(|(k, &x)| (k as u32, x)).collect()
            }
        }
    }
}

/// Adds `w` to `slot` of a sorted sparse accumulator.
#[inline]
pub(crate) fn sparse_add(v: &mut Vec<(u32, f64)>, slot: u32, w: f64) {
    // appending in slot order is the common case for a new customer
    match v.last_mut() {
        Some(last) if last.0 == slot => {
            last.1 += w;
            return;
        }
        Some(last) if last.0 < slot => {
            v.push((slot, w));
            return;
        }
        None => {
            v.push((slot, w));
            return;
        }
        _ => {}
    }
    match v.binary_search_by_key(&slot, |e| e.0) {
        Ok(k) => v[k].1 += w,
        Err(k) => v.insert(k, (slot, w)),
    }
}

fn union_add(a: &[(u32, f64)], b: &[(u32, f64)]) -> Vec<(u32, f64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_add_agree_in_every_combination() {
        let da = SlotSums::Dense(vec![1.0, 0.0, 2.5, 0.0]);
        let sa = SlotSums::Sparse(da.to_sparse());
        let db = SlotSums::Dense(vec![0.0, 3.0, 0.5, 0.0]);
        let sb = SlotSums::Sparse(vec![(1, 3.0), (2, 0.5)]);
        let want = vec![1.0, 3.0, 3.0, 0.0];
        for (a, b) in [(&da, &db), (&da, &sb), (&sa, &db), (&sa, &sb)] {
            let mut x = a.clone();
            x.add(b);
            assert_eq!(x.to_dense(4), want, "{a:?} + {b:?}");
            let mut y = b.clone();
            y.add(a);
            assert_eq!(y.to_dense(4), want);
        }
        let mut s = sa.clone();
        s.add(&sb);
        assert!(matches!(s, SlotSums::Sparse(ref v) if v.len() == 3));
        assert_eq!(s.get(2), 3.0);
        assert_eq!(s.get(3), 0.0);
    }

    #[test]
    fn sparse_add_keeps_slots_sorted_and_unique() {
        let mut v = Vec::new();
        for (k, w) in [(5, 1.0), (2, 1.0), (9, 1.0), (5, 2.0), (0, 1.0), (9, 0.5)] {
            sparse_add(&mut v, k, w);
        }
        assert_eq!(v, vec![(0, 1.0), (2, 1.0), (5, 3.0), (9, 1.5)]);
    }

    #[test]
    fn auto_storage_follows_the_slot_count() {
        assert!(!Storage::Auto.is_sparse(DENSE_MAX_SLOTS));
        assert!(Storage::Auto.is_sparse(DENSE_MAX_SLOTS + 1));
        assert!(Storage::Sparse.is_sparse(3) && !Storage::Dense.is_sparse(1 << 20));
    }

    #[test]
    fn serde_reads_dense_arrays_and_sparse_pairs() {
        let d: SlotSums = serde_json::from_str("[1.0,0.0,2.0]").unwrap();
        assert_eq!(d, SlotSums::Dense(vec![1.0, 0.0, 2.0]));
        let s: SlotSums = serde_json::from_str("[[0,1.0],[2,2.0]]").unwrap();
        assert_eq!(s, SlotSums::Sparse(vec![(0, 1.0), (2, 2.0)]));
        let back: SlotSums = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
