//! Unix-domain datagram sockets (`AF_UNIX`, `SOCK_DGRAM`, see `unix(7)`): pathname, abstract and
//! unnamed addresses, descriptor passing (`SCM_RIGHTS`) and credentials (`SCM_CREDENTIALS`).

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, Socket, Type};

use crate::error::{invalid_input, send_error};
use crate::flags::MsgFlags;
use crate::meta::{RecvMeta, UCred};
use crate::sys::addr::RawAddr;
use crate::sys::{cmsg, mmsg, msg, socket, sockopt};

mod addr;

pub use addr::{MAX_ABSTRACT_NAME_LEN, MAX_PATHNAME_LEN, ToUnixAddr, UnixAddr};
/// A Unix-domain datagram socket, with blocking calls, `try_*` calls that never block, descriptor
/// passing and credentials (Emilua's `unix.datagram_socket`).
///
/// Every call takes `&self`, so one socket may serve many threads. Unlike UDP, a Unix datagram socket
/// is not bound by sending: its datagrams arrive as from the unnamed address, and nobody can answer
/// them. Bind it (to a path, an abstract name, or [`UnixAddr::unnamed`] for a kernel-chosen abstract
/// name) when replies are wanted.
///
/// dgram never unlinks a socket file: binding a path that exists fails with `AddrInUse`, and removing
/// the file when done is the caller's choice (std's rule too). A bind that creates the file and then
/// fails leaves nothing behind, because nothing follows the `bind(2)` in the same call.
///
/// # Examples
/// ```
/// use datagrams::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"over the pair")?;
/// let mut buf = [0u8; 32];
/// let n = b.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"over the pair");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    inner: Socket,
    /// Set once the socket is known to have a name or a peer, so receives need no `getsockname` after
    /// the first: a socket with neither can never be sent to (see `ensure_receivable`). Shared by
    /// every handle `try_clone` makes, as the socket is.
    receivable: Arc<AtomicBool>,
    /// The blocking calls' timeouts, for their deadlines; shared by `try_clone` handles as well.
    timeouts: Arc<crate::socket::Timeouts>,
}

