//! The queue-size ioctls: `FIONREAD` (`SIOCINQ`) and `SIOCOUTQ`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::retry;

/// `ioctl(fd, FIONREAD)`: for a datagram socket, the size in bytes of the next pending datagram (0 when
/// none is queued).
pub(crate) fn bytes_readable(fd: BorrowedFd<'_>) -> io::Result<usize> {
    int_ioctl(fd, libc::FIONREAD)
}

/// `ioctl(fd, SIOCOUTQ)`: bytes in the local send queue not yet sent (or, for UDP, not yet freed).
pub(crate) fn send_queue_size(fd: BorrowedFd<'_>) -> io::Result<usize> {
    // SIOCOUTQ has the value of TIOCOUTQ on Linux.
    int_ioctl(fd, libc::TIOCOUTQ)
}

fn int_ioctl(fd: BorrowedFd<'_>, request: libc::Ioctl) -> io::Result<usize> {
    let mut value: libc::c_int = 0;
    // SAFETY: both requests write one `c_int` through the pointer, which refers to a live `c_int`.
    retry(|| unsafe { libc::ioctl(fd.as_raw_fd(), request, &raw mut value) })?;
    Ok(usize::try_from(value).unwrap_or(0))
}
