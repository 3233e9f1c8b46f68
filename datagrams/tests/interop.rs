//! Real peers we did not write: Node.js's `dgram` and Python's `socket`, byte for byte, IPv4 and IPv6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::process::Command;

use common::{Child, PATIENCE, hex};
use datagrams::{Family, UdpSocket};

type Peer = fn(&str, &[&str]) -> Command;

/// Every byte value, plus a NUL-heavy tail, so no text handling can pass for byte handling.
fn payload() -> Vec<u8> {
    let mut p: Vec<u8> = (0..=255u8).rev().collect();
    p.extend_from_slice(&[0, 0, 0xff, 0x0a, 0x0d]);
    p
}

fn kind(f: Family) -> &'static str {
    match f {
        Family::V4 => "udp4",
        Family::V6 => "udp6",
    }
}

/// dgram sends to the peer, the peer reports exactly what it got and from where, and echoes it back.
fn dgram_to_peer(peer: Peer, script: &str, f: Family) {
    let mut child = Child::spawn(&mut peer(script, &["echo", kind(f)]));
    let port: u16 = child.expect("port ").parse().unwrap();
    let sock = UdpSocket::bind(SocketAddr::new(f.loopback(), 0)).unwrap();
    sock.set_read_timeout(Some(PATIENCE)).unwrap();
    let data = payload();
    sock.send_to(&data, (f.loopback(), port)).unwrap();
    let got = child.expect("got ");
    let me = sock.local_addr().unwrap();
    assert_eq!(
        got,
        format!("{} from {} {}", hex(&data), me.ip(), me.port())
    );
    let mut buf = [0u8; 1024];
    let meta = sock.recv_msg(&mut buf).unwrap();
    assert_eq!(&buf[..meta.len], &data[..]);
    assert_eq!(meta.addr, SocketAddr::new(f.loopback(), port));
    assert!(!meta.truncated);
    child.success();
}

/// The peer sends to dgram; dgram receives exactly its bytes from its port.
fn peer_to_dgram(peer: Peer, script: &str, f: Family) {
    let sock = UdpSocket::bind(SocketAddr::new(f.loopback(), 0)).unwrap();
    sock.set_read_timeout(Some(PATIENCE)).unwrap();
    let port = sock.local_addr().unwrap().port().to_string();
    let data = payload();
    let mut child = Child::spawn(&mut peer(script, &["send", kind(f), &port, &hex(&data)]));
    let from_port: u16 = child.expect("sent from ").parse().unwrap();
    let mut buf = [0u8; 1024];
    let (n, from) = sock.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], &data[..]);
    assert_eq!(from, SocketAddr::new(f.loopback(), from_port));
    child.success();
}

/// The peer asks, dgram answers on the sender's address: a request/reply round trip.
fn peer_request_dgram_reply(peer: Peer, script: &str, f: Family) {
    let sock = UdpSocket::bind(SocketAddr::new(f.loopback(), 0)).unwrap();
    sock.set_read_timeout(Some(PATIENCE)).unwrap();
    let port = sock.local_addr().unwrap().port().to_string();
    let mut child = Child::spawn(&mut peer(script, &["request", kind(f), &port, "70696e67"]));
    let from_port: u16 = child.expect("sent from ").parse().unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = sock.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from.port()), (&b"ping"[..], from_port));
    sock.send_to(b"pong\x00!", from).unwrap();
    assert_eq!(
        child.line(),
        format!(
            "reply {} from {}",
            hex(b"pong\x00!"),
            sock.local_addr().unwrap().port()
        )
    );
    child.success();
}

macro_rules! peers {
    ($($name:ident: $peer:expr, $script:expr, $body:ident, $fam:ident;)*) => {
        $( #[test] fn $name() { $body($peer, $script, Family::$fam) } )*
    };
}

peers! {
    node_receives_from_dgram_v4: common::node, "udp_peer.js", dgram_to_peer, V4;
    node_receives_from_dgram_v6: common::node, "udp_peer.js", dgram_to_peer, V6;
    node_sends_to_dgram_v4: common::node, "udp_peer.js", peer_to_dgram, V4;
    node_sends_to_dgram_v6: common::node, "udp_peer.js", peer_to_dgram, V6;
    node_request_dgram_reply_v4: common::node, "udp_peer.js", peer_request_dgram_reply, V4;
    node_request_dgram_reply_v6: common::node, "udp_peer.js", peer_request_dgram_reply, V6;
    python_receives_from_dgram_v4: common::python, "udp_peer.py", dgram_to_peer, V4;
    python_receives_from_dgram_v6: common::python, "udp_peer.py", dgram_to_peer, V6;
    python_sends_to_dgram_v4: common::python, "udp_peer.py", peer_to_dgram, V4;
    python_sends_to_dgram_v6: common::python, "udp_peer.py", peer_to_dgram, V6;
    python_request_dgram_reply_v4: common::python, "udp_peer.py", peer_request_dgram_reply, V4;
    python_request_dgram_reply_v6: common::python, "udp_peer.py", peer_request_dgram_reply, V6;
}
