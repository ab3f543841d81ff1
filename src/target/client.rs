//! The HTTP client: one per run, polite to the target, never sending a token anywhere else.

use super::answer::{Answer, Body, Exchange, KEPT_BODY, KEPT_HEAD};
use super::clock::now_ms;
use super::json::{self, Reading};
use bytes::{Bytes, BytesMut};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, LOCATION, RETRY_AFTER,
};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Answers 429 and 503 are retried this many times.
const RETRIES: u32 = 3;
/// The wait before retrying a 429 or 503 that says nothing of when to come back.
const NO_RETRY_AFTER: Duration = Duration::from_secs(1);
/// The longest `Retry-After` honoured; a longer one is cut to this.
const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(30);
/// The most room made for a body before it arrives, whatever its `Content-Length` says.
const ANNOUNCED_ROOM: u64 = 16 << 20;
/// How a PEM certificate begins.
const PEM_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----";

/// The tokens of a run. They go only into `Authorization` headers to the target's origin.
#[derive(Clone, Default)]
pub struct Credentials {
    pub token: Option<String>,
    pub pcap_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { .. }")
    }
}

/// Which credential a request carries, once the case's choice is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    Api,
    Pcap,
    None,
    Wrong,
    Bearer,
}

impl Credential {
    /// The `Authorization` header a reproducing command sends, with the token as a variable.
    pub fn header_for_shell(self) -> Option<&'static str> {
        match self {
            Credential::Api => Some("Authorization: $SENSOR_TOKEN"),
            Credential::Pcap => Some("Authorization: $SENSOR_PCAP_TOKEN"),
            Credential::None => None,
            Credential::Wrong => Some("Authorization: sensor-conformance-wrong-token"),
            Credential::Bearer => Some("Authorization: Bearer $SENSOR_TOKEN"),
        }
    }
}

/// How the client talks to the target.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Certificates to trust instead of the system's (the built-in sensor's, or `--cacert`).
    pub trust_only: Vec<Vec<u8>>,
    pub insecure: bool,
    /// A PEM file holding a client certificate and its key.
    pub identity: Option<Vec<u8>>,
    pub idle_timeout: Duration,
    pub request_timeout: Duration,
    pub max_body: u64,
    pub max_rps: Option<f64>,
    pub concurrency: usize,
    /// After this no request is sent, and one still running is abandoned (`--deadline`).
    pub deadline: Option<Instant>,
}

/// What went wrong before an answer could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Connection refused, DNS failure, unreachable.
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    Timeout,
    /// An answer came, but its body was cut off (closed or reset before its end).
    Body,
    /// The body was larger than `--max-body`.
    TooLarge,
    /// The run's deadline passed before the request could be sent or answered.
    Deadline,
    Other,
}

/// A request that got no usable answer.
#[derive(Debug, Clone)]
pub struct TransportError {
    pub kind: TransportKind,
    pub message: String,
    pub exchange: Exchange,
}

/// The outcome of sending one request.
pub type Sent = Result<Answer, TransportError>;

/// The list items a request brought back; none when it got no answer or not a list.
pub fn sent_items(sent: &Sent) -> &[crate::target::Item] {
    sent.as_ref()
        .ok()
        .and_then(Answer::items)
        .unwrap_or_default()
}

/// One paced, bounded HTTP client for one target.
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    credentials: Credentials,
    options: ClientOptions,
    in_flight: Semaphore,
    next_slot: Mutex<Instant>,
    /// The list items of this target's answers, read once each.
    items: json::Memo,
    /// Its log lines carry URLs, which may hold values learnt from the sensor: never a token.
    redactor: crate::suite::Redactor,
}

