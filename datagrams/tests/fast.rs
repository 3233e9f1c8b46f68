//! The fast paths over loopback, blocking and async from the same bodies: per-datagram metadata,
//! `Transmit`, batches, GSO and GRO (with the fallback forced), and the drop counter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/api.rs"]
mod api;
mod common;

use std::io::{ErrorKind, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::SystemTime;

use api::Udp;
use datagrams::{Ecn, Family, MAX_BATCH, MsgFlags, RecvMeta, Transmit};

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            mod v4 { $( #[test] fn $name() { crate::$name::<datagrams::UdpSocket>(datagrams::Family::V4) } )* }
            mod v6 { $( #[test] fn $name() { crate::$name::<datagrams::UdpSocket>(datagrams::Family::V6) } )* }
        }
        mod asynchronous {
            mod v4 { $( #[test] fn $name() { crate::$name::<datagrams::tokio::UdpSocket>(datagrams::Family::V4) } )* }
            mod v6 { $( #[test] fn $name() { crate::$name::<datagrams::tokio::UdpSocket>(datagrams::Family::V6) } )* }
        }
    };
}

suite!(
    metadata_is_exact_on_loopback,
    metadata_costs_nothing_when_off,
    gso_and_gro_round_trip_byte_exact,
    gso_without_gro_arrives_as_separate_datagrams,
    gso_fallback_forced,
    the_gso_fallback_never_merges_segments,
    batches_round_trip_in_order,
    batches_without_senders_report_all_but_the_sender,
    batches_to_and_from_several_peers,
    a_batch_stops_at_a_bad_transmit,
    transmit_source_address,
    transmit_source_family_must_match_the_destination,
    gso_stays_on_after_an_unrelated_einval,
    dual_stack_reports_ipv4_peers_v4_mapped,
    bad_transmits_are_refused,
    transmits_without_destination_go_to_the_connected_peer,
);

fn bound<S: Udp>(f: Family) -> S {
    S::bind(SocketAddr::new(f.loopback(), 0)).unwrap()
}

fn loopback_index() -> u32 {
    std::fs::read_to_string("/sys/class/net/lo/ifindex")
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Distinct bytes per segment, so that a reordering or a lost byte cannot pass.
fn pattern(len: usize, seg: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i / seg) as u8).wrapping_mul(31) ^ (i % seg) as u8)
        .collect()
}

/// Switches on (and checks) `rx`'s packet info, TOS/traffic class and TTL/hop limit reports, and
/// sets `tx`'s TTL or unicast hops to 42.
fn packet_info_tos_and_ttl<S: Udp>(rx: &S, tx: &S, f: Family) {
    let b = rx.blocking();
    match f {
        Family::V4 => {
            b.set_recv_pktinfo_v4(true).unwrap();
            b.set_recv_tos_v4(true).unwrap();
            b.set_recv_ttl_v4(true).unwrap();
            assert!(
                b.recv_pktinfo_v4().unwrap()
                    && b.recv_tos_v4().unwrap()
                    && b.recv_ttl_v4().unwrap()
            );
            tx.blocking().set_ttl(42).unwrap();
        }
        Family::V6 => {
            b.set_recv_pktinfo_v6(true).unwrap();
            b.set_recv_tclass_v6(true).unwrap();
            b.set_recv_hoplimit_v6(true).unwrap();
            assert!(
                b.recv_pktinfo_v6().unwrap()
                    && b.recv_tclass_v6().unwrap()
                    && b.recv_hoplimit_v6().unwrap()
            );
            tx.blocking().set_unicast_hops_v6(42).unwrap();
        }
    }
}

fn metadata_is_exact_on_loopback<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    let b = rx.blocking();
    packet_info_tos_and_ttl(&rx, &tx, f);
    b.set_recv_timestamp(true).unwrap();
    assert!(b.recv_timestamp().unwrap());
    let before = SystemTime::now();
    for ecn in [Ecn::Ect0, Ecn::Ect1, Ecn::Ce, Ecn::NotEct] {
        tx.send_msg(&Transmit::new(rx.local_addr().unwrap(), b"meta").ecn(ecn))
            .unwrap();
        let mut buf = [0u8; 16];
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(&buf[..meta.len], b"meta");
        assert_eq!(meta.dst_ip, Some(f.loopback()));
        assert_eq!(meta.ifindex, Some(loopback_index()));
        assert_eq!(meta.ecn(), Some(ecn));
        assert_eq!(meta.tos.map(|t| t & 0b11), Some(ecn.bits()));
        assert_eq!(meta.ttl, Some(42));
        let at = meta.timestamp.expect("SO_TIMESTAMPNS is on");
        assert!(
            at >= before && at <= SystemTime::now(),
            "{at:?} outside the send window"
        );
        assert_eq!(meta.addr, tx.local_addr().unwrap());
    }
    // switched off again: nothing reported
    b.set_recv_timestamp(false).unwrap();
    tx.send_to(b"x", rx.local_addr().unwrap()).unwrap();
    assert_eq!(rx.recv_msg(&mut [0u8; 4]).unwrap().timestamp, None);
}

fn metadata_costs_nothing_when_off<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    tx.send_msg(&Transmit::new(rx.local_addr().unwrap(), b"plain").ecn(Ecn::Ect0))
        .unwrap();
    let meta = rx.recv_msg(&mut [0u8; 16]).unwrap();
    assert_eq!(
        (
            meta.len,
            meta.dst_ip,
            meta.tos,
            meta.ttl,
            meta.stride,
            meta.drops
        ),
        (5, None, None, None, None, None)
    );
    assert!(!meta.control_truncated);
}

fn gso_and_gro_round_trip_byte_exact<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    rx.blocking().set_gro(true).unwrap();
    assert!(rx.blocking().gro().unwrap());
    assert_eq!(tx.blocking().max_gso_segments(), 64);
    let data = pattern(1200 * 9 + 500, 1200);
    let t = Transmit::new(rx.local_addr().unwrap(), &data).segment_size(1200);
    assert_eq!(tx.send_msg(&t).unwrap(), data.len());
    // with GRO, the datagrams of one GSO send may arrive coalesced; collect until all are here
    let mut got = Vec::new();
    let mut sizes = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while got.len() < data.len() {
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert!(!meta.truncated);
        if let Some(stride) = meta.stride {
            assert_eq!(stride, 1200, "GRO stride is the GSO segment size");
        }
        for seg in meta.segments(&buf) {
            sizes.push(seg.len());
            got.extend_from_slice(seg);
        }
    }
    assert_eq!(
        got, data,
        "the bytes survived GSO and GRO exactly, in order"
    );
    assert_eq!(
        sizes,
        [1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 1200, 500]
    );
}

fn gso_without_gro_arrives_as_separate_datagrams<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    let data = pattern(64 * 20 + 7, 64);
    tx.send_msg(&Transmit::new(rx.local_addr().unwrap(), &data).segment_size(64))
        .unwrap();
    let mut buf = [0u8; 2048];
    for (i, want) in data.chunks(64).enumerate() {
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(&buf[..meta.len], want, "segment {i}");
        assert_eq!(meta.stride, None);
    }
}

