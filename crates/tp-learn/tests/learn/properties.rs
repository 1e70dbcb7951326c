//! Property tests: invariants that must hold on any input.

use proptest::prelude::*;
use tp_core::faer::Mat;
use tp_learn::LinearRegression;

fn design(n: usize, p: usize, vals: &[f64]) -> Mat<f64> {
    Mat::from_fn(n, p, |i, j| vals[(i * p + j) % vals.len()] + ((i * 31 + j * 17) % 13) as f64 * 0.37)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Weighted OLS residuals are orthogonal to every column and to the
    /// intercept: Xᵀ W r = 0 and 1ᵀ W r = 0 (scaled by the problem size).
    #[test]
    fn ols_residuals_are_orthogonal_to_x(
        vals in prop::collection::vec(-10.0f64..10.0, 30..200),
        ys in prop::collection::vec(-100.0f64..100.0, 30..200),
        ws in prop::collection::vec(0.1f64..5.0, 30..200),
        p in 1usize..5,
    ) {
        let n = 30;
        let x = design(n, p, &vals);
        let y: Vec<f64> = (0..n).map(|i| ys[i % ys.len()]).collect();
        let w: Vec<f64> = (0..n).map(|i| ws[i % ws.len()]).collect();
        let m = match LinearRegression::params().fit(x.as_ref(), &y, Some(&w)) {
            Ok(m) => m,
            Err(tp_learn::LearnError::Collinear { .. }) => return Ok(()),
            Err(e) => panic!("{e}"),
        };
        let pred = m.predict(x.as_ref()).unwrap();
        let r: Vec<f64> = (0..n).map(|i| w[i] * (y[i] - pred[i])).collect();
        let scale = y.iter().map(|v| v.abs()).fold(1.0, f64::max) * w.iter().sum::<f64>();
        let s0: f64 = r.iter().sum();
        prop_assert!(s0.abs() <= 1e-9 * scale, "intercept: {s0}");
        for j in 0..p {
            let xs = (0..n).map(|i| x[(i, j)].abs()).fold(1.0, f64::max);
            let s: f64 = (0..n).map(|i| r[i] * x[(i, j)]).sum();
            prop_assert!(s.abs() <= 1e-8 * scale * xs, "column {j}: {s}");
        }
    }
}
