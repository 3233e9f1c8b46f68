//! The programs in `examples/` run with their self-test arguments and print the summary lines they
//! promise. The examples that need two hosts (multicast between namespaces, a TTL that expires at a
//! router) need root; CI runs them as root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/netns.rs"]
mod netns;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::Child;
use netns::{Routed, TwoHosts};

/// The path of example `name`, built (all examples at once, once per process) with the profile and
/// target folder of this test.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "datagrams",
                "--all-features",
                "--examples",
                "--profile",
                "test",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed: {status}");
    });
    // This test is target/<profile>/deps/examples-<hash>; the examples are in target/<profile>/examples.
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

/// Runs `cmd` (an example, which bounds its own waits) to a successful end; returns its stdout lines.
fn run(cmd: &mut Command) -> Vec<String> {
    let out = cmd.output().expect("the example starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}: {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().map(str::to_string).collect()
}

/// Runs example `name` with `args` and returns its last line of stdout, after a successful exit.
fn last_line(name: &str, args: &[&str]) -> String {
    run(Command::new(example(name)).args(args))
        .pop()
        .unwrap_or_default()
}

#[test]
fn echo_server() {
    assert_eq!(
        last_line("echo_server", &["--self-test", "20"]),
        "echo_server: echoed 20 datagrams, 210 bytes"
    );
}

#[test]
fn echo_server_tokio() {
    assert_eq!(
        last_line("echo_server_tokio", &["--self-test", "8", "25"]),
        "echo_server_tokio: 8 clients, 200 answered, 200 echoed"
    );
}

#[test]
fn request_response() {
    // The built-in server drops every third request it sees; the client retries until all are answered.
    let line = last_line("request_response", &["--self-test", "12"]);
    assert!(
        line.starts_with("request_response: 12/12 answered, "),
        "{line}"
    );
}

#[test]
fn icmp_errors_closed_port() {
    assert_eq!(
        last_line("icmp_errors", &["closed-port"]),
        "icmp_errors: ConnectionRefused type 3 code 3 from 127.0.0.1"
    );
}

/// ICMPv6 port unreachable: type 1 (destination unreachable) code 4 (port unreachable).
#[test]
fn icmp_errors_closed_port_v6() {
    assert_eq!(
        last_line("icmp_errors", &["closed-port", "::1"]),
        "icmp_errors: ConnectionRefused type 1 code 4 from ::1"
    );
}

#[test]
fn fd_passing() {
    assert_eq!(
        last_line("fd_passing", &["pipe"]),
        "fd_passing: pipe: credentials checked both ways; the child wrote \"hello from the child\" into the pipe"
    );
    assert_eq!(
        last_line("fd_passing", &["socket"]),
        "fd_passing: socket: credentials checked both ways; the child answered \"ping\" on the handed-over socket"
    );
}

#[test]
fn gso_sender_and_its_fallback() {
    for extra in [None, Some("--no-gso")] {
        let mut args = vec!["--self-test", "60000"];
        args.extend(extra);
        assert_eq!(
            last_line("gso_sender", &args),
            "gso_sender: received 50 datagrams, 60000 bytes, 50 ECT(0)",
            "{args:?}"
        );
    }
}

#[test]
fn gro_receiver() {
    assert_eq!(
        last_line("gro_receiver", &["--self-test", "60000"]),
        "gro_receiver: 50 datagrams, 60000 bytes, 50 ECT(0)"
    );
}

/// More than one datagram's payload limit (65,507 bytes over IPv4): 64 segments of 1,200 bytes do
/// not fit one GSO send, so the examples send at most 54 at a time instead of failing with
/// `EMSGSIZE`.
#[test]
fn gso_and_gro_above_one_datagrams_payload_limit() {
    assert_eq!(
        last_line("gso_sender", &["--self-test", "70000"]),
        "gso_sender: received 59 datagrams, 70000 bytes, 59 ECT(0)"
    );
    assert_eq!(
        last_line("gro_receiver", &["--self-test", "120000"]),
        "gro_receiver: 100 datagrams, 120000 bytes, 100 ECT(0)"
    );
}

/// The two programs as a user runs them: a GRO receiver process, then a GSO sender process to it,
/// over IPv4 and IPv6 loopback.
#[test]
fn gso_sender_to_a_gro_receiver_process() {
    for bind in ["127.0.0.1:0", "[::1]:0"] {
        let mut receiver = Child::spawn(Command::new(example("gro_receiver")).arg(bind));
        let listening = receiver.expect("gro_receiver: listening on ");
        let addr = listening
            .strip_suffix(", GRO on")
            .unwrap_or_else(|| panic!("GRO is on in this kernel: {listening:?}"));
        let sent = run(Command::new(example("gso_sender")).args([addr, "60000"]));
        assert_eq!(
            sent,
            ["gso_sender: 50 datagrams in 1 sends, GSO on"],
            "{bind}"
        );
        assert_eq!(
            receiver.line(),
            "gro_receiver: 50 datagrams, 60000 bytes, 50 ECT(0)",
            "{bind}"
        );
        receiver.success();
    }
}

#[test]
fn discovery_on_loopback() {
    assert_eq!(
        last_line("discovery", &["--self-test", "3"]),
        "discovery: sent 3, heard 3 announcements"
    );
}

/// `ip netns exec NS example args...`
fn in_ns(ns: &str, name: &str, args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).arg(example(name)).args(args);
    c
}

