//! The segment driver: NMF factors → K-Means segments of customer features, and the segment
//! table (`<id>, segment, factor_1 … factor_K`) that `tp segment` and `tp run` write.

use anyhow::Result;
use tp_core::faer::MatRef;
use tp_core::{Column, Table};
use tp_segment::{PipelineParams, SegmentResult};

/// The segmentation and its table.
#[derive(Debug, Clone)]
pub struct Segmented {
    /// Labels, factors, model selection, stability, segment summaries.
    pub result: SegmentResult,
    /// `<id>, segment, factor_1 … factor_K`, one row per customer.
    pub table: Table,
}

/// Segments the rows of `x` (non-negative features named `features`, one row per customer
/// with id `ids[i]`), reporting each segment's share of `value` when given.
pub fn segment(
    params: &PipelineParams,
    x: MatRef<'_, f64>,
    features: &[String],
    value: Option<&[f64]>,
    ids: &Column,
) -> Result<Segmented> {
    let result = params.fit_with_value(x, features, value)?;
    let mut cols =
        vec![ids.clone(), Column::i64("segment", result.labels.iter().map(|&l| l as i64).collect())];
    for t in 0..result.k_factors {
        cols.push(Column::f64(format!("factor_{}", t + 1), result.w.col(t).iter().copied().collect()));
    }
    let table = Table::new(cols)?;
    Ok(Segmented { result, table })
}
