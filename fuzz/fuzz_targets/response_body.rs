//! A response body: arbitrary bytes read as JSON with each schema and profile.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sensor_conformance_fuzz::response_body(data));
