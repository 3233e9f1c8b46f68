//! Control messages (ancillary data): encode for `sendmsg`, decode after `recvmsg`.
//!
//! Buffers are 8-byte aligned ([`CmsgBuf`]) and sized with the `const fn`s [`space`] and [`len`], which
//! compute what libc's `CMSG_SPACE`/`CMSG_LEN` do. The decoder never trusts a length: every header's
//! length is checked against what is left of the buffer, so a truncated or malformed control area
//! ends the iteration instead of reading out of bounds.

use std::mem::{align_of, size_of};
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The alignment of control-message headers and data on Linux (`sizeof(size_t)`).
const ALIGN: usize = size_of::<usize>();
/// The size of `struct cmsghdr`, padded to the alignment.
const HDR: usize = align(size_of::<libc::cmsghdr>());

/// Rounds `n` up to the control-message alignment (`CMSG_ALIGN`).
pub(crate) const fn align(n: usize) -> usize {
    (n + ALIGN - 1) & !(ALIGN - 1)
}

/// The buffer space one control message with `data_len` bytes of data takes (`CMSG_SPACE`).
pub(crate) const fn space(data_len: usize) -> usize {
    HDR + align(data_len)
}

/// The `cmsg_len` of one control message with `data_len` bytes of data (`CMSG_LEN`).
pub(crate) const fn len(data_len: usize) -> usize {
    HDR + data_len
}

/// The most descriptors one message may carry (`SCM_MAX_FD`).
pub(crate) const MAX_FDS: usize = 253;

/// The size of `struct ucred` in bytes.
pub(crate) const UCRED_LEN: usize = size_of::<libc::ucred>();

/// A control buffer of `N` bytes, aligned for `cmsghdr`.
#[repr(C, align(8))]
pub(crate) struct CmsgBuf<const N: usize>(pub(crate) [u8; N]);

const _: () = assert!(align_of::<CmsgBuf<8>>() >= align_of::<libc::cmsghdr>());

impl<const N: usize> CmsgBuf<N> {
    pub(crate) const fn new() -> Self {
        CmsgBuf([0; N])
    }
}

/// Writes control messages one after another into an aligned buffer.
pub(crate) struct Encoder<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Encoder<'a> {
    /// Starts at the beginning of `buf`, which must be 8-byte aligned (a [`CmsgBuf`]'s array).
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        debug_assert_eq!(buf.as_ptr() as usize % align_of::<libc::cmsghdr>(), 0);
        Encoder { buf, pos: 0 }
    }

    /// Appends one message; `None` when it does not fit (the caller sized the buffer, so this is a
    /// programming error it reports as `InvalidInput`).
    pub(crate) fn push(
        &mut self,
        level: libc::c_int,
        kind: libc::c_int,
        data: &[u8],
    ) -> Option<()> {
        let need = space(data.len());
        let end = self.pos.checked_add(need)?;
        if end > self.buf.len() {
            return None;
        }
        let hdr = libc::cmsghdr {
            cmsg_len: len(data.len()),
            cmsg_level: level,
            cmsg_type: kind,
        };
        let at = &mut self.buf[self.pos..end];
        at.fill(0);
        // SAFETY: `at` holds at least `space(data.len()) >= size_of::<cmsghdr>()` bytes; the write is
        // unaligned-safe, so the buffer's alignment does not matter for soundness.
        unsafe { at.as_mut_ptr().cast::<libc::cmsghdr>().write_unaligned(hdr) };
        at[HDR..HDR + data.len()].copy_from_slice(data);
        self.pos = end;
        Some(())
    }

    /// Appends `SCM_RIGHTS` carrying `fds`.
    pub(crate) fn push_fds(&mut self, fds: &[BorrowedFd<'_>]) -> Option<()> {
        let mut data = [0u8; MAX_FDS * size_of::<RawFd>()];
        let n = fds.len().min(MAX_FDS);
        for (chunk, fd) in data.chunks_exact_mut(size_of::<RawFd>()).zip(&fds[..n]) {
            chunk.copy_from_slice(&std::os::fd::AsRawFd::as_raw_fd(fd).to_ne_bytes());
        }
        self.push(
            libc::SOL_SOCKET,
            libc::SCM_RIGHTS,
            &data[..n * size_of::<RawFd>()],
        )
    }

    /// Appends `SCM_CREDENTIALS` carrying `(pid, uid, gid)`.
    pub(crate) fn push_cred(&mut self, pid: i32, uid: u32, gid: u32) -> Option<()> {
        let mut data = [0u8; UCRED_LEN];
        data[0..4].copy_from_slice(&pid.to_ne_bytes());
        data[4..8].copy_from_slice(&uid.to_ne_bytes());
        data[8..12].copy_from_slice(&gid.to_ne_bytes());
        self.push(libc::SOL_SOCKET, libc::SCM_CREDENTIALS, &data)
    }

    /// The bytes written so far: what `msg_controllen` should say.
    pub(crate) fn finish(self) -> &'a [u8] {
        &self.buf[..self.pos]
    }
}

/// One decoded control message: its level, type and data, borrowed from the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cmsg<'a> {
    pub(crate) level: libc::c_int,
    pub(crate) kind: libc::c_int,
    pub(crate) data: &'a [u8],
}

/// Iterates over the control messages in the first `filled` bytes the kernel wrote.
pub(crate) fn iter(buf: &[u8]) -> Iter<'_> {
    Iter { buf, pos: 0 }
}

