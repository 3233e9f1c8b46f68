//! A program written against `tokio::net::UdpSocket`'s API, compiled twice: as written, and with only
//! the import changed to `datagrams::tokio::UdpSocket`. Both runs must tell the same story.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::poll_fn;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The program, for any type with tokio's `UdpSocket` API; returns what it saw, one line a step.
macro_rules! tokio_program {
    ($UdpSocket:path) => {{
        use $UdpSocket as UdpSocket;
        let mut log: Vec<String> = Vec::new();
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        log.push(format!("peer {}", a.peer_addr().unwrap() == b_addr));

        let mut buf = [0u8; 32];
        a.send(b"one").await.unwrap();
        b.readable().await.unwrap();
        let n = b.peek(&mut buf).await.unwrap();
        log.push(format!("peek {:?}", &buf[..n]));
        let n = loop {
            match b.try_peek(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => b.readable().await.unwrap(),
                Err(e) => panic!("{e}"),
            }
        };
        log.push(format!("try_peek {:?}", &buf[..n]));
        log.push(format!(
            "peek_sender {}",
            b.peek_sender().await.unwrap() == a_addr
        ));
        log.push(format!(
            "try_peek_sender {}",
            b.try_peek_sender().unwrap() == a_addr
        ));
        let mut rb = tokio::io::ReadBuf::new(&mut buf);
        poll_fn(|cx| b.poll_peek(cx, &mut rb)).await.unwrap();
        log.push(format!("poll_peek {:?}", rb.filled()));
        let from = poll_fn(|cx| b.poll_peek_sender(cx)).await.unwrap();
        log.push(format!("poll_peek_sender {}", from == a_addr));
        let n = b.recv(&mut buf).await.unwrap();
        log.push(format!("recv {:?}", &buf[..n]));
        log.push(format!(
            "try_recv {:?}",
            b.try_recv(&mut buf).map_err(|e| e.kind())
        ));

        a.send_to(b"two", b_addr).await.unwrap();
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        log.push(format!("recv_from {:?} {}", &buf[..n], from == a_addr));

        // the BufMut receives: into a Vec's spare capacity, appended after what it holds
        let mut v: Vec<u8> = b"[".to_vec();
        v.reserve(64);
        a.send_to(b"three", b_addr).await.unwrap();
        let n = b.recv_buf(&mut v).await.unwrap();
        log.push(format!("recv_buf {n} {:?}", v));
        a.send_to(b"four", b_addr).await.unwrap();
        let (n, from) = b.recv_buf_from(&mut v).await.unwrap();
        log.push(format!("recv_buf_from {n} {:?} {}", v, from == a_addr));
        b.readable().await.unwrap();
        log.push(format!(
            "try_recv_buf {:?}",
            b.try_recv_buf(&mut v).map_err(|e| e.kind())
        ));
        a.send_to(b"five", b_addr).await.unwrap();
        let mut five = Vec::with_capacity(16);
        let (n, from) = loop {
            b.readable().await.unwrap();
            match b.try_recv_buf_from(&mut five) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                r => break r.unwrap(),
            }
        };
        log.push(format!(
            "try_recv_buf_from {n} {:?} {}",
            five,
            from == a_addr
        ));

        a.set_ttl(9).unwrap();
        log.push(format!("ttl {}", a.ttl().unwrap()));
        a.set_broadcast(true).unwrap();
        log.push(format!("broadcast {}", a.broadcast().unwrap()));
        a.set_multicast_loop_v4(false).unwrap();
        log.push(format!(
            "multicast_loop_v4 {}",
            a.multicast_loop_v4().unwrap()
        ));
        a.set_multicast_ttl_v4(3).unwrap();
        log.push(format!(
            "multicast_ttl_v4 {}",
            a.multicast_ttl_v4().unwrap()
        ));
        a.set_tos_v4(0x10).unwrap();
        log.push(format!("tos_v4 {}", a.tos_v4().unwrap()));
        let group = Ipv4Addr::new(239, 1, 2, 3);
        let joined = a.join_multicast_v4(group, Ipv4Addr::LOCALHOST);
        log.push(format!(
            "join_multicast_v4 {:?}",
            joined.as_ref().map_err(|e| e.kind())
        ));
        if joined.is_ok() {
            let left = a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST);
            log.push(format!(
                "leave_multicast_v4 {:?}",
                left.map_err(|e| e.kind())
            ));
        }
        log.push(format!(
            "take_error {:?}",
            a.take_error().unwrap().map(|e| e.kind())
        ));

        let c = UdpSocket::bind("[::1]:0").await.unwrap();
        c.set_multicast_loop_v6(false).unwrap();
        log.push(format!(
            "multicast_loop_v6 {}",
            c.multicast_loop_v6().unwrap()
        ));
        c.set_tclass_v6(0x20).unwrap();
        log.push(format!("tclass_v6 {}", c.tclass_v6().unwrap()));
        let lo = nix::net::if_::if_nametoindex("lo").unwrap();
        let group6: Ipv6Addr = "ff02::1:3".parse().unwrap();
        let joined = c.join_multicast_v6(&group6, lo);
        log.push(format!(
            "join_multicast_v6 {:?}",
            joined.as_ref().map_err(|e| e.kind())
        ));
        if joined.is_ok() {
            let left = c.leave_multicast_v6(&group6, lo);
            log.push(format!(
                "leave_multicast_v6 {:?}",
                left.map_err(|e| e.kind())
            ));
        }
        log
    }};
}

#[tokio::test]
async fn a_tokio_program_runs_the_same_with_the_import_changed() {
    let tokio_log = tokio_program!(tokio::net::UdpSocket);
    let datagrams_log = tokio_program!(datagrams::tokio::UdpSocket);
    assert_eq!(datagrams_log, tokio_log);
    // The program did run to its end.
    assert!(
        tokio_log.iter().any(|l| l.starts_with("tclass_v6")),
        "{tokio_log:?}"
    );
    assert!(
        tokio_log.contains(&"recv [111, 110, 101]".to_string()),
        "{tokio_log:?}"
    );
    assert!(
        tokio_log.contains(&"try_recv_buf_from 4 [102, 105, 118, 101] true".to_string()),
        "{tokio_log:?}"
    );
}
