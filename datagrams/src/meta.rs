//! What arrived with a datagram ([`RecvMeta`]) and what goes with one ([`Transmit`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::{Duration, SystemTime};

/// What the kernel reported about one received datagram.
///
/// Returned by [`UdpSocket::recv_msg`](crate::UdpSocket::recv_msg). Truncation is never silent: when the
/// buffers were shorter than the datagram, `truncated` is set and `full_len` says how long it was
/// (`MSG_TRUNC`, see `udp(7)`); the excess bytes are gone.
///
/// The address type is `SocketAddr` for UDP and [`UnixAddr`](crate::UnixAddr) for Unix sockets.
///
/// # Examples
/// Every field, on a UDP socket with the receive options that fill them on:
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use datagrams::{Ecn, RecvMeta, Transmit, UdpSocket};
///
/// let rx = UdpSocket::bind("0.0.0.0:0")?; // a wildcard bind: which address was it sent to?
/// rx.set_recv_pktinfo_v4(true)?; // dst_ip, ifindex
/// rx.set_recv_tos_v4(true)?; // tos, ecn()
/// rx.set_recv_ttl_v4(true)?; // ttl
/// rx.set_recv_timestamp(true)?; // timestamp
/// rx.set_recv_drop_count(true)?; // drops
/// rx.set_recv_orig_dst_addr_v4(true)?; // orig_dst
/// rx.set_gro(true)?; // stride
/// let to = (Ipv4Addr::LOCALHOST, rx.local_addr()?.port()).into();
///
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.send_msg(&Transmit::new(to, b"0123456789").ecn(Ecn::Ect0).ttl(9))?;
/// let mut buf = [0u8; 4];
/// let meta: RecvMeta = rx.recv_msg(&mut buf)?;
/// assert_eq!(meta.addr, tx.local_addr()?); // the sender
/// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true)); // 6 bytes lost
/// assert!(!meta.control_truncated);
/// assert_eq!(meta.cred, None); // Unix sockets only
/// assert_eq!(meta.dst_ip, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
/// assert_eq!(meta.ifindex, Some(1)); // lo
/// assert_eq!((meta.ecn(), meta.tos), (Some(Ecn::Ect0), Some(0b10)));
/// assert_eq!(meta.ttl, Some(9));
/// assert!(meta.timestamp.is_some());
/// assert_eq!(meta.drops, None); // reported once the count is not 0
/// assert_eq!(meta.orig_dst, Some(to));
/// assert_eq!(meta.stride, None); // one datagram, not several coalesced
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// On a Unix socket, the credentials and the descriptors that did not fit:
/// ```
/// use std::os::fd::AsFd;
/// use datagrams::{UCred, UnixDatagram};
///
/// let (a, b) = UnixDatagram::pair()?;
/// b.set_pass_cred(true)?;
/// let (_reader, writer) = std::io::pipe()?;
/// a.send_with_fds(b"fd", &[writer.as_fd()])?;
/// let meta = b.recv_with_fds(&mut [0u8; 8], &mut Vec::new())?; // no room: closed, reported
/// assert_eq!((meta.len, meta.control_truncated), (2, true));
/// assert_eq!(meta.cred, Some(UCred::current()));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecvMeta<A = SocketAddr> {
    /// The sender's address (Node's `rinfo.address`/`rinfo.port`).
    pub addr: A,
    /// Bytes written into the caller's buffers.
    pub len: usize,
    /// The datagram's full length in bytes, as it arrived (Node's `rinfo.size`).
    pub full_len: usize,
    /// Whether the datagram was longer than the buffers (`MSG_TRUNC`): `full_len - len` bytes were lost.
    pub truncated: bool,
    /// Whether ancillary data was lost (`MSG_CTRUNC`): on a Unix socket, more descriptors arrived than
    /// the caller had room for. Every descriptor of that datagram was then closed; none leaks.
    pub control_truncated: bool,
    /// The sender's credentials (`SCM_CREDENTIALS`), on a Unix socket with
    /// [`set_pass_cred`](crate::UnixDatagram::set_pass_cred) on.
    pub cred: Option<UCred>,
    /// The datagram's destination address (the local address it was sent to: useful on a wildcard
    /// bind), with [`set_recv_pktinfo_v4`](crate::UdpSocket::set_recv_pktinfo_v4) or
    /// [`set_recv_pktinfo_v6`](crate::UdpSocket::set_recv_pktinfo_v6) on (`IP_PKTINFO`,
    /// `IPV6_PKTINFO`). On a dual-stack IPv6 socket an IPv4 datagram's destination is v4-mapped
    /// (`::ffff:a.b.c.d`), as its sender's [`addr`](Self::addr) is (and as std reports it): the
    /// pair can be used as they are in a reply's [`Transmit`]; `IpAddr::to_canonical` gives the
    /// plain IPv4 form.
    pub dst_ip: Option<IpAddr>,
    /// The index of the interface it arrived on (from the same `IP_PKTINFO`/`IPV6_PKTINFO`).
    pub ifindex: Option<u32>,
    /// The IPv4 type-of-service byte or IPv6 traffic class it carried, with
    /// [`set_recv_tos_v4`](crate::UdpSocket::set_recv_tos_v4) or
    /// [`set_recv_tclass_v6`](crate::UdpSocket::set_recv_tclass_v6) on; its ECN codepoint is
    /// [`ecn`](Self::ecn).
    pub tos: Option<u8>,
    /// The TTL (IPv4) or hop limit (IPv6) it arrived with, in hops, with
    /// [`set_recv_ttl_v4`](crate::UdpSocket::set_recv_ttl_v4) or
    /// [`set_recv_hoplimit_v6`](crate::UdpSocket::set_recv_hoplimit_v6) on.
    pub ttl: Option<u8>,
    /// When the kernel received it, in nanoseconds of wall-clock time (`CLOCK_REALTIME`), with
    /// [`set_recv_timestamp`](crate::UdpSocket::set_recv_timestamp) on (`SO_TIMESTAMPNS`), or
    /// with [`set_timestamping`](crate::UdpSocket::set_timestamping) asking for
    /// [`RX_SOFTWARE`](crate::TimestampingFlags::RX_SOFTWARE) and
    /// [`SOFTWARE`](crate::TimestampingFlags::SOFTWARE) (the software timestamp of
    /// `SCM_TIMESTAMPING`). Both report the one instant the kernel stamped the datagram with, so
    /// with both on this field holds it once (`SO_TIMESTAMPING` alone may leave it `None` for a
    /// datagram that arrived just as the system switched receive stamping on: see
    /// [`set_timestamping`](crate::UdpSocket::set_timestamping)). Hardware timestamps are not
    /// reported here; a [`ControlBuffer`] shows them ([`Control::Timestamping`]).
    pub timestamp: Option<SystemTime>,
    /// How many datagrams the socket had dropped for a full receive buffer when this one was queued: a
    /// running count since the option was switched on (`SO_RXQ_OVFL`), with
    /// [`set_recv_drop_count`](crate::UdpSocket::set_recv_drop_count) on. The kernel reports it only
    /// once the count is non-zero. The count is of packets the socket dropped: with
    /// [`set_gro`](crate::UdpSocket::set_gro) on, one dropped packet may have held several
    /// datagrams (a sender's GSO packet coalesced on the way in), so the datagrams lost can exceed it.
    pub drops: Option<u32>,
    /// With [`set_gro`](crate::UdpSocket::set_gro) on, the size in bytes of each of the several
    /// datagrams one receive may hold (`UDP_GRO`); the last may be shorter. Split the buffer with
    /// [`segments`](Self::segments).
    pub stride: Option<usize>,
    /// The address and port the datagram was originally sent to (`IP_ORIGDSTADDR`,
    /// `IPV6_ORIGDSTADDR`), with [`set_recv_orig_dst_addr_v4`](crate::UdpSocket::set_recv_orig_dst_addr_v4)
    /// or [`set_recv_orig_dst_addr_v6`](crate::UdpSocket::set_recv_orig_dst_addr_v6) on. On a
    /// transparent proxy's socket (`TPROXY`) it is the destination the sender chose, which is not
    /// an address of this host; elsewhere it is the socket's own address, with the arrival's
    /// destination IP. On a dual-stack IPv6 socket an IPv4 datagram's is v4-mapped, as
    /// [`dst_ip`](Self::dst_ip) is.
    pub orig_dst: Option<SocketAddr>,
}

