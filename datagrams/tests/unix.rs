//! `UnixDatagram` and `UnixAddr` over real sockets: pathname (in a temp dir), abstract, kernel-chosen
//! (autobind) and unnamed addresses, and socket pairs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/api.rs"]
mod api;
mod common;

use api::Unix;

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Child, PATIENCE, hex, python};
use datagrams::{MsgFlags, ToUnixAddr, UCred, UnixAddr, UnixDatagram};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Both ends bound to files in a temp dir.
    Path,
    /// Both ends bound to abstract names.
    Abstract,
    /// Both ends bound to names the kernel picks (bind to the unnamed address).
    Autobind,
    /// The server bound to a file; the client never binds.
    UnnamedClient,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn abstract_name(tag: &str) -> UnixAddr {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    UnixAddr::from_abstract_name(format!("dgram-test-{}-{n}-{tag}", std::process::id())).unwrap()
}

/// A bound server and a client of `kind`, with their addresses and bounded read timeouts.
fn setup<S: Unix>(kind: Kind, dir: &Path) -> (S, UnixAddr, S, UnixAddr) {
    let (server, client) = match kind {
        Kind::Path => (
            S::bind(ua(dir.join("server.sock"))).unwrap(),
            S::bind(ua(dir.join("client.sock"))).unwrap(),
        ),
        Kind::Abstract => (
            S::bind(ua(abstract_name("server"))).unwrap(),
            S::bind(ua(abstract_name("client"))).unwrap(),
        ),
        Kind::Autobind => (
            S::bind(ua(UnixAddr::unnamed())).unwrap(),
            S::bind(ua(UnixAddr::unnamed())).unwrap(),
        ),
        Kind::UnnamedClient => (
            S::bind(ua(dir.join("server.sock"))).unwrap(),
            S::unbound().unwrap(),
        ),
    };
    let (sa, ca) = (server.local_addr().unwrap(), client.local_addr().unwrap());
    match kind {
        Kind::Path => {
            assert_eq!(sa.as_pathname(), Some(dir.join("server.sock").as_path()));
            assert_eq!(ca.as_pathname(), Some(dir.join("client.sock").as_path()));
        }
        Kind::Abstract => assert!(sa.as_abstract_name().unwrap().ends_with(b"-server")),
        Kind::Autobind => {
            // Linux autobind: five hex digits in the abstract namespace
            let name = sa.as_abstract_name().unwrap();
            assert_eq!(name.len(), 5, "{sa}");
            assert!(name.iter().all(u8::is_ascii_hexdigit), "{sa}");
        }
        Kind::UnnamedClient => assert!(ca.is_unnamed()),
    }
    (server, sa, client, ca)
}

