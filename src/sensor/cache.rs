//! The events cache the page describes: an identical request within an hour of the first one
//! gets the first one's answer. Bounded, so that a client sending ever new queries cannot grow
//! the sensor's memory without limit.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;

/// How long an answer stays cached, from the request that made it.
pub const LIFETIME_MS: i64 = 60 * 60 * 1000;

/// How many answers are kept at most.
pub const CAPACITY: usize = 4096;

/// Cached answer bodies by key, each with the time it was stored (epoch ms).
#[derive(Debug)]
pub struct EventsCache {
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
}

#[derive(Debug, Clone)]
struct Entry {
    stored: i64,
    body: Bytes,
}

impl Entry {
    fn is_fresh(&self, now: i64) -> bool {
        now - self.stored < LIFETIME_MS
    }
}

impl Default for EventsCache {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl EventsCache {
    /// An empty cache keeping at most `capacity` answers (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The body cached under `key`, if it was stored less than an hour before `now`.
    pub fn get(&self, key: &str, now: i64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(key).filter(|entry| entry.is_fresh(now))?;
        Some(entry.body.clone())
    }

    /// Stores `body` under `key` unless a fresh answer is already there, and returns the body
    /// now cached: when two identical requests race, both get the same answer.
    pub fn insert(&self, key: String, body: Bytes, now: i64) -> Bytes {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(&key).filter(|entry| entry.is_fresh(now)) {
            return entry.body.clone();
        }
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            make_room(&mut entries, self.capacity, now);
        }
        entries.insert(
            key,
            Entry {
                stored: now,
                body: body.clone(),
            },
        );
        body
    }

    /// How many answers are stored, fresh or not.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Drops expired answers, then, if the cache is still full, the oldest one.
fn make_room(entries: &mut HashMap<String, Entry>, capacity: usize, now: i64) {
    entries.retain(|_, entry| entry.is_fresh(now));
    if entries.len() < capacity {
        return;
    }
    let oldest = entries
        .iter()
        .min_by_key(|(_, entry)| entry.stored)
        .map(|(key, _)| key.clone());
    if let Some(key) = oldest {
        entries.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000_000;

    #[test]
    fn an_identical_key_gets_the_first_answer_for_an_hour() {
        let cache = EventsCache::default();
        let first = cache.insert("k".into(), Bytes::from_static(b"one"), NOW);
        assert_eq!(first, "one");
        let raced = cache.insert("k".into(), Bytes::from_static(b"two"), NOW + 5);
        assert_eq!(raced, "one");
        assert_eq!(
            cache.get("k", NOW + LIFETIME_MS - 1).as_deref(),
            Some(&b"one"[..])
        );
        assert_eq!(cache.get("k", NOW + LIFETIME_MS), None);
    }

    #[test]
    fn an_expired_answer_is_replaced() {
        let cache = EventsCache::default();
        cache.insert("k".into(), Bytes::from_static(b"one"), NOW);
        let later = NOW + LIFETIME_MS;
        let replaced = cache.insert("k".into(), Bytes::from_static(b"two"), later);
        assert_eq!(replaced, "two");
        assert_eq!(cache.get("k", later + 1).as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn other_keys_are_apart() {
        let cache = EventsCache::default();
        cache.insert("a".into(), Bytes::from_static(b"one"), NOW);
        assert_eq!(cache.get("b", NOW), None);
    }

    #[test]
    fn the_cache_is_bounded_dropping_the_oldest() {
        let cache = EventsCache::new(3);
        for (index, key) in ["a", "b", "c", "d"].iter().enumerate() {
            cache.insert((*key).into(), Bytes::from_static(b"x"), NOW + index as i64);
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("a", NOW + 10), None);
        assert!(cache.get("d", NOW + 10).is_some());
    }

    #[test]
    fn expired_answers_go_first() {
        let cache = EventsCache::new(2);
        cache.insert("old".into(), Bytes::from_static(b"x"), NOW);
        cache.insert("new".into(), Bytes::from_static(b"x"), NOW + LIFETIME_MS);
        cache.insert(
            "newer".into(),
            Bytes::from_static(b"x"),
            NOW + LIFETIME_MS + 1,
        );
        assert!(cache.get("new", NOW + LIFETIME_MS + 2).is_some());
        assert!(cache.get("newer", NOW + LIFETIME_MS + 2).is_some());
    }
}
