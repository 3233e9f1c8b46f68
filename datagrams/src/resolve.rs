//! Host-name resolution for `send_to_host`/`connect_host`: the system resolver, or one the caller plugs
//! in (Node's `lookup` option).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Turns a host name and port into addresses: the hook behind Node's `lookup` option.
///
/// Plug one in with [`UdpSocketBuilder::resolver`](crate::UdpSocketBuilder::resolver); the socket then
/// resolves every host name of [`send_to_host`](crate::UdpSocket::send_to_host) and
/// [`connect_host`](crate::UdpSocket::connect_host) through it. Literal IP addresses never reach it.
///
/// dgram puts no time limit on a resolver, as std puts none on `getaddrinfo`: one that never
/// answers keeps the call waiting, and one that panics panics the caller.
///
/// # Examples
/// ```
/// use std::{io, net::SocketAddr};
/// use datagrams::{Resolve, UdpSocket};
///
/// #[derive(Debug)]
/// struct Fixed;
/// impl Resolve for Fixed {
///     fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
///         match host {
///             "echo.test" => Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))]),
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
    /// Returns the addresses of `host`, each with `port`, best first.
    ///
    /// # Errors
    /// Whatever the resolver reports; dgram passes it through unchanged.
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;
}

/// The system resolver (`getaddrinfo(3)`, through std's `ToSocketAddrs`). It blocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
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
