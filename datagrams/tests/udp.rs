//! The blocking and non-blocking `UdpSocket` over real loopback sockets: one body per behaviour, run on
//! IPv4 and on IPv6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/api.rs"]
mod api;
mod common;

use api::Udp;

use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use datagrams::{Family, MsgFlags, RecvMeta, Resolve, UdpSocket};

/// Runs each shared body against the blocking and the async socket, and each blocking-only body
/// against the blocking socket, once per family: `blocking::v4::name`, `asynchronous::v6::name`, ...
macro_rules! suite {
    (shared: [$($s:ident),* $(,)?], blocking: [$($b:ident),* $(,)?]) => {
        mod blocking {
            mod v4 {
                $( #[test] fn $s() { crate::$s::<datagrams::UdpSocket>(datagrams::Family::V4) } )*
                $( #[test] fn $b() { crate::$b(datagrams::Family::V4) } )*
            }
            mod v6 {
                $( #[test] fn $s() { crate::$s::<datagrams::UdpSocket>(datagrams::Family::V6) } )*
                $( #[test] fn $b() { crate::$b(datagrams::Family::V6) } )*
            }
        }
        mod asynchronous {
            mod v4 { $( #[test] fn $s() { crate::$s::<datagrams::tokio::UdpSocket>(datagrams::Family::V4) } )* }
            mod v6 { $( #[test] fn $s() { crate::$s::<datagrams::tokio::UdpSocket>(datagrams::Family::V6) } )* }
        }
    };
}

suite!(
    shared: [
        state_machine,
        implicit_bind_on_send,
        connect_binds_and_disconnect_unbinds,
        recv_on_never_bound_socket_is_an_error,
        send_and_recv_exact_bytes,
        truncation_is_reported,
        scatter_gather,
        peek_leaves_the_datagram,
        try_calls_never_block,
        bytes_readable_is_next_datagram_size,
        send_queue_size_counts_corked_bytes,
        largest_datagram_passes_and_one_more_byte_is_refused,
        bind_twice,
        send_on_unconnected,
        destination_port_zero,
        unresolvable_host,
        connection_refused_on_connected_socket,
        reconnect_retargets,
        shared_between_threads,
        wildcard_bind_survives_disconnect,
    ],
    blocking: [
        read_timeout_gives_would_block,
        option_round_trips,
        ttl_out_of_range,
        buffer_size_above_the_system_maximum,
        buffer_size_force_as_root,
        custom_resolver,
        conversions_and_close,
        dontroute_reaches_loopback,
        clones_share_binding_state,
        flags_of_the_wrong_direction_are_refused,
    ]
);

fn lo(f: Family) -> SocketAddr {
    SocketAddr::new(f.loopback(), 0)
}

/// A socket of `S` bound on the family's loopback, with bounded receives.
fn bound<S: Udp>(f: Family) -> S {
    S::bind(lo(f)).unwrap()
}

fn unspecified(f: Family) -> SocketAddr {
    SocketAddr::new(f.unspecified(), 0)
}

fn state_machine<S: Udp>(f: Family) {
    let s = S::unbound(f).unwrap();
    assert_eq!(s.family(), f);
    assert!(!s.is_bound().unwrap());
    assert!(!s.is_connected().unwrap());
    assert_eq!(s.local_addr().unwrap(), unspecified(f));
    assert_eq!(s.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    // disconnect on an unconnected socket is a no-op
    s.disconnect().unwrap();

    s.bind_to(lo(f)).unwrap();
    assert!(s.is_bound().unwrap());
    let local = s.local_addr().unwrap();
    assert_eq!(local.ip(), f.loopback());
    assert_ne!(local.port(), 0);

    let peer = bound::<S>(f);
    s.connect(peer.local_addr().unwrap()).unwrap();
    assert!(s.is_connected().unwrap());
    assert_eq!(s.peer_addr().unwrap(), peer.local_addr().unwrap());

    s.disconnect().unwrap();
    assert!(!s.is_connected().unwrap());
    assert_eq!(s.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    // an explicit bind survives the disconnect
    assert_eq!(s.local_addr().unwrap(), local);
    s.disconnect().unwrap();
    // also one made before dgram adopted the socket (std's bind to port 0 here)
    let std = std::net::UdpSocket::bind(lo(f)).unwrap();
    let local = std.local_addr().unwrap();
    let adopted = datagrams::UdpSocket::try_from(std).unwrap();
    adopted.connect(peer.local_addr().unwrap()).unwrap();
    adopted.disconnect().unwrap();
    assert_eq!(adopted.local_addr().unwrap(), local);
}

fn implicit_bind_on_send<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = S::unbound(f).unwrap();
    assert!(!tx.is_bound().unwrap());
    assert_eq!(
        tx.send_to(b"autobind", rx.local_addr().unwrap()).unwrap(),
        8
    );
    assert!(tx.is_bound().unwrap());
    let local = tx.local_addr().unwrap();
    assert_eq!(local.ip(), f.unspecified());
    assert_ne!(local.port(), 0);
    let mut buf = [0; 16];
    let (n, from) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"autobind");
    assert_eq!(from, SocketAddr::new(f.loopback(), local.port()));
    // once bound by a send, it can receive the reply
    rx.send_to(b"reply", from).unwrap();
    let n = tx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"reply");
}

fn connect_binds_and_disconnect_unbinds<S: Udp>(f: Family) {
    let peer = bound::<S>(f);
    let s = S::unbound(f).unwrap();
    s.connect(peer.local_addr().unwrap()).unwrap();
    assert!(s.is_bound().unwrap());
    assert_eq!(s.local_addr().unwrap().ip(), f.loopback());
    s.disconnect().unwrap();
    // the kernel releases a port it chose itself when the association goes (udp_disconnect)
    assert!(!s.is_bound().unwrap());
    assert_eq!(
        s.recv(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

fn recv_on_never_bound_socket_is_an_error<S: Udp>(f: Family) {
    let s = S::unbound(f).unwrap();
    let mut buf = [0; 8];
    for e in [
        s.recv(&mut buf).unwrap_err(),
        s.recv_from(&mut buf).unwrap_err(),
        s.try_recv_from(&mut buf).unwrap_err(),
        s.peek_from(&mut buf).unwrap_err(),
        s.recv_msg(&mut buf).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("not bound"), "{e}");
    }
}

fn send_and_recv_exact_bytes<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    let payload: Vec<u8> = (0..=255u8).collect();
    assert_eq!(a.send_to(&payload, b.local_addr().unwrap()).unwrap(), 256);
    let mut buf = [0u8; 512];
    let meta = b.recv_msg(&mut buf).unwrap();
    assert_eq!(&buf[..meta.len], &payload[..]);
    assert_eq!((meta.len, meta.full_len, meta.truncated), (256, 256, false));
    assert_eq!(meta.addr, a.local_addr().unwrap());

    // connected send/recv
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(a.send(b"connected").unwrap(), 9);
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"connected");
    // an empty datagram is a datagram
    assert_eq!(b.send(b"").unwrap(), 0);
    let meta = a.recv_msg(&mut buf).unwrap();
    assert_eq!((meta.len, meta.full_len, meta.truncated), (0, 0, false));
    assert_eq!(meta.addr, b.local_addr().unwrap());
}

fn truncation_is_reported<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    let to = b.local_addr().unwrap();
    a.send_to(b"0123456789", to).unwrap();
    let mut small = [0u8; 4];
    let meta: RecvMeta = b.recv_msg(&mut small).unwrap();
    assert_eq!(&small, b"0123");
    assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    assert_eq!(meta.addr, a.local_addr().unwrap());

    // recv_from keeps std's contract: the bytes written, the rest discarded
    a.send_to(b"abcdefgh", to).unwrap();
    let (n, from) = b.recv_from(&mut small).unwrap();
    assert_eq!((n, &small[..]), (4, &b"abcd"[..]));
    assert_eq!(from, a.local_addr().unwrap());
    // the excess is gone, not left for the next receive
    a.send_to(b"next", to).unwrap();
    let n = b.recv(&mut small).unwrap();
    assert_eq!(&small[..n], b"next");

    // a zero-length buffer still learns the full length
    a.send_to(b"xyz", to).unwrap();
    let meta = b.recv_msg_vectored(&mut [], MsgFlags::empty()).unwrap();
    assert_eq!((meta.len, meta.full_len, meta.truncated), (0, 3, true));
}

fn scatter_gather<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    let to = b.local_addr().unwrap();
    let n = a
        .send_to_vectored(
            &[
                IoSlice::new(b"ab"),
                IoSlice::new(b""),
                IoSlice::new(b"cdefg"),
            ],
            to,
        )
        .unwrap();
    assert_eq!(n, 7);
    let (mut x, mut y) = ([0u8; 3], [0u8; 10]);
    let meta = b
        .recv_msg_vectored(
            &mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)],
            MsgFlags::empty(),
        )
        .unwrap();
    assert_eq!((meta.len, meta.full_len, meta.truncated), (7, 7, false));
    assert_eq!(&x, b"abc");
    assert_eq!(&y[..4], b"defg");

    a.connect(to).unwrap();
    assert_eq!(
        a.send_vectored(&[IoSlice::new(b"12"), IoSlice::new(b"345")])
            .unwrap(),
        5
    );
    let (mut p, mut q) = ([0u8; 2], [0u8; 2]);
    let n = b
        .recv_vectored(&mut [IoSliceMut::new(&mut p), IoSliceMut::new(&mut q)])
        .unwrap();
    assert_eq!((n, &p, &q), (4, b"12", b"34"));
}

fn peek_leaves_the_datagram<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    a.send_to(b"peekaboo", b.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = b.peek_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"peekaboo"[..], a.local_addr().unwrap())
    );
    let (n, _) = b.try_peek_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"peekaboo");
    let meta = b
        .recv_msg_vectored(&mut [IoSliceMut::new(&mut buf[..4])], MsgFlags::PEEK)
        .unwrap();
    assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 8, true));
    b.connect(a.local_addr().unwrap()).unwrap();
    let n = b.peek(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"peekaboo");
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"peekaboo"[..], a.local_addr().unwrap())
    );
    assert_eq!(
        b.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

fn try_calls_never_block<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let mut buf = [0u8; 8];
    assert_eq!(
        a.try_recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        a.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        a.try_peek_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let e = a
        .blocking()
        .recv_with_flags(&mut buf, MsgFlags::DONTWAIT)
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));

    let b = bound::<S>(f);
    assert_eq!(b.try_send_to(b"now", a.local_addr().unwrap()).unwrap(), 3);
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(b.try_send(b"again").unwrap(), 5);
    let (n, _) = a.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"now");
    // wait (bounded) until the second is queued, then take it without blocking
    a.peek_from(&mut []).unwrap();
    let (n, _) = a.try_recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"again");

    // non-blocking mode turns the blocking calls into try calls
    a.blocking().set_nonblocking(true).unwrap();
    assert_eq!(
        a.blocking().recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

fn read_timeout_gives_would_block(f: Family) {
    let a = bound::<UdpSocket>(f);
    // a whole number of jiffies at HZ 100, 250, 300 and 1000, so it reads back exactly
    let t = Duration::from_millis(100);
    a.set_read_timeout(Some(t)).unwrap();
    assert_eq!(a.read_timeout().unwrap(), Some(t));
    let e = a.recv_from(&mut [0; 4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    a.set_write_timeout(Some(t)).unwrap();
    assert_eq!(a.write_timeout().unwrap(), Some(t));
    a.set_read_timeout(None).unwrap();
    assert_eq!(a.read_timeout().unwrap(), None);
    assert_eq!(
        a.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        a.set_write_timeout(Some(Duration::ZERO))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

fn bytes_readable_is_next_datagram_size<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    assert_eq!(b.blocking().bytes_readable().unwrap(), 0);
    a.send_to(&[7u8; 37], b.local_addr().unwrap()).unwrap();
    a.send_to(&[8u8; 100], b.local_addr().unwrap()).unwrap();
    // wait for the first without consuming it
    b.peek_from(&mut []).unwrap();
    assert_eq!(b.blocking().bytes_readable().unwrap(), 37);
    b.recv(&mut [0; 64]).unwrap();
    b.peek_from(&mut []).unwrap();
    assert_eq!(b.blocking().bytes_readable().unwrap(), 100);
    b.recv(&mut [0; 128]).unwrap();
    assert_eq!(b.blocking().bytes_readable().unwrap(), 0);
}

fn send_queue_size_counts_corked_bytes<S: Udp>(f: Family) {
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    assert_eq!(a.blocking().send_queue_size().unwrap(), 0);
    a.connect(b.local_addr().unwrap()).unwrap();
    // MSG_MORE holds the datagram open in the send queue until a send without it
    a.blocking()
        .send_with_flags(&[1u8; 300], MsgFlags::MORE)
        .unwrap();
    let queued = a.blocking().send_queue_size().unwrap();
    assert!(
        queued >= 300,
        "SIOCOUTQ said {queued} with 300 corked bytes"
    );
    a.send(&[2u8; 5]).unwrap();
    let mut buf = [0u8; 512];
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(n, 305);
    assert_eq!(&buf[..300], &[1u8; 300][..]);
    assert_eq!(&buf[300..305], &[2u8; 5]);
}

fn largest_datagram_passes_and_one_more_byte_is_refused<S: Udp>(f: Family) {
    let max = f.max_payload();
    assert_eq!(max, if f == Family::V4 { 65_507 } else { 65_527 });
    let a = bound::<S>(f);
    let b = bound::<S>(f);
    let to = b.local_addr().unwrap();
    let big = vec![0x5au8; max + 1];
    // One condition, one error: the library's refusal is the kernel's EMSGSIZE.
    let e = a.send_to(&big, to).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
    let e = a
        .send_to_vectored(&[IoSlice::new(&big[..max]), IoSlice::new(b"x")], to)
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
    a.connect(to).unwrap();
    assert_eq!(
        a.send(&big).unwrap_err().raw_os_error(),
        Some(libc::EMSGSIZE)
    );

    assert_eq!(a.send(&big[..max]).unwrap(), max);
    let mut buf = vec![0u8; max + 100];
    let meta = b.recv_msg(&mut buf).unwrap();
    assert_eq!((meta.len, meta.truncated), (max, false));
    assert!(buf[..max].iter().all(|&x| x == 0x5a));

    if f == Family::V6 {
        // an IPv4 destination on an IPv6 socket carries IPv4's limit, connected or not
        let v4 = bound::<S>(Family::V4);
        let dual = S::bind("[::]:0".parse().unwrap()).unwrap();
        let over = &big[..datagrams::MAX_PAYLOAD_V4 + 1];
        let e = dual.send_to(over, v4.local_addr().unwrap()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
        dual.connect(v4.local_addr().unwrap()).unwrap();
        let e = dual.send(over).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
        assert_eq!(
            dual.send(&big[..datagrams::MAX_PAYLOAD_V4]).unwrap(),
            datagrams::MAX_PAYLOAD_V4
        );
    }
}

fn option_round_trips(f: Family) {
    let s = UdpSocket::unbound(f).unwrap();
    assert!(!s.broadcast().unwrap());
    s.set_broadcast(true).unwrap();
    assert!(s.broadcast().unwrap());

    s.set_ttl(42).unwrap();
    assert_eq!(s.ttl().unwrap(), 42);
    s.set_ttl(255).unwrap();
    assert_eq!(s.ttl().unwrap(), 255);
    s.set_tos_v4(0x28).unwrap();
    assert_eq!(s.tos_v4().unwrap(), 0x28);

    s.set_reuse_address(true).unwrap();
    assert!(s.reuse_address().unwrap());
    s.set_reuse_port(true).unwrap();
    assert!(s.reuse_port().unwrap());

    // the kernel keeps twice the size asked for (socket(7)); asked for within the system's maximum
    let (rmax, wmax) = (
        common::net_core_max("rmem_max"),
        common::net_core_max("wmem_max"),
    );
    let (r, w) = ((32 * 1024).min(rmax), (48 * 1024).min(wmax));
    s.set_recv_buffer_size(r).unwrap();
    assert_eq!(s.recv_buffer_size().unwrap(), 2 * r);
    s.set_send_buffer_size(w).unwrap();
    assert_eq!(s.send_buffer_size().unwrap(), 2 * w);
    assert!(s.take_error().unwrap().is_none());

    match f {
        Family::V6 => {
            s.set_unicast_hops_v6(7).unwrap();
            assert_eq!(s.unicast_hops_v6().unwrap(), 7);
            s.set_tclass_v6(0xb8).unwrap();
            assert_eq!(s.tclass_v6().unwrap(), 0xb8);
            s.set_only_v6(true).unwrap();
            assert!(s.only_v6().unwrap());
            s.set_only_v6(false).unwrap();
            assert!(!s.only_v6().unwrap());
            assert_eq!(
                s.set_unicast_hops_v6(256).unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
            assert_eq!(
                s.set_tclass_v6(256).unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        }
        Family::V4 => {
            for e in [
                s.set_unicast_hops_v6(7).unwrap_err(),
                s.set_tclass_v6(1).unwrap_err(),
                s.set_only_v6(true).unwrap_err(),
                s.only_v6().unwrap_err(),
            ] {
                assert_eq!(e.kind(), ErrorKind::InvalidInput);
                assert!(e.to_string().contains("IPv6 sockets"), "{e}");
            }
        }
    }
    assert_eq!(
        s.set_tos_v4(256).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );

    // the builder applies Node's createSocket options
    let mut b = UdpSocket::builder()
        .reuse_address(true)
        .reuse_port(true)
        .recv_buffer_size(40_000.min(rmax))
        .send_buffer_size(50_000.min(wmax));
    if f == Family::V6 {
        b = b.only_v6(true);
    }
    let s = b.bind(lo(f)).unwrap();
    assert!(s.reuse_address().unwrap() && s.reuse_port().unwrap());
    assert_eq!(s.recv_buffer_size().unwrap(), 2 * 40_000.min(rmax));
    assert_eq!(s.send_buffer_size().unwrap(), 2 * 50_000.min(wmax));
    if f == Family::V6 {
        assert!(s.only_v6().unwrap());
    }
    // reuse_port lets a second socket share the port
    let t = UdpSocket::builder()
        .reuse_address(true)
        .reuse_port(true)
        .bind(s.local_addr().unwrap())
        .unwrap();
    assert_eq!(t.local_addr().unwrap(), s.local_addr().unwrap());
    let nb = UdpSocket::builder().nonblocking(true).bind(lo(f)).unwrap();
    assert_eq!(
        nb.recv(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

fn ttl_out_of_range(f: Family) {
    let s = UdpSocket::unbound(f).unwrap();
    for bad in [0, 256, u32::MAX] {
        let e = s.set_ttl(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains(&bad.to_string()), "{e}");
    }
    assert_eq!(
        s.ttl().unwrap(),
        64,
        "a refused TTL must not change the setting"
    );
}

fn bind_twice<S: Udp>(f: Family) {
    let s = bound::<S>(f);
    let e = s.bind_to(lo(f)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("already bound"), "{e}");
    // a socket bound by a send is bound too
    let t = S::unbound(f).unwrap();
    t.send_to(b"x", s.local_addr().unwrap()).unwrap();
    assert_eq!(
        t.bind_to(lo(f)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // a taken port is AddrInUse
    let u = S::unbound(f).unwrap();
    assert_eq!(
        u.bind_to(s.local_addr().unwrap()).unwrap_err().kind(),
        ErrorKind::AddrInUse
    );
    assert_eq!(
        S::bind(s.local_addr().unwrap()).unwrap_err().kind(),
        ErrorKind::AddrInUse
    );
}

fn send_on_unconnected<S: Udp>(f: Family) {
    let s = bound::<S>(f);
    for e in [
        s.send(b"nowhere").unwrap_err(),
        s.try_send(b"nowhere").unwrap_err(),
        s.send_vectored(&[IoSlice::new(b"x")]).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
    }
}

fn destination_port_zero<S: Udp>(f: Family) {
    let s = bound::<S>(f);
    for e in [
        s.send_to(b"x", SocketAddr::new(f.loopback(), 0))
            .unwrap_err(),
        s.connect(SocketAddr::new(f.loopback(), 0)).unwrap_err(),
        s.send_to_host(b"x", "localhost", 0).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("port 0"), "{e}");
    }
}

fn buffer_size_above_the_system_maximum(f: Family) {
    let s = UdpSocket::unbound(f).unwrap();
    let before = s.recv_buffer_size().unwrap();
    for (sysctl, set) in [
        (
            "rmem_max",
            &(|n| s.set_recv_buffer_size(n)) as &dyn Fn(usize) -> std::io::Result<()>,
        ),
        ("wmem_max", &|n| s.set_send_buffer_size(n)),
    ] {
        let max = common::net_core_max(sysctl);
        let e = set(max + 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(
            e.to_string().contains(&format!("= {max} bytes")),
            "the error names the maximum: {e}"
        );
        // exactly the maximum is fine
        set(max).unwrap();
    }
    s.set_recv_buffer_size((before / 2).min(common::net_core_max("rmem_max")))
        .unwrap();
    let e = s.set_recv_buffer_size(usize::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

fn buffer_size_force_as_root(f: Family) {
    if !common::root_or_skip("buffer_size_force_as_root") {
        return;
    }
    let s = UdpSocket::unbound(f).unwrap();
    let max = common::net_core_max("rmem_max");
    s.set_recv_buffer_size_force(max + 4096).unwrap();
    assert_eq!(s.recv_buffer_size().unwrap(), 2 * (max + 4096));
    s.set_send_buffer_size_force(max + 8192).unwrap();
    assert_eq!(s.send_buffer_size().unwrap(), 2 * (max + 8192));
}

fn unresolvable_host<S: Udp>(f: Family) {
    let s = bound::<S>(f);
    let e = s.send_to_str(b"x", "no-such-host.invalid:53").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = s
        .send_to_host(b"x", "no-such-host.invalid", 53)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("no-such-host.invalid"), "{e}");
    assert_eq!(
        s.connect_host("no-such-host.invalid", 53)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // a malformed address string stays InvalidInput
    assert_eq!(
        s.send_to_str(b"x", "not an address").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // a literal of the other family
    if f == Family::V4 {
        let e = s
            .send_to(b"x", (Ipv6Addr::LOCALHOST, 9).into())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("[::1]:9"), "{e}");
        assert_eq!(
            s.connect((Ipv6Addr::LOCALHOST, 9).into())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
    } else {
        // an IPv4 destination on an IPv6 socket goes out v4-mapped (dual stack)
        let v4 = bound::<S>(Family::V4);
        let t = S::bind("[::]:0".parse().unwrap()).unwrap();
        t.send_to(b"mapped", v4.local_addr().unwrap()).unwrap();
        let mut buf = [0; 8];
        let (n, from) = v4.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"mapped");
        assert_eq!(
            from,
            SocketAddr::new(
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                t.local_addr().unwrap().port()
            )
        );
    }
}

#[derive(Debug)]
struct OneName(SocketAddr);

impl Resolve for OneName {
    fn resolve(&self, host: &str, port: u16, family: Family) -> std::io::Result<Vec<SocketAddr>> {
        // Told the socket's family: the address it holds is of the family of the socket under test.
        assert_eq!(family, Family::of(&self.0), "{host}");
        if host == "peer.test" {
            Ok(vec![SocketAddr::new(self.0.ip(), port)])
        } else {
            Err(std::io::Error::new(
                ErrorKind::NotFound,
                format!("{host} unknown to the test resolver"),
            ))
        }
    }
}

fn custom_resolver(f: Family) {
    let rx = bound::<UdpSocket>(f);
    let port = rx.local_addr().unwrap().port();
    let tx = UdpSocket::builder()
        .resolver(OneName(rx.local_addr().unwrap()))
        .bind(lo(f))
        .unwrap();
    assert_eq!(
        tx.send_to_host(b"via resolver", "peer.test", port).unwrap(),
        12
    );
    let mut buf = [0; 32];
    let (n, from) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"via resolver"[..], tx.local_addr().unwrap())
    );
    let e = tx.send_to_host(b"x", "other.test", port).unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::NotFound,
            "other.test unknown to the test resolver".into()
        )
    );
    // literal addresses never reach the resolver
    tx.send_to_host(b"literal", &f.loopback().to_string(), port)
        .unwrap();
    let (n, _) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"literal");
    tx.connect_host("peer.test", port).unwrap();
    assert_eq!(tx.peer_addr().unwrap(), rx.local_addr().unwrap());
    // and binds: an unbound socket binds where the resolver says
    let unbound = UdpSocket::builder()
        .resolver(OneName(rx.local_addr().unwrap()))
        .unbound(f)
        .unwrap();
    unbound.bind_to_host("peer.test", 0).unwrap();
    assert_eq!(
        unbound.local_addr().unwrap().ip(),
        rx.local_addr().unwrap().ip()
    );
    let e = unbound.bind_to_host("peer.test", 0).unwrap_err();
    assert!(e.to_string().contains("already bound"), "{e}");
}

fn connection_refused_on_connected_socket<S: Udp>(f: Family) {
    // a port with no socket: bind one, note the port, close it
    let closed = bound::<S>(f).local_addr().unwrap();
    let s = bound::<S>(f);
    s.connect(closed).unwrap();
    s.send(b"anyone?").unwrap();
    // the ICMP port unreachable comes back over loopback and fails the next receive
    let e = s.recv(&mut [0; 8]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
    assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED));
}

fn reconnect_retargets<S: Udp>(f: Family) {
    let (p1, p2) = (bound::<S>(f), bound::<S>(f));
    let s = bound::<S>(f);
    s.connect(p1.local_addr().unwrap()).unwrap();
    s.connect(p2.local_addr().unwrap()).unwrap();
    assert_eq!(s.peer_addr().unwrap(), p2.local_addr().unwrap());
    s.send(b"to p2").unwrap();
    let mut buf = [0; 8];
    let n = p2.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to p2");
    assert_eq!(
        p1.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // a connected socket may still send_to elsewhere (Linux)
    s.send_to(b"to p1", p1.local_addr().unwrap()).unwrap();
    let n = p1.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to p1");
    // and only hears its peer
    p1.send_to(b"ignored", s.local_addr().unwrap()).unwrap();
    p2.send_to(b"heard", s.local_addr().unwrap()).unwrap();
    let (n, from) = s.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"heard"[..], p2.local_addr().unwrap()));
    // Node's default connect: the family's loopback
    let t = S::unbound(f).unwrap();
    t.blocking()
        .connect_loopback(p1.local_addr().unwrap().port())
        .unwrap();
    assert_eq!(t.peer_addr().unwrap(), p1.local_addr().unwrap());
}

fn conversions_and_close(f: Family) {
    let s = bound::<UdpSocket>(f);
    let local = s.local_addr().unwrap();
    let dbg = format!("{s:?}");
    assert!(dbg.contains(&format!("fd: {}", s.as_raw_fd())), "{dbg}");
    assert!(dbg.contains(&local.to_string()), "{dbg}");
    let clone = s.try_clone().unwrap();
    assert_ne!(clone.as_raw_fd(), s.as_raw_fd());
    assert_eq!(clone.local_addr().unwrap(), local);

    let std_sock = s.into_std();
    assert_eq!(std_sock.local_addr().unwrap(), local);
    let back = UdpSocket::try_from(std_sock).unwrap();
    assert_eq!(back.family(), f);
    let fd: OwnedFd = back.into();
    let again = UdpSocket::try_from(fd).unwrap();
    assert_eq!(again.local_addr().unwrap(), local);
    // the clone and the adopted descriptor share the socket
    let peer = bound::<UdpSocket>(f);
    peer.send_to(b"shared", local).unwrap();
    let mut buf = [0; 8];
    let n = clone.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"shared");
    again.close().unwrap();
    clone.close().unwrap();
    // the port is free again once every handle is closed
    UdpSocket::bind(local).unwrap();
}

fn shared_between_threads<S: Udp>(f: Family) {
    // One socket, served by two threads at once, answers four clients; each client waits for its
    // reply before the next request, so no queue overflows and every reply must come back exact.
    let server = Arc::new(bound::<S>(f));
    let to = server.local_addr().unwrap();
    const PER_CLIENT: usize = 200;
    const CLIENTS: u8 = 4;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            let server = Arc::clone(&server);
            scope.spawn(move || {
                let mut buf = [0u8; 8];
                loop {
                    let (n, from) = server.recv_from(&mut buf).unwrap();
                    if &buf[..n] == b"stop" {
                        break;
                    }
                    buf[..n].reverse();
                    server.send_to(&buf[..n], from).unwrap();
                }
            });
        }
        let clients: Vec<_> = (0..CLIENTS)
            .map(|t| {
                scope.spawn(move || {
                    let c = bound::<S>(f);
                    c.connect(to).unwrap();
                    let mut buf = [0u8; 8];
                    for i in 0..PER_CLIENT {
                        c.send(&[t, i as u8]).unwrap();
                        let n = c.recv(&mut buf).unwrap();
                        assert_eq!(&buf[..n], &[i as u8, t]);
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        let stopper = bound::<S>(f);
        stopper.send_to(b"stop", to).unwrap();
        stopper.send_to(b"stop", to).unwrap();
    });
}

fn dontroute_reaches_loopback(f: Family) {
    let a = bound::<UdpSocket>(f);
    let b = bound::<UdpSocket>(f);
    a.send_to_with_flags(b"direct", b.local_addr().unwrap(), MsgFlags::DONTROUTE)
        .unwrap();
    let mut buf = [0; 8];
    let (n, _) = b.recv_from_with_flags(&mut buf, MsgFlags::empty()).unwrap();
    assert_eq!(&buf[..n], b"direct");
}

fn wildcard_bind_survives_disconnect<S: Udp>(f: Family) {
    // bound to the wildcard on port 0: the kernel would release the port on disconnect, and
    // getsockname while connected shows the routed source, not the wildcard
    let s = S::bind(unspecified(f)).unwrap();
    let port = s.local_addr().unwrap().port();
    let peer = bound::<S>(f);
    s.connect(peer.local_addr().unwrap()).unwrap();
    assert_eq!(s.local_addr().unwrap(), SocketAddr::new(f.loopback(), port));
    s.disconnect().unwrap();
    assert_eq!(
        s.local_addr().unwrap(),
        SocketAddr::new(f.unspecified(), port)
    );
    // and it still receives on that port
    peer.send_to(b"still here", (f.loopback(), port).into())
        .unwrap();
    let mut buf = [0; 16];
    let n = s.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still here");
}

fn clones_share_binding_state(f: Family) {
    let peer = bound::<UdpSocket>(f);
    let s = UdpSocket::unbound(f).unwrap();
    s.connect(peer.local_addr().unwrap()).unwrap();
    let clone = s.try_clone().unwrap();
    assert_eq!(
        clone
            .recv_with_flags(&mut [0; 4], MsgFlags::DONTWAIT)
            .unwrap_err()
            .kind(),
        ErrorKind::WouldBlock
    );
    // one handle dissolves the association and the kernel releases the implicit port...
    s.disconnect().unwrap();
    // ...and the other handle knows: a receive would never end, so it is refused at once
    let e = clone.recv(&mut [0; 4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

fn flags_of_the_wrong_direction_are_refused(f: Family) {
    let a = bound::<UdpSocket>(f);
    let to = a.local_addr().unwrap();
    let e = a.send_to_with_flags(b"x", to, MsgFlags::PEEK).unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("PEEK"),
        "{e}"
    );
    let e = a
        .recv_with_flags(&mut [0; 4], MsgFlags::MORE | MsgFlags::DONTWAIT)
        .unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("MORE"),
        "{e}"
    );
    assert_eq!(
        a.recv_from_with_flags(&mut [0; 4], MsgFlags::DONTROUTE)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        a.recv_msg_vectored(&mut [], MsgFlags::MORE)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn msg_flags_debug_and_contains() {
    let f = MsgFlags::PEEK | MsgFlags::DONTWAIT;
    assert!(
        f.contains(MsgFlags::PEEK) && f.contains(MsgFlags::DONTWAIT) && !f.contains(MsgFlags::MORE)
    );
    assert_eq!(format!("{f:?}"), "MsgFlags(PEEK | DONTWAIT)");
    assert_eq!(f.bits(), libc::MSG_PEEK | libc::MSG_DONTWAIT);
}

#[test]
fn every_pmtu_mode_round_trips() {
    use datagrams::PmtuDiscover::{Do, Dont, Interface, Omit, Probe, Want};
    let v4 = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    let v6 = datagrams::UdpSocket::bind("[::1]:0").unwrap();
    for mode in [Dont, Want, Do, Probe, Interface, Omit] {
        v4.set_mtu_discover_v4(mode).unwrap();
        assert_eq!(v4.mtu_discover_v4().unwrap(), mode);
        v6.set_mtu_discover_v6(mode).unwrap();
        assert_eq!(v6.mtu_discover_v6().unwrap(), mode);
    }
}

#[test]
fn an_ipv6_only_socket_refuses_ipv4_destinations() {
    let v6only = UdpSocket::builder().only_v6(true).bind("[::]:0").unwrap();
    let v4: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let mapped: SocketAddr = "[::ffff:127.0.0.1]:9".parse().unwrap();
    for e in [
        v6only.send_to(b"x", v4).unwrap_err(),
        v6only.send_to(b"x", mapped).unwrap_err(),
        v6only
            .send_msg(&datagrams::Transmit::new(v4, b"x"))
            .unwrap_err(),
        v6only.connect(v4).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("IPv6-only"), "{e}");
    }
    // a dual-stack socket maps them, and they arrive
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let dual = UdpSocket::builder().only_v6(false).bind("[::]:0").unwrap();
    dual.send_to(b"mapped", rx.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 8];
    let n = rx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"mapped");
    // Binding a specific IPv6 address makes the kernel switch IPV6_V6ONLY on, whatever was asked
    // (or remembered) before the bind.
    let v4_to = rx.local_addr().unwrap();
    let asked_dual = UdpSocket::builder().only_v6(false).bind("[::1]:0").unwrap();
    let later = UdpSocket::unbound(Family::V6).unwrap();
    later.set_only_v6(false).unwrap();
    later.bind_to("[::1]:0").unwrap();
    for s in [asked_dual, later, v6only] {
        assert!(s.only_v6().unwrap());
        let lo = datagrams::Interface::Name("lo".into());
        for e in [
            s.send_to(b"x", v4_to).unwrap_err(),
            // IPv4 multicast, which the kernel would take, though the socket carries no IPv4
            s.join_multicast_v4_n("239.0.0.1".parse().unwrap(), &lo)
                .unwrap_err(),
            s.join_ssm_v4(
                "232.0.0.1".parse().unwrap(),
                "192.0.2.1".parse().unwrap(),
                &lo,
            )
            .unwrap_err(),
            s.set_multicast_interface_v4(&lo).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("IPv6-only"), "{e}");
        }
    }
    // a dual-stack socket takes them
    dual.join_multicast_v4_n(
        "239.0.0.1".parse().unwrap(),
        &datagrams::Interface::Name("lo".into()),
    )
    .unwrap();
}
