#![no_main]
//! `make fuzz`: see core/src/fuzzing.rs for what this target checks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| bulkhead_core::fuzzing::tar_names(data));