fn gso_fallback_forced<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    tx.blocking().set_gso(false);
    assert_eq!(tx.blocking().max_gso_segments(), 1);
    let data = pattern(1000 * 5 + 1, 1000);
    let t = Transmit::new(rx.local_addr().unwrap(), &data)
        .segment_size(1000)
        .ecn(Ecn::Ect1);
    assert_eq!(tx.send_msg(&t).unwrap(), data.len());
    rx.blocking().set_recv_tos_v4(true).unwrap();
    if f == Family::V6 {
        rx.blocking().set_recv_tclass_v6(true).unwrap();
    }
    let mut buf = [0u8; 2048];
    for want in data.chunks(1000) {
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(&buf[..meta.len], want);
        // every fallback datagram keeps the transmit's other metadata
        assert_eq!(meta.ecn(), Some(Ecn::Ect1));
    }
    // the batch path falls back too
    let ts = [Transmit::new(rx.local_addr().unwrap(), &data[..2000]).segment_size(1000)];
    assert_eq!(tx.send_batch(&ts).unwrap(), 1);
    for want in data[..2000].chunks(1000) {
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(&buf[..meta.len], want);
        assert_eq!(meta.ecn(), Some(Ecn::NotEct));
    }
    // and back on
    tx.blocking().set_gso(true);
    assert_eq!(tx.blocking().max_gso_segments(), 64);
}

/// One datagram per segment under `MSG_MORE` or `UDP_CORK` would join them into one datagram:
/// refused, and nothing is sent.
fn the_gso_fallback_never_merges_segments<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    tx.blocking().set_gso(false);
    let data = pattern(10, 4);
    let t = Transmit::new(rx.local_addr().unwrap(), &data).segment_size(4);
    let e = tx
        .blocking()
        .send_msg_with_flags(&t, MsgFlags::MORE)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    tx.blocking().set_cork(true).unwrap();
    let e = tx.send_msg(&t).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = tx.send_batch(std::slice::from_ref(&t)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    tx.blocking().set_cork(false).unwrap();
    // uncorked, the same transmit goes out as its three datagrams, and they are the first to arrive
    assert_eq!(tx.send_msg(&t).unwrap(), 10);
    let mut buf = [0u8; 16];
    for want in data.chunks(4) {
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], want);
    }
}

