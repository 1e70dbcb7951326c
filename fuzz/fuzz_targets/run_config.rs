//! The `tp run` TOML config on arbitrary text: `Config::parse` is what
//! `tp run` calls on its config file.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tp_pipeline::Config::parse(text);
    }
});
