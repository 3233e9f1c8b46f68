//! The life cycle of a `UdpSocket`: create, bind, connect, disconnect, shut down, close. First
//! of the modules that add methods, so that its methods lead the rustdoc page.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{UdpSocket, UdpSocketBuilder, inet};
use crate::error::invalid_input;
use crate::family::Family;
use crate::resolve::lookup_error;
use crate::sys::{self, addr::RawAddr};

/// Life cycle: create, bind, connect, disconnect, shut down, close.
impl UdpSocket {
    /// Creates an unbound socket of `family` (Node's `createSocket('udp4')`, Racket's
    /// `udp-open-socket`). Its local address reads `0.0.0.0:0`/`[::]:0` until it is bound, explicitly or
    /// by its first send.
    ///
    /// # Errors
    /// What `socket(2)` reports (`EMFILE` and the like).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// assert_eq!(sock.local_addr()?, "0.0.0.0:0".parse().unwrap());
    /// assert!(!sock.is_bound()?);
    /// sock.bind_to("127.0.0.1:0")?;
    /// assert!(sock.is_bound()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unbound(family: Family) -> io::Result<UdpSocket> {
        UdpSocketBuilder::default().unbound(family)
    }

    /// Creates a socket bound to `addr`, as std's `UdpSocket::bind`; port 0 picks an ephemeral port.
    ///
    /// # Errors
    /// `NotFound` for a host name that does not resolve; `AddrInUse` when the address is taken;
    /// `AddrNotAvailable` for an address not on this host; `PermissionDenied` for a privileged port.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?; // port 0: the kernel picks one
    /// let local = sock.local_addr()?;
    /// assert_eq!(local.ip(), std::net::Ipv4Addr::LOCALHOST);
    /// assert_ne!(local.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocketBuilder::default().bind(addr)
    }

    /// A builder carrying Node's `createSocket` options.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::builder().reuse_port(true).send_buffer_size(64 * 1024).bind("127.0.0.1:0")?;
    /// assert!(sock.reuse_port()?);
    /// assert_eq!(sock.send_buffer_size()?, 2 * 64 * 1024);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> UdpSocketBuilder {
        UdpSocketBuilder::default()
    }

    /// Binds an unbound socket to `addr` (Node's `socket.bind`, Racket's `udp-bind!`).
    ///
    /// An IPv4 address on an IPv6 socket is bound as `::ffff:a.b.c.d`, and a v4-mapped address on an
    /// IPv4 socket as the IPv4 address it maps.
    ///
    /// # Errors
    /// - `InvalidInput` ("already bound") when the socket is bound, explicitly or by a send;
    ///   `InvalidInput` for an IPv6 address (other than v4-mapped) on an IPv4 socket.
    /// - `NotFound` for a host name that does not resolve.
    /// - `AddrInUse`, `AddrNotAvailable`, `PermissionDenied` from `bind(2)`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::builder().reuse_address(true).unbound(Family::V4)?;
    /// sock.bind_to("127.0.0.1:0")?;
    /// let e = sock.bind_to("127.0.0.1:0").unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput); // already bound
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_to(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.refuse_if_bound()?;
        let a = self.bind_address(
            addr.to_socket_addrs()
                .map_err(|e| lookup_error(&"the bind address", e))?,
        )?;
        self.bind_raw(&a)
    }

    /// Binds an unbound socket to `host`:`port`, resolving a host name through the socket's
    /// resolver (the [`SystemResolver`](crate::SystemResolver) unless the builder set one), told
    /// the socket's family; a literal IP address is used as it is.
    ///
    /// # Errors
    /// As [`bind_to`](Self::bind_to), and whatever the resolver reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// sock.bind_to_host("localhost", 0)?; // through the system resolver: 127.0.0.1
    /// assert!(sock.local_addr()?.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_to_host(&self, host: &str, port: u16) -> io::Result<()> {
        self.refuse_if_bound()?;
        let a = self.bind_address(self.resolve_host(host, port)?)?;
        self.bind_raw(&a)
    }

    /// `InvalidInput` ("already bound") for a socket with a local port.
    fn refuse_if_bound(&self) -> io::Result<()> {
        let local = self.local_addr()?;
        if local.port() != 0 {
            return Err(invalid_input(format!("socket is already bound to {local}")));
        }
        Ok(())
    }

    pub(super) fn bind_raw(&self, a: &SocketAddr) -> io::Result<()> {
        sys::socket::bind(self.as_fd(), &RawAddr::from_inet(a))?;
        self.state.bound.store(true, Ordering::Relaxed);
        // Binding a specific IPv6 address (not `::`, not v4-mapped) switches `IPV6_V6ONLY` on in the
        // kernel (`__inet6_bind`): what was remembered of it is asked anew.
        self.state.v6only.store(0, Ordering::Relaxed);
        let _ = self.state.explicit.set(*a);
        Ok(())
    }

    /// The socket's family.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// assert_eq!(UdpSocket::bind("127.0.0.1:0")?.family(), Family::V4);
    /// assert_eq!(UdpSocket::bind("[::1]:0")?.family(), Family::V6);
    /// assert_eq!(UdpSocket::unbound(Family::V6)?.family(), Family::V6); // known before binding
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn family(&self) -> Family {
        self.family
    }

    /// Whether the socket has a local port (Racket's `udp-bound?`): after `bind`, a send, or `connect`.
    ///
    /// # Errors
    /// What `getsockname(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// assert!(!sock.is_bound()?);
    /// sock.send_to(b"x", UdpSocket::bind("127.0.0.1:0")?.local_addr()?)?; // a send binds it
    /// assert!(sock.is_bound()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_bound(&self) -> io::Result<bool> {
        Ok(self.local_addr()?.port() != 0)
    }

    /// Whether the socket is connected to a peer (Racket's `udp-connected?`).
    ///
    /// # Errors
    /// What `getpeername(2)` reports, other than `ENOTCONN`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(!sock.is_connected()?);
    /// sock.connect(UdpSocket::bind("127.0.0.1:0")?.local_addr()?)?;
    /// assert!(sock.is_connected()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_connected(&self) -> io::Result<bool> {
        match sys::socket::peer_addr(self.as_fd()) {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The local address (Node's `address()`); `0.0.0.0:0` or `[::]:0` while unbound.
    ///
    /// # Errors
    /// What `getsockname(2)` reports; `InvalidData` if the descriptor is not an IP socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V6)?;
    /// assert_eq!(sock.local_addr()?, "[::]:0".parse().unwrap());
    /// sock.bind_to("[::1]:0")?;
    /// assert!(sock.local_addr()?.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        inet(&sys::socket::local_addr(self.as_fd())?)
    }

    /// The connected peer's address (Node's `remoteAddress()`).
    ///
    /// # Errors
    /// `NotConnected` when the socket is not connected.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(client.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// client.connect(server.local_addr()?)?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        inet(&sys::socket::peer_addr(self.as_fd())?)
    }

    /// Connects the socket to `addr`: `send` goes there, and only datagrams from there are received.
    ///
    /// Connecting again re-targets the socket (the kernel's rule, which Racket and std follow; Node
    /// refuses). An unbound socket is bound to an ephemeral port.
    ///
    /// A connected socket hears of the peer's port being closed (`ConnectionRefused` at the next
    /// call), but of an unreachable host or network, or a failed ARP, only with
    /// [`set_recv_err_v4`](Self::set_recv_err_v4)/[`set_recv_err_v6`](Self::set_recv_err_v6) on:
    /// Linux counts those as soft errors.
    ///
    /// # Errors
    /// - `InvalidInput` for port 0, an address of the other family (but for v4-mapped on an IPv4
    ///   socket), or a link-local address without a scope on a socket tied to no interface;
    ///   `NotFound` for a host name that does not resolve.
    /// - `NetworkUnreachable`, `PermissionDenied` (a broadcast address without `SO_BROADCAST`), ...
    ///   from `connect(2)`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// client.connect(server.local_addr()?)?;
    /// assert!(client.is_connected()?);
    /// client.send(b"ping")?; // to the connected peer
    ///
    /// let mut buf = [0u8; 16];
    /// let (n, from) = server.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr()?));
    /// server.send_to(b"pong", from)?;
    /// let n = client.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"pong");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let a = self.destination(self.resolve(addr)?, 0)?;
        self.connect_raw(&a)
    }

    /// Connects to `port` on the family's loopback address (`127.0.0.1` or `::1`): Node's
    /// `connect(port)` with no address.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::unbound(Family::V4)?;
    /// client.connect_loopback(server.local_addr()?.port())?;
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect_loopback(&self, port: u16) -> io::Result<()> {
        self.connect((self.family.loopback(), port))
    }

    /// Connects to `host`:`port`, resolving a host name through the socket's resolver (the
    /// [`SystemResolver`](crate::SystemResolver) unless the builder set one).
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and whatever the resolver reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// client.connect_host("localhost", server.local_addr()?.port())?; // an IPv4 address of the name
    /// assert_eq!(client.peer_addr()?, server.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        let a = self.destination(self.resolve_host(host, port)?, 0)?;
        self.connect_raw(&a)
    }

    fn connect_raw(&self, a: &SocketAddr) -> io::Result<()> {
        sys::socket::connect(self.as_fd(), &RawAddr::from_inet(a))?;
        self.note_peer(Some(a));
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
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// let local = sock.local_addr()?;
    /// sock.connect(UdpSocket::bind("127.0.0.1:0")?.local_addr()?)?;
    /// sock.disconnect()?;
    /// assert!(!sock.is_connected()?);
    /// assert_eq!(sock.local_addr()?, local); // an explicit bind survives
    /// sock.disconnect()?; // a no-op when not connected
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn disconnect(&self) -> io::Result<()> {
        if !self.is_connected()? {
            return Ok(());
        }
        let port = self.local_addr()?.port();
        sys::socket::connect(self.as_fd(), &RawAddr::unspec())?;
        self.note_peer(None);
        self.state.bound.store(false, Ordering::Relaxed);
        if self.state.explicit.get().is_some()
            && let now = self.local_addr()?
            && now.port() == 0
        {
            // The address the kernel kept (what was bound: a wildcard stays a wildcard, where the
            // address connect chose is dropped), with the port the kernel had chosen.
            sys::socket::bind(
                self.as_fd(),
                &RawAddr::from_inet(&SocketAddr::new(now.ip(), port)),
            )?;
            self.state.bound.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// A second handle on the same socket (`fcntl(F_DUPFD_CLOEXEC)`); both share options and queues.
    ///
    /// # Errors
    /// What `fcntl(2)` reports (`EMFILE`).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// let other = sock.try_clone()?;
    /// assert_eq!(other.local_addr()?, sock.local_addr()?);
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"one queue", sock.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// let n = other.recv(&mut buf)?; // the same socket: the same queue
    /// assert_eq!(&buf[..n], b"one queue");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            inner: self.inner.try_clone()?,
            family: self.family,
            state: Arc::clone(&self.state),
            resolver: self.resolver.clone(),
        })
    }

    /// Shuts down the read side, the write side or both (`shutdown(2)`).
    ///
    /// Shutting down the read side is how a thread blocked in a receive is stopped: Linux wakes
    /// every receive blocked on the socket, and each (as every later receive once the queue is
    /// empty) fails with `BrokenPipe`; datagrams already queued are still received first. Linux
    /// does this on an unconnected socket too, while reporting `ENOTCONN` for it: the shutdown has
    /// taken effect, so dgram returns `Ok(())` there. A send after `Shutdown::Write` fails with
    /// `BrokenPipe` (`EPIPE`).
    ///
    /// # Errors
    /// What `shutdown(2)` reports, but for that `ENOTCONN` on an unconnected socket.
    ///
    /// # Examples
    /// ```
    /// use std::net::Shutdown;
    /// use datagrams::UdpSocket;
    ///
    /// let sock = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0")?);
    /// let receiver = {
    ///     let sock = sock.clone();
    ///     std::thread::spawn(move || sock.recv(&mut [0u8; 64]))
    /// };
    /// sock.shutdown(Shutdown::Read)?; // wakes the receiver, wherever it is
    /// let e = receiver.join().unwrap().unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SHUT_RD")]
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        if how != std::net::Shutdown::Write {
            // Before the call: a receiver woken by it must find the flag set.
            self.state.read_shut.store(true, Ordering::SeqCst);
        }
        match self.inner.shutdown(how) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) && !self.is_connected()? => Ok(()),
            Err(e) => {
                // Nothing was shut down: receives go on as before.
                if how != std::net::Shutdown::Write {
                    self.state.read_shut.store(false, Ordering::SeqCst);
                }
                Err(e)
            }
            Ok(()) => Ok(()),
        }
    }

    crate::socket::close_method!(UdpSocket, "let sock = UdpSocket::bind(\"127.0.0.1:0\")?;");
}
