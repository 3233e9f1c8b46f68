//! A DNS-style client: each request carries a 16-bit id, the client waits for the reply with that id
//! under a timeout, retries a few times, and ignores stray or late replies. A tiny server is built
//! in, so the example can test itself; its `--drop-every N` loses every Nth request on purpose.
//!
//! ```sh
//! cargo run -p datagrams --example request_response -- server 127.0.0.1:5353 [--drop-every N]
//! cargo run -p datagrams --example request_response -- client 127.0.0.1:5353 NAME...
//! cargo run -p datagrams --example request_response -- --self-test 20   # 20 requests, the server drops every 3rd
//! ```
//!
//! The wire format: 2 bytes id (big-endian), then the question; a reply repeats the id, then the answer.
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use datagrams::UdpSocket;

const TIMEOUT: Duration = Duration::from_millis(200);
const TRIES: u32 = 4;

/// Answers each question with its length in bytes; drops every `drop_every`th request (0: none).
fn serve(socket: &UdpSocket, drop_every: usize, limit: Option<usize>) -> io::Result<()> {
    let mut buf = [0u8; 512];
    let mut seen = 0;
    while limit.is_none_or(|l| seen < l) {
        let meta = socket.recv_msg(&mut buf)?;
        seen += 1;
        if meta.len < 2 || meta.truncated || (drop_every != 0 && seen % drop_every == 0) {
            continue;
        }
        let answer = format!(
            "{} is {} bytes long",
            String::from_utf8_lossy(&buf[2..meta.len]),
            meta.len - 2
        );
        let mut reply = Vec::with_capacity(2 + answer.len());
        reply.extend_from_slice(&buf[..2]);
        reply.extend_from_slice(answer.as_bytes());
        socket.send_to(&reply, meta.addr)?;
    }
    Ok(())
}

/// A client with an id counter, a per-try timeout and a number of tries.
struct Client {
    socket: UdpSocket,
    next_id: u16,
    retries: u32,
}

impl Client {
    fn new(server: SocketAddr) -> io::Result<Client> {
        let socket = UdpSocket::bind(if server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        })?;
        socket.connect(server)?; // only the server's datagrams reach us
        Ok(Client {
            socket,
            next_id: 1,
            retries: 0,
        })
    }

    /// Sends `question`, waits up to `TIMEOUT` per try for the reply with the same id.
    fn ask(&mut self, question: &str) -> io::Result<String> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut request = id.to_be_bytes().to_vec();
        request.extend_from_slice(question.as_bytes());
        let mut buf = [0u8; 512];
        for attempt in 0..TRIES {
            if attempt > 0 {
                self.retries += 1;
            }
            self.socket.send(&request)?;
            let deadline = Instant::now() + TIMEOUT;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                self.socket.set_read_timeout(Some(left))?;
                match self.socket.recv(&mut buf) {
                    Ok(n) if n >= 2 && buf[..2] == id.to_be_bytes() => {
                        return Ok(String::from_utf8_lossy(&buf[2..n]).into_owned());
                    }
                    Ok(_) => continue, // a late reply to an earlier try, or garbage: not ours
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        break;
                    }
                    Err(e) => return Err(e), // e.g. ConnectionRefused: nobody listens
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no reply to {question:?} after {TRIES} tries"),
        ))
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["server", addr, rest @ ..] => {
            let drop_every = match rest {
                [] => 0,
                ["--drop-every", n] => parse(n)?,
                _ => return Err(usage()),
            };
            let socket = UdpSocket::bind(*addr)?;
            println!("request_response: serving on {}", socket.local_addr()?);
            serve(&socket, drop_every, None)
        }
        ["client", addr, names @ ..] => {
            let server = addr
                .parse()
                .map_err(|e| bad(format!("address {addr:?}: {e}")))?;
            let mut client = Client::new(server)?;
            for name in names {
                println!("{}", client.ask(name)?);
            }
            Ok(())
        }
        ["--self-test", n] => {
            let n: usize = parse(n)?;
            let server = UdpSocket::bind("127.0.0.1:0")?;
            let addr = server.local_addr()?;
            // The server runs until the process ends; it drops every 3rd request it sees.
            std::thread::spawn(move || serve(&server, 3, None));
            let mut client = Client::new(addr)?;
            let mut answered = 0;
            for i in 0..n {
                let question = format!("name{i}.example");
                let answer = client.ask(&question)?;
                if answer != format!("{question} is {} bytes long", question.len()) {
                    return Err(io::Error::other(format!("wrong answer {answer:?}")));
                }
                answered += 1;
            }
            println!(
                "request_response: {answered}/{n} answered, {} retries",
                client.retries
            );
            Ok(())
        }
        _ => Err(usage()),
    }
}

fn usage() -> io::Error {
    bad("usage: request_response server ADDR [--drop-every N] | client ADDR NAME... | --self-test COUNT".into())
}

fn parse(s: &str) -> io::Result<usize> {
    s.parse().map_err(|e| bad(format!("{s:?}: {e}")))
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