/// Runs each kind body for every address kind, and each shared body once, against the blocking
/// and the async socket: `blocking::path::name`, `asynchronous::shared::name`, ...
macro_rules! suite {
    (kinds: [$($k:ident),* $(,)?], shared: [$($s:ident),* $(,)?]) => {
        suite!(@mode blocking, datagrams::UnixDatagram, [$($k),*], [$($s),*]);
        suite!(@mode asynchronous, datagrams::tokio::UnixDatagram, [$($k),*], [$($s),*]);
    };
    (@mode $mode:ident, $ty:ty, [$($k:ident),*], [$($s:ident),*]) => {
        mod $mode {
            mod path { $( #[test] fn $k() { crate::$k::<$ty>(crate::Kind::Path) } )* }
            mod abstract_name { $( #[test] fn $k() { crate::$k::<$ty>(crate::Kind::Abstract) } )* }
            mod autobind { $( #[test] fn $k() { crate::$k::<$ty>(crate::Kind::Autobind) } )* }
            mod unnamed_client { $( #[test] fn $k() { crate::$k::<$ty>(crate::Kind::UnnamedClient) } )* }
            mod shared { $( #[test] fn $s() { crate::$s::<$ty>() } )* }
        }
    };
}

suite!(
    kinds: [send_to_and_recv_from, connected_calls, truncation_and_vectored, try_calls, queues_and_peek],
    shared: [
        try_send_on_a_full_peer_would_block,
        binding_rules,
        sending_to_nobody,
        shutdown_read_and_write,
        descriptors_pass_and_are_close_on_exec,
        too_many_descriptors_are_refused,
        more_descriptors_than_room_are_all_closed,
        credentials,
        python_sends_fds_and_credentials_to_dgram,
        dgram_sends_fds_and_credentials_to_python,
    ]
);

/// A path, an abstract name or a `UnixAddr`, as an address.
fn ua(a: impl ToUnixAddr) -> UnixAddr {
    a.to_unix_addr().unwrap()
}

fn send_to_and_recv_from<S: Unix>(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, sa, client, ca) = setup::<S>(kind, dir.path());
    let payload: Vec<u8> = (0..=255u8).collect();
    assert_eq!(client.send_to(&payload, sa).unwrap(), 256);
    let mut buf = [0u8; 512];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], &payload[..]);
    assert_eq!(from, ca);
    assert_eq!(from.is_unnamed(), kind == Kind::UnnamedClient);
    if kind != Kind::UnnamedClient {
        server.send_to(b"reply", from).unwrap();
        let (n, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"reply"[..], sa));
    }
    // a path given as &str / &Path reaches the same socket
    if let Some(p) = sa.as_pathname() {
        client.send_to(b"by path", p).unwrap();
        client.send_to(b"by str", p.to_str().unwrap()).unwrap();
        assert_eq!(server.recv(&mut buf).unwrap(), 7);
        assert_eq!(&buf[..7], b"by path");
        assert_eq!(server.recv(&mut buf).unwrap(), 6);
        assert_eq!(&buf[..6], b"by str");
    }
}

fn connected_calls<S: Unix>(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, sa, client, ca) = setup::<S>(kind, dir.path());
    assert!(!client.is_connected().unwrap());
    assert_eq!(
        client.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    client.disconnect().unwrap(); // no-op
    client.connect(sa).unwrap();
    assert!(client.is_connected().unwrap());
    assert_eq!(client.peer_addr().unwrap(), sa);
    assert_eq!(client.send(b"connected").unwrap(), 9);
    let mut buf = [0u8; 16];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"connected"[..], ca));
    assert_eq!(
        client
            .send_vectored(&[IoSlice::new(b"ve"), IoSlice::new(b"ctor")])
            .unwrap(),
        6
    );
    let n = server.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"vector");
    client.disconnect().unwrap();
    assert!(!client.is_connected().unwrap());
    assert_eq!(
        client.send(b"x").unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    // the name survives the disconnect
    assert_eq!(client.local_addr().unwrap(), ca);
}

fn truncation_and_vectored<S: Unix>(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, sa, client, ca) = setup::<S>(kind, dir.path());
    client.send_to(b"0123456789", sa).unwrap();
    let mut small = [0u8; 4];
    let meta = server.recv_msg(&mut small).unwrap();
    assert_eq!(
        (
            meta.len,
            meta.full_len,
            meta.truncated,
            meta.control_truncated
        ),
        (4, 10, true, false)
    );
    assert_eq!((&small, meta.addr, meta.cred), (b"0123", ca, None));

    client
        .send_to_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defgh")], sa)
        .unwrap();
    let (mut x, mut y) = ([0u8; 2], [0u8; 8]);
    let meta = server
        .recv_msg_vectored(
            &mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)],
            MsgFlags::empty(),
        )
        .unwrap();
    assert_eq!((meta.len, meta.full_len, meta.truncated), (8, 8, false));
    assert_eq!((&x, &y[..6]), (b"ab", &b"cdefgh"[..]));

    client.send_to(b"tiny", sa).unwrap();
    let mut one = [0u8; 1];
    let n = server
        .recv_vectored(&mut [IoSliceMut::new(&mut one)])
        .unwrap();
    assert_eq!((n, one), (1, *b"t"));
}

fn try_calls<S: Unix>(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, sa, client, _) = setup::<S>(kind, dir.path());
    let mut buf = [0u8; 8];
    assert_eq!(
        server.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        server.try_recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        server.try_peek_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(client.try_send_to(b"now", sa).unwrap(), 3);
    client.connect(sa).unwrap();
    assert_eq!(client.try_send(b"and").unwrap(), 3);
    for want in [&b"now"[..], b"and"] {
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], want);
    }
    assert_eq!(
        server.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

fn queues_and_peek<S: Unix>(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let (server, sa, client, ca) = setup::<S>(kind, dir.path());
    assert_eq!(server.bytes_readable().unwrap(), 0);
    assert_eq!(client.send_queue_size().unwrap(), 0);
    client.send_to(&[9u8; 100], sa).unwrap();
    // an unread datagram stays charged to its sender
    assert!(client.send_queue_size().unwrap() >= 100);
    assert_eq!(server.bytes_readable().unwrap(), 100);
    let mut buf = [0u8; 128];
    let (n, from) = server.peek_from(&mut buf).unwrap();
    assert_eq!((n, from), (100, ca));
    assert_eq!(server.peek(&mut buf).unwrap(), 100);
    assert_eq!(server.recv(&mut buf).unwrap(), 100);
    assert_eq!(server.bytes_readable().unwrap(), 0);
    assert_eq!(client.send_queue_size().unwrap(), 0);
}

#[test]
fn read_timeout_gives_would_block() {
    let (a, _b) = UnixDatagram::pair().unwrap();
    let t = Duration::from_millis(100);
    a.set_read_timeout(Some(t)).unwrap();
    assert_eq!(a.read_timeout().unwrap(), Some(t));
    let e = a.recv(&mut [0u8; 8]).unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::WouldBlock, Some(libc::EAGAIN))
    );
}

