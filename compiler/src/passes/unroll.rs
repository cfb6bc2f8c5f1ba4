//! Small loops lowered twice.
//!
//! A cycle of a few blocks that is a loop of its own (its blocks form a
//! strongly connected component in which each has exactly one successor
//! and one predecessor), in one chunk, in code without a dispatch and
//! within an instruction budget, is lowered as two copies: the first
//! copy's back edge enters the second copy's header and the second copy's
//! back edge the first copy's; every other edge into the cycle enters the
//! first copy, and edges out of either copy leave to the same blocks.
//!
//! Why: a round of such a loop may permute the items it keeps
//! (fibonacci's `a, b = b, a + b`); with one copy the register allocator
//! moves them back into place at every back edge, with two each round
//! leaves its values where the next round reads them. Only such loops are
//! lowered twice: in a loop that leaves each item at its place (a counter,
//! an accumulator: factorial) the copies gain nothing and the longer
//! function costs registers (factorial: 55 -> 61 instructions per round).
//! And the second
//! copy's header needs no gas test of its own: every cycle through it
//! also passes the first copy's header, so every cycle stays bounded;
//! between the two tests the blocks are pure (a block that observes gas
//! keeps its test in both copies), so a charge that runs out of gas is
//! caught at the next test, before anything observable, with the result
//! the EVM gives (an exceptional halt consumes all gas), and the second
//! copy's charges fold into one.

use super::cfg::Cfg;
use super::chunks::Chunks;
use crate::analysis::Analysis;

/// Most EVM instructions in a cycle that is lowered twice.
pub const MAX_CYCLE_INSTRUCTIONS: usize = 64;

/// Most EVM instructions lowered a second time per chunk (the budget that
/// bounds the IR the copies add to a function).
pub const MAX_CHUNK_INSTRUCTIONS: usize = 256;

/// One cycle lowered twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// The block the cycle's back edge enters (the loop header).
    pub header: usize,
    /// Its blocks, in code order.
    pub blocks: Vec<usize>,
}

/// The cycles lowered twice.
#[derive(Clone, Debug, Default)]
pub struct Unroll {
    /// The cycles.
    pub cycles: Vec<Cycle>,
    /// Per block: the index of its cycle in `cycles`, if it has one.
    pub cycle_of: Vec<Option<usize>>,
}

impl Unroll {
    /// The cycles of `cfg` lowered twice (none in code with a dispatch:
    /// a computed jump could enter a cycle at any of its blocks).
    pub fn new(an: &Analysis<'_>, cfg: &Cfg, chunks: &Chunks) -> Self {
        let n = an.blocks.len();
        let mut unroll = Unroll {
            cycles: Vec::new(),
            cycle_of: vec![None; n],
        };
        if !cfg.dispatch_targets.is_empty() {
            return unroll;
        }
        let mut spent = vec![0usize; chunks.chunks.len()];
        for header in 0..n {
            if !cfg.loop_header[header] {
                continue;
            }
            let Some(path) = simple_cycle(cfg, header) else {
                continue;
            };
            if !permutes_items(an, &path) {
                continue;
            }
            let mut blocks = path;
            blocks.sort_unstable();
            let Some(chunk) = chunks.of_block[header] else {
                continue;
            };
            if blocks.iter().any(|&b| chunks.of_block[b] != Some(chunk)) {
                continue;
            }
            let size: usize = blocks
                .iter()
                .map(|&b| an.blocks[b].instructions.len())
                .sum();
            if size > MAX_CYCLE_INSTRUCTIONS || spent[chunk] + size > MAX_CHUNK_INSTRUCTIONS {
                continue;
            }
            spent[chunk] += size;
            let index = unroll.cycles.len();
            for &b in &blocks {
                unroll.cycle_of[b] = Some(index);
            }
            unroll.cycles.push(Cycle { header, blocks });
        }
        unroll
    }

    /// The cycle `block` belongs to, if it is lowered twice.
    pub fn cycle(&self, block: usize) -> Option<&Cycle> {
        self.cycle_of
            .get(block)
            .copied()
            .flatten()
            .map(|c| &self.cycles[c])
    }
}

/// The blocks of the cycle through `header`, in the cycle's order from
/// `header`, if its
/// strongly connected component is one simple cycle: every block of it has
/// exactly one successor and one predecessor in it (so no other cycle
/// shares a block with it), and it has at most [`MAX_CYCLE_INSTRUCTIONS`]
/// blocks (each holds at least one instruction).
fn simple_cycle(cfg: &Cfg, header: usize) -> Option<Vec<usize>> {
    let component = cfg.component[header];
    let inside = |b: &&usize| cfg.component[**b] == component && cfg.on_cycle[**b];
    let mut path = vec![header];
    let mut cur = header;
    loop {
        let on: Vec<usize> = cfg.succs[cur].iter().filter(inside).copied().collect();
        let [next] = on[..] else { return None };
        let before: Vec<usize> = cfg.preds[next].iter().filter(inside).copied().collect();
        if before != [cur] {
            return None;
        }
        if next == header {
            break;
        }
        if path.contains(&next) || path.len() >= MAX_CYCLE_INSTRUCTIONS {
            return None;
        }
        path.push(next);
        cur = next;
    }
    Some(path)
}

