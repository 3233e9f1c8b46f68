//! The kernel's error reports about sent datagrams: the `IP_RECVERR` error queue (`SockError`, ip(7),
//! udp(7)). The switches (`set_recv_err_v4`/`_v6`) and path MTU discovery (RFC 1191, RFC 8201) are
//! options, in `options.rs`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;

use crate::sys::{addr::RawAddr, cmsg, msg};
use crate::udp::UdpSocket;

/// Where an error report came from (`ee_origin` of `struct sock_extended_err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorOrigin {
    /// The local stack (`SO_EE_ORIGIN_LOCAL`): for example a datagram above the path MTU.
    Local,
    /// An ICMP message (`SO_EE_ORIGIN_ICMP`).
    Icmp,
    /// An ICMPv6 message (`SO_EE_ORIGIN_ICMP6`).
    Icmp6,
    /// Another origin, by number.
    Other(u8),
}

/// One report from the error queue (`recvmsg(MSG_ERRQUEUE)` with `IP_RECVERR`/`IPV6_RECVERR`): what
/// went wrong with a datagram this socket sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SockError {
    /// The error number (`ee_errno`): `ECONNREFUSED`, `EHOSTUNREACH`, `EMSGSIZE`, ...
    pub errno: i32,
    /// Where the report came from.
    pub origin: ErrorOrigin,
    /// The ICMP type (`ee_type`): 3 destination unreachable, 11 time exceeded (ICMPv6: 1, 2, 3).
    pub icmp_type: u8,
    /// The ICMP code (`ee_code`): for type 3, 3 port unreachable and 4 fragmentation needed.
    pub icmp_code: u8,
    /// Extra information (`ee_info`): the path MTU in bytes for "fragmentation needed" and
    /// "packet too big", and for a local `EMSGSIZE`.
    pub info: u32,
    /// The host that sent the report (`SO_EE_OFFENDER`): a router, or the destination itself.
    pub offender: Option<SocketAddr>,
    /// The destination the failed datagram was sent to.
    pub destination: Option<SocketAddr>,
    /// The head of the failed datagram (its UDP payload), as the kernel returned it.
    pub payload: Vec<u8>,
}

impl SockError {
    /// The error as an `io::Error`, with its OS code (so `kind()` is `ConnectionRefused`, ...).
    pub fn to_io_error(&self) -> io::Error {
        io::Error::from_raw_os_error(self.errno)
    }
}

impl fmt::Display for SockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:?} type {} code {}",
            self.to_io_error(),
            self.origin,
            self.icmp_type,
            self.icmp_code
        )?;
        if let Some(o) = self.offender {
            write!(f, " from {}", o.ip())?;
        }
        if self.info != 0 {
            write!(f, ", info {}", self.info)?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for SockError {}

/// `SockError` converts to an `io::Error` for callers who want to `?` it.
impl From<SockError> for io::Error {
    fn from(e: SockError) -> io::Error {
        io::Error::new(e.to_io_error().kind(), e)
    }
}

/// The error queue (`MSG_ERRQUEUE`, switched on by `IP_RECVERR`/`IPV6_RECVERR`).
impl UdpSocket {
    /// Reads one report from the error queue without waiting (`recvmsg(MSG_ERRQUEUE)`); `Ok(None)`
    /// when it is empty. Async callers wait for one with
    /// [`tokio::UdpSocket::recv_error`](crate::tokio::UdpSocket::recv_error).
    ///
    /// # Errors
    /// What `recvmsg(2)` reports other than an empty queue.
    #[doc(alias = "MSG_ERRQUEUE")]
    pub fn recv_error(&self) -> io::Result<Option<SockError>> {
        let mut payload = [0u8; 512];
        let mut control = cmsg::CmsgBuf::<256>::new();
        let mut dest = RawAddr::empty();
        let out = match msg::recvmsg(
            self.as_fd(),
            &mut [io::IoSliceMut::new(&mut payload)],
            Some(&mut dest),
            &mut control.0,
            libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            None,
        ) {
            Ok(out) => out,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut report = None;
        for c in cmsg::iter(&control.0[..out.control_len]) {
            if let cmsg::Value::ExtErr(e) = c.decode() {
                report = Some(e);
            }
        }
        let Some(e) = report else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an error-queue message without IP_RECVERR data",
            ));
        };
        Ok(Some(SockError {
            errno: e.errno,
            origin: match e.origin {
                1 => ErrorOrigin::Local,
                2 => ErrorOrigin::Icmp,
                3 => ErrorOrigin::Icmp6,
                other => ErrorOrigin::Other(other),
            },
            icmp_type: e.kind,
            icmp_code: e.code,
            info: e.info,
            offender: e.offender,
            destination: dest.socket_addr(),
            payload: payload[..out.ret.min(payload.len())].to_vec(),
        }))
    }
}
