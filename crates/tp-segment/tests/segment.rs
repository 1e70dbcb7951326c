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

// ---------- helpers for synthetic data ----------

use rand::Rng;
use tp_segment::{Choice, Init, Loss, Nmf, SegmentError, SegmentPipeline, Solver};

/// Gaussian blobs: `k` centers on a grid `spread` apart, `per` rows each, unit noise.
fn blobs(k: usize, per: usize, d: usize, spread: f64, seed: u64) -> (Mat<f64>, Vec<usize>) {
    let mut rng = tp_core::rng::stream(seed, 0);
    let mut normal = move || {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let truth: Vec<usize> = (0..k * per).map(|i| i / per).collect();
    let x = Mat::from_fn(k * per, d, |i, j| {
        let c = truth[i];
        let center = if j == c % d { spread * (1 + c / d) as f64 } else { 0.0 };
        center + normal()
    });
    (x, truth)
}

/// Planted segments: `k` archetype profiles over `m` columns (each archetype
/// loads on its own block of columns), rows are Poisson-like counts.
fn planted_counts(k: usize, per: usize, m: usize, seed: u64) -> (Mat<f64>, Vec<usize>) {
    let mut rng = tp_core::rng::stream(seed, 1);
    let truth: Vec<usize> = (0..k * per).map(|i| i % k).collect();
    let mut x = Mat::<f64>::zeros(k * per, m);
    for i in 0..k * per {
        let scale = 0.5 + rng.random::<f64>();
        for j in 0..m {
            let mean = if j * k / m == truth[i] { 20.0 * scale } else { 1.0 };
            // Poisson by inversion (means up to 30)
            let (mut p, mut c, u) = ((-mean).exp(), 0.0, rng.random::<f64>());
            let mut cdf = p;
            while u > cdf && c < 200.0 {
                c += 1.0;
                p *= mean / c;
                cdf += p;
            }
            x[(i, j)] = c;
        }
    }
    (x, truth)
}

#[test]
fn hamerly_equals_lloyd_and_restarts_are_thread_count_independent() {
    let (x, _) = blobs(5, 3000, 6, 3.0, 11);
    let lloyd = KMeans::params(5).n_init(3).seed(3).algorithm(Algorithm::Lloyd).fit(x.as_ref()).unwrap();
    let ham = KMeans::params(5).n_init(3).seed(3).algorithm(Algorithm::Hamerly).fit(x.as_ref()).unwrap();
    assert_eq!(lloyd.labels(), ham.labels());
    assert!(close(lloyd.inertia(), ham.inertia(), 1e-12));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let one = pool.install(|| KMeans::params(5).n_init(3).seed(3).fit(x.as_ref()).unwrap());
    assert_eq!(one.labels(), ham.labels());
    assert_eq!(one.inertia().to_bits(), ham.inertia().to_bits());
}

#[test]
fn kmeans_is_bit_identical_at_1_and_3_threads() {
    // more rows than two 4096-row blocks; k · d = 8 · 16 (the hand-written kernel) and
    // 40 · 16 (faer GEMM tiles); k-means++ with 2 restarts, Lloyd, Hamerly and mini-batch
    let (x, _) = blobs(8, 1100, 16, 2.0, 21);
    let w: Vec<f64> = (0..x.nrows()).map(|i| 0.5 + (i % 7) as f64 / 4.0).collect();
    let fit = |k: usize, algo: Algorithm| {
        let p = KMeans::params(k).n_init(2).max_iter(20).seed(4).algorithm(algo);
        (p.fit_weighted(x.as_ref(), Some(&w)).unwrap(), p.fit(x.as_ref()).unwrap())
    };
    let cases = [
        (8, Algorithm::Hamerly),
        (8, Algorithm::Lloyd),
        (8, Algorithm::MiniBatch { batch_size: 512 }),
        (40, Algorithm::Hamerly),
        (40, Algorithm::Lloyd),
    ];
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    for (k, algo) in cases {
        let (a, b) = (one.install(|| fit(k, algo)), three.install(|| fit(k, algo)));
        for (u, v) in [(&a.0, &b.0), (&a.1, &b.1)] {
            assert_eq!(u.labels(), v.labels(), "k {k} {algo:?}");
            assert_eq!(u.inertia().to_bits(), v.inertia().to_bits(), "k {k} {algo:?}");
            assert_eq!(u.diagnostics(), v.diagnostics(), "k {k} {algo:?}");
            for j in 0..k {
                for t in 0..16 {
                    assert_eq!(
                        u.centers()[(j, t)].to_bits(),
                        v.centers()[(j, t)].to_bits(),
                        "k {k} {algo:?}"
                    );
                }
            }
        }
        assert_eq!(a.1.predict(x.as_ref()).unwrap(), b.1.labels(), "k {k} {algo:?} predict");
    }
}

#[test]
fn hamerly_inertia_is_the_direct_sum_and_unit_weights_are_ones() {
    // tol 0 stops only on strict convergence, where Hamerly takes the inertia from its
    // per-cluster sums (no final pass); tol 1e-2 may stop on the tolerance (a final pass). Either
    // way it is Σ w ‖x − c_label‖², up to rounding.
    let (x, _) = blobs(6, 2000, 5, 3.0, 31);
    let w: Vec<f64> = (0..x.nrows()).map(|i| 0.25 + (i % 5) as f64).collect();
    let direct = |m: &KMeans, w: Option<&[f64]>| {
        let c = m.centers();
        (0..x.nrows())
            .map(|i| {
                let l = m.labels()[i];
                let d2: f64 = (0..5).map(|t| (x[(i, t)] - c[(l, t)]).powi(2)).sum();
                w.map_or(1.0, |w| w[i]) * d2
            })
            .sum::<f64>()
    };
    for tol in [0.0, 1e-2] {
        for weights in [None, Some(&w[..])] {
            let m = KMeans::params(6).n_init(1).seed(5).tol(tol).fit_weighted(x.as_ref(), weights).unwrap();
            assert!(m.diagnostics().converged);
            let want = direct(&m, weights);
            assert!(close(m.inertia(), want, 1e-12), "tol {tol}: {} vs {want}", m.inertia());
        }
    }
    // no weights reads no weight vector, with the same bits as explicit ones
    let ones = vec![1.0; x.nrows()];
    for algo in [Algorithm::Hamerly, Algorithm::Lloyd, Algorithm::MiniBatch { batch_size: 500 }] {
        let p = KMeans::params(6).n_init(2).seed(8).algorithm(algo);
        let (a, b) = (p.fit(x.as_ref()).unwrap(), p.fit_weighted(x.as_ref(), Some(&ones)).unwrap());
        assert_eq!(a.labels(), b.labels(), "{algo:?}");
        assert_eq!(a.inertia().to_bits(), b.inertia().to_bits(), "{algo:?}");
        assert_eq!(a.centers(), b.centers(), "{algo:?}");
    }
}

#[test]
fn kmeans_recovers_blobs_and_minibatch_is_close() {
    let (x, truth) = blobs(4, 500, 4, 8.0, 5);
    let m = KMeans::params(4).seed(1).fit(x.as_ref()).unwrap();
    assert_eq!(adjusted_rand_index(m.labels(), &truth).unwrap(), 1.0);
    let mb = KMeans::params(4)
        .seed(1)
        .algorithm(Algorithm::MiniBatch { batch_size: 256 })
        .fit(x.as_ref())
        .unwrap();
    assert_eq!(adjusted_rand_index(mb.labels(), &truth).unwrap(), 1.0);
    // the mini-batch centers are running means of noisy batches: within 1% of the exact optimum
    assert!(mb.inertia() <= m.inertia() * 1.01, "{} vs {}", mb.inertia(), m.inertia());
    assert_eq!(m.predict(x.as_ref()).unwrap(), m.labels());
    // the centers kept outside the model (the Python package's pickles) give the same labels
    assert_eq!(tp_segment::nearest_centers(m.centers(), x.as_ref()).unwrap(), m.labels());
    let wrong = tp_segment::nearest_centers(m.centers(), x.as_ref().subcols(0, 2));
    assert!(matches!(wrong, Err(SegmentError::Shape { .. })));
}

#[test]
fn integer_weights_equal_duplicated_rows() {
    let (x, _) = blobs(3, 40, 3, 4.0, 9);
    let w: Vec<f64> = (0..x.nrows()).map(|i| (1 + i % 3) as f64).collect();
    let rows: Vec<usize> = (0..x.nrows()).flat_map(|i| std::iter::repeat_n(i, 1 + i % 3)).collect();
    let dup = Mat::from_fn(rows.len(), 3, |r, j| x[(rows[r], j)]);
    let init = Mat::from_fn(3, 3, |j, t| x[(j * 40, t)]);
    let a = KMeans::params(3).fit_from_centers(x.as_ref(), init.as_ref(), Some(&w)).unwrap();
    let b = KMeans::params(3).fit_from_centers(dup.as_ref(), init.as_ref(), None).unwrap();
    assert!(close(a.inertia(), b.inertia(), 1e-10));
    for j in 0..3 {
        for t in 0..3 {
            assert!(close(a.centers()[(j, t)], b.centers()[(j, t)], 1e-10));
        }
    }
}

#[test]
fn bad_input_is_a_named_error() {
    let mut x = Mat::from_fn(10, 3, |i, j| (i + j) as f64);
    assert!(matches!(KMeans::params(11).fit(x.as_ref()), Err(SegmentError::NotEnoughSamples { .. })));
    let m = KMeans::params(2).fit(x.as_ref()).unwrap();
    assert!(matches!(m.predict(Mat::<f64>::zeros(2, 4).as_ref()), Err(SegmentError::Shape { .. })));
    x[(4, 1)] = -1.0;
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let err = SegmentPipeline::params().fit(x.as_ref(), &names).unwrap_err();
    assert!(err.to_string().contains("column 'b'") && err.to_string().contains("row 4"), "{err}");
    x[(4, 1)] = f64::NAN;
    assert!(matches!(Nmf::params(2).fit(x.as_ref()), Err(SegmentError::NonFinite { row: 4, column: 1, .. })));
    assert!(matches!(
        Nmf::params(2)
            .solver(Solver::Cd)
            .loss(Loss::KullbackLeibler)
            .fit(Mat::<f64>::identity(3, 3).as_ref()),
        Err(SegmentError::Parameter { .. })
    ));
}

#[test]
fn kmeans_non_finite_input_names_the_first_entry() {
    // the k-means++ path checks the input inside its first pass, block by block: the
    // reported entry must still be the first one in row order, on every path
    let mut x = Mat::from_fn(9000, 3, |i, j| ((i * 7 + j) % 11) as f64);
    x[(8500, 0)] = f64::NAN;
    x[(5000, 2)] = f64::INFINITY;
    let at = |r: tp_segment::Result<KMeans>| match r {
        Err(SegmentError::NonFinite { row, column, .. }) => (row, column),
        other => panic!("expected a non-finite error, got {other:?}"),
    };
    for p in [
        KMeans::params(3),
        KMeans::params(3).n_init(3),
        KMeans::params(3).parallel(false),
        KMeans::params(3).algorithm(Algorithm::MiniBatch { batch_size: 100 }),
    ] {
        assert_eq!(at(p.fit(x.as_ref())), (5000, 2), "{p:?}");
    }
    let init = Mat::from_fn(3, 3, |i, j| (i + j) as f64);
    assert_eq!(at(KMeans::params(3).fit_from_centers(x.as_ref(), init.as_ref(), None)), (5000, 2));
}

#[test]
fn nmf_inits_transform_and_penalties() {
    let (x, _) = planted_counts(3, 60, 12, 2);
    let mut errs = Vec::new();
    for init in [Init::Random, Init::Nndsvd, Init::NndsvdA, Init::NndsvdAr] {
        let m = Nmf::params(3).init(init).seed(4).tol(1e-6).max_iter(2000).fit(x.as_ref()).unwrap();
        errs.push(m.diagnostics().objective);
        let d = m.diagnostics();
        assert!(d.explained_variance > 0.0 && d.explained_variance <= d.explained_variance_total + 1e-12);
    }
    // planted rank 3: every init reaches the same basin within 1%
    let best = errs.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(errs.iter().all(|e| *e <= best * 1.01), "{errs:?}");
    let m = Nmf::params(3).tol(1e-8).max_iter(2000).fit(x.as_ref()).unwrap();
    // W for the training rows with H fixed: no worse than the fit's own W (W is optimal given H)
    let w2 = m.transform(x.as_ref()).unwrap();
    let mut rss = 0.0;
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            let r: f64 = x[(i, j)] - (0..3).map(|t| w2[(i, t)] * m.h()[(t, j)]).sum::<f64>();
            rss += r * r;
        }
    }
    assert!(
        rss.sqrt() <= m.diagnostics().objective * (1.0 + 1e-4),
        "{} vs {}",
        rss.sqrt(),
        m.diagnostics().objective
    );
    // an L1 penalty on H makes it sparser and the fit no better
    let zeros = |m: &Nmf| {
        m.h().col_iter().flat_map(|c| c.iter().copied().collect::<Vec<_>>()).filter(|v| *v == 0.0).count()
    };
    let sparse = Nmf::params(3).penalty_h(50.0, 0.0).tol(1e-8).max_iter(2000).fit(x.as_ref()).unwrap();
    assert!(zeros(&sparse) >= zeros(&m));
    assert!(sparse.diagnostics().objective >= m.diagnostics().objective * (1.0 - 1e-9));
    // the components kept outside the model (the Python package's pickles) give the same W
    let again = m.params_used().transform_with(m.h(), x.as_ref()).unwrap();
    assert_eq!(again, w2);
    assert!(matches!(
        m.params_used().transform_with(m.h(), x.as_ref().subcols(0, 5)),
        Err(SegmentError::Shape { .. })
    ));
    let mut bad = m.h().to_owned();
    bad[(1, 2)] = f64::NAN;
    let err = m.params_used().transform_with(bad.as_ref(), x.as_ref()).unwrap_err();
    assert!(err.to_string().contains("components[1, 2]"), "{err}");
}

