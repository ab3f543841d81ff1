//! Servers broken in ways nobody planned for: each run against one ends within its timeouts,
//! fails its tests with a message that says what came, panics nowhere and holds its memory
//! within bounds. A target that cannot be reached at all ends the run with exit 3 and one line.

mod common;

use common::hostile::{Reply, Seen, Server, after_precheck, head, json, response};
use common::watched::{Watched, watch};
use common::{PCAP_TOKEN, TOKEN, binary};
use std::time::Duration;

/// Every run here ends well before this, or the test fails.
const LIMIT: Duration = Duration::from_secs(90);
/// Memory a run may hold: the binary itself and a few small bodies, never a hostile body.
const MEMORY_KIB: u64 = 160 * 1024;
/// One test that makes one request and checks only its answer.
const ONE_REQUEST: &str = "alerts-v1::A1::list";

/// Runs the suite against `server` with the canary token and `extra` arguments.
fn run(server: &Server, extra: &[&str]) -> Watched {
    let mut command = binary();
    command
        .args(["run", "--url", &server.url, "--token", TOKEN])
        // A hostile server's timeline never moves: waiting for it long proves nothing more.
        .args(["--movement-wait", "2"])
        .args(extra);
    watch(command, LIMIT)
}

/// The run ended as a target that answers badly should: exit 1, bounded, no panic, and `what`
/// in the failure messages.
fn assert_fails_readably(run: &Watched, what: &str) {
    let evidence = run.evidence();
    assert_eq!(run.code(), Some(1), "{evidence}");
    assert!(!run.text().contains("panicked"), "{evidence}");
    assert!(run.peak_kib < MEMORY_KIB, "{evidence}");
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(
        stdout.contains(what),
        "no {what:?} in the failures: {evidence}"
    );
}

/// The run ended as an unreachable target should: exit 3 and one line on stderr saying `what`.
fn assert_unreachable(run: &Watched, what: &str) {
    let evidence = run.evidence();
    assert_eq!(run.code(), Some(3), "{evidence}");
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{evidence}");
    assert!(stderr.contains(what), "no {what:?} on stderr: {evidence}");
    assert!(
        run.output.stdout.is_empty(),
        "no test may start: {evidence}"
    );
}

/// libtest's line for `test` in the run's output, or an empty one.
fn verdict_line(run: &Watched, test: &str) -> String {
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("test {test} ")));
    line.unwrap_or_default().to_owned()
}

fn every_request(reply: impl Fn() -> Reply + Send + Sync + 'static) -> Server {
    Server::start(move |_: &Seen, _| reply())
}

#[test]
fn invalid_json_fails_with_its_place() {
    let server = every_request(|| json(200, "[{\"id\": 1,}]"));
    let run = run(&server, &[]);
    assert_fails_readably(&run, "not JSON (invalid JSON at line 1 column 11");
}

#[test]
fn body_cut_midway_fails_readably() {
    let server = every_request(|| {
        let mut bytes = head(
            200,
            &["Content-Type: application/json", "Content-Length: 1000"],
        );
        bytes.extend_from_slice(b"[{\"id\": 1, \"time\": ");
        Reply::Raw(bytes)
    });
    let run = run(&server, &[]);
    assert_fails_readably(&run, "the body was cut off after 19 bytes");
}

#[test]
fn html_page_is_not_json() {
    let page = b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>";
    let server = every_request(move || response(200, "text/html", page));
    let run = run(&server, &[]);
    assert_fails_readably(
        &run,
        "a body that is not JSON (invalid JSON at line 1 column 1",
    );
}

#[test]
fn empty_success_is_not_a_list() {
    let server = every_request(|| response(200, "application/json", b""));
    let run = run(&server, &[]);
    assert_fails_readably(&run, "an empty body");
}

