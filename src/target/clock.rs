//! The sensor's clock, estimated from the `Date` header of one answer.

use std::time::{SystemTime, UNIX_EPOCH};

/// The estimated difference between the sensor's clock and ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Sensor clock minus ours, in milliseconds.
    pub offset_ms: i64,
    /// How far off the estimate may be: the header's one-second resolution plus half the
    /// round trip.
    pub uncertainty_ms: i64,
}

impl Clock {
    /// A clock known to agree with ours (the built-in sensor shares this process's clock).
    pub fn local() -> Self {
        Clock {
            offset_ms: 0,
            uncertainty_ms: 1000,
        }
    }

    /// Estimates from a `Date` header seen on an answer to a request sent at `sent_ms` and
    /// received at `received_ms` (our clock).
    pub fn from_date(date: &str, sent_ms: i64, received_ms: i64) -> Option<Self> {
        let at = httpdate::parse_http_date(date).ok()?;
        let date_ms = at.duration_since(UNIX_EPOCH).ok()?.as_millis() as i64;
        // The header is truncated to the second: its true value lies in [date, date + 1 s).
        let midpoint = (sent_ms + received_ms) / 2;
        let offset_ms = date_ms + 500 - midpoint;
        let uncertainty_ms = 500 + (received_ms - sent_ms) / 2 + 500;
        Some(Clock {
            offset_ms,
            uncertainty_ms,
        })
    }

    /// The sensor's time now, by the estimate.
    pub fn sensor_now_ms(&self) -> i64 {
        now_ms() + self.offset_ms
    }

    /// Converts a time of ours to the sensor's clock.
    pub fn to_sensor(&self, local_ms: i64) -> i64 {
        local_ms + self.offset_ms
    }
}

/// Our clock, in epoch milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_offset_from_date_header() {
        // 2020-07-12T10:49:46Z = 1594550986000
        let clock = Clock::from_date(
            "Sun, 12 Jul 2020 10:49:46 GMT",
            1594550986000,
            1594550986200,
        )
        .unwrap();
        assert_eq!(clock.offset_ms, 400);
        assert!(clock.uncertainty_ms >= 1000);
        assert!(Clock::from_date("yesterday", 0, 0).is_none());
    }
}
