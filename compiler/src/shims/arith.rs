//! Runtime calls for the arithmetic compiled code does not inline: DIV,
//! SDIV, MOD, SMOD, ADDMOD, MULMOD (pure, on ruint) and EXP (which also
//! charges its dynamic gas).
//!
//! Operands arrive in a scratch area of words in stack order (top first); the
//! result is written over the first word.

use super::{guard, read_limbs};
use crate::context::{exit, halt_code, JitContext};
use cevm_runtime::{gas, HaltReason, U256};

/// Two's-complement sign of a word.
#[inline]
fn is_negative(x: &U256) -> bool {
    x.bit(255)
}

/// Two's-complement negation.
#[inline]
fn negate(x: U256) -> U256 {
    x.wrapping_neg()
}

/// Absolute value of a two's-complement word (`MIN` stays `MIN`, read unsigned).
#[inline]
fn magnitude(x: U256) -> U256 {
    if is_negative(&x) {
        negate(x)
    } else {
        x
    }
}

/// `x` as a `u128`, if its upper two limbs are zero.
///
/// Native code reaches the division shims only when an operand does not
/// fit one limb; most of those operands still fit two (fixed-point
/// arithmetic: a 10^18-scaled product divided by a scale), where the
/// machine's 128-bit division is several times cheaper than a 256-bit long
/// division. Reading limbs one by one also matches the 8-byte stores native
/// code made them with (a 16-byte load over two of them stalls).
#[inline]
fn as_u128(x: &U256) -> Option<u128> {
    let l = x.as_limbs();
    (l[2] | l[3] == 0).then(|| u128::from(l[0]) | (u128::from(l[1]) << 64))
}

/// `x` as an `i128`, if it is the sign extension of its low two limbs.
#[inline]
fn as_i128(x: &U256) -> Option<i128> {
    let l = x.as_limbs();
    let sign = ((l[1] as i64) >> 63) as u64;
    (l[2] == sign && l[3] == sign).then(|| (u128::from(l[0]) | (u128::from(l[1]) << 64)) as i128)
}

/// The word whose value is `v` (sign-extended).
#[inline]
fn from_i128(v: i128) -> U256 {
    let sign = ((v >> 64) as i64 >> 63) as u64;
    U256::from_limbs([v as u64, (v >> 64) as u64, sign, sign])
}

/// `n / d` and `n % d` for a non-zero `d`.
///
/// When the divisor fits 64 bits and so does the quotient (the dividend's
/// upper half is below the divisor: the common case of a scaled product
/// divided by a scale), one hardware division does it; Rust's 128-bit
/// division is a library routine several times slower.
#[inline(always)]
fn udivrem128(n: u128, d: u128) -> (u128, u128) {
    #[cfg(target_arch = "x86_64")]
    if d >> 64 == 0 && ((n >> 64) as u64) < d as u64 {
        let (q, r): (u64, u64);
        // SAFETY: `div` divides rdx:rax by its operand; the divisor is
        // above rdx (so non-zero), so the quotient fits rax: no fault.
        unsafe {
            std::arch::asm!(
                "div {d}",
                d = in(reg) d as u64,
                inout("rax") n as u64 => q,
                inout("rdx") (n >> 64) as u64 => r,
                options(pure, nomem, nostack),
            );
        }
        return (u128::from(q), u128::from(r));
    }
    (n / d, n % d)
}

/// DIV: 0 for a zero divisor.
#[inline(always)]
pub fn div(a: U256, b: U256) -> U256 {
    if let (Some(a), Some(b)) = (as_u128(&a), as_u128(&b)) {
        return match b {
            0 => U256::ZERO,
            b => U256::from(udivrem128(a, b).0),
        };
    }
    a.checked_div(b).unwrap_or_default()
}

/// MOD: 0 for a zero modulus.
#[inline(always)]
pub fn rem(a: U256, b: U256) -> U256 {
    if let (Some(a), Some(b)) = (as_u128(&a), as_u128(&b)) {
        return match b {
            0 => U256::ZERO,
            b => U256::from(udivrem128(a, b).1),
        };
    }
    a.checked_rem(b).unwrap_or_default()
}

