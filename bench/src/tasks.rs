//! Async sockets measured in tasks: one body for dgram's async `UdpSocket` and
//! `tokio::net::UdpSocket`, through [`AsyncBenchSocket`]. The same workloads as [`crate::sockets`],
//! each side a pair of tasks on one 2-worker tokio runtime.

use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::workload::{Kind, Tally, Workload};

/// The runtime the async bench runs on: two workers, one per core of the machines we target.
pub(crate) fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// The async calls a benchmarked socket must have: the same names on dgram's and tokio's.
pub(crate) trait AsyncBenchSocket: Send + Sync + Sized + 'static {
    fn bind_loopback() -> impl Future<Output = io::Result<Self>> + Send;
    fn local(&self) -> io::Result<SocketAddr>;
    fn send_to(&self, buf: &[u8], to: SocketAddr)
    -> impl Future<Output = io::Result<usize>> + Send;
    fn recv_from(
        &self,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send;
}

impl AsyncBenchSocket for datagrams::tokio::UdpSocket {
    async fn bind_loopback() -> io::Result<Self> {
        datagrams::tokio::UdpSocket::bind("127.0.0.1:0").await
    }
    fn local(&self) -> io::Result<SocketAddr> {
        self.local_addr()
    }
    async fn send_to(&self, buf: &[u8], to: SocketAddr) -> io::Result<usize> {
        datagrams::tokio::UdpSocket::send_to(self, buf, to).await
    }
    async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::tokio::UdpSocket::recv_from(self, buf).await
    }
}

impl AsyncBenchSocket for tokio::net::UdpSocket {
    async fn bind_loopback() -> io::Result<Self> {
        tokio::net::UdpSocket::bind("127.0.0.1:0").await
    }
    fn local(&self) -> io::Result<SocketAddr> {
        self.local_addr()
    }
    async fn send_to(&self, buf: &[u8], to: SocketAddr) -> io::Result<usize> {
        tokio::net::UdpSocket::send_to(self, buf, to).await
    }
    async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        tokio::net::UdpSocket::recv_from(self, buf).await
    }
}

/// Runs workload `w` for `slice` on a pair of `S` on `rt`, adding what it did to `tally`.
pub(crate) fn measure<S: AsyncBenchSocket>(
    rt: &tokio::runtime::Runtime,
    w: Workload,
    slice: Duration,
    tally: &mut Tally,
) -> io::Result<()> {
    match w.kind {
        Kind::OneWay => rt.block_on(one_way::<S>(w.size, slice, tally)),
        Kind::PingPong => rt.block_on(ping_pong::<S>(w.size, slice, tally)),
    }
}

/// A sender task blasts for `slice`; a receiver task counts until the queue is drained.
async fn one_way<S: AsyncBenchSocket>(
    size: usize,
    slice: Duration,
    tally: &mut Tally,
) -> io::Result<()> {
    let rx = Arc::new(S::bind_loopback().await?);
    let tx = S::bind_loopback().await?;
    let to = rx.local()?;
    let done = Arc::new(AtomicBool::new(false));
    let receiver = {
        let (rx, done) = (Arc::clone(&rx), Arc::clone(&done));
        tokio::spawn(async move {
            let mut buf = vec![0u8; size.max(2048)];
            let (mut received, mut bytes) = (0u64, 0u64);
            loop {
                match tokio::time::timeout(Duration::from_millis(20), rx.recv_from(&mut buf)).await
                {
                    Ok(Ok((n, _))) => {
                        received += 1;
                        bytes += n as u64;
                    }
                    Ok(Err(e)) => return Err(e),
                    Err(_) if done.load(Ordering::Acquire) => return Ok((received, bytes)),
                    Err(_) => {}
                }
            }
        })
    };
    let sender = tokio::spawn(async move {
        let buf = vec![0xabu8; size];
        let mut sent = 0u64;
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                match tx.send_to(&buf, to).await {
                    Ok(_) => sent += 1,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            // Let the receiver run when both share a worker.
            tokio::task::yield_now().await;
            if start.elapsed() >= slice {
                return Ok((sent, start.elapsed()));
            }
        }
    });
    let (sent, elapsed) = sender.await.map_err(io::Error::other)??;
    done.store(true, Ordering::Release);
    let (received, bytes) = receiver.await.map_err(io::Error::other)??;
    tally.sent += sent;
    tally.received += received;
    tally.bytes += bytes;
    tally.elapsed += elapsed;
    Ok(())
}

/// One datagram in flight: the client task sends, the server task echoes, the client times it.
async fn ping_pong<S: AsyncBenchSocket>(
    size: usize,
    slice: Duration,
    tally: &mut Tally,
) -> io::Result<()> {
    let server = Arc::new(S::bind_loopback().await?);
    let client = S::bind_loopback().await?;
    let server_addr = server.local()?;
    let done = Arc::new(AtomicBool::new(false));
    let echo = {
        let (server, done) = (Arc::clone(&server), Arc::clone(&done));
        tokio::spawn(async move {
            let mut buf = vec![0u8; size.max(2048)];
            while !done.load(Ordering::Acquire) {
                if let Ok(Ok((n, from))) =
                    tokio::time::timeout(Duration::from_millis(100), server.recv_from(&mut buf))
                        .await
                {
                    let _ = server.send_to(&buf[..n], from).await;
                }
            }
        })
    };
    let buf = vec![0x5au8; size];
    let mut reply = vec![0u8; size.max(2048)];
    tally.rtts_ns.reserve(2_000_000);
    let start = Instant::now();
    let mut now = start;
    while now.duration_since(start) < slice {
        let t0 = now;
        tally.sent += 1;
        client.send_to(&buf, server_addr).await?;
        // Long enough that a late reply is never taken for the next round trip's.
        if let Ok(r) =
            tokio::time::timeout(Duration::from_secs(1), client.recv_from(&mut reply)).await
        {
            let (n, _) = r?;
            now = Instant::now();
            tally.received += 1;
            tally.bytes += n as u64;
            if tally.rtts_ns.len() < tally.rtts_ns.capacity() {
                tally.rtts_ns.push(now.duration_since(t0).as_nanos() as u64);
            }
        } else {
            now = Instant::now();
        }
    }
    tally.elapsed += now.duration_since(start);
    done.store(true, Ordering::Release);
    echo.await.map_err(io::Error::other)?;
    Ok(())
}
