//! The GRF causal split criterion, binary or multi-arm, as a tp-learn
//! [`SplitCriterion`].
//!
//! With D = K − 1 treated arms, the centered treatment aᵢ = W̃ᵢ ∈ ℝᴰ (arm
//! indicators minus propensities) and the centered outcome bᵢ = Ỹᵢ, GRF
//! relabels every node P: τ̂_P solves Σ(a − ā)(a − ā)ᵀ τ = Σ(a − ā)(b − b̄),
//! A_P = Var_P(a), and the pseudo-outcomes are the vectors
//! ρᵢ = A_P⁻¹ (aᵢ − ā)((bᵢ − b̄) − (aᵢ − ā)ᵀτ̂_P). The split maximizes
//! Σ_children Σ_k (Σρ_k)² / n_child (grf's multi-arm rule; D = 1 is the
//! causal forest). Because ρ is linear in (1, a, b, ab, aaᵀ) once the
//! parent's means and τ̂_P are fixed, Σρ over a child follows exactly from
//! the child's sums of those quantities and the parent's. So the statistics
//! are mergeable sums, the engine's histograms and subtraction trick apply
//! unchanged, and the relabeling is exact per node.

use std::ops::{AddAssign, Sub};
use tp_learn::tree::SplitCriterion;

/// Sums over a set of rows: count, count per treated arm, Σa, Σb, Σab, Σaaᵀ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moments<const D: usize> {
    pub n: f64,
    pub count: [f64; D],
    pub a: [f64; D],
    pub b: f64,
    pub ab: [f64; D],
    pub aa: [[f64; D]; D],
}

impl<const D: usize> Default for Moments<D> {
    fn default() -> Self {
        Self { n: 0.0, count: [0.0; D], a: [0.0; D], b: 0.0, ab: [0.0; D], aa: [[0.0; D]; D] }
    }
}

impl<const D: usize> AddAssign for Moments<D> {
    fn add_assign(&mut self, o: Self) {
        self.n += o.n;
        self.b += o.b;
        for k in 0..D {
            self.count[k] += o.count[k];
            self.a[k] += o.a[k];
            self.ab[k] += o.ab[k];
            for j in 0..D {
                self.aa[k][j] += o.aa[k][j];
            }
        }
    }
}

impl<const D: usize> Sub for Moments<D> {
    type Output = Self;
    fn sub(mut self, o: Self) -> Self {
        self.n -= o.n;
        self.b -= o.b;
        for k in 0..D {
            self.count[k] -= o.count[k];
            self.a[k] -= o.a[k];
            self.ab[k] -= o.ab[k];
            for j in 0..D {
                self.aa[k][j] -= o.aa[k][j];
            }
        }
        self
    }
}

impl<const D: usize> Moments<D> {
    /// The sums of one row in `arm` (0 = control) with centered `a` and `b`.
    pub fn row(arm: usize, a: &[f64], b: f64) -> Self {
        let mut m = Self { n: 1.0, b, ..Self::default() };
        if arm > 0 {
            m.count[arm - 1] = 1.0;
        }
        for k in 0..D {
            m.a[k] = a[k];
            m.ab[k] = a[k] * b;
            for j in 0..D {
                m.aa[k][j] = a[k] * a[j];
            }
        }
        m
    }

    /// Rows of the control arm.
    pub fn control(&self) -> f64 {
        self.n - self.count.iter().sum::<f64>()
    }
}

