//! Abstract interpretation of the EVM stack over the whole control-flow graph.
//!
//! Every block is interpreted on an abstract stack (a height range and the
//! abstract values of the top items, see [`super::value`]) until nothing
//! changes. The result says, per block: whether it can run at all, the
//! heights it can be entered at, what the top items are on entry (constants,
//! widths), and where its JUMP or JUMPI can go. Jumps to return addresses
//! pushed elsewhere (solc's and Vyper's internal functions) are resolved
//! this way: the address travels through the stack as a constant.
//!
//! To keep return addresses apart, a block is analysed separately per
//! *context*: the last few jump destinations on the stack on entry (the
//! return addresses of the calls in progress). A block keeps at most
//! [`MAX_CONTEXTS`] contexts; a state that needs one more ends the precise
//! analysis (a catch-all context joining every further state would blur
//! return addresses with data, and on every code measured the precise
//! result was then discarded anyway). Loops converge by widening after a
//! few rounds.
//!
//! Calls and returns are matched: every destination pushed by a PUSH
//! remembers its *site* (that PUSH in that context), and the state right
//! after the push is kept. A JUMP to a destination that is still *intact*
//! (it was moved only by the SWAP just before the jump, nothing below it
//! was written since the push, see [`super::value::Label`]) continues with
//! the site's state below the destination and the items the callee left
//! above it. So the stack under a return address is the caller's own, not
//! the join over every caller of a shared function, and the caller's return
//! address stays exact however deep the calls nest.
//!
//! A jump whose target is not a known constant may go to any JUMPDEST. In
//! [`Mode::Dispatch`] every JUMPDEST block then also gets a context in
//! which nothing is known (the compiled code has a dispatch to every
//! JUMPDEST). In [`Mode::Exact`] such jumps are only recorded: compiled code
//! leaves to the interpreter when one goes somewhere the analysis did not
//! foresee, so the facts need not cover it. A return address can look
//! computed to the analysis (contexts blur call sites of recursive or much
//! shared functions); a target computed from data in the jumping block
//! itself (a jump table) is a real computed jump, see
//! [`computes_jump_target`].

use super::value::{AbsVal, Label, ValuePool, TOP};
use crate::analysis::{push_value, Analysis, Terminator};
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op};
use cevm_runtime::U256;
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;

mod solver;

use solver::Solver;

/// Stack items tracked from the top; deeper items are unknown.
pub const TRACKED_ITEMS: usize = 48;
/// Jump destinations on the stack that make up a context.
pub const CONTEXT_LABELS: usize = 2;
/// Contexts per block keyed by destinations; further states are keyed by
/// where destinations sit on the stack.
pub const MAX_FINE_CONTEXTS: usize = 32;
/// Top items whose destinations make up a coarse context.
pub const SHAPE_ITEMS: usize = TRACKED_ITEMS;
/// Contexts per block the precise analysis may create before it gives up
/// for the coarse one.
pub const MAX_CONTEXTS: usize = 64;
/// Instructions the precise analysis may interpret per instruction of the
/// code before it gives up for the coarse one.
pub const STEPS_PER_INSTRUCTION: u64 = 12;
/// Rounds a context may change before its changes are widened.
const WIDEN_AFTER: u32 = 6;
/// Rounds a context's minimum height may shrink before it drops to zero.
const WIDEN_LOW_AFTER: u32 = 64;

/// The abstract stack at one point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbsStack {
    /// Fewest items the stack can hold.
    pub lo: u32,
    /// Most items the stack can hold.
    pub hi: u32,
    /// The top items, deepest first (the last is the top); never more than
    /// `lo` or [`TRACKED_ITEMS`]. Items below them are unknown.
    pub items: Vec<AbsVal>,
}

impl AbsStack {
    /// The empty stack of a frame's start.
    pub fn empty() -> Self {
        AbsStack {
            lo: 0,
            hi: 0,
            items: Vec::new(),
        }
    }

    /// Any stack: what a computed jump may arrive with.
    pub fn unknown() -> Self {
        AbsStack {
            lo: 0,
            hi: STACK_LIMIT as u32,
            items: Vec::new(),
        }
    }

    /// The item `depth` below the top (0 = top).
    pub fn peek(&self, depth: usize) -> AbsVal {
        let len = self.items.len();
        if depth < len {
            self.items[len - 1 - depth]
        } else {
            TOP
        }
    }

    fn pop(&mut self) -> AbsVal {
        self.items.pop().unwrap_or(TOP)
    }

