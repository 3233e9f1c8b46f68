//! Sending and receiving one datagram: `send`/`recv`/`peek`, vectored, with flags, and the `try_*`
//! forms that never block (`sendto(2)`, `recvfrom(2)`, `sendmsg(2)`, `recvmsg(2)`).

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::atomic::Ordering;

use super::UdpSocket;
use crate::error::{invalid_input, send_error};
use crate::flags::MsgFlags;
use crate::sys::{addr::RawAddr, msg};

/// Sending.
impl UdpSocket {
    /// Sends `buf` as one datagram to the connected peer (Racket's `udp-send`).
    ///
    /// # Errors
    /// - `NotConnected` when the socket is not connected (the kernel's `EDESTADDRREQ`).
    /// - `EMSGSIZE` (the raw OS error, `ErrorKind::Uncategorized`) when `buf` is longer than the
    ///   family's maximum payload ([`Family::max_payload`](crate::Family::max_payload)), refused
    ///   before the syscall, as when the kernel refuses it (above the path MTU with
    ///   `IP_PMTUDISC_DO`): test `raw_os_error() == Some(libc::EMSGSIZE)`.
    /// - `ConnectionRefused` when an earlier datagram drew an ICMP port unreachable.
    /// - The kernel's errors (`ENOBUFS`, ...) intact.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// assert_eq!(tx.send(b"hello")?, 5);
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"hello");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, MsgFlags::empty())
    }

    /// [`send`](Self::send) with message flags (`MSG_DONTROUTE`, `MSG_DONTWAIT`, `MSG_MORE`).
    ///
    /// # Errors
    /// As [`send`](Self::send); `WouldBlock` with `DONTWAIT` when the send buffer is full.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// tx.send_with_flags(b"head,", MsgFlags::MORE)?; // held open: more follows
    /// tx.send(b"tail")?; // completes the datagram
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"head,tail");
    /// // A receive-only flag is refused, not ignored.
    /// let e = tx.send_with_flags(b"x", MsgFlags::PEEK).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_with_flags(&self, buf: &[u8], flags: MsgFlags) -> io::Result<usize> {
        self.check_payload(buf.len(), None)?;
        let bits = flags.send_bits()?;
        let deadline = self.timeouts().write_deadline(bits);
        msg::send(self.as_fd(), buf, bits, deadline).map_err(send_error)
    }

    /// Sends `buf` as one datagram to `addr` (Node's `send(msg, port, address)`).
    ///
    /// A host name resolves through the system resolver, and the first address of the socket's family
    /// is used (on an IPv6 socket an IPv4 address is sent to as `::ffff:a.b.c.d`; on an IPv4 socket
    /// `::ffff:a.b.c.d` is sent to as `a.b.c.d`). An unbound socket is
    /// bound to an ephemeral port first, by the kernel. Sending to another address than the connected
    /// peer is allowed (Linux).
    ///
    /// # Errors
    /// - `EMSGSIZE` (the raw OS error) when `buf` exceeds the destination family's maximum payload,
    ///   as [`send`](Self::send).
    /// - `InvalidInput` when the port is 0, the address is IPv6 (other than v4-mapped) on an IPv4
    ///   socket, or it is link-local (`fe80::/10`) without a scope on a socket tied to no interface.
    /// - `NotFound` when a host name does not resolve.
    /// - `PermissionDenied` for a broadcast address without [`set_broadcast`](Self::set_broadcast).
    /// - The kernel's errors (`EMSGSIZE`, `ENETUNREACH`, `ECONNREFUSED` from an earlier datagram) intact.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(tx.send_to(b"hello", rx.local_addr()?)?, 5);
    /// let mut buf = [0u8; 16];
    /// let (n, from) = rx.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"hello"[..], tx.local_addr()?));
    /// // port 0 names no socket
    /// let e = tx.send_to(b"x", "127.0.0.1:0").unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        self.send_to_with_flags(buf, addr, MsgFlags::empty())
    }

    /// [`send_to`](Self::send_to) with message flags.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to); `WouldBlock` with `DONTWAIT` when the send buffer is full.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(tx.send_to_with_flags(b"now", rx.local_addr()?, MsgFlags::DONTWAIT)?, 3);
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf)?, (3, tx.local_addr()?));
    /// assert_eq!(&buf[..3], b"now");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_to_with_flags(
        &self,
        buf: &[u8],
        addr: impl ToSocketAddrs,
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let to = self.destination(self.resolve(addr)?, buf.len())?;
        self.send_to_addr(buf, &to, flags.send_bits()?)
    }

    /// Sends to `host`:`port`, resolving a host name through the socket's resolver (Node's `lookup`
    /// option, set with [`UdpSocketBuilder::resolver`](crate::UdpSocketBuilder::resolver)); a literal IP address is used as it is.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to), and whatever the resolver reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to_host(b"by name", "localhost", rx.local_addr()?.port())?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf)?, (7, tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_to_host(&self, buf: &[u8], host: &str, port: u16) -> io::Result<usize> {
        let to = self.destination(self.resolve_host(host, port)?, buf.len())?;
        self.send_to_addr(buf, &to, 0)
    }

    /// Gathers `bufs` into one datagram to the connected peer (Node's `send([bufs])`).
    ///
    /// # Errors
    /// As [`send`](Self::send); the size limit applies to the sum of the buffers.
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// tx.send_vectored(&[IoSlice::new(b"head,"), IoSlice::new(b"body")])?; // one datagram
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"head,body");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_vectored_with_flags(bufs, MsgFlags::empty())
    }

    /// [`send_vectored`](Self::send_vectored) with message flags.
    ///
    /// # Errors
    /// As [`send_vectored`](Self::send_vectored).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use datagrams::{MsgFlags, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// let parts = [IoSlice::new(b"head,"), IoSlice::new(b"body")];
    /// assert_eq!(tx.send_vectored_with_flags(&parts, MsgFlags::DONTWAIT)?, 9); // one datagram
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"head,body");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_vectored_with_flags(
        &self,
        bufs: &[IoSlice<'_>],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let len = total_len(bufs.iter().map(|b| b.len()));
        self.check_payload(len, None)?;
        let bits = flags.send_bits()?;
        let deadline = self.timeouts().write_deadline(bits);
        msg::sendmsg(self.as_fd(), bufs, None, &[], bits, deadline).map_err(send_error)
    }

    /// Gathers `bufs` into one datagram to `addr`.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to); the size limit applies to the sum of the buffers.
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// let parts = [IoSlice::new(b"GET "), IoSlice::new(b"/index")];
    /// assert_eq!(tx.send_to_vectored(&parts, rx.local_addr()?)?, 10); // one datagram
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf)?, (10, tx.local_addr()?));
    /// assert_eq!(&buf[..10], b"GET /index");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_to_vectored(
        &self,
        bufs: &[IoSlice<'_>],
        addr: impl ToSocketAddrs,
    ) -> io::Result<usize> {
        self.send_to_vectored_with_flags(bufs, addr, MsgFlags::empty())
    }

    /// [`send_to_vectored`](Self::send_to_vectored) with message flags.
    ///
    /// # Errors
    /// As [`send_to_vectored`](Self::send_to_vectored).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSlice;
    /// use datagrams::{MsgFlags, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// let to = rx.local_addr()?;
    /// // MORE holds the datagram open; the next send to the same peer completes it.
    /// tx.send_to_vectored_with_flags(&[IoSlice::new(b"a"), IoSlice::new(b"b")], to, MsgFlags::MORE)?;
    /// tx.send_to(b"c", to)?;
    /// let mut buf = [0u8; 16];
    /// let n = rx.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"abc");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_to_vectored_with_flags(
        &self,
        bufs: &[IoSlice<'_>],
        addr: impl ToSocketAddrs,
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let len = total_len(bufs.iter().map(|b| b.len()));
        let to = self.destination(self.resolve(addr)?, len)?;
        let bits = flags.send_bits()?;
        msg::sendmsg(
            self.as_fd(),
            bufs,
            Some(&RawAddr::from_inet(&to)),
            &[],
            bits,
            self.timeouts().write_deadline(bits),
        )
        .map_err(send_error)
    }

    /// Sends to the connected peer without blocking (Racket's `udp-send*`).
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; otherwise as [`send`](Self::send).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// assert_eq!(tx.try_send(b"now")?, 3);
    /// assert_eq!(rx.recv(&mut [0u8; 8])?, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Sends to `addr` without blocking (Racket's `udp-send-to*`).
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; otherwise as [`send_to`](Self::send_to).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.try_send_to(b"now", rx.local_addr()?)?; // never waits for buffer space
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv(&mut buf)?, 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        self.send_to_with_flags(buf, addr, MsgFlags::DONTWAIT)
    }

    /// `sendto(2)` to a destination [`destination`](Self::destination) chose.
    #[inline]
    fn send_to_addr(&self, buf: &[u8], to: &SocketAddr, flags: libc::c_int) -> io::Result<usize> {
        let deadline = self.timeouts().write_deadline(flags);
        msg::send_to_inet(self.as_fd(), buf, to, flags, deadline).map_err(send_error)
    }
}

