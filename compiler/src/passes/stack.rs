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
//! return addresses of the calls in progress, like a call string). A block
//! keeps at most [`MAX_CONTEXTS`] contexts; further states share one
//! catch-all context. Loops converge by widening after a few rounds.
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

use super::value::{AbsVal, ValuePool, TOP};
use crate::analysis::{push_value, Analysis, Terminator};
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op};
use cevm_runtime::U256;
use std::collections::{HashMap, VecDeque};

/// Stack items tracked from the top; deeper items are unknown.
pub const TRACKED_ITEMS: usize = 64;
/// Jump destinations on the stack that make up a context.
pub const CONTEXT_LABELS: usize = 4;
/// Contexts per block keyed by destinations; further states are keyed by
/// where destinations sit on the stack.
pub const MAX_FINE_CONTEXTS: usize = 16;
/// Contexts per block before states share a catch-all context.
pub const MAX_CONTEXTS: usize = 64;
/// Rounds a context may change before its changes are widened.
const WIDEN_AFTER: u32 = 6;

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

/// Identifies a context: the last destinations on the stack, or the
/// catch-all (`None`), or a computed jump's arrival.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ContextKey {
    Labels(Vec<AbsVal>),
    Shape(Vec<u8>),
    CatchAll,
    Dispatch,
}

struct Context {
    block: usize,
    /// Reached (through any number of blocks) from the dispatch of a
    /// computed jump: such contexts start from an unknown stack and are
    /// kept apart from the others so they do not blur them.
    tainted: bool,
    state: AbsStack,
    changes: u32,
    queued: bool,
}

struct Solver<'a, 'c> {
    an: &'a Analysis<'c>,
    pool: ValuePool,
    contexts: Vec<Context>,
    by_key: HashMap<(usize, bool, ContextKey), usize>,
    per_block: Vec<usize>,
    queue: VecDeque<usize>,
    exits: Vec<Exits>,
    dynamic_jumps: bool,
    mode: Mode,
}

/// What one pass over a block's instructions ends with.
enum Outcome {
    /// The block always halts (or ends the frame).
    Halts,
    /// The terminator leaves with `state`; `target` and `cond` are the
    /// popped jump operands of a JUMP/JUMPI.
    Leaves {
        state: AbsStack,
        target: Option<AbsVal>,
        cond: Option<AbsVal>,
    },
}

