//! `dgram perf --latency`: request/response round trips, RTT percentiles from a histogram.
//!
//! The client keeps `--in-flight N` requests outstanding (1 by default): each request is a
//! datagram of `--len` bytes that starts with the usual 20-byte header (sequence number, send
//! time, stream 0), and the echo end sends every request back to its sender unchanged. Each reply
//! is matched to its request by sequence number (request slot `i` carries the sequence numbers
//! `i`, `i + N`, `i + 2N`, ...: the slot of a reply is its sequence number modulo N), its round
//! trip time goes into an `hdrhistogram` (nanoseconds, 3 significant digits), and the slot sends
//! its next request at once. A request without a reply after [`LOST_AFTER`] counts as lost (not
//! as an RTT) and its slot moves on; a reply that comes later is counted `late`. When the sending
//! time is over, the client waits for the requests still outstanding (replies or timeouts).
//!
//! Both kinds of traffic socket (`sock::Sock`) go through the one request loop and the one echo:
//! UDP (IPv4 or IPv6) and Unix datagram sockets. Over loopback both ends run in one process (the
//! echo end on its own thread) on a pair of sockets connected to each other: UDP on 127.0.0.1
//! (`--ipv6`: ::1) or a Unix socket pair (`--unix`). With `--client` the echo end is a
//! `dgram perf --server`; the control exchange (TCP, or a Unix stream socket at `PATH.control`
//! for a Unix server at `PATH`; JSON lines, see `control.rs`) is then:
//!
//! 1. client → server: `{"mode":"latency","len":1200,"in_flight":1,"interval_ns":1000000000}`,
//!    with `"addr"` (the address of the client's socket, which the kernel names: an unbound Unix
//!    socket could not be answered) when the server is a Unix one;
//! 2. server → client: `{"type":"ready"}` once its traffic socket is bound: UDP on the server's
//!    port (unconnected: each reply goes to its request's sender, from the address the request
//!    went to), or a Unix socket at `PATH` connected to the client's `addr`; or
//!    `{"type":"error","message":".."}` when it cannot make it;
//! 3. the client sends requests; the server echoes each datagram back to its sender; every
//!    interval the client writes `{"type":"sent","requests":N}` and the server
//!    `{"type":"echoed","echoed":M}` (counts since the start);
//! 4. client → server: `{"type":"done","requests":N}` when every request is answered or lost;
//! 5. server → client: `{"type":"final","echoed":M}` (a Unix server has removed its socket at
//!    `PATH` by then), then it closes the connection.
//!
//! Either side takes a silence of an interval and 5 s as the other gone. A control connection
//! that closes before step 5, or an echo socket that refuses the requests (ICMP port unreachable,
//! a Unix socket gone), ends the client with an error naming the server.

use std::io::{self, BufReader, IoSliceMut, IsTerminal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datagrams::{RecvMeta, Transmit, UdpSocket, UnixAddr, UnixDatagram};
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use super::control::{GRACE, connect_control, io_err, read_line, read_line_kept, send_line};
use super::receiver::u64_at;
use super::report::emit;
use super::sender::write_header;
use super::sock::{Ctl, Sock};
use super::{Args, HEADER_LEN, Transport};

/// A request without a reply for this long is lost.
pub(crate) const LOST_AFTER: Duration = Duration::from_secs(1);
/// Most requests in flight (`--in-flight`).
const MAX_IN_FLIGHT: usize = 65_536;
/// Datagrams per send or receive call.
const BATCH: usize = 32;
/// How long one receive waits, so that intervals, timeouts and the end are seen.
const POLL: Duration = Duration::from_millis(10);
/// How long one control read waits, so that silence and the end are seen.
const CONTROL_POLL: Duration = Duration::from_millis(100);
/// The largest RTT the histogram tells apart from larger ones (larger ones count as this).
const MAX_RTT_NS: u64 = 60_000_000_000;

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, MAX_RTT_NS, 3).map_err(|e| format!("RTT histogram: {e}"))
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Runs `dgram perf --latency`: over loopback, or against the server `--client` names.
pub(crate) fn run(args: &Args, time: Duration, interval: Duration) -> Result<(), String> {
    if args.in_flight == 0 || args.in_flight > MAX_IN_FLIGHT {
        return Err(format!(
            "--in-flight {}: expected 1 to {MAX_IN_FLIGHT} requests",
            args.in_flight
        ));
    }
    let cfg = Config {
        len: args.len,
        in_flight: args.in_flight,
        time,
        interval,
    };
    match &args.client {
        Some(host) => client(host, &cfg, args.json),
        None => loopback(&cfg, Transport::of(args), args.json),
    }
}

