//! `dgram bench`: dgram's blocking path against `std::net::UdpSocket` over loopback, side by side in
//! one run, alternating A B A B so that drift in the machine hits both alike.
//!
//! Workloads: one-way streams (a sender thread blasts, a receiver thread counts what arrives, the rest
//! is loss) and ping-pong (one datagram in flight, round-trip times recorded). Rates are measured at the
//! receiver over the sender's time window.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as StdUnixAddr, UnixDatagram as StdUnixDatagram};
use std::sync::atomic::AtomicU64;

use datagrams::{UdpSocket, UnixAddr, UnixDatagram};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// Arguments of `dgram bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Payload size in bytes for every workload (default: 64 and 1200 one-way, 64 ping-pong).
    #[arg(long, value_name = "BYTES")]
    size: Option<usize>,
    /// Seconds each implementation runs each workload, split over the rounds.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    secs: f64,
    /// Alternations A B A B per workload (1 to 1000).
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    /// Print the results as one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Run every one-way way (dgram's blocking and async ones, std, tokio, quinn-udp and the raw
    /// loops) in one thread, interleaved in 1 ms turns in random order, each step a send followed by
    /// receiving all of it: the rate is then the cost of the send and receive paths alone, free of
    /// the scheduling and overload noise of a sender racing a receiver on few cores, and every way
    /// sees the same machine conditions. Ping-pong is unchanged.
    #[arg(long, conflicts_with_all = ["unix", "async"])]
    lockstep: bool,
    /// Measure only these ways, by their JSON ids (comma-separated, e.g. `dgram_gso,raw_gso,quinn_udp`);
    /// a ratio is shown only where its baseline is measured too. Workloads left with no way are skipped.
    #[arg(long, value_delimiter = ',', value_name = "IDS", conflicts_with_all = ["unix", "async"])]
    ways: Vec<String>,
    /// Measure only dgram's UnixDatagram against std's (abstract addresses), instead of every UDP mode.
    #[arg(long, conflicts_with = "async")]
    unix: bool,
    /// Measure only dgram's async UdpSocket against tokio::net::UdpSocket, on a 2-worker tokio runtime.
    #[arg(long = "async")]
    r#async: bool,
}

/// What is measured against what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Unix,
    Async,
}

impl Mode {
    /// Column labels: (ours, baseline).
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Mode::Unix => ("dgram UnixDatagram", "std UnixDatagram"),
            Mode::Async => ("dgram tokio UdpSocket", "tokio UdpSocket"),
        }
    }

    fn json(self) -> (&'static str, &'static str) {
        match self {
            Mode::Unix => ("unix", "std::os::unix::net::UnixDatagram"),
            Mode::Async => ("udp-async", "tokio::net::UdpSocket"),
        }
    }
}

/// The calls a benchmarked socket type must have: the same for dgram and its baseline.
trait BenchSocket: Send + Sync + Sized + 'static {
    /// The address a datagram comes from and a reply goes to.
    type Addr: Send + Sync;
    /// Two sockets bound on loopback (or to fresh abstract names), and the second one's address.
    fn pair() -> io::Result<(Self, Self, Self::Addr)>;
    fn timeout(&self, t: Duration) -> io::Result<()>;
    fn send_to(&self, buf: &[u8], to: &Self::Addr) -> io::Result<usize>;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
}

/// dgram's and std's `UdpSocket` have the same calls, so one body serves both.
macro_rules! bench_udp_socket {
    ($($ty:ty),*) => {$(
        impl BenchSocket for $ty {
            type Addr = SocketAddr;
            fn pair() -> io::Result<(Self, Self, SocketAddr)> {
                let (a, b) = (<$ty>::bind("127.0.0.1:0")?, <$ty>::bind("127.0.0.1:0")?);
                let to = b.local_addr()?;
                Ok((a, b, to))
            }
            fn timeout(&self, t: Duration) -> io::Result<()> {
                self.set_read_timeout(Some(t))
            }
            #[inline]
            fn send_to(&self, buf: &[u8], to: &SocketAddr) -> io::Result<usize> {
                <$ty>::send_to(self, buf, to)
            }
            #[inline]
            fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
                <$ty>::recv_from(self, buf)
            }
        }
    )*};
}

bench_udp_socket!(UdpSocket, StdUdpSocket);

