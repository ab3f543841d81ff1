//! From a request to an answer: which endpoint, whether the request may use it, and the
//! rejections common to all endpoints. A pure function of the request, the time and the state,
//! so that every rule can be tested without a socket.

use hyper::header::ALLOW;
use hyper::{Method, StatusCode};

use super::faults::{Fault, Variation};
use super::query::Number;
use super::reply::{Reply, TEXT};
use super::state::{SensorState, Token};
use super::{alerts_endpoint, capture_endpoint, events_endpoint};

/// The parts of a request the sensor looks at.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path, without the query string.
    pub path: &'a str,
    /// The raw query string, without the `?` (empty when there is none).
    pub query: &'a str,
    /// The raw value of the `Authorization` header.
    pub authorization: Option<&'a [u8]>,
}

/// The version of the alerts endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `/api/v1/alerts`.
    V1,
    /// `/api/v2/alerts`, with device addresses and remediation steps.
    V2,
}

/// The endpoints the sensor serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint<'a> {
    Alerts(Version),
    Events,
    /// The capture of an alert, with the id segment as given.
    Capture(&'a str),
}

const CAPTURE_PREFIX: &str = "/api/v2/alerts/pcap/";

/// The answer to one request at `now` (epoch ms).
pub fn respond(state: &SensorState, request: &RequestLine<'_>, now: i64) -> Reply {
    let Some(endpoint) = endpoint(request.path) else {
        return unknown_path(state);
    };
    if request.method != Method::GET {
        return Reply::error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
            .with_header(ALLOW, "GET");
    }
    if !authorized(state, endpoint, request.authorization) {
        return rejection(state);
    }
    match endpoint {
        Endpoint::Alerts(version) => alerts_endpoint::answer(state, request.query, version, now),
        Endpoint::Events => events_endpoint::answer(state, request.path, request.query, now),
        Endpoint::Capture(id) => capture_endpoint::answer(state, id, now),
    }
}

/// Reads a numeric parameter (`fromTime`, `toTime`, `minutesTimeFrame`). A value that is not a
/// number is ignored, as the page implies; variation `reject-non-numeric` rejects it instead,
/// and fault G5 answers it, even an empty one, with a server error.
pub fn numeric_parameter(
    state: &SensorState,
    name: &str,
    value: Option<&str>,
) -> Result<Option<i64>, Reply> {
    let server_error = state.breaks(Fault::G5ErrorOnOddInput);
    match Number::read(value) {
        Number::Absent => Ok(None),
        Number::Value(number) => Ok(Some(number)),
        Number::Empty | Number::Malformed if server_error => Err(Reply::internal_error()),
        Number::Malformed if state.varies(Variation::RejectNonNumeric) => {
            let message = format!("{name} must be a number");
            Err(Reply::error(StatusCode::BAD_REQUEST, &message))
        }
        Number::Empty | Number::Malformed => Ok(None),
    }
}

fn endpoint(path: &str) -> Option<Endpoint<'_>> {
    match path {
        "/api/v1/alerts" => Some(Endpoint::Alerts(Version::V1)),
        "/api/v2/alerts" => Some(Endpoint::Alerts(Version::V2)),
        "/api/v1/events" => Some(Endpoint::Events),
        _ => path
            .strip_prefix(CAPTURE_PREFIX)
            .filter(|id| !id.contains('/'))
            .map(Endpoint::Capture),
    }
}

fn authorized(state: &SensorState, endpoint: Endpoint<'_>, authorization: Option<&[u8]>) -> bool {
    let api = || state.presents(authorization, Token::Api);
    match endpoint {
        Endpoint::Capture(_) => {
            state.presents(authorization, Token::Capture)
                || (state.breaks(Fault::P3AcceptApiToken) && api())
        }
        _ => state.breaks(Fault::G1NoAuth) || api(),
    }
}

