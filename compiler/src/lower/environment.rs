//! Environment opcodes compiled code answers without the runtime: the
//! call's value, caller and address (copied into the context when the frame
//! starts), the call data's size, and CALLDATALOAD where the 32 bytes lie
//! inside the call data (a runtime call pads past its end).

use super::word::Word;
use super::Lowering;
use crate::context::offsets;
use crate::shims::Shim;
use cevm_runtime::opcode::op;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};

impl Lowering<'_, '_, '_, '_> {
    /// Lowers `code` if it is one of the environment opcodes answered
    /// inline; returns whether it was.
    pub(super) fn lower_environment(&mut self, code: u8) -> bool {
        match code {
            op::CALLVALUE => self.push_context_word(offsets::CALLVALUE, 4),
            // Addresses are 160 bits: the top limb is zero.
            op::CALLER => self.push_context_word(offsets::CALLER, 3),
            op::ADDRESS => self.push_context_word(offsets::ADDRESS, 3),
            op::CALLDATASIZE => {
                let len = self.context_i64(offsets::INPUT_LEN);
                let w = self.u64_word(len);
                self.push_word(w);
            }
            op::CALLDATALOAD => self.lower_calldataload(),
            _ => return false,
        }
        true
    }

    fn context_i64(&mut self, offset: i32) -> Value {
        // Fixed for the frame: nothing native code does changes them.
        let flags = MemFlagsData::trusted().with_readonly();
        self.b.ins().load(types::I64, flags, self.ctx_ptr, offset)
    }

    /// Pushes the word the context holds at `offset` (its low `limbs` limbs;
    /// the others are zero).
    fn push_context_word(&mut self, offset: i32, limbs: usize) {
        let w: Word = std::array::from_fn(|i| {
            if i < limbs {
                self.context_i64(offset + 8 * i as i32)
            } else {
                self.zero
            }
        });
        self.push_word(w);
    }

    /// CALLDATALOAD: four big-endian loads when `offset + 32` is inside the
    /// call data, the runtime otherwise. Code that runs once per frame
    /// calls the runtime always (a third of the code, one block).
    fn lower_calldataload(&mut self) {
        let offset = self.pop_word();
        if !self.hot {
            let w = self.calldataload_call(offset);
            self.push_word(w);
            return;
        }
        let high = super::word::exceeds_u64(&mut self.b, offset);
        let len = self.context_i64(offsets::INPUT_LEN);
        // offset <= len - 32, without overflow (len < 32 fails both ways).
        let room = self.b.ins().iadd_imm_s(len, -32);
        let fits = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, offset[0], room);
        let short = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, len, 32);
        let bad = self.b.ins().bor(high, short);
        let ok = self.b.ins().band_not(fits, bad);

        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        for _ in 0..4 {
            self.b.append_block_param(join, types::I64);
        }
        self.b.set_cold_block(slow);
        self.b.ins().brif(ok, fast, &[], slow, &[]);

        self.continue_in(fast);
        let base = self.context_i64(offsets::INPUT_PTR);
        let at = self.b.ins().iadd(base, offset[0]);
        let flags = MemFlagsData::new().with_notrap().with_readonly();
        let w: Word = std::array::from_fn(|k| {
            let v = self
                .b
                .ins()
                .load(types::I64, flags, at, (8 * (3 - k)) as i32);
            self.b.ins().bswap(v)
        });
        let args: Vec<_> = w.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(join, &args);

        self.continue_in(slow);
        let w = self.calldataload_call(offset);
        let args: Vec<_> = w.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(join, &args);

        self.b.switch_to_block(join);
        self.b.seal_block(join);
        let p = self.b.block_params(join);
        let w: Word = [p[0], p[1], p[2], p[3]];
        self.push_word(w);
    }

    /// CALLDATALOAD by the runtime (any offset; no gas to charge).
    fn calldataload_call(&mut self, offset: Word) -> Word {
        let addr = self.b.ins().stack_addr(types::I64, self.scratch, 0);
        for (k, limb) in offset.into_iter().enumerate() {
            self.b
                .ins()
                .store(MemFlagsData::trusted(), limb, addr, (8 * k) as i32);
        }
        self.call_shim(Shim::CalldataLoad, &[self.ctx_ptr, addr]);
        std::array::from_fn(|k| {
            self.b
                .ins()
                .load(types::I64, MemFlagsData::trusted(), addr, (8 * k) as i32)
        })
    }
}
