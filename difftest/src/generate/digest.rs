//! Observability in the generated code itself: an accumulator that keeps
//! every value a program drops, and a digest of the frame's stack, memory
//! and return data taken before it ends.
//!
//! A compiler bug that computes a wrong value is only found if something
//! the comparison sees depends on that value. Generated programs used to
//! POP most of what they computed, and whatever was on the stack or in
//! memory when a frame ended vanished with it. Here the program does the
//! dumping, in EVM code, so the check works the same on every backend and
//! survives any rewrite of the compiler's internals:
//!
//! - the accumulator is the bottom item of the frame's stack; dropping the
//!   top item `v` replaces the accumulator `a` by `a + v`, `a ^ v` or
//!   `a - v` (chosen per drop), each a bijection in `v`: a single wrong
//!   value always changes the final accumulator, and since the operations
//!   are mixed, two values exchanged by mistake usually do too. (A
//!   multiplication would make every exchange visible but costs an inline
//!   256-bit MUL per drop, which doubled compile time.)
//! - before the frame ends, every item the generator knows of is folded
//!   into the accumulator, which is appended to memory (`MSIZE MSTORE`),
//!   then the return data (`RETURNDATACOPY` at `MSIZE`), and the whole
//!   memory is hashed (`KECCAK256(0, MSIZE)`);
//! - the digest is returned, reverted with, or stored (then STOP), so it
//!   reaches the transaction's output, a caller's return data (which the
//!   caller folds in turn) or the post-state.
//!
//! The last block of a digest ending often holds only statically priced
//! instructions, so that a run with exactly the gas the transaction needs
//! (see `exact_gas`) reaches that block's entry check with nothing to spare.

use super::Gen;
use crate::entropy::Entropy;
use crate::program::Item;
use alloy_primitives::U256;
use cevm_runtime::opcode::op;

/// The storage slot a digest is written to by the store-and-stop ending.
pub const DIGEST_SLOT: u64 = 0xd1_9e57;

impl<R: Entropy> Gen<'_, R> {
    /// Pushes the accumulator's starting value (the bottom of the frame's
    /// stack from now on).
    pub(super) fn start_accumulator(&mut self) {
        let seed = U256::from(self.rng.next_u64());
        self.push_value(seed);
        self.height -= 1;
        self.acc = true;
    }

    /// Removes the top of the view without losing it: folded into the
    /// accumulator when DUP16/SWAP16 reach it, else into the item below it
    /// (XOR, a bijection too), else popped (unobserved programs).
    pub(super) fn drop_top(&mut self) {
        if self.height == 0 {
            return;
        }
        let depth = self.hidden + self.height;
        if self.acc && depth <= 15 {
            let combine = self.pick(&[op::ADD, op::XOR, op::SUB]);
            // [acc, .., v] -> DUP(depth+1): [acc, .., v, acc] -> combine:
            // [acc, .., new] -> SWAP(depth): [new, .., acc] -> POP: [new, ..].
            self.items.extend([
                Item::Op(op::DUP1 + depth as u8),
                Item::Op(combine),
                Item::Op(op::SWAP1 + depth as u8 - 1),
                Item::Op(op::POP),
            ]);
        } else if self.acc && self.height >= 2 {
            self.items.push(Item::Op(op::XOR));
        } else {
            self.items.push(Item::Op(op::POP));
        }
        self.height -= 1;
    }

    /// Folds every item the generator knows of into the accumulator,
    /// appends the accumulator and then the return data to memory, and
    /// leaves `KECCAK256(0, MSIZE)` as the only item of the view (the
    /// accumulator is gone). One memory write for the stack, rather than
    /// one per item: each write at a computed offset costs the compiler a
    /// bounds check and a cold path.
    pub(super) fn seal(&mut self) {
        self.height += self.hidden;
        self.hidden = 0;
        while self.height > 0 {
            self.drop_top();
        }
        self.items.extend(
            [
                op::MSIZE,
                op::MSTORE,
                op::RETURNDATASIZE,
                op::PUSH0,
                op::MSIZE,
                op::RETURNDATACOPY,
                op::MSIZE,
                op::PUSH0,
                op::KECCAK256,
            ]
            .map(Item::Op),
        );
        self.acc = false;
        self.height = 1;
    }

    /// A block boundary: what follows is priced on its own at block entry.
    fn block_boundary(&mut self) {
        let l = self.label();
        self.items.push(Item::Label(l));
    }

    /// How the program ends. An observed program first takes its digest,
    /// then returns it (the last block statically priced, or with the
    /// hash in it), reverts with it, stores it and stops, or ends in one of
    /// the plain ways with the digest in memory word 0. The generator's
    /// state is restored afterwards: code after an early terminator is
    /// reached by jumps with the stack as it was.
    pub(super) fn terminator(&mut self) {
        if !self.acc {
            self.plain_terminator();
            return;
        }
        let saved = self.view();
        self.seal();
        match self.rng.weighted(&[22, 14, 12, 12, 40]) {
            ending @ 0..=2 => {
                // 0: return, last block static; 1: return, hash in the last
                // block; 2: revert, either way.
                self.items
                    .extend([Item::Op(op::PUSH0), Item::Op(op::MSTORE)]);
                if ending == 0 || (ending == 2 && self.rng.chance(1, 2)) {
                    self.block_boundary();
                }
                self.items.extend([
                    Item::push_u64(32),
                    Item::Op(op::PUSH0),
                    Item::Op(if ending == 2 { op::REVERT } else { op::RETURN }),
                ]);
            }
            3 => {
                self.items
                    .extend([Item::push_u64(DIGEST_SLOT), Item::Op(op::SSTORE)]);
                self.block_boundary();
                self.items.push(Item::Op(op::STOP));
            }
            _ => {
                self.items
                    .extend([Item::Op(op::PUSH0), Item::Op(op::MSTORE)]);
                self.height = 0;
                self.plain_terminator();
            }
        }
        self.set_view(saved);
    }
}
