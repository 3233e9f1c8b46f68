//! The receiving end: `recvmmsg` batches (with UDP GRO by default) into buffers allocated once;
//! every datagram accounted in [`Stream`].

use std::io::{self, IoSliceMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use datagrams::RecvMeta;

use super::HEADER_LEN;
use super::report::Totals;
use super::sender::MARKER;
use super::sock::Sock;
use super::stats::Stream;

/// Buffers per receive call.
const BATCH: usize = 32;
/// How long one receive waits, so that intervals are reported and the end is seen.
const POLL: Duration = Duration::from_millis(50);
/// How long the receiver waits after the sender stopped for datagrams still in flight.
const DRAIN: Duration = Duration::from_millis(500);

/// What a receiver expects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) len: usize,
    pub(crate) gro: bool,
    pub(crate) stream: usize,
    /// Datagrams in one packet of the sender (one kernel drop may be that many datagrams).
    pub(crate) per_packet: usize,
    pub(crate) start: Instant,
    pub(crate) interval: Duration,
}

/// One stream's counters at the end of an interval, or at its end (`last`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Snap {
    pub(crate) stream: usize,
    pub(crate) totals: Totals,
    pub(crate) last: bool,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

pub(super) fn u64_at(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Receives until the sender is `done` and everything it `sent` is received or dropped (or nothing
/// more arrives for a while); sends a [`Snap`] to `out` at the end of each interval and at the end.
pub(crate) fn run(
    sock: &Sock,
    cfg: &Config,
    sent: &AtomicU64,
    done: &AtomicBool,
    out: &mpsc::Sender<Snap>,
) -> io::Result<Totals> {
    sock.set_read_timeout(Some(POLL))?;
    let room = if cfg.gro { 65_536 } else { cfg.len + 1 };
    let batch = if matches!(sock, Sock::Udp(_)) {
        BATCH
    } else {
        1
    };
    let mut storage = vec![0u8; batch * room];
    let mut bufs: Vec<IoSliceMut<'_>> = storage
        .chunks_exact_mut(room)
        .map(IoSliceMut::new)
        .collect();
    let mut metas = [RecvMeta::new(()); BATCH];
    let mut st = Stream::new();
    let mut drops = 0u64;
    let mut malformed = 0u64;
    let mut next_report = cfg.interval;
    let mut idle_since: Option<Instant> = None;
    let mut last_arrival = Duration::ZERO;
    let snapshot = |st: &Stream, drops: u64, malformed: u64, elapsed: Duration| Totals {
        elapsed,
        sent: sent.load(Ordering::Acquire),
        received: st.received,
        bytes: st.bytes,
        gaps: st.next - st.received.min(st.next),
        reordered: st.reordered,
        duplicates: st.duplicates,
        jitter_ns: st.jitter_ns,
        drops,
        malformed,
    };
    // The receiving end of the report channel gone means the run is over for whoever reads it.
    let send = |totals: Totals, last: bool| {
        let _ = out.send(Snap {
            stream: cfg.stream,
            totals,
            last,
        });
    };
    loop {
        let r = match sock {
            Sock::Udp(s) => s.recv_batch_without_senders(&mut bufs, &mut metas),
            Sock::Unix(s) => s.recv_batch_without_senders(&mut bufs, &mut metas),
        };
        let now = cfg.start.elapsed();
        match r {
            Ok(n) => {
                let arrival = nanos(now);
                for (m, b) in metas[..n].iter().zip(bufs.iter()) {
                    if let Some(d) = m.drops {
                        drops = drops.max(u64::from(d));
                    }
                    for seg in m.segments(&b[..m.len]) {
                        if seg.len() < HEADER_LEN || m.truncated {
                            malformed += 1;
                            continue;
                        }
                        let seq = u64_at(seg, 0);
                        if seq == MARKER {
                            continue;
                        }
                        idle_since = None;
                        last_arrival = now;
                        st.record(seq, seg.len(), u64_at(seg, 8), arrival);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
        while now >= next_report {
            send(snapshot(&st, drops, malformed, next_report), false);
            next_report += cfg.interval;
        }
        if done.load(Ordering::Acquire) {
            let total = sent.load(Ordering::Acquire);
            let idle = *idle_since.get_or_insert_with(Instant::now);
            let dropped = drops * cfg.per_packet as u64;
            if st.received + dropped + malformed >= total || idle.elapsed() >= DRAIN {
                let t = snapshot(
                    &st,
                    drops,
                    malformed,
                    last_arrival.max(next_report - cfg.interval),
                );
                send(t, true);
                return Ok(t);
            }
        }
    }
}