/// Solves `m x = rhs` for a small dense `d × d` matrix (row-major in `m`)
/// by Gaussian elimination with partial pivoting; `None` when (nearly)
/// singular relative to the largest diagonal entry. Overwrites both.
pub(crate) fn solve_in_place(m: &mut [f64], rhs: &mut [f64], d: usize) -> Option<()> {
    let scale = (0..d).map(|k| m[k * d + k].abs()).fold(0.0, f64::max);
    if scale.is_nan() || scale <= 0.0 {
        return None;
    }
    for c in 0..d {
        let piv = (c..d).max_by(|&i, &j| m[i * d + c].abs().total_cmp(&m[j * d + c].abs()))?;
        if m[piv * d + c].abs() <= 1e-12 * scale {
            return None;
        }
        if piv != c {
            for j in 0..d {
                m.swap(piv * d + j, c * d + j);
            }
            rhs.swap(piv, c);
        }
        for r in c + 1..d {
            let f = m[r * d + c] / m[c * d + c];
            if f != 0.0 {
                for j in c..d {
                    m[r * d + j] -= f * m[c * d + j];
                }
                rhs[r] -= f * rhs[c];
            }
        }
    }
    for c in (0..d).rev() {
        let mut s = rhs[c];
        for j in c + 1..d {
            s -= m[c * d + j] * rhs[j];
        }
        rhs[c] = s / m[c * d + c];
    }
    Some(())
}

/// How a causal tree scores a candidate split (see
/// [`CausalForest::split_rule`](super::CausalForest::split_rule)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SplitRule {
    /// grf's gradient-based criterion: pseudo-outcomes ρ linearized at the
    /// parent's τ̂_P, gain Σ_children Σ_k (Σρ_k)²/n_child. Targets
    /// heterogeneity of τ only. The default.
    #[default]
    Gradient,
    /// The exact least-squares criterion of the local model Ỹ ≈ μ + W̃ᵀτ
    /// fitted separately in each child (EconML's `criterion='mse'` with its
    /// default intercept): the gain is the drop in the children's residual
    /// sum of squares, Σ_children [(ΣỸ)²/n + C_abᵀ C_aa⁻¹ C_ab] minus the
    /// parent's, with C the centered cross-products of W̃ and Ỹ within the
    /// child. Uses each child's own τ̂ rather than the parent's
    /// linearization, and also splits where the local level μ of Ỹ moves,
    /// which absorbs what the centering nuisances missed.
    Exact,
}

/// Largest number of treated arms handled (arms ≤ 8 with control).
pub(crate) const MAX_TREATED: usize = 7;

/// The causal split criterion over centered W̃ (`a`, row-major n × D) and
/// Ỹ (`b`): grf's gradient rule or the exact local least-squares rule.
pub(crate) struct CausalCriterion<'a, const D: usize> {
    pub rule: SplitRule,
    pub arms: &'a [usize],
    pub a: &'a [f64],
    pub b: &'a [f64],
    /// Minimum rows of every arm (control included) in each child.
    pub min_per_arm: f64,
    /// Minimum share of the parent's rows in each child.
    pub alpha: f64,
}

impl<const D: usize> CausalCriterion<'_, D> {
    pub fn stats(&self, r: usize) -> Moments<D> {
        Moments::row(self.arms[r], &self.a[r * D..r * D + D], self.b[r])
    }
}

impl<const D: usize> SplitCriterion for CausalCriterion<'_, D> {
    type Stats = Moments<D>;
    type Leaf = ();

    fn row_stats(&self, r: usize) -> Moments<D> {
        self.stats(r)
    }

    fn gain(&self, l: &Moments<D>, r: &Moments<D>, p: &Moments<D>) -> f64 {
        self.node_gain(p)(l, r)
    }

    /// Everything that depends on the parent alone (its means, τ̂_P and the
    /// elimination of A_P for the gradient rule; its explained sum of
    /// squares for the exact rule) is computed once per node; a candidate
    /// split then costs a few multiply-adds. The operations are those of
    /// solving afresh for every candidate, in the same order, so the gains
    /// are the same bit for bit.
    fn node_gain<'a>(&'a self, p: &'a Moments<D>) -> impl Fn(&Moments<D>, &Moments<D>) -> f64 + 'a {
        let node = match self.rule {
            SplitRule::Gradient => GradientNode::new(p).map(NodeGain::Gradient),
            SplitRule::Exact => explained(p).map(NodeGain::Exact),
        };
        move |l, r| {
            if !self.admissible(l, p) || !self.admissible(r, p) {
                return f64::NEG_INFINITY;
            }
            match &node {
                None => f64::NEG_INFINITY,
                Some(NodeGain::Exact(ep)) => match (explained(l), explained(r)) {
                    (Some(el), Some(er)) => (el + er - ep).max(0.0),
                    _ => f64::NEG_INFINITY,
                },
                Some(NodeGain::Gradient(c)) => c.gain(l, r),
            }
        }
    }

    fn leaf_value(&self, _: &Moments<D>) {}
}

