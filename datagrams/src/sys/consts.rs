//! The kernel's option and control-message numbers that dgram uses and that not every libc target
//! defines, in one place (Linux uapi values; asm-generic, x86_64 and arm64 alike).

/// `SOL_UDP` option and control message: the GSO segment size (`linux/udp.h`, Linux 4.18).
pub(crate) const UDP_SEGMENT: libc::c_int = 103;
/// `SOL_UDP` option and control message: GRO on receive (`linux/udp.h`, Linux 5.0).
pub(crate) const UDP_GRO: libc::c_int = 104;
/// `SOL_UDP` option: hold sends until uncorked (`linux/udp.h`).
pub(crate) const UDP_CORK: libc::c_int = 1;
/// `SOL_SOCKET` option and control message: receive timestamps as `timespec` (`asm/socket.h`).
pub(crate) const SO_TIMESTAMPNS: libc::c_int = 35;
/// `SOL_SOCKET` option and control message: the receive queue's drop counter (`asm/socket.h`).
pub(crate) const SO_RXQ_OVFL: libc::c_int = 40;
/// `SOL_SOCKET` control message: the sender's pidfd (`linux/socket.h`, Linux 6.5).
pub(crate) const SCM_PIDFD: libc::c_int = 0x04;
/// `IPPROTO_IP` option: the path MTU of a connected socket (`linux/in.h`).
pub(crate) const IP_MTU: libc::c_int = 14;
/// `IPPROTO_IPV6` option: path MTU discovery (`linux/in6.h`).
pub(crate) const IPV6_MTU_DISCOVER: libc::c_int = 23;
/// `IPPROTO_IPV6` option: the path MTU of a connected socket (`linux/in6.h`).
pub(crate) const IPV6_MTU: libc::c_int = 24;
/// `SOL_SOCKET` option and control message (`SCM_TIMESTAMPING`): timestamps on receive and transmit,
/// reported as `struct scm_timestamping` of three `timespec`s (`asm/socket.h`, `SO_TIMESTAMPING_OLD`
/// on 64-bit targets).
pub(crate) const SO_TIMESTAMPING: libc::c_int = 37;
/// `ee_info` of a transmit timestamp: the datagram left through the device (`linux/errqueue.h`).
pub(crate) const SCM_TSTAMP_SND: u32 = 0;
/// `ee_info` of a transmit timestamp: the datagram entered the packet scheduler.
pub(crate) const SCM_TSTAMP_SCHED: u32 = 1;
/// `ee_info` of a transmit timestamp: the peer acknowledged the data (TCP only).
pub(crate) const SCM_TSTAMP_ACK: u32 = 2;
