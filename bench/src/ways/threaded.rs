//! One way at a time, a sender thread racing a receiver thread: the non-lockstep measurement.

use std::io::{self, ErrorKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::lane::Lane;
use super::way::{Run, Way};

/// Runs `way` for `slice` with datagrams of `size` bytes: a sender thread sends until the slice ends,
/// the receiver receives until the queue is drained after that. An async way's two sides each run on
/// a current-thread runtime of their own thread, as two single-threaded services would.
pub(crate) fn run(way: Way, size: usize, slice: Duration) -> io::Result<Run> {
    let current = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let (tx_rt, rx_rt) = (current()?, current()?);
    let lane = Lane::new(way, size, [&tx_rt, &rx_rt])?;
    let mut run = harness(&lane, slice)?;
    run.kernel_drops = lane.kernel_drops()?;
    Ok(run)
}

/// A sender thread sends until the slice ends; the receiver receives until the queue is drained
/// after that. An async way runs each side's whole loop in one `block_on` of its side's runtime, as
/// a task would, not a `block_on` per call.
fn harness(lane: &Lane<'_>, slice: Duration) -> io::Result<Run> {
    let sender = lane.sender();
    let mut receiver = lane.receiver();
    let done = AtomicBool::new(false);
    // The two loops, written once for the blocking and the async calls.
    macro_rules! send_loop {
        ($send:expr) => {{
            let start = Instant::now();
            let mut sent = 0u64;
            let result = loop {
                match $send {
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => break Err(e),
                }
                if start.elapsed() >= slice {
                    break Ok(());
                }
            };
            let secs = start.elapsed().as_secs_f64();
            done.store(true, Ordering::Release);
            result.map(|()| (sent, secs))
        }};
    }
    // Once the sender is done, the receiver stops after a second quiet read timeout in a row (40 ms
    // of nothing): on a loaded machine the kernel may hold the last datagrams in a deferred softirq
    // for longer than one, and a datagram that arrives after the receiver stopped would count as
    // lost though nothing dropped it.
    macro_rules! recv_loop {
        ($recv:expr) => {{
            let (mut received, mut bytes) = (0u64, 0u64);
            let mut quiet = 0;
            loop {
                match $recv {
                    Ok((n, b)) => {
                        received += n;
                        bytes += b;
                        quiet = 0;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        if done.load(Ordering::Acquire) {
                            quiet += 1;
                            if quiet == 2 {
                                break Ok((received, bytes));
                            }
                        }
                    }
                    Err(e) => break Err(e),
                }
            }
        }};
    }
    std::thread::scope(|scope| {
        let sending = scope.spawn(|| {
            on_async_way!(
                lane,
                sender,
                (),
                match &lane.tokio {
                    Some(p) => p.tx_rt.block_on(async { send_loop!(send!()) }),
                    None => Err(io::Error::other("an async way without its runtime")),
                },
                send_loop!(sender.send())
            )
        });
        let received: io::Result<(u64, u64)> = on_async_way!(
            lane,
            (),
            (&mut receiver),
            match &lane.tokio {
                Some(p) => p.rx_rt.block_on(async { recv_loop!(recv!()) }),
                None => Err(io::Error::other("an async way without its runtime")),
            },
            recv_loop!(receiver.recv())
        );
        let sent = sending
            .join()
            .map_err(|_| io::Error::other("the sender thread panicked"))?;
        let (received, bytes) = received?;
        let (sent, secs) = sent?;
        Ok(Run {
            sent,
            received,
            bytes,
            secs,
            kernel_drops: 0,
            turns: 0,
        })
    })
}