/// What the requesting end does.
#[derive(Debug, Clone, Copy)]
struct Config {
    len: usize,
    in_flight: usize,
    time: Duration,
    interval: Duration,
}

/// Both ends in this process, over the loopback sockets of `transport` (connected to each other).
fn loopback(cfg: &Config, transport: Transport, json: bool) -> Result<(), String> {
    let err = |what: &str, e: io::Error| format!("{what}: {e}");
    let (sock, echo_sock) =
        super::loopback_pair(transport).map_err(|e| err("loopback sockets", e))?;
    let stop = Arc::new(AtomicBool::new(false));
    let echoed = Arc::new(AtomicU64::new(0));
    let echo_thread = {
        let (stop, echoed, len, one) = (stop.clone(), echoed.clone(), cfg.len, cfg.in_flight == 1);
        std::thread::spawn(move || echo(&echo_sock, len, one, &stop, &echoed))
    };
    let place = format!("loopback ({})", transport.name());
    let mut rep = Reporter::new(cfg, &place, transport.name(), json)?;
    let result = requests(
        &sock,
        cfg,
        &mut rep,
        &mut |_| Ok(()),
        &AtomicBool::new(false),
        None,
    );
    stop.store(true, Ordering::Release);
    let echo_result = echo_thread
        .join()
        .map_err(|_| "echo thread panicked".to_string())?;
    let t = result?;
    echo_result.map_err(|e| err("echo", e))?;
    rep.summary(&t, None);
    Ok(())
}

/// Echoes every datagram on `sock` back to its sender until `stop` is set; `echoed` counts them.
/// Datagrams longer than `len` are not echoed. `one`: one datagram at a time is expected (and, on
/// an unconnected UDP socket, no reply needs a source address of its own: `IP_PKTINFO`).
///
/// A connected socket (UDP or Unix: loopback pairs, a Unix server connected to its client) echoes
/// to its peer; an unconnected UDP socket (a UDP server) to each datagram's sender.
fn echo(
    sock: &Sock,
    len: usize,
    one: bool,
    stop: &AtomicBool,
    echoed: &AtomicU64,
) -> io::Result<()> {
    sock.set_read_timeout(Some(POLL))?;
    // A reply that cannot be queued for this long (a Unix client that stopped reading) is the
    // client's loss; the echo never blocks past `stop`.
    sock.set_write_timeout(Some(POLL))?;
    match sock {
        Sock::Udp(s) if s.peer_addr().is_err() => echo_to_senders(s, len, one, stop, echoed),
        _ => echo_to_peer(sock, len, one, stop, echoed),
    }
}

