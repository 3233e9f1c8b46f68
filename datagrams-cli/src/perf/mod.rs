//! `dgram perf`: measure the datagram path, over loopback (both ends in one process) or between
//! a client and a server.
//!
//! A sender thread sends datagrams of `--len` bytes as fast as it can (or at `--rate`), for
//! `--time` or until `--bytes` are sent: with UDP GSO (`UDP_SEGMENT`, 64 datagrams per
//! `sendmsg`) by default, in `sendmmsg` batches with `--no-gso`. A receiver reads them with UDP
//! GRO and `recvmmsg` batches (`--no-gro` to compare). Every datagram starts with a 20-byte header
//! (sequence number, send time in nanoseconds since the run's start, stream id, all
//! little-endian) from which the receiver counts loss, reordering, duplicates and the
//! interarrival jitter of RFC 3550 section 6.4.1. The receiver's kernel drop counter
//! (`SO_RXQ_OVFL`) is printed beside the measured loss.
//!
//! Paths: UDP over IPv4 or IPv6 (`--ipv6` on loopback; the address's family otherwise), or Unix
//! datagram sockets (`--unix` on loopback, socket pairs; a path given to `--server`/`--client`).
//! GSO and GRO are UDP's: over Unix the datagrams go in `sendmmsg`/`recvmmsg` batches, and
//! nothing is dropped: a full queue blocks the sender.
//!
//! `--parallel N` runs N streams, each with its own socket and thread at both ends (`streams.rs`);
//! the report sums them per interval and gives each stream's totals at the end. Pacing is the
//! kernel's or the sender's (`pacing.rs`). `--server`/`--client` run the two ends in two processes
//! or hosts, and `--reverse` makes the server the sender; the control exchange, and how the
//! server's streams share one port, are described in `control.rs` (JSON lines over a TCP
//! connection on the same port, or a Unix stream socket at `PATH.control`). A server or client
//! address may be a link-local IPv6 address scoped by interface name (`fe80::1%eth0`,
//! `[fe80::1%eth0]:5201`), parsed as `dgram send` parses it (`endpoint::udp_dest`).
//!
//! `--latency` measures request/response round trips instead (`latency.rs`), over the same
//! paths: UDP over IPv4 or IPv6, or Unix datagram sockets.
mod control;
mod latency;
mod pacing;
mod receiver;
mod report;
mod sender;
mod sock;
mod stats;
mod streams;

use std::time::{Duration, Instant};

use datagrams::{UdpSocket, UnixDatagram};

use sock::Sock;
use streams::{Receivers, Senders};

/// Bytes of the per-datagram header: sequence number (u64), send time in ns (u64), stream (u32).
pub(crate) const HEADER_LEN: usize = 20;
/// Receive buffer asked for (SO_RCVBUF), bytes.
pub(crate) const RECV_BUFFER: usize = 16 << 20;

