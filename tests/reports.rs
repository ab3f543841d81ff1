//! The reports of a run, read as their readers read them: the console by a person in a CI log,
//! JUnit by an XML parser, the JSON report by its schema, the HTML report by a browser, and
//! every byte of all of them searched for the tokens.

mod common;

use common::reports::{Canary, ReportRun, TokenSensor, dump_dom, number_of, tests_with, text_of};
use common::{binary, failed_tests, text};
use serde_json::Value;
use std::io::Write as _;
use std::sync::OnceLock;

/// Faults that between them give failures with list bodies (A6), schema errors (E1), a binary
/// body (P3), warnings of should rules (G2, G5) and inconclusive tests (A13, behind A6).
const FAULTS: [&str; 5] = [
    "A6-accept-any-state",
    "E1-bad-severity",
    "P3-accept-api-token",
    "G2-plain-rejection",
    "G5-error-on-odd-input",
];

/// The faulty sensor's run, shared by the tests that read its reports.
struct Faulty {
    run: ReportRun,
    url: String,
    canaries: [Canary; 2],
}

fn faulty() -> &'static Faulty {
    static FAULTY: OnceLock<Faulty> = OnceLock::new();
    FAULTY.get_or_init(|| {
        let token = Canary::new("api", "");
        // Characters every report format escapes: an escaped copy would be found as well.
        let pcap = Canary::new("pcap", "&<>\"'");
        let faults: Vec<&str> = FAULTS.iter().flat_map(|f| ["--fault", f]).collect();
        let sensor = TokenSensor::with_tokens(&token.token, &pcap.token, &faults);
        let tokens = (token.token.as_str(), pcap.token.as_str());
        let run = ReportRun::new("faulty", &sensor, tokens, &["-v"]);
        Faulty {
            run,
            url: sensor.url.clone(),
            canaries: [token, pcap],
        }
    })
}

/// A run with nothing to fail: the v2 rule A4 under `--api-version 1` is not applicable.
fn not_applicable() -> &'static ReportRun {
    static RUN: OnceLock<ReportRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let sensor = TokenSensor::with_tokens("t-api", "t-pcap", &[]);
        ReportRun::new(
            "not-applicable",
            &sensor,
            ("t-api", "t-pcap"),
            &["--api-version", "1", "::A4::"],
        )
    })
}

/// The lines libtest prints for one failed test, between its heading and the next.
fn failure_block(stdout: &str, name: &str) -> Vec<String> {
    let heading = format!("---- {name} ----");
    stdout
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with("---- "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn console_failure_says_rule_expectation_request_status_and_body() {
    let run = &faulty().run;
    let block = failure_block(&run.stdout(), "alerts-v1::A6::invalid-state::HANDLED");
    let text = block.join("\n");
    assert!(block[0].starts_with("rule A6 (must): "), "{text}");
    assert!(text.contains("expected status 4xx; got 200"), "{text}");
    let request = format!(
        "request: GET {}/api/v1/alerts?state=HANDLED -> 200",
        faulty().url
    );
    assert!(text.contains(&request), "{text}");
    assert!(text.contains("body: [{"), "{text}");
    assert!(text.contains("case: cases/alerts.yaml:"), "{text}");
    assert!(
        block.len() <= 10,
        "a few lines, not {}:\n{text}",
        block.len()
    );
}

#[test]
fn console_schema_failure_gives_instance_and_schema_paths() {
    let run = &faulty().run;
    let text = failure_block(&run.stdout(), "events::E1::event-fields").join("\n");
    assert!(
        text.contains("expected the body to match schema events"),
        "{text}"
    );
    let placed = text
        .lines()
        .any(|l| l.trim_start().starts_with("at /") && l.contains("/severity: "));
    assert!(placed, "{text}");
    assert!(
        text.contains("(schema /$defs/event/properties/severity/enum)"),
        "{text}"
    );
}

/// A row of the console summary's counts table: pass, fail, inconclusive, n/a, warnings.
fn summary_row(stdout: &str, name: &str) -> Vec<u64> {
    let summary = stdout
        .split("sensor-conformance summary")
        .nth(1)
        .expect("a closing summary");
    let line = summary
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name}:\n{summary}"));
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().expect("a count"))
        .collect()
}

