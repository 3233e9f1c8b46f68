//! Kernel timestamps with `SO_TIMESTAMPING` on loopback: receive timestamps in `RecvMeta` (one
//! receive, a batch, a caller's control buffer, an adopted socket), transmit timestamps on the error
//! queue numbered by `OPT_ID` (one per `send_to`, one per datagram of a `send_batch`, one per GSO
//! transmit), and the same through the async socket.
//!
//! On loopback the kernel queues a transmit report inside the send call (the device transmits in
//! the sender's context), so a report missing after the send returned is a failure, not a race.
//! Receive stamps are another matter: the system starts taking them from a kernel work item when
//! the first socket asks, so the receive tests first make sure they are on ([`StampsOn`]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{ErrorKind, IoSliceMut};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use common::PATIENCE;
use datagrams::{
    Control, ControlBuffer, ErrorOrigin, MsgFlags, RecvMeta, SockError, TimestampingFlags as T,
    Transmit, TxTimestamp, TxTimestampKind, UdpSocket,
};

const RX: T = T::RX_SOFTWARE;

/// Keeps the system's receive stamping on while it lives: a socket asking for receive stamps, made
/// when one of its own datagrams has come back stamped. The kernel switches stamping on for the
/// whole system from a work item when the first socket asks (`net_enable_timestamp`), so until
/// then datagrams arrive unstamped; each probe is a send and a blocking receive, within PATIENCE.
struct StampsOn(#[allow(dead_code)] UdpSocket);

fn stamps_on() -> StampsOn {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s.set_timestamping(RX | T::SOFTWARE).unwrap();
    let to = s.local_addr().unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        s.send_to(b"probe", to).unwrap();
        if s.recv_msg(&mut [0u8; 8]).unwrap().timestamp.is_some() {
            return StampsOn(s);
        }
        assert!(
            Instant::now() < deadline,
            "receive stamping did not come on"
        );
    }
}

fn pair(addr: &str) -> (UdpSocket, UdpSocket) {
    let rx = UdpSocket::bind(addr).unwrap();
    rx.set_read_timeout(Some(PATIENCE)).unwrap();
    let tx = UdpSocket::bind(addr).unwrap();
    (rx, tx)
}

/// Times that never go back and are all there.
fn assert_non_decreasing(times: &[Option<SystemTime>]) {
    let times: Vec<SystemTime> = times
        .iter()
        .map(|t| t.expect("a software timestamp"))
        .collect();
    assert!(
        times.iter().all(|t| *t > SystemTime::UNIX_EPOCH),
        "{times:?}"
    );
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

/// The transmit timestamp of a report, checked to be a timestamp and not an error.
fn stamp(report: &SockError) -> TxTimestamp {
    assert_eq!(report.origin, ErrorOrigin::Timestamping, "{report:?}");
    assert_eq!(report.errno, libc::ENOMSG, "{report:?}");
    assert_eq!((report.destination, report.offender), (None, None));
    report.timestamp.expect("a report of origin timestamping")
}

/// Every report queued now.
fn drain(s: &UdpSocket) -> Vec<SockError> {
    std::iter::from_fn(|| s.recv_error().unwrap()).collect()
}

#[test]
fn the_option_reads_back_and_switches_off() {
    let (rx, _) = pair("127.0.0.1:0");
    assert_eq!(rx.timestamping().unwrap(), T::empty());
    let all =
        T::RX_SOFTWARE | T::TX_SOFTWARE | T::TX_SCHED | T::SOFTWARE | T::OPT_ID | T::OPT_TSONLY;
    rx.set_timestamping(all).unwrap();
    assert_eq!(rx.timestamping().unwrap(), all);
    assert_eq!(rx.timestamping().unwrap().bits(), 0b1001_1001_1010);
    rx.set_timestamping(T::empty()).unwrap();
    assert_eq!(rx.timestamping().unwrap(), T::empty());
    // Off again: a datagram comes without a timestamp.
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"plain", rx.local_addr().unwrap()).unwrap();
    let meta = rx.recv_msg(&mut [0u8; 8]).unwrap();
    assert_eq!((meta.len, meta.timestamp), (5, None));
}

