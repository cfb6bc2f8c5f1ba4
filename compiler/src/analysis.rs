//! Basic-block analysis: splits bytecode into the blocks the compiler lowers.
//!
//! A block starts at offset 0, at each valid JUMPDEST and after each JUMPI;
//! it ends at an instruction whose opcode-table flag `ends_block` is set,
//! after [`MAX_BLOCK_INSTRUCTIONS`] instructions of straight-line code, at
//! an instruction undefined in the fork (which halts), before the next
//! JUMPDEST, or at the end of the code. Code after a terminator that is not a
//! JUMPDEST can never run and is dropped. Everything here is one linear pass.

use cevm_runtime::opcode::{self, op, Instruction};
use cevm_runtime::{JumpTable, SpecId, U256};

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminator {
    /// The next instruction starts a new block (a JUMPDEST follows).
    FallThrough,
    /// The code ends without a halting instruction: an implicit STOP.
    EndOfCode,
    /// JUMP.
    Jump,
    /// JUMPI: to the target or on to the next block.
    JumpI,
    /// STOP.
    Stop,
    /// RETURN.
    Return,
    /// REVERT.
    Revert,
    /// The designated INVALID instruction.
    Invalid,
    /// SELFDESTRUCT.
    SelfDestruct,
    /// A byte that is not an instruction in the fork.
    Undefined(u8),
}

/// Where a JUMP or JUMPI goes, as far as the analysis can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpTarget {
    /// The block does not jump.
    None,
    /// The target is a constant pushed right before the jump and is a valid
    /// JUMPDEST: the jump becomes a direct branch to the block at this pc.
    Static(usize),
    /// The target is a constant that is not a valid JUMPDEST: the jump halts.
    StaticInvalid,
    /// The target is computed: it goes through the dispatch over all JUMPDESTs.
    Dynamic,
}

/// The facts the compiler needs about one basic block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Offset of the first instruction.
    pub start: usize,
    /// Offset just past the last instruction (and its immediate).
    pub end: usize,
    /// The block's instructions as indices into [`Analysis::instructions`].
    pub instructions: std::ops::Range<usize>,
    /// Sum of the static gas of the block's instructions (charged on entry).
    pub static_gas: u64,
    /// Stack items that must be present on entry.
    pub stack_needed: u32,
    /// Largest height above the entry height reached inside the block.
    pub max_growth: u32,
    /// Stack height change from entry to exit.
    pub stack_delta: i32,
    /// How the block ends.
    pub terminator: Terminator,
    /// Jump target of a JUMP/JUMPI terminator.
    pub jump_target: JumpTarget,
}

impl BlockInfo {
    /// Whether execution can continue with the block that follows in code order.
    pub fn falls_through(&self) -> bool {
        matches!(self.terminator, Terminator::FallThrough | Terminator::JumpI)
    }
}

/// The block structure of one bytecode under one fork.
#[derive(Debug)]
pub struct Analysis<'a> {
    /// The fork the gas figures are for.
    pub spec: SpecId,
    /// The code analysed.
    pub code: &'a [u8],
    /// Every instruction of the reachable blocks, in code order.
    pub instructions: Vec<Instruction<'a>>,
    /// Reachable blocks in code order.
    pub blocks: Vec<BlockInfo>,
    /// Valid jump destinations.
    pub jumpdests: JumpTable,
}

/// The value a PUSH instruction pushes (missing immediate bytes read as zero).
pub fn push_value(ins: &Instruction<'_>) -> U256 {
    let size = opcode::info(ins.opcode).map_or(0, |i| i.immediate as usize);
    let mut bytes = [0u8; 32];
    // Right-align the full immediate; bytes past the end of the code are zero.
    let start = 32 - size;
    bytes[start..start + ins.immediate.len()].copy_from_slice(ins.immediate);
    U256::from_be_bytes(bytes)
}

/// Accumulates one block while scanning.
struct OpenBlock {
    start: usize,
    first: usize,
    gas: u64,
    height: i32,
    needed: i32,
    growth: i32,
}

impl OpenBlock {
    fn new(start: usize, first: usize) -> Self {
        OpenBlock {
            start,
            first,
            gas: 0,
            height: 0,
            needed: 0,
            growth: 0,
        }
    }