impl Client {
    /// Builds the client; the error says which option could not be used.
    pub fn new(
        base: reqwest::Url,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<Self, String> {
        let http = build_http(&options)?;
        let secrets = [&credentials.token, &credentials.pcap_token];
        let redactor = crate::suite::Redactor::new(secrets.into_iter().flatten().cloned());
        Ok(Client {
            http,
            base,
            redactor,
            credentials,
            in_flight: Semaphore::new(options.concurrency.max(1)),
            next_slot: Mutex::new(Instant::now()),
            items: json::Memo::default(),
            options,
        })
    }

    /// What keeps this client's credentials out of any text.
    pub fn redactor(&self) -> &crate::suite::Redactor {
        &self.redactor
    }

    /// `error`, with its cause when it names none and a handshake of the client's own finds
    /// that the sensor asks for a client certificate that this run does not give.
    pub async fn explain(&self, error: TransportError) -> TransportError {
        let unexplained = match error.kind {
            TransportKind::Connect | TransportKind::Other => true,
            TransportKind::Tls => error.message.contains(HANDSHAKE),
            _ => false,
        };
        if !unexplained
            || self.options.identity.is_some()
            || !super::handshake::asks_for_client_certificate(&self.base, self.options.deadline)
                .await
        {
            return error;
        }
        TransportError {
            kind: TransportKind::Tls,
            message: format!("TLS: {CLIENT_CERTIFICATE_ASKED} ({})", error.message),
            ..error
        }
    }

    pub fn base(&self) -> &reqwest::Url {
        &self.base
    }

    /// The list items this target's answers held, read once each.
    pub fn memo(&self) -> &json::Memo {
        &self.items
    }

    /// When the run's deadline passes, if it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.options.deadline
    }

    pub fn has_pcap_token(&self) -> bool {
        self.credentials.pcap_token.is_some()
    }

    /// The URL a path and raw query go to; the query is sent exactly as written.
    pub fn url(&self, path: &str, query: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url.set_query((!query.is_empty()).then_some(query));
        url
    }

    /// Sends one GET, retrying 429 and 503 after their `Retry-After`, and reads the answer.
    /// Once the run's deadline has passed nothing is sent, and a request (or a wait) still
    /// running then is abandoned; an answer that has come is read whatever the time.
    pub async fn get(
        &self,
        url: &reqwest::Url,
        credential: Credential,
        reading: &Reading<'_>,
    ) -> Sent {
        let fetched = match self.options.deadline {
            None => self.fetch_retrying(url, credential).await,
            // Checked first: a future polled once may already have written its request.
            Some(deadline) if Instant::now() >= deadline => {
                Err(self.failed(url, credential, deadline_passed("before it was sent")))
            }
            Some(deadline) => {
                let fetching = self.fetch_retrying(url, credential);
                match tokio::time::timeout_at(deadline.into(), fetching).await {
                    Ok(fetched) => fetched,
                    Err(_) => {
                        Err(self.failed(url, credential, deadline_passed("before an answer came")))
                    }
                }
            }
        };
        let (exchange, head, body) = fetched?;
        Ok(answer(exchange, head, body, reading, &self.items).await)
    }

