//! Bad input from the user: each mistake ends the run with exit 2 and one line that names the
//! problem and its place, before any request is sent to the target.

mod common;

use common::hostile::{Seen, Server, json};
use common::{Scratch, TOKEN, binary};

/// Runs `run` with `args` at a server that counts connections; asserts exit 2, one line on
/// stderr holding `fragment`, and that nothing reached the server.
fn refused(args: &[&str], fragment: &str) {
    let server = Server::start(|_: &Seen, _| json(200, "[]"));
    refused_at(&server, &server.url, args, fragment);
}

/// As [`refused`], with `url` given for the server's.
fn refused_at(server: &Server, url: &str, args: &[&str], fragment: &str) {
    let output = binary()
        .args(["run", "--url", url])
        .args(args)
        .env_remove("SENSOR_TOKEN")
        .env_remove("SENSOR_PCAP_TOKEN")
        .output()
        .expect("run starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let evidence = format!("exit {:?}\n{}", output.status.code(), common::text(&output));
    assert_eq!(output.status.code(), Some(2), "{evidence}");
    assert_eq!(stderr.trim().lines().count(), 1, "{evidence}");
    assert!(stderr.starts_with("sensor-conformance: "), "{evidence}");
    assert!(stderr.contains(fragment), "no {fragment:?}: {evidence}");
    assert_eq!(server.connections(), 0, "a request was sent: {evidence}");
}

/// A scratch directory holding `file` with `text`.
fn scratch_with(name: &str, file: &str, text: &str) -> (Scratch, String) {
    let scratch = Scratch::new(name);
    let path = scratch.path(file);
    std::fs::write(&path, text).unwrap();
    (scratch, path)
}

#[test]
fn malformed_case_file_names_file_line_and_column() {
    let (scratch, _) = scratch_with(
        "broken-case",
        "broken.yaml",
        "cases:\n  - name: a\n    rule: [A1\n",
    );
    let dir = scratch.0.display().to_string();
    refused(&["--token", TOKEN, "--cases", &dir], "broken.yaml:3:11: ");
}

/// A check's argument and a query that could not be used as written are refused when the cases
/// load, with their place, not found out one test at a time.
#[test]
fn unusable_window_and_query_name_file_line_and_column() {
    let case = |name: &str, query: &str, expect: &str| {
        format!(
            "cases:\n  - name: {name}\n    rule: E4\n    endpoint: events\n    \
             request: {{query: \"{query}\"}}\n    expect: [{expect}]\n"
        )
    };
    let broken = [
        (
            "window.yaml",
            case("w", "minutesTimeFrame=30", "within: {minutes: \"abc\"}"),
            "window.yaml:6:14: minutes takes a whole number or a placeholder; got `abc`",
        ),
        (
            "query.yaml",
            case("q", "type=USER LOGIN", "status: 2xx"),
            "query.yaml:5:14: `type=USER LOGIN` holds ' '",
        ),
    ];
    for (file, text, fragment) in broken {
        let (scratch, _) = scratch_with(file, file, &text);
        let dir = scratch.0.display().to_string();
        refused(&["--token", TOKEN, "--cases", &dir], fragment);
    }
}

#[test]
fn unknown_rule_names_file_line_and_column() {
    let dir = format!("{}/tests/fixtures/bad-cases", env!("CARGO_MANIFEST_DIR"));
    refused(
        &["--token", TOKEN, "--cases", &dir],
        "unknown-rule.yaml:5:11: unknown rule `A99`",
    );
}

/// A misspelt schema file would be ignored, and the built-in one checked in its place.
#[test]
fn schema_file_of_an_unknown_name_is_refused() {
    let (scratch, path) = scratch_with("misnamed-schema", "alerts_v1.schema.json", "{}");
    std::fs::write(scratch.path("README.md"), "notes").unwrap();
    let dir = scratch.0.display().to_string();
    refused(
        &["--token", TOKEN, "--schemas", &dir],
        &format!("{path}:1:1: not a file the contract knows"),
    );
}

#[test]
fn malformed_schema_names_file_line_and_column() {
    let text = "{\n  \"type\": \"array\",\n  oops\n}";
    let (scratch, _) = scratch_with("broken-schema", "events.schema.json", text);
    let dir = scratch.0.display().to_string();
    refused(
        &["--token", TOKEN, "--schemas", &dir],
        "events.schema.json:3:3: ",
    );
}

#[test]
fn missing_cases_directory_is_named() {
    let missing = "/nonexistent/sensor-conformance-cases";
    refused(
        &["--token", TOKEN, "--cases", missing],
        &format!("cannot read {missing}: "),
    );
}

#[test]
fn url_without_a_scheme_is_refused() {
    let server = Server::start(|_: &Seen, _| json(200, "[]"));
    // The server's own address with its scheme left out: nothing may reach it.
    let bare = server.url.trim_start_matches("http://").to_owned();
    let relative = format!("--url {bare}: relative URL without a base");
    refused_at(&server, &bare, &["--token", TOKEN], &relative);
    let port = bare.rsplit(':').next().unwrap();
    let named = format!("localhost:{port}");
    let not_http = format!("--url {named}: expected an http or https URL with a host");
    refused_at(&server, &named, &["--token", TOKEN], &not_http);
}

/// A URL with credentials is refused without being repeated, whatever else is wrong with it.
#[test]
fn url_with_credentials_is_refused_without_showing_them() {
    let server = Server::start(|_: &Seen, _| json(200, "[]"));
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("http://admin:s3cret@127.0.0.1:{port}"),
        format!("http://admin:s3cret@127.0.0.1:{port}/api"),
        "ftp://admin:s3cret@127.0.0.1".to_owned(),
        "http://admin:s3cret@127.0.0.1:99999".to_owned(),
    ] {
        refused_at(
            &server,
            &url,
            &["--token", TOKEN],
            "must not carry credentials",
        );
        let output = binary()
            .args(["run", "--url", &url, "--token", TOKEN])
            .output()
            .unwrap();
        assert!(
            !common::text(&output).contains("s3cret"),
            "{}",
            common::text(&output)
        );
    }
}

