//! `dgram-bench`: every way the `datagrams` crate moves datagrams, measured over loopback beside its
//! baselines in one run: std, tokio, quinn-udp and the kernel's limit (raw syscall loops).
//!
//! Modules, each importing only those above it in this list (no cycle):
//! - [`ways`]: every one-way way, in lockstep or threaded (the raw loops they compare with are
//!   this package's library, [`datagrams_bench::sys`]);
//! - [`workload`]: workloads, the plan, tallies, rows and paired ratios;
//! - [`sockets`] and [`tasks`]: one blocking or async socket type in threads or tasks (the
//!   `--unix`/`--async` comparisons, and ping-pong);
//! - [`report`]: the progress bar, tables and JSON;
//! - [`versus`] (`--unix`, `--async`) and [`table`] (the default): the runs.
#![cfg(target_os = "linux")]

mod report;
mod sockets;
mod table;
mod tasks;
mod versus;
mod ways;
mod workload;

use clap::Parser;

use crate::versus::Mode;
use crate::workload::Plan;

/// Measure datagrams against std, tokio, quinn-udp and raw syscall loops over loopback, side by side
/// in one run.
#[derive(Debug, Parser)]
#[command(name = "dgram-bench", version, about, long_about = None)]
struct Args {
    /// Payload size in bytes for every workload (default: 64 and 1200 one-way, 64 ping-pong).
    #[arg(long, value_name = "BYTES")]
    size: Option<usize>,
    /// Seconds each implementation runs each workload, split over the rounds.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    secs: f64,
    /// Rounds per workload (1 to 1000); each ratio is the median of the rounds' ratios.
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    /// Print the results as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// The default, named for clarity: run every one-way way (datagrams' blocking and async ones,
    /// std, tokio, quinn-udp and the raw loops) in one thread, interleaved in 1 ms turns in random
    /// order, each step a send followed by receiving all of it: the rate is then the cost of the
    /// send and receive paths alone, free of the scheduling and overload noise of a sender racing a
    /// receiver on few cores, and every way sees the same machine conditions. Ping-pong is
    /// unchanged.
    #[arg(long, conflicts_with_all = ["threaded", "unix", "async"])]
    lockstep: bool,
    /// Instead of lockstep, run each one-way way alone, a sender thread racing a receiver thread
    /// (the rates then swing with scheduling on few cores).
    #[arg(long, conflicts_with_all = ["unix", "async"])]
    threaded: bool,
    /// Measure only these ways, by their JSON ids (comma-separated, e.g. `dgram_gso,raw_gso,quinn_udp`);
    /// a ratio is shown only where its baseline is measured too. Workloads left with no way are skipped.
    #[arg(long, value_delimiter = ',', value_name = "IDS", conflicts_with_all = ["unix", "async"])]
    ways: Vec<String>,
    /// Measure only datagrams' UnixDatagram against std's (abstract addresses), instead of every UDP way.
    #[arg(long, conflicts_with = "async")]
    unix: bool,
    /// Measure only datagrams' async UdpSocket against tokio::net::UdpSocket, on a 2-worker tokio runtime.
    #[arg(long = "async")]
    r#async: bool,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("dgram-bench: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    let plan = Plan::new(args.size, args.secs, args.rounds)?;
    match (args.unix, args.r#async) {
        (true, _) => versus::run(Mode::Unix, &plan, args.json),
        (false, true) => versus::run(Mode::Async, &plan, args.json),
        (false, false) => table::run(&plan, &args.ways, !args.threaded, args.json),
    }
}