/// [`echo`] on a connected socket: `recv(2)`/`send(2)` one at a time, or batches.
fn echo_to_peer(
    sock: &Sock,
    len: usize,
    one: bool,
    stop: &AtomicBool,
    echoed: &AtomicU64,
) -> io::Result<()> {
    let room = len + 1;
    let mut storage = vec![0u8; BATCH * room];
    let mut count = 0u64;
    if one {
        let buf = &mut storage[..room];
        while !stop.load(Ordering::Acquire) {
            match sock.recv(buf) {
                // A reply the kernel refuses (a peer gone) is the client's loss.
                Ok(k) if k <= len => {
                    if sock.send(&buf[..k]).is_ok() {
                        count += 1;
                        echoed.store(count, Ordering::Release);
                    }
                }
                Ok(_) => {}
                Err(e) if timed_out(&e) || e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(());
    }
    let mut bufs: Vec<IoSliceMut<'_>> = storage
        .chunks_exact_mut(room)
        .map(IoSliceMut::new)
        .collect();
    let mut metas = [RecvMeta::new(()); BATCH];
    while !stop.load(Ordering::Acquire) {
        let n = match sock.recv_batch_without_senders(&mut bufs, &mut metas) {
            Ok(n) => n,
            Err(e) if timed_out(&e) || e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(e),
        };
        let mut out: [&[u8]; BATCH] = [&[]; BATCH];
        let mut k = 0;
        for (m, b) in metas[..n].iter().zip(bufs.iter()) {
            if !m.truncated && m.len <= len {
                out[k] = &b[..m.len];
                k += 1;
            }
        }
        let mut done = 0;
        while done < k {
            match sock.send_batch(&out[done..k]) {
                Ok(s) => done += s.max(1),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A reply the kernel refuses (a peer gone, a full queue) is the client's loss.
                Err(_) => done += 1,
            }
        }
        count += k as u64;
        echoed.store(count, Ordering::Release);
    }
    Ok(())
}

/// [`echo`] on an unconnected UDP socket: each reply to its request's sender, from the address
/// the request went to.
fn echo_to_senders(
    sock: &UdpSocket,
    len: usize,
    one: bool,
    stop: &AtomicBool,
    echoed: &AtomicU64,
) -> io::Result<()> {
    let room = len + 1;
    let mut storage = vec![0u8; BATCH * room];
    let mut count = 0u64;
    if one {
        // One request at a time: recvfrom(2)/sendto(2) cost less than batches of one (PERF.md).
        let buf = &mut storage[..room];
        while !stop.load(Ordering::Acquire) {
            match sock.recv_from(buf) {
                Ok((k, from)) if k <= len => {
                    // A reply the kernel refuses (a sender gone) is the client's loss.
                    if sock.send_to(&buf[..k], from).is_ok() {
                        count += 1;
                        echoed.store(count, Ordering::Release);
                    }
                }
                Ok(_) => {}
                Err(e) if timed_out(&e) || e.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(e) => return Err(e),
            }
        }
        return Ok(());
    }
    let mut bufs: Vec<IoSliceMut<'_>> = storage
        .chunks_exact_mut(room)
        .map(IoSliceMut::new)
        .collect();
    let mut metas = [RecvMeta::default(); BATCH];
    while !stop.load(Ordering::Acquire) {
        let n = match sock.recv_batch(&mut bufs, &mut metas) {
            Ok(n) => n,
            // A client gone away (ICMP port unreachable) is the control connection's business.
            Err(e) if timed_out(&e) || e.kind() == io::ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(e),
        };
        let mut ts: [Transmit<'_>; BATCH] = std::array::from_fn(|_| Transmit::connected(&[]));
        let mut k = 0;
        for (m, b) in metas[..n].iter().zip(bufs.iter()) {
            if !m.truncated && m.len <= len {
                let mut t = Transmit::new(m.addr, &b[..m.len]);
                if let Some(ip) = m.dst_ip {
                    // From the address the request went to (a server bound to a wildcard).
                    t = t.src_ip(ip);
                }
                ts[k] = t;
                k += 1;
            }
        }
        let mut done = 0;
        while done < k {
            match sock.send_batch(&ts[done..k]) {
                Ok(s) => done += s.max(1),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A reply the kernel refuses (a sender gone, a full queue) is the client's loss.
                Err(_) => done += 1,
            }
        }
        count += k as u64;
        echoed.store(count, Ordering::Release);
    }
    Ok(())
}

/// One request slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Sequence number of the request last sent from this slot.
    seq: u64,
    /// When it was sent, ns since the run's start.
    sent_ns: u64,
    /// Its reply is awaited.
    live: bool,
}

/// Counters since the start of the run.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    /// Time since the start (the end of the interval).
    elapsed: Duration,
    /// Requests the kernel took.
    requests: u64,
    /// Replies matched to their request (each one an RTT in the histogram).
    replies: u64,
    /// Requests without a reply after [`LOST_AFTER`].
    lost: u64,
    /// Replies to no outstanding request (after their request was counted lost, or twice).
    late: u64,
    /// Replies of the wrong length, or truncated.
    malformed: u64,
}

/// Sends requests and measures the replies until the sending time is over and every request is
/// answered or lost; `gone` (set by whoever watches the other end) ends it with an error.
fn requests(
    sock: &Sock,
    cfg: &Config,
    rep: &mut Reporter,
    tell: &mut dyn FnMut(u64) -> Result<(), String>,
    gone: &AtomicBool,
    server: Option<&str>,
) -> Result<Counts, String> {
    let len = cfg.len;
    let n = cfg.in_flight;
    let fail = |e: io::Error| match server {
        Some(a) if e.kind() == io::ErrorKind::ConnectionRefused => {
            format!("server {a}: its datagram socket refused the requests ({e})")
        }
        Some(a) => format!("server {a}: {e}"),
        None => format!("request: {e}"),
    };
    sock.set_read_timeout(Some(POLL)).map_err(fail)?;
    // A full queue at the echo end (a Unix server that stopped reading) blocks a send: bounded,
    // so that the other end's going away (`gone`) is seen.
    sock.set_write_timeout(Some(POLL)).map_err(fail)?;
    let batch = n.min(BATCH);
    let mut send_buf = vec![0u8; batch * len];
    let room = len + 1;
    let mut storage = vec![0u8; batch * room];
    let mut bufs: Vec<IoSliceMut<'_>> = storage
        .chunks_exact_mut(room)
        .map(IoSliceMut::new)
        .collect();
    let mut metas = [RecvMeta::new(()); BATCH];
    let mut slots: Vec<Slot> = (0..n)
        .map(|i| Slot {
            seq: i as u64,
            sent_ns: 0,
            live: false,
        })
        .collect();
    // Slots whose next request is due: all of them at first.
    let mut due: Vec<usize> = (0..n).collect();
    let mut hist = histogram()?;
    let mut c = Counts::default();
    let lost_after = nanos(LOST_AFTER);
    let mut next_expiry = u64::MAX;
    let mut next_report = cfg.interval;
    let start = Instant::now();
    let until = nanos(cfg.time);
    let mut live = 0usize;
    loop {
        let now = nanos(start.elapsed());
        let running = now < until;
        if !running {
            due.clear();
        }
        // Send the requests due, a batch at a time.
        for chunk in due.chunks(batch) {
            let sent_ns = nanos(start.elapsed());
            for (d, &i) in send_buf.chunks_exact_mut(len).zip(chunk) {
                write_header(d, slots[i].seq, sent_ns, 0);
            }
            let mut done = 0;
            while done < chunk.len() {
                // One in flight: send(2) and recv(2), which cost less than batches of one.
                let r = if batch == 1 {
                    sock.send(&send_buf[..len]).map(|_| 1)
                } else {
                    let mut parts = send_buf.chunks_exact(len);
                    let ts: [&[u8]; BATCH] = std::array::from_fn(|_| {
                        // `send_buf` holds `batch` requests; the buffers past them are not sent.
                        parts.next().unwrap_or(&[])
                    });
                    sock.send_batch(&ts[done..chunk.len()])
                };
                match r {
                    Ok(s) => done += s,
                    Err(e) if timed_out(&e) => {
                        if gone.load(Ordering::Acquire) {
                            return Err("the control connection ended".to_string());
                        }
                    }
                    Err(e) => return Err(fail(e)),
                }
            }
            for &i in chunk {
                slots[i].sent_ns = sent_ns;
                slots[i].live = true;
            }
            live += chunk.len();
            c.requests += chunk.len() as u64;
            next_expiry = next_expiry.min(sent_ns + lost_after);
        }
        due.clear();
        if live == 0 && !running {
            break;
        }
        let r = if batch == 1 {
            // A reply longer than `len` fills the buffer (`len + 1`): malformed below.
            sock.recv(&mut bufs[0]).map(|k| {
                metas[0].len = k;
                metas[0].truncated = false;
                1
            })
        } else {
            sock.recv_batch_without_senders(&mut bufs, &mut metas)
        };
        let now = nanos(start.elapsed());
        match r {
            Ok(k) => {
                for (m, b) in metas[..k].iter().zip(bufs.iter()) {
                    if m.truncated || m.len != len {
                        c.malformed += 1;
                        continue;
                    }
                    let seq = u64_at(b, 0);
                    let i = (seq % n as u64) as usize;
                    let s = &mut slots[i];
                    if !(s.live && s.seq == seq) {
                        c.late += 1;
                        continue;
                    }
                    hist.saturating_record(now.saturating_sub(s.sent_ns).max(1));
                    c.replies += 1;
                    s.live = false;
                    s.seq += n as u64;
                    live -= 1;
                    due.push(i);
                }
            }
            Err(e) if timed_out(&e) => {}
            Err(e) => return Err(fail(e)),
        }
        if now >= next_expiry {
            next_expiry = u64::MAX;
            for (i, s) in slots.iter_mut().enumerate().filter(|(_, s)| s.live) {
                if now >= s.sent_ns + lost_after {
                    c.lost += 1;
                    s.live = false;
                    s.seq += n as u64;
                    live -= 1;
                    due.push(i);
                } else {
                    next_expiry = next_expiry.min(s.sent_ns + lost_after);
                }
            }
        }
        // The last interval ends with the run (its last replies or timeouts), not at `--time`.
        while Duration::from_nanos(now) >= next_report && next_report < cfg.time {
            c.elapsed = next_report;
            rep.interval(&c, &mut hist)?;
            tell(c.requests)?;
            next_report += cfg.interval;
        }
        rep.tick(Duration::from_nanos(now));
        if gone.load(Ordering::Acquire) {
            return Err("the control connection ended".to_string());
        }
    }
    c.elapsed = Duration::from_nanos(nanos(start.elapsed()));
    rep.interval(&c, &mut hist)?;
    // Requests per second over the sending time, not the wait for the last replies.
    c.elapsed = cfg.time;
    Ok(c)
}

/// Prints interval lines and the headline (fitting 100 columns), or JSON objects.
#[derive(Debug)]
struct Reporter {
    json: bool,
    /// `UDP/IPv4`, `UDP/IPv6` or `Unix`.
    transport: &'static str,
    prev: Counts,
    /// The whole run's RTTs (each interval's are added at its end).
    total: Histogram<u64>,
    len: usize,
    in_flight: usize,
    bar: Option<indicatif::ProgressBar>,
}

/// An RTT in ns for people: µs with 3 or 4 digits below 10 ms, ms above (at most 7 characters).
fn rtt(ns: u64) -> String {
    let v = ns as f64 / 1e3;
    if v < 10.0 {
        format!("{v:.2} us")
    } else if v < 100.0 {
        format!("{v:.1} us")
    } else if v < 10_000.0 {
        format!("{v:.0} us")
    } else if v < 100_000.0 {
        format!("{:.1} ms", v / 1e3)
    } else {
        format!("{:.0} ms", v / 1e3)
    }
}

fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// `1234567.0` as `1.23 M`.
fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0} ")
    }
}

