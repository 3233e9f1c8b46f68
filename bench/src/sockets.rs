//! Blocking sockets measured in threads: one body for dgram's `UdpSocket` and `UnixDatagram` and for
//! std's, through [`BenchSocket`]. One-way streams (a sender thread blasts, a receiver thread counts
//! what arrives, the rest is loss) and ping-pong (one datagram in flight, round-trip times recorded).
//! Rates are measured at the receiver over the sender's time window.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as StdUnixAddr, UnixDatagram as StdUnixDatagram};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use datagrams::{UdpSocket, UnixAddr, UnixDatagram};

use crate::workload::{Kind, Tally, Workload};

/// The calls a benchmarked socket type must have: the same for dgram and its baseline.
pub(crate) trait BenchSocket: Send + Sync + Sized + 'static {
    /// The address a datagram comes from and a reply goes to.
    type Addr: Send + Sync;
    /// Two sockets bound on loopback (or to fresh abstract names), and the second one's address.
    fn pair() -> io::Result<(Self, Self, Self::Addr)>;
    fn timeout(&self, t: Duration) -> io::Result<()>;
    fn send_to(&self, buf: &[u8], to: &Self::Addr) -> io::Result<usize>;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
}

/// dgram's and std's `UdpSocket` have the same calls, so one body serves both.
macro_rules! bench_udp_socket {
    ($($ty:ty),*) => {$(
        impl BenchSocket for $ty {
            type Addr = SocketAddr;
            fn pair() -> io::Result<(Self, Self, SocketAddr)> {
                let (a, b) = (<$ty>::bind("127.0.0.1:0")?, <$ty>::bind("127.0.0.1:0")?);
                let to = b.local_addr()?;
                Ok((a, b, to))
            }
            fn timeout(&self, t: Duration) -> io::Result<()> {
                self.set_read_timeout(Some(t))
            }
            #[inline]
            fn send_to(&self, buf: &[u8], to: &SocketAddr) -> io::Result<usize> {
                <$ty>::send_to(self, buf, to)
            }
            #[inline]
            fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
                <$ty>::recv_from(self, buf)
            }
        }
    )*};
}

bench_udp_socket!(UdpSocket, StdUdpSocket);

/// A fresh abstract name for a benchmark socket, so nothing touches the filesystem.
fn bench_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "dgram-bench-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl BenchSocket for UnixDatagram {
    type Addr = UnixAddr;
    fn pair() -> io::Result<(Self, Self, UnixAddr)> {
        let a = UnixDatagram::bind(UnixAddr::from_abstract_name(bench_name())?)?;
        let b = UnixDatagram::bind(UnixAddr::from_abstract_name(bench_name())?)?;
        let to = b.local_addr()?;
        Ok((a, b, to))
    }
    fn timeout(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))
    }
    #[inline]
    fn send_to(&self, buf: &[u8], to: &UnixAddr) -> io::Result<usize> {
        UnixDatagram::send_to(self, buf, to)
    }
    #[inline]
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        UnixDatagram::recv_from(self, buf)
    }
}

impl BenchSocket for StdUnixDatagram {
    type Addr = StdUnixAddr;
    fn pair() -> io::Result<(Self, Self, StdUnixAddr)> {
        let a = StdUnixDatagram::bind_addr(&StdUnixAddr::from_abstract_name(bench_name())?)?;
        let b = StdUnixDatagram::bind_addr(&StdUnixAddr::from_abstract_name(bench_name())?)?;
        let to = b.local_addr()?;
        Ok((a, b, to))
    }
    fn timeout(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))
    }
    #[inline]
    fn send_to(&self, buf: &[u8], to: &StdUnixAddr) -> io::Result<usize> {
        StdUnixDatagram::send_to_addr(self, buf, to)
    }
    #[inline]
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, StdUnixAddr)> {
        StdUnixDatagram::recv_from(self, buf)
    }
}

