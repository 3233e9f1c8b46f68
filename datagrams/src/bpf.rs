//! Classic BPF programs for socket filters (`SO_ATTACH_FILTER`) and `SO_REUSEPORT` steering
//! (`SO_ATTACH_REUSEPORT_CBPF`).

use std::io;

use crate::error::invalid_input;

/// The most instructions a classic BPF program may have (`BPF_MAXINSNS`, `linux/bpf_common.h`).
pub const BPF_MAXINSNS: usize = 4096;

// Instruction classes, sizes, modes, operations and sources (`linux/bpf_common.h`).
const LD: u16 = 0x00;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const LEN: u16 = 0x80;
const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const MOD: u16 = 0x90;
const XOR: u16 = 0xa0;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;
const K: u16 = 0x00;
const A: u16 = 0x10;
const TAX: u16 = 0x00;
const TXA: u16 = 0x80;
/// Where the kernel's extra loads begin (`SKF_AD_OFF`, `linux/filter.h`): `-0x1000` as a `u32`.
const AD_OFF: u32 = 0xffff_f000;
/// The CPU the packet is processed on (`SKF_AD_CPU`).
const AD_CPU: u32 = 36;

/// One classic BPF instruction (`struct sock_filter`, `linux/filter.h`): an opcode, two jump
/// offsets and a constant, as in `tcpdump -dd` output.
///
/// A program is a slice of these, given to [`UdpSocket::attach_filter`](crate::UdpSocket::attach_filter),
/// [`UnixDatagram::attach_filter`](crate::UnixDatagram::attach_filter) or
/// [`UdpSocket::attach_reuseport_cbpf`](crate::UdpSocket::attach_reuseport_cbpf). The constructors
/// cover the common instructions; [`new`](Self::new) takes any other (the kernel's checker refuses a
/// malformed program when it is attached). The machine has an accumulator `A`, an index register
/// `X`, and loads from the packet at byte offsets, multi-byte loads in network byte order. Jump
/// offsets count instructions from the next one. The value returned ends the program: for a
/// socket filter it is how many bytes of the packet to keep (0 drops it), for reuseport steering
/// the index of the socket in the group (see the BPF documentation, `Documentation/networking/filter.rst`).
///
/// # Examples
/// A socket filter that keeps the UDP datagrams whose first payload byte is `b'A'`: on UDP the
/// program sees the 8-byte UDP header first, so the payload starts at offset 8.
/// ```
/// use datagrams::{BpfInsn, UdpSocket};
///
/// const ONLY_A: [BpfInsn; 4] = [
///     BpfInsn::load_u8(8),                 // A = packet[8]
///     BpfInsn::jump_eq(b'A' as u32, 0, 1), // A == 'A'? the next one : skip one
///     BpfInsn::ret(u32::MAX),              // keep the whole datagram
///     BpfInsn::ret(0),                     // drop it
/// ];
/// assert_eq!(ONLY_A[0], BpfInsn::new(0x30, 0, 0, 8)); // `ldb [8]`, as `tcpdump -dd` writes it
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// rx.attach_filter(&ONLY_A)?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.send_to(b"B is dropped", rx.local_addr()?)?;
/// tx.send_to(b"A is kept", rx.local_addr()?)?;
/// let mut buf = [0u8; 16];
/// let n = rx.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"A is kept");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BpfInsn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

