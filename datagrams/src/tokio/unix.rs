//! The async `UnixDatagram`.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use ::tokio::io::{Interest, ReadBuf};

use super::Io;
use crate::{MsgFlags, RecvMeta, ToUnixAddr, UCred, UnixAddr};

/// An async Unix-domain datagram socket: `tokio::net::UnixDatagram`'s calls, plus dgram's descriptor
/// and credential passing and truncation reports.
///
/// Every call takes `&self`; share it between tasks with `Arc`. Every async receive is cancel-safe:
/// dropping the future before it completes takes no datagram (and no descriptor).
///
/// # Panics
/// Making one inside a tokio runtime built without I/O panics in tokio, as
/// `tokio::net::UnixDatagram` does (see the [module docs](crate::tokio)); outside any runtime it is
/// an error.
///
/// # Examples
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use std::os::fd::AsFd;
/// use datagrams::tokio::UnixDatagram;
///
/// let (a, b) = UnixDatagram::pair()?;
/// let (_r, w) = std::io::pipe()?;
/// a.send_with_fds(b"fd", &[w.as_fd()]).await?;
/// let mut fds = Vec::with_capacity(1);
/// let meta = b.recv_with_fds(&mut [0u8; 8], &mut fds).await?;
/// assert_eq!((meta.len, fds.len()), (2, 1));
/// # Ok(()) }
/// ```
pub struct UnixDatagram {
    io: Io<crate::UnixDatagram>,
}

