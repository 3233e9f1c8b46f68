//! One face for the blocking and the async socket (UDP and Unix), so that each test body is written once and run
//! against both: the async socket's calls are driven to completion on a shared runtime, bounded by
//! [`PATIENCE`](super::PATIENCE) as the blocking socket's reads are by their timeout.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::sync::OnceLock;

use std::os::fd::{BorrowedFd, OwnedFd};

use datagrams::{Family, MsgFlags, RecvMeta, ToUnixAddr, Transmit, UCred, UnixAddr};

use crate::common::PATIENCE;

/// The runtime every async test call runs on.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// Drives `f` to completion, failing with `TimedOut` after [`PATIENCE`].
pub fn run<T>(f: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    rt().block_on(async {
        match tokio::time::timeout(PATIENCE, f).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the async call did not complete in time",
            )),
        }
    })
}

/// The calls the shared UDP test bodies make. Blocking calls for the blocking socket; for the async
/// socket, the async calls driven to completion.
pub trait Udp: Sized + Send + Sync + std::fmt::Debug + 'static {
    /// Which socket this is, for messages.
    const NAME: &'static str;
    fn bind(a: SocketAddr) -> io::Result<Self>;
    fn unbound(f: Family) -> io::Result<Self>;
    /// The blocking socket underneath, for options and state queries.
    fn blocking(&self) -> &datagrams::UdpSocket;
    fn bind_to(&self, a: SocketAddr) -> io::Result<()>;
    fn connect(&self, a: SocketAddr) -> io::Result<()>;
    fn connect_host(&self, host: &str, port: u16) -> io::Result<()>;
    fn send(&self, b: &[u8]) -> io::Result<usize>;
    fn send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize>;
    fn send_to_str(&self, b: &[u8], a: &str) -> io::Result<usize>;
    fn send_to_host(&self, b: &[u8], host: &str, port: u16) -> io::Result<usize>;
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    fn send_to_vectored(&self, bufs: &[IoSlice<'_>], a: SocketAddr) -> io::Result<usize>;
    fn recv(&self, b: &mut [u8]) -> io::Result<usize>;
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.recv_msg_vectored(bufs, MsgFlags::empty())
            .map(|m| m.len)
    }
    fn peek(&self, b: &mut [u8]) -> io::Result<usize>;
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta>;
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta>;
    fn try_send(&self, b: &[u8]) -> io::Result<usize>;
    fn try_send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize>;
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize>;
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn try_peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    fn send_msg(&self, t: &Transmit<'_>) -> io::Result<usize>;
    fn send_batch(&self, ts: &[Transmit<'_>]) -> io::Result<usize>;
    fn recv_batch(&self, bufs: &mut [IoSliceMut<'_>], meta: &mut [RecvMeta]) -> io::Result<usize>;
    fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize>;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.blocking().local_addr()
    }
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.blocking().peer_addr()
    }
    fn is_bound(&self) -> io::Result<bool> {
        self.blocking().is_bound()
    }
    fn is_connected(&self) -> io::Result<bool> {
        self.blocking().is_connected()
    }
    fn disconnect(&self) -> io::Result<()> {
        self.blocking().disconnect()
    }
    fn family(&self) -> Family {
        self.blocking().family()
    }
}

impl Udp for datagrams::UdpSocket {
    const NAME: &'static str = "blocking";
    fn bind(a: SocketAddr) -> io::Result<Self> {
        let s = datagrams::UdpSocket::bind(a)?;
        s.set_read_timeout(Some(PATIENCE))?;
        Ok(s)
    }
    fn unbound(f: Family) -> io::Result<Self> {
        let s = datagrams::UdpSocket::unbound(f)?;
        s.set_read_timeout(Some(PATIENCE))?;
        Ok(s)
    }
    fn blocking(&self) -> &datagrams::UdpSocket {
        self
    }
    fn bind_to(&self, a: SocketAddr) -> io::Result<()> {
        datagrams::UdpSocket::bind_to(self, a)
    }
    fn connect(&self, a: SocketAddr) -> io::Result<()> {
        datagrams::UdpSocket::connect(self, a)
    }
    fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        datagrams::UdpSocket::connect_host(self, host, port)
    }
    fn send(&self, b: &[u8]) -> io::Result<usize> {
        datagrams::UdpSocket::send(self, b)
    }
    fn send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        datagrams::UdpSocket::send_to(self, b, a)
    }
    fn send_to_str(&self, b: &[u8], a: &str) -> io::Result<usize> {
        datagrams::UdpSocket::send_to(self, b, a)
    }
    fn send_to_host(&self, b: &[u8], host: &str, port: u16) -> io::Result<usize> {
        datagrams::UdpSocket::send_to_host(self, b, host, port)
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        datagrams::UdpSocket::send_vectored(self, bufs)
    }
    fn send_to_vectored(&self, bufs: &[IoSlice<'_>], a: SocketAddr) -> io::Result<usize> {
        datagrams::UdpSocket::send_to_vectored(self, bufs, a)
    }
    fn recv(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::UdpSocket::recv(self, b)
    }
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::UdpSocket::recv_from(self, b)
    }
    fn peek(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::UdpSocket::peek(self, b)
    }
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::UdpSocket::peek_from(self, b)
    }
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta> {
        datagrams::UdpSocket::recv_msg(self, b)
    }
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        datagrams::UdpSocket::recv_msg_vectored(self, bufs, flags)
    }
    fn try_send(&self, b: &[u8]) -> io::Result<usize> {
        datagrams::UdpSocket::try_send(self, b)
    }
    fn try_send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        datagrams::UdpSocket::try_send_to(self, b, a)
    }
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::UdpSocket::try_recv(self, b)
    }
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::UdpSocket::try_recv_from(self, b)
    }
    fn try_peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::UdpSocket::try_peek_from(self, b)
    }
    fn send_msg(&self, t: &Transmit<'_>) -> io::Result<usize> {
        datagrams::UdpSocket::send_msg(self, t)
    }
    fn send_batch(&self, ts: &[Transmit<'_>]) -> io::Result<usize> {
        datagrams::UdpSocket::send_batch(self, ts)
    }
    fn recv_batch(&self, bufs: &mut [IoSliceMut<'_>], meta: &mut [RecvMeta]) -> io::Result<usize> {
        datagrams::UdpSocket::recv_batch(self, bufs, meta)
    }
    fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        datagrams::UdpSocket::recv_batch_without_senders(self, bufs, meta)
    }
}

