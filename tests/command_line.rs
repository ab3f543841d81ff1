//! Exit statuses and messages of the command line, and `validate` on saved bodies.

mod common;

use common::{Sensor, binary, text};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn url_without_token_is_a_usage_error() {
    let output = binary()
        .args(["run", "--url", "https://127.0.0.1:9"])
        .env_remove("SENSOR_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("--token-file"), "{}", text(&output));
}

#[test]
fn unreachable_target_exits_3_with_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("https://127.0.0.1:{port}");
    let output = binary()
        .args(["run", "--url", &url, "--token", "t"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr)
            .trim()
            .lines()
            .count(),
        1,
        "{}",
        text(&output)
    );
}

#[test]
fn rejected_token_exits_2_before_the_suite() {
    let sensor = Sensor::start(&[]);
    let output = binary()
        .args([
            "run",
            "--url",
            &sensor.url,
            "--insecure",
            "--token",
            "not-the-token",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("rejected the token"));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("running"));
}

#[test]
fn self_signed_certificate_needs_a_flag() {
    let sensor = Sensor::start(&[]);
    let output = binary()
        .args(["run", "--url", &sensor.url, "--token", common::TOKEN])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("--insecure"), "{}", text(&output));
}

#[test]
fn malformed_case_names_file_line_and_column() {
    let dir = fixture("bad-cases");
    let output = binary()
        .args(["run", "--cases", &dir, "--list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown-rule.yaml:5:11: unknown rule `A99`"),
        "{stderr}"
    );
}

