//! The async layer (feature `tokio`, on by default): [`UdpSocket`] and [`UnixDatagram`] over tokio's
//! `AsyncFd`.
//!
//! Each type holds the blocking type and turns its non-blocking calls into async fns and `poll_*`
//! fns, charging tokio's cooperative budget as tokio's own sockets do. This layer has no syscall of
//! its own. Method names are those of `tokio::net::UdpSocket` and `tokio::net::UnixDatagram`, so
//! swapping the type keeps code compiling; dgram's additions (`recv_msg`, descriptor passing,
//! truncation reports) come on top.
//!
//! Options: the socket options tokio's types have are delegated under tokio's names (`set_broadcast`,
//! `set_ttl`, `take_error`, ...). Every other option is reached without `unsafe` through
//! [`UdpSocket::get_ref`]/[`UnixDatagram::get_ref`], which lends the blocking socket: its option
//! methods are safe to call on an async socket. (Its blocking send and receive calls are not useful
//! there: the descriptor is non-blocking, so they return `WouldBlock`; use the async ones.)
//!
//! Receive waits include tokio's `Interest::ERROR`: a pending socket error (an ICMP port unreachable
//! on a connected UDP socket) wakes a parked `recv`/`recv_from`/`recv_msg` and the [`RecvStream`], which
//! then fail with `ConnectionRefused`. The `poll_recv*` fns wait on readability alone, as tokio's do
//! (`AsyncFd` offers no poll-style wait on errors); they report the error at the next call.
//!
//! Runtime: an async socket belongs to the tokio runtime current when it is made. Outside any
//! runtime that is an `io::Error` (`Other`). Inside a runtime built without I/O
//! (`Builder::enable_io` or `enable_all` not called) tokio itself panics when the socket is made, as
//! it does for `tokio::net::UdpSocket`: tokio offers no way to ask whether a runtime has I/O before
//! registering.
//!
//! Registration: the socket joins the runtime's reactor (epoll) the first time one of its
//! operations has to wait, not when it is made, and stays in it from then on. Until then every
//! operation is the non-blocking call alone, so a socket whose send buffer never fills (a sender)
//! never pays for epoll's wakeup, which the kernel runs for every datagram queued to a registered
//! socket and every sent datagram's buffer it frees. The `try_*` calls make their syscall every
//! time until the socket is registered; after, as tokio's do, only when tokio knows the socket is
//! ready, so a `try_recv` just after a datagram arrived may say `WouldBlock` until the reactor has
//! seen it (wait with `readable()` first).
//!
//! Event style (Node's `'message'`, Racket's `udp-receive-evt`): [`RecvStream`] is a
//! `futures_core::Stream` of received datagrams and [`SendSink`] a `futures_sink::Sink` of datagrams to
//! send; both are built from an `Arc` of the socket, so one socket can feed both.

mod registration;
mod stream;
mod udp;
mod unix;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ::tokio::io::Interest;

pub use stream::{Datagram, RecvStream, SendSink};
pub use udp::UdpSocket;
pub use unix::UnixDatagram;

/// The future an [`AsyncResolve`] returns.
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>>;

/// Resolves host names asynchronously: the async hook behind Node's `lookup` option.
///
/// Plug one in with [`UdpSocket::set_resolver`]; the socket then resolves every host name of
/// [`UdpSocket::bind_to_host`], [`UdpSocket::connect_host`] and [`UdpSocket::send_to_host`] through
/// it, telling it the socket's family. Literal IP addresses never
/// reach it. Without one, tokio's resolver (`tokio::net::lookup_host`, `getaddrinfo` on a blocking
/// thread) is used.
///
/// dgram puts no time limit on a resolver, as tokio puts none on `lookup_host`: one that never
/// answers keeps `send_to_host` waiting (bound it with `tokio::time::timeout`, or inside the
/// resolver), and one that panics panics the caller.
pub trait AsyncResolve: Send + Sync + std::fmt::Debug {
    /// Returns the addresses of `host`, each with `port`, best first, for a socket of `family`.
    ///
    /// # Errors
    /// Whatever the resolver reports; dgram passes it through unchanged.
    fn resolve<'a>(&'a self, host: &'a str, port: u16, family: crate::Family) -> ResolveFuture<'a>;
}

