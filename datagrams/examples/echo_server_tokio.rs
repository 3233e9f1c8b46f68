//! An async UDP echo server: one socket serves many clients, with one buffer reused for every
//! datagram (no allocation per datagram).
//!
//! ```sh
//! cargo run -p datagrams --example echo_server_tokio -- 127.0.0.1:7777        # serve until killed
//! cargo run -p datagrams --example echo_server_tokio -- --self-test 8 50      # 8 clients x 50 datagrams, then exit
//! ```
use std::time::Duration;

use datagrams::tokio::UdpSocket;

/// Echoes datagrams until `limit` of them have been echoed (forever with `None`).
async fn serve(socket: &UdpSocket, limit: Option<usize>) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 65_536]; // allocated once, reused for every datagram
    let mut echoed = 0;
    while limit.is_none_or(|l| echoed < l) {
        let (len, from) = socket.recv_from(&mut buf).await?;
        socket.send_to(&buf[..len], from).await?;
        echoed += 1;
    }
    Ok(echoed)
}

/// One client: sends `count` datagrams one after the other, checking each echo.
async fn client(server: std::net::SocketAddr, id: usize, count: usize) -> std::io::Result<usize> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    socket.connect(server).await?;
    let mut buf = [0u8; 64];
    for i in 0..count {
        let msg = format!("client {id} datagram {i}");
        socket.send(msg.as_bytes()).await?;
        let len = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no echo"))??;
        if &buf[..len] != msg.as_bytes() {
            return Err(std::io::Error::other(format!(
                "echo of {msg:?} came back different"
            )));
        }
    }
    Ok(count)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--self-test", clients, count] => {
            let clients: usize = parse(clients)?;
            let count: usize = parse(count)?;
            let server = UdpSocket::bind("127.0.0.1:0").await?;
            let addr = server.local_addr()?;
            let server = tokio::spawn(async move { serve(&server, Some(clients * count)).await });
            let tasks: Vec<_> = (0..clients)
                .map(|id| tokio::spawn(client(addr, id, count)))
                .collect();
            let mut answered = 0;
            for task in tasks {
                answered += task.await.map_err(std::io::Error::other)??;
            }
            let echoed = server.await.map_err(std::io::Error::other)??;
            println!("echo_server_tokio: {clients} clients, {answered} answered, {echoed} echoed");
            Ok(())
        }
        [addr] => {
            let socket = UdpSocket::bind(*addr).await?;
            println!("echo_server_tokio: listening on {}", socket.local_addr()?);
            serve(&socket, None).await.map(drop)
        }
        _ => Err(bad(
            "usage: echo_server_tokio ADDR | --self-test CLIENTS COUNT".into(),
        )),
    }
}

fn parse(s: &str) -> std::io::Result<usize> {
    s.parse().map_err(|e| bad(format!("{s:?}: {e}")))
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}
