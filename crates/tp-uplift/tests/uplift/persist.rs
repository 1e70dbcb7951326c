//! Train once, score many: model files round-trip and reject bad input.

use super::sim::world;
use tp_core::faer::MatRef;
use tp_learn::{FittedRegressor, Regressor};
use tp_uplift::model::MODEL_FORMAT_VERSION;
use tp_uplift::{CateModel, ClassifierSpec, LearnerKind, Method, RegressorSpec, UpliftError, UpliftParams};

const ALL: [Method; 5] = [Method::S, Method::T, Method::X, Method::R, Method::Dr];

#[test]
fn every_method_round_trips_to_identical_predictions() {
    let w = world(600, 3, 3, 0.4, 1.0, 2, |a, x| a as f64 + x[0]);
    let fresh = world(100, 3, 3, 0.4, 1.0, 99, |a, x| a as f64 + x[0]);
    for m in ALL {
        let fit = UpliftParams::new(m).seed(2).n_boot(3).fit(&w.data).unwrap();
        let text = fit.model.to_json().unwrap();
        let back = CateModel::from_json(&text).unwrap();
        let x = fresh.data.covariates();
        assert_eq!(fit.model.predict(x).unwrap(), back.predict(x).unwrap(), "{m:?}");
        assert_eq!(fit.model.predict_se(x).unwrap(), back.predict_se(x).unwrap(), "{m:?}");
        assert_eq!(back.feature_names(), &["x1", "x2", "x3"]);
        assert_eq!(back.arm_labels(), &["control", "arm1", "arm2"]);
        assert_eq!(back.seed(), 2);
        assert_eq!(back.method(), m);
    }
}

#[test]
fn save_and_load_through_a_file() {
    let w = world(300, 2, 2, 0.0, 1.0, 4, |_, x| x[1]);
    let fit = UpliftParams::new(Method::X).fit(&w.data).unwrap();
    let dir = std::env::temp_dir().join(format!("tp-uplift-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.json");
    fit.model.save(&path).unwrap();
    let back = CateModel::load(&path).unwrap();
    assert_eq!(back.predict(w.data.covariates()).unwrap(), fit.tau);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(CateModel::load(dir.join("missing.json")), Err(UpliftError::Io { .. })));
}

#[test]
fn bad_files_and_features_are_clear_errors() {
    let w = world(300, 2, 2, 0.0, 1.0, 4, |_, x| x[1]);
    let fit = UpliftParams::new(Method::T).fit(&w.data).unwrap();
    let text = fit.model.to_json().unwrap();
    // a newer format
    assert_eq!(MODEL_FORMAT_VERSION, 2);
    let newer = text.replacen("\"format_version\": 2", "\"format_version\": 3", 1);
    assert!(matches!(
        CateModel::from_json(&newer),
        Err(UpliftError::UnsupportedVersion { found: 3, supported: 2 })
    ));
    // a truncated file
    assert!(matches!(CateModel::from_json(&text[..text.len() / 2]), Err(UpliftError::CorruptModel { .. })));
    // another JSON document
    assert!(matches!(CateModel::from_json("{\"a\": 1}"), Err(UpliftError::CorruptModel { .. })));
    // stages that do not match the header
    let wrong = text.replacen("\"x2\"", "\"x2\", \"x3\"", 1);
    assert!(matches!(CateModel::from_json(&wrong), Err(UpliftError::CorruptModel { .. })));
    // the wrong feature set or order at scoring time
    let names = vec!["x2".to_string(), "x1".to_string()];
    let err = fit.model.predict_named(&names, w.data.covariates()).unwrap_err();
    assert!(matches!(err, UpliftError::FeatureMismatch { .. }));
    assert!(err.to_string().contains("x1, x2"), "{err}");
    let narrow = tp_core::faer::Mat::<f64>::zeros(3, 1);
    assert!(matches!(fit.model.predict(narrow.as_ref()), Err(UpliftError::Shape { .. })));
}

/// Every method with tree-based learners (tp-learn's random forest and
/// gradient boosting) saves and loads back to bit-identical predictions.
#[test]
fn tree_learners_round_trip_for_every_method() {
    let w = world(400, 3, 3, 0.4, 1.0, 5, |a, x| a as f64 * x[0]);
    let fresh = world(80, 3, 3, 0.4, 1.0, 55, |a, x| a as f64 * x[0]);
    let x = fresh.data.covariates();
    for kind in [LearnerKind::Rf, LearnerKind::Gbt] {
        for m in ALL {
            let fit = UpliftParams::with_learners(m, kind).seed(5).fit(&w.data).unwrap();
            let text = fit.model.to_json().unwrap();
            let family = if kind == LearnerKind::Rf { "\"forest\"" } else { "\"boosting\"" };
            assert!(text.contains(family), "{kind:?} {m:?}: no {family} stage in the file");
            let back = CateModel::from_json(&text).unwrap();
            let (before, after) = (fit.model.predict(x).unwrap(), back.predict(x).unwrap());
            assert_eq!(before, after, "{kind:?} {m:?}");
            // not a degenerate model: τ̂ varies across rows
            assert!((0..x.nrows()).any(|i| before[(i, 0)] != before[(0, 0)]), "{kind:?} {m:?}");
            assert_eq!(back.params(), fit.model.params());
            assert_eq!(back.to_json().unwrap(), text, "{kind:?} {m:?}: saving again changes the file");
        }
    }
}