/// Life cycle: create, bind, connect, shut down, close.
impl UnixDatagram {
    /// Creates an unbound socket (Emilua's `new`).
    ///
    /// # Errors
    /// What `socket(2)` reports (`EMFILE` and the like).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let sock = UnixDatagram::unbound()?;
    /// assert!(sock.local_addr()?.is_unnamed());
    /// assert!(!sock.is_bound()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        // socket2 sets SOCK_CLOEXEC on Linux.
        Ok(UnixDatagram::from_socket(
            Socket::new(Domain::UNIX, Type::DGRAM, None)?,
            false,
        ))
    }

    /// Creates a socket bound to `addr` (a path or a [`UnixAddr`]), as std's `UnixDatagram::bind`.
    ///
    /// # Errors
    /// `AddrInUse` when the path exists or the abstract name is taken; `InvalidInput` for a path that
    /// cannot be a socket address; `NotFound`/`PermissionDenied` for the path's directory.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("dgram-doc-bind-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server.sock");
    /// let server = UnixDatagram::bind(&path)?;
    /// assert_eq!(server.local_addr()?.as_pathname(), Some(path.as_path()));
    /// // the file stays until removed: binding it again fails
    /// assert_eq!(UnixDatagram::bind(&path).unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: impl ToUnixAddr) -> io::Result<UnixDatagram> {
        let addr = addr.to_unix_addr()?;
        let s = UnixDatagram::unbound()?;
        s.bind_raw(&addr)?;
        Ok(s)
    }

    /// A connected pair of sockets (`socketpair(2)`; Emilua's `pair`).
    ///
    /// # Errors
    /// What `socketpair(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"ping")?;
    /// let mut buf = [0u8; 16];
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"ping");
    /// b.send(b"pong")?;
    /// let n = a.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"pong");
    /// assert!(a.peer_addr()?.is_unnamed()); // a pair has no names
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::DGRAM, None)?;
        // Each end is connected to the other: both can receive.
        Ok((
            UnixDatagram::from_socket(a, true),
            UnixDatagram::from_socket(b, true),
        ))
    }

    fn from_socket(inner: Socket, receivable: bool) -> UnixDatagram {
        UnixDatagram {
            inner,
            receivable: Arc::new(AtomicBool::new(receivable)),
            timeouts: Arc::default(),
        }
    }

    /// Binds an unbound socket to `addr` (Emilua's `bind`). [`UnixAddr::unnamed`] asks the kernel for a
    /// unique abstract name.
    ///
    /// # Errors
    /// `InvalidInput` ("already bound") when the socket has an address; otherwise as
    /// [`bind`](Self::bind).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let sock = UnixDatagram::unbound()?;
    /// sock.bind_to(UnixAddr::unnamed())?; // the kernel picks an abstract name
    /// assert!(sock.local_addr()?.as_abstract_name().is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_to(&self, addr: impl ToUnixAddr) -> io::Result<()> {
        let addr = addr.to_unix_addr()?;
        let local = self.local_addr()?;
        if !local.is_unnamed() {
            return Err(invalid_input(format!("socket is already bound to {local}")));
        }
        self.bind_raw(&addr)
    }

    fn bind_raw(&self, addr: &UnixAddr) -> io::Result<()> {
        let raw = addr.to_raw();
        socket::bind(self.as_fd(), &raw)
    }

    /// Connects to `addr` (Emilua's `connect`): `send` goes there and only its datagrams are received.
    ///
    /// # Errors
    /// `NotFound` when no file is at the path; `ConnectionRefused` when nobody is bound there;
    /// `PermissionDenied` without write permission on the socket file; `InvalidInput` for the unnamed
    /// address, or for a socket of another type (a stream socket's path: the kernel's `EPROTOTYPE`).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let name = format!("dgram-doc-connect-{}", std::process::id());
    /// let server = UnixDatagram::bind(UnixAddr::from_abstract_name(&name)?)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.bind_to(UnixAddr::unnamed())?; // a name, so that the server can reply
    /// client.connect(server.local_addr()?)?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// client.send(b"request")?;
    ///
    /// let mut buf = [0u8; 16];
    /// let (n, from) = server.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"request"[..], client.local_addr()?));
    /// server.send_to(b"reply", from)?;
    /// let n = client.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"reply");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, addr: impl ToUnixAddr) -> io::Result<()> {
        let addr = addressable(addr.to_unix_addr()?)?;
        socket::connect(self.as_fd(), &addr.to_raw()).map_err(crate::error::wrong_socket_type)
    }

    /// Dissolves the association (`connect(2)` with `AF_UNSPEC`; Emilua's `disconnect`); a no-op when
    /// not connected.
    ///
    /// # Errors
    /// What `connect(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.is_connected()?);
    /// a.disconnect()?;
    /// assert!(!a.is_connected()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn disconnect(&self) -> io::Result<()> {
        if !self.is_connected()? {
            return Ok(());
        }
        // Without its peer an unnamed socket can no longer be sent to: ask again at the next receive.
        self.receivable.store(false, Ordering::Relaxed);
        socket::connect(self.as_fd(), &RawAddr::unspec())
    }

    /// The local address (Emilua's `local_path`): unnamed until bound.
    ///
    /// # Errors
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let sock = UnixDatagram::unbound()?;
    /// assert!(sock.local_addr()?.is_unnamed());
    /// let name = UnixAddr::from_abstract_name(format!("dgram-doc-local-{}", std::process::id()))?;
    /// sock.bind_to(name)?;
    /// assert_eq!(sock.local_addr()?, name);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<UnixAddr> {
        UnixAddr::from_raw(&socket::local_addr(self.as_fd())?)
    }

    /// The connected peer's address (Emilua's `remote_path`); unnamed for the other end of a pair.
    ///
    /// # Errors
    /// `NotConnected` when the socket is not connected.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let server = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let client = UnixDatagram::unbound()?;
    /// assert_eq!(client.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// client.connect(server.local_addr()?)?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<UnixAddr> {
        UnixAddr::from_raw(&socket::peer_addr(self.as_fd())?)
    }

    /// Whether the socket has a name (path, abstract or autobound).
    ///
    /// # Errors
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let sock = UnixDatagram::unbound()?;
    /// assert!(!sock.is_bound()?);
    /// sock.bind_to(UnixAddr::unnamed())?; // the kernel picks an abstract name (autobind)
    /// assert!(sock.is_bound()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_bound(&self) -> io::Result<bool> {
        Ok(!self.local_addr()?.is_unnamed())
    }

    /// Whether the socket is connected to a peer.
    ///
    /// # Errors
    /// What `getpeername(2)` reports, other than `ENOTCONN`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let server = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let client = UnixDatagram::unbound()?;
    /// assert!(!client.is_connected()?);
    /// client.connect(server.local_addr()?)?;
    /// assert!(client.is_connected()?);
    /// client.disconnect()?;
    /// assert!(!client.is_connected()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_connected(&self) -> io::Result<bool> {
        match socket::peer_addr(self.as_fd()) {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Shuts down the read side, the write side or both (`shutdown(2)`; Emilua's `shutdown`).
    ///
    /// Shutting down the read side wakes every receive blocked on this socket in other threads, which
    /// then fails with `BrokenPipe`: this is how a blocking receive is cancelled (Emilua's `cancel`).
    /// A send after `Shutdown::Write` fails with `BrokenPipe` (`EPIPE`, never `SIGPIPE`).
    ///
    /// # Errors
    /// What `shutdown(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use std::net::Shutdown;
    /// use std::sync::Arc;
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// let a = Arc::new(a);
    /// let receiver = {
    ///     let a = a.clone();
    ///     std::thread::spawn(move || a.recv(&mut [0u8; 16]))
    /// };
    /// a.shutdown(Shutdown::Read)?; // wakes the blocked receive
    /// let e = receiver.join().unwrap().unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// A second handle on the same socket (`fcntl(F_DUPFD_CLOEXEC)`).
    ///
    /// # Errors
    /// What `fcntl(2)` reports (`EMFILE`).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let b2 = b.try_clone()?;
    /// a.send(b"one queue")?;
    /// let mut buf = [0u8; 16];
    /// let n = b2.recv(&mut buf)?; // the same socket: the same queue
    /// assert_eq!(&buf[..n], b"one queue");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            inner: self.inner.try_clone()?,
            receivable: Arc::clone(&self.receivable),
            timeouts: Arc::clone(&self.timeouts),
        })
    }

    crate::socket::close_method!(UnixDatagram, "let (sock, _peer) = UnixDatagram::pair()?;");
}

