//! UDP sockets over IPv4 and IPv6: life cycle, connect, send and receive, options.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, SocketAddr, SocketAddrV6, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use socket2::{Protocol, Socket, Type};

use crate::family::Family;
use crate::flags::MsgFlags;
use crate::meta::RecvMeta;
use crate::resolve::{Resolve, SystemResolver, lookup_error};
use crate::sys::{self, addr::RawAddr, msg, sockopt};
use crate::util::{invalid_input, send_error};

mod multicast;
mod options;

/// A UDP socket, IPv4 or IPv6, with blocking calls and `try_*` calls that never block.
///
/// Every call takes `&self`: one socket may be shared between threads (through `Arc`) and used from all
/// of them at once, as Lua's `*sync` variants and std's socket allow.
///
/// A socket is created unbound ([`UdpSocket::unbound`], like Node's `createSocket` and Racket's
/// `udp-open-socket`), bound in one step ([`UdpSocket::bind`], like std), or configured first through
/// [`UdpSocket::builder`]. Sending from an unbound socket binds it to the wildcard address of its family
/// on an ephemeral port, as the kernel does (`udp(7)`). Closing is `Drop`, or [`UdpSocket::close`] for
/// close(2)'s error.
///
/// # Examples
/// Node's server example, in dgram's blocking style:
/// ```
/// use datagrams::UdpSocket;
///
/// let server = UdpSocket::bind("127.0.0.1:0")?;
/// println!("server listening {}", server.local_addr()?);
///
/// let client = UdpSocket::bind("127.0.0.1:0")?;
/// client.send_to(b"hello", server.local_addr()?)?;
///
/// let mut buf = [0u8; 1500];
/// let (n, rinfo) = server.recv_from(&mut buf)?;
/// println!("server got: {:?} from {rinfo}", &buf[..n]);
/// assert_eq!(&buf[..n], b"hello");
/// assert_eq!(rinfo, client.local_addr()?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: Socket,
    family: Family,
    /// What the kernel cannot tell us, shared by every handle `try_clone` makes.
    pub(crate) state: Arc<State>,
    resolver: Option<Arc<dyn Resolve>>,
}

/// The little state the kernel cannot tell us.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Set once the socket is known to be bound, so receives need no `getsockname` after the first.
    bound: AtomicBool,
    /// The address of an explicit bind: `disconnect` binds it again when the kernel releases a port
    /// that a bind to port 0 chose.
    explicit: OnceLock<SocketAddr>,
    /// The receive options that add control messages and are on (one bit each): a receive offers
    /// the kernel a control area only when one is.
    pub(crate) recv_opts: std::sync::atomic::AtomicU32,
    /// UDP GSO: 0 not yet probed, 1 works, 2 refused (sends fall back to one datagram per segment).
    pub(crate) gso: std::sync::atomic::AtomicU8,
    /// `IPV6_V6ONLY`: 0 not yet asked, 1 off, 2 on (an IPv4 destination is then refused, not mapped).
    pub(crate) v6only: std::sync::atomic::AtomicU8,
}

/// Creation options for a [`UdpSocket`]: those of Node's `dgram.createSocket(options)`.
///
/// # Examples
/// ```
/// use datagrams::{Family, UdpSocket};
///
/// let sock = UdpSocket::builder()
///     .reuse_address(true)
///     .recv_buffer_size(64 * 1024)
///     .bind("127.0.0.1:0")?;
/// assert!(sock.reuse_address()?);
///
/// let v6 = UdpSocket::builder().only_v6(true).unbound(Family::V6)?;
/// assert!(v6.only_v6()?);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
#[must_use = "a builder does nothing until .bind() or .unbound()"]
pub struct UdpSocketBuilder {
    reuse_address: bool,
    reuse_port: bool,
    only_v6: Option<bool>,
    recv_buffer_size: Option<usize>,
    send_buffer_size: Option<usize>,
    nonblocking: bool,
    resolver: Option<Arc<dyn Resolve>>,
}

