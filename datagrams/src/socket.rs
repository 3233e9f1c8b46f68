//! What every dgram socket type has in common, written once: socket-level options, queue sizes,
//! blocking mode, timeouts, closing, and the descriptor traits. Each type holds its `socket2::Socket` in
//! a field named `inner` and invokes the two macros below.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::invalid_input;
use crate::sys::Deadline;

/// The timeouts of a socket's blocking calls (`SO_RCVTIMEO`, `SO_SNDTIMEO`) as set through dgram or
/// read at adoption, kept beside the kernel's copy so that a call knows its deadline without a
/// syscall: a signal that interrupts the call then costs only the time left, not a new timeout.
#[derive(Debug, Default)]
pub(crate) struct Timeouts {
    /// Nanoseconds, 0 for none.
    read: AtomicU64,
    write: AtomicU64,
}

impl Timeouts {
    /// The timeouts the kernel has for `fd` (a socket being adopted).
    pub(crate) fn of(fd: std::os::fd::BorrowedFd<'_>) -> Timeouts {
        let sock = socket2::SockRef::from(&fd);
        let t = Timeouts::default();
        t.set_read(sock.read_timeout().ok().flatten());
        t.set_write(sock.write_timeout().ok().flatten());
        t
    }

    pub(crate) fn set_read(&self, t: Option<Duration>) {
        self.read.store(nanos(t), Ordering::Relaxed);
    }

    pub(crate) fn set_write(&self, t: Option<Duration>) {
        self.write.store(nanos(t), Ordering::Relaxed);
    }

    /// The deadline of a receive starting now with kernel flags `flags`.
    #[inline]
    pub(crate) fn read_deadline(&self, flags: libc::c_int) -> Deadline {
        deadline(&self.read, flags)
    }

    /// The deadline of a send starting now with kernel flags `flags`.
    #[inline]
    pub(crate) fn write_deadline(&self, flags: libc::c_int) -> Deadline {
        deadline(&self.write, flags)
    }
}

fn nanos(t: Option<Duration>) -> u64 {
    t.map_or(0, |d| {
        u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
    })
}

/// None for a call that does not wait (`MSG_DONTWAIT`) or without a timeout: the common case reads
/// one atomic and no clock.
#[inline]
fn deadline(ns: &AtomicU64, flags: libc::c_int) -> Deadline {
    if flags & libc::MSG_DONTWAIT != 0 {
        return None;
    }
    match ns.load(Ordering::Relaxed) {
        0 => None,
        ns => Instant::now().checked_add(Duration::from_nanos(ns)),
    }
}