impl<A> RecvMeta<A> {
    /// The ECN codepoint (RFC 3168) of the received datagram, from [`tos`](Self::tos).
    pub fn ecn(&self) -> Option<Ecn> {
        self.tos.map(Ecn::from_tos)
    }

    /// The datagrams in `buf` (the buffer this receive filled): one, or with GRO several of
    /// [`stride`](Self::stride) bytes each, the last possibly shorter.
    ///
    /// # Examples
    /// ```
    /// # use datagrams::RecvMeta;
    /// let mut meta = RecvMeta::default();
    /// meta.len = 10;
    /// meta.stride = Some(4);
    /// let buf = *b"aaaabbbbcc";
    /// let parts: Vec<&[u8]> = meta.segments(&buf).collect();
    /// assert_eq!(parts, [&b"aaaa"[..], b"bbbb", b"cc"]);
    /// ```
    pub fn segments<'a>(&self, buf: &'a [u8]) -> std::slice::Chunks<'a, u8> {
        let data = &buf[..self.len.min(buf.len())];
        let stride = match self.stride {
            Some(s) if s > 0 => s,
            _ => data.len().max(1),
        };
        data.chunks(stride)
    }
}

/// An empty report, for arrays of them to hand to [`recv_batch`](crate::UdpSocket::recv_batch).
impl Default for RecvMeta<SocketAddr> {
    fn default() -> Self {
        RecvMeta::empty(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))
    }
}

