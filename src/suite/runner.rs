//! Running one test: fill in its requests, fetch the answers, decide each check, and turn what
//! the checks found into a verdict by the rule's level.

use super::context::{Context, Resolved};
use super::expand::Test;
use super::verdict::{Outcome, Verdict};
use crate::check::{self, Env, Finding};
use crate::contract::{Check, Endpoint, FRESH_TRIES, Level, Request, Template};
use crate::target::{Answer, Credential, Exchange, Sent, sent_items};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an events answer may have been cached by the target when the query is not fresh.
const CACHE_HOUR_MS: i64 = 3_600_000;
/// How long a fresh query may have been cached by a run started in the same ten seconds.
const SAME_SALT_MS: i64 = 15_000;
/// How often a test whose relation failed is tried again on fresh answers (data drifts).
const DRIFT_RETRIES: u32 = 2;
/// How much of a failing answer's body its message shows.
const EXCERPT: usize = 200;
/// The pause before a test whose relation failed is tried again, and the longest between polls
/// of a timeline that has not moved yet.
const POLL_PAUSE: Duration = Duration::from_millis(1000);
/// The first pause between polls, doubled up to [`POLL_PAUSE`]: a busy timeline is seen to move
/// soon, and a quiet one costs a request a second.
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(250);

/// What a test gathered before its checks are decided.
struct Gathered {
    subject: (Resolved, Arc<Sent>),
    others: BTreeMap<String, (Resolved, Arc<Sent>)>,
    exchanges: Vec<Exchange>,
}

/// Runs `test` and returns its outcome, with secrets redacted.
pub async fn run_test(context: &Context, test: &Test) -> Outcome {
    let outcome = match not_applicable(context, test) {
        Some(outcome) => outcome,
        None => decide(context, test).await,
    };
    context.redactor.outcome(outcome)
}

fn not_applicable(context: &Context, test: &Test) -> Option<Outcome> {
    (context.options.api_version == 1 && test.v2).then(|| {
        let reason = "--api-version 1: the rule concerns version 2 of the API".to_owned();
        Outcome::new(Verdict::NotApplicable, Some(reason))
    })
}

async fn decide(context: &Context, test: &Test) -> Outcome {
    let mut outcome = attempt(context, test, 0).await;
    let relational = test.case.checks.iter().any(is_relation);
    let mut retry = 0;
    while outcome.verdict == Verdict::Fail && relational && retry < DRIFT_RETRIES {
        retry += 1;
        tokio::time::sleep(POLL_PAUSE).await;
        let mut again = attempt(context, test, retry).await;
        again.exchanges.splice(0..0, outcome.exchanges.drain(..));
        outcome = again;
    }
    if retry > 0 {
        let note = match outcome.verdict {
            Verdict::Fail => format!("still disagrees after {retry} tries on fresh answers"),
            _ => format!(
                "held on try {} on fresh answers (the data drifted)",
                retry + 1
            ),
        };
        match &mut outcome.message {
            Some(message) if outcome.verdict == Verdict::Fail => {
                message.push_str(&format!("\n  ({note})"))
            }
            _ => outcome.observations.push(note),
        }
    }
    outcome
}

/// One try: `try_number` 0 uses the run's shared answers, later tries fetch afresh.
async fn attempt(context: &Context, test: &Test, try_number: u32) -> Outcome {
    let gathered = match gather(context, test, try_number).await {
        Ok(gathered) => gathered,
        Err(outcome) => return outcome,
    };
    let mut exchanges = gathered.exchanges.clone();
    let findings = match answers(&gathered) {
        Ok((subject, others)) => {
            let evaluation = Evaluation {
                context,
                try_number,
                test,
                gathered: &gathered,
                subject,
                others,
            };
            evaluation.findings(&mut exchanges).await
        }
        Err(transport) => vec![Finding::Fails(transport)],
    };
    let mut outcome = verdict(context, test, findings, &gathered, exchanges);
    spelling_warnings(&gathered, &mut outcome);
    if gathered
        .subject
        .1
        .as_ref()
        .as_ref()
        .is_ok_and(|a| a.status == 503)
    {
        outcome
            .warnings
            .push("G5 (should): a 503 persisted after every retry".to_owned());
    }
    outcome
}

