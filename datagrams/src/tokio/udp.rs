//! The async `UdpSocket`.

use std::borrow::Borrow;
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};

use ::tokio::io::{Interest, ReadBuf};
use ::tokio::net::{ToSocketAddrs, lookup_host};

use super::{AsyncResolve, Io};
use crate::{Family, Interface, MsgFlags, RecvMeta, Transmit};

/// An async UDP socket: `tokio::net::UdpSocket`'s calls, plus dgram's (`recv_msg` with truncation
/// reports, message flags, `send_to_host` with a pluggable resolver, unbound sockets).
///
/// Every call takes `&self`; share the socket between tasks with `Arc`. Each async receive is
/// cancel-safe as tokio's are: dropping the future before it completes loses no datagram.
///
/// # Panics
/// Making one inside a tokio runtime built without I/O panics in tokio, as `tokio::net::UdpSocket`
/// does (see the [module docs](crate::tokio)); outside any runtime it is an error.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use datagrams::tokio::UdpSocket;
///
/// let server = UdpSocket::bind("127.0.0.1:0").await?;
/// let client = UdpSocket::bind("127.0.0.1:0").await?;
/// client.send_to(b"hello", server.local_addr()?).await?;
/// let mut buf = [0u8; 64];
/// let meta = server.recv_msg(&mut buf).await?;
/// assert_eq!((&buf[..meta.len], meta.addr), (&b"hello"[..], client.local_addr()?));
/// # Ok(()) }
/// ```
pub struct UdpSocket {
    io: Io<crate::UdpSocket>,
    resolver: Option<Arc<dyn AsyncResolve>>,
}

/// Life cycle: create, bind, connect, disconnect, shut down, close.
impl UdpSocket {
    /// Binds a new socket to `addr`, resolving host names asynchronously (tokio's
    /// `lookup_host`) and trying each address in turn, as tokio's `bind` does.
    ///
    /// Must be called within a tokio runtime with I/O enabled.
    ///
    /// # Errors
    /// `NotFound` for a host name that does not resolve; otherwise the last `bind(2)` error
    /// (`AddrInUse`, `AddrNotAvailable`, `PermissionDenied`).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(sock.local_addr()?.ip().is_loopback());
    /// assert_ne!(sock.local_addr()?.port(), 0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for a in lookup_host(addr)
            .await
            .map_err(|e| crate::resolve::lookup_error(&"the bind address", e))?
        {
            match crate::UdpSocket::bind(a).and_then(UdpSocket::new) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            crate::error::invalid_input("the bind address resolved to no address")
        }))
    }

    /// Creates an unbound socket of `family` (Node's `createSocket`); it is bound by `bind_to`, `connect`
    /// or its first send.
    ///
    /// # Errors
    /// What `socket(2)` reports, or tokio's registration error.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{Family, tokio::UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// assert_eq!(sock.local_addr()?, "0.0.0.0:0".parse().unwrap());
    /// sock.bind_to("127.0.0.1:0").await?;
    /// assert!(sock.local_addr()?.ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn unbound(family: Family) -> io::Result<UdpSocket> {
        UdpSocket::new(crate::UdpSocket::unbound(family)?)
    }

    /// Takes a blocking dgram socket (from [`crate::UdpSocket::builder`], say) into the async world: it
    /// is switched to non-blocking mode and registered with the current tokio runtime.
    ///
    /// # Errors
    /// What `fcntl(2)` reports, or tokio's registration error (no runtime).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let blocking = datagrams::UdpSocket::builder().reuse_address(true).bind("127.0.0.1:0")?;
    /// let sock = UdpSocket::new(blocking)?; // now non-blocking, on this runtime
    /// assert!(sock.get_ref().reuse_address()?); // the options set before carry over
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(sock: crate::UdpSocket) -> io::Result<UdpSocket> {
        sock.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Io::new(sock)?,
            resolver: None,
        })
    }

    /// Resolves host names of [`bind_to_host`](Self::bind_to_host),
    /// [`connect_host`](Self::connect_host) and [`send_to_host`](Self::send_to_host) through
    /// `resolver` (Node's `lookup` option), telling it the socket's family.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::net::{Ipv4Addr, SocketAddr};
    /// use datagrams::Family;
    /// use datagrams::tokio::{AsyncResolve, ResolveFuture, UdpSocket};
    ///
    /// /// Names ending in `.test` are this host; nothing else resolves.
    /// #[derive(Debug)]
    /// struct TestNames;
    ///
    /// impl AsyncResolve for TestNames {
    ///     fn resolve<'a>(&'a self, host: &'a str, port: u16, _family: Family) -> ResolveFuture<'a> {
    ///         Box::pin(async move {
    ///             if host.ends_with(".test") {
    ///                 Ok(vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))])
    ///             } else {
    ///                 let msg = format!("no such name: {host}");
    ///                 Err(std::io::Error::new(std::io::ErrorKind::NotFound, msg))
    ///             }
    ///         })
    ///     }
    /// }
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut tx = UdpSocket::unbound(Family::V4)?;
    /// tx.set_resolver(TestNames);
    /// tx.send_to_host(b"by my name", "rx.test", rx.local_addr()?.port()).await?;
    /// assert_eq!(rx.recv(&mut [0u8; 16]).await?, 10);
    /// let e = tx.send_to_host(b"x", "example.com", 9).await.unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::NotFound); // the resolver's answer, unchanged
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_resolver(&mut self, resolver: impl AsyncResolve + 'static) {
        self.resolver = Some(Arc::new(resolver));
    }

    /// Binds an unbound socket (see [`crate::UdpSocket::bind_to`]); a host name resolves
    /// asynchronously.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::bind_to`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{Family, tokio::UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// sock.get_ref().set_reuse_address(true)?; // options before binding
    /// sock.bind_to("127.0.0.1:0").await?;
    /// assert_eq!(sock.local_addr()?.ip().to_string(), "127.0.0.1");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind_to(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs: Vec<SocketAddr> = lookup_host(addr)
            .await
            .map_err(|e| crate::resolve::lookup_error(&"the bind address", e))?
            .collect();
        self.get_ref().bind_to(&addrs[..])
    }

    /// Binds an unbound socket to `host`:`port`, resolving through the socket's [`AsyncResolve`]
    /// (tokio's resolver when none is set), told the socket's family.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::bind_to`], and whatever the resolver reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{Family, tokio::UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// sock.bind_to_host("localhost", 0).await?; // an IPv4 address of the name
    /// assert!(sock.local_addr()?.ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind_to_host(&self, host: &str, port: u16) -> io::Result<()> {
        let addrs = self.resolve_host(host, port).await?;
        self.get_ref().bind_to(&addrs[..])
    }

    /// Connects to `addr` (see [`crate::UdpSocket::connect`]); a host name resolves asynchronously.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::connect`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0").await?;
    /// let client = UdpSocket::bind("127.0.0.1:0").await?;
    /// client.connect(server.local_addr()?).await?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// client.send(b"ping").await?;
    ///
    /// let mut buf = [0u8; 16];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
    /// server.send_to(b"pong", from).await?;
    /// let n = client.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"pong");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs: Vec<SocketAddr> = lookup_host(addr)
            .await
            .map_err(|e| crate::resolve::lookup_error(&"the destination", e))?
            .collect();
        self.get_ref().connect(&addrs[..])
    }

    /// Connects to `host`:`port`, resolving through the socket's [`AsyncResolve`] (tokio's resolver
    /// when none is set).
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and whatever the resolver reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0").await?;
    /// let client = UdpSocket::bind("127.0.0.1:0").await?;
    /// client.connect_host("localhost", server.local_addr()?.port()).await?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        let addrs = self.resolve_host(host, port).await?;
        self.get_ref().connect(&addrs[..])
    }

    /// Shuts down a direction (see [`crate::UdpSocket::shutdown`]); `Shutdown::Read` wakes every
    /// parked receive, which fails with `BrokenPipe`: the way to stop receives in other tasks.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::shutdown`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::net::Shutdown;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.shutdown(Shutdown::Read)?;
    /// let e = sock.recv(&mut [0u8; 8]).await.unwrap_err(); // ends at once, never waits
    /// assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "SHUT_RD")]
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.get_ref().shutdown(how)
    }

    /// Dissolves the association (see [`crate::UdpSocket::disconnect`]).
    ///
    /// # Errors
    /// As [`crate::UdpSocket::disconnect`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.connect(UdpSocket::bind("127.0.0.1:0").await?.local_addr()?).await?;
    /// sock.disconnect()?;
    /// assert_eq!(sock.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// # Ok(())
    /// # }
    /// ```
    pub fn disconnect(&self) -> io::Result<()> {
        self.get_ref().disconnect()
    }

    /// The local address (`0.0.0.0:0`/`[::]:0` while unbound).
    ///
    /// # Errors
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::1]:0").await?;
    /// assert_eq!(sock.local_addr()?.ip(), std::net::Ipv6Addr::LOCALHOST);
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// `NotConnected` when not connected.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0").await?;
    /// let b = UdpSocket::bind("127.0.0.1:0").await?;
    /// a.connect(b.local_addr()?).await?;
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// Closes the socket, waiting for nothing, and reports close(2)'s error.
    ///
    /// # Errors
    /// What `close(2)` reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.close()?; // close(2)'s error, if any, instead of Drop's silence
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(self) -> io::Result<()> {
        self.io.into_inner().close()
    }

    fn try_recv_io<R>(&self, f: impl FnMut(&crate::UdpSocket) -> io::Result<R>) -> io::Result<R> {
        self.io.try_recv(f)
    }

    fn poll_recv_io<R>(
        &self,
        cx: &mut Context<'_>,
        f: impl FnMut(&crate::UdpSocket) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.io.poll_recv(cx, f)
    }

    async fn resolve_host(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        match &self.resolver {
            Some(r) => r.resolve(host, port, self.get_ref().family()).await,
            None => Ok(lookup_host((host, port))
                .await
                .map_err(|e| crate::resolve::lookup_error(&host, e))?
                .collect()),
        }
    }
}