/// Runs workload `w` for `slice` on a pair of `S`, adding what it did to `tally`.
pub(crate) fn measure<S: BenchSocket>(
    w: Workload,
    slice: Duration,
    tally: &mut Tally,
) -> io::Result<()> {
    match w.kind {
        Kind::OneWay => one_way::<S>(w.size, slice, tally),
        Kind::PingPong => ping_pong::<S>(w.size, slice, tally),
    }
}

/// A sender thread blasts for `slice`; the receiver counts what arrives until the queue is drained.
fn one_way<S: BenchSocket>(size: usize, slice: Duration, tally: &mut Tally) -> io::Result<()> {
    let (tx, rx, to) = S::pair()?;
    rx.timeout(Duration::from_millis(20))?;
    // A Unix sender blocks on a full receiver; bound it so the end of the window is noticed.
    tx.timeout(Duration::from_millis(20))?;
    let done = AtomicBool::new(false);
    let (sent, elapsed, received, bytes, failed) = std::thread::scope(|scope| {
        let sender = scope.spawn(|| {
            let buf = vec![0xabu8; size];
            let mut sent = 0u64;
            let mut failed = None;
            let start = Instant::now();
            // Check the clock every 64 sends so the loop measures sends, not clock reads.
            'outer: loop {
                for _ in 0..64 {
                    match tx.send_to(&buf, &to) {
                        Ok(_) => sent += 1,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => {
                            failed = Some(e);
                            break 'outer;
                        }
                    }
                }
                if start.elapsed() >= slice {
                    break;
                }
            }
            let elapsed = start.elapsed();
            done.store(true, Ordering::Release);
            (sent, elapsed, failed)
        });
        let mut buf = vec![0u8; size.max(2048)];
        let (mut received, mut bytes) = (0u64, 0u64);
        loop {
            match rx.recv_from(&mut buf) {
                Ok((n, _)) => {
                    received += 1;
                    bytes += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    if done.load(Ordering::Acquire) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        let (sent, elapsed, failed) = sender.join().unwrap_or((
            0,
            Duration::ZERO,
            Some(io::Error::other("the sender thread panicked")),
        ));
        (sent, elapsed, received, bytes, failed)
    });
    if let Some(e) = failed {
        return Err(e);
    }
    tally.sent += sent;
    tally.received += received;
    tally.bytes += bytes;
    tally.elapsed += elapsed;
    Ok(())
}

/// One datagram in flight: the client sends, the server echoes, the client times the round trip.
pub(crate) fn ping_pong<S: BenchSocket>(
    size: usize,
    slice: Duration,
    tally: &mut Tally,
) -> io::Result<()> {
    let (client, server, server_addr) = S::pair()?;
    server.timeout(Duration::from_millis(100))?;
    // Long enough that a late reply is never taken for the next round trip's.
    client.timeout(Duration::from_secs(1))?;
    let done = AtomicBool::new(false);
    tally.rtts_ns.reserve(2_000_000);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut buf = vec![0u8; size.max(2048)];
            while !done.load(Ordering::Acquire) {
                if let Ok((n, from)) = server.recv_from(&mut buf) {
                    let _ = server.send_to(&buf[..n], &from);
                }
            }
        });
        let buf = vec![0x5au8; size];
        let mut reply = vec![0u8; size.max(2048)];
        let start = Instant::now();
        let mut now = start;
        while now.duration_since(start) < slice {
            let t0 = now;
            tally.sent += 1;
            if client.send_to(&buf, &server_addr).is_ok()
                && let Ok((n, _)) = client.recv_from(&mut reply)
            {
                now = Instant::now();
                tally.received += 1;
                tally.bytes += n as u64;
                if tally.rtts_ns.len() < tally.rtts_ns.capacity() {
                    tally.rtts_ns.push(now.duration_since(t0).as_nanos() as u64);
                }
                continue;
            }
            now = Instant::now();
        }
        tally.elapsed += now.duration_since(start);
        done.store(true, Ordering::Release);
    });
    Ok(())
}
