//! Conformance suite for the alert management REST API of OT network-monitoring sensors.

pub mod sensor;
