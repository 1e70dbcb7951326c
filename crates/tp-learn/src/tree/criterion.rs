//! Split criteria: the pluggable part of the tree engine.
//!
//! The engine (see [`grow_tree`](crate::tree::grow_tree)) knows nothing about
//! targets. It asks a [`SplitCriterion`] for the sufficient statistics of
//! each row, adds them up per (feature, bin) into histograms, derives a
//! sibling's histogram by subtraction, and asks the criterion to score every
//! candidate split and to turn a leaf's statistics into its value.
//!
//! # Writing a criterion (e.g. in tp-uplift)
//!
//! - **`Stats`** must be *mergeable*: a plain `Copy` struct whose `+=` and
//!   `-` are exact inverses up to rounding (sums, never means or maxima).
//!   The engine relies on `parent − left = right`. Keep it small: a histogram
//!   holds one `Stats` per bin per feature. For a model that does not depend
//!   on the order of the training rows, make the sums exact: the built-in
//!   criteria keep integer sums in fixed point ([`FixedPoint`]), so a
//!   permutation of the rows gives the same model bit for bit.
//! - **`row_stats(row)`** reads whatever the criterion owns (targets,
//!   weights, gradients, arms, pseudo-outcomes) for a row index into the
//!   caller's data. A row drawn twice by the bootstrap is simply added twice.
//! - **`gain(left, right, parent)`** returns the decrease in the criterion's
//!   loss (bigger is better). Return `f64::NEG_INFINITY` to forbid a split
//!   (e.g. a child without treated or control rows); the engine splits only
//!   when the best gain exceeds `min_gain` (≥ 0).
//! - **`node_gain(parent)`** (optional) returns that gain as a closure over
//!   (left, right) for one node; override it when part of the gain depends
//!   on the parent alone, so that part is computed once per node rather
//!   than once per candidate split.
//! - **`leaf_value(stats)`** is what a leaf stores (`Leaf` can be a vector,
//!   e.g. per-arm means).
//!
//! Examples of what fits this shape:
//! - *GRF causal trees*: compute the pseudo-outcomes ρᵢ of the parent once
//!   per tree (or per node, as grf does) outside the engine and use
//!   [`VarianceCriterion`] on ρ — or a custom criterion whose `Stats` are
//!   (Σw, Σwρ) with gain Σ_children (Σρ)²/n_child.
//! - *Uplift divergences*: `Stats` = per-arm (count, outcome sum), e.g.
//!   `[f64; 4]` for two arms; `gain` computes the KL / Euclidean / χ²
//!   divergence between treated and control outcome rates in the children
//!   minus the parent, returning `NEG_INFINITY` when an arm is missing.

use std::marker::PhantomData;
use std::ops::{AddAssign, Sub};

/// A split criterion over per-row, mergeable statistics.
pub trait SplitCriterion: Sync {
    /// Sufficient statistics of a set of rows: `Default` is the empty set,
    /// `+=` merges, `-` removes a subset.
    type Stats: Copy + Default + Send + Sync + AddAssign + Sub<Output = Self::Stats>;
    /// What a leaf stores.
    type Leaf: Clone + Send + Sync;

    /// Statistics of one row (an index into the data the criterion holds).
    fn row_stats(&self, row: usize) -> Self::Stats;

    /// Loss decrease of splitting `parent` into `left` and `right`
    /// (`left + right = parent`); `NEG_INFINITY` forbids the split.
    fn gain(&self, left: &Self::Stats, right: &Self::Stats, parent: &Self::Stats) -> f64;

    /// The gain of splitting `parent`, as a function of (left, right): the
    /// engine asks for it once per node and calls it for every candidate
    /// split of that node. The default calls [`gain`](Self::gain); a
    /// criterion whose gain needs per-node constants (e.g. a solve on the
    /// parent's statistics) computes them here once. It must return exactly
    /// what `gain(left, right, parent)` returns.
    fn node_gain<'a>(&'a self, parent: &'a Self::Stats) -> impl Fn(&Self::Stats, &Self::Stats) -> f64 + 'a {
        move |l, r| self.gain(l, r, parent)
    }

