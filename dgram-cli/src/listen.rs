//! `dgram listen ADDR`: bind and print every datagram.

use std::io::ErrorKind;

use dgram::UdpSocket;

use crate::output::{self, Format};
use crate::stop;

/// Arguments of `dgram listen`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to bind, HOST:PORT (port 0 picks one; the line `listening on ...` shows it).
    addr: String,
    /// How each datagram is printed.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Stop after N datagrams.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let sock = bind(&args.addr)?;
    println!(
        "listening on {}",
        sock.local_addr().map_err(|e| e.to_string())?
    );
    serve(&sock, args.count, |sock, buf, meta| {
        let _ = sock;
        println!(
            "{}",
            output::line(args.format, &meta.addr, &buf[..meta.len], meta.full_len)
        );
        Ok(())
    })
}

/// Binds `addr` for a receiving command, with an error that names the address.
pub(crate) fn bind(addr: &str) -> Result<UdpSocket, String> {
    let sock = UdpSocket::bind(addr).map_err(|e| format!("cannot bind {addr}: {e}"))?;
    sock.set_read_timeout(Some(stop::TICK))
        .map_err(|e| e.to_string())?;
    stop::install();
    Ok(sock)
}

/// Receives until `count` datagrams have arrived or Ctrl-C, handing each to `each`.
pub(crate) fn serve(
    sock: &UdpSocket,
    count: Option<u64>,
    mut each: impl FnMut(&UdpSocket, &[u8], &dgram::RecvMeta) -> Result<(), String>,
) -> Result<(), String> {
    let mut buf = vec![0u8; 65_536];
    let mut seen = 0u64;
    while count.is_none_or(|n| seen < n) && !stop::requested() {
        match sock.recv_msg(&mut buf) {
            Ok(meta) => {
                seen += 1;
                each(sock, &buf, &meta)?;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
            // An ICMP error for an earlier reply is not a reason to stop serving.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
            Err(e) => return Err(format!("receive failed: {e}")),
        }
    }
    Ok(())
}