/// Sending.
impl UnixDatagram {
    /// Sends `buf` as one datagram to the connected peer.
    ///
    /// # Errors
    /// `NotConnected` when not connected; `BrokenPipe` after `shutdown(Write)`; `ConnectionRefused`
    /// when the peer is gone (the kernel then dissolves the association: see [`recv`](Self::recv));
    /// `WouldBlock` with a write timeout or in non-blocking mode when the
    /// peer's queue is full; `EMSGSIZE` above the send buffer size.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// assert_eq!(a.send(b"hello")?, 5);
    /// let mut buf = [0u8; 16];
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"hello");
    /// drop(b);
    /// assert_eq!(a.send(b"anyone?").unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, MsgFlags::empty())
    }

    /// [`send`](Self::send) with message flags.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// assert_eq!(a.send_with_flags(b"now", MsgFlags::DONTWAIT)?, 3); // never waits for room
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// // UDP's MORE has no meaning here: refused, not ignored.
    /// let e = a.send_with_flags(b"x", MsgFlags::MORE).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_with_flags(&self, buf: &[u8], flags: MsgFlags) -> io::Result<usize> {
        let bits = flags.unix_send_bits()?;
        let deadline = self.timeouts().write_deadline(bits);
        msg::send(self.as_fd(), buf, bits, deadline).map_err(|e| self.send_failed(e))
    }

    /// Sends `buf` as one datagram to `addr`.
    ///
    /// # Errors
    /// `NotFound` when no file is at the path, `ConnectionRefused` when nobody is bound at the address;
    /// `InvalidInput` for the unnamed address (it names no socket) or a socket of another type (a
    /// stream socket's path: the kernel's `EPROTOTYPE`); otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// assert_eq!(tx.send_to(b"hello", rx.local_addr()?)?, 5);
    /// let mut buf = [0u8; 16];
    /// let (n, from) = rx.recv_from(&mut buf)?;
    /// assert_eq!(&buf[..n], b"hello");
    /// assert!(from.is_unnamed()); // an unbound sender cannot be answered
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_to(&self, buf: &[u8], addr: impl ToUnixAddr) -> io::Result<usize> {
        self.send_to_with_flags(buf, addr, MsgFlags::empty())
    }

    /// [`send_to`](Self::send_to) with message flags.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// assert_eq!(tx.send_to_with_flags(b"hello", rx.local_addr()?, MsgFlags::DONTWAIT)?, 5);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(rx.recv_from(&mut buf)?, (5, tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_to_with_flags(
        &self,
        buf: &[u8],
        addr: impl ToUnixAddr,
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let addr = addressable(addr.to_unix_addr()?)?;
        let bits = flags.unix_send_bits()?;
        let deadline = self.timeouts().write_deadline(bits);
        msg::send_to_unix(self.as_fd(), buf, addr.bytes(), bits, deadline)
            .map_err(|e| self.send_failed(e))
    }

    /// Gathers `bufs` into one datagram to the connected peer.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send_vectored(&[IoSlice::new(b"head,"), IoSlice::new(b"body")])?; // one datagram
    /// let mut buf = [0u8; 16];
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"head,body");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_msg(bufs, None, &[], None, MsgFlags::empty())
    }

    /// Gathers `bufs` into one datagram to `addr`.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// tx.send_to_vectored(&[IoSlice::new(b"head,"), IoSlice::new(b"body")], rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf)?; // one datagram
    /// assert_eq!(&buf[..n], b"head,body");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_to_vectored(
        &self,
        bufs: &[IoSlice<'_>],
        addr: impl ToUnixAddr,
    ) -> io::Result<usize> {
        self.send_msg(
            bufs,
            Some(&addr.to_unix_addr()?),
            &[],
            None,
            MsgFlags::empty(),
        )
    }

    /// Sends to the connected peer without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when the peer's queue is full; otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut sent = 0;
    /// while a.try_send(b"fill").is_ok() { // until the peer's queue is full
    ///     sent += 1;
    /// }
    /// assert!(sent > 0);
    /// assert_eq!(a.try_send(b"more").unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # drop(b);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Sends to `addr` without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when the receiver's queue is full; otherwise as [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// let to = rx.local_addr()?;
    /// let mut sent = 0;
    /// while tx.try_send_to(b"fill", to).is_ok() { // until the receiver's queue is full
    ///     sent += 1;
    /// }
    /// assert!(sent > 0);
    /// assert_eq!(tx.try_send_to(b"more", to).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_send_to(&self, buf: &[u8], addr: impl ToUnixAddr) -> io::Result<usize> {
        self.send_to_with_flags(buf, addr, MsgFlags::DONTWAIT)
    }
}

