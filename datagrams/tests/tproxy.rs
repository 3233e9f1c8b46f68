//! Transparent proxying: `IP_TRANSPARENT`/`IPV6_TRANSPARENT`, the original destination
//! (`IP_RECVORIGDSTADDR`/`IPV6_RECVORIGDSTADDR` → `RecvMeta::orig_dst`), and replies from an
//! address that is not the host's (a `Transmit` whose `src_ip` is the original destination).
//!
//! Between namespaces, TPROXY-style: host A routes 203.0.113.0/24 and 2001:db8:99::/64 through host
//! B, where an nftables `tproxy` rule steers those datagrams to a transparent socket (with the
//! usual `ip rule add fwmark 1 lookup 100` and a local default route in table 100). The proxy
//! reads where A sent each datagram and answers as that address. On loopback, without a proxy, the
//! original destination is the socket's own address.
//!
//! The namespace tests need root and `nft` (Debian's nftables); CI runs them as root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/netns.rs"]
mod netns;

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::Command;

use common::PATIENCE;
use datagrams::{Family, Transmit, UdpSocket};
use netns::TwoHosts;

const A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const A6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
/// The destinations A sends to: addresses of no host, routed through B.
const FAR: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);
const FAR6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x99, 0, 0, 0, 0, 9);

/// `ip -n ns args...`, which must succeed.
fn ip(ns: &str, args: &[&str]) {
    netns::ip(&[&["-n", ns][..], args].concat());
}

/// Routes A's far destinations through B, and on B steers UDP to them to `port` with an nftables
/// `tproxy` rule (IPv4 and IPv6). `false` (having said why) when `nft` or the kernel's tproxy is
/// missing.
fn steer(test: &str, net: &TwoHosts, port: u16) -> bool {
    if Command::new("nft").arg("--version").output().is_err() {
        eprintln!("SKIP {test}: needs nft (Debian package nftables)");
        return false;
    }
    ip(
        &net.a,
        &["route", "add", "203.0.113.0/24", "via", "192.0.2.2"],
    );
    ip(
        &net.a,
        &[
            "-6",
            "route",
            "add",
            "2001:db8:99::/64",
            "via",
            "2001:db8::2",
        ],
    );
    ip(&net.b, &["rule", "add", "fwmark", "1", "lookup", "100"]);
    ip(
        &net.b,
        &[
            "route",
            "add",
            "local",
            "0.0.0.0/0",
            "dev",
            "lo",
            "table",
            "100",
        ],
    );
    ip(
        &net.b,
        &["-6", "rule", "add", "fwmark", "1", "lookup", "100"],
    );
    ip(
        &net.b,
        &[
            "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100",
        ],
    );
    let rules = format!(
        "table inet dgram_tproxy {{
           chain prerouting {{
             type filter hook prerouting priority mangle; policy accept;
             ip daddr 203.0.113.0/24 meta l4proto udp tproxy ip to :{port} meta mark set 1 accept
             ip6 daddr 2001:db8:99::/64 meta l4proto udp tproxy ip6 to :{port} meta mark set 1 accept
           }}
         }}"
    );
    let out = Command::new("ip")
        .args(["netns", "exec", &net.b, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(rules.as_bytes())?;
            child.wait_with_output()
        })
        .expect("ip netns exec nft");
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if err.contains("No such file or directory") || err.contains("Operation not supported") {
            common::skip_kernel_lacks(test, "CONFIG_NFT_TPROXY", &err);
            return false;
        }
        panic!("nft refused the tproxy rules: {err}");
    }
    true
}

/// A transparent socket on B, bound to `bind` (port 0: the kernel picks), reporting original
/// destinations for its family (and for IPv4 too on a dual-stack socket).
fn proxy(net: &TwoHosts, bind: SocketAddr) -> UdpSocket {
    net.run(&net.b, || {
        let family = Family::of(&bind);
        let s = UdpSocket::unbound(family).unwrap();
        s.set_transparent_v4(true).unwrap();
        s.set_recv_orig_dst_addr_v4(true).unwrap();
        if family == Family::V6 {
            s.set_transparent_v6(true).unwrap();
            s.set_recv_orig_dst_addr_v6(true).unwrap();
        }
        s.bind_to(bind).unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        s
    })
}

