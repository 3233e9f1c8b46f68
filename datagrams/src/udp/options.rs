//! Socket options of `UdpSocket`, one `impl` block per level.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;

use super::UdpSocket;
use crate::error::{check_range, invalid_input};
use crate::family::Family;
use crate::flags::TimestampingFlags;
use crate::sys::consts::{IP_MTU, IPV6_MTU, IPV6_MTU_DISCOVER, UDP_CORK};
use crate::sys::sockopt;

// The calls and options every socket type shares (timeouts, buffer sizes, filters, ...): first of
// the options on the rustdoc page.
crate::socket::common_socket_methods!(
    UdpSocket,
    "let sock = UdpSocket::bind(\"127.0.0.1:0\")?;\nlet peer = UdpSocket::bind(\"127.0.0.1:0\")?;\npeer.connect(sock.local_addr()?)?;"
);

/// Socket-level options (`SOL_SOCKET`, socket(7)).
impl UdpSocket {
    /// Allows sending to broadcast addresses (`SO_BROADCAST`; Node's `setBroadcast`). Off by default:
    /// a send to a broadcast address fails with `PermissionDenied` (`EACCES`) until it is on.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0")?;
    /// let e = sock.send_to(b"all", "255.255.255.255:9").unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied); // off by default
    /// sock.set_broadcast(true)?;
    /// assert!(sock.broadcast()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_BROADCAST")]
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Whether sending to broadcast addresses is allowed (`SO_BROADCAST`).
    ///
    /// [`set_broadcast`](Self::set_broadcast) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_BROADCAST")]
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Allows binding an address in use by other sockets with the option set (`SO_REUSEADDR`; Node's
    /// `reuseAddr`). Set it before binding.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// sock.set_reuse_address(true)?; // before binding
    /// sock.bind_to("127.0.0.1:0")?;
    /// assert!(sock.reuse_address()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_REUSEADDR")]
    pub fn set_reuse_address(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_address(on)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// [`set_reuse_address`](Self::set_reuse_address) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_REUSEADDR")]
    pub fn reuse_address(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Lets sockets of one user bind the same address and port, the kernel spreading datagrams among
    /// them (`SO_REUSEPORT`; Node's `reusePort`). Set it before binding.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let a = UdpSocket::builder().reuse_port(true).bind("127.0.0.1:0")?;
    /// let b = UdpSocket::builder().reuse_port(true).bind(a.local_addr()?)?; // the same port
    /// assert_eq!(a.local_addr()?, b.local_addr()?);
    /// assert!(b.reuse_port()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_REUSEPORT")]
    pub fn set_reuse_port(&self, on: bool) -> io::Result<()> {
        self.inner.set_reuse_port(on)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// [`set_reuse_port`](Self::set_reuse_port) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_REUSEPORT")]
    pub fn reuse_port(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Ties the socket to the network interface named `interface` (`SO_BINDTODEVICE`, socket(7)):
    /// it then sends only out of that interface, and receives only what arrives on it. `None`
    /// unties it. A link-local destination needs no scope on a tied socket.
    ///
    /// # Errors
    /// `PermissionDenied` (the kernel's `EPERM`) without `CAP_NET_RAW` when the socket is tied
    /// already (re-tying or untying it), or before Linux 5.7 for any change; the kernel's `ENODEV`
    /// for a name no interface has.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("0.0.0.0:0")?;
    /// assert_eq!(sock.device()?, None);
    /// sock.bind_device(Some(b"lo"))?; // the first tie needs no privilege (Linux 5.7)
    /// assert_eq!(sock.device()?.as_deref(), Some(&b"lo"[..]));
    /// let e = UdpSocket::bind("0.0.0.0:0")?.bind_device(Some(b"no-such-if")).unwrap_err();
    /// assert_eq!(e.raw_os_error(), Some(19)); // ENODEV
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_BINDTODEVICE")]
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.inner.bind_device(interface)
    }

    /// The name of the interface the socket is tied to (`SO_BINDTODEVICE`), or `None`.
    ///
    /// [`bind_device`](Self::bind_device) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_BINDTODEVICE")]
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.inner.device()
    }

    /// Sets the mark of the socket's outgoing packets (`setsockopt(SOL_SOCKET, SO_MARK)`,
    /// socket(7)): a 32-bit number routing rules (`ip rule add fwmark 7 lookup 100`), netfilter
    /// (`meta mark`, `-m mark`) and traffic control match on. Routing decides with it, so a
    /// marked socket may take another route than an unmarked one. 0, the default, is no mark.
    ///
    /// # Errors
    /// `PermissionDenied` (the kernel's `EPERM`) without `CAP_NET_RAW` or `CAP_NET_ADMIN`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    /// use std::io::ErrorKind;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// match sock.set_mark(7) {
    ///     Ok(()) => assert_eq!(sock.mark()?, 7),
    ///     // Without CAP_NET_RAW or CAP_NET_ADMIN.
    ///     Err(e) if e.kind() == ErrorKind::PermissionDenied => assert_eq!(sock.mark()?, 0),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_MARK")]
    pub fn set_mark(&self, mark: u32) -> io::Result<()> {
        self.inner.set_mark(mark)
    }

    /// The mark of the socket's outgoing packets (`SO_MARK`); 0 when none is set.
    ///
    /// [`set_mark`](Self::set_mark) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_MARK")]
    pub fn mark(&self) -> io::Result<u32> {
        self.inner.mark()
    }

    /// Sets the priority of the socket's outgoing packets (`setsockopt(SOL_SOCKET, SO_PRIORITY)`,
    /// socket(7)): the packets' `skb->priority`, which the egress queueing discipline reads.
    ///
    /// `pfifo_fast` and `prio` map 0..=15 to a band; `htb`, `hfsc` and `prio` put a packet
    /// straight into the class whose id equals the priority, `major << 16 | minor` (tc writes
    /// both in hex: class `1:10` is `0x0001_0010`); a VLAN device maps it to the 802.1p bits
    /// (`egress-qos-map`). 0 is the default. On an IPv4 socket, [`set_tos_v4`](Self::set_tos_v4)
    /// later replaces it with the TOS byte's priority.
    ///
    /// # Errors
    /// `PermissionDenied` (the kernel's `EPERM`) above 6 without `CAP_NET_RAW` or
    /// `CAP_NET_ADMIN`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_priority(6)?; // 0..=6 needs no privilege
    /// assert_eq!(sock.priority()?, 6);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_PRIORITY")]
    pub fn set_priority(&self, priority: u32) -> io::Result<()> {
        self.inner.set_priority(priority)
    }

    /// The priority of the socket's outgoing packets (`SO_PRIORITY`).
    ///
    /// [`set_priority`](Self::set_priority) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_PRIORITY")]
    pub fn priority(&self) -> io::Result<u32> {
        self.inner.priority()
    }

    /// Caps the rate at which the kernel sends the socket's packets, in bytes per second
    /// (`setsockopt(SOL_SOCKET, SO_MAX_PACING_RATE)`, socket(7)); `None` lifts the cap (the
    /// default).
    ///
    /// The `fq` queueing discipline enforces the cap: installed as the egress device's root
    /// qdisc (`tc qdisc replace dev eth0 root fq`, or the sysctl `net.core.default_qdisc=fq`
    /// for devices created later), it spaces the socket's packets so that they leave at no more
    /// than the rate, a GSO packet as one packet of its whole length; the rate counts what the
    /// device sends, IP and UDP headers included. Without `fq` the kernel keeps the value but a
    /// UDP socket's packets leave unpaced (TCP paces itself; UDP does not), so a caller that
    /// needs the rate held either knows `fq` is there or paces in user space.
    ///
    /// # Errors
    /// `InvalidInput` on a 32-bit system for a rate of `u32::MAX` or more (its kernel keeps 32
    /// bits); otherwise what `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(sock.max_pacing_rate()?, None);
    /// sock.set_max_pacing_rate(Some(125_000_000))?; // 1 Gbit/s
    /// assert_eq!(sock.max_pacing_rate()?, Some(125_000_000));
    /// sock.set_max_pacing_rate(None)?;
    /// assert_eq!(sock.max_pacing_rate()?, None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_MAX_PACING_RATE")]
    pub fn set_max_pacing_rate(&self, bytes_per_sec: Option<u64>) -> io::Result<()> {
        // The kernel reads a u64 when given 8 bytes (its `unsigned long`, on a 64-bit kernel; a
        // 32-bit one reads 32 bits), and takes all ones for "unlimited".
        if cfg!(target_pointer_width = "32")
            && bytes_per_sec.is_some_and(|r| r >= u64::from(u32::MAX))
        {
            return Err(invalid_input(
                "SO_MAX_PACING_RATE: above 4294967294 bytes/s on a 32-bit system",
            ));
        }
        sockopt::set_struct(
            self.as_fd(),
            libc::SOL_SOCKET,
            libc::SO_MAX_PACING_RATE,
            &bytes_per_sec.unwrap_or(u64::MAX),
        )
    }

    /// The cap on the socket's sending rate in bytes per second (`SO_MAX_PACING_RATE`); `None`
    /// when there is none.
    ///
    /// [`set_max_pacing_rate`](Self::set_max_pacing_rate) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_MAX_PACING_RATE")]
    pub fn max_pacing_rate(&self) -> io::Result<Option<u64>> {
        let v = sockopt::get_u64(self.as_fd(), libc::SOL_SOCKET, libc::SO_MAX_PACING_RATE)?;
        Ok((v != u64::MAX).then_some(v))
    }

    /// Sets how long, in microseconds, a blocking receive on an empty queue busy-polls the
    /// device queue its last datagram came from before it sleeps (`setsockopt(SOL_SOCKET,
    /// SO_BUSY_POLL)`, socket(7)); 0 turns it off. The default is the sysctl
    /// `net.core.busy_read` (0 unless set).
    ///
    /// Busy polling trades CPU time for latency, and works only for datagrams that arrive
    /// through a device with NAPI (most network cards; a veth with GRO or XDP on), never over
    /// loopback. The kernel counts the packets it received this way as `BusyPollRxPackets` in
    /// `/proc/net/netstat`. Linux 6.4 and later let any process set it; older kernels need
    /// `CAP_NET_ADMIN` to raise it.
    ///
    /// # Errors
    /// `InvalidInput` above `i32::MAX`; `PermissionDenied` (`EPERM`) for a raise without
    /// `CAP_NET_ADMIN` before Linux 6.4; `ENOPROTOOPT` on a kernel without
    /// `CONFIG_NET_RX_BUSY_POLL`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_busy_poll(50)?; // µs; Linux 6.4 and later let any process raise it
    /// assert_eq!(sock.busy_poll()?, 50);
    /// sock.set_busy_poll(0)?; // off
    /// assert_eq!(sock.busy_poll()?, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_BUSY_POLL")]
    pub fn set_busy_poll(&self, micros: u32) -> io::Result<()> {
        check_range("busy poll (µs)", micros, 0..=i32::MAX as u32)?;
        self.inner.set_busy_poll(micros)
    }

    /// How long a blocking receive busy-polls, in microseconds (`SO_BUSY_POLL`); 0 when off.
    ///
    /// [`set_busy_poll`](Self::set_busy_poll) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_BUSY_POLL")]
    pub fn busy_poll(&self) -> io::Result<u32> {
        self.inner.busy_poll()
    }

    /// Sets the CPU whose datagrams the socket prefers (`setsockopt(SOL_SOCKET,
    /// SO_INCOMING_CPU)`, socket(7)): in a `SO_REUSEPORT` group without a steering program,
    /// Linux 6.2 and later give a datagram to a member whose incoming CPU is the CPU processing
    /// it, and use the hash of the addresses only when no member names that CPU. One socket per
    /// CPU, each read by a thread pinned to its CPU, keeps a datagram on one CPU from interrupt
    /// to application. The kernel also sets the value itself on every datagram a connected
    /// socket receives (see [`incoming_cpu`](Self::incoming_cpu)).
    ///
    /// # Errors
    /// `InvalidInput` above `i32::MAX`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::builder().reuse_port(true).bind("127.0.0.1:0")?;
    /// assert_eq!(sock.incoming_cpu()?, None); // nothing received, nothing set
    /// sock.set_incoming_cpu(0)?; // prefer datagrams processed on CPU 0
    /// assert_eq!(sock.incoming_cpu()?, Some(0));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_INCOMING_CPU")]
    pub fn set_incoming_cpu(&self, cpu: usize) -> io::Result<()> {
        if cpu > i32::MAX as usize {
            return Err(invalid_input(format!(
                "CPU index {cpu} is out of range: it must be 0..={}",
                i32::MAX
            )));
        }
        self.inner.set_cpu_affinity(cpu)
    }

    /// The index of the CPU that processed the last datagram the socket received
    /// (`getsockopt(SOL_SOCKET, SO_INCOMING_CPU)`), or the one set by
    /// [`set_incoming_cpu`](Self::set_incoming_cpu); `None` before either. The kernel records
    /// it for *connected* UDP sockets only. Over loopback the receive is processed on the
    /// sending thread's CPU; from a device, on the CPU its receive queue interrupts (or RPS
    /// picks), so a thread reading the socket does best on that CPU.
    ///
    /// [`set_incoming_cpu`](Self::set_incoming_cpu) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_INCOMING_CPU")]
    pub fn incoming_cpu(&self) -> io::Result<Option<usize>> {
        // The kernel's -1 ("none yet") reads as usize::MAX, and no value set through
        // `set_incoming_cpu` exceeds i32::MAX.
        let cpu = self.inner.cpu_affinity()?;
        Ok((cpu <= i32::MAX as usize).then_some(cpu))
    }

    /// Attaches a classic BPF program that picks, for each datagram, which socket of the
    /// `SO_REUSEPORT` group receives it (`setsockopt(SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF)`,
    /// socket(7), Linux 4.5).
    ///
    /// The program belongs to the group: attach it through any member once that member is bound
    /// with [`set_reuse_port`](Self::set_reuse_port) on, and it steers for all members. It sees
    /// the UDP payload (offset 0 is the first payload byte; the header is skipped) and returns
    /// the index of a socket in the group, members counted from 0 in the order they bound (a
    /// socket that closes gives its index to the last one). An index beyond the group falls back
    /// to the kernel's hash of the addresses; a load beyond the datagram ends the program with
    /// 0, socket 0. It replaces any program the group had.
    ///
    /// # Errors
    /// - `InvalidInput` for an empty program, one longer than [`BPF_MAXINSNS`](crate::BPF_MAXINSNS),
    ///   or one dividing by the constant 0, naming it; `InvalidInput` when `SO_REUSEPORT` is off
    ///   (naming it); `InvalidInput` with the kernel's `EINVAL` for a program its checker refuses,
    ///   or for a socket bound before `SO_REUSEPORT` was set.
    ///
    /// # Examples
    /// Two sockets on one port; the first payload byte, modulo 2, says which one receives.
    /// ```
    /// use datagrams::{BpfInsn, UdpSocket};
    ///
    /// let a = UdpSocket::builder().reuse_port(true).bind("127.0.0.1:0")?;
    /// let port = a.local_addr()?;
    /// let b = UdpSocket::builder().reuse_port(true).bind(port)?;
    /// a.attach_reuseport_cbpf(&[BpfInsn::load_u8(0), BpfInsn::rem(2), BpfInsn::ret_a()])?;
    ///
    /// let sender = UdpSocket::bind("127.0.0.1:0")?;
    /// sender.send_to(&[1], port)?;
    /// sender.send_to(&[2], port)?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv(&mut buf)?, 1);
    /// assert_eq!(buf[0], 1); // 1 % 2: socket 1, b
    /// assert_eq!(a.recv(&mut buf)?, 1);
    /// assert_eq!(buf[0], 2); // 2 % 2: socket 0, a
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_ATTACH_REUSEPORT_CBPF")]
    pub fn attach_reuseport_cbpf(&self, program: &[crate::BpfInsn]) -> io::Result<()> {
        let program = crate::bpf::to_kernel(program)?;
        if !self.reuse_port()? {
            return Err(invalid_input(
                "SO_ATTACH_REUSEPORT_CBPF needs SO_REUSEPORT: set_reuse_port(true) before binding",
            ));
        }
        sockopt::set_bpf_program(self.as_fd(), libc::SO_ATTACH_REUSEPORT_CBPF, &program)
    }

    /// Removes the `SO_REUSEPORT` group's steering program (`setsockopt(SOL_SOCKET,
    /// SO_DETACH_REUSEPORT_BPF)`, Linux 5.3): the group spreads datagrams by the kernel's hash
    /// again.
    ///
    /// # Errors
    /// `NotFound` (the kernel's `ENOENT`) when the group has no program; `InvalidInput`
    /// (`EINVAL`) when the socket is in no group.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{BpfInsn, UdpSocket};
    /// use std::io::ErrorKind;
    ///
    /// let a = UdpSocket::builder().reuse_port(true).bind("127.0.0.1:0")?;
    /// assert_eq!(a.detach_reuseport_filter().unwrap_err().kind(), ErrorKind::NotFound); // no program
    /// a.attach_reuseport_cbpf(&[BpfInsn::ret(0)])?; // everything to socket 0
    /// a.detach_reuseport_filter()?; // the kernel's hash again
    ///
    /// let lone = UdpSocket::bind("127.0.0.1:0")?; // in no SO_REUSEPORT group
    /// assert_eq!(lone.detach_reuseport_filter().unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_DETACH_REUSEPORT_BPF")]
    pub fn detach_reuseport_filter(&self) -> io::Result<()> {
        sockopt::set_int(
            self.as_fd(),
            libc::SOL_SOCKET,
            libc::SO_DETACH_REUSEPORT_BPF,
            0,
        )
    }
}

/// IPv4 options (`IPPROTO_IP`, ip(7)).
impl UdpSocket {
    /// Sets the time-to-live of outgoing unicast datagrams, in hops (`IP_TTL`; Node's `setTTL`, Racket's
    /// `udp-set-ttl!`).
    ///
    /// # Errors
    /// `InvalidInput` outside 1..=255.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_ttl_v4(true)?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_ttl(5)?;
    /// assert_eq!(tx.ttl()?, 5);
    /// tx.send_to(b"hop", rx.local_addr()?)?;
    /// assert_eq!(rx.recv_msg(&mut [0u8; 8])?.ttl, Some(5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_TTL")]
    pub fn set_ttl(&self, hops: u32) -> io::Result<()> {
        let v = check_range("TTL", hops, 1..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IP, libc::IP_TTL, v)
    }

    /// The time-to-live of outgoing unicast datagrams, in hops (`IP_TTL`).
    ///
    /// [`set_ttl`](Self::set_ttl) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_TTL")]
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl_v4()
    }

    /// Sets the type-of-service byte of outgoing IPv4 datagrams (`IP_TOS`): DSCP in the upper six bits,
    /// ECN in the lower two (RFC 2474, RFC 3168).
    ///
    /// # Errors
    /// `InvalidInput` above 255.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_tos_v4(true)?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_tos_v4(46 << 2)?; // DSCP Expedited Forwarding
    /// assert_eq!(tx.tos_v4()?, 46 << 2);
    /// tx.send_to(b"ef", rx.local_addr()?)?;
    /// assert_eq!(rx.recv_msg(&mut [0u8; 8])?.tos, Some(46 << 2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_TOS")]
    pub fn set_tos_v4(&self, tos: u32) -> io::Result<()> {
        let v = check_range("TOS", tos, 0..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IP, libc::IP_TOS, v)
    }

    /// The type-of-service byte of outgoing IPv4 datagrams (`IP_TOS`).
    ///
    /// [`set_tos_v4`](Self::set_tos_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_TOS")]
    pub fn tos_v4(&self) -> io::Result<u32> {
        self.inner.tos_v4()
    }

    /// Queues the kernel's error reports about sent datagrams (ICMP errors, local errors) for
    /// [`recv_error`](Self::recv_error) (`IP_RECVERR`). With it on, unconnected sockets hear ICMP
    /// errors too, and every pending error also fails the next call once (`SO_ERROR`).
    ///
    /// Without it, Linux reports to a *connected* socket only the ICMP errors it deems hard
    /// (`udp(7)`, `__udp4_lib_err`): port and protocol unreachable (`ECONNREFUSED`,
    /// `ENOPROTOOPT`), unknown network or host, and administratively prohibited (`EACCES`). The
    /// soft ones, network and host unreachable (ICMP type 3 codes 0 and 1), time exceeded (type 11),
    /// and a neighbour that never answered ARP (a local `EHOSTUNREACH`), reach a socket only with
    /// this option on. IPv6 follows the same split with its own codes ([`set_recv_err_v6`](Self::set_recv_err_v6)).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_recv_err_v4(true)?; // ICMP errors are queued for recv_error
    /// assert_eq!(sock.recv_error()?, None); // none yet
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_RECVERR")]
    pub fn set_recv_err_v4(&self, on: bool) -> io::Result<()> {
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_RECVERR,
            libc::c_int::from(on),
        )
    }

    /// Sets path MTU discovery for IPv4 (`IP_MTU_DISCOVER`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{PmtuDiscover, UdpSocket};
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(sock.mtu_discover_v4()?, PmtuDiscover::Want); // the default
    /// sock.set_mtu_discover_v4(PmtuDiscover::Do)?; // always set DF
    /// assert_eq!(sock.mtu_discover_v4()?, PmtuDiscover::Do);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MTU_DISCOVER")]
    pub fn set_mtu_discover_v4(&self, mode: PmtuDiscover) -> io::Result<()> {
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            mode.value(),
        )
    }

