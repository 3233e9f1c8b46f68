//! Bulk receive with UDP GRO and batches: the kernel coalesces datagrams of one flow into one
//! buffer (`RecvMeta::stride` says their size), and `recv_batch` fills several buffers in one
//! `recvmmsg(2)`. Each datagram's ECN codepoint comes with it. Where the kernel has no GRO
//! (before Linux 5.0) the receiver goes on without it. It stops at a datagram `END`.
//!
//! ```sh
//! cargo run -p datagrams --example gro_receiver -- 127.0.0.1:4433 &
//! cargo run -p datagrams --example gso_sender -- 127.0.0.1:4433 1000000
//! cargo run -p datagrams --example gro_receiver -- --self-test 60000   # from its own GSO sender
//! ```
use std::io::{self, IoSliceMut};
use std::time::Duration;

use datagrams::{Ecn, MAX_BATCH, RecvMeta, Transmit, UdpSocket};

/// What was received, up to the `END` datagram.
#[derive(Default)]
struct Tally {
    datagrams: usize,
    bytes: usize,
    ect0: usize,
    receives: usize,
}

fn receive_all(socket: &UdpSocket) -> io::Result<Tally> {
    // Buffers and metadata are allocated once; every receive reuses them.
    let mut storage = vec![[0u8; 65_536]; 8];
    let mut bufs: Vec<IoSliceMut> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let mut metas = [RecvMeta::default(); MAX_BATCH];
    let mut tally = Tally::default();
    loop {
        let n = socket.recv_batch(&mut bufs, &mut metas)?;
        tally.receives += 1;
        for (meta, buf) in metas[..n].iter().zip(&bufs) {
            for datagram in meta.segments(buf) {
                if datagram == b"END" {
                    return Ok(tally);
                }
                tally.datagrams += 1;
                tally.bytes += datagram.len();
                tally.ect0 += usize::from(meta.ecn() == Some(Ecn::Ect0));
            }
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (bind, self_test) = match args.as_slice() {
        ["--self-test", total] => ("127.0.0.1:0", Some(parse(total)?)),
        [addr] => (*addr, None),
        _ => return Err(bad("usage: gro_receiver ADDR | --self-test BYTES".into())),
    };
    let socket = UdpSocket::bind(bind)?;
    let gro = match socket.set_gro(true) {
        Ok(()) => "on",
        Err(e) => {
            eprintln!("gro_receiver: no GRO ({e}); receiving datagram by datagram");
            "off"
        }
    };
    if socket.local_addr()?.is_ipv4() {
        socket.set_recv_tos_v4(true)?;
    } else {
        socket.set_recv_tclass_v6(true)?;
    }
    if let Some(total) = self_test {
        // A GSO sender in the same process: 1200-byte datagrams marked ECT(0), then END.
        socket.set_read_timeout(Some(Duration::from_secs(5)))?;
        let tx = UdpSocket::bind("127.0.0.1:0")?;
        let to = socket.local_addr()?;
        let data = vec![0xCD; total];
        // Up to 64 segments per send, within one datagram's payload limit: 54 of 1,200 bytes.
        let per_send = tx.max_gso_segments().min(datagrams::MAX_PAYLOAD_V4 / 1200);
        for chunk in data.chunks(per_send * 1200) {
            tx.send_msg(&Transmit::new(to, chunk).segment_size(1200).ecn(Ecn::Ect0))?;
        }
        tx.send_to(b"END", to)?;
    } else {
        println!(
            "gro_receiver: listening on {}, GRO {gro}",
            socket.local_addr()?
        );
    }
    let t = receive_all(&socket)?;
    println!(
        "gro_receiver: {} datagrams, {} bytes, {} ECT(0)",
        t.datagrams, t.bytes, t.ect0
    );
    eprintln!("gro_receiver: {} receive calls, GRO {gro}", t.receives);
    Ok(())
}

fn parse(s: &str) -> io::Result<usize> {
    match s.parse() {
        Ok(0) | Err(_) => Err(bad(format!("{s:?}: not a positive number"))),
        Ok(n) => Ok(n),
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