/// Life cycle: create, bind, connect, disconnect, shut down, close.
impl UnixDatagram {
    /// Creates a socket bound to `addr` (a path or a [`UnixAddr`]).
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::bind`], or tokio's registration error.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let server = UnixDatagram::bind(UnixAddr::unnamed())?; // a kernel-chosen abstract name
    /// let client = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// client.send_to(b"hello", server.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"hello"[..], client.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn bind(addr: impl ToUnixAddr) -> io::Result<UnixDatagram> {
        UnixDatagram::new(crate::UnixDatagram::bind(addr)?)
    }

    /// A connected pair.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::pair`], or tokio's registration error.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"ping").await?;
    /// let mut buf = [0u8; 16];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"ping");
    /// # Ok(())
    /// # }
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = crate::UnixDatagram::pair()?;
        Ok((UnixDatagram::new(a)?, UnixDatagram::new(b)?))
    }

    /// An unbound socket.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::unbound`], or tokio's registration error.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let sock = UnixDatagram::unbound()?;
    /// assert!(sock.local_addr()?.is_unnamed());
    /// # Ok(())
    /// # }
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(crate::UnixDatagram::unbound()?)
    }

    /// Takes a blocking dgram socket into the async world (non-blocking mode, registered with the
    /// current runtime).
    ///
    /// # Errors
    /// What `fcntl(2)` reports, or tokio's registration error (no runtime).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = datagrams::UnixDatagram::pair()?;
    /// a.set_pass_cred(true)?; // options set on the blocking socket carry over
    /// let (a, b) = (UnixDatagram::new(a)?, UnixDatagram::new(b)?);
    /// b.send(b"async now").await?;
    /// assert_eq!(a.recv_msg(&mut [0u8; 16]).await?.cred, Some(datagrams::UCred::current()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(sock: crate::UnixDatagram) -> io::Result<UnixDatagram> {
        sock.set_nonblocking(true)?;
        Ok(UnixDatagram { io: Io::new(sock)? })
    }

    /// Binds an unbound socket (see [`crate::UnixDatagram::bind_to`]).
    ///
    /// # Errors
    /// As there.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let sock = UnixDatagram::unbound()?;
    /// sock.get_ref().set_pass_cred(true)?; // options before binding
    /// sock.bind_to(UnixAddr::unnamed())?; // the kernel picks an abstract name
    /// assert!(sock.local_addr()?.as_abstract_name().is_some());
    /// # Ok(())
    /// # }
    /// ```
    pub fn bind_to(&self, addr: impl ToUnixAddr) -> io::Result<()> {
        self.get_ref().bind_to(addr)
    }

    /// Connects to `addr` (a Unix connect completes at once, so this is not async, as in tokio).
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::connect`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let server = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let client = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// client.connect(server.local_addr()?)?;
    /// client.send(b"request").await?;
    /// let mut buf = [0u8; 16];
    /// let (n, from) = server.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"request"[..], client.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect(&self, addr: impl ToUnixAddr) -> io::Result<()> {
        self.get_ref().connect(addr)
    }

    /// Dissolves the association.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::disconnect`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let server = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(server.local_addr()?)?;
    /// client.disconnect()?;
    /// let e = client.send(b"to whom?").await.unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::NotConnected);
    /// # Ok(())
    /// # }
    /// ```
    pub fn disconnect(&self) -> io::Result<()> {
        self.get_ref().disconnect()
    }

    /// The local address.
    ///
    /// # Errors
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let name = UnixAddr::from_abstract_name(format!("dgram-doc-{}", std::process::id()))?;
    /// let sock = UnixDatagram::bind(name)?;
    /// assert_eq!(sock.local_addr()?, name);
    /// # Ok(())
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<UnixAddr> {
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
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let server = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let client = UnixDatagram::unbound()?;
    /// assert_eq!(client.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// client.connect(server.local_addr()?)?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<UnixAddr> {
        self.get_ref().peer_addr()
    }

    /// The peer's credentials (`SO_PEERCRED`).
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::peer_cred`].
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UCred, tokio::UnixDatagram};
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert_eq!(a.peer_cred()?, UCred::current());
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer_cred(&self) -> io::Result<UCred> {
        self.get_ref().peer_cred()
    }

    /// Takes the pending socket error (`SO_ERROR`).
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.take_error()?.is_none()); // no pending error
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.get_ref().take_error()
    }

    /// Shuts down a direction; `Shutdown::Read` wakes every parked receive, which fails with
    /// `BrokenPipe` (Emilua's `cancel`, for receives in other tasks).
    ///
    /// # Errors
    /// What `shutdown(2)` reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::net::Shutdown;
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// a.shutdown(Shutdown::Read)?;
    /// let e = a.recv(&mut [0u8; 8]).await.unwrap_err(); // ends at once, never waits
    /// assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    /// # Ok(())
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.get_ref().shutdown(how)
    }

    /// Closes the socket, waiting for nothing, and reports close(2)'s error.
    ///
    /// # Errors
    /// What `close(2)` reports.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.close()?; // close(2)'s error, if any, instead of Drop's silence
    /// let e = b.send(b"anyone?").await.unwrap_err(); // the peer is gone
    /// assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(self) -> io::Result<()> {
        self.io.into_inner().close()
    }
}

/// Sending.
impl UnixDatagram {
    /// Sends to the connected peer.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::send`].
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, nothing was sent.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// assert_eq!(a.send(b"hello").await?, 5);
    /// let mut buf = [0u8; 16];
    /// let n = b.recv(&mut buf).await?;
    /// assert_eq!(&buf[..n], b"hello");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.send(|s| s.try_send(buf)).await
    }

    /// Sends to `addr`.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::send_to`].
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// assert_eq!(tx.send_to(b"hi", rx.local_addr()?).await?, 2);
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv(&mut buf).await?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], addr: impl ToUnixAddr) -> io::Result<usize> {
        let to = addr.to_unix_addr()?;
        self.io.send(|s| s.try_send_to(buf, to)).await
    }

    /// Sends with descriptors to the connected peer.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::send_with_fds`].
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, nothing (and no descriptor) was sent.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsFd;
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let (mut reader, writer) = std::io::pipe()?;
    /// a.send_with_fds(b"a pipe", &[writer.as_fd()]).await?;
    /// drop(writer);
    ///
    /// let mut fds = Vec::with_capacity(1);
    /// let mut buf = [0u8; 16];
    /// let meta = b.recv_with_fds(&mut buf, &mut fds).await?;
    /// assert_eq!((&buf[..meta.len], fds.len()), (&b"a pipe"[..], 1));
    /// let mut w = std::fs::File::from(fds.pop().unwrap());
    /// w.write_all(b"through it")?;
    /// drop(w);
    /// let mut s = String::new();
    /// reader.read_to_string(&mut s)?;
    /// assert_eq!(s, "through it");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_with_fds(&self, buf: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        self.send_msg(&[IoSlice::new(buf)], None, fds, None).await
    }

    /// Sends with descriptors to `addr`.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::send_to_with_fds`].
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::os::fd::AsFd;
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// tx.send_to_with_fds(b"a pipe", &[writer.as_fd()], rx.local_addr()?).await?;
    /// let mut fds = Vec::with_capacity(1);
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_with_fds(&mut buf, &mut fds).await?;
    /// assert_eq!((&buf[..meta.len], fds.len()), (&b"a pipe"[..], 1));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_to_with_fds(
        &self,
        buf: &[u8],
        fds: &[BorrowedFd<'_>],
        addr: impl ToUnixAddr,
    ) -> io::Result<usize> {
        let to = addr.to_unix_addr()?;
        self.send_msg(&[IoSlice::new(buf)], Some(&to), fds, None)
            .await
    }

    /// Sends with explicit credentials to the connected peer.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::send_with_cred`].
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UCred, tokio::UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.get_ref().set_pass_cred(true)?;
    /// a.send_with_cred(b"signed", UCred::current()).await?;
    /// let meta = b.recv_msg(&mut [0u8; 16]).await?;
    /// assert_eq!(meta.cred, Some(UCred::current()));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_with_cred(&self, buf: &[u8], cred: UCred) -> io::Result<usize> {
        self.send_msg(&[IoSlice::new(buf)], None, &[], Some(cred))
            .await
    }

    /// The full send: gathered buffers, destination, descriptors and credentials.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::send_msg`].
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSlice;
    /// use datagrams::{UCred, tokio::UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.get_ref().set_pass_cred(true)?;
    /// a.send_msg(&[IoSlice::new(b"head,"), IoSlice::new(b"tail")], None, &[], Some(UCred::current())).await?;
    /// let mut buf = [0u8; 16];
    /// let meta = b.recv_msg(&mut buf).await?;
    /// assert_eq!((&buf[..meta.len], meta.cred), (&b"head,tail"[..], Some(UCred::current())));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_msg(
        &self,
        bufs: &[IoSlice<'_>],
        to: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
        cred: Option<UCred>,
    ) -> io::Result<usize> {
        self.io
            .send(|s| s.send_msg(bufs, to, fds, cred, MsgFlags::DONTWAIT))
            .await
    }

    /// Sends to the connected peer if it can be done without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the peer's queue is full; otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut sent = 0;
    /// while a.try_send(b"fill").is_ok() { // until the peer's queue is full
    ///     sent += 1;
    /// }
    /// assert!(sent > 0);
    /// assert_eq!(a.try_send(b"more").unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// assert_eq!(b.recv(&mut [0u8; 8]).await?, 4);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |s| s.try_send(buf))
    }

    /// Sends to `addr` if it can be done without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the receiver's queue is full; otherwise as [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// assert_eq!(tx.try_send_to(b"now", rx.local_addr()?)?, 3); // room in the queue
    /// assert_eq!(rx.recv(&mut [0u8; 8]).await?, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_send_to(&self, buf: &[u8], addr: impl ToUnixAddr) -> io::Result<usize> {
        let to = addr.to_unix_addr()?;
        self.io
            .try_io(Interest::WRITABLE, |s| s.try_send_to(buf, to))
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
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// assert_eq!(poll_fn(|cx| a.poll_send(cx, b"polled")).await?, 6);
    /// assert_eq!(b.recv(&mut [0u8; 8]).await?, 6);
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
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::unbound()?;
    /// let to = rx.local_addr()?;
    /// assert_eq!(poll_fn(|cx| tx.poll_send_to(cx, b"polled", &to)).await?, 6);
    /// assert_eq!(rx.recv(&mut [0u8; 8]).await?, 6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        addr: &UnixAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_send(cx, |s| s.try_send_to(buf, addr))
    }
}

