//! `dgram bench` with no mode flag: every way dgram moves datagrams, side by side in one run, against
//! the baselines: std, tokio, quinn-udp, and the kernel's limit (plain `sendmmsg`/`recvmmsg` and
//! `UDP_SEGMENT`/`UDP_GRO` loops). One-way streams only: a sender thread blasts for the slice, a
//! receiver thread counts what arrives; loss is counted at the receiver and checked against the
//! kernel's own drop counter (`SO_RXQ_OVFL`).

use std::io::{self, ErrorKind, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dgram::{__baseline as raw, MAX_BATCH, RecvMeta, Transmit, UdpSocket};

/// One way of sending and receiving, measured in the one-way workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    Std,
    Dgram,
    DgramBatch,
    RawBatch,
    DgramGso,
    RawGso,
    Quinn,
}

impl Way {
    pub(crate) const ALL: [Way; 7] = [
        Way::Std,
        Way::Dgram,
        Way::DgramBatch,
        Way::RawBatch,
        Way::DgramGso,
        Way::RawGso,
        Way::Quinn,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Way::Std => "std send_to/recv_from",
            Way::Dgram => "dgram send_to/recv_from",
            Way::DgramBatch => "dgram send_batch/recv_batch",
            Way::RawBatch => "raw sendmmsg/recvmmsg",
            Way::DgramGso => "dgram GSO/GRO",
            Way::RawGso => "raw UDP_SEGMENT/UDP_GRO",
            Way::Quinn => "quinn-udp GSO/GRO",
        }
    }

    pub(crate) fn id(self) -> &'static str {
        match self {
            Way::Std => "std",
            Way::Dgram => "dgram",
            Way::DgramBatch => "dgram_batch",
            Way::RawBatch => "raw_batch",
            Way::DgramGso => "dgram_gso",
            Way::RawGso => "raw_gso",
            Way::Quinn => "quinn_udp",
        }
    }

    /// What this way's rate is compared with.
    pub(crate) fn baselines(self) -> &'static [Way] {
        match self {
            Way::Dgram => &[Way::Std],
            Way::DgramBatch => &[Way::RawBatch],
            Way::DgramGso => &[Way::RawGso, Way::Quinn],
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

/// Runs `way` for `slice` with datagrams of `size` bytes, on two threads or, with `lockstep`, on one
/// (see [`harness`]).
pub(crate) fn run(way: Way, size: usize, slice: Duration, lockstep: bool) -> io::Result<Run> {
    let rx = UdpSocket::bind("127.0.0.1:0")?;
    let tx = UdpSocket::bind("127.0.0.1:0")?;
    let to = rx.local_addr()?;
    rx.set_read_timeout(Some(Duration::from_millis(20)))?;
    // A second handle with its own dgram state reads the kernel's drop counter at the end. The counter
    // (sk_drops) runs whether or not SO_RXQ_OVFL is on, so the option is switched on only after the
    // run: the measured receivers get no control message they did not ask for.
    let probe = UdpSocket::from(OwnedFd::from(rx.try_clone()?.into_std()));
    let payload = vec![0xabu8; size];
    let segs = gso_segments(size);
    let gso_payload = vec![0xabu8; size * segs];
    let mut run = match way {
        Way::Std => {
            let (tx, rx) = (tx.into_std(), rx.into_std());
            harness(
                slice,
                lockstep,
                || tx.send_to(&payload, to).map(|_| 1),
                |buf| rx.recv_from(buf).map(|(n, _)| (1, n as u64)),
            )?
        }
        Way::Dgram => harness(
            slice,
            lockstep,
            || tx.send_to(&payload, to).map(|_| 1),
            |buf| rx.recv_from(buf).map(|(n, _)| (1, n as u64)),
        )?,
        Way::DgramBatch => {
            let batch = [Transmit::new(to, &payload); MAX_BATCH];
            let mut meta = [RecvMeta::default(); MAX_BATCH];
            harness(
                slice,
                lockstep,
                || tx.send_batch(&batch).map(|n| n as u64),
                |buf| {
                    let mut bufs = split(buf, size.max(64));
                    let n = rx.recv_batch(&mut bufs, &mut meta)?;
                    Ok((n as u64, meta[..n].iter().map(|m| m.len as u64).sum()))
                },
            )?
        }
        Way::RawBatch => {
            let mut lens = [0usize; MAX_BATCH];
            harness(
                slice,
                lockstep,
                || raw::sendmmsg(tx.as_fd(), &to, &payload, MAX_BATCH).map(|n| n as u64),
                |buf| {
                    let mut bufs = split(buf, size.max(64));
                    let n = raw::recvmmsg(rx.as_fd(), &mut bufs, &mut lens)?;
                    Ok((n as u64, lens[..n].iter().map(|&l| l as u64).sum()))
                },
            )?
        }
        Way::DgramGso => {
            rx.set_gro(true)?;
            let t = Transmit::new(to, &gso_payload).segment_size(size);
            harness(
                slice,
                lockstep,
                || tx.send_msg(&t).map(|_| segs as u64),
                |buf| {
                    let meta = rx.recv_msg(buf)?;
                    Ok((
                        meta.len.div_ceil(meta.stride.unwrap_or(meta.len).max(1)) as u64,
                        meta.len as u64,
                    ))
                },
            )?
        }
        Way::RawGso => {
            raw::enable_gro(rx.as_fd())?;
            harness(
                slice,
                lockstep,
                || raw::send_gso(tx.as_fd(), &to, &gso_payload, size as u16).map(|_| segs as u64),
                |buf| {
                    let (n, stride) = raw::recv_gro(rx.as_fd(), buf)?;
                    Ok((n.div_ceil(stride.max(1)) as u64, n as u64))
                },
            )?
        }
        Way::Quinn => {
            let (tx, rx) = (tx.into_std(), rx.into_std());
            let sa = quinn_udp::UdpSocketState::new((&tx).into())?;
            let sb = quinn_udp::UdpSocketState::new((&rx).into())?;
            let t = quinn_udp::Transmit {
                destination: to,
                ecn: None,
                contents: &gso_payload,
                segment_size: Some(size),
                src_ip: None,
            };
            let mut meta = [quinn_udp::RecvMeta::default(); quinn_udp::BATCH_SIZE];
            harness(
                slice,
                lockstep,
                || sa.try_send((&tx).into(), &t).map(|()| segs as u64),
                |buf| {
                    // One 64 KiB buffer: a GRO receive may fill it.
                    let mut bufs = split(buf, 65_536);
                    let n = sb.recv((&rx).into(), &mut bufs, &mut meta)?;
                    let datagrams = meta[..n]
                        .iter()
                        .map(|m| m.len.div_ceil(m.stride.max(1)) as u64)
                        .sum();
                    Ok((datagrams, meta[..n].iter().map(|m| m.len as u64).sum()))
                },
            )?
        }
    };
    probe.set_recv_drop_count(true)?;
    let per_drop = if matches!(way, Way::DgramGso | Way::RawGso | Way::Quinn) {
        segs as u64
    } else {
        1
    };
    run.kernel_drops = drops(&probe, to)? * per_drop;
    Ok(run)
}

/// The kernel's drop count: a last datagram, queued after every drop, carries it.
fn drops(probe: &UdpSocket, to: SocketAddr) -> io::Result<u64> {
    let s = UdpSocket::bind("127.0.0.1:0")?;
    s.send_to(b"probe", to)?;
    probe.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = vec![0u8; 65_536];
    loop {
        let meta = probe.recv_msg(&mut buf)?;
        if &buf[..meta.len] == b"probe" {
            return Ok(u64::from(meta.drops.unwrap_or(0)));
        }
    }
}

/// Splits one buffer into `MAX_BATCH` receive buffers of `each` bytes (fewer if it is short).
fn split(buf: &mut [u8], each: usize) -> Vec<IoSliceMut<'_>> {
    buf.chunks_mut(each.max(1))
        .take(MAX_BATCH)
        .map(IoSliceMut::new)
        .collect()
}

