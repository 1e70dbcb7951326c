//! Fused row-block passes over X: the NMF hot loop.
//!
//! Every update of W is row-local given H: the rows of a block of X need only
//! X_b·Hᵀ and the k × k Gram HHᵀ. So one pass over X does the whole W step
//! *and* gathers what the H step needs, while the block is still in cache:
//! for each block of [`SUB`] rows, G_b = H·X_bᵀ (a faer GEMM), update the
//! block's W rows, then accumulate P += W_bᵀ·X_b (another GEMM) and
//! Q += W_bᵀW_b. X is read once per iteration instead of twice, and the
//! long-inner-dimension product WᵀX (slow as one GEMM: n ≫ k, m) becomes
//! many cache-sized ones. Row blocks are grouped into parallel chunks of
//! [`CHUNK`] rows whose partial sums merge in chunk order, so results do not
//! depend on the thread count; faer runs `Par::Seq` inside.
//!
//! Dense X is read as contiguous rows (a row-major view is used in place,
//! other layouts are copied once); sparse X is [`Csr`], whose products are
//! k-vector axpys per stored entry.

use super::solve::{self, EPSILON};
use crate::csr::Csr;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Rows per cache-resident block.
pub(crate) const SUB: usize = 128;
/// Rows per parallel task (partial sums merge in task order).
pub(crate) const CHUNK: usize = 1024;

/// Row i of a dense source (whose rows are contiguous) as a slice.
#[inline]
pub(crate) fn dense_row<'a>(x: &MatRef<'a, f64>, i: usize) -> &'a [f64] {
    x.row(i).try_as_row_major().expect("dense sources have contiguous rows").as_slice()
}

/// The data matrix of an NMF fit.
pub(crate) enum Source<'a> {
    /// Dense rows (a view with unit column stride).
    Dense(MatRef<'a, f64>),
    /// Sparse rows.
    Sparse(&'a Csr),
}

impl Source<'_> {
    pub fn nrows(&self) -> usize {
        match self {
            Source::Dense(x) => x.nrows(),
            Source::Sparse(c) => c.nrows(),
        }
    }
    pub fn ncols(&self) -> usize {
        match self {
            Source::Dense(x) => x.ncols(),
            Source::Sparse(c) => c.ncols(),
        }
    }

    /// out (k × b, column o = row lo + o) = A · X_bᵀ for A k × m.
    pub fn mul(&self, lo: usize, hi: usize, a: MatRef<'_, f64>, mut out: MatMut<'_, f64>) {
        match self {
            Source::Dense(x) => {
                matmul(out, Accum::Replace, a, x.subrows(lo, hi - lo).transpose(), 1.0, Par::Seq)
            }
            Source::Sparse(c) => {
                let k = a.nrows();
                for i in lo..hi {
                    let mut o = out.as_mut().col_mut(i - lo);
                    o.fill(0.0);
                    let (idx, val) = c.row_slices(i);
                    for (&j, &v) in idx.iter().zip(val) {
                        let aj = a.col(j);
                        for t in 0..k {
                            o[t] += v * aj[t];
                        }
                    }
                }
            }
        }
    }

    /// p (k × m) += B · X_b for B k × b (column o = row lo + o).
    pub fn tmul_add(&self, lo: usize, hi: usize, b: MatRef<'_, f64>, mut p: MatMut<'_, f64>) {
        match self {
            Source::Dense(x) => matmul(p, Accum::Add, b, x.subrows(lo, hi - lo), 1.0, Par::Seq),
            Source::Sparse(c) => {
                let k = b.nrows();
                for i in lo..hi {
                    let bi = b.col(i - lo);
                    let (idx, val) = c.row_slices(i);
                    for (&j, &v) in idx.iter().zip(val) {
                        let mut pj = p.as_mut().col_mut(j);
                        for t in 0..k {
                            pj[t] += v * bi[t];
                        }
                    }
                }
            }
        }
    }

    /// ‖X‖²_F and ΣX.
    pub fn sq_norm_and_sum(&self) -> (f64, f64) {
        match self {
            Source::Dense(x) => {
                let parts: Vec<(f64, f64)> = (0..x.nrows().div_ceil(CHUNK))
                    .into_par_iter()
                    .map(|c| {
                        let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(x.nrows()));
                        let (mut q, mut s) = (0.0, 0.0);
                        for i in lo..hi {
                            for v in dense_row(x, i) {
                                q += v * v;
                                s += v;
                            }
                        }
                        (q, s)
                    })
                    .collect();
                parts.iter().fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
            }
            Source::Sparse(c) => c.values().iter().fold((0.0, 0.0), |a, v| (a.0 + v * v, a.1 + v)),
        }
    }

    /// Run `work(lo, hi)` on every chunk, in parallel or not, results in chunk order.
    pub fn chunks<T: Send>(&self, parallel: bool, work: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
        let n = self.nrows();
        let run = |c: usize| work(c * CHUNK, ((c + 1) * CHUNK).min(n));
        if parallel && n > CHUNK {
            (0..n.div_ceil(CHUNK)).into_par_iter().map(run).collect()
        } else {
            (0..n.div_ceil(CHUNK)).map(run).collect()
        }
    }
}

