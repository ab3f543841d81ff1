//! `GET /api/v1/events`: the latest 100 events of the timeline, newest first, filtered by
//! `minutesTimeFrame` and `type`, and cached for an hour per request as the page describes.

use bytes::Bytes;
use hyper::StatusCode;

use super::faults::{Fault, Variation};
use super::query::Query;
use super::reply::Reply;
use super::routes::numeric_parameter;
use super::state::SensorState;
use super::timeline::{Event, EventStub};
use super::titles::kind_index;

/// The page's limit of `minutesTimeFrame`: three days.
pub const MAX_MINUTES: i64 = 4320;

/// At most this many events per answer.
pub const MAX_EVENTS: usize = 100;

/// The severity fault E1 gives every tenth event.
const BAD_SEVERITY: &str = "WARNING";

/// The answer to an events request, from the cache when an identical request made one within
/// the hour.
pub fn answer(state: &SensorState, path: &str, raw_query: &str, now: i64) -> Reply {
    let key = cache_key(state, path, raw_query);
    if let Some(key) = &key
        && let Some(body) = state.cache.get(key, now)
    {
        return Reply::json_data(body, &state.behaviour);
    }
    let reply = fresh(state, raw_query, now);
    match key {
        Some(key) if reply.status.is_success() => {
            let body = state.cache.insert(key, reply.body, now);
            Reply { body, ..reply }
        }
        _ => reply,
    }
}

/// The cache key: path and raw query, byte for byte (fault E9: the path only; variation
/// `cache-order-insensitive`: the sorted decoded parameters). None when nothing is cached.
fn cache_key(state: &SensorState, path: &str, raw_query: &str) -> Option<String> {
    if state.breaks(Fault::E8NoCache) {
        return None;
    }
    if state.breaks(Fault::E9CacheIgnoresParams) {
        return Some(path.to_owned());
    }
    if state.varies(Variation::CacheOrderInsensitive) {
        let query = Query::parse(raw_query);
        return Some(format!("{path}?{:?}", query.sorted()));
    }
    Some(format!("{path}?{raw_query}"))
}

/// The answer computed from the timeline at `now`.
fn fresh(state: &SensorState, raw_query: &str, now: i64) -> Reply {
    let query = Query::parse(raw_query);
    let minutes = match time_frame(state, query.first("minutesTimeFrame")) {
        Ok(minutes) => minutes,
        Err(reply) => return reply,
    };
    let kind = query.first("type");
    if kind.is_some_and(|k| kind_index(k).is_none()) && state.breaks(Fault::E7RejectUnknownType) {
        return Reply::error(StatusCode::BAD_REQUEST, "unknown event type");
    }
    let events = match kind.map(|kind| (kind, kind_index(kind))) {
        Some((_, None)) if state.breaks(Fault::E7UnknownTypeEmpty) => Vec::new(),
        Some((_, index)) if !state.breaks(Fault::E6TypeIgnored) => {
            select(state, now, minutes, index)
        }
        _ => select(state, now, minutes, None),
    };
    match serde_json::to_vec(&events) {
        Ok(body) => Reply::json_data(cut(state, body), &state.behaviour),
        Err(_) => Reply::internal_error(),
    }
}

/// Reads `minutesTimeFrame`: above 4320 counts as 4320 (E5); zero, negative, empty and
/// non-numeric values count as absent, which means no limit.
fn time_frame(state: &SensorState, value: Option<&str>) -> Result<Option<i64>, Reply> {
    let minutes = numeric_parameter(state, "minutesTimeFrame", value)?;
    let minutes = minutes.filter(|minutes| *minutes > 0);
    if state.breaks(Fault::E4WindowIgnored) {
        return Ok(None);
    }
    if minutes.is_some_and(|minutes| minutes > MAX_MINUTES) {
        if state.breaks(Fault::E5RejectLarge) {
            let message = "minutesTimeFrame must not exceed 4320";
            return Err(Reply::error(StatusCode::BAD_REQUEST, message));
        }
        return Ok(Some(MAX_MINUTES));
    }
    Ok(minutes)
}

/// The latest 100 matching events, newest first, with the faults of the E rules applied.
fn select(state: &SensorState, now: i64, minutes: Option<i64>, kind: Option<usize>) -> Vec<Event> {
    let from = minutes.map(|minutes| now - minutes * 60_000);
    let timeline = &state.timeline;
    let mut stubs: Vec<EventStub> = if state.breaks(Fault::E3Wrong100) {
        let mut oldest: Vec<EventStub> = timeline
            .oldest_first(now, from, kind)
            .take(MAX_EVENTS)
            .collect();
        oldest.reverse();
        oldest
    } else {
        timeline
            .newest_first(now, from, kind)
            .take(MAX_EVENTS)
            .collect()
    };
    if state.breaks(Fault::E2OldestFirst) {
        stubs.reverse();
    }
    let events = stubs.into_iter().map(|stub| timeline.event(stub));
    events.map(|event| misreport(state, event)).collect()
}

