//! The lowering's plan: every analysis of this module run once, and the
//! checks each block still needs.
//!
//! - **Stack bounds**: a block checks for underflow only if some entry
//!   height the stack analysis allows is below what the block reads, and
//!   for overflow only if some allowed height plus its growth exceeds the
//!   limit.
//! - **Gas**: every block subtracts its static gas from a signed counter on
//!   entry, but tests the counter only where it matters: before anything
//!   that observes gas or has an effect a later out-of-gas halt would not
//!   undo the same way (runtime calls, GAS, the end of the frame), and at
//!   loop headers so that every cycle is bounded. Between two tests the
//!   counter may go negative; the halt then comes at the next test, before
//!   anything observable, with the same result the EVM gives (an
//!   exceptional halt consumes all gas and reverts the frame's effects).
//!   The second copy of a loop lowered twice ([`Unroll`]) leaves its
//!   header's loop test to the first copy's: every cycle still passes one.

use super::cfg::Cfg;
use super::chunks::{ChunkLimits, Chunks};
use super::regions::Regions;
use super::stack::StackFacts;
use super::unroll::Unroll;
use crate::analysis::{Analysis, Terminator};
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op};

/// Whether executing `opcode` in compiled code needs the gas counter to be
/// exact and non-negative first: everything the lowering does not compute
/// inline (it calls the runtime, which charges dynamic gas, reads gas or
/// touches state) and GAS itself.
pub fn observes_gas(opcode: u8) -> bool {
    !matches!(
        opcode,
        op::ADD..=op::SMOD
            | op::ADDMOD
            | op::MULMOD
            | op::SIGNEXTEND
            | op::LT..=op::CLZ
            | op::POP
            | op::MLOAD
            | op::MSTORE
            | op::MSTORE8
            | op::JUMP
            | op::JUMPI
            | op::PC
            | op::MSIZE
            | op::JUMPDEST
            | op::CODESIZE
            | op::CALLVALUE
            | op::CALLER
            | op::ADDRESS
            | op::CALLDATASIZE
            | op::CALLDATALOAD
            | op::PUSH0..=op::SWAP16
    )
}

/// The checks one block keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockPlan {
    /// Test the entry height against what the block reads.
    pub check_underflow: bool,
    /// Test the entry height against the limit minus the block's growth.
    pub check_overflow: bool,
    /// Test the gas counter after charging the block.
    pub check_gas: bool,
    /// The gas test is there only because the block is a loop header
    /// (nothing in it observes gas and it does not end the frame): a
    /// second copy of an unrolled loop leaves it out (see [`Unroll`]).
    pub loop_test_only: bool,
    /// Lowered as the continuation of the block before it in code order:
    /// that block falls through to this one and is its only way in, so no
    /// branch separates them (chains of JUMPDESTs, long straight-line code
    /// the block split cut).
    pub merged: bool,
}

/// Everything the lowering needs to know about the code.
#[derive(Debug)]
pub struct Plan<'a, 'c> {
    /// The blocks.
    pub an: &'a Analysis<'c>,
    /// The stack analysis.
    pub facts: StackFacts,
    /// Edges, order and loops.
    pub cfg: Cfg,
    /// Regions of static relative height.
    pub regions: Regions,
    /// The functions the code is compiled into.
    pub chunks: Chunks,
    /// The small loops lowered twice.
    pub unroll: Unroll,
    /// Per block.
    pub blocks: Vec<BlockPlan>,
}

impl<'a, 'c> Plan<'a, 'c> {
    /// Analyses `an`.
    pub fn new(an: &'a Analysis<'c>) -> Self {
        Self::with_limits(an, ChunkLimits::default())
    }

    /// Analyses `an`, cutting it into chunks of at most about `limits`.
    pub fn with_limits(an: &'a Analysis<'c>, limits: ChunkLimits) -> Self {
        let facts = StackFacts::for_compiler(an);
        let cfg = Cfg::new(an, &facts);
        let first = Regions::new(an, &facts, &cfg);
        let (chunks, mut forced) = Chunks::new(an, &cfg, &first, limits);
        // Cutting into chunks only adds anchors (the chunks stay as they
        // are) until no region straddles two chunks.
        let regions = if chunks.chunks.len() > 1 {
            let entries = chunks.all_entries();
            loop {
                let r = Regions::with_anchors(an, &facts, &cfg, &forced, &entries);
                let straddling: Vec<usize> = cfg
                    .order
                    .iter()
                    .copied()
                    .filter(|&b| {
                        r.place[b].is_some_and(|p| chunks.of_block[p.anchor] != chunks.of_block[b])
                    })
                    .collect();
                if straddling.is_empty() {
                    break r;
                }
                forced.extend(straddling);
            }
        } else {
            first
        };
        let blocks = an
            .blocks
            .iter()
            .enumerate()
            .map(|(i, info)| {
                let Some(entry) = &facts.blocks[i].entry else {
                    return BlockPlan::default();
                };
                let needed = info.stack_needed;
                let growth = info.max_growth;
                let ends_frame = matches!(
                    info.terminator,
                    Terminator::Stop
                        | Terminator::Return
                        | Terminator::Revert
                        | Terminator::SelfDestruct
                        | Terminator::EndOfCode
                );
                let observes = an.block_instructions(i).iter().any(|ins| {
                    opcode::info_in(ins.opcode, an.spec).is_some() && observes_gas(ins.opcode)
                });
                BlockPlan {
                    merged: false,
                    check_underflow: entry.lo < needed,
                    check_overflow: entry.hi as u64 + growth as u64 > STACK_LIMIT as u64,
                    check_gas: ends_frame || observes || cfg.loop_header[i],
                    loop_test_only: cfg.loop_header[i] && !ends_frame && !observes,
                }
            })
            .collect();
        let unroll = Unroll::new(an, &cfg, &chunks);
        let mut plan = Plan {
            an,
            facts,
            cfg,
            regions,
            chunks,
            unroll,
            blocks,
        };
        plan.mark_merged();
        plan
    }

