//! The error-queue decoder: `IP_RECVERR`/`IPV6_RECVERR` data (`struct sock_extended_err`, then the
//! offender's `sockaddr`) through `Cmsg::decode`, alone and inside a control area as
//! `recv_error` reads it. A report is decoded exactly when its 16 leading bytes are there, its
//! fields are what the bytes say (`ee_data` too: a transmit timestamp's send number), and its
//! offender is what the bytes after the 16-byte struct say.
//!
//! Input: one byte (the level: IPv4 or IPv6, and the misalignment of the kernel-filled copy), then
//! the message's data.
#![no_main]

use datagrams::fuzzing::{self, ExtErr, Push, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, d)) = data.split_first() else {
        return;
    };
    let (level, kind) = if sel & 1 == 0 {
        (libc::IPPROTO_IP, libc::IP_RECVERR)
    } else {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
    };
    let v = fuzzing::decode(level, kind, d);
    if d.len() >= 16 {
        let word = |i: usize| [d[i], d[i + 1], d[i + 2], d[i + 3]];
        let want = ExtErr {
            errno: i32::from_ne_bytes(word(0)),
            origin: d[4],
            kind: d[5],
            code: d[6],
            info: u32::from_ne_bytes(word(8)),
            data: u32::from_ne_bytes(word(12)),
            offender: d.get(16..).and_then(fuzzing::decode_inet_bytes),
        };
        assert_eq!(v, Value::ExtErr(want));
    } else {
        assert_eq!(v, Value::Other, "{} bytes", d.len());
    }

    // The same report in a control area, as the kernel hands it to `recv_error`, behind another
    // message: both walks find it, decoded the same.
    let (area, fit) = fuzzing::encode(
        &[
            Push::Int(libc::IPPROTO_IP, libc::IP_TTL, 64),
            Push::Raw(level, kind, d),
        ],
        2048,
    );
    if fit == [true, true] {
        let walked = fuzzing::walk_slice(&area);
        assert_eq!(walked, fuzzing::walk_filled(&area, usize::from(sel >> 1)));
        assert_eq!(walked.messages.len(), 2);
        assert_eq!(walked.messages[1].value, v);
        assert_eq!(walked.messages[1].data, d);
    }
});
