//! Micro-timing of the GEMM layouts the NMF loop can use (development aid).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use std::time::Instant;

/// Print seconds per product for each layout variant.
pub fn run() {
    let (n, m, k) = (20_000, 300, 6);
    let x = Mat::from_fn(n, m, |i, j| ((i * 7 + j * 3) % 13) as f64);
    let h = Mat::from_fn(k, m, |i, j| ((i * 5 + j) % 11) as f64);
    let wt = Mat::from_fn(k, n, |i, j| ((i * 5 + j) % 11) as f64);
    let time = |name: &str, f: &mut dyn FnMut()| {
        f();
        let t = Instant::now();
        for _ in 0..5 {
            f();
        }
        println!("{{\"layout\":\"{name}\",\"seconds_per_product\":{:.4}}}", t.elapsed().as_secs_f64() / 5.0);
    };
    let par = Par::rayon(0);
    let mut b_kn = Mat::<f64>::zeros(k, n);
    time("H·Xᵀ -> k×n", &mut || {
        matmul(b_kn.as_mut(), Accum::Replace, h.as_ref(), x.transpose(), 1.0, par)
    });
    let mut b_nk = Mat::<f64>::zeros(n, k);
    time("X·Hᵀ -> n×k", &mut || {
        matmul(b_nk.as_mut(), Accum::Replace, x.as_ref(), h.transpose(), 1.0, par)
    });
    let mut c_km = Mat::<f64>::zeros(k, m);
    time("Wᵀ·X -> k×m", &mut || matmul(c_km.as_mut(), Accum::Replace, wt.as_ref(), x.as_ref(), 1.0, par));
    let mut c_mk = Mat::<f64>::zeros(m, k);
    time("Xᵀ·W -> m×k", &mut || {
        matmul(c_mk.as_mut(), Accum::Replace, x.transpose(), wt.transpose(), 1.0, par)
    });
    let mut g = Mat::<f64>::zeros(m, m);
    time("XᵀX -> m×m", &mut || matmul(g.as_mut(), Accum::Replace, x.transpose(), x.as_ref(), 1.0, par));
    let mut wh = Mat::<f64>::zeros(n, m);
    time("Wᵀᵀ·H -> n×m", &mut || {
        matmul(wh.as_mut(), Accum::Replace, wt.transpose(), h.as_ref(), 1.0, par)
    });
}
