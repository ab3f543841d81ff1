//! The HTML report: one self-contained file (no scripts, no external styles, fonts or images)
//! that a person can open from an email attachment and sign off. The verdict and the counts
//! come first, then charts per endpoint and per rule, the traceability table, each failure
//! with its evidence and a curl command that repeats it, and the tests not decided.

use super::{
    Counts, Exit, RunInfo, VERDICTS, by_endpoint, by_rule, curl, duration, evidence,
    inconclusive_reasons, plural, rfc3339, rule_verdict, with_verdict,
};
use crate::suite::{Record, Verdict};
use crate::target::Exchange;
use std::fmt::Write as _;

/// Requests of one failure that get a curl command; the rest are listed.
const COMMANDS_SHOWN: usize = 4;

const STYLE: &str = "\
:root{--pass:#2e7d32;--fail:#c62828;--inconclusive:#f9a825;--not-applicable:#9e9e9e;\
--warned:#ef6c00}\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;\
background:#fff}.page{max-width:72em;margin:0 auto;padding:0 1.5em}main{padding-bottom:3em}\
header{color:#fff;padding:1.1em 0}header.pass{background:var(--pass)}\
header.fail{background:var(--fail)}header h1{margin:0;font-size:1.7em}\
header p{margin:.3em 0 0;font-size:1.1em}header p.facts{opacity:.9;font-size:.95em}\
nav{border-bottom:1px solid #ddd;padding:.5em 0;background:#fafafa}\
nav a{margin-right:1.2em;font-size:.95em}\
a{color:#1a4f9c}h2{margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}\
h3{margin:1.8em 0 .3em;font-size:1.15em}h4{margin:1.2em 0 .3em;font-size:1em}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;\
text-align:left;vertical-align:top}th{background:#f4f4f4;font-weight:600}\
td.n{text-align:right;font-variant-numeric:tabular-nums;width:4em}\
.tiles{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}\
.tile{flex:1 1 8em;border:1px solid #ddd;border-top:.35em solid #555;padding:.5em .8em}\
.tile b{display:block;font-size:2em;line-height:1.1;font-variant-numeric:tabular-nums}\
.tile.pass{border-top-color:var(--pass)}.tile.fail{border-top-color:var(--fail)}\
.tile.inconclusive{border-top-color:var(--inconclusive)}\
.tile.not-applicable{border-top-color:var(--not-applicable)}\
.tile.warned{border-top-color:var(--warned)}\
.bar{display:flex;height:1.1em;min-width:6em;background:#eee}.bar span{display:block}\
.bar .pass,.key .pass{background:var(--pass)}.bar .fail,.key .fail{background:var(--fail)}\
.bar .inconclusive,.key .inconclusive{background:var(--inconclusive)}\
.bar .not-applicable,.key .not-applicable{background:var(--not-applicable)}td.chart{width:45%}\
.key span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;\
vertical-align:middle}.key span:first-child{margin-left:0}\
.rules{columns:2 28em;column-gap:2.5em}.rules>div{display:grid;break-inside:avoid;\
grid-template-columns:3em 4.5em 9em 1fr;gap:.6em;align-items:center;padding:.15em 0;\
border-bottom:1px solid #eee}.rules a{font-weight:600}\
.v{font-weight:600;white-space:nowrap}.v-pass{color:var(--pass)}.v-fail{color:var(--fail)}\
.v-inconclusive{color:#9a6700}.v-not-applicable,.v-not-run{color:#666}\
table.trace td.text{width:40%}ul.tests{list-style:none;margin:0;padding:0}\
ul.tests code{word-break:break-all}ul.tests .v{display:inline-block;min-width:7.5em}\
pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:.6em;overflow-x:auto;\
white-space:pre-wrap;word-break:break-word;margin:.3em 0}\
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.92em}\
section.rule{border-left:.3em solid var(--fail);padding:0 0 .3em 1em;margin:1.5em 0}\
section.rule>p{margin:.2em 0 .6em;color:#444}article.failure{margin:0 0 1.2em}\
pre.curl{background:#eef3fa;border-color:#d5e0f0}\
footer{margin-top:3em;color:#666;font-size:.9em}\
@media print{header,.bar span,.key span,.tile{print-color-adjust:exact;\
-webkit-print-color-adjust:exact}nav{display:none}article.failure{break-inside:avoid}}";

