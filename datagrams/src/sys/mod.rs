//! The only place with `unsafe` and raw `libc` calls: one file per kernel facility.
//!
//! Every wrapper here retries `EINTR` itself (a signal arriving during a blocking call never surfaces as
//! an error) and never loops on `EAGAIN`/`EWOULDBLOCK`: that is the caller's business.
#![allow(unsafe_code)]

pub(crate) mod addr;
#[cfg(feature = "tokio")]
pub(crate) mod asyncfd;
pub(crate) mod cmsg;
pub(crate) mod ioctl;
pub(crate) mod msg;
pub(crate) mod sockopt;

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd};

/// Runs a syscall returning `-1` on error, retrying while it fails with `EINTR`.
#[inline]
pub(crate) fn retry<T: Copy + PartialEq + From<i8>>(mut f: impl FnMut() -> T) -> io::Result<T> {
    loop {
        let r = f();
        if r != T::from(-1) {
            return Ok(r);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

/// Closes `fd` with `close(2)` and reports its error, which `Drop` of an `OwnedFd` swallows.
///
/// `EINTR` is not retried: on Linux the descriptor is released even when `close` reports `EINTR`, and a
/// retry could close a descriptor that another thread has just been given.
pub(crate) fn close(fd: OwnedFd) -> io::Result<()> {
    let raw = fd.into_raw_fd();
    // SAFETY: `raw` came from an `OwnedFd` whose ownership `into_raw_fd` handed to us; nothing else
    // closes it, and we never use it again after this call.
    let r = unsafe { libc::close(raw) };
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The calling process's `(pid, uid, gid)`.
pub(crate) fn process_cred() -> (i32, u32, u32) {
    // SAFETY: getpid, getuid and getgid take no arguments, cannot fail and touch no memory of ours.
    unsafe { (libc::getpid(), libc::getuid(), libc::getgid()) }
}
