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

/// Identifies a context: the last destinations on the stack, their depths,
/// the one context of the coarse analysis, or a computed jump's arrival.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ContextKey {
    Labels(Vec<Vec<(u32, u32)>>),
    Shape(Vec<u8>),
    CatchAll,
    Dispatch,
}

/// The stack a destination returns to: `state`, whose item at `depth` is
/// the position the destination was pushed to.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Snapshot {
    state: AbsStack,
    depth: u32,
}

/// The depth of a site not recorded yet.
const UNRECORDED: u32 = u32::MAX;

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
    /// Sites: (block, instruction index, context, replaced site) to id.
    sites: HashMap<(usize, usize, usize, u32), u32>,
    /// Per site, the stack to return to.
    snapshots: Vec<Snapshot>,
    /// Per site, the contexts whose jumps returned to its state.
    site_users: Vec<Vec<usize>>,
    /// Contexts, call/return matching: off after the budget ran out.
    precise: bool,
    /// Instructions interpreted so far.
    steps: u64,
    /// When set, what each interpreted instruction pushes (see
    /// [`StackFacts::trace`]).
    trace: Option<Vec<Option<AbsVal>>>,
    /// Stop at the first computed jump (the caller discards such facts).
    stop_at_computed_jump: bool,
    /// The analysis stopped early: out of budget or contexts (precise), or
    /// a computed jump with `stop_at_computed_jump`.
    gave_up: bool,
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

impl<'a, 'c> Solver<'a, 'c> {
    fn new(an: &'a Analysis<'c>, mode: Mode, precise: bool, pool: ValuePool) -> Self {
        let n = an.blocks.len();
        Solver {
            an,
            pool,
            contexts: Vec::new(),
            by_key: HashMap::default(),
            per_block: vec![0; n],
            queue: VecDeque::new(),
            exits: vec![Exits::default(); n],
            dynamic_jumps: false,
            mode,
            sites: HashMap::default(),
            snapshots: Vec::new(),
            site_users: Vec::new(),
            precise,
            steps: 0,
            trace: None,
            stop_at_computed_jump: false,
            gave_up: false,
        }
    }

    /// Whether `v` is (one of) jump destinations.
    fn is_label(&self, v: AbsVal) -> bool {
        match v {
            AbsVal::Labels(_) => true,
            AbsVal::Const(_) => self.pool.as_const(v).and_then(valid_fn(self.an)).is_some(),
            AbsVal::Bits(_) => false,
        }
    }