/// A test's answers, ready for its checks.
struct Evaluation<'a> {
    context: &'a Context,
    /// Which try this is: the check's templates are filled in as the requests were.
    try_number: u32,
    test: &'a Test,
    gathered: &'a Gathered,
    subject: &'a Answer,
    others: BTreeMap<String, &'a Answer>,
}

impl Evaluation<'_> {
    /// The preconditions first: when one does not hold, the checks are not decided.
    async fn findings(&self, exchanges: &mut Vec<Exchange>) -> Vec<Finding> {
        if let Some(busy) = self.busy() {
            return vec![Finding::Undecided(busy)];
        }
        // A8 and E5 are prerequisites of other rules; for their own tests, a prerequisite
        // that does not hold is a failure of the rule.
        let own = self.test.case.rule.as_str();
        let pin = pin_prerequisite(self.context, self.gathered);
        if let Some(why) = pin.as_ref().filter(|_| own == "A8") {
            return vec![Finding::Fails(why.clone())];
        }
        if own != "E5"
            && let Some(why) = window_prerequisite(self.context, self.gathered).await
        {
            return vec![Finding::Undecided(format!(
                "prerequisite E5 does not hold: {why}"
            ))];
        }
        let mut findings = Vec::new();
        for check in &self.test.case.given {
            if let Finding::Fails(why) = self.evaluate(check, exchanges).await {
                let why = format!("a precondition does not hold: {why}");
                findings.push(Finding::Undecided(why));
            }
        }
        if !findings.is_empty() {
            return findings;
        }
        for check in &self.test.case.checks {
            // A list that shows an item after its pin can still be checked on its own; it is
            // only related to others once the pin holds.
            let finding = match &pin {
                Some(why) if is_relation(check) => {
                    Finding::Undecided(format!("prerequisite A8 does not hold: {why}"))
                }
                _ => self.evaluate(check, exchanges).await,
            };
            findings.push(finding);
        }
        findings
    }

    /// A target still busy after the client's retries decides nothing (RULES.md: 429 and 503
    /// never decide a verdict).
    fn busy(&self) -> Option<String> {
        let answers = std::iter::once(self.subject).chain(self.others.values().copied());
        let busy = answers
            .into_iter()
            .find(|a| matches!(a.status, 429 | 503))?;
        Some(format!(
            "the target stayed busy: {} answered {} after every retry",
            busy.exchange.url, busy.status
        ))
    }

    async fn evaluate(&self, check: &Check, exchanges: &mut Vec<Exchange>) -> Finding {
        let (context, test, gathered, subject) =
            (self.context, self.test, self.gathered, self.subject);
        match check {
            Check::CachedRepeat { poll } => {
                cached_repeat(context, test, gathered, poll, exchanges).await
            }
            Check::Latest { count, types } => {
                latest(context, gathered, subject, (*count, *types), exchanges).await
            }
            Check::FreshAnswers { poll } => {
                let moved = poll_until_moved(context, test, subject, poll, exchanges).await;
                moved.map_or_else(Finding::Undecided, |()| Finding::Holds)
            }
            _ => self.decide(check).await,
        }
    }

    /// A check decided on the answers alone, once the templates it carries are filled in.
    async fn decide(&self, check: &Check) -> Finding {
        let values = resolve_check_templates(self.context, self.test, check, self.try_number).await;
        let resolve = |template: &Template| {
            let found = values
                .iter()
                .find(|(t, _)| t == template)
                .map(|(_, v)| v.clone());
            found.unwrap_or_else(|| Err("a template of the check was not filled in".to_owned()))
        };
        let env = env(self.context, self.test, &self.gathered.subject.0, &resolve);
        if is_relation(check) {
            check::relation(check, self.subject, &self.others, &env)
        } else {
            check::single(check, self.subject, &env)
        }
    }
}

