//! The `dgram` command driven as a process, against Node's `dgram` peer and against itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../datagrams/tests/common/mod.rs"]
mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;

use common::{Child, hex, node};

fn dgram(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dgram"));
    c.args(args);
    c
}

/// Starts `dgram listen|echo ADDR ...` and returns it with the address it reports.
fn serving(args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Child::spawn(&mut dgram(args));
    let addr: SocketAddr = child.expect("listening on ").parse().unwrap();
    assert_ne!(addr.port(), 0, "listen must report the real port");
    (child, addr)
}

#[test]
fn listen_prints_what_a_node_sender_sent() {
    let (mut listen, addr) = serving(&["listen", "127.0.0.1:0", "--count", "1"]);
    let mut sender = Child::spawn(&mut node(
        "udp_peer.js",
        &[
            "send",
            "udp4",
            &addr.port().to_string(),
            &hex(b"hello node"),
        ],
    ));
    let from = sender.expect("sent from ");
    assert_eq!(listen.line(), format!("127.0.0.1:{from} 10 hello node"));
    sender.success();
    listen.success();
}

#[test]
fn listen_formats_hex_and_json_on_ipv6() {
    let (mut listen, addr) = serving(&["listen", "[::1]:0", "--count", "2", "--format", "json"]);
    let tx = UdpSocket::bind("[::1]:0").unwrap();
    tx.send_to(b"a\x00\xff", addr).unwrap();
    tx.send_to(b"second", addr).unwrap();
    let v: serde_json::Value = serde_json::from_str(&listen.line()).unwrap();
    assert_eq!(v["from"], tx.local_addr().unwrap().to_string());
    assert_eq!(
        (
            v["size"].as_u64(),
            v["hex"].as_str(),
            v["truncated"].as_bool()
        ),
        (Some(3), Some("6100ff"), Some(false))
    );
    let v: serde_json::Value = serde_json::from_str(&listen.line()).unwrap();
    assert_eq!(v["text"], "second");
    listen.success();

    let (mut listen, addr) = serving(&["listen", "127.0.0.1:0", "--count", "1", "--format", "hex"]);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"\x01\x02", addr).unwrap();
    assert_eq!(
        listen.line(),
        format!("{} 2 0102", tx.local_addr().unwrap())
    );
    listen.success();
}

