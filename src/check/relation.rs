//! Relations between the answers of one case: the same items, a subset, a partition, a filter.

use super::{Env, Finding};
use crate::contract::{Check, Filter, SameItems};
use crate::target::{Answer, Item};
use std::collections::{BTreeMap, BTreeSet};

/// How many differing items a message names.
const SHOWN: usize = 3;

/// Decides a relation between `subject` and the case's other answers.
pub fn relation(
    check: &Check,
    subject: &Answer,
    others: &BTreeMap<String, &Answer>,
    env: &Env<'_>,
) -> Finding {
    // A 2xx answer that is no list, where the request it is related to gave one, differs from
    // it whatever the relation: the rule of the test decides that, not the body's own rule.
    let listed = others
        .iter()
        .find(|(_, a)| a.status / 100 == 2 && a.items().is_some());
    if let Some((name, _)) = listed.filter(|_| subject.status / 100 == 2)
        && subject.list_len().is_none()
    {
        return Finding::Fails(format!(
            "this request answered {} with {}, where `{name}` gave a list",
            subject.status,
            subject.describe_body()
        ));
    }
    let subject_items = match items_of("this request", subject) {
        Ok(items) => items,
        Err(finding) => return finding,
    };
    let all_empty = others
        .values()
        .all(|a| a.items().is_some_and(<[Item]>::is_empty));
    if subject_items.is_empty() && all_empty {
        // RULES.md: a rule decided on empty answers is inconclusive, not a pass.
        return Finding::Undecided("every answer compared is empty: nothing to decide on".into());
    }
    let other = |name: &str| -> Result<&[Item], Finding> {
        let answer = others
            .get(name)
            .copied()
            .ok_or_else(|| Finding::Undecided(format!("no answer for `{name}`")))?;
        items_of(&format!("`{name}`"), answer)
    };
    let result = match check {
        Check::SameItems(name) => other(name).map(|o| same(subject_items, o, name, None, env)),
        Check::SameItemsExceptNear(SameItems {
            other: name,
            minutes,
        }) => other(name).map(|o| same(subject_items, o, name, Some(*minutes), env)),
        Check::SubsetOf(name) => other(name).map(|o| subset(subject_items, o, name)),
        Check::Partition(parts) => parts_of(parts, &other).map(|p| partition(subject_items, &p)),
        Check::IntersectionOf(parts) => {
            parts_of(parts, &other).map(|p| intersection(subject_items, &p))
        }
        Check::FilterOf(filter) => {
            other(&filter.base).map(|b| filtered(subject_items, b, filter, env))
        }
        Check::EqualBody(name) => other(name).map(|o| equal(subject_items, o, name)),
        Check::SameEvents(name) => other(name).map(|o| same_events(subject_items, o, name)),
        Check::DiffersFrom(name) => other(name).map(|o| differs(subject_items, o, name)),
        Check::Covers {
            other: name,
            minutes,
        } => {
            let sent = |n: &str| others.get(n).map(|a| a.exchange.sent_ms);
            let window = Window {
                subject_sent: subject.exchange.sent_ms,
                other_sent: sent(name),
            };
            other(name).map(|o| covers(subject_items, o, name, minutes, window, env))
        }
        other => Err(Finding::Undecided(format!("{other:?} is not a relation"))),
    };
    result.unwrap_or_else(|finding| finding)
}

/// The items of a 2xx list answer; anything else leaves the relation undecided.
fn items_of<'a>(what: &str, answer: &'a Answer) -> Result<&'a [Item], Finding> {
    if answer.status / 100 != 2 {
        return Err(Finding::Undecided(format!(
            "{what} answered {}, so the relation cannot be decided",
            answer.status
        )));
    }
    answer.items().ok_or_else(|| {
        Finding::Undecided(match answer.list_len() {
            Some(_) => format!("{what} gave {}", answer.describe_body()),
            None => format!("{what} is not a list ({})", answer.describe_body()),
        })
    })
}

fn parts_of<'a>(
    names: &'a [String],
    other: &dyn Fn(&str) -> Result<&'a [Item], Finding>,
) -> Result<Vec<(&'a str, &'a [Item])>, Finding> {
    names.iter().map(|n| Ok((n.as_str(), other(n)?))).collect()
}

