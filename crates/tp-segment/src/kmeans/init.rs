//! Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's
//! greedy variant): the first center is drawn with probability ∝ w_i; each next
//! center is the best of `2 + ⌊ln k⌋` candidates drawn with probability
//! ∝ w_i · D(x_i)², "best" meaning the one that lowers the potential
//! Σ w_i · D(x_i)² the most.
//!
//! One pass over the data per center. The pass that scores the candidates
//! of step s also folds step s − 1's chosen center into D(x)² (its distance
//! is recomputed there, X being read anyway, rather than stored; the first
//! center is folded by the first pass, so the second has nothing to fold),
//! so each step reads X once and writes only D(x)². Distances come from the
//! small-point kernel ([`Points::tile_near`]: the newest center and the
//! candidates row by row, in step); the per-block potentials merge in
//! block order (thread-count independent) and double as the block totals of
//! the next draw, which then scans a single block of rows (recomputing its
//! distances to the previous center with the same function,
//! [`sq_dist_lanes`], whose result does not depend on the instruction set).

use super::dist::{Points, TILE, sq_dist_lanes};
use super::rows::{BLOCK, BlockStats, NonFinite, Rows, Weights, merge_stats};
use rand::Rng;
use rayon::prelude::*;
use tp_core::rng::TpRng;

