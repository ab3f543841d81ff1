//! Buffers for answer bodies, used again once an answer has been sent. A body of hundreds of
//! kilobytes written into fresh memory costs a page fault every 4 KB; written into a buffer that
//! held an earlier answer, it costs none. Only a few buffers of moderate size are kept.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

/// How many spare buffers are kept at most.
const SPARE: usize = 4;

/// Buffers larger than this are not kept.
const LARGEST: usize = 4 << 20;

/// The spare buffers of one sensor.
#[derive(Debug, Default)]
pub struct BodyBuffers {
    spare: Mutex<Vec<Vec<u8>>>,
}

impl BodyBuffers {
    /// An empty buffer with room for `capacity` bytes, used before if one is spare.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        let mut buffer = spare.pop().unwrap_or_default();
        drop(spare);
        buffer.reserve(capacity);
        buffer
    }

    /// The body written into `buffer`, which comes back here once the body is dropped.
    pub fn body(self: &Arc<Self>, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(Lent {
            buffer,
            home: Arc::clone(self),
        })
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() > LARGEST {
            return;
        }
        buffer.clear();
        let mut spare = self.spare.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < SPARE {
            spare.push(buffer);
        }
    }
}

/// A buffer lent to a body.
struct Lent {
    buffer: Vec<u8>,
    home: Arc<BodyBuffers>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        self.home.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_body_gives_its_buffer_back_empty() {
        let buffers = Arc::new(BodyBuffers::default());
        let mut buffer = buffers.take(1000);
        buffer.extend_from_slice(b"[1,2]");
        let address = buffer.as_ptr();
        let body = buffers.body(buffer);
        assert_eq!(body, &b"[1,2]"[..]);
        let copy = body.clone();
        drop(body);
        assert_eq!(copy, &b"[1,2]"[..]);
        drop(copy);
        let again = buffers.take(10);
        assert!(again.is_empty() && again.capacity() >= 1000);
        assert_eq!(again.as_ptr(), address);
    }

    #[test]
    fn few_and_moderate_buffers_are_kept() {
        let buffers = Arc::new(BodyBuffers::default());
        let bodies: Vec<Bytes> = (0..SPARE + 2)
            .map(|_| buffers.body(buffers.take(64)))
            .collect();
        drop(bodies);
        let large = buffers.body(Vec::with_capacity(LARGEST + 1));
        drop(large);
        let spare = buffers.spare.lock().unwrap();
        assert_eq!(spare.len(), SPARE);
        assert!(spare.iter().all(|buffer| buffer.capacity() <= LARGEST));
    }
}
