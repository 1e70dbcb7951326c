//! The GRF causal split criterion as a tp-learn [`SplitCriterion`].
//!
//! GRF relabels every node: in the parent P, with centered treatment a = W̃
//! and outcome b = Ỹ, τ̂_P = Σ(a − ā)(b − b̄) / Σ(a − ā)² and the
//! pseudo-outcomes are ρᵢ = (aᵢ − ā)((bᵢ − b̄) − τ̂_P(aᵢ − ā)) / Var_P(a).
//! The split maximizes Σ_children (Σρ)² / n_child. Because ρ is linear in
//! (1, a, b, ab, a²) once the parent's means and τ̂_P are fixed, Σρ over a
//! child follows exactly from the child's sums of those five quantities and
//! the parent's. So the statistics are mergeable sums, the engine's
//! histograms and subtraction trick apply unchanged, and the relabeling is
//! exact per node (not a root-level approximation).

use std::ops::{AddAssign, Sub};
use tp_learn::tree::SplitCriterion;

/// Sums over a set of rows: count, treated count, Σa, Σb, Σab, Σa².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct MomentSums {
    pub n: f64,
    pub treated: f64,
    pub a: f64,
    pub b: f64,
    pub ab: f64,
    pub aa: f64,
}

impl AddAssign for MomentSums {
    fn add_assign(&mut self, o: Self) {
        self.n += o.n;
        self.treated += o.treated;
        self.a += o.a;
        self.b += o.b;
        self.ab += o.ab;
        self.aa += o.aa;
    }
}

impl Sub for MomentSums {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self {
            n: self.n - o.n,
            treated: self.treated - o.treated,
            a: self.a - o.a,
            b: self.b - o.b,
            ab: self.ab - o.ab,
            aa: self.aa - o.aa,
        }
    }
}

impl MomentSums {
    /// The sums of one row.
    pub fn row(w: f64, a: f64, b: f64) -> Self {
        Self { n: 1.0, treated: w, a, b, ab: a * b, aa: a * a }
    }
}

/// The gradient-based causal criterion over centered W̃ (`a`) and Ỹ (`b`).
pub(crate) struct CausalCriterion<'a> {
    pub w: &'a [f64],
    pub a: &'a [f64],
    pub b: &'a [f64],
    /// Minimum treated and minimum control rows in each child.
    pub min_per_arm: f64,
    /// Minimum share of the parent's rows in each child.
    pub alpha: f64,
}

impl SplitCriterion for CausalCriterion<'_> {
    type Stats = MomentSums;
    type Leaf = ();

    fn row_stats(&self, r: usize) -> MomentSums {
        MomentSums::row(self.w[r], self.a[r], self.b[r])
    }

    fn gain(&self, l: &MomentSums, r: &MomentSums, p: &MomentSums) -> f64 {
        for c in [l, r] {
            if c.treated < self.min_per_arm || c.n - c.treated < self.min_per_arm || c.n < self.alpha * p.n {
                return f64::NEG_INFINITY;
            }
        }
        let (abar, bbar) = (p.a / p.n, p.b / p.n);
        let sxx = p.aa - p.n * abar * abar;
        let var = sxx / p.n;
        if var <= 1e-12 * (p.aa / p.n).max(1e-300) || var <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let tau = (p.ab - p.n * abar * bbar) / sxx;
        let rho_sum = |c: &MomentSums| {
            let sxy = c.ab - abar * c.b - bbar * c.a + c.n * abar * bbar;
            let sxx = c.aa - 2.0 * abar * c.a + c.n * abar * abar;
            (sxy - tau * sxx) / var
        };
        // Σρ over the parent is 0, so Σρ_R = −Σρ_L
        let rl = rho_sum(l);
        rl * rl * (1.0 / l.n + 1.0 / r.n)
    }

    fn leaf_value(&self, _: &MomentSums) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_sums_equal_explicit_pseudo_outcomes() {
        let n = 40;
        let w: Vec<f64> = (0..n).map(|i| (i % 3 == 0) as u8 as f64).collect();
        let a: Vec<f64> = (0..n).map(|i| w[i] - 0.3 - 0.01 * (i as f64).sin()).collect();
        let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos() + 2.0 * w[i] * (i as f64 / 40.0)).collect();
        let crit = CausalCriterion { w: &w, a: &a, b: &b, min_per_arm: 1.0, alpha: 0.0 };
        let mut p = MomentSums::default();
        let mut l = MomentSums::default();
        for i in 0..n {
            p += crit.row_stats(i);
            if i < 17 {
                l += crit.row_stats(i);
            }
        }
        let r = p - l;
        // explicit ρ
        let nf = n as f64;
        let (am, bm) = (a.iter().sum::<f64>() / nf, b.iter().sum::<f64>() / nf);
        let sxx: f64 = a.iter().map(|v| (v - am).powi(2)).sum();
        let sxy: f64 = (0..n).map(|i| (a[i] - am) * (b[i] - bm)).sum();
        let tau = sxy / sxx;
        let rho: Vec<f64> =
            (0..n).map(|i| (a[i] - am) * ((b[i] - bm) - tau * (a[i] - am)) / (sxx / nf)).collect();
        let sl: f64 = rho[..17].iter().sum();
        let sr: f64 = rho[17..].iter().sum();
        let want = sl * sl / 17.0 + sr * sr / (nf - 17.0);
        let got = crit.gain(&l, &r, &p);
        assert!((got - want).abs() < 1e-9 * want.abs().max(1.0), "{got} vs {want}");
        assert!((sl + sr).abs() < 1e-9);
    }

    #[test]
    fn children_without_both_arms_are_forbidden() {
        let w = [1.0, 1.0, 0.0, 0.0];
        let a = [0.5, 0.5, -0.5, -0.5];
        let b = [1.0, 2.0, 0.0, 0.5];
        let crit = CausalCriterion { w: &w, a: &a, b: &b, min_per_arm: 1.0, alpha: 0.0 };
        let mut l = crit.row_stats(0);
        l += crit.row_stats(1);
        let mut r = crit.row_stats(2);
        r += crit.row_stats(3);
        let mut p = l;
        p += r;
        assert_eq!(crit.gain(&l, &r, &p), f64::NEG_INFINITY);
    }
}
