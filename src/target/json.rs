//! Reading a JSON body once, as it is checked: each list item is validated on arrival and only
//! what later relations need is kept. Duplicate keys are noticed, which a plain parse hides.
//! An item whose bytes an earlier answer of the run already had is not read again.

use super::answer::{ITEMS_KEPT, Item, Json, JsonShape, KEPT_BODY};
use crate::contract::{Schema, SchemaError};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Schema errors kept per body; the rest are counted.
const ERRORS_KEPT: usize = 20;
/// Items whose whole value is kept for checks that read their fields.
const VALUES_KEPT: usize = 10_000;
/// Distinct items a run remembers, across all its answers.
const MEMO_ITEMS: usize = 50_000;
/// Distinct bodies a run remembers whole (each kept by its answer anyway).
const MEMO_BODIES: usize = 1_000;
/// Items nested deeper than this are not remembered: the body is read again without the memo,
/// so that such a body reads exactly as it would without one (a parser's depth limit counts
/// the list around the item).
const DEEPEST_REMEMBERED: usize = 64;

/// Which spellings of field names are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Profile {
    /// The spellings RULES.md decides.
    #[default]
    Strict,
    /// Also the variants the page shows (`ID`, `additionalinformation`), each with a warning.
    Lenient,
}

/// Spellings the page uses that RULES.md names as variants of a field.
const VARIANTS: &[(&str, &str)] = &[
    ("ID", "id"),
    ("additionalinformation", "additionalInformation"),
];

/// How a body is to be read.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    pub schema: Option<&'a Schema>,
    /// A 2xx body is bytes (a capture), not JSON.
    pub binary: bool,
    pub profile: Profile,
    pub time_field: &'static str,
}

/// The list items a run has read, by their exact bytes and how they were read: the lists of
/// one sensor repeat each other's items (a filter keeps some, an ignored parameter all), so an
/// item seen before costs a lookup instead of a parse and a schema check.
/// Whole bodies are remembered too, so that an answer repeating an earlier one costs a
/// comparison of bytes.
#[derive(Default)]
pub struct Memo {
    readings: Mutex<HashMap<ReadingKey, Arc<Mutex<Remembered>>>>,
    bodies: Mutex<Vec<RememberedBody>>,
    /// Bodies read afresh, not taken from the memo.
    fresh_reads: AtomicUsize,
}

struct RememberedBody {
    key: ReadingKey,
    bytes: bytes::Bytes,
    read: BodyRead,
}

/// Set by the first reader of a body; [`Memo::read`] of an identical body meanwhile waits
/// for it.
type BodyRead = Arc<tokio::sync::OnceCell<Result<Json, String>>>;