impl StackFacts {
    /// Runs the analysis on `an` in `mode`.
    pub fn new(an: &Analysis<'_>, mode: Mode) -> Self {
        let n = an.blocks.len();
        let mut solver = Solver {
            an,
            pool: ValuePool::default(),
            contexts: Vec::new(),
            by_key: HashMap::new(),
            per_block: vec![0; n],
            queue: VecDeque::new(),
            exits: vec![Exits::default(); n],
            dynamic_jumps: false,
            mode,
        };
        if n > 0 {
            solver.arrive(0, AbsStack::empty(), None, false);
        }
        while let Some(id) = solver.queue.pop_front() {
            solver.contexts[id].queued = false;
            solver.run(id);
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
        StackFacts {
            mode,
            pool: solver.pool,
            blocks,
            dynamic_jumps: solver.dynamic_jumps,
        }
    }

    /// Whether block `index` can run.
    pub fn reachable(&self, index: usize) -> bool {
        self.blocks[index].entry.is_some()
    }
}

/// The least upper bound of two stacks.
fn join(
    pool: &mut ValuePool,
    a: &AbsStack,
    b: &AbsStack,
    valid: &impl Fn(U256) -> Option<u32>,
) -> AbsStack {
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

impl Solver<'_, '_> {
    /// Whether `v` is (one of) jump destinations.
    fn is_label(&self, v: AbsVal) -> bool {
        match v {
            AbsVal::Labels(_) => true,
            AbsVal::Const(_) => self.pool.as_const(v).and_then(valid_fn(self.an)).is_some(),
            AbsVal::Bits(_) => false,
        }
    }

    /// The fine context of a state: its last few destinations.
    fn labels_key(&self, state: &AbsStack) -> ContextKey {
        let mut labels: Vec<AbsVal> = state
            .items
            .iter()
            .rev()
            .filter(|&&v| self.is_label(v))
            .take(CONTEXT_LABELS)
            .copied()
            .collect();
        labels.reverse();
        ContextKey::Labels(labels)
    }

    /// The coarse context of a state: the depths that hold destinations.
    /// States of one shape join without mixing a destination with data, so
    /// their jumps stay resolved (to the union of their targets).
    fn shape_key(&self, state: &AbsStack) -> ContextKey {
        let depths = state
            .items
            .iter()
            .rev()
            .enumerate()
            .filter(|(_, &v)| self.is_label(v))
            .map(|(d, _)| d as u8)
            .collect();
        ContextKey::Shape(depths)
    }

    /// Joins `state` into a context of `block` (the one its key names,
    /// `forced` if given) and queues it if it changed.
    fn arrive(&mut self, block: usize, state: AbsStack, forced: Option<ContextKey>, tainted: bool) {
        let known = |s: &Self, k: &ContextKey| s.by_key.contains_key(&(block, tainted, k.clone()));
        let mut key = forced.unwrap_or_else(|| self.labels_key(&state));
        if matches!(key, ContextKey::Labels(_))
            && !known(self, &key)
            && self.per_block[block] >= MAX_FINE_CONTEXTS
        {
            key = self.shape_key(&state);
        }
        if matches!(key, ContextKey::Shape(_))
            && !known(self, &key)
            && self.per_block[block] >= MAX_CONTEXTS
        {
            key = ContextKey::CatchAll;
        }
        let id = match self.by_key.get(&(block, tainted, key.clone())) {
            Some(&id) => id,
            None => {
                let id = self.contexts.len();
                self.contexts.push(Context {
                    block,
                    tainted,
                    state,
                    changes: 0,
                    queued: true,
                });
                self.by_key.insert((block, tainted, key), id);
                self.per_block[block] += 1;
                self.queue.push_back(id);
                return;
            }
        };
        let valid = valid_fn(self.an);
        let old = self.contexts[id].state.clone();
        let mut new = join(&mut self.pool, &old, &state, &valid);
        if new == old {
            return;
        }
        let ctx = &mut self.contexts[id];
        ctx.changes += 1;
        if ctx.changes > WIDEN_AFTER {
            widen(&old, &mut new);
        }
        ctx.state = new;
        if !ctx.queued {
            ctx.queued = true;
            self.queue.push_back(id);
        }
    }

    /// Interprets the block of context `id` and passes its exit state on.
    fn run(&mut self, id: usize) {
        let block = self.contexts[id].block;
        let tainted = self.contexts[id].tainted;
        let state = self.contexts[id].state.clone();
        let info = &self.an.blocks[block];
        let Outcome::Leaves {
            state,
            target,
            cond,
        } = self.interpret(block, state)
        else {
            return;
        };
        let next = self.an.block_at(info.end);
        let (mut may_jump, mut may_fall) = match info.terminator {
            Terminator::FallThrough => (false, true),
            Terminator::Jump => (true, false),
            Terminator::JumpI => (true, true),
            _ => (false, false),
        };
        if let Some(c) = cond.and_then(|c| self.pool.as_const(c)) {
            // A constant condition decides the branch.
            may_jump &= !c.is_zero();
            may_fall &= c.is_zero();
        }
        if may_fall {
            if let Some(next) = next {
                self.exits[block].falls_through = true;
                self.arrive(next, state.clone(), None, tainted);
            }
        }
        if may_jump {
            let target = target.unwrap_or(TOP);
            match self.pool.as_targets(target) {
                Some(pcs) => {
                    for pc in pcs {
                        let dest = usize::try_from(pc)
                            .ok()
                            .filter(|&pc| self.an.jumpdests.is_valid(pc))
                            .and_then(|pc| self.an.block_at(pc));
                        match dest {
                            Some(b) => {
                                if !self.exits[block].targets.contains(&b) {
                                    self.exits[block].targets.push(b);
                                }
                                self.arrive(b, state.clone(), None, tainted);
                            }
                            None => self.exits[block].invalid = true,
                        }
                    }
                }
                None => {
                    self.exits[block].dynamic = true;
                    if !tainted {
                        self.exits[block].dynamic_root = true;
                    }
                    self.computed_jump();
                }
            }
        }
    }

    /// A computed jump exists: in [`Mode::Dispatch`] every JUMPDEST block
    /// may be entered with any stack (added once).
    fn computed_jump(&mut self) {
        if self.dynamic_jumps {
            return;
        }
        self.dynamic_jumps = true;
        if self.mode == Mode::Exact {
            return;
        }
        for (i, b) in self.an.blocks.iter().enumerate() {
            if self.an.jumpdests.is_valid(b.start) {
                self.arrive(i, AbsStack::unknown(), Some(ContextKey::Dispatch), true);
            }
        }
    }

    /// Runs the instructions of `block` on `state`.
    fn interpret(&mut self, block: usize, mut state: AbsStack) -> Outcome {
        let an = self.an;
        let info = &an.blocks[block];
        let limit = STACK_LIMIT as u32;
        let mut target = None;
        let mut cond = None;
        for ins in an.block_instructions(block) {
            let Some(op_info) = opcode::info_in(ins.opcode, an.spec) else {
                return Outcome::Halts;
            };
            let (n, m) = (op_info.inputs as u32, op_info.outputs as u32);
            if state.hi < n {
                return Outcome::Halts; // always underflows
            }
            state.lo = state.lo.max(n);
            if state.lo - n + m > limit {
                return Outcome::Halts; // always overflows
            }
            state.hi = (state.hi - n + m).min(limit);
            state.reveal(n as usize);
            let code = ins.opcode;
            match code {
                op::PUSH0..=op::PUSH32 => {
                    let v = self.pool.constant(push_value(ins));
                    state.push(v);
                }
                op::DUP1..=op::DUP16 => {
                    let v = state.peek((code - op::DUP1) as usize);
                    state.push(v);
                }
                op::SWAP1..=op::SWAP16 => {
                    let d = (code - op::SWAP1 + 1) as usize;
                    let len = state.items.len();
                    if d < len {
                        state.items.swap(len - 1, len - 1 - d);
                    } else {
                        // The deeper item is outside the window: the top
                        // becomes unknown, the other side is forgotten.
                        if let Some(top) = state.items.last_mut() {
                            *top = TOP;
                        }
                    }
                }
                op::JUMP => target = Some(state.pop()),
                op::JUMPI => {
                    target = Some(state.pop());
                    cond = Some(state.pop());
                }
                op::PC => {
                    let v = self.pool.constant(U256::from(ins.pc));
                    state.push(v);
                }
                op::CODESIZE => {
                    let v = self.pool.constant(U256::from(an.code.len()));
                    state.push(v);
                }
                _ if super::fold::is_foldable(code) => {
                    let args: Vec<AbsVal> = (0..n).map(|_| state.pop()).collect();
                    let v = self.pool.apply(code, &args);
                    state.push(v);
                }
                _ => {
                    for _ in 0..n {
                        state.pop();
                    }
                    if m == 1 {
                        state.push(AbsVal::Bits(super::value::runtime_output_width(code)));
                    }
                }
            }
            state.lo = state.lo - n + m;
            if state.items.len() > state.lo as usize {
                let excess = state.items.len() - state.lo as usize;
                state.items.drain(0..excess);
            }
        }
        match info.terminator {
            Terminator::FallThrough | Terminator::Jump | Terminator::JumpI => Outcome::Leaves {
                state,
                target,
                cond,
            },
            _ => Outcome::Halts,
        }
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

/// Widening: whatever still changes jumps to its limit, so loops converge.
fn widen(old: &AbsStack, new: &mut AbsStack) {
    if new.hi > old.hi {
        new.hi = STACK_LIMIT as u32;
    }
    if new.lo < old.lo {
        new.lo = 0;
        new.items.clear();
        return;
    }
    let n = new.items.len().min(old.items.len());
    let (so, sn) = (old.items.len() - n, new.items.len() - n);
    for i in 0..n {
        if new.items[sn + i] != old.items[so + i] {
            new.items[sn + i] = TOP;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_runtime::asm::assemble;
    use cevm_runtime::SpecId;

    fn facts(src: &str) -> (Vec<u8>, StackFacts, Vec<usize>) {
        let code = assemble(src).expect("assembles");
        let an = Analysis::new(&code, SpecId::Osaka);
        let starts = an.blocks.iter().map(|b| b.start).collect();
        let f = StackFacts::new(&an, Mode::Dispatch);
        (code.to_vec(), f, starts)
    }

    #[test]
    fn return_addresses_resolve_to_their_call_sites() {
        // An internal function called from two sites at different heights;
        // its final JUMP goes back to whichever site called it.
        let src = "
            PUSH1 1 PUSH @ret1 PUSH1 7 PUSH @f JUMP
            ret1: JUMPDEST
            PUSH1 2 PUSH1 3 PUSH @ret2 PUSH1 9 PUSH @f JUMP
            ret2: JUMPDEST STOP
            f: JUMPDEST POP JUMP
        ";
        let (_, f, starts) = facts(src);
        assert!(!f.dynamic_jumps);
        let fi = starts.len() - 1;
        let exits = &f.blocks[fi].exits;
        assert_eq!(exits.targets.len(), 2, "{exits:?}");
        assert!(!exits.dynamic && !exits.invalid);
        // f is entered at heights 3 and 5.
        let entry = f.blocks[fi].entry.as_ref().unwrap();
        assert_eq!((entry.lo, entry.hi), (3, 5));
        assert_eq!(f.blocks[fi].contexts, 2);
    }

    #[test]
    fn loops_converge_with_exact_heights() {
        // fibonacci-like loop: counter, a, b; the head is entered at height 3.
        let src = "
            PUSH0 CALLDATALOAD PUSH0 PUSH1 1
            head: JUMPDEST DUP3 ISZERO PUSH @done JUMPI
            DUP2 DUP2 ADD SWAP2 POP SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 PUSH @head JUMP
            done: JUMPDEST STOP
        ";
        let (_, f, _) = facts(src);
        let head = &f.blocks[1];
        let entry = head.entry.as_ref().unwrap();
        assert_eq!((entry.lo, entry.hi), (3, 3));
        assert!(!f.dynamic_jumps);
        assert_eq!(f.blocks[2].exits.targets, vec![1]);
    }

    #[test]
    fn computed_jumps_reach_every_destination() {
        let src = "
            PUSH0 CALLDATALOAD JUMP
            a: JUMPDEST PUSH1 1 STOP
            b: JUMPDEST STOP
        ";
        let (_, f, _) = facts(src);
        assert!(f.dynamic_jumps);
        assert!(f.blocks[0].exits.dynamic);
        for b in &f.blocks[1..] {
            let e = b.entry.as_ref().unwrap();
            assert_eq!((e.lo, e.hi), (0, STACK_LIMIT as u32));
        }
    }

    #[test]
    fn exact_mode_records_computed_jumps_without_dispatch() {
        let src = "
            PUSH0 CALLDATALOAD JUMP
            a: JUMPDEST PUSH1 1 STOP
        ";
        let code = assemble(src).unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let f = StackFacts::new(&an, Mode::Exact);
        assert!(f.dynamic_jumps && f.blocks[0].exits.dynamic);
        assert!(!f.reachable(1), "nothing foreseen reaches a");
        assert!(computes_jump_target(&an, 0));
    }

    #[test]
    fn return_addresses_are_not_computed_targets() {
        let code = assemble("PUSH1 4 PUSH1 1 SWAP1 JUMP JUMPDEST DUP2 SWAP1 JUMP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        assert!(!computes_jump_target(&an, 0), "a constant");
        assert!(!computes_jump_target(&an, 1), "an entry item");
        let code = assemble("PUSH1 0x40 MLOAD JUMP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        assert!(computes_jump_target(&an, 0), "loaded from memory");
    }

    #[test]
    fn constant_conditions_and_invalid_targets() {
        // The condition is 0: the JUMPI never jumps; the next jump's
        // constant target is not a destination.
        let src = "
            PUSH0 PUSH @x JUMPI
            PUSH1 3 JUMP
            x: JUMPDEST STOP
        ";
        let (_, f, _) = facts(src);
        assert!(f.blocks[0].exits.targets.is_empty());
        assert!(f.blocks[0].exits.falls_through);
        assert!(f.blocks[1].exits.invalid);
        assert!(!f.reachable(2), "x is never reached");
    }

    #[test]
    fn underflowing_blocks_stop_the_analysis() {
        let (_, f, _) = facts("ADD PUSH1 4 JUMP JUMPDEST STOP");
        assert!(f.blocks[0].exits.targets.is_empty());
        assert!(!f.reachable(1));
    }

    #[test]
    fn widths_and_constants_reach_the_next_block() {
        let src = "
            PUSH0 CALLDATALOAD PUSH1 0xe0 SHR CALLER PUSH1 5 PUSH @n JUMP
            n: JUMPDEST STOP
        ";
        let (_, f, _) = facts(src);
        let e = f.blocks[1].entry.as_ref().unwrap();
        assert_eq!(e.items.len(), 3);
        assert_eq!(f.pool.width(e.items[0]), 32);
        assert_eq!(f.pool.width(e.items[1]), 160);
        assert_eq!(f.pool.as_const(e.items[2]), Some(U256::from(5)));
    }
}