impl UdpSocketBuilder {
    /// Sets `SO_REUSEADDR` before binding (Node's `reuseAddr`, Racket's `reuse?`).
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }

    /// Sets `SO_REUSEPORT` before binding (Node's `reusePort`): sockets of the same user may bind the
    /// same address and port, and the kernel spreads datagrams among them.
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// Sets `IPV6_V6ONLY` before binding (Node's `ipv6Only`); IPv6 sockets only.
    pub fn only_v6(mut self, on: bool) -> Self {
        self.only_v6 = Some(on);
        self
    }

    /// Sets `SO_RCVBUF` in bytes (Node's `recvBufferSize`); see
    /// [`UdpSocket::set_recv_buffer_size`] for the rules.
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer_size = Some(bytes);
        self
    }

    /// Sets `SO_SNDBUF` in bytes (Node's `sendBufferSize`); see
    /// [`UdpSocket::set_send_buffer_size`] for the rules.
    pub fn send_buffer_size(mut self, bytes: usize) -> Self {
        self.send_buffer_size = Some(bytes);
        self
    }

    /// Creates the socket in non-blocking mode (`SOCK_NONBLOCK`): blocking calls then return
    /// `WouldBlock` instead of waiting.
    pub fn nonblocking(mut self, on: bool) -> Self {
        self.nonblocking = on;
        self
    }

    /// Resolves host names of `send_to_host`/`connect_host` through `resolver` (Node's `lookup`).
    pub fn resolver(mut self, resolver: impl Resolve + 'static) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// Creates an unbound socket of `family` with these options.
    ///
    /// # Errors
    /// What `socket(2)` or `setsockopt(2)` report; `InvalidInput` for `only_v6` on an IPv4 socket or a
    /// buffer size above the system maximum.
    pub fn unbound(self, family: Family) -> io::Result<UdpSocket> {
        let ty = if self.nonblocking {
            Type::DGRAM.nonblocking()
        } else {
            Type::DGRAM
        };
        // socket2 sets SOCK_CLOEXEC on Linux.
        let inner = Socket::new(family.domain(), ty, Some(Protocol::UDP))?;
        // A socket receives only the groups it joined (DESIGN.md): the kernel's default,
        // IP_MULTICAST_ALL, delivers every group any socket joined on the port. Kernels without the
        // option have the old behaviour either way, so an error here is not one.
        let _ = inner.set_multicast_all_v4(false);
        if family == Family::V6 {
            let _ = inner.set_multicast_all_v6(false);
        }
        let sock = UdpSocket {
            inner,
            family,
            state: Arc::default(),
            resolver: self.resolver,
        };
        if self.reuse_address {
            sock.set_reuse_address(true)?;
        }
        if self.reuse_port {
            sock.set_reuse_port(true)?;
        }
        if let Some(on) = self.only_v6 {
            sock.set_only_v6(on)?;
        }
        if let Some(n) = self.recv_buffer_size {
            sock.set_recv_buffer_size(n)?;
        }
        if let Some(n) = self.send_buffer_size {
            sock.set_send_buffer_size(n)?;
        }
        Ok(sock)
    }

    /// Creates a socket with these options and binds it to the first of `addr`'s addresses that binds
    /// (std's rule); its family is that address's.
    ///
    /// # Errors
    /// `NotFound` when a host name does not resolve; otherwise the last `bind(2)` error (`AddrInUse`,
    /// `AddrNotAvailable`, `PermissionDenied`, ...).
    pub fn bind(self, addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for a in addr
            .to_socket_addrs()
            .map_err(|e| lookup_error(&"the bind address", e))?
        {
            let attempt = self
                .clone()
                .unbound(Family::of(&a))
                .and_then(|s| s.bind_raw(&a).map(|()| s));
            match attempt {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| invalid_input("the bind address resolved to no address")))
    }
}

/// Life cycle: create, bind, connect, convert, close.
impl UdpSocket {
    /// Creates an unbound socket of `family` (Node's `createSocket('udp4')`, Racket's
    /// `udp-open-socket`). Its local address reads `0.0.0.0:0`/`[::]:0` until it is bound, explicitly or
    /// by its first send.
    ///
    /// # Errors
    /// What `socket(2)` reports (`EMFILE` and the like).
    pub fn unbound(family: Family) -> io::Result<UdpSocket> {
        UdpSocketBuilder::default().unbound(family)
    }

