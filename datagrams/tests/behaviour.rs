//! Behaviour where users trip: each case here failed before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};

use datagrams::{Family, Transmit, UdpSocket};

/// `::ffff:a.b.c.d` given to an IPv4 socket means `a.b.c.d`: bind, connect, send_to and a
/// `Transmit`; so a sender a dual-stack socket reports can be answered from an IPv4 socket.
#[test]
fn an_ipv4_socket_takes_v4_mapped_addresses() {
    let mapped = |a: SocketAddr| -> SocketAddr {
        match a {
            SocketAddr::V4(v4) => SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port()),
            v6 => v6,
        }
    };
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let to = mapped(rx.local_addr().unwrap());

    let tx = UdpSocket::unbound(Family::V4).unwrap();
    tx.bind_to("[::ffff:127.0.0.1]:0").unwrap();
    assert_eq!(tx.local_addr().unwrap().ip(), Ipv4Addr::LOCALHOST);
    tx.send_to(b"send_to", to).unwrap();
    tx.send_msg(&Transmit::new(to, b"transmit")).unwrap();
    tx.send_batch(&[Transmit::new(to, b"batch")]).unwrap();
    tx.connect(to).unwrap();
    assert_eq!(tx.peer_addr().unwrap(), rx.local_addr().unwrap());
    tx.send(b"connected").unwrap();
    let mut buf = [0u8; 16];
    for want in [&b"send_to"[..], b"transmit", b"batch", b"connected"] {
        let (n, from) = rx.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (want, tx.local_addr().unwrap()));
    }

    // The reply case: a dual-stack socket reports an IPv4 sender v4-mapped; an IPv4 socket replies.
    let dual = UdpSocket::builder().only_v6(false).bind("[::]:0").unwrap();
    dual.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let v4_client = UdpSocket::bind("127.0.0.1:0").unwrap();
    v4_client.set_read_timeout(Some(common::PATIENCE)).unwrap();
    v4_client
        .send_to(b"ask", ("127.0.0.1", dual.local_addr().unwrap().port()))
        .unwrap();
    let (_, sender) = dual.recv_from(&mut buf).unwrap();
    assert_eq!(sender, mapped(v4_client.local_addr().unwrap()));
    let replier = UdpSocket::bind("127.0.0.1:0").unwrap();
    replier.send_to(b"answer", sender).unwrap();
    let (n, from) = v4_client.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"answer"[..], replier.local_addr().unwrap())
    );

    // Other IPv6 forms stay refused: loopback, IPv4-compatible.
    for other in ["[::1]:9", "[::127.0.0.1]:9"] {
        let e = tx.send_to(b"x", other).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{other}: {e}");
        assert!(e.to_string().contains("IPv4 socket"), "{other}: {e}");
    }
}

/// The async socket follows the same rule.
#[test]
fn an_async_ipv4_socket_takes_v4_mapped_addresses() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rx = datagrams::tokio::UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap();
        let port = rx.local_addr().unwrap().port();
        let tx = datagrams::tokio::UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap();
        let to: SocketAddr = format!("[::ffff:127.0.0.1]:{port}").parse().unwrap();
        tx.send_to(b"async", to).await.unwrap();
        tx.connect(to).await.unwrap();
        tx.send(b"connected").await.unwrap();
        let mut buf = [0u8; 16];
        for want in [&b"async"[..], b"connected"] {
            let (n, from) = tokio::time::timeout(common::PATIENCE, rx.recv_from(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert_eq!((&buf[..n], from), (want, tx.local_addr().unwrap()));
        }
    });
}

/// A peer bound to the longest path (all 108 bytes of `sun_path`, no NUL) is reported, printed,
/// parsed back to the same address, and answered.
#[test]
fn the_longest_unix_path_prints_in_a_form_that_parses_and_can_be_answered() {
    use datagrams::{MAX_PATHNAME_LEN, UnixAddr, UnixDatagram};
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_str().unwrap().to_string() + "/";
    assert!(base.len() < MAX_PATHNAME_LEN, "temp dir too long: {base}");
    let path = base.clone() + &"p".repeat(MAX_PATHNAME_LEN - base.len());
    assert_eq!(path.len(), 108);
    let longest = UnixDatagram::bind(&path).unwrap();
    let rx = UnixDatagram::bind(base + "rx").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    longest.set_read_timeout(Some(common::PATIENCE)).unwrap();
    longest.send_to(b"long", rx.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 8];
    let (n, from) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"long");
    assert_eq!(from.as_pathname(), Some(std::path::Path::new(&path)));
    let printed = from.to_string();
    let parsed: UnixAddr = printed.parse().unwrap();
    assert_eq!(parsed, from, "{printed}");
    rx.send_to(b"back", parsed).unwrap();
    let n = longest.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"back");
}

