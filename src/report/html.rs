//! The HTML report: one self-contained file (no scripts, no external styles, fonts or images)
//! that a person can open from an email attachment and sign off.

use super::junit::escape;
use super::{Counts, RunInfo, by_endpoint, by_rule, curl, rfc3339, rule_verdict};
use crate::suite::{Record, Verdict};
use std::fmt::Write as _;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;\
color:#222}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;\
text-align:left;vertical-align:top}th{background:#f4f4f4}.bar{display:flex;height:1.1em;\
min-width:12em;background:#eee}.bar span{display:block}.pass{background:#2e7d32}\
.fail{background:#c62828}.inconclusive{background:#f9a825}.not-applicable{background:#9e9e9e}\
.v-pass{color:#2e7d32}.v-fail{color:#c62828;font-weight:bold}.v-inconclusive{color:#a06d00}\
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;white-space:pre-wrap}\
code{font-family:ui-monospace,monospace}.key span{display:inline-block;width:.9em;height:.9em;\
margin:0 .3em 0 1em;vertical-align:middle}";

/// The HTML report of a run.
pub fn html(info: &RunInfo, records: &[Record]) -> String {
    let mut out = String::new();
    let total = Counts::of(records);
    let verdict = if total.fail == 0 {
        "no test failed"
    } else {
        "tests failed"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>sensor-conformance report: {}</title><style>{STYLE}</style></head><body>\n",
        escape(&info.target)
    );
    let _ = writeln!(
        out,
        "<h1>sensor-conformance: <span id=\"verdict\">{verdict}</span></h1>"
    );
    facts(&mut out, info);
    summary(&mut out, &total);
    charts(&mut out, info, records);
    traceability(&mut out, info, records);
    failures(&mut out, records);
    out.push_str("</body></html>\n");
    out
}

fn facts(out: &mut String, info: &RunInfo) {
    let target = if info.builtin {
        format!("{} (built-in reference sensor)", info.target)
    } else {
        info.target.clone()
    };
    let rows = [
        ("Target", target),
        ("Tool", format!("sensor-conformance {}", info.tool_version)),
        ("API version", info.api_version.to_string()),
        (
            "Profile",
            format!(
                "{}{}",
                info.profile,
                if info.strict { ", strict" } else { "" }
            ),
        ),
        ("Started", rfc3339(info.started_ms)),
        ("Finished", rfc3339(info.finished_ms)),
        (
            "Sensor clock",
            format!(
                "{:+} ms from the harness (± {} ms)",
                info.clock.offset_ms, info.clock.uncertainty_ms
            ),
        ),
    ];
    out.push_str("<table>");
    for (name, value) in rows {
        let _ = write!(out, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
    }
    out.push_str("</table>\n");
}

fn summary(out: &mut String, total: &Counts) {
    out.push_str(
        "<h2>Summary</h2><table><tr><th>pass</th><th>fail</th><th>inconclusive</th>\
                  <th>not applicable</th><th>with warnings</th><th>tests</th></tr><tr>",
    );
    let cells = [
        ("pass", total.pass),
        ("fail", total.fail),
        ("inconclusive", total.inconclusive),
        ("not-applicable", total.not_applicable),
        ("warned", total.warned),
        ("total", total.total()),
    ];
    for (id, n) in cells {
        let _ = write!(out, "<td id=\"count-{id}\">{n}</td>");
    }
    out.push_str("</tr></table>\n");
}

fn bar(out: &mut String, counts: &Counts) {
    let total = counts.total().max(1) as f64;
    out.push_str("<div class=\"bar\">");
    let parts = [
        ("pass", counts.pass),
        ("fail", counts.fail),
        ("inconclusive", counts.inconclusive),
        ("not-applicable", counts.not_applicable),
    ];
    for (class, n) in parts.into_iter().filter(|(_, n)| *n > 0) {
        let _ = write!(
            out,
            "<span class=\"{class}\" style=\"width:{:.2}%\" title=\"{n} {class}\"></span>",
            n as f64 * 100.0 / total
        );
    }
    out.push_str("</div>");
}

fn charts(out: &mut String, info: &RunInfo, records: &[Record]) {
    out.push_str(
        "<h2>Verdicts per endpoint</h2><p class=\"key\"><span class=\"pass\"></span>pass\
                  <span class=\"fail\"></span>fail<span class=\"inconclusive\"></span>inconclusive\
                  <span class=\"not-applicable\"></span>not applicable</p><table>",
    );
    for (endpoint, of) in by_endpoint(records) {
        let counts = Counts::of(of.iter().copied());
        let _ = write!(out, "<tr><th>{}</th><td>", endpoint.name());
        bar(out, &counts);
        let _ = write!(
            out,
            "</td><td>{} pass, {} fail, {} inconclusive, {} n/a</td></tr>",
            counts.pass, counts.fail, counts.inconclusive, counts.not_applicable
        );
    }
    out.push_str("</table><h2>Verdicts per rule</h2><table>");
    for (rule, of) in by_rule(info, records)
        .into_iter()
        .filter(|(_, of)| !of.is_empty())
    {
        let counts = Counts::of(of.iter().copied());
        let _ = write!(out, "<tr><th>{}</th><td>", rule.id);
        bar(out, &counts);
        let _ = write!(
            out,
            "</td><td>{} of {} tests pass</td></tr>",
            counts.pass,
            counts.total()
        );
    }
    out.push_str("</table>\n");
}

fn traceability(out: &mut String, info: &RunInfo, records: &[Record]) {
    out.push_str(
        "<h2>Traceability</h2><table><tr><th>rule</th><th>level</th><th>text</th>\
                  <th>tests</th><th>verdict</th></tr>\n",
    );
    for (rule, of) in by_rule(info, records) {
        let verdict = rule_verdict(&of).map_or("not run", Verdict::as_str);
        let tests: Vec<String> = of
            .iter()
            .map(|r| {
                format!(
                    "<code>{}</code> {}",
                    escape(&r.name),
                    r.outcome.verdict.as_str()
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr id=\"rule-{id}\"><td>{id}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"v-{}\">{verdict}</td></tr>",
            rule.level.as_str(),
            escape(&rule.text),
            tests.join("<br>"),
            verdict.replace(' ', "-"),
            id = rule.id,
        );
    }
    out.push_str("</table>\n");
}

fn failures(out: &mut String, records: &[Record]) {
    let failed: Vec<&Record> = records
        .iter()
        .filter(|r| r.outcome.verdict == Verdict::Fail)
        .collect();
    let _ = writeln!(out, "<h2>Failures ({})</h2>", failed.len());
    if failed.is_empty() {
        out.push_str("<p>None.</p>\n");
    }
    for record in failed {
        let _ = writeln!(out, "<h3><code>{}</code></h3>", escape(&record.name));
        let _ = writeln!(
            out,
            "<pre>{}</pre>",
            escape(record.outcome.message.as_deref().unwrap_or_default())
        );
        if let Some(first) = record.outcome.exchanges.first() {
            let _ = writeln!(
                out,
                "<p>Reproduce (the token comes from the environment):</p><pre>{}</pre>",
                escape(&curl(first))
            );
        }
    }
    let warned: Vec<&Record> = records
        .iter()
        .filter(|r| !r.outcome.warnings.is_empty())
        .collect();
    if warned.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h2>Warnings ({})</h2><ul>", warned.len());
    for record in warned {
        for warning in &record.outcome.warnings {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {}</li>",
                escape(&record.name),
                escape(warning)
            );
        }
    }
    out.push_str("</ul>\n");
}
