//! `--server` and `--client`: the control exchange.
//!
//! The client opens a control connection to the server: TCP to the server's port when the traffic
//! is UDP (the traffic uses the same port number), a Unix stream socket at `PATH.control` when the
//! server was given a path (the traffic then goes over Unix datagram sockets at `PATH`, and
//! `PATH.1`, `PATH.2`, ... for more streams). Both sides write JSON objects, one per line:
//!
//! 1. client → server: its parameters: `{"len":1200,"gro":true,"gso":true,"per_packet":54,
//!    "streams":2,"reverse":false,"pps":null,"pacing":"auto","time_ns":3000000000,"count":null,
//!    "interval_ns":1000000000,"addrs":[..]}`; `addrs` names the client's traffic socket of each
//!    stream (its UDP port, or its Unix address); the server reports at the client's interval;
//! 2. server → client: `{"type":"ready","gro":..,"gso":..,"per_packet":..,"pacing":..,
//!    "addrs":[..]}` once its traffic sockets are ready (`addrs`: the Unix paths; the sending
//!    side's settings in reverse mode), or `{"type":"error","message":".."}` when it cannot
//!    make them;
//! 3. forward (the client sends): the client sends for `--time` or `--bytes`; the server writes
//!    `{"type":"totals","streams":[..]}` (each stream's receive counters since the start) every
//!    interval, the client `{"type":"sent","sent":[..]}` (per stream); the client writes
//!    `{"type":"done","sent":[..]}` when it stops; the server writes
//!    `{"type":"final","streams":[..]}` once everything sent is received or dropped (or after a
//!    drain time) and closes the connection;
//! 4. reverse (`--reverse`, the server sends): the server writes `{"type":"sent","sent":[..]}`
//!    every interval and `{"type":"done","sent":[..]}` when it stops; the client receives, writes
//!    `{"type":"totals","streams":[..]}` (what it received) every interval, prints, and closes the
//!    connection, which halts the server's senders.
//!
//! Each side writes at least once an interval while the traffic flows, so either one takes a
//! silence of an interval and 5 s as the other gone: the client ends with an error naming the
//! server, the server ends that client's run and serves the next. Likewise a write that waits
//! 5 s (the other side stopped reading and the queues are full) ends the run.
//!
//! Streams (`--parallel`): each stream has its own socket and thread at both ends. Over UDP the
//! server's sockets all bind the one port with `SO_REUSEPORT`, and each is connected to its
//! client socket (the control connection's peer address and the port the client named): the
//! kernel delivers a datagram to the connected socket that matches its source exactly (a
//! connected socket in a reuseport group wins over the group's hash), so each stream's datagrams
//! reach that stream's socket whatever the hash, and one port serves every stream, as iperf3
//! does.
//!
//! `--latency` uses the same control connection with its own exchange (see `latency.rs`): the
//! server echoes instead of counting.
//!
//! Addresses: `HOST`, `HOST:PORT`, `IPV6`, `[IPV6]:PORT`, an IPv6 address with its scope by
//! interface name or index (`fe80::1%eth0`, `[fe80::1%eth0]:5201`), for `--server` and `--client`
//! alike, parsed by the CLI's one UDP address parser (`endpoint::udp_dest`, which names an
//! unknown interface). A link-local client keeps its scope, so the server's sockets connect to it
//! over the right link; scoped addresses are printed with the interface's name.
//!
//! The client prints the remote side's counters beside its own, so one output shows both sides.
//! A control connection that closes or stays silent past the run's end ends the client with an
//! error naming the server.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datagrams::{UdpSocket, UnixAddr, UnixDatagram};
use serde_json::{Value, json};

use super::pacing::{self, Pacing};
use super::report::{Mode, Reporter, Totals};
use super::sock::{Ctl, Sock};
use super::streams::{self, Receivers, Senders};
use super::{RECV_BUFFER, receiver, sender};

/// The port when none is given (iperf3's).
pub(crate) const DEFAULT_PORT: u16 = 5201;
/// How long the client waits for the server's last word beyond the run itself.
pub(super) const GRACE: Duration = Duration::from_secs(5);
/// How long one control read waits while the client sends, so that it tells `done` at once.
const POLL: Duration = Duration::from_millis(20);
/// The most streams a client may ask for.
pub(crate) const MAX_STREAMS: u64 = 128;

