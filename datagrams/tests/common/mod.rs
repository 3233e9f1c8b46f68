//! Test support shared by the integration tests of datagrams, datagrams-cli and datagrams-bench:
//! child processes with bounded waits, the peer scripts, the root gate.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long any test waits for a peer before it fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The folder of the peer scripts (`datagrams/tests/peers`), from either crate of the workspace.
pub fn peers_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../datagrams/tests/peers"
    ))
}

/// `node tests/peers/<script> args...`
pub fn node(script: &str, args: &[&str]) -> Command {
    let mut c = Command::new("node");
    c.arg(peers_dir().join(script)).args(args);
    c
}

/// `python3 tests/peers/<script> args...`
pub fn python(script: &str, args: &[&str]) -> Command {
    let mut c = Command::new("python3");
    c.arg(peers_dir().join(script)).args(args);
    c
}

/// A child process whose stdout is read line by line with a bounded wait; killed on drop.
pub struct Child {
    child: std::process::Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    what: String,
}

impl Child {
    pub fn spawn(cmd: &mut Command) -> Child {
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (etx, stderr) = mpsc::channel();
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            let _ = etx.send(s);
        });
        Child {
            child,
            lines,
            stderr,
            what,
        }
    }

    /// The next line of stdout, waiting at most [`PATIENCE`].
    pub fn line(&mut self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(l) => l,
            Err(e) => {
                let _ = self.child.kill();
                let err = self.stderr.recv_timeout(PATIENCE).unwrap_or_default();
                panic!("{}: no line ({e:?}); stderr: {err}", self.what)
            }
        }
    }

    /// The next line, which must start with `prefix`; returns the rest.
    pub fn expect(&mut self, prefix: &str) -> String {
        let l = self.line();
        match l.strip_prefix(prefix) {
            Some(rest) => rest.to_string(),
            None => panic!(
                "{}: expected a line starting with {prefix:?}, got {l:?}",
                self.what
            ),
        }
    }

    /// Waits (bounded) for stdout to close and the process to exit; returns its status and stderr.
    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(l) => panic!("{}: unexpected line {l:?}", self.what),
            Err(RecvTimeoutError::Disconnected) => {}
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                panic!("{}: did not exit", self.what)
            }
        }
        let status = self.child.wait().unwrap();
        let err = self.stderr.recv_timeout(PATIENCE).unwrap_or_default();
        (status, err)
    }

    /// Waits for a successful exit.
    pub fn success(self) {
        let what = self.what.clone();
        let (status, err) = self.finish();
        assert!(status.success(), "{what} failed with {status}: {err}");
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The system's ceiling on the buffer size a socket may ask for without privilege: `name` is
/// `rmem_max` (receive) or `wmem_max` (send), from `/proc/sys/net/core`. A machine may set it low, so
/// tests that choose a size keep to it.
pub fn net_core_max(name: &str) -> usize {
    let path = format!("/proc/sys/net/core/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("{path}: {text:?}: {e}"))
}

/// Lowercase hex of `bytes`, as the peers print it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether this process runs as root (effective uid 0).
pub fn is_root() -> bool {
    // The effective uid is the third field of the Uid: line.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0")
}

/// Whether a test that needs root may run. Without root it prints why and returns false, unless
/// `DGRAM_REQUIRE_ROOT_TESTS=1`, which turns the skip into a failure (CI sets it).
pub fn root_or_skip(test: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("DGRAM_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
        "{test} needs root and DGRAM_REQUIRE_ROOT_TESTS=1 says it must run"
    );
    eprintln!(
        "SKIP {test}: needs root (run as root, or set DGRAM_REQUIRE_ROOT_TESTS=1 to require it)"
    );
    false
}

/// Says that `test` is skipped because the running kernel lacks `feature` (a `CONFIG_` option or
/// the call it enables), with `detail` telling what showed it. A kernel is what the machine has,
/// not something a test run can supply, so this is a skip root or not, also under
/// `DGRAM_REQUIRE_ROOT_TESTS=1`, which is about root alone.
pub fn skip_kernel_lacks(test: &str, feature: &str, detail: &str) {
    eprintln!("SKIP {test}: kernel lacks {feature} ({detail})");
}
