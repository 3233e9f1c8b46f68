//! Address families of IP sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The largest UDP payload over IPv4 in bytes: 65,535 less the 20-byte IP and 8-byte UDP headers.
pub const MAX_PAYLOAD_V4: usize = 65_507;
/// The largest UDP payload over IPv6 in bytes (no jumbograms): 65,535 less the 8-byte UDP header.
pub const MAX_PAYLOAD_V6: usize = 65_527;

/// The address family of an IP socket: Node's `'udp4'`/`'udp6'`, Racket's family hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    V4,
    /// IPv6 (`AF_INET6`); with `IPV6_V6ONLY` off it also carries IPv4 as `::ffff:a.b.c.d`.
    V6,
}

impl Family {
    /// The family of `addr`.
    pub fn of(addr: &SocketAddr) -> Family {
        match addr {
            SocketAddr::V4(_) => Family::V4,
            SocketAddr::V6(_) => Family::V6,
        }
    }

    /// The wildcard address of the family (`0.0.0.0` or `::`).
    pub fn unspecified(self) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// The loopback address of the family (`127.0.0.1` or `::1`).
    pub fn loopback(self) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Family::V6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        }
    }

    /// The largest UDP payload in bytes that one datagram of this family can carry
    /// ([`MAX_PAYLOAD_V4`] or [`MAX_PAYLOAD_V6`]).
    pub const fn max_payload(self) -> usize {
        match self {
            Family::V4 => MAX_PAYLOAD_V4,
            Family::V6 => MAX_PAYLOAD_V6,
        }
    }

    pub(crate) fn domain(self) -> socket2::Domain {
        match self {
            Family::V4 => socket2::Domain::IPV4,
            Family::V6 => socket2::Domain::IPV6,
        }
    }
}
