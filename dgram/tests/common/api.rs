//! One face for the blocking and the async UDP socket, so that each test body is written once and run
//! against both: the async socket's calls are driven to completion on a shared runtime, bounded by
//! [`PATIENCE`](super::PATIENCE) as the blocking socket's reads are by their timeout.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddr;
use std::sync::OnceLock;

use dgram::{Family, MsgFlags, RecvMeta};

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
    fn blocking(&self) -> &dgram::UdpSocket;
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

impl Udp for dgram::UdpSocket {
    const NAME: &'static str = "blocking";
    fn bind(a: SocketAddr) -> io::Result<Self> {
        let s = dgram::UdpSocket::bind(a)?;
        s.set_read_timeout(Some(PATIENCE))?;
        Ok(s)
    }
    fn unbound(f: Family) -> io::Result<Self> {
        let s = dgram::UdpSocket::unbound(f)?;
        s.set_read_timeout(Some(PATIENCE))?;
        Ok(s)
    }
    fn blocking(&self) -> &dgram::UdpSocket {
        self
    }
    fn bind_to(&self, a: SocketAddr) -> io::Result<()> {
        dgram::UdpSocket::bind_to(self, a)
    }
    fn connect(&self, a: SocketAddr) -> io::Result<()> {
        dgram::UdpSocket::connect(self, a)
    }
    fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        dgram::UdpSocket::connect_host(self, host, port)
    }
    fn send(&self, b: &[u8]) -> io::Result<usize> {
        dgram::UdpSocket::send(self, b)
    }
    fn send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        dgram::UdpSocket::send_to(self, b, a)
    }
    fn send_to_str(&self, b: &[u8], a: &str) -> io::Result<usize> {
        dgram::UdpSocket::send_to(self, b, a)
    }
    fn send_to_host(&self, b: &[u8], host: &str, port: u16) -> io::Result<usize> {
        dgram::UdpSocket::send_to_host(self, b, host, port)
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        dgram::UdpSocket::send_vectored(self, bufs)
    }
    fn send_to_vectored(&self, bufs: &[IoSlice<'_>], a: SocketAddr) -> io::Result<usize> {
        dgram::UdpSocket::send_to_vectored(self, bufs, a)
    }
    fn recv(&self, b: &mut [u8]) -> io::Result<usize> {
        dgram::UdpSocket::recv(self, b)
    }
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        dgram::UdpSocket::recv_from(self, b)
    }
    fn peek(&self, b: &mut [u8]) -> io::Result<usize> {
        dgram::UdpSocket::peek(self, b)
    }
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        dgram::UdpSocket::peek_from(self, b)
    }
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta> {
        dgram::UdpSocket::recv_msg(self, b)
    }
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        dgram::UdpSocket::recv_msg_vectored(self, bufs, flags)
    }
    fn try_send(&self, b: &[u8]) -> io::Result<usize> {
        dgram::UdpSocket::try_send(self, b)
    }
    fn try_send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        dgram::UdpSocket::try_send_to(self, b, a)
    }
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize> {
        dgram::UdpSocket::try_recv(self, b)
    }
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        dgram::UdpSocket::try_recv_from(self, b)
    }
    fn try_peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        dgram::UdpSocket::try_peek_from(self, b)
    }
}

impl Udp for dgram::tokio::UdpSocket {
    const NAME: &'static str = "async";
    fn bind(a: SocketAddr) -> io::Result<Self> {
        run(dgram::tokio::UdpSocket::bind(a))
    }
    fn unbound(f: Family) -> io::Result<Self> {
        let _entered = rt().enter();
        dgram::tokio::UdpSocket::unbound(f)
    }
    fn blocking(&self) -> &dgram::UdpSocket {
        self.get_ref()
    }
    fn bind_to(&self, a: SocketAddr) -> io::Result<()> {
        run(dgram::tokio::UdpSocket::bind_to(self, a))
    }
    fn connect(&self, a: SocketAddr) -> io::Result<()> {
        run(dgram::tokio::UdpSocket::connect(self, a))
    }
    fn connect_host(&self, host: &str, port: u16) -> io::Result<()> {
        run(dgram::tokio::UdpSocket::connect_host(self, host, port))
    }
    fn send(&self, b: &[u8]) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::send(self, b))
    }
    fn send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::send_to(self, b, a))
    }
    fn send_to_str(&self, b: &[u8], a: &str) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::send_to(self, b, a))
    }
    fn send_to_host(&self, b: &[u8], host: &str, port: u16) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::send_to_host(self, b, host, port))
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::send_vectored(self, bufs))
    }
    fn send_to_vectored(&self, bufs: &[IoSlice<'_>], a: SocketAddr) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::send_to_vectored(self, bufs, a))
    }
    fn recv(&self, b: &mut [u8]) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::recv(self, b))
    }
    fn recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        run(dgram::tokio::UdpSocket::recv_from(self, b))
    }
    fn peek(&self, b: &mut [u8]) -> io::Result<usize> {
        run(dgram::tokio::UdpSocket::peek(self, b))
    }
    fn peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        run(dgram::tokio::UdpSocket::peek_from(self, b))
    }
    fn recv_msg(&self, b: &mut [u8]) -> io::Result<RecvMeta> {
        run(dgram::tokio::UdpSocket::recv_msg(self, b))
    }
    fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        run(dgram::tokio::UdpSocket::recv_msg_vectored(
            self, bufs, flags,
        ))
    }
    // tokio's try_* attempt the call only once the reactor has seen readiness: wait for it first.
    fn try_send(&self, b: &[u8]) -> io::Result<usize> {
        run(self.writable())?;
        dgram::tokio::UdpSocket::try_send(self, b)
    }
    fn try_send_to(&self, b: &[u8], a: SocketAddr) -> io::Result<usize> {
        run(self.writable())?;
        dgram::tokio::UdpSocket::try_send_to(self, b, a)
    }
    // For receives, the tests wait for the datagram first (peek), and then the readiness is known.
    fn try_recv(&self, b: &mut [u8]) -> io::Result<usize> {
        dgram::tokio::UdpSocket::try_recv(self, b)
    }
    fn try_recv_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        dgram::tokio::UdpSocket::try_recv_from(self, b)
    }
    fn try_peek_from(&self, b: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        dgram::tokio::UdpSocket::try_peek_from(self, b)
    }
}