fn batches_round_trip_in_order<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    let to = rx.local_addr().unwrap();
    let payloads: Vec<Vec<u8>> = (0..100u32)
        .map(|i| i.to_be_bytes().repeat(1 + i as usize % 7))
        .collect();
    let transmits: Vec<Transmit<'_>> = payloads.iter().map(|p| Transmit::new(to, p)).collect();
    let mut sent = 0;
    let mut calls = 0;
    while sent < transmits.len() {
        let n = tx.send_batch(&transmits[sent..]).unwrap();
        assert!((1..=MAX_BATCH).contains(&n), "{n}");
        sent += n;
        calls += 1;
    }
    assert!(
        calls <= 100usize.div_ceil(MAX_BATCH) + 2,
        "batches of one: {calls} calls"
    );
    let mut storage = vec![[0u8; 64]; MAX_BATCH];
    let mut meta = [RecvMeta::default(); MAX_BATCH];
    let mut got: Vec<Vec<u8>> = Vec::new();
    while got.len() < payloads.len() {
        let mut bufs: Vec<IoSliceMut<'_>> =
            storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let n = rx.recv_batch(&mut bufs, &mut meta).unwrap();
        assert!(n >= 1);
        for (m, b) in meta[..n].iter().zip(&storage) {
            assert_eq!(m.addr, tx.local_addr().unwrap());
            assert!(!m.truncated);
            got.push(b[..m.len].to_vec());
        }
    }
    assert_eq!(got, payloads);
    // truncation is reported per datagram in a batch too
    tx.send_to(&[9u8; 100], to).unwrap();
    let mut small = [0u8; 10];
    let n = rx
        .recv_batch(&mut [IoSliceMut::new(&mut small)], &mut meta[..1])
        .unwrap();
    assert_eq!(
        (n, meta[0].len, meta[0].full_len, meta[0].truncated),
        (1, 10, 100, true)
    );
    // a batch with room for one (received through recvmsg) reports its sender too
    assert_eq!(meta[0].addr, tx.local_addr().unwrap());
}

/// The sender-less batch: exact bytes in order, lengths and truncation per datagram, every metadata
/// option still decoded (destination, ECN, TTL), GRO strides, a dual-stack socket's IPv4
/// destination v4-mapped as `recv_batch` reports it, and the same refusals as `recv_batch`.
fn batches_without_senders_report_all_but_the_sender<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    let to = rx.local_addr().unwrap();
    rx.blocking().connect(tx.local_addr().unwrap()).unwrap();
    let payloads: Vec<Vec<u8>> = (0..70u32)
        .map(|i| i.to_be_bytes().repeat(1 + i as usize % 5))
        .collect();
    let transmits: Vec<Transmit<'_>> = payloads.iter().map(|p| Transmit::new(to, p)).collect();
    let mut sent = 0;
    while sent < transmits.len() {
        sent += tx.send_batch(&transmits[sent..]).unwrap();
    }
    let mut storage = vec![[0u8; 32]; MAX_BATCH];
    let mut meta = [RecvMeta::new(()); MAX_BATCH];
    let mut got: Vec<Vec<u8>> = Vec::new();
    while got.len() < payloads.len() {
        let mut bufs: Vec<IoSliceMut<'_>> =
            storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let n = rx.recv_batch_without_senders(&mut bufs, &mut meta).unwrap();
        assert!((1..=MAX_BATCH).contains(&n), "{n}");
        for (m, b) in meta[..n].iter().zip(&storage) {
            assert_eq!((m.truncated, m.full_len, m.stride), (false, m.len, None));
            got.push(b[..m.len].to_vec());
        }
    }
    assert_eq!(got, payloads);

    // truncation, per datagram
    tx.send_to(&[7u8; 100], to).unwrap();
    tx.send_to(b"short", to).unwrap();
    let (mut small, mut big) = ([0u8; 10], [0u8; 64]);
    let mut got = 0;
    while got < 2 {
        let mut bufs = [IoSliceMut::new(&mut small), IoSliceMut::new(&mut big)];
        got += rx
            .recv_batch_without_senders(&mut bufs[got..], &mut meta[got..2])
            .unwrap();
    }
    assert_eq!(
        (meta[0].len, meta[0].full_len, meta[0].truncated),
        (10, 100, true)
    );
    assert_eq!(
        (&big[..meta[1].len], meta[1].truncated),
        (&b"short"[..], false)
    );

    // metadata options stay decoded without the sender
    let b = rx.blocking();
    packet_info_tos_and_ttl(&rx, &tx, f);
    let ecns = [Ecn::Ect0, Ecn::Ect1, Ecn::Ce];
    for ecn in ecns {
        tx.send_msg(&Transmit::new(to, b"meta").ecn(ecn)).unwrap();
    }
    let mut got = 0;
    while got < ecns.len() {
        let mut bufs: Vec<IoSliceMut<'_>> =
            storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        got += rx
            .recv_batch_without_senders(&mut bufs[got..], &mut meta[got..ecns.len()])
            .unwrap();
    }
    for (m, ecn) in meta.iter().zip(ecns) {
        assert_eq!(
            (m.len, m.dst_ip, m.ifindex, m.ecn(), m.ttl),
            (
                4,
                Some(f.loopback()),
                Some(loopback_index()),
                Some(ecn),
                Some(42)
            )
        );
    }

    // GRO: one buffer holds the segments, the stride splits them
    b.set_gro(true).unwrap();
    let data = pattern(10 * 100, 100);
    tx.send_msg(&Transmit::new(to, &data).segment_size(100))
        .unwrap();
    let mut big = vec![0u8; 65_536];
    let mut joined = Vec::new();
    while joined.len() < data.len() {
        let n = rx
            .recv_batch_without_senders(&mut [IoSliceMut::new(&mut big)], &mut meta[..1])
            .unwrap();
        assert_eq!(n, 1);
        let m = meta[0];
        assert!(m.len == 100 || m.stride == Some(100), "{m:?}");
        for seg in m.segments(&big) {
            assert_eq!(seg.len(), 100);
            joined.extend_from_slice(seg);
        }
    }
    assert_eq!(joined, data);

    // the refusals of recv_batch
    for e in [
        rx.recv_batch_without_senders(&mut [], &mut meta)
            .unwrap_err(),
        rx.recv_batch_without_senders(&mut [IoSliceMut::new(&mut big)], &mut [])
            .unwrap_err(),
        S::unbound(f)
            .unwrap()
            .blocking()
            .recv_batch_without_senders(&mut [IoSliceMut::new(&mut big)], &mut meta)
            .unwrap_err(),
        rx.blocking()
            .recv_batch_without_senders_with_flags(
                &mut [IoSliceMut::new(&mut big)],
                &mut meta,
                MsgFlags::PEEK,
            )
            .unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }

    // a dual-stack socket reports an IPv4 datagram's destination v4-mapped, as recv_batch does
    if f == Family::V6 {
        let dual = S::bind(SocketAddr::new(f.unspecified(), 0)).unwrap();
        if !dual.blocking().only_v6().unwrap() {
            dual.blocking().set_recv_pktinfo_v4(true).unwrap();
            let tx4 = bound::<S>(Family::V4);
            let port = dual.local_addr().unwrap().port();
            tx4.send_to(b"four", SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port))
                .unwrap();
            let n = dual
                .recv_batch_without_senders(&mut [IoSliceMut::new(&mut big)], &mut meta[..1])
                .unwrap();
            let mapped = IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped());
            assert_eq!(
                (n, &big[..meta[0].len], meta[0].dst_ip),
                (1, &b"four"[..], Some(mapped))
            );
            // the same through recvmmsg (room for two), without senders and with
            let to = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port);
            let from = SocketAddr::new(mapped, tx4.local_addr().unwrap().port());
            for senders in [false, true] {
                tx4.send_to(b"five", to).unwrap();
                tx4.send_to(b"six", to).unwrap();
                let mut full = [RecvMeta::default(); 2];
                let mut got = 0;
                while got < 2 {
                    let [s0, s1, ..] = &mut storage[..] else {
                        unreachable!("MAX_BATCH slots")
                    };
                    let mut bufs = [IoSliceMut::new(s0), IoSliceMut::new(s1)];
                    got += if senders {
                        dual.recv_batch(&mut bufs[got..], &mut full[got..])
                    } else {
                        dual.recv_batch_without_senders(&mut bufs[got..], &mut meta[got..2])
                    }
                    .unwrap();
                }
                for i in 0..2 {
                    let (dst, len) = if senders {
                        assert_eq!(full[i].addr, from);
                        (full[i].dst_ip, full[i].len)
                    } else {
                        (meta[i].dst_ip, meta[i].len)
                    };
                    assert_eq!(
                        (&storage[i][..len], dst),
                        ([&b"five"[..], b"six"][i], Some(mapped)),
                        "senders {senders}"
                    );
                }
            }
        }
    }
}