/// Receiving.
impl UnixDatagram {
    /// Receives one datagram into `buf` and returns the bytes written; excess bytes are discarded (see
    /// [`recv_msg`](Self::recv_msg) for the full length). Descriptors sent with it are closed by the
    /// kernel: use [`recv_with_fds`](Self::recv_with_fds) to take them.
    ///
    /// A socket whose peer is gone (from [`pair`](Self::pair) or a [`connect`](Self::connect) to a
    /// path alike) keeps it until the kernel dissolves the association: until then a receive waits
    /// (`WouldBlock` when non-blocking); the send that finds the peer gone fails with
    /// `ConnectionRefused` and dissolves it, and from then on an unnamed socket's receive is
    /// `InvalidInput`.
    ///
    /// # Errors
    /// `BrokenPipe` once the read side is shut down (also for a receive blocked at that moment, and
    /// for the `try_*` forms); `WouldBlock` when a read timeout expired or, non-blocking, nothing is
    /// queued; `InvalidInput` on a socket with neither a name nor a peer, which nothing can send to
    /// (such a receive could never end).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"0123456789")?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(b.recv(&mut buf)?, 4); // the rest is discarded
    /// assert_eq!(&buf, b"0123");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::empty())
    }

    /// [`recv`](Self::recv) with message flags (`PEEK`, `DONTWAIT`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UnixDatagram};
    /// use std::io::ErrorKind;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut buf = [0u8; 16];
    /// let e = b.recv_with_flags(&mut buf, MsgFlags::DONTWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // nothing queued, and not waiting
    /// a.send(b"peeked")?;
    /// assert_eq!(b.recv_with_flags(&mut buf, MsgFlags::PEEK)?, 6); // left queued
    /// assert_eq!(b.recv_with_flags(&mut buf, MsgFlags::DONTWAIT)?, 6);
    /// assert_eq!(&buf[..6], b"peeked");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
        self.ensure_receivable()?;
        let bits = flags.recv_bits()?;
        let deadline = self.timeouts().read_deadline(bits);
        let n = msg::recv_from(self.as_fd(), buf, None, bits, deadline)
            .map_err(|e| self.shut_down_error(e))?;
        self.check_eof(n)?;
        Ok(n.min(buf.len()))
    }

    /// Receives one datagram and its sender's address (unnamed when the sender never bound).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"from tx", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// let (n, from) = rx.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"from tx"[..], tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::empty())
    }

    /// [`recv_from`](Self::recv_from) with message flags.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"who?", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// // Peek at the sender first, then take the datagram.
    /// assert_eq!(rx.recv_from_with_flags(&mut buf, MsgFlags::PEEK)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.recv_from_with_flags(&mut buf, MsgFlags::empty())?, (4, tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> io::Result<(usize, UnixAddr)> {
        self.ensure_receivable()?;
        let mut from = RawAddr::empty();
        let bits = flags.recv_bits()?;
        let deadline = self.timeouts().read_deadline(bits);
        let n = msg::recv_from(self.as_fd(), buf, Some(&mut from), bits, deadline)
            .map_err(|e| self.shut_down_error(e))?;
        self.check_eof(n)?;
        Ok((n.min(buf.len()), UnixAddr::from_raw(&from)?))
    }

    /// Scatters one datagram into `bufs`; returns the bytes written.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"headbody")?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 16]);
    /// let n = b.recv_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)])?;
    /// assert_eq!((n, &head, &body[..4]), (8, b"head", &b"body"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(self.recv_msg_vectored(bufs, MsgFlags::empty())?.len)
    }

    /// Reads the next datagram without removing it from the queue (`MSG_PEEK`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"look")?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(b.peek(&mut buf)?, 4);
    /// assert_eq!(b.recv(&mut buf)?, 4); // still queued after the peek
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::PEEK)
    }

    /// Reads the next datagram and its sender without removing it from the queue (`MSG_PEEK`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"who?", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.peek_from(&mut buf)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.recv_from(&mut buf)?, (4, tx.local_addr()?)); // still queued after the peek
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::PEEK)
    }

    /// Receives from the connected peer without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when nothing is queued; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (_a, b) = UnixDatagram::pair()?;
    /// let e = b.try_recv(&mut [0u8; 16]).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Receives one datagram and its sender without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when nothing is queued; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.try_recv_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// UnixDatagram::unbound()?.send_to(b"hi", rx.local_addr()?)?;
    /// let (n, from) = rx.try_recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from.is_unnamed()), (&b"hi"[..], true));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Peeks at the next datagram and its sender without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when nothing is queued; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let mut buf = [0u8; 16];
    /// let e = rx.try_peek_from(&mut buf).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nothing queued
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"look", rx.local_addr()?)?; // queued when send_to returns
    /// assert_eq!(rx.try_peek_from(&mut buf)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.try_recv_from(&mut buf)?, (4, tx.local_addr()?)); // still queued
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::PEEK | MsgFlags::DONTWAIT)
    }

    fn recv_inner(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
        fds: Option<&mut Vec<OwnedFd>>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.ensure_receivable()?;
        let cap = crate::sys::msg::RecvBuf::capacity(bufs);
        let mut from = RawAddr::empty();
        let bits = flags.recv_bits()? | libc::MSG_TRUNC;
        let (out, anc) = msg::recvmsg_ancillary(
            self.as_fd(),
            bufs,
            Some(&mut from),
            bits,
            msg::Space::Unix,
            fds,
            self.timeouts().read_deadline(bits),
        )
        .map_err(|e| self.shut_down_error(e))?;
        self.check_eof(out.ret)?;
        Ok(RecvMeta::from_kernel(
            UnixAddr::from_raw(&from)?,
            false,
            cap,
            &out,
            &anc,
        ))
    }

    /// A send's error, as the caller sees it. `ECONNREFUSED` says the peer is gone and the kernel
    /// has dissolved the association (`unix_dgram_sendmsg`): without its peer an unnamed socket can
    /// no longer be sent to, so the next receive asks again, as after [`disconnect`](Self::disconnect).
    #[cold]
    fn send_failed(&self, e: io::Error) -> io::Error {
        if e.raw_os_error() == Some(libc::ECONNREFUSED) {
            self.receivable.store(false, Ordering::Relaxed);
        }
        send_error(e)
    }

    /// Refuses a receive on a socket with neither a name nor a peer: nothing can address it, so the
    /// receive could never end (the Unix form of `UdpSocket`'s "not bound").
    #[inline]
    pub(crate) fn ensure_receivable(&self) -> io::Result<()> {
        if self.receivable.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.check_receivable()
    }

    #[cold]
    fn check_receivable(&self) -> io::Result<()> {
        if self.is_bound()? || self.is_connected()? {
            self.receivable.store(true, Ordering::Relaxed);
            return Ok(());
        }
        Err(invalid_input(
            "socket has no name and no peer, so nothing can send to it: bind or connect it before \
             receiving",
        ))
    }

    /// A receive that would block on a socket whose read side is shut down will never get anything:
    /// report the shutdown (`BrokenPipe`) rather than `WouldBlock`, so that non-blocking and async
    /// callers see it too.
    #[cold]
    fn shut_down_error(&self, e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::WouldBlock
            && socket::read_shut_down(self.as_fd()).unwrap_or(false)
        {
            return crate::error::shut_down_for_reading();
        }
        e
    }

    /// A receive that returned 0 bytes got either an empty datagram or end-of-file after
    /// `shutdown(Read)`; `poll(2)` tells which.
    #[inline]
    fn check_eof(&self, n: usize) -> io::Result<()> {
        if n == 0 && socket::read_shut_down(self.as_fd())? {
            return Err(crate::error::shut_down_for_reading());
        }
        Ok(())
    }
}

crate::socket::common_socket_methods!(UnixDatagram, "let (sock, peer) = UnixDatagram::pair()?;");

impl UnixDatagram {
    /// The blocking calls' timeouts (for `common_socket_methods!` and the deadlines of the calls).
    #[inline]
    pub(crate) fn timeouts(&self) -> &crate::socket::Timeouts {
        &self.timeouts
    }
}

