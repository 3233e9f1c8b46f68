//! `dgram`: listen to, send and echo datagrams from the command line.

mod echo;
mod endpoint;
mod listen;
mod output;
mod perf;
mod send;
mod stop;

use clap::{Parser, Subcommand};

/// Datagram sockets from the command line: listen, send, echo.
#[derive(Debug, Parser)]
#[command(name = "dgram", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bind ADDR and print every datagram that arrives.
    Listen(listen::Args),
    /// Send datagrams to ADDR: one per MESSAGE, or one per line of standard input.
    Send(send::Args),
    /// Bind ADDR and send every datagram back to its sender.
    Echo(echo::Args),
    /// Measure a path: throughput, loss, reordering, jitter or round-trip times, between a client
    /// and a server or over loopback.
    Perf(perf::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Listen(a) => listen::run(a),
        Command::Send(a) => send::run(a),
        Command::Echo(a) => echo::run(a),
        Command::Perf(a) => perf::run(a),
    };
    match result {
        Ok(()) => {}
        // A closed standard output: stop quietly, as a filter does.
        Err(e) if e.is_empty() => {}
        Err(e) => {
            eprintln!("dgram: {e}");
            std::process::exit(1);
        }
    }
}
