//! `dgram perf`: the loopback run accounts for every datagram.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::Value;

fn perf(args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .arg("perf")
        .args(args)
        .output()
        .expect("run dgram perf");
    assert!(
        out.status.success(),
        "dgram perf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// sent = received + datagrams in kernel drops, nothing else lost, for GSO and for batches, and
/// for GSO paced in user space (whose sends carry a fixed number of datagrams, fewer at low rates).
#[test]
fn loopback_accounts_for_every_datagram() {
    for extra in [
        &[][..],
        &["--no-gso", "--len", "64"][..],
        &["--rate", "20G"][..],
        &["--rate", "20kpps"][..],
    ] {
        let mut args = vec!["--time", "0.5", "--interval", "0.25", "--json"];
        args.extend_from_slice(extra);
        let objs = perf(&args);
        let summary = objs.last().expect("a summary");
        assert_eq!(summary["type"], "summary");
        assert!(
            objs[..objs.len() - 1]
                .iter()
                .all(|o| o["type"] == "interval")
        );
        assert!(u(summary, "sent") > 0);
        assert_eq!(
            u(summary, "sent"),
            u(summary, "received") + u(summary, "kernel_dropped_datagrams"),
            "{summary}"
        );
        assert_eq!(u(summary, "unaccounted"), 0, "{summary}");
        assert_eq!(u(summary, "duplicates"), 0);
        assert_eq!(u(summary, "malformed"), 0);
        let interval_bytes: u64 = objs[..objs.len() - 1].iter().map(|o| u(o, "bytes")).sum();
        assert_eq!(interval_bytes, u(summary, "bytes"));
    }
}

/// A datagram too short for the header is refused with a clear message.
#[test]
fn len_below_header_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args(["perf", "--len", "8"])
        .output()
        .expect("run dgram perf");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--len 8: expected 20 to 65507 bytes"), "{err}");
}

/// A rate that is not one is refused with a message naming the forms.
#[test]
fn bad_rate_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args(["perf", "--rate", "fast"])
        .output()
        .expect("run dgram perf");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--rate fast: expected bits/s like 100M"),
        "{err}"
    );
}

/// A server on a free port; the child and its address.
fn server() -> (std::process::Child, String) {
    server_at("127.0.0.1:0")
}

/// A server on `addr` (`HOST:0` or a Unix path); the child and the address it listens on.
fn server_at(addr: &str) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args(["perf", "--server", addr])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().expect("stderr"))
        .read_line(&mut line)
        .expect("the server's first line");
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the listening address in {line:?}"))
        .to_string();
    (child, addr)
}

/// Every datagram accounted, in the summary and in each of its `streams` (which add up to it):
/// sent = received + datagrams in kernel drops, nothing unaccounted, duplicated or malformed.
fn assert_accounted(summary: &Value, streams: usize) {
    assert_eq!(summary["type"], "summary", "{summary}");
    assert!(u(summary, "sent") > 0, "{summary}");
    let per = summary["streams"].as_array().expect("streams");
    assert_eq!(per.len(), streams, "{summary}");
    for s in per.iter().chain([summary]) {
        assert!(u(s, "sent") > 0, "{summary}");
        assert_eq!(
            u(s, "sent"),
            u(s, "received") + u(s, "kernel_dropped_datagrams"),
            "{summary}"
        );
        assert_eq!(u(s, "unaccounted"), 0, "{summary}");
        assert_eq!(u(s, "duplicates"), 0, "{summary}");
        assert_eq!(u(s, "malformed"), 0, "{summary}");
    }
    for k in ["sent", "received", "bytes", "kernel_dropped_datagrams"] {
        assert_eq!(
            per.iter().map(|s| u(s, k)).sum::<u64>(),
            u(summary, k),
            "{k}: {summary}"
        );
    }
}

fn stop(mut srv: std::process::Child) {
    srv.kill().expect("stop the server");
    srv.wait().expect("reap the server");
}

/// Client and server: the client prints the server's counters, and they account for every datagram.
#[test]
fn client_server_accounts_for_every_datagram() {
    let (mut srv, addr) = server();
    let objs = perf(&[
        "--client",
        &addr,
        "--time",
        "0.5",
        "--interval",
        "0.25",
        "--json",
    ]);
    let summary = objs.last().expect("a summary");
    assert!(u(summary, "sent") > 0);
    assert_eq!(
        u(summary, "sent"),
        u(summary, "received") + u(summary, "kernel_dropped_datagrams"),
        "{summary}"
    );
    assert_eq!(u(summary, "unaccounted"), 0, "{summary}");
    srv.kill().expect("stop the server");
    srv.wait().expect("reap the server");
}