/// How a pass updates W's rows (all penalties raw, see the module docs of `nmf`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum WStep {
    /// No update (products only).
    Keep,
    /// HALS / coordinate descent sweeps.
    Cd { l1: f64, l2: f64, sweeps: usize },
    /// Frobenius multiplicative update.
    Mu { l1: f64, l2: f64 },
}

/// What a Frobenius pass returns (summed over rows).
pub(crate) struct FrobSums {
    /// P = WᵀX (k × m) with the updated W, when asked for.
    pub p: Option<Mat<f64>>,
    /// Q = WᵀW (k × k) with the updated W.
    pub q: Mat<f64>,
    /// ⟨W, XHᵀ⟩ with the updated W (gives ‖X − WH‖ when H is fixed).
    pub cross: f64,
}

/// One Frobenius pass: for each row block, G = H X_bᵀ, W_b ← step(W_b; HHᵀ, G),
/// then the sums of [`FrobSums`]. `wt` is Wᵀ (k × n column-major), `h` is H (k × m).
pub(crate) fn frobenius_pass(
    src: &Source<'_>,
    wt: &mut [f64],
    h: &[f64],
    k: usize,
    step: WStep,
    want_p: bool,
    parallel: bool,
) -> FrobSums {
    let m = src.ncols();
    let hv = solve::view(h, k, m);
    let a = solve::gram(h, k, m, Par::Seq);
    let a_cols: Vec<f64> = (0..k * k).map(|i| a[(i % k, i / k)]).collect();
    let wt_chunks: Vec<&mut [f64]> = wt.chunks_mut(k * CHUNK).collect();
    let cells: Vec<std::sync::Mutex<&mut [f64]>> = wt_chunks.into_iter().map(std::sync::Mutex::new).collect();
    let parts = src.chunks(parallel, |lo, hi| {
        let mut wc = cells[lo / CHUNK].lock().expect("one task per chunk");
        let mut p = if want_p { Some(Mat::<f64>::zeros(k, m)) } else { None };
        let mut q = Mat::<f64>::zeros(k, k);
        let mut cross = 0.0;
        let mut g = Mat::<f64>::zeros(k, SUB);
        let mut s = lo;
        while s < hi {
            let e = (s + SUB).min(hi);
            let b = e - s;
            let wb = &mut wc[(s - lo) * k..(e - lo) * k];
            src.mul(s, e, hv, g.as_mut().subcols_mut(0, b));
            let gb = g.as_ref().subcols(0, b);
            match step {
                WStep::Keep => {}
                WStep::Cd { l1, l2, sweeps } => solve::cd_block(wb, &a_cols, gb, k, l1, l2, sweeps),
                WStep::Mu { l1, l2 } => solve::mu_frobenius_block(wb, &a_cols, gb, k, l1, l2),
            }
            for (o, col) in wb.chunks_exact(k).enumerate() {
                let gc = gb.col(o);
                for t in 0..k {
                    cross += col[t] * gc[t];
                }
            }
            let wv = solve::view(wb, k, b);
            matmul(q.as_mut(), Accum::Add, wv, wv.transpose(), 1.0, Par::Seq);
            if let Some(p) = p.as_mut() {
                src.tmul_add(s, e, wv, p.as_mut());
            }
            s = e;
        }
        (p, q, cross)
    });
    let mut out =
        FrobSums { p: if want_p { Some(Mat::zeros(k, m)) } else { None }, q: Mat::zeros(k, k), cross: 0.0 };
    for (p, q, c) in parts {
        if let (Some(acc), Some(p)) = (out.p.as_mut(), p) {
            *acc += p;
        }
        out.q += q;
        out.cross += c;
    }
    out
}

/// What a Kullback–Leibler pass returns.
pub(crate) struct KlSums {
    /// P = Wᵀ(X / WH) (k × m) with the updated W, when asked for.
    pub p: Option<Mat<f64>>,
    /// Column sums of the updated W (Σ_i W_it).
    pub w_sums: Vec<f64>,
    /// Σ_{x > ε} x ln(x / max(WH, ε)) − x at the W the pass started from.
    pub loss_terms: f64,
}