/// A sender thread calls `send` (datagrams handed over) until the slice ends; the receiver calls
/// `recv` (datagrams, bytes) until the queue is drained after that. With `lockstep`, one thread
/// does both: each send, then receives until what it sent has arrived (or the receive times out,
/// which counts the rest as lost).
fn harness(
    slice: Duration,
    lockstep: bool,
    mut send: impl FnMut() -> io::Result<u64> + Send,
    mut recv: impl FnMut(&mut [u8]) -> io::Result<(u64, u64)> + Send,
) -> io::Result<Run> {
    if lockstep {
        let mut buf = vec![0u8; 65_536];
        let (mut sent, mut received, mut bytes, mut lost) = (0u64, 0u64, 0u64, 0u64);
        let start = Instant::now();
        while start.elapsed() < slice {
            sent += send()?;
            while received + lost < sent {
                match recv(&mut buf) {
                    Ok((n, b)) => {
                        received += n;
                        bytes += b;
                    }
                    // the receive timeout: the rest of this send was dropped
                    Err(e) if e.kind() == ErrorKind::WouldBlock => lost = sent - received,
                    Err(e) => return Err(e),
                }
            }
        }
        return Ok(Run {
            sent,
            received,
            bytes,
            secs: start.elapsed().as_secs_f64(),
            kernel_drops: 0,
        });
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            let start = Instant::now();
            let mut sent = 0u64;
            let result = loop {
                match send() {
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
        });
        let mut buf = vec![0u8; 65_536];
        let (mut received, mut bytes) = (0u64, 0u64);
        let recv_result = loop {
            match recv(&mut buf) {
                Ok((n, b)) => {
                    received += n;
                    bytes += b;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if done.load(Ordering::Acquire) {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        let sent = sender
            .join()
            .map_err(|_| io::Error::other("the sender thread panicked"))?;
        recv_result?;
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
