//! `dgram send ADDR [MESSAGE...]`: send datagrams, optionally wait for replies.

use std::io::{BufRead, ErrorKind};
use std::time::{Duration, Instant};

use datagrams::Family;

use crate::endpoint::{Endpoint, Peer, is_unix};
use crate::output::{self, Format};

/// The end of `dgram send --help`.
const AFTER_HELP: &str = "EXAMPLES:
  dgram send 127.0.0.1:9000 hello             one datagram, \"hello\"
  printf 'a\\nb\\n' | dgram send [::1]:9000     one datagram per line of standard input
  dgram send 127.0.0.1:9000 --hex 00ff0a      the bytes 00 ff 0a
  dgram send 127.0.0.1:9000 --file img.png --split 1200
                                              a file in datagrams of 1200 bytes
  dgram send 10.0.0.255:9 --broadcast wake    to a broadcast address
  dgram send 127.0.0.1:53 --hex 0001 --wait-reply --timeout 1s
                                              wait for the answer and print it
  dgram send unix:@app ping --wait-reply      to an abstract Unix socket";

/// Arguments of `dgram send`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// Destination: HOST:PORT, unix:/path or unix:@abstract-name.
    addr: String,
    /// Messages, one datagram each; without any (and without --file or --stdin-raw), one datagram
    /// per line of standard input.
    messages: Vec<String>,
    /// Send the bytes of FILE: the whole file as one datagram, or --split N bytes per datagram.
    /// A file larger than a datagram may be is an error naming the limit, never cut.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["messages", "stdin_raw"])]
    file: Option<std::path::PathBuf>,
    /// With --file or --stdin-raw: send N bytes per datagram (the last one may be shorter).
    #[arg(long, value_name = "N")]
    split: Option<usize>,
    /// Send all of standard input, as it is, as one datagram (or --split N bytes per datagram).
    #[arg(long, conflicts_with = "messages")]
    stdin_raw: bool,
    /// MESSAGEs and lines of standard input are hex digits (`68690a` sends "hi\n").
    #[arg(long, conflicts_with_all = ["file", "stdin_raw", "escaped"])]
    hex: bool,
    /// MESSAGEs and lines of standard input use the escapes `listen` prints: `\\` for a backslash,
    /// `\n`, `\r`, `\t`, `\xNN` for any byte (`a\x00\xff` sends 61 00 ff).
    #[arg(long, conflicts_with_all = ["file", "stdin_raw"])]
    escaped: bool,
    /// Bind this local address first (HOST:PORT, or a unix: address for a Unix destination).
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// Allow sending to a broadcast address (SO_BROADCAST; UDP).
    #[arg(long)]
    broadcast: bool,
    /// Time-to-live (IPv4) or hop limit (IPv6) of the datagrams, in hops (UDP; multicast too).
    #[arg(long, value_name = "N")]
    ttl: Option<u32>,
    /// The TOS byte (IPv4 IP_TOS) or traffic class (IPv6 IPV6_TCLASS) of the datagrams, 0..=255
    /// (UDP).
    #[arg(long, value_name = "N", conflicts_with = "dscp")]
    tos: Option<u32>,
    /// The DSCP of the datagrams, 0..=63 (46 is EF): the TOS byte's upper six bits (UDP).
    #[arg(long, value_name = "N")]
    dscp: Option<u32>,
    /// Write the replies --wait-reply prints to FILE (created or emptied) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// Send multicast out of this interface (a name, an index, an IPv4 address, or ::%NAME).
    #[arg(long, value_name = "IF")]
    multicast_iface: Option<String>,
    /// Whether multicast sent comes back to this host's members (IP_MULTICAST_LOOP): true or false.
    #[arg(long, value_name = "BOOL")]
    multicast_loop: Option<bool>,
    /// Send each message N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u64,
    /// Pause between datagrams, e.g. 10ms or 1s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    interval: Option<Duration>,
    /// connect(2) to the destination and use send(2).
    #[arg(long)]
    connect: bool,
    /// After each datagram, wait for one reply from the destination and print it.
    #[arg(long)]
    wait_reply: bool,
    /// How long --wait-reply waits, e.g. 500ms.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "2s")]
    timeout: Duration,
    /// How a reply is printed.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    if args.split == Some(0) {
        return Err("--split must be at least 1 byte".into());
    }
    if args.split.is_some() && args.file.is_none() && !args.stdin_raw {
        return Err("--split applies to --file or --stdin-raw".into());
    }
    if let Some(from) = &args.from
        && is_unix(from) != is_unix(&args.addr)
    {
        let kind = |a: &str| {
            if is_unix(a) {
                "a Unix address"
            } else {
                "an IP address"
            }
        };
        return Err(format!(
            "--from {from} is {} but the destination {} is {}: the kinds differ; give both as \
             HOST:PORT or both as unix: addresses",
            kind(from),
            args.addr,
            kind(&args.addr)
        ));
    }
    if args.repeat == 0 {
        return Err("--repeat must be at least 1".into());
    }
    if args.wait_reply && args.timeout.is_zero() {
        return Err("--timeout must be above zero".into());
    }
    if is_unix(&args.addr)
        && (args.broadcast
            || args.ttl.is_some()
            || args.tos.is_some()
            || args.dscp.is_some()
            || args.multicast_iface.is_some()
            || args.multicast_loop.is_some())
    {
        return Err("--broadcast, --ttl, --tos, --dscp and the multicast options apply to UDP destinations, not Unix sockets".into());
    }
    let ep = match &args.from {
        Some(from) => Endpoint::bind(from)?,
        None => Endpoint::for_dest(&args.addr, args.wait_reply)?,
    };
    if let Some(udp) = ep.udp() {
        if args.broadcast {
            udp.set_broadcast(true).map_err(|e| e.to_string())?;
        }
        if let Some(ttl) = args.ttl {
            match udp.family() {
                Family::V4 => udp
                    .set_ttl(ttl)
                    .and_then(|()| udp.set_multicast_ttl_v4(ttl)),
                // A dual-stack socket may send IPv4 too: set both, as for --tos.
                Family::V6 => udp
                    .set_unicast_hops_v6(ttl)
                    .and_then(|()| udp.set_multicast_hops_v6(ttl))
                    .and_then(|()| udp.set_ttl(ttl).or(Ok(())))
                    .and_then(|()| udp.set_multicast_ttl_v4(ttl).or(Ok(()))),
            }
            .map_err(|e| format!("--ttl {ttl}: {e}"))?;
        }
        let tos = match (args.tos, args.dscp) {
            (_, Some(d)) if d > 63 => {
                return Err(format!("--dscp {d}: a DSCP is 0..=63 (six bits)"));
            }
            (_, Some(d)) => Some((d << 2, format!("--dscp {d}"))),
            (Some(t), None) => Some((t, format!("--tos {t}"))),
            (None, None) => None,
        };
        if let Some((tos, flag)) = tos {
            match udp.family() {
                Family::V4 => udp.set_tos_v4(tos),
                // A dual-stack socket may send IPv4 too: set both.
                Family::V6 => udp
                    .set_tclass_v6(tos)
                    .and_then(|()| udp.set_tos_v4(tos).or(Ok(()))),
            }
            .map_err(|e| format!("{flag}: {e}"))?;
        }
        if let Some(i) = &args.multicast_iface {
            let iface: datagrams::Interface =
                i.parse().map_err(|e| format!("bad interface {i}: {e}"))?;
            match udp.family() {
                Family::V4 => udp.set_multicast_interface_v4(&iface),
                // A dual-stack socket may send IPv4 too: set both; one of them may not apply
                // (an IPv4 address names no IPv6 interface).
                Family::V6 => match (
                    udp.set_multicast_interface_v6(&iface),
                    udp.set_multicast_interface_v4(&iface),
                ) {
                    (Err(e), Err(_)) => Err(e),
                    _ => Ok(()),
                },
            }
            .map_err(|e| format!("--multicast-iface {i}: {e}"))?;
        }
        if let Some(on) = args.multicast_loop {
            match udp.family() {
                Family::V4 => udp.set_multicast_loop_v4(on),
                Family::V6 => udp
                    .set_multicast_loop_v6(on)
                    .and_then(|()| udp.set_multicast_loop_v4(on).or(Ok(()))),
            }
            .map_err(|e| format!("--multicast-loop {on}: {e}"))?;
        }
    }
    if args.connect {
        ep.connect(&args.addr)?;
    }
    let mut sink = output::Sink::open(args.output.as_deref())?;
    if args.wait_reply {
        ep.set_read_timeout(args.timeout)
            .map_err(|e| e.to_string())?;
    }

    // Resolved once: a host name is not looked up again for every datagram.
    let dest = if args.connect {
        None
    } else {
        Some(ep.resolve(&args.addr)?)
    };
    let mut sent = 0u64;
    let mut send_one = |msg: &[u8]| -> Result<(), String> {
        for _ in 0..args.repeat {
            if sent > 0
                && let Some(pause) = args.interval
            {
                std::thread::sleep(pause);
            }
            match &dest {
                None => {
                    ep.send(msg)
                        .map_err(|e| ep.send_error(msg.len(), &args.addr, &e))?;
                }
                Some(to) => {
                    ep.send_to_dest(msg, to, &args.addr)?;
                }
            }
            sent += 1;
            if args.wait_reply {
                wait_reply(&ep, args.timeout, args.format, &mut sink)?;
            }
        }
        Ok(())
    };
    let source: Option<(Box<dyn std::io::Read>, String)> = match &args.file {
        Some(f) => {
            let file =
                std::fs::File::open(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            Some((Box::new(file), f.display().to_string()))
        }
        None if args.stdin_raw => {
            Some((Box::new(std::io::stdin().lock()), "standard input".into()))
        }
        None => None,
    };
    let decode = |m: &[u8]| -> Result<Vec<u8>, String> { payload(m, args.hex, args.escaped) };
    if let Some((mut input, name)) = source {
        let cant = |e: std::io::Error| format!("cannot read {name}: {e}");
        match args.split {
            // Streamed: a chunk at a time, so a file of any size (or a device) goes out as it is read.
            Some(n) => {
                let mut chunk = Vec::with_capacity(n);
                loop {
                    chunk.clear();
                    let got = std::io::Read::read_to_end(
                        &mut std::io::Read::take(&mut input, n as u64),
                        &mut chunk,
                    )
                    .map_err(cant)?;
                    if got == 0 {
                        break;
                    }
                    send_one(&chunk)?;
                }
            }
            // One datagram: no more than the largest any socket sends is read.
            None => {
                let mut all = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(&mut input, MAX_WHOLE as u64 + 1),
                    &mut all,
                )
                .map_err(cant)?;
                if all.len() > MAX_WHOLE {
                    return Err(format!(
                        "{name} is larger than any datagram ({MAX_WHOLE} bytes read and more \
                         left): send it in parts with --split N"
                    ));
                }
                send_one(&all)?;
            }
        }
    } else if args.messages.is_empty() {
        // Lines are bytes: standard input need not be UTF-8.
        for line in std::io::stdin().lock().split(b'\n') {
            let mut line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            send_one(&decode(&line)?)?;
        }
    } else {
        for m in &args.messages {
            send_one(&decode(m.as_bytes())?)?;
        }
    }
    Ok(())
}

