//! Service discovery on a LAN with IPv4 or IPv6 multicast: announcers send their name to a group,
//! listeners join the group (any source, or one source only with SSM, RFC 4607) on the interface
//! they choose. The group's address chooses the family.
//!
//! ```sh
//! cargo run -p datagrams --example discovery -- listen 239.255.70.77:7077 [--iface eth0] [--source 192.0.2.1] [--count N]
//! cargo run -p datagrams --example discovery -- announce 239.255.70.77:7077 NAME [--iface eth0] [--count N]
//! cargo run -p datagrams --example discovery -- listen '[ff15::7077]:7077' --iface eth0 [--source 2001:db8::1] [--count N]
//! cargo run -p datagrams --example discovery -- announce '[ff15::7077]:7077' NAME --iface eth0 [--count N]
//! cargo run -p datagrams --example discovery -- --self-test 3    # announce and listen on `lo` (IPv4), 3 times
//! ```
//! `--iface` takes a name (`eth0`), an index (`2`) or, for IPv4, an address of the interface
//! (`192.0.2.1`); an IPv6 group needs a name or an index. An SSM group is in 232.0.0.0/8 (IPv4) or
//! ff3x::/32 (IPv6, e.g. `ff35::8000:7077`); the source is the announcer's address.
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use datagrams::{Family, Interface, UdpSocket};

/// The options shared by both roles.
struct Opts {
    group: SocketAddr,
    iface: Interface,
    source: Option<IpAddr>,
    count: Option<usize>,
}

fn listener(o: &Opts) -> io::Result<UdpSocket> {
    // Several listeners on one host may share the port.
    let socket = UdpSocket::builder()
        .reuse_address(true)
        .bind(SocketAddr::new(
            Family::of(&o.group).unspecified(),
            o.group.port(),
        ))?;
    join(&socket, o.group.ip(), o.source, &o.iface)?;
    Ok(socket)
}

/// Joins `group` on `iface`: from any source, or from `source` only (SSM).
fn join(
    socket: &UdpSocket,
    group: IpAddr,
    source: Option<IpAddr>,
    iface: &Interface,
) -> io::Result<()> {
    match (group, source) {
        (IpAddr::V4(g), None) => socket.join_multicast_v4_n(g, iface),
        (IpAddr::V6(g), None) => socket.join_multicast_v6_n(g, iface),
        (IpAddr::V4(g), Some(IpAddr::V4(s))) => socket.join_ssm_v4(g, s, iface),
        (IpAddr::V6(g), Some(IpAddr::V6(s))) => socket.join_ssm_v6(g, s, iface),
        (_, Some(s)) => Err(bad(format!("source {s} is not of group {group}'s family"))),
    }
}

fn listen(socket: &UdpSocket, count: Option<usize>) -> io::Result<usize> {
    let mut buf = [0u8; 512];
    let mut heard = 0;
    while count.is_none_or(|c| heard < c) {
        let (n, from) = socket.recv_from(&mut buf)?;
        println!("heard {:?} from {from}", String::from_utf8_lossy(&buf[..n]));
        heard += 1;
    }
    Ok(heard)
}

fn announcer(o: &Opts) -> io::Result<UdpSocket> {
    let family = Family::of(&o.group);
    let socket = UdpSocket::bind(SocketAddr::new(family.unspecified(), 0))?;
    // Stay on the link; listeners on this host hear it too.
    if family == Family::V4 {
        socket.set_multicast_interface_v4(&o.iface)?;
        socket.set_multicast_ttl_v4(1)?;
        socket.set_multicast_loop_v4(true)?;
    } else {
        socket.set_multicast_interface_v6(&o.iface)?;
        socket.set_multicast_hops_v6(1)?;
        socket.set_multicast_loop_v6(true)?;
    }
    Ok(socket)
}

fn announce(socket: &UdpSocket, o: &Opts, name: &str, every: Duration) -> io::Result<usize> {
    let mut sent = 0;
    while o.count.is_none_or(|c| sent < c) {
        socket.send_to(name.as_bytes(), o.group)?;
        sent += 1;
        if o.count != Some(sent) {
            std::thread::sleep(every);
        }
    }
    Ok(sent)
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["listen", group, rest @ ..] => {
            let o = opts(group, rest)?;
            let socket = listener(&o)?;
            println!("discovery: listening on {}", o.group); // joined: announcements reach us now
            let heard = listen(&socket, o.count)?;
            println!("discovery: heard {heard} announcements");
            Ok(())
        }
        ["announce", group, name, rest @ ..] => {
            let o = opts(group, rest)?;
            let sent = announce(&announcer(&o)?, &o, name, Duration::from_secs(1))?;
            println!("discovery: sent {sent} announcements");
            Ok(())
        }
        ["--self-test", count] => {
            // IPv4: `lo` has no IPv6 multicast route (sending says ENETUNREACH).
            let count = count
                .parse()
                .map_err(|e| bad(format!("count {count:?}: {e}")))?;
            let group = IpAddr::from([239, 255, 70, 77]);
            // The listener first, on a port of its own; then the announcer, to that port.
            let rx = UdpSocket::bind("0.0.0.0:0")?;
            let lo = Interface::Name("lo".into());
            join(&rx, group, None, &lo)?;
            rx.set_read_timeout(Some(Duration::from_secs(5)))?;
            let o = Opts {
                group: SocketAddr::new(group, rx.local_addr()?.port()),
                iface: lo,
                source: None,
                count: Some(count),
            };
            let sent = announce(&announcer(&o)?, &o, "self-test", Duration::ZERO)?;
            let heard = listen(&rx, Some(count))?;
            println!("discovery: sent {sent}, heard {heard} announcements");
            Ok(())
        }
        _ => Err(usage()),
    }
}

fn opts(group: &str, mut rest: &[&str]) -> io::Result<Opts> {
    let group: SocketAddr = group
        .parse()
        .map_err(|e| bad(format!("group {group:?}: {e}")))?;
    let mut o = Opts {
        group,
        iface: Interface::Any,
        source: None,
        count: None,
    };
    while let [flag, value, tail @ ..] = rest {
        match *flag {
            "--iface" => o.iface = value.parse()?,
            "--source" => {
                o.source = Some(
                    value
                        .parse()
                        .map_err(|e| bad(format!("source {value:?}: {e}")))?,
                )
            }
            "--count" => {
                o.count = Some(
                    value
                        .parse()
                        .map_err(|e| bad(format!("count {value:?}: {e}")))?,
                )
            }
            _ => return Err(usage()),
        }
        rest = tail;
    }
    if rest.is_empty() { Ok(o) } else { Err(usage()) }
}

fn usage() -> io::Error {
    bad(
        "usage: discovery listen GROUP:PORT [--iface IF] [--source IP] [--count N] \
         | announce GROUP:PORT NAME [--iface IF] [--count N] | --self-test COUNT \
         (an IPv6 group in brackets: [ff15::7077]:7077)"
            .into(),
    )
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
