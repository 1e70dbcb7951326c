//! A serialized causal forest, below the model file's checksum: loading
//! validates, and every query of a loaded forest answers without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tp_uplift::CausalForestModel;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<CausalForestModel>(data) {
        let x = common::probe(m.n_features());
        let _ = m.predict_arms(x.as_ref());
        let _ = m.predict_interval(x.as_ref(), 0.9);
        let _ = m.oob_interval(0.9);
        let _ = m.ate_arms();
        for arm in 0..=m.n_treated() + 1 {
            let _ = m.oob_predict_arm(arm);
            let _ = m.dr_scores_arm(arm);
            let _ = m.propensity_arm(arm);
        }
        let _ = m.variable_importance();
    }
});