    /// Creates a socket bound to `addr`, as std's `UdpSocket::bind`; port 0 picks an ephemeral port.
    ///
    /// # Errors
    /// `NotFound` for a host name that does not resolve; `AddrInUse` when the address is taken;
    /// `AddrNotAvailable` for an address not on this host; `PermissionDenied` for a privileged port.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocketBuilder::default().bind(addr)
    }

    /// A builder carrying Node's `createSocket` options.
    pub fn builder() -> UdpSocketBuilder {
        UdpSocketBuilder::default()
    }

    /// Binds an unbound socket to `addr` (Node's `socket.bind`, Racket's `udp-bind!`).
    ///
    /// An IPv4 address on an IPv6 socket is bound as `::ffff:a.b.c.d`.
    ///
    /// # Errors
    /// - `InvalidInput` ("already bound") when the socket is bound, explicitly or by a send;
    ///   `InvalidInput` for an address of the other family.
    /// - `NotFound` for a host name that does not resolve.
    /// - `AddrInUse`, `AddrNotAvailable`, `PermissionDenied` from `bind(2)`.
    pub fn bind_to(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let local = self.local_addr()?;
        if local.port() != 0 {
            return Err(invalid_input(format!("socket is already bound to {local}")));
        }
        let a = self.pick(
            addr.to_socket_addrs()
                .map_err(|e| lookup_error(&"the bind address", e))?,
        )?;
        self.bind_raw(&a)
    }

    fn bind_raw(&self, a: &SocketAddr) -> io::Result<()> {
        sys::msg::bind(self.as_fd(), &RawAddr::from_inet(a))?;
        self.state.bound.store(true, Ordering::Relaxed);
        // Binding a specific IPv6 address (not `::`, not v4-mapped) switches `IPV6_V6ONLY` on in the
        // kernel (`__inet6_bind`): what was remembered of it is asked anew.
        self.state.v6only.store(0, Ordering::Relaxed);
        let _ = self.state.explicit.set(*a);
        Ok(())
    }

    /// The socket's family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Whether the socket has a local port (Racket's `udp-bound?`): after `bind`, a send, or `connect`.
    ///
    /// # Errors
    /// What `getsockname(2)` reports.
    pub fn is_bound(&self) -> io::Result<bool> {
        Ok(self.local_addr()?.port() != 0)
    }

    /// Whether the socket is connected to a peer (Racket's `udp-connected?`).
    ///
    /// # Errors
    /// What `getpeername(2)` reports, other than `ENOTCONN`.
    pub fn is_connected(&self) -> io::Result<bool> {
        match sys::msg::peer_addr(self.as_fd()) {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The local address (Node's `address()`); `0.0.0.0:0` or `[::]:0` while unbound.
    ///
    /// # Errors
    /// What `getsockname(2)` reports; `InvalidData` if the descriptor is not an IP socket.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        inet(&sys::msg::local_addr(self.as_fd())?)
    }

    /// The connected peer's address (Node's `remoteAddress()`).
    ///
    /// # Errors
    /// `NotConnected` when the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        inet(&sys::msg::peer_addr(self.as_fd())?)
    }

    /// Connects the socket to `addr`: `send` goes there, and only datagrams from there are received.
    ///
    /// Connecting again re-targets the socket (the kernel's rule, which Racket and std follow; Node
    /// refuses). An unbound socket is bound to an ephemeral port.
    ///
    /// # Errors
    /// - `InvalidInput` for port 0 or an address of the other family; `NotFound` for a host name that
    ///   does not resolve.
    /// - `NetworkUnreachable`, `PermissionDenied` (a broadcast address without `SO_BROADCAST`), ...
    ///   from `connect(2)`.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let a = self.dest(addr)?;
        self.connect_raw(&a)
    }

    /// Connects to `port` on the family's loopback address (`127.0.0.1` or `::1`): Node's
    /// `connect(port)` with no address.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_loopback(&self, port: u16) -> io::Result<()> {
        self.connect((self.family.loopback(), port))
    }

    /// Connects to `host`:`port`, resolving a host name through the socket's resolver (the
    /// [`SystemResolver`] unless the builder set one).
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and whatever the resolver reports.
    pub fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        let a = self.resolve_host(host, port)?;
        self.connect_raw(&a)
    }

    fn connect_raw(&self, a: &SocketAddr) -> io::Result<()> {
        sys::msg::connect(self.as_fd(), &RawAddr::from_inet(a))?;
        self.state.bound.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Dissolves the association made by `connect` (`connect(2)` with `AF_UNSPEC`); a no-op on a socket
    /// that is not connected.
    ///
    /// A socket that was bound explicitly keeps its local address and port. One that was bound only
    /// implicitly (by `connect`, or a send) loses its port with the association, as the kernel does:
    /// it is unbound again until the next send or bind (Racket documents the same).
    ///
    /// The kernel also releases a port that an explicit bind to port 0 chose (it keeps only ports the
    /// caller named, `SOCK_BINDPORT_LOCK`); dgram binds the same address and port again at once, so an
    /// explicit bind always survives.
    ///
    /// # Errors
    /// What `connect(2)` reports; `AddrInUse` in the rare case that another socket took the released
    /// port before it could be bound again.
    pub fn disconnect(&self) -> io::Result<()> {
        if !self.is_connected()? {
            return Ok(());
        }
        let port = self.local_addr()?.port();
        sys::msg::connect(self.as_fd(), &RawAddr::unspec())?;
        self.state.bound.store(false, Ordering::Relaxed);
        if let Some(bound) = self.state.explicit.get()
            && self.local_addr()?.port() == 0
        {
            // The address as bound (a wildcard stays a wildcard), with the port the kernel had chosen.
            sys::msg::bind(
                self.as_fd(),
                &RawAddr::from_inet(&SocketAddr::new(bound.ip(), port)),
            )?;
            self.state.bound.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// A second handle on the same socket (`fcntl(F_DUPFD_CLOEXEC)`); both share options and queues.
    ///
    /// # Errors
    /// What `fcntl(2)` reports (`EMFILE`).
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: self.inner.try_clone()?,
            family: self.family,
            state: Arc::clone(&self.state),
            resolver: self.resolver.clone(),
        })
    }

    /// Converts into std's socket (the descriptor and every option carry over).
    pub fn into_std(self) -> std::net::UdpSocket {
        std::net::UdpSocket::from(OwnedFd::from(self.inner))
    }
}