/// The HTML report of a run.
pub fn html(info: &RunInfo, records: &[Record]) -> String {
    let exit = Exit::of(records, info.fail_on_inconclusive);
    let mut out = String::new();
    head(&mut out, info, &exit);
    banner(&mut out, info, &exit);
    nav(&mut out, records);
    out.push_str("<main class=\"page\">\n");
    summary(&mut out, info, records);
    endpoint_chart(&mut out, records);
    rule_chart(&mut out, info, records);
    traceability(&mut out, info, records);
    failures(&mut out, info, records);
    undecided(&mut out, records);
    warnings(&mut out, records);
    footer(&mut out, info);
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn head(out: &mut String, info: &RunInfo, exit: &Exit) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>sensor-conformance: {} ({})</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&exit.meaning),
        esc(&info.target),
    );
}

/// The verdict in words and the exit status, on the colour of the verdict.
fn banner(out: &mut String, info: &RunInfo, exit: &Exit) {
    let (class, word) = if exit.status == 0 {
        ("pass", "PASS")
    } else {
        ("fail", "FAIL")
    };
    let _ = writeln!(
        out,
        "<header class=\"{class}\"><div class=\"page\">\n<h1>sensor-conformance: \
         <span id=\"verdict\">{word}</span></h1>\n<p><span id=\"exit-meaning\">{}</span>; \
         exit status <span id=\"exit-status\">{}</span></p>\n<p class=\"facts\">{} · {}</p>\n\
         </div></header>",
        esc(&exit.meaning),
        exit.status,
        esc(&info.target_described()),
        rfc3339(info.started_ms),
    );
}

/// Links to the sections, with the counts a reader looks for first.
fn nav(out: &mut String, records: &[Record]) {
    let counts = Counts::of(records);
    let warnings: usize = records.iter().map(|r| r.outcome.warnings.len()).sum();
    let _ = writeln!(
        out,
        "<nav><div class=\"page\"><a href=\"#summary\">Summary</a>\
         <a href=\"#endpoints\">Endpoints</a><a href=\"#rules\">Rules</a>\
         <a href=\"#traceability\">Traceability</a><a href=\"#failures\">Failures ({})</a>\
         <a href=\"#undecided\">Not decided ({})</a>\
         <a href=\"#warnings\">Warnings ({warnings})</a></div></nav>",
        counts.fail,
        counts.inconclusive + counts.not_applicable,
    );
}

/// The counts as tiles, then what the run was.
fn summary(out: &mut String, info: &RunInfo, records: &[Record]) {
    let total = Counts::of(records);
    out.push_str("<h2 id=\"summary\">Summary</h2>\n<div class=\"tiles\">");
    let tiles = [
        ("total", "tests", total.total()),
        ("pass", "pass", total.pass),
        ("fail", "fail", total.fail),
        ("inconclusive", "inconclusive", total.inconclusive),
        ("not-applicable", "not applicable", total.not_applicable),
        ("warned", "with warnings", total.warned),
    ];
    for (id, label, n) in tiles {
        let _ = write!(
            out,
            "<div class=\"tile {id}\"><b id=\"count-{id}\">{n}</b>{label}</div>"
        );
    }
    out.push_str("</div>\n");
    facts(out, info);
}

fn facts(out: &mut String, info: &RunInfo) {
    let strict = if info.strict {
        "should rules fail (--strict)"
    } else {
        "should rules warn"
    };
    let inconclusive = if info.fail_on_inconclusive {
        ", inconclusive tests fail the run"
    } else {
        ""
    };
    let rows = [
        ("Target", info.target_described()),
        ("Tool", format!("sensor-conformance {}", info.tool_version)),
        (
            "Options",
            format!(
                "API version {}, profile {}, {strict}{inconclusive}",
                info.api_version, info.profile
            ),
        ),
        ("Started", rfc3339(info.started_ms)),
        ("Finished", rfc3339(info.finished_ms)),
        ("Duration", duration(info.finished_ms - info.started_ms)),
        ("Sensor clock", clock(info)),
    ];
    out.push_str("<table class=\"facts\">\n");
    for (name, value) in rows {
        let _ = writeln!(out, "<tr><th>{name}</th><td>{}</td></tr>", esc(&value));
    }
    out.push_str("</table>\n");
}

fn clock(info: &RunInfo) -> String {
    if info.builtin {
        return "the built-in sensor's clock is the harness's".to_owned();
    }
    format!(
        "{:+} ms from the harness's (± {} ms), estimated from its Date header",
        info.clock.offset_ms, info.clock.uncertainty_ms
    )
}

/// A stacked bar of verdicts, each part as wide as its share.
fn bar(out: &mut String, counts: &Counts) {
    let total = counts.total().max(1) as f64;
    out.push_str("<div class=\"bar\">");
    for (verdict, n) in counts.present() {
        let _ = write!(
            out,
            "<span class=\"{class}\" style=\"width:{:.2}%\" title=\"{n} {}\"></span>",
            n as f64 * 100.0 / total,
            verdict.as_str(),
            class = class(verdict),
        );
    }
    out.push_str("</div>");
}

