//! Micro-timing of the GEMM layouts the NMF loop can use (development aid).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
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

/// Row-block fused products: for each block of `b` rows, X_b·Hᵀ then X_bᵀ·W_b (sequential GEMMs).
pub fn fused() {
    let (n, m, k) = (20_000, 300, 6);
    for row_major in [true, false] {
        let data: Vec<f64> = (0..n * m).map(|i| ((i * 7) % 13) as f64).collect();
        let x = if row_major {
            MatRef::from_row_major_slice(&data, n, m)
        } else {
            MatRef::from_column_major_slice(&data, n, m)
        };
        let ht = Mat::from_fn(m, k, |i, j| ((i * 5 + j) % 11) as f64);
        let w = Mat::from_fn(n, k, |i, j| ((i * 5 + j) % 11) as f64);
        for b in [128, 256, 512, 1024, 2048] {
            let t = Instant::now();
            let reps = 10;
            for _ in 0..reps {
                let mut g = Mat::<f64>::zeros(b, k);
                let mut p = Mat::<f64>::zeros(m, k);
                let mut lo = 0;
                while lo < n {
                    let hi = (lo + b).min(n);
                    let xb = x.subrows(lo, hi - lo);
                    matmul(
                        g.as_mut().subrows_mut(0, hi - lo),
                        Accum::Replace,
                        xb,
                        ht.as_ref(),
                        1.0,
                        Par::Seq,
                    );
                    matmul(
                        p.as_mut(),
                        Accum::Add,
                        xb.transpose(),
                        w.as_ref().subrows(lo, hi - lo),
                        1.0,
                        Par::Seq,
                    );
                    lo = hi;
                }
                std::hint::black_box(&p);
            }
            let s = t.elapsed().as_secs_f64() / reps as f64;
            println!(
                "{{\"fused\":\"row_major={row_major} b={b}\",\"seconds\":{s:.4},\"gflops\":{:.2}}}",
                4.0 * (n * m * k) as f64 / s / 1e9
            );
        }
    }
}

/// K-Means score blocks: X_b·Cᵀ (b × k) against C·X_bᵀ (k × b), X row-major.
pub fn scores() {
    let (n, d) = (1_000_000, 16);
    let data: Vec<f64> = (0..n * d).map(|i| ((i * 7) % 13) as f64).collect();
    let x = MatRef::from_row_major_slice(&data, n, d);
    for k in [4, 8] {
        let c = Mat::from_fn(k, d, |i, j| ((i * 5 + j) % 11) as f64);
        for b in [256, 1024, 4096] {
            for transposed in [false, true] {
                let t = Instant::now();
                let mut g = if transposed { Mat::<f64>::zeros(k, b) } else { Mat::<f64>::zeros(b, k) };
                let mut lo = 0;
                while lo + b <= n {
                    let xb = x.subrows(lo, b);
                    if transposed {
                        matmul(g.as_mut(), Accum::Replace, c.as_ref(), xb.transpose(), -2.0, Par::Seq);
                    } else {
                        matmul(g.as_mut(), Accum::Replace, xb, c.transpose(), -2.0, Par::Seq);
                    }
                    lo += b;
                }
                std::hint::black_box(&g);
                let s = t.elapsed().as_secs_f64();
                println!("{{\"scores\":\"k={k} b={b} transposed={transposed}\",\"seconds\":{s:.4}}}");
            }
        }
    }
}
