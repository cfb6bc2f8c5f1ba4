//! MLOAD, MSTORE and MSTORE8: inline whenever the access lies within the
//! runtime's zeroed-ahead buffer; a cold runtime call otherwise.
//!
//! An access past the end of memory only raises the context's `mem_end`
//! (MSIZE is it rounded up to a word): the expansion's gas is charged by the
//! runtime when it next sees the gas, at every runtime call and at the end
//! of the frame ([`crate::context::JitContext::settle_memory`]), and GAS
//! counts it inline. Nothing between the access and then observes gas or
//! has an effect a halt would not undo, as with the lazily tested static
//! gas (see [`crate::passes::plan`]): if the expansion was more than the gas
//! left, the frame halts there instead, with the same result.
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
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};

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
    /// Inside the zeroed-ahead buffer the access only raises `mem_end`. In
    /// code that can run more than once, an access inside `mem_end` already
    /// costs one compare and the raise is a block of its own; in code that
    /// runs once, `mem_end` is raised unconditionally (a second branch would
    /// be one more block boundary, where the single-pass register allocator
    /// spills everything live, on every access). Offsets of 2^32 and more
    /// and accesses past the buffer take a cold runtime call, which decides
    /// as the interpreter does. The call takes the offset's limbs, live
    /// anyway, rather than values of the test (which would then be live
    /// into the cold path: spilled on every access by that allocator).
    fn memory_address(&mut self, offset: Word, len: i64) -> Value {
        // Offsets of 2^32 and more never fit (memory is capped at 4 GiB).
        let high = self.b.ins().bor(offset[1], offset[2]);
        let high = self.b.ins().bor(high, offset[3]);
        let above = self.b.ins().ushr_imm_u(offset[0], 32);
        let high = self.b.ins().bor(high, above);
        let small = self.b.ins().icmp_imm_s(IntCC::Equal, high, 0);
        // Below 2^33 when `small`; its value is unused otherwise.
        let end = self.b.ins().iadd_imm_s(offset[0], len);
        let flags = MemFlagsData::trusted();

        let fast = self.b.create_block();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        if self.hot {
            let mem_end = self.load_ctx(offsets::MEM_END);
            let inside = self
                .b
                .ins()
                .icmp(IntCC::UnsignedLessThanOrEqual, end, mem_end);
            let ok = self.b.ins().band(small, inside);
            let grow = self.b.create_block();
            self.b.ins().brif(ok, fast, &[], grow, &[]);
            self.continue_in(grow);
            let ok = self.within_buffer(small, end);
            let raise = self.b.create_block();
            self.b.ins().brif(ok, raise, &[], slow, &[]);
            self.continue_in(raise);
            self.b
                .ins()
                .store(flags, end, self.ctx_ptr, offsets::MEM_END);
            self.b.ins().jump(fast, &[]);
        } else {
            // Raised before the test: past the buffer the runtime call
            // expands to the further of `end` and `mem_end` (the same), and
            // with a huge offset the frame halts.
            let mem_end = self.load_ctx(offsets::MEM_END);
            let raised = self.b.ins().umax(mem_end, end);
            self.b
                .ins()
                .store(flags, raised, self.ctx_ptr, offsets::MEM_END);
            let ok = self.within_buffer(small, end);
            self.b.ins().brif(ok, fast, &[], slow, &[]);
        }

        self.continue_in(slow);
        // The runtime call tests whether the frame could pay (the counter
        // may be negative here: charges not tested yet) and charges
        // nothing.
        self.store_gas();
        let len_v = self.b.ins().iconst(types::I64, len);
        let args = [
            self.ctx_ptr,
            offset[0],
            offset[1],
            offset[2],
            offset[3],
            len_v,
        ];
        let call = self.call_shim(Shim::MemExpand, &args);
        let rc = self.b.inst_results(call)[0];
        if !self.runs_once {
            // The counter is in the context: read back, it need not stay
            // live across the call (the backtracking allocator then keeps
            // it out of a callee-saved register or a spill slot for the
            // whole function). The single-pass allocator would only move
            // it between spill slots at the join, on every access.
            self.load_gas();
        }
        self.check_return_code(rc);
        self.b.ins().jump(fast, &[]);
        self.b.switch_to_block(fast);
        self.b.seal_block(fast);
        self.memory_base_plus(offset[0])
    }

    /// Whether an access ending at `end` lies within the zeroed-ahead
    /// buffer (`small`: its offset is below 2^32, so `end` did not wrap).
    fn within_buffer(&mut self, small: Value, end: Value) -> Value {
        let zeroed = self.load_ctx(offsets::MEM_ZEROED);
        let fits = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, end, zeroed);
        self.b.ins().band(small, fits)
    }

    /// The gas of the memory expansion native code made that the runtime
    /// has not charged yet: `3·w + w²/512` for the words up to `mem_end`
    /// less the cost of the memory's length. `mem_end` is within the
    /// buffer, below 2^32 (so the word count is below 2^27, nothing
    /// overflows).
    pub(super) fn unpaid_memory_gas(&mut self) -> Value {
        let end = self.load_ctx(offsets::MEM_END);
        let rounded = self.b.ins().iadd_imm_s(end, 31);
        let words = self.b.ins().ushr_imm_u(rounded, 5);
        let linear = self.b.ins().imul_imm_s(words, MEMORY_WORD_GAS as i64);
        let square = self.b.ins().imul(words, words);
        let quadratic = self
            .b
            .ins()
            .ushr_imm_u(square, MEMORY_QUADRATIC_DIVISOR.trailing_zeros() as i64);
        let cost = self.b.ins().iadd(linear, quadratic);
        let paid = self.load_ctx(offsets::MEM_COST);
        self.b.ins().isub(cost, paid)
    }

    /// MSIZE: `mem_end` rounded up to a word.
    pub(super) fn lower_msize(&mut self) {
        let end = self.load_ctx(offsets::MEM_END);
        let rounded = self.b.ins().iadd_imm_s(end, 31);
        let size = self.b.ins().band_imm_s(rounded, -32);
        let w = self.u64_word(size);
        self.push_word(w);
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
