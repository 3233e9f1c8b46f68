//! The kernel's limit, as the benchmarks measure it: the plainest syscall loops for batches and
//! GSO/GRO, with no checks, no metadata and no decoding beyond what the workload needs. datagrams'
//! calls are compared with these; they are not datagrams' code and share none of it.
//!
//! The only module of this crate with `unsafe`. Every call retries `EINTR` and nothing else. The
//! syscalls and their flags are those of the loops that lived in datagrams' `sys::baseline` before
//! they moved here, so ratios stay comparable with earlier runs.
#![allow(unsafe_code)]

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{self, MaybeUninit};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;

use datagrams::MAX_BATCH;
use nix::sys::socket::{setsockopt, sockopt};
use socket2::SockAddr;

/// Runs a syscall that returns `-1` on error, again while it fails with `EINTR`.
fn retry<T: Copy + PartialEq + From<i8>>(mut call: impl FnMut() -> T) -> io::Result<T> {
    loop {
        match call() {
            r if r != T::from(-1) => return Ok(r),
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
}

/// A control area of `N` bytes aligned for `cmsghdr`, as `CMSG_FIRSTHDR` requires.
#[repr(C, align(8))]
struct Control<const N: usize>([u8; N]);

const _: () = assert!(mem::align_of::<Control<8>>() >= mem::align_of::<libc::cmsghdr>());

/// The room of one control message holding a `u16` (`UDP_SEGMENT`) or an `int` (`UDP_GRO`).
// SAFETY: `CMSG_SPACE` is arithmetic on its argument; it reads no memory.
const ONE_INT_SPACE: usize = unsafe { libc::CMSG_SPACE(4) } as usize;
/// The `cmsg_len` of a control message holding a `u16` (`UDP_SEGMENT`).
// SAFETY: as for `ONE_INT_SPACE`.
const U16_LEN: usize = unsafe { libc::CMSG_LEN(2) } as usize;
/// The `cmsg_len` of a control message holding an `int` (`UDP_GRO`).
// SAFETY: as for `ONE_INT_SPACE`.
const INT_LEN: usize = unsafe { libc::CMSG_LEN(4) } as usize;

/// A zeroed `msghdr` with `name` (`namelen` bytes, or null) and one buffer, as the header of a
/// message of `sendmmsg`/`recvmmsg` (`msg_len` 0); `sendmsg`/`recvmsg` take its `msg_hdr`.
fn header(
    name: *mut libc::c_void,
    namelen: libc::socklen_t,
    iov: *mut libc::iovec,
) -> libc::mmsghdr {
    // SAFETY: `msghdr` is plain old data: all-zero bytes are a valid value (null pointers, no lengths).
    let mut msg_hdr: libc::msghdr = unsafe { mem::zeroed() };
    msg_hdr.msg_name = name;
    msg_hdr.msg_namelen = namelen;
    msg_hdr.msg_iov = iov;
    msg_hdr.msg_iovlen = 1;
    libc::mmsghdr {
        msg_hdr,
        msg_len: 0,
    }
}

/// The name of a message to `addr`, or none (null, 0) without one.
fn name_of(addr: Option<&SockAddr>) -> (*mut libc::c_void, libc::socklen_t) {
    match addr {
        Some(a) => (a.as_ptr().cast_mut().cast(), a.len()),
        None => (ptr::null_mut(), 0),
    }
}

/// `sendmmsg(2)` of `count` (at most [`MAX_BATCH`]) copies of `payload` to `to` (`None`: no
/// address, to a connected socket's peer); returns how many were sent.
///
/// # Errors
/// What `sendmmsg(2)` reports.
pub fn sendmmsg(
    fd: BorrowedFd<'_>,
    to: Option<&SocketAddr>,
    payload: &[u8],
    count: usize,
) -> io::Result<usize> {
    let n = count.min(MAX_BATCH);
    let addr = to.map(|to| SockAddr::from(*to));
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr().cast_mut().cast(),
        iov_len: payload.len(),
    };
    let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; MAX_BATCH];
    let (name, namelen) = name_of(addr.as_ref());
    for h in hdrs.iter_mut().take(n) {
        h.write(header(name, namelen, &raw mut iov));
    }
    let (raw, msgs, len) = (fd.as_raw_fd(), hdrs.as_mut_ptr().cast(), n as libc::c_uint);
    // SAFETY: the first `n` headers are initialised and point at `addr`, `iov` and `payload`, which
    // outlive the call; the kernel only reads through them.
    let sent = retry(|| unsafe { libc::sendmmsg(raw, msgs, len, 0) })?;
    Ok(sent as usize)
}