impl Udp for datagrams::tokio::UdpSocket {
    const NAME: &'static str = "async";
    fn bind(a: SocketAddr) -> io::Result<Self> {
        run(datagrams::tokio::UdpSocket::bind(a))
    }
    fn unbound(f: Family) -> io::Result<Self> {
        let _entered = rt().enter();
        datagrams::tokio::UdpSocket::unbound(f)
    }
    fn blocking(&self) -> &datagrams::UdpSocket {
        self.get_ref()
    }
    fn bind_to(&self, a: SocketAddr) -> io::Result<()> {
        run(datagrams::tokio::UdpSocket::bind_to(self, a))
    }
    fn connect(&self, a: SocketAddr) -> io::Result<()> {
        run(datagrams::tokio::UdpSocket::connect(self, a))
    }
    fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        run(datagrams::tokio::UdpSocket::connect_host(self, host, port))
    }
    fn send(&self, b: &[u8]) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send(self, b))
    }
    fn send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_to(self, b, a))
    }
    fn send_to_str(&self, b: &[u8], a: &str) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_to(self, b, a))
    }
    fn send_to_host(&self, b: &[u8], host: &str, port: u16) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_to_host(
            self, b, host, port,
        ))
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_vectored(self, bufs))
    }
    fn send_to_vectored(&self, bufs: &[IoSlice<'_>], a: SocketAddr) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_to_vectored(self, bufs, a))
    }
    fn recv(&self, b: &mut [u8]) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::recv(self, b))
    }
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        run(datagrams::tokio::UdpSocket::recv_from(self, b))
    }
    fn peek(&self, b: &mut [u8]) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::peek(self, b))
    }
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        run(datagrams::tokio::UdpSocket::peek_from(self, b))
    }
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta> {
        run(datagrams::tokio::UdpSocket::recv_msg(self, b))
    }
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        run(datagrams::tokio::UdpSocket::recv_msg_vectored(
            self, bufs, flags,
        ))
    }
    // tokio's try_* attempt the call only once the reactor has seen readiness: wait for it first.
    fn try_send(&self, b: &[u8]) -> io::Result<usize> {
        run(self.writable())?;
        datagrams::tokio::UdpSocket::try_send(self, b)
    }
    fn try_send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        run(self.writable())?;
        datagrams::tokio::UdpSocket::try_send_to(self, b, a)
    }
    // For receives, the tests wait for the datagram first (peek), and then the readiness is known.
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::tokio::UdpSocket::try_recv(self, b)
    }
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::tokio::UdpSocket::try_recv_from(self, b)
    }
    fn try_peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        datagrams::tokio::UdpSocket::try_peek_from(self, b)
    }
    fn send_msg(&self, t: &Transmit<'_>) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_msg(self, t))
    }
    fn send_batch(&self, ts: &[Transmit<'_>]) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::send_batch(self, ts))
    }
    fn recv_batch(&self, bufs: &mut [IoSliceMut<'_>], meta: &mut [RecvMeta]) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::recv_batch(self, bufs, meta))
    }
    fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        run(datagrams::tokio::UdpSocket::recv_batch_without_senders(
            self, bufs, meta,
        ))
    }
}

