//! Bulk transfer with UDP GSO: one `sendmsg(2)` carries up to 64 datagrams of one segment size,
//! each marked ECT(0) for ECN. Where the kernel or the device has no GSO, dgram sends the segments
//! one by one by itself; `--no-gso` forces that path. The last datagram is `END`, so that
//! `gro_receiver` knows when to stop.
//!
//! ```sh
//! cargo run -p datagrams --example gro_receiver -- 127.0.0.1:4433 &
//! cargo run -p datagrams --example gso_sender -- 127.0.0.1:4433 1000000 [SEGMENT] [--no-gso]
//! cargo run -p datagrams --example gso_sender -- --self-test 60000 [--no-gso]   # to its own plain receiver
//! ```
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use datagrams::{Ecn, Transmit, UdpSocket};

/// Sends `total` bytes of data in datagrams of `segment` bytes, then `END`. Returns the number of
/// data datagrams and of `sendmsg` calls.
fn send_all(
    socket: &UdpSocket,
    to: SocketAddr,
    total: usize,
    segment: usize,
) -> io::Result<(usize, usize)> {
    // Up to 64 segments with GSO (1 without), all of them within one datagram's payload limit:
    // 54 of 1,200 bytes.
    let limit = if to.is_ipv4() {
        datagrams::MAX_PAYLOAD_V4
    } else {
        datagrams::MAX_PAYLOAD_V6
    };
    let burst = socket.max_gso_segments().min((limit / segment).max(1)) * segment;
    let data = vec![0xAB; burst.min(total.max(1))];
    let (mut sent, mut calls) = (0, 0);
    while sent < total {
        let chunk = &data[..burst.min(total - sent)];
        socket.send_msg(
            &Transmit::new(to, chunk)
                .segment_size(segment)
                .ecn(Ecn::Ect0),
        )?;
        sent += chunk.len();
        calls += 1;
    }
    socket.send_to(b"END", to)?;
    Ok((total.div_ceil(segment), calls))
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let no_gso = args.iter().any(|a| a == "--no-gso");
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--no-gso")
        .collect();
    match args.as_slice() {
        [to, total, rest @ ..] if *to != "--self-test" => {
            let to: SocketAddr = to
                .parse()
                .map_err(|e| bad(format!("address {to:?}: {e}")))?;
            let segment = match rest {
                [] => 1200,
                [s] => parse(s)?,
                _ => return Err(usage()),
            };
            let (socket, gso) = sender(to, no_gso)?;
            let (datagrams, calls) = send_all(&socket, to, parse(total)?, segment)?;
            println!("gso_sender: {datagrams} datagrams in {calls} sends, GSO {gso}");
            Ok(())
        }
        ["--self-test", total] => {
            // A plain receiver (no GRO): it sees each segment as a datagram of its own.
            let rx = UdpSocket::bind("127.0.0.1:0")?;
            rx.set_recv_tos_v4(true)?;
            rx.set_read_timeout(Some(Duration::from_secs(5)))?;
            let (socket, gso) = sender(rx.local_addr()?, no_gso)?;
            let (datagrams, calls) = send_all(&socket, rx.local_addr()?, parse(total)?, 1200)?;
            let mut buf = [0u8; 2048];
            let (mut got, mut bytes, mut ect0) = (0, 0, 0);
            loop {
                let meta = rx.recv_msg(&mut buf)?;
                if &buf[..meta.len] == b"END" {
                    break;
                }
                got += 1;
                bytes += meta.len;
                ect0 += usize::from(meta.ecn() == Some(Ecn::Ect0));
            }
            println!("gso_sender: {datagrams} datagrams in {calls} sends, GSO {gso}");
            println!("gso_sender: received {got} datagrams, {bytes} bytes, {ect0} ECT(0)");
            Ok(())
        }
        _ => Err(usage()),
    }
}

/// A socket of `to`'s family (any port) and whether GSO is in use on it.
fn sender(to: SocketAddr, no_gso: bool) -> io::Result<(UdpSocket, &'static str)> {
    let any: SocketAddr = if to.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any)?;
    if no_gso {
        socket.set_gso(false);
    }
    let gso = if socket.max_gso_segments() > 1 {
        "on"
    } else {
        "off"
    };
    Ok((socket, gso))
}

fn usage() -> io::Error {
    bad("usage: gso_sender ADDR BYTES [SEGMENT] [--no-gso] | --self-test BYTES [--no-gso]".into())
}

fn parse(s: &str) -> io::Result<usize> {
    match s.parse() {
        Ok(0) | Err(_) => Err(bad(format!("{s:?}: not a positive number"))),
        Ok(n) => Ok(n),
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
