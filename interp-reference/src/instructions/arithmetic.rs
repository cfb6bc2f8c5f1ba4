//! Arithmetic: ADD..SIGNEXTEND and CLZ (EIP-7939).
//!
//! Written from the Yellow Paper (appendix H) and execution-specs with ruint
//! `U256` methods, independently of the compiler's lowering, so that the two
//! backends check each other. Signed operations read words as two's
//! complement.

use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::primitives::U512;
use cevm_runtime::{HaltReason, U256};

/// Executes the arithmetic instruction `opcode` (its static gas is already paid).
#[inline(always)]
pub(crate) fn execute(m: &mut Machine<'_>, opcode: u8) -> Result<Control, HaltReason> {
    let result = match opcode {
        op::CLZ => {
            let x = m.stack.pop()?;
            clz(x)
        }
        op::ADDMOD | op::MULMOD => {
            let (a, b, n) = (m.stack.pop()?, m.stack.pop()?, m.stack.pop()?);
            if opcode == op::ADDMOD {
                addmod(a, b, n)
            } else {
                mulmod(a, b, n)
            }
        }
        _ => {
            let (a, b) = (m.stack.pop()?, m.stack.pop()?);
            match opcode {
                op::ADD => a.wrapping_add(b),
                op::MUL => a.wrapping_mul(b),
                op::SUB => a.wrapping_sub(b),
                op::DIV => div(a, b),
                op::SDIV => sdiv(a, b),
                op::MOD => rem(a, b),
                op::SMOD => smod(a, b),
                op::EXP => {
                    m.frame
                        .gas
                        .charge(cevm_runtime::gas::exp_cost(m.frame.spec, b))?;
                    exp(a, b)
                }
                op::SIGNEXTEND => signextend(a, b),
                // Dispatch sends only this family here; anything else is
                // treated as undefined rather than panicking.
                _ => return Err(HaltReason::UndefinedOpcode),
            }
        }
    };
    m.stack.push(result)?;
    Ok(Control::Continue)
}

/// Whether the two's complement reading of `x` is negative.
#[inline]
pub(crate) fn is_negative(x: U256) -> bool {
    x.bit(255)
}

/// The magnitude of `x` read as two's complement (MIN maps to itself,
/// which read unsigned is 2^255, the right magnitude).
#[inline]
fn magnitude(x: U256) -> U256 {
    if is_negative(x) {
        x.wrapping_neg()
    } else {
        x
    }
}

/// DIV: unsigned quotient, 0 when dividing by 0.
pub(crate) fn div(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        U256::ZERO
    } else {
        a / b
    }
}

/// MOD: unsigned remainder, 0 when the modulus is 0.
pub(crate) fn rem(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        U256::ZERO
    } else {
        a % b
    }
}

/// SDIV: signed quotient rounded toward zero; 0 when dividing by 0. MIN / -1
/// overflows back to MIN, which the magnitude arithmetic gives naturally.
pub(crate) fn sdiv(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    let q = magnitude(a) / magnitude(b);
    if is_negative(a) != is_negative(b) {
        q.wrapping_neg()
    } else {
        q
    }
}

/// SMOD: signed remainder whose sign follows the dividend; 0 when the modulus is 0.
pub(crate) fn smod(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    let r = magnitude(a) % magnitude(b);
    if is_negative(a) {
        r.wrapping_neg()
    } else {
        r
    }
}

/// Zero-extends a word to 512 bits.
fn widen(x: U256) -> U512 {
    let mut limbs = [0u64; 8];
    limbs[..4].copy_from_slice(x.as_limbs());
    U512::from_limbs(limbs)
}

/// The low 256 bits of a 512-bit word (callers pass values below 2^256).
fn narrow(x: U512) -> U256 {
    let l = x.as_limbs();
    U256::from_limbs([l[0], l[1], l[2], l[3]])
}

/// ADDMOD: `(a + b) mod n` with the sum taken exactly (no 2^256 wrap); 0 if `n` is 0.
pub(crate) fn addmod(a: U256, b: U256, n: U256) -> U256 {
    if n.is_zero() {
        return U256::ZERO;
    }
    narrow((widen(a) + widen(b)) % widen(n))
}

/// MULMOD: `(a * b) mod n` with the product taken exactly; 0 if `n` is 0.
pub(crate) fn mulmod(a: U256, b: U256, n: U256) -> U256 {
    if n.is_zero() {
        return U256::ZERO;
    }
    narrow((widen(a) * widen(b)) % widen(n))
}

/// EXP: `base^exponent mod 2^256`, by square-and-multiply over the
/// exponent's bits from the most significant down.
pub(crate) fn exp(base: U256, exponent: U256) -> U256 {
    let mut result = U256::from(1u8);
    for i in (0..exponent.bit_len()).rev() {
        result = result.wrapping_mul(result);
        if exponent.bit(i) {
            result = result.wrapping_mul(base);
        }
    }
    result
}

