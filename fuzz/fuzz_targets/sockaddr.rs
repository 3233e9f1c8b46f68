//! The socket-address decoders with lying lengths: a `sockaddr_storage` (and the batch path's
//! 28-byte one) into which the kernel wrote arbitrary bytes and reported an arbitrary length,
//! decoded as an IP address (`RawAddr::socket_addr`, `InetAddr::socket_addr`), as a Unix path
//! (`RawAddr::unix_path`) and as a `UnixAddr` (`UnixAddr::from_raw`); and `decode_inet_bytes`.
//!
//! No decoder may read past the length (the result must not change with what lies beyond it), a
//! decoded address must be what the bytes say, and a decoded `UnixAddr` must print in a form that
//! parses back to it and survive the kernel's form (`to_raw`, `from_raw`).
//!
//! Input: a flags byte (clamp the length as the receive paths do; small or any length), the length
//! (one byte or four), then the storage's bytes.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use datagrams::UnixAddr;
use datagrams::fuzzing::{self, INET_LEN, STORAGE_LEN};
use libfuzzer_sys::fuzz_target;

/// `offsetof(struct sockaddr_un, sun_path)` and the size of `sun_path`.
const SUN_PATH_OFFSET: usize = 2;
const SUN_PATH_LEN: usize = 108;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let clamp = flags & 1 != 0;
    let (len, image) = if flags & 2 == 0 {
        let Some((&l, image)) = rest.split_first() else {
            return;
        };
        (u32::from(l) % (STORAGE_LEN as u32 + 8), image)
    } else {
        let Some((l, image)) = rest.split_first_chunk::<4>() else {
            return;
        };
        (u32::from_ne_bytes(*l), image)
    };
    // The storage as the kernel left it: what it wrote (zero past the input's end).
    let mut storage = [0u8; STORAGE_LEN];
    let n = image.len().min(STORAGE_LEN);
    storage[..n].copy_from_slice(&image[..n]);
    let written = (len as usize).min(STORAGE_LEN);
    let w = &storage[..written];

    let d = fuzzing::decode_raw_addr(&storage, len, clamp, 0x00);
    assert_eq!(
        d,
        fuzzing::decode_raw_addr(&storage, len, clamp, 0xff),
        "read past the length"
    );

    let family = if written < 2 {
        libc::AF_UNSPEC
    } else {
        i32::from(u16::from_ne_bytes([w[0], w[1]]))
    };
    assert_eq!(d.family, family);

    // IP: what the bytes say, exactly when the length covers the family's sockaddr.
    let whole = match family {
        libc::AF_INET => written >= 16,
        libc::AF_INET6 => written >= 28,
        _ => false,
    };
    assert_eq!(d.inet.is_some(), whole, "{d:?} from {written} bytes");
    if let Some(a) = d.inet {
        assert_eq!(Some(a), fuzzing::decode_inet_bytes(w));
        assert_eq!(Some(a), says(w));
    }

    // Unix: the path is the bytes after the family, clamped to sun_path.
    if family == libc::AF_UNIX {
        let end = written.clamp(SUN_PATH_OFFSET, SUN_PATH_OFFSET + SUN_PATH_LEN);
        assert_eq!(d.unix_path.as_deref(), Some(&storage[SUN_PATH_OFFSET..end]));
    } else {
        assert_eq!(d.unix_path, None);
    }
    match &d.unix {
        Ok(a) => {
            assert!(len == 0 || family == libc::AF_UNIX);
            round_trips(a);
        }
        Err(_) => assert!(len != 0 && family != libc::AF_UNIX, "{d:?}"),
    }

    // The batch path's 28-byte storage.
    let i = fuzzing::decode_inet_addr(&storage, len, clamp, 0x00);
    assert_eq!(
        i,
        fuzzing::decode_inet_addr(&storage, len, clamp, 0xff),
        "read past the length"
    );
    let w28 = &storage[..(len as usize).min(INET_LEN)];
    match i {
        Some(a) => assert_eq!(Some(a), says(w28)),
        None => assert!(
            !(w28.len() >= 16 && family == libc::AF_INET
                || w28.len() >= 28 && family == libc::AF_INET6)
        ),
    }

    // The byte decoder (an error report's offender) over the raw input.
    let b = fuzzing::decode_inet_bytes(image);
    assert_eq!(b, says(image));
});

/// What `b` says as a `sockaddr_in`/`sockaddr_in6` (`None` for another family or too few bytes): the
/// decoders' reference.
fn says(b: &[u8]) -> Option<SocketAddr> {
    let family = i32::from(u16::from_ne_bytes([*b.first()?, *b.get(1)?]));
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    match family {
        libc::AF_INET => {
            let ip: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            Some(SocketAddr::new(Ipv4Addr::from(ip).into(), port))
        }
        libc::AF_INET6 => {
            let flow = u32::from_ne_bytes(b.get(4..8)?.try_into().ok()?);
            let ip: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            let scope = u32::from_ne_bytes(b.get(24..28)?.try_into().ok()?);
            Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port,
                flow,
                scope,
            )))
        }
        _ => None,
    }
}

/// A decoded Unix address prints in a form that parses back to it, and goes through the kernel's
/// form and back unchanged.
fn round_trips(a: &UnixAddr) {
    let printed = a.to_string();
    let parsed: UnixAddr = printed
        .parse()
        .unwrap_or_else(|e| panic!("{a:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(parsed, *a, "printed as {printed:?}");
    assert_eq!(fuzzing::unix_raw_round_trip(*a).unwrap(), *a);
}
