//! The batch K-Means loop (scikit-learn's Lloyd iteration structure) with two
//! assignment strategies: plain Lloyd (all k distances per row) and Hamerly
//! (2010) bounds that skip rows whose nearest center cannot have changed.
//!
//! One iteration: assign every row to its nearest center, then recompute the
//! centers as weighted means (an empty cluster takes the row farthest from
//! its center, as scikit-learn does). Stop when no label changed (strict
//! convergence) or when Σ_j ‖c_j^new − c_j^old‖² ≤ tol · mean feature
//! variance; if stopped on the tolerance, labels are re-assigned once to the
//! final centers.
//!
//! The inertia: Lloyd sums it over the data once more. Hamerly, when it
//! converged strictly (and moved no row into an empty cluster in its last
//! iteration), takes it without another pass: the first assignment pass
//! computes every row's squared distance to its initial center c⁰_j anyway,
//! each later label change moves that term between clusters, and with c_j
//! the weighted mean of its final rows Σ_{i∈j} w_i ‖x_i − c_j‖² =
//! Σ_{i∈j} w_i ‖x_i − c⁰_j‖² − W_j ‖c_j − c⁰_j‖². It differs from the direct
//! sum only by rounding (the tests bound it at 1e-12 relative).

use super::dist::{Points, TILE, best_two, for_each_row_dists, labelled_inertia};
use super::rows::{BLOCK, Rows, Weights, sq_dist};
use rayon::prelude::*;

/// Outcome of one K-Means run from given centers.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub centers: Vec<f64>,
    pub labels: Vec<usize>,
    pub inertia: f64,
    pub n_iter: usize,
    pub converged: bool,
    pub inertia_trace: Vec<f64>,
}

/// Per-block partial sums: Σ w x per cluster, Σ w per cluster, labels changed;
/// Hamerly also Σ w ‖x − c⁰‖² per cluster (c⁰: the initial centers).
struct Partial {
    sums: Vec<f64>,
    weights: Vec<f64>,
    origin_ss: Vec<f64>,
    changed: usize,
    inertia: f64,
}

/// Bounds kept by Hamerly's algorithm.
struct Bounds {
    upper: Vec<f64>,
    lower: Vec<f64>,
    valid: bool,
}

#[allow(clippy::too_many_arguments)]
fn assign_block(
    x: &Rows,
    w: Weights<'_>,
    pts: &Points,
    lo: usize,
    labels: &mut [usize],
    bounds: Option<(&mut [f64], &mut [f64])>,
    hamerly: Option<(&[f64], &[f64], bool)>,
    origin: &[f64],
    want_inertia: bool,
) -> Partial {
    let (d, k) = (x.d, pts.len());
    let full_pass = !matches!(hamerly, Some((_, _, true)));
    // one scratch per block: a tile of distances (full passes) or one row's
    let mut buf = vec![0.0; if full_pass { TILE * k } else { k }];
    let mut p = Partial {
        sums: vec![0.0; k * d],
        weights: vec![0.0; k],
        origin_ss: vec![0.0; if hamerly.is_some() { k } else { 0 }],
        changed: 0,
        inertia: 0.0,
    };
    match (bounds, hamerly) {
        (Some((upper, lower)), Some((half_sep, drift, _))) => {
            let (pmax_idx, pmax, psecond) = top_two(drift);
            for t0 in (0..labels.len()).step_by(TILE) {
                let t1 = (t0 + TILE).min(labels.len());
                if full_pass {
                    pts.tile(x, lo + t0, lo + t1, &mut buf);
                }
                for o in t0..t1 {
                    let i = lo + o;
                    let xi = x.row(i);
                    let old = labels[o];
                    let mut a = old;
                    let mut nearest = 0.0;
                    if full_pass {
                        let (j, s1, s2) = best_two(&buf[(o - t0) * k..(o - t0 + 1) * k]);
                        a = j;
                        nearest = s1;
                        upper[o] = s1.sqrt();
                        lower[o] = s2.sqrt();
                    } else {
                        upper[o] += drift[a];
                        lower[o] -= if a == pmax_idx { psecond } else { pmax };
                        let m = half_sep[a].max(lower[o]);
                        if upper[o] > m {
                            upper[o] = sq_dist(xi, pts.point(a)).sqrt();
                            if upper[o] > m {
                                let (j, d1, d2) = pts.nearest_two(xi, &mut buf);
                                a = j;
                                upper[o] = d1.sqrt();
                                lower[o] = d2.sqrt();
                            }
                        }
                    }
                    labels[o] = a;
                    let wi = w[i];
                    if full_pass {
                        // first pass (the centers are the initial ones): the block's full sums
                        p.changed += usize::from(a != old);
                        p.weights[a] += wi;
                        p.origin_ss[a] += wi * nearest;
                        for (s, v) in p.sums[a * d..(a + 1) * d].iter_mut().zip(xi) {
                            *s += wi * v;
                        }
                    } else if a != old {
                        // later passes: only the changes (the sums are kept across iterations)
                        p.changed += 1;
                        p.weights[a] += wi;
                        p.weights[old] -= wi;
                        p.origin_ss[a] += wi * sq_dist(xi, &origin[a * d..(a + 1) * d]);
                        p.origin_ss[old] -= wi * sq_dist(xi, &origin[old * d..(old + 1) * d]);
                        for (t, v) in xi.iter().enumerate() {
                            p.sums[a * d + t] += wi * v;
                            p.sums[old * d + t] -= wi * v;
                        }
                    }
                }
                if want_inertia {
                    p.inertia += labelled_inertia(x, w, pts, lo + t0, &labels[t0..t1]);
                }
            }
        }
        _ => {
            for_each_row_dists(x, pts, lo, lo + labels.len(), &mut buf, |i, r| {
                let label = &mut labels[i - lo];
                let xi = x.row(i);
                let (a, dist, _) = best_two(r);
                p.changed += usize::from(a != *label);
                *label = a;
                let wi = w[i];
                p.inertia += wi * dist;
                p.weights[a] += wi;
                for (s, v) in p.sums[a * d..(a + 1) * d].iter_mut().zip(xi) {
                    *s += wi * v;
                }
            });
        }
    }
    p
}

