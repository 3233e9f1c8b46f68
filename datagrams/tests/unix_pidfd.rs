//! A Unix socket adopted from another program with `SO_PASSPIDFD` on gets a pidfd (`SCM_PIDFD`) with
//! every datagram it receives; dgram reports none, so it must close each. The socket comes from a
//! Python peer through descriptor passing, and the count of pidfds in `/proc/self/fd` must not grow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::fd::OwnedFd;

use common::{Child, python};
use datagrams::{UnixAddr, UnixDatagram};

/// The pidfds this process holds (`anon_inode:[pidfd]`, or `pidfd:[...]` with pidfs): counting only
/// them keeps the peer's pipes, which close when it exits, out of the count.
fn open_pidfds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .filter(|target| target.to_string_lossy().contains("pidfd"))
        .count()
}

#[test]
fn pidfds_that_arrive_with_datagrams_are_closed() {
    let name = format!("dgram-pidfd-{}", std::process::id());
    let me = UnixDatagram::bind(UnixAddr::from_abstract_name(&name).unwrap()).unwrap();
    me.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let mut peer = Child::spawn(&mut python(
        "unix_peer.py",
        &["pidfd-socket", &format!("@{name}"), "20"],
    ));
    let said = peer.line();
    if let Some(why) = said.strip_prefix("unsupported ") {
        common::skip_kernel_lacks(
            "pidfds_that_arrive_with_datagrams_are_closed",
            "SO_PASSPIDFD (Linux 6.5)",
            &format!("setsockopt in the Python peer: {why}"),
        );
        return;
    }
    assert_eq!(said, "sent 20");
    let mut buf = [0u8; 16];
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(1);
    let meta = me.recv_with_fds(&mut buf, &mut fds).unwrap();
    assert_eq!((&buf[..meta.len], fds.len()), (&b"socket"[..], 1));
    let adopted = UnixDatagram::try_from(fds.pop().unwrap()).unwrap();
    adopted.set_read_timeout(Some(common::PATIENCE)).unwrap();
    let before = open_pidfds();
    // every receive that offers the kernel a control area: metadata, descriptors, credentials
    let mut room: Vec<OwnedFd> = Vec::with_capacity(4);
    for i in 0..20 {
        let meta = match i % 2 {
            0 => adopted.recv_msg(&mut buf).unwrap(),
            _ => adopted.recv_with_fds(&mut buf, &mut room).unwrap(),
        };
        assert_eq!(&buf[..meta.len], format!("pidfd {i}").as_bytes());
        assert!(room.is_empty(), "a pidfd reported as a passed descriptor");
    }
    assert_eq!(open_pidfds(), before, "pidfds leaked");
}