impl<A> RecvMeta<A> {
    /// A report from `addr` of nothing received, with no metadata: for arrays of them to hand to a
    /// receive batch. `RecvMeta::new(())` makes the sender-less reports of
    /// [`recv_batch_without_senders`](crate::UdpSocket::recv_batch_without_senders);
    /// [`RecvMeta::default()`](Default::default) is `RecvMeta::new` of `0.0.0.0:0`.
    pub const fn new(addr: A) -> Self {
        Self::empty(addr)
    }

    /// A report from `addr` of nothing received, with no metadata.
    pub(crate) const fn empty(addr: A) -> Self {
        RecvMeta {
            addr,
            len: 0,
            full_len: 0,
            truncated: false,
            control_truncated: false,
            cred: None,
            dst_ip: None,
            ifindex: None,
            tos: None,
            ttl: None,
            timestamp: None,
            drops: None,
            stride: None,
            orig_dst: None,
        }
    }
}

/// The Explicit Congestion Notification codepoint: the low two bits of the IPv4 TOS byte or IPv6
/// traffic class (RFC 3168, section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Ecn {
    /// Not ECN-capable transport (`00`).
    NotEct = 0b00,
    /// ECN-capable transport, ECT(1) (`01`; L4S uses it).
    Ect1 = 0b01,
    /// ECN-capable transport, ECT(0) (`10`).
    Ect0 = 0b10,
    /// Congestion experienced (`11`).
    Ce = 0b11,
}

impl Ecn {
    /// The bits to put in a TOS byte or traffic class.
    pub fn bits(self) -> u8 {
        self as u8
    }

    /// The codepoint in a TOS byte or traffic class.
    pub fn from_tos(tos: u8) -> Ecn {
        match tos & 0b11 {
            0b00 => Ecn::NotEct,
            0b01 => Ecn::Ect1,
            0b10 => Ecn::Ect0,
            _ => Ecn::Ce,
        }
    }
}

