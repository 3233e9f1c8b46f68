//! Properties of the public API over arbitrary input: GRO buffers split into their datagrams,
//! interface and Unix address parsing, and the checks a transmit passes before the kernel sees it.
//! Each holds for every input proptest tries; none may panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use datagrams::{
    Family, Interface, MAX_ABSTRACT_NAME_LEN, MAX_PATHNAME_LEN, RecvMeta, Transmit, UdpSocket,
    UnixAddr,
};
use proptest::collection::vec;
use proptest::prelude::*;

proptest! {
    /// `RecvMeta::segments` cuts a GRO buffer into datagrams of the stride (the last may be
    /// shorter) that put together are exactly the bytes received, whatever the report says.
    #[test]
    fn segments_are_the_received_bytes_in_strides(
        buf in vec(any::<u8>(), 0..3000),
        len in 0usize..4000,
        stride in proptest::option::of(0usize..1500),
    ) {
        let mut meta = RecvMeta::default();
        meta.len = len;
        meta.stride = stride;
        let segments: Vec<&[u8]> = meta.segments(&buf).collect();
        let received = &buf[..len.min(buf.len())];
        prop_assert_eq!(segments.concat(), received);
        let each = match stride {
            Some(s) if s > 0 => s,
            _ => received.len().max(1),
        };
        prop_assert_eq!(segments.len(), received.len().div_ceil(each));
        if let Some((last, whole)) = segments.split_last() {
            prop_assert!(whole.iter().all(|s| s.len() == each));
            prop_assert!(!last.is_empty() && last.len() <= each);
        }
    }

    /// An interface parses from any text, or is refused with `InvalidInput` for an IPv6 address
    /// (which names no interface) or a malformed scope; a name comes back as itself.
    #[test]
    fn any_interface_text_parses_or_names_its_error(
        text in prop_oneof![".{0,24}", "(::1|fe80::1|)%[a-z0-9%]{0,6}", "[a-z0-9.]{0,8}%[a-z0-9]{0,4}"]
    ) {
        // with a %: an IPv6 address (or nothing) before it, a scope of no % after it
        let (scope, bad_scope) = match text.split_once('%') {
            Some((addr, scope)) => (
                scope,
                !(addr.is_empty() || addr.parse::<std::net::Ipv6Addr>().is_ok())
                    || scope.is_empty()
                    || scope.contains('%'),
            ),
            None => (text.as_str(), false),
        };
        let ipv6 = scope.parse::<u32>().is_err()
            && matches!(scope.parse::<IpAddr>(), Ok(IpAddr::V6(a)) if !a.is_unspecified());
        match text.parse::<Interface>() {
            Ok(Interface::Name(n)) => {
                prop_assert!(!bad_scope);
                prop_assert_eq!(n, scope);
            }
            Ok(_) => prop_assert!(!ipv6 && !bad_scope),
            Err(e) => {
                prop_assert!(ipv6 || bad_scope, "{text:?}: {e}");
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
            }
        }
    }

    /// An abstract name of any bytes fits exactly when it is at most `MAX_ABSTRACT_NAME_LEN` long, and
    /// comes back byte for byte.
    #[test]
    fn abstract_names_fit_or_say_why(name in vec(any::<u8>(), 0..200)) {
        match UnixAddr::from_abstract_name(&name) {
            Ok(a) => {
                prop_assert!(name.len() <= MAX_ABSTRACT_NAME_LEN);
                prop_assert_eq!(a.as_abstract_name(), Some(&name[..]));
            }
            Err(e) => {
                prop_assert!(name.len() > MAX_ABSTRACT_NAME_LEN);
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
            }
        }
    }

    /// A path fits exactly when it is not empty, holds no NUL and is at most `MAX_PATHNAME_LEN` bytes
    /// long, and comes back as itself.
    #[test]
    fn pathnames_fit_or_say_why(
        bytes in vec(prop_oneof![Just(0u8), Just(b'/'), any::<u8>()], 0..150)
    ) {
        let path = Path::new(OsStr::from_bytes(&bytes));
        let fits = !bytes.is_empty() && !bytes.contains(&0) && bytes.len() <= MAX_PATHNAME_LEN;
        match UnixAddr::from_pathname(path) {
            Ok(a) => {
                prop_assert!(fits);
                prop_assert_eq!(a.as_pathname(), Some(path));
            }
            Err(e) => {
                prop_assert!(!fits);
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
            }
        }
    }
}

proptest! {
    /// Every Unix address prints as one line that reads back as the same address.
    #[test]
    fn unix_addresses_print_and_read_back(
        bytes in vec(prop_oneof![Just(b'@'), Just(b'\\'), Just(b'\n'), Just(b'x'), any::<u8>()], 1..100),
        abstract_name in any::<bool>(),
    ) {
        let a = if abstract_name {
            UnixAddr::from_abstract_name(&bytes)
        } else {
            UnixAddr::from_pathname(Path::new(OsStr::from_bytes(&bytes)))
        };
        if let Ok(a) = a {
            let text = a.to_string();
            prop_assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
            prop_assert_eq!(text.parse::<UnixAddr>().unwrap(), a, "{:?}", text);
        }
    }
}

