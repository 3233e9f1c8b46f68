//! The kernel's socket options, each tested for its effect: `SO_MARK` picks a routing rule,
//! `SO_PRIORITY` an htb class, `SO_BUSY_POLL` receives through the device's NAPI, `SO_INCOMING_CPU`
//! reports and steers by CPU, `SO_COOKIE` names one socket, `IP_FREEBIND`/`IPV6_FREEBIND` allow a
//! non-local bind, and classic BPF filters and steers datagrams (`SO_ATTACH_FILTER`,
//! `SO_ATTACH_REUSEPORT_CBPF`); `SO_MAX_PACING_RATE` round-trips (its effect needs `fq`, absent
//! here). The async sockets reach every option through `get_ref()`.
//! The namespace tests need root; CI runs them as root. The privilege rules are checked in a child
//! process without capabilities.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/api.rs"]
mod api;
mod common;
#[path = "common/netns.rs"]
mod netns;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::process::Command;
use std::sync::mpsc;

use common::PATIENCE;
use datagrams::{BPF_MAXINSNS, BpfInsn, Family, UdpSocket, UnixDatagram};
use netns::TwoHosts;

const A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const B: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const A6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const B6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

/// A socket bound to `addr`, made in namespace `ns`, whose blocking receives give up after
/// [`PATIENCE`].
fn sock_in(ns: &str, addr: SocketAddr) -> UdpSocket {
    let s = netns::run_in(ns, || UdpSocket::bind(addr).unwrap());
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

/// A loopback socket whose blocking receives give up after [`PATIENCE`].
fn loopback() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

/// The next datagram on `s` and its sender.
fn recv(s: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = s.recv_from(&mut buf).unwrap();
    (buf[..n].to_vec(), from)
}

/// Asserts that nothing is queued on `s`. Loopback and veth delivery is done by the time the
/// send returns, so a datagram the kernel meant for `s` would be here.
fn assert_empty(s: &UdpSocket, what: &str) {
    let e = s.try_recv(&mut [0u8; 64]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{what}: {e}");
}

/// Runs a command to success and returns its stdout.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Whether the running kernel is at least `major.minor` (from `/proc/sys/kernel/osrelease`).
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    have >= (major, minor)
}

/// Two CPUs this process may run on, or `None` (having said why the test is skipped).
fn two_cpus(test: &str) -> Option<(usize, usize)> {
    let set = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).unwrap();
    let allowed: Vec<usize> = (0..nix::sched::CpuSet::count())
        .filter(|&i| set.is_set(i).unwrap_or(false))
        .collect();
    if allowed.len() < 2 {
        eprintln!(
            "SKIP {test}: needs two CPUs to send from; this process may use {}",
            allowed.len()
        );
        return None;
    }
    Some((allowed[0], allowed[1]))
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: usize) {
    let mut set = nix::sched::CpuSet::new();
    set.set(cpu).unwrap();
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).unwrap();
}

/// Sends `payload` to `to` from a thread pinned to `cpu`: over loopback the kernel processes the
/// datagram's receive on that CPU, within the send.
fn send_from_cpu(tx: &UdpSocket, cpu: usize, payload: &[u8], to: SocketAddr) {
    std::thread::scope(|s| {
        s.spawn(|| {
            pin_to(cpu);
            assert_eq!(tx.send_to(payload, to).unwrap(), payload.len());
        })
        .join()
        .unwrap();
    });
}

/// Whether this process has any effective capability (`CapEff` in `/proc/self/status`).
fn has_capabilities() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    u64::from_str_radix(eff, 16).unwrap() != 0
}