/// Sending.
impl UdpSocket {
    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::send`].
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, nothing was sent.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.connect(rx.local_addr()?).await?;
    /// assert_eq!(tx.send(b"hello").await?, 5);
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hello");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.send(|s| s.try_send(buf)).await
    }

    /// Sends `buf` to `addr`; a host name resolves asynchronously (tokio's `lookup_host`) and the
    /// first address that fits the socket's family is used.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::send_to`].
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, nothing was sent.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(tx.send_to(b"hello", rx.local_addr()?).await?, 5);
    /// let mut buf = [0u8; 16];
    /// let (n, from) = rx.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"hello"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let mut addrs = lookup_host(addr)
            .await
            .map_err(|e| crate::resolve::lookup_error(&"the destination", e))?;
        match addrs.next() {
            // The common case, one literal address, needs no collection.
            Some(first) if addrs.size_hint().1 == Some(0) => {
                self.io.send(|s| s.try_send_to(buf, first)).await
            }
            Some(first) => {
                let all: Vec<SocketAddr> = std::iter::once(first).chain(addrs).collect();
                self.io.send(|s| s.try_send_to(buf, &all[..])).await
            }
            None => Err(crate::error::invalid_input(
                "the destination resolved to no address",
            )),
        }
    }

    /// Sends to `host`:`port`, resolving through the socket's [`AsyncResolve`].
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to), and whatever the resolver reports.
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, nothing was sent.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to_host(b"by name", "localhost", rx.local_addr()?.port()).await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf).await?, (7, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_to_host(&self, buf: &[u8], host: &str, port: u16) -> io::Result<usize> {
        let addrs = self.resolve_host(host, port).await?;
        self.io.send(|s| s.try_send_to(buf, &addrs[..])).await
    }

    /// Gathers `bufs` into one datagram to the connected peer.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::send_vectored`].
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSlice;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.connect(rx.local_addr()?).await?;
    /// tx.send_vectored(&[IoSlice::new(b"head,"), IoSlice::new(b"body")]).await?; // one datagram
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"head,body");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io
            .send(|s| s.send_vectored_with_flags(bufs, MsgFlags::DONTWAIT))
            .await
    }

    /// Gathers `bufs` into one datagram to `addr`.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::send_to_vectored`].
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSlice;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let parts = [IoSlice::new(b"head,"), IoSlice::new(b"body")];
    /// assert_eq!(tx.send_to_vectored(&parts, rx.local_addr()?).await?, 9); // one datagram
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"head,body");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_to_vectored(
        &self,
        bufs: &[IoSlice<'_>],
        addr: SocketAddr,
    ) -> io::Result<usize> {
        self.io
            .send(|s| s.send_to_vectored_with_flags(bufs, addr, MsgFlags::DONTWAIT))
            .await
    }

    /// Sends to the connected peer if it can be done without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.connect(rx.local_addr()?).await?;
    /// tx.writable().await?;
    /// assert_eq!(tx.try_send(b"now")?, 3);
    /// assert_eq!(rx.recv(&mut [0u8; 8]).await?, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |s| s.try_send(buf))
    }

    /// Sends to `addr` if it can be done without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; otherwise as [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(tx.try_send_to(b"now", rx.local_addr()?)?, 3); // room in the send buffer
    /// let mut buf = [0u8; 8];
    /// assert_eq!(rx.recv_from(&mut buf).await?, (3, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.io
            .try_io(Interest::WRITABLE, |s| s.try_send_to(buf, addr))
    }

    /// Polls a send to the connected peer.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.connect(rx.local_addr()?).await?;
    /// assert_eq!(poll_fn(|cx| tx.poll_send(cx, b"polled")).await?, 6);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(rx.recv(&mut buf).await?, 6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_send(cx, |s| s.try_send(buf))
    }

    /// Polls a send to `addr`.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let to = rx.local_addr()?;
    /// assert_eq!(poll_fn(|cx| tx.poll_send_to(cx, b"polled", to)).await?, 6);
    /// assert_eq!(rx.recv(&mut [0u8; 16]).await?, 6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        addr: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_send(cx, |s| s.try_send_to(buf, addr))
    }
}