/// Mixed learners per stage and bootstrap replicates survive the trip.
#[test]
fn mixed_learners_and_replicates_round_trip() {
    let w = world(400, 2, 2, 0.3, 1.0, 6, |_, x| x[1]);
    let mut params = UpliftParams::new(Method::X).seed(6).n_boot(2);
    params.outcome_learner = LearnerKind::Gbt.regressor();
    params.effect_learner = Some(LearnerKind::Linear.regressor());
    params.propensity_learner = LearnerKind::Rf.classifier();
    let fit = params.fit(&w.data).unwrap();
    let back = CateModel::from_json(&fit.model.to_json().unwrap()).unwrap();
    let x = w.data.covariates();
    assert_eq!(back.n_replicates(), 2);
    assert_eq!(fit.model.predict(x).unwrap(), back.predict(x).unwrap());
    assert_eq!(fit.model.predict_se(x).unwrap(), back.predict_se(x).unwrap());
}

/// Version 1 files (linear stages, no checksum) still load.
#[test]
fn version_1_files_still_load() {
    let w = world(300, 2, 2, 0.0, 1.0, 4, |_, x| x[1]);
    let fit = UpliftParams::new(Method::Dr).fit(&w.data).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&fit.model.to_json().unwrap()).unwrap();
    let m = v.as_object_mut().unwrap();
    m.remove("checksum");
    m.remove("written_by");
    m.insert("format_version".into(), 1.into());
    let back = CateModel::from_json(&v.to_string()).unwrap();
    assert_eq!(back.predict(w.data.covariates()).unwrap(), fit.tau);
    // but a version 2 file must carry its checksum
    v["format_version"] = 2.into();
    let err = CateModel::from_json(&v.to_string()).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
}

