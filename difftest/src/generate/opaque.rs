//! Operands the compiler cannot know: a constant pushed and used in the
//! same program is folded at compile time (the lowering and the stack
//! analysis evaluate pure opcodes on known constants, and carry constants
//! and value widths across blocks), so a boundary operand written as a
//! plain PUSH tests the constant folder and never the code the lowering
//! emits for values known only at run time.
//!
//! An opaque operand is combined with `TLOAD` of [`ZERO_KEY`], a transient
//! slot no generated program writes: zero at run time, unknown to any
//! compiler (transient storage belongs to the account and lives for the
//! whole transaction). Two shapes:
//!
//! - `v + TLOAD(k)`: any word, as far as the compiler knows;
//! - `(TLOAD(k) & (2^w - 1)) | v` with `w` the width of `v`: a word the
//!   value analysis knows to fit `w` bits and nothing more, which reaches
//!   the lowering's narrow-width paths (limbs known to be zero) with the
//!   boundary value itself.
//!
//! Forks before Cancun have no TLOAD: the campaign turns it into SLOAD (see
//! `campaign::fit_to_fork`), of a storage slot no generated program writes
//! either, so the operand is still zero and still unknown.

use super::Gen;
use crate::entropy::Entropy;
use alloy_primitives::U256;
use cevm_runtime::opcode::op;

/// The transient-storage key whose value is always zero (the generator's
/// storage keys are small numbers and edge values, never this).
pub const ZERO_KEY: u64 = 0x5eed_0ca1;

impl<R: Entropy> Gen<'_, R> {
    /// Pushes `value` as an operand the compiler cannot fold (one item).
    pub(super) fn push_opaque(&mut self, value: U256) {
        if self.rng.chance(1, 2) {
            self.push_value(value);
            self.push_value(U256::from(ZERO_KEY));
            self.emit(op::TLOAD);
            self.emit(op::ADD);
        } else {
            self.push_narrow(value);
        }
    }

    /// Pushes `value` as an operand the compiler knows only to fit its
    /// width (one item).
    pub(super) fn push_narrow(&mut self, value: U256) {
        {
            let width = value.bit_len();
            let mask = if width == 256 {
                U256::MAX
            } else {
                (U256::from(1u8) << width) - U256::from(1u8)
            };
            self.push_value(value);
            self.push_value(mask);
            self.push_value(U256::from(ZERO_KEY));
            self.emit(op::TLOAD);
            self.emit(op::AND);
            self.emit(op::OR);
        }
    }

    /// Pushes `value` either as a constant or, one time in `in_n`, opaque.
    pub(super) fn push_operand(&mut self, value: U256, in_n: u64) {
        if self.rng.chance(1, in_n) {
            self.push_opaque(value);
        } else {
            self.push_value(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::Xoshiro256;
    use crate::generate::tests::{output_of, return_top, style};
    use crate::program::Item;

    /// A program returning the word `push_opaque` left on the stack.
    fn returned(value: U256, seed: u64) -> crate::Observation {
        let mut rng = Xoshiro256::for_program(seed, 0);
        let mut g = Gen::new(&mut rng, style(), 0);
        g.push_opaque(value);
        assert!(g.items.contains(&Item::Op(op::TLOAD)));
        output_of(return_top(g))
    }

    #[test]
    fn opaque_operands_keep_their_value() {
        for (seed, value) in [
            U256::ZERO,
            U256::from(1u8),
            U256::from(u64::MAX),
            U256::from(1u8) << 64,
            U256::from(1u8) << 255,
            U256::MAX,
        ]
        .into_iter()
        .enumerate()
        {
            // Both shapes: the seed picks one.
            for s in 0..4 {
                let out = returned(value, 4 * seed as u64 + s);
                assert_eq!(out.output.as_ref(), value.to_be_bytes::<32>(), "{value:#x}");
            }
        }
    }
}
