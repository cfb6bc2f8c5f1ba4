//! Block terminators and the edges between blocks: fall-through, JUMP and
//! JUMPI (direct branches, a switch over the targets the analysis found, or
//! the dispatch), STOP, RETURN, REVERT, SELFDESTRUCT, INVALID and undefined
//! instructions; the dispatch over JUMPDESTs.
//!
//! An edge inside a region is a plain branch: the region's variables carry
//! the stack. An edge into an anchor passes the height and the anchor's top
//! items as block arguments, after storing the variables the anchor's
//! region reads from memory. The dispatch gets the target and the height,
//! with every variable stored.

use super::{halt_exit, Lowering};
use crate::analysis::Terminator;
use crate::context::{exit, halt_code};
use crate::passes::regions::exit_lo;
use cevm_runtime::opcode::{op, Instruction};
use cevm_runtime::HaltReason;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, BlockArg, InstBuilder, Value};

/// Where one way out of a block goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// An analysed block.
    Block(usize),
    /// The dispatch, with the computed target.
    Dispatch,
    /// A halt: an invalid jump, or a way the analysis proved is never taken.
    InvalidJump,
}

/// The ways a jump can go, as resolved by the lowering or the analysis.
enum JumpWays {
    /// Always the same way.
    One(Way),
    /// A switch on the target over these blocks; anything else goes `default`.
    Switch(Vec<usize>, Way),
}

/// A branch target with its arguments.
type Edge = (Block, Vec<BlockArg>);

/// Blocks the current terminator branches through, filled in after it.
enum Pending {
    /// `block` jumps on to the edge.
    Jump(Block, Edge),
    /// `block` checks that the height holds `items` items, then jumps on.
    Check {
        block: Block,
        height: Value,
        items: u32,
        to: Edge,
    },
    /// `block` tail-calls the chunk holding entry `target` at `height`.
    TailCall {
        block: Block,
        target: usize,
        height: Value,
    },
    /// `block` switches on `value` over the cases.
    Switch {
        block: Block,
        value: Value,
        cases: Vec<(u128, Block)>,
        default: Block,
    },
}

