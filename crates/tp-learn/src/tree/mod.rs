//! The histogram tree engine shared by random forests, gradient boosting
//! and (in tp-uplift) causal and uplift forests.
//!
//! - [`BinMapper`] / [`BinnedMatrix`]: features quantile-binned into ≤ 255
//!   `u8` codes per column, NaN with its own code;
//! - [`SplitCriterion`]: the pluggable scoring of splits over per-bin
//!   sufficient statistics ([`VarianceCriterion`], [`ClassificationCriterion`]
//!   with Gini or entropy, [`NewtonCriterion`] for boosting);
//! - [`grow_tree`]: depth-limited growth with `min_samples_leaf`, `min_gain`,
//!   per-node feature subsampling (mtry), the histogram subtraction trick;
//! - [`Tree`]: the fitted tree, predicting from raw or binned rows (or, packed
//!   8 bytes a node as a [`PackedTree`], from many rows of codes), with
//!   [`Tree::reestimate`] for honest leaves.

mod binning;
mod criterion;
mod grow;
mod model;

pub use binning::{BinMapper, BinnedMatrix};
pub use criterion::{
    ClassificationCriterion, FixedPoint, GradHess, Impurity, NewtonCriterion, SplitCriterion,
    VarianceCriterion, WeightedSum, exact_sum,
};
pub use grow::{GrownTree, TreeParams, grow_tree, grow_tree_routing};
pub use model::{Node, PackedTree, Tree};

#[cfg(test)]
mod tests {
    use super::*;
    use tp_core::faer::Mat;
    use tp_core::rng::stream;

    fn sse(tree: &Tree<f64>, x: &Mat<f64>, y: &[f64]) -> f64 {
        (0..y.len()).map(|i| (y[i] - tree.predict_row(x.as_ref(), i)).powi(2)).sum()
    }

