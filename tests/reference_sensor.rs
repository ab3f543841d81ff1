//! The built-in reference sensor passes the whole suite, and each of its faults is caught by
//! the tests of the rule it breaks.

mod common;

use common::{Sensor, failed_tests, text};
use sensor_conformance::sensor::Fault;

#[test]
fn conformant_sensor_passes_every_test() {
    let sensor = Sensor::start(&[]);
    let output = sensor.run(&["--strict"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(failed_tests(&output).is_empty());
}

#[test]
fn every_fault_is_detected() {
    let mut missed = Vec::new();
    for fault in Fault::all() {
        let sensor = Sensor::start(&["--fault", fault.name()]);
        let filter = format!("::{}::", fault.rule());
        let output = sensor.run(&["--strict", &filter]);
        let failed = failed_tests(&output);
        let caught = output.status.code() == Some(1) && failed.iter().any(|t| t.contains(&filter));
        if !caught {
            missed.push(format!(
                "{}: exit {:?}\n{}",
                fault.name(),
                output.status.code(),
                text(&output)
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "faults not detected:\n{}",
        missed.join("\n\n")
    );
}

#[test]
fn builtin_run_needs_no_configuration() {
    let output = common::binary()
        .args(["run", "--strict"])
        .output()
        .expect("run starts");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("built-in reference sensor"));
}
