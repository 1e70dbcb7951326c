//! Split search over binned features with cumulative sums.
//!
//! Rewards are a row-major `n × K` array (`R_i(a)`, the value of giving row
//! `i` arm `a`); a tree's value is the sum of its leaves' best column sums.
//!
//! *Depth 1 on one feature*: a histogram of rewards per bin (`B × K`), then
//! one pass over the bins keeping the prefix sum `P`; the split after bin `t`
//! is worth `max_a P(a) + max_a (S(a) − P(a))`.
//!
//! *Exact depth 2*: for a root feature `j1` and a child feature `j2`, a joint
//! histogram `H[b1][b2][a]` (one pass over the rows). Moving the root cut `t1`
//! up one bin adds `H[t1]` to the left child's `j2`-histogram `L`; the right
//! child's is the column total minus `L`. Each child's best split on `j2` is a
//! depth-1 pass over `b2` (the right child's prefix is the total's prefix minus
//! `L`'s). Per pair this costs `O(n·K + B1·B2·K)`, so a whole search is
//! `O(p²·(n·K + B²·K))` instead of the `O(p²·n²·K)` of sorting rows per cut.
//! The outer loop over `j1` runs on rayon; each `j1` is sequential, and the
//! results are reduced in feature order, so the tree does not depend on the
//! thread count.

use super::bins::Binned;
use rayon::prelude::*;

/// A depth ≤ 1 tree: a leaf (`split = None`, arm `arms[0]`) or one split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stump {
    pub value: f64,
    /// `(feature, bin)`: rows with bin ≤ the cut go left.
    pub split: Option<(usize, usize)>,
    pub arms: [usize; 2],
}

/// The best depth-2 tree found at a node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Depth2 {
    pub value: f64,
    /// `(feature, bin)` of the root cut, then the two children.
    pub root: Option<(usize, usize)>,
    pub left: Stump,
    pub right: Stump,
}

/// The search inputs shared by every node.
pub(crate) struct Problem<'a> {
    pub binned: &'a Binned,
    /// Row-major rewards, `n × k`.
    pub rewards: &'a [f64],
    pub k: usize,
    pub min_node_size: usize,
}