/// `SO_MARK` chooses the routing rule: on A, `fwmark 7` looks up a table where B is
/// unreachable. An unmarked datagram reaches B; the same socket marked 7 gets the rule's
/// `EHOSTUNREACH`; marked 8 (no rule) or unmarked again, it reaches B. IPv4 and IPv6, blocking
/// and async.
#[test]
fn mark_chooses_the_routing_rule() {
    let Some(net) = TwoHosts::new("mark_chooses_the_routing_rule") else {
        return;
    };
    for (family, peer) in [("-4", "192.0.2.2"), ("-6", "2001:db8::2")] {
        run(
            "ip",
            &[
                "-n", &net.a, family, "rule", "add", "fwmark", "7", "lookup", "100",
            ],
        );
        run(
            "ip",
            &[
                "-n",
                &net.a,
                family,
                "route",
                "add",
                "unreachable",
                peer,
                "table",
                "100",
            ],
        );
    }
    for (local, peer) in [
        (SocketAddr::new(A.into(), 0), SocketAddr::new(B.into(), 0)),
        (SocketAddr::new(A6.into(), 0), SocketAddr::new(B6.into(), 0)),
    ] {
        let rx = sock_in(&net.b, peer);
        let to = rx.local_addr().unwrap();
        let tx = sock_in(&net.a, local);
        let from = tx.local_addr().unwrap();
        assert_eq!(tx.mark().unwrap(), 0);
        tx.send_to(b"unmarked", to).unwrap();
        assert_eq!(recv(&rx), (b"unmarked".to_vec(), from));

        tx.set_mark(7).unwrap();
        assert_eq!(tx.mark().unwrap(), 7);
        let e = tx.send_to(b"marked 7", to).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EHOSTUNREACH), "{to}: {e}");

        tx.set_mark(8).unwrap();
        tx.send_to(b"marked 8", to).unwrap();
        assert_eq!(recv(&rx), (b"marked 8".to_vec(), from));
        tx.set_mark(0).unwrap();
        tx.send_to(b"unmarked again", to).unwrap();
        assert_eq!(recv(&rx), (b"unmarked again".to_vec(), from));
        assert_empty(&rx, "after the marked send");
    }

    let rx = sock_in(&net.b, SocketAddr::new(B.into(), 0));
    let to = rx.local_addr().unwrap();
    let blocking = sock_in(&net.a, SocketAddr::new(A.into(), 0));
    let tx = {
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(blocking).unwrap()
    };
    tx.get_ref().set_mark(7).unwrap();
    assert_eq!(tx.get_ref().mark().unwrap(), 7);
    let e = api::run(tx.send_to(b"async marked", to)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EHOSTUNREACH), "{e}");
    tx.get_ref().set_mark(0).unwrap();
    api::run(tx.send_to(b"async unmarked", to)).unwrap();
    assert_eq!(
        recv(&rx),
        (b"async unmarked".to_vec(), tx.local_addr().unwrap())
    );
}

/// The packets and bytes htb counted in class `class` of `veth0` in `ns`.
fn htb_class_sent(ns: &str, class: &str) -> (u64, u64) {
    let out = run("tc", &["-n", ns, "-s", "class", "show", "dev", "veth0"]);
    let mut lines = out.lines();
    let head = format!("class htb {class} ");
    lines
        .find(|l| l.starts_with(&head))
        .unwrap_or_else(|| panic!("no htb class {class} in: {out}"));
    let sent = lines.next().unwrap().trim();
    // " Sent 710 bytes 5 pkt (dropped 0, overlimits 0 requeues 0)"
    let words: Vec<&str> = sent.split_whitespace().collect();
    assert_eq!(
        (words[0], words[2], words[4]),
        ("Sent", "bytes", "pkt"),
        "{sent}"
    );
    (words[1].parse().unwrap(), words[3].parse().unwrap())
}

/// `SO_PRIORITY` equal to an htb class id (`major << 16 | minor`, both hex in tc's notation)
/// puts the socket's packets in that class: A's `veth0` has htb classes 1:10, 1:20 (the default) and 1:30. Five datagrams at
/// priority `0x0001_0010` are exactly class 1:10's count (100-byte payloads: 142 bytes each with
/// the UDP, IPv4 and Ethernet headers); an async socket at `0x0001_0030` fills 1:30; a socket at
/// priority 0 touches neither.
#[test]
fn priority_selects_the_htb_class() {
    let Some(net) = TwoHosts::new("priority_selects_the_htb_class") else {
        return;
    };
    let tc = |args: &[&str]| {
        let mut all = vec!["-n", net.a.as_str()];
        all.extend_from_slice(args);
        run("tc", &all)
    };
    tc(&[
        "qdisc", "add", "dev", "veth0", "root", "handle", "1:", "htb", "default", "20",
    ]);
    for class in ["1:10", "1:20", "1:30"] {
        tc(&[
            "class", "add", "dev", "veth0", "parent", "1:", "classid", class, "htb", "rate",
            "100mbit",
        ]);
    }
    let rx = sock_in(&net.b, SocketAddr::new(B.into(), 0));
    let to = rx.local_addr().unwrap();

    let tx = sock_in(&net.a, SocketAddr::new(A.into(), 0));
    tx.set_priority(0x0001_0010).unwrap();
    assert_eq!(tx.priority().unwrap(), 0x0001_0010);
    for i in 0..5u8 {
        let payload = [i; 100];
        tx.send_to(&payload, to).unwrap();
        assert_eq!(recv(&rx), (payload.to_vec(), tx.local_addr().unwrap()));
    }
    assert_eq!(htb_class_sent(&net.a, "1:10"), (5 * 142, 5));

    let async_tx = {
        let blocking = sock_in(&net.a, SocketAddr::new(A.into(), 0));
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(blocking).unwrap()
    };
    async_tx.get_ref().set_priority(0x0001_0030).unwrap();
    assert_eq!(async_tx.get_ref().priority().unwrap(), 0x0001_0030);
    for i in 0..2u8 {
        let payload = [i; 50];
        api::run(async_tx.send_to(&payload, to)).unwrap();
        assert_eq!(
            recv(&rx),
            (payload.to_vec(), async_tx.local_addr().unwrap())
        );
    }
    assert_eq!(htb_class_sent(&net.a, "1:30"), (2 * 92, 2));

    let plain = sock_in(&net.a, SocketAddr::new(A.into(), 0));
    assert_eq!(plain.priority().unwrap(), 0);
    for _ in 0..3 {
        plain.send_to(b"priority 0", to).unwrap();
        assert_eq!(
            recv(&rx),
            (b"priority 0".to_vec(), plain.local_addr().unwrap())
        );
    }
    assert_eq!(htb_class_sent(&net.a, "1:10"), (5 * 142, 5));
    assert_eq!(htb_class_sent(&net.a, "1:30"), (2 * 92, 2));
}

