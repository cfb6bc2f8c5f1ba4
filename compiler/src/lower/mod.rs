//! Lowering of analysed bytecode to Cranelift IR: one function per contract.
//!
//! Per block: one gas check and one stack-bounds check on entry, then the
//! instructions on a virtual stack of SSA words (see [`vstack`]), which is
//! written to the frame's stack memory only at block exits and before runtime
//! calls that read the stack. Opcode families live in submodules.

mod arith;
mod control;
mod memory;
mod runtime;
pub(crate) mod vstack;
pub mod word;

use crate::analysis::{push_value, Analysis, Terminator};
use crate::context::{exit, halt_code, offsets};
use crate::shims::Shim;
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op, Instruction};
use cevm_runtime::{HaltReason, U256};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, Block, Inst, InstBuilder, MemFlagsData, SigRef, StackSlot, StackSlotData, StackSlotKind,
    Value,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use vstack::{Slot, VStack};
use word::Word;

/// Bytes of the scratch area runtime calls take their operands in (three words).
const SCRATCH_BYTES: u32 = 3 * 32;

/// Builds the IR of one contract.
pub(crate) struct Lowering<'a, 'b> {
    /// The function being built.
    pub b: FunctionBuilder<'b>,
    an: &'a Analysis<'a>,
    /// Signatures of the shims, in [`Shim`] order, for indirect calls.
    shims: Vec<SigRef>,
    ctx_ptr: Value,
    stack_base: Value,
    /// EVM stack height (i64).
    sp: Variable,
    /// Gas left (i64, read as unsigned).
    gas: Variable,
    blocks: Vec<Block>,
    /// Shared blocks returning a constant exit code, by code.
    halt_blocks: std::collections::HashMap<u32, Block>,
    dispatch: Option<Block>,
    /// Shared block returning the code a runtime call left in the context.
    exit_from_ctx: Option<Block>,
    scratch: StackSlot,
    /// The virtual stack of the block being lowered.
    vs: VStack,
    /// Bytes of memory known to exist at this point of the block (from
    /// accesses at constant offsets that already succeeded in it).
    known_memory: u64,
}