    #[test]
    fn step_function_is_found_exactly_with_nan_routed() {
        let n = 400;
        let x = Mat::from_fn(n, 2, |i, j| {
            if j == 0 {
                if i % 10 == 0 { f64::NAN } else { (i % 100) as f64 }
            } else {
                ((i * 37) % 11) as f64
            }
        });
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let v = x[(i, 0)];
                if v.is_nan() {
                    5.0
                } else if v < 50.0 {
                    1.0
                } else {
                    3.0
                }
            })
            .collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let params = TreeParams { max_depth: 3, ..TreeParams::default() };
        let grown = grow_tree(&data, &mapper, &crit, (0..n as u32).collect(), &params, &mut stream(0, 1));
        assert!(sse(&grown.tree, &x, &y) < 1e-18);
        assert_eq!(grown.tree.n_leaves(), 3);
        let total: usize = grown.leaf_ranges.iter().map(|(a, b)| b - a).sum();
        assert_eq!(total, n);
        for (k, &(a, b)) in grown.leaf_ranges.iter().enumerate() {
            for &r in &grown.rows[a..b] {
                assert_eq!(grown.tree.leaf_index_binned(&data, r as usize), k);
                assert_eq!(grown.tree.leaf_index(x.as_ref(), r as usize), k);
            }
        }
    }

    #[test]
    fn dense_and_sparse_paths_agree() {
        // the same data grown with everything dense (root only) and in small nodes
        let n = 3000;
        let x = Mat::from_fn(n, 3, |i, j| (((i * (7 + j * 13)) % 101) as f64).sin() * 10.0);
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)] * x[(i, 1)] + x[(i, 2)]).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let params = TreeParams { max_depth: 12, min_samples_leaf: 3, ..TreeParams::default() };
        let a = grow_tree(&data, &mapper, &crit, (0..n as u32).collect(), &params, &mut stream(0, 1));
        // reversed row order: the fixed-point sums are exact, so the trees are identical
        let b = grow_tree(&data, &mapper, &crit, (0..n as u32).rev().collect(), &params, &mut stream(0, 1));
        assert_eq!(a.tree, b.tree);
        assert!(sse(&a.tree, &x, &y) < 0.2 * y.iter().map(|v| v * v).sum::<f64>());
    }

    #[test]
    fn passengers_and_code_rows_reach_the_leaf_a_traversal_reaches() {
        let n = 4000;
        let x = Mat::from_fn(n, 4, |i, j| {
            if (i + j) % 29 == 0 { f64::NAN } else { (((i * (5 + j * 11)) % 211) as f64).sin() }
        });
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)].max(0.0) + x[(i, 1)] * x[(i, 2)]).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let params =
            TreeParams { max_depth: 14, min_samples_leaf: 2, mtry: Some(2), ..TreeParams::default() };
        // even rows train, odd rows ride along
        let train: Vec<u32> = (0..n as u32).step_by(2).collect();
        let riders: Vec<u32> = (1..n as u32).step_by(2).collect();
        let g = grow_tree_routing(&data, &mapper, &crit, train, riders, &params, &mut stream(2, 1));
        assert_eq!(g.passengers.len(), n / 2);
        let nan_codes = mapper.nan_codes();
        let mut codes = vec![0u8; n * 4];
        mapper.bin_rows(x.as_ref(), 0, &mut codes);
        let packed = g.tree.packed().expect("a grown tree packs");
        for (k, &(a, b)) in g.passenger_ranges.iter().enumerate() {
            for &r in &g.passengers[a..b] {
                let r = r as usize;
                assert_eq!(g.tree.leaf_index(x.as_ref(), r), k);
                assert_eq!(g.tree.leaf_index_codes(&codes[r * 4..r * 4 + 4], &nan_codes), k);
                assert_eq!(packed.leaf_index(&codes[r * 4..r * 4 + 4], &nan_codes), k);
                assert_eq!(data.row(r), &codes[r * 4..r * 4 + 4]);
            }
        }
        // eight rows walked together, a fixed number of steps, reach the same leaves (NaN rows
        // and leaves at every depth among them)
        let depth = packed.depth();
        assert!(depth > 3 && depth <= 14, "depth {depth}");
        for start in (0..n - 8).step_by(8) {
            let k: [usize; 8] = packed.leaf_indices(&codes[start * 4..(start + 8) * 4], &nan_codes, depth);
            for (j, &kj) in k.iter().enumerate() {
                assert_eq!(kj, g.tree.leaf_index(x.as_ref(), start + j), "row {}", start + j);
            }
        }
    }

    #[test]
    fn sampled_feature_histograms_partition_rows_consistently() {
        // mtry = 1 of 3: histograms of the sampled feature only, no subtraction
        let n = 5000;
        let x = Mat::from_fn(n, 3, |i, j| (((i * (7 + j * 13)) % 997) as f64).cos());
        let y: Vec<f64> = (0..n).map(|i| x[(i, 0)] + 2.0 * x[(i, 1)] - x[(i, 2)]).collect();
        let w = vec![1.0; n];
        let mapper = BinMapper::fit(x.as_ref(), 255, &mut stream(0, 0));
        let data = mapper.transform(x.as_ref());
        let crit = VarianceCriterion::new(&y, &w);
        let params =
            TreeParams { max_depth: 10, min_samples_leaf: 5, mtry: Some(1), ..TreeParams::default() };
        let g = grow_tree(&data, &mapper, &crit, (0..n as u32).collect(), &params, &mut stream(3, 1));
        for (k, &(a, b)) in g.leaf_ranges.iter().enumerate() {
            assert!(b - a >= 5);
            for &r in &g.rows[a..b] {
                assert_eq!(g.tree.leaf_index(x.as_ref(), r as usize), k);
            }
        }
        let mean = y.iter().sum::<f64>() / n as f64;
        let sst: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
        assert!(sse(&g.tree, &x, &y) < 0.1 * sst);
    }
}
