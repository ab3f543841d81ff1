//! The reference sensor on the network: the listening socket, TLS, the accept loop, and the
//! glue between hyper and the pure request handlers.

use std::convert::Infallible;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use super::batched_writes::BatchedWrites;
use super::config::{SensorConfig, ServeArgs};
use super::error::SensorError;
use super::reply::Reply;
use super::routes::{RequestLine, respond};
use super::state::SensorState;
use super::tls;

/// Connections served at once; further clients wait in the listen backlog.
const MAX_CONNECTIONS: usize = 256;

/// Answers computed at once: a large alert history makes each one costly.
const CONCURRENT_ANSWERS: usize = 4;

/// Streams per HTTP/2 connection.
const MAX_STREAMS: u32 = 32;

/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A reference sensor serving in the background. Dropping it stops it.
#[derive(Debug)]
pub struct RunningSensor {
    url: String,
    address: SocketAddr,
    certificate_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSensor {
    /// The base URL, such as `https://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the sensor listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The self-signed certificate, PEM-encoded, when the sensor serves HTTPS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// Stops accepting, closes open connections and waits until the sensor has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The loop may have ended already; then there is nothing to tell it.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSensor {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What every connection of one sensor shares.
#[derive(Debug)]
struct Shared {
    state: SensorState,
    answers: Arc<Semaphore>,
    latency: std::time::Duration,
}

/// Starts a reference sensor; it accepts connections once this returns.
pub async fn start(config: SensorConfig) -> Result<RunningSensor, SensorError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SensorError::Bind {
            address: config.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| SensorError::Io {
        doing: "read the sensor's listening address",
        source,
    })?;
    let identity = config
        .tls
        .then(|| tls::self_signed(address.ip()))
        .transpose()?;
    let scheme = if identity.is_some() { "https" } else { "http" };
    let (certificate_pem, acceptor) = identity
        .map(|identity| (identity.certificate_pem, identity.acceptor))
        .unzip();
    let shared = Arc::new(Shared {
        state: SensorState::new(&config, now_ms()),
        answers: Arc::new(Semaphore::new(CONCURRENT_ANSWERS)),
        latency: config.latency,
    });
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, acceptor, shared, stopped));
    Ok(RunningSensor {
        url: format!("{scheme}://{address}"),
        address,
        certificate_pem,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Runs the reference sensor for `serve`: prints `listening on URL` once it accepts
/// connections, then serves until the process is interrupted or killed.
pub async fn serve(args: ServeArgs) -> Result<(), SensorError> {
    let sensor = start(args.into()).await?;
    announce(sensor.url()).map_err(|source| SensorError::Io {
        doing: "announce the sensor's URL on stdout",
        source,
    })?;
    // Ctrl-C and kill end the process by their default action, which is all the cleanup a
    // sensor without persistent state needs.
    std::future::pending::<()>().await;
    sensor.shutdown().await;
    Ok(())
}

fn announce(url: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {url}")?;
    stdout.flush()
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    // Dropping the set when the loop ends aborts the connections still open.
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        if let Some((stream, slot)) = accepted {
            let connection = connection(stream, acceptor.clone(), Arc::clone(&shared), slot);
            connections.spawn(connection);
        }
        while connections.try_join_next().is_some() {}
    }
}

/// The next connection, once a slot is free for it.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let slot = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => {
            // Answers are written in pieces (head, body): without this, Nagle's algorithm
            // meets the client's delayed acknowledgement and each answer waits ~40 ms.
            let _ = stream.set_nodelay(true);
            Some((stream, slot))
        }
        Err(error) => {
            // Running out of file descriptors, typically: wait rather than spin.
            warn!(%error, "failed to accept a connection");
            tokio::time::sleep(Duration::from_millis(100)).await;
            None
        }
    }
}

async fn connection(
    stream: TcpStream,
    acceptor: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    _slot: OwnedSemaphorePermit,
) {
    let Some(acceptor) = acceptor else {
        return serve_http(TokioIo::new(BatchedWrites::new(stream)), shared).await;
    };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_http(TokioIo::new(BatchedWrites::new(stream)), shared).await,
        Ok(Err(error)) => debug!(%error, "TLS handshake failed"),
        Err(_) => debug!("TLS handshake timed out"),
    }
}

