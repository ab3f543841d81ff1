//! A case file: arbitrary text loaded as the only case file of a cases directory.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sensor_conformance_fuzz::case_file(data));
