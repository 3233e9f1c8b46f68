//! What the cargo-fuzz targets (`fuzz/`) need from `sys` that takes `unsafe` to build: a control area
//! left as `recvmsg(2)` leaves it, and address storage the kernel filled with a length it chose.
//! Compiled only with `--cfg fuzzing` (cargo-fuzz sets it); the public face is `crate::fuzzing`.

use std::mem::{MaybeUninit, size_of};

use super::addr::{InetAddr, RawAddr};
use super::cmsg::{Filled, Iter};

/// Walks `area` as the kernel-filled receive path does ([`Filled`]): the bytes are copied into a
/// fresh allocation of exactly `shift + area.len()` bytes, `shift` (0 to 7) of them uninitialised
/// before the area so that its start need not be aligned, and [`Filled::iter`] walks the copy.
///
/// `f` gets the walk and the address of the area's first byte (to turn data pointers into offsets).
/// A read past the area's end leaves the allocation, where the address sanitizer sees it.
pub(crate) fn with_filled<R>(area: &[u8], shift: usize, f: impl FnOnce(Iter<'_>, usize) -> R) -> R {
    let shift = shift % 8;
    let mut copy: Vec<MaybeUninit<u8>> = Vec::with_capacity(shift + area.len());
    copy.resize(shift, MaybeUninit::uninit());
    copy.extend(area.iter().map(|&b| MaybeUninit::new(b)));
    let start = copy[shift..].as_ptr().cast::<u8>();
    // SAFETY: `start` points at `area.len()` bytes of `copy`, all written just above (the `shift`
    // bytes before them, never read, are the only uninitialised ones), and `copy` outlives the
    // walk, which `f` cannot keep: every message it yields borrows `copy` for this call only.
    let filled = unsafe { Filled::new(start, area.len()) };
    f(filled.iter(), start as usize)
}

/// The size of `sockaddr_storage`: what [`raw_addr`] takes at most.
pub(crate) const STORAGE_LEN: usize = size_of::<libc::sockaddr_storage>();
/// The size of `sockaddr_in6`: what [`inet_addr`] takes at most.
pub(crate) const INET_LEN: usize = size_of::<libc::sockaddr_in6>();

/// Fills `dst` as a kernel would have left it: the first `written` bytes from `image` (zero past its
/// end), the rest `fill` (standing for whatever was in the buffer before the call).
fn storage_image(dst: &mut [u8], image: &[u8], written: usize, fill: u8) {
    for (i, b) in dst.iter_mut().enumerate() {
        *b = if i < written {
            image.get(i).copied().unwrap_or(0)
        } else {
            fill
        };
    }
}

/// A [`RawAddr`] as `recvfrom(2)` or `getsockname(2)` could leave it: the kernel wrote
/// `min(len, 128)` bytes of `image` and reported `len`. With `clamp`, the length goes through
/// [`RawAddr::set_received_len`] as on every receive path; without, `len` is stored as it is (a
/// length that lies beyond the storage, which the decoders must still clamp).
pub(crate) fn raw_addr(image: &[u8], len: u32, clamp: bool, fill: u8) -> RawAddr {
    let mut bytes = [0u8; STORAGE_LEN];
    storage_image(&mut bytes, image, len as usize, fill);
    let mut a = RawAddr::empty();
    // SAFETY: the storage is a `sockaddr_storage` of `STORAGE_LEN` bytes and `bytes` is a separate
    // array of as many; the copy initialises all of it.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), a.as_mut_ptr().cast::<u8>(), STORAGE_LEN);
    }
    if clamp {
        a.set_received_len(len);
    } else {
        a.len = len;
    }
    a
}

/// An [`InetAddr`] (the batch path's 28-byte address) as `recvmmsg(2)` could leave it, as
/// [`raw_addr`] does for the 128-byte storage.
pub(crate) fn inet_addr(image: &[u8], len: u32, clamp: bool, fill: u8) -> InetAddr {
    let mut bytes = [0u8; INET_LEN];
    storage_image(&mut bytes, image, len as usize, fill);
    let mut a = InetAddr::EMPTY;
    // SAFETY: the storage is a `sockaddr_in6` of `INET_LEN` bytes and `bytes` is a separate array
    // of as many; the copy initialises all of it.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), a.as_mut_ptr().cast::<u8>(), INET_LEN);
    }
    if clamp {
        a.set_received_len(len);
    } else {
        a.len = len;
    }
    a
}
