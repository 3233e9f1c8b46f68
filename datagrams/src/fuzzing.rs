//! The crate-private decoders, for the cargo-fuzz targets in `fuzz/` only: this module exists when
//! the crate is built with `--cfg fuzzing` (cargo-fuzz sets it) and is no part of the API.
//!
//! The wrappers are thin: each runs the library's own code path and hands back owned, public values
//! (mirrors of the crate-private types) for the targets to check.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};

use crate::sys::msg::{Ancillary, MsgOut};
use crate::sys::{addr, cmsg, fuzz};
use crate::{ControlBuffer, RecvMeta, UnixAddr};

/// What [`cmsg::Value`] says of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// `SCM_CREDENTIALS`: pid, uid, gid.
    Cred(i32, u32, u32),
    /// `IP_PKTINFO`/`IPV6_PKTINFO`: destination and interface index.
    PacketInfo(IpAddr, u32),
    /// `IP_TOS`/`IPV6_TCLASS`.
    Tos(u8),
    /// `IP_TTL`/`IPV6_HOPLIMIT`.
    Ttl(u8),
    /// `SCM_TIMESTAMPNS`: seconds, nanoseconds.
    Timestamp(i64, i64),
    /// `SCM_TIMESTAMPING`: the software and the hardware timestamp, each seconds, nanoseconds.
    Timestamping((i64, i64), (i64, i64)),
    /// `IP_ORIGDSTADDR`/`IPV6_ORIGDSTADDR`.
    OrigDst(SocketAddr),
    /// `SO_RXQ_OVFL`.
    Drops(u32),
    /// `UDP_GRO`.
    Gro(u16),
    /// `IP_RECVERR`/`IPV6_RECVERR`.
    ExtErr(ExtErr),
    /// `SCM_RIGHTS`, with its data's length.
    Rights(usize),
    /// `SCM_PIDFD`, with its data's length.
    PidFd(usize),
    /// Anything else: the message as it came.
    Other,
}

/// What [`cmsg::ExtErr`] says (`struct sock_extended_err` and its offender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtErr {
    /// `ee_errno`.
    pub errno: i32,
    /// `ee_origin`.
    pub origin: u8,
    /// `ee_type`.
    pub kind: u8,
    /// `ee_code`.
    pub code: u8,
    /// `ee_info`.
    pub info: u32,
    /// `ee_data`.
    pub data: u32,
    /// `SO_EE_OFFENDER`.
    pub offender: Option<SocketAddr>,
}

impl From<cmsg::Value<'_>> for Value {
    fn from(v: cmsg::Value<'_>) -> Value {
        match v {
            cmsg::Value::Cred((pid, uid, gid)) => Value::Cred(pid, uid, gid),
            cmsg::Value::PacketInfo { dst_ip, ifindex } => Value::PacketInfo(dst_ip, ifindex),
            cmsg::Value::Tos(t) => Value::Tos(t),
            cmsg::Value::Ttl(t) => Value::Ttl(t),
            cmsg::Value::Timestamp((s, ns)) => Value::Timestamp(s, ns),
            cmsg::Value::Timestamping { software, hardware } => {
                Value::Timestamping(software, hardware)
            }
            cmsg::Value::OrigDst(a) => Value::OrigDst(a),
            cmsg::Value::Drops(n) => Value::Drops(n),
            cmsg::Value::Gro(g) => Value::Gro(g),
            cmsg::Value::ExtErr(e) => Value::ExtErr(ExtErr {
                errno: e.errno,
                origin: e.origin,
                kind: e.kind,
                code: e.code,
                info: e.info,
                data: e.data,
                offender: e.offender,
            }),
            cmsg::Value::Rights(d) => Value::Rights(d.len()),
            cmsg::Value::PidFd(d) => Value::PidFd(d.len()),
            cmsg::Value::Other(_) => Value::Other,
        }
    }
}