/// One KL pass. With `update = Some((l1, l2))`, each row block does the
/// multiplicative W update W ← W ∘ (R Hᵀ) / (ΣH + l1 + l2 W), R = X / WH
/// (subnormals flushed). With `want_p`, also P += W_bᵀ R_b at the updated W;
/// with `want_loss`, the loss terms at the W the pass started from.
#[allow(clippy::too_many_arguments)]
pub(crate) fn kl_pass(
    src: &Source<'_>,
    wt: &mut [f64],
    h: &[f64],
    k: usize,
    update: Option<(f64, f64)>,
    want_p: bool,
    want_loss: bool,
    parallel: bool,
) -> KlSums {
    let m = src.ncols();
    let hv = solve::view(h, k, m);
    let h_sums = super::row_sums(h, k);
    let cells: Vec<std::sync::Mutex<&mut [f64]>> =
        wt.chunks_mut(k * CHUNK).map(std::sync::Mutex::new).collect();
    let parts = src.chunks(parallel, |lo, hi| {
        let mut wc = cells[lo / CHUNK].lock().expect("one task per chunk");
        let mut p = if want_p { Some(Mat::<f64>::zeros(k, m)) } else { None };
        let mut w_sums = vec![0.0; k];
        let mut loss = 0.0;
        let mut r = vec![0.0; SUB * m];
        let mut num = Mat::<f64>::zeros(k, SUB);
        let mut s = lo;
        while s < hi {
            let e = (s + SUB).min(hi);
            let b = e - s;
            let wb = &mut wc[(s - lo) * k..(e - lo) * k];
            // R = X / WH at the current W (and the loss terms there)
            loss += ratio(src, s, e, wb, hv, k, &mut r, want_loss);
            if let Some((l1, l2)) = update {
                kl_mul_ratio(src, s, e, &r, hv, num.as_mut().subcols_mut(0, b));
                solve::mu_kl_block(wb, num.as_ref().subcols(0, b), &h_sums, k, l1, l2, false);
                if want_p {
                    ratio(src, s, e, wb, hv, k, &mut r, false);
                }
            }
            if let Some(p) = p.as_mut() {
                kl_tmul_add(src, s, e, &r, solve::view(wb, k, b), p.as_mut());
            }
            for col in wb.chunks_exact(k) {
                w_sums.iter_mut().zip(col).for_each(|(a, v)| *a += v);
            }
            s = e;
        }
        (p, w_sums, loss)
    });
    let mut out = KlSums {
        p: if want_p { Some(Mat::zeros(k, m)) } else { None },
        w_sums: vec![0.0; k],
        loss_terms: 0.0,
    };
    for (p, ws, l) in parts {
        if let (Some(acc), Some(p)) = (out.p.as_mut(), p) {
            *acc += p;
        }
        out.w_sums.iter_mut().zip(&ws).for_each(|(a, v)| *a += v);
        out.loss_terms += l;
    }
    out
}

/// Fill `r` with X_b / max(W_b H, ε) (0 where x = 0): dense b × m row-major;
/// sparse: one value per stored entry, in storage order. Returns the loss
/// terms Σ_{x > ε} x ln(x / max(WH, ε)) − x when `loss`.
#[allow(clippy::too_many_arguments)]
fn ratio(
    src: &Source<'_>,
    lo: usize,
    hi: usize,
    wb: &[f64],
    h: MatRef<'_, f64>,
    k: usize,
    r: &mut [f64],
    loss: bool,
) -> f64 {
    let b = hi - lo;
    let mut acc = 0.0;
    match src {
        Source::Dense(x) => {
            let m = x.ncols();
            let mut wh = MatMut::from_row_major_slice_mut(&mut r[..b * m], b, m);
            matmul(wh.as_mut(), Accum::Replace, solve::view(wb, k, b).transpose(), h, 1.0, Par::Seq);
            for o in 0..b {
                let xr = dense_row(x, lo + o);
                let rr = &mut r[o * m..(o + 1) * m];
                for (v, &xv) in rr.iter_mut().zip(xr) {
                    let q = xv / v.max(EPSILON);
                    if loss && xv > EPSILON {
                        acc += xv * ln(q) - xv;
                    }
                    *v = if xv == 0.0 { 0.0 } else { q };
                }
            }
        }
        Source::Sparse(c) => {
            let mut at = 0;
            for o in 0..b {
                let wi = &wb[o * k..(o + 1) * k];
                let (idx, val) = c.row_slices(lo + o);
                for (&j, &xv) in idx.iter().zip(val) {
                    let hj = h.col(j);
                    let mut whv = 0.0;
                    for t in 0..k {
                        whv += wi[t] * hj[t];
                    }
                    let q = xv / whv.max(EPSILON);
                    if loss && xv > EPSILON {
                        acc += xv * ln(q) - xv;
                    }
                    r[at] = if xv == 0.0 { 0.0 } else { q };
                    at += 1;
                }
            }
        }
    }
    acc
}