/// What identifies an item across answers: its id when it has one, else its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Id(i64),
    Content(u64),
}

fn key(item: &Item) -> Key {
    item.id.map_or(Key::Content(item.digest), Key::Id)
}

fn keys(items: &[Item]) -> BTreeSet<Key> {
    items.iter().map(key).collect()
}

fn name_of(key: &Key, items: &[Item]) -> String {
    match key {
        Key::Id(id) => format!("id {id}"),
        Key::Content(_) => {
            let item = items.iter().find(|i| self::key(i) == *key);
            item.and_then(|i| i.time)
                .map_or("an item".to_owned(), |t| format!("the item at {t}"))
        }
    }
}

/// Names the first few of `keys`: ids in order, then items without one by their time, so that
/// a message never depends on how contents happen to hash (items of one time read the same).
fn some(keys: &[Key], items: &[Item]) -> String {
    let times: BTreeMap<Key, i64> = items
        .iter()
        .filter(|i| i.id.is_none())
        .map(|i| (key(i), i.time.unwrap_or(i64::MIN)))
        .collect();
    let order = |key: &&Key| match key {
        Key::Id(id) => (0, *id),
        Key::Content(_) => (1, times.get(key).copied().unwrap_or(i64::MIN)),
    };
    let mut sorted: Vec<&Key> = keys.iter().collect();
    sorted.sort_by_key(order);
    let shown: Vec<String> = sorted
        .iter()
        .take(SHOWN)
        .map(|k| name_of(k, items))
        .collect();
    let more = keys.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

fn same(
    subject: &[Item],
    other: &[Item],
    name: &str,
    near_minutes: Option<u64>,
    env: &Env<'_>,
) -> Finding {
    let (mine, theirs) = (keys(subject), keys(other));
    let mut only_mine: Vec<Key> = mine.difference(&theirs).copied().collect();
    let mut only_theirs: Vec<Key> = theirs.difference(&mine).copied().collect();
    if let Some(minutes) = near_minutes {
        only_mine.retain(|k| !near_edge(k, subject, minutes, env));
        only_theirs.retain(|k| !near_edge(k, other, minutes, env));
    }
    if only_mine.is_empty() && only_theirs.is_empty() {
        return Finding::Holds;
    }
    let mut parts = Vec::new();
    if !only_mine.is_empty() {
        parts.push(format!(
            "{} only in this answer ({})",
            only_mine.len(),
            some(&only_mine, subject)
        ));
    }
    if !only_theirs.is_empty() {
        parts.push(format!(
            "{} only in `{name}` ({})",
            only_theirs.len(),
            some(&only_theirs, other)
        ));
    }
    Finding::Fails(format!(
        "expected the same items as `{name}` ({} items); got {} items: {}",
        other.len(),
        subject.len(),
        parts.join("; ")
    ))
}

/// Whether an item lies so close to a window edge `minutes` back that either answer may hold it.
fn near_edge(key: &Key, items: &[Item], minutes: u64, env: &Env<'_>) -> bool {
    let edge = env.clock.sensor_now_ms() - minutes as i64 * 60_000;
    let time = items
        .iter()
        .find(|i| self::key(i) == *key)
        .and_then(|i| i.time);
    time.is_some_and(|t| (t - edge).abs() <= env.slack_ms() + 600_000)
}

fn subset(subject: &[Item], other: &[Item], name: &str) -> Finding {
    if subject.is_empty() {
        return Finding::Undecided(
            "the answer is empty, so it shows nothing about the filter".to_owned(),
        );
    }
    let theirs = keys(other);
    let extra: Vec<Key> = keys(subject).difference(&theirs).copied().collect();
    if extra.is_empty() {
        return Finding::Holds;
    }
    Finding::Fails(format!(
        "expected a subset of `{name}`; {} of {} items are not in it ({})",
        extra.len(),
        subject.len(),
        some(&extra, subject)
    ))
}

fn partition(whole: &[Item], parts: &[(&str, &[Item])]) -> Finding {
    let mut seen: BTreeMap<Key, &str> = BTreeMap::new();
    for (name, items) in parts {
        for k in keys(items) {
            if let Some(first) = seen.insert(k, name) {
                return Finding::Fails(format!(
                    "expected `{first}` and `{name}` to share no item; both have {}",
                    name_of(&k, items)
                ));
            }
        }
    }
    let union: BTreeSet<Key> = seen.keys().copied().collect();
    let all = keys(whole);
    let missing: Vec<Key> = all.difference(&union).copied().collect();
    let extra: Vec<Key> = union.difference(&all).copied().collect();
    let names: Vec<&str> = parts.iter().map(|(n, _)| *n).collect();
    match (missing.is_empty(), extra.is_empty()) {
        (true, true) => Finding::Holds,
        (false, _) => Finding::Fails(format!(
            "expected {} together to be this answer; {} of its items are in none ({})",
            names.join(" and "),
            missing.len(),
            some(&missing, whole)
        )),
        (true, false) => Finding::Fails(format!(
            "expected {} together to be this answer; they hold {} items it lacks",
            names.join(" and "),
            extra.len()
        )),
    }
}

fn intersection(subject: &[Item], parts: &[(&str, &[Item])]) -> Finding {
    let mut common: Option<BTreeSet<Key>> = None;
    for (_, items) in parts {
        let set = keys(items);
        common = Some(match common {
            Some(c) => c.intersection(&set).copied().collect(),
            None => set,
        });
    }
    let expected = common.unwrap_or_default();
    let names: Vec<&str> = parts.iter().map(|(n, _)| *n).collect();
    let known: Vec<Item> = parts.iter().flat_map(|(_, i)| i.iter().cloned()).collect();
    compare_sets(
        subject,
        (&expected, &known),
        &format!("the intersection of {}", names.join(" and ")),
    )
}

/// Compares the items of `subject` with the `expected` keys, which name items of `known`.
fn compare_sets(
    subject: &[Item],
    (expected, known): (&BTreeSet<Key>, &[Item]),
    what: &str,
) -> Finding {
    let mine = keys(subject);
    let extra: Vec<Key> = mine.difference(expected).copied().collect();
    let missing: Vec<Key> = expected.difference(&mine).copied().collect();
    if extra.is_empty() && missing.is_empty() {
        return Finding::Holds;
    }
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(format!("{} extra ({})", extra.len(), some(&extra, subject)));
    }
    if !missing.is_empty() {
        let shown: Vec<String> = missing
            .iter()
            .take(SHOWN)
            .map(|k| name_of(k, known))
            .collect();
        parts.push(format!("{} missing ({})", missing.len(), shown.join(", ")));
    }
    Finding::Fails(format!(
        "expected exactly {what} ({} items); got {} items: {}",
        expected.len(),
        subject.len(),
        parts.join("; ")
    ))
}