/// Expands to an `impl` block with the `SOL_SOCKET` options and calls shared by every socket type.
macro_rules! common_socket_methods {
    ($ty:ident, $pair_doc:literal) => {
        /// Socket-level calls and options (`SOL_SOCKET`, `ioctl`, `fcntl`), the same on every socket type.
        impl $ty {
            /// Switches non-blocking mode (`O_NONBLOCK`): when on, blocking calls return `WouldBlock`
            /// instead of waiting. The `try_*` calls never block whatever the mode.
            ///
            /// # Errors
            /// What `fcntl(2)` reports.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// sock.set_nonblocking(true)?;
            /// let e = sock.recv(&mut [0u8; 16]).unwrap_err(); // nothing queued
            /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "O_NONBLOCK")]
            pub fn set_nonblocking(&self, on: bool) -> ::std::io::Result<()> {
                self.inner.set_nonblocking(on)
            }

            /// Bounds how long a blocking receive waits (`SO_RCVTIMEO`); `None` waits forever.
            ///
            /// A receive that times out fails with `WouldBlock` (the kernel's `EAGAIN`, OS code intact),
            /// as std's does on Linux. The timeout is a deadline: a receive returns within it even
            /// while signals keep interrupting it (after a signal it waits only for the time left,
            /// where the kernel would start its timeout again). dgram knows the timeout set here or
            /// found on the socket when it was adopted; one set on the descriptor by other means
            /// later is the kernel's alone, restarted after each signal. The kernel counts in scheduler ticks,
            /// so the value reads back rounded to a whole tick; a timeout below 1 µs is raised to
            /// 1 µs.
            ///
            /// # Errors
            /// `InvalidInput` for a zero duration.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// use std::time::Duration;
            /// sock.set_read_timeout(Some(Duration::from_millis(20)))?;
            /// assert!(sock.read_timeout()?.is_some());
            /// let e = sock.recv(&mut [0u8; 16]).unwrap_err(); // nothing came within 20 ms
            /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
            /// peer.send(b"late")?;
            /// assert_eq!(sock.recv(&mut [0u8; 16])?, 4);
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_RCVTIMEO")]
            pub fn set_read_timeout(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> ::std::io::Result<()> {
                let timeout = $crate::error::check_timeout(timeout)?;
                self.inner.set_read_timeout(timeout)?;
                self.timeouts().set_read(timeout);
                Ok(())
            }

            /// The receive timeout (`SO_RCVTIMEO`); `None` when receives wait forever.
            ///
            /// [`set_read_timeout`](Self::set_read_timeout) has an example.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports.
            #[doc(alias = "SO_RCVTIMEO")]
            pub fn read_timeout(&self) -> ::std::io::Result<Option<::std::time::Duration>> {
                self.inner.read_timeout()
            }

            /// Bounds how long a blocking send waits for buffer space (`SO_SNDTIMEO`); `None` waits
            /// forever. A send that times out fails with `WouldBlock` (`EAGAIN`). As for
            /// [`set_read_timeout`](Self::set_read_timeout), the timeout is a deadline, signals or not.
            ///
            /// # Errors
            /// `InvalidInput` for a zero duration.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// use std::time::Duration;
            /// sock.set_write_timeout(Some(Duration::from_millis(50)))?;
            /// assert!(sock.write_timeout()?.is_some());
            /// sock.set_write_timeout(None)?; // sends wait for buffer space again
            /// assert_eq!(sock.write_timeout()?, None);
            /// let e = sock.set_write_timeout(Some(Duration::ZERO)).unwrap_err();
            /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
            /// # let _ = peer;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_SNDTIMEO")]
            pub fn set_write_timeout(
                &self,
                timeout: Option<::std::time::Duration>,
            ) -> ::std::io::Result<()> {
                let timeout = $crate::error::check_timeout(timeout)?;
                self.inner.set_write_timeout(timeout)?;
                self.timeouts().set_write(timeout);
                Ok(())
            }

            /// The send timeout (`SO_SNDTIMEO`).
            ///
            /// [`set_write_timeout`](Self::set_write_timeout) has an example.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports.
            #[doc(alias = "SO_SNDTIMEO")]
            pub fn write_timeout(&self) -> ::std::io::Result<Option<::std::time::Duration>> {
                self.inner.write_timeout()
            }

            /// Sets the receive buffer size in bytes (`SO_RCVBUF`; Node's `setRecvBufferSize`, Racket's
            /// `udp-set-receive-buffer-size!`).
            ///
            /// The kernel doubles the value for its bookkeeping, so
            /// [`recv_buffer_size`](Self::recv_buffer_size) then reads twice `bytes` (and at least the
            /// kernel's minimum).
            ///
            /// # Errors
            /// `InvalidInput` when `bytes` exceeds the system maximum (`net.core.rmem_max`), with the
            /// maximum in the message: the kernel would silently clamp it, and dgram restores the
            /// previous size instead. Root may go beyond with
            /// [`set_recv_buffer_size_force`](Self::set_recv_buffer_size_force).
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// sock.set_recv_buffer_size(64 * 1024)?;
            /// assert_eq!(sock.recv_buffer_size()?, 2 * 64 * 1024); // the kernel doubles it
            /// let e = sock.set_recv_buffer_size(1 << 30).unwrap_err(); // above net.core.rmem_max
            /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_RCVBUF")]
            pub fn set_recv_buffer_size(&self, bytes: usize) -> ::std::io::Result<()> {
                $crate::socket::set_checked_buffer(
                    $crate::socket::Buffer::Recv,
                    bytes,
                    || self.inner.recv_buffer_size(),
                    |n| self.inner.set_recv_buffer_size(n),
                )
            }

            /// The receive buffer size in bytes as the kernel reports it (`SO_RCVBUF`): twice what was
            /// set.
            ///
            /// [`set_recv_buffer_size`](Self::set_recv_buffer_size) has an example.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports.
            #[doc(alias = "SO_RCVBUF")]
            pub fn recv_buffer_size(&self) -> ::std::io::Result<usize> {
                self.inner.recv_buffer_size()
            }

            /// Sets the receive buffer size in bytes beyond `net.core.rmem_max` (`SO_RCVBUFFORCE`).
            ///
            /// # Errors
            /// `PermissionDenied` without `CAP_NET_ADMIN`; `InvalidInput` above `i32::MAX / 2`.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// match sock.set_recv_buffer_size_force(1 << 22) {
            ///     // With CAP_NET_ADMIN: 4 MiB whatever net.core.rmem_max says, doubled by the kernel.
            ///     Ok(()) => assert_eq!(sock.recv_buffer_size()?, 2 << 22),
            ///     Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied),
            /// }
            /// # let _ = peer;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_RCVBUFFORCE")]
            pub fn set_recv_buffer_size_force(&self, bytes: usize) -> ::std::io::Result<()> {
                let n = $crate::socket::buffer_arg($crate::socket::Buffer::Recv, bytes)?;
                $crate::sys::sockopt::set_int(
                    ::std::os::fd::AsFd::as_fd(&self.inner),
                    ::libc::SOL_SOCKET,
                    ::libc::SO_RCVBUFFORCE,
                    n,
                )
            }

            /// Sets the send buffer size in bytes (`SO_SNDBUF`; Node's `setSendBufferSize`). The kernel
            /// doubles the value, as for [`set_recv_buffer_size`](Self::set_recv_buffer_size).
            ///
            /// # Errors
            /// `InvalidInput` when `bytes` exceeds `net.core.wmem_max`, naming it (the previous size
            /// stays).
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// sock.set_send_buffer_size(64 * 1024)?;
            /// assert_eq!(sock.send_buffer_size()?, 2 * 64 * 1024);
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_SNDBUF")]
            pub fn set_send_buffer_size(&self, bytes: usize) -> ::std::io::Result<()> {
                $crate::socket::set_checked_buffer(
                    $crate::socket::Buffer::Send,
                    bytes,
                    || self.inner.send_buffer_size(),
                    |n| self.inner.set_send_buffer_size(n),
                )
            }

            /// The send buffer size in bytes as the kernel reports it (`SO_SNDBUF`): twice what was set.
            ///
            /// [`set_send_buffer_size`](Self::set_send_buffer_size) has an example.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports.
            #[doc(alias = "SO_SNDBUF")]
            pub fn send_buffer_size(&self) -> ::std::io::Result<usize> {
                self.inner.send_buffer_size()
            }

            /// Sets the send buffer size in bytes beyond `net.core.wmem_max` (`SO_SNDBUFFORCE`).
            ///
            /// # Errors
            /// `PermissionDenied` without `CAP_NET_ADMIN`; `InvalidInput` above `i32::MAX / 2`.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// match sock.set_send_buffer_size_force(1 << 22) {
            ///     Ok(()) => assert_eq!(sock.send_buffer_size()?, 2 << 22), // with CAP_NET_ADMIN
            ///     Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied),
            /// }
            /// # let _ = peer;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_SNDBUFFORCE")]
            pub fn set_send_buffer_size_force(&self, bytes: usize) -> ::std::io::Result<()> {
                let n = $crate::socket::buffer_arg($crate::socket::Buffer::Send, bytes)?;
                $crate::sys::sockopt::set_int(
                    ::std::os::fd::AsFd::as_fd(&self.inner),
                    ::libc::SOL_SOCKET,
                    ::libc::SO_SNDBUFFORCE,
                    n,
                )
            }

            /// Takes the pending socket error, clearing it (`SO_ERROR`): for example the
            /// `ECONNREFUSED` an ICMP port unreachable left on a connected UDP socket. `Ok(None)` when
            /// there is none.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// assert!(sock.take_error()?.is_none());
            /// # let _ = peer;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_ERROR")]
            pub fn take_error(&self) -> ::std::io::Result<Option<::std::io::Error>> {
                self.inner.take_error()
            }

            /// The size in bytes of the next queued datagram, 0 when none is (`ioctl(FIONREAD)`,
            /// `SIOCINQ`; Emilua's `io_control("bytes_readable")`).
            ///
            /// # Errors
            /// What `ioctl(2)` reports.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// assert_eq!(sock.bytes_readable()?, 0);
            /// peer.send(b"12345")?;
            /// peer.send(b"67")?;
            /// assert_eq!(sock.bytes_readable()?, 5); // the next datagram only
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "FIONREAD")]
            #[doc(alias = "SIOCINQ")]
            pub fn bytes_readable(&self) -> ::std::io::Result<usize> {
                $crate::sys::ioctl::bytes_readable(::std::os::fd::AsFd::as_fd(&self.inner))
            }

            /// Bytes in the local send queue (`ioctl(SIOCOUTQ)`; Node's `getSendQueueSize`): bytes
            /// handed to the kernel whose buffers are not yet freed (for UDP, also corked bytes).
            ///
            /// # Errors
            /// What `ioctl(2)` reports.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// assert_eq!(sock.send_queue_size()?, 0); // nothing sent yet
            /// # let _ = peer;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SIOCOUTQ")]
            pub fn send_queue_size(&self) -> ::std::io::Result<usize> {
                $crate::sys::ioctl::send_queue_size(::std::os::fd::AsFd::as_fd(&self.inner))
            }

            /// Attaches a classic BPF program that decides, for each datagram arriving, whether the
            /// socket gets it (`setsockopt(SOL_SOCKET, SO_ATTACH_FILTER)`, socket(7)).
            ///
            /// The program runs on the datagram as the kernel queues it: on a UDP socket it sees
            /// the 8-byte UDP header first (the payload starts at offset 8), on a Unix socket the
            /// datagram itself from offset 0. What it returns is how many bytes to keep: 0 drops
            /// the datagram (a Unix sender is not told), `u32::MAX` keeps it whole. It replaces
            /// any program attached before, and applies to datagrams arriving from then on. See
            /// [`BpfInsn`](crate::BpfInsn) for the instructions.
            ///
            /// # Errors
            /// - `InvalidInput` for an empty program, one longer than
            ///   [`BPF_MAXINSNS`](crate::BPF_MAXINSNS), or one dividing by the constant 0, with a
            ///   message naming it; `InvalidInput` with the kernel's `EINVAL` for a program its
            ///   checker refuses (a jump beyond the end, no final return, an unknown opcode).
            /// - `PermissionDenied` (`EPERM`) once the filter is locked
            ///   ([`lock_filter`](Self::lock_filter)).
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// use datagrams::BpfInsn;
            ///
            /// sock.attach_filter(&[BpfInsn::ret(0)])?; // keep 0 bytes: drop every datagram
            /// peer.send(b"dropped")?;
            /// sock.set_nonblocking(true)?;
            /// let e = sock.recv(&mut [0u8; 16]).unwrap_err();
            /// assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
            ///
            /// sock.detach_filter()?; // every datagram is delivered again
            /// peer.send(b"kept")?;
            /// let mut buf = [0u8; 16];
            /// let n = sock.recv(&mut buf)?;
            /// assert_eq!(&buf[..n], b"kept");
            /// let e = sock.detach_filter().unwrap_err(); // none attached now
            /// assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_ATTACH_FILTER")]
            pub fn attach_filter(&self, program: &[$crate::BpfInsn]) -> ::std::io::Result<()> {
                let program = $crate::bpf::to_kernel(program)?;
                $crate::sys::sockopt::set_bpf_program(
                    ::std::os::fd::AsFd::as_fd(&self.inner),
                    ::libc::SO_ATTACH_FILTER,
                    &program,
                )
            }

            /// Removes the program [`attach_filter`](Self::attach_filter) attached
            /// (`setsockopt(SOL_SOCKET, SO_DETACH_FILTER)`): every datagram is delivered again.
            ///
            /// [`attach_filter`](Self::attach_filter) has an example.
            ///
            /// # Errors
            /// The kernel's `ENOENT` (`NotFound`) when no program is attached; `PermissionDenied`
            /// (`EPERM`) once the filter is locked.
            #[doc(alias = "SO_DETACH_FILTER")]
            pub fn detach_filter(&self) -> ::std::io::Result<()> {
                self.inner.detach_filter()
            }

            /// Locks the socket's filter (`setsockopt(SOL_SOCKET, SO_LOCK_FILTER)`): from now on
            /// the attached program (or its absence) can be neither replaced nor detached, for
            /// example before handing the socket to less trusted code. There is no unlocking.
            ///
            /// # Errors
            /// What `setsockopt(2)` reports.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// use datagrams::BpfInsn;
            ///
            /// assert!(!sock.filter_locked()?);
            /// sock.attach_filter(&[BpfInsn::ret(u32::MAX)])?; // keep every datagram whole
            /// sock.lock_filter()?;
            /// assert!(sock.filter_locked()?);
            /// let e = sock.detach_filter().unwrap_err(); // locked: no change any more
            /// assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
            /// # let _ = peer;
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_LOCK_FILTER")]
            pub fn lock_filter(&self) -> ::std::io::Result<()> {
                $crate::sys::sockopt::set_int(
                    ::std::os::fd::AsFd::as_fd(&self.inner),
                    ::libc::SOL_SOCKET,
                    ::libc::SO_LOCK_FILTER,
                    1,
                )
            }

            /// Whether the socket's filter is locked (`SO_LOCK_FILTER`).
            ///
            /// [`lock_filter`](Self::lock_filter) has an example.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports.
            #[doc(alias = "SO_LOCK_FILTER")]
            pub fn filter_locked(&self) -> ::std::io::Result<bool> {
                Ok($crate::sys::sockopt::get_int(
                    ::std::os::fd::AsFd::as_fd(&self.inner),
                    ::libc::SOL_SOCKET,
                    ::libc::SO_LOCK_FILTER,
                )? != 0)
            }

            /// The socket's cookie (`getsockopt(SOL_SOCKET, SO_COOKIE)`, Linux 4.12): a 64-bit
            /// number the kernel gives the socket, unique among the sockets since boot and fixed
            /// for its life. Every descriptor of one socket (`try_clone`, `dup(2)`, one passed to
            /// another process) reads the same cookie; it is the key `ss -e`/sock_diag and BPF's
            /// `bpf_get_socket_cookie` use.
            ///
            /// # Errors
            /// What `getsockopt(2)` reports (`ENOPROTOOPT` before Linux 4.12).
            ///
            /// # Examples
            /// ```
            #[doc = concat!("use datagrams::", stringify!($ty), ";")]
            #[doc = $pair_doc]
            /// let cookie = sock.cookie()?;
            /// assert_eq!(sock.try_clone()?.cookie()?, cookie); // the same socket
            /// assert_ne!(peer.cookie()?, cookie);
            /// # Ok::<(), std::io::Error>(())
            /// ```
            #[doc(alias = "SO_COOKIE")]
            pub fn cookie(&self) -> ::std::io::Result<u64> {
                self.inner.cookie()
            }
        }
    };
}

