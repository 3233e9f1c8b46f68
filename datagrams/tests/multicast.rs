//! Multicast and broadcast between two real hosts (network namespaces on one veth link), and the
//! multicast calls' bad input. The two-host tests need root; CI runs them as root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/netns.rs"]
mod netns;

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::PATIENCE;
use datagrams::{Interface, UdpSocket};
use netns::TwoHosts;

const A1: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const A3: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 3);
const B2: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const A1_6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const A3_6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 3);

/// A socket bound in namespace `ns` to `addr`, with bounded receives.
fn sock(net: &TwoHosts, ns: &str, addr: SocketAddr) -> UdpSocket {
    let s = net.run(ns, || UdpSocket::bind(addr).unwrap());
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

/// The next datagram on `s`: its bytes and sender.
fn next(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 256];
    let (n, from) = s.recv_from(&mut buf).unwrap();
    (buf[..n].to_vec(), from)
}

#[test]
fn v4_join_receive_leave() {
    let Some(net) = TwoHosts::new("v4_join_receive_leave") else {
        return;
    };
    let (ia, ib) = (net.veth_index(&net.a), net.veth_index(&net.b));
    let group = Ipv4Addr::new(239, 1, 2, 3);
    let rx = sock(&net, &net.b, "0.0.0.0:0".parse().unwrap());
    let port = rx.local_addr().unwrap().port();
    rx.join_multicast_v4_n(group, &Interface::Index(ib))
        .unwrap();
    assert_eq!(
        rx.join_multicast_v4_n(group, &Interface::Index(ib))
            .unwrap_err()
            .kind(),
        ErrorKind::AddrInUse
    );
    let tx = sock(&net, &net.a, SocketAddr::new(A1.into(), 0));
    tx.set_multicast_interface_v4(&Interface::Index(ia))
        .unwrap();
    tx.send_to(b"to the group", (group, port)).unwrap();
    assert_eq!(
        next(&rx),
        (b"to the group".to_vec(), tx.local_addr().unwrap())
    );

    // after leaving, the group's datagram does not arrive: the unicast sentinel sent after it does
    rx.leave_multicast_v4_n(group, &Interface::Index(ib))
        .unwrap();
    tx.send_to(b"not any more", (group, port)).unwrap();
    tx.send_to(b"sentinel", (B2, port)).unwrap();
    assert_eq!(next(&rx).0, b"sentinel");
    // leaving again: the kernel's EADDRNOTAVAIL, intact
    let e = rx
        .leave_multicast_v4_n(group, &Interface::Index(ib))
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EADDRNOTAVAIL));
}

#[test]
fn v4_source_specific_and_blocked_sources() {
    let Some(net) = TwoHosts::new("v4_source_specific_and_blocked_sources") else {
        return;
    };
    let (ia, ib) = (net.veth_index(&net.a), net.veth_index(&net.b));
    let ssm = Ipv4Addr::new(239, 1, 2, 4);
    let rx = sock(&net, &net.b, "0.0.0.0:0".parse().unwrap());
    let port = rx.local_addr().unwrap().port();
    let from1 = sock(&net, &net.a, SocketAddr::new(A1.into(), 0));
    let from3 = sock(&net, &net.a, SocketAddr::new(A3.into(), 0));
    for s in [&from1, &from3] {
        s.set_multicast_interface_v4(&Interface::Index(ia)).unwrap();
    }

    // SSM: source .1 is delivered, source .3 is not (its datagram goes first and never shows)
    rx.join_ssm_v4(ssm, A1, &Interface::Index(ib)).unwrap();
    from3.send_to(b"from .3", (ssm, port)).unwrap();
    from1.send_to(b"from .1", (ssm, port)).unwrap();
    assert_eq!(
        next(&rx),
        (b"from .1".to_vec(), from1.local_addr().unwrap())
    );
    rx.leave_ssm_v4(ssm, A1, &Interface::Index(ib)).unwrap();

    // any-source with .3 blocked; then unblocked
    let any = Ipv4Addr::new(239, 1, 2, 5);
    rx.join_multicast_v4_n(any, &Interface::Index(ib)).unwrap();
    rx.block_source_v4(any, A3, &Interface::Index(ib)).unwrap();
    from3.send_to(b"blocked", (any, port)).unwrap();
    from1.send_to(b"open", (any, port)).unwrap();
    assert_eq!(next(&rx), (b"open".to_vec(), from1.local_addr().unwrap()));
    rx.unblock_source_v4(any, A3, &Interface::Index(ib))
        .unwrap();
    from3.send_to(b"again", (any, port)).unwrap();
    assert_eq!(next(&rx), (b"again".to_vec(), from3.local_addr().unwrap()));
}

