//! Socket addresses as the kernel sees them: one `sockaddr_storage` codec for IPv4, IPv6 and Unix.

use std::mem::{self, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A `sockaddr_storage` and its length: the buffer every address-carrying syscall reads or fills.
///
/// Only the first `len` bytes are ever initialised or read: nothing zeroes the 128-byte storage on
/// the hot path, as std's own conversions do not.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    storage: MaybeUninit<libc::sockaddr_storage>,
    pub(crate) len: libc::socklen_t,
}

/// The offset of `sun_path` in `sockaddr_un`: an address of exactly this length is unnamed.
pub(crate) const SUN_PATH_OFFSET: usize = mem::offset_of!(libc::sockaddr_un, sun_path);
/// The capacity of `sun_path` in bytes (108 on Linux).
pub(crate) const SUN_PATH_LEN: usize = mem::size_of::<[libc::c_char; 108]>();

impl RawAddr {
    /// An empty buffer, ready for the kernel to fill (its length is the full capacity).
    #[inline]
    pub(crate) fn empty() -> Self {
        RawAddr {
            storage: MaybeUninit::uninit(),
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    /// Offers the whole storage to the kernel before a receive (`len` = its capacity), so a reused
    /// buffer never hands the kernel a shorter length than it may need.
    #[inline]
    pub(crate) fn prepare_recv(&mut self) {
        self.len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    }

    /// Records the length the kernel reported, capped at the storage: on truncation the kernel reports
    /// the full length, more than it wrote, and only what it wrote may be read.
    #[inline]
    pub(crate) fn set_received_len(&mut self, reported: libc::socklen_t) {
        self.len = reported.min(mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t);
    }

    /// The address family (`AF_INET`, `AF_INET6`, `AF_UNIX`, `AF_UNSPEC`).
    #[inline]
    pub(crate) fn family(&self) -> libc::c_int {
        if (self.len as usize) < mem::size_of::<libc::sa_family_t>() {
            return libc::AF_UNSPEC;
        }
        // SAFETY: `len` covers the family field, so it was written (by us or by the kernel).
        libc::c_int::from(unsafe { (*self.storage.as_ptr()).ss_family })
    }

    /// An `AF_UNSPEC` address: `connect(2)` with it dissolves a datagram association.
    pub(crate) fn unspec() -> Self {
        let mut a = Self::empty();
        // SAFETY: the storage is large enough for its family field; we write it through a raw place.
        unsafe {
            (&raw mut (*a.storage.as_mut_ptr()).ss_family)
                .write(libc::AF_UNSPEC as libc::sa_family_t)
        };
        a.len = mem::size_of::<libc::sa_family_t>() as libc::socklen_t;
        a
    }

    /// Encodes an IP socket address into the storage (for `bind` and `connect`).
    #[inline]
    pub(crate) fn from_inet(addr: &SocketAddr) -> Self {
        let mut a = Self::empty();
        // SAFETY: the storage (128 bytes) has room for the 28 bytes `write_inet` may write.
        a.len = unsafe { write_inet(addr, a.storage.as_mut_ptr().cast()) };
        a
    }

    /// Calls `f` with an IP address encoded as the kernel wants it, built on the stack in the 16 or 28
    /// bytes it needs (the send path's encoder: nothing else is written or copied).
    #[inline]
    pub(crate) fn with_inet<R>(
        addr: &SocketAddr,
        f: impl FnOnce(*const libc::sockaddr, libc::socklen_t) -> R,
    ) -> R {
        match addr {
            SocketAddr::V4(v4) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: v4.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(v4.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                f(
                    (&raw const sin).cast(),
                    mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
            SocketAddr::V6(v6) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: v6.port().to_be(),
                    sin6_flowinfo: v6.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: v6.ip().octets(),
                    },
                    sin6_scope_id: v6.scope_id(),
                };
                f(
                    (&raw const sin6).cast(),
                    mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    }

    /// Decodes an IP socket address; `None` for any other family or a short length.
    #[inline]
    pub(crate) fn socket_addr(&self) -> Option<SocketAddr> {
        // SAFETY: the storage holds `len` written bytes (by us or by the kernel) and is larger than
        // any `len` the kernel reports for an IP address.
        unsafe { decode_inet(self.storage.as_ptr().cast(), self.len) }
    }

    /// Calls `f` with a Unix address encoded on the stack from the bytes of `sun_path` (the send
    /// path's encoder, [`from_unix`](Self::from_unix)). The caller has checked that `path` fits
    /// [`SUN_PATH_LEN`].
    #[inline]
    pub(crate) fn with_unix<R>(
        path: &[u8],
        f: impl FnOnce(*const libc::sockaddr, libc::socklen_t) -> R,
    ) -> R {
        let a = Self::from_unix(path);
        f(a.storage.as_ptr().cast(), a.len)
    }

    /// Encodes a Unix address from the bytes of `sun_path` (for an abstract name, a leading NUL and the
    /// name; empty for unnamed). The caller has checked that `path` fits [`SUN_PATH_LEN`].
    ///
    /// The storage is zeroed first: a pathname of the full 108 bytes has no terminating NUL in
    /// `sun_path` (the kernel adds its own), and tools that read it as a C string (valgrind) then
    /// find the NUL right after it, never an uninitialised byte.
    #[inline]
    pub(crate) fn from_unix(path: &[u8]) -> Self {
        let mut a = RawAddr {
            storage: MaybeUninit::zeroed(),
            len: 0,
        };
        let n = path.len().min(SUN_PATH_LEN);
        let sun = a.storage.as_mut_ptr().cast::<libc::sockaddr_un>();
        // SAFETY: `sockaddr_storage` is larger than and aligned for `sockaddr_un`; we write its family
        // and the first `n` bytes of `sun_path` through raw places (`n` fits both `path` and
        // `sun_path`, and they do not overlap), never forming a reference to uninitialised memory.
        unsafe {
            (&raw mut (*sun).sun_family).write(libc::AF_UNIX as libc::sa_family_t);
            std::ptr::copy_nonoverlapping(
                path.as_ptr(),
                (&raw mut (*sun).sun_path).cast::<u8>(),
                n,
            );
        }
        a.len = (SUN_PATH_OFFSET + n) as libc::socklen_t;
        a
    }

    /// The bytes of `sun_path` that the length covers, for an `AF_UNIX` address; `None` otherwise.
    ///
    /// The length is clamped to the buffer, so a kernel-reported length beyond it cannot overrun.
    #[inline]
    pub(crate) fn unix_path(&self) -> Option<&[u8]> {
        if self.family() != libc::AF_UNIX {
            return None;
        }
        let len = (self.len as usize).clamp(SUN_PATH_OFFSET, SUN_PATH_OFFSET + SUN_PATH_LEN);
        let sun = self.storage.as_ptr().cast::<libc::sockaddr_un>();
        // SAFETY: the family says the storage holds a `sockaddr_un`, whose first `len` bytes were
        // written (by the kernel or `from_unix`); the slice covers `sun_path` up to `len` only, within
        // the storage, and `c_char` and `u8` have the same size and alignment.
        Some(unsafe {
            std::slice::from_raw_parts(
                (&raw const (*sun).sun_path).cast::<u8>(),
                len - SUN_PATH_OFFSET,
            )
        })
    }

    #[inline]
    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        self.storage.as_ptr().cast()
    }

    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        self.storage.as_mut_ptr().cast()
    }
}

/// Decodes an IP socket address from bytes (a control message's copy of a `sockaddr_in`/`_in6`);
/// `None` for another family (`AF_UNSPEC`: unknown) or too few bytes. Safe: it reads bytes only.
pub(crate) fn decode_inet_bytes(b: &[u8]) -> Option<SocketAddr> {
    let family = libc::c_int::from(u16::from_ne_bytes([*b.first()?, *b.get(1)?]));
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    match family {
        libc::AF_INET => {
            let a = b.get(4..8)?;
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::new(a[0], a[1], a[2], a[3]),
                port,
            )))
        }
        libc::AF_INET6 => {
            let flow = u32::from_ne_bytes(b.get(4..8)?.try_into().ok()?);
            let ip: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            let scope = u32::from_ne_bytes(b.get(24..28)?.try_into().ok()?);
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                port,
                flow,
                scope,
            )))
        }
        _ => None,
    }
}