    /// The IPv4 path MTU discovery mode (`IP_MTU_DISCOVER`).
    ///
    /// [`set_mtu_discover_v4`](Self::set_mtu_discover_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_MTU_DISCOVER")]
    pub fn mtu_discover_v4(&self) -> io::Result<PmtuDiscover> {
        PmtuDiscover::from_value(sockopt::get_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
        )?)
    }

    /// Lets the socket bind an IPv4 address no interface has (yet), a "non-local" bind
    /// (`setsockopt(IPPROTO_IP, IP_FREEBIND)`, ip(7)): for a service that starts before its
    /// address is configured, or binds a floating address. Set it before binding. On an IPv6
    /// socket it is the same flag as [`set_freebind_v6`](Self::set_freebind_v6). Without it (and
    /// without the sysctl `net.ipv4.ip_nonlocal_bind`), such a bind fails with
    /// `AddrNotAvailable` (`EADDRNOTAVAIL`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V4)?;
    /// sock.set_freebind_v4(true)?;
    /// assert!(sock.freebind_v4()?);
    /// sock.bind_to("192.0.2.77:0")?; // an address of no interface here
    /// assert_eq!(sock.local_addr()?.ip().to_string(), "192.0.2.77");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_FREEBIND")]
    pub fn set_freebind_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_freebind_v4(on)
    }

    /// Whether the socket may bind a non-local IPv4 address (`IP_FREEBIND`).
    ///
    /// [`set_freebind_v4`](Self::set_freebind_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_FREEBIND")]
    pub fn freebind_v4(&self) -> io::Result<bool> {
        self.inner.freebind_v4()
    }

    /// The path MTU in bytes to the connected peer, as the kernel knows it (`IP_MTU`, `IPV6_MTU`).
    ///
    /// # Errors
    /// `NotConnected` when the socket is not connected (the kernel's `ENOTCONN`).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// sock.connect(UdpSocket::bind("127.0.0.1:0")?.local_addr()?)?;
    /// assert_eq!(sock.path_mtu()?, 65535); // lo: 65536, reported as at most IP_MAX_MTU
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_MTU")]
    #[doc(alias = "IPV6_MTU")]
    pub fn path_mtu(&self) -> io::Result<u32> {
        let peer = self.peer_addr()?;
        let mapped_v4 = matches!(peer, SocketAddr::V6(v6) if v6.ip().to_ipv4_mapped().is_some());
        let (level, name) = match peer {
            SocketAddr::V4(_) => (libc::IPPROTO_IP, IP_MTU),
            SocketAddr::V6(_) if mapped_v4 => (libc::IPPROTO_IP, IP_MTU),
            SocketAddr::V6(_) => (libc::IPPROTO_IPV6, IPV6_MTU),
        };
        let mtu = sockopt::get_int(self.as_fd(), level, name)?;
        u32::try_from(mtu)
            .map_err(|_| invalid_input(format!("the kernel reported a path MTU of {mtu}")))
    }

    /// Makes the socket transparent (`setsockopt(IPPROTO_IP, IP_TRANSPARENT)`, ip(7)): it may bind
    /// an address that is not this host's, receive datagrams a `TPROXY` rule (nftables `tproxy`,
    /// iptables `TPROXY`) steers to it for other destinations, and send from any source address: a
    /// [`Transmit`](crate::Transmit) whose [`src_ip`](crate::Transmit::src_ip) is the original
    /// destination ([`RecvMeta::orig_dst`](crate::RecvMeta::orig_dst), with
    /// [`set_recv_orig_dst_addr_v4`](Self::set_recv_orig_dst_addr_v4)) replies as that address, as
    /// a transparent proxy does. Such a source needs this option on IPv4 (`IP_FREEBIND` is not
    /// enough: without it the kernel finds no route from the address, `ENETUNREACH`); on IPv6
    /// either will do. The kernel keeps one flag for `IP_TRANSPARENT` and `IPV6_TRANSPARENT`:
    /// either switches both.
    ///
    /// # Errors
    /// `PermissionDenied` (the kernel's `EPERM`) when switching it on without `CAP_NET_ADMIN` or
    /// `CAP_NET_RAW`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// match sock.set_transparent_v4(true) {
    ///     Ok(()) => assert!(sock.transparent_v4()?),
    ///     // Without CAP_NET_ADMIN or CAP_NET_RAW.
    ///     Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
    ///         assert!(!sock.transparent_v4()?)
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_TRANSPARENT")]
    pub fn set_transparent_v4(&self, on: bool) -> io::Result<()> {
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IP,
            libc::IP_TRANSPARENT,
            libc::c_int::from(on),
        )
    }

    /// Whether the socket is transparent (`IP_TRANSPARENT`).
    ///
    /// [`set_transparent_v4`](Self::set_transparent_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_TRANSPARENT")]
    pub fn transparent_v4(&self) -> io::Result<bool> {
        Ok(sockopt::get_int(self.as_fd(), libc::IPPROTO_IP, libc::IP_TRANSPARENT)? != 0)
    }
}