fn try_send_on_a_full_peer_would_block<S: Unix>() {
    let (a, b) = S::pair().unwrap();
    let mut sent = 0;
    loop {
        match a.try_send(b"fill") {
            Ok(4) => sent += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            other => panic!("unexpected {other:?}"),
        }
        assert!(sent < 1_000_000, "the peer queue never filled");
    }
    assert!(sent > 0);
    // drain them all, each exactly once, and there is room again (the kernel signals writability
    // only once most of the send buffer is free, so draining one is not enough for async callers)
    for _ in 0..sent {
        let n = b.recv(&mut [0; 8]).unwrap();
        assert_eq!(n, 4);
    }
    assert_eq!(
        b.try_recv(&mut [0; 8]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(a.try_send(b"more").unwrap(), 4);
}

#[test]
fn pair_and_conversions() {
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());
    assert!(a.is_connected().unwrap());
    assert!(!a.is_bound().unwrap());
    let me = UCred::current();
    assert_eq!(a.peer_cred().unwrap(), me);
    // connect records none, and an unconnected socket has none: NotFound, not invalid values
    let named = UnixDatagram::bind(abstract_name("cred")).unwrap();
    let c = UnixDatagram::unbound().unwrap();
    c.connect(named.local_addr().unwrap()).unwrap();
    for s in [&c, &named] {
        assert_eq!(s.peer_cred().unwrap_err().kind(), ErrorKind::NotFound);
    }
    a.send(b"hello pair").unwrap();
    let meta = b.recv_msg(&mut [0u8; 32]).unwrap();
    assert_eq!((meta.len, meta.addr), (10, UnixAddr::unnamed()));
    // without its peer, an unnamed end can no longer be sent to: its receives are refused, through
    // every handle on it
    let (c, _d) = UnixDatagram::pair().unwrap();
    let clone = c.try_clone().unwrap();
    c.disconnect().unwrap();
    for s in [&c, &clone] {
        let e = s.recv(&mut [0u8; 4]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    // MORE and DONTROUTE mean nothing to a Unix socket: refused, not ignored
    for f in [MsgFlags::MORE, MsgFlags::DONTROUTE] {
        let e = a.send_with_flags(b"x", f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }

    let dbg = format!("{a:?}");
    assert!(
        dbg.contains(&format!("fd: {}", a.as_raw_fd())) && dbg.contains("unix:"),
        "{dbg}"
    );
    let clone = a.try_clone().unwrap();
    let std_sock = a.into_std();
    std_sock.send(b"via std").unwrap();
    let back = UnixDatagram::try_from(std_sock).unwrap();
    let fd: OwnedFd = back.into();
    let again = UnixDatagram::try_from(fd).unwrap();
    again.send(b"adopted").unwrap();
    clone.send(b"clone").unwrap();
    let mut buf = [0u8; 16];
    for want in [&b"via std"[..], b"adopted", b"clone"] {
        let n = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], want);
    }
    again.close().unwrap();
    clone.close().unwrap();
    // both handles closed: the peer is gone
    assert_eq!(
        b.send(b"anyone").unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
}

#[test]
fn addresses_parse_print_and_refuse_bad_input() {
    let p: UnixAddr = "unix:/tmp/x.sock".parse().unwrap();
    assert_eq!(
        (p.as_pathname(), p.to_string()),
        (Some(Path::new("/tmp/x.sock")), "unix:/tmp/x.sock".into())
    );
    let r: UnixAddr = "unix:rel/x.sock".parse().unwrap();
    assert_eq!(r.as_pathname(), Some(Path::new("rel/x.sock")));
    let a: UnixAddr = "unix:@name".parse().unwrap();
    assert_eq!(
        (a.as_abstract_name(), a.as_pathname()),
        (Some(&b"name"[..]), None)
    );
    assert_eq!(format!("{a:?}"), "UnixAddr(unix:@name)");
    let u: UnixAddr = "unix:".parse().unwrap();
    assert!(u.is_unnamed() && u == UnixAddr::unnamed());
    assert_eq!(u.to_string(), "unix:");
    assert_eq!(
        UnixAddr::from_abstract_name(b"a\0b\xff")
            .unwrap()
            .to_string(),
        "unix:@a\\x00b\\xff"
    );
    // What prints reads back: escapes, quotes, a path that starts with `@`, non-UTF-8 bytes.
    for (text, printed) in [
        (r#"unix:@q"uote\\"#, r#"unix:@q"uote\\"#),
        (r"unix:@caf\xc3\xa9", "unix:@café"),
        (r"unix:\x40rel", r"unix:\x40rel"),
        (r"unix:/tmp/a\nb", r"unix:/tmp/a\nb"),
        (r"unix:/tmp/\xff", r"unix:/tmp/\xff"),
        // a C1 control and a line separator, escaped byte by byte
        ("unix:@a\u{85}b", r"unix:@a\xc2\x85b"),
        ("unix:/tmp/a\u{2028}b", r"unix:/tmp/a\xe2\x80\xa8b"),
    ] {
        let a: UnixAddr = text.parse().unwrap();
        assert_eq!(a.to_string(), printed, "{text}");
        assert_eq!(printed.parse::<UnixAddr>().unwrap(), a, "{text}");
    }
    assert_eq!(
        "unix:\\x40rel".parse::<UnixAddr>().unwrap().as_pathname(),
        Some(Path::new("@rel"))
    );
    for bad in [
        r"unix:/tmp/a\b",
        r"unix:@x\",
        r"unix:@\x4",
        r"unix:@\x+f",
        r"unix:@\xzz",
    ] {
        let e = bad.parse::<UnixAddr>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(e.to_string().contains("bad escape"), "{e}");
    }
    assert_eq!(
        "/tmp/x".parse::<UnixAddr>().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );

    let longest = "/".to_string() + &"p".repeat(datagrams::MAX_PATHNAME_LEN - 1);
    assert!(UnixAddr::from_pathname(&longest).is_ok());
    let e = UnixAddr::from_pathname(longest.clone() + "p").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("109 bytes long"), "{e}");
    let e = UnixDatagram::bind(longest + "p").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = UnixAddr::from_pathname("/tmp/a\0b").unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("NUL byte at offset 6"),
        "{e}"
    );
    assert_eq!(
        UnixAddr::from_pathname("").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(UnixAddr::from_abstract_name([b'x'; 107]).is_ok());
    assert_eq!(
        UnixAddr::from_abstract_name([b'x'; 108])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let s = UnixDatagram::unbound().unwrap();
    assert_eq!(
        s.send_to(b"x", "/tmp/a\0b").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

fn binding_rules<S: Unix>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("taken.sock");
    let s = S::bind(ua(&path)).unwrap();
    // the file exists: AddrInUse, and dgram does not unlink it
    let e = S::bind(ua(&path)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse);
    assert!(path.exists());
    drop(s);
    assert!(path.exists(), "dgram never unlinks a socket file");
    assert_eq!(S::bind(ua(&path)).unwrap_err().kind(), ErrorKind::AddrInUse);
    // bind twice
    let t = S::bind(ua(dir.path().join("t.sock"))).unwrap();
    let e = t.bind_to(dir.path().join("u.sock")).unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("already bound"),
        "{e}"
    );
    // bind_to on an unbound socket; before it, with neither name nor peer, nothing can send to the
    // socket: a receive is refused (every form), where it would wait forever
    let u = S::unbound().unwrap();
    assert!(!u.is_bound().unwrap());
    let mut buf = [0u8; 8];
    for e in [
        u.recv(&mut buf).unwrap_err(),
        u.recv_from(&mut buf).unwrap_err(),
        u.recv_msg(&mut buf).unwrap_err(),
        u.recv_with_fds(&mut buf, &mut Vec::with_capacity(1))
            .unwrap_err(),
        u.try_recv(&mut buf).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    let name = abstract_name("late");
    u.bind_to(name).unwrap();
    assert_eq!(u.local_addr().unwrap(), name);
    assert_eq!(S::bind(ua(name)).unwrap_err().kind(), ErrorKind::AddrInUse);
    // named now: it receives
    S::unbound().unwrap().send_to(b"late", name).unwrap();
    let n = u.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"late");
}

fn sending_to_nobody<S: Unix>() {
    let dir = tempfile::tempdir().unwrap();
    let s = S::unbound().unwrap();
    let e = s
        .send_to(b"x", dir.path().join("missing.sock"))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::NotFound, Some(libc::ENOENT))
    );
    // a stale socket file: bound once, socket gone
    let stale = dir.path().join("stale.sock");
    drop(S::bind(ua(&stale)).unwrap());
    let e = s.send_to(b"x", &stale).unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::ConnectionRefused, Some(libc::ECONNREFUSED))
    );
    assert_eq!(
        s.connect(&stale).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    let e = s.send_to(b"x", abstract_name("nobody")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    // a stream socket's path: the kernel's EPROTOTYPE, which std leaves uncategorised
    let stream = dir.path().join("stream.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&stream).unwrap();
    for e in [
        s.send_to(b"x", &stream).unwrap_err(),
        s.connect(&stream).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("not a datagram socket"), "{e}");
    }
    assert_eq!(s.send(b"x").unwrap_err().kind(), ErrorKind::NotConnected);
    // the unnamed address names no socket: refused with a reason, not the kernel's bare EINVAL
    for e in [
        s.send_to(b"x", UnixAddr::unnamed()).unwrap_err(),
        s.connect(UnixAddr::unnamed()).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("unnamed"), "{e}");
    }
}

fn shutdown_read_and_write<S: Unix>() {
    let (a, b) = S::pair().unwrap();
    b.shutdown(Shutdown::Read).unwrap();
    for e in [
        b.recv(&mut [0; 4]).unwrap_err(),
        b.recv_msg(&mut [0; 4]).unwrap_err(),
        b.try_recv_from(&mut [0; 4]).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{e}");
    }
    a.shutdown(Shutdown::Write).unwrap();
    let e = a.send(b"late").unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::BrokenPipe, Some(libc::EPIPE))
    );
    // an empty datagram on an open socket is a datagram, not end-of-file
    let (c, d) = S::pair().unwrap();
    c.send(b"").unwrap();
    assert_eq!(d.recv(&mut [0; 4]).unwrap(), 0);
    c.send(b"").unwrap();
    let meta = d.recv_msg(&mut [0; 4]).unwrap();
    assert_eq!((meta.len, meta.full_len, meta.truncated), (0, 0, false));
}

