//! One way's sockets, set up for a run: a [`Lane`], its sending side ([`Sender`]) and its receiving
//! side ([`Receiver`]), and the kernel's drop counter read after the run.

use std::io::{self, ErrorKind, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use datagrams::{MAX_BATCH, RecvMeta, Transmit, UdpSocket};
use datagrams_bench::sys as raw;

use super::way::{Way, gso_segments};

/// The async sockets of an async way, each with the runtime that drives it (one for both in lockstep,
/// one per side's thread otherwise).
pub(super) struct AsyncPair<'r> {
    pub(super) sockets: AsyncSockets,
    pub(super) tx_rt: &'r tokio::runtime::Runtime,
    pub(super) rx_rt: &'r tokio::runtime::Runtime,
}

/// An async way's sender and receiver: dgram's, or tokio's for the `Tokio` way (each socket is
/// registered once, with one of them: a second registration would double the kernel's wakeups).
pub(super) enum AsyncSockets {
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
pub(super) struct Lane<'r> {
    pub(super) way: Way,
    pub(super) size: usize,
    /// Datagrams per send: `MAX_BATCH` for batches, the GSO segments, or 1.
    pub(super) per_send: usize,
    tx: UdpSocket,
    rx: UdpSocket,
    /// The same sockets as std's type, for the std and quinn-udp ways.
    std_tx: std::net::UdpSocket,
    std_rx: std::net::UdpSocket,
    quinn: Option<(quinn_udp::UdpSocketState, quinn_udp::UdpSocketState)>,
    /// The same sockets as dgram's async type, with the runtime that drives them, for the async
    /// ways.
    pub(super) tokio: Option<AsyncPair<'r>>,
    pub(super) to: SocketAddr,
    probe: UdpSocket,
    /// One datagram, or for the GSO ways all the segments of one send.
    pub(super) payload: Vec<u8>,
}

impl<'r> Lane<'r> {
    /// `rts`: the runtimes of the sending and the receiving side, for the async ways.
    pub(super) fn new(
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
        let probe = UdpSocket::try_from(OwnedFd::from(rx.try_clone()?.into_std()))?;
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
                // In lockstep the receiver would never wait: it waits once here, so that it pays
                // the kernel's epoll wakeup for every datagram, as tokio's receiver does. The
                // sender registers only if a send has to wait, as in any use.
                datagrams_bench::wait_once(rx_rt, &rx);
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
            Way::DgramGso
            | Way::DgramGsoWithoutSenders
            | Way::DgramGsoAsync
            | Way::DgramGsoConnected => rx.set_gro(true)?,
            Way::RawGso | Way::RawGsoSenders | Way::RawGsoConnected => raw::enable_gro(rx.as_fd())?,
            _ => {}
        }
        if way.is_connected() {
            tx.connect(to)?;
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
    pub(super) fn sender(&self) -> Sender<'_, 'r> {
        Sender {
            lane: self,
            batch: [if self.way.is_connected() {
                Transmit::connected(&self.payload)
            } else {
                Transmit::new(self.to, &self.payload)
            }; MAX_BATCH],
            gso: if self.way.is_connected() {
                Transmit::connected(&self.payload)
            } else {
                Transmit::new(self.to, &self.payload)
            }
            .segment_size(self.size),
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
    pub(super) fn receiver(&self) -> Receiver<'_, 'r> {
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
    pub(super) fn kernel_drops(&self) -> io::Result<u64> {
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
pub(super) struct Sender<'a, 'r> {
    lane: &'a Lane<'r>,
    pub(super) batch: [Transmit<'a>; MAX_BATCH],
    pub(super) gso: Transmit<'a>,
    quinn: quinn_udp::Transmit<'a>,
}

impl Sender<'_, '_> {
    /// One send: returns the datagrams handed to the kernel.
    pub(super) fn send(&self) -> io::Result<u64> {
        let l = self.lane;
        let n = match l.way {
            Way::Std => l.std_tx.send_to(&l.payload, l.to).map(|_| 1)?,
            Way::Dgram => l.tx.send_to(&l.payload, l.to).map(|_| 1)?,
            Way::DgramBatch | Way::DgramBatchWithoutSenders | Way::DgramBatchConnected => {
                l.tx.send_batch(&self.batch)?
            }
            Way::RawBatch | Way::RawBatchSenders => {
                raw::sendmmsg(l.tx.as_fd(), Some(&l.to), &l.payload, MAX_BATCH)?
            }
            Way::RawBatchConnected => raw::sendmmsg(l.tx.as_fd(), None, &l.payload, MAX_BATCH)?,
            Way::DgramGso | Way::DgramGsoWithoutSenders | Way::DgramGsoConnected => {
                l.tx.send_msg(&self.gso).map(|_| l.per_send)?
            }
            Way::DgramBatchAsync | Way::DgramGsoAsync | Way::Tokio | Way::DgramAsync => {
                return Err(io::Error::other(
                    "an async way sends on its runtime (on_async_way!)",
                ));
            }
            Way::RawGso | Way::RawGsoSenders => {
                raw::send_gso(l.tx.as_fd(), Some(&l.to), &l.payload, l.size as u16)
                    .map(|_| l.per_send)?
            }
            Way::RawGsoConnected => {
                raw::send_gso(l.tx.as_fd(), None, &l.payload, l.size as u16).map(|_| l.per_send)?
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
pub(super) struct Receiver<'a, 'r> {
    lane: &'a Lane<'r>,
    pub(super) buf: Vec<u8>,
    pub(super) meta: [RecvMeta; MAX_BATCH],
    bare: [RecvMeta<()>; MAX_BATCH],
    lens: [usize; MAX_BATCH],
    quinn_meta: [quinn_udp::RecvMeta; quinn_udp::BATCH_SIZE],
}

impl Receiver<'_, '_> {
    /// One receive: returns the datagrams and bytes received (`WouldBlock` after the read timeout).
    pub(super) fn recv(&mut self) -> io::Result<(u64, u64)> {
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
            Way::DgramGso | Way::DgramGsoConnected => {
                let m = l.rx.recv_msg(buf)?;
                Ok((
                    m.len.div_ceil(m.stride.unwrap_or(m.len).max(1)) as u64,
                    m.len as u64,
                ))
            }
            Way::RawGso | Way::RawGsoSenders | Way::RawGsoConnected => {
                let sender = l.way != Way::RawGso;
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
            Way::DgramBatch | Way::DgramBatchConnected => {
                let n = l.rx.recv_batch(&mut bufs, &mut self.meta)?;
                Ok((n as u64, sum(&mut self.meta[..n].iter().map(|m| m.len))))
            }
            Way::DgramBatchWithoutSenders => {
                let n = l.rx.recv_batch_without_senders(&mut bufs, &mut self.bare)?;
                Ok((n as u64, sum(&mut self.bare[..n].iter().map(|m| m.len))))
            }
            Way::RawBatch | Way::RawBatchSenders | Way::RawBatchConnected => {
                let senders = l.way != Way::RawBatch;
                let n = raw::recvmmsg(l.rx.as_fd(), &mut bufs, &mut self.lens, senders)?;
                Ok((n as u64, sum(&mut self.lens[..n].iter().copied())))
            }
            _ => Err(io::Error::other(
                "an async way receives on its runtime (on_async_way!)",
            )),
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