/// Receiving.
impl UdpSocket {
    /// Receives one datagram from the connected peer; returns the bytes written (excess discarded:
    /// see [`recv_msg`](Self::recv_msg)).
    ///
    /// # Errors
    /// As [`crate::UdpSocket::recv`]; `ConnectionRefused` wakes a parked receive.
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"0123456789", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(rx.recv(&mut buf).await?, 4); // the rest is discarded
    /// assert_eq!(&buf, b"0123");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.recv(|s| s.try_recv(buf)).await
    }

    /// Receives one datagram and its sender.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0").await?;
    /// let client = UdpSocket::bind("127.0.0.1:0").await?;
    /// client.send_to(b"request", server.local_addr()?).await?;
    ///
    /// let mut buf = [0u8; 1500];
    /// // cancel-safe: a timeout that fires loses no datagram
    /// let (n, peer) = tokio::time::timeout(Duration::from_secs(5), server.recv_from(&mut buf))
    ///     .await
    ///     .expect("no datagram within 5 s")?;
    /// assert_eq!((&buf[..n], peer), (&b"request"[..], client.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.recv(|s| s.try_recv_from(buf)).await
    }

    /// Reads the next datagram and its sender without taking it from the queue.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"look", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.peek_from(&mut buf).await?, (4, tx.local_addr()?));
    /// assert_eq!(rx.recv(&mut buf).await?, 4); // still queued after the peek
    /// # Ok(())
    /// # }
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.recv(|s| s.try_peek_from(buf)).await
    }

    /// Reads the next datagram without taking it from the queue.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.connect(tx.local_addr()?).await?;
    /// tx.send_to(b"look", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.peek(&mut buf).await?, 4);
    /// assert_eq!(rx.recv(&mut buf).await?, 4); // still queued after the peek
    /// # Ok(())
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .recv(|s| s.recv_with_flags(buf, MsgFlags::PEEK | MsgFlags::DONTWAIT))
            .await
    }

    /// The sender of the next datagram, without taking it (tokio's `peek_sender`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"who?", rx.local_addr()?).await?;
    /// assert_eq!(rx.peek_sender().await?, tx.local_addr()?); // decide before taking it
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf).await?, (4, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        self.io
            .recv(|s| s.try_peek_from(&mut []).map(|(_, a)| a))
            .await
    }

    /// Receives one datagram and reports everything about it (sender, bytes written, full length,
    /// truncation), as [`crate::UdpSocket::recv_msg`].
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"0123456789", rx.local_addr()?).await?;
    /// let mut small = [0u8; 4];
    /// let meta = rx.recv_msg(&mut small).await?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    /// assert_eq!(meta.addr, tx.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_msg(&self, buf: &mut [u8]) -> io::Result<RecvMeta> {
        self.io
            .recv(|s| s.recv_msg_vectored(&mut [IoSliceMut::new(buf)], MsgFlags::DONTWAIT))
            .await
    }

    /// Scatters one datagram into `bufs` with message flags (`PEEK`), reporting as
    /// [`recv_msg`](Self::recv_msg).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{MsgFlags, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"headbody", rx.local_addr()?).await?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 16]);
    /// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    /// let meta = rx.recv_msg_vectored(&mut bufs, MsgFlags::empty()).await?;
    /// assert_eq!((meta.len, meta.addr), (8, tx.local_addr()?));
    /// assert_eq!((&head, &body[..4]), (b"head", &b"body"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        // Checked before waiting: a send-only flag would otherwise wait for a datagram to refuse.
        flags.recv_bits()?;
        self.io
            .recv(|s| s.recv_msg_vectored(bufs, flags | MsgFlags::DONTWAIT))
            .await
    }

    /// Receives one datagram into the spare capacity of `buf` (any [`bytes::BufMut`]), not zeroed
    /// first; returns the bytes written, which count as part of `buf` (tokio's `recv_buf`). A
    /// datagram longer than the spare capacity is truncated, and one received into a buffer with
    /// no spare capacity at all (a full `&mut [u8]`) is taken and gives `Ok(0)`, as with tokio: see
    /// [`crate::UdpSocket::recv_msg_buf`], which also reports the full length.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"hello", rx.local_addr()?).await?;
    /// let mut buf = Vec::with_capacity(1500);
    /// let (n, from) = rx.recv_buf_from(&mut buf).await?;
    /// assert_eq!((n, &buf[..], from), (5, &b"hello"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io
            .recv(|s| s.recv_msg_buf(buf, MsgFlags::DONTWAIT))
            .await
            .map(|m| m.len)
    }

    /// Receives one datagram and its sender into the spare capacity of `buf`, as
    /// [`recv_buf`](Self::recv_buf) (tokio's `recv_buf_from`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"into a Vec", rx.local_addr()?).await?;
    /// let mut buf = Vec::with_capacity(1500); // its spare capacity is filled, not zeroed first
    /// let (n, from) = rx.recv_buf_from(&mut buf).await?;
    /// assert_eq!((n, &buf[..], from), (10, &b"into a Vec"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.io
            .recv(|s| s.recv_msg_buf(buf, MsgFlags::DONTWAIT))
            .await
            .map(|m| (m.len, m.addr))
    }

    /// Receives one datagram into the spare capacity of `buf` if one is queued, as
    /// [`recv_buf`](Self::recv_buf) (tokio's `try_recv_buf`).
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.connect(tx.local_addr()?).await?;
    /// let mut buf = Vec::with_capacity(1500);
    /// let e = rx.try_recv_buf(&mut buf).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nothing queued
    /// tx.send_to(b"hello", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// assert_eq!(rx.try_recv_buf(&mut buf)?, 5);
    /// assert_eq!(buf, b"hello");
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.try_recv_io(|s| s.recv_msg_buf(buf, MsgFlags::DONTWAIT))
            .map(|m| m.len)
    }

    /// Receives one datagram and its sender into the spare capacity of `buf` if one is queued
    /// (tokio's `try_recv_buf_from`).
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"hello", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// let mut buf = Vec::with_capacity(1500);
    /// assert_eq!(rx.try_recv_buf_from(&mut buf)?, (5, tx.local_addr()?));
    /// assert_eq!(buf, b"hello");
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        self.try_recv_io(|s| s.recv_msg_buf(buf, MsgFlags::DONTWAIT))
            .map(|m| (m.len, m.addr))
    }

    /// Receives from the connected peer if a datagram is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.connect(tx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// tx.send_to(b"hi", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// assert_eq!(rx.try_recv(&mut buf)?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_recv_io(|s| s.try_recv(buf))
    }

    /// Receives one datagram and its sender if one is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.try_recv_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// tx.send_to(b"hi", rx.local_addr()?).await?;
    /// let (n, from) = loop {
    ///     rx.readable().await?;
    ///     match rx.try_recv_from(&mut buf) {
    ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue, // a spurious wake-up
    ///         r => break r?,
    ///     }
    /// };
    /// assert_eq!((&buf[..n], from), (&b"hi"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_recv_io(|s| s.try_recv_from(buf))
    }

    /// Peeks at the next datagram and its sender if one is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.try_peek_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// tx.send_to(b"look", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// assert_eq!(rx.try_peek_from(&mut buf)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.try_recv_from(&mut buf)?, (4, tx.local_addr()?)); // still queued
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_recv_io(|s| s.try_peek_from(buf))
    }

    /// Reads the next datagram from the connected peer without taking it, if one is queued
    /// (tokio's `try_peek`).
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.connect(tx.local_addr()?).await?;
    /// tx.send_to(b"look", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.try_peek(&mut buf)?, 4);
    /// assert_eq!(rx.try_recv(&mut buf)?, 4); // still queued after the peek
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_recv_io(|s| s.recv_with_flags(buf, MsgFlags::PEEK | MsgFlags::DONTWAIT))
    }

    /// The sender of the next datagram without taking it, if one is queued (tokio's
    /// `try_peek_sender`).
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert_eq!(rx.try_peek_sender().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"who?", rx.local_addr()?).await?;
    /// rx.readable().await?;
    /// assert_eq!(rx.try_peek_sender()?, tx.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.try_recv_io(|s| s.try_peek_from(&mut []).map(|(_, a)| a))
    }

    /// Receives one datagram with [`recv_msg`](Self::recv_msg)'s report, if one is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut small = [0u8; 4];
    /// assert_eq!(rx.try_recv_msg(&mut small).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// tx.send_to(b"0123456789", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// let meta = rx.try_recv_msg(&mut small)?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_msg(&self, buf: &mut [u8]) -> io::Result<RecvMeta> {
        self.try_recv_io(|s| s.recv_msg_vectored(&mut [IoSliceMut::new(buf)], MsgFlags::DONTWAIT))
    }

    /// Polls a receive from the connected peer into `buf`'s unfilled part.
    ///
    /// # Errors
    /// As [`recv`](Self::recv); this poll form wakes on readability only.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use tokio::io::ReadBuf;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.connect(tx.local_addr()?).await?;
    /// tx.send_to(b"polled", rx.local_addr()?).await?;
    /// let mut storage = [0u8; 16];
    /// let mut buf = ReadBuf::new(&mut storage);
    /// poll_fn(|cx| rx.poll_recv(cx, &mut buf)).await?;
    /// assert_eq!(buf.filled(), b"polled");
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n =
            std::task::ready!(self.poll_recv_io(cx, |s| s.try_recv(buf.initialize_unfilled())))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Polls a receive into `buf`'s unfilled part; returns the sender.
    ///
    /// # Errors
    /// As [`recv`](Self::recv); this poll form wakes on readability only.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use tokio::io::ReadBuf;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"polled", rx.local_addr()?).await?;
    /// let mut storage = [0u8; 16];
    /// let mut buf = ReadBuf::new(&mut storage);
    /// let from = poll_fn(|cx| rx.poll_recv_from(cx, &mut buf)).await?;
    /// assert_eq!((buf.filled(), from), (&b"polled"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let (n, from) = std::task::ready!(
            self.poll_recv_io(cx, |s| s.try_recv_from(buf.initialize_unfilled()))
        )?;
        buf.advance(n);
        Poll::Ready(Ok(from))
    }

    /// Polls a peek into `buf`'s unfilled part; returns the sender.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use tokio::io::ReadBuf;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"look", rx.local_addr()?).await?;
    /// let mut storage = [0u8; 16];
    /// let mut buf = ReadBuf::new(&mut storage);
    /// let from = poll_fn(|cx| rx.poll_peek_from(cx, &mut buf)).await?;
    /// assert_eq!((buf.filled(), from), (&b"look"[..], tx.local_addr()?));
    /// assert_eq!(rx.recv(&mut [0u8; 16]).await?, 4); // still queued after the peek
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let (n, from) = std::task::ready!(
            self.poll_recv_io(cx, |s| s.try_peek_from(buf.initialize_unfilled()))
        )?;
        buf.advance(n);
        Poll::Ready(Ok(from))
    }

    /// Polls a peek at the next datagram into `buf` without taking it (tokio's `poll_peek`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use tokio::io::ReadBuf;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.connect(tx.local_addr()?).await?;
    /// tx.send_to(b"look", rx.local_addr()?).await?;
    /// let mut storage = [0u8; 16];
    /// let mut buf = ReadBuf::new(&mut storage);
    /// poll_fn(|cx| rx.poll_peek(cx, &mut buf)).await?;
    /// assert_eq!(buf.filled(), b"look");
    /// assert_eq!(rx.recv(&mut [0u8; 16]).await?, 4); // still queued after the peek
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = std::task::ready!(self.poll_recv_io(cx, |s| s.recv_with_flags(
            buf.initialize_unfilled(),
            MsgFlags::PEEK | MsgFlags::DONTWAIT
        )))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Polls for the sender of the next datagram without taking it (tokio's `poll_peek_sender`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"who?", rx.local_addr()?).await?;
    /// assert_eq!(poll_fn(|cx| rx.poll_peek_sender(cx)).await?, tx.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.poll_recv_io(cx, |s| s.try_peek_from(&mut []).map(|(_, a)| a))
    }

    /// Polls a receive with [`recv_msg`](Self::recv_msg)'s report.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"polled", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// let meta = poll_fn(|cx| rx.poll_recv_msg(cx, &mut buf)).await?;
    /// assert_eq!((&buf[..meta.len], meta.addr), (&b"polled"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv_msg(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<RecvMeta>> {
        self.poll_recv_io(cx, |s| {
            s.recv_msg_vectored(&mut [IoSliceMut::new(buf)], MsgFlags::DONTWAIT)
        })
    }
}