/// Percentiles of `h` in µs, for JSON: p50, p99, p99.9, max (0 when empty).
fn rtt_json(h: &Histogram<u64>) -> Value {
    let q = |x: f64| {
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(x) as f64 / 1e3
        }
    };
    json!({
        "rtt_p50_us": q(0.5), "rtt_p99_us": q(0.99), "rtt_p999_us": q(0.999),
        "rtt_max_us": if h.is_empty() { 0.0 } else { h.max() as f64 / 1e3 },
    })
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

impl Reporter {
    /// `place`: where the echo end is (`loopback (Unix)`, `to the server ADDR`).
    fn new(
        cfg: &Config,
        place: &str,
        transport: &'static str,
        json: bool,
    ) -> Result<Reporter, String> {
        if !json {
            emit(format_args!(
                "dgram perf --latency: {place}, {} B requests, {} in flight, {:.1} s",
                cfg.len,
                cfg.in_flight,
                cfg.time.as_secs_f64()
            ));
            emit(format_args!(
                "{:>13}  {:>12}  {:>10}  {:>10}  {:>10}  {:>10}  {:>9}",
                "interval", "requests", "RTT p50", "p99", "p99.9", "max", "lost"
            ));
        }
        let bar = (!json && io::stdout().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(u64::try_from(cfg.time.as_millis()).unwrap_or(0));
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {percent:>3}% of the sending time",
            ) {
                b.set_style(style);
            }
            b
        });
        Ok(Reporter {
            json,
            transport,
            prev: Counts::default(),
            total: histogram()?,
            len: cfg.len,
            in_flight: cfg.in_flight,
            bar,
        })
    }

    fn tick(&self, elapsed: Duration) {
        if let Some(b) = &self.bar {
            b.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        }
    }

    /// Reports the interval from the previous call to `c` with its RTTs `h`, then empties `h`.
    fn interval(&mut self, c: &Counts, h: &mut Histogram<u64>) -> Result<(), String> {
        let p = self.prev;
        let d = c.elapsed.saturating_sub(p.elapsed);
        let replies = c.replies - p.replies;
        let lost = c.lost - p.lost;
        if d.is_zero() || (d < Duration::from_millis(10) && replies == 0 && lost == 0) {
            return Ok(());
        }
        self.total
            .add(&*h)
            .map_err(|e| format!("RTT histogram: {e:?}"))?;
        if self.json {
            let mut v = json!({
                "type": "interval",
                "start_s": p.elapsed.as_secs_f64(),
                "end_s": c.elapsed.as_secs_f64(),
                "requests": c.requests - p.requests,
                "replies": replies,
                "requests_per_second": per_second(replies, d),
                "lost": lost,
                "late": c.late - p.late,
                "malformed": c.malformed - p.malformed,
            });
            merge(&mut v, rtt_json(h));
            emit(format_args!("{v}"));
        } else {
            let q = |x: f64| {
                if h.is_empty() {
                    "-".to_string()
                } else {
                    rtt(h.value_at_quantile(x))
                }
            };
            let line = format!(
                "{:>5.2}-{:<5.2} s  {:>10}/s  {:>10}  {:>10}  {:>10}  {:>10}  {:>9}",
                p.elapsed.as_secs_f64(),
                c.elapsed.as_secs_f64(),
                si(per_second(replies, d)),
                q(0.5),
                q(0.99),
                q(0.999),
                if h.is_empty() {
                    "-".to_string()
                } else {
                    rtt(h.max())
                },
                lost
            );
            match &self.bar {
                Some(b) => b.println(line),
                None => emit(format_args!("{line}")),
            }
        }
        h.reset();
        self.prev = *c;
        Ok(())
    }

    /// The headline: the whole run; `echoed` is what the server says it echoed.
    fn summary(&self, c: &Counts, echoed: Option<u64>) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        let h = &self.total;
        if self.json {
            let mut v = json!({
                "type": "summary",
                "mode": "latency",
                "transport": self.transport,
                "seconds": c.elapsed.as_secs_f64(),
                "len": self.len,
                "in_flight": self.in_flight,
                "requests": c.requests,
                "replies": c.replies,
                "requests_per_second": per_second(c.replies, c.elapsed),
                "lost": c.lost,
                "late": c.late,
                "malformed": c.malformed,
                "lost_after_s": LOST_AFTER.as_secs_f64(),
                "server_echoed": echoed,
                "rtt_min_us": if h.is_empty() { 0.0 } else { h.min() as f64 / 1e3 },
                "rtt_mean_us": if h.is_empty() { 0.0 } else { h.mean() / 1e3 },
            });
            merge(&mut v, rtt_json(h));
            emit(format_args!("{v}"));
        } else if h.is_empty() {
            emit(format_args!(
                "no replies: lost {} of {} requests",
                c.lost, c.requests
            ));
        } else {
            emit(format_args!(
                "RTT p50 {}, p99 {}, p99.9 {}, max {}; {}requests/s, lost {} of {}",
                rtt(h.value_at_quantile(0.5)),
                rtt(h.value_at_quantile(0.99)),
                rtt(h.value_at_quantile(0.999)),
                rtt(h.max()),
                si(per_second(c.replies, c.elapsed)),
                c.lost,
                c.requests
            ));
        }
    }
}

