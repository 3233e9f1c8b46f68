//! Encode, then decode: `cmsg::Encoder` writes messages derived from the input into an area of a
//! size derived from the input; each push fits exactly when its `CMSG_SPACE` is left, and both walks
//! (slice and kernel-filled) give back exactly the level, type and data of the messages that fit, in
//! order, at the offsets `CMSG_*` arithmetic gives; the typed pushes decode to what they carry.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use datagrams::fuzzing::{self, Push, Value};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// The most descriptors one message carries (`SCM_MAX_FD`); the encoder takes no more.
const MAX_FDS: usize = 253;
/// `UDP_SEGMENT` (GSO), which the receive decoder does not type.
const UDP_SEGMENT: i32 = 103;

/// A message as the walk should give it back: level, type, data.
type Message = (i32, i32, Vec<u8>);

/// One push and the message it should give, with its typed value if known.
fn push<'a>(u: &mut Unstructured<'a>) -> Result<(Push<'a>, Message, Option<Value>)> {
    Ok(match u.choose_index(7)? {
        0 => {
            let (level, kind) = (u.arbitrary()?, u.arbitrary()?);
            let n = u.int_in_range(0..=600)?;
            let data = u.bytes(n.min(u.len()))?;
            (
                Push::Raw(level, kind, data),
                (level, kind, data.to_vec()),
                None,
            )
        }
        1 => {
            let n = u.int_in_range(0..=300)?;
            let fds: Vec<u8> = (0..n.min(MAX_FDS))
                .flat_map(|i| (i as i32 % 3).to_ne_bytes())
                .collect();
            let v = Value::Rights(fds.len());
            (
                Push::Fds(n),
                (libc::SOL_SOCKET, libc::SCM_RIGHTS, fds),
                Some(v),
            )
        }
        2 => {
            let (pid, uid, gid): (i32, u32, u32) = u.arbitrary()?;
            let mut d = pid.to_ne_bytes().to_vec();
            d.extend(uid.to_ne_bytes());
            d.extend(gid.to_ne_bytes());
            let v = Value::Cred(pid, uid, gid);
            (
                Push::Cred(pid, uid, gid),
                (libc::SOL_SOCKET, libc::SCM_CREDENTIALS, d),
                Some(v),
            )
        }
        3 => {
            let (level, kind) = *u.choose(&[
                (libc::IPPROTO_IP, libc::IP_TOS),
                (libc::IPPROTO_IPV6, libc::IPV6_TCLASS),
                (libc::IPPROTO_IP, libc::IP_TTL),
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT),
            ])?;
            let v: i32 = u.arbitrary()?;
            let typed = if kind == libc::IP_TOS || kind == libc::IPV6_TCLASS {
                Value::Tos(v as u8)
            } else {
                Value::Ttl(v as u8)
            };
            (
                Push::Int(level, kind, v),
                (level, kind, v.to_ne_bytes().to_vec()),
                Some(typed),
            )
        }
        4 => {
            let s: u16 = u.arbitrary()?;
            let msg = (libc::SOL_UDP, UDP_SEGMENT, s.to_ne_bytes().to_vec());
            (Push::Segment(s), msg, Some(Value::Other))
        }
        5 => {
            let (src, i): ([u8; 4], u32) = u.arbitrary()?;
            let src = Ipv4Addr::from(src);
            // struct in_pktinfo: ifindex, ipi_spec_dst (the source asked for), ipi_addr (zero)
            let mut d = i.to_ne_bytes().to_vec();
            d.extend(src.octets());
            d.extend([0; 4]);
            let v = Value::PacketInfo(IpAddr::V4(Ipv4Addr::UNSPECIFIED), i);
            (
                Push::PktInfoV4(src, i),
                (libc::IPPROTO_IP, libc::IP_PKTINFO, d),
                Some(v),
            )
        }
        _ => {
            let (src, i): ([u8; 16], u32) = u.arbitrary()?;
            let src = Ipv6Addr::from(src);
            let mut d = src.octets().to_vec();
            d.extend(i.to_ne_bytes());
            let v = Value::PacketInfo(IpAddr::V6(src), i);
            (
                Push::PktInfoV6(src, i),
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, d),
                Some(v),
            )
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(cap) = u.int_in_range(0..=2048usize) else {
        return;
    };
    let Ok(shift) = u.int_in_range(0..=7usize) else {
        return;
    };
    let mut pushes = Vec::new();
    let mut want = Vec::new();
    while !u.is_empty() && pushes.len() < 64 {
        let Ok(p) = push(&mut u) else { break };
        pushes.push(p.0);
        want.push((p.1, p.2));
    }
    let (area, fit) = fuzzing::encode(&pushes, cap);
    assert_eq!(fit.len(), pushes.len());

    // A push fits exactly when its CMSG_SPACE is left; what fits is written one after another.
    let mut used = 0;
    let mut expected = Vec::new();
    for ((msg, typed), fits) in want.into_iter().zip(fit) {
        let need = fuzzing::cmsg_space(msg.2.len());
        assert_eq!(
            fits,
            used + need <= cap,
            "push of {} bytes at {used} into {cap}",
            msg.2.len()
        );
        if fits {
            expected.push((used + fuzzing::cmsg_len(0), msg, typed));
            used += need;
        }
    }
    assert_eq!(area.len(), used);

    let walked = fuzzing::walk_slice(&area);
    assert_eq!(walked, fuzzing::walk_filled(&area, shift));
    assert_eq!(walked.messages.len(), expected.len(), "{walked:?}");
    for (m, (offset, (level, kind, data), typed)) in walked.messages.iter().zip(&expected) {
        assert_eq!(
            (m.offset, m.level, m.kind, &m.data),
            (*offset, *level, *kind, data)
        );
        if let Some(v) = typed {
            assert_eq!(m.value, *v);
        }
    }
});
