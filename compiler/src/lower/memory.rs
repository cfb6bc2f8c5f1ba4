//! MLOAD, MSTORE and MSTORE8: an inline fast path when the access lies
//! inside the current memory; in code that can run more than once, inline
//! expansion (gas charged exactly) when it grows memory within the
//! runtime's zeroed-ahead buffer; a cold runtime call otherwise.
//!
//! Memory never shrinks, so once an access at a constant offset has
//! succeeded in a block, later accesses in the block that end no further
//! need no check at all ([`Lowering::known_memory`]).

use super::vstack::Slot;
use super::word::Word;
use super::Lowering;
use crate::context::offsets;
use crate::shims::Shim;
use cevm_runtime::frame::{MEMORY_QUADRATIC_DIVISOR, MEMORY_WORD_GAS};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlagsData, Value};

impl Lowering<'_, '_, '_, '_> {
    /// Pops the offset operand and makes `[offset, offset + len)` addressable;
    /// returns the host address of its first byte.
    fn pop_memory_address(&mut self, len: i64) -> Value {
        let slot = self.vs.pop();
        let constant_end = match slot {
            Slot::Const(c) => u64::try_from(c)
                .ok()
                .and_then(|c| c.checked_add(len as u64)),
            _ => None,
        };
        let offset = self.vs.materialize(&mut self.b, &mut self.slot_vars, slot);
        if let Some(end) = constant_end {
            if end <= self.known_memory {
                return self.memory_base_plus(offset[0]);
            }
        }
        let addr = self.memory_address(offset, len);
        if let Some(end) = constant_end {
            self.known_memory = self.known_memory.max(end);
        }
        addr
    }

    /// The host address `offset` bytes into memory (no bounds check).
    fn memory_base_plus(&mut self, offset: Value) -> Value {
        let base = self.load_ctx(offsets::MEM_PTR);
        self.b.ins().iadd(base, offset)
    }

    /// Makes `[offset, offset + len)` addressable and returns the host address
    /// of its first byte.
    ///
    /// An access inside memory costs a compare. Otherwise, in code that can
    /// run more than once, an expansion within the runtime's zeroed-ahead
    /// buffer with gas enough is charged and recorded inline
    /// ([`Self::grow_inline`]). Anything else (offsets of 2^32 and more, a
    /// buffer to enlarge, out of gas, and every expansion in code that runs
    /// once) takes a cold runtime call that decides as the interpreter does.
    fn memory_address(&mut self, offset: Word, len: i64) -> Value {
        // Offsets of 2^32 and more never fit (memory is capped at 4 GiB).
        let high = self.b.ins().bor(offset[1], offset[2]);
        let high = self.b.ins().bor(high, offset[3]);
        let above = self.b.ins().ushr_imm_u(offset[0], 32);
        let high = self.b.ins().bor(high, above);
        let small = self.b.ins().icmp_imm_s(IntCC::Equal, high, 0);
        let end = self.b.ins().iadd_imm_s(offset[0], len);
        let mem_len = self.load_ctx(offsets::MEM_LEN);
        let inside = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, end, mem_len);
        let ok = self.b.ins().band(small, inside);

        let fast = self.b.create_block();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        if self.hot {
            let grow = self.b.create_block();
            self.b.ins().brif(ok, fast, &[], grow, &[]);
            self.continue_in(grow);
            self.grow_inline(small, end, fast, slow);
        } else {
            // Code that runs once: inline growth was measured slower there
            // (its branches are unknown to the predictor, and the taken or
            // mispredicted ones cost more than the call) and it adds IR to
            // the largest functions.
            self.b.ins().brif(ok, fast, &[], slow, &[]);
        }

