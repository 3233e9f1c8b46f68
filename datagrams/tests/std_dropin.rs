//! A program written against `std::net::UdpSocket` runs the same with the import changed to
//! `datagrams::UdpSocket`: the same calls compile (std's signatures, `join_multicast_v4(&group,
//! &interface_address)` among them) and report the same results.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

macro_rules! std_program {
    ($Socket:ty) => {{
        let mut log: Vec<String> = Vec::new();
        let a = <$Socket>::bind("127.0.0.1:0").unwrap();
        let b = <$Socket>::bind("127.0.0.1:0").unwrap();
        b.set_read_timeout(Some(common::PATIENCE)).unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        a.send_to(b"one", b_addr).unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.peek_from(&mut buf).unwrap();
        log.push(format!("peek_from {:?} {}", &buf[..n], from == a_addr));
        let (n, from) = b.recv_from(&mut buf).unwrap();
        log.push(format!("recv_from {:?} {}", &buf[..n], from == a_addr));
        a.connect(b_addr).unwrap();
        log.push(format!("peer {}", a.peer_addr().unwrap() == b_addr));
        a.send(b"two").unwrap();
        b.connect(a_addr).unwrap();
        let n = b.peek(&mut buf).unwrap();
        log.push(format!("peek {:?}", &buf[..n]));
        let n = b.recv(&mut buf).unwrap();
        log.push(format!("recv {:?}", &buf[..n]));
        b.set_nonblocking(true).unwrap();
        log.push(format!(
            "nonblocking recv {:?}",
            b.recv(&mut buf).map_err(|e| e.kind())
        ));
        b.set_nonblocking(false).unwrap();
        let c = a.try_clone().unwrap();
        log.push(format!("clone {}", c.local_addr().unwrap() == a_addr));
        a.set_ttl(9).unwrap();
        log.push(format!("ttl {}", a.ttl().unwrap()));
        a.set_broadcast(true).unwrap();
        log.push(format!("broadcast {}", a.broadcast().unwrap()));
        a.set_multicast_loop_v4(false).unwrap();
        log.push(format!(
            "multicast_loop_v4 {}",
            a.multicast_loop_v4().unwrap()
        ));
        a.set_multicast_ttl_v4(4).unwrap();
        log.push(format!(
            "multicast_ttl_v4 {}",
            a.multicast_ttl_v4().unwrap()
        ));
        log.push(format!("read_timeout {:?}", b.read_timeout().unwrap()));
        log.push(format!(
            "take_error {:?}",
            a.take_error().unwrap().map(|e| e.kind())
        ));

        let m = <$Socket>::bind("0.0.0.0:0").unwrap();
        let group = Ipv4Addr::new(239, 7, 7, 7);
        log.push(format!(
            "join_multicast_v4 {:?}",
            m.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)
                .map_err(|e| e.kind())
        ));
        log.push(format!(
            "leave_multicast_v4 {:?}",
            m.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)
                .map_err(|e| e.kind())
        ));
        log.push(format!(
            "leave again {:?}",
            m.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)
                .map_err(|e| e.raw_os_error())
        ));
        let m6 = <$Socket>::bind("[::]:0").unwrap();
        let group6: Ipv6Addr = "ff15::7".parse().unwrap();
        log.push(format!(
            "join_multicast_v6 {:?}",
            m6.join_multicast_v6(&group6, 0)
                .map_err(|e| e.raw_os_error())
        ));
        log.push(format!(
            "leave_multicast_v6 {:?}",
            m6.leave_multicast_v6(&group6, 0)
                .map_err(|e| e.raw_os_error())
        ));
        m6.set_multicast_loop_v6(false).unwrap();
        log.push(format!(
            "multicast_loop_v6 {}",
            m6.multicast_loop_v6().unwrap()
        ));
        log
    }};
}

#[test]
fn a_std_program_runs_the_same_with_the_import_changed() {
    let std_log = std_program!(std::net::UdpSocket);
    let datagrams_log = std_program!(datagrams::UdpSocket);
    assert_eq!(datagrams_log, std_log);
    assert!(
        std_log.contains(&"join_multicast_v4 Ok(())".to_string()),
        "{std_log:?}"
    );
    assert!(
        std_log.contains(&"multicast_loop_v6 false".to_string()),
        "{std_log:?}"
    );
}