    /// Marks the blocks lowered as continuations of their predecessor.
    fn mark_merged(&mut self) {
        for &c in &self.cfg.order {
            let preds = &self.cfg.preds[c];
            let [p] = preds[..] else { continue };
            let falls_in = self.an.blocks[p].terminator == Terminator::FallThrough
                && self.cfg.succs[p] == [c]
                && self.an.block_at(self.an.blocks[p].end) == Some(c);
            if c != 0
                && falls_in
                && !self.regions.is_anchor(c)
                && self.chunks.of_block[c] == self.chunks.of_block[p]
            {
                self.blocks[c].merged = true;
            }
        }
    }

    /// Whether compiled code needs the dispatch over JUMPDESTs.
    pub fn has_dispatch(&self) -> bool {
        !self.cfg.dispatch_targets.is_empty()
    }

    /// Whether some block of chunk `chunk` can run more than once in a
    /// frame (see [`Cfg::on_cycle`]).
    pub fn chunk_on_cycle(&self, chunk: usize) -> bool {
        self.chunks.chunks[chunk]
            .blocks
            .iter()
            .any(|&b| self.cfg.on_cycle[b])
    }

    /// How the JUMP or JUMPI ending `block` reaches its target, from the
    /// stack analysis: the rules the lowering's jumps follow.
    pub fn jump_route(&self, block: usize) -> JumpRoute {
        let exits = &self.facts.blocks[block].exits;
        let dispatch = exits.dynamic && self.has_dispatch();
        let targets: Vec<usize> = exits
            .targets
            .iter()
            .copied()
            .filter(|&t| self.chunks.of_block[t].is_some())
            .collect();
        // A switch of its own only pays for targets that are not anchors
        // (their region's variables need a direct edge).
        if dispatch && targets.iter().all(|&t| self.regions.is_anchor(t)) {
            return JumpRoute::Dispatch;
        }
        match targets[..] {
            [] if dispatch => JumpRoute::Dispatch,
            [] if exits.invalid => JumpRoute::Invalid,
            [] => JumpRoute::Never,
            [t] if !dispatch && !exits.invalid => JumpRoute::Direct(t),
            _ => JumpRoute::Switch {
                targets,
                otherwise_dispatch: dispatch,
            },
        }
    }

    /// The block whose entry charges the gas of `block`: the head of the
    /// chain of merged blocks it belongs to (itself if not merged).
    pub fn charged_at(&self, block: usize) -> usize {
        let mut b = block;
        while self.blocks[b].merged {
            match self.cfg.preds[b][..] {
                [p] => b = p,
                _ => break,
            }
        }
        b
    }
}

/// Where a block's JUMP or JUMPI goes in compiled code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JumpRoute {
    /// The jump is never taken (a JUMPI whose condition is always zero).
    Never,
    /// The target is one block in every context: a direct branch.
    Direct(usize),
    /// One of a few blocks: a switch on the target, then the dispatch (if
    /// some context computes the target) or an invalid-jump halt.
    Switch {
        /// The blocks the analysis found, in code order.
        targets: Vec<usize>,
        /// Targets outside the list go through the dispatch.
        otherwise_dispatch: bool,
    },
    /// The dispatch over every JUMPDEST.
    Dispatch,
    /// Always an invalid jump (a constant that is not a JUMPDEST).
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_runtime::asm::assemble;
    use cevm_runtime::SpecId;

    #[test]
    fn static_heights_need_no_stack_checks_and_loops_one_gas_check() {
        let code = assemble(crate::passes::FIBONACCI_LOOP).unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let plan = Plan::new(&an);
        for b in &plan.blocks {
            assert!(!b.check_underflow && !b.check_overflow);
        }
        // The loop head and the STOP (CALLDATALOAD is answered inline).
        let gas: Vec<bool> = plan.blocks.iter().map(|b| b.check_gas).collect();
        assert_eq!(gas, vec![false, true, false, true]);
    }

    #[test]
    fn unknown_heights_keep_their_checks() {
        let code =
            assemble("PUSH0 CALLDATALOAD JUMP x: JUMPDEST ADD PUSH1 1 PUSH1 1 STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let plan = Plan::new(&an);
        assert!(plan.has_dispatch());
        let x = plan.blocks[1];
        assert!(x.check_underflow && x.check_overflow);
    }

    #[test]
    fn inline_opcodes_do_not_observe_gas() {
        for code in [
            op::ADD,
            op::MLOAD,
            op::DUP16,
            op::SWAP1,
            op::SAR,
            op::CLZ,
            op::PUSH32,
        ] {
            assert!(!observes_gas(code), "{code:#x}");
        }
        for code in [
            op::GAS,
            op::SLOAD,
            op::CALL,
            op::EXP,
            op::KECCAK256,
            op::BALANCE,
        ] {
            assert!(observes_gas(code), "{code:#x}");
        }
    }
}