/// The two hosts, a proxy socket on B bound to `bind`, and the steering to its port: `None` (having
/// said why) when the test cannot run here.
fn proxied(test: &str, bind: &str) -> Option<(TwoHosts, UdpSocket, u16)> {
    let net = TwoHosts::new(test)?;
    let proxy = proxy(&net, bind.parse().unwrap());
    let port = proxy.local_addr().unwrap().port();
    steer(test, &net, port).then_some((net, proxy, port))
}

fn client(net: &TwoHosts, bind: SocketAddr) -> UdpSocket {
    let s = net.run(&net.a, || UdpSocket::bind(bind).unwrap());
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

#[test]
fn a_tproxy_socket_reads_the_original_destination_and_replies_as_it() {
    let Some((net, proxy, port)) = proxied(
        "a_tproxy_socket_reads_the_original_destination_and_replies_as_it",
        "0.0.0.0:0",
    ) else {
        return;
    };
    let a = client(&net, SocketAddr::new(A.into(), 0));
    let far = SocketAddr::new(FAR.into(), 5000);
    a.send_to(b"to somewhere else", far).unwrap();

    let mut buf = [0u8; 64];
    let meta = proxy.recv_msg(&mut buf).unwrap();
    assert_eq!(&buf[..meta.len], b"to somewhere else");
    assert_eq!(meta.addr, a.local_addr().unwrap());
    assert_eq!(meta.orig_dst, Some(far));

    // The reply from the listening socket, as the original destination's address.
    let reply = Transmit::new(meta.addr, b"as 203.0.113.9").src_ip(far.ip());
    assert_eq!(proxy.send_msg(&reply).unwrap(), 14);
    let (n, from) = a.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"as 203.0.113.9"[..], SocketAddr::new(FAR.into(), port))
    );

    // As a whole proxy answers: a second transparent socket bound to the original destination
    // itself (not an address of B), so the port is the original one too.
    let as_far = net.run(&net.b, || {
        let s = UdpSocket::unbound(Family::V4).unwrap();
        s.set_transparent_v4(true).unwrap();
        s.bind_to(far).unwrap();
        s
    });
    as_far.send_to(b"as 203.0.113.9:5000", meta.addr).unwrap();
    let (n, from) = a.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"as 203.0.113.9:5000"[..], far));

    // Without IP_TRANSPARENT the kernel refuses that source: no route from an address that is
    // not the host's (ENETUNREACH), said in terms of the source.
    let plain = net.run(&net.b, || UdpSocket::bind("192.0.2.2:0").unwrap());
    let e = plain.send_msg(&reply).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NetworkUnreachable, "{e}");
    assert!(e.to_string().contains("203.0.113.9"), "{e}");
}

#[test]
fn a_dual_stack_tproxy_socket_serves_both_families() {
    let Some((net, proxy, port)) =
        proxied("a_dual_stack_tproxy_socket_serves_both_families", "[::]:0")
    else {
        return;
    };
    let a4 = client(&net, SocketAddr::new(A.into(), 0));
    let a6 = client(&net, SocketAddr::new(A6.into(), 0));
    let far4 = SocketAddr::new(FAR.into(), 5004);
    let far6 = SocketAddr::new(FAR6.into(), 5006);
    a4.send_to(b"four", far4).unwrap();
    a6.send_to(b"six", far6).unwrap();

    let mapped = |a: SocketAddr| match a {
        SocketAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port()),
        v6 => v6,
    };
    let mut buf = [0u8; 64];
    for (bytes, from, far) in [
        (&b"four"[..], a4.local_addr().unwrap(), far4),
        (b"six", a6.local_addr().unwrap(), far6),
    ] {
        let meta = proxy.recv_msg(&mut buf).unwrap();
        assert_eq!((&buf[..meta.len], meta.addr), (bytes, mapped(from)));
        // v4-mapped beside a v4-mapped sender, as dst_ip is.
        assert_eq!(meta.orig_dst, Some(mapped(far)));
        let reply = Transmit::new(meta.addr, bytes).src_ip(meta.orig_dst.unwrap().ip());
        assert_eq!(proxy.send_msg(&reply).unwrap(), bytes.len());
    }
    let (n, from) = a4.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"four"[..], SocketAddr::new(FAR.into(), port))
    );
    let (n, from) = a6.recv_from(&mut buf).unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"six"[..], SocketAddr::new(FAR6.into(), port))
    );
}