#[test]
fn body_over_max_body_is_cut_while_streaming() {
    let chunk = b"{\"id\": 1, \"time\": 1594550986000, \"title\": \"padding\"},".repeat(1000);
    let chunk_len = chunk.len();
    let server = Server::start(after_precheck(move |_| Reply::Stream {
        // No Content-Length: the size shows only as the body streams in.
        head: head(200, &["Content-Type: application/json"]),
        chunk: chunk.clone(),
        count: (512 << 20) / chunk_len,
    }));
    let run = run(&server, &["--max-body", "1048576", ONE_REQUEST, "--exact"]);
    assert_fails_readably(&run, "the body is larger than 1048576 bytes (--max-body)");
    let taken = server.body_bytes_written();
    assert!(
        taken < 64 << 20,
        "the client took {taken} bytes of a 512 MiB body"
    );
}

#[test]
fn announced_body_over_max_body_is_not_read() {
    let server = Server::start(after_precheck(|_| Reply::Stream {
        head: head(
            200,
            &[
                "Content-Type: application/json",
                "Content-Length: 536870912",
            ],
        ),
        chunk: vec![b' '; 64 << 10],
        count: 8192,
    }));
    let run = run(&server, &["--max-body", "1048576", ONE_REQUEST, "--exact"]);
    assert_fails_readably(&run, "the body is larger than 1048576 bytes (--max-body)");
    let taken = server.body_bytes_written();
    assert!(
        taken < 64 << 20,
        "the client took {taken} bytes of a 512 MiB body"
    );
}

#[test]
fn dripping_server_ends_within_the_timeouts() {
    let server = Server::start(after_precheck(|_| Reply::Drip {
        head: head(200, &["Content-Type: application/json"]),
        body: [b" ".repeat(100), b"[]".to_vec()].concat(),
        pause: Duration::from_secs(1),
    }));
    let run = run(&server, &["--timeout", "1", ONE_REQUEST, "--exact"]);
    assert_fails_readably(
        &run,
        "bytes of the body (--timeout: 1 s without data, 10 s in all)",
    );
    // One request of at most ten idle timeouts, after the pre-check.
    assert!(run.elapsed < Duration::from_secs(20), "{}", run.evidence());
}

#[test]
fn drip_inside_the_idle_timeout_ends_at_ten_times_it() {
    // A byte every 400 ms never lets the 1 s idle timeout fire: the total one must.
    let server = Server::start(after_precheck(|_| Reply::Drip {
        head: head(200, &["Content-Type: application/json"]),
        body: [b" ".repeat(100), b"[]".to_vec()].concat(),
        pause: Duration::from_millis(400),
    }));
    let run = run(&server, &["--timeout", "1", ONE_REQUEST, "--exact"]);
    assert_fails_readably(
        &run,
        "bytes of the body (--timeout: 1 s without data, 10 s in all)",
    );
    assert!(server.body_bytes_written() >= 15, "{}", run.evidence());
    assert!(run.elapsed >= Duration::from_secs(9), "{}", run.evidence());
    assert!(run.elapsed < Duration::from_secs(20), "{}", run.evidence());
}

#[test]
fn stalled_answer_ends_at_the_idle_timeout() {
    let server = Server::start(after_precheck(|_| Reply::Stall {
        head: head(
            200,
            &["Content-Type: application/json", "Content-Length: 2"],
        ),
    }));
    let run = run(&server, &["--timeout", "1", ONE_REQUEST, "--exact"]);
    assert_fails_readably(
        &run,
        "timed out after 0 bytes of the body of the 2 announced",
    );
    assert!(run.elapsed < Duration::from_secs(10), "{}", run.evidence());
}

#[test]
fn reset_connection_fails_readably() {
    let server = Server::start(after_precheck(|_| Reply::Reset));
    let run = run(&server, &[]);
    assert_fails_readably(&run, "the request got no answer");
    assert_fails_readably(&run, "reset");
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = "[".repeat(100_000);
    let server = every_request(move || json(200, &deep));
    let run = run(&server, &[]);
    assert_fails_readably(&run, "recursion limit exceeded");
}

