//! Unix-domain socket addresses (`struct sockaddr_un`, see `unix(7)`): pathname, abstract and unnamed,
//! and the `unix:` text form they print and parse as.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::invalid_input;
use crate::sys::addr::{RawAddr, SUN_PATH_LEN};

/// The address of a Unix-domain socket: a filesystem path, an abstract name (Linux), or unnamed.
///
/// Abstract names live in the kernel, not the filesystem (a leading NUL in `sun_path`); they are shown
/// as `@name`. An unnamed address is that of a socket that never bound. `Display` and `FromStr` use
/// `unix:/path`, `unix:relative/path`, `unix:@name`, and `unix:` for unnamed.
///
/// # Examples
/// ```
/// use datagrams::UnixAddr;
///
/// let a: UnixAddr = "unix:@dgram-example".parse()?;
/// assert_eq!(a.as_abstract_name(), Some(&b"dgram-example"[..]));
/// assert_eq!(a.to_string(), "unix:@dgram-example");
///
/// let p = UnixAddr::from_pathname("/run/app.sock")?;
/// assert_eq!(p.as_pathname(), Some(std::path::Path::new("/run/app.sock")));
/// assert!(UnixAddr::from_pathname("/tmp/a\0b").is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnixAddr {
    /// The bytes of `sun_path` in use (for an abstract name, a NUL and the name), the rest zero.
    path: [u8; SUN_PATH_LEN],
    len: u8,
}

/// The longest pathname in bytes: 108, the whole of `sun_path` (a path that long has no terminating
/// NUL in the address; Linux accepts it, and reports a peer bound to one that way).
pub const MAX_PATHNAME_LEN: usize = SUN_PATH_LEN;
/// The longest abstract name in bytes (without the leading NUL): 107.
pub const MAX_ABSTRACT_NAME_LEN: usize = SUN_PATH_LEN - 1;

impl UnixAddr {
    /// The address of a filesystem path.
    ///
    /// # Errors
    /// `InvalidInput` for an empty path, a path with a NUL byte (naming its position), or one longer
    /// than [`MAX_PATHNAME_LEN`] bytes (naming its length).
    pub fn from_pathname(path: impl AsRef<Path>) -> io::Result<UnixAddr> {
        let p = path.as_ref();
        let bytes = p.as_os_str().as_bytes();
        if bytes.is_empty() {
            return Err(invalid_input("a Unix socket path cannot be empty"));
        }
        if let Some(i) = bytes.iter().position(|&b| b == 0) {
            return Err(invalid_input(format!(
                "Unix socket path {p:?} has a NUL byte at offset {i}"
            )));
        }
        if bytes.len() > MAX_PATHNAME_LEN {
            return Err(invalid_input(format!(
                "Unix socket path {p:?} is {} bytes long; sun_path allows at most {MAX_PATHNAME_LEN}",
                bytes.len()
            )));
        }
        Ok(Self::from_sun_path(bytes))
    }

    /// The address of an abstract name (Linux): `name` without the leading NUL. It may hold any bytes.
    ///
    /// # Errors
    /// `InvalidInput` when `name` is longer than [`MAX_ABSTRACT_NAME_LEN`] bytes.
    pub fn from_abstract_name(name: impl AsRef<[u8]>) -> io::Result<UnixAddr> {
        let name = name.as_ref();
        if name.len() > MAX_ABSTRACT_NAME_LEN {
            return Err(invalid_input(format!(
                "abstract Unix socket name is {} bytes long; at most {MAX_ABSTRACT_NAME_LEN} fit",
                name.len()
            )));
        }
        let mut a = UnixAddr {
            path: [0; SUN_PATH_LEN],
            len: (name.len() + 1) as u8,
        };
        a.path[1..=name.len()].copy_from_slice(name);
        Ok(a)
    }

    /// The unnamed address: that of a socket which never bound. Binding to it asks the kernel to pick
    /// a unique abstract name (Linux autobind).
    pub const fn unnamed() -> UnixAddr {
        UnixAddr {
            path: [0; SUN_PATH_LEN],
            len: 0,
        }
    }

