//! Bootstrap stability of a K-Means segmentation.
//!
//! Run b (of B) draws a subsample of ⌊fraction · n⌉ rows without replacement
//! (stream b of the seed), re-fits K-Means with the same parameters on it, and
//! scores the adjusted Rand index between the subsample's labels and the
//! full-data reference labels of the same rows. The ARI is invariant to label
//! permutation, so no matching of cluster ids is needed. Runs go in parallel
//! (each fit sequential inside); the result is identical at any thread count.
//! Reported: mean ± sample sd (n − 1) of the B values.

use crate::error::{Result, SegmentError, param};
use crate::kmeans::{KMeansParams, sample_without_replacement};
use crate::metrics::adjusted_rand_index;
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// Bootstrap ARI summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stability {
    /// Mean ARI over runs.
    pub mean: f64,
    /// Sample standard deviation of the ARI over runs (0 for one run).
    pub sd: f64,
    /// ARI of every run, in run order.
    pub runs: Vec<f64>,
    /// Share of rows in each subsample.
    pub fraction: f64,
}

/// `runs` subsamples of `fraction` of the rows, ARI against `reference`.
pub fn bootstrap_stability(
    x: MatRef<'_, f64>,
    params: &KMeansParams,
    reference: &[usize],
    runs: usize,
    fraction: f64,
    seed: u64,
) -> Result<Stability> {
    if reference.len() != x.nrows() {
        return Err(SegmentError::Shape {
            what: "stability reference labels".into(),
            expected: x.nrows().to_string(),
            got: reference.len().to_string(),
        });
    }
    if runs == 0 {
        return Err(param("stability runs", runs, "at least 1"));
    }
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(param("stability fraction", fraction, "a share in (0, 1]"));
    }
    let n = x.nrows();
    let m = ((fraction * n as f64).round() as usize).clamp(params.k().max(1), n);
    let one = |b: usize| -> Result<f64> {
        let mut rng = tp_core::rng::stream(seed, b as u64);
        let mut idx = sample_without_replacement(n, m, &mut rng);
        idx.sort_unstable();
        let sub = Mat::from_fn(m, x.ncols(), |i, j| x[(idx[i], j)]);
        let fit = params
            .clone()
            .seed(tp_core::rng::derive_seed(seed, b as u64))
            .parallel(false)
            .fit(sub.as_ref())?;
        let r: Vec<usize> = idx.iter().map(|&i| reference[i]).collect();
        adjusted_rand_index(fit.labels(), &r)
    };
    let aris: Vec<f64> = (0..runs).into_par_iter().map(one).collect::<Result<_>>()?;
    let mean = aris.iter().sum::<f64>() / runs as f64;
    let sd = if runs > 1 {
        (aris.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / (runs - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok(Stability { mean, sd, runs: aris, fraction })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KMeans;

    #[test]
    fn separated_groups_are_perfectly_stable_and_seeded() {
        let x = Mat::from_fn(90, 2, |i, j| (i % 3) as f64 * 20.0 + 0.1 * ((i * 13 + j) % 7) as f64);
        let p = KMeans::params(3).seed(1);
        let reference = p.fit(x.as_ref()).unwrap().labels().to_vec();
        let s = bootstrap_stability(x.as_ref(), &p, &reference, 8, 0.8, 9).unwrap();
        assert_eq!((s.mean, s.sd), (1.0, 0.0));
        assert_eq!(s.runs.len(), 8);
        // unstructured data: a different seed gives different runs, the same seed the same
        let noise = Mat::from_fn(90, 2, |i, j| ((i * 37 + j * 11) % 17) as f64);
        let r = p.fit(noise.as_ref()).unwrap().labels().to_vec();
        let a = bootstrap_stability(noise.as_ref(), &p, &r, 6, 0.8, 1).unwrap();
        let b = bootstrap_stability(noise.as_ref(), &p, &r, 6, 0.8, 1).unwrap();
        assert_eq!(a, b);
        assert!(bootstrap_stability(noise.as_ref(), &p, &r, 6, 1.5, 1).is_err());
    }
}