/// The state letter of a thread of this process, from `/proc/self/task/TID/stat`.
fn thread_state(tid: &str) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

#[test]
fn shutdown_read_wakes_a_blocked_receive() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let _keep = a;
    b.set_read_timeout(None).unwrap();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        let b = &b;
        let waiter = scope.spawn(move || {
            let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
            tx.send(stat.split_whitespace().next().unwrap().to_string())
                .unwrap();
            b.recv(&mut [0; 8])
        });
        let tid = rx.recv_timeout(PATIENCE).unwrap();
        // wait (bounded, without sleeping) until the receiver is asleep in the kernel
        let start = Instant::now();
        while thread_state(&tid) != Some('S') {
            assert!(
                start.elapsed() < PATIENCE,
                "the receiving thread never blocked"
            );
            std::thread::yield_now();
        }
        b.shutdown(Shutdown::Read).unwrap();
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    });
}

/// The close-on-exec flag of a descriptor, read from `/proc/self/fdinfo` (flags are octal).
fn cloexec(fd: &impl AsRawFd) -> bool {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).unwrap();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .unwrap()
        .trim();
    u32::from_str_radix(flags, 8).unwrap() & 0o2000000 != 0
}

fn descriptors_pass_and_are_close_on_exec<S: Unix>() {
    let (a, b) = S::pair().unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    assert_eq!(a.send_with_fds(b"take this", &[writer.as_fd()]).unwrap(), 9);
    drop(writer);
    let mut fds = Vec::with_capacity(2);
    let mut buf = [0u8; 32];
    let meta = b.recv_with_fds(&mut buf, &mut fds).unwrap();
    assert_eq!(
        (&buf[..meta.len], fds.len(), meta.control_truncated),
        (&b"take this"[..], 1, false)
    );
    assert!(
        cloexec(&fds[0]),
        "a received descriptor must be close-on-exec"
    );
    let mut w = std::fs::File::from(fds.pop().unwrap());
    w.write_all(b"written through the passed fd").unwrap();
    drop(w);
    let mut s = String::new();
    reader.read_to_string(&mut s).unwrap();
    assert_eq!(s, "written through the passed fd");

    // several at once, to an address, with recv_from_with_fds and recv_vectored_with_fds
    let dir = tempfile::tempdir().unwrap();
    let server = S::bind(ua(dir.path().join("s.sock"))).unwrap();
    let client = S::bind(ua(dir.path().join("c.sock"))).unwrap();
    let pipes: Vec<_> = (0..3).map(|_| std::io::pipe().unwrap()).collect();
    let borrowed: Vec<_> = pipes.iter().map(|(_, w)| w.as_fd()).collect();
    client
        .send_to_with_fds(b"three", &borrowed, server.local_addr().unwrap())
        .unwrap();
    let mut got = Vec::with_capacity(8);
    let meta = server.recv_from_with_fds(&mut buf, &mut got).unwrap();
    assert_eq!(
        (meta.len, got.len(), meta.addr),
        (5, 3, client.local_addr().unwrap())
    );
    client
        .send_msg(
            &[IoSlice::new(b"v")],
            Some(&server.local_addr().unwrap()),
            &borrowed[..1],
            None,
        )
        .unwrap();
    let meta = server
        .recv_vectored_with_fds(
            &mut [IoSliceMut::new(&mut buf)],
            MsgFlags::empty(),
            &mut got,
        )
        .unwrap();
    assert_eq!((meta.len, got.len()), (1, 4));
}

