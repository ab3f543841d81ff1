//! Safe against a production sensor: the tool only reads, keeps to its rate and concurrency,
//! waits when asked to, ends by its deadline, never follows a redirect with the token, never
//! sends a token over plain HTTP to another host, and says in one line what is wrong with a
//! certificate and which flag would accept it.

mod common;

use common::hostile::{Reply, Seen, Server, after_precheck, head, json};
use common::pki::{self, Authority};
use common::proxy::{Options, Proxy};
use common::watched::{Watched, watch};
use common::{PCAP_TOKEN, Scratch, Sensor, TOKEN, binary};
use std::time::Duration;

/// Every run here ends well before this, or the test fails.
const LIMIT: Duration = Duration::from_secs(120);
/// One test that makes one request and checks only its answer.
const ONE_REQUEST: &str = "alerts-v1::A1::list";

/// Runs the suite against `url` with the canary tokens and `extra` arguments.
fn run(url: &str, extra: &[&str]) -> Watched {
    let mut command = binary();
    command
        .args(["run", "--url", url])
        .args(["--token", TOKEN, "--pcap-token", PCAP_TOKEN])
        .args(extra);
    watch(command, LIMIT)
}

/// The run ended with exit 3 and one line on stderr holding each of `fragments`.
fn assert_one_line(run: &Watched, fragments: &[&str]) {
    let evidence = run.evidence();
    assert_eq!(run.code(), Some(3), "{evidence}");
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{evidence}");
    for fragment in fragments {
        assert!(stderr.contains(fragment), "no {fragment:?}: {evidence}");
    }
}

fn stdout(run: &Watched) -> String {
    String::from_utf8_lossy(&run.output.stdout).into_owned()
}

#[test]
fn only_get_reaches_the_target() {
    let sensor = Sensor::start(&[]);
    let proxy = Proxy::start(&sensor.url, Options::default());
    let run = run(&proxy.url, &[]);
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
    let requests = proxy.requests();
    assert!(requests.len() > 100, "{} requests", requests.len());
    let other: Vec<String> = requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert!(other.is_empty(), "not GET: {other:?}");
}

