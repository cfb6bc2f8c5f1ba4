//! 256-bit words as four i64 limbs (least significant first) and the inline
//! arithmetic, comparison and bitwise operations on them.
//!
//! Where a 128-bit operation maps to a short native sequence (add/sub with
//! carry, comparisons, shifts, leading-zero count), the two halves of a word
//! are joined into i128 values and split again afterwards.
//!
//! Limbs that are known constants at compile time (zero above a narrow
//! value: an address, a flag, a small constant, a value the stack analysis
//! bounds) are not computed on: each operation looks at its operands'
//! limbs and skips the work a zero limb makes unnecessary.

use cranelift_codegen::ir::condcodes::{CondCode, IntCC};
use cranelift_codegen::ir::{types, InstBuilder, InstructionData, Opcode, Value, ValueDef};
use cranelift_frontend::FunctionBuilder;

/// A 256-bit EVM word: four i64 limbs, least significant first (the layout
/// of `U256` in memory on a little-endian host).
pub type Word = [Value; 4];

/// The constant `v` is, if it is defined by an `iconst`.
pub fn constant(b: &FunctionBuilder, v: Value) -> Option<i64> {
    let dfg = &b.func.dfg;
    match dfg.value_def(v) {
        ValueDef::Result(inst, 0) => match dfg.insts[inst] {
            InstructionData::UnaryImm {
                opcode: Opcode::Iconst,
                imm,
            } => Some(imm.bits()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `v` is the constant zero.
pub fn is_zero(b: &FunctionBuilder, v: Value) -> bool {
    constant(b, v) == Some(0)
}

/// Whether limbs `from..4` of `w` are all known zero.
fn zero_from(b: &FunctionBuilder, w: &Word, from: usize) -> bool {
    w[from..].iter().all(|&l| is_zero(b, l))
}

/// The limbs of a constant.
pub fn const_word(b: &mut FunctionBuilder, limbs: [u64; 4]) -> Word {
    limbs.map(|l| b.ins().iconst(types::I64, l as i64))
}

/// A word holding `v` (an i64 value) in the low limb.
pub fn from_u64(b: &mut FunctionBuilder, v: Value) -> Word {
    let zero = b.ins().iconst(types::I64, 0);
    [v, zero, zero, zero]
}

/// The negation of the condition `c` (an inverted comparison where `c` is one).
pub fn not_flag(b: &mut FunctionBuilder, c: Value) -> Value {
    if let ValueDef::Result(inst, 0) = b.func.dfg.value_def(c) {
        if let InstructionData::IntCompare { cond, args, .. } = b.func.dfg.insts[inst] {
            return b.ins().icmp(cond.complement(), args[0], args[1]);
        }
    }
    b.ins().bxor_imm_u(c, 1)
}

fn half(b: &mut FunctionBuilder, lo: Value, hi: Value) -> Value {
    b.ins().iconcat(lo, hi)
}

fn halves(b: &mut FunctionBuilder, w: Word) -> (Value, Value) {
    (half(b, w[0], w[1]), half(b, w[2], w[3]))
}

fn from_halves(b: &mut FunctionBuilder, lo: Value, hi: Value) -> Word {
    let (l0, l1) = b.ins().isplit(lo);
    let (l2, l3) = b.ins().isplit(hi);
    [l0, l1, l2, l3]
}

/// `x + y mod 2^256`.
pub fn add(b: &mut FunctionBuilder, x: Word, y: Word) -> Word {
    if zero_from(b, &x, 0) {
        return y;
    }
    if zero_from(b, &y, 0) {
        return x;
    }
    let (xh_zero, yh_zero) = (zero_from(b, &x, 2), zero_from(b, &y, 2));
    let xl = half(b, x[0], x[1]);
    let yl = half(b, y[0], y[1]);
    let (lo, carry) = b.ins().uadd_overflow(xl, yl);
    let (l0, l1) = b.ins().isplit(lo);
    if xh_zero && yh_zero {
        // Two 128-bit numbers: the carry is the whole upper half.
        let c = b.ins().uextend(types::I64, carry);
        let zero = b.ins().iconst(types::I64, 0);
        return [l0, l1, c, zero];
    }
    let carry = b.ins().uextend(types::I128, carry);
    let hi = match (xh_zero, yh_zero) {
        (true, _) => half(b, y[2], y[3]),
        (_, true) => half(b, x[2], x[3]),
        _ => {
            let xh = half(b, x[2], x[3]);
            let yh = half(b, y[2], y[3]);
            b.ins().iadd(xh, yh)
        }
    };
    let hi = b.ins().iadd(hi, carry);
    let (l2, l3) = b.ins().isplit(hi);
    [l0, l1, l2, l3]
}

/// `x - y mod 2^256`.
pub fn sub(b: &mut FunctionBuilder, x: Word, y: Word) -> Word {
    if zero_from(b, &y, 0) {
        return x;
    }
    let yh_zero = zero_from(b, &y, 2);
    let xl = half(b, x[0], x[1]);
    let yl = half(b, y[0], y[1]);
    let (lo, borrow) = b.ins().usub_overflow(xl, yl);
    let borrow = b.ins().uextend(types::I128, borrow);
    let xh = half(b, x[2], x[3]);
    let hi = if yh_zero {
        xh
    } else {
        let yh = half(b, y[2], y[3]);
        b.ins().isub(xh, yh)
    };
    let hi = b.ins().isub(hi, borrow);
    from_halves(b, lo, hi)
}

/// The OR of the limbs of `x` from `from` on that are not known zero
/// (`None` if all are).
fn or_limbs(b: &mut FunctionBuilder, x: &Word, from: usize) -> Option<Value> {
    let live: Vec<Value> = x[from..]
        .iter()
        .copied()
        .filter(|&l| !is_zero(b, l))
        .collect();
    live.into_iter().reduce(|acc, l| b.ins().bor(acc, l))
}

/// Whether any limb is non-zero (an i8 condition).
pub fn is_nonzero(b: &mut FunctionBuilder, x: Word) -> Value {
    match or_limbs(b, &x, 0) {
        Some(all) => b.ins().icmp_imm_s(IntCC::NotEqual, all, 0),
        None => b.ins().iconst(types::I8, 0),
    }
}

/// Whether every limb is zero (an i8 condition).
pub fn is_zero_word(b: &mut FunctionBuilder, x: Word) -> Value {
    match or_limbs(b, &x, 0) {
        Some(all) => b.ins().icmp_imm_s(IntCC::Equal, all, 0),
        None => b.ins().iconst(types::I8, 1),
    }
}

/// Whether the upper three limbs are non-zero, i.e. `x >= 2^64` (an i8 condition).
pub fn exceeds_u64(b: &mut FunctionBuilder, x: Word) -> Value {
    match or_limbs(b, &x, 1) {
        Some(all) => b.ins().icmp_imm_s(IntCC::NotEqual, all, 0),
        None => b.ins().iconst(types::I8, 0),
    }
}

/// ISZERO as a condition.
pub fn iszero(b: &mut FunctionBuilder, x: Word) -> Value {
    is_zero_word(b, x)
}

/// EQ as a condition.
pub fn eq(b: &mut FunctionBuilder, x: Word, y: Word) -> Value {
    let d = xor(b, x, y);
    is_zero_word(b, d)
}

/// `x < y` unsigned (`signed`: as two's complement) as an i8 condition.
pub fn less_than(b: &mut FunctionBuilder, x: Word, y: Word, signed: bool) -> Value {
    let narrow =
        |b: &FunctionBuilder, from: usize| zero_from(b, &x, from) && zero_from(b, &y, from);
    // Operands whose upper limbs are zero are non-negative: both orders agree.
    if narrow(b, 1) {
        return b.ins().icmp(IntCC::UnsignedLessThan, x[0], y[0]);
    }
    if narrow(b, 2) {
        let xl = half(b, x[0], x[1]);
        let yl = half(b, y[0], y[1]);
        return b.ins().icmp(IntCC::UnsignedLessThan, xl, yl);
    }
    let (xl, xh) = halves(b, x);
    let (yl, yh) = halves(b, y);
    let hi_cc = if signed {
        IntCC::SignedLessThan
    } else {
        IntCC::UnsignedLessThan
    };
    let hi_lt = b.ins().icmp(hi_cc, xh, yh);
    let hi_eq = b.ins().icmp(IntCC::Equal, xh, yh);
    let lo_lt = b.ins().icmp(IntCC::UnsignedLessThan, xl, yl);
    let low_decides = b.ins().band(hi_eq, lo_lt);
    b.ins().bor(hi_lt, low_decides)
}

/// AND.
pub fn and(b: &mut FunctionBuilder, x: Word, y: Word) -> Word {
    std::array::from_fn(|i| {
        if is_zero(b, x[i]) {
            x[i]
        } else if is_zero(b, y[i]) || constant(b, x[i]) == Some(-1) {
            y[i]
        } else if constant(b, y[i]) == Some(-1) {
            x[i]
        } else {
            b.ins().band(x[i], y[i])
        }
    })
}

/// OR.
pub fn or(b: &mut FunctionBuilder, x: Word, y: Word) -> Word {
    std::array::from_fn(|i| {
        if is_zero(b, x[i]) {
            y[i]
        } else if is_zero(b, y[i]) {
            x[i]
        } else {
            b.ins().bor(x[i], y[i])
        }
    })
}

/// XOR.
pub fn xor(b: &mut FunctionBuilder, x: Word, y: Word) -> Word {
    std::array::from_fn(|i| {
        if is_zero(b, x[i]) {
            y[i]
        } else if is_zero(b, y[i]) {
            x[i]
        } else {
            b.ins().bxor(x[i], y[i])
        }
    })
}

/// NOT.
pub fn not(b: &mut FunctionBuilder, x: Word) -> Word {
    x.map(|l| b.ins().bnot(l))
}

/// Per-limb `if cond { t } else { f }`.
pub fn select(b: &mut FunctionBuilder, cond: Value, t: Word, f: Word) -> Word {
    std::array::from_fn(|i| b.ins().select(cond, t[i], f[i]))
}

/// The shift amount of SHL/SHR/SAR: the low limb and whether the amount is
/// 256 or more.
fn shift_amount(b: &mut FunctionBuilder, s: Word) -> (Value, Value) {
    let high = exceeds_u64(b, s);
    let big = b
        .ins()
        .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, s[0], 256);
    let over = b.ins().bor(high, big);
    (s[0], over)
}

/// Shift helpers take `amount` < 256 (an i64); `over` is handled by callers.
/// Returns `(amount mod 128, amount >= 128, 127 - amount mod 128)`.
fn split_amount(b: &mut FunctionBuilder, amount: Value) -> (Value, Value, Value) {
    let sm = b.ins().band_imm_u(amount, 127);
    let big = b
        .ins()
        .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, amount, 128);
    let rest = b.ins().bxor_imm_u(sm, 127);
    (sm, big, rest)
}

/// `x << amount` for `amount` < 256.
fn shl_in_range(b: &mut FunctionBuilder, x: Word, amount: Value) -> Word {
    let (lo, hi) = halves(b, x);
    let (sm, big, rest) = split_amount(b, amount);
    let lo_shifted = b.ins().ishl(lo, sm);
    let hi_shifted = b.ins().ishl(hi, sm);
    // (lo >> 1) >> (127 - sm) is lo >> (128 - sm), and 0 when sm is 0.
    let carry = b.ins().ushr_imm_u(lo, 1);
    let carry = b.ins().ushr(carry, rest);
    let hi_small = b.ins().bor(hi_shifted, carry);
    let zero = b.ins().iconst(types::I64, 0);
    let zero = b.ins().uextend(types::I128, zero);
    let new_hi = b.ins().select(big, lo_shifted, hi_small);
    let new_lo = b.ins().select(big, zero, lo_shifted);
    from_halves(b, new_lo, new_hi)
}

/// `x >> amount` (logical, or arithmetic if `arith`) for `amount` < 256.
fn shr_in_range(b: &mut FunctionBuilder, x: Word, amount: Value, arith: bool) -> Word {
    let (lo, hi) = halves(b, x);
    let (sm, big, rest) = split_amount(b, amount);
    let lo_shifted = b.ins().ushr(lo, sm);
    let hi_shifted = if arith {
        b.ins().sshr(hi, sm)
    } else {
        b.ins().ushr(hi, sm)
    };
    let carry = b.ins().ishl_imm_u(hi, 1);
    let carry = b.ins().ishl(carry, rest);
    let lo_small = b.ins().bor(lo_shifted, carry);
    let fill = if arith {
        b.ins().sshr_imm_u(hi, 127)
    } else {
        let zero = b.ins().iconst(types::I64, 0);
        b.ins().uextend(types::I128, zero)
    };
    let new_lo = b.ins().select(big, hi_shifted, lo_small);
    let new_hi = b.ins().select(big, fill, hi_shifted);
    from_halves(b, new_lo, new_hi)
}

/// The value of `w` if it is a constant that fits in 64 bits.
fn constant_u64(b: &FunctionBuilder, w: &Word) -> Option<u64> {
    if !zero_from(b, w, 1) {
        return None;
    }
    constant(b, w[0]).map(|c| c as u64)
}

/// `v << r` for a constant `r` < 64 (no instruction for a zero limb or shift).
fn shl_limb(b: &mut FunctionBuilder, v: Value, r: u32) -> Value {
    if r == 0 || is_zero(b, v) {
        v
    } else {
        b.ins().ishl_imm_u(v, r as i64)
    }
}

/// `v >> r` (logical) for a constant `r` < 64.
fn ushr_limb(b: &mut FunctionBuilder, v: Value, r: u32) -> Value {
    if r == 0 || is_zero(b, v) {
        v
    } else {
        b.ins().ushr_imm_u(v, r as i64)
    }
}

/// `x | y` on limbs, with no instruction if one is known zero.
fn or_limb(b: &mut FunctionBuilder, x: Value, y: Value) -> Value {
    if is_zero(b, x) {
        y
    } else if is_zero(b, y) {
        x
    } else {
        b.ins().bor(x, y)
    }
}

/// SHL by a constant `s` < 256: whole limbs move, the rest is a shift pair
/// per limb (a handful of instructions instead of the general sequence).
fn shl_const(b: &mut FunctionBuilder, x: Word, s: u32, zero: Value) -> Word {
    let (q, r) = ((s / 64) as usize, s % 64);
    std::array::from_fn(|i| {
        if i < q {
            return zero;
        }
        let main = shl_limb(b, x[i - q], r);
        if r == 0 || i == q {
            return main;
        }
        let carry = ushr_limb(b, x[i - q - 1], 64 - r);
        or_limb(b, main, carry)
    })
}

/// SHR (logical, or arithmetic if `arith`) by a constant `s` < 256.
fn shr_const(b: &mut FunctionBuilder, x: Word, s: u32, arith: bool, zero: Value) -> Word {
    let (q, r) = ((s / 64) as usize, s % 64);
    let fill = if arith {
        b.ins().sshr_imm_u(x[3], 63)
    } else {
        zero
    };
    std::array::from_fn(|i| {
        let j = i + q;
        if j > 3 {
            return fill;
        }
        if j == 3 {
            return if arith && r > 0 {
                b.ins().sshr_imm_u(x[3], r as i64)
            } else {
                ushr_limb(b, x[3], r)
            };
        }
        let main = ushr_limb(b, x[j], r);
        if r == 0 {
            return main;
        }
        let carry = shl_limb(b, x[j + 1], 64 - r);
        or_limb(b, main, carry)
    })
}

/// SHL: `value << shift`, 0 when the shift is 256 or more.
pub fn shl(b: &mut FunctionBuilder, shift: Word, value: Word) -> Word {
    if let Some(s) = constant_u64(b, &shift) {
        let zero = b.ins().iconst(types::I64, 0);
        if s >= 256 {
            return [zero; 4];
        }
        return shl_const(b, value, s as u32, zero);
    }
    let (amount, over) = shift_amount(b, shift);
    let amount = b.ins().band_imm_u(amount, 255);
    let r = shl_in_range(b, value, amount);
    let zero = const_word(b, [0; 4]);
    select(b, over, zero, r)
}

/// SHR: `value >> shift`, 0 when the shift is 256 or more.
pub fn shr(b: &mut FunctionBuilder, shift: Word, value: Word) -> Word {
    if let Some(s) = constant_u64(b, &shift) {
        let zero = b.ins().iconst(types::I64, 0);
        if s >= 256 {
            return [zero; 4];
        }
        return shr_const(b, value, s as u32, false, zero);
    }
    let (amount, over) = shift_amount(b, shift);
    let amount = b.ins().band_imm_u(amount, 255);
    let r = shr_in_range(b, value, amount, false);
    let zero = const_word(b, [0; 4]);
    select(b, over, zero, r)
}

/// SAR: arithmetic `value >> shift`; all sign bits when the shift is 256 or more.
pub fn sar(b: &mut FunctionBuilder, shift: Word, value: Word) -> Word {
    if let Some(s) = constant_u64(b, &shift) {
        let zero = b.ins().iconst(types::I64, 0);
        return shr_const(b, value, s.min(255) as u32, true, zero);
    }
    let (amount, over) = shift_amount(b, shift);
    let amount = b.ins().band_imm_u(amount, 255);
    let r = shr_in_range(b, value, amount, true);
    let sign = b.ins().sshr_imm_u(value[3], 63);
    let fill = [sign; 4];
    select(b, over, fill, r)
}

/// BYTE: byte `index` (0 = most significant) of `value`, 0 if `index` >= 32.
pub fn byte(b: &mut FunctionBuilder, index: Word, value: Word) -> Word {
    if let Some(i) = constant_u64(b, &index) {
        if i >= 32 {
            return const_word(b, [0; 4]);
        }
        let limb = value[3 - (i / 8) as usize];
        let bits = ((7 - i % 8) * 8) as u32;
        let v = ushr_limb(b, limb, bits);
        let v = if bits == 56 || is_zero(b, v) {
            v
        } else {
            b.ins().band_imm_u(v, 0xff)
        };
        return from_u64(b, v);
    }
    let high = exceeds_u64(b, index);
    let big = b
        .ins()
        .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, index[0], 32);
    let out = b.ins().bor(high, big);
    // Limb 3 - index/8 holds the byte, at bit (7 - index%8) * 8.
    let q = b.ins().ushr_imm_u(index[0], 3);
    let q = b.ins().band_imm_u(q, 3);
    let is0 = b.ins().icmp_imm_s(IntCC::Equal, q, 0);
    let is1 = b.ins().icmp_imm_s(IntCC::Equal, q, 1);
    let is2 = b.ins().icmp_imm_s(IntCC::Equal, q, 2);
    let limb = b.ins().select(is2, value[1], value[0]);
    let limb = b.ins().select(is1, value[2], limb);
    let limb = b.ins().select(is0, value[3], limb);
    let r = b.ins().band_imm_u(index[0], 7);
    let r = b.ins().bxor_imm_u(r, 7);
    let bits = b.ins().ishl_imm_u(r, 3);
    let v = b.ins().ushr(limb, bits);
    let v = b.ins().band_imm_u(v, 0xff);
    let zero = b.ins().iconst(types::I64, 0);
    let v = b.ins().select(out, zero, v);
    from_u64(b, v)
}

/// SIGNEXTEND: extends the sign of byte `size` (0 = least significant) of
/// `value` to the whole word; `value` unchanged if `size` >= 31.
///
/// The sign byte lies in one limb `i = size / 8`: that limb is sign-extended
/// from its byte by a shift pair, the limbs below it are kept and those
/// above become its sign. About 25 instructions, a third of a general
/// 256-bit shift pair, which matters for code that is mostly SIGNEXTEND.
pub fn signextend(b: &mut FunctionBuilder, size: Word, value: Word) -> Word {
    if let Some(k) = constant_u64(b, &size) {
        if k >= 31 {
            return value;
        }
        // The sign byte's limb, sign-extended from it by a shift pair.
        let i = (k / 8) as usize;
        let shift = 56 - 8 * (k % 8) as i64;
        let extended = if shift == 0 {
            value[i]
        } else {
            let up = b.ins().ishl_imm_u(value[i], shift);
            b.ins().sshr_imm_u(up, shift)
        };
        let sign = b.ins().sshr_imm_u(extended, 63);
        return std::array::from_fn(|j| match j.cmp(&i) {
            std::cmp::Ordering::Less => value[j],
            std::cmp::Ordering::Equal => extended,
            std::cmp::Ordering::Greater => sign,
        });
    }
    let high = exceeds_u64(b, size);
    // size = 31 extends from the top byte: the identity, as computed below.
    let big = b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, size[0], 31);
    let keep = b.ins().bor(high, big);
    let k = b.ins().band_imm_u(size[0], 31);
    let i = b.ins().ushr_imm_u(k, 3);
    // Left shift that puts the sign byte at the top of its limb.
    let byte = b.ins().band_imm_u(k, 7);
    let bits = b.ins().ishl_imm_u(byte, 3);
    let c56 = b.ins().iconst(types::I64, 56);
    let shift = b.ins().isub(c56, bits);
    let is = |b: &mut FunctionBuilder, n: i64| b.ins().icmp_imm_s(IntCC::Equal, i, n);
    let above =
        |b: &mut FunctionBuilder, n: i64| b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, i, n);
    let (i0, i1, i2, i3) = (is(b, 0), is(b, 1), is(b, 2), is(b, 3));
    let (a1, a2) = (above(b, 1), above(b, 2));
    let low = b.ins().select(i1, value[1], value[0]);
    let upper = b.ins().select(i3, value[3], value[2]);
    let limb = b.ins().select(a1, upper, low);
    let up = b.ins().ishl(limb, shift);
    let extended = b.ins().sshr(up, shift);
    let sign = b.ins().sshr_imm_u(extended, 63);
    let r0 = b.ins().select(i0, extended, value[0]);
    let t1 = b.ins().select(i1, extended, sign);
    let r1 = b.ins().select(a1, value[1], t1);
    let t2 = b.ins().select(i2, extended, sign);
    let r2 = b.ins().select(a2, value[2], t2);
    let r3 = b.ins().select(i3, extended, sign);
    select(b, keep, value, [r0, r1, r2, r3])
}

