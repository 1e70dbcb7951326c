//! Cluster-quality metrics, with scikit-learn's definitions (golden-tested
//! against `sklearn.metrics` to 1e-9).
//!
//! - [`silhouette_score`]: mean over rows of (b − a) / max(a, b), a = mean
//!   distance to the other rows of its cluster, b = the smallest mean distance
//!   to another cluster; rows in singleton clusters score 0 (Rousseeuw 1987).
//!   Exact O(n²d); [`silhouette_auto`] switches to a seeded sample of
//!   [`SILHOUETTE_EXACT_MAX`] rows above that size (as `sample_size` does).
//! - [`davies_bouldin_score`]: mean over clusters of max_{j≠i} (s_i + s_j) / d(c_i, c_j),
//!   s = mean distance to the centroid (lower is better).
//! - [`calinski_harabasz_score`]: [B / (k − 1)] / [W / (n − k)], between- and
//!   within-cluster dispersion (higher is better).
//! - [`adjusted_rand_index`]: Hubert & Arabie (1985) via the pair confusion
//!   matrix, computed in exact integer arithmetic.

use crate::error::{Result, SegmentError, check_finite};
use faer::MatRef;
use rayon::prelude::*;

/// Above this many rows, [`silhouette_auto`] scores a seeded sample of this size.
pub const SILHOUETTE_EXACT_MAX: usize = 10_000;

/// Labels mapped to 0..k in order of first sorted value; returns (codes, k).
fn encode(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut uniq: Vec<usize> = labels.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let codes = labels.iter().map(|l| uniq.binary_search(l).expect("label present")).collect();
    (codes, uniq.len())
}

fn check(x: MatRef<'_, f64>, labels: &[usize], what: &str) -> Result<(Vec<usize>, usize)> {
    if labels.len() != x.nrows() {
        return Err(SegmentError::Shape {
            what: format!("{what}: labels length"),
            expected: x.nrows().to_string(),
            got: labels.len().to_string(),
        });
    }
    check_finite(what, x)?;
    let (codes, k) = encode(labels);
    if k < 2 || k + 1 > x.nrows() {
        return Err(SegmentError::Parameter {
            name: format!("{what}: number of labels"),
            value: k.to_string(),
            expected: format!("between 2 and n_samples - 1 = {}", x.nrows().saturating_sub(1)),
        });
    }
    Ok((codes, k))
}

fn rows_of(x: MatRef<'_, f64>) -> (Vec<f64>, usize) {
    (crate::kmeans::rows::row_major(x), x.ncols())
}

#[inline]
fn dist(a: &[f64], b: &[f64]) -> f64 {
    crate::kmeans::rows::sq_dist(a, b).sqrt()
}

/// Exact mean silhouette coefficient (Euclidean).
pub fn silhouette_score(x: MatRef<'_, f64>, labels: &[usize]) -> Result<f64> {
    let (codes, k) = check(x, labels, "silhouette")?;
    let (data, d) = rows_of(x);
    let n = x.nrows();
    let mut counts = vec![0usize; k];
    for &c in &codes {
        counts[c] += 1;
    }
    let per_row = |i: usize| {
        let xi = &data[i * d..(i + 1) * d];
        let mut sums = vec![0.0; k];
        for (j, &c) in codes.iter().enumerate() {
            sums[c] += dist(xi, &data[j * d..(j + 1) * d]);
        }
        let own = codes[i];
        if counts[own] <= 1 {
            return 0.0;
        }
        let a = sums[own] / (counts[own] - 1) as f64;
        let b =
            (0..k).filter(|&c| c != own).map(|c| sums[c] / counts[c] as f64).fold(f64::INFINITY, f64::min);
        let s = (b - a) / a.max(b);
        if s.is_finite() { s } else { 0.0 }
    };
    let s: Vec<f64> = (0..n).into_par_iter().map(per_row).collect();
    Ok(s.iter().sum::<f64>() / n as f64)
}

/// Silhouette on a seeded random sample of `sample_size` rows (without
/// replacement); exact when `sample_size >= n`.
pub fn silhouette_score_sampled(
    x: MatRef<'_, f64>,
    labels: &[usize],
    sample_size: usize,
    seed: u64,
) -> Result<f64> {
    if sample_size >= x.nrows() {
        return silhouette_score(x, labels);
    }
    if labels.len() != x.nrows() {
        return check(x, labels, "silhouette").map(|_| 0.0);
    }
    let mut rng = tp_core::rng::stream(seed, 0);
    let idx = crate::kmeans::sample_without_replacement(x.nrows(), sample_size, &mut rng);
    let sub = faer::Mat::from_fn(idx.len(), x.ncols(), |i, j| x[(idx[i], j)]);
    let sl: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
    silhouette_score(sub.as_ref(), &sl)
}

/// Exact silhouette up to [`SILHOUETTE_EXACT_MAX`] rows, a seeded sample of
/// that size above.
pub fn silhouette_auto(x: MatRef<'_, f64>, labels: &[usize], seed: u64) -> Result<f64> {
    silhouette_score_sampled(x, labels, SILHOUETTE_EXACT_MAX, seed)
}

/// Per-cluster centroids (k × d row-major) and sizes.
fn centroids(data: &[f64], d: usize, codes: &[usize], k: usize) -> (Vec<f64>, Vec<usize>) {
    let mut c = vec![0.0; k * d];
    let mut counts = vec![0usize; k];
    for (i, &l) in codes.iter().enumerate() {
        counts[l] += 1;
        for t in 0..d {
            c[l * d + t] += data[i * d + t];
        }
    }
    for l in 0..k {
        for t in 0..d {
            c[l * d + t] /= counts[l] as f64;
        }
    }
    (c, counts)
}

