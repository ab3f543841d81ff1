//! The oldest alerts of the history, generated and written as JSON once per shape, so that an
//! alerts answer is mostly a concatenation. An alert is a pure function of its id and never
//! changes, so a block of alerts written once stays right for the life of the sensor, future
//! arrivals included. Only the oldest ids are kept, which bounds the memory of a sensor with a
//! large history; younger alerts are generated and written afresh on every request.

use std::ops::Range;
use std::sync::OnceLock;

use super::alerts::{Alert, AlertHistory, AlertJson, AlertShape};

/// How many consecutive alerts one block holds.
const BLOCK_ALERTS: u64 = 1024;

/// How many blocks a shape keeps by default: the oldest 16,384 alerts, about 10 MB in v2, which
/// covers the default history and most of a day of arrivals.
pub const DEFAULT_BLOCKS: usize = 16;

/// The output shapes there are: every combination of the four flags of [`AlertShape`].
const SHAPES: usize = 16;

/// The alerts of one history, written once per shape, block by block as they are needed.
#[derive(Debug)]
pub struct WrittenAlerts {
    history: AlertHistory,
    /// By shape, then by block.
    shapes: [Box<[OnceLock<Block>]>; SHAPES],
}

/// One alert of an answer, with its JSON when it was written before.
#[derive(Debug, Clone)]
pub enum ListedAlert<'a> {
    /// An alert of the history, already written in the answer's shape.
    Written {
        /// The alert.
        alert: &'a Alert,
        /// Its JSON object.
        json: &'a [u8],
    },
    /// An alert to be written afresh.
    Plain(Box<Alert>),
}

impl ListedAlert<'_> {
    /// The alert.
    pub fn alert(&self) -> &Alert {
        match self {
            ListedAlert::Written { alert, .. } => alert,
            ListedAlert::Plain(alert) => alert,
        }
    }

    /// Appends the alert's JSON object in `shape`, which must be the shape it was listed in.
    pub fn write(&self, shape: AlertShape, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            ListedAlert::Written { json, .. } => {
                out.extend_from_slice(json);
                Ok(())
            }
            ListedAlert::Plain(alert) => serde_json::to_writer(out, &AlertJson { alert, shape }),
        }
    }
}

/// Consecutive alerts and their JSON objects, one after another.
#[derive(Debug)]
struct Block {
    alerts: Vec<Alert>,
    text: Vec<u8>,
    /// Where each alert's object lies in `text`; none when it could not be written, which
    /// leaves the alert to be written afresh.
    spans: Vec<Option<Range<usize>>>,
}

impl Block {
    fn write(alerts: Vec<Alert>, shape: AlertShape) -> Self {
        let mut text = Vec::new();
        let mut spans = Vec::with_capacity(alerts.len());
        for alert in &alerts {
            let start = text.len();
            let written = serde_json::to_writer(&mut text, &AlertJson { alert, shape }).is_ok();
            if !written {
                text.truncate(start);
            }
            spans.push(written.then_some(start..text.len()));
        }
        text.shrink_to_fit();
        Self {
            alerts,
            text,
            spans,
        }
    }

    /// The first `count` alerts of the block.
    fn listed(&self, count: usize) -> impl Iterator<Item = ListedAlert<'_>> {
        let spans = self.spans.iter().take(count);
        spans.zip(&self.alerts).map(|(span, alert)| match span {
            Some(span) => ListedAlert::Written {
                alert,
                json: &self.text[span.clone()],
            },
            None => ListedAlert::Plain(Box::new(alert.clone())),
        })
    }
}

impl WrittenAlerts {
    /// The alerts of `history`, keeping at most `blocks` blocks per shape; none writes every
    /// alert afresh, as the plain path does.
    pub fn new(history: AlertHistory, blocks: usize) -> Self {
        let empty = || (0..blocks).map(|_| OnceLock::new()).collect();
        Self {
            history,
            shapes: std::array::from_fn(|_| empty()),
        }
    }

    /// The alerts that have arrived by `now`, in ascending id order, listed for `shape`.
    pub fn arrived(
        &self,
        shape: AlertShape,
        now: i64,
    ) -> impl Iterator<Item = ListedAlert<'_>> + '_ {
        let last = self.history.last_id(now);
        let blocks = &self.shapes[slot(shape)];
        let kept = last.min(blocks.len() as u64 * BLOCK_ALERTS);
        let written = blocks.iter().enumerate().map_while(move |(number, block)| {
            let first = number as u64 * BLOCK_ALERTS + 1;
            let count = kept.saturating_sub(first - 1).min(BLOCK_ALERTS) as usize;
            (count > 0).then(|| {
                block
                    .get_or_init(|| self.write_block(first, shape))
                    .listed(count)
            })
        });
        let plain = (kept + 1..=last).map(|id| self.plain(id));
        written.flatten().chain(plain)
    }

    /// The block of `BLOCK_ALERTS` alerts from `first`, written in `shape`.
    fn write_block(&self, first: u64, shape: AlertShape) -> Block {
        let ids = first..first + BLOCK_ALERTS;
        Block::write(ids.map(|id| self.history.alert(id)).collect(), shape)
    }

    fn plain(&self, id: u64) -> ListedAlert<'_> {
        ListedAlert::Plain(Box::new(self.history.alert(id)))
    }
}

/// The index of a shape among the [`SHAPES`].
fn slot(shape: AlertShape) -> usize {
    let flags = [
        shape.v2_fields,
        shape.string_id,
        shape.seconds,
        shape.duplicate_severity,
    ];
    flags
        .into_iter()
        .fold(0, |slot, flag| slot << 1 | usize::from(flag))
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_750_000_000_000;

    fn shapes() -> impl Iterator<Item = AlertShape> {
        (0..SHAPES).map(|bits| AlertShape {
            v2_fields: bits & 8 != 0,
            string_id: bits & 4 != 0,
            seconds: bits & 2 != 0,
            duplicate_severity: bits & 1 != 0,
        })
    }

    fn plain(history: &AlertHistory, id: u64, shape: AlertShape) -> Vec<u8> {
        let alert = history.alert(id);
        serde_json::to_vec(&AlertJson {
            alert: &alert,
            shape,
        })
        .unwrap()
    }

    #[test]
    fn every_shape_has_a_slot_of_its_own() {
        let mut slots: Vec<usize> = shapes().map(slot).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..SHAPES).collect::<Vec<_>>());
    }

    #[test]
    fn written_alerts_read_as_the_plain_path_writes_them() {
        let history = AlertHistory::new(5, START, 1500, false);
        let written = WrittenAlerts::new(history.clone(), 1);
        let now = START + 1000 * 5_000;
        for shape in shapes() {
            let listed: Vec<ListedAlert> = written.arrived(shape, now).collect();
            assert_eq!(listed.len(), 2500);
            for (id, alert) in (1..).zip(&listed) {
                let mut json = Vec::new();
                alert.write(shape, &mut json).unwrap();
                assert_eq!(json, plain(&history, id, shape), "{shape:?} {id}");
                assert_eq!(alert.alert().id, id);
                let kept = matches!(alert, ListedAlert::Written { .. });
                assert_eq!(kept, id <= BLOCK_ALERTS, "{id}");
            }
        }
    }

    #[test]
    fn no_blocks_writes_everything_afresh() {
        let history = AlertHistory::new(1, START, 600, true);
        let written = WrittenAlerts::new(history, 0);
        let shape = AlertShape::default();
        assert!(
            written
                .arrived(shape, START)
                .all(|alert| matches!(alert, ListedAlert::Plain(_)))
        );
    }
}
