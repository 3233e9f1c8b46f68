//! The message path shared by every socket type: `sendto`/`recvfrom` for one buffer, and the generic
//! `sendmsg(2)`/`recvmsg(2)` with scatter/gather buffers, an address and a control buffer.
//!
//! `UdpSocket` and `UnixDatagram` both call these; nothing above `sys` issues a send or receive syscall.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;

use super::addr::RawAddr;
use super::retry;

/// What `recvmsg(2)` reported besides the data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MsgOut {
    /// The syscall's return value: with `MSG_TRUNC` in the flags, the datagram's full length.
    pub(crate) ret: usize,
    /// `msg_flags` on return (`MSG_TRUNC`, `MSG_CTRUNC`, `MSG_ERRQUEUE`, ...).
    pub(crate) flags: libc::c_int,
    /// How many bytes of the control buffer the kernel filled (clamped to the buffer).
    #[allow(dead_code)] // read by the control-message decoder (issues 3 and 5)
    pub(crate) control_len: usize,
}

/// `sendto(2)` of one buffer; `MSG_NOSIGNAL` is always added so a shut-down peer gives `EPIPE`, not
/// `SIGPIPE`.
#[inline]
pub(crate) fn send_to(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    to: Option<&RawAddr>,
    flags: libc::c_int,
) -> io::Result<usize> {
    let (addr, len) = match to {
        Some(a) => (a.as_ptr(), a.len),
        None => (ptr::null(), 0),
    };
    retry(|| {
        // SAFETY: `buf` is valid for `buf.len()` bytes of reading; `addr` is null with length 0 or
        // points at a live `RawAddr` whose `len` does not exceed its storage.
        unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                flags | libc::MSG_NOSIGNAL,
                addr,
                len,
            )
        }
    })
    .map(|n| n as usize)
}

/// `recvfrom(2)` into one buffer, filling `from` when given. Returns the syscall's value: the bytes
/// written, or the datagram's full length when `flags` holds `MSG_TRUNC`.
#[inline]
pub(crate) fn recv_from(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    from: Option<&mut RawAddr>,
    flags: libc::c_int,
) -> io::Result<usize> {
    let (addr, len) = match from {
        Some(a) => (a.as_mut_ptr(), &raw mut a.len),
        None => (ptr::null_mut(), ptr::null_mut()),
    };
    retry(|| {
        // SAFETY: `buf` is valid for `buf.len()` bytes of writing; `addr`/`len` are both null or point
        // at a live `RawAddr` whose `len` is its storage's capacity, which the kernel never exceeds.
        unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                flags,
                addr,
                len,
            )
        }
    })
    .map(|n| n as usize)
}

/// `sendmsg(2)`: gather `bufs`, to `to` (or the connected peer), with `control` as ancillary data
/// (empty for none). `MSG_NOSIGNAL` is always added.
pub(crate) fn sendmsg(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    to: Option<&RawAddr>,
    control: &[u8],
    flags: libc::c_int,
) -> io::Result<usize> {
    // SAFETY: `msghdr` is plain old data: all-zero bytes are valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(a) = to {
        msg.msg_name = a.as_ptr().cast_mut().cast();
        msg.msg_namelen = a.len;
    }
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads through it.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast();
    msg.msg_iovlen = bufs.len();
    if !control.is_empty() {
        msg.msg_control = control.as_ptr().cast_mut().cast();
        msg.msg_controllen = control.len();
    }
    retry(|| {
        // SAFETY: every pointer in `msg` refers to memory borrowed for this call (`bufs`, `to`,
        // `control`) with the matching length; `sendmsg` only reads through them.
        unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, flags | libc::MSG_NOSIGNAL) }
    })
    .map(|n| n as usize)
}

/// `recvmsg(2)`: scatter into `bufs`, fill `from` when given and `control` with ancillary data.
/// `MSG_CMSG_CLOEXEC` is always added, so received descriptors are close-on-exec.
pub(crate) fn recvmsg(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    from: Option<&mut RawAddr>,
    control: &mut [u8],
    flags: libc::c_int,
) -> io::Result<MsgOut> {
    // SAFETY: `msghdr` is plain old data: all-zero bytes are valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let from_len = match from {
        Some(a) => {
            msg.msg_name = a.as_mut_ptr().cast();
            msg.msg_namelen = a.len;
            Some(&mut a.len)
        }
        None => None,
    };
    // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
    msg.msg_iov = bufs.as_mut_ptr().cast();
    msg.msg_iovlen = bufs.len();
    if !control.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
    }
    let ret = retry(|| {
        // SAFETY: every pointer in `msg` refers to memory exclusively borrowed for this call with the
        // matching capacity; the kernel writes at most that much through each.
        unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, flags | libc::MSG_CMSG_CLOEXEC) }
    })?;
    if let Some(len) = from_len {
        *len = msg.msg_namelen;
    }
    Ok(MsgOut {
        ret: ret as usize,
        flags: msg.msg_flags,
        control_len: msg.msg_controllen.min(control.len()),
    })
}

/// `getsockname(2)`.
pub(crate) fn local_addr(fd: BorrowedFd<'_>) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: `a` is a live buffer whose `len` is its capacity; the kernel writes at most that much.
    retry(|| unsafe { libc::getsockname(fd.as_raw_fd(), a.as_mut_ptr(), &raw mut a.len) })?;
    Ok(a)
}

/// `getpeername(2)`.
pub(crate) fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: as for `local_addr`.
    retry(|| unsafe { libc::getpeername(fd.as_raw_fd(), a.as_mut_ptr(), &raw mut a.len) })?;
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
