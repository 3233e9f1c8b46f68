//! `dgram bench` with no mode flag: every way dgram moves datagrams, side by side in one run, against
//! the baselines: std, tokio, quinn-udp, and the kernel's limit (plain `sendmmsg`/`recvmmsg` and
//! `UDP_SEGMENT`/`UDP_GRO` loops, asking for lengths only or for senders too). One-way streams only:
//! a sender thread blasts for the slice and a receiver thread counts what arrives ([`run`]), or, with
//! `--lockstep`, every way runs in one thread, interleaved ([`run_lockstep`]); loss is counted at the
//! receiver and checked against the kernel's own drop counter (`SO_RXQ_OVFL`).

use std::io::{self, ErrorKind, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use datagrams::{__baseline as raw, MAX_BATCH, RecvMeta, Transmit, UdpSocket};

/// One way of sending and receiving, measured in the one-way workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    Std,
    Dgram,
    DgramBatch,
    /// `send_batch`/`recv_batch_without_senders`: the same work as the lengths-only raw loop.
    DgramBatchWithoutSenders,
    DgramBatchAsync,
    RawBatch,
    RawBatchSenders,
    DgramGso,
    /// GSO sends, GRO receives through `recv_batch_without_senders`: the same work as the
    /// lengths-only raw GSO loop.
    DgramGsoWithoutSenders,
    DgramGsoAsync,
    RawGso,
    RawGsoSenders,
    Quinn,
    /// `tokio::net::UdpSocket`'s `send_to`/`recv_from` (lockstep only: the threaded table measures
    /// it on a multi-thread runtime, as `dgram bench --async` does).
    Tokio,
    /// dgram's async `send_to`/`recv_from`, compared with tokio's (lockstep only, as `Tokio`).
    DgramAsync,
}

impl Way {
    pub(crate) const ALL: [Way; 13] = [
        Way::Std,
        Way::Dgram,
        Way::DgramBatch,
        Way::DgramBatchWithoutSenders,
        Way::DgramBatchAsync,
        Way::RawBatch,
        Way::RawBatchSenders,
        Way::DgramGso,
        Way::DgramGsoWithoutSenders,
        Way::DgramGsoAsync,
        Way::RawGso,
        Way::RawGsoSenders,
        Way::Quinn,
    ];

    /// The ways `--lockstep` interleaves: all of [`ALL`](Self::ALL), and the async `send_to`
    /// pair.
    pub(crate) const LOCKSTEP: [Way; 15] = {
        let mut ways = [Way::Std; 15];
        let mut i = 0;
        while i < Way::ALL.len() {
            ways[i] = Way::ALL[i];
            i += 1;
        }
        ways[13] = Way::Tokio;
        ways[14] = Way::DgramAsync;
        ways
    };