pub(super) fn io_err(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

pub(super) fn send_line(w: &mut impl Write, v: &Value) -> io::Result<()> {
    // One write per line: a reader never waits for the rest of a line split by formatting.
    w.write_all(format!("{v}\n").as_bytes())?;
    w.flush()
}

/// The next object on a control connection, `None` at its end.
pub(super) fn read_line(r: &mut impl BufRead) -> io::Result<Option<Value>> {
    read_line_kept(r, &mut String::new())
}

/// The longest control line read: a peer's line without an end is an error, not memory without
/// bound (a `totals` line of 128 streams is about 30 kB).
const MAX_LINE: usize = 1 << 20;

/// [`read_line`] that keeps what it read of a line in `line` when a read times out, for the next
/// call (a reader with short timeouts).
pub(super) fn read_line_kept(r: &mut impl BufRead, line: &mut String) -> io::Result<Option<Value>> {
    let room = MAX_LINE.saturating_sub(line.len()) as u64;
    let n = io::Read::take(&mut *r, room).read_line(line)?;
    if line.len() >= MAX_LINE && !line.ends_with('\n') {
        return Err(io_err(format!(
            "a control line longer than {MAX_LINE} bytes"
        )));
    }
    if n == 0 {
        return Ok(None);
    }
    let v = serde_json::from_str(line).map(Some).map_err(io_err);
    line.clear();
    v
}

fn totals_json(t: &Totals) -> Value {
    json!({
        "elapsed_ns": u64::try_from(t.elapsed.as_nanos()).unwrap_or(u64::MAX),
        "received": t.received, "bytes": t.bytes, "gaps": t.gaps, "reordered": t.reordered,
        "duplicates": t.duplicates, "jitter_ns": t.jitter_ns, "drops": t.drops,
        "malformed": t.malformed,
    })
}

fn streams_json(kind: &str, row: &[Totals]) -> Value {
    json!({"type": kind, "streams": row.iter().map(totals_json).collect::<Vec<_>>()})
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

/// Per-stream totals from a `totals`/`final` message, with the local `sent` counts.
fn row_of(v: &Value, sent: &[u64]) -> Vec<Totals> {
    (0..sent.len())
        .map(|i| totals_of(&v["streams"][i], sent[i]))
        .collect()
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0)).collect())
        .unwrap_or_default()
}

/// The sibling path of the control socket of a Unix server at `path`.
fn control_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".control");
    PathBuf::from(p)
}

/// The traffic path of stream `i` of a Unix server at `path`.
fn stream_path(path: &Path, i: usize) -> PathBuf {
    if i == 0 {
        path.to_path_buf()
    } else {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{i}"));
        PathBuf::from(p)
    }
}

/// Removes a socket file nobody listens on (left by a server that was killed); anything else at
/// `path` is left alone, and binding there then fails with a clear error.
fn remove_stale_socket(path: &Path) {
    use std::os::unix::fs::FileTypeExt;
    let is_socket = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    if is_socket && UnixStream::connect(path).is_err() {
        let _ = std::fs::remove_file(path);
    }
}

/// A hint for a name that may have been meant as a Unix path.
fn unix_hint(addr: &str) -> &'static str {
    if addr.contains(':') {
        ""
    } else {
        " (a Unix socket path needs a /, as in ./perf.sock)"
    }
}

/// Where a server's traffic goes.
#[derive(Debug, Clone)]
enum Place {
    /// UDP on the control port, streams connected to the control peer's address (its port is the
    /// control connection's; a link-local peer keeps its scope).
    Udp { local: SocketAddr, peer: SocketAddr },
    /// Unix datagram sockets at the server's path (and siblings).
    Unix(PathBuf),
}

