//! What the console shows after the suite: counts per endpoint, the commonest reasons for
//! inconclusive tests, the warnings of should rules, and the exit status.

use crate::cli::{ContractArgs, Failure};
use crate::contract::{Contract, Endpoint};
use crate::suite::{self, Record, Verdict};
use crate::target::Clock;
use std::collections::BTreeMap;
use std::fmt::Write as _;

macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        // Writing to a String cannot fail.
        let _ = writeln!($out, $($arg)*);
    }};
}
use std::io::Write as _;

/// How many distinct inconclusive reasons the summary names.
const REASONS_SHOWN: usize = 5;

/// Prints the closing summary of a run to stdout.
pub fn summary(records: &[Record], url: &str, clock: &Clock, builtin: bool) {
    let mut out = String::new();
    let target = if builtin {
        format!("{url} (built-in reference sensor)")
    } else {
        url.to_owned()
    };
    outln!(out, "\nsensor-conformance summary");
    outln!(out, "  target: {target}");
    outln!(
        out,
        "  sensor clock: {:+.1} s from ours (± {:.1} s)",
        clock.offset_ms as f64 / 1000.0,
        clock.uncertainty_ms as f64 / 1000.0
    );
    for endpoint in Endpoint::ALL {
        let of: Vec<&Record> = records.iter().filter(|r| r.endpoint == endpoint).collect();
        if !of.is_empty() {
            outln!(
                out,
                "  {:<10} {}",
                endpoint.name(),
                counts(of.iter().copied())
            );
        }
    }
    outln!(out, "  {:<10} {}", "all", counts(records.iter()));
    reasons(&mut out, records);
    warnings(&mut out, records);
    let failed = records
        .iter()
        .filter(|r| r.outcome.verdict == Verdict::Fail)
        .count();
    match failed {
        0 => outln!(out, "  verdict: no test failed"),
        n => outln!(
            out,
            "  verdict: {n} test{} failed",
            if n == 1 { "" } else { "s" }
        ),
    }
    emit(&out);
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
pub(crate) fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn counts<'a>(records: impl Iterator<Item = &'a Record>) -> String {
    let mut by: BTreeMap<Verdict, usize> = BTreeMap::new();
    let mut warned = 0;
    for record in records {
        *by.entry(record.outcome.verdict).or_default() += 1;
        warned += usize::from(!record.outcome.warnings.is_empty());
    }
    let n = |v| by.get(&v).copied().unwrap_or(0);
    format!(
        "{} pass, {} fail, {} inconclusive, {} not applicable, {} with warnings",
        n(Verdict::Pass),
        n(Verdict::Fail),
        n(Verdict::Inconclusive),
        n(Verdict::NotApplicable),
        warned
    )
}

fn reasons(out: &mut String, records: &[Record]) {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for record in records
        .iter()
        .filter(|r| r.outcome.verdict == Verdict::Inconclusive)
    {
        *by.entry(
            record
                .outcome
                .message
                .as_deref()
                .unwrap_or("no reason given"),
        )
        .or_default() += 1;
    }
    if by.is_empty() {
        return;
    }
    let mut common: Vec<(&str, usize)> = by.into_iter().collect();
    common.sort_by_key(|(reason, n)| (std::cmp::Reverse(*n), *reason));
    outln!(out, "  inconclusive, by reason:");
    for (reason, n) in common.into_iter().take(REASONS_SHOWN) {
        outln!(out, "    {n} × {reason}");
    }
}

fn warnings(out: &mut String, records: &[Record]) {
    let warned: Vec<&Record> = records
        .iter()
        .filter(|r| !r.outcome.warnings.is_empty())
        .collect();
    if warned.is_empty() {
        return;
    }
    outln!(
        out,
        "  warnings (should rules; --strict makes them failures):"
    );
    for record in warned {
        for warning in &record.outcome.warnings {
            outln!(
                out,
                "    {}: {}",
                record.name,
                warning.lines().next().unwrap_or_default()
            );
        }
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
