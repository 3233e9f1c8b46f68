//! The two kinds of socket a run uses: the traffic's datagram socket (UDP or Unix) and the control
//! connection's stream socket (TCP or Unix), each one type whatever the family.

use std::io::{self, IoSliceMut, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use datagrams::{RecvMeta, Transmit, UdpSocket, UnixDatagram};

/// A traffic socket: UDP (GSO/GRO and batches) or Unix datagram (batches: GSO/GRO are UDP's).
#[derive(Debug)]
pub(crate) enum Sock {
    Udp(UdpSocket),
    Unix(UnixDatagram),
}

impl Sock {
    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Sock::Udp(s) => s.set_read_timeout(t),
            Sock::Unix(s) => s.set_read_timeout(t),
        }
    }

    pub(crate) fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Sock::Udp(s) => s.set_write_timeout(t),
            Sock::Unix(s) => s.set_write_timeout(t),
        }
    }

    /// Sends one datagram to the connected peer (`send(2)`).
    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Udp(s) => s.send(buf),
            Sock::Unix(s) => s.send(buf),
        }
    }

    /// Receives one datagram from the connected peer (`recv(2)`); its length, cut to `buf`.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Udp(s) => s.recv(buf),
            Sock::Unix(s) => s.recv(buf),
        }
    }

    /// Sends each of `bufs` as one datagram to the connected peer (`sendmmsg(2)`); how many the
    /// kernel took.
    pub(crate) fn send_batch(&self, bufs: &[&[u8]]) -> io::Result<usize> {
        match self {
            Sock::Udp(s) => s.send_batch(bufs.iter().map(|b| Transmit::connected(b))),
            Sock::Unix(s) => s.send_batch(bufs),
        }
    }

    /// Receives a batch of datagrams (`recvmmsg(2)`, waiting for the first); how many.
    pub(crate) fn recv_batch_without_senders(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        metas: &mut [RecvMeta<()>],
    ) -> io::Result<usize> {
        match self {
            Sock::Udp(s) => s.recv_batch_without_senders(bufs, metas),
            Sock::Unix(s) => s.recv_batch_without_senders(bufs, metas),
        }
    }

    /// A larger receive queue if the system allows it (root may go above net.core.rmem_max); the
    /// default is kept otherwise: drops are counted either way.
    pub(crate) fn grow_recv_buffer(&self, bytes: usize) {
        let ok = match self {
            Sock::Udp(s) => s.set_recv_buffer_size_force(bytes).is_ok(),
            Sock::Unix(s) => s.set_recv_buffer_size_force(bytes).is_ok(),
        };
        if !ok {
            let _ = match self {
                Sock::Udp(s) => s.set_recv_buffer_size(bytes),
                Sock::Unix(s) => s.set_recv_buffer_size(bytes),
            };
        }
    }

    /// Prepares a receiving socket: the drop counter (`SO_RXQ_OVFL`, UDP only), a larger queue, and
    /// GRO if `gro` (UDP only); returns whether GRO is on.
    pub(crate) fn prepare_receiver(&self, gro: bool, queue: usize) -> io::Result<bool> {
        self.grow_recv_buffer(queue);
        match self {
            Sock::Udp(s) => {
                s.set_recv_drop_count(true)?;
                Ok(gro && s.set_gro(true).is_ok())
            }
            Sock::Unix(_) => Ok(false),
        }
    }

    /// Prepares a sending socket: GSO if `gso` and the kernel has it (UDP only); returns the
    /// datagrams in one send call's packet (1 without GSO).
    pub(crate) fn prepare_sender(&self, gso: bool, len: usize) -> usize {
        match self {
            Sock::Udp(s) => {
                if !gso {
                    s.set_gso(false);
                }
                if gso && s.max_gso_segments() > 1 {
                    super::sender::gso_segments(s, len)
                } else {
                    1
                }
            }
            Sock::Unix(_) => 1,
        }
    }
}

/// The control connection: TCP beside UDP traffic, a Unix stream socket beside Unix traffic.
#[derive(Debug)]
pub(crate) enum Ctl {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Ctl {
    pub(crate) fn try_clone(&self) -> io::Result<Ctl> {
        Ok(match self {
            Ctl::Tcp(s) => Ctl::Tcp(s.try_clone()?),
            Ctl::Unix(s) => Ctl::Unix(s.try_clone()?),
        })
    }

    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Ctl::Tcp(s) => s.set_read_timeout(t),
            Ctl::Unix(s) => s.set_read_timeout(t),
        }
    }

    /// Bounds every write (and those of its clones: one socket): a peer that stops reading
    /// fills the queues, and a write would otherwise wait for it forever.
    pub(crate) fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Ctl::Tcp(s) => s.set_write_timeout(t),
            Ctl::Unix(s) => s.set_write_timeout(t),
        }
    }
}

impl Read for Ctl {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Ctl::Tcp(s) => s.read(buf),
            Ctl::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Ctl {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Ctl::Tcp(s) => s.write(buf),
            Ctl::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Ctl::Tcp(s) => s.flush(),
            Ctl::Unix(s) => s.flush(),
        }
    }
}