#[test]
fn console_summary_counts_per_endpoint_and_states_the_exit_status() {
    let run = &faulty().run;
    let (stdout, report) = (run.stdout(), run.json());
    let s = &report["summary"];
    let all = summary_row(&stdout, "all");
    let expected: Vec<u64> = [
        "pass",
        "fail",
        "inconclusive",
        "notApplicable",
        "withWarnings",
    ]
    .iter()
    .map(|k| s[k].as_u64().unwrap())
    .collect();
    assert_eq!(all, expected);
    let events = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["endpoint"] == "events" && t["verdict"] == "fail")
        .count();
    assert_eq!(summary_row(&stdout, "events")[1], events as u64);
    let words = format!(
        "exit status 1: {} of {} tests failed",
        s["fail"], s["tests"]
    );
    assert!(stdout.trim_end().ends_with(&words), "{stdout}");
    assert_eq!(run.output.status.code(), Some(1));
    assert!(stdout.contains("inconclusive, commonest reasons first:"));
    assert!(stdout.contains("warnings (should rules; --strict makes them failures):"));
}

#[test]
fn console_summary_of_a_run_without_failures_says_exit_status_0() {
    let run = not_applicable();
    let stdout = run.stdout();
    assert_eq!(run.output.status.code(), Some(0), "{}", text(&run.output));
    assert!(
        stdout.trim_end().ends_with("exit status 0: no test failed"),
        "{stdout}"
    );
    assert_eq!(summary_row(&stdout, "all"), [0, 0, 0, 1, 0]);
}

#[test]
fn junit_has_a_testcase_per_test_and_the_json_reports_verdicts() {
    let run = &faulty().run;
    let (xml, report) = (run.read("junit.xml"), run.json());
    let doc = roxmltree::Document::parse(&xml).expect("junit.xml parses as XML");
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), run.tests_run());
    let with_child = |tag: &str| {
        let mut names: Vec<String> = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .map(|c| c.attribute("name").unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(with_child("failure"), tests_with(&report, "fail"));
    let mut undecided = tests_with(&report, "inconclusive");
    undecided.extend(tests_with(&report, "not applicable"));
    undecided.sort();
    assert_eq!(with_child("skipped"), undecided);
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some(&*cases.len().to_string()));
    assert_eq!(
        root.attribute("failures"),
        Some(&*report["summary"]["fail"].to_string())
    );
}

#[test]
fn junit_groups_by_endpoint_and_carries_the_runs_properties() {
    let run = &faulty().run;
    let (xml, report) = (run.read("junit.xml"), run.json());
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["alerts-v1", "alerts-v2", "events", "pcap"]);
    for suite in &suites {
        let endpoint = suite.attribute("name").unwrap();
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            let name = case.attribute("name").unwrap();
            assert!(
                name.starts_with(&format!("{endpoint}::")),
                "{name} in {endpoint}"
            );
        }
    }
    let property = |name: &str| {
        suites[0]
            .descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .unwrap_or_else(|| panic!("no property {name}"))
            .to_owned()
    };
    assert_eq!(property("tool.version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(property("target.url"), format!("{}/", faulty().url));
    assert_eq!(property("profile"), "strict");
    assert_eq!(property("api.version"), "2");
    assert_eq!(
        property("sensor.clock.offset.ms"),
        report["clock"]["offsetMs"].to_string()
    );
    assert_eq!(property("exit.status"), "1");
}

#[test]
fn junit_failure_holds_its_evidence_and_a_skip_its_reason() {
    let run = &faulty().run;
    let xml = run.read("junit.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}"))
    };
    let failure = case("alerts-v1::A6::invalid-state::HANDLED")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    let message = failure.attribute("message").unwrap();
    assert!(
        message.starts_with("A6: expected status 4xx; got 200"),
        "{message}"
    );
    let evidence = failure.text().unwrap();
    assert!(evidence.contains("\n  request: GET "), "{evidence}");
    assert!(evidence.contains("\n  body: "), "{evidence}");
    let inconclusive = tests_with(&run.json(), "inconclusive");
    let skipped = case(&inconclusive[0])
        .children()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    let reason = skipped.attribute("message").unwrap();
    assert!(reason.starts_with("inconclusive: "), "{reason}");
    assert!(reason.len() > "inconclusive: ".len() + 10, "{reason}");
}