#[test]
fn segment_profiles_sizes_values_means_and_z_scores() {
    use tp_segment::segment_profiles;
    // 4 rows, 2 columns; segments {0, 1, 3} and {2}; column 2 is constant
    let x = Mat::from_fn(4, 2, |i, j| if j == 0 { [1.0, 3.0, 10.0, 2.0][i] } else { 5.0 });
    let p = segment_profiles(x.as_ref(), &[0, 0, 1, 0], 3, Some(&[1.0, 1.0, 6.0, 0.0])).unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!((p[0].size, p[1].size, p[2].size), (3, 1, 0));
    assert_eq!((p[0].share, p[1].share), (0.75, 0.25));
    assert_eq!((p[0].value_share, p[1].value_share, p[2].value_share), (Some(0.25), Some(0.75), Some(0.0)));
    assert_eq!(p[0].means, vec![2.0, 5.0]);
    assert_eq!(p[1].means, vec![10.0, 5.0]);
    // column 0: mean 4, population sd sqrt((9 + 1 + 36 + 4) / 4) = sqrt(12.5); constant column: z = 0
    let sd = 12.5f64.sqrt();
    assert!(close(p[0].z_scores[0], (2.0 - 4.0) / sd, 1e-15) && p[0].z_scores[1] == 0.0);
    assert!(close(p[1].z_scores[0], (10.0 - 4.0) / sd, 1e-15));
    // bad input is named
    assert!(matches!(
        segment_profiles(x.as_ref(), &[0, 0, 3, 0], 3, None),
        Err(SegmentError::Parameter { .. })
    ));
    assert!(matches!(segment_profiles(x.as_ref(), &[0, 0], 3, None), Err(SegmentError::Shape { .. })));
}