/// Receiving.
impl UnixDatagram {
    /// Receives one datagram.
    ///
    /// # Errors
    /// As [`crate::UnixDatagram::recv`] (`BrokenPipe` after `shutdown(Read)`, also for a parked
    /// receive).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"0123456789").await?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(b.recv(&mut buf).await?, 4); // the rest is discarded
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
    /// Cancel-safe.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"from tx", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// let (n, from) = rx.recv_from(&mut buf).await?;
    /// assert_eq!((&buf[..n], from), (&b"from tx"[..], tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.io.recv(|s| s.try_recv_from(buf)).await
    }

    /// Reads the next datagram and its sender without taking it.
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
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"who?", rx.local_addr()?).await?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.peek_from(&mut buf).await?, (4, tx.local_addr()?));
    /// assert_eq!(rx.recv_from(&mut buf).await?, (4, tx.local_addr()?)); // still queued
    /// # Ok(())
    /// # }
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.io.recv(|s| s.try_peek_from(buf)).await
    }

    /// Receives one datagram with everything reported: sender, lengths, truncation, credentials.
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
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"0123456789").await?;
    /// let mut small = [0u8; 4];
    /// let meta = b.recv_msg(&mut small).await?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_msg(&self, buf: &mut [u8]) -> io::Result<RecvMeta<UnixAddr>> {
        self.io
            .recv(|s| s.recv_msg_vectored(&mut [IoSliceMut::new(buf)], MsgFlags::DONTWAIT))
            .await
    }

    /// Scatters one datagram into `bufs` with message flags, reporting as [`recv_msg`](Self::recv_msg).
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
    /// use datagrams::{MsgFlags, tokio::UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"headbody").await?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 16]);
    /// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    /// let meta = b.recv_msg_vectored(&mut bufs, MsgFlags::empty()).await?;
    /// assert_eq!((meta.len, meta.truncated), (8, false));
    /// assert_eq!((&head, &body[..4]), (b"head", &b"body"[..]));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        // Checked before waiting: a send-only flag would otherwise wait for a datagram to refuse.
        flags.recv_bits()?;
        self.io
            .recv(|s| s.recv_msg_vectored(bufs, flags | MsgFlags::DONTWAIT))
            .await
    }

    /// Receives one datagram and its descriptors into `fds`' spare capacity (see
    /// [`crate::UnixDatagram::recv_with_fds`]: more than fit are all closed and reported).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram and no descriptor was taken.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::os::fd::AsFd;
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// a.send_with_fds(b"fd", &[writer.as_fd()]).await?;
    /// let mut fds = Vec::with_capacity(4); // room for up to 4
    /// let meta = b.recv_with_fds(&mut [0u8; 8], &mut fds).await?;
    /// assert_eq!((meta.len, fds.len(), meta.control_truncated), (2, 1, false));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_with_fds(
        &self,
        buf: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.io
            .recv(|s| {
                s.recv_vectored_with_fds(&mut [IoSliceMut::new(buf)], MsgFlags::DONTWAIT, fds)
            })
            .await
    }

    /// [`recv_with_fds`](Self::recv_with_fds), named for the sender it reports.
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
    /// use std::os::fd::AsFd;
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let (_reader, writer) = std::io::pipe()?;
    /// tx.send_to_with_fds(b"from tx", &[writer.as_fd()], rx.local_addr()?).await?;
    /// let mut fds = Vec::with_capacity(1);
    /// let meta = rx.recv_from_with_fds(&mut [0u8; 16], &mut fds).await?;
    /// assert_eq!((meta.addr, meta.len, fds.len()), (tx.local_addr()?, 7, 1)); // who sent it
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv_from_with_fds(
        &self,
        buf: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_with_fds(buf, fds).await
    }

    /// Receives if a datagram is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// a.send(b"hi").await?;
    /// b.readable().await?;
    /// assert_eq!(b.try_recv(&mut buf)?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_recv(|s| s.try_recv(buf))
    }

    /// Receives a datagram and its sender if one is queued.
    ///
    /// # Errors
    /// `WouldBlock` when none is; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.try_recv_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// tx.send_to(b"hi", rx.local_addr()?).await?; // queued when the send returns
    /// assert_eq!(rx.try_recv_from(&mut buf)?, (2, tx.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.io.try_recv(|s| s.try_recv_from(buf))
    }

    /// Polls a receive into `buf`'s unfilled part.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use tokio::io::ReadBuf;
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"polled").await?;
    /// let mut storage = [0u8; 16];
    /// let mut buf = ReadBuf::new(&mut storage);
    /// poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?;
    /// assert_eq!(buf.filled(), b"polled");
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = std::task::ready!(
            self.io
                .poll_recv(cx, |s| s.try_recv(buf.initialize_unfilled()))
        )?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    /// Polls a receive into `buf`'s unfilled part; returns the sender.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::future::poll_fn;
    /// use tokio::io::ReadBuf;
    /// use datagrams::{UnixAddr, tokio::UnixDatagram};
    ///
    /// let rx = UnixDatagram::bind(UnixAddr::unnamed())?;
    /// let tx = UnixDatagram::bind(UnixAddr::unnamed())?;
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
    ) -> Poll<io::Result<UnixAddr>> {
        let (n, from) = std::task::ready!(
            self.io
                .poll_recv(cx, |s| s.try_recv_from(buf.initialize_unfilled()))
        )?;
        buf.advance(n);
        Poll::Ready(Ok(from))
    }
}

