//! Measurement of the `datagrams` crate, kept outside it. This library holds what the `dgram-bench`
//! binary, the criterion benches and the examples of this package share: the raw-syscall loops (the
//! kernel's limit) they compare datagrams with ([`sys`]), and the set-up of an async receiver as it is
//! in use ([`wait_once`], [`async_pair`]). Unpublished; nothing here is datagrams' API.
#![cfg(target_os = "linux")]

pub mod sys;

use std::io;
use std::time::Duration;

use tokio::runtime::Runtime;

/// Makes a datagrams async socket wait once (1 ms, for nothing) on `rt`. datagrams registers a
/// socket with tokio's reactor the first time an operation on it has to wait; a receiver that has
/// never waited is no real receiver's state, and one that always finds its datagram queued (as in a
/// benchmark that sends, then receives) would never wait. After this it pays the kernel's epoll
/// wakeup for every datagram queued, as any receiver does, and its receives take the registered
/// path.
pub fn wait_once(rt: &Runtime, s: &datagrams::tokio::UdpSocket) {
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(1), s.readable()).await;
    });
}

/// A current-thread runtime and two datagrams async sockets bound to loopback on it: a sender as
/// datagrams leaves one whose sends never wait (out of tokio's epoll), and a receiver registered by
/// [`wait_once`], as any receiver is after its first wait.
///
/// # Errors
/// What building the runtime or binding the sockets reports.
pub fn async_pair() -> io::Result<(
    Runtime,
    datagrams::tokio::UdpSocket,
    datagrams::tokio::UdpSocket,
)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let bind = || rt.block_on(datagrams::tokio::UdpSocket::bind("127.0.0.1:0"));
    let (tx, rx) = (bind()?, bind()?);
    wait_once(&rt, &rx);
    Ok((rt, tx, rx))
}
