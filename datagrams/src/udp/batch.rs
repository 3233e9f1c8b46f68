//! The fast paths of `UdpSocket`: one datagram with its metadata ([`Transmit`]), batches
//! (`sendmmsg`/`recvmmsg`), and UDP GSO/GRO. No allocation: batches live in stack arrays, control
//! buffers are sized once at compile time.

use std::borrow::Borrow;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::sync::atomic::Ordering;

use crate::error::invalid_input;
use crate::family::Family;
use crate::flags::MsgFlags;
use crate::meta::{RecvMeta, Transmit};
use crate::sys::addr::RawAddr;
use crate::sys::{cmsg, mmsg, msg, sockopt};
use crate::udp::UdpSocket;
use crate::udp::dest::is_v4;

/// The most datagrams one [`send_batch`](UdpSocket::send_batch) or
/// [`recv_batch`](UdpSocket::recv_batch) call moves: 32, quinn-udp's choice, enough to amortise the
/// syscall without large stack frames.
pub const MAX_BATCH: usize = mmsg::MAX_BATCH;

/// The most segments one GSO send carries (`UDP_MAX_SEGMENTS` of Linux before 6.9).
const GSO_MAX_SEGMENTS: usize = 64;

// `State::gso`: 0 is "not probed yet".
const GSO_YES: u8 = 1;
const GSO_NO: u8 = 2;

/// How many datagrams a receive batch of `bufs` buffers and `meta` reports has room for:
/// `min(bufs, meta, MAX_BATCH)`, and `InvalidInput` for none (a receive into no room would return 0
/// forever, and a loop on it spin).
pub(crate) fn batch_room_for(bufs: usize, meta: usize) -> io::Result<usize> {
    match bufs.min(meta).min(MAX_BATCH) {
        0 => Err(invalid_input(format!(
            "a receive batch needs a buffer and a RecvMeta for at least one datagram \
             ({bufs} buffers, {meta} RecvMeta given)"
        ))),
        n => Ok(n),
    }
}

/// What a receive batch reports as each datagram's sender: its address (`SocketAddr`, asked of the
/// kernel), or nothing (`()`, not asked).
pub(crate) trait BatchSender: Sized {
    /// Whether the kernel is asked for the senders.
    const ASK: bool;
    /// The report of what the kernel gave (`None` when asked for nothing); `None` for an address
    /// that cannot be reported.
    fn from_kernel(addr: Option<SocketAddr>) -> Option<Self>;
}

impl BatchSender for SocketAddr {
    const ASK: bool = true;
    #[inline]
    fn from_kernel(addr: Option<SocketAddr>) -> Option<Self> {
        addr
    }
}

impl BatchSender for () {
    const ASK: bool = false;
    #[inline]
    fn from_kernel(_: Option<SocketAddr>) -> Option<Self> {
        Some(())
    }
}