#[test]
fn send_reaches_a_node_listener() {
    for (kind, host) in [("udp4", "127.0.0.1"), ("udp6", "[::1]")] {
        let mut peer = Child::spawn(&mut node("udp_peer.js", &["echo", kind]));
        let port = peer.expect("port ");
        let out = dgram(&["send", &format!("{host}:{port}"), "hi there"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = peer.expect("got ");
        assert!(
            got.starts_with(&format!("{} from ", hex(b"hi there"))),
            "{got}"
        );
        peer.success();
    }
}

#[test]
fn echo_answers_a_node_client() {
    let (echo, addr) = serving(&["echo", "127.0.0.1:0", "--count", "1"]);
    let mut client = Child::spawn(&mut node(
        "udp_peer.js",
        &[
            "request",
            "udp4",
            &addr.port().to_string(),
            &hex(b"echo me"),
        ],
    ));
    client.expect("sent from ");
    assert_eq!(
        client.line(),
        format!("reply {} from {}", hex(b"echo me"), addr.port())
    );
    client.success();
    echo.success();
}

#[test]
fn send_wait_reply_against_dgram_echo_with_stdin_lines() {
    let (_echo, addr) = serving(&["echo", "127.0.0.1:0"]);
    let mut c = dgram(&[
        "send",
        &addr.to_string(),
        "--wait-reply",
        "--connect",
        "--from",
        "127.0.0.1:0",
        "--repeat",
        "2",
    ]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"one\ntwo\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let want: Vec<String> = ["one", "one", "two", "two"]
        .iter()
        .map(|m| format!("{addr} 3 {m}"))
        .collect();
    assert_eq!(lines, want);
}

#[test]
fn send_wait_reply_takes_a_timeout_of_any_length() {
    // A timeout past the clock's range waits without end (it overflowed `Instant` and panicked).
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let addr = peer.local_addr().unwrap().to_string();
    for timeout in ["18446744073709551615s", "500000000000years"] {
        let child = dgram(&["send", &addr, "ping", "--wait-reply", "--timeout", timeout])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        peer.send_to(b"pong", from).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{timeout}: {err}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{addr} 4 pong\n")
        );
    }
}

#[test]
fn send_wait_reply_times_out_with_one_line() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let out = dgram(&[
        "send",
        &silent.local_addr().unwrap().to_string(),
        "x",
        "--wait-reply",
        "--timeout",
        "200ms",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "dgram: no reply within 200ms\n"
    );
}

#[test]
fn errors_are_one_line_and_nonzero() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let cases: [(&[&str], &str); 8] = [
        (&["listen", &taken], "Address already in use"),
        (&["listen", "not-an-address"], "cannot bind not-an-address"),
        (&["send", "127.0.0.1:0", "x"], "port 0"),
        (&["send", "127.0.0.1:9", "x", "--ttl", "0"], "--ttl 0"),
        (
            &["send", "no-such-host.invalid:9", "x"],
            "bad address no-such-host.invalid:9",
        ),
        // A scope by name is read (the send then fails: loopback has no link-local route) ...
        (
            &["send", "[fe80::1%lo]:9", "x"],
            "cannot send to [fe80::1%lo]:9",
        ),
        // ... and brackets hold IPv6 addresses only, with a port of digits
        (&["send", "[127.0.0.1]:9", "x"], "bad address [127.0.0.1]:9"),
        (&["send", "[::1%lo]:+9", "x"], "bad address [::1%lo]:+9"),
    ];
    for (args, needle) in cases {
        let out = dgram(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("dgram: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn listen_exits_cleanly_on_ctrl_c() {
    let (listen, _addr) = serving(&["listen", "127.0.0.1:0"]);
    interrupt_cleanly(listen);
}

/// Sends `child` SIGINT through kill(1), as a terminal's Ctrl-C would deliver it; it must exit 0.
/// Returns what it wrote to stderr.
fn interrupt_cleanly(child: Child) -> String {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let (status, err) = child.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    err
}

#[test]
fn listen_on_a_unix_path_prints_and_removes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listen.sock");
    let spec = format!("unix:{}", path.display());
    let mut listen = Child::spawn(&mut dgram(&["listen", &spec, "--count", "2"]));
    assert_eq!(listen.line(), format!("listening on {spec}"));
    assert!(path.exists());
    let named = datagrams::UnixDatagram::bind(dir.path().join("client.sock")).unwrap();
    named.send_to(b"from a path", &path).unwrap();
    assert_eq!(
        listen.line(),
        format!(
            "unix:{} 11 from a path",
            dir.path().join("client.sock").display()
        )
    );
    let unnamed = datagrams::UnixDatagram::unbound().unwrap();
    unnamed.send_to(b"anon", &path).unwrap();
    assert_eq!(listen.line(), "unix: 4 anon");
    listen.success();
    assert!(!path.exists(), "listen removes the socket file it created");
}

#[test]
fn unix_echo_and_send_wait_reply_over_abstract_names() {
    let name = format!("unix:@datagrams-cli-test-{}", std::process::id());
    let mut echo = Child::spawn(&mut dgram(&["echo", &name, "--count", "1"]));
    assert_eq!(echo.line(), format!("listening on {name}"));
    assert_eq!(
        wait_reply(&name, "round trip"),
        format!("{name} 10 round trip\n")
    );
    echo.success();
}

/// `dgram send DEST TEXT --wait-reply`, which must succeed; returns what it printed.
fn wait_reply(dest: &str, text: &str) -> String {
    let out = dgram(&["send", dest, text, "--wait-reply"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_unix_sender_that_never_reads_cannot_stop_the_echo() {
    let name = format!("unix:@datagrams-cli-echo-flood-{}", std::process::id());
    let mut echo = Child::spawn(&mut dgram(&["echo", &name]));
    assert_eq!(echo.line(), format!("listening on {name}"));
    let to = datagrams::UnixAddr::from_abstract_name(&name.as_bytes()[6..]).unwrap();
    // Far more datagrams than an unread Unix socket queues (net.unix.max_dgram_qlen): a waiting
    // reply would block the echo here for good.
    let flooder = datagrams::UnixDatagram::bind(
        datagrams::UnixAddr::from_abstract_name(format!(
            "datagrams-cli-flooder-{}",
            std::process::id()
        ))
        .unwrap(),
    )
    .unwrap();
    // bounded: an echo stuck on a reply would stop reading, and these sends would wait for it
    flooder.set_write_timeout(Some(common::PATIENCE)).unwrap();
    for i in 0..200u32 {
        flooder.send_to(&i.to_be_bytes(), to).unwrap();
    }
    // Another client still gets its reply.
    assert_eq!(
        wait_reply(&name, "still here"),
        format!("{name} 10 still here\n")
    );
    // and Ctrl-C stops it
    let err = interrupt_cleanly(echo);
    assert!(err.contains("dropped: it is not reading"), "{err}");
    // The replies that fit the flooder's queue arrived, in order.
    let mut buf = [0u8; 8];
    let mut i = 0u32;
    while let Ok(n) = flooder.try_recv(&mut buf) {
        assert_eq!(&buf[..n], &i.to_be_bytes());
        i += 1;
    }
    assert!(i > 0 && i < 200, "{i} replies queued");
}

#[test]
fn a_sender_name_cannot_forge_lines_and_prints_as_it_reads_back() {
    let name = format!("unix:@datagrams-cli-forge-{}", std::process::id());
    let mut listen = Child::spawn(&mut dgram(&["listen", &name, "--count", "1"]));
    assert_eq!(listen.line(), format!("listening on {name}"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x\nfake 3 spoof");
    let client = datagrams::UnixDatagram::bind(&path).unwrap();
    let to: datagrams::UnixAddr = name.parse().unwrap();
    client.send_to(b"hi", to).unwrap();
    let printed = format!("unix:{}\\nfake 3 spoof", dir.path().join("x").display());
    assert_eq!(listen.line(), format!("{printed} 2 hi"));
    let (status, rest) = listen.finish();
    assert!(status.success(), "{rest}");
    // what was printed names the sender: a reply sent to it arrives
    run_ok(dgram(&["send", &printed, "back"]));
    let mut buf = [0u8; 8];
    client.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"back");
}

#[test]
fn unix_errors_are_one_line() {
    let name = format!("unix:@datagrams-cli-errors-{}", std::process::id());
    let cases: [(&[&str], &str); 6] = [
        (
            &["listen", "unix:/no/such/dir/x.sock"],
            "cannot bind unix:/no/such/dir/x.sock",
        ),
        (&["send", "unix:@x", "hi", "--ttl", "3"], "apply to UDP"),
        (
            &["send", "unix:/no/such/dir/x.sock", "hi"],
            "No such file or directory (os error 2): no socket is bound there (`dgram listen \
             unix:/no/such/dir/x.sock` binds one)",
        ),
        (
            &["send", &name, "hi"],
            "Connection refused (os error 111): no socket is bound there",
        ),
        // refused before the `listening on` line: nothing is said to be listening
        (&["listen", &name, "--errors"], "--errors applies to UDP"),
        (&["echo", &name, "--errors"], "--errors applies to UDP"),
    ];
    for (args, needle) in cases {
        let out = dgram(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
    }
}

#[test]
fn closed_stdout_ends_listen_quietly() {
    use std::io::BufRead;
    use std::sync::mpsc;
    let mut child = dgram(&["listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        std::io::BufReader::new(out).read_line(&mut first).unwrap();
        // returning drops the read end of the pipe
        tx.send(first).unwrap();
    });
    let first = rx.recv_timeout(common::PATIENCE).unwrap();
    let addr: SocketAddr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"into the void", addr).unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || done_tx.send(child.wait_with_output()).unwrap());
    let output = done_rx
        .recv_timeout(common::PATIENCE)
        .expect("listen did not stop on a closed stdout")
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[path = "../../datagrams/tests/common/netns.rs"]
mod netns;

/// `dgram ARGS` run inside network namespace `ns`.
fn dgram_in(ns: &str, args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_dgram")])
        .args(args);
    c
}

/// Runs `cmd` to completion and asserts it succeeded.
fn run_ok(mut cmd: Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A send a packet filter drops (EPERM) is said to be the filter's doing, not a missing
/// --broadcast (which it said even with --broadcast given).
#[test]
fn send_refused_by_a_packet_filter_says_so() {
    let Some(net) = netns::TwoHosts::new("send_refused_by_a_packet_filter_says_so") else {
        return;
    };
    let nft = |rule: &str| {
        let out = Command::new("ip")
            .args(["netns", "exec", &net.a, "nft", rule])
            .output()
            .unwrap();
        assert!(out.status.success(), "nft {rule}: {out:?}");
    };
    nft("add table inet dgramtest");
    nft("add chain inet dgramtest out { type filter hook output priority 0; }");
    nft("add rule inet dgramtest out udp dport 9 drop");
    for extra in [&[][..], &["--broadcast"][..]] {
        let mut args = vec!["send", "192.0.2.2:9", "x"];
        args.extend(extra);
        let out = dgram_in(&net.a, &args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("a packet filter on this host refused it") && !err.contains("--broadcast"),
            "{args:?}: {err}"
        );
    }
}

/// Starts `dgram listen GROUP:0 --join ... --count 1` on host `ns`; returns it and the port it bound.
fn join_listener(ns: &str, group: &str, extra: &[&str]) -> (Child, String) {
    let mut args = vec![
        "listen", group, "--join", "--iface", "veth0", "--count", "1",
    ];
    args.extend_from_slice(extra);
    let mut listen = Child::spawn(&mut dgram_in(ns, &args));
    let line = listen.expect("listening on 0.0.0.0:");
    assert!(
        line.ends_with(&format!("(joined {})", group.split(':').next().unwrap())),
        "{line}"
    );
    let port = line.split_whitespace().next().unwrap().to_string();
    (listen, port)
}

#[test]
fn send_takes_a_link_local_scope_by_name() {
    let Some(net) = netns::TwoHosts::new("send_takes_a_link_local_scope_by_name") else {
        return;
    };
    // link-local addresses usable at once (no duplicate detection)
    for (ns, a) in [(&net.a, "fe80::1/64"), (&net.b, "fe80::2/64")] {
        let ok = Command::new("ip")
            .args(["-n", ns, "-6", "addr", "add", a, "dev", "veth0", "nodad"])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let mut listen = Child::spawn(&mut dgram_in(&net.b, &["listen", "[::]:0", "--count", "1"]));
    let port = listen
        .expect("listening on [::]:")
        .trim_start_matches("listening on [::]:")
        .to_string();
    // Node's form: the interface by name after `%`; std's parser takes only an index there
    run_ok(dgram_in(
        &net.a,
        &["send", &format!("[fe80::2%veth0]:{port}"), "scoped"],
    ));
    let got = listen.line();
    assert!(
        // the sender's scope by its interface's name, as `send` takes it back
        got.starts_with("[fe80::1%veth0]:") && got.ends_with(" 6 scoped"),
        "{got}"
    );
    listen.success();
    // an interface that does not exist is a clear one-line error
    let out = dgram_in(&net.a, &["send", &format!("[fe80::2%nosuch0]:{port}"), "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "dgram: bad address [fe80::2%nosuch0]:{port}: no interface nosuch0 on this host"
        )) && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn listen_join_and_send_multicast_between_hosts() {
    let Some(net) = netns::TwoHosts::new("listen_join_and_send_multicast_between_hosts") else {
        return;
    };
    let send = |group: &str, port: &str, text: &str, from: &str, extra: &[&str]| {
        let dest = format!("{group}:{port}");
        let mut args = vec![
            "send",
            &dest,
            text,
            "--from",
            from,
            "--multicast-iface",
            "veth0",
        ];
        args.extend_from_slice(extra);
        run_ok(dgram_in(&net.a, &args));
    };

    let (mut listen, port) = join_listener(&net.b, "239.1.2.3:0", &[]);
    send(
        "239.1.2.3",
        &port,
        "to the group",
        "192.0.2.1:0",
        &["--ttl", "1"],
    );
    let got = listen.line();
    assert!(
        got.starts_with("192.0.2.1:") && got.ends_with(" 12 to the group"),
        "{got}"
    );
    listen.success();

    // source-specific: only 192.0.2.1 is heard; 192.0.2.3's datagram goes first and never shows
    let (mut listen, port) = join_listener(&net.b, "239.1.2.4:0", &["--source", "192.0.2.1"]);
    send("239.1.2.4", &port, "from three", "192.0.2.3:0", &[]);
    send("239.1.2.4", &port, "from one", "192.0.2.1:0", &[]);
    let got = listen.line();
    assert!(
        got.starts_with("192.0.2.1:") && got.ends_with(" 8 from one"),
        "{got}"
    );
    listen.success();
}

#[test]
fn echo_errors_prints_the_error_queue() {
    let (mut echo, addr) = serving(&["echo", "127.0.0.1:0", "--errors", "--count", "2"]);
    // a sender that will not take the reply: connected to another peer, it matches only that
    // peer's datagrams, so the reply finds no socket and draws an ICMP port unreachable
    let deaf = UdpSocket::bind("127.0.0.1:0").unwrap();
    deaf.connect("127.0.0.1:9").unwrap();
    let gone_addr = deaf.local_addr().unwrap();
    deaf.send_to(b"bye", addr).unwrap();
    let line = echo.line();
    assert!(
        line.starts_with(&format!("error for datagram to {gone_addr}: "))
            && line.contains("type 3 code 3"),
        "{line}"
    );
    // and the echo goes on serving
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(common::PATIENCE)).unwrap();
    client.send_to(b"still here", addr).unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = client.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still here");
    echo.success();
}

// ---- issue 16: what operators missed ----

/// Runs `dgram ARGS` with `stdin` and returns (exit code, stdout, stderr).
fn run_with_stdin(args: &[&str], stdin: &[u8]) -> (Option<i32>, Vec<u8>, String) {
    use std::io::Write;
    let mut child = dgram(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A UDP receiver on loopback with a bounded wait.
fn receiver() -> (UdpSocket, String) {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let addr = rx.local_addr().unwrap().to_string();
    (rx, addr)
}

fn recv_one(rx: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 70_000];
    let n = rx.recv(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn every_help_ends_with_examples() {
    for cmd in ["listen", "send", "echo"] {
        let out = dgram(&[cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        let at = help
            .rfind("\nEXAMPLES:\n")
            .unwrap_or_else(|| panic!("{cmd}: {help}"));
        let examples = &help[at..];
        assert!(
            examples.contains(&format!("  dgram {cmd} ")),
            "{cmd}: {examples}"
        );
        assert!(!examples.contains("Options:"), "{cmd}: {examples}");
    }
}

#[test]
fn send_file_split_hex_and_raw_stdin_keep_every_byte() {
    let (rx, addr) = receiver();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload");
    let payload: Vec<u8> = (0..768u32).map(|i| (i % 256) as u8).collect();
    std::fs::write(&file, &payload).unwrap();
    let f = file.to_str().unwrap();

    let (code, _, err) = run_with_stdin(&["send", &addr, "--file", f], b"");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), payload);

    let (code, _, err) = run_with_stdin(&["send", &addr, "--file", f, "--split", "500"], b"");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), &payload[..500]);
    assert_eq!(recv_one(&rx), &payload[500..]);

    let (code, _, err) = run_with_stdin(&["send", &addr, "--hex", "00ff0a", "41 42"], b"");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), b"\x00\xff\x0a");
    assert_eq!(recv_one(&rx), b"AB");

    let (code, _, err) = run_with_stdin(&["send", &addr, "--hex"], b"0102\nff\n");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), b"\x01\x02");
    assert_eq!(recv_one(&rx), b"\xff");

    let raw = b"line one\r\nline two\n\x00\xff";
    let (code, _, err) = run_with_stdin(&["send", &addr, "--stdin-raw"], raw);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), raw);
}

#[test]
fn a_file_too_large_is_refused_naming_the_limit() {
    let (_rx, addr) = receiver();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big");
    std::fs::write(&file, vec![7u8; 70_000]).unwrap();
    let (code, _, err) = run_with_stdin(&["send", &addr, "--file", file.to_str().unwrap()], b"");
    assert_eq!(code, Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("70000 bytes is too large")
            && err.contains("at most 65507 bytes")
            && err.contains("--split N"),
        "{err}"
    );
    // A device that never ends is read no further than any datagram could be.
    let (code, _, err) = run_with_stdin(&["send", &addr, "--file", "/dev/zero"], b"");
    assert_eq!(code, Some(1));
    assert_eq!(
        err.trim_end(),
        "dgram: /dev/zero is larger than any datagram (67108864 bytes read and more left): send \
         it in parts with --split N"
    );
    let (code, _, err) = run_with_stdin(&["send", &addr, "--hex", "abc"], b"");
    assert_eq!(code, Some(1));
    assert!(err.contains("bad hex \"abc\""), "{err}");
}

#[test]
fn error_messages_give_the_fix() {
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["listen", "5353"],
            &[
                "cannot bind 5353: expected HOST:PORT",
                "0.0.0.0:5353",
                "[::]:5353",
            ],
        ),
        (
            &["send", "127.255.255.255:9", "x"],
            &["cannot send to 127.255.255.255:9", "add --broadcast"],
        ),
        (
            &["send", "[ff02::1%nosuch0]:9", "x"],
            &["bad address [ff02::1%nosuch0]:9: no interface nosuch0 on this host"],
        ),
        (
            &["send", "unix:@dgram-test-x", "x", "--from", "127.0.0.1:0"],
            &[
                "--from 127.0.0.1:0 is an IP address",
                "is a Unix address",
                "the kinds differ",
            ],
        ),
        (
            &["send", "127.0.0.1:9", "x", "--split", "3"],
            &["--split applies to --file or --stdin-raw"],
        ),
    ];
    for (args, needles) in cases {
        let out = dgram(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: {err}");
        }
    }
    // A Unix path that exists (a socket file left behind by a program that ended).
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("stale.sock");
    std::fs::write(&stale, b"").unwrap();
    let addr = format!("unix:{}", stale.display());
    let out = dgram(&["listen", &addr]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot bind {addr}"))
            && err.contains(&format!("{} exists; remove it", stale.display())),
        "{err}"
    );
    assert!(stale.exists(), "the file is not ours to remove");
    // A privileged port, as a user without the capability.
    if !common::root_or_skip("error_messages_give_the_fix (privileged port)") {
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_dgram"))
        .args(["listen", "127.0.0.1:80"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot bind 127.0.0.1:80")
            && err.contains("a port below 1024 needs root or CAP_NET_BIND_SERVICE"),
        "{err}"
    );
}

#[test]
fn listen_raw_output_file_idle_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.bin");
    let (listen, addr) = serving(&[
        "listen",
        "127.0.0.1:0",
        "--format",
        "raw",
        "--output",
        file.to_str().unwrap(),
        "--idle",
        "300ms",
    ]);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"\x00one\n", addr).unwrap();
    tx.send_to(b"\xfftwo", addr).unwrap();
    let (status, err) = listen.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(err, "dgram: received 2, truncated 0, dropped 0\n");
    assert_eq!(std::fs::read(&file).unwrap(), b"\x00one\n\xfftwo");
}

/// `--format raw` on standard output: the payload bytes and nothing else; the `listening on` line
/// goes to standard error.
#[test]
fn listen_raw_on_stdout_is_payload_bytes_only() {
    use std::io::BufRead;
    // (--idle: a listen that never says where it listens ends, and the test with it.)
    let mut child = dgram(&[
        "listen",
        "127.0.0.1:0",
        "--format",
        "raw",
        "--count",
        "2",
        "--idle",
        "3s",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let addr: SocketAddr = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .parse()
        .unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"\x00one\n", addr).unwrap();
    tx.send_to(b"\xfftwo", addr).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"\x00one\n\xfftwo");
}

#[test]
fn listen_timestamps_in_text_and_json() {
    let (mut listen, addr) = serving(&[
        "listen",
        "127.0.0.1:0",
        "--count",
        "2",
        "--timestamps",
        "--format",
        "json",
    ]);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"t", addr).unwrap();
    let v: serde_json::Value = serde_json::from_str(&listen.line()).unwrap();
    let t = v["time"].as_str().unwrap();
    assert!(humantime_like(t), "{t}");
    tx.send_to(b"u", addr).unwrap();
    listen.line();
    listen.success();

    let (mut listen, addr) = serving(&["listen", "127.0.0.1:0", "--count", "1", "--timestamps"]);
    tx.send_to(b"hi", addr).unwrap();
    let l = listen.line();
    let (time, rest) = l.split_once(' ').unwrap();
    assert!(humantime_like(time), "{l}");
    assert_eq!(rest, format!("{} 2 hi", tx.local_addr().unwrap()));
    listen.success();

    // Unix sockets too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ts.sock");
    let mut listen = Child::spawn(&mut dgram(&[
        "listen",
        &format!("unix:{}", path.display()),
        "--count",
        "1",
        "--timestamps",
    ]));
    listen.expect("listening on ");
    let client = std::os::unix::net::UnixDatagram::unbound().unwrap();
    client.send_to(b"hi", &path).unwrap();
    let l = listen.line();
    let (time, rest) = l.split_once(' ').unwrap();
    assert!(humantime_like(time), "{l}");
    assert_eq!(rest, "unix: 2 hi");
    listen.success();
}

/// `2026-01-02T03:04:05.123456789Z`: RFC 3339 in UTC with nanoseconds.
fn humantime_like(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 30 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[29] == b'Z'
}

#[test]
fn echo_returns_a_large_unix_datagram_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let addr = format!("unix:{}", path.display());
    let mut echo = Child::spawn(&mut dgram(&["echo", &addr, "--count", "1"]));
    echo.expect("listening on ");
    let client = std::os::unix::net::UnixDatagram::bind(dir.path().join("client.sock")).unwrap();
    client.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    client.send_to(&payload, &path).unwrap();
    let mut buf = vec![0u8; 200_000];
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(n, payload.len());
    assert_eq!(&buf[..n], &payload[..]);
    let (status, err) = echo.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(err, "dgram: received 1, truncated 0, dropped 0\n");
}