/// One batch to three receivers in runs and alternations (consecutive transmits to one peer share an
/// encoded address, so every change of destination must take effect), and one batch received from
/// three senders, each datagram with its own sender.
fn batches_to_and_from_several_peers<S: Udp>(f: Family) {
    let rxs: Vec<S> = (0..3).map(|_| bound::<S>(f)).collect();
    let tx = bound::<S>(f);
    let dest: Vec<SocketAddr> = rxs.iter().map(|r| r.local_addr().unwrap()).collect();
    // receiver of each transmit: runs, alternations, a return to an earlier one, ECN on some
    let plan = [
        0, 0, 0, 1, 0, 2, 2, 1, 1, 0, 2, 0, 1, 2, 2, 2, 0, 1, 0, 0, 1, 1, 2, 0, 1, 2, 0, 0, 2, 1,
        1, 0,
    ];
    assert_eq!(plan.len(), MAX_BATCH);
    let payloads: Vec<[u8; 2]> = (0..plan.len() as u8)
        .map(|i| [i, plan[i as usize]])
        .collect();
    let transmits: Vec<Transmit<'_>> = plan
        .iter()
        .zip(&payloads)
        .enumerate()
        .map(|(i, (&r, p))| {
            let t = Transmit::new(dest[r as usize], p);
            if i % 5 == 0 { t.ecn(Ecn::Ect0) } else { t }
        })
        .collect();
    for rx in &rxs {
        rx.blocking().set_recv_tos_v4(true).unwrap();
        if f == Family::V6 {
            rx.blocking().set_recv_tclass_v6(true).unwrap();
        }
    }
    // One call takes the whole batch: a header the kernel refused would stop it part-way.
    assert_eq!(tx.send_batch(&transmits).unwrap(), MAX_BATCH);
    for (r, rx) in rxs.iter().enumerate() {
        // each datagram with its own ECN codepoint: a plain one after a marked one to the same
        // peer carries none
        let want: Vec<([u8; 2], Ecn)> = payloads
            .iter()
            .enumerate()
            .filter(|(_, p)| p[1] == r as u8)
            .map(|(i, p)| (*p, if i % 5 == 0 { Ecn::Ect0 } else { Ecn::NotEct }))
            .collect();
        let mut got = Vec::new();
        let mut buf = [0u8; 4];
        while got.len() < want.len() {
            let meta = rx.recv_msg(&mut buf).unwrap();
            assert_eq!(meta.addr, tx.local_addr().unwrap());
            got.push((
                <[u8; 2]>::try_from(&buf[..meta.len]).unwrap(),
                meta.ecn().unwrap(),
            ));
        }
        assert_eq!(got, want, "receiver {r}");
    }
    // the other way: three senders, one receive batch, each datagram with its own sender; with packet
    // info on, so the batch also decodes a control area per datagram
    let rx = &rxs[0];
    let to = rx.local_addr().unwrap();
    match f {
        Family::V4 => rx.blocking().set_recv_pktinfo_v4(true).unwrap(),
        _ => rx.blocking().set_recv_pktinfo_v6(true).unwrap(),
    }
    let senders: Vec<S> = (0..3).map(|_| bound::<S>(f)).collect();
    let mut expected = Vec::new();
    for round in 0..4u8 {
        for (k, s) in senders.iter().enumerate() {
            s.send_to(&[round, k as u8], to).unwrap();
            expected.push(([round, k as u8], s.local_addr().unwrap()));
        }
    }
    let mut storage = vec![[0u8; 8]; MAX_BATCH];
    let mut meta = [RecvMeta::default(); MAX_BATCH];
    let mut got = Vec::new();
    while got.len() < expected.len() {
        let mut bufs: Vec<IoSliceMut<'_>> =
            storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let n = rx.recv_batch(&mut bufs, &mut meta).unwrap();
        for (m, b) in meta[..n].iter().zip(&storage) {
            assert_eq!(
                (m.dst_ip, m.ifindex, m.control_truncated),
                (Some(f.loopback()), Some(loopback_index()), false)
            );
            got.push((<[u8; 2]>::try_from(&b[..m.len]).unwrap(), m.addr));
        }
    }
    assert_eq!(got, expected);
}

