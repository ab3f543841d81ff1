//! A recording reverse proxy on loopback in front of a reference sensor: it forwards every
//! request and notes its method, when it came, and how many requests were in flight at once.

use super::hostile::Seen;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Headers of the sensor's answers that the tool reads.
const KEPT_HEADERS: [&str; 4] = ["content-type", "date", "retry-after", "location"];

/// How the proxy treats what it forwards.
#[derive(Clone, Default)]
pub struct Options {
    /// Held before forwarding, so that requests overlap if the client lets them.
    pub delay: Duration,
    /// The first request of each URL is answered 429 with `Retry-After: 1` instead.
    pub throttle_once: bool,
    /// Serve HTTPS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

#[derive(Default)]
struct Log {
    requests: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    throttled: Mutex<HashSet<String>>,
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a Log);

impl<'a> InFlight<'a> {
    fn enter(log: &'a Log) -> Self {
        let now = log.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        log.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(log)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A proxy on a loopback port, stopped when dropped.
pub struct Proxy {
    pub url: String,
    log: Arc<Log>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (a reference sensor on loopback).
    pub fn start(upstream: &str, options: Options) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let log = Arc::new(Log::default());
        let forward = Forward {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: upstream_client(),
            options: options.clone(),
            log: Arc::clone(&log),
        };
        let tls = options.tls.map(TlsAcceptor::from);
        runtime.spawn(accept(listener, tls, Arc::new(forward)));
        Proxy {
            url: format!("{scheme}://127.0.0.1:{port}"),
            log,
            runtime: Some(runtime),
        }
    }

    /// Every request that arrived, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.log.requests.lock().unwrap().clone()
    }

    /// The most requests that were in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.log.peak_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The client to the reference sensor, whose self-signed certificate is accepted: it is a
/// process of this test on loopback.
fn upstream_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_danger_accept_invalid_certs(true)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("the upstream client")
}

async fn accept(listener: TcpListener, tls: Option<TlsAcceptor>, forward: Arc<Forward>) {
    while let Ok((stream, _)) = listener.accept().await {
        let forward = Arc::clone(&forward);
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve(TokioIo::new(stream), forward).await,
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve(TokioIo::new(stream), forward).await;
                    }
                }
            }
        });
    }
}

async fn serve<I>(io: I, forward: Arc<Forward>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let forward = Arc::clone(&forward);
        async move { Ok::<_, std::convert::Infallible>(forward.answer(request).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

struct Forward {
    upstream: String,
    client: reqwest::Client,
    options: Options,
    log: Arc<Log>,
}

impl Forward {
    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let _counted = InFlight::enter(&self.log);
        let target = request
            .uri()
            .path_and_query()
            .map_or("/".to_owned(), |p| p.to_string());
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.log.requests.lock().unwrap().push(Seen {
            method: request.method().to_string(),
            target: target.clone(),
            authorization: authorization.clone(),
            at: Instant::now(),
        });
        tokio::time::sleep(self.options.delay).await;
        if self.options.throttle_once && self.log.throttled.lock().unwrap().insert(target.clone()) {
            return throttled();
        }
        let method = request.method().clone();
        self.forward(method, &target, authorization)
            .await
            .unwrap_or_else(|why| plain(StatusCode::BAD_GATEWAY, why))
    }

    async fn forward(
        &self,
        method: hyper::Method,
        target: &str,
        authorization: Option<String>,
    ) -> Result<Response<Full<Bytes>>, String> {
        let url = format!("{}{target}", self.upstream);
        let mut request = self.client.request(method, url);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let answer = request.send().await.map_err(|e| e.to_string())?;
        let mut response = Response::builder().status(answer.status());
        for name in KEPT_HEADERS {
            if let Some(value) = answer.headers().get(name) {
                response = response.header(name, value);
            }
        }
        let body = answer.bytes().await.map_err(|e| e.to_string())?;
        response.body(Full::new(body)).map_err(|e| e.to_string())
    }
}

fn throttled() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header("retry-after", "1")
        .body(Full::new(Bytes::new()))
        .expect("a 429 answer")
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}
