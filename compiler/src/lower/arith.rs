//! Arithmetic, comparison and bitwise opcodes: inline on limbs (MUL too),
//! or as pure runtime calls through a scratch area for division, modular
//! arithmetic and EXP.

use super::division::Division;
use super::vstack::Slot;
use super::word;
use super::Lowering;
use crate::passes::fold;
use crate::shims::Shim;
use cevm_runtime::opcode::op;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, BlockArg, InstBuilder};

impl Lowering<'_, '_, '_, '_> {
    /// Lowers `code` if it is an arithmetic, comparison or bitwise opcode;
    /// returns whether it was.
    pub(super) fn lower_arith(&mut self, code: u8) -> bool {
        if code != op::EXP && self.fold_constants(code) {
            return true;
        }
        type Binary =
            fn(&mut cranelift_frontend::FunctionBuilder, word::Word, word::Word) -> word::Word;
        let binary: Option<Binary> = match code {
            op::ADD => Some(word::add),
            op::SUB => Some(word::sub),
            op::AND => Some(word::and),
            op::OR => Some(word::or),
            op::XOR => Some(word::xor),
            op::BYTE => Some(word::byte),
            op::SHL => Some(word::shl),
            op::SHR => Some(word::shr),
            op::SAR => Some(word::sar),
            op::SIGNEXTEND => Some(word::signextend),
            _ => None,
        };
        if let Some(f) = binary {
            let x = self.pop_word();
            let y = self.pop_word();
            if matches!(code, op::ADD | op::SUB) && self.fast_paths() {
                if let Some(r) = self.step_by_constant(code == op::SUB, x, y) {
                    self.push_word(r);
                    return true;
                }
            }
            let r = f(&mut self.b, x, y);
            self.push_word(r);
            return true;
        }
        match code {
            op::LT | op::GT | op::SLT | op::SGT | op::EQ => {
                let x = self.pop_word();
                let y = self.pop_word();
                let b = &mut self.b;
                let flag = match code {
                    op::LT => word::less_than(b, x, y, false),
                    op::GT => word::less_than(b, y, x, false),
                    op::SLT => word::less_than(b, x, y, true),
                    op::SGT => word::less_than(b, y, x, true),
                    _ => word::eq(b, x, y),
                };
                self.vs.push(Slot::Flag(flag));
            }
            op::ISZERO => {
                let flag = match self.vs.pop() {
                    Slot::Flag(c) => word::not_flag(&mut self.b, c),
                    slot => {
                        let x = self.vs.materialize(&mut self.b, &mut self.slot_vars, slot);
                        word::iszero(&mut self.b, x)
                    }
                };
                self.vs.push(Slot::Flag(flag));
            }
            op::NOT => {
                let x = self.pop_word();
                let r = word::not(&mut self.b, x);
                self.push_word(r);
            }
            op::CLZ => {
                let x = self.pop_word();
                let r = word::clz(&mut self.b, x);
                self.push_word(r);
            }
            // Inline: measured about twice as fast as the runtime call.
            op::MUL => {
                let x = self.pop_word();
                let y = self.pop_word();
                let r = if self.fast_paths() {
                    self.mul_by_width(x, y)
                } else {
                    word::mul(&mut self.b, x, y)
                };
                self.push_word(r);
            }
            op::DIV => self.lower_division(Division::Div),
            op::SDIV => self.lower_division(Division::Sdiv),
            op::MOD => self.lower_division(Division::Mod),
            op::SMOD => self.lower_division(Division::Smod),
            op::ADDMOD => self.pure_call(Shim::AddMod, 3),
            op::MULMOD => self.pure_call(Shim::MulMod, 3),
            op::EXP => self.lower_exp(),
            _ => return false,
        }
        true
    }

    /// Replaces the operands of the pure `code` by its result when they are
    /// all constants; returns whether it did.
    fn fold_constants(&mut self, code: u8) -> bool {
        if !fold::is_foldable(code) {
            return false;
        }
        let arity = cevm_runtime::opcode::info(code).map_or(0, |i| i.inputs as usize);
        let mut args = Vec::with_capacity(arity);
        for n in 0..arity {
            let slot = self.vs.peek(n);
            match self.vs.constant(slot) {
                Some(c) => args.push(c),
                None => return false,
            }
        }
        let Some(result) = fold::fold(code, &args) else {
            return false;
        };
        for _ in 0..arity {
            self.vs.pop();
        }
        self.vs.push(Slot::Const(result));
        true
    }