async fn serve_http<I>(io: TokioIo<I>, shared: Arc<Shared>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(handle(shared, request).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder.http2().max_concurrent_streams(MAX_STREAMS);
    if let Err(error) = builder.serve_connection(io, service).await {
        debug!(%error, "connection ended with an error");
    }
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    // Request bodies mean nothing to this API: dropped unread.
    let (parts, _) = request.into_parts();
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let reply = answer(shared, parts).await;
    info!(
        %method,
        %path,
        status = reply.status.as_u16(),
        duration = ?started.elapsed(),
        "request"
    );
    response(reply)
}

/// Computes the answer: on the async worker when the alert history is small enough for every
/// answer to be quick, off the async workers otherwise, since a large alert answer takes a
/// while.
async fn answer(shared: Arc<Shared>, parts: Parts) -> Reply {
    let Ok(_permit) = Arc::clone(&shared.answers).acquire_owned().await else {
        return Reply::internal_error();
    };
    let now = now_ms();
    if shared.state.answers_quickly(now) {
        return respond_to(&shared.state, &parts, now);
    }
    let work = tokio::task::spawn_blocking(move || respond_to(&shared.state, &parts, now_ms()));
    work.await.unwrap_or_else(|_| Reply::internal_error())
}

fn respond_to(state: &SensorState, parts: &Parts, now: i64) -> Reply {
    let line = RequestLine {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        authorization: parts.headers.get(AUTHORIZATION).map(HeaderValue::as_bytes),
    };
    respond(state, &line, now)
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(reply.body));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    response
}

/// The wall clock in epoch milliseconds.
fn now_ms() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH);
    elapsed.map_or(0, |elapsed| elapsed.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn raw_get(url: &str, path: &str, token: &str) -> String {
        let address = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {token}\r\n\
             Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    fn plain() -> SensorConfig {
        SensorConfig {
            tls: false,
            ..SensorConfig::default()
        }
    }

    #[tokio::test]
    async fn plain_http_serves_alerts_with_a_date() {
        let sensor = start(plain()).await.unwrap();
        assert!(sensor.url().starts_with("http://127.0.0.1:"));
        assert!(sensor.certificate_pem().is_none());
        let answer = raw_get(
            sensor.url(),
            "/api/v1/alerts?state=handled",
            "reference-token",
        )
        .await;
        let head = answer.to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{answer}");
        assert!(head.contains("content-type: application/json; charset=utf-8"));
        assert!(head.contains("\r\ndate: "));
        assert!(answer.contains("\r\n\r\n[{\"id\":"));
        sensor.shutdown().await;
    }

    #[tokio::test]
    async fn a_wrong_token_is_refused_over_the_wire() {
        let sensor = start(plain()).await.unwrap();
        let answer = raw_get(sensor.url(), "/api/v1/events", "nope").await;
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.ends_with("{\"error\":\"Unauthorized\"}"));
    }

    #[tokio::test]
    async fn https_with_the_self_signed_certificate() {
        let sensor = start(SensorConfig::default()).await.unwrap();
        assert!(sensor.url().starts_with("https://127.0.0.1:"));
        let pem = sensor.certificate_pem().unwrap();
        let certificate = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only([certificate])
            .no_proxy()
            .build()
            .unwrap();
        let url = format!("{}/api/v2/alerts/pcap/3", sensor.url());
        let answer = client
            .get(url)
            .header("Authorization", "reference-pcap-token")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.version(), reqwest::Version::HTTP_2);
        let label = answer.headers().get("content-type").cloned();
        assert_eq!(label.unwrap(), "application/vnd.tcpdump.pcap");
        assert!(answer.headers().contains_key("date"));
        let body = answer.bytes().await.unwrap();
        assert_eq!(body[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
        sensor.shutdown().await;
    }

    #[tokio::test]
    async fn a_busy_address_is_a_bind_error() {
        let first = start(plain()).await.unwrap();
        let config = SensorConfig {
            listen: first.local_addr(),
            ..plain()
        };
        let error = start(config).await.unwrap_err();
        assert!(matches!(error, SensorError::Bind { .. }));
        assert!(error.to_string().contains(&first.local_addr().to_string()));
    }

    #[tokio::test]
    async fn shutdown_stops_accepting() {
        let sensor = start(plain()).await.unwrap();
        let address = sensor.local_addr();
        sensor.shutdown().await;
        assert!(TcpStream::connect(address).await.is_err());
    }
}
