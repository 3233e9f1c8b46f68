//! `dgram send ADDR [MESSAGE...]`: send datagrams, optionally wait for replies.

use std::io::{BufRead, ErrorKind};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use dgram::{Family, UdpSocket};

use crate::output::{self, Format};

/// Arguments of `dgram send`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Destination, HOST:PORT.
    addr: String,
    /// Messages, one datagram each; without any, one datagram per line of standard input.
    messages: Vec<String>,
    /// Bind this local address first, HOST:PORT.
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// Allow sending to a broadcast address (SO_BROADCAST).
    #[arg(long)]
    broadcast: bool,
    /// Time-to-live (IPv4) or hop limit (IPv6) of the datagrams, in hops.
    #[arg(long, value_name = "N")]
    ttl: Option<u32>,
    /// Send each message N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u64,
    /// Pause between datagrams, e.g. 10ms or 1s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    interval: Option<Duration>,
    /// connect(2) to the destination and use send(2).
    #[arg(long)]
    connect: bool,
    /// After each datagram, wait for one reply and print it.
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
    let dest = resolve(&args.addr)?;
    let sock = match &args.from {
        Some(from) => {
            UdpSocket::bind(from.as_str()).map_err(|e| format!("cannot bind {from}: {e}"))?
        }
        None => UdpSocket::unbound(Family::of(&dest)).map_err(|e| e.to_string())?,
    };
    if args.broadcast {
        sock.set_broadcast(true).map_err(|e| e.to_string())?;
    }
    if let Some(ttl) = args.ttl {
        match sock.family() {
            Family::V4 => sock.set_ttl(ttl),
            Family::V6 => sock.set_unicast_hops_v6(ttl),
        }
        .map_err(|e| format!("--ttl {ttl}: {e}"))?;
    }
    if args.connect {
        sock.connect(dest)
            .map_err(|e| format!("cannot connect to {dest}: {e}"))?;
    }
    if args.wait_reply {
        if args.timeout.is_zero() {
            return Err("--timeout must be above zero".into());
        }
        sock.set_read_timeout(Some(args.timeout))
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
            let r = if args.connect {
                sock.send(msg)
            } else {
                sock.send_to(msg, dest)
            };
            r.map_err(|e| format!("cannot send to {dest}: {e}"))?;
            sent += 1;
            if args.wait_reply {
                wait_reply(&sock, args.timeout, args.format)?;
            }
        }
        Ok(())
    };
    if args.messages.is_empty() {
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| format!("cannot read standard input: {e}"))?;
            send_one(line.as_bytes())?;
        }
    } else {
        for m in &args.messages {
            send_one(m.as_bytes())?;
        }
    }
    Ok(())
}

fn resolve(addr: &str) -> Result<SocketAddr, String> {
    addr.to_socket_addrs()
        .map_err(|e| format!("bad address {addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("bad address {addr}: it resolves to nothing"))
}

fn wait_reply(sock: &UdpSocket, timeout: Duration, format: Format) -> Result<(), String> {
    let mut buf = vec![0u8; 65_536];
    let start = Instant::now();
    loop {
        match sock.recv_msg(&mut buf) {
            Ok(meta) => {
                println!(
                    "{}",
                    output::line(format, &meta.addr, &buf[..meta.len], meta.full_len)
                );
                return Ok(());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted && start.elapsed() < timeout => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Err(format!(
                    "no reply within {}",
                    humantime::format_duration(timeout)
                ));
            }
            Err(e) => return Err(format!("no reply: {e}")),
        }
    }
}