/// The most bytes `--file`/`--stdin-raw` reads for one datagram: above any socket's limit (65,527
/// bytes for UDP; a Unix socket's send buffer, at most `net.core.wmem_max`), so that the send
/// reports the real limit, while a device such as /dev/zero cannot fill the memory.
const MAX_WHOLE: usize = 64 << 20;

/// The bytes that hex digits stand for (either case; spaces between bytes allowed).
fn unhex(s: &[u8]) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.iter().copied().filter(|b| *b != b' ').collect();
    let bad = || {
        format!(
            "bad hex {:?}: write two hex digits per byte, e.g. 68690a",
            String::from_utf8_lossy(s)
        )
    };
    if !digits.len().is_multiple_of(2) {
        return Err(bad());
    }
    digits
        .chunks(2)
        .map(|p| {
            let d = |b: u8| char::from(b).to_digit(16).ok_or_else(bad);
            // Two hex digits: at most 0xff.
            Ok((d(p[0])? * 16 + d(p[1])?) as u8)
        })
        .collect()
}

/// Waits for one reply from the peer (the connected one, or whoever answers first on an unconnected
/// socket whose destination we cannot compare, such as a host name) and prints it.
fn wait_reply(
    ep: &Endpoint,
    timeout: Duration,
    format: Format,
    sink: &mut output::Sink,
) -> Result<(), String> {
    let mut buf = vec![0u8; 65_536];
    // A timeout past the clock's range (years) never expires.
    let deadline = Instant::now().checked_add(timeout);
    let expected: Option<Peer> = ep.peer();
    loop {
        match ep.recv(&mut buf) {
            Ok(r) => {
                let (len, full_len, from) = (r.len, r.full_len, r.from);
                if expected.is_some_and(|p| p != from) {
                    // The kernel filters for connected sockets; this is belt and braces.
                    continue;
                }
                return match format {
                    Format::Raw => sink.bytes(&buf[..len]),
                    f => sink.line(&output::line(f, &from, &buf[..len], full_len)),
                };
            }
            Err(e)
                if e.kind() == ErrorKind::WouldBlock
                    || deadline.is_some_and(|d| Instant::now() >= d) =>
            {
                return Err(format!(
                    "no reply within {}",
                    humantime::format_duration(timeout)
                ));
            }
            Err(e) => return Err(format!("no reply: {e}")),
        }
    }
}

/// The bytes one MESSAGE or line stands for: hex digits with `--hex`, the escape grammar `listen`
/// prints with `--escaped`, else the bytes themselves.
fn payload(m: &[u8], hex: bool, escaped: bool) -> Result<Vec<u8>, String> {
    if hex {
        unhex(m)
    } else if escaped {
        let text = std::str::from_utf8(m).map_err(|_| {
            String::from("--escaped text must be UTF-8 (write other bytes as \\xNN)")
        })?;
        datagrams::unescape_bytes(text).map_err(|e| e.to_string())
    } else {
        Ok(m.to_vec())
    }
}
