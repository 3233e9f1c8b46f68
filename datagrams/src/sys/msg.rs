//! The message path shared by every socket type: `sendto`/`recvfrom` for one buffer, and the generic
//! `sendmsg(2)`/`recvmsg(2)` with scatter/gather buffers, an address and a control buffer.
//!
//! `UdpSocket` and `UnixDatagram` both call these; nothing above `sys` issues a send or receive syscall.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::ptr;

use super::addr::RawAddr;
use super::{Deadline, cmsg, retry_io};

/// What `recvmsg(2)` reported besides the data.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MsgOut {
    /// The syscall's return value: with `MSG_TRUNC` in the flags, the datagram's full length.
    pub(crate) ret: usize,
    /// `msg_flags` on return (`MSG_TRUNC`, `MSG_CTRUNC`, `MSG_ERRQUEUE`, ...).
    pub(crate) flags: libc::c_int,
    /// How many bytes of the control buffer the kernel filled (clamped to the buffer).
    pub(crate) control_len: usize,
}

/// `send(2)` of one buffer on a connected socket (`sendto(2)` with no address); `MSG_NOSIGNAL` is
/// always added, as on every send here, so a shut-down peer gives `EPIPE`, not `SIGPIPE`.
#[inline]
pub(crate) fn send(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    sendto_raw(fd, buf, ptr::null(), 0, flags, deadline)
}

/// `sendto(2)` of one buffer to an IP address, encoded on the stack (the UDP hot path).
#[inline]
pub(crate) fn send_to_inet(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    to: &std::net::SocketAddr,
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    RawAddr::with_inet(to, |addr, len| {
        sendto_raw(fd, buf, addr, len, flags, deadline)
    })
}

/// `sendto(2)` of one buffer to a Unix address given as the bytes of its `sun_path`.
#[inline]
pub(crate) fn send_to_unix(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    path: &[u8],
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    RawAddr::with_unix(path, |addr, len| {
        sendto_raw(fd, buf, addr, len, flags, deadline)
    })
}

/// `sendto(2)` to an encoded address that [`RawAddr::with_inet`]/[`RawAddr::with_unix`] lends, or to
/// the connected peer (`addr` null, `len` 0).
#[inline]
fn sendto_raw(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    retry_io(fd, libc::POLLOUT, deadline, |extra| {
        // SAFETY: `buf` is valid for `buf.len()` bytes of reading; `addr` is null with `len` 0, or
        // points at a sockaddr whose first `len` bytes are written and which outlives this call (the
        // encoders lend it to us).
        unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                flags | extra | libc::MSG_NOSIGNAL,
                addr,
                len,
            )
        }
    })
    .map(|n| n as usize)
}

/// `recvfrom(2)` into one buffer, filling `from` when given. Returns the syscall's value: the bytes
/// written, or the datagram's full length when `flags` holds `MSG_TRUNC`.
#[inline]
pub(crate) fn recv_from(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    from: Option<&mut RawAddr>,
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    let mut from = from;
    let (addr, len) = match from.as_deref_mut() {
        Some(a) => {
            a.prepare_recv();
            (a.as_mut_ptr(), &raw mut a.len)
        }
        None => (ptr::null_mut(), ptr::null_mut()),
    };
    let ret = retry_io(fd, libc::POLLIN, deadline, |extra| {
        // SAFETY: `buf` is valid for `buf.len()` bytes of writing; `addr`/`len` are both null or point
        // at a live `RawAddr` whose `len` is its storage's capacity, which the kernel never exceeds.
        unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                flags | extra,
                addr,
                len,
            )
        }
    })?;
    if let Some(a) = from {
        a.set_received_len(a.len);
    }
    Ok(ret as usize)
}

/// `sendmsg(2)`: gather `bufs`, to `to` (or the connected peer), with `control` as ancillary data
/// (empty for none). `MSG_NOSIGNAL` is always added.
pub(crate) fn sendmsg(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    to: Option<&RawAddr>,
    control: &[u8],
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    match to {
        Some(a) => sendmsg_raw(fd, bufs, a.as_ptr(), a.len, control, flags, deadline),
        None => sendmsg_raw(fd, bufs, ptr::null(), 0, control, flags, deadline),
    }
}

