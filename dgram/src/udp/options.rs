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

    /// Sets the receive buffer size in bytes (`SO_RCVBUF`; Node's `setRecvBufferSize`, Racket's
    /// `udp-set-receive-buffer-size!`).
    ///
    /// The kernel doubles the value for its bookkeeping, so [`recv_buffer_size`](Self::recv_buffer_size)
    /// then reads twice `bytes` (and at least the kernel's minimum).
    ///
    /// # Errors
    /// `InvalidInput` when `bytes` exceeds the system maximum (`net.core.rmem_max`), with the maximum in
    /// the message: the kernel would silently clamp it, and dgram restores the previous size instead.
    /// Root may go beyond with [`set_recv_buffer_size_force`](Self::set_recv_buffer_size_force).
    #[doc(alias = "SO_RCVBUF")]
    pub fn set_recv_buffer_size(&self, bytes: usize) -> io::Result<()> {
        set_checked_buffer(
            Buffer::Recv,
            bytes,
            || self.recv_buffer_size(),
            |n| self.inner.set_recv_buffer_size(n),
        )
    }

    /// The receive buffer size in bytes as the kernel reports it (`SO_RCVBUF`): twice what was set.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_RCVBUF")]
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        self.inner.recv_buffer_size()
    }

    /// Sets the receive buffer size in bytes beyond `net.core.rmem_max` (`SO_RCVBUFFORCE`).
    ///
    /// # Errors
    /// `PermissionDenied` without `CAP_NET_ADMIN`; `InvalidInput` above `i32::MAX / 2`.
    #[doc(alias = "SO_RCVBUFFORCE")]
    pub fn set_recv_buffer_size_force(&self, bytes: usize) -> io::Result<()> {
        let n = buffer_arg(Buffer::Recv, bytes)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, n)
    }

    /// Sets the send buffer size in bytes (`SO_SNDBUF`; Node's `setSendBufferSize`). The kernel doubles
    /// the value, as for [`set_recv_buffer_size`](Self::set_recv_buffer_size).
    ///
    /// # Errors
    /// `InvalidInput` when `bytes` exceeds `net.core.wmem_max`, naming it (the previous size stays).
    #[doc(alias = "SO_SNDBUF")]
    pub fn set_send_buffer_size(&self, bytes: usize) -> io::Result<()> {
        set_checked_buffer(
            Buffer::Send,
            bytes,
            || self.send_buffer_size(),
            |n| self.inner.set_send_buffer_size(n),
        )
    }

    /// The send buffer size in bytes as the kernel reports it (`SO_SNDBUF`): twice what was set.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_SNDBUF")]
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        self.inner.send_buffer_size()
    }

    /// Sets the send buffer size in bytes beyond `net.core.wmem_max` (`SO_SNDBUFFORCE`).
    ///
    /// # Errors
    /// `PermissionDenied` without `CAP_NET_ADMIN`; `InvalidInput` above `i32::MAX / 2`.
    #[doc(alias = "SO_SNDBUFFORCE")]
    pub fn set_send_buffer_size_force(&self, bytes: usize) -> io::Result<()> {
        let n = buffer_arg(Buffer::Send, bytes)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, n)
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

    /// Takes the pending socket error, clearing it (`SO_ERROR`): for example the `ECONNREFUSED` an ICMP
    /// port unreachable left on a connected socket. `Ok(None)` when there is none.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_ERROR")]
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
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

/// Which of the two socket buffers.
#[derive(Clone, Copy)]
pub(crate) enum Buffer {
    Recv,
    Send,
}

impl Buffer {
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Buffer::Recv => ("receive", "net.core.rmem_max", "set_recv_buffer_size_force"),
            Buffer::Send => ("send", "net.core.wmem_max", "set_send_buffer_size_force"),
        }
    }
}

/// A buffer size as the `int` the kernel takes; the kernel doubles it, so it must stay below half of
/// `i32::MAX`.
pub(crate) fn buffer_arg(which: Buffer, bytes: usize) -> io::Result<libc::c_int> {
    match libc::c_int::try_from(bytes) {
        Ok(n) if n <= libc::c_int::MAX / 2 => Ok(n),
        _ => Err(invalid_input(format!(
            "{} buffer size {bytes} bytes is too large: at most {} bytes",
            which.names().0,
            libc::c_int::MAX / 2
        ))),
    }
}

/// Sets a buffer size and refuses the kernel's silent clamp: if the size read back is below twice the
/// request, the request exceeded the sysctl maximum, so the old size is restored and the error names
/// the maximum.
pub(crate) fn set_checked_buffer(
    which: Buffer,
    bytes: usize,
    get: impl Fn() -> io::Result<usize>,
    set: impl Fn(usize) -> io::Result<()>,
) -> io::Result<()> {
    let n = buffer_arg(which, bytes)? as usize;
    let before = get()?;
    set(n)?;
    let after = get()?;
    if after >= n * 2 {
        return Ok(());
    }
    // Best effort: the previous size was accepted before, so setting half of it again restores it.
    let _ = set(before / 2);
    let (what, sysctl, force) = which.names();
    Err(invalid_input(format!(
        "{what} buffer size {bytes} bytes exceeds the system maximum {sysctl} = {} bytes; raise the sysctl, \
         or use {force} with CAP_NET_ADMIN",
        after / 2
    )))
}
