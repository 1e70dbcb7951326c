//! Segment and factor summaries: what a segment is and what a factor means.

use crate::error::{Result, SegmentError};
use faer::MatRef;

/// Profile of one segment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentProfile {
    /// Segment id (0..k).
    pub segment: usize,
    /// Rows in the segment.
    pub size: usize,
    /// size / n.
    pub share: f64,
    /// The segment's share of the value column's total (e.g. revenue), if given.
    pub value_share: Option<f64>,
    /// Mean of each feature in the segment.
    pub means: Vec<f64>,
    /// (segment mean − overall mean) / overall sd per feature (0 where sd = 0).
    pub z_scores: Vec<f64>,
}

/// The top-loading input columns of one NMF factor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FactorColumns {
    /// Factor index (0..k).
    pub factor: usize,
    /// (column name, share of the factor's loading mass H_tj / Σ_j H_tj), largest first.
    pub top: Vec<(String, f64)>,
}

/// Per-segment size, value share, feature means and z-scores.
pub fn segment_profiles(
    x: MatRef<'_, f64>,
    labels: &[usize],
    k: usize,
    value: Option<&[f64]>,
) -> Result<Vec<SegmentProfile>> {
    let (n, m) = (x.nrows(), x.ncols());
    let shape = |what: &str, got: usize| SegmentError::Shape {
        what: what.into(),
        expected: n.to_string(),
        got: got.to_string(),
    };
    if labels.len() != n {
        return Err(shape("segment labels length", labels.len()));
    }
    if let Some(v) = value.filter(|v| v.len() != n) {
        return Err(shape("value column length", v.len()));
    }
    if let Some(i) = labels.iter().position(|&l| l >= k) {
        return Err(crate::error::param(
            &format!("label at row {i}"),
            labels[i],
            &format!("a segment id below k = {k}"),
        ));
    }
    let mut sizes = vec![0usize; k];
    let mut sums = vec![0.0; k * m];
    let mut values = vec![0.0; k];
    for (i, &l) in labels.iter().enumerate() {
        sizes[l] += 1;
        for j in 0..m {
            sums[l * m + j] += x[(i, j)];
        }
        if let Some(v) = value {
            values[l] += v[i];
        }
    }
    let total_value: f64 = values.iter().sum();
    let (mut mean, mut sd) = (vec![0.0; m], vec![0.0; m]);
    for j in 0..m {
        let c = x.col(j);
        mean[j] = c.sum() / n as f64;
        sd[j] = ((0..n).map(|i| (c[i] - mean[j]).powi(2)).sum::<f64>() / n as f64).sqrt();
    }
    Ok((0..k)
        .map(|l| {
            let means: Vec<f64> =
                (0..m).map(|j| if sizes[l] > 0 { sums[l * m + j] / sizes[l] as f64 } else { 0.0 }).collect();
            let z_scores =
                (0..m).map(|j| if sd[j] > 0.0 { (means[j] - mean[j]) / sd[j] } else { 0.0 }).collect();
            SegmentProfile {
                segment: l,
                size: sizes[l],
                share: sizes[l] as f64 / n as f64,
                value_share: value.map(|_| if total_value != 0.0 { values[l] / total_value } else { 0.0 }),
                means,
                z_scores,
            }
        })
        .collect())
}

/// For each row of H (k × m), the `top` columns with the largest loadings.
pub fn factor_top_columns(h: MatRef<'_, f64>, names: &[String], top: usize) -> Result<Vec<FactorColumns>> {
    if names.len() != h.ncols() {
        return Err(SegmentError::Shape {
            what: "column names".into(),
            expected: h.ncols().to_string(),
            got: names.len().to_string(),
        });
    }
    Ok((0..h.nrows())
        .map(|t| {
            let row = h.row(t);
            let total: f64 = row.iter().sum();
            let mut order: Vec<usize> = (0..h.ncols()).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            let top = order
                .into_iter()
                .take(top)
                .map(|j| (names[j].clone(), if total > 0.0 { row[j] / total } else { 0.0 }))
                .collect();
            FactorColumns { factor: t, top }
        })
        .collect())
}