super::readiness_methods!(
    UdpSocket,
    crate::UdpSocket,
    "let (a, b) = (UdpSocket::bind(\"127.0.0.1:0\").await?, UdpSocket::bind(\"127.0.0.1:0\").await?);\n\
     a.connect(b.local_addr()?).await?;\n\
     b.connect(a.local_addr()?).await?;"
);

/// Readiness in poll form.
impl UdpSocket {
    /// Polls for read readiness (waking on readability).
    ///
    /// # Errors
    /// As [`ready`](Self::ready).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"hi", rx.local_addr()?).await?;
    /// poll_fn(|cx| rx.poll_recv_ready(cx)).await?; // something to read
    /// assert_eq!(rx.recv(&mut [0u8; 8]).await?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_read_ready(cx)
    }

    /// Polls for write readiness.
    ///
    /// # Errors
    /// As [`ready`](Self::ready).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// poll_fn(|cx| tx.poll_send_ready(cx)).await?; // room in the send buffer
    /// tx.send_to(b"hi", rx.local_addr()?).await?;
    /// assert_eq!(rx.recv(&mut [0u8; 8]).await?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_write_ready(cx)
    }
}

/// The options `tokio::net::UdpSocket` has, under its names; the rest through [`get_ref`](Self::get_ref).
impl UdpSocket {
    /// See [`crate::UdpSocket::bind_device`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0").await?;
    /// assert_eq!(sock.device()?, None);
    /// sock.bind_device(Some(b"lo"))?; // the first tie needs no privilege (Linux 5.7)
    /// assert_eq!(sock.device()?.as_deref(), Some(&b"lo"[..]));
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "SO_BINDTODEVICE")]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.get_ref().bind_device(interface)
    }

    /// See [`crate::UdpSocket::device`].
    ///
    /// [`bind_device`](Self::bind_device) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "SO_BINDTODEVICE")]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.get_ref().device()
    }

    /// See [`crate::UdpSocket::tos_v4`].
    ///
    /// [`set_tos_v4`](Self::set_tos_v4) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IP_TOS")]
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.get_ref().tos_v4()
    }

    /// See [`crate::UdpSocket::set_tos_v4`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.set_tos_v4(46 << 2)?; // DSCP Expedited Forwarding
    /// assert_eq!(sock.tos_v4()?, 46 << 2);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IP_TOS")]
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        self.get_ref().set_tos_v4(tos)
    }

    /// See [`crate::UdpSocket::tclass_v6`].
    ///
    /// [`set_tclass_v6`](Self::set_tclass_v6) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IPV6_TCLASS")]
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.get_ref().tclass_v6()
    }

    /// See [`crate::UdpSocket::set_tclass_v6`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::1]:0").await?;
    /// sock.set_tclass_v6(46 << 2)?; // DSCP Expedited Forwarding
    /// assert_eq!(sock.tclass_v6()?, 46 << 2);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IPV6_TCLASS")]
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.get_ref().set_tclass_v6(tclass)
    }

    /// See [`crate::UdpSocket::set_broadcast`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0").await?;
    /// assert!(!sock.broadcast()?);
    /// sock.set_broadcast(true)?;
    /// assert!(sock.broadcast()?);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "SO_BROADCAST")]
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.get_ref().set_broadcast(on)
    }

    /// See [`crate::UdpSocket::broadcast`].
    ///
    /// [`set_broadcast`](Self::set_broadcast) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "SO_BROADCAST")]
    pub fn broadcast(&self) -> io::Result<bool> {
        self.get_ref().broadcast()
    }

    /// See [`crate::UdpSocket::set_ttl`] (1..=255 hops).
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.set_ttl(16)?;
    /// assert_eq!(sock.ttl()?, 16);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IP_TTL")]
    pub fn set_ttl(&self, hops: u32) -> io::Result<()> {
        self.get_ref().set_ttl(hops)
    }

    /// See [`crate::UdpSocket::ttl`].
    ///
    /// [`set_ttl`](Self::set_ttl) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IP_TTL")]
    pub fn ttl(&self) -> io::Result<u32> {
        self.get_ref().ttl()
    }

    /// See [`crate::UdpSocket::set_tos_v4`]: tokio's former name, deprecated there as here.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IP_TOS")]
    #[deprecated = "use `set_tos_v4()`, as tokio does"]
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.get_ref().set_tos_v4(tos)
    }

    /// See [`crate::UdpSocket::tos_v4`]: tokio's former name, deprecated there as here.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IP_TOS")]
    #[deprecated = "use `tos_v4()`, as tokio does"]
    pub fn tos(&self) -> io::Result<u32> {
        self.get_ref().tos_v4()
    }

    /// See [`crate::UdpSocket::take_error`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(sock.take_error()?.is_none()); // no pending error
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "SO_ERROR")]
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.get_ref().take_error()
    }
}

