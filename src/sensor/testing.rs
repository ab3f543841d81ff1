//! Helpers of the unit tests: a sensor with chosen faults and requests against it, without
//! sockets.

use hyper::Method;

use super::config::SensorConfig;
use super::faults::{Fault, Variation};
use super::reply::Reply;
use super::routes::{RequestLine, respond};
use super::state::SensorState;

/// When the test sensor started.
pub const START: i64 = 1_750_000_000_000;

/// When requests are made by default: a minute after the start.
pub const NOW: i64 = START + 60_000;

/// The default API token.
pub const API_TOKEN: &str = "reference-token";

/// The default token of the capture endpoint.
pub const PCAP_TOKEN: &str = "reference-pcap-token";

/// A sensor started at [`START`] with the default dataset.
pub fn sensor(faults: &[Fault], variations: &[Variation]) -> SensorState {
    let config = SensorConfig {
        faults: faults.to_vec(),
        variations: variations.to_vec(),
        ..SensorConfig::default()
    };
    SensorState::new(&config, START)
}

/// A GET of `target` (path and query) at [`NOW`].
pub fn get(state: &SensorState, target: &str, token: Option<&str>) -> Reply {
    get_at(state, target, token, NOW)
}

/// A GET of `target` at `now`.
pub fn get_at(state: &SensorState, target: &str, token: Option<&str>, now: i64) -> Reply {
    send(state, &Method::GET, target, token, now)
}

/// A request with any method at [`NOW`].
pub fn request(state: &SensorState, method: &Method, target: &str, token: Option<&str>) -> Reply {
    send(state, method, target, token, NOW)
}

fn send(
    state: &SensorState,
    method: &Method,
    target: &str,
    token: Option<&str>,
    now: i64,
) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let line = RequestLine {
        method,
        path,
        query,
        authorization: token.map(str::as_bytes),
    };
    respond(state, &line, now)
}