impl<const D: usize> CausalCriterion<'_, D> {
    /// Whether child `c` of `p` has the minimum share of rows and of every arm.
    #[inline]
    fn admissible(&self, c: &Moments<D>, p: &Moments<D>) -> bool {
        c.n >= self.alpha * p.n
            && c.control() >= self.min_per_arm
            && c.count.iter().all(|&k| k >= self.min_per_arm)
    }
}

/// The per-node constants of a split rule (`None` above: no split of the
/// node is allowed, W̃ has no variance in it).
enum NodeGain<const D: usize> {
    Gradient(GradientNode<D>),
    /// The parent's explained sum of squares.
    Exact(f64),
}

/// The parent's means ā, b̄, its τ̂_P, and A_P = Σ(a − ā)(a − ā)ᵀ eliminated.
struct GradientNode<const D: usize> {
    n: f64,
    abar: [f64; D],
    bbar: f64,
    tau: [f64; D],
    a: Lu<D>,
}

impl<const D: usize> GradientNode<D> {
    fn new(p: &Moments<D>) -> Option<Self> {
        let abar: [f64; D] = std::array::from_fn(|k| p.a[k] / p.n);
        let bbar = p.b / p.n;
        // centered Σ(a − ā)(a − ā)ᵀ and Σ(a − ā)(b − b̄) of the parent
        let mut sxx = [[0.0; D]; D];
        let mut tau = [0.0; D];
        for k in 0..D {
            for j in 0..D {
                sxx[k][j] = p.aa[k][j] - p.n * abar[k] * abar[j];
            }
            tau[k] = p.ab[k] - p.n * abar[k] * bbar;
        }
        let var_scale = (0..D).map(|k| p.aa[k][k] / p.n).fold(0.0, f64::max).max(1e-300);
        if (0..D).any(|k| sxx[k][k] / p.n <= 1e-12 * var_scale) {
            return None;
        }
        let a = Lu::factor(sxx)?;
        a.solve(&mut tau);
        Some(Self { n: p.n, abar, bbar, tau, a })
    }

    /// Σ_children Σ_k (Σρ_k)²/n_child.
    #[inline]
    fn gain(&self, l: &Moments<D>, r: &Moments<D>) -> f64 {
        let (abar, bbar, tau) = (&self.abar, self.bbar, &self.tau);
        // Σρ over the left child: A⁻¹ (C_ab − C_aa τ) with A = Sxx / n_P
        let mut g = [0.0; D];
        for k in 0..D {
            let cab = l.ab[k] - abar[k] * l.b - bbar * l.a[k] + l.n * abar[k] * bbar;
            let mut caa_tau = 0.0;
            for j in 0..D {
                let caa = l.aa[k][j] - abar[k] * l.a[j] - l.a[k] * abar[j] + l.n * abar[k] * abar[j];
                caa_tau += caa * tau[j];
            }
            g[k] = (cab - caa_tau) * self.n;
        }
        self.a.solve(&mut g);
        // Σρ over the parent is 0, so Σρ_R = −Σρ_L
        let sq: f64 = g.iter().map(|v| v * v).sum();
        sq * (1.0 / l.n + 1.0 / r.n)
    }
}

/// Gaussian elimination with partial pivoting of a small D × D matrix,
/// recorded once to solve for many right-hand sides with exactly the
/// operations (and so the results) of [`solve_in_place`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lu<const D: usize> {
    pivot: [usize; D],
    /// Multipliers: `factor[r][c]` eliminated row r with row c.
    factor: [[f64; D]; D],
    upper: [[f64; D]; D],
}

