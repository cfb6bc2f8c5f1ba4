//! Values whose width the compiler knows, carried across block edges.
//!
//! The value analysis gives every stack item a width (`AND` with a mask
//! fits the mask, `ADD` one bit more than its wider operand, `MUL` the sum
//! of the widths...), and the lowering reads only the limbs an item at a
//! block's entry can reach: a width rule that is one bit short loses a
//! whole limb, but only where the item is read again after a block edge
//! (inside one block the lowering has the full value). Random programs
//! rarely compute a narrow value whose true width crosses a limb boundary
//! and then read it after an edge, so this fragment does it on purpose:
//!
//! - a few results of `ADD`, `MUL` or `SHL` on operands the analysis knows
//!   to be narrow (see `opaque`), with widths just under 64, 128, 160 or
//!   192 bits (or anywhere) and values that carry into the next bit, the
//!   next limb for the limb widths;
//! - then control flow: a forward conditional jump, a loop that grows the
//!   stack with copies of them (its head is a join of different stack
//!   heights, whose deeper items are read from the stack memory), or an
//!   internal function call (called from several stack depths);
//! - then some of them are folded into the accumulator at once, the others
//!   stay on the stack for later folds and the digest.

use super::operands::{pick, pow2};
use super::Gen;
use crate::entropy::Entropy;
use crate::program::Item;
use alloy_primitives::U256;
use cevm_runtime::opcode::op;

/// The widths a narrow result is built to just exceed: the limb
/// boundaries, an address and a byte.
const WIDTHS: [u64; 7] = [64, 128, 192, 64, 128, 160, 8];

impl<R: Entropy> Gen<'_, R> {
    /// One to four narrow results, control flow, then folds. Returns the
    /// fragment budget used.
    pub(super) fn narrow_across_edge(&mut self, depth: u32) -> usize {
        let results = self.rng.range(1, 4) as usize;
        for _ in 0..results {
            let _ = self.narrow_result();
        }
        let used = match self.rng.below(4) {
            // The skipped body is fragments one level deeper: bounded.
            0 if depth < 3 => self.forward_skip(4, depth),
            1 if depth < 2 => self.call_function(depth),
            _ => {
                self.growing_loop();
                2
            }
        };
        let folds = self.rng.below(self.height.min(results) as u64 + 1);
        for _ in 0..folds {
            self.drop_top();
        }
        used + 1
    }

    /// The width `w` a result is built to exceed by one bit.
    fn result_width(&mut self) -> u64 {
        if self.rng.chance(1, 5) {
            self.rng.range(3, 254)
        } else {
            *pick(self.rng, &WIDTHS)
        }
    }

    /// Pushes a result computed from operands the analysis knows to fit
    /// below `2^w`: a product or a shift of exactly `w + 1` bits, or a sum
    /// that usually reaches bit `w`. Returns the result.
    fn narrow_result(&mut self) -> U256 {
        let w = self.result_width();
        let ones = pow2(w) - U256::from(1u8);
        match self.rng.below(6) {
            0..=3 => {
                // a + b, both below 2^w, the sum usually at or above 2^w.
                let a = ones - U256::from(self.rng.below(3));
                let b = match self.rng.below(3) {
                    0 => ones - U256::from(self.rng.below(3)),
                    1 => U256::from(self.rng.range(1, 4)),
                    _ => pow2(w - 1) + U256::from(self.rng.below(3)),
                };
                let (x, y) = if self.rng.chance(1, 2) {
                    (a, b)
                } else {
                    (b, a)
                };
                self.push_narrow(x);
                self.push_narrow(y);
                self.emit(op::ADD);
                a + b
            }
            4 => {
                // (2^i - 1) * (2^j - 1) with i + j = w + 1: exactly w + 1 bits.
                let i = self.rng.range(2, w - 1);
                let j = w + 1 - i;
                let a = pow2(i) - U256::from(1u8);
                let b = pow2(j) - U256::from(1u8);
                self.push_narrow(a);
                self.push_narrow(b);
                self.emit(op::MUL);
                a * b
            }
            _ => {
                // (2^(w+1-s) - 1) << s for a constant s: exactly w + 1 bits.
                let s = self.rng.range(1, 3).min(w - 1);
                let v = pow2(w + 1 - s) - U256::from(1u8 + self.rng.below(2) as u8);
                self.push_narrow(v);
                self.push_value(U256::from(s));
                self.emit(op::SHL);
                v << s as usize
            }
        }
    }

    /// `PUSH n; L: JUMPDEST DUP2 SWAP1; counter - 1; DUP1; PUSH @L; JUMPI;
    /// POP`: each trip leaves a copy of the item below the counter, so the
    /// loop's head is entered with `n` different stack heights and the
    /// loop ends with `n` more items.
    fn growing_loop(&mut self) {
        if self.height == 0 {
            let _ = self.narrow_result();
        }
        let trips = self.rng.range(1, 4);
        self.push_value(U256::from(trips));
        let l = self.label();
        self.items
            .extend([Item::Label(l), Item::Op(op::DUP2), Item::Op(op::SWAP1)]);
        self.items.extend(super::control::loop_end(l));
        // The counter is gone, the copies are there.
        self.height = self.height - 1 + trips as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::Xoshiro256;
    use crate::generate::tests::{output_of, return_top, style};

    #[test]
    fn narrow_results_have_the_width_they_are_built_for() {
        for seed in 0..200 {
            let mut rng = Xoshiro256::for_program(seed, 0);
            let mut g = Gen::new(&mut rng, style(), 0);
            let expected = g.narrow_result();
            assert_eq!(g.height, 1);
            let out = output_of(return_top(g));
            assert_eq!(out.output.len(), 32, "seed {seed}: {}", out.status);
            assert_eq!(U256::from_be_slice(&out.output), expected, "seed {seed}");
        }
    }

    #[test]
    fn growing_loops_leave_their_copies() {
        for seed in 0..20 {
            let mut rng = Xoshiro256::for_program(seed, 1);
            let mut g = Gen::new(&mut rng, style(), 0);
            g.push_value(U256::from(7u8));
            g.growing_loop();
            let copies = g.height - 1;
            assert!((1..=4).contains(&copies));
            // Sum the items: 7 per copy plus the original.
            for _ in 0..copies {
                g.emit(op::ADD);
            }
            let out = output_of(return_top(g));
            let total = U256::from_be_slice(&out.output);
            assert_eq!(total, U256::from(7 * (copies as u64 + 1)), "seed {seed}");
        }
    }
}
