//! The event timeline: sparse background events over the five days before the start, a dense
//! hour just before it, rare types at fixed ages (some older than the three days that
//! `minutesTimeFrame` reaches), and, unless the sensor stands still, a live event every half
//! second. Events before the start are laid out once; live ones are a function of their index.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use super::alerts::DAY_MS;
use super::event_kinds::PROFILES;
use super::plant::{Address, Device, EXTERNAL_ADDRESSES, KNOWN_DEVICES, OPERATORS};
use super::random::{Draw, Stream};
use super::template::{Fill, Slots};
use super::titles::{TITLES, kind_index};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// How far back the background events reach.
const BACKGROUND_SPAN_MS: i64 = 5 * DAY_MS;

/// How many background events there are, spread over the span less the dense hour.
const BACKGROUND_EVENTS: u64 = 800;

/// The interval of the dense hour before the start.
const DENSE_INTERVAL_MS: i64 = 15_000;

/// The interval of live events after the start.
pub const LIVE_INTERVAL_MS: i64 = 500;

/// The types that dominate a live sensor's timeline, with their weights.
const FREQUENT: [(&str, u64); 11] = [
    ("ALERT_REPORTED", 22),
    ("DEVICE_CONNECTION_CREATED", 20),
    ("BACK_TO_NORMAL", 12),
    ("USER_LOGIN", 10),
    ("REMOTE_ACCESS", 9),
    ("ALERT_UPDATED", 7),
    ("FILE_TRANSFER", 6),
    ("DEVICE_UPDATE", 5),
    ("HTTP_BASIC_AUTHENTICATION", 3),
    ("SYSLOG_MSG", 3),
    ("SNMP_TRAP", 3),
];

/// Rare types placed only at [`PINNED_AGES_MS`], so that asking for one of them by type shows
/// events on both sides of the three-day limit.
const PINNED: [&str; 3] = ["DEVICE_CREATE", "FIRMWARE_UPDATE", "PLC_START"];

/// How long before the start the pinned events happened.
const PINNED_AGES_MS: [i64; 6] = [
    5 * DAY_MS,
    4 * DAY_MS,
    7 * DAY_MS / 2,
    2 * DAY_MS,
    9 * HOUR_MS,
    25 * MINUTE_MS,
];

/// Draw indexes of each part of the history, kept apart so that no two events share one.
const DENSE_DRAWS: u64 = 1 << 20;
const PINNED_DRAWS: u64 = 2 << 20;
const LIVE_DRAWS: u64 = 1 << 40;

/// Where an event sits in the timeline, without its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStub {
    /// When it happened, epoch milliseconds.
    pub timestamp: i64,
    /// Its type, as an index into [`TITLES`].
    pub kind: usize,
    /// Which draws its content comes from.
    draw: u64,
}

/// An event as the endpoint reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When it happened, epoch milliseconds.
    pub timestamp: i64,
    /// One of the supported types.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The type's title.
    pub title: &'static str,
    /// `INFO`, `NOTICE` or `ALERT`.
    pub severity: &'static str,
    /// The operator who created the event, for manual events.
    pub owner: Option<&'static str>,
    /// What happened.
    pub content: String,
}

/// The event types by role, as indexes into [`TITLES`].
#[derive(Debug, Clone)]
struct Roles {
    frequent: Vec<usize>,
    weights: Vec<u64>,
    occasional: Vec<usize>,
    pinned: Vec<usize>,
}

impl Roles {
    fn new() -> Self {
        let frequent: Vec<usize> = FREQUENT.iter().filter_map(|(k, _)| kind_index(k)).collect();
        let weights = FREQUENT.iter().map(|(_, weight)| *weight).collect();
        let pinned: Vec<usize> = PINNED.iter().filter_map(|k| kind_index(k)).collect();
        let occasional = (0..TITLES.len())
            .filter(|kind| !frequent.contains(kind) && !pinned.contains(kind))
            .collect();
        Self {
            frequent,
            weights,
            occasional,
            pinned,
        }
    }

    fn pick_frequent(&self, draw: &mut Draw) -> usize {
        self.frequent[draw.weighted(&self.weights)]
    }
}

/// The timeline of one sensor.
#[derive(Debug, Clone)]
pub struct Timeline {
    seed: u64,
    start: i64,
    still: bool,
    roles: Roles,
    /// Every event before the start, in ascending time.
    history: Vec<EventStub>,
}

impl Timeline {
    /// The timeline of a sensor started at `start` (epoch ms).
    pub fn new(seed: u64, start: i64, still: bool) -> Self {
        let roles = Roles::new();
        let mut history = background(seed, start, &roles);
        history.extend(dense_hour(seed, start, &roles));
        history.extend(pinned(start, &roles));
        history.sort_by_key(|stub| (stub.timestamp, stub.draw));
        Self {
            seed,
            start,
            still,
            roles,
            history,
        }
    }

