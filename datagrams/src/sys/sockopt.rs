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

/// Reads a 64-bit option (`SO_MAX_PACING_RATE`, which the kernel gives as a `u64` when asked for
/// that much room).
pub(crate) fn get_u64(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<u64> {
    let mut value: u64 = 0;
    let mut len = mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: `value` is a live `u64` and `len` says exactly its size; the kernel writes at most that.
    retry(|| unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&raw mut value).cast(),
            &raw mut len,
        )
    })?;
    if len as usize != mem::size_of::<u64>() {
        // A kernel whose `unsigned long` has 32 bits answers with an `unsigned int`, in which
        // "unlimited" is `u32::MAX`.
        let v = u32::from_ne_bytes(get_int(fd, level, name)?.to_ne_bytes());
        return Ok(if v == u32::MAX {
            u64::MAX
        } else {
            u64::from(v)
        });
    }
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
    // only libc's C structs without padding (`ip_mreqn`, `ip_mreq_source`); those with padding go
    // through `set_group_req`/`set_group_source_req`, which zero it.
    retry(|| unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), len)
    })
    .map(drop)
}

/// `setsockopt` of a classic BPF program (`struct sock_fprog`: `SO_ATTACH_FILTER`,
/// `SO_ATTACH_REUSEPORT_CBPF`) at level `SOL_SOCKET`. The kernel copies the instructions during
/// the call.
///
/// # Errors
/// `EINVAL` (as the kernel's) for more instructions than a `sock_fprog` counts (`u16`); otherwise
/// what `setsockopt(2)` reports.
pub(crate) fn set_bpf_program(
    fd: BorrowedFd<'_>,
    name: libc::c_int,
    program: &[libc::sock_filter],
) -> io::Result<()> {
    let len =
        u16::try_from(program.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // Built zeroed, so that the padding after `len` reaches the kernel initialised (as
    // `set_group_req` does).
    let mut f = mem::MaybeUninit::<libc::sock_fprog>::zeroed();
    let p = f.as_mut_ptr();
    // SAFETY: `p` points at a zeroed `sock_fprog` we own; we write its fields through raw places.
    // The kernel only reads the instructions (`copy_bpf_fprog_from_user`), which `program` keeps
    // alive across the call; the field is `*mut` in C's declaration alone.
    unsafe {
        (&raw mut (*p).len).write(len);
        (&raw mut (*p).filter).write(program.as_ptr().cast_mut());
    }
    let size = mem::size_of::<libc::sock_fprog>();
    set_bytes(fd, libc::SOL_SOCKET, name, p.cast_const().cast(), size)
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

/// `if_indextoname(3)`: the name of the interface of index `index`, as the kernel's bytes.
///
/// # Errors
/// `NotFound` naming the index when no interface has it (`ENXIO`, `ENODEV`); any other failure of
/// the call (`EMFILE` for its socket, say) as the OS reports it.
pub(crate) fn if_indextoname(index: u32) -> io::Result<Vec<u8>> {
    let mut buf = [0 as libc::c_char; libc::IFNAMSIZ];
    // SAFETY: `buf` is IFNAMSIZ bytes, the room if_indextoname(3) requires; it writes a
    // NUL-terminated name there or returns null.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        let e = io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::ENXIO | libc::ENODEV) => io::Error::new(
                io::ErrorKind::NotFound,
                format!("no network interface of index {index} ({e})"),
            ),
            _ => e,
        });
    }
    // SAFETY: on success `buf` holds a NUL-terminated string within its IFNAMSIZ bytes.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Ok(name.to_bytes().to_vec())
}

/// Writes `addr` (an IP socket address) into the `sockaddr_storage` at `dst`, whose bytes are
/// already zeroed.
///
/// # Safety
/// `dst` must be valid for writing a `sockaddr_storage`.
unsafe fn write_storage(dst: *mut libc::sockaddr_storage, addr: &std::net::SocketAddr) {
    super::addr::RawAddr::with_inet(addr, |p, len| {
        // SAFETY: `p` points at `len` (16 or 28) written bytes, fewer than a `sockaddr_storage`
        // holds; `dst` is valid for writing one (this function's contract).
        unsafe { std::ptr::copy_nonoverlapping(p.cast::<u8>(), dst.cast::<u8>(), len as usize) }
    });
}

/// `setsockopt` of a `struct group_req` (RFC 3678: `MCAST_JOIN_GROUP`, `MCAST_LEAVE_GROUP`) for
/// `group` on interface `index`. Every byte, padding included, is written (zero where no field is),
/// so that no uninitialised byte reaches the kernel (valgrind checks them all).
pub(crate) fn set_group_req(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    index: u32,
    group: &std::net::SocketAddr,
) -> io::Result<()> {
    let mut r = mem::MaybeUninit::<libc::group_req>::zeroed();
    let p = r.as_mut_ptr();
    // SAFETY: `p` points at a zeroed `group_req` we own; we write its fields through raw places.
    unsafe {
        (&raw mut (*p).gr_interface).write(index);
        write_storage(&raw mut (*p).gr_group, group);
    }
    set_bytes(
        fd,
        level,
        name,
        p.cast_const().cast(),
        mem::size_of::<libc::group_req>(),
    )
}

/// `setsockopt` of a `struct group_source_req` (RFC 3678: `MCAST_JOIN_SOURCE_GROUP` and the other
/// source options) for `group` and `source` on interface `index`, every byte written as
/// [`set_group_req`] does.
pub(crate) fn set_group_source_req(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    index: u32,
    group: &std::net::SocketAddr,
    source: &std::net::SocketAddr,
) -> io::Result<()> {
    let mut r = mem::MaybeUninit::<libc::group_source_req>::zeroed();
    let p = r.as_mut_ptr();
    // SAFETY: `p` points at a zeroed `group_source_req` we own; we write its fields through raw
    // places.
    unsafe {
        (&raw mut (*p).gsr_interface).write(index);
        write_storage(&raw mut (*p).gsr_group, group);
        write_storage(&raw mut (*p).gsr_source, source);
    }
    let len = mem::size_of::<libc::group_source_req>();
    set_bytes(fd, level, name, p.cast_const().cast(), len)
}

/// `setsockopt` of the `len` initialised bytes at `value`.
fn set_bytes(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: *const libc::c_void,
    len: usize,
) -> io::Result<()> {
    // SAFETY: callers pass `len` bytes at `value`, all written, that live across the call; the
    // kernel only reads them.
    retry(|| unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, value, len as libc::socklen_t)
    })
    .map(drop)
}

/// Probes UDP GSO: whether the kernel knows `UDP_SEGMENT` (`getsockopt` answers).
pub(crate) fn gso_supported(fd: BorrowedFd<'_>) -> bool {
    get_int(fd, libc::SOL_UDP, super::consts::UDP_SEGMENT).is_ok()
}