#[test]
fn numbers_beyond_64_bits_are_schema_errors() {
    let alert = r#"[{"id": 123456789012345678901234567890, "time": 18446744073709551616,
        "title": "t", "message": "m", "severity": "Major", "engine": "Malware",
        "sourceDevice": 1, "destinationDevice": 2, "additionalInformation": null,
        "handled": false}]"#;
    let server = every_request(move || json(200, alert));
    let run = run(&server, &["--strict"]);
    assert_fails_readably(&run, "is greater than the maximum of 9223372036854775807");
}

#[test]
fn number_beyond_f64_is_an_invalid_body() {
    let server = every_request(|| json(200, r#"[{"id": 1e400}]"#));
    let run = run(&server, &[]);
    assert_fails_readably(&run, "number out of range");
}

#[test]
fn duplicate_keys_are_named() {
    let alert = r#"[{"id": 1, "id": 2}]"#;
    let server = every_request(move || json(200, alert));
    let run = run(&server, &["--strict", "::G7::"]);
    assert_fails_readably(&run, "/0: id");
}

#[test]
fn byte_order_mark_is_named() {
    let server = every_request(|| response(200, "application/json", b"\xef\xbb\xbf[]"));
    let run = run(&server, &[]);
    assert_fails_readably(&run, "byte-order mark");
}

#[test]
fn silent_server_exits_3_within_the_timeout() {
    let server = every_request(|| Reply::Silence);
    let run = run(&server, &["--timeout", "1"]);
    assert_unreachable(&run, "timed out");
    assert!(run.elapsed < Duration::from_secs(15), "{}", run.evidence());
}

/// One endpoint that drops every connection does not end the run: the first contact goes on to
/// another, and the tests of the broken one fail.
#[test]
fn one_endpoint_resetting_fails_its_tests_and_the_run_goes_on() {
    let server = every_request_to(|seen| {
        if seen.target.starts_with("/api/v1/alerts") {
            Reply::Reset
        } else {
            json(200, "[]")
        }
    });
    let run = run(&server, &["alerts-v1::A1::list"]);
    assert_fails_readably(&run, "reset");
    let first = &server.requests()[..2];
    assert!(
        first[0].target.starts_with("/api/v1/alerts?fromTime="),
        "{first:?}"
    );
    assert!(
        first[1].target.starts_with("/api/v2/alerts?fromTime="),
        "{first:?}"
    );
}

fn every_request_to(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
    Server::start(move |seen: &Seen, _| reply(seen))
}

#[test]
fn resetting_every_connection_exits_3_with_one_line() {
    let server = every_request(|| Reply::Reset);
    let run = run(&server, &[]);
    assert_unreachable(&run, "reset");
}

#[test]
fn failed_tls_handshake_exits_3_with_one_line() {
    // A plain-HTTP server behind an https URL answers the client hello with HTTP.
    let server = every_request(|| json(200, "[]"));
    let url = server.url.replace("http://", "https://");
    let mut command = binary();
    command.args(["run", "--url", &url, "--token", TOKEN]);
    let run = watch(command, LIMIT);
    assert_unreachable(&run, "TLS: the server does not speak TLS there");
}

#[test]
fn closed_during_handshake_exits_3_with_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let hang_up = std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            drop(stream);
        }
    });
    let mut command = binary();
    command.args(["run", "--url", &url, "--token", TOKEN]);
    let run = watch(command, LIMIT);
    hang_up.join().unwrap();
    assert_unreachable(&run, "TLS");
}

/// A sensor whose clock is far from ours is judged by its own clock, and the user is told.
#[test]
fn a_far_clock_is_named() {
    let server = every_request(|| {
        let mut bytes = head(
            200,
            &[
                "Content-Type: application/json",
                "Content-Length: 2",
                "Date: Thu, 01 Jan 1970 00:00:00 GMT",
            ],
        );
        bytes.extend_from_slice(b"[]");
        Reply::Raw(bytes)
    });
    let run = run(&server, &[ONE_REQUEST]);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        stderr.contains("days behind ours, by its Date header"),
        "{}",
        run.evidence()
    );
}