/// A server killed mid-run ends the client with an error naming it, well before the run's end,
/// whichever side sends.
#[test]
fn server_gone_mid_run_ends_the_client() {
    for reverse in [false, true] {
        let (mut srv, addr) = server();
        let mut args = vec![
            "perf",
            "--client",
            &addr,
            "--time",
            "20",
            "--rate",
            "10kpps",
            "--interval",
            "0.2",
            "--json",
        ];
        if reverse {
            args.push("--reverse");
        }
        let mut client = Command::new(env!("CARGO_BIN_EXE_dgram"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start the client");
        // The first interval report proves the run is under way.
        {
            use std::io::{BufRead, BufReader};
            let mut line = String::new();
            BufReader::new(client.stdout.as_mut().expect("stdout"))
                .read_line(&mut line)
                .expect("an interval");
            assert!(line.contains("\"interval\""), "{line}");
        }
        srv.kill().expect("kill the server");
        srv.wait().expect("reap the server");
        let out = client.wait_with_output().expect("the client ends");
        assert_eq!(out.status.code(), Some(1), "reverse {reverse}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("server {addr}")), "{err}");
    }
}

#[path = "../../datagrams/tests/common/mod.rs"]
mod common;

#[path = "../../datagrams/tests/common/netns.rs"]
mod netns;

/// The `dropped` count of the tbf qdisc of `veth0` in `ns` (`tc -s qdisc`).
fn qdisc_drops(ns: &str) -> u64 {
    let out = Command::new("tc")
        .args(["-n", ns, "-s", "qdisc", "show", "dev", "veth0"])
        .output()
        .expect("run tc");
    let text = String::from_utf8_lossy(&out.stdout);
    let tbf = text.split("qdisc tbf").nth(1).expect("a tbf qdisc");
    let after = tbf.split("dropped ").nth(1).expect("a dropped count");
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

/// Between two hosts through a tbf bottleneck driven at twice its rate: every datagram is received,
/// dropped by the receiver's kernel or dropped by the qdisc.
#[test]
fn tbf_bottleneck_accounts_for_every_datagram() {
    use std::io::{BufRead, BufReader};
    let Some(net) = netns::TwoHosts::new("tbf_bottleneck_accounts_for_every_datagram") else {
        return;
    };
    // The bottleneck shapes UDP only: the TCP control connection (and neighbour discovery) go
    // around it, so that the tbf's drops are the test's datagrams alone.
    let tc = |args: &str| {
        let mut full = vec!["-n", net.a.as_str()];
        full.extend(args.split_whitespace());
        let ok = Command::new("tc").args(&full).status().expect("run tc");
        assert!(ok.success(), "tc {args}");
    };
    tc("qdisc add dev veth0 root handle 1: htb default 2");
    tc("class add dev veth0 parent 1: classid 1:1 htb rate 1gbit");
    tc("class add dev veth0 parent 1: classid 1:2 htb rate 1gbit");
    tc("qdisc add dev veth0 parent 1:1 handle 10: tbf rate 100mbit burst 32kb limit 15000");
    tc("filter add dev veth0 parent 1: protocol ip u32 match ip protocol 17 0xff flowid 1:1");
    let mut srv = Command::new("ip")
        .args(["netns", "exec", &net.b, env!("CARGO_BIN_EXE_dgram")])
        .args(["perf", "--server", "192.0.2.2:5201"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(srv.stderr.as_mut().expect("stderr"))
        .read_line(&mut line)
        .expect("the server's first line");
    let out = Command::new("ip")
        .args(["netns", "exec", &net.a, env!("CARGO_BIN_EXE_dgram")])
        .args([
            "perf",
            "--client",
            "192.0.2.2",
            "--no-gso",
            "--rate",
            "200M",
            "--time",
            "1",
            "--json",
        ])
        .output()
        .expect("run the client");
    srv.kill().expect("stop the server");
    srv.wait().expect("reap the server");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let summary: Value =
        serde_json::from_str(text.lines().last().expect("a summary")).expect("JSON");
    let qdisc = qdisc_drops(&net.a);
    assert!(qdisc > 0, "the bottleneck dropped nothing: {summary}");
    assert_eq!(
        u(&summary, "sent"),
        u(&summary, "received") + u(&summary, "kernel_dropped_datagrams") + qdisc,
        "{summary}, qdisc drops {qdisc}"
    );
}

/// `--bytes` stops at the byte count exactly: sent datagrams × len, GSO and batches alike.
#[test]
fn bytes_stops_at_the_byte_count() {
    for (bytes, len, extra) in [("1.2M", 1200u64, None), ("64k", 64, Some("--no-gso"))] {
        let len_s = len.to_string();
        let mut args = vec!["--bytes", bytes, "--len", &len_s, "--json"];
        args.extend(extra);
        let objs = perf(&args);
        let summary = objs.last().expect("a summary");
        let want = if len == 1200 { 1_200_000 } else { 64_000 };
        assert_eq!(u(summary, "sent") * len, want, "{summary}");
        assert_eq!(
            u(summary, "sent"),
            u(summary, "received") + u(summary, "kernel_dropped_datagrams"),
            "{summary}"
        );
    }
}

/// `--reverse` over loopback: the server sends, the client receives and prints both sides; every
/// datagram accounted, with one stream and with two.
#[test]
fn reverse_accounts_for_every_datagram() {
    let (srv, addr) = server();
    for parallel in ["1", "2"] {
        let objs = perf(&[
            "--client",
            &addr,
            "--reverse",
            "--parallel",
            parallel,
            "--time",
            "0.3",
            "--interval",
            "0.1",
            "--json",
        ]);
        let summary = objs.last().expect("a summary");
        assert_eq!(summary["reverse"], true);
        assert_accounted(summary, parallel.parse().unwrap());
    }
    stop(srv);
}

/// `--parallel 2`: two streams, each accounted exactly, and their sum is the summary; on loopback
/// in one process, to a server, and over IPv6.
#[test]
fn parallel_streams_account_each_and_summed() {
    let objs = perf(&["--parallel", "2", "--time", "0.3", "--json"]);
    assert_accounted(objs.last().expect("a summary"), 2);
    let objs = perf(&[
        "--parallel",
        "2",
        "--no-gso",
        "--len",
        "64",
        "--bytes",
        "64k",
        "--json",
    ]);
    let summary = objs.last().expect("a summary");
    assert_accounted(summary, 2);
    // 1000 datagrams split evenly.
    for s in summary["streams"].as_array().unwrap() {
        assert_eq!(u(s, "sent"), 500, "{summary}");
    }
    let (srv, addr) = server();
    let objs = perf(&[
        "--client",
        &addr,
        "--parallel",
        "2",
        "--time",
        "0.3",
        "--json",
    ]);
    assert_accounted(objs.last().expect("a summary"), 2);
    stop(srv);
}

/// IPv6: loopback over ::1 (`--ipv6`), and a client and server on [::1].
#[test]
fn ipv6_loopback_and_client_server() {
    let objs = perf(&["--ipv6", "--time", "0.3", "--json"]);
    let summary = objs.last().expect("a summary");
    assert_eq!(summary["transport"], "UDP/IPv6");
    assert_accounted(summary, 1);
    let (srv, addr) = server_at("[::1]:0");
    assert!(addr.starts_with("[::1]:"), "{addr}");
    for extra in [None, Some("--reverse")] {
        let mut args = vec!["--client", &addr, "--time", "0.3", "--json"];
        args.extend(extra);
        let objs = perf(&args);
        let summary = objs.last().expect("a summary");
        assert_eq!(summary["transport"], "UDP/IPv6");
        assert_accounted(summary, 1);
    }
    stop(srv);
}

/// Unix datagram sockets: loopback over socket pairs, and a client and server at a temp-dir path
/// (control at PATH.control), forward, reverse and with two streams. Nothing is lost: a full
/// queue blocks the sender.
#[test]
fn unix_loopback_and_client_server() {
    let objs = perf(&["--unix", "--parallel", "2", "--time", "0.3", "--json"]);
    let summary = objs.last().expect("a summary");
    assert_eq!(summary["transport"], "Unix");
    assert_accounted(summary, 2);
    assert_eq!(u(summary, "sent"), u(summary, "received"), "{summary}");

    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("perf");
    let (srv, addr) = server_at(path.to_str().expect("a UTF-8 path"));
    assert_eq!(addr, path.to_str().unwrap());
    assert!(dir.path().join("perf.control").exists());
    for extra in [&[][..], &["--reverse"][..], &["--parallel", "2"][..]] {
        let mut args = vec!["--client", &addr, "--time", "0.3", "--json"];
        args.extend_from_slice(extra);
        let objs = perf(&args);
        let summary = objs.last().expect("a summary");
        assert_eq!(summary["transport"], "Unix", "{extra:?}");
        let streams = if extra.len() == 2 { 2 } else { 1 };
        assert_accounted(summary, streams);
        assert_eq!(u(summary, "sent"), u(summary, "received"), "{summary}");
    }
    // The server removes each client's traffic sockets when it is done with them.
    assert!(!path.exists());
    assert!(!dir.path().join("perf.1").exists());
    // A file in the way of a stream's socket: the server says so, and the client prints it.
    std::fs::write(dir.path().join("perf.1"), b"not a socket").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args([
            "perf",
            "--client",
            &addr,
            "--parallel",
            "2",
            "--time",
            "0.1",
        ])
        .output()
        .expect("run dgram perf");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("server {addr}: {addr}.1: ")) && err.contains("in use"),
        "{err}"
    );
    stop(srv);
}

/// A `dgram perf --server ADDR` in namespace `ns`, ready (its first line read).
fn server_in(ns: &str, addr: &str) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut srv = Command::new("ip")
        .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_dgram")])
        .args(["perf", "--server", addr])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(srv.stderr.as_mut().expect("stderr"))
        .read_line(&mut line)
        .expect("the server's first line");
    assert!(line.contains("listening on"), "{line}");
    srv
}

/// `dgram perf ARGS` in namespace `ns`; its summary object.
fn perf_in(ns: &str, args: &[&str]) -> Value {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_dgram"), "perf"])
        .args(args)
        .output()
        .expect("run dgram perf");
    assert!(
        out.status.success(),
        "dgram perf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    serde_json::from_str(text.lines().last().expect("a summary")).expect("JSON")
}

/// Scoped IPv6 between two hosts over their link-local addresses (added with `nodad`, usable at
/// once): a server on `[fe80::2%veth0]:5201`, a client naming it with its interface in each form
/// (`fe80::2%veth0`, `[fe80::2%veth0]:5201`). Throughput accounts for every datagram; latency
/// loses no request.
#[test]
fn link_local_ipv6_by_interface_name() {
    let Some(net) = netns::TwoHosts::new("link_local_ipv6_by_interface_name") else {
        return;
    };
    for (ns, addr) in [(&net.a, "fe80::1/64"), (&net.b, "fe80::2/64")] {
        netns::ip(&["-n", ns, "-6", "addr", "add", addr, "dev", "veth0", "nodad"]);
    }
    let srv = server_in(&net.b, "[fe80::2%veth0]:5201");
    let summary = perf_in(
        &net.a,
        &["--client", "fe80::2%veth0", "--time", "0.3", "--json"],
    );
    assert_eq!(summary["transport"], "UDP/IPv6", "{summary}");
    assert_accounted(&summary, 1);
    let summary = perf_in(
        &net.a,
        &[
            "--client",
            "[fe80::2%veth0]:5201",
            "--latency",
            "--time",
            "0.3",
            "--json",
        ],
    );
    assert_eq!(summary["transport"], "UDP/IPv6", "{summary}");
    assert_eq!(u(&summary, "lost"), 0, "{summary}");
    assert_eq!(u(&summary, "replies"), u(&summary, "requests"), "{summary}");
    assert_eq!(u(&summary, "server_echoed"), u(&summary, "requests"));
    stop(srv);
}

/// An interface that does not exist, in a scoped address of `--client` or `--server`, is named in
/// the error (not a resolver failure).
#[test]
fn unknown_interface_is_named() {
    for args in [
        &["--client", "fe80::1%nosuch0"][..],
        &["--client", "[fe80::1%nosuch0]:5201", "--latency"][..],
        &["--server", "[fe80::1%nosuch0]:5201"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_dgram"))
            .arg("perf")
            .args(args)
            .output()
            .expect("run dgram perf");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "{}: bad address [fe80::1%nosuch0]:5201: no interface nosuch0 on this host",
                args[0]
            )),
            "{err}"
        );
    }
}

/// `--rate` holds its target within 2% measured at the receiver, between two hosts (namespaces
/// over veth), in both forms (bits/s and datagrams/s). The rate is the server's count over its own
/// receive interval (from its start to the last arrival), as the client prints it. A measurement
/// on a shared 2-core machine can be disturbed by a stall of the sender or receiver near either
/// end of the run, so each rate gets up to three 1-second runs and must hold in one: a pacer that
/// misses its target misses it in every run.
#[test]
fn rate_holds_its_target() {
    let Some(net) = netns::TwoHosts::new("rate_holds_its_target") else {
        return;
    };
    let srv = server_in(&net.b, "192.0.2.2:5201");
    for (rate, len, want_pps) in [("200M", "1200", 200e6 / 9600.0), ("20kpps", "64", 20e3)] {
        let mut seen = Vec::new();
        for _ in 0..3 {
            let summary = perf_in(
                &net.a,
                &[
                    "--client",
                    "192.0.2.2",
                    "--time",
                    "1",
                    "--rate",
                    rate,
                    "--len",
                    len,
                    "--json",
                ],
            );
            assert_eq!(summary["pacing"], "user space", "{summary}");
            assert_eq!(u(&summary, "unaccounted"), 0, "{summary}");
            let got = summary["datagrams_per_second"].as_f64().expect("a rate");
            seen.push(got);
            if (got - want_pps).abs() <= want_pps * 0.02 {
                break;
            }
        }
        eprintln!("--rate {rate}: {seen:?} datagrams/s at the receiver, want {want_pps}");
        let last = *seen.last().expect("a run");
        assert!(
            (last - want_pps).abs() <= want_pps * 0.02,
            "--rate {rate}: {seen:?} datagrams/s at the receiver, want {want_pps} ± 2%"
        );
    }
    stop(srv);
}

/// `--reverse` between two hosts: the server in B sends, the client in A receives; every datagram
/// is accounted (received or in the client's kernel drop counter), with one stream and with two.
#[test]
fn reverse_between_namespaces_accounts_for_every_datagram() {
    let Some(net) = netns::TwoHosts::new("reverse_between_namespaces_accounts_for_every_datagram")
    else {
        return;
    };
    let srv = server_in(&net.b, "192.0.2.2:5201");
    for parallel in ["1", "2"] {
        let summary = perf_in(
            &net.a,
            &[
                "--client",
                "192.0.2.2",
                "--reverse",
                "--parallel",
                parallel,
                "--rate",
                "1G",
                "--time",
                "0.5",
                "--json",
            ],
        );
        assert_eq!(summary["reverse"], true);
        assert_accounted(&summary, parallel.parse().unwrap());
    }
    stop(srv);
}

/// `--pacing` says who holds the rate, in the summary: user space by default on loopback (which
/// has no qdisc), the kernel when asked (`SO_MAX_PACING_RATE`, accepted; unenforced without fq).
#[test]
fn pacing_is_reported() {
    for (asked, want) in [
        (None, "user space"),
        (Some("user"), "user space"),
        (Some("kernel"), "kernel"),
    ] {
        let mut args = vec!["--bytes", "12k", "--rate", "10M", "--json"];
        if let Some(a) = asked {
            args.extend(["--pacing", a]);
        }
        let objs = perf(&args);
        let summary = objs.last().expect("a summary");
        assert_eq!(summary["pacing"], want, "{summary}");
        assert_eq!(u(summary, "sent"), 10, "{summary}");
    }
}

/// The RTT fields of a `--latency` object: p50 <= p99 <= p99.9 <= max, all in µs.
fn rtts(v: &Value) -> [f64; 4] {
    ["rtt_p50_us", "rtt_p99_us", "rtt_p999_us", "rtt_max_us"].map(|k| {
        v[k].as_f64()
            .unwrap_or_else(|| panic!("{k} missing in {v}"))
    })
}

/// A `--latency` run: every request answered (loopback loses none), the intervals add up to the
/// summary, and the percentiles are ordered.
fn check_latency_run(objs: &[Value], in_flight: u64) -> &Value {
    let summary = objs.last().expect("a summary");
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(summary["mode"], "latency");
    assert_eq!(u(summary, "in_flight"), in_flight);
    assert!(u(summary, "requests") > 0, "{summary}");
    assert_eq!(u(summary, "lost"), 0, "{summary}");
    assert_eq!(
        u(summary, "replies"),
        u(summary, "requests") - u(summary, "lost"),
        "{summary}"
    );
    assert_eq!(u(summary, "late"), 0);
    assert_eq!(u(summary, "malformed"), 0);
    let [p50, p99, p999, max] = rtts(summary);
    assert!(
        0.0 < p50 && p50 <= p99 && p99 <= p999 && p999 <= max,
        "{summary}"
    );
    let intervals = &objs[..objs.len() - 1];
    assert!(!intervals.is_empty());
    for o in intervals {
        assert_eq!(o["type"], "interval", "{o}");
        let [p50, p99, p999, max] = rtts(o);
        assert!(p50 <= p99 && p99 <= p999 && p999 <= max, "{o}");
    }
    let sum = |k: &str| intervals.iter().map(|o| u(o, k)).sum::<u64>();
    assert_eq!(sum("replies"), u(summary, "replies"));
    assert_eq!(sum("requests"), u(summary, "requests"));
    summary
}

/// `--latency` over loopback, one request in flight and four.
#[test]
fn latency_loopback_accounts_for_every_request() {
    for (in_flight, len) in [(1, "1200"), (4, "64")] {
        let n = in_flight.to_string();
        let objs = perf(&[
            "--latency",
            "--in-flight",
            &n,
            "--len",
            len,
            "--time",
            "0.5",
            "--interval",
            "0.25",
            "--json",
        ]);
        let summary = check_latency_run(&objs, in_flight);
        assert_eq!(summary["len"], len.parse::<u64>().unwrap());
        assert_eq!(summary["server_echoed"], Value::Null);
    }
}

/// `--latency` against a server in another process: it echoes every request, and says so.
#[test]
fn latency_client_server_accounts_for_every_request() {
    let (mut srv, addr) = server();
    let objs = perf(&[
        "--latency",
        "--client",
        &addr,
        "--in-flight",
        "2",
        "--time",
        "0.5",
        "--interval",
        "0.25",
        "--json",
    ]);
    let summary = check_latency_run(&objs, 2);
    assert_eq!(u(summary, "server_echoed"), u(summary, "requests"));
    srv.kill().expect("stop the server");
    srv.wait().expect("reap the server");
}

/// `--latency` over Unix datagram sockets: a socket pair in one process, and a client and server
/// in two processes at a temp-dir path (traffic at PATH, control at PATH.control), one request in
/// flight and three. The server removes its socket when the client is done.
#[test]
fn latency_over_unix_sockets_accounts_for_every_request() {
    let objs = perf(&[
        "--latency",
        "--unix",
        "--time",
        "0.3",
        "--interval",
        "0.15",
        "--json",
    ]);
    let summary = check_latency_run(&objs, 1);
    assert_eq!(summary["transport"], "Unix");
    assert_eq!(summary["server_echoed"], Value::Null);

    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("perf");
    let (srv, addr) = server_at(path.to_str().expect("a UTF-8 path"));
    for in_flight in [1, 3] {
        let n = in_flight.to_string();
        let objs = perf(&[
            "--latency",
            "--client",
            &addr,
            "--in-flight",
            &n,
            "--len",
            "100",
            "--time",
            "0.3",
            "--interval",
            "0.15",
            "--json",
        ]);
        let summary = check_latency_run(&objs, in_flight);
        assert_eq!(summary["transport"], "Unix");
        assert_eq!(u(summary, "server_echoed"), u(summary, "requests"));
        assert!(!path.exists(), "the server removes its traffic socket");
    }
    stop(srv);
}

/// A latency server killed mid-run ends the client with an error naming it.
#[test]
fn latency_server_gone_mid_run_ends_the_client() {
    use std::io::{BufRead, BufReader};
    let (mut srv, addr) = server();
    let mut client = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args([
            "perf",
            "--latency",
            "--client",
            &addr,
            "--time",
            "20",
            "--interval",
            "0.1",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the client");
    let mut line = String::new();
    BufReader::new(client.stdout.as_mut().expect("stdout"))
        .read_line(&mut line)
        .expect("an interval");
    assert!(line.contains("\"interval\""), "{line}");
    srv.kill().expect("kill the server");
    srv.wait().expect("reap the server");
    let out = client.wait_with_output().expect("the client ends");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("server {addr}")), "{err}");
}

/// `--in-flight 0` is refused with a message naming the range.
#[test]
fn latency_in_flight_zero_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args(["perf", "--latency", "--in-flight", "0"])
        .output()
        .expect("run dgram perf");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--in-flight 0: expected 1 to 65536 requests"),
        "{err}"
    );
}

