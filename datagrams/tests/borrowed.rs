//! The fast paths on sockets the caller owns (`UdpSocketRef`): std's, socket2's and tokio's UDP
//! sockets, borrowed, with the option state read from the kernel; the descriptor stays the caller's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{ErrorKind, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use datagrams::{Ecn, MAX_BATCH, RecvMeta, Transmit, UdpSocketRef};
use nix::sys::socket::{setsockopt, sockopt};
use tokio::io::Interest;

fn std_pair() -> (std::net::UdpSocket, std::net::UdpSocket, SocketAddr) {
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    (rx, tx, to)
}

/// Whether `fd` is an open descriptor of this process.
fn is_open(fd: std::os::fd::RawFd) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok()
}

/// Batches both ways, GSO and GRO, metadata switched on outside dgram (read from the kernel), and
/// the caller's sockets still open and working after the references are gone.
#[test]
fn std_sockets_get_batches_gso_gro_and_metadata() {
    let (std_rx, std_tx, to) = std_pair();
    let from = std_tx.local_addr().unwrap();
    // options the caller set before dgram saw the socket: GRO and packet info
    setsockopt(&std_rx, sockopt::UdpGroSegment, &true).unwrap();
    setsockopt(&std_rx, sockopt::Ipv4PacketInfo, &true).unwrap();
    {
        let tx = UdpSocketRef::new(&std_tx).unwrap();
        let rx = UdpSocketRef::new(&std_rx).unwrap();
        assert_eq!(rx.local_addr().unwrap(), to);
        assert!(rx.gro().unwrap() && rx.recv_pktinfo_v4().unwrap());

        // GSO on the sender, GRO on the receiver: one buffer, its stride, the exact bytes
        let payload: Vec<u8> = (0..4000u32).map(|i| (i % 251) as u8).collect();
        tx.send_msg(
            &Transmit::new(to, &payload)
                .segment_size(1000)
                .ecn(Ecn::Ect1),
        )
        .unwrap();
        let mut big = vec![0u8; 65_536];
        let mut got = Vec::new();
        while got.len() < payload.len() {
            let m = rx.recv_msg(&mut big).unwrap();
            assert_eq!(m.addr, from);
            assert_eq!(
                m.dst_ip,
                Some(to.ip()),
                "packet info, switched on outside dgram"
            );
            if m.len > 1000 {
                assert_eq!(m.stride, Some(1000));
            }
            got.extend_from_slice(&big[..m.len]);
        }
        assert_eq!(got, payload);

        // a batch out and a batch in
        rx.set_gro(false).unwrap();
        let payloads: Vec<[u8; 4]> = (0..40u32).map(u32::to_be_bytes).collect();
        let batch: Vec<Transmit<'_>> = payloads.iter().map(|p| Transmit::new(to, p)).collect();
        let mut sent = 0;
        while sent < batch.len() {
            sent += tx.send_batch(&batch[sent..]).unwrap();
        }
        let mut storage = [[0u8; 16]; MAX_BATCH];
        let mut meta = [RecvMeta::default(); MAX_BATCH];
        let mut received = Vec::new();
        while received.len() < payloads.len() {
            let mut bufs = storage.each_mut().map(|b| IoSliceMut::new(b));
            let n = rx.recv_batch(&mut bufs, &mut meta).unwrap();
            for (m, b) in meta[..n].iter().zip(&storage) {
                assert_eq!((m.addr, m.len), (from, 4));
                received.push(<[u8; 4]>::try_from(&b[..4]).unwrap());
            }
        }
        assert_eq!(received, payloads);
        // an option set through the reference is set on the caller's socket
        rx.set_recv_tos_v4(true).unwrap();
    }
    // a new reference reads it back from the kernel
    assert!(UdpSocketRef::new(&std_rx).unwrap().recv_tos_v4().unwrap());
    // the caller's sockets are open and theirs
    std_tx.send_to(b"after", to).unwrap();
    let mut buf = [0u8; 16];
    let (n, who) = std_rx.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], who), (&b"after"[..], from));
}