/// A fresh abstract name for a benchmark socket, so nothing touches the filesystem.
fn bench_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "dgram-bench-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl BenchSocket for UnixDatagram {
    type Addr = UnixAddr;
    fn pair() -> io::Result<(Self, Self, UnixAddr)> {
        let a = UnixDatagram::bind(UnixAddr::from_abstract_name(bench_name())?)?;
        let b = UnixDatagram::bind(UnixAddr::from_abstract_name(bench_name())?)?;
        let to = b.local_addr()?;
        Ok((a, b, to))
    }
    fn timeout(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))
    }
    #[inline]
    fn send_to(&self, buf: &[u8], to: &UnixAddr) -> io::Result<usize> {
        UnixDatagram::send_to(self, buf, to)
    }
    #[inline]
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        UnixDatagram::recv_from(self, buf)
    }
}

impl BenchSocket for StdUnixDatagram {
    type Addr = StdUnixAddr;
    fn pair() -> io::Result<(Self, Self, StdUnixAddr)> {
        let a = StdUnixDatagram::bind_addr(&StdUnixAddr::from_abstract_name(bench_name())?)?;
        let b = StdUnixDatagram::bind_addr(&StdUnixAddr::from_abstract_name(bench_name())?)?;
        let to = b.local_addr()?;
        Ok((a, b, to))
    }
    fn timeout(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))
    }
    #[inline]
    fn send_to(&self, buf: &[u8], to: &StdUnixAddr) -> io::Result<usize> {
        StdUnixDatagram::send_to_addr(self, buf, to)
    }
    #[inline]
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, StdUnixAddr)> {
        StdUnixDatagram::recv_from(self, buf)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    OneWay,
    PingPong,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Workload {
    pub(crate) kind: Kind,
    pub(crate) size: usize,
}

impl Workload {
    fn name(&self) -> String {
        match self.kind {
            Kind::OneWay => format!("{} B one-way", self.size),
            Kind::PingPong => format!("{} B ping-pong", self.size),
        }
    }

    fn id(&self) -> String {
        match self.kind {
            Kind::OneWay => format!("oneway_{}", self.size),
            Kind::PingPong => format!("pingpong_{}", self.size),
        }
    }
}

/// What one implementation did in one workload, summed over the rounds.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    pub(crate) bytes: u64,
    pub(crate) elapsed: Duration,
    pub(crate) rtts_ns: Vec<u64>,
    /// The figure of merit of each round alone (datagrams or round trips per second), for paired
    /// ratios that drift between rounds cannot bias.
    pub(crate) per_round: Vec<f64>,
    /// (received, elapsed seconds) at the end of the previous round.
    mark: (u64, f64),
}

/// The per-round ratios ours/base, in round order: each round measured both sides back to back (a
/// round whose base measured nothing is left out).
fn round_ratios(ours: &Tally, base: &Tally) -> Vec<f64> {
    ours.per_round
        .iter()
        .zip(&base.per_round)
        .filter(|(_, b)| **b > 0.0)
        .map(|(o, b)| o / b)
        .collect()
}

/// [`round_ratios`], sorted.
fn paired_ratios(ours: &Tally, base: &Tally) -> Vec<f64> {
    let mut r = round_ratios(ours, base);
    r.sort_by(f64::total_cmp);
    r
}

/// The median of [`paired_ratios`] (0 when there is none).
fn paired_ratio(ours: &Tally, base: &Tally) -> f64 {
    let r = paired_ratios(ours, base);
    let mid = r.len() / 2;
    match r.len() {
        0 => 0.0,
        n if n % 2 == 1 => r[mid],
        _ => (r[mid - 1] + r[mid]) / 2.0,
    }
}

impl Tally {
    /// Records this round's rate (the counters so far minus those at the previous round's end).
    fn close_round(&mut self) {
        let (received, secs) = (self.received, self.elapsed.as_secs_f64());
        let (prev_received, prev_secs) = self.mark;
        let dt = secs - prev_secs;
        self.per_round.push(if dt > 0.0 {
            (received - prev_received) as f64 / dt
        } else {
            0.0
        });
        self.mark = (received, secs);
    }

