//! The fast paths on a UDP socket the caller owns: [`UdpSocketRef`].

use std::fmt;
use std::io;
use std::ops::Deref;
use std::os::fd::{AsFd, BorrowedFd};

use crate::sys::socket::Lent;
use crate::udp::UdpSocket;

/// A [`UdpSocket`] over a UDP socket the caller owns and keeps: std's, tokio's, socket2's, mio's,
/// or any other [`AsFd`]. It derefs to `UdpSocket`, so every call (batches, GSO/GRO, `send_msg`
/// and `recv_msg` with metadata, `recv_error`, options) works on the caller's socket by the same
/// code as on a socket dgram made, without converting it; the descriptor is never closed here.
///
/// What dgram keeps beside the descriptor (which receive options add control messages, the
/// timeouts, GSO support) is read from the kernel when the reference is made, as when a socket
/// is adopted: make one reference and keep it while you use the socket (making it costs a few
/// `getsockopt(2)` calls and one allocation; the calls on it allocate nothing, as on a
/// `UdpSocket`). Options set through the reference are set on the caller's socket, and seen by a
/// later reference.
///
/// The caller's socket and the reference share one open file: what the reference changes, the
/// caller's socket has too. `set_nonblocking(false)` on a tokio socket's reference would make the
/// runtime's next receive block its thread; timeouts, `shutdown`, `connect` and `disconnect` act on
/// the caller's socket in the same way. Because its owner may change the socket behind dgram's
/// back, a reference offers the kernel a control area on every receive (so a receive option
/// switched on elsewhere, GRO say, is always decoded) and asks the kernel for the connected peer's
/// family for each transmit without a destination that carries metadata.
///
/// A tokio socket is non-blocking: the calls return `WouldBlock` when they would wait, so run
/// them inside tokio's `try_io`/`async_io` (second example).
///
/// # Examples
/// GRO and a batch receive on std's socket:
/// ```
/// use std::io::IoSliceMut;
/// use datagrams::{RecvMeta, Transmit, UdpSocketRef};
///
/// let std_rx = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let std_tx = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let to = std_rx.local_addr()?;
///
/// let tx = UdpSocketRef::new(&std_tx)?;
/// tx.send_batch(&[Transmit::new(to, b"one"), Transmit::new(to, b"two")])?;
///
/// let rx = UdpSocketRef::new(&std_rx)?;
/// let mut storage = [[0u8; 64]; 4];
/// let mut bufs = storage.each_mut().map(|b| IoSliceMut::new(b));
/// let mut meta = [RecvMeta::default(); 4];
/// let mut got = 0;
/// while got < 2 {
///     got += rx.recv_batch(&mut bufs[got..], &mut meta[got..])?;
/// }
/// assert_eq!((&bufs[0][..meta[0].len], meta[0].addr), (&b"one"[..], std_tx.local_addr()?));
/// drop((rx, tx));
/// std_tx.send_to(b"still open", to)?; // the caller's sockets are untouched
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A tokio socket, through tokio's readiness:
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use tokio::io::Interest;
/// use datagrams::{Transmit, UdpSocketRef};
///
/// let rx = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
/// let tx = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
/// let to = rx.local_addr()?;
/// let fast = UdpSocketRef::new(&tx)?;
/// let t = Transmit::new(to, b"aaaabbbb").segment_size(4); // two datagrams, one GSO send
/// tx.async_io(Interest::WRITABLE, || fast.send_msg(&t)).await?;
///
/// let mut buf = [0u8; 16];
/// let (n, from) = rx.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"aaaa"[..], tx.local_addr()?));
/// # Ok(())
/// # }
/// ```
pub struct UdpSocketRef<'a> {
    socket: Lent<'a, UdpSocket>,
}

impl<'a> UdpSocketRef<'a> {
    /// A `UdpSocket` over `socket`'s descriptor, borrowed for as long as the reference lives.
    ///
    /// # Errors
    /// `InvalidInput` when the descriptor is not a UDP socket (a TCP or Unix socket, a pipe);
    /// what `getsockopt(2)` reports.
    pub fn new(socket: &'a impl AsFd) -> io::Result<UdpSocketRef<'a>> {
        UdpSocketRef::try_from(socket.as_fd())
    }
}

/// Checked as [`UdpSocketRef::new`].
impl<'a> TryFrom<BorrowedFd<'a>> for UdpSocketRef<'a> {
    type Error = io::Error;

    fn try_from(fd: BorrowedFd<'a>) -> io::Result<UdpSocketRef<'a>> {
        let (family, state) = UdpSocket::adopted(fd, true)?;
        Ok(UdpSocketRef {
            socket: Lent::new(fd, |owned| UdpSocket::assemble(owned, family, state)),
        })
    }
}

impl Deref for UdpSocketRef<'_> {
    type Target = UdpSocket;

    fn deref(&self) -> &UdpSocket {
        &self.socket
    }
}

impl fmt::Debug for UdpSocketRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocketRef").field(&*self.socket).finish()
    }
}