fn too_many_descriptors_are_refused<S: Unix>() {
    let (a, _b) = S::pair().unwrap();
    let (_r, w) = std::io::pipe().unwrap();
    let fds = vec![w.as_fd(); 254];
    let e = a.send_with_fds(b"x", &fds).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.to_string().contains("254 descriptors") && e.to_string().contains("253"),
        "{e}"
    );
    // exactly the maximum passes
    a.send_with_fds(b"x", &fds[..253]).unwrap();
}

fn more_descriptors_than_room_are_all_closed<S: Unix>() {
    let (a, b) = S::pair().unwrap();
    let (_r, w) = std::io::pipe().unwrap();
    let mut fds = Vec::with_capacity(2);
    fds.push(OwnedFd::from(std::io::pipe().unwrap().0)); // one already there: room for one more
    a.send_with_fds(b"three", &[w.as_fd(), w.as_fd(), w.as_fd()])
        .unwrap();
    let meta = b.recv_with_fds(&mut [0u8; 8], &mut fds).unwrap();
    assert!(meta.control_truncated);
    assert_eq!(
        (meta.len, fds.len(), fds.capacity()),
        (5, 1, 2),
        "the collection is left as it was, without growing"
    );
    // no room at all: recv_msg closes whatever came
    a.send_with_fds(b"one", &[w.as_fd()]).unwrap();
    let meta = b.recv_msg(&mut [0u8; 8]).unwrap();
    assert_eq!((meta.len, meta.control_truncated), (3, true));
    // a plain datagram is not truncated
    a.send(b"plain").unwrap();
    assert!(!b.recv_msg(&mut [0u8; 8]).unwrap().control_truncated);
}