/// Batches, GSO/GRO and per-datagram metadata in async form (see the blocking calls for the details).
impl UdpSocket {
    /// Sends one [`Transmit`] (GSO, source address, ECN), as [`crate::UdpSocket::send_msg`].
    ///
    /// # Errors
    /// As [`crate::UdpSocket::send_msg`].
    ///
    /// # Cancel safety
    /// Cancel-safe as long as the GSO fallback is not in use; on the fallback path a cancelled send may
    /// have sent some whole segments.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{Ecn, Transmit, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.get_ref().set_recv_tos_v4(true)?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_msg(&Transmit::new(rx.local_addr()?, b"marked").ecn(Ecn::Ect1)).await?;
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_msg(&mut buf).await?;
    /// assert_eq!((&buf[..meta.len], meta.ecn()), (&b"marked"[..], Some(Ecn::Ect1)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_msg(&self, t: &Transmit<'_>) -> io::Result<usize> {
        let sent = self
            .io
            .send(|s| s.send_msg_with_flags(t, MsgFlags::DONTWAIT))
            .await?;
        if sent == 0 || sent >= t.contents.len() {
            return Ok(sent);
        }
        self.send_msg_rest(t, sent).await
    }

    /// The rest of a transmit the GSO fallback sent part of (whole segments), from `offset`.
    #[cold]
    async fn send_msg_rest(&self, t: &Transmit<'_>, mut offset: usize) -> io::Result<usize> {
        while offset > 0 && offset < t.contents.len() {
            let rest = Transmit {
                contents: &t.contents[offset..],
                ..*t
            };
            let n = self
                .io
                .send(|s| s.send_msg_with_flags(&rest, MsgFlags::DONTWAIT))
                .await?;
            if n == 0 {
                break;
            }
            offset += n;
        }
        Ok(offset)
    }

    /// Sends up to [`crate::MAX_BATCH`] transmits in one `sendmmsg(2)`; returns how many were sent
    /// (resend from that index), as [`crate::UdpSocket::send_batch`].
    ///
    /// `transmits` is a slice or array of transmits, or an iterator that makes them (it is cloned
    /// for each try, so it must be `Clone`, as an iterator over slices mapped by a closure that
    /// captures only references is). Pass a slice (`&batch[sent..]`), not a `Vec` by value: that
    /// would be cloned, and allocate, at every try.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::send_batch`].
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, nothing was sent.
    ///
    /// # Examples
    /// An echo server, with no allocation per batch:
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{MAX_BATCH, RecvMeta, Transmit};
    /// use datagrams::tokio::UdpSocket;
    /// let server = UdpSocket::bind("127.0.0.1:0").await?;
    /// let client = UdpSocket::bind("127.0.0.1:0").await?;
    /// client.send_to(b"ping", server.local_addr()?).await?;
    ///
    /// let mut storage = vec![[0u8; 1500]; MAX_BATCH];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); MAX_BATCH];
    /// let n = server.recv_batch(&mut bufs, &mut meta).await?;
    /// let mut sent = 0;
    /// while sent < n {
    ///     let replies = meta[sent..n]
    ///         .iter()
    ///         .zip(&bufs[sent..n])
    ///         .map(|(m, b)| Transmit::new(m.addr, &b[..m.len]));
    ///     sent += server.send_batch(replies).await?;
    /// }
    /// let mut buf = [0u8; 16];
    /// assert_eq!(client.recv(&mut buf).await?, 4);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_batch<'a, I>(&self, transmits: I) -> io::Result<usize>
    where
        I: IntoIterator + Clone,
        I::Item: Borrow<Transmit<'a>>,
    {
        self.io
            .send(|s| s.send_batch_with_flags(transmits.clone(), MsgFlags::DONTWAIT))
            .await
    }

    /// Receives a batch in one `recvmmsg(2)` (`recvmsg(2)` with room for one), as
    /// [`crate::UdpSocket::recv_batch`]; returns how many.
    ///
    /// # Errors
    /// As [`recv`](Self::recv); `InvalidInput`, before any wait, when `bufs` or `meta` is empty.
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"a", rx.local_addr()?).await?;
    /// tx.send_to(b"bb", rx.local_addr()?).await?;
    /// let mut storage = [[0u8; 1500]; 8];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); 8];
    /// let mut got = 0;
    /// while got < 2 {
    ///     got += rx.recv_batch(&mut bufs[got..], &mut meta[got..]).await?;
    /// }
    /// assert_eq!((meta[0].len, meta[1].len), (1, 2));
    /// assert_eq!(meta[1].addr, tx.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_batch(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> io::Result<usize> {
        // Checked before waiting, as the blocking call checks it: no room would never end.
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.io
            .recv(|s| s.recv_batch_with_flags(bufs, meta, MsgFlags::DONTWAIT))
            .await
    }

    /// Receives a batch without the senders, as
    /// [`crate::UdpSocket::recv_batch_without_senders`] (the kernel copies no source address: for
    /// connected sockets and receivers that do not look at senders); returns how many.
    ///
    /// # Errors
    /// As [`recv_batch`](Self::recv_batch): `InvalidInput`, before any wait, when `bufs` or `meta`
    /// is empty; otherwise as [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"a", rx.local_addr()?).await?;
    /// tx.send_to(b"bb", rx.local_addr()?).await?;
    /// let mut storage = [[0u8; 1500]; 8];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 8];
    /// let mut got = 0;
    /// while got < 2 {
    ///     got += rx.recv_batch_without_senders(&mut bufs[got..], &mut meta[got..]).await?;
    /// }
    /// assert_eq!((meta[0].len, meta[1].len), (1, 2));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.io
            .recv(|s| s.recv_batch_without_senders_with_flags(bufs, meta, MsgFlags::DONTWAIT))
            .await
    }

    /// Receives one datagram and keeps every control message in `control`, as
    /// [`crate::UdpSocket::recv_msg_with_control`].
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{Control, ControlBuffer, MsgFlags, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// rx.get_ref().set_recv_ttl_v4(true)?;
    /// UdpSocket::bind("127.0.0.1:0").await?.send_to(b"hi", rx.local_addr()?).await?;
    /// let mut control = ControlBuffer::new();
    /// let mut buf = [0u8; 16];
    /// let mut bufs = [IoSliceMut::new(&mut buf)];
    /// let meta = rx.recv_msg_with_control(&mut bufs, MsgFlags::empty(), &mut control).await?;
    /// assert_eq!(meta.len, 2);
    /// assert!(control.iter().any(|c| matches!(c, Control::Ttl(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_msg_with_control(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
        control: &mut crate::ControlBuffer,
    ) -> io::Result<RecvMeta> {
        flags.recv_bits()?;
        self.io
            .recv(|s| s.recv_msg_with_control(bufs, flags | MsgFlags::DONTWAIT, control))
            .await
    }

    /// Sends a batch if the socket is writable now.
    ///
    /// # Errors
    /// `WouldBlock` when it is not; otherwise as [`send_batch`](Self::send_batch).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{Transmit, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let to = rx.local_addr()?;
    /// let batch = [Transmit::new(to, b"one"), Transmit::new(to, b"two")];
    /// assert_eq!(tx.try_send_batch(&batch)?, 2); // room for both
    /// let mut buf = [0u8; 8];
    /// assert_eq!(rx.recv(&mut buf).await?, 3);
    /// assert_eq!(rx.recv(&mut buf).await?, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_send_batch<'a, I>(&self, transmits: I) -> io::Result<usize>
    where
        I: IntoIterator + Clone,
        I::Item: Borrow<Transmit<'a>>,
    {
        self.io.try_io(Interest::WRITABLE, |s| {
            s.send_batch_with_flags(transmits.clone(), MsgFlags::DONTWAIT)
        })
    }

    /// Receives a batch if datagrams are queued.
    ///
    /// # Errors
    /// `InvalidInput` when `bufs` or `meta` is empty; `WouldBlock` when no datagram is queued;
    /// otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut storage = [[0u8; 1500]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); 4];
    /// let e = rx.try_recv_batch(&mut bufs, &mut meta).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nothing queued
    /// tx.send_to(b"one", rx.local_addr()?).await?;
    /// rx.readable().await?;
    /// assert_eq!(rx.try_recv_batch(&mut bufs, &mut meta)?, 1);
    /// assert_eq!((meta[0].len, meta[0].addr), (3, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_batch(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> io::Result<usize> {
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.try_recv_io(|s| s.recv_batch_with_flags(bufs, meta, MsgFlags::DONTWAIT))
    }

    /// Polls a batch receive (waking on readability).
    ///
    /// # Errors
    /// `InvalidInput`, without waiting, when `bufs` or `meta` is empty; otherwise as
    /// [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"polled", rx.local_addr()?).await?;
    /// let mut storage = [[0u8; 1500]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); 4];
    /// let got = poll_fn(|cx| rx.poll_recv_batch(cx, &mut bufs, &mut meta)).await?;
    /// assert_eq!((got, meta[0].len, meta[0].addr), (1, 6, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.poll_recv_io(cx, |s| {
            s.recv_batch_with_flags(bufs, meta, MsgFlags::DONTWAIT)
        })
    }

    /// Receives a batch without the senders if datagrams are queued (see
    /// [`recv_batch_without_senders`](Self::recv_batch_without_senders)).
    ///
    /// # Errors
    /// `InvalidInput` when `bufs` or `meta` is empty; `WouldBlock` when no datagram is queued;
    /// otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::{ErrorKind, IoSliceMut};
    /// use datagrams::{RecvMeta, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// let mut storage = [[0u8; 1500]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 4];
    /// let e = rx.try_recv_batch_without_senders(&mut bufs, &mut meta).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // nothing queued
    /// UdpSocket::bind("127.0.0.1:0").await?.send_to(b"ready", rx.local_addr()?).await?;
    /// rx.peek_sender().await?; // wait until it is queued
    /// assert_eq!(rx.try_recv_batch_without_senders(&mut bufs, &mut meta)?, 1);
    /// assert_eq!(meta[0].len, 5);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.try_recv_io(|s| {
            s.recv_batch_without_senders_with_flags(bufs, meta, MsgFlags::DONTWAIT)
        })
    }

    /// Polls a batch receive without the senders (waking on readability; see
    /// [`recv_batch_without_senders`](Self::recv_batch_without_senders)).
    ///
    /// # Errors
    /// `InvalidInput`, without waiting, when `bufs` or `meta` is empty; otherwise as
    /// [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, tokio::UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?;
    /// UdpSocket::bind("127.0.0.1:0").await?.send_to(b"polled", rx.local_addr()?).await?;
    /// let mut storage = [[0u8; 1500]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 4];
    /// let got = poll_fn(|cx| rx.poll_recv_batch_without_senders(cx, &mut bufs, &mut meta)).await?;
    /// assert_eq!((got, meta[0].len), (1, 6));
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv_batch_without_senders(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> Poll<io::Result<usize>> {
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.poll_recv_io(cx, |s| {
            s.recv_batch_without_senders_with_flags(bufs, meta, MsgFlags::DONTWAIT)
        })
    }
}

