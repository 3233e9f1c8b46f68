//! One socket for the commands, UDP or Unix: `HOST:PORT`, `unix:/path` or `unix:@name`.

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use datagrams::{Family, UdpSocket, UnixAddr, UnixDatagram};

/// Where a datagram came from or goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    Udp(SocketAddr),
    Unix(UnixAddr),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A scoped IPv6 sender by its interface's name (`[fe80::1%eth0]:9`), as people and
            // `send` read it; by index when the interface is gone, or when its name would need
            // escaping (a control character, a bidi control: the kernel allows them).
            Peer::Udp(std::net::SocketAddr::V6(a)) if a.scope_id() != 0 => {
                match datagrams::Interface::Index(a.scope_id()).name() {
                    Ok(Some(name)) if datagrams::escape_bytes(name.as_bytes()) == name => {
                        write!(f, "[{}%{name}]:{}", a.ip(), a.port())
                    }
                    _ => a.fmt(f),
                }
            }
            Peer::Udp(a) => a.fmt(f),
            Peer::Unix(a) => a.fmt(f),
        }
    }
}

/// What a receive reports about one datagram.
#[derive(Debug)]
pub(crate) struct Received {
    /// Bytes written to the buffer.
    pub(crate) len: usize,
    /// The datagram's full length.
    pub(crate) full_len: usize,
    pub(crate) from: Peer,
    /// The kernel's running count of datagrams dropped on this socket (`SO_RXQ_OVFL`), once non-zero.
    pub(crate) drops: Option<u32>,
    /// The kernel's receive time (`SO_TIMESTAMPNS`), when asked for.
    pub(crate) timestamp: Option<std::time::SystemTime>,
}

/// A destination, resolved ([`Endpoint::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    /// Every address of `HOST:PORT`, best first: the socket picks the first of its family.
    Udp(Vec<SocketAddr>),
    Unix(UnixAddr),
}

/// A bound socket of either kind. A Unix socket file it created is removed when it is dropped.
#[derive(Debug)]
pub(crate) enum Endpoint {
    Udp(UdpSocket),
    Unix {
        sock: UnixDatagram,
        created: Option<PathBuf>,
    },
}

/// Whether `addr` names a Unix socket.
pub(crate) fn is_unix(addr: &str) -> bool {
    addr.starts_with("unix:")
}

/// A UDP destination `HOST:PORT`, resolved: every address, best first (a socket picks the first of
/// its own family). A bracketed IPv6 address may carry a scope by name, as Node takes it
/// (`[fe80::1%eth0]:9`): std's parser takes only numeric scopes, so that host goes to
/// `getaddrinfo(3)` without its brackets, which reads the name.
pub(crate) fn udp_dest(dest: &str) -> Result<Vec<SocketAddr>, String> {
    use std::net::ToSocketAddrs;
    udp_dest_with(dest, |q| match q {
        Query::Scoped(host, port) => {
            // An unknown scope name would reach the resolver and come back as a lookup failure
            // that does not say which part is wrong: name the interface instead.
            if let Some((_, scope)) = host.split_once('%')
                && scope.parse::<u32>().is_err()
                && let Err(e) = datagrams::Interface::Name(scope.to_string()).index()
            {
                return Err(io::Error::new(
                    e.kind(),
                    format!("no interface {scope} on this host (ip link lists them)"),
                ));
            }
            (host, port).to_socket_addrs().map(Iterator::collect)
        }
        Query::Plain(dest) => dest.to_socket_addrs().map(Iterator::collect),
    })
}

/// `HOST[:PORT]` with `port` added where none is given, as `dgram perf` takes a server: `HOST`,
/// `IPV6` and a scoped `IPV6%SCOPE` get it (the IPv6 forms in brackets); `HOST:PORT` and
/// `[IPV6]:PORT` (scoped or not) stay as they are. The result goes to [`udp_dest`].
pub(crate) fn with_default_port(host: &str, port: u16) -> String {
    let ip = host.split_once('%').map_or(host, |(ip, _)| ip);
    if ip.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]:{port}")
    } else if host
        .rsplit_once(':')
        .is_some_and(|(h, p)| p.parse::<u16>().is_ok() && (!h.contains(':') || h.ends_with(']')))
    {
        host.to_string()
    } else {
        format!("{host}:{port}")
    }
}