crate::socket::common_socket_methods!(UdpSocket);

/// Sending.
impl UdpSocket {
    /// Sends `buf` as one datagram to the connected peer (Racket's `udp-send`).
    ///
    /// # Errors
    /// - `NotConnected` when the socket is not connected (the kernel's `EDESTADDRREQ`).
    /// - `InvalidInput` when `buf` is longer than the family's maximum payload ([`Family::max_payload`]).
    /// - `ConnectionRefused` when an earlier datagram drew an ICMP port unreachable.
    /// - The kernel's `EMSGSIZE` (above the path MTU with `IP_PMTUDISC_DO`), `ENOBUFS`, ... intact.
    #[inline]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, MsgFlags::empty())
    }

    /// [`send`](Self::send) with message flags (`MSG_DONTROUTE`, `MSG_DONTWAIT`, `MSG_MORE`).
    ///
    /// # Errors
    /// As [`send`](Self::send); `WouldBlock` with `DONTWAIT` when the send buffer is full.
    #[inline]
    pub fn send_with_flags(&self, buf: &[u8], flags: MsgFlags) -> io::Result<usize> {
        self.check_len(buf.len(), None)?;
        msg::send(self.as_fd(), buf, flags.send_bits()?)
            .map_err(|e| self.connected_send_error(e, buf.len()))
    }

    /// Sends `buf` as one datagram to `addr` (Node's `send(msg, port, address)`).
    ///
    /// A host name resolves through the system resolver, and the first address of the socket's family
    /// is used (on an IPv6 socket an IPv4 address is sent to as `::ffff:a.b.c.d`). An unbound socket is
    /// bound to an ephemeral port first, by the kernel. Sending to another address than the connected
    /// peer is allowed (Linux).
    ///
    /// # Errors
    /// - `InvalidInput` when `buf` exceeds the family's maximum payload, the port is 0, or the address
    ///   is IPv6 on an IPv4 socket.
    /// - `NotFound` when a host name does not resolve.
    /// - `PermissionDenied` for a broadcast address without [`set_broadcast`](Self::set_broadcast).
    /// - The kernel's errors (`EMSGSIZE`, `ENETUNREACH`, `ECONNREFUSED` from an earlier datagram) intact.
    #[inline]
    pub fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        self.send_to_with_flags(buf, addr, MsgFlags::empty())
    }

    /// [`send_to`](Self::send_to) with message flags.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to); `WouldBlock` with `DONTWAIT` when the send buffer is full.
    #[inline]
    pub fn send_to_with_flags(
        &self,
        buf: &[u8],
        addr: impl ToSocketAddrs,
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let to = self.dest(addr)?;
        self.send_to_addr(buf, &to, flags.send_bits()?)
    }

    /// Sends to `host`:`port`, resolving a host name through the socket's resolver (Node's `lookup`
    /// option, set with [`UdpSocketBuilder::resolver`]); a literal IP address is used as it is.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to), and whatever the resolver reports.
    pub fn send_to_host(&self, buf: &[u8], host: &str, port: u16) -> io::Result<usize> {
        let to = self.resolve_host(host, port)?;
        self.send_to_addr(buf, &to, 0)
    }

    /// Gathers `bufs` into one datagram to the connected peer (Node's `send([bufs])`).
    ///
    /// # Errors
    /// As [`send`](Self::send); the size limit applies to the sum of the buffers.
    pub fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_vectored_with_flags(bufs, MsgFlags::empty())
    }

    /// [`send_vectored`](Self::send_vectored) with message flags.
    ///
    /// # Errors
    /// As [`send_vectored`](Self::send_vectored).
    pub fn send_vectored_with_flags(
        &self,
        bufs: &[IoSlice<'_>],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let len = total_len(bufs.iter().map(|b| b.len()));
        self.check_len(len, None)?;
        msg::sendmsg(self.as_fd(), bufs, None, &[], flags.send_bits()?)
            .map_err(|e| self.connected_send_error(e, len))
    }

    /// Gathers `bufs` into one datagram to `addr`.
    ///
    /// # Errors
    /// As [`send_to`](Self::send_to); the size limit applies to the sum of the buffers.
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
    pub fn send_to_vectored_with_flags(
        &self,
        bufs: &[IoSlice<'_>],
        addr: impl ToSocketAddrs,
        flags: MsgFlags,
    ) -> io::Result<usize> {
        let to = self.dest(addr)?;
        self.check_len(total_len(bufs.iter().map(|b| b.len())), Some(&to))?;
        msg::sendmsg(
            self.as_fd(),
            bufs,
            Some(&RawAddr::from_inet(&to)),
            &[],
            flags.send_bits()?,
        )
        .map_err(send_error)
    }

    /// Sends to the connected peer without blocking (Racket's `udp-send*`).
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; otherwise as [`send`](Self::send).
    #[inline]
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Sends to `addr` without blocking (Racket's `udp-send-to*`).
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; otherwise as [`send_to`](Self::send_to).
    #[inline]
    pub fn try_send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        self.send_to_with_flags(buf, addr, MsgFlags::DONTWAIT)
    }

    #[inline]
    fn send_to_addr(&self, buf: &[u8], to: &SocketAddr, flags: libc::c_int) -> io::Result<usize> {
        self.check_len(buf.len(), Some(to))?;
        msg::send_to_inet(self.as_fd(), buf, to, flags).map_err(send_error)
    }

    /// A non-blocking send to one already-resolved address: the async layer's hot path (no
    /// `ToSocketAddrs` iteration).
    #[inline]
    pub(crate) fn try_send_to_one(&self, buf: &[u8], to: SocketAddr) -> io::Result<usize> {
        let to = self.fit(to)?;
        self.send_to_addr(buf, &to, libc::MSG_DONTWAIT)
    }

    /// A non-blocking receive with its sender, for a caller that has checked the socket is bound:
    /// the async layer's hot path.
    #[inline]
    pub(crate) fn try_recv_from_bound(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut from = RawAddr::empty();
        let n = msg::recv_from(self.as_fd(), buf, Some(&mut from), libc::MSG_DONTWAIT)?;
        Ok((n.min(buf.len()), inet(&from)?))
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
    /// - `ConnectionRefused` on a connected socket whose earlier datagram drew an ICMP port unreachable.
    #[inline]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::empty())
    }

    /// [`recv`](Self::recv) with message flags (`PEEK`, `DONTWAIT`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    #[inline]
    pub fn recv_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> io::Result<usize> {
        self.ensure_bound()?;
        let n = msg::recv_from(self.as_fd(), buf, None, flags.recv_bits()?)?;
        Ok(n.min(buf.len()))
    }

    /// Receives one datagram and its sender (Node's `'message'` with `rinfo`, Racket's `udp-receive!`).
    /// Returns the bytes written into `buf`; excess bytes are discarded (see
    /// [`recv_msg`](Self::recv_msg) for the full length).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    #[inline]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::empty())
    }

    /// [`recv_from`](Self::recv_from) with message flags.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    #[inline]
    pub fn recv_from_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> io::Result<(usize, SocketAddr)> {
        self.ensure_bound()?;
        let mut from = RawAddr::empty();
        let n = msg::recv_from(self.as_fd(), buf, Some(&mut from), flags.recv_bits()?)?;
        Ok((n.min(buf.len()), inet(&from)?))
    }

    /// Scatters one datagram into `bufs`; returns the bytes written.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Ok(self.recv_msg_vectored(bufs, MsgFlags::empty())?.len)
    }

    /// Reads the next datagram into `buf` without removing it from the queue (`MSG_PEEK`); returns the
    /// bytes written.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    #[inline]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::PEEK)
    }

    /// Reads the next datagram and its sender without removing it from the queue (`MSG_PEEK`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    #[inline]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::PEEK)
    }

    /// Receives one datagram into `buf` and reports everything about it: the sender, the bytes written,
    /// its full length and whether it was truncated (`MSG_TRUNC`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// a.send_to(b"0123456789", b.local_addr()?)?;
    /// let mut small = [0u8; 4];
    /// let meta = b.recv_msg(&mut small)?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    /// assert_eq!(meta.addr, a.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_msg(&self, buf: &mut [u8]) -> io::Result<RecvMeta> {
        self.recv_msg_vectored(&mut [IoSliceMut::new(buf)], MsgFlags::empty())
    }

    /// Scatters one datagram into `bufs` with message flags, through `recvmsg(2)`, and reports what
    /// [`recv_msg`](Self::recv_msg) does.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    #[inline]
    pub fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        let (from, cap, out, anc) = self.recv_msg_parts(bufs, flags)?;
        Ok(crate::meta::build(from, cap, &out, &anc))
    }

    /// [`recv_msg_vectored`](Self::recv_msg_vectored) into `meta` (the async layer's form: the
    /// `RecvMeta` is written in place, not moved out through tokio's layers).
    #[inline]
    pub(crate) fn recv_msg_vectored_into(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
        meta: &mut RecvMeta,
    ) -> io::Result<()> {
        let (from, cap, out, anc) = self.recv_msg_parts(bufs, flags)?;
        crate::meta::fill(meta, from, cap, &out, &anc);
        Ok(())
    }

    /// The one `recvmsg(2)` of `recv_msg*`: the sender, the buffers' capacity, and what the kernel
    /// reported.
    #[inline(always)]
    fn recv_msg_parts(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<(SocketAddr, usize, msg::MsgOut, msg::Ancillary)> {
        self.ensure_bound()?;
        let cap = crate::meta::capacity(bufs);
        let mut from = RawAddr::empty();
        let (out, anc) = msg::recvmsg_ancillary(
            self.as_fd(),
            bufs,
            Some(&mut from),
            flags.recv_bits()? | libc::MSG_TRUNC,
            self.space(),
            None,
        )?;
        Ok((inet(&from)?, cap, out, anc))
    }

    /// Receives from the connected peer without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when no datagram is queued; otherwise as [`recv`](Self::recv).
    #[inline]
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Receives one datagram and its sender without blocking (Racket's `udp-receive!*`).
    ///
    /// # Errors
    /// `WouldBlock` when no datagram is queued; otherwise as [`recv`](Self::recv).
    #[inline]
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_from_with_flags(buf, MsgFlags::DONTWAIT)
    }

    /// Peeks at the next datagram and its sender without blocking.
    ///
    /// # Errors
    /// `WouldBlock` when no datagram is queued; otherwise as [`recv`](Self::recv).
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

    #[inline]
    fn check_len(&self, len: usize, to: Option<&SocketAddr>) -> io::Result<()> {
        // The destination decides: an IPv4 (or v4-mapped) destination carries IPv4's limit.
        let family = match to {
            Some(SocketAddr::V4(_)) => Family::V4,
            Some(SocketAddr::V6(v6)) if v6.ip().to_ipv4_mapped().is_some() => Family::V4,
            Some(SocketAddr::V6(_)) => Family::V6,
            None => self.family,
        };
        if len > family.max_payload() {
            return Err(oversize(len, family));
        }
        Ok(())
    }

    /// Maps the kernel's `EMSGSIZE` for a connected send on an IPv6 socket whose peer is v4-mapped, and
    /// which [`check_len`](Self::check_len) could not see, to the same `InvalidInput`.
    fn connected_send_error(&self, e: io::Error, len: usize) -> io::Error {
        if e.raw_os_error() == Some(libc::EMSGSIZE)
            && self.family == Family::V6
            && len > Family::V4.max_payload()
        {
            return oversize(len, Family::V4);
        }
        send_error(e)
    }

    /// One destination address as this socket sends to it: v4-mapped on an IPv6 socket; port 0 and
    /// IPv6 on an IPv4 socket refused (the fast path of [`dest`](Self::dest), for `Transmit`s).
    #[inline]
    pub(crate) fn fit(&self, a: SocketAddr) -> io::Result<SocketAddr> {
        let a = match (self.family, a) {
            (Family::V6, SocketAddr::V4(v4)) => {
                SocketAddr::V6(SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0))
            }
            (Family::V4, SocketAddr::V6(_)) => {
                return Err(invalid_input(format!(
                    "IPv6 address {a} cannot be used on an IPv4 socket"
                )));
            }
            _ => a,
        };
        if a.port() == 0 {
            return Err(invalid_input(format!(
                "destination port 0 is not a valid destination: {a}"
            )));
        }
        if self.family == Family::V6 {
            self.check_mapped_destination(&a)?;
        }
        Ok(a)
    }

    /// Resolves a destination and picks the address that fits this socket.
    #[inline]
    pub(crate) fn dest(&self, addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
        let a = self.pick(
            addr.to_socket_addrs()
                .map_err(|e| lookup_error(&"the destination", e))?,
        )?;
        if a.port() == 0 {
            return Err(invalid_input(format!(
                "destination port 0 is not a valid destination: {a}"
            )));
        }
        self.check_mapped_destination(&a)?;
        Ok(a)
    }

    fn resolve_host(&self, host: &str, port: u16) -> io::Result<SocketAddr> {
        let addrs = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => match &self.resolver {
                Some(r) => r.resolve(host, port)?,
                None => SystemResolver.resolve(host, port)?,
            },
        };
        let a = self.pick(addrs.into_iter())?;
        if a.port() == 0 {
            return Err(invalid_input(format!(
                "destination port 0 is not a valid destination: {host}"
            )));
        }
        self.check_mapped_destination(&a)?;
        Ok(a)
    }

    /// `InvalidInput` for an IPv4 destination (plain or v4-mapped) on an IPv6-only socket
    /// (`IPV6_V6ONLY`), which the kernel could only refuse with a bare `ENETUNREACH`.
    #[cold]
    fn refuse_v4_if_v6_only(&self, a: &SocketAddr) -> io::Result<()> {
        if self.is_v6_only()? {
            return Err(invalid_input(format!(
                "IPv4 destination {a} cannot be used on an IPv6-only socket (IPV6_V6ONLY)"
            )));
        }
        Ok(())
    }

    /// Whether `IPV6_V6ONLY` is on, asked of the kernel once and then remembered.
    pub(crate) fn is_v6_only(&self) -> io::Result<bool> {
        match self.state.v6only.load(Ordering::Relaxed) {
            1 => Ok(false),
            2 => Ok(true),
            _ => {
                let on = self.inner.only_v6()?;
                self.state
                    .v6only
                    .store(if on { 2 } else { 1 }, Ordering::Relaxed);
                Ok(on)
            }
        }
    }

    /// Refuses a v4-mapped destination on an IPv6-only socket (see `refuse_v4_if_v6_only`).
    #[inline]
    fn check_mapped_destination(&self, a: &SocketAddr) -> io::Result<()> {
        match a {
            SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some() => {
                self.refuse_v4_if_v6_only(a)
            }
            _ => Ok(()),
        }
    }

    /// The first address of the socket's family; on an IPv6 socket an IPv4 address, v4-mapped, when
    /// no IPv6 one is offered.
    #[inline]
    fn pick(&self, addrs: impl Iterator<Item = SocketAddr>) -> io::Result<SocketAddr> {
        let mut mapped = None;
        let mut other = None;
        for a in addrs {
            match (self.family, a) {
                (Family::V4, SocketAddr::V4(_)) | (Family::V6, SocketAddr::V6(_)) => return Ok(a),
                (Family::V6, SocketAddr::V4(v4)) => {
                    mapped.get_or_insert(SocketAddr::V6(SocketAddrV6::new(
                        v4.ip().to_ipv6_mapped(),
                        v4.port(),
                        0,
                        0,
                    )));
                }
                (Family::V4, SocketAddr::V6(_)) => {
                    other.get_or_insert(a);
                }
            }
        }
        if let Some(m) = mapped {
            return Ok(m);
        }
        Err(match other {
            Some(a) => invalid_input(format!("IPv6 address {a} cannot be used on an IPv4 socket")),
            None => invalid_input("the address resolved to no address"),
        })
    }
}

