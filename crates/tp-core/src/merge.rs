//! The mergeable-summary seam: map a partition to a summary, merge summaries, finish once.
//!
//! Every stage that can run partitioned (profiles, OPE sums, the application of fitted segment
//! models) implements [`Mergeable`]. A distributed engine (Spark through the Python package's
//! `tp.spark`, or rayon over row blocks) then needs no code of its own: it maps each partition
//! with [`Mergeable::map`], combines the summaries with [`Mergeable::merge`] in whatever tree it
//! likes, and calls [`Mergeable::finish`] once.
//!
//! # The contract
//!
//! - `merge` is associative, and `empty` is its identity: any grouping of any split of the input
//!   into parts (empty parts and one-row parts included) finishes to the result of one pass.
//! - *How equal* is each implementation's promise, stated on it. Two levels exist:
//!   **exact** — summaries hold [`ExactSum`]s (or integers, or sets), so the finished result is
//!   the same bits under every partitioning; **rounding** — summaries hold plain `f64` sums, so
//!   the result agrees with one pass to a relative 1e-12 (the sums' rounding), not to the bit.
//! - Summaries are plain data (serde-serializable in the crates that implement the trait), so an
//!   engine can move them between processes as bytes.
//!
//! # Exact sums
//!
//! [`ExactSum`] keeps a sum of `f64` values *without rounding error*, as a short list of
//! non-overlapping partials (Shewchuk's expansion, the algorithm behind Python's `math.fsum`),
//! and rounds once, correctly (round half to even), when read. Adding values or merging two
//! sums is exact, so the value read does not depend on the order or grouping of the additions:
//! a sum over 100 partitions reads the same bits as a sum over one. Cost: a few flops per value
//! plus a loop over the partials (two or three for data of one sign and similar magnitude).
//!
//! ```
//! use tp_core::merge::ExactSum;
//!
//! let xs = [1e16, 1.0, -1e16, 1e-3, 0.1];
//! let one_pass: ExactSum = xs.iter().copied().collect();
//! let mut left: ExactSum = xs[..2].iter().copied().collect();
//! let right: ExactSum = xs[2..].iter().copied().collect();
//! left.add_sum(&right);
//! assert_eq!(one_pass.value().to_bits(), left.value().to_bits());
//! assert_eq!(one_pass.value(), 1.0 + 1e-3 + 0.1); // the naive sum gives 0.101
//! ```

use serde::{Deserialize, Serialize};

/// A summary of part of the data that merges with the summaries of other parts.
///
/// See the [module documentation](self) for the contract (associativity, identity, exactness).
pub trait Mergeable: Sized {
    /// What every partition shares: parameters, a catalog, a fitted model.
    type Context;
    /// One partition of the input, as the map step reads it.
    type Part<'a>;
    /// The finished result.
    type Output;
    /// The error of any step.
    type Error;

    /// The summary of no rows: the identity of [`Mergeable::merge`].
    fn empty(ctx: &Self::Context) -> Result<Self, Self::Error>;
    /// The summary of one partition (which may have no rows).
    fn map(ctx: &Self::Context, part: Self::Part<'_>) -> Result<Self, Self::Error>;
    /// The summary of the union of two partitions. Errors when the two were built under
    /// different contexts (another catalog, another policy).
    fn merge(self, other: Self) -> Result<Self, Self::Error>;
    /// The result, computed once from the merged summary.
    fn finish(self, ctx: &Self::Context) -> Result<Self::Output, Self::Error>;

    /// Merges summaries left to right, starting from [`Mergeable::empty`].
    fn merge_all(ctx: &Self::Context, parts: impl IntoIterator<Item = Self>) -> Result<Self, Self::Error> {
        parts.into_iter().try_fold(Self::empty(ctx)?, Self::merge)
    }
}

/// Merges summaries pairwise in a balanced tree (as Spark's `treeReduce` does), in index order
/// within each level. `None` for no summaries.
pub fn merge_tree<M: Mergeable>(mut parts: Vec<M>) -> Result<Option<M>, M::Error> {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => a.merge(b)?,
                None => a,
            });
        }
        parts = next;
    }
    Ok(parts.pop())
}

