//! The control-message decoder over arbitrary bytes, by its three walks: the slice path
//! (`cmsg::iter`, as the error queue and batches read a buffer), the kernel-filled path
//! (`cmsg::Filled` over an uninitialised allocation of exactly the area's size, off alignment, as
//! `recvmsg` reads it) and the public `ControlBuffer::iter`. They must agree, every message must lie
//! where the walk's arithmetic puts it and inside the area, and nothing may panic.
//!
//! The receive path's report (`RecvMeta::from_kernel` of the folded messages) says what the last
//! message of each kind said, and its GRO segments cover the datagram.
//!
//! Input: one byte (the misalignment of the filled copy, and the receive's flags and sizes), then
//! the area.
#![no_main]

use std::net::{IpAddr, SocketAddr, SocketAddrV6};
use std::time::{Duration, UNIX_EPOCH};

use datagrams::fuzzing::{self, Message, Value};
use datagrams::{Control, RecvMeta};
use libfuzzer_sys::fuzz_target;

/// `sizeof(struct cmsghdr)` on 64-bit Linux, and the alignment of headers.
const HDR: usize = 16;
const ALIGN: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Some((&shift, area)) = data.split_first() else {
        return;
    };
    let slice = fuzzing::walk_slice(area);
    let filled = fuzzing::walk_filled(area, usize::from(shift & 7));
    assert_eq!(slice, filled, "the slice and kernel-filled walks disagree");

    // Each header starts where the previous message's aligned end is; its data follows the header
    // and lies inside the area.
    let mut pos = 0usize;
    for m in &slice.messages {
        assert_eq!(
            m.offset,
            pos + HDR,
            "a message is not where the walk's arithmetic puts it"
        );
        let end = m.offset + m.data.len();
        assert!(end <= area.len(), "a message reaches past the area");
        assert_eq!(&area[m.offset..end], &m.data[..]);
        // the header's cmsg_len is what the data length says
        let claimed = usize::from_ne_bytes(area[pos..pos + 8].try_into().unwrap());
        assert_eq!(claimed, fuzzing::cmsg_len(m.data.len()));
        assert_eq!(m.value, fuzzing::decode(m.level, m.kind, &m.data));
        if let Value::Rights(n) | Value::PidFd(n) = m.value {
            assert_eq!(n, m.data.len());
        }
        pos = (pos + claimed.next_multiple_of(ALIGN)).min(area.len());
    }

    // The public walk of a caller's buffer (the first 512 bytes) sees the same messages.
    let buf = fuzzing::control_buffer(area);
    let public: Vec<Control<'_>> = buf.iter().collect();
    let _ = format!("{buf:?}");
    if area.len() <= 512 {
        assert_eq!(public.len(), slice.messages.len());
        for (c, m) in public.iter().zip(&slice.messages) {
            match *c {
                Control::Unknown { level, kind, data } => {
                    assert_eq!((level, kind, data), (m.level, m.kind, &m.data[..]));
                }
                Control::Tos(t) => assert_eq!(m.value, Value::Tos(t)),
                Control::Ttl(t) => assert_eq!(m.value, Value::Ttl(t)),
                Control::Drops(n) => assert_eq!(m.value, Value::Drops(n)),
                Control::GroSegment(g) => assert_eq!(m.value, Value::Gro(g)),
                Control::PacketInfo { dst_ip, ifindex } => {
                    assert_eq!(m.value, Value::PacketInfo(dst_ip, ifindex));
                }
                Control::Credentials(c) => assert_eq!(m.value, Value::Cred(c.pid, c.uid, c.gid)),
                Control::Timestamp(t) => {
                    let Value::Timestamp(s, ns) = m.value else {
                        panic!("a timestamp from {:?}", m.value)
                    };
                    let since = t.duration_since(std::time::UNIX_EPOCH).unwrap();
                    // nanoseconds past a second carry into the seconds, as `Duration::new` does
                    let carry = u64::from(u32::try_from(ns).unwrap()) / 1_000_000_000;
                    assert_eq!(since.as_secs(), u64::try_from(s).unwrap() + carry);
                }
                Control::Timestamping { software, hardware } => {
                    let Value::Timestamping(sw, hw) = m.value else {
                        panic!("SCM_TIMESTAMPING from {:?}", m.value)
                    };
                    assert_eq!(software, stamp(sw));
                    assert_eq!(hardware, stamp(hw));
                }
                Control::OrigDstAddr(a) => assert_eq!(m.value, Value::OrigDst(a)),
                _ => {}
            }
        }
    }

    report(shift, area, &slice.messages);
});