/// The number of leading zero bits, 0..=256, as an i64.
pub fn leading_zeros(b: &mut FunctionBuilder, x: Word) -> Value {
    let (lo, hi) = halves(b, x);
    let hz = b.ins().clz(hi);
    let lz = b.ins().clz(lo);
    let (hz, _) = b.ins().isplit(hz);
    let (lz, _) = b.ins().isplit(lz);
    let lz = b.ins().iadd_imm_s(lz, 128);
    let hi_zero = b.ins().icmp_imm_s(IntCC::Equal, hz, 128);
    b.ins().select(hi_zero, lz, hz)
}

/// CLZ (EIP-7939): leading zero bits as a word (256 for zero).
pub fn clz(b: &mut FunctionBuilder, x: Word) -> Word {
    let n = leading_zeros(b, x);
    from_u64(b, n)
}

/// MUL: `x · y mod 2^256`, schoolbook on 64-bit limbs with 128-bit column
/// sums; products with a known zero limb are left out.
pub fn mul(b: &mut FunctionBuilder, x: Word, y: Word) -> Word {
    let mut cols: [Vec<Value>; 4] = Default::default();
    for i in 0..4 {
        for j in 0..4 - i {
            if is_zero(b, x[i]) || is_zero(b, y[j]) {
                continue;
            }
            cols[i + j].push(b.ins().imul(x[i], y[j]));
            if i + j + 1 < 4 {
                cols[i + j + 1].push(b.ins().umulhi(x[i], y[j]));
            }
        }
    }
    let mut out = [x[0]; 4];
    let mut carry: Option<Value> = None;
    for (k, col) in cols.iter_mut().enumerate() {
        if let Some(c) = carry.take() {
            col.push(c);
        }
        if k == 3 {
            // The top limb only needs its low 64 bits: plain wrapping adds.
            out[3] = match col.iter().copied().reduce(|a, t| b.ins().iadd(a, t)) {
                Some(v) => v,
                None => b.ins().iconst(types::I64, 0),
            };
            break;
        }
        match col.len() {
            0 => out[k] = b.ins().iconst(types::I64, 0),
            1 => out[k] = col[0],
            _ => {
                let mut acc = b.ins().uextend(types::I128, col[0]);
                for &t in &col[1..] {
                    let t = b.ins().uextend(types::I128, t);
                    acc = b.ins().iadd(acc, t);
                }
                let (limb, c) = b.ins().isplit(acc);
                out[k] = limb;
                carry = Some(c);
            }
        }
    }
    out
}
