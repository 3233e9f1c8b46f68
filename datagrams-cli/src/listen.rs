//! `dgram listen ADDR`: bind and print every datagram.

use std::io::ErrorKind;

use crate::endpoint::{Endpoint, Received, print_line};
use crate::output::{self, Format};
use crate::stop;

/// The end of `dgram listen --help`.
const AFTER_HELP: &str = "EXAMPLES:
  dgram listen 0.0.0.0:5353                   print every datagram to port 5353 (IPv4)
  dgram listen [::]:9000 --format json        one JSON object per datagram
  dgram listen 127.0.0.1:9000 --format raw --output data.bin --idle 2s
                                              payload bytes only, into a file, until 2 s of silence
  dgram listen 239.1.2.3:5000 --join --iface eth0
                                              join a multicast group on eth0
  dgram listen unix:/tmp/app.sock --count 1   one datagram on a Unix socket, then exit";

/// Arguments of `dgram listen`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// Address to bind: HOST:PORT (port 0 picks one; the line `listening on ...` shows it),
    /// unix:/path (the file is removed on exit) or unix:@abstract-name.
    addr: String,
    /// How each datagram is printed.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Stop after N datagrams.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// ADDR is a multicast GROUP:PORT: bind the wildcard address on PORT and join the group.
    #[arg(long)]
    join: bool,
    /// With --join: receive only from this source (source-specific multicast).
    #[arg(long, value_name = "S", requires = "join")]
    source: Option<std::net::IpAddr>,
    /// With --join: the interface to join on (a name, an index, an IPv4 address, or ::%NAME).
    #[arg(long, value_name = "IF", requires = "join")]
    iface: Option<String>,
    /// Also print what the kernel's error queue reports (IP_RECVERR): ICMP errors about datagrams
    /// this socket sent (`dgram echo` replies, for instance).
    #[arg(long)]
    errors: bool,
    /// Show the kernel's receive time of each datagram (SO_TIMESTAMPNS), RFC 3339 in UTC.
    #[arg(long)]
    timestamps: bool,
    /// End after this long without a datagram, e.g. 500ms or 2s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    idle: Option<std::time::Duration>,
    /// Write the datagrams to FILE (created or emptied) instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// The socket's receive buffer (SO_RCVBUF), in bytes: above net.core.rmem_max is an error.
    #[arg(long, value_name = "BYTES")]
    recv_buffer: Option<usize>,
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let mut sink = output::Sink::open(args.output.as_deref())?;
    // Raw payload bytes on standard output leave no room for a line of ours there.
    let say = if args.format == Format::Raw && args.output.is_none() {
        Say::Stderr
    } else {
        Say::Stdout
    };
    let ep = if args.join {
        let ep = join(&args, say)?;
        if args.errors {
            enable_errors(&ep)?;
        }
        ep
    } else {
        bind(&args.addr, args.errors, say)?
    };
    if let Some(n) = args.recv_buffer {
        ep.set_recv_buffer_size(n)
            .map_err(|e| format!("--recv-buffer {n}: {e}"))?;
    }
    if args.timestamps {
        ep.set_recv_timestamp(true)
            .map_err(|e| format!("cannot switch SO_TIMESTAMPNS on: {e}"))?;
    }
    let opts = Serve {
        count: args.count,
        idle: args.idle,
        drops_on_stderr: args.format != Format::Json,
    };
    serve(&ep, &opts, |_, data, r| match args.format {
        Format::Raw => sink.bytes(data),
        Format::Json => {
            let mut v: serde_json::Value =
                serde_json::from_str(&output::line(Format::Json, &r.from, data, r.full_len))
                    .map_err(|e| e.to_string())?;
            if let Some(d) = r.drops {
                v["drops"] = d.into();
            }
            if let Some(t) = r.timestamp {
                v["time"] = humantime::format_rfc3339_nanos(t).to_string().into();
            }
            sink.line(&v.to_string())
        }
        f => {
            let l = output::line(f, &r.from, data, r.full_len);
            match r.timestamp {
                Some(t) => sink.line(&format!("{} {l}", humantime::format_rfc3339_nanos(t))),
                None => sink.line(&l),
            }
        }
    })
}