/// The calls the shared Unix-socket test bodies make, blocking or driven to completion.
pub trait Unix: Sized + Send + Sync + std::fmt::Debug + 'static {
    const NAME: &'static str;
    fn bind(a: UnixAddr) -> io::Result<Self>;
    fn unbound() -> io::Result<Self>;
    fn pair() -> io::Result<(Self, Self)>;
    /// The blocking socket underneath, for options and state queries.
    fn blocking(&self) -> &datagrams::UnixDatagram;
    fn send(&self, b: &[u8]) -> io::Result<usize>;
    fn send_to(&self, b: &[u8], a: impl ToUnixAddr) -> io::Result<usize>;
    fn send_msg(
        &self,
        bufs: &[IoSlice<'_>],
        to: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
        cred: Option<UCred>,
    ) -> io::Result<usize>;
    fn recv(&self, b: &mut [u8]) -> io::Result<usize>;
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)>;
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)>;
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta<UnixAddr>>;
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta<UnixAddr>>;
    fn recv_with_fds(&self, b: &mut [u8], fds: &mut Vec<OwnedFd>)
    -> io::Result<RecvMeta<UnixAddr>>;
    fn try_send(&self, b: &[u8]) -> io::Result<usize>;
    fn try_send_to(&self, b: &[u8], a: impl ToUnixAddr) -> io::Result<usize>;
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize>;
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)>;

    fn send_with_fds(&self, b: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        self.send_msg(&[IoSlice::new(b)], None, fds, None)
    }
    fn send_to_with_fds(
        &self,
        b: &[u8],
        fds: &[BorrowedFd<'_>],
        a: impl ToUnixAddr,
    ) -> io::Result<usize> {
        self.send_msg(&[IoSlice::new(b)], Some(&a.to_unix_addr()?), fds, None)
    }
    fn send_with_cred(&self, b: &[u8], cred: UCred) -> io::Result<usize> {
        self.send_msg(&[IoSlice::new(b)], None, &[], Some(cred))
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_msg(bufs, None, &[], None)
    }
    fn send_to_vectored(&self, bufs: &[IoSlice<'_>], a: impl ToUnixAddr) -> io::Result<usize> {
        self.send_msg(bufs, Some(&a.to_unix_addr()?), &[], None)
    }
    fn recv_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.recv_msg_vectored(bufs, MsgFlags::empty())
            .map(|m| m.len)
    }
    fn local_addr(&self) -> io::Result<UnixAddr> {
        self.blocking().local_addr()
    }
    fn peer_addr(&self) -> io::Result<UnixAddr> {
        self.blocking().peer_addr()
    }
    fn is_bound(&self) -> io::Result<bool> {
        self.blocking().is_bound()
    }
    fn is_connected(&self) -> io::Result<bool> {
        self.blocking().is_connected()
    }
    fn connect(&self, a: impl ToUnixAddr) -> io::Result<()> {
        self.blocking().connect(a)
    }
    fn disconnect(&self) -> io::Result<()> {
        self.blocking().disconnect()
    }
    fn bind_to(&self, a: impl ToUnixAddr) -> io::Result<()> {
        self.blocking().bind_to(a)
    }
    fn peek(&self, b: &mut [u8]) -> io::Result<usize> {
        self.peek_from(b).map(|(n, _)| n)
    }
    fn try_peek_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        self.blocking().try_peek_from(b)
    }
    fn recv_from_with_fds(
        &self,
        b: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.recv_with_fds(b, fds)
    }
    fn recv_vectored_with_fds(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        self.blocking().recv_vectored_with_fds(bufs, flags, fds)
    }
    fn bytes_readable(&self) -> io::Result<usize> {
        self.blocking().bytes_readable()
    }
    fn send_queue_size(&self) -> io::Result<usize> {
        self.blocking().send_queue_size()
    }
    fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.blocking().shutdown(how)
    }
    fn set_pass_cred(&self, on: bool) -> io::Result<()> {
        self.blocking().set_pass_cred(on)
    }
    fn pass_cred(&self) -> io::Result<bool> {
        self.blocking().pass_cred()
    }
    fn peer_cred(&self) -> io::Result<UCred> {
        self.blocking().peer_cred()
    }
}