/// A datagram too large for UDP is the kernel's `EMSGSIZE` whichever layer refuses it, blocking
/// and async, as the kernel's own refusal on a Unix socket is.
#[test]
fn too_large_is_emsgsize_on_every_path() {
    let big = vec![0u8; datagrams::MAX_PAYLOAD_V6 + 1];
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    let e = tx.send_to(&big, to).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
    let e = tx.send_msg(&Transmit::new(to, &big)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tx = datagrams::tokio::UdpSocket::bind("[::1]:0").await.unwrap();
        let rx = UdpSocket::bind("[::1]:0").unwrap();
        let e = tx
            .send_to(&big, rx.local_addr().unwrap())
            .await
            .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
        tx.connect(rx.local_addr().unwrap()).await.unwrap();
        let e = tx.send(&big).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
    });

    // A Unix datagram above the send buffer: the kernel's EMSGSIZE, the same error.
    let (a, _b) = datagrams::UnixDatagram::pair().unwrap();
    a.set_send_buffer_size(4096).unwrap();
    let e = a.send(&vec![0u8; 1 << 20]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
}

/// Runs `op` on a thread that receives SIGUSR1 (a no-op handler) every 20 ms, up to 500 times,
/// and returns its result and whether the signals were still coming when it returned.
fn under_signals<R: Send + 'static>(op: impl FnOnce() -> R + Send + 'static) -> (R, bool) {
    under_signals_then(op, 500, || {})
}

