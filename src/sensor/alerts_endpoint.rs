//! `GET /api/v1/alerts` and `GET /api/v2/alerts`: the alert history filtered by `state`,
//! `fromTime`, `toTime` and `type`, in ascending id order.

use hyper::StatusCode;

use super::alert_kinds::Category;
use super::alerts::{Alert, AlertShape};
use super::faults::{Fault, Variation};
use super::query::Query;
use super::reply::{Reply, TEXT};
use super::routes::{Version, numeric_parameter};
use super::state::SensorState;
use super::written_alerts::ListedAlert;

/// The filter parameters, in the order fault A11 looks for the first of them.
const FILTERS: [&str; 4] = ["state", "fromTime", "toTime", "type"];

/// Fault A9 numbers its archived alerts from here, above every id the history reaches.
const ARCHIVED_IDS: u64 = 1_000_000_000;

/// How many archived alerts fault A9 adds.
const ARCHIVED_COUNT: usize = 3;

/// A generous estimate of one alert's JSON, to allocate the body once.
const BYTES_PER_ALERT: usize = 700;

/// The answer to an alerts request.
pub fn answer(state: &SensorState, raw_query: &str, version: Version, now: i64) -> Reply {
    let query = Query::parse(raw_query);
    let filters = match Filters::read(&query, state) {
        Ok(filters) => filters,
        Err(reply) => return reply,
    };
    let shape = shape(state, version);
    let alerts = if filters.unknown_type && state.breaks(Fault::A10UnknownTypeEmpty) {
        Box::new(std::iter::empty())
    } else {
        select(state, &filters, shape, now)
    };
    // Room for every alert that has arrived and the archived ones of fault A9.
    let most = state.alerts.last_id(now) as usize + ARCHIVED_COUNT;
    let buffer = state.body_buffers.take(most * BYTES_PER_ALERT + 16);
    let wrapped = state.breaks(Fault::A1WrappedList);
    match write(buffer, alerts, shape, wrapped) {
        Ok(body) => Reply::json_data(state.body_buffers.body(body), &state.behaviour),
        Err(_) => Reply::internal_error(),
    }
}

/// The filters of one request.
#[derive(Debug, Default, PartialEq, Eq)]
struct Filters {
    handled: Option<bool>,
    from: Option<i64>,
    to: Option<i64>,
    category: Option<Category>,
    /// A `type` was given that the page does not support: it is ignored.
    unknown_type: bool,
    /// `fromTime` leaves out its own instant (fault A7).
    from_exclusive: bool,
    /// `toTime` takes in its own instant (fault A8).
    to_inclusive: bool,
}

impl Filters {
    fn read(query: &Query, state: &SensorState) -> Result<Self, Reply> {
        let first = query.first_of(&FILTERS);
        let given = |name: &str| {
            let ignored = state.breaks(Fault::A11CombineFirstOnly) && first != Some(name);
            if ignored { None } else { query.first(name) }
        };
        let kind = given("type");
        Ok(Self {
            handled: read_state(state, given("state"))?,
            from: numeric_parameter(state, "fromTime", given("fromTime"))?,
            to: numeric_parameter(state, "toTime", given("toTime"))?,
            category: kind.and_then(Category::from_filter),
            unknown_type: kind.is_some_and(|kind| Category::from_filter(kind).is_none()),
            from_exclusive: state.breaks(Fault::A7FromTimeExclusive),
            to_inclusive: state.breaks(Fault::A8ToTimeInclusive),
        })
    }

    fn keeps(&self, alert: &Alert) -> bool {
        self.handled.is_none_or(|handled| alert.handled == handled)
            && self
                .category
                .is_none_or(|category| alert.category() == category)
            && self.keeps_time(alert.time)
    }

    /// `fromTime <= time < toTime`, the page's reading of "starting at" and "before".
    fn keeps_time(&self, time: i64) -> bool {
        let from_ok = self.from.is_none_or(|from| {
            if self.from_exclusive {
                time > from
            } else {
                time >= from
            }
        });
        let to_ok = self.to.is_none_or(|to| {
            if self.to_inclusive {
                time <= to
            } else {
                time < to
            }
        });
        from_ok && to_ok
    }
}

