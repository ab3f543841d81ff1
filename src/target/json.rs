//! Reading a JSON body once, as it is checked: each list item is validated on arrival and only
//! what later relations need is kept. Duplicate keys are noticed, which a plain parse hides.

use super::answer::{Item, Json, JsonShape};
use crate::contract::{Schema, SchemaError};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Schema errors kept per body; the rest are counted.
const ERRORS_KEPT: usize = 20;
/// Items whose whole value is kept for checks that read their fields.
const VALUES_KEPT: usize = 10_000;

/// Which spellings of field names are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
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

/// Parses `bytes` and checks it as it goes; `Err` is the parse error with its place.
pub fn read(bytes: &[u8], reading: &Reading<'_>) -> Result<Json, String> {
    if let Some(mark) = byte_order_mark(bytes) {
        return Err(format!("invalid JSON at line 1 column 1: {mark}"));
    }
    let mut json = Json::default();
    let mut duplicates = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let top = Top {
        reading,
        json: &mut json,
        duplicates: &mut duplicates,
    };
    let shape = top
        .deserialize(&mut deserializer)
        .map_err(|e| describe(&e))?;
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
    let what = what.split(" at line ").next().unwrap_or(&what).to_owned();
    format!(
        "invalid JSON at line {} column {}: {what}",
        error.line(),
        error.column()
    )
}

struct Top<'r, 'j> {
    reading: &'r Reading<'r>,
    json: &'j mut Json,
    duplicates: &'j mut Vec<String>,
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

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonShape, A::Error> {
        let mut index = 0;
        let mut found = Vec::new();
        // A list where the schema wants something else (an error object) is checked whole.
        let whole = self.reading.schema.filter(|s| !s.is_list());
        let mut kept = Vec::new();
        while let Some(value) = seq.next_element_seed(ValueSeed {
            duplicates: &mut found,
        })? {
            self.duplicates
                .extend(found.drain(..).map(|key| format!("/{index}: {key}")));
            if whole.is_some() && kept.len() < VALUES_KEPT {
                kept.push(value.clone());
            }
            item(self.reading, self.json, index, value);
            index += 1;
        }
        if let Some(schema) = whole {
            record_errors(self.json, schema.check(&Value::Array(kept)));
        }
        Ok(JsonShape::List(index))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<JsonShape, A::Error> {
        let mut found = Vec::new();
        let value = object(map, &mut found)?;
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
    /// A body that is one scalar: it still answers to the schema, which will refuse it.
    fn scalar(self, kind: &'static str, value: Value) -> JsonShape {
        if let Some(schema) = self.reading.schema {
            record_errors(self.json, schema.check(&value));
        }
        JsonShape::Scalar(kind)
    }
}

/// Checks and summarises one list item, then lets it go unless it is small enough to keep.
fn item(reading: &Reading<'_>, json: &mut Json, index: usize, mut value: Value) {
    if reading.profile == Profile::Lenient {
        accept_variants(&mut value, &mut json.spelling_warnings);
    }
    if !value.is_object() {
        json.non_objects += 1;
    }
    if let Some(schema) = reading.schema.filter(|s| s.is_list()) {
        let (checked, errors) = schema.check_item(index, value);
        value = checked;
        record_errors(json, errors);
    }
    let keep = json.items.len() < VALUES_KEPT;
    json.items.push(Item {
        id: value.get("id").and_then(Value::as_i64),
        time: value.get(reading.time_field).and_then(Value::as_i64),
        digest: digest(&value),
        value: keep.then_some(value),
    });
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

/// A stable fingerprint of an item's content (keys sorted, so field order does not matter).
fn digest(value: &Value) -> u64 {
    let mut hasher = Fnv(FNV_OFFSET);
    feed(value, &mut hasher);
    hasher.finish()
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a: digests compare items of answers of one run, so speed matters and an adversary
/// gains nothing from a collision but a test that cannot tell two items apart.
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
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

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed {
            duplicates: &mut *self.duplicates,
        })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        object(map, self.duplicates)
    }
}

fn object<'de, A: MapAccess<'de>>(
    mut map: A,
    duplicates: &mut Vec<String>,
) -> Result<Value, A::Error> {
    let mut object = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        let value = map.next_value_seed(ValueSeed {
            duplicates: &mut *duplicates,
        })?;
        if object.contains_key(&key) {
            duplicates.push(key.clone());
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
        read(bytes.as_bytes(), &reading)
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
    }

    #[test]
    fn lenient_profile_renames_variants() {
        let reading = Reading {
            schema: None,
            binary: false,
            profile: Profile::Lenient,
            time_field: "time",
        };
        let json = read(br#"[{"ID": 3, "additionalinformation": null}]"#, &reading).unwrap();
        assert_eq!(json.items[0].id, Some(3));
        assert_eq!(json.spelling_warnings.len(), 2);
    }
}