super::readiness_methods!(
    UnixDatagram,
    crate::UnixDatagram,
    "let (a, b) = UnixDatagram::pair()?;"
);

/// Batches (`sendmmsg(2)`, `recvmmsg(2)`): many datagrams per syscall, to and from the peer.
impl UnixDatagram {
    /// Sends each buffer of `bufs` as one datagram to the connected peer in one `sendmmsg(2)`, as
    /// [`crate::UnixDatagram::send_batch`]; returns how many the kernel queued (at least one: it
    /// waits while the peer's queue is full).
    ///
    /// # Errors
    /// As [`send`](Self::send), for the first datagram.
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was sent.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, tokio::UnixDatagram};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let out: [&[u8]; 3] = [b"one", b"two", b"three"];
    /// let mut sent = 0;
    /// while sent < out.len() {
    ///     sent += a.send_batch(&out[sent..]).await?; // resend from the first unsent one
    /// }
    /// let mut storage = [[0u8; 16]; 8];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 8];
    /// let mut got = 0;
    /// while got < 3 {
    ///     got += b.recv_batch_without_senders(&mut bufs[got..], &mut meta[got..]).await?;
    /// }
    /// assert_eq!((meta[0].len, meta[2].len), (3, 5));
    /// assert_eq!(&storage[2][..5], b"three");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_batch<B: AsRef<[u8]>>(&self, bufs: &[B]) -> io::Result<usize> {
        self.io
            .send(|s| s.send_batch_with_flags(bufs, MsgFlags::DONTWAIT))
            .await
    }

    /// Sends a batch if the socket is writable now.
    ///
    /// # Errors
    /// `WouldBlock` when it is not (the peer's queue is full); otherwise as
    /// [`send_batch`](Self::send_batch).
    pub fn try_send_batch<B: AsRef<[u8]>>(&self, bufs: &[B]) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |s| {
            s.send_batch_with_flags(bufs, MsgFlags::DONTWAIT)
        })
    }

    /// Receives a batch in one `recvmmsg(2)`, as
    /// [`crate::UnixDatagram::recv_batch_without_senders`] (no senders, no control messages);
    /// returns how many (at least one: it waits for the first).
    ///
    /// # Errors
    /// `InvalidInput`, before any wait, when `bufs` or `meta` is empty; otherwise as
    /// [`recv`](Self::recv).
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped, no datagram was taken.
    pub async fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        // Checked before waiting, as the blocking call checks it: no room would never end.
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.io
            .recv(|s| s.recv_batch_without_senders_with_flags(bufs, meta, MsgFlags::DONTWAIT))
            .await
    }

    /// Receives a batch if datagrams are queued (see
    /// [`recv_batch_without_senders`](Self::recv_batch_without_senders)).
    ///
    /// # Errors
    /// `InvalidInput` when `bufs` or `meta` is empty; `WouldBlock` when no datagram is queued;
    /// otherwise as [`recv`](Self::recv).
    pub fn try_recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        crate::udp::batch_room_for(bufs.len(), meta.len())?;
        self.io
            .try_recv(|s| s.recv_batch_without_senders_with_flags(bufs, meta, MsgFlags::DONTWAIT))
    }
}