/// The iterator of [`iter`]; it stops at the first header that does not fit what is left.
#[derive(Debug)]
pub(crate) struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Cmsg<'a>;

    fn next(&mut self) -> Option<Cmsg<'a>> {
        let rest = self.buf.get(self.pos..)?;
        if rest.len() < size_of::<libc::cmsghdr>() {
            return None;
        }
        // SAFETY: `rest` holds at least `size_of::<cmsghdr>()` bytes; the read is unaligned-safe.
        let hdr = unsafe { rest.as_ptr().cast::<libc::cmsghdr>().read_unaligned() };
        let total = hdr.cmsg_len;
        if total < HDR || total > rest.len() {
            // A header claiming more than is left: the area was truncated (MSG_CTRUNC) or is corrupt.
            self.pos = self.buf.len();
            return None;
        }
        let data = &rest[HDR..total];
        self.pos += align(total).min(rest.len());
        Some(Cmsg {
            level: hdr.cmsg_level,
            kind: hdr.cmsg_type,
            data,
        })
    }
}

/// Takes ownership of the descriptors in an `SCM_RIGHTS` message's data, handing each to `take`.
///
/// # Safety
/// `data` must be the data of an `SCM_RIGHTS` message that the kernel just wrote into our control
/// buffer in `recvmsg(2)`: each `int` in it is then a descriptor newly installed in this process that
/// nothing else owns.
pub(crate) unsafe fn take_fds(data: &[u8], mut take: impl FnMut(OwnedFd)) {
    for chunk in data.chunks_exact(size_of::<RawFd>()) {
        let mut raw = [0u8; size_of::<RawFd>()];
        raw.copy_from_slice(chunk);
        let fd = RawFd::from_ne_bytes(raw);
        if fd >= 0 {
            // SAFETY: by this function's contract the descriptor is newly installed and unowned, so
            // wrapping it in exactly one `OwnedFd` makes it closed exactly once.
            take(unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
}

/// Decodes `SCM_CREDENTIALS` data as `(pid, uid, gid)`; `None` if it is short.
pub(crate) fn cred(data: &[u8]) -> Option<(i32, u32, u32)> {
    let b = data.get(..UCRED_LEN)?;
    let word = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3]];
    Some((
        i32::from_ne_bytes(word(0)),
        u32::from_ne_bytes(word(4)),
        u32::from_ne_bytes(word(8)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_libc_macros() {
        for n in [0usize, 1, 4, 12, 16, 17, 253 * 4] {
            // SAFETY: CMSG_SPACE and CMSG_LEN are pure arithmetic.
            let (s, l) = unsafe {
                (
                    libc::CMSG_SPACE(n as u32) as usize,
                    libc::CMSG_LEN(n as u32) as usize,
                )
            };
            assert_eq!((space(n), len(n)), (s, l), "data length {n}");
        }
    }

    #[test]
    fn encoding_matches_libc_byte_for_byte() {
        // Build the same two messages with libc's macros over a msghdr, and with the encoder.
        let fds_data: Vec<u8> = [3i32, 4, 5].iter().flat_map(|f| f.to_ne_bytes()).collect();
        let cred_data: Vec<u8> = [7i32, 1000, 1001]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let mut want = CmsgBuf::<128>::new();
        let total = space(fds_data.len()) + space(cred_data.len());
        // SAFETY: the msghdr describes `want`, which is large enough for both messages; the CMSG_*
        // macros only compute pointers inside it, and we write within each message's data length.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_control = want.0.as_mut_ptr().cast();
            msg.msg_controllen = total;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(fds_data.len() as u32) as usize;
            std::ptr::copy_nonoverlapping(fds_data.as_ptr(), libc::CMSG_DATA(c), fds_data.len());
            let c = libc::CMSG_NXTHDR(&msg, c);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_CREDENTIALS;
            (*c).cmsg_len = libc::CMSG_LEN(cred_data.len() as u32) as usize;
            std::ptr::copy_nonoverlapping(cred_data.as_ptr(), libc::CMSG_DATA(c), cred_data.len());
        }
        let mut got = CmsgBuf::<128>::new();
        let mut e = Encoder::new(&mut got.0);
        e.push(libc::SOL_SOCKET, libc::SCM_RIGHTS, &fds_data)
            .unwrap();
        e.push_cred(7, 1000, 1001).unwrap();
        let out = e.finish();
        assert_eq!(out.len(), total);
        assert_eq!(out, &want.0[..total]);

        let all: Vec<Cmsg<'_>> = iter(out).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].level, all[0].kind, all[0].data),
            (libc::SOL_SOCKET, libc::SCM_RIGHTS, &fds_data[..])
        );
        assert_eq!(cred(all[1].data), Some((7, 1000, 1001)));
    }

    #[test]
    fn decoder_clamps_lying_lengths() {
        let mut b = CmsgBuf::<64>::new();
        let mut e = Encoder::new(&mut b.0);
        e.push(1, 2, &[9; 8]).unwrap();
        let n = e.finish().len();
        // a header that claims more than the buffer holds ends the iteration
        let mut bad = b.0;
        bad[..8].copy_from_slice(&10_000usize.to_ne_bytes());
        assert_eq!(iter(&bad[..n]).count(), 0);
        // a header shorter than itself, too
        bad[..8].copy_from_slice(&3usize.to_ne_bytes());
        assert_eq!(iter(&bad[..n]).count(), 0);
        // truncated buffers
        for cut in 0..n {
            assert!(iter(&b.0[..cut]).all(|c| c.data.len() <= cut));
        }
        assert_eq!(cred(&[0; 11]), None);
        // a full buffer refuses one more message
        let mut small = CmsgBuf::<16>::new();
        assert!(Encoder::new(&mut small.0).push(1, 2, &[1]).is_none());
    }
}
