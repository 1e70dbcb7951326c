//! Curves and scores against scikit-uplift 0.5.1
//! (testdata/uplift/uplift_metrics.json, copied from the shared fixtures).

use serde_json::Value;
use tp_uplift::evaluate::curves::{
    AtKStrategy, TopK, qini_auc, qini_curve, uplift_at_k, uplift_auc, uplift_curve,
};

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/uplift/uplift_metrics.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read golden file")).expect("parse golden")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|a| a.as_f64().unwrap()).collect()
}

fn close(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= 1e-9, "{what}: {got} vs scikit-uplift {want}");
}

fn close_all(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: number of points");
    for (j, (a, b)) in got.iter().zip(want).enumerate() {
        close(&format!("{what}[{j}]"), *a, *b);
    }
}

#[test]
fn binary_outcome_matches_scikit_uplift() {
    let g = golden();
    let y = floats(&g["y_binary"]);
    let t: Vec<usize> = floats(&g["treatment"]).iter().map(|&v| v as usize).collect();
    let s = floats(&g["score"]);
    let r = &g["results"]["binary"];
    close("qini_auc_score", qini_auc(&y, &t, &s).unwrap().normalized, r["qini_auc_score"].as_f64().unwrap());
    close(
        "uplift_auc_score",
        uplift_auc(&y, &t, &s).unwrap().normalized,
        r["uplift_auc_score"].as_f64().unwrap(),
    );
    close(
        "uplift_at_30 overall",
        uplift_at_k(&y, &t, &s, TopK::Share(0.3), AtKStrategy::Overall).unwrap(),
        r["uplift_at_30_overall"].as_f64().unwrap(),
    );
    close(
        "uplift_at_30 by_group",
        uplift_at_k(&y, &t, &s, TopK::Share(0.3), AtKStrategy::ByGroup).unwrap(),
        r["uplift_at_30_by_group"].as_f64().unwrap(),
    );
    let q = qini_curve(&y, &t, &s).unwrap();
    close_all("qini x", &q.n_targeted, &floats(&r["qini_curve_x"]));
    close_all("qini y", &q.value, &floats(&r["qini_curve_y"]));
    let u = uplift_curve(&y, &t, &s).unwrap();
    close_all("uplift x", &u.n_targeted, &floats(&r["uplift_curve_x"]));
    close_all("uplift y", &u.value, &floats(&r["uplift_curve_y"]));
    // the raw areas (curve minus random line) from scikit-uplift's own points
    let raw = |x: &[f64], v: &[f64]| {
        let area: f64 = (1..x.len()).map(|j| (x[j] - x[j - 1]) * (v[j] + v[j - 1]) / 2.0).sum();
        area - x[x.len() - 1] * v[v.len() - 1] / 2.0
    };
    let want_q = raw(&floats(&r["qini_curve_x"]), &floats(&r["qini_curve_y"]));
    let want_u = raw(&floats(&r["uplift_curve_x"]), &floats(&r["uplift_curve_y"]));
    let (gq, gu) = (qini_auc(&y, &t, &s).unwrap(), uplift_auc(&y, &t, &s).unwrap());
    assert!((gq.raw() - want_q).abs() <= 1e-9 * want_q.abs().max(1.0), "raw qini {} vs {want_q}", gq.raw());
    assert!((gu.raw() - want_u).abs() <= 1e-9 * want_u.abs().max(1.0), "raw uplift {} vs {want_u}", gu.raw());
    // normalized = raw / (perfect − random)
    close("qini normalized", gq.normalized, gq.raw() / (gq.perfect_area - gq.random_area));
}

#[test]
fn continuous_outcome_curves_are_defined() {
    // scikit-uplift refuses continuous outcomes; tp computes the same curve
    // formulas, and a perfect ranking scores exactly 1 on the Qini scale.
    let g = golden();
    let y = floats(&g["y_continuous"]);
    let t: Vec<usize> = floats(&g["treatment"]).iter().map(|&v| v as usize).collect();
    let perfect: Vec<f64> = y.iter().zip(&t).map(|(y, &t)| y * (2.0 * t as f64 - 1.0)).collect();
    close("perfect qini", qini_auc(&y, &t, &perfect).unwrap().normalized, 1.0);
    let s = floats(&g["score"]);
    let q = qini_auc(&y, &t, &s).unwrap();
    assert!(q.normalized.is_finite());
}