/// Conversions.
impl UnixDatagram {
    /// Converts std's socket, checked as [`crate::UnixDatagram`]'s `TryFrom<OwnedFd>`.
    ///
    /// # Errors
    /// `InvalidInput` when the descriptor is not a Unix datagram socket; otherwise as
    /// [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
    /// let (a, b) = (UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?);
    /// a.send(b"adopted").await?;
    /// assert_eq!(b.recv(&mut [0u8; 16]).await?, 7);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_std(sock: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::new(crate::UnixDatagram::try_from(sock)?)
    }

    /// Converts tokio's socket.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = tokio::net::UnixDatagram::pair()?;
    /// let a = UnixDatagram::from_tokio(a)?; // checked, and re-registered on this runtime
    /// a.send(b"hi").await?;
    /// assert_eq!(b.recv(&mut [0u8; 8]).await?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_tokio(sock: ::tokio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(sock.into_std()?)
    }

    /// Converts into std's socket (still non-blocking, as with tokio's `into_std`).
    ///
    /// # Errors
    /// None today; the signature matches tokio's.
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let b = b.into_std()?; // out of the runtime, still non-blocking
    /// a.send(b"to std").await?;
    /// assert_eq!(b.recv(&mut [0u8; 8])?, 6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
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
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let b = b.into_tokio()?; // tokio's own type
    /// a.send(b"to tokio").await?;
    /// assert_eq!(b.recv(&mut [0u8; 16]).await?, 8);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_tokio(self) -> io::Result<::tokio::net::UnixDatagram> {
        ::tokio::net::UnixDatagram::from_std(self.into_std()?)
    }

    /// Gives the blocking socket back (non-blocking mode, deregistered).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let b = b.into_blocking();
    /// b.set_nonblocking(false)?; // it stays non-blocking until told
    /// a.send(b"hi").await?;
    /// assert_eq!(b.recv(&mut [0u8; 8])?, 2); // a blocking receive
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_blocking(self) -> crate::UnixDatagram {
        self.io.into_inner()
    }

    /// Lends the blocking socket for its options (`get_ref().set_pass_cred(true)`, buffer sizes, ...).
    ///
    /// # Examples
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use datagrams::tokio::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// b.get_ref().set_pass_cred(true)?; // the blocking socket's options
    /// assert!(b.get_ref().pass_cred()?);
    /// a.send(b"who am I").await?;
    /// assert_eq!(b.recv_msg(&mut [0u8; 16]).await?.cred, Some(datagrams::UCred::current()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_ref(&self) -> &crate::UnixDatagram {
        self.io.get_ref()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.get_ref(), f)
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;
    fn try_from(s: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(s)
    }
}

