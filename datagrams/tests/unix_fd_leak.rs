//! No descriptor leaks on any path of descriptor passing: 10,000 passes, a third of them truncated,
//! and the count of open descriptors in `/proc/self/fd` does not grow. Alone in its own test binary so
//! that no other test opens descriptors meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::IoSlice;
use std::os::fd::{AsFd, OwnedFd};

use datagrams::{MsgFlags, UnixDatagram};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn ten_thousand_passes_leak_nothing() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let (_r, w) = std::io::pipe().unwrap();
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(2);
    let mut buf = [0u8; 16];
    // warm up: let every lazily opened descriptor of the runtime exist before counting
    a.send_with_fds(b"warm", &[w.as_fd()]).unwrap();
    b.recv_with_fds(&mut buf, &mut fds).unwrap();
    fds.clear();
    let before = open_fds();
    let (mut passed, mut truncated) = (0, 0);
    for i in 0..10_000u32 {
        match i % 3 {
            // two descriptors, room for two
            0 => {
                a.send_with_fds(b"two", &[w.as_fd(), w.as_fd()]).unwrap();
                let meta = b.recv_with_fds(&mut buf, &mut fds).unwrap();
                assert!(!meta.control_truncated);
                assert_eq!(fds.len(), 2);
                passed += 1;
            }
            // three descriptors, room for two: all three closed
            1 => {
                a.send_with_fds(b"three", &[w.as_fd(), w.as_fd(), w.as_fd()])
                    .unwrap();
                let meta = b.recv_with_fds(&mut buf, &mut fds).unwrap();
                assert!(meta.control_truncated);
                assert!(fds.is_empty());
                truncated += 1;
            }
            // descriptors to a receive with no room, with credentials on the side
            _ => {
                a.send_msg(
                    &[IoSlice::new(b"x")],
                    None,
                    &[w.as_fd(); 5],
                    None,
                    MsgFlags::empty(),
                )
                .unwrap();
                let meta = b.recv_msg(&mut buf).unwrap();
                assert!(meta.control_truncated);
                truncated += 1;
            }
        }
        fds.clear();
    }
    assert_eq!((passed, truncated), (3334, 6666));
    assert_eq!(open_fds(), before, "descriptors leaked");
}
