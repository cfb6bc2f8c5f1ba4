//! Lowering of analysed bytecode to Cranelift IR: one function per contract,
//! following a [`Plan`].
//!
//! Gas left and the height of the current region's anchor are Cranelift
//! variables across the whole function; stack items are variables named by
//! their offset in the region (see [`vstack`]), so values stay in registers
//! from block to block and Cranelift places the phis. The context is
//! written only where the runtime reads it: before runtime calls (gas),
//! at the end of the frame (gas) and on the dispatch path (the stack in
//! memory). Opcode families live in submodules.

mod arith;
mod control;
mod dispatch;
mod division;
mod environment;
mod memory;
mod runtime;
pub(crate) mod vstack;
pub mod word;

use crate::analysis::{push_value, Terminator};
use crate::context::{exit, halt_code, offsets};
use crate::passes::plan::Plan;
use crate::passes::value::AbsVal;
use crate::shims::Shim;
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op, Instruction};
use cevm_runtime::{HaltReason, U256};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, Block, FuncRef, Inst, InstBuilder, MemFlagsData, SigRef, StackSlot, StackSlotData,
    StackSlotKind, Value,
};
use cranelift_frontend::{FunctionBuilder, Variable};
pub(crate) use dispatch::{DispatchTable, TableRef};
use std::collections::HashMap;
use vstack::{EntryFact, Slot, SlotVars, VStack};
use word::Word;

/// Words of the scratch area runtime calls take their operands in (CALL
/// takes seven).
const SCRATCH_WORDS: u32 = 7;

/// Fast paths that trade IR for speed (a counter's carry out of line, MUL
/// by a narrow operand) are taken while the function has fewer IR
/// instructions than this: a function near [`crate::compile::QUICK_ABOVE_INSTS`]
/// falls to the single-pass register allocator, whose code is slower than
/// anything the fast paths gain (revmc's snailtracer: 2.6 times the spills).
const FAST_PATH_BUDGET_INSTS: usize = crate::compile::QUICK_ABOVE_INSTS / 4;

/// Builds the IR of one contract.
pub(crate) struct Lowering<'p, 'a, 'c, 'b> {
    /// The function being built.
    pub b: FunctionBuilder<'b>,
    plan: &'p Plan<'a, 'c>,
    /// The chunk this function lowers.
    chunk: usize,
    /// Every chunk's function, for tail calls.
    chunks: Vec<FuncRef>,
    /// The contract's dispatch table (code with computed jumps).
    dispatch_table: Option<TableRef>,
    /// Signatures of the shims, in [`Shim`] order, for indirect calls.
    shims: Vec<SigRef>,
    ctx_ptr: Value,
    /// Gas left (i64; negative between a charge and its check means out of gas).
    gas: Variable,
    /// Entry height of the current region's anchor (i64).
    anchor_height: Variable,
    slot_vars: SlotVars,
    /// The IR block of each analysed block that can run.
    blocks: Vec<Option<Block>>,
    /// The IR block of the second copy of each block of a loop lowered
    /// twice (see [`crate::passes::unroll`]).
    second: Vec<Option<Block>>,
    /// Whether the block being lowered is a second copy.
    second_copy: bool,
    /// Shared blocks returning a constant exit code, by code.
    halt_blocks: HashMap<u32, Block>,
    /// The dispatch over JUMPDESTs, with parameters (target, height).
    dispatch: Option<Block>,
    /// Shared block returning the code a runtime call left in the context.
    exit_from_ctx: Option<Block>,
    scratch: StackSlot,
    /// The virtual stack of the block being lowered.
    vs: VStack,
    /// The canonical zero limb.
    zero: Value,
    /// Bytes of memory known to exist at this point of the block (from
    /// accesses at constant offsets that already succeeded in it).
    known_memory: u64,
    /// Whether the block being lowered can run more than once per frame;
    /// if not, code size counts more than speed (it runs once, and its
    /// instructions are fetched once) and inline fast paths give way to
    /// runtime calls.
    hot: bool,
    /// CALLDATALOADs of code that runs once inlined so far in this
    /// function (see [`environment::COLD_INLINE_CALLDATALOADS`]).
    cold_calldataloads: usize,
    /// The call data words at constant offsets this function has read
    /// (see [`Lowering::calldata_word_at`]).
    calldata_words: HashMap<u64, Word>,
    /// Whether no block of this function can run twice in a frame (it is
    /// compiled with the single-pass register allocator).
    runs_once: bool,
}