/// `BusyPollRxPackets` of the namespace `ns` (`/proc/net/netstat`): the packets receivers took
/// from a device queue by busy polling.
fn busy_poll_rx_packets(ns: &str) -> u64 {
    let text = netns::run_in(ns, || {
        std::fs::read_to_string("/proc/thread-self/net/netstat").unwrap()
    });
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (lines.next().unwrap(), lines.next().unwrap());
    let i = names
        .split_whitespace()
        .position(|n| n == "BusyPollRxPackets")
        .expect("BusyPollRxPackets in /proc/net/netstat");
    values.split_whitespace().nth(i).unwrap().parse().unwrap()
}

/// Sends `rounds` datagrams from A to a socket on B with `SO_BUSY_POLL` = `micros`, one at a
/// time: each is sent once the receiver has the one before, so that the receiver is (usually)
/// already waiting in its next blocking receive. The receiver and the sender run on two
/// different CPUs: a sender woken on the receiver's CPU would end its busy polling, and deliver
/// the datagram itself. Returns how many packets the namespace B received by busy polling
/// meanwhile.
fn busy_polled(net: &TwoHosts, (rx_cpu, tx_cpu): (usize, usize), micros: u32, rounds: u16) -> u64 {
    let rx = sock_in(&net.b, SocketAddr::new(B.into(), 0));
    rx.set_busy_poll(micros).unwrap();
    assert_eq!(rx.busy_poll().unwrap(), micros);
    let to = rx.local_addr().unwrap();
    let tx = sock_in(&net.a, SocketAddr::new(A.into(), 0));
    let from = tx.local_addr().unwrap();
    let before = busy_poll_rx_packets(&net.b);
    let (got, next) = mpsc::channel();
    std::thread::scope(|s| {
        let rx = &rx;
        s.spawn(move || {
            pin_to(rx_cpu);
            for i in 0..rounds {
                assert_eq!(recv(rx), (i.to_be_bytes().to_vec(), from));
                got.send(()).unwrap();
            }
        });
        s.spawn(move || {
            pin_to(tx_cpu);
            for i in 0..rounds {
                tx.send_to(&i.to_be_bytes(), to).unwrap();
                next.recv_timeout(PATIENCE).unwrap();
            }
        });
    });
    busy_poll_rx_packets(&net.b) - before
}

/// `SO_BUSY_POLL` makes a blocking receive poll the device's NAPI queue itself. Loopback has no
/// NAPI, so the datagrams cross a veth whose receiving end has GRO on (with UDP GRO
/// forwarding, so that the veth hands UDP to its NAPI). The kernel counts what busy polling
/// received (`BusyPollRxPackets`): nothing without the option, and some of the datagrams with it
/// (the receiver is not always waiting when a datagram arrives, so not all; how many is printed).
/// Any process may set it since Linux 6.4: see `unprivileged_option_rules`.
#[test]
fn busy_poll_receives_from_the_device_queue() {
    let test = "busy_poll_receives_from_the_device_queue";
    let Some(net) = TwoHosts::new(test) else {
        return;
    };
    if Command::new("ethtool").arg("--version").output().is_err() {
        eprintln!("SKIP {test}: needs ethtool (Debian package ethtool) to turn on GRO on a veth");
        return;
    }
    let probe = sock_in(&net.b, SocketAddr::new(B.into(), 0));
    if let Err(e) = probe.set_busy_poll(1) {
        assert_eq!(e.raw_os_error(), Some(libc::ENOPROTOOPT), "{e}");
        common::skip_kernel_lacks(test, "CONFIG_NET_RX_BUSY_POLL", "SO_BUSY_POLL: ENOPROTOOPT");
        return;
    }
    let Some(cpus) = two_cpus(test) else {
        return;
    };
    run(
        "ip",
        &[
            "netns",
            "exec",
            &net.b,
            "ethtool",
            "-K",
            "veth0",
            "gro",
            "on",
            "rx-udp-gro-forwarding",
            "on",
        ],
    );
    assert_eq!(busy_polled(&net, cpus, 0, 200), 0);
    let polled = busy_polled(&net, cpus, 100_000, 200);
    eprintln!("{test}: {polled} of 200 datagrams received by busy polling");
    assert!((1..=200).contains(&polled), "{polled}");

    let e = probe.set_busy_poll(u32::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("4294967295"), "{e}");
    let async_rx = {
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(probe).unwrap()
    };
    async_rx.get_ref().set_busy_poll(50).unwrap();
    assert_eq!(async_rx.get_ref().busy_poll().unwrap(), 50);
}

