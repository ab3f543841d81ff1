//! Checks of one answer.

use super::{Env, Finding};
use crate::contract::{Check, Order, StatusClass};
use crate::target::{Answer, Body, Item, JsonShape, Reading};
use serde_json::Value;

/// Decides a single-answer check; relations and multi-request checks are decided elsewhere.
pub fn single(check: &Check, answer: &Answer, env: &Env<'_>) -> Finding {
    match check {
        Check::Status(class) => status(class, answer),
        Check::Schema(name) => schema(name, answer, env),
        Check::List => list(answer),
        Check::Json => json(answer),
        Check::NotList => not_list(answer),
        Check::NoData => no_data(answer),
        Check::JsonContentType => json_content_type(answer),
        Check::BinaryContentType => binary_content_type(answer),
        // Counted whole, kept or not.
        Check::MaxItems(most) => match answer.list_len() {
            Some(count) if count > *most => {
                Finding::Fails(format!("expected at most {most} items; got {count}"))
            }
            _ => with_items(answer, |items| max_items(items, *most)),
        },
        Check::Sorted { field, order } if field == env.time_field => {
            with_items(answer, |items| sorted(items, field, *order, env))
        }
        Check::Sorted { field, order } => {
            with_values(answer, |items| sorted(items, field, *order, env))
        }
        Check::AllItems { field, equals } => all_items(answer, field, equals, env),
        Check::Within { minutes } => within(answer, minutes, env),
        Check::Capture => capture(answer),
        Check::Titles => with_values(answer, |items| titles(items, env)),
        Check::PlausibleTimes => with_items(answer, |items| plausible_times(items, answer, env)),
        Check::NoDuplicateKeys => no_duplicate_keys(answer),
        Check::NoServerError => no_server_error(answer),
        Check::ErrorMessage => error_message(answer),
        Check::Record => Finding::Observed(format!(
            "{} answered {} with {}",
            answer.exchange.url,
            answer.status,
            answer.describe_body()
        )),
        other => Finding::Undecided(format!("{other:?} is not a single-answer check")),
    }
}

fn status(class: &StatusClass, answer: &Answer) -> Finding {
    if class.matches(answer.status) {
        return Finding::Holds;
    }
    let redirect = match (&answer.location, answer.status / 100) {
        (Some(to), 3) => format!(" (a redirect to {to}, which is never followed)"),
        _ => String::new(),
    };
    Finding::Fails(format!(
        "expected status {class}; got {} with {}{redirect}",
        answer.status,
        answer.describe_body()
    ))
}

const EMPTY: &str = "the answer is an empty list: no item to decide on";

fn schema(name: &str, answer: &Answer, env: &Env<'_>) -> Finding {
    if answer.json().is_some_and(|j| j.shape == JsonShape::List(0)) {
        return Finding::Undecided(EMPTY.to_owned());
    }
    let json = match &answer.body {
        Body::Json(json) if json.schema.as_deref() == Some(name) => json.clone(),
        Body::Json(_) => match reread(name, answer, env) {
            Ok(json) => json,
            Err(finding) => return finding,
        },
        _ => {
            return Finding::Fails(format!(
                "expected a JSON body matching {name}; got {}",
                answer.describe_body()
            ));
        }
    };
    if json.schema_error_count == 0 {
        return Finding::Holds;
    }
    let shown: Vec<String> = json
        .schema_errors
        .iter()
        .take(3)
        .map(|e| format!("  {e}"))
        .collect();
    let more = json.schema_error_count.saturating_sub(shown.len());
    let more = if more > 0 {
        format!("\n  … and {more} more")
    } else {
        String::new()
    };
    Finding::Fails(format!(
        "expected the body to match schema {name}; {} error{}:\n{}{more}",
        json.schema_error_count,
        if json.schema_error_count == 1 {
            ""
        } else {
            "s"
        },
        shown.join("\n")
    ))
}

fn reread(name: &str, answer: &Answer, env: &Env<'_>) -> Result<crate::target::Json, Finding> {
    let schema = env
        .schemas
        .get(name)
        .ok_or_else(|| Finding::Undecided(format!("no schema {name}")))?;
    let raw = answer.raw.as_ref().ok_or_else(|| {
        Finding::Undecided(format!(
            "the body is too large to read again against {name}"
        ))
    })?;
    let reading = Reading {
        schema: Some(schema),
        binary: false,
        profile: env.profile,
        time_field: env.time_field,
    };
    env.memo
        .read_now(&mut raw.clone(), &reading)
        .map_err(Finding::Fails)
}

fn list(answer: &Answer) -> Finding {
    match answer.json() {
        Some(json) if matches!(json.shape, JsonShape::List(_)) && json.non_objects == 0 => {
            Finding::Holds
        }
        Some(json) if matches!(json.shape, JsonShape::List(_)) => Finding::Fails(format!(
            "expected a JSON array of objects; {} of its items are not objects",
            json.non_objects
        )),
        _ => Finding::Fails(format!(
            "expected a JSON array; got {}",
            answer.describe_body()
        )),
    }
}