    /// The events up to `now`, at or after `from`, of type `kind`, newest first.
    pub fn newest_first(
        &self,
        now: i64,
        from: Option<i64>,
        kind: Option<usize>,
    ) -> impl Iterator<Item = EventStub> + '_ {
        let live = self.live_range(now, from, kind).rev().map(|k| self.live(k));
        let history = self.history_between(now, from).iter().rev().copied();
        live.chain(history).filter(move |stub| is_kind(stub, kind))
    }

    /// The events up to `now`, at or after `from`, of type `kind`, oldest first.
    pub fn oldest_first(
        &self,
        now: i64,
        from: Option<i64>,
        kind: Option<usize>,
    ) -> impl Iterator<Item = EventStub> + '_ {
        let history = self.history_between(now, from).iter().copied();
        let live = self.live_range(now, from, kind).map(|k| self.live(k));
        history.chain(live).filter(move |stub| is_kind(stub, kind))
    }

    /// The full event a stub stands for.
    pub fn event(&self, stub: EventStub) -> Event {
        let profile = &PROFILES[stub.kind];
        let (_, title) = TITLES[stub.kind];
        let mut draw = Draw::new(self.seed, Stream::EventContent, stub.draw);
        let template = *draw.pick(profile.contents);
        let slots = EventSlots::draw(&mut draw);
        Event {
            timestamp: stub.timestamp,
            kind: profile.kind,
            title,
            severity: profile.severity,
            owner: profile.manual.then_some(slots.user),
            content: Fill::new(template, &slots).to_string(),
        }
    }

    fn history_between(&self, now: i64, from: Option<i64>) -> &[EventStub] {
        let low = from.map_or(0, |from| {
            self.history.partition_point(|stub| stub.timestamp < from)
        });
        let high = self.history.partition_point(|stub| stub.timestamp <= now);
        self.history.get(low..high).unwrap_or_default()
    }

    /// The indexes of the live events that have arrived by `now`, at or after `from`.
    fn live_range(&self, now: i64, from: Option<i64>, kind: Option<usize>) -> Range<u64> {
        let never_live = kind.is_some_and(|kind| !self.roles.frequent.contains(&kind));
        if self.still || never_live {
            return 0..0;
        }
        let last = (now - self.start).max(0) / LIVE_INTERVAL_MS;
        let first = from.map_or(1, |from| {
            let after = (from - self.start).max(0);
            (after + LIVE_INTERVAL_MS - 1) / LIVE_INTERVAL_MS
        });
        first.max(1) as u64..last as u64 + 1
    }

    fn live(&self, index: u64) -> EventStub {
        let mut draw = Draw::new(self.seed, Stream::EventPlace, LIVE_DRAWS + index);
        EventStub {
            timestamp: self.start + index as i64 * LIVE_INTERVAL_MS,
            kind: self.roles.pick_frequent(&mut draw),
            draw: LIVE_DRAWS + index,
        }
    }
}

fn is_kind(stub: &EventStub, kind: Option<usize>) -> bool {
    kind.is_none_or(|kind| stub.kind == kind)
}

/// Sparse events over five days, each in its own slot; every third one of an occasional type,
/// in turn, so that every type of the table appears and the rare ones only a few times.
fn background(seed: u64, start: i64, roles: &Roles) -> Vec<EventStub> {
    let slot = (BACKGROUND_SPAN_MS - HOUR_MS) / BACKGROUND_EVENTS as i64;
    let first = start - BACKGROUND_SPAN_MS;
    let occasional = roles.occasional.len() as u64;
    (0..BACKGROUND_EVENTS)
        .map(|index| {
            let mut draw = Draw::new(seed, Stream::EventPlace, index);
            let jitter = draw.below(slot as u64) as i64;
            let kind = if index % 3 == 0 {
                roles.occasional[((index / 3) % occasional) as usize]
            } else {
                roles.pick_frequent(&mut draw)
            };
            EventStub {
                timestamp: first + index as i64 * slot + jitter,
                kind,
                draw: index,
            }
        })
        .collect()
}

/// An event every fifteen seconds over the hour before the start.
fn dense_hour(seed: u64, start: i64, roles: &Roles) -> Vec<EventStub> {
    let count = HOUR_MS / DENSE_INTERVAL_MS;
    (0..count)
        .map(|index| {
            let draw = DENSE_DRAWS + index as u64;
            let mut place = Draw::new(seed, Stream::EventPlace, draw);
            let jitter = place.below(2_000) as i64;
            EventStub {
                timestamp: start - HOUR_MS + index * DENSE_INTERVAL_MS + jitter,
                kind: roles.pick_frequent(&mut place),
                draw,
            }
        })
        .collect()
}

