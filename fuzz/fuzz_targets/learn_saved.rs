//! tp-learn's saved models (the base learners inside a CATE model file):
//! regressors and classifiers load with validation and then predict.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tp_learn::{FittedClassifier, FittedRegressor, SavedClassifier, SavedRegressor};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<SavedRegressor>(data) {
        let x = common::probe(FittedRegressor::n_features(&m));
        let _ = m.predict(x.as_ref());
    }
    if let Ok(m) = serde_json::from_slice::<SavedClassifier>(data) {
        let x = common::probe(FittedClassifier::n_features(&m));
        let _ = m.predict_proba(x.as_ref());
    }
});
