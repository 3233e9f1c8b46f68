//! Batches: `sendmmsg(2)` and `recvmmsg(2)`, up to [`MAX_BATCH`] messages a call, on the stack.

use std::io::{self, IoSliceMut};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::addr::InetAddr;
use super::msg::MsgOut;
use super::{Deadline, cmsg, retry_io};

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
    /// Entry `i < len` of a message with an address (`msg_namelen` non-zero) indexes an initialised
    /// address: it is below `addr_count`.
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

    /// Appends a message of `buf` to `to` (`None`: no address, for the connected peer), or, with
    /// `same_destination`, to the previous message's destination without encoding it again (`to`
    /// is then not read; on the first message it is).
    /// With `encode`, its control messages, written by the closure into a zeroed area (it returns how
    /// much it filled). False when the batch is full.
    #[inline]
    pub(crate) fn push(
        &mut self,
        buf: &'a [u8],
        to: Option<&std::net::SocketAddr>,
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
        let name_len = match to {
            // No address: `msg_namelen` 0 tells `sendmmsg` to leave `msg_name` null.
            None => 0,
            Some(to) => {
                if !same_destination || self.addr_count == 0 {
                    // At most one address per message, so `addr_count <= i < MAX_BATCH`.
                    self.addrs[self.addr_count].write(InetAddr::new(to));
                    self.addr_count += 1;
                }
                let a = self.addr_count - 1;
                // `a < MAX_BATCH = 32` fits a byte.
                self.dest[i] = a as u8;
                // SAFETY: entry `a < addr_count` was initialised above or by an earlier push.
                unsafe { self.addrs[a].assume_init_ref() }.len
            }
        };
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
    deadline: Deadline,
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
        if h.msg_hdr.msg_namelen != 0 {
            let a = usize::from(batch.dest[i]) & (MAX_BATCH - 1);
            h.msg_hdr.msg_name = addrs.wrapping_add(a).cast_mut().cast();
        }
        h.msg_hdr.msg_iov = iov.wrapping_add(i).cast_mut().cast();
        if h.msg_hdr.msg_controllen != 0 {
            h.msg_hdr.msg_control = controls.wrapping_add(i).cast_mut().cast();
        }
    }
    retry_io(fd, libc::POLLOUT, deadline, |extra| {
        // SAFETY: the first `n` headers are initialised by `push`/`push_same` and point (above) at
        // the batch's own iovecs, the buffers those borrow, where `msg_namelen` is non-zero its
        // initialised addresses (an `InetAddr` starts with its `sockaddr`) of that many bytes (else
        // a null name), and where `msg_controllen` is non-zero its initialised control areas of at
        // least that many bytes. All of it lives for this call; the kernel only reads through the
        // pointers (it writes `msg_len`, inside `hdrs`).
        unsafe {
            libc::sendmmsg(
                fd.as_raw_fd(),
                batch.hdrs.as_mut_ptr().cast(),
                n as libc::c_uint,
                flags | extra | libc::MSG_NOSIGNAL,
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
    deadline: Deadline,
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
    let got = retry_io(fd, libc::POLLIN, deadline, |extra| {
        // SAFETY: the first `n` headers are initialised above; every pointer in them refers to memory
        // exclusively borrowed for this call with the matching capacity, which bounds what the kernel
        // writes. A null timeout means none.
        unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                hdrs.as_mut_ptr().cast(),
                n as libc::c_uint,
                flags | extra | libc::MSG_CMSG_CLOEXEC,
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
        assert!(batch.push(&a, Some(&to), false, Some(&mut encode)).unwrap());
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
                None,
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
}