#[test]
fn each_received_datagram_has_a_software_timestamp() {
    let _on = stamps_on();
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let (rx, tx) = pair(addr);
        rx.set_timestamping(RX | T::SOFTWARE).unwrap();
        let to = rx.local_addr().unwrap();
        for i in 0..3u8 {
            tx.send_to(&[i; 4], to).unwrap();
        }
        let mut times = Vec::new();
        for i in 0..3u8 {
            let mut buf = [0u8; 8];
            let meta = rx.recv_msg(&mut buf).unwrap();
            assert_eq!(
                (&buf[..meta.len], meta.addr),
                (&[i; 4][..], tx.local_addr().unwrap())
            );
            assert!(!meta.control_truncated);
            times.push(meta.timestamp);
        }
        assert_non_decreasing(&times);
    }
}

#[test]
fn a_batch_reports_each_datagrams_timestamp() {
    let _on = stamps_on();
    let (rx, tx) = pair("127.0.0.1:0");
    // Beside the other receive options, so the control area must hold them all.
    rx.set_timestamping(RX | T::SOFTWARE).unwrap();
    rx.set_recv_pktinfo_v4(true).unwrap();
    rx.set_recv_ttl_v4(true).unwrap();
    rx.set_recv_tos_v4(true).unwrap();
    rx.set_recv_timestamp(true).unwrap();
    rx.set_recv_orig_dst_addr_v4(true).unwrap();
    let to = rx.local_addr().unwrap();
    for i in 0..3u8 {
        tx.send_to(&[b'a' + i; 3], to).unwrap();
    }
    let mut store = [[0u8; 16]; 3];
    let mut meta = [RecvMeta::default(); 3];
    let mut got = 0;
    while got < 3 {
        let mut bufs: Vec<IoSliceMut<'_>> = store[got..]
            .iter_mut()
            .map(|b| IoSliceMut::new(b))
            .collect();
        got += rx.recv_batch(&mut bufs, &mut meta[got..]).unwrap();
    }
    for (i, (m, b)) in meta.iter().zip(&store).enumerate() {
        assert_eq!(&b[..m.len], &[b'a' + i as u8; 3][..]);
        assert!(!m.control_truncated, "{m:?}");
        assert_eq!(
            (m.dst_ip, m.ttl, m.orig_dst),
            (Some(to.ip()), Some(64), Some(to))
        );
    }
    assert_non_decreasing(&meta.iter().map(|m| m.timestamp).collect::<Vec<_>>());
}

#[test]
fn a_control_buffer_shows_the_timestamping_message() {
    let _on = stamps_on();
    let (rx, tx) = pair("127.0.0.1:0");
    rx.set_timestamping(RX | T::SOFTWARE).unwrap();
    tx.send_to(b"stamp me", rx.local_addr().unwrap()).unwrap();
    let mut buf = [0u8; 16];
    let mut control = ControlBuffer::new();
    let meta = rx
        .recv_msg_with_control(
            &mut [IoSliceMut::new(&mut buf)],
            MsgFlags::empty(),
            &mut control,
        )
        .unwrap();
    let all: Vec<Control<'_>> = control.iter().collect();
    // Loopback has no hardware clock: the software stamp alone, the one RecvMeta reports.
    assert_eq!(
        all,
        [Control::Timestamping {
            software: meta.timestamp,
            hardware: None
        }]
    );
    assert!(meta.timestamp.is_some());
}

#[test]
fn an_adopted_socket_reads_the_option_back() {
    let _on = stamps_on();
    let (rx, tx) = pair("127.0.0.1:0");
    rx.set_timestamping(RX | T::SOFTWARE).unwrap();
    // Through std's socket and back: the new handle knows only what the kernel says.
    let rx = UdpSocket::try_from(std::net::UdpSocket::from(rx)).unwrap();
    rx.set_read_timeout(Some(PATIENCE)).unwrap();
    tx.send_to(b"adopted", rx.local_addr().unwrap()).unwrap();
    let meta = rx.recv_msg(&mut [0u8; 16]).unwrap();
    assert_eq!(meta.len, 7);
    assert!(meta.timestamp.is_some(), "{meta:?}");
}