/// Expands to `close`, the last call of the life cycle every socket type shares; invoked inside
/// the type's life-cycle `impl` block, so that the rustdoc page lists it there.
macro_rules! close_method {
    ($ty:ident, $make_doc:literal) => {
        /// Closes the socket and reports close(2)'s error, which `Drop` ignores.
        ///
        /// # Errors
        /// What `close(2)` reports; the descriptor is released either way.
        ///
        /// # Examples
        /// ```
        #[doc = concat!("use datagrams::", stringify!($ty), ";")]
        #[doc = $make_doc]
        /// sock.close()?; // as a drop, with close(2)'s error
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn close(self) -> ::std::io::Result<()> {
            $crate::sys::close(::std::os::fd::OwnedFd::from(self.inner))
        }
    };
}

/// Expands to the descriptor traits: `AsFd`, `AsRawFd`, `IntoRawFd`, `From<T> for OwnedFd`.
macro_rules! common_socket_impls {
    ($ty:ident) => {
        impl ::std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl ::std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                self.inner.as_raw_fd()
            }
        }

        impl ::std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                self.inner.into_raw_fd()
            }
        }

        impl From<$ty> for ::std::os::fd::OwnedFd {
            fn from(s: $ty) -> ::std::os::fd::OwnedFd {
                s.inner.into()
            }
        }
    };
}

