//! Control messages (ancillary data): encode for `sendmsg`, decode after `recvmsg`.
//!
//! Buffers are 8-byte aligned ([`CmsgBuf`]) and sized with the `const fn`s [`space`] and [`len`], which
//! compute what libc's `CMSG_SPACE`/`CMSG_LEN` do. The decoder never trusts a length: every header's
//! length is checked against what is left of the buffer, so a truncated or malformed control area
//! ends the iteration instead of reading out of bounds.

use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::consts::{
    SCM_PIDFD, SO_RXQ_OVFL, SO_TIMESTAMPING, SO_TIMESTAMPNS, UDP_GRO, UDP_SEGMENT,
};

/// The alignment of control-message headers and data on Linux (`sizeof(size_t)`).
const ALIGN: usize = size_of::<usize>();
/// The size of `struct cmsghdr`, padded to the alignment.
const HDR: usize = align(size_of::<libc::cmsghdr>());

/// Rounds `n` up to the control-message alignment (`CMSG_ALIGN`).
pub(crate) const fn align(n: usize) -> usize {
    (n + ALIGN - 1) & !(ALIGN - 1)
}

/// The buffer space one control message with `data_len` bytes of data takes (`CMSG_SPACE`).
pub(crate) const fn space(data_len: usize) -> usize {
    HDR + align(data_len)
}

/// The `cmsg_len` of one control message with `data_len` bytes of data (`CMSG_LEN`).
pub(crate) const fn len(data_len: usize) -> usize {
    HDR + data_len
}

/// The most descriptors one message may carry (`SCM_MAX_FD`).
pub(crate) const MAX_FDS: usize = 253;

/// The size of `struct ucred` in bytes.
pub(crate) const UCRED_LEN: usize = size_of::<libc::ucred>();

/// The control area a UDP receive needs for every option dgram decodes: packet info (IPv6's is the
/// larger), TOS or traffic class, TTL or hop limit, a timestamp, the drop counter, the GRO size,
/// `SO_TIMESTAMPING`'s three timestamps and the original destination (a `sockaddr_in6` at most).
pub(crate) const UDP_RECV_SPACE: usize = space(size_of::<libc::in6_pktinfo>())
    + space(size_of::<libc::in_pktinfo>())
    + 2 * space(size_of::<libc::c_int>())
    + 2 * space(size_of::<libc::c_int>())
    + space(size_of::<libc::timespec>())
    + space(size_of::<u32>())
    + space(size_of::<libc::c_int>())
    + space(SCM_TIMESTAMPING_LEN)
    + space(size_of::<libc::sockaddr_in6>());

/// The size of `struct scm_timestamping`: three `timespec`s (software, a deprecated one, raw
/// hardware).
pub(crate) const SCM_TIMESTAMPING_LEN: usize = 3 * size_of::<libc::timespec>();

/// The control area a UDP send needs at most: packet info, TOS or traffic class, TTL or hop
/// limit, GSO segment size.
pub(crate) const UDP_SEND_SPACE: usize = space(size_of::<libc::in6_pktinfo>())
    + 2 * space(size_of::<libc::c_int>())
    + space(size_of::<u16>());

/// `struct sock_extended_err` and the offender that follows it (`IP_RECVERR`/`IPV6_RECVERR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExtErr {
    pub(crate) errno: i32,
    pub(crate) origin: u8,
    pub(crate) kind: u8,
    pub(crate) code: u8,
    pub(crate) info: u32,
    /// `ee_data`: for a transmit timestamp, the `SOF_TIMESTAMPING_OPT_ID` counter.
    pub(crate) data: u32,
    pub(crate) offender: Option<std::net::SocketAddr>,
}

fn ne_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at + 4)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn ne_i64(data: &[u8], at: usize) -> Option<i64> {
    let b = data.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(i64::from_ne_bytes(a))
}

/// A small integer control message: an `int` (most of them) or one byte (`IP_TOS` on receive).
fn small_int(data: &[u8]) -> Option<u8> {
    match data.len() {
        1 => Some(data[0]),
        n if n >= 4 => ne_u32(data, 0).map(|v| v as u8),
        _ => None,
    }
}