async fn gather(context: &Context, test: &Test, try_number: u32) -> Result<Gathered, Outcome> {
    let value = test.value.as_deref();
    let inconclusive = |reason: String| Outcome::new(Verdict::Inconclusive, Some(reason));
    if test.endpoint == Endpoint::Pcap {
        context.capture_proven().await.map_err(inconclusive)?;
    }
    let subject = context
        .resolve(&test.case.request, test.endpoint, value, try_number)
        .await
        .map_err(inconclusive)?;
    let mut others = BTreeMap::new();
    for (name, request) in &test.case.with {
        let resolved = context
            .resolve(request, test.endpoint, value, try_number)
            .await
            .map_err(|reason| inconclusive(format!("`{name}`: {reason}")))?;
        others.insert(name.clone(), resolved);
    }
    let fetch = |resolved: Resolved| async move {
        let sent = if try_number == 0 {
            context.fetch(&resolved).await
        } else {
            context.fetch_fresh(&resolved).await
        };
        (resolved, sent)
    };
    // The requests of a test are independent: send them together.
    let names: Vec<String> = others.keys().cloned().collect();
    let requests = std::iter::once(subject)
        .chain(others.into_values())
        .map(fetch);
    let mut answers = futures_util::future::join_all(requests).await.into_iter();
    let subject = answers.next().expect("the subject is the first request");
    let fetched: BTreeMap<String, (Resolved, Arc<Sent>)> = names.into_iter().zip(answers).collect();
    let exchanges = std::iter::once(&subject)
        .chain(fetched.values())
        .map(|(_, sent)| exchange_of(sent))
        .collect();
    Ok(Gathered {
        subject,
        others: fetched,
        exchanges,
    })
}

fn exchange_of(sent: &Sent) -> Exchange {
    match sent {
        Ok(answer) => answer.exchange.clone(),
        Err(error) => error.exchange.clone(),
    }
}

/// The answers, or the first request that got none.
fn answers(gathered: &Gathered) -> Result<(&Answer, BTreeMap<String, &Answer>), String> {
    let subject = gathered
        .subject
        .1
        .as_ref()
        .as_ref()
        .map_err(transport_failure)?;
    let mut others = BTreeMap::new();
    for (name, (_, sent)) in &gathered.others {
        let answer = sent
            .as_ref()
            .as_ref()
            .map_err(|e| format!("`{name}`: {}", transport_failure(e)))?;
        others.insert(name.clone(), answer);
    }
    Ok((subject, others))
}

fn transport_failure(error: &crate::target::TransportError) -> String {
    format!("the request got no answer: {}", error.message)
}

/// Pinned lists rely on `toTime` (A8): an item at or after the pin makes relations undecidable.
/// What a pinned list of the test shows after its pin, if anything.
fn pin_prerequisite(context: &Context, gathered: &Gathered) -> Option<String> {
    let pinned = std::iter::once(&gathered.subject).chain(gathered.others.values());
    pinned
        .filter(|(r, _)| r.pinned)
        .find_map(|(resolved, sent)| {
            let items = sent_items(sent);
            let item = items
                .iter()
                .find(|i| i.time.is_some_and(|t| t >= context.pin))?;
            Some(format!(
                "{}?{} returned an item at {}, not before the pin",
                resolved.path,
                resolved.query,
                item.time.unwrap_or_default()
            ))
        })
}

/// The events window at which the page caps `minutesTimeFrame` (E5).
const WINDOW_CAP_MINUTES: u64 = 4320;

/// A fresh events window lies above the cap, so that it stands for the whole window and no
/// cache has seen it: that relies on E5. When such a request is refused and so is the bare
/// window (`minutesTimeFrame={fresh:20000}` alone), the sensor fails E5, and the test that
/// needed the window is not decided. A refusal of the window with other parameters only is the
/// test's own to judge.
async fn window_prerequisite(context: &Context, gathered: &Gathered) -> Option<String> {
    let refused = |sent: &Sent| {
        let answer = sent.as_ref().ok()?;
        let refusal = answer.status / 100 == 4 && !matches!(answer.status, 401 | 403 | 429);
        refusal.then_some(answer.status)
    };
    let above_cap = |resolved: &Resolved| {
        form_urlencoded::parse(resolved.query.as_bytes()).any(|(key, value)| {
            key == "minutesTimeFrame" && value.parse::<u64>().is_ok_and(|m| m > WINDOW_CAP_MINUTES)
        })
    };
    let requests = std::iter::once(&gathered.subject).chain(gathered.others.values());
    let (resolved, status) = requests
        .filter(|(r, _)| r.fresh && r.credential == Credential::Api && above_cap(r))
        .find_map(|(resolved, sent)| Some((resolved, refused(sent)?)))?;
    let bare = context.recent_events().await.ok()?;
    let bare_status = refused(&bare)?;
    Some(format!(
        "a window above {WINDOW_CAP_MINUTES} minutes alone is refused ({bare_status}), and {}?{} \
         answered {status}; this test's fresh window relies on E5",
        resolved.path, resolved.query
    ))
}