/// One control message a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `cmsg_level`.
    pub level: i32,
    /// `cmsg_type`.
    pub kind: i32,
    /// Where its data starts in the area.
    pub offset: usize,
    /// Its data.
    pub data: Vec<u8>,
    /// What [`cmsg::Cmsg::decode`] made of it.
    pub value: Value,
}

/// What a walk over a control area gives: every message, and the receive metadata folded from them
/// (`Debug` of [`cmsg::Decoded`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// The messages, in order.
    pub messages: Vec<Message>,
    /// The folded metadata.
    pub folded: String,
}

fn walk(messages: cmsg::Iter<'_>, base: usize) -> Walk {
    let mut out = Vec::new();
    let mut folded = cmsg::Decoded::default();
    for c in messages {
        let v = c.decode();
        folded.add(v);
        out.push(Message {
            level: c.level,
            kind: c.kind,
            offset: (c.data.as_ptr() as usize).wrapping_sub(base),
            data: c.data.to_vec(),
            value: v.into(),
        });
    }
    Walk {
        messages: out,
        folded: format!("{folded:?}"),
    }
}

/// The slice path: [`cmsg::iter`] over `area` (a caller's buffer, the error queue, batches), each
/// message decoded and folded in.
pub fn walk_slice(area: &[u8]) -> Walk {
    walk(cmsg::iter(area), area.as_ptr() as usize)
}

/// The kernel-filled path: `area` copied into an uninitialised allocation, `shift` (0 to 7) bytes
/// off alignment, and walked through [`cmsg::Filled`]; the metadata is folded by
/// [`cmsg::Decoded::of`], as `recvmsg` folds it.
pub fn walk_filled(area: &[u8], shift: usize) -> Walk {
    let mut w = fuzz::with_filled(area, shift, walk);
    w.folded = fuzz::with_filled(area, shift, |it, _| format!("{:?}", cmsg::Decoded::of(it)));
    w
}

/// The report of a receive whose control area is `area` (walked as [`walk_filled`] does): what
/// `recvmsg` returned (`ret`, `flags`) folded into [`Ancillary`], then [`RecvMeta::from_kernel`]
/// for buffers of `cap` bytes, on a socket that reports IPv4 senders v4-mapped when `maps_v4`.
pub fn recv_meta(
    area: &[u8],
    shift: usize,
    ret: usize,
    flags: i32,
    cap: usize,
    maps_v4: bool,
) -> RecvMeta<()> {
    let out = MsgOut {
        ret,
        flags,
        control_len: area.len(),
    };
    fuzz::with_filled(area, shift, |it, _| {
        RecvMeta::from_kernel((), maps_v4, cap, &out, &Ancillary::of(it, flags))
    })
}

/// The one decoder on one message.
pub fn decode(level: i32, kind: i32, data: &[u8]) -> Value {
    cmsg::Cmsg { level, kind, data }.decode().into()
}

/// A [`ControlBuffer`] holding the first 512 bytes of `area`, as `recv_msg_with_control` leaves it:
/// its public `iter` is the third walk.
pub fn control_buffer(area: &[u8]) -> ControlBuffer {
    let mut b = ControlBuffer::new();
    let n = area.len().min(b.buf.0.len());
    b.buf.0[..n].copy_from_slice(&area[..n]);
    b.len = n;
    b
}

/// `CMSG_SPACE`.
pub fn cmsg_space(data_len: usize) -> usize {
    cmsg::space(data_len)
}

/// `CMSG_LEN`.
pub fn cmsg_len(data_len: usize) -> usize {
    cmsg::len(data_len)
}

/// One call of [`cmsg::Encoder`].
#[derive(Debug, Clone, Copy)]
pub enum Push<'a> {
    /// `push(level, kind, data)`.
    Raw(i32, i32, &'a [u8]),
    /// `push_fds` of this many descriptors (standard input, output and error in turn).
    Fds(usize),
    /// `push_cred(pid, uid, gid)`.
    Cred(i32, u32, u32),
    /// `push_int(level, kind, value)`.
    Int(i32, i32, i32),
    /// `push_segment(size)`.
    Segment(u16),
    /// `push_pktinfo_v4(src, ifindex)`.
    PktInfoV4(Ipv4Addr, u32),
    /// `push_pktinfo_v6(src, ifindex)`.
    PktInfoV6(Ipv6Addr, u32),
}