/// SDIV: signed division truncating toward zero; 0 for a zero divisor;
/// `MIN / -1` is `MIN`.
#[inline(always)]
pub fn sdiv(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    if let (Some(a), Some(b)) = (as_i128(&a), as_i128(&b)) {
        // On magnitudes: `-2^127 / -1` is the positive word 2^127, and a
        // negative quotient is at least -2^127, so fits an i128.
        let q = udivrem128(a.unsigned_abs(), b.unsigned_abs()).0;
        return if (a < 0) != (b < 0) {
            from_i128((q as i128).wrapping_neg())
        } else {
            U256::from(q)
        };
    }
    sdiv_wide(a, b)
}

/// SDIV of a non-zero divisor by 256-bit long division on magnitudes.
fn sdiv_wide(a: U256, b: U256) -> U256 {
    let q = magnitude(a) / magnitude(b);
    if is_negative(&a) != is_negative(&b) {
        negate(q)
    } else {
        q
    }
}

/// SMOD: the remainder takes the dividend's sign; 0 for a zero modulus.
#[inline(always)]
pub fn smod(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    if let (Some(a), Some(b)) = (as_i128(&a), as_i128(&b)) {
        // The remainder is below the divisor's magnitude (at most 2^127)
        // and takes the dividend's sign.
        let r = udivrem128(a.unsigned_abs(), b.unsigned_abs()).1 as i128;
        return from_i128(if a < 0 { r.wrapping_neg() } else { r });
    }
    smod_wide(a, b)
}

/// SMOD of a non-zero modulus by 256-bit long division on magnitudes.
fn smod_wide(a: U256, b: U256) -> U256 {
    let r = magnitude(a) % magnitude(b);
    if is_negative(&a) {
        negate(r)
    } else {
        r
    }
}

/// ADDMOD: `(a + b) mod n` without overflow; 0 for a zero modulus.
pub fn addmod(a: U256, b: U256, n: U256) -> U256 {
    a.add_mod(b, n)
}

/// MULMOD: `(a · b) mod n` without overflow; 0 for a zero modulus.
pub fn mulmod(a: U256, b: U256, n: U256) -> U256 {
    a.mul_mod(b, n)
}

/// EXP: `a^b mod 2^256`.
pub fn exp(a: U256, b: U256) -> U256 {
    a.wrapping_pow(b)
}