/// The error queue of a borrowed socket: an ICMP port unreachable read with `recv_error`.
#[test]
fn std_socket_error_queue() {
    let std_tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    setsockopt(&std_tx, sockopt::Ipv4RecvErr, &true).unwrap();
    std_tx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let tx = UdpSocketRef::new(&std_tx).unwrap();
    tx.connect(dead).unwrap();
    tx.send(b"knock").unwrap();
    // the receive wakes when the ICMP error arrives
    let e = tx.recv(&mut [0u8; 8]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    let report = tx.recv_error().unwrap().expect("a queued report");
    assert_eq!(report.errno, libc::ECONNREFUSED);
    assert_eq!(report.destination, Some(dead));
    assert_eq!(report.payload, b"knock");
}

/// A descriptor of another kind is refused with `InvalidInput`, and stays open.
#[test]
fn other_kinds_are_refused_and_stay_open() {
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let e = UdpSocketRef::new(&tcp).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("not a UDP socket"), "{e}");
    assert!(is_open(tcp.as_raw_fd()));
    let (unix, _other) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let e = UdpSocketRef::new(&unix).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(is_open(unix.as_raw_fd()));
    tcp.local_addr().unwrap();
}

/// socket2's socket, IPv6: `send_msg` with a traffic class, `recv_msg` reading it.
#[test]
fn socket2_sockets_work_the_same() {
    let rx = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None).unwrap();
    rx.bind(&"[::1]:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let tx = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None).unwrap();
    tx.bind(&"[::1]:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    let to = rx.local_addr().unwrap().as_socket().unwrap();
    let r = UdpSocketRef::new(&rx).unwrap();
    r.set_recv_tclass_v6(true).unwrap();
    UdpSocketRef::new(&tx)
        .unwrap()
        .send_msg(&Transmit::new(to, b"v6").tos(0xb8))
        .unwrap();
    let mut buf = [0u8; 8];
    let m = r.recv_msg(&mut buf).unwrap();
    assert_eq!((&buf[..m.len], m.tos), (&b"v6"[..], Some(0xb8)));
    assert_eq!(m.addr, tx.local_addr().unwrap().as_socket().unwrap());
}

/// tokio's socket: the calls run inside tokio's readiness (`async_io`), GSO out, a batch in, and a
/// connected transmit.
#[test]
fn tokio_sockets_through_tokio_readiness() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = rx.local_addr().unwrap();
        let from = tx.local_addr().unwrap();
        let fast_tx = UdpSocketRef::new(&tx).unwrap();
        let fast_rx = UdpSocketRef::new(&rx).unwrap();
        let t = Transmit::new(to, b"aaaabbbbcc").segment_size(4);
        let n = tx
            .async_io(Interest::WRITABLE, || fast_tx.send_msg(&t))
            .await
            .unwrap();
        assert_eq!(n, 10);
        tx.connect(to).await.unwrap();
        tx.async_io(Interest::WRITABLE, || {
            fast_tx.send_msg(&Transmit::connected(b"dd"))
        })
        .await
        .unwrap();
        let mut storage = [[0u8; 16]; 8];
        let mut meta = [RecvMeta::default(); 8];
        let mut got: Vec<Vec<u8>> = Vec::new();
        while got.len() < 4 {
            let mut bufs = storage.each_mut().map(|b| IoSliceMut::new(b));
            let n = tokio::time::timeout(
                common::PATIENCE,
                rx.async_io(Interest::READABLE, || {
                    fast_rx.recv_batch(&mut bufs, &mut meta)
                }),
            )
            .await
            .expect("datagrams in time")
            .unwrap();
            for (m, b) in meta[..n].iter().zip(&storage) {
                assert_eq!(m.addr, from);
                got.push(b[..m.len].to_vec());
            }
        }
        assert_eq!(got, [&b"aaaa"[..], b"bbbb", b"cc", b"dd"]);
        // nothing queued: the non-blocking socket says WouldBlock rather than wait
        let mut bufs = storage.each_mut().map(|b| IoSliceMut::new(b));
        let e = fast_rx.recv_batch(&mut bufs, &mut meta).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
    });
}