#[test]
fn missing_token_file_is_named() {
    let missing = "/nonexistent/sensor.token";
    refused(
        &["--token-file", missing],
        &format!("cannot read {missing}: "),
    );
}

#[test]
fn empty_token_file_is_named() {
    let (_scratch, path) = scratch_with("empty-token", "sensor.token", " \n");
    refused(
        &["--token-file", &path],
        &format!("the token file {path} is empty"),
    );
    let pcap = ["--token", TOKEN, "--pcap-token-file", &path];
    refused(&pcap, &format!("the pcap token file {path} is empty"));
}

/// A byte-order mark an editor put at the start of a token file is no part of the token.
#[test]
fn token_file_with_a_byte_order_mark_sends_the_token_alone() {
    let scratch = Scratch::new("bom-token");
    let path = scratch.path("sensor.token");
    std::fs::write(&path, format!("\u{feff}{TOKEN}\r\n")).unwrap();
    let server = Server::start(|_: &Seen, _| json(200, "[]"));
    let output = binary()
        .args(["run", "--url", &server.url, "--token-file", &path])
        .args(["--movement-wait", "1", "::A1::list"])
        .output()
        .expect("run starts");
    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .map(|seen| seen.authorization)
        .collect();
    assert!(!sent.is_empty(), "{}", common::text(&output));
    assert!(sent.iter().all(|a| a.as_deref() == Some(TOKEN)), "{sent:?}");
}

#[test]
fn token_file_that_is_not_text_is_refused() {
    let scratch = Scratch::new("binary-token");
    let path = scratch.path("sensor.token");
    std::fs::write(&path, b"tok\xffen\n").unwrap();
    refused(
        &["--token-file", &path],
        &format!("the token file {path} is not UTF-8 text"),
    );
}

#[test]
fn missing_token_is_named() {
    refused(&[], "--url needs the API token");
}

#[test]
fn missing_ca_file_is_named() {
    let missing = "/nonexistent/ca.pem";
    let args = ["--token", TOKEN, "--cacert", missing];
    refused(&args, &format!("cannot read {missing}: "));
}

#[test]
fn ca_file_without_a_certificate_is_refused() {
    let (_scratch, path) = scratch_with("no-ca", "ca.pem", "not a certificate\n");
    let args = ["--token", TOKEN, "--cacert", &path];
    refused(&args, "the CA file (--cacert) holds no PEM certificate");
}

#[test]
fn client_key_without_a_key_is_refused() {
    let leaf = common::pki::self_signed(&["sensor-conformance"]);
    let scratch = Scratch::new("no-key");
    let cert = scratch.path("client.pem");
    let key = scratch.path("client.key");
    std::fs::write(&cert, &leaf.certificate_pem).unwrap();
    std::fs::write(&key, "not a key\n").unwrap();
    let args = [
        "--token",
        TOKEN,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ];
    refused(&args, "the --client-key file holds no PEM private key");
}