/// Encodes `pushes` into an aligned area of `cap` bytes (at most 2048): the area written, and for
/// each push whether it fit.
pub fn encode(pushes: &[Push<'_>], cap: usize) -> (Vec<u8>, Vec<bool>) {
    let mut buf = cmsg::CmsgBuf::<2048>::new();
    let cap = cap.min(buf.0.len());
    let (stdin, stdout, stderr) = (io::stdin(), io::stdout(), io::stderr());
    let std_fds = [stdin.as_fd(), stdout.as_fd(), stderr.as_fd()];
    let mut fds: Vec<BorrowedFd<'_>> = Vec::new();
    let mut enc = cmsg::Encoder::new(&mut buf.0[..cap]);
    let mut fit = Vec::with_capacity(pushes.len());
    for p in pushes {
        let r = match *p {
            Push::Raw(level, kind, data) => enc.push(level, kind, data),
            Push::Fds(n) => {
                fds.clear();
                fds.extend(std_fds.iter().cycle().take(n).copied());
                enc.push_fds(&fds)
            }
            Push::Cred(pid, uid, gid) => enc.push_cred(pid, uid, gid),
            Push::Int(level, kind, v) => enc.push_int(level, kind, v),
            Push::Segment(s) => enc.push_segment(s),
            Push::PktInfoV4(src, i) => enc.push_pktinfo_v4(src, i),
            Push::PktInfoV6(src, i) => enc.push_pktinfo_v6(src, i),
        };
        fit.push(r.is_some());
    }
    (enc.finish().to_vec(), fit)
}

/// The size of `sockaddr_storage`.
pub const STORAGE_LEN: usize = fuzz::STORAGE_LEN;
/// The size of `sockaddr_in6`.
pub const INET_LEN: usize = fuzz::INET_LEN;

/// What the decoders make of one `sockaddr_storage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDecoded {
    /// `RawAddr::family`.
    pub family: i32,
    /// `RawAddr::socket_addr`.
    pub inet: Option<SocketAddr>,
    /// `RawAddr::unix_path`.
    pub unix_path: Option<Vec<u8>>,
    /// `UnixAddr::from_raw`, its error as text.
    pub unix: Result<UnixAddr, String>,
}

/// Decodes a `sockaddr_storage` into which the kernel wrote `min(len, 128)` bytes of `image` (the
/// rest of the storage `fill`) and reported `len`; `clamp` as the receive paths do, or not (a lying
/// length the decoders must clamp themselves).
pub fn decode_raw_addr(image: &[u8], len: u32, clamp: bool, fill: u8) -> RawDecoded {
    let a = fuzz::raw_addr(image, len, clamp, fill);
    RawDecoded {
        family: a.family(),
        inet: a.socket_addr(),
        unix_path: a.unix_path().map(<[u8]>::to_vec),
        unix: UnixAddr::from_raw(&a).map_err(|e| e.to_string()),
    }
}

/// Decodes the batch path's 28-byte address storage, as [`decode_raw_addr`] does.
pub fn decode_inet_addr(image: &[u8], len: u32, clamp: bool, fill: u8) -> Option<SocketAddr> {
    fuzz::inet_addr(image, len, clamp, fill).socket_addr()
}

/// The byte decoder of an IP address (an error report's offender).
pub fn decode_inet_bytes(b: &[u8]) -> Option<SocketAddr> {
    addr::decode_inet_bytes(b)
}

/// A Unix address through the kernel's form and back (`to_raw`, then `from_raw`).
pub fn unix_raw_round_trip(a: UnixAddr) -> io::Result<UnixAddr> {
    UnixAddr::from_raw(&a.to_raw())
}