    fn push(&mut self, v: AbsVal) {
        self.items.push(v);
        if self.items.len() > TRACKED_ITEMS {
            self.items.remove(0);
        }
    }

    /// Makes the top `n` items (which exist: `lo >= n`) explicit.
    fn reveal(&mut self, n: usize) {
        let n = n.min(TRACKED_ITEMS);
        if self.items.len() < n {
            let missing = n - self.items.len();
            self.items.splice(0..0, std::iter::repeat_n(TOP, missing));
        }
    }
}

/// How the terminator of a block can leave it, over every context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exits {
    /// Blocks the JUMP/JUMPI can go to (sorted indices).
    pub targets: Vec<usize>,
    /// Some context jumps to a computed target (through the dispatch).
    pub dynamic: bool,
    /// Some context not reached through the dispatch jumps to a computed
    /// target: the jumps that make the dispatch necessary.
    pub dynamic_root: bool,
    /// Some context jumps to a constant that is not a valid destination.
    pub invalid: bool,
    /// Execution can continue with the next block in code order.
    pub falls_through: bool,
}

/// What the analysis found out about one block.
#[derive(Clone, Debug, Default)]
pub struct BlockFacts {
    /// The stack on entry, joined over every context; `None` if the block
    /// can never run.
    pub entry: Option<AbsStack>,
    /// Where the block can go.
    pub exits: Exits,
    /// Contexts the block was analysed in.
    pub contexts: usize,
}

/// What a jump to a computed target may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only the targets the analysis found; anything else leaves native code.
    Exact,
    /// Any JUMPDEST, through a dispatch.
    Dispatch,
}

/// The result of the analysis.
#[derive(Debug)]
pub struct StackFacts {
    /// How computed jumps were treated.
    pub mode: Mode,
    /// The constants and destination sets the facts refer to.
    pub pool: ValuePool,
    /// Per block of the [`Analysis`].
    pub blocks: Vec<BlockFacts>,
    /// Some reachable jump has a computed target: every JUMPDEST block can
    /// be entered through the dispatch.
    pub dynamic_jumps: bool,
}

impl StackFacts {
    /// Runs the analysis on `an` in `mode`. Contexts and call/return
    /// matching cost more than linear time on some code; past a budget of
    /// [`STEPS_PER_INSTRUCTION`] interpreted instructions per instruction
    /// of the code, the analysis starts again with one context per block
    /// and no matching (cheaper and coarser, still sound).
    pub fn new(an: &Analysis<'_>, mode: Mode) -> Self {
        Self::solve(an, mode, true, false).unwrap_or_else(|| Self::coarse(an, mode))
    }

    /// The analysis with one context per block and no call/return matching:
    /// linear in the code, coarser, still sound.
    pub fn coarse(an: &Analysis<'_>, mode: Mode) -> Self {
        Self::solve(an, mode, false, false).expect("the coarse analysis has no budget")
    }

    /// What the compiler uses: the analysis without a dispatch (precise,
    /// else coarse); if some jump target stays unknown, the coarse analysis
    /// with one (the facts without a dispatch would be lost to the
    /// dispatch's unknown stack anyway, so each analysis without one stops
    /// at the first computed jump it meets).
    pub fn for_compiler(an: &Analysis<'_>) -> Self {
        Self::solve(an, Mode::Exact, true, true)
            .or_else(|| Self::solve(an, Mode::Exact, false, true))
            .unwrap_or_else(|| Self::coarse(an, Mode::Dispatch))
    }

    /// Runs the analysis; `None` if it gave up (see [`Solver::gave_up`]).
    fn solve(
        an: &Analysis<'_>,
        mode: Mode,
        precise: bool,
        stop_at_computed_jump: bool,
    ) -> Option<Self> {
        let n = an.blocks.len();
        let budget = STEPS_PER_INSTRUCTION * (an.instructions.len() as u64 + 64);
        let mut solver = Solver::new(an, mode, precise, ValuePool::default());
        solver.stop_at_computed_jump = stop_at_computed_jump;
        if n > 0 {
            solver.arrive(0, AbsStack::empty(), None, false);
        }
        while let Some(id) = solver.queue.pop_front() {
            solver.contexts[id].queued = false;
            solver.run(id);
            if solver.gave_up || (precise && solver.steps > budget) {
                return None;
            }
        }
        let mut blocks: Vec<BlockFacts> = solver
            .exits
            .iter()
            .map(|e| BlockFacts {
                entry: None,
                exits: e.clone(),
                contexts: 0,
            })
            .collect();
        let valid = valid_fn(an);
        for c in &solver.contexts {
            let facts = &mut blocks[c.block];
            facts.contexts += 1;
            facts.entry = Some(match facts.entry.take() {
                None => c.state.clone(),
                Some(e) => join(&mut solver.pool, &e, &c.state, &valid),
            });
        }
        for b in &mut blocks {
            b.exits.targets.sort_unstable();
            b.exits.targets.dedup();
        }
        Some(StackFacts {
            mode,
            pool: solver.pool,
            blocks,
            dynamic_jumps: solver.dynamic_jumps,
        })
    }

