//! Registering a dgram socket with tokio's reactor (`AsyncFd::register_with_interest`, which is
//! `unsafe` because tokio cannot check that the descriptor stays the same).

use std::io;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// The socket types that own their descriptor for their whole life: `as_raw_fd` always returns the
/// same, open descriptor until the value is dropped or taken apart.
pub(crate) trait OwnsFd: std::os::fd::AsRawFd {
    /// `InvalidInput` when no datagram could ever reach the socket (a UDP socket never bound, a Unix
    /// socket with neither name nor peer): a receive that waited would never end.
    fn ensure_receivable(&self) -> io::Result<()>;
}

impl OwnsFd for crate::UdpSocket {
    #[inline]
    fn ensure_receivable(&self) -> io::Result<()> {
        self.ensure_bound()
    }
}

impl OwnsFd for crate::UnixDatagram {
    #[inline]
    fn ensure_receivable(&self) -> io::Result<()> {
        crate::UnixDatagram::ensure_receivable(self)
    }
}

/// Registers `inner` with the current runtime's reactor.
///
/// # Errors
/// `Other` when no tokio runtime is current (tokio would panic); otherwise the reactor's error.
pub(crate) fn register<T: OwnsFd>(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(io::Error::other(
            "there is no tokio runtime: create dgram's async sockets inside one (with I/O enabled)",
        ));
    }
    // SAFETY: `T: OwnsFd` owns its descriptor (a `socket2::Socket` field) for as long as it lives and
    // returns that same descriptor from every `as_raw_fd` call; the `AsyncFd` owns `inner`, so the
    // descriptor stays open and unchanged until the `AsyncFd` is dropped or `into_inner` returns it.
    unsafe { AsyncFd::register_with_interest(inner, interest) }.map_err(io::Error::from)
}