    /// The fine context of a state: its last few destinations (by pc).
    fn labels_key(&self, state: &AbsStack) -> ContextKey {
        let valid = valid_fn(self.an);
        let mut labels: Vec<Vec<(u32, u32)>> = state
            .items
            .iter()
            .rev()
            .filter_map(|&v| match v {
                AbsVal::Labels(id) => Some(
                    self.pool
                        .label_set(id)
                        .iter()
                        .map(|l| (l.pc, l.site))
                        .collect(),
                ),
                AbsVal::Const(_) => self
                    .pool
                    .as_const(v)
                    .and_then(&valid)
                    .map(|pc| vec![(pc, super::value::NO_SITE)]),
                AbsVal::Bits(_) => None,
            })
            .take(CONTEXT_LABELS)
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
            .take(SHAPE_ITEMS)
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
        let mut key = match forced {
            Some(k) => k,
            None if self.precise => self.labels_key(&state),
            None => ContextKey::CatchAll,
        };
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
            self.gave_up = true;
            return;
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
            widen(&old, &mut new, ctx.changes);
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
        } = self.interpret(block, state, id)
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
            if let (Terminator::Jump, AbsVal::Labels(set), true) =
                (info.terminator, target, self.precise)
            {
                let members = self.pool.label_set(set).to_vec();
                let mut plain = false;
                for l in members {
                    let Some(b) = self.an.block_at(l.pc as usize) else {
                        self.exits[block].invalid = true;
                        continue;
                    };
                    if !self.exits[block].targets.contains(&b) {
                        self.exits[block].targets.push(b);
                    }
                    match self.returned(l, &state) {
                        Some(restored) => {
                            self.site_users[l.site as usize].push(id);
                            self.arrive(b, restored, None, tainted);
                        }
                        None => plain = true,
                    }
                    if plain {
                        self.arrive(b, state.clone(), None, tainted);
                        plain = false;
                    }
                }
                return;
            }
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
        if self.stop_at_computed_jump {
            self.gave_up = true;
        }
        if self.mode == Mode::Exact {
            return;
        }
        for (i, b) in self.an.blocks.iter().enumerate() {
            if self.an.jumpdests.is_valid(b.start) {
                self.arrive(i, AbsStack::unknown(), Some(ContextKey::Dispatch), true);
            }
        }
    }

    /// The state a jump to the intact destination `l` returns to: its
    /// site's stack below the position `l` was pushed to, then the items
    /// `state` (after the jump popped `l`) holds at and above that
    /// position. `None` if `l` is not intact.
    fn returned(&mut self, l: Label, state: &AbsStack) -> Option<AbsStack> {
        if !l.intact || l.site == super::value::NO_SITE || l.disp < 0 {
            return None;
        }
        let n = l.disp as usize;
        let snap = &self.snapshots[l.site as usize];
        let depth = snap.depth as usize;
        // Items of the site's stack strictly below the pushed-to position.
        let below = snap.state.items.len().checked_sub(depth + 1)?;
        let lo = snap.state.lo.checked_sub(depth as u32 + 1)? + n as u32;
        let hi = (snap.state.hi.checked_sub(depth as u32 + 1)? + n as u32).min(STACK_LIMIT as u32);
        let mut items: Vec<AbsVal> = snap.state.items[..below].to_vec();
        let mut top = state.clone();
        top.reveal(n);
        let have = top.items.len();
        items.extend_from_slice(&top.items[have.saturating_sub(n)..]);
        let keep = items.len().min(lo as usize).min(TRACKED_ITEMS);
        items.drain(0..items.len() - keep);
        Some(AbsStack { lo, hi, items })
    }

    /// SWAPn (`d` = n) on the window, keeping each intact destination's
    /// *boundary* (the lowest position it has occupied: the frame its jump
    /// returns from) and displacement above it. A destination moved below
    /// its boundary (a caller placing the return address under the
    /// arguments) gets a new boundary there; a write below a boundary (a
    /// caller rearranging its own items) gets a new site, whose stack after
    /// the swap is what the destination returns to.
    fn swap_labels(&mut self, state: &mut AbsStack, d: usize, at: (usize, usize, usize)) {
        let len = state.items.len();
        let (top, deep) = (len - 1, len - 1 - d);
        // (index after the swap, old site, new site, boundary depth)
        let mut resited: Vec<(usize, u32, u32, u32)> = Vec::new();
        let mut moves: Vec<(usize, Vec<Label>)> = Vec::new();
        for i in deep..len {
            let AbsVal::Labels(id) = state.items[i] else {
                continue;
            };
            let depth = (len - 1 - i) as i32;
            let mut members = self.pool.label_set(id).to_vec();
            let after = if i == top {
                deep
            } else if i == deep {
                top
            } else {
                i
            };
            for l in &mut members {
                if !l.intact || l.site == super::value::NO_SITE {
                    continue;
                }
                let boundary = depth + l.disp as i32;
                let (write_below, new_boundary) = if i == top {
                    // Moves down to depth d.
                    (d as i32 > boundary, d as i32)
                } else if i == deep {
                    // Moves up to the top; the write at its old position
                    // is not below its boundary.
                    (false, boundary)
                } else {
                    (d as i32 > boundary, boundary)
                };
                if write_below {
                    let (block, ins, ctx) = at;
                    let site = self.site_id((block, ins, ctx, l.site));
                    resited.push((after, l.site, site, new_boundary as u32));
                    l.site = site;
                    l.disp = (new_boundary - if i == top { d as i32 } else { depth }) as i16;
                } else if i == top {
                    l.disp = (boundary - d as i32) as i16;
                } else if i == deep {
                    l.disp = boundary as i16;
                }
            }
            moves.push((i, members));
        }
        for (i, members) in moves {
            state.items[i] = self.pool.labels_of(members);
        }
        state.items.swap(top, deep);
        for &(_, _, site, boundary) in &resited {
            self.record_site(site, state, boundary);
        }
    }

    /// The site with `key`: (block, instruction index, context, the site
    /// it replaces or [`super::value::NO_SITE`] for a PUSH).
    fn site_id(&mut self, key: (usize, usize, usize, u32)) -> u32 {
        let next = self.snapshots.len() as u32;
        let site = *self.sites.entry(key).or_insert(next);
        if site == next {
            self.snapshots.push(Snapshot {
                state: AbsStack::empty(),
                depth: UNRECORDED,
            });
            self.site_users.push(Vec::new());
        }
        site
    }

    /// Records `state` as the stack of `site`, the destination's pushed-to
    /// position at `depth`; requeues the contexts that returned to the
    /// site's state when it changes.
    fn record_site(&mut self, site: u32, state: &AbsStack, depth: u32) {
        let old = &self.snapshots[site as usize];
        if old.depth == depth && old.state == *state {
            return;
        }
        let new = if old.depth == UNRECORDED {
            Snapshot {
                state: state.clone(),
                depth,
            }
        } else {
            let valid = valid_fn(self.an);
            let joined = join(&mut self.pool, &old.state, state, &valid);
            Snapshot {
                state: joined,
                // A site whose position moves has nothing to return to.
                depth: if old.depth == depth {
                    depth
                } else {
                    u32::MAX - 1
                },
            }
        };
        if new == self.snapshots[site as usize] {
            return;
        }
        self.snapshots[site as usize] = new;
        for user in self.site_users[site as usize].clone() {
            let c = &mut self.contexts[user];
            if !c.queued {
                c.queued = true;
                self.queue.push_back(user);
            }
        }
    }

    /// Runs the instructions of `block` on `state`.
    fn interpret(&mut self, block: usize, mut state: AbsStack, ctx: usize) -> Outcome {
        let an = self.an;
        let info = &an.blocks[block];
        let limit = STACK_LIMIT as u32;
        let mut target = None;
        let mut cond = None;
        self.steps += an.block_instructions(block).len() as u64;
        for (index, ins) in an.block_instructions(block).iter().enumerate() {
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
                    let value = push_value(ins);
                    match valid_fn(an)(value) {
                        Some(pc) if !self.precise => {
                            let v = self.pool.label(pc, super::value::NO_SITE);
                            state.push(v);
                        }
                        Some(pc) => {
                            // A destination: remember where it was pushed,
                            // and the stack right after the push.
                            let site = self.site_id((block, index, ctx, super::value::NO_SITE));
                            let v = self.pool.label(pc, site);
                            state.push(v);
                            let mut after = state.clone();
                            after.lo = after.lo - n + m;
                            self.record_site(site, &after, 0);
                        }
                        None => {
                            let v = self.pool.constant(value);
                            state.push(v);
                        }
                    }
                }
                op::DUP1..=op::DUP16 => {
                    // A copy of a destination is not where it was pushed.
                    let v = state.peek((code - op::DUP1) as usize);
                    let v = self.pool.broken(v);
                    state.push(v);
                }
                op::SWAP1..=op::SWAP16 => {
                    let d = (code - op::SWAP1 + 1) as usize;
                    let len = state.items.len();
                    if d < len && self.precise {
                        self.swap_labels(&mut state, d, (block, index, ctx));
                    } else if d < len {
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
            if let Some(trace) = &mut self.trace {
                trace.push((m == 1).then(|| state.peek(0)));
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

/// Widening: a width that still changes jumps to 256 bits and a growing
/// height to the limit; a shrinking minimum height drops to zero only after
/// [`WIDEN_LOW_AFTER`] changes (that forgets every item). Constants and
/// destination sets are left alone: a set only grows, up to
/// [`super::value::MAX_LABELS`] members, so they converge by themselves, and
/// widening them would lose the return addresses a loop carries.
fn widen(old: &AbsStack, new: &mut AbsStack, changes: u32) {
    if new.hi > old.hi {
        new.hi = STACK_LIMIT as u32;
    }
    if new.lo < old.lo && changes > WIDEN_LOW_AFTER {
        new.lo = 0;
        new.items.clear();
        return;
    }
    let n = new.items.len().min(old.items.len());
    let (so, sn) = (old.items.len() - n, new.items.len() - n);
    for i in 0..n {
        if matches!(new.items[sn + i], AbsVal::Bits(_)) && new.items[sn + i] != old.items[so + i] {
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
    fn returns_get_the_callers_stack_back() {
        // A shared function called from two sites whose deeper items
        // differ (a constant 7 under one call, 9 under the other) and which
        // places its return address under its argument (as solc does). On
        // return each caller sees its own constant, and its own return
        // address deeper down resolves to one target.
        let src = "
            PUSH @end1 PUSH1 7 PUSH1 1 PUSH @r1 SWAP1 PUSH @f JUMP
            r1: JUMPDEST POP POP JUMP
            end1: JUMPDEST PUSH @end2 PUSH1 9 PUSH1 2 PUSH @r2 SWAP1 PUSH @f JUMP
            r2: JUMPDEST POP POP JUMP
            end2: JUMPDEST STOP
            f: JUMPDEST PUSH1 1 ADD SWAP1 JUMP
        ";
        let (_, f, starts) = facts(src);
        assert!(!f.dynamic_jumps);
        let at = |pc: usize| starts.iter().position(|&s| s == pc).unwrap();
        let code = assemble(src).unwrap();
        let pcs: Vec<usize> = (0..code.len()).filter(|&i| code[i] == 0x5b).collect();
        let (r1, r2) = (at(pcs[0]), at(pcs[2]));
        let seven = |b: usize| {
            let e = f.blocks[b].entry.as_ref().unwrap();
            f.pool.as_const(e.peek(1))
        };
        assert_eq!(seven(r1), Some(U256::from(7)));
        assert_eq!(seven(r2), Some(U256::from(9)));
        // Each return site's own JUMP goes to exactly one place.
        assert_eq!(f.blocks[r1].exits.targets.len(), 1);
        assert_eq!(f.blocks[r2].exits.targets.len(), 1);
        assert!(!f.blocks[r1].exits.dynamic && !f.blocks[r2].exits.dynamic);
    }

    #[test]
    fn writes_below_a_return_address_are_seen_on_return() {
        // The caller overwrites an item below the return address after
        // pushing it (SWAP2): the return brings back the new value.
        let src = "
            PUSH1 5 PUSH @r PUSH1 6 SWAP2 POP PUSH @f JUMP
            r: JUMPDEST STOP
            f: JUMPDEST JUMP
        ";
        let (_, f, _) = facts(src);
        let e = f.blocks[1].entry.as_ref().unwrap();
        assert_eq!(f.pool.as_const(e.peek(0)), Some(U256::from(6)));
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

    /// `callers` calls of one shared function, each with a different
    /// pattern of jump destinations among the seven items under its return
    /// address (so each call is a context of its own).
    fn many_callers(callers: usize) -> Vec<u8> {
        let mut src = String::new();
        for i in 0..callers {
            for bit in 0..7 {
                if i & (1 << bit) != 0 {
                    src += &format!("PUSH @end{i} ");
                } else {
                    src += "PUSH0 ";
                }
            }
            src += &format!("PUSH @r{i} PUSH @f JUMP\n");
            src += &format!("r{i}: JUMPDEST POP POP POP POP POP POP POP PUSH @end{i} JUMP\n");
            src += &format!("end{i}: JUMPDEST\n");
        }
        src += "STOP\nf: JUMPDEST JUMP\n";
        assemble(&src).expect("assembles").to_vec()
    }

    #[test]
    fn the_precise_analysis_gives_up_past_its_contexts() {
        let code = many_callers(MAX_CONTEXTS - 4);
        let an = Analysis::new(&code, SpecId::Osaka);
        let f = StackFacts::solve(&an, Mode::Exact, true, false).expect("precise");
        assert!(!f.dynamic_jumps, "every return resolved");
        let code = many_callers(MAX_CONTEXTS + 4);
        let an = Analysis::new(&code, SpecId::Osaka);
        assert!(StackFacts::solve(&an, Mode::Exact, true, false).is_none());
        // The coarse analysis never gives up.
        assert!(StackFacts::solve(&an, Mode::Exact, false, false).is_some());
    }

    #[test]
    fn the_compiler_gets_the_dispatch_facts_for_a_computed_jump() {
        let code = assemble("PUSH0 CALLDATALOAD JUMP a: JUMPDEST PUSH1 1 STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let exact = StackFacts::solve(&an, Mode::Exact, true, true);
        assert!(exact.is_none(), "stops at the computed jump");
        let f = StackFacts::for_compiler(&an);
        let dispatch = StackFacts::coarse(&an, Mode::Dispatch);
        assert_eq!(f.mode, Mode::Dispatch);
        assert!(f.dynamic_jumps && f.reachable(1));
        for (a, b) in f.blocks.iter().zip(&dispatch.blocks) {
            assert_eq!((&a.entry, &a.exits), (&b.entry, &b.exits));
        }
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