fn credentials<S: Unix>() {
    let (a, b) = S::pair().unwrap();
    let me = UCred::current();
    assert!(!b.pass_cred().unwrap());
    b.set_pass_cred(true).unwrap();
    assert!(b.pass_cred().unwrap());
    a.send(b"who am i").unwrap();
    let meta = b.recv_msg(&mut [0u8; 16]).unwrap();
    assert_eq!((meta.len, meta.cred), (8, Some(me)));
    a.send_with_cred(b"explicit", me).unwrap();
    let meta = b.recv_msg(&mut [0u8; 16]).unwrap();
    assert_eq!(meta.cred, Some(me));
    // credentials and descriptors together
    let (_r, w) = std::io::pipe().unwrap();
    a.send_msg(&[IoSlice::new(b"both")], None, &[w.as_fd()], Some(me))
        .unwrap();
    let mut fds = Vec::with_capacity(1);
    let meta = b.recv_with_fds(&mut [0u8; 16], &mut fds).unwrap();
    assert_eq!(
        (meta.cred, fds.len(), meta.control_truncated),
        (Some(me), 1, false)
    );
    // without SO_PASSCRED there are none
    b.set_pass_cred(false).unwrap();
    a.send(b"anon").unwrap();
    assert_eq!(b.recv_msg(&mut [0u8; 16]).unwrap().cred, None);
    // a pid no process has: refused with the pid named (root may claim others' credentials, and then
    // hears ESRCH; anyone else hears EPERM first)
    let ghost = UCred {
        pid: i32::MAX,
        ..me
    };
    let e = a.send_with_cred(b"ghost", ghost).unwrap_err();
    if me.uid == 0 {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains(&i32::MAX.to_string()), "{e}");
    } else {
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    }
}

