//! Mini-batch K-Means (Sculley 2010) for very large n: each step draws a batch
//! of rows (with replacement), assigns them to the nearest center and moves
//! each touched center to the running weighted mean of all rows it has seen.
//! Stops after `max_iter` epochs or when the exponentially weighted batch
//! inertia has not improved for 10 consecutive steps (scikit-learn's rule);
//! labels and inertia are then computed on the full data.

use super::dist::{Points, assign_all, inertia};
use super::engine::Run;
use super::rows::{Rows, Weights};
use rand::Rng;
use tp_core::rng::TpRng;

const MAX_NO_IMPROVEMENT: usize = 10;

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    x: &Rows,
    w: Weights<'_>,
    init: &[f64],
    k: usize,
    batch: usize,
    max_iter: usize,
    rng: &mut TpRng,
    parallel: bool,
) -> Run {
    let (n, d) = (x.n, x.d);
    let batch = batch.min(n).max(1);
    let mut centers = init.to_vec();
    let mut seen = vec![0.0; k];
    let n_steps = (max_iter * n).div_ceil(batch).max(1);
    let alpha = (2.0 * batch as f64 / (n as f64 + 1.0)).min(1.0);
    let (mut ewa, mut best, mut stale) = (None::<f64>, f64::INFINITY, 0);
    let mut converged = false;
    let mut steps = 0;
    let mut trace = Vec::new();
    let mut sums = vec![0.0; k * d];
    let mut bw = vec![0.0; k];
    for _ in 0..n_steps {
        steps += 1;
        sums.iter_mut().for_each(|v| *v = 0.0);
        bw.iter_mut().for_each(|v| *v = 0.0);
        let (mut bi, mut bwt) = (0.0, 0.0);
        let cs = Points::new(&centers, k, d);
        let mut buf = vec![0.0; k];
        for _ in 0..batch {
            let i = rng.random_range(0..n);
            let xi = x.row(i);
            let (a, dist) = cs.nearest(xi, &mut buf);
            bi += w[i] * dist;
            bwt += w[i];
            bw[a] += w[i];
            for (s, v) in sums[a * d..(a + 1) * d].iter_mut().zip(xi) {
                *s += w[i] * v;
            }
        }
        for j in 0..k {
            if bw[j] > 0.0 {
                let tot = seen[j] + bw[j];
                for t in 0..d {
                    centers[j * d + t] = (centers[j * d + t] * seen[j] + sums[j * d + t]) / tot;
                }
                seen[j] = tot;
            }
        }
        let bi = if bwt > 0.0 { bi / bwt } else { 0.0 };
        let e = ewa.map_or(bi, |e| e * (1.0 - alpha) + bi * alpha);
        ewa = Some(e);
        trace.push(e);
        if e < best {
            best = e;
            stale = 0;
        } else {
            stale += 1;
            if stale >= MAX_NO_IMPROVEMENT {
                converged = true;
                break;
            }
        }
    }
    let labels = assign_all(x, &centers, parallel);
    let inertia = inertia(x, w, &centers, &labels, parallel);
    Run { centers, labels, inertia, n_iter: steps, converged, inertia_trace: trace }
}
