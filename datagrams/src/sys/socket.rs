//! The socket's names and association: `bind(2)`, `connect(2)`, `getsockname(2)`, `getpeername(2)`,
//! `poll(2)` for a shut-down read side, and [`Lent`], a value around a borrowed descriptor.

use std::io;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::time::Instant;

use super::addr::RawAddr;
use super::retry;

/// `getsockname(2)`.
pub(crate) fn local_addr(fd: BorrowedFd<'_>) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: `a` is a live buffer whose `len` is its capacity; the kernel writes at most that much.
    retry(|| unsafe { libc::getsockname(fd.as_raw_fd(), a.as_mut_ptr(), &raw mut a.len) })?;
    // The kernel reports the full length, which may be more than it wrote (a truncated name).
    let reported = a.len;
    a.set_received_len(reported);
    Ok(a)
}

/// `getpeername(2)`.
pub(crate) fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: as for `local_addr`.
    retry(|| unsafe { libc::getpeername(fd.as_raw_fd(), a.as_mut_ptr(), &raw mut a.len) })?;
    let reported = a.len;
    a.set_received_len(reported);
    Ok(a)
}

/// `bind(2)`.
pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: `addr` points at a live `RawAddr` whose `len` does not exceed its storage.
    retry(|| unsafe { libc::bind(fd.as_raw_fd(), addr.as_ptr(), addr.len) }).map(drop)
}

/// `connect(2)`; with [`RawAddr::unspec`] it dissolves a datagram association.
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: `addr` points at a live `RawAddr` whose `len` does not exceed its storage. A datagram
    // connect completes at once, so retrying after `EINTR` cannot race an in-progress connection.
    retry(|| unsafe { libc::connect(fd.as_raw_fd(), addr.as_ptr(), addr.len) }).map(drop)
}

/// Whether the read side of the socket is shut down (`poll(2)` reports `POLLRDHUP` at once).
pub(crate) fn read_shut_down(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: `p` is one live pollfd and the count says 1; a zero timeout never blocks.
    retry(|| unsafe { libc::poll(&raw mut p, 1, 0) })?;
    Ok(p.revents & libc::POLLRDHUP != 0)
}

/// Waits with `poll(2)` until `fd` is ready for `events` (or has an error or hang-up to report), or
/// until `deadline`; a signal is waited through, for the time left. Returns what `poll` reported
/// (`revents`), or `None` once the deadline has passed.
pub(crate) fn poll_until(
    fd: BorrowedFd<'_>,
    events: libc::c_short,
    deadline: Instant,
) -> io::Result<Option<libc::c_short>> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        // Rounded up to a whole millisecond, so that a wait never ends before the deadline.
        let ms = left
            .as_nanos()
            .div_ceil(1_000_000)
            .min(libc::c_int::MAX as u128) as libc::c_int;
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events,
            revents: 0,
        };
        // SAFETY: `p` is one live pollfd and the count says 1.
        let r = unsafe { libc::poll(&raw mut p, 1, ms) };
        match r {
            -1 => {
                let e = io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::EINTR) {
                    return Err(e);
                }
            }
            0 => {}
            _ => return Ok(Some(p.revents)),
        }
    }
}

/// What a descriptor is, as far as sockets go: `SO_DOMAIN`, `SO_TYPE`, `SO_PROTOCOL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    pub(crate) domain: libc::c_int,
    pub(crate) ty: libc::c_int,
    pub(crate) protocol: libc::c_int,
}

