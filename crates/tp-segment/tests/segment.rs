//! Integration tests of tp-segment: golden cases against scikit-learn
//! (testdata/segment, copied unchanged from the shared fixtures), property
//! tests, and recovery of planted structure.

use faer::Mat;
use serde_json::Value;
use tp_segment::metrics::{
    adjusted_rand_index, calinski_harabasz_score, davies_bouldin_score, silhouette_score,
};
use tp_segment::{Algorithm, KMeans};

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../testdata/segment/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture present")).expect("valid json")
}

fn mat(v: &Value) -> Mat<f64> {
    let rows = v.as_array().unwrap();
    let d = rows[0].as_array().unwrap().len();
    Mat::from_fn(rows.len(), d, |i, j| rows[i][j].as_f64().unwrap())
}

fn labels(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|l| l.as_u64().unwrap() as usize).collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn kmeans_lloyd_matches_sklearn_trajectory() {
    let f = fixture("kmeans.json");
    let x = mat(&f["x"]);
    let init = mat(&f["init_centers"]);
    for algo in [Algorithm::Lloyd, Algorithm::Hamerly] {
        // the fixture ran with tol = 0: only strict convergence stops it
        let m = KMeans::params(3)
            .tol(0.0)
            .algorithm(algo)
            .fit_from_centers(x.as_ref(), init.as_ref(), None)
            .unwrap();
        assert_eq!(m.labels(), labels(&f["labels"]).as_slice(), "{algo:?}");
        let c = mat(&f["centers"]);
        for j in 0..3 {
            for t in 0..4 {
                assert!(close(m.centers()[(j, t)], c[(j, t)], 1e-9), "{algo:?} center {j},{t}");
            }
        }
        assert!(close(m.inertia(), f["inertia"].as_f64().unwrap(), 1e-9), "{algo:?} inertia {}", m.inertia());
        assert_eq!(m.diagnostics().n_iter as u64, f["n_iter"].as_u64().unwrap(), "{algo:?}");
        assert!(m.diagnostics().converged);
    }
}

#[test]
fn metrics_match_sklearn() {
    let f = fixture("kmeans.json");
    let x = mat(&f["x"]);
    let l = labels(&f["labels"]);
    let got = [
        ("silhouette", silhouette_score(x.as_ref(), &l).unwrap()),
        ("davies_bouldin", davies_bouldin_score(x.as_ref(), &l).unwrap()),
        ("calinski_harabasz", calinski_harabasz_score(x.as_ref(), &l).unwrap()),
        ("adjusted_rand", adjusted_rand_index(&l, &labels(&f["ari_other_labels"])).unwrap()),
    ];
    for (name, v) in got {
        let want = f[name].as_f64().unwrap();
        assert!(close(v, want, 1e-9), "{name}: {v} vs {want}");
    }
}
