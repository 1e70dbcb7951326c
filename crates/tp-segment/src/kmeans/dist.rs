//! Squared distances of rows to a small set of points (centers or k-means++
//! candidates): the kernel under every K-Means pass.
//!
//! Two paths, chosen by size ([`Points::new`]):
//! - m ≤ 8 points and m · d ≤ 512 (the usual case: k = 8 centers in 16 features): a
//!   hand-written, allocation-free loop. The points are stored in groups of
//!   8 (then 4, the last one padded with zero points), each group transposed
//!   (d × 8: feature t of the group's points side by side). Four rows at a
//!   time accumulate their distances to a group feature by feature in
//!   independent lanes (8 accumulator vectors hide the add latency, each
//!   point vector loaded once serves four rows); the compiler vectorizes
//!   the lanes, and the loop runs inside faer's `pulp` dispatch so it is
//!   compiled for the widest instruction set the CPU has (AVX2 here).
//!   No fused multiply-add is formed (Rust never contracts), so each
//!   distance is Σ_t (x_t − c_t)² summed over t in order, bit-identical to
//!   `rows::sq_dist` on every instruction set. No GEMM packing, no
//!   temporaries.
//! - more points or features: one faer GEMM per tile of rows (‖x‖² − 2 x·c + ‖c‖²,
//!   clamped at 0, scikit-learn's `euclidean_distances` form), where the
//!   product's flop rate outweighs its packing cost.
//!
//! Both write `rows × m` distances row-major into a caller's buffer; the
//! callers cut their fixed blocks into [`TILE`]-row tiles so that buffer
//! stays in cache.