/// `recvmmsg(2)` with `MSG_WAITFORONE` into `bufs` (at most [`MAX_BATCH`]); writes each length into
/// `lens` and returns how many arrived. With `senders`, the kernel also writes each sender's address
/// (into storage this function owns and never reads): the work any receiver that reports senders
/// asks of the kernel, as `recv_batch` does. Without, lengths only: the least a `recvmmsg` can do.
///
/// # Errors
/// What `recvmmsg(2)` reports.
pub fn recvmmsg(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    lens: &mut [usize],
    senders: bool,
) -> io::Result<usize> {
    let n = bufs.len().min(lens.len()).min(MAX_BATCH);
    let mut names = [const { MaybeUninit::<libc::sockaddr_in6>::uninit() }; MAX_BATCH];
    let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; MAX_BATCH];
    for ((h, b), name) in hdrs.iter_mut().zip(bufs.iter_mut()).zip(&mut names).take(n) {
        let (name, namelen) = if senders {
            let len = mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            (name.as_mut_ptr().cast(), len)
        } else {
            (ptr::null_mut(), 0)
        };
        // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
        h.write(header(name, namelen, (b as *mut IoSliceMut<'_>).cast()));
    }
    let (raw, msgs, len) = (fd.as_raw_fd(), hdrs.as_mut_ptr().cast(), n as libc::c_uint);
    let wait = libc::MSG_WAITFORONE;
    // SAFETY: the first `n` headers are initialised and point at the caller's buffers, borrowed
    // exclusively for the call, and with `senders` at `names`, whose lengths bound what the kernel
    // writes. A null timeout means none.
    let got = retry(|| unsafe { libc::recvmmsg(raw, msgs, len, wait, ptr::null_mut()) })? as usize;
    for (len, h) in lens.iter_mut().zip(&hdrs).take(got) {
        // SAFETY: the first `got` headers were initialised above (and filled in by the kernel).
        *len = unsafe { h.assume_init_ref() }.msg_len as usize;
    }
    Ok(got)
}

/// One `sendmsg(2)` of `payload` to `to` (`None`: to a connected socket's peer) with `UDP_SEGMENT` =
/// `segment`; returns the bytes sent.
///
/// # Errors
/// What `sendmsg(2)` reports.
pub fn send_gso(
    fd: BorrowedFd<'_>,
    to: Option<&SocketAddr>,
    payload: &[u8],
    segment: u16,
) -> io::Result<usize> {
    let addr = to.map(|to| SockAddr::from(*to));
    let mut iov = [IoSlice::new(payload)];
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads through it.
    let (name, namelen) = name_of(addr.as_ref());
    let mut msg = header(name, namelen, iov.as_mut_ptr().cast()).msg_hdr;
    let mut control = Control([0u8; ONE_INT_SPACE]);
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = ONE_INT_SPACE;
    // SAFETY: `msg_control` points at `ONE_INT_SPACE` aligned, zeroed bytes, room for one header and
    // its data: `CMSG_FIRSTHDR` returns their start (not null) and `CMSG_DATA` points inside them.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&raw const msg);
        (*c).cmsg_level = libc::SOL_UDP;
        (*c).cmsg_type = libc::UDP_SEGMENT;
        (*c).cmsg_len = U16_LEN;
        libc::CMSG_DATA(c).cast::<u16>().write_unaligned(segment);
    }
    let sent = retry(|| {
        // SAFETY: every pointer in `msg` refers to `addr`, `iov` (over `payload`) or `control`, all
        // alive for the call with the lengths given; the kernel only reads through them.
        unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, libc::MSG_NOSIGNAL) }
    })?;
    Ok(sent as usize)
}