/// The kind of socket `fd` is.
///
/// # Errors
/// `InvalidInput` when `fd` is not a socket (the kernel's `ENOTSOCK`); what `getsockopt(2)`
/// reports otherwise.
pub(crate) fn kind(fd: BorrowedFd<'_>) -> io::Result<Kind> {
    let get = |name| {
        super::sockopt::get_int(fd, libc::SOL_SOCKET, name).map_err(|e| {
            if e.raw_os_error() == Some(libc::ENOTSOCK) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the descriptor is not a socket (ENOTSOCK)",
                )
            } else {
                e
            }
        })
    };
    Ok(Kind {
        domain: get(libc::SO_DOMAIN)?,
        ty: get(libc::SO_TYPE)?,
        protocol: get(libc::SO_PROTOCOL)?,
    })
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let domain = match self.domain {
            libc::AF_INET => "AF_INET".to_string(),
            libc::AF_INET6 => "AF_INET6".to_string(),
            libc::AF_UNIX => "AF_UNIX".to_string(),
            libc::AF_NETLINK => "AF_NETLINK".to_string(),
            libc::AF_PACKET => "AF_PACKET".to_string(),
            d => format!("domain {d}"),
        };
        let ty = match self.ty {
            libc::SOCK_DGRAM => "SOCK_DGRAM".to_string(),
            libc::SOCK_STREAM => "SOCK_STREAM".to_string(),
            libc::SOCK_SEQPACKET => "SOCK_SEQPACKET".to_string(),
            libc::SOCK_RAW => "SOCK_RAW".to_string(),
            t => format!("type {t}"),
        };
        let protocol = match (self.domain, self.protocol) {
            (libc::AF_INET | libc::AF_INET6, libc::IPPROTO_UDP) => "IPPROTO_UDP".to_string(),
            (libc::AF_INET | libc::AF_INET6, libc::IPPROTO_TCP) => "IPPROTO_TCP".to_string(),
            (libc::AF_INET | libc::AF_INET6, libc::IPPROTO_UDPLITE) => {
                "IPPROTO_UDPLITE".to_string()
            }
            (libc::AF_INET, libc::IPPROTO_ICMP) => "IPPROTO_ICMP".to_string(),
            (libc::AF_INET6, libc::IPPROTO_ICMPV6) => "IPPROTO_ICMPV6".to_string(),
            (_, 0) => return write!(f, "a {domain} {ty} socket"),
            (_, p) => format!("protocol {p}"),
        };
        write!(f, "a {domain} {ty} {protocol} socket")
    }
}

/// A value made around a descriptor it only borrows (a `UdpSocket` over the caller's std or tokio
/// socket): it derefs to the value and never closes the descriptor. Dropping it gives the
/// descriptor back, open, and drops the rest of the value.
pub(crate) struct Lent<'a, T: Into<OwnedFd>> {
    /// Taken out only by `Drop`.
    value: ManuallyDrop<T>,
    _fd: PhantomData<BorrowedFd<'a>>,
}

impl<'a, T: Into<OwnedFd>> Lent<'a, T> {
    /// The value `make` builds around `fd`, given as an `OwnedFd` that must end up inside the value
    /// (not closed, not duplicated): `make` should be a plain construction. A panic in it aborts
    /// the process, as unwinding would close the caller's descriptor.
    pub(crate) fn new(fd: BorrowedFd<'a>, make: impl FnOnce(OwnedFd) -> T) -> Self
    where
        T: std::os::fd::AsFd,
    {
        let raw = fd.as_raw_fd();
        // SAFETY: `fd` is open for `'a`, which this value cannot outlive (`_fd`). The `OwnedFd` goes
        // into the value, which lives in a `ManuallyDrop`; `Drop` takes it out and gives the
        // descriptor back with `into_raw_fd`, which does not close it. So it is never closed
        // through this `OwnedFd` (a panic in `make` aborts rather than drop it), and the caller's
        // ownership is intact when the borrow ends.
        let owned = unsafe { OwnedFd::from_raw_fd(raw) };
        let guard = AbortOnUnwind;
        let value = make(owned);
        std::mem::forget(guard);
        debug_assert_eq!(
            value.as_fd().as_raw_fd(),
            raw,
            "the value must hold the lent descriptor itself"
        );
        Lent {
            value: ManuallyDrop::new(value),
            _fd: PhantomData,
        }
    }
}

/// Aborts the process if dropped while unwinding: a lent descriptor must never be closed by the
/// unwind of a panic that cannot happen (see [`Lent::new`]).
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        std::process::abort();
    }
}

impl<T: Into<OwnedFd>> std::ops::Deref for Lent<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Into<OwnedFd>> Drop for Lent<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `value` is initialised until here and never used again: this is the one place
        // that takes it.
        let value = unsafe { ManuallyDrop::take(&mut self.value) };
        // The descriptor goes back to its owner, open; the rest of the value drops.
        let _open = value.into().into_raw_fd();
    }
}
