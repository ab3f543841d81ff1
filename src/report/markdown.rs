//! A short Markdown summary, for a CI step summary.

use super::{Counts, RunInfo, by_endpoint};
use crate::suite::{Record, Verdict};
use std::fmt::Write as _;

/// Failures listed at most; the rest are counted.
const FAILURES_LISTED: usize = 20;

/// The Markdown summary of a run.
pub fn markdown(info: &RunInfo, records: &[Record]) -> String {
    let total = Counts::of(records);
    let mut out = String::new();
    let verdict = if total.fail == 0 {
        "no test failed"
    } else {
        "tests failed"
    };
    let _ = writeln!(out, "## sensor-conformance: {verdict}\n");
    let _ = writeln!(
        out,
        "Target `{}`, API version {}, profile {}{}.\n",
        info.target,
        info.api_version,
        info.profile,
        if info.strict { ", strict" } else { "" }
    );
    out.push_str("| endpoint | pass | fail | inconclusive | not applicable | warnings |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for (endpoint, of) in by_endpoint(records) {
        row(&mut out, endpoint.name(), &Counts::of(of));
    }
    row(&mut out, "**all**", &total);
    let failed: Vec<&Record> = records
        .iter()
        .filter(|r| r.outcome.verdict == Verdict::Fail)
        .collect();
    if !failed.is_empty() {
        out.push_str("\n### Failures\n\n");
        for record in failed.iter().take(FAILURES_LISTED) {
            let message = record.outcome.message.as_deref().unwrap_or_default();
            let detail = message.lines().nth(1).unwrap_or_default().trim();
            let _ = writeln!(out, "- `{}`: {}", record.name, detail.replace('|', "\\|"));
        }
        if failed.len() > FAILURES_LISTED {
            let _ = writeln!(out, "- … and {} more", failed.len() - FAILURES_LISTED);
        }
    }
    out
}

fn row(out: &mut String, name: &str, c: &Counts) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} |",
        c.pass, c.fail, c.inconclusive, c.not_applicable, c.warned
    );
}