/// `--latency` between two hosts whose link shapes UDP to 1 Mbit/s (tbf): with one request in
/// flight, each 1,242-byte frame waits about 9.9 ms for its tokens once the burst is spent, and the
/// histogram shows it. The server is bound to the wildcard address: replies leave from the
/// address the requests went to.
#[test]
fn latency_between_hosts_reflects_a_shaper() {
    use std::io::{BufRead, BufReader};
    let Some(net) = netns::TwoHosts::new("latency_between_hosts_reflects_a_shaper") else {
        return;
    };
    let tc = |args: &str| {
        let mut full = vec!["-n", net.a.as_str()];
        full.extend(args.split_whitespace());
        let ok = Command::new("tc").args(&full).status().expect("run tc");
        assert!(ok.success(), "tc {args}");
    };
    tc("qdisc add dev veth0 root handle 1: htb default 2");
    tc("class add dev veth0 parent 1: classid 1:1 htb rate 1gbit");
    tc("class add dev veth0 parent 1: classid 1:2 htb rate 1gbit");
    tc("qdisc add dev veth0 parent 1:1 handle 10: tbf rate 1mbit burst 2kb limit 3000");
    tc("filter add dev veth0 parent 1: protocol ip u32 match ip protocol 17 0xff flowid 1:1");
    let mut srv = Command::new("ip")
        .args(["netns", "exec", &net.b, env!("CARGO_BIN_EXE_dgram")])
        .args(["perf", "--server", "0.0.0.0:5201"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(srv.stderr.as_mut().expect("stderr"))
        .read_line(&mut line)
        .expect("the server's first line");
    let out = Command::new("ip")
        .args(["netns", "exec", &net.a, env!("CARGO_BIN_EXE_dgram")])
        .args([
            "perf",
            "--latency",
            "--client",
            "192.0.2.2",
            "--time",
            "0.5",
            "--interval",
            "0.25",
            "--json",
        ])
        .output()
        .expect("run the client");
    srv.kill().expect("stop the server");
    srv.wait().expect("reap the server");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let objs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let summary = check_latency_run(&objs, 1);
    assert_eq!(u(summary, "server_echoed"), u(summary, "requests"));
    // 1,242 bytes (UDP payload, UDP, IPv4 and Ethernet headers) at 1 Mbit/s: 9,936 µs, less
    // the tbf clock's rounding.
    let [p50, ..] = rtts(summary);
    assert!(p50 >= 9_500.0, "the shaper does not show: {summary}");
}

/// The latency control exchange as documented: `ready`, the server's `echoed` count every
/// interval, the datagrams echoed to their sender unchanged, and `final` after `done`.
#[test]
fn latency_control_exchange_as_documented() {
    use std::io::{BufRead, BufReader, Write};
    let (mut srv, addr) = server();
    let mut ctl = std::net::TcpStream::connect(&addr).expect("connect the control");
    ctl.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut lines = BufReader::new(ctl.try_clone().unwrap()).lines();
    let mut next = || -> Value { serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap() };
    ctl.write_all(b"{\"mode\":\"latency\",\"len\":24,\"in_flight\":1,\"interval_ns\":100000000}\n")
        .unwrap();
    assert_eq!(next(), serde_json::json!({"type": "ready"}));
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    udp.connect(&addr).unwrap();
    let request: Vec<u8> = (0..24).collect();
    udp.send(&request).unwrap();
    let mut reply = [0u8; 64];
    let n = udp.recv(&mut reply).unwrap();
    assert_eq!(&reply[..n], &request[..]);
    // The count of an interval that ends after the echo says 1.
    loop {
        let v = next();
        assert_eq!(v["type"], "echoed", "{v}");
        if u(&v, "echoed") == 1 {
            break;
        }
    }
    ctl.write_all(b"{\"type\":\"done\",\"requests\":1}\n")
        .unwrap();
    let v = loop {
        let v = next();
        if v["type"] != "echoed" {
            break v;
        }
    };
    assert_eq!(v, serde_json::json!({"type": "final", "echoed": 1}));
    srv.kill().expect("stop the server");
    srv.wait().expect("reap the server");
}

/// The lines of `child`'s standard error, as they come, on a channel (a bounded wait for a line
/// is `recv_timeout`).
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader};
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (60 s at most: a bound, not a synchronisation) for a line of `lines` starting with
/// `prefix`.
fn line_starting(lines: &std::sync::mpsc::Receiver<String>, prefix: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no line starting with {prefix:?}: {e}"));
        if line.starts_with(prefix) {
            return line;
        }
    }
}