/// IPv6 options (`IPPROTO_IPV6`, ipv6(7)).
impl UdpSocket {
    /// Sets the hop limit of outgoing unicast IPv6 datagrams (`IPV6_UNICAST_HOPS`; Node's `setTTL` on a
    /// `udp6` socket).
    ///
    /// # Errors
    /// `InvalidInput` above 255 or on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("[::1]:0")?;
    /// rx.set_recv_hoplimit_v6(true)?;
    /// let tx = UdpSocket::bind("[::1]:0")?;
    /// tx.set_unicast_hops_v6(5)?;
    /// assert_eq!(tx.unicast_hops_v6()?, 5);
    /// tx.send_to(b"hop", rx.local_addr()?)?;
    /// assert_eq!(rx.recv_msg(&mut [0u8; 8])?.ttl, Some(5));
    ///
    /// let v4 = UdpSocket::bind("127.0.0.1:0")?; // IPv4: set_ttl is its option
    /// assert_eq!(v4.set_unicast_hops_v6(5).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_UNICAST_HOPS")]
    pub fn set_unicast_hops_v6(&self, hops: u32) -> io::Result<()> {
        self.require_v6("IPV6_UNICAST_HOPS")?;
        let v = check_range("hop limit", hops, 0..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, v)
    }

    /// The hop limit of outgoing unicast IPv6 datagrams (`IPV6_UNICAST_HOPS`).
    ///
    /// [`set_unicast_hops_v6`](Self::set_unicast_hops_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_UNICAST_HOPS")]
    pub fn unicast_hops_v6(&self) -> io::Result<u32> {
        self.require_v6("IPV6_UNICAST_HOPS")?;
        self.inner.unicast_hops_v6()
    }