    /// Whether block `index` can run.
    pub fn reachable(&self, index: usize) -> bool {
        self.blocks[index].entry.is_some()
    }

    /// What each instruction of `block` pushes, interpreted once from the
    /// block's entry stack joined over its contexts (what the lowering
    /// sees): one element per instruction, `None` where it pushes nothing.
    /// Empty if the block never runs.
    pub fn trace(&mut self, an: &Analysis<'_>, block: usize) -> Vec<Option<AbsVal>> {
        let Some(entry) = self.blocks[block].entry.clone() else {
            return Vec::new();
        };
        let pool = std::mem::take(&mut self.pool);
        let mut solver = Solver::new(an, self.mode, false, pool);
        solver.trace = Some(Vec::new());
        solver.interpret(block, entry, 0);
        let trace = solver.trace.take().unwrap_or_default();
        self.pool = solver.pool;
        trace
    }
}

/// The least upper bound of two stacks.
fn join(
    pool: &mut ValuePool,
    a: &AbsStack,
    b: &AbsStack,
    valid: &impl Fn(U256) -> Option<u32>,
) -> AbsStack {
    if a == b {
        return a.clone();
    }
    let lo = a.lo.min(b.lo);
    let hi = a.hi.max(b.hi);
    let n = a.items.len().min(b.items.len()).min(lo as usize);
    let (sa, sb) = (a.items.len() - n, b.items.len() - n);
    let items = (0..n)
        .map(|i| pool.join(a.items[sa + i], b.items[sb + i], valid))
        .collect();
    AbsStack { lo, hi, items }
}

/// Maps a constant to its pc if it is a valid jump destination of `an`.
fn valid_fn<'a>(an: &'a Analysis<'_>) -> impl Fn(U256) -> Option<u32> + 'a {
    move |c: U256| {
        let pc = usize::try_from(c).ok()?;
        an.jumpdests.is_valid(pc).then_some(pc as u32)
    }
}

/// Whether the JUMP/JUMPI ending `block` takes a target computed inside the
/// block from something other than constants (MLOAD, CALLDATALOAD,
/// arithmetic on entry items...): a jump table or function pointer, not a
/// return address that merely travels through the stack.
pub fn computes_jump_target(an: &Analysis<'_>, block: usize) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Origin {
        Entry,
        Constant,
        Computed,
    }
    let mut stack: Vec<Origin> = Vec::new();
    let take = |stack: &mut Vec<Origin>| stack.pop().unwrap_or(Origin::Entry);
    for ins in an.block_instructions(block) {
        let Some(info) = opcode::info_in(ins.opcode, an.spec) else {
            return false;
        };
        let code = ins.opcode;
        match code {
            op::PUSH0..=op::PUSH32 | op::PC | op::CODESIZE => stack.push(Origin::Constant),
            op::DUP1..=op::DUP16 => {
                let d = (code - op::DUP1) as usize;
                let v = stack
                    .len()
                    .checked_sub(d + 1)
                    .map_or(Origin::Entry, |i| stack[i]);
                stack.push(v);
            }
            op::SWAP1..=op::SWAP16 => {
                let d = (code - op::SWAP1 + 1) as usize;
                let len = stack.len();
                match len.checked_sub(d + 1) {
                    Some(i) => stack.swap(len - 1, i),
                    // The swapped-in item comes from below: an entry item.
                    None => {
                        if let Some(top) = stack.last_mut() {
                            *top = Origin::Entry;
                        }
                    }
                }
            }
            op::JUMP | op::JUMPI => return take(&mut stack) == Origin::Computed,
            _ => {
                let inputs: Vec<Origin> = (0..info.inputs).map(|_| take(&mut stack)).collect();
                if info.outputs == 1 {
                    let constant = super::fold::is_foldable(code)
                        && inputs.iter().all(|&o| o == Origin::Constant);
                    stack.push(if constant {
                        Origin::Constant
                    } else {
                        Origin::Computed
                    });
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
