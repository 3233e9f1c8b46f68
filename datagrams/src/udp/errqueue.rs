//! The kernel's error reports about sent datagrams: the `IP_RECVERR` error queue (`SockError`), path
//! MTU discovery and `UDP_CORK` (udp(7), ip(7), RFC 1191, RFC 8201).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;

use crate::sys::consts::{IP_MTU, IPV6_MTU, IPV6_MTU_DISCOVER, UDP_CORK};
use crate::sys::{addr::RawAddr, cmsg, msg, sockopt};
use crate::udp::UdpSocket;
use crate::util::invalid_input;

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

/// Path MTU discovery modes (`IP_MTU_DISCOVER`/`IPV6_MTU_DISCOVER`, ip(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PmtuDiscover {
    /// Never set DF: routers fragment (`IP_PMTUDISC_DONT`).
    Dont,
    /// Use the path MTU where known, else fragment (`IP_PMTUDISC_WANT`, the default).
    Want,
    /// Always set DF; a datagram above the known path MTU fails with `EMSGSIZE` (`IP_PMTUDISC_DO`).
    Do,
    /// Set DF and ignore the path MTU: for probing (`IP_PMTUDISC_PROBE`).
    Probe,
    /// Use the interface MTU, never the path MTU, and never fragment locally (`IP_PMTUDISC_INTERFACE`,
    /// Linux 3.15): against forged ICMP "fragmentation needed" reports.
    Interface,
    /// As `Interface`, but fragment datagrams above the interface MTU (`IP_PMTUDISC_OMIT`, Linux
    /// 3.16).
    Omit,
}

impl PmtuDiscover {
    fn value(self) -> libc::c_int {
        match self {
            PmtuDiscover::Dont => 0,
            PmtuDiscover::Want => 1,
            PmtuDiscover::Do => 2,
            PmtuDiscover::Probe => 3,
            PmtuDiscover::Interface => 4,
            PmtuDiscover::Omit => 5,
        }
    }

    fn from_value(v: libc::c_int) -> io::Result<PmtuDiscover> {
        Ok(match v {
            0 => PmtuDiscover::Dont,
            1 => PmtuDiscover::Want,
            2 => PmtuDiscover::Do,
            3 => PmtuDiscover::Probe,
            4 => PmtuDiscover::Interface,
            5 => PmtuDiscover::Omit,
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown PMTU mode {other}"),
                ));
            }
        })
    }
}

/// The error queue, path MTU and corking.
impl UdpSocket {
    /// Queues the kernel's error reports about sent datagrams (ICMP errors, local errors) for
    /// [`recv_error`](Self::recv_error) (`IP_RECVERR`). With it on, unconnected sockets hear ICMP
    /// errors too, and every pending error also fails the next call once (`SO_ERROR`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    #[doc(alias = "IP_RECVERR")]
    pub fn set_recv_err_v4(&self, on: bool) -> io::Result<()> {
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            libc::c_int::from(on),
        )
    }

    /// The IPv6 form of [`set_recv_err_v4`](Self::set_recv_err_v4) (`IPV6_RECVERR`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_RECVERR")]
    pub fn set_recv_err_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_RECVERR")?;
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVERR,
            libc::c_int::from(on),
        )
    }

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

    /// Sets path MTU discovery for IPv4 (`IP_MTU_DISCOVER`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    #[doc(alias = "IP_MTU_DISCOVER")]
    pub fn set_mtu_discover_v4(&self, mode: PmtuDiscover) -> io::Result<()> {
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            mode.value(),
        )
    }

    /// The IPv4 path MTU discovery mode (`IP_MTU_DISCOVER`).
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_MTU_DISCOVER")]
    pub fn mtu_discover_v4(&self) -> io::Result<PmtuDiscover> {
        PmtuDiscover::from_value(sockopt::get_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
        )?)
    }

    /// Sets path MTU discovery for IPv6 (`IPV6_MTU_DISCOVER`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_MTU_DISCOVER")]
    pub fn set_mtu_discover_v6(&self, mode: PmtuDiscover) -> io::Result<()> {
        self.require_v6("IPV6_MTU_DISCOVER")?;
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            IPV6_MTU_DISCOVER,
            mode.value(),
        )
    }

    /// The IPv6 path MTU discovery mode (`IPV6_MTU_DISCOVER`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_MTU_DISCOVER")]
    pub fn mtu_discover_v6(&self) -> io::Result<PmtuDiscover> {
        self.require_v6("IPV6_MTU_DISCOVER")?;
        PmtuDiscover::from_value(sockopt::get_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            IPV6_MTU_DISCOVER,
        )?)
    }

    /// The path MTU in bytes to the connected peer, as the kernel knows it (`IP_MTU`, `IPV6_MTU`).
    ///
    /// # Errors
    /// `NotConnected` when the socket is not connected (the kernel's `ENOTCONN`).
    #[doc(alias = "IP_MTU")]
    #[doc(alias = "IPV6_MTU")]
    pub fn path_mtu(&self) -> io::Result<u32> {
        let peer = self.peer_addr()?;
        let mapped_v4 = matches!(peer, SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some());
        let (level, name) = match peer {
            SocketAddr::V4(_) => (libc::IPPROTO_IP, IP_MTU),
            SocketAddr::V6(_) if mapped_v4 => (libc::IPPROTO_IP, IP_MTU),
            SocketAddr::V6(_) => (libc::IPPROTO_IPV6, IPV6_MTU),
        };
        let mtu = sockopt::get_int(self.as_fd(), level, name)?;
        u32::try_from(mtu)
            .map_err(|_| invalid_input(format!("the kernel reported a path MTU of {mtu}")))
    }

    /// Corks the socket (`UDP_CORK`): every send until it is uncorked goes into one datagram, sent
    /// when `set_cork(false)` is called (udp(7)).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    #[doc(alias = "UDP_CORK")]
    pub fn set_cork(&self, on: bool) -> io::Result<()> {
        sockopt::set_int(self.as_fd(), libc::SOL_UDP, UDP_CORK, libc::c_int::from(on))
    }

    /// Whether the socket is corked (`UDP_CORK`).
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "UDP_CORK")]
    pub fn cork(&self) -> io::Result<bool> {
        Ok(sockopt::get_int(self.as_fd(), libc::SOL_UDP, UDP_CORK)? != 0)
    }
}