impl<const D: usize> Lu<D> {
    /// `None` when (nearly) singular, as [`solve_in_place`].
    #[allow(clippy::needless_range_loop)] // index notation of the elimination
    pub fn factor(mut m: [[f64; D]; D]) -> Option<Self> {
        let scale = (0..D).map(|k| m[k][k].abs()).fold(0.0, f64::max);
        if scale.is_nan() || scale <= 0.0 {
            return None;
        }
        let mut lu = Self { pivot: [0; D], factor: [[0.0; D]; D], upper: [[0.0; D]; D] };
        for c in 0..D {
            let piv = (c..D).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
            if m[piv][c].abs() <= 1e-12 * scale {
                return None;
            }
            m.swap(piv, c);
            lu.pivot[c] = piv;
            for r in c + 1..D {
                let f = m[r][c] / m[c][c];
                lu.factor[r][c] = f;
                if f != 0.0 {
                    for j in c..D {
                        m[r][j] -= f * m[c][j];
                    }
                }
            }
        }
        lu.upper = m;
        Some(lu)
    }

    /// Overwrites `rhs` with the solution.
    #[inline]
    #[allow(clippy::needless_range_loop)] // index notation of the elimination
    pub fn solve(&self, rhs: &mut [f64; D]) {
        for c in 0..D {
            rhs.swap(self.pivot[c], c);
            for r in c + 1..D {
                let f = self.factor[r][c];
                if f != 0.0 {
                    rhs[r] -= f * rhs[c];
                }
            }
        }
        for c in (0..D).rev() {
            let mut s = rhs[c];
            for j in c + 1..D {
                s -= self.upper[c][j] * rhs[j];
            }
            rhs[c] = s / self.upper[c][c];
        }
    }
}

