//! Criterion benchmarks of dgram's blocking path against `std::net::UdpSocket`, over loopback.
//!
//! Each iteration sends one datagram and receives it in the same thread, so the figure is the cost of
//! one send plus one receive with no scheduler in between: the per-call overhead of each library shows
//! up against an identical kernel cost. Compare the ratio dgram/std within one run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datagrams::UdpSocket;

fn send_recv(c: &mut Criterion) {
    for size in [64usize, 1200] {
        let mut g = c.benchmark_group(format!("send_recv_{size}"));
        g.throughput(Throughput::Elements(1));
        let payload = vec![0x42u8; size];
        let mut buf = vec![0u8; 2048];

        // The two sides alternate inside criterion's sampling: std first, then dgram, per group.
        let (a, b) = (
            StdUdpSocket::bind("127.0.0.1:0").unwrap(),
            StdUdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        let to: SocketAddr = b.local_addr().unwrap();
        g.bench_function("std", |bench| {
            bench.iter(|| {
                a.send_to(black_box(&payload), to).unwrap();
                black_box(b.recv_from(&mut buf).unwrap());
            })
        });

        let (a, b) = (
            UdpSocket::bind("127.0.0.1:0").unwrap(),
            UdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        let to: SocketAddr = b.local_addr().unwrap();
        g.bench_function("dgram", |bench| {
            bench.iter(|| {
                a.send_to(black_box(&payload), to).unwrap();
                black_box(b.recv_from(&mut buf).unwrap());
            })
        });
        g.bench_function("dgram_recv_msg", |bench| {
            bench.iter(|| {
                a.send_to(black_box(&payload), to).unwrap();
                black_box(b.recv_msg(&mut buf).unwrap());
            })
        });

        // connected: send/recv without addresses
        let (a, b) = (
            StdUdpSocket::bind("127.0.0.1:0").unwrap(),
            StdUdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        a.connect(b.local_addr().unwrap()).unwrap();
        g.bench_function("std_connected", |bench| {
            bench.iter(|| {
                a.send(black_box(&payload)).unwrap();
                black_box(b.recv(&mut buf).unwrap());
            })
        });
        let (a, b) = (
            UdpSocket::bind("127.0.0.1:0").unwrap(),
            UdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        a.connect(b.local_addr().unwrap()).unwrap();
        g.bench_function("dgram_connected", |bench| {
            bench.iter(|| {
                a.send(black_box(&payload)).unwrap();
                black_box(b.recv(&mut buf).unwrap());
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = send_recv
}
criterion_main!(benches);
