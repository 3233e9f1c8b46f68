//! Every way in one thread, interleaved in turns: the measurement whose ratios repeat.

use std::io::{self, ErrorKind};
use std::time::{Duration, Instant};

use super::lane::Lane;
use super::way::{Run, Way};

/// How long one way runs in each turn of [`run_lockstep`]: long enough that a way's first step,
/// which finds the caches full of the other ways' code and data, is a small part of its time, short
/// enough that the ways alternate a few hundred times a second.
const QUANTUM: Duration = Duration::from_millis(1);

/// Runs every way in `ways` in one thread for `slice` of wall time, interleaved: the ways take
/// turns, in a new random order each turn, and in its turn a way runs steps for a [`QUANTUM`]. A
/// step is one send followed by receiving all of it (or the receive timing out, which counts the
/// rest as lost). Each way's time is the sum of its own turns, so every way sees the same machine
/// conditions (a neighbour's load, a frequency change) in the same proportion, and ratios between
/// ways carry far less noise than runs one after the other. The rate is then the cost of the send
/// and receive paths alone, free of the scheduling and overload noise of a sender racing a receiver
/// on few cores.
pub(crate) fn run_lockstep(ways: &[Way], size: usize, slice: Duration) -> io::Result<Vec<Run>> {
    // The async ways run on a runtime of this thread, as a single-threaded server would: each turn
    // drives it with `block_on`.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lanes = ways
        .iter()
        .map(|&w| Lane::new(w, size, [&rt, &rt]))
        .collect::<io::Result<Vec<_>>>()?;
    let senders: Vec<_> = lanes.iter().map(Lane::sender).collect();
    let mut receivers: Vec<_> = lanes.iter().map(Lane::receiver).collect();
    let mut runs = vec![Run::default(); lanes.len()];
    let mut secs = vec![Duration::ZERO; lanes.len()];
    let mut lost = vec![0u64; lanes.len()];
    let mut order: Vec<usize> = (0..lanes.len()).collect();
    let mut rng = XorShift::seeded();
    let start = Instant::now();
    while start.elapsed() < slice {
        // A new random order each turn: a step inherits some work from the one before it (memory
        // the kernel frees and refills after a burst), so no way may always follow the same one.
        rng.shuffle(&mut order);
        for &i in &order {
            let (run, sender, receiver, lost) =
                (&mut runs[i], &senders[i], &mut receivers[i], &mut lost[i]);
            run.turns += 1;
            // One send, then receive until all of it is in or the receive times out (the rest was
            // dropped). An async way's step is one `block_on`, as one task would do both.
            macro_rules! step {
                ($send:expr, $recv:expr) => {{
                    run.sent += $send?;
                    while run.received + *lost < run.sent {
                        match $recv {
                            Ok((n, b)) => {
                                run.received += n;
                                run.bytes += b;
                                // what a timeout counted as lost may still arrive, late
                                *lost = (*lost).min(run.sent - run.received);
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                                *lost = run.sent - run.received
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    Ok::<(), io::Error>(())
                }};
            }
            // An async way is timed inside `block_on`: a task serving datagrams runs in its
            // runtime, and does not enter it anew for every datagram (300 ns on this machine's
            // class).
            secs[i] += on_async_way!(
                &lanes[i],
                sender,
                receiver,
                rt.block_on(async {
                    let t = Instant::now();
                    while t.elapsed() < QUANTUM {
                        step!(send!(), recv!())?;
                    }
                    Ok::<_, io::Error>(t.elapsed())
                })?,
                {
                    let t = Instant::now();
                    while t.elapsed() < QUANTUM {
                        step!(sender.send(), receiver.recv())?;
                    }
                    t.elapsed()
                }
            );
        }
    }
    for ((run, secs), lane) in runs.iter_mut().zip(secs).zip(&lanes) {
        run.secs = secs.as_secs_f64();
        run.kernel_drops = lane.kernel_drops()?;
    }
    Ok(runs)
}

/// A small xorshift generator (Marsaglia, 2003) for the lockstep order: statistical quality is
/// beside the point, only that no order repeats systematically.
struct XorShift(u64);

impl XorShift {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        XorShift(u64::from(nanos) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Fisher-Yates.
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}