    fn step(&mut self, inputs: u8, outputs: u8, gas: u64) {
        self.gas = self.gas.saturating_add(gas);
        self.needed = self.needed.max(inputs as i32 - self.height);
        self.height += outputs as i32 - inputs as i32;
        self.growth = self.growth.max(self.height);
    }

    fn close(
        self,
        end: usize,
        last: usize,
        terminator: Terminator,
        jump_target: JumpTarget,
    ) -> BlockInfo {
        BlockInfo {
            start: self.start,
            end,
            instructions: self.first..last,
            static_gas: self.gas,
            stack_needed: self.needed as u32,
            max_growth: self.growth as u32,
            stack_delta: self.height,
            terminator,
            jump_target,
        }
    }
}

/// Longest run of instructions lowered as one block; longer straight-line
/// code is split into fall-through blocks of this size (see [`Analysis::new`]).
pub const MAX_BLOCK_INSTRUCTIONS: usize = 256;

impl<'a> Analysis<'a> {
    /// Analyses `code` for `spec` in one pass.
    pub fn new(code: &'a [u8], spec: SpecId) -> Self {
        let jumpdests = JumpTable::analyze(code);
        let mut instructions: Vec<Instruction<'a>> = Vec::new();
        let mut blocks = Vec::new();
        // `None` while scanning dead code (after a terminator, before a JUMPDEST).
        let mut open: Option<OpenBlock> = None;
        // Whether the next instruction can be reached from the previous one
        // (true at offset 0 and after a JUMPI).
        let mut reachable_next = true;

        for ins in opcode::instructions(code) {
            let is_dest = ins.opcode == op::JUMPDEST;
            if is_dest {
                // A JUMPDEST always starts a block; close the one running into it.
                if let Some(block) = open.take() {
                    blocks.push(block.close(
                        ins.pc,
                        instructions.len(),
                        Terminator::FallThrough,
                        JumpTarget::None,
                    ));
                }
            }
            if open.is_none() {
                if !is_dest && !reachable_next {
                    continue; // dead code
                }
                open = Some(OpenBlock::new(ins.pc, instructions.len()));
            }
            reachable_next = false;
            let Some(block) = open.as_mut() else {
                continue;
            };
            let next_pc = ins.pc + 1 + ins.immediate.len();
            let info = opcode::info_in(ins.opcode, spec);
            let previous = instructions.last().copied();
            instructions.push(ins);
            let Some(info) = info else {
                if let Some(block) = open.take() {
                    blocks.push(block.close(
                        next_pc,
                        instructions.len(),
                        Terminator::Undefined(ins.opcode),
                        JumpTarget::None,
                    ));
                }
                continue;
            };
            block.step(info.inputs, info.outputs, info.static_gas(spec));
            if !info.ends_block {
                if instructions.len() - block.first >= MAX_BLOCK_INSTRUCTIONS {
                    // Cut long straight-line code into a chain of
                    // fall-through blocks: it bounds the live ranges the
                    // register allocator sees, keeping compile time linear.
                    if let Some(block) = open.take() {
                        blocks.push(block.close(
                            next_pc,
                            instructions.len(),
                            Terminator::FallThrough,
                            JumpTarget::None,
                        ));
                    }
                    reachable_next = true;
                }
                continue;
            }
            let terminator = match ins.opcode {
                op::JUMP => Terminator::Jump,
                op::JUMPI => Terminator::JumpI,
                op::STOP => Terminator::Stop,
                op::RETURN => Terminator::Return,
                op::REVERT => Terminator::Revert,
                op::SELFDESTRUCT => Terminator::SelfDestruct,
                _ => Terminator::Invalid,
            };
            let jump_target = if matches!(terminator, Terminator::Jump | Terminator::JumpI) {
                // Only a PUSH inside this block (not one before a JUMPDEST) is a
                // constant target.
                let in_block = instructions.len() - block.first >= 2;
                match previous.filter(|_| in_block) {
                    Some(p) if opcode::info(p.opcode).is_some_and(|i| i.is_push()) => {
                        let target = push_value(&p);
                        match usize::try_from(target) {
                            Ok(t) if jumpdests.is_valid(t) => JumpTarget::Static(t),
                            _ => JumpTarget::StaticInvalid,
                        }
                    }
                    _ => JumpTarget::Dynamic,
                }
            } else {
                JumpTarget::None
            };
            if let Some(block) = open.take() {
                blocks.push(block.close(next_pc, instructions.len(), terminator, jump_target));
            }
            // The fall-through successor of a JUMPI starts right after it.
            reachable_next = terminator == Terminator::JumpI;
        }
        if let Some(block) = open.take() {
            let end = block.start.max(code.len());
            blocks.push(block.close(
                end,
                instructions.len(),
                Terminator::EndOfCode,
                JumpTarget::None,
            ));
        } else if reachable_next {
            // JUMPI as the last instruction: falling through runs off the end.
            let at = instructions.len();
            blocks.push(OpenBlock::new(code.len(), at).close(
                code.len(),
                at,
                Terminator::EndOfCode,
                JumpTarget::None,
            ));
        }
        if blocks.is_empty() {
            // Empty code: one empty block that stops.
            blocks.push(OpenBlock::new(0, 0).close(0, 0, Terminator::EndOfCode, JumpTarget::None));
        }
        Analysis {
            spec,
            code,
            instructions,
            blocks,
            jumpdests,
        }
    }