/// Batches (`sendmmsg(2)`, `recvmmsg(2)`): many datagrams per syscall, to and from the peer.
impl UnixDatagram {
    /// Sends each buffer of `bufs` as one datagram to the connected peer, up to
    /// [`MAX_BATCH`](crate::MAX_BATCH) of them in one `sendmmsg(2)` call; returns how many the
    /// kernel queued. The kernel stops at the first datagram it cannot queue (the peer's queue
    /// full past the write timeout, say) and reports an error only when that is the first: send
    /// the rest again from there. An empty `bufs` sends nothing and returns 0.
    ///
    /// The batch form of [`send`](Self::send): no address and no control messages
    /// ([`send_with_fds`](Self::send_with_fds) and [`send_msg`](Self::send_msg) carry those).
    ///
    /// # Errors
    /// As [`send`](Self::send), for the first datagram: `NotConnected` without a peer,
    /// `ConnectionRefused` when the peer is gone, `WouldBlock` with a write timeout or in
    /// non-blocking mode when its queue is full.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let bufs: [&[u8]; 3] = [b"one", b"two", b"three"];
    /// let mut sent = 0;
    /// while sent < bufs.len() {
    ///     sent += a.send_batch(&bufs[sent..])?; // resend from the first unsent one
    /// }
    /// let mut buf = [0u8; 16];
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// assert_eq!(&buf[..3], b"one");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "sendmmsg")]
    pub fn send_batch<B: AsRef<[u8]>>(&self, bufs: &[B]) -> io::Result<usize> {
        self.send_batch_with_flags(bufs, MsgFlags::empty())
    }

    /// [`send_batch`](Self::send_batch) with message flags (`DONTWAIT` for the non-blocking form).
    ///
    /// # Errors
    /// As [`send_batch`](Self::send_batch); `InvalidInput` for a flag Unix sockets do not take.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// assert_eq!(a.send_batch_with_flags(&[&b"one"[..], b"two"], MsgFlags::DONTWAIT)?, 2);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// assert_eq!(&buf[..3], b"one");
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// assert_eq!(&buf[..3], b"two");
    /// let e = a.send_batch_with_flags(&[b"x"], MsgFlags::MORE).unwrap_err(); // UDP only
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_batch_with_flags<B: AsRef<[u8]>>(
        &self,
        bufs: &[B],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let bits = flags.unix_send_bits()?;
        let mut batch = mmsg::SendBatch::new();
        for b in bufs.iter().take(crate::MAX_BATCH) {
            // The first message has no address (the peer's); the others copy its header.
            if !batch.push_same(b.as_ref()) {
                batch.push(b.as_ref(), None, false, None)?;
            }
        }
        if batch.len() == 0 {
            return Ok(0);
        }
        let deadline = self.timeouts().write_deadline(bits);
        mmsg::sendmmsg(self.as_fd(), &mut batch, bits, deadline).map_err(|e| self.send_failed(e))
    }

    /// Receives up to `min(bufs.len(), meta.len(), MAX_BATCH)` datagrams in one `recvmmsg(2)`
    /// call (`MSG_WAITFORONE`: it waits for the first, then takes what is queued); returns how
    /// many. Datagram `i` is in `bufs[i]`, described by `meta[i]`: its length, its full length and
    /// whether it was truncated, as [`recv_msg`](Self::recv_msg) reports them.
    ///
    /// The batch form of [`recv`](Self::recv): the kernel is asked for no sender and offered no
    /// control area. Control messages are therefore not received: with
    /// [`set_pass_cred`](Self::set_pass_cred) or timestamps on, or descriptors sent with a
    /// datagram, its `meta` says `control_truncated` (`MSG_CTRUNC`), and the kernel closes such
    /// descriptors: none leaks. [`recv_msg`](Self::recv_msg) and
    /// [`recv_with_fds`](Self::recv_with_fds) receive them.
    ///
    /// # Errors
    /// As [`recv`](Self::recv); `InvalidInput` when `bufs` or `meta` is empty (room for no
    /// datagram).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send_batch(&[&b"a"[..], b"bb"])?;
    /// let mut storage = [[0u8; 1500]; 8];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 8];
    /// let mut got = 0;
    /// while got < 2 {
    ///     got += b.recv_batch_without_senders(&mut bufs[got..], &mut meta[got..])?;
    /// }
    /// assert_eq!((meta[0].len, meta[1].len), (1, 2));
    /// assert_eq!(&storage[1][..2], b"bb");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "recvmmsg")]
    pub fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        self.recv_batch_without_senders_with_flags(bufs, meta, MsgFlags::empty())
    }

    /// [`recv_batch_without_senders`](Self::recv_batch_without_senders) with message flags
    /// (`DONTWAIT` for the non-blocking form).
    ///
    /// # Errors
    /// As [`recv_batch_without_senders`](Self::recv_batch_without_senders); `WouldBlock` with
    /// `DONTWAIT` when nothing is queued; `InvalidInput` for `PEEK` (every buffer would get the
    /// same datagram) or a flag that only sends take.
    ///
    /// # Examples
    /// ```
    /// use std::io::{ErrorKind, IoSliceMut};
    /// use datagrams::{MsgFlags, RecvMeta, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut storage = [[0u8; 64]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 4];
    /// let e = b.recv_batch_without_senders_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT);
    /// assert_eq!(e.unwrap_err().kind(), ErrorKind::WouldBlock); // nothing queued
    /// a.send_batch(&[&b"a"[..], b"bb"])?; // both queued when it returns
    /// let got = b.recv_batch_without_senders_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT)?;
    /// assert_eq!((got, meta[0].len, meta[1].len), (2, 1, 2));
    /// assert_eq!(&storage[1][..2], b"bb");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_batch_without_senders_with_flags(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        self.ensure_receivable()?;
        if flags.contains(MsgFlags::PEEK) {
            return Err(invalid_input(
                "PEEK has no meaning for a batch: every buffer would get the same first datagram",
            ));
        }
        let bits = flags.recv_bits()? | libc::MSG_TRUNC | libc::MSG_WAITFORONE;
        let n = crate::udp::batch::batch_room_for(bufs.len(), meta.len())?;
        let (bufs, meta) = (&mut bufs[..n], &mut meta[..n]);
        let deadline = self.timeouts().read_deadline(bits);
        let got = mmsg::recvmmsg(
            self.as_fd(),
            bufs,
            &mut [],
            bits,
            false,
            deadline,
            |i, r| {
                let Some(m) = meta.get_mut(i) else {
                    return false;
                };
                let anc = msg::Ancillary::of(cmsg::Filled::EMPTY.iter(), r.out.flags);
                *m = RecvMeta::from_kernel((), false, r.cap, &r.out, &anc);
                true
            },
        )
        .map_err(|e| self.shut_down_error(e))?;
        // A first datagram of no bytes may be the end of file after `shutdown(Read)`.
        if got > 0 && meta[0].full_len == 0 {
            self.check_eof(0)?;
        }
        Ok(got)
    }
}

