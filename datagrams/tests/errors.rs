//! The kernel's error reports between real hosts: ICMP port unreachable (with and without the error
//! queue), TTL expiry at a router, path MTU discovery across a 1280-byte link; a send buffer that
//! fills part-way through a segmented transmit, and the async send that waits for room and sends the
//! rest; and `UDP_CORK`.
//! The routed tests need root; CI runs them as root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/netns.rs"]
mod netns;

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use common::PATIENCE;
use datagrams::{ErrorOrigin, MsgFlags, PmtuDiscover, Transmit, UdpSocket};
use netns::{Routed, TwoHosts};

const A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const R_NEAR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 254);
const C: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const A6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1);
const C6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1);

fn sock(net: &Routed, ns: &str, addr: SocketAddr) -> UdpSocket {
    let s = net.run(ns, || UdpSocket::bind(addr).unwrap());
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

/// A port on C where nobody listens.
fn closed_port(net: &Routed) -> u16 {
    sock(net, &net.c, SocketAddr::new(C.into(), 0))
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn connection_refused_on_a_connected_socket() {
    let Some(net) = Routed::new("connection_refused_on_a_connected_socket") else {
        return;
    };
    let port = closed_port(&net);
    let s = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    s.connect((C, port)).unwrap();
    s.send(b"anyone?").unwrap();
    // the port unreachable from C crosses the router and fails the next call
    let e = s.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::ConnectionRefused, Some(libc::ECONNREFUSED))
    );
    assert_eq!(
        s.recv_error().unwrap(),
        None,
        "without IP_RECVERR nothing is queued"
    );
}

#[test]
fn port_unreachable_from_the_error_queue() {
    let Some(net) = Routed::new("port_unreachable_from_the_error_queue") else {
        return;
    };
    let port = closed_port(&net);
    let s = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    s.set_recv_err_v4(true).unwrap();
    s.connect((C, port)).unwrap();
    s.send(b"knock knock").unwrap();
    let e = s.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    let report = s.recv_error().unwrap().expect("a queued report");
    assert_eq!(report.errno, libc::ECONNREFUSED);
    assert_eq!(
        (report.origin, report.icmp_type, report.icmp_code),
        (ErrorOrigin::Icmp, 3, 3)
    );
    assert_eq!(
        report.offender.map(|o| o.ip()),
        Some(IpAddr::V4(C)),
        "the far host reported it"
    );
    assert_eq!(report.destination, Some(SocketAddr::new(C.into(), port)));
    assert_eq!(report.payload, b"knock knock");
    assert_eq!(report.to_io_error().kind(), ErrorKind::ConnectionRefused);
    assert_eq!(s.recv_error().unwrap(), None, "one report, read once");
}

#[test]
fn ttl_one_expires_at_the_router() {
    let Some(net) = Routed::new("ttl_one_expires_at_the_router") else {
        return;
    };
    let listener = sock(&net, &net.c, SocketAddr::new(C.into(), 0));
    let port = listener.local_addr().unwrap().port();
    let s = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    s.set_recv_err_v4(true).unwrap();
    s.set_ttl(1).unwrap();
    s.send_to(b"short lived", (C, port)).unwrap();
    let e = s.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EHOSTUNREACH));
    let report = s.recv_error().unwrap().expect("a queued report");
    assert_eq!(
        (report.origin, report.icmp_type, report.icmp_code),
        (ErrorOrigin::Icmp, 11, 0)
    );
    assert_eq!(
        report.offender.map(|o| o.ip()),
        Some(IpAddr::V4(R_NEAR)),
        "the router reported it"
    );
    // with a TTL of 2 it gets through
    s.set_ttl(2).unwrap();
    s.send_to(b"long lived", (C, port)).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = listener.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"long lived"[..], s.local_addr().unwrap())
    );
}

