//! Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's
//! greedy variant): the first center is drawn with probability ∝ w_i; each next
//! center is the best of `2 + ⌊ln k⌋` candidates drawn with probability
//! ∝ w_i · D(x_i)², "best" meaning the one that lowers the potential
//! Σ w_i · D(x_i)² the most.

use super::rows::{BLOCK, Rows, sq_dist};
use rand::Rng;
use rayon::prelude::*;
use tp_core::rng::TpRng;

/// k × d row-major initial centers.
pub(crate) fn kmeans_plusplus(x: &Rows, w: &[f64], k: usize, rng: &mut TpRng, parallel: bool) -> Vec<f64> {
    let (n, d) = (x.n, x.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let first = sample_index(w, rng.random::<f64>() * w.iter().sum::<f64>());
    centers.extend_from_slice(x.row(first));
    let mut closest: Vec<f64> = dist_to(x, x.row(first), parallel);
    let mut pot: f64 = closest.iter().zip(w).map(|(c, wi)| c * wi).sum();
    for _ in 1..k {
        let weighted: Vec<f64> = closest.iter().zip(w).map(|(c, wi)| c * wi).collect();
        let mut cands = Vec::with_capacity(trials);
        for _ in 0..trials {
            let r = rng.random::<f64>() * pot;
            cands.push(sample_index(&weighted, r).min(n - 1));
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for &c in &cands {
            let dc = dist_to(x, x.row(c), parallel);
            let merged: Vec<f64> = dc.iter().zip(&closest).map(|(a, b)| a.min(*b)).collect();
            let p: f64 = merged.iter().zip(w).map(|(m, wi)| m * wi).sum();
            if best.as_ref().is_none_or(|b| p < b.0) {
                best = Some((p, c, merged));
            }
        }
        let (p, c, merged) = best.expect("at least two candidates");
        pot = p;
        closest = merged;
        centers.extend_from_slice(x.row(c));
    }
    centers
}

/// First index whose cumulative sum reaches `r` (numpy `searchsorted`, left).
fn sample_index(weights: &[f64], r: f64) -> usize {
    let mut acc = 0.0;
    for (i, &v) in weights.iter().enumerate() {
        acc += v;
        if acc >= r && v > 0.0 {
            return i;
        }
    }
    // rounding: fall back to the last row with positive weight
    weights.iter().rposition(|&v| v > 0.0).unwrap_or(weights.len() - 1)
}

fn dist_to(x: &Rows, c: &[f64], parallel: bool) -> Vec<f64> {
    let mut out = vec![0.0; x.n];
    let work = |(b, chunk): (usize, &mut [f64])| {
        for (o, v) in chunk.iter_mut().enumerate() {
            *v = sq_dist(x.row(b * BLOCK + o), c);
        }
    };
    if parallel && x.n > BLOCK {
        out.par_chunks_mut(BLOCK).enumerate().for_each(work);
    } else {
        out.chunks_mut(BLOCK).enumerate().for_each(work);
    }
    out
}
