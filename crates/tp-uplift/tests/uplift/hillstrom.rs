//! Hillstrom (testdata/uplift/hillstrom.csv): the MineThatData e-mail
//! experiment, 64,000 customers randomized 1/3 each to a men's e-mail, a
//! women's e-mail or no e-mail. In a randomized trial the AIPW ATE of each
//! e-mail against no e-mail must agree with the difference in means (both
//! are unbiased; AIPW only removes covariate noise), and its SE cannot be
//! much different from the difference-in-means SE (the covariates explain
//! little of visits or spend).

use std::path::Path;
use tp_core::faer::Mat;
use tp_core::stats::{mean, variance};
use tp_core::{CausalData, stats};
use tp_uplift::ate::average_effects;
use tp_uplift::{ClassifierSpec, LearnerKind, Method, RegressorSpec, UpliftParams, crossfit_nuisances};

/// A CSV file as its header and rows of fields, read with the `csv` crate (quoted commas stay in
/// the field: `history_segment` holds values such as `"7) $1,000 +"`; a ragged row is an error).
pub(crate) fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let fail = |e: csv::Error| -> ! { panic!("{}: {e}", path.display()) };
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| fail(e));
    let header = reader.headers().unwrap_or_else(|e| fail(e)).iter().map(str::to_owned).collect();
    let rows =
        reader.records().map(|r| r.unwrap_or_else(|e| fail(e)).iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

const ARMS: [&str; 3] = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"];
const FEATURES: [&str; 9] = [
    "recency",
    "history",
    "mens",
    "womens",
    "newbie",
    "zip_urban",
    "zip_suburban",
    "channel_phone",
    "channel_web",
];

/// The experiment with `outcome` (`visit` or `spend`); `known` records the
/// design's propensities (1/3 per arm).
fn hillstrom(outcome: &str, known: bool) -> CausalData {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/uplift/hillstrom.csv");
    let (header, lines) = read_csv(Path::new(path));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}"));
    let (rec, hist, mens, womens, zip, newbie, channel, segment, y) = (
        col("recency"),
        col("history"),
        col("mens"),
        col("womens"),
        col("zip_code"),
        col("newbie"),
        col("channel"),
        col("segment"),
        col(outcome),
    );
    let (mut rows, mut arms, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    for f in lines {
        let v = |j: usize| f[j].parse::<f64>().unwrap_or_else(|_| panic!("bad number {:?}", f[j]));
        let is = |j: usize, level: &str| f64::from(u8::from(f[j] == level));
        rows.push([
            v(rec),
            v(hist),
            v(mens),
            v(womens),
            v(newbie),
            is(zip, "Urban"),
            is(zip, "Surburban"), // sic: the original spelling
            is(channel, "Phone"),
            is(channel, "Web"),
        ]);
        arms.push(ARMS.iter().position(|a| *a == f[segment]).expect("known segment"));
        ys.push(v(y));
    }
    let n = rows.len();
    let x = Mat::from_fn(n, FEATURES.len(), |i, j| rows[i][j]);
    let names: Vec<String> = FEATURES.iter().map(|s| s.to_string()).collect();
    let mut b =
        CausalData::builder(x, names, arms, ys).arm_labels(ARMS.iter().map(|s| s.to_string()).collect());
    if known {
        b = b.propensity(Mat::from_fn(n, 3, |_, _| 1.0 / 3.0));
    }
    b.build().unwrap()
}

/// Difference in means of arm `a` against control and its (Neyman) SE.
fn difference_in_means(data: &CausalData, a: usize) -> (f64, f64) {
    let of = |arm: usize| -> Vec<f64> {
        data.arms().iter().zip(data.outcome()).filter(|(w, _)| **w == arm).map(|(_, y)| *y).collect()
    };
    let (t, c) = (of(a), of(0));
    let diff = mean(&t) - mean(&c);
    let se = (variance(&t) / t.len() as f64 + variance(&c) / c.len() as f64).sqrt();
    (diff, se)
}

/// AIPW (known propensities 1/3, cross-fitted OLS outcome models) against
/// the difference in means for both e-mails and both outcomes.
#[test]
fn aipw_agrees_with_the_difference_in_means() {
    for outcome in ["visit", "spend"] {
        let data = hillstrom(outcome, true);
        assert_eq!(data.n(), 64_000);
        assert_eq!(data.arm_counts(), vec![21_306, 21_307, 21_387]);
        let nuis = crossfit_nuisances(
            &data,
            &RegressorSpec::Linear(tp_learn::LinearRegression::params()),
            &LearnerKind::Linear.classifier(),
            5,
            0.01,
            11,
        )
        .unwrap();
        assert!(nuis.known_propensity);
        let effects = average_effects(&data, &nuis).unwrap();
        for e in &effects {
            let (dim, dim_se) = difference_in_means(&data, e.arm);
            println!(
                "hillstrom {outcome} {}: AIPW {:.5} ± {:.5}, difference in means {dim:.5} ± {dim_se:.5}",
                e.label, e.ate, e.ate_se
            );
            assert!((e.ate - dim).abs() < 2.0 * dim_se, "{outcome} {}: {} vs {dim}", e.label, e.ate);
            assert!(
                (e.ate_se / dim_se - 1.0).abs() < 0.10,
                "{outcome} {}: SE {} vs {dim_se}",
                e.label,
                e.ate_se
            );
        }
        // the published visit rates (men's 18.3%, women's 15.1%, none 10.6%)
        if outcome == "visit" {
            assert!((effects[0].ate - 0.077).abs() < 0.01 && (effects[1].ate - 0.045).abs() < 0.01);
        }
    }
}

/// The whole `tp uplift` path with an estimated (cross-fitted logistic)
/// propensity: the randomization shows in the diagnostics and the ATE still
/// agrees with the difference in means.
#[test]
fn estimated_propensities_see_a_randomized_trial() {
    let data = hillstrom("visit", false);
    let mut params = UpliftParams::with_learners(Method::Dr, LearnerKind::Linear).seed(3);
    params.propensity_learner = ClassifierSpec::Logistic(tp_learn::LogisticRegression::params().tol(1e-7));
    let fit = params.fit(&data).unwrap();
    let d = &fit.diagnostics;
    // each arm-vs-rest AUC of a randomized arm is 0.5 up to sampling noise
    // (SE of an AUC near 0.5 at these counts ≈ 0.0025; 0.53 is > 10 SE)
    assert!(d.ps_auc < 0.53, "propensity AUC {}", d.ps_auc);
    assert_eq!(d.overlap_share, 1.0);
    assert!(d.max_abs_smd < 0.1 && d.balanced == d.n_covariates, "{d:?}");
    for e in &fit.effects {
        let (dim, dim_se) = difference_in_means(&data, e.arm);
        assert!((e.ate - dim).abs() < 2.0 * dim_se, "{}: {} vs {dim}", e.label, e.ate);
        assert!((e.ate_se / dim_se - 1.0).abs() < 0.10, "{}: SE {} vs {dim_se}", e.label, e.ate_se);
        let z = stats::normal_quantile(0.975);
        assert!(e.ci_low < dim + z * dim_se && e.ci_high > dim - z * dim_se);
    }
}
