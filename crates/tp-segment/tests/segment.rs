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

#[test]
fn nmf_reaches_sklearn_objective() {
    use tp_segment::{Loss, Nmf, Solver};
    let f = fixture("nmf.json");
    let x = mat(&f["x"]);
    for (case, solver, loss) in [
        ("cd_frobenius", Solver::Cd, Loss::Frobenius),
        ("mu_frobenius", Solver::Mu, Loss::Frobenius),
        ("mu_kullback_leibler", Solver::Mu, Loss::KullbackLeibler),
    ] {
        let peer = f["results"][case]["reconstruction_err"].as_f64().unwrap();
        let m = Nmf::params(4).solver(solver).loss(loss).tol(1e-10).max_iter(20_000).fit(x.as_ref()).unwrap();
        let d = m.diagnostics();
        eprintln!("{case}: ours {} (n_iter {}) vs sklearn {peer}", d.objective, d.n_iter);
        assert!(d.objective <= peer * 1.001, "{case}: {} > {peer} * 1.001", d.objective);
        assert!(m.w().col_iter().all(|c| c.iter().all(|v| *v >= 0.0)));
        assert!(m.h().col_iter().all(|c| c.iter().all(|v| *v >= 0.0)));
    }
}