/// Serves one client after another on `addr`: `HOST:PORT` (TCP control and UDP traffic on the same
/// port) or a path (Unix datagram traffic there, control at `PATH.control`).
pub(crate) fn serve(addr: &str, interval: Duration) -> Result<(), String> {
    if addr.contains('/') {
        let path = PathBuf::from(addr);
        let ctl = control_path(&path);
        remove_stale_socket(&ctl);
        let listener = UnixListener::bind(&ctl)
            .map_err(|e| format!("bind {} (Unix control): {e}", ctl.display()))?;
        eprintln!(
            "dgram perf: server listening on {} (Unix traffic; control at {})",
            path.display(),
            ctl.display()
        );
        loop {
            let (stream, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
            eprintln!("dgram perf: client on {}", ctl.display());
            let r = serve_one(Ctl::Unix(stream), &Place::Unix(path.clone()), interval);
            if let Err(e) = r {
                eprintln!("dgram perf: client: {e}");
            }
        }
    }
    let addrs = socket_addrs("--server", addr)?;
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|e| format!("bind {addr} (TCP control): {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    // A scoped address by its interface's name (`[fe80::2%eth0]:5201`), as --client takes it.
    let named = |a: SocketAddr| crate::endpoint::Peer::Udp(a).to_string();
    eprintln!(
        "dgram perf: server listening on {} (TCP control, UDP traffic)",
        named(local)
    );
    loop {
        let (stream, peer) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        let peer_name = named(peer);
        eprintln!("dgram perf: client {peer_name}");
        let place = Place::Udp { local, peer };
        if let Err(e) = serve_one(Ctl::Tcp(stream), &place, interval) {
            eprintln!("dgram perf: client {peer_name}: {e}");
        }
    }
}

/// The server's traffic sockets for `n` streams, connected to the client's `addrs` where it must.
fn server_socks(place: &Place, addrs: &[String], reverse: bool) -> io::Result<Vec<Sock>> {
    let mut socks = Vec::with_capacity(addrs.len());
    for (i, a) in addrs.iter().enumerate() {
        socks.push(match place {
            Place::Udp { local, peer } => {
                let port: u16 = a.parse().map_err(|_| io_err("a bad client port"))?;
                let s = UdpSocket::builder().reuse_port(true).bind(local)?;
                let mut to = *peer;
                to.set_port(port);
                s.connect(to)?;
                Sock::Udp(s)
            }
            Place::Unix(path) => {
                let p = stream_path(path, i);
                remove_stale_socket(&p);
                let s = UnixDatagram::bind(&p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
                if reverse {
                    s.connect(a.parse::<UnixAddr>()?)?;
                }
                Sock::Unix(s)
            }
        });
    }
    Ok(socks)
}

fn serve_one(stream: Ctl, place: &Place, interval: Duration) -> io::Result<()> {
    // A client that stops reading is gone after GRACE, not a server stuck in a write.
    stream.set_write_timeout(Some(GRACE))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    reader.get_ref().set_read_timeout(Some(GRACE))?;
    let params = read_line(&mut reader)?.ok_or_else(|| io_err("closed before its parameters"))?;
    // The client's interval, so that its lines cover what it asked for; the server's otherwise.
    let interval = params["interval_ns"]
        .as_u64()
        .map(Duration::from_nanos)
        .filter(|i| (Duration::from_millis(1)..=Duration::from_secs(3600)).contains(i))
        .unwrap_or(interval);
    reader.get_ref().set_read_timeout(Some(interval + GRACE))?;
    if params["mode"] == "latency" {
        let sock = match latency_sock(place, &params) {
            Ok(sock) => sock,
            Err(e) => {
                // The client says why instead of waiting for a `ready` that never comes.
                let _ = send_line(
                    &mut writer,
                    &json!({"type": "error", "message": e.to_string()}),
                );
                return Err(e);
            }
        };
        return super::latency::serve(sock, reader, writer, &params, || {
            if let Place::Unix(p) = place {
                let _ = std::fs::remove_file(p);
            }
        });
    }
    let len = params["len"]
        .as_u64()
        .filter(|l| (super::HEADER_LEN as u64..=65_507).contains(l))
        .ok_or_else(|| io_err("parameters without a valid len"))? as usize;
    let addrs: Vec<String> = params["addrs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if addrs.is_empty() || addrs.len() as u64 > MAX_STREAMS {
        return Err(io_err("parameters without 1 to 128 stream addresses"));
    }
    let reverse = params["reverse"].as_bool().unwrap_or(false);
    let socks = match server_socks(place, &addrs, reverse) {
        Ok(socks) => socks,
        Err(e) => {
            // The client says why instead of waiting for a `ready` that never comes.
            let _ = send_line(
                &mut writer,
                &json!({"type": "error", "message": e.to_string()}),
            );
            return Err(e);
        }
    };
    let paths: Vec<String> = match place {
        Place::Unix(p) => (0..socks.len())
            .map(|i| stream_path(p, i).display().to_string())
            .collect(),
        Place::Udp { .. } => Vec::new(),
    };
    let r = if reverse {
        let dest = match place {
            Place::Udp { peer, .. } => Some(peer.ip()),
            Place::Unix(_) => None,
        };
        serve_reverse(socks, dest, &params, len, &paths, reader, writer, interval)
    } else {
        serve_forward(socks, &params, len, &paths, reader, &mut writer, interval)
    };
    if let Place::Unix(p) = place {
        for i in 0..addrs.len() {
            let _ = std::fs::remove_file(stream_path(p, i));
        }
    }
    r
}

/// The echo socket of a latency client: UDP on the server's port (unconnected: it answers each
/// request's sender), or a Unix socket at the server's path connected to the client's `addr`.
fn latency_sock(place: &Place, params: &Value) -> io::Result<Sock> {
    Ok(match place {
        Place::Udp { local, .. } => Sock::Udp(UdpSocket::bind(local)?),
        Place::Unix(path) => {
            let addr: UnixAddr = params["addr"]
                .as_str()
                .ok_or_else(|| io_err("latency parameters without the client's addr"))?
                .parse()?;
            remove_stale_socket(path);
            let s = UnixDatagram::bind(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            if let Err(e) = s.connect(addr) {
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
            Sock::Unix(s)
        }
    })
}

fn serve_forward(
    socks: Vec<Sock>,
    params: &Value,
    len: usize,
    paths: &[String],
    mut reader: BufReader<Ctl>,
    writer: &mut Ctl,
    interval: Duration,
) -> io::Result<()> {
    let want_gro = params["gro"].as_bool().unwrap_or(true);
    let mut gro = true;
    for s in &socks {
        gro &= s.prepare_receiver(want_gro, RECV_BUFFER)?;
    }
    let per_packet = usize::try_from(params["per_packet"].as_u64().unwrap_or(1))
        .unwrap_or(1)
        .clamp(1, 64);
    send_line(
        writer,
        &json!({"type": "ready", "gro": gro, "addrs": paths}),
    )?;
    let counters = streams::counters(socks.len());
    {
        let counters = counters.clone();
        std::thread::spawn(move || {
            // The client's `done` ends the receive, and so does its going away or going silent
            // (it writes its counts every interval).
            while let Ok(Some(v)) = read_line(&mut reader) {
                if v["type"] == "done" {
                    for (c, n) in counters.iter().zip(u64s(&v["sent"])) {
                        c.sent.store(n, Ordering::Release);
                    }
                    break;
                }
            }
            streams::all_done(&counters);
        });
    }
    let start = Instant::now();
    let cfg = receiver::Config {
        len,
        gro,
        stream: 0,
        per_packet,
        start,
        interval,
    };
    let receivers = Receivers::spawn(socks, &cfg, &counters);
    let last = receivers
        .gather(start, |row, _| match row {
            Some(row) => send_line(writer, &streams_json("totals", row))
                .map_err(|e| format!("the client went away: {e}")),
            None => Ok(()),
        })
        .map_err(io_err)?;
    send_line(writer, &streams_json("final", &last))
}

#[allow(clippy::too_many_arguments)]
fn serve_reverse(
    socks: Vec<Sock>,
    dest: Option<IpAddr>,
    params: &Value,
    len: usize,
    paths: &[String],
    mut reader: BufReader<Ctl>,
    mut writer: Ctl,
    interval: Duration,
) -> io::Result<()> {
    let mut per_packet = 1;
    for s in &socks {
        per_packet = s.prepare_sender(params["gso"].as_bool().unwrap_or(true), len);
    }
    let gso = per_packet > 1;
    let mut pps = params["pps"].as_f64().filter(|p| p.is_finite() && *p > 0.0);
    let time = Duration::from_nanos(params["time_ns"].as_u64().unwrap_or(0));
    let count = params["count"].as_u64();
    let asked = match params["pacing"].as_str() {
        Some("kernel") => Pacing::Kernel,
        Some("user") => Pacing::User,
        _ => Pacing::Auto,
    };
    let kernel = pps.is_some() && pacing::kernel_paces(asked, dest);
    if let Some(rate) = pps.filter(|_| kernel) {
        for s in &socks {
            pacing::apply_kernel(s, rate / socks.len() as f64, len)?;
        }
        pps = None;
    }
    let per_packet = sender::per_send(per_packet, pps.map(|p| p / socks.len().max(1) as f64));
    send_line(
        &mut writer,
        &json!({"type": "ready", "gso": gso, "per_packet": per_packet, "addrs": paths,
                "pacing": pacing::name(kernel)}),
    )?;
    let start = Instant::now();
    let cfg = sender::Config {
        len,
        gso,
        stream: 0,
        pps,
        start,
        until: start + time.min(Duration::from_secs(365 * 86_400)),
        count,
    };
    let senders = Senders::spawn(socks, &cfg);
    let (closed_tx, closed) = std::sync::mpsc::channel();
    {
        let halt = senders.halt.clone();
        std::thread::spawn(move || {
            // The client closes the connection when it has what it needs, or goes away.
            while let Ok(Some(_)) = read_line(&mut reader) {}
            halt.store(true, Ordering::Release);
            let _ = closed_tx.send(());
        });
    }
    let mut next = start + interval;
    let mut r = Ok(());
    while !senders.all_done() && !senders.halt.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(10));
        if Instant::now() >= next {
            next += interval;
            r = send_line(
                &mut writer,
                &json!({"type": "sent", "sent": streams::sent(&senders.counters)}),
            );
            if r.is_err() {
                break;
            }
        }
    }
    if r.is_ok() {
        r = send_line(
            &mut writer,
            &json!({"type": "done", "sent": streams::sent(&senders.counters)}),
        );
        // The client drains and closes; its end markers go on until then (bounded).
        let _ = closed.recv_timeout(GRACE);
    }
    senders.finish().map_err(io_err)?;
    r
}

/// `HOST`, `HOST:PORT`, `IPV6`, `[IPV6]:PORT`, each IPv6 address with a scope or not
/// (`fe80::1%eth0`, `[fe80::1%eth0]:5201`): the control (and UDP traffic) addresses, best first,
/// with port 5201 when none is given. `flag` names the option in errors; an unknown interface is
/// named.
fn socket_addrs(flag: &str, host: &str) -> Result<Vec<SocketAddr>, String> {
    crate::endpoint::udp_dest(&crate::endpoint::with_default_port(host, DEFAULT_PORT))
        .map_err(|e| format!("{flag}: {e}{}", unix_hint(host)))
}

/// Opens the control connection to the server at `host` (HOST, HOST:PORT or a Unix path): the
/// connection, the server's UDP address (`None`: Unix), and the server's name for messages (a
/// scoped address with its interface's name).
pub(super) fn connect_control(host: &str) -> Result<(Ctl, Option<SocketAddr>, String), String> {
    let (ctl, addr, name) = connect_control_unbounded(host)?;
    // A server that stops reading is gone after GRACE, not a client stuck in a write.
    ctl.set_write_timeout(Some(GRACE))
        .map_err(|e| format!("server {name}: {e}"))?;
    Ok((ctl, addr, name))
}

fn connect_control_unbounded(host: &str) -> Result<(Ctl, Option<SocketAddr>, String), String> {
    if host.contains('/') {
        let ctl_path = control_path(Path::new(host));
        let s = UnixStream::connect(&ctl_path)
            .map_err(|e| format!("server {}: {e}", ctl_path.display()))?;
        Ok((Ctl::Unix(s), None, host.to_string()))
    } else {
        let addr = socket_addrs("--client", host)?[0];
        let name = crate::endpoint::Peer::Udp(addr).to_string();
        let s =
            TcpStream::connect_timeout(&addr, GRACE).map_err(|e| format!("server {name}: {e}"))?;
        Ok((Ctl::Tcp(s), Some(addr), name))
    }
}

/// What the client asks for beside the sender's configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    pub(crate) streams: usize,
    pub(crate) reverse: bool,
    pub(crate) gro: bool,
    pub(crate) interval: Duration,
    pub(crate) pacing: Pacing,
}

/// Runs a client against the server at `host` (HOST, HOST:PORT or a Unix path) and prints both
/// sides.
pub(crate) fn client(
    host: &str,
    mut cfg: sender::Config,
    mut mode: Mode,
    want: Want,
) -> Result<(), String> {
    let (ctl, udp_addr, name) = connect_control(host)?;
    let lost = |e: io::Error| format!("server {name}: {e}");
    let mut reader = BufReader::new(ctl.try_clone().map_err(lost)?);
    let mut writer = ctl;
    let mut socks = Vec::with_capacity(want.streams);
    let mut addrs = Vec::with_capacity(want.streams);
    for _ in 0..want.streams {
        let s = match udp_addr {
            Some(a) => {
                let s = UdpSocket::bind(if a.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })
                    .map_err(lost)?;
                addrs.push(s.local_addr().map_err(lost)?.port().to_string());
                Sock::Udp(s)
            }
            None => {
                let s = UnixDatagram::bind(UnixAddr::unnamed()).map_err(lost)?;
                addrs.push(s.local_addr().map_err(lost)?.to_string());
                Sock::Unix(s)
            }
        };
        socks.push(s);
    }
    mode.transport = match udp_addr {
        Some(a) if a.is_ipv6() => "UDP/IPv6",
        Some(_) => "UDP/IPv4",
        None => "Unix",
    };
    if want.reverse {
        mode.gro = true;
        for s in &socks {
            mode.gro &= s.prepare_receiver(want.gro, RECV_BUFFER).map_err(lost)?;
        }
    } else {
        for s in &socks {
            mode.per_packet = s.prepare_sender(cfg.gso, cfg.len);
        }
        cfg.gso = mode.per_packet > 1;
        mode.gso = cfg.gso;
        if let Some(pps) = cfg
            .pps
            .filter(|_| pacing::kernel_paces(want.pacing, udp_addr.map(|a| a.ip())))
        {
            for s in &socks {
                pacing::apply_kernel(s, pps / want.streams as f64, cfg.len).map_err(lost)?;
            }
            cfg.pps = None;
            mode.pacing = pacing::name(true);
        }
        mode.per_packet = sender::per_send(
            mode.per_packet,
            cfg.pps.map(|p| p / want.streams.max(1) as f64),
        );
    }
    let run_time = cfg.until.saturating_duration_since(cfg.start);
    send_line(
        &mut writer,
        &json!({
            "len": cfg.len, "gro": want.gro, "gso": cfg.gso, "per_packet": mode.per_packet,
            "streams": want.streams, "reverse": want.reverse, "pps": cfg.pps,
            "time_ns": u64::try_from(run_time.as_nanos()).unwrap_or(u64::MAX),
            "count": cfg.count, "addrs": addrs,
            "interval_ns": u64::try_from(want.interval.as_nanos()).unwrap_or(u64::MAX),
            "pacing": match want.pacing {
                Pacing::Auto => "auto",
                Pacing::Kernel => "kernel",
                Pacing::User => "user",
            },
        }),
    )
    .map_err(lost)?;
    reader
        .get_ref()
        .set_read_timeout(Some(GRACE))
        .map_err(lost)?;
    let ready = match read_line(&mut reader).map_err(lost)? {
        Some(v) if v["type"] == "ready" => v,
        Some(v) if v["type"] == "error" => {
            return Err(format!(
                "server {name}: {}",
                v["message"].as_str().unwrap_or("error")
            ));
        }
        _ => return Err(format!("server {name}: no ready answer")),
    };
    for (i, s) in socks.iter().enumerate() {
        match (s, udp_addr) {
            (Sock::Udp(s), Some(a)) => s.connect(a).map_err(lost)?,
            (Sock::Unix(s), _) => {
                let p = ready["addrs"][i]
                    .as_str()
                    .ok_or_else(|| format!("server {name}: no path for stream {i}"))?;
                s.connect(p)
                    .map_err(|e| format!("server {name}: {p}: {e}"))?;
            }
            (Sock::Udp(_), None) => {}
        }
    }
    if want.reverse {
        reader
            .get_ref()
            .set_read_timeout(Some(want.interval + GRACE))
            .map_err(lost)?;
        mode.gso = ready["gso"].as_bool().unwrap_or(false);
        mode.per_packet = usize::try_from(ready["per_packet"].as_u64().unwrap_or(1))
            .unwrap_or(1)
            .clamp(1, 64);
        mode.pacing = pacing::name(ready["pacing"] == "kernel");
        return client_reverse(socks, reader, writer, mode, want, &name);
    }
    mode.gro = ready["gro"].as_bool().unwrap_or(mode.gro);
    // Short reads, so that `done` goes out as soon as the senders stop; silence is timed here.
    reader
        .get_ref()
        .set_read_timeout(Some(POLL))
        .map_err(lost)?;
    let silent = want.interval + GRACE;
    let start = Instant::now();
    cfg.start = start;
    cfg.until = start + run_time;
    let senders = Senders::spawn(socks, &cfg);
    let mut rep = Reporter::new(mode);
    let mut told_done = false;
    let mut heard = Instant::now();
    let mut next_count = start + want.interval;
    let mut partial = String::new();
    let result = loop {
        if !told_done && Instant::now() >= next_count {
            // The counts so far: the server sees a client that is still there.
            next_count += want.interval;
            let sent = streams::sent(&senders.counters);
            if let Err(e) = send_line(&mut writer, &json!({"type": "sent", "sent": sent})) {
                break Err(lost(e));
            }
        }
        if senders.all_done() && !told_done {
            told_done = true;
            let sent = streams::sent(&senders.counters);
            if let Err(e) = send_line(&mut writer, &json!({"type": "done", "sent": sent})) {
                break Err(lost(e));
            }
        }
        rep.tick(start.elapsed());
        let sent = streams::sent(&senders.counters);
        match read_line_kept(&mut reader, &mut partial) {
            Ok(Some(v)) if v["type"] == "totals" => {
                heard = Instant::now();
                rep.interval(&Totals::sum(&row_of(&v, &sent)));
            }
            Ok(Some(v)) if v["type"] == "final" => {
                let row = row_of(&v, &sent);
                rep.last_interval(&Totals::sum(&row));
                break Ok(row);
            }
            Ok(Some(_)) => heard = Instant::now(),
            Ok(None) => {
                break Err(format!(
                    "server {name} closed the control connection mid-run"
                ));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if heard.elapsed() >= silent {
                    break Err(format!(
                        "server {name} went silent (no report for {silent:?})"
                    ));
                }
            }
            Err(e) => break Err(lost(e)),
        }
    };
    // A sender still running after the server went away stops now.
    let send_result = senders.finish();
    let row = result?;
    send_result?;
    rep.summary(&row);
    Ok(())
}

/// The receiving client of `--reverse`: the server's senders' counts arrive on the control
/// connection; closing it at the end halts them.
fn client_reverse(
    socks: Vec<Sock>,
    mut reader: BufReader<Ctl>,
    mut writer: Ctl,
    mode: Mode,
    want: Want,
    name: &str,
) -> Result<(), String> {
    let counters = streams::counters(socks.len());
    let failure: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    {
        let (counters, failure, name) = (counters.clone(), failure.clone(), name.to_string());
        let silent = want.interval + GRACE;
        std::thread::spawn(move || {
            let why = loop {
                match read_line(&mut reader) {
                    Ok(Some(v)) => {
                        for (c, n) in counters.iter().zip(u64s(&v["sent"])) {
                            c.sent.store(n, Ordering::Release);
                        }
                        if v["type"] == "done" {
                            break None;
                        }
                    }
                    Ok(None) => {
                        break Some(format!(
                            "server {name} closed the control connection mid-run"
                        ));
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        break Some(format!(
                            "server {name} went silent (no report for {silent:?})"
                        ));
                    }
                    Err(e) => break Some(format!("server {name}: {e}")),
                }
            };
            if let Ok(mut f) = failure.lock() {
                *f = why;
            }
            streams::all_done(&counters);
        });
    }
    let start = Instant::now();
    let cfg = receiver::Config {
        len: mode.len,
        gro: mode.gro,
        stream: 0,
        per_packet: mode.per_packet,
        start,
        interval: want.interval,
    };
    let receivers = Receivers::spawn(socks, &cfg, &counters);
    let mut rep = Reporter::new(mode);
    let last = receivers.gather(start, |row, elapsed| {
        rep.gathered(row, elapsed);
        if let Some(row) = row {
            // The server hears from its client every interval; a write that fails means the
            // server is gone, which the control reader reports.
            let _ = send_line(&mut writer, &streams_json("totals", row));
        }
        Ok(())
    });
    // Closing the connection halts the server's senders.
    drop(writer);
    if let Some(e) = failure.lock().ok().and_then(|mut f| f.take()) {
        return Err(e);
    }
    let last = last?;
    rep.last_interval(&Totals::sum(&last));
    rep.summary(&last);
    Ok(())
}
