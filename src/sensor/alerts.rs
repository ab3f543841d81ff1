//! The alert history: seeded alerts over the four days before the sensor started, then, unless
//! the sensor stands still, a new alert every five seconds. An alert is a pure function of its
//! id, so the history is never stored (the alerts endpoint keeps the oldest ones written, see
//! `written_alerts`).

use std::fmt;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::alert_kinds::{
    AlertKind, Category, DISCONNECTION_KINDS, NEW_DEVICE_KINDS, OTHER_KINDS, Side,
};
use super::plant::{ALL_DEVICES, Address, Device, EXTERNAL_ADDRESSES, KNOWN_DEVICES};
use super::random::{Draw, Stream};
use super::template::{Fill, Slots};

/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How far back the seeded history reaches.
const HISTORY_SPAN_MS: i64 = 4 * DAY_MS;

/// The interval between alerts arriving after the start.
pub const ARRIVAL_INTERVAL_MS: i64 = 5_000;

/// The severities of the page, in rising order.
const SEVERITIES: [&str; 4] = ["Warning", "Minor", "Major", "Critical"];

/// One side of an alert: a device of the plant, or just an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    /// The sensor's device, if the address belongs to one.
    pub device: Option<Device>,
    /// The address the sensor saw.
    pub address: Address,
}

/// One alert, as the sensor knows it.
#[derive(Debug, Clone)]
pub struct Alert {
    /// The alert id, from 1.
    pub id: u64,
    /// When it was raised, epoch milliseconds.
    pub time: i64,
    /// Whether an operator has handled it.
    pub handled: bool,
    /// What kind of alert it is.
    pub kind: &'static AlertKind,
    /// One of the page's severities.
    pub severity: &'static str,
    /// The source side, if the alert names one.
    pub source: Option<Party>,
    /// The destination side, if the alert names one.
    pub destination: Option<Party>,
    /// The number the kind's templates mention (a function code, a count).
    pub number: u32,
}

impl Alert {
    /// The alert type the `type` filter sees.
    pub fn category(&self) -> Category {
        self.kind.category
    }
}

impl Slots for Alert {
    fn write_slot(&self, name: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match name {
            "src" => write_address(self.source, out),
            "dst" => write_address(self.destination, out),
            "n" => write!(out, "{}", self.number),
            "vendor" => {
                let device = self.source.and_then(|party| party.device);
                out.write_str(device.map_or("unknown vendor", |device| device.vendor()))
            }
            _ => Ok(()),
        }
    }
}

fn write_address(party: Option<Party>, out: &mut fmt::Formatter<'_>) -> fmt::Result {
    match party {
        Some(party) => write!(out, "{}", party.address),
        None => out.write_str("an unknown device"),
    }
}

/// The alerts of one sensor, as a function of id and time.
#[derive(Debug, Clone)]
pub struct AlertHistory {
    seed: u64,
    start: i64,
    seeded: u64,
    step: i64,
    still: bool,
}

impl AlertHistory {
    /// The history of a sensor started at `start` (epoch ms) with `seeded` older alerts.
    pub fn new(seed: u64, start: i64, seeded: usize, still: bool) -> Self {
        let seeded = seeded as u64;
        // At least one millisecond apart, so that time strictly increases with id.
        let step = (HISTORY_SPAN_MS / seeded.max(1) as i64).max(1);
        Self {
            seed,
            start,
            seeded,
            step,
            still,
        }
    }

    /// The id of the newest alert that has arrived by `now` (0 when there is none).
    pub fn last_id(&self, now: i64) -> u64 {
        self.seeded + self.live_count(now)
    }

    /// The alerts that have arrived by `now`, in ascending id (and time) order.
    #[cfg(test)]
    pub fn arrived(&self, now: i64) -> impl Iterator<Item = Alert> + '_ {
        (1..=self.last_id(now)).map(|id| self.alert(id))
    }

    fn live_count(&self, now: i64) -> u64 {
        if self.still {
            return 0;
        }
        ((now - self.start).max(0) / ARRIVAL_INTERVAL_MS) as u64
    }

    /// When the alert `id` (from 1) is raised.
    pub fn time_of(&self, id: u64) -> i64 {
        if id > self.seeded {
            return self.start + (id - self.seeded) as i64 * ARRIVAL_INTERVAL_MS;
        }
        // Each alert sits somewhere in its own slot of `step` milliseconds.
        let slot = (id as i64 - 1) * self.step;
        let jitter = Draw::new(self.seed, Stream::AlertTime, id).below(self.step as u64);
        self.start - self.seeded as i64 * self.step + slot + jitter as i64
    }

    /// The alert `id` (from 1), whether or not it has arrived yet.
    pub fn alert(&self, id: u64) -> Alert {
        let mut draw = Draw::new(self.seed, Stream::Alert, id);
        let (category, handled) = category_and_state(id, &mut draw);
        let kind = draw.pick(kinds_of(category));
        let severity = *draw.pick(kind.severities);
        let source = party(kind.source, &mut draw, None);
        let destination = party(kind.destination, &mut draw, source);
        let number = draw.between(u64::from(kind.numbers.0), u64::from(kind.numbers.1));
        Alert {
            id,
            time: self.time_of(id),
            handled,
            kind,
            severity,
            source,
            destination,
            number: number as u32,
        }
    }
}

