//! UDP sockets over IPv4 and IPv6: life cycle, connect, send and receive, options.

use std::fmt;
use std::io::{self};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use socket2::{Protocol, Socket, Type};

use crate::error::invalid_input;
use crate::family::Family;
use crate::resolve::{Resolve, lookup_error};
use crate::sys;

// The order of these declarations is the order of the rustdoc page, which lists a module's
// `impl` blocks after those of its submodules, in the order it meets them: the life cycle, send and
// receive, options, per-datagram metadata, batches and GSO/GRO, multicast, the error queue; the
// conversions (in this file) last. A comment between `mod` lines keeps rustfmt from sorting them.
mod lifecycle;
// send and receive
mod send_recv;
// options, one `impl` block per level
mod options;
// per-datagram metadata, then batches and GSO/GRO
pub(crate) mod batch;
// multicast
mod multicast;
// the error queue
mod errqueue;
// no methods of `UdpSocket` on the page
mod borrowed;
mod dest;

pub use batch::MAX_BATCH;
#[cfg(feature = "tokio")]
pub(crate) use batch::batch_room_for;
pub use borrowed::UdpSocketRef;
pub use errqueue::{ErrorOrigin, SockError, TxTimestamp, TxTimestampKind};
pub use options::PmtuDiscover;
pub(crate) use send_recv::inet;

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
    /// The blocking calls' timeouts, for their deadlines.
    pub(crate) timeouts: crate::socket::Timeouts,
    /// Set by `shutdown(Read)` (or `Both`): an empty queue then reads as `BrokenPipe`.
    pub(crate) read_shut: AtomicBool,
    /// The interface index `IP_MULTICAST_IF` was last set to through this socket (0: none or by
    /// address), which the kernel does not report back.
    pub(crate) multicast_if_v4: std::sync::atomic::AtomicU32,
    /// The connected peer's family, for transmits without a destination (see
    /// `UdpSocket::peer_is_v4`): 0 not known, 1 IPv4 (or v4-mapped), 2 IPv6.
    pub(crate) peer_v4: std::sync::atomic::AtomicU8,
    /// A [`UdpSocketRef`]'s socket: its owner may change it behind dgram's back, so receives
    /// always offer a control area and the peer's family is asked of the kernel.
    pub(crate) lent: bool,
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

    /// Resolves host names of `bind_to_host`/`connect_host`/`send_to_host` through `resolver`
    /// (Node's `lookup`).
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

impl UdpSocket {
    /// The blocking calls' timeouts (for `common_socket_methods!` and the deadlines of the calls).
    #[inline]
    pub(crate) fn timeouts(&self) -> &crate::socket::Timeouts {
        &self.state.timeouts
    }
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

/// Adopts a descriptor (Node's `bind({fd})`, Emilua's `assign`), checked: it must be a UDP socket
/// (`SO_DOMAIN` `AF_INET` or `AF_INET6`, `SO_TYPE` `SOCK_DGRAM`, `SO_PROTOCOL` `IPPROTO_UDP`).
///
/// What dgram keeps beside the kernel is read from the socket: its family, a port it is already bound
/// to (taken as bound explicitly: its address survives [`disconnect`](UdpSocket::disconnect)), its
/// timeouts, and the receive options already on (`IP_PKTINFO`, `IP_RECVTOS`, `IP_RECVTTL`, their
/// IPv6 forms, `SO_TIMESTAMPNS`, `SO_RXQ_OVFL`, `UDP_GRO`), so that it decodes metadata exactly as a
/// socket dgram made.
///
/// # Errors
/// `InvalidInput` naming what the descriptor is when it is not a UDP socket (the descriptor is
/// closed); what `getsockopt(2)` reports (`ENOTSOCK` is `InvalidInput` too).
///
/// # Examples
/// ```
/// use std::os::fd::OwnedFd;
/// use datagrams::UdpSocket;
///
/// let std_sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let sock = UdpSocket::try_from(OwnedFd::from(std_sock))?;
/// assert!(sock.is_bound()?);
///
/// let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let e = UdpSocket::try_from(OwnedFd::from(tcp)).unwrap_err();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
/// # Ok::<(), std::io::Error>(())
/// ```
impl TryFrom<OwnedFd> for UdpSocket {
    type Error = io::Error;