use super::rows::{BLOCK, Rows, Weights};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Rows per distance tile (the callers' scratch is `TILE × m`).
pub(crate) const TILE: usize = 256;

/// The direct loop serves at most this many points ...
pub(crate) const DIRECT_MAX_POINTS: usize = 8;
/// ... and at most this m · d; beyond either, faer GEMM tiles. Measured on
/// 100,000 rows, d ∈ {8, 16, 64, 128}, m ∈ {4, 8, 16}, one thread, AVX2
/// (faer using 512-bit kernels): the direct loop is 5–25 % faster for m ≤ 8
/// up to m · d = 512 and 25–55 % slower at m = 16 or m · d ≥ 1024.
pub(crate) const DIRECT_MAX_WORK: usize = 512;

/// m points in d features, in the layouts both distance paths need.
#[derive(Debug, Clone)]
pub(crate) struct Points {
    /// m × d row-major.
    rows: Vec<f64>,
    /// Groups of 8 points, then of 4, each d × width (small path only);
    /// the last group is padded with zero points.
    panel: Vec<f64>,
    /// ‖c_j‖² (GEMM path only).
    norms: Vec<f64>,
    m: usize,
    d: usize,
    gemm: bool,
}

/// Group widths of the small path: (first point, width), the panel holding
/// each group's d × width block in this order.
fn groups(m: usize) -> impl Iterator<Item = (usize, usize)> {
    let wide = m / 8;
    let narrow = (m - 8 * wide).div_ceil(4);
    (0..wide).map(|g| (8 * g, 8)).chain((0..narrow).map(move |g| (8 * wide + 4 * g, 4)))
}

impl Points {
    /// The m × d row-major points, with the path chosen by m · d.
    pub fn new(rows: &[f64], m: usize, d: usize) -> Self {
        Self::with_path(rows, m, d, m > DIRECT_MAX_POINTS || m * d > DIRECT_MAX_WORK)
    }

    /// The points with an explicit path (`gemm = true`: faer GEMM tiles).
    pub fn with_path(rows: &[f64], m: usize, d: usize, gemm: bool) -> Self {
        debug_assert_eq!(rows.len(), m * d);
        let mut panel = Vec::with_capacity(d * m.div_ceil(4) * 4);
        for (j0, width) in groups(m) {
            for t in 0..d {
                panel.extend((j0..j0 + width).map(|j| if j < m { rows[j * d + t] } else { 0.0 }));
            }
        }
        let norms = if gemm { (0..m).map(|j| dot(&rows[j * d..(j + 1) * d])).collect() } else { Vec::new() };
        Self { rows: rows.to_vec(), panel, norms, m, d, gemm }
    }

    /// Number of points.
    #[inline]
    pub fn len(&self) -> usize {
        self.m
    }

    /// Point j (row-major).
    #[inline]
    pub fn point(&self, j: usize) -> &[f64] {
        &self.rows[j * self.d..(j + 1) * self.d]
    }

    /// Squared distances of the one row `x` to every point, into `out[..m]`
    /// (always the direct loop: exact Σ_t (x_t − c_t)²).
    #[inline]
    pub fn row_dists(&self, x: &[f64], out: &mut [f64]) {
        direct::<1>(&self.panel, self.m, self.d, [x], out);
    }

    /// Squared distances of rows lo..hi of `x` to every point, row-major into
    /// `out[..(hi − lo) · m]`, by the path chosen at construction.
    pub fn tile(&self, x: &Rows, lo: usize, hi: usize, out: &mut [f64]) {
        let (m, rows) = (self.m, hi - lo);
        let out = &mut out[..rows * m];
        if self.gemm {
            let c = MatRef::from_row_major_slice(&self.rows, m, self.d);
            let mut g = MatMut::from_row_major_slice_mut(out, rows, m);
            matmul(g.as_mut(), Accum::Replace, x.block(lo, hi), c.transpose(), -2.0, Par::Seq);
            for (o, r) in out.chunks_exact_mut(m).enumerate() {
                let xn = dot(x.row(lo + o));
                for (v, cn) in r.iter_mut().zip(&self.norms) {
                    *v = (*v + xn + cn).max(0.0);
                }
            }
        } else {
            faer::traits::pulp::Arch::new().dispatch(DirectTile { pts: self, x, lo, out });
        }
    }

    /// [`Points::tile`] (skipped when there are no points) and, row by row
    /// in step with it, each row's [`sq_dist_lanes`] to `extra` into
    /// `near[..hi − lo]` (k-means++: the candidates and the newest center).
    /// Interleaved, the first touch of a row (a cache miss) overlaps the
    /// distance work of the rows before it, where two loops would stall then
    /// compute in turn.
    pub fn tile_near(
        &self,
        x: &Rows,
        lo: usize,
        hi: usize,
        out: &mut [f64],
        extra: &[f64],
        near: &mut [f64],
    ) {
        let near = &mut near[..hi - lo];
        if self.gemm {
            for (o, v) in near.iter_mut().enumerate() {
                *v = sq_dist_lanes(x.row(lo + o), extra);
            }
            self.tile(x, lo, hi, out);
        } else {
            faer::traits::pulp::Arch::new().dispatch(DirectTileNear { pts: self, x, lo, out, extra, near });
        }
    }

    /// Index and squared distance of the nearest point (first on ties).
    #[inline]
    pub fn nearest(&self, x: &[f64], buf: &mut [f64]) -> (usize, f64) {
        self.row_dists(x, buf);
        let (a, d1, _) = best_two(&buf[..self.m]);
        (a, d1)
    }

    /// Nearest index, nearest and second-nearest squared distances.
    #[inline]
    pub fn nearest_two(&self, x: &[f64], buf: &mut [f64]) -> (usize, f64, f64) {
        self.row_dists(x, buf);
        best_two(&buf[..self.m])
    }
}

/// The small path over a tile, as one `pulp` operation (compiled per instruction set).
struct DirectTile<'a, 'r> {
    pts: &'a Points,
    x: &'a Rows<'r>,
    lo: usize,
    out: &'a mut [f64],
}

impl faer::traits::pulp::WithSimd for DirectTile<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: faer::traits::pulp::Simd>(self, _simd: S) {
        let Self { pts, x, lo, out } = self;
        let (m, d) = (pts.m, pts.d);
        let mut quads = out.chunks_exact_mut(4 * m);
        let mut i = lo;
        for o in quads.by_ref() {
            direct::<4>(&pts.panel, m, d, [x.row(i), x.row(i + 1), x.row(i + 2), x.row(i + 3)], o);
            i += 4;
        }
        for o in quads.into_remainder().chunks_exact_mut(m) {
            direct::<1>(&pts.panel, m, d, [x.row(i)], o);
            i += 1;
        }
    }
}