/// When `serve` stops, and how it reports drops.
#[derive(Debug, Default)]
pub(crate) struct Serve {
    /// Stop after this many datagrams.
    pub(crate) count: Option<u64>,
    /// Stop after this long without a datagram.
    pub(crate) idle: Option<std::time::Duration>,
    /// Print a line on stderr when the kernel's drop count grows (JSON carries it in a field).
    pub(crate) drops_on_stderr: bool,
}

/// Switches the error queue on (`IP_RECVERR`, and `IPV6_RECVERR` on IPv6), so that `serve` prints
/// its reports.
pub(crate) fn enable_errors(ep: &Endpoint) -> Result<(), String> {
    let Some(s) = ep.udp() else {
        return Err("--errors applies to UDP sockets".into());
    };
    let r = match s.family() {
        datagrams::Family::V4 => s.set_recv_err_v4(true),
        datagrams::Family::V6 => s
            .set_recv_err_v4(true)
            .and_then(|()| s.set_recv_err_v6(true)),
    };
    r.map_err(|e| format!("cannot switch IP_RECVERR on: {e}"))
}

/// Where the `listening on ...` line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Say {
    /// Standard output, before what is received.
    Stdout,
    /// Standard error: standard output carries raw payload bytes only (`--format raw`).
    Stderr,
}

impl Say {
    fn line(self, line: &str) -> Result<(), String> {
        match self {
            Say::Stdout => print_line(line),
            Say::Stderr => {
                eprintln!("{line}");
                Ok(())
            }
        }
    }
}

/// Binds the wildcard address on the group's port and joins the group (any-source or, with
/// `--source`, source-specific).
fn join(args: &Args, say: Say) -> Result<Endpoint, String> {
    use std::net::{IpAddr, SocketAddr};
    let group: SocketAddr = args
        .addr
        .parse()
        .map_err(|_| format!("bad group {}: expected GROUP:PORT", args.addr))?;
    let iface: datagrams::Interface = match &args.iface {
        Some(i) => i.parse().map_err(|e| format!("bad interface {i}: {e}"))?,
        None => datagrams::Interface::Any,
    };
    let wildcard = SocketAddr::new(datagrams::Family::of(&group).unspecified(), group.port());
    let sock = datagrams::UdpSocket::builder()
        .reuse_address(true)
        .bind(wildcard)
        .map_err(|e| format!("cannot bind {wildcard}: {e}"))?;
    let joined = match (group.ip(), args.source) {
        (IpAddr::V4(g), None) => sock.join_multicast_v4_n(g, &iface),
        (IpAddr::V4(g), Some(IpAddr::V4(s))) => sock.join_ssm_v4(g, s, &iface),
        (IpAddr::V6(g), None) => sock.join_multicast_v6_n(g, &iface),
        (IpAddr::V6(g), Some(IpAddr::V6(s))) => sock.join_ssm_v6(g, s, &iface),
        (_, Some(s)) => {
            return Err(format!(
                "source {s} and group {} are of different families",
                group.ip()
            ));
        }
    };
    joined.map_err(|e| format!("cannot join {}: {e}", group.ip()))?;
    let ep = Endpoint::Udp(sock);
    ep.set_read_timeout(stop::TICK).map_err(|e| e.to_string())?;
    stop::install();
    say.line(&format!(
        "listening on {} (joined {})",
        ep.local().map_err(|e| e.to_string())?,
        group.ip()
    ))?;
    Ok(ep)
}

/// Binds `addr` for a receiving command, with the error queue on when `errors` (refused before the
/// `listening on ...` line, which it then prints where `say` tells), and arms Ctrl-C.
pub(crate) fn bind(addr: &str, errors: bool, say: Say) -> Result<Endpoint, String> {
    let ep = Endpoint::bind(addr)?;
    if errors {
        enable_errors(&ep)?;
    }
    ep.set_read_timeout(stop::TICK).map_err(|e| e.to_string())?;
    stop::install();
    say.line(&format!(
        "listening on {}",
        ep.local().map_err(|e| e.to_string())?
    ))?;
    Ok(ep)
}