    /// The value a leaf with these statistics stores.
    fn leaf_value(&self, stats: &Self::Stats) -> Self::Leaf;
}

/// Fixed-point scale for exact, order-independent sums of f64 values.
///
/// Floating-point addition is not associative: summing the same statistics
/// in another row order changes the last bits, and where two candidate
/// splits are tied up to rounding the winner flips, so a model would depend
/// on the order of the training rows. The built-in criteria therefore add
/// integers: each value v becomes `round(v · 2^k)` as an `i64`, with k chosen
/// once from the largest |v| and the number of rows so that any sum of up to
/// four times that many rows fits (sums wrap, so even intermediate overflow
/// of a histogram subtraction is harmless while the final sum fits). Sums are
/// then exact, subtraction is the exact inverse of addition, and a tree
/// depends only on the *set* of rows. The resolution is 2^-k ≈ max|v| · n ·
/// 2^-60, about 1e-12 · max|v| at a million rows: far below what a split
/// can resolve. Criteria written elsewhere (tp-uplift) can use it the same way.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedPoint {
    scale: f64,
    inv: f64,
}

impl FixedPoint {
    /// The scale for sums of up to 4·`n` values of magnitude ≤ `max_abs`.
    pub fn for_sums(max_abs: f64, n: usize) -> Self {
        let bound = max_abs * n.max(1) as f64;
        let k = if bound > 0.0 && bound.is_finite() {
            (60 - bound.log2().ceil() as i32).clamp(-1000, 1000)
        } else {
            0
        };
        let scale = 2f64.powi(k);
        Self { scale, inv: 2f64.powi(-k) }
    }

    /// The scale for sums of `values` (their largest magnitude and count).
    pub fn for_values(values: impl ExactSizeIterator<Item = f64>) -> Self {
        let n = values.len();
        Self::for_sums(values.fold(0.0, |m, v| m.max(v.abs())), n)
    }

    /// `v` in units of 2^-k (rounded half away from zero; `f64::round` is a
    /// libm call on baseline x86-64, this is two instructions).
    #[inline]
    pub fn quantize(&self, v: f64) -> i64 {
        let t = v * self.scale;
        (t + 0.5f64.copysign(t)) as i64
    }

    /// The real value of a sum `q` of quantized values.
    #[inline]
    pub fn value(&self, q: i64) -> f64 {
        q as f64 * self.inv
    }
}

/// An exact, order-independent sum of `values` (fixed point, see
/// [`FixedPoint`]), rounded back to f64.
pub fn exact_sum(values: &[f64]) -> f64 {
    let fp = FixedPoint::for_values(values.iter().copied());
    fp.value(values.iter().fold(0i64, |acc, &v| acc.wrapping_add(fp.quantize(v))))
}

/// (Σw, Σwy) in fixed point: the statistics of weighted squared-error and
/// binary criteria. The criterion that made them converts them back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeightedSum {
    /// Σ wᵢ in units of the criterion's weight scale.
    pub w: i64,
    /// Σ wᵢ yᵢ in units of the criterion's target scale.
    pub wy: i64,
}

impl AddAssign for WeightedSum {
    #[inline]
    fn add_assign(&mut self, o: Self) {
        self.w = self.w.wrapping_add(o.w);
        self.wy = self.wy.wrapping_add(o.wy);
    }
}

impl Sub for WeightedSum {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        Self { w: self.w.wrapping_sub(o.w), wy: self.wy.wrapping_sub(o.wy) }
    }
}

/// (Σg, Σh) in fixed point: gradient and hessian sums for Newton boosting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GradHess {
    /// Σ gᵢ in units of the criterion's gradient scale.
    pub g: i64,
    /// Σ hᵢ in units of the criterion's hessian scale.
    pub h: i64,
}

impl AddAssign for GradHess {
    #[inline]
    fn add_assign(&mut self, o: Self) {
        self.g = self.g.wrapping_add(o.g);
        self.h = self.h.wrapping_add(o.h);
    }
}