/// Per-datagram metadata: one datagram with its addresses, ECN, TOS, TTL and GSO segments
/// (`sendmsg(2)`, `recvmsg(2)`).
impl UdpSocket {
    /// Sends one [`Transmit`]: its datagram, or with a segment size its several datagrams in one call
    /// (UDP GSO), with its source address, interface, ECN codepoint, TOS or traffic class, and TTL
    /// or hop limit. Returns the bytes sent.
    ///
    /// GSO support is probed once per socket; when the kernel or the device refuses it (`EIO`,
    /// `EINVAL`, `ENOPROTOOPT`), dgram sends one datagram per segment instead, and remembers.
    ///
    /// # Errors
    /// - `EMSGSIZE` (the raw OS error, as [`send`](Self::send)) for `contents` or a segment size
    ///   above the destination family's maximum payload.
    /// - `InvalidInput` for a segment size of 0, a `ttl` of 0, more than
    ///   [`max_gso_segments`](Self::max_gso_segments) segments, port 0, or an IPv6 destination
    ///   (other than v4-mapped) on an IPv4 socket; and, where GSO is off, for a transmit
    ///   of several segments sent with `MsgFlags::MORE` or on a corked socket (one datagram per
    ///   segment would merge into one).
    /// - `NotFound` for an `ifindex` that no interface has (the kernel's `ENODEV`).
    /// - The kernel's errors as [`send_to`](Self::send_to)'s.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Ecn, Transmit, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_tos_v4(true)?;
    /// rx.set_recv_ttl_v4(true)?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// let t = Transmit::new(rx.local_addr()?, b"marked").ecn(Ecn::Ect0).ttl(7);
    /// assert_eq!(tx.send_msg(&t)?, 6);
    ///
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_msg(&mut buf)?;
    /// assert_eq!((&buf[..meta.len], meta.addr), (&b"marked"[..], tx.local_addr()?));
    /// assert_eq!((meta.ecn(), meta.ttl), (Some(Ecn::Ect0), Some(7)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_msg(&self, t: &Transmit<'_>) -> io::Result<usize> {
        self.send_msg_with_flags(t, MsgFlags::empty())
    }

    /// [`send_msg`](Self::send_msg) with message flags (`DONTWAIT` for the non-blocking form).
    ///
    /// On the GSO fallback path (one datagram per segment), a send that fails part-way (a send buffer
    /// that fills under `DONTWAIT`, a pending ICMP error) makes this return the bytes of the whole
    /// segments sent so far, fewer than `contents.len()`: resend the rest. The error that stopped it
    /// is then not reported; a persistent one recurs on the resend.
    ///
    /// # Errors
    /// As [`send_msg`](Self::send_msg); `WouldBlock` with `DONTWAIT` when the send buffer is full.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, Transmit, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// let to = rx.local_addr()?;
    /// tx.send_msg_with_flags(&Transmit::new(to, b"head,"), MsgFlags::MORE)?; // held open
    /// tx.send_msg_with_flags(&Transmit::new(to, b"tail"), MsgFlags::DONTWAIT)?; // completes it
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_msg(&mut buf)?;
    /// assert_eq!((&buf[..meta.len], meta.addr), (&b"head,tail"[..], tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn send_msg_with_flags(&self, t: &Transmit<'_>, flags: MsgFlags) -> io::Result<usize> {
        let flags = flags.send_bits()?;
        let to = self.transmit_destination(t)?;
        let segment = self.check_transmit(t, to.as_ref())?;
        let partial = |(sent, err): (usize, Option<io::Error>)| match err {
            // Part-way: report the whole segments that went; the caller resends the rest.
            Some(e) if sent == 0 => Err(e),
            _ => Ok(sent),
        };
        if segment.is_some() && !self.gso_enabled() {
            return partial(self.send_segments(t, to.as_ref(), flags));
        }
        match self.send_one(t, to.as_ref(), segment, flags) {
            Err(e) if segment.is_some() && gso_refused(&e) => {
                partial(self.gso_fallback(t, to.as_ref(), flags))
            }
            r => r,
        }
    }

    /// One `sendmsg(2)` of `t` to `to` (fitted; `None`: the connected peer), with its control
    /// messages and, when given, the GSO segment size.
    #[inline]
    fn send_one(
        &self,
        t: &Transmit<'_>,
        to: Option<&SocketAddr>,
        segment: Option<u16>,
        flags: libc::c_int,
    ) -> io::Result<usize> {
        let mut control = cmsg::CmsgBuf::<{ cmsg::UDP_SEND_SPACE }>::new();
        let len = if segment.is_some() || t.has_metadata() {
            self.encode_control(&mut control.0, t, to, segment)?
        } else {
            0
        };
        msg::sendmsg_inet(
            self.as_fd(),
            &[io::IoSlice::new(t.contents)],
            to,
            &control.0[..len],
            flags,
            self.timeouts().write_deadline(flags),
        )
        .map_err(|e| transmit_error(t, e))
    }

    /// The device refused GSO for `t` (`EIO`): sends it segment by segment, and turns GSO off for
    /// this socket once that works, so that a failure of another cause leaves GSO on.
    #[cold]
    fn gso_fallback(
        &self,
        t: &Transmit<'_>,
        to: Option<&SocketAddr>,
        flags: libc::c_int,
    ) -> (usize, Option<io::Error>) {
        let (sent, err) = self.send_segments(t, to, flags);
        if sent > 0 {
            self.state.gso.store(GSO_NO, Ordering::Relaxed);
        }
        (sent, err)
    }

    /// Receives one datagram into `buf` and reports everything about it: the sender, the bytes written,
    /// its full length and whether it was truncated (`MSG_TRUNC`).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let a = UdpSocket::bind("127.0.0.1:0")?;
    /// let b = UdpSocket::bind("127.0.0.1:0")?;
    /// a.send_to(b"0123456789", b.local_addr()?)?;
    /// let mut small = [0u8; 4];
    /// let meta = b.recv_msg(&mut small)?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (4, 10, true));
    /// assert_eq!(meta.addr, a.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_msg(&self, buf: &mut [u8]) -> io::Result<RecvMeta> {
        self.recv_msg_vectored(&mut [IoSliceMut::new(buf)], MsgFlags::empty())
    }

    /// Scatters one datagram into `bufs` with message flags, through `recvmsg(2)`, and reports what
    /// [`recv_msg`](Self::recv_msg) does.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{MsgFlags, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"headbody!", rx.local_addr()?)?;
    /// let (mut head, mut body) = ([0u8; 4], [0u8; 4]);
    /// let meta = rx.recv_msg_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)], MsgFlags::empty())?;
    /// assert_eq!((meta.len, meta.full_len, meta.truncated), (8, 9, true));
    /// assert_eq!((&head, &body), (b"head", b"body"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    pub fn recv_msg_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        let (from, cap, out, anc) = self.recv_msg_parts(bufs, flags)?;
        Ok(RecvMeta::from_kernel(from, from.is_ipv6(), cap, &out, &anc))
    }

    /// The one `recvmsg(2)` of `recv_msg*`: the sender, the buffers' capacity, and what the kernel
    /// reported.
    #[inline(always)]
    fn recv_msg_parts<B: msg::RecvBuf + ?Sized>(
        &self,
        bufs: &mut B,
        flags: MsgFlags,
    ) -> io::Result<(SocketAddr, usize, msg::MsgOut, msg::Ancillary)> {
        self.ensure_bound()?;
        let cap = bufs.capacity();
        let mut from = RawAddr::empty();
        let bits = flags.recv_bits()? | libc::MSG_TRUNC;
        let space = self.space();
        let (out, anc) = msg::recvmsg_ancillary(
            self.as_fd(),
            bufs,
            Some(&mut from),
            bits,
            space,
            None,
            self.timeouts().read_deadline(bits),
        )
        .map_err(|e| self.recv_failed(e))?;
        if anc.truncated && space == msg::Space::None {
            self.recv_opts_changed_elsewhere();
        }
        Ok((self.sender(&from)?, cap, out, anc))
    }

    /// Receives one datagram into the spare capacity of `buf` (any [`bytes::BufMut`]: a `Vec<u8>`,
    /// a `BytesMut`), which is not zeroed first, and reports what [`recv_msg`](Self::recv_msg)
    /// does; the bytes written count as part of `buf` (`advance_mut`). A datagram longer than the
    /// spare capacity (`chunk_mut`, which grows a full `Vec` or `BytesMut` by 64 bytes) is
    /// truncated, as the report says; into a buffer that cannot grow and has no spare capacity (a
    /// full `&mut [u8]`) the datagram is taken and reported with `len` 0, as tokio's `recv_buf`
    /// does.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"hello", rx.local_addr()?)?;
    /// let mut buf = Vec::with_capacity(1500);
    /// let meta = rx.recv_msg_buf(&mut buf, MsgFlags::empty())?;
    /// assert_eq!((&buf[..], meta.addr), (&b"hello"[..], tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_msg_buf<B: bytes::BufMut + ?Sized>(
        &self,
        buf: &mut B,
        flags: MsgFlags,
    ) -> io::Result<RecvMeta> {
        msg::recv_into_buf(buf, |spare| {
            let (from, cap, out, anc) = self.recv_msg_parts(spare, flags)?;
            let meta = RecvMeta::from_kernel(from, from.is_ipv6(), cap, &out, &anc);
            Ok((meta.len, meta))
        })
    }

    /// Receives one datagram like [`recv_msg_vectored`](Self::recv_msg_vectored), and keeps every
    /// control message that arrived in `control`, the ones dgram does not decode included
    /// ([`Control::Unknown`](crate::Control::Unknown)): for options set through other means, or
    /// newer than dgram.
    ///
    /// # Errors
    /// As [`recv`](Self::recv). A control area larger than 512 bytes is cut by the kernel
    /// (`RecvMeta::control_truncated`).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{Control, ControlBuffer, MsgFlags, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.set_recv_ttl_v4(true)?;
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"hi", rx.local_addr()?)?;
    /// let mut control = ControlBuffer::new();
    /// let mut buf = [0u8; 16];
    /// let meta = rx.recv_msg_with_control(&mut [IoSliceMut::new(&mut buf)], MsgFlags::empty(), &mut control)?;
    /// assert_eq!(meta.len, 2);
    /// assert!(control.iter().any(|c| matches!(c, Control::Ttl(_))));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_msg_with_control(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        flags: MsgFlags,
        control: &mut crate::meta::ControlBuffer,
    ) -> io::Result<RecvMeta> {
        // Emptied first: after any failure the buffer holds nothing of an earlier receive.
        control.len = 0;
        self.ensure_bound()?;
        let cap = crate::sys::msg::RecvBuf::capacity(bufs);
        let mut from = RawAddr::empty();
        let bits = flags.recv_bits()? | libc::MSG_TRUNC;
        let out = msg::recvmsg(
            self.as_fd(),
            bufs,
            Some(&mut from),
            &mut control.buf.0,
            bits,
            self.timeouts().read_deadline(bits),
        )
        .map_err(|e| self.recv_failed(e))?;
        control.len = out.control_len;
        let anc = msg::Ancillary::of(cmsg::iter(&control.buf.0[..control.len]), out.flags);
        let from = self.sender(&from)?;
        Ok(RecvMeta::from_kernel(from, from.is_ipv6(), cap, &out, &anc))
    }
}

