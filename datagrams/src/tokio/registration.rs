//! A socket's registration with tokio's reactor, made the first time one of its operations has to
//! wait (the registration call itself, and what makes it safe, is `sys::reactor`).

use std::io;
use std::os::fd::AsFd;
use std::sync::Mutex;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::sys::reactor::{Fd, Registrable};

/// The socket types the async layer wraps.
pub(crate) trait Socket: AsFd {
    /// `InvalidInput` when no datagram could ever reach the socket (a UDP socket never bound, a Unix
    /// socket with neither name nor peer): a receive that waited would never end.
    fn ensure_receivable(&self) -> io::Result<()>;
}

/// The interests a registration watches: every wait (receive, send, error) uses the one
/// registration, whichever made it.
const INTEREST: Interest = Interest::READABLE.add(Interest::WRITABLE);

/// A socket and its registration with the reactor of the runtime it was made in, made the first
/// time an operation has to wait.
///
/// Why not at once: a registered socket's wait queue holds epoll's entry, so the kernel runs
/// epoll's wakeup for every datagram queued to it and for every sent datagram's buffer it frees,
/// whether or not anything waits. A socket whose operations never have to wait (a sender whose
/// send buffer never fills) never pays that.
///
/// The registration is dropped before the socket closes its descriptor: `Registrable` keeps it
/// in a field dropped before the socket's, and drops it first in `into_inner`.
#[derive(Debug)]
pub(crate) struct Lazy<T> {
    fd: Registrable<T>,
    /// Held while registering: two first waits racing would register the descriptor twice.
    registering: Mutex<()>,
    runtime: tokio::runtime::Handle,
}

impl<T: AsFd> Lazy<T> {
    /// Takes `inner` for the current runtime. The descriptor is registered and deregistered once
    /// here, so that a runtime without I/O fails now (tokio panics), not at a first wait much later.
    ///
    /// # Errors
    /// `Other` when no tokio runtime is current (tokio would panic); otherwise the reactor's error.
    pub(crate) fn new(inner: T) -> io::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            io::Error::other(
                "there is no tokio runtime: create datagrams' async sockets inside one (with I/O enabled)",
            )
        })?;
        let lazy = Lazy {
            fd: Registrable::new(inner),
            registering: Mutex::new(()),
            runtime,
        };
        {
            let _entered = lazy.runtime.enter();
            lazy.fd.probe(INTEREST)?;
        }
        Ok(lazy)
    }

    /// The socket.
    #[inline]
    pub(crate) fn get_ref(&self) -> &T {
        self.fd.owner()
    }

    /// The socket, deregistered.
    pub(crate) fn into_inner(self) -> T {
        self.fd.into_owner()
    }

    /// The registration, if an operation has waited.
    #[inline]
    pub(crate) fn registered(&self) -> Option<&AsyncFd<Fd>> {
        self.fd.registration()
    }

    /// The registration, made now if no operation has waited before.
    ///
    /// # Errors
    /// The reactor's error (the runtime shut down, no room for another registration).
    pub(crate) fn register(&self) -> io::Result<&AsyncFd<Fd>> {
        if let Some(reg) = self.fd.registration() {
            return Ok(reg);
        }
        // A poisoned lock guards nothing: the registration is either kept or was never made.
        let _only = self
            .registering
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _entered = self.runtime.enter();
        self.fd.register(INTEREST)
    }
}
