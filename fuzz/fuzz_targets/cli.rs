//! The CLI's parsers and escaper, from `datagrams-cli/src` (a binary crate: its modules are included
//! here by path, see `fuzz/Cargo.toml`):
//! - the address parsers of `endpoint.rs`: `is_unix`, `unix_addr`, and `udp_dest`'s parsing with the
//!   resolver replaced by one that asks no DNS server. A destination std parses as a socket address
//!   gives exactly that address; a bracketed scoped IPv6 destination reaches the resolver as its
//!   host and port.
//! - `with_default_port` (`dgram perf`'s `HOST[:PORT]`): an address with a port keeps it, a bare
//!   IPv6 address (scoped or not) gets the default in brackets, nothing panics.
//! - the escape grammar `dgram` prints payloads and addresses in (the library's `escape_bytes`, and
//!   `unescape_bytes`, which `dgram send --escaped` reads): one line whatever the bytes, read back
//!   to exactly the bytes; the parser on any text never panics.
//!
//! Input: one byte (an address or a datagram), then the text or bytes.
#![no_main]

use std::cell::Cell;
use std::io;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};

use datagrams::UnixAddr;
use libfuzzer_sys::fuzz_target;

#[path = "../../datagrams-cli/src/endpoint.rs"]
#[allow(dead_code)]
mod endpoint;

use endpoint::Query;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        address(&String::from_utf8_lossy(bytes));
    } else {
        datagram(bytes);
    }
});

fn address(s: &str) {
    assert_eq!(endpoint::is_unix(s), s.starts_with("unix:"));
    if endpoint::is_unix(s) {
        match (endpoint::unix_addr(s), s.parse::<UnixAddr>()) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(e), Err(_)) => assert!(e.starts_with(&format!("bad address {s}: "))),
            (a, b) => panic!("unix_addr says {a:?}, FromStr {b:?}"),
        }
        return;
    }
    let with_port = endpoint::with_default_port(s, 5201);
    if s.parse::<SocketAddr>().is_ok() {
        assert_eq!(with_port, s);
    }
    if s.parse::<Ipv6Addr>().is_ok() {
        assert_eq!(with_port.parse::<SocketAddr>().ok().map(|a| a.port()), Some(5201));
    }
    let asked = Cell::new(false);
    let r = endpoint::udp_dest_with(s, |q| {
        asked.set(true);
        resolve(s, q)
    });
    assert!(asked.get(), "the resolver was not asked");
    if let Ok(a) = s.parse::<SocketAddr>() {
        assert_eq!(r, Ok(vec![a]), "std parses {s:?} as {a}");
    }
    if let Err(e) = r {
        assert!(e.starts_with(&format!("bad address {s}: ")), "{e}");
    }
}

/// A resolver with no DNS: numeric addresses, numeric scopes, and the scope name `lo` (index 1);
/// the scope name `none` resolves to no address.
fn resolve(dest: &str, q: Query<'_>) -> io::Result<Vec<SocketAddr>> {
    let unknown = || io::Error::new(io::ErrorKind::NotFound, "no such host");
    match q {
        Query::Scoped(host, port) => {
            // the host and port as they stand in `[host]:port`
            let tail = dest
                .strip_prefix('[')
                .and_then(|r| r.strip_prefix(host))
                .and_then(|r| r.strip_prefix("]:"))
                .unwrap_or_else(|| panic!("{dest:?} asked as host {host:?}"));
            assert_eq!(tail.parse::<u16>().ok(), Some(port), "{dest:?}");
            let (ip, scope) = host.split_once('%').unwrap();
            let ip: Ipv6Addr = ip.parse().unwrap();
            let scope = match scope {
                "lo" => 1,
                "none" => return Ok(Vec::new()),
                s => s.parse::<u32>().map_err(|_| unknown())?,
            };
            Ok(vec![SocketAddrV6::new(ip, port, 0, scope).into()])
        }
        Query::Plain(q) => {
            assert_eq!(q, dest);
            q.parse::<SocketAddr>()
                .map(|a| vec![a])
                .map_err(|_| unknown())
        }
    }
}

fn datagram(bytes: &[u8]) {
    // How `dgram` shows a datagram: the library's escape grammar, lossless.
    let t = datagrams::escape_bytes(bytes);
    if let Some(c) = t.chars().find(|&c| breaks_line(c)) {
        panic!("{bytes:?} shows as {t:?}, with {c:?}, which breaks or reorders the line");
    }
    assert_eq!(
        datagrams::unescape_bytes(&t).ok().as_deref(),
        Some(bytes),
        "{bytes:?} shows as {t:?}"
    );
    // The parser (`dgram send --escaped`) on any text: no panic, and what it reads prints back
    // to text that reads the same bytes.
    let s = String::from_utf8_lossy(bytes);
    if let Ok(b) = datagrams::unescape_bytes(&s) {
        let again = datagrams::escape_bytes(&b);
        assert_eq!(
            datagrams::unescape_bytes(&again).ok().as_deref(),
            Some(&b[..]),
            "{s:?}"
        );
    }
}

/// A character that ends a line or reorders it on display.
fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{61c}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}
