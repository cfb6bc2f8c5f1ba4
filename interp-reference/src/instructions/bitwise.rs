//! Comparison and bitwise logic: LT..SAR and BYTE.

use super::arithmetic::is_negative;
use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::{HaltReason, U256};

/// Executes the comparison or bitwise instruction `opcode`.
#[inline(always)]
pub(crate) fn execute(m: &mut Machine<'_>, opcode: u8) -> Result<Control, HaltReason> {
    let result = match opcode {
        op::ISZERO => bool_word(m.stack.pop()?.is_zero()),
        op::NOT => !m.stack.pop()?,
        _ => {
            let (a, b) = (m.stack.pop()?, m.stack.pop()?);
            match opcode {
                op::LT => bool_word(a < b),
                op::GT => bool_word(a > b),
                op::SLT => bool_word(signed_less(a, b)),
                op::SGT => bool_word(signed_less(b, a)),
                op::EQ => bool_word(a == b),
                op::AND => a & b,
                op::OR => a | b,
                op::XOR => a ^ b,
                op::BYTE => byte(a, b),
                op::SHL => shl(a, b),
                op::SHR => shr(a, b),
                op::SAR => sar(a, b),
                // Dispatch sends only this family here; anything else is
                // treated as undefined rather than panicking.
                _ => return Err(HaltReason::UndefinedOpcode),
            }
        }
    };
    m.stack.push(result)?;
    Ok(Control::Continue)
}

/// 1 for true, 0 for false.
#[inline]
fn bool_word(b: bool) -> U256 {
    U256::from_limbs([b as u64, 0, 0, 0])
}

/// `a < b` reading both as two's complement.
pub(crate) fn signed_less(a: U256, b: U256) -> bool {
    match (is_negative(a), is_negative(b)) {
        (true, false) => true,
        (false, true) => false,
        // Same sign: two's complement order equals unsigned order.
        _ => a < b,
    }
}

/// BYTE: byte `index` of `x` counting from the most significant (0); 0 for index >= 32.
#[inline]
pub(crate) fn byte(index: U256, x: U256) -> U256 {
    if index >= U256::from(32u8) {
        return U256::ZERO;
    }
    let i = index.to::<usize>();
    U256::from(x.to_be_bytes::<32>()[i])
}

/// The shift amount if it is below 256, else `None`.
#[inline]
fn small_shift(shift: U256) -> Option<usize> {
    if shift < U256::from(256u16) {
        Some(shift.to::<usize>())
    } else {
        None
    }
}

/// SHL (EIP-145): `value << shift`; 0 for shift >= 256.
#[inline]
pub(crate) fn shl(shift: U256, value: U256) -> U256 {
    small_shift(shift).map_or(U256::ZERO, |s| value << s)
}

/// SHR (EIP-145): logical `value >> shift`; 0 for shift >= 256.
#[inline]
pub(crate) fn shr(shift: U256, value: U256) -> U256 {
    small_shift(shift).map_or(U256::ZERO, |s| value >> s)
}

/// SAR (EIP-145): arithmetic shift right, filling with the sign bit; for
/// shift >= 256 the result is 0 or all ones by the sign.
#[inline]
pub(crate) fn sar(shift: U256, value: U256) -> U256 {
    let negative = is_negative(value);
    match small_shift(shift) {
        // Shifting the complement logically and complementing back fills with ones.
        Some(s) if negative => !((!value) >> s),
        Some(s) => value >> s,
        None if negative => U256::MAX,
        None => U256::ZERO,
    }
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

    #[test]
    fn signed_comparison() {
        assert!(signed_less(neg(1), u(0)));
        assert!(!signed_less(u(0), neg(1)));
        assert!(signed_less(neg(2), neg(1)));
        assert!(signed_less(u(1), u(2)));
        assert!(!signed_less(u(2), u(2)));
        assert!(signed_less(U256::MAX >> 1 ^ U256::MAX, U256::MAX >> 1));
    }

    #[test]
    fn byte_indexes_from_the_most_significant() {
        let x = U256::from_be_bytes::<32>(std::array::from_fn(|i| i as u8 + 1));
        assert_eq!(byte(u(0), x), u(1));
        assert_eq!(byte(u(31), x), u(32));
        assert_eq!(byte(u(32), x), U256::ZERO);
        assert_eq!(byte(U256::MAX, x), U256::ZERO);
    }

    #[test]
    fn shifts_past_the_width() {
        assert_eq!(shl(u(4), u(1)), u(16));
        assert_eq!(shl(u(255), u(3)), u(1) << 255);
        assert_eq!(shl(u(256), u(1)), U256::ZERO);
        assert_eq!(shl(U256::MAX, u(1)), U256::ZERO);
        assert_eq!(shr(u(4), u(16)), u(1));
        assert_eq!(shr(u(256), U256::MAX), U256::ZERO);
        assert_eq!(shr(u(1) << 128, U256::MAX), U256::ZERO);
    }

    #[test]
    fn arithmetic_shift_keeps_the_sign() {
        assert_eq!(sar(u(1), neg(16)), neg(8));
        assert_eq!(sar(u(4), u(0xff)), u(0xf));
        assert_eq!(sar(u(255), neg(1)), U256::MAX);
        assert_eq!(sar(u(255), u(1) << 255), U256::MAX);
        assert_eq!(sar(u(256), neg(5)), U256::MAX);
        assert_eq!(sar(U256::MAX, neg(5)), U256::MAX);
        assert_eq!(sar(u(256), u(5)), U256::ZERO);
        assert_eq!(sar(u(0), neg(5)), neg(5));
    }
}
