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
pub(super) fn emit(line: std::fmt::Arguments<'_>) {
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

impl Totals {
    /// The totals of several streams: counts summed, the longest time, the mean jitter of the
    /// streams that received anything.
    pub(crate) fn sum(streams: &[Totals]) -> Totals {
        let mut t = Totals::default();
        let mut jittered = 0u32;
        for s in streams {
            t.elapsed = t.elapsed.max(s.elapsed);
            // Saturating: a remote side's counters are whatever its JSON says.
            t.sent = t.sent.saturating_add(s.sent);
            t.received = t.received.saturating_add(s.received);
            t.bytes = t.bytes.saturating_add(s.bytes);
            t.gaps = t.gaps.saturating_add(s.gaps);
            t.reordered = t.reordered.saturating_add(s.reordered);
            t.duplicates = t.duplicates.saturating_add(s.duplicates);
            t.drops = t.drops.saturating_add(s.drops);
            t.malformed = t.malformed.saturating_add(s.malformed);
            if s.received > 0 {
                t.jitter_ns += s.jitter_ns;
                jittered += 1;
            }
        }
        t.jitter_ns /= f64::from(jittered.max(1));
        t
    }
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
    /// The server sends, the client receives.
    pub(crate) reverse: bool,
    /// Parallel streams (each its own sockets and threads).
    pub(crate) streams: usize,
    /// The traffic's transport: `UDP/IPv4`, `UDP/IPv6` or `Unix`.
    pub(crate) transport: &'static str,
    /// Who paces `--rate`: `user space` or `kernel` (SO_MAX_PACING_RATE).
    pub(crate) pacing: &'static str,
}

/// Prints interval lines and the summary.
#[derive(Debug)]
pub(crate) struct Reporter {
    mode: Mode,
    prev: Totals,
    /// The length of the last interval reported.
    step: Duration,
    /// A progress bar over the sending time, only when standard output is a terminal.
    bar: Option<indicatif::ProgressBar>,
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

/// The header: what runs, how, for how long (lines of at most 100 columns), then the pacing.
fn header(mode: &Mode) {
    let unix = mode.transport == "Unix";
    let mut parts = vec![
        format!(
            "dgram perf: {} over {}",
            match (mode.remote, mode.reverse) {
                (false, _) => "loopback",
                (true, false) => "to the server",
                (true, true) => "from the server",
            },
            mode.transport
        ),
        format!("{} B", mode.len),
    ];
    if mode.streams > 1 {
        parts.push(format!("{} streams", mode.streams));
    }
    if unix {
        // GSO, GRO and kernel drops are UDP's; a full Unix queue blocks the sender instead.
        parts.push("sendmmsg sender, recvmmsg receiver (no GSO/GRO on Unix)".into());
    } else {
        parts.push(
            if mode.gso {
                "GSO sender"
            } else {
                "sendmmsg sender"
            }
            .into(),
        );
        parts.push(
            if mode.gro {
                "GRO+recvmmsg receiver"
            } else {
                "recvmmsg receiver"
            }
            .into(),
        );
    }
    parts.push(match mode.count {
        Some(n) => format!("{} bytes", n * mode.len as u64),
        None => format!("{:.1} s", mode.time.as_secs_f64()),
    });
    let mut line = String::new();
    for p in parts {
        if line.is_empty() {
            line = p;
        } else if line.len() + 2 + p.len() > 100 {
            emit(format_args!("{line},"));
            line = format!("  {p}");
        } else {
            line = format!("{line}, {p}");
        }
    }
    emit(format_args!("{line}"));
    if let Some(p) = mode.pps {
        emit(format_args!(
            "pacing: {}, {}datagrams/s",
            if mode.pacing == "kernel" {
                "kernel (SO_MAX_PACING_RATE, held where fq is the egress qdisc)"
            } else {
                mode.pacing
            },
            si(p)
        ));
    }
    if unix {
        emit(format_args!(
            "kernel drops: none on Unix sockets (a full queue blocks the sender)"
        ));
    }
}

impl Reporter {
    pub(crate) fn new(mode: Mode) -> Reporter {
        if !mode.json {
            header(&mode);
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
            step: Duration::ZERO,
            bar,
        }
    }

    /// Moves the progress bar (if any) to `elapsed`.
    pub(crate) fn tick(&self, elapsed: Duration) {
        if let Some(b) = &self.bar {
            b.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        }
    }

    /// What the receivers of a run gathered (`streams::Receivers::gather`): the streams' totals
    /// at the end of an interval (summed into one line), or only the time, for the progress bar.
    pub(crate) fn gathered(&mut self, row: Option<&[Totals]>, elapsed: Duration) {
        match row {
            Some(row) => self.interval(&Totals::sum(row)),
            None => self.tick(elapsed),
        }
    }

    /// Reports the end of the run: what arrived since the last interval (the queues drained after
    /// the sender stopped). A human reader gets no line for a tail shorter than a tenth of an
    /// interval (a "3.00-3.00 s" line whose rate is of a few milliseconds); the headline counts
    /// it. JSON keeps it, so that the intervals add up to the summary.
    pub(crate) fn last_interval(&mut self, t: &Totals) {
        let d = t.elapsed.saturating_sub(self.prev.elapsed);
        if !self.mode.json && !self.step.is_zero() && d < self.step / 10 {
            self.prev = *t;
            return;
        }
        self.interval(t);
    }

    /// Reports the interval from the previous call to `t`.
    pub(crate) fn interval(&mut self, t: &Totals) {
        let p = self.prev;
        let d = t.elapsed.saturating_sub(p.elapsed);
        // Saturating: a remote side's counters may go backwards (garbage JSON from a peer).
        let recv = t.received.saturating_sub(p.received);
        let bytes = t.bytes.saturating_sub(p.bytes);
        let drops = t.drops.saturating_sub(p.drops);
        let dropped = drops.saturating_mul(self.mode.per_packet as u64);
        let reordered = t.reordered.saturating_sub(p.reordered);
        let duplicates = t.duplicates.saturating_sub(p.duplicates);
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
                    "sent": t.sent.saturating_sub(p.sent),
                    "received": recv,
                    "bytes": bytes,
                    "bits_per_second": gbits(bytes, d) * 1e9,
                    "datagrams_per_second": rate(recv, d),
                    "lost": lost,
                    "reordered": reordered,
                    "duplicates": duplicates,
                    "jitter_us": t.jitter_ns / 1e3,
                    "kernel_drops": drops,
                    "kernel_dropped_datagrams": dropped,
                })
            ));
        } else {
            emit_with(
                self.bar.as_ref(),
                format_args!(
                    "{:>5.2}-{:<5.2} s  {:>7.3} Gb/s  {:>9}d/s  {:>9} ({:>5.2}%)  {:>7}  {:>5}  {:>7.1} us  {:>7}",
                    p.elapsed.as_secs_f64(),
                    t.elapsed.as_secs_f64(),
                    gbits(bytes, d),
                    si(rate(recv, d)),
                    lost,
                    pct(lost, recv.saturating_add(lost)),
                    reordered,
                    duplicates,
                    t.jitter_ns / 1e3,
                    dropped,
                ),
            );
        }
        self.prev = *t;
        self.step = d;
    }

    /// What was lost of `t`: (lost, kernel-dropped datagrams, unaccounted).
    fn losses(&self, t: &Totals) -> (u64, u64, u64) {
        let lost = t.sent.saturating_sub(t.received);
        let dropped = t.drops.saturating_mul(self.mode.per_packet as u64);
        (
            lost,
            dropped,
            lost.saturating_sub(dropped.saturating_add(t.malformed)),
        )
    }

    /// The headline: totals of the whole run (the sum of `streams`), after one line per stream
    /// when there are several.
    pub(crate) fn summary(&self, streams: &[Totals]) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        let t = &Totals::sum(streams);
        let (lost, dropped, unaccounted) = self.losses(t);
        let d = t.elapsed;
        let per_stream = || {
            streams
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let (lost, dropped, unaccounted) = self.losses(s);
                    json!({
                        "stream": i, "sent": s.sent, "received": s.received, "bytes": s.bytes,
                        "lost": lost, "kernel_dropped_datagrams": dropped,
                        "malformed": s.malformed, "unaccounted": unaccounted,
                        "reordered": s.reordered, "duplicates": s.duplicates,
                        "jitter_us": s.jitter_ns / 1e3,
                    })
                })
                .collect::<Vec<_>>()
        };
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
                    "pacing": if self.mode.pps.is_some() { self.mode.pacing } else { "none" },
                    "transport": self.mode.transport,
                    "reverse": self.mode.reverse,
                    "streams": per_stream(),
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
            if streams.len() > 1 {
                for (i, s) in streams.iter().enumerate() {
                    let (lost, dropped, unaccounted) = self.losses(s);
                    emit(format_args!(
                        "stream {i}: {:.3} Gbit/s, {}datagrams/s, lost {} of {} (kernel drops {}, other {})",
                        gbits(s.bytes, s.elapsed),
                        si(rate(s.received, s.elapsed)),
                        lost,
                        s.sent,
                        dropped,
                        unaccounted
                    ));
                }
            }
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
