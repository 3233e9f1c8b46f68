//! `--server` and `--client`: the control exchange.
//!
//! The client opens a TCP connection to the server's port (the UDP test traffic uses the same
//! port number) and both sides write JSON objects, one per line:
//!
//! 1. client → server: `{"len":1200,"gro":true}` (the parameters the receiver needs);
//! 2. server → client: `{"type":"ready"}` once its UDP socket is ready;
//! 3. the client sends UDP datagrams to the server's port for `--time`; meanwhile the server
//!    writes `{"type":"totals",...}` (its receive counters since the start) every interval;
//! 4. client → server: `{"type":"done","sent":N}` when it stops sending;
//! 5. server → client: `{"type":"final",...}` (the totals once everything sent is received or
//!    dropped, or after a drain time), then the server closes the connection.
//!
//! The client prints the server's counters as its own receiver's, so one output shows both
//! sides. A control connection that closes or stays silent past the run's end ends the client
//! with an error naming the server.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datagrams::UdpSocket;
use serde_json::{Value, json};

use super::report::{Mode, Reporter, Totals};
use super::{RECV_BUFFER, receiver, sender};

/// The port when none is given (iperf3's).
pub(crate) const DEFAULT_PORT: u16 = 5201;
/// How long the client waits for the server's last word beyond the run itself.
const GRACE: Duration = Duration::from_secs(5);

fn io_err(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

fn send_line(w: &mut impl Write, v: &Value) -> io::Result<()> {
    writeln!(w, "{v}")?;
    w.flush()
}

fn read_line(r: &mut impl BufRead) -> io::Result<Option<Value>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line).map(Some).map_err(io_err)
}

pub(crate) fn totals_json(kind: &str, t: &Totals) -> Value {
    json!({
        "type": kind,
        "elapsed_ns": u64::try_from(t.elapsed.as_nanos()).unwrap_or(u64::MAX),
        "received": t.received, "bytes": t.bytes, "gaps": t.gaps, "reordered": t.reordered,
        "duplicates": t.duplicates, "jitter_ns": t.jitter_ns, "drops": t.drops,
        "malformed": t.malformed,
    })
}

fn totals_of(v: &Value, sent: u64) -> Totals {
    let u = |k: &str| v[k].as_u64().unwrap_or(0);
    Totals {
        elapsed: Duration::from_nanos(u("elapsed_ns")),
        sent,
        received: u("received"),
        bytes: u("bytes"),
        gaps: u("gaps"),
        reordered: u("reordered"),
        duplicates: u("duplicates"),
        jitter_ns: v["jitter_ns"].as_f64().unwrap_or(0.0),
        drops: u("drops"),
        malformed: u("malformed"),
    }
}