    /// Restricts an IPv6 socket to IPv6 (`IPV6_V6ONLY`; Node's `ipv6Only`). Set it before binding.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket, or (the kernel's `EINVAL`) once the socket is bound.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V6)?;
    /// sock.set_only_v6(true)?; // before binding: IPv6 only, no v4-mapped traffic
    /// sock.bind_to("[::]:0")?;
    /// assert!(sock.only_v6()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_V6ONLY")]
    pub fn set_only_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_V6ONLY")?;
        self.inner.set_only_v6(on)?;
        self.state
            .v6only
            .store(if on { 2 } else { 1 }, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Whether the socket is restricted to IPv6 (`IPV6_V6ONLY`).
    ///
    /// [`set_only_v6`](Self::set_only_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_V6ONLY")]
    pub fn only_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_V6ONLY")?;
        self.inner.only_v6()
    }

    /// Sets the traffic class of outgoing IPv6 datagrams (`IPV6_TCLASS`): DSCP and ECN, as `IP_TOS`.
    ///
    /// # Errors
    /// `InvalidInput` above 255 or on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Ecn, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("[::1]:0")?;
    /// rx.set_recv_tclass_v6(true)?;
    /// let tx = UdpSocket::bind("[::1]:0")?;
    /// let tclass = 46 << 2 | Ecn::Ect0 as u32; // DSCP Expedited Forwarding, ECT(0)
    /// tx.set_tclass_v6(tclass)?;
    /// assert_eq!(tx.tclass_v6()?, tclass);
    /// tx.send_to(b"ef", rx.local_addr()?)?;
    /// let meta = rx.recv_msg(&mut [0u8; 8])?;
    /// assert_eq!(meta.tos, Some(tclass as u8));
    /// assert_eq!(meta.ecn(), Some(Ecn::Ect0));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_TCLASS")]
    pub fn set_tclass_v6(&self, tclass: u32) -> io::Result<()> {
        self.require_v6("IPV6_TCLASS")?;
        let v = check_range("traffic class", tclass, 0..=255)?;
        crate::sys::sockopt::set_int(self.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_TCLASS, v)
    }

    /// The traffic class of outgoing IPv6 datagrams (`IPV6_TCLASS`).
    ///
    /// [`set_tclass_v6`](Self::set_tclass_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_TCLASS")]
    pub fn tclass_v6(&self) -> io::Result<u32> {
        self.require_v6("IPV6_TCLASS")?;
        self.inner.tclass_v6()
    }

