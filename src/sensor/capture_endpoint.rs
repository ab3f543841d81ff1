//! `GET /api/v2/alerts/pcap/<id>`: the capture file of an alert, for the alerts that have one.

use hyper::StatusCode;

use super::faults::Fault;
use super::pcap::capture;
use super::reply::{JSON, PCAP, Reply};
use super::state::SensorState;

/// The page's own error message.
const NOT_AVAILABLE: &str = "PCAP file is not available";

/// One alert in this many has a capture.
const CAPTURE_EVERY: u64 = 3;

/// The answer to a capture request for the id segment `id`.
pub fn answer(state: &SensorState, id: &str, now: i64) -> Reply {
    let Some(id) = captured_alert(state, id, now) else {
        return missing(state);
    };
    let alert = state.alerts.alert(id);
    let file = capture(state.seed, &alert, state.breaks(Fault::P1TruncatedPcap));
    Reply::new(StatusCode::OK, label(state), file)
}

/// The id of an alert that has arrived by `now` and has a capture.
fn captured_alert(state: &SensorState, id: &str, now: i64) -> Option<u64> {
    // Only plain digits: `+3` or ` 3` name no alert.
    if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let id: u64 = id.parse().ok()?;
    let arrived = (1..=state.alerts.last_id(now)).contains(&id);
    (arrived && id.is_multiple_of(CAPTURE_EVERY)).then_some(id)
}

fn missing(state: &SensorState) -> Reply {
    if state.breaks(Fault::P2MissingAsEmpty) {
        return Reply::new(StatusCode::OK, label(state), Vec::new());
    }
    Reply::error(StatusCode::NOT_FOUND, NOT_AVAILABLE)
}

fn label(state: &SensorState) -> &'static str {
    if state.breaks(Fault::P4JsonContentType) {
        JSON
    } else {
        PCAP
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{PCAP_TOKEN, get, sensor};
    use super::*;

    fn fetch(state: &SensorState, id: &str) -> Reply {
        get(
            state,
            &format!("/api/v2/alerts/pcap/{id}"),
            Some(PCAP_TOKEN),
        )
    }

    #[test]
    fn every_third_alert_has_a_capture() {
        let state = sensor(&[], &[]);
        for id in ["3", "6", "600", "612"] {
            let reply = fetch(&state, id);
            assert_eq!(
                (reply.status, reply.content_type),
                (StatusCode::OK, PCAP),
                "{id}"
            );
            assert_eq!(reply.body[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
        }
    }

    #[test]
    fn other_ids_are_not_available() {
        let state = sensor(&[], &[]);
        for id in [
            "1", "2", "0", "615", "999999", "abc", "", "+3", "%33", "3.0", "-3",
        ] {
            let reply = fetch(&state, id);
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{id}");
            assert_eq!(reply.json()["error"], NOT_AVAILABLE);
        }
        let huge = fetch(&state, "123456789012345678901234567890");
        assert_eq!(huge.status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn capture_faults() {
        let truncated = fetch(&sensor(&[Fault::P1TruncatedPcap], &[]), "3");
        let whole = fetch(&sensor(&[], &[]), "3");
        assert!(truncated.body.len() < whole.body.len());
        let empty = fetch(&sensor(&[Fault::P2MissingAsEmpty], &[]), "1");
        assert_eq!(empty.status, StatusCode::OK);
        assert!(empty.body.is_empty());
        let labelled = fetch(&sensor(&[Fault::P4JsonContentType], &[]), "3");
        assert_eq!(labelled.content_type, JSON);
    }
}
