//! `Interface`: the parser (`FromStr`) over arbitrary text, and interfaces built from an index or
//! an IPv4 address. Every interface the parser or the conversions give prints in a form that parses
//! back to the same interface; an index needs no lookup.
//!
//! Input: one byte (text, an index, or an address), then the text or bytes.
#![no_main]

use std::net::Ipv4Addr;

use datagrams::Interface;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let iface = match mode % 3 {
        0 => {
            let text = String::from_utf8_lossy(bytes);
            match text.parse::<Interface>() {
                Ok(i) => {
                    if let Interface::Name(n) = &i {
                        // a name is what is left after the scope syntax: never empty, never a number
                        assert!(!n.is_empty() && n.parse::<u32>().is_err() && !n.contains('%'));
                    }
                    i
                }
                Err(_) => return,
            }
        }
        1 => {
            let Some(b) = bytes.first_chunk::<4>() else {
                return;
            };
            Interface::from(u32::from_ne_bytes(*b))
        }
        _ => {
            let Some(b) = bytes.first_chunk::<4>() else {
                return;
            };
            Interface::from(Ipv4Addr::from(*b))
        }
    };
    let printed = iface.to_string();
    let parsed: Interface = printed
        .parse()
        .unwrap_or_else(|e| panic!("{iface:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(parsed, iface, "printed as {printed:?}");
    match iface {
        Interface::Any => assert_eq!(iface.index().unwrap(), 0),
        Interface::Index(i) => assert_eq!(iface.index().unwrap(), i),
        // a name would be a lookup (if_nametoindex): not the parser's business
        Interface::Name(_) | Interface::Addr(_) => {}
    }
});
