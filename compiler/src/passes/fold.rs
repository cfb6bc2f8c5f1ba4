//! Compile-time evaluation of the pure opcodes on known constants.
//!
//! These are the compiler's own semantics (on ruint, with the division family
//! shared with the runtime calls in [`crate::shims::arith`]), written apart
//! from the reference interpreter's so that the differential tests check one
//! against the other.

use crate::shims::arith;
use cevm_runtime::opcode::op;
use cevm_runtime::U256;

/// Whether `opcode` is a pure function of its stack inputs that [`fold`]
/// can evaluate (EXP included: its dynamic gas is the lowering's business).
pub fn is_foldable(opcode: u8) -> bool {
    matches!(
        opcode,
        op::ADD..=op::SIGNEXTEND | op::LT..=op::SAR | op::CLZ
    )
}

/// 1 for true, 0 for false.
fn flag(b: bool) -> U256 {
    U256::from(b as u8)
}

/// Two's-complement `a < b`.
fn signed_less(a: U256, b: U256) -> bool {
    match (a.bit(255), b.bit(255)) {
        (true, false) => true,
        (false, true) => false,
        _ => a < b,
    }
}

/// The shift amount when it is below 256.
fn shift_amount(s: U256) -> Option<usize> {
    (s < U256::from(256u16)).then(|| s.to::<usize>())
}

/// SIGNEXTEND from byte `index` (0 = least significant) of `x`.
pub fn signextend(index: U256, x: U256) -> U256 {
    if index >= U256::from(31u8) {
        return x;
    }
    let bits = index.to::<usize>() * 8 + 8;
    let shift = 256 - bits;
    // Move the sign byte to the top, then shift back arithmetically.
    sar((x << shift, shift))
}

/// SAR of `value` by `s` < 256.
fn sar((value, s): (U256, usize)) -> U256 {
    if value.bit(255) {
        !((!value) >> s)
    } else {
        value >> s
    }
}

