//! Private test networks: two hosts on one link, each a network namespace made with iproute2 and
//! joined by a veth pair. Only documentation ranges are used (192.0.2.0/24, 2001:db8::/32), so nothing
//! leaves the namespaces; everything is removed on drop, also after a panic. Root only.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Host A has 192.0.2.1 and 192.0.2.3 (a second source), 2001:db8::1 and 2001:db8::3 (deprecated,
/// so that A sends from 2001:db8::1 unless bound to ::3); host B has 192.0.2.2 and 2001:db8::2. Both
/// name their end of the link `veth0`.
pub struct TwoHosts {
    pub a: String,
    pub b: String,
}

/// Runs `ip args...`, which must succeed.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2's ip is needed");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `value` to `/proc/sys/<path>` inside namespace `ns`.
fn sysctl(ns: &str, path: &str, value: &str) {
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "sh",
            "-c",
            &format!("echo {value} > /proc/sys/{path}"),
        ])
        .output()
        .expect("ip netns exec");
    assert!(
        out.status.success(),
        "{path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits (bounded) until `dev` in `ns` can send. Setting a veth up is not enough: the kernel's link
/// watcher attaches its queue later, and delays that by up to a second when links come and go often
/// (as in a test suite); until then the device's `noop` queue drops every packet sent.
fn wait_sendable(ns: &str, dev: &str) {
    let deadline = std::time::Instant::now() + crate::common::PATIENCE;
    loop {
        // Each `ip` run takes milliseconds, which paces the loop.
        let out = Command::new("ip")
            .args(["-n", ns, "-o", "link", "show", "dev", dev])
            .output()
            .expect("iproute2's ip is needed");
        let line = String::from_utf8_lossy(&out.stdout);
        if line.contains(" state UP ") && !line.contains(" qdisc noop ") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{ns}/{dev} cannot send yet: {line}"
        );
    }
}

/// A fresh namespace `ns` whose interfaces skip IPv6 duplicate-address detection: their link-local
/// addresses are usable at once, so neighbour discovery (and ICMPv6 from a router) does not wait on
/// DAD's timers. Set before any link moves in, which takes the namespace's defaults.
fn netns_add(ns: &str) {
    ip(&["netns", "add", ns]);
    for conf in ["all", "default"] {
        sysctl(ns, &format!("net/ipv6/conf/{conf}/accept_dad"), "0");
    }
    ip(&["-n", ns, "link", "set", "lo", "up"]);
}

