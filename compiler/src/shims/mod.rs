//! `extern "C"` functions compiled code calls: arithmetic on ruint, memory
//! expansion, and every opcode that touches the environment, state or nested
//! frames (through `cevm_runtime::ops`, the code the interpreter runs too).
//!
//! Each shim that can fail returns an exit code ([`crate::context::exit`]);
//! none lets a panic unwind into native code: bodies run under
//! [`std::panic::catch_unwind`] and a panic (a bug in an operation) ends the
//! frame as out of gas.

pub mod arith;
pub mod host;

use crate::context::{exit, halt_code, JitContext};
use cevm_runtime::frame::{memory_cost, MAX_MEMORY};
use cevm_runtime::{HaltReason, U256};
use cranelift_codegen::ir::{types, AbiParam, Signature, Type};
use cranelift_codegen::isa::CallConv;

/// The word at `p`, read limb by limb.
///
/// Native code has just stored the operands as 8-byte limbs; a 16-byte
/// load over two of those stores (what a plain copy of a `U256` compiles
/// to) cannot take its value from the store buffer and waits for the
/// stores to reach the cache, about 15 cycles per word. Volatile reads
/// keep the loads 8 bytes wide.
///
/// # Safety
/// `p` must point to a readable word.
#[inline(always)]
pub(crate) unsafe fn read_limbs(p: *const U256) -> U256 {
    let p = p.cast::<u64>();
    // SAFETY: the caller's word holds four limbs.
    U256::from_limbs(std::array::from_fn(|i| unsafe { p.add(i).read_volatile() }))
}

/// Runs a shim body, turning a panic into an out-of-gas halt.
#[inline]
pub(crate) fn guard(body: impl FnOnce() -> u32) -> u32 {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .unwrap_or_else(|_| halt_code(HaltReason::OutOfGas))
}

/// Makes `[offset, offset + len)` addressable for an access of native code
/// past the zeroed-ahead buffer: grows the buffer and raises
/// [`JitContext::mem_end`] to cover it, charging nothing (the runtime
/// charges the expansion when it next sees the gas, as for accesses within
/// the buffer), so that native code's gas counter stays as it was. Halts
/// out of gas if the frame could not pay for memory up to there (the EVM
/// halts at this access), also when the offset (limbs `o0` to `o3`, least
/// significant first) does not fit in 64 bits or the counter is negative
/// (native code tests its charges lazily).
///
/// # Safety
/// `ctx` must be the running context.
pub unsafe extern "C" fn cevm_mem_expand(
    ctx: *mut JitContext<'_, '_>,
    o0: u64,
    o1: u64,
    o2: u64,
    o3: u64,
    len: u64,
) -> u32 {
    guard(|| {
        // SAFETY: native code passes its own context.
        let ctx = unsafe { &mut *ctx };
        // Native code charges static gas before testing it: a negative
        // counter is gas already exhausted.
        if (o1 | o2 | o3) != 0 || (ctx.gas as i64) < 0 {
            return halt_code(HaltReason::OutOfGas);
        }
        let end = match o0.checked_add(len) {
            Some(end) if end <= MAX_MEMORY => end.max(ctx.mem_end),
            _ => return halt_code(HaltReason::OutOfGas),
        };
        let gas_left = ctx.gas_left();
        let memory = &mut ctx.frame.memory;
        let paid = memory_cost(memory.len() as u64 / 32);
        if memory_cost(end.div_ceil(32)) - paid > gas_left {
            return halt_code(HaltReason::OutOfGas);
        }
        if let Err(reason) = memory.reserve(end, ctx.mem_end) {
            return halt_code(reason);
        }
        ctx.mem_end = end;
        ctx.refresh_buffer();
        exit::CONTINUE
    })
}

/// How a shim is called, for declaring it in a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShimKind {
    /// `fn(args: *mut U256)`.
    Pure,
    /// `fn(ctx, args: *mut U256) -> u32`.
    CtxArgs,
    /// `fn(ctx, offset limbs: 4 × u64 (least significant first), len: u64) -> u32`.
    MemExpand,
    /// `fn(ctx, opcode: u32, gas_ahead: u64, args: *mut U256) -> u32`.
    Op,
}

/// A shim's symbol name, address and calling shape.
#[derive(Clone, Copy, Debug)]
pub struct ShimSymbol {
    /// The symbol name in the JIT module.
    pub name: &'static str,
    /// The function's address.
    pub address: *const u8,
    /// How it is called.
    pub kind: ShimKind,
}

