//! Registering a descriptor with tokio's reactor: `AsyncFd::register_with_interest`, the one
//! `unsafe` call the async layer needs (tokio cannot check that the descriptor stays open, and the
//! same file, while it is registered).
//!
//! [`Registrable`] makes that call safe by construction: it owns the value that owns the
//! descriptor, lends it only by shared reference, and drops every registration before it.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::OnceLock;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// The number of a descriptor a [`Registrable`] owns, as tokio's registration holds it.
#[derive(Debug)]
pub(crate) struct Fd(RawFd);

impl AsRawFd for Fd {
    #[inline]
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// `owner` (a value that owns a descriptor) and at most one kept registration of that descriptor
/// with tokio's reactor.
///
/// The registration names `owner`'s descriptor, which must stay open and name the same file until
/// the registration is gone. Two things guarantee it: `owner` is only ever lent by shared
/// reference (through a `&T`, a sound `AsFd` owner cannot close or replace a descriptor it has
/// lent), and every registration is dropped, which deregisters it, before `owner` is.
#[derive(Debug)]
pub(crate) struct Registrable<T> {
    // SAFETY-critical order: declared (so dropped) before `owner`. Do not move this field below
    // `owner`.
    reg: OnceLock<AsyncFd<Fd>>,
    owner: T,
}

impl<T: AsFd> Registrable<T> {
    /// `owner`, not registered.
    pub(crate) const fn new(owner: T) -> Self {
        Registrable {
            reg: OnceLock::new(),
            owner,
        }
    }

    /// The owner.
    #[inline]
    pub(crate) fn owner(&self) -> &T {
        &self.owner
    }

    /// The owner, after its registration (if any) is dropped.
    pub(crate) fn into_owner(self) -> T {
        let Registrable { reg, owner } = self;
        drop(reg);
        owner
    }

    /// The kept registration, if one was made.
    #[inline]
    pub(crate) fn registration(&self) -> Option<&AsyncFd<Fd>> {
        self.reg.get()
    }

    /// The kept registration, made now, for `interest`, with the reactor of the current tokio
    /// runtime if none was kept before. Two first calls racing each other would make two: the
    /// second fails in the reactor (`EEXIST`), so callers serialise first calls.
    ///
    /// # Errors
    /// The reactor's error (the runtime shut down, no room for another registration).
    ///
    /// # Panics
    /// In tokio, outside a runtime or in one built without I/O.
    pub(crate) fn register(&self, interest: Interest) -> io::Result<&AsyncFd<Fd>> {
        if let Some(reg) = self.reg.get() {
            return Ok(reg);
        }
        let reg = self.registration_now(interest)?;
        Ok(self.reg.get_or_init(|| reg))
    }

    /// Registers the descriptor and deregisters it at once: whether the current runtime can
    /// register it.
    ///
    /// # Errors
    /// As [`register`](Self::register).
    ///
    /// # Panics
    /// As [`register`](Self::register).
    pub(crate) fn probe(&self, interest: Interest) -> io::Result<()> {
        drop(self.registration_now(interest)?);
        Ok(())
    }

    /// A new registration of the owner's descriptor.
    fn registration_now(&self, interest: Interest) -> io::Result<AsyncFd<Fd>> {
        let fd = self.owner.as_fd().as_raw_fd();
        // SAFETY: `fd` is open: `self.owner` owns it and lent it just now. It stays open, naming the
        // same file, for the registration's whole life: `owner` is lent only by `&T`, through which
        // an `AsFd` owner cannot close or replace a descriptor it lent (I/O safety), and `owner` is
        // dropped only after every registration made here, which are dropped (so deregistered)
        // first: the one kept in `reg` by field order and in `into_owner`, the others (`probe`'s,
        // a racing caller's) before this value's `&self` borrow ends. `Fd` returns the same number
        // for its whole life.
        unsafe { AsyncFd::register_with_interest(Fd(fd), interest) }.map_err(io::Error::from)
    }
}