#[test]
fn listen_reports_the_kernels_drops() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines");
    let (listen, addr) = serving(&[
        "listen",
        "127.0.0.1:0",
        "--recv-buffer",
        "4096",
        "--idle",
        "300ms",
        "--output",
        file.to_str().unwrap(),
    ]);
    let pid = listen.id().to_string();
    // Stop the listener, and wait until the kernel says it is stopped.
    signal(&pid, "-STOP");
    wait_until("the listener stopped", || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        stat.rsplit_once(") ").unwrap().1.starts_with('T')
    });
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sent = 200u64;
    for _ in 0..sent {
        tx.send_to(&[b'x'; 512], addr).unwrap();
    }
    signal(&pid, "-CONT");
    // The kernel's count rides on datagrams queued after the drops: once the listener has emptied
    // its queue, this one carries it. (Drops with no datagram after them are read from
    // /proc/self/net/udp at exit.)
    wait_until("the listener read its queue", || {
        udp_rx_queue(addr.port()) == 0
    });
    tx.send_to(b"after", addr).unwrap();
    let sent = sent + 1;
    // It reads what the queue kept, then ends after 300 ms of silence.
    let (status, err) = listen.finish();
    assert_eq!(status.code(), Some(0), "{err}");
    let got = std::fs::read_to_string(&file).unwrap().lines().count() as u64;
    let summary = err.lines().last().unwrap();
    let dropped: u64 = summary
        .strip_prefix(&format!("dgram: received {got}, truncated 0, dropped "))
        .unwrap_or_else(|| panic!("{err}"))
        .parse()
        .unwrap();
    assert!(dropped > 0, "{err}");
    assert_eq!(got + dropped, sent, "{err}");
    assert!(
        err.starts_with(&format!(
            "dgram: the kernel dropped {dropped} datagrams (receive queue full; {dropped} in all)\n"
        )),
        "{err}"
    );
}

