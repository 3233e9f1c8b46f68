//! What registering a socket with epoll costs a batch, with no async code in the way: the blocking
//! `send_batch`/`recv_batch` pair against dgram's async pair (both of its sockets registered, as
//! after a first wait), interleaved in 1 ms turns on one thread, optionally with the blocking pair's
//! sockets registered in the same runtime's epoll too
//! (through a duplicate descriptor that nothing reads). With both registered, the two run at the same
//! speed: the async layer's cost on batches is the kernel's wakeup of the epoll entry for every
//! datagram queued (receiver) and every send buffer freed (sender), which tokio's sockets pay alike.
//!
//! GSO/GRO steps of 64 datagrams of 64 bytes (`gso`) take one wakeup on each side per step. What it
//! measured is in `PERF.md`.
//!
//! ```sh
//! cargo run --release -p datagrams-bench --example epoll_cost -- 3 none   # async vs blocking as they are
//! cargo run --release -p datagrams-bench --example epoll_cost -- 3 both   # blocking pair registered too
//! cargo run --release -p datagrams-bench --example epoll_cost -- 3 rx     # only its receiver (or: tx)
//! cargo run --release -p datagrams-bench --example epoll_cost -- 3 both gso # GSO/GRO steps of 64 x 64 B
//! cargo run --release -p datagrams-bench --example epoll_cost -- 3 none gso bypass # the async pair's
//! #   registered sockets driven by the blocking calls with DONTWAIT: no tokio call at all
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{ErrorKind, IoSliceMut};
use std::time::{Duration, Instant};

use datagrams::{MAX_BATCH, RecvMeta, Transmit, UdpSocket};

fn main() {
    let secs: f64 = std::env::args().nth(1).map_or(3.0, |s| s.parse().unwrap());
    let which = std::env::args().nth(2).unwrap_or_else(|| "none".into());
    let gso = std::env::args().nth(3).is_some_and(|w| w == "gso");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pair = || {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = b.local_addr().unwrap();
        (a, b, to)
    };
    let (a, b, to) = pair();
    let (a2, b2, to2) = pair();
    let entered = rt.enter();
    let async_tx = datagrams::tokio::UdpSocket::new(a2).unwrap();
    let async_rx = datagrams::tokio::UdpSocket::new(b2).unwrap();
    // Registrations of the blocking pair (they make its descriptors non-blocking: the loop below
    // spins on WouldBlock, which loopback never reports in practice).
    let register =
        |s: &UdpSocket| datagrams::tokio::UdpSocket::new(s.try_clone().unwrap()).unwrap();
    let _tx_reg = matches!(which.as_str(), "tx" | "both").then(|| register(&a));
    let _rx_reg = matches!(which.as_str(), "rx" | "both").then(|| register(&b));
    drop(entered);
    // dgram registers a socket with epoll the first time an operation on it has to wait, and none
    // would here: a readiness wait registers each, as a receiver's first wait would.
    rt.block_on(async {
        for s in [
            Some(&async_tx),
            Some(&async_rx),
            _tx_reg.as_ref(),
            _rx_reg.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            s.writable().await.unwrap();
        }
    });
    if gso {
        b.set_gro(true).unwrap();
        async_rx.get_ref().set_gro(true).unwrap();
    }
    let segments = [9u8; 64 * 64];
    let (blocking_gso, async_gso) = (
        Transmit::new(to, &segments).segment_size(64),
        Transmit::new(to2, &segments).segment_size(64),
    );
    let mut big = vec![0u8; 65_536];
    let data = [7u8; 64];
    let blocking_batch = [Transmit::new(to, &data); MAX_BATCH];
    let async_batch = [Transmit::new(to2, &data); MAX_BATCH];
    let mut storage = vec![0u8; 64 * MAX_BATCH];
    let mut meta = [RecvMeta::default(); MAX_BATCH];
    let quantum = Duration::from_millis(1);
    let (mut blocking_time, mut async_time) = (Duration::ZERO, Duration::ZERO);
    let (mut blocking_steps, mut async_steps) = (0u64, 0u64);
    // The two sides alternate which goes first in a turn: a step inherits the kernel's memory work
    // from the step before it, which would bias a fixed order by a few percent.
    let bypass = std::env::args().nth(4).is_some_and(|w| w == "bypass");
    let start = Instant::now();
    let mut turn = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        turn += 1;
        for side in [turn % 2, (turn + 1) % 2] {
            if side == 0 {
                let t = Instant::now();
                while gso && t.elapsed() < quantum {
                    a.send_msg(&blocking_gso).unwrap();
                    let mut got = 0;
                    while got < segments.len() {
                        got += b.recv_msg(&mut big).unwrap().len;
                    }
                    blocking_steps += 1;
                }
                while !gso && t.elapsed() < quantum {
                    let mut sent = 0;
                    while sent < MAX_BATCH {
                        match a.send_batch(&blocking_batch[sent..]) {
                            Ok(n) => sent += n,
                            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    let mut got = 0;
                    while got < MAX_BATCH {
                        let mut chunks = storage.chunks_mut(64);
                        let mut bufs: [IoSliceMut<'_>; MAX_BATCH] =
                            std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap()));
                        match b.recv_batch(&mut bufs[..MAX_BATCH - got], &mut meta) {
                            Ok(n) => got += n,
                            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    blocking_steps += 1;
                }
                blocking_time += t.elapsed();
            } else {
                async_time += rt.block_on(async {
                    let t = Instant::now();
                    while gso && bypass && t.elapsed() < quantum {
                        async_tx
                            .get_ref()
                            .send_msg_with_flags(&async_gso, datagrams::MsgFlags::DONTWAIT)
                            .unwrap();
                        let mut got = 0;
                        while got < segments.len() {
                            got += async_rx
                                .get_ref()
                                .recv_msg_vectored(
                                    &mut [IoSliceMut::new(&mut big)],
                                    datagrams::MsgFlags::DONTWAIT,
                                )
                                .unwrap()
                                .len;
                        }
                        async_steps += 1;
                    }
                    while gso && !bypass && t.elapsed() < quantum {
                        async_tx.send_msg(&async_gso).await.unwrap();
                        let mut got = 0;
                        while got < segments.len() {
                            got += async_rx.recv_msg(&mut big).await.unwrap().len;
                        }
                        async_steps += 1;
                    }
                    while !gso && t.elapsed() < quantum {
                        assert_eq!(async_tx.send_batch(&async_batch).await.unwrap(), MAX_BATCH);
                        let mut got = 0;
                        while got < MAX_BATCH {
                            let mut chunks = storage.chunks_mut(64);
                            let mut bufs: [IoSliceMut<'_>; MAX_BATCH] =
                                std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap()));
                            got += async_rx
                                .recv_batch(&mut bufs[..MAX_BATCH - got], &mut meta)
                                .await
                                .unwrap();
                        }
                        async_steps += 1;
                    }
                    t.elapsed()
                });
            }
        }
    }
    let blocking = blocking_steps as f64 / blocking_time.as_secs_f64();
    let asynchronous = async_steps as f64 / async_time.as_secs_f64();
    println!(
        "registered: {which}; steps/s blocking {blocking:.0}, async {asynchronous:.0}; async/blocking {:.3}",
        asynchronous / blocking
    );
}