/// A server whose counters go backwards, or are as large as a u64 goes, gets a summary printed,
/// not a panic: the client's arithmetic on a peer's numbers saturates.
#[test]
fn client_survives_a_server_counting_garbage() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The traffic's port, so that the client's sends are not refused.
    let _udp = std::net::UdpSocket::bind(addr).unwrap();
    std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut lines = BufReader::new(s.try_clone().unwrap()).lines();
        lines.next().unwrap().unwrap();
        let mut w = s;
        let max = u64::MAX;
        w.write_all(
            format!(
                "{{\"type\":\"ready\",\"gro\":false,\"addrs\":[]}}\n\
                 {{\"type\":\"totals\",\"streams\":[{{\"elapsed_ns\":100000000,\"received\":10,\
                 \"bytes\":12000,\"drops\":3}}]}}\n\
                 {{\"type\":\"final\",\"streams\":[{{\"elapsed_ns\":200000000,\"received\":5,\
                 \"bytes\":6000,\"drops\":{max},\"malformed\":{max},\"reordered\":{max}}}]}}\n"
            )
            .as_bytes(),
        )
        .unwrap();
        // Until the client closes the connection.
        for _ in lines {}
    });
    let objs = perf(&[
        "--client",
        &addr.to_string(),
        "--time",
        "10",
        "--rate",
        "1kpps",
        "--json",
    ]);
    let summary = objs.last().expect("a summary");
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(u(summary, "received"), 5, "{summary}");
    assert_eq!(u(summary, "kernel_drops"), u64::MAX, "{summary}");
}