/// Every shim, in the order of [`Shim`].
pub fn symbols() -> [ShimSymbol; 10] {
    use arith::*;
    [
        ShimSymbol {
            name: "cevm_div",
            address: cevm_div as *const u8,
            kind: ShimKind::Pure,
        },
        ShimSymbol {
            name: "cevm_sdiv",
            address: cevm_sdiv as *const u8,
            kind: ShimKind::Pure,
        },
        ShimSymbol {
            name: "cevm_mod",
            address: cevm_mod as *const u8,
            kind: ShimKind::Pure,
        },
        ShimSymbol {
            name: "cevm_smod",
            address: cevm_smod as *const u8,
            kind: ShimKind::Pure,
        },
        ShimSymbol {
            name: "cevm_addmod",
            address: cevm_addmod as *const u8,
            kind: ShimKind::Pure,
        },
        ShimSymbol {
            name: "cevm_mulmod",
            address: cevm_mulmod as *const u8,
            kind: ShimKind::Pure,
        },
        ShimSymbol {
            name: "cevm_exp",
            address: cevm_exp as *const u8,
            kind: ShimKind::CtxArgs,
        },
        ShimSymbol {
            name: "cevm_mem_expand",
            address: cevm_mem_expand as *const u8,
            kind: ShimKind::MemExpand,
        },
        ShimSymbol {
            name: "cevm_op",
            address: host::cevm_op as *const u8,
            kind: ShimKind::Op,
        },
        ShimSymbol {
            name: "cevm_calldataload",
            address: host::cevm_calldataload as *const u8,
            kind: ShimKind::CtxArgs,
        },
    ]
}

/// Index of each shim in [`symbols`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Shim {
    /// DIV.
    Div,
    /// SDIV.
    Sdiv,
    /// MOD.
    Mod,
    /// SMOD.
    Smod,
    /// ADDMOD.
    AddMod,
    /// MULMOD.
    MulMod,
    /// EXP.
    Exp,
    /// Memory expansion.
    MemExpand,
    /// Any opcode through `cevm_runtime::ops`.
    Op,
    /// CALLDATALOAD in code that runs once, past the inlined ones.
    CalldataLoad,
}

impl Shim {
    /// Every shim, in [`symbols`] order.
    pub const ALL: [Shim; 10] = [
        Shim::Div,
        Shim::Sdiv,
        Shim::Mod,
        Shim::Smod,
        Shim::AddMod,
        Shim::MulMod,
        Shim::Exp,
        Shim::MemExpand,
        Shim::Op,
        Shim::CalldataLoad,
    ];
}

/// A pure arithmetic shim: `fn(args: *mut U256)`.
pub type PureFn = unsafe extern "C" fn(*mut U256);
/// A shim reading the context and operands: `fn(ctx, args) -> u32`.
pub type CtxArgsFn = for<'f, 'a> unsafe extern "C" fn(*mut JitContext<'f, 'a>, *mut U256) -> u32;
/// The memory expansion shim: `fn(ctx, offset limbs (least significant
/// first), len) -> u32`.
pub type MemExpandFn =
    for<'f, 'a> unsafe extern "C" fn(*mut JitContext<'f, 'a>, u64, u64, u64, u64, u64) -> u32;
/// The generic opcode shim: `fn(ctx, opcode, gas_ahead, args) -> u32`.
pub type OpFn =
    for<'f, 'a> unsafe extern "C" fn(*mut JitContext<'f, 'a>, u32, u64, *mut U256) -> u32;

/// The runtime functions compiled code calls, as a table of function
/// pointers that native code finds through [`JitContext::shims`].
///
/// Compiled code never refers to a shim by symbol: it loads the table
/// pointer from the context and calls through entry `Shim as usize`. That
/// keeps JIT and AOT code identical and lets a shared library built by one
/// `cevm` build run in any program linking the same runtime ABI
/// ([`crate::aot::AOT_ABI_VERSION`]). Fields are in [`Shim`] order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ShimTable {
    /// [`Shim::Div`].
    pub div: PureFn,
    /// [`Shim::Sdiv`].
    pub sdiv: PureFn,
    /// [`Shim::Mod`].
    pub modulo: PureFn,
    /// [`Shim::Smod`].
    pub smod: PureFn,
    /// [`Shim::AddMod`].
    pub addmod: PureFn,
    /// [`Shim::MulMod`].
    pub mulmod: PureFn,
    /// [`Shim::Exp`].
    pub exp: CtxArgsFn,
    /// [`Shim::MemExpand`].
    pub mem_expand: MemExpandFn,
    /// [`Shim::Op`].
    pub op: OpFn,
    /// [`Shim::CalldataLoad`].
    pub calldataload: CtxArgsFn,
}