/// Arguments of `dgram perf`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "CONTROL: the client connects to the server's port over TCP (the UDP traffic uses the same\n\
port; a Unix server at PATH has its control socket at PATH.control) and both write JSON lines:\n\
the client its parameters (length, streams, direction, rate, time or byte count, interval, its\n\
sockets), the server `ready`. Forward, each writes its counters every interval (the server what\n\
it received, the client what it sent), the client `done` at the end, the server its final\n\
counters. With --reverse the server sends: it writes its sent counts every interval and `done`\n\
at the end; the client its receive counters every interval, and it prints both sides and closes\n\
the connection at the end. A side silent for an interval and 5 s, or not reading for 5 s, is\n\
taken as gone. With\n\
--latency the client writes {\"mode\":\"latency\",\"len\":L,\"in_flight\":N,\"interval_ns\":I}\n\
(and \"addr\", its socket's address, to a Unix server, whose socket at PATH is connected to\n\
it), the server answers `ready`, echoes every datagram to its sender and writes its count every\n\
interval; the client's `done` (with its request count) is answered with `final` (the count\n\
echoed).\n\n\
EXAMPLES:\n  \
    dgram perf                       # 3 s over loopback, GSO sender, GRO receiver\n  \
    dgram perf --len 64 --no-gso     # small datagrams, sendmmsg batches\n  \
    dgram perf --time 10 --json      # one JSON object per second and a summary\n  \
    dgram perf --bytes 1G            # send 1 GB (10^9 bytes of payload), then stop\n  \
    dgram perf --parallel 4          # 4 streams, each its own sockets and threads\n  \
    dgram perf --ipv6                # over ::1\n  \
    dgram perf --unix                # over Unix datagram socket pairs\n  \
    dgram perf --server              # on host A: serve on 0.0.0.0:5201\n  \
    dgram perf --client A --rate 1G  # on host B: 1 Gbit/s to A, both sides printed\n  \
    dgram perf --client A --reverse  # A sends, B receives\n  \
    dgram perf --client A -P 2 -R    # 2 streams from A to B\n  \
    dgram perf --server '[::]:5201'  # IPv6 (and IPv4) server; dgram perf --client ::1\n  \
    dgram perf --server /tmp/perf    # Unix traffic at /tmp/perf, control at /tmp/perf.control\n  \
    dgram perf --client /tmp/perf    # the client of that Unix server (--latency works too)\n  \
    dgram perf -s fe80::2%eth0       # serve on a link-local address, scoped by interface name\n  \
    dgram perf -c fe80::2%eth0       # its client; also -c '[fe80::2%eth0]:5201'\n  \
    dgram perf --latency --len 64    # round trips over loopback: RTT p50/p99/p99.9/max\n  \
    dgram perf --latency --unix      # round trips over a Unix datagram socket pair"
)]
pub(crate) struct Args {
    /// Bytes per datagram (UDP payload), at least 20 (the header).
    #[arg(long, default_value_t = 1200, value_name = "BYTES")]
    len: usize,
    /// Seconds to send (decimals allowed).
    #[arg(
        short = 't',
        long,
        default_value_t = 3.0,
        value_name = "SECS",
        conflicts_with = "bytes"
    )]
    time: f64,
    /// Send this many bytes of UDP payload instead of sending for a time: N with a k/M/G suffix
    /// (powers of 1000: 10M, 1.5G), rounded up to whole datagrams of --len bytes.
    #[arg(short = 'n', long, value_name = "BYTES")]
    bytes: Option<String>,
    /// Seconds between interval reports.
    #[arg(short = 'i', long, default_value_t = 1.0, value_name = "SECS")]
    interval: f64,
    /// Send in sendmmsg batches instead of UDP GSO.
    #[arg(long)]
    no_gso: bool,
    /// Receive without UDP GRO (recvmmsg batches only).
    #[arg(long)]
    no_gro: bool,
    /// Be the server: serve one client after another on ADDR (default 0.0.0.0:5201; TCP control
    /// connection and UDP traffic on the same port; [::]:5201 for IPv6 and IPv4; a link-local
    /// address with its interface: [fe80::2%eth0]:5201), or on a Unix socket path (with a /:
    /// traffic at PATH, control at PATH.control).
    #[arg(short = 's', long, value_name = "ADDR", num_args = 0..=1,
          default_missing_value = "0.0.0.0:5201", conflicts_with = "client")]
    server: Option<String>,
    /// Be the client of the server at HOST[:PORT] (port 5201 by default; an IPv6 address alone or
    /// as [IPV6]:PORT, a link-local one with its interface: fe80::2%eth0) or at a Unix socket PATH
    /// (with a /), and print both sides: what was sent, and what was received and the receiver's
    /// kernel dropped.
    #[arg(short = 'c', long, value_name = "HOST[:PORT]")]
    client: Option<String>,
    /// Pace the sender: bits/s of UDP payload with a k/M/G suffix (100M, 1.5G), or datagrams/s
    /// ending in pps (10kpps); split evenly among --parallel streams.
    #[arg(short = 'b', long, value_name = "RATE")]
    rate: Option<String>,
    /// Who holds --rate: the kernel (SO_MAX_PACING_RATE, which only the fq qdisc enforces), the
    /// sender thread (user), or auto: the kernel when the destination is not loopback and
    /// net.core.default_qdisc is fq, user space otherwise. The header says which.
    #[arg(long, value_enum, default_value_t = pacing::Pacing::Auto, value_name = "WHO")]
    pacing: pacing::Pacing,
    /// One JSON object per interval and a summary object, one per line.
    #[arg(long)]
    json: bool,
    /// Reverse the direction (with --client): the server sends, the client receives and prints
    /// both sides.
    #[arg(short = 'R', long, requires = "client")]
    reverse: bool,
    /// Streams in parallel, each its own socket and thread at both ends; --rate and --bytes are
    /// split evenly among them.
    #[arg(short = 'P', long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=128))]
    parallel: u16,
    /// Loopback over IPv6 (::1) instead of IPv4. (With --server/--client, the address says the
    /// family: --server [::]:5201, --client ::1.)
    #[arg(short = '6', long, conflicts_with_all = ["client", "server", "unix"])]
    ipv6: bool,
    /// Loopback over Unix datagram socket pairs. (With --server/--client, a path says Unix:
    /// --server /tmp/perf.sock.)
    #[arg(long, conflicts_with_all = ["client", "server"])]
    unix: bool,
    /// Measure round trips instead: requests of --len bytes echoed by the other end (this
    /// process over UDP/IPv4, --ipv6 or --unix, or the --client's server, UDP or Unix); RTT
    /// p50/p99/p99.9/max per interval. A request without a reply after 1 s counts as lost.
    #[arg(long, conflicts_with_all = ["rate", "no_gso", "no_gro", "bytes", "reverse", "parallel"])]
    latency: bool,
    /// Requests outstanding at once in --latency mode (a new one as each reply arrives).
    #[arg(long, default_value_t = 1, value_name = "N", requires = "latency")]
    in_flight: usize,
}