/// The category and handled flag of an alert: a realistic mix, except that the first six
/// alerts cover every category in both states so that even a small history has them all.
fn category_and_state(id: u64, draw: &mut Draw) -> (Category, bool) {
    const COVER: [Category; 3] = [
        Category::NewDevices,
        Category::Disconnections,
        Category::Other,
    ];
    if (1..=6).contains(&id) {
        return (COVER[(id as usize - 1) / 2], id % 2 == 1);
    }
    let category = match draw.below(100) {
        0..15 => Category::NewDevices,
        15..33 => Category::Disconnections,
        _ => Category::Other,
    };
    (category, draw.percent(40))
}

fn kinds_of(category: Category) -> &'static [AlertKind] {
    match category {
        Category::NewDevices => NEW_DEVICE_KINDS,
        Category::Disconnections => DISCONNECTION_KINDS,
        Category::Other => OTHER_KINDS,
    }
}

/// One side of an alert; `other` is the side already chosen, which this one must differ from.
fn party(side: Side, draw: &mut Draw, other: Option<Party>) -> Option<Party> {
    let id = match side {
        Side::Known => draw.between(1, u64::from(KNOWN_DEVICES)) as u32,
        Side::New => draw.between(u64::from(KNOWN_DEVICES) + 1, u64::from(ALL_DEVICES)) as u32,
        Side::External => {
            let address = *draw.pick(&EXTERNAL_ADDRESSES);
            return Some(Party {
                device: None,
                address,
            });
        }
        Side::Absent => return None,
    };
    let taken = other.and_then(|party| party.device).map(|device| device.id);
    let id = if taken == Some(id) {
        id % KNOWN_DEVICES + 1
    } else {
        id
    };
    let device = Device { id };
    Some(Party {
        device: Some(device),
        address: device.address(),
    })
}

/// How alerts are written out: the endpoint's version and the faults that change the output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertShape {
    /// Add the fields of `/api/v2/alerts`.
    pub v2_fields: bool,
    /// Write the id as a string (fault A2).
    pub string_id: bool,
    /// Write the time in seconds (fault A3).
    pub seconds: bool,
    /// Write `severity` twice (fault G7).
    pub duplicate_severity: bool,
}

/// An alert as its JSON object.
pub struct AlertJson<'a> {
    /// The alert.
    pub alert: &'a Alert,
    /// How to write it.
    pub shape: AlertShape,
}

impl Serialize for AlertJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.write_fields(&mut map)?;
        if self.shape.duplicate_severity {
            map.serialize_entry("severity", other_severity(self.alert.severity))?;
        }
        if self.shape.v2_fields {
            self.write_v2_fields(&mut map)?;
        }
        map.end()
    }
}

impl AlertJson<'_> {
    fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let alert = self.alert;
        if self.shape.string_id {
            map.serialize_entry("id", &Text(alert.id))?;
        } else {
            map.serialize_entry("id", &alert.id)?;
        }
        let time = if self.shape.seconds {
            alert.time / 1000
        } else {
            alert.time
        };
        map.serialize_entry("time", &time)?;
        map.serialize_entry("title", alert.kind.title)?;
        map.serialize_entry("message", &Text(Fill::new(alert.kind.message, alert)))?;
        map.serialize_entry("severity", alert.severity)?;
        map.serialize_entry("engine", alert.kind.engine)?;
        map.serialize_entry("sourceDevice", &device_id(alert.source))?;
        map.serialize_entry("destinationDevice", &device_id(alert.destination))?;
        let information = alert
            .kind
            .information
            .map(|(description, lines)| Information {
                alert,
                description,
                lines,
            });
        map.serialize_entry("additionalInformation", &information)
    }

    fn write_v2_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let alert = self.alert;
        map.serialize_entry("sourceDeviceAddress", &address(alert.source))?;
        map.serialize_entry("destinationDeviceAddress", &address(alert.destination))?;
        map.serialize_entry("remediationSteps", alert.kind.remediation)
    }
}

fn device_id(party: Option<Party>) -> Option<u32> {
    party.and_then(|party| party.device).map(|device| device.id)
}

fn address(party: Option<Party>) -> Option<Text<Address>> {
    party.map(|party| Text(party.address))
}

/// A severity of the page other than `severity`.
fn other_severity(severity: &str) -> &'static str {
    let index = SEVERITIES.iter().position(|s| *s == severity).unwrap_or(0);
    SEVERITIES[(index + 1) % SEVERITIES.len()]
}

/// Anything displayable, serialized as a JSON string without an intermediate `String`.
struct Text<T>(T);

impl<T: fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// The `additionalInformation` object of an alert.
struct Information<'a> {
    alert: &'a Alert,
    description: &'static str,
    lines: &'static [&'static str],
}