/// Reads `state`: exactly `handled` or `unhandled`, anything else is an error (A6).
fn read_state(state: &SensorState, value: Option<&str>) -> Result<Option<bool>, Reply> {
    match value {
        None => Ok(None),
        Some("handled") if state.breaks(Fault::A5StateOverlap) => Ok(None),
        Some("handled") => Ok(Some(true)),
        Some("unhandled") => Ok(Some(false)),
        Some(_) if state.breaks(Fault::A6AcceptAnyState) => Ok(None),
        Some(_) => Err(invalid_state(state)),
    }
}

fn invalid_state(state: &SensorState) -> Reply {
    if state.breaks(Fault::A13PlainTextError) {
        return Reply::new(StatusCode::BAD_REQUEST, TEXT, "invalid state");
    }
    let message = "Invalid state: the supported values are handled and unhandled";
    Reply::error(StatusCode::BAD_REQUEST, message)
}

/// The alerts of the answer, in its order.
fn select<'s>(
    state: &'s SensorState,
    filters: &'s Filters,
    shape: AlertShape,
    now: i64,
) -> Box<dyn Iterator<Item = ListedAlert<'s>> + 's> {
    let matching = state
        .written
        .arrived(shape, now)
        .filter(|listed| filters.keeps(listed.alert()));
    let archive = filters.category.is_some() && state.breaks(Fault::A9TypeAddsAlerts);
    let newest_first = state.varies(Variation::AlertsNewestFirst);
    if !archive && !newest_first {
        // Written as they come, never all held at once: a large history answers in less memory.
        return Box::new(matching);
    }
    let mut alerts: Vec<ListedAlert> = matching.collect();
    if archive {
        let archived = archived(&alerts);
        alerts.extend(archived);
    }
    if newest_first {
        alerts.reverse();
    }
    Box::new(alerts.into_iter())
}

/// Copies of the first matching alerts under ids no real alert has (fault A9).
fn archived<'s>(matching: &[ListedAlert]) -> Vec<ListedAlert<'s>> {
    let copies = matching.iter().take(ARCHIVED_COUNT);
    copies
        .map(|listed| {
            let alert = listed.alert();
            ListedAlert::Plain(Box::new(Alert {
                id: ARCHIVED_IDS + alert.id,
                ..alert.clone()
            }))
        })
        .collect()
}

fn shape(state: &SensorState, version: Version) -> AlertShape {
    AlertShape {
        v2_fields: version == Version::V2 && !state.breaks(Fault::A4MissingV2Fields),
        string_id: state.breaks(Fault::A2StringId),
        seconds: state.breaks(Fault::A3Seconds),
        duplicate_severity: state.breaks(Fault::G7DuplicateKeys),
    }
}