#[test]
fn v4_loopback_on_and_off_on_the_sending_host() {
    let Some(net) = TwoHosts::new("v4_loopback_on_and_off_on_the_sending_host") else {
        return;
    };
    let ia = net.veth_index(&net.a);
    let group = Ipv4Addr::new(239, 1, 2, 6);
    let s = sock(&net, &net.a, "0.0.0.0:0".parse().unwrap());
    let port = s.local_addr().unwrap().port();
    s.join_multicast_v4_n(group, &Interface::Index(ia)).unwrap();
    s.set_multicast_interface_v4(&Interface::Index(ia)).unwrap();
    assert!(s.multicast_loop_v4().unwrap());
    s.send_to(b"echoed", (group, port)).unwrap();
    assert_eq!(next(&s).0, b"echoed");
    s.set_multicast_loop_v4(false).unwrap();
    s.send_to(b"silent", (group, port)).unwrap();
    s.send_to(b"sentinel", (A1, port)).unwrap();
    assert_eq!(next(&s).0, b"sentinel");
}

#[test]
fn v6_groups_with_an_interface_scope() {
    let Some(net) = TwoHosts::new("v6_groups_with_an_interface_scope") else {
        return;
    };
    let (ia, ib) = (net.veth_index(&net.a), net.veth_index(&net.b));
    let group: Ipv6Addr = "ff15::1234".parse().unwrap();
    let rx = sock(&net, &net.b, "[::]:0".parse().unwrap());
    let port = rx.local_addr().unwrap().port();
    rx.join_multicast_v6_n(group, &Interface::Index(ib))
        .unwrap();
    let tx = sock(&net, &net.a, SocketAddr::new(A1_6.into(), 0));
    tx.set_multicast_interface_v6(&Interface::Index(ia))
        .unwrap();
    tx.set_multicast_hops_v6(1).unwrap();
    assert_eq!(tx.multicast_hops_v6().unwrap(), 1);
    tx.send_to(b"v6 group", SocketAddr::new(group.into(), port))
        .unwrap();
    assert_eq!(next(&rx), (b"v6 group".to_vec(), tx.local_addr().unwrap()));

    // source-specific: ::1 delivered, ::3 not; then leave
    let ssm: Ipv6Addr = "ff15::5678".parse().unwrap();
    let from3 = sock(&net, &net.a, SocketAddr::new(A3_6.into(), 0));
    from3
        .set_multicast_interface_v6(&Interface::Index(ia))
        .unwrap();
    rx.join_ssm_v6(ssm, A1_6, &Interface::Index(ib)).unwrap();
    from3
        .send_to(b"from ::3", SocketAddr::new(ssm.into(), port))
        .unwrap();
    tx.send_to(b"from ::1", SocketAddr::new(ssm.into(), port))
        .unwrap();
    assert_eq!(next(&rx), (b"from ::1".to_vec(), tx.local_addr().unwrap()));
    rx.leave_ssm_v6(ssm, A1_6, &Interface::Index(ib)).unwrap();

    // blocking a source in the any-source group
    rx.block_source_v6(group, A3_6, &Interface::Index(ib))
        .unwrap();
    from3
        .send_to(b"blocked", SocketAddr::new(group.into(), port))
        .unwrap();
    tx.send_to(b"open", SocketAddr::new(group.into(), port))
        .unwrap();
    assert_eq!(next(&rx).0, b"open");
    rx.unblock_source_v6(group, A3_6, &Interface::Index(ib))
        .unwrap();
    rx.leave_multicast_v6_n(group, &Interface::Index(ib))
        .unwrap();
    tx.send_to(b"left", SocketAddr::new(group.into(), port))
        .unwrap();
    tx.send_to(
        b"sentinel",
        SocketAddr::new("2001:db8::2".parse::<IpAddr>().unwrap(), port),
    )
    .unwrap();
    assert_eq!(next(&rx).0, b"sentinel");
}