#[test]
fn buffer_sizes_and_limits() {
    let (a, _b) = UnixDatagram::pair().unwrap();
    // the kernel keeps twice the size asked for (socket(7)); asked for within the system's maximum
    let max = common::net_core_max("wmem_max");
    let w = (32 * 1024).min(max);
    a.set_send_buffer_size(w).unwrap();
    assert_eq!(a.send_buffer_size().unwrap(), 2 * w);
    let r = (16 * 1024).min(common::net_core_max("rmem_max"));
    a.set_recv_buffer_size(r).unwrap();
    assert_eq!(a.recv_buffer_size().unwrap(), 2 * r);
    let e = a.set_send_buffer_size(max + 1).unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains(&max.to_string()),
        "{e}"
    );
    // a datagram larger than the send buffer: the kernel's EMSGSIZE, intact
    let e = a.send(&vec![0u8; 256 * 1024]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE));
    assert_eq!(
        a.set_write_timeout(Some(Duration::ZERO))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

fn python_sends_fds_and_credentials_to_dgram<S: Unix>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dgram.sock");
    let sock = S::bind(ua(&path)).unwrap();
    sock.set_pass_cred(true).unwrap();
    let mut child = Child::spawn(&mut python(
        "unix_peer.py",
        &["send", path.to_str().unwrap(), &hex(b"from\x00py")],
    ));
    let pid: i32 = child.expect("sent pid ").parse().unwrap();
    let mut fds = Vec::with_capacity(4);
    let mut buf = [0u8; 64];
    let meta = sock.recv_with_fds(&mut buf, &mut fds).unwrap();
    assert_eq!(&buf[..meta.len], b"from\x00py");
    assert_eq!(fds.len(), 1);
    assert!(cloexec(&fds[0]));
    let me = UCred::current();
    assert_eq!(
        meta.cred,
        Some(UCred {
            pid,
            uid: me.uid,
            gid: me.gid
        })
    );
    assert_eq!(meta.addr, UnixAddr::unnamed());
    let mut w = std::fs::File::from(fds.pop().unwrap());
    w.write_all(b"hello from rust").unwrap();
    drop(w);
    assert_eq!(child.line(), "pipe said hello from rust");
    child.success();
}