/// [`under_signals`], with `action` run once after `after` signals (if `op` is still running).
fn under_signals_then<R: Send + 'static>(
    op: impl FnOnce() -> R + Send + 'static,
    after: usize,
    action: impl FnOnce(),
) -> (R, bool) {
    use nix::sys::signal::Signal;
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    // A handler (it sets a flag nobody reads, with SA_RESTART) so the signal interrupts, not kills.
    signal_hook::flag::register(libc::SIGUSR1, Arc::new(AtomicBool::new(false))).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let worker = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let r = op();
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    let mut action = Some(action);
    let mut exhausted = true;
    for i in 0..500 {
        if done.load(Ordering::SeqCst) {
            exhausted = false;
            break;
        }
        if i == after
            && let Some(action) = action.take()
        {
            action();
        }
        let _ = nix::sys::pthread::pthread_kill(worker.as_pthread_t(), Signal::SIGUSR1);
        // The pace of the signals, not a synchronisation: the outcome is read from `done`.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (worker.join().unwrap(), !exhausted)
}

/// A receive with a long timeout keeps waiting through signals (it does not give up at the first),
/// gets the datagram sent after them, and ends at once when the read side is shut down after them
/// (no spin until the deadline: the signals would run out first).
#[test]
fn a_timed_receive_waits_through_signals_and_ends_at_shutdown() {
    use std::net::Shutdown;
    use std::sync::Arc;
    use std::time::Duration;
    let rx = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    rx.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    let worker = Arc::clone(&rx);
    let (r, in_time) = under_signals_then(
        move || {
            let mut buf = [0u8; 8];
            worker.recv(&mut buf).map(|n| buf[..n].to_vec())
        },
        10,
        || {
            tx.send_to(b"late", to).unwrap();
        },
    );
    assert_eq!(r.unwrap(), b"late");
    assert!(in_time);

    let worker = Arc::clone(&rx);
    let shut = Arc::clone(&rx);
    let (r, in_time) = under_signals_then(
        move || worker.recv(&mut [0u8; 8]).map_err(|e| e.kind()),
        10,
        move || shut.shutdown(Shutdown::Read).unwrap(),
    );
    assert_eq!(r, Err(ErrorKind::BrokenPipe));
    assert!(
        in_time,
        "the receive spun until its deadline after the shutdown"
    );
}

/// A timeout is a deadline: a blocking call with a timeout returns `WouldBlock` within it while
/// signals keep interrupting it, where a retry of the whole kernel timeout after each signal would
/// wait until the signals stop.
#[test]
fn timeouts_are_deadlines_under_signals() {
    use datagrams::{RecvMeta, UnixDatagram};
    use std::time::Duration;
    let timeout = Some(Duration::from_millis(200));

    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(timeout).unwrap();
    let (r, in_time) = under_signals(move || rx.recv(&mut [0u8; 8]).map_err(|e| e.kind()));
    assert_eq!(r, Err(ErrorKind::WouldBlock));
    assert!(in_time, "recv waited until the signals stopped");

    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(timeout).unwrap();
    let (r, in_time) = under_signals(move || {
        let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
        let mut bufs = [
            std::io::IoSliceMut::new(&mut a),
            std::io::IoSliceMut::new(&mut b),
        ];
        let mut meta = [RecvMeta::default(); 2];
        rx.recv_batch(&mut bufs, &mut meta).map_err(|e| e.kind())
    });
    assert_eq!(r, Err(ErrorKind::WouldBlock));
    assert!(in_time, "recv_batch waited until the signals stopped");

    // A send that waits for room: a Unix datagram to a peer whose queue is full.
    let (tx, _peer) = UnixDatagram::pair().unwrap();
    tx.set_nonblocking(true).unwrap();
    while tx.send(b"fill").is_ok() {}
    tx.set_nonblocking(false).unwrap();
    tx.set_write_timeout(timeout).unwrap();
    let (r, in_time) = under_signals(move || tx.send(b"one more").map_err(|e| e.kind()));
    assert_eq!(r, Err(ErrorKind::WouldBlock));
    assert!(in_time, "send waited until the signals stopped");
}

/// One rule for a Unix socket whose peer is gone, whether it came from `pair` or a `connect` to a
/// path: while the kernel keeps the association, a receive waits (`WouldBlock` when non-blocking);
/// the send that finds the peer gone fails with `ConnectionRefused` and the kernel dissolves the
/// association; from then on the socket has no name and no peer, and a receive is `InvalidInput`.
#[test]
fn a_unix_socket_whose_peer_is_gone_follows_one_rule() {
    use datagrams::UnixDatagram;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server");
    let server = UnixDatagram::bind(&path).unwrap();
    let by_path = UnixDatagram::unbound().unwrap();
    by_path.connect(&path).unwrap();
    let (from_pair, other_end) = UnixDatagram::pair().unwrap();
    // A first receive on each, while its peer lives: nothing queued.
    let mut buf = [0u8; 8];
    for s in [&by_path, &from_pair] {
        assert_eq!(
            s.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    }
    drop(server);
    drop(other_end);
    for (what, s) in [("by path", &by_path), ("from pair", &from_pair)] {
        assert_eq!(
            s.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock,
            "{what}"
        );
        let e = s.send(b"anyone?").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{what}: {e}");
        assert!(!s.is_connected().unwrap(), "{what}");
        let e = s.try_recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}");
        let e = s.recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}");
    }
}

/// A link-local destination without a scope is refused, naming what is missing, on every send and
/// connect, blocking and async: the kernel would pick a link by itself.
#[test]
fn a_link_local_destination_needs_a_scope() {
    let to: SocketAddr = "[fe80::b]:9".parse().unwrap();
    let s = UdpSocket::bind("[::]:0").unwrap();
    let check = |e: std::io::Error| {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("has no scope"), "{e}");
    };
    check(s.send_to(b"x", to).unwrap_err());
    check(s.connect(to).unwrap_err());
    check(s.send_msg(&Transmit::new(to, b"x")).unwrap_err());
    check(s.send_batch(&[Transmit::new(to, b"x")]).unwrap_err());
    // A transmit that names its interface names the link: past dgram's rule, the kernel answers.
    let lo = nix::net::if_::if_nametoindex("lo").unwrap();
    if let Err(e) = s.send_msg(&Transmit::new(to, b"x").ifindex(lo)) {
        assert!(!e.to_string().contains("has no scope"), "{e}");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = datagrams::tokio::UdpSocket::bind("[::]:0").await.unwrap();
        check(s.send_to(b"x", to).await.unwrap_err());
    });
}