/// `opcode` applied to `args` (top of the stack first), or `None` if the
/// opcode is not foldable or the arity is wrong.
pub fn fold(opcode: u8, args: &[U256]) -> Option<U256> {
    let a = |i: usize| args.get(i).copied();
    Some(match opcode {
        op::ISZERO => flag(a(0)?.is_zero()),
        op::NOT => !a(0)?,
        op::CLZ => U256::from(256 - a(0)?.bit_len()),
        op::ADDMOD => arith::addmod(a(0)?, a(1)?, a(2)?),
        op::MULMOD => arith::mulmod(a(0)?, a(1)?, a(2)?),
        _ => {
            let (x, y) = (a(0)?, a(1)?);
            match opcode {
                op::ADD => x.wrapping_add(y),
                op::MUL => x.wrapping_mul(y),
                op::SUB => x.wrapping_sub(y),
                op::DIV => arith::div(x, y),
                op::SDIV => arith::sdiv(x, y),
                op::MOD => arith::rem(x, y),
                op::SMOD => arith::smod(x, y),
                op::EXP => arith::exp(x, y),
                op::SIGNEXTEND => signextend(x, y),
                op::LT => flag(x < y),
                op::GT => flag(x > y),
                op::SLT => flag(signed_less(x, y)),
                op::SGT => flag(signed_less(y, x)),
                op::EQ => flag(x == y),
                op::AND => x & y,
                op::OR => x | y,
                op::XOR => x ^ y,
                op::BYTE => match shift_amount(x) {
                    Some(i) if i < 32 => U256::from(y.to_be_bytes::<32>()[i]),
                    _ => U256::ZERO,
                },
                op::SHL => shift_amount(x).map_or(U256::ZERO, |s| y << s),
                op::SHR => shift_amount(x).map_or(U256::ZERO, |s| y >> s),
                op::SAR => match shift_amount(x) {
                    Some(s) => sar((y, s)),
                    None if y.bit(255) => U256::MAX,
                    None => U256::ZERO,
                },
                _ => return None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u64) -> U256 {
        U256::from(x)
    }

    fn neg(x: u64) -> U256 {
        u(x).wrapping_neg()
    }

    const MIN: U256 = U256::from_limbs([0, 0, 0, 1 << 63]);

    #[test]
    fn arithmetic_wraps_and_divides_by_zero_as_zero() {
        assert_eq!(fold(op::ADD, &[U256::MAX, u(2)]), Some(u(1)));
        assert_eq!(fold(op::SUB, &[u(1), u(2)]), Some(U256::MAX));
        assert_eq!(fold(op::MUL, &[MIN, u(2)]), Some(U256::ZERO));
        assert_eq!(fold(op::DIV, &[u(7), U256::ZERO]), Some(U256::ZERO));
        assert_eq!(fold(op::SDIV, &[neg(7), u(2)]), Some(neg(3)));
        assert_eq!(fold(op::SDIV, &[MIN, neg(1)]), Some(MIN));
        assert_eq!(fold(op::SMOD, &[neg(7), u(3)]), Some(neg(1)));
        assert_eq!(fold(op::MOD, &[u(7), u(4)]), Some(u(3)));
        assert_eq!(fold(op::ADDMOD, &[U256::MAX, u(2), u(10)]), Some(u(7)));
        assert_eq!(fold(op::MULMOD, &[u(10), u(10), u(7)]), Some(u(2)));
        assert_eq!(fold(op::EXP, &[u(2), u(160)]), Some(U256::from(1u8) << 160));
        assert_eq!(fold(op::EXP, &[u(2), u(256)]), Some(U256::ZERO));
    }

    #[test]
    fn comparisons_and_bits() {
        assert_eq!(fold(op::LT, &[u(1), u(2)]), Some(u(1)));
        assert_eq!(fold(op::GT, &[u(1), u(2)]), Some(u(0)));
        assert_eq!(fold(op::SLT, &[neg(1), u(0)]), Some(u(1)));
        assert_eq!(fold(op::SGT, &[neg(1), u(0)]), Some(u(0)));
        assert_eq!(fold(op::EQ, &[u(3), u(3)]), Some(u(1)));
        assert_eq!(fold(op::ISZERO, &[u(0)]), Some(u(1)));
        assert_eq!(fold(op::NOT, &[u(0)]), Some(U256::MAX));
        assert_eq!(fold(op::AND, &[u(6), u(3)]), Some(u(2)));
        assert_eq!(fold(op::OR, &[u(6), u(3)]), Some(u(7)));
        assert_eq!(fold(op::XOR, &[u(6), u(3)]), Some(u(5)));
        assert_eq!(fold(op::CLZ, &[u(1)]), Some(u(255)));
        assert_eq!(fold(op::CLZ, &[u(0)]), Some(u(256)));
    }

    #[test]
    fn shifts_and_bytes_at_their_boundaries() {
        assert_eq!(fold(op::SHL, &[u(255), u(1)]), Some(MIN));
        assert_eq!(fold(op::SHL, &[u(256), u(1)]), Some(U256::ZERO));
        assert_eq!(fold(op::SHR, &[u(255), MIN]), Some(u(1)));
        assert_eq!(fold(op::SHR, &[U256::MAX, MIN]), Some(U256::ZERO));
        assert_eq!(fold(op::SAR, &[u(255), MIN]), Some(U256::MAX));
        assert_eq!(fold(op::SAR, &[u(256), MIN]), Some(U256::MAX));
        assert_eq!(fold(op::SAR, &[u(256), u(5)]), Some(U256::ZERO));
        assert_eq!(fold(op::SAR, &[u(1), neg(3)]), Some(neg(2)));
        assert_eq!(fold(op::BYTE, &[u(31), u(0xab)]), Some(u(0xab)));
        assert_eq!(fold(op::BYTE, &[u(0), MIN]), Some(u(0x80)));
        assert_eq!(fold(op::BYTE, &[u(32), U256::MAX]), Some(U256::ZERO));
        assert_eq!(fold(op::SIGNEXTEND, &[u(0), u(0xff)]), Some(U256::MAX));
        assert_eq!(fold(op::SIGNEXTEND, &[u(0), u(0x17f)]), Some(u(0x7f)));
        assert_eq!(
            fold(op::SIGNEXTEND, &[u(30), U256::MAX >> 1]),
            Some(U256::MAX)
        );
        assert_eq!(fold(op::SIGNEXTEND, &[u(31), u(0xff)]), Some(u(0xff)));
    }

    #[test]
    fn only_pure_opcodes_fold() {
        assert!(is_foldable(op::ADD) && is_foldable(op::SAR) && is_foldable(op::CLZ));
        assert!(!is_foldable(op::KECCAK256) && !is_foldable(op::MLOAD));
        assert_eq!(fold(op::SLOAD, &[u(1)]), None);
        assert_eq!(fold(op::ADD, &[u(1)]), None);
    }
}