impl TwoHosts {
    /// Builds the network, or returns `None` (having printed why) when not root; see
    /// `common::root_or_skip`.
    pub fn new(test: &str) -> Option<TwoHosts> {
        if !crate::common::root_or_skip(test) {
            return None;
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = format!(
            "{}x{}",
            std::process::id() % 100_000,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let net = TwoHosts {
            a: format!("dgA{n}"),
            b: format!("dgB{n}"),
        };
        netns_add(&net.a);
        netns_add(&net.b);
        let (va, vb) = (format!("va{n}"), format!("vb{n}"));
        ip(&["link", "add", &va, "type", "veth", "peer", "name", &vb]);
        ip(&["link", "set", &va, "netns", &net.a]);
        ip(&["link", "set", &vb, "netns", &net.b]);
        ip(&["-n", &net.a, "link", "set", &va, "name", "veth0"]);
        ip(&["-n", &net.b, "link", "set", &vb, "name", "veth0"]);
        for (ns, v4, v6) in [
            (
                &net.a,
                &["192.0.2.1/24", "192.0.2.3/24"][..],
                &["2001:db8::1/64", "2001:db8::3/64"][..],
            ),
            (&net.b, &["192.0.2.2/24"][..], &["2001:db8::2/64"][..]),
        ] {
            for a in v4 {
                ip(&["-n", ns, "addr", "add", a, "dev", "veth0"]);
            }
            for (i, a) in v6.iter().enumerate() {
                let mut add = vec!["-n", ns, "-6", "addr", "add", a, "dev", "veth0", "nodad"];
                // The second address is deprecated, so that source selection (RFC 6724, rule 3)
                // picks the first, as IPv4 picks the primary: without it the kernel sends from
                // the newest, 2001:db8::3. Bound explicitly, it works as any other.
                if i > 0 {
                    add.extend(["preferred_lft", "0"]);
                }
                ip(&add);
            }
            ip(&["-n", ns, "link", "set", "veth0", "up"]);
        }
        for ns in [&net.a, &net.b] {
            wait_sendable(ns, "veth0");
        }
        Some(net)
    }

    /// Runs `f` on a thread inside namespace `ns`: sockets it creates belong to that host, and keep
    /// belonging to it when returned to the caller.
    pub fn run<T: Send>(&self, ns: &str, f: impl FnOnce() -> T + Send) -> T {
        run_in(ns, f)
    }

    /// The index of `veth0` in namespace `ns`.
    pub fn veth_index(&self, ns: &str) -> u32 {
        self.run(ns, || {
            datagrams::Interface::Name("veth0".into()).index().unwrap()
        })
    }
}

impl Drop for TwoHosts {
    fn drop(&mut self) {
        // Deleting a namespace destroys its end of the veth pair, and with it the other end.
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Two hosts behind a router: A (192.0.2.1, 2001:db8:1::1) — R (192.0.2.254 / 198.51.100.254,
/// 2001:db8:1::fe / 2001:db8:2::fe, forwarding on) — C (198.51.100.1, 2001:db8:2::1). The link R–C has
/// an MTU of 1280.
pub struct Routed {
    pub a: String,
    pub r: String,
    pub c: String,
}

impl Routed {
    pub fn new(test: &str) -> Option<Routed> {
        if !crate::common::root_or_skip(test) {
            return None;
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = format!(
            "{}y{}",
            std::process::id() % 100_000,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let net = Routed {
            a: format!("dgA{n}"),
            r: format!("dgR{n}"),
            c: format!("dgC{n}"),
        };
        for ns in [&net.a, &net.r, &net.c] {
            netns_add(ns);
        }
        let link = |left: &str, lname: &str, right: &str, rname: &str, tag: &str| {
            let (l, r) = (format!("l{tag}{n}"), format!("r{tag}{n}"));
            ip(&["link", "add", &l, "type", "veth", "peer", "name", &r]);
            ip(&["link", "set", &l, "netns", left]);
            ip(&["link", "set", &r, "netns", right]);
            ip(&["-n", left, "link", "set", &l, "name", lname]);
            ip(&["-n", right, "link", "set", &r, "name", rname]);
        };
        link(&net.a, "veth0", &net.r, "veth0", "1");
        link(&net.r, "veth1", &net.c, "veth0", "2");
        let addr = |ns: &str, dev: &str, v4: &str, v6: &str| {
            ip(&["-n", ns, "addr", "add", v4, "dev", dev]);
            ip(&["-n", ns, "-6", "addr", "add", v6, "dev", dev, "nodad"]);
        };
        addr(&net.a, "veth0", "192.0.2.1/24", "2001:db8:1::1/64");
        addr(&net.r, "veth0", "192.0.2.254/24", "2001:db8:1::fe/64");
        addr(&net.r, "veth1", "198.51.100.254/24", "2001:db8:2::fe/64");
        addr(&net.c, "veth0", "198.51.100.1/24", "2001:db8:2::1/64");
        ip(&["-n", &net.r, "link", "set", "veth1", "mtu", "1280"]);
        ip(&["-n", &net.c, "link", "set", "veth0", "mtu", "1280"]);
        for (ns, dev) in [
            (&net.a, "veth0"),
            (&net.r, "veth0"),
            (&net.r, "veth1"),
            (&net.c, "veth0"),
        ] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        for (ns, dev) in [
            (&net.a, "veth0"),
            (&net.r, "veth0"),
            (&net.r, "veth1"),
            (&net.c, "veth0"),
        ] {
            wait_sendable(ns, dev);
        }
        ip(&[
            "-n",
            &net.a,
            "route",
            "add",
            "default",
            "via",
            "192.0.2.254",
        ]);
        ip(&[
            "-n",
            &net.a,
            "-6",
            "route",
            "add",
            "default",
            "via",
            "2001:db8:1::fe",
        ]);
        ip(&[
            "-n",
            &net.c,
            "route",
            "add",
            "default",
            "via",
            "198.51.100.254",
        ]);
        ip(&[
            "-n",
            &net.c,
            "-6",
            "route",
            "add",
            "default",
            "via",
            "2001:db8:2::fe",
        ]);
        for path in ["net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"] {
            sysctl(&net.r, path, "1");
        }
        Some(net)
    }

    /// Runs `f` on a thread inside namespace `ns` (see [`TwoHosts::run`]).
    pub fn run<T: Send>(&self, ns: &str, f: impl FnOnce() -> T + Send) -> T {
        run_in(ns, f)
    }
}

impl Drop for Routed {
    fn drop(&mut self) {
        for ns in [&self.a, &self.r, &self.c] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Runs `f` on a thread that has entered namespace `ns`.
pub fn run_in<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let file = std::fs::File::open(format!("/run/netns/{ns}")).unwrap();
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            f()
        })
        .join()
        .unwrap()
    })
}
