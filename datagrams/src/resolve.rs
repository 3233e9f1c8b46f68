//! Host-name resolution for `bind_to_host`/`connect_host`/`send_to_host`: the system resolver, or one
//! the caller plugs in (Node's `lookup` option).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::family::Family;

/// Turns a host name and port into addresses: the hook behind Node's `lookup` option.
///
/// Plug one in with [`UdpSocketBuilder::resolver`](crate::UdpSocketBuilder::resolver); the socket then
/// resolves every host name of [`bind_to_host`](crate::UdpSocket::bind_to_host),
/// [`connect_host`](crate::UdpSocket::connect_host) and
/// [`send_to_host`](crate::UdpSocket::send_to_host) through it, and tells it its family (as
/// Node's `lookup` is told `family`), so that a resolver can ask for AAAA records alone for an
/// IPv6 socket, say. Literal IP addresses never reach it. Of what it returns, the socket uses the
/// first address of its family (an IPv4 address v4-mapped on an IPv6 socket when no IPv6 one
/// comes).
///
/// dgram puts no time limit on a resolver, as std puts none on `getaddrinfo`: one that never
/// answers keeps the call waiting, and one that panics panics the caller.
///
/// # Examples
/// ```
/// use std::{io, net::SocketAddr};
/// use datagrams::{Family, Resolve, UdpSocket};
///
/// #[derive(Debug)]
/// struct Fixed;
/// impl Resolve for Fixed {
///     fn resolve(&self, host: &str, port: u16, family: Family) -> io::Result<Vec<SocketAddr>> {
///         match (host, family) {
///             ("echo.test", Family::V4) => Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))]),
///             ("echo.test", Family::V6) => Ok(vec![SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port))]),
///             _ => Err(io::Error::new(io::ErrorKind::NotFound, format!("unknown host {host}"))),
///         }
///     }
/// }
///
/// let server = UdpSocket::bind("127.0.0.1:0")?;
/// let port = server.local_addr()?.port();
/// let client = UdpSocket::builder().resolver(Fixed).bind("127.0.0.1:0")?;
/// client.send_to_host(b"hi", "echo.test", port)?;
/// let mut buf = [0; 8];
/// assert_eq!(server.recv(&mut buf)?, 2);
/// # Ok::<(), io::Error>(())
/// ```
pub trait Resolve: Send + Sync + fmt::Debug {
    /// Returns the addresses of `host`, each with `port`, best first, for a socket of `family`.
    ///
    /// # Errors
    /// Whatever the resolver reports; dgram passes it through unchanged.
    fn resolve(&self, host: &str, port: u16, family: Family) -> io::Result<Vec<SocketAddr>>;
}

/// The system resolver (`getaddrinfo(3)`, through std's `ToSocketAddrs`). It blocks, and asks for
/// every family (an IPv6 socket may use an IPv4 address, v4-mapped).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16, _family: Family) -> io::Result<Vec<SocketAddr>> {
        Ok((host, port)
            .to_socket_addrs()
            .map_err(|e| lookup_error(&host, e))?
            .collect())
    }
}

/// Gives a failed lookup a matchable kind: `NotFound`, naming the host (std reports it uncategorised).
/// An `InvalidInput` error (a malformed address string) keeps its kind.
pub(crate) fn lookup_error(what: &dyn fmt::Display, e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::InvalidInput {
        e
    } else {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("cannot resolve {what}: {e}"),
        )
    }
}