fn json(answer: &Answer) -> Finding {
    match answer.body {
        Body::Json(_) => Finding::Holds,
        _ => Finding::Fails(format!(
            "expected a JSON body; got {}",
            answer.describe_body()
        )),
    }
}

fn not_list(answer: &Answer) -> Finding {
    match answer.list_len() {
        Some(count) => Finding::Fails(format!(
            "expected an error, never a list; got {} with a list of {count} items",
            answer.status
        )),
        None => Finding::Holds,
    }
}

fn no_data(answer: &Answer) -> Finding {
    match answer.list_len() {
        Some(count) if count > 0 => Finding::Fails(format!(
            "expected a rejection without data; got {} with {count} items",
            answer.status
        )),
        _ if matches!(answer.body, Body::Binary) => Finding::Fails(format!(
            "expected a rejection without data; got {} with {}",
            answer.status,
            answer.describe_body()
        )),
        _ => Finding::Holds,
    }
}

fn media_type(answer: &Answer) -> Option<String> {
    let value = answer.content_type.as_deref()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

fn json_content_type(answer: &Answer) -> Finding {
    match media_type(answer) {
        Some(media) if media == "application/json" => Finding::Holds,
        Some(_) => Finding::Fails(format!(
            "expected Content-Type application/json; got {}",
            answer.content_type.as_deref().unwrap_or_default()
        )),
        None => Finding::Fails("expected Content-Type application/json; got none".to_owned()),
    }
}

fn binary_content_type(answer: &Answer) -> Finding {
    let Some(media) = media_type(answer) else {
        return Finding::Fails("expected a binary Content-Type; got none".to_owned());
    };
    let textual = media.starts_with("text/") || media.ends_with("json") || media.ends_with("+json");
    if textual {
        return Finding::Fails(format!(
            "expected a binary Content-Type such as application/vnd.tcpdump.pcap; got {media}"
        ));
    }
    Finding::Holds
}

/// Decides on the items of a list answer; an empty list decides nothing (RULES.md).
/// As [`with_items`], for a check that reads the items' fields: those are kept for the first
/// items of a list only, and of a longer list only a failure among them decides.
fn with_values(answer: &Answer, decide: impl FnOnce(&[Item]) -> Finding) -> Finding {
    with_items(answer, |items| {
        let valued = items.iter().take_while(|i| i.value.is_some()).count();
        if valued == items.len() {
            return decide(items);
        }
        match decide(&items[..valued]) {
            Finding::Fails(why) => Finding::Fails(why),
            _ => Finding::Undecided(format!(
                "only the first {valued} of the {} items were kept whole, and they hold",
                items.len()
            )),
        }
    })
}

/// Decides on the items of a list. Of a list too long to keep whole, only a failure among the
/// kept items decides.
fn with_items(answer: &Answer, decide: impl FnOnce(&[Item]) -> Finding) -> Finding {
    match answer.kept_items() {
        Some(([], _)) => Finding::Undecided(EMPTY.to_owned()),
        Some((items, true)) => decide(items),
        Some((items, false)) => match decide(items) {
            Finding::Fails(why) => Finding::Fails(why),
            _ => Finding::Undecided(format!(
                "only the first {} of the {} items were kept, and they hold",
                items.len(),
                answer.list_len().unwrap_or_default()
            )),
        },
        None => Finding::Undecided(format!(
            "the answer is not a list ({})",
            answer.describe_body()
        )),
    }
}

fn max_items(items: &[Item], most: usize) -> Finding {
    if items.len() <= most {
        return Finding::Holds;
    }
    Finding::Fails(format!(
        "expected at most {most} items; got {}",
        items.len()
    ))
}

/// The number in `field` of an item: its time when that is the field, else from its value.
fn number(item: &Item, field: &str, env: &Env<'_>) -> Option<i64> {
    if field == env.time_field {
        return item.time;
    }
    item.value.as_ref()?.get(field)?.as_i64()
}

fn sorted(items: &[Item], field: &str, order: Order, env: &Env<'_>) -> Finding {
    let values: Vec<Option<i64>> = items.iter().map(|i| number(i, field, env)).collect();
    for (index, pair) in values.windows(2).enumerate() {
        let (Some(a), Some(b)) = (pair[0], pair[1]) else {
            return Finding::Undecided(format!("item {index} or the next has no numeric {field}"));
        };
        let wrong = match order {
            Order::NewestFirst => b > a,
            Order::OldestFirst => b < a,
        };
        if wrong {
            let expected = match order {
                Order::NewestFirst => "newest first",
                Order::OldestFirst => "oldest first",
            };
            return Finding::Fails(format!(
                "expected items sorted by {field}, {expected}; item {} has {field} {b} after {a}",
                index + 1
            ));
        }
    }
    Finding::Holds
}

fn all_items(
    answer: &Answer,
    field: &str,
    equals: &crate::contract::Template,
    env: &Env<'_>,
) -> Finding {
    let expected = match (env.resolve)(equals) {
        Ok(value) => decode(&value),
        Err(reason) => return Finding::Undecided(reason),
    };
    with_values(answer, |items| {
        if items.is_empty() {
            return Finding::Undecided(
                "the answer is empty, so it shows nothing about the filter".to_owned(),
            );
        }
        for (index, item) in items.iter().enumerate() {
            let value = item
                .value
                .as_ref()
                .and_then(|v| v.get(field))
                .and_then(Value::as_str);
            if value != Some(expected.as_str()) {
                return Finding::Fails(format!(
                    "expected every item's {field} to be {expected}; item {index} has {}",
                    value.map_or("none".to_owned(), |v| v.to_owned())
                ));
            }
        }
        Finding::Holds
    })
}

/// A query value as the target reads it.
fn decode(value: &str) -> String {
    form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map_or_else(String::new, |(_, v)| v.into_owned())
}

fn within(answer: &Answer, minutes: &crate::contract::Template, env: &Env<'_>) -> Finding {
    let minutes = match (env.resolve)(minutes).map(|m| m.parse::<i64>()) {
        Ok(Ok(minutes)) => minutes,
        Ok(Err(_)) => {
            return Finding::Undecided("the window is not a number of minutes".to_owned());
        }
        Err(reason) => return Finding::Undecided(reason),
    };
    let sent = env.clock.to_sensor(answer.exchange.sent_ms);
    let edge = sent - minutes * 60_000 - env.slack_ms();
    with_items(answer, |items| {
        match items
            .iter()
            .enumerate()
            .find(|(_, i)| i.time.is_some_and(|t| t < edge))
        {
            Some((index, item)) => Finding::Fails(format!(
                "expected no event older than {minutes} minutes (before {}, allowing {} s); \
                 item {index} is from {}",
                edge,
                env.slack_ms() / 1000,
                item.time.unwrap_or_default()
            )),
            None => Finding::Holds,
        }
    })
}

fn capture(answer: &Answer) -> Finding {
    let Some(raw) = answer
        .raw
        .as_ref()
        .filter(|_| matches!(answer.body, Body::Binary))
    else {
        return Finding::Fails(format!(
            "expected a capture file; got {}",
            answer.describe_body()
        ));
    };
    match super::check_capture(raw) {
        Ok(_) => Finding::Holds,
        Err(why) => {
            let encoded = answer.encoding.as_ref().map_or(String::new(), |e| {
                format!(
                    " (the body came with Content-Encoding: {e}, which the request did not ask for)"
                )
            });
            Finding::Fails(format!(
                "expected a well-formed capture file; {why}{encoded}"
            ))
        }
    }
}

fn titles(items: &[Item], env: &Env<'_>) -> Finding {
    let mut wrong = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(value) = &item.value else { continue };
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let title = value
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(expected) = env.titles.title(kind).filter(|t| *t != title) {
            wrong.push(format!(
                "item {index}: {kind} titled \"{title}\", the table says \"{expected}\""
            ));
        }
    }
    if wrong.is_empty() {
        return Finding::Holds;
    }
    let count = wrong.len();
    wrong.truncate(3);
    Finding::Fails(format!(
        "{count} event title(s) differ from event-titles.tsv: {}",
        wrong.join("; ")
    ))
}

