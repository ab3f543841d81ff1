//! What the harness keeps of one answer.

use super::Credential;
use crate::contract::SchemaError;
use serde_json::Value;
use std::collections::BTreeMap;

/// Bodies up to this size are kept whole for excerpts and later checks.
pub(crate) const KEPT_BODY: usize = 1 << 20;
/// Items of one list kept for the checks that read them: a list of more is read and checked
/// item by item all the same, but no relation is decided on it (a hostile list of tiny items
/// would otherwise hold many times its size).
pub(crate) const ITEMS_KEPT: usize = 1_000_000;
/// Of a larger body, this many first bytes are kept for excerpts.
pub(crate) const KEPT_HEAD: usize = 64 << 10;

/// One request and what came back, as reports show it (no token anywhere).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exchange {
    pub method: &'static str,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub body_bytes: u64,
    /// When it was sent, by our clock (epoch ms).
    pub sent_ms: i64,
    /// Which credential went in `Authorization` (never the credential itself).
    pub credential: Credential,
}

impl std::fmt::Display for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)?;
        match self.status {
            Some(status) => write!(
                f,
                " -> {status} ({} ms, {} bytes)",
                self.duration_ms, self.body_bytes
            ),
            None => write!(f, " -> no answer ({} ms)", self.duration_ms),
        }
    }
}

/// The top-level shape of a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonShape {
    /// An array of this many items.
    List(usize),
    Object,
    Scalar(&'static str),
    #[default]
    Unknown,
}

/// What later checks need of one list item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Option<i64>,
    pub time: Option<i64>,
    pub digest: u64,
    /// The whole item, kept while the list is small (shared by answers that repeat it).
    pub value: Option<std::sync::Arc<Value>>,
}

/// A JSON body as checked on arrival.
#[derive(Debug, Clone, Default)]
pub struct Json {
    pub shape: JsonShape,
    pub items: Vec<Item>,
    /// The body, when it is an object.
    pub object: Option<Value>,
    /// The schema checked on arrival, if any.
    pub schema: Option<String>,
    pub schema_errors: Vec<SchemaError>,
    pub schema_error_count: usize,
    /// `<pointer>: <key>` for each key seen twice in one object.
    pub duplicate_keys: Vec<String>,
    /// Variant spellings accepted under the lenient profile, with how often each was seen.
    pub spelling_warnings: BTreeMap<String, usize>,
    /// List items that are not objects.
    pub non_objects: usize,
}

/// A body, by what it turned out to be.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    /// A non-empty body read as bytes (a capture), kept in `Answer::raw`.
    Binary,
    Json(Json),
    /// Not JSON: why, when JSON was expected.
    NotJson(String),
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub exchange: Exchange,
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    /// The `Date` header, from which the sensor's clock is estimated.
    pub date: Option<String>,
    /// `Content-Encoding`, when it is not `identity` (no request asks for one).
    pub encoding: Option<String>,
    pub body: Body,
    /// The raw body, when small enough to keep (or a capture).
    pub raw: Option<bytes::Bytes>,
    /// The first [`KEPT_HEAD`] bytes of a body too large to keep whole.
    pub head: Option<bytes::Bytes>,
}

impl Answer {
    pub fn json(&self) -> Option<&Json> {
        match &self.body {
            Body::Json(json) => Some(json),
            _ => None,
        }
    }

    /// The list items, when the body is a JSON array whose every item was kept.
    pub fn items(&self) -> Option<&[Item]> {
        self.json()
            .filter(|j| matches!(j.shape, JsonShape::List(n) if n == j.items.len()))
            .map(|j| j.items.as_slice())
    }

    /// The items kept of a JSON array, and whether they are all of them.
    pub fn kept_items(&self) -> Option<(&[Item], bool)> {
        let json = self.json()?;
        match json.shape {
            JsonShape::List(n) => Some((json.items.as_slice(), n == json.items.len())),
            _ => None,
        }
    }

    /// How many items the body lists, when it is a JSON array (kept whole or not).
    pub fn list_len(&self) -> Option<usize> {
        match self.json()?.shape {
            JsonShape::List(n) => Some(n),
            _ => None,
        }
    }

