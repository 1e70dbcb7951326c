//! Applying fitted K-Means centers to rows anywhere: the assignment of each row, and the
//! [`Mergeable`] summary of an assigned table (cluster sizes, coordinate sums, inertia).
//!
//! A row's cluster is its nearest center by `Σ_t (x_t − c_t)²`, summed in column order, lowest
//! index on a tie: it reads only that row, so labels are the same wherever a row lies — any
//! partitioning gives the labels of one pass. The summary holds integer counts and
//! [`ExactSum`]s, so sizes, means and inertia are **exact under partitioning** (the same bits).
//! The means are the centers one Lloyd step would move to: with mini-batch or streaming data,
//! they update a model without a second pass.

use crate::error::{Result, SegmentError, check_finite};
use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};
use tp_core::{ExactSum, Mergeable};

/// Fitted centers (`k × d`), the context of [`AssignSums`].
#[derive(Debug, Clone, PartialEq)]
pub struct Centers {
    k: usize,
    d: usize,
    /// Row-major `k × d`.
    data: Vec<f64>,
}

impl Centers {
    /// Centers from a `k × d` matrix (e.g. [`crate::KMeans::centers`]); errors when empty or not
    /// finite.
    pub fn new(centers: MatRef<'_, f64>) -> Result<Centers> {
        let (k, d) = (centers.nrows(), centers.ncols());
        if k == 0 || d == 0 {
            return Err(SegmentError::Shape {
                what: "centers".into(),
                expected: "at least one center of at least one column".into(),
                got: format!("{k} × {d}"),
            });
        }
        check_finite("centers", centers)?;
        Ok(Centers { k, d, data: (0..k).flat_map(|c| (0..d).map(move |t| centers[(c, t)])).collect() })
    }

    /// Number of centers.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The nearest center of `row` and its squared distance.
    fn nearest(&self, row: &[f64]) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (c, center) in self.data.chunks_exact(self.d).enumerate() {
            let mut s = 0.0;
            for (x, m) in row.iter().zip(center) {
                let diff = x - m;
                s += diff * diff;
            }
            if s < best.1 {
                best = (c, s);
            }
        }
        best
    }

    /// The cluster of every row of `x` (`n × d`); errors on a column-count mismatch or a
    /// non-finite value (naming row and column).
    pub fn assign(&self, x: MatRef<'_, f64>) -> Result<Vec<usize>> {
        Ok(self.assign_with_distances(x)?.0)
    }

    fn assign_with_distances(&self, x: MatRef<'_, f64>) -> Result<(Vec<usize>, Vec<f64>)> {
        if x.ncols() != self.d {
            return Err(SegmentError::Shape {
                what: "rows to assign".into(),
                expected: format!("{} columns (the centers' width)", self.d),
                got: format!("{} columns", x.ncols()),
            });
        }
        check_finite("rows to assign", x)?;
        let mut row = vec![0.0; self.d];
        let mut labels = Vec::with_capacity(x.nrows());
        let mut dist = Vec::with_capacity(x.nrows());
        for i in 0..x.nrows() {
            row.iter_mut().enumerate().for_each(|(t, v)| *v = x[(i, t)]);
            let (c, s) = self.nearest(&row);
            labels.push(c);
            dist.push(s);
        }
        Ok((labels, dist))
    }
}

/// The summary of assigned rows: per cluster the row count and exact coordinate sums, and the
/// exact inertia `Σ ‖x_i − c_{label_i}‖²`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignSums {
    k: usize,
    d: usize,
    counts: Vec<u64>,
    /// Row-major `k × d`.
    sums: Vec<ExactSum>,
    inertia: ExactSum,
}

/// What [`AssignSums`] finishes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignSummary {
    /// Rows per cluster.
    pub sizes: Vec<u64>,
    /// Mean of each cluster's rows, row-major `k × d` (NaN for an empty cluster): the centers
    /// after one Lloyd step.
    pub means: Vec<f64>,
    /// `Σ ‖x_i − c_{label_i}‖²` over all rows.
    pub inertia: f64,
}

impl AssignSummary {
    /// The means as a `k × d` matrix.
    pub fn means_matrix(&self) -> Mat<f64> {
        let k = self.sizes.len();
        let d = self.means.len().checked_div(k).unwrap_or(0);
        Mat::from_fn(k, d, |c, t| self.means[c * d + t])
    }
}

impl AssignSums {
    /// Labels of `x` with the summary of its rows (one pass).
    pub fn assign(centers: &Centers, x: MatRef<'_, f64>) -> Result<(Vec<usize>, AssignSums)> {
        let (labels, dist) = centers.assign_with_distances(x)?;
        let mut s = AssignSums::empty(centers)?;
        for (i, (&c, &dd)) in labels.iter().zip(&dist).enumerate() {
            s.counts[c] += 1;
            for t in 0..s.d {
                s.sums[c * s.d + t].add(x[(i, t)]);
            }
            s.inertia.add(dd);
        }
        Ok((labels, s))
    }
}

impl Mergeable for AssignSums {
    type Context = Centers;
    type Part<'a> = MatRef<'a, f64>;
    type Output = AssignSummary;
    type Error = SegmentError;

    fn empty(c: &Centers) -> Result<AssignSums> {
        Ok(AssignSums {
            k: c.k,
            d: c.d,
            counts: vec![0; c.k],
            sums: vec![ExactSum::new(); c.k * c.d],
            inertia: ExactSum::new(),
        })
    }

    fn map(c: &Centers, x: MatRef<'_, f64>) -> Result<AssignSums> {
        Ok(AssignSums::assign(c, x)?.1)
    }

    fn merge(mut self, o: AssignSums) -> Result<AssignSums> {
        if (self.k, self.d) != (o.k, o.d) || o.counts.len() != o.k || o.sums.len() != o.k * o.d {
            return Err(SegmentError::Shape {
                what: "assignment summaries to merge".into(),
                expected: format!("{} centers × {} columns", self.k, self.d),
                got: format!("{} centers × {} columns", o.k, o.d),
            });
        }
        self.counts.iter_mut().zip(&o.counts).for_each(|(a, b)| *a += b);
        self.sums.iter_mut().zip(&o.sums).for_each(|(a, b)| a.add_sum(b));
        self.inertia.add_sum(&o.inertia);
        Ok(self)
    }

    fn finish(self, c: &Centers) -> Result<AssignSummary> {
        if (self.k, self.d) != (c.k, c.d) {
            return Err(SegmentError::Shape {
                what: "assignment summary".into(),
                expected: format!("{} centers × {} columns", c.k, c.d),
                got: format!("{} centers × {} columns", self.k, self.d),
            });
        }
        let means = (0..self.k * self.d)
            .map(|j| {
                let n = self.counts[j / self.d];
                if n == 0 { f64::NAN } else { self.sums[j].value() / n as f64 }
            })
            .collect();
        Ok(AssignSummary { sizes: self.counts, means, inertia: self.inertia.value() })
    }
}