        self.continue_in(slow);
        // The counter may be negative here (charges not tested yet): the
        // runtime call tests it before charging the expansion.
        self.store_gas();
        let len_v = self.b.ins().iconst(types::I64, len);
        let call = self.call_shim(Shim::MemExpand, &[self.ctx_ptr, offset[0], high, len_v]);
        let rc = self.b.inst_results(call)[0];
        self.load_gas();
        self.check_return_code(rc);
        self.b.ins().jump(fast, &[]);
        self.b.switch_to_block(fast);
        self.b.seal_block(fast);
        self.memory_base_plus(offset[0])
    }

    /// Expands memory to cover `end` bytes inline and continues in `done`,
    /// or continues in `slow` when it cannot: `small` false (an offset of
    /// 2^32 or more), `end` past the runtime's zeroed-ahead buffer, or gas
    /// short. The charge is the EVM's `3·w + w²/512` for the new word count
    /// less the cost of the memory so far, as the runtime charges it; with
    /// `small`, `end` is below 2^33 and the word count below 2^28, so
    /// nothing overflows (without it, the results go unused).
    fn grow_inline(&mut self, small: Value, end: Value, done: Block, slow: Block) {
        let rounded = self.b.ins().iadd_imm_s(end, 31);
        let new_len = self.b.ins().band_imm_s(rounded, -32);
        let words = self.b.ins().ushr_imm_u(new_len, 5);
        let linear = self.b.ins().imul_imm_s(words, MEMORY_WORD_GAS as i64);
        let square = self.b.ins().imul(words, words);
        let quadratic = self
            .b
            .ins()
            .ushr_imm_u(square, MEMORY_QUADRATIC_DIVISOR.trailing_zeros() as i64);
        let new_cost = self.b.ins().iadd(linear, quadratic);
        let old_cost = self.load_ctx(offsets::MEM_COST);
        let cost = self.b.ins().isub(new_cost, old_cost);
        let g = self.b.use_var(self.gas);
        let g = self.b.ins().isub(g, cost);
        // The counter may be negative before the charge (static charges
        // are tested lazily): the runtime call then halts out of gas.
        let paid = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, g, 0);
        let zeroed = self.load_ctx(offsets::MEM_ZEROED);
        let fits = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, end, zeroed);
        let ok = self.b.ins().band(small, fits);
        let ok = self.b.ins().band(ok, paid);
        let commit = self.b.create_block();
        self.b.ins().brif(ok, commit, &[], slow, &[]);

        self.continue_in(commit);
        self.b.def_var(self.gas, g);
        let flags = MemFlagsData::trusted();
        self.b
            .ins()
            .store(flags, new_len, self.ctx_ptr, offsets::MEM_LEN);
        self.b
            .ins()
            .store(flags, new_cost, self.ctx_ptr, offsets::MEM_COST);
        let slot = self.load_ctx(offsets::MEM_LEN_SLOT);
        self.b.ins().store(flags, new_len, slot, 0);
        self.b.ins().jump(done, &[]);
    }

    /// A plain 8-byte field of the context.
    fn load_ctx(&mut self, offset: i32) -> Value {
        self.b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), self.ctx_ptr, offset)
    }

    /// MLOAD.
    pub(super) fn lower_mload(&mut self) {
        let addr = self.pop_memory_address(32);
        let flags = MemFlagsData::new().with_notrap();
        // Memory is big-endian: the most significant limb comes first.
        let w: Word = std::array::from_fn(|k| {
            let v = self
                .b
                .ins()
                .load(types::I64, flags, addr, (8 * (3 - k)) as i32);
            self.b.ins().bswap(v)
        });
        self.push_word(w);
    }

    /// MSTORE.
    pub(super) fn lower_mstore(&mut self) {
        let addr = self.pop_memory_address(32);
        let value = self.pop_word();
        let flags = MemFlagsData::new().with_notrap();
        for (k, limb) in value.into_iter().enumerate() {
            let v = self.b.ins().bswap(limb);
            self.b.ins().store(flags, v, addr, (8 * (3 - k)) as i32);
        }
    }

    /// MSTORE8.
    pub(super) fn lower_mstore8(&mut self) {
        let addr = self.pop_memory_address(1);
        let value = self.pop_word();
        let byte = self.b.ins().ireduce(types::I8, value[0]);
        self.b
            .ins()
            .store(MemFlagsData::new().with_notrap(), byte, addr, 0);
    }
}