    /// A short, single-line description of the body for failure messages.
    pub fn describe_body(&self) -> String {
        match &self.body {
            Body::Empty => "an empty body".to_owned(),
            Body::Binary => format!("a binary body of {} bytes", self.exchange.body_bytes),
            Body::NotJson(why) => format!("a body that is not JSON ({why})"),
            Body::Json(json) => match json.shape {
                JsonShape::List(n) if n > json.items.len() => format!(
                    "a list of {n} items, too many to relate (the first {ITEMS_KEPT} are kept)"
                ),
                JsonShape::List(n) => {
                    format!("a list of {n} item{}", if n == 1 { "" } else { "s" })
                }
                JsonShape::Object => "a JSON object".to_owned(),
                JsonShape::Scalar(kind) => kind.to_owned(),
                JsonShape::Unknown => "an unread body".to_owned(),
            },
        }
    }

    /// The first bytes of the body, for evidence: text with secrets removed before it is cut
    /// (so no part of a token survives the cut), or hex for a binary body.
    pub fn excerpt(&self, limit: usize, redactor: &crate::suite::Redactor) -> Option<String> {
        let (raw, whole) = match (&self.raw, &self.head) {
            (Some(raw), _) => (raw, raw.len()),
            (None, Some(head)) => (head, self.exchange.body_bytes as usize),
            (None, None) => return None,
        };
        if raw.is_empty() {
            return None;
        }
        // The longest a secret can be spelled: in escapes of up to eight bytes a character.
        let margin = 8 * redactor.longest();
        if matches!(self.body, Body::Binary) {
            // Bytes shown as hex escape redaction: a body that holds a credential near its
            // start is not shown at all.
            let near = &raw[..raw.len().min(limit / 3 + margin)];
            if redactor.holds_secret(near) {
                return Some("(binary; not shown: it holds a credential)".to_owned());
            }
            let shown = raw.iter().take(limit / 3).map(|b| format!("{b:02x}"));
            let more = if whole > limit / 3 { " …" } else { "" };
            return Some(format!(
                "{}{more} (binary)",
                shown.collect::<Vec<_>>().join(" ")
            ));
        }
        // What is read is redacted whole, so a secret anywhere in it is removed however much
        // redaction shortens the text. A secret that runs past the end of what was read is
        // not seen: when the body goes on, the last `margin` characters are never shown.
        let read = &raw[..raw.len().min(KEPT_HEAD)];
        let text = redactor.redact(&String::from_utf8_lossy(read));
        let flat: Vec<char> = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let goes_on = read.len() < whole;
        let room = if goes_on {
            flat.len().saturating_sub(margin)
        } else {
            flat.len()
        };
        let shown = limit.min(room);
        if shown == 0 {
            return None;
        }
        let cut: String = flat[..shown].iter().collect();
        Some(if shown < flat.len() || goes_on {
            format!("{cut}…")
        } else {
            cut
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Redactor;

    fn answer(raw: &str) -> Answer {
        Answer {
            exchange: Exchange {
                method: "GET",
                url: "https://127.0.0.1/api/v1/alerts".to_owned(),
                status: Some(200),
                duration_ms: 1,
                body_bytes: raw.len() as u64,
                sent_ms: 0,
                credential: Credential::Api,
            },
            status: 200,
            content_type: None,
            location: None,
            date: None,
            encoding: None,
            body: Body::Empty,
            raw: Some(bytes::Bytes::from(raw.to_owned())),
            head: None,
        }
    }

    /// A token that starts inside the excerpt is removed whole, even after multibyte text.
    #[test]
    fn excerpt_never_holds_part_of_a_token() {
        let token = "reference-token-ABCDEFGHIJKLMNOP";
        let body = format!("[\"{}\",\"{token}\"]", "é".repeat(100));
        let excerpt = answer(&body)
            .excerpt(200, &Redactor::new([token.to_owned()]))
            .unwrap();
        assert!(!excerpt.contains("reference-token"), "{excerpt}");
    }

    /// Of a body too large to keep, the kept head still gives an excerpt, marked as cut; a
    /// secret longer than the head allows shortens it instead of showing part of itself.
    #[test]
    fn a_large_body_keeps_an_excerpt_of_its_head() {
        let mut large = answer(&format!("[{}", "1, ".repeat(KEPT_HEAD / 3)));
        large.head = large.raw.take();
        large.exchange.body_bytes = 5 << 20;
        let excerpt = large.excerpt(10, &Redactor::new([])).unwrap();
        assert_eq!(excerpt, "[1, 1, 1, …");
        let token = "t".repeat(KEPT_HEAD);
        let mut holding = answer(&format!("[\"{token}\"]"));
        holding.head = holding.raw.take().map(|b| b.slice(..KEPT_HEAD));
        holding.exchange.body_bytes = 5 << 20;
        let excerpt = holding.excerpt(200, &Redactor::new([token.clone()]));
        assert!(
            excerpt.as_deref().is_none_or(|e| !e.contains("tttt")),
            "{excerpt:?}"
        );
        // A short secret in the same head is removed and the text around it shown.
        let mut short = answer(&format!("[\"abc\", \"{}\"]", "t".repeat(KEPT_HEAD)));
        short.head = short.raw.take().map(|b| b.slice(..KEPT_HEAD));
        short.exchange.body_bytes = 5 << 20;
        let excerpt = short
            .excerpt(20, &Redactor::new(["abc".to_owned()]))
            .unwrap();
        assert_eq!(excerpt, "[\"[REDACTED]\", \"tttt…");
    }

    /// A list whose items were not all kept gives no items to relate, but still counts as a
    /// list of its whole length.
    #[test]
    fn a_list_not_kept_whole_has_no_items_to_relate() {
        let mut long = answer("[]");
        let item = Item {
            id: None,
            time: None,
            digest: 0,
            value: None,
        };
        long.body = Body::Json(Json {
            shape: JsonShape::List(3),
            items: vec![item],
            ..Json::default()
        });
        assert!(long.items().is_none());
        assert_eq!(long.list_len(), Some(3));
        assert!(long.describe_body().contains("too many to relate"));
    }

    /// Redaction shortens the text it reads: a body that repeats a long token many times is
    /// still redacted wherever the excerpt ends, in any spelling.
    #[test]
    fn a_repeated_or_escaped_token_is_never_shown_in_part() {
        let token = "k".repeat(100);
        let redactor = Redactor::new([token.clone()]);
        let quoted = |t: &str| format!("\"{t}\"");
        let repeated = format!("[{}]", vec![quoted(&token); 50].join(","));
        let excerpt = answer(&repeated).excerpt(200, &redactor).unwrap();
        assert!(!excerpt.contains("kkkk"), "{excerpt}");
        let escaped: String = token.bytes().map(|b| format!("%{b:02x}")).collect();
        let copies = vec![quoted(&escaped); 20].join(",");
        let body = format!("[{}, {copies}]", quoted(&"é".repeat(150)));
        let excerpt = answer(&body).excerpt(200, &redactor).unwrap();
        assert!(!excerpt.contains("%6b%6b"), "{excerpt}");
        assert!(!excerpt.contains("kkkk"), "{excerpt}");
    }

    /// A binary body is shown as hex, which redaction cannot see into: one that holds a token
    /// is not shown.
    #[test]
    fn binary_excerpt_never_spells_a_token_in_hex() {
        let token = "pcap-token-1234";
        let redactor = Redactor::new([token.to_owned()]);
        let mut holding = answer(&format!("\u{1}\u{2}{token}"));
        holding.body = Body::Binary;
        let excerpt = holding.excerpt(200, &redactor).unwrap();
        assert!(excerpt.contains("not shown"), "{excerpt}");
        let mut plain = answer("\u{1}\u{2}capture");
        plain.body = Body::Binary;
        assert!(
            plain
                .excerpt(200, &redactor)
                .unwrap()
                .starts_with("01 02 63")
        );
    }
}