/// Writes `addr` at `dst` as the kernel wants it; returns its length (16 or 28 bytes).
///
/// # Safety
/// `dst` must be valid for writing 28 bytes (`sockaddr_in6`).
#[inline]
unsafe fn write_inet(addr: &SocketAddr, dst: *mut u8) -> libc::socklen_t {
    RawAddr::with_inet(addr, |p, len| {
        // SAFETY: `p` points at `len` (16 or 28) written bytes, and `dst` has room for 28 (the
        // caller's contract); the two do not overlap (`p` is this call's stack).
        unsafe { std::ptr::copy_nonoverlapping(p.cast::<u8>(), dst, len as usize) };
        len
    })
}

/// Decodes an IP socket address of `len` bytes at `p`; `None` for another family or a short length.
///
/// # Safety
/// `p` must point at `len` readable, initialised bytes, aligned for `sockaddr_in6`.
#[inline]
unsafe fn decode_inet(p: *const libc::sockaddr, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    if len < mem::size_of::<libc::sa_family_t>() {
        return None;
    }
    // SAFETY: `len` covers the family field (the caller's contract).
    let family = libc::c_int::from(unsafe { (*p).sa_family });
    match family {
        libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says it is a `sockaddr_in`, and `len` covers it.
            let sin = unsafe { p.cast::<libc::sockaddr_in>().read() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family says it is a `sockaddr_in6`, and `len` covers it.
            let sin6 = unsafe { p.cast::<libc::sockaddr_in6>().read() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// An IP socket address in the 28 bytes the kernel needs at most (`sockaddr_in6`): the per-datagram
/// address of batches, where `RawAddr`'s 128-byte storage would be copied 32 times a call.
///
/// `repr(C)` with the storage first: a pointer to an `InetAddr` is a pointer to its `sockaddr`, which
/// `sendmmsg`'s headers rely on.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct InetAddr {
    storage: MaybeUninit<libc::sockaddr_in6>,
    pub(crate) len: libc::socklen_t,
}

const _: () = assert!(mem::offset_of!(InetAddr, storage) == 0);

impl InetAddr {
    /// An empty buffer, ready for the kernel to fill.
    pub(crate) const EMPTY: InetAddr = InetAddr {
        storage: MaybeUninit::uninit(),
        len: mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
    };

    /// Records the length the kernel reported, capped at the storage (see
    /// [`RawAddr::set_received_len`]).
    #[inline]
    pub(crate) fn set_received_len(&mut self, reported: libc::socklen_t) {
        self.len = reported.min(mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t);
    }

    /// Encodes `addr`.
    #[inline]
    pub(crate) fn new(addr: &SocketAddr) -> Self {
        let mut a = Self::EMPTY;
        // SAFETY: the storage is a `sockaddr_in6`: room for the 28 bytes `write_inet` may write.
        a.len = unsafe { write_inet(addr, a.storage.as_mut_ptr().cast()) };
        a
    }

    /// Decodes what the kernel wrote; `None` for another family or a short length.
    #[inline]
    pub(crate) fn socket_addr(&self) -> Option<SocketAddr> {
        // SAFETY: the storage holds `len` written bytes (by `new` or by the kernel, which never
        // reports more than the 28 bytes it was given for an IP address).
        unsafe {
            decode_inet(
                self.storage.as_ptr().cast(),
                self.len
                    .min(mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t),
            )
        }
    }

    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        self.storage.as_mut_ptr().cast()
    }
}

/// Round trips of every IP socket address, and the decoder over arbitrary bytes (what a kernel of
/// another family, or a lying length, could hand us).
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_socket_addr() -> impl Strategy<Value = SocketAddr> {
        prop_oneof![
            (any::<[u8; 4]>(), any::<u16>())
                .prop_map(|(ip, port)| SocketAddr::V4(SocketAddrV4::new(ip.into(), port))),
            (any::<[u8; 16]>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
                |(ip, port, flow, scope)| {
                    SocketAddr::V6(SocketAddrV6::new(ip.into(), port, flow, scope))
                }
            ),
        ]
    }

    proptest! {
        #[test]
        fn every_ip_address_round_trips(a in any_socket_addr()) {
            prop_assert_eq!(RawAddr::from_inet(&a).socket_addr(), Some(a));
            prop_assert_eq!(InetAddr::new(&a).socket_addr(), Some(a));
        }

        #[test]
        fn any_bytes_decode_to_what_they_encode_or_to_nothing(
            family in prop_oneof![
                Just(libc::AF_INET as u16),
                Just(libc::AF_INET6 as u16),
                any::<u16>(),
            ],
            rest in proptest::collection::vec(any::<u8>(), 0..38),
        ) {
            let mut bytes = family.to_ne_bytes().to_vec();
            bytes.extend_from_slice(&rest);
            let decoded = decode_inet_bytes(&bytes);
            // an address exactly when the family is IP and the length covers its sockaddr
            let whole = match i32::from(family) {
                libc::AF_INET => bytes.len() >= 8,
                libc::AF_INET6 => bytes.len() >= 28,
                _ => false,
            };
            prop_assert_eq!(decoded.is_some(), whole);
            if let Some(a) = decoded {
                // what was decoded is what the bytes say: encoding it again gives them back (all but
                // sin_zero, which carries nothing)
                let again = RawAddr::with_inet(&a, |p, len| {
                    // SAFETY: `with_inet` lends `len` written bytes at `p`.
                    unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len as usize) }.to_vec()
                });
                let meaningful = if a.is_ipv4() { 8 } else { 28 };
                prop_assert_eq!(&again[..meaningful], &bytes[..meaningful]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_bytes_decode_like_the_kernel_writes_them() {
        for s in ["192.0.2.254:0", "[2001:db8::1]:53", "[fe80::1%3]:9"] {
            let a: SocketAddr = s.parse().unwrap();
            let bytes = RawAddr::with_inet(&a, |p, len| {
                // SAFETY: `with_inet` lends `len` written bytes at `p`.
                unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len as usize) }.to_vec()
            });
            assert_eq!(decode_inet_bytes(&bytes), Some(a));
            assert_eq!(decode_inet_bytes(&bytes[..7]), None, "short");
        }
        assert_eq!(decode_inet_bytes(&[0u8; 16]), None, "AF_UNSPEC offender");
    }

    #[test]
    fn inet_round_trip() {
        for s in ["127.0.0.1:5353", "[::1]:9", "[fe80::1%2]:443", "0.0.0.0:0"] {
            let a: SocketAddr = s.parse().unwrap();
            assert_eq!(RawAddr::from_inet(&a).socket_addr(), Some(a));
            assert_eq!(InetAddr::new(&a).socket_addr(), Some(a));
        }
        // flowinfo is carried as std carries it (no byte swap), so both agree on the wire
        let a = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 1, 0x000a_bcde, 0));
        let raw = RawAddr::from_inet(&a);
        // SAFETY: the storage holds the sockaddr_in6 just encoded.
        let sin6 = unsafe { raw.storage.as_ptr().cast::<libc::sockaddr_in6>().read() };
        assert_eq!(sin6.sin6_flowinfo, 0x000a_bcde);
    }

    #[test]
    fn unix_round_trip_and_short_lengths() {
        let a = RawAddr::from_unix(b"/tmp/x.sock");
        assert_eq!(a.family(), libc::AF_UNIX);
        assert_eq!(a.unix_path(), Some(&b"/tmp/x.sock"[..]));
        assert_eq!(a.socket_addr(), None);
        let mut b = a;
        b.len = 1; // shorter than the family field
        assert_eq!(b.family(), libc::AF_UNSPEC);
        // a lying length is clamped to the buffer (the whole sun_path written, so all of it is defined)
        let mut c = RawAddr::from_unix(&[b'p'; SUN_PATH_LEN]);
        c.len = 10_000;
        assert_eq!(c.unix_path(), Some(&[b'p'; SUN_PATH_LEN][..]));
    }
}
