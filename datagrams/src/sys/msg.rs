//! The message path shared by every socket type: `sendto`/`recvfrom` for one buffer, and the generic
//! `sendmsg(2)`/`recvmsg(2)` with scatter/gather buffers, an address and a control buffer.
//!
//! `UdpSocket` and `UnixDatagram` both call these; nothing above `sys` issues a send or receive syscall.

use std::io::{self, IoSlice, IoSliceMut};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::ptr;

use super::addr::{InetAddr, RawAddr};
use super::{cmsg, retry};

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
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: libc::c_int) -> io::Result<usize> {
    sendto_raw(fd, buf, ptr::null(), 0, flags)
}

/// `sendto(2)` of one buffer to an IP address, encoded on the stack (the UDP hot path).
#[inline]
pub(crate) fn send_to_inet(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    to: &std::net::SocketAddr,
    flags: libc::c_int,
) -> io::Result<usize> {
    RawAddr::with_inet(to, |addr, len| sendto_raw(fd, buf, addr, len, flags))
}

/// `sendto(2)` of one buffer to a Unix address given as the bytes of its `sun_path`.
#[inline]
pub(crate) fn send_to_unix(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    path: &[u8],
    flags: libc::c_int,
) -> io::Result<usize> {
    RawAddr::with_unix(path, |addr, len| sendto_raw(fd, buf, addr, len, flags))
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
) -> io::Result<usize> {
    retry(|| {
        // SAFETY: `buf` is valid for `buf.len()` bytes of reading; `addr` is null with `len` 0, or
        // points at a sockaddr whose first `len` bytes are written and which outlives this call (the
        // encoders lend it to us).
        unsafe {
            libc::sendto(
                fd.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                flags | libc::MSG_NOSIGNAL,
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
) -> io::Result<usize> {
    let mut from = from;
    let (addr, len) = match from.as_deref_mut() {
        Some(a) => {
            a.prepare_recv();
            (a.as_mut_ptr(), &raw mut a.len)
        }
        None => (ptr::null_mut(), ptr::null_mut()),
    };
    let ret = retry(|| {
        // SAFETY: `buf` is valid for `buf.len()` bytes of writing; `addr`/`len` are both null or point
        // at a live `RawAddr` whose `len` is its storage's capacity, which the kernel never exceeds.
        unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                flags,
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
) -> io::Result<usize> {
    match to {
        Some(a) => sendmsg_raw(fd, bufs, a.as_ptr(), a.len, control, flags),
        None => sendmsg_raw(fd, bufs, ptr::null(), 0, control, flags),
    }
}

/// `sendmsg(2)` to an IP address encoded on the stack (the `Transmit` hot path).
#[inline]
pub(crate) fn sendmsg_inet(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    to: &std::net::SocketAddr,
    control: &[u8],
    flags: libc::c_int,
) -> io::Result<usize> {
    RawAddr::with_inet(to, |addr, len| {
        sendmsg_raw(fd, bufs, addr, len, control, flags)
    })
}

#[inline]
fn sendmsg_raw(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    addr: *const libc::sockaddr,
    addr_len: libc::socklen_t,
    control: &[u8],
    flags: libc::c_int,
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
    retry(|| {
        // SAFETY: every pointer in `msg` refers to memory borrowed for this call (`bufs`, the address
        // of `addr_len` bytes or null with 0, `control`) with the matching length; `sendmsg` only
        // reads through them.
        unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, flags | libc::MSG_NOSIGNAL) }
    })
    .map(|n| n as usize)
}

/// `recvmsg(2)`: scatter into `bufs`, fill `from` when given and `control` with ancillary data.
/// `MSG_CMSG_CLOEXEC` is always added, so received descriptors are close-on-exec.
pub(crate) fn recvmsg(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    from: Option<&mut RawAddr>,
    control: &mut [u8],
    flags: libc::c_int,
) -> io::Result<MsgOut> {
    // SAFETY: `control` is valid for writing `control.len()` bytes; the kernel writes only
    // initialised bytes into it.
    unsafe { recvmsg_raw(fd, bufs, from, control.as_mut_ptr(), control.len(), flags) }
}

/// [`recvmsg`] with a control area given as a pointer and its capacity, which may be uninitialised:
/// the kernel writes its messages into the first `control_len` bytes it reports (capped at `cap`),
/// padding aside, so read them only through [`cmsg::Filled`].
///
/// # Safety
/// `control` must be valid for writing `cap` bytes (or `cap` be 0).
#[inline]
unsafe fn recvmsg_raw(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    from: Option<&mut RawAddr>,
    control: *mut u8,
    cap: usize,
    flags: libc::c_int,
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
    // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
    msg.msg_iov = bufs.as_mut_ptr().cast();
    msg.msg_iovlen = bufs.len();
    if cap > 0 {
        msg.msg_control = control.cast();
        msg.msg_controllen = cap;
    }
    let ret = retry(|| {
        // SAFETY: every pointer in `msg` refers to memory exclusively borrowed for this call with the
        // matching capacity (the control area by the caller's contract); the kernel writes at most
        // that much through each.
        unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, flags | libc::MSG_CMSG_CLOEXEC) }
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

/// `getsockname(2)`.
pub(crate) fn local_addr(fd: BorrowedFd<'_>) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: `a` is a live buffer whose `len` is its capacity; the kernel writes at most that much.
    retry(|| unsafe { libc::getsockname(fd.as_raw_fd(), a.as_mut_ptr(), &raw mut a.len) })?;
    Ok(a)
}

/// `getpeername(2)`.
pub(crate) fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<RawAddr> {
    let mut a = RawAddr::empty();
    // SAFETY: as for `local_addr`.
    retry(|| unsafe { libc::getpeername(fd.as_raw_fd(), a.as_mut_ptr(), &raw mut a.len) })?;
    Ok(a)
}

/// `bind(2)`.
pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: `addr` points at a live `RawAddr` whose `len` does not exceed its storage.
    retry(|| unsafe { libc::bind(fd.as_raw_fd(), addr.as_ptr(), addr.len) }).map(drop)
}

/// `connect(2)`; with [`RawAddr::unspec`] it dissolves a datagram association.
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &RawAddr) -> io::Result<()> {
    // SAFETY: `addr` points at a live `RawAddr` whose `len` does not exceed its storage. A datagram
    // connect completes at once, so retrying after `EINTR` cannot race an in-progress connection.
    retry(|| unsafe { libc::connect(fd.as_raw_fd(), addr.as_ptr(), addr.len) }).map(drop)
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

/// The largest control area a Unix receive needs: credentials and `SCM_MAX_FD` descriptors.
const CONTROL_MAX: usize = cmsg::space(cmsg::UCRED_LEN) + cmsg::space(cmsg::MAX_FDS * 4);
/// The control area of a Unix receive with no room for descriptors: credentials only.
const CONTROL_CRED: usize = cmsg::space(cmsg::UCRED_LEN);

/// `recvmsg(2)` with a control area of `space`, decoded: the one receive-and-decode path of every
/// socket type. The sender goes into `from` when given (`None`: the kernel is asked for none).
///
/// For `Space::Unix`, descriptors (`SCM_RIGHTS`) go into the spare capacity of `fds`. They are
/// close-on-exec (`MSG_CMSG_CLOEXEC`) and become `OwnedFd`s at once. When more arrived than `fds` had
/// room for, or the kernel truncated the control area (`MSG_CTRUNC`), every descriptor of this message
/// is closed, `fds` is left as it was, and `Ancillary::truncated` says so: no path leaks one. `fds`
/// never grows beyond its capacity, so this allocates nothing.
#[inline]
pub(crate) fn recvmsg_ancillary(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    from: Option<&mut RawAddr>,
    flags: libc::c_int,
    space: Space,
    fds: Option<&mut Vec<OwnedFd>>,
) -> io::Result<(MsgOut, Ancillary)> {
    let room = fds
        .as_ref()
        .map_or(0, |v| (v.capacity() - v.len()).min(cmsg::MAX_FDS));
    match space {
        Space::None => {
            let out = recvmsg(fd, bufs, from, &mut [], flags)?;
            Ok((
                out,
                Ancillary {
                    decoded: cmsg::Decoded::default(),
                    truncated: out.flags & libc::MSG_CTRUNC != 0,
                },
            ))
        }
        Space::Udp => recv_decode::<{ cmsg::UDP_RECV_SPACE }>(
            fd,
            bufs,
            from,
            flags,
            cmsg::UDP_RECV_SPACE,
            None,
            0,
        ),
        Space::Unix if room == 0 => {
            recv_decode::<CONTROL_CRED>(fd, bufs, from, flags, CONTROL_CRED, fds, 0)
        }
        Space::Unix => recv_decode::<CONTROL_MAX>(
            fd,
            bufs,
            from,
            flags,
            CONTROL_CRED + cmsg::space(room * 4),
            fds,
            room,
        ),
    }
}

/// Receives with a control area of `cap` bytes (at most `N`), left uninitialised (the kernel writes
/// what it reports, and only that is read), and decodes it.
#[inline]
fn recv_decode<const N: usize>(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    from: Option<&mut RawAddr>,
    flags: libc::c_int,
    cap: usize,
    mut fds: Option<&mut Vec<OwnedFd>>,
    room: usize,
) -> io::Result<(MsgOut, Ancillary)> {
    let mut area = MaybeUninit::<cmsg::CmsgBuf<N>>::uninit();
    // SAFETY: `area` is `N >= cap.min(N)` writable bytes, aligned for `cmsghdr` (`CmsgBuf`).
    let out = unsafe { recvmsg_raw(fd, bufs, from, area.as_mut_ptr().cast(), cap.min(N), flags)? };
    // SAFETY: `recvmsg` just filled `area` and reported `control_len` (capped at what it was given).
    let control = unsafe { cmsg::Filled::new(area.as_ptr().cast::<u8>(), out.control_len) };
    let mut anc = Ancillary {
        decoded: cmsg::Decoded::default(),
        truncated: out.flags & libc::MSG_CTRUNC != 0,
    };
    let before = fds.as_ref().map_or(0, |v| v.len());
    for c in control.iter() {
        if (c.level, c.kind) == (libc::SOL_SOCKET, libc::SCM_RIGHTS) {
            // SAFETY: this is an SCM_RIGHTS message the kernel wrote into our buffer in the recvmsg
            // above: its descriptors are newly installed and owned by nobody else.
            unsafe {
                cmsg::take_fds(c.data, |owned| match fds.as_deref_mut() {
                    Some(v) if v.len() < v.capacity() && v.len() - before < room => v.push(owned),
                    // No room: dropping the OwnedFd closes it.
                    _ => anc.truncated = true,
                })
            };
        } else if (c.level, c.kind) == (libc::SOL_SOCKET, cmsg::SCM_PIDFD) {
            // SAFETY: an SCM_PIDFD message the kernel wrote into our buffer in the recvmsg above
            // (`SO_PASSPIDFD`, set outside dgram): its pidfd is newly installed and owned by nobody
            // else. dgram reports no pidfd, so dropping it closes it.
            unsafe { cmsg::take_fds(c.data, drop) };
        } else {
            anc.decoded.take(&c);
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
) -> io::Result<usize> {
    if fds.is_empty() && cred.is_none() {
        return sendmsg(fd, bufs, to, &[], flags);
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
    sendmsg(fd, bufs, to, enc.finish(), flags)
}

/// Whether the read side of the socket is shut down (`poll(2)` reports `POLLRDHUP` at once).
pub(crate) fn read_shut_down(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: `p` is one live pollfd and the count says 1; a zero timeout never blocks.
    retry(|| unsafe { libc::poll(&raw mut p, 1, 0) })?;
    Ok(p.revents & libc::POLLRDHUP != 0)
}

/// The most messages one `sendmmsg`/`recvmmsg` call carries (the public `MAX_BATCH`).
pub(crate) const MAX_BATCH: usize = 32;
const _: () = assert!(MAX_BATCH.is_power_of_two() && MAX_BATCH <= 256);

/// Writes a message's control messages into a zeroed area; returns how many bytes it filled.
pub(crate) type Encode<'f> = &'f mut dyn FnMut(&mut [u8]) -> io::Result<usize>;

/// Up to [`MAX_BATCH`] messages to send, on the stack: each one's header, bytes, destination, and
/// control messages for those that carry any (most do not, and pay nothing for them). Consecutive
/// messages to one destination share its encoding, so a batch to one peer encodes one address.
///
/// [`push`](Self::push) and [`push_same`](Self::push_same) write each message's header whole but for
/// its pointers, which would dangle if the batch moved; [`sendmmsg`] points them into the batch right
/// before the call.
pub(crate) struct SendBatch<'a> {
    /// Header `i < len` is initialised by `push` or `push_same`, with the right lengths (its pointers
    /// are set by `sendmmsg`).
    hdrs: [MaybeUninit<libc::mmsghdr>; MAX_BATCH],
    /// Entry `i < len` is initialised by `push` and points into a `&'a [u8]`.
    iov: [MaybeUninit<libc::iovec>; MAX_BATCH],
    /// Entry `i < len` indexes an initialised address: it is below `addr_count`.
    dest: [u8; MAX_BATCH],
    /// Entries `..addr_count` are initialised.
    addrs: [MaybeUninit<InetAddr>; MAX_BATCH],
    addr_count: usize,
    /// A non-zero `msg_controllen` in header `i` means that entry `i` is initialised (zeroed, then
    /// encoded by `push`) and at least that long; `push_same` writes 0.
    controls: [MaybeUninit<cmsg::CmsgBuf<{ cmsg::UDP_SEND_SPACE }>>; MAX_BATCH],
    len: usize,
    _bufs: PhantomData<&'a [u8]>,
}

impl<'a> SendBatch<'a> {
    #[inline]
    pub(crate) fn new() -> Self {
        SendBatch {
            hdrs: [const { MaybeUninit::uninit() }; MAX_BATCH],
            iov: [const { MaybeUninit::uninit() }; MAX_BATCH],
            dest: [0; MAX_BATCH],
            addrs: [const { MaybeUninit::uninit() }; MAX_BATCH],
            addr_count: 0,
            controls: [const { MaybeUninit::uninit() }; MAX_BATCH],
            len: 0,
            _bufs: PhantomData,
        }
    }

    /// Appends a message of `buf` to `to`, or, with `same_destination`, to the previous message's
    /// destination without encoding it again (`to` is then not read; on the first message it is).
    /// With `encode`, its control messages, written by the closure into a zeroed area (it returns how
    /// much it filled). False when the batch is full.
    #[inline]
    pub(crate) fn push(
        &mut self,
        buf: &'a [u8],
        to: &std::net::SocketAddr,
        same_destination: bool,
        encode: Option<Encode<'_>>,
    ) -> io::Result<bool> {
        let i = self.len;
        if i >= MAX_BATCH {
            return Ok(false);
        }
        let control_len = match encode {
            Some(f) => {
                let area = &mut self.controls[i].write(cmsg::CmsgBuf::new()).0;
                f(area)?.min(area.len())
            }
            None => 0,
        };
        if !same_destination || self.addr_count == 0 {
            // At most one address per message, so `addr_count <= i < MAX_BATCH`.
            self.addrs[self.addr_count].write(InetAddr::new(to));
            self.addr_count += 1;
        }
        let a = self.addr_count - 1;
        // `a < MAX_BATCH = 32` fits a byte.
        self.dest[i] = a as u8;
        // SAFETY: entry `a < addr_count` was initialised above or by an earlier push.
        let name_len = unsafe { self.addrs[a].assume_init_ref() }.len;
        self.iov[i].write(libc::iovec {
            iov_base: buf.as_ptr().cast_mut().cast(),
            iov_len: buf.len(),
        });
        // SAFETY: `msghdr` is plain old data: all-zero bytes are valid (null pointers, zero lengths).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_namelen = name_len;
        msg.msg_iovlen = 1;
        msg.msg_controllen = control_len;
        self.hdrs[i].write(libc::mmsghdr {
            msg_hdr: msg,
            msg_len: 0,
        });
        self.len = i + 1;
        Ok(true)
    }

    /// Appends a message of `buf` with the previous message's destination and no control messages:
    /// the common case of a batch, which copies the previous header. False when the batch is empty or
    /// full.
    #[inline]
    pub(crate) fn push_same(&mut self, buf: &'a [u8]) -> bool {
        let i = self.len;
        if i == 0 || i >= MAX_BATCH {
            return false;
        }
        self.dest[i] = self.dest[i - 1];
        // SAFETY: `push` or `push_same` initialised header `i - 1 < len`; `mmsghdr` is `Copy`.
        let mut h = unsafe { self.hdrs[i - 1].assume_init_read() };
        h.msg_hdr.msg_controllen = 0;
        self.hdrs[i].write(h);
        self.iov[i].write(libc::iovec {
            iov_base: buf.as_ptr().cast_mut().cast(),
            iov_len: buf.len(),
        });
        self.len = i + 1;
        true
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// `sendmmsg(2)` of up to [`MAX_BATCH`] messages in one call; returns how many were sent (the kernel
/// stops at the first that fails, and reports that failure only when it is the first). `MSG_NOSIGNAL`
/// is always added.
pub(crate) fn sendmmsg(
    fd: BorrowedFd<'_>,
    batch: &mut SendBatch<'_>,
    flags: libc::c_int,
) -> io::Result<usize> {
    let n = batch.len.min(MAX_BATCH);
    let iov = batch.iov.as_ptr();
    let addrs = batch.addrs.as_ptr();
    let controls = batch.controls.as_ptr();
    for i in 0..n {
        // SAFETY: `push` or `push_same` initialised header `i < len`.
        let h = unsafe { batch.hdrs[i].assume_init_mut() };
        // `dest[i] < addr_count <= MAX_BATCH` (the `SendBatch` invariant); the mask keeps it in
        // bounds without a branch (`MAX_BATCH` is a power of two). `wrapping_add` within the arrays
        // computes addresses only.
        let a = usize::from(batch.dest[i]) & (MAX_BATCH - 1);
        h.msg_hdr.msg_name = addrs.wrapping_add(a).cast_mut().cast();
        h.msg_hdr.msg_iov = iov.wrapping_add(i).cast_mut().cast();
        if h.msg_hdr.msg_controllen != 0 {
            h.msg_hdr.msg_control = controls.wrapping_add(i).cast_mut().cast();
        }
    }
    retry(|| {
        // SAFETY: the first `n` headers are initialised by `push`/`push_same` and point (above) at
        // the batch's own iovecs, the buffers those borrow, its initialised addresses (an
        // `InetAddr` starts with its `sockaddr`) of `msg_namelen` bytes and, where `msg_controllen`
        // is non-zero, its initialised control areas of at least that many bytes. All of it lives for this call; the kernel only reads through the pointers (it
        // writes `msg_len`, inside `hdrs`).
        unsafe {
            libc::sendmmsg(
                fd.as_raw_fd(),
                batch.hdrs.as_mut_ptr().cast(),
                n as libc::c_uint,
                flags | libc::MSG_NOSIGNAL,
            )
        }
    })
    .map(|sent| sent as usize)
}

/// The control area of one message of a [`recvmmsg`]: uninitialised until the kernel writes it.
pub(crate) type RecvControl = MaybeUninit<cmsg::CmsgBuf<{ cmsg::UDP_RECV_SPACE }>>;

/// An empty control area for [`recvmmsg`].
pub(crate) const RECV_CONTROL: RecvControl = MaybeUninit::uninit();

/// One message a [`recvmmsg`] received.
pub(crate) struct Received<'c> {
    /// The syscall's report: the datagram's length (its full length with `MSG_TRUNC`), its flags,
    /// and how much control data arrived.
    pub(crate) out: MsgOut,
    /// The capacity of the message's buffer, in bytes.
    pub(crate) cap: usize,
    /// The sender; `None` if the kernel reported an address that is not IP, or was asked for none.
    pub(crate) addr: Option<std::net::SocketAddr>,
    /// The control messages the kernel wrote (empty when the call offered no control areas).
    pub(crate) control: cmsg::Filled<'c>,
}

/// `recvmmsg(2)` into `bufs` (one buffer per message), with a control area per message when
/// `controls` has one for each; calls `each` with every message received, in order, until it returns
/// false. Returns how many messages `each` accepted. With `MSG_WAITFORONE` in `flags` it waits for the
/// first only. `MSG_CMSG_CLOEXEC` is always added. Without `senders` the kernel is asked for no
/// source addresses (`msg_name` null: no copy of one per message) and every `Received::addr` is
/// `None`.
#[inline]
pub(crate) fn recvmmsg(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    controls: &mut [RecvControl],
    flags: libc::c_int,
    senders: bool,
    mut each: impl FnMut(usize, Received<'_>) -> bool,
) -> io::Result<usize> {
    let n = bufs.len().min(MAX_BATCH);
    let with_control = controls.len() >= n;
    let mut addrs = [InetAddr::EMPTY; MAX_BATCH];
    let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; MAX_BATCH];
    for (i, h) in hdrs.iter_mut().enumerate().take(n) {
        // SAFETY: `msghdr` is plain old data: all-zero bytes are valid (null pointers, zero lengths).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        if senders {
            msg.msg_name = addrs[i].as_mut_ptr().cast();
            msg.msg_namelen = addrs[i].len;
        }
        // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
        msg.msg_iov = (&raw mut bufs[i]).cast();
        msg.msg_iovlen = 1;
        if with_control {
            msg.msg_control = controls[i].as_mut_ptr().cast();
            msg.msg_controllen = cmsg::UDP_RECV_SPACE;
        }
        h.write(libc::mmsghdr {
            msg_hdr: msg,
            msg_len: 0,
        });
    }
    let got = retry(|| {
        // SAFETY: the first `n` headers are initialised above; every pointer in them refers to memory
        // exclusively borrowed for this call with the matching capacity, which bounds what the kernel
        // writes. A null timeout means none.
        unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                hdrs.as_mut_ptr().cast(),
                n as libc::c_uint,
                flags | libc::MSG_CMSG_CLOEXEC,
                std::ptr::null_mut(),
            )
        }
    })? as usize;
    for i in 0..got.min(n) {
        // SAFETY: header `i` was initialised above and the kernel filled it in.
        let h = unsafe { hdrs[i].assume_init_ref() };
        let control = if with_control {
            let len = h.msg_hdr.msg_controllen.min(cmsg::UDP_RECV_SPACE);
            // SAFETY: `recvmmsg` just filled this area and reported `msg_controllen` (capped at its
            // size); the area is borrowed exclusively for this call.
            unsafe { cmsg::Filled::new(controls[i].as_ptr().cast::<u8>(), len) }
        } else {
            cmsg::Filled::EMPTY
        };
        let received = Received {
            out: MsgOut {
                ret: h.msg_len as usize,
                flags: h.msg_hdr.msg_flags,
                control_len: control.len(),
            },
            cap: bufs[i].len(),
            addr: if senders {
                addrs[i].set_received_len(h.msg_hdr.msg_namelen);
                addrs[i].socket_addr()
            } else {
                None
            },
            control,
        };
        if !each(i, received) {
            return Ok(i);
        }
    }
    Ok(got.min(n))
}

/// Probes UDP GSO: whether the kernel knows `UDP_SEGMENT` (`getsockopt` answers).
pub(crate) fn gso_supported(fd: BorrowedFd<'_>) -> bool {
    super::sockopt::get_int(fd, libc::SOL_UDP, cmsg::UDP_SEGMENT).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, UdpSocket};
    use std::os::fd::AsFd;

    #[test]
    fn push_same_copies_the_destination_and_never_the_control() {
        let to: SocketAddr = "192.0.2.1:7".parse().unwrap();
        let (a, b) = (*b"first", *b"second");
        let mut batch = SendBatch::new();
        assert!(
            !batch.push_same(&a),
            "an empty batch has no previous message"
        );
        let mut encode = |area: &mut [u8]| Ok(area.len().min(24));
        assert!(batch.push(&a, &to, false, Some(&mut encode)).unwrap());
        assert!(batch.push_same(&b));
        // SAFETY: both headers were initialised by the pushes above.
        let (h0, h1) = unsafe {
            (
                batch.hdrs[0].assume_init_ref().msg_hdr,
                batch.hdrs[1].assume_init_ref().msg_hdr,
            )
        };
        assert_eq!((h0.msg_controllen, h1.msg_controllen), (24, 0));
        assert_eq!((h0.msg_namelen, h1.msg_namelen), (16, 16));
        assert_eq!((batch.dest[0], batch.dest[1], batch.addr_count), (0, 0, 1));
        // SAFETY: both iovecs were initialised by the pushes above.
        let lens = unsafe { [0, 1].map(|i| batch.iov[i].assume_init_ref().iov_len) };
        assert_eq!(lens, [5, 6]);
    }

    #[test]
    fn recvmmsg_asks_for_senders_only_when_told() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        for senders in [true, false, true] {
            tx.send_to(b"one", rx.local_addr().unwrap()).unwrap();
            let mut buf = [0u8; 8];
            let mut seen = Vec::new();
            let got = recvmmsg(
                rx.as_fd(),
                &mut [IoSliceMut::new(&mut buf)],
                &mut [],
                libc::MSG_WAITFORONE,
                senders,
                |i, r| {
                    seen.push((i, r.out.ret, r.addr));
                    true
                },
            )
            .unwrap();
            let want = senders.then(|| tx.local_addr().unwrap());
            assert_eq!((got, seen), (1, vec![(0, 3, want)]), "senders {senders}");
        }
    }

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
        let n = recv_from(rx.as_fd(), &mut buf, Some(&mut from), 0).unwrap();
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
        )
        .unwrap();
        let mapped = SocketAddr::new(
            std::net::Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(),
            tx4.local_addr().unwrap().port(),
        );
        assert_eq!((out.ret, from.socket_addr()), (4, Some(mapped)));
    }
}