/// A target that redirects its first answer would fail every test on the same redirect: the
/// run ends at once with one line saying where it leads, and no request follows it.
#[test]
fn a_redirecting_target_is_named_in_one_line() {
    let server = every_request(|| {
        let location = "Location: https://127.0.0.1:9/api/v1/alerts";
        Reply::Raw(head(302, &[location, "Content-Length: 0"]))
    });
    let run = run(&server, &[]);
    let evidence = run.evidence();
    assert_eq!(run.code(), Some(2), "{evidence}");
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{evidence}");
    assert!(
        stderr.contains("answered 302, a redirect (to https://127.0.0.1:9: if that is the sensor"),
        "{evidence}"
    );
    assert_eq!(server.requests().len(), 1, "{evidence}");
}

/// A body encoded without being asked to is not JSON, and the failure says why it is not.
#[test]
fn an_unasked_encoding_is_named() {
    let server = every_request(|| {
        let body = b"\x1f\x8b\x08\x00\x00\x00\x00\x00";
        let length = format!("Content-Length: {}", body.len());
        let mut bytes = head(
            200,
            &[
                "Content-Type: application/json",
                "Content-Encoding: gzip",
                &length,
            ],
        );
        bytes.extend_from_slice(body);
        Reply::Raw(bytes)
    });
    let run = run(&server, &[ONE_REQUEST]);
    assert_fails_readably(
        &run,
        "came with Content-Encoding: gzip, which the request did not",
    );
}

/// A list too long to keep whole is still counted: E2's bound of 100 fails on it.
#[test]
fn a_list_too_long_to_keep_still_fails_its_bound() {
    let body = format!("[{}0]", "0,".repeat(1_000_000));
    let server = every_request(move || json(200, &body));
    let run = run(&server, &["events::E2::latest-first"]);
    assert_fails_readably(&run, "expected at most 100 items; got 1000001");
}

/// A redirect on the same origin names its path (a login page, say), not the URL given.
#[test]
fn a_redirect_on_the_same_origin_names_its_path() {
    let server = every_request(|| {
        Reply::Raw(head(
            302,
            &["Location: /login?next=api", "Content-Length: 0"],
        ))
    });
    let run = run(&server, &[]);
    let evidence = run.evidence();
    assert_eq!(run.code(), Some(2), "{evidence}");
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        stderr.contains("answered 302, a redirect (to /login)"),
        "{evidence}"
    );
}

/// Values learnt from the sensor go into later requests; the `-v` log of those requests never
/// shows a token, even when the sensor made one of them an event type.
#[test]
fn a_token_learnt_as_a_value_stays_out_of_the_log() {
    let event = |kind: &str| {
        format!(
            r#"{{"timestamp": 1, "type": "{kind}", "title": "t", "content": "c",
                "severity": "INFO", "owner": null}}"#
        )
    };
    let body = format!(
        "[{},{},{}]",
        event(TOKEN),
        event(TOKEN),
        event("USER_LOGIN")
    );
    let server = every_request(move || json(200, &body));
    let run = run(&server, &["-v", "events::E6::supported-type"]);
    let seen = server.requests();
    assert!(
        seen.iter().any(|r| r.target.contains(TOKEN)),
        "the learnt type was not sent: {seen:?}"
    );
    assert!(!run.text().contains(TOKEN), "{}", run.evidence());
}

/// A redirect whose host spells the token (a URL parser lowers it) is not described.
#[test]
fn a_redirect_to_a_host_named_after_the_token_is_not_described() {
    let server = every_request(|| {
        let location = format!(
            "Location: http://{}.example.invalid/x",
            TOKEN.to_uppercase()
        );
        Reply::Raw(head(302, &[&location, "Content-Length: 0"]))
    });
    let run = run(&server, &[]);
    assert_eq!(run.code(), Some(2), "{}", run.evidence());
    assert!(
        !run.text().to_lowercase().contains(TOKEN),
        "{}",
        run.evidence()
    );
}