#[test]
fn request_rate_stays_under_max_rps() {
    let sensor = Sensor::start(&[]);
    let proxy = Proxy::start(&sensor.url, Options::default());
    let run = run(
        &proxy.url,
        &["--max-rps", "20", "--concurrency", "2", "alerts-"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
    let requests = proxy.requests();
    assert!(
        requests.len() >= 60,
        "too few requests to measure: {}",
        requests.len()
    );
    let span = requests.last().unwrap().at - requests[0].at;
    // Slots are 50 ms apart; the first request's own delay on a busy machine shortens the span
    // it opens. Without pacing the span would be a fraction of a second.
    let slots = Duration::from_millis(50 * (requests.len() as u64 - 1));
    let least = slots - Duration::from_secs(1);
    assert!(
        span >= least,
        "{} requests in {span:?}, at least {least:?} at 20 a second",
        requests.len()
    );
    assert!(
        proxy.peak_in_flight() <= 2,
        "peak {}",
        proxy.peak_in_flight()
    );
}

#[test]
fn requests_in_flight_stay_under_concurrency() {
    let sensor = Sensor::start(&[]);
    let slow = Options {
        delay: Duration::from_millis(100),
        ..Options::default()
    };
    let proxy = Proxy::start(&sensor.url, slow);
    // Eight tests at once want requests; only the client's limit keeps them to two.
    let limits = ["--concurrency", "2", "--test-threads", "8", "alerts-v1::"];
    let run = run(&proxy.url, &limits);
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
    assert!(proxy.requests().len() > 20, "{}", proxy.requests().len());
    assert!(
        proxy.peak_in_flight() <= 2,
        "peak {}",
        proxy.peak_in_flight()
    );
}

#[test]
fn throttled_request_is_retried_after_its_wait() {
    let sensor = Sensor::start(&[]);
    let throttling = Options {
        throttle_once: true,
        ..Options::default()
    };
    let proxy = Proxy::start(&sensor.url, throttling);
    let run = run(&proxy.url, &[ONE_REQUEST, "--exact"]);
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
    assert!(stdout(&run).contains("1 passed"), "{}", run.evidence());
    let requests = proxy.requests();
    // The pre-check and the test's request, each refused once with `Retry-After: 1`.
    assert_eq!(requests.len(), 4, "{requests:?}");
    for pair in requests.chunks(2) {
        assert_eq!(pair[0].target, pair[1].target);
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(900));
    }
    assert!(run.elapsed < Duration::from_secs(15), "{}", run.evidence());
}

#[test]
fn endless_throttling_gives_up_after_bounded_retries() {
    let server = Server::start(|_: &Seen, _| {
        Reply::Raw(head(429, &["Retry-After: 1", "Content-Length: 0"]))
    });
    let run = run(&server.url, &[ONE_REQUEST, "--exact"]);
    // RULES.md: 429 and 503 never decide a verdict; a target that stays busy leaves the test
    // inconclusive, with the reason.
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
    assert!(stdout(&run).contains("stayed busy"), "{}", run.evidence());
    assert!(stdout(&run).contains("429"), "{}", run.evidence());
    // Each of the two requests is tried once and retried three times, a second apart.
    assert_eq!(server.requests().len(), 8, "{:?}", server.requests());
    assert!(run.elapsed < Duration::from_secs(20), "{}", run.evidence());
}

/// An observe rule records what came: a target that stays busy shows nothing to record, and the
/// test is inconclusive, not passed.
#[test]
fn an_observe_test_on_a_busy_target_is_not_decided() {
    let server = Server::start(after_precheck(|_| {
        Reply::Raw(head(429, &["Retry-After: 0", "Content-Length: 0"]))
    }));
    let test = "alerts-v1::A12::odd-parameters::fromTime=abc";
    let run = run(&server.url, &[test, "--exact"]);
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
    assert!(stdout(&run).contains("stayed busy"), "{}", run.evidence());
    assert!(stdout(&run).contains("0 passed"), "{}", run.evidence());
}

#[test]
fn deadline_cuts_a_long_retry_after() {
    let server = Server::start(after_precheck(|_| {
        Reply::Raw(head(429, &["Retry-After: 3600", "Content-Length: 0"]))
    }));
    let run = run(&server.url, &["--deadline", "3", ONE_REQUEST, "--exact"]);
    assert_eq!(run.code(), Some(1), "{}", run.evidence());
    assert!(
        stdout(&run).contains("the run's deadline passed"),
        "{}",
        run.evidence()
    );
    assert!(run.elapsed < Duration::from_secs(10), "{}", run.evidence());
}

#[test]
fn deadline_ends_a_run_on_a_stalled_target() {
    let server = Server::start(after_precheck(|_| Reply::Stall {
        head: head(
            200,
            &["Content-Type: application/json", "Content-Length: 2"],
        ),
    }));
    let run = run(&server.url, &["--deadline", "2", "--timeout", "60"]);
    assert_eq!(run.code(), Some(1), "{}", run.evidence());
    assert!(
        stdout(&run).contains("the run's deadline passed"),
        "{}",
        run.evidence()
    );
    assert!(!run.text().contains("panicked"), "{}", run.evidence());
    assert!(run.elapsed < Duration::from_secs(15), "{}", run.evidence());
}

#[test]
fn deadline_fails_the_tests_it_cuts_off() {
    let sensor = Sensor::start(&[]);
    let (output, report) =
        common::run_with_report(&sensor, "deadline", &["--deadline", "3", "--max-rps", "5"]);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    let verdicts = common::verdicts(&report);
    let passed = verdicts.iter().filter(|(_, v)| v == "pass").count();
    let failed = verdicts.iter().filter(|(_, v)| v == "fail").count();
    assert!(passed > 0 && failed > 0, "{verdicts:?}");
    let messages = report["tests"].as_array().unwrap().iter();
    let cut = messages
        .filter(|t| t["verdict"] == "fail")
        .all(|t| t.to_string().contains("the run's deadline passed"));
    assert!(cut, "a test failed for another reason: {report}");
}

#[test]
fn redirect_is_not_followed_and_the_token_stays_home() {
    let elsewhere = Server::start(|_: &Seen, _| json(200, "[]"));
    let location = format!("Location: {}/api/v1/alerts", elsewhere.url);
    // The first answer is a list, so that the suite starts and every test meets the redirect.
    let redirecting = Server::start(after_precheck(move |_: &Seen| {
        Reply::Raw(head(302, &[&location, "Content-Length: 0"]))
    }));
    let run = run(&redirecting.url, &[]);
    assert_eq!(run.code(), Some(1), "{}", run.evidence());
    assert!(stdout(&run).contains("-> 302"), "{}", run.evidence());
    assert!(redirecting.requests().len() > 10);
    let leaked: Vec<Seen> = elsewhere.requests();
    assert!(
        leaked.iter().all(|r| r.authorization.is_none()),
        "a token reached the other port"
    );
    assert_eq!(
        elsewhere.connections(),
        0,
        "the redirect was followed: {leaked:?}"
    );
}

#[test]
fn plain_http_to_another_host_is_refused_before_connecting() {
    let mut command = binary();
    // 192.0.2.1 is a documentation address. Should the refusal ever break, the deadline of 0
    // still keeps every request from being sent.
    command.args([
        "run",
        "--url",
        "http://192.0.2.1",
        "--token",
        TOKEN,
        "--deadline",
        "0",
    ]);
    let run = watch(command, LIMIT);
    assert_eq!(run.code(), Some(2), "{}", run.evidence());
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        stderr.contains("refusing to send a token over plain HTTP to 192.0.2.1"),
        "{}",
        run.evidence()
    );
    assert!(
        stderr.contains("--allow-insecure-http"),
        "{}",
        run.evidence()
    );
}

