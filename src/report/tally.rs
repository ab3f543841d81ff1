//! Counting verdicts: per endpoint, per rule, for the whole run, and the exit status they
//! give.

use super::RunInfo;
use crate::contract::{Endpoint, Rule};
use crate::suite::{Record, Verdict};
use std::collections::BTreeMap;

/// How many tests ended how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub not_applicable: usize,
    /// Tests with a warning, whatever their verdict (should rules without `--strict`).
    pub warned: usize,
}

impl Counts {
    pub fn of<'a>(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut counts = Counts::default();
        for record in records {
            match record.outcome.verdict {
                Verdict::Pass => counts.pass += 1,
                Verdict::Fail => counts.fail += 1,
                Verdict::Inconclusive => counts.inconclusive += 1,
                Verdict::NotApplicable => counts.not_applicable += 1,
            }
            counts.warned += usize::from(!record.outcome.warnings.is_empty());
        }
        counts
    }

    /// Every test that ran.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.inconclusive + self.not_applicable
    }

    /// The count of one verdict.
    pub fn get(&self, verdict: Verdict) -> usize {
        match verdict {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::Inconclusive => self.inconclusive,
            Verdict::NotApplicable => self.not_applicable,
        }
    }

    /// The verdicts that occur, with their counts, in the order reports show them.
    pub fn present(&self) -> impl Iterator<Item = (Verdict, usize)> + '_ {
        VERDICTS
            .into_iter()
            .map(|v| (v, self.get(v)))
            .filter(|(_, n)| *n > 0)
    }
}

/// Every verdict, in the order reports show them.
pub const VERDICTS: [Verdict; 4] = [
    Verdict::Pass,
    Verdict::Fail,
    Verdict::Inconclusive,
    Verdict::NotApplicable,
];

/// How a run ends: its exit status as DESIGN.md gives it, and what that means in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub status: u8,
    pub meaning: String,
}

impl Exit {
    /// The exit status of a run whose suite ran: 1 when a test failed (or, with
    /// `--fail-on-inconclusive`, was inconclusive), otherwise 0.
    pub fn of(records: &[Record], fail_on_inconclusive: bool) -> Exit {
        let counts = Counts::of(records);
        let total = counts.total();
        let failed = format!("{} of {}", counts.fail, plural(total, "test"));
        let inconclusive = fail_on_inconclusive && counts.inconclusive > 0;
        let (status, meaning) = match (counts.fail > 0, inconclusive) {
            (false, false) => (0, "no test failed".to_owned()),
            (true, false) => (1, format!("{failed} failed")),
            (true, true) => (
                1,
                format!(
                    "{failed} failed, and {} inconclusive (--fail-on-inconclusive)",
                    counts.inconclusive
                ),
            ),
            (false, true) => (
                1,
                format!(
                    "no test failed, but {} of {} inconclusive (--fail-on-inconclusive)",
                    counts.inconclusive,
                    plural(total, "test")
                ),
            ),
        };
        Exit { status, meaning }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}: {}", self.status, self.meaning)
    }
}

/// `n thing` or `n things`.
pub fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// A rule's verdict over its tests: failed if any failed; inconclusive if any could not be
/// decided (a rule is signed off as passed only when every test of it that applies passed);
/// passed, or not applicable; `None` when none of its tests ran.
pub fn rule_verdict(records: &[&Record]) -> Option<Verdict> {
    let has = |v| records.iter().any(|r| r.outcome.verdict == v);
    if records.is_empty() {
        None
    } else if has(Verdict::Fail) {
        Some(Verdict::Fail)
    } else if has(Verdict::Inconclusive) {
        Some(Verdict::Inconclusive)
    } else if has(Verdict::Pass) {
        Some(Verdict::Pass)
    } else {
        Some(Verdict::NotApplicable)
    }
}

/// The records of each rule, in catalogue order (rules none of whose tests ran included).
pub fn by_rule<'a>(info: &'a RunInfo, records: &'a [Record]) -> Vec<(&'a Rule, Vec<&'a Record>)> {
    info.rules
        .iter()
        .map(|rule| (rule, records.iter().filter(|r| r.rule == rule.id).collect()))
        .collect()
}

/// The records of each endpoint that has any.
pub fn by_endpoint(records: &[Record]) -> BTreeMap<Endpoint, Vec<&Record>> {
    let mut by: BTreeMap<Endpoint, Vec<&Record>> = BTreeMap::new();
    for record in records {
        by.entry(record.endpoint).or_default().push(record);
    }
    by
}

/// The records with this verdict.
pub fn with_verdict(records: &[Record], verdict: Verdict) -> Vec<&Record> {
    records
        .iter()
        .filter(|r| r.outcome.verdict == verdict)
        .collect()
}

/// Every warning of the run, with the name of the test that gave it.
pub fn warnings(records: &[Record]) -> Vec<(&str, &str)> {
    records
        .iter()
        .flat_map(|r| {
            r.outcome
                .warnings
                .iter()
                .map(move |w| (r.name.as_str(), w.as_str()))
        })
        .collect()
}

/// The distinct reasons of the inconclusive tests, commonest first, with their counts.
pub fn inconclusive_reasons(records: &[Record]) -> Vec<(&str, usize)> {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for record in with_verdict(records, Verdict::Inconclusive) {
        let reason = record.outcome.message.as_deref();
        *by.entry(reason.unwrap_or("no reason given")).or_default() += 1;
    }
    let mut common: Vec<(&str, usize)> = by.into_iter().collect();
    common.sort_by_key(|(reason, n)| (std::cmp::Reverse(*n), *reason));
    common
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Level;
    use crate::suite::Outcome;

    fn record(verdict: Verdict) -> Record {
        Record {
            name: "events::E9::x".to_owned(),
            rule: "E9".to_owned(),
            level: Level::Must,
            endpoint: Endpoint::Events,
            outcome: Outcome::new(verdict, None),
        }
    }

    fn verdict_of(verdicts: &[Verdict]) -> Option<Verdict> {
        let records: Vec<Record> = verdicts.iter().map(|v| record(*v)).collect();
        rule_verdict(&records.iter().collect::<Vec<_>>())
    }

    /// A rule is signed off as passed only when every test of it that applies passed.
    #[test]
    fn a_rule_passes_only_when_every_test_passed() {
        use Verdict::*;
        assert_eq!(verdict_of(&[Pass, Inconclusive]), Some(Inconclusive));
        assert_eq!(verdict_of(&[Pass, Inconclusive, Fail]), Some(Fail));
        assert_eq!(verdict_of(&[Pass, NotApplicable]), Some(Pass));
        assert_eq!(verdict_of(&[NotApplicable]), Some(NotApplicable));
        assert_eq!(verdict_of(&[]), None);
    }
}