/// A receive option switched on behind dgram's back (through the caller's socket) is decoded:
/// a reference always offers a control area, so GRO's merged datagrams come with their stride; an
/// owned socket learns of it at the first receive, which reports `control_truncated`.
#[test]
fn options_switched_on_elsewhere_are_decoded() {
    let (std_rx, std_tx, to) = std_pair();
    let rx = UdpSocketRef::new(&std_rx).unwrap();
    setsockopt(&std_rx, sockopt::UdpGroSegment, &true).unwrap();
    let tx = UdpSocketRef::new(&std_tx).unwrap();
    let two = [5u8; 2000];
    tx.send_msg(&Transmit::new(to, &two).segment_size(1000))
        .unwrap();
    let mut buf = vec![0u8; 65_536];
    let m = rx.recv_msg(&mut buf).unwrap();
    assert_eq!(
        (m.len, m.stride, m.control_truncated),
        (2000, Some(1000), false)
    );

    // an owned socket whose option another handle switched on
    let owned = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    owned.set_read_timeout(Some(common::PATIENCE)).unwrap();
    setsockopt(&owned, sockopt::UdpGroSegment, &true).unwrap();
    let to = owned.local_addr().unwrap();
    for _ in 0..2 {
        tx.send_msg(&Transmit::new(to, &two).segment_size(1000))
            .unwrap();
    }
    let first = owned.recv_msg(&mut buf).unwrap();
    assert!(first.control_truncated, "{first:?}");
    let second = owned.recv_msg(&mut buf).unwrap();
    assert_eq!(
        (second.len, second.stride, second.control_truncated),
        (2000, Some(1000), false)
    );
}

/// The connected peer's family, for a transmit without a destination: asked of the kernel for a
/// reference (the owner may connect again), learned once for an adopted socket connected before.
#[test]
fn the_peer_family_follows_connects_made_elsewhere() {
    let rx4 = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx4.set_read_timeout(Some(common::PATIENCE)).unwrap();
    rx4.set_recv_tos_v4(true).unwrap();
    let rx6 = datagrams::UdpSocket::bind("[::1]:0").unwrap();
    let mapped = |a: SocketAddr| -> SocketAddr {
        SocketAddr::new(
            match a.ip() {
                std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().into(),
                v6 => v6,
            },
            a.port(),
        )
    };
    let dual = std::net::UdpSocket::bind("[::]:0").unwrap();
    let r = UdpSocketRef::new(&dual).unwrap();
    r.connect(rx6.local_addr().unwrap()).unwrap();
    r.send_msg(&Transmit::connected(b"six").ecn(Ecn::Ect0))
        .unwrap();
    // the owner connects again, to an IPv4 peer: the same reference sends IPv4's control messages
    dual.connect(mapped(rx4.local_addr().unwrap())).unwrap();
    r.send_msg(&Transmit::connected(b"four").ecn(Ecn::Ect0))
        .unwrap();
    let mut buf = [0u8; 16];
    let m = rx4.recv_msg(&mut buf).unwrap();
    assert_eq!((&buf[..m.len], m.ecn()), (&b"four"[..], Some(Ecn::Ect0)));

    // adopted while connected: the family is asked of the kernel, once
    drop(r);
    let adopted = datagrams::UdpSocket::try_from(dual).unwrap();
    adopted
        .send_msg(&Transmit::connected(b"adopted").tos(0x20))
        .unwrap();
    let m = rx4.recv_msg(&mut buf).unwrap();
    assert_eq!((&buf[..m.len], m.tos), (&b"adopted"[..], Some(0x20)));

    // no peer: NotConnected, also for a transmit whose metadata needs the peer's family
    let lone = datagrams::UdpSocket::bind("[::1]:0").unwrap();
    for t in [
        Transmit::connected(b"x"),
        Transmit::connected(b"x").src_ip("::1".parse().unwrap()),
        Transmit::connected(b"x").ecn(Ecn::Ect1),
    ] {
        let e = lone.send_msg(&t).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotConnected, "{t:?}: {e}");
    }
}

/// `disconnect` through a reference leaves the caller's socket bound as its owner bound it: a
/// wildcard stays a wildcard (not the address `connect` chose), with its port.
#[test]
fn disconnect_through_a_reference_keeps_the_owners_bind() {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let port = s.local_addr().unwrap().port();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.connect(peer.local_addr().unwrap()).unwrap();
    assert_eq!(s.local_addr().unwrap().ip(), std::net::Ipv4Addr::LOCALHOST);
    UdpSocketRef::new(&s).unwrap().disconnect().unwrap();
    assert_eq!(
        s.local_addr().unwrap(),
        SocketAddr::from(([0, 0, 0, 0], port))
    );
    assert!(s.peer_addr().is_err());
}
