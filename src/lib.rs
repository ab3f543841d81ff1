//! sensor-conformance: checks whether a server honours the alert management REST API of an OT
//! network-monitoring sensor, and serves a reference sensor that can be told to break any rule.
//!
//! The pipeline: [`contract`] loads the rule catalogue, schemas and cases; [`suite`] expands
//! them into tests and runs them against a [`target`], deciding each [`check`]; [`report`]
//! turns the verdicts into summaries. [`sensor`] is the reference sensor.

pub mod check;
pub mod cli;
pub mod contract;
pub mod fleet;
pub mod report;
pub mod run;
pub mod sensor;
pub mod suite;
pub mod target;
pub mod validate;
