//! Small servers on loopback that each misbehave in one way, written at the byte level so that
//! they can do what no well-behaved HTTP library would: cut a body short, drip it, reset.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The longest a server holds one connection, so that no test can hang on it.
const LONGEST_HOLD: Duration = Duration::from_secs(60);
/// The largest request head read; a longer one is not a request of the tool.
const LONGEST_HEAD: usize = 64 * 1024;

/// One request as it reached a server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
    pub at: Instant,
}

/// What a server sends back to one request; the connection is closed after it.
pub enum Reply {
    /// These bytes.
    Raw(Vec<u8>),
    /// A head, then `chunk` `count` times, each written as it goes (never whole in memory).
    Stream {
        head: Vec<u8>,
        chunk: Vec<u8>,
        count: usize,
    },
    /// A head, then the body one byte per `pause`.
    Drip {
        head: Vec<u8>,
        body: Vec<u8>,
        pause: Duration,
    },
    /// A head, then nothing until the client gives up.
    Stall { head: Vec<u8> },
    /// Nothing at all until the client gives up.
    Silence,
    /// The connection is reset (RST) without an answer.
    Reset,
}

/// Decides the reply to the `index`th request (the first is 0).
pub type Behaviour = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// What a server saw, for the test to inspect.
#[derive(Default)]
pub struct Log {
    requests: Mutex<Vec<Seen>>,
    connections: AtomicUsize,
    body_bytes_written: AtomicU64,
}

/// A misbehaving server on a loopback port, stopped when dropped.
pub struct Server {
    pub url: String,
    log: Arc<Log>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// Starts a plain-HTTP server that answers with `behaviour`.
    pub fn start(behaviour: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Server {
        Server::listen(None, Arc::new(behaviour))
    }

    /// Starts an HTTPS server with `tls` that answers with `behaviour`.
    pub fn start_tls(
        tls: Arc<rustls::ServerConfig>,
        behaviour: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        Server::listen(Some(TlsAcceptor::from(tls)), Arc::new(behaviour))
    }

    fn listen(tls: Option<TlsAcceptor>, behaviour: Arc<Behaviour>) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the server");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let log = Arc::new(Log::default());
        runtime.spawn(accept(listener, tls, behaviour, Arc::clone(&log)));
        Server {
            url: format!("{scheme}://127.0.0.1:{port}"),
            log,
            runtime: Some(runtime),
        }
    }

    /// Every request that arrived, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.log.requests.lock().unwrap().clone()
    }

    /// How many connections were accepted, requests or not.
    pub fn connections(&self) -> usize {
        self.log.connections.load(Ordering::SeqCst)
    }

    /// How many body bytes of streamed and dripped replies the client took.
    pub fn body_bytes_written(&self) -> u64 {
        self.log.body_bytes_written.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn accept(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    behaviour: Arc<Behaviour>,
    log: Arc<Log>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        log.connections.fetch_add(1, Ordering::SeqCst);
        let connection = connection(
            stream,
            tls.clone(),
            Arc::clone(&behaviour),
            Arc::clone(&log),
        );
        tokio::spawn(tokio::time::timeout(LONGEST_HOLD, connection));
    }
}

async fn connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    behaviour: Arc<Behaviour>,
    log: Arc<Log>,
) {
    match tls {
        None => exchange(stream, &*behaviour, &log).await,
        Some(acceptor) => {
            // A handshake the client gives up on is what some tests are about.
            if let Ok(stream) = acceptor.accept(stream).await {
                exchange(stream, &*behaviour, &log).await;
            }
        }
    }
}