fn secs(name: &str, v: f64) -> Result<Duration, String> {
    if v.is_finite() && v > 0.0 && v < 1e9 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!(
            "--{name} {v}: expected a positive number of seconds"
        ))
    }
}

/// A count with an optional k/M/G suffix (powers of 1000), for `--bytes`.
fn parse_count(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let (digits, mult) = match lower.as_bytes().last() {
        Some(b'k') => (&lower[..lower.len() - 1], 1e3),
        Some(b'm') => (&lower[..lower.len() - 1], 1e6),
        Some(b'g') => (&lower[..lower.len() - 1], 1e9),
        _ => (lower.as_str(), 1.0),
    };
    let v = digits.parse::<f64>().ok()? * mult;
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Datagrams to send for `--bytes` with datagrams of `len` bytes (rounded up to a whole one).
fn parse_bytes(text: &str, len: usize) -> Result<u64, String> {
    let v = parse_count(text)
        .filter(|v| *v < 1e18)
        .ok_or_else(|| format!("--bytes {text}: expected a byte count like 1200, 10M or 1.5G"))?;
    Ok((v / len as f64).ceil() as u64)
}

/// Datagrams per second for `--rate` (`100M` bits/s, `10kpps`) with datagrams of `len` bytes.
fn parse_rate(text: &str, len: usize) -> Result<f64, String> {
    let bad =
        || format!("--rate {text}: expected bits/s like 100M or 1.5G, or datagrams/s like 10kpps");
    let lower = text.to_ascii_lowercase();
    let (body, pps) = match lower.strip_suffix("pps") {
        Some(b) => (b, true),
        None => (lower.strip_suffix("bps").unwrap_or(&lower), false),
    };
    let (digits, mult) = match body.as_bytes().last() {
        Some(b'k') => (&body[..body.len() - 1], 1e3),
        Some(b'm') => (&body[..body.len() - 1], 1e6),
        Some(b'g') => (&body[..body.len() - 1], 1e9),
        _ => (body, 1.0),
    };
    let v: f64 = digits.parse().map_err(|_| bad())?;
    let v = v * mult;
    if !v.is_finite() || v <= 0.0 {
        return Err(bad());
    }
    Ok(if pps { v } else { v / (8.0 * len as f64) })
}

/// What the loopback traffic runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    V4,
    V6,
    Unix,
}

impl Transport {
    /// The loopback transport `--unix` or `--ipv6` asks for (IPv4 otherwise).
    fn of(args: &Args) -> Transport {
        if args.unix {
            Transport::Unix
        } else if args.ipv6 {
            Transport::V6
        } else {
            Transport::V4
        }
    }

    fn name(self) -> &'static str {
        match self {
            Transport::V4 => "UDP/IPv4",
            Transport::V6 => "UDP/IPv6",
            Transport::Unix => "Unix",
        }
    }
}

