//! Criterion benchmarks of dgram's async `UdpSocket` against `tokio::net::UdpSocket`.
//!
//! Each iteration sends one datagram and receives it within one task on a current-thread runtime:
//! the per-call cost of each async layer against an identical kernel cost. Compare the ratio
//! dgram/tokio within one run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn async_send_recv(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for size in [64usize, 1200] {
        let mut g = c.benchmark_group(format!("async_send_recv_{size}"));
        g.throughput(Throughput::Elements(1));
        let payload = vec![0x42u8; size];

        let (a, b) = rt.block_on(async {
            (
                tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap(),
                tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            )
        });
        let to = b.local_addr().unwrap();
        g.bench_function("tokio", |bench| {
            bench.iter_custom(|iters| {
                rt.block_on(async {
                    let mut buf = [0u8; 2048];
                    let start = Instant::now();
                    for _ in 0..iters {
                        a.send_to(black_box(&payload), to).await.unwrap();
                        black_box(b.recv_from(&mut buf).await.unwrap());
                    }
                    start.elapsed()
                })
            })
        });

        let bind = || {
            rt.block_on(datagrams::tokio::UdpSocket::bind("127.0.0.1:0"))
                .unwrap()
        };
        let b = bind();
        // registered by a first wait, as any receiver is; the sender, whose sends never wait,
        // stays out of epoll as dgram leaves it
        datagrams_bench::wait_once(&rt, &b);
        let a = bind();
        let to = b.local_addr().unwrap();
        g.bench_function("dgram", |bench| {
            bench.iter_custom(|iters| {
                rt.block_on(async {
                    let mut buf = [0u8; 2048];
                    let start = Instant::now();
                    for _ in 0..iters {
                        a.send_to(black_box(&payload), to).await.unwrap();
                        black_box(b.recv_from(&mut buf).await.unwrap());
                    }
                    start.elapsed()
                })
            })
        });
        g.bench_function("dgram_recv_msg", |bench| {
            bench.iter_custom(|iters| {
                rt.block_on(async {
                    let mut buf = [0u8; 2048];
                    let start = Instant::now();
                    for _ in 0..iters {
                        a.send_to(black_box(&payload), to).await.unwrap();
                        black_box(b.recv_msg(&mut buf).await.unwrap());
                    }
                    start.elapsed()
                })
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = async_send_recv
}
criterion_main!(benches);
