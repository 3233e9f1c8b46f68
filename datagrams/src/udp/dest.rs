//! The destination rule, in one place: which address a send, a connect or a transmit goes to, and
//! whether its payload fits.
//!
//! [`UdpSocket::destination`] is the one entry point. Its callers only resolve names into candidate
//! addresses (std's `ToSocketAddrs`, the socket's [`Resolve`]r, tokio's lookup, or a `Transmit`'s
//! one address); the rule then picks the address of the socket's family (an IPv4 address v4-mapped
//! on an IPv6 socket, a v4-mapped address as the IPv4 address it maps on an IPv4 socket), refuses
//! port 0, a link-local IPv6 destination without a scope on a socket tied to no interface, refuses IPv4 on an IPv6-only socket (`IPV6_V6ONLY`), and
//! checks the payload against the limit of the destination's family ([`Family::max_payload`](crate::Family::max_payload)).

use std::io;
use std::net::{IpAddr, SocketAddr, SocketAddrV6, ToSocketAddrs};
use std::sync::atomic::Ordering;

use super::UdpSocket;
use crate::error::invalid_input;
use crate::family::Family;
use crate::resolve::{Resolve, SystemResolver, lookup_error};

// `State::peer_v4`: what the connected peer's family is, as far as this socket knows.
const PEER_UNKNOWN: u8 = 0;
const PEER_V4: u8 = 1;
const PEER_V6: u8 = 2;

/// Whether `to` is an IPv4 destination: plain, or v4-mapped (an IPv6 socket sends to it over IPv4).
#[inline]
pub(crate) fn is_v4(to: &SocketAddr) -> bool {
    match to {
        SocketAddr::V4(_) => true,
        SocketAddr::V6(v6) => v6.ip().to_ipv4_mapped().is_some(),
    }
}

/// The destination rule.
impl UdpSocket {
    /// The address among `candidates` this socket sends a payload of `payload` bytes to (0 for a
    /// connect), by the rule in the module docs.
    ///
    /// # Errors
    /// `InvalidInput` for no candidate, only IPv6 candidates (other than v4-mapped) on an IPv4
    /// socket, port 0, an IPv4 destination on an IPv6-only socket, or a link-local destination
    /// without a scope on a socket tied to no interface; `EMSGSIZE` (the raw OS error)
    /// for a payload above the destination's limit.
    #[inline]
    pub(crate) fn destination(
        &self,
        candidates: impl IntoIterator<Item = SocketAddr>,
        payload: usize,
    ) -> io::Result<SocketAddr> {
        let a = self.pick(candidates)?;
        if a.port() == 0 {
            return Err(invalid_input(format!(
                "destination port 0 is not a valid destination: {a}"
            )));
        }
        if let SocketAddr::V6(v6) = &a {
            if v6.ip().to_ipv4_mapped().is_some() {
                self.refuse_v4_if_v6_only(&a)?;
            } else if v6.scope_id() == 0 && v6.ip().is_unicast_link_local() {
                self.refuse_link_local_without_scope(v6)?;
            }
        }
        self.check_payload(payload, Some(&a))?;
        Ok(a)
    }

    /// The destination of a [`Transmit`](crate::Transmit), by [`destination`](Self::destination):
    /// a link-local destination without a scope takes the transmit's `ifindex` as its scope (the
    /// interface it is sent out of names the link).
    #[inline]
    pub(crate) fn transmit_destination(
        &self,
        t: &crate::Transmit<'_>,
    ) -> io::Result<Option<SocketAddr>> {
        let Some(mut to) = t.destination else {
            // The connected peer: the kernel checks the rest, as for `send`.
            self.check_payload(t.contents.len(), None)?;
            return Ok(None);
        };
        if let (SocketAddr::V6(v6), Some(index)) = (&mut to, t.ifindex)
            && v6.scope_id() == 0
            && v6.ip().is_unicast_link_local()
        {
            v6.set_scope_id(index);
        }
        self.destination([to], t.contents.len()).map(Some)
    }