/// SIGNEXTEND: extends the sign bit of byte `index` (0 = least significant)
/// of `x` through the higher bytes; an index of 31 or more leaves `x` unchanged.
pub(crate) fn signextend(index: U256, x: U256) -> U256 {
    if index >= U256::from(31u8) {
        return x;
    }
    let sign_bit = index.to::<usize>() * 8 + 7;
    let low_mask = (U256::from(1u8) << (sign_bit + 1)).wrapping_sub(U256::from(1u8));
    if x.bit(sign_bit) {
        x | !low_mask
    } else {
        x & low_mask
    }
}

/// CLZ (EIP-7939): the number of leading zero bits; 256 for 0.
pub(crate) fn clz(x: U256) -> U256 {
    U256::from(256 - x.bit_len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u64) -> U256 {
        U256::from(x)
    }

    fn neg(x: u64) -> U256 {
        U256::from(x).wrapping_neg()
    }

    const MIN: U256 = U256::from_limbs([0, 0, 0, 1 << 63]);

    #[test]
    fn division_by_zero_is_zero() {
        assert_eq!(div(u(7), U256::ZERO), U256::ZERO);
        assert_eq!(rem(u(7), U256::ZERO), U256::ZERO);
        assert_eq!(sdiv(neg(7), U256::ZERO), U256::ZERO);
        assert_eq!(smod(neg(7), U256::ZERO), U256::ZERO);
        assert_eq!(addmod(u(1), u(2), U256::ZERO), U256::ZERO);
        assert_eq!(mulmod(u(3), u(2), U256::ZERO), U256::ZERO);
    }

    #[test]
    fn unsigned_division() {
        assert_eq!(div(u(7), u(2)), u(3));
        assert_eq!(rem(u(7), u(2)), u(1));
        assert_eq!(div(U256::MAX, U256::MAX), u(1));
    }

    #[test]
    fn signed_division_rounds_toward_zero() {
        assert_eq!(sdiv(neg(7), u(2)), neg(3));
        assert_eq!(sdiv(u(7), neg(2)), neg(3));
        assert_eq!(sdiv(neg(7), neg(2)), u(3));
        assert_eq!(sdiv(MIN, neg(1)), MIN);
        assert_eq!(sdiv(MIN, u(1)), MIN);
        assert_eq!(sdiv(MIN, MIN), u(1));
    }

    #[test]
    fn signed_remainder_follows_dividend() {
        assert_eq!(smod(neg(7), u(3)), neg(1));
        assert_eq!(smod(u(7), neg(3)), u(1));
        assert_eq!(smod(neg(8), neg(3)), neg(2));
        assert_eq!(smod(MIN, neg(1)), U256::ZERO);
    }

    #[test]
    fn modular_arithmetic_uses_full_width() {
        // (MAX + 2) mod MAX = 2 only if the sum is not wrapped first.
        assert_eq!(addmod(U256::MAX, u(2), U256::MAX), u(2));
        // Wrapping would give (1) mod 10 = 1; the exact sum 2^256 + 1 mod 10 = 7.
        assert_eq!(addmod(U256::MAX, u(2), u(10)), u(7));
        // MAX * MAX mod MAX = 0; MAX * MAX mod (MAX - 1) = 1.
        assert_eq!(mulmod(U256::MAX, U256::MAX, U256::MAX), U256::ZERO);
        assert_eq!(mulmod(U256::MAX, U256::MAX, U256::MAX - u(1)), u(1));
        assert_eq!(mulmod(u(10), u(10), u(7)), u(2));
    }

    #[test]
    fn exponentiation_wraps() {
        assert_eq!(exp(u(2), u(10)), u(1024));
        assert_eq!(exp(u(0), u(0)), u(1));
        assert_eq!(exp(u(0), u(5)), U256::ZERO);
        assert_eq!(exp(u(2), u(255)), MIN);
        assert_eq!(exp(u(2), u(256)), U256::ZERO);
        assert_eq!(exp(u(3), u(5)), u(243));
        assert_eq!(exp(neg(1), u(3)), neg(1));
        assert_eq!(exp(u(7), U256::MAX), u(7).wrapping_pow(U256::MAX));
    }

    #[test]
    fn sign_extension() {
        assert_eq!(signextend(u(0), u(0xff)), U256::MAX);
        assert_eq!(signextend(u(0), u(0x7f)), u(0x7f));
        assert_eq!(signextend(u(0), u(0x1ff)), U256::MAX);
        assert_eq!(signextend(u(1), u(0x12_80ff)), neg(0x7f01));
        assert_eq!(signextend(u(30), U256::MAX >> 1), U256::MAX);
        assert_eq!(signextend(u(31), u(0xff)), u(0xff));
        assert_eq!(signextend(u(32), u(0xff)), u(0xff));
        assert_eq!(signextend(U256::MAX, u(0x80)), u(0x80));
    }

    #[test]
    fn count_leading_zeros() {
        assert_eq!(clz(U256::ZERO), u(256));
        assert_eq!(clz(u(1)), u(255));
        assert_eq!(clz(MIN), U256::ZERO);
        assert_eq!(clz(U256::MAX), U256::ZERO);
        assert_eq!(clz(u(0x100)), u(247));
    }
}