/// Over loopback the kernel processes a datagram's receive on the sending thread's CPU, and a
/// connected socket records that CPU: pinned to one CPU and then another, the sender moves
/// `incoming_cpu` with it. An unconnected socket records nothing. The async socket reads it
/// through `get_ref()`.
#[test]
fn incoming_cpu_is_the_cpu_that_processed_the_receive() {
    let Some((c0, c1)) = two_cpus("incoming_cpu_is_the_cpu_that_processed_the_receive") else {
        return;
    };
    let tx = loopback();
    let rx = loopback();
    rx.connect(tx.local_addr().unwrap()).unwrap();
    let unconnected = loopback();
    assert_eq!(rx.incoming_cpu().unwrap(), None);
    for cpu in [c0, c1, c0] {
        let payload = [cpu as u8, b'!'];
        send_from_cpu(&tx, cpu, &payload, rx.local_addr().unwrap());
        assert_eq!(recv(&rx), (payload.to_vec(), tx.local_addr().unwrap()));
        assert_eq!(rx.incoming_cpu().unwrap(), Some(cpu));
        send_from_cpu(&tx, cpu, &payload, unconnected.local_addr().unwrap());
        assert_eq!(recv(&unconnected).0, payload);
        assert_eq!(unconnected.incoming_cpu().unwrap(), None);
    }

    let async_rx = {
        let blocking = loopback();
        blocking.connect(tx.local_addr().unwrap()).unwrap();
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(blocking).unwrap()
    };
    for cpu in [c1, c0] {
        send_from_cpu(&tx, cpu, b"async", async_rx.local_addr().unwrap());
        let mut buf = [0u8; 16];
        let n = api::run(async_rx.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"async");
        assert_eq!(async_rx.get_ref().incoming_cpu().unwrap(), Some(cpu));
    }
}

/// `set_incoming_cpu` steers within a `SO_REUSEPORT` group (Linux 6.2): the member whose
/// incoming CPU is the CPU processing the datagram gets it. Socket `a` (async) says the second
/// CPU, `b` the first; datagrams sent from each CPU land exactly on its socket. A classic BPF
/// program loading the CPU (`BpfInsn::load_cpu`) steers the same way.
#[test]
fn incoming_cpu_steers_a_reuseport_group() {
    let test = "incoming_cpu_steers_a_reuseport_group";
    let Some((c0, c1)) = two_cpus(test) else {
        return;
    };
    let group = |n: usize| -> Vec<UdpSocket> {
        let first = UdpSocket::builder()
            .reuse_port(true)
            .bind("127.0.0.1:0")
            .unwrap();
        let port = first.local_addr().unwrap();
        let mut all = vec![first];
        all.extend((1..n).map(|_| UdpSocket::builder().reuse_port(true).bind(port).unwrap()));
        all
    };
    let tx = loopback();
    let [a, b]: [UdpSocket; 2] = group(2).try_into().unwrap();
    let to = b.local_addr().unwrap();
    let a = {
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(a).unwrap()
    };
    assert_eq!(b.incoming_cpu().unwrap(), None);
    if !kernel_at_least(6, 2) {
        common::skip_kernel_lacks(test, "SO_INCOMING_CPU steering (Linux 6.2)", "osrelease");
        return;
    }
    a.get_ref().set_incoming_cpu(c1).unwrap();
    b.set_incoming_cpu(c0).unwrap();
    assert_eq!(a.get_ref().incoming_cpu().unwrap(), Some(c1));
    assert_eq!(b.incoming_cpu().unwrap(), Some(c0));
    let e = b.set_incoming_cpu(usize::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    for round in 0..4u8 {
        send_from_cpu(&tx, c0, &[round, 0], to);
        send_from_cpu(&tx, c1, &[round, 1], to);
        assert_eq!(recv(&b).0, [round, 0]);
        let mut buf = [0u8; 16];
        let n = api::run(a.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], [round, 1]);
        assert_empty(&b, "b");
        assert_empty(a.get_ref(), "a");
    }

    let [x, y]: [UdpSocket; 2] = group(2).try_into().unwrap();
    let to = x.local_addr().unwrap();
    let c0_k = u32::try_from(c0).unwrap();
    x.attach_reuseport_cbpf(&[
        BpfInsn::load_cpu(),
        BpfInsn::jump_eq(c0_k, 0, 1),
        BpfInsn::ret(0),
        BpfInsn::ret(1),
    ])
    .unwrap();
    for round in 0..4u8 {
        send_from_cpu(&tx, c1, &[round, 1], to);
        send_from_cpu(&tx, c0, &[round, 0], to);
        assert_eq!(recv(&x).0, [round, 0]);
        assert_eq!(recv(&y).0, [round, 1]);
        assert_empty(&x, "x");
        assert_empty(&y, "y");
    }
}

