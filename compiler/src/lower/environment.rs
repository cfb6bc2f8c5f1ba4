//! Environment opcodes compiled code answers without the runtime: the
//! call's value, caller and address (read from the frame's message), the
//! call data's size, and CALLDATALOAD (read in place, or from the context's
//! zero-padded copy of the call data's end; once per function at a constant
//! offset; a runtime call in code that runs once, past the first few at
//! other offsets).

use super::word::Word;
use super::Lowering;
use crate::context::offsets;
use crate::shims::Shim;
use cevm_runtime::opcode::op;
use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};

/// How many CALLDATALOADs at offsets not known at compile time each
/// function of code that runs once inlines (constant offsets are read once
/// per function without loops, see [`Lowering::calldata_word_at`]): a long straight-line
/// chain of them (which compiles with the fast register allocator) stays
/// mostly runtime calls, which compile faster.
pub(super) const COLD_INLINE_CALLDATALOADS: usize = 16;

impl Lowering<'_, '_, '_, '_> {
    /// Lowers `code` if it is one of the environment opcodes answered
    /// inline; returns whether it was.
    pub(super) fn lower_environment(&mut self, code: u8) -> bool {
        match code {
            op::CALLVALUE => self.push_callvalue(),
            op::CALLER => self.push_message_address(offsets::MSG_CALLER),
            op::ADDRESS => self.push_message_address(offsets::MSG_ADDRESS),
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

    /// CALLVALUE: the message's value, four limbs.
    fn push_callvalue(&mut self) {
        let msg = self.context_i64(offsets::MSG);
        let flags = MemFlagsData::trusted().with_readonly();
        let w: Word = std::array::from_fn(|i| {
            let offset = offsets::MSG_VALUE + 8 * i as i32;
            self.b.ins().load(types::I64, flags, msg, offset)
        });
        self.push_word(w);
    }

    /// CALLER or ADDRESS: the message's address at `offset`, 20 bytes
    /// big-endian, as a word (the top limb is zero).
    fn push_message_address(&mut self, offset: i32) {
        let msg = self.context_i64(offsets::MSG);
        // Fixed for the frame; the 8-byte halves are not 8-byte aligned.
        let flags = MemFlagsData::new().with_notrap().with_readonly();
        let low = self.b.ins().load(types::I64, flags, msg, offset + 12);
        let middle = self.b.ins().load(types::I64, flags, msg, offset + 4);
        let high = self.b.ins().load(types::I32, flags, msg, offset);
        let high = self.b.ins().bswap(high);
        let w = [
            self.b.ins().bswap(low),
            self.b.ins().bswap(middle),
            self.b.ins().uextend(types::I64, high),
            self.zero,
        ];
        self.push_word(w);
    }

    /// CALLDATALOAD without a branch or a runtime call, whatever the offset:
    /// the offset is clamped to the call data's
    /// length (an offset of 2^64 or more counts as past the end), and the
    /// 32 bytes are read in place when they lie inside the call data, or
    /// else from the context's copy of its last 32 bytes followed by 32
    /// zeros ([`crate::context::JitContext::input_tail`]), which holds the
    /// zero-padded word for every offset from `len - 32` to `len`. In a
    /// function without loops a constant offset's word is read once
    /// ([`Lowering::calldata_word_at`]). In code that runs once per frame
    /// only the first [`COLD_INLINE_CALLDATALOADS`] of a function at other
    /// offsets are inlined, the rest call the runtime (a third of the code).
    fn lower_calldataload(&mut self) {
        let slot = self.vs.pop();
        let constant = self.vs.constant(slot).filter(|_| self.runs_once);
        if let Some(c) = constant {
            let w = match u64::try_from(c) {
                Ok(c) => self.calldata_word_at(c),
                // Past any call data.
                Err(_) => [self.zero; 4],
            };
            self.push_word(w);
            return;
        }
        let offset = self.vs.materialize(&mut self.b, &mut self.slot_vars, slot);
        if !self.hot {
            if self.cold_calldataloads >= COLD_INLINE_CALLDATALOADS {
                let w = self.calldataload_call(offset);
                self.push_word(w);
                return;
            }
            self.cold_calldataloads += 1;
        }
        let len = self.context_i64(offsets::INPUT_LEN);
        let low = self.b.ins().umin(offset[0], len);
        let at = if super::word::is_zero(&self.b, offset[1])
            && super::word::is_zero(&self.b, offset[2])
            && super::word::is_zero(&self.b, offset[3])
        {
            low
        } else {
            let high = super::word::exceeds_u64(&mut self.b, offset);
            self.b.ins().select(high, len, low)
        };
        let base = self.context_i64(offsets::INPUT_PTR);
        let flags = MemFlagsData::new().with_notrap().with_readonly();
        let ctx = self.ctx_ptr;
        let w = calldata_word_from(&mut self.b.cursor(), ctx, base, len, at, flags);
        self.push_word(w);
    }

    /// The call data word at constant offset `c`, computed once per function
    /// of code that runs once (call data never changes in a frame; functions
    /// with a loop keep their reads where they are, so that their register
    /// allocation stays as it was). Its instructions go at the end
    /// of the function's entry block, which dominates every use, and are
    /// pure (the loads read memory nothing writes and can be moved), so the
    /// optimiser places them where they are used, once along each path,
    /// and out of loops: the chains of CALLDATALOADs at the same offsets
    /// that code reading its arguments or selector has cost one read, not
    /// one each (or a runtime call each, in code that runs once).
    fn calldata_word_at(&mut self, c: u64) -> Word {
        if let Some(&w) = self.calldata_words.get(&c) {
            return w;
        }
        let entry = self
            .b
            .func
            .layout
            .entry_block()
            .expect("the function has its entry block");
        let before = self
            .b
            .func
            .layout
            .last_inst(entry)
            .expect("the entry block is filled");
        let ctx = self.ctx_ptr;
        let mut cur = FuncCursor::new(self.b.func).at_inst(before);
        let fixed = MemFlagsData::trusted().with_readonly().with_can_move();
        let len = cur.ins().load(types::I64, fixed, ctx, offsets::INPUT_LEN);
        let base = cur.ins().load(types::I64, fixed, ctx, offsets::INPUT_PTR);
        let offset = cur.ins().iconst(types::I64, c as i64);
        // `c` is below 2^64: clamped as in the general case.
        let at = cur.ins().umin(offset, len);
        let flags = MemFlagsData::new()
            .with_notrap()
            .with_readonly()
            .with_can_move();
        let w = calldata_word_from(&mut cur, ctx, base, len, at, flags);
        self.calldata_words.insert(c, w);
        w
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

/// The call data word at `at` (an offset already clamped to the call data's
/// length `len`; `base` is where the call data starts), read with `flags`:
/// in place when its 32 bytes lie inside the call data, else from the
/// context's copy of the call data's last 32 bytes followed by 32 zeros
/// ([`crate::context::JitContext::input_tail`]), where the word starts
/// `at + 32 - len` bytes in (1 to 32).
fn calldata_word_from(
    cur: &mut FuncCursor<'_>,
    ctx: Value,
    base: Value,
    len: Value,
    at: Value,
    flags: MemFlagsData,
) -> Word {
    // `at <= len`, far below 2^63: no overflow.
    let end = cur.ins().iadd_imm_s(at, 32);
    let inside = cur.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, len);
    let in_input = cur.ins().iadd(base, at);
    let past = cur.ins().isub(end, len);
    let tail = cur.ins().iadd_imm_s(ctx, offsets::INPUT_TAIL as i64);
    let in_tail = cur.ins().iadd(tail, past);
    let from = cur.ins().select(inside, in_input, in_tail);
    // Big-endian: the most significant limb comes first.
    std::array::from_fn(|k| {
        let v = cur
            .ins()
            .load(types::I64, flags, from, (8 * (3 - k)) as i32);
        cur.ins().bswap(v)
    })
}
