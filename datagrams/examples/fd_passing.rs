//! A parent hands an open descriptor to a child process over a Unix datagram socket
//! (`SCM_RIGHTS`), and each side proves who it is with its credentials (`SCM_CREDENTIALS`,
//! checked by the kernel). The descriptor is a pipe's write end, or a bound UDP socket that the
//! child then serves.
//!
//! ```sh
//! cargo run -p datagrams --example fd_passing -- pipe     # the child writes into the parent's pipe
//! cargo run -p datagrams --example fd_passing -- socket   # the child echoes on the parent's UDP socket
//! ```
//! The child is this program again, started as `fd_passing child NAME KIND`.
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::Command;
use std::time::Duration;

use datagrams::{MsgFlags, UCred, UdpSocket, UnixAddr, UnixDatagram};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [kind @ ("pipe" | "socket")] => parent(kind),
        ["child", name, kind] => child(name, kind),
        _ => Err(bad("usage: fd_passing pipe | socket")),
    }
}

fn parent(kind: &str) -> io::Result<()> {
    // Abstract names need no file and vanish with the socket.
    let name = format!("datagrams-fd-passing-{}", std::process::id());
    let socket = UnixDatagram::bind(UnixAddr::from_abstract_name(&name)?)?;
    socket.set_pass_cred(true)?; // every datagram then says who sent it
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["child", &name, kind])
        .spawn()?;

    // The child says hello; the kernel vouches for its pid.
    let mut buf = [0u8; 64];
    let hello = socket.recv_msg(&mut buf)?;
    let cred = hello
        .cred
        .ok_or_else(|| io::Error::other("no credentials"))?;
    if cred.pid != child.id() as i32 {
        return Err(io::Error::other(format!(
            "hello from pid {}, not the child {}",
            cred.pid,
            child.id()
        )));
    }

    // Hand it the descriptor, with our own credentials.
    let summary = match kind {
        "pipe" => {
            let (mut reader, writer) = io::pipe()?;
            send(&socket, &hello.addr, b"pipe", writer.as_fd())?;
            drop(writer); // the child holds the only write end now: EOF when it is done
            let mut text = String::new();
            reader.read_to_string(&mut text)?;
            format!("the child wrote {:?} into the pipe", text)
        }
        _ => {
            let udp = UdpSocket::bind("127.0.0.1:0")?;
            let addr = udp.local_addr()?;
            send(&socket, &hello.addr, b"socket", udp.as_fd())?;
            drop(udp); // the child serves it alone from now on
            let client = UdpSocket::bind("127.0.0.1:0")?;
            client.set_read_timeout(Some(Duration::from_secs(5)))?;
            client.send_to(b"ping", addr)?;
            let (n, from) = client.recv_from(&mut buf)?;
            if from != addr {
                return Err(io::Error::other(format!("reply from {from}, not {addr}")));
            }
            format!(
                "the child answered {:?} on the handed-over socket",
                String::from_utf8_lossy(&buf[..n])
            )
        }
    };
    let status = child.wait()?;
    if !status.success() {
        return Err(io::Error::other(format!("child failed: {status}")));
    }
    println!("fd_passing: {kind}: credentials checked both ways; {summary}");
    Ok(())
}

/// Sends `what` with one descriptor and this process's credentials to `to`.
fn send(
    socket: &UnixDatagram,
    to: &UnixAddr,
    what: &[u8],
    fd: std::os::fd::BorrowedFd<'_>,
) -> io::Result<()> {
    socket.send_msg(
        &[IoSlice::new(what)],
        Some(to),
        &[fd],
        Some(UCred::current()),
        MsgFlags::empty(),
    )?;
    Ok(())
}

fn child(parent_name: &str, kind: &str) -> io::Result<()> {
    let socket = UnixDatagram::bind(UnixAddr::from_abstract_name(format!(
        "{parent_name}-child"
    ))?)?;
    socket.set_pass_cred(true)?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    socket.connect(UnixAddr::from_abstract_name(parent_name)?)?;
    socket.send_with_cred(b"hello", UCred::current())?;

    let mut buf = [0u8; 64];
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(1); // room for one descriptor
    let meta = socket.recv_with_fds(&mut buf, &mut fds)?;
    let from = meta.cred.map(|c| c.pid);
    if from != Some(std::os::unix::process::parent_id() as i32) {
        return Err(io::Error::other(format!(
            "descriptor from pid {from:?}, not my parent"
        )));
    }
    let fd = fds
        .pop()
        .ok_or_else(|| io::Error::other("no descriptor came"))?;
    match (&buf[..meta.len], kind) {
        (b"pipe", "pipe") => {
            let mut pipe = std::fs::File::from(fd);
            pipe.write_all(b"hello from the child")?;
        }
        (b"socket", "socket") => {
            let udp = UdpSocket::try_from(fd)?; // checked: it must be a UDP socket
            udp.set_read_timeout(Some(Duration::from_secs(5)))?;
            let (n, from) = udp.recv_from(&mut buf)?;
            udp.send_to(&buf[..n], from)?;
        }
        (what, _) => {
            return Err(io::Error::other(format!(
                "unexpected {:?}",
                String::from_utf8_lossy(what)
            )));
        }
    }
    Ok(())
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