    /// The index of the block starting at `pc`, if there is one.
    pub fn block_at(&self, pc: usize) -> Option<usize> {
        self.blocks.binary_search_by_key(&pc, |b| b.start).ok()
    }

    /// The instructions of block `index`.
    pub fn block_instructions(&self, index: usize) -> &[Instruction<'a>] {
        &self.instructions[self.blocks[index].instructions.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_jumpdest_and_after_jumpi() {
        // 0: PUSH1 0x01, 2: PUSH1 0x06, 4: JUMPI, 5: STOP, 6: JUMPDEST, 7: STOP, 8: ADD (dead)
        let code = [0x60, 0x01, 0x60, 0x06, 0x57, 0x00, 0x5b, 0x00, 0x01];
        let a = Analysis::new(&code, SpecId::Cancun);
        assert_eq!(a.blocks.len(), 3);
        assert_eq!(a.blocks[0].terminator, Terminator::JumpI);
        assert_eq!(a.blocks[0].jump_target, JumpTarget::Static(6));
        assert_eq!(a.blocks[0].static_gas, 3 + 3 + 10);
        assert_eq!(a.blocks[1].start, 5);
        assert_eq!(a.blocks[1].terminator, Terminator::Stop);
        assert_eq!(a.blocks[2].start, 6);
        assert_eq!(a.blocks[2].static_gas, 1);
        assert_eq!(a.block_at(6), Some(2));
        assert_eq!(a.instructions.len(), 6, "dead ADD dropped");
    }

    #[test]
    fn static_jump_targets_are_recognised() {
        // PUSH1 3 JUMP JUMPDEST PUSH1 9 JUMP
        let code = [0x60, 0x03, 0x56, 0x5b, 0x60, 0x09, 0x56];
        let a = Analysis::new(&code, SpecId::Cancun);
        assert_eq!(a.blocks[0].jump_target, JumpTarget::Static(3));
        assert_eq!(a.blocks[1].jump_target, JumpTarget::StaticInvalid);
    }

    #[test]
    fn stack_needs_and_growth() {
        // ADD ADD PUSH0 PUSH0 PUSH0 POP
        let code = [0x01, 0x01, 0x5f, 0x5f, 0x5f, 0x50];
        let a = Analysis::new(&code, SpecId::Cancun);
        let b = &a.blocks[0];
        assert_eq!(b.stack_needed, 3);
        assert_eq!(b.stack_delta, 0);
        assert_eq!(b.max_growth, 1);
        assert_eq!(b.terminator, Terminator::EndOfCode);
    }

    #[test]
    fn undefined_opcode_ends_block_and_fork_gates() {
        let a = Analysis::new(&[0x1e, 0x00], SpecId::Prague);
        assert_eq!(a.blocks[0].terminator, Terminator::Undefined(0x1e));
        let a = Analysis::new(&[0x5f, 0x1e, 0x00], SpecId::Osaka);
        assert_eq!(a.blocks[0].terminator, Terminator::Stop);
        assert_eq!(a.blocks[0].static_gas, 2 + 5);
    }

    #[test]
    fn truncated_push_and_empty_code() {
        let a = Analysis::new(&[0x61, 0x01], SpecId::Cancun);
        assert_eq!(push_value(&a.instructions[0]), U256::from(0x0100));
        let a = Analysis::new(&[], SpecId::Cancun);
        assert_eq!(a.blocks.len(), 1);
        assert_eq!(a.blocks[0].terminator, Terminator::EndOfCode);
    }
}
