//! What arrived with a datagram.

use std::net::SocketAddr;

/// What the kernel reported about one received datagram.
///
/// Returned by [`UdpSocket::recv_msg`](crate::UdpSocket::recv_msg). Truncation is never silent: when the
/// buffers were shorter than the datagram, `truncated` is set and `full_len` says how long it was
/// (`MSG_TRUNC`, see `udp(7)`); the excess bytes are gone.
///
/// The address type is `SocketAddr` for UDP and [`UnixAddr`](crate::UnixAddr) for Unix sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecvMeta<A = SocketAddr> {
    /// The sender's address (Node's `rinfo.address`/`rinfo.port`).
    pub addr: A,
    /// Bytes written into the caller's buffers.
    pub len: usize,
    /// The datagram's full length in bytes, as it arrived (Node's `rinfo.size`).
    pub full_len: usize,
    /// Whether the datagram was longer than the buffers (`MSG_TRUNC`): `full_len - len` bytes were lost.
    pub truncated: bool,
    /// Whether ancillary data was lost (`MSG_CTRUNC`): on a Unix socket, more descriptors arrived than
    /// the caller had room for. Every descriptor of that datagram was then closed; none leaks.
    pub control_truncated: bool,
    /// The sender's credentials (`SCM_CREDENTIALS`), on a Unix socket with
    /// [`set_pass_cred`](crate::UnixDatagram::set_pass_cred) on.
    pub cred: Option<UCred>,
}

/// The credentials of a Unix-socket peer: process id, user id, group id (`struct ucred`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    /// Process id.
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl UCred {
    /// The calling process's credentials (`getpid`, `getuid`, `getgid`): what the kernel lets any
    /// process send as `SCM_CREDENTIALS`.
    pub fn current() -> UCred {
        let (pid, uid, gid) = crate::sys::process_cred();
        UCred { pid, uid, gid }
    }
}