/// Credentials (`SO_PASSCRED`, `SO_PEERCRED`).
impl UnixDatagram {
    /// Asks the kernel to attach the sender's credentials to every received datagram
    /// (`SO_PASSCRED`); [`recv_msg`](Self::recv_msg) then reports them in [`RecvMeta::cred`].
    ///
    /// With it on, an unbound socket is given an abstract name by the kernel when it sends or
    /// connects (autobind).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UCred, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.set_pass_cred(true)?;
    /// assert!(b.pass_cred()?);
    /// a.send(b"who am I")?;
    /// let meta = b.recv_msg(&mut [0u8; 16])?;
    /// assert_eq!(meta.cred, Some(UCred::current()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_PASSCRED")]
    pub fn set_pass_cred(&self, on: bool) -> io::Result<()> {
        self.inner.set_passcred(on)
    }

    /// Reports when the kernel received each datagram, in nanoseconds of wall-clock time
    /// ([`RecvMeta::timestamp`]; `SO_TIMESTAMPNS`), as
    /// [`UdpSocket::set_recv_timestamp`](crate::UdpSocket::set_recv_timestamp) does.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.set_recv_timestamp(true)?;
    /// assert!(b.recv_timestamp()?);
    /// a.send(b"now")?;
    /// let mut buf = [0u8; 8];
    /// let meta = b.recv_msg(&mut buf)?;
    /// assert!(meta.timestamp.is_some());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_TIMESTAMPNS")]
    pub fn set_recv_timestamp(&self, on: bool) -> io::Result<()> {
        crate::sys::sockopt::set_int(
            self.as_fd(),
            libc::SOL_SOCKET,
            crate::sys::consts::SO_TIMESTAMPNS,
            libc::c_int::from(on),
        )
    }

    /// Whether `SO_TIMESTAMPNS` is on.
    ///
    /// [`set_recv_timestamp`](Self::set_recv_timestamp) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_TIMESTAMPNS")]
    pub fn recv_timestamp(&self) -> io::Result<bool> {
        crate::sys::sockopt::get_int(
            self.as_fd(),
            libc::SOL_SOCKET,
            crate::sys::consts::SO_TIMESTAMPNS,
        )
        .map(|v| v != 0)
    }

    /// Whether `SO_PASSCRED` is on.
    ///
    /// [`set_pass_cred`](Self::set_pass_cred) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_PASSCRED")]
    pub fn pass_cred(&self) -> io::Result<bool> {
        self.inner.passcred()
    }

    /// The credentials of the peer as of `socketpair` (`SO_PEERCRED`). For datagram sockets the
    /// kernel records them only for a pair: not for `connect`.
    ///
    /// # Errors
    /// `NotFound` when the kernel recorded none (it then reports pid 0 and uid and gid `u32::MAX`,
    /// which no process has): a socket connected with `connect`, or not connected; otherwise what
    /// `getsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UCred, UnixDatagram};
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert_eq!(a.peer_cred()?, UCred::current()); // this process made both ends
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_cred(&self) -> io::Result<UCred> {
        match sockopt::peer_cred(self.as_fd())? {
            (0, u32::MAX, u32::MAX) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the kernel recorded no peer credentials: it does for socketpair(), not for \
                 connect() on a datagram socket",
            )),
            (pid, uid, gid) => Ok(UCred { pid, uid, gid }),
        }
    }
}