/// `sendmsg(2)` to an IP address encoded on the stack (the `Transmit` hot path), or with `None` to
/// the connected peer (no address).
#[inline]
pub(crate) fn sendmsg_inet(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    to: Option<&std::net::SocketAddr>,
    control: &[u8],
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    match to {
        Some(to) => RawAddr::with_inet(to, |addr, len| {
            sendmsg_raw(fd, bufs, addr, len, control, flags, deadline)
        }),
        None => sendmsg_raw(fd, bufs, std::ptr::null(), 0, control, flags, deadline),
    }
}

#[inline]
fn sendmsg_raw(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    addr: *const libc::sockaddr,
    addr_len: libc::socklen_t,
    control: &[u8],
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    // SAFETY: `msghdr` is plain old data: all-zero bytes are valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = addr.cast_mut().cast();
    msg.msg_namelen = addr_len;
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads through it.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast();
    msg.msg_iovlen = bufs.len();
    if !control.is_empty() {
        msg.msg_control = control.as_ptr().cast_mut().cast();
        msg.msg_controllen = control.len();
    }
    retry_io(fd, libc::POLLOUT, deadline, |extra| {
        // SAFETY: every pointer in `msg` refers to memory borrowed for this call (`bufs`, the address
        // of `addr_len` bytes or null with 0, `control`) with the matching length; `sendmsg` only
        // reads through them.
        unsafe {
            libc::sendmsg(
                fd.as_raw_fd(),
                &raw const msg,
                flags | extra | libc::MSG_NOSIGNAL,
            )
        }
    })
    .map(|n| n as usize)
}

/// Where a receive writes the datagram, as the `iovec`s `recvmsg(2)` takes: the caller's
/// `IoSliceMut`s, or uninitialised memory ([`Spare`]).
///
/// # Safety
/// `iovecs` returns `(pointer, count)` of `count` `iovec`s, each pointing at memory that is
/// exclusively borrowed through `self` and writable for its length (initialised or not: the kernel
/// writes only data), and valid until `self` is next used.
pub(crate) unsafe trait RecvBuf {
    /// The `iovec`s, for `msg_iov` and `msg_iovlen`.
    fn iovecs(&mut self) -> (*mut libc::iovec, usize);
    /// Their total length in bytes.
    fn capacity(&self) -> usize;
}

// SAFETY: `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix, and each one borrows
// its bytes exclusively for as long as the slice is borrowed.
unsafe impl RecvBuf for [IoSliceMut<'_>] {
    #[inline]
    fn iovecs(&mut self) -> (*mut libc::iovec, usize) {
        (self.as_mut_ptr().cast(), self.len())
    }

    #[inline]
    fn capacity(&self) -> usize {
        self.iter()
            .map(|b| b.len())
            .fold(0usize, usize::saturating_add)
    }
}

// SAFETY: as for the slice.
unsafe impl<const N: usize> RecvBuf for [IoSliceMut<'_>; N] {
    #[inline]
    fn iovecs(&mut self) -> (*mut libc::iovec, usize) {
        self.as_mut_slice().iovecs()
    }

    #[inline]
    fn capacity(&self) -> usize {
        self.as_slice().capacity()
    }
}

/// Uninitialised memory to receive one datagram into (the spare capacity of a `bytes::BufMut`),
/// as one `iovec`: no byte of it is read, and none needs zeroing first.
pub(crate) struct Spare<'a> {
    iov: libc::iovec,
    _mem: std::marker::PhantomData<&'a mut [MaybeUninit<u8>]>,
}

impl<'a> Spare<'a> {
    pub(crate) fn new(mem: &'a mut [MaybeUninit<u8>]) -> Spare<'a> {
        Spare {
            iov: libc::iovec {
                iov_base: mem.as_mut_ptr().cast(),
                iov_len: mem.len(),
            },
            _mem: std::marker::PhantomData,
        }
    }
}

// SAFETY: the one `iovec` points at the memory `new` borrowed exclusively for `'a`, with its length.
unsafe impl RecvBuf for Spare<'_> {
    #[inline]
    fn iovecs(&mut self) -> (*mut libc::iovec, usize) {
        (&raw mut self.iov, 1)
    }

    #[inline]
    fn capacity(&self) -> usize {
        self.iov.iov_len
    }
}

