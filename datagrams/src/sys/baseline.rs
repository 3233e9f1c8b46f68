//! The kernel's limit, as benchmarks measure it: the plainest syscall loops for batches and GSO/GRO,
//! with no checks, no metadata and no decoding beyond what the workload needs. Not part of dgram's
//! API (feature `bench-baselines`, hidden): benchmarks compare dgram's calls with these.

use std::io::{self, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::addr::RawAddr;
use super::{cmsg, retry};

const BATCH: usize = super::mmsg::MAX_BATCH;

/// `sendmmsg(2)` of `count` (at most 32) copies of `payload` to `to`; returns how many were sent.
///
/// # Errors
/// What `sendmmsg(2)` reports.
pub fn sendmmsg(
    fd: BorrowedFd<'_>,
    to: &SocketAddr,
    payload: &[u8],
    count: usize,
) -> io::Result<usize> {
    let n = count.min(BATCH);
    let addr = RawAddr::from_inet(to);
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr().cast_mut().cast(),
        iov_len: payload.len(),
    };
    let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; BATCH];
    for h in hdrs.iter_mut().take(n) {
        // SAFETY: `msghdr` is plain old data: all-zero bytes are valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = addr.as_ptr().cast_mut().cast();
        msg.msg_namelen = addr.len;
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        h.write(libc::mmsghdr {
            msg_hdr: msg,
            msg_len: 0,
        });
    }
    // SAFETY: `n` headers are initialised and point at `addr`, `iov` and `payload`, live for the call;
    // the kernel only reads through them.
    retry(|| unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            hdrs.as_mut_ptr().cast(),
            n as libc::c_uint,
            0,
        )
    })
    .map(|s| s as usize)
}

/// `recvmmsg(2)` with `MSG_WAITFORONE` into `bufs` (at most 32); writes each length into `lens` and
/// returns how many arrived. With `senders`, the kernel also writes each sender's address (into
/// storage this function owns and never reads): the work any receiver that reports senders asks of
/// the kernel, as `recv_batch` does. Without, lengths only: the least a `recvmmsg` can do.
///
/// # Errors
/// What `recvmmsg(2)` reports.
pub fn recvmmsg(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    lens: &mut [usize],
    senders: bool,
) -> io::Result<usize> {
    let n = bufs.len().min(lens.len()).min(BATCH);
    let mut names = [const { MaybeUninit::<libc::sockaddr_in6>::uninit() }; BATCH];
    let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; BATCH];
    for ((h, b), name) in hdrs.iter_mut().zip(bufs.iter_mut()).zip(&mut names).take(n) {
        // SAFETY: `msghdr` is plain old data: all-zero bytes are valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        if senders {
            msg.msg_name = name.as_mut_ptr().cast();
            msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        }
        // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
        msg.msg_iov = (b as *mut IoSliceMut<'_>).cast();
        msg.msg_iovlen = 1;
        h.write(libc::mmsghdr {
            msg_hdr: msg,
            msg_len: 0,
        });
    }
    // SAFETY: `n` headers are initialised and point at the caller's buffers, exclusively borrowed for
    // the call, and with `senders` at `names`, whose lengths bound what the kernel writes. A null
    // timeout means none.
    let got = retry(|| unsafe {
        libc::recvmmsg(
            fd.as_raw_fd(),
            hdrs.as_mut_ptr().cast(),
            n as libc::c_uint,
            libc::MSG_WAITFORONE,
            std::ptr::null_mut(),
        )
    })? as usize;
    for (len, h) in lens.iter_mut().zip(&hdrs).take(got) {
        // SAFETY: the first `got` headers were initialised above and filled in by the kernel.
        *len = unsafe { h.assume_init_ref() }.msg_len as usize;
    }
    Ok(got)
}

/// One `sendmsg(2)` of `payload` to `to` with `UDP_SEGMENT` = `segment`; returns the bytes sent.
///
/// # Errors
/// What `sendmsg(2)` reports.
pub fn send_gso(
    fd: BorrowedFd<'_>,
    to: &SocketAddr,
    payload: &[u8],
    segment: u16,
) -> io::Result<usize> {
    let addr = RawAddr::from_inet(to);
    let mut control = cmsg::CmsgBuf::<{ cmsg::space(2) }>::new();
    let mut enc = cmsg::Encoder::new(&mut control.0);
    enc.push_segment(segment)
        .ok_or_else(|| io::Error::other("control buffer"))?;
    let clen = enc.finish().len();
    super::msg::sendmsg(
        fd,
        &[io::IoSlice::new(payload)],
        Some(&addr),
        &control.0[..clen],
        0,
        None,
    )
}

/// One `recvmsg(2)` into `buf` on a socket with `UDP_GRO` on; returns the bytes and the GRO segment
/// size (the whole length when the kernel coalesced nothing). With `sender`, the kernel also writes
/// the sender's address (into storage this function owns and never reads), as for
/// [`recvmmsg`]'s `senders`.
///
/// # Errors
/// What `recvmsg(2)` reports.
pub fn recv_gro(fd: BorrowedFd<'_>, buf: &mut [u8], sender: bool) -> io::Result<(usize, usize)> {
    let mut control = cmsg::CmsgBuf::<{ cmsg::space(4) }>::new();
    let mut from = RawAddr::empty();
    let out = super::msg::recvmsg(
        fd,
        &mut [IoSliceMut::new(buf)],
        if sender { Some(&mut from) } else { None },
        &mut control.0,
        0,
        None,
    )?;
    let mut stride = out.ret;
    for c in cmsg::iter(&control.0[..out.control_len]) {
        if (c.level, c.kind) == (libc::SOL_UDP, super::consts::UDP_GRO) && c.data.len() >= 4 {
            stride = u32::from_ne_bytes([c.data[0], c.data[1], c.data[2], c.data[3]]) as usize;
        }
    }
    Ok((out.ret, stride))
}

/// Switches `UDP_GRO` on (for the raw receiver).
///
/// # Errors
/// What `setsockopt(2)` reports.
pub fn enable_gro(fd: BorrowedFd<'_>) -> io::Result<()> {
    super::sockopt::set_int(fd, libc::SOL_UDP, super::consts::UDP_GRO, 1)
}
