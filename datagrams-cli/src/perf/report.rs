//! Human lines (fitting 100 columns) or JSON objects: one per interval, one summary.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

/// Prints one line above the progress bar, if there is one.
fn emit_with(bar: Option<&indicatif::ProgressBar>, line: std::fmt::Arguments<'_>) {
    match bar {
        Some(b) => b.println(line.to_string()),
        None => emit(line),
    }
}

/// Prints one line; a closed standard output ends the program quietly, as a filter does.
fn emit(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = writeln!(std::io::stdout().lock(), "{line}") {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("dgram: standard output: {e}");
        }
        std::process::exit(if e.kind() == std::io::ErrorKind::BrokenPipe {
            0
        } else {
            1
        });
    }
}

/// Counters since the start of the run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    /// Time since the start (the end of the interval).
    pub(crate) elapsed: Duration,
    /// Datagrams the sender's kernel took.
    pub(crate) sent: u64,
    /// Distinct datagrams received.
    pub(crate) received: u64,
    /// Bytes of distinct datagrams received (UDP payload).
    pub(crate) bytes: u64,
    /// Sequence numbers skipped so far (loss as the receiver sees it while the run goes on).
    pub(crate) gaps: u64,
    pub(crate) reordered: u64,
    pub(crate) duplicates: u64,
    /// RFC 3550 interarrival jitter, nanoseconds.
    pub(crate) jitter_ns: f64,
    /// The receiving socket's kernel drop counter (SO_RXQ_OVFL). It counts packets the socket's
    /// queue refused: with GSO on loopback one such packet may carry up to 64 datagrams.
    pub(crate) drops: u64,
    /// Datagrams too short for the header, or truncated.
    pub(crate) malformed: u64,
}

/// How the run was made (for the headline).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mode {
    pub(crate) len: usize,
    pub(crate) gso: bool,
    pub(crate) gro: bool,
    /// A client run: the receiver's counters are the server's.
    pub(crate) remote: bool,
    /// The paced rate, datagrams/s.
    pub(crate) pps: Option<f64>,
    /// Datagrams in one packet the sender hands the kernel (the GSO segments; 1 without GSO):
    /// one kernel drop on loopback, where GSO packets stay whole, is that many datagrams.
    pub(crate) per_packet: usize,
    pub(crate) json: bool,
    pub(crate) time: Duration,
    /// Datagrams to send (`--bytes`), in place of the time.
    pub(crate) count: Option<u64>,
}

/// Prints interval lines and the summary.
#[derive(Debug)]
pub(crate) struct Reporter {
    mode: Mode,
    prev: Totals,
    /// A progress bar over the sending time, only when standard output is a terminal.
    bar: Option<indicatif::ProgressBar>,
    /// A server's control connection: the totals go there, as JSON lines.
    sink: Option<std::net::TcpStream>,
}