/// One datagram to send with [`send_msg`](crate::UdpSocket::send_msg) or
/// [`send_batch`](crate::UdpSocket::send_batch): its destination, its bytes, and what goes with it.
///
/// With `segment_size`, `contents` is several datagrams of that size (the last may be shorter) sent in
/// one call with UDP GSO (`UDP_SEGMENT`); dgram falls back to one datagram per segment where the kernel
/// or the device refuses.
///
/// # Examples
/// ```
/// use datagrams::{Ecn, Transmit, UdpSocket};
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// let t = Transmit::new(rx.local_addr()?, b"aaaabbbbcc").segment_size(4).ecn(Ecn::Ect0);
/// assert_eq!(tx.send_msg(&t)?, 10);
///
/// // One datagram with its own TTL and DSCP (Expedited Forwarding, 46 << 2), read back on arrival.
/// rx.set_recv_ttl_v4(true)?;
/// rx.set_recv_tos_v4(true)?;
/// tx.send_msg(&Transmit::new(rx.local_addr()?, b"ef").ttl(7).tos(46 << 2))?;
/// let mut buf = [0u8; 16];
/// for _ in 0..3 {
///     rx.recv_msg(&mut buf)?; // the three segments above
/// }
/// let meta = rx.recv_msg(&mut buf)?;
/// assert_eq!((meta.ttl, meta.tos), (Some(7), Some(46 << 2)));
///
/// // From a chosen source address and interface, on a socket bound to the wildcard.
/// let any = UdpSocket::bind("0.0.0.0:0")?;
/// let t = Transmit::new(rx.local_addr()?, b"from lo").src_ip([127, 0, 0, 1].into()).ifindex(1);
/// assert_eq!((t.destination, t.contents), (Some(rx.local_addr()?), &b"from lo"[..]));
/// assert_eq!((t.src_ip, t.ifindex, t.segment_size), (Some([127, 0, 0, 1].into()), Some(1), None));
/// any.send_msg(&t)?;
/// let meta = rx.recv_msg(&mut buf)?;
/// assert_eq!(meta.addr, ([127, 0, 0, 1], any.local_addr()?.port()).into());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transmit<'a> {
    /// Where it goes; `None` sends to the connected peer (a `sendmsg(2)` with no address, which
    /// spares the kernel a route lookup per datagram: the connected socket's cached route serves).
    pub destination: Option<SocketAddr>,
    /// Its bytes: one datagram, or with `segment_size` several.
    pub contents: &'a [u8],
    /// The size in bytes of each datagram `contents` holds (UDP GSO, `UDP_SEGMENT`); `None` for one.
    pub segment_size: Option<usize>,
    /// The source address to send from (`IP_PKTINFO`/`IPV6_PKTINFO`), on a socket bound to a wildcard.
    pub src_ip: Option<IpAddr>,
    /// The outgoing interface index (`IP_PKTINFO`/`IPV6_PKTINFO`).
    pub ifindex: Option<u32>,
    /// The ECN codepoint to mark it with (an `IP_TOS`/`IPV6_TCLASS` control message); it takes
    /// the two low bits of `tos` when both are set.
    pub ecn: Option<Ecn>,
    /// The whole IPv4 type-of-service byte or IPv6 traffic class (DSCP and ECN bits) for this
    /// datagram alone (an `IP_TOS`/`IPV6_TCLASS` control message), in place of the socket's
    /// [`set_tos_v4`](crate::UdpSocket::set_tos_v4)/[`set_tclass_v6`](crate::UdpSocket::set_tclass_v6).
    pub tos: Option<u8>,
    /// The TTL (IPv4) or hop limit (IPv6) in hops, 1 to 255, for this datagram alone (an
    /// `IP_TTL`/`IPV6_HOPLIMIT` control message), in place of the socket's
    /// [`set_ttl`](crate::UdpSocket::set_ttl)/[`set_unicast_hops_v6`](crate::UdpSocket::set_unicast_hops_v6).
    pub ttl: Option<u8>,
}

impl<'a> Transmit<'a> {
    /// One datagram of `contents` to `destination`, with nothing else.
    pub fn new(destination: SocketAddr, contents: &'a [u8]) -> Self {
        Transmit::with_destination(Some(destination), contents)
    }

    /// One datagram of `contents` to the connected peer (see
    /// [`connect`](crate::UdpSocket::connect)), with nothing else: the `send` of the fast paths.
    ///
    /// The kernel sends it without an address, as `send(2)` does, and uses the route the socket
    /// cached at `connect`: a batch of these costs the kernel less than one that names the peer in
    /// every message. On a socket that is not connected the send fails with `NotConnected`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Transmit, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// let batch = [Transmit::connected(b"one"), Transmit::connected(b"two")];
    /// let mut sent = 0;
    /// while sent < batch.len() {
    ///     sent += tx.send_batch(&batch[sent..])?;
    /// }
    /// let mut buf = [0u8; 8];
    /// assert_eq!(rx.recv_from(&mut buf)?, (3, tx.local_addr()?));
    ///
    /// let lone = UdpSocket::bind("127.0.0.1:0")?;
    /// let e = lone.send_msg(&Transmit::connected(b"x")).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::NotConnected);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connected(contents: &'a [u8]) -> Self {
        Transmit::with_destination(None, contents)
    }

    fn with_destination(destination: Option<SocketAddr>, contents: &'a [u8]) -> Self {
        Transmit {
            destination,
            contents,
            segment_size: None,
            src_ip: None,
            ifindex: None,
            ecn: None,
            tos: None,
            ttl: None,
        }
    }

    /// Several datagrams of `bytes` each (the last may be shorter), sent with GSO.
    pub fn segment_size(mut self, bytes: usize) -> Self {
        self.segment_size = Some(bytes);
        self
    }

    /// Sends from `ip` (`IP_PKTINFO`/`IPV6_PKTINFO`).
    pub fn src_ip(mut self, ip: IpAddr) -> Self {
        self.src_ip = Some(ip);
        self
    }

    /// Sends out of interface `index`.
    pub fn ifindex(mut self, index: u32) -> Self {
        self.ifindex = Some(index);
        self
    }

    /// Marks the datagrams with `ecn`.
    pub fn ecn(mut self, ecn: Ecn) -> Self {
        self.ecn = Some(ecn);
        self
    }

    /// Sends with this TOS byte or traffic class (`IP_TOS`/`IPV6_TCLASS`).
    pub fn tos(mut self, tos: u8) -> Self {
        self.tos = Some(tos);
        self
    }

    /// Sends with this TTL or hop limit, in hops (`IP_TTL`/`IPV6_HOPLIMIT`).
    pub fn ttl(mut self, hops: u8) -> Self {
        self.ttl = Some(hops);
        self
    }

    /// Whether anything besides the bytes and the destination goes with it: then its send
    /// carries control messages.
    #[inline]
    pub(crate) fn has_metadata(&self) -> bool {
        self.ecn.is_some()
            || self.tos.is_some()
            || self.ttl.is_some()
            || self.src_ip.is_some()
            || self.ifindex.is_some()
    }
}