type ReadingKey = (Option<String>, Profile, &'static str);

#[derive(Default)]
struct Remembered {
    /// Keyed by a fast hash (foldhash, randomly seeded): crafted collisions could at worst slow
    /// the run they are part of.
    items: foldhash::HashMap<Box<[u8]>, Arc<Checked>>,
}

/// What reading one item found, whatever its place in a list.
struct Checked {
    item: Item,
    /// Paths relative to the item.
    errors: Vec<SchemaError>,
    duplicates: Vec<String>,
    warnings: Vec<String>,
    object: bool,
}

impl Memo {
    /// Reads `bytes` as [`read`] does with this memo, or gives what an identical body read the
    /// same way gave (waiting while another task reads it); `bytes` then becomes that body's,
    /// so one copy serves both.
    pub async fn read(
        &self,
        bytes: &mut bytes::Bytes,
        reading: &Reading<'_>,
    ) -> Result<Json, String> {
        let Some(cell) = self.remember(bytes, reading) else {
            return self.read_afresh(bytes, reading);
        };
        let bytes = &*bytes;
        let first = || async { self.read_afresh(bytes, reading) };
        cell.get_or_init(first).await.clone()
    }

    /// As [`Memo::read`], for a caller that cannot wait: a body another task is still reading
    /// is read again here.
    pub fn read_now(
        &self,
        bytes: &mut bytes::Bytes,
        reading: &Reading<'_>,
    ) -> Result<Json, String> {
        let cell = self.remember(bytes, reading);
        if let Some(found) = cell.as_deref().and_then(tokio::sync::OnceCell::get) {
            return found.clone();
        }
        let fresh = self.read_afresh(bytes, reading);
        if let Some(cell) = cell {
            let _ = cell.set(fresh.clone());
        }
        fresh
    }

    fn read_afresh(&self, bytes: &[u8], reading: &Reading<'_>) -> Result<Json, String> {
        self.fresh_reads.fetch_add(1, Ordering::Relaxed);
        read(bytes, reading, Some(self))
    }

    /// Where the read of `bytes` is, or is to be, remembered; `None` for a body too large to
    /// keep or when the memo is full.
    fn remember(&self, bytes: &mut bytes::Bytes, reading: &Reading<'_>) -> Option<BodyRead> {
        if bytes.len() > KEPT_BODY {
            return None;
        }
        let key = key(reading);
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(body) = bodies.iter().find(|b| b.key == key && b.bytes == *bytes) {
            *bytes = body.bytes.clone();
            return Some(Arc::clone(&body.read));
        }
        if bodies.len() >= MEMO_BODIES {
            return None;
        }
        let read = Arc::default();
        bodies.push(RememberedBody {
            key,
            bytes: bytes.clone(),
            read: Arc::clone(&read),
        });
        Some(read)
    }

    /// Forgets every item and body read so far.
    pub fn clear(&self) {
        let readings =
            std::mem::take(&mut *self.readings.lock().unwrap_or_else(PoisonError::into_inner));
        let bodies =
            std::mem::take(&mut *self.bodies.lock().unwrap_or_else(PoisonError::into_inner));
        drop((readings, bodies));
    }

    fn items_for(&self, reading: &Reading<'_>) -> Arc<Mutex<Remembered>> {
        let mut readings = self.readings.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(readings.entry(key(reading)).or_default())
    }
}

fn key(reading: &Reading<'_>) -> ReadingKey {
    (
        reading.schema.map(|s| s.name.clone()),
        reading.profile,
        reading.time_field,
    )
}

fn lock(remembered: &Mutex<Remembered>) -> std::sync::MutexGuard<'_, Remembered> {
    remembered.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Parses `bytes` and checks it as it goes; `Err` is the parse error with its place. With a
/// memo, items read before are taken from it and new ones added.
pub fn read(bytes: &[u8], reading: &Reading<'_>, memo: Option<&Memo>) -> Result<Json, String> {
    if let Some(mark) = byte_order_mark(bytes) {
        return Err(format!("invalid JSON at line 1 column 1: {mark}"));
    }
    let mut json = Json::default();
    let mut duplicates = Vec::new();
    let mut declined = false;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let top = Top {
        reading,
        memo: memo.map(|m| m.items_for(reading)),
        json: &mut json,
        duplicates: &mut duplicates,
        declined: &mut declined,
    };
    let shape = top.deserialize(&mut deserializer);
    if declined {
        return read(bytes, reading, None);
    }
    let shape = shape.map_err(|e| describe(&e))?;
    deserializer.end().map_err(|e| describe(&e))?;
    json.shape = shape;
    json.duplicate_keys = duplicates;
    Ok(json)
}

/// What a byte-order mark at the start says, when there is one: a parser sees only a stray
/// character there, which hides the cause.
fn byte_order_mark(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        Some("the body starts with a UTF-8 byte-order mark (EF BB BF), which a sender must not add")
    } else if bytes.starts_with(b"\xfe\xff") || bytes.starts_with(b"\xff\xfe") {
        Some("the body starts with a UTF-16 byte-order mark; JSON between systems is UTF-8")
    } else {
        None
    }
}

fn describe(error: &serde_json::Error) -> String {
    let what = error.to_string();
    let what = what.split(" at line ").next().unwrap_or(&what);
    format!(
        "invalid JSON at line {} column {}: {what}",
        error.line(),
        error.column()
    )
}