/// (index of the max, max, second max) of a slice of center drifts.
fn top_two(v: &[f64]) -> (usize, f64, f64) {
    let (mut i1, mut m1, mut m2) = (0, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for (i, &x) in v.iter().enumerate() {
        if x > m1 {
            m2 = m1;
            m1 = x;
            i1 = i;
        } else if x > m2 {
            m2 = x;
        }
    }
    (i1, m1.max(0.0), m2.max(0.0))
}

/// Half the distance from each center to its nearest other center.
fn half_separation(centers: &[f64], k: usize, d: usize) -> Vec<f64> {
    let mut s = vec![f64::INFINITY; k];
    for a in 0..k {
        for b in (a + 1)..k {
            let dist = sq_dist(&centers[a * d..(a + 1) * d], &centers[b * d..(b + 1) * d]).sqrt() / 2.0;
            s[a] = s[a].min(dist);
            s[b] = s[b].min(dist);
        }
    }
    s
}

type HamerlyChunk<'a> = (usize, ((&'a mut [usize], &'a mut [f64]), &'a mut [f64]));

/// Run the batch loop from `init` (k × d row-major).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    x: &Rows,
    w: Weights<'_>,
    init: &[f64],
    k: usize,
    max_iter: usize,
    tol_scaled: f64,
    hamerly: bool,
    parallel: bool,
) -> Run {
    let (n, d) = (x.n, x.d);
    let mut centers = init.to_vec();
    let mut labels = vec![usize::MAX; n];
    let mut bounds = Bounds {
        upper: if hamerly { vec![0.0; n] } else { Vec::new() },
        lower: if hamerly { vec![0.0; n] } else { Vec::new() },
        valid: false,
    };
    let mut drift = vec![0.0; k];
    let mut strict = false;
    let mut converged = false;
    let mut n_iter = 0;
    let mut trace = Vec::new();
    let (mut sums, mut weights, mut origin_ss) = (vec![0.0; k * d], vec![0.0; k], vec![0.0; k]);
    // whether the last iteration moved a row's weight to an empty cluster
    let mut relocated = false;
    for it in 0..max_iter {
        n_iter = it + 1;
        let half_sep = if hamerly { half_separation(&centers, k, d) } else { Vec::new() };
        let parts = assign_pass(
            x,
            w,
            &centers,
            k,
            &mut labels,
            &mut bounds,
            hamerly,
            &half_sep,
            &drift,
            init,
            parallel,
            false,
        );
        let incremental = bounds.valid;
        bounds.valid = hamerly;
        let (part, changed, lloyd_inertia) = merge(parts, k, d);
        if incremental {
            sums.iter_mut().zip(&part.sums).for_each(|(a, b)| *a += b);
            weights.iter_mut().zip(&part.weights).for_each(|(a, b)| *a += b);
            origin_ss.iter_mut().zip(&part.origin_ss).for_each(|(a, b)| *a += b);
        } else {
            (sums, weights, origin_ss) = (part.sums, part.weights, part.origin_ss);
        }
        if !hamerly {
            trace.push(lloyd_inertia);
        }
        // the empty-cluster move changes this iteration's centers only (labels stay)
        let (mut sums, mut weights) = (sums.clone(), weights.clone());
        relocated = weights.contains(&0.0);
        relocate_empty(x, w, &centers, &labels, &mut sums, &mut weights, k);
        let mut shift_tot = 0.0;
        for j in 0..k {
            let c = &mut centers[j * d..(j + 1) * d];
            let mut s2 = 0.0;
            if weights[j] > 0.0 {
                for (cv, sv) in c.iter_mut().zip(&sums[j * d..(j + 1) * d]) {
                    let new = sv / weights[j];
                    s2 += (new - *cv) * (new - *cv);
                    *cv = new;
                }
            }
            drift[j] = s2.sqrt();
            shift_tot += s2;
        }
        if changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        if shift_tot <= tol_scaled {
            converged = true;
            break;
        }
    }
    let inertia = if hamerly && strict && !relocated {
        // the labels are final and each center is its cluster's weighted mean c_j, so
        // Σ_{i∈j} w_i ‖x_i − c_j‖² = Σ_{i∈j} w_i ‖x_i − c⁰_j‖² − W_j ‖c_j − c⁰_j‖²: the inertia
        // without another pass over the data
        (0..k)
            .map(|j| {
                let shift = sq_dist(&centers[j * d..(j + 1) * d], &init[j * d..(j + 1) * d]);
                if weights[j] > 0.0 { origin_ss[j] - weights[j] * shift } else { 0.0 }
            })
            .sum()
    } else if hamerly {
        // one more bounded pass: re-assigns to the final centers (when stopped on
        // the tolerance; after strict convergence nothing moves) and sums the inertia
        let half_sep = half_separation(&centers, k, d);
        let parts = assign_pass(
            x,
            w,
            &centers,
            k,
            &mut labels,
            &mut bounds,
            true,
            &half_sep,
            &drift,
            init,
            parallel,
            true,
        );
        parts.iter().map(|p| p.inertia).sum()
    } else {
        if !strict {
            labels = super::dist::assign_all(x, &centers, parallel);
        }
        super::dist::inertia(x, w, &centers, &labels, parallel)
    };
    Run { centers, labels, inertia, n_iter, converged, inertia_trace: trace }
}