/// The client of a `dgram perf --server`: control exchange, requests, both sides printed.
fn client(host: &str, cfg: &Config, json: bool) -> Result<(), String> {
    let (ctl, udp_addr, name) = connect_control(host)?;
    let lost = |e: io::Error| format!("server {name}: {e}");
    // The requesting socket exists before the parameters: a Unix server connects its echo socket
    // to the address they name (an unbound Unix socket could not be answered).
    let sock = match udp_addr {
        Some(a) => Sock::Udp(
            UdpSocket::bind(if a.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }).map_err(lost)?,
        ),
        None => Sock::Unix(UnixDatagram::bind(UnixAddr::unnamed()).map_err(lost)?),
    };
    let mut params = json!({"mode": "latency", "len": cfg.len, "in_flight": cfg.in_flight,
                            "interval_ns": nanos(cfg.interval)});
    if let Sock::Unix(s) = &sock {
        params["addr"] = json!(s.local_addr().map_err(lost)?.to_string());
    }
    let mut reader = BufReader::new(ctl.try_clone().map_err(lost)?);
    let mut writer = ctl;
    send_line(&mut writer, &params).map_err(lost)?;
    reader
        .get_ref()
        .set_read_timeout(Some(GRACE))
        .map_err(lost)?;
    match read_line(&mut reader).map_err(lost)? {
        Some(v) if v["type"] == "ready" => {}
        Some(v) if v["type"] == "error" => {
            return Err(format!(
                "server {name}: {}",
                v["message"].as_str().unwrap_or("error")
            ));
        }
        _ => return Err(format!("server {name}: no ready answer")),
    }
    let transport = match &sock {
        Sock::Udp(s) => {
            s.connect(udp_addr.ok_or("a UDP server without an address")?)
                .map_err(lost)?;
            if s.family() == datagrams::Family::V4 {
                "UDP/IPv4"
            } else {
                "UDP/IPv6"
            }
        }
        Sock::Unix(s) => {
            s.connect(host)
                .map_err(|e| format!("server {name}: {host}: {e}"))?;
            "Unix"
        }
    };
    // The watcher reads the control connection: the server's counts, its last word, or its
    // going away.
    reader
        .get_ref()
        .set_read_timeout(Some(CONTROL_POLL))
        .map_err(lost)?;
    let gone = Arc::new(AtomicBool::new(false));
    let quit = Arc::new(AtomicBool::new(false));
    let silence = cfg.interval + GRACE;
    let watcher = {
        let (gone, quit, name) = (gone.clone(), quit.clone(), name.clone());
        std::thread::spawn(move || {
            let r = watch(&mut reader, &name, silence, &quit);
            gone.store(true, Ordering::Release);
            r
        })
    };
    let mut rep = Reporter::new(cfg, &format!("to the server {name}"), transport, json)?;
    let mut tell = |requests: u64| {
        send_line(&mut writer, &json!({"type": "sent", "requests": requests})).map_err(lost)
    };
    let result = requests(&sock, cfg, &mut rep, &mut tell, &gone, Some(&name));
    let said = match &result {
        Ok(c) => send_line(
            &mut writer,
            &json!({"type": "done", "requests": c.requests}),
        )
        .map_err(lost),
        Err(_) => Ok(()),
    };
    if result.is_err() || said.is_err() {
        quit.store(true, Ordering::Release);
    }
    let echoed = watcher
        .join()
        .map_err(|_| "control thread panicked".to_string())?;
    // The watcher's reason comes first: it is why the run stopped, when it did.
    let echoed = echoed?;
    let c = result?;
    said?;
    rep.summary(&c, echoed);
    Ok(())
}

