//! The built-in reference sensor passes the whole suite, and each of its faults is caught by
//! the tests of the rule it breaks.

mod common;

use common::{Sensor, failed_tests, text};
use sensor_conformance::sensor::Fault;

/// Every test passes: none failed, and none was left inconclusive, which would hide a check
/// that no longer decides anything.
#[test]
fn conformant_sensor_passes_every_test() {
    let sensor = Sensor::start(&[]);
    let (output, report) = common::run_with_report(&sensor, "conformant", &["--strict"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(failed_tests(&output).is_empty());
    let verdicts = common::verdicts(&report);
    let undecided: Vec<_> = verdicts.iter().filter(|(_, v)| v != "pass").collect();
    assert!(undecided.is_empty(), "{undecided:?}");
    assert!(verdicts.len() >= 140, "{} tests", verdicts.len());
}

/// Failures a fault causes beyond its own rule where the rule book makes them follow from it.
const FOLLOWERS: &[(&str, &[&str])] = &[
    // A wrapped list does not match the schema, which G3 requires of every JSON answer.
    ("A1-wrapped-list", &["G3"]),
    // Times in seconds put every alert before any boundary in milliseconds.
    ("A3-seconds", &["A7", "A8"]),
    // The extra alerts of a type filter show in the intersection of the parameters.
    ("A9-type-adds-alerts", &["A11"]),
    // A window that is ignored is not capped at 4320 minutes either.
    ("E4-window-ignored", &["E5"]),
    // A cache that ignores parameters answers a type with the untyped events.
    ("E9-cache-ignores-params", &["E6"]),
];

/// Each fault fails the tests of the rule it breaks, and no others but those the rule book
/// makes follow: a test whose precondition another rule decides is inconclusive instead.
#[test]
fn every_fault_is_detected_by_its_own_rule() {
    let mut missed = Vec::new();
    for fault in Fault::all() {
        let sensor = Sensor::start(&["--fault", fault.name()]);
        let own = format!("::{}::", fault.rule());
        let mut args = vec!["--strict"];
        // Only the rules that need it wait for the timeline to move.
        if !["E8", "E9"].contains(&fault.rule()) {
            args.extend(["--skip", "::E8::", "--skip", "::E9::"]);
        }
        let output = sensor.run(&args);
        let failed = failed_tests(&output);
        let followers = FOLLOWERS
            .iter()
            .find(|(name, _)| *name == fault.name())
            .map_or(&[][..], |(_, rules)| *rules);
        let stray: Vec<_> = failed
            .iter()
            .filter(|t| !t.contains(&own))
            .filter(|t| !followers.iter().any(|r| t.contains(&format!("::{r}::"))))
            .collect();
        // A follower that no longer fails is left out of the list, so that it stays true.
        let stale: Vec<_> = followers
            .iter()
            .filter(|r| !failed.iter().any(|t| t.contains(&format!("::{r}::"))))
            .collect();
        let caught = output.status.code() == Some(1) && failed.iter().any(|t| t.contains(&own));
        if !caught || !stray.is_empty() || !stale.is_empty() {
            missed.push(format!(
                "{}: exit {:?}, failed outside {own}: {stray:?}, followers that held: \
                 {stale:?}\n{}",
                fault.name(),
                output.status.code(),
                text(&output)
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "faults not detected by their own rule alone:\n{}",
        missed.join("\n\n")
    );
}

#[test]
fn builtin_run_needs_no_configuration() {
    let output = common::binary()
        .args(["run", "--strict"])
        .output()
        .expect("run starts");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("built-in reference sensor"));
}

/// Where the page is silent a server may choose; a choice against a should rule (403 for a
/// rejection, G2) is a warning, never a failure. The same holds with the timeline standing
/// still, where the rules that need movement are inconclusive.
#[test]
fn legal_variations_fail_nothing() {
    for variation in sensor_conformance::sensor::Variation::all() {
        let name = variation.name();
        for still in [false, true] {
            let mut serve = vec!["--variation", name];
            serve.extend(still.then_some("--still"));
            let sensor = Sensor::start(&serve);
            let output = sensor.run(&["--movement-wait", "2"]);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{name} still={still}:\n{}",
                text(&output)
            );
            if name == "reject-403" {
                assert!(text(&output).contains("G2 (should): expected status 401; got 403"));
            }
        }
    }
}

#[test]
fn still_timeline_is_inconclusive_where_movement_is_needed() {
    let sensor = Sensor::start(&["--still"]);
    let (output, report) =
        common::run_with_report(&sensor, "still", &["--strict", "--movement-wait", "3"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let verdicts = common::verdicts(&report);
    for needs_movement in [
        "events::E8::identical-request-cached",
        "events::E9::differing-request-fresh",
    ] {
        let (_, verdict) = verdicts.iter().find(|(n, _)| n == needs_movement).unwrap();
        assert_eq!(verdict, "inconclusive", "{needs_movement}");
    }
    let others_inconclusive: Vec<&String> = verdicts
        .iter()
        .filter(|(n, v)| v == "inconclusive" && !n.contains("::E8::") && !n.contains("::E9::"))
        .map(|(n, _)| n)
        .collect();
    assert!(others_inconclusive.is_empty(), "{others_inconclusive:?}");
}

#[test]
fn api_version_1_makes_v2_rules_not_applicable() {
    let sensor = Sensor::start(&[]);
    let (output, report) = common::run_with_report(&sensor, "v1", &["--api-version", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for (name, verdict) in common::verdicts(&report) {
        let v2 = name.starts_with("alerts-v2::")
            || name.starts_with("pcap::")
            || name.contains("::A4::");
        let expected = if v2 { "not applicable" } else { "pass" };
        assert_eq!(verdict, expected, "{name}");
    }
}

/// RULES.md: a rule decided on empty answers is inconclusive, never a pass.
#[test]
fn empty_sensor_is_inconclusive_not_passed() {
    let sensor = Sensor::start(&["--alerts", "0", "--still"]);
    let (output, report) = common::run_with_report(&sensor, "empty", &["alerts-v1::"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for (name, verdict) in common::verdicts(&report) {
        let decided_on_items = ["::A2::", "::A3::", "::A5::", "::A10::", "::A11::"];
        if decided_on_items.iter().any(|rule| name.contains(rule)) {
            assert_eq!(verdict, "inconclusive", "{name}");
        }
    }
}

/// The pcap rules wait until the pcap token has fetched a real capture.
#[test]
fn refused_pcap_token_leaves_the_pcap_rules_inconclusive() {
    let sensor = Sensor::start(&[]);
    let output = common::binary()
        .args([
            "run",
            "--url",
            &sensor.url,
            "--insecure",
            "--token",
            common::TOKEN,
        ])
        .args(["--pcap-token", "not-the-pcap-token", "pcap::"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("... ok"),
        "{}",
        text(&output)
    );
    assert!(
        text(&output).contains("refused the pcap token"),
        "{}",
        text(&output)
    );
}