#[test]
fn three_sends_give_three_numbered_transmit_timestamps() {
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let (rx, tx) = pair(addr);
        tx.set_timestamping(T::TX_SOFTWARE | T::SOFTWARE | T::OPT_ID | T::OPT_TSONLY)
            .unwrap();
        let to = rx.local_addr().unwrap();
        for i in 0..3u8 {
            tx.send_to(&[i; 10], to).unwrap();
        }
        let reports = drain(&tx);
        assert_eq!(reports.len(), 3, "{reports:?}");
        let stamps: Vec<TxTimestamp> = reports.iter().map(stamp).collect();
        let ids: Vec<(u32, TxTimestampKind)> = stamps.iter().map(|s| (s.id, s.kind)).collect();
        assert_eq!(
            ids,
            [
                (0, TxTimestampKind::Sent),
                (1, TxTimestampKind::Sent),
                (2, TxTimestampKind::Sent)
            ]
        );
        assert_non_decreasing(&stamps.iter().map(|s| s.software).collect::<Vec<_>>());
        assert!(stamps.iter().all(|s| s.hardware.is_none()));
        // OPT_TSONLY: the timestamp alone.
        assert!(reports.iter().all(|r| r.payload.is_empty()), "{reports:?}");
        // Not errors: no pending socket error, and the socket's calls go on.
        assert!(tx.take_error().unwrap().is_none());
        assert_eq!(
            tx.try_recv(&mut [0u8; 4]).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        tx.send_to(b"more", to).unwrap();
        // The datagrams themselves arrived.
        for i in 0..3u8 {
            let mut buf = [0u8; 16];
            let n = rx.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &[i; 10][..]);
        }
        assert_eq!(stamp(&tx.recv_error().unwrap().unwrap()).id, 3);
        assert!(
            format!("{}", reports[0]).starts_with("transmit timestamp (Sent) of send 0 at "),
            "{}",
            reports[0]
        );
    }
}

#[test]
fn a_batch_counts_each_datagram_and_gso_counts_once() {
    let (rx, tx) = pair("127.0.0.1:0");
    // Without OPT_TSONLY each report carries the packet, whose tail is the datagram's bytes; with
    // TX_SCHED each datagram gets two reports, scheduled then sent.
    tx.set_timestamping(T::TX_SCHED | T::TX_SOFTWARE | T::SOFTWARE | T::OPT_ID)
        .unwrap();
    let to = rx.local_addr().unwrap();
    let batch = [
        Transmit::new(to, b"first"),
        Transmit::new(to, b"second"),
        Transmit::new(to, b"third"),
    ];
    let mut sent = 0;
    while sent < batch.len() {
        sent += tx.send_batch(&batch[sent..]).unwrap();
    }
    // One GSO transmit of three segments: one send, one number.
    let gso = b"aaaabbbbcc";
    assert_eq!(
        tx.send_msg(&Transmit::new(to, gso).segment_size(4))
            .unwrap(),
        10
    );
    let reports = drain(&tx);
    let want: Vec<(u32, TxTimestampKind, &[u8])> =
        [(0, &b"first"[..]), (1, b"second"), (2, b"third"), (3, gso)]
            .into_iter()
            .flat_map(|(id, bytes)| {
                [
                    (id, TxTimestampKind::Scheduled, bytes),
                    (id, TxTimestampKind::Sent, bytes),
                ]
            })
            .collect();
    assert_eq!(reports.len(), want.len(), "{reports:?}");
    for (r, (id, kind, bytes)) in reports.iter().zip(want) {
        let s = stamp(r);
        assert_eq!((s.id, s.kind), (id, kind), "{r:?}");
        assert!(r.payload.ends_with(bytes), "{r:?}");
        // link (14), IP (20) and UDP (8) headers before the datagram
        assert_eq!(r.payload.len(), 14 + 20 + 8 + bytes.len());
    }
    let times: Vec<Option<SystemTime>> = reports.iter().map(|r| stamp(r).software).collect();
    assert_non_decreasing(&times);
}