/// A kernel timestamp (`struct timespec`, wall clock) as a `SystemTime`.
pub(crate) fn timestamp(sec: i64, nsec: i64) -> Option<SystemTime> {
    let since = Duration::new(u64::try_from(sec).ok()?, u32::try_from(nsec).ok()?);
    SystemTime::UNIX_EPOCH.checked_add(since)
}

/// One timestamp of `struct scm_timestamping` as a `SystemTime`; `None` for `(0, 0)`, which
/// says the kernel had none of that kind.
pub(crate) fn nonzero_timestamp((sec, nsec): (i64, i64)) -> Option<SystemTime> {
    if (sec, nsec) == (0, 0) {
        None
    } else {
        timestamp(sec, nsec)
    }
}

/// The credentials of a Unix-socket peer: process id, user id, group id (`struct ucred`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    /// Process id.
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl UCred {
    /// The calling process's credentials (`getpid`, `getuid`, `getgid`): what the kernel lets any
    /// process send as `SCM_CREDENTIALS`.
    pub fn current() -> UCred {
        let (pid, uid, gid) = crate::sys::process_cred();
        UCred { pid, uid, gid }
    }
}

impl<A> RecvMeta<A> {
    /// The report of one receive, from what `recvmsg`/`recvmmsg` returned (`out`, for buffers of
    /// `cap` bytes) and its folded control messages: the one constructor of every receive path.
    ///
    /// `maps_v4`: the socket reports senders in IPv6 form (a dual-stack socket), so an IPv4
    /// destination from `IP_PKTINFO` is given v4-mapped beside them.
    #[inline]
    pub(crate) fn from_kernel(
        addr: A,
        maps_v4: bool,
        cap: usize,
        out: &crate::sys::msg::MsgOut,
        anc: &crate::sys::msg::Ancillary,
    ) -> RecvMeta<A> {
        let d = &anc.decoded;
        let (len, full_len) = (out.ret.min(cap), out.ret);
        let truncated = out.flags & libc::MSG_TRUNC != 0;
        if !d.any {
            // No metadata arrived (no option asked for any): the common case, built without the
            // conversions below (PERF.md, "Control areas sized once").
            return RecvMeta {
                len,
                full_len,
                truncated,
                control_truncated: anc.truncated,
                ..RecvMeta::empty(addr)
            };
        }
        // A dual-stack socket reports an IPv4 datagram's sender v4-mapped; its destination follows,
        // also when it came in `IP_PKTINFO` (which a dual-stack socket gets, after `IPV6_PKTINFO`,
        // when both are on, or alone).
        let dst_ip = match d.dst_ip {
            Some(IpAddr::V4(v4)) if maps_v4 => Some(IpAddr::V6(v4.to_ipv6_mapped())),
            other => other,
        };
        let orig_dst = match d.orig_dst {
            Some(SocketAddr::V4(v4)) if maps_v4 => Some(SocketAddr::V6(SocketAddrV6::new(
                v4.ip().to_ipv6_mapped(),
                v4.port(),
                0,
                0,
            ))),
            other => other,
        };
        RecvMeta {
            addr,
            len,
            full_len,
            truncated,
            control_truncated: anc.truncated,
            cred: d.cred.map(|(pid, uid, gid)| UCred { pid, uid, gid }),
            dst_ip,
            ifindex: d.ifindex,
            tos: d.tos,
            ttl: d.ttl,
            timestamp: d.timestamp.and_then(|(s, ns)| timestamp(s, ns)),
            drops: d.drops,
            stride: d.gro.map(usize::from),
            orig_dst,
        }
    }
}