/// `RecvMeta::from_kernel` of a receive with this control area: each field is what the last message
/// of its kind said.
fn report(sel: u8, area: &[u8], messages: &[Message]) {
    let maps_v4 = sel & 8 != 0;
    let flags = if sel & 16 != 0 { libc::MSG_TRUNC } else { 0 }
        | if sel & 32 != 0 { libc::MSG_CTRUNC } else { 0 };
    let (ret, cap) = (area.len(), area.len() / 2 + usize::from(sel >> 6) * 7);
    let meta: RecvMeta<()> =
        fuzzing::recv_meta(area, usize::from(sel & 7), ret, flags, cap, maps_v4);
    assert_eq!((meta.len, meta.full_len), (ret.min(cap), ret));
    assert_eq!(meta.truncated, flags & libc::MSG_TRUNC != 0);
    assert_eq!(meta.control_truncated, flags & libc::MSG_CTRUNC != 0);

    let last = |f: &dyn Fn(&Value) -> bool| messages.iter().rev().map(|m| m.value).find(|v| f(v));
    let tos = last(&|v| matches!(v, Value::Tos(_)));
    assert_eq!(meta.tos.map(Value::Tos), tos);
    let ttl = last(&|v| matches!(v, Value::Ttl(_)));
    assert_eq!(meta.ttl.map(Value::Ttl), ttl);
    let drops = last(&|v| matches!(v, Value::Drops(_)));
    assert_eq!(meta.drops.map(Value::Drops), drops);
    let cred = last(&|v| matches!(v, Value::Cred(..)));
    assert_eq!(meta.cred.map(|c| Value::Cred(c.pid, c.uid, c.gid)), cred);
    let gro = last(&|v| matches!(v, Value::Gro(_)));
    assert_eq!(
        meta.stride,
        gro.map(|v| match v {
            Value::Gro(g) => usize::from(g),
            _ => unreachable!(),
        })
    );
    match last(&|v| matches!(v, Value::PacketInfo(..))) {
        Some(Value::PacketInfo(ip, ifindex)) => {
            let ip = match ip {
                IpAddr::V4(v4) if maps_v4 => IpAddr::V6(v4.to_ipv6_mapped()),
                ip => ip,
            };
            assert_eq!((meta.dst_ip, meta.ifindex), (Some(ip), Some(ifindex)));
        }
        _ => assert_eq!((meta.dst_ip, meta.ifindex), (None, None)),
    }
    // The receive time: SCM_TIMESTAMPNS, or SCM_TIMESTAMPING's software stamp when it has one,
    // whichever came last.
    let ts = match last(&|v| {
        matches!(v, Value::Timestamp(..))
            || matches!(v, Value::Timestamping(sw, _) if *sw != (0, 0))
    }) {
        Some(Value::Timestamp(s, ns) | Value::Timestamping((s, ns), _)) => time(s, ns),
        _ => None,
    };
    assert_eq!(meta.timestamp, ts);
    // The original destination, v4-mapped beside v4-mapped senders.
    let orig = match last(&|v| matches!(v, Value::OrigDst(_))) {
        Some(Value::OrigDst(SocketAddr::V4(v4))) if maps_v4 => Some(SocketAddr::V6(
            SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0),
        )),
        Some(Value::OrigDst(a)) => Some(a),
        _ => None,
    };
    assert_eq!(meta.orig_dst, orig);
    let _ = meta.ecn();

    // The segments of the datagram (GRO) cover it, each a stride long but the last.
    let buf: Vec<u8> = (0..cap).map(|i| i as u8).collect();
    let segments: Vec<&[u8]> = meta.segments(&buf).collect();
    assert_eq!(segments.concat(), &buf[..meta.len]);
    if let Some(stride) = meta.stride.filter(|&s| s > 0)
        && let Some((last, whole)) = segments.split_last()
    {
        assert!(whole.iter().all(|s| s.len() == stride) && last.len() <= stride);
    }
}

/// A kernel timestamp as `SystemTime`, as the library converts it.
fn time(s: i64, ns: i64) -> Option<std::time::SystemTime> {
    match (u64::try_from(s), u32::try_from(ns)) {
        (Ok(s), Ok(ns)) => UNIX_EPOCH.checked_add(Duration::new(s, ns)),
        _ => None,
    }
}

/// One timestamp of `struct scm_timestamping`: `(0, 0)` is none.
fn stamp((s, ns): (i64, i64)) -> Option<std::time::SystemTime> {
    if (s, ns) == (0, 0) { None } else { time(s, ns) }
}