macro_rules! binary_shim {
    ($(#[$doc:meta])* $name:ident => $f:path) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `args` must point to two readable and writable words.
        pub unsafe extern "C" fn $name(args: *mut U256) {
            // SAFETY: the caller passes a scratch area of at least two words.
            let (a, b) = unsafe { (read_limbs(args), read_limbs(args.add(1))) };
            // SAFETY: as above.
            unsafe { args.write($f(a, b)) };
        }
    };
}

macro_rules! ternary_shim {
    ($(#[$doc:meta])* $name:ident => $f:path) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `args` must point to three readable and writable words.
        pub unsafe extern "C" fn $name(args: *mut U256) {
            // SAFETY: the caller passes a scratch area of at least three words.
            let (a, b, n) = unsafe { (read_limbs(args), read_limbs(args.add(1)), read_limbs(args.add(2))) };
            // SAFETY: as above.
            unsafe { args.write($f(a, b, n)) };
        }
    };
}

binary_shim!(/// DIV runtime call.
    cevm_div => div);
binary_shim!(/// SDIV runtime call.
    cevm_sdiv => sdiv);
binary_shim!(/// MOD runtime call.
    cevm_mod => rem);
binary_shim!(/// SMOD runtime call.
    cevm_smod => smod);
ternary_shim!(/// ADDMOD runtime call.
    cevm_addmod => addmod);
ternary_shim!(/// MULMOD runtime call.
    cevm_mulmod => mulmod);

/// EXP runtime call: charges the exponent's dynamic gas from `ctx.gas`, then
/// computes the power; returns an exit code.
///
/// # Safety
/// `ctx` must be the running context and `args` must point to two words.
pub unsafe extern "C" fn cevm_exp(ctx: *mut JitContext<'_, '_>, args: *mut U256) -> u32 {
    guard(|| {
        // SAFETY: native code passes its own context and scratch area.
        let ctx = unsafe { &mut *ctx };
        // SAFETY: as above.
        let (base, exponent) = unsafe { (read_limbs(args), read_limbs(args.add(1))) };
        let cost = gas::exp_cost(ctx.frame.spec, exponent);
        match ctx.gas.checked_sub(cost) {
            Some(left) => ctx.gas = left,
            None => return halt_code(HaltReason::OutOfGas),
        }
        // SAFETY: as above.
        unsafe { args.write(exp(base, exponent)) };
        exit::CONTINUE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definitions the fast paths must agree with: 256-bit long
    /// division on magnitudes (zero for a zero divisor).
    fn sdiv_ref(a: U256, b: U256) -> U256 {
        if b.is_zero() {
            U256::ZERO
        } else {
            sdiv_wide(a, b)
        }
    }

    fn smod_ref(a: U256, b: U256) -> U256 {
        if b.is_zero() {
            U256::ZERO
        } else {
            smod_wide(a, b)
        }
    }

    /// Operands around every boundary the fast paths test: 0, ±1, the
    /// edges of one and two limbs, signed and unsigned, and the word's
    /// extremes, plus mixed-width values from a fixed pseudo-random walk.
    fn operands() -> Vec<U256> {
        let mut v = Vec::new();
        for bits in [0usize, 1, 63, 64, 65, 127, 128, 129, 191, 192, 255] {
            let p = U256::from(1u8) << bits;
            for x in [p, p - U256::from(1u8), p + U256::from(1u8)] {
                v.push(x);
                v.push(negate(x));
            }
        }
        v.push(U256::ZERO);
        v.push(U256::MAX);
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..60 {
            let mut limbs = [0u64; 4];
            for l in &mut limbs {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *l = s;
            }
            let x = U256::from_limbs(limbs) >> (s as usize % 256);
            v.push(x);
            v.push(negate(x));
        }
        v
    }

    #[test]
    fn division_fast_paths_match_long_division() {
        let ops = operands();
        for &a in &ops {
            for &b in &ops {
                assert_eq!(
                    div(a, b),
                    a.checked_div(b).unwrap_or_default(),
                    "DIV {a:#x} {b:#x}"
                );
                assert_eq!(
                    rem(a, b),
                    a.checked_rem(b).unwrap_or_default(),
                    "MOD {a:#x} {b:#x}"
                );
                assert_eq!(sdiv(a, b), sdiv_ref(a, b), "SDIV {a:#x} {b:#x}");
                assert_eq!(smod(a, b), smod_ref(a, b), "SMOD {a:#x} {b:#x}");
            }
        }
    }

    #[test]
    fn one_instruction_division_matches_128_bit_division() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..20_000 {
            let d = u128::from(next() >> (next() % 64)).max(1);
            // Upper halves below, at and above the divisor.
            let hi = match next() % 3 {
                0 => (d as u64).saturating_sub(1 + next() % 4),
                1 => d as u64,
                _ => next(),
            };
            let n = (u128::from(hi) << 64) | u128::from(next());
            assert_eq!(udivrem128(n, d), (n / d, n % d), "{n:#x} / {d:#x}");
        }
    }

    #[test]
    fn signed_overflow_cases_take_the_long_path() {
        let min128 = negate(U256::from(1u8) << 127);
        let minus_one = U256::MAX;
        // -2^127 / -1 = 2^127: a positive word that is not a sign extension.
        assert_eq!(sdiv(min128, minus_one), U256::from(1u8) << 127);
        assert_eq!(smod(min128, minus_one), U256::ZERO);
        let min256 = U256::from(1u8) << 255;
        assert_eq!(sdiv(min256, minus_one), min256);
    }
}