/// Writes `pem` into `scratch` as `name` and gives its path.
fn pem_file(scratch: &Scratch, name: &str, pem: &str) -> String {
    let path = scratch.path(name);
    std::fs::write(&path, pem).unwrap();
    path
}

#[test]
fn self_signed_certificate_is_one_line_naming_both_flags() {
    let leaf = pki::self_signed(&["127.0.0.1"]);
    let server = Server::start_tls(leaf.server_config(), |_, _| json(200, "[]"));
    let run = run(&server.url, &[]);
    let what = "the certificate is not signed by a trusted authority (self-signed?)";
    assert_one_line(&run, &[what, "--cacert FILE", "--insecure"]);
    assert!(server.requests().is_empty());
}

#[test]
fn expired_certificate_is_one_line() {
    let scratch = Scratch::new("expired");
    let authority = Authority::new();
    let leaf = authority.expired_leaf(&["127.0.0.1"]);
    let server = Server::start_tls(leaf.server_config(), |_, _| json(200, "[]"));
    let ca = pem_file(&scratch, "ca.pem", &authority.pem());
    let run = run(&server.url, &["--cacert", &ca]);
    assert_one_line(&run, &["the certificate has expired", "--insecure"]);
}

/// A connection closed without a word is explained by what the server's handshake asked for:
/// a client certificate when it asked for one, nothing made up when it did not.
#[test]
fn a_closed_connection_is_explained_by_the_handshake() {
    let scratch = Scratch::new("closed-after-handshake");
    let authority = Authority::new();
    let leaf = authority.leaf(&["127.0.0.1"]);
    let ca = pem_file(&scratch, "ca.pem", &authority.pem());
    let asking = Server::start_tls(leaf.config_asking_clients_of(&authority), |_, _| {
        Reply::Reset
    });
    let run_asked = run(&asking.url, &["--cacert", &ca]);
    assert_one_line(
        &run_asked,
        &["client certificate", "--client-cert", "--client-key"],
    );
    let silent = Server::start_tls(leaf.server_config(), |_, _| Reply::Reset);
    let run_silent = run(&silent.url, &["--cacert", &ca]);
    assert_eq!(run_silent.code(), Some(3), "{}", run_silent.evidence());
    let stderr = String::from_utf8_lossy(&run_silent.output.stderr);
    assert!(!stderr.contains("client certificate"), "{stderr}");
}

#[test]
fn certificate_for_another_name_is_one_line() {
    let scratch = Scratch::new("wrong-name");
    let authority = Authority::new();
    let leaf = authority.leaf(&["sensor.invalid"]);
    let server = Server::start_tls(leaf.server_config(), |_, _| json(200, "[]"));
    let ca = pem_file(&scratch, "ca.pem", &authority.pem());
    let run = run(&server.url, &["--cacert", &ca]);
    assert_one_line(
        &run,
        &["the certificate is for another host name", "--insecure"],
    );
}

#[test]
fn the_right_ca_lets_the_run_proceed() {
    let scratch = Scratch::new("right-ca");
    let authority = Authority::new();
    let leaf = authority.leaf(&["127.0.0.1"]);
    let sensor = Sensor::start(&[]);
    let tls = Options {
        tls: Some(leaf.server_config()),
        ..Options::default()
    };
    let proxy = Proxy::start(&sensor.url, tls);
    let ca = pem_file(&scratch, "ca.pem", &authority.pem());
    let run = run(&proxy.url, &["--cacert", &ca, "alerts-v1::"]);
    assert_eq!(run.code(), Some(0), "{}", run.evidence());
}

#[test]
fn missing_client_certificate_is_one_line_naming_the_flags() {
    let scratch = Scratch::new("client-cert");
    let authority = Authority::new();
    let leaf = authority.leaf(&["127.0.0.1"]);
    let server = Server::start_tls(leaf.config_requiring_clients_of(&authority), |_, _| {
        json(200, "[]")
    });
    let ca = pem_file(&scratch, "ca.pem", &authority.pem());
    let run_without = run(&server.url, &["--cacert", &ca]);
    assert_one_line(
        &run_without,
        &["client certificate", "--client-cert", "--client-key"],
    );

    let client = authority.client_leaf("sensor-conformance");
    let cert = pem_file(&scratch, "client.pem", &client.certificate_pem);
    let key = pem_file(&scratch, "client.key", &client.key_pem);
    let with = [
        "--cacert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ];
    let run_with = run(
        &server.url,
        &[&with[..], &[ONE_REQUEST, "--exact"]].concat(),
    );
    // The kit's server answers an empty list to everything: the suite runs, and decides.
    assert!(
        matches!(run_with.code(), Some(0 | 1)),
        "{}",
        run_with.evidence()
    );
    assert!(server.requests().len() >= 2, "{}", run_with.evidence());
}
