//! The `tp run` TOML config on arbitrary text. tp-cli has no library, so
//! its config module (serde and std only) is compiled in here unchanged;
//! `Config::parse` is what `tp run --config` calls.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, missing_docs, clippy::all)]
#[path = "../../crates/tp-cli/src/pipeline/config.rs"]
mod config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = config::Config::parse(text);
    }
});