/// The pinned rare types at their fixed ages, a minute or so apart from type to type.
fn pinned(start: i64, roles: &Roles) -> Vec<EventStub> {
    let mut stubs = Vec::new();
    for (position, kind) in roles.pinned.iter().enumerate() {
        for (age_index, age) in PINNED_AGES_MS.iter().enumerate() {
            let shift = position as i64 * 61_000 + 7_777;
            stubs.push(EventStub {
                timestamp: start - age + shift,
                kind: *kind,
                draw: PINNED_DRAWS + (position * PINNED_AGES_MS.len() + age_index) as u64,
            });
        }
    }
    stubs
}

/// The values an event's content template can mention.
struct EventSlots {
    source: Device,
    destination: Device,
    external: Address,
    user: &'static str,
    number: u64,
    port: u16,
}

impl EventSlots {
    fn draw(draw: &mut Draw) -> Self {
        let source = draw.between(1, u64::from(KNOWN_DEVICES)) as u32;
        // A neighbour of the source, never the source itself.
        let destination = (source + draw.between(1, 20) as u32 - 1) % KNOWN_DEVICES + 1;
        Self {
            source: Device { id: source },
            destination: Device { id: destination },
            external: *draw.pick(&EXTERNAL_ADDRESSES),
            user: *draw.pick(&OPERATORS),
            number: draw.between(1, 40),
            port: *draw.pick(&[502, 102, 20000, 44818, 47808, 443, 22, 23]),
        }
    }
}

impl Slots for EventSlots {
    fn write_slot(&self, name: &str, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match name {
            "src" => write!(out, "{}", self.source.address()),
            "dst" => write!(out, "{}", self.destination.address()),
            "ext" => write!(out, "{}", self.external),
            "user" => out.write_str(self.user),
            "n" => write!(out, "{}", self.number),
            "port" => write!(out, "{}", self.port),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const START: i64 = 1_750_000_000_000;

    fn timeline() -> Timeline {
        Timeline::new(1, START, false)
    }

    #[test]
    fn roles_cover_the_table() {
        let roles = Roles::new();
        assert_eq!(roles.frequent.len(), FREQUENT.len());
        assert_eq!(roles.pinned.len(), PINNED.len());
        let all = roles.frequent.len() + roles.pinned.len() + roles.occasional.len();
        assert_eq!(all, TITLES.len());
    }

    #[test]
    fn history_spans_five_days_and_every_type() {
        let timeline = timeline();
        let stubs: Vec<_> = timeline.oldest_first(START, None, None).collect();
        assert!(
            stubs
                .windows(2)
                .all(|pair| pair[0].timestamp <= pair[1].timestamp)
        );
        assert!(stubs[0].timestamp < START - 4 * DAY_MS);
        let kinds: HashSet<_> = stubs.iter().map(|stub| stub.kind).collect();
        assert_eq!(kinds.len(), TITLES.len());
    }

    #[test]
    fn the_last_hour_is_dense() {
        let recent = timeline()
            .newest_first(START, Some(START - HOUR_MS), None)
            .count();
        assert!(recent > 200, "{recent}");
    }

    #[test]
    fn pinned_types_are_rare_and_older_than_three_days() {
        let timeline = timeline();
        for name in PINNED {
            let kind = kind_index(name);
            let stubs: Vec<_> = timeline.newest_first(START + HOUR_MS, None, kind).collect();
            assert_eq!(stubs.len(), PINNED_AGES_MS.len(), "{name}");
            let old = stubs
                .iter()
                .filter(|stub| stub.timestamp < START - 3 * DAY_MS)
                .count();
            assert_eq!(old, 3, "{name}");
        }
    }

    #[test]
    fn live_events_arrive_every_half_second_unless_still() {
        let timeline = timeline();
        let newest = timeline.newest_first(START + 10_250, None, None).next();
        assert_eq!(newest.map(|stub| stub.timestamp), Some(START + 10_000));
        let still = Timeline::new(1, START, true);
        let newest = still.newest_first(START + 10_250, None, None).next();
        assert!(newest.is_some_and(|stub| stub.timestamp < START));
    }

    #[test]
    fn windows_include_their_lower_bound() {
        let timeline = timeline();
        let from = START + 1_500;
        let stubs: Vec<_> = timeline
            .oldest_first(START + 5_000, Some(from), None)
            .collect();
        assert_eq!(stubs.first().map(|stub| stub.timestamp), Some(from));
        assert_eq!(stubs.len(), 8);
    }

    #[test]
    fn events_carry_their_title_and_owner() {
        let timeline = timeline();
        for stub in timeline.oldest_first(START, None, None) {
            let event = timeline.event(stub);
            assert_eq!(TITLES[stub.kind], (event.kind, event.title));
            assert_eq!(event.owner.is_some(), PROFILES[stub.kind].manual);
            assert!(!event.content.contains('{'), "{}", event.content);
        }
    }

    #[test]
    fn content_is_a_function_of_the_event() {
        let one = timeline();
        let two = timeline();
        let stub = one.newest_first(START + 60_000, None, None).nth(3);
        let stub = stub.unwrap();
        assert_eq!(one.event(stub), two.event(stub));
    }
}
