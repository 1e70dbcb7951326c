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
//!   holds one `Stats` per bin per feature.
//! - **`row_stats(row)`** reads whatever the criterion owns (targets,
//!   weights, gradients, arms, pseudo-outcomes) for a row index into the
//!   caller's data. A row drawn twice by the bootstrap is simply added twice.
//! - **`gain(left, right, parent)`** returns the decrease in the criterion's
//!   loss (bigger is better). Return `f64::NEG_INFINITY` to forbid a split
//!   (e.g. a child without treated or control rows); the engine splits only
//!   when the best gain exceeds `min_gain` (≥ 0).
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

    /// The value a leaf with these statistics stores.
    fn leaf_value(&self, stats: &Self::Stats) -> Self::Leaf;
}

/// (Σw, Σwy): the statistics of weighted squared-error and binary criteria.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightedSum {
    /// Σ wᵢ.
    pub w: f64,
    /// Σ wᵢ yᵢ.
    pub wy: f64,
}

impl AddAssign for WeightedSum {
    fn add_assign(&mut self, o: Self) {
        self.w += o.w;
        self.wy += o.wy;
    }
}

impl Sub for WeightedSum {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self { w: self.w - o.w, wy: self.wy - o.wy }
    }
}

/// (Σg, Σh): gradient and hessian sums for Newton boosting.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GradHess {
    /// Σ gᵢ.
    pub g: f64,
    /// Σ hᵢ.
    pub h: f64,
}

impl AddAssign for GradHess {
    fn add_assign(&mut self, o: Self) {
        self.g += o.g;
        self.h += o.h;
    }
}

impl Sub for GradHess {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self { g: self.g - o.g, h: self.h - o.h }
    }
}

/// Weighted variance reduction (CART regression): gain = S_L²/W_L +
/// S_R²/W_R − S_P²/W_P, the decrease of Σw(y − ȳ)²; leaf = weighted mean.
#[derive(Debug, Clone, Copy)]
pub struct VarianceCriterion<'a> {
    y: &'a [f64],
    w: &'a [f64],
}

impl<'a> VarianceCriterion<'a> {
    /// Over targets `y` with weights `w` (same length).
    pub fn new(y: &'a [f64], w: &'a [f64]) -> Self {
        Self { y, w }
    }
}

impl SplitCriterion for VarianceCriterion<'_> {
    type Stats = WeightedSum;
    type Leaf = f64;

    fn row_stats(&self, row: usize) -> WeightedSum {
        WeightedSum { w: self.w[row], wy: self.w[row] * self.y[row] }
    }

    fn gain(&self, l: &WeightedSum, r: &WeightedSum, p: &WeightedSum) -> f64 {
        if l.w <= 0.0 || r.w <= 0.0 {
            return f64::NEG_INFINITY;
        }
        l.wy * l.wy / l.w + r.wy * r.wy / r.w - p.wy * p.wy / p.w
    }

    fn leaf_value(&self, s: &WeightedSum) -> f64 {
        if s.w > 0.0 { s.wy / s.w } else { 0.0 }
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
#[derive(Debug, Clone, Copy)]
pub struct ClassificationCriterion<'a> {
    y: &'a [f64],
    w: &'a [f64],
    impurity: Impurity,
}

impl<'a> ClassificationCriterion<'a> {
    /// Over 0/1 targets `y` with weights `w`.
    pub fn new(y: &'a [f64], w: &'a [f64], impurity: Impurity) -> Self {
        Self { y, w, impurity }
    }

    fn weighted_impurity(&self, s: &WeightedSum) -> f64 {
        if s.w <= 0.0 {
            return 0.0;
        }
        let p = (s.wy / s.w).clamp(0.0, 1.0);
        let i = match self.impurity {
            Impurity::Gini => 2.0 * p * (1.0 - p),
            Impurity::Entropy => {
                let h = |q: f64| if q > 0.0 { -q * q.ln() } else { 0.0 };
                h(p) + h(1.0 - p)
            }
        };
        s.w * i
    }
}

impl SplitCriterion for ClassificationCriterion<'_> {
    type Stats = WeightedSum;
    type Leaf = f64;

    fn row_stats(&self, row: usize) -> WeightedSum {
        WeightedSum { w: self.w[row], wy: self.w[row] * self.y[row] }
    }

    fn gain(&self, l: &WeightedSum, r: &WeightedSum, p: &WeightedSum) -> f64 {
        if l.w <= 0.0 || r.w <= 0.0 {
            return f64::NEG_INFINITY;
        }
        self.weighted_impurity(p) - self.weighted_impurity(l) - self.weighted_impurity(r)
    }

    fn leaf_value(&self, s: &WeightedSum) -> f64 {
        if s.w > 0.0 { (s.wy / s.w).clamp(0.0, 1.0) } else { 0.5 }
    }
}

/// Second-order (Newton) boosting criterion: gain = ½\[G_L²/(H_L+λ) +
/// G_R²/(H_R+λ) − G_P²/(H_P+λ)\], leaf = −G/(H+λ); children with hessian
/// sum below `min_hessian` are forbidden.
#[derive(Debug, Clone, Copy)]
pub struct NewtonCriterion<'a> {
    grad: &'a [f64],
    hess: &'a [f64],
    lambda: f64,
    min_hessian: f64,
}

impl<'a> NewtonCriterion<'a> {
    /// Over per-row gradients and hessians with L2 leaf penalty `lambda`.
    pub fn new(grad: &'a [f64], hess: &'a [f64], lambda: f64, min_hessian: f64) -> Self {
        Self { grad, hess, lambda, min_hessian }
    }
}

impl SplitCriterion for NewtonCriterion<'_> {
    type Stats = GradHess;
    type Leaf = f64;

    fn row_stats(&self, row: usize) -> GradHess {
        GradHess { g: self.grad[row], h: self.hess[row] }
    }

    fn gain(&self, l: &GradHess, r: &GradHess, p: &GradHess) -> f64 {
        if l.h < self.min_hessian || r.h < self.min_hessian {
            return f64::NEG_INFINITY;
        }
        let score = |s: &GradHess| s.g * s.g / (s.h + self.lambda);
        0.5 * (score(l) + score(r) - score(p))
    }

    fn leaf_value(&self, s: &GradHess) -> f64 {
        let d = s.h + self.lambda;
        if d > 0.0 { -s.g / d } else { 0.0 }
    }
}
