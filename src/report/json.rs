//! The JSON report: versioned, described by `schemas/report.schema.json`.

use super::{Counts, Exit, RunInfo, by_rule, headline, rfc3339, rule_verdict};
use crate::suite::Record;
use crate::target::Exchange;
use serde_json::{Value, json as j};

/// The report's format version. It is raised when a field is removed or renamed, changes its
/// type or its meaning; fields added within a version are described by the schema of the
/// release that adds them, and readers ignore fields they do not know.
pub const FORMAT_VERSION: u64 = 1;

/// The JSON report of a run.
pub fn json(info: &RunInfo, records: &[Record]) -> Value {
    let exit = Exit::of(records, info.fail_on_inconclusive);
    j!({
        "format": "sensor-conformance-report",
        "formatVersion": FORMAT_VERSION,
        "tool": {"name": "sensor-conformance", "version": info.tool_version},
        "target": {"url": info.target, "builtin": info.builtin},
        "options": {
            "strict": info.strict,
            "profile": info.profile,
            "apiVersion": info.api_version,
            "failOnInconclusive": info.fail_on_inconclusive,
        },
        "started": rfc3339(info.started_ms),
        "finished": rfc3339(info.finished_ms),
        "clock": {"offsetMs": info.clock.offset_ms, "uncertaintyMs": info.clock.uncertainty_ms},
        "summary": counts(&Counts::of(records)),
        "exit": {"status": exit.status, "meaning": exit.meaning},
        "rules": rules(info, records),
        "tests": records.iter().map(test).collect::<Vec<_>>(),
    })
}

fn counts(counts: &Counts) -> Value {
    j!({
        "tests": counts.total(),
        "pass": counts.pass,
        "fail": counts.fail,
        "inconclusive": counts.inconclusive,
        "notApplicable": counts.not_applicable,
        "withWarnings": counts.warned,
    })
}

fn rules(info: &RunInfo, records: &[Record]) -> Value {
    let rules = by_rule(info, records).into_iter().map(|(rule, of)| {
        j!({
            "id": rule.id,
            "level": rule.level.as_str(),
            "text": rule.text,
            "tests": of.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "verdict": rule_verdict(&of).map(|v| v.as_str()),
        })
    });
    Value::Array(rules.collect())
}

fn test(record: &Record) -> Value {
    let outcome = &record.outcome;
    j!({
        "name": record.name,
        "endpoint": record.endpoint.name(),
        "rule": record.rule,
        "level": record.level.as_str(),
        "verdict": outcome.verdict.as_str(),
        "reason": headline(outcome),
        "message": outcome.message,
        "warnings": outcome.warnings,
        "observations": outcome.observations,
        "requests": outcome.exchanges.iter().map(request).collect::<Vec<_>>(),
    })
}

fn request(exchange: &Exchange) -> Value {
    j!({
        "method": exchange.method,
        "url": exchange.url,
        "credential": exchange.credential,
        "status": exchange.status,
        "durationMs": exchange.duration_ms,
        "bodyBytes": exchange.body_bytes,
        "sent": rfc3339(exchange.sent_ms),
    })
}