/// `SO_COOKIE` names the socket: distinct for distinct sockets (UDP and Unix alike), the same
/// through every descriptor of one socket (`try_clone`, `dup`, the async wrapper), and unchanged
/// by bind, connect and sends.
#[test]
fn cookie_names_one_socket_for_its_life() {
    let a = UdpSocket::unbound(Family::V4).unwrap();
    let cookie = a.cookie().unwrap();
    assert_ne!(cookie, 0);
    a.bind_to("127.0.0.1:0").unwrap();
    assert_eq!(a.cookie().unwrap(), cookie);
    let peer = loopback();
    a.connect(peer.local_addr().unwrap()).unwrap();
    a.send(b"hello").unwrap();
    assert_eq!(recv(&peer).0, b"hello");
    assert_eq!(a.cookie().unwrap(), cookie);
    assert_eq!(a.try_clone().unwrap().cookie().unwrap(), cookie);
    let dup: OwnedFd = a.as_fd().try_clone_to_owned().unwrap();
    assert_eq!(UdpSocket::try_from(dup).unwrap().cookie().unwrap(), cookie);

    let (u1, u2) = UnixDatagram::pair().unwrap();
    let cookies = [
        cookie,
        peer.cookie().unwrap(),
        u1.cookie().unwrap(),
        u2.cookie().unwrap(),
    ];
    for (i, c) in cookies.iter().enumerate() {
        assert!(!cookies[i + 1..].contains(c), "{cookies:?}");
    }
    assert_eq!(u1.try_clone().unwrap().cookie().unwrap(), cookies[2]);

    let _rt = api::rt().enter();
    let async_a = datagrams::tokio::UdpSocket::new(a).unwrap();
    assert_eq!(async_a.get_ref().cookie().unwrap(), cookie);
    let async_u1 = datagrams::tokio::UnixDatagram::new(u1).unwrap();
    assert_eq!(async_u1.get_ref().cookie().unwrap(), cookies[2]);
}

/// `IP_FREEBIND`/`IPV6_FREEBIND`: binding an address no interface has fails with
/// `EADDRNOTAVAIL`, and succeeds on the same socket once the option is on. Blocking and async,
/// IPv4 and IPv6.
#[test]
fn freebind_allows_binding_an_address_no_interface_has() {
    let test = "freebind_allows_binding_an_address_no_interface_has";
    for sysctl in ["ipv4", "ipv6"].map(|v| format!("/proc/sys/net/{v}/ip_nonlocal_bind")) {
        let value = std::fs::read_to_string(&sysctl).unwrap();
        if value.trim() != "0" {
            eprintln!(
                "SKIP {test}: {sysctl} is {}: every bind is free",
                value.trim()
            );
            return;
        }
    }
    let cases: [(Family, SocketAddr); 2] = [
        (Family::V4, "192.0.2.77:4000".parse().unwrap()),
        (Family::V6, "[2001:db8::77]:4000".parse().unwrap()),
    ];
    for (family, addr) in cases {
        let s = UdpSocket::unbound(family).unwrap();
        let freebind = |s: &UdpSocket| match family {
            Family::V4 => s.freebind_v4(),
            Family::V6 => s.freebind_v6(),
        };
        assert!(!freebind(&s).unwrap());
        let e = s.bind_to(addr).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrNotAvailable, "{addr}: {e}");
        assert_eq!(e.raw_os_error(), Some(libc::EADDRNOTAVAIL), "{addr}: {e}");
        match family {
            Family::V4 => s.set_freebind_v4(true).unwrap(),
            Family::V6 => s.set_freebind_v6(true).unwrap(),
        }
        assert!(freebind(&s).unwrap());
        s.bind_to(addr).unwrap();
        assert_eq!(s.local_addr().unwrap(), addr);
    }
    let e = UdpSocket::unbound(Family::V4)
        .unwrap()
        .set_freebind_v6(true)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

    for (family, addr) in [
        (Family::V4, "192.0.2.78:4000"),
        (Family::V6, "[2001:db8::78]:4000"),
    ] {
        let addr: SocketAddr = addr.parse().unwrap();
        let s = {
            let _rt = api::rt().enter();
            datagrams::tokio::UdpSocket::unbound(family).unwrap()
        };
        match family {
            Family::V4 => s.get_ref().set_freebind_v4(true).unwrap(),
            Family::V6 => s.get_ref().set_freebind_v6(true).unwrap(),
        }
        api::run(s.bind_to(addr)).unwrap();
        assert_eq!(s.local_addr().unwrap(), addr);
    }
}