/// Descriptors (`SCM_RIGHTS`), credentials (`SCM_CREDENTIALS`) and per-datagram metadata
/// (`sendmsg(2)`, `recvmsg(2)`).
impl UnixDatagram {
    /// Sends `buf` with descriptors to the connected peer (`SCM_RIGHTS`; Emilua's `send_with_fds`).
    /// The descriptors are borrowed: the caller keeps them, the receiver gets duplicates.
    ///
    /// # Errors
    /// `InvalidInput` for more than 253 descriptors (`SCM_MAX_FD`); otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsFd;
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let (mut reader, writer) = std::io::pipe()?;
    /// a.send_with_fds(b"a pipe", &[writer.as_fd()])?;
    /// drop(writer);
    ///
    /// let mut fds = Vec::with_capacity(1); // room for one descriptor
    /// let mut buf = [0u8; 16];
    /// let meta = b.recv_with_fds(&mut buf, &mut fds)?;
    /// assert_eq!((&buf[..meta.len], fds.len(), meta.control_truncated), (&b"a pipe"[..], 1, false));
    ///
    /// let mut w = std::fs::File::from(fds.pop().unwrap());
    /// w.write_all(b"through it")?;
    /// drop(w);
    /// let mut s = String::new();
    /// reader.read_to_string(&mut s)?;
    /// assert_eq!(s, "through it");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_with_fds(&self, buf: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        self.send_msg(&[IoSlice::new(buf)], None, fds, None, MsgFlags::empty())
    }

    /// Sends `buf` with descriptors to `addr` (Emilua's `send_to_with_fds`).
    ///
    /// # Errors
    /// As [`send_with_fds`](Self::send_with_fds) and [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// use std::os::fd::AsFd;
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// tx.send_to_with_fds(b"a pipe", &[writer.as_fd()], rx.local_addr()?)?;
    /// let mut fds = Vec::with_capacity(1);
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_from_with_fds(&mut buf, &mut fds)?;
    /// assert_eq!((&buf[..meta.len], fds.len()), (&b"a pipe"[..], 1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_to_with_fds(
        &self,
        buf: &[u8],
        fds: &[BorrowedFd<'_>],
        addr: impl ToUnixAddr,
    ) -> io::Result<usize> {
        self.send_msg(
            &[IoSlice::new(buf)],
            Some(&addr.to_unix_addr()?),
            fds,
            None,
            MsgFlags::empty(),
        )
    }

    /// Sends `buf` to the connected peer with explicit credentials (`SCM_CREDENTIALS`). Without
    /// `CAP_SYS_ADMIN`/`CAP_SETUID`/`CAP_SETGID`, the kernel accepts only the sender's own pid and its
    /// real, effective or saved ids: [`UCred::current`] always passes.
    ///
    /// # Errors
    /// `PermissionDenied` for credentials the sender may not claim; otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{UCred, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.set_pass_cred(true)?;
    /// a.send_with_cred(b"signed", UCred::current())?;
    /// let mut buf = [0u8; 16];
    /// let meta = b.recv_msg(&mut buf)?;
    /// assert_eq!((&buf[..meta.len], meta.cred), (&b"signed"[..], Some(UCred::current())));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_with_cred(&self, buf: &[u8], cred: UCred) -> io::Result<usize> {
        self.send_msg(
            &[IoSlice::new(buf)],
            None,
            &[],
            Some(cred),
            MsgFlags::empty(),
        )
    }

    /// The full send: gathered buffers, an optional destination (the connected peer when `None`),
    /// descriptors and credentials, and message flags, in one `sendmsg(2)`.
    ///
    /// # Errors
    /// As [`send_with_fds`](Self::send_with_fds), [`send_with_cred`](Self::send_with_cred) and
    /// [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use std::os::fd::AsFd;
    /// use datagrams::{MsgFlags, UCred, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.set_pass_cred(true)?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// let parts = [IoSlice::new(b"head,"), IoSlice::new(b"tail")];
    /// a.send_msg(&parts, None, &[writer.as_fd()], Some(UCred::current()), MsgFlags::empty())?;
    ///
    /// let mut buf = [0u8; 16];
    /// let mut fds = Vec::with_capacity(4);
    /// let meta = b.recv_with_fds(&mut buf, &mut fds)?;
    /// assert_eq!(&buf[..meta.len], b"head,tail");
    /// assert_eq!((fds.len(), meta.cred), (1, Some(UCred::current())));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_msg(
        &self,
        bufs: &[IoSlice<'_>],
        to: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
        cred: Option<UCred>,
        flags: MsgFlags,
    ) -> io::Result<usize> {
        if fds.len() > cmsg::MAX_FDS {
            return Err(invalid_input(format!(
                "{} descriptors in one message; the kernel allows at most {} (SCM_MAX_FD)",
                fds.len(),
                cmsg::MAX_FDS
            )));
        }
        let raw = match to {
            Some(a) => Some(addressable(*a)?.to_raw()),
            None => None,
        };
        let cred = cred.map(|c| (c.pid, c.uid, c.gid));
        let bits = flags.unix_send_bits()?;
        msg::sendmsg_ancillary(
            self.as_fd(),
            bufs,
            raw.as_ref(),
            fds,
            cred,
            bits,
            self.timeouts().write_deadline(bits),
        )
        .map_err(|e| match cred {
            // The kernel's ESRCH: the credentials name a process that does not exist.
            Some((pid, ..)) if e.raw_os_error() == Some(libc::ESRCH) => {
                invalid_input(format!("no process with pid {pid} to send credentials for"))
            }
            _ => self.send_failed(e),
        })
    }

    /// Receives one datagram into `buf` and reports everything about it: sender, bytes written, full
    /// length, truncation (`MSG_TRUNC`), and credentials when [`set_pass_cred`](Self::set_pass_cred) is
    /// on. Descriptors that came with it are closed, and `control_truncated` says so.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"0123456789")?;
    /// let mut small = [0u8; 4];
    /// let meta = b.recv_msg(&mut small)?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    /// assert!(meta.addr.is_unnamed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_msg(&self, buf: &mut [u8]) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_inner(&mut [IoSliceMut::new(buf)], MsgFlags::empty(), None)
    }

    /// Scatters one datagram into `bufs` with message flags and reports what
    /// [`recv_msg`](Self::recv_msg) does.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{MsgFlags, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"headbody!")?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 4]);
    /// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    /// let meta = b.recv_msg_vectored(&mut bufs, MsgFlags::PEEK)?; // left queued
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (8, 9, true)); // 8 bytes of room
    /// assert_eq!((&head, &body), (b"head", b"body"));
    /// assert_eq!(b.recv(&mut [0u8; 16])?, 9);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_inner(bufs, flags, None)
    }

    /// Receives one datagram and the descriptors sent with it (`SCM_RIGHTS`; Emilua's
    /// `receive_with_fds`), appending them to `fds` as `OwnedFd`s with close-on-exec set
    /// (`MSG_CMSG_CLOEXEC`).
    ///
    /// `fds` receives at most its spare capacity (`capacity() - len()`, and at most 253): reserve room
    /// first, e.g. `Vec::with_capacity(n)`. It never grows, so this allocates nothing. When more
    /// descriptors arrived than there was room for, or the kernel truncated them (`MSG_CTRUNC`),
    /// `RecvMeta::control_truncated` is set and every descriptor of that datagram is closed: `fds` is
    /// left as it was, and none leaks.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::os::fd::AsFd;
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let (_r1, w1) = std::io::pipe()?;
    /// let (_r2, w2) = std::io::pipe()?;
    /// a.send_with_fds(b"two", &[w1.as_fd(), w2.as_fd()])?;
    ///
    /// let mut fds = Vec::with_capacity(1); // room for one: both are closed, none leaks
    /// let meta = b.recv_with_fds(&mut [0u8; 8], &mut fds)?;
    /// assert_eq!((meta.len, meta.control_truncated, fds.len()), (3, true, 0));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_with_fds(
        &self,
        buf: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_inner(&mut [IoSliceMut::new(buf)], MsgFlags::empty(), Some(fds))
    }

    /// [`recv_with_fds`](Self::recv_with_fds), named for the sender's address it reports in
    /// `RecvMeta::addr` (Emilua's `receive_from_with_fds`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::os::fd::AsFd;
    /// use datagrams::{UnixAddr, UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// tx.send_to_with_fds(b"from tx", &[writer.as_fd()], rx.local_addr()?)?;
    /// let mut fds = Vec::with_capacity(1);
    /// let meta = rx.recv_from_with_fds(&mut [0u8; 16], &mut fds)?;
    /// assert_eq!((meta.addr, meta.len, fds.len()), (tx.local_addr()?, 7, 1)); // who sent it
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_from_with_fds(
        &self,
        buf: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_with_fds(buf, fds)
    }

    /// [`recv_with_fds`](Self::recv_with_fds) scattering into `bufs`, with message flags.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use std::os::fd::AsFd;
    /// use datagrams::{MsgFlags, UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// a.send_with_fds(b"headbody", &[writer.as_fd()])?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 8]);
    /// let mut fds = Vec::with_capacity(1);
    /// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    /// let meta = b.recv_vectored_with_fds(&mut bufs, MsgFlags::DONTWAIT, &mut fds)?;
    /// assert_eq!((meta.len, fds.len()), (8, 1));
    /// assert_eq!((&head, &body[..4]), (b"head", &b"body"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_vectored_with_fds(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_inner(bufs, flags, Some(fds))
    }
}