fn key(out: &mut String) {
    out.push_str("<p class=\"key\">");
    for verdict in VERDICTS {
        let _ = write!(
            out,
            "<span class=\"{}\"></span>{}",
            class(verdict),
            verdict.as_str()
        );
    }
    out.push_str("</p>\n");
}

/// The verdicts that occur, in words: "12 pass, 3 fail".
fn in_words(counts: &Counts, id_prefix: Option<&str>) -> String {
    let parts: Vec<String> = counts
        .present()
        .map(|(verdict, n)| match id_prefix {
            Some(prefix) => format!(
                "<span id=\"{prefix}-{}\">{n}</span> {}",
                class(verdict),
                verdict.as_str()
            ),
            None => format!("{n} {}", verdict.as_str()),
        })
        .collect();
    parts.join(", ")
}

fn endpoint_chart(out: &mut String, records: &[Record]) {
    out.push_str("<h2 id=\"endpoints\">Verdicts per endpoint</h2>\n");
    key(out);
    out.push_str("<table>\n<tr><th>endpoint</th><th>tests</th><th>verdicts</th><th></th></tr>\n");
    for (endpoint, of) in by_endpoint(records) {
        let counts = Counts::of(of);
        let name = endpoint.name();
        let _ = write!(
            out,
            "<tr><th>{name}</th><td class=\"n\" id=\"{name}-total\">{}</td><td class=\"chart\">",
            counts.total()
        );
        bar(out, &counts);
        let _ = writeln!(out, "</td><td>{}</td></tr>", in_words(&counts, Some(name)));
    }
    out.push_str("</table>\n");
}

fn rule_chart(out: &mut String, info: &RunInfo, records: &[Record]) {
    out.push_str("<h2 id=\"rules\">Verdicts per rule</h2>\n");
    key(out);
    out.push_str("<div class=\"rules\">\n");
    for (rule, of) in by_rule(info, records) {
        if of.is_empty() {
            continue;
        }
        let counts = Counts::of(of.iter().copied());
        let _ = write!(
            out,
            "<div><a href=\"#rule-{id}\">{id}</a><span>{}</span>",
            rule.level.as_str(),
            id = esc(&rule.id),
        );
        bar(out, &counts);
        let _ = writeln!(out, "<span>{}</span></div>", in_words(&counts, None));
    }
    out.push_str("</div>\n");
}

