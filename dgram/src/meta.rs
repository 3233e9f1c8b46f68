//! What arrived with a datagram.

use std::net::SocketAddr;

/// What the kernel reported about one received datagram.
///
/// Returned by [`UdpSocket::recv_msg`](crate::UdpSocket::recv_msg). Truncation is never silent: when the
/// buffers were shorter than the datagram, `truncated` is set and `full_len` says how long it was
/// (`MSG_TRUNC`, see `udp(7)`); the excess bytes are gone.
///
/// The address type is `SocketAddr` for UDP.
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
}