/// One control message of a receive, decoded: what [`Cmsg::decode`], the one decoder of every
/// receive path (`recvmsg`, `recvmmsg`, the error queue, a caller's control buffer), yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// `SCM_CREDENTIALS`: `(pid, uid, gid)`.
    Cred((i32, u32, u32)),
    /// `IP_PKTINFO`/`IPV6_PKTINFO`: the destination address (as the kernel wrote it: v4-mapped on a
    /// dual-stack socket's `IPV6_PKTINFO`) and the arrival interface index.
    PacketInfo {
        dst_ip: std::net::IpAddr,
        ifindex: u32,
    },
    /// `IP_TOS`/`IPV6_TCLASS`.
    Tos(u8),
    /// `IP_TTL`/`IPV6_HOPLIMIT`, in hops.
    Ttl(u8),
    /// `SCM_TIMESTAMPNS`: `(seconds, nanoseconds)` since the epoch.
    Timestamp((i64, i64)),
    /// `SCM_TIMESTAMPING` (`struct scm_timestamping`): the software and the raw hardware
    /// timestamps as `(seconds, nanoseconds)`, `(0, 0)` where the kernel had none.
    Timestamping {
        software: (i64, i64),
        hardware: (i64, i64),
    },
    /// `IP_ORIGDSTADDR`/`IPV6_ORIGDSTADDR`: the datagram's original destination address and port.
    OrigDst(std::net::SocketAddr),
    /// `SO_RXQ_OVFL`: the socket's running drop count.
    Drops(u32),
    /// `UDP_GRO`: the size of the coalesced datagrams, in bytes.
    Gro(u16),
    /// `IP_RECVERR`/`IPV6_RECVERR`.
    ExtErr(ExtErr),
    /// `SCM_RIGHTS`: descriptors the receiver must take ([`take_fds`]) or they leak.
    Rights(&'a [u8]),
    /// `SCM_PIDFD`: a descriptor the receiver must take ([`take_fds`]) or it leaks.
    PidFd(&'a [u8]),
    /// Anything else, and a known message whose data is too short to decode.
    Other(Cmsg<'a>),
}

impl<'a> Cmsg<'a> {
    /// Decodes this message. Short data is never read past: it yields [`Value::Other`].
    #[inline]
    pub(crate) fn decode(&self) -> Value<'a> {
        let d = self.data;
        let v = match (self.level, self.kind) {
            (libc::SOL_SOCKET, libc::SCM_RIGHTS) => Some(Value::Rights(d)),
            (libc::SOL_SOCKET, SCM_PIDFD) => Some(Value::PidFd(d)),
            (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) => cred(d).map(Value::Cred),
            (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                // struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
                match (ne_u32(d, 0), d.get(8..12)) {
                    (Some(ifindex), Some(a)) => Some(Value::PacketInfo {
                        dst_ip: std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]).into(),
                        ifindex,
                    }),
                    _ => None,
                }
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                // struct in6_pktinfo { in6_addr ipi6_addr; unsigned ipi6_ifindex; }
                match (d.get(..16), ne_u32(d, 16)) {
                    (Some(addr), Some(ifindex)) => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(addr);
                        Some(Value::PacketInfo {
                            dst_ip: std::net::Ipv6Addr::from(a).into(),
                            ifindex,
                        })
                    }
                    _ => None,
                }
            }
            (libc::IPPROTO_IP, libc::IP_TOS) | (libc::IPPROTO_IPV6, libc::IPV6_TCLASS) => {
                small_int(d).map(Value::Tos)
            }
            (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                small_int(d).map(Value::Ttl)
            }
            (libc::SOL_SOCKET, SO_TIMESTAMPNS) => match (ne_i64(d, 0), ne_i64(d, 8)) {
                (Some(sec), Some(nsec)) => Some(Value::Timestamp((sec, nsec))),
                _ => None,
            },
            (libc::SOL_SOCKET, SO_TIMESTAMPING) if d.len() >= SCM_TIMESTAMPING_LEN => {
                // struct scm_timestamping { struct timespec ts[3]; }: [0] software, [2] hardware.
                match (ne_i64(d, 0), ne_i64(d, 8), ne_i64(d, 32), ne_i64(d, 40)) {
                    (Some(s), Some(ns), Some(hs), Some(hns)) => Some(Value::Timestamping {
                        software: (s, ns),
                        hardware: (hs, hns),
                    }),
                    _ => None,
                }
            }
            (libc::IPPROTO_IP, libc::IP_ORIGDSTADDR)
            | (libc::IPPROTO_IPV6, libc::IPV6_ORIGDSTADDR) => {
                super::addr::decode_inet_bytes(d).map(Value::OrigDst)
            }
            (libc::SOL_SOCKET, SO_RXQ_OVFL) => ne_u32(d, 0).map(Value::Drops),
            (libc::SOL_UDP, UDP_GRO) => ne_u32(d, 0)
                .and_then(|v| u16::try_from(v).ok())
                .map(Value::Gro),
            (libc::IPPROTO_IP, libc::IP_RECVERR) | (libc::IPPROTO_IPV6, libc::IPV6_RECVERR) => {
                extended_err(d).map(Value::ExtErr)
            }
            _ => None,
        };
        v.unwrap_or(Value::Other(*self))
    }
}

