//! The multicast part of `UdpSocket`: any-source and source-specific membership, source blocking, the
//! outgoing interface, loopback, TTL/hops and `IP_MULTICAST_ALL` (RFC 1112, RFC 3376/3810, RFC 3678).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsFd;

use super::UdpSocket;
use crate::Family;
use crate::error::{check_range, invalid_input};
use crate::interface::Interface;
use crate::sys::sockopt::{self, set_struct};

fn in_addr(a: Ipv4Addr) -> libc::in_addr {
    libc::in_addr {
        s_addr: u32::from_ne_bytes(a.octets()),
    }
}

fn check_group(group: IpAddr) -> io::Result<()> {
    if group.is_multicast() {
        Ok(())
    } else {
        Err(invalid_input(format!("{group} is not a multicast group")))
    }
}

fn check_source(source: IpAddr) -> io::Result<()> {
    let not_unicast = match source {
        IpAddr::V4(v4) => v4.is_broadcast(),
        // An IPv4 sender's datagrams reach an IPv6 group from no v4-mapped source.
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
    };
    if not_unicast || source.is_multicast() || source.is_unspecified() {
        Err(invalid_input(format!(
            "{source} is not a unicast source address"
        )))
    } else {
        Ok(())
    }
}

/// IPv4 multicast (`IPPROTO_IP`). These also work on an IPv6 socket, for IPv4 traffic.
impl UdpSocket {
    /// Joins `multiaddr` on the interface whose IPv4 address is `interface` (`0.0.0.0`: the kernel
    /// chooses by its routes), with std's signature (`std::net::UdpSocket::join_multicast_v4`), so
    /// code written for std's socket compiles. [`join_multicast_v4_n`](Self::join_multicast_v4_n)
    /// takes the interface by name or index too.
    ///
    /// # Errors
    /// As [`join_multicast_v4_n`](Self::join_multicast_v4_n).
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::UdpSocket;
    /// let s = UdpSocket::bind("0.0.0.0:0")?;
    /// let group = Ipv4Addr::new(239, 1, 2, 3);
    /// s.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?; // on lo, by its address
    /// s.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_ADD_MEMBERSHIP")]
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.join_multicast_v4_n(*multiaddr, &Interface::of_v4(*interface))
    }

    /// Leaves `multiaddr` on the interface whose IPv4 address is `interface`, with std's
    /// signature.
    ///
    /// # Errors
    /// As [`leave_multicast_v4_n`](Self::leave_multicast_v4_n).
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::UdpSocket;
    ///
    /// let s = UdpSocket::bind("0.0.0.0:0")?;
    /// let group = Ipv4Addr::new(239, 1, 2, 4);
    /// s.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// s.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// let e = s.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_DROP_MEMBERSHIP")]
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.leave_multicast_v4_n(*multiaddr, &Interface::of_v4(*interface))
    }

    /// Joins `group` on `iface` (`IP_ADD_MEMBERSHIP` with `ip_mreqn`; Node's `addMembership`, Racket's
    /// `udp-multicast-join-group!`): the socket then receives what is sent to the group on its port.
    /// The interface is any [`Interface`]: by name, index or address, or [`Interface::Any`].
    ///
    /// # Errors
    /// `InvalidInput` when `group` is not multicast, or on an IPv6-only socket (`IPV6_V6ONLY`), which
    /// receives no IPv4; `NotFound` for an unknown interface name or index; `AddrInUse` when already
    /// joined there; `ENODEV` when the interface has no IPv4 address.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0")?;
    /// let group = Ipv4Addr::new(239, 255, 0, 3);
    /// sock.join_multicast_v4_n(group, &Interface::Name("lo".into()))?;
    /// sock.leave_multicast_v4_n(group, &Interface::Name("lo".into()))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_ADD_MEMBERSHIP")]
    pub fn join_multicast_v4_n(&self, group: Ipv4Addr, iface: &Interface) -> io::Result<()> {
        self.refuse_if_v6_only("IP_ADD_MEMBERSHIP")?;
        self.mreqn(libc::IP_ADD_MEMBERSHIP, group, iface)
    }

    /// Leaves `group` on `iface` (`IP_DROP_MEMBERSHIP`; Node's `dropMembership`). Give the interface
    /// that was joined.
    ///
    /// # Errors
    /// As [`join_multicast_v4_n`](Self::join_multicast_v4_n); the kernel's `EADDRNOTAVAIL`
    /// (`AddrNotAvailable`) passes through when the group was never joined.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group = Ipv4Addr::new(239, 255, 0, 5);
    /// let lo = Interface::Name("lo".into());
    /// let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    /// rx.join_multicast_v4_n(group, &lo)?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_multicast_interface_v4(&lo)?;
    /// tx.send_to(b"member", (group, rx.local_addr()?.port()))?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv(&mut buf)?, 6);
    /// rx.leave_multicast_v4_n(group, &lo)?;
    /// let e = rx.leave_multicast_v4_n(group, &lo).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_DROP_MEMBERSHIP")]
    pub fn leave_multicast_v4_n(&self, group: Ipv4Addr, iface: &Interface) -> io::Result<()> {
        self.mreqn(libc::IP_DROP_MEMBERSHIP, group, iface)
    }

    /// Joins `group` for datagrams from `source` only (source-specific multicast, RFC 4607;
    /// `IP_ADD_SOURCE_MEMBERSHIP` or `MCAST_JOIN_SOURCE_GROUP`; Node's `addSourceSpecificMembership`,
    /// Lua's `mcastjoinsrc`).
    ///
    /// # Errors
    /// `InvalidInput` when `group` is not multicast or `source` is not unicast, or on an IPv6-only
    /// socket (`IPV6_V6ONLY`), which receives no IPv4; `NotFound` for an unknown interface name; the
    /// kernel's errors intact.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group = Ipv4Addr::new(232, 1, 1, 1); // the source-specific range, 232/8
    /// let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    /// let lo = Interface::Addr(Ipv4Addr::LOCALHOST);
    /// rx.join_ssm_v4(group, Ipv4Addr::LOCALHOST, &lo)?; // only what 127.0.0.1 sends to the group
    ///
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_multicast_interface_v4(&lo)?;
    /// tx.send_to(b"from the source", (group, rx.local_addr()?.port()))?;
    /// let mut buf = [0u8; 32];
    /// let (n, from) = rx.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"from the source"[..], tx.local_addr()?));
    /// rx.leave_ssm_v4(group, Ipv4Addr::LOCALHOST, &lo)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_ADD_SOURCE_MEMBERSHIP")]
    #[doc(alias = "MCAST_JOIN_SOURCE_GROUP")]
    pub fn join_ssm_v4(
        &self,
        group: Ipv4Addr,
        source: Ipv4Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.refuse_if_v6_only("IP_ADD_SOURCE_MEMBERSHIP")?;
        self.source_op_v4(
            libc::IP_ADD_SOURCE_MEMBERSHIP,
            libc::MCAST_JOIN_SOURCE_GROUP,
            group,
            source,
            iface,
        )
    }

    /// Leaves a source-specific membership (`IP_DROP_SOURCE_MEMBERSHIP`, `MCAST_LEAVE_SOURCE_GROUP`;
    /// Lua's `mcastleavesrc`).
    ///
    /// # Errors
    /// As [`join_ssm_v4`](Self::join_ssm_v4); `AddrNotAvailable` (the kernel's `EADDRNOTAVAIL`)
    /// when `group` is joined but not from `source`; `InvalidInput` (the kernel's `EINVAL`) when
    /// `group` is not joined (leaving a membership's last source leaves the group).
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group = Ipv4Addr::new(232, 1, 1, 2);
    /// let lo = Interface::Addr(Ipv4Addr::LOCALHOST);
    /// let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    /// rx.join_ssm_v4(group, Ipv4Addr::LOCALHOST, &lo)?;
    /// let other = Ipv4Addr::new(192, 0, 2, 1);
    /// let e = rx.leave_ssm_v4(group, other, &lo).unwrap_err(); // joined, but not from `other`
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// rx.leave_ssm_v4(group, Ipv4Addr::LOCALHOST, &lo)?; // its last source: the group is left
    /// let e = rx.leave_ssm_v4(group, Ipv4Addr::LOCALHOST, &lo).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_DROP_SOURCE_MEMBERSHIP")]
    pub fn leave_ssm_v4(
        &self,
        group: Ipv4Addr,
        source: Ipv4Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v4(
            libc::IP_DROP_SOURCE_MEMBERSHIP,
            libc::MCAST_LEAVE_SOURCE_GROUP,
            group,
            source,
            iface,
        )
    }

    /// Stops receiving `group`'s datagrams from `source`, in an any-source membership
    /// (`IP_BLOCK_SOURCE`, `MCAST_BLOCK_SOURCE`; Lua's `mcastblocksrc`).
    ///
    /// # Errors
    /// As [`join_ssm_v4`](Self::join_ssm_v4); `EINVAL` when the group is not joined.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group = Ipv4Addr::new(239, 255, 0, 6);
    /// let lo = Interface::Addr(Ipv4Addr::LOCALHOST);
    /// let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    /// rx.join_multicast_v4_n(group, &lo)?; // any source
    /// let to = (group, rx.local_addr()?.port());
    /// let noisy = UdpSocket::bind("127.0.0.2:0")?; // every 127/8 address is lo's
    /// noisy.set_multicast_interface_v4(&lo)?;
    /// let quiet = UdpSocket::bind("127.0.0.1:0")?;
    /// quiet.set_multicast_interface_v4(&lo)?;
    ///
    /// rx.block_source_v4(group, Ipv4Addr::new(127, 0, 0, 2), &lo)?;
    /// noisy.send_to(b"blocked", to)?;
    /// quiet.send_to(b"heard", to)?;
    /// let mut buf = [0u8; 16];
    /// let (n, from) = rx.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"heard"[..], quiet.local_addr()?)); // nothing from 127.0.0.2
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_BLOCK_SOURCE")]
    pub fn block_source_v4(
        &self,
        group: Ipv4Addr,
        source: Ipv4Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v4(
            libc::IP_BLOCK_SOURCE,
            libc::MCAST_BLOCK_SOURCE,
            group,
            source,
            iface,
        )
    }

    /// Receives `group`'s datagrams from `source` again (`IP_UNBLOCK_SOURCE`, `MCAST_UNBLOCK_SOURCE`;
    /// Lua's `mcastunblocksrc`).
    ///
    /// # Errors
    /// As [`block_source_v4`](Self::block_source_v4); `AddrNotAvailable` (the kernel's
    /// `EADDRNOTAVAIL`) when `source` is not blocked.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group = Ipv4Addr::new(239, 255, 0, 7);
    /// let lo = Interface::Addr(Ipv4Addr::LOCALHOST);
    /// let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    /// rx.join_multicast_v4_n(group, &lo)?;
    /// let source = Ipv4Addr::LOCALHOST;
    /// rx.block_source_v4(group, source, &lo)?;
    /// rx.unblock_source_v4(group, source, &lo)?; // heard again
    /// let tx = UdpSocket::bind((source, 0))?;
    /// tx.set_multicast_interface_v4(&lo)?;
    /// tx.send_to(b"again", (group, rx.local_addr()?.port()))?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv_from(&mut buf)?, (5, tx.local_addr()?));
    /// let e = rx.unblock_source_v4(group, source, &lo).unwrap_err(); // not blocked now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_UNBLOCK_SOURCE")]
    pub fn unblock_source_v4(
        &self,
        group: Ipv4Addr,
        source: Ipv4Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v4(
            libc::IP_UNBLOCK_SOURCE,
            libc::MCAST_UNBLOCK_SOURCE,
            group,
            source,
            iface,
        )
    }

    /// Sends multicast out of `iface` (`IP_MULTICAST_IF` with `ip_mreqn`: by address or index;
    /// Node's `setMulticastInterface`, Racket's `udp-multicast-set-interface!`). `Interface::Any` lets
    /// routing choose again.
    ///
    /// # Errors
    /// `NotFound` for an unknown interface name or index; `InvalidInput` on an IPv6-only socket
    /// (`IPV6_V6ONLY`), which sends no IPv4; the kernel's errors intact.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0")?;
    /// sock.set_multicast_interface_v4(&Interface::Name("lo".into()))?;
    /// assert_eq!(sock.multicast_interface_v4()?, Interface::Index(1));
    /// sock.set_multicast_interface_v4(&Interface::Addr(Ipv4Addr::LOCALHOST))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MULTICAST_IF")]
    pub fn set_multicast_interface_v4(&self, iface: &Interface) -> io::Result<()> {
        self.refuse_if_v6_only("IP_MULTICAST_IF")?;
        self.mreqn(libc::IP_MULTICAST_IF, Ipv4Addr::UNSPECIFIED, iface)?;
        let index = match iface {
            Interface::Index(_) | Interface::Name(_) => iface.index()?,
            Interface::Any | Interface::Addr(_) => 0,
        };
        self.state
            .multicast_if_v4
            .store(index, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The interface outgoing IPv4 multicast leaves by (`IP_MULTICAST_IF`): [`Interface::Addr`]
    /// when it was chosen by address, [`Interface::Index`] when by index or name through this
    /// socket, [`Interface::Any`] when routing chooses.
    ///
    /// The kernel reports only an address for this option (`getsockopt` gives a `struct in_addr`):
    /// an interface chosen by index outside dgram (before the socket was adopted) reads as
    /// [`Interface::Any`].
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(sock.multicast_interface_v4()?, Interface::Any);
    /// sock.set_multicast_interface_v4(&Interface::Addr(Ipv4Addr::LOCALHOST))?;
    /// assert_eq!(sock.multicast_interface_v4()?, Interface::Addr(Ipv4Addr::LOCALHOST));
    /// sock.set_multicast_interface_v4(&Interface::Name("lo".into()))?;
    /// assert_eq!(sock.multicast_interface_v4()?, Interface::Index(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MULTICAST_IF")]
    pub fn multicast_interface_v4(&self) -> io::Result<Interface> {
        let addr = self.inner.multicast_if_v4()?;
        if !addr.is_unspecified() {
            return Ok(Interface::Addr(addr));
        }
        Ok(
            match self
                .state
                .multicast_if_v4
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                0 => Interface::Any,
                index => Interface::Index(index),
            },
        )
    }

    /// Whether this socket's own multicast comes back to it and to other local members
    /// (`IP_MULTICAST_LOOP`, on by default; Node's `setMulticastLoopback`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(sock.multicast_loop_v4()?); // the kernel's default: this host hears its own sends
    /// sock.set_multicast_loop_v4(false)?;
    /// assert!(!sock.multicast_loop_v4()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MULTICAST_LOOP")]
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is on.
    ///
    /// [`set_multicast_loop_v4`](Self::set_multicast_loop_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_MULTICAST_LOOP")]
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v4()
    }

    /// Sets the TTL of outgoing multicast in hops, 0..=255 (`IP_MULTICAST_TTL`, 1 by default: the
    /// link only; Node's `setMulticastTTL`).
    ///
    /// # Errors
    /// `InvalidInput` above 255.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0")?;
    /// assert_eq!(sock.multicast_ttl_v4()?, 1); // this link only, by default
    /// sock.set_multicast_ttl_v4(8)?;
    /// assert_eq!(sock.multicast_ttl_v4()?, 8);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MULTICAST_TTL")]
    pub fn set_multicast_ttl_v4(&self, hops: u32) -> io::Result<()> {
        let v = check_range("multicast TTL", hops, 0..=255)?;
        sockopt::set_int(self.as_fd(), libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, v)
    }

    /// The TTL of outgoing multicast, in hops (`IP_MULTICAST_TTL`).
    ///
    /// [`set_multicast_ttl_v4`](Self::set_multicast_ttl_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_MULTICAST_TTL")]
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner.multicast_ttl_v4()
    }

    /// Whether the socket receives every group joined by any socket on its port (`IP_MULTICAST_ALL`,
    /// the kernel's default), or only the groups it joined itself. dgram turns it off on every socket
    /// it creates; this restores the kernel's behaviour.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0")?;
    /// assert!(!sock.multicast_all_v4()?); // dgram's default: only the groups this socket joined
    /// sock.set_multicast_all_v4(true)?; // the kernel's: every group joined on the port
    /// assert!(sock.multicast_all_v4()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MULTICAST_ALL")]
    pub fn set_multicast_all_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_all_v4(on)
    }

    /// Whether `IP_MULTICAST_ALL` is on.
    ///
    /// [`set_multicast_all_v4`](Self::set_multicast_all_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_MULTICAST_ALL")]
    pub fn multicast_all_v4(&self) -> io::Result<bool> {
        self.inner.multicast_all_v4()
    }

    /// `InvalidInput` for an IPv4 multicast option on an IPv6-only socket: the kernel takes it, but
    /// the socket can never send or receive IPv4.
    fn refuse_if_v6_only(&self, option: &str) -> io::Result<()> {
        // Asked of the kernel, not the cache: joins are rare, and the option may have been set on
        // the descriptor outside dgram.
        if self.family() == Family::V6 && self.inner.only_v6()? {
            return Err(invalid_input(format!(
                "{option} on an IPv6-only socket (IPV6_V6ONLY): it can never carry IPv4"
            )));
        }
        Ok(())
    }

    fn mreqn(&self, opt: libc::c_int, group: Ipv4Addr, iface: &Interface) -> io::Result<()> {
        if opt != libc::IP_MULTICAST_IF {
            check_group(group.into())?;
        }
        let (address, index) = match iface {
            Interface::Addr(a) => (*a, 0),
            other => (Ipv4Addr::UNSPECIFIED, other.index()?),
        };
        let index = libc::c_int::try_from(index)
            .map_err(|_| invalid_input(format!("interface index {index} is out of range")))?;
        let m = libc::ip_mreqn {
            imr_multiaddr: in_addr(group),
            imr_address: in_addr(address),
            imr_ifindex: index,
        };
        set_struct(self.as_fd(), libc::IPPROTO_IP, opt, &m).map_err(|e| {
            // `IP_MULTICAST_IF` says `EADDRNOTAVAIL` for an index no interface has, where the joins
            // say `ENODEV`; by address, `EADDRNOTAVAIL` is the host not having that address.
            if opt == libc::IP_MULTICAST_IF
                && matches!(iface, Interface::Index(_) | Interface::Name(_))
                && e.raw_os_error() == Some(libc::EADDRNOTAVAIL)
            {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no interface {iface} on this host (EADDRNOTAVAIL)"),
                )
            } else {
                iface.explain(e)
            }
        })
    }

    fn source_op_v4(
        &self,
        by_address: libc::c_int,
        by_index: libc::c_int,
        group: Ipv4Addr,
        source: Ipv4Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        check_group(group.into())?;
        check_source(source.into())?;
        match iface {
            Interface::Addr(a) => {
                let m = libc::ip_mreq_source {
                    imr_multiaddr: in_addr(group),
                    imr_interface: in_addr(*a),
                    imr_sourceaddr: in_addr(source),
                };
                set_struct(self.as_fd(), libc::IPPROTO_IP, by_address, &m)
            }
            other => sockopt::set_group_source_req(
                self.as_fd(),
                libc::IPPROTO_IP,
                by_index,
                other.index()?,
                &SocketAddr::new(group.into(), 0),
                &SocketAddr::new(source.into(), 0),
            ),
        }
        .map_err(|e| iface.explain(e))
    }
}