fn is_relation(check: &Check) -> bool {
    matches!(
        check,
        Check::SameItems(_)
            | Check::SameItemsExceptNear(_)
            | Check::SubsetOf(_)
            | Check::Partition(_)
            | Check::FilterOf(_)
            | Check::IntersectionOf(_)
            | Check::EqualBody(_)
            | Check::SameEvents(_)
            | Check::DiffersFrom(_)
            | Check::Covers { .. }
    )
}

/// The templates a check itself carries, filled in ahead (facts are fetched asynchronously).
async fn resolve_check_templates(
    context: &Context,
    test: &Test,
    check: &Check,
    try_number: u32,
) -> Vec<(Template, Result<String, String>)> {
    let templates: Vec<&Template> = match check {
        Check::AllItems { equals, .. } => vec![equals],
        Check::Within { minutes } => vec![minutes],
        Check::FilterOf(filter) => vec![&filter.value],
        Check::Covers { minutes, .. } => vec![minutes],
        _ => Vec::new(),
    };
    let mut filled = Vec::new();
    for template in templates {
        let value = context
            .fill(template, test.value.as_deref(), try_number)
            .await;
        filled.push((template.clone(), value));
    }
    filled
}

fn env<'a>(
    context: &'a Context,
    test: &Test,
    subject: &Resolved,
    resolve: &'a dyn Fn(&Template) -> Result<String, String>,
) -> Env<'a> {
    let cache_allowance_ms = match (test.endpoint, subject.fresh) {
        (Endpoint::Events, true) => SAME_SALT_MS,
        (Endpoint::Events, false) => CACHE_HOUR_MS,
        _ => 0,
    };
    Env {
        schemas: &context.contract.schemas,
        titles: &context.contract.titles,
        clock: context.clock,
        profile: context.options.profile,
        time_field: test.endpoint.time_field(),
        cache_allowance_ms,
        resolve,
        memo: context.client.memo(),
    }
}

/// Polls differing requests until one shows an item newer than `first`'s newest.
async fn poll_until_moved(
    context: &Context,
    test: &Test,
    first: &Answer,
    poll: &Request,
    exchanges: &mut Vec<Exchange>,
) -> Result<(), String> {
    let newest = newest_time(first);
    let started = Instant::now();
    let mut attempt = 1;
    let mut pause = FIRST_POLL_PAUSE;
    while started.elapsed() < context.options.movement_wait && u64::from(attempt) < FRESH_TRIES {
        let resolved = context
            .resolve(poll, test.endpoint, test.value.as_deref(), attempt)
            .await?;
        let sent = context.fetch_fresh(&resolved).await;
        exchanges.push(exchange_of(&sent));
        if sent
            .as_ref()
            .as_ref()
            .is_ok_and(|answer| newest_time(answer) > newest)
        {
            return Ok(());
        }
        attempt += 1;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL_PAUSE);
    }
    Err(format!(
        "the timeline did not move in {} s of polling: no differing request showed an event newer \
         than the first answer's newest (--movement-wait)",
        started.elapsed().as_secs()
    ))
}

fn newest_time(answer: &Answer) -> Option<i64> {
    answer.items()?.iter().filter_map(|i| i.time).max()
}