#[test]
fn path_mtu_across_a_1280_link() {
    let Some(net) = Routed::new("path_mtu_across_a_1280_link") else {
        return;
    };
    let listener = sock(&net, &net.c, SocketAddr::new(C.into(), 0));
    let port = listener.local_addr().unwrap().port();
    let big = vec![0x77u8; 1400];

    // DF set: the router cannot forward it and says why; the kernel learns the path MTU
    let s = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    s.set_mtu_discover_v4(PmtuDiscover::Do).unwrap();
    assert_eq!(s.mtu_discover_v4().unwrap(), PmtuDiscover::Do);
    s.set_recv_err_v4(true).unwrap();
    s.connect((C, port)).unwrap();
    assert_eq!(s.path_mtu().unwrap(), 1500, "before: the first link's MTU");
    s.send(&big).unwrap();
    let e = s.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE));
    let report = s.recv_error().unwrap().expect("a queued report");
    assert_eq!(
        (
            report.origin,
            report.icmp_type,
            report.icmp_code,
            report.info
        ),
        (ErrorOrigin::Icmp, 3, 4, 1280)
    );
    assert_eq!(report.offender.map(|o| o.ip()), Some(IpAddr::V4(R_NEAR)));
    assert_eq!(s.path_mtu().unwrap(), 1280);
    // now the kernel refuses it locally, with the kernel's EMSGSIZE intact
    let e = s.send(&big).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE));
    // a datagram that fits goes through
    s.send(&big[..1200]).unwrap();
    let mut buf = vec![0u8; 2048];
    let (n, _) = listener.recv_from(&mut buf).unwrap();
    assert_eq!(n, 1200);

    // DF clear: fragmented on the way, reassembled whole at C
    let t = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    t.set_mtu_discover_v4(PmtuDiscover::Dont).unwrap();
    t.send_to(&big, (C, port)).unwrap();
    let (n, from) = listener.recv_from(&mut buf).unwrap();
    assert_eq!((n, from), (1400, t.local_addr().unwrap()));
    assert!(buf[..n].iter().all(|&b| b == 0x77));
    assert_eq!(
        UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .path_mtu()
            .unwrap_err()
            .kind(),
        ErrorKind::NotConnected
    );
}

#[test]
fn v6_port_unreachable_from_the_error_queue() {
    let Some(net) = Routed::new("v6_port_unreachable_from_the_error_queue") else {
        return;
    };
    let port = net.run(&net.c, || {
        UdpSocket::bind(SocketAddr::new(C6.into(), 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    });
    let s = net.run(&net.a, || {
        UdpSocket::bind(SocketAddr::new(A6.into(), 0)).unwrap()
    });
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_recv_err_v6(true).unwrap();
    s.set_mtu_discover_v6(PmtuDiscover::Want).unwrap();
    assert_eq!(s.mtu_discover_v6().unwrap(), PmtuDiscover::Want);
    s.send_to(b"v6 knock", SocketAddr::new(C6.into(), port))
        .unwrap();
    let e = s.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    let report = s.recv_error().unwrap().expect("a queued report");
    assert_eq!(
        (report.origin, report.icmp_type, report.icmp_code),
        (ErrorOrigin::Icmp6, 1, 4)
    );
    assert_eq!(report.offender.map(|o| o.ip()), Some(IpAddr::V6(C6)));
    assert_eq!(report.payload, b"v6 knock");
}

#[test]
fn a_send_buffer_that_fills_part_way_through_the_gso_fallback() {
    let Some(net) = TwoHosts::new("a_send_buffer_that_fills_part_way_through_the_gso_fallback")
    else {
        return;
    };
    // Nobody has 192.0.2.9: datagrams wait in the neighbour queue for ARP, and keep holding their
    // sender's (smallest possible) send buffer.
    let to: SocketAddr = "192.0.2.9:9".parse().unwrap();
    let data: Vec<u8> = (0..10_000u32).map(|i| (i / 1000) as u8).collect();
    let t = Transmit::new(to, &data).segment_size(1000);
    let small = || {
        let s = net.run(&net.a, || UdpSocket::bind("192.0.2.1:0").unwrap());
        s.set_send_buffer_size(1).unwrap();
        s.set_gso(false);
        s
    };
    // one transmit: the whole segments that went, fewer than all
    let sent = small().send_msg_with_flags(&t, MsgFlags::DONTWAIT).unwrap();
    assert!(
        sent > 0 && sent < data.len() && sent % 1000 == 0,
        "{sent} of {}",
        data.len()
    );
    // a batch cannot say "part of one transmit": that transmit counts as not sent, with its error
    let e = small()
        .send_batch_with_flags(std::slice::from_ref(&t), MsgFlags::DONTWAIT)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
}

#[test]
fn the_async_gso_fallback_resends_the_rest_once_the_send_buffer_frees() {
    const TEST: &str = "the_async_gso_fallback_resends_the_rest_once_the_send_buffer_frees";
    let Some(net) = TwoHosts::new(TEST) else {
        return;
    };
    // A's link sends 1 Mbit/s: its queue holds the datagrams, and with them the sender's (smallest
    // possible) send buffer, for about 8 ms each.
    let tc = std::process::Command::new("ip")
        .args([
            "netns", "exec", &net.a, "tc", "qdisc", "add", "dev", "veth0", "root",
        ])
        .args(["tbf", "rate", "1mbit", "burst", "1600", "latency", "2s"])
        .output()
        .expect("iproute2's tc is needed");
    let said = String::from_utf8_lossy(&tc.stderr);
    // the kernel's answer when no scheduler of that kind is built in or loadable
    if !tc.status.success() && said.contains("qdisc kind is unknown") {
        common::skip_kernel_lacks(TEST, "CONFIG_NET_SCH_TBF", &format!("tc: {}", said.trim()));
        return;
    }
    assert!(tc.status.success(), "tc qdisc add ... tbf: {said}");
    let rx = net.run(&net.b, || UdpSocket::bind("192.0.2.2:0").unwrap());
    rx.set_read_timeout(Some(PATIENCE)).unwrap();
    let tx = net.run(&net.a, || UdpSocket::bind("192.0.2.1:0").unwrap());
    tx.set_send_buffer_size(1).unwrap();
    tx.set_gso(false);
    let data: Vec<u8> = (0..10_000u32).map(|i| (i / 1000) as u8).collect();
    let t = Transmit::new(rx.local_addr().unwrap(), &data).segment_size(1000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sent = rt
        .block_on(async {
            let tx = datagrams::tokio::UdpSocket::new(tx)?;
            let mut send = std::pin::pin!(tx.send_msg(&t));
            // The first poll queues what fits and then waits for room: the rest is still to go.
            assert!(futures::poll!(send.as_mut()).is_pending());
            tokio::time::timeout(PATIENCE, send).await?
        })
        .unwrap();
    assert_eq!(sent, data.len());
    let mut buf = [0u8; 2000];
    for (i, want) in data.chunks(1000).enumerate() {
        let (n, from) = rx.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.ip()), (want, IpAddr::V4(A)), "segment {i}");
    }
}

#[test]
fn cork_makes_one_datagram_of_three_sends() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(PATIENCE)).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.connect(rx.local_addr().unwrap()).unwrap();
    tx.set_cork(true).unwrap();
    assert!(tx.cork().unwrap());
    for part in [&b"one "[..], b"two ", b"three"] {
        tx.send(part).unwrap();
    }
    assert_eq!(
        rx.try_recv(&mut [0u8; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "held while corked"
    );
    tx.set_cork(false).unwrap();
    let mut buf = [0u8; 32];
    let n = rx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"one two three");
    assert_eq!(
        rx.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "one datagram, not three"
    );
}

