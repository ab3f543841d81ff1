//! Everything one running reference sensor knows: its tokens, its behaviour, its dataset and
//! its caches. Handlers read it; only the caches change.

use std::sync::Arc;

use super::alerts::AlertHistory;
use super::body_buffers::BodyBuffers;
use super::cache::EventsCache;
use super::config::SensorConfig;
use super::faults::{Behaviour, Fault, Variation};
use super::timeline::Timeline;
use super::written_alerts::{DEFAULT_BLOCKS, WrittenAlerts};

/// Histories of at most this many alerts are answered on the async workers: once written, a
/// full list of them is copied together in well under a millisecond.
const QUICK_ALERTS: u64 = 4096;

/// The state shared by every request of one sensor.
#[derive(Debug)]
pub struct SensorState {
    /// The faults and variations the sensor runs with.
    pub behaviour: Behaviour,
    /// The seed of the dataset.
    pub seed: u64,
    /// The alert history.
    pub alerts: AlertHistory,
    /// The oldest alerts of the history, written once per shape.
    pub written: WrittenAlerts,
    /// Buffers for answer bodies, used again.
    pub body_buffers: Arc<BodyBuffers>,
    /// The event timeline.
    pub timeline: Timeline,
    /// Cached answers of the events endpoint.
    pub cache: EventsCache,
    token: String,
    pcap_token: String,
}

/// The two secrets of a sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The API token of the JSON endpoints.
    Api,
    /// The token of the capture endpoint.
    Capture,
}

impl SensorState {
    /// The state of a sensor started at `start` (epoch ms).
    pub fn new(config: &SensorConfig, start: i64) -> Self {
        Self::with_written_blocks(config, start, DEFAULT_BLOCKS)
    }

    /// The state of a sensor that keeps `blocks` blocks of written alerts per shape.
    pub fn with_written_blocks(config: &SensorConfig, start: i64, blocks: usize) -> Self {
        let alerts = AlertHistory::new(config.seed, start, config.alerts, config.still);
        Self {
            behaviour: Behaviour::new(&config.faults, &config.variations),
            seed: config.seed,
            written: WrittenAlerts::new(alerts.clone(), blocks),
            alerts,
            body_buffers: Arc::default(),
            timeline: Timeline::new(config.seed, start, config.still),
            cache: EventsCache::default(),
            token: config.token.clone(),
            pcap_token: config.pcap_token.clone(),
        }
    }

    /// Whether every answer at `now` is quick enough to compute on an async worker.
    pub fn answers_quickly(&self, now: i64) -> bool {
        self.alerts.last_id(now) <= QUICK_ALERTS
    }

    /// Whether the sensor breaks the rule in this way.
    pub fn breaks(&self, fault: Fault) -> bool {
        self.behaviour.breaks(fault)
    }

    /// Whether the sensor takes this variation.
    pub fn varies(&self, variation: Variation) -> bool {
        self.behaviour.varies(variation)
    }

    /// Whether the `Authorization` header carries the token, compared in constant time.
    pub fn presents(&self, authorization: Option<&[u8]>, token: Token) -> bool {
        let expected = match token {
            Token::Api => &self.token,
            Token::Capture => &self.pcap_token,
        };
        authorization.is_some_and(|given| same_secret(given, expected.as_bytes()))
    }
}

/// Compares a presented secret with the expected one in time that depends only on their
/// lengths, never on where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let difference = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SensorState {
        SensorState::new(&SensorConfig::default(), 1_750_000_000_000)
    }

    #[test]
    fn tokens_are_told_apart() {
        let state = state();
        assert!(state.presents(Some(b"reference-token"), Token::Api));
        assert!(!state.presents(Some(b"reference-token"), Token::Capture));
        assert!(state.presents(Some(b"reference-pcap-token"), Token::Capture));
        for wrong in [&b"reference-tokeN"[..], b"Bearer reference-token", b""] {
            assert!(!state.presents(Some(wrong), Token::Api));
        }
        assert!(!state.presents(None, Token::Api));
    }
}