/// E8, black-box: once the timeline has moved, the identical request still gives the first answer.
async fn cached_repeat(
    context: &Context,
    test: &Test,
    gathered: &Gathered,
    poll: &Request,
    exchanges: &mut Vec<Exchange>,
) -> Finding {
    let (resolved, sent) = &gathered.subject;
    let Ok(first) = sent.as_ref() else {
        return Finding::Undecided("the first request got no answer".to_owned());
    };
    if first.status / 100 != 2 || first.items().is_none() {
        return Finding::Undecided(format!("the first request answered {}", first.status));
    }
    if let Err(reason) = poll_until_moved(context, test, first, poll, exchanges).await {
        return Finding::Undecided(reason);
    }
    let repeat = context.fetch_fresh(resolved).await;
    exchanges.push(exchange_of(&repeat));
    match repeat.as_ref() {
        Ok(again) => compare_repeat(first, again),
        Err(error) => Finding::Fails(format!(
            "the repeated request got no answer: {}",
            error.message
        )),
    }
}

fn compare_repeat(first: &Answer, again: &Answer) -> Finding {
    if [first, again]
        .iter()
        .any(|a| a.items().is_none() && a.list_len().is_some())
    {
        return Finding::Undecided(
            "a list too long to keep whole cannot be compared item by item".to_owned(),
        );
    }
    let digests = |a: &Answer| -> Vec<u64> {
        a.items()
            .unwrap_or_default()
            .iter()
            .map(|i| i.digest)
            .collect()
    };
    if again.status == first.status && digests(first) == digests(again) {
        return Finding::Holds;
    }
    let seconds = (again.exchange.sent_ms - first.exchange.sent_ms) as f64 / 1000.0;
    Finding::Fails(format!(
        "expected the identical request, repeated {seconds:.1} s later within the hour, to give \
         the cached answer; the first had {} events (newest {}), the repeat {} (newest {}) \
         while differing requests already showed newer events",
        first.items().map_or(0, <[_]>::len),
        newest_time(first).unwrap_or_default(),
        again.items().map_or(0, <[_]>::len),
        newest_time(again).unwrap_or_default(),
    ))
}

/// Turns findings into a verdict by the rule's level (and `--strict` for should rules).
fn verdict(
    context: &Context,
    test: &Test,
    findings: Vec<Finding>,
    gathered: &Gathered,
    exchanges: Vec<Exchange>,
) -> Outcome {
    let mut fails = Vec::new();
    let mut undecided = Vec::new();
    let mut observed = Vec::new();
    for finding in findings {
        match finding {
            Finding::Holds => {}
            Finding::Observed(what) => observed.push(what),
            Finding::Fails(what) => fails.push(what),
            Finding::Undecided(why) => undecided.push(why),
        }
    }
    let transport = gathered_transport_failure(gathered);
    let mut outcome = match (test.level, fails.is_empty()) {
        // An observe rule records what came; when nothing could be seen (a target that stayed
        // busy), there is nothing to record, and the test is not decided.
        (Level::Observe, _)
            if transport.is_none()
                && (undecided.is_empty() || !fails.is_empty() || !observed.is_empty()) =>
        {
            observed.extend(fails);
            Outcome::new(Verdict::Pass, None)
        }
        (Level::Should, false) if !context.options.strict && transport.is_none() => {
            let mut outcome = Outcome::new(Verdict::Pass, None);
            outcome.warnings = fails
                .iter()
                .map(|f| format!("{} ({}): {f}", test.case.rule, "should"))
                .collect();
            outcome
        }
        (_, false) => Outcome::new(
            Verdict::Fail,
            Some(failure_message(context, test, &fails, gathered)),
        ),
        (_, true) if !undecided.is_empty() => {
            Outcome::new(Verdict::Inconclusive, Some(undecided.join("; ")))
        }
        (_, true) => Outcome::new(Verdict::Pass, None),
    };
    outcome.observations = observed;
    outcome.exchanges = exchanges;
    outcome
}

fn gathered_transport_failure(gathered: &Gathered) -> Option<String> {
    answers(gathered).err()
}

/// A failure as a CI log shows it: the rule, what was expected and came, and the evidence.
fn failure_message(
    context: &Context,
    test: &Test,
    fails: &[String],
    gathered: &Gathered,
) -> String {
    let mut lines = vec![format!(
        "rule {} ({}): {}",
        test.case.rule,
        test.level.as_str(),
        first_sentence(&test.rule_text)
    )];
    lines.extend(fails.iter().map(|f| format!("  {f}")));
    lines.push(format!("  request: {}", exchange_of(&gathered.subject.1)));
    let answer = gathered.subject.1.as_ref().as_ref().ok();
    if let Some(excerpt) = answer.and_then(|a| a.excerpt(EXCERPT, &context.redactor)) {
        lines.push(format!("  body: {excerpt}"));
    }
    for (name, (_, sent)) in &gathered.others {
        lines.push(format!("  `{name}`: {}", exchange_of(sent)));
    }
    lines.push(format!("  case: {}:{}", test.case.file, test.case.line));
    lines.join("\n")
}

