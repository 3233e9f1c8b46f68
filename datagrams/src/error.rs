//! Errors shared by the socket types: one wording per kind of usage error, and the checks of option
//! values that produce them.

use std::io;

/// An `InvalidInput` error whose message names the bad value.
pub(crate) fn invalid_input(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// Maps the kernel's errors for a send to the closest `ErrorKind` where std leaves them uncategorised:
/// `EDESTADDRREQ` (send on an unconnected socket) becomes `NotConnected`. Every other error keeps its OS
/// code intact.
pub(crate) fn send_error(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(libc::EDESTADDRREQ) => io::Error::new(
            io::ErrorKind::NotConnected,
            "socket is not connected: use send_to, or connect first (EDESTADDRREQ)",
        ),
        _ => wrong_socket_type(e),
    }
}

/// The kernel's `EPROTOTYPE` for a Unix destination that is a socket of another type (a stream
/// socket's path), as `InvalidInput` saying so; std leaves it uncategorised. Any other error as it is.
pub(crate) fn wrong_socket_type(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::EPROTOTYPE) {
        invalid_input("the destination is not a datagram socket (EPROTOTYPE)")
    } else {
        e
    }
}

/// Checks an integer option's range before it reaches the kernel.
pub(crate) fn check_range(
    what: &str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> io::Result<libc::c_int> {
    if range.contains(&value) {
        // The ranges used here all end at or below i32::MAX, so the value fits a c_int.
        Ok(value as libc::c_int)
    } else {
        Err(invalid_input(format!(
            "{what} {value} is out of range: it must be {}..={}",
            range.start(),
            range.end()
        )))
    }
}

/// Refuses a zero timeout, as std does (the kernel would read it as "no timeout"), and rounds a
/// timeout below the kernel's 1 µs resolution up to 1 µs, so it cannot turn into "no timeout" either.
pub(crate) fn check_timeout(
    t: Option<std::time::Duration>,
) -> io::Result<Option<std::time::Duration>> {
    match t {
        Some(d) if d.is_zero() => Err(invalid_input(
            "a zero timeout is invalid: use None for no timeout",
        )),
        Some(d) if d < std::time::Duration::from_micros(1) => {
            Ok(Some(std::time::Duration::from_micros(1)))
        }
        other => Ok(other),
    }
}

/// The error of a receive on a socket shut down for reading (`shutdown(Read)`) with nothing left
/// queued: it will never get anything.
pub(crate) fn shut_down_for_reading() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "socket is shut down for reading (shutdown(Read))",
    )
}