fn oversize(len: usize, family: Family) -> io::Error {
    invalid_input(format!(
        "datagram of {len} bytes exceeds the {} UDP maximum of {} bytes",
        family.name(),
        family.max_payload()
    ))
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

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UdpSocket");
        d.field("fd", &self.as_raw_fd());
        match self.local_addr() {
            Ok(a) => d.field("local", &a),
            Err(e) => d.field("local", &e.kind()),
        };
        match self.peer_addr() {
            Ok(a) => d.field("peer", &a),
            Err(_) => d.field("peer", &"none"),
        };
        d.finish()
    }
}

crate::socket::common_socket_impls!(UdpSocket);

/// Adopts a descriptor (Node's `bind({fd})`, Emilua's `assign`). The family is read from the socket
/// (`SO_DOMAIN`); a descriptor that is not a UDP socket is not refused here, but its calls fail with the
/// kernel's errors. A socket already bound to a port is taken as bound explicitly: its address
/// survives [`disconnect`](UdpSocket::disconnect).
impl From<OwnedFd> for UdpSocket {
    fn from(fd: OwnedFd) -> UdpSocket {
        UdpSocket::from(Socket::from(fd))
    }
}

impl From<socket2::Socket> for UdpSocket {
    fn from(inner: Socket) -> UdpSocket {
        let family = match sockopt::get_int(inner.as_fd(), libc::SOL_SOCKET, libc::SO_DOMAIN) {
            Ok(libc::AF_INET) => Family::V4,
            _ => Family::V6,
        };
        let state = State::default();
        // Bound elsewhere (by `bind`, as std and socket2 bind): keep that address over a disconnect.
        if let Ok(local) = sys::msg::local_addr(inner.as_fd())
            && let Some(local) = local.socket_addr()
            && local.port() != 0
        {
            let _ = state.explicit.set(local);
            state.bound.store(true, Ordering::Relaxed);
        }
        UdpSocket {
            inner,
            family,
            state: Arc::new(state),
            resolver: None,
        }
    }
}

impl From<std::net::UdpSocket> for UdpSocket {
    fn from(s: std::net::UdpSocket) -> UdpSocket {
        UdpSocket::from(OwnedFd::from(s))
    }
}

impl From<UdpSocket> for std::net::UdpSocket {
    fn from(s: UdpSocket) -> std::net::UdpSocket {
        s.into_std()
    }
}