/// Conversions.
impl UnixDatagram {
    /// Converts into std's socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let b: std::os::unix::net::UnixDatagram = b.into_std(); // the same socket, std's type
    /// a.send(b"to std")?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv(&mut buf)?, 6);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::os::unix::net::UnixDatagram {
        std::os::unix::net::UnixDatagram::from(OwnedFd::from(self.inner))
    }
}

/// `addr`, or `InvalidInput` for the unnamed address: it names no socket, so nothing can be sent or
/// connected to it (the kernel's bare `EINVAL`).
fn addressable(addr: UnixAddr) -> io::Result<UnixAddr> {
    if addr.is_unnamed() {
        return Err(invalid_input(
            "the unnamed Unix address names no socket: nothing can be sent or connected to it",
        ));
    }
    Ok(addr)
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixDatagram");
        d.field("fd", &self.as_raw_fd());
        match self.local_addr() {
            Ok(a) => d.field("local", &format_args!("{a}")),
            Err(e) => d.field("local", &e.kind()),
        };
        match self.peer_addr() {
            Ok(a) => d.field("peer", &format_args!("{a}")),
            Err(_) => d.field("peer", &"none"),
        };
        d.finish()
    }
}

crate::socket::common_socket_impls!(UnixDatagram);

/// Adopts a descriptor (Emilua's `assign`), checked: it must be a Unix datagram socket
/// (`SO_DOMAIN` `AF_UNIX`, `SO_TYPE` `SOCK_DGRAM`). Its timeouts are read from the socket.
///
/// # Errors
/// `InvalidInput` naming what the descriptor is when it is not a Unix datagram socket (the
/// descriptor is closed); what `getsockopt(2)` reports (`ENOTSOCK` is `InvalidInput` too).
///
/// # Examples
/// ```
/// use std::os::fd::OwnedFd;
/// use datagrams::UnixDatagram;
///
/// let (a, _b) = std::os::unix::net::UnixDatagram::pair()?;
/// let adopted = UnixDatagram::try_from(OwnedFd::from(a))?;
/// assert!(adopted.is_connected()?);
///
/// let (stream, _) = std::os::unix::net::UnixStream::pair()?;
/// let e = UnixDatagram::try_from(OwnedFd::from(stream)).unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
/// # Ok::<(), std::io::Error>(())
/// ```
impl TryFrom<OwnedFd> for UnixDatagram {
    type Error = io::Error;

    fn try_from(fd: OwnedFd) -> io::Result<UnixDatagram> {
        match socket::kind(fd.as_fd())? {
            socket::Kind {
                domain: libc::AF_UNIX,
                ty: libc::SOCK_DGRAM,
                ..
            } => {}
            other => {
                return Err(invalid_input(format!(
                    "the descriptor is not a Unix datagram socket: it is {other}"
                )));
            }
        }
        let inner = Socket::from(fd);
        let timeouts = crate::socket::Timeouts::of(inner.as_fd());
        Ok(UnixDatagram {
            timeouts: Arc::new(timeouts),
            ..UnixDatagram::from_socket(inner, false)
        })
    }
}

/// Adopts std's socket, checked as [`TryFrom<OwnedFd>`](#impl-TryFrom%3COwnedFd%3E-for-UnixDatagram).
impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    fn try_from(s: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::try_from(OwnedFd::from(s))
    }
}

/// Adopts a socket2 socket, checked as [`TryFrom<OwnedFd>`](#impl-TryFrom%3COwnedFd%3E-for-UnixDatagram).
impl TryFrom<Socket> for UnixDatagram {
    type Error = io::Error;

    fn try_from(s: Socket) -> io::Result<UnixDatagram> {
        UnixDatagram::try_from(OwnedFd::from(s))
    }
}

/// Into a socket2 socket (the descriptor and every option carry over).
impl From<UnixDatagram> for Socket {
    fn from(s: UnixDatagram) -> Socket {
        s.inner
    }
}

impl From<UnixDatagram> for std::os::unix::net::UnixDatagram {
    fn from(s: UnixDatagram) -> std::os::unix::net::UnixDatagram {
        s.into_std()
    }
}