#[test]
fn an_async_tproxy_socket_reads_and_replies() {
    let Some((net, proxy, port)) = proxied("an_async_tproxy_socket_reads_and_replies", "0.0.0.0:0")
    else {
        return;
    };
    let a = client(&net, SocketAddr::new(A.into(), 0));
    let far = SocketAddr::new(FAR.into(), 5353);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let proxy = datagrams::tokio::UdpSocket::new(proxy).unwrap();
        let a = datagrams::tokio::UdpSocket::new(a).unwrap();
        let run = async {
            a.send_to(b"async far", far).await.unwrap();
            let mut buf = [0u8; 64];
            let meta = proxy.recv_msg(&mut buf).await.unwrap();
            assert_eq!(
                (&buf[..meta.len], meta.addr, meta.orig_dst),
                (&b"async far"[..], a.local_addr().unwrap(), Some(far))
            );
            let reply = Transmit::new(meta.addr, b"async reply").src_ip(far.ip());
            assert_eq!(proxy.send_msg(&reply).await.unwrap(), 11);
            let (n, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!(
                (&buf[..n], from),
                (&b"async reply"[..], SocketAddr::new(FAR.into(), port))
            );
        };
        tokio::time::timeout(PATIENCE, run)
            .await
            .expect("the proxied exchange within PATIENCE");
    });
}

/// Without a proxy the original destination is where the datagram was sent: the socket's own
/// address (IPv4, IPv6, and IPv4 on a dual-stack socket, v4-mapped).
#[test]
fn on_loopback_the_original_destination_is_the_sockets_own_address() {
    for (bind, send_to_v4) in [("127.0.0.1:0", true), ("[::1]:0", false), ("[::]:0", true)] {
        let rx = UdpSocket::bind(bind).unwrap();
        rx.set_read_timeout(Some(PATIENCE)).unwrap();
        rx.set_recv_orig_dst_addr_v4(true).unwrap();
        assert!(rx.recv_orig_dst_addr_v4().unwrap());
        let port = rx.local_addr().unwrap().port();
        let (to, want) = if send_to_v4 {
            let to = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port);
            let want = if rx.local_addr().unwrap().is_ipv6() {
                SocketAddr::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(), port)
            } else {
                to
            };
            (to, want)
        } else {
            rx.set_recv_orig_dst_addr_v6(true).unwrap();
            assert!(rx.recv_orig_dst_addr_v6().unwrap());
            let to = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port);
            (to, to)
        };
        let tx = UdpSocket::bind(if to.is_ipv4() {
            "127.0.0.1:0"
        } else {
            "[::1]:0"
        })
        .unwrap();
        tx.send_to(b"here", to).unwrap();
        let mut buf = [0u8; 8];
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(
            (&buf[..meta.len], meta.orig_dst),
            (&b"here"[..], Some(want)),
            "{bind}"
        );
        // Off again: no original destination.
        rx.set_recv_orig_dst_addr_v4(false).unwrap();
        if !send_to_v4 {
            rx.set_recv_orig_dst_addr_v6(false).unwrap();
        }
        tx.send_to(b"again", to).unwrap();
        let meta = rx.recv_msg(&mut buf).unwrap();
        assert_eq!((meta.len, meta.orig_dst), (5, None), "{bind}");
    }
    // The IPv6 option on an IPv4 socket is a usage error.
    let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    for e in [
        v4.set_recv_orig_dst_addr_v6(true).unwrap_err(),
        v4.set_transparent_v6(true).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    }
}