fn best_arm(v: &[f64]) -> (usize, f64) {
    let mut best = (0, v[0]);
    for (a, &x) in v.iter().enumerate().skip(1) {
        if x > best.1 {
            best = (a, x);
        }
    }
    best
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn max_diff(s: &[f64], p: &[f64]) -> f64 {
    s.iter().zip(p).map(|(a, b)| a - b).fold(f64::NEG_INFINITY, f64::max)
}

/// Arm and value of the best split found, re-deriving the arms from the sums.
fn stump_from(total: &[f64], prefix: &[f64], feature: usize, t: usize, value: f64) -> Stump {
    let (la, _) = best_arm(prefix);
    let diff: Vec<f64> = total.iter().zip(prefix).map(|(a, b)| a - b).collect();
    let (ra, _) = best_arm(&diff);
    Stump { value, split: Some((feature, t)), arms: [la, ra] }
}

impl Problem<'_> {
    fn row(&self, i: usize) -> &[f64] {
        &self.rewards[i * self.k..(i + 1) * self.k]
    }

    /// Column sums of the rewards over `rows`.
    pub(crate) fn totals(&self, rows: &[usize]) -> Vec<f64> {
        let mut s = vec![0.0; self.k];
        for &i in rows {
            for (a, r) in s.iter_mut().zip(self.row(i)) {
                *a += r;
            }
        }
        s
    }

    /// The best leaf over `rows`.
    pub(crate) fn leaf(&self, rows: &[usize]) -> Stump {
        let (arm, value) = best_arm(&self.totals(rows));
        Stump { value, split: None, arms: [arm, arm] }
    }

    /// Scans the cuts of one feature's histogram (`hist`: `B × K`, `cnt`: `B`)
    /// for a node with totals `total` and `n` rows; improves `best` in place.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &self,
        hist: &[f64],
        cnt: &[u32],
        total: &[f64],
        n: usize,
        feature: usize,
        best: &mut Stump,
        prefix: &mut [f64],
    ) {
        let k = self.k;
        prefix.fill(0.0);
        let mut pn = 0usize;
        let b = cnt.len();
        for t in 0..b.saturating_sub(1) {
            for (p, h) in prefix.iter_mut().zip(&hist[t * k..(t + 1) * k]) {
                *p += h;
            }
            pn += cnt[t] as usize;
            if pn < self.min_node_size.max(1) || n - pn < self.min_node_size.max(1) {
                continue;
            }
            let v = max_of(prefix) + max_diff(total, prefix);
            if v > best.value {
                *best = stump_from(total, prefix, feature, t, v);
            }
        }
    }

    /// The best depth ≤ 1 tree over `rows` (a leaf unless a split beats it).
    pub(crate) fn best_stump(&self, rows: &[usize]) -> Stump {
        let total = self.totals(rows);
        let leaf = self.leaf(rows);
        let p = self.binned.bins.len();
        let per_feature: Vec<Stump> = (0..p)
            .into_par_iter()
            .map(|j| {
                let nb = self.binned.n_bins(j);
                let mut hist = vec![0.0; nb * self.k];
                let mut cnt = vec![0u32; nb];
                let bins = &self.binned.bins[j];
                for &i in rows {
                    let b = bins[i] as usize;
                    cnt[b] += 1;
                    for (h, r) in hist[b * self.k..(b + 1) * self.k].iter_mut().zip(self.row(i)) {
                        *h += r;
                    }
                }
                let mut best = leaf;
                let mut prefix = vec![0.0; self.k];
                self.scan(&hist, &cnt, &total, rows.len(), j, &mut best, &mut prefix);
                best
            })
            .collect();
        per_feature.into_iter().fold(leaf, |b, s| if s.value > b.value { s } else { b })
    }

    /// The exact best tree of depth ≤ 2 over `rows`.
    pub(crate) fn best_depth2(&self, rows: &[usize]) -> Depth2 {
        let stump = self.best_stump(rows);
        let start = Depth2 { value: stump.value, root: None, left: stump, right: stump };
        let p = self.binned.bins.len();
        let per_feature: Vec<Option<Depth2>> =
            (0..p).into_par_iter().map(|j1| self.best_with_root_feature(rows, j1)).collect();
        per_feature.into_iter().flatten().fold(start, |b, s| if s.value > b.value { s } else { b })
    }

    /// The best depth-2 tree whose root splits on feature `j1`.
    fn best_with_root_feature(&self, rows: &[usize], j1: usize) -> Option<Depth2> {
        let k = self.k;
        let b1 = self.binned.n_bins(j1);
        if b1 < 2 {
            return None;
        }
        let n = rows.len();
        let min = self.min_node_size.max(1);
        let bins1 = &self.binned.bins[j1];
        // root histogram over j1: per-cut child totals and counts
        let mut s1 = vec![0.0; b1 * k];
        let mut n1 = vec![0usize; b1];
        for &i in rows {
            let b = bins1[i] as usize;
            n1[b] += 1;
            for (h, r) in s1[b * k..(b + 1) * k].iter_mut().zip(self.row(i)) {
                *h += r;
            }
        }
        let total = self.totals(rows);
        let cuts = b1 - 1;
        let mut left_tot = vec![0.0; cuts * k];
        let mut left_n = vec![0usize; cuts];
        let mut run = vec![0.0; k];
        let mut run_n = 0;
        for t in 0..cuts {
            for (r, h) in run.iter_mut().zip(&s1[t * k..(t + 1) * k]) {
                *r += h;
            }
            run_n += n1[t];
            left_tot[t * k..(t + 1) * k].copy_from_slice(&run);
            left_n[t] = run_n;
        }
        let valid = |t: usize| left_n[t] >= min && n - left_n[t] >= min;
        // best child stumps per cut, starting from leaves
        let mut best_left: Vec<Stump> = Vec::with_capacity(cuts);
        let mut best_right: Vec<Stump> = Vec::with_capacity(cuts);
        let mut right_tot = vec![0.0; cuts * k];
        for t in 0..cuts {
            let lt = &left_tot[t * k..(t + 1) * k];
            for a in 0..k {
                right_tot[t * k + a] = total[a] - lt[a];
            }
            let (la, lv) = best_arm(lt);
            let (ra, rv) = best_arm(&right_tot[t * k..(t + 1) * k]);
            best_left.push(Stump { value: lv, split: None, arms: [la, la] });
            best_right.push(Stump { value: rv, split: None, arms: [ra, ra] });
        }
        let mut h = Vec::new();
        let mut hn = Vec::new();
        let mut col = Vec::new();
        let mut l = Vec::new();
        let mut ln = Vec::new();
        let mut p_l = vec![0.0; k];
        let mut p_r = vec![0.0; k];
        for j2 in 0..self.binned.bins.len() {
            let b2 = self.binned.n_bins(j2);
            if b2 < 2 {
                continue;
            }
            let bins2 = &self.binned.bins[j2];
            h.clear();
            h.resize(b1 * b2 * k, 0.0);
            hn.clear();
            hn.resize(b1 * b2, 0u32);
            for &i in rows {
                let cell = bins1[i] as usize * b2 + bins2[i] as usize;
                hn[cell] += 1;
                for (x, r) in h[cell * k..(cell + 1) * k].iter_mut().zip(self.row(i)) {
                    *x += r;
                }
            }
            // column totals over b1, as prefix sums over b2 (with counts)
            col.clear();
            col.resize(b2 * k, 0.0);
            let mut col_n = vec![0usize; b2];
            for c in 0..b1 {
                for t2 in 0..b2 {
                    let cell = c * b2 + t2;
                    col_n[t2] += hn[cell] as usize;
                    for a in 0..k {
                        col[t2 * k + a] += h[cell * k + a];
                    }
                }
            }
            for t2 in 1..b2 {
                col_n[t2] += col_n[t2 - 1];
                for a in 0..k {
                    col[t2 * k + a] += col[(t2 - 1) * k + a];
                }
            }
            l.clear();
            l.resize(b2 * k, 0.0);
            ln.clear();
            ln.resize(b2, 0usize);
            for t1 in 0..cuts {
                let row_off = t1 * b2;
                for (x, y) in l.iter_mut().zip(&h[row_off * k..(row_off + b2) * k]) {
                    *x += y;
                }
                for (x, y) in ln.iter_mut().zip(&hn[row_off..row_off + b2]) {
                    *x += *y as usize;
                }
                if !valid(t1) {
                    continue;
                }
                let (nl, nr) = (left_n[t1], n - left_n[t1]);
                let lt = &left_tot[t1 * k..(t1 + 1) * k];
                let rt = &right_tot[t1 * k..(t1 + 1) * k];
                let (mut bl, mut br) = (best_left[t1], best_right[t1]);
                p_l.fill(0.0);
                let mut pn_l = 0usize;
                for t2 in 0..b2 - 1 {
                    // one fused pass: update the left prefix and take the four maxima
                    let (lrow, crow) = (&l[t2 * k..(t2 + 1) * k], &col[t2 * k..(t2 + 1) * k]);
                    let (mut m1, mut m2, mut m3, mut m4) =
                        (f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
                    for a in 0..k {
                        let pl = p_l[a] + lrow[a];
                        p_l[a] = pl;
                        let pr = crow[a] - pl;
                        m1 = if pl > m1 { pl } else { m1 };
                        let d = lt[a] - pl;
                        m2 = if d > m2 { d } else { m2 };
                        m3 = if pr > m3 { pr } else { m3 };
                        let e = rt[a] - pr;
                        m4 = if e > m4 { e } else { m4 };
                    }
                    pn_l += ln[t2];
                    let pn_r = col_n[t2] - pn_l;
                    if pn_l >= min && nl - pn_l >= min && m1 + m2 > bl.value {
                        bl = stump_from(lt, &p_l, j2, t2, m1 + m2);
                    }
                    if pn_r >= min && nr - pn_r >= min && m3 + m4 > br.value {
                        for a in 0..k {
                            p_r[a] = crow[a] - p_l[a];
                        }
                        br = stump_from(rt, &p_r, j2, t2, m3 + m4);
                    }
                }
                best_left[t1] = bl;
                best_right[t1] = br;
            }
        }
        let mut best: Option<Depth2> = None;
        for t1 in 0..cuts {
            if !valid(t1) {
                continue;
            }
            let v = best_left[t1].value + best_right[t1].value;
            if best.is_none_or(|b| v > b.value) {
                best = Some(Depth2 {
                    value: v,
                    root: Some((j1, t1)),
                    left: best_left[t1],
                    right: best_right[t1],
                });
            }
        }
        best
    }

    /// Work units of an exact depth-2 search over `n` rows: `Σ_{j1,j2} (n·K + 3·B1·B2·K)`.
    pub(crate) fn exact_work(&self, n: usize) -> f64 {
        let nb: Vec<f64> = (0..self.binned.bins.len()).map(|j| self.binned.n_bins(j) as f64).collect();
        let sb: f64 = nb.iter().sum();
        let p = nb.len() as f64;
        self.k as f64 * (p * p * n as f64 + 3.0 * sb * sb)
    }
}
