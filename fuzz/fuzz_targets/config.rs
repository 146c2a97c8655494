//! Fuzz target `config`: the check `fuzz_checks::config`, shared with the stable
//! replay test `core/tests/fuzz_regressions.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../../core/tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::config(data));
