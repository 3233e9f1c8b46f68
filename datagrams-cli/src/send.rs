//! `dgram send ADDR [MESSAGE...]`: send datagrams, optionally wait for replies.

use std::io::{BufRead, ErrorKind};
use std::time::{Duration, Instant};

use datagrams::Family;

use crate::endpoint::{Endpoint, Peer, is_unix, print_line};
use crate::output::{self, Format};

/// Arguments of `dgram send`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Destination: HOST:PORT, unix:/path or unix:@abstract-name.
    addr: String,
    /// Messages, one datagram each; without any, one datagram per line of standard input.
    messages: Vec<String>,
    /// Bind this local address first (HOST:PORT, or a unix: address for a Unix destination).
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// Allow sending to a broadcast address (SO_BROADCAST; UDP).
    #[arg(long)]
    broadcast: bool,
    /// Time-to-live (IPv4) or hop limit (IPv6) of the datagrams, in hops (UDP; multicast too).
    #[arg(long, value_name = "N")]
    ttl: Option<u32>,
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
    if args.repeat == 0 {
        return Err("--repeat must be at least 1".into());
    }
    if args.wait_reply && args.timeout.is_zero() {
        return Err("--timeout must be above zero".into());
    }
    if is_unix(&args.addr)
        && (args.broadcast
            || args.ttl.is_some()
            || args.multicast_iface.is_some()
            || args.multicast_loop.is_some())
    {
        return Err("--broadcast, --ttl and the multicast options apply to UDP destinations, not Unix sockets".into());
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
                Family::V6 => udp
                    .set_unicast_hops_v6(ttl)
                    .and_then(|()| udp.set_multicast_hops_v6(ttl)),
            }
            .map_err(|e| format!("--ttl {ttl}: {e}"))?;
        }
        if let Some(i) = &args.multicast_iface {
            let iface: datagrams::Interface =
                i.parse().map_err(|e| format!("bad interface {i}: {e}"))?;
            match udp.family() {
                Family::V4 => udp.set_multicast_interface_v4(&iface),
                Family::V6 => udp.set_multicast_interface_v6(&iface),
            }
            .map_err(|e| format!("--multicast-iface {i}: {e}"))?;
        }
        if let Some(on) = args.multicast_loop {
            match udp.family() {
                Family::V4 => udp.set_multicast_loop_v4(on),
                Family::V6 => udp.set_multicast_loop_v6(on),
            }
            .map_err(|e| format!("--multicast-loop {on}: {e}"))?;
        }
    }
    if args.connect {
        ep.connect(&args.addr)?;
    }
    if args.wait_reply {
        ep.set_read_timeout(args.timeout)
            .map_err(|e| e.to_string())?;
    }

    let mut sent = 0u64;
    let mut send_one = |msg: &[u8]| -> Result<(), String> {
        for _ in 0..args.repeat {
            if sent > 0
                && let Some(pause) = args.interval
            {
                std::thread::sleep(pause);
            }
            if args.connect {
                ep.send(msg)
                    .map_err(|e| format!("cannot send to {}: {e}", args.addr))?;
            } else {
                ep.send_to_str(msg, &args.addr)?;
            }
            sent += 1;
            if args.wait_reply {
                wait_reply(&ep, args.timeout, args.format)?;
            }
        }
        Ok(())
    };
    if args.messages.is_empty() {
        // Lines are bytes: standard input need not be UTF-8.
        for line in std::io::stdin().lock().split(b'\n') {
            let mut line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            send_one(&line)?;
        }
    } else {
        for m in &args.messages {
            send_one(m.as_bytes())?;
        }
    }
    Ok(())
}

/// Waits for one reply from the peer (the connected one, or whoever answers first on an unconnected
/// socket whose destination we cannot compare, such as a host name) and prints it.
fn wait_reply(ep: &Endpoint, timeout: Duration, format: Format) -> Result<(), String> {
    let mut buf = vec![0u8; 65_536];
    // A timeout past the clock's range (years) never expires.
    let deadline = Instant::now().checked_add(timeout);
    let expected: Option<Peer> = ep.peer();
    loop {
        match ep.recv(&mut buf) {
            Ok((len, full_len, from)) => {
                if expected.is_some_and(|p| p != from) {
                    // The kernel filters for connected sockets; this is belt and braces.
                    continue;
                }
                return print_line(&output::line(format, &from, &buf[..len], full_len));
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