/// k × d row-major initial centers; with `stats`, also the input check and
/// tolerance scale of [`Rows::stats`], computed in the first pass (which
/// reads every row anyway) rather than in a pass of its own.
pub(crate) fn kmeans_plusplus(
    x: &Rows,
    w: Weights<'_>,
    k: usize,
    rng: &mut TpRng,
    parallel: bool,
    stats: bool,
) -> Result<(Vec<f64>, Option<f64>), NonFinite> {
    let (n, d) = (x.n, x.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let nb = n.div_ceil(BLOCK);
    let par = parallel && nb > 1;
    let mut centers = Vec::with_capacity(k * d);
    let block_w: Vec<f64> =
        map_blocks(nb, par, |b| (b * BLOCK..((b + 1) * BLOCK).min(n)).map(|i| w[i]).sum());
    let total_w: f64 = block_w.iter().sum();
    let first = sample(n, BLOCK, &block_w, |i| w[i], &[rng.random::<f64>() * total_w])[0];
    centers.extend_from_slice(x.row(first));
    // D(x)², lagging one center behind: the newest center is folded in by the next pass
    let mut closest = vec![f64::INFINITY; n];
    let mut newest = Some(x.row(first).to_vec());
    let mut block_pot = Vec::new();
    let mut var = None;
    for step in 0..k {
        // fold the newest center into D(x)² and score the candidates for the next (none at first)
        let cands: Vec<usize> = if step == 0 {
            Vec::new()
        } else {
            let pot: f64 = block_pot.iter().sum();
            let rs: Vec<f64> = (0..trials).map(|_| rng.random::<f64>() * pot).collect();
            let closest = &closest;
            match &newest {
                Some(c) => {
                    sample(n, BLOCK, &block_pot, |i| w[i] * closest[i].min(sq_dist_lanes(x.row(i), c)), &rs)
                }
                None => sample(n, BLOCK, &block_pot, |i| w[i] * closest[i], &rs),
            }
        };
        let m = cands.len().max(1);
        let cmat: Vec<f64> = cands.iter().flat_map(|&c| x.row(c).iter().copied()).collect();
        let pts = Points::new(&cmat, cands.len(), d);
        let newest_ref = newest.as_deref();
        // per block: D(x)² with the newest center, then each candidate's potential
        // Σ w · min(D², distance) (with no candidates: the potential of D² itself)
        let work = |(b, cl): (usize, &mut [f64])| {
            let lo = b * BLOCK;
            // the input statistics first: they bring the block into cache for the distances
            let st = if stats && step == 0 { Some(x.block_stats(b)) } else { None };
            if let Some(Err(_)) = st {
                return (vec![0.0; m], st);
            }
            let mut pots = vec![0.0; m];
            let (mut near, mut dist) = ([f64::INFINITY; TILE], vec![0.0; TILE * m]);
            for t0 in (0..cl.len()).step_by(TILE) {
                let t1 = (t0 + TILE).min(cl.len());
                match newest_ref {
                    Some(c) => pts.tile_near(x, lo + t0, lo + t1, &mut dist, c, &mut near),
                    None if !cands.is_empty() => pts.tile(x, lo + t0, lo + t1, &mut dist),
                    None => {}
                }
                for o in t0..t1 {
                    let ci = cl[o].min(near[o - t0]);
                    cl[o] = ci;
                    let wi = w[lo + o];
                    if cands.is_empty() {
                        pots[0] += wi * ci;
                    } else {
                        for (p, v) in pots.iter_mut().zip(&dist[(o - t0) * m..(o - t0 + 1) * m]) {
                            *p += wi * v.min(ci);
                        }
                    }
                }
            }
            (pots, st)
        };
        let parts: Vec<(Vec<f64>, Option<BlockStats>)> = if par {
            closest.par_chunks_mut(BLOCK).enumerate().map(work).collect()
        } else {
            closest.chunks_mut(BLOCK).enumerate().map(work).collect()
        };
        let (parts, st): (Vec<Vec<f64>>, Vec<Option<BlockStats>>) = parts.into_iter().unzip();
        if stats && step == 0 {
            var = Some(merge_stats(st.into_iter().flatten().collect(), d)?);
        }
        let pots: Vec<f64> = (0..m).map(|t| parts.iter().map(|p| p[t]).sum()).collect();
        let best = (0..m).fold(0, |b, t| if pots[t] < pots[b] { t } else { b });
        block_pot = parts.iter().map(|p| p[best]).collect();
        // (after the first pass there is no newest center: the first is in D² already)
        newest = cands.get(best).map(|&c| x.row(c).to_vec());
        if let Some(c) = &newest {
            centers.extend_from_slice(c);
        }
    }
    Ok((centers, var))
}

/// For each target r, the first index whose cumulative weight reaches r
/// (numpy `searchsorted`, left), skipping zero weights. `sums` holds the
/// weight totals of consecutive blocks of `block` rows: the prefix runs over
/// the blocks, then one block is scanned. Rounding past the end (or into a
/// block whose scan falls short of its total) falls back to the last positive
/// weight before that point; no positive weight at all gives the last row.
fn sample(n: usize, block: usize, sums: &[f64], weight: impl Fn(usize) -> f64, rs: &[f64]) -> Vec<usize> {
    let scan = |b: usize, mut acc: f64, r: f64| {
        let mut last = None;
        for i in b * block..((b + 1) * block).min(n) {
            let v = weight(i);
            acc += v;
            if v > 0.0 {
                last = Some(i);
                if acc >= r {
                    break;
                }
            }
        }
        last
    };
    rs.iter()
        .map(|&r| {
            let (mut acc, mut last_block) = (0.0, None);
            for (b, &s) in sums.iter().enumerate() {
                if s > 0.0 {
                    if acc + s >= r {
                        return scan(b, acc, r).unwrap_or(n - 1);
                    }
                    acc += s;
                    last_block = Some(b);
                }
            }
            last_block.and_then(|b| scan(b, f64::NEG_INFINITY, f64::INFINITY)).unwrap_or(n - 1)
        })
        .collect()
}

/// `f(b)` for every block index, in block order.
fn map_blocks<T: Send>(nb: usize, par: bool, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if par { (0..nb).into_par_iter().map(f).collect() } else { (0..nb).map(f).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_searchsorted_left_on_positive_weights() {
        let w = [0.0, 1.0, 0.0, 2.0, 1.0];
        // cumulative: 0 1 1 3 4; the same answers for every block size
        for block in [1, 2, 3, 5, 8] {
            let sums: Vec<f64> = w.chunks(block).map(|c| c.iter().sum()).collect();
            let s = |rs: &[f64]| sample(5, block, &sums, |i| w[i], rs);
            assert_eq!(s(&[0.5, 1.0, 1.5, 3.0, 3.5]), vec![1, 1, 3, 3, 4], "block {block}");
            assert_eq!(s(&[3.2, 0.1, 0.0]), vec![4, 1, 1], "block {block}");
            // rounding past the total: the last positive weight
            assert_eq!(s(&[4.0000001]), vec![4], "block {block}");
        }
        assert_eq!(sample(3, 2, &[2.0, 0.0], |i| [1.0, 1.0, 0.0][i], &[5.0]), vec![1]);
        // no positive weight: the last row
        assert_eq!(sample(3, 2, &[0.0, 0.0], |_| 0.0, &[0.0]), vec![2]);
    }
}