/// The answer to a missing or wrong token: 401 with a JSON error (G2), or a variant.
fn rejection(state: &SensorState) -> Reply {
    let status = if state.varies(Variation::Reject403) {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNAUTHORIZED
    };
    let message = status.canonical_reason().unwrap_or("Unauthorized");
    if state.breaks(Fault::G2PlainRejection) {
        return Reply::new(status, TEXT, message);
    }
    Reply::error(status, message)
}

fn unknown_path(state: &SensorState) -> Reply {
    if state.varies(Variation::UnknownPath400) {
        return Reply::error(StatusCode::BAD_REQUEST, "Unsupported request");
    }
    Reply::error(StatusCode::NOT_FOUND, "Not found")
}

#[cfg(test)]
mod tests {
    use super::super::reply::JSON;
    use super::super::testing::{API_TOKEN, PCAP_TOKEN, get, request, sensor};
    use super::*;

    const PATHS: [&str; 4] = [
        "/api/v1/alerts",
        "/api/v2/alerts",
        "/api/v1/events",
        "/api/v2/alerts/pcap/3",
    ];

    #[test]
    fn every_endpoint_answers_its_token() {
        let state = sensor(&[], &[]);
        for path in &PATHS[..3] {
            assert_eq!(get(&state, path, Some(API_TOKEN)).status, StatusCode::OK);
        }
        let capture = get(&state, PATHS[3], Some(PCAP_TOKEN));
        assert_eq!(capture.status, StatusCode::OK);
    }

    #[test]
    fn missing_or_wrong_tokens_get_401_json_and_no_data() {
        let state = sensor(&[], &[]);
        for path in PATHS {
            for token in [None, Some("wrong"), Some("Bearer reference-token")] {
                let reply = get(&state, path, token);
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path} {token:?}");
                assert_eq!(reply.content_type, JSON);
                assert_eq!(reply.json(), serde_json::json!({"error": "Unauthorized"}));
            }
        }
    }

    #[test]
    fn the_api_token_does_not_open_captures() {
        let state = sensor(&[], &[]);
        let reply = get(&state, "/api/v2/alerts/pcap/3", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        let faulty = sensor(&[Fault::P3AcceptApiToken], &[]);
        let reply = get(&faulty, "/api/v2/alerts/pcap/3", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::OK);
    }

    #[test]
    fn the_capture_token_does_not_open_the_api() {
        let state = sensor(&[], &[]);
        let reply = get(&state, "/api/v1/alerts", Some(PCAP_TOKEN));
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn no_auth_serves_json_endpoints_without_a_token() {
        let state = sensor(&[Fault::G1NoAuth], &[]);
        for path in &PATHS[..3] {
            assert_eq!(get(&state, path, None).status, StatusCode::OK);
        }
        assert_eq!(get(&state, PATHS[3], None).status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn plain_rejections_are_text() {
        let state = sensor(&[Fault::G2PlainRejection], &[]);
        let reply = get(&state, "/api/v1/alerts", None);
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!((reply.content_type, reply.text()), (TEXT, "Unauthorized"));
    }

    #[test]
    fn rejections_may_be_403() {
        let state = sensor(&[], &[Variation::Reject403]);
        let reply = get(&state, "/api/v1/events", Some("wrong"));
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.json()["error"].is_string());
    }

    #[test]
    fn unknown_paths_are_404_or_400() {
        let state = sensor(&[], &[]);
        for path in [
            "/",
            "/api/v1/alerts/",
            "/api/v3/alerts",
            "/api/v2/alerts/pcap/3/x",
        ] {
            let reply = get(&state, path, Some(API_TOKEN));
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert!(reply.json()["error"].is_string());
        }
        let varied = sensor(&[], &[Variation::UnknownPath400]);
        let reply = get(&varied, "/nothing", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn only_get_is_allowed() {
        let state = sensor(&[], &[]);
        let reply = request(&state, &Method::POST, "/api/v1/alerts", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(reply.json()["error"].is_string());
        assert_eq!(reply.headers, [(ALLOW, "GET".parse().unwrap())]);
    }
}
