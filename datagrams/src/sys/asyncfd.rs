//! Registering a dgram socket with tokio's reactor (`AsyncFd::register_with_interest`, which is
//! `unsafe` because tokio cannot check that the descriptor stays the same), on demand: the first
//! time an operation on the socket has to wait.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Mutex, OnceLock};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// The socket types that own their descriptor for their whole life: `as_raw_fd` always returns the
/// same, open descriptor until the value is dropped or taken apart.
pub(crate) trait OwnsFd: AsRawFd {
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

/// The descriptor number of a socket a [`Lazy`] owns, as tokio's registration holds it.
#[derive(Debug)]
pub(crate) struct Fd(RawFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// The interests a registration watches: every wait (receive, send, error) uses the one
/// registration, whichever made it.
const INTEREST: Interest = Interest::READABLE.add(Interest::WRITABLE);

/// A socket and its registration with the reactor of the runtime it was made in, made the first
/// time an operation has to wait.
///
/// Why not at once: a registered socket's wait queue holds epoll's entry, so the kernel runs
/// epoll's wakeup for every datagram queued to it and for every sent datagram's buffer it frees
/// (`sock_def_readable`, `sock_wfree`), whether or not anything waits. A socket whose operations
/// never have to wait (a sender whose send buffer never fills) never pays that.
#[derive(Debug)]
pub(crate) struct Lazy<T: OwnsFd> {
    // SAFETY-critical order: declared (so dropped) before `inner`. The registration refers to
    // `inner`'s descriptor, which must stay open until the registration is gone; do not move this
    // field below `inner`.
    reg: OnceLock<AsyncFd<Fd>>,
    /// Held while registering: two first waits racing would register the descriptor twice.
    registering: Mutex<()>,
    runtime: tokio::runtime::Handle,
    inner: T,
}

impl<T: OwnsFd> Lazy<T> {
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
            reg: OnceLock::new(),
            registering: Mutex::new(()),
            runtime,
            inner,
        };
        drop(lazy.registration()?);
        Ok(lazy)
    }

    /// A registration of `inner`'s descriptor with the runtime's reactor.
    fn registration(&self) -> io::Result<AsyncFd<Fd>> {
        let _entered = self.runtime.enter();
        // SAFETY: the descriptor belongs to `self.inner` (`T: OwnsFd`: it stays open and the same
        // for `inner`'s life). Every registration made here is dropped, which deregisters it,
        // before `inner` closes the descriptor: the probe in `new` at once, the one kept in
        // `self.reg` because that field is dropped before `inner` and `into_inner` drops it first.
        unsafe { AsyncFd::register_with_interest(Fd(self.inner.as_raw_fd()), INTEREST) }
            .map_err(io::Error::from)
    }

    /// The socket.
    #[inline]
    pub(crate) fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The socket, deregistered.
    pub(crate) fn into_inner(self) -> T {
        let Lazy { reg, inner, .. } = self;
        drop(reg);
        inner
    }

    /// The registration, if an operation has waited.
    #[inline]
    pub(crate) fn registered(&self) -> Option<&AsyncFd<Fd>> {
        self.reg.get()
    }

    /// The registration, made now if no operation has waited before.
    ///
    /// # Errors
    /// The reactor's error (the runtime shut down, no room for another registration).
    pub(crate) fn register(&self) -> io::Result<&AsyncFd<Fd>> {
        if let Some(reg) = self.reg.get() {
            return Ok(reg);
        }
        // A poisoned lock guards nothing: the registration is either in `reg` or was never made.
        let _only = self
            .registering
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(reg) = self.reg.get() {
            return Ok(reg);
        }
        let reg = self.registration()?;
        Ok(self.reg.get_or_init(|| reg))
    }
}