/// Any-source and source-specific (SSM) multicast from host A to host B, over IPv4 and IPv6. The
/// listener prints its first line once it has joined; A's address is the one its kernel sends from
/// (see `TwoHosts`).
#[test]
fn discovery_between_hosts_any_source_and_ssm() {
    let Some(net) = TwoHosts::new("discovery_between_hosts_any_source_and_ssm") else {
        return;
    };
    for (group, source, from) in [
        ("239.255.70.77:7077", None, "192.0.2.1"),
        ("232.1.2.3:7078", Some("192.0.2.1"), "192.0.2.1"),
        ("[ff15::7077]:7077", None, "[2001:db8::1]"),
        (
            "[ff35::8000:7077]:7078",
            Some("2001:db8::1"),
            "[2001:db8::1]",
        ),
    ] {
        let mut args = vec!["listen", group, "--iface", "veth0", "--count", "1"];
        if let Some(s) = source {
            args.extend(["--source", s]);
        }
        let mut listener = Child::spawn(&mut in_ns(&net.b, "discovery", &args));
        assert_eq!(listener.line(), format!("discovery: listening on {group}"));
        let sent = run(&mut in_ns(
            &net.a,
            "discovery",
            &[
                "announce", group, "alpha", "--iface", "veth0", "--count", "1",
            ],
        ));
        assert_eq!(sent, ["discovery: sent 1 announcements"]);
        let heard = listener.line();
        let port = heard
            .strip_prefix(&format!("heard \"alpha\" from {from}:"))
            .unwrap_or_else(|| panic!("{group}: {heard:?}"));
        assert!(
            port.parse::<u16>().is_ok_and(|p| p != 0),
            "{group}: {heard:?}"
        );
        assert_eq!(listener.line(), "discovery: heard 1 announcements");
        listener.success();
    }
}

#[test]
fn icmp_errors_ttl_expires_at_the_router() {
    let Some(net) = Routed::new("icmp_errors_ttl_expires_at_the_router") else {
        return;
    };
    let lines = run(&mut in_ns(
        &net.a,
        "icmp_errors",
        &["ttl", "198.51.100.1:33434", "1"],
    ));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("icmp_errors: HostUnreachable type 11 code 0 from 192.0.2.254"),
        "{lines:?}"
    );
}

/// A hop limit of 1 expires at the router: ICMPv6 type 3 (time exceeded) code 0, from the router's
/// address on A's link.
#[test]
fn icmp_errors_hop_limit_expires_at_the_router_v6() {
    let Some(net) = Routed::new("icmp_errors_hop_limit_expires_at_the_router_v6") else {
        return;
    };
    let lines = run(&mut in_ns(
        &net.a,
        "icmp_errors",
        &["ttl", "[2001:db8:2::1]:33434", "1"],
    ));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("icmp_errors: HostUnreachable type 3 code 0 from 2001:db8:1::fe"),
        "{lines:?}"
    );
}