/// The bytes queued for the UDP socket bound on loopback `port`, as `/proc/net/udp` shows them.
fn udp_rx_queue(port: u16) -> u64 {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap();
    let local = format!("0100007F:{port:04X}");
    let row = table
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(local.as_str()))
        .unwrap_or_else(|| panic!("no socket {local} in {table}"));
    let queues = row.split_whitespace().nth(4).unwrap();
    u64::from_str_radix(queues.split_once(':').unwrap().1, 16).unwrap()
}

/// Polls `ready` until it holds; fails naming `what` after [`common::PATIENCE`] (a bound on the
/// wait, not a measurement).
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + common::PATIENCE;
    while !ready() {
        if std::time::Instant::now() >= deadline {
            panic!("waited {:?} for: {what}", common::PATIENCE);
        }
        std::thread::yield_now();
    }
}

/// `--ttl` holds for an IPv4 destination sent from a dual-stack IPv6 socket (`--from [::]:0`) too.
#[test]
fn send_ttl_reaches_ipv4_from_a_dual_stack_socket() {
    let rx = datagrams::UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_recv_ttl_v4(true).unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let to = rx.local_addr().unwrap().to_string();
    for from in ["127.0.0.1:0", "[::]:0"] {
        let out = dgram(&["send", &to, "hop", "--from", from, "--ttl", "3"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{from}: {out:?}");
        let meta = rx.recv_msg(&mut [0u8; 8]).unwrap();
        assert_eq!((meta.len, meta.ttl), (3, Some(3)), "--from {from}");
    }
}

/// `--multicast-iface` holds for an IPv4 group sent to from a dual-stack IPv6 socket
/// (`--from [::]:0`) too. (`--multicast-loop` is set on both levels alike, but `lo` delivers what
/// is sent out of it either way, so it is not tested here.)
#[test]
fn send_multicast_iface_reaches_ipv4_from_a_dual_stack_socket() {
    let group = std::net::Ipv4Addr::new(239, 255, 70, 79);
    let lo = datagrams::Interface::Name("lo".into());
    let rx = datagrams::UdpSocket::bind("0.0.0.0:0").unwrap();
    rx.join_multicast_v4_n(group, &lo).unwrap();
    rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let to = format!("{group}:{}", rx.local_addr().unwrap().port());
    for from in ["0.0.0.0:0", "[::]:0"] {
        let out = dgram(&["send", &to, "hi", "--from", from, "--multicast-iface", "lo"])
            .output()
            .unwrap();
        // Without IP_MULTICAST_IF the group goes by the routing table: out of another
        // interface, or nowhere (ENETUNREACH) on a host without a default route.
        assert!(out.status.success(), "--from {from}: {out:?}");
        assert_eq!(
            rx.recv(&mut [0u8; 8]).ok(),
            Some(2),
            "--from {from}: sent out of lo"
        );
    }
}

/// A host name is resolved once per `send`, not once per datagram (`--repeat 200000` made as many
/// lookups). Counted as the opens of /etc/hosts under strace; skipped where strace is missing.
#[test]
fn send_resolves_a_host_name_once() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = format!("localhost:{}", rx.local_addr().unwrap().port());
    let out = match Command::new("strace")
        .args(["-f", "-e", "trace=openat,open", "--"])
        .arg(env!("CARGO_BIN_EXE_dgram"))
        .args(["send", &to, "x", "--repeat", "20"])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("send_resolves_a_host_name_once: skipped, no strace ({e})");
            return;
        }
    };
    let trace = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && trace.contains("ptrace") {
        eprintln!("send_resolves_a_host_name_once: skipped, strace cannot trace here: {trace}");
        return;
    }
    assert!(out.status.success(), "{trace}");
    let lookups = trace
        .lines()
        .filter(|l| l.contains("\"/etc/hosts\""))
        .count();
    // One to pick the socket's family, one for the datagrams.
    assert!(
        (1..=2).contains(&lookups),
        "{lookups} lookups for 20 datagrams"
    );
}

