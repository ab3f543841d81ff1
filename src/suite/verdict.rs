//! Verdicts: what each test found, kept in one store from which every summary, report and the
//! exit status are built.

use crate::contract::{Endpoint, Level};
use crate::target::Exchange;
use std::sync::Mutex;

/// The verdict of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Could not be decided on this target's data.
    Inconclusive,
    /// Does not apply to this target (its API version).
    NotApplicable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotApplicable => "not applicable",
        }
    }
}

/// What one test found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    /// For a failure, what was expected and what came; for an inconclusive test, why.
    pub message: Option<String>,
    /// Should-rule violations that did not fail the test, and spelling variants accepted.
    pub warnings: Vec<String>,
    /// What the target did, for observe rules.
    pub observations: Vec<String>,
    /// Every request the test made (memoized ones included).
    pub exchanges: Vec<Exchange>,
}

impl Outcome {
    pub fn new(verdict: Verdict, message: Option<String>) -> Self {
        Outcome {
            verdict,
            message,
            warnings: Vec::new(),
            observations: Vec::new(),
            exchanges: Vec::new(),
        }
    }
}

/// One test's record in the store.
#[derive(Debug, Clone)]
pub struct Record {
    pub name: String,
    pub rule: String,
    pub level: Level,
    pub endpoint: Endpoint,
    pub outcome: Outcome,
}

/// The verdicts of a run.
#[derive(Debug, Default)]
pub struct Store {
    records: Mutex<Vec<Record>>,
}

impl Store {
    pub fn record(&self, record: Record) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
    }

    /// Every record, in test-name order.
    pub fn records(&self) -> Vec<Record> {
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        records.sort_by(|a, b| a.name.cmp(&b.name));
        records
    }
}

/// Removes every secret from text that leaves the process.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    /// What stands for a secret: one that holds none, so that redacting twice changes nothing.
    marker: &'static str,
}

/// Markers for a secret, the first that holds no secret is used.
const MARKERS: [&str; 5] = ["[REDACTED]", "[redacted]", "<redacted>", "<hidden>", "***"];

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let secrets = secrets.into_iter().filter(|s| !s.is_empty());
        // A server may echo a token escaped as JSON (`\/` for `/`) or percent-encoded.
        let mut secrets: Vec<String> = secrets.flat_map(|s| spellings(&s)).collect();
        secrets.dedup();
        // Longer first, so a token that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let marker = MARKERS
            .into_iter()
            .find(|m| !secrets.iter().any(|s| m.contains(s.as_str())))
            .unwrap_or("");
        Redactor { secrets, marker }
    }

    /// The length of the longest secret, in bytes.
    pub fn longest(&self) -> usize {
        self.secrets.first().map_or(0, String::len)
    }

    /// `text` without its secrets. A server may echo a token in an encoding of its own (JSON
    /// `\u` escapes, percent-encoding in either case, HTML entities): when the text with such
    /// escapes decoded holds a secret, the decoded text is given, redacted.
    pub fn redact(&self, text: &str) -> String {
        let text = self.replace(text.to_owned());
        match decoded(&text) {
            Some(plain) if self.holds(&plain) => self.replace(plain),
            _ => text,
        }
    }

    /// Whether `bytes` hold a secret as it is or in one of its spellings.
    pub fn holds_secret(&self, bytes: &[u8]) -> bool {
        self.secrets.iter().any(|secret| {
            let secret = secret.as_bytes();
            bytes.windows(secret.len()).any(|window| window == secret)
        })
    }

    /// Whether `text` holds a secret in any case of its letters, as a host name is shown
    /// once a URL parser has lowered it.
    pub fn holds_secret_in_any_case(&self, text: &str) -> bool {
        let text = text.to_ascii_lowercase();
        self.secrets
            .iter()
            .any(|s| text.contains(&s.to_ascii_lowercase()))
    }

    fn holds(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    fn replace(&self, mut text: String) -> String {
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), self.marker);
            }
        }
        text
    }

    /// Redacts every text field of an outcome.
    pub fn outcome(&self, mut outcome: Outcome) -> Outcome {
        outcome.message = outcome.message.map(|m| self.redact(&m));
        for text in outcome
            .warnings
            .iter_mut()
            .chain(outcome.observations.iter_mut())
        {
            *text = self.redact(text);
        }
        for exchange in &mut outcome.exchanges {
            exchange.url = self.redact(&exchange.url);
        }
        outcome
    }
}

/// The ways a secret can appear in a body or a report: as it is, JSON-escaped (with and
/// without `\/`) and percent-encoded.
fn spellings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_owned();
    let percent: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut all = vec![secret.to_owned(), json.replace('/', "\\/"), json, percent];
    all.sort();
    all.dedup();
    all
}