#[test]
fn junit_skips_not_applicable_tests_with_their_reason() {
    let xml = not_applicable().read("junit.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let skipped: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .filter_map(|n| n.attribute("message"))
        .collect();
    assert_eq!(skipped.len(), 1, "{xml}");
    assert!(
        skipped[0].starts_with("not applicable: --api-version 1"),
        "{xml}"
    );
}

/// The report schema as published, and a copy that refuses any field it does not describe.
fn schemas() -> (Value, Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut closed = schema.clone();
    close(&mut closed);
    (schema, closed)
}

/// Forbids properties an object schema does not list, everywhere in `schema`.
fn close(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            map.values_mut().for_each(close);
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}

fn errors(schema: &Value, report: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the report schema compiles");
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn json_report_matches_its_schema_and_describes_every_field() {
    let (schema, closed) = schemas();
    for run in [&faulty().run, not_applicable()] {
        let report = run.json();
        assert_eq!(errors(&schema, &report), Vec::<String>::new());
        assert_eq!(
            errors(&closed, &report),
            Vec::<String>::new(),
            "undescribed fields"
        );
    }
}

#[test]
fn validate_accepts_the_json_report() {
    let file = faulty().run.dir.join("report.json");
    let output = binary()
        .args(["validate", "--schema", "report"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn json_report_records_the_run_and_each_request() {
    let faulty = faulty();
    let report = faulty.run.json();
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["target"]["url"], format!("{}/", faulty.url));
    assert_eq!(report["options"]["apiVersion"], 2);
    assert!(report["started"].as_str() <= report["finished"].as_str());
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), faulty.run.tests_run());
    // libtest pads the names it lists to a column.
    let mut failed: Vec<String> = failed_tests(&faulty.run.output)
        .iter()
        .map(|name| name.trim_end().to_owned())
        .collect();
    failed.sort();
    assert_eq!(tests_with(&report, "fail"), failed);
    for test in tests {
        let requests = test["requests"].as_array().unwrap();
        assert!(!requests.is_empty(), "{}", test["name"]);
        for request in requests {
            assert_eq!(request["method"], "GET");
            assert!(request["url"].as_str().unwrap().starts_with(&faulty.url));
            assert!(request["durationMs"].is_u64() && request["bodyBytes"].is_u64());
        }
        let decided = test["verdict"] == "pass";
        assert_eq!(test["reason"].is_null(), decided, "{}", test["name"]);
    }
}

#[test]
fn results_dir_holds_every_report_under_its_fixed_name() {
    let run = &faulty().run;
    for name in ["junit.xml", "report.json", "report.html", "summary.md"] {
        let single = std::fs::read(run.files.join(name)).unwrap();
        assert_eq!(run.read(name).as_bytes(), single, "{name}");
    }
}

#[test]
fn markdown_summary_gives_the_verdict_counts_and_failed_rules() {
    let run = &faulty().run;
    let (markdown, report) = (run.read("summary.md"), run.json());
    let s = &report["summary"];
    let heading = format!(
        "## ❌ sensor-conformance: {} of {} tests failed (exit status 1)",
        s["fail"], s["tests"]
    );
    assert!(markdown.starts_with(&heading), "{markdown}");
    let all = format!(
        "| **all** | {} | {} | {} | {} | {} |",
        s["pass"], s["fail"], s["inconclusive"], s["notApplicable"], s["withWarnings"]
    );
    assert!(markdown.contains(&all), "{markdown}");
    for rule in report["rules"].as_array().unwrap() {
        let listed = markdown.contains(&format!("\n| {} | ", rule["id"].as_str().unwrap()));
        assert_eq!(
            listed,
            rule["verdict"] == "fail",
            "{}:\n{markdown}",
            rule["id"]
        );
    }
}

#[test]
fn html_references_nothing_outside_itself() {
    let html = faulty().run.read("report.html");
    for external in ["src=", "href=http", "@import", "url(", "<script", "<link"] {
        assert!(!html.contains(external), "the report holds {external}");
    }
    assert!(html.contains("<style>"), "styles are inline");
}

#[test]
fn html_gives_a_curl_command_per_failure_with_the_token_left_to_the_shell() {
    let html = faulty().run.read("report.html");
    let report = faulty().run.json();
    let failures = html.matches("<article class=\"failure\">").count();
    assert_eq!(failures as u64, report["summary"]["fail"].as_u64().unwrap());
    let commands = html.matches("<pre class=\"curl\">curl ").count();
    assert!(
        commands >= failures,
        "{commands} commands for {failures} failures"
    );
    assert!(html.contains("-H &quot;Authorization: $SENSOR_TOKEN&quot;"));
}

#[test]
fn html_in_a_browser_shows_the_numbers_of_the_run() {
    let run = &faulty().run;
    let dom = match dump_dom(&run.dir.join("report.html")) {
        Ok(dom) => dom,
        Err(why) => {
            // Straight to stderr, past libtest's capture: a skipped check must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED html_in_a_browser_shows_the_numbers_of_the_run: {why}"
            );
            return;
        }
    };
    let report = run.json();
    let s = &report["summary"];
    let shown = |id: &str| number_of(&dom, id).unwrap_or_else(|| panic!("no #{id} in the DOM"));
    for (id, key) in [
        ("count-total", "tests"),
        ("count-pass", "pass"),
        ("count-fail", "fail"),
        ("count-inconclusive", "inconclusive"),
        ("count-not-applicable", "notApplicable"),
        ("count-warned", "withWarnings"),
        ("failure-count", "fail"),
    ] {
        assert_eq!(shown(id), s[key].as_u64().unwrap(), "#{id}");
    }
    assert_eq!(shown("exit-status"), 1);
    assert_eq!(text_of(&dom, "verdict").as_deref(), Some("FAIL"));
    let articles = dom.matches("<article class=\"failure\">").count() as u64;
    assert_eq!(articles, s["fail"].as_u64().unwrap());
    let rules = dom.matches("<tr id=\"rule-").count();
    assert_eq!(rules, report["rules"].as_array().unwrap().len());
    let v1_fails = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["endpoint"] == "alerts-v1" && t["verdict"] == "fail")
        .count() as u64;
    assert_eq!(shown("alerts-v1-fail"), v1_fails);
}

/// Every file a run wrote, with its path.
fn written(run: &ReportRun) -> Vec<(String, Vec<u8>)> {
    [&run.dir, &run.files]
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect()
}

#[test]
fn tokens_never_appear_in_output_logs_or_reports() {
    let faulty = faulty();
    let run = &faulty.run;
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(
        stderr.contains(" GET https://127.0.0.1:"),
        "-v logs each request"
    );
    let mut places = written(run);
    assert_eq!(places.len(), 8, "four reports, twice");
    places.push(("stdout".to_owned(), run.output.stdout.clone()));
    places.push(("stderr".to_owned(), run.output.stderr.clone()));
    let html = run.read("report.html");
    assert!(
        html.contains("curl ") && html.contains("body: "),
        "evidence to leak through"
    );
    for canary in &faulty.canaries {
        for needle in canary.needles() {
            for (place, bytes) in &places {
                let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
                assert!(!found, "{place} holds {needle}");
            }
        }
    }
}