/// A connected sender and receiver socket of one loopback stream.
fn loopback_pair(t: Transport) -> std::io::Result<(Sock, Sock)> {
    let ip = match t {
        Transport::Unix => {
            let (a, b) = UnixDatagram::pair()?;
            return Ok((Sock::Unix(a), Sock::Unix(b)));
        }
        Transport::V4 => "127.0.0.1:0",
        Transport::V6 => "[::1]:0",
    };
    let rx = UdpSocket::bind(ip)?;
    let tx = UdpSocket::bind(ip)?;
    tx.connect(rx.local_addr()?)?;
    rx.connect(tx.local_addr()?)?;
    Ok((Sock::Udp(tx), Sock::Udp(rx)))
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    if args.len < HEADER_LEN || args.len > 65_507 {
        return Err(format!(
            "--len {}: expected {HEADER_LEN} to 65507 bytes (the header needs {HEADER_LEN})",
            args.len
        ));
    }
    let time = secs("time", args.time)?;
    let interval = secs("interval", args.interval)?;
    if let Some(addr) = &args.server {
        return control::serve(addr, interval);
    }
    if args.latency {
        return latency::run(&args, time, secs("interval", args.interval)?);
    }
    let count = args
        .bytes
        .as_deref()
        .map(|b| parse_bytes(b, args.len))
        .transpose()?;
    // With --bytes the count ends the run; the time is only a bound far away.
    let time = if count.is_some() {
        Duration::from_secs(365 * 86_400)
    } else {
        time
    };
    let pps = args
        .rate
        .as_deref()
        .map(|r| parse_rate(r, args.len))
        .transpose()?;
    let streams = usize::from(args.parallel);
    if count.is_some_and(|c| c < streams as u64) {
        return Err(format!(
            "--bytes {}: fewer datagrams than --parallel {streams} streams",
            args.bytes.as_deref().unwrap_or_default()
        ));
    }
    let start = Instant::now();
    let mut cfg = sender::Config {
        len: args.len,
        gso: !args.no_gso,
        stream: 0,
        pps,
        start,
        until: start + time,
        count,
    };
    let mut mode = report::Mode {
        len: args.len,
        gso: !args.no_gso,
        gro: !args.no_gro,
        remote: args.client.is_some(),
        pps,
        per_packet: 1,
        json: args.json,
        time,
        count,
        reverse: args.reverse,
        streams,
        transport: "UDP/IPv4",
        pacing: "user space",
    };
    if let Some(host) = &args.client {
        let want = control::Want {
            streams,
            reverse: args.reverse,
            gro: !args.no_gro,
            interval,
            pacing: args.pacing,
        };
        return control::client(host, cfg, mode, want);
    }
    let transport = Transport::of(&args);
    mode.transport = transport.name();
    let err = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let (mut txs, mut rxs) = (Vec::new(), Vec::new());
    mode.gro = true;
    for _ in 0..streams {
        let (tx, rx) = loopback_pair(transport).map_err(|e| err("loopback sockets", e))?;
        mode.gro &= rx
            .prepare_receiver(!args.no_gro, RECV_BUFFER)
            .map_err(|e| err("receiver", e))?;
        mode.per_packet = tx.prepare_sender(!args.no_gso, args.len);
        txs.push(tx);
        rxs.push(rx);
    }
    mode.gso = mode.per_packet > 1;
    cfg.gso = mode.gso;
    let dest = match transport {
        Transport::V4 => Some(std::net::Ipv4Addr::LOCALHOST.into()),
        Transport::V6 => Some(std::net::Ipv6Addr::LOCALHOST.into()),
        Transport::Unix => None,
    };
    if let Some(pps) = pps.filter(|_| pacing::kernel_paces(args.pacing, dest)) {
        for tx in &txs {
            pacing::apply_kernel(tx, pps / streams as f64, args.len)
                .map_err(|e| err("SO_MAX_PACING_RATE", e))?;
        }
        cfg.pps = None;
        mode.pacing = pacing::name(true);
    }
    mode.per_packet = sender::per_send(mode.per_packet, cfg.pps.map(|p| p / streams as f64));
    let start = Instant::now();
    cfg.start = start;
    cfg.until = start + time;
    let senders = Senders::spawn(txs, &cfg);
    let mut rep = report::Reporter::new(mode);
    let rcfg = receiver::Config {
        len: args.len,
        gro: mode.gro,
        stream: 0,
        per_packet: mode.per_packet,
        start,
        interval,
    };
    let receivers = Receivers::spawn(rxs, &rcfg, &senders.counters);
    let last = receivers.gather(start, |row, elapsed| {
        rep.gathered(row, elapsed);
        Ok(())
    });
    let send_result = senders.finish();
    let last = last?;
    send_result?;
    rep.last_interval(&report::Totals::sum(&last));
    rep.summary(&last);
    Ok(())
}