/// IPv6 multicast (`IPPROTO_IPV6`).
impl UdpSocket {
    /// Joins `multiaddr` on the interface of index `interface` (0: the kernel chooses), with std's
    /// signature (`std::net::UdpSocket::join_multicast_v6`).
    /// [`join_multicast_v6_n`](Self::join_multicast_v6_n) takes the interface by name too.
    ///
    /// # Errors
    /// As [`join_multicast_v6_n`](Self::join_multicast_v6_n).
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::UdpSocket;
    ///
    /// let group: Ipv6Addr = "ff15::1234".parse().unwrap();
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_multicast_v6(&group, 1)?; // interface index 1: lo
    /// rx.leave_multicast_v6(&group, 1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_ADD_MEMBERSHIP")]
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.join_multicast_v6_n(*multiaddr, &Interface::of_index(interface))
    }

    /// Leaves `multiaddr` on the interface of index `interface`, with std's signature.
    ///
    /// # Errors
    /// As [`leave_multicast_v6_n`](Self::leave_multicast_v6_n).
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::UdpSocket;
    ///
    /// let group: Ipv6Addr = "ff15::1235".parse().unwrap();
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_multicast_v6(&group, 1)?; // lo
    /// rx.leave_multicast_v6(&group, 1)?;
    /// let e = rx.leave_multicast_v6(&group, 1).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_DROP_MEMBERSHIP")]
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.leave_multicast_v6_n(*multiaddr, &Interface::of_index(interface))
    }

    /// Joins `group` on `iface` (`MCAST_JOIN_GROUP`; Node's `addMembership` on a `udp6` socket).
    /// Link-scope groups need an interface.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket, when `group` is not multicast, or for an
    /// [`Interface::Addr`]; `NotFound` for an unknown interface name or index; the kernel's errors intact.
    ///
    /// # Examples
    /// ```
    /// use std::net::{Ipv4Addr, Ipv6Addr};
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group: Ipv6Addr = "ff02::1:3".parse().unwrap(); // link scope: the interface is needed
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_multicast_v6_n(group, &Interface::Name("lo".into()))?;
    /// rx.leave_multicast_v6_n(group, &Interface::Index(1))?; // the same interface, by index
    /// // IPv6 memberships name an interface by index or name, never by IPv4 address.
    /// let e = rx.join_multicast_v6_n(group, &Interface::Addr(Ipv4Addr::LOCALHOST)).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_ADD_MEMBERSHIP")]
    #[doc(alias = "MCAST_JOIN_GROUP")]
    pub fn join_multicast_v6_n(&self, group: Ipv6Addr, iface: &Interface) -> io::Result<()> {
        self.group_op_v6(libc::MCAST_JOIN_GROUP, group, iface)
    }

    /// Leaves `group` on `iface` (`MCAST_LEAVE_GROUP`).
    ///
    /// # Errors
    /// As [`join_multicast_v6_n`](Self::join_multicast_v6_n); `EADDRNOTAVAIL` when never joined.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group: Ipv6Addr = "ff15::1236".parse().unwrap();
    /// let lo = Interface::Name("lo".into());
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_multicast_v6_n(group, &lo)?;
    /// rx.leave_multicast_v6_n(group, &lo)?;
    /// let e = rx.leave_multicast_v6_n(group, &lo).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_DROP_MEMBERSHIP")]
    #[doc(alias = "MCAST_LEAVE_GROUP")]
    pub fn leave_multicast_v6_n(&self, group: Ipv6Addr, iface: &Interface) -> io::Result<()> {
        self.group_op_v6(libc::MCAST_LEAVE_GROUP, group, iface)
    }

    /// Joins `group` for datagrams from `source` only (`MCAST_JOIN_SOURCE_GROUP`, RFC 3678).
    ///
    /// # Errors
    /// As [`join_multicast_v6_n`](Self::join_multicast_v6_n); `InvalidInput` when `source` is not unicast.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group: Ipv6Addr = "ff3e::8000:1".parse().unwrap(); // the source-specific range, ff3x::/96
    /// let lo = Interface::Name("lo".into());
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_ssm_v6(group, Ipv6Addr::LOCALHOST, &lo)?; // only what ::1 sends to the group
    /// rx.leave_ssm_v6(group, Ipv6Addr::LOCALHOST, &lo)?;
    /// let e = rx.join_ssm_v6(group, Ipv6Addr::UNSPECIFIED, &lo).unwrap_err(); // no unicast source
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "MCAST_JOIN_SOURCE_GROUP")]
    pub fn join_ssm_v6(
        &self,
        group: Ipv6Addr,
        source: Ipv6Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v6(libc::MCAST_JOIN_SOURCE_GROUP, group, source, iface)
    }

    /// Leaves a source-specific membership (`MCAST_LEAVE_SOURCE_GROUP`).
    ///
    /// # Errors
    /// As [`join_ssm_v6`](Self::join_ssm_v6); `AddrNotAvailable` (the kernel's `EADDRNOTAVAIL`)
    /// when `group` is joined but not from `source`; `InvalidInput` (the kernel's `EINVAL`) when
    /// `group` is not joined (leaving a membership's last source leaves the group).
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group: Ipv6Addr = "ff3e::8000:2".parse().unwrap();
    /// let lo = Interface::Index(1);
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_ssm_v6(group, Ipv6Addr::LOCALHOST, &lo)?;
    /// let other: Ipv6Addr = "2001:db8::1".parse().unwrap();
    /// let e = rx.leave_ssm_v6(group, other, &lo).unwrap_err(); // joined, but not from `other`
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// rx.leave_ssm_v6(group, Ipv6Addr::LOCALHOST, &lo)?; // its last source: the group is left
    /// let e = rx.leave_ssm_v6(group, Ipv6Addr::LOCALHOST, &lo).unwrap_err(); // not joined now
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "MCAST_LEAVE_SOURCE_GROUP")]
    pub fn leave_ssm_v6(
        &self,
        group: Ipv6Addr,
        source: Ipv6Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v6(libc::MCAST_LEAVE_SOURCE_GROUP, group, source, iface)
    }

    /// Stops receiving `group`'s datagrams from `source` (`MCAST_BLOCK_SOURCE`).
    ///
    /// # Errors
    /// As [`join_ssm_v6`](Self::join_ssm_v6); `InvalidInput` (the kernel's `EINVAL`) when the
    /// group is not joined.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group: Ipv6Addr = "ff15::1237".parse().unwrap();
    /// let lo = Interface::Name("lo".into());
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_multicast_v6_n(group, &lo)?; // any source
    /// let noisy: Ipv6Addr = "2001:db8::1".parse().unwrap();
    /// rx.block_source_v6(group, noisy, &lo)?; // all but 2001:db8::1
    /// let other: Ipv6Addr = "ff15::1239".parse().unwrap();
    /// let e = rx.block_source_v6(other, noisy, &lo).unwrap_err(); // a group not joined
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "MCAST_BLOCK_SOURCE")]
    pub fn block_source_v6(
        &self,
        group: Ipv6Addr,
        source: Ipv6Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v6(libc::MCAST_BLOCK_SOURCE, group, source, iface)
    }

    /// Receives `group`'s datagrams from `source` again (`MCAST_UNBLOCK_SOURCE`).
    ///
    /// # Errors
    /// As [`join_ssm_v6`](Self::join_ssm_v6); `AddrNotAvailable` (the kernel's `EADDRNOTAVAIL`)
    /// when `source` is not blocked.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let group: Ipv6Addr = "ff15::1238".parse().unwrap();
    /// let lo = Interface::Index(1);
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.join_multicast_v6_n(group, &lo)?;
    /// rx.block_source_v6(group, Ipv6Addr::LOCALHOST, &lo)?;
    /// rx.unblock_source_v6(group, Ipv6Addr::LOCALHOST, &lo)?; // heard again
    /// let e = rx.unblock_source_v6(group, Ipv6Addr::LOCALHOST, &lo).unwrap_err(); // not blocked now
    /// assert_eq!(e.kind(), std::io::ErrorKind::AddrNotAvailable);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "MCAST_UNBLOCK_SOURCE")]
    pub fn unblock_source_v6(
        &self,
        group: Ipv6Addr,
        source: Ipv6Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.source_op_v6(libc::MCAST_UNBLOCK_SOURCE, group, source, iface)
    }

    /// Sends IPv6 multicast out of `iface` (`IPV6_MULTICAST_IF`, by index).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket or for an [`Interface::Addr`]; `NotFound` for an unknown name or index.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Interface, UdpSocket};
    ///
    /// let sock = UdpSocket::bind("[::]:0")?;
    /// assert_eq!(sock.multicast_interface_v6()?, Interface::Any); // routing chooses
    /// sock.set_multicast_interface_v6(&Interface::Name("lo".into()))?;
    /// assert_eq!(sock.multicast_interface_v6()?, Interface::Index(1));
    /// sock.set_multicast_interface_v6(&Interface::Any)?;
    /// assert_eq!(sock.multicast_interface_v6()?, Interface::Any);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_MULTICAST_IF")]
    pub fn set_multicast_interface_v6(&self, iface: &Interface) -> io::Result<()> {
        self.require_v6("IPV6_MULTICAST_IF")?;
        self.inner
            .set_multicast_if_v6(iface.index()?)
            .map_err(|e| iface.explain(e))
    }

    /// The interface outgoing IPv6 multicast leaves by (`IPV6_MULTICAST_IF`): its index, or
    /// [`Interface::Any`] when routing chooses.
    ///
    /// [`set_multicast_interface_v6`](Self::set_multicast_interface_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket; what `getsockopt(2)` reports.
    #[doc(alias = "IPV6_MULTICAST_IF")]
    pub fn multicast_interface_v6(&self) -> io::Result<Interface> {
        self.require_v6("IPV6_MULTICAST_IF")?;
        Ok(match self.inner.multicast_if_v6()? {
            0 => Interface::Any,
            index => Interface::Index(index),
        })
    }

    /// Whether this socket's own IPv6 multicast comes back locally (`IPV6_MULTICAST_LOOP`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::1]:0")?;
    /// assert!(sock.multicast_loop_v6()?); // the kernel's default: this host hears its own sends
    /// sock.set_multicast_loop_v6(false)?;
    /// assert!(!sock.multicast_loop_v6()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_MULTICAST_LOOP")]
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_MULTICAST_LOOP")?;
        self.inner.set_multicast_loop_v6(on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is on.
    ///
    /// [`set_multicast_loop_v6`](Self::set_multicast_loop_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_MULTICAST_LOOP")]
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_MULTICAST_LOOP")?;
        self.inner.multicast_loop_v6()
    }

    /// Sets the hop limit of outgoing IPv6 multicast, 0..=255 (`IPV6_MULTICAST_HOPS`, 1 by default).
    ///
    /// # Errors
    /// `InvalidInput` above 255 or on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::]:0")?;
    /// assert_eq!(sock.multicast_hops_v6()?, 1); // this link only, by default
    /// sock.set_multicast_hops_v6(8)?;
    /// assert_eq!(sock.multicast_hops_v6()?, 8);
    /// let e = sock.set_multicast_hops_v6(256).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_MULTICAST_HOPS")]
    pub fn set_multicast_hops_v6(&self, hops: u32) -> io::Result<()> {
        self.require_v6("IPV6_MULTICAST_HOPS")?;
        let v = check_range("multicast hop limit", hops, 0..=255)?;
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_HOPS,
            v,
        )
    }

    /// The hop limit of outgoing IPv6 multicast (`IPV6_MULTICAST_HOPS`).
    ///
    /// [`set_multicast_hops_v6`](Self::set_multicast_hops_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_MULTICAST_HOPS")]
    pub fn multicast_hops_v6(&self) -> io::Result<u32> {
        self.require_v6("IPV6_MULTICAST_HOPS")?;
        self.inner.multicast_hops_v6()
    }

    /// Whether the socket receives every IPv6 group joined by any socket on its port
    /// (`IPV6_MULTICAST_ALL`, the kernel's default), or only the groups it joined itself. dgram
    /// turns it off on every IPv6 socket it creates; this restores the kernel's behaviour. IPv4
    /// traffic to a dual-stack socket follows [`set_multicast_all_v4`](Self::set_multicast_all_v4).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports; `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::]:0")?;
    /// assert!(!sock.multicast_all_v6()?); // dgram's default: only the groups this socket joined
    /// sock.set_multicast_all_v6(true)?; // the kernel's: every group joined on the port
    /// assert!(sock.multicast_all_v6()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_MULTICAST_ALL")]
    pub fn set_multicast_all_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_all_v6(on)
    }

    /// Whether `IPV6_MULTICAST_ALL` is on.
    ///
    /// [`set_multicast_all_v6`](Self::set_multicast_all_v6) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IPV6_MULTICAST_ALL")]
    pub fn multicast_all_v6(&self) -> io::Result<bool> {
        self.inner.multicast_all_v6()
    }

    fn group_op_v6(&self, opt: libc::c_int, group: Ipv6Addr, iface: &Interface) -> io::Result<()> {
        self.require_v6("IPv6 multicast membership")?;
        check_group(group.into())?;
        sockopt::set_group_req(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            opt,
            iface.index()?,
            &SocketAddr::new(group.into(), 0),
        )
        .map_err(|e| iface.explain(e))
    }

    fn source_op_v6(
        &self,
        opt: libc::c_int,
        group: Ipv6Addr,
        source: Ipv6Addr,
        iface: &Interface,
    ) -> io::Result<()> {
        self.require_v6("IPv6 source-specific multicast")?;
        check_group(group.into())?;
        check_source(source.into())?;
        sockopt::set_group_source_req(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            opt,
            iface.index()?,
            &SocketAddr::new(group.into(), 0),
            &SocketAddr::new(source.into(), 0),
        )
        .map_err(|e| iface.explain(e))
    }
}