/// Davies–Bouldin index (lower is better).
pub fn davies_bouldin_score(x: MatRef<'_, f64>, labels: &[usize]) -> Result<f64> {
    let (codes, k) = check(x, labels, "davies-bouldin")?;
    let (data, d) = rows_of(x);
    let (c, counts) = centroids(&data, d, &codes, k);
    let mut intra = vec![0.0; k];
    for (i, &l) in codes.iter().enumerate() {
        intra[l] += dist(&data[i * d..(i + 1) * d], &c[l * d..(l + 1) * d]);
    }
    for l in 0..k {
        intra[l] /= counts[l] as f64;
    }
    let cdist = |a: usize, b: usize| dist(&c[a * d..(a + 1) * d], &c[b * d..(b + 1) * d]);
    let all_close = |v: f64| v.abs() <= 1e-8;
    if intra.iter().all(|v| all_close(*v)) || (0..k).all(|a| (0..k).all(|b| all_close(cdist(a, b)))) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for a in 0..k {
        let mut worst = f64::NEG_INFINITY;
        for b in 0..k {
            if a == b {
                continue;
            }
            let cd = cdist(a, b);
            let v = if cd == 0.0 { 0.0 } else { (intra[a] + intra[b]) / cd };
            worst = worst.max(v);
        }
        total += worst;
    }
    Ok(total / k as f64)
}

/// Calinski–Harabasz index (variance ratio criterion; higher is better).
pub fn calinski_harabasz_score(x: MatRef<'_, f64>, labels: &[usize]) -> Result<f64> {
    let (codes, k) = check(x, labels, "calinski-harabasz")?;
    let (data, d) = rows_of(x);
    let n = x.nrows();
    let (c, counts) = centroids(&data, d, &codes, k);
    let mut mean = vec![0.0; d];
    for i in 0..n {
        for t in 0..d {
            mean[t] += data[i * d + t];
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let (mut extra, mut intra) = (0.0, 0.0);
    for l in 0..k {
        extra += counts[l] as f64 * crate::kmeans::rows::sq_dist(&c[l * d..(l + 1) * d], &mean);
    }
    for (i, &l) in codes.iter().enumerate() {
        intra += crate::kmeans::rows::sq_dist(&data[i * d..(i + 1) * d], &c[l * d..(l + 1) * d]);
    }
    if intra == 0.0 {
        return Ok(1.0);
    }
    Ok(extra * (n - k) as f64 / (intra * (k - 1) as f64))
}

/// Adjusted Rand index between two labelings of the same rows (symmetric;
/// 1 = identical partitions, ≈ 0 for independent ones).
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(SegmentError::Shape {
            what: "adjusted rand index: second labeling length".into(),
            expected: a.len().to_string(),
            got: b.len().to_string(),
        });
    }
    let n = a.len() as i128;
    let (ca, ka) = encode(a);
    let (cb, kb) = encode(b);
    let mut table = vec![0i128; ka * kb];
    for (x, y) in ca.iter().zip(&cb) {
        table[x * kb + y] += 1;
    }
    let mut row = vec![0i128; ka];
    let mut col = vec![0i128; kb];
    let mut sum_sq = 0i128;
    for i in 0..ka {
        for j in 0..kb {
            let v = table[i * kb + j];
            row[i] += v;
            col[j] += v;
            sum_sq += v * v;
        }
    }
    let tp = sum_sq - n;
    let fp = row.iter().map(|r| r * r).sum::<i128>() - sum_sq;
    let fn_ = col.iter().map(|c| c * c).sum::<i128>() - sum_sq;
    let tn = n * n - fp - fn_ - sum_sq;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = 2.0 * (tp * tn - fn_ * fp) as f64;
    let den = ((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64;
    Ok(num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_is_one_for_relabelings_and_symmetric() {
        let a = [0, 0, 1, 1, 2, 2];
        let b = [5, 5, 3, 3, 9, 9];
        assert_eq!(adjusted_rand_index(&a, &b).unwrap(), 1.0);
        let c = [0, 1, 0, 1, 0, 1];
        assert_eq!(adjusted_rand_index(&a, &c).unwrap(), adjusted_rand_index(&c, &a).unwrap());
        assert!(adjusted_rand_index(&a, &c).unwrap() < 0.0);
        assert!(adjusted_rand_index(&a, &c[..5]).is_err());
    }

    #[test]
    fn sampled_silhouette_is_exact_at_full_size_and_seeded() {
        let x = faer::Mat::from_fn(60, 2, |i, j| (i % 3) as f64 * 5.0 + ((i * 7 + j) % 5) as f64 * 0.3);
        let l: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let exact = silhouette_score(x.as_ref(), &l).unwrap();
        assert_eq!(silhouette_score_sampled(x.as_ref(), &l, 60, 1).unwrap(), exact);
        let a = silhouette_score_sampled(x.as_ref(), &l, 30, 4).unwrap();
        assert_eq!(a, silhouette_score_sampled(x.as_ref(), &l, 30, 4).unwrap());
        assert!((a - exact).abs() < 0.2);
        assert!(silhouette_score(x.as_ref(), &[0; 60]).is_err());
    }
}