impl<'a, 'b> Lowering<'a, 'b> {
    /// Prepares the entry and exit blocks of `b`'s function, whose signature
    /// is `(ctx: i64, stack: i64) -> i32` and whose shim signatures are
    /// `shims` in [`Shim`] order.
    pub fn new(mut b: FunctionBuilder<'b>, an: &'a Analysis<'a>, shims: Vec<SigRef>) -> Self {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let ctx_ptr = b.block_params(entry)[0];
        let stack_base = b.block_params(entry)[1];
        // Gas and height start in the context (height 0, gas from the frame).
        let sp = b.declare_var(types::I64);
        let gas = b.declare_var(types::I64);
        let scratch = b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            SCRATCH_BYTES,
            5,
        ));
        let blocks: Vec<Block> = an.blocks.iter().map(|_| b.create_block()).collect();
        b.ins().jump(blocks[0], &[]);
        b.seal_block(entry);
        Lowering {
            b,
            an,
            shims,
            ctx_ptr,
            stack_base,
            sp,
            gas,
            blocks,
            halt_blocks: std::collections::HashMap::new(),
            dispatch: None,
            exit_from_ctx: None,
            scratch,
            vs: VStack::default(),
            known_memory: 0,
        }
    }

    /// Lowers every block and finishes the function.
    pub fn lower_all(mut self, config: cranelift_codegen::isa::TargetFrontendConfig) {
        for index in 0..self.an.blocks.len() {
            self.lower_block(index);
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

    /// Ends the current block by returning `code` (gas and height in the
    /// context are left as they are: callers store them when they matter).
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

    fn lower_block(&mut self, index: usize) {
        let info = self.an.blocks[index].clone();
        self.b.switch_to_block(self.blocks[index]);
        self.load_gas();
        let height = self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.ctx_ptr,
            offsets::STACK_LEN,
        );
        self.b.def_var(self.sp, height);

        let needed = info.stack_needed as i64;
        let growth = info.max_growth as i64;
        let limit = STACK_LIMIT as i64;
        if needed > limit {
            self.exit_with(halt_code(HaltReason::StackUnderflow));
            return;
        }
        if needed + growth > limit {
            self.exit_with(halt_code(HaltReason::StackOverflow));
            return;
        }
        let sp0 = self.b.use_var(self.sp);
        self.entry_checks(info.static_gas, sp0, needed, growth);
        let offset = self.b.ins().ishl_imm_u(sp0, 5);
        let top = self.b.ins().iadd(self.stack_base, offset);
        self.vs = VStack::new(top, sp0, info.stack_needed as usize);
        self.known_memory = 0;

        // Static gas of the block's instructions not executed yet (GAS and
        // runtime calls that observe gas give it back first).
        let mut ahead = info.static_gas;
        let instrs = self.an.block_instructions(index).to_vec();
        let body_len = match info.terminator {
            Terminator::FallThrough | Terminator::EndOfCode => instrs.len(),
            _ => instrs.len().saturating_sub(1),
        };
        for ins in &instrs[..body_len] {
            let cost =
                opcode::info_in(ins.opcode, self.an.spec).map_or(0, |i| i.static_gas(self.an.spec));
            ahead -= cost;
            self.lower_instruction(ins, ahead);
        }
        self.lower_terminator(&info, instrs.last().copied());
    }

    /// The block's one gas check and one stack-bounds check, with a single
    /// branch: the cold failure path works out which one failed.
    fn entry_checks(&mut self, static_gas: u64, sp0: Value, needed: i64, growth: i64) {
        let check_stack = needed > 0 || growth > 0;
        if static_gas == 0 && !check_stack {
            return;
        }
        let g = self.b.use_var(self.gas);
        let gas_ok =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, g, static_gas as i64);
        // sp0 in [needed, limit - growth], as one unsigned range check.
        let rel = self.b.ins().iadd_imm_s(sp0, -needed);
        let stack_ok = self.b.ins().icmp_imm_s(
            IntCC::UnsignedLessThanOrEqual,
            rel,
            STACK_LIMIT as i64 - growth - needed,
        );
        let ok = match (static_gas > 0, check_stack) {
            (true, true) => self.b.ins().band(gas_ok, stack_ok),
            (true, false) => gas_ok,
            _ => stack_ok,
        };
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
        let code = self.b.ins().select(gas_ok, stack_code, oog);
        self.b.ins().return_(&[code]);

        self.continue_in(cont);
        let left = self.b.ins().iadd_imm_s(g, -(static_gas as i64));
        self.b.def_var(self.gas, left);
    }

    fn lower_instruction(&mut self, ins: &Instruction<'_>, gas_ahead: u64) {
        let code = ins.opcode;
        match code {
            op::PUSH0..=op::PUSH32 => self.vs.push(Slot::Const(push_value(ins))),
            op::POP => {
                self.vs.pop();
            }
            op::DUP1..=op::DUP16 => {
                let n = (code - op::DUP1) as usize;
                let slot = self.vs.dup_slot(&mut self.b, n);
                self.vs.push(slot);
            }
            op::SWAP1..=op::SWAP16 => self.vs.swap((code - op::SWAP1 + 1) as usize),
            op::JUMPDEST => {}
            op::PC => self.vs.push(Slot::Const(U256::from(ins.pc))),
            op::CODESIZE => self.vs.push(Slot::Const(U256::from(self.an.code.len()))),
            op::GAS => {
                let g = self.b.use_var(self.gas);
                let g = self.b.ins().iadd_imm_s(g, gas_ahead as i64);
                let w = word::from_u64(&mut self.b, g);
                self.vs.push(Slot::Word(w));
            }
            op::MSIZE => {
                let len = self.b.ins().load(
                    types::I64,
                    MemFlagsData::trusted(),
                    self.ctx_ptr,
                    offsets::MEM_LEN,
                );
                let w = word::from_u64(&mut self.b, len);
                self.vs.push(Slot::Word(w));
            }
            op::MLOAD => self.lower_mload(),
            op::MSTORE => self.lower_mstore(),
            op::MSTORE8 => self.lower_mstore8(),
            _ => {
                if !self.lower_arith(code) {
                    self.lower_runtime_op(code, gas_ahead);
                }
            }
        }
    }

    /// Pops a word, materialising it.
    fn pop_word(&mut self) -> Word {
        let slot = self.vs.pop();
        self.vs.materialize(&mut self.b, slot)
    }

    /// Pushes a computed word.
    fn push_word(&mut self, w: Word) {
        self.vs.push(Slot::Word(w));
    }

    /// Writes the virtual stack to memory, and the gas and height to the
    /// context, for the next block (or the caller) to pick up.
    fn leave_block(&mut self) {
        let height = self.vs.flush(&mut self.b);
        self.b.def_var(self.sp, height);
        self.b.ins().store(
            MemFlagsData::trusted(),
            height,
            self.ctx_ptr,
            offsets::STACK_LEN,
        );
        self.store_gas();
    }

    /// The shared block a computed jump goes through (created on first use).
    fn dispatch_block(&mut self) -> Block {
        if let Some(d) = self.dispatch {
            return d;
        }
        let d = self.b.create_block();
        self.dispatch = Some(d);
        d
    }

    fn emit_dispatch(&mut self) {
        let Some(d) = self.dispatch else {
            return;
        };
        self.b.switch_to_block(d);
        let target = self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.ctx_ptr,
            offsets::JUMP_TARGET,
        );
        let invalid = self.b.create_block();
        let mut switch = cranelift_frontend::Switch::new();
        for (info, &block) in self.an.blocks.iter().zip(&self.blocks) {
            if self.an.jumpdests.is_valid(info.start) {
                switch.set_entry(info.start as u128, block);
            }
        }
        switch.emit(&mut self.b, target, invalid);
        self.continue_in(invalid);
        self.exit_with(halt_code(HaltReason::InvalidJump));
    }

    /// The IR block of the analysed block starting at `pc`.
    fn block_at(&self, pc: usize) -> Option<Block> {
        self.an.block_at(pc).map(|i| self.blocks[i])
    }
}

/// The exit code a terminator without a runtime call produces.
fn halt_exit(terminator: Terminator) -> u32 {
    match terminator {
        Terminator::Invalid => halt_code(HaltReason::InvalidOpcode),
        Terminator::Undefined(_) => halt_code(HaltReason::UndefinedOpcode),
        _ => exit::STOP,
    }
}