/// Receives into the spare capacity of `buf`, not zeroed first: `recv` gets it as a [`Spare`] and
/// returns the bytes it wrote there (capped at the spare capacity here) with its report; those bytes
/// then count as part of `buf`.
pub(crate) fn recv_into_buf<B: bytes::BufMut + ?Sized, T>(
    buf: &mut B,
    recv: impl FnOnce(&mut Spare<'_>) -> io::Result<(usize, T)>,
) -> io::Result<T> {
    let chunk = buf.chunk_mut();
    // SAFETY: nothing uninitialised is ever written into this memory: only the kernel writes
    // into it, and it writes data.
    let mem = unsafe { chunk.as_uninit_slice_mut() };
    let cap = mem.len();
    let (written, report) = recv(&mut Spare::new(mem))?;
    // SAFETY: the kernel initialised the first `written` bytes of the chunk, at most its length.
    unsafe { buf.advance_mut(written.min(cap)) };
    Ok(report)
}

/// `recvmsg(2)`: scatter into `bufs`, fill `from` when given and `control` with ancillary data.
/// `MSG_CMSG_CLOEXEC` is always added, so received descriptors are close-on-exec.
pub(crate) fn recvmsg<B: RecvBuf + ?Sized>(
    fd: BorrowedFd<'_>,
    bufs: &mut B,
    from: Option<&mut RawAddr>,
    control: &mut [u8],
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<MsgOut> {
    let (ptr, cap) = (control.as_mut_ptr(), control.len());
    // SAFETY: `control` is valid for writing `control.len()` bytes; the kernel writes only
    // initialised bytes into it.
    unsafe { recvmsg_raw(fd, bufs, from, ptr, cap, flags, deadline) }
}

/// [`recvmsg`] with a control area given as a pointer and its capacity, which may be uninitialised:
/// the kernel writes its messages into the first `control_len` bytes it reports (capped at `cap`),
/// padding aside, so read them only through [`cmsg::Filled`].
///
/// # Safety
/// `control` must be valid for writing `cap` bytes (or `cap` be 0).
#[inline]
unsafe fn recvmsg_raw<B: RecvBuf + ?Sized>(
    fd: BorrowedFd<'_>,
    bufs: &mut B,
    from: Option<&mut RawAddr>,
    control: *mut u8,
    cap: usize,
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<MsgOut> {
    // SAFETY: `msghdr` is plain old data: all-zero bytes are valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let from_len = match from {
        Some(a) => {
            a.prepare_recv();
            msg.msg_name = a.as_mut_ptr().cast();
            msg.msg_namelen = a.len;
            Some(a)
        }
        None => None,
    };
    (msg.msg_iov, msg.msg_iovlen) = bufs.iovecs();
    if cap > 0 {
        msg.msg_control = control.cast();
        msg.msg_controllen = cap;
    }
    let ret = retry_io(fd, libc::POLLIN, deadline, |extra| {
        // SAFETY: every pointer in `msg` refers to memory exclusively borrowed for this call with the
        // matching capacity (the buffers by `RecvBuf`'s contract, the control area by the caller's);
        // the kernel writes at most that much through each, and only initialised bytes.
        unsafe {
            libc::recvmsg(
                fd.as_raw_fd(),
                &raw mut msg,
                flags | extra | libc::MSG_CMSG_CLOEXEC,
            )
        }
    })?;
    if let Some(a) = from_len {
        a.set_received_len(msg.msg_namelen);
    }
    Ok(MsgOut {
        ret: ret as usize,
        flags: msg.msg_flags,
        control_len: if cap > 0 {
            msg.msg_controllen.min(cap)
        } else {
            0
        },
    })
}

/// What the ancillary data of one `recvmsg` said.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ancillary {
    /// Every control message dgram knows, decoded.
    pub(crate) decoded: cmsg::Decoded,
    /// More descriptors arrived than there was room for, or the kernel set `MSG_CTRUNC`: on a Unix
    /// socket every descriptor of this message was closed.
    pub(crate) truncated: bool,
}

impl Ancillary {
    /// What a receive whose control area holds `messages` said, with the kernel's `flags`
    /// (`MSG_CTRUNC`): for a socket that carries no descriptors (UDP).
    #[inline]
    pub(crate) fn of(messages: cmsg::Iter<'_>, flags: libc::c_int) -> Ancillary {
        Ancillary {
            decoded: cmsg::Decoded::of(messages),
            truncated: flags & libc::MSG_CTRUNC != 0,
        }
    }
}

/// The control area a receive offers the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// None: no option that adds control messages is on.
    None,
    /// Room for every UDP option dgram decodes.
    Udp,
    /// Credentials, and the spare capacity of the descriptor collection (at most `SCM_MAX_FD`).
    Unix,
}