    pub(crate) fn name(self) -> &'static str {
        match self {
            Way::Std => "std send_to/recv_from",
            Way::Dgram => "dgram send_to/recv_from",
            Way::DgramBatch => "dgram send_batch/recv_batch",
            Way::DgramBatchWithoutSenders => "dgram batch without senders",
            Way::DgramBatchAsync => "dgram tokio send/recv_batch",
            Way::RawBatch => "raw sendmmsg/recvmmsg",
            Way::RawBatchSenders => "raw sendmmsg/recvmmsg+senders",
            Way::DgramGso => "dgram GSO/GRO",
            Way::DgramGsoWithoutSenders => "dgram GSO/GRO without senders",
            Way::DgramGsoAsync => "dgram tokio GSO/GRO",
            Way::RawGso => "raw UDP_SEGMENT/UDP_GRO",
            Way::RawGsoSenders => "raw UDP_SEGMENT/GRO+senders",
            Way::Quinn => "quinn-udp GSO/GRO",
            Way::Tokio => "tokio::net::UdpSocket",
            Way::DgramAsync => "dgram tokio UdpSocket",
        }
    }

    pub(crate) fn id(self) -> &'static str {
        match self {
            Way::Std => "std",
            Way::Dgram => "dgram",
            Way::DgramBatch => "dgram_batch",
            Way::DgramBatchWithoutSenders => "dgram_batch_without_senders",
            Way::DgramBatchAsync => "dgram_batch_async",
            Way::RawBatch => "raw_batch",
            Way::RawBatchSenders => "raw_batch_senders",
            Way::DgramGso => "dgram_gso",
            Way::DgramGsoWithoutSenders => "dgram_gso_without_senders",
            Way::DgramGsoAsync => "dgram_gso_async",
            Way::RawGso => "raw_gso",
            Way::RawGsoSenders => "raw_gso_senders",
            Way::Quinn => "quinn_udp",
            Way::Tokio => "tokio",
            Way::DgramAsync => "dgram_async",
        }
    }

    /// Whether this way sends with GSO (and receives with GRO).
    fn is_gso(self) -> bool {
        matches!(
            self,
            Way::DgramGso
                | Way::DgramGsoWithoutSenders
                | Way::DgramGsoAsync
                | Way::RawGso
                | Way::RawGsoSenders
                | Way::Quinn
        )
    }

    /// Whether this way runs on a tokio runtime.
    fn is_async(self) -> bool {
        matches!(
            self,
            Way::DgramBatchAsync | Way::DgramGsoAsync | Way::Tokio | Way::DgramAsync
        )
    }

    /// Whether this way sends batches (`MAX_BATCH` datagrams a call).
    fn is_batch(self) -> bool {
        matches!(
            self,
            Way::DgramBatch
                | Way::DgramBatchWithoutSenders
                | Way::DgramBatchAsync
                | Way::RawBatch
                | Way::RawBatchSenders
        )
    }

    /// What this way's rate is compared with.
    pub(crate) fn baselines(self) -> &'static [Way] {
        match self {
            Way::Dgram => &[Way::Std],
            // Each against the raw loop that asks the kernel for the same: senders, or lengths only.
            Way::DgramBatch => &[Way::RawBatchSenders],
            Way::DgramBatchWithoutSenders => &[Way::RawBatch],
            Way::DgramBatchAsync => &[Way::DgramBatch],
            Way::DgramGsoAsync => &[Way::DgramGso],
            // Against the raw loop that asks the kernel for the same (senders, or lengths only), and
            // against quinn-udp, which asks for senders, and for ECN and destination cmsgs too.
            Way::DgramGso => &[Way::RawGsoSenders, Way::Quinn],
            Way::DgramGsoWithoutSenders => &[Way::RawGso, Way::Quinn],
            Way::DgramAsync => &[Way::Tokio],
            // The kernel's own limit against quinn-udp (which asks for senders too): how far ahead
            // of quinn any user of these syscalls can be.
            Way::RawGsoSenders => &[Way::Quinn],
            _ => &[],
        }
    }
}

/// What one run of one way did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Run {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    pub(crate) bytes: u64,
    pub(crate) secs: f64,
    /// The kernel's count of datagrams dropped for a full receive buffer (`SO_RXQ_OVFL`), in
    /// datagrams: the kernel counts a GSO send that it drops whole as one, so it is scaled by its
    /// segments.
    pub(crate) kernel_drops: u64,
}

/// Segments per GSO send for a payload size: as many as fit 64 KiB, at most 64.
fn gso_segments(size: usize) -> usize {
    (60_000 / size.max(1)).clamp(1, 64)
}

/// The async sockets of an async way, each with the runtime that drives it (one for both in lockstep,
/// one per side's thread otherwise).
struct AsyncPair<'r> {
    sockets: AsyncSockets,
    tx_rt: &'r tokio::runtime::Runtime,
    rx_rt: &'r tokio::runtime::Runtime,
}

/// An async way's sender and receiver: dgram's, or tokio's for the `Tokio` way (each socket is
/// registered once, with one of them: a second registration would double the kernel's wakeups).
enum AsyncSockets {
    Dgram {
        tx: datagrams::tokio::UdpSocket,
        rx: datagrams::tokio::UdpSocket,
    },
    Tokio {
        tx: tokio::net::UdpSocket,
        rx: tokio::net::UdpSocket,
    },
}

/// One way's sockets and payload, set up for one run: a sender, a receiver, and a second handle on
/// the receiver that reads the kernel's drop counter at the end.
pub(crate) struct Lane<'r> {
    way: Way,
    size: usize,
    /// Datagrams per send: `MAX_BATCH` for batches, the GSO segments, or 1.
    per_send: usize,
    tx: UdpSocket,
    rx: UdpSocket,
    /// The same sockets as std's type, for the std and quinn-udp ways.
    std_tx: std::net::UdpSocket,
    std_rx: std::net::UdpSocket,
    quinn: Option<(quinn_udp::UdpSocketState, quinn_udp::UdpSocketState)>,
    /// The same sockets as dgram's async type, with the runtime that drives them, for the async
    /// ways.
    tokio: Option<AsyncPair<'r>>,
    to: SocketAddr,
    probe: UdpSocket,
    /// One datagram, or for the GSO ways all the segments of one send.
    payload: Vec<u8>,
}