/// A network unreachable (ICMP type 3 code 0, from the router) is a soft error: a connected socket
/// hears of it only with `IP_RECVERR` on, as its docs say. Two connected sockets send to a network
/// the router has no route to, one with the option; once that one has its error, the router's
/// report to the other (sent first, on the same path) has arrived too, and changed nothing there.
#[test]
fn a_soft_icmp_error_reaches_a_connected_socket_only_with_recv_err() {
    let Some(net) = Routed::new("a_soft_icmp_error_reaches_a_connected_socket_only_with_recv_err")
    else {
        return;
    };
    let nowhere = SocketAddr::new(Ipv4Addr::new(203, 0, 113, 1).into(), 9);
    let quiet = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    quiet.connect(nowhere).unwrap();
    let told = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    told.set_recv_err_v4(true).unwrap();
    told.connect(nowhere).unwrap();
    quiet.send(b"first").unwrap();
    told.send(b"second").unwrap();
    let e = told.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENETUNREACH), "{e}");
    let report = told.recv_error().unwrap().expect("a queued report");
    assert_eq!((report.icmp_type, report.icmp_code), (3, 0));
    // The quiet socket: no pending error, nothing queued.
    assert!(quiet.take_error().unwrap().is_none());
    let e = quiet.try_recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
    quiet.send(b"again").unwrap();
}

/// `SO_BINDTODEVICE` decides what a socket hears: C's socket tied to `lo` is not there for a
/// datagram arriving on C's link (A's connected socket hears the port unreachable); tied to that
/// link, it receives it. The async socket ties the same way.
#[test]
fn bind_device_decides_the_interface_a_socket_hears() {
    let Some(net) = Routed::new("bind_device_decides_the_interface_a_socket_hears") else {
        return;
    };
    let listener = sock(
        &net,
        &net.c,
        SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
    );
    let port = listener.local_addr().unwrap().port();
    listener.bind_device(Some(b"lo")).unwrap();
    assert_eq!(listener.device().unwrap().as_deref(), Some(&b"lo"[..]));
    let s = sock(&net, &net.a, SocketAddr::new(A.into(), 0));
    s.connect((C, port)).unwrap();
    s.send(b"to lo?").unwrap();
    let e = s.recv(&mut [0u8; 16]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
    listener.bind_device(Some(b"veth0")).unwrap();
    s.send(b"to veth0").unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = listener.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"to veth0"[..], s.local_addr().unwrap())
    );
    listener.bind_device(None).unwrap();
    assert_eq!(listener.device().unwrap(), None);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let a = net.run(&net.a, || {
        rt.block_on(async {
            datagrams::tokio::UdpSocket::bind("0.0.0.0:0")
                .await
                .unwrap()
        })
    });
    a.bind_device(Some(b"veth0")).unwrap();
    assert_eq!(a.device().unwrap().as_deref(), Some(&b"veth0"[..]));
    rt.block_on(a.send_to(b"async", (C, port))).unwrap();
    let (n, _) = listener.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"async");
}
