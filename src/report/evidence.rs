//! What reports show of a test's evidence: its one-line headline, the command that repeats a
//! request, and times.

use crate::suite::{Outcome, Verdict};
use crate::target::Exchange;

/// One line saying what a test found, for listings: for a failure, what was expected and what
/// came (without the rule line its message opens with); for a test not decided, why.
pub fn headline(outcome: &Outcome) -> Option<String> {
    let message = outcome.message.as_deref()?;
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines.next()?;
    if outcome.verdict == Verdict::Fail && first.starts_with("rule ") {
        first = lines.next().unwrap_or(first);
    }
    // "…; 3 errors:" announces a list: its first item says what the errors are.
    Some(match (first.ends_with(':'), lines.next()) {
        (true, Some(next)) => format!("{first} {next}"),
        _ => first.to_owned(),
    })
}

/// A failure's message without the rule line it opens with, for reports that show the rule
/// already; each line loses the indentation it had under that line.
pub fn evidence(outcome: &Outcome) -> String {
    let message = outcome.message.as_deref().unwrap_or_default();
    let mut lines: Vec<&str> = message.lines().collect();
    if outcome.verdict == Verdict::Fail && lines.first().is_some_and(|l| l.starts_with("rule ")) {
        lines.remove(0);
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let dedented: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect();
    dedented.join("\n")
}

/// A command that repeats a request with curl, the token left to the shell's environment.
///
/// `-g` and `--path-as-is` make curl send the URL exactly as the test did (no globbing of
/// brackets and braces, no folding of `..`); `-i` shows the status and headers that decided
/// the test; `-k` because sensors mostly have self-signed certificates.
pub fn curl(exchange: &Exchange) -> String {
    let mut command = String::from("curl -sS -i -k -g --path-as-is");
    if let Some(header) = exchange.credential.header_for_shell() {
        command.push_str(&format!(" -H \"{header}\""));
    }
    command.push_str(&format!(" '{}'", exchange.url.replace('\'', "'\\''")));
    command
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

/// A length of time for people: milliseconds below a second, seconds with a tenth above.
pub fn duration(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Credential;

    fn outcome(verdict: Verdict, message: &str) -> Outcome {
        Outcome::new(verdict, Some(message.to_owned()))
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_594_550_986_001), "2020-07-12T10:49:46.001Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn headline_skips_the_rule_line_of_a_failure() {
        let failed = outcome(
            Verdict::Fail,
            "rule A6 (must): Any other state…\n  expected status 4xx; got 200\n  request: GET /",
        );
        assert_eq!(
            headline(&failed).as_deref(),
            Some("expected status 4xx; got 200")
        );
        let undecided = outcome(Verdict::Inconclusive, "rule A7 has no alert before the pin");
        assert_eq!(
            headline(&undecided).as_deref(),
            Some("rule A7 has no alert before the pin")
        );
    }

    #[test]
    fn headline_names_the_first_of_a_list() {
        let failed = outcome(
            Verdict::Fail,
            "rule A2 (must): …\n  expected schema alerts-v1; 2 errors:\n  at /0/id: not an integer",
        );
        assert_eq!(
            headline(&failed).as_deref(),
            Some("expected schema alerts-v1; 2 errors: at /0/id: not an integer")
        );
    }

    #[test]
    fn evidence_drops_the_rule_line_and_its_indentation() {
        let failed = outcome(
            Verdict::Fail,
            "rule A6 (must): text\n  expected 4xx; got 200\n    detail\n  request: GET /",
        );
        assert_eq!(
            evidence(&failed),
            "expected 4xx; got 200\n  detail\nrequest: GET /"
        );
    }

    #[test]
    fn curl_sends_the_url_as_is_and_leaves_the_token_to_the_shell() {
        let exchange = Exchange {
            method: "GET",
            url: "https://127.0.0.1:1/api/v1/alerts?type=it's[1]".to_owned(),
            status: Some(200),
            duration_ms: 3,
            body_bytes: 2,
            sent_ms: 0,
            credential: Credential::Api,
        };
        assert_eq!(
            curl(&exchange),
            "curl -sS -i -k -g --path-as-is -H \"Authorization: $SENSOR_TOKEN\" \
             'https://127.0.0.1:1/api/v1/alerts?type=it'\\''s[1]'"
        );
    }
}
