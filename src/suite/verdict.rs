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

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
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

#[cfg(test)]
mod tests {
    use super::*;

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
