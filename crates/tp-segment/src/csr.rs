//! A small compressed-sparse-row matrix for NMF on sparse counts.
//!
//! Row i's entries are `values[indptr[i]..indptr[i + 1]]` at columns
//! `indices[..]` (the layout of scipy's `csr_matrix`). Column indices within a
//! row need not be sorted; duplicates are rejected. The NMF passes read one
//! row block at a time, so the hot products are X_b·Hᵀ (a k-vector axpy per
//! non-zero) and W_bᵀ·X_b (a scatter of k-vectors into columns).

use crate::error::{Result, SegmentError, param};
use faer::{Mat, MatRef};

/// An n × m sparse matrix in CSR form (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f64>,
}

impl Csr {
    /// Build from CSR arrays, checking their shapes, the column indices
    /// (in range, no duplicates within a row) and that values are finite.
    pub fn new(
        nrows: usize,
        ncols: usize,
        indptr: Vec<usize>,
        indices: Vec<usize>,
        values: Vec<f64>,
    ) -> Result<Self> {
        if indptr.len() != nrows + 1 {
            return Err(SegmentError::Shape {
                what: "csr indptr length".into(),
                expected: format!("nrows + 1 = {}", nrows + 1),
                got: indptr.len().to_string(),
            });
        }
        if indices.len() != values.len() {
            return Err(SegmentError::Shape {
                what: "csr indices / values lengths".into(),
                expected: format!("equal lengths ({} values)", values.len()),
                got: indices.len().to_string(),
            });
        }
        if indptr[0] != 0 || indptr[nrows] != values.len() || indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err(param(
                "csr indptr",
                format!("[{}, .., {}]", indptr[0], indptr[nrows]),
                &format!("non-decreasing from 0 to the number of values ({})", values.len()),
            ));
        }
        let mut seen = vec![usize::MAX; ncols];
        for i in 0..nrows {
            for p in indptr[i]..indptr[i + 1] {
                let j = indices[p];
                if j >= ncols {
                    return Err(param(
                        &format!("csr column index at row {i}"),
                        j,
                        &format!("< ncols = {ncols}"),
                    ));
                }
                if seen[j] == i {
                    return Err(param(
                        &format!("csr row {i}"),
                        format!("column {j} twice"),
                        "each column at most once per row (sum duplicates first)",
                    ));
                }
                seen[j] = i;
                if !values[p].is_finite() {
                    return Err(SegmentError::NonFinite {
                        input: "csr values".into(),
                        row: i,
                        column: j,
                        value: values[p],
                    });
                }
            }
        }
        Ok(Self { nrows, ncols, indptr, indices, values })
    }

    /// The non-zero entries of a dense matrix, row by row.
    pub fn from_dense(x: MatRef<'_, f64>) -> Self {
        let (n, m) = (x.nrows(), x.ncols());
        let mut indptr = Vec::with_capacity(n + 1);
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        indptr.push(0);
        for i in 0..n {
            for j in 0..m {
                let v = x[(i, j)];
                if v != 0.0 {
                    indices.push(j);
                    values.push(v);
                }
            }
            indptr.push(values.len());
        }
        Self { nrows: n, ncols: m, indptr, indices, values }
    }

    /// The dense n × m matrix.
    pub fn to_dense(&self) -> Mat<f64> {
        let mut x = Mat::<f64>::zeros(self.nrows, self.ncols);
        for i in 0..self.nrows {
            for (j, v) in self.row(i) {
                x[(i, j)] = v;
            }
        }
        x
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// (column, value) of the stored entries of row i.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.indptr[i]..self.indptr[i + 1];
        self.indices[r.clone()].iter().copied().zip(self.values[r].iter().copied())
    }

    /// Column indices and values of row i as slices.
    pub(crate) fn row_slices(&self, i: usize) -> (&[usize], &[f64]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// The stored values (for sums and sign checks).
    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_validation() {
        let x = Mat::from_fn(3, 4, |i, j| if (i + j) % 3 == 0 { (i * 4 + j) as f64 + 1.0 } else { 0.0 });
        let c = Csr::from_dense(x.as_ref());
        assert_eq!(c.nnz(), 4);
        assert_eq!(c.to_dense(), x);
        assert!(Csr::new(2, 2, vec![0, 1], vec![0], vec![1.0]).is_err()); // indptr too short
        assert!(Csr::new(1, 2, vec![0, 1], vec![2], vec![1.0]).is_err()); // column out of range
        assert!(Csr::new(1, 2, vec![0, 2], vec![1, 1], vec![1.0, 2.0]).is_err()); // duplicate
        assert!(Csr::new(1, 2, vec![0, 1], vec![0], vec![f64::NAN]).is_err());
        let ok = Csr::new(2, 3, vec![0, 2, 2], vec![2, 0], vec![5.0, 1.0]).unwrap();
        assert_eq!(ok.row(0).collect::<Vec<_>>(), vec![(2, 5.0), (0, 1.0)]);
        assert_eq!(ok.to_dense()[(0, 2)], 5.0);
    }
}
