//! Block terminators: fall-through, JUMP/JUMPI (direct branches for constant
//! targets, the shared dispatch otherwise), STOP, RETURN, REVERT,
//! SELFDESTRUCT, INVALID and undefined instructions.

use super::vstack::Slot;
use super::{halt_exit, Lowering};
use crate::analysis::{BlockInfo, Terminator};
use crate::context::{exit, halt_code, offsets};
use cevm_runtime::opcode::{op, Instruction};
use cevm_runtime::HaltReason;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlagsData};

/// Where a jump goes once its target entry is known.
enum Destination {
    /// A block known at compile time.
    Direct(Block),
    /// A constant that is not a valid JUMPDEST.
    Invalid,
    /// Through the dispatch, with the target as an i64 (`u64::MAX` if it
    /// does not fit, which no JUMPDEST matches).
    Dispatch(cranelift_codegen::ir::Value),
}

impl Lowering<'_, '_> {
    fn destination(&mut self, target: Slot) -> Destination {
        if let Slot::Const(c) = target {
            return match usize::try_from(c) {
                Ok(pc) if self.an.jumpdests.is_valid(pc) => match self.block_at(pc) {
                    Some(b) => Destination::Direct(b),
                    None => Destination::Invalid,
                },
                _ => Destination::Invalid,
            };
        }
        let w = self.vs.materialize(&mut self.b, target);
        let high = super::word::exceeds_u64(&mut self.b, w);
        let none = self.b.ins().iconst(types::I64, -1);
        Destination::Dispatch(self.b.ins().select(high, none, w[0]))
    }

    /// The block to branch to for `dest` (a computed target is stored in the
    /// context for the dispatch block).
    fn branch_target(&mut self, dest: Destination) -> Block {
        match dest {
            Destination::Direct(b) => b,
            Destination::Invalid => self.halt_block(halt_code(HaltReason::InvalidJump)),
            Destination::Dispatch(t) => {
                self.b.ins().store(
                    MemFlagsData::trusted(),
                    t,
                    self.ctx_ptr,
                    offsets::JUMP_TARGET,
                );
                self.dispatch_block()
            }
        }
    }

    /// Ends the block at `info` with its terminator instruction `last`.
    pub(super) fn lower_terminator(&mut self, info: &BlockInfo, last: Option<Instruction<'_>>) {
        match info.terminator {
            Terminator::FallThrough => {
                self.leave_block();
                match self.block_at(info.end) {
                    Some(next) => {
                        self.b.ins().jump(next, &[]);
                    }
                    None => self.exit_with(exit::STOP),
                }
            }
            Terminator::EndOfCode | Terminator::Stop => {
                self.leave_block();
                self.exit_with(exit::STOP);
            }
            Terminator::Jump => {
                let target = self.vs.pop();
                let dest = self.destination(target);
                self.leave_block();
                let block = self.branch_target(dest);
                self.b.ins().jump(block, &[]);
            }
            Terminator::JumpI => {
                let target = self.vs.pop();
                let cond_slot = self.vs.pop();
                let cond = self.vs.materialize(&mut self.b, cond_slot);
                let cond = super::word::is_nonzero(&mut self.b, cond);
                let dest = self.destination(target);
                self.leave_block();
                let block = self.branch_target(dest);
                let next = match self.block_at(info.end) {
                    Some(next) => next,
                    None => self.halt_block(exit::STOP),
                };
                self.b.ins().brif(cond, block, &[], next, &[]);
            }
            Terminator::Return | Terminator::Revert | Terminator::SelfDestruct => {
                let code = last.map_or(op::STOP, |i| i.opcode);
                let rc = self.call_runtime_op(code, 0, false);
                self.b.ins().return_(&[rc]);
            }
            Terminator::Invalid | Terminator::Undefined(_) => {
                self.exit_with(halt_exit(info.terminator));
            }
        }
    }
}
