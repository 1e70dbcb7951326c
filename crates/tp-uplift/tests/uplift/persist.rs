//! Train once, score many: model files round-trip and reject bad input.

use super::sim::world;
use tp_uplift::{CateModel, LearnerKind, Method, UpliftError, UpliftParams};

#[test]
fn every_method_round_trips_to_identical_predictions() {
    let w = world(600, 3, 3, 0.4, 1.0, 2, |a, x| a as f64 + x[0]);
    let fresh = world(100, 3, 3, 0.4, 1.0, 99, |a, x| a as f64 + x[0]);
    for m in [Method::S, Method::T, Method::X, Method::R, Method::Dr] {
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
    let newer = text.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    assert!(matches!(
        CateModel::from_json(&newer),
        Err(UpliftError::UnsupportedVersion { found: 2, supported: 1 })
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

#[test]
fn tree_models_say_they_cannot_be_saved() {
    let w = world(300, 2, 2, 0.0, 1.0, 4, |_, x| x[1]);
    let mut params = UpliftParams::new(Method::T);
    params.outcome_learner = LearnerKind::Gbt.regressor();
    let fit = params.fit(&w.data).unwrap();
    assert!(matches!(fit.model.to_json(), Err(UpliftError::NotSerializable { .. })));
}
