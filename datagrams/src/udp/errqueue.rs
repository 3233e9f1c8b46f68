//! The kernel's error reports about sent datagrams: the `IP_RECVERR` error queue (`SockError`, ip(7),
//! udp(7)), which also carries transmit timestamps (`SO_TIMESTAMPING`, `TxTimestamp`). The switches
//! (`set_recv_err_v4`/`_v6`, `set_timestamping`) and path MTU discovery (RFC 1191, RFC 8201) are
//! options, in `options.rs`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::SystemTime;

use crate::meta::nonzero_timestamp;
use crate::sys::consts::{SCM_TSTAMP_ACK, SCM_TSTAMP_SCHED, SCM_TSTAMP_SND};
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
    /// A transmit timestamp (`SO_EE_ORIGIN_TIMESTAMPING`, with
    /// [`set_timestamping`](UdpSocket::set_timestamping)): not an error; the report's
    /// [`timestamp`](SockError::timestamp) holds it.
    Timestamping,
    /// Another origin, by number.
    Other(u8),
}

/// One report from the error queue (`recvmsg(MSG_ERRQUEUE)` with `IP_RECVERR`/`IPV6_RECVERR`): what
/// went wrong with a datagram this socket sent, or, with
/// [`set_timestamping`](UdpSocket::set_timestamping), when one left.
///
/// A transmit timestamp is data, not an error: its [`timestamp`](Self::timestamp) is `Some`, its
/// [`origin`](Self::origin) [`ErrorOrigin::Timestamping`] and its `errno` the kernel's
/// placeholder `ENOMSG`; it sets no pending socket error (`SO_ERROR`) and fails no call. Look at
/// `timestamp` before treating a report as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SockError {
    /// The error number (`ee_errno`): `ECONNREFUSED`, `EHOSTUNREACH`, `EMSGSIZE`, ...; `ENOMSG`
    /// for a transmit timestamp.
    pub errno: i32,
    /// Where the report came from.
    pub origin: ErrorOrigin,
    /// The ICMP type (`ee_type`): 3 destination unreachable, 11 time exceeded (ICMPv6: 1, 2, 3).
    pub icmp_type: u8,
    /// The ICMP code (`ee_code`): for type 3, 3 port unreachable and 4 fragmentation needed.
    pub icmp_code: u8,
    /// Extra information (`ee_info`): the path MTU in bytes for "fragmentation needed" and
    /// "packet too big", and for a local `EMSGSIZE`; for a transmit timestamp, its kind
    /// (`SCM_TSTAMP_*`, typed in [`TxTimestamp::kind`]).
    pub info: u32,
    /// The host that sent the report (`SO_EE_OFFENDER`): a router, or the destination itself.
    pub offender: Option<SocketAddr>,
    /// The destination the failed datagram was sent to (`None` for a transmit timestamp: the
    /// kernel reports none).
    pub destination: Option<SocketAddr>,
    /// The head of the failed datagram (its UDP payload), as the kernel returned it, at most 512
    /// bytes. For a transmit timestamp: empty with
    /// [`OPT_TSONLY`](crate::TimestampingFlags::OPT_TSONLY), else the packet as the device saw it,
    /// link, IP and UDP headers included (so the datagram's bytes are its tail).
    pub payload: Vec<u8>,
    /// The transmit timestamp this report carries (`SCM_TIMESTAMPING` beside a
    /// `SO_EE_ORIGIN_TIMESTAMPING` report); `None` for an error.
    pub timestamp: Option<TxTimestamp>,
}

/// When a datagram this socket sent passed a point on its way out (`SO_TIMESTAMPING`,
/// the kernel's `Documentation/networking/timestamping.rst`): one report on the error queue per
/// datagram and kind asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TxTimestamp {
    /// The number of the send it belongs to, with
    /// [`OPT_ID`](crate::TimestampingFlags::OPT_ID) (`ee_data`): 0 for the first send after the
    /// flag was switched on, counting each send as that flag says. 0 for every report without it.
    pub id: u32,
    /// Where on the way out it was taken (`ee_info`).
    pub kind: TxTimestampKind,
    /// The software timestamp (`ts[0]` of `struct scm_timestamping`), wall clock
    /// (`CLOCK_REALTIME`), nanoseconds; `None` if the kernel reported none (without
    /// [`SOFTWARE`](crate::TimestampingFlags::SOFTWARE)).
    pub software: Option<SystemTime>,
    /// The raw hardware timestamp (`ts[2]`), by the network card's clock, where the card and the
    /// socket's flags provide one.
    pub hardware: Option<SystemTime>,
}