fn a_batch_stops_at_a_bad_transmit<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let tx = bound::<S>(f);
    let to = rx.local_addr().unwrap();
    let bad = SocketAddr::new(f.loopback(), 0);
    // a source of the other family fails only when its control message is encoded
    let other_src: IpAddr = match f {
        Family::V4 => "::1".parse().unwrap(),
        _ => Ipv4Addr::LOCALHOST.into(),
    };
    let ts = [
        Transmit::new(to, b"a"),
        Transmit::new(to, b"b"),
        Transmit::new(bad, b"c"),
        Transmit::new(to, b"d"),
        Transmit::new(to, b"e").src_ip(other_src),
        Transmit::new(to, b"f"),
    ];
    // sent up to the bad one: the caller resends from index 2
    assert_eq!(tx.send_batch(&ts).unwrap(), 2);
    let e = tx.send_batch(&ts[2..]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(tx.send_batch(&ts[3..]).unwrap(), 1);
    let e = tx.send_batch(&ts[4..]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("source"), "{e}");
    assert_eq!(tx.send_batch(&ts[5..]).unwrap(), 1);
    let mut buf = [0u8; 4];
    for want in [b"a", b"b", b"d", b"f"] {
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], want);
    }
    assert_eq!(tx.send_batch(&[]).unwrap(), 0);
    // PEEK would put the same first datagram in every buffer: refused
    let mut two = [[0u8; 4]; 2];
    let [b0, b1] = &mut two;
    let e = rx
        .blocking()
        .recv_batch_with_flags(
            &mut [IoSliceMut::new(b0), IoSliceMut::new(b1)],
            &mut [RecvMeta::default(); 2],
            MsgFlags::PEEK,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // a receive batch with room for no datagram is refused: it would return 0 forever
    let mut meta = [RecvMeta::default(); 1];
    let e = rx.recv_batch(&mut [], &mut meta).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = rx
        .recv_batch(&mut [IoSliceMut::new(&mut buf)], &mut [])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

fn transmit_source_address<S: Udp>(f: Family) {
    // bound to the wildcard, the sender picks its source per datagram
    let tx = S::bind(SocketAddr::new(f.unspecified(), 0)).unwrap();
    let rx = bound::<S>(Family::V4);
    let port = tx.local_addr().unwrap().port();
    let src = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    if f == Family::V6 && tx.blocking().only_v6().unwrap() {
        return;
    }
    let t = Transmit::new(rx.local_addr().unwrap(), b"from .2")
        .src_ip(src)
        .ifindex(loopback_index());
    tx.send_msg(&t).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = rx.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"from .2"[..], SocketAddr::new(src, port))
    );
}

