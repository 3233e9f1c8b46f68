//! What only the async layer has (UDP and Unix): waking on socket errors, cancel safety, many tasks on one socket,
//! streams and sinks, the poll fns, conversions, async resolution, and a Node peer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::poll_fn;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use common::{Child, PATIENCE, hex, node};
use datagrams::tokio::{AsyncResolve, RecvStream, ResolveFuture, SendSink, UdpSocket};
use datagrams::{Family, MsgFlags};
use futures::{SinkExt, StreamExt};
use tokio::io::{Interest, ReadBuf};
use tokio::time::timeout;

async fn lo(f: Family) -> UdpSocket {
    UdpSocket::bind(SocketAddr::new(f.loopback(), 0))
        .await
        .unwrap()
}

/// A port on loopback with no socket: bind one, note the port, close it.
async fn closed_port(f: Family) -> SocketAddr {
    lo(f).await.local_addr().unwrap()
}

/// The first poll of `f` finishes with `InvalidInput`: the call refused its arguments before waiting.
async fn refused_at_once<T: std::fmt::Debug>(f: impl Future<Output = io::Result<T>>) {
    match futures::poll!(pin!(f)) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
        other => panic!("not refused at once: {other:?}"),
    }
}

#[tokio::test]
async fn bad_receive_arguments_are_refused_before_waiting() {
    // Idle sockets: a receive that waited for a datagram before checking would never end.
    let s = lo(Family::V4).await;
    let mut buf = [0u8; 8];
    let mut control = datagrams::ControlBuffer::new();
    refused_at_once(s.recv_msg_vectored(&mut [io::IoSliceMut::new(&mut buf)], MsgFlags::MORE))
        .await;
    refused_at_once(s.recv_msg_with_control(
        &mut [io::IoSliceMut::new(&mut buf)],
        MsgFlags::DONTROUTE,
        &mut control,
    ))
    .await;
    // room for no datagram, either way round
    refused_at_once(s.recv_batch(&mut [], &mut [])).await;
    refused_at_once(s.recv_batch(&mut [io::IoSliceMut::new(&mut buf)], &mut [])).await;
    let mut meta = [datagrams::RecvMeta::default(); 2];
    refused_at_once(s.recv_batch(&mut [], &mut meta)).await;
    let mut bare = [datagrams::RecvMeta::new(()); 2];
    refused_at_once(s.recv_batch_without_senders(&mut [], &mut bare)).await;
    refused_at_once(s.recv_batch_without_senders(&mut [io::IoSliceMut::new(&mut buf)], &mut []))
        .await;
    // the try and poll forms refuse too, also once the socket is registered (a wait would never
    // end): not WouldBlock, not Pending
    {
        let mut r = pin!(s.recv(&mut buf));
        assert!(futures::poll!(r.as_mut()).is_pending(), "registers");
    }
    let mut one = [0u8; 4];
    let mut bufs = [io::IoSliceMut::new(&mut one)];
    let (mut none, mut bare_none): ([datagrams::RecvMeta; 0], [datagrams::RecvMeta<()>; 0]) =
        ([], []);
    for e in [
        s.try_recv_batch(&mut bufs, &mut none).unwrap_err(),
        s.try_recv_batch_without_senders(&mut bufs, &mut bare_none)
            .unwrap_err(),
        s.try_recv_batch(&mut [], &mut meta).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    for r in [
        poll_fn(|cx| Poll::Ready(s.poll_recv_batch(cx, &mut bufs, &mut none))).await,
        poll_fn(|cx| Poll::Ready(s.poll_recv_batch_without_senders(cx, &mut bufs, &mut bare_none)))
            .await,
    ] {
        match r {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
            other => panic!("not refused at once: {other:?}"),
        }
    }
    let (_a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
    refused_at_once(b.recv_msg_vectored(&mut [io::IoSliceMut::new(&mut buf)], MsgFlags::MORE))
        .await;
    // readiness too: a socket no datagram can reach is never readable
    refused_at_once(UdpSocket::unbound(Family::V4).unwrap().readable()).await;
    refused_at_once(
        datagrams::tokio::UnixDatagram::unbound()
            .unwrap()
            .readable(),
    )
    .await;
}

#[tokio::test]
async fn a_recv_stream_ends_after_an_error_every_receive_would_repeat_and_caps_its_buffer() {
    // never bound: `InvalidInput` once, then the end (not the same error forever)
    let unbound = Arc::new(UdpSocket::unbound(Family::V4).unwrap());
    let mut stream = RecvStream::new(unbound, 64);
    let e = stream.next().await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(stream.next().await.is_none());
    // any `max_len` is capped: no allocation failure, the datagram whole
    let s = Arc::new(lo(Family::V4).await);
    let mut stream = RecvStream::new(Arc::clone(&s), usize::MAX);
    s.send_to(b"capped", s.local_addr().unwrap()).await.unwrap();
    let d = timeout(PATIENCE, stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((&d.data[..], d.meta.truncated), (&b"capped"[..], false));
}

#[tokio::test]
async fn error_reports_are_awaited_and_their_readiness_clears() {
    let s = lo(Family::V4).await;
    s.get_ref().set_recv_err_v4(true).unwrap();
    let closed = closed_port(Family::V4).await;
    let mut buf = [0u8; 8];
    for round in 0..2 {
        s.send_to(b"anyone?", closed).await.unwrap();
        // the ICMP error fails the next receive (SO_ERROR) and leaves a report on the error queue
        let e = timeout(PATIENCE, s.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "round {round}: {e}");
        // with the report still queued, a readable()/try_recv loop ends parked instead of
        // spinning on the error readiness
        let mut parked = false;
        for _ in 0..4 {
            match futures::poll!(pin!(s.readable())) {
                Poll::Pending => {
                    parked = true;
                    break;
                }
                Poll::Ready(r) => {
                    r.unwrap();
                    let e = s.try_recv_from(&mut buf).unwrap_err();
                    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
                }
            }
        }
        assert!(parked, "readable() kept returning with nothing to receive");
        // the queued report is still there for `recv_error`, which then waits for the next one
        let report = timeout(PATIENCE, s.recv_error()).await.unwrap().unwrap();
        assert_eq!(report.errno, libc::ECONNREFUSED, "round {round}");
        assert!(futures::poll!(pin!(s.recv_error())).is_pending());
        assert_eq!(
            s.try_recv_error().unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    }
}

#[tokio::test]
async fn a_pending_error_wakes_a_parked_receive() {
    for f in [Family::V4, Family::V6] {
        let s = lo(f).await;
        s.connect(closed_port(f).await).await.unwrap();
        let mut buf = [0u8; 16];
        let mut recv = pin!(s.recv(&mut buf));
        // parked: nothing to read, no error yet
        assert!(futures::poll!(recv.as_mut()).is_pending());
        s.send(b"anyone?").await.unwrap();
        // the ICMP port unreachable must wake it with ECONNREFUSED, not leave it hanging
        let e = timeout(PATIENCE, recv)
            .await
            .expect("the parked receive was never woken")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{f:?}: {e}");
    }
}

#[tokio::test]
async fn the_stream_reports_socket_errors_too() {
    let s = Arc::new(lo(Family::V4).await);
    s.connect(closed_port(Family::V4).await).await.unwrap();
    let mut stream = RecvStream::new(Arc::clone(&s), 64);
    s.send(b"x").await.unwrap();
    let item = timeout(PATIENCE, stream.next()).await.unwrap().unwrap();
    assert_eq!(item.unwrap_err().kind(), ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn dropping_a_pending_receive_loses_nothing() {
    let (a, b) = (lo(Family::V4).await, lo(Family::V4).await);
    let to = b.local_addr().unwrap();
    let mut buf = [0u8; 16];
    {
        let mut recv = pin!(b.recv_from(&mut buf));
        assert!(futures::poll!(recv.as_mut()).is_pending());
        // dropped here, while waiting
    }
    a.send_to(b"kept", to).await.unwrap();
    // the datagram that arrived after the drop is still there
    let (n, from) = timeout(PATIENCE, b.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from), (&b"kept"[..], a.local_addr().unwrap()));

    // and under churn: a receive cancelled again and again by a competing branch takes every
    // datagram exactly once, in order (a Unix pair: no datagram is dropped by the kernel)
    let (tx, rx) = datagrams::tokio::UnixDatagram::pair().unwrap();
    const N: u32 = 2000;
    let sender = tokio::spawn(async move {
        for i in 0..N {
            tx.send(&i.to_be_bytes()).await.unwrap();
        }
        tx
    });
    let mut next = 0u32;
    let mut cancelled = 0u32;
    while next < N {
        tokio::select! {
            biased;
            _ = tokio::task::yield_now() => cancelled += 1,
            r = rx.recv(&mut buf) => {
                let n = r.unwrap();
                assert_eq!(&buf[..n], &next.to_be_bytes());
                next += 1;
            }
        }
    }
    assert!(
        cancelled > 0,
        "the receive was never cancelled, so the test proved nothing"
    );
    let _tx = sender.await.unwrap();
    assert_eq!(
        rx.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_tasks_share_one_socket() {
    // One socket, eight tasks, 10,000 datagrams each; a reply may reach any task, so the tasks
    // together must receive exactly the 80,000 payloads they sent.
    const TASKS: u16 = 8;
    const EACH: u16 = 10_000;
    let echo = lo(Family::V4).await;
    let echo_addr = echo.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut buf = [0u8; 8];
        let mut served = 0u32;
        while served < u32::from(TASKS) * u32::from(EACH) {
            let (n, from) = echo.recv_from(&mut buf).await.unwrap();
            echo.send_to(&buf[..n], from).await.unwrap();
            served += 1;
        }
    });
    let shared = Arc::new(lo(Family::V4).await);
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let s = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut got = Vec::with_capacity(usize::from(EACH));
                let mut buf = [0u8; 8];
                for i in 0..EACH {
                    let mut msg = [0u8; 4];
                    msg[..2].copy_from_slice(&t.to_be_bytes());
                    msg[2..].copy_from_slice(&i.to_be_bytes());
                    s.send_to(&msg, echo_addr).await.unwrap();
                    let (n, from) = timeout(PATIENCE, s.recv_from(&mut buf))
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!((n, from), (4, echo_addr));
                    got.push(u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    server.await.unwrap();
    all.sort_unstable();
    let want: Vec<u32> = (0..TASKS)
        .flat_map(|t| (0..EACH).map(move |i| (u32::from(t) << 16) | u32::from(i)))
        .collect();
    assert_eq!(all.len(), want.len());
    assert!(
        all == want,
        "the replies are not exactly the datagrams sent"
    );
}

#[tokio::test]
async fn stream_and_sink_carry_datagrams() {
    let rx = Arc::new(lo(Family::V6).await);
    let tx = Arc::new(lo(Family::V6).await);
    let to = rx.local_addr().unwrap();
    let mut sink = SendSink::new(Arc::clone(&tx));
    let mut stream = RecvStream::new(Arc::clone(&rx), 8);
    for i in 0..50u8 {
        sink.feed((vec![i; usize::from(i % 12)], to)).await.unwrap();
        sink.flush().await.unwrap();
        let d = timeout(PATIENCE, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let len = usize::from(i % 12);
        assert_eq!(d.meta.addr, tx.local_addr().unwrap());
        assert_eq!((d.meta.full_len, d.meta.truncated), (len, len > 8));
        assert_eq!(d.data, vec![i; len.min(8)]);
    }
    // a failed send is reported by the sink, and the sink stays usable
    sink.send((b"x".to_vec(), SocketAddr::new(Family::V6.loopback(), 0)))
        .await
        .unwrap_err();
    sink.send((b"after".to_vec(), to)).await.unwrap();
    let d = timeout(PATIENCE, stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(d.data, b"after");
    // closed, it takes no more: nothing is sent
    sink.close().await.unwrap();
    let e = sink.send((b"closed".to_vec(), to)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{e}");
    assert!(futures::poll!(stream.next()).is_pending());
}

#[tokio::test]
async fn unix_stream_ends_after_shutdown() {
    let (a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
    let b = Arc::new(b);
    let mut stream = RecvStream::new(Arc::clone(&b), 16);
    let mut sink = SendSink::new(Arc::new(datagrams::tokio::UnixDatagram::unbound().unwrap()));
    let name =
        datagrams::UnixAddr::from_abstract_name(format!("dgram-async-{}", std::process::id()))
            .unwrap();
    let named = Arc::new(datagrams::tokio::UnixDatagram::bind(name).unwrap());
    let mut named_stream = RecvStream::new(Arc::clone(&named), 16);
    sink.send((b"to a name".to_vec(), name)).await.unwrap();
    let d = timeout(PATIENCE, named_stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        (&d.data[..], d.meta.addr.is_unnamed()),
        (&b"to a name"[..], true)
    );

    a.send(b"last").await.unwrap();
    assert_eq!(
        timeout(PATIENCE, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
            .data,
        b"last"
    );
    let pending = tokio::spawn(async move {
        (
            stream.next().await.map(|r| r.map(|d| d.data)),
            stream.next().await.is_none(),
        )
    });
    b.shutdown(std::net::Shutdown::Read).unwrap();
    let (item, ended) = timeout(PATIENCE, pending).await.unwrap().unwrap();
    assert_eq!(item.unwrap().unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert!(ended, "the stream ends after the read side is shut down");
}

#[tokio::test]
async fn poll_fns_and_escape_hatches() {
    let (a, b) = (lo(Family::V4).await, lo(Family::V4).await);
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let n = poll_fn(|cx| a.poll_send_to(cx, b"polled", ba))
        .await
        .unwrap();
    assert_eq!(n, 6);
    let mut storage = [0u8; 16];
    let mut rb = ReadBuf::new(&mut storage);
    let from = timeout(PATIENCE, poll_fn(|cx| b.poll_peek_from(cx, &mut rb)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((rb.filled(), from), (&b"polled"[..], aa));
    let mut rb = ReadBuf::new(&mut storage);
    let from = poll_fn(|cx| b.poll_recv_from(cx, &mut rb)).await.unwrap();
    assert_eq!((rb.filled(), from), (&b"polled"[..], aa));

    a.connect(ba).await.unwrap();
    b.connect(aa).await.unwrap();
    poll_fn(|cx| a.poll_send(cx, b"conn")).await.unwrap();
    let mut rb = ReadBuf::new(&mut storage);
    poll_fn(|cx| b.poll_recv(cx, &mut rb)).await.unwrap();
    assert_eq!(rb.filled(), b"conn");
    // nothing queued: the poll is pending, not an error
    let mut rb = ReadBuf::new(&mut storage);
    assert!(
        poll_fn(|cx| Poll::Ready(b.poll_recv(cx, &mut rb)))
            .await
            .is_pending()
    );

    // the caller's own syscall through async_io and try_io
    a.send(b"mine").await.unwrap();
    let n = b
        .async_io(Interest::READABLE, |s| {
            s.recv_with_flags(&mut storage, MsgFlags::DONTWAIT)
        })
        .await
        .unwrap();
    assert_eq!(&storage[..n], b"mine");
    assert_eq!(
        b.try_io(Interest::READABLE, |s| s.try_recv(&mut [0; 4]))
            .unwrap_err()
            .kind(),
        ErrorKind::WouldBlock
    );
    b.writable().await.unwrap();
    assert!(b.ready(Interest::WRITABLE).await.unwrap().is_writable());
    a.send(b"ready").await.unwrap();
    timeout(PATIENCE, b.readable()).await.unwrap().unwrap();
    assert_eq!(b.try_recv(&mut storage).unwrap(), 5);
    let meta = {
        a.send(b"msg").await.unwrap();
        timeout(PATIENCE, b.recv_msg(&mut storage))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!((meta.len, meta.addr), (3, aa));
    a.send(b"peeked").await.unwrap();
    assert_eq!(b.peek_sender().await.unwrap(), aa);
    assert_eq!(b.peek(&mut storage).await.unwrap(), 6);
    assert_eq!(b.try_recv_msg(&mut storage).unwrap().len, 6);

    // the batch forms: poll (pending when nothing is queued) and try, with senders and without
    let mut slots = [[0u8; 8]; 2];
    let mut meta = [datagrams::RecvMeta::default(); 2];
    let mut bare = [datagrams::RecvMeta::new(()); 2];
    {
        let [s0, s1] = &mut slots;
        let mut bufs = [io::IoSliceMut::new(s0), io::IoSliceMut::new(s1)];
        assert!(
            poll_fn(|cx| Poll::Ready(b.poll_recv_batch(cx, &mut bufs, &mut meta)))
                .await
                .is_pending()
        );
        assert_eq!(
            b.try_recv_batch_without_senders(&mut bufs, &mut bare)
                .unwrap_err()
                .kind(),
            ErrorKind::WouldBlock
        );
        a.send(b"one").await.unwrap();
        let n = timeout(
            PATIENCE,
            poll_fn(|cx| b.poll_recv_batch(cx, &mut bufs, &mut meta)),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!((n, meta[0].len, meta[0].addr), (1, 3, aa));
        a.send(b"two").await.unwrap();
        let n = timeout(
            PATIENCE,
            poll_fn(|cx| b.poll_recv_batch_without_senders(cx, &mut bufs, &mut bare)),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!((n, bare[0].len), (1, 3));
    }
    assert_eq!(&slots[0][..3], b"two");
    a.send(b"three").await.unwrap();
    a.send(b"four").await.unwrap();
    timeout(PATIENCE, b.readable()).await.unwrap().unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        let [s0, s1] = &mut slots;
        let mut bufs = [io::IoSliceMut::new(s0), io::IoSliceMut::new(s1)];
        let k = got.len();
        let n = if k == 0 {
            b.try_recv_batch(&mut bufs, &mut meta).unwrap()
        } else {
            b.try_recv_batch_without_senders(&mut bufs, &mut bare)
                .unwrap()
        };
        let lens: Vec<usize> = if k == 0 {
            meta[..n].iter().map(|m| m.len).collect()
        } else {
            bare[..n].iter().map(|m| m.len).collect()
        };
        for (slot, len) in slots.iter().zip(lens) {
            got.push(slot[..len].to_vec());
        }
    }
    assert_eq!(got, [b"three".to_vec(), b"four".to_vec()]);
}

#[tokio::test]
async fn conversions_keep_the_socket() {
    let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = std_sock.local_addr().unwrap();
    let s = UdpSocket::from_std(std_sock).unwrap();
    let t = s.into_tokio().unwrap();
    assert_eq!(t.local_addr().unwrap(), addr);
    let s = UdpSocket::try_from(t).unwrap();
    assert_eq!(format!("{s:?}"), format!("{:?}", s.get_ref()));
    let blocking = s.into_blocking();
    let s = UdpSocket::try_from(blocking).unwrap();
    let std_again = s.into_std().unwrap();
    assert_eq!(std_again.local_addr().unwrap(), addr);
    let s = UdpSocket::new(datagrams::UdpSocket::try_from(std_again).unwrap()).unwrap();
    // through socket2's socket, an OwnedFd and a raw descriptor, and back, checked
    let s2 = socket2::Socket::from(s);
    assert_eq!(s2.local_addr().unwrap().as_socket(), Some(addr));
    let s = UdpSocket::try_from(s2).unwrap();
    let fd = std::os::fd::OwnedFd::from(s);
    let s = UdpSocket::try_from(fd).unwrap();
    assert_eq!(s.local_addr().unwrap(), addr);
    // into a raw descriptor: the same one, released open (it stays open to the test's end)
    let spare = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let before = std::os::fd::AsRawFd::as_raw_fd(&spare);
    let raw = std::os::fd::IntoRawFd::into_raw_fd(spare);
    assert_eq!(raw, before);
    assert!(std::fs::read_link(format!("/proc/self/fd/{raw}")).is_ok());
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let e = UdpSocket::try_from(std::os::fd::OwnedFd::from(tcp)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let (unix, _peer) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let e =
        UdpSocket::try_from(socket2::Socket::from(std::os::fd::OwnedFd::from(unix))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // the Unix type, the same ways
    let (a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
    let a = datagrams::tokio::UnixDatagram::try_from(socket2::Socket::from(a)).unwrap();
    let b = datagrams::tokio::UnixDatagram::try_from(std::os::fd::OwnedFd::from(b)).unwrap();
    a.send(b"u").await.unwrap();
    let mut ub = [0u8; 4];
    assert_eq!(b.recv(&mut ub).await.unwrap(), 1);
    let e = datagrams::tokio::UnixDatagram::try_from(std::os::fd::OwnedFd::from(
        std::net::UdpSocket::bind("127.0.0.1:0").unwrap(),
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // options the type delegates under tokio's names
    s.set_broadcast(true).unwrap();
    assert!(s.broadcast().unwrap());
    s.set_ttl(9).unwrap();
    assert_eq!(s.ttl().unwrap(), 9);
    // tokio's deprecated names, kept (deprecated) for code that still uses them
    #[allow(deprecated)]
    {
        s.set_tos(0x20).unwrap();
        assert_eq!(s.tos().unwrap(), 0x20);
    }
    s.set_tos_v4(0x28).unwrap();
    assert_eq!(s.tos_v4().unwrap(), 0x28);
    assert!(s.take_error().unwrap().is_none());
    s.close().unwrap();
    let u = UdpSocket::unbound(Family::V6).unwrap();
    assert_eq!(
        u.local_addr().unwrap(),
        "[::]:0".parse::<SocketAddr>().unwrap()
    );
}

#[test]
fn no_runtime_is_an_error_not_a_panic() {
    let e = UdpSocket::unbound(Family::V4).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Other);
    assert!(e.to_string().contains("no tokio runtime"), "{e}");
    assert!(datagrams::tokio::UnixDatagram::pair().is_err());
}

#[derive(Debug)]
struct Table(SocketAddr);

impl AsyncResolve for Table {
    fn resolve<'a>(&'a self, host: &'a str, port: u16, family: Family) -> ResolveFuture<'a> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            // Told the socket's family: the test's sockets are of the table's address's.
            if family != Family::of(&self.0) {
                return Err(io::Error::other(format!("asked for {family:?}")));
            }
            match host {
                "echo.test" => Ok(vec![SocketAddr::new(self.0.ip(), port)]),
                _ => Err(io::Error::new(
                    ErrorKind::NotFound,
                    format!("{host}: not in the table"),
                )),
            }
        })
    }
}

#[tokio::test]
async fn async_resolution() {
    let rx = lo(Family::V4).await;
    let port = rx.local_addr().unwrap().port();
    let mut tx = lo(Family::V4).await;
    // tokio's resolver for plain host names
    tx.send_to(b"by name", ("localhost", port)).await.unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = timeout(PATIENCE, rx.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"by name");
    let e = tx
        .send_to(b"x", "no-such-host.invalid:9")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // the pluggable one
    tx.set_resolver(Table(rx.local_addr().unwrap()));
    tx.send_to_host(b"by table", "echo.test", port)
        .await
        .unwrap();
    let (n, _) = timeout(PATIENCE, rx.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"by table");
    let e = tx.send_to_host(b"x", "other.test", port).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::NotFound,
            "other.test: not in the table".to_string()
        )
    );
    tx.connect_host("echo.test", port).await.unwrap();
    assert_eq!(tx.peer_addr().unwrap(), rx.local_addr().unwrap());
    let s = UdpSocket::unbound(Family::V4).unwrap();
    s.bind_to("localhost:0").await.unwrap();
    assert!(s.get_ref().is_bound().unwrap());
    // binds through the pluggable one too
    let mut s = UdpSocket::unbound(Family::V4).unwrap();
    s.set_resolver(Table(rx.local_addr().unwrap()));
    s.bind_to_host("echo.test", 0).await.unwrap();
    assert_eq!(s.local_addr().unwrap().ip(), rx.local_addr().unwrap().ip());
    // and a resolver asked for the other family says so
    let mut v6 = UdpSocket::unbound(Family::V6).unwrap();
    v6.set_resolver(Table(rx.local_addr().unwrap()));
    let e = v6.bind_to_host("echo.test", 0).await.unwrap_err();
    assert!(e.to_string().contains("asked for V6"), "{e}");
}

#[tokio::test]
async fn node_peer_from_an_async_socket() {
    for (f, kind) in [(Family::V4, "udp4"), (Family::V6, "udp6")] {
        let mut peer = Child::spawn(&mut node("udp_peer.js", &["echo", kind]));
        let port: u16 = peer.expect("port ").parse().unwrap();
        let s = lo(f).await;
        let data: Vec<u8> = (0..=255u8).collect();
        s.send_to(&data, (f.loopback(), port)).await.unwrap();
        let me = s.local_addr().unwrap();
        assert_eq!(
            peer.expect("got "),
            format!("{} from {} {}", hex(&data), me.ip(), me.port())
        );
        let mut buf = [0u8; 512];
        let meta = timeout(PATIENCE, s.recv_msg(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (&buf[..meta.len], meta.addr),
            (&data[..], SocketAddr::new(f.loopback(), port))
        );
        peer.success();
    }
}

#[tokio::test]
async fn shutdown_read_wakes_a_parked_unix_receive() {
    let (_a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
    let mut buf = [0u8; 8];
    let mut recv = pin!(b.recv(&mut buf));
    assert!(futures::poll!(recv.as_mut()).is_pending());
    b.shutdown(std::net::Shutdown::Read).unwrap();
    let e = timeout(PATIENCE, recv)
        .await
        .expect("shutdown(Read) did not wake the receive")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    // and every later receive says so at once
    assert_eq!(
        b.try_recv(&mut [0u8; 8]).unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
}

#[tokio::test]
async fn unix_conversions_and_credentials() {
    let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let a = datagrams::tokio::UnixDatagram::from_std(a).unwrap();
    b.set_nonblocking(true).unwrap(); // tokio's own from_std wants it
    let b =
        datagrams::tokio::UnixDatagram::try_from(tokio::net::UnixDatagram::from_std(b).unwrap())
            .unwrap();
    b.get_ref().set_pass_cred(true).unwrap();
    a.send_with_cred(b"me", datagrams::UCred::current())
        .await
        .unwrap();
    let meta = timeout(PATIENCE, b.recv_msg(&mut [0u8; 8]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (meta.len, meta.cred),
        (2, Some(datagrams::UCred::current()))
    );
    assert_eq!(a.peer_cred().unwrap(), datagrams::UCred::current());
    let t = a.into_tokio().unwrap();
    t.send(b"via tokio").await.unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = timeout(PATIENCE, b.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from.is_unnamed()), (&b"via tokio"[..], true));
    b.close().unwrap();
}

#[tokio::test]
async fn the_error_queue_wakes_a_parked_receive() {
    // unconnected, with IP_RECVERR: the ICMP port unreachable is queued, and the parked receive is
    // woken (Interest::ERROR) to report it; the queue then holds the details
    let s = lo(Family::V4).await;
    s.get_ref().set_recv_err_v4(true).unwrap();
    let to = closed_port(Family::V4).await;
    let mut buf = [0u8; 16];
    let mut recv = pin!(s.recv_from(&mut buf));
    assert!(futures::poll!(recv.as_mut()).is_pending());
    s.send_to(b"lost", to).await.unwrap();
    let e = timeout(PATIENCE, recv)
        .await
        .expect("the parked receive was never woken")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    let report = s.get_ref().recv_error().unwrap().expect("a queued report");
    assert_eq!(
        (report.errno, report.destination),
        (libc::ECONNREFUSED, Some(to))
    );
    assert_eq!(report.payload, b"lost");
}

/// Sends and receives that never wait (UDP is almost always writable, and here a datagram is always
/// queued) still charge tokio's cooperative budget, so a loop on them yields to the other tasks of
/// its thread: on a current-thread runtime, the spawned task runs only if the loop yields.
#[tokio::test]
async fn a_loop_that_never_waits_still_yields() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let rx = lo(Family::V4).await;
    let tx = lo(Family::V4).await;
    let to = rx.local_addr().unwrap();
    let mut buf = [0u8; 4];
    for direction in ["send", "recv"] {
        // Empty the queue, then warm up: once tokio knows both sockets are ready, neither call
        // ever waits below.
        while rx.try_recv(&mut buf).is_ok() {}
        tx.send_to(b"w", to).await.unwrap();
        rx.recv(&mut buf).await.unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let other = tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
        let mut ops = 0u32;
        while !ran.load(Ordering::SeqCst) {
            // a datagram to a full queue is dropped, so the send never waits either way
            tx.send_to(b"y", to).await.unwrap();
            if direction == "recv" {
                // the one just sent is queued, so the receive never waits
                assert_eq!(rx.recv(&mut buf).await.unwrap(), 1);
            }
            ops += 1;
            assert!(ops < 10_000, "{direction}: the loop never yielded");
        }
        // it yielded because the budget ran out, not because a call waited
        assert!(ops >= 32, "{direction}: yielded after {ops} calls");
        other.await.unwrap();
    }
}

/// Whether an epoll instance of this process watches the socket behind `fd`. Each epoll descriptor's
/// `/proc/self/fdinfo` entry lists what it watches as `tfd: <fd> events: .. ino:<hex inode>`
/// (proc(5)); the socket's inode is in its `/proc/self/fd` link, `socket:[<inode>]`.
fn in_epoll(fd: &impl std::os::fd::AsRawFd) -> bool {
    let fd = fd.as_raw_fd();
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
    let link = link.to_string_lossy();
    let ino: u64 = link
        .strip_prefix("socket:[")
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a socket: {link}"))
        .parse()
        .unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            std::fs::read_link(e.path())
                .is_ok_and(|l| l.to_string_lossy() == "anon_inode:[eventpoll]")
        })
        .filter_map(|e| {
            std::fs::read_to_string(format!(
                "/proc/self/fdinfo/{}",
                e.file_name().to_string_lossy()
            ))
            .ok()
        })
        .any(|info| {
            info.lines().any(|line| {
                let mut words = line.split_whitespace();
                words.next() == Some("tfd:")
                    && words.next() == Some(fd.to_string().as_str())
                    && line.split_whitespace().any(|w| {
                        w.strip_prefix("ino:")
                            .is_some_and(|h| u64::from_str_radix(h, 16) == Ok(ino))
                    })
            })
        })
}

#[tokio::test]
async fn a_socket_joins_epoll_only_when_an_operation_waits() {
    let (tx, rx) = (lo(Family::V4).await, lo(Family::V4).await);
    let (from, to) = (tx.local_addr().unwrap(), rx.local_addr().unwrap());
    assert!(!in_epoll(tx.get_ref()) && !in_epoll(rx.get_ref()));
    // Every form of send and receive that finds room or a datagram runs without the reactor.
    let mut buf = [0u8; 64];
    for i in 0..50u8 {
        assert_eq!(tx.send_to(&[i; 10], to).await.unwrap(), 10);
        let (n, who) = rx.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], who), (&[i; 10][..], from));
    }
    assert_eq!(
        poll_fn(|cx| tx.poll_send_to(cx, b"polled", to))
            .await
            .unwrap(),
        6
    );
    let mut rb = ReadBuf::new(&mut buf);
    assert_eq!(
        poll_fn(|cx| rx.poll_recv_from(cx, &mut rb)).await.unwrap(),
        from
    );
    assert_eq!(rb.filled(), b"polled");
    assert_eq!(tx.try_send_to(b"tried", to).unwrap(), 5);
    assert_eq!(rx.try_recv_from(&mut buf).unwrap(), (5, from));
    assert_eq!(
        rx.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert!(
        !in_epoll(tx.get_ref()),
        "a sender whose sends never wait stays out of epoll"
    );
    assert!(
        !in_epoll(rx.get_ref()),
        "so does a receiver that always finds a datagram"
    );

    // Nothing queued: the receive has to wait, which registers the socket, and the datagram sent
    // next wakes it.
    {
        let mut pending = pin!(rx.recv_from(&mut buf));
        assert!(futures::poll!(pending.as_mut()).is_pending());
        assert!(in_epoll(rx.get_ref()));
        tx.send_to(b"late", to).await.unwrap();
        assert_eq!(
            timeout(PATIENCE, pending).await.unwrap().unwrap(),
            (4, from)
        );
    }
    assert_eq!(&buf[..4], b"late");
    assert!(!in_epoll(tx.get_ref()));
    // Registered, the receive still takes what is queued at once, and waits again when nothing is.
    tx.send_to(b"again", to).await.unwrap();
    assert_eq!(rx.recv_from(&mut buf).await.unwrap(), (5, from));
    {
        let mut pending = pin!(rx.recv_from(&mut buf));
        assert!(futures::poll!(pending.as_mut()).is_pending());
        tx.send_to(b"woken", to).await.unwrap();
        assert_eq!(
            timeout(PATIENCE, pending).await.unwrap().unwrap(),
            (5, from)
        );
    }
    assert_eq!(&buf[..5], b"woken");
    // Handing the socket over removes the registration: tokio's type can register it anew.
    let rx = rx.into_tokio().unwrap();
    tx.send_to(b"tokio", to).await.unwrap();
    let (n, who) = timeout(PATIENCE, rx.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], who), (&b"tokio"[..], from));
}

#[tokio::test]
async fn a_send_that_must_wait_joins_epoll_and_resumes_when_room_frees() {
    // A Unix datagram stays queued at an unread peer, which takes so many (`net.unix.max_dgram_qlen`)
    // or so many bytes (the sender's send buffer) before the sender must wait; loopback UDP frees a
    // sent datagram's buffer at transmit, so its sends never wait.
    let (a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
    let datagram = [7u8; 1000];
    let mut queued = 0;
    loop {
        match a.try_send(&datagram) {
            Ok(n) => assert_eq!(n, 1000),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
        queued += 1;
        assert!(queued < 100_000, "the send buffer never filled");
    }
    assert!(
        !in_epoll(a.get_ref()),
        "a send that did not wait does not register"
    );
    let mut buf = [0u8; 2048];
    {
        let mut send = pin!(a.send(b"after"));
        assert!(futures::poll!(send.as_mut()).is_pending());
        assert!(in_epoll(a.get_ref()));
        // The peer takes what filled the buffer; the room that frees wakes the send.
        for _ in 0..queued {
            assert_eq!(b.try_recv(&mut buf).unwrap(), 1000);
            assert_eq!(buf[..1000], datagram);
        }
        assert_eq!(timeout(PATIENCE, send).await.unwrap().unwrap(), 5);
    }
    let n = timeout(PATIENCE, b.recv(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"after");
    assert!(!in_epoll(b.get_ref()), "the peer always found a datagram");
}

#[test]
fn a_runtime_without_io_panics_when_the_socket_is_made_not_later() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { UdpSocket::bind("127.0.0.1:0").await.map(drop) })
    }));
    let panic = made.expect_err("tokio panics when the socket is made");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(message.contains("IO is disabled"), "{message}");
}

#[tokio::test]
async fn the_callers_own_operation_on_a_socket_that_never_waits_still_yields() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (tx, rx) = (lo(Family::V4).await, lo(Family::V4).await);
    let to = rx.local_addr().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let other = tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
    let mut ops = 0u32;
    while !ran.load(Ordering::SeqCst) {
        tx.async_io(Interest::WRITABLE, |s| s.try_send_to(b"y", to))
            .await
            .unwrap();
        ops += 1;
        assert!(
            ops < 10_000,
            "an async_io loop that never waits never yielded"
        );
    }
    assert!(
        ops > 1,
        "the budget allows more than one operation before yielding"
    );
    other.await.unwrap();
    assert!(!in_epoll(tx.get_ref()));
}

#[test]
fn tasks_racing_to_register_one_socket_lose_no_wakeup() {
    // Several threads: four receives and a send that must wait, all on one unregistered socket,
    // race to register it; every one must be woken.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..50 {
            let (a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
            let (a, b) = (Arc::new(a), Arc::new(b));
            let mut queued = 0;
            while a.try_send(&[1u8; 100]).is_ok() {
                queued += 1;
            }
            let receives: Vec<_> = (0..4)
                .map(|_| {
                    let a = Arc::clone(&a);
                    tokio::spawn(async move {
                        let mut buf = [0u8; 16];
                        let n = a.recv(&mut buf).await.unwrap();
                        buf[..n].to_vec()
                    })
                })
                .collect();
            let send = {
                let a = Arc::clone(&a);
                tokio::spawn(async move { a.send(b"last").await.unwrap() })
            };
            let mut buf = [0u8; 128];
            for _ in 0..queued {
                let n = timeout(PATIENCE, b.recv(&mut buf)).await.unwrap().unwrap();
                assert_eq!(&buf[..n], &[1u8; 100][..]);
            }
            assert_eq!(timeout(PATIENCE, send).await.unwrap().unwrap(), 4);
            let n = timeout(PATIENCE, b.recv(&mut buf)).await.unwrap().unwrap();
            assert_eq!(&buf[..n], b"last");
            for _ in 0..4 {
                b.send(b"hi").await.unwrap();
            }
            for r in receives {
                assert_eq!(timeout(PATIENCE, r).await.unwrap().unwrap(), b"hi");
            }
            assert!(in_epoll(a.get_ref()));
        }
    });
}

/// Unix batches, async: `send_batch` waits while the peer's queue is full and completes once the
/// receiver drains it; the `try_` forms say `WouldBlock`; no room is refused before any wait.
#[tokio::test]
async fn unix_batches_wait_for_room_and_datagrams() {
    use datagrams::RecvMeta;
    use std::io::IoSliceMut;
    let (a, b) = datagrams::tokio::UnixDatagram::pair().unwrap();
    let mut storage = vec![[0u8; 4096]; 32];
    let mut meta = [RecvMeta::new(()); 32];
    {
        let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let e = b
            .try_recv_batch_without_senders(&mut bufs, &mut meta)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
        let mut no_room: [IoSliceMut; 0] = [];
        let e = b
            .recv_batch_without_senders(&mut no_room, &mut meta)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
    }
    // Fill the peer's queue with 4 KiB datagrams.
    let big: Vec<Vec<u8>> = (0..32u8).map(|i| vec![i; 4096]).collect();
    let mut queued = 0usize;
    let e = loop {
        match a.try_send_batch(&big) {
            Ok(n) => queued += n,
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
    // A send now waits for room; draining the queue lets it finish.
    let sender = async {
        let n = a.send_batch(&big[..4]).await.unwrap();
        assert!((1..=4).contains(&n), "{n}");
        n
    };
    let receiver = async {
        let mut got = 0usize;
        let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        while got < queued {
            // Exactly the queued ones: the late datagrams stay for the check below.
            let room = (queued - got).min(bufs.len());
            let n = b
                .recv_batch_without_senders(&mut bufs[..room], &mut meta)
                .await
                .unwrap();
            assert!(meta[..n].iter().all(|m| m.len == 4096 && !m.truncated));
            got += n;
        }
        got
    };
    let (sent_late, drained) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        tokio::join!(sender, receiver)
    })
    .await
    .expect("the waiting send completes once the queue drains");
    assert_eq!(drained, queued);
    // The late datagrams arrive after the queued ones, in order: the first is datagram 0's bytes.
    let mut buf = [0u8; 4096];
    for i in 0..sent_late {
        assert_eq!(b.recv(&mut buf).await.unwrap(), 4096);
        assert_eq!(buf[0], i as u8);
    }
}