/// A filter keeping datagrams whose byte at `offset` is `byte`.
fn only(offset: u32, byte: u8) -> [BpfInsn; 4] {
    [
        BpfInsn::load_u8(offset),
        BpfInsn::jump_eq(u32::from(byte), 0, 1),
        BpfInsn::ret(u32::MAX),
        BpfInsn::ret(0),
    ]
}

/// `SO_ATTACH_FILTER` on UDP: the program sees the UDP header first, so a filter on offset 8
/// (the first payload byte) being `b'A'` delivers exactly the datagrams starting with `A`;
/// detaching delivers everything again. Bad programs are refused, and a locked filter stays.
#[test]
fn udp_filter_delivers_exactly_what_it_keeps() {
    let rx = loopback();
    let tx = loopback();
    let to = rx.local_addr().unwrap();
    rx.attach_filter(&only(8, b'A')).unwrap();
    for p in [&b"B1"[..], b"A1", b"", b"C1", b"A2"] {
        tx.send_to(p, to).unwrap();
    }
    assert_eq!(recv(&rx).0, b"A1");
    assert_eq!(recv(&rx).0, b"A2");
    assert_empty(&rx, "filtered");
    rx.detach_filter().unwrap();
    tx.send_to(b"B2", to).unwrap();
    assert_eq!(recv(&rx).0, b"B2");
    let e = rx.detach_filter().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}");

    // Refused before the kernel: empty, too long, a division by 0.
    for (program, words) in [
        (vec![], "0 instructions"),
        (vec![BpfInsn::ret(0); BPF_MAXINSNS + 1], "4097 instructions"),
        (
            vec![BpfInsn::load_len(), BpfInsn::rem(0), BpfInsn::ret_a()],
            "instruction 1 divides",
        ),
    ] {
        let e = rx.attach_filter(&program).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains(words), "{e}");
    }
    // Refused by the kernel's checker: a jump beyond the end, no final return.
    for program in [
        vec![BpfInsn::jump_eq(1, 5, 0), BpfInsn::ret(0)],
        vec![BpfInsn::load_len()],
    ] {
        let e = rx.attach_filter(&program).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
    }
    // The longest program is accepted.
    let mut longest = vec![BpfInsn::load_len(); BPF_MAXINSNS - 1];
    longest.push(BpfInsn::ret(u32::MAX));
    rx.attach_filter(&longest).unwrap();
    tx.send_to(b"long", to).unwrap();
    assert_eq!(recv(&rx).0, b"long");

    // Locked: neither replaced nor detached, and still filtering.
    rx.attach_filter(&only(8, b'A')).unwrap();
    assert!(!rx.filter_locked().unwrap());
    rx.lock_filter().unwrap();
    assert!(rx.filter_locked().unwrap());
    for e in [
        rx.detach_filter().unwrap_err(),
        rx.attach_filter(&only(8, b'B')).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e}");
    }
    tx.send_to(b"B3", to).unwrap();
    tx.send_to(b"A3", to).unwrap();
    assert_eq!(recv(&rx).0, b"A3");
    assert_empty(&rx, "locked");

    // The async socket, through get_ref().
    let async_rx = {
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(loopback()).unwrap()
    };
    async_rx.get_ref().attach_filter(&only(8, b'A')).unwrap();
    let to = async_rx.local_addr().unwrap();
    for p in [&b"B4"[..], b"A4", b"B5", b"A5"] {
        tx.send_to(p, to).unwrap();
    }
    let mut buf = [0u8; 16];
    for want in [b"A4", b"A5"] {
        let n = api::run(async_rx.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], want);
    }
    assert_empty(async_rx.get_ref(), "async filtered");
    async_rx.get_ref().detach_filter().unwrap();
    tx.send_to(b"B6", to).unwrap();
    let n = api::run(async_rx.recv(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"B6");
}