/// What [`udp_dest`] asks its resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Query<'a> {
    /// A bracketed IPv6 address with a scope (`fe80::1%eth0`, without the brackets) and a port.
    Scoped(&'a str, u16),
    /// Anything else, as given (`HOST:PORT`).
    Plain(&'a str),
}

/// [`udp_dest`] with the resolver given: the parsing, apart from the lookup (so that the fuzz
/// target in `fuzz/` runs it without a DNS query).
pub(crate) fn udp_dest_with(
    dest: &str,
    resolve: impl FnOnce(Query<'_>) -> io::Result<Vec<SocketAddr>>,
) -> Result<Vec<SocketAddr>, String> {
    let scoped = dest
        .strip_prefix('[')
        .and_then(|rest| rest.rsplit_once("]:"))
        .filter(|(host, port)| {
            host.split_once('%')
                .is_some_and(|(ip, _)| ip.parse::<std::net::Ipv6Addr>().is_ok())
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)));
    let all = resolve(match scoped {
        Some((host, port)) => Query::Scoped(host, port),
        None => Query::Plain(dest),
    })
    .map_err(|e| format!("bad address {dest}: {e}"))?;
    if all.is_empty() {
        return Err(format!("bad address {dest}: it resolves to nothing"));
    }
    Ok(all)
}

/// Parses a Unix address, with the error naming it.
pub(crate) fn unix_addr(addr: &str) -> Result<UnixAddr, String> {
    addr.parse::<UnixAddr>()
        .map_err(|e| format!("bad address {addr}: {e}"))
}

impl Endpoint {
    /// Binds `addr`, with an error that names it.
    pub(crate) fn bind(addr: &str) -> Result<Endpoint, String> {
        if is_unix(addr) {
            let ua = unix_addr(addr)?;
            let sock = UnixDatagram::bind(ua).map_err(|e| {
                match (e.kind(), ua.as_pathname()) {
                    // The kernel never replaces a file: often one a program that ended left behind.
                    (io::ErrorKind::AddrInUse, Some(path)) => format!(
                        "cannot bind {addr}: {e}: {} exists; remove it if no program receives \
                         there, or choose another path",
                        path.display()
                    ),
                    (io::ErrorKind::AddrInUse, None) => format!(
                        "cannot bind {addr}: {e}: another socket holds this name; choose another"
                    ),
                    _ => format!("cannot bind {addr}: {e}"),
                }
            })?;
            let created = ua.as_pathname().map(PathBuf::from);
            Ok(Endpoint::Unix { sock, created })
        } else if !addr.contains(':') {
            Err(format!(
                "cannot bind {addr}: expected HOST:PORT (for example 0.0.0.0:{addr} or [::]:{addr}), \
                 unix:/path or unix:@name"
            ))
        } else {
            UdpSocket::bind(addr).map(Endpoint::Udp).map_err(|e| {
                if e.kind() == io::ErrorKind::PermissionDenied {
                    format!(
                        "cannot bind {addr}: {e}: a port below 1024 needs root or \
                         CAP_NET_BIND_SERVICE (or a lower sysctl net.ipv4.ip_unprivileged_port_start)"
                    )
                } else {
                    format!("cannot bind {addr}: {e}")
                }
            })
        }
    }

    /// An unbound socket to send to `dest` from; bound to a kernel-chosen name for Unix when replies
    /// are wanted (an unbound Unix sender cannot be answered).
    pub(crate) fn for_dest(dest: &str, want_replies: bool) -> Result<Endpoint, String> {
        if is_unix(dest) {
            let sock = UnixDatagram::unbound().map_err(|e| e.to_string())?;
            if want_replies {
                sock.bind_to(UnixAddr::unnamed())
                    .map_err(|e| format!("cannot bind a reply address: {e}"))?;
            }
            Ok(Endpoint::Unix {
                sock,
                created: None,
            })
        } else {
            let family = Family::of(&udp_dest(dest)?[0]);
            UdpSocket::unbound(family)
                .map(Endpoint::Udp)
                .map_err(|e| e.to_string())
        }
    }

    pub(crate) fn local(&self) -> io::Result<String> {
        Ok(match self {
            Endpoint::Udp(s) => s.local_addr()?.to_string(),
            Endpoint::Unix { sock, .. } => sock.local_addr()?.to_string(),
        })
    }

    pub(crate) fn set_read_timeout(&self, t: std::time::Duration) -> io::Result<()> {
        match self {
            Endpoint::Udp(s) => s.set_read_timeout(Some(t)),
            Endpoint::Unix { sock, .. } => sock.set_read_timeout(Some(t)),
        }
    }

    /// Receives one datagram into `buf`. A Unix datagram larger than `buf` grows it first (the
    /// kernel tells the next datagram's size, FIONREAD), so that no Unix datagram is cut; a UDP
    /// datagram fits the 65,536 bytes a caller gives.
    pub(crate) fn recv(&self, buf: &mut Vec<u8>) -> io::Result<Received> {
        match self {
            Endpoint::Udp(s) => s.recv_msg(buf).map(|m| Received {
                len: m.len,
                full_len: m.full_len,
                from: Peer::Udp(m.addr),
                drops: m.drops,
                timestamp: m.timestamp,
            }),
            Endpoint::Unix { sock, .. } => {
                // Wait for a datagram (within the read timeout) without taking it, then learn its
                // size: only this thread receives, so it is still the next one.
                sock.peek(&mut [0u8; 1])?;
                let next = sock.bytes_readable()?;
                if next > buf.len() {
                    buf.resize(next, 0);
                }
                sock.recv_msg(buf).map(|m| Received {
                    len: m.len,
                    full_len: m.full_len,
                    from: Peer::Unix(m.addr),
                    drops: m.drops,
                    timestamp: m.timestamp,
                })
            }
        }
    }

    /// Asks for the kernel's receive time of each datagram (`SO_TIMESTAMPNS`).
    pub(crate) fn set_recv_timestamp(&self, on: bool) -> io::Result<()> {
        match self {
            Endpoint::Udp(s) => s.set_recv_timestamp(on),
            Endpoint::Unix { sock, .. } => sock.set_recv_timestamp(on),
        }
    }

    /// Sets the receive buffer size (`SO_RCVBUF`), in bytes.
    pub(crate) fn set_recv_buffer_size(&self, bytes: usize) -> io::Result<()> {
        match self {
            Endpoint::Udp(s) => s.set_recv_buffer_size(bytes),
            Endpoint::Unix { sock, .. } => sock.set_recv_buffer_size(bytes),
        }
    }

    /// Sends to `to` without waiting (`MSG_DONTWAIT`): `WouldBlock` when the peer's queue (Unix) or
    /// the send buffer is full. An echo's replies go this way, so that a sender that stops reading
    /// cannot stop the echo for the others.
    pub(crate) fn try_send_to(&self, buf: &[u8], to: &Peer) -> io::Result<usize> {
        match (self, to) {
            (Endpoint::Udp(s), Peer::Udp(a)) => s.try_send_to(buf, *a),
            (Endpoint::Unix { sock, .. }, Peer::Unix(a)) => sock.try_send_to(buf, a),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "address of the other kind of socket",
            )),
        }
    }

    /// Resolves a destination string once, for every datagram sent to it (a host name is not
    /// looked up again per datagram).
    pub(crate) fn resolve(&self, dest: &str) -> Result<Dest, String> {
        match self {
            Endpoint::Udp(_) => udp_dest(dest).map(Dest::Udp),
            Endpoint::Unix { .. } => unix_addr(dest).map(Dest::Unix),
        }
    }

    /// Sends to `to`, resolved from `dest` (which an error names).
    pub(crate) fn send_to_dest(&self, buf: &[u8], to: &Dest, dest: &str) -> Result<usize, String> {
        match (self, to) {
            (Endpoint::Udp(s), Dest::Udp(a)) => s.send_to(buf, &a[..]),
            (Endpoint::Unix { sock, .. }, Dest::Unix(a)) => sock.send_to(buf, *a),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "address of the other kind of socket",
            )),
        }
        .map_err(|e| self.send_error(buf.len(), dest, &e))
    }

    /// A failed send to `dest` of `len` bytes, as a message that gives the fix where there is one.
    pub(crate) fn send_error(&self, len: usize, dest: &str, e: &io::Error) -> String {
        const EMSGSIZE: i32 = 90;
        const EACCES: i32 = 13;
        const EPERM: i32 = 1;
        const ENOENT: i32 = 2;
        const ECONNREFUSED: i32 = 111;
        match (self, e.raw_os_error()) {
            // The kernel refuses a broadcast destination without SO_BROADCAST (EACCES).
            (Endpoint::Udp(s), Some(EACCES)) if s.broadcast().is_ok_and(|on| !on) => format!(
                "cannot send to {dest}: {e}: to send to a broadcast address, add --broadcast"
            ),
            // Nobody receives at a Unix address: no file there, or no socket bound to it.
            (Endpoint::Unix { .. }, Some(ENOENT | ECONNREFUSED)) => format!(
                "cannot send to {dest}: {e}: no socket is bound there (`dgram listen {dest}` \
                 binds one)"
            ),
            // A packet filter's verdict on the way out (EPERM), whatever the destination.
            (Endpoint::Udp(_), Some(EPERM)) => format!(
                "cannot send to {dest}: {e}: a packet filter on this host refused it (nft list \
                 ruleset, iptables -S OUTPUT)"
            ),
            _ if e.raw_os_error() == Some(EMSGSIZE) => {
                let limit = match self {
                    Endpoint::Udp(s) => match s.family() {
                        Family::V4 => format!(
                            "a UDP datagram over IPv4 holds at most {} bytes",
                            datagrams::MAX_PAYLOAD_V4
                        ),
                        Family::V6 => format!(
                            "a UDP datagram over IPv6 holds at most {} bytes",
                            datagrams::MAX_PAYLOAD_V6
                        ),
                    },
                    Endpoint::Unix { sock, .. } => match sock.send_buffer_size() {
                        Ok(n) => format!("the socket's send buffer is {n} bytes"),
                        Err(_) => "the socket's send buffer is smaller".into(),
                    },
                };
                format!(
                    "cannot send to {dest}: {len} bytes is too large ({e}): {limit}; send fewer bytes per datagram (--split N)"
                )
            }
            _ => format!("cannot send to {dest}: {e}"),
        }
    }

    pub(crate) fn connect(&self, dest: &str) -> Result<(), String> {
        match self {
            Endpoint::Udp(s) => s.connect(&udp_dest(dest)?[..]),
            Endpoint::Unix { sock, .. } => sock.connect(unix_addr(dest)?),
        }
        .map_err(|e| format!("cannot connect to {dest}: {e}"))
    }

    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Endpoint::Udp(s) => s.send(buf),
            Endpoint::Unix { sock, .. } => sock.send(buf),
        }
    }

    pub(crate) fn peer(&self) -> Option<Peer> {
        match self {
            Endpoint::Udp(s) => s.peer_addr().ok().map(Peer::Udp),
            Endpoint::Unix { sock, .. } => sock.peer_addr().ok().map(Peer::Unix),
        }
    }

    pub(crate) fn udp(&self) -> Option<&UdpSocket> {
        match self {
            Endpoint::Udp(s) => Some(s),
            Endpoint::Unix { .. } => None,
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Endpoint::Unix {
            created: Some(path),
            ..
        } = self
        {
            // We created this file with our bind: remove it, and only it.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Prints one line on stdout. A closed stdout (`dgram listen | head -1`) ends the program quietly,
/// through the normal return path so that cleanup runs.
pub(crate) fn print_line(line: &str) -> Result<(), String> {
    let mut out = io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(String::new()),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn with_default_port_adds_a_port_only_where_none_is_given() {
        for (host, want) in [
            ("example.net", "example.net:5201"),
            ("example.net:9", "example.net:9"),
            ("192.0.2.1", "192.0.2.1:5201"),
            ("192.0.2.1:9", "192.0.2.1:9"),
            ("::1", "[::1]:5201"),
            ("[::1]:9", "[::1]:9"),
            ("[::1]", "[::1]:5201"),
            ("fe80::1%eth0", "[fe80::1%eth0]:5201"),
            ("fe80::1%2", "[fe80::1%2]:5201"),
            ("[fe80::1%eth0]:9", "[fe80::1%eth0]:9"),
            ("[fe80::1%eth0]", "[fe80::1%eth0]:5201"),
        ] {
            assert_eq!(super::with_default_port(host, 5201), want, "{host}");
        }
    }
}