/// Receiving.
impl UdpSocket {
    /// Receives one datagram from the connected peer (or anyone, when not connected) into `buf`, and
    /// returns the bytes written. Bytes beyond `buf` are discarded, as std does: use
    /// [`recv_msg`](Self::recv_msg) to learn the full length and whether it was truncated.
    ///
    /// # Errors
    /// - `InvalidInput` ("not bound") on a socket that was never bound, sent from or connected: such a
    ///   receive could never end.
    /// - `WouldBlock` when a read timeout expired or the socket is non-blocking and nothing is queued.
    /// - `BrokenPipe` once the read side is shut down ([`shutdown`](Self::shutdown)) and nothing is
    ///   left queued, also for a receive blocked at that moment and the `try_*` forms. (`recv`, which
    ///   gets no sender, then also reports an empty datagram queued before the shutdown so.)
    /// - `ConnectionRefused` on a connected socket whose earlier datagram drew an ICMP port unreachable;
    ///   host and network unreachable, and failed ARP, only with
    ///   [`set_recv_err_v4`](Self::set_recv_err_v4) on (`EHOSTUNREACH`, `ENETUNREACH`).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"0123456789", rx.local_addr()?)?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(rx.recv(&mut buf)?, 4); // the rest of the datagram is discarded
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
    /// use datagrams::{MsgFlags, UdpSocket};
    /// use std::io::ErrorKind;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut buf = [0u8; 16];
    /// let e = rx.recv_with_flags(&mut buf, MsgFlags::DONTWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // nothing queued, and not waiting
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"peeked", rx.local_addr()?)?;
    /// assert_eq!(rx.recv_with_flags(&mut buf, MsgFlags::PEEK)?, 6); // left queued
    /// assert_eq!(rx.recv(&mut buf)?, 6);
    /// assert_eq!(&buf[..6], b"peeked");
    /// // A send-only flag is refused, not ignored.
    /// let e = rx.recv_with_flags(&mut buf, MsgFlags::MORE).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
        self.ensure_bound()?;
        let bits = flags.recv_bits()?;
        let deadline = self.timeouts().read_deadline(bits);
        let n = msg::recv_from(self.as_fd(), buf, None, bits, deadline)
            .map_err(|e| self.recv_failed(e))?;
        if n == 0 && self.read_shut_down() {
            // The kernel's end of file (or an empty datagram: without a sender, one cannot tell).
            return Err(crate::error::shut_down_for_reading());
        }
        Ok(n.min(buf.len()))
    }

    /// Receives one datagram and its sender (Node's `'message'` with `rinfo`, Racket's `udp-receive!`).
    /// Returns the bytes written into `buf`; excess bytes are discarded (see
    /// [`recv_msg`](Self::recv_msg) for the full length).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// client.send_to(b"request", server.local_addr()?)?;
    ///
    /// let mut buf = [0u8; 1500];
    /// let (n, peer) = server.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], peer), (&b"request"[..], client.local_addr()?));
    /// server.send_to(b"reply", peer)?; // answer the sender
    /// assert_eq!(client.recv(&mut buf)?, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::empty())
    }

    /// [`recv_from`](Self::recv_from) with message flags.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"who?", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// // Peek at the sender first, then take the datagram.
    /// assert_eq!(rx.recv_from_with_flags(&mut buf, MsgFlags::PEEK)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.recv_from_with_flags(&mut buf, MsgFlags::empty())?, (4, tx.local_addr()?));
    /// assert_eq!(&buf[..4], b"who?");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> io::Result<(usize, SocketAddr)> {
        self.ensure_bound()?;
        let mut from = RawAddr::empty();
        let bits = flags.recv_bits()?;
        let deadline = self.timeouts().read_deadline(bits);
        let n = msg::recv_from(self.as_fd(), buf, Some(&mut from), bits, deadline)
            .map_err(|e| self.recv_failed(e))?;
        Ok((n.min(buf.len()), self.sender(&from)?))
    }

    /// Scatters one datagram into `bufs`; returns the bytes written.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"headbody", rx.local_addr()?)?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 16]);
    /// let n = rx.recv_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)])?;
    /// assert_eq!((n, &head, &body[..4]), (8, b"head", &b"body"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(self.recv_msg_vectored(bufs, MsgFlags::empty())?.len)
    }

    /// Reads the next datagram into `buf` without removing it from the queue (`MSG_PEEK`); returns the
    /// bytes written.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"look", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.peek(&mut buf)?, 4);
    /// assert_eq!(rx.recv(&mut buf)?, 4); // still queued after the peek
    /// assert_eq!(&buf[..4], b"look");
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
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"who?", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.peek_from(&mut buf)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.recv_from(&mut buf)?, (4, tx.local_addr()?)); // still queued
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::PEEK)
    }

    /// Receives one datagram into the spare capacity of `buf`, as
    /// [`recv_msg_buf`](Self::recv_msg_buf); returns the bytes written (tokio's `recv_buf`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// tx.send(b"first")?;
    /// tx.send(b"second")?;
    /// let mut buf = Vec::with_capacity(1500);
    /// assert_eq!(rx.recv_buf(&mut buf)?, 5);
    /// assert_eq!(rx.recv_buf(&mut buf)?, 6); // appended after the first
    /// assert_eq!(buf, b"firstsecond");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_buf<B: bytes::BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        Ok(self.recv_msg_buf(buf, MsgFlags::empty())?.len)
    }

    /// Receives one datagram into the spare capacity of `buf`, as
    /// [`recv_msg_buf`](Self::recv_msg_buf); returns the bytes written and the sender (tokio's
    /// `recv_buf_from`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"hello", rx.local_addr()?)?;
    /// let mut buf = Vec::with_capacity(1500);
    /// assert_eq!(rx.recv_buf_from(&mut buf)?, (5, tx.local_addr()?));
    /// assert_eq!(buf, b"hello");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_buf_from<B: bytes::BufMut + ?Sized>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        let m = self.recv_msg_buf(buf, MsgFlags::empty())?;
        Ok((m.len, m.addr))
    }

    /// Receives from the connected peer without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when no datagram is queued; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(rx.try_recv(&mut [0u8; 8]).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Receives one datagram and its sender without blocking (Racket's `udp-receive!*`).
    ///
    /// # Errors
    /// `WouldBlock` when no datagram is queued; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut buf = [0u8; 16];
    /// let e = rx.try_recv_from(&mut buf).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nothing queued
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Peeks at the next datagram and its sender without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when no datagram is queued; otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut buf = [0u8; 16];
    /// let e = rx.try_peek_from(&mut buf).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock); // nothing queued
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"look", rx.local_addr()?)?;
    /// rx.peek(&mut [])?; // wait until it is queued
    /// assert_eq!(rx.try_peek_from(&mut buf)?, (4, tx.local_addr()?));
    /// assert_eq!(rx.try_recv_from(&mut buf)?, (4, tx.local_addr()?)); // still queued
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::PEEK | MsgFlags::DONTWAIT)
    }
}