/// Where a transmit timestamp was taken (`ee_info`: `SCM_TSTAMP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TxTimestampKind {
    /// Handed to the device driver (`SCM_TSTAMP_SND`,
    /// [`TX_SOFTWARE`](crate::TimestampingFlags::TX_SOFTWARE)).
    Sent,
    /// Entered the packet scheduler (`SCM_TSTAMP_SCHED`,
    /// [`TX_SCHED`](crate::TimestampingFlags::TX_SCHED)).
    Scheduled,
    /// Acknowledged by the peer (`SCM_TSTAMP_ACK`; TCP only, never on a UDP socket).
    Acked,
    /// Another kind, by number.
    Other(u32),
}

impl TxTimestampKind {
    fn from_info(info: u32) -> TxTimestampKind {
        match info {
            SCM_TSTAMP_SND => TxTimestampKind::Sent,
            SCM_TSTAMP_SCHED => TxTimestampKind::Scheduled,
            SCM_TSTAMP_ACK => TxTimestampKind::Acked,
            other => TxTimestampKind::Other(other),
        }
    }
}

impl SockError {
    /// The error as an `io::Error`, with its OS code (so `kind()` is `ConnectionRefused`, ...).
    pub fn to_io_error(&self) -> io::Error {
        io::Error::from_raw_os_error(self.errno)
    }
}

impl fmt::Display for SockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = &self.timestamp {
            write!(f, "transmit timestamp ({:?}) of send {}", t.kind, t.id)?;
            if let Some(at) = t
                .software
                .and_then(|s| s.duration_since(SystemTime::UNIX_EPOCH).ok())
            {
                write!(f, " at {}.{:09}", at.as_secs(), at.subsec_nanos())?;
            }
            return Ok(());
        }
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
    /// The queue holds errors (with `IP_RECVERR`/`IPV6_RECVERR` on) and transmit timestamps (with
    /// [`set_timestamping`](Self::set_timestamping)), in the order they happened; a timestamp
    /// comes as a report whose [`timestamp`](SockError::timestamp) is `Some`.
    ///
    /// # Errors
    /// What `recvmsg(2)` reports other than an empty queue; `InvalidData` for a message without
    /// the kernel's report (`sock_extended_err`) in it.
    ///
    /// # Examples
    /// Transmit timestamps, matched to their sends by number:
    /// ```
    /// use datagrams::{TimestampingFlags as T, TxTimestampKind, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_timestamping(T::TX_SOFTWARE | T::SOFTWARE | T::OPT_ID | T::OPT_TSONLY)?;
    /// tx.send_to(b"first", rx.local_addr()?)?;
    /// tx.send_to(b"second", rx.local_addr()?)?;
    /// // On loopback the reports are queued before send_to returns.
    /// for want in [0, 1] {
    ///     let report = tx.recv_error()?.expect("a report per datagram");
    ///     let stamp = report.timestamp.expect("a timestamp, not an error");
    ///     assert_eq!((stamp.id, stamp.kind), (want, TxTimestampKind::Sent));
    ///     assert!(stamp.software.is_some());
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "MSG_ERRQUEUE")]
    #[doc(alias = "SCM_TIMESTAMPING")]
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
        let mut stamps = None;
        for c in cmsg::iter(&control.0[..out.control_len]) {
            match c.decode() {
                cmsg::Value::ExtErr(e) => report = Some(e),
                cmsg::Value::Timestamping { software, hardware } => {
                    stamps = Some((software, hardware))
                }
                _ => {}
            }
        }
        let Some(e) = report else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an error-queue message without IP_RECVERR data",
            ));
        };
        // An error report may carry `SCM_TIMESTAMPING` too (when the ICMP message arrived); only a
        // report of origin timestamping is a transmit timestamp. Without `SOFTWARE` (or a hardware
        // report flag) the kernel sends such a report without the stamps: still not an error.
        let is_stamp = e.origin == libc::SO_EE_ORIGIN_TIMESTAMPING;
        let timestamp = is_stamp.then(|| {
            let (software, hardware) = stamps.unwrap_or(((0, 0), (0, 0)));
            TxTimestamp {
                id: e.data,
                kind: TxTimestampKind::from_info(e.info),
                software: nonzero_timestamp(software),
                hardware: nonzero_timestamp(hardware),
            }
        });
        Ok(Some(SockError {
            errno: e.errno,
            origin: match e.origin {
                libc::SO_EE_ORIGIN_LOCAL => ErrorOrigin::Local,
                libc::SO_EE_ORIGIN_ICMP => ErrorOrigin::Icmp,
                libc::SO_EE_ORIGIN_ICMP6 => ErrorOrigin::Icmp6,
                libc::SO_EE_ORIGIN_TIMESTAMPING => ErrorOrigin::Timestamping,
                other => ErrorOrigin::Other(other),
            },
            icmp_type: e.kind,
            icmp_code: e.code,
            info: e.info,
            offender: e.offender,
            // The kernel names no destination for a timestamp (whatever the address holds).
            destination: if is_stamp { None } else { dest.socket_addr() },
            payload: payload[..out.ret.min(payload.len())].to_vec(),
            timestamp,
        }))
    }
}
