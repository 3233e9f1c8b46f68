//! `getsockopt(2)`/`setsockopt(2)` for the integer options socket2 does not wrap.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::retry;

/// Reads an `int` option.
pub(crate) fn get_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live `c_int` and `len` says exactly its size; the kernel writes at most that.
    retry(|| unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&raw mut value).cast(),
            &raw mut len,
        )
    })?;
    Ok(value)
}

/// Writes an `int` option.
pub(crate) fn set_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    let len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live `c_int` and `len` says exactly its size; the kernel only reads it.
    retry(|| unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, (&raw const value).cast(), len)
    })
    .map(drop)
}

/// `SO_PEERCRED`: the `(pid, uid, gid)` of the peer of a connected Unix socket, as of its `connect`
/// (or `socketpair`).
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> io::Result<(i32, u32, u32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is a live `ucred` and `len` says exactly its size; the kernel writes at most that.
    retry(|| unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &raw mut len,
        )
    })?;
    Ok((cred.pid, cred.uid, cred.gid))
}

/// Writes a plain-old-data option struct (`ip_mreqn`, `group_source_req`, ...).
pub(crate) fn set_struct<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a live `T` of exactly `len` bytes; the kernel only reads it. Callers pass
    // only libc's C structs whose layout the kernel defines; some (`group_req`, `group_source_req`)
    // have padding, which the kernel copies but never interprets.
    retry(|| unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), len)
    })
    .map(drop)
}

/// `if_nametoindex(3)`: the index of interface `name`.
///
/// # Errors
/// `NotFound` naming the interface when there is none of that name; `InvalidInput` for a name with a
/// NUL byte or longer than `IFNAMSIZ`.
pub(crate) fn if_nametoindex(name: &str) -> io::Result<u32> {
    if name.len() >= libc::IFNAMSIZ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "interface name {name:?} is longer than {} bytes",
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    let c = std::ffi::CString::new(name).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface name {name:?} has a NUL byte"),
        )
    })?;
    // SAFETY: `c` is a NUL-terminated string that lives across the call; the function only reads it.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no network interface named {name:?}"),
        ));
    }
    Ok(index)
}

/// A `sockaddr_storage` holding `addr` (for `group_req`/`group_source_req`).
pub(crate) fn storage(addr: &std::net::SocketAddr) -> libc::sockaddr_storage {
    // SAFETY: `sockaddr_storage` is plain old data: all-zero bytes are a valid value.
    let mut s: libc::sockaddr_storage = unsafe { mem::zeroed() };
    super::addr::RawAddr::with_inet(addr, |p, len| {
        // SAFETY: `p` points at `len` (16 or 28) written bytes, fewer than the storage holds.
        unsafe {
            std::ptr::copy_nonoverlapping(p.cast::<u8>(), (&raw mut s).cast::<u8>(), len as usize)
        }
    });
    s
}

/// Probes UDP GSO: whether the kernel knows `UDP_SEGMENT` (`getsockopt` answers).
pub(crate) fn gso_supported(fd: BorrowedFd<'_>) -> bool {
    get_int(fd, libc::SOL_UDP, super::consts::UDP_SEGMENT).is_ok()
}
