//! `dgram echo ADDR`: send every datagram back to its sender.

use crate::endpoint::{Peer, print_line};
use crate::listen::{Say, Serve, bind, serve};
use crate::output::{self, Format};

/// The end of `dgram echo --help`.
const AFTER_HELP: &str = "EXAMPLES:
  dgram echo 0.0.0.0:7                        the echo service (port 7 needs root)
  dgram echo [::]:9000 --verbose              echo, and print what arrives
  dgram echo unix:/tmp/echo.sock --count 10   echo ten datagrams on a Unix socket";

/// Arguments of `dgram echo`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// Address to bind: HOST:PORT (port 0 picks one; the line `listening on ...` shows it),
    /// unix:/path or unix:@abstract-name.
    addr: String,
    /// Stop after N datagrams.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Also print each datagram, as `listen` does.
    #[arg(short, long)]
    verbose: bool,
    /// Print what the kernel's error queue reports about the replies (IP_RECVERR): ICMP port
    /// unreachable from a sender that went away, for instance.
    #[arg(long)]
    errors: bool,
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let ep = bind(&args.addr, args.errors, Say::Stdout)?;
    let opts = Serve {
        count: args.count,
        idle: None,
        drops_on_stderr: true,
    };
    serve(&ep, &opts, |ep, data, r| {
        let from = &r.from;
        if args.verbose {
            print_line(&output::line(Format::Text, from, data, r.full_len))?;
        }
        if r.full_len > data.len() {
            eprintln!(
                "dgram: datagram from {from} of {} bytes was truncated to {}: not echoed",
                r.full_len,
                data.len()
            );
            return Ok(());
        }
        if let Peer::Unix(a) = from
            && a.is_unnamed()
        {
            eprintln!("dgram: cannot echo to an unnamed Unix sender (it never bound)");
            return Ok(());
        }
        // Without waiting: one sender going away, or not reading its replies (a Unix peer whose
        // queue is full would block a waiting send), must not stop the echo for the others.
        match ep.try_send_to(data, from) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => match from {
                Peer::Unix(_) => {
                    eprintln!(
                        "dgram: reply to {from} dropped: it is not reading (its queue is full)"
                    )
                }
                Peer::Udp(_) => {
                    eprintln!("dgram: reply to {from} dropped: the send buffer is full")
                }
            },
            Err(e) => eprintln!("dgram: cannot echo to {from}: {e}"),
        }
        Ok(())
    })
}
