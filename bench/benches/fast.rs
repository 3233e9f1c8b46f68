//! Criterion benchmarks of dgram's fast paths against the kernel's limit (plain syscall loops,
//! `datagrams_bench::sys`) and quinn-udp, over loopback, one thread: each iteration sends a burst and
//! receives all of it, so the figure is the cost of moving that many datagrams through the kernel
//! with each library's bookkeeping. Compare ratios within one run.
//!
//! `cargo bench -p datagrams-bench --bench fast`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datagrams::{MAX_BATCH, RecvMeta, Transmit, UdpSocket};
use datagrams_bench::sys as raw;

fn pair() -> (UdpSocket, UdpSocket, SocketAddr) {
    let (a, b) = (
        UdpSocket::bind("127.0.0.1:0").unwrap(),
        UdpSocket::bind("127.0.0.1:0").unwrap(),
    );
    let to = b.local_addr().unwrap();
    (a, b, to)
}

/// A batch of 32 datagrams of 64 bytes: sendmmsg + recvmmsg.
fn batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch_32x64");
    g.throughput(Throughput::Elements(MAX_BATCH as u64));
    let payload = [0x42u8; 64];
    let mut storage = vec![[0u8; 128]; MAX_BATCH];
    let mut lens = [0usize; MAX_BATCH];

    // The kernel's limit asking for lengths only, and asking for senders too (as recv_batch does).
    for (name, senders) in [("raw", false), ("raw_senders", true)] {
        let (a, b, to) = pair();
        g.bench_function(name, |bench| {
            bench.iter(|| {
                assert_eq!(
                    raw::sendmmsg(a.as_fd(), Some(&to), &payload, MAX_BATCH).unwrap(),
                    MAX_BATCH
                );
                let mut got = 0;
                while got < MAX_BATCH {
                    got += recv_raw(&b, &mut storage[got..], &mut lens[got..], senders);
                }
                black_box(&lens);
            })
        });
    }

    let (a, b, to) = pair();
    let transmits = [Transmit::new(to, &payload); MAX_BATCH];
    let mut meta = [RecvMeta::default(); MAX_BATCH];
    g.bench_function("dgram", |bench| {
        bench.iter(|| {
            assert_eq!(a.send_batch(&transmits).unwrap(), MAX_BATCH);
            let mut got = 0;
            while got < MAX_BATCH {
                got += recv_dgram(&b, &mut storage[got..], &mut meta[got..]);
            }
            black_box(&meta);
        })
    });

    // The same work as the lengths-only raw loop.
    let (a, b, to) = pair();
    let transmits = [Transmit::new(to, &payload); MAX_BATCH];
    let mut bare = [RecvMeta::new(()); MAX_BATCH];
    g.bench_function("dgram_without_senders", |bench| {
        bench.iter(|| {
            assert_eq!(a.send_batch(&transmits).unwrap(), MAX_BATCH);
            let mut got = 0;
            while got < MAX_BATCH {
                let mut bufs = slices(&mut storage[got..]);
                let n = MAX_BATCH - got;
                got += b
                    .recv_batch_without_senders(&mut bufs[..n], &mut bare[got..])
                    .unwrap();
            }
            black_box(&bare);
        })
    });

    let (rt, a, b) = datagrams_bench::async_pair().unwrap();
    let transmits = [Transmit::new(b.local_addr().unwrap(), &payload); MAX_BATCH];
    g.bench_function("dgram_async", |bench| {
        bench.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert_eq!(a.send_batch(&transmits).await.unwrap(), MAX_BATCH);
                    let mut got = 0;
                    while got < MAX_BATCH {
                        let mut bufs = slices(&mut storage[got..]);
                        let n = MAX_BATCH - got;
                        got += b
                            .recv_batch(&mut bufs[..n], &mut meta[got..])
                            .await
                            .unwrap();
                    }
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

/// `MAX_BATCH` slices over `storage` (empty ones past its end), on the stack: no allocation.
fn slices(storage: &mut [[u8; 128]]) -> [IoSliceMut<'_>; MAX_BATCH] {
    let mut iter = storage.iter_mut();
    std::array::from_fn(|_| match iter.next() {
        Some(s) => IoSliceMut::new(s),
        None => IoSliceMut::new(&mut []),
    })
}

/// Receives into the tail of `storage` without allocating: the slices are built on the stack.
fn recv_raw(b: &UdpSocket, storage: &mut [[u8; 128]], lens: &mut [usize], senders: bool) -> usize {
    let mut bufs = slices(storage);
    let n = lens.len().min(MAX_BATCH);
    raw::recvmmsg(b.as_fd(), &mut bufs[..n], lens, senders).unwrap()
}

fn recv_dgram(b: &UdpSocket, storage: &mut [[u8; 128]], meta: &mut [RecvMeta]) -> usize {
    let mut bufs = slices(storage);
    let n = meta.len().min(MAX_BATCH);
    b.recv_batch(&mut bufs[..n], meta).unwrap()
}

/// One GSO send of `segments` datagrams of `size` bytes, received with GRO until all bytes are in.
fn gso(c: &mut Criterion, size: usize, segments: usize, with_quinn: bool) {
    let mut g = c.benchmark_group(format!("gso_gro_{segments}x{size}"));
    g.throughput(Throughput::Elements(segments as u64));
    let payload = vec![0x42u8; size * segments];
    let mut buf = vec![0u8; 65_536];

    // The kernel's limit receiving lengths only, and receiving the sender too (as recv_msg does).
    for (name, sender) in [("raw", false), ("raw_senders", true)] {
        let (a, b, to) = pair();
        raw::enable_gro(b.as_fd()).unwrap();
        g.bench_function(name, |bench| {
            bench.iter(|| {
                raw::send_gso(a.as_fd(), Some(&to), &payload, size as u16).unwrap();
                let mut got = 0;
                while got < payload.len() {
                    got += raw::recv_gro(b.as_fd(), &mut buf, sender).unwrap().0;
                }
            })
        });
    }

    let (a, b, to) = pair();
    b.set_gro(true).unwrap();
    let t = Transmit::new(to, &payload).segment_size(size);
    g.bench_function("dgram", |bench| {
        bench.iter(|| {
            a.send_msg(&t).unwrap();
            let mut got = 0;
            while got < payload.len() {
                got += b.recv_msg(&mut buf).unwrap().len;
            }
        })
    });

    if with_quinn {
        let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = b.local_addr().unwrap();
        let sa = quinn_udp::UdpSocketState::new((&a).into()).unwrap();
        let sb = quinn_udp::UdpSocketState::new((&b).into()).unwrap();
        let t = quinn_udp::Transmit {
            destination: to,
            ecn: None,
            contents: &payload,
            segment_size: Some(size),
            src_ip: None,
        };
        let mut meta = [quinn_udp::RecvMeta::default()];
        g.bench_function("quinn-udp", |bench| {
            bench.iter(|| {
                sa.try_send((&a).into(), &t).unwrap();
                let mut got = 0;
                while got < payload.len() {
                    let n = sb
                        .recv((&b).into(), &mut [IoSliceMut::new(&mut buf)], &mut meta)
                        .unwrap();
                    got += meta[..n].iter().map(|m| m.len).sum::<usize>();
                }
            })
        });
    }

    // the async form of the same, driven on a current-thread runtime
    let (rt, a, b) = datagrams_bench::async_pair().unwrap();
    b.get_ref().set_gro(true).unwrap();
    let t = Transmit::new(b.local_addr().unwrap(), &payload).segment_size(size);
    g.bench_function("dgram_async", |bench| {
        bench.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    a.send_msg(&t).await.unwrap();
                    let mut got = 0;
                    while got < payload.len() {
                        got += b.recv_msg(&mut buf).await.unwrap().len;
                    }
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

fn gso_1200(c: &mut Criterion) {
    gso(c, 1200, 32, true);
}

fn gso_64(c: &mut Criterion) {
    gso(c, 64, 64, false);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = batch, gso_1200, gso_64
}
criterion_main!(benches);
