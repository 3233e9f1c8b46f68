//! Typed message flags for send and receive calls.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// Flags for one send or receive call (`MSG_*` of `send(2)`/`recv(2)`).
///
/// A flag that has no meaning for the call it is given to (`PEEK` on a send, `MORE` or `DONTROUTE` on
/// a receive) is refused with `InvalidInput`, not silently ignored.
///
/// Combine them with `|`:
/// ```
/// use datagrams::MsgFlags;
/// let f = MsgFlags::PEEK | MsgFlags::DONTWAIT;
/// assert!(f.contains(MsgFlags::PEEK));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MsgFlags(libc::c_int);

impl MsgFlags {
    /// Receive: return the datagram but leave it queued (`MSG_PEEK`).
    #[doc(alias = "MSG_PEEK")]
    pub const PEEK: MsgFlags = MsgFlags(libc::MSG_PEEK);
    /// Send: bypass routing, reach only hosts on a directly attached network (`MSG_DONTROUTE`).
    #[doc(alias = "MSG_DONTROUTE")]
    pub const DONTROUTE: MsgFlags = MsgFlags(libc::MSG_DONTROUTE);
    /// Send or receive: do not block for this call; `WouldBlock` instead (`MSG_DONTWAIT`).
    #[doc(alias = "MSG_DONTWAIT")]
    pub const DONTWAIT: MsgFlags = MsgFlags(libc::MSG_DONTWAIT);
    /// Send: more data follows; the kernel holds the datagram open as `UDP_CORK` would (`MSG_MORE`).
    /// UDP only. The held datagram goes to the destination of its first part: a later send's
    /// destination is not used until it is sent, as udp(7) has it.
    #[doc(alias = "MSG_MORE")]
    pub const MORE: MsgFlags = MsgFlags(libc::MSG_MORE);