impl Unix for datagrams::UnixDatagram {
    const NAME: &'static str = "blocking";
    fn bind(a: UnixAddr) -> io::Result<Self> {
        let s = datagrams::UnixDatagram::bind(a)?;
        s.set_read_timeout(Some(PATIENCE))?;
        Ok(s)
    }
    fn unbound() -> io::Result<Self> {
        let s = datagrams::UnixDatagram::unbound()?;
        s.set_read_timeout(Some(PATIENCE))?;
        Ok(s)
    }
    fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = datagrams::UnixDatagram::pair()?;
        a.set_read_timeout(Some(PATIENCE))?;
        b.set_read_timeout(Some(PATIENCE))?;
        Ok((a, b))
    }
    fn blocking(&self) -> &datagrams::UnixDatagram {
        self
    }
    fn send(&self, b: &[u8]) -> io::Result<usize> {
        datagrams::UnixDatagram::send(self, b)
    }
    fn send_to(&self, b: &[u8], a: impl ToUnixAddr) -> io::Result<usize> {
        datagrams::UnixDatagram::send_to(self, b, a)
    }
    fn send_msg(
        &self,
        bufs: &[IoSlice<'_>],
        to: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
        cred: Option<UCred>,
    ) -> io::Result<usize> {
        datagrams::UnixDatagram::send_msg(self, bufs, to, fds, cred, MsgFlags::empty())
    }
    fn recv(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::UnixDatagram::recv(self, b)
    }
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        datagrams::UnixDatagram::recv_from(self, b)
    }
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        datagrams::UnixDatagram::peek_from(self, b)
    }
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta<UnixAddr>> {
        datagrams::UnixDatagram::recv_msg(self, b)
    }
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        datagrams::UnixDatagram::recv_msg_vectored(self, bufs, flags)
    }
    fn recv_with_fds(
        &self,
        b: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        datagrams::UnixDatagram::recv_with_fds(self, b, fds)
    }
    fn try_send(&self, b: &[u8]) -> io::Result<usize> {
        datagrams::UnixDatagram::try_send(self, b)
    }
    fn try_send_to(&self, b: &[u8], a: impl ToUnixAddr) -> io::Result<usize> {
        datagrams::UnixDatagram::try_send_to(self, b, a)
    }
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::UnixDatagram::try_recv(self, b)
    }
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        datagrams::UnixDatagram::try_recv_from(self, b)
    }
}

impl Unix for datagrams::tokio::UnixDatagram {
    const NAME: &'static str = "async";
    fn bind(a: UnixAddr) -> io::Result<Self> {
        let _entered = rt().enter();
        datagrams::tokio::UnixDatagram::bind(a)
    }
    fn unbound() -> io::Result<Self> {
        let _entered = rt().enter();
        datagrams::tokio::UnixDatagram::unbound()
    }
    fn pair() -> io::Result<(Self, Self)> {
        let _entered = rt().enter();
        datagrams::tokio::UnixDatagram::pair()
    }
    fn blocking(&self) -> &datagrams::UnixDatagram {
        self.get_ref()
    }
    fn send(&self, b: &[u8]) -> io::Result<usize> {
        run(datagrams::tokio::UnixDatagram::send(self, b))
    }
    fn send_to(&self, b: &[u8], a: impl ToUnixAddr) -> io::Result<usize> {
        run(datagrams::tokio::UnixDatagram::send_to(self, b, a))
    }
    fn send_msg(
        &self,
        bufs: &[IoSlice<'_>],
        to: Option<&UnixAddr>,
        fds: &[BorrowedFd<'_>],
        cred: Option<UCred>,
    ) -> io::Result<usize> {
        run(datagrams::tokio::UnixDatagram::send_msg(
            self, bufs, to, fds, cred,
        ))
    }
    fn recv(&self, b: &mut [u8]) -> io::Result<usize> {
        run(datagrams::tokio::UnixDatagram::recv(self, b))
    }
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        run(datagrams::tokio::UnixDatagram::recv_from(self, b))
    }
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        run(datagrams::tokio::UnixDatagram::peek_from(self, b))
    }
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta<UnixAddr>> {
        run(datagrams::tokio::UnixDatagram::recv_msg(self, b))
    }
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        run(datagrams::tokio::UnixDatagram::recv_msg_vectored(
            self, bufs, flags,
        ))
    }
    fn recv_with_fds(
        &self,
        b: &mut [u8],
        fds: &mut Vec<OwnedFd>,
    ) -> io::Result<RecvMeta<UnixAddr>> {
        run(datagrams::tokio::UnixDatagram::recv_with_fds(self, b, fds))
    }
    // tokio's try_* attempt the call only once the reactor has seen readiness: wait for it first.
    fn try_send(&self, b: &[u8]) -> io::Result<usize> {
        run(self.writable())?;
        datagrams::tokio::UnixDatagram::try_send(self, b)
    }
    fn try_send_to(&self, b: &[u8], a: impl ToUnixAddr) -> io::Result<usize> {
        run(self.writable())?;
        datagrams::tokio::UnixDatagram::try_send_to(self, b, a)
    }
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize> {
        datagrams::tokio::UnixDatagram::try_recv(self, b)
    }
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, UnixAddr)> {
        datagrams::tokio::UnixDatagram::try_recv_from(self, b)
    }
}