    async fn fetch_retrying(
        &self,
        url: &reqwest::Url,
        credential: Credential,
    ) -> Result<Fetched, TransportError> {
        let mut attempt = 0;
        loop {
            let fetched = self.fetch_once(url, credential).await?;
            let busy = matches!(fetched.1.status, 429 | 503) && attempt < RETRIES;
            match fetched.1.retry_after.filter(|_| busy) {
                Some(wait) => {
                    let url = self.redactor.redact(url.as_str());
                    tracing::info!("{url} asked to wait {} s", wait.as_secs());
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Ok(fetched),
            }
        }
    }

    async fn fetch_once(
        &self,
        url: &reqwest::Url,
        credential: Credential,
    ) -> Result<Fetched, TransportError> {
        let permit = self.in_flight.acquire().await.map_err(|_| {
            let message = "the client was shut down".to_owned();
            self.failed(url, credential, (TransportKind::Other, message))
        })?;
        self.pace().await;
        let started = Instant::now();
        let sent_ms = now_ms();
        let mut exchange = Exchange {
            method: "GET",
            url: url.to_string(),
            status: None,
            duration_ms: 0,
            body_bytes: 0,
            sent_ms,
            credential,
        };
        let result = self.fetch(url, credential).await;
        exchange.duration_ms = started.elapsed().as_millis() as u64;
        // The body has come: parsing it is no load on the sensor, so the next request may go.
        drop(permit);
        let (head, body) = match result {
            Ok(fetched) => fetched,
            Err((kind, message)) => {
                let line = format!("{exchange}: {message}");
                tracing::info!("{}", self.redactor.redact(&line));
                return Err(TransportError {
                    kind,
                    message,
                    exchange,
                });
            }
        };
        exchange.status = Some(head.status);
        exchange.body_bytes = body.len() as u64;
        tracing::info!("{}", self.redactor.redact(&exchange.to_string()));
        Ok((exchange, head, body))
    }

    async fn fetch(
        &self,
        url: &reqwest::Url,
        credential: Credential,
    ) -> Result<(Head, Bytes), (TransportKind, String)> {
        let mut request = self
            .http
            .get(url.clone())
            .header(ACCEPT, "application/json, */*");
        if let Some(value) = self.authorization(credential) {
            request = request.header(AUTHORIZATION, value);
        }
        let response = request.send().await.map_err(|e| classify(&e))?;
        let head = Head::of(&response);
        let body = self.read_whole(response).await?;
        Ok((head, body))
    }

    /// Reads a body up to `--max-body`; when it breaks off, says how far it got.
    async fn read_whole(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Bytes, (TransportKind, String)> {
        let announced = response.content_length();
        if announced.is_some_and(|n| n > self.options.max_body) {
            return Err(self.too_large());
        }
        // Room for what is announced, within reason: an announcement is not a body.
        let room = announced.map_or(0, |n| n.min(ANNOUNCED_ROOM) as usize);
        let mut body = BytesMut::with_capacity(room);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > self.options.max_body {
                        return Err(self.too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body.freeze()),
                Err(error) => return Err(self.cut_off(&error, body.len(), announced)),
            }
        }
    }

    /// Why a body stopped after `received` bytes.
    fn cut_off(
        &self,
        error: &reqwest::Error,
        received: usize,
        announced: Option<u64>,
    ) -> (TransportKind, String) {
        let of = announced.map_or(String::new(), |n| format!(" of the {n} announced"));
        if error.is_timeout() {
            let message = format!(
                "timed out after {received} bytes of the body{of} (--timeout: {} s without \
                 data, {} s in all)",
                self.options.idle_timeout.as_secs(),
                self.options.request_timeout.as_secs()
            );
            return (TransportKind::Timeout, message);
        }
        let message = format!(
            "the body was cut off after {received} bytes{of}: {}",
            innermost(error)
        );
        (TransportKind::Body, message)
    }

    fn too_large(&self) -> (TransportKind, String) {
        let message = format!(
            "the body is larger than {} bytes (--max-body)",
            self.options.max_body
        );
        (TransportKind::TooLarge, message)
    }

    fn authorization(&self, credential: Credential) -> Option<String> {
        match credential {
            Credential::Api => self.credentials.token.clone(),
            Credential::Pcap => self.credentials.pcap_token.clone(),
            Credential::None => None,
            Credential::Wrong => Some("sensor-conformance-wrong-token".to_owned()),
            Credential::Bearer => self
                .credentials
                .token
                .as_ref()
                .map(|t| format!("Bearer {t}")),
        }
    }

    /// Waits for this request's slot under `--max-rps`.
    async fn pace(&self) {
        let Some(rps) = self.options.max_rps.filter(|r| *r > 0.0) else {
            return;
        };
        let interval = Duration::from_secs_f64(1.0 / rps);
        let slot = {
            let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }

    /// A request that got no answer, for `kind` and `message`.
    fn failed(
        &self,
        url: &reqwest::Url,
        credential: Credential,
        (kind, message): (TransportKind, String),
    ) -> TransportError {
        TransportError {
            kind,
            message,
            exchange: Exchange {
                method: "GET",
                url: url.to_string(),
                status: None,
                duration_ms: 0,
                body_bytes: 0,
                sent_ms: now_ms(),
                credential,
            },
        }
    }
}

fn deadline_passed(what: &str) -> (TransportKind, String) {
    let message = format!("the run's deadline passed (--deadline) {what}");
    (TransportKind::Deadline, message)
}

/// The head of an answer.
struct Head {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    retry_after: Option<Duration>,
    date: Option<String>,
    /// `Content-Encoding`, which no request asks for: a body so encoded is not read as JSON.
    encoding: Option<String>,
}

impl Head {
    fn of(response: &reqwest::Response) -> Self {
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Head {
            status: response.status().as_u16(),
            content_type: header(CONTENT_TYPE),
            location: header(LOCATION),
            // A busy answer without `Retry-After` is retried after a second all the same.
            retry_after: header(RETRY_AFTER)
                .map(|v| retry_wait(&v))
                .or(Some(NO_RETRY_AFTER)),
            date: header(reqwest::header::DATE),
            encoding: header(CONTENT_ENCODING).filter(|e| !e.eq_ignore_ascii_case("identity")),
        }
    }
}

/// A request's exchange, the head of its answer and the body, not read yet.
type Fetched = (Exchange, Head, Bytes);

/// The answer to one request, its body read as `reading` says.
async fn answer(
    exchange: Exchange,
    head: Head,
    mut raw: Bytes,
    reading: &Reading<'_>,
    items: &json::Memo,
) -> Answer {
    let body = read_body(&mut raw, &head, reading, items).await;
    let keep = raw.len() <= KEPT_BODY || reading.binary;
    let first = (!keep).then(|| Bytes::copy_from_slice(&raw[..KEPT_HEAD]));
    Answer {
        exchange,
        status: head.status,
        content_type: head.content_type,
        location: head.location,
        date: head.date,
        encoding: head.encoding,
        body,
        raw: keep.then_some(raw),
        head: first,
    }
}

async fn read_body(raw: &mut Bytes, head: &Head, reading: &Reading<'_>, memo: &json::Memo) -> Body {
    if raw.is_empty() {
        return Body::Empty;
    }
    if reading.binary && head.status / 100 == 2 {
        return Body::Binary;
    }
    let success = head.status / 100 == 2;
    let schema_reading = Reading {
        schema: if success { reading.schema } else { None },
        ..*reading
    };
    match memo.read(raw, &schema_reading).await {
        Ok(mut json) => {
            json.schema = schema_reading.schema.map(|s| s.name.clone());
            Body::Json(json)
        }
        Err(why) => match &head.encoding {
            Some(encoding) => Body::NotJson(format!(
                "{why}; the body came with Content-Encoding: {encoding}, which the request did \
                 not ask for"
            )),
            None => Body::NotJson(why),
        },
    }
}

/// `Retry-After` as a wait: seconds or an HTTP date, capped; a value it cannot take waits as
/// for an absent one.
fn retry_wait(value: &str) -> Duration {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        // An HTTP date: the wait until then by our clock, none when it has passed.
        Err(_) => match httpdate::parse_http_date(value) {
            Ok(then) => then
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default(),
            // Not a value the header can take: as if it were absent.
            Err(_) => NO_RETRY_AFTER,
        },
    };
    wait.min(LONGEST_RETRY_WAIT)
}

/// The deepest cause of an error: what actually happened, without the layers that carried it.
fn innermost(error: &dyn std::error::Error) -> String {
    let mut deepest = error;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    deepest.to_string()
}

fn build_http(options: &ClientOptions) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("sensor-conformance/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(options.idle_timeout)
        .timeout(options.request_timeout)
        .pool_max_idle_per_host(options.concurrency.max(1))
        .pool_idle_timeout(IDLE_CONNECTION)
        .no_proxy();
    if !options.trust_only.is_empty() {
        builder = builder.tls_certs_only(trusted(&options.trust_only)?);
    }
    if options.insecure {
        builder = builder
            .tls_danger_accept_invalid_certs(true)
            .tls_danger_accept_invalid_hostnames(true);
    }
    if let Some(pem) = &options.identity {
        builder = builder.identity(identity(pem)?);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", chain(&e)))
}

/// The certificates to trust. A file without one would trust nothing, and every certificate
/// error would then blame the sensor.
fn trusted(pems: &[Vec<u8>]) -> Result<Vec<reqwest::Certificate>, String> {
    let mut certificates = Vec::new();
    for pem in pems {
        let bundle = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("cannot read the CA certificate (--cacert): {}", chain(&e)))?;
        if bundle.is_empty() {
            return Err(format!(
                "the CA file (--cacert) holds no PEM certificate ({PEM_CERTIFICATE})"
            ));
        }
        certificates.extend(bundle);
    }
    Ok(certificates)
}

/// The client certificate and its key, with a message that says which of the two is missing.
fn identity(pem: &[u8]) -> Result<reqwest::Identity, String> {
    let text = String::from_utf8_lossy(pem);
    if !text.contains(PEM_CERTIFICATE) {
        return Err(format!(
            "the --client-cert file holds no PEM certificate ({PEM_CERTIFICATE})"
        ));
    }
    if !text.contains("PRIVATE KEY-----") {
        return Err(
            "the --client-key file holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
                .to_owned(),
        );
    }
    reqwest::Identity::from_pem(pem)
        .map_err(|e| format!("cannot use the client certificate and key: {}", chain(&e)))
}

/// Sorts a transport failure into its kind, with a message that says what would fix it.
fn classify(error: &reqwest::Error) -> (TransportKind, String) {
    let text = chain(error);
    let hint = tls_error(error)
        .map(tls_hint)
        .or_else(|| tls_hint_from_text(&text.to_lowercase()));
    if let Some(hint) = hint {
        return (TransportKind::Tls, format!("TLS: {hint} ({text})"));
    }
    if error.is_timeout() {
        return (TransportKind::Timeout, format!("timed out: {text}"));
    }
    if text.contains("close_notify") {
        let message = format!("the connection was closed before an answer came ({text})");
        return (TransportKind::Other, message);
    }
    if text.contains("invalid HTTP version parsed") {
        return (
            TransportKind::Connect,
            format!("cannot connect: {NOT_HTTP} ({text})"),
        );
    }
    if error.is_connect() {
        return (TransportKind::Connect, format!("cannot connect: {text}"));
    }
    (TransportKind::Other, text)
}

const SELF_SIGNED: &str = "the certificate is not signed by a trusted authority (self-signed?): \
                           give its CA with --cacert FILE, or accept any certificate with --insecure";
const EXPIRED: &str = "the certificate has expired: renew it, or accept it with --insecure";
const NOT_YET_VALID: &str = "the certificate is not valid yet (is a clock wrong?): \
                             accept it with --insecure";
const OTHER_NAME: &str = "the certificate is for another host name: use the name it was issued \
                          for, or accept it with --insecure";
const CLIENT_CERTIFICATE_WANTED: &str = "the sensor asks for a client certificate: give it with \
                                         --client-cert FILE and its key with --client-key FILE";
const CLIENT_CERTIFICATE_ASKED: &str = "the sensor asks for a client certificate and ended the \
                                        connection without one: give it with --client-cert FILE \
                                        and its key with --client-key FILE";
const CLIENT_CERTIFICATE_REFUSED: &str = "the sensor refused the client certificate: check \
                                          --client-cert and --client-key";
const NOT_TLS: &str = "the server does not speak TLS there: check the URL's scheme (http or \
                       https) and port";
const NOT_HTTP: &str = "the server does not answer plain HTTP there (does it want TLS? try \
                        https://)";
const HANDSHAKE: &str =
    "the TLS handshake failed: check the URL's scheme and port, --cacert, or --insecure";

/// The TLS error somewhere in `error`'s sources. An I/O error carries its cause as a payload,
/// which its own `source` skips, so the payload is followed instead.
fn tls_error<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|payload| payload as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

fn tls_hint(error: &rustls::Error) -> &'static str {
    use rustls::{AlertDescription as Alert, CertificateError as Certificate, Error};
    match error {
        Error::InvalidCertificate(Certificate::UnknownIssuer) => SELF_SIGNED,
        Error::InvalidCertificate(Certificate::Expired | Certificate::ExpiredContext { .. }) => {
            EXPIRED
        }
        Error::InvalidCertificate(
            Certificate::NotValidYet | Certificate::NotValidYetContext { .. },
        ) => NOT_YET_VALID,
        Error::InvalidCertificate(
            Certificate::NotValidForName | Certificate::NotValidForNameContext { .. },
        ) => OTHER_NAME,
        Error::AlertReceived(Alert::CertificateRequired) => CLIENT_CERTIFICATE_WANTED,
        Error::AlertReceived(
            Alert::BadCertificate | Alert::UnknownCA | Alert::CertificateUnknown,
        ) => CLIENT_CERTIFICATE_REFUSED,
        Error::InvalidMessage(_)
        | Error::InappropriateMessage { .. }
        | Error::InappropriateHandshakeMessage { .. } => NOT_TLS,
        _ => HANDSHAKE,
    }
}