/// A client that stops reading its control connection (its queue full of the server's lines)
/// is dropped after the write timeout, and the server serves the next client.
#[test]
fn server_drops_a_client_that_does_not_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("perf");
    let mut srv = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args(["perf", "--server", path.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let lines = stderr_lines(&mut srv);
    line_starting(&lines, "dgram perf: server listening");
    let mut ctl = std::os::unix::net::UnixStream::connect(dir.path().join("perf.control"))
        .expect("connect the control");
    // 32 streams reported every millisecond: a few MB/s of `totals` lines, never read.
    let addrs: Vec<String> = (0..32).map(|i| format!("x{i}")).collect();
    let params = serde_json::json!({"len": 1200, "streams": 32, "reverse": false,
                                    "addrs": addrs, "interval_ns": 1_000_000});
    ctl.write_all(format!("{params}\n").as_bytes()).unwrap();
    let line = line_starting(&lines, "dgram perf: client: ");
    assert!(line.contains("went away"), "{line}");
    let objs = perf(&[
        "--client",
        path.to_str().unwrap(),
        "--time",
        "0.2",
        "--json",
    ]);
    assert_accounted(objs.last().expect("a summary"), 1);
    drop(ctl);
    stop(srv);
}

/// A peer's control line without an end is refused after a bound, not read into memory forever.
#[test]
fn server_refuses_an_endless_control_line() {
    use std::io::Write;
    let (srv, addr) = server();
    let mut ctl = std::net::TcpStream::connect(&addr).expect("connect the control");
    let chunk = vec![b'a'; 64 << 10];
    let mut refused = false;
    for _ in 0..1024 {
        if ctl.write_all(&chunk).is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "64 MB of one line taken");
    stop(srv);
}

/// A latency client whose Unix server stopped reading (its queue full, so a send would wait
/// forever) and went silent ends with an error naming the server.
#[test]
fn latency_client_ends_when_a_unix_server_stops_reading() {
    use std::io::{BufRead, BufReader, Write};
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("perf");
    let listener = std::os::unix::net::UnixListener::bind(dir.path().join("perf.control")).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let path = path.clone();
        std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            let mut line = String::new();
            BufReader::new(s.try_clone().unwrap())
                .read_line(&mut line)
                .unwrap();
            // The echo socket, which never reads; and no word on the control connection.
            let echo = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
            let mut w = s;
            w.write_all(b"{\"type\":\"ready\"}\n").unwrap();
            tx.send((w, echo)).unwrap();
        });
    }
    let mut client = Command::new(env!("CARGO_BIN_EXE_dgram"))
        .args([
            "perf",
            "--latency",
            "--client",
            path.to_str().unwrap(),
            "--in-flight",
            "64",
            "--time",
            "30",
            "--interval",
            "0.1",
            "--json",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the client");
    let _held = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the client's parameters");
    let lines = stderr_lines(&mut client);
    let line = line_starting(&lines, "dgram: ");
    assert!(line.contains("went silent"), "{line}");
    assert_eq!(client.wait().unwrap().code(), Some(1));
}