    fn rate(&self) -> f64 {
        self.received as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn gbits(&self) -> f64 {
        self.bytes as f64 * 8.0 / self.elapsed.as_secs_f64().max(1e-9) / 1e9
    }

    fn lost(&self) -> u64 {
        self.sent.saturating_sub(self.received)
    }

    fn percentile_us(&mut self, p: f64) -> f64 {
        if self.rtts_ns.is_empty() {
            return 0.0;
        }
        self.rtts_ns.sort_unstable();
        let i = ((self.rtts_ns.len() - 1) as f64 * p).round() as usize;
        self.rtts_ns[i] as f64 / 1e3
    }
}

/// The most rounds `--rounds` takes: each round costs a few tens of milliseconds of set-up whatever
/// `--secs` says, so more would outlast any sensible run.
const MAX_ROUNDS: u32 = 1000;

pub(crate) fn run(args: Args) -> Result<(), String> {
    if !(args.secs > 0.0 && args.secs <= 3600.0) {
        return Err(format!(
            "--secs must be a positive number of seconds, not {}",
            args.secs
        ));
    }
    if !(1..=MAX_ROUNDS).contains(&args.rounds) {
        return Err(format!(
            "--rounds must be 1..={MAX_ROUNDS}, not {}",
            args.rounds
        ));
    }
    let workloads: Vec<Workload> = match args.size {
        Some(size) => {
            if size == 0 || size > datagrams::MAX_PAYLOAD_V4 {
                return Err(format!(
                    "--size must be 1..={} bytes, not {size}",
                    datagrams::MAX_PAYLOAD_V4
                ));
            }
            vec![
                Workload {
                    kind: Kind::OneWay,
                    size,
                },
                Workload {
                    kind: Kind::PingPong,
                    size,
                },
            ]
        }
        None => vec![
            Workload {
                kind: Kind::OneWay,
                size: 64,
            },
            Workload {
                kind: Kind::OneWay,
                size: 1200,
            },
            Workload {
                kind: Kind::PingPong,
                size: 64,
            },
        ],
    };
    let slice = Duration::try_from_secs_f64(args.secs / f64::from(args.rounds))
        .map_err(|_| format!("--secs {} is out of range", args.secs))?;
    // Below a millisecond a round measures nothing (a ping-pong round trip alone takes tens of µs,
    // and the lockstep turns are 1 ms).
    if slice < Duration::from_millis(1) {
        return Err(format!(
            "--secs {} over {} rounds leaves under 1 ms a round: give more seconds or fewer rounds",
            args.secs, args.rounds
        ));
    }
    let bar = ProgressBar::new(workloads.len() as u64 * u64::from(args.rounds) * 2);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let mode = match (args.unix, args.r#async) {
        (true, _) => Mode::Unix,
        (false, true) => Mode::Async,
        (false, false) => return run_all(&args, &workloads, slice),
    };
    let runtime = match mode {
        Mode::Async => {
            Some(crate::bench_async::runtime().map_err(|e| format!("cannot start tokio: {e}"))?)
        }
        _ => None,
    };
    let mut results = Vec::new();
    let baseline = mode.labels().1;
    for w in &workloads {
        let (mut ours, mut std) = (Tally::default(), Tally::default());
        for round in 1..=args.rounds {
            // A B, then B A: whichever runs second in a pair meets a warmer machine, so it alternates.
            let order = if round % 2 == 1 {
                [true, false]
            } else {
                [false, true]
            };
            for dgram_turn in order {
                let who = if dgram_turn { "dgram" } else { baseline };
                bar.set_message(format!(
                    "{}: {who}, round {round}/{}",
                    w.name(),
                    args.rounds
                ));
                let r = match (mode, dgram_turn, &runtime) {
                    (Mode::Async, true, Some(rt)) => crate::bench_async::measure::<
                        datagrams::tokio::UdpSocket,
                    >(rt, *w, slice, &mut ours),
                    (Mode::Async, false, Some(rt)) => crate::bench_async::measure::<
                        tokio::net::UdpSocket,
                    >(rt, *w, slice, &mut std),
                    (Mode::Unix, true, _) => measure::<UnixDatagram>(*w, slice, &mut ours),
                    (Mode::Unix, false, _) => measure::<StdUnixDatagram>(*w, slice, &mut std),
                    (Mode::Async, _, None) => Err(io::Error::other("no runtime")),
                };
                r.map_err(|e| format!("{}: {who}: {e}", w.name()))?;
                bar.inc(1);
            }
            ours.close_round();
            std.close_round();
        }
        results.push((*w, ours, std));
    }
    bar.finish_and_clear();

    if args.json {
        println!("{}", to_json(&mut results, mode));
    } else {
        print_table(&mut results, mode);
    }
    Ok(())
}

fn measure<S: BenchSocket>(w: Workload, slice: Duration, tally: &mut Tally) -> io::Result<()> {
    match w.kind {
        Kind::OneWay => one_way::<S>(w.size, slice, tally),
        Kind::PingPong => ping_pong::<S>(w.size, slice, tally),
    }
}

/// A sender thread blasts for `slice`; the receiver counts what arrives until the queue is drained.
fn one_way<S: BenchSocket>(size: usize, slice: Duration, tally: &mut Tally) -> io::Result<()> {
    let (tx, rx, to) = S::pair()?;
    rx.timeout(Duration::from_millis(20))?;
    // A Unix sender blocks on a full receiver; bound it so the end of the window is noticed.
    tx.timeout(Duration::from_millis(20))?;
    let done = AtomicBool::new(false);
    let (sent, elapsed, received, bytes, failed) = std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            let buf = vec![0xabu8; size];
            let mut sent = 0u64;
            let mut failed = None;
            let start = Instant::now();
            // Check the clock every 64 sends so the loop measures sends, not clock reads.
            'outer: loop {
                for _ in 0..64 {
                    match tx.send_to(&buf, &to) {
                        Ok(_) => sent += 1,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => {
                            failed = Some(e);
                            break 'outer;
                        }
                    }
                }
                if start.elapsed() >= slice {
                    break;
                }
            }
            let elapsed = start.elapsed();
            done.store(true, Ordering::Release);
            (sent, elapsed, failed)
        });
        let mut buf = vec![0u8; size.max(2048)];
        let (mut received, mut bytes) = (0u64, 0u64);
        loop {
            match rx.recv_from(&mut buf) {
                Ok((n, _)) => {
                    received += 1;
                    bytes += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    if done.load(Ordering::Acquire) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        let (sent, elapsed, failed) = sender.join().unwrap_or((
            0,
            Duration::ZERO,
            Some(io::Error::other("the sender thread panicked")),
        ));
        (sent, elapsed, received, bytes, failed)
    });
    if let Some(e) = failed {
        return Err(e);
    }
    tally.sent += sent;
    tally.received += received;
    tally.bytes += bytes;
    tally.elapsed += elapsed;
    Ok(())
}

