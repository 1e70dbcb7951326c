//! A saved CATE model (`tp uplift --save-model`, read by `tp score`):
//! loading and, when it loads, predicting never panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tp_uplift::CateModel;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(m) = CateModel::from_json(text) {
        let x = common::probe(m.feature_names().len());
        let _ = m.predict(x.as_ref());
        let _ = m.predict_se(x.as_ref());
    }
});