#[test]
fn broadcast_needs_so_broadcast() {
    let Some(net) = TwoHosts::new("broadcast_needs_so_broadcast") else {
        return;
    };
    let rx = sock(&net, &net.b, "0.0.0.0:0".parse().unwrap());
    let port = rx.local_addr().unwrap().port();
    let tx = sock(&net, &net.a, SocketAddr::new(A1.into(), 0));
    let bcast = SocketAddr::new(Ipv4Addr::new(192, 0, 2, 255).into(), port);
    let e = tx.send_to(b"no", bcast).unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::PermissionDenied, Some(libc::EACCES))
    );
    tx.set_broadcast(true).unwrap();
    tx.send_to(b"to everyone", bcast).unwrap();
    assert_eq!(
        next(&rx),
        (b"to everyone".to_vec(), tx.local_addr().unwrap())
    );
}

#[test]
fn a_socket_hears_only_the_groups_it_joined() {
    // IP_MULTICAST_ALL is off on dgram's sockets: of two sockets on one port, one joined G1 and the
    // other G2; G1's datagram reaches only the first. With the kernel's default back on, the second
    // hears G1 too: that is what the setting changes.
    let Some(net) = TwoHosts::new("a_socket_hears_only_the_groups_it_joined") else {
        return;
    };
    let (ia, ib) = (net.veth_index(&net.a), net.veth_index(&net.b));
    let (g1, g2) = (Ipv4Addr::new(239, 1, 2, 7), Ipv4Addr::new(239, 1, 2, 8));
    let first = net.run(&net.b, || {
        UdpSocket::builder()
            .reuse_address(true)
            .bind("0.0.0.0:0")
            .unwrap()
    });
    let port = first.local_addr().unwrap().port();
    let second = net.run(&net.b, || {
        UdpSocket::builder()
            .reuse_address(true)
            .bind(("0.0.0.0", port))
            .unwrap()
    });
    for s in [&first, &second] {
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        assert!(!s.multicast_all_v4().unwrap());
    }
    first
        .join_multicast_v4_n(g1, &Interface::Index(ib))
        .unwrap();
    second
        .join_multicast_v4_n(g2, &Interface::Index(ib))
        .unwrap();
    let tx = sock(&net, &net.a, SocketAddr::new(A1.into(), 0));
    tx.set_multicast_interface_v4(&Interface::Index(ia))
        .unwrap();
    tx.send_to(b"g1", (g1, port)).unwrap();
    tx.send_to(b"g2", (g2, port)).unwrap();
    assert_eq!(next(&first).0, b"g1");
    assert_eq!(
        next(&second).0,
        b"g2",
        "the second socket heard a group it never joined"
    );

    second.set_multicast_all_v4(true).unwrap();
    assert!(second.multicast_all_v4().unwrap());
    tx.send_to(b"g1 again", (g1, port)).unwrap();
    assert_eq!(next(&second).0, b"g1 again");
    assert_eq!(next(&first).0, b"g1 again");
}