impl Sub for GradHess {
    type Output = Self;
    #[inline]
    fn sub(self, o: Self) -> Self {
        Self { g: self.g.wrapping_sub(o.g), h: self.h.wrapping_sub(o.h) }
    }
}

/// Fixed-point scales of a (w, wy) pair of per-row statistics.
#[derive(Debug, Clone, Copy)]
struct SumScales {
    w: FixedPoint,
    wy: FixedPoint,
}

impl SumScales {
    /// Scales for (w, wy) over `y` and `w`; an empty `y` means 0/1 targets.
    fn new(y: &[f64], w: &[f64]) -> Self {
        let n = y.len().max(w.len());
        let max_w = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let wf = FixedPoint::for_sums(max_w, n);
        if y.is_empty() {
            // 0/1 targets: |wy| ≤ w, one scale for both
            return Self { w: wf, wy: wf };
        }
        let max_wy = y.iter().zip(w).fold(0.0f64, |m, (a, b)| m.max((a * b).abs()));
        Self { w: wf, wy: FixedPoint::for_sums(max_wy, n) }
    }

    /// Every row's quantized (w, wy), computed once.
    fn rows(&self, y: &[f64], w: &[f64]) -> Vec<WeightedSum> {
        y.iter()
            .zip(w)
            .map(|(&y, &w)| WeightedSum { w: self.w.quantize(w), wy: self.wy.quantize(w * y) })
            .collect()
    }

    /// (Σw, Σwy) as reals.
    #[inline]
    fn real(&self, s: &WeightedSum) -> (f64, f64) {
        (self.w.value(s.w), self.wy.value(s.wy))
    }
}

/// Weighted variance reduction (CART regression): gain = S_L²/W_L +
/// S_R²/W_R − S_P²/W_P, the decrease of Σw(y − ȳ)²; leaf = weighted mean.
/// The per-row statistics are quantized once, at construction (16 bytes a
/// row), so share one criterion across the trees of a forest.
#[derive(Debug, Clone)]
pub struct VarianceCriterion<'a> {
    rows: Vec<WeightedSum>,
    fp: SumScales,
    _data: PhantomData<&'a [f64]>,
}

impl<'a> VarianceCriterion<'a> {
    /// Over targets `y` with weights `w` (same length, finite).
    pub fn new(y: &'a [f64], w: &'a [f64]) -> Self {
        let fp = SumScales::new(y, w);
        Self { rows: fp.rows(y, w), fp, _data: PhantomData }
    }
}

impl SplitCriterion for VarianceCriterion<'_> {
    type Stats = WeightedSum;
    type Leaf = f64;

    #[inline]
    fn row_stats(&self, row: usize) -> WeightedSum {
        self.rows[row]
    }

    fn gain(&self, l: &WeightedSum, r: &WeightedSum, p: &WeightedSum) -> f64 {
        if l.w <= 0 || r.w <= 0 {
            return f64::NEG_INFINITY;
        }
        let score = |s: &WeightedSum| {
            let (w, wy) = self.fp.real(s);
            wy * wy / w
        };
        score(l) + score(r) - score(p)
    }

    fn leaf_value(&self, s: &WeightedSum) -> f64 {
        let (w, wy) = self.fp.real(s);
        if s.w > 0 { wy / w } else { 0.0 }
    }
}

/// Binary impurity measure for [`ClassificationCriterion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Impurity {
    /// Gini: 2p(1 − p).
    #[default]
    Gini,
    /// Entropy (binary log loss at the leaf's own rate): −p ln p − (1−p) ln(1−p).
    Entropy,
}

/// Binary classification split: decrease of W·impurity(p) with p the
/// weighted share of y = 1; leaf = p.
/// Per-row statistics are quantized once, at construction.
#[derive(Debug, Clone)]
pub struct ClassificationCriterion<'a> {
    rows: Vec<WeightedSum>,
    impurity: Impurity,
    fp: SumScales,
    _data: PhantomData<&'a [f64]>,
}