#[test]
fn send_sets_tos_and_dscp_and_writes_replies_to_a_file() {
    for (host, args, want) in [
        ("127.0.0.1:0", ["--tos", "40"], 40u8),
        ("127.0.0.1:0", ["--dscp", "46"], 184),
        ("[::1]:0", ["--dscp", "10"], 40),
    ] {
        let rx = datagrams::UdpSocket::bind(host).unwrap();
        rx.set_read_timeout(Some(common::PATIENCE)).unwrap();
        match rx.family() {
            datagrams::Family::V4 => rx.set_recv_tos_v4(true).unwrap(),
            datagrams::Family::V6 => rx.set_recv_tclass_v6(true).unwrap(),
        }
        let addr = rx.local_addr().unwrap().to_string();
        let mut a = vec!["send", &addr, "marked"];
        a.extend_from_slice(&args);
        let (code, _, err) = run_with_stdin(&a, b"");
        assert_eq!(code, Some(0), "{err}");
        let mut buf = [0u8; 16];
        let m = rx.recv_msg(&mut buf).unwrap();
        assert_eq!(
            (&buf[..m.len], m.tos),
            (&b"marked"[..], Some(want)),
            "{args:?}"
        );
    }
    let (code, _, err) = run_with_stdin(&["send", "127.0.0.1:9", "x", "--dscp", "64"], b"");
    assert_eq!(code, Some(1));
    assert!(err.contains("--dscp 64: a DSCP is 0..=63"), "{err}");

    let (_echo, addr) = serving(&["echo", "127.0.0.1:0"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reply");
    let (code, out, err) = run_with_stdin(
        &[
            "send",
            &addr.to_string(),
            "--hex",
            "00ff",
            "--wait-reply",
            "--format",
            "raw",
            "--output",
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), b"\x00\xff");
}

#[test]
fn what_listen_prints_send_escaped_sends_back_byte_for_byte() {
    let payload = "\x00\u{ff}\\n\u{202e}\u{2028}\t"
        .as_bytes()
        .iter()
        .copied()
        .chain([0xff, 0xc3])
        .collect::<Vec<u8>>();
    let (mut listen, addr) = serving(&["listen", "127.0.0.1:0", "--count", "1"]);
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(&payload, addr).unwrap();
    let line = listen.line();
    listen.success();
    let prefix = format!("{} {} ", tx.local_addr().unwrap(), payload.len());
    let shown = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{line}"));
    assert_eq!(
        shown,
        "\\x00\u{ff}\\\\n\\xe2\\x80\\xae\\xe2\\x80\\xa8\\t\\xff\\xc3"
    );

    let (rx, to) = receiver();
    let (code, _, err) = run_with_stdin(&["send", &to, "--escaped", shown], b"");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), payload);
    let (code, _, err) =
        run_with_stdin(&["send", &to, "--escaped"], format!("{shown}\n").as_bytes());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recv_one(&rx), payload);
    let (code, _, err) = run_with_stdin(&["send", &to, "--escaped", "a\\q"], b"");
    assert_eq!(code, Some(1));
    assert!(err.contains("bad escape in \"a\\\\q\""), "{err}");
}

#[test]
fn listen_and_echo_print_the_summary_on_sigterm() {
    for cmd in ["listen", "echo"] {
        let (mut child, addr) =
            serving(&[cmd, "127.0.0.1:0", "--verbose"][..if cmd == "echo" { 3 } else { 2 }]);
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"one", addr).unwrap();
        assert_eq!(child.line(), format!("{} 3 one", tx.local_addr().unwrap()));
        signal(&child.id().to_string(), "-TERM");
        let (status, err) = child.finish();
        assert_eq!(status.code(), Some(0), "{cmd}: {err}");
        assert_eq!(err, "dgram: received 1, truncated 0, dropped 0\n", "{cmd}");
    }
}

/// Sends signal `sig` (`-TERM`, `-STOP`, ...) to process `pid` with kill(1).
fn signal(pid: &str, sig: &str) {
    let ok = Command::new("kill").args([sig, pid]).status().unwrap();
    assert!(ok.success(), "kill {sig} {pid}");
}
