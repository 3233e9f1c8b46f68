//! A fixed number of loopback send+receive pairs through one implementation, for instruction counts
//! under `valgrind --tool=callgrind` (deterministic, unlike wall time on a shared machine):
//!
//! ```sh
//! cargo build --release -p datagrams-bench --example ops
//! for m in std dgram tokio dgram-async std-unix dgram-unix; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/ops $m 20000 2>&1 | grep refs
//! done
//! # batches of 32 (the raw loops are this package's `datagrams_bench::sys`):
//! for m in raw-batch raw-batch-senders dgram-batch dgram-batch-bare; do ...; done
//! # GSO of 64 x 64 B and one GRO receive: raw, blocking, async, and the floor of any receive on
//! # tokio (a `poll_fn` charging tokio's budget around `try_io` of the non-blocking calls)
//! for m in raw-gso64 dgram-gso64 dgram-gso64-async gso64-async-floor; do ...; done
//! ```
//!
//! Subtract a run of N from a run of 2N to drop the start-up: the difference over N is the count per
//! iteration. Inputs go through `black_box`, so the compiler cannot fold a transmit's known fields.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "dgram".into());
    let n: u32 = args.next().map_or(10_000, |s| s.parse().unwrap());
    let payload = [0x42u8; 64];
    let mut buf = [0u8; 2048];
    match mode.as_str() {
        "std" => {
            let (a, b) = (
                std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
                std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
            );
            let to = b.local_addr().unwrap();
            for _ in 0..n {
                a.send_to(black_box(&payload), to).unwrap();
                black_box(b.recv_from(&mut buf).unwrap());
            }
        }
        "dgram" => {
            let (a, b) = (
                datagrams::UdpSocket::bind("127.0.0.1:0").unwrap(),
                datagrams::UdpSocket::bind("127.0.0.1:0").unwrap(),
            );
            let to = b.local_addr().unwrap();
            for _ in 0..n {
                a.send_to(black_box(&payload), to).unwrap();
                black_box(b.recv_from(&mut buf).unwrap());
            }
        }
        "tokio" => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let to = b.local_addr().unwrap();
                for _ in 0..n {
                    a.send_to(black_box(&payload), to).await.unwrap();
                    black_box(b.recv_from(&mut buf).await.unwrap());
                }
            });
        }
        "dgram-async" => {
            let (rt, a, b) = datagrams_bench::async_pair().unwrap();
            let to = b.local_addr().unwrap();
            rt.block_on(async {
                for _ in 0..n {
                    a.send_to(black_box(&payload), to).await.unwrap();
                    black_box(b.recv_from(&mut buf).await.unwrap());
                }
            });
        }
        "std-unix" => {
            use std::os::linux::net::SocketAddrExt;
            use std::os::unix::net::{SocketAddr, UnixDatagram};
            let name = |t: &str| {
                SocketAddr::from_abstract_name(format!("ops-{}-{t}", std::process::id())).unwrap()
            };
            let (a, b) = (
                UnixDatagram::bind_addr(&name("a")).unwrap(),
                UnixDatagram::bind_addr(&name("b")).unwrap(),
            );
            let to = b.local_addr().unwrap();
            for _ in 0..n {
                a.send_to_addr(black_box(&payload), &to).unwrap();
                black_box(b.recv_from(&mut buf).unwrap());
            }
        }
        "dgram-unix" => {
            use datagrams::{UnixAddr, UnixDatagram};
            let name = |t: &str| {
                UnixAddr::from_abstract_name(format!("ops-{}-{t}", std::process::id())).unwrap()
            };
            let (a, b) = (
                UnixDatagram::bind(name("a")).unwrap(),
                UnixDatagram::bind(name("b")).unwrap(),
            );
            let to = b.local_addr().unwrap();
            for _ in 0..n {
                a.send_to(black_box(&payload), to).unwrap();
                black_box(b.recv_from(&mut buf).unwrap());
            }
        }
        "raw-batch" | "raw-batch-senders" | "dgram-batch" | "dgram-batch-bare" => {
            use std::io::IoSliceMut;
            use std::os::fd::AsFd;
            let (a, b) = (
                datagrams::UdpSocket::bind("127.0.0.1:0").unwrap(),
                datagrams::UdpSocket::bind("127.0.0.1:0").unwrap(),
            );
            let to = b.local_addr().unwrap();
            let batch = [datagrams::Transmit::new(to, &payload); datagrams::MAX_BATCH];
            let mut storage = vec![[0u8; 128]; datagrams::MAX_BATCH];
            let mut meta = [datagrams::RecvMeta::default(); datagrams::MAX_BATCH];
            let mut bare = [datagrams::RecvMeta::new(()); datagrams::MAX_BATCH];
            let mut lens = [0usize; datagrams::MAX_BATCH];
            for _ in 0..n {
                let mut got = 0;
                if !mode.starts_with("dgram") {
                    datagrams_bench::sys::sendmmsg(
                        a.as_fd(),
                        Some(&to),
                        &payload,
                        datagrams::MAX_BATCH,
                    )
                    .unwrap();
                    while got < datagrams::MAX_BATCH {
                        let mut bufs: Vec<IoSliceMut<'_>> = storage[got..]
                            .iter_mut()
                            .map(|s| IoSliceMut::new(s))
                            .collect();
                        got += datagrams_bench::sys::recvmmsg(
                            b.as_fd(),
                            &mut bufs,
                            &mut lens[got..],
                            mode == "raw-batch-senders",
                        )
                        .unwrap();
                    }
                } else {
                    a.send_batch(black_box(&batch)).unwrap();
                    while got < datagrams::MAX_BATCH {
                        let mut bufs: Vec<IoSliceMut<'_>> = storage[got..]
                            .iter_mut()
                            .map(|s| IoSliceMut::new(s))
                            .collect();
                        got += if mode == "dgram-batch" {
                            b.recv_batch(&mut bufs, &mut meta[got..]).unwrap()
                        } else {
                            b.recv_batch_without_senders(&mut bufs, &mut bare[got..])
                                .unwrap()
                        };
                    }
                }
            }
        }
        "raw-gso64" | "dgram-gso64" => {
            use std::os::fd::AsFd;
            let (a, b) = (
                datagrams::UdpSocket::bind("127.0.0.1:0").unwrap(),
                datagrams::UdpSocket::bind("127.0.0.1:0").unwrap(),
            );
            let to = b.local_addr().unwrap();
            let data = [0x42u8; 64 * 64];
            let mut big = vec![0u8; 65_536];
            b.set_gro(true).unwrap();
            let t = datagrams::Transmit::new(to, &data).segment_size(64);
            for _ in 0..n {
                if mode == "raw-gso64" {
                    datagrams_bench::sys::send_gso(a.as_fd(), Some(&to), &data, 64).unwrap();
                    let mut got = 0;
                    while got < data.len() {
                        got += datagrams_bench::sys::recv_gro(b.as_fd(), &mut big, false)
                            .unwrap()
                            .0;
                    }
                } else {
                    a.send_msg(black_box(&t)).unwrap();
                    let mut got = 0;
                    while got < data.len() {
                        got += b.recv_msg(&mut big).unwrap().len;
                    }
                }
            }
        }
        // The floor is the least an async GSO step on tokio can do: each call in a `poll_fn` that
        // charges the cooperative budget, the receive through `try_io` of the registered socket.
        "dgram-gso64-async" | "gso64-async-floor" => {
            use std::task::Poll;
            let floor = mode == "gso64-async-floor";
            let (rt, a, b) = datagrams_bench::async_pair().unwrap();
            rt.block_on(async {
                let to = b.local_addr().unwrap();
                let data = [0x42u8; 64 * 64];
                let mut big = vec![0u8; 65_536];
                b.get_ref().set_gro(true).unwrap();
                let t = datagrams::Transmit::new(to, &data).segment_size(64);
                for _ in 0..n {
                    if !floor {
                        a.send_msg(black_box(&t)).await.unwrap();
                        let mut got = 0;
                        while got < data.len() {
                            got += b.recv_msg(&mut big).await.unwrap().len;
                        }
                        continue;
                    }
                    std::future::poll_fn(|cx| {
                        let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
                        let r = a
                            .get_ref()
                            .send_msg_with_flags(black_box(&t), datagrams::MsgFlags::DONTWAIT);
                        budget.made_progress();
                        Poll::Ready(r)
                    })
                    .await
                    .unwrap();
                    let mut got = 0;
                    while got < data.len() {
                        let r = std::future::poll_fn(|cx| {
                            let budget = std::task::ready!(tokio::task::coop::poll_proceed(cx));
                            let r = b.try_io(tokio::io::Interest::READABLE, |s| {
                                s.recv_msg_vectored(
                                    &mut [std::io::IoSliceMut::new(&mut big)],
                                    datagrams::MsgFlags::DONTWAIT,
                                )
                            });
                            budget.made_progress();
                            Poll::Ready(r)
                        })
                        .await;
                        match r {
                            Ok(m) => got += m.len,
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                                b.readable().await.unwrap()
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
        other => {
            panic!(
                "unknown mode {other}: std, dgram, tokio, dgram-async, std-unix, dgram-unix, \
                 raw-batch, raw-batch-senders, dgram-batch, dgram-batch-bare, raw-gso64, \
                 dgram-gso64, dgram-gso64-async or gso64-async-floor"
            )
        }
    }
}