impl<'p, 'a, 'c, 'b> Lowering<'p, 'a, 'c, 'b> {
    /// Prepares the entry block of the function of chunk `chunk`, whose
    /// signature is [`chunk_signature`], `chunks` its references to every
    /// chunk's function and `shims` the shim signatures in [`Shim`] order.
    pub fn new(
        mut b: FunctionBuilder<'b>,
        plan: &'p Plan<'a, 'c>,
        chunk: usize,
        chunks: Vec<FuncRef>,
        dispatch_table: Option<TableRef>,
        shims: Vec<SigRef>,
    ) -> Self {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        // The stack base (params[1]) is also in the pinned register, where
        // every use reads it (see `Lowering::stack_base`).
        let (ctx_ptr, gas_in, height_in, entry_in) = (params[0], params[2], params[3], params[4]);
        let gas = b.declare_var(types::I64);
        let anchor_height = b.declare_var(types::I64);
        let scratch = b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            SCRATCH_WORDS * 32,
            5,
        ));
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(gas, gas_in);
        let an = plan.an;
        let mut blocks = vec![None; an.blocks.len()];
        let mut second = vec![None; an.blocks.len()];
        for &i in &plan.chunks.chunks[chunk].blocks {
            if plan.blocks[i].merged {
                continue;
            }
            let copies = if plan.unroll.cycle_of[i].is_some() {
                2
            } else {
                1
            };
            for copy in 0..copies {
                let block = b.create_block();
                if plan.regions.is_anchor(i) && anchor_takes_height(plan, i) {
                    b.append_block_param(block, types::I64);
                    for _ in 0..plan.regions.params[i] * 4 {
                        b.append_block_param(block, types::I64);
                    }
                }
                if copy == 0 {
                    blocks[i] = Some(block);
                } else {
                    second[i] = Some(block);
                }
            }
        }
        let stack_base = b.ins().get_pinned_reg(types::I64);
        let vs = VStack::new(
            vstack::Frame {
                base: stack_base,
                params: 0,
            },
            0,
            0,
            HashMap::new(),
            zero,
        );
        let mut l = Lowering {
            b,
            plan,
            chunk,
            chunks,
            dispatch_table,
            shims,
            ctx_ptr,
            gas,
            anchor_height,
            slot_vars: SlotVars::default(),
            blocks,
            second,
            second_copy: false,
            halt_blocks: HashMap::new(),
            dispatch: None,
            exit_from_ctx: None,
            scratch,
            vs,
            zero,
            known_memory: 0,
            hot: true,
            cold_calldataloads: 0,
            calldata_words: HashMap::new(),
            runs_once: !plan.chunk_on_cycle(chunk),
        };
        l.enter_chunk(entry, height_in, entry_in);
        l
    }

    /// The function's entry: a switch on the entry number over the chunk's
    /// entries, each entered at the height passed (nothing else: an entry
    /// anchor takes no items).
    fn enter_chunk(&mut self, entry: Block, height: Value, which: Value) {
        let entries = self.plan.chunks.chunks[self.chunk].entries.clone();
        let mut switch = cranelift_frontend::Switch::new();
        let mut cases = Vec::new();
        for (n, &e) in entries.iter().enumerate() {
            let case = self.b.create_block();
            switch.set_entry(n as u128, case);
            cases.push((e, case));
        }
        let none = self.halt_block(halt_code(HaltReason::InvalidJump));
        let which = self.b.ins().uextend(types::I64, which);
        switch.emit(&mut self.b, which, none);
        self.b.seal_block(entry);
        for (e, case) in cases {
            self.continue_in(case);
            let block = self.blocks[e].expect("entries are in their chunk");
            if self.plan.regions.params[e] > 0 {
                // The anchor reads more than is passed (only block 0 at the
                // frame's start can: it would underflow at once).
                let halt = self.halt_block(halt_code(HaltReason::StackUnderflow));
                self.b.ins().jump(halt, &[]);
            } else if anchor_takes_height(self.plan, e) {
                self.b.ins().jump(block, &[height.into()]);
            } else {
                self.b.ins().jump(block, &[]);
            }
        }
    }

    /// Whether block `index` can run (in any chunk).
    fn runs(&self, index: usize) -> bool {
        self.plan.chunks.of_block[index].is_some()
    }

    /// The EVM stack's base address, read from the pinned register at
    /// each use so that no value holds it across the function.
    fn stack_base(&mut self) -> Value {
        self.b.ins().get_pinned_reg(types::I64)
    }

    /// Ends the current block with a tail call into the chunk holding the
    /// entry anchor `target`, at absolute height `height`.
    fn tail_call_into(&mut self, target: usize, height: Value) {
        let chunk = self.plan.chunks.of_block[target].expect("a block that runs");
        let which = self.plan.chunks.entry_index(target).expect("an entry") as i64;
        let which = self.b.ins().iconst(types::I32, which);
        let gas = self.b.use_var(self.gas);
        let f = self.chunks[chunk];
        let stack_base = self.stack_base();
        self.b
            .ins()
            .return_call(f, &[self.ctx_ptr, stack_base, gas, height, which]);
    }

    /// Lowers every block and finishes the function.
    pub fn lower_all(mut self, config: cranelift_codegen::isa::TargetFrontendConfig) {
        let blocks = self.plan.chunks.chunks[self.chunk].blocks.clone();
        let plan = self.plan;
        let unroll = &plan.unroll;
        let lowered = |b: &&usize| !plan.blocks[**b].merged;
        // Blocks of each cycle still to lower in the first copy.
        let mut left: Vec<usize> = unroll
            .cycles
            .iter()
            .map(|c| c.blocks.iter().filter(lowered).count())
            .collect();
        for &index in &blocks {
            if !lowered(&&index) {
                continue;
            }
            self.lower_block(index);
            // The second copy right after the first (the first copy's back
            // edge falls into it).
            if let Some(c) = unroll.cycle_of[index] {
                left[c] -= 1;
                if left[c] == 0 {
                    self.second_copy = true;
                    for &b in blocks.iter().filter(lowered) {
                        if unroll.cycle_of[b] == Some(c) {
                            self.lower_block(b);
                        }
                    }
                    self.second_copy = false;
                }
            }
        }
        self.emit_dispatch();
        self.emit_halt_blocks();
        self.b.seal_all_blocks();
        self.b.finalize(config);
    }

    /// Calls `shim` through the context's shim table (never by symbol, so
    /// the same code runs JIT-linked or loaded from a shared library).
    fn call_shim(&mut self, shim: Shim, args: &[Value]) -> Inst {
        // The table pointer and its entries never change while code runs.
        let flags = MemFlagsData::trusted().with_readonly().with_can_move();
        let table = self
            .b
            .ins()
            .load(types::I64, flags, self.ctx_ptr, offsets::SHIMS);
        let callee = self
            .b
            .ins()
            .load(types::I64, flags, table, shim.table_offset() as i32);
        let sig = self.shims[shim as usize];
        self.b.ins().call_indirect(sig, callee, args)
    }

    /// Ends the current block by returning `code`.
    fn exit_with(&mut self, code: u32) {
        let c = self.b.ins().iconst(types::I32, code as i64);
        self.b.ins().return_(&[c]);
    }

    /// A shared block that returns `code` (filled in by [`Self::emit_halt_blocks`]).
    fn halt_block(&mut self, code: u32) -> Block {
        if let Some(&b) = self.halt_blocks.get(&code) {
            return b;
        }
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        self.halt_blocks.insert(code, block);
        block
    }

    fn emit_halt_blocks(&mut self) {
        if let Some(b) = self.exit_from_ctx {
            self.b.switch_to_block(b);
            let code = self.b.ins().load(
                types::I32,
                MemFlagsData::trusted(),
                self.ctx_ptr,
                offsets::EXIT_CODE,
            );
            self.b.ins().return_(&[code]);
        }
        let mut blocks: Vec<(u32, Block)> =
            self.halt_blocks.iter().map(|(&c, &b)| (c, b)).collect();
        blocks.sort_unstable_by_key(|&(c, _)| c);
        for (code, block) in blocks {
            self.b.switch_to_block(block);
            self.exit_with(code);
        }
    }

    /// Switches to a fresh block whose only predecessor is the branch just emitted.
    /// Whether this point of the function may take a fast path that costs
    /// IR (see [`FAST_PATH_BUDGET_INSTS`]): code that can run more than
    /// once, in a function still small.
    fn fast_paths(&self) -> bool {
        self.hot && self.b.func.dfg.num_insts() < FAST_PATH_BUDGET_INSTS
    }

    fn continue_in(&mut self, block: Block) {
        self.b.switch_to_block(block);
        self.b.seal_block(block);
    }

    /// Returns the shim's code unless it is [`exit::CONTINUE`] (through the
    /// context and one shared block, to keep the function small).
    fn check_return_code(&mut self, rc: Value) {
        self.b.ins().store(
            MemFlagsData::trusted(),
            rc,
            self.ctx_ptr,
            offsets::EXIT_CODE,
        );
        let exit = match self.exit_from_ctx {
            Some(b) => b,
            None => {
                let b = self.b.create_block();
                self.b.set_cold_block(b);
                self.exit_from_ctx = Some(b);
                b
            }
        };
        let cont = self.b.create_block();
        self.b.ins().brif(rc, exit, &[], cont, &[]);
        self.continue_in(cont);
    }

    /// Copies the gas variable to the context (before a runtime call).
    fn store_gas(&mut self) {
        let g = self.b.use_var(self.gas);
        self.b
            .ins()
            .store(MemFlagsData::trusted(), g, self.ctx_ptr, offsets::GAS);
    }

    /// Reads the gas variable back from the context (after a runtime call).
    fn load_gas(&mut self) {
        let g = self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.ctx_ptr,
            offsets::GAS,
        );
        self.b.def_var(self.gas, g);
    }

    /// Halts out of gas unless the gas counter is non-negative.
    fn check_gas_now(&mut self) {
        let g = self.b.use_var(self.gas);
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, g, 0);
        let oog = self.halt_block(halt_code(HaltReason::OutOfGas));
        let cont = self.b.create_block();
        self.b.ins().brif(negative, oog, &[], cont, &[]);
        self.continue_in(cont);
    }

    /// The absolute height at region offset `o` (i64).
    fn height_at(&mut self, o: i32) -> Value {
        let h = self.b.use_var(self.anchor_height);
        self.b.ins().iadd_imm_s(h, o as i64)
    }

    fn lower_block(&mut self, index: usize) {
        let plan = self.plan;
        let an = plan.an;
        let info = &an.blocks[index];
        let place = plan.regions.place[index].expect("ordered blocks are placed");
        let copies = if self.second_copy {
            &self.second
        } else {
            &self.blocks
        };
        let block = copies[index].expect("ordered blocks have IR blocks");
        self.b.switch_to_block(block);
        if place.anchor == index {
            self.enter_anchor(index, block);
        }

        // The block and the blocks merged after it are charged at once
        // (a chain of thousands of separate charges is a chain of thousands
        // of dependent adds for the optimiser); GAS and runtime calls give
        // back what is charged for instructions after them, as in a block.
        let mut chain = vec![index];
        loop {
            let last = &an.blocks[*chain.last().expect("not empty")];
            match an.block_at(last.end) {
                Some(next)
                    if last.terminator == Terminator::FallThrough && plan.blocks[next].merged =>
                {
                    chain.push(next)
                }
                _ => break,
            }
        }
        let total: u64 = chain.iter().map(|&b| an.blocks[b].static_gas).sum();
        let mut head_checks = plan.blocks[index];
        // A second copy's loop header leaves its test to the first copy's.
        let second = self.second_copy;
        head_checks.check_gas = chain
            .iter()
            .map(|&b| plan.blocks[b])
            .any(|p| p.check_gas && !(second && p.loop_test_only));
        let g = self.b.use_var(self.gas);
        let g = self.b.ins().iadd_imm_s(g, -(total as i64));
        self.b.def_var(self.gas, g);
        self.entry_checks(index, place.offset, g, head_checks);

        let h = self.b.use_var(self.anchor_height);
        let offset = self.b.ins().ishl_imm_u(h, 5);
        let stack_base = self.stack_base();
        let base = self.b.ins().iadd(stack_base, offset);
        let anchor = place.anchor;
        let frame = vstack::Frame {
            base,
            params: plan.regions.params[anchor] as i32,
        };
        let facts = self.entry_facts(index, place.offset);
        self.vs = VStack::new(frame, place.offset, info.stack_needed, facts, self.zero);
        self.known_memory = 0;

        // Static gas of the chain's instructions not executed yet.
        let mut ahead = total;
        for (n, &index) in chain.iter().enumerate() {
            let info = &an.blocks[index];
            if n > 0 {
                // A merged block keeps its stack checks.
                let mut checks = plan.blocks[index];
                checks.check_gas = false;
                let offset = plan.regions.place[index].expect("placed").offset;
                let g = self.b.use_var(self.gas);
                self.entry_checks(index, offset, g, checks);
            }
            let instrs = an.block_instructions(index);
            let body_len = match info.terminator {
                Terminator::FallThrough | Terminator::EndOfCode => instrs.len(),
                _ => instrs.len().saturating_sub(1),
            };
            self.hot = plan.cfg.on_cycle[index];
            for ins in &instrs[..body_len] {
                let cost =
                    opcode::info_in(ins.opcode, an.spec).map_or(0, |i| i.static_gas(an.spec));
                ahead -= cost;
                self.lower_instruction(ins, ahead);
            }
            if n + 1 == chain.len() {
                // The terminator's own gas was charged with the rest.
                self.lower_terminator(index, instrs.last().copied());
            }
        }
    }

    /// Binds an anchor's block parameters: its entry height and top items.
    fn enter_anchor(&mut self, index: usize, block: Block) {
        let params: Vec<Value> = self.b.block_params(block).to_vec();
        let h = match params.first() {
            Some(&h) => h,
            None => self.b.ins().iconst(types::I64, 0),
        };
        self.b.def_var(self.anchor_height, h);
        let k = self.plan.regions.params[index] as i32;
        for j in 0..k {
            let o = j - k;
            let vars = self.slot_vars.get(&mut self.b, o);
            for (limb, var) in vars.into_iter().enumerate() {
                self.b.def_var(var, params[1 + 4 * j as usize + limb]);
            }
        }
    }

    /// The analysis' knowledge of the block's entry items, by region offset.
    fn entry_facts(&self, index: usize, offset: i32) -> HashMap<i32, EntryFact> {
        let mut facts = HashMap::new();
        let Some(entry) = &self.plan.facts.blocks[index].entry else {
            return facts;
        };
        let pool = &self.plan.facts.pool;
        for (depth, &v) in entry.items.iter().rev().enumerate() {
            let o = offset - 1 - depth as i32;
            let fact = match v {
                AbsVal::Const(_) => pool.as_const(v).map(EntryFact::Const),
                _ => {
                    let bits = pool.width(v);
                    (bits < 256).then_some(EntryFact::Bits(bits))
                }
            };
            if let Some(f) = fact {
                facts.insert(o, f);
            }
        }
        facts
    }

    /// The checks the plan keeps for the block, with a single branch: the
    /// cold failure path works out which one failed.
    fn entry_checks(
        &mut self,
        index: usize,
        offset: i32,
        gas: Value,
        checks: crate::passes::plan::BlockPlan,
    ) {
        let info = &self.plan.an.blocks[index];
        let needed = info.stack_needed as i64;
        let growth = info.max_growth as i64;
        let limit = STACK_LIMIT as i64;
        if !(checks.check_gas || checks.check_underflow || checks.check_overflow) {
            return;
        }
        let mut conds = Vec::new();
        let gas_ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, gas, 0);
        if checks.check_gas {
            conds.push(gas_ok);
        }
        let height = self.height_at(offset);
        let (low, high) = (
            if checks.check_underflow { needed } else { 0 },
            if checks.check_overflow {
                limit - growth
            } else {
                limit
            },
        );
        let stack_checked = checks.check_underflow || checks.check_overflow;
        // height in [low, high], as one unsigned range check.
        let rel = self.b.ins().iadd_imm_s(height, -low);
        if stack_checked {
            let ok = if high < low {
                self.b.ins().iconst(types::I8, 0)
            } else {
                self.b
                    .ins()
                    .icmp_imm_s(IntCC::UnsignedLessThanOrEqual, rel, high - low)
            };
            conds.push(ok);
        }
        let ok = conds
            .into_iter()
            .reduce(|a, c| self.b.ins().band(a, c))
            .expect("at least one check");
        let cont = self.b.create_block();
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        self.b.ins().brif(ok, cont, &[], fail, &[]);

        self.continue_in(fail);
        let under = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, rel, 0);
        let code = |b: &mut FunctionBuilder, r: HaltReason| {
            b.ins().iconst(types::I32, halt_code(r) as i64)
        };
        let u = code(&mut self.b, HaltReason::StackUnderflow);
        let o = code(&mut self.b, HaltReason::StackOverflow);
        let oog = code(&mut self.b, HaltReason::OutOfGas);
        let stack_code = self.b.ins().select(under, u, o);
        let code = if checks.check_gas {
            self.b.ins().select(gas_ok, stack_code, oog)
        } else {
            stack_code
        };
        self.b.ins().return_(&[code]);

        self.continue_in(cont);
    }

    fn lower_instruction(&mut self, ins: &Instruction<'_>, gas_ahead: u64) {
        let code = ins.opcode;
        match code {
            op::PUSH0..=op::PUSH32 => self.vs.push(Slot::Const(push_value(ins))),
            op::POP => {
                self.vs.pop();
            }
            op::DUP1..=op::DUP16 => {
                let slot = self.vs.peek((code - op::DUP1) as usize);
                self.vs.push(slot);
            }
            op::SWAP1..=op::SWAP16 => self.vs.swap((code - op::SWAP1 + 1) as usize),
            op::JUMPDEST => {}
            op::PC => self.vs.push(Slot::Const(U256::from(ins.pc))),
            op::CODESIZE => self
                .vs
                .push(Slot::Const(U256::from(self.plan.an.code.len()))),
            op::GAS => {
                // Less the memory expansion not charged yet: the counter
                // with it is the gas the block ends with, so a negative one
                // halts here, as the block's entry test would have.
                let g = self.b.use_var(self.gas);
                let unpaid = self.unpaid_memory_gas();
                let g = self.b.ins().isub(g, unpaid);
                let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, g, 0);
                let oog = self.halt_block(halt_code(HaltReason::OutOfGas));
                let cont = self.b.create_block();
                self.b.ins().brif(negative, oog, &[], cont, &[]);
                self.continue_in(cont);
                let g = self.b.ins().iadd_imm_s(g, gas_ahead as i64);
                let reserve = self.b.ins().load(
                    types::I64,
                    MemFlagsData::trusted(),
                    self.ctx_ptr,
                    offsets::GAS_RESERVE,
                );
                let g = self.b.ins().iadd(g, reserve);
                let w = self.u64_word(g);
                self.vs.push(Slot::Word(w));
            }
            op::MSIZE => self.lower_msize(),
            op::MLOAD => self.lower_mload(),
            op::MSTORE => self.lower_mstore(),
            op::MSTORE8 => self.lower_mstore8(),
            _ => {
                if !self.lower_arith(code) && !self.lower_environment(code) {
                    self.lower_runtime_op(code, gas_ahead);
                }
            }
        }
    }

    /// A word holding `v` (an i64) in its low limb.
    fn u64_word(&self, v: Value) -> Word {
        [v, self.zero, self.zero, self.zero]
    }

    /// Pops a word, materialising it.
    fn pop_word(&mut self) -> Word {
        let slot = self.vs.pop();
        self.vs.materialize(&mut self.b, &mut self.slot_vars, slot)
    }

    /// Pushes a computed word.
    fn push_word(&mut self, w: Word) {
        self.vs.push(Slot::Word(w));
    }

    /// The IR block an edge from block `from` (being lowered) to block `to`
    /// enters, if `to` is in this chunk: inside a loop lowered twice, the
    /// back edge into the header goes to the other copy and every other
    /// edge stays in the copy being lowered; edges into the loop from
    /// outside enter the first copy.
    fn edge_block(&self, from: usize, to: usize) -> Option<Block> {
        let unroll = &self.plan.unroll;
        let second = match unroll.cycle_of[to] {
            Some(c) if unroll.cycle_of[from] == Some(c) => {
                (to == unroll.cycles[c].header) != self.second_copy
            }
            _ => false,
        };
        if second {
            self.second[to]
        } else {
            self.blocks[to]
        }
    }

    /// The analysed block starting at `pc`, if it can run (in any chunk).
    fn block_at(&self, pc: usize) -> Option<usize> {
        self.plan.an.block_at(pc).filter(|&i| self.runs(i))
    }
}

/// The signature of a chunk's function: `(ctx, stack, gas, height, entry)
/// -> exit code`, in the tail calling convention (chunks tail-call each
/// other).
pub fn chunk_signature(ptr: types::Type) -> cranelift_codegen::ir::Signature {
    use cranelift_codegen::ir::AbiParam;
    let mut sig = cranelift_codegen::ir::Signature::new(cranelift_codegen::isa::CallConv::Tail);
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I32));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// Whether anchor `index` takes its entry height as a block parameter
/// (block 0 does not when nothing jumps to it: its height is 0).
fn anchor_takes_height(plan: &Plan<'_, '_>, index: usize) -> bool {
    index != 0 || !plan.cfg.preds[0].is_empty() || plan.cfg.dispatch_targets.contains(&0)
}

/// The exit code a terminator without a runtime call produces.
fn halt_exit(terminator: Terminator) -> u32 {
    match terminator {
        Terminator::Invalid => halt_code(HaltReason::InvalidOpcode),
        Terminator::Undefined(_) => halt_code(HaltReason::UndefinedOpcode),
        _ => exit::STOP,
    }
}