#[test]
fn switching_opt_id_on_again_restarts_the_count() {
    let (rx, tx) = pair("127.0.0.1:0");
    let flags = T::TX_SOFTWARE | T::SOFTWARE | T::OPT_ID | T::OPT_TSONLY;
    let to = rx.local_addr().unwrap();
    tx.set_timestamping(flags).unwrap();
    tx.send_to(b"a", to).unwrap();
    tx.send_to(b"b", to).unwrap();
    // Off: nothing is stamped.
    tx.set_timestamping(T::empty()).unwrap();
    tx.send_to(b"c", to).unwrap();
    tx.set_timestamping(flags).unwrap();
    tx.send_to(b"d", to).unwrap();
    let ids: Vec<u32> = drain(&tx).iter().map(|r| stamp(r).id).collect();
    assert_eq!(ids, [0, 1, 0]);
}

#[test]
fn an_icmp_error_is_not_a_timestamp() {
    // With timestamping on, an ICMP error on the queue carries the time it arrived; it stays an
    // error, and the transmit report before it a timestamp.
    let (rx, tx) = pair("127.0.0.1:0");
    let closed: SocketAddr = {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap()
    };
    drop(rx);
    tx.set_recv_err_v4(true).unwrap();
    tx.set_timestamping(T::TX_SOFTWARE | T::RX_SOFTWARE | T::SOFTWARE | T::OPT_ID | T::OPT_TSONLY)
        .unwrap();
    tx.set_read_timeout(Some(PATIENCE)).unwrap();
    tx.send_to(b"anyone?", closed).unwrap();
    // The port unreachable fails the next call once (the timestamp before it did not): wait for
    // it that way.
    let e = tx.recv(&mut [0u8; 8]).unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::ConnectionRefused, Some(libc::ECONNREFUSED))
    );
    let reports = drain(&tx);
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(stamp(&reports[0]).id, 0);
    let icmp = &reports[1];
    assert_eq!(
        (icmp.errno, icmp.origin, icmp.timestamp, icmp.destination),
        (libc::ECONNREFUSED, ErrorOrigin::Icmp, None, Some(closed))
    );
}

#[tokio::test]
async fn async_transmit_and_receive_timestamps() {
    let _on = stamps_on();
    use datagrams::tokio::UdpSocket;
    let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    rx.get_ref().set_timestamping(RX | T::SOFTWARE).unwrap();
    tx.get_ref()
        .set_timestamping(T::TX_SOFTWARE | T::SOFTWARE | T::OPT_ID | T::OPT_TSONLY)
        .unwrap();
    let to = rx.local_addr().unwrap();
    let run = async {
        // A task waits for the error queue before anything is queued: the reports wake it.
        let waiter = async {
            let mut stamps = Vec::new();
            for _ in 0..3 {
                stamps.push(stamp(&tx.recv_error().await.unwrap()));
            }
            stamps
        };
        let sender = async {
            for i in 0..3u8 {
                tx.send_to(&[i; 6], to).await.unwrap();
                tokio::task::yield_now().await;
            }
        };
        let (stamps, ()) = tokio::join!(waiter, sender);
        assert_eq!(stamps.iter().map(|s| s.id).collect::<Vec<_>>(), [0, 1, 2]);
        assert_non_decreasing(&stamps.iter().map(|s| s.software).collect::<Vec<_>>());
        // The receiver: one by recv_msg, two by recv_batch.
        let mut buf = [0u8; 16];
        let first = rx.recv_msg(&mut buf).await.unwrap();
        assert_eq!(&buf[..first.len], &[0; 6]);
        let mut store = [[0u8; 16]; 2];
        let mut meta = [RecvMeta::default(); 2];
        let mut got = 0;
        while got < 2 {
            let mut bufs: Vec<IoSliceMut<'_>> = store[got..]
                .iter_mut()
                .map(|b| IoSliceMut::new(b))
                .collect();
            got += rx.recv_batch(&mut bufs, &mut meta[got..]).await.unwrap();
        }
        assert_eq!((&store[0][..6], &store[1][..6]), (&[1; 6][..], &[2; 6][..]));
        assert_non_decreasing(&[first.timestamp, meta[0].timestamp, meta[1].timestamp]);
        assert!(tx.try_recv_error().unwrap_err().kind() == ErrorKind::WouldBlock);
    };
    tokio::time::timeout(PATIENCE, run)
        .await
        .expect("the async timestamps within PATIENCE");
}