/// Decodes the data of an `IP_RECVERR`/`IPV6_RECVERR` message; `None` if it is short.
fn extended_err(d: &[u8]) -> Option<ExtErr> {
    let errno = ne_u32(d, 0)? as i32;
    let (origin, kind, code) = (*d.get(4)?, *d.get(5)?, *d.get(6)?);
    let info = ne_u32(d, 8)?;
    let data = ne_u32(d, 12)?;
    // SO_EE_OFFENDER: the sockaddr right after the 16-byte struct.
    let offender = d.get(16..).and_then(super::addr::decode_inet_bytes);
    Some(ExtErr {
        errno,
        origin,
        kind,
        code,
        info,
        data,
        offender,
    })
}

/// The metadata of one receive, folded from its decoded control messages (both socket kinds share
/// it; `RecvMeta` is built from it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// Whether any field below is set: a receive that got no metadata skips the rest.
    pub(crate) any: bool,
    pub(crate) cred: Option<(i32, u32, u32)>,
    pub(crate) dst_ip: Option<std::net::IpAddr>,
    pub(crate) ifindex: Option<u32>,
    pub(crate) tos: Option<u8>,
    pub(crate) ttl: Option<u8>,
    /// `(seconds, nanoseconds)` of `SCM_TIMESTAMPNS`, or the software timestamp of
    /// `SCM_TIMESTAMPING` (the same instant when both arrive: the kernel stamps a datagram once).
    pub(crate) timestamp: Option<(i64, i64)>,
    /// `IP_ORIGDSTADDR`/`IPV6_ORIGDSTADDR`.
    pub(crate) orig_dst: Option<std::net::SocketAddr>,
    pub(crate) drops: Option<u32>,
    pub(crate) gro: Option<u16>,
}

impl Decoded {
    /// Folds one decoded message in. Descriptors (`Rights`, `PidFd`) are the receive path's to take
    /// before folding; they and messages with no `RecvMeta` field are ignored here.
    #[inline]
    pub(crate) fn add(&mut self, v: Value<'_>) {
        match v {
            Value::Cred(c) => self.cred = Some(c),
            Value::PacketInfo { dst_ip, ifindex } => {
                self.dst_ip = Some(dst_ip);
                self.ifindex = Some(ifindex);
            }
            Value::Tos(t) => self.tos = Some(t),
            Value::Ttl(t) => self.ttl = Some(t),
            Value::Timestamp(at) => self.timestamp = Some(at),
            // A hardware stamp alone leaves the software one `(0, 0)`: no receive time to report.
            Value::Timestamping { software, .. } if software != (0, 0) => {
                self.timestamp = Some(software)
            }
            Value::Timestamping { .. } => return,
            Value::OrigDst(a) => self.orig_dst = Some(a),
            Value::Drops(n) => self.drops = Some(n),
            Value::Gro(g) => self.gro = Some(g),
            Value::ExtErr(_) | Value::Rights(_) | Value::PidFd(_) | Value::Other(_) => return,
        }
        self.any = true;
    }

    /// Every message of `messages` folded in (a receive path whose socket carries no descriptors:
    /// UDP).
    #[inline]
    pub(crate) fn of(messages: Iter<'_>) -> Decoded {
        let mut d = Decoded::default();
        for c in messages {
            d.add(c.decode());
        }
        d
    }
}

/// A control buffer of `N` bytes, aligned for `cmsghdr`.
#[repr(C, align(8))]
pub(crate) struct CmsgBuf<const N: usize>(pub(crate) [u8; N]);

const _: () = assert!(align_of::<CmsgBuf<8>>() >= align_of::<libc::cmsghdr>());

impl<const N: usize> CmsgBuf<N> {
    pub(crate) const fn new() -> Self {
        CmsgBuf([0; N])
    }
}