/// A socket tied to an interface (`SO_BINDTODEVICE`) may send to a link-local address without a
/// scope: the kernel sends it on that interface.
#[test]
fn a_socket_tied_to_an_interface_needs_no_scope() {
    if !common::root_or_skip("a_socket_tied_to_an_interface_needs_no_scope") {
        return;
    }
    let raw = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None).unwrap();
    raw.bind_device(Some(b"lo")).unwrap();
    let s = UdpSocket::try_from(raw).unwrap();
    let to: SocketAddr = "[fe80::b]:9".parse().unwrap();
    // Past dgram's rule: what remains is the kernel's own answer for `lo`, which has no link-local
    // address (a route error), or a send.
    if let Err(e) = s.send_to(b"x", to) {
        assert!(!e.to_string().contains("has no scope"), "{e}");
        assert!(e.raw_os_error().is_some(), "{e}");
    }
}

/// The outgoing multicast interface reads back as it was set, by address, name or index.
#[test]
fn the_multicast_interface_reads_back() {
    use datagrams::Interface;
    let lo = Interface::Name("lo".into());
    let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert_eq!(v4.multicast_interface_v4().unwrap(), Interface::Any);
    v4.set_multicast_interface_v4(&lo).unwrap();
    let lo_index = nix::net::if_::if_nametoindex("lo").unwrap();
    assert_eq!(
        v4.multicast_interface_v4().unwrap(),
        Interface::Index(lo_index)
    );
    v4.set_multicast_interface_v4(&Interface::Addr(Ipv4Addr::LOCALHOST))
        .unwrap();
    assert_eq!(
        v4.multicast_interface_v4().unwrap(),
        Interface::Addr(Ipv4Addr::LOCALHOST)
    );
    v4.set_multicast_interface_v4(&Interface::Any).unwrap();
    assert_eq!(v4.multicast_interface_v4().unwrap(), Interface::Any);

    let v6 = UdpSocket::bind("[::1]:0").unwrap();
    assert_eq!(v6.multicast_interface_v6().unwrap(), Interface::Any);
    v6.set_multicast_interface_v6(&lo).unwrap();
    assert_eq!(
        v6.multicast_interface_v6().unwrap(),
        Interface::Index(lo_index)
    );
    let e = v4.multicast_interface_v6().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

/// A `Transmit` carries its own TTL or hop limit and TOS or traffic class, one datagram at a time
/// (alone and in a batch, IPv4 and IPv6); its ECN codepoint takes the low bits of the TOS.
#[test]
fn a_transmit_carries_its_own_ttl_and_tos() {
    use datagrams::Ecn;
    for (local, v6) in [("127.0.0.1:0", false), ("[::1]:0", true)] {
        let rx = UdpSocket::bind(local).unwrap();
        rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
        if v6 {
            rx.set_recv_hoplimit_v6(true).unwrap();
            rx.set_recv_tclass_v6(true).unwrap();
        } else {
            rx.set_recv_ttl_v4(true).unwrap();
            rx.set_recv_tos_v4(true).unwrap();
        }
        let tx = UdpSocket::bind(local).unwrap();
        let to = rx.local_addr().unwrap();
        tx.send_msg(&Transmit::new(to, b"a").ttl(3).tos(0xb8))
            .unwrap();
        tx.send_batch(&[
            Transmit::new(to, b"b").ttl(200),
            Transmit::new(to, b"c").tos(0xb8).ecn(Ecn::Ect0),
            Transmit::new(to, b"d"),
        ])
        .unwrap();
        let default_ttl = if v6 {
            tx.unicast_hops_v6().unwrap() as u8
        } else {
            tx.ttl().unwrap() as u8
        };
        let mut buf = [0u8; 4];
        for (want, ttl, tos) in [
            (b"a", 3, 0xb8),
            (b"b", 200, 0),
            (b"c", default_ttl, 0xb8 | 0b10),
            (b"d", default_ttl, 0),
        ] {
            let m = rx.recv_msg(&mut buf).unwrap();
            assert_eq!(&buf[..m.len], want, "{local}");
            assert_eq!((m.ttl, m.tos), (Some(ttl), Some(tos)), "{local} {want:?}");
        }
        let e = tx.send_msg(&Transmit::new(to, b"x").ttl(0)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
}

/// `shutdown(Read)` stops a thread blocked in any UDP receive (it fails with `BrokenPipe`), on an
/// unconnected socket too; datagrams queued before it are still received first.
#[test]
fn shutdown_read_stops_a_blocked_udp_receive() {
    use datagrams::RecvMeta;
    use std::net::Shutdown;
    use std::sync::Arc;
    type Recv = fn(&UdpSocket) -> std::io::Result<usize>;
    let receives: [(&str, Recv); 5] = [
        ("recv", |s| s.recv(&mut [0u8; 8])),
        ("recv_from", |s| s.recv_from(&mut [0u8; 8]).map(|(n, _)| n)),
        ("recv_msg", |s| s.recv_msg(&mut [0u8; 8]).map(|m| m.len)),
        ("recv_batch", |s| {
            let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
            let mut bufs = [
                std::io::IoSliceMut::new(&mut a),
                std::io::IoSliceMut::new(&mut b),
            ];
            s.recv_batch(&mut bufs, &mut [RecvMeta::default(); 2])
        }),
        ("recv_batch_without_senders", |s| {
            let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
            let mut bufs = [
                std::io::IoSliceMut::new(&mut a),
                std::io::IoSliceMut::new(&mut b),
            ];
            s.recv_batch_without_senders(&mut bufs, &mut [RecvMeta::new(()); 2])
        }),
    ];
    for (name, recv) in receives {
        let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        // A regression fails after PATIENCE rather than hanging.
        sock.set_read_timeout(Some(common::PATIENCE)).unwrap();
        let (started, wait) = std::sync::mpsc::channel();
        let receiver = {
            let sock = Arc::clone(&sock);
            std::thread::spawn(move || {
                started.send(()).unwrap();
                recv(&sock)
            })
        };
        wait.recv_timeout(common::PATIENCE).unwrap();
        // The receiver may not be inside the syscall yet: shutdown covers both, since a receive
        // that starts after it fails at once.
        sock.shutdown(Shutdown::Read).unwrap();
        let e = receiver.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{name}: {e}");
        let e = recv(&sock).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{name} again: {e}");
        let e = sock.try_recv(&mut [0u8; 8]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{name}, try_recv: {e}");
    }

    // Queued before: still received, then BrokenPipe.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"queued", sock.local_addr().unwrap()).unwrap();
    // Waits (bounded by the read timeout) until it is queued.
    sock.peek_from(&mut [0u8; 1]).unwrap();
    sock.shutdown(Shutdown::Both).unwrap();
    let mut buf = [0u8; 8];
    let (n, from) = sock.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"queued"[..], tx.local_addr().unwrap())
    );
    assert_eq!(
        sock.recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    // An empty datagram queued before the shutdown is a datagram, not the end, where the receive
    // sees its sender.
    let quiet = UdpSocket::bind("127.0.0.1:0").unwrap();
    quiet.set_read_timeout(Some(common::PATIENCE)).unwrap();
    tx.send_to(b"", quiet.local_addr().unwrap()).unwrap();
    quiet.peek_from(&mut [0u8; 1]).unwrap();
    quiet.shutdown(Shutdown::Read).unwrap();
    let mut one = [0u8; 8];
    let mut meta = [RecvMeta::default(); 1];
    let n = quiet
        .recv_batch(&mut [std::io::IoSliceMut::new(&mut one)], &mut meta)
        .unwrap();
    assert_eq!(
        (n, meta[0].full_len, meta[0].addr),
        (1, 0, tx.local_addr().unwrap())
    );
    let e = quiet.recv_from(&mut one).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{e}");
    // After Shutdown::Write (here, Both) a send is EPIPE.
    let e = sock.send_to(b"x", tx.local_addr().unwrap()).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");
}

/// Adoption is checked: a descriptor of the wrong kind is `InvalidInput` naming what it is, for
/// both socket types and every source (descriptor, std, socket2, async `from_std`).
#[test]
fn adoption_refuses_a_descriptor_of_the_wrong_kind() {
    use datagrams::UnixDatagram;
    use std::os::fd::OwnedFd;
    let dir = tempfile::tempdir().unwrap();
    let file = || OwnedFd::from(std::fs::File::create(dir.path().join("f")).unwrap());
    let tcp = || OwnedFd::from(std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let unix_dgram = || OwnedFd::from(std::os::unix::net::UnixDatagram::unbound().unwrap());
    let unix_stream = || OwnedFd::from(std::os::unix::net::UnixStream::pair().unwrap().0);
    let udp = || OwnedFd::from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
    let check = |r: std::io::Result<()>, words: &str| {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains(words), "{e} lacks {words:?}");
    };
    check(UdpSocket::try_from(file()).map(drop), "not a socket");
    check(
        UdpSocket::try_from(tcp()).map(drop),
        "SOCK_STREAM IPPROTO_TCP",
    );
    check(
        UdpSocket::try_from(unix_dgram()).map(drop),
        "AF_UNIX SOCK_DGRAM",
    );
    check(
        UnixDatagram::try_from(udp()).map(drop),
        "AF_INET SOCK_DGRAM IPPROTO_UDP",
    );
    check(
        UnixDatagram::try_from(unix_stream()).map(drop),
        "AF_UNIX SOCK_STREAM",
    );
    check(UnixDatagram::try_from(file()).map(drop), "not a socket");
    let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    check(UdpSocket::try_from(raw).map(drop), "SOCK_STREAM");
    // The right kinds pass.
    UdpSocket::try_from(udp()).unwrap();
    UnixDatagram::try_from(unix_dgram()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let std_tcp_as_udp = std::net::UdpSocket::from(tcp());
        check(
            datagrams::tokio::UdpSocket::from_std(std_tcp_as_udp).map(drop),
            "SOCK_STREAM",
        );
    });
}

/// A socket adopted with receive options already on (set by whoever made it) decodes metadata as
/// a socket dgram made: the destination address (`IP_PKTINFO`) and the GRO segment size.
#[test]
fn an_adopted_socket_decodes_the_options_already_on() {
    let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    raw.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .unwrap();
    // Set before dgram has the socket, as a parent process or socket activation would.
    nix::sys::socket::setsockopt(&raw, nix::sys::socket::sockopt::Ipv4PacketInfo, &true).unwrap();
    nix::sys::socket::setsockopt(&raw, nix::sys::socket::sockopt::UdpGroSegment, &true).unwrap();
    let rx = UdpSocket::try_from(raw).unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    assert!(rx.recv_pktinfo_v4().unwrap() && rx.gro().unwrap());
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    tx.send_msg(&Transmit::new(to, &[7u8; 300]).segment_size(100))
        .unwrap();
    let mut buf = [0u8; 1000];
    let m = rx.recv_msg(&mut buf).unwrap();
    assert_eq!(m.dst_ip, Some(Ipv4Addr::LOCALHOST.into()));
    assert_eq!(m.ifindex, Some(1));
    assert!(!m.control_truncated);
    if tx.max_gso_segments() > 1 {
        // Sent as one GSO datagram on loopback, it arrives as one GRO receive saying its segment
        // size.
        assert_eq!((m.len, m.stride), (300, Some(100)), "{m:?}");
    } else {
        eprintln!("no UDP GSO on this kernel: the GRO half of this test is not checked");
    }
}

/// The async forms: `shutdown(Read)` wakes a parked UDP `recv_from` (`BrokenPipe`); a Unix socket
/// whose peer is gone follows the blocking rule; and `readable()`'s false positive (after a receive
/// took the only datagram) is followed by `WouldBlock`, never by anything else.
#[test]
fn the_async_forms_follow_the_same_rules() {
    use datagrams::tokio::{UdpSocket as AsyncUdp, UnixDatagram as AsyncUnix};
    use std::net::Shutdown;
    use std::sync::Arc;
    // One thread: a spawned task runs, and parks, at the first yield.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sock = Arc::new(AsyncUdp::bind("127.0.0.1:0").await.unwrap());
        let receiver = {
            let sock = Arc::clone(&sock);
            tokio::spawn(async move { sock.recv_from(&mut [0u8; 8]).await })
        };
        tokio::task::yield_now().await; // the receiver is now parked, waiting for readiness
        assert!(!receiver.is_finished());
        sock.shutdown(Shutdown::Read).unwrap();
        let r = tokio::time::timeout(common::PATIENCE, receiver)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.unwrap_err().kind(), ErrorKind::BrokenPipe);

        let (a, b) = AsyncUnix::pair().unwrap();
        drop(b);
        let mut buf = [0u8; 8];
        let e = a.send(b"anyone?").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
        let e = a.recv(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

        // `b` waits first (so it is registered with tokio), then takes the only datagram: tokio's
        // readiness stays set, `readable()` returns at once, and `try_recv` says WouldBlock.
        let (a, b) = AsyncUnix::pair().unwrap();
        let (got, sent) = tokio::join!(b.recv(&mut buf), async {
            tokio::task::yield_now().await;
            a.send(b"only").await
        });
        assert_eq!((got.unwrap(), sent.unwrap()), (4, 4));
        tokio::time::timeout(common::PATIENCE, b.readable())
            .await
            .unwrap()
            .unwrap();
        let e = b.try_recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
    });
}

