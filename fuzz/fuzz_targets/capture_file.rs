//! A capture: arbitrary bytes checked as a pcap or pcapng file.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sensor_conformance_fuzz::capture_file(data));
