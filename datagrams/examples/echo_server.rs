//! A blocking UDP echo server: every datagram goes back to its sender.
//!
//! ```sh
//! cargo run -p datagrams --example echo_server -- 127.0.0.1:7777   # serve until killed
//! cargo run -p datagrams --example echo_server -- --self-test 100  # echo 100 datagrams of its own client, then exit
//! ```
use std::time::Duration;

use datagrams::UdpSocket;

/// Echoes datagrams until `limit` of them have been echoed (forever with `None`).
fn serve(socket: &UdpSocket, limit: Option<usize>) -> std::io::Result<usize> {
    let mut buf = [0u8; 65_536];
    let mut echoed = 0;
    while limit.is_none_or(|l| echoed < l) {
        let meta = socket.recv_msg(&mut buf)?;
        if meta.truncated {
            eprintln!(
                "{}: {} bytes, cut to {}",
                meta.addr, meta.full_len, meta.len
            );
        }
        socket.send_to(&buf[..meta.len], meta.addr)?;
        echoed += 1;
    }
    Ok(echoed)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--self-test", n] => {
            let n: usize = n.parse().map_err(|e| bad(format!("count {n:?}: {e}")))?;
            let server = UdpSocket::bind("127.0.0.1:0")?;
            let addr = server.local_addr()?;
            let thread = std::thread::spawn(move || serve(&server, Some(n)));

            let client = UdpSocket::bind("127.0.0.1:0")?;
            client.connect(addr)?;
            client.set_read_timeout(Some(Duration::from_secs(5)))?;
            let mut buf = [0u8; 64];
            let mut bytes = 0;
            for i in 0..n {
                let msg = format!("datagram {i}");
                client.send(msg.as_bytes())?;
                let len = client.recv(&mut buf)?;
                if &buf[..len] != msg.as_bytes() {
                    return Err(bad(format!("echo of {msg:?} came back different")));
                }
                bytes += len;
            }
            let echoed = thread
                .join()
                .map_err(|_| std::io::Error::other("the server thread panicked"))??;
            println!("echo_server: echoed {echoed} datagrams, {bytes} bytes");
            Ok(())
        }
        [addr] => {
            let socket = UdpSocket::bind(*addr)?;
            println!("echo_server: listening on {}", socket.local_addr()?);
            serve(&socket, None).map(drop)
        }
        _ => Err(bad("usage: echo_server ADDR | --self-test COUNT".into())),
    }
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}
