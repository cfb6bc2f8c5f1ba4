//! Opcodes run by the runtime through the generic shim: environment, state,
//! logs, copies, hashing and nested frames. Operands go through the
//! scratch area (top of the stack first) and the result comes back in its
//! first word; the EVM stack memory is not involved.

use super::Lowering;
use crate::shims::Shim;
use cevm_runtime::opcode;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};

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
        let addr = self.spill_operands(inputs);
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

    /// Pops `arity` words into the scratch area (top first) and returns its address.
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
