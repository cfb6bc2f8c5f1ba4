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
use cevm_runtime::HaltReason;

/// Runs a shim body, turning a panic into an out-of-gas halt.
#[inline]
pub(crate) fn guard(body: impl FnOnce() -> u32) -> u32 {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .unwrap_or_else(|_| halt_code(HaltReason::OutOfGas))
}

/// Makes `[offset, offset + len)` addressable, charging expansion gas;
/// `overflow` non-zero means the offset did not fit in 32 bits (always out of
/// gas). Refreshes the memory pointer and length in the context.
///
/// # Safety
/// `ctx` must be the running context.
pub unsafe extern "C" fn cevm_mem_expand(
    ctx: *mut JitContext<'_, '_>,
    offset: u64,
    overflow: u64,
    len: u64,
) -> u32 {
    guard(|| {
        // SAFETY: native code passes its own context.
        let ctx = unsafe { &mut *ctx };
        if overflow != 0 {
            return halt_code(HaltReason::OutOfGas);
        }
        let Some(end) = offset.checked_add(len) else {
            return halt_code(HaltReason::OutOfGas);
        };
        ctx.gas_to_frame();
        let frame = &mut *ctx.frame;
        let result = frame.memory.expand_to(&mut frame.gas, end);
        ctx.gas_from_frame();
        ctx.refresh_memory();
        match result {
            Ok(()) => exit::CONTINUE,
            Err(reason) => halt_code(reason),
        }
    })
}

/// How a shim is called, for declaring it in a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShimKind {
    /// `fn(args: *mut U256)`.
    Pure,
    /// `fn(ctx, args: *mut U256) -> u32`.
    CtxArgs,
    /// `fn(ctx, offset: u64, overflow: u64, len: u64) -> u32`.
    MemExpand,
    /// `fn(ctx, opcode: u32, gas_ahead: u64) -> u32`.
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
pub fn symbols() -> [ShimSymbol; 9] {
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
}

impl Shim {
    /// Every shim, in [`symbols`] order.
    pub const ALL: [Shim; 9] = [
        Shim::Div,
        Shim::Sdiv,
        Shim::Mod,
        Shim::Smod,
        Shim::AddMod,
        Shim::MulMod,
        Shim::Exp,
        Shim::MemExpand,
        Shim::Op,
    ];
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
        ];
        assert_eq!(symbols.len(), Shim::ALL.len());
        for (i, shim) in Shim::ALL.iter().enumerate() {
            assert_eq!(*shim as usize, i);
            assert_eq!(symbols[i].name, names[i]);
        }
    }
}