/// Lengths around the limits that matter, and any others.
fn lengths() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..2000,
        65_400usize..65_600,
        Just(datagrams::MAX_PAYLOAD_V4),
        Just(datagrams::MAX_PAYLOAD_V4 + 1),
        Just(datagrams::MAX_PAYLOAD_V6),
        Just(datagrams::MAX_PAYLOAD_V6 + 1),
        0usize..70_000,
    ]
}

/// A length and a segment size: any, or exactly 62 to 66 segments (around the limit of 64).
fn transmit_shapes() -> impl Strategy<Value = (usize, Option<usize>)> {
    let any_shape = (
        lengths(),
        proptest::option::of(prop_oneof![
            0usize..4,
            1usize..2000,
            0usize..70_000,
            any::<usize>(),
        ]),
    );
    let near_the_limit = (1usize..1000, 62usize..67, any::<usize>())
        .prop_map(|(s, k, r)| (s * (k - 1) + r % s + 1, Some(s)));
    prop_oneof![any_shape, near_the_limit]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A transmit of any length and segment size is sent whole, or refused before the kernel sees
    /// it, exactly as the rules say: at most the family's maximum payload and a segment size at
    /// most that maximum (else `EMSGSIZE`), a segment size above 0 and at most `max_gso_segments`
    /// segments (else `InvalidInput`).
    #[test]
    fn transmits_are_sent_whole_or_refused_by_the_rules(
        v6 in any::<bool>(),
        (len, segment) in transmit_shapes(),
    ) {
        let f = if v6 { Family::V6 } else { Family::V4 };
        let rx = UdpSocket::bind(SocketAddr::new(f.loopback(), 0)).unwrap();
        let tx = UdpSocket::bind(SocketAddr::new(f.loopback(), 0)).unwrap();
        let data = vec![7u8; len];
        let mut t = Transmit::new(rx.local_addr().unwrap(), &data);
        t.segment_size = segment;
        let too_large = len > f.max_payload() || segment.is_some_and(|s| s > f.max_payload());
        let bad_segments = match segment {
            None => false,
            Some(0) => true,
            Some(s) => len.div_ceil(s) > tx.max_gso_segments(),
        };
        match tx.send_msg(&t) {
            Ok(n) => {
                prop_assert!(!too_large && !bad_segments, "sent {n}");
                prop_assert_eq!(n, len);
            }
            Err(e) if too_large => prop_assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE)),
            Err(e) => {
                prop_assert!(bad_segments, "{e}");
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
            }
        }
    }
}

/// Every character with Unicode's `Bidi_Control` property, and the line and paragraph separators,
/// shows as `\xNN` escapes of its UTF-8 bytes: none can reorder or break a printed line.
#[test]
fn every_bidi_control_and_separator_is_escaped() {
    let bidi = ['\u{61c}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}']
        .into_iter()
        .chain('\u{202a}'..='\u{202e}')
        .chain('\u{2066}'..='\u{2069}');
    for c in bidi {
        let mut utf8 = [0u8; 4];
        let bytes = c.encode_utf8(&mut utf8).as_bytes();
        let want: String = bytes.iter().map(|b| format!("\\x{b:02x}")).collect();
        assert_eq!(
            datagrams::escape_bytes(bytes),
            want,
            "U+{:04X}",
            u32::from(c)
        );
    }
}

proptest! {
    /// The escape grammar is lossless: any bytes escape to one line (no control, line-breaking or
    /// reordering character) that unescapes to exactly those bytes.
    #[test]
    fn escape_then_unescape_is_the_bytes(bytes in vec(any::<u8>(), 0..200)) {
        let t = datagrams::escape_bytes(&bytes);
        prop_assert!(!t.chars().any(|c| c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{61c}' | '\u{200e}' | '\u{200f}')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)), "{t:?}");
        prop_assert_eq!(datagrams::unescape_bytes(&t).unwrap(), bytes);
    }

    /// The parser on any text: an error or bytes, never a panic; and characters that need no
    /// escape stand for their own UTF-8.
    #[test]
    fn unescape_takes_any_text(s in ".{0,80}") {
        if let Ok(b) = datagrams::unescape_bytes(&s) {
            prop_assert_eq!(datagrams::unescape_bytes(&datagrams::escape_bytes(&b)).unwrap(), b);
        }
        if !s.contains('\\') {
            prop_assert_eq!(datagrams::unescape_bytes(&s).unwrap(), s.as_bytes());
        }
    }
}