/// Batches and UDP GSO/GRO (`sendmmsg(2)`, `recvmmsg(2)`, `UDP_SEGMENT`, `UDP_GRO`).
impl UdpSocket {
    /// Sends up to [`MAX_BATCH`] transmits in one `sendmmsg(2)` call; returns how many were sent.
    ///
    /// Partial sends: the kernel stops at the first datagram it cannot send. If some were sent, the
    /// count says how many, and the caller resends from that index (the failure will be reported by
    /// that call); only a failure of the first is an `Err`. A transmit that cannot be encoded (an
    /// IPv6 source for an IPv4 destination, say) stops the batch in the same way. Transmits beyond
    /// `MAX_BATCH` are left for the next call. Transmits with a segment size use GSO, or, where GSO
    /// is refused, go out one datagram per segment; if that stops part-way (a full send buffer under
    /// `DONTWAIT`), the transmit counts as not sent and its error is returned, so a resend may repeat
    /// its first segments: UDP's receivers must tolerate duplicates, not silent loss.
    ///
    /// `transmits` is anything that iterates over transmits or references to them: a slice or an
    /// array (`&batch[sent..]`), or an iterator that makes them on the fly, which needs no storage
    /// that outlives the buffers it borrows. An echo server replies to a received batch that way,
    /// with no allocation (second example).
    ///
    /// # Errors
    /// As [`send_msg`](Self::send_msg), for the first transmit.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Transmit, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// let to = rx.local_addr()?;
    /// let batch = [Transmit::new(to, b"one"), Transmit::new(to, b"two"), Transmit::new(to, b"three")];
    /// let mut sent = 0;
    /// while sent < batch.len() {
    ///     sent += tx.send_batch(&batch[sent..])?; // resend from the first unsent one
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// An echo server: the buffers and reports are made once; each batch received is sent back to
    /// its senders by an iterator over them (with GRO on, a buffer holding several datagrams goes
    /// back as the same datagrams, by its stride).
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{MAX_BATCH, RecvMeta, Transmit, UdpSocket};
    /// let server = UdpSocket::bind("127.0.0.1:0")?;
    /// let client = UdpSocket::bind("127.0.0.1:0")?;
    /// client.send_to(b"ping", server.local_addr()?)?;
    ///
    /// let mut storage = vec![[0u8; 1500]; MAX_BATCH];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); MAX_BATCH];
    /// for _ in 0..1 { // a server loops forever
    ///     let n = server.recv_batch(&mut bufs, &mut meta)?;
    ///     let mut sent = 0;
    ///     while sent < n {
    ///         let replies = meta[sent..n].iter().zip(&bufs[sent..n]).map(|(m, b)| {
    ///             let t = Transmit::new(m.addr, &b[..m.len]);
    ///             match m.stride {
    ///                 Some(stride) => t.segment_size(stride),
    ///                 None => t,
    ///             }
    ///         });
    ///         sent += server.send_batch(replies)?;
    ///     }
    /// }
    /// let mut buf = [0u8; 16];
    /// assert_eq!(client.recv(&mut buf)?, 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_batch<'a, I>(&self, transmits: I) -> io::Result<usize>
    where
        I: IntoIterator,
        I::Item: Borrow<Transmit<'a>>,
    {
        self.send_batch_with_flags(transmits, MsgFlags::empty())
    }

