//! Opcodes run by the runtime through the generic shim: environment, state,
//! logs, copies, hashing and nested frames.

use super::Lowering;
use crate::context::offsets;
use crate::shims::Shim;
use cevm_runtime::opcode;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};

impl Lowering<'_, '_> {
    /// Calls the generic shim for `code` with the stack flushed to memory.
    /// The block's pre-charged static gas of later instructions
    /// (`gas_ahead`) is given back by the shim for the call (the CALL
    /// family's 63/64 rule and SSTORE's sentry see exact gas) and charged
    /// again afterwards. Returns the shim's exit code, which is checked
    /// (leaving the function unless it is zero) if `check` is set.
    pub(super) fn call_runtime_op(&mut self, code: u8, gas_ahead: u64, check: bool) -> Value {
        let height = self.vs.flush(&mut self.b);
        self.b.ins().store(
            MemFlagsData::trusted(),
            height,
            self.ctx_ptr,
            offsets::STACK_LEN,
        );
        self.store_gas();
        let opcode_v = self.b.ins().iconst(types::I32, code as i64);
        let ahead = self.b.ins().iconst(types::I64, gas_ahead as i64);
        let call = self.call_shim(Shim::Op, &[self.ctx_ptr, opcode_v, ahead]);
        let rc = self.b.inst_results(call)[0];
        self.load_gas();
        if check {
            self.check_return_code(rc);
        }
        if let Some(info) = opcode::info(code) {
            self.vs
                .apply_runtime_effect(info.inputs as usize, info.outputs as usize);
        }
        rc
    }

    /// An instruction in the middle of a block run by the runtime.
    pub(super) fn lower_runtime_op(&mut self, code: u8, gas_ahead: u64) {
        self.call_runtime_op(code, gas_ahead, true);
    }
}