/// One datagram in flight: the client sends, the server echoes, the client times the round trip.
fn ping_pong<S: BenchSocket>(size: usize, slice: Duration, tally: &mut Tally) -> io::Result<()> {
    let (client, server, server_addr) = S::pair()?;
    server.timeout(Duration::from_millis(100))?;
    // Long enough that a late reply is never taken for the next round trip's.
    client.timeout(Duration::from_secs(1))?;
    let done = AtomicBool::new(false);
    tally.rtts_ns.reserve(2_000_000);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut buf = vec![0u8; size.max(2048)];
            while !done.load(Ordering::Acquire) {
                if let Ok((n, from)) = server.recv_from(&mut buf) {
                    let _ = server.send_to(&buf[..n], &from);
                }
            }
        });
        let buf = vec![0x5au8; size];
        let mut reply = vec![0u8; size.max(2048)];
        let start = Instant::now();
        let mut now = start;
        while now.duration_since(start) < slice {
            let t0 = now;
            tally.sent += 1;
            if client.send_to(&buf, &server_addr).is_ok()
                && let Ok((n, _)) = client.recv_from(&mut reply)
            {
                now = Instant::now();
                tally.received += 1;
                tally.bytes += n as u64;
                if tally.rtts_ns.len() < tally.rtts_ns.capacity() {
                    tally.rtts_ns.push(now.duration_since(t0).as_nanos() as u64);
                }
                continue;
            }
            now = Instant::now();
        }
        tally.elapsed += now.duration_since(start);
        done.store(true, Ordering::Release);
    });
    Ok(())
}

fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.3} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} k", rate / 1e3)
    } else {
        format!("{rate:.0} ")
    }
}