    /// [`send_batch`](Self::send_batch) with message flags (`DONTWAIT` for the non-blocking form).
    ///
    /// # Errors
    /// As [`send_batch`](Self::send_batch); `WouldBlock` with `DONTWAIT` when nothing could be queued.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{MsgFlags, Transmit, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// let to = rx.local_addr()?;
    /// let batch = [Transmit::new(to, b"one"), Transmit::new(to, b"two")];
    /// assert_eq!(tx.send_batch_with_flags(&batch, MsgFlags::DONTWAIT)?, 2); // both queued at once
    /// let mut buf = [0u8; 16];
    /// assert_eq!(rx.recv(&mut buf)?, 3);
    /// assert_eq!(&buf[..3], b"one");
    /// assert_eq!(rx.recv(&mut buf)?, 3);
    /// assert_eq!(&buf[..3], b"two");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_batch_with_flags<'a, I>(&self, transmits: I, flags: MsgFlags) -> io::Result<usize>
    where
        I: IntoIterator,
        I::Item: Borrow<Transmit<'a>>,
    {
        let bits = flags.send_bits()?;
        let gso = self.gso_enabled();
        let mut batch = mmsg::SendBatch::new();
        let mut first_gso = false;
        // The previous transmit's destination as given, and as this socket sends to it: a run of
        // transmits to one peer is fitted and encoded once.
        let mut given = None;
        let mut to = None;
        // The first transmit, for the GSO fallback and for its error.
        let mut first: Option<Transmit<'a>> = None;
        for t in transmits.into_iter().take(MAX_BATCH) {
            let t: &Transmit<'a> = t.borrow();
            let n = batch.len();
            // The common case: a plain datagram (no segment size, ECN, source or interface) that
            // fits any family, to the previous one's destination. Only its bytes are new.
            if n > 0
                && t.segment_size.is_none()
                && !t.has_metadata()
                && t.contents.len() <= Family::V4.max_payload()
                && same_destination(&given, &t.destination)
                && batch.push_same(t.contents)
            {
                continue;
            }
            // The first transmit always comes this way.
            if n == 0 {
                first = Some(*t);
            }
            let same_destination = n > 0 && same_destination(&given, &t.destination);
            if !same_destination {
                match self.transmit_destination(t) {
                    Ok(fitted) => to = fitted,
                    // A bad transmit: an error if it is the first, else the batch stops before it.
                    Err(e) if n == 0 => return Err(e),
                    Err(_) => break,
                }
                given = t.destination;
            }
            let segment = match self.check_transmit(t, to.as_ref()) {
                Ok(segment) => segment,
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
            };
            if segment.is_some() && !gso {
                if n > 0 {
                    // GSO refused: this one goes alone, after what is batched before it.
                    break;
                }
                return match self.send_segments(t, to.as_ref(), bits) {
                    (_, Some(e)) => Err(e),
                    (_, None) => Ok(1),
                };
            }
            let pushed = if segment.is_some() || t.has_metadata() {
                let mut encode =
                    |control: &mut [u8]| self.encode_control(control, t, to.as_ref(), segment);
                batch.push(t.contents, to.as_ref(), same_destination, Some(&mut encode))
            } else {
                batch.push(t.contents, to.as_ref(), same_destination, None)
            };
            match pushed {
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
                Ok(_) => first_gso |= n == 0 && segment.is_some(),
            }
        }
        let Some(first) = first.filter(|_| batch.len() > 0) else {
            return Ok(0);
        };
        let deadline = self.timeouts().write_deadline(bits);
        match mmsg::sendmmsg(self.as_fd(), &mut batch, bits, deadline) {
            Err(e) if gso_refused(&e) && first_gso => {
                // The first transmit carried GSO and the device refused it: send it the slow way
                // (which turns GSO off once that works); the rest follow on the next call.
                let to = self.transmit_destination(&first)?;
                match self.gso_fallback(&first, to.as_ref(), bits) {
                    (_, Some(e)) => Err(e),
                    (_, None) => Ok(1),
                }
            }
            // The failure is the first transmit's.
            Err(e) => Err(transmit_error(&first, e)),
            Ok(sent) => Ok(sent),
        }
    }

