//! A small deterministic random source, so that every item of the dataset is a pure function
//! of the seed and its index and nothing has to be stored or generated in the background.

/// Streams of draws, one per kind of item, so that alerts and events of the same index differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The alert history.
    Alert = 1,
    /// The time and type of an event of the timeline.
    EventPlace = 2,
    /// What an event of the timeline says.
    EventContent = 3,
    /// The packets of a capture.
    Capture = 4,
    /// The times of the alert history.
    AlertTime = 5,
}

/// A splitmix64 generator positioned by seed, stream and index.
#[derive(Debug, Clone)]
pub struct Draw {
    state: u64,
}

impl Draw {
    /// The draws for one item: the same arguments always give the same sequence.
    pub fn new(seed: u64, stream: Stream, index: u64) -> Self {
        let position = mix(mix(seed ^ (stream as u64).rotate_left(56)) ^ index);
        Self { state: position }
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// A value in `0..bound`; `bound` must not be zero. The modulo bias is negligible here.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.bits() % bound.max(1)
    }

    /// A value in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True with the given probability in percent.
    pub fn percent(&mut self, chance: u64) -> bool {
        self.below(100) < chance
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// The index of an item chosen with the given weights (at least one weight not zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut rest = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            if rest < *weight {
                return index;
            }
            rest -= weight;
        }
        weights.len().saturating_sub(1)
    }
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The splitmix64 finaliser: a bijection that scrambles every input bit into every output bit.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_position_same_draws() {
        let mut a = Draw::new(1, Stream::Alert, 17);
        let mut b = Draw::new(1, Stream::Alert, 17);
        assert_eq!(a.bits(), b.bits());
        assert_eq!(a.bits(), b.bits());
    }

    #[test]
    fn streams_and_seeds_differ() {
        let alert = Draw::new(1, Stream::Alert, 17).bits();
        assert_ne!(alert, Draw::new(1, Stream::EventPlace, 17).bits());
        assert_ne!(alert, Draw::new(2, Stream::Alert, 17).bits());
        assert_ne!(alert, Draw::new(1, Stream::Alert, 18).bits());
    }

    #[test]
    fn weighted_respects_zero_weights() {
        let mut draw = Draw::new(1, Stream::EventContent, 0);
        for _ in 0..1000 {
            assert_ne!(draw.weighted(&[3, 0, 5]), 1);
        }
    }

    #[test]
    fn between_is_inclusive() {
        let mut draw = Draw::new(3, Stream::Capture, 9);
        let values: Vec<_> = (0..2000).map(|_| draw.between(3, 8)).collect();
        assert!(values.iter().all(|v| (3..=8).contains(v)));
        assert!(values.contains(&3) && values.contains(&8));
    }
}
