//! `GET /api/v1/alerts` and `GET /api/v2/alerts`: the alert history filtered by `state`,
//! `fromTime`, `toTime` and `type`, in ascending id order.

use hyper::StatusCode;
use serde::{Serialize, Serializer};

use super::alert_kinds::Category;
use super::alerts::{Alert, AlertJson, AlertShape};
use super::faults::{Fault, Variation};
use super::query::Query;
use super::reply::{Reply, TEXT};
use super::routes::{Version, numeric_parameter};
use super::state::SensorState;

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
    let alerts = if filters.unknown_type && state.breaks(Fault::A10UnknownTypeEmpty) {
        Vec::new()
    } else {
        select(state, &filters, now)
    };
    let wrapped = state.breaks(Fault::A1WrappedList);
    match write(&alerts, shape(state, version), wrapped) {
        Ok(body) => Reply::json_data(body, &state.behaviour),
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

fn select(state: &SensorState, filters: &Filters, now: i64) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = state
        .alerts
        .arrived(now)
        .filter(|alert| filters.keeps(alert))
        .collect();
    if filters.category.is_some() && state.breaks(Fault::A9TypeAddsAlerts) {
        let archived = archived(&alerts);
        alerts.extend(archived);
    }
    if state.varies(Variation::AlertsNewestFirst) {
        alerts.reverse();
    }
    alerts
}

/// Copies of the first matching alerts under ids no real alert has (fault A9).
fn archived(matching: &[Alert]) -> Vec<Alert> {
    let copies = matching.iter().take(ARCHIVED_COUNT);
    copies
        .map(|alert| Alert {
            id: ARCHIVED_IDS + alert.id,
            ..alert.clone()
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

/// Writes the alerts as a JSON array, or wrapped in an object (fault A1).
fn write(alerts: &[Alert], shape: AlertShape, wrapped: bool) -> serde_json::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(alerts.len() * BYTES_PER_ALERT + 16);
    let list = AlertList { alerts, shape };
    if wrapped {
        serde_json::to_writer(&mut body, &Wrapped { alerts: list })?;
    } else {
        serde_json::to_writer(&mut body, &list)?;
    }
    Ok(body)
}

struct AlertList<'a> {
    alerts: &'a [Alert],
    shape: AlertShape,
}

impl Serialize for AlertList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let shape = self.shape;
        serializer.collect_seq(self.alerts.iter().map(|alert| AlertJson { alert, shape }))
    }
}

#[derive(Serialize)]
struct Wrapped<'a> {
    alerts: AlertList<'a>,
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