/// Receives until `count` datagrams have arrived, `idle` passed without one, or Ctrl-C (or
/// SIGTERM), handing each to `each` as (endpoint, the bytes received, what the receive reported).
/// Reports the kernel's drops as they grow, and at the end a summary on stderr: received,
/// truncated, dropped.
pub(crate) fn serve(
    ep: &Endpoint,
    opts: &Serve,
    mut each: impl FnMut(&Endpoint, &[u8], &Received) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(s) = ep.udp() {
        s.set_recv_drop_count(true)
            .map_err(|e| format!("cannot switch SO_RXQ_OVFL on: {e}"))?;
    }
    let mut buf = vec![0u8; 65_536];
    let (mut seen, mut truncated, mut dropped) = (0u64, 0u64, 0u64);
    let mut last = std::time::Instant::now();
    let result = loop {
        if opts.count.is_some_and(|n| seen >= n) || stop::requested() {
            break Ok(());
        }
        match ep.recv(&mut buf) {
            Ok(r) => {
                seen += 1;
                last = std::time::Instant::now();
                if r.full_len > r.len {
                    truncated += 1;
                }
                if let Some(d) = r.drops
                    && u64::from(d) > dropped
                {
                    if opts.drops_on_stderr {
                        eprintln!(
                            "dgram: the kernel dropped {} datagrams (receive queue full; {d} in all)",
                            u64::from(d) - dropped
                        );
                    }
                    dropped = u64::from(d);
                }
                if let Err(e) = each(ep, &buf[..r.len], &r) {
                    break Err(e);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if opts.idle.is_some_and(|i| last.elapsed() >= i) {
                    break Ok(());
                }
            }
            // An ICMP error about an earlier send is not a reason to stop serving; with IP_RECVERR on,
            // its report is printed.
            Err(e) if is_send_error(&e) => report_errors(ep)?,
            Err(e) => break Err(format!("receive failed: {e}")),
        }
    };
    // Drops after the last datagram arrive with no datagram to carry the count: read it from
    // the kernel's socket table instead.
    if let Some(d) = ep.udp().and_then(kernel_drops) {
        dropped = dropped.max(d);
    }
    // A closed standard output ends quietly, as a filter does.
    if !matches!(&result, Err(e) if e.is_empty()) {
        eprintln!("dgram: received {seen}, truncated {truncated}, dropped {dropped}");
    }
    result
}

/// The `drops` column of `/proc/self/net/udp` (or `udp6`) for this socket, found by its inode. The
/// receive metadata (`SO_RXQ_OVFL`) carries the count only on a datagram that arrives after the
/// drops; this table is the kernel's other public account of it.
fn kernel_drops(s: &datagrams::UdpSocket) -> Option<u64> {
    use std::os::fd::{AsFd, AsRawFd};
    use std::os::unix::fs::MetadataExt;
    let fd = s.as_fd().as_raw_fd();
    let inode = std::fs::metadata(format!("/proc/self/fd/{fd}")).ok()?.ino();
    let table = match s.family() {
        datagrams::Family::V4 => "/proc/self/net/udp",
        datagrams::Family::V6 => "/proc/self/net/udp6",
    };
    let text = std::fs::read_to_string(table).ok()?;
    text.lines().skip(1).find_map(|l| {
        let cols: Vec<&str> = l.split_whitespace().collect();
        // sl local rem st queues tr retrnsmt uid timeout inode ref pointer drops
        (cols.get(9)?.parse::<u64>().ok()? == inode).then(|| cols.get(12)?.parse().ok())?
    })
}

/// Errors a receive reports about earlier sends (ICMP), which the error queue details.
fn is_send_error(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc_codes::ECONNREFUSED
                | libc_codes::EHOSTUNREACH
                | libc_codes::ENETUNREACH
                | libc_codes::EMSGSIZE
        )
    )
}

/// The error numbers of Linux that `is_send_error` looks for.
mod libc_codes {
    pub(super) const ECONNREFUSED: i32 = 111;
    pub(super) const EHOSTUNREACH: i32 = 113;
    pub(super) const ENETUNREACH: i32 = 101;
    pub(super) const EMSGSIZE: i32 = 90;
}

/// Prints every report the error queue holds (nothing when IP_RECVERR is off).
fn report_errors(ep: &Endpoint) -> Result<(), String> {
    let Some(s) = ep.udp() else { return Ok(()) };
    while let Some(report) = s
        .recv_error()
        .map_err(|e| format!("cannot read the error queue: {e}"))?
    {
        let to = report
            .destination
            .map_or(String::from("?"), |d| d.to_string());
        print_line(&format!("error for datagram to {to}: {report}"))?;
    }
    Ok(())
}