/// Writes control messages one after another into an aligned buffer.
pub(crate) struct Encoder<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Encoder<'a> {
    /// Starts at the beginning of `buf`, which must be 8-byte aligned (a [`CmsgBuf`]'s array).
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        debug_assert_eq!(buf.as_ptr() as usize % align_of::<libc::cmsghdr>(), 0);
        Encoder { buf, pos: 0 }
    }

    /// Appends one message; `None` when it does not fit (the caller sized the buffer, so this is a
    /// programming error it reports as `InvalidInput`).
    pub(crate) fn push(
        &mut self,
        level: libc::c_int,
        kind: libc::c_int,
        data: &[u8],
    ) -> Option<()> {
        let need = space(data.len());
        let end = self.pos.checked_add(need)?;
        if end > self.buf.len() {
            return None;
        }
        let hdr = libc::cmsghdr {
            cmsg_len: len(data.len()),
            cmsg_level: level,
            cmsg_type: kind,
        };
        let at = &mut self.buf[self.pos..end];
        at.fill(0);
        // SAFETY: `at` holds at least `space(data.len()) >= size_of::<cmsghdr>()` bytes; the write is
        // unaligned-safe, so the buffer's alignment does not matter for soundness.
        unsafe { at.as_mut_ptr().cast::<libc::cmsghdr>().write_unaligned(hdr) };
        at[HDR..HDR + data.len()].copy_from_slice(data);
        self.pos = end;
        Some(())
    }

    /// Appends `SCM_RIGHTS` carrying `fds`.
    pub(crate) fn push_fds(&mut self, fds: &[BorrowedFd<'_>]) -> Option<()> {
        let mut data = [0u8; MAX_FDS * size_of::<RawFd>()];
        let n = fds.len().min(MAX_FDS);
        for (chunk, fd) in data.chunks_exact_mut(size_of::<RawFd>()).zip(&fds[..n]) {
            chunk.copy_from_slice(&std::os::fd::AsRawFd::as_raw_fd(fd).to_ne_bytes());
        }
        self.push(
            libc::SOL_SOCKET,
            libc::SCM_RIGHTS,
            &data[..n * size_of::<RawFd>()],
        )
    }

    /// Appends `SCM_CREDENTIALS` carrying `(pid, uid, gid)`.
    pub(crate) fn push_cred(&mut self, pid: i32, uid: u32, gid: u32) -> Option<()> {
        let mut data = [0u8; UCRED_LEN];
        data[0..4].copy_from_slice(&pid.to_ne_bytes());
        data[4..8].copy_from_slice(&uid.to_ne_bytes());
        data[8..12].copy_from_slice(&gid.to_ne_bytes());
        self.push(libc::SOL_SOCKET, libc::SCM_CREDENTIALS, &data)
    }

    /// Appends an `int` control message (`IP_TOS`, `IPV6_TCLASS`, ...).
    pub(crate) fn push_int(
        &mut self,
        level: libc::c_int,
        kind: libc::c_int,
        value: libc::c_int,
    ) -> Option<()> {
        self.push(level, kind, &value.to_ne_bytes())
    }

    /// Appends `SOL_UDP`/`UDP_SEGMENT` with the GSO segment size.
    pub(crate) fn push_segment(&mut self, size: u16) -> Option<()> {
        self.push(libc::SOL_UDP, UDP_SEGMENT, &size.to_ne_bytes())
    }

    /// Appends `IP_PKTINFO` asking for source `src` (`ipi_spec_dst`) and interface `ifindex` (0: any).
    pub(crate) fn push_pktinfo_v4(&mut self, src: std::net::Ipv4Addr, ifindex: u32) -> Option<()> {
        let mut data = [0u8; size_of::<libc::in_pktinfo>()];
        data[0..4].copy_from_slice(&ifindex.to_ne_bytes());
        data[4..8].copy_from_slice(&src.octets());
        self.push(libc::IPPROTO_IP, libc::IP_PKTINFO, &data)
    }

    /// Appends `IPV6_PKTINFO` asking for source `src` and interface `ifindex` (0: any).
    pub(crate) fn push_pktinfo_v6(&mut self, src: std::net::Ipv6Addr, ifindex: u32) -> Option<()> {
        let mut data = [0u8; size_of::<libc::in6_pktinfo>()];
        data[0..16].copy_from_slice(&src.octets());
        data[16..20].copy_from_slice(&ifindex.to_ne_bytes());
        self.push(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &data)
    }

    /// The bytes written so far: what `msg_controllen` should say.
    pub(crate) fn finish(self) -> &'a [u8] {
        &self.buf[..self.pos]
    }
}

/// One decoded control message: its level, type and data, borrowed from the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cmsg<'a> {
    pub(crate) level: libc::c_int,
    pub(crate) kind: libc::c_int,
    pub(crate) data: &'a [u8],
}