/// `text` with JSON escapes, percent-encodings and HTML character references decoded, a few
/// times over (an escape may be escaped in turn); `None` when it has none.
fn decoded(text: &str) -> Option<String> {
    let mut plain = text.to_owned();
    for _ in 0..3 {
        if !plain.contains(['\\', '%', '&']) {
            break;
        }
        let once = decode_once(&plain);
        if once == plain {
            break;
        }
        plain = once;
    }
    (plain != text).then_some(plain)
}

fn decode_once(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        // Escapes begin with an ASCII byte, never inside a character of several bytes.
        match escape_at(&bytes[at..]) {
            Some((Decoded::Byte(byte), used)) => {
                out.push(byte);
                at += used;
            }
            Some((Decoded::Char(c), used)) => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                at += used;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What an escape stands for: a byte (percent-encoding) or a character.
enum Decoded {
    Byte(u8),
    Char(char),
}

/// What an escape at the start of `rest` stands for, and its length.
fn escape_at(rest: &[u8]) -> Option<(Decoded, usize)> {
    let text = |range: std::ops::Range<usize>| std::str::from_utf8(rest.get(range)?).ok();
    match rest.first()? {
        b'%' => {
            let byte = u8::from_str_radix(text(1..3)?, 16).ok()?;
            Some((Decoded::Byte(byte), 3))
        }
        b'\\' => match rest.get(1)? {
            b'u' => {
                let unit = u32::from_str_radix(text(2..6)?, 16).ok()?;
                let low = text(8..12).filter(|_| rest.get(6..8) == Some(b"\\u".as_slice()));
                let low = low.and_then(|l| u32::from_str_radix(l, 16).ok());
                match (unit, low) {
                    (0xD800..=0xDBFF, Some(low @ 0xDC00..=0xDFFF)) => {
                        let joined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        Some((Decoded::Char(char::from_u32(joined)?), 12))
                    }
                    _ => Some((Decoded::Char(char::from_u32(unit)?), 6)),
                }
            }
            escaped @ (b'/' | b'"' | b'\\') => Some((Decoded::Byte(*escaped), 2)),
            _ => None,
        },
        b'&' => {
            let end = rest.iter().take(12).position(|b| *b == b';')?;
            let name = text(1..end)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((Decoded::Char(c), end + 1))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token a server echoes in an encoding of its own is found and removed all the same.
    #[test]
    fn redacts_a_token_the_server_encoded() {
        let token = "Zx9+q/Lm3=Kp&w<y>";
        let redactor = Redactor::new([token.to_owned()]);
        let encoded = [
            r"Zx9\u002Bq\/Lm3\u003DKp\u0026w\u003Cy\u003E",
            "Zx9%2bq%2fLm3%3dKp%26w%3cy%3e",
            "Zx9+q/Lm3=Kp&amp;w&lt;y&gt;",
            "Zx9&#43;q&#x2F;Lm3=Kp&amp;amp;w&lt;y&gt;",
            r"\u005A\u0078\u0039+q/Lm3=Kp&w<y>",
        ];
        for form in encoded {
            let text = format!("{{\"echo\": \"{form}\"}} more");
            let redacted = redactor.redact(&text);
            assert!(!redacted.contains("Lm3"), "{form}: {redacted}");
            assert!(redacted.contains("[REDACTED]"), "{form}: {redacted}");
            assert_eq!(redactor.redact(&redacted), redacted, "{form}");
        }
        let harmless = r"a\u0041 %41 &amp; \q &bogus; %zz &#xFFFFFFFF; \ud800";
        assert_eq!(redactor.redact(harmless), harmless);
        assert!(redactor.holds_secret(format!("..{token}..").as_bytes()));
        assert!(!redactor.holds_secret(b"Zx9+q/Lm3"));
    }

    /// A secret that the usual marker holds gets another marker, so redacting twice changes
    /// nothing and no part of the secret is left.
    #[test]
    fn redacting_again_changes_nothing() {
        for secret in ["T", "RED", "E", "sensor-token-1234"] {
            let redactor = Redactor::new([secret.to_owned()]);
            let text = format!("GET ?toTime=1 with {secret} in SENSOR_PCAP_TOKEN");
            let once = redactor.redact(&text);
            assert_eq!(redactor.redact(&once), once, "{secret}");
            assert!(!once.contains(secret), "{secret}: {once}");
        }
    }

    #[test]
    fn redacts_escaped_spellings() {
        let redactor = Redactor::new(["a/b\"c d".to_owned()]);
        let echoed = r#"{"t": "a\/b\"c d", "u": "a%2Fb%22c+d"}"#;
        assert!(
            !redactor.redact(echoed).contains('b'),
            "{}",
            redactor.redact(echoed)
        );
    }

    #[test]
    fn redacts_every_secret() {
        let redactor = Redactor::new(["abc".to_owned(), "abcdef".to_owned(), String::new()]);
        assert_eq!(
            redactor.redact("x abcdef y abc"),
            "x [REDACTED] y [REDACTED]"
        );
    }
}
