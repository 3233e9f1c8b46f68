//! The control-message decoder over arbitrary bytes, by its three walks: the slice path
//! (`cmsg::iter`, as the error queue and batches read a buffer), the kernel-filled path
//! (`cmsg::Filled` over an uninitialised allocation of exactly the area's size, off alignment, as
//! `recvmsg` reads it) and the public `ControlBuffer::iter`. They must agree, every message must lie
//! where the walk's arithmetic puts it and inside the area, and nothing may panic.
//!
//! Input: one byte (the misalignment of the filled copy), then the area.
#![no_main]

use datagrams::Control;
use datagrams::fuzzing::{self, Value};
use libfuzzer_sys::fuzz_target;

/// `sizeof(struct cmsghdr)` on 64-bit Linux, and the alignment of headers.
const HDR: usize = 16;
const ALIGN: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Some((&shift, area)) = data.split_first() else {
        return;
    };
    let slice = fuzzing::walk_slice(area);
    let filled = fuzzing::walk_filled(area, usize::from(shift));
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
                _ => {}
            }
        }
    }
});
