//! What the kernel's error queue (`IP_RECVERR`/`IPV6_RECVERR`, `MSG_ERRQUEUE`) reports about sent
//! datagrams: a port nobody listens on (ICMP port unreachable), or a TTL (IPv6: hop limit) that
//! expires on the way (ICMP time exceeded, from the router that dropped it).
//!
//! ```sh
//! cargo run -p datagrams --example icmp_errors -- closed-port            # on 127.0.0.1: a port just closed
//! cargo run -p datagrams --example icmp_errors -- closed-port ::1        # the same on ::1
//! cargo run -p datagrams --example icmp_errors -- closed-port 192.0.2.7:9
//! cargo run -p datagrams --example icmp_errors -- ttl 198.51.100.1:33434 1   # TTL 1: the first router answers
//! cargo run -p datagrams --example icmp_errors -- ttl '[2001:db8:2::1]:33434' 1
//! ```
//! Each prints the report and a summary line: `icmp_errors: <errno> type T code C from <router or host>`
//! (ICMPv6 numbers its types otherwise: port unreachable is type 1 code 4, time exceeded type 3 code 0).
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use datagrams::{SockError, UdpSocket};

/// Sends one datagram to `to` and waits (up to 5 s) for the error queue's report about it.
fn probe(to: SocketAddr, ttl: Option<u32>) -> io::Result<SockError> {
    let socket = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
    if to.is_ipv4() {
        socket.set_recv_err_v4(true)?;
    } else {
        socket.set_recv_err_v6(true)?;
    }
    if let Some(ttl) = ttl {
        if to.is_ipv4() {
            socket.set_ttl(ttl)?;
        } else {
            socket.set_unicast_hops_v6(ttl)?;
        }
    }
    socket.send_to(b"probe", to)?;
    // A queued error wakes a blocked receive, which returns it (ECONNREFUSED, EHOSTUNREACH, ...);
    // the full report is then read from the queue.
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = [0u8; 1500];
    loop {
        if let Some(report) = socket.recv_error()? {
            return Ok(report);
        }
        match socket.recv_from(&mut buf) {
            Ok(_) => continue, // an answer, not an error: keep waiting for the report
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no report within 5 s",
                ));
            }
            Err(_) => continue, // the error itself; its report is in the queue
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = match args.as_slice() {
        ["closed-port"] => probe(just_closed(Ipv4Addr::LOCALHOST.into())?, None)?,
        // An address of this host alone (`::1`): a port of it just closed.
        ["closed-port", to] => match to.parse::<IpAddr>() {
            Ok(ip) => probe(just_closed(ip)?, None)?,
            Err(_) => probe(addr(to)?, None)?,
        },
        ["ttl", to, ttl] => probe(
            addr(to)?,
            Some(ttl.parse().map_err(|e| bad(format!("TTL {ttl:?}: {e}")))?),
        )?,
        _ => {
            return Err(bad(
                "usage: icmp_errors closed-port [IP | ADDR] | ttl ADDR TTL".into(),
            ));
        }
    };
    println!("report: {report}");
    println!(
        "  errno {} origin {:?} type {} code {} offender {:?} destination {:?}, {} bytes of our datagram",
        report.errno,
        report.origin,
        report.icmp_type,
        report.icmp_code,
        report.offender,
        report.destination,
        report.payload.len()
    );
    let from = report
        .offender
        .map_or_else(|| "?".to_string(), |o| o.ip().to_string());
    println!(
        "icmp_errors: {:?} type {} code {} from {from}",
        io::Error::from_raw_os_error(report.errno).kind(),
        report.icmp_type,
        report.icmp_code
    );
    Ok(())
}

/// A port of `ip` that was open a moment ago and is not any more.
fn just_closed(ip: IpAddr) -> io::Result<SocketAddr> {
    UdpSocket::bind(SocketAddr::new(ip, 0))?.local_addr()
}

fn addr(s: &str) -> io::Result<SocketAddr> {
    s.parse().map_err(|e| bad(format!("address {s:?}: {e}")))
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