/// The largest control area a Unix receive needs: credentials, a receive time and `SCM_MAX_FD`
/// descriptors.
const CONTROL_MAX: usize = CONTROL_CRED + cmsg::space(cmsg::MAX_FDS * 4);
/// The control area of a Unix receive with no room for descriptors: credentials and a receive
/// time (`SCM_TIMESTAMPNS`).
const CONTROL_CRED: usize = cmsg::space(cmsg::UCRED_LEN) + cmsg::space(size_of::<libc::timespec>());

/// `recvmsg(2)` with a control area of `space`, decoded: the one receive-and-decode path of every
/// socket type. The sender goes into `from` when given (`None`: the kernel is asked for none).
///
/// For `Space::Unix`, descriptors (`SCM_RIGHTS`) go into the spare capacity of `fds`. They are
/// close-on-exec (`MSG_CMSG_CLOEXEC`) and become `OwnedFd`s at once. When more arrived than `fds` had
/// room for, or the kernel truncated the control area (`MSG_CTRUNC`), every descriptor of this message
/// is closed, `fds` is left as it was, and `Ancillary::truncated` says so: no path leaks one. `fds`
/// never grows beyond its capacity, so this allocates nothing.
#[inline]
pub(crate) fn recvmsg_ancillary<B: RecvBuf + ?Sized>(
    fd: BorrowedFd<'_>,
    bufs: &mut B,
    from: Option<&mut RawAddr>,
    flags: libc::c_int,
    space: Space,
    fds: Option<&mut Vec<OwnedFd>>,
    deadline: Deadline,
) -> io::Result<(MsgOut, Ancillary)> {
    let room = fds
        .as_ref()
        .map_or(0, |v| (v.capacity() - v.len()).min(cmsg::MAX_FDS));
    match space {
        Space::None => {
            let out = recvmsg(fd, bufs, from, &mut [], flags, deadline)?;
            Ok((
                out,
                Ancillary {
                    decoded: cmsg::Decoded::default(),
                    truncated: out.flags & libc::MSG_CTRUNC != 0,
                },
            ))
        }
        Space::Udp => {
            recv_decode::<{ cmsg::UDP_RECV_SPACE }, _>(fd, bufs, from, flags, None, 0, deadline)
        }
        Space::Unix if room == 0 => {
            recv_decode::<CONTROL_CRED, _>(fd, bufs, from, flags, fds, 0, deadline)
        }
        Space::Unix => recv_decode::<CONTROL_MAX, _>(fd, bufs, from, flags, fds, room, deadline),
    }
}