#[test]
fn nmf_penalties_on_w_shrink_it() {
    let (x, _) = planted_counts(3, 60, 12, 2);
    let p = Nmf::params(3).tol(1e-8).max_iter(2000);
    let plain = p.clone().fit(x.as_ref()).unwrap();
    let zeros = |m: &Nmf| {
        m.w().col_iter().flat_map(|c| c.iter().copied().collect::<Vec<_>>()).filter(|v| *v == 0.0).count()
    };
    // L1 on W: sparser W; L2 on W: smaller ‖W‖ (H takes up the scale); neither fits X better
    let l1 = p.clone().penalty_w(200.0, 0.0).fit(x.as_ref()).unwrap();
    assert!(zeros(&l1) > zeros(&plain), "{} vs {}", zeros(&l1), zeros(&plain));
    let l2 = p.clone().penalty_w(0.0, 500.0).fit(x.as_ref()).unwrap();
    assert!(l2.w().norm_l2() < plain.w().norm_l2(), "{} vs {}", l2.w().norm_l2(), plain.w().norm_l2());
    for m in [&l1, &l2] {
        assert!(m.diagnostics().objective >= plain.diagnostics().objective * (1.0 - 1e-9));
    }
}

#[test]
fn pipeline_recovers_planted_segments() {
    // 5 archetypes, 300 rows each, counts with mean 10-30 on the archetype's own
    // block and 1 elsewhere: the Bayes error of assigning a row is < 1e-6, so
    // any ARI below 0.95 means the pipeline, not the noise, mixed segments.
    let (x, truth) = planted_counts(5, 300, 30, 8);
    let names: Vec<String> = (0..30).map(|j| format!("c{j}")).collect();
    let value: Vec<f64> = (0..x.nrows()).map(|i| if truth[i] == 0 { 10.0 } else { 1.0 }).collect();
    let r = SegmentPipeline::params()
        .factors(Choice::Auto { min: 2, max: 8 })
        .clusters(Choice::Auto { min: 2, max: 8 })
        .stability_runs(20)
        .seed(3)
        .fit_with_value(x.as_ref(), &names, Some(&value))
        .unwrap();
    assert_eq!(r.k_clusters, 5);
    let ari = adjusted_rand_index(&r.labels, &truth).unwrap();
    assert!(ari >= 0.95, "ari {ari}");
    let s = r.stability.as_ref().unwrap();
    assert!(s.mean >= 0.95 && s.runs.len() == 20);
    // the segment of archetype 0 holds 10 / (10 + 4) of the value
    let seg0 = r.labels[0];
    assert!((r.profiles[seg0].value_share.unwrap() - 10.0 / 14.0).abs() < 0.02);
    // each factor's top columns come from a single archetype block of 6 columns
    for f in &r.factor_columns {
        let blocks: Vec<usize> =
            f.top.iter().take(3).map(|(name, _)| name[1..].parse::<usize>().unwrap() / 6).collect();
        assert!(blocks.iter().all(|b| *b == blocks[0]), "{f:?}");
    }
    let json = serde_json::to_value(r.report()).unwrap();
    for key in
        ["nmf", "kmeans", "silhouette", "davies_bouldin", "calinski_harabasz", "stability_ari", "seconds"]
    {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert!(json["nmf"]["objective"].as_f64().unwrap() > 0.0);
}

// ---------- properties ----------

use proptest::prelude::*;

fn random_mat(n: usize, m: usize, seed: u64, nonneg: bool) -> Mat<f64> {
    let mut rng = tp_core::rng::stream(seed, 7);
    Mat::from_fn(n, m, |_, _| {
        let u: f64 = rng.random::<f64>();
        if nonneg { (4.0 * u).floor() * u } else { 10.0 * u - 5.0 }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn nmf_loss_never_increases_and_factors_stay_nonnegative(
        n in 4usize..30, m in 4usize..15, k in 1usize..4, seed in any::<u64>(), case in 0usize..3,
        init in 0usize..4,
    ) {
        let x = random_mat(n, m, seed, true);
        prop_assume!(x.squared_norm_l2() > 0.0);
        let (solver, loss) = [(Solver::Cd, Loss::Frobenius), (Solver::Mu, Loss::Frobenius),
            (Solver::Mu, Loss::KullbackLeibler)][case];
        let init = [Init::Random, Init::Nndsvd, Init::NndsvdA, Init::NndsvdAr][init];
        let fit = Nmf::params(k).solver(solver).loss(loss).init(init).seed(seed).tol(0.0).max_iter(60).fit(x.as_ref());
        let fit = fit.unwrap();
        let h = &fit.diagnostics().history;
        for t in 1..h.len() {
            // the error is computed from Gram products; allow rounding relative to ‖X‖
            prop_assert!(h[t] <= h[t - 1] + 1e-9 * (1.0 + x.norm_l2()), "step {t}: {} -> {}", h[t - 1], h[t]);
        }
        prop_assert!(fit.w().col_iter().all(|c| c.iter().all(|v| *v >= 0.0)));
        prop_assert!(fit.h().col_iter().all(|c| c.iter().all(|v| *v >= 0.0)));
    }

    #[test]
    fn kmeans_inertia_never_increases(n in 10usize..200, d in 1usize..5, k in 1usize..6, seed in any::<u64>()) {
        let x = random_mat(n, d, seed, false);
        let m = KMeans::params(k).n_init(1).tol(0.0).seed(seed).algorithm(Algorithm::Lloyd).fit(x.as_ref()).unwrap();
        let tr = &m.diagnostics().inertia_trace;
        for t in 1..tr.len() {
            prop_assert!(tr[t] <= tr[t - 1] * (1.0 + 1e-12), "step {t}: {} -> {}", tr[t - 1], tr[t]);
        }
        prop_assert!(m.inertia() <= tr[0] * (1.0 + 1e-12));
    }

    #[test]
    fn labels_do_not_depend_on_row_order(n in 10usize..150, d in 1usize..4, k in 2usize..5, seed in any::<u64>()) {
        let x = random_mat(n, d, seed, false);
        let mut rng = tp_core::rng::stream(seed, 3);
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() { perm.swap(i, rng.random_range(0..=i)); }
        let xp = Mat::from_fn(n, d, |i, j| x[(perm[i], j)]);
        let init = Mat::from_fn(k, d, |j, t| x[(j, t)]);
        for algo in [Algorithm::Lloyd, Algorithm::Hamerly] {
            let a = KMeans::params(k).algorithm(algo).fit_from_centers(x.as_ref(), init.as_ref(), None).unwrap();
            let b = KMeans::params(k).algorithm(algo).fit_from_centers(xp.as_ref(), init.as_ref(), None).unwrap();
            let back: Vec<usize> = (0..n).map(|i| a.labels()[perm[i]]).collect();
            prop_assert_eq!(adjusted_rand_index(&back, b.labels()).unwrap(), 1.0);
            prop_assert!(close(a.inertia(), b.inertia(), 1e-9));
        }
    }
}

// ---------- sparse input, layouts, thread counts ----------

/// n × m counts with about `zero_share` zeros, rank-3 structure.
fn sparse_counts(n: usize, m: usize, zero_share: f64, seed: u64) -> Mat<f64> {
    let mut rng = tp_core::rng::stream(seed, 2);
    let w = Mat::from_fn(n, 3, |_, _| rng.random::<f64>() * 3.0);
    let h = Mat::from_fn(3, m, |_, _| rng.random::<f64>() * 2.0);
    Mat::from_fn(n, m, |i, j| {
        let keep = rng.random::<f64>() >= zero_share;
        let v: f64 = (0..3).map(|t| w[(i, t)] * h[(t, j)]).sum();
        if keep { (v + rng.random::<f64>()).floor() } else { 0.0 }
    })
}

fn max_rel_diff(a: faer::MatRef<'_, f64>, b: faer::MatRef<'_, f64>) -> f64 {
    let scale = a.col_iter().flat_map(|c| c.iter().map(|v| v.abs()).collect::<Vec<_>>()).fold(0.0, f64::max);
    let mut d: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            d = d.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    d / scale.max(f64::MIN_POSITIVE)
}

#[test]
fn sparse_and_dense_inputs_give_the_same_factors() {
    use tp_segment::Csr;
    // m = 90 > 64 takes the randomized SVD path; n = 2500 spans several parallel chunks
    for (n, m) in [(200, 30), (2500, 90)] {
        let x = sparse_counts(n, m, 0.7, 3);
        let csr = Csr::from_dense(x.as_ref());
        assert!(csr.nnz() < n * m / 2, "the data is sparse");
        for (solver, loss) in [
            (Solver::Cd, Loss::Frobenius),
            (Solver::Mu, Loss::Frobenius),
            (Solver::Mu, Loss::KullbackLeibler),
        ] {
            let p = Nmf::params(3).solver(solver).loss(loss).max_iter(60).tol(0.0);
            let (d, s) = (p.fit(x.as_ref()).unwrap(), p.fit_sparse(&csr).unwrap());
            // same algorithm, sums in another order: equal up to rounding (amplified over 60 iterations)
            let (dw, dh) = (max_rel_diff(d.w(), s.w()), max_rel_diff(d.h(), s.h()));
            assert!(dw < 1e-7 && dh < 1e-7, "{solver:?} {loss:?} n={n}: W {dw:e}, H {dh:e}");
            let (od, os) = (d.diagnostics().objective, s.diagnostics().objective);
            assert!(close(od, os, 1e-9), "{solver:?} {loss:?}: objective {od} vs {os}");
            assert!(close(d.diagnostics().explained_variance, s.diagnostics().explained_variance, 1e-9));
            let (td, ts) = (d.transform(x.as_ref()).unwrap(), d.transform_sparse(&csr).unwrap());
            assert!(max_rel_diff(td.as_ref(), ts.as_ref()) < 1e-7, "{solver:?} {loss:?} transform");
        }
    }
}

#[test]
fn row_major_input_and_thread_count_do_not_change_results() {
    let x = sparse_counts(3000, 80, 0.3, 8);
    let data: Vec<f64> =
        (0..x.nrows()).flat_map(|i| (0..x.ncols()).map(move |j| (i, j))).map(|(i, j)| x[(i, j)]).collect();
    let xr = faer::MatRef::from_row_major_slice(&data, x.nrows(), x.ncols());
    let p = Nmf::params(4).max_iter(40);
    let (a, b) = (p.fit(x.as_ref()).unwrap(), p.fit(xr).unwrap());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let c = pool.install(|| p.fit(x.as_ref()).unwrap());
    for other in [&b, &c] {
        assert_eq!(a.w(), other.w());
        assert_eq!(a.h(), other.h());
        assert_eq!(a.diagnostics().objective.to_bits(), other.diagnostics().objective.to_bits());
    }
    let km = KMeans::params(4).seed(2);
    let (ka, kb) = (km.fit(x.as_ref()).unwrap(), km.fit(xr).unwrap());
    assert_eq!(ka.labels(), kb.labels());
    assert_eq!(ka.inertia().to_bits(), kb.inertia().to_bits());
}

#[test]
fn csr_input_errors_name_the_entry() {
    use tp_segment::Csr;
    let neg = Csr::new(2, 3, vec![0, 1, 2], vec![0, 2], vec![1.0, -2.0]).unwrap();
    let err = Nmf::params(1).fit_sparse(&neg).unwrap_err();
    assert!(matches!(err, SegmentError::Negative { row: 1, column: 2, .. }), "{err}");
}

// ---------- archetype recovery on the simulated retail world ----------

/// (features n × m, their names, archetype labels) of a `testdata/segment/retail_seed*.csv`.
fn retail(seed: u64) -> (Mat<f64>, Vec<String>, Vec<usize>) {
    let path = format!("{}/../../testdata/segment/retail_seed{seed}.csv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture present");
    let mut lines = text.lines();
    let names: Vec<String> = lines.next().unwrap().split(',').skip(2).map(String::from).collect();
    let (mut rows, mut arch, mut seen): (Vec<Vec<f64>>, Vec<usize>, Vec<String>) = Default::default();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let a = seen.iter().position(|s| s == f[1]).unwrap_or_else(|| {
            seen.push(f[1].to_string());
            seen.len() - 1
        });
        arch.push(a);
        rows.push(f[2..].iter().map(|v| v.parse().unwrap()).collect());
    }
    assert_eq!(seen.len(), 7, "seven archetypes");
    (Mat::from_fn(rows.len(), names.len(), |i, j| rows[i][j]), names, arch)
}

/// Segments recover the seven archetypes of the retail world from pre-period
/// behavior (visits, basket, promotion share, department / tag / tier shares).
///
/// Measured (this code, world seeds 7, 8, 9): K-Means on the max-scaled
/// features ARI 0.980, 0.987, 0.983 (mean 0.983, sd 0.004); the pipeline (NMF
/// rank 7 → K-Means) 0.949, 0.967, 0.964 (mean 0.960, sd 0.010); scikit-learn's
/// NMF(7) → KMeans on the same files 0.89–0.94. A labelling that merges two
/// archetypes scores at most 0.908–0.925 (computed below), so ARI alone near
/// 0.9 cannot tell "all seven found" from "one lost". Hence: K-Means must beat
/// 0.95 (9 sd below its mean, above every merged ceiling) *and* give each
/// archetype a different majority segment; the pipeline must beat 0.90 (6 sd
/// below its mean: it compresses 27 features to 7 factors first and may blur
/// two archetypes, which is what the bar tolerates).
#[test]
fn retail_archetypes_are_recovered() {
    for seed in [7, 8, 9] {
        let (x, names, truth) = retail(seed);
        let max: Vec<f64> =
            (0..x.ncols()).map(|j| x.col(j).iter().fold(0.0, |a: f64, v| a.max(*v))).collect();
        let xs = Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] / max[j]);
        let km = KMeans::params(7).seed(1).fit(xs.as_ref()).unwrap();
        let ari_km = adjusted_rand_index(km.labels(), &truth).unwrap();
        let res = SegmentPipeline::params()
            .factors(Choice::Fixed(7))
            .clusters(Choice::Fixed(7))
            .stability_runs(0)
            .seed(1)
            .fit(x.as_ref(), &names)
            .unwrap();
        let ari_pipe = adjusted_rand_index(&res.labels, &truth).unwrap();
        let mut merged_best: f64 = 0.0;
        for a in 0..7 {
            for b in a + 1..7 {
                let merged: Vec<usize> = truth.iter().map(|&l| if l == b { a } else { l }).collect();
                merged_best = merged_best.max(adjusted_rand_index(&merged, &truth).unwrap());
            }
        }
        eprintln!(
            "retail seed {seed}: ARI k-means {ari_km:.3}, nmf → k-means {ari_pipe:.3}, \
             two archetypes merged ≤ {merged_best:.3}"
        );
        assert!(ari_km >= 0.95 && ari_km > merged_best, "seed {seed}: k-means ARI {ari_km}");
        let majority: Vec<usize> = (0..7)
            .map(|a| {
                let mut counts = [0usize; 7];
                truth.iter().zip(km.labels()).filter(|(t, _)| **t == a).for_each(|(_, &l)| counts[l] += 1);
                (0..7).max_by_key(|&l| counts[l]).unwrap()
            })
            .collect();
        let mut distinct = majority.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 7, "seed {seed}: archetypes share a majority segment: {majority:?}");
        assert!(ari_pipe >= 0.90, "seed {seed}: pipeline ARI {ari_pipe}");
    }
}
