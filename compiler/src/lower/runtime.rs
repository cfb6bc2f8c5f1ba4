//! Opcodes run by the runtime through the generic shim: environment, state,
//! logs, copies, hashing and nested frames. Operands go through the
//! scratch area (top of the stack first) and the result comes back in its
//! first word; the EVM stack memory is not involved.

use super::word::Word;
use super::word::{constant, is_zero};
use super::Lowering;
use crate::shims::Shim;
use cevm_runtime::opcode::{self, op};
use cranelift_codegen::ir::{types, ConstantData, InstBuilder, MemFlagsData, Value};

impl Lowering<'_, '_, '_, '_> {
    /// Calls the generic shim for `code` on its operands. The block's
    /// pre-charged static gas of later instructions (`gas_ahead`) is given
    /// back by the shim for the call (the CALL family's 63/64 rule and
    /// SSTORE's sentry see exact gas) and charged again afterwards. Returns
    /// the shim's exit code, which is checked (leaving the function unless
    /// it is zero) if `check` is set.
    pub(super) fn call_runtime_op(&mut self, code: u8, gas_ahead: u64, check: bool) -> Value {
        let info = opcode::info(code);
        let inputs = info.map_or(0, |i| i.inputs as usize);
        let outputs = info.map_or(0, |i| i.outputs as usize);
        let addr = self.spill_op_operands(code, inputs);
        self.store_gas();
        let opcode_v = self.b.ins().iconst(types::I32, code as i64);
        let ahead = self.b.ins().iconst(types::I64, gas_ahead as i64);
        let call = self.call_shim(Shim::Op, &[self.ctx_ptr, opcode_v, ahead, addr]);
        let rc = self.b.inst_results(call)[0];
        self.load_gas();
        if check {
            self.check_return_code(rc);
        }
        if outputs == 1 {
            self.push_scratch_result(addr);
        }
        rc
    }

    /// An instruction in the middle of a block run by the runtime.
    pub(super) fn lower_runtime_op(&mut self, code: u8, gas_ahead: u64) {
        self.call_runtime_op(code, gas_ahead, true);
    }

    /// Pops `arity` words into the scratch area (top first) and returns
    /// its address, for a shim that reads them limb by limb (arithmetic).
    pub(super) fn spill_operands(&mut self, arity: usize) -> Value {
        let addr = self.b.ins().stack_addr(types::I64, self.scratch, 0);
        for i in 0..arity {
            let w = self.pop_word();
            for (k, limb) in w.into_iter().enumerate() {
                self.b
                    .ins()
                    .store(MemFlagsData::trusted(), limb, addr, (32 * i + 8 * k) as i32);
            }
        }
        addr
    }

    /// Pops `code`'s operands into the scratch area for the generic shim
    /// and returns its address.
    ///
    /// The CALL family's operands take CALL's seven-word layout
    /// (`ops::CallOperands`): DELEGATECALL and STATICCALL, which have no
    /// value operand, get a zero word in its place, so the runtime reads
    /// every call's operands in place.
    ///
    /// Each word is stored as two 16-byte halves: the runtime's Rust code
    /// moves words 16 bytes at a time, and a load spanning two of native
    /// code's 8-byte stores cannot be forwarded from the store buffer; it
    /// waits for the stores to reach the cache (in a deep call chain, where
    /// each frame's CALL passes seven words, a tenth of the time).
    fn spill_op_operands(&mut self, code: u8, arity: usize) -> Value {
        let addr = self.b.ins().stack_addr(types::I64, self.scratch, 0);
        let value_slot = matches!(code, op::DELEGATECALL | op::STATICCALL).then_some(2);
        let mut slot = 0;
        for i in 0..arity {
            if value_slot == Some(i) {
                let zero = self.b.ins().iconst(types::I64, 0);
                self.store_word_wide(addr, slot, [zero; 4]);
                slot += 1;
            }
            let w = self.pop_word();
            self.store_word_wide(addr, slot, w);
            slot += 1;
        }
        addr
    }

    /// Stores `w` as word `slot` of the area at `addr`, 16 bytes at a time.
    fn store_word_wide(&mut self, addr: Value, slot: usize, w: Word) {
        for half in 0..2 {
            let pair = self.limb_pair(w[2 * half], w[2 * half + 1]);
            self.b.ins().store(
                MemFlagsData::trusted(),
                pair,
                addr,
                (32 * slot + 16 * half) as i32,
            );
        }
    }

    /// Two limbs as one 128-bit vector, `lo` in the low lane (a constant
    /// vector when both are constants).
    fn limb_pair(&mut self, lo: Value, hi: Value) -> Value {
        if let (Some(lo), Some(hi)) = (constant(&self.b, lo), constant(&self.b, hi)) {
            let bytes: Vec<u8> = [lo, hi].iter().flat_map(|l| l.to_le_bytes()).collect();
            let handle = self.b.func.dfg.constants.insert(ConstantData::from(bytes));
            return self.b.ins().vconst(types::I64X2, handle);
        }
        // The other lane of `scalar_to_vector` is zero.
        let v = self.b.ins().scalar_to_vector(types::I64X2, lo);
        if is_zero(&self.b, hi) {
            return v;
        }
        self.b.ins().insertlane(v, hi, 1)
    }

    /// Reads the result word from the scratch area and pushes it.
    pub(super) fn push_scratch_result(&mut self, addr: Value) {
        let w: super::word::Word = std::array::from_fn(|k| {
            self.b
                .ins()
                .load(types::I64, MemFlagsData::trusted(), addr, (8 * k) as i32)
        });
        self.push_word(w);
    }
}