/// Every rule of the catalogue, its level and text, its tests and their verdicts.
fn traceability(out: &mut String, info: &RunInfo, records: &[Record]) {
    out.push_str(
        "<h2 id=\"traceability\">Traceability</h2>\n<p>Every rule of the catalogue, the tests \
         that check it and their verdicts.</p>\n<table class=\"trace\">\n<tr><th>rule</th>\
         <th>level</th><th>text</th><th>tests</th><th>verdict</th></tr>\n",
    );
    for (rule, of) in by_rule(info, records) {
        let verdict = rule_verdict(&of).map_or("not run", Verdict::as_str);
        let tests: Vec<String> = of
            .iter()
            .map(|r| {
                format!(
                    "<li>{} <code>{}</code></li>",
                    verdict_span(r.outcome.verdict),
                    esc(&r.name),
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr id=\"rule-{id}\"><th>{id}</th><td>{}</td><td class=\"text\">{}</td>\
             <td><ul class=\"tests\">{}</ul></td><td class=\"v v-{}\">{verdict}</td></tr>",
            rule.level.as_str(),
            inline_code(&rule.text),
            tests.join(""),
            verdict.replace(' ', "-"),
            id = esc(&rule.id),
        );
    }
    out.push_str("</table>\n");
}

/// The failures, rule by rule: the rule once, then each test's evidence and curl commands.
fn failures(out: &mut String, info: &RunInfo, records: &[Record]) {
    let failed = with_verdict(records, Verdict::Fail);
    let _ = writeln!(
        out,
        "<h2 id=\"failures\">Failures (<span id=\"failure-count\">{}</span>)</h2>",
        failed.len()
    );
    if failed.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str(
        "<p>Each command repeats a request of the test; it reads the token from the \
         environment (<code>export SENSOR_TOKEN=…</code>, and <code>SENSOR_PCAP_TOKEN</code> \
         for captures).</p>\n",
    );
    for (rule, of) in by_rule(info, records) {
        let failed: Vec<&Record> = of
            .into_iter()
            .filter(|r| r.outcome.verdict == Verdict::Fail)
            .collect();
        if failed.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<section class=\"rule\">\n<h3>Rule <a href=\"#rule-{id}\">{id}</a> ({}): {} \
             failed</h3>\n<p>{}</p>",
            rule.level.as_str(),
            plural(failed.len(), "test"),
            inline_code(&rule.text),
            id = esc(&rule.id),
        );
        for record in failed {
            failure(out, record);
        }
        out.push_str("</section>\n");
    }
}

fn failure(out: &mut String, record: &Record) {
    let _ = writeln!(
        out,
        "<article class=\"failure\">\n<h4><code>{}</code></h4>\n<pre>{}</pre>",
        esc(&record.name),
        esc(&evidence(&record.outcome)),
    );
    commands(out, &record.outcome.exchanges);
    out.push_str("</article>\n");
}

/// Commands that repeat the test's requests, each distinct one once.
fn commands(out: &mut String, exchanges: &[Exchange]) {
    let mut distinct: Vec<&Exchange> = Vec::new();
    for exchange in exchanges {
        let seen = distinct
            .iter()
            .any(|e| e.url == exchange.url && e.credential == exchange.credential);
        if !seen {
            distinct.push(exchange);
        }
    }
    if distinct.is_empty() {
        return;
    }
    // One block each: a long URL wraps, and the blocks show where each command ends.
    for exchange in distinct.iter().take(COMMANDS_SHOWN) {
        let _ = writeln!(out, "<pre class=\"curl\">{}</pre>", esc(&curl(exchange)));
    }
    if distinct.len() > COMMANDS_SHOWN {
        let more = plural(distinct.len() - COMMANDS_SHOWN, "more request");
        let _ = writeln!(out, "<p>… and {more} (the JSON report lists them all).</p>");
    }
}

/// The tests not decided, with why: the commonest reasons, then each test.
fn undecided(out: &mut String, records: &[Record]) {
    let undecided: Vec<&Record> = records
        .iter()
        .filter(|r| {
            matches!(
                r.outcome.verdict,
                Verdict::Inconclusive | Verdict::NotApplicable
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "<h2 id=\"undecided\">Inconclusive and not applicable (<span id=\"undecided-count\">\
         {}</span>)</h2>",
        undecided.len()
    );
    if undecided.is_empty() {
        out.push_str("<p>None: every test that ran was decided.</p>\n");
        return;
    }
    let reasons = inconclusive_reasons(records);
    if !reasons.is_empty() {
        out.push_str("<p>Inconclusive, commonest reasons first:</p>\n<ul>\n");
        for (reason, n) in reasons {
            let _ = writeln!(out, "<li>{n} × {}</li>", esc(reason));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<table>\n<tr><th>test</th><th>verdict</th><th>reason</th></tr>\n");
    for record in undecided {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&record.name),
            verdict_span(record.outcome.verdict),
            esc(record.outcome.message.as_deref().unwrap_or_default()),
        );
    }
    out.push_str("</table>\n");
}

fn warnings(out: &mut String, records: &[Record]) {
    let warnings = super::warnings(records);
    if warnings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2 id=\"warnings\">Warnings ({})</h2>\n<p>Should rules that did not hold; \
         <code>--strict</code> makes them failures.</p>\n<ul>",
        warnings.len()
    );
    for (name, warning) in warnings {
        let _ = writeln!(out, "<li><code>{}</code>: {}</li>", esc(name), esc(warning));
    }
    out.push_str("</ul>\n");
}

fn footer(out: &mut String, info: &RunInfo) {
    let _ = writeln!(
        out,
        "<footer>Written by sensor-conformance {} at {}. The same run's JSON report \
         (report.json) holds every request made.</footer>",
        esc(info.tool_version),
        rfc3339(info.finished_ms),
    );
}

fn verdict_span(verdict: Verdict) -> String {
    format!(
        "<span class=\"v v-{}\">{}</span>",
        class(verdict),
        verdict.as_str()
    )
}

/// The CSS class of a verdict.
fn class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Inconclusive => "inconclusive",
        Verdict::NotApplicable => "not-applicable",
    }
}

/// Text with its `backticked` parts as code, the way RULES.md writes field names.
fn inline_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    // An odd backtick opens nothing: the last part then keeps it as written.
    let closed = parts.len() % 2 == 1;
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        match (i % 2 == 1, closed || i + 1 < parts.len()) {
            (true, true) => {
                let _ = write!(out, "<code>{}</code>", esc(part));
            }
            (true, false) => {
                let _ = write!(out, "`{}", esc(part));
            }
            (false, _) => out.push_str(&esc(part)),
        }
    }
    out
}

/// Text safe in HTML content and quoted attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code() {
        assert_eq!(
            inline_code("has `id` & <b>"),
            "has <code>id</code> &amp; &lt;b&gt;"
        );
        assert_eq!(inline_code("a `b` c `d"), "a <code>b</code> c `d");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(esc("a\u{0}b\nc"), "a\u{FFFD}b\nc");
    }
}