/// out (k × b) = H · R_bᵀ.
fn kl_mul_ratio(
    src: &Source<'_>,
    lo: usize,
    hi: usize,
    r: &[f64],
    h: MatRef<'_, f64>,
    mut out: MatMut<'_, f64>,
) {
    let b = hi - lo;
    match src {
        Source::Dense(x) => {
            let m = x.ncols();
            let rv = MatRef::from_row_major_slice(&r[..b * m], b, m);
            matmul(out, Accum::Replace, h, rv.transpose(), 1.0, Par::Seq);
        }
        Source::Sparse(c) => {
            let k = h.nrows();
            let mut at = 0;
            for o in 0..b {
                let mut oc = out.as_mut().col_mut(o);
                oc.fill(0.0);
                let (idx, _) = c.row_slices(lo + o);
                for &j in idx {
                    let hj = h.col(j);
                    for t in 0..k {
                        oc[t] += r[at] * hj[t];
                    }
                    at += 1;
                }
            }
        }
    }
}

/// p (k × m) += W_b · R_b (W_b k × b).
fn kl_tmul_add(
    src: &Source<'_>,
    lo: usize,
    hi: usize,
    r: &[f64],
    wb: MatRef<'_, f64>,
    mut p: MatMut<'_, f64>,
) {
    let b = hi - lo;
    match src {
        Source::Dense(x) => {
            let m = x.ncols();
            let rv = MatRef::from_row_major_slice(&r[..b * m], b, m);
            matmul(p, Accum::Add, wb, rv, 1.0, Par::Seq);
        }
        Source::Sparse(c) => {
            let k = wb.nrows();
            let mut at = 0;
            for o in 0..b {
                let wi = wb.col(o);
                let (idx, _) = c.row_slices(lo + o);
                for &j in idx {
                    let mut pj = p.as_mut().col_mut(j);
                    for t in 0..k {
                        pj[t] += r[at] * wi[t];
                    }
                    at += 1;
                }
            }
        }
    }
}

/// Z (m × l) = Xᵀ(X V) for V m × l, in one pass (the randomized SVD's power step).
pub(crate) fn gram_times(src: &Source<'_>, v: MatRef<'_, f64>, parallel: bool) -> Mat<f64> {
    let (m, l) = (v.nrows(), v.ncols());
    let vt = v.transpose().to_owned();
    let parts = src.chunks(parallel, |lo, hi| {
        let mut z = Mat::<f64>::zeros(l, m);
        let mut y = Mat::<f64>::zeros(l, SUB);
        let mut s = lo;
        while s < hi {
            let e = (s + SUB).min(hi);
            src.mul(s, e, vt.as_ref(), y.as_mut().subcols_mut(0, e - s));
            src.tmul_add(s, e, y.as_ref().subcols(0, e - s), z.as_mut());
            s = e;
        }
        z
    });
    let mut z = Mat::<f64>::zeros(l, m);
    for p in parts {
        z += p;
    }
    z.transpose().to_owned()
}

/// U (n × l) = X V for V m × l.
pub(crate) fn times(src: &Source<'_>, v: MatRef<'_, f64>, parallel: bool) -> Mat<f64> {
    let (n, l) = (src.nrows(), v.ncols());
    let vt = v.transpose().to_owned();
    let parts = src.chunks(parallel, |lo, hi| {
        let mut y = Mat::<f64>::zeros(l, hi - lo);
        src.mul(lo, hi, vt.as_ref(), y.as_mut());
        y
    });
    let mut u = Mat::<f64>::zeros(n, l);
    for (c, y) in parts.into_iter().enumerate() {
        let lo = c * CHUNK;
        u.as_mut().subrows_mut(lo, y.ncols()).copy_from(y.transpose());
    }
    u
}

