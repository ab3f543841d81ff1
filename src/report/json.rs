//! The JSON report: versioned, described by `schemas/report.schema.json`.

use super::{Counts, RunInfo, by_rule, rfc3339, rule_verdict};
use crate::suite::Record;
use serde_json::{Value, json as j};

/// The report's format version; a change that breaks readers raises it.
pub const FORMAT_VERSION: u64 = 1;

/// The JSON report of a run.
pub fn json(info: &RunInfo, records: &[Record]) -> Value {
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
        "rules": by_rule(info, records).iter().map(|(rule, of)| j!({
            "id": rule.id,
            "level": rule.level.as_str(),
            "text": rule.text,
            "tests": of.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "verdict": rule_verdict(of).map(|v| v.as_str()),
        })).collect::<Vec<_>>(),
        "tests": records.iter().map(test).collect::<Vec<_>>(),
    })
}

fn counts(counts: &Counts) -> Value {
    j!({
        "pass": counts.pass,
        "fail": counts.fail,
        "inconclusive": counts.inconclusive,
        "notApplicable": counts.not_applicable,
        "withWarnings": counts.warned,
    })
}

fn test(record: &Record) -> Value {
    let outcome = &record.outcome;
    j!({
        "name": record.name,
        "endpoint": record.endpoint.name(),
        "rule": record.rule,
        "level": record.level.as_str(),
        "verdict": outcome.verdict.as_str(),
        "message": outcome.message,
        "warnings": outcome.warnings,
        "observations": outcome.observations,
        "requests": outcome.exchanges.iter().map(|e| j!({
            "method": e.method,
            "url": e.url,
            "credential": e.credential,
            "status": e.status,
            "durationMs": e.duration_ms,
            "bodyBytes": e.body_bytes,
            "sent": rfc3339(e.sent_ms),
        })).collect::<Vec<_>>(),
    })
}