    /// The filesystem path, for a pathname address.
    pub fn as_pathname(&self) -> Option<&Path> {
        match self.bytes() {
            [] | [0, ..] => None,
            b => Some(Path::new(OsStr::from_bytes(b))),
        }
    }

    /// The abstract name without its leading NUL, for an abstract address.
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        match self.bytes() {
            [0, name @ ..] => Some(name),
            _ => None,
        }
    }

    /// Whether this is the unnamed address.
    pub fn is_unnamed(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub(super) fn bytes(&self) -> &[u8] {
        &self.path[..usize::from(self.len)]
    }

    /// From `sun_path` bytes the caller has checked to fit.
    #[inline]
    fn from_sun_path(bytes: &[u8]) -> UnixAddr {
        let n = bytes.len().min(SUN_PATH_LEN);
        let mut a = UnixAddr {
            path: [0; SUN_PATH_LEN],
            len: n as u8,
        };
        a.path[..n].copy_from_slice(&bytes[..n]);
        a
    }

    #[inline]
    pub(crate) fn to_raw(self) -> RawAddr {
        RawAddr::from_unix(self.bytes())
    }

    /// Decodes what the kernel reported; a pathname ends at its first NUL (the kernel may count the
    /// terminator in the length).
    #[inline]
    pub(crate) fn from_raw(raw: &RawAddr) -> io::Result<UnixAddr> {
        if raw.len == 0 {
            return Ok(UnixAddr::unnamed());
        }
        let bytes = raw.unix_path().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the socket reported a non-Unix address",
            )
        })?;
        Ok(match bytes {
            [] => UnixAddr::unnamed(),
            [0, ..] => UnixAddr::from_sun_path(bytes),
            _ => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                UnixAddr::from_sun_path(&bytes[..end])
            }
        })
    }
}

/// `unix:/path`, `unix:@abstract-name` or `unix:` (unnamed), in a form [`FromStr`] reads back to the
/// same address, and that is always one line: valid UTF-8 as it is, except that `\` and control
/// characters are escaped (`\\`, `\n`, `\r`, `\t`, else `\xNN` a byte), as are the line and
/// paragraph separators and the bidirectional controls, every byte that is not UTF-8, and a path's
/// leading `@` (`\x40`, which would read back as an abstract name).
impl fmt::Display for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unix:")?;
        if let Some(p) = self.as_pathname() {
            let bytes = p.as_os_str().as_bytes();
            match bytes.split_first() {
                Some((b'@', rest)) => {
                    f.write_str("\\x40")?;
                    write_escaped(f, rest)
                }
                _ => write_escaped(f, bytes),
            }
        } else if let Some(name) = self.as_abstract_name() {
            f.write_str("@")?;
            write_escaped(f, name)
        } else {
            Ok(())
        }
    }
}

/// Writes `bytes` in the crate's escape grammar ([`escape_bytes`](crate::escape_bytes)).
fn write_escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    crate::escape::write_escaped(f, bytes)
}

/// The bytes `s` stands for ([`unescape_bytes`](crate::unescape_bytes)), the error naming a Unix
/// address.
fn unescape(s: &str) -> io::Result<Vec<u8>> {
    crate::escape::unescape_bytes(s).map_err(|_| {
        invalid_input(format!(
            "bad escape in Unix address {s:?}: write \\\\ for a backslash, \\xNN for a byte"
        ))
    })
}

impl fmt::Debug for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixAddr({self})")
    }
}

/// Parses `unix:/path`, `unix:relative/path`, `unix:@abstract-name` and `unix:` (unnamed), reading
/// the escapes `Display` writes (`\\` for a backslash, `\xNN` for any byte, `\n`, `\r`, `\t`; also
/// `\0`, `\'` and `\"`), so that an address printed reads back as the same address. A backslash
/// in a name or path is therefore written `\\`.
///
/// # Errors
/// `InvalidInput` without the `unix:` prefix, for a bad escape (a `\` not followed by one of those),
/// or for a name or path that does not fit (see [`UnixAddr::from_abstract_name`] and
/// [`UnixAddr::from_pathname`]).
impl FromStr for UnixAddr {
    type Err = io::Error;