/// `UnixAddr` converts to and from std's Unix address both ways, for each kind of address, and a
/// socket bound through std's form is reached at dgram's.
#[test]
fn unix_addresses_convert_to_and_from_std() {
    use datagrams::{UnixAddr, UnixDatagram};
    use std::os::unix::net::SocketAddr as StdAddr;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s");
    for a in [
        UnixAddr::from_pathname(&path).unwrap(),
        UnixAddr::from_abstract_name(b"dgram-convert\0x").unwrap(),
    ] {
        let std_addr = StdAddr::try_from(&a).unwrap();
        assert_eq!(UnixAddr::try_from(&std_addr).unwrap(), a);
    }
    let e = StdAddr::try_from(&UnixAddr::unnamed()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let std_sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    let seen = UnixAddr::try_from(&std_sock.local_addr().unwrap()).unwrap();
    assert_eq!(seen.as_pathname(), Some(path.as_path()));
    let tx = UnixDatagram::unbound().unwrap();
    tx.send_to(b"via std's address", seen).unwrap();
    let mut buf = [0u8; 32];
    let n = std_sock.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"via std's address");
    let unnamed = UnixAddr::try_from(&tx.into_std().local_addr().unwrap()).unwrap();
    assert!(unnamed.is_unnamed());
}

/// Both socket types convert to socket2's socket and back (checked), keeping descriptor and options.
#[test]
fn sockets_convert_to_and_from_socket2() {
    use datagrams::UnixDatagram;
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_ttl(7).unwrap();
    let addr = s.local_addr().unwrap();
    let raw = socket2::Socket::from(s);
    assert_eq!(raw.ttl_v4().unwrap(), 7);
    let back = UdpSocket::try_from(raw).unwrap();
    assert_eq!((back.local_addr().unwrap(), back.ttl().unwrap()), (addr, 7));

    let (a, b) = UnixDatagram::pair().unwrap();
    let raw = socket2::Socket::from(a);
    let a = UnixDatagram::try_from(raw).unwrap();
    a.send(b"still a pair").unwrap();
    let mut buf = [0u8; 16];
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still a pair");
    let e = UnixDatagram::try_from(socket2::Socket::from(back)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

/// `recv_buf`/`recv_buf_from`/`recv_msg_buf` append to a `BufMut` (here a `Vec`) through its spare
/// capacity: what it held stays, the datagram follows, a datagram longer than the spare capacity
/// is cut there and reported so; the async forms do the same.
#[test]
fn receives_into_a_bufmut_append_to_its_spare_capacity() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    let mut v = b"kept:".to_vec();
    v.reserve_exact(32);
    tx.send_to(b"one", to).unwrap();
    assert_eq!(rx.recv_buf(&mut v).unwrap(), 3);
    tx.send_to(b"two", to).unwrap();
    assert_eq!(
        rx.recv_buf_from(&mut v).unwrap(),
        (3, tx.local_addr().unwrap())
    );
    assert_eq!(v, b"kept:onetwo");
    // exactly 4 bytes of room: the rest of the datagram is cut, and the report says so
    let mut small = Vec::with_capacity(4);
    let room = small.capacity();
    tx.send_to(b"0123456789", to).unwrap();
    let m = rx
        .recv_msg_buf(&mut small, datagrams::MsgFlags::empty())
        .unwrap();
    assert_eq!(
        (m.len, m.full_len, m.truncated, &small[..]),
        (room, 10, true, &b"0123456789"[..room])
    );
    // the async forms
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let rx = datagrams::tokio::UdpSocket::new(rx).unwrap();
        let mut v = Vec::with_capacity(8);
        tx.send_to(b"async", to).unwrap();
        let (n, from) = rx.recv_buf_from(&mut v).await.unwrap();
        assert_eq!(
            (n, &v[..], from),
            (5, &b"async"[..], tx.local_addr().unwrap())
        );
        let e = rx.try_recv_buf(&mut v).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
    });
}
