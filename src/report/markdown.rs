//! A short Markdown summary, for a CI step summary: the verdict and exit status, counts per
//! endpoint, the rules that failed, and why tests were inconclusive.

use super::{Counts, Exit, RunInfo, by_endpoint, by_rule, headline, inconclusive_reasons};
use crate::suite::{Record, Verdict};
use std::fmt::Write as _;

/// Failed rules listed at most; the rest are counted.
const RULES_LISTED: usize = 20;
/// Inconclusive reasons listed at most.
const REASONS_LISTED: usize = 5;

/// The Markdown summary of a run.
pub fn markdown(info: &RunInfo, records: &[Record]) -> String {
    let mut out = String::new();
    let exit = Exit::of(records, info.fail_on_inconclusive);
    let mark = if exit.status == 0 { "✅" } else { "❌" };
    let heading = format!("{} (exit status {})", exit.meaning, exit.status);
    let _ = writeln!(out, "## {mark} sensor-conformance: {}\n", text(&heading));
    let _ = writeln!(
        out,
        "Target {}, API version {}, profile {}{}, sensor-conformance {}.\n",
        code(&info.target_described()),
        info.api_version,
        info.profile,
        if info.strict { ", strict" } else { "" },
        info.tool_version,
    );
    counts(&mut out, records);
    failed_rules(&mut out, info, records);
    reasons(&mut out, records);
    out
}

fn counts(out: &mut String, records: &[Record]) {
    out.push_str("| endpoint | pass | fail | inconclusive | not applicable | warnings |\n");
    out.push_str("|---|--:|--:|--:|--:|--:|\n");
    for (endpoint, of) in by_endpoint(records) {
        row(out, endpoint.name(), &Counts::of(of));
    }
    row(out, "**all**", &Counts::of(records));
}

fn row(out: &mut String, name: &str, c: &Counts) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} |",
        c.pass, c.fail, c.inconclusive, c.not_applicable, c.warned
    );
}

/// One row per failed rule: how many of its tests failed, and the first failure.
fn failed_rules(out: &mut String, info: &RunInfo, records: &[Record]) {
    let failed: Vec<(&str, &str, Vec<&Record>)> = by_rule(info, records)
        .into_iter()
        .map(|(rule, of)| (rule.id.as_str(), rule.level.as_str(), of))
        .filter(|(_, _, of)| of.iter().any(|r| r.outcome.verdict == Verdict::Fail))
        .collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("\n### Failed rules\n\n| rule | level | failed | first failure |\n");
    out.push_str("|---|---|--:|---|\n");
    for (id, level, of) in failed.iter().take(RULES_LISTED) {
        let fails: Vec<&&Record> = of
            .iter()
            .filter(|r| r.outcome.verdict == Verdict::Fail)
            .collect();
        let first = fails[0];
        let _ = writeln!(
            out,
            "| {id} | {level} | {} of {} | {}: {} |",
            fails.len(),
            of.len(),
            code(&first.name).replace('|', "\\|"),
            text(&headline(&first.outcome).unwrap_or_default()),
        );
    }
    if failed.len() > RULES_LISTED {
        let _ = writeln!(
            out,
            "\n… and {} more rules failed.",
            failed.len() - RULES_LISTED
        );
    }
}

fn reasons(out: &mut String, records: &[Record]) {
    let common = inconclusive_reasons(records);
    if common.is_empty() {
        return;
    }
    out.push_str("\n### Inconclusive, commonest reasons first\n\n");
    for (reason, n) in common.iter().take(REASONS_LISTED) {
        let _ = writeln!(out, "- {n} × {}", text(reason));
    }
}

/// Text that Markdown shows as written: no HTML, no emphasis or links by accident.
fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // `$` opens math on GitHub.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span, with a fence longer than any run of backticks inside.
fn code(raw: &str) -> String {
    let longest = raw.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let flat = raw.replace(['\n', '\r'], " ");
    // A space apart from the fence only where a backtick would touch it.
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_shows_markup_as_written() {
        assert_eq!(
            text("state=<empty> | a_b *c* `d` $x"),
            "state=&lt;empty&gt; \\| a\\_b \\*c\\* \\`d\\` \\$x"
        );
    }

    #[test]
    fn code_fences_backticks_inside() {
        assert_eq!(code("a::b"), "`a::b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`y"), "`` `y ``");
    }
}
