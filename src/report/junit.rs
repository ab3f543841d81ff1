//! The JUnit XML report: one testcase per test, one testsuite per endpoint.

use super::{RunInfo, by_endpoint};
use crate::suite::{Record, Verdict};
use std::fmt::Write as _;

/// The JUnit report of a run.
pub fn junit(info: &RunInfo, records: &[Record]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = records
        .iter()
        .filter(|r| r.outcome.verdict == Verdict::Fail)
        .count();
    let _ = writeln!(
        out,
        "<testsuites name=\"sensor-conformance\" tests=\"{}\" failures=\"{failures}\">",
        records.len()
    );
    for (endpoint, of) in by_endpoint(records) {
        suite(&mut out, info, endpoint.name(), &of);
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite(out: &mut String, info: &RunInfo, name: &str, records: &[&Record]) {
    let count = |v| records.iter().filter(|r| r.outcome.verdict == v).count();
    let skipped = count(Verdict::Inconclusive) + count(Verdict::NotApplicable);
    let seconds: u64 = records
        .iter()
        .flat_map(|r| &r.outcome.exchanges)
        .map(|e| e.duration_ms)
        .sum();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        escape(name),
        records.len(),
        count(Verdict::Fail),
        seconds as f64 / 1000.0
    );
    properties(out, info);
    for record in records {
        case(out, record);
    }
    out.push_str("  </testsuite>\n");
}

fn properties(out: &mut String, info: &RunInfo) {
    out.push_str("    <properties>\n");
    let properties = [
        ("tool.version", info.tool_version.to_owned()),
        ("target.url", info.target.clone()),
        ("profile", info.profile.to_owned()),
        ("api.version", info.api_version.to_string()),
        ("strict", info.strict.to_string()),
        ("sensor.clock.offset.ms", info.clock.offset_ms.to_string()),
    ];
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
    let outcome = &record.outcome;
    let millis: u64 = outcome.exchanges.iter().map(|e| e.duration_ms).sum();
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}.{}\" time=\"{:.3}\">",
        escape(&record.name),
        record.endpoint.name(),
        record.rule,
        millis as f64 / 1000.0
    );
    let message = outcome.message.as_deref().unwrap_or_default();
    let first = message.lines().next().unwrap_or_default();
    match outcome.verdict {
        Verdict::Pass => {}
        Verdict::Fail => {
            let _ = write!(
                out,
                "\n      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(first),
                record.rule,
                escape(message)
            );
        }
        Verdict::Inconclusive | Verdict::NotApplicable => {
            let reason = format!("{}: {message}", outcome.verdict.as_str());
            let _ = write!(out, "\n      <skipped message=\"{}\"/>", escape(&reason));
        }
    }
    let notes: Vec<&String> = outcome
        .warnings
        .iter()
        .chain(&outcome.observations)
        .collect();
    if !notes.is_empty() {
        let text: Vec<&str> = notes.iter().map(|s| s.as_str()).collect();
        let _ = write!(
            out,
            "\n      <system-out>{}</system-out>",
            escape(&text.join("\n"))
        );
    }
    let close = if outcome.verdict == Verdict::Pass && notes.is_empty() {
        ""
    } else {
        "\n    "
    };
    let _ = writeln!(out, "{close}</testcase>");
}

/// Text safe inside an XML attribute or element (control characters other than tab and
/// newline are not allowed in XML 1.0 and are dropped).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
