//! `dgram echo ADDR`: send every datagram back to its sender.

use crate::listen::{bind, serve};
use crate::output::{self, Format};

/// Arguments of `dgram echo`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to bind, HOST:PORT (port 0 picks one; the line `listening on ...` shows it).
    addr: String,
    /// Stop after N datagrams.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Also print each datagram, as `listen` does.
    #[arg(short, long)]
    verbose: bool,
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let sock = bind(&args.addr)?;
    println!(
        "listening on {}",
        sock.local_addr().map_err(|e| e.to_string())?
    );
    serve(&sock, args.count, |sock, buf, meta| {
        if args.verbose {
            println!(
                "{}",
                output::line(Format::Text, &meta.addr, &buf[..meta.len], meta.full_len)
            );
        }
        match sock.send_to(&buf[..meta.len], meta.addr) {
            Ok(_) => Ok(()),
            // One sender going away must not stop the echo for the others.
            Err(e) => {
                eprintln!("dgram: cannot echo to {}: {e}", meta.addr);
                Ok(())
            }
        }
    })
}
