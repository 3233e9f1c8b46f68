//! `--rate` and `--pacing`: who holds the rate, the kernel or the sender thread.
//!
//! The kernel paces a UDP socket only through the `fq` queueing discipline, which enforces the
//! socket's `SO_MAX_PACING_RATE`; without `fq` on the egress device a UDP socket's packets leave
//! unpaced whatever the option says. Telling a device's root qdisc needs netlink (`tc qdisc
//! show`), which `dgram` does not speak, so `--pacing auto` (the default) uses a heuristic: the
//! kernel paces when the destination is not a loopback address (the loopback device has no
//! qdisc) and `net.core.default_qdisc` is `fq` (what devices with a queue get when they come up);
//! user space paces otherwise. A device whose qdisc `tc` changed, or one without a queue (a veth:
//! `noqueue`), fools it: `--pacing kernel` or `--pacing user` then says which. The choice is
//! printed in the header line and in the summary's `pacing` field.

use std::io;
use std::net::IpAddr;

use super::sock::Sock;

/// Who paces: `--pacing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Pacing {
    /// The kernel where the heuristic finds fq, user space otherwise.
    Auto,
    /// The kernel: SO_MAX_PACING_RATE, held by the fq qdisc (unpaced without fq).
    Kernel,
    /// The sender thread: it sleeps until each batch is due.
    User,
}

/// The name printed in the header line and the JSON summary.
pub(crate) fn name(kernel: bool) -> &'static str {
    if kernel { "kernel" } else { "user space" }
}

/// Whether the kernel paces traffic to `dest` (`None`: a Unix socket, never).
pub(crate) fn kernel_paces(asked: Pacing, dest: Option<IpAddr>) -> bool {
    match (asked, dest) {
        (_, None) | (Pacing::User, _) => false,
        (Pacing::Kernel, Some(_)) => true,
        (Pacing::Auto, Some(ip)) => {
            !ip.is_loopback()
                && std::fs::read_to_string("/proc/sys/net/core/default_qdisc")
                    .is_ok_and(|q| q.trim() == "fq")
        }
    }
}

/// Caps `sock` at `pps` datagrams/s of `len` bytes through `SO_MAX_PACING_RATE` (in bytes/s of
/// what the device sends: the IP and UDP headers counted).
pub(crate) fn apply_kernel(sock: &Sock, pps: f64, len: usize) -> io::Result<()> {
    if let Sock::Udp(s) = sock {
        let headers = match s.local_addr()?.ip() {
            IpAddr::V4(_) => 20 + 8,
            IpAddr::V6(_) => 40 + 8,
        };
        let rate = (pps * (len + headers) as f64).ceil();
        s.set_max_pacing_rate(Some(rate.min(u64::MAX as f64) as u64))?;
    }
    Ok(())
}