/// An exact sum of `f64` values, read correctly rounded (see the [module documentation](self)).
///
/// Non-finite values are kept apart in IEEE arithmetic (a NaN or `+∞ + −∞` reads NaN, `±∞` reads
/// `±∞`); a finite sum whose magnitude exceeds `f64::MAX` reads `±∞`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ExactSumForm", into = "ExactSumForm")]
pub struct ExactSum {
    /// Non-overlapping partials, increasing in magnitude; their exact sum is the value.
    partials: Vec<f64>,
    /// The IEEE sum of the non-finite values added (and of overflowed partials); 0 when none.
    special: f64,
}

/// The serialized form: JSON has no NaN or ∞, so the special part is a word when present.
#[derive(Clone, Serialize, Deserialize)]
struct ExactSumForm {
    partials: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    special: Option<String>,
}

impl From<ExactSum> for ExactSumForm {
    fn from(s: ExactSum) -> ExactSumForm {
        let special = (s.special != 0.0).then(|| {
            if s.special.is_nan() {
                "nan"
            } else if s.special > 0.0 {
                "inf"
            } else {
                "-inf"
            }
            .to_string()
        });
        ExactSumForm { partials: s.partials, special }
    }
}

impl TryFrom<ExactSumForm> for ExactSum {
    type Error = String;
    fn try_from(f: ExactSumForm) -> Result<Self, String> {
        if f.partials.iter().any(|p| !p.is_finite()) {
            return Err("exact sum: a partial is not finite (the summary is damaged)".into());
        }
        let special = match f.special.as_deref() {
            None => 0.0,
            Some("nan") => f64::NAN,
            Some("inf") => f64::INFINITY,
            Some("-inf") => f64::NEG_INFINITY,
            Some(other) => {
                return Err(format!("exact sum: special part '{other}' must be 'nan', 'inf' or '-inf'"));
            }
        };
        Ok(ExactSum { partials: f.partials, special })
    }
}

impl ExactSum {
    /// The empty sum (reads 0).
    pub fn new() -> ExactSum {
        ExactSum::default()
    }

    /// Adds `x` exactly.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.special += x;
            return;
        }
        let mut x = x;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            if !hi.is_finite() {
                // the exact sum left the range of f64: it reads as the overflowed sign
                self.special += hi;
                self.partials.clear();
                return;
            }
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Adds the product `a·b` exactly (two terms: the rounded product and its error, by FMA).
    pub fn add_product(&mut self, a: f64, b: f64) {
        let p = a * b;
        if !p.is_finite() {
            self.add(p);
            return;
        }
        self.add(p);
        self.add(a.mul_add(b, -p));
    }

    /// Adds another sum exactly: the union of the two sets of values.
    pub fn add_sum(&mut self, other: &ExactSum) {
        for &p in &other.partials {
            self.add(p);
        }
        if other.special != 0.0 {
            self.special += other.special;
        }
    }

    /// This sum times `k`, exactly (each partial times `k` by two-product).
    pub fn times(&self, k: f64) -> ExactSum {
        let special = if self.special == 0.0 { 0.0 } else { self.special * k };
        let mut out = ExactSum { partials: Vec::new(), special };
        for &p in &self.partials {
            out.add_product(p, k);
        }
        out
    }

    /// The sum, correctly rounded to the nearest `f64` (ties to even); +0 for an empty sum.
    pub fn value(&self) -> f64 {
        if self.special != 0.0 {
            return self.special;
        }
        let p = &self.partials;
        let Some(&top) = p.last() else { return 0.0 };
        let mut n = p.len() - 1;
        let mut hi = top;
        let mut lo = 0.0;
        // add partials from the top down until a rounding error appears
        while n > 0 {
            let x = hi;
            let y = p[n - 1];
            n -= 1;
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        // round half to even: when the error is exactly half an ulp and the remaining partials
        // push the same way, the true sum lies past the half-way point
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        if hi == 0.0 { 0.0 } else { hi }
    }

    /// Whether nothing (or only zeros) was added.
    pub fn is_zero(&self) -> bool {
        self.special == 0.0 && self.partials.iter().all(|p| *p == 0.0)
    }
}