    /// Receives up to `min(bufs.len(), meta.len(), MAX_BATCH)` datagrams in one `recvmmsg(2)` call
    /// (`MSG_WAITFORONE`: it waits for the first, then takes what is queued); returns how many. Datagram
    /// `i` is in `bufs[i]`, described by `meta[i]`, with everything [`recv_msg`](Self::recv_msg)
    /// reports (with GRO, one buffer may hold several: see [`RecvMeta::segments`]). With room for
    /// one datagram the call is one `recvmsg(2)`, which the kernel serves with less work and which
    /// reports the same.
    ///
    /// # Errors
    /// As [`recv`](Self::recv); `InvalidInput` when `bufs` or `meta` is empty (room for no datagram).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"a", rx.local_addr()?)?;
    /// tx.send_to(b"bb", rx.local_addr()?)?;
    /// let mut storage = [[0u8; 1500]; 8];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); 8];
    /// let mut got = 0;
    /// while got < 2 {
    ///     got += rx.recv_batch(&mut bufs[got..], &mut meta[got..])?;
    /// }
    /// assert_eq!((meta[0].len, meta[1].len), (1, 2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "recvmmsg")]
    pub fn recv_batch(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> io::Result<usize> {
        self.recv_batch_with_flags(bufs, meta, MsgFlags::empty())
    }

    /// [`recv_batch`](Self::recv_batch) with message flags (`DONTWAIT` for the non-blocking form).
    ///
    /// # Errors
    /// As [`recv_batch`](Self::recv_batch); `WouldBlock` with `DONTWAIT` when nothing is queued;
    /// `InvalidInput` for `PEEK` (every buffer would get the same datagram) or a flag that only
    /// sends take.
    ///
    /// # Examples
    /// ```
    /// use std::io::{ErrorKind, IoSliceMut};
    /// use datagrams::{MsgFlags, RecvMeta, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut storage = [[0u8; 1500]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::default(); 4];
    /// let e = rx.recv_batch_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // nothing queued
    /// let e = rx.recv_batch_with_flags(&mut bufs, &mut meta, MsgFlags::PEEK).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidInput);
    ///
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.send_to(b"ready", rx.local_addr()?)?;
    /// rx.peek(&mut [])?; // wait until it is queued
    /// assert_eq!(rx.recv_batch_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT)?, 1);
    /// assert_eq!((meta[0].len, meta[0].addr), (5, tx.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_batch_with_flags(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        self.recv_batch_into(bufs, meta, flags)
    }