impl Serialize for Information<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let lines = Lines {
            alert: self.alert,
            lines: self.lines,
        };
        let mut object = serializer.serialize_struct("Information", 2)?;
        object.serialize_field("description", self.description)?;
        object.serialize_field("information", &lines)?;
        object.end()
    }
}

struct Lines<'a> {
    alert: &'a Alert,
    lines: &'static [&'static str],
}

impl Serialize for Lines<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let filled = self
            .lines
            .iter()
            .map(|line| Text(Fill::new(line, self.alert)));
        serializer.collect_seq(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const START: i64 = 1_750_000_000_000;

    fn history() -> AlertHistory {
        AlertHistory::new(1, START, 600, false)
    }

    fn json(alert: &Alert, shape: AlertShape) -> Value {
        serde_json::to_value(AlertJson { alert, shape }).unwrap()
    }

    #[test]
    fn seeded_alerts_cover_four_days_in_increasing_time() {
        let history = history();
        let times: Vec<i64> = (1..=600).map(|id| history.time_of(id)).collect();
        assert!(times.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(times[0] >= START - HISTORY_SPAN_MS && times[0] < START - 3 * DAY_MS);
        assert!(times[599] < START);
    }

    #[test]
    fn new_alerts_arrive_every_five_seconds_unless_still() {
        let history = history();
        assert_eq!(history.last_id(START), 600);
        assert_eq!(history.last_id(START + 12_400), 602);
        assert_eq!(history.time_of(602), START + 10_000);
        let still = AlertHistory::new(1, START, 600, true);
        assert_eq!(still.last_id(START + 60_000), 600);
    }

    #[test]
    fn every_category_has_both_states_in_numbers() {
        let history = history();
        for category in [
            Category::NewDevices,
            Category::Disconnections,
            Category::Other,
        ] {
            let of: Vec<Alert> = history
                .arrived(START)
                .filter(|a| a.category() == category)
                .collect();
            let handled = of.iter().filter(|a| a.handled).count();
            assert!(of.len() >= 50, "{category:?}: {}", of.len());
            assert!(handled > 0 && handled < of.len());
        }
        let handled = history.arrived(START).filter(|a| a.handled).count();
        assert!((180..=300).contains(&handled), "{handled}");
    }

    #[test]
    fn tiny_histories_still_cover_every_category_and_state() {
        let history = AlertHistory::new(1, START, 6, true);
        let pairs: Vec<_> = history
            .arrived(START)
            .map(|a| (a.category(), a.handled))
            .collect();
        assert_eq!(pairs.len(), 6);
        for category in [Category::NewDevices, Category::Disconnections] {
            assert!(pairs.contains(&(category, true)) && pairs.contains(&(category, false)));
        }
    }

    #[test]
    fn an_empty_history_is_allowed() {
        let history = AlertHistory::new(1, START, 0, true);
        assert_eq!(history.arrived(START + DAY_MS).count(), 0);
    }

    #[test]
    fn v1_object_has_the_page_fields_and_no_v2_fields() {
        let alert = history().alert(40);
        let value = json(&alert, AlertShape::default());
        let object = value.as_object().unwrap();
        for key in [
            "id",
            "time",
            "title",
            "message",
            "severity",
            "engine",
            "sourceDevice",
            "destinationDevice",
            "additionalInformation",
        ] {
            assert!(object.contains_key(key), "{key}");
        }
        assert!(!object.contains_key("remediationSteps"));
        assert_eq!(value["id"], 40);
        assert!(!value["message"].as_str().unwrap().contains('{'));
    }

    #[test]
    fn v2_object_adds_addresses_and_remediation() {
        let shape = AlertShape {
            v2_fields: true,
            ..AlertShape::default()
        };
        for alert in history().arrived(START) {
            let value = json(&alert, shape);
            assert!(value["remediationSteps"].is_array());
            assert!(value["sourceDeviceAddress"].is_string() || value["sourceDevice"].is_null());
            assert!(value.get("destinationDeviceAddress").is_some());
        }
    }

    #[test]
    fn information_is_null_or_complete() {
        for alert in history().arrived(START) {
            let value = json(&alert, AlertShape::default());
            let information = &value["additionalInformation"];
            if !information.is_null() {
                assert!(information["description"].is_string());
                let lines = information["information"].as_array().unwrap();
                assert!(lines.iter().all(|line| line.is_string()));
            }
        }
    }

    #[test]
    fn faulty_shapes_change_the_output() {
        let alert = history().alert(17);
        let shape = AlertShape {
            string_id: true,
            seconds: true,
            ..AlertShape::default()
        };
        let value = json(&alert, shape);
        assert_eq!(value["id"], "17");
        assert_eq!(value["time"], alert.time / 1000);
        let duplicate = AlertShape {
            duplicate_severity: true,
            ..AlertShape::default()
        };
        let text = serde_json::to_string(&AlertJson {
            alert: &alert,
            shape: duplicate,
        })
        .unwrap();
        assert_eq!(text.matches("\"severity\":").count(), 2);
    }
}