/// The hint for a TLS failure known only by its text (a platform verifier's own error).
fn tls_hint_from_text(lower: &str) -> Option<&'static str> {
    let hint = if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        SELF_SIGNED
    } else if lower.contains("expired") {
        EXPIRED
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        OTHER_NAME
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        HANDSHAKE
    } else {
        return None;
    };
    Some(hint)
}

/// A connection idle this long is not used again: servers close idle connections after a few
/// seconds (five is common), and a request sent on one as it closes fails with no answer.
const IDLE_CONNECTION: Duration = Duration::from_secs(4);

/// An error and each of its causes, on one line, without repeating a cause its error spells.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::{AlertDescription, CertificateError, Error as TlsError};

    #[test]
    fn each_tls_failure_names_what_would_accept_it() {
        let certificate = |e| tls_hint(&TlsError::InvalidCertificate(e));
        assert_eq!(certificate(CertificateError::UnknownIssuer), SELF_SIGNED);
        assert_eq!(certificate(CertificateError::Expired), EXPIRED);
        assert_eq!(certificate(CertificateError::NotValidForName), OTHER_NAME);
        let alert = |a| tls_hint(&TlsError::AlertReceived(a));
        assert_eq!(
            alert(AlertDescription::CertificateRequired),
            CLIENT_CERTIFICATE_WANTED
        );
        assert_eq!(
            alert(AlertDescription::UnknownCA),
            CLIENT_CERTIFICATE_REFUSED
        );
        assert_eq!(tls_hint(&TlsError::DecryptError), HANDSHAKE);
    }

    #[test]
    fn a_tls_error_is_found_inside_io_errors() {
        let tls = TlsError::InvalidCertificate(CertificateError::Expired);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        let outer = std::io::Error::other(inner);
        assert!(matches!(
            tls_error(&outer),
            Some(TlsError::InvalidCertificate(CertificateError::Expired))
        ));
        assert!(tls_error(&std::io::Error::other("refused")).is_none());
    }

    #[test]
    fn retry_after_is_capped() {
        assert_eq!(retry_wait("2"), Duration::from_secs(2));
        assert_eq!(retry_wait("86400"), LONGEST_RETRY_WAIT);
        assert_eq!(retry_wait("Wed, 21 Oct 2015 07:28:00 GMT"), Duration::ZERO);
        let soon = std::time::SystemTime::now() + Duration::from_secs(10);
        let wait = retry_wait(&httpdate::fmt_http_date(soon));
        assert!(wait > Duration::from_secs(8) && wait <= Duration::from_secs(10));
        let later = std::time::SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(
            retry_wait(&httpdate::fmt_http_date(later)),
            LONGEST_RETRY_WAIT
        );
        for odd in ["-1", "1.5", "abc", ""] {
            assert_eq!(retry_wait(odd), NO_RETRY_AFTER, "{odd:?}");
        }
    }
}