/// Expands to the readiness calls and escape hatches both async types have, under tokio's names.
/// Each is a one-line delegation to [`Io`]; a macro only so that the two public types share one
/// text of their docs.
macro_rules! readiness_methods {
    ($ty:ident, $blocking:ty, $pair_doc:literal) => {
        /// Readiness and the caller's own syscalls.
        impl $ty {
            /// Waits until the socket is ready for `interest` and returns what it is ready for.
            ///
            /// # Errors
            /// tokio's readiness error (the runtime shut down).
            ///
            /// # Cancel safety
            /// Cancel-safe.
            ///
            /// # Examples
            /// ```
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() -> std::io::Result<()> {
            #[doc = concat!("use datagrams::tokio::", stringify!($ty), ";")]
            /// use tokio::io::Interest;
            ///
            #[doc = $pair_doc]
            /// let ready = a.ready(Interest::WRITABLE).await?;
            /// assert!(ready.is_writable()); // room in the send buffer
            /// a.send(b"ping").await?;
            /// let ready = b.ready(Interest::READABLE | Interest::WRITABLE).await?;
            /// assert!(ready.is_readable()); // "ping" is queued
            /// assert_eq!(b.recv(&mut [0u8; 8]).await?, 4);
            /// # Ok(())
            /// # }
            /// ```
            pub async fn ready(
                &self,
                interest: ::tokio::io::Interest,
            ) -> ::std::io::Result<::tokio::io::Ready> {
                self.io.ready(interest).await
            }

            /// Waits until the socket may be readable (data, or an error to report, may be pending).
            ///
            /// The readiness is tokio's, and may be a false positive, as for tokio's sockets: tokio
            /// clears it only when a `try_*` call says `WouldBlock`. So after a `recv().await` took
            /// the only queued datagram, `readable()` may return at once, and the `try_recv` that
            /// follows says `WouldBlock`. Loop on that, as below.
            ///
            /// # Errors
            /// As [`ready`](Self::ready).
            ///
            /// # Cancel safety
            /// Cancel-safe.
            ///
            /// # Examples
            /// ```
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() -> std::io::Result<()> {
            #[doc = concat!("use datagrams::tokio::", stringify!($ty), ";")]
            /// use std::io::ErrorKind;
            ///
            #[doc = $pair_doc]
            /// a.send(b"one").await?;
            /// a.send(b"two").await?;
            /// let mut buf = [0u8; 8];
            /// assert_eq!(b.recv(&mut buf).await?, 3); // takes "one"
            /// let n = loop {
            ///     b.readable().await?; // may return at once: "one" made it readable
            ///     match b.try_recv(&mut buf) {
            ///         Ok(n) => break n,
            ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue, // a false positive
            ///         Err(e) => return Err(e),
            ///     }
            /// };
            /// assert_eq!(&buf[..n], b"two");
            /// # Ok(())
            /// # }
            /// ```
            pub async fn readable(&self) -> ::std::io::Result<()> {
                self.io
                    .ready(::tokio::io::Interest::READABLE | ::tokio::io::Interest::ERROR)
                    .await
                    .map(drop)
            }

            /// Waits until a send may succeed.
            ///
            /// # Errors
            /// As [`ready`](Self::ready).
            ///
            /// # Cancel safety
            /// Cancel-safe.
            ///
            /// # Examples
            /// ```
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() -> std::io::Result<()> {
            #[doc = concat!("use datagrams::tokio::", stringify!($ty), ";")]
            /// use std::io::ErrorKind;
            ///
            #[doc = $pair_doc]
            /// let n = loop {
            ///     a.writable().await?;
            ///     match a.try_send(b"now") {
            ///         Ok(n) => break n,
            ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue, // a false positive
            ///         Err(e) => return Err(e),
            ///     }
            /// };
            /// assert_eq!(n, 3);
            /// assert_eq!(b.recv(&mut [0u8; 8]).await?, 3);
            /// # Ok(())
            /// # }
            /// ```
            pub async fn writable(&self) -> ::std::io::Result<()> {
                self.io
                    .ready(::tokio::io::Interest::WRITABLE)
                    .await
                    .map(drop)
            }

            /// Runs the caller's own non-blocking operation `f` when the socket is ready for
            /// `interest`, until it stops saying `WouldBlock` (tokio's `async_io`; on a socket no
            /// operation has waited on, `f` is first tried at once). `f` gets the blocking socket.
            ///
            /// # Errors
            /// What `f` returns other than `WouldBlock`.
            ///
            /// # Cancel safety
            /// Cancel-safe if `f` is: it runs only synchronously inside a poll.
            ///
            /// # Examples
            /// ```
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() -> std::io::Result<()> {
            #[doc = concat!("use datagrams::tokio::", stringify!($ty), ";")]
            /// use datagrams::MsgFlags;
            /// use tokio::io::Interest;
            ///
            #[doc = $pair_doc]
            /// a.send(b"peek me").await?;
            /// let mut buf = [0u8; 16];
            /// // The caller's own non-blocking call on the blocking socket: here, a peek.
            /// let n = b
            ///     .async_io(Interest::READABLE, |s| {
            ///         s.recv_with_flags(&mut buf, MsgFlags::PEEK | MsgFlags::DONTWAIT)
            ///     })
            ///     .await?;
            /// assert_eq!(n, 7);
            /// assert_eq!(b.recv(&mut buf).await?, 7); // still queued after the peek
            /// # Ok(())
            /// # }
            /// ```
            pub async fn async_io<R>(
                &self,
                interest: ::tokio::io::Interest,
                f: impl FnMut(&$blocking) -> ::std::io::Result<R>,
            ) -> ::std::io::Result<R> {
                self.io.async_io(interest, f).await
            }

            /// Runs `f` once: at once while no operation on the socket has waited (it is not yet
            /// registered with tokio, see the [module docs](crate::tokio)), else if tokio knows it
            /// ready for `interest` (tokio's `try_io`; a `WouldBlock` from `f` clears that
            /// readiness).
            ///
            /// # Errors
            /// `WouldBlock` when not ready; otherwise what `f` returns.
            ///
            /// # Examples
            /// ```
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() -> std::io::Result<()> {
            #[doc = concat!("use datagrams::tokio::", stringify!($ty), ";")]
            /// use std::io::ErrorKind;
            /// use tokio::io::Interest;
            ///
            #[doc = $pair_doc]
            /// let mut buf = [0u8; 8];
            /// let e = b.try_io(Interest::READABLE, |s| s.try_recv(&mut buf)).unwrap_err();
            /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // nothing queued
            /// a.send(b"x").await?;
            /// let n = loop {
            ///     b.readable().await?;
            ///     match b.try_io(Interest::READABLE, |s| s.try_recv(&mut buf)) {
            ///         Ok(n) => break n,
            ///         Err(e) if e.kind() == ErrorKind::WouldBlock => continue, // a false positive
            ///         Err(e) => return Err(e),
            ///     }
            /// };
            /// assert_eq!(&buf[..n], b"x");
            /// # Ok(())
            /// # }
            /// ```
            pub fn try_io<R>(
                &self,
                interest: ::tokio::io::Interest,
                f: impl FnOnce(&$blocking) -> ::std::io::Result<R>,
            ) -> ::std::io::Result<R> {
                self.io.try_io(interest, f)
            }
        }
    };
}

use readiness_methods;

/// Readiness plumbing shared by both async types: the only place that talks to tokio's reactor.
///
/// The socket is registered with the reactor the first time an operation has to wait (see
/// [`registration::Lazy`]). Until then every operation is the non-blocking call itself; after, an
/// operation runs at once when tokio knows the socket is ready, and waits through `AsyncFd`
/// otherwise.
#[derive(Debug)]
pub(crate) struct Io<T> {
    fd: registration::Lazy<T>,
}

/// Readiness a receive waits for: data, or an error to report.
const RECV: Interest = Interest::READABLE.add(Interest::ERROR);

impl<T: registration::Socket> Io<T> {
    pub(crate) fn new(inner: T) -> io::Result<Self> {
        Ok(Io {
            fd: registration::Lazy::new(inner)?,
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.fd.get_ref()
    }

    pub(crate) fn into_inner(self) -> T {
        self.fd.into_inner()
    }

    /// A receive: the non-blocking receive `f`, at once if it may succeed, else each time the socket
    /// has data or an error to report, until `f` does not say `WouldBlock`. Cancel-safe when `f` is:
    /// `f` runs only synchronously inside a poll.
    ///
    /// The attempt at once asks for readability alone: tokio's `try_io` sees no readiness at all for
    /// a combined interest (`Interest::mask` is empty for `READABLE | ERROR`); a pending error
    /// without data takes the wait, which watches for it.
    pub(crate) async fn recv<R>(&self, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        match self.attempt_budgeted(Interest::READABLE, &mut f).await {
            Some(r) => r,
            None => self.wait(RECV, f).await,
        }
    }

    /// A send: the non-blocking send `f`, at once if it may succeed, else each time the socket is
    /// writable, until `f` does not say `WouldBlock`. Cancel-safe as [`recv`](Self::recv).
    pub(crate) async fn send<R>(&self, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        match self.attempt_budgeted(Interest::WRITABLE, &mut f).await {
            Some(r) => r,
            None => self.wait(Interest::WRITABLE, f).await,
        }
    }

    /// `f` once, now: directly while the socket is unregistered, else if tokio knows the socket is
    /// ready for `interest` (`AsyncFd::try_io`; a `WouldBlock` from `f` clears the readiness).
    #[inline]
    fn attempt<R>(&self, interest: Interest, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let inner = self.fd.get_ref();
        match self.fd.registered() {
            None => f(inner),
            Some(reg) => reg.try_io(interest, |_| f(inner)),
        }
    }

    /// [`attempt`](Self::attempt) as a future that finishes at once, charging the task's
    /// cooperative budget as tokio's own operations do (`coop::poll_proceed`; a `WouldBlock`
    /// gives the unit back), so that a loop on a socket that is always ready still yields. `None`
    /// for `WouldBlock`.
    #[inline]
    fn attempt_budgeted<'a, R, F: FnMut(&T) -> io::Result<R>>(
        &'a self,
        interest: Interest,
        f: &'a mut F,
    ) -> impl Future<Output = Option<io::Result<R>>> + 'a {
        std::future::poll_fn(move |cx| {
            let budget = ready!(::tokio::task::coop::poll_proceed(cx));
            Poll::Ready(match self.attempt(interest, &mut *f) {
                // Dropping `budget` without progress gives the unit back.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
                r => {
                    budget.made_progress();
                    Some(r)
                }
            })
        })
    }

    /// Registers the socket if no operation has waited before, and runs `f` through `async_io`
    /// for `wait` (refusing first a receive no datagram could ever reach).
    async fn wait<R>(
        &self,
        wait: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let inner = self.fd.get_ref();
        if wait.is_readable() {
            // Before waiting (a receive that went through needs no check): one no datagram can
            // reach would wait forever.
            inner.ensure_receivable()?;
        }
        self.fd.register()?.async_io(wait, |_| f(inner)).await
    }

    /// The caller's own operation with its own interest (`AsyncFd::async_io`, which charges the
    /// budget itself); on an unregistered socket it is tried at once first, budget charged.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        if self.fd.registered().is_none() {
            // `interest` plays no part in an unregistered attempt.
            if let Some(r) = self.attempt_budgeted(interest, &mut f).await {
                return r;
            }
        }
        let inner = self.fd.get_ref();
        self.fd.register()?.async_io(interest, |_| f(inner)).await
    }

    /// A non-blocking receive, once, if the socket may be readable; first `InvalidInput` when no
    /// datagram could ever reach the socket, as the waiting receives say.
    ///
    /// When tokio knows of no data but of a pending error (the readiness `readable()` also waits
    /// for), the receive runs too: it reports a socket error, or says `WouldBlock`, which clears that
    /// readiness. Without this, a `readable()`/`try_recv` loop would spin while an error-queue report
    /// waits.
    pub(crate) fn try_recv<R>(&self, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let inner = self.fd.get_ref();
        inner.ensure_receivable()?;
        let Some(reg) = self.fd.registered() else {
            return f(inner);
        };
        match reg.try_io(Interest::READABLE, |_| f(inner)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                reg.try_io(Interest::ERROR, |_| f(inner))
            }
            r => r,
        }
    }

    /// The caller's own operation, once, if the socket may be ready for `interest`
    /// (`AsyncFd::try_io` once registered).
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.attempt(interest, f)
    }

    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<::tokio::io::Ready> {
        if interest.is_readable() {
            // As the receives: a socket no datagram can reach would never be readable.
            self.fd.get_ref().ensure_receivable()?;
        }
        let mut guard = self.fd.register()?.ready(interest).await?;
        let ready = guard.ready();
        // The caller will attempt I/O itself; keep the readiness for it.
        guard.retain_ready();
        Ok(ready)
    }

    /// A poll-form operation: on an unregistered socket `f` is tried at once (charging the
    /// cooperative budget, as tokio's readiness polls do); then, registered, it waits for `interest`
    /// (readable or writable) and tries.
    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        readable: bool,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let inner = self.fd.get_ref();
        if self.fd.registered().is_none() {
            let budget = ready!(::tokio::task::coop::poll_proceed(cx));
            match f(inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => {
                    budget.made_progress();
                    return Poll::Ready(r);
                }
            }
        }
        let reg = self.fd.register()?;
        loop {
            let mut guard = if readable {
                ready!(reg.poll_read_ready(cx))?
            } else {
                ready!(reg.poll_write_ready(cx))?
            };
            if let Ok(r) = guard.try_io(|_| f(inner)) {
                return Poll::Ready(r);
            }
        }
    }

    /// A receive in poll form: waits for readability, then tries.
    pub(crate) fn poll_recv<R>(
        &self,
        cx: &mut Context<'_>,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.fd.get_ref().ensure_receivable()?;
        self.poll_io(cx, true, f)
    }

    /// A send in poll form: waits for writability, then tries.
    pub(crate) fn poll_send<R>(
        &self,
        cx: &mut Context<'_>,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io(cx, false, f)
    }

    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.fd.get_ref().ensure_receivable()?;
        self.fd
            .register()?
            .poll_read_ready(cx)
            .map_ok(|mut g| g.retain_ready())
    }

    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.fd
            .register()?
            .poll_write_ready(cx)
            .map_ok(|mut g| g.retain_ready())
    }
}