impl<'r> Lane<'r> {
    /// `rts`: the runtimes of the sending and the receiving side, for the async ways.
    pub(crate) fn new(
        way: Way,
        size: usize,
        rts: [&'r tokio::runtime::Runtime; 2],
    ) -> io::Result<Self> {
        let rx = UdpSocket::bind("127.0.0.1:0")?;
        let tx = UdpSocket::bind("127.0.0.1:0")?;
        let to = rx.local_addr()?;
        rx.set_read_timeout(Some(Duration::from_millis(20)))?;
        // A second handle with its own dgram state reads the kernel's drop counter at the end. The
        // counter (sk_drops) runs whether or not SO_RXQ_OVFL is on, so the option is switched on
        // only after the run: the measured receivers get no control message they did not ask for.
        let probe = UdpSocket::from(OwnedFd::from(rx.try_clone()?.into_std()));
        let (std_tx, std_rx) = (tx.try_clone()?.into_std(), rx.try_clone()?.into_std());
        let gso = way.is_gso();
        let per_send = match way {
            _ if way.is_batch() => MAX_BATCH,
            _ if gso => gso_segments(size),
            _ => 1,
        };
        let quinn = match way {
            Way::Quinn => Some((
                quinn_udp::UdpSocketState::new((&std_tx).into())?,
                quinn_udp::UdpSocketState::new((&std_rx).into())?,
            )),
            _ => None,
        };
        let tokio = if way.is_async() {
            // Registration needs the runtime's reactor. The async sockets share the blocking ones'
            // open files, so those turn non-blocking too; only the drop probe reads through them,
            // and it retries.
            let [tx_rt, rx_rt] = rts;
            let sockets = if way == Way::Tokio {
                let (t, r) = (tx.try_clone()?.into_std(), rx.try_clone()?.into_std());
                t.set_nonblocking(true)?;
                r.set_nonblocking(true)?;
                AsyncSockets::Tokio {
                    tx: {
                        let _entered = tx_rt.enter();
                        tokio::net::UdpSocket::from_std(t)?
                    },
                    rx: {
                        let _entered = rx_rt.enter();
                        tokio::net::UdpSocket::from_std(r)?
                    },
                }
            } else {
                let rx = {
                    let _entered = rx_rt.enter();
                    datagrams::tokio::UdpSocket::new(rx.try_clone()?)?
                };
                // dgram registers a socket with the reactor the first time it has to wait. A
                // receiver that has never waited is no real receiver's state, and in lockstep it
                // would never wait: it waits once here (for nothing), so that it pays the kernel's
                // epoll wakeup for every datagram, as tokio's receiver does. The sender registers
                // only if a send has to wait, as in any use.
                rx_rt.block_on(async {
                    let _ = tokio::time::timeout(Duration::from_millis(1), rx.readable()).await;
                });
                AsyncSockets::Dgram {
                    tx: {
                        let _entered = tx_rt.enter();
                        datagrams::tokio::UdpSocket::new(tx.try_clone()?)?
                    },
                    rx,
                }
            };
            Some(AsyncPair {
                sockets,
                tx_rt,
                rx_rt,
            })
        } else {
            None
        };
        match way {
            Way::DgramGso | Way::DgramGsoWithoutSenders | Way::DgramGsoAsync => rx.set_gro(true)?,
            Way::RawGso | Way::RawGsoSenders => raw::enable_gro(rx.as_fd())?,
            _ => {}
        }
        Ok(Lane {
            way,
            size,
            per_send,
            tx,
            rx,
            std_tx,
            std_rx,
            quinn,
            tokio,
            to,
            probe,
            payload: vec![0xab; if gso { size * per_send } else { size }],
        })
    }

    /// The sending side, ready to send.
    pub(crate) fn sender(&self) -> Sender<'_, 'r> {
        Sender {
            lane: self,
            batch: [Transmit::new(self.to, &self.payload); MAX_BATCH],
            gso: Transmit::new(self.to, &self.payload).segment_size(self.size),
            quinn: quinn_udp::Transmit {
                destination: self.to,
                ecn: None,
                contents: &self.payload,
                segment_size: Some(self.size),
                src_ip: None,
            },
        }
    }

    /// The receiving side, with its buffers.
    pub(crate) fn receiver(&self) -> Receiver<'_, 'r> {
        Receiver {
            lane: self,
            buf: vec![0u8; 65_536 * 2],
            meta: [RecvMeta::default(); MAX_BATCH],
            bare: [RecvMeta::new(()); MAX_BATCH],
            lens: [0; MAX_BATCH],
            quinn_meta: [quinn_udp::RecvMeta::default(); quinn_udp::BATCH_SIZE],
        }
    }

    /// The kernel's count of datagrams this lane's receiver dropped for a full buffer, read after the
    /// run (see [`Run::kernel_drops`]).
    pub(crate) fn kernel_drops(&self) -> io::Result<u64> {
        self.probe.set_recv_drop_count(true)?;
        let per_drop = if self.way.is_gso() {
            self.per_send as u64
        } else {
            1
        };
        Ok(drops(&self.probe, self.to)? * per_drop)
    }
}

/// A lane's sending side.
pub(crate) struct Sender<'a, 'r> {
    lane: &'a Lane<'r>,
    batch: [Transmit<'a>; MAX_BATCH],
    gso: Transmit<'a>,
    quinn: quinn_udp::Transmit<'a>,
}

impl Sender<'_, '_> {
    /// One send: returns the datagrams handed to the kernel.
    pub(crate) fn send(&self) -> io::Result<u64> {
        let l = self.lane;
        let n = match l.way {
            Way::Std => l.std_tx.send_to(&l.payload, l.to).map(|_| 1)?,
            Way::Dgram => l.tx.send_to(&l.payload, l.to).map(|_| 1)?,
            Way::DgramBatch | Way::DgramBatchWithoutSenders => l.tx.send_batch(&self.batch)?,
            Way::RawBatch | Way::RawBatchSenders => {
                raw::sendmmsg(l.tx.as_fd(), &l.to, &l.payload, MAX_BATCH)?
            }
            Way::DgramGso | Way::DgramGsoWithoutSenders => {
                l.tx.send_msg(&self.gso).map(|_| l.per_send)?
            }
            Way::DgramBatchAsync | Way::DgramGsoAsync | Way::Tokio | Way::DgramAsync => {
                return Err(io::Error::other(
                    "an async way sends on its runtime (on_async_way!)",
                ));
            }
            Way::RawGso | Way::RawGsoSenders => {
                raw::send_gso(l.tx.as_fd(), &l.to, &l.payload, l.size as u16).map(|_| l.per_send)?
            }
            Way::Quinn => match &l.quinn {
                Some((state, _)) => state
                    .try_send((&l.std_tx).into(), &self.quinn)
                    .map(|()| l.per_send)?,
                None => 0,
            },
        };
        Ok(n as u64)
    }
}

/// A lane's receiving side and its buffers.
pub(crate) struct Receiver<'a, 'r> {
    lane: &'a Lane<'r>,
    buf: Vec<u8>,
    meta: [RecvMeta; MAX_BATCH],
    bare: [RecvMeta<()>; MAX_BATCH],
    lens: [usize; MAX_BATCH],
    quinn_meta: [quinn_udp::RecvMeta; quinn_udp::BATCH_SIZE],
}

impl Receiver<'_, '_> {
    /// One receive: returns the datagrams and bytes received (`WouldBlock` after the read timeout).
    pub(crate) fn recv(&mut self) -> io::Result<(u64, u64)> {
        let l = self.lane;
        if l.way.is_batch() {
            return self.recv_batch();
        }
        // One buffer: the datagram, or with GRO up to 64 KiB of them.
        let buf = &mut self.buf[..65_536];
        let one = |r: io::Result<usize>| r.map(|n| (1, n as u64));
        match l.way {
            Way::Std => one(l.std_rx.recv_from(buf).map(|(n, _)| n)),
            Way::Dgram => one(l.rx.recv_from(buf).map(|(n, _)| n)),
            Way::DgramGsoWithoutSenders => {
                let n = l
                    .rx
                    .recv_batch_without_senders(&mut [IoSliceMut::new(buf)], &mut self.bare[..1])?;
                let m = &self.bare[..n];
                Ok((
                    m.iter()
                        .map(|m| m.len.div_ceil(m.stride.unwrap_or(m.len).max(1)) as u64)
                        .sum(),
                    m.iter().map(|m| m.len as u64).sum(),
                ))
            }
            Way::DgramGso => {
                let m = l.rx.recv_msg(buf)?;
                Ok((
                    m.len.div_ceil(m.stride.unwrap_or(m.len).max(1)) as u64,
                    m.len as u64,
                ))
            }
            Way::RawGso | Way::RawGsoSenders => {
                let sender = l.way == Way::RawGsoSenders;
                let (n, stride) = raw::recv_gro(l.rx.as_fd(), buf, sender)?;
                Ok((n.div_ceil(stride.max(1)) as u64, n as u64))
            }
            Way::Quinn => {
                let Some((_, state)) = &l.quinn else {
                    return Ok((0, 0));
                };
                let n = state.recv(
                    (&l.std_rx).into(),
                    &mut [IoSliceMut::new(buf)],
                    &mut self.quinn_meta,
                )?;
                let meta = &self.quinn_meta[..n];
                Ok((
                    meta.iter()
                        .map(|m| m.len.div_ceil(m.stride.max(1)) as u64)
                        .sum(),
                    meta.iter().map(|m| m.len as u64).sum(),
                ))
            }
            _ => Err(io::Error::other(
                "an async way receives on its runtime (on_async_way!)",
            )),
        }
    }