fn plausible_times(items: &[Item], answer: &Answer, env: &Env<'_>) -> Finding {
    let latest =
        env.clock.to_sensor(answer.exchange.sent_ms) + 86_400_000 + env.clock.uncertainty_ms;
    let odd = items.iter().enumerate().find(|(_, i)| {
        i.time
            .is_some_and(|t| !(1_000_000_000_000..=latest).contains(&t))
    });
    match odd {
        Some((index, item)) => Finding::Fails(format!(
            "expected epoch milliseconds after 2001-09-09 and at most a day ahead of the sensor; \
             item {index} has {}",
            item.time.unwrap_or_default()
        )),
        None => Finding::Holds,
    }
}

fn no_duplicate_keys(answer: &Answer) -> Finding {
    match answer.json() {
        Some(json) if json.shape == JsonShape::List(0) => Finding::Undecided(EMPTY.to_owned()),
        Some(json) if !json.duplicate_keys.is_empty() => {
            let shown: Vec<_> = json.duplicate_keys.iter().take(3).cloned().collect();
            Finding::Fails(format!(
                "expected no key twice in one object; {} duplicate(s), e.g. {}",
                json.duplicate_keys.len(),
                shown.join(", ")
            ))
        }
        Some(_) => Finding::Holds,
        None => Finding::Undecided(format!("the body is not JSON ({})", answer.describe_body())),
    }
}

fn no_server_error(answer: &Answer) -> Finding {
    if answer.status < 500 {
        return Finding::Holds;
    }
    Finding::Fails(format!(
        "expected no 5xx status; got {} with {}",
        answer.status,
        answer.describe_body()
    ))
}

fn error_message(answer: &Answer) -> Finding {
    let message = answer
        .json()
        .and_then(|j| j.object.as_ref())
        .and_then(|o| o.get("error"));
    match message {
        Some(Value::String(_)) => Finding::Holds,
        _ => Finding::Fails(format!(
            "expected a JSON object with a string `error`; got {}",
            answer.describe_body()
        )),
    }
}
