#![doc = include_str!("../README.md")]
//!
//! ## The map
//!
//! dgram covers what Node's `dgram`, Lua's `net.dgram`, Emilua's `unix.datagram_socket`, Racket's UDP
//! API and Linux `udp(7)` name, under std's and the kernel's names:
//!
//! | need | dgram |
//! |---|---|
//! | create (unbound, bound, with options) | [`UdpSocket::unbound`], [`UdpSocket::bind`], [`UdpSocket::builder`] |
//! | bind later, connect, disconnect | [`UdpSocket::bind_to`], [`UdpSocket::connect`], [`UdpSocket::disconnect`] |
//! | send (one buffer, gathered, host names) | [`UdpSocket::send_to`], [`UdpSocket::send_to_vectored`], [`UdpSocket::send_to_host`] |
//! | receive (sender, truncation, peek) | [`UdpSocket::recv_from`], [`UdpSocket::recv_msg`] → [`RecvMeta`], [`UdpSocket::peek_from`] |
//! | never block | [`UdpSocket::try_send_to`], [`UdpSocket::try_recv_from`] |
//! | batches (`sendmmsg`/`recvmmsg`) | [`UdpSocket::send_batch`], [`UdpSocket::recv_batch`], [`UdpSocket::recv_batch_without_senders`], [`UnixDatagram::send_batch`], [`UnixDatagram::recv_batch_without_senders`], [`MAX_BATCH`] |
//! | GSO/GRO, source and ECN on send | [`UdpSocket::send_msg`] of a [`Transmit`], [`UdpSocket::set_gro`] → [`RecvMeta::stride`], [`RecvMeta::segments`] |
//! | per-datagram metadata | `set_recv_pktinfo_v4`, `set_recv_tos_v4`, `set_recv_ttl_v4`, `set_recv_timestamp`, `set_recv_drop_count`, `set_recv_orig_dst_addr_v4` → [`RecvMeta`]; [`UdpSocket::recv_msg_with_control`] keeps the rest |
//! | options | `set_broadcast`, `set_ttl`, `set_tos_v4`, `set_recv_buffer_size`, `set_reuse_port`, ... |
//! | kernel options, BPF | `set_mark`, `set_priority`, `set_max_pacing_rate`, `set_busy_poll`, `set_incoming_cpu`, `cookie`, `set_freebind_v4`; [`UdpSocket::attach_filter`], [`UdpSocket::attach_reuseport_cbpf`] of [`BpfInsn`]s |
//! | queues | [`UdpSocket::bytes_readable`] (`FIONREAD`), [`UdpSocket::send_queue_size`] (`SIOCOUTQ`) |
//! | Unix datagrams | [`UnixDatagram`] over [`UnixAddr`] (`unix:/path`, `unix:@abstract`, unnamed) |
//! | multicast | [`UdpSocket::join_multicast_v4_n`] (any [`Interface`]), std's [`UdpSocket::join_multicast_v4`], [`UdpSocket::join_ssm_v6`], [`Interface`], `set_multicast_*` |
//! | the kernel's error reports | [`UdpSocket::recv_error`] → [`SockError`], [`UdpSocket::path_mtu`], [`UdpSocket::set_cork`] |
//! | the fast paths on a socket you own (std, tokio, socket2, mio) | [`UdpSocketRef`] |
//! | kernel timestamps, receive and transmit | [`UdpSocket::set_timestamping`] ([`TimestampingFlags`]) → [`RecvMeta::timestamp`], [`SockError::timestamp`] ([`TxTimestamp`]) |
//! | transparent proxying (`TPROXY`) | [`UdpSocket::set_transparent_v4`], [`RecvMeta::orig_dst`], a [`Transmit`] from a non-local `src_ip` |
//! | async (feature `tokio`) | [`tokio::UdpSocket`], [`tokio::UnixDatagram`], [`tokio::RecvStream`], [`tokio::SendSink`] |
//! | descriptors, credentials | [`UnixDatagram::send_with_fds`], [`UnixDatagram::recv_with_fds`], [`UnixDatagram::set_pass_cred`] → [`UCred`] |
//!
//! Errors are [`std::io::Error`]: the kernel's errors keep their OS code, and usage errors use the
//! closest [`std::io::ErrorKind`] with a message naming the bad value. Nothing here panics on bad input.
#![cfg(target_os = "linux")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod bpf;
mod escape;
mod family;
mod flags;
mod interface;
mod meta;
mod resolve;
mod socket;
mod sys;

mod error;
/// The crate-private decoders, for the cargo-fuzz targets in `fuzz/` only (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
mod udp;
mod unix;

pub use bpf::{BPF_MAXINSNS, BpfInsn};
pub use escape::{escape_bytes, unescape_bytes};
pub use family::{Family, MAX_PAYLOAD_V4, MAX_PAYLOAD_V6};
pub use flags::{MsgFlags, TimestampingFlags};
pub use interface::Interface;
pub use meta::{Control, ControlBuffer, Ecn, RecvMeta, Transmit, UCred};
pub use resolve::{Resolve, SystemResolver};
pub use udp::MAX_BATCH;
pub use udp::{ErrorOrigin, PmtuDiscover, SockError, TxTimestamp, TxTimestampKind};
pub use udp::{UdpSocket, UdpSocketBuilder, UdpSocketRef};
pub use unix::{MAX_ABSTRACT_NAME_LEN, MAX_PATHNAME_LEN, ToUnixAddr, UnixAddr, UnixDatagram};
