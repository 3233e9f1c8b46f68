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
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let ep = bind(&args.addr)?;
    serve(&ep, args.count, |_, buf, full_len, from| {
        print_line(&output::line(args.format, from, buf, full_len))
    })
}

/// Binds `addr` for a receiving command, prints `listening on ...`, and arms Ctrl-C.
pub(crate) fn bind(addr: &str) -> Result<Endpoint, String> {
    let ep = Endpoint::bind(addr)?;
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
            // An ICMP error for an earlier reply is not a reason to stop serving.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(format!("receive failed: {e}")),
        }
    }
    Ok(())
}