/// Multicast, under tokio's names (the source-specific calls and the `Interface` forms through
/// [`get_ref`](Self::get_ref)).
impl UdpSocket {
    /// Joins `multiaddr` on the interface with IPv4 address `interface` (`IP_ADD_MEMBERSHIP`;
    /// `0.0.0.0` lets the kernel choose), as `tokio::net::UdpSocket::join_multicast_v4`. The
    /// interface by name or index: [`crate::UdpSocket::join_multicast_v4_n`] through
    /// [`get_ref`](Self::get_ref).
    ///
    /// # Errors
    /// As [`crate::UdpSocket::join_multicast_v4_n`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, tokio::UdpSocket};
    ///
    /// let group = Ipv4Addr::new(239, 255, 0, 2);
    /// let rx = UdpSocket::bind("0.0.0.0:0").await?;
    /// rx.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?; // on lo
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.get_ref().set_multicast_interface_v4(&Interface::Addr(Ipv4Addr::LOCALHOST))?;
    /// tx.send_to(b"to the group", (group, rx.local_addr()?.port())).await?;
    /// let mut buf = [0u8; 32];
    /// let (n, from) = rx.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"to the group"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IP_ADD_MEMBERSHIP")]
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.get_ref()
            .join_multicast_v4_n(multiaddr, &Interface::of_v4(interface))
    }

    /// Leaves `multiaddr` on the interface with IPv4 address `interface` (`IP_DROP_MEMBERSHIP`), as
    /// tokio's.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::leave_multicast_v4_n`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::net::Ipv4Addr;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0").await?;
    /// let group = Ipv4Addr::new(239, 255, 0, 8);
    /// sock.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    /// sock.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    /// let e = sock.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IP_DROP_MEMBERSHIP")]
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.get_ref()
            .leave_multicast_v4_n(multiaddr, &Interface::of_v4(interface))
    }

    /// Joins `multiaddr` on the interface of index `interface` (0: the kernel chooses;
    /// `MCAST_JOIN_GROUP`), as tokio's.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::join_multicast_v6_n`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let group = "ff15::5678".parse().unwrap();
    /// let rx = UdpSocket::bind("[::]:0").await?;
    /// rx.join_multicast_v6(&group, 1)?; // interface index 1: lo
    /// rx.leave_multicast_v6(&group, 1)?;
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IPV6_ADD_MEMBERSHIP")]
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.get_ref()
            .join_multicast_v6_n(*multiaddr, &Interface::of_index(interface))
    }

    /// Leaves `multiaddr` on the interface of index `interface` (`MCAST_LEAVE_GROUP`), as tokio's.
    ///
    /// # Errors
    /// As [`crate::UdpSocket::leave_multicast_v6_n`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::net::Ipv6Addr;
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::]:0").await?;
    /// let group: Ipv6Addr = "ff15::1240".parse().unwrap();
    /// sock.join_multicast_v6(&group, 1)?; // lo
    /// sock.leave_multicast_v6(&group, 1)?;
    /// let e = sock.leave_multicast_v6(&group, 1).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IPV6_DROP_MEMBERSHIP")]
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.get_ref()
            .leave_multicast_v6_n(*multiaddr, &Interface::of_index(interface))
    }

    /// See [`crate::UdpSocket::multicast_loop_v4`].
    ///
    /// [`set_multicast_loop_v4`](Self::set_multicast_loop_v4) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IP_MULTICAST_LOOP")]
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.get_ref().multicast_loop_v4()
    }

    /// See [`crate::UdpSocket::set_multicast_loop_v4`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// assert!(sock.multicast_loop_v4()?); // the kernel's default
    /// sock.set_multicast_loop_v4(false)?;
    /// assert!(!sock.multicast_loop_v4()?);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IP_MULTICAST_LOOP")]
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.get_ref().set_multicast_loop_v4(on)
    }

    /// See [`crate::UdpSocket::multicast_loop_v6`].
    ///
    /// [`set_multicast_loop_v6`](Self::set_multicast_loop_v6) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IPV6_MULTICAST_LOOP")]
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.get_ref().multicast_loop_v6()
    }

    /// See [`crate::UdpSocket::set_multicast_loop_v6`].
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::1]:0").await?;
    /// assert!(sock.multicast_loop_v6()?); // the kernel's default
    /// sock.set_multicast_loop_v6(false)?;
    /// assert!(!sock.multicast_loop_v6()?);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IPV6_MULTICAST_LOOP")]
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.get_ref().set_multicast_loop_v6(on)
    }

    /// See [`crate::UdpSocket::multicast_ttl_v4`] (hops).
    ///
    /// [`set_multicast_ttl_v4`](Self::set_multicast_ttl_v4) has an example.
    ///
    /// # Errors
    /// As there.
    #[doc(alias = "IP_MULTICAST_TTL")]
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.get_ref().multicast_ttl_v4()
    }

    /// See [`crate::UdpSocket::set_multicast_ttl_v4`] (0..=255 hops).
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0").await?;
    /// assert_eq!(sock.multicast_ttl_v4()?, 1); // this link only, by default
    /// sock.set_multicast_ttl_v4(8)?;
    /// assert_eq!(sock.multicast_ttl_v4()?, 8);
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "IP_MULTICAST_TTL")]
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.get_ref().set_multicast_ttl_v4(ttl)
    }
}