#[tokio::test]
async fn async_on_loopback_the_original_destination_is_the_sockets_own_address() {
    let rx = datagrams::tokio::UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap();
    rx.get_ref().set_recv_orig_dst_addr_v4(true).unwrap();
    let tx = datagrams::tokio::UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap();
    let to = rx.local_addr().unwrap();
    let run = async {
        tx.send_to(b"async here", to).await.unwrap();
        let mut buf = [0u8; 16];
        let meta = rx.recv_msg(&mut buf).await.unwrap();
        assert_eq!(
            (&buf[..meta.len], meta.orig_dst),
            (&b"async here"[..], Some(to))
        );
    };
    tokio::time::timeout(PATIENCE, run).await.unwrap();
}

/// `IP_TRANSPARENT` and `IPV6_TRANSPARENT` are one flag in the kernel; as root both switch.
#[test]
fn the_transparent_flag_reads_back() {
    if !common::root_or_skip("the_transparent_flag_reads_back") {
        return;
    }
    let s = UdpSocket::bind("[::1]:0").unwrap();
    assert_eq!(
        (s.transparent_v4().unwrap(), s.transparent_v6().unwrap()),
        (false, false)
    );
    s.set_transparent_v6(true).unwrap();
    assert_eq!(
        (s.transparent_v4().unwrap(), s.transparent_v6().unwrap()),
        (true, true)
    );
    s.set_transparent_v4(false).unwrap();
    assert_eq!(
        (s.transparent_v4().unwrap(), s.transparent_v6().unwrap()),
        (false, false)
    );
}

/// Set by the parent of [`without_cap_net_admin_it_is_permission_denied`] in the child it runs
/// with CAP_NET_ADMIN and CAP_NET_RAW dropped.
const NO_CAPS: &str = "DGRAM_TEST_WITHOUT_NET_CAPS";

/// Without `CAP_NET_ADMIN` or `CAP_NET_RAW` switching transparency on is `PermissionDenied`
/// (`EPERM`); switching it off is allowed. As root the test runs itself again under `setpriv` with
/// both capabilities dropped; otherwise it checks in this process.
#[test]
fn without_cap_net_admin_it_is_permission_denied() {
    const T: &str = "without_cap_net_admin_it_is_permission_denied";
    if !common::is_root() || std::env::var_os(NO_CAPS).is_some() {
        let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let v6 = UdpSocket::bind("[::1]:0").unwrap();
        for e in [
            v4.set_transparent_v4(true).unwrap_err(),
            v6.set_transparent_v6(true).unwrap_err(),
            v6.set_transparent_v4(true).unwrap_err(),
        ] {
            assert_eq!(
                (e.kind(), e.raw_os_error()),
                (ErrorKind::PermissionDenied, Some(libc::EPERM))
            );
        }
        v4.set_transparent_v4(false).unwrap();
        v6.set_transparent_v6(false).unwrap();
        assert!(!v4.transparent_v4().unwrap() && !v6.transparent_v6().unwrap());
        return;
    }
    let drop_caps = "-net_admin,-net_raw";
    let out = match Command::new("setpriv")
        .args(["--inh-caps", drop_caps, "--bounding-set", drop_caps, "--"])
        .arg(std::env::current_exe().unwrap())
        .args([T, "--exact", "--nocapture", "--test-threads=1"])
        .env(NO_CAPS, "1")
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!("SKIP {T}: needs setpriv (Debian package util-linux) to drop capabilities");
            return;
        }
        Err(e) => panic!("setpriv: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the child without capabilities: {text}"
    );
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
}
