//! No allocation per datagram on the hot paths, blocking and async: each path runs 1,000 times and
//! 5,000 times under a counting global allocator (allocation-counter, per thread), and both runs must
//! allocate exactly as much. What a runtime allocates once per long `block_on` (tokio's own
//! `UdpSocket` shows the same single allocation) is the same in both; anything per datagram is not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::os::fd::AsFd;

use datagrams::{RecvMeta, Transmit, UdpSocket, UnixDatagram};

/// Allocations of `f(n)` for n = 1000 and n = 5000 must be equal: nothing is allocated per datagram.
fn per_datagram_allocations(what: &str, mut f: impl FnMut(usize)) {
    f(10); // warm-up: lazily initialised state, first-call paths
    let few = allocation_counter::measure(|| f(1000)).count_total;
    let many = allocation_counter::measure(|| f(5000)).count_total;
    assert_eq!(
        few, many,
        "{what}: {few} allocations for 1,000 rounds, {many} for 5,000"
    );
}

fn pair() -> (UdpSocket, UdpSocket, SocketAddr) {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = b.local_addr().unwrap();
    (a, b, to)
}

#[test]
fn blocking_hot_paths_allocate_nothing() {
    let (a, b, to) = pair();
    let mut buf = [0u8; 65_536];
    per_datagram_allocations("send_to + recv_from", |n| {
        for _ in 0..n {
            a.send_to(b"hot", to).unwrap();
            b.recv_from(&mut buf).unwrap();
        }
    });
    b.set_recv_pktinfo_v4(true).unwrap();
    b.set_recv_tos_v4(true).unwrap();
    b.set_recv_timestamp(true).unwrap();
    per_datagram_allocations("send_msg + recv_msg with metadata", |n| {
        for _ in 0..n {
            a.send_msg(&Transmit::new(to, b"meta").ecn(datagrams::Ecn::Ect0))
                .unwrap();
            b.recv_msg(&mut buf).unwrap();
        }
    });
    let payload = [7u8; 64];
    let batch = [Transmit::new(to, &payload); 8];
    let mut storage = [[0u8; 128]; 8];
    let mut meta = [RecvMeta::default(); 8];
    let mut bare = [RecvMeta::new(()); 8];
    for senders in [true, false] {
        let what = if senders {
            "send_batch + recv_batch"
        } else {
            "send_batch + recv_batch_without_senders"
        };
        per_datagram_allocations(what, |n| {
            for _ in 0..n {
                assert_eq!(a.send_batch(&batch).unwrap(), 8);
                let mut got = 0;
                while got < 8 {
                    let [s0, s1, s2, s3, s4, s5, s6, s7] = &mut storage;
                    let mut bufs = [s0, s1, s2, s3, s4, s5, s6, s7].map(|s| IoSliceMut::new(s));
                    got += if senders {
                        b.recv_batch(&mut bufs[got..], &mut meta[got..])
                    } else {
                        b.recv_batch_without_senders(&mut bufs[got..], &mut bare[got..])
                    }
                    .unwrap();
                }
            }
        });
    }
    per_datagram_allocations("echo: recv_batch, then send_batch of the replies", |n| {
        echo_rounds(n, &a, &b, &mut storage, &mut meta)
    });
    b.set_gro(true).unwrap();
    let big = [3u8; 1200 * 8];
    per_datagram_allocations("GSO send + GRO receive", |n| {
        for _ in 0..n {
            a.send_msg(&Transmit::new(to, &big).segment_size(1200))
                .unwrap();
            let mut got = 0;
            while got < big.len() {
                got += b.recv_msg(&mut buf).unwrap().len;
            }
        }
    });
}

#[test]
fn borrowed_sockets_allocate_nothing_per_datagram() {
    let std_a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let std_b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = std_b.local_addr().unwrap();
    let (a, b) = (
        datagrams::UdpSocketRef::new(&std_a).unwrap(),
        datagrams::UdpSocketRef::new(&std_b).unwrap(),
    );
    let payload = [7u8; 64];
    let batch = [Transmit::new(to, &payload); 8];
    let mut storage = [[0u8; 128]; 8];
    let mut meta = [RecvMeta::default(); 8];
    per_datagram_allocations("borrowed: send_batch + recv_batch", |n| {
        for _ in 0..n {
            assert_eq!(a.send_batch(&batch).unwrap(), 8);
            let mut bufs = storage.each_mut().map(|s| IoSliceMut::new(s));
            let mut got = 0;
            while got < 8 {
                got += b.recv_batch(&mut bufs[got..], &mut meta[got..]).unwrap();
            }
        }
    });
    b.set_gro(true).unwrap();
    let big = [3u8; 1200 * 8];
    let mut buf = [0u8; 65_536];
    per_datagram_allocations("borrowed: GSO send + GRO receive", |n| {
        for _ in 0..n {
            a.send_msg(&Transmit::new(to, &big).segment_size(1200))
                .unwrap();
            let mut got = 0;
            while got < big.len() {
                got += b.recv_msg(&mut buf).unwrap().len;
            }
        }
    });
}

#[test]
fn unix_descriptor_path_with_room_allocates_nothing() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let (_r, w) = std::io::pipe().unwrap();
    let mut fds = Vec::with_capacity(4);
    let mut buf = [0u8; 64];
    per_datagram_allocations("send_with_fds + recv_with_fds", |n| {
        for _ in 0..n {
            a.send_with_fds(b"fd", &[w.as_fd()]).unwrap();
            b.recv_with_fds(&mut buf, &mut fds).unwrap();
            fds.clear();
        }
    });
    per_datagram_allocations("unix send + recv_from", |n| {
        for _ in 0..n {
            a.send(b"x").unwrap();
            b.recv_from(&mut buf).unwrap();
        }
    });
}