/// The kernel's error reports (the error queue of `IP_RECVERR`/`IPV6_RECVERR`), in async form.
impl UdpSocket {
    /// Waits for the next report on the error queue and takes it (`recvmsg(MSG_ERRQUEUE)`), as
    /// [`crate::UdpSocket::recv_error`] takes one without waiting. Switch the queue on first with
    /// `get_ref().set_recv_err_v4(true)` (and `set_recv_err_v6` on IPv6).
    ///
    /// # Errors
    /// As [`crate::UdpSocket::recv_error`].
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no report was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    /// let s = UdpSocket::bind("127.0.0.1:0").await?;
    /// s.get_ref().set_recv_err_v4(true)?;
    /// let closed = UdpSocket::bind("127.0.0.1:0").await?.local_addr()?; // dropped: nobody listens
    /// s.send_to(b"anyone?", closed).await?;
    /// let report = s.recv_error().await?;
    /// assert_eq!(report.errno, libc::ECONNREFUSED);
    /// # Ok(()) }
    /// ```
    #[doc(alias = "MSG_ERRQUEUE")]
    pub async fn recv_error(&self) -> io::Result<crate::SockError> {
        // A report may be queued while tokio's readiness says nothing (a receive that found no data
        // cleared it, as it must): look first, then wait.
        if let Some(report) = self.get_ref().recv_error()? {
            return Ok(report);
        }
        self.io
            .async_io(Interest::ERROR, |s| s.recv_error()?.ok_or_else(queue_empty))
            .await
    }