/// The table every context points to.
pub static SHIM_TABLE: ShimTable = ShimTable {
    div: arith::cevm_div,
    sdiv: arith::cevm_sdiv,
    modulo: arith::cevm_mod,
    smod: arith::cevm_smod,
    addmod: arith::cevm_addmod,
    mulmod: arith::cevm_mulmod,
    exp: arith::cevm_exp,
    mem_expand: cevm_mem_expand,
    op: host::cevm_op,
    calldataload: host::cevm_calldataload,
};

/// Bytes per entry of [`ShimTable`] (a function pointer).
pub const SHIM_TABLE_ENTRY_BYTES: usize = std::mem::size_of::<PureFn>();

// The lowering indexes the table as an array of pointers in `Shim` order.
const _: () = {
    use std::mem::offset_of;
    assert!(std::mem::size_of::<ShimTable>() == Shim::ALL.len() * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, div) == Shim::Div as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, sdiv) == Shim::Sdiv as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, modulo) == Shim::Mod as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, smod) == Shim::Smod as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, addmod) == Shim::AddMod as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, mulmod) == Shim::MulMod as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, exp) == Shim::Exp as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, mem_expand) == Shim::MemExpand as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(offset_of!(ShimTable, op) == Shim::Op as usize * SHIM_TABLE_ENTRY_BYTES);
    assert!(
        offset_of!(ShimTable, calldataload) == Shim::CalldataLoad as usize * SHIM_TABLE_ENTRY_BYTES
    );
};

impl Shim {
    /// How this shim is called.
    pub const fn kind(self) -> ShimKind {
        match self {
            Shim::Div | Shim::Sdiv | Shim::Mod | Shim::Smod | Shim::AddMod | Shim::MulMod => {
                ShimKind::Pure
            }
            Shim::Exp | Shim::CalldataLoad => ShimKind::CtxArgs,
            Shim::MemExpand => ShimKind::MemExpand,
            Shim::Op => ShimKind::Op,
        }
    }

    /// Byte offset of this shim's entry in [`ShimTable`].
    pub const fn table_offset(self) -> usize {
        self as usize * SHIM_TABLE_ENTRY_BYTES
    }
}

impl ShimKind {
    /// The Cranelift signature of a shim of this kind.
    pub fn signature(self, call_conv: CallConv, ptr: Type) -> Signature {
        let mut sig = Signature::new(call_conv);
        match self {
            ShimKind::Pure => sig.params.push(AbiParam::new(ptr)),
            ShimKind::CtxArgs => {
                sig.params.push(AbiParam::new(ptr));
                sig.params.push(AbiParam::new(ptr));
                sig.returns.push(AbiParam::new(types::I32));
            }
            ShimKind::MemExpand => {
                sig.params.push(AbiParam::new(ptr));
                for _ in 0..5 {
                    sig.params.push(AbiParam::new(types::I64));
                }
                sig.returns.push(AbiParam::new(types::I32));
            }
            ShimKind::Op => {
                sig.params.push(AbiParam::new(ptr));
                sig.params.push(AbiParam::new(types::I32));
                sig.params.push(AbiParam::new(types::I64));
                sig.params.push(AbiParam::new(ptr));
                sig.returns.push(AbiParam::new(types::I32));
            }
        }
        sig
    }

    /// The signature as text, for the ABI fingerprint.
    pub const fn describe(self) -> &'static str {
        match self {
            ShimKind::Pure => "(ptr)",
            ShimKind::CtxArgs => "(ptr,ptr)->i32",
            ShimKind::MemExpand => "(ptr,i64,i64,i64,i64,i64)->i32",
            ShimKind::Op => "(ptr,i32,i64,ptr)->i32",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_follow_the_shim_order() {
        let symbols = symbols();
        let names = [
            "cevm_div",
            "cevm_sdiv",
            "cevm_mod",
            "cevm_smod",
            "cevm_addmod",
            "cevm_mulmod",
            "cevm_exp",
            "cevm_mem_expand",
            "cevm_op",
            "cevm_calldataload",
        ];
        assert_eq!(symbols.len(), Shim::ALL.len());
        for (i, shim) in Shim::ALL.iter().enumerate() {
            assert_eq!(*shim as usize, i);
            assert_eq!(symbols[i].name, names[i]);
            assert_eq!(symbols[i].kind, shim.kind());
        }
        // The table holds the same functions as the symbol list.
        let table = &SHIM_TABLE as *const ShimTable as *const *const u8;
        for (i, s) in symbols.iter().enumerate() {
            // SAFETY: the table is `Shim::ALL.len()` pointers (checked at compile time).
            assert_eq!(unsafe { *table.add(i) }, s.address);
        }
    }
}