impl BpfInsn {
    /// Any instruction, from its raw fields: `{ code, jt, jf, k }` as `tcpdump -dd` prints them.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> BpfInsn {
        BpfInsn { code, jt, jf, k }
    }

    /// The opcode (`code`).
    pub const fn code(&self) -> u16 {
        self.code
    }

    /// The offset jumped when the condition holds (`jt`), in instructions after the next.
    pub const fn jt(&self) -> u8 {
        self.jt
    }

    /// The offset jumped when the condition fails (`jf`), in instructions after the next.
    pub const fn jf(&self) -> u8 {
        self.jf
    }

    /// The constant operand (`k`).
    pub const fn k(&self) -> u32 {
        self.k
    }

    /// `A = packet[offset]` (`ldb [k]`, `BPF_LD|BPF_B|BPF_ABS`). A load beyond the packet's end
    /// ends the program with 0.
    pub const fn load_u8(offset: u32) -> BpfInsn {
        BpfInsn::new(LD | B | ABS, 0, 0, offset)
    }

    /// `A` = the big-endian `u16` at `offset` (`ldh [k]`, `BPF_LD|BPF_H|BPF_ABS`).
    pub const fn load_u16(offset: u32) -> BpfInsn {
        BpfInsn::new(LD | H | ABS, 0, 0, offset)
    }

    /// `A` = the big-endian `u32` at `offset` (`ld [k]`, `BPF_LD|BPF_W|BPF_ABS`).
    pub const fn load_u32(offset: u32) -> BpfInsn {
        BpfInsn::new(LD | W | ABS, 0, 0, offset)
    }

    /// `A` = the packet's length in bytes (`ld #len`, `BPF_LD|BPF_W|BPF_LEN`); on UDP it counts
    /// the 8-byte header.
    pub const fn load_len() -> BpfInsn {
        BpfInsn::new(LD | W | LEN, 0, 0, 0)
    }

    /// `A = k` (`ld #k`, `BPF_LD|BPF_IMM`).
    pub const fn load_imm(k: u32) -> BpfInsn {
        BpfInsn::new(LD | W | IMM, 0, 0, k)
    }

    /// `A` = the index of the CPU processing the packet (`ld #cpu`, `SKF_AD_OFF + SKF_AD_CPU`): with
    /// [`ret_a`](Self::ret_a), reuseport steering by CPU.
    pub const fn load_cpu() -> BpfInsn {
        BpfInsn::new(LD | W | ABS, 0, 0, AD_OFF + AD_CPU)
    }

    /// `A += k` (`BPF_ALU|BPF_ADD|BPF_K`).
    pub const fn add(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | ADD | K, 0, 0, k)
    }

    /// `A -= k` (`BPF_ALU|BPF_SUB|BPF_K`).
    pub const fn sub(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | SUB | K, 0, 0, k)
    }

    /// `A *= k` (`BPF_ALU|BPF_MUL|BPF_K`).
    pub const fn mul(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | MUL | K, 0, 0, k)
    }

    /// `A /= k` (`BPF_ALU|BPF_DIV|BPF_K`); `k` must not be 0.
    pub const fn div(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | DIV | K, 0, 0, k)
    }

    /// `A %= k` (`BPF_ALU|BPF_MOD|BPF_K`); `k` must not be 0.
    pub const fn rem(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | MOD | K, 0, 0, k)
    }

    /// `A &= k` (`BPF_ALU|BPF_AND|BPF_K`).
    pub const fn and(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | AND | K, 0, 0, k)
    }

    /// `A |= k` (`BPF_ALU|BPF_OR|BPF_K`).
    pub const fn or(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | OR | K, 0, 0, k)
    }

    /// `A ^= k` (`BPF_ALU|BPF_XOR|BPF_K`).
    pub const fn xor(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | XOR | K, 0, 0, k)
    }

    /// `A <<= k` (`BPF_ALU|BPF_LSH|BPF_K`).
    pub const fn lsh(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | LSH | K, 0, 0, k)
    }

    /// `A >>= k` (`BPF_ALU|BPF_RSH|BPF_K`).
    pub const fn rsh(k: u32) -> BpfInsn {
        BpfInsn::new(ALU | RSH | K, 0, 0, k)
    }

    /// Skips `k` instructions unconditionally (`ja`, `BPF_JMP|BPF_JA`).
    pub const fn jump(k: u32) -> BpfInsn {
        BpfInsn::new(JMP | JA, 0, 0, k)
    }

    /// Skips `jt` instructions if `A == k`, else `jf` (`jeq`, `BPF_JMP|BPF_JEQ|BPF_K`).
    pub const fn jump_eq(k: u32, jt: u8, jf: u8) -> BpfInsn {
        BpfInsn::new(JMP | JEQ | K, jt, jf, k)
    }

    /// Skips `jt` instructions if `A > k`, else `jf` (`jgt`, `BPF_JMP|BPF_JGT|BPF_K`).
    pub const fn jump_gt(k: u32, jt: u8, jf: u8) -> BpfInsn {
        BpfInsn::new(JMP | JGT | K, jt, jf, k)
    }

    /// Skips `jt` instructions if `A >= k`, else `jf` (`jge`, `BPF_JMP|BPF_JGE|BPF_K`).
    pub const fn jump_ge(k: u32, jt: u8, jf: u8) -> BpfInsn {
        BpfInsn::new(JMP | JGE | K, jt, jf, k)
    }

    /// Skips `jt` instructions if `A & k != 0`, else `jf` (`jset`, `BPF_JMP|BPF_JSET|BPF_K`).
    pub const fn jump_set(k: u32, jt: u8, jf: u8) -> BpfInsn {
        BpfInsn::new(JMP | JSET | K, jt, jf, k)
    }

    /// Ends the program with `k` (`ret #k`, `BPF_RET|BPF_K`).
    pub const fn ret(k: u32) -> BpfInsn {
        BpfInsn::new(RET | K, 0, 0, k)
    }

    /// Ends the program with `A` (`ret a`, `BPF_RET|BPF_A`).
    pub const fn ret_a() -> BpfInsn {
        BpfInsn::new(RET | A, 0, 0, 0)
    }

    /// `X = A` (`tax`, `BPF_MISC|BPF_TAX`).
    pub const fn tax() -> BpfInsn {
        BpfInsn::new(MISC | TAX, 0, 0, 0)
    }

    /// `A = X` (`txa`, `BPF_MISC|BPF_TXA`).
    pub const fn txa() -> BpfInsn {
        BpfInsn::new(MISC | TXA, 0, 0, 0)
    }
}