#[test]
fn async_hot_paths_allocate_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (a, b, to) = rt.block_on(async {
        let a = datagrams::tokio::UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap();
        let b = datagrams::tokio::UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap();
        // A socket joins tokio's reactor the first time it waits; these wait once, so that the
        // loops below take the registered path (tokio's readiness checks), the longer one.
        a.writable().await.unwrap();
        // nothing is queued for b: polled once, its wait for a datagram is pending, and registered
        assert!(futures::poll!(std::pin::pin!(b.readable())).is_pending());
        let to = b.local_addr().unwrap();
        (a, b, to)
    });
    let mut buf = vec![0u8; 65_536];
    per_datagram_allocations("async send_to + recv_from", |n| {
        rt.block_on(async {
            for _ in 0..n {
                a.send_to(b"hot", to).await.unwrap();
                b.recv_from(&mut buf).await.unwrap();
            }
        })
    });
    per_datagram_allocations("async send_msg + recv_msg", |n| {
        rt.block_on(async {
            for _ in 0..n {
                a.send_msg(&Transmit::new(to, b"m")).await.unwrap();
                b.recv_msg(&mut buf).await.unwrap();
            }
        })
    });
    let payload = [7u8; 64];
    let batch = [Transmit::new(to, &payload); 4];
    let mut storage = [[0u8; 128]; 4];
    let mut meta = [RecvMeta::default(); 4];
    let mut bare = [RecvMeta::new(()); 4];
    for senders in [true, false] {
        let what = if senders {
            "async send_batch + recv_batch"
        } else {
            "async send_batch + recv_batch_without_senders"
        };
        per_datagram_allocations(what, |n| {
            rt.block_on(async {
                for _ in 0..n {
                    assert_eq!(a.send_batch(&batch).await.unwrap(), 4);
                    let mut got = 0;
                    while got < 4 {
                        let [s0, s1, s2, s3] = &mut storage;
                        let mut bufs = [s0, s1, s2, s3].map(|s| IoSliceMut::new(s));
                        got += if senders {
                            b.recv_batch(&mut bufs[got..], &mut meta[got..]).await
                        } else {
                            b.recv_batch_without_senders(&mut bufs[got..], &mut bare[got..])
                                .await
                        }
                        .unwrap();
                    }
                }
            })
        });
    }
    let mut storage = [[0u8; 128]; 8];
    let mut meta = [RecvMeta::default(); 8];
    per_datagram_allocations(
        "async echo: recv_batch, then send_batch of the replies",
        |n| {
            rt.block_on(async {
                for _ in 0..n {
                    a.send_to(b"ping", to).await.unwrap();
                    a.send_to(b"pong", to).await.unwrap();
                    let mut bufs = storage.each_mut().map(|s| IoSliceMut::new(s));
                    let mut got = 0;
                    while got < 2 {
                        got += b
                            .recv_batch(&mut bufs[got..], &mut meta[got..])
                            .await
                            .unwrap();
                    }
                    let mut sent = 0;
                    while sent < got {
                        let replies = meta[sent..got]
                            .iter()
                            .zip(&bufs[sent..got])
                            .map(|(m, buf)| Transmit::new(m.addr, &buf[..m.len]));
                        sent += b.send_batch(replies).await.unwrap();
                    }
                    for want in [b"ping", b"pong"] {
                        let mut back = [0u8; 8];
                        let n = a.recv(&mut back).await.unwrap();
                        assert_eq!(&back[..n], want);
                    }
                }
            })
        },
    );
    b.get_ref().set_gro(true).unwrap();
    let big = [3u8; 1200 * 8];
    per_datagram_allocations("async GSO send + GRO receive", |n| {
        rt.block_on(async {
            for _ in 0..n {
                a.send_msg(&Transmit::new(to, &big).segment_size(1200))
                    .await
                    .unwrap();
                let mut got = 0;
                while got < big.len() {
                    got += b.recv_msg(&mut buf).await.unwrap().len;
                }
            }
        })
    });
}

/// `n` rounds of an echo server's loop on `server`: `client` sends two datagrams, the server
/// receives them in one batch (or more) and sends each back to its sender by `send_batch` of an
/// iterator of replies made from the receive buffers (no storage outlives them); the client checks
/// the bytes that come back.
fn echo_rounds(
    n: usize,
    client: &UdpSocket,
    server: &UdpSocket,
    storage: &mut [[u8; 128]; 8],
    meta: &mut [RecvMeta; 8],
) {
    let to = server.local_addr().unwrap();
    let mut bufs = storage.each_mut().map(|s| IoSliceMut::new(s));
    for _ in 0..n {
        client.send_to(b"ping", to).unwrap();
        client.send_to(b"pong", to).unwrap();
        let mut got = 0;
        while got < 2 {
            got += server
                .recv_batch(&mut bufs[got..], &mut meta[got..])
                .unwrap();
        }
        let mut sent = 0;
        while sent < got {
            let replies = meta[sent..got]
                .iter()
                .zip(&bufs[sent..got])
                .map(|(m, buf)| Transmit::new(m.addr, &buf[..m.len]));
            sent += server.send_batch(replies).unwrap();
        }
        for want in [b"ping", b"pong"] {
            let mut back = [0u8; 8];
            let n = client.recv(&mut back).unwrap();
            assert_eq!(&back[..n], want);
        }
    }
}