    /// [`recv_batch`](Self::recv_batch) without the senders: the kernel is asked for no source
    /// address (`recvmmsg(2)`, or `recvmsg(2)` with room for one, with a null `msg_name`, as
    /// `recv(2)` against `recvfrom(2)`), which saves it a copy to user space per datagram.
    /// Everything else [`recv_batch`](Self::recv_batch) reports is reported. For a
    /// connected socket, whose datagrams come from its peer (those queued before `connect` aside),
    /// and for receivers that do not look at senders (a telemetry sink, say): the batch form of
    /// std's `recv` against `recv_from`.
    ///
    /// # Errors
    /// As [`recv_batch`](Self::recv_batch).
    ///
    /// # Examples
    /// ```
    /// use std::io::IoSliceMut;
    /// use datagrams::{RecvMeta, UdpSocket};
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// rx.connect(tx.local_addr()?)?;
    /// tx.send_to(b"a", rx.local_addr()?)?;
    /// tx.send_to(b"bb", rx.local_addr()?)?;
    /// let mut storage = [[0u8; 1500]; 8];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 8];
    /// let mut got = 0;
    /// while got < 2 {
    ///     got += rx.recv_batch_without_senders(&mut bufs[got..], &mut meta[got..])?;
    /// }
    /// assert_eq!((meta[0].len, meta[1].len), (1, 2));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        self.recv_batch_into(bufs, meta, MsgFlags::empty())
    }

    /// [`recv_batch_without_senders`](Self::recv_batch_without_senders) with message flags
    /// (`DONTWAIT` for the non-blocking form).
    ///
    /// # Errors
    /// As [`recv_batch_with_flags`](Self::recv_batch_with_flags).
    ///
    /// # Examples
    /// ```
    /// use std::io::{ErrorKind, IoSliceMut};
    /// use datagrams::{MsgFlags, RecvMeta, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let mut storage = [[0u8; 1500]; 4];
    /// let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    /// let mut meta = [RecvMeta::new(()); 4];
    /// let e = rx
    ///     .recv_batch_without_senders_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT)
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock); // nothing queued
    /// UdpSocket::bind("127.0.0.1:0")?.send_to(b"ready", rx.local_addr()?)?;
    /// rx.peek(&mut [])?; // wait until it is queued
    /// let got = rx.recv_batch_without_senders_with_flags(&mut bufs, &mut meta, MsgFlags::DONTWAIT)?;
    /// assert_eq!((got, meta[0].len), (1, 5));
    /// assert_eq!(&storage[0][..5], b"ready");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_batch_without_senders_with_flags(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<()>],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        self.recv_batch_into(bufs, meta, flags)
    }

    /// The one receive batch: with the senders for `RecvMeta<SocketAddr>`, without for
    /// `RecvMeta<()>`.
    #[inline]
    pub(crate) fn recv_batch_into<A: BatchSender>(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta<A>],
        flags: MsgFlags,
    ) -> io::Result<usize> {
        self.ensure_bound()?;
        if flags.contains(MsgFlags::PEEK) {
            return Err(invalid_input(
                "PEEK has no meaning for a batch: every buffer would get the same first datagram",
            ));
        }
        let bits = flags.recv_bits()? | libc::MSG_TRUNC | libc::MSG_WAITFORONE;
        let n = batch_room_for(bufs.len(), meta.len())?;
        let (bufs, meta) = (&mut bufs[..n], &mut meta[..n]);
        // An IPv6 socket reports every sender in IPv6 form, and an IPv4 datagram's destination
        // v4-mapped beside it, whether or not the sender is asked for.
        let maps_v4 = self.family() == Family::V6;
        let deadline = self.timeouts().read_deadline(bits);
        if let ([buf], [m]) = (&mut *bufs, &mut *meta) {
            // Room for one: `recvmsg(2)`, which the kernel serves with less work than a
            // `recvmmsg(2)` of one (a GRO receiver's one large buffer, say).
            let cap = buf.len();
            let mut from = RawAddr::empty();
            let (out, anc) = msg::recvmsg_ancillary(
                self.as_fd(),
                std::slice::from_mut(buf),
                A::ASK.then_some(&mut from),
                bits & !libc::MSG_WAITFORONE,
                self.space(),
                None,
                deadline,
            )
            .map_err(|e| self.recv_failed(e))?;
            let sender = if A::ASK {
                Some(self.sender(&from)?)
            } else {
                None
            };
            let addr = A::from_kernel(sender).ok_or_else(|| self.no_sender())?;
            *m = RecvMeta::from_kernel(addr, maps_v4, cap, &out, &anc);
            return self.batch_received(1, meta);
        }
        // A sender that is not IP (which a UDP socket never reports) is an error for the first
        // datagram, and ends the batch before it for the others.
        let mut bad_first = false;
        let got = if self.space() == msg::Space::None {
            mmsg::recvmmsg(
                self.as_fd(),
                bufs,
                &mut [],
                bits,
                A::ASK,
                deadline,
                |i, r| {
                    let (Some(addr), Some(m)) = (A::from_kernel(r.addr), meta.get_mut(i)) else {
                        bad_first = i == 0;
                        return false;
                    };
                    let anc = msg::Ancillary::of(cmsg::Filled::EMPTY.iter(), r.out.flags);
                    *m = RecvMeta::from_kernel(addr, maps_v4, r.cap, &r.out, &anc);
                    true
                },
            )
            .map_err(|e| self.recv_failed(e))?
        } else {
            let mut controls = [mmsg::RECV_CONTROL; MAX_BATCH];
            let controls = &mut controls;
            mmsg::recvmmsg(
                self.as_fd(),
                bufs,
                controls,
                bits,
                A::ASK,
                deadline,
                |i, r| {
                    let (Some(addr), Some(m)) = (A::from_kernel(r.addr), meta.get_mut(i)) else {
                        bad_first = i == 0;
                        return false;
                    };
                    let anc = msg::Ancillary::of(r.control.iter(), r.out.flags);
                    *m = RecvMeta::from_kernel(addr, maps_v4, r.cap, &r.out, &anc);
                    true
                },
            )
            .map_err(|e| self.recv_failed(e))?
        };
        if bad_first {
            return Err(self.no_sender());
        }
        self.batch_received(got, meta)
    }

    /// `got` datagrams received into `meta`; but without senders, a first one of no bytes on a
    /// socket shut down for reading is the kernel's end of file, which only a sender tells from an
    /// empty datagram: `BrokenPipe`. (With senders, end of file is a missing sender: `no_sender`.)
    #[inline]
    fn batch_received<A: BatchSender>(
        &self,
        got: usize,
        meta: &[RecvMeta<A>],
    ) -> io::Result<usize> {
        if !A::ASK && got > 0 && meta[0].full_len == 0 && self.read_shut_down() {
            return Err(crate::error::shut_down_for_reading());
        }
        // Every datagram carries the same options' messages: the first tells.
        if got > 0 && meta[0].control_truncated && self.space() == msg::Space::None {
            self.recv_opts_changed_elsewhere();
        }
        Ok(got)
    }

    /// The most segments one GSO [`Transmit`] may carry: 64 where the kernel supports UDP GSO (Linux
    /// 4.18), else 1. Probed once per socket.
    ///
    /// The whole transmit must also fit one datagram's payload limit
    /// ([`MAX_PAYLOAD_V4`](crate::MAX_PAYLOAD_V4), [`MAX_PAYLOAD_V6`](crate::MAX_PAYLOAD_V6)),
    /// else `EMSGSIZE`: 64 segments of 1,000 bytes fit, of 1,200 bytes only 54 do.
    ///
    /// # Examples
    /// ```
    /// use datagrams::UdpSocket;
    ///
    /// let sock = UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(sock.max_gso_segments(), 64); // UDP GSO: Linux 4.18 and later
    /// sock.set_gso(false);
    /// assert_eq!(sock.max_gso_segments(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn max_gso_segments(&self) -> usize {
        if self.gso_enabled() {
            GSO_MAX_SEGMENTS
        } else {
            1
        }
    }

    /// Switches UDP GSO off (or back on, if the kernel supports it) for this socket: transmits with a
    /// segment size then go out one datagram per segment. dgram does this by itself when the kernel or
    /// the device refuses GSO; this is for callers who know better, and for tests of that path.
    ///
    /// # Examples
    /// ```
    /// use datagrams::{Transmit, UdpSocket};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.set_gso(false); // a segment size now means one send per segment
    /// assert_eq!(tx.max_gso_segments(), 1);
    /// tx.send_msg(&Transmit::new(rx.local_addr()?, &[7u8; 2500]).segment_size(1000))?;
    /// let mut buf = [0u8; 1500];
    /// let sizes = [rx.recv(&mut buf)?, rx.recv(&mut buf)?, rx.recv(&mut buf)?];
    /// assert_eq!(sizes, [1000, 1000, 500]); // the same datagrams either way
    /// tx.set_gso(true); // back on, where the kernel supports it
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_gso(&self, on: bool) {
        let state = if !on {
            GSO_NO
        } else if crate::sys::sockopt::gso_supported(self.as_fd()) {
            GSO_YES
        } else {
            GSO_NO
        };
        self.state.gso.store(state, Ordering::Relaxed);
    }

    #[inline]
    fn gso_enabled(&self) -> bool {
        match self.state.gso.load(Ordering::Relaxed) {
            GSO_YES => true,
            GSO_NO => false,
            _ => {
                let ok = sockopt::gso_supported(self.as_fd());
                self.state
                    .gso
                    .store(if ok { GSO_YES } else { GSO_NO }, Ordering::Relaxed);
                ok
            }
        }
    }

    /// Checks the segment size (each segment is a datagram to `to`, within its payload limit; the
    /// whole transmit was checked by [`destination`](Self::destination)); returns the GSO segment
    /// size when the transmit has more than one segment.
    #[inline]
    fn check_transmit(&self, t: &Transmit<'_>, to: Option<&SocketAddr>) -> io::Result<Option<u16>> {
        if let Some(size) = t.segment_size {
            self.check_payload(size, to)?;
        }
        self.segment(t)
    }

    /// The GSO segment size to ask the kernel for, checked: `None` without one, or for one segment.
    #[inline]
    fn segment(&self, t: &Transmit<'_>) -> io::Result<Option<u16>> {
        let Some(size) = t.segment_size else {
            return Ok(None);
        };
        if size == 0 {
            return Err(invalid_input("segment size 0 is invalid"));
        }
        let segments = t.contents.len().div_ceil(size);
        if segments > GSO_MAX_SEGMENTS {
            return Err(invalid_input(format!(
                "{segments} segments of {size} bytes in one transmit; at most {GSO_MAX_SEGMENTS}"
            )));
        }
        // The kernel wants a GSO size only when there is more than one segment.
        Ok(if segments > 1 {
            Some(size as u16)
        } else {
            None
        })
    }

    /// Writes `t`'s control messages (packet info, ECN, GSO size) into `control`; returns their length.
    #[inline]
    fn encode_control(
        &self,
        control: &mut [u8],
        t: &Transmit<'_>,
        to: Option<&SocketAddr>,
        segment: Option<u16>,
    ) -> io::Result<usize> {
        let mut enc = cmsg::Encoder::new(control);
        let overflow = || invalid_input("control messages do not fit the send buffer");
        let v4_dest = match to {
            Some(to) => is_v4(to),
            None => self.peer_is_v4()?,
        };
        let dest = Destination(to);
        if t.src_ip.is_some() || t.ifindex.is_some() {
            let ifindex = t.ifindex.unwrap_or(0);
            // A v4-mapped source is the IPv4 address it carries.
            let src = t.src_ip.map(|ip| match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                v4 => v4,
            });
            match (self.family(), src) {
                (_, Some(IpAddr::V6(ip))) if v4_dest => {
                    return Err(invalid_input(format!(
                        "source {ip} is IPv6, the destination {dest} IPv4"
                    )));
                }
                (_, Some(IpAddr::V4(ip))) if !v4_dest => {
                    return Err(invalid_input(format!(
                        "source {ip} is IPv4, the destination {dest} IPv6"
                    )));
                }
                (Family::V4, ip) => {
                    let src = match ip {
                        Some(IpAddr::V4(v4)) => v4,
                        _ => std::net::Ipv4Addr::UNSPECIFIED,
                    };
                    enc.push_pktinfo_v4(src, ifindex).ok_or_else(overflow)?;
                }
                (Family::V6, ip) => {
                    // The kernel wants a v4-mapped source (`::ffff:0.0.0.0` for "any") when the
                    // destination is IPv4.
                    let src = match ip {
                        Some(IpAddr::V4(v4)) => v4.to_ipv6_mapped(),
                        Some(IpAddr::V6(v6)) => v6,
                        None if v4_dest => std::net::Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(),
                        None => std::net::Ipv6Addr::UNSPECIFIED,
                    };
                    enc.push_pktinfo_v6(src, ifindex).ok_or_else(overflow)?;
                }
            }
        }
        // IPv4 (also v4-mapped on an IPv6 socket) takes IP_TOS and IP_TTL; IPv6 takes IPV6_TCLASS
        // and IPV6_HOPLIMIT.
        let tos = match (t.tos, t.ecn) {
            (Some(tos), Some(ecn)) => Some((tos & !0b11) | ecn.bits()),
            (Some(tos), None) => Some(tos),
            (None, Some(ecn)) => Some(ecn.bits()),
            (None, None) => None,
        };
        if let Some(tos) = tos {
            let (level, kind) = if v4_dest {
                (libc::IPPROTO_IP, libc::IP_TOS)
            } else {
                (libc::IPPROTO_IPV6, libc::IPV6_TCLASS)
            };
            enc.push_int(level, kind, libc::c_int::from(tos))
                .ok_or_else(overflow)?;
        }
        if let Some(hops) = t.ttl {
            if hops == 0 {
                return Err(invalid_input(
                    "a TTL or hop limit of 0 is invalid: a datagram needs at least 1 hop",
                ));
            }
            let (level, kind) = if v4_dest {
                (libc::IPPROTO_IP, libc::IP_TTL)
            } else {
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT)
            };
            enc.push_int(level, kind, libc::c_int::from(hops))
                .ok_or_else(overflow)?;
        }
        if let Some(size) = segment {
            enc.push_segment(size).ok_or_else(overflow)?;
        }
        Ok(enc.finish().len())
    }

    /// The GSO fallback: one datagram per segment, each with the transmit's other metadata. Returns
    /// the bytes sent (whole segments) and the error that stopped it part-way, if one did.
    fn send_segments(
        &self,
        t: &Transmit<'_>,
        to: Option<&SocketAddr>,
        flags: libc::c_int,
    ) -> (usize, Option<io::Error>) {
        let size = t.segment_size.unwrap_or(t.contents.len()).max(1);
        if t.contents.len() > size {
            // Datagrams sent with `MSG_MORE` or under `UDP_CORK` join the pending one: the segments
            // would arrive as one datagram, where GSO keeps them apart. Refuse, never merge.
            let corked = self.cork().unwrap_or(false);
            if flags & libc::MSG_MORE != 0 || corked {
                return (
                    0,
                    Some(invalid_input(
                        "GSO is off for this socket: a segmented transmit goes one datagram per \
                         segment, and with MORE or UDP_CORK its segments would merge into one",
                    )),
                );
            }
        }
        let mut sent = 0;
        for chunk in t.contents.chunks(size) {
            let one = Transmit {
                contents: chunk,
                segment_size: None,
                ..*t
            };
            match self.send_one(&one, to, None, flags) {
                Ok(n) => sent += n,
                Err(e) => return (sent, Some(e)),
            }
        }
        (sent, None)
    }
}