fn print_table(results: &mut [(Workload, Tally, Tally)], mode: Mode) {
    let (ours, base) = mode.labels();
    println!(
        "{:<20} {:>22} {:>22} {:>10}",
        "workload", ours, base, "dgram/base"
    );
    // The ratio column is the median over rounds of dgram's rate over the baseline's in the same
    // round (A B, then B A), so that drift between rounds cancels out.
    for (w, ours, std) in results.iter_mut() {
        match (w.kind, w.size >= 1000) {
            (Kind::OneWay, false) => {
                row(
                    &w.name(),
                    format!("{}dgram/s", human(ours.rate())),
                    format!("{}dgram/s", human(std.rate())),
                    paired_ratio(ours, std),
                );
            }
            (Kind::OneWay, true) => {
                row(
                    &w.name(),
                    format!("{:.3} Gbit/s", ours.gbits()),
                    format!("{:.3} Gbit/s", std.gbits()),
                    paired_ratio(ours, std),
                );
            }
            (Kind::PingPong, _) => {
                row(
                    &w.name(),
                    format!("{}rt/s", human(ours.rate())),
                    format!("{}rt/s", human(std.rate())),
                    paired_ratio(ours, std),
                );
                let (o50, o99, s50, s99) = (
                    ours.percentile_us(0.5),
                    ours.percentile_us(0.99),
                    std.percentile_us(0.5),
                    std.percentile_us(0.99),
                );
                println!(
                    "{:<20} {:>22} {:>22}",
                    "  p50/p99 (us)",
                    format!("{o50:.1}/{o99:.1}"),
                    format!("{s50:.1}/{s99:.1}")
                );
            }
        }
        println!(
            "{:<20} {:>22} {:>22}",
            "  lost/sent",
            format!("{}/{}", ours.lost(), ours.sent),
            format!("{}/{}", std.lost(), std.sent)
        );
    }
}

fn row(name: &str, ours: String, std: String, ratio: f64) {
    println!("{name:<20} {ours:>22} {std:>22} {ratio:>10.3}");
}

fn side(t: &mut Tally, kind: Kind) -> serde_json::Value {
    let mut v = json!({
        "sent": t.sent,
        "received": t.received,
        "lost": t.lost(),
        "bytes": t.bytes,
        "secs": t.elapsed.as_secs_f64(),
        "per_sec": t.rate(),
        "gbit_per_sec": t.gbits(),
    });
    if let Kind::PingPong = kind {
        v["p50_us"] = json!(t.percentile_us(0.5));
        v["p99_us"] = json!(t.percentile_us(0.99));
    }
    v
}

fn to_json(results: &mut [(Workload, Tally, Tally)], mode: Mode) -> serde_json::Value {
    let rows: Vec<_> = results
        .iter_mut()
        .map(|(w, ours, std)| {
            let aggregate = ours.rate() / std.rate().max(1e-9);
            let ratio = paired_ratio(ours, std);
            json!({
                "workload": w.id(),
                "size": w.size,
                "unit": match w.kind { Kind::OneWay => "datagrams/s", Kind::PingPong => "round trips/s" },
                "dgram": side(ours, w.kind),
                "std": side(std, w.kind),
                "ratio": ratio,
                "ratio_aggregate": aggregate,
                "rounds": ours.per_round.len(),
            })
        })
        .collect();
    json!({
        "socket": mode.json().0,
        "baseline": mode.json().1,
        "workloads": rows,
    })
}

/// One row of the all-modes table: a way of moving datagrams and what it did over the rounds.
struct Row {
    id: &'static str,
    name: &'static str,
    baselines: Vec<&'static str>,
    tally: Tally,
    kernel_drops: u64,
}

impl Row {
    /// Adds one run of this row's way.
    fn add(&mut self, r: &crate::bench_modes::Run) {
        self.tally.sent += r.sent;
        self.tally.received += r.received;
        self.tally.bytes += r.bytes;
        self.tally.elapsed += Duration::from_secs_f64(r.secs);
        self.kernel_drops += r.kernel_drops;
    }
}