/// An event with the faults E1 and E10 applied. E1 marks about one event in ten, chosen by
/// its timestamp, so an event reads the same in every answer that holds it.
fn misreport(state: &SensorState, mut event: Event) -> Event {
    let marked = (event.timestamp as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    if state.breaks(Fault::E1BadSeverity) && marked.is_multiple_of(10) {
        event.severity = BAD_SEVERITY;
    }
    if state.breaks(Fault::E10WrongTitles) {
        event.title = event.kind;
    }
    event
}

/// The body, cut in the middle under fault G3.
fn cut(state: &SensorState, body: Vec<u8>) -> Bytes {
    let mut body = Bytes::from(body);
    if state.breaks(Fault::G3InvalidJson) {
        body.truncate(body.len() / 2);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::super::alerts::DAY_MS;
    use super::super::cache::LIFETIME_MS;
    use super::super::reply::JSON;
    use super::super::testing::{API_TOKEN, NOW, get_at, sensor};
    use super::super::titles::TITLES;
    use super::*;
    use serde_json::Value;

    fn events_at(state: &SensorState, query: &str, now: i64) -> Vec<Value> {
        let target = format!("/api/v1/events?{query}");
        let reply = get_at(state, &target, Some(API_TOKEN), now);
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
        assert_eq!(reply.content_type, JSON);
        reply.json().as_array().cloned().expect("an array")
    }

    fn events(state: &SensorState, query: &str) -> Vec<Value> {
        events_at(state, query, NOW)
    }

    fn timestamps(events: &[Value]) -> Vec<i64> {
        events
            .iter()
            .map(|e| e["timestamp"].as_i64().unwrap())
            .collect()
    }

    fn fresh_sensor() -> SensorState {
        sensor(&[Fault::E8NoCache], &[])
    }

    #[test]
    fn the_latest_100_newest_first() {
        let state = fresh_sensor();
        let times = timestamps(&events(&state, ""));
        assert_eq!(times.len(), MAX_EVENTS);
        assert!(times.windows(2).all(|pair| pair[0] >= pair[1]));
        assert_eq!(times[0], NOW);
    }

    #[test]
    fn events_are_well_formed() {
        let state = fresh_sensor();
        for event in events(&state, "minutesTimeFrame=4320") {
            let kind = event["type"].as_str().unwrap();
            let title = TITLES.iter().find(|(k, _)| *k == kind).map(|(_, t)| *t);
            assert_eq!(event["title"].as_str(), title);
            let severity = event["severity"].as_str().unwrap();
            assert!(["INFO", "NOTICE", "ALERT"].contains(&severity));
            assert!(event["owner"].is_null() || event["owner"].is_string());
            assert!(event["content"].is_string());
        }
    }

    #[test]
    fn the_time_frame_bounds_the_events() {
        let state = fresh_sensor();
        let times = timestamps(&events(&state, "minutesTimeFrame=1"));
        assert!(times.iter().all(|t| *t >= NOW - 60_000));
        assert_eq!(times.len(), MAX_EVENTS);
        let rare = events(&state, "minutesTimeFrame=30&type=PLC_START");
        assert_eq!(rare.len(), 1);
    }

    #[test]
    fn large_time_frames_count_as_4320() {
        let state = fresh_sensor();
        let capped = timestamps(&events(&state, "type=DEVICE_CREATE&minutesTimeFrame=4320"));
        assert!(capped.iter().all(|t| *t >= NOW - 3 * DAY_MS));
        let unlimited = timestamps(&events(&state, "type=DEVICE_CREATE"));
        assert!(unlimited.len() > capped.len());
        for large in [
            "4321",
            "100000",
            "9223372036854775807",
            "123456789012345678901234567890",
        ] {
            let query = format!("type=DEVICE_CREATE&minutesTimeFrame={large}");
            assert_eq!(timestamps(&events(&state, &query)), capped, "{large}");
        }
    }

    #[test]
    fn odd_time_frames_count_as_absent() {
        let state = fresh_sensor();
        let unlimited = timestamps(&events(&state, "type=FIRMWARE_UPDATE"));
        for odd in ["", "0", "-5", "abc", "-123456789012345678901234567890"] {
            let query = format!("type=FIRMWARE_UPDATE&minutesTimeFrame={odd}");
            assert_eq!(timestamps(&events(&state, &query)), unlimited, "{odd}");
        }
        let bare = timestamps(&events(&state, "type=FIRMWARE_UPDATE&minutesTimeFrame"));
        assert_eq!(bare, unlimited);
    }

    #[test]
    fn types_filter_and_unknown_types_are_ignored() {
        let state = fresh_sensor();
        let logins = events(&state, "type=USER_LOGIN");
        assert!(!logins.is_empty());
        assert!(logins.iter().all(|event| event["type"] == "USER_LOGIN"));
        let all = timestamps(&events(&state, ""));
        for odd in ["user_login", "NOPE", "", "USER_LOGIN%20"] {
            let query = format!("type={odd}");
            assert_eq!(timestamps(&events(&state, &query)), all, "{odd}");
        }
    }

    #[test]
    fn an_identical_request_within_the_hour_is_cached() {
        let state = sensor(&[], &[]);
        let first = timestamps(&events(&state, "minutesTimeFrame=10"));
        let later = NOW + 30 * 60_000;
        assert_eq!(
            timestamps(&events_at(&state, "minutesTimeFrame=10", later)),
            first
        );
        let other = timestamps(&events_at(&state, "minutesTimeFrame=11", later));
        assert_ne!(other, first);
        let reordered = events_at(&state, "minutesTimeFrame=10&type=", later);
        assert_ne!(timestamps(&reordered), first);
        let expired = NOW + LIFETIME_MS;
        let renewed = timestamps(&events_at(&state, "minutesTimeFrame=10", expired));
        assert_ne!(renewed, first);
    }

    #[test]
    fn errors_are_not_cached() {
        let state = sensor(&[], &[Variation::RejectNonNumeric]);
        let target = "/api/v1/events?minutesTimeFrame=abc";
        let reply = get_at(&state, target, Some(API_TOKEN), NOW);
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            state.cache.get("/api/v1/events?minutesTimeFrame=abc", NOW),
            None
        );
    }

    #[test]
    fn cache_variations_and_faults() {
        let insensitive = sensor(&[], &[Variation::CacheOrderInsensitive]);
        let first = events(&insensitive, "type=USER_LOGIN&minutesTimeFrame=60");
        let later = NOW + 60_000;
        let swapped = events_at(&insensitive, "minutesTimeFrame=60&type=USER_LOGIN", later);
        assert_eq!(first, swapped);
        let by_path = sensor(&[Fault::E9CacheIgnoresParams], &[]);
        let first = events(&by_path, "minutesTimeFrame=60");
        assert_eq!(events_at(&by_path, "type=PLC_START", later), first);
        let none = sensor(&[Fault::E8NoCache], &[]);
        let first = events(&none, "minutesTimeFrame=60");
        assert_ne!(events_at(&none, "minutesTimeFrame=60", later), first);
    }

    #[test]
    fn order_and_selection_faults() {
        let expected = timestamps(&events(&fresh_sensor(), "minutesTimeFrame=10"));
        let oldest = sensor(&[Fault::E2OldestFirst, Fault::E8NoCache], &[]);
        let mut reversed = timestamps(&events(&oldest, "minutesTimeFrame=10"));
        reversed.reverse();
        assert_eq!(reversed, expected);
        let wrong = sensor(&[Fault::E3Wrong100, Fault::E8NoCache], &[]);
        let times = timestamps(&events(&wrong, "minutesTimeFrame=10"));
        assert!(times.windows(2).all(|pair| pair[0] >= pair[1]));
        assert!(times[MAX_EVENTS - 1] < expected[MAX_EVENTS - 1]);
        assert!(times[0] < expected[0]);
    }

    #[test]
    fn window_faults() {
        let ignored = sensor(&[Fault::E4WindowIgnored, Fault::E8NoCache], &[]);
        let rare = events(&ignored, "minutesTimeFrame=30&type=PLC_START");
        assert!(rare.len() > 1);
        let strict = sensor(&[Fault::E5RejectLarge], &[]);
        let reply = get_at(
            &strict,
            "/api/v1/events?minutesTimeFrame=4321",
            Some(API_TOKEN),
            NOW,
        );
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.json()["error"].is_string());
        let odd = sensor(&[Fault::G5ErrorOnOddInput], &[]);
        let reply = get_at(
            &odd,
            "/api/v1/events?minutesTimeFrame=x",
            Some(API_TOKEN),
            NOW,
        );
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn type_faults() {
        let ignoring = sensor(&[Fault::E6TypeIgnored], &[]);
        let mixed = events(&ignoring, "type=PLC_START");
        assert!(mixed.iter().any(|event| event["type"] != "PLC_START"));
        let empty = sensor(&[Fault::E7UnknownTypeEmpty], &[]);
        assert!(events(&empty, "type=NOPE").is_empty());
        assert!(!events(&empty, "type=USER_LOGIN").is_empty());
        let strict = sensor(&[Fault::E7RejectUnknownType], &[]);
        let reply = get_at(&strict, "/api/v1/events?type=NOPE", Some(API_TOKEN), NOW);
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(!events(&strict, "type=USER_LOGIN").is_empty());
    }

    #[test]
    fn content_faults() {
        let severity = events(&sensor(&[Fault::E1BadSeverity], &[]), "");
        let marked = severity
            .iter()
            .filter(|e| e["severity"] == "WARNING")
            .count();
        assert!((1..50).contains(&marked), "{marked} of 100 events marked");
        let titles = events(&sensor(&[Fault::E10WrongTitles], &[]), "");
        assert!(titles.iter().all(|event| event["title"] == event["type"]));
        let cut = sensor(&[Fault::G3InvalidJson], &[]);
        let reply = get_at(&cut, "/api/v1/events", Some(API_TOKEN), NOW);
        assert_eq!((reply.status, reply.content_type), (StatusCode::OK, JSON));
        assert!(serde_json::from_slice::<Value>(&reply.body).is_err());
    }
}