fn transmit_source_family_must_match_the_destination<S: Udp>(f: Family) {
    let rx4 = bound::<S>(Family::V4);
    let rx6 = bound::<S>(Family::V6);
    let tx = S::bind(SocketAddr::new(f.unspecified(), 0)).unwrap();
    let port = tx.local_addr().unwrap().port();
    let lo = loopback_index();
    let mut buf = [0u8; 16];
    // an interface alone, to an IPv4 peer: on an IPv6 socket the kernel needs a v4-mapped "any"
    let dual = f == Family::V6 && !tx.blocking().only_v6().unwrap();
    if f == Family::V4 || dual {
        let to = if dual {
            SocketAddr::new(
                Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
                rx4.local_addr().unwrap().port(),
            )
        } else {
            rx4.local_addr().unwrap()
        };
        tx.send_msg(&Transmit::new(to, b"by index").ifindex(lo))
            .unwrap();
        let (n, from) = rx4.recv_from(&mut buf).unwrap();
        assert_eq!(
            (&buf[..n], from),
            (
                &b"by index"[..],
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)
            )
        );
        // an IPv6 source for an IPv4 destination is refused before the kernel sees it
        let e = tx
            .send_msg(&Transmit::new(to, b"x").src_ip("::1".parse().unwrap()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
    if f == Family::V6 {
        let to = rx6.local_addr().unwrap();
        tx.send_msg(&Transmit::new(to, b"by index").ifindex(lo))
            .unwrap();
        let (n, from) = rx6.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.port()), (&b"by index"[..], port));
        // and an IPv4 source (plain or v4-mapped) for an IPv6 destination
        for src in [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()),
        ] {
            let e = tx
                .send_msg(&Transmit::new(to, b"x").src_ip(src))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{src}: {e}");
        }
    }
}

fn dual_stack_reports_ipv4_peers_v4_mapped<S: Udp>(f: Family) {
    let rx = S::bind(SocketAddr::new(f.unspecified(), 0)).unwrap();
    if f == Family::V4 || rx.blocking().only_v6().unwrap() {
        return;
    }
    let tx = bound::<S>(Family::V4);
    let port = rx.local_addr().unwrap().port();
    let mut buf = [0u8; 8];
    let mapped = IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped());
    // The destination is v4-mapped like the sender, whichever packet info is on: IPv6's, both
    // (the kernel then adds IP_PKTINFO after IPV6_PKTINFO), or IPv4's alone.
    let mut meta = RecvMeta::default();
    for (v6, v4) in [(true, false), (true, true), (false, true)] {
        rx.blocking().set_recv_pktinfo_v6(v6).unwrap();
        rx.blocking().set_recv_pktinfo_v4(v4).unwrap();
        tx.send_to(b"ping", SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port))
            .unwrap();
        meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(
            (meta.addr, meta.dst_ip),
            (
                SocketAddr::new(mapped, tx.local_addr().unwrap().port()),
                Some(mapped)
            ),
            "IPV6_PKTINFO {v6}, IP_PKTINFO {v4}"
        );
    }
    // the pair, as reported, makes the reply
    let reply = Transmit::new(meta.addr, b"pong").src_ip(mapped);
    rx.send_msg(&reply).unwrap();
    let (n, from) = tx.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (
            &b"pong"[..],
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)
        )
    );
    // A batch from the dual-stack socket mixing an IPv4 peer (given plain, then v4-mapped: the same
    // peer, fitted to the same address) and an IPv6 one: each destination change takes effect.
    let tx6 = bound::<S>(Family::V6);
    let v4 = tx.local_addr().unwrap();
    let v4_mapped = SocketAddr::new(mapped, v4.port());
    let v6 = tx6.local_addr().unwrap();
    let plan = [
        (v4, b"a"),
        (v4, b"b"),
        (v4_mapped, b"c"),
        (v6, b"d"),
        (v4, b"e"),
        (v6, b"f"),
    ];
    let ts: Vec<Transmit<'_>> = plan.iter().map(|(to, p)| Transmit::new(*to, *p)).collect();
    let mut sent = 0;
    while sent < ts.len() {
        sent += rx.send_batch(&ts[sent..]).unwrap();
    }
    for (peer, want) in [(&tx, &b"abce"[..]), (&tx6, &b"df"[..])] {
        let mut got = Vec::new();
        while got.len() < want.len() {
            let n = peer.recv(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, want);
    }
}

fn gso_stays_on_after_an_unrelated_einval<S: Udp>(f: Family) {
    // A source address the kernel refuses (IPv4: multicast; IPv6: one this host lacks) fails with
    // EINVAL, which says nothing about GSO, so GSO must stay on.
    let tx = S::bind(SocketAddr::new(f.unspecified(), 0)).unwrap();
    let gso = tx.blocking().max_gso_segments();
    let (to, foreign): (SocketAddr, IpAddr) = match f {
        Family::V4 => (
            "127.0.0.1:9".parse().unwrap(),
            "224.0.0.77".parse().unwrap(),
        ),
        _ => ("[::1]:9".parse().unwrap(), "2001:db8::77".parse().unwrap()),
    };
    let data = [7u8; 3000];
    let t = Transmit::new(to, &data).segment_size(1000).src_ip(foreign);
    // the kernel's EINVAL, said as the source it refuses
    for e in [
        tx.send_msg(&t).unwrap_err(),
        tx.send_batch(std::slice::from_ref(&t)).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::AddrNotAvailable, "{e}");
        assert!(
            e.to_string().contains(&foreign.to_string()) && e.to_string().contains("os error 22"),
            "{e}"
        );
    }
    assert_eq!(tx.blocking().max_gso_segments(), gso);
}