/// `dgram bench` with no mode flag: every way, side by side, rotating the order each round.
fn run_all(args: &Args, workloads: &[Workload], slice: Duration) -> Result<(), String> {
    use crate::bench_modes::{self, Way};
    let rt = crate::bench_async::runtime().map_err(|e| format!("cannot start tokio: {e}"))?;
    const ASYNC: [(&str, &str); 2] = [
        ("tokio", "tokio::net::UdpSocket"),
        ("dgram_async", "dgram tokio UdpSocket"),
    ];
    const PING_PONG: [&str; 4] = ["std", "dgram", "tokio", "dgram_async"];
    let one_way_ids = || {
        Way::ALL
            .iter()
            .map(|w| w.id())
            .chain(ASYNC.iter().map(|a| a.0))
    };
    if let Some(bad) = args
        .ways
        .iter()
        .find(|id| !one_way_ids().any(|k| k == id.as_str()))
    {
        return Err(format!(
            "--ways: no way is called {bad:?}; the ways are {}",
            one_way_ids().collect::<Vec<_>>().join(", ")
        ));
    }
    let wanted = |id: &str| args.ways.is_empty() || args.ways.iter().any(|w| w == id);
    let per_workload = |w: &Workload| match w.kind {
        Kind::OneWay => one_way_ids().filter(|id| wanted(id)).count(),
        Kind::PingPong => PING_PONG.iter().filter(|id| wanted(id)).count(),
    };
    let total: usize = workloads.iter().map(per_workload).sum::<usize>() * args.rounds as usize;
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut tables = Vec::new();
    for w in workloads {
        let mut rows: Vec<Row> = match w.kind {
            Kind::OneWay => Way::ALL
                .iter()
                .map(|way| Row {
                    id: way.id(),
                    name: way.name(),
                    baselines: way.baselines().iter().map(|b| b.id()).collect(),
                    tally: Tally::default(),
                    kernel_drops: 0,
                })
                .chain(ASYNC.iter().map(|(id, name)| Row {
                    id,
                    name,
                    baselines: if *id == "dgram_async" {
                        vec!["tokio"]
                    } else {
                        vec![]
                    },
                    tally: Tally::default(),
                    kernel_drops: 0,
                }))
                .collect(),
            Kind::PingPong => [
                ("std", "std UdpSocket", None),
                ("dgram", "dgram UdpSocket", Some("std")),
                ("tokio", "tokio::net::UdpSocket", None),
                ("dgram_async", "dgram tokio UdpSocket", Some("tokio")),
            ]
            .into_iter()
            .map(|(id, name, baseline)| Row {
                id,
                name,
                baselines: baseline.into_iter().collect(),
                tally: Tally::default(),
                kernel_drops: 0,
            })
            .collect(),
        };
        rows.retain(|r| wanted(r.id));
        if rows.is_empty() {
            continue;
        }
        let lockstep_ways: Vec<Way> = Way::LOCKSTEP
            .iter()
            .copied()
            .filter(|way| rows.iter().any(|r| r.id == way.id()))
            .collect();
        let lockstep = args.lockstep && matches!(w.kind, Kind::OneWay) && !lockstep_ways.is_empty();
        for round in 0..args.rounds as usize {
            if lockstep {
                // The lockstep ways, interleaved in turns, each getting `slice` on average.
                bar.set_message(format!(
                    "{}: the ways in lockstep, round {}/{}",
                    w.name(),
                    round + 1,
                    args.rounds
                ));
                let ways = &lockstep_ways;
                let runs = bench_modes::run_lockstep(ways, w.size, slice * ways.len() as u32)
                    .map_err(|e| format!("{}: lockstep: {e}", w.name()))?;
                for (way, r) in ways.iter().zip(runs) {
                    if let Some(row) = rows.iter_mut().find(|row| row.id == way.id()) {
                        row.add(&r);
                    }
                }
                bar.inc(ways.len() as u64);
            }
            // Rotate the order each round, so no way always runs first or last.
            let n = rows.len();
            for k in 0..n {
                let i = (k + round) % n;
                if lockstep && lockstep_ways.iter().any(|way| way.id() == rows[i].id) {
                    continue;
                }
                bar.set_message(format!(
                    "{}: {}, round {}/{}",
                    w.name(),
                    rows[i].name,
                    round + 1,
                    args.rounds
                ));
                let row = &mut rows[i];
                let r =
                    match (w.kind, row.id) {
                        (Kind::OneWay, "tokio") => crate::bench_async::measure::<
                            tokio::net::UdpSocket,
                        >(
                            &rt, *w, slice, &mut row.tally
                        ),
                        (Kind::OneWay, "dgram_async") => crate::bench_async::measure::<
                            datagrams::tokio::UdpSocket,
                        >(
                            &rt, *w, slice, &mut row.tally
                        ),
                        (Kind::OneWay, id) => {
                            let way = Way::ALL
                                .iter()
                                .copied()
                                .find(|x| x.id() == id)
                                .unwrap_or(Way::Dgram);
                            bench_modes::run(way, w.size, slice).map(|r| row.add(&r))
                        }
                        (Kind::PingPong, "std") => {
                            ping_pong::<StdUdpSocket>(w.size, slice, &mut row.tally)
                        }
                        (Kind::PingPong, "dgram") => {
                            ping_pong::<UdpSocket>(w.size, slice, &mut row.tally)
                        }
                        (Kind::PingPong, "tokio") => crate::bench_async::measure::<
                            tokio::net::UdpSocket,
                        >(
                            &rt, *w, slice, &mut row.tally
                        ),
                        (Kind::PingPong, _) => crate::bench_async::measure::<
                            datagrams::tokio::UdpSocket,
                        >(
                            &rt, *w, slice, &mut row.tally
                        ),
                    };
                r.map_err(|e| format!("{}: {}: {e}", w.name(), row.name))?;
                bar.inc(1);
            }
            for row in rows.iter_mut() {
                row.tally.close_round();
            }
        }
        tables.push((*w, rows));
    }
    bar.finish_and_clear();
    if args.json {
        let out: Vec<_> = tables
            .iter_mut()
            .map(|(w, rows)| {
                let base: Vec<(String, Tally)> = rows
                    .iter()
                    .map(|r| (r.id.to_string(), r.tally.clone()))
                    .collect();
                let ways: Vec<_> = rows
                    .iter_mut()
                    .map(|r| {
                        let ratios: Vec<_> = r
                            .baselines
                            .iter()
                            .filter_map(|b| base.iter().find(|(id, _)| id == b))
                            .map(|(id, t)| {
                                // The spread over rounds, for judging how far the median is to be
                                // trusted.
                                let all = paired_ratios(&r.tally, t);
                                json!({
                                    "vs": id,
                                    "value": paired_ratio(&r.tally, t),
                                    "low": all.first().copied().unwrap_or(0.0),
                                    "high": all.last().copied().unwrap_or(0.0),
                                    "rounds": round_ratios(&r.tally, t),
                                })
                            })
                            .collect();
                        let mut v = side(&mut r.tally, w.kind);
                        v["id"] = json!(r.id);
                        v["name"] = json!(r.name);
                        v["kernel_drops"] = json!(r.kernel_drops);
                        v["ratios"] = json!(ratios);
                        v
                    })
                    .collect();
                json!({ "workload": w.id(), "size": w.size, "ways": ways })
            })
            .collect();
        println!(
            "{}",
            json!({ "socket": "udp", "rounds": args.rounds, "lockstep": args.lockstep, "workloads": out })
        );
    } else {
        for (w, rows) in tables.iter_mut() {
            println!("{}", w.name());
            println!(
                "  {:<30} {:>16} {:>22} {:>14} {:>60}",
                "way", "rate", "lost/sent", "kernel drops", "ratio"
            );
            let base: Vec<(&'static str, Tally)> =
                rows.iter().map(|r| (r.id, r.tally.clone())).collect();
            for r in rows.iter_mut() {
                let rate = match w.kind {
                    Kind::OneWay if w.size >= 1000 => format!("{:.3} Gbit/s", r.tally.gbits()),
                    Kind::OneWay => format!("{}dgram/s", human(r.tally.rate())),
                    Kind::PingPong => format!("{}rt/s", human(r.tally.rate())),
                };
                let ratio = r
                    .baselines
                    .iter()
                    .filter_map(|b| base.iter().find(|(id, _)| id == b))
                    .map(|(id, t)| format!("{:.3} vs {id}", paired_ratio(&r.tally, t)))
                    .collect::<Vec<_>>()
                    .join(", ");
                // The threaded async rows have no drop probe; in lockstep every one-way row has.
                let drops = if matches!(w.kind, Kind::OneWay)
                    && (args.lockstep || !r.id.contains("tokio") && r.id != "dgram_async")
                {
                    r.kernel_drops.to_string()
                } else {
                    String::from("-")
                };
                println!(
                    "  {:<30} {:>16} {:>22} {:>14} {:>60}",
                    r.name,
                    rate,
                    format!("{}/{}", r.tally.lost(), r.tally.sent),
                    drops,
                    ratio
                );
                if let Kind::PingPong = w.kind {
                    let (p50, p99) = (r.tally.percentile_us(0.5), r.tally.percentile_us(0.99));
                    println!(
                        "  {:<30} {:>16}",
                        "  p50/p99 (us)",
                        format!("{p50:.1}/{p99:.1}")
                    );
                }
            }
        }
        println!(
            "ratio: median over rounds of the way's rate over its baseline's in the same round"
        );
    }
    Ok(())
}
