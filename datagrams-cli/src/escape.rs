//! How a datagram's bytes are shown as text. No dependency beyond std: the fuzz target in `fuzz/`
//! includes this file.

/// The bytes as one line of text that reads back to them: UTF-8 where valid (an invalid sequence
/// shows as U+FFFD), with `char::escape_default`'s escapes (`\n`, `\t`, `\u{7f}`, ...) for a
/// backslash, control characters, and the characters that break or reorder a line on display (the
/// line and paragraph separators and the bidirectional controls), as `UnixAddr` prints them.
pub(crate) fn text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for c in String::from_utf8_lossy(bytes).chars() {
        if c == '\\' || breaks_line(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A character that ends a line or reorders it on display.
fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::text;

    /// Found by the `cli` fuzz target: a backslash was shown as it is, so a datagram holding the
    /// two characters `\n` showed as one holding a newline; and U+2028 or U+202E passed through,
    /// breaking or reordering the line.
    #[test]
    fn a_line_reads_back_to_its_bytes_alone() {
        assert_eq!(text(b"a\nb"), "a\\nb");
        assert_eq!(text(b"a\\nb"), "a\\\\nb");
        assert_eq!(text(b"\\\xdf"), "\\\\\u{fffd}");
        assert_eq!(
            text("x\u{2028}y\u{202e}z".as_bytes()),
            "x\\u{2028}y\\u{202e}z"
        );
        assert_eq!(text(b"\x00\x7f\t\r"), "\\u{0}\\u{7f}\\t\\r");
        assert_eq!(
            text("h\u{e9}llo w\u{f6}rld".as_bytes()),
            "h\u{e9}llo w\u{f6}rld"
        );
    }
}