/// Reads the control connection until the server's `final` line (its echo count); an error when
/// the server goes away or says nothing for `silence`. `quit`: stop reading, `None`.
fn watch(
    reader: &mut BufReader<Ctl>,
    addr: &str,
    silence: Duration,
    quit: &AtomicBool,
) -> Result<Option<u64>, String> {
    let mut line = String::new();
    let mut heard = Instant::now();
    loop {
        match read_line_kept(reader, &mut line) {
            Ok(None) => {
                return Err(format!(
                    "server {addr} closed the control connection mid-run"
                ));
            }
            Ok(Some(v)) if v["type"] == "echoed" => heard = Instant::now(),
            Ok(Some(v)) if v["type"] == "final" => return Ok(v["echoed"].as_u64()),
            Ok(Some(v)) => return Err(format!("server {addr}: unexpected message {v}")),
            Err(e) if timed_out(&e) => {
                if quit.load(Ordering::Acquire) {
                    return Ok(None);
                }
                if heard.elapsed() >= silence {
                    return Err(format!(
                        "server {addr} went silent (nothing for {silence:?})"
                    ));
                }
            }
            Err(e) => return Err(format!("server {addr}: {e}")),
        }
    }
}

/// Serves one latency client with `sock` (a UDP socket on the server's port, or a Unix socket at
/// the server's path connected to the client's): echoes its requests and writes its count every
/// interval until the client says `done`, then writes the final count. A client that goes away,
/// or says nothing for an interval and [`GRACE`], ends it with an error. `cleanup` runs when the
/// echoing is over, before the final count (a Unix server removes its socket file there).
pub(crate) fn serve(
    sock: Sock,
    mut reader: BufReader<Ctl>,
    mut writer: Ctl,
    params: &Value,
    cleanup: impl FnOnce(),
) -> io::Result<()> {
    let len = params["len"]
        .as_u64()
        .and_then(|l| usize::try_from(l).ok())
        .filter(|l| (HEADER_LEN..=65_507).contains(l))
        .ok_or_else(|| io_err(format!("latency parameters without a valid len: {params}")))?;
    // The client's interval (1 s if it named none; at least CONTROL_POLL, at most an hour).
    let interval = Duration::from_nanos(params["interval_ns"].as_u64().unwrap_or(1_000_000_000))
        .clamp(CONTROL_POLL, Duration::from_secs(3600));
    let mut one = params["in_flight"] == 1;
    if let Sock::Udp(s) = &sock {
        let local = s.local_addr()?;
        // One datagram at a time goes by recvfrom/sendto, unless replies need IP_PKTINFO's
        // address.
        if local.ip().is_unspecified() {
            one = false;
            // Replies leave from the address each request went to: the client's socket is
            // connected.
            if local.is_ipv4() {
                s.set_recv_pktinfo_v4(true)?;
            } else {
                s.set_recv_pktinfo_v6(true)?;
            }
        }
    }
    reader.get_ref().set_read_timeout(Some(CONTROL_POLL))?;
    send_line(&mut writer, &json!({"type": "ready"}))?;
    let stop = Arc::new(AtomicBool::new(false));
    let echoed = Arc::new(AtomicU64::new(0));
    let echo_thread = {
        let (stop, echoed) = (stop.clone(), echoed.clone());
        std::thread::spawn(move || echo(&sock, len, one, &stop, &echoed))
    };
    let said = control_loop(&mut reader, &mut writer, interval, &echoed);
    stop.store(true, Ordering::Release);
    let echo_result = echo_thread
        .join()
        .map_err(|_| io_err("echo thread panicked"))?;
    cleanup();
    said?;
    echo_result?;
    send_line(
        &mut writer,
        &json!({"type": "final", "echoed": echoed.load(Ordering::Acquire)}),
    )
}

/// The server's side of a latency run until the client's `done`: its count every interval.
fn control_loop(
    reader: &mut BufReader<Ctl>,
    writer: &mut Ctl,
    interval: Duration,
    echoed: &AtomicU64,
) -> io::Result<()> {
    let mut line = String::new();
    let mut heard = Instant::now();
    let mut next_report = Instant::now() + interval;
    loop {
        match read_line_kept(reader, &mut line) {
            Ok(Some(v)) if v["type"] == "sent" => heard = Instant::now(),
            Ok(Some(v)) if v["type"] == "done" => return Ok(()),
            Ok(Some(v)) => return Err(io_err(format!("unexpected message {v}"))),
            Ok(None) => return Err(io_err("closed the control connection mid-run")),
            Err(e) if timed_out(&e) => {
                if heard.elapsed() >= interval + GRACE {
                    return Err(io_err(format!(
                        "went silent (nothing for {:?})",
                        interval + GRACE
                    )));
                }
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if now >= next_report {
            let n = echoed.load(Ordering::Acquire);
            send_line(writer, &json!({"type": "echoed", "echoed": n}))?;
            next_report = now + interval;
        }
    }
}