fn bad_transmits_are_refused<S: Udp>(f: Family) {
    let tx = bound::<S>(f);
    let to = SocketAddr::new(f.loopback(), 9);
    let big = vec![0u8; 70_000];
    for (t, needle) in [
        (
            Transmit::new(to, &big[..1000]).segment_size(0),
            "segment size 0",
        ),
        (
            Transmit::new(to, &big[..65 * 10]).segment_size(10),
            "65 segments",
        ),
        (
            Transmit::new(SocketAddr::new(f.loopback(), 0), b"x"),
            "port 0",
        ),
    ] {
        let e = tx.send_msg(&t).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
    // Too large for one datagram, whole or per segment: the kernel's own error for it.
    for t in [
        Transmit::new(to, &big),
        Transmit::new(to, &big[..100]).segment_size(f.max_payload() + 1),
    ] {
        let e = tx.send_msg(&t).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
        let e = tx.send_batch(&[t]).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
    }
    if f == Family::V4 {
        let e = tx
            .send_msg(&Transmit::new(to, b"x").src_ip("::1".parse().unwrap()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
    // a source address this host does not have: refused naming it, alone and in a batch
    let foreign: IpAddr = match f {
        Family::V4 => "192.0.2.123".parse().unwrap(),
        _ => "2001:db8::123".parse().unwrap(),
    };
    let stranger = Transmit::new(to, b"x").src_ip(foreign);
    for e in [
        tx.send_msg(&stranger).unwrap_err(),
        tx.send_batch(std::slice::from_ref(&stranger)).unwrap_err(),
    ] {
        assert!(
            matches!(
                e.kind(),
                ErrorKind::AddrNotAvailable | ErrorKind::NetworkUnreachable
            ) && e.to_string().contains(&foreign.to_string()),
            "{e}"
        );
    }
    // an interface that is not there: NotFound naming it (the kernel's ENODEV), alone and in a batch
    let nowhere = Transmit::new(to, b"x").ifindex(99_999);
    for e in [
        tx.send_msg(&nowhere).unwrap_err(),
        tx.send_batch(std::slice::from_ref(&nowhere)).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert!(e.to_string().contains("99999"), "{e}");
    }
}

#[test]
fn drop_counter_matches_what_was_lost() {
    // Fill a small receive buffer far past its size, then read what fits: the kernel's drop count
    // (SO_RXQ_OVFL) must equal what was sent and not received.
    let rx = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_recv_buffer_size(4096).unwrap();
    rx.set_recv_drop_count(true).unwrap();
    assert!(rx.recv_drop_count().unwrap());
    let tx = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    const SENT: u32 = 500;
    for i in 0..SENT {
        tx.send_to(&i.to_be_bytes(), rx.local_addr().unwrap())
            .unwrap();
    }
    let mut received = 0u32;
    let mut last_drops = None;
    let mut buf = [0u8; 8];
    loop {
        match rx.recv_msg_vectored(
            &mut [IoSliceMut::new(&mut buf)],
            datagrams::MsgFlags::DONTWAIT,
        ) {
            Ok(meta) => {
                received += 1;
                last_drops = meta.drops.or(last_drops);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        received < SENT,
        "the buffer never overflowed: the test proved nothing"
    );
    // the datagrams that fit were queued before any drop, so they carry no count (the kernel sends
    // the control message only once the count is non-zero)
    assert_eq!(last_drops, None);
    // one more, queued after every drop, carries the running count: exactly what was lost
    tx.send_to(b"after", rx.local_addr().unwrap()).unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let meta = rx.recv_msg(&mut buf).unwrap();
    assert_eq!(&buf[..meta.len], b"after");
    assert_eq!(meta.drops, Some(SENT - received));
}

#[test]
fn unknown_control_messages_are_kept() {
    use datagrams::{Control, ControlBuffer, MsgFlags};
    let rx = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    // SO_TIMESTAMP (microseconds, SCM_TIMESTAMP) is an option dgram does not decode; nix sets it
    nix::sys::socket::setsockopt(&rx, nix::sys::socket::sockopt::ReceiveTimestamp, &true).unwrap();
    rx.set_recv_ttl_v4(true).unwrap();
    let tx = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.set_ttl(33).unwrap();
    tx.send_to(b"ctl", rx.local_addr().unwrap()).unwrap();
    let mut control = ControlBuffer::new();
    let mut buf = [0u8; 8];
    let meta = rx
        .recv_msg_with_control(
            &mut [IoSliceMut::new(&mut buf)],
            MsgFlags::empty(),
            &mut control,
        )
        .unwrap();
    assert_eq!(
        (&buf[..meta.len], meta.ttl, meta.control_truncated),
        (&b"ctl"[..], Some(33), false)
    );
    let all: Vec<Control<'_>> = control.iter().collect();
    assert!(all.contains(&Control::Ttl(33)), "{all:?}");
    let timeval = std::mem::size_of::<libc::timeval>();
    assert!(
        all.iter()
            .any(|c| matches!(c, Control::Unknown { level, kind, data }
            if *level == libc::SOL_SOCKET && *kind == libc::SO_TIMESTAMP && data.len() == timeval)),
        "the SCM_TIMESTAMP message is kept as Unknown: {all:?}"
    );
    assert_eq!(all.len(), 2, "{all:?}");
    // a receive that fails leaves nothing of the earlier one in the buffer
    let unbound = datagrams::UdpSocket::unbound(Family::V4).unwrap();
    let e = unbound
        .recv_msg_with_control(
            &mut [IoSliceMut::new(&mut buf)],
            MsgFlags::empty(),
            &mut control,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(control.iter().count(), 0);
}

/// `Transmit::connected` on a connected socket: one datagram, GSO segments, a batch mixing it with
/// addressed transmits, metadata encoded for the peer's family (an IPv6 socket connected to a
/// v4-mapped peer sends IPv4 control messages), and `NotConnected` where there is no peer.
fn transmits_without_destination_go_to_the_connected_peer<S: Udp>(f: Family) {
    let rx = bound::<S>(f);
    let other = bound::<S>(f);
    let tx = bound::<S>(f);
    let me = tx.local_addr().unwrap();
    let mut buf = [0u8; 64];

    // no peer yet: the kernel's EDESTADDRREQ, as for `send`
    for e in [
        tx.send_msg(&Transmit::connected(b"x")).unwrap_err(),
        tx.send_batch(&[Transmit::connected(b"x")]).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
    }

    tx.connect(rx.local_addr().unwrap()).unwrap();
    assert_eq!(tx.send_msg(&Transmit::connected(b"one")).unwrap(), 3);
    let (n, from) = rx.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"one"[..], me));

    // GSO: three datagrams of 4, 4 and 2 bytes, exact
    let t = Transmit::connected(b"aaaabbbbcc").segment_size(4);
    assert_eq!(tx.send_msg(&t).unwrap(), 10);
    for want in [&b"aaaa"[..], b"bbbb", b"cc"] {
        let (n, from) = rx.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (want, me));
    }

    // a batch mixing the peer and another address (allowed on a connected socket, as send_to)
    let batch = [
        Transmit::connected(b"p1"),
        Transmit::connected(b"p2"),
        Transmit::new(other.local_addr().unwrap(), b"o1"),
        Transmit::connected(b"p3"),
    ];
    let mut sent = 0;
    while sent < batch.len() {
        sent += tx.send_batch(&batch[sent..]).unwrap();
    }
    for want in [&b"p1"[..], b"p2", b"p3"] {
        let (n, from) = rx.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (want, me));
    }
    let (n, from) = other.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"o1"[..], me));

    // metadata goes with it: the TOS byte and TTL arrive as set
    rx.blocking().set_recv_ttl_v4(f == Family::V4).unwrap();
    match f {
        Family::V4 => {
            rx.blocking().set_recv_tos_v4(true).unwrap();
        }
        _ => {
            rx.blocking().set_recv_tclass_v6(true).unwrap();
            rx.blocking().set_recv_hoplimit_v6(true).unwrap();
        }
    }
    tx.send_msg(&Transmit::connected(b"meta").tos(46 << 2).ttl(9))
        .unwrap();
    let m = rx.recv_msg(&mut buf).unwrap();
    assert_eq!(
        (&buf[..m.len], m.tos, m.ttl),
        (&b"meta"[..], Some(46 << 2), Some(9))
    );

    // an IPv6 socket connected to an IPv4 peer (v4-mapped) encodes IPv4's control messages
    if f == Family::V6 && !tx.blocking().only_v6().unwrap() {
        let rx4 = bound::<S>(Family::V4);
        rx4.blocking().set_recv_tos_v4(true).unwrap();
        rx4.blocking().set_recv_ttl_v4(true).unwrap();
        let dual = S::bind(SocketAddr::new(f.unspecified(), 0)).unwrap();
        let mapped = SocketAddr::new(
            Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
            rx4.local_addr().unwrap().port(),
        );
        dual.connect(mapped).unwrap();
        dual.send_msg(&Transmit::connected(b"v4").tos(0x20).ttl(7).ecn(Ecn::Ect0))
            .unwrap();
        let m = rx4.recv_msg(&mut buf).unwrap();
        assert_eq!(
            (&buf[..m.len], m.tos, m.ttl),
            (&b"v4"[..], Some(0x22), Some(7))
        );
    }

    // after disconnect there is no peer again
    tx.disconnect().unwrap();
    let e = tx.send_msg(&Transmit::connected(b"x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
}