    /// `x + y` (`sub`: `x - y`) where one operand (`sub`: `y`) is a 64-bit
    /// constant and the other a full word, with the carry (borrow) into the
    /// upper limbs out of line: a loop counter's step costs one add and one
    /// compare-and-branch instead of a 256-bit add, and its upper limbs
    /// pass through unchanged. `None` where this does not apply (both
    /// operands narrow, which the inline sequence does as cheaply).
    fn step_by_constant(&mut self, sub: bool, x: word::Word, y: word::Word) -> Option<word::Word> {
        let small = |b: &cranelift_frontend::FunctionBuilder, w: &word::Word| {
            w[1..]
                .iter()
                .all(|&l| word::is_zero(b, l))
                .then(|| word::constant(b, w[0]))
                .flatten()
                .filter(|&c| c != 0)
        };
        let narrow = |b: &cranelift_frontend::FunctionBuilder, w: &word::Word| {
            w[1..].iter().all(|&l| word::is_zero(b, l))
        };
        let (wide, c) = match small(&self.b, &y) {
            Some(c) => (x, c),
            None if !sub => (y, small(&self.b, &x)?),
            None => return None,
        };
        if narrow(&self.b, &wide) {
            return None;
        }
        let b = &mut self.b;
        let (low, carry) = if sub {
            let borrow = b.ins().icmp_imm_u(IntCC::UnsignedLessThan, wide[0], c);
            (b.ins().iadd_imm_s(wide[0], c.wrapping_neg()), borrow)
        } else {
            let low = b.ins().iadd_imm_s(wide[0], c);
            (low, b.ins().icmp_imm_u(IntCC::UnsignedLessThan, low, c))
        };
        let join = b.create_block();
        for _ in 1..4 {
            b.append_block_param(join, types::I64);
        }
        let cold = b.create_block();
        b.set_cold_block(cold);
        let same: Vec<BlockArg> = wide[1..].iter().map(|&l| l.into()).collect();
        b.ins().brif(carry, cold, &[], join, &same);

        self.continue_in(cold);
        // One more or one less in limbs 1..4: a 192-bit increment.
        let b = &mut self.b;
        let mid = b.ins().iconcat(wide[1], wide[2]);
        let (mid, top) = if sub {
            let borrow = b.ins().icmp_imm_u(IntCC::Equal, mid, 0);
            let one = b.ins().iconst(types::I64, 1);
            let one = b.ins().uextend(types::I128, one);
            let borrow = b.ins().uextend(types::I64, borrow);
            (b.ins().isub(mid, one), b.ins().isub(wide[3], borrow))
        } else {
            let one = b.ins().iconst(types::I64, 1);
            let one = b.ins().uextend(types::I128, one);
            let mid = b.ins().iadd(mid, one);
            let carry = b.ins().icmp_imm_u(IntCC::Equal, mid, 0);
            let carry = b.ins().uextend(types::I64, carry);
            (mid, b.ins().iadd(wide[3], carry))
        };
        let (l1, l2) = b.ins().isplit(mid);
        b.ins().jump(join, &[l1.into(), l2.into(), top.into()]);

        self.continue_in(join);
        let p = self.b.block_params(join);
        Some([low, p[0], p[1], p[2]])
    }

    /// MUL in code that can run more than once, when neither operand is
    /// known to fit 64 bits: whether one does is tested at run time, and
    /// then a 256x64-bit product (seven multiplications instead of sixteen)
    /// is taken. Loop counters and small factors are narrow far more often
    /// than the analysis can prove.
    fn mul_by_width(&mut self, x: word::Word, y: word::Word) -> word::Word {
        let narrow = |b: &cranelift_frontend::FunctionBuilder, w: &word::Word| {
            w[1..].iter().all(|&l| word::is_zero(b, l))
        };
        if narrow(&self.b, &x) || narrow(&self.b, &y) {
            return word::mul(&mut self.b, x, y);
        }
        let join = self.b.create_block();
        for _ in 0..4 {
            self.b.append_block_param(join, types::I64);
        }
        let zero = self.zero;
        let mut next = None;
        for (wide, narrow) in [(x, y), (y, x)] {
            if let Some(block) = next {
                self.continue_in(block);
            }
            let over = word::exceeds_u64(&mut self.b, narrow);
            let fast = self.b.create_block();
            let other = self.b.create_block();
            self.b.ins().brif(over, other, &[], fast, &[]);
            self.continue_in(fast);
            let r = word::mul(&mut self.b, wide, [narrow[0], zero, zero, zero]);
            let args: Vec<BlockArg> = r.iter().map(|&v| v.into()).collect();
            self.b.ins().jump(join, &args);
            next = Some(other);
        }
        self.continue_in(next.expect("two tests"));
        let r = word::mul(&mut self.b, x, y);
        let args: Vec<BlockArg> = r.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(join, &args);
        self.continue_in(join);
        let p = self.b.block_params(join);
        [p[0], p[1], p[2], p[3]]
    }

    /// A pure runtime call on `arity` operands.
    fn pure_call(&mut self, shim: Shim, arity: usize) {
        let addr = self.spill_operands(arity);
        self.call_shim(shim, &[addr]);
        self.push_scratch_result(addr);
    }

    /// EXP: the runtime call also charges the exponent's dynamic gas.
    fn lower_exp(&mut self) {
        let addr = self.spill_operands(2);
        self.store_gas();
        let call = self.call_shim(Shim::Exp, &[self.ctx_ptr, addr]);
        let rc = self.b.inst_results(call)[0];
        self.load_gas();
        self.check_return_code(rc);
        self.push_scratch_result(addr);
    }
}