    /// Takes the next report on the error queue if one is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is queued (which also clears the error readiness, so that a wait on
    /// `Interest::ERROR` parks until the next report); otherwise as
    /// [`crate::UdpSocket::recv_error`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.get_ref().set_recv_err_v4(true)?;
    /// let e = sock.try_recv_error().unwrap_err(); // an empty queue
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_error(&self) -> io::Result<crate::SockError> {
        match self.get_ref().recv_error()? {
            Some(report) => Ok(report),
            None => {
                // Clears tokio's error readiness, so that a wait on `Interest::ERROR` parks.
                let _ = self
                    .io
                    .try_io(Interest::ERROR, |_| Err::<(), _>(queue_empty()));
                Err(queue_empty())
            }
        }
    }
}

/// An empty error queue, as tokio's readiness wants to hear it.
fn queue_empty() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

/// Conversions.
impl UdpSocket {
    /// Converts std's socket, as tokio's `from_std` (the socket is switched to non-blocking mode),
    /// checked as [`crate::UdpSocket`]'s `TryFrom<OwnedFd>`.
    ///
    /// # Errors
    /// `InvalidInput` when the descriptor is not a UDP socket; otherwise as [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let std_sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = std_sock.local_addr()?;
    /// let sock = UdpSocket::from_std(std_sock)?;
    /// assert_eq!(sock.local_addr()?, addr);
    /// let back: std::net::UdpSocket = sock.into_std()?;
    /// assert_eq!(back.local_addr()?, addr);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_std(sock: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::new(crate::UdpSocket::try_from(sock)?)
    }

    /// Converts tokio's socket.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let t = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    /// let addr = t.local_addr()?;
    /// let sock = UdpSocket::from_tokio(t)?; // checked, and re-registered on this runtime
    /// assert_eq!(sock.local_addr()?, addr);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_tokio(sock: ::tokio::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(sock.into_std()?)
    }

    /// Converts into std's socket; it stays in non-blocking mode, as with tokio's `into_std`.
    ///
    /// # Errors
    /// None today; the signature matches tokio's.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// let addr = sock.local_addr()?;
    /// let std_sock = sock.into_std()?; // out of the runtime, still non-blocking
    /// assert_eq!(std_sock.local_addr()?, addr);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner().into_std())
    }

    /// Converts into tokio's socket.
    ///
    /// # Errors
    /// tokio's registration error.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?.into_tokio()?; // tokio's own type
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"to tokio", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf).await?, (8, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_tokio(self) -> io::Result<::tokio::net::UdpSocket> {
        ::tokio::net::UdpSocket::from_std(self.into_std()?)
    }

    /// Gives the blocking socket back (still non-blocking mode, deregistered from tokio).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0").await?.into_blocking();
    /// rx.set_nonblocking(false)?; // it stays non-blocking until told
    /// let tx = UdpSocket::bind("127.0.0.1:0").await?;
    /// tx.send_to(b"hi", rx.local_addr()?).await?;
    /// assert_eq!(rx.recv(&mut [0u8; 8])?, 2); // a blocking receive
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_blocking(self) -> crate::UdpSocket {
        self.io.into_inner()
    }

    /// Lends the blocking socket, for every option this type does not delegate
    /// (`get_ref().set_reuse_port(true)`, `get_ref().set_recv_buffer_size(n)`, ...). Options are safe to
    /// set through it; its blocking I/O calls return `WouldBlock` on this non-blocking descriptor.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0").await?;
    /// sock.get_ref().set_recv_ttl_v4(true)?; // any option of the blocking type
    /// assert!(sock.get_ref().recv_ttl_v4()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_ref(&self) -> &crate::UdpSocket {
        self.io.get_ref()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The blocking socket's Debug: fd, local and peer address.
        fmt::Debug::fmt(self.get_ref(), f)
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;
    fn try_from(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(s)
    }
}

impl TryFrom<::tokio::net::UdpSocket> for UdpSocket {
    type Error = io::Error;
    fn try_from(s: ::tokio::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_tokio(s)
    }
}

impl TryFrom<crate::UdpSocket> for UdpSocket {
    type Error = io::Error;
    fn try_from(s: crate::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::new(s)
    }
}

impl From<UdpSocket> for OwnedFd {
    fn from(s: UdpSocket) -> OwnedFd {
        s.into_blocking().into()
    }
}

impl std::os::fd::IntoRawFd for UdpSocket {
    fn into_raw_fd(self) -> RawFd {
        OwnedFd::from(self).into_raw_fd()
    }
}

/// Adopts a descriptor, checked as the blocking socket's `TryFrom<OwnedFd>`, on the current
/// runtime.
///
/// # Errors
/// `InvalidInput` for a descriptor of another kind; `Other` outside a tokio runtime. The
/// descriptor is closed on error.
impl TryFrom<OwnedFd> for UdpSocket {
    type Error = io::Error;
    fn try_from(fd: OwnedFd) -> io::Result<UdpSocket> {
        UdpSocket::new(crate::UdpSocket::try_from(fd)?)
    }
}

/// Adopts a socket2 socket, checked as `TryFrom<OwnedFd>`, on the current runtime.
///
/// # Errors
/// As `TryFrom<OwnedFd>`.
impl TryFrom<socket2::Socket> for UdpSocket {
    type Error = io::Error;
    fn try_from(s: socket2::Socket) -> io::Result<UdpSocket> {
        UdpSocket::new(crate::UdpSocket::try_from(s)?)
    }
}

/// Into a socket2 socket (leaving the runtime's reactor; the descriptor stays non-blocking).
impl From<UdpSocket> for socket2::Socket {
    fn from(s: UdpSocket) -> socket2::Socket {
        s.into_blocking().into()
    }
}

/// What the registration needs to know of the socket (see `registration::Socket`).
impl super::registration::Socket for crate::UdpSocket {
    #[inline]
    fn ensure_receivable(&self) -> io::Result<()> {
        self.ensure_bound()
    }
}

impl super::stream::private::Sealed for UdpSocket {}

/// The event style (`RecvStream`, `SendSink`) over a UDP socket.
impl super::stream::EventSocket for UdpSocket {
    type Addr = SocketAddr;
    // The largest UDP payload is 65,527 bytes (IPv6 jumbograms aside).
    const MAX_LEN: usize = 65_536;
    async fn recv_owned(self: Arc<Self>, max_len: usize) -> io::Result<super::stream::Datagram> {
        let mut data = vec![0u8; max_len];
        let meta = self.recv_msg(&mut data).await?;
        Ok(super::stream::Datagram::new(data, meta))
    }
    fn poll_send_to_addr(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        to: &SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.poll_send_to(cx, buf, *to)
    }
}
