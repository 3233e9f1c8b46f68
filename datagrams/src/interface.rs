//! Network interfaces as multicast calls name them: any, by index, by name, or (IPv4) by address.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use crate::error::invalid_input;

/// The interface a multicast membership or send uses.
///
/// Parses `eth0` (a name), `2` (an index), `10.0.0.2` (an IPv4 address of the interface), and Node's
/// scope syntax `::%eth1` / `::%2`; the empty string, `any`, `0.0.0.0` and `::` mean any (the kernel
/// chooses by routing).
///
/// # Examples
/// ```
/// use datagrams::Interface;
/// assert_eq!("::%lo".parse::<Interface>()?, Interface::Name("lo".into()));
/// assert_eq!("::%2".parse::<Interface>()?, Interface::Index(2));
/// assert_eq!("10.0.0.2".parse::<Interface>()?, Interface::Addr([10, 0, 0, 2].into()));
/// assert_eq!("".parse::<Interface>()?, Interface::Any);
/// assert_eq!(Interface::Name("lo".into()).index()?, 1); // loopback is index 1 on Linux
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Interface {
    /// Let the kernel choose (index 0, `INADDR_ANY`).
    #[default]
    Any,
    /// An interface index, as `ip link` shows it.
    Index(u32),
    /// An interface name (`eth0`), resolved with `if_nametoindex(3)` when used.
    Name(String),
    /// An IPv4 address of the interface (`ip_mreqn.imr_address`); IPv4 calls only.
    Addr(Ipv4Addr),
}

impl Interface {
    /// The interface with IPv4 address `addr`, or [`Interface::Any`] for `0.0.0.0` (the form of
    /// std's and tokio's `join_multicast_v4`).
    pub fn of_v4(addr: Ipv4Addr) -> Interface {
        if addr.is_unspecified() {
            Interface::Any
        } else {
            Interface::Addr(addr)
        }
    }

    /// The interface of index `index`, or [`Interface::Any`] for 0 (the form of std's and tokio's
    /// `join_multicast_v6`).
    pub fn of_index(index: u32) -> Interface {
        if index == 0 {
            Interface::Any
        } else {
            Interface::Index(index)
        }
    }

    /// The interface index: 0 for [`Interface::Any`].
    ///
    /// # Errors
    /// `NotFound` naming the interface when no interface has that name; `InvalidInput` for
    /// [`Interface::Addr`], which has no index without a lookup (use it with IPv4 calls only).
    pub fn index(&self) -> io::Result<u32> {
        match self {
            Interface::Any => Ok(0),
            Interface::Index(i) => Ok(*i),
            Interface::Name(n) => crate::sys::sockopt::if_nametoindex(n),
            Interface::Addr(a) => Err(invalid_input(format!(
                "interface address {a} names an interface for IPv4 calls only; give a name or an index"
            ))),
        }
    }
}

impl Interface {
    /// The interface's name (`eth0`), as `ip link` shows it: the name itself for
    /// [`Interface::Name`], the kernel's name for an index (`if_indextoname(3)`), `None` for
    /// [`Interface::Any`] and [`Interface::Addr`] (which name no interface without a lookup).
    ///
    /// A scoped IPv6 address (`fe80::1%2`) carries an index; this turns it into the name people
    /// read (`fe80::1%eth0`).
    ///
    /// # Errors
    /// `NotFound` naming the index when no interface has it; `InvalidData` when its name is not
    /// UTF-8 (the kernel allows such names; the message shows it escaped); any other failure of
    /// `if_indextoname(3)` as the OS reports it.
    ///
    /// # Examples
    /// ```
    /// use datagrams::Interface;
    /// assert_eq!(Interface::Index(1).name()?.as_deref(), Some("lo")); // loopback is index 1 on Linux
    /// assert_eq!(Interface::Any.name()?, None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "if_indextoname")]
    pub fn name(&self) -> io::Result<Option<String>> {
        match self {
            Interface::Any | Interface::Addr(_) => Ok(None),
            Interface::Name(n) => Ok(Some(n.clone())),
            Interface::Index(i) => {
                let name = crate::sys::sockopt::if_indextoname(*i)?;
                String::from_utf8(name).map(Some).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the name of interface {i} is not UTF-8: \"{}\"",
                            crate::escape_bytes(e.as_bytes())
                        ),
                    )
                })
            }
        }
    }

    /// The kernel's `ENODEV` for a call that named this interface, as `NotFound` naming it (std leaves
    /// `ENODEV` uncategorised); any other error as it is.
    pub(crate) fn explain(&self, e: io::Error) -> io::Error {
        if e.raw_os_error() == Some(libc::ENODEV) {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no interface {self} on this host (ENODEV)"),
            )
        } else {
            e
        }
    }
}

impl FromStr for Interface {
    type Err = io::Error;

    fn from_str(s: &str) -> io::Result<Interface> {
        // Node's scope syntax: "::%eth1", "::%2": an IPv6 address (or nothing) before the `%`, and a
        // non-empty scope after it.
        let s = match s.split_once('%') {
            Some((addr, scope))
                if (addr.is_empty() || addr.parse::<std::net::Ipv6Addr>().is_ok())
                    && !scope.is_empty()
                    && !scope.contains('%') =>
            {
                scope
            }
            Some(_) => {
                return Err(invalid_input(format!(
                    "{s:?} is not an interface: with a %, write an IPv6 address and a scope \
                     (\"::%eth1\", \"::%2\")"
                )));
            }
            None => s,
        };
        if s.is_empty() || s == "any" {
            return Ok(Interface::Any);
        }
        if let Ok(i) = s.parse::<u32>() {
            return Ok(if i == 0 {
                Interface::Any
            } else {
                Interface::Index(i)
            });
        }
        match s.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) if a.is_unspecified() => Ok(Interface::Any),
            Ok(IpAddr::V4(a)) => Ok(Interface::Addr(a)),
            Ok(IpAddr::V6(a)) if a.is_unspecified() => Ok(Interface::Any),
            Ok(IpAddr::V6(a)) => Err(invalid_input(format!(
                "{a} does not name an interface: give a name, an index, or an IPv4 address"
            ))),
            Err(_) => Ok(Interface::Name(s.to_string())),
        }
    }
}

impl fmt::Display for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interface::Any => f.write_str("any"),
            Interface::Index(i) => write!(f, "{i}"),
            Interface::Name(n) => f.write_str(n),
            Interface::Addr(a) => write!(f, "{a}"),
        }
    }
}

impl From<u32> for Interface {
    fn from(index: u32) -> Interface {
        if index == 0 {
            Interface::Any
        } else {
            Interface::Index(index)
        }
    }
}

impl From<Ipv4Addr> for Interface {
    fn from(a: Ipv4Addr) -> Interface {
        if a.is_unspecified() {
            Interface::Any
        } else {
            Interface::Addr(a)
        }
    }
}
