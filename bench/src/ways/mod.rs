//! The one-way comparison of every way datagrams moves datagrams (send_to/recv_from, batches,
//! GSO/GRO; blocking and async) with its baselines: std, tokio, quinn-udp, and the kernel's limit
//! (the raw loops of [`datagrams_bench::sys`], asking for lengths only or for senders too). A way
//! runs alone with a sender thread racing its receiver ([`run`]) or, the default, every way in one
//! thread, interleaved ([`run_lockstep`]); loss is counted at the receiver and checked against the
//! kernel's own drop counter (`SO_RXQ_OVFL`).
//!
//! Modules, each importing only those above it: [`way`] (the ways), [`lane`] (a way's sockets and
//! calls), the `on_async` macros (an async way's calls), [`threaded`] and [`lockstep`] (the two
//! harnesses).

mod lane;
mod way;
#[macro_use]
mod on_async;
mod lockstep;
mod threaded;

pub(crate) use lockstep::run_lockstep;
pub(crate) use threaded::run;
pub(crate) use way::{Run, Way};
