//! The reference sensor: a real HTTP(S) server speaking the sensor's alert management API from
//! a seeded, realistic dataset whose times are relative to its start, and able to break any
//! rule of the contract on request (a named fault per rule).

mod alert_kinds;
mod alerts;
mod alerts_endpoint;
mod batched_writes;
mod body_buffers;
mod cache;
mod capture_endpoint;
mod config;
mod error;
mod event_kinds;
mod events_endpoint;
mod faults;
mod pcap;
mod plant;
mod query;
mod random;
mod reply;
mod routes;
mod server;
mod state;
mod template;
#[cfg(test)]
mod testing;
mod timeline;
mod titles;
mod tls;
mod written_alerts;

pub use config::{SensorConfig, ServeArgs};
pub use error::SensorError;
pub use faults::{Fault, UnknownName, Variation};
pub use server::{RunningSensor, serve, start};
pub use titles::TITLES;