/// `program` in the kernel's layout, once its length is checked: 1..=[`BPF_MAXINSNS`]
/// instructions, and no division by a constant 0.
///
/// # Errors
/// `InvalidInput` naming the length, or the index of the division by 0.
pub(crate) fn to_kernel(program: &[BpfInsn]) -> io::Result<Vec<libc::sock_filter>> {
    if program.is_empty() || program.len() > BPF_MAXINSNS {
        return Err(invalid_input(format!(
            "a BPF program of {} instructions: it must have 1..={BPF_MAXINSNS}",
            program.len()
        )));
    }
    program
        .iter()
        .enumerate()
        .map(|(i, insn)| {
            if insn.k == 0 && (insn.code == ALU | DIV | K || insn.code == ALU | MOD | K) {
                return Err(invalid_input(format!(
                    "BPF instruction {i} divides by the constant 0"
                )));
            }
            Ok(libc::sock_filter {
                code: insn.code,
                jt: insn.jt,
                jf: insn.jf,
                k: insn.k,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constructors against `tcpdump -dd`/`linux/filter.h` encodings.
    #[test]
    fn encodings() {
        let table = [
            (BpfInsn::load_u8(8), (0x30, 8)),
            (BpfInsn::load_u16(2), (0x28, 2)),
            (BpfInsn::load_u32(0), (0x20, 0)),
            (BpfInsn::load_len(), (0x80, 0)),
            (BpfInsn::load_imm(7), (0x00, 7)),
            (BpfInsn::load_cpu(), (0x20, 0xffff_f024)),
            (BpfInsn::add(1), (0x04, 1)),
            (BpfInsn::sub(1), (0x14, 1)),
            (BpfInsn::mul(3), (0x24, 3)),
            (BpfInsn::div(3), (0x34, 3)),
            (BpfInsn::or(1), (0x44, 1)),
            (BpfInsn::and(1), (0x54, 1)),
            (BpfInsn::lsh(1), (0x64, 1)),
            (BpfInsn::rsh(1), (0x74, 1)),
            (BpfInsn::rem(3), (0x94, 3)),
            (BpfInsn::xor(1), (0xa4, 1)),
            (BpfInsn::jump(2), (0x05, 2)),
            (BpfInsn::jump_eq(1, 0, 0), (0x15, 1)),
            (BpfInsn::jump_gt(1, 0, 0), (0x25, 1)),
            (BpfInsn::jump_ge(1, 0, 0), (0x35, 1)),
            (BpfInsn::jump_set(1, 0, 0), (0x45, 1)),
            (BpfInsn::ret(0xffff_ffff), (0x06, 0xffff_ffff)),
            (BpfInsn::ret_a(), (0x16, 0)),
            (BpfInsn::tax(), (0x07, 0)),
            (BpfInsn::txa(), (0x87, 0)),
        ];
        for (insn, (code, k)) in table {
            assert_eq!((insn.code(), insn.k()), (code, k), "{insn:?}");
        }
        assert_eq!(
            (AD_OFF as i32, AD_CPU as i32),
            (libc::SKF_AD_OFF, libc::SKF_AD_CPU)
        );
        assert_eq!(BPF_MAXINSNS, libc::BPF_MAXINSNS as usize);
        let j = BpfInsn::jump_eq(9, 2, 3);
        assert_eq!((j.jt(), j.jf()), (2, 3));
    }

    #[test]
    fn lengths_and_division_by_zero_are_refused() {
        for len in [0, BPF_MAXINSNS + 1] {
            let e = to_kernel(&vec![BpfInsn::ret(0); len]).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
            assert!(
                e.to_string().contains(&format!("{len} instructions")),
                "{e}"
            );
        }
        assert_eq!(
            to_kernel(&vec![BpfInsn::ret(0); BPF_MAXINSNS])
                .unwrap()
                .len(),
            BPF_MAXINSNS
        );
        for insn in [BpfInsn::div(0), BpfInsn::rem(0)] {
            let e = to_kernel(&[BpfInsn::load_len(), insn, BpfInsn::ret_a()]).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("instruction 1"), "{e}");
        }
    }
}
