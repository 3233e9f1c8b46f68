//! The READMEs and the crate front page name only calls that exist: every snake_case name in
//! backticks (`recv_batch`, `UdpSocket::unbound(..)`, `set_multicast_all_v4`/`_v6`, where `_v6`
//! stands for `set_multicast_all_v6`) must be a function, method, field or module of the library or
//! the command, or one of the few std, tokio and kernel names listed here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Names the docs mention that belong to std, tokio or the kernel, not to this project.
const FOREIGN: &[&str] = &[
    "from_std", // tokio's constructor, mirrored by ours
    "into_std", // std/tokio conversions, mirrored by ours
    "msg_name", // the kernel's `struct msghdr` field
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `fn NAME`, `pub NAME:` field and `mod NAME` in the Rust files under `dir`.
fn defined(dir: &Path, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            defined(&path, names);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                let line = line.trim_start();
                for prefix in [
                    "pub fn ",
                    "fn ",
                    "pub const fn ",
                    "const fn ",
                    "pub async fn ",
                    "async fn ",
                    "pub mod ",
                    "mod ",
                ] {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        names.insert(ident(rest).to_string());
                    }
                }
                if let Some(rest) = line.strip_prefix("pub ")
                    && let Some((field, _)) = rest.split_once(':')
                    && field
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    names.insert(field.to_string());
                }
            }
        }
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The names a text mentions in backticks, with `_suffix` shorthands expanded. Code blocks are
/// skipped (the compiler checks those), and so is every cell of a table row but the last (the
/// seeds' own names: Node's, Emilua's, Racket's calls).
fn mentioned(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        let line = line.trim_start_matches("//!").trim();
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose = match line.strip_prefix('|') {
            Some(row) => row.trim_end_matches('|').rsplit('|').next().unwrap_or(""),
            None => line,
        };
        mentioned_in_line(prose, &mut out);
    }
    out
}

fn mentioned_in_line(line: &str, out: &mut Vec<String>) {
    let mut previous: Option<String> = None;
    for (i, span) in line.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        if let Some(short) = span.strip_prefix('_').map(ident)
            && is_snake(short)
            && let Some(prev) = &previous
        {
            // `_v6` after `set_multicast_all_v4`: the last segments replaced by the shorthand's
            let k = short.split('_').count();
            let segments: Vec<&str> = prev.split('_').collect();
            if segments.len() > k {
                out.push(format!(
                    "{}_{short}",
                    segments[..segments.len() - k].join("_")
                ));
            }
            continue;
        }
        // the leading path: `UdpSocket::unbound(Family)` -> `UdpSocket::unbound`
        let end = span
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(span.len());
        let path = &span[..end];
        let rest = &span[end..];
        let last = path.rsplit("::").next().unwrap_or("");
        // `sendmmsg(2)` is a man page; `try_*` a family of names; `net.core.x` a sysctl
        let man_page = rest.len() > 1
            && rest.starts_with('(')
            && rest[1..].starts_with(|c: char| c.is_ascii_digit());
        let not_a_name = matches!(rest.chars().next(), Some('.' | '-' | '/' | '!' | '@' | '*'));
        if man_page || not_a_name || !is_snake(last) || last.ends_with('_') {
            previous = None;
            continue;
        }
        if last.contains('_') || rest.starts_with('(') || path.contains("::") {
            out.push(last.to_string());
            previous = Some(last.to_string());
        }
    }
}

#[test]
fn the_docs_name_only_calls_that_exist() {
    let root = root();
    let mut names: BTreeSet<String> = FOREIGN.iter().map(|s| s.to_string()).collect();
    defined(&root.join("datagrams/src"), &mut names);
    defined(&root.join("datagrams-cli/src"), &mut names);
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in [
        "README.md",
        "datagrams/README.md",
        "datagrams-cli/README.md",
        "datagrams/src/lib.rs",
    ] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for name in mentioned(&text) {
            checked += 1;
            if !names.contains(&name) {
                missing.push(format!("{doc}: `{name}`"));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} names found: the parser is broken"
    );
    assert!(
        missing.is_empty(),
        "names the docs mention that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_parser_expands_shorthands_and_skips_what_is_not_a_call() {
    let text = "`set_multicast_all_v4`/`_v6`, `UdpSocket::unbound(Family)`, `recv_from`, \
                `net.core.rmem_max`, `MSG_TRUNC`, `dgram listen`, `join_multicast_v4_n`/`_v6_n(g)`, \
                `udp-send`, `close()`, `sendmmsg(2)`, `try_*`\n\
                | Emilua | `receive_from` | `recv_from` |\n\
                ```rust\nlet x = `not_checked`;\n```";
    assert_eq!(
        mentioned(text),
        [
            "set_multicast_all_v4",
            "set_multicast_all_v6",
            "unbound",
            "recv_from",
            "join_multicast_v4_n",
            "join_multicast_v6_n",
            "close",
            "recv_from"
        ]
    );
}
