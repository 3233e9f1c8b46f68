//! Socket options of `UdpSocket`, one `impl` block per level.

use std::io;
use std::os::fd::AsFd;

use super::UdpSocket;
use crate::family::Family;
use crate::util::{check_range, invalid_input};

/// Socket-level options (`SOL_SOCKET`).
impl UdpSocket {
    /// Allows sending to broadcast addresses (`SO_BROADCAST`; Node's `setBroadcast`). Off by default:
    /// a send to a broadcast address fails with `PermissionDenied` (`EACCES`) until it is on.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    #[doc(alias = "SO_BROADCAST")]
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Whether sending to broadcast addresses is allowed (`SO_BROADCAST`).
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_BROADCAST")]
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Allows binding an address in use by other sockets with the option set (`SO_REUSEADDR`; Node's
    /// `reuseAddr`). Set it before binding.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    #[doc(alias = "SO_REUSEADDR")]
    pub fn set_reuse_address(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_address(on)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_REUSEADDR")]
    pub fn reuse_address(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Lets sockets of one user bind the same address and port, the kernel spreading datagrams among
    /// them (`SO_REUSEPORT`; Node's `reusePort`). Set it before binding.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    #[doc(alias = "SO_REUSEPORT")]
    pub fn set_reuse_port(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_port(on)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_REUSEPORT")]
    pub fn reuse_port(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }
}

/// IPv4 options (`IPPROTO_IP`).
impl UdpSocket {
    /// Sets the time-to-live of outgoing unicast datagrams, in hops (`IP_TTL`; Node's `setTTL`, Racket's
    /// `udp-set-ttl!`).
    ///
    /// # Errors
    /// `InvalidInput` outside 1..=255.
    #[doc(alias = "IP_TTL")]
    pub fn set_ttl(&self, hops: u32) -> io::Result<()> {
        let v = check_range("TTL", hops, 1..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IP, libc::IP_TTL, v)
    }

    /// The time-to-live of outgoing unicast datagrams, in hops (`IP_TTL`).
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_TTL")]
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl_v4()
    }

    /// Sets the type-of-service byte of outgoing IPv4 datagrams (`IP_TOS`): DSCP in the upper six bits,
    /// ECN in the lower two (RFC 2474, RFC 3168).
    ///
    /// # Errors
    /// `InvalidInput` above 255.
    #[doc(alias = "IP_TOS")]
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        let v = check_range("TOS", tos, 0..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IP, libc::IP_TOS, v)
    }

    /// The type-of-service byte of outgoing IPv4 datagrams (`IP_TOS`).
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_TOS")]
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.inner.tos_v4()
    }
}

/// IPv6 options (`IPPROTO_IPV6`).
impl UdpSocket {
    /// Sets the hop limit of outgoing unicast IPv6 datagrams (`IPV6_UNICAST_HOPS`; Node's `setTTL` on a
    /// `udp6` socket).
    ///
    /// # Errors
    /// `InvalidInput` above 255 or on an IPv4 socket.
    #[doc(alias = "IPV6_UNICAST_HOPS")]
    pub fn set_unicast_hops_v6(&self, hops: u32) -> io::Result<()> {
        self.require_v6("IPV6_UNICAST_HOPS")?;
        let v = check_range("hop limit", hops, 0..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, v)
    }

    /// The hop limit of outgoing unicast IPv6 datagrams (`IPV6_UNICAST_HOPS`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_UNICAST_HOPS")]
    pub fn unicast_hops_v6(&self) -> io::Result<u32> {
        self.require_v6("IPV6_UNICAST_HOPS")?;
        self.inner.unicast_hops_v6()
    }

    /// Restricts an IPv6 socket to IPv6 (`IPV6_V6ONLY`; Node's `ipv6Only`). Set it before binding.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket, or (the kernel's `EINVAL`) once the socket is bound.
    #[doc(alias = "IPV6_V6ONLY")]
    pub fn set_only_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_V6ONLY")?;
        self.inner.set_only_v6(on)
    }

    /// Whether the socket is restricted to IPv6 (`IPV6_V6ONLY`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_V6ONLY")]
    pub fn only_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_V6ONLY")?;
        self.inner.only_v6()
    }

    /// Sets the traffic class of outgoing IPv6 datagrams (`IPV6_TCLASS`): DSCP and ECN, as `IP_TOS`.
    ///
    /// # Errors
    /// `InvalidInput` above 255 or on an IPv4 socket.
    #[doc(alias = "IPV6_TCLASS")]
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.require_v6("IPV6_TCLASS")?;
        let v = check_range("traffic class", tclass, 0..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_TCLASS, v)
    }

    /// The traffic class of outgoing IPv6 datagrams (`IPV6_TCLASS`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_TCLASS")]
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.require_v6("IPV6_TCLASS")?;
        self.inner.tclass_v6()
    }

    fn require_v6(&self, option: &str) -> io::Result<()> {
        if self.family == Family::V6 {
            Ok(())
        } else {
            Err(invalid_input(format!(
                "{option} applies to IPv6 sockets; this socket is IPv4"
            )))
        }
    }
}