/// Iterates over the control messages in `buf`.
pub(crate) fn iter(buf: &[u8]) -> Iter<'_> {
    Iter {
        ptr: buf.as_ptr(),
        len: buf.len(),
        pos: 0,
        _area: PhantomData,
    }
}

/// A control area as `recvmsg(2)` left it: `len` bytes (the `msg_controllen` it reported) of an area
/// that may have been uninitialised before the call. The kernel writes each message's header and
/// data (`cmsg_len` bytes) but not the alignment padding that `msg_controllen` also counts, so this
/// is never a `&[u8]`: only [`iter`](Self::iter) reads it, and only what the kernel wrote.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filled<'a> {
    ptr: *const u8,
    len: usize,
    _area: PhantomData<&'a [u8]>,
}

impl<'a> Filled<'a> {
    /// An empty area (the receive offered none).
    pub(crate) const EMPTY: Filled<'static> = Filled {
        ptr: std::ptr::NonNull::<u8>::dangling().as_ptr(),
        len: 0,
        _area: PhantomData,
    };

    /// # Safety
    /// `ptr` must point at `len` bytes borrowed for `'a`, into which `recvmsg(2)` or `recvmmsg(2)`
    /// just wrote its control messages and reported `len` as their length: every message header the
    /// walk of [`Iter`] meets, and the `cmsg_len` bytes of each, were written.
    pub(crate) unsafe fn new(ptr: *const u8, len: usize) -> Self {
        Filled {
            ptr,
            len,
            _area: PhantomData,
        }
    }

    /// The length the kernel reported, padding included.
    pub(crate) fn len(self) -> usize {
        self.len
    }

    /// The control messages.
    pub(crate) fn iter(self) -> Iter<'a> {
        Iter {
            ptr: self.ptr,
            len: self.len,
            pos: 0,
            _area: PhantomData,
        }
    }
}

/// The iterator of [`iter`] and [`Filled::iter`]; it stops at the first header that does not fit what
/// is left. It reads headers (unaligned) and each message's `cmsg_len` bytes, never the padding
/// between messages.
#[derive(Debug)]
pub(crate) struct Iter<'a> {
    ptr: *const u8,
    len: usize,
    pos: usize,
    _area: PhantomData<&'a [u8]>,
}

// SAFETY: an `Iter` is a shared borrow of bytes (`&'a [u8]` in all but type); sharing or sending one
// is as safe as sharing or sending that borrow.
unsafe impl Send for Iter<'_> {}
// SAFETY: as for `Send`.
unsafe impl Sync for Iter<'_> {}

impl<'a> Iterator for Iter<'a> {
    type Item = Cmsg<'a>;

    #[inline]
    fn next(&mut self) -> Option<Cmsg<'a>> {
        let rest = self.len.checked_sub(self.pos)?;
        if rest < size_of::<libc::cmsghdr>() {
            return None;
        }
        // SAFETY: the header lies within the area (`rest` covers it) and was written: by the caller
        // of `iter` (an initialised slice) or by the kernel (`Filled::new`'s contract). The read is
        // unaligned-safe.
        let hdr = unsafe {
            self.ptr
                .add(self.pos)
                .cast::<libc::cmsghdr>()
                .read_unaligned()
        };
        let total = hdr.cmsg_len;
        if total < HDR || total > rest {
            // A header claiming more than is left: the area was truncated (MSG_CTRUNC) or is corrupt.
            self.pos = self.len;
            return None;
        }
        // SAFETY: `[pos + HDR, pos + total)` lies within the area (`total <= rest`) and holds the
        // message's data, written with its header; it is borrowed for `'a`.
        let data = unsafe { std::slice::from_raw_parts(self.ptr.add(self.pos + HDR), total - HDR) };
        self.pos += align(total).min(rest);
        Some(Cmsg {
            level: hdr.cmsg_level,
            kind: hdr.cmsg_type,
            data,
        })
    }
}