/// Internals shared by the calls above.
impl UdpSocket {
    /// The control area receives offer: none unless an option that adds control messages is on.
    #[inline]
    pub(crate) fn space(&self) -> msg::Space {
        if self.state.recv_opts.load(Ordering::Relaxed) == 0 {
            msg::Space::None
        } else {
            msg::Space::Udp
        }
    }

    /// The sender of a receive: the kernel's end of file after `shutdown(Read)` (no sender, no
    /// bytes) is `BrokenPipe`.
    #[inline]
    pub(crate) fn sender(&self, from: &RawAddr) -> io::Result<SocketAddr> {
        match from.socket_addr() {
            Some(a) => Ok(a),
            None => Err(self.no_sender()),
        }
    }

    /// Why a receive reported no IP sender: the read side is shut down, or (never seen from a UDP
    /// socket) the address is not IP.
    #[cold]
    pub(crate) fn no_sender(&self) -> io::Error {
        if self.read_shut_down() {
            crate::error::shut_down_for_reading()
        } else {
            non_ip_sender()
        }
    }

    /// Whether the read side is shut down: by [`shutdown`](Self::shutdown), or (asked of the kernel,
    /// `poll(2)`'s `POLLRDHUP`) by anyone else holding the descriptor. For the rare paths only: a
    /// received end of file or a missing sender.
    #[cold]
    pub(crate) fn read_shut_down(&self) -> bool {
        self.state.read_shut.load(Ordering::SeqCst)
            || crate::sys::socket::read_shut_down(self.as_fd()).unwrap_or(false)
    }

