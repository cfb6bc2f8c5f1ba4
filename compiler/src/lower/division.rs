//! DIV, SDIV, MOD and SMOD: a native 64-bit division when both operands
//! fit in one limb (unsigned) or are sign extensions of one limb (signed),
//! the runtime call otherwise. Where the operands' upper limbs are known
//! constants the test is made at compile time.
//!
//! Division by zero gives zero. The one signed overflow, `-2^63 / -1`,
//! would trap natively; it takes the runtime call (its 256-bit quotient is
//! `+2^63`, not a 64-bit value).

use super::word::{self, Word};
use super::Lowering;
use crate::shims::Shim;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::FunctionBuilder;

/// Which division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Division {
    Div,
    Sdiv,
    Mod,
    Smod,
}

impl Division {
    fn signed(self) -> bool {
        matches!(self, Division::Sdiv | Division::Smod)
    }

    fn shim(self) -> Shim {
        match self {
            Division::Div => Shim::Div,
            Division::Sdiv => Shim::Sdiv,
            Division::Mod => Shim::Mod,
            Division::Smod => Shim::Smod,
        }
    }
}

/// Whether `w` is known at compile time to fit its low limb as an
/// unsigned operand (its upper limbs are constant zeros).
fn known_to_fit(b: &FunctionBuilder, w: &Word, signed: bool) -> bool {
    !signed && w[1..].iter().all(|&l| word::is_zero(b, l))
}

/// The run-time test that `w` fits its low limb (an i8 condition).
fn fits(b: &mut FunctionBuilder, w: &Word, signed: bool) -> Value {
    if signed {
        let sign = b.ins().sshr_imm_u(w[0], 63);
        let d1 = b.ins().bxor(w[1], sign);
        let d2 = b.ins().bxor(w[2], sign);
        let d3 = b.ins().bxor(w[3], sign);
        let any = b.ins().bor(d1, d2);
        let any = b.ins().bor(any, d3);
        b.ins().icmp_imm_s(IntCC::Equal, any, 0)
    } else {
        let nz = word::exceeds_u64(b, *w);
        word::not_flag(b, nz)
    }
}

/// The quotient or remainder of one-limb operands `a` and `b` (the divisor
/// is not `-1` with `a == i64::MIN` when signed), zero for a zero divisor,
/// as a word.
fn native(b: &mut FunctionBuilder, kind: Division, a: Value, d: Value) -> Word {
    let zero = b.ins().iconst(types::I64, 0);
    let one = b.ins().iconst(types::I64, 1);
    let is_zero = b.ins().icmp_imm_s(IntCC::Equal, d, 0);
    let safe = b.ins().select(is_zero, one, d);
    let r = match kind {
        Division::Div => b.ins().udiv(a, safe),
        Division::Mod => b.ins().urem(a, safe),
        Division::Sdiv => b.ins().sdiv(a, safe),
        Division::Smod => b.ins().srem(a, safe),
    };
    let r = b.ins().select(is_zero, zero, r);
    if kind.signed() {
        let sign = b.ins().sshr_imm_u(r, 63);
        [r, sign, sign, sign]
    } else {
        [r, zero, zero, zero]
    }
}

impl Lowering<'_, '_, '_, '_> {
    /// Lowers one of the division opcodes.
    pub(super) fn lower_division(&mut self, kind: Division) {
        let a = self.pop_word();
        let d = self.pop_word();
        let signed = kind.signed();
        if known_to_fit(&self.b, &a, signed) && known_to_fit(&self.b, &d, signed) {
            let r = native(&mut self.b, kind, a[0], d[0]);
            self.push_word(r);
            return;
        }
        let fa = fits(&mut self.b, &a, signed);
        let fd = fits(&mut self.b, &d, signed);
        let mut ok = self.b.ins().band(fa, fd);
        if signed {
            // -2^63 / -1 overflows the native division.
            let min = self.b.ins().icmp_imm_s(IntCC::Equal, a[0], i64::MIN);
            let not_min = word::not_flag(&mut self.b, min);
            ok = self.b.ins().band(ok, not_min);
        }
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        for _ in 0..4 {
            self.b.append_block_param(join, types::I64);
        }
        self.b.ins().brif(ok, fast, &[], slow, &[]);

        self.continue_in(fast);
        let r = native(&mut self.b, kind, a[0], d[0]);
        let args: Vec<_> = r.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(join, &args);

        self.continue_in(slow);
        let addr = self.b.ins().stack_addr(types::I64, self.scratch, 0);
        for (i, w) in [a, d].into_iter().enumerate() {
            for (k, limb) in w.into_iter().enumerate() {
                self.b
                    .ins()
                    .store(MemFlagsData::trusted(), limb, addr, (32 * i + 8 * k) as i32);
            }
        }
        self.call_shim(kind.shim(), &[addr]);
        let r: Word = std::array::from_fn(|k| {
            self.b
                .ins()
                .load(types::I64, MemFlagsData::trusted(), addr, (8 * k) as i32)
        });
        let args: Vec<_> = r.iter().map(|&v| v.into()).collect();
        self.b.ins().jump(join, &args);

        self.b.switch_to_block(join);
        self.b.seal_block(join);
        let p = self.b.block_params(join);
        let r: Word = [p[0], p[1], p[2], p[3]];
        self.push_word(r);
    }
}