/// A tree model file that was damaged after it was written — one digit of
/// one split threshold, a stage cut off, a feature added to the header — is
/// a clear error, never a model that silently predicts something else.
#[test]
fn damaged_tree_model_files_are_errors() {
    let w = world(300, 2, 2, 0.0, 1.0, 7, |_, x| x[0]);
    let fit = UpliftParams::with_learners(Method::T, LearnerKind::Gbt).seed(7).fit(&w.data).unwrap();
    let text = fit.model.to_json().unwrap();
    // change the last digit of the first number inside the first "cuts" list
    let at = text.find("\"cuts\"").unwrap();
    let digit = at + text[at..].find(|c: char| c.is_ascii_digit()).unwrap();
    let digit = digit + text[digit..].find(|c: char| !c.is_ascii_digit() && c != '.').unwrap() - 1;
    let mut damaged = text.clone().into_bytes();
    damaged[digit] = if damaged[digit] == b'1' { b'2' } else { b'1' };
    let err = CateModel::from_json(std::str::from_utf8(&damaged).unwrap()).unwrap_err();
    assert!(matches!(err, UpliftError::CorruptModel { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    // a truncated file
    let err = CateModel::from_json(&text[..text.len() * 2 / 3]).unwrap_err();
    assert!(matches!(err, UpliftError::CorruptModel { .. }), "{err}");
    // the header names features the stages were not fitted on
    let wrong = text.replacen("\"x2\"", "\"x2\", \"x3\"", 1);
    assert!(matches!(CateModel::from_json(&wrong), Err(UpliftError::CorruptModel { .. })));
    // the wrong feature set at scoring time
    let names = vec!["x1".to_string(), "x3".to_string()];
    let err = fit.model.predict_named(&names, w.data.covariates()).unwrap_err();
    assert!(matches!(err, UpliftError::FeatureMismatch { .. }), "{err}");
    let narrow = tp_core::faer::Mat::<f64>::zeros(3, 3);
    assert!(matches!(fit.model.predict(narrow.as_ref()), Err(UpliftError::Shape { .. })));
}

/// A learner from outside tp-learn that has no serialized form.
#[derive(Clone)]
struct Mean;
struct FittedMean(f64, usize);

impl Regressor for Mean {
    fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        _: Option<&[f64]>,
    ) -> tp_learn::Result<Box<dyn FittedRegressor>> {
        Ok(Box::new(FittedMean(y.iter().sum::<f64>() / y.len() as f64, x.ncols())))
    }
    fn clone_box(&self) -> Box<dyn Regressor> {
        Box::new(self.clone())
    }
}

impl FittedRegressor for FittedMean {
    fn predict(&self, x: MatRef<'_, f64>) -> tp_learn::Result<Vec<f64>> {
        Ok(vec![self.0; x.nrows()])
    }
    fn n_features(&self) -> usize {
        self.1
    }
}

#[test]
fn learners_without_a_serialized_form_say_so() {
    let w = world(300, 2, 2, 0.0, 1.0, 4, |_, x| x[1]);
    let mut params = UpliftParams::new(Method::T);
    params.outcome_learner = RegressorSpec::any(Mean, "group mean");
    params.propensity_learner = ClassifierSpec::Logistic(tp_learn::LogisticRegression::params());
    let fit = params.fit(&w.data).unwrap();
    let err = fit.model.to_json().unwrap_err();
    assert!(matches!(err, UpliftError::NotSerializable { .. }), "{err}");
    assert!(err.to_string().contains("group mean"), "{err}");
}

#[test]
fn causal_forests_save_and_score_like_meta_learners() {
    use tp_uplift::CausalForest;
    for arms in [2, 3] {
        let w = world(400, 3, arms, 0.3, 1.0, 5, |a, x| a as f64 * x[0]);
        let fresh = world(50, 3, arms, 0.3, 1.0, 77, |a, x| a as f64 * x[0]);
        let forest = CausalForest::params().n_trees(40).seed(3).fit(&w.data).unwrap();
        let x = fresh.data.covariates();
        let direct = forest.predict_arms(x).unwrap();
        let names: Vec<String> = w.data.feature_names().to_vec();
        let labels: Vec<String> = w.data.arm_labels().to_vec();
        let model = CateModel::from_causal_forest(
            forest,
            names.clone(),
            labels.clone(),
            serde_json::json!({"n_trees": 40}),
            3,
        )
        .unwrap();
        assert_eq!(model.method(), Method::CausalForest);
        assert_eq!(model.predict(x).unwrap(), direct.tau);
        assert_eq!(model.predict_se(x).unwrap().unwrap(), direct.se);
        // τ̂ alone (one walk of the trees, no variance pass) and τ̂ with its standard error from
        // one call: the same bits as the full prediction, NaN included
        let bits = |m: &tp_core::faer::Mat<f64>| -> Vec<u64> {
            (0..m.ncols()).flat_map(|k| (0..m.nrows()).map(move |i| m[(i, k)].to_bits())).collect()
        };
        assert_eq!(bits(&model.predict(x).unwrap()), bits(&direct.tau), "{arms} arms");
        let (tau, se) = model.predict_with_se(x).unwrap();
        assert_eq!(bits(&tau), bits(&direct.tau), "{arms} arms");
        assert_eq!(bits(&se.unwrap()), bits(&direct.se), "{arms} arms");
        assert!(
            (0..direct.se.nrows()).any(|i| direct.se[(i, 0)].is_finite()),
            "some rows have a standard error"
        );
        let text = model.to_json().unwrap();
        let back = CateModel::from_json(&text).unwrap();
        assert_eq!(back.method(), Method::CausalForest);
        assert_eq!(back.predict_named(&names, x).unwrap(), direct.tau, "{arms} arms");
        assert_eq!(back.predict_se(x).unwrap().unwrap(), direct.se, "{arms} arms");
        assert_eq!(back.to_json().unwrap(), text, "saving again gives the same file");
        // a damaged forest file is an error, not a panic
        let damaged = text.replacen("\"d\": ", "\"d\": 1", 1);
        assert!(matches!(CateModel::from_json(&damaged), Err(UpliftError::CorruptModel { .. })));
        // wrong names at scoring time
        let mut wrong = names.clone();
        wrong.swap(0, 1);
        assert!(matches!(back.predict_named(&wrong, x), Err(UpliftError::FeatureMismatch { .. })));
        // mismatched names at wrapping time
        let forest = CausalForest::params().n_trees(4).seed(3).fit(&w.data).unwrap();
        assert!(
            CateModel::from_causal_forest(forest, names[..2].to_vec(), labels, serde_json::json!({}), 3)
                .is_err()
        );
    }
    // the meta-learner entry point refuses the forest with a pointer to the right one
    let w = world(200, 2, 2, 0.0, 1.0, 4, |_, x| x[1]);
    let err = UpliftParams::new(Method::CausalForest).fit(&w.data).unwrap_err().to_string();
    assert!(err.contains("CausalForest::params"), "{err}");
}