    /// Lets an IPv6 socket bind an IPv6 address no interface has (yet)
    /// (`setsockopt(IPPROTO_IPV6, IPV6_FREEBIND)`, ipv6(7), Linux 4.15), as
    /// [`set_freebind_v4`](Self::set_freebind_v4) does for IPv4 (the sysctl is
    /// `net.ipv6.ip_nonlocal_bind`). Set it before binding.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Family, UdpSocket};
    ///
    /// let sock = UdpSocket::unbound(Family::V6)?;
    /// sock.set_freebind_v6(true)?;
    /// assert!(sock.freebind_v6()?);
    /// sock.bind_to("[2001:db8::77]:0")?; // an address of no interface here
    /// assert_eq!(sock.local_addr()?.ip().to_string(), "2001:db8::77");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_FREEBIND")]
    pub fn set_freebind_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_FREEBIND")?;
        self.inner.set_freebind_v6(on)
    }

    /// Whether the socket may bind a non-local IPv6 address (`IPV6_FREEBIND`).
    ///
    /// [`set_freebind_v6`](Self::set_freebind_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_FREEBIND")]
    pub fn freebind_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_FREEBIND")?;
        self.inner.freebind_v6()
    }

    pub(crate) fn require_v6(&self, option: &str) -> io::Result<()> {
        if self.family == Family::V6 {
            Ok(())
        } else {
            Err(invalid_input(format!(
                "{option} applies to IPv6 sockets; this socket is IPv4"
            )))
        }
    }

    /// The IPv6 form of [`set_recv_err_v4`](Self::set_recv_err_v4) (`IPV6_RECVERR`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::1]:0")?;
    /// sock.set_recv_err_v6(true)?; // ICMPv6 errors are queued for recv_error
    /// assert_eq!(sock.recv_error()?, None); // none yet
    /// let v4 = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(v4.set_recv_err_v6(true).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_RECVERR")]
    pub fn set_recv_err_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_RECVERR")?;
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVERR,
            libc::c_int::from(on),
        )
    }

    /// Sets path MTU discovery for IPv6 (`IPV6_MTU_DISCOVER`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{PmtuDiscover, UdpSocket};
    ///
    /// let sock = UdpSocket::bind("[::1]:0")?;
    /// assert_eq!(sock.mtu_discover_v6()?, PmtuDiscover::Want); // the default
    /// sock.set_mtu_discover_v6(PmtuDiscover::Probe)?; // DF set, the path MTU ignored
    /// assert_eq!(sock.mtu_discover_v6()?, PmtuDiscover::Probe);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_MTU_DISCOVER")]
    pub fn set_mtu_discover_v6(&self, mode: PmtuDiscover) -> io::Result<()> {
        self.require_v6("IPV6_MTU_DISCOVER")?;
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            IPV6_MTU_DISCOVER,
            mode.value(),
        )
    }

    /// The IPv6 path MTU discovery mode (`IPV6_MTU_DISCOVER`).
    ///
    /// [`set_mtu_discover_v6`](Self::set_mtu_discover_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_MTU_DISCOVER")]
    pub fn mtu_discover_v6(&self) -> io::Result<PmtuDiscover> {
        self.require_v6("IPV6_MTU_DISCOVER")?;
        PmtuDiscover::from_value(sockopt::get_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            IPV6_MTU_DISCOVER,
        )?)
    }

    /// The IPv6 form of [`set_transparent_v4`](Self::set_transparent_v4)
    /// (`setsockopt(IPPROTO_IPV6, IPV6_TRANSPARENT)`, ipv6(7)); the kernel keeps one flag for
    /// both.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket; `PermissionDenied` (the kernel's `EPERM`) when switching
    /// it on without `CAP_NET_ADMIN` or `CAP_NET_RAW`.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("[::1]:0")?;
    /// match sock.set_transparent_v6(true) {
    ///     Ok(()) => assert!(sock.transparent_v6()? && sock.transparent_v4()?), // one flag for both
    ///     // Without CAP_NET_ADMIN or CAP_NET_RAW.
    ///     Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
    ///         assert!(!sock.transparent_v6()?)
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_TRANSPARENT")]
    pub fn set_transparent_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_TRANSPARENT")?;
        sockopt::set_int(
            self.as_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_TRANSPARENT,
            libc::c_int::from(on),
        )
    }

    /// Whether the socket is transparent (`IPV6_TRANSPARENT`).
    ///
    /// [`set_transparent_v6`](Self::set_transparent_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_TRANSPARENT")]
    pub fn transparent_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_TRANSPARENT")?;
        Ok(sockopt::get_int(self.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_TRANSPARENT)? != 0)
    }
}

/// UDP options (`SOL_UDP`, udp(7)).
impl UdpSocket {
    /// Corks the socket (`UDP_CORK`): every send until it is uncorked goes into one datagram, sent
    /// when `set_cork(false)` is called (udp(7)).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// tx.set_cork(true)?;
    /// assert!(tx.cork()?);
    /// tx.send(b"one ")?;
    /// tx.send(b"datagram")?;
    /// tx.set_cork(false)?; // sends what was corked, as one datagram
    /// assert!(!tx.cork()?);
    /// let mut buf = [0u8; 32];
    /// let n = rx.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"one datagram");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "UDP_CORK")]
    pub fn set_cork(&self, on: bool) -> io::Result<()> {
        sockopt::set_int(self.as_fd(), libc::SOL_UDP, UDP_CORK, libc::c_int::from(on))
    }

    /// Whether the socket is corked (`UDP_CORK`).
    ///
    /// [`set_cork`](Self::set_cork) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "UDP_CORK")]
    pub fn cork(&self) -> io::Result<bool> {
        Ok(sockopt::get_int(self.as_fd(), libc::SOL_UDP, UDP_CORK)? != 0)
    }
}

/// Path MTU discovery modes (`IP_MTU_DISCOVER`/`IPV6_MTU_DISCOVER`, ip(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PmtuDiscover {
    /// Never set DF: routers fragment (`IP_PMTUDISC_DONT`).
    Dont,
    /// Use the path MTU where known, else fragment (`IP_PMTUDISC_WANT`, the default).
    Want,
    /// Always set DF; a datagram above the known path MTU fails with `EMSGSIZE` (`IP_PMTUDISC_DO`).
    Do,
    /// Set DF and ignore the path MTU: for probing (`IP_PMTUDISC_PROBE`).
    Probe,
    /// Use the interface MTU, never the path MTU, and never fragment locally (`IP_PMTUDISC_INTERFACE`,
    /// Linux 3.15): against forged ICMP "fragmentation needed" reports.
    Interface,
    /// As `Interface`, but fragment datagrams above the interface MTU (`IP_PMTUDISC_OMIT`, Linux
    /// 3.16).
    Omit,
}

impl PmtuDiscover {
    fn value(self) -> libc::c_int {
        match self {
            PmtuDiscover::Dont => 0,
            PmtuDiscover::Want => 1,
            PmtuDiscover::Do => 2,
            PmtuDiscover::Probe => 3,
            PmtuDiscover::Interface => 4,
            PmtuDiscover::Omit => 5,
        }
    }

    fn from_value(v: libc::c_int) -> io::Result<PmtuDiscover> {
        Ok(match v {
            0 => PmtuDiscover::Dont,
            1 => PmtuDiscover::Want,
            2 => PmtuDiscover::Do,
            3 => PmtuDiscover::Probe,
            4 => PmtuDiscover::Interface,
            5 => PmtuDiscover::Omit,
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown PMTU mode {other}"),
                ));
            }
        })
    }
}

/// A `State::recv_opts` bit that is no option: set on a [`UdpSocketRef`](crate::UdpSocketRef)'s
/// socket, whose owner may switch options on behind dgram's back, so that every receive offers a
/// control area.
pub(crate) const ALWAYS_CONTROL: u32 = 1 << 31;