impl<'a> ClassificationCriterion<'a> {
    /// Over 0/1 targets `y` with weights `w`.
    pub fn new(y: &'a [f64], w: &'a [f64], impurity: Impurity) -> Self {
        // Σwy ≤ Σw: one scale for both keeps p = Σwy / Σw within [0, 1]
        let fp = SumScales::new(&[], w);
        Self { rows: fp.rows(y, w), impurity, fp, _data: PhantomData }
    }

    fn weighted_impurity(&self, s: &WeightedSum) -> f64 {
        if s.w <= 0 {
            return 0.0;
        }
        let (w, wy) = self.fp.real(s);
        let p = (wy / w).clamp(0.0, 1.0);
        let i = match self.impurity {
            Impurity::Gini => 2.0 * p * (1.0 - p),
            Impurity::Entropy => {
                let h = |q: f64| if q > 0.0 { -q * q.ln() } else { 0.0 };
                h(p) + h(1.0 - p)
            }
        };
        w * i
    }
}

impl SplitCriterion for ClassificationCriterion<'_> {
    type Stats = WeightedSum;
    type Leaf = f64;

    #[inline]
    fn row_stats(&self, row: usize) -> WeightedSum {
        self.rows[row]
    }

    fn gain(&self, l: &WeightedSum, r: &WeightedSum, p: &WeightedSum) -> f64 {
        if l.w <= 0 || r.w <= 0 {
            return f64::NEG_INFINITY;
        }
        self.weighted_impurity(p) - self.weighted_impurity(l) - self.weighted_impurity(r)
    }

    fn leaf_value(&self, s: &WeightedSum) -> f64 {
        let (w, wy) = self.fp.real(s);
        if s.w > 0 { (wy / w).clamp(0.0, 1.0) } else { 0.5 }
    }
}

/// Second-order (Newton) boosting criterion: gain = ½\[G_L²/(H_L+λ) +
/// G_R²/(H_R+λ) − G_P²/(H_P+λ)\], leaf = −G/(H+λ); children with hessian
/// sum below `min_hessian` are forbidden.
/// Per-row statistics are quantized once, at construction.
#[derive(Debug, Clone)]
pub struct NewtonCriterion<'a> {
    rows: Vec<GradHess>,
    lambda: f64,
    min_hessian: f64,
    fg: FixedPoint,
    fh: FixedPoint,
    _data: PhantomData<&'a [f64]>,
}

impl<'a> NewtonCriterion<'a> {
    /// Over per-row gradients and hessians (finite) with L2 leaf penalty `lambda`.
    pub fn new(grad: &'a [f64], hess: &'a [f64], lambda: f64, min_hessian: f64) -> Self {
        let (fg, fh) =
            (FixedPoint::for_values(grad.iter().copied()), FixedPoint::for_values(hess.iter().copied()));
        let rows =
            grad.iter().zip(hess).map(|(&g, &h)| GradHess { g: fg.quantize(g), h: fh.quantize(h) }).collect();
        Self { rows, lambda, min_hessian, fg, fh, _data: PhantomData }
    }
}

impl SplitCriterion for NewtonCriterion<'_> {
    type Stats = GradHess;
    type Leaf = f64;

    #[inline]
    fn row_stats(&self, row: usize) -> GradHess {
        self.rows[row]
    }

    fn gain(&self, l: &GradHess, r: &GradHess, p: &GradHess) -> f64 {
        let (hl, hr) = (self.fh.value(l.h), self.fh.value(r.h));
        if hl < self.min_hessian || hr < self.min_hessian {
            return f64::NEG_INFINITY;
        }
        let score = |s: &GradHess, h: f64| {
            let g = self.fg.value(s.g);
            g * g / (h + self.lambda)
        };
        0.5 * (score(l, hl) + score(r, hr) - score(p, self.fh.value(p.h)))
    }

    fn leaf_value(&self, s: &GradHess) -> f64 {
        let d = self.fh.value(s.h) + self.lambda;
        if d > 0.0 { -self.fg.value(s.g) / d } else { 0.0 }
    }
}
