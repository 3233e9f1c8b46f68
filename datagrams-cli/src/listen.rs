//! `dgram listen ADDR`: bind and print every datagram.

use std::io::ErrorKind;

use crate::endpoint::{Endpoint, Peer, print_line};
use crate::output::{self, Format};
use crate::stop;

/// Arguments of `dgram listen`.
#[derive(Debug, clap::Args)]
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
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let ep = if args.join {
        let ep = join(&args)?;
        if args.errors {
            enable_errors(&ep)?;
        }
        ep
    } else {
        bind(&args.addr, args.errors)?
    };
    serve(&ep, args.count, |_, buf, full_len, from| {
        print_line(&output::line(args.format, from, buf, full_len))
    })
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

/// Binds the wildcard address on the group's port and joins the group (any-source or, with
/// `--source`, source-specific).
fn join(args: &Args) -> Result<Endpoint, String> {
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
    print_line(&format!(
        "listening on {} (joined {})",
        ep.local().map_err(|e| e.to_string())?,
        group.ip()
    ))?;
    Ok(ep)
}

/// Binds `addr` for a receiving command, with the error queue on when `errors` (refused before the
/// `listening on ...` line, which it then prints), and arms Ctrl-C.
pub(crate) fn bind(addr: &str, errors: bool) -> Result<Endpoint, String> {
    let ep = Endpoint::bind(addr)?;
    if errors {
        enable_errors(&ep)?;
    }
    ep.set_read_timeout(stop::TICK).map_err(|e| e.to_string())?;
    stop::install();
    print_line(&format!(
        "listening on {}",
        ep.local().map_err(|e| e.to_string())?
    ))?;
    Ok(ep)
}

/// Receives until `count` datagrams have arrived or Ctrl-C, handing each to `each` as (endpoint,
/// the bytes received, the datagram's full length, the sender).
pub(crate) fn serve(
    ep: &Endpoint,
    count: Option<u64>,
    mut each: impl FnMut(&Endpoint, &[u8], usize, &Peer) -> Result<(), String>,
) -> Result<(), String> {
    let mut buf = vec![0u8; 65_536];
    let mut seen = 0u64;
    while count.is_none_or(|n| seen < n) && !stop::requested() {
        match ep.recv(&mut buf) {
            Ok((len, full_len, from)) => {
                seen += 1;
                each(ep, &buf[..len], full_len, &from)?;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            // An ICMP error about an earlier send is not a reason to stop serving; with IP_RECVERR on,
            // its report is printed.
            Err(e) if is_send_error(&e) => report_errors(ep)?,
            Err(e) => return Err(format!("receive failed: {e}")),
        }
    }
    Ok(())
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