struct Top<'r, 'j> {
    reading: &'r Reading<'r>,
    memo: Option<Arc<Mutex<Remembered>>>,
    json: &'j mut Json,
    duplicates: &'j mut Vec<String>,
    /// Set when an item could not be read on its own: the body is then read without the memo.
    declined: &'j mut bool,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = JsonShape;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<JsonShape, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = JsonShape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<JsonShape, A::Error> {
        let mut index = 0;
        // A list where the schema wants something else (an error object) is checked whole.
        let whole = self.reading.schema.filter(|s| !s.is_list());
        let mut kept = Vec::new();
        loop {
            let remembering = self.memo.as_ref().filter(|_| index < VALUES_KEPT);
            let checked = match remembering {
                // Any trouble with an item read alone is left to a plain read of the body,
                // which places it exactly as a parser does.
                Some(memo) => match seq.next_element::<&'de RawValue>() {
                    Ok(Some(raw)) => match recall(self.reading, memo, raw) {
                        Some(checked) => checked,
                        None => return Err(self.decline()),
                    },
                    Ok(None) => break,
                    Err(_) => return Err(self.decline()),
                },
                None => {
                    let mut found = Vec::new();
                    let seed = ValueSeed {
                        duplicates: &mut found,
                        room: usize::MAX,
                    };
                    match seq.next_element_seed(seed)? {
                        Some(value) => Arc::new(check(self.reading, value, found)),
                        None => break,
                    }
                }
            };
            if whole.is_some() && kept.len() < VALUES_KEPT {
                kept.extend(checked.item.value.as_deref().cloned());
            }
            self.add(index, &checked);
            index += 1;
        }
        if let Some(schema) = whole {
            record_errors(self.json, schema.check(&Value::Array(kept)));
        }
        Ok(JsonShape::List(index))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JsonShape, A::Error> {
        let mut found = Vec::new();
        let seed = ValueSeed {
            duplicates: &mut found,
            room: usize::MAX,
        };
        let value = object(map, seed)?;
        self.duplicates
            .extend(found.into_iter().map(|key| format!("/: {key}")));
        if let Some(schema) = self.reading.schema {
            record_errors(self.json, schema.check(&value));
        }
        self.json.object = Some(value);
        Ok(JsonShape::Object)
    }

    fn visit_bool<E>(self, v: bool) -> Result<JsonShape, E> {
        Ok(self.scalar("a boolean", Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<JsonShape, E> {
        Ok(self.scalar("a number", Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<JsonShape, E> {
        Ok(self.scalar("a number", Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<JsonShape, E> {
        Ok(self.scalar("a number", Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<JsonShape, E> {
        Ok(self.scalar("a string", Value::from(v)))
    }

    fn visit_unit<E>(self) -> Result<JsonShape, E> {
        Ok(self.scalar("null", Value::Null))
    }
}

impl Top<'_, '_> {
    fn decline<E: de::Error>(&mut self) -> E {
        *self.declined = true;
        E::custom("an item could not be read alone")
    }

    /// Adds one checked item at `index` to the body's summary.
    fn add(&mut self, index: usize, checked: &Checked) {
        let json = &mut *self.json;
        self.duplicates.extend(
            checked
                .duplicates
                .iter()
                .map(|key| format!("/{index}: {key}")),
        );
        for warning in &checked.warnings {
            *json.spelling_warnings.entry(warning.clone()).or_default() += 1;
        }
        json.non_objects += usize::from(!checked.object);
        let placed = checked.errors.iter().map(|error| SchemaError {
            instance_path: format!("/{index}{}", error.instance_path),
            ..error.clone()
        });
        record_errors(json, placed.collect());
        if json.items.len() >= ITEMS_KEPT {
            return;
        }
        let keep = json.items.len() < VALUES_KEPT;
        let mut item = checked.item.clone();
        if !keep {
            item.value = None;
        }
        json.items.push(item);
    }

    /// A body that is one scalar: it still answers to the schema, which will refuse it.
    fn scalar(self, kind: &'static str, value: Value) -> JsonShape {
        if let Some(schema) = self.reading.schema {
            record_errors(self.json, schema.check(&value));
        }
        JsonShape::Scalar(kind)
    }
}

/// The item `raw`, from the memo or read now and remembered; `None` when it is nested too
/// deep to be read alone.
fn recall(reading: &Reading<'_>, memo: &Mutex<Remembered>, raw: &RawValue) -> Option<Arc<Checked>> {
    let bytes = raw.get().as_bytes();
    if let Some(checked) = lock(memo).items.get(bytes) {
        return Some(Arc::clone(checked));
    }
    let mut found = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let seed = ValueSeed {
        duplicates: &mut found,
        room: DEEPEST_REMEMBERED,
    };
    // The list was read whole already: only the depth can refuse the item now.
    let value = seed.deserialize(&mut deserializer).ok()?;
    let checked = Arc::new(check(reading, value, found));
    let mut remembered = lock(memo);
    if remembered.items.len() < MEMO_ITEMS {
        remembered.items.insert(bytes.into(), Arc::clone(&checked));
    }
    Some(checked)
}

/// Checks and summarises one list item.
fn check(reading: &Reading<'_>, mut value: Value, duplicates: Vec<String>) -> Checked {
    let mut warnings = BTreeMap::new();
    if reading.profile == Profile::Lenient {
        accept_variants(&mut value, &mut warnings);
    }
    let mut errors = Vec::new();
    if let Some(schema) = reading.schema.filter(|s| s.is_list()) {
        (value, errors) = schema.check_item(value);
    }
    Checked {
        object: value.is_object(),
        item: Item {
            id: value.get("id").and_then(Value::as_i64),
            time: value.get(reading.time_field).and_then(Value::as_i64),
            digest: digest(&value),
            value: Some(Arc::new(value)),
        },
        errors,
        duplicates,
        warnings: warnings.into_keys().collect(),
    }
}

fn record_errors(json: &mut Json, errors: Vec<SchemaError>) {
    json.schema_error_count += errors.len();
    let room = ERRORS_KEPT.saturating_sub(json.schema_errors.len());
    json.schema_errors.extend(errors.into_iter().take(room));
}

/// Renames the page's variant spellings to the decided ones, counting each kind once.
fn accept_variants(value: &mut Value, warnings: &mut BTreeMap<String, usize>) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    for (variant, decided) in VARIANTS {
        if object.contains_key(*decided) {
            continue;
        }
        if let Some(field) = object.remove(*variant) {
            object.insert((*decided).to_owned(), field);
            let warning = format!("field spelled `{variant}` (RULES.md decides `{decided}`)");
            *warnings.entry(warning).or_default() += 1;
        }
    }
}

/// A fingerprint of an item's content (keys sorted, so field order does not matter). Digests
/// compare items of answers of one run, so speed matters and an adversary gains nothing from
/// a collision but a test that cannot tell two items apart.
fn digest(value: &Value) -> u64 {
    let mut hasher = foldhash::quality::FixedState::default().build_hasher();
    feed(value, &mut hasher);
    hasher.finish()
}

/// Hashes a value's structure and content without serialising it again.
fn feed(value: &Value, hasher: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(hasher),
        Value::Bool(b) => (1u8, b).hash(hasher),
        Value::Number(n) => {
            (2u8, n.as_i64(), n.as_u64(), n.as_f64().map(f64::to_bits)).hash(hasher)
        }
        Value::String(s) => (3u8, s).hash(hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(hasher);
            items.iter().for_each(|item| feed(item, hasher));
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(hasher);
            for (key, item) in map {
                key.hash(hasher);
                feed(item, hasher);
            }
        }
    }
}

/// Builds a `serde_json::Value`, noting each key that appears twice in one object.
struct ValueSeed<'a> {
    duplicates: &'a mut Vec<String>,
    /// Levels of nesting still allowed.
    room: usize,
}

impl ValueSeed<'_> {
    fn inner<E: de::Error>(&mut self) -> Result<ValueSeed<'_>, E> {
        match self.room.checked_sub(1) {
            Some(room) => Ok(ValueSeed {
                duplicates: &mut *self.duplicates,
                room,
            }),
            None => Err(E::custom("nested too deep")),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self.inner()?)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        object(map, self)
    }
}

fn object<'de, A: MapAccess<'de>>(mut map: A, mut seed: ValueSeed<'_>) -> Result<Value, A::Error> {
    let mut object = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        let value = map.next_value_seed(seed.inner()?)?;
        if object.contains_key(&key) {
            seed.duplicates.push(key.clone());
        }
        object.insert(key, value);
    }
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(bytes: &str) -> Result<Json, String> {
        let reading = Reading {
            schema: None,
            binary: false,
            profile: Profile::Strict,
            time_field: "time",
        };
        read(bytes.as_bytes(), &reading, None)
    }

    /// A list of more items than are kept is counted whole; its kept items stop at the bound,
    /// so that no relation is decided on part of it.
    #[test]
    fn items_beyond_the_bound_are_counted_not_kept() {
        let body = format!("[{}0]", "0,".repeat(ITEMS_KEPT));
        let json = plain(&body).unwrap();
        assert_eq!(json.shape, JsonShape::List(ITEMS_KEPT + 1));
        assert_eq!(json.items.len(), ITEMS_KEPT);
        assert_eq!(json.non_objects, ITEMS_KEPT + 1);
    }

    #[test]
    fn summarises_list_items() {
        let json = plain(r#"[{"id": 1, "time": 5}, {"id": 2, "time": 7}]"#).unwrap();
        assert_eq!(json.shape, JsonShape::List(2));
        assert_eq!(json.items[1].id, Some(2));
        assert_eq!(json.items[1].time, Some(7));
    }

    #[test]
    fn notices_duplicate_keys() {
        let json = plain(r#"[{"id": 1, "id": 2}]"#).unwrap();
        assert_eq!(json.duplicate_keys, vec!["/0: id".to_owned()]);
    }

    #[test]
    fn places_parse_errors() {
        let error = plain("[{\"id\": 1},\n {\"id\": ").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        let marked = plain("\u{feff}[]").unwrap_err();
        assert!(marked.contains("byte-order mark"), "{marked}");
        assert!(plain("[] trailing").is_err());
    }

    #[test]
    fn survives_deep_nesting() {
        let deep = "[".repeat(100_000);
        assert!(plain(&deep).unwrap_err().contains("recursion limit"));
        let memo = Memo::default();
        let reading = reading(None, Profile::Strict);
        // Read through the memo, a body too deep fails as it fails without it.
        let unclosed = read(deep.as_bytes(), &reading, Some(&memo)).unwrap_err();
        assert_eq!(unclosed, plain(&deep).unwrap_err());
        let closed = format!("[1,\n {}{}]", "[".repeat(200), "]".repeat(200));
        let error = read(closed.as_bytes(), &reading, Some(&memo)).unwrap_err();
        assert_eq!(error, plain(&closed).unwrap_err());
        assert!(
            error.contains("line 2 column 128: recursion limit"),
            "{error}"
        );
        // Just within the parser's limit, the memo reads what a plain read reads.
        let limit = format!("[{}{}]", "[".repeat(126), "]".repeat(126));
        let fresh = format!("{:?}", plain(&limit).unwrap());
        let remembered = read(limit.as_bytes(), &reading, Some(&memo)).unwrap();
        assert_eq!(fresh, format!("{remembered:?}"));
        let over = format!("[{}{}]", "[".repeat(127), "]".repeat(127));
        assert!(read(over.as_bytes(), &reading, Some(&memo)).is_err());
    }

    fn reading(schema: Option<&Schema>, profile: Profile) -> Reading<'_> {
        Reading {
            schema,
            binary: false,
            profile,
            time_field: "time",
        }
    }

    /// Reading through the memo, first and again, finds what reading without it finds.
    #[test]
    fn remembered_items_read_as_new_ones() {
        let contract = crate::contract::Contract::builtin().unwrap();
        let schema = contract.schemas.get("alerts-v1").unwrap();
        let bodies = [
            r#"[{"id": 1, "time": 5, "id": 2}, 7, {"ID": 3, "additionalinformation": null}]"#,
            r#"[{"id": "x", "time": 5}, {"id": 1, "time": 5, "id": 2}, [1, {"a": 1, "a": 2}]]"#,
            r#"[]"#,
            r#"{"error": "no"}"#,
        ];
        for profile in [Profile::Strict, Profile::Lenient] {
            for schema in [None, Some(schema)] {
                let reading = reading(schema, profile);
                let memo = Memo::default();
                for body in bodies.iter().chain(&bodies) {
                    let fresh = format!("{:?}", read(body.as_bytes(), &reading, None).unwrap());
                    let remembered = read(body.as_bytes(), &reading, Some(&memo)).unwrap();
                    assert_eq!(fresh, format!("{remembered:?}"), "{body}");
                    let whole = memo
                        .read_now(&mut bytes::Bytes::from(*body), &reading)
                        .unwrap();
                    assert_eq!(fresh, format!("{whole:?}"), "{body}");
                }
            }
        }
    }

    /// Identical bodies read at once by many tasks are read once: all get the same summary,
    /// and their bytes become one buffer.
    #[test]
    fn identical_bodies_read_at_once_share_one_read() {
        let contract = Arc::new(crate::contract::Contract::builtin().unwrap());
        let memo = Arc::new(Memo::default());
        let body: String = format!("[{}]", vec![r#"{"id": 1, "time": 5}"#; 2000].join(","));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (contract, memo) = (Arc::clone(&contract), Arc::clone(&memo));
                let mut bytes = bytes::Bytes::from(body.clone());
                runtime.spawn(async move {
                    let schema = contract.schemas.get("alerts-v1");
                    let read = memo
                        .read(&mut bytes, &reading(schema, Profile::Strict))
                        .await;
                    (format!("{:?}", read.unwrap()), bytes.as_ptr() as usize)
                })
            })
            .collect();
        let reads: Vec<_> = tasks
            .into_iter()
            .map(|task| runtime.block_on(task).unwrap())
            .collect();
        let schema = contract.schemas.get("alerts-v1");
        let plain = read(body.as_bytes(), &reading(schema, Profile::Strict), None).unwrap();
        assert!(reads.iter().all(|(read, _)| *read == format!("{plain:?}")));
        assert!(reads.iter().all(|(_, buffer)| *buffer == reads[0].1));
        assert_eq!(memo.bodies.lock().unwrap().len(), 1);
        assert_eq!(memo.fresh_reads.load(Ordering::Relaxed), 1);
    }

    /// One memo serves readings with other schemas or profiles apart.
    #[test]
    fn a_memo_keeps_readings_apart() {
        let contract = crate::contract::Contract::builtin().unwrap();
        let schema = contract.schemas.get("alerts-v1").unwrap();
        let memo = Memo::default();
        let body = br#"[{"ID": 3}]"#;
        let strict = read(body, &reading(None, Profile::Strict), Some(&memo)).unwrap();
        let lenient = read(body, &reading(None, Profile::Lenient), Some(&memo)).unwrap();
        let checked = read(body, &reading(Some(schema), Profile::Strict), Some(&memo)).unwrap();
        assert_eq!(strict.items[0].id, None);
        assert_eq!(lenient.items[0].id, Some(3));
        assert_eq!(strict.schema_error_count, 0);
        assert!(checked.schema_error_count > 0);
        assert!(checked.schema_errors[0].instance_path.starts_with("/0"));
    }

    #[test]
    fn lenient_profile_renames_variants() {
        let reading = Reading {
            schema: None,
            binary: false,
            profile: Profile::Lenient,
            time_field: "time",
        };
        let json = read(
            br#"[{"ID": 3, "additionalinformation": null}]"#,
            &reading,
            None,
        )
        .unwrap();
        assert_eq!(json.items[0].id, Some(3));
        assert_eq!(json.spelling_warnings.len(), 2);
    }
}