/// A send error of `t`, said in terms of what `t` asked for: the kernel's `ENODEV` for its
/// interface as `NotFound` naming it, and its refusals of the source address (`EINVAL`,
/// `EADDRNOTAVAIL`, or `ENETUNREACH` on IPv4) naming that source.
fn transmit_error(t: &Transmit<'_>, e: io::Error) -> io::Error {
    let e = crate::error::send_error(e);
    match (t.ifindex, t.src_ip, e.raw_os_error()) {
        (Some(i), _, Some(libc::ENODEV)) => crate::Interface::Index(i).explain(e),
        (_, Some(src), Some(libc::EINVAL | libc::EADDRNOTAVAIL)) => io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("cannot send from source {src}: it is not an address of this host ({e})"),
        ),
        (_, Some(src), Some(libc::ENETUNREACH)) => io::Error::new(
            io::ErrorKind::NetworkUnreachable,
            format!(
                "cannot send from source {src} to {}: it is not an address of this host, or \
                 there is no route from it ({e})",
                Destination(t.destination.as_ref())
            ),
        ),
        _ => e,
    }
}

/// Whether a send error says the device will not do GSO: `EIO`, from `udp_send_skb` when the
/// device cannot checksum the segments. (`EINVAL` also comes from a segment size above the path
/// MTU or a bad source address, which say nothing about the device.)
fn gso_refused(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EIO)
}

/// `a == b`, in fewer instructions than the derived comparison (this runs once per transmit).
#[inline]
fn same_destination(a: &Option<SocketAddr>, b: &Option<SocketAddr>) -> bool {
    match (a, b) {
        (Some(SocketAddr::V4(a)), Some(SocketAddr::V4(b))) => {
            a.ip() == b.ip() && a.port() == b.port()
        }
        (Some(SocketAddr::V6(a)), Some(SocketAddr::V6(b))) => a == b,
        (None, None) => true,
        _ => false,
    }
}

/// A transmit's destination in a message: its address, or "the connected peer".
struct Destination<'a>(Option<&'a SocketAddr>);

impl std::fmt::Display for Destination<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(a) => a.fmt(f),
            None => f.write_str("(the connected peer)"),
        }
    }
}
