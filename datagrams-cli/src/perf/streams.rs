//! `--parallel N`: N streams, each its own socket and thread at both ends, their counters gathered
//! per interval and summed for the report.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::receiver::{self, Snap};
use super::report::Totals;
use super::sender;
use super::sock::Sock;

/// What the sender of one stream tells its receiver: how many it sent, and that it stopped.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    pub(crate) sent: AtomicU64,
    pub(crate) done: AtomicBool,
}

/// One counter per stream, shared by the threads of a run.
pub(crate) fn counters(n: usize) -> Arc<Vec<Counter>> {
    Arc::new((0..n).map(|_| Counter::default()).collect())
}

/// Marks every stream done (a peer that went away), so that receivers stop after their drain time.
pub(crate) fn all_done(counters: &[Counter]) {
    for c in counters {
        c.done.store(true, Ordering::Release);
    }
}

/// The sent counts of all streams.
pub(crate) fn sent(counters: &[Counter]) -> Vec<u64> {
    counters
        .iter()
        .map(|c| c.sent.load(Ordering::Acquire))
        .collect()
}

/// The sender configuration of stream `i` of `n`: the rate and the byte count split evenly.
pub(crate) fn share(cfg: &sender::Config, i: usize, n: usize) -> sender::Config {
    let mut c = *cfg;
    c.stream = u32::try_from(i).unwrap_or(u32::MAX);
    c.pps = cfg.pps.map(|p| p / n as f64);
    c.count = cfg.count.map(|total| {
        let (n, i) = (n as u64, i as u64);
        total / n + u64::from(i < total % n)
    });
    c
}

/// Running senders: one thread per socket.
#[derive(Debug)]
pub(crate) struct Senders {
    handles: Vec<JoinHandle<io::Result<()>>>,
    pub(crate) counters: Arc<Vec<Counter>>,
    /// Stops the senders (and their end markers).
    pub(crate) halt: Arc<AtomicBool>,
}

impl Senders {
    pub(crate) fn spawn(socks: Vec<Sock>, cfg: &sender::Config) -> Senders {
        let n = socks.len();
        let counters = counters(n);
        let halt = Arc::new(AtomicBool::new(false));
        let handles = socks
            .into_iter()
            .enumerate()
            .map(|(i, sock)| {
                let (counters, halt) = (counters.clone(), halt.clone());
                let cfg = share(cfg, i, n);
                std::thread::spawn(move || {
                    let c = &counters[i];
                    sender::run(&sock, &cfg, &c.sent, &c.done, &halt)
                })
            })
            .collect();
        Senders {
            handles,
            counters,
            halt,
        }
    }

    /// Whether every sender has sent its last datagram.
    pub(crate) fn all_done(&self) -> bool {
        self.counters.iter().all(|c| c.done.load(Ordering::Acquire))
    }

    /// Halts the senders and waits for them; the first error, if any.
    pub(crate) fn finish(self) -> Result<(), String> {
        self.halt.store(true, Ordering::Release);
        join_all(self.handles, "send")
    }
}

fn join_all<T>(handles: Vec<JoinHandle<io::Result<T>>>, what: &str) -> Result<(), String> {
    let mut first = Ok(());
    for h in handles {
        let r = match h.join() {
            Ok(r) => r.map(|_| ()).map_err(|e| format!("{what}: {e}")),
            Err(_) => Err(format!("{what} thread panicked")),
        };
        if first.is_ok() {
            first = r;
        }
    }
    first
}

/// Running receivers: one thread per socket, reporting [`Snap`]s on one channel.
#[derive(Debug)]
pub(crate) struct Receivers {
    handles: Vec<JoinHandle<io::Result<Totals>>>,
    snaps: mpsc::Receiver<Snap>,
    counters: Arc<Vec<Counter>>,
}

impl Receivers {
    /// Receivers for `socks`, stream `i` waiting for `counters[i]`.
    pub(crate) fn spawn(
        socks: Vec<Sock>,
        cfg: &receiver::Config,
        counters: &Arc<Vec<Counter>>,
    ) -> Receivers {
        let (tx, snaps) = mpsc::channel();
        let handles = socks
            .into_iter()
            .enumerate()
            .map(|(i, sock)| {
                let (counters, tx) = (counters.clone(), tx.clone());
                let mut cfg = *cfg;
                cfg.stream = i;
                std::thread::spawn(move || {
                    let c = &counters[i];
                    receiver::run(&sock, &cfg, &c.sent, &c.done, &tx)
                })
            })
            .collect();
        Receivers {
            handles,
            snaps,
            counters: counters.clone(),
        }
    }

    /// Gathers the streams' snapshots: `each` gets the per-stream totals of every interval as soon
    /// as all streams reported it, and `None` now and then (for a progress bar), with the time
    /// since `start`; returns the final per-stream totals once every stream ended, or the first
    /// error of `each` or of a receiver.
    pub(crate) fn gather(
        self,
        start: Instant,
        mut each: impl FnMut(Option<&[Totals]>, Duration) -> Result<(), String>,
    ) -> Result<Vec<Totals>, String> {
        let n = self.handles.len();
        let mut queued: Vec<VecDeque<Totals>> = vec![VecDeque::new(); n];
        let mut last: Vec<Option<Totals>> = vec![None; n];
        let mut failed = None;
        let result = loop {
            match self.snaps.recv_timeout(Duration::from_millis(100)) {
                Ok(s) if s.last => last[s.stream] = Some(s.totals),
                Ok(s) => queued[s.stream].push_back(s.totals),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Every receiver ended, some without its last word: an error, told by join.
                Err(mpsc::RecvTimeoutError::Disconnected) => break Err(None),
            }
            let elapsed = start.elapsed();
            if let Err(e) = each(None, elapsed) {
                failed = Some(e);
            }
            // An interval is complete when every stream still running has reported it.
            while failed.is_none()
                && (0..n).all(|i| last[i].is_some() || !queued[i].is_empty())
                && (0..n).any(|i| !queued[i].is_empty())
            {
                let row: Vec<Totals> = (0..n)
                    .map(|i| match queued[i].pop_front() {
                        Some(t) => t,
                        None => last[i].unwrap_or_default(),
                    })
                    .collect();
                if let Err(e) = each(Some(&row), elapsed) {
                    failed = Some(e);
                    break;
                }
            }
            if failed.is_some() {
                break Err(failed);
            }
            if last.iter().all(Option::is_some) {
                break Ok(last.iter().map(|t| t.unwrap_or_default()).collect());
            }
        };
        if result.is_err() {
            // Receivers still running stop after their drain time.
            all_done(&self.counters);
        }
        drop(self.snaps);
        let joined = join_all(self.handles, "receive");
        match result {
            Ok(t) => joined.map(|()| t),
            Err(Some(e)) => Err(e),
            Err(None) => Err(joined
                .err()
                .unwrap_or_else(|| "a receiver ended early".into())),
        }
    }
}
