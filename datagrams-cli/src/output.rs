//! How a received datagram is printed: text, hex or JSON lines.

use std::fmt::{Display, Write as _};
use std::io::Write;

use clap::ValueEnum;

use datagrams::escape_bytes as text;

/// The format of one printed datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// `SENDER SIZE TEXT`, with control characters escaped.
    #[default]
    Text,
    /// `SENDER SIZE HEX`.
    Hex,
    /// One JSON object per line: from, size, truncated, text (escaped as in text), hex (and drops, time when known).
    Json,
    /// The payload bytes only, nothing between datagrams (on standard output, `listen` says
    /// `listening on ...` on standard error instead).
    Raw,
}

/// Where a receiving command writes: standard output, or a file (`--output`).
pub(crate) struct Sink {
    out: Box<dyn Write>,
    to_stdout: bool,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("to_stdout", &self.to_stdout)
            .finish_non_exhaustive()
    }
}

impl Sink {
    /// Standard output, or the file at `path` (created, or truncated).
    pub(crate) fn open(path: Option<&std::path::Path>) -> Result<Sink, String> {
        Ok(match path {
            None => Sink {
                out: Box::new(std::io::stdout()),
                to_stdout: true,
            },
            Some(p) => Sink {
                out: Box::new(
                    std::fs::File::create(p)
                        .map_err(|e| format!("cannot create {}: {e}", p.display()))?,
                ),
                to_stdout: false,
            },
        })
    }

    /// Writes one line.
    pub(crate) fn line(&mut self, l: &str) -> Result<(), String> {
        self.bytes(format!("{l}\n").as_bytes())
    }

    /// Writes `b` as they are, at once. A closed standard output ends the program quietly (an
    /// empty error), as `print_line` does.
    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<(), String> {
        match self.out.write_all(b).and_then(|()| self.out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && self.to_stdout => {
                Err(String::new())
            }
            Err(e) => Err(format!("cannot write the output: {e}")),
        }
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One line describing a datagram of `full_len` bytes from `from`, whose first bytes are `data`.
pub(crate) fn line(format: Format, from: &dyn Display, data: &[u8], full_len: usize) -> String {
    let truncated = full_len > data.len();
    let mut l = match format {
        // Raw output has no line: its caller writes the bytes themselves.
        Format::Text | Format::Raw => format!("{from} {full_len} {}", text(data)),
        Format::Hex => format!("{from} {full_len} {}", hex(data)),
        Format::Json => serde_json::json!({
            "from": from.to_string(),
            "size": full_len,
            "truncated": truncated,
            "text": text(data),
            "hex": hex(data),
        })
        .to_string(),
    };
    // Text and hex say it in words; JSON has its `truncated` field.
    if truncated && format != Format::Json {
        let _ = write!(l, " [truncated to {} bytes]", data.len());
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let from: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(line(Format::Text, &from, b"hi\n", 3), "127.0.0.1:9 3 hi\\n");
        assert_eq!(line(Format::Hex, &from, b"hi\n", 3), "127.0.0.1:9 3 68690a");
        assert_eq!(
            line(Format::Text, &from, b"ab", 5),
            "127.0.0.1:9 5 ab [truncated to 2 bytes]"
        );
        assert_eq!(
            line(Format::Hex, &from, b"ab", 5),
            "127.0.0.1:9 5 6162 [truncated to 2 bytes]"
        );
        let v: serde_json::Value =
            serde_json::from_str(&line(Format::Json, &from, b"\x00a", 2)).unwrap();
        assert_eq!(v["from"], "127.0.0.1:9");
        assert_eq!(v["size"], 2);
        assert_eq!(v["truncated"], false);
        assert_eq!(v["text"], "\\x00a");
        assert_eq!(v["hex"], "0061");
        // One grammar for every byte (NUL was `\u{0}` beside `\x00`, 0xff was U+FFFD); bidi
        // controls and line separators escaped.
        assert_eq!(
            line(
                Format::Text,
                &from,
                "\0\u{ff}\\\u{202e}\u{2028}".as_bytes(),
                9
            ),
            "127.0.0.1:9 9 \\x00\u{ff}\\\\\\xe2\\x80\\xae\\xe2\\x80\\xa8"
        );
        assert_eq!(
            line(Format::Text, &from, b"\xff\xfe", 2),
            "127.0.0.1:9 2 \\xff\\xfe"
        );
    }
}