#[allow(clippy::too_many_arguments)]
fn assign_pass(
    x: &Rows,
    w: Weights<'_>,
    centers: &[f64],
    k: usize,
    labels: &mut [usize],
    bounds: &mut Bounds,
    hamerly: bool,
    half_sep: &[f64],
    drift: &[f64],
    origin: &[f64],
    parallel: bool,
    want_inertia: bool,
) -> Vec<Partial> {
    let valid = bounds.valid;
    let pts = Points::new(centers, k, x.d);
    let pts = &pts;
    if hamerly {
        let work = |(b, ((l, u), lo)): HamerlyChunk<'_>| {
            let hamerly = Some((half_sep, drift, valid));
            assign_block(x, w, pts, b * BLOCK, l, Some((u, lo)), hamerly, origin, want_inertia)
        };
        if parallel && x.n > BLOCK {
            labels
                .par_chunks_mut(BLOCK)
                .zip(bounds.upper.par_chunks_mut(BLOCK))
                .zip(bounds.lower.par_chunks_mut(BLOCK))
                .enumerate()
                .map(work)
                .collect()
        } else {
            labels
                .chunks_mut(BLOCK)
                .zip(bounds.upper.chunks_mut(BLOCK))
                .zip(bounds.lower.chunks_mut(BLOCK))
                .enumerate()
                .map(work)
                .collect()
        }
    } else {
        let work =
            |(b, l): (usize, &mut [usize])| assign_block(x, w, pts, b * BLOCK, l, None, None, origin, false);
        if parallel && x.n > BLOCK {
            labels.par_chunks_mut(BLOCK).enumerate().map(work).collect()
        } else {
            labels.chunks_mut(BLOCK).enumerate().map(work).collect()
        }
    }
}

/// The blocks' partial sums added in block order (the merged `changed` and
/// `inertia` returned beside).
fn merge(parts: Vec<Partial>, k: usize, d: usize) -> (Partial, usize, f64) {
    let n_origin = parts.first().map_or(0, |p| p.origin_ss.len());
    let mut m = Partial {
        sums: vec![0.0; k * d],
        weights: vec![0.0; k],
        origin_ss: vec![0.0; n_origin],
        changed: 0,
        inertia: 0.0,
    };
    for p in parts {
        for (a, b) in m.sums.iter_mut().zip(&p.sums) {
            *a += b;
        }
        for (a, b) in m.weights.iter_mut().zip(&p.weights) {
            *a += b;
        }
        for (a, b) in m.origin_ss.iter_mut().zip(&p.origin_ss) {
            *a += b;
        }
        m.changed += p.changed;
        m.inertia += p.inertia;
    }
    let (changed, inertia) = (m.changed, m.inertia);
    (m, changed, inertia)
}

/// scikit-learn's empty-cluster rule: each empty cluster takes, in turn, one of
/// the rows farthest from their current center (the row keeps its label until
/// the next assignment; its weight moves).
fn relocate_empty(
    x: &Rows,
    w: Weights<'_>,
    centers: &[f64],
    labels: &[usize],
    sums: &mut [f64],
    weights: &mut [f64],
    k: usize,
) {
    let empty: Vec<usize> = (0..k).filter(|&j| weights[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let d = x.d;
    let mut far: Vec<(f64, usize)> =
        (0..x.n).map(|i| (sq_dist(x.row(i), &centers[labels[i] * d..(labels[i] + 1) * d]), i)).collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (&j, &(_, i)) in empty.iter().zip(&far) {
        let old = labels[i];
        let xi = x.row(i);
        for t in 0..d {
            sums[old * d + t] -= xi[t] * w[i];
            sums[j * d + t] = xi[t] * w[i];
        }
        weights[j] = w[i];
        weights[old] -= w[i];
    }
}
