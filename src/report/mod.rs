//! Reports: pure functions of the run's records and what is known of the run.

mod console;
mod html;
mod json;
mod junit;
mod markdown;

pub use console::{rules, summary};
pub use html::html;
pub use json::json;
pub use junit::junit;
pub use markdown::markdown;

use crate::contract::{Endpoint, Rule};
use crate::suite::{Record, Verdict};
use crate::target::Clock;
use std::collections::BTreeMap;

/// What a report says of the run besides its tests.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub tool_version: &'static str,
    /// The target's URL, without credentials.
    pub target: String,
    pub builtin: bool,
    pub profile: &'static str,
    pub api_version: u8,
    pub strict: bool,
    pub fail_on_inconclusive: bool,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub clock: Clock,
    pub rules: Vec<Rule>,
}

/// How many tests ended how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub not_applicable: usize,
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

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.inconclusive + self.not_applicable
    }
}

/// A rule's verdict over its tests: failed if any failed, passed if any passed and none
/// failed, otherwise inconclusive or not applicable; `None` when none of its tests ran.
pub fn rule_verdict(records: &[&Record]) -> Option<Verdict> {
    let has = |v| records.iter().any(|r| r.outcome.verdict == v);
    if records.is_empty() {
        None
    } else if has(Verdict::Fail) {
        Some(Verdict::Fail)
    } else if has(Verdict::Pass) {
        Some(Verdict::Pass)
    } else if has(Verdict::Inconclusive) {
        Some(Verdict::Inconclusive)
    } else {
        Some(Verdict::NotApplicable)
    }
}

/// The records of each rule, in catalogue order.
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

/// An epoch-millisecond time as RFC 3339 (UTC).
pub fn rfc3339(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil(days);
    let (h, m, s, milli) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A command that repeats a request with curl, the token left to the shell.
pub fn curl(exchange: &crate::target::Exchange) -> String {
    let mut command = String::from("curl -sS -k");
    if let Some(header) = exchange.credential.header_for_shell() {
        command.push_str(&format!(" -H \"{header}\""));
    }
    command.push_str(&format!(" '{}'", exchange.url.replace('\'', "'\\''")));
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_594_550_986_001), "2020-07-12T10:49:46.001Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
