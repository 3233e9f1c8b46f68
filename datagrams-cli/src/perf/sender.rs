//! The sending end: fills headers in place in one buffer allocated before the loop and sends it
//! with UDP GSO (one `sendmsg` per 64 datagrams) or in `sendmmsg` batches (always over a Unix
//! socket).
//!
//! After its last datagram a UDP sender sends end markers (a header with sequence number
//! `u64::MAX`, counted nowhere) every few milliseconds until told to halt: the receiver learns its
//! kernel's drop counter only with a datagram it receives, and a marker brings the count as it was
//! after the last datagram, so that drops at the very end are accounted too.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datagrams::{Transmit, UdpSocket};

use super::sock::Sock;

/// Datagrams per send call (the kernel's GSO limit, and a batch).
const BATCH: usize = 64;
/// The sequence number of an end marker.
pub(crate) const MARKER: u64 = u64::MAX;
/// How often end markers go out, and for how long at most.
const MARKER_EVERY: Duration = Duration::from_millis(10);
const MARKERS_FOR: Duration = Duration::from_secs(2);
/// How long a send may block (a Unix peer's full queue) before the halt flag is looked at again.
const SEND_WAIT: Duration = Duration::from_millis(50);

/// What a sender sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) len: usize,
    pub(crate) gso: bool,
    pub(crate) stream: u32,
    /// Datagrams per second to pace to (in user space); `None`: as fast as possible.
    pub(crate) pps: Option<f64>,
    pub(crate) start: Instant,
    pub(crate) until: Instant,
    /// Datagrams to send (`--bytes`); `None`: until `until`.
    pub(crate) count: Option<u64>,
}

/// Writes the header of datagram `seq` at the start of `d`.
pub(crate) fn write_header(d: &mut [u8], seq: u64, sent_ns: u64, stream: u32) {
    d[0..8].copy_from_slice(&seq.to_le_bytes());
    d[8..16].copy_from_slice(&sent_ns.to_le_bytes());
    d[16..20].copy_from_slice(&stream.to_le_bytes());
}

/// Datagrams of `len` bytes in one GSO send (the kernel's segment limit and the 64 KiB packet).
pub(crate) fn gso_segments(sock: &UdpSocket, len: usize) -> usize {
    BATCH.min(sock.max_gso_segments()).min(65_507 / len).max(1)
}

/// Datagrams in each GSO send of a sender paced in user space at `pps` datagrams/s: about a
/// millisecond of the rate (1 to `segments`), so that bursts stay short while a fast rate still
/// sends many datagrams per call. Every send of a run carries the same number, so that one packet
/// the receiving kernel drops (`SO_RXQ_OVFL` counts packets) is that many datagrams.
pub(crate) fn per_send(segments: usize, pps: Option<f64>) -> usize {
    match pps {
        None => segments,
        Some(pps) => ((pps / 1000.0) as usize).clamp(1, segments.max(1)),
    }
}

/// Sends until `cfg.until`, `cfg.count` datagrams or until `halt` is set; `sent` counts the
/// datagrams the kernel took, `done` is set after the last one. Then sends end markers (UDP) until
/// `halt`.
pub(crate) fn run(
    sock: &Sock,
    cfg: &Config,
    sent: &AtomicU64,
    done: &AtomicBool,
    halt: &AtomicBool,
) -> io::Result<()> {
    let r = send_all(sock, cfg, sent, halt);
    done.store(true, Ordering::Release);
    r?;
    if let Sock::Udp(s) = sock {
        let mut marker = [0u8; super::HEADER_LEN];
        write_header(&mut marker, MARKER, 0, cfg.stream);
        let until = Instant::now() + MARKERS_FOR;
        while !halt.load(Ordering::Acquire) && Instant::now() < until {
            // A marker refused (a full queue, an ICMP error from a peer gone) is no matter.
            let _ = s.send(&marker);
            std::thread::sleep(MARKER_EVERY);
        }
    }
    Ok(())
}

fn send_all(sock: &Sock, cfg: &Config, sent: &AtomicU64, halt: &AtomicBool) -> io::Result<()> {
    sock.set_write_timeout(Some(SEND_WAIT))?;
    let len = cfg.len;
    // GSO sends are whole packets of `per_call` datagrams; batches send what is due.
    let (per_call, whole) = match sock {
        Sock::Udp(s) if cfg.gso => (per_send(gso_segments(s, len), cfg.pps), true),
        _ => (BATCH, false),
    };
    let mut buf = vec![0u8; per_call * len];
    let mut seq = 0u64;
    loop {
        let now = Instant::now();
        let left = cfg.count.map_or(u64::MAX, |c| c - seq.min(c));
        if now >= cfg.until || left == 0 || halt.load(Ordering::Relaxed) {
            return Ok(());
        }
        let since = now.duration_since(cfg.start);
        let ns = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
        let want = match cfg.pps {
            None => per_call,
            Some(pps) => {
                // Datagrams due by now, less those sent; wait for the next one when none is
                // (for a GSO send, until all of its datagrams are due).
                let step = if whole {
                    per_call.min(usize::try_from(left).unwrap_or(per_call)) as u64
                } else {
                    1
                };
                let due = (since.as_secs_f64() * pps) as u64 + 1;
                if due < seq + step {
                    let next = cfg.start + Duration::from_secs_f64(((seq + step - 1) as f64) / pps);
                    let wait = next.saturating_duration_since(Instant::now());
                    if wait > Duration::from_micros(100) {
                        std::thread::sleep(wait - Duration::from_micros(50));
                    } else {
                        std::hint::spin_loop();
                    }
                    continue;
                }
                per_call.min(usize::try_from(due - seq).unwrap_or(per_call))
            }
        };
        let want = want.min(usize::try_from(left).unwrap_or(usize::MAX));
        for (i, d) in buf[..want * len].chunks_exact_mut(len).enumerate() {
            write_header(d, seq + i as u64, ns, cfg.stream);
        }
        let r = match sock {
            Sock::Udp(s) if cfg.gso => {
                let t = Transmit::connected(&buf[..want * len]).segment_size(len);
                s.send_batch([t]).map(|k| if k == 1 { want } else { 0 })
            }
            Sock::Udp(s) => {
                let mut chunks = buf.chunks_exact(len);
                let ts: [Transmit<'_>; BATCH] = std::array::from_fn(|_| {
                    // The buffer holds exactly BATCH chunks (per_call == BATCH without GSO).
                    Transmit::connected(chunks.next().unwrap_or(&[]))
                });
                s.send_batch(&ts[..want])
            }
            Sock::Unix(s) => {
                // As above: BATCH chunks.
                let mut chunks = buf.chunks_exact(len);
                let bufs: [&[u8]; BATCH] = std::array::from_fn(|_| chunks.next().unwrap_or(&[]));
                s.send_batch(&bufs[..want])
            }
        };
        let n = match r {
            Ok(k) => k,
            Err(e) if transient(&e) => 0,
            Err(e) => return Err(e),
        };
        seq += n as u64;
        sent.store(seq, Ordering::Release);
    }
}

/// A send error that only means "not now": a signal, or a full queue past the send timeout.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
