//! What the sensor answers, independent of the HTTP machinery: a status, a content type, a
//! body and the odd extra header.

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};

use super::faults::{Behaviour, Fault};

/// The label of JSON bodies.
pub const JSON: &str = "application/json; charset=utf-8";

/// The label of plain text bodies.
pub const TEXT: &str = "text/plain; charset=utf-8";

/// The label of capture files.
pub const PCAP: &str = "application/vnd.tcpdump.pcap";

/// One answer of the sensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The value of `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
    /// Further headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// A body with its status and label.
    pub fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// A successful JSON answer: labelled as JSON, unless the sensor breaks G4.
    pub fn json_data(body: impl Into<Bytes>, behaviour: &Behaviour) -> Self {
        let label = if behaviour.breaks(Fault::G4TextContentType) {
            TEXT
        } else {
            JSON
        };
        Self::new(StatusCode::OK, label, body)
    }

    /// A JSON object `{"error": message}`.
    pub fn error(status: StatusCode, message: &str) -> Self {
        let body = serde_json::json!({ "error": message }).to_string();
        Self::new(status, JSON, body)
    }

    /// The answer when the sensor itself failed.
    pub fn internal_error() -> Self {
        Self::error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
    }

    /// The reply with one more header.
    pub fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// The body as text, for tests and logs.
    #[cfg(test)]
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("<binary>")
    }

    /// The body parsed as JSON, for tests.
    #[cfg(test)]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_json_objects_with_a_message() {
        let reply = Reply::error(StatusCode::NOT_FOUND, "PCAP file is not available");
        assert_eq!(reply.content_type, JSON);
        assert_eq!(reply.json()["error"], "PCAP file is not available");
    }

    #[test]
    fn messages_are_escaped() {
        let reply = Reply::error(StatusCode::BAD_REQUEST, "bad \"quote\"");
        assert_eq!(reply.json()["error"], "bad \"quote\"");
    }
}