#[test]
fn an_ipv6_socket_hears_only_the_groups_it_joined() {
    // IPV6_MULTICAST_ALL, as IP_MULTICAST_ALL above: off on dgram's sockets, restorable.
    let Some(net) = TwoHosts::new("an_ipv6_socket_hears_only_the_groups_it_joined") else {
        return;
    };
    let (ia, ib) = (net.veth_index(&net.a), net.veth_index(&net.b));
    let g1: Ipv6Addr = "ff15::71".parse().unwrap();
    let g2: Ipv6Addr = "ff15::72".parse().unwrap();
    let first = net.run(&net.b, || {
        UdpSocket::builder()
            .reuse_address(true)
            .bind("[::]:0")
            .unwrap()
    });
    let port = first.local_addr().unwrap().port();
    let second = net.run(&net.b, || {
        UdpSocket::builder()
            .reuse_address(true)
            .bind(("::", port))
            .unwrap()
    });
    for s in [&first, &second] {
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        assert!(!s.multicast_all_v6().unwrap());
    }
    first
        .join_multicast_v6_n(g1, &Interface::Index(ib))
        .unwrap();
    second
        .join_multicast_v6_n(g2, &Interface::Index(ib))
        .unwrap();
    let tx = sock(&net, &net.a, SocketAddr::new(A1_6.into(), 0));
    tx.set_multicast_interface_v6(&Interface::Index(ia))
        .unwrap();
    tx.send_to(b"g1", (g1, port)).unwrap();
    tx.send_to(b"g2", (g2, port)).unwrap();
    assert_eq!(next(&first).0, b"g1");
    assert_eq!(
        next(&second).0,
        b"g2",
        "the second socket heard a group it never joined"
    );
    second.set_multicast_all_v6(true).unwrap();
    assert!(second.multicast_all_v6().unwrap());
    tx.send_to(b"g1 again", (g1, port)).unwrap();
    assert_eq!(next(&second).0, b"g1 again");
    assert_eq!(next(&first).0, b"g1 again");
    // an IPv4 socket has no IPv6 option
    let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let e = v4.set_multicast_all_v6(true).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOPROTOOPT), "{e}");
}

#[test]
fn bad_multicast_input() {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let lo = Interface::Name("lo".into());
    let e = s
        .join_multicast_v4_n(Ipv4Addr::new(10, 0, 0, 1), &lo)
        .unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("not a multicast group"),
        "{e}"
    );
    let e = s
        .join_multicast_v4_n(
            Ipv4Addr::new(239, 0, 0, 1),
            &Interface::Name("nosuch0".into()),
        )
        .unwrap_err();
    assert!(
        e.kind() == ErrorKind::NotFound && e.to_string().contains("nosuch0"),
        "{e}"
    );
    // an index no interface has: the kernel's ENODEV, as NotFound naming it
    let nowhere = Interface::Index(99_999);
    let s6 = UdpSocket::bind("[::1]:0").unwrap();
    for e in [
        s.join_multicast_v4_n(Ipv4Addr::new(239, 0, 0, 1), &nowhere)
            .unwrap_err(),
        s.join_ssm_v4(
            Ipv4Addr::new(232, 0, 0, 1),
            Ipv4Addr::new(192, 0, 2, 1),
            &nowhere,
        )
        .unwrap_err(),
        s6.join_multicast_v6_n("ff15::1".parse().unwrap(), &nowhere)
            .unwrap_err(),
        s6.set_multicast_interface_v6(&nowhere).unwrap_err(),
        // IP_MULTICAST_IF answers EADDRNOTAVAIL instead
        s.set_multicast_interface_v4(&nowhere).unwrap_err(),
    ] {
        assert!(
            e.kind() == ErrorKind::NotFound && e.to_string().contains("99999"),
            "{e}"
        );
    }
    // sources no datagram comes from: a group, nothing, broadcast, and (IPv6) a v4-mapped address
    let s6 = UdpSocket::bind("[::1]:0").unwrap();
    for e in [
        s.join_ssm_v4(
            Ipv4Addr::new(232, 0, 0, 1),
            Ipv4Addr::new(239, 0, 0, 2),
            &lo,
        )
        .unwrap_err(),
        s.join_ssm_v4(Ipv4Addr::new(232, 0, 0, 1), Ipv4Addr::UNSPECIFIED, &lo)
            .unwrap_err(),
        s.join_ssm_v4(Ipv4Addr::new(232, 0, 0, 1), Ipv4Addr::BROADCAST, &lo)
            .unwrap_err(),
        s6.join_ssm_v6(
            "ff35::1".parse().unwrap(),
            "::ffff:127.0.0.1".parse().unwrap(),
            &lo,
        )
        .unwrap_err(),
    ] {
        assert!(
            e.kind() == ErrorKind::InvalidInput && e.to_string().contains("not a unicast source"),
            "{e}"
        );
    }
    let e = s
        .join_multicast_v6_n("ff15::1".parse().unwrap(), &lo)
        .unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("IPv6 sockets"),
        "{e}"
    );
    assert_eq!(
        s.set_multicast_ttl_v4(256).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    s.set_multicast_ttl_v4(0).unwrap();
    assert_eq!(s.multicast_ttl_v4().unwrap(), 0);
    let e = s
        .leave_multicast_v4_n(Ipv4Addr::new(239, 0, 0, 9), &Interface::Any)
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.raw_os_error()),
        (ErrorKind::AddrNotAvailable, Some(libc::EADDRNOTAVAIL))
    );
    let v6 = UdpSocket::bind("[::1]:0").unwrap();
    let e = v6
        .join_multicast_v6_n("2001:db8::1".parse().unwrap(), &lo)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = v6
        .join_multicast_v6_n(
            "ff15::1".parse().unwrap(),
            &Interface::Addr(Ipv4Addr::LOCALHOST),
        )
        .unwrap_err();
    assert!(
        e.kind() == ErrorKind::InvalidInput && e.to_string().contains("IPv4 calls only"),
        "{e}"
    );
    assert_eq!(
        v6.set_multicast_hops_v6(300).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(
        !s.multicast_all_v4().unwrap(),
        "dgram turns IP_MULTICAST_ALL off"
    );
}

