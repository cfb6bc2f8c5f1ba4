//! Fragments that put a frame exactly on a limit: arithmetic on each
//! opcode family's boundary operands, the stack at 1023, 1024 and 1025
//! items, and memory accesses just inside, at and just past the end of
//! memory.

use super::control::loop_end;
use super::operands::{boundary_operand, edge_value, operand, Role};
use super::Gen;
use crate::entropy::Entropy;
use crate::program::Item;
use alloy_primitives::U256;
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op};

/// Most items the push loop of [`Gen::stack_limit`] adds above its
/// counter in one iteration (PUSH x, PUSH1 1, DUP1, PUSH2 @loop).
const PUSH_LOOP_GROWTH: usize = 3;

impl<R: Entropy> Gen<'_, R> {
    /// A pure opcode on operands from its family's boundaries (see
    /// [`boundary_operand`]). Half the time an opcode with an index operand
    /// (shifts, BYTE, SIGNEXTEND), whose edges are the sharpest, a quarter
    /// of the time one whose carries and widths matter (ADD, SUB, MUL).
    /// Half the
    /// operands are opaque (the compiler folds constants). One probe in
    /// three folds its result only after a JUMPDEST, one in three leaves it
    /// on the stack for later, so that the result crosses block and region
    /// boundaries with what the analysis knows of it (its width).
    pub(super) fn edge_probe(&mut self) {
        let carries = self.rng.chance(1, 4);
        let code = if carries {
            self.pick(&[op::ADD, op::SUB, op::MUL])
        } else if self.rng.chance(2, 3) {
            self.pick(&[op::SHL, op::SHR, op::SAR, op::BYTE, op::SIGNEXTEND])
        } else {
            self.pure_code()
        };
        let inputs = opcode::info(code).map_or(0, |i| i.inputs as usize);
        let mut previous = None;
        for position in (0..inputs).rev() {
            let v = boundary_operand(self.rng, code, position, previous);
            previous = Some(v);
            if carries && self.rng.chance(1, 2) {
                self.push_narrow(v);
            } else {
                self.push_operand(v, 2);
            }
        }
        self.emit(code);
        match self.rng.below(if carries { 2 } else { 3 }) {
            0 => {
                self.emit(op::JUMPDEST);
                self.drop_top();
            }
            // Kept: folded later, after whatever control flow comes (always
            // half of the carry probes, whose operands are often narrow:
            // the width the analysis gives the result matters there).
            1 => {}
            _ => self.drop_top(),
        }
    }

    /// Fills the stack with a loop until the loop block's highest point is
    /// `STACK_LIMIT + delta` items (`delta` -1: one short; 0: exactly the
    /// limit, which is allowed; 1: one over, a stack overflow), then empties
    /// it with a second loop. Needs the frame's exact height (`absolute`).
    ///
    /// ```text
    /// PUSH n                                      ; counter
    /// L: JUMPDEST PUSH x SWAP1 PUSH1 1 SWAP1 SUB DUP1 PUSH2 @L JUMPI
    /// POP                                         ; the zero counter
    /// PUSH n
    /// M: JUMPDEST SWAP1 POP PUSH1 1 SWAP1 SUB DUP1 PUSH2 @M JUMPI
    /// POP
    /// ```
    ///
    /// Iteration `i` of the first loop enters its block with `s + i` items
    /// (`s` before `PUSH n`) and reaches `s + i + 3`; the last one reaches
    /// `s + n + 3`.
    pub(super) fn stack_limit(&mut self, delta: i64) {
        let s = usize::from(self.acc) + self.hidden + self.height;
        let top = STACK_LIMIT as i64 + delta - PUSH_LOOP_GROWTH as i64;
        let n = top - s as i64;
        if n < 1 {
            return;
        }
        let x = edge_value(self.rng);
        let (fill, drain) = (self.label(), self.label());
        self.items.extend([
            Item::push_u64(n as u64),
            Item::Label(fill),
            Item::push_word(&x.to_be_bytes::<32>()),
            Item::Op(op::SWAP1),
        ]);
        self.items.extend(loop_end(fill));
        self.items.extend([
            Item::push_u64(n as u64),
            Item::Label(drain),
            Item::Op(op::SWAP1),
            Item::Op(op::POP),
        ]);
        self.items.extend(loop_end(drain));
    }

    /// A memory access at `MSIZE - d` or `MSIZE + d` for `d` in {0, 1, 31,
    /// 32, 33, 64}: inside, exactly at or just past the end of memory, with
    /// an offset the compiler cannot know. Memory is made non-empty first.
    pub(super) fn memory_edge(&mut self) {
        let first = U256::from(
            *[0u64, 32, 64, 1000]
                .get(self.rng.below(4) as usize)
                .unwrap_or(&0),
        );
        self.push_value(first);
        self.emit(op::MLOAD);
        self.drop_top();
        let d = U256::from(
            *[0u64, 1, 31, 32, 33, 64]
                .get(self.rng.below(6) as usize)
                .unwrap_or(&0),
        );
        let code = self.pick(&[
            op::MLOAD,
            op::MSTORE,
            op::MSTORE8,
            op::KECCAK256,
            op::MCOPY,
            op::CALLDATACOPY,
        ]);
        // The arguments below the offset (pushed first).
        match code {
            op::MSTORE | op::MSTORE8 => {
                let v = edge_value(self.rng);
                self.push_value(v);
            }
            op::KECCAK256 => {
                let len = operand(self.rng, Role::MemLength, self.style).min(U256::from(96u8));
                self.push_value(len);
            }
            op::MCOPY | op::CALLDATACOPY => {
                let len = U256::from(
                    *[1u64, 31, 32, 33]
                        .get(self.rng.below(4) as usize)
                        .unwrap_or(&1),
                );
                self.push_value(len);
                let src = operand(self.rng, Role::DataOffset, self.style).min(U256::from(64u8));
                self.push_value(src);
            }
            _ => {}
        }
        if self.rng.chance(1, 2) {
            self.push_value(d);
            self.emit(op::MSIZE);
            self.emit(op::SUB);
        } else {
            self.emit(op::MSIZE);
            self.push_value(d);
            self.emit(op::ADD);
        }
        self.emit(code);
        if matches!(code, op::MLOAD | op::KECCAK256) {
            self.drop_top();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::Xoshiro256;
    use crate::generate::operands::Style;
    use crate::generate::tests::alone;
    use crate::{run_reference, Program, StatusClass};
    use cevm_runtime::SpecId;

    /// A program with `below` items on the stack and a stack-limit probe.
    fn probe(delta: i64, below: usize) -> Program {
        let mut rng = Xoshiro256::new(1);
        let style = Style {
            contracts: 1,
            own: 0,
            wild: false,
        };
        let mut g = Gen::new(&mut rng, style, 0);
        for _ in 0..below {
            g.push_value(U256::from(7u8));
        }
        g.stack_limit(delta);
        g.emit(op::STOP);
        g.finish()
    }

    #[test]
    fn the_stack_probe_reaches_exactly_the_limit() {
        for below in [0, 5] {
            let run = |delta| run_reference(&alone(probe(delta, below)), SpecId::Osaka).unwrap();
            assert_eq!(run(-1).class, StatusClass::Success);
            assert_eq!(run(0).class, StatusClass::Success);
            let over = run(1);
            assert_eq!(over.class, StatusClass::Halt);
            assert!(over.status.contains("overflow"), "{}", over.status);
        }
    }
}