/// `SO_ATTACH_FILTER` on a Unix datagram socket: the program sees the datagram from offset 0.
/// The sender of a dropped datagram is not told. Blocking and async.
#[test]
fn unix_filter_delivers_exactly_what_it_keeps() {
    let (tx, rx) = UnixDatagram::pair().unwrap();
    rx.set_read_timeout(Some(PATIENCE)).unwrap();
    rx.attach_filter(&only(0, b'A')).unwrap();
    for p in [&b"B1"[..], b"A1", b"C1", b"A2"] {
        assert_eq!(tx.send(p).unwrap(), p.len());
    }
    let mut buf = [0u8; 16];
    for want in [b"A1", b"A2"] {
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], want);
    }
    let e = rx.try_recv(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
    rx.detach_filter().unwrap();
    tx.send(b"B2").unwrap();
    let n = rx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"B2");

    let (tx, rx) = UnixDatagram::pair().unwrap();
    let rx = {
        let _rt = api::rt().enter();
        datagrams::tokio::UnixDatagram::new(rx).unwrap()
    };
    rx.get_ref().attach_filter(&only(0, b'A')).unwrap();
    for p in [&b"B3"[..], b"A3", b"A4"] {
        tx.send(p).unwrap();
    }
    for want in [b"A3", b"A4"] {
        let n = api::run(rx.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], want);
    }
    let e = rx.try_recv(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
}

/// `SO_ATTACH_REUSEPORT_CBPF`: three sockets on one port, a program returning the first payload
/// byte modulo 3 (CBPF on a UDP group sees the payload from offset 0). Each socket receives
/// exactly the datagrams its index selects, in order; socket 1 is async and receives through
/// tokio. Detached, the group hashes the addresses again: one sender's datagrams all go to one
/// socket.
#[test]
fn reuseport_cbpf_steers_each_datagram_to_its_socket() {
    let first = UdpSocket::builder()
        .reuse_port(true)
        .bind("127.0.0.1:0")
        .unwrap();
    let to = first.local_addr().unwrap();
    let second = UdpSocket::builder().reuse_port(true).bind(to).unwrap();
    let third = UdpSocket::builder().reuse_port(true).bind(to).unwrap();
    for s in [&first, &second, &third] {
        s.set_read_timeout(Some(PATIENCE)).unwrap();
    }
    let second = {
        let _rt = api::rt().enter();
        datagrams::tokio::UdpSocket::new(second).unwrap()
    };
    let e = second.get_ref().detach_reuseport_filter().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}");
    second
        .get_ref()
        .attach_reuseport_cbpf(&[BpfInsn::load_u8(0), BpfInsn::rem(3), BpfInsn::ret_a()])
        .unwrap();

    let tx = loopback();
    let payload = |i: u8| [i, b'#', i.wrapping_mul(7)];
    for i in 0..12u8 {
        tx.send_to(&payload(i), to).unwrap();
    }
    let wanted = |k: u8| (0..12u8).filter(move |i| i % 3 == k).map(payload);
    for (want, got) in wanted(0).zip(std::iter::repeat_with(|| recv(&first).0)) {
        assert_eq!(got, want);
    }
    for want in wanted(1) {
        let mut buf = [0u8; 16];
        let n = api::run(second.recv(&mut buf)).unwrap();
        assert_eq!(&buf[..n], want);
    }
    for want in wanted(2) {
        assert_eq!(recv(&third).0, want);
    }
    // An empty datagram: the load fails, which ends the program with 0.
    tx.send_to(b"", to).unwrap();
    assert_eq!(recv(&first).0, b"");
    for (s, what) in [
        (&first, "first"),
        (second.get_ref(), "second"),
        (&third, "third"),
    ] {
        assert_empty(s, what);
    }

    first.detach_reuseport_filter().unwrap();
    for i in 0..12u8 {
        tx.send_to(&payload(i), to).unwrap();
    }
    let mut counts = Vec::new();
    for s in [&first, second.get_ref(), &third] {
        let mut got = Vec::new();
        let mut buf = [0u8; 16];
        while let Ok(n) = s.try_recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        if !got.is_empty() {
            assert_eq!(
                got,
                (0..12u8).map(|i| payload(i).to_vec()).collect::<Vec<_>>()
            );
        }
        counts.push(got.len());
    }
    counts.sort_unstable();
    assert_eq!(counts, [0, 0, 12]);

    // Not in a reuseport group: refused, naming the option.
    let lone = loopback();
    let e = lone.attach_reuseport_cbpf(&[BpfInsn::ret(0)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("SO_REUSEPORT"), "{e}");
    let e = lone.attach_reuseport_cbpf(&[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = lone.detach_reuseport_filter().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
}

/// The marker line the child prints when every check passed.
const UNPRIVILEGED_DONE: &str = "unprivileged option rules hold";
/// Set in the child's environment.
const UNPRIVILEGED_CHILD: &str = "DGRAM_KERNEL_OPTIONS_UNPRIVILEGED_CHILD";

/// What a process without capabilities may and may not set: no mark (`EPERM`), a priority of
/// 0..=6 but not above (`EPERM`), busy polling (Linux 6.4 and later; before, a raise is `EPERM`),
/// and socket filters. As root, the checks run in a child process (this test binary under
/// `setpriv`) whose capabilities are all dropped.
#[test]
fn unprivileged_option_rules() {
    let test = "unprivileged_option_rules";
    if !has_capabilities() {
        // here unprivileged, or the child run below
        check_unprivileged_rules();
        println!("{UNPRIVILEGED_DONE}");
        return;
    }
    assert!(
        std::env::var_os(UNPRIVILEGED_CHILD).is_none(),
        "setpriv left the child its capabilities"
    );
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIP {test}: needs setpriv (Debian package util-linux) to drop capabilities");
        return;
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--bounding-set=-all", "--inh-caps=-all", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "unprivileged_option_rules",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(UNPRIVILEGED_CHILD, "1");
    let mut child = common::Child::spawn(&mut cmd);
    let mut done = false;
    loop {
        let line = child.line();
        done |= line.contains(UNPRIVILEGED_DONE);
        if line.starts_with("test result:") {
            assert!(line.contains(" 1 passed"), "{line}");
            break;
        }
    }
    assert!(done, "the child did not report its checks");
}

fn check_unprivileged_rules() {
    let s = loopback();
    let e = s.set_mark(7).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e}");
    assert_eq!(s.mark().unwrap(), 0);

    s.set_priority(6).unwrap();
    for p in [7, 0x0001_0010, u32::MAX] {
        let e = s.set_priority(p).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{p}: {e}");
    }
    assert_eq!(s.priority().unwrap(), 6);

    let raised = s.set_busy_poll(50);
    if kernel_at_least(6, 4) {
        raised.unwrap();
        assert_eq!(s.busy_poll().unwrap(), 50);
    } else {
        let e = raised.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e}");
    }
    s.set_busy_poll(0).unwrap();
    assert_eq!(s.busy_poll().unwrap(), 0);

    s.attach_filter(&only(8, b'A')).unwrap();
    s.lock_filter().unwrap();
    let e = s.detach_filter().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
}