impl Lowering<'_, '_, '_, '_> {
    /// Ends block `index` with its terminator instruction `last`.
    pub(super) fn lower_terminator(&mut self, index: usize, last: Option<Instruction<'_>>) {
        let info = &self.plan.an.blocks[index];
        let falls = self.plan.facts.blocks[index].exits.falls_through;
        let next_way = self
            .block_at(info.end)
            .filter(|_| falls)
            .map_or(Way::InvalidJump, Way::Block);
        match info.terminator {
            Terminator::FallThrough => {
                self.vs.commit(&mut self.b, &mut self.slot_vars);
                let mut pending = Vec::new();
                let e = self.edges(index, &[next_way], None, &mut pending);
                self.b.ins().jump(e[0].0, &e[0].1);
                self.finish(pending);
            }
            Terminator::EndOfCode | Terminator::Stop => {
                self.store_gas();
                self.exit_with(exit::STOP);
            }
            Terminator::Jump => {
                let target = self.vs.pop();
                let ways = self.jump_ways(index, target);
                let value = self.jump_value(&ways, target);
                self.vs.commit(&mut self.b, &mut self.slot_vars);
                self.emit_jump(index, ways, value, None);
            }
            Terminator::JumpI => {
                let target = self.vs.pop();
                let cond_slot = self.vs.pop();
                let ways = self.jump_ways(index, target);
                let value = self.jump_value(&ways, target);
                match self.vs.constant(cond_slot) {
                    Some(c) => {
                        self.vs.commit(&mut self.b, &mut self.slot_vars);
                        if c.is_zero() {
                            let mut pending = Vec::new();
                            let e = self.edges(index, &[next_way], None, &mut pending);
                            self.b.ins().jump(e[0].0, &e[0].1);
                            self.finish(pending);
                        } else {
                            self.emit_jump(index, ways, value, None);
                        }
                    }
                    None => {
                        let cond = match cond_slot {
                            super::vstack::Slot::Flag(c) => c,
                            slot => {
                                let w = self.vs.materialize(&mut self.b, &mut self.slot_vars, slot);
                                super::word::is_nonzero(&mut self.b, w)
                            }
                        };
                        self.vs.commit(&mut self.b, &mut self.slot_vars);
                        self.emit_jump(index, ways, value, Some((cond, next_way)));
                    }
                }
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

    /// Where the jump of block `index` can go, given its target slot.
    fn jump_ways(&self, index: usize, target: super::vstack::Slot) -> JumpWays {
        let exits = &self.plan.facts.blocks[index].exits;
        let an = self.plan.an;
        if let Some(c) = self.vs.constant(target) {
            // A way the analysis never saw taken (the condition is always
            // false) is no edge: it must not be branched to.
            let way = usize::try_from(c)
                .ok()
                .filter(|&pc| an.jumpdests.is_valid(pc))
                .and_then(|pc| self.block_at(pc))
                .filter(|b| exits.targets.contains(b))
                .map_or(Way::InvalidJump, Way::Block);
            return JumpWays::One(way);
        }
        let default = if exits.dynamic && self.plan.has_dispatch() {
            Way::Dispatch
        } else {
            Way::InvalidJump
        };
        let targets: Vec<usize> = exits
            .targets
            .iter()
            .copied()
            .filter(|&t| self.runs(t))
            .collect();
        // Through the dispatch anyway when the target may be computed: a
        // switch of its own only pays for targets that are not anchors
        // (their region's variables need a direct edge).
        if default == Way::Dispatch && targets.iter().all(|&t| self.plan.regions.is_anchor(t)) {
            return JumpWays::One(Way::Dispatch);
        }
        match (targets.len(), default) {
            (0, d) => JumpWays::One(d),
            // The analysis proved the target is this constant in every context.
            (1, Way::InvalidJump) if !exits.invalid => JumpWays::One(Way::Block(targets[0])),
            _ => JumpWays::Switch(targets, default),
        }
    }

    /// The target as an i64 where the ways need it at run time (`u64::MAX`
    /// when it does not fit, which no JUMPDEST matches).
    fn jump_value(&mut self, ways: &JumpWays, target: super::vstack::Slot) -> Option<Value> {
        if matches!(ways, JumpWays::One(Way::Block(_) | Way::InvalidJump)) {
            return None;
        }
        let w = self
            .vs
            .materialize(&mut self.b, &mut self.slot_vars, target);
        let high = super::word::exceeds_u64(&mut self.b, w);
        let none = self.b.ins().iconst(types::I64, -1);
        Some(self.b.ins().select(high, none, w[0]))
    }

    /// Emits the jump of block `index` (the stack is committed); with
    /// `cond`, a JUMPI whose other way is the second element.
    fn emit_jump(
        &mut self,
        index: usize,
        ways: JumpWays,
        value: Option<Value>,
        cond: Option<(Value, Way)>,
    ) {
        let mut all: Vec<Way> = match &ways {
            JumpWays::One(w) => vec![*w],
            JumpWays::Switch(targets, d) => {
                let mut v: Vec<Way> = targets.iter().map(|&t| Way::Block(t)).collect();
                v.push(*d);
                v
            }
        };
        if let Some((_, fall)) = cond {
            all.push(fall);
        }
        let mut pending = Vec::new();
        let mut edges = self.edges(index, &all, value, &mut pending);
        let fall_edge = cond.map(|(c, _)| (c, edges.pop().expect("the fall-through edge")));
        let jump_edge: Edge = match ways {
            JumpWays::One(_) => edges.pop().expect("the jump edge"),
            JumpWays::Switch(targets, _) => {
                let default = self.plain_block(edges.pop().expect("the default"), &mut pending);
                let cases: Vec<(u128, Block)> = targets
                    .iter()
                    .zip(edges)
                    .map(|(&t, e)| (self.plan.an.blocks[t].start as u128, e))
                    .map(|(pc, e)| (pc, self.plain_block(e, &mut pending)))
                    .collect();
                let switch_block = self.b.create_block();
                pending.push(Pending::Switch {
                    block: switch_block,
                    value: value.expect("a switch has a target value"),
                    cases,
                    default,
                });
                (switch_block, Vec::new())
            }
        };
        match fall_edge {
            None => {
                self.b.ins().jump(jump_edge.0, &jump_edge.1);
            }
            Some((c, fall)) => {
                self.b
                    .ins()
                    .brif(c, jump_edge.0, &jump_edge.1, fall.0, &fall.1);
            }
        }
        self.finish(pending);
    }
}

impl Lowering<'_, '_, '_, '_> {
    /// The edges for `ways` out of block `index`, whose stack is committed:
    /// stores what the targets read from memory, computes their arguments
    /// and queues the blocks the branches go through.
    fn edges(
        &mut self,
        index: usize,
        ways: &[Way],
        value: Option<Value>,
        pending: &mut Vec<Pending>,
    ) -> Vec<Edge> {
        let top = self.vs.top();
        let regions = &self.plan.regions;
        // Items below `flush_to` must be in memory for some way out.
        let mut flush_to = i32::MIN;
        for &w in ways {
            match w {
                Way::Block(t) if regions.is_anchor(t) => {
                    flush_to = flush_to.max(top - regions.params[t] as i32);
                }
                Way::Dispatch => flush_to = flush_to.max(top),
                _ => {}
            }
        }
        if flush_to > i32::MIN {
            let from = -(self.vs_params());
            self.vs
                .flush_range(&mut self.b, &mut self.slot_vars, from, flush_to);
        }
        let exit_items = exit_lo(self.plan.an, &self.plan.facts, index);
        let mut out = Vec::with_capacity(ways.len());
        for &w in ways {
            let edge = match w {
                Way::Block(t) if self.edge_block(index, t).is_none() => {
                    // An entry of another chunk: a tail call.
                    let height = self.height_at(top);
                    let block = self.b.create_block();
                    pending.push(Pending::TailCall {
                        block,
                        target: t,
                        height,
                    });
                    (block, Vec::new())
                }
                Way::Block(t) => {
                    let block = self
                        .edge_block(index, t)
                        .expect("a way to a block that runs");
                    if !self.plan.regions.is_anchor(t) {
                        (block, Vec::new())
                    } else {
                        let k = self.plan.regions.params[t];
                        let height = self.height_at(top);
                        let mut args: Vec<BlockArg> = vec![height.into()];
                        for o in top - k as i32..top {
                            let word = self.vs.value_at(&mut self.b, &mut self.slot_vars, o);
                            args.extend(word.iter().map(|&v| BlockArg::from(v)));
                        }
                        if exit_items < k {
                            let check = self.b.create_block();
                            pending.push(Pending::Check {
                                block: check,
                                height,
                                items: k,
                                to: (block, args),
                            });
                            (check, Vec::new())
                        } else {
                            (block, args)
                        }
                    }
                }
                Way::Dispatch => {
                    let height = self.height_at(top);
                    let target = value.expect("a computed jump has a target");
                    (self.dispatch_block(), vec![target.into(), height.into()])
                }
                Way::InvalidJump => (
                    self.halt_block(halt_code(HaltReason::InvalidJump)),
                    Vec::new(),
                ),
            };
            out.push(edge);
        }
        out
    }

    /// Offsets at or above minus this are variables in the current region.
    fn vs_params(&self) -> i32 {
        self.vs.params()
    }

    /// A block without arguments that takes `edge` (itself if it has none).
    fn plain_block(&mut self, edge: Edge, pending: &mut Vec<Pending>) -> Block {
        if edge.1.is_empty() {
            return edge.0;
        }
        let block = self.b.create_block();
        pending.push(Pending::Jump(block, edge));
        block
    }

    /// Fills in the blocks the terminator just emitted branches through.
    /// Switches go first: the blocks they branch to must have all their
    /// predecessors before they are sealed (a tail call reads the gas
    /// variable through them).
    fn finish(&mut self, mut pending: Vec<Pending>) {
        pending.sort_by_key(|p| !matches!(p, Pending::Switch { .. }));
        for p in pending {
            match p {
                Pending::Jump(block, (to, args)) => {
                    self.continue_in(block);
                    self.b.ins().jump(to, &args);
                }
                Pending::Check {
                    block,
                    height,
                    items,
                    to,
                } => {
                    // The anchor reads `items` items (it would underflow on
                    // entry otherwise: the regions pass only lets an anchor
                    // take more items than every way in guarantees if it
                    // needs them itself).
                    self.continue_in(block);
                    let short =
                        self.b
                            .ins()
                            .icmp_imm_s(IntCC::SignedLessThan, height, items as i64);
                    let halt = self.halt_block(halt_code(HaltReason::StackUnderflow));
                    self.b.ins().brif(short, halt, &[], to.0, &to.1);
                }
                Pending::TailCall {
                    block,
                    target,
                    height,
                } => {
                    self.continue_in(block);
                    self.tail_call_into(target, height);
                }
                Pending::Switch {
                    block,
                    value,
                    cases,
                    default,
                } => {
                    self.continue_in(block);
                    let mut switch = cranelift_frontend::Switch::new();
                    for (pc, b) in cases {
                        switch.set_entry(pc, b);
                    }
                    switch.emit(&mut self.b, value, default);
                }
            }
        }
    }
}