#[test]
fn interfaces_parse() {
    for (s, want) in [
        ("eth0", Interface::Name("eth0".into())),
        ("::%eth1", Interface::Name("eth1".into())),
        ("::%2", Interface::Index(2)),
        ("7", Interface::Index(7)),
        ("10.0.0.2", Interface::Addr(Ipv4Addr::new(10, 0, 0, 2))),
        ("", Interface::Any),
        ("0.0.0.0", Interface::Any),
        ("::", Interface::Any),
        ("0", Interface::Any),
    ] {
        assert_eq!(s.parse::<Interface>().unwrap(), want, "{s:?}");
    }
    assert_eq!(
        "2001:db8::1".parse::<Interface>().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(Interface::Name("lo".into()).index().unwrap(), 1);
    assert_eq!(
        Interface::Name("x".repeat(20)).index().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(Interface::Any.index().unwrap(), 0);
    assert_eq!(Interface::Index(5).to_string(), "5");
}

/// Whether the kernel routes IPv4 multicast (`CONFIG_IP_MROUTE`), asked in the calling thread's
/// network namespace: with it every namespace has `/proc/net/ip_mr_vif` (its table of multicast
/// routing interfaces, the one smcrouted fills), without it none has. Reading it needs no
/// privilege. `Err` says what showed the lack.
fn ip_mroute() -> Result<(), String> {
    // thread-self: the namespace of this thread, which `netns::run_in` may have moved
    let net = Path::new("/proc/thread-self/net");
    assert!(
        net.join("dev").exists(),
        "{} has no dev: no /proc to ask about multicast routing",
        net.display()
    );
    if net.join("ip_mr_vif").exists() {
        Ok(())
    } else {
        Err("no /proc/net/ip_mr_vif, so no multicast routing table for smcrouted".into())
    }
}

/// smcrouted running in a namespace with static multicast routes; killed on drop. What it says
/// (in the foreground it logs to stderr) is kept in a file for the failure messages.
struct MRouter {
    child: std::process::Child,
    ns: String,
    dir: tempfile::TempDir,
}

impl MRouter {
    fn start(ns: &str, conf: &str) -> MRouter {
        let dir = tempfile::tempdir().unwrap();
        let conf_file = dir.path().join("smcroute.conf");
        std::fs::write(&conf_file, format!("{conf}\n")).unwrap();
        let log = std::fs::File::create(dir.path().join("smcrouted.log")).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns, "smcrouted", "-n", "-N", "-f"])
            .arg(&conf_file)
            .args(["-i", &format!("dgram{}", std::process::id())])
            .arg("-u")
            .arg(dir.path().join("smcroute.sock"))
            .arg("-P")
            .arg(dir.path().join("smcroute.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("smcrouted (Debian's smcroute) is needed; .ci/run installs it");
        MRouter {
            child,
            ns: ns.to_string(),
            dir,
        }
    }

    /// What smcrouted has said so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("smcrouted.log"))
            .unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// Waits (bounded) until the kernel's multicast forwarding cache holds the route of `group`
    /// from `source` out of `oif`, as `ip mroute show` lists it: from then on a datagram that may
    /// cross the router does. Fails with smcrouted's own words if it exits or the route never
    /// comes.
    fn wait_for_route(&mut self, source: Ipv4Addr, group: Ipv4Addr, oif: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "smcrouted exited ({status}) before routing {group} from {source}; it said:\n{}",
                    self.log()
                );
            }
            // Each `ip` run takes milliseconds, which paces the loop.
            let out = Command::new("ip")
                .args(["-n", &self.ns, "mroute", "show"])
                .output()
                .expect("iproute2's ip is needed");
            let table = String::from_utf8_lossy(&out.stdout);
            // "(S,G) Iif: veth0 Oifs: veth1 ...", spaced differently by iproute2's versions
            let routed = table.lines().any(|l| {
                let (sg, oifs) = l.split_once("Oifs:").unwrap_or((l, ""));
                sg.contains(&source.to_string())
                    && sg.contains(&group.to_string())
                    && oifs.contains(oif)
            });
            if routed {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "smcrouted did not route {group} from {source} to {oif} within {PATIENCE:?}; \
                 ip mroute show: {table:?}{}; smcrouted said:\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                self.log()
            );
        }
    }
}