/// A list read only in part (`run --list | head`) ends quietly, without a panic.
#[test]
fn a_list_into_a_closed_pipe_ends_quietly() {
    let mut child = binary()
        .args(["run", "--list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(output.stderr.is_empty(), "{}", text(&output));
}

#[test]
fn list_touches_no_network() {
    let output = binary()
        .args([
            "run",
            "--url",
            "https://192.0.2.1",
            "--token",
            "t",
            "--list",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("alerts-v1::A6::invalid-state::HANDLED: test")
    );
}

#[test]
fn validate_accepts_the_published_examples() {
    let ok = |schema: &str, file: &str, profile: &str| {
        let output = binary()
            .args([
                "validate",
                "--schema",
                schema,
                "--profile",
                profile,
                &fixture(file),
            ])
            .output()
            .unwrap();
        (output.status.code(), text(&output))
    };
    assert_eq!(ok("events", "events.example.json", "strict").0, Some(0));
    assert_eq!(ok("error", "pcap-error.example.json", "strict").0, Some(0));
    assert_eq!(
        ok("alerts-v1", "alerts-v1.example.json", "lenient").0,
        Some(0)
    );
    let (code, out) = ok("alerts-v1", "alerts-v1.example.json", "strict");
    assert_eq!(
        code,
        Some(1),
        "the first alert spells additionalinformation: {out}"
    );
    let (code, out) = ok("alerts-v1", "alerts-v1.published.txt", "lenient");
    assert_eq!(code, Some(1));
    assert!(out.contains("invalid JSON at line"), "{out}");
}

#[test]
fn validate_names_the_path_of_a_bad_field() {
    let output = binary()
        .args([
            "validate",
            "--schema",
            "alerts-v1",
            &fixture("alerts-v1.bad-severity.json"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("at /1/severity"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_body_of_the_wrong_json_type_is_invalid() {
    let dir = std::env::temp_dir().join(format!("wrong-type-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (schema, body) in [
        ("error", "null"),
        ("error", "[1, 2]"),
        ("events", "42"),
        ("alerts-v1", "\"x\""),
    ] {
        let file = dir.join("body.json");
        std::fs::write(&file, body).unwrap();
        let output = binary()
            .args(["validate", "--schema", schema])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{schema} {body}: {}",
            text(&output)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_selected_test_is_a_usage_error() {
    let output = binary()
        .args(["run", "no-such-test-name"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("no test is selected"));
}

#[test]
fn zero_test_threads_is_a_usage_error() {
    let output = binary()
        .args(["run", "--test-threads", "0", "::A5::"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("--test-threads"),
        "{}",
        text(&output)
    );
}

/// A run that cannot reach its target leaves no report files behind: neither empty ones nor
/// an earlier run's, which would read as that run's verdict.
#[test]
fn an_early_end_leaves_no_empty_or_stale_reports() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    drop(listener);
    let dir = std::env::temp_dir().join(format!("early-end-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    std::fs::write(&json, "{\"exit\": {\"status\": 0}}").unwrap();
    let output = binary()
        .args(["run", "--url", &url, "--token", "t"])
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(!json.exists() && !junit.exists());
    // Nor a run stopped by a contract that does not load, or a filter that selects nothing.
    for stop in [&["--cases", "/nonexistent/cases"][..], &["no-such-test"]] {
        std::fs::write(&json, "{\"exit\": {\"status\": 0}}").unwrap();
        let output = binary()
            .args(["run", "--json"])
            .arg(&json)
            .args(stop)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(!json.exists(), "{stop:?} left the old report");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--format json` keeps stdout for libtest's JSON lines: the summary goes to stderr.
#[test]
fn json_format_gives_only_json_lines() {
    let output = binary()
        .args(["run", "--format", "json", "::A5::"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().count() > 2);
    for line in stdout.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "{line}"
        );
    }
    assert!(String::from_utf8_lossy(&output.stderr).contains("exit status 0"));
}

/// Plain HTTP sent to a TLS port says to try https.
#[test]
fn http_to_a_tls_port_suggests_https() {
    let sensor = Sensor::start(&[]);
    let url = sensor.url.replace("https://", "http://");
    let output = binary()
        .args(["run", "--url", &url, "--token", "a-token-of-some-length"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("try https://"), "{}", text(&output));
}

/// The case the README shows loads as it is written there.
#[test]
fn the_readme_case_example_loads() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```yaml\ncases:\n")
        .expect("the README shows a case")
        + 8;
    let end = start + readme[start..].find("```").unwrap();
    let dir = std::env::temp_dir().join(format!("readme-case-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("readme.yaml"), &readme[start..end]).unwrap();
    let output = binary()
        .args(["run", "--list", "--cases"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("::A10::unknown-type-ignored::"));
}

/// A deadline of more than a week is a mistake: refused before anything runs.
#[test]
fn out_of_range_deadline_is_a_usage_error() {
    for deadline in ["604801", "18446744073709551615"] {
        let output = binary()
            .args(["run", "--list", "--deadline", deadline])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{deadline}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
}

/// `serve` refuses tokens clients could not send or tell apart, and faults that would undo
/// each other, and says why it cannot listen.
#[test]
fn serve_refuses_what_it_cannot_honour_and_names_a_busy_address() {
    let cache = [
        "--fault",
        "E8-no-cache",
        "--fault",
        "E9-cache-ignores-params",
    ];
    for args in [
        &["--token", " "][..],
        &["--pcap-token", ""],
        &["--token", "a\nb"],
        &["--token", "reference-pcap-token"],
        &cache,
    ] {
        let output = binary().arg("serve").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        let named = args[args.len() - 2..].join(" ");
        let named = if args.len() > 2 {
            named.as_str()
        } else {
            args[0]
        };
        assert!(text(&output).contains(named), "{}", text(&output));
    }
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = busy.local_addr().unwrap().to_string();
    let output = binary()
        .args(["serve", "--listen", &address])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains(&format!("failed to bind the sensor to {address}: ")),
        "{message}"
    );
}

#[test]
fn pcap_alert_id_is_a_number_with_a_capture() {
    let output = binary()
        .args(["run", "--pcap-alert-id", "../600"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("--pcap-alert-id"),
        "{}",
        text(&output)
    );
    // An id without a capture is named, and the newest alerts are probed instead.
    let output = binary()
        .args(["run", "--pcap-alert-id", "99999999", "::P1::"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("(99999999) gave no capture"), "{stderr}");
}

/// `validate` judges every file it can read, reads `-` from standard input, and names each
/// file it cannot read; the exit status then says the invocation was wrong.
#[test]
fn validate_goes_on_past_an_unreadable_file_and_reads_stdin() {
    let missing = "/nonexistent/body.json";
    let output = binary()
        .args(["validate", "--schema", "events", missing, "/dev/zero"])
        .arg(fixture("events.example.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("events.example.json: valid"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot read {missing}: ")),
        "{stderr}"
    );
    // A file that never ends is read only so far.
    assert!(
        stderr.contains("/dev/zero is larger than 512 MiB"),
        "{stderr}"
    );

    let mut child = binary()
        .args(["validate", "--schema", "events", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let body = std::fs::read(fixture("events.example.json")).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &body).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("(stdin): valid: a list of 4 items"));
}

/// Two reports asked for in one file would leave only the last one written.
#[test]
fn one_file_for_two_reports_is_refused() {
    let file = std::env::temp_dir().join(format!("two-reports-{}.out", std::process::id()));
    let file = file.display().to_string();
    let output = binary()
        .args(["run", "--json", &file, "--html", &file, "::A1::"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("asked for as two reports"),
        "{}",
        text(&output)
    );
    assert!(!std::path::Path::new(&file).exists());
}
