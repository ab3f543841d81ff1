//! The reference sensor: a real HTTP(S) server speaking the sensor's alert management API from
//! a seeded, realistic dataset whose times are relative to its start, and able to break any
//! rule of the contract on request (a named fault per rule).

mod alert_kinds;
mod alerts;
mod cache;
mod event_kinds;
mod faults;
mod pcap;
mod plant;
mod query;
mod random;
mod template;
mod timeline;
mod titles;

pub use faults::{Fault, UnknownName, Variation};
pub use titles::TITLES;