/// The receive options that add control messages: one bit each in `State::recv_opts`.
mod bit {
    pub(super) const PKTINFO_V4: u32 = 1 << 0;
    pub(super) const PKTINFO_V6: u32 = 1 << 1;
    pub(super) const TOS_V4: u32 = 1 << 2;
    pub(super) const TCLASS_V6: u32 = 1 << 3;
    pub(super) const TTL_V4: u32 = 1 << 4;
    pub(super) const HOPLIMIT_V6: u32 = 1 << 5;
    pub(super) const TIMESTAMP: u32 = 1 << 6;
    pub(super) const DROPS: u32 = 1 << 7;
    pub(super) const GRO: u32 = 1 << 8;
    pub(super) const TIMESTAMPING: u32 = 1 << 9;
    pub(super) const ORIGDSTADDR_V4: u32 = 1 << 10;
    pub(super) const ORIGDSTADDR_V6: u32 = 1 << 11;
}

/// Every receive option that adds a control message, with its bit in `State::recv_opts`: the
/// setters below switch one each, and an adopted socket reads them all ([`recv_opts_of`]).
const RECV_OPTS: [(u32, libc::c_int, libc::c_int); 12] = [
    (bit::PKTINFO_V4, libc::IPPROTO_IP, libc::IP_PKTINFO),
    (bit::PKTINFO_V6, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO),
    (bit::TOS_V4, libc::IPPROTO_IP, libc::IP_RECVTOS),
    (bit::TCLASS_V6, libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS),
    (bit::TTL_V4, libc::IPPROTO_IP, libc::IP_RECVTTL),
    (
        bit::HOPLIMIT_V6,
        libc::IPPROTO_IPV6,
        libc::IPV6_RECVHOPLIMIT,
    ),
    (
        bit::TIMESTAMP,
        libc::SOL_SOCKET,
        crate::sys::consts::SO_TIMESTAMPNS,
    ),
    (
        bit::DROPS,
        libc::SOL_SOCKET,
        crate::sys::consts::SO_RXQ_OVFL,
    ),
    (bit::GRO, libc::SOL_UDP, crate::sys::consts::UDP_GRO),
    // Any SO_TIMESTAMPING flag: with `SOFTWARE` the kernel stamps receives even without
    // `RX_SOFTWARE` once another socket asked for receive stamps.
    (
        bit::TIMESTAMPING,
        libc::SOL_SOCKET,
        crate::sys::consts::SO_TIMESTAMPING,
    ),
    (
        bit::ORIGDSTADDR_V4,
        libc::IPPROTO_IP,
        libc::IP_RECVORIGDSTADDR,
    ),
    (
        bit::ORIGDSTADDR_V6,
        libc::IPPROTO_IPV6,
        libc::IPV6_RECVORIGDSTADDR,
    ),
];

/// The receive options already on for a socket being adopted (set before dgram had it: socket
/// activation, a parent process), as `State::recv_opts` bits, so that its receives offer the
/// kernel a control area and decode the metadata as on a socket dgram made. An option the kernel
/// does not know on this socket (IPv6 ones on an IPv4 socket) reads as off.
pub(super) fn recv_opts_of(fd: std::os::fd::BorrowedFd<'_>) -> u32 {
    RECV_OPTS
        .iter()
        .filter(|&&(_, level, name)| {
            crate::sys::sockopt::get_int(fd, level, name).is_ok_and(|v| v != 0)
        })
        .fold(0, |bits, &(bit, _, _)| bits | bit)
}

impl UdpSocket {
    /// A receive that offered no control area found control messages waiting (`MSG_CTRUNC`): a
    /// receive option was switched on other than through this socket's setters (another handle
    /// made from the same descriptor, std's or socket2's socket). Reads them again, so that the next
    /// receives offer a control area; the datagram at hand reported `control_truncated`.
    #[cold]
    pub(crate) fn recv_opts_changed_elsewhere(&self) {
        let fresh = recv_opts_of(self.as_fd());
        self.state
            .recv_opts
            .fetch_or(fresh, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What arrives with a datagram: options that make [`UdpSocket::recv_msg`] fill more of
/// [`RecvMeta`](crate::RecvMeta). Each is off by default and costs nothing while off: a receive offers
/// the kernel a control area only when one of them is on.
impl UdpSocket {
    fn set_recv_opt(
        &self,
        bit: u32,
        level: libc::c_int,
        name: libc::c_int,
        on: bool,
    ) -> io::Result<()> {
        self.set_recv_opt_value(bit, level, name, libc::c_int::from(on))
    }

    /// Sets a receive option to `value` and keeps its bit: on for any value but 0.
    fn set_recv_opt_value(
        &self,
        bit: u32,
        level: libc::c_int,
        name: libc::c_int,
        value: libc::c_int,
    ) -> io::Result<()> {
        crate::sys::sockopt::set_int(self.as_fd(), level, name, value)?;
        if value != 0 {
            self.state
                .recv_opts
                .fetch_or(bit, std::sync::atomic::Ordering::Relaxed);
        } else {
            self.state
                .recv_opts
                .fetch_and(!bit, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    fn recv_opt(&self, level: libc::c_int, name: libc::c_int) -> io::Result<bool> {
        Ok(crate::sys::sockopt::get_int(self.as_fd(), level, name)? != 0)
    }

    /// Reports each IPv4 datagram's destination address and arrival interface
    /// ([`RecvMeta::dst_ip`](crate::RecvMeta::dst_ip), [`ifindex`](crate::RecvMeta::ifindex);
    /// `IP_PKTINFO`). Works on IPv6 sockets for IPv4 traffic too.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv4Addr;
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("0.0.0.0:0")?;
    /// rx.set_recv_pktinfo_v4(true)?;
    /// assert!(rx.recv_pktinfo_v4()?);
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"to whom?", (Ipv4Addr::LOCALHOST, rx.local_addr()?.port()))?;
    /// let meta = rx.recv_msg(&mut [0u8; 16])?;
    /// assert_eq!(meta.dst_ip, Some(Ipv4Addr::LOCALHOST.into()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_PKTINFO")]
    pub fn set_recv_pktinfo_v4(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(bit::PKTINFO_V4, libc::IPPROTO_IP, libc::IP_PKTINFO, on)
    }

    /// Whether `IP_PKTINFO` is on.
    ///
    /// [`set_recv_pktinfo_v4`](Self::set_recv_pktinfo_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_PKTINFO")]
    pub fn recv_pktinfo_v4(&self) -> io::Result<bool> {
        self.recv_opt(libc::IPPROTO_IP, libc::IP_PKTINFO)
    }

    /// Reports each IPv6 datagram's destination address and arrival interface (`IPV6_RECVPKTINFO`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use std::net::Ipv6Addr;
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("[::]:0")?;
    /// rx.set_recv_pktinfo_v6(true)?;
    /// assert!(rx.recv_pktinfo_v6()?);
    /// let tx = UdpSocket::bind("[::1]:0")?;
    /// tx.send_to(b"to whom?", (Ipv6Addr::LOCALHOST, rx.local_addr()?.port()))?;
    /// let meta = rx.recv_msg(&mut [0u8; 16])?;
    /// assert_eq!(meta.dst_ip, Some(Ipv6Addr::LOCALHOST.into()));
    /// assert_eq!(meta.ifindex, Some(1)); // lo
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_RECVPKTINFO")]
    pub fn set_recv_pktinfo_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_RECVPKTINFO")?;
        self.set_recv_opt(
            bit::PKTINFO_V6,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVPKTINFO,
            on,
        )
    }

    /// Whether `IPV6_RECVPKTINFO` is on.
    ///
    /// [`set_recv_pktinfo_v6`](Self::set_recv_pktinfo_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_RECVPKTINFO")]
    pub fn recv_pktinfo_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_RECVPKTINFO")?;
        self.recv_opt(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
    }

    /// Reports each IPv4 datagram's TOS byte, and so its ECN codepoint
    /// ([`RecvMeta::tos`](crate::RecvMeta::tos), [`ecn`](crate::RecvMeta::ecn); `IP_RECVTOS`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Ecn, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(!rx.recv_tos_v4()?);
    /// rx.set_recv_tos_v4(true)?;
    /// assert!(rx.recv_tos_v4()?);
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_tos_v4(Ecn::Ect1 as u32)?; // ECN-capable, no DSCP
    /// tx.send_to(b"l4s", rx.local_addr()?)?;
    /// let meta = rx.recv_msg(&mut [0u8; 8])?;
    /// assert_eq!(meta.tos, Some(Ecn::Ect1 as u8));
    /// assert_eq!(meta.ecn(), Some(Ecn::Ect1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_RECVTOS")]
    pub fn set_recv_tos_v4(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(bit::TOS_V4, libc::IPPROTO_IP, libc::IP_RECVTOS, on)
    }

    /// Whether `IP_RECVTOS` is on.
    ///
    /// [`set_recv_tos_v4`](Self::set_recv_tos_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_RECVTOS")]
    pub fn recv_tos_v4(&self) -> io::Result<bool> {
        self.recv_opt(libc::IPPROTO_IP, libc::IP_RECVTOS)
    }

    /// Reports each IPv6 datagram's traffic class, and so its ECN codepoint (`IPV6_RECVTCLASS`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Ecn, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("[::1]:0")?;
    /// rx.set_recv_tclass_v6(true)?;
    /// assert!(rx.recv_tclass_v6()?);
    /// let tx = UdpSocket::bind("[::1]:0")?;
    /// tx.send_to(b"plain", rx.local_addr()?)?; // traffic class 0: not ECN-capable
    /// let meta = rx.recv_msg(&mut [0u8; 8])?;
    /// assert_eq!(meta.tos, Some(0));
    /// assert_eq!(meta.ecn(), Some(Ecn::NotEct));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_RECVTCLASS")]
    pub fn set_recv_tclass_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_RECVTCLASS")?;
        self.set_recv_opt(
            bit::TCLASS_V6,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVTCLASS,
            on,
        )
    }

    /// Whether `IPV6_RECVTCLASS` is on.
    ///
    /// [`set_recv_tclass_v6`](Self::set_recv_tclass_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_RECVTCLASS")]
    pub fn recv_tclass_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_RECVTCLASS")?;
        self.recv_opt(libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS)
    }

    /// Reports each IPv4 datagram's TTL in hops ([`RecvMeta::ttl`](crate::RecvMeta::ttl);
    /// `IP_RECVTTL`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_ttl_v4(true)?;
    /// assert!(rx.recv_ttl_v4()?);
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"hops?", rx.local_addr()?)?;
    /// let meta = rx.recv_msg(&mut [0u8; 8])?;
    /// assert_eq!(meta.ttl.map(u32::from), Some(tx.ttl()?)); // loopback: no router on the way
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_RECVTTL")]
    pub fn set_recv_ttl_v4(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(bit::TTL_V4, libc::IPPROTO_IP, libc::IP_RECVTTL, on)
    }

    /// Whether `IP_RECVTTL` is on.
    ///
    /// [`set_recv_ttl_v4`](Self::set_recv_ttl_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_RECVTTL")]
    pub fn recv_ttl_v4(&self) -> io::Result<bool> {
        self.recv_opt(libc::IPPROTO_IP, libc::IP_RECVTTL)
    }

    /// Reports each IPv6 datagram's hop limit in hops (`IPV6_RECVHOPLIMIT`).
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("[::1]:0")?;
    /// rx.set_recv_hoplimit_v6(true)?;
    /// assert!(rx.recv_hoplimit_v6()?);
    /// let tx = UdpSocket::bind("[::1]:0")?;
    /// tx.send_to(b"hops?", rx.local_addr()?)?;
    /// let meta = rx.recv_msg(&mut [0u8; 8])?;
    /// assert_eq!(meta.ttl.map(u32::from), Some(tx.unicast_hops_v6()?)); // loopback: no router
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_RECVHOPLIMIT")]
    pub fn set_recv_hoplimit_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_RECVHOPLIMIT")?;
        self.set_recv_opt(
            bit::HOPLIMIT_V6,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVHOPLIMIT,
            on,
        )
    }

