//! The solver of the stack analysis: contexts, the worklist and the
//! abstract interpretation of one block (see the parent module for what it
//! computes and why).

use super::*;

/// Identifies a context: the last destinations on the stack, their depths,
/// the one context of the coarse analysis, or a computed jump's arrival.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum ContextKey {
    Labels(Vec<Vec<(u32, u32)>>),
    Shape(Vec<u8>),
    CatchAll,
    Dispatch,
}

/// The stack a destination returns to: `state`, whose item at `depth` is
/// the position the destination was pushed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Snapshot {
    pub(super) state: AbsStack,
    pub(super) depth: u32,
}

/// The depth of a site not recorded yet.
const UNRECORDED: u32 = u32::MAX;

pub(super) struct Context {
    pub(super) block: usize,
    /// Reached (through any number of blocks) from the dispatch of a
    /// computed jump: such contexts start from an unknown stack and are
    /// kept apart from the others so they do not blur them.
    pub(super) tainted: bool,
    pub(super) state: AbsStack,
    pub(super) changes: u32,
    pub(super) queued: bool,
}

pub(super) struct Solver<'a, 'c> {
    pub(super) an: &'a Analysis<'c>,
    pub(super) pool: ValuePool,
    pub(super) contexts: Vec<Context>,
    pub(super) by_key: HashMap<(usize, bool, ContextKey), usize>,
    pub(super) per_block: Vec<usize>,
    pub(super) queue: VecDeque<usize>,
    pub(super) exits: Vec<Exits>,
    pub(super) dynamic_jumps: bool,
    pub(super) mode: Mode,
    /// Sites: (block, instruction index, context, replaced site) to id.
    pub(super) sites: HashMap<(usize, usize, usize, u32), u32>,
    /// Per site, the stack to return to.
    pub(super) snapshots: Vec<Snapshot>,
    /// Per site, the contexts whose jumps returned to its state.
    pub(super) site_users: Vec<Vec<usize>>,
    /// Contexts, call/return matching: off after the budget ran out.
    pub(super) precise: bool,
    /// Instructions interpreted so far.
    pub(super) steps: u64,
    /// When set, what each interpreted instruction pushes (see
    /// [`StackFacts::trace`]).
    pub(super) trace: Option<Vec<Option<AbsVal>>>,
    /// Stop at the first computed jump (the caller discards such facts).
    pub(super) stop_at_computed_jump: bool,
    /// The analysis stopped early: out of budget or contexts (precise), or
    /// a computed jump with `stop_at_computed_jump`.
    pub(super) gave_up: bool,
}

/// What one pass over a block's instructions ends with.
pub(super) enum Outcome {
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

impl<'a, 'c> Solver<'a, 'c> {
    pub(super) fn new(an: &'a Analysis<'c>, mode: Mode, precise: bool, pool: ValuePool) -> Self {
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
                    .map(|pc| vec![(pc, crate::passes::value::NO_SITE)]),
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
    pub(super) fn arrive(
        &mut self,
        block: usize,
        state: AbsStack,
        forced: Option<ContextKey>,
        tainted: bool,
    ) {
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
    pub(super) fn run(&mut self, id: usize) {
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
        if !l.intact || l.site == crate::passes::value::NO_SITE || l.disp < 0 {
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
                if !l.intact || l.site == crate::passes::value::NO_SITE {
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
    /// it replaces or [`crate::passes::value::NO_SITE`] for a PUSH).
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
    pub(super) fn interpret(&mut self, block: usize, mut state: AbsStack, ctx: usize) -> Outcome {
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
                            let v = self.pool.label(pc, crate::passes::value::NO_SITE);
                            state.push(v);
                        }
                        Some(pc) => {
                            // A destination: remember where it was pushed,
                            // and the stack right after the push.
                            let site =
                                self.site_id((block, index, ctx, crate::passes::value::NO_SITE));
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
                _ if crate::passes::fold::is_foldable(code) => {
                    let args: Vec<AbsVal> = (0..n).map(|_| state.pop()).collect();
                    let v = self.pool.apply(code, &args);
                    state.push(v);
                }
                _ => {
                    for _ in 0..n {
                        state.pop();
                    }
                    if m == 1 {
                        state.push(AbsVal::Bits(crate::passes::value::runtime_output_width(
                            code,
                        )));
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

/// Widening: a width that still changes jumps to 256 bits and a growing
/// height to the limit; a shrinking minimum height drops to zero only after
/// [`WIDEN_LOW_AFTER`] changes (that forgets every item). Constants and
/// destination sets are left alone: a set only grows, up to
/// [`crate::passes::value::MAX_LABELS`] members, so they converge by themselves, and
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
