//! `UnixAddr`: the parser (`FromStr`) over arbitrary text, and addresses built from arbitrary bytes
//! (`from_pathname`, `from_abstract_name`). Every address that exists prints as one line, in a form
//! that parses back to the same address and prints the same again; it goes through the kernel's form
//! and back unchanged; and the constructors accept exactly what fits `sun_path`.
//!
//! Input: one byte (text to parse, a pathname, or an abstract name), then the text or bytes.
#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use datagrams::fuzzing;
use datagrams::{MAX_ABSTRACT_NAME_LEN, MAX_PATHNAME_LEN, UnixAddr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let addr = match mode % 3 {
        0 => {
            let text = String::from_utf8_lossy(bytes);
            let r = text.parse::<UnixAddr>();
            if !text.starts_with("unix:") {
                assert!(r.is_err());
            }
            r
        }
        1 => {
            let r = UnixAddr::from_pathname(OsStr::from_bytes(bytes));
            let fits = !bytes.is_empty() && !bytes.contains(&0) && bytes.len() <= MAX_PATHNAME_LEN;
            assert_eq!(r.is_ok(), fits, "pathname of {} bytes", bytes.len());
            if let Ok(a) = &r {
                assert_eq!(
                    a.as_pathname().map(|p| p.as_os_str().as_bytes()),
                    Some(bytes)
                );
            }
            r
        }
        _ => {
            let r = UnixAddr::from_abstract_name(bytes);
            assert_eq!(r.is_ok(), bytes.len() <= MAX_ABSTRACT_NAME_LEN);
            if let Ok(a) = &r {
                assert_eq!(a.as_abstract_name(), Some(bytes));
            }
            r
        }
    };
    let Ok(a) = addr else {
        return;
    };
    // exactly one kind
    let kinds = [
        a.as_pathname().is_some(),
        a.as_abstract_name().is_some(),
        a.is_unnamed(),
    ];
    assert_eq!(kinds.iter().filter(|&&k| k).count(), 1, "{a:?}");

    let printed = a.to_string();
    assert!(printed.starts_with("unix:"));
    if let Some(c) = printed.chars().find(|&c| breaks_line(c)) {
        panic!("{a:?} prints {c:?}, which breaks or reorders the line: {printed:?}");
    }
    let parsed: UnixAddr = printed
        .parse()
        .unwrap_or_else(|e| panic!("{a:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(parsed, a, "printed as {printed:?}");
    assert_eq!(parsed.to_string(), printed);
    let _ = format!("{a:?}");
    assert_eq!(fuzzing::unix_raw_round_trip(a).unwrap(), a);
});

/// A character that ends a line or reorders it on display: what `Display` escapes.
fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{61c}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}