pub(crate) use {close_method, common_socket_impls, common_socket_methods};

/// Which of the two socket buffers.
#[derive(Clone, Copy)]
pub(crate) enum Buffer {
    Recv,
    Send,
}

impl Buffer {
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Buffer::Recv => ("receive", "net.core.rmem_max", "set_recv_buffer_size_force"),
            Buffer::Send => ("send", "net.core.wmem_max", "set_send_buffer_size_force"),
        }
    }
}

/// A buffer size as the `int` the kernel takes; the kernel doubles it, so it must stay below half of
/// `i32::MAX`.
pub(crate) fn buffer_arg(which: Buffer, bytes: usize) -> io::Result<libc::c_int> {
    match libc::c_int::try_from(bytes) {
        Ok(n) if n <= libc::c_int::MAX / 2 => Ok(n),
        _ => Err(invalid_input(format!(
            "{} buffer size {bytes} bytes is too large: at most {} bytes",
            which.names().0,
            libc::c_int::MAX / 2
        ))),
    }
}

/// Sets a buffer size and refuses the kernel's silent clamp: if the size read back is below twice the
/// request, the request exceeded the sysctl maximum, so the old size is restored and the error names
/// the maximum.
pub(crate) fn set_checked_buffer(
    which: Buffer,
    bytes: usize,
    get: impl Fn() -> io::Result<usize>,
    set: impl Fn(usize) -> io::Result<()>,
) -> io::Result<()> {
    let n = buffer_arg(which, bytes)? as usize;
    let before = get()?;
    set(n)?;
    let after = get()?;
    if after >= n * 2 {
        return Ok(());
    }
    // Best effort: the previous size was accepted before, so setting half of it again restores it.
    let _ = set(before / 2);
    let (what, sysctl, force) = which.names();
    Err(invalid_input(format!(
        "{what} buffer size {bytes} bytes exceeds the system maximum {sysctl} = {} bytes; raise the sysctl, \
         or use {force} with CAP_NET_ADMIN",
        after / 2
    )))
}