/// Writes the alerts into `body` as a JSON array, or wrapped in an object (fault A1), byte for
/// byte as `serde_json` writes a sequence of [`AlertJson`](super::alerts::AlertJson) objects.
fn write<'s>(
    mut body: Vec<u8>,
    alerts: impl Iterator<Item = ListedAlert<'s>>,
    shape: AlertShape,
    wrapped: bool,
) -> serde_json::Result<Vec<u8>> {
    if wrapped {
        body.extend_from_slice(b"{\"alerts\":");
    }
    body.push(b'[');
    for (index, alert) in alerts.enumerate() {
        if index > 0 {
            body.push(b',');
        }
        alert.write(shape, &mut body)?;
    }
    body.push(b']');
    if wrapped {
        body.push(b'}');
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::super::reply::JSON;
    use super::super::testing::{API_TOKEN, get, sensor};
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn list(state: &SensorState, target: &str) -> Vec<Value> {
        let reply = get(state, target, Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::OK, "{target}: {}", reply.text());
        assert_eq!(reply.content_type, JSON);
        reply.json().as_array().cloned().expect("an array")
    }

    fn ids(alerts: &[Value]) -> BTreeSet<u64> {
        alerts
            .iter()
            .map(|alert| alert["id"].as_u64().unwrap())
            .collect()
    }

    fn ids_of(state: &SensorState, target: &str) -> BTreeSet<u64> {
        ids(&list(state, target))
    }

    fn time_of(state: &SensorState, id: u64) -> i64 {
        state.alerts.time_of(id)
    }

    #[test]
    fn all_alerts_in_ascending_id_order() {
        let state = sensor(&[], &[]);
        let alerts = list(&state, "/api/v1/alerts");
        let ids: Vec<u64> = alerts.iter().map(|a| a["id"].as_u64().unwrap()).collect();
        assert_eq!(ids, (1..=612).collect::<Vec<_>>());
    }

    #[test]
    fn v1_has_no_v2_fields_and_v2_has_them() {
        let state = sensor(&[], &[]);
        let v1 = list(&state, "/api/v1/alerts");
        assert!(
            v1.iter()
                .all(|alert| alert.get("remediationSteps").is_none())
        );
        let v2 = list(&state, "/api/v2/alerts");
        for alert in &v2 {
            assert!(alert["remediationSteps"].is_array());
            assert!(alert.get("sourceDeviceAddress").is_some());
            assert!(alert.get("destinationDeviceAddress").is_some());
        }
    }

    #[test]
    fn states_split_the_alerts() {
        let state = sensor(&[], &[]);
        let all = ids_of(&state, "/api/v1/alerts");
        let handled = ids_of(&state, "/api/v1/alerts?state=handled");
        let unhandled = ids_of(&state, "/api/v1/alerts?state=unhandled");
        assert!(handled.is_disjoint(&unhandled));
        assert_eq!(&handled | &unhandled, all);
        assert!(!handled.is_empty() && !unhandled.is_empty());
        let encoded = ids_of(&state, "/api/v1/alerts?state=%68andled");
        assert_eq!(encoded, handled);
    }

    #[test]
    fn odd_states_are_rejected_with_a_json_error() {
        let state = sensor(&[], &[]);
        let odd = [
            "HANDLED",
            "Handled",
            "",
            "unknown",
            "handled%20",
            "handled+",
            "%20handled",
            "handledunhandled",
            "handled,unhandled",
            "%00",
        ];
        for value in odd {
            let target = format!("/api/v1/alerts?state={value}");
            let reply = get(&state, &target, Some(API_TOKEN));
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{value}");
            assert_eq!(reply.content_type, JSON);
            assert!(reply.json()["error"].is_string());
        }
    }

    #[test]
    fn from_time_includes_and_to_time_excludes_the_boundary() {
        let state = sensor(&[], &[]);
        let t = time_of(&state, 100);
        let from = ids_of(&state, &format!("/api/v1/alerts?fromTime={t}"));
        assert_eq!(from.first(), Some(&100));
        let to = ids_of(&state, &format!("/api/v1/alerts?toTime={t}"));
        assert_eq!(to.last(), Some(&99));
    }

    #[test]
    fn boundary_faults_move_the_boundary() {
        let t = time_of(&sensor(&[], &[]), 100);
        let state = sensor(&[Fault::A7FromTimeExclusive], &[]);
        let from = ids_of(&state, &format!("/api/v1/alerts?fromTime={t}"));
        assert_eq!(from.first(), Some(&101));
        let state = sensor(&[Fault::A8ToTimeInclusive], &[]);
        let to = ids_of(&state, &format!("/api/v1/alerts?toTime={t}"));
        assert_eq!(to.last(), Some(&100));
    }

    #[test]
    fn non_numeric_times_are_ignored_or_rejected() {
        let state = sensor(&[], &[]);
        let all = ids_of(&state, "/api/v1/alerts");
        assert_eq!(ids_of(&state, "/api/v1/alerts?fromTime=abc&toTime="), all);
        let huge = "123456789012345678901234567890";
        assert_eq!(
            ids_of(&state, &format!("/api/v1/alerts?toTime={huge}")),
            all
        );
        assert!(ids_of(&state, &format!("/api/v1/alerts?fromTime={huge}")).is_empty());
        let strict = sensor(&[], &[Variation::RejectNonNumeric]);
        let reply = get(&strict, "/api/v1/alerts?fromTime=abc", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.json()["error"].is_string());
        let faulty = sensor(&[Fault::G5ErrorOnOddInput], &[]);
        let reply = get(&faulty, "/api/v1/alerts?toTime=abc", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn types_select_subsets_and_unknown_types_are_ignored() {
        let state = sensor(&[], &[]);
        let all = ids_of(&state, "/api/v1/alerts");
        let new = ids_of(&state, "/api/v1/alerts?type=unexpected%20new%20devices");
        let gone = ids_of(&state, "/api/v1/alerts?type=disconnections");
        assert!(new.is_subset(&all) && gone.is_subset(&all));
        assert!(new.is_disjoint(&gone));
        assert!(new.len() > 30 && gone.len() > 30);
        for odd in [
            "Disconnections",
            "",
            "unexpected_new_devices",
            "x",
            "disconnections%20",
        ] {
            let target = format!("/api/v1/alerts?type={odd}");
            assert_eq!(ids_of(&state, &target), all, "{odd}");
        }
    }

    #[test]
    fn parameters_combine_as_an_intersection() {
        let state = sensor(&[], &[]);
        let t = time_of(&state, 300);
        let handled = ids_of(&state, "/api/v1/alerts?state=handled");
        let gone = ids_of(&state, "/api/v1/alerts?type=disconnections");
        let early = ids_of(&state, &format!("/api/v1/alerts?toTime={t}"));
        let target = format!("/api/v1/alerts?state=handled&type=disconnections&toTime={t}");
        let combined = ids_of(&state, &target);
        let expected: BTreeSet<u64> = &(&handled & &gone) & &early;
        assert_eq!(combined, expected);
        assert!(!combined.is_empty());
    }

    #[test]
    fn a_repeated_parameter_uses_its_first_value() {
        let state = sensor(&[], &[]);
        let handled = ids_of(&state, "/api/v1/alerts?state=handled");
        assert_eq!(
            ids_of(&state, "/api/v1/alerts?state=handled&state=x"),
            handled
        );
    }

    #[test]
    fn newest_first_is_a_legal_order() {
        let state = sensor(&[], &[Variation::AlertsNewestFirst]);
        let alerts = list(&state, "/api/v1/alerts");
        assert_eq!(alerts[0]["id"], 612);
        assert_eq!(alerts[611]["id"], 1);
    }

    #[test]
    fn format_faults_change_the_body() {
        let wrapped = get(
            &sensor(&[Fault::A1WrappedList], &[]),
            "/api/v1/alerts",
            Some(API_TOKEN),
        );
        assert!(wrapped.json()["alerts"].is_array());
        let alerts = list(&sensor(&[Fault::A2StringId], &[]), "/api/v1/alerts");
        assert!(alerts[0]["id"].is_string());
        let alerts = list(&sensor(&[Fault::A3Seconds], &[]), "/api/v1/alerts");
        assert!(alerts[0]["time"].as_i64().unwrap() < 10_000_000_000);
        let alerts = list(&sensor(&[Fault::A4MissingV2Fields], &[]), "/api/v2/alerts");
        assert!(alerts[0].get("remediationSteps").is_none());
        let text = get(
            &sensor(&[Fault::G7DuplicateKeys], &[]),
            "/api/v1/alerts",
            Some(API_TOKEN),
        );
        let count = text.text().matches("\"severity\":").count();
        assert_eq!(count, 2 * 612);
    }

    #[test]
    fn text_content_type_fault_labels_data_as_text() {
        let state = sensor(&[Fault::G4TextContentType], &[]);
        let reply = get(&state, "/api/v1/alerts", Some(API_TOKEN));
        assert_eq!(reply.content_type, TEXT);
        let error = get(&state, "/api/v1/alerts?state=x", Some(API_TOKEN));
        assert_eq!(error.content_type, JSON);
    }

    #[test]
    fn state_faults() {
        let overlap = sensor(&[Fault::A5StateOverlap], &[]);
        let all = ids_of(&overlap, "/api/v1/alerts");
        assert_eq!(ids_of(&overlap, "/api/v1/alerts?state=handled"), all);
        let lax = sensor(&[Fault::A6AcceptAnyState], &[]);
        assert_eq!(ids_of(&lax, "/api/v1/alerts?state=HANDLED"), all);
        let plain = sensor(&[Fault::A13PlainTextError], &[]);
        let reply = get(&plain, "/api/v1/alerts?state=HANDLED", Some(API_TOKEN));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!((reply.content_type, reply.text()), (TEXT, "invalid state"));
    }

    #[test]
    fn type_faults() {
        let adding = sensor(&[Fault::A9TypeAddsAlerts], &[]);
        let all = ids_of(&adding, "/api/v1/alerts");
        let gone = ids_of(&adding, "/api/v1/alerts?type=disconnections");
        assert_eq!(gone.difference(&all).count(), ARCHIVED_COUNT);
        let empty = sensor(&[Fault::A10UnknownTypeEmpty], &[]);
        assert!(ids_of(&empty, "/api/v1/alerts?type=nothing").is_empty());
        assert!(!ids_of(&empty, "/api/v1/alerts?type=disconnections").is_empty());
    }

    #[test]
    fn combine_fault_applies_only_the_first_filter() {
        let state = sensor(&[Fault::A11CombineFirstOnly], &[]);
        let handled = ids_of(&state, "/api/v1/alerts?state=handled");
        let combined = ids_of(&state, "/api/v1/alerts?state=handled&type=disconnections");
        assert_eq!(combined, handled);
    }
}

/// Answers against the plain path, the definition they must match byte for byte: every alert
/// generated afresh from the seed and the whole list serialized by `serde_json` in one go, as
/// the sensor wrote its answers before it kept alerts written.
#[cfg(test)]
mod same_bytes {
    use super::super::alerts::AlertJson;
    use super::super::config::SensorConfig;
    use super::super::testing::{NOW, START};
    use super::*;
    use serde::{Serialize, Serializer};

    /// The faults that change how alerts are written.
    const SHAPING: [Fault; 5] = [
        Fault::A1WrappedList,
        Fault::A2StringId,
        Fault::A3Seconds,
        Fault::A4MissingV2Fields,
        Fault::G7DuplicateKeys,
    ];

    /// Queries that reach every filter and every fault of the alerts endpoint.
    const QUERIES: [&str; 13] = [
        "",
        "state=handled",
        "state=unhandled&toTime=1749900000000",
        "fromTime=1749800000000",
        "fromTime=1749800000000&toTime=1749900000000",
        "type=disconnections",
        "type=unexpected%20new%20devices&state=handled",
        "type=disconnections&state=handled&fromTime=1749700000000",
        "state=handled&type=disconnections",
        "type=nothing",
        "fromTime=abc&toTime=",
        "state=HANDLED",
        "fromTime=1750000010000&toTime=1750000050000",
    ];

    struct PlainList<'a> {
        alerts: &'a [Alert],
        shape: AlertShape,
    }

    impl Serialize for PlainList<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let shape = self.shape;
            serializer.collect_seq(self.alerts.iter().map(|alert| AlertJson { alert, shape }))
        }
    }

    #[derive(Serialize)]
    struct PlainWrapped<'a> {
        alerts: PlainList<'a>,
    }

    fn plain_select(state: &SensorState, filters: &Filters, now: i64) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = state
            .alerts
            .arrived(now)
            .filter(|alert| filters.keeps(alert))
            .collect();
        if filters.category.is_some() && state.breaks(Fault::A9TypeAddsAlerts) {
            let copies = alerts.iter().take(ARCHIVED_COUNT);
            let archived: Vec<Alert> = copies
                .map(|alert| Alert {
                    id: ARCHIVED_IDS + alert.id,
                    ..alert.clone()
                })
                .collect();
            alerts.extend(archived);
        }
        if state.varies(Variation::AlertsNewestFirst) {
            alerts.reverse();
        }
        alerts
    }

    /// The plain path's body, or `None` when the request is refused, which writes no alerts.
    fn plain_body(state: &SensorState, query: &str, version: Version, now: i64) -> Option<Vec<u8>> {
        let filters = Filters::read(&Query::parse(query), state).ok()?;
        let alerts = if filters.unknown_type && state.breaks(Fault::A10UnknownTypeEmpty) {
            Vec::new()
        } else {
            plain_select(state, &filters, now)
        };
        let list = PlainList {
            alerts: &alerts,
            shape: shape(state, version),
        };
        let body = if state.breaks(Fault::A1WrappedList) {
            serde_json::to_vec(&PlainWrapped { alerts: list })
        } else {
            serde_json::to_vec(&list)
        };
        Some(body.unwrap())
    }

    fn config(faults: &[Fault], variations: &[Variation], alerts: usize) -> SensorConfig {
        SensorConfig {
            faults: faults.to_vec(),
            variations: variations.to_vec(),
            alerts,
            ..SensorConfig::default()
        }
    }

    /// Every query at `now` gets the plain path's body, from a sensor that keeps all its
    /// alerts written and from one that keeps only the first block and writes the rest afresh.
    fn assert_plain(config: &SensorConfig, queries: &[&str], now: i64) {
        let sensors = [
            SensorState::new(config, START),
            SensorState::with_written_blocks(config, START, 1),
        ];
        for version in [Version::V1, Version::V2] {
            for query in queries {
                let Some(expected) = plain_body(&sensors[0], query, version, now) else {
                    continue;
                };
                for (kept, sensor) in sensors.iter().enumerate() {
                    let body = answer(sensor, query, version, now).body;
                    let what = format!("{config:?} {version:?} {query:?} sensor {kept}");
                    assert!(
                        body == expected,
                        "{what}: the body differs from the plain one"
                    );
                }
            }
        }
    }

    #[test]
    fn every_shape_answers_as_the_plain_path() {
        // A thousand alerts and five minutes of arrivals: past the first block.
        let now = START + 300_000;
        for bits in 0..1u32 << SHAPING.len() {
            let chosen = (0..SHAPING.len()).filter(|bit| bits >> bit & 1 == 1);
            let faults: Vec<Fault> = chosen.map(|bit| SHAPING[bit]).collect();
            let queries = ["", "type=disconnections&state=handled"];
            assert_plain(&config(&faults, &[], 1000), &queries, now);
            let archiving = [faults, vec![Fault::A9TypeAddsAlerts]].concat();
            let newest_first = [Variation::AlertsNewestFirst];
            let queries = ["type=unexpected%20new%20devices", "state=unhandled"];
            assert_plain(&config(&archiving, &newest_first, 1000), &queries, now);
        }
    }

    #[test]
    fn every_fault_and_variation_answers_as_the_plain_path() {
        for fault in Fault::all() {
            assert_plain(&config(&[*fault], &[], 600), &QUERIES, NOW);
        }
        for variation in Variation::all() {
            assert_plain(&config(&[], &[*variation], 600), &QUERIES, NOW);
        }
    }

    #[test]
    fn histories_of_every_size_answer_as_the_plain_path() {
        for (alerts, still, now) in [
            (0, true, NOW),
            (0, false, START + 20_000),
            (1, true, NOW),
            (6, true, NOW),
            (1024, true, NOW),
            (1025, true, NOW),
            (40, false, START + 2 * 3_600_000),
        ] {
            let config = SensorConfig {
                still,
                ..config(&[], &[], alerts)
            };
            assert_plain(&config, &QUERIES[..6], now);
        }
    }

    #[test]
    fn concurrent_first_answers_are_the_plain_ones() {
        let state = SensorState::new(&config(&[], &[], 3000), START);
        let versions = [Version::V1, Version::V2];
        let expected = versions.map(|version| plain_body(&state, "", version, NOW).unwrap());
        std::thread::scope(|scope| {
            for index in 0..8 {
                let (state, expected) = (&state, &expected);
                scope.spawn(move || {
                    let body = answer(state, "", versions[index % 2], NOW).body;
                    assert!(body == expected[index % 2], "thread {index}");
                });
            }
        });
    }
}