/// ‖X − WH‖²_F. Dense: blockwise residuals. Sparse: Σ over stored entries of
/// (x − wh)² − wh², plus ‖WH‖²_F = ⟨WᵀW, HHᵀ⟩.
pub(crate) fn residual_sq(src: &Source<'_>, wt: &[f64], h: &[f64], k: usize, parallel: bool) -> f64 {
    let m = src.ncols();
    let hv = solve::view(h, k, m);
    let parts = src.chunks(parallel, |lo, hi| {
        let mut acc = 0.0;
        let mut q = Mat::<f64>::zeros(k, k);
        match src {
            Source::Dense(x) => {
                let mut wh = vec![0.0; SUB * m];
                let mut s = lo;
                while s < hi {
                    let e = (s + SUB).min(hi);
                    let b = e - s;
                    let mut whv = MatMut::from_row_major_slice_mut(&mut wh[..b * m], b, m);
                    let wb = solve::view(&wt[s * k..e * k], k, b);
                    matmul(whv.as_mut(), Accum::Replace, wb.transpose(), hv, 1.0, Par::Seq);
                    for o in 0..b {
                        let xr = dense_row(x, s + o);
                        for (j, v) in wh[o * m..(o + 1) * m].iter().enumerate() {
                            let d = xr[j] - v;
                            acc += d * d;
                        }
                    }
                    s = e;
                }
            }
            Source::Sparse(c) => {
                for i in lo..hi {
                    let wi = &wt[i * k..(i + 1) * k];
                    for (j, xv) in c.row(i) {
                        let hj = hv.col(j);
                        let mut v = 0.0;
                        for t in 0..k {
                            v += wi[t] * hj[t];
                        }
                        acc += (xv - v) * (xv - v) - v * v;
                    }
                }
                let wv = solve::view(&wt[lo * k..hi * k], k, hi - lo);
                matmul(q.as_mut(), Accum::Replace, wv, wv.transpose(), 1.0, Par::Seq);
            }
        }
        (acc, q)
    });
    let mut total = 0.0;
    let mut q = Mat::<f64>::zeros(k, k);
    for (a, qc) in parts {
        total += a;
        q += qc;
    }
    if let Source::Sparse(_) = src {
        let hh = solve::gram(h, k, m, Par::Seq);
        for t in 0..k {
            for r in 0..k {
                total += q[(t, r)] * hh[(t, r)];
            }
        }
    }
    total.max(0.0)
}

/// Column sums of X.
pub(crate) fn col_sums(src: &Source<'_>, parallel: bool) -> Vec<f64> {
    let m = src.ncols();
    let parts = src.chunks(parallel, |lo, hi| {
        let mut s = vec![0.0; m];
        match src {
            Source::Dense(x) => {
                for i in lo..hi {
                    s.iter_mut().zip(dense_row(x, i)).for_each(|(a, v)| *a += v);
                }
            }
            Source::Sparse(c) => {
                for i in lo..hi {
                    for (j, v) in c.row(i) {
                        s[j] += v;
                    }
                }
            }
        }
        s
    });
    let mut out = vec![0.0; m];
    for p in parts {
        out.iter_mut().zip(&p).for_each(|(a, v)| *a += v);
    }
    out
}

/// Natural logarithm in plain scalar code: x = 2^e·m with m in [√½, √2),
/// ln m = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to
/// s²¹ (truncation below 3e-17 relative). Within 2 ulp of `f64::ln` on
/// normal numbers (tested). It exists because the loss pass calls it
/// millions of times and the system `ln` (a VEX-encoded libm routine) costs
/// an SSE/AVX transition stall per call from this crate's baseline code.
#[inline]
pub(crate) fn ln(x: f64) -> f64 {
    if !(x >= f64::MIN_POSITIVE && x.is_finite()) {
        return x.ln();
    }
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // fdlibm ln2_hi (low bits zero)
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // ln 2 − ln2_hi
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let f = m - 1.0;
    let s = f / (m + 1.0);
    let z = s * s;
    let mut p = 1.0 / 21.0;
    for c in [19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0] {
        p = p * z + 1.0 / c;
    }
    // ln m = f − s·(f − z·p·2... ) written as 2s + 2s·z·p, with 2s = f − s·f for accuracy
    let two_s = f - s * f;
    let e = e as f64;
    e * LN2_HI + (two_s + two_s * z * p + e * LN2_LO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_the_system_log() {
        let mut x = 1e-300;
        while x < 1e300 {
            for f in [1.0, 1.000_000_1, 1.1, 1.41, 1.42, 1.9, 0.999_999] {
                let v = x * f;
                let (a, b) = (ln(v), v.ln());
                assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300), "ln({v}) = {a} vs {b}");
            }
            x *= 3.7;
        }
        for v in [1.0, 2.0, 0.5, 1.0 + 1e-12, 1.0 - 1e-12] {
            assert!(
                (ln(v) - v.ln()).abs() <= 4.0 * f64::EPSILON * v.ln().abs().max(f64::MIN_POSITIVE),
                "{v}"
            );
        }
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
    }
}
