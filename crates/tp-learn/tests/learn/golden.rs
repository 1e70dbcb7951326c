//! Coefficients against scikit-learn (testdata/learn/linear_golden.json,
//! made by xtask/peers/learn_golden.py).

use serde_json::Value;
use tp_core::faer::Mat;
use tp_learn::{LinearRegression, LogisticRegression};

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/learn/linear_golden.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read golden file")).expect("parse golden")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|a| a.as_f64().unwrap()).collect()
}

#[test]
fn linear_and_logistic_match_sklearn() {
    let g = golden();
    let input = &g["input"];
    let rows: Vec<Vec<f64>> = input["x"].as_array().unwrap().iter().map(floats).collect();
    let x = Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j]);
    let y = floats(&input["y"]);
    let yb = floats(&input["y_binary"]);
    let w = floats(&input["weights"]);
    let tol = g["tolerance"].as_f64().unwrap();
    let cases = g["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let weights = if case["weighted"].as_bool().unwrap() { Some(w.as_slice()) } else { None };
        let (coef, intercept) = match case["model"].as_str().unwrap() {
            "ols" => {
                let m = LinearRegression::params().fit(x.as_ref(), &y, weights).unwrap();
                (m.coef().to_vec(), m.intercept())
            }
            "ridge" => {
                let alpha = case["params"]["alpha"].as_f64().unwrap();
                let m = LinearRegression::params().alpha(alpha).fit(x.as_ref(), &y, weights).unwrap();
                (m.coef().to_vec(), m.intercept())
            }
            "logistic" => {
                let l2 = case["params"]["l2"].as_f64().unwrap();
                let m = LogisticRegression::params().l2(l2).fit(x.as_ref(), &yb, weights).unwrap();
                assert!(m.converged());
                (m.coef().to_vec(), m.intercept())
            }
            other => panic!("unknown model {other}"),
        };
        let want = floats(&case["coef"]);
        for (j, (a, b)) in coef.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= tol, "{case}: coef {j}: {a} vs sklearn {b}");
        }
        let b = case["intercept"].as_f64().unwrap();
        assert!((intercept - b).abs() <= tol, "{case}: intercept {intercept} vs sklearn {b}");
    }
}
