//! Event style: a `Stream` of received datagrams and a `Sink` of datagrams to send, over an `Arc` of
//! either async socket (Node's `'message'` event and `send`, Racket's `udp-receive-evt`/`udp-send-evt`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio_util::sync::ReusableBoxFuture;

use super::UdpSocket;
use crate::RecvMeta;

/// One received datagram: its bytes (at most the stream's `max_len`; see `meta.truncated`) and what
/// the kernel reported with it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Datagram<A = SocketAddr> {
    /// The bytes received.
    pub data: Vec<u8>,
    /// Sender, lengths, truncation, credentials.
    pub meta: RecvMeta<A>,
}

impl<A> Datagram<A> {
    /// The bytes a receive wrote into `data`, with what it reported.
    pub(super) fn new(mut data: Vec<u8>, meta: RecvMeta<A>) -> Self {
        data.truncate(meta.len);
        Datagram { data, meta }
    }
}

/// The socket calls the stream and the sink need, for both socket types.
pub trait EventSocket: Send + Sync + 'static + private::Sealed {
    /// The address type: `SocketAddr` or `UnixAddr`.
    type Addr: Send + Sync + 'static;
    /// The largest buffer a [`RecvStream`] reads into: no datagram of this socket type is longer.
    #[doc(hidden)]
    const MAX_LEN: usize;
    #[doc(hidden)]
    fn recv_owned(
        self: Arc<Self>,
        max_len: usize,
    ) -> impl Future<Output = io::Result<Datagram<Self::Addr>>> + Send + 'static;
    #[doc(hidden)]
    fn poll_send_to_addr(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        to: &Self::Addr,
    ) -> Poll<io::Result<usize>>;
}

/// Seals [`EventSocket`]: the socket types implement it in their own modules.
pub(super) mod private {
    pub trait Sealed {}
}

/// A `futures_core::Stream` of the datagrams a socket receives (Node's `'message'` event).
///
/// Each item is one datagram of at most `max_len` bytes, or the error a receive reported (an ICMP
/// port unreachable wakes it, as the async receives). The stream ends after an error that every later
/// receive would repeat: a Unix socket's read side shut down (`BrokenPipe`), or a socket that can
/// never receive, such as a UDP socket never bound (`InvalidInput`). Dropping the stream loses no
/// datagram: one is only taken when it is yielded.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use std::sync::Arc;
/// use futures::StreamExt;
/// use datagrams::tokio::{RecvStream, UdpSocket};
///
/// let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
/// let mut messages = RecvStream::new(Arc::clone(&sock), 1500);
/// sock.send_to(b"to myself", sock.local_addr()?).await?;
/// let d = messages.next().await.unwrap()?;
/// assert_eq!((&d.data[..], d.meta.addr), (&b"to myself"[..], sock.local_addr()?));
/// # Ok(()) }
/// ```
pub struct RecvStream<S: EventSocket = UdpSocket> {
    sock: Arc<S>,
    max_len: usize,
    next: ReusableBoxFuture<'static, io::Result<Datagram<S::Addr>>>,
    done: bool,
}

impl<S: EventSocket> RecvStream<S> {
    /// A stream of the datagrams `sock` receives, each read into a buffer of `max_len` bytes, at most
    /// 65,536 for UDP (no UDP datagram is longer) and 16 MiB for Unix: a larger `max_len` is
    /// capped.
    pub fn new(sock: Arc<S>, max_len: usize) -> Self {
        let max_len = max_len.min(S::MAX_LEN);
        let next = ReusableBoxFuture::new(Arc::clone(&sock).recv_owned(max_len));
        RecvStream {
            sock,
            max_len,
            next,
            done: false,
        }
    }

    /// The socket.
    pub fn get_ref(&self) -> &Arc<S> {
        &self.sock
    }
}

impl<S: EventSocket> futures_core::Stream for RecvStream<S> {
    type Item = io::Result<Datagram<S::Addr>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = ready!(this.next.poll(cx));
        if matches!(&item, Err(e) if matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::InvalidInput
        )) {
            this.done = true;
        } else {
            // Reuses the allocation of the previous future.
            this.next
                .set(Arc::clone(&this.sock).recv_owned(this.max_len));
        }
        Poll::Ready(Some(item))
    }
}

impl<S: EventSocket> std::fmt::Debug for RecvStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvStream")
            .field("max_len", &self.max_len)
            .field("done", &self.done)
            .finish()
    }
}

/// A `futures_sink::Sink` of `(bytes, destination)` datagrams (Node's `send` in event style).
///
/// `poll_ready` makes room by flushing the datagram held from the last `start_send`; `poll_flush`
/// sends it. At most one datagram is held, so back-pressure is the socket's own. After `poll_close`
/// the sink takes no more datagrams (`BrokenPipe`); one held and never flushed is lost when the sink
/// is dropped, as with any sink.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use std::sync::Arc;
/// use futures::SinkExt;
/// use datagrams::tokio::{SendSink, UdpSocket};
///
/// let rx = UdpSocket::bind("127.0.0.1:0").await?;
/// let mut sink = SendSink::new(Arc::new(UdpSocket::bind("127.0.0.1:0").await?));
/// sink.send((b"one".to_vec(), rx.local_addr()?)).await?;
/// let mut buf = [0u8; 8];
/// assert_eq!(rx.recv(&mut buf).await?, 3);
/// # Ok(()) }
/// ```
pub struct SendSink<B, S: EventSocket = UdpSocket> {
    sock: Arc<S>,
    pending: Option<(B, S::Addr)>,
    /// Set by `poll_close` once it flushed: the sink takes no more datagrams.
    closed: bool,
}

impl<B, S: EventSocket> SendSink<B, S> {
    /// A sink sending through `sock`.
    pub fn new(sock: Arc<S>) -> Self {
        SendSink {
            sock,
            pending: None,
            closed: false,
        }
    }

    /// The socket.
    pub fn get_ref(&self) -> &Arc<S> {
        &self.sock
    }
}

impl<B: AsRef<[u8]> + Unpin, S: EventSocket> futures_sink::Sink<(B, S::Addr)> for SendSink<B, S>
where
    S::Addr: Unpin,
{
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.closed {
            return Poll::Ready(Err(closed()));
        }
        self.poll_flush(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: (B, S::Addr)) -> io::Result<()> {
        let this = self.get_mut();
        if this.closed {
            return Err(closed());
        }
        if this.pending.is_some() {
            return Err(crate::error::invalid_input(
                "start_send without poll_ready: a datagram is still held",
            ));
        }
        this.pending = Some(item);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some((buf, to)) = &this.pending {
            let r = ready!(this.sock.poll_send_to_addr(cx, buf.as_ref(), to));
            // Sent or failed, the datagram is done with: a datagram is never retried.
            this.pending = None;
            r?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = ready!(self.as_mut().poll_flush(cx));
        self.closed = true;
        Poll::Ready(flushed)
    }
}

/// What a closed sink says to another datagram.
fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the sink is closed: it takes no more datagrams",
    )
}

impl<B, S: EventSocket> std::fmt::Debug for SendSink<B, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendSink")
            .field("pending", &self.pending.is_some())
            .finish()
    }
}