    /// A receive's error: `WouldBlock` on a socket shut down for reading is `BrokenPipe` (nothing
    /// will ever come), as the blocking form reports it.
    #[inline]
    pub(crate) fn recv_failed(&self, e: io::Error) -> io::Error {
        if e.kind() == io::ErrorKind::WouldBlock && self.state.read_shut.load(Ordering::SeqCst) {
            return crate::error::shut_down_for_reading();
        }
        e
    }

    /// Refuses a receive on a socket with no local port: it could never end.
    #[inline(always)]
    pub(crate) fn ensure_bound(&self) -> io::Result<()> {
        if self.state.bound.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.check_bound()
    }

    /// The slow path of [`ensure_bound`](Self::ensure_bound): ask the kernel once.
    #[cold]
    fn check_bound(&self) -> io::Result<()> {
        if self.local_addr()?.port() != 0 {
            self.state.bound.store(true, Ordering::Relaxed);
            return Ok(());
        }
        Err(invalid_input(
            "socket is not bound: bind it, connect it or send from it before receiving",
        ))
    }
}

#[inline]
pub(crate) fn inet(a: &RawAddr) -> io::Result<SocketAddr> {
    a.socket_addr().ok_or_else(non_ip_sender)
}

/// The error for a sender the kernel reported that is not an IP address (a UDP socket never does).
pub(crate) fn non_ip_sender() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the socket reported a non-IP address",
    )
}

fn total_len(lens: impl Iterator<Item = usize>) -> usize {
    lens.fold(0usize, usize::saturating_add)
}
