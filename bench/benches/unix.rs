//! Criterion benchmarks of dgram's `UnixDatagram` against std's, over abstract addresses and pairs.
//!
//! Each iteration sends one datagram and receives it in the same thread: the per-call overhead of each
//! library against an identical kernel cost. Compare the ratio dgram/std within one run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::os::fd::AsFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as StdAddr, UnixDatagram as StdUnixDatagram};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datagrams::{UnixAddr, UnixDatagram};

fn name(tag: &str) -> String {
    format!("dgram-crit-{}-{tag}", std::process::id())
}

fn unix(c: &mut Criterion) {
    let mut g = c.benchmark_group("unix_64");
    g.throughput(Throughput::Elements(1));
    let payload = [0x42u8; 64];
    let mut buf = [0u8; 2048];

    let sa = StdAddr::from_abstract_name(name("std-a")).unwrap();
    let sb = StdAddr::from_abstract_name(name("std-b")).unwrap();
    let (a, b) = (
        StdUnixDatagram::bind_addr(&sa).unwrap(),
        StdUnixDatagram::bind_addr(&sb).unwrap(),
    );
    g.bench_function("std_send_to_recv_from", |bench| {
        bench.iter(|| {
            a.send_to_addr(black_box(&payload), &sb).unwrap();
            black_box(b.recv_from(&mut buf).unwrap());
        })
    });
    let da = UnixAddr::from_abstract_name(name("dgram-a")).unwrap();
    let db = UnixAddr::from_abstract_name(name("dgram-b")).unwrap();
    let (a, b) = (
        UnixDatagram::bind(da).unwrap(),
        UnixDatagram::bind(db).unwrap(),
    );
    g.bench_function("dgram_send_to_recv_from", |bench| {
        bench.iter(|| {
            a.send_to(black_box(&payload), db).unwrap();
            black_box(b.recv_from(&mut buf).unwrap());
        })
    });

    let (a, b) = StdUnixDatagram::pair().unwrap();
    g.bench_function("std_pair_send_recv", |bench| {
        bench.iter(|| {
            a.send(black_box(&payload)).unwrap();
            black_box(b.recv(&mut buf).unwrap());
        })
    });
    let (a, b) = UnixDatagram::pair().unwrap();
    g.bench_function("dgram_pair_send_recv", |bench| {
        bench.iter(|| {
            a.send(black_box(&payload)).unwrap();
            black_box(b.recv(&mut buf).unwrap());
        })
    });
    let (_r, w) = std::io::pipe().unwrap();
    let mut fds = Vec::with_capacity(1);
    g.bench_function("dgram_pair_fd_pass", |bench| {
        bench.iter(|| {
            a.send_with_fds(black_box(&payload), &[w.as_fd()]).unwrap();
            black_box(b.recv_with_fds(&mut buf, &mut fds).unwrap());
            fds.clear();
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = unix
}
criterion_main!(benches);
