//! Control-flow fragments: counted loops, forward conditional jumps, odd
//! and invalid jumps, stack errors, stack shuffling and the plain ways a
//! program ends.

use super::operands::{boundary_value, edge_value};
use super::{random_code, Gen};
use crate::entropy::Entropy;
use crate::program::Item;
use alloy_primitives::U256;
use cevm_runtime::opcode::{self, op};

/// The end of a counted loop starting at `label`, the counter on top:
/// `counter - 1; DUP1; PUSH @label; JUMPI` (again while non-zero), then the
/// zero counter is popped.
pub(super) fn loop_end(label: u32) -> [Item; 7] {
    [
        Item::push_u64(1),
        Item::Op(op::SWAP1),
        Item::Op(op::SUB),
        Item::Op(op::DUP1),
        Item::PushLabel(label),
        Item::Op(op::JUMPI),
        Item::Op(op::POP),
    ]
}

impl<R: Entropy> Gen<'_, R> {
    /// One fragment that usually ends the program: a bad or computed jump,
    /// random bytes, an early terminator, a stack error, or a
    /// RETURNDATACOPY with arbitrary bounds.
    pub(super) fn danger(&mut self) {
        match self.rng.below(5) {
            0 => self.odd_jump(),
            1 => {
                let n = self.rng.range(1, 12) as usize;
                let bytes = random_code(self.rng, n);
                self.items.push(Item::Raw(bytes));
                self.absolute = false;
            }
            2 => self.terminator(),
            3 => self.stack_error(),
            _ => self.op_with_operands(op::RETURNDATACOPY),
        }
    }

    pub(super) fn shuffle(&mut self) {
        if self.height == 0 {
            let v = U256::from(self.rng.below(4));
            self.push_value(v);
            return;
        }
        let depth = self.rng.range(1, self.height.min(16) as u64) as u8;
        match self.rng.below(3) {
            0 => self.emit(op::DUP1 + depth - 1),
            1 if self.height >= 2 => {
                let d = self.rng.range(1, (self.height - 1).min(16) as u64) as u8;
                self.emit(op::SWAP1 + d - 1);
            }
            _ => self.drop_top(),
        }
    }

    /// Generates a body that leaves the stack as it found it: the enclosing
    /// items are out of its reach (hidden), except a copy of the top one if
    /// `copy_top` (a loop body computing with its counter).
    pub(super) fn balanced_body(&mut self, budget: usize, depth: u32, copy_top: bool) {
        let (height, hidden) = (self.height, self.hidden);
        self.hidden += self.height;
        self.height = 0;
        if copy_top && self.hidden > 0 {
            self.raw_item(Item::Op(op::DUP1));
            self.height = 1;
        }
        self.fragments(budget, depth);
        while self.height > 0 {
            self.drop_top();
        }
        self.height = height;
        self.hidden = hidden;
    }

    /// `PUSH n; L: JUMPDEST; body; counter - 1; DUP1; PUSH @L; JUMPI; POP`:
    /// a loop with a bounded trip count (rarely 0, which wraps the counter
    /// and runs until the gas is gone). The body sometimes computes with
    /// the counter.
    pub(super) fn counted_loop(&mut self, left: usize, depth: u32) -> usize {
        let budget = self.rng.range(1, (left / 2).clamp(1, 12) as u64) as usize;
        let trips = if self.rng.chance(1, 60) {
            0
        } else if self.rng.chance(1, 8) {
            self.rng.range(7, 40)
        } else {
            self.rng.range(1, 6)
        };
        self.push_value(U256::from(trips));
        let l = self.label();
        self.items.push(Item::Label(l));
        let copy_counter = self.rng.chance(1, 2);
        self.balanced_body(budget, depth + 1, copy_counter);
        self.items.extend(loop_end(l));
        self.height -= 1;
        budget + 2
    }

    /// `cond; PUSH @L; JUMPI; body; L: JUMPDEST`, the condition constant,
    /// computed, read from the environment or a wide word (2^64, 2^192:
    /// true, whatever its low limb says).
    pub(super) fn forward_skip(&mut self, left: usize, depth: u32) -> usize {
        let budget = self.rng.range(1, (left / 2).clamp(1, 10) as u64) as usize;
        match self.rng.below(4) {
            0 => {
                let v = U256::from(self.rng.below(2));
                self.push_value(v);
            }
            1 => {
                let code = self.pick(&[op::GAS, op::CALLVALUE, op::CALLDATASIZE, op::MSIZE]);
                self.emit(code);
            }
            2 => {
                let code = self.pick(&[op::LT, op::GT, op::SLT, op::EQ, op::AND]);
                self.op_with_operands(code);
            }
            _ => {
                let v = boundary_value(self.rng);
                self.push_value(v);
            }
        }
        let l = self.label();
        self.items.push(Item::PushLabel(l));
        self.items.push(Item::Op(op::JUMPI));
        self.height -= 1;
        self.balanced_body(budget, depth + 1, false);
        self.items.push(Item::Label(l));
        budget + 2
    }

    /// A jump whose target is computed, off by one, inside PUSH data, a
    /// block start that is no JUMPDEST (another block's or the JUMPI's own
    /// fall-through), a JUMPDEST plus a high power of two, or random.
    fn odd_jump(&mut self) {
        let l = self.label();
        match self.rng.below(7) {
            6 => {
                // A JUMPI to the instruction right after it, on a condition
                // the compiler cannot know: a block starts there (the
                // fall-through way), but it is no JUMPDEST (invalid if taken).
                let cond = U256::from(u8::from(self.rng.chance(3, 4)));
                self.push_opaque(cond);
                self.items.push(Item::PushLabel(l));
                self.items.push(Item::Op(op::JUMPI));
                self.height -= 1;
                self.items.push(Item::Mark(l));
            }
            0 => {
                // Computed target: label + x - x (x opaque half the
                // time: a jump through the dispatch).
                let x = U256::from(self.rng.below(1000));
                self.items.push(Item::PushLabel(l));
                self.height += 1;
                self.push_operand(x, 2);
                self.emit(op::ADD);
                self.push_value(x);
                self.emit(op::SWAP1);
                self.emit(op::SUB);
                self.height -= 1;
                self.items.push(Item::Op(op::JUMP));
                self.items.push(Item::Op(op::INVALID));
                self.items.push(Item::Label(l));
            }
            1 => {
                // One past the JUMPDEST: invalid.
                self.items.push(Item::PushLabel(l));
                self.height += 1;
                self.push_value(U256::from(1u8));
                self.emit(op::ADD);
                self.height -= 1;
                self.items.push(Item::Op(op::JUMP));
                self.items.push(Item::Label(l));
                self.items.push(Item::Op(op::JUMPDEST));
            }
            2 => {
                // A JUMPDEST byte inside PUSH data is not a destination.
                self.items
                    .push(Item::Push(vec![op::JUMPDEST, op::JUMPDEST]));
                self.items.push(Item::Op(op::PC));
                self.push_value(U256::from(2u8));
                self.items.push(Item::Op(op::SWAP1));
                self.items.push(Item::Op(op::SUB));
                self.items.push(Item::Op(op::JUMP));
            }
            3 => {
                // A constant jump to the instruction after a JUMPI: a block
                // starts there, but it is no JUMPDEST (invalid).
                let (skip, end) = (self.label(), self.label());
                let cond = U256::from(u8::from(self.rng.chance(4, 5)));
                self.push_value(cond);
                self.items.push(Item::PushLabel(skip));
                self.items.push(Item::Op(op::JUMPI));
                self.height -= 1;
                self.items.extend([
                    Item::Mark(l),
                    Item::PushLabel(end),
                    Item::Op(op::JUMP),
                    Item::Label(skip),
                    Item::PushLabel(l),
                    Item::Op(op::JUMP),
                    Item::Label(end),
                ]);
            }
            4 => {
                // A JUMPDEST plus 2^64 (or more): right in the low limb
                // only. Opaque half the time, and so is the JUMPI condition,
                // which may be non-zero in a high limb only.
                let k = *[64usize, 128, 192, 255]
                    .get(self.rng.below(4) as usize)
                    .unwrap_or(&64);
                self.items.push(Item::PushLabel(l));
                self.height += 1;
                self.push_operand(U256::from(1u8) << k, 2);
                self.emit(op::ADD);
                if self.rng.chance(1, 2) {
                    let cond = U256::from(1u8) << (64 * self.rng.below(4) as usize);
                    self.push_operand(cond, 2);
                    self.emit(op::SWAP1);
                    self.items.push(Item::Op(op::JUMPI));
                    self.height -= 2;
                } else {
                    self.items.push(Item::Op(op::JUMP));
                    self.height -= 1;
                }
                self.items.push(Item::Label(l));
            }
            _ => {
                let target = edge_value(self.rng);
                self.push_operand(target, 2);
                let cond = U256::from(self.rng.below(2));
                self.push_operand(cond, 2);
                self.emit(op::SWAP1);
                self.items.push(Item::Op(op::JUMPI));
                self.height -= 2;
            }
        }
    }

    /// Underflow (an opcode with more inputs than the frame's stack holds)
    /// or overflow (a loop pushing forever).
    fn stack_error(&mut self) {
        if self.rng.chance(1, 2) {
            let code = self
                .pick_code(|c| opcode::info(c).is_some_and(|i| i.inputs > 0 && i.immediate == 0));
            for _ in 0..usize::from(self.acc) + self.hidden + self.height {
                self.items.push(Item::Op(op::POP));
            }
            self.items.push(Item::Op(code));
            self.height = 0;
        } else {
            let l = self.label();
            self.items.extend([
                Item::Label(l),
                Item::Op(op::PUSH0),
                Item::PushLabel(l),
                Item::Op(op::JUMP),
            ]);
        }
    }

    /// How an unobserved program ends (and, after its digest, sometimes an
    /// observed one): off the end, STOP, RETURN or REVERT of memory,
    /// INVALID, SELFDESTRUCT, an undefined opcode, or a returned word.
    pub(super) fn plain_terminator(&mut self) {
        match self.rng.weighted(&[12, 14, 30, 14, 4, 10, 3, 3]) {
            0 => {} // run off the end
            1 => self.emit(op::STOP),
            2 => self.op_with_operands(op::RETURN),
            3 => self.op_with_operands(op::REVERT),
            4 => self.emit(op::INVALID),
            5 => self.op_with_operands(op::SELFDESTRUCT),
            6 => {
                let undefined = (0u8..=255)
                    .filter(|&c| opcode::info(c).is_none())
                    .nth(self.rng.below(20) as usize)
                    .unwrap_or(0x0c);
                self.items.push(Item::Op(undefined));
            }
            _ => {
                // Return a stored word: output depends on earlier results.
                self.push_value(U256::from(32u8));
                self.push_value(U256::ZERO);
                self.emit(op::RETURN);
            }
        }
    }
}
