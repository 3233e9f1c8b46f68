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