    fn from_str(s: &str) -> io::Result<UnixAddr> {
        let rest = s.strip_prefix("unix:").ok_or_else(|| {
            invalid_input(format!(
                "{s:?} is not a Unix address: expected unix:/path or unix:@name"
            ))
        })?;
        match rest.strip_prefix('@') {
            Some(name) => UnixAddr::from_abstract_name(unescape(name)?),
            None if rest.is_empty() => Ok(UnixAddr::unnamed()),
            None => UnixAddr::from_pathname(OsStr::from_bytes(&unescape(rest)?)),
        }
    }
}

/// What can name a Unix socket: a [`UnixAddr`], or a path (`&str`, `&Path`, `PathBuf`, ... as std's
/// `UnixDatagram::bind` takes).
pub trait ToUnixAddr {
    /// The address.
    ///
    /// # Errors
    /// `InvalidInput` for a path that cannot be a socket address (see [`UnixAddr::from_pathname`]).
    fn to_unix_addr(&self) -> io::Result<UnixAddr>;
}

impl ToUnixAddr for UnixAddr {
    #[inline]
    fn to_unix_addr(&self) -> io::Result<UnixAddr> {
        Ok(*self)
    }
}

impl ToUnixAddr for &UnixAddr {
    #[inline]
    fn to_unix_addr(&self) -> io::Result<UnixAddr> {
        Ok(**self)
    }
}

impl<P: AsRef<Path>> ToUnixAddr for P {
    #[inline]
    fn to_unix_addr(&self) -> io::Result<UnixAddr> {
        UnixAddr::from_pathname(self)
    }
}

/// For callers holding a `PathBuf` they want as an address.
impl TryFrom<PathBuf> for UnixAddr {
    type Error = io::Error;
    fn try_from(p: PathBuf) -> io::Result<UnixAddr> {
        UnixAddr::from_pathname(p)
    }
}

/// From std's Unix address (as std's sockets report them): pathname, abstract name or unnamed.
///
/// # Errors
/// None in practice: std's addresses fit `sun_path` as dgram's do; the `io::Error` keeps the door
/// open for a form std may add.
///
/// # Examples
/// ```
/// use datagrams::UnixAddr;
///
/// let std_sock = std::os::unix::net::UnixDatagram::unbound()?;
/// let a = UnixAddr::try_from(&std_sock.local_addr()?)?;
/// assert!(a.is_unnamed());
/// # Ok::<(), std::io::Error>(())
/// ```
impl TryFrom<&std::os::unix::net::SocketAddr> for UnixAddr {
    type Error = io::Error;

    fn try_from(a: &std::os::unix::net::SocketAddr) -> io::Result<UnixAddr> {
        use std::os::linux::net::SocketAddrExt;
        if let Some(path) = a.as_pathname() {
            UnixAddr::from_pathname(path)
        } else if let Some(name) = a.as_abstract_name() {
            UnixAddr::from_abstract_name(name)
        } else {
            Ok(UnixAddr::unnamed())
        }
    }
}

/// Into std's Unix address.
///
/// # Errors
/// `InvalidInput` for the unnamed address, which std cannot build.
///
/// # Examples
/// ```
/// use datagrams::UnixAddr;
/// use std::os::linux::net::SocketAddrExt;
///
/// let a: UnixAddr = "unix:@dgram-doc".parse()?;
/// let std_addr = std::os::unix::net::SocketAddr::try_from(&a)?;
/// assert_eq!(std_addr.as_abstract_name(), Some(&b"dgram-doc"[..]));
/// # Ok::<(), std::io::Error>(())
/// ```
impl TryFrom<&UnixAddr> for std::os::unix::net::SocketAddr {
    type Error = io::Error;

    fn try_from(a: &UnixAddr) -> io::Result<std::os::unix::net::SocketAddr> {
        use std::os::linux::net::SocketAddrExt;
        if let Some(path) = a.as_pathname() {
            std::os::unix::net::SocketAddr::from_pathname(path)
        } else if let Some(name) = a.as_abstract_name() {
            std::os::unix::net::SocketAddr::from_abstract_name(name)
        } else {
            Err(invalid_input(
                "std cannot build the unnamed Unix address (it names no socket)",
            ))
        }
    }
}