impl Drop for MRouter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn multicast_ttl_decides_whether_it_crosses_the_router() {
    const TEST: &str = "multicast_ttl_decides_whether_it_crosses_the_router";
    // The kernel is asked first, so that one without multicast routing skips the test root or not.
    if let Err(why) = ip_mroute() {
        common::skip_kernel_lacks(TEST, "CONFIG_IP_MROUTE", &why);
        return;
    }
    let Some(net) = netns::Routed::new(TEST) else {
        return;
    };
    // the probe again where smcrouted will route (each namespace has its own table)
    net.run(&net.r, ip_mroute)
        .expect("multicast routing in this namespace but not in the router's");
    let group = Ipv4Addr::new(239, 1, 2, 9);
    let mut router = MRouter::start(
        &net.r,
        &format!(
            "phyint veth0 enable\nphyint veth1 enable\nmroute from veth0 source {A1} group {group} to veth1"
        ),
    );
    let ia = net.run(&net.a, || Interface::Name("veth0".into()).index().unwrap());
    let ic = net.run(&net.c, || Interface::Name("veth0".into()).index().unwrap());
    let rx = net.run(&net.c, || UdpSocket::bind("0.0.0.0:0").unwrap());
    rx.set_read_timeout(Some(PATIENCE)).unwrap();
    rx.join_multicast_v4_n(group, &Interface::Index(ic))
        .unwrap();
    let port = rx.local_addr().unwrap().port();
    let tx = net.run(&net.a, || {
        UdpSocket::bind(SocketAddr::new(A1.into(), 0)).unwrap()
    });
    tx.set_multicast_interface_v4(&Interface::Index(ia))
        .unwrap();
    router.wait_for_route(A1, group, "veth1");

    // TTL 1 stays on the first link; TTL 2 crosses. Both take the same path in order, so the first
    // datagram C gets is the second one sent, if the first never crossed.
    tx.set_multicast_ttl_v4(1).unwrap();
    assert_eq!(tx.multicast_ttl_v4().unwrap(), 1);
    tx.send_to(b"ttl 1", (group, port)).unwrap();
    tx.set_multicast_ttl_v4(2).unwrap();
    assert_eq!(tx.multicast_ttl_v4().unwrap(), 2);
    tx.send_to(b"ttl 2", (group, port)).unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = rx.recv_from(&mut buf).unwrap_or_else(|e| {
        panic!(
            "nothing crossed the router though its route is in place ({e}); smcrouted said:\n{}",
            router.log()
        )
    });
    assert_eq!(
        (&buf[..n], from),
        (&b"ttl 2"[..], tx.local_addr().unwrap()),
        "a TTL-1 datagram crossed the router"
    );
}