    const NAMES: [(MsgFlags, &'static str); 4] = [
        (Self::PEEK, "PEEK"),
        (Self::DONTROUTE, "DONTROUTE"),
        (Self::DONTWAIT, "DONTWAIT"),
        (Self::MORE, "MORE"),
    ];

    /// No flags.
    pub const fn empty() -> MsgFlags {
        MsgFlags(0)
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: MsgFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The raw `MSG_*` bits.
    pub const fn bits(self) -> i32 {
        self.0
    }

    /// The bits for a send call; a receive-only flag (`PEEK`) is refused rather than ignored.
    #[inline]
    pub(crate) fn send_bits(self) -> std::io::Result<libc::c_int> {
        self.only(Self::DONTROUTE.0 | Self::DONTWAIT.0 | Self::MORE.0, "send")
    }

    /// The bits for a Unix send: `DONTWAIT` alone (`MORE` and `DONTROUTE` mean nothing to a Unix
    /// socket, whose kernel ignores them).
    #[inline]
    pub(crate) fn unix_send_bits(self) -> std::io::Result<libc::c_int> {
        self.only(Self::DONTWAIT.0, "Unix send")
    }

    /// The bits for a receive call; a send-only flag (`DONTROUTE`, `MORE`) is refused.
    #[inline]
    pub(crate) fn recv_bits(self) -> std::io::Result<libc::c_int> {
        self.only(Self::PEEK.0 | Self::DONTWAIT.0, "receive")
    }

    #[inline]
    fn only(self, allowed: libc::c_int, call: &str) -> std::io::Result<libc::c_int> {
        if self.0 & !allowed == 0 {
            Ok(self.0)
        } else {
            Err(crate::error::invalid_input(format!(
                "{:?} has no meaning for a {call}",
                MsgFlags(self.0 & !allowed)
            )))
        }
    }
}

impl BitOr for MsgFlags {
    type Output = MsgFlags;
    fn bitor(self, rhs: MsgFlags) -> MsgFlags {
        MsgFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for MsgFlags {
    fn bitor_assign(&mut self, rhs: MsgFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for MsgFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        f.write_str("MsgFlags(")?;
        for (flag, name) in Self::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        f.write_str(")")
    }
}

/// What `SO_TIMESTAMPING` makes the kernel stamp and report (`SOF_TIMESTAMPING_*`, the kernel's
/// `Documentation/networking/timestamping.rst`), for
/// [`UdpSocket::set_timestamping`](crate::UdpSocket::set_timestamping).
///
/// A timestamp needs two flags: one that makes the kernel take it (`RX_SOFTWARE`, `TX_SOFTWARE`,
/// `TX_SCHED`) and `SOFTWARE`, which makes it report software timestamps. Receive timestamps
/// arrive with each datagram ([`RecvMeta::timestamp`](crate::RecvMeta::timestamp)); transmit
/// timestamps arrive on the error queue, one report per sent datagram and stamp
/// ([`UdpSocket::recv_error`](crate::UdpSocket::recv_error) →
/// [`SockError::timestamp`](crate::SockError::timestamp)). Timestamps are `CLOCK_REALTIME` with
/// nanoseconds.
///
/// ```
/// use datagrams::TimestampingFlags as T;
/// let f = T::RX_SOFTWARE | T::TX_SOFTWARE | T::SOFTWARE | T::OPT_ID;
/// assert!(f.contains(T::TX_SOFTWARE | T::OPT_ID));
/// assert_eq!(format!("{f:?}"), "TimestampingFlags(TX_SOFTWARE | RX_SOFTWARE | SOFTWARE | OPT_ID)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimestampingFlags(u32);

impl TimestampingFlags {
    /// Stamp each datagram as it leaves through the device driver (`SOF_TIMESTAMPING_TX_SOFTWARE`);
    /// the report's kind is [`TxTimestampKind::Sent`](crate::TxTimestampKind::Sent).
    #[doc(alias = "SOF_TIMESTAMPING_TX_SOFTWARE")]
    pub const TX_SOFTWARE: TimestampingFlags = TimestampingFlags(1 << 1);
    /// Stamp each datagram as it arrives, before it reaches the socket
    /// (`SOF_TIMESTAMPING_RX_SOFTWARE`).
    #[doc(alias = "SOF_TIMESTAMPING_RX_SOFTWARE")]
    pub const RX_SOFTWARE: TimestampingFlags = TimestampingFlags(1 << 3);
    /// Report software timestamps, receive and transmit (`SOF_TIMESTAMPING_SOFTWARE`).
    #[doc(alias = "SOF_TIMESTAMPING_SOFTWARE")]
    pub const SOFTWARE: TimestampingFlags = TimestampingFlags(1 << 4);
    /// Number the sends: each transmit report carries the number of the send it belongs to
    /// (`SOF_TIMESTAMPING_OPT_ID`, [`TxTimestamp::id`](crate::TxTimestamp::id)). The first send
    /// after the flag is switched on is 0; each send call that queues a datagram counts one (each
    /// datagram of a [`send_batch`](crate::UdpSocket::send_batch); a GSO transmit once, or once
    /// per segment where the device refuses GSO and dgram sends segment by segment).
    #[doc(alias = "SOF_TIMESTAMPING_OPT_ID")]
    pub const OPT_ID: TimestampingFlags = TimestampingFlags(1 << 7);
    /// Stamp each datagram as it enters the packet scheduler, before the device's queue
    /// (`SOF_TIMESTAMPING_TX_SCHED`); the report's kind is
    /// [`TxTimestampKind::Scheduled`](crate::TxTimestampKind::Scheduled).
    #[doc(alias = "SOF_TIMESTAMPING_TX_SCHED")]
    pub const TX_SCHED: TimestampingFlags = TimestampingFlags(1 << 8);
    /// Transmit reports carry the timestamp alone, not a copy of the sent packet
    /// (`SOF_TIMESTAMPING_OPT_TSONLY`): [`SockError::payload`](crate::SockError::payload) is
    /// empty. Without it the payload is the packet as the device saw it, link, IP and UDP headers
    /// included.
    #[doc(alias = "SOF_TIMESTAMPING_OPT_TSONLY")]
    pub const OPT_TSONLY: TimestampingFlags = TimestampingFlags(1 << 11);

    const NAMES: [(TimestampingFlags, &'static str); 6] = [
        (Self::TX_SOFTWARE, "TX_SOFTWARE"),
        (Self::RX_SOFTWARE, "RX_SOFTWARE"),
        (Self::SOFTWARE, "SOFTWARE"),
        (Self::OPT_ID, "OPT_ID"),
        (Self::TX_SCHED, "TX_SCHED"),
        (Self::OPT_TSONLY, "OPT_TSONLY"),
    ];

    /// No flags: timestamping off.
    pub const fn empty() -> TimestampingFlags {
        TimestampingFlags(0)
    }

    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: TimestampingFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The raw `SOF_TIMESTAMPING_*` bits (a value read back from the kernel may hold bits set
    /// outside dgram that have no constant here).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The flags as the kernel reported them (`getsockopt(SO_TIMESTAMPING)`), unknown bits kept.
    pub(crate) const fn from_kernel(bits: u32) -> TimestampingFlags {
        TimestampingFlags(bits)
    }
}

impl BitOr for TimestampingFlags {
    type Output = TimestampingFlags;
    fn bitor(self, rhs: TimestampingFlags) -> TimestampingFlags {
        TimestampingFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for TimestampingFlags {
    fn bitor_assign(&mut self, rhs: TimestampingFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for TimestampingFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Self::NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| (*name).to_string())
            .collect();
        let known = Self::NAMES.iter().fold(0, |bits, (flag, _)| bits | flag.0);
        if self.0 & !known != 0 {
            parts.push(format!("{:#x}", self.0 & !known));
        }
        write!(f, "TimestampingFlags({})", parts.join(" | "))
    }
}
