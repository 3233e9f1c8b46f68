//! One escape grammar for bytes shown as text: the one [`UnixAddr`](crate::UnixAddr) prints and
//! parses, and the `dgram` command uses for payloads and addresses.

use std::fmt;
use std::io;

/// The bytes as one line of text that reads back to them with [`unescape_bytes`]: valid UTF-8
/// as it is, except `\\` for a backslash, `\n`, `\r` and `\t`, and `\xNN` for every byte of a
/// control character, of a character that breaks or reorders a line on display (U+2028, U+2029,
/// the bidirectional controls U+061C, U+200E, U+200F, U+202A–U+202E and U+2066–U+2069) and of invalid
/// UTF-8.
///
/// # Examples
/// ```
/// assert_eq!(datagrams::escape_bytes(b"a\\b\n\x00\xff"), r"a\\b\n\x00\xff");
/// assert_eq!(datagrams::escape_bytes("h\u{e9}llo".as_bytes()), "h\u{e9}llo");
/// assert_eq!(datagrams::escape_bytes("x\u{202e}y".as_bytes()), r"x\xe2\x80\xaey");
/// ```
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut s, bytes);
    s
}

/// Writes `bytes` as [`escape_bytes`] does, to any text sink (a `Formatter`, for `Display`).
pub(crate) fn write_escaped(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if breaks_line(c) => {
                    let mut utf8 = [0u8; 4];
                    for b in c.encode_utf8(&mut utf8).bytes() {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                c => f.write_char(c)?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

/// A control character, or one that ends a line or reorders it on display.
fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{61c}' | '\u{200e}' | '\u{200f}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// The bytes `s` stands for, with the escapes of [`escape_bytes`] read: `\\`, `\n`, `\r`, `\t`,
/// `\xNN` (any byte), and also `\0`, `\'` and `\"`. Every other character stands for its UTF-8
/// bytes.
///
/// # Errors
/// `InvalidInput` quoting `s` for a backslash not followed by one of those escapes, or `\x` not
/// followed by two hex digits.
///
/// # Examples
/// ```
/// assert_eq!(datagrams::unescape_bytes(r"a\\b\n\x00\xff")?, b"a\\b\n\x00\xff");
/// assert!(datagrams::unescape_bytes(r"\q").is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn unescape_bytes(s: &str) -> io::Result<Vec<u8>> {
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad escape in {s:?}: write \\\\ for a backslash, \\xNN for a byte"),
        )
    };
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        out.push(match bytes.next() {
            Some(b'\\') => b'\\',
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'0') => 0,
            Some(b'\'') => b'\'',
            Some(b'"') => b'"',
            Some(b'x') => {
                let digit =
                    |d: Option<u8>| d.and_then(|d| char::from(d).to_digit(16)).ok_or_else(bad);
                let high = digit(bytes.next())?;
                let low = digit(bytes.next())?;
                // Two hex digits: at most 0xff.
                (high * 16 + low) as u8
            }
            _ => return Err(bad()),
        });
    }
    Ok(out)
}