/// Receives with a control area of at most `N` bytes (all `N` without descriptors to take, else
/// room for credentials and `room` descriptors), left uninitialised (the kernel writes what it
/// reports, and only that is read), and decodes it.
#[inline]
fn recv_decode<const N: usize, B: RecvBuf + ?Sized>(
    fd: BorrowedFd<'_>,
    bufs: &mut B,
    from: Option<&mut RawAddr>,
    flags: libc::c_int,
    mut fds: Option<&mut Vec<OwnedFd>>,
    room: usize,
    deadline: Deadline,
) -> io::Result<(MsgOut, Ancillary)> {
    let cap = if room == 0 {
        N
    } else {
        CONTROL_CRED + cmsg::space(room * 4)
    };
    let mut area = MaybeUninit::<cmsg::CmsgBuf<N>>::uninit();
    // SAFETY: `area` is `N >= cap.min(N)` writable bytes, aligned for `cmsghdr` (`CmsgBuf`).
    let out = unsafe {
        recvmsg_raw(
            fd,
            bufs,
            from,
            area.as_mut_ptr().cast(),
            cap.min(N),
            flags,
            deadline,
        )?
    };
    // SAFETY: `recvmsg` just filled `area` and reported `control_len` (capped at what it was given).
    let control = unsafe { cmsg::Filled::new(area.as_ptr().cast::<u8>(), out.control_len) };
    let mut anc = Ancillary {
        decoded: cmsg::Decoded::default(),
        truncated: out.flags & libc::MSG_CTRUNC != 0,
    };
    let before = fds.as_ref().map_or(0, |v| v.len());
    for c in control.iter() {
        match c.decode() {
            cmsg::Value::Rights(data) => {
                // SAFETY: this is an SCM_RIGHTS message the kernel wrote into our buffer in the
                // recvmsg above: its descriptors are newly installed and owned by nobody else.
                unsafe {
                    cmsg::take_fds(data, |owned| match fds.as_deref_mut() {
                        Some(v) if v.len() < v.capacity() && v.len() - before < room => {
                            v.push(owned)
                        }
                        // No room: dropping the OwnedFd closes it.
                        _ => anc.truncated = true,
                    })
                };
            }
            cmsg::Value::PidFd(data) => {
                // SAFETY: an SCM_PIDFD message the kernel wrote into our buffer in the recvmsg
                // above (`SO_PASSPIDFD`, set outside dgram): its pidfd is newly installed and owned
                // by nobody else. dgram reports no pidfd, so dropping it closes it.
                unsafe { cmsg::take_fds(data, drop) };
            }
            v => anc.decoded.add(v),
        }
    }
    if anc.truncated
        && let Some(v) = fds
    {
        // Close whatever did arrive with a truncated message: a partial set is worse than none.
        v.truncate(before);
    }
    Ok((out, anc))
}

/// `sendmsg(2)` with `SCM_RIGHTS` for `fds` and `SCM_CREDENTIALS` for `cred` when given.
/// The caller has checked that `fds` holds at most `SCM_MAX_FD` descriptors.
pub(crate) fn sendmsg_ancillary(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    to: Option<&RawAddr>,
    fds: &[std::os::fd::BorrowedFd<'_>],
    cred: Option<(i32, u32, u32)>,
    flags: libc::c_int,
    deadline: Deadline,
) -> io::Result<usize> {
    if fds.is_empty() && cred.is_none() {
        return sendmsg(fd, bufs, to, &[], flags, deadline);
    }
    let mut buf = cmsg::CmsgBuf::<CONTROL_MAX>::new();
    let mut enc = cmsg::Encoder::new(&mut buf.0);
    let too_many = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many descriptors for one message",
        )
    };
    if !fds.is_empty() {
        enc.push_fds(fds).ok_or_else(too_many)?;
    }
    if let Some((pid, uid, gid)) = cred {
        enc.push_cred(pid, uid, gid).ok_or_else(too_many)?;
    }
    sendmsg(fd, bufs, to, enc.finish(), flags, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, UdpSocket};
    use std::os::fd::AsFd;

    #[test]
    fn a_reused_address_buffer_offers_its_whole_storage() {
        // A buffer last holding an IPv4 address (16 bytes) receives from an IPv6 sender (28 bytes):
        // the kernel must be offered the whole storage, and the length it reports is what is read.
        let rx = UdpSocket::bind("[::]:0").unwrap();
        let port = rx.local_addr().unwrap().port();
        let tx6 = UdpSocket::bind("[::1]:0").unwrap();
        let tx4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut from = RawAddr::from_inet(&"192.0.2.1:7".parse().unwrap());
        assert_eq!(from.len, 16);
        tx6.send_to(b"six", ("::1", port)).unwrap();
        let mut buf = [0u8; 8];
        let n = recv_from(rx.as_fd(), &mut buf, Some(&mut from), 0, None).unwrap();
        assert_eq!(
            (&buf[..n], from.socket_addr()),
            (&b"six"[..], Some(tx6.local_addr().unwrap()))
        );
        // the same through recvmsg
        let mut from = RawAddr::from_inet(&"192.0.2.1:7".parse().unwrap());
        tx4.send_to(b"four", ("127.0.0.1", port)).unwrap();
        let out = recvmsg(
            rx.as_fd(),
            &mut [IoSliceMut::new(&mut buf)],
            Some(&mut from),
            &mut [],
            0,
            None,
        )
        .unwrap();
        let mapped = SocketAddr::new(
            std::net::Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
            tx4.local_addr().unwrap().port(),
        );
        assert_eq!((out.ret, from.socket_addr()), (4, Some(mapped)));
    }
}