impl FromIterator<f64> for ExactSum {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> ExactSum {
        let mut s = ExactSum::new();
        iter.into_iter().for_each(|x| s.add(x));
        s
    }
}

/// The sample variance `(n·Σx² − (Σx)²) / (n(n − 1))` of `n` values from the exact sums
/// `sum` (Σx) and `sum_sq` (Σx², best accumulated with [`ExactSum::add_product`]`(x, x)`): the
/// numerator is formed exactly (two-products of the partials of Σx) and rounded once, so the
/// result depends only on the exact sums, and has no cancellation error. NaN for `n < 2`.
pub fn variance_from_sums(n: u64, sum: &ExactSum, sum_sq: &ExactSum) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    let mut num = sum_sq.times(nf);
    let p = &sum.partials;
    for (i, &a) in p.iter().enumerate() {
        for (j, &b) in p.iter().enumerate() {
            if i <= j {
                let k = if i == j { -1.0 } else { -2.0 };
                num.add_product(a * k, b);
            }
        }
    }
    if sum.special != 0.0 || sum_sq.special != 0.0 {
        return f64::NAN;
    }
    (num.value().max(0.0) / nf) / (nf - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Values `m·2^-40` with |m| < 2^52: their exact sum is an i128 times 2^-40.
    fn fixed(ms: &[i64]) -> (Vec<f64>, f64) {
        let scale = (-40.0f64).exp2();
        let xs: Vec<f64> = ms.iter().map(|&m| m as f64 * scale).collect();
        let total: i128 = ms.iter().map(|&m| m as i128).sum();
        // i128 → f64 rounds to nearest, ties to even; the power-of-two scale is exact
        (xs, total as f64 * scale)
    }

    impl Mergeable for ExactSum {
        type Context = ();
        type Part<'a> = &'a [f64];
        type Output = f64;
        type Error = std::convert::Infallible;
        fn empty(_: &()) -> Result<Self, Self::Error> {
            Ok(ExactSum::new())
        }
        fn map(_: &(), part: &[f64]) -> Result<Self, Self::Error> {
            Ok(part.iter().copied().collect())
        }
        fn merge(mut self, other: Self) -> Result<Self, Self::Error> {
            self.add_sum(&other);
            Ok(self)
        }
        fn finish(self, _: &()) -> Result<f64, Self::Error> {
            Ok(self.value())
        }
    }

    /// Cut points (sorted, may repeat: empty parts) splitting `n` rows.
    fn split<'a>(x: &'a [f64], cuts: &[usize]) -> Vec<&'a [f64]> {
        let mut c: Vec<usize> = cuts.iter().map(|&k| k % (x.len() + 1)).collect();
        c.sort_unstable();
        let mut parts = Vec::new();
        let mut lo = 0;
        for &k in &c {
            parts.push(&x[lo..k]);
            lo = k;
        }
        parts.push(&x[lo..]);
        parts
    }

    proptest! {
        #[test]
        fn exact_sum_is_correctly_rounded_and_grouping_free(
            ms in proptest::collection::vec(-(1i64 << 52)..(1i64 << 52), 0..200),
            cuts in proptest::collection::vec(0usize..1000, 0..12),
        ) {
            let (xs, truth) = fixed(&ms);
            let one: ExactSum = xs.iter().copied().collect();
            prop_assert_eq!(one.value().to_bits(), truth.to_bits());
            let parts: Vec<ExactSum> = split(&xs, &cuts).into_iter().map(|p| ExactSum::map(&(), p).unwrap()).collect();
            let tree = merge_tree(parts.clone()).unwrap().unwrap().finish(&()).unwrap();
            let left = ExactSum::merge_all(&(), parts.clone()).unwrap().finish(&()).unwrap();
            let right = ExactSum::merge_all(&(), parts.into_iter().rev()).unwrap().finish(&()).unwrap();
            prop_assert_eq!(tree.to_bits(), truth.to_bits());
            prop_assert_eq!(left.to_bits(), truth.to_bits());
            prop_assert_eq!(right.to_bits(), truth.to_bits());
        }

        #[test]
        fn wide_magnitudes_merge_to_the_same_bits(
            xs in proptest::collection::vec(
                (-1.0f64..1.0, -300i32..300).prop_map(|(m, e)| m * (e as f64).exp2()), 0..120),
            cuts in proptest::collection::vec(0usize..1000, 0..10),
        ) {
            let one: ExactSum = xs.iter().copied().collect();
            let parts: Vec<ExactSum> = split(&xs, &cuts).into_iter().map(|p| p.iter().copied().collect()).collect();
            let merged = merge_tree(parts).unwrap().unwrap();
            prop_assert_eq!(merged.value().to_bits(), one.value().to_bits());
            let back: ExactSum = serde_json::from_str(&serde_json::to_string(&merged).unwrap()).unwrap();
            prop_assert_eq!(back.value().to_bits(), one.value().to_bits());
        }

        #[test]
        fn variance_from_sums_matches_two_pass(
            xs in proptest::collection::vec(-1e3f64..1e3, 2..200),
            cuts in proptest::collection::vec(0usize..1000, 0..6),
        ) {
            let s: ExactSum = xs.iter().copied().collect();
            let mut s2 = ExactSum::new();
            xs.iter().for_each(|&x| s2.add_product(x, x));
            let v = variance_from_sums(xs.len() as u64, &s, &s2);
            let two_pass = crate::stats::variance(&xs);
            prop_assert!((v - two_pass).abs() <= 1e-9 * two_pass.abs().max(1e-300) + 1e-12, "{} vs {}", v, two_pass);
            // the variance depends only on the exact sums: any grouping gives its bits
            let parts = split(&xs, &cuts);
            let mut a = ExactSum::new();
            let mut b = ExactSum::new();
            for p in parts.iter().rev() {
                a.add_sum(&p.iter().copied().collect());
                let mut q = ExactSum::new();
                p.iter().for_each(|&x| q.add_product(x, x));
                b.add_sum(&q);
            }
            prop_assert_eq!(variance_from_sums(xs.len() as u64, &a, &b).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn cancellation_and_ties() {
        // 1 + 2^-53 + 2^-53·2^-60: the tail breaks the tie upward
        let xs = [1.0, (-53.0f64).exp2(), (-113.0f64).exp2()];
        let s: ExactSum = xs.iter().copied().collect();
        assert_eq!(s.value(), 1.0 + f64::EPSILON);
        // an exact tie rounds to even
        let t: ExactSum = [1.0, (-53.0f64).exp2()].into_iter().collect();
        assert_eq!(t.value(), 1.0);
        let c: ExactSum = [1e100, 1.0, -1e100].into_iter().collect();
        assert_eq!(c.value(), 1.0);
        assert_eq!(ExactSum::new().value().to_bits(), 0.0f64.to_bits());
        let big: ExactSum = [f64::MAX, f64::MAX].into_iter().collect();
        assert_eq!(big.value(), f64::INFINITY);
        let nan: ExactSum = [f64::INFINITY, 1.0, f64::NEG_INFINITY].into_iter().collect();
        assert!(nan.value().is_nan());
        let mut p = ExactSum::new();
        p.add_product(1.0 + f64::EPSILON, 1.0 - f64::EPSILON);
        p.add(-1.0);
        assert_eq!(p.value(), -f64::EPSILON * f64::EPSILON);
    }

    #[test]
    fn damaged_summaries_are_refused() {
        let e = serde_json::from_str::<ExactSum>(r#"{"partials":[1.0],"special":"2"}"#).unwrap_err();
        assert!(e.to_string().contains("special part '2'"), "{e}");
        let inf: ExactSum = [f64::INFINITY].into_iter().collect();
        let back: ExactSum = serde_json::from_str(&serde_json::to_string(&inf).unwrap()).unwrap();
        assert_eq!(back.value(), f64::INFINITY);
    }
}