fn filtered(subject: &[Item], base: &[Item], filter: &Filter, env: &Env<'_>) -> Finding {
    let bound = match (env.resolve)(&filter.value).map(|v| v.parse::<i64>()) {
        Ok(Ok(bound)) => bound,
        Ok(Err(_)) => return Finding::Undecided("the filter value is not a number".to_owned()),
        Err(reason) => return Finding::Undecided(reason),
    };
    let keep = |t: i64| {
        if filter.at_least {
            t >= bound
        } else {
            t < bound
        }
    };
    let expected: BTreeSet<Key> = base
        .iter()
        .filter(|i| i.time.is_some_and(keep))
        .map(key)
        .collect();
    let op = if filter.at_least { ">=" } else { "<" };
    let what = format!(
        "the items of `{}` with {} {op} {bound}",
        filter.base, filter.field
    );
    compare_sets(subject, (&expected, base), &what)
}

fn equal(subject: &[Item], other: &[Item], name: &str) -> Finding {
    let mine: Vec<u64> = subject.iter().map(|i| i.digest).collect();
    let theirs: Vec<u64> = other.iter().map(|i| i.digest).collect();
    if mine == theirs {
        return Finding::Holds;
    }
    let first = mine
        .iter()
        .zip(&theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(mine.len().min(theirs.len()));
    Finding::Fails(format!(
        "expected the same body as `{name}`; got {} items against {}, differing from item {first}",
        subject.len(),
        other.len()
    ))
}

fn same_events(subject: &[Item], other: &[Item], name: &str) -> Finding {
    match (subject.is_empty(), other.is_empty()) {
        (true, true) => return Finding::Holds,
        (true, false) | (false, true) => {
            return Finding::Fails(format!(
                "expected the same events as `{name}`; this answer has {}, `{name}` {}",
                subject.len(),
                other.len()
            ));
        }
        (false, false) => {}
    }
    let span = |items: &[Item]| {
        let times = items.iter().filter_map(|i| i.time);
        (
            times.clone().min().unwrap_or(i64::MIN),
            times.max().unwrap_or(i64::MAX),
        )
    };
    let (lo, hi) = {
        let (a, b) = (span(subject), span(other));
        (a.0.max(b.0), a.1.min(b.1))
    };
    if lo >= hi {
        return Finding::Undecided(format!("this answer and `{name}` share no time span"));
    }
    // Strictly inside the shared span: at its edges the cut at 100 events may fall between
    // events of the same millisecond.
    let inside = |items: &[Item]| -> Vec<Item> {
        items
            .iter()
            .filter(|i| i.time.is_some_and(|t| t > lo && t < hi))
            .cloned()
            .collect()
    };
    let (mine, theirs) = (inside(subject), inside(other));
    match compare_sets(
        &mine,
        (&keys(&theirs), &theirs),
        &format!("the events of `{name}` from {lo} to {hi}"),
    ) {
        Finding::Holds => Finding::Holds,
        Finding::Fails(why) => {
            Finding::Fails(format!("on the time span both answers cover, {why}"))
        }
        other => other,
    }
}

fn differs(subject: &[Item], other: &[Item], name: &str) -> Finding {
    if subject.is_empty() && other.is_empty() {
        return Finding::Undecided(format!("this answer and `{name}` are both empty"));
    }
    let digests = |items: &[Item]| items.iter().map(|i| i.digest).collect::<Vec<_>>();
    if digests(subject) != digests(other) {
        return Finding::Holds;
    }
    Finding::Fails(format!(
        "expected a differing request to get its own answer; got exactly the answer of `{name}` \
         ({} items), as if served from its cache",
        subject.len()
    ))
}

/// When the two answers of a coverage check were sent, by our clock.
#[derive(Clone, Copy)]
struct Window {
    subject_sent: i64,
    other_sent: Option<i64>,
}

fn covers(
    subject: &[Item],
    other: &[Item],
    name: &str,
    minutes: &crate::contract::Template,
    window: Window,
    env: &Env<'_>,
) -> Finding {
    let minutes = match (env.resolve)(minutes).map(|m| m.parse::<i64>()) {
        Ok(Ok(minutes)) => minutes,
        Ok(Err(_)) => {
            return Finding::Undecided("the window is not a number of minutes".to_owned());
        }
        Err(reason) => return Finding::Undecided(reason),
    };
    let sent = env.clock.to_sensor(window.subject_sent);
    let seen = env.clock.to_sensor(
        window
            .other_sent
            .unwrap_or(window.subject_sent)
            .min(window.subject_sent),
    );
    let (from, to) = (
        sent - minutes * 60_000 + env.slack_ms(),
        seen - env.slack_ms(),
    );
    let oldest = subject.iter().filter_map(|i| i.time).min();
    let full = subject.len() >= 100;
    let mine = keys(subject);
    let missing: Vec<&Item> = other
        .iter()
        .filter(|i| i.time.is_some_and(|t| t > from && t < to))
        .filter(|i| !(full && i.time < oldest))
        .filter(|i| !mine.contains(&key(i)))
        .collect();
    if missing.is_empty() {
        return Finding::Holds;
    }
    Finding::Fails(format!(
        "expected every event of the last {minutes} minutes; {} that `{name}` shows inside the \
         window are missing (e.g. the event at {})",
        missing.len(),
        missing[0].time.unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(time: i64, digest: u64) -> Item {
        Item {
            id: None,
            time: Some(time),
            digest,
            value: None,
        }
    }

    /// An item missing from an answer is named by its time, found where it is.
    #[test]
    fn a_missing_item_is_named_by_its_time() {
        let base = [item(5, 1), item(7, 2)];
        let expected = keys(&base);
        let finding = compare_sets(&base[..1], (&expected, &base), "the base");
        let Finding::Fails(why) = finding else {
            panic!("{finding:?}")
        };
        assert!(why.contains("1 missing (the item at 7)"), "{why}");
    }
}
