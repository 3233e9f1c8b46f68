//! The only place with `unsafe` and raw `libc` calls: one file per kernel facility.
//!
//! Every wrapper here retries `EINTR` itself (a signal arriving during a blocking call never surfaces as
//! an error) and never loops on `EAGAIN`/`EWOULDBLOCK`: that is the caller's business. A blocking
//! send or receive on a socket with a timeout is given its deadline: after a signal it waits only for
//! the time left ([`retry_io`]), never the kernel's full timeout again.
#![allow(unsafe_code)]

pub(crate) mod addr;
pub(crate) mod cmsg;
pub(crate) mod consts;
#[cfg(fuzzing)]
pub(crate) mod fuzz;
pub(crate) mod ioctl;
pub(crate) mod mmsg;
pub(crate) mod msg;
#[cfg(feature = "tokio")]
pub(crate) mod reactor;
pub(crate) mod socket;
pub(crate) mod sockopt;

use std::io;
use std::os::fd::{BorrowedFd, IntoRawFd, OwnedFd};
use std::time::Instant;

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

/// When a blocking send or receive gives up in all: the moment its socket's timeout (`SO_RCVTIMEO`,
/// `SO_SNDTIMEO`) runs out, counted from the call's start; `None` without a timeout, or for a call
/// that does not wait.
pub(crate) type Deadline = Option<Instant>;

/// Runs a send or receive syscall on `fd` that may block, retrying `EINTR`.
///
/// `f` gets extra flags for its syscall (0, or `MSG_DONTWAIT`). Without a deadline a signal simply
/// restarts the call. With one, the retry would restart the kernel's whole timeout, so after a
/// signal the wait happens in `poll(2)` for `events` (`POLLIN` or `POLLOUT`) for the time left only,
/// and the call is then made with `MSG_DONTWAIT`; when the time is up the result is `EAGAIN`
/// (`WouldBlock`), as for the kernel's own timeout.
#[inline(always)]
pub(crate) fn retry_io<T: Copy + PartialEq + From<i8>>(
    fd: BorrowedFd<'_>,
    events: libc::c_short,
    deadline: Deadline,
    mut f: impl FnMut(libc::c_int) -> T,
) -> io::Result<T> {
    // The call as it is: the path nearly every call takes, kept small enough to inline into every
    // send and receive (PERF.md, "Deadlines for timeouts").
    let r = f(0);
    if r != T::from(-1) {
        return Ok(r);
    }
    retry_io_after_failure(fd, events, deadline, f)
}

/// [`retry_io`] once the first try failed: the error, or the retries after a signal.
#[cold]
#[inline(never)]
fn retry_io_after_failure<T: Copy + PartialEq + From<i8>>(
    fd: BorrowedFd<'_>,
    events: libc::c_short,
    deadline: Deadline,
    mut f: impl FnMut(libc::c_int) -> T,
) -> io::Result<T> {
    let mut extra = 0;
    // Set when poll(2) reported a hang-up (the read side shut down): one more try takes what is
    // still queued, and then the call is over.
    let mut last = false;
    loop {
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN) if last => return Err(err),
            // Ready by poll(2), but another thread took it first: wait again, within the deadline.
            Some(libc::EAGAIN) if extra != 0 => {}
            _ => return Err(err),
        }
        if let Some(deadline) = deadline {
            // A receive also watches for the read side's shutdown (POLLRDHUP).
            let watch = if events == libc::POLLIN {
                events | libc::POLLRDHUP
            } else {
                events
            };
            let Some(revents) = socket::poll_until(fd, watch, deadline)? else {
                return Err(io::Error::from_raw_os_error(libc::EAGAIN));
            };
            if revents & (libc::POLLHUP | (watch & libc::POLLRDHUP)) != 0 {
                last = true;
                extra = libc::MSG_DONTWAIT;
            } else if revents & events == 0 {
                // An error to report and nothing else (a report on the error queue keeps
                // POLLERR up): poll(2) would return at once again, so wait in the call itself,
                // as without a deadline, rather than spin.
                extra = 0;
            } else {
                extra = libc::MSG_DONTWAIT;
            }
        }
        let r = f(extra);
        if r != T::from(-1) {
            return Ok(r);
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
