//! Runtime calls for the arithmetic compiled code does not inline: DIV,
//! SDIV, MOD, SMOD, ADDMOD, MULMOD (pure, on ruint) and EXP (which also
//! charges its dynamic gas).
//!
//! Operands arrive in a scratch area of words in stack order (top first); the
//! result is written over the first word.

use super::guard;
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

/// DIV: 0 for a zero divisor.
pub fn div(a: U256, b: U256) -> U256 {
    a.checked_div(b).unwrap_or_default()
}

/// MOD: 0 for a zero modulus.
pub fn rem(a: U256, b: U256) -> U256 {
    a.checked_rem(b).unwrap_or_default()
}

/// SDIV: signed division truncating toward zero; 0 for a zero divisor;
/// `MIN / -1` is `MIN`.
pub fn sdiv(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
    let q = magnitude(a) / magnitude(b);
    if is_negative(&a) != is_negative(&b) {
        negate(q)
    } else {
        q
    }
}

/// SMOD: the remainder takes the dividend's sign; 0 for a zero modulus.
pub fn smod(a: U256, b: U256) -> U256 {
    if b.is_zero() {
        return U256::ZERO;
    }
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
            let args = unsafe { std::slice::from_raw_parts_mut(args, 2) };
            args[0] = $f(args[0], args[1]);
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
            let args = unsafe { std::slice::from_raw_parts_mut(args, 3) };
            args[0] = $f(args[0], args[1], args[2]);
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
        let (ctx, args) = unsafe { (&mut *ctx, std::slice::from_raw_parts_mut(args, 2)) };
        let cost = gas::exp_cost(ctx.frame.spec, args[1]);
        match ctx.gas.checked_sub(cost) {
            Some(left) => ctx.gas = left,
            None => return halt_code(HaltReason::OutOfGas),
        }
        args[0] = exp(args[0], args[1]);
        exit::CONTINUE
    })
}