/// A control-message buffer for [`UdpSocket::recv_msg_with_control`](crate::UdpSocket::recv_msg_with_control):
/// 512 bytes, aligned for `cmsghdr`, reused across receives. After a receive,
/// [`iter`](Self::iter) yields every control message that arrived, the ones dgram does not know
/// included ([`Control::Unknown`]).
pub struct ControlBuffer {
    pub(crate) buf: crate::sys::cmsg::CmsgBuf<512>,
    pub(crate) len: usize,
}

impl ControlBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        ControlBuffer {
            buf: crate::sys::cmsg::CmsgBuf::new(),
            len: 0,
        }
    }

    /// The control messages of the last receive into this buffer, decoded where dgram knows them.
    pub fn iter(&self) -> impl Iterator<Item = Control<'_>> {
        crate::sys::cmsg::iter(&self.buf.0[..self.len]).map(Control::from_cmsg)
    }
}

impl Default for ControlBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ControlBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One control message of a receive (`cmsg(3)`), typed where dgram knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control<'a> {
    /// `IP_PKTINFO`/`IPV6_PKTINFO`: the destination address and the arrival interface index.
    PacketInfo {
        /// The address the datagram was sent to.
        dst_ip: IpAddr,
        /// The interface it arrived on.
        ifindex: u32,
    },
    /// `IP_TOS`/`IPV6_TCLASS`: the TOS byte or traffic class.
    Tos(u8),
    /// `IP_TTL`/`IPV6_HOPLIMIT`: the TTL or hop limit, in hops.
    Ttl(u8),
    /// `SCM_TIMESTAMPNS`: when the kernel received it.
    Timestamp(SystemTime),
    /// `SCM_TIMESTAMPING` (`struct scm_timestamping`, with
    /// [`set_timestamping`](crate::UdpSocket::set_timestamping)): when the kernel received it, by
    /// the system clock and by the network card's clock; each `None` where the kernel had none.
    Timestamping {
        /// The software timestamp (`ts[0]`), wall clock.
        software: Option<SystemTime>,
        /// The raw hardware timestamp (`ts[2]`), by the card's clock.
        hardware: Option<SystemTime>,
    },
    /// `IP_ORIGDSTADDR`/`IPV6_ORIGDSTADDR`: the address and port the datagram was originally sent
    /// to, as the kernel wrote it (not v4-mapped).
    OrigDstAddr(SocketAddr),
    /// `SO_RXQ_OVFL`: the socket's running drop count.
    Drops(u32),
    /// `UDP_GRO`: the size of the coalesced datagrams, in bytes.
    GroSegment(u16),
    /// `SCM_CREDENTIALS`: the sender's credentials.
    Credentials(UCred),
    /// Anything else, kept as the kernel wrote it.
    Unknown {
        /// `cmsg_level`.
        level: i32,
        /// `cmsg_type`.
        kind: i32,
        /// The data, its length clamped to the buffer.
        data: &'a [u8],
    },
}

impl<'a> Control<'a> {
    fn from_cmsg(c: crate::sys::cmsg::Cmsg<'a>) -> Control<'a> {
        use crate::sys::cmsg::Value;
        let unknown = Control::Unknown {
            level: c.level,
            kind: c.kind,
            data: c.data,
        };
        match c.decode() {
            Value::PacketInfo { dst_ip, ifindex } => Control::PacketInfo { dst_ip, ifindex },
            Value::Tos(t) => Control::Tos(t),
            Value::Ttl(t) => Control::Ttl(t),
            Value::Timestamp((s, ns)) => timestamp(s, ns).map_or(unknown, Control::Timestamp),
            Value::Timestamping { software, hardware } => Control::Timestamping {
                software: nonzero_timestamp(software),
                hardware: nonzero_timestamp(hardware),
            },
            Value::OrigDst(a) => Control::OrigDstAddr(a),
            Value::Drops(n) => Control::Drops(n),
            Value::Gro(g) => Control::GroSegment(g),
            Value::Cred((pid, uid, gid)) => Control::Credentials(UCred { pid, uid, gid }),
            // Descriptors never reach a UDP socket's buffer; error reports come from the error
            // queue (`recv_error`). Both stay as the kernel wrote them.
            Value::ExtErr(_) | Value::Rights(_) | Value::PidFd(_) | Value::Other(_) => unknown,
        }
    }
}