    fn try_from(fd: OwnedFd) -> io::Result<UdpSocket> {
        UdpSocket::try_from(Socket::from(fd))
    }
}

/// Adopts a socket2 socket, checked as [`TryFrom<OwnedFd>`](#impl-TryFrom%3COwnedFd%3E-for-UdpSocket).
impl TryFrom<socket2::Socket> for UdpSocket {
    type Error = io::Error;

    fn try_from(inner: Socket) -> io::Result<UdpSocket> {
        let (family, state) = UdpSocket::adopted(inner.as_fd(), false)?;
        Ok(UdpSocket::assemble(inner.into(), family, state))
    }
}

impl UdpSocket {
    /// A socket of `fd` with what [`adopted`](Self::adopted) read: a plain construction, which
    /// cannot fail or panic (a borrowed descriptor is wrapped this way).
    pub(crate) fn assemble(fd: OwnedFd, family: Family, state: Arc<State>) -> UdpSocket {
        UdpSocket {
            inner: Socket::from(fd),
            family,
            state,
            resolver: None,
        }
    }

    /// What adopting `fd` needs to know, checked and read from the kernel: its family (refusing
    /// a descriptor that is not a UDP socket), and the state dgram keeps (the receive options on,
    /// the timeouts, an address it was bound to).
    ///
    /// # Errors
    /// `InvalidInput` for a descriptor that is not a UDP socket; what `getsockopt(2)` reports.
    pub(crate) fn adopted(fd: BorrowedFd<'_>, lent: bool) -> io::Result<(Family, Arc<State>)> {
        let family = match sys::socket::kind(fd)? {
            sys::socket::Kind {
                domain: libc::AF_INET,
                ty: libc::SOCK_DGRAM,
                protocol: libc::IPPROTO_UDP,
            } => Family::V4,
            sys::socket::Kind {
                domain: libc::AF_INET6,
                ty: libc::SOCK_DGRAM,
                protocol: libc::IPPROTO_UDP,
            } => Family::V6,
            other => {
                return Err(invalid_input(format!(
                    "the descriptor is not a UDP socket: it is {other}"
                )));
            }
        };
        let state = State {
            timeouts: crate::socket::Timeouts::of(fd),
            recv_opts: (options::recv_opts_of(fd) | if lent { options::ALWAYS_CONTROL } else { 0 })
                .into(),
            lent,
            ..State::default()
        };
        // Bound elsewhere (by `bind`, as std and socket2 bind): keep that address over a disconnect.
        if let Ok(local) = sys::socket::local_addr(fd)
            && let Some(local) = local.socket_addr()
            && local.port() != 0
        {
            let _ = state.explicit.set(local);
            state.bound.store(true, Ordering::Relaxed);
        }
        Ok((family, Arc::new(state)))
    }
}

/// Adopts std's socket, checked as [`TryFrom<OwnedFd>`](#impl-TryFrom%3COwnedFd%3E-for-UdpSocket)
/// (std's socket may hold any descriptor, through `FromRawFd`).
impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    fn try_from(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::try_from(OwnedFd::from(s))
    }
}

/// Into a socket2 socket (the descriptor and every option carry over).
impl From<UdpSocket> for socket2::Socket {
    fn from(s: UdpSocket) -> socket2::Socket {
        s.inner
    }
}

impl From<UdpSocket> for std::net::UdpSocket {
    fn from(s: UdpSocket) -> std::net::UdpSocket {
        s.into_std()
    }
}

/// Conversions.
impl UdpSocket {
    /// Converts into std's socket (the descriptor and every option carry over).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_ttl(9)?;
    /// let addr = sock.local_addr()?;
    /// let std_sock: std::net::UdpSocket = sock.into_std();
    /// assert_eq!((std_sock.local_addr()?, std_sock.ttl()?), (addr, 9)); // the same socket
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> std::net::UdpSocket {
        std::net::UdpSocket::from(OwnedFd::from(self.inner))
    }
}