    /// Whether `IPV6_RECVHOPLIMIT` is on.
    ///
    /// [`set_recv_hoplimit_v6`](Self::set_recv_hoplimit_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_RECVHOPLIMIT")]
    pub fn recv_hoplimit_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_RECVHOPLIMIT")?;
        self.recv_opt(libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT)
    }

    /// Reports when the kernel received each datagram, in nanoseconds of wall-clock time
    /// ([`RecvMeta::timestamp`](crate::RecvMeta::timestamp); `SO_TIMESTAMPNS`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_timestamp(true)?;
    /// assert!(rx.recv_timestamp()?);
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"when?", rx.local_addr()?)?;
    /// let meta = rx.recv_msg(&mut [0u8; 16])?;
    /// assert!(meta.timestamp.unwrap() <= std::time::SystemTime::now());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_TIMESTAMPNS")]
    pub fn set_recv_timestamp(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(
            bit::TIMESTAMP,
            libc::SOL_SOCKET,
            crate::sys::consts::SO_TIMESTAMPNS,
            on,
        )
    }

    /// Whether `SO_TIMESTAMPNS` is on.
    ///
    /// [`set_recv_timestamp`](Self::set_recv_timestamp) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_TIMESTAMPNS")]
    pub fn recv_timestamp(&self) -> io::Result<bool> {
        self.recv_opt(libc::SOL_SOCKET, crate::sys::consts::SO_TIMESTAMPNS)
    }

    /// Reports the socket's running count of datagrams dropped for a full receive buffer
    /// ([`RecvMeta::drops`](crate::RecvMeta::drops); `SO_RXQ_OVFL`).
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    /// use std::time::Duration;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_drop_count(true)?;
    /// assert!(rx.recv_drop_count()?);
    /// rx.set_recv_buffer_size(1)?; // the kernel's minimum: room for a few datagrams
    /// rx.set_read_timeout(Some(Duration::from_secs(10)))?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// for _ in 0..64 {
    ///     tx.send(&[0u8; 1000])?; // most find the buffer full and are dropped
    /// }
    /// rx.recv(&mut [0u8; 1000])?; // room for one more
    /// tx.send(b"last")?;
    /// let mut buf = [0u8; 1000];
    /// let meta = loop {
    ///     let meta = rx.recv_msg(&mut buf)?;
    ///     if &buf[..meta.len] == b"last" {
    ///         break meta;
    ///     }
    /// };
    /// assert!(meta.drops.is_some_and(|n| n > 0)); // the count when "last" was queued
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_RXQ_OVFL")]
    pub fn set_recv_drop_count(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(
            bit::DROPS,
            libc::SOL_SOCKET,
            crate::sys::consts::SO_RXQ_OVFL,
            on,
        )
    }

    /// Whether `SO_RXQ_OVFL` is on.
    ///
    /// [`set_recv_drop_count`](Self::set_recv_drop_count) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_RXQ_OVFL")]
    pub fn recv_drop_count(&self) -> io::Result<bool> {
        self.recv_opt(libc::SOL_SOCKET, crate::sys::consts::SO_RXQ_OVFL)
    }

    /// Lets one receive hold several datagrams of one flow, coalesced by the kernel (UDP GRO,
    /// `UDP_GRO`, Linux 5.0): [`RecvMeta::stride`](crate::RecvMeta::stride) then says their size, and
    /// [`RecvMeta::segments`](crate::RecvMeta::segments) splits the buffer. Give such receives buffers
    /// of 64 KiB, or coalesced datagrams are truncated.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports (`ENOPROTOOPT` before Linux 5.0).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, Transmit, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_gro(true)?;
    /// assert!(rx.gro()?);
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_msg(&Transmit::new(rx.local_addr()?, &[7u8; 3000]).segment_size(1000))?;
    /// let mut buf = vec![0u8; 65536];
    /// let mut got = 0;
    /// while got < 3000 {
    ///     let meta = rx.recv_msg(&mut buf)?;
    ///     // one receive may hold several datagrams of `stride` bytes: split it back
    ///     got += meta.segments(&buf[..meta.len]).map(|d| { assert!(d.len() <= 1000); d.len() }).sum::<usize>();
    /// }
    /// assert_eq!(got, 3000);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "UDP_GRO")]
    pub fn set_gro(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(bit::GRO, libc::SOL_UDP, crate::sys::consts::UDP_GRO, on)
    }

    /// Whether `UDP_GRO` is on.
    ///
    /// [`set_gro`](Self::set_gro) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "UDP_GRO")]
    pub fn gro(&self) -> io::Result<bool> {
        self.recv_opt(libc::SOL_UDP, crate::sys::consts::UDP_GRO)
    }

    /// Asks the kernel for timestamps (`setsockopt(SOL_SOCKET, SO_TIMESTAMPING)`, socket(7), the
    /// kernel's `Documentation/networking/timestamping.rst`): on receive, each datagram's
    /// arrival ([`RecvMeta::timestamp`](crate::RecvMeta::timestamp), also through
    /// [`recv_batch`](Self::recv_batch)); on transmit, one report on the error queue per sent
    /// datagram and kind ([`recv_error`](Self::recv_error) →
    /// [`SockError::timestamp`](crate::SockError::timestamp), a [`TxTimestamp`](crate::TxTimestamp)
    /// whose [`id`](crate::TxTimestamp::id) numbers the sends with
    /// [`OPT_ID`](TimestampingFlags::OPT_ID)). Timestamps are wall-clock time (`CLOCK_REALTIME`)
    /// with nanoseconds. [`TimestampingFlags::empty()`] switches it off. Transmit reports need no
    /// `IP_RECVERR`, and are not errors: they set no `SO_ERROR` and fail no call.
    ///
    /// Setting `OPT_ID` when it was off restarts the numbering at 0.
    ///
    /// Receive stamps are taken as datagrams arrive only while some socket of the system asks for
    /// them: the first socket to ask switches that on from a kernel work item
    /// (`net_enable_timestamp`), so a datagram arriving in the moment after may come without a
    /// timestamp (`RecvMeta::timestamp` is then `None`; unlike `SO_TIMESTAMPNS`, the kernel fills
    /// in none). Transmit stamps are always taken.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports: `InvalidInput` (the kernel's `EINVAL`) for flags it refuses,
    /// which only bits read back from a socket set up outside dgram can be.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{TimestampingFlags as T, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_timestamping(T::RX_SOFTWARE | T::SOFTWARE)?;
    /// assert_eq!(rx.timestamping()?, T::RX_SOFTWARE | T::SOFTWARE);
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"when?", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_msg(&mut buf)?;
    /// // None only if this was the system's first socket to ask, in the moment after.
    /// if let Some(at) = meta.timestamp {
    ///     println!("received at {at:?}");
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "SO_TIMESTAMPING")]
    #[doc(alias = "SCM_TIMESTAMPING")]
    pub fn set_timestamping(&self, flags: TimestampingFlags) -> io::Result<()> {
        let value = libc::c_int::try_from(flags.bits()).map_err(|_| {
            invalid_input(format!(
                "{flags:?} is not a set of SO_TIMESTAMPING flags the kernel knows"
            ))
        })?;
        self.set_recv_opt_value(
            bit::TIMESTAMPING,
            libc::SOL_SOCKET,
            crate::sys::consts::SO_TIMESTAMPING,
            value,
        )
    }

    /// The `SO_TIMESTAMPING` flags on (`getsockopt(SOL_SOCKET, SO_TIMESTAMPING)`), with any bits
    /// set outside dgram kept.
    ///
    /// [`set_timestamping`](Self::set_timestamping) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "SO_TIMESTAMPING")]
    pub fn timestamping(&self) -> io::Result<TimestampingFlags> {
        let bits = sockopt::get_int(
            self.as_fd(),
            libc::SOL_SOCKET,
            crate::sys::consts::SO_TIMESTAMPING,
        )?;
        // The kernel's flags are an `int` of bits; the sign bit is one of them.
        Ok(TimestampingFlags::from_kernel(bits as u32))
    }

    /// Reports each IPv4 datagram's original destination address and port
    /// ([`RecvMeta::orig_dst`](crate::RecvMeta::orig_dst);
    /// `setsockopt(IPPROTO_IP, IP_RECVORIGDSTADDR)`, ip(7)): on a transparent proxy's socket
    /// ([`set_transparent_v4`](Self::set_transparent_v4)), where the sender sent it before a
    /// `TPROXY` rule steered it here. Works on IPv6 sockets for IPv4 traffic too.
    ///
    /// # Errors
    /// What `setsockopt(2)` reports.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_orig_dst_addr_v4(true)?;
    /// assert!(rx.recv_orig_dst_addr_v4()?);
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"to you", rx.local_addr()?)?;
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_msg(&mut buf)?;
    /// assert_eq!(meta.orig_dst, Some(rx.local_addr()?)); // no proxy: the socket's own address
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IP_RECVORIGDSTADDR")]
    #[doc(alias = "IP_ORIGDSTADDR")]
    pub fn set_recv_orig_dst_addr_v4(&self, on: bool) -> io::Result<()> {
        self.set_recv_opt(
            bit::ORIGDSTADDR_V4,
            libc::IPPROTO_IP,
            libc::IP_RECVORIGDSTADDR,
            on,
        )
    }

    /// Whether `IP_RECVORIGDSTADDR` is on.
    ///
    /// [`set_recv_orig_dst_addr_v4`](Self::set_recv_orig_dst_addr_v4) has an example.
    ///
    /// # Errors
    /// What `getsockopt(2)` reports.
    #[doc(alias = "IP_RECVORIGDSTADDR")]
    pub fn recv_orig_dst_addr_v4(&self) -> io::Result<bool> {
        self.recv_opt(libc::IPPROTO_IP, libc::IP_RECVORIGDSTADDR)
    }

    /// Reports each IPv6 datagram's original destination address and port
    /// (`setsockopt(IPPROTO_IPV6, IPV6_RECVORIGDSTADDR)`), as
    /// [`set_recv_orig_dst_addr_v4`](Self::set_recv_orig_dst_addr_v4) does for IPv4.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("[::1]:0")?;
    /// rx.set_recv_orig_dst_addr_v6(true)?;
    /// assert!(rx.recv_orig_dst_addr_v6()?);
    /// UdpSocket::bind("[::1]:0")?.send_to(b"to you", rx.local_addr()?)?;
    /// let meta = rx.recv_msg(&mut [0u8; 16])?;
    /// assert_eq!(meta.orig_dst, Some(rx.local_addr()?)); // no proxy: the socket's own address
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "IPV6_RECVORIGDSTADDR")]
    #[doc(alias = "IPV6_ORIGDSTADDR")]
    pub fn set_recv_orig_dst_addr_v6(&self, on: bool) -> io::Result<()> {
        self.require_v6("IPV6_RECVORIGDSTADDR")?;
        self.set_recv_opt(
            bit::ORIGDSTADDR_V6,
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVORIGDSTADDR,
            on,
        )
    }

    /// Whether `IPV6_RECVORIGDSTADDR` is on.
    ///
    /// [`set_recv_orig_dst_addr_v6`](Self::set_recv_orig_dst_addr_v6) has an example.
    ///
    /// # Errors
    /// `InvalidInput` on an IPv4 socket.
    #[doc(alias = "IPV6_RECVORIGDSTADDR")]
    pub fn recv_orig_dst_addr_v6(&self) -> io::Result<bool> {
        self.require_v6("IPV6_RECVORIGDSTADDR")?;
        self.recv_opt(libc::IPPROTO_IPV6, libc::IPV6_RECVORIGDSTADDR)
    }
}