/// Reads one request and sends the reply `behaviour` chooses.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin + Linger>(
    mut stream: S,
    behaviour: &Behaviour,
    log: &Log,
) {
    let seen = match read_head(&mut stream).await {
        Incoming::Request(seen) => seen,
        Incoming::NotHttp => {
            // As any web server does with bytes that are not a request.
            let _ = stream.write_all(&head(400, &["Content-Length: 0"])).await;
            let _ = stream.shutdown().await;
            return;
        }
        Incoming::Gone => return,
    };
    let index = {
        let mut requests = log.requests.lock().unwrap();
        requests.push(seen.clone());
        requests.len() - 1
    };
    match behaviour(&seen, index) {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Stream { head, chunk, count } => {
            stream_body(&mut stream, &head, &chunk, count, log).await;
        }
        Reply::Drip { head, body, pause } => drip(&mut stream, &head, &body, pause, log).await,
        Reply::Stall { head } => {
            let _ = stream.write_all(&head).await;
            hold(&mut stream).await;
        }
        Reply::Silence => hold(&mut stream).await,
        Reply::Reset => stream.reset(),
    }
}

async fn stream_body<S: AsyncWrite + Unpin>(
    stream: &mut S,
    head: &[u8],
    chunk: &[u8],
    count: usize,
    log: &Log,
) {
    if stream.write_all(head).await.is_err() {
        return;
    }
    for _ in 0..count {
        if stream.write_all(chunk).await.is_err() {
            return;
        }
        log.body_bytes_written
            .fetch_add(chunk.len() as u64, Ordering::SeqCst);
    }
    let _ = stream.shutdown().await;
}

async fn drip<S: AsyncWrite + Unpin>(
    stream: &mut S,
    head: &[u8],
    body: &[u8],
    pause: Duration,
    log: &Log,
) {
    if stream.write_all(head).await.is_err() {
        return;
    }
    for byte in body {
        tokio::time::sleep(pause).await;
        let sent = stream.write_all(&[*byte]).await.and(stream.flush().await);
        if sent.is_err() {
            return;
        }
        log.body_bytes_written.fetch_add(1, Ordering::SeqCst);
    }
    let _ = stream.shutdown().await;
}

/// Keeps the connection open, reading and dropping whatever comes, until the client closes it.
async fn hold<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// What a client sent first.
enum Incoming {
    Request(Seen),
    /// Bytes that cannot start a request (a TLS client hello, say).
    NotHttp,
    /// The client closed before a whole head.
    Gone,
}

/// Reads a request head.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Incoming {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > LONGEST_HEAD || !matches!(stream.read(&mut byte).await, Ok(1)) {
            return Incoming::Gone;
        }
        if head.is_empty() && !byte[0].is_ascii_uppercase() {
            return Incoming::NotHttp;
        }
        head.push(byte[0]);
    }
    parse_head(&head).map_or(Incoming::NotHttp, Incoming::Request)
}

fn parse_head(head: &[u8]) -> Option<Seen> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let authorization = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim().to_owned());
    Some(Seen {
        method,
        target,
        authorization,
        at: Instant::now(),
    })
}

/// A stream that can be reset instead of closed.
trait Linger {
    fn reset(self);
}

impl Linger for TcpStream {
    fn reset(self) {
        // A zero linger makes closing send RST instead of FIN.
        let _ = self.set_zero_linger();
    }
}

impl Linger for tokio_rustls::server::TlsStream<TcpStream> {
    fn reset(self) {
        let (tcp, _) = self.into_inner();
        tcp.reset();
    }
}

/// A whole response: status line, `Content-Type`, `Content-Length` and `Connection: close`.
pub fn response(status: u16, content_type: &str, body: &[u8]) -> Reply {
    let length = format!("Content-Length: {}", body.len());
    let mut bytes = head(status, &[&format!("Content-Type: {content_type}"), &length]);
    bytes.extend_from_slice(body);
    Reply::Raw(bytes)
}

/// A JSON response.
pub fn json(status: u16, body: &str) -> Reply {
    response(status, "application/json", body.as_bytes())
}

/// A response head with these header lines and `Connection: close`, blank line included.
pub fn head(status: u16, headers: &[&str]) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("Connection: close\r\n\r\n");
    text.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        302 => "Found",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        _ => "Whatever",
    }
}

/// `behaviour` for every request but the run's pre-check (the first), which gets an empty list:
/// the suite only starts once its pre-check is answered.
pub fn after_precheck(
    behaviour: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static {
    move |seen, index| match index {
        0 => json(200, "[]"),
        _ => behaviour(seen),
    }
}
