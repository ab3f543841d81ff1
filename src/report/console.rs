//! What the console shows after the suite: counts per endpoint, the commonest reasons for
//! inconclusive tests, the warnings of should rules, and the exit status in words and number.

use super::{Counts, Exit, RunInfo, by_endpoint, inconclusive_reasons, plural};
use crate::cli::{ContractArgs, Failure};
use crate::contract::Contract;
use crate::suite::{self, Record};
use std::fmt::Write as _;
use std::io::Write as _;

macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        // Writing to a String cannot fail.
        let _ = writeln!($out, $($arg)*);
    }};
}

/// How many distinct inconclusive reasons the summary names.
const REASONS_SHOWN: usize = 5;
/// How many warnings the summary lists; the reports have them all.
const WARNINGS_SHOWN: usize = 10;
/// The columns of the counts table, each as wide as its heading.
const COLUMNS: [&str; 5] = ["pass", "fail", "inconclusive", "not applicable", "warnings"];

/// The closing summary of a run, as the console shows it after libtest's own lines.
pub fn summary(info: &RunInfo, records: &[Record]) -> String {
    let mut out = String::new();
    outln!(out, "\nsensor-conformance summary");
    outln!(out, "  target        {}", info.target_described());
    outln!(
        out,
        "  sensor clock  {:+.1} s from ours (± {:.1} s)\n",
        info.clock.offset_ms as f64 / 1000.0,
        info.clock.uncertainty_ms as f64 / 1000.0
    );
    counts_table(&mut out, records);
    reasons(&mut out, records);
    warnings(&mut out, records);
    outln!(out, "\n  {}", Exit::of(records, info.fail_on_inconclusive));
    out
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
pub fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn counts_table(out: &mut String, records: &[Record]) {
    outln!(out, "  {:<10} {}", "endpoint", COLUMNS.join("  "));
    for (endpoint, of) in by_endpoint(records) {
        counts_row(out, endpoint.name(), &Counts::of(of));
    }
    counts_row(out, "all", &Counts::of(records));
}

fn counts_row(out: &mut String, name: &str, counts: &Counts) {
    let values = [
        counts.pass,
        counts.fail,
        counts.inconclusive,
        counts.not_applicable,
        counts.warned,
    ];
    let cells: Vec<String> = COLUMNS
        .iter()
        .zip(values)
        .map(|(heading, n)| format!("{n:>width$}", width = heading.len()))
        .collect();
    outln!(out, "  {name:<10} {}", cells.join("  "));
}

fn reasons(out: &mut String, records: &[Record]) {
    let common = inconclusive_reasons(records);
    if common.is_empty() {
        return;
    }
    outln!(out, "\n  inconclusive, commonest reasons first:");
    for (reason, n) in common.iter().take(REASONS_SHOWN) {
        outln!(out, "    {n} × {reason}");
    }
    if common.len() > REASONS_SHOWN {
        let more = plural(common.len() - REASONS_SHOWN, "other reason");
        outln!(out, "    … and {more} (the reports give each test's)");
    }
}

fn warnings(out: &mut String, records: &[Record]) {
    let warnings = super::warnings(records);
    if warnings.is_empty() {
        return;
    }
    outln!(
        out,
        "\n  warnings (should rules; --strict makes them failures):"
    );
    for (name, warning) in warnings.iter().take(WARNINGS_SHOWN) {
        outln!(
            out,
            "    {name}: {}",
            warning.lines().next().unwrap_or_default()
        );
    }
    if warnings.len() > WARNINGS_SHOWN {
        let more = plural(warnings.len() - WARNINGS_SHOWN, "more warning");
        outln!(out, "    … and {more} (the reports list them all)");
    }
}

/// The `rules` command: every rule with its level, its text and the tests that check it.
pub fn rules(args: &ContractArgs) -> Result<(), Failure> {
    let mut out = String::new();
    let contract = Contract::load(args.cases.as_deref(), args.schemas.as_deref())?;
    let tests = suite::expand(&contract);
    for rule in contract.rules.iter() {
        outln!(out, "{} [{}] {}", rule.id, rule.level.as_str(), rule.text);
        let names: Vec<&str> = tests
            .iter()
            .filter(|t| t.case.rule == rule.id)
            .map(|t| t.name.as_str())
            .collect();
        if names.is_empty() {
            outln!(out, "    (no tests yet)");
        }
        for name in names {
            outln!(out, "    {name}");
        }
    }
    emit(&out);
    Ok(())
}