/// A rule's first sentence, for a CI log: the reports carry the whole text.
fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(end) if end < 160 => &text[..=end],
        _ => text,
    }
}

fn spelling_warnings(gathered: &Gathered, outcome: &mut Outcome) {
    let Ok(answer) = gathered.subject.1.as_ref() else {
        return;
    };
    let Some(json) = answer.json() else { return };
    for (warning, count) in &json.spelling_warnings {
        outcome
            .warnings
            .push(format!("lenient profile: {warning}, {count} time(s)"));
    }
}

/// E3: the answer is the latest `count` events. Per-type answers of the same window add up the
/// events the target has; none of them may be left out between the oldest returned and the
/// moment the answer was sent.
async fn latest(
    context: &Context,
    gathered: &Gathered,
    subject: &Answer,
    (count, types): (usize, usize),
    exchanges: &mut Vec<Exchange>,
) -> Finding {
    let Some(items) = subject.items().filter(|_| subject.status / 100 == 2) else {
        return Finding::Undecided(format!(
            "the answer is not a list ({})",
            subject.describe_body()
        ));
    };
    let mut known: BTreeMap<u64, i64> = items
        .iter()
        .filter_map(|i| Some((i.digest, i.time?)))
        .collect();
    // The per-type answers do not depend on each other: they are asked for together, within
    // the client's bounds, so that a sensor's latency is waited for once, not once per type.
    let per_type = common_types(items, types).into_iter().map(|kind| {
        let mut resolved = gathered.subject.0.clone();
        resolved.query = format!("{}&type={kind}", resolved.query);
        async move { context.fetch(&resolved).await }
    });
    for sent in futures_util::future::join_all(per_type).await {
        exchanges.push(exchange_of(&sent));
        let more = sent_items(&sent);
        known.extend(more.iter().filter_map(|i| Some((i.digest, i.time?))));
    }
    let sent = context.clock.to_sensor(subject.exchange.sent_ms);
    let slack = context.clock.uncertainty_ms + SAME_SALT_MS + 1_000;
    let settled: BTreeMap<u64, i64> = known
        .into_iter()
        .filter(|(_, t)| *t < sent - slack)
        .collect();
    if settled.len() <= count {
        return Finding::Undecided(format!(
            "only {} events seen in the window; the rule needs more than {count}",
            settled.len()
        ));
    }
    let returned: std::collections::BTreeSet<u64> = items.iter().map(|i| i.digest).collect();
    let oldest = items
        .iter()
        .filter_map(|i| i.time)
        .min()
        .unwrap_or(i64::MAX);
    let mut left_out: Vec<i64> = settled
        .iter()
        .filter(|(digest, time)| **time > oldest && !returned.contains(digest))
        .map(|(_, time)| *time)
        .collect();
    // The newest left out is named: the message does not hang on how contents hash.
    left_out.sort_unstable();
    match (items.len() == count, left_out.last()) {
        (true, None) => Finding::Holds,
        (false, _) => Finding::Fails(format!(
            "expected exactly the latest {count} of the {} events seen in the window; got {}",
            settled.len(),
            items.len()
        )),
        (true, Some(time)) => Finding::Fails(format!(
            "expected the latest {count} events; {} newer than the oldest returned ({oldest}) \
             were left out, e.g. the event at {time}",
            left_out.len()
        )),
    }
}

fn common_types(items: &[crate::target::Item], most: usize) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        if let Some(kind) = item
            .value
            .as_ref()
            .and_then(|v| v.get("type"))
            .and_then(|t| t.as_str())
        {
            *counts.entry(kind.to_owned()).or_default() += 1;
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by_key(|(kind, n)| (std::cmp::Reverse(*n), kind.clone()));
    ranked
        .into_iter()
        .take(most)
        .map(|(kind, _)| kind)
        .collect()
}