/// One `recvmsg(2)` into `buf` on a socket with `UDP_GRO` on; returns the bytes and the GRO segment
/// size (the whole length when the kernel coalesced nothing). With `sender`, the kernel also writes
/// the sender's address (into storage this function owns and never reads), as for [`recvmmsg`]'s
/// `senders`.
///
/// # Errors
/// What `recvmsg(2)` reports.
pub fn recv_gro(fd: BorrowedFd<'_>, buf: &mut [u8], sender: bool) -> io::Result<(usize, usize)> {
    let mut from = MaybeUninit::<libc::sockaddr_storage>::uninit();
    let (name, namelen) = if sender {
        let len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        (from.as_mut_ptr().cast(), len)
    } else {
        (ptr::null_mut(), 0)
    };
    let mut iov = [IoSliceMut::new(buf)];
    // `IoSliceMut` is guaranteed ABI-compatible with `iovec` on Unix.
    let mut msg = header(name, namelen, iov.as_mut_ptr().cast()).msg_hdr;
    let mut control = Control([0u8; ONE_INT_SPACE]);
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = ONE_INT_SPACE;
    let got = retry(|| {
        // SAFETY: every pointer in `msg` refers to memory borrowed exclusively for the call (`from`,
        // `buf` through `iov`, `control`) with its capacity as the length; the kernel writes at most
        // that much through each.
        unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, libc::MSG_CMSG_CLOEXEC) }
    })? as usize;
    Ok((got, gro_stride(&msg).unwrap_or(got)))
}

/// The `UDP_GRO` segment size among the control messages `recvmsg(2)` left in `msg`, if any.
fn gro_stride(msg: &libc::msghdr) -> Option<usize> {
    // SAFETY: `msg` is the header of a completed `recvmsg`: its control area is `msg_controllen`
    // bytes (the kernel's count, within the capacity offered) that the kernel filled with whole
    // messages, which `CMSG_FIRSTHDR`/`CMSG_NXTHDR` walk without leaving them (null at the end).
    let mut c = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !c.is_null() {
        // SAFETY: `c` is a header inside the area (see above), aligned by the kernel's layout.
        let hdr = unsafe { &*c };
        if (hdr.cmsg_level, hdr.cmsg_type) == (libc::SOL_UDP, libc::UDP_GRO)
            && hdr.cmsg_len >= INT_LEN
        {
            // SAFETY: the message holds at least an `int` of data after its header.
            let stride = unsafe { libc::CMSG_DATA(c).cast::<libc::c_int>().read_unaligned() };
            return usize::try_from(stride).ok();
        }
        // SAFETY: as for `CMSG_FIRSTHDR`: the next header within the area, or null.
        c = unsafe { libc::CMSG_NXTHDR(msg, c) };
    }
    None
}

/// Switches `UDP_GRO` on (for the raw receiver).
///
/// # Errors
/// What `setsockopt(2)` reports.
pub fn enable_gro(fd: BorrowedFd<'_>) -> io::Result<()> {
    setsockopt(&fd, sockopt::UdpGroSegment, &true).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::os::fd::AsFd;
    use std::time::Duration;

    fn pair() -> (UdpSocket, UdpSocket, SocketAddr) {
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let to = rx.local_addr().unwrap();
        (tx, rx, to)
    }

    #[test]
    fn a_batch_arrives_whole_with_or_without_senders() {
        for senders in [false, true] {
            let (tx, rx, to) = pair();
            assert_eq!(
                sendmmsg(tx.as_fd(), Some(&to), b"0123456789", 40).unwrap(),
                MAX_BATCH
            );
            let mut storage = vec![[0u8; 64]; MAX_BATCH];
            let mut lens = [0usize; MAX_BATCH];
            let mut got = 0;
            while got < MAX_BATCH {
                let mut bufs: Vec<_> = storage[got..]
                    .iter_mut()
                    .map(|b| IoSliceMut::new(b))
                    .collect();
                got += recvmmsg(rx.as_fd(), &mut bufs, &mut lens[got..], senders).unwrap();
            }
            assert_eq!(lens, [10; MAX_BATCH]);
            assert!(storage.iter().all(|b| &b[..10] == b"0123456789"));
        }
    }

    #[test]
    fn a_gso_send_arrives_as_gro_segments() {
        for sender in [false, true] {
            let (tx, rx, to) = pair();
            enable_gro(rx.as_fd()).unwrap();
            let payload: Vec<u8> = (0..10 * 100).map(|i| (i / 100) as u8).collect();
            assert_eq!(
                send_gso(tx.as_fd(), Some(&to), &payload, 100).unwrap(),
                payload.len()
            );
            let mut buf = vec![0u8; 65_536];
            let mut got = Vec::new();
            while got.len() < payload.len() {
                let (n, stride) = recv_gro(rx.as_fd(), &mut buf, sender).unwrap();
                // coalesced or not, every segment is 100 bytes
                assert_eq!((n % 100, stride), (0, 100));
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, payload);
        }
    }
}