/// Explained sum of squares of the least-squares fit b ≈ μ + aᵀτ over a
/// set of rows: (Σb)²/n + C_abᵀ C_aa⁻¹ C_ab; `None` when W̃ has (nearly) no
/// variance in the set.
#[allow(clippy::needless_range_loop)] // index notation of the formulas
fn explained<const D: usize>(m: &Moments<D>) -> Option<f64> {
    let mut caa = [[0.0; D]; D];
    let mut cab = [0.0; D];
    let scale = (0..D).map(|k| m.aa[k][k] / m.n).fold(0.0, f64::max).max(1e-300);
    for k in 0..D {
        for j in 0..D {
            caa[k][j] = m.aa[k][j] - m.a[k] * m.a[j] / m.n;
        }
        cab[k] = m.ab[k] - m.a[k] * m.b / m.n;
        if caa[k][k] / m.n <= 1e-12 * scale {
            return None;
        }
    }
    let rhs = cab;
    Lu::factor(caa)?.solve(&mut cab);
    let slope: f64 = (0..D).map(|k| rhs[k] * cab[k]).sum();
    Some(m.b * m.b / m.n + slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums<const D: usize>(c: &CausalCriterion<'_, D>, rows: std::ops::Range<usize>) -> Moments<D> {
        let mut m = Moments::default();
        for i in rows {
            m += c.row_stats(i);
        }
        m
    }

    #[test]
    fn binary_child_sums_equal_explicit_pseudo_outcomes() {
        let n = 40;
        let arms: Vec<usize> = (0..n).map(|i| usize::from(i % 3 == 0)).collect();
        let a: Vec<f64> = (0..n).map(|i| arms[i] as f64 - 0.3 - 0.01 * (i as f64).sin()).collect();
        let b: Vec<f64> =
            (0..n).map(|i| (i as f64 * 0.7).cos() + 2.0 * arms[i] as f64 * (i as f64 / 40.0)).collect();
        let crit = CausalCriterion::<1> {
            rule: SplitRule::Gradient,
            arms: &arms,
            a: &a,
            b: &b,
            min_per_arm: 1.0,
            alpha: 0.0,
        };
        let (p, l) = (sums(&crit, 0..n), sums(&crit, 0..17));
        let r = p - l;
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
    fn three_arm_child_sums_equal_explicit_vector_pseudo_outcomes() {
        let n = 60;
        let arms: Vec<usize> = (0..n).map(|i| (i * 7 + i / 5) % 3).collect();
        let e = [0.3, 0.25];
        let a: Vec<f64> = (0..n)
            .flat_map(|i| {
                let s = 0.02 * (i as f64).sin();
                [f64::from(arms[i] == 1) - e[0] - s, f64::from(arms[i] == 2) - e[1] + s]
            })
            .collect();
        let b: Vec<f64> =
            (0..n).map(|i| (i as f64 * 0.3).cos() + arms[i] as f64 * (i as f64 / 60.0)).collect();
        let crit = CausalCriterion::<2> {
            rule: SplitRule::Gradient,
            arms: &arms,
            a: &a,
            b: &b,
            min_per_arm: 1.0,
            alpha: 0.0,
        };
        let split = 23;
        let (p, l) = (sums(&crit, 0..n), sums(&crit, 0..split));
        let r = p - l;
        // explicit: centered moments, τ̂_P, A⁻¹, ρᵢ
        let nf = n as f64;
        let am = [0, 1].map(|k| (0..n).map(|i| a[2 * i + k]).sum::<f64>() / nf);
        let bm = b.iter().sum::<f64>() / nf;
        let mut sxx = [0.0; 4];
        let mut sxy = [0.0; 2];
        for i in 0..n {
            let c = [a[2 * i] - am[0], a[2 * i + 1] - am[1]];
            for k in 0..2 {
                sxy[k] += c[k] * (b[i] - bm);
                for j in 0..2 {
                    sxx[2 * k + j] += c[k] * c[j];
                }
            }
        }
        let det = sxx[0] * sxx[3] - sxx[1] * sxx[2];
        let inv = [sxx[3] / det, -sxx[1] / det, -sxx[2] / det, sxx[0] / det];
        let tau = [inv[0] * sxy[0] + inv[1] * sxy[1], inv[2] * sxy[0] + inv[3] * sxy[1]];
        let rho = |i: usize| {
            let c = [a[2 * i] - am[0], a[2 * i + 1] - am[1]];
            let res = (b[i] - bm) - c[0] * tau[0] - c[1] * tau[1];
            let v = [c[0] * res, c[1] * res];
            // A⁻¹ = n · Sxx⁻¹
            [nf * (inv[0] * v[0] + inv[1] * v[1]), nf * (inv[2] * v[0] + inv[3] * v[1])]
        };
        let (mut sl, mut sr) = ([0.0; 2], [0.0; 2]);
        for i in 0..n {
            let v = rho(i);
            let s = if i < split { &mut sl } else { &mut sr };
            s[0] += v[0];
            s[1] += v[1];
        }
        let want = (sl[0].powi(2) + sl[1].powi(2)) / split as f64
            + (sr[0].powi(2) + sr[1].powi(2)) / (n - split) as f64;
        let got = crit.gain(&l, &r, &p);
        assert!((got - want).abs() < 1e-9 * want.abs().max(1.0), "{got} vs {want}");
    }

    /// Residual sum of squares of the least-squares fit b ≈ μ + aᵀτ over `rows`.
    fn rss(a: &[f64], b: &[f64], d: usize, rows: std::ops::Range<usize>) -> f64 {
        let n = rows.len() as f64;
        let am: Vec<f64> = (0..d).map(|k| rows.clone().map(|i| a[i * d + k]).sum::<f64>() / n).collect();
        let bm = rows.clone().map(|i| b[i]).sum::<f64>() / n;
        let (mut sxx, mut sxy) = (vec![0.0; d * d], vec![0.0; d]);
        for i in rows.clone() {
            for k in 0..d {
                sxy[k] += (a[i * d + k] - am[k]) * (b[i] - bm);
                for j in 0..d {
                    sxx[k * d + j] += (a[i * d + k] - am[k]) * (a[i * d + j] - am[j]);
                }
            }
        }
        solve_in_place(&mut sxx, &mut sxy, d).unwrap();
        rows.map(|i| {
            let fit: f64 = (0..d).map(|k| (a[i * d + k] - am[k]) * sxy[k]).sum();
            (b[i] - bm - fit).powi(2)
        })
        .sum()
    }

    #[test]
    fn exact_gain_is_the_drop_in_local_least_squares_residuals() {
        let n = 50;
        let arms: Vec<usize> = (0..n).map(|i| (i * 7 + i / 4) % 3).collect();
        let a: Vec<f64> = (0..n)
            .flat_map(|i| {
                let s = 0.05 * (i as f64 * 1.3).sin();
                [f64::from(arms[i] == 1) - 0.3 + s, f64::from(arms[i] == 2) - 0.35 - s]
            })
            .collect();
        let b: Vec<f64> = (0..n)
            .map(|i| {
                (i as f64 * 0.4).cos() + if i < 20 { 1.5 } else { 0.0 } + arms[i] as f64 * (i as f64 / 25.0)
            })
            .collect();
        let crit = CausalCriterion::<2> {
            rule: SplitRule::Exact,
            arms: &arms,
            a: &a,
            b: &b,
            min_per_arm: 1.0,
            alpha: 0.0,
        };
        let split = 20;
        let (p, l) = (sums(&crit, 0..n), sums(&crit, 0..split));
        let want = rss(&a, &b, 2, 0..n) - rss(&a, &b, 2, 0..split) - rss(&a, &b, 2, split..n);
        let got = crit.gain(&l, &(p - l), &p);
        assert!(want > 0.0 && (got - want).abs() < 1e-9 * want, "{got} vs {want}");
        // one treated arm: the same identity with the scalar slope
        let a1: Vec<f64> = (0..n).map(|i| a[2 * i]).collect();
        let arms1: Vec<usize> = arms.iter().map(|&w| usize::from(w == 1)).collect();
        let crit1 = CausalCriterion::<1> {
            rule: SplitRule::Exact,
            arms: &arms1,
            a: &a1,
            b: &b,
            min_per_arm: 1.0,
            alpha: 0.0,
        };
        let (p, l) = (sums(&crit1, 0..n), sums(&crit1, 0..split));
        let want = rss(&a1, &b, 1, 0..n) - rss(&a1, &b, 1, 0..split) - rss(&a1, &b, 1, split..n);
        let got = crit1.gain(&l, &(p - l), &p);
        assert!(want > 0.0 && (got - want).abs() < 1e-9 * want, "{got} vs {want}");
    }

    #[test]
    fn children_short_of_any_arm_are_forbidden() {
        let arms = [1, 1, 0, 0, 2, 2];
        let a = [0.5, -0.3, 0.5, -0.3, -0.5, -0.3, -0.5, -0.3, -0.5, 0.7, -0.5, 0.7];
        let b = [1.0, 2.0, 0.0, 0.5, 1.0, 0.2];
        let crit = CausalCriterion::<2> {
            rule: SplitRule::Gradient,
            arms: &arms,
            a: &a,
            b: &b,
            min_per_arm: 1.0,
            alpha: 0.0,
        };
        let (p, l) = (sums(&crit, 0..6), sums(&crit, 0..3));
        // left has no arm-2 row
        assert_eq!(crit.gain(&l, &(p - l), &p), f64::NEG_INFINITY);
    }

    #[test]
    fn small_systems_are_solved() {
        let mut m = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let x = [1.0, -2.0, 0.5];
        let mut rhs = [0.0; 3];
        for r in 0..3 {
            rhs[r] = (0..3).map(|c| m[r * 3 + c] * x[c]).sum();
        }
        solve_in_place(&mut m, &mut rhs, 3).unwrap();
        for k in 0..3 {
            assert!((rhs[k] - x[k]).abs() < 1e-12);
        }
        assert!(solve_in_place(&mut [1.0, 2.0, 2.0, 4.0], &mut [1.0, 1.0], 2).is_none());
    }
}