/// [`DirectTile`] with each row's distance to one extra point beside.
struct DirectTileNear<'a, 'r> {
    pts: &'a Points,
    x: &'a Rows<'r>,
    lo: usize,
    out: &'a mut [f64],
    extra: &'a [f64],
    near: &'a mut [f64],
}

impl faer::traits::pulp::WithSimd for DirectTileNear<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: faer::traits::pulp::Simd>(self, _simd: S) {
        let Self { pts, x, lo, out, extra, near } = self;
        let (m, d, rows) = (pts.m, pts.d, near.len());
        let mut o = 0;
        while o + 4 <= rows {
            let i = lo + o;
            let xs = [x.row(i), x.row(i + 1), x.row(i + 2), x.row(i + 3)];
            for (v, xr) in near[o..o + 4].iter_mut().zip(xs) {
                *v = sq_dist_lanes(xr, extra);
            }
            if m > 0 {
                direct::<4>(&pts.panel, m, d, xs, &mut out[o * m..(o + 4) * m]);
            }
            o += 4;
        }
        for o in o..rows {
            let xr = x.row(lo + o);
            near[o] = sq_dist_lanes(xr, extra);
            if m > 0 {
                direct::<1>(&pts.panel, m, d, [xr], &mut out[o * m..(o + 1) * m]);
            }
        }
    }
}

/// Distances of R rows to all m points, row-major into `out[..R · m]`.
#[inline(always)]
fn direct<const R: usize>(panel: &[f64], m: usize, d: usize, xs: [&[f64]; R], out: &mut [f64]) {
    let xs = xs.map(|x| &x[..d]);
    let mut at = 0;
    for (j0, width) in groups(m) {
        let block = &panel[at..at + d * width];
        at += d * width;
        let take = (m - j0).min(width);
        if width == 8 {
            let acc = lanes::<8, R>(block, &xs);
            for (r, a) in acc.iter().enumerate() {
                out[r * m + j0..r * m + j0 + take].copy_from_slice(&a[..take]);
            }
        } else {
            let acc = lanes::<4, R>(block, &xs);
            for (r, a) in acc.iter().enumerate() {
                out[r * m + j0..r * m + j0 + take].copy_from_slice(&a[..take]);
            }
        }
    }
}

/// Distances of R rows to the W points of one d × W group.
#[inline(always)]
fn lanes<const W: usize, const R: usize>(block: &[f64], xs: &[&[f64]; R]) -> [[f64; W]; R] {
    let mut acc = [[0.0; W]; R];
    for (t, c) in block.chunks_exact(W).enumerate() {
        let c: &[f64; W] = c.try_into().expect("W lanes");
        for r in 0..R {
            let xt = xs[r][t];
            for l in 0..W {
                let u = xt - c[l];
                acc[r][l] += u * u;
            }
        }
    }
    acc
}

/// Σ_i w_i ‖x_i − c_{label_i}‖² over rows lo..lo + labels.len() (`labels[o]` for row lo + o),
/// four rows at a time (independent sums: the add latency is hidden), each
/// distance summed over features in order, as `rows::sq_dist`.
pub(crate) fn labelled_inertia(x: &Rows, w: Weights<'_>, pts: &Points, lo: usize, labels: &[usize]) -> f64 {
    let d = pts.d;
    let mut total = 0.0;
    let mut quads = labels.chunks_exact(4);
    let mut i = lo;
    for l in quads.by_ref() {
        let xs = [x.row(i), x.row(i + 1), x.row(i + 2), x.row(i + 3)].map(|r| &r[..d]);
        let cs = [pts.point(l[0]), pts.point(l[1]), pts.point(l[2]), pts.point(l[3])].map(|r| &r[..d]);
        let mut acc = [0.0; 4];
        for t in 0..d {
            for r in 0..4 {
                let u = xs[r][t] - cs[r][t];
                acc[r] += u * u;
            }
        }
        for (r, a) in acc.iter().enumerate() {
            total += w[i + r] * a;
        }
        i += 4;
    }
    for &l in quads.remainder() {
        total += w[i] * super::rows::sq_dist(x.row(i), pts.point(l));
        i += 1;
    }
    total
}