/// Serves one client after another on `addr` (TCP control and UDP traffic on the same port).
pub(crate) fn serve(addr: &str, interval: Duration) -> Result<(), String> {
    let listener =
        TcpListener::bind(addr).map_err(|e| format!("bind {addr} (TCP control): {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("dgram perf: server listening on {local} (TCP control, UDP traffic)");
    loop {
        let (stream, peer) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        eprintln!("dgram perf: client {peer}");
        if let Err(e) = serve_one(local, stream, interval) {
            eprintln!("dgram perf: client {peer}: {e}");
        }
    }
}

fn serve_one(local: std::net::SocketAddr, stream: TcpStream, interval: Duration) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let params = read_line(&mut reader)?.ok_or_else(|| io_err("closed before its parameters"))?;
    let len = params["len"]
        .as_u64()
        .ok_or_else(|| io_err("parameters without len"))? as usize;
    let rx = UdpSocket::bind(local)?;
    rx.set_recv_drop_count(true)?;
    if rx.set_recv_buffer_size_force(RECV_BUFFER).is_err() {
        let _ = rx.set_recv_buffer_size(RECV_BUFFER);
    }
    let gro = params["gro"].as_bool().unwrap_or(true) && rx.set_gro(true).is_ok();
    let per_packet = params["per_packet"].as_u64().unwrap_or(1) as usize;
    send_line(&mut writer, &json!({"type": "ready"}))?;
    let sent = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    {
        let (sent, done) = (sent.clone(), done.clone());
        std::thread::spawn(move || {
            // The client's `done` (or its going away) ends the receive.
            if let Ok(Some(v)) = read_line(&mut reader) {
                sent.store(v["sent"].as_u64().unwrap_or(0), Ordering::Release);
            } else {
                sent.store(0, Ordering::Release);
            }
            done.store(true, Ordering::Release);
        });
    }
    let mode = Mode {
        len,
        gso: false,
        gro,
        remote: false,
        pps: None,
        per_packet,
        json: true,
        time: interval,
        count: None,
    };
    let mut rep = Reporter::to_writer(mode, writer.try_clone()?);
    let cfg = receiver::Config {
        len,
        gro,
        start: Instant::now(),
        interval,
    };
    let t = receiver::run(&rx, &cfg, &sent, &done, &mut rep)?;
    send_line(&mut writer, &totals_json("final", &t))
}

/// Runs the sending side against the server at `host` (HOST or HOST:PORT) and prints both sides.
pub(crate) fn client(
    host: &str,
    mut cfg: sender::Config,
    mut mode: Mode,
    interval: Duration,
) -> Result<(), String> {
    let target = if host
        .rsplit_once(':')
        .is_some_and(|(h, p)| p.parse::<u16>().is_ok() && (!h.contains(':') || h.ends_with(']')))
    {
        host.to_string()
    } else {
        format!("{host}:{DEFAULT_PORT}")
    };
    let addr = target
        .to_socket_addrs()
        .map_err(|e| format!("--client {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("--client {host}: no address"))?;
    let lost = |e: io::Error| format!("server {addr}: {e}");
    let stream = TcpStream::connect_timeout(&addr, GRACE).map_err(lost)?;
    let mut reader = BufReader::new(stream.try_clone().map_err(lost)?);
    let mut writer = stream;
    let tx = UdpSocket::bind(if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .map_err(lost)?;
    tx.connect(addr).map_err(lost)?;
    if !cfg.gso {
        tx.set_gso(false);
    }
    cfg.gso = tx.max_gso_segments() > 1 && cfg.gso;
    mode.gso = cfg.gso;
    mode.per_packet = if cfg.gso {
        sender::gso_segments(&tx, cfg.len)
    } else {
        1
    };
    send_line(
        &mut writer,
        &json!({"len": cfg.len, "gro": mode.gro, "per_packet": mode.per_packet}),
    )
    .map_err(lost)?;
    reader
        .get_ref()
        .set_read_timeout(Some(GRACE))
        .map_err(lost)?;
    match read_line(&mut reader).map_err(lost)? {
        Some(v) if v["type"] == "ready" => {}
        _ => return Err(format!("server {addr}: no ready answer")),
    }
    let run_time = cfg.until.saturating_duration_since(cfg.start);
    reader
        .get_ref()
        .set_read_timeout(Some(interval + GRACE))
        .map_err(lost)?;
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let halt = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    cfg.start = start;
    cfg.until = start + run_time;
    let sender = {
        let (sent, stop, halt) = (sent.clone(), stop.clone(), halt.clone());
        std::thread::spawn(move || {
            let r = sender::run(&tx, &cfg, &sent, &halt);
            stop.store(true, Ordering::Release);
            r
        })
    };
    let mut rep = Reporter::new(mode);
    let mut told_done = false;
    let result = loop {
        if stop.load(Ordering::Acquire) && !told_done {
            told_done = true;
            let n = sent.load(Ordering::Acquire);
            if let Err(e) = send_line(&mut writer, &json!({"type": "done", "sent": n})) {
                break Err(lost(e));
            }
        }
        match read_line(&mut reader) {
            Ok(Some(v)) if v["type"] == "totals" => {
                rep.interval(&totals_of(&v, sent.load(Ordering::Acquire)))
            }
            Ok(Some(v)) if v["type"] == "final" => {
                let t = totals_of(&v, sent.load(Ordering::Acquire));
                rep.interval(&t);
                break Ok(t);
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                break Err(format!(
                    "server {addr} closed the control connection mid-run"
                ));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break Err(format!(
                    "server {addr} went silent (no report for {:?})",
                    interval + GRACE
                ));
            }
            Err(e) => break Err(lost(e)),
        }
    };
    // A sender still running after the server went away stops now.
    halt.store(true, Ordering::Relaxed);
    let send_result = sender
        .join()
        .map_err(|_| "sender thread panicked".to_string())?;
    let t = result?;
    send_result.map_err(|e| format!("send: {e}"))?;
    rep.summary(&t);
    Ok(())
}
