//! Socket addresses as the kernel sees them: one `sockaddr_storage` codec for IPv4, IPv6 and Unix.

use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A `sockaddr_storage` and its length: the buffer every address-carrying syscall reads or fills.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
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
        // SAFETY: `sockaddr_storage` is plain old data: all-zero bytes are a valid value.
        let storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        RawAddr {
            storage,
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    /// The address family (`AF_INET`, `AF_INET6`, `AF_UNIX`, `AF_UNSPEC`).
    #[inline]
    pub(crate) fn family(&self) -> libc::c_int {
        if (self.len as usize) < mem::size_of::<libc::sa_family_t>() {
            return libc::AF_UNSPEC;
        }
        libc::c_int::from(self.storage.ss_family)
    }

    /// An `AF_UNSPEC` address: `connect(2)` with it dissolves a datagram association.
    pub(crate) fn unspec() -> Self {
        let mut a = Self::empty();
        a.storage.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
        a.len = mem::size_of::<libc::sa_family_t>() as libc::socklen_t;
        a
    }

    /// Encodes an IP socket address.
    #[inline]
    pub(crate) fn from_inet(addr: &SocketAddr) -> Self {
        let mut a = Self::empty();
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
                // SAFETY: `sockaddr_storage` is larger than and aligned for every sockaddr type; we write
                // one `sockaddr_in` at its start.
                unsafe { (&raw mut a.storage).cast::<libc::sockaddr_in>().write(sin) };
                a.len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
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
                // SAFETY: as above, for one `sockaddr_in6`.
                unsafe {
                    (&raw mut a.storage)
                        .cast::<libc::sockaddr_in6>()
                        .write(sin6)
                };
                a.len = mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        a
    }

    /// Decodes an IP socket address; `None` for any other family or a short length.
    #[inline]
    pub(crate) fn socket_addr(&self) -> Option<SocketAddr> {
        let len = self.len as usize;
        match self.family() {
            libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
                // SAFETY: the family says the storage holds a `sockaddr_in` and the length covers it.
                let sin = unsafe { (&raw const self.storage).cast::<libc::sockaddr_in>().read() };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
                // SAFETY: the family says the storage holds a `sockaddr_in6` and the length covers it.
                let sin6 = unsafe {
                    (&raw const self.storage)
                        .cast::<libc::sockaddr_in6>()
                        .read()
                };
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

    /// Encodes a Unix address from the bytes of `sun_path` (for an abstract name, a leading NUL and the
    /// name; empty for unnamed). The caller has checked that `path` fits [`SUN_PATH_LEN`].
    pub(crate) fn from_unix(path: &[u8]) -> Self {
        let mut a = Self::empty();
        let n = path.len().min(SUN_PATH_LEN);
        // SAFETY: `sockaddr_storage` is larger than and aligned for `sockaddr_un`; all-zero bytes are a
        // valid `sockaddr_un`, so viewing the zeroed storage as one is sound.
        let sun = unsafe { &mut *(&raw mut a.storage).cast::<libc::sockaddr_un>() };
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (dst, src) in sun.sun_path.iter_mut().zip(&path[..n]) {
            *dst = *src as libc::c_char;
        }
        a.len = (SUN_PATH_OFFSET + n) as libc::socklen_t;
        a
    }

    /// The bytes of `sun_path` that the length covers, for an `AF_UNIX` address; `None` otherwise.
    ///
    /// The length is clamped to the buffer, so a kernel-reported length beyond it cannot overrun.
    pub(crate) fn unix_path(&self) -> Option<&[u8]> {
        if self.family() != libc::AF_UNIX {
            return None;
        }
        let len = (self.len as usize).clamp(SUN_PATH_OFFSET, SUN_PATH_OFFSET + SUN_PATH_LEN);
        // SAFETY: the family says the storage holds a `sockaddr_un`, and the storage is large enough for
        // one whatever the length says.
        let sun = unsafe { &*(&raw const self.storage).cast::<libc::sockaddr_un>() };
        let path = &sun.sun_path[..len - SUN_PATH_OFFSET];
        // SAFETY: `c_char` and `u8` have the same size and alignment; the slice is in bounds.
        Some(unsafe { std::slice::from_raw_parts(path.as_ptr().cast::<u8>(), path.len()) })
    }

    #[inline]
    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (&raw const self.storage).cast()
    }

    #[inline]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        (&raw mut self.storage).cast()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_round_trip() {
        for s in ["127.0.0.1:5353", "[::1]:9", "[fe80::1%2]:443", "0.0.0.0:0"] {
            let a: SocketAddr = s.parse().unwrap();
            assert_eq!(RawAddr::from_inet(&a).socket_addr(), Some(a));
        }
        // flowinfo is carried as std carries it (no byte swap), so both agree on the wire
        let a = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 1, 0x000a_bcde, 0));
        let raw = RawAddr::from_inet(&a);
        // SAFETY: the storage holds the sockaddr_in6 just encoded.
        let sin6 = unsafe { (&raw const raw.storage).cast::<libc::sockaddr_in6>().read() };
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
        let mut c = a;
        c.len = 10_000; // a lying length is clamped to the buffer
        assert_eq!(c.unix_path().map(<[u8]>::len), Some(SUN_PATH_LEN));
    }
}