/// A stack item in [`permutes_items`]: one the round found on entry (by
/// depth below the entry top) or one it computed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Entry(usize),
    Computed,
}

/// Whether a round of the cycle `path` (from its header) leaves some item
/// it found on entry at another depth, with the height unchanged: an item
/// the back edge moves. Instructions other than DUP, SWAP and POP compute
/// their outputs.
fn permutes_items(an: &Analysis<'_>, path: &[usize]) -> bool {
    use cevm_runtime::opcode::{self, op};
    // Deep enough for any DUP16/SWAP16 of a small round; a round reaching
    // deeper is left alone.
    const DEPTH: usize = 64;
    let mut stack: Vec<Item> = (0..DEPTH).rev().map(Item::Entry).collect();
    for &b in path {
        for ins in an.block_instructions(b) {
            let code = ins.opcode;
            match code {
                op::DUP1..=op::DUP16 => {
                    let n = (code - op::DUP1) as usize + 1;
                    let Some(&item) = stack.len().checked_sub(n).map(|i| &stack[i]) else {
                        return false;
                    };
                    stack.push(item);
                }
                op::SWAP1..=op::SWAP16 => {
                    let n = (code - op::SWAP1) as usize + 1;
                    let Some(other) = stack.len().checked_sub(n + 1) else {
                        return false;
                    };
                    let top = stack.len() - 1;
                    stack.swap(top, other);
                }
                _ => {
                    let Some(info) = opcode::info(code) else {
                        return false;
                    };
                    let Some(rest) = stack.len().checked_sub(info.inputs as usize) else {
                        return false;
                    };
                    stack.truncate(rest);
                    stack.extend((0..info.outputs).map(|_| Item::Computed));
                }
            }
        }
    }
    stack.len() == DEPTH
        && stack
            .iter()
            .rev()
            .enumerate()
            .any(|(depth, &item)| matches!(item, Item::Entry(d) if d != depth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::plan::Plan;
    use cevm_runtime::asm::assemble;
    use cevm_runtime::SpecId;

    fn cycles(src: &str) -> Vec<Cycle> {
        let code = assemble(src).unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let plan = Plan::new(&an);
        plan.unroll.cycles.clone()
    }

    #[test]
    fn a_two_block_loop_is_lowered_twice() {
        let c = cycles(crate::passes::FIBONACCI_LOOP);
        assert_eq!(
            c,
            vec![Cycle {
                header: 1,
                blocks: vec![1, 2]
            }]
        );
    }

    #[test]
    fn a_one_block_loop_is_lowered_twice() {
        // x, y = y, x + y in one block.
        let c = cycles(
            "PUSH1 9 PUSH1 1 PUSH0
             head: JUMPDEST DUP2 ADD SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 DUP3 PUSH @head JUMPI STOP",
        );
        assert_eq!(
            c,
            vec![Cycle {
                header: 1,
                blocks: vec![1]
            }]
        );
    }

    #[test]
    fn loops_that_keep_their_items_in_place_are_not() {
        // A counter and an accumulator (factorial's shape).
        let c = cycles(
            "PUSH0 CALLDATALOAD PUSH0 PUSH1 1
             head: JUMPDEST DUP3 ISZERO PUSH @done JUMPI
             SWAP1 PUSH1 1 ADD DUP1 SWAP2 MUL SWAP2 PUSH1 1 SWAP1 SUB SWAP2 PUSH @head JUMP
             done: JUMPDEST STOP",
        );
        assert!(c.is_empty(), "{c:?}");
        // A loop that grows the stack.
        let c = cycles("PUSH1 9 head: JUMPDEST DUP1 PUSH1 1 SWAP1 SUB DUP1 PUSH @head JUMPI STOP");
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn nested_loops_and_big_loops_are_not() {
        // The inner loop is a cycle of its own inside the outer one's
        // component: neither is a simple cycle.
        let c = cycles(
            "PUSH1 3
             outer: JUMPDEST PUSH1 3
             inner: JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH @inner JUMPI
             POP PUSH1 1 SWAP1 SUB DUP1 PUSH @outer JUMPI STOP",
        );
        assert!(c.is_empty(), "{c:?}");
        // Over the instruction budget.
        let body = "PUSH1 1 POP ".repeat(MAX_CYCLE_INSTRUCTIONS / 2);
        let c = cycles(&format!(
            "PUSH1 9 PUSH1 1 PUSH0
             head: JUMPDEST {body} DUP2 ADD SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 DUP3 PUSH @head JUMPI STOP"
        ));
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn code_with_a_dispatch_is_not_unrolled() {
        let c = cycles(
            "PUSH1 9 PUSH1 1 PUSH0
             head: JUMPDEST DUP2 ADD SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 DUP3 PUSH @head JUMPI
             PUSH0 CALLDATALOAD JUMP x: JUMPDEST STOP",
        );
        assert!(c.is_empty(), "{c:?}");
    }
}
