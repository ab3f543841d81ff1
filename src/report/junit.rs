//! The JUnit XML report: one testcase per test that ran, one testsuite per endpoint; a
//! failure carries its headline and evidence, a test not decided is skipped with its reason.

use super::{Counts, Exit, RunInfo, by_endpoint, headline, rfc3339};
use crate::suite::{Record, Verdict};
use std::fmt::Write as _;

/// The JUnit report of a run.
pub fn junit(info: &RunInfo, records: &[Record]) -> String {
    let counts = Counts::of(records);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sensor-conformance\" tests=\"{}\" failures=\"{}\" errors=\"0\" \
         skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        counts.total(),
        counts.fail,
        skipped(&counts),
        seconds((info.finished_ms - info.started_ms).max(0) as u64),
        rfc3339(info.started_ms),
    );
    for (endpoint, of) in by_endpoint(records) {
        suite(&mut out, info, records, endpoint.name(), &of);
    }
    out.push_str("</testsuites>\n");
    out
}

/// Tests reported as skipped: inconclusive and not applicable ones.
fn skipped(counts: &Counts) -> usize {
    counts.inconclusive + counts.not_applicable
}

/// Milliseconds as the seconds JUnit readers expect.
fn seconds(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// The time a test spent waiting for answers (libtest does not time tests).
fn millis(record: &Record) -> u64 {
    record.outcome.exchanges.iter().map(|e| e.duration_ms).sum()
}

fn suite(out: &mut String, info: &RunInfo, all: &[Record], name: &str, records: &[&Record]) {
    let counts = Counts::of(records.iter().copied());
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" \
         time=\"{}\" timestamp=\"{}\">",
        escape(name),
        counts.total(),
        counts.fail,
        skipped(&counts),
        seconds(records.iter().map(|r| millis(r)).sum()),
        rfc3339(info.started_ms),
    );
    properties(out, info, all);
    for record in records {
        case(out, record);
    }
    out.push_str("  </testsuite>\n");
}

fn properties(out: &mut String, info: &RunInfo, records: &[Record]) {
    let exit = Exit::of(records, info.fail_on_inconclusive);
    let properties = [
        ("tool.version", info.tool_version.to_owned()),
        ("target.url", info.target.clone()),
        ("target.builtin", info.builtin.to_string()),
        ("profile", info.profile.to_owned()),
        ("api.version", info.api_version.to_string()),
        ("strict", info.strict.to_string()),
        (
            "fail.on.inconclusive",
            info.fail_on_inconclusive.to_string(),
        ),
        ("sensor.clock.offset.ms", info.clock.offset_ms.to_string()),
        (
            "sensor.clock.uncertainty.ms",
            info.clock.uncertainty_ms.to_string(),
        ),
        ("started", rfc3339(info.started_ms)),
        ("finished", rfc3339(info.finished_ms)),
        ("exit.status", exit.status.to_string()),
    ];
    out.push_str("    <properties>\n");
    for (name, value) in properties {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    out.push_str("    </properties>\n");
}

fn case(out: &mut String, record: &Record) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}.{}\" time=\"{}\">",
        escape(&record.name),
        record.endpoint.name(),
        escape(&record.rule),
        seconds(millis(record)),
    );
    let mut inner = String::new();
    verdict(&mut inner, record);
    notes(&mut inner, record);
    if !inner.is_empty() {
        out.push_str(&inner);
        out.push_str("\n    ");
    }
    out.push_str("</testcase>\n");
}

/// A failure with its headline and the whole message (the evidence), or a skip with why.
fn verdict(out: &mut String, record: &Record) {
    let outcome = &record.outcome;
    let message = outcome.message.as_deref().unwrap_or_default();
    let headline = headline(outcome).unwrap_or_default();
    match outcome.verdict {
        Verdict::Pass => {}
        Verdict::Fail => {
            let _ = write!(
                out,
                "\n      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&format!("{}: {headline}", record.rule)),
                escape(&format!("{} ({})", record.rule, record.level.as_str())),
                escape(message)
            );
        }
        Verdict::Inconclusive | Verdict::NotApplicable => {
            let reason = format!("{}: {message}", outcome.verdict.as_str());
            let _ = write!(out, "\n      <skipped message=\"{}\"/>", escape(&reason));
        }
    }
}

/// Warnings of should rules and what observe rules recorded, as the test's output.
fn notes(out: &mut String, record: &Record) {
    let outcome = &record.outcome;
    let notes: Vec<&str> = outcome
        .warnings
        .iter()
        .map(|w| w.as_str())
        .chain(outcome.observations.iter().map(|o| o.as_str()))
        .collect();
    if !notes.is_empty() {
        let _ = write!(
            out,
            "\n      <system-out>{}</system-out>",
            escape(&notes.join("\n"))
        );
    }
}

/// Text safe inside an XML attribute or element. Control characters other than tab and
/// newline are not allowed in XML 1.0 and are dropped; newlines and tabs inside attributes
/// are written as references, since a parser would otherwise fold them into spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}
