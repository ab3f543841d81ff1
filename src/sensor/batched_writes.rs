//! A connection's outgoing bytes gathered into fewer, larger writes. HTTP/2 sends a large body
//! as 16 KB frames and flushes after every one, which costs a TLS record or two and a system
//! call per frame; gathered, the frames a connection produces in one go leave in 64 KB pieces.
//! The bytes and their order are untouched: only how they are cut into writes changes.
//!
//! A flush right after new writes is put off: the adapter wakes its task and sends what it
//! holds on the next call of any kind, which the task makes as soon as it runs again. A flush
//! with nothing written since (the task running again) sends for real.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The size of the pieces; a write at least this large, with nothing held, passes straight on.
const PIECE: usize = 64 * 1024;

/// A stream whose small writes are held until a piece is full or the task runs again.
#[derive(Debug)]
pub struct BatchedWrites<S> {
    inner: S,
    held: Vec<u8>,
    /// Bytes were written since the last flush, so the next flush is put off.
    fresh: bool,
    /// A flush was put off and is still to be done.
    owed: bool,
}

impl<S> BatchedWrites<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            held: Vec::new(),
            fresh: false,
            owed: false,
        }
    }
}

impl<S: AsyncWrite + Unpin> BatchedWrites<S> {
    /// Sends everything held and flushes the inner stream.
    fn poll_flush_now(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send(cx))?;
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        self.owed = false;
        Poll::Ready(Ok(()))
    }

    /// Sends everything held.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.held.is_empty() {
            let sent = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.held))?;
            if sent == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.held.drain(..sent);
        }
        Poll::Ready(Ok(()))
    }

    /// Makes room for `incoming` more bytes, sending what is held when they would not fit.
    fn poll_room(&mut self, cx: &mut Context<'_>, incoming: usize) -> Poll<io::Result<()>> {
        if self.held.len() + incoming > PIECE {
            ready!(self.poll_send(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn hold(&mut self, bufs: &[IoSlice<'_>]) -> usize {
        let before = self.held.len();
        for buf in bufs {
            let room = PIECE - self.held.len();
            self.held.extend_from_slice(&buf[..buf.len().min(room)]);
        }
        self.fresh = true;
        self.held.len() - before
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for BatchedWrites<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // A flush put off is done first; a peer that does not read yet must not stop us reading.
        if this.owed
            && let Poll::Ready(Err(error)) = this.poll_flush_now(cx)
        {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for BatchedWrites<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let incoming: usize = bufs.iter().map(|buf| buf.len()).sum();
        ready!(this.poll_room(cx, incoming))?;
        if this.held.is_empty() && incoming >= PIECE {
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        Poll::Ready(Ok(this.hold(bufs)))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.fresh {
            this.fresh = false;
            this.owed = true;
            cx.waker().wake_by_ref();
            return Poll::Ready(Ok(()));
        }
        this.poll_flush_now(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};
    use tokio::io::{AsyncReadExt, DuplexStream, duplex};

    /// Counts how often the task is woken.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    struct Harness {
        batched: BatchedWrites<DuplexStream>,
        peer: DuplexStream,
        wakes: Arc<Wakes>,
    }

    impl Harness {
        fn new() -> Self {
            let (near, peer) = duplex(1 << 20);
            Self {
                batched: BatchedWrites::new(near),
                peer,
                wakes: Arc::default(),
            }
        }

        fn waker(&self) -> Waker {
            Waker::from(Arc::clone(&self.wakes))
        }

        fn write(&mut self, bytes: &[u8]) -> usize {
            let waker = self.waker();
            let mut cx = Context::from_waker(&waker);
            match Pin::new(&mut self.batched).poll_write(&mut cx, bytes) {
                Poll::Ready(Ok(written)) => written,
                other => panic!("{other:?}"),
            }
        }

        fn flush(&mut self) {
            let waker = self.waker();
            let mut cx = Context::from_waker(&waker);
            let flushed = Pin::new(&mut self.batched).poll_flush(&mut cx);
            assert!(matches!(flushed, Poll::Ready(Ok(()))), "{flushed:?}");
        }

        fn shutdown(&mut self) {
            let waker = self.waker();
            let mut cx = Context::from_waker(&waker);
            let done = Pin::new(&mut self.batched).poll_shutdown(&mut cx);
            assert!(matches!(done, Poll::Ready(Ok(()))), "{done:?}");
        }

        /// What the peer has received so far.
        fn received(&mut self) -> Vec<u8> {
            let mut cx = Context::from_waker(Waker::noop());
            let mut buf = vec![0; 1 << 20];
            let mut read = ReadBuf::new(&mut buf);
            match Pin::new(&mut self.peer).poll_read(&mut cx, &mut read) {
                Poll::Ready(Ok(())) => read.filled().to_vec(),
                Poll::Pending => Vec::new(),
                Poll::Ready(Err(error)) => panic!("{error}"),
            }
        }

        fn woken(&self) -> usize {
            self.wakes.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn small_writes_leave_together_when_the_task_runs_again() {
        let mut harness = Harness::new();
        assert_eq!(harness.write(b"frame one,"), 10);
        harness.flush();
        assert_eq!(harness.write(b"frame two"), 9);
        harness.flush();
        assert!(harness.received().is_empty());
        assert_eq!(harness.woken(), 2);
        harness.flush();
        assert_eq!(harness.received(), b"frame one,frame two");
        assert_eq!(harness.woken(), 2);
    }

    #[test]
    fn a_read_sends_what_a_put_off_flush_holds() {
        let mut harness = Harness::new();
        harness.write(b"ping");
        harness.flush();
        let waker = harness.waker();
        let mut cx = Context::from_waker(&waker);
        let mut buf = [0; 8];
        let mut read = ReadBuf::new(&mut buf);
        let polled = Pin::new(&mut harness.batched).poll_read(&mut cx, &mut read);
        assert!(polled.is_pending());
        assert_eq!(harness.received(), b"ping");
    }

    #[test]
    fn a_full_piece_leaves_at_once_and_large_writes_pass_straight() {
        let mut harness = Harness::new();
        let frame = vec![7; PIECE / 2 + 1];
        harness.write(&frame);
        harness.write(&frame);
        assert_eq!(harness.received(), frame);
        let large = vec![9; PIECE * 2];
        harness.flush();
        harness.flush();
        assert_eq!(harness.received(), frame);
        assert_eq!(harness.write(&large), large.len());
        assert_eq!(harness.received(), large);
    }

    #[tokio::test]
    async fn shutdown_sends_what_is_held_first() {
        let mut harness = Harness::new();
        harness.write(b"last words");
        harness.shutdown();
        let mut rest = Vec::new();
        harness.peer.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"last words");
    }
}