fn dgram_sends_fds_and_credentials_to_python<S: Unix>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("py.sock");
    let mut child = Child::spawn(&mut python(
        "unix_peer.py",
        &["recv", path.to_str().unwrap()],
    ));
    assert_eq!(child.line(), "ready");
    let sock = S::unbound().unwrap();
    let (mut r1, w1) = std::io::pipe().unwrap();
    let (mut r2, w2) = std::io::pipe().unwrap();
    let me = UCred::current();
    sock.send_msg(
        &[IoSlice::new(b"to\xffpython")],
        Some(&UnixAddr::from_pathname(&path).unwrap()),
        &[w1.as_fd(), w2.as_fd()],
        Some(me),
    )
    .unwrap();
    drop((w1, w2));
    assert_eq!(
        child.line(),
        format!(
            "got {} fds 2 cred {} {} {}",
            hex(b"to\xffpython"),
            me.pid,
            me.uid,
            me.gid
        )
    );
    for r in [&mut r1, &mut r2] {
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "from python");
    }
    child.success();
}

/// Batches: `send_batch` queues many datagrams in one call and `recv_batch_without_senders` takes
/// them in one, each with its exact bytes, length and truncation; a full peer queue stops the
/// batch where it is (a count below the batch, then `WouldBlock`); control messages are not
/// received: credentials and descriptors say `control_truncated`, and a descriptor sent with a
/// datagram is closed by the kernel (the pipe it held reads end of file).
#[test]
fn batches_send_and_receive_many_datagrams_per_call() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let out: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; usize::from(i) + 1]).collect();
    // At most MAX_BATCH (32) per call.
    assert_eq!(a.send_batch(&out).unwrap(), datagrams::MAX_BATCH);
    assert_eq!(a.send_batch(&out[32..]).unwrap(), 8);
    assert_eq!(a.send_batch::<&[u8]>(&[]).unwrap(), 0);
    let mut storage = vec![[0u8; 16]; 40];
    let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let mut meta = [datagrams::RecvMeta::new(()); 40];
    let mut got = 0;
    while got < 40 {
        got += b
            .recv_batch_without_senders(&mut bufs[got..], &mut meta[got..])
            .unwrap();
    }
    drop(bufs);
    for (i, m) in meta.iter().enumerate() {
        let full = i + 1;
        assert_eq!((m.full_len, m.truncated), (full, full > 16), "{i}");
        assert_eq!(m.len, full.min(16));
        assert_eq!(&storage[i][..m.len], &out[i][..m.len]);
        assert!(!m.control_truncated);
    }
    let mut no_room: [IoSliceMut; 0] = [];
    let e = b
        .recv_batch_without_senders(&mut no_room, &mut meta)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

    // A full queue: the batch stops where the kernel could not queue, then WouldBlock.
    a.set_nonblocking(true).unwrap();
    let big = vec![[7u8; 4096]; 32];
    let mut queued = 0;
    let e = loop {
        match a.send_batch(&big) {
            Ok(n) => queued += n,
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
    let mut storage = vec![[0u8; 4096]; 32];
    let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let mut drained = 0;
    while drained < queued {
        drained += b
            .recv_batch_without_senders_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT)
            .unwrap();
    }
    assert_eq!(drained, queued);
    let e = b
        .recv_batch_without_senders_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");

    // Control messages do not come through a batch; a descriptor is closed, not leaked.
    let (mut r, w) = std::io::pipe().unwrap();
    a.send_with_fds(b"fd", &[w.as_fd()]).unwrap();
    drop(w);
    let got = b
        .recv_batch_without_senders(&mut bufs[..1], &mut meta[..1])
        .unwrap();
    assert_eq!(got, 1);
    assert_eq!((meta[0].len, meta[0].control_truncated), (2, true));
    // A leaked write end would keep the pipe open: the read then never ends, so it waits in a
    // thread, for a bounded time.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = tx.send(r.read_to_end(&mut rest).map(|_| rest.len()));
    });
    let eof = rx
        .recv_timeout(PATIENCE)
        .expect("the descriptor was closed");
    assert_eq!(eof.unwrap(), 0, "every write end closed");
}