fn gbits(bytes: u64, d: Duration) -> f64 {
    bytes as f64 * 8.0 / d.as_secs_f64().max(1e-9) / 1e9
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// `1234567.0` as `1.23 M`.
fn si(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0} ")
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl Reporter {
    pub(crate) fn new(mode: Mode) -> Reporter {
        if !mode.json {
            emit(format_args!(
                "dgram perf: {}, {} B, {} sender, {} receiver, {}{}",
                if mode.remote {
                    "to the server"
                } else {
                    "loopback"
                },
                mode.len,
                if mode.gso { "GSO" } else { "sendmmsg" },
                if mode.gro { "GRO+recvmmsg" } else { "recvmmsg" },
                match mode.count {
                    Some(n) => format!("{} bytes", n * mode.len as u64),
                    None => format!("{:.1} s", mode.time.as_secs_f64()),
                },
                match mode.pps {
                    Some(p) => format!("\npacing: user space, {}datagrams/s", si(p)),
                    None => String::new(),
                }
            ));
            emit(format_args!(
                "{:>13}  {:>12}  {:>12}  {:>16}  {:>7}  {:>5}  {:>10}  {:>7}",
                "interval",
                "throughput",
                "datagrams",
                "lost (%)",
                "reorder",
                "dup",
                "jitter",
                "drops"
            ));
        }
        // The bar follows the sending time: none when a byte count ends the run.
        let bar =
            (!mode.json && mode.count.is_none() && std::io::stdout().is_terminal()).then(|| {
                let b = indicatif::ProgressBar::new(
                    u64::try_from(mode.time.as_millis()).unwrap_or(u64::MAX),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{bar:40} {percent:>3}% of the sending time",
                ) {
                    b.set_style(style);
                }
                b
            });
        Reporter {
            mode,
            prev: Totals::default(),
            bar,
            sink: None,
        }
    }

    /// A reporter that writes the totals of each interval to a client's control connection.
    pub(crate) fn to_writer(mode: Mode, sink: std::net::TcpStream) -> Reporter {
        Reporter {
            mode,
            prev: Totals::default(),
            bar: None,
            sink: Some(sink),
        }
    }

    /// Moves the progress bar (if any) to `elapsed`.
    pub(crate) fn tick(&self, elapsed: Duration) {
        if let Some(b) = &self.bar {
            b.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        }
    }

    /// Reports the interval from the previous call to `t`.
    pub(crate) fn interval(&mut self, t: &Totals) {
        if let Some(w) = &mut self.sink {
            use std::io::Write;
            // A client gone away is seen by the control reader; the run then ends.
            let _ = writeln!(w, "{}", super::control::totals_json("totals", t));
            self.prev = *t;
            return;
        }
        let p = self.prev;
        let d = t.elapsed.saturating_sub(p.elapsed);
        let recv = t.received - p.received;
        if d.is_zero() || (d < Duration::from_millis(10) && recv == 0) {
            return;
        }
        let lost = t.gaps.saturating_sub(p.gaps);
        if self.mode.json {
            emit(format_args!(
                "{}",
                json!({
                    "type": "interval",
                    "start_s": p.elapsed.as_secs_f64(),
                    "end_s": t.elapsed.as_secs_f64(),
                    "sent": t.sent - p.sent,
                    "received": recv,
                    "bytes": t.bytes - p.bytes,
                    "bits_per_second": gbits(t.bytes - p.bytes, d) * 1e9,
                    "datagrams_per_second": rate(recv, d),
                    "lost": lost,
                    "reordered": t.reordered - p.reordered,
                    "duplicates": t.duplicates - p.duplicates,
                    "jitter_us": t.jitter_ns / 1e3,
                    "kernel_drops": t.drops - p.drops,
                    "kernel_dropped_datagrams": (t.drops - p.drops) * self.mode.per_packet as u64,
                })
            ));
        } else {
            emit_with(
                self.bar.as_ref(),
                format_args!(
                    "{:>5.2}-{:<5.2} s  {:>7.3} Gb/s  {:>9}d/s  {:>9} ({:>5.2}%)  {:>7}  {:>5}  {:>7.1} us  {:>7}",
                    p.elapsed.as_secs_f64(),
                    t.elapsed.as_secs_f64(),
                    gbits(t.bytes - p.bytes, d),
                    si(rate(recv, d)),
                    lost,
                    pct(lost, recv + lost),
                    t.reordered - p.reordered,
                    t.duplicates - p.duplicates,
                    t.jitter_ns / 1e3,
                    (t.drops - p.drops) * self.mode.per_packet as u64,
                ),
            );
        }
        self.prev = *t;
    }

    /// The headline: totals of the whole run.
    pub(crate) fn summary(&self, t: &Totals) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        let lost = t.sent.saturating_sub(t.received);
        let dropped = t.drops * self.mode.per_packet as u64;
        let unaccounted = lost.saturating_sub(dropped + t.malformed);
        let d = t.elapsed;
        if self.mode.json {
            emit(format_args!(
                "{}",
                json!({
                    "type": "summary",
                    "seconds": d.as_secs_f64(),
                    "len": self.mode.len,
                    "gso": self.mode.gso,
                    "gro": self.mode.gro,
                    "target_datagrams_per_second": self.mode.pps,
                    "pacing": if self.mode.pps.is_some() { "user space" } else { "none" },
                    "sent": t.sent,
                    "received": t.received,
                    "bytes": t.bytes,
                    "bits_per_second": gbits(t.bytes, d) * 1e9,
                    "datagrams_per_second": rate(t.received, d),
                    "lost": lost,
                    "lost_percent": pct(lost, t.sent),
                    "kernel_drops": t.drops,
                    "kernel_dropped_datagrams": dropped,
                    "malformed": t.malformed,
                    "unaccounted": unaccounted,
                    "reordered": t.reordered,
                    "duplicates": t.duplicates,
                    "jitter_us": t.jitter_ns / 1e3,
                })
            ));
        } else {
            emit(format_args!(
                "{:.3} Gbit/s, {}datagrams/s, lost {:.2}% ({} of {}; kernel drops {}, other {})",
                gbits(t.bytes, d),
                si(rate(t.received, d)),
                pct(lost, t.sent),
                lost,
                t.sent,
                dropped,
                unaccounted
            ));
        }
    }
}