impl TryFrom<::tokio::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;
    fn try_from(s: ::tokio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_tokio(s)
    }
}

impl TryFrom<crate::UnixDatagram> for UnixDatagram {
    type Error = io::Error;
    fn try_from(s: crate::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::new(s)
    }
}

impl From<UnixDatagram> for OwnedFd {
    fn from(s: UnixDatagram) -> OwnedFd {
        s.into_blocking().into()
    }
}

impl std::os::fd::IntoRawFd for UnixDatagram {
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
impl TryFrom<OwnedFd> for UnixDatagram {
    type Error = io::Error;
    fn try_from(fd: OwnedFd) -> io::Result<UnixDatagram> {
        UnixDatagram::new(crate::UnixDatagram::try_from(fd)?)
    }
}

/// Adopts a socket2 socket, checked as `TryFrom<OwnedFd>`, on the current runtime.
///
/// # Errors
/// As `TryFrom<OwnedFd>`.
impl TryFrom<socket2::Socket> for UnixDatagram {
    type Error = io::Error;
    fn try_from(s: socket2::Socket) -> io::Result<UnixDatagram> {
        UnixDatagram::new(crate::UnixDatagram::try_from(s)?)
    }
}

/// Into a socket2 socket (leaving the runtime's reactor; the descriptor stays non-blocking).
impl From<UnixDatagram> for socket2::Socket {
    fn from(s: UnixDatagram) -> socket2::Socket {
        s.into_blocking().into()
    }
}

/// What the registration needs to know of the socket (see `registration::Socket`).
impl super::registration::Socket for crate::UnixDatagram {
    #[inline]
    fn ensure_receivable(&self) -> io::Result<()> {
        crate::UnixDatagram::ensure_receivable(self)
    }
}

impl super::stream::private::Sealed for UnixDatagram {}

/// The event style (`RecvStream`, `SendSink`) over a Unix datagram socket.
impl super::stream::EventSocket for UnixDatagram {
    type Addr = UnixAddr;
    // A Unix datagram must fit the sender's send buffer: 16 MiB is beyond what the kernel allows
    // unless `net.core.wmem_max` is raised past 8 MiB.
    const MAX_LEN: usize = 16 << 20;
    async fn recv_owned(
        self: std::sync::Arc<Self>,
        max_len: usize,
    ) -> io::Result<super::stream::Datagram<UnixAddr>> {
        let mut data = vec![0u8; max_len];
        let meta = self.recv_msg(&mut data).await?;
        Ok(super::stream::Datagram::new(data, meta))
    }
    fn poll_send_to_addr(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        to: &UnixAddr,
    ) -> Poll<io::Result<usize>> {
        self.poll_send_to(cx, buf, to)
    }
}