    /// One receive of a batch way: `MAX_BATCH` buffers of the datagram size (at least 64 bytes).
    fn recv_batch(&mut self) -> io::Result<(u64, u64)> {
        let l = self.lane;
        let mut chunks = self.buf.chunks_mut(l.size.max(64));
        let mut bufs: [IoSliceMut<'_>; MAX_BATCH] =
            std::array::from_fn(|_| IoSliceMut::new(chunks.next().unwrap_or_default()));
        let sum = |lens: &mut dyn Iterator<Item = usize>| lens.map(|n| n as u64).sum::<u64>();
        match l.way {
            Way::DgramBatch => {
                let n = l.rx.recv_batch(&mut bufs, &mut self.meta)?;
                Ok((n as u64, sum(&mut self.meta[..n].iter().map(|m| m.len))))
            }
            Way::DgramBatchWithoutSenders => {
                let n = l.rx.recv_batch_without_senders(&mut bufs, &mut self.bare)?;
                Ok((n as u64, sum(&mut self.bare[..n].iter().map(|m| m.len))))
            }
            Way::RawBatch | Way::RawBatchSenders => {
                let senders = l.way == Way::RawBatchSenders;
                let n = raw::recvmmsg(l.rx.as_fd(), &mut bufs, &mut self.lens, senders)?;
                Ok((n as u64, sum(&mut self.lens[..n].iter().copied())))
            }
            _ => Err(io::Error::other(
                "an async way receives on its runtime (on_async_way!)",
            )),
        }
    }
}

/// Awaits a receive; `WouldBlock` if it waits 20 ms (as the blocking receivers' read timeout). The
/// timer is armed only once the receive has to wait, so a receive that finds its datagram queued
/// pays nothing for it. A macro, not a function, so that the receive's future is pinned where it
/// is made, not moved into another future first (a copy of its state that a task awaiting the
/// receive directly would not make).
macro_rules! patiently {
    ($recv:expr) => {{
        let mut recv = std::pin::pin!($recv);
        match std::future::poll_fn(|cx| Poll::Ready(recv.as_mut().poll(cx))).await {
            Poll::Ready(r) => r,
            Poll::Pending => match tokio::time::timeout(Duration::from_millis(20), recv).await {
                Ok(r) => r,
                Err(_) => Err(io::Error::from(ErrorKind::WouldBlock)),
            },
        }
    }};
}

/// `$body` with `send!()` and `recv!()` (see [`on_async_way!`]) as `send_to` and `recv_from` on
/// `$tx` and `$rx`: tokio's socket or dgram's.
macro_rules! send_to_recv_from {
    ($l:ident, $tx:ident, $rx:ident, $receiver:expr, $body:expr) => {{
        #[allow(unused_macros)] // a side calls one of the two
        macro_rules! send {
            () => {
                $tx.send_to(&$l.payload, $l.to).await.map(|_| 1u64)
            };
        }
        #[allow(unused_macros)] // a side calls one of the two
        macro_rules! recv {
            () => {
                patiently!($rx.recv_from(&mut $receiver.buf[..65_536]))
                    .map(|(n, _)| (1u64, n as u64))
            };
        }
        $body
    }};
}

/// Evaluates `$body`, in an async context, with `send!()` (one send: the datagrams handed to the
/// kernel, `io::Result<u64>`) and `recv!()` (one receive: datagrams and bytes,
/// `io::Result<(u64, u64)>`, `WouldBlock` after 20 ms of quiet) written out as the lane's async way
/// calls its sockets. The way is matched once, around the loop in `$body`, as a task serving one
/// kind of socket is written: a match inside an `async fn` called per operation would nest a future
/// per call (tens of instructions a step) that a blocking way, whose match is a jump, does not pay.
/// A side that does not call one of the two need not have the other's half (`$sender` or
/// `$receiver` is then never evaluated). A lane that is not async evaluates `$none`.
macro_rules! on_async_way {
    ($lane:expr, $sender:expr, $receiver:expr, $body:expr, $none:expr) => {{
        let l: &Lane<'_> = $lane;
        match (l.tokio.as_ref().map(|p| &p.sockets), l.way) {
            #[allow(unused_variables)] // a side uses one of the two sockets
            (Some(AsyncSockets::Tokio { tx, rx }), _) => {
                send_to_recv_from!(l, tx, rx, $receiver, $body)
            }
            #[allow(unused_variables)] // a side uses one of the two sockets
            (Some(AsyncSockets::Dgram { tx, rx }), Way::DgramAsync) => {
                send_to_recv_from!(l, tx, rx, $receiver, $body)
            }
            #[allow(unused_variables)] // a side uses one of the two sockets
            (Some(AsyncSockets::Dgram { tx, rx }), Way::DgramBatchAsync) => {
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! send {
                    () => {
                        tx.send_batch(&$sender.batch).await.map(|n| n as u64)
                    };
                }
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! recv {
                    () => {{
                        let r = &mut *$receiver;
                        let mut chunks = r.buf.chunks_mut(l.size.max(64));
                        let mut bufs: [IoSliceMut<'_>; MAX_BATCH] = std::array::from_fn(|_| {
                            IoSliceMut::new(chunks.next().unwrap_or_default())
                        });
                        let meta = &mut r.meta;
                        patiently!(rx.recv_batch(&mut bufs, meta)).map(|n| {
                            (
                                n as u64,
                                meta[..n].iter().map(|m| m.len as u64).sum::<u64>(),
                            )
                        })
                    }};
                }
                $body
            }
            #[allow(unused_variables)] // a side uses one of the two sockets
            (Some(AsyncSockets::Dgram { tx, rx }), _) => {
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! send {
                    () => {
                        tx.send_msg(&$sender.gso).await.map(|_| l.per_send as u64)
                    };
                }
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! recv {
                    () => {
                        patiently!(rx.recv_msg(&mut $receiver.buf[..65_536])).map(|m| {
                            (
                                m.len.div_ceil(m.stride.unwrap_or(m.len).max(1)) as u64,
                                m.len as u64,
                            )
                        })
                    };
                }
                $body
            }
            (None, _) => $none,
        }
    }};
}

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

/// The kernel's drop count: a last datagram, queued after every drop, carries it. The probe may share
/// a non-blocking open file with an async lane's socket, so a receive that finds nothing yet is
/// retried (the datagram is queued within microseconds) until a deadline.
fn drops(probe: &UdpSocket, to: SocketAddr) -> io::Result<u64> {
    let s = UdpSocket::bind("127.0.0.1:0")?;
    s.send_to(b"probe", to)?;
    probe.set_read_timeout(Some(Duration::from_secs(1)))?;
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = vec![0u8; 65_536];
    loop {
        match probe.recv_msg(&mut buf) {
            Ok(meta) if &buf[..meta.len] == b"probe" => {
                return Ok(u64::from(meta.drops.unwrap_or(0)));
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::yield_now();
            }
            Err(e) => return Err(e),
        }
    }
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
        })
    })
}