/// A list pinned with `toTime` that shows an alert after its pin fails A8 itself; the other
/// rules still check that list on its own, and only its relations wait for A8.
#[test]
fn an_alert_after_the_pin_fails_a8_and_leaves_single_checks_alone() {
    let alert = |id: u64, time: u64| {
        format!(
            r#"{{"id": {id}, "time": {time}, "title": "t", "message": "m", "severity": "Major",
                "engine": "Malware", "sourceDevice": 1, "destinationDevice": 2,
                "additionalInformation": null, "handled": false}}"#
        )
    };
    let body = format!(
        "[{},{}]",
        alert(1, 1_600_000_000_000),
        alert(2, 4_000_000_000_000)
    );
    let server = every_request(move || json(200, &body));
    let run = run(&server, &["alerts-v1::A"]);
    let line = |test: &str| verdict_line(&run, test);
    let evidence = run.evidence();
    assert!(
        line("alerts-v1::A8::to-time-boundary").ends_with("FAILED"),
        "{evidence}"
    );
    assert!(run.text().contains("not before the pin"), "{evidence}");
    assert!(line("alerts-v1::A1::list").ends_with("ok"), "{evidence}");
}

/// Of a list longer than the items whose fields are kept, a check on fields neither passes
/// nor fails on what it did not read: a wrong title there is not passed, a right type there is
/// not failed.
#[test]
fn fields_beyond_those_kept_decide_nothing() {
    let event = |title: &str| {
        format!(
            r#"{{"timestamp": 1, "type": "USER_LOGIN", "title": "{title}", "content": "c",
                "severity": "INFO", "owner": null}}"#
        )
    };
    let mut events = vec![event("User Login Attempt"); 10_000];
    events.push(event("WRONG TITLE"));
    let body = format!("[{}]", events.join(","));
    let server = every_request(move || json(200, &body));
    let run = run(&server, &["events::E"]);
    let line = |test: &str| verdict_line(&run, test);
    let evidence = run.evidence();
    assert!(
        line("events::E10::titles").contains("inconclusive"),
        "{evidence}"
    );
    let typed = line("events::E6::supported-type::USER_LOGIN");
    assert!(typed.contains("inconclusive"), "{evidence}");
}

/// A 2xx answer that is no list, where the request it is related to gave one, fails the
/// test's rule: whatever the body's own rule says of it, the two answers differ.
#[test]
fn a_success_that_is_no_list_fails_its_relation() {
    let server = every_request_to(|seen| {
        if seen.target.contains("type=") {
            response(200, "text/plain", b"type not supported")
        } else {
            json(200, r#"[{"id": 1, "time": 1600000000000}]"#)
        }
    });
    let run = run(&server, &["alerts-v1::A10::unknown-type-ignored::malware"]);
    assert_fails_readably(&run, "where `all` gave a list");
}

/// A capture sent compressed without being asked to is not a capture file, and the failure
/// says how it came.
#[test]
fn an_encoded_capture_names_its_encoding() {
    let server = every_request_to(|seen| {
        if seen.target.starts_with("/api/v2/alerts/pcap/") {
            let body = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03";
            let length = format!("Content-Length: {}", body.len());
            let mut bytes = head(
                200,
                &[
                    "Content-Type: application/vnd.tcpdump.pcap",
                    "Content-Encoding: gzip",
                    &length,
                ],
            );
            bytes.extend_from_slice(body);
            Reply::Raw(bytes)
        } else {
            json(200, r#"[{"id": 7, "time": 1600000000000}]"#)
        }
    });
    let run = run(&server, &["--pcap-token", PCAP_TOKEN, "pcap::P1::"]);
    assert_fails_readably(&run, "came with Content-Encoding: gzip");
}