/// `SO_MAX_PACING_RATE`: the kernel takes the cap (above 32 bits too: 100 Gbit/s is 12.5e9 bytes/s)
/// and gives it back, on both families; `None` restores "unlimited". Its effect needs the `fq`
/// qdisc, which this kernel lacks (no CONFIG_NET_SCH_FQ), so only the round trip is tested here.
#[test]
fn max_pacing_rate_round_trips() {
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let s = UdpSocket::bind(addr).unwrap();
        assert_eq!(s.max_pacing_rate().unwrap(), None);
        for rate in [1u64, 125_000_000, 12_500_000_000] {
            s.set_max_pacing_rate(Some(rate)).unwrap();
            assert_eq!(s.max_pacing_rate().unwrap(), Some(rate), "{addr}");
        }
        s.set_max_pacing_rate(None).unwrap();
        assert_eq!(s.max_pacing_rate().unwrap(), None);
    }
}

/// `Interface::name` (`if_indextoname`): an index's name; `NotFound` for an index no interface
/// has; `InvalidData`, showing the name escaped, for a name that is not UTF-8 (the kernel allows
/// one: only `/`, `:`, spaces and NUL are refused).
#[test]
fn interface_names_come_back_whole_or_as_a_clear_error() {
    use std::os::unix::ffi::OsStrExt;
    let Some(net) = TwoHosts::new("interface_names_come_back_whole_or_as_a_clear_error") else {
        return;
    };
    let status = Command::new("ip")
        .args(["-n", &net.a, "link", "add", "name"])
        .arg(std::ffi::OsStr::from_bytes(b"d\xff0"))
        .args(["index", "4242", "type", "veth", "peer", "name", "peer0"])
        .status()
        .unwrap();
    assert!(status.success(), "ip link add a veth pair: {status}");
    let veth = net.veth_index(&net.a);
    let (veth_name, odd, none) = net.run(&net.a, || {
        (
            datagrams::Interface::Index(veth).name(),
            datagrams::Interface::Index(4242).name(),
            datagrams::Interface::Index(4243).name(),
        )
    });
    assert_eq!(veth_name.unwrap().as_deref(), Some("veth0"));
    let e = odd.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    assert_eq!(
        e.to_string(),
        r#"the name of interface 4242 is not UTF-8: "d\xff0""#
    );
    let e = none.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(
        e.to_string()
            .starts_with("no network interface of index 4243"),
        "{e}"
    );
}
