//! A serialized uplift forest, below the model file's checksum: loading
//! validates, and every prediction of a loaded forest answers without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tp_uplift::UpliftForestModel;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<UpliftForestModel>(data) {
        let x = common::probe(m.n_features());
        let _ = m.predict(x.as_ref());
        let _ = m.predict_interval(x.as_ref(), 0.9);
        let _ = m.predict_rates(x.as_ref());
        let _ = m.feature_importance();
    }
});