    /// Whether the connected peer is an IPv4 address (plain, or v4-mapped on an IPv6 socket): it
    /// decides which control messages a transmit without a destination carries. Learned at
    /// `connect`, or asked of the kernel once for a socket connected elsewhere, and every time for
    /// a [`UdpSocketRef`](crate::UdpSocketRef)'s socket, which its owner may connect again behind
    /// dgram's back.
    ///
    /// # Errors
    /// `NotConnected` on a socket that is not connected.
    pub(crate) fn peer_is_v4(&self) -> io::Result<bool> {
        if self.family == Family::V4 {
            return Ok(true);
        }
        let cached = if self.state.lent {
            PEER_UNKNOWN
        } else {
            self.state.peer_v4.load(Ordering::Relaxed)
        };
        match cached {
            PEER_V4 => Ok(true),
            PEER_V6 => Ok(false),
            _ => {
                let peer = self.peer_addr().map_err(|e| match e.raw_os_error() {
                    Some(libc::ENOTCONN) => io::Error::new(
                        io::ErrorKind::NotConnected,
                        "socket is not connected: a transmit without a destination goes to the \
                         connected peer (connect first)",
                    ),
                    _ => e,
                })?;
                let v = if is_v4(&peer) { PEER_V4 } else { PEER_V6 };
                // Only over "not known": a `connect` racing this one has the newer answer.
                let _ = self.state.peer_v4.compare_exchange(
                    PEER_UNKNOWN,
                    v,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                Ok(v == PEER_V4)
            }
        }
    }

    /// Records the peer `connect` set (`None`: the association is dissolved).
    pub(crate) fn note_peer(&self, peer: Option<&SocketAddr>) {
        let v = match peer {
            None => PEER_UNKNOWN,
            Some(a) if is_v4(a) => PEER_V4,
            Some(_) => PEER_V6,
        };
        self.state.peer_v4.store(v, Ordering::Relaxed);
    }

    /// The candidate addresses of `addr`, resolved by std (`getaddrinfo` for a host name).
    ///
    /// # Errors
    /// `NotFound` when a host name does not resolve.
    #[inline]
    pub(crate) fn resolve(
        &self,
        addr: impl ToSocketAddrs,
    ) -> io::Result<impl Iterator<Item = SocketAddr>> {
        addr.to_socket_addrs()
            .map_err(|e| lookup_error(&"the destination", e))
    }

    /// The candidate addresses of `host`:`port`: a literal IP address as it is, a host name through
    /// the socket's resolver (the [`SystemResolver`] unless the builder set one).
    ///
    /// # Errors
    /// Whatever the resolver reports.
    pub(crate) fn resolve_host(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        match host.parse::<IpAddr>() {
            Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
            Err(_) => match &self.resolver {
                Some(r) => r.resolve(host, port, self.family),
                None => SystemResolver.resolve(host, port, self.family),
            },
        }
    }

    /// The address to bind among `candidates`: the first of the socket's family (an IPv4 one
    /// v4-mapped on an IPv6 socket when no IPv6 one is offered). Port 0 is allowed: it asks the
    /// kernel for an ephemeral port.
    ///
    /// # Errors
    /// As [`destination`](Self::destination) for the family.
    pub(crate) fn bind_address(
        &self,
        candidates: impl IntoIterator<Item = SocketAddr>,
    ) -> io::Result<SocketAddr> {
        self.pick(candidates)
    }

    /// `EMSGSIZE` when `len` bytes are more than one UDP datagram to `to` can carry (the socket's
    /// family when `to` is `None`: a connected send, whose v4-mapped peer on an IPv6 socket the
    /// kernel then refuses with the same `EMSGSIZE`).
    #[inline]
    pub(crate) fn check_payload(&self, len: usize, to: Option<&SocketAddr>) -> io::Result<()> {
        // Below IPv4's limit every destination fits: the common case asks nothing of the family.
        if len <= Family::V4.max_payload() {
            return Ok(());
        }
        self.check_large_payload(len, to)
    }

    #[cold]
    fn check_large_payload(&self, len: usize, to: Option<&SocketAddr>) -> io::Result<()> {
        // The destination decides: an IPv4 (or v4-mapped) destination carries IPv4's limit.
        let family = match to {
            Some(SocketAddr::V4(_)) => Family::V4,
            Some(SocketAddr::V6(v6)) if v6.ip().to_ipv4_mapped().is_some() => Family::V4,
            Some(SocketAddr::V6(_)) => Family::V6,
            None => self.family,
        };
        if len > family.max_payload() {
            return Err(oversize());
        }
        Ok(())
    }

    /// `InvalidInput` for an IPv4 destination (plain or v4-mapped) on an IPv6-only socket
    /// (`IPV6_V6ONLY`), which the kernel could only refuse with a bare `ENETUNREACH`.
    #[cold]
    fn refuse_v4_if_v6_only(&self, a: &SocketAddr) -> io::Result<()> {
        if self.is_v6_only()? {
            return Err(invalid_input(format!(
                "IPv4 destination {a} cannot be used on an IPv6-only socket (IPV6_V6ONLY)"
            )));
        }
        Ok(())
    }

    /// `InvalidInput` for a link-local destination (`fe80::/10`) without a scope (`%iface`), unless
    /// the socket is tied to an interface (`SO_BINDTODEVICE`, or a bind to a scoped link-local
    /// address): the kernel would send it on whichever link it finds first, the wrong one on a
    /// multi-homed host, silently (a `connect` gets a bare `EINVAL`).
    #[cold]
    fn refuse_link_local_without_scope(&self, a: &SocketAddrV6) -> io::Result<()> {
        if self.inner.device()?.is_some() {
            return Ok(());
        }
        Err(invalid_input(format!(
            "link-local destination {a} has no scope: name its interface, as in [{}%eth0]:{}",
            a.ip(),
            a.port()
        )))
    }

    /// Whether `IPV6_V6ONLY` is on, asked of the kernel once and then remembered.
    pub(crate) fn is_v6_only(&self) -> io::Result<bool> {
        match self.state.v6only.load(Ordering::Relaxed) {
            1 => Ok(false),
            2 => Ok(true),
            _ => {
                let on = self.inner.only_v6()?;
                self.state
                    .v6only
                    .store(if on { 2 } else { 1 }, Ordering::Relaxed);
                Ok(on)
            }
        }
    }

    /// The first address of the socket's family; on an IPv6 socket an IPv4 address, v4-mapped, when
    /// no IPv6 one is offered.
    #[inline]
    fn pick(&self, candidates: impl IntoIterator<Item = SocketAddr>) -> io::Result<SocketAddr> {
        let mut mapped = None;
        let mut other = None;
        for a in candidates {
            match (self.family, a) {
                (Family::V4, SocketAddr::V4(_)) | (Family::V6, SocketAddr::V6(_)) => return Ok(a),
                (Family::V6, SocketAddr::V4(v4)) => {
                    mapped.get_or_insert(SocketAddr::V6(SocketAddrV6::new(
                        v4.ip().to_ipv6_mapped(),
                        v4.port(),
                        0,
                        0,
                    )));
                }
                // `::ffff:a.b.c.d` names `a.b.c.d`: the form in which a dual-stack socket reports
                // its IPv4 peers, so that a reply can come from an IPv4 socket.
                (Family::V4, SocketAddr::V6(v6)) => match v6.ip().to_ipv4_mapped() {
                    Some(ip) => return Ok(SocketAddr::new(IpAddr::V4(ip), v6.port())),
                    None => {
                        other.get_or_insert(a);
                    }
                },
            }
        }
        if let Some(m) = mapped {
            return Ok(m);
        }
        Err(match other {
            Some(a) => invalid_input(format!("IPv6 address {a} cannot be used on an IPv4 socket")),
            None => invalid_input("the address resolved to no address"),
        })
    }
}

/// A payload too large for one datagram: `EMSGSIZE`, the error the kernel gives for the same
/// condition, so that one check (`raw_os_error() == Some(EMSGSIZE)`) serves every path.
fn oversize() -> io::Error {
    io::Error::from_raw_os_error(libc::EMSGSIZE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const V4_MAX: usize = crate::MAX_PAYLOAD_V4;
    const V6_MAX: usize = crate::MAX_PAYLOAD_V6;
    /// In the table: the payload is refused with the raw OS error `EMSGSIZE`.
    const EMSGSIZE: &str = "EMSGSIZE";

    fn v4(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// The rule as a table: socket (family, IPv6-only), candidates, payload -> the destination, or
    /// `InvalidInput` whose message contains the given words.
    #[test]
    fn the_destination_rule() {
        let mapped = |s: &str| {
            let a: std::net::SocketAddrV4 = s.parse().unwrap();
            SocketAddr::V6(SocketAddrV6::new(a.ip().to_ipv6_mapped(), a.port(), 0, 0))
        };
        type Case = (
            Family,
            bool,
            Vec<SocketAddr>,
            usize,
            Result<SocketAddr, &'static str>,
        );
        let cases: Vec<Case> = vec![
            // The socket's family, first match wins.
            (
                Family::V4,
                false,
                vec![v4("127.0.0.1:9")],
                0,
                Ok(v4("127.0.0.1:9")),
            ),
            (Family::V6, false, vec![v4("[::1]:9")], 0, Ok(v4("[::1]:9"))),
            (
                Family::V4,
                false,
                vec![v4("[::1]:9"), v4("127.0.0.1:7")],
                0,
                Ok(v4("127.0.0.1:7")),
            ),
            (
                Family::V6,
                false,
                vec![v4("127.0.0.1:7"), v4("[::1]:9")],
                0,
                Ok(v4("[::1]:9")),
            ),
            // IPv4 on an IPv6 socket: v4-mapped, unless the socket is IPv6-only.
            (
                Family::V6,
                false,
                vec![v4("127.0.0.1:7")],
                0,
                Ok(mapped("127.0.0.1:7")),
            ),
            (
                Family::V6,
                true,
                vec![v4("127.0.0.1:7")],
                0,
                Err("IPV6_V6ONLY"),
            ),
            (
                Family::V6,
                true,
                vec![mapped("127.0.0.1:7")],
                0,
                Err("IPV6_V6ONLY"),
            ),
            // IPv6 on an IPv4 socket, nothing at all, port 0.
            (
                Family::V4,
                false,
                vec![v4("[::1]:9")],
                0,
                Err("cannot be used on an IPv4 socket"),
            ),
            (Family::V4, false, vec![], 0, Err("resolved to no address")),
            (Family::V4, false, vec![v4("127.0.0.1:0")], 0, Err("port 0")),
            (Family::V6, false, vec![v4("127.0.0.1:0")], 0, Err("port 0")),
            // A link-local destination needs its interface.
            (
                Family::V6,
                false,
                vec![v4("[fe80::b]:9")],
                0,
                Err("has no scope"),
            ),
            (
                Family::V6,
                false,
                vec![v4("[fe80::b%1]:9")],
                0,
                Ok(v4("[fe80::b%1]:9")),
            ),
            // The payload limit is the destination's family's.
            (
                Family::V4,
                false,
                vec![v4("127.0.0.1:9")],
                V4_MAX,
                Ok(v4("127.0.0.1:9")),
            ),
            (
                Family::V4,
                false,
                vec![v4("127.0.0.1:9")],
                V4_MAX + 1,
                Err(EMSGSIZE),
            ),
            (
                Family::V6,
                false,
                vec![v4("[::1]:9")],
                V6_MAX,
                Ok(v4("[::1]:9")),
            ),
            (
                Family::V6,
                false,
                vec![v4("[::1]:9")],
                V6_MAX + 1,
                Err(EMSGSIZE),
            ),
            (
                Family::V6,
                false,
                vec![v4("127.0.0.1:9")],
                V4_MAX + 1,
                Err(EMSGSIZE),
            ),
        ];
        for (family, only_v6, candidates, payload, want) in cases {
            let sock = UdpSocket::unbound(family).unwrap();
            if family == Family::V6 {
                sock.set_only_v6(only_v6).unwrap();
            }
            let got = sock.destination(candidates.clone(), payload);
            let case = format!("{family:?} only_v6={only_v6} {candidates:?} {payload} B");
            match (got, want) {
                (Ok(a), Ok(w)) => assert_eq!(a, w, "{case}"),
                (Err(e), Err(EMSGSIZE)) => {
                    assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{case}: {e}");
                }
                (Err(e), Err(words)) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{case}: {e}");
                    assert!(e.to_string().contains(words), "{case}: {e} lacks {words:?}");
                }
                (got, want) => panic!("{case}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn a_bind_address_may_have_port_0_and_is_v4_mapped_on_ipv6() {
        let sock = UdpSocket::unbound(Family::V6).unwrap();
        let a = sock
            .bind_address([SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0)])
            .unwrap();
        assert_eq!(a.ip(), IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()));
        assert_eq!(a.port(), 0);
        let v4 = UdpSocket::unbound(Family::V4).unwrap();
        let e = v4
            .bind_address([SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0)])
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_connected_payload_is_checked_against_the_socket_family() {
        let v4 = UdpSocket::unbound(Family::V4).unwrap();
        assert!(v4.check_payload(V4_MAX, None).is_ok());
        assert_eq!(
            v4.check_payload(V4_MAX + 1, None)
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EMSGSIZE)
        );
        let v6 = UdpSocket::unbound(Family::V6).unwrap();
        assert!(v6.check_payload(V6_MAX, None).is_ok());
        assert_eq!(
            v6.check_payload(V6_MAX + 1, None)
                .unwrap_err()
                .raw_os_error(),
            Some(libc::EMSGSIZE)
        );
    }
}