/// Takes ownership of the descriptors in a descriptor-carrying message's data (`SCM_RIGHTS`,
/// `SCM_PIDFD`), handing each to `take`.
///
/// # Safety
/// `data` must be the data of such a message that the kernel just wrote into our control buffer in
/// `recvmsg(2)`: each `int` in it is then a descriptor newly installed in this process that nothing
/// else owns.
pub(crate) unsafe fn take_fds(data: &[u8], mut take: impl FnMut(OwnedFd)) {
    for chunk in data.chunks_exact(size_of::<RawFd>()) {
        let mut raw = [0u8; size_of::<RawFd>()];
        raw.copy_from_slice(chunk);
        let fd = RawFd::from_ne_bytes(raw);
        if fd >= 0 {
            // SAFETY: by this function's contract the descriptor is newly installed and unowned, so
            // wrapping it in exactly one `OwnedFd` makes it closed exactly once.
            take(unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
}

/// Decodes `SCM_CREDENTIALS` data as `(pid, uid, gid)`; `None` if it is short.
pub(crate) fn cred(data: &[u8]) -> Option<(i32, u32, u32)> {
    let b = data.get(..UCRED_LEN)?;
    let word = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3]];
    Some((
        i32::from_ne_bytes(word(0)),
        u32::from_ne_bytes(word(4)),
        u32::from_ne_bytes(word(8)),
    ))
}

/// Properties of the encoder and decoder over arbitrary input: control data is what the kernel (or a
/// confused peer) hands us, so no byte pattern may make the decoder read outside the area or panic.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Control messages of any level, type and data (up to 40 bytes), at most 8 of them.
    fn messages() -> impl Strategy<Value = Vec<(i32, i32, Vec<u8>)>> {
        vec((any::<i32>(), any::<i32>(), vec(any::<u8>(), 0..40)), 0..8)
    }

    /// Encodes what fits into a 512-byte area; returns the area, its used length, and each encoded
    /// message with the offset where its header starts.
    fn encode(msgs: &[(i32, i32, Vec<u8>)]) -> (CmsgBuf<512>, usize, Vec<(usize, Cmsg<'_>)>) {
        let mut buf = CmsgBuf::<512>::new();
        let mut enc = Encoder::new(&mut buf.0);
        let mut encoded = Vec::new();
        for (level, kind, data) in msgs {
            let at = enc.pos;
            if enc.push(*level, *kind, data).is_some() {
                encoded.push((
                    at,
                    Cmsg {
                        level: *level,
                        kind: *kind,
                        data,
                    },
                ));
            }
        }
        let n = enc.finish().len();
        (buf, n, encoded)
    }

    /// Areas of headers with any claimed length (mostly small ones, which the decoder must check
    /// against what is left), followed by any bytes, then a tail of any bytes.
    fn areas() -> impl Strategy<Value = Vec<u8>> {
        let piece = (
            prop_oneof![0usize..80, any::<usize>()],
            any::<i32>(),
            any::<i32>(),
            vec(any::<u8>(), 0..64),
        );
        (vec(piece, 0..8), vec(any::<u8>(), 0..24)).prop_map(|(pieces, tail)| {
            let mut area = Vec::new();
            for (claimed, level, kind, filler) in pieces {
                area.extend_from_slice(&claimed.to_ne_bytes());
                area.extend_from_slice(&level.to_ne_bytes());
                area.extend_from_slice(&kind.to_ne_bytes());
                area.extend_from_slice(&filler);
            }
            area.extend_from_slice(&tail);
            area
        })
    }

    proptest! {
        #[test]
        fn any_bytes_decode_inside_the_area(area in areas()) {
            let mut decoded = Decoded::default();
            let mut end = 0;
            for c in iter(&area) {
                let start = c.data.as_ptr() as usize - area.as_ptr() as usize;
                // after its header, after the previous message, and inside the area
                prop_assert!(start >= end + HDR && start + c.data.len() <= area.len());
                end = start + c.data.len();
                decoded.add(c.decode());
            }
        }

        #[test]
        fn encoded_messages_decode_as_encoded(msgs in messages()) {
            let (buf, n, encoded) = encode(&msgs);
            let got: Vec<Cmsg<'_>> = iter(&buf.0[..n]).collect();
            let want: Vec<Cmsg<'_>> = encoded.iter().map(|(_, c)| *c).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn a_cut_area_decodes_the_messages_it_holds_whole(msgs in messages(), cut in 0usize..600) {
            let (buf, n, encoded) = encode(&msgs);
            let cut = cut.min(n);
            let got: Vec<Cmsg<'_>> = iter(&buf.0[..cut]).collect();
            // every message whose header and data lie before the cut, and no other
            let want: Vec<Cmsg<'_>> = encoded
                .iter()
                .take_while(|(at, c)| at + len(c.data.len()) <= cut)
                .map(|(_, c)| *c)
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_libc_macros() {
        for n in [0usize, 1, 4, 12, 16, 17, 253 * 4] {
            // SAFETY: CMSG_SPACE and CMSG_LEN are pure arithmetic.
            let (s, l) = unsafe {
                (
                    libc::CMSG_SPACE(n as u32) as usize,
                    libc::CMSG_LEN(n as u32) as usize,
                )
            };
            assert_eq!((space(n), len(n)), (s, l), "data length {n}");
        }
    }

    #[test]
    fn encoding_matches_libc_byte_for_byte() {
        // Build the same two messages with libc's macros over a msghdr, and with the encoder.
        let fds_data: Vec<u8> = [3i32, 4, 5].iter().flat_map(|f| f.to_ne_bytes()).collect();
        let cred_data: Vec<u8> = [7i32, 1000, 1001]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut want = CmsgBuf::<128>::new();
        let total = space(fds_data.len()) + space(cred_data.len());
        // SAFETY: the msghdr describes `want`, which is large enough for both messages; the CMSG_*
        // macros only compute pointers inside it, and we write within each message's data length.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_control = want.0.as_mut_ptr().cast();
            msg.msg_controllen = total;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(fds_data.len() as u32) as usize;
            std::ptr::copy_nonoverlapping(fds_data.as_ptr(), libc::CMSG_DATA(c), fds_data.len());
            let c = libc::CMSG_NXTHDR(&msg, c);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_CREDENTIALS;
            (*c).cmsg_len = libc::CMSG_LEN(cred_data.len() as u32) as usize;
            std::ptr::copy_nonoverlapping(cred_data.as_ptr(), libc::CMSG_DATA(c), cred_data.len());
        }
        let mut got = CmsgBuf::<128>::new();
        let mut e = Encoder::new(&mut got.0);
        e.push(libc::SOL_SOCKET, libc::SCM_RIGHTS, &fds_data)
            .unwrap();
        e.push_cred(7, 1000, 1001).unwrap();
        let out = e.finish();
        assert_eq!(out.len(), total);
        assert_eq!(out, &want.0[..total]);

        let all: Vec<Cmsg<'_>> = iter(out).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].level, all[0].kind, all[0].data),
            (libc::SOL_SOCKET, libc::SCM_RIGHTS, &fds_data[..])
        );
        assert_eq!(cred(all[1].data), Some((7, 1000, 1001)));
    }

    #[test]
    fn decoder_clamps_lying_lengths() {
        let mut b = CmsgBuf::<64>::new();
        let mut e = Encoder::new(&mut b.0);
        e.push(1, 2, &[9; 8]).unwrap();
        let n = e.finish().len();
        // a header that claims more than the buffer holds ends the iteration
        let mut bad = b.0;
        bad[..8].copy_from_slice(&10_000usize.to_ne_bytes());
        assert_eq!(iter(&bad[..n]).count(), 0);
        // a header shorter than itself, too
        bad[..8].copy_from_slice(&3usize.to_ne_bytes());
        assert_eq!(iter(&bad[..n]).count(), 0);
        // truncated buffers
        for cut in 0..n {
            assert!(iter(&b.0[..cut]).all(|c| c.data.len() <= cut));
        }
        assert_eq!(cred(&[0; 11]), None);
        // a full buffer refuses one more message
        let mut small = CmsgBuf::<16>::new();
        assert!(Encoder::new(&mut small.0).push(1, 2, &[1]).is_none());
    }

    /// Each message kind decodes to its typed value, and a short one of a known kind to `Other`.
    #[test]
    fn the_one_decoder_types_every_known_message() {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let ne = |v: u32| v.to_ne_bytes().to_vec();
        let mut pktinfo4 = ne(3);
        pktinfo4.extend([0, 0, 0, 0, 192, 0, 2, 1]);
        let mut pktinfo6 = Ipv6Addr::LOCALHOST.octets().to_vec();
        pktinfo6.extend(ne(5));
        let mut ts = 7i64.to_ne_bytes().to_vec();
        ts.extend(9i64.to_ne_bytes());
        let mut ext = ne(libc::ECONNREFUSED as u32);
        ext.extend([2, 3, 3, 0]);
        ext.extend(ne(0));
        ext.extend(ne(0));
        // A transmit timestamp's report: ENOMSG, origin 4, ee_info 1 (SCM_TSTAMP_SCHED), ee_data 7
        // (the OPT_ID counter), and an AF_UNSPEC offender.
        let mut ext_ts = ne(libc::ENOMSG as u32);
        ext_ts.extend([4, 0, 0, 0]);
        ext_ts.extend(ne(1));
        ext_ts.extend(ne(7));
        ext_ts.extend([0; 16]);
        let mut stamps = Vec::new();
        for v in [11i64, 12, 0, 0, 13, 14] {
            stamps.extend(v.to_ne_bytes());
        }
        let mut orig4 = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        orig4.extend(5000u16.to_be_bytes());
        orig4.extend([203, 0, 113, 9]);
        orig4.extend([0; 8]);
        let mut orig6 = (libc::AF_INET6 as u16).to_ne_bytes().to_vec();
        orig6.extend(5001u16.to_be_bytes());
        orig6.extend(ne(0));
        orig6.extend("2001:db8::9".parse::<Ipv6Addr>().unwrap().octets());
        orig6.extend(ne(0));
        let mut ucred = ne(11);
        ucred.extend(ne(12));
        ucred.extend(ne(13));
        let cases: Vec<(i32, i32, Vec<u8>, Value<'static>)> = vec![
            (
                libc::IPPROTO_IP,
                libc::IP_PKTINFO,
                pktinfo4,
                Value::PacketInfo {
                    dst_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                    ifindex: 3,
                },
            ),
            (
                libc::IPPROTO_IPV6,
                libc::IPV6_PKTINFO,
                pktinfo6,
                Value::PacketInfo {
                    dst_ip: IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ifindex: 5,
                },
            ),
            (libc::IPPROTO_IP, libc::IP_TOS, vec![0x2e], Value::Tos(0x2e)),
            (
                libc::IPPROTO_IPV6,
                libc::IPV6_TCLASS,
                ne(0xb8),
                Value::Tos(0xb8),
            ),
            (libc::IPPROTO_IP, libc::IP_TTL, ne(64), Value::Ttl(64)),
            (
                libc::IPPROTO_IPV6,
                libc::IPV6_HOPLIMIT,
                ne(255),
                Value::Ttl(255),
            ),
            (
                libc::SOL_SOCKET,
                SO_TIMESTAMPNS,
                ts,
                Value::Timestamp((7, 9)),
            ),
            (libc::SOL_SOCKET, SO_RXQ_OVFL, ne(42), Value::Drops(42)),
            (libc::SOL_UDP, UDP_GRO, ne(1200), Value::Gro(1200)),
            (
                libc::SOL_SOCKET,
                libc::SCM_CREDENTIALS,
                ucred,
                Value::Cred((11, 12, 13)),
            ),
            (
                libc::IPPROTO_IP,
                libc::IP_RECVERR,
                ext,
                Value::ExtErr(ExtErr {
                    errno: libc::ECONNREFUSED,
                    origin: 2,
                    kind: 3,
                    code: 3,
                    info: 0,
                    data: 0,
                    offender: None,
                }),
            ),
            (
                libc::IPPROTO_IPV6,
                libc::IPV6_RECVERR,
                ext_ts,
                Value::ExtErr(ExtErr {
                    errno: libc::ENOMSG,
                    origin: 4,
                    kind: 0,
                    code: 0,
                    info: 1,
                    data: 7,
                    offender: None,
                }),
            ),
            (
                libc::SOL_SOCKET,
                SO_TIMESTAMPING,
                stamps,
                Value::Timestamping {
                    software: (11, 12),
                    hardware: (13, 14),
                },
            ),
            (
                libc::IPPROTO_IP,
                libc::IP_ORIGDSTADDR,
                orig4,
                Value::OrigDst("203.0.113.9:5000".parse().unwrap()),
            ),
            (
                libc::IPPROTO_IPV6,
                libc::IPV6_ORIGDSTADDR,
                orig6,
                Value::OrigDst("[2001:db8::9]:5001".parse().unwrap()),
            ),
        ];
        for (level, kind, data, want) in &cases {
            let c = Cmsg {
                level: *level,
                kind: *kind,
                data,
            };
            assert_eq!(c.decode(), *want, "({level}, {kind})");
            // Every known kind with its data cut short is left as it came.
            let short = Cmsg {
                level: *level,
                kind: *kind,
                data: &data[..0],
            };
            assert_eq!(
                short.decode(),
                Value::Other(short),
                "({level}, {kind}) short"
            );
        }
        let fds = ne(3);
        let rights = Cmsg {
            level: libc::SOL_SOCKET,
            kind: libc::SCM_RIGHTS,
            data: &fds,
        };
        assert_eq!(rights.decode(), Value::Rights(&fds));
        let unknown = Cmsg {
            level: 1234,
            kind: 5,
            data: &fds,
        };
        assert_eq!(unknown.decode(), Value::Other(unknown));
    }
}