/// ‖a − b‖² with four partial sums (feature t goes to sum t mod 4, combined
/// as (s0 + s1) + (s2 + s3)): vectorizes across features, so it is the
/// fast form for one point; the same value on every instruction set (the
/// order is fixed in the code), not bit-equal to `rows::sq_dist`.
#[inline(always)]
pub(crate) fn sq_dist_lanes(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for l in 0..4 {
            let u = x[l] - y[l];
            acc[l] += u * u;
        }
    }
    for (l, (x, y)) in ar.iter().zip(br).enumerate() {
        let u = x - y;
        acc[l] += u * u;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

#[inline]
fn dot(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum()
}

/// Index and value of the smallest and the second-smallest entry (first index on ties).
#[inline]
pub(crate) fn best_two(s: &[f64]) -> (usize, f64, f64) {
    let (mut a, mut s1, mut s2) = (0, f64::INFINITY, f64::INFINITY);
    for (j, &v) in s.iter().enumerate() {
        if v < s1 {
            s2 = s1;
            s1 = v;
            a = j;
        } else if v < s2 {
            s2 = v;
        }
    }
    (a, s1, s2)
}

/// Visit rows lo..hi tile by tile: `f(row, distances to every point)`.
pub(crate) fn for_each_row_dists(
    x: &Rows,
    pts: &Points,
    lo: usize,
    hi: usize,
    buf: &mut [f64],
    mut f: impl FnMut(usize, &[f64]),
) {
    let m = pts.len();
    let mut a = lo;
    while a < hi {
        let b = (a + TILE).min(hi);
        pts.tile(x, a, b, buf);
        for (o, r) in buf[..(b - a) * m].chunks_exact(m).enumerate() {
            f(a + o, r);
        }
        a = b;
    }
}

/// Labels of every row by nearest center (parallel over fixed blocks).
pub(crate) fn assign_all(x: &Rows, centers: &[f64], parallel: bool) -> Vec<usize> {
    let k = centers.len() / x.d;
    let pts = Points::new(centers, k, x.d);
    let mut labels = vec![0; x.n];
    let work = |(b, chunk): (usize, &mut [usize])| {
        let lo = b * BLOCK;
        let mut buf = vec![0.0; TILE * k];
        for_each_row_dists(x, &pts, lo, lo + chunk.len(), &mut buf, |i, r| chunk[i - lo] = best_two(r).0);
    };
    if parallel && x.n > BLOCK {
        labels.par_chunks_mut(BLOCK).enumerate().for_each(work);
    } else {
        labels.chunks_mut(BLOCK).enumerate().for_each(work);
    }
    labels
}

/// Σ w_i ‖x_i − c_{label_i}‖², summed per block then in block order.
pub(crate) fn inertia(x: &Rows, w: Weights<'_>, centers: &[f64], labels: &[usize], parallel: bool) -> f64 {
    let pts = Points::new(centers, centers.len() / x.d, x.d);
    let part = |b: usize| {
        let (lo, hi) = (b * BLOCK, ((b + 1) * BLOCK).min(x.n));
        labelled_inertia(x, w, &pts, lo, &labels[lo..hi])
    };
    let nb = x.n.div_ceil(BLOCK);
    let parts: Vec<f64> = if parallel && nb > 1 {
        (0..nb).into_par_iter().map(part).collect()
    } else {
        (0..nb).map(part).collect()
    };
    parts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::rows::sq_dist;
    use faer::Mat;

    fn data(n: usize, d: usize, seed: u64) -> Vec<f64> {
        // deterministic, varied magnitudes
        (0..n * d).map(|i| ((i as u64 * 2654435761 + seed) % 1000) as f64 / 37.0 - 13.0).collect()
    }

    #[test]
    fn direct_loop_equals_sq_dist_bit_for_bit_for_every_width() {
        for (m, d) in [(1, 1), (3, 5), (4, 16), (5, 7), (8, 16), (9, 3), (13, 2), (17, 11)] {
            let c = data(m, d, 3);
            let x = data(40, d, 5);
            let rows = Rows::from_mat(MatRef::from_row_major_slice(&x, 40, d));
            let p = Points::with_path(&c, m, d, false);
            let mut out = vec![0.0; 40 * m];
            p.tile(&rows, 0, 40, &mut out);
            for i in 0..40 {
                for j in 0..m {
                    let want = sq_dist(&x[i * d..(i + 1) * d], &c[j * d..(j + 1) * d]);
                    assert_eq!(out[i * m + j].to_bits(), want.to_bits(), "m {m} d {d} row {i} point {j}");
                }
            }
        }
    }

    #[test]
    fn tile_near_is_tile_and_four_lane_distance_bit_for_bit() {
        let (n, d) = (263, 16);
        let x = data(n, d, 7);
        let rows = Rows::from_mat(MatRef::from_row_major_slice(&x, n, d));
        let extra = data(1, d, 9);
        for (m, gemm) in [(0, false), (3, false), (4, false), (8, false), (5, true)] {
            let p = Points::with_path(&data(m, d, 3), m, d, gemm);
            for (lo, hi) in [(0, n), (5, 6), (10, 17)] {
                let (mut a, mut b) = (vec![0.0; n * m], vec![0.0; n * m]);
                let mut near = vec![0.0; n];
                p.tile_near(&rows, lo, hi, &mut a, &extra, &mut near);
                if m > 0 {
                    p.tile(&rows, lo, hi, &mut b);
                }
                let rows_m = (hi - lo) * m;
                assert!(
                    a[..rows_m].iter().zip(&b[..rows_m]).all(|(u, v)| u.to_bits() == v.to_bits()),
                    "m {m}"
                );
                for (o, v) in near[..hi - lo].iter().enumerate() {
                    let want = sq_dist_lanes(rows.row(lo + o), &extra);
                    assert_eq!(v.to_bits(), want.to_bits(), "m {m} rows {lo}..{hi} row {o}");
                }
            }
        }
    }

    #[test]
    fn gemm_and_direct_paths_agree() {
        // the expanded form loses digits to cancellation on the scale of ‖x‖² + ‖c‖²: compare there
        for (m, d, n) in [(8, 16, 700), (3, 2, 50), (40, 30, 300)] {
            let c = data(m, d, 11);
            let x = Mat::from_fn(n, d, |i, t| ((i * 31 + t * 7) % 53) as f64 / 5.0 - 4.0);
            let rows = Rows::from_mat(x.as_ref());
            let (direct, gemm) = (Points::with_path(&c, m, d, false), Points::with_path(&c, m, d, true));
            let (mut a, mut b) = (vec![0.0; n * m], vec![0.0; n * m]);
            for lo in (0..n).step_by(TILE) {
                let hi = (lo + TILE).min(n);
                direct.tile(&rows, lo, hi, &mut a[lo * m..]);
                gemm.tile(&rows, lo, hi, &mut b[lo * m..]);
            }
            for i in 0..n {
                let xn = dot(rows.row(i));
                for j in 0..m {
                    let scale = xn + dot(direct.point(j));
                    let (u, v) = (a[i * m + j], b[i * m + j]);
                    assert!((u - v).abs() <= 1e-12 * scale, "m {m} d {d} row {i} point {j}: {u} vs {v}");
                }
            }
        }
    }

    #[test]
    fn four_lane_distance_is_the_squared_distance() {
        for d in [1, 3, 4, 7, 16, 33] {
            let (a, b) = (data(1, d, 1), data(1, d, 2));
            let (u, v) = (sq_dist_lanes(&a, &b), sq_dist(&a, &b));
            assert!((u - v).abs() <= 1e-14 * v, "d {d}: {u} vs {v}");
            // the partial sums in their fixed order, by hand
            let mut acc = [0.0; 4];
            for t in 0..d {
                acc[t % 4] += (a[t] - b[t]) * (a[t] - b[t]);
            }
            assert_eq!(u.to_bits(), ((acc[0] + acc[1]) + (acc[2] + acc[3])).to_bits(), "d {d}");
        }
    }

    #[test]
    fn best_two_takes_the_first_of_ties() {
        assert_eq!(best_two(&[3.0, 1.0, 1.0, 2.0]), (1, 1.0, 1.0));
        assert_eq!(best_two(&[5.0]), (0, 5.0, f64::INFINITY));
    }
}
