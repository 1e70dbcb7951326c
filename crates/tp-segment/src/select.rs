//! Model selection over a range of k, and the documented `auto` rules.
//!
//! - NMF rank ([`nmf_curve`], [`choose_factors`]): the smallest k whose
//!   centered explained variance reaches the target (default 0.90); if no k in
//!   the range reaches it, the "elbow": the k whose point (k, EV) lies farthest
//!   above the chord from the first to the last point of the curve (both axes
//!   scaled to [0, 1]); ties go to the smaller k.
//! - Number of clusters ([`kmeans_curve`], [`choose_clusters`]): the k with the
//!   lowest Davies–Bouldin index (compact, well-separated clusters; the rule of
//!   the reference case); ties go to the smaller k. Inertia, silhouette and
//!   Calinski–Harabasz are reported next to it for the analyst.

use crate::error::{Result, param};
use crate::kmeans::KMeansParams;
use crate::metrics::{calinski_harabasz_score, davies_bouldin_score, silhouette_auto};
use crate::nmf::NmfParams;
use faer::MatRef;

/// One point of the NMF rank curve.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NmfCurvePoint {
    /// Rank.
    pub k: usize,
    /// Error on scikit-learn's `reconstruction_err_` scale.
    pub objective: f64,
    /// Centered explained variance.
    pub explained_variance: f64,
    /// Total (uncentered) explained variance.
    pub explained_variance_total: f64,
    /// Iterations used.
    pub n_iter: usize,
}

/// One point of the K-Means curve.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KMeansCurvePoint {
    /// Number of clusters.
    pub k: usize,
    /// Within-cluster sum of squares.
    pub inertia: f64,
    /// Mean silhouette (exact up to 10k rows, seeded sample above).
    pub silhouette: f64,
    /// Davies–Bouldin index.
    pub davies_bouldin: f64,
    /// Calinski–Harabasz index.
    pub calinski_harabasz: f64,
}

fn check_range(name: &str, min: usize, max: usize, lowest: usize) -> Result<()> {
    if min < lowest || max < min {
        return Err(param(name, format!("{min}..={max}"), &format!("a range with {lowest} <= min <= max")));
    }
    Ok(())
}

/// Fit `params` at every rank in `min..=max`.
pub fn nmf_curve(
    x: MatRef<'_, f64>,
    params: &NmfParams,
    min: usize,
    max: usize,
) -> Result<Vec<NmfCurvePoint>> {
    check_range("factors range", min, max, 1)?;
    (min..=max)
        .map(|k| {
            let m = params.with_k(k).fit(x)?;
            let d = m.diagnostics();
            Ok(NmfCurvePoint {
                k,
                objective: d.objective,
                explained_variance: d.explained_variance,
                explained_variance_total: d.explained_variance_total,
                n_iter: d.n_iter,
            })
        })
        .collect()
}

/// The smallest k reaching `target` centered explained variance, else the elbow.
pub fn choose_factors(curve: &[NmfCurvePoint], target: f64) -> Option<usize> {
    if let Some(p) = curve.iter().find(|p| p.explained_variance >= target) {
        return Some(p.k);
    }
    let (first, last) = (curve.first()?, curve.last()?);
    if curve.len() < 3 {
        return Some(last.k);
    }
    let (k0, k1) = (first.k as f64, last.k as f64);
    let (e0, e1) = (first.explained_variance, last.explained_variance);
    let span = (e1 - e0).abs().max(f64::MIN_POSITIVE);
    let mut best = (f64::NEG_INFINITY, last.k);
    for p in curve {
        let t = (p.k as f64 - k0) / (k1 - k0);
        let above = (p.explained_variance - e0) / span - t * (e1 - e0) / span;
        if above > best.0 + 1e-12 {
            best = (above, p.k);
        }
    }
    Some(best.1)
}

/// Fit `params` for every k in `min..=max` and score each labeling.
/// `seed` drives the silhouette sample above 10k rows.
pub fn kmeans_curve(
    x: MatRef<'_, f64>,
    params: &KMeansParams,
    min: usize,
    max: usize,
    seed: u64,
) -> Result<Vec<KMeansCurvePoint>> {
    check_range("clusters range", min, max, 2)?;
    (min..=max)
        .map(|k| {
            let m = params.with_k(k).fit(x)?;
            score_labels(x, k, m.inertia(), m.labels(), seed)
        })
        .collect()
}

pub(crate) fn score_labels(
    x: MatRef<'_, f64>,
    k: usize,
    inertia: f64,
    labels: &[usize],
    seed: u64,
) -> Result<KMeansCurvePoint> {
    Ok(KMeansCurvePoint {
        k,
        inertia,
        silhouette: silhouette_auto(x, labels, seed)?,
        davies_bouldin: davies_bouldin_score(x, labels)?,
        calinski_harabasz: calinski_harabasz_score(x, labels)?,
    })
}

/// The k with the lowest Davies–Bouldin index (the smaller k on ties).
pub fn choose_clusters(curve: &[KMeansCurvePoint]) -> Option<usize> {
    curve
        .iter()
        .fold(None::<&KMeansCurvePoint>, |b, p| match b {
            Some(b) if b.davies_bouldin <= p.davies_bouldin => Some(b),
            _ => Some(p),
        })
        .map(|p| p.k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nmf_pt(k: usize, ev: f64) -> NmfCurvePoint {
        NmfCurvePoint {
            k,
            objective: 1.0 - ev,
            explained_variance: ev,
            explained_variance_total: ev,
            n_iter: 1,
        }
    }

    fn km_pt(k: usize, dbi: f64) -> KMeansCurvePoint {
        KMeansCurvePoint { k, inertia: 1.0, silhouette: 0.0, davies_bouldin: dbi, calinski_harabasz: 1.0 }
    }

    #[test]
    fn factors_rule_takes_smallest_rank_reaching_target() {
        let c = [nmf_pt(2, 0.7), nmf_pt(3, 0.91), nmf_pt(4, 0.95)];
        assert_eq!(choose_factors(&c, 0.9), Some(3));
        assert_eq!(choose_factors(&c, 0.6), Some(2));
    }

    #[test]
    fn factors_rule_falls_back_to_the_elbow() {
        // steep gain to k = 4, flat after: the elbow is 4
        let c = [nmf_pt(2, 0.2), nmf_pt(3, 0.45), nmf_pt(4, 0.7), nmf_pt(5, 0.72), nmf_pt(6, 0.74)];
        assert_eq!(choose_factors(&c, 0.9), Some(4));
        assert_eq!(choose_factors(&[], 0.9), None);
    }

    #[test]
    fn clusters_rule_takes_lowest_dbi_smaller_k_on_ties() {
        let c = [km_pt(2, 0.9), km_pt(3, 0.5), km_pt(4, 0.5), km_pt(5, 0.7)];
        assert_eq!(choose_clusters(&c), Some(3));
    }

    #[test]
    fn cluster_curve_finds_planted_k() {
        // four tight groups far apart on a line
        let x =
            faer::Mat::from_fn(80, 2, |i, j| (i / 20) as f64 * 10.0 + 0.01 * ((i * 7 + j * 3) % 11) as f64);
        let params = crate::KMeans::params(2).seed(5);
        let curve = kmeans_curve(x.as_ref(), &params, 2, 6, 1).unwrap();
        assert_eq!(choose_clusters(&curve), Some(4));
        assert!(kmeans_curve(x.as_ref(), &params, 1, 3, 1).is_err());
    }
}
