//! The generic runtime call for every opcode compiled code does not inline:
//! native code writes the operands to a scratch area (top of the stack
//! first), the operation from `cevm_runtime::ops` runs, and its result is
//! written over the first operand. The EVM stack itself stays with native
//! code, which has checked its bounds before the call.

use super::{guard, read_limbs};
use crate::context::{exit, halt_code, JitContext};
use cevm_runtime::opcode::{self, op};
use cevm_runtime::{ops, HaltReason, U256};

/// Words of a CALL-family instruction's operands in the scratch area.
const CALL_WORDS: usize = 7;

const _: () = assert!(std::mem::size_of::<ops::CallOperands>() == CALL_WORDS * 32);

/// What an operation did besides its stack result.
enum Outcome {
    /// Execution goes on; the operation pushed this value (if any).
    Continue(Option<U256>),
    /// The frame ends with this exit code (RETURN, REVERT, SELFDESTRUCT).
    Exit(u32),
}

/// Runs `opcode` on the operands at `args`; returns an exit code.
///
/// `gas_ahead` is the static gas native code already charged for the rest of
/// its block: it is given back while the operation runs, so that what the
/// operation sees (the CALL family's 63/64 rule, SSTORE's 2300-gas sentry)
/// is exact, and charged again afterwards.
///
/// # Safety
/// `ctx` must be the running context and `args` must point to as many
/// readable and writable words as the opcode has inputs (at least one).
pub unsafe extern "C" fn cevm_op(
    ctx: *mut JitContext<'_, '_>,
    opcode: u32,
    gas_ahead: u64,
    args: *mut U256,
) -> u32 {
    guard(|| {
        // SAFETY: native code passes its own context.
        let ctx = unsafe { &mut *ctx };
        let Ok(opcode) = u8::try_from(opcode) else {
            return halt_code(HaltReason::UndefinedOpcode);
        };
        let Some(info) = opcode::info_in(opcode, ctx.frame.spec) else {
            return halt_code(HaltReason::UndefinedOpcode);
        };
        // The CALL family's operands come in CALL's seven-word layout
        // (DELEGATECALL and STATICCALL with a zero value), see `run_call`.
        let inputs = match opcode {
            op::CALL | op::CALLCODE | op::DELEGATECALL | op::STATICCALL => CALL_WORDS,
            _ => info.inputs as usize,
        };
        // SAFETY: native code passes a scratch area holding `inputs` words,
        // read in place (no copy: this runs for every runtime call) and
        // written only after the last read.
        let operands = unsafe { std::slice::from_raw_parts(args, inputs) };
        ctx.gas = ctx.gas.saturating_add(gas_ahead);
        ctx.gas_to_frame();
        // Memory native code touched since the runtime last saw the gas is
        // charged first (the EVM charged it at the access); `mem_end` stays
        // for the frame's end to cover if that halts.
        if let Err(reason) = ctx.settle_memory() {
            return halt_code(reason);
        }
        let outcome = match opcode {
            op::CALL | op::CALLCODE | op::DELEGATECALL | op::STATICCALL => {
                // The success flag comes back in a register and is written
                // here, limb by limb: an `Outcome` in memory, written piecewise
                // and read back 16 bytes at a time, stalled.
                match run_call(ctx, opcode, operands) {
                    Ok(ok) => {
                        let limbs = args.cast::<u64>();
                        // SAFETY: the scratch area holds seven words, read
                        // by now.
                        unsafe {
                            limbs.write(u64::from(ok));
                            limbs.add(1).write(0);
                            limbs.add(2).write(0);
                            limbs.add(3).write(0);
                        }
                        Ok(Outcome::Continue(None))
                    }
                    Err(reason) => Err(reason),
                }
            }
            op::CREATE | op::CREATE2 => run_create(ctx, opcode, operands),
            _ => run(ctx, opcode, operands),
        };
        ctx.gas_from_frame();
        ctx.refresh_memory();
        if matches!(outcome, Ok(Outcome::Continue(_))) {
            match ctx.gas.checked_sub(gas_ahead) {
                Some(left) => ctx.gas = left,
                None => return halt_code(HaltReason::OutOfGas),
            }
        }
        match outcome {
            Ok(Outcome::Continue(value)) => {
                if let Some(v) = value {
                    // SAFETY: the scratch area holds at least one word.
                    unsafe { args.write(v) };
                }
                exit::CONTINUE
            }
            Ok(Outcome::Exit(code)) => code,
            Err(reason) => halt_code(reason),
        }
    })
}

/// Dispatches to the operation; `a` holds the operands top first (as many
/// as the opcode takes). Not inlined: its many arms make a large native
/// stack frame, which the nested-frame operations (`run_call`,
/// `run_create`), recursing once per call depth, should not carry.
#[inline(never)]
fn run(ctx: &mut JitContext<'_, '_>, opcode: u8, a: &[U256]) -> Result<Outcome, HaltReason> {
    use Outcome::Continue as C;
    let frame = &mut *ctx.frame;
    let host = &mut *ctx.host;
    let some = |v: U256| Ok(C(Some(v)));
    let none = |r: Result<(), HaltReason>| r.map(|()| C(None));
    match opcode {
        op::KECCAK256 => some(ops::keccak256_op(frame, a[0], a[1])?),
        op::ADDRESS => some(ops::address(frame)),
        op::BALANCE => some(ops::balance(frame, host, a[0])?),
        op::ORIGIN => some(ops::origin(host)),
        op::CALLER => some(ops::caller(frame)),
        op::CALLVALUE => some(ops::callvalue(frame)),
        op::CALLDATALOAD => some(ops::calldataload(frame, a[0])),
        op::CALLDATASIZE => some(ops::calldatasize(frame)),
        op::CALLDATACOPY => none(ops::calldatacopy(frame, a[0], a[1], a[2])),
        op::CODESIZE => some(ops::codesize(frame)),
        op::CODECOPY => none(ops::codecopy(frame, a[0], a[1], a[2])),
        op::GASPRICE => some(ops::gasprice(host)),
        op::EXTCODESIZE => some(ops::extcodesize(frame, host, a[0])?),
        op::EXTCODECOPY => none(ops::extcodecopy(frame, host, a[0], a[1], a[2], a[3])),
        op::RETURNDATASIZE => some(ops::returndatasize(frame)),
        op::RETURNDATACOPY => none(ops::returndatacopy(frame, a[0], a[1], a[2])),
        op::EXTCODEHASH => some(ops::extcodehash(frame, host, a[0])?),
        op::BLOCKHASH => some(ops::blockhash(host, a[0])),
        op::COINBASE => some(ops::coinbase(host)),
        op::TIMESTAMP => some(ops::timestamp(host)),
        op::NUMBER => some(ops::number(host)),
        op::PREVRANDAO => some(ops::prevrandao(host)),
        op::GASLIMIT => some(ops::gaslimit(host)),
        op::CHAINID => some(ops::chainid(host)),
        op::SELFBALANCE => some(ops::selfbalance(frame, host)),
        op::BASEFEE => some(ops::basefee(host)),
        op::BLOBHASH => some(ops::blobhash(host, a[0])),
        op::BLOBBASEFEE => some(ops::blobbasefee(host)),
        op::MLOAD => some(ops::mload(frame, a[0])?),
        op::MSTORE => none(ops::mstore(frame, a[0], a[1])),
        op::MSTORE8 => none(ops::mstore8(frame, a[0], a[1])),
        op::MSIZE => some(ops::msize(frame)),
        op::SLOAD => some(ops::sload(frame, host, a[0])?),
        op::SSTORE => none(ops::sstore(frame, host, a[0], a[1])),
        op::TLOAD => some(ops::tload(frame, host, a[0])),
        op::TSTORE => none(ops::tstore(frame, host, a[0], a[1])),
        op::MCOPY => none(ops::mcopy(frame, a[0], a[1], a[2])),
        op::LOG0..=op::LOG4 => {
            let n = (opcode - op::LOG0) as usize;
            none(ops::log(frame, host, a[0], a[1], &a[2..2 + n]))
        }
        op::RETURN => {
            ctx.output = ops::ret(frame, a[0], a[1])?;
            Ok(Outcome::Exit(exit::RETURN))
        }
        op::REVERT => {
            ctx.output = ops::revert(frame, a[0], a[1])?;
            Ok(Outcome::Exit(exit::REVERT))
        }
        op::SELFDESTRUCT => {
            ops::selfdestruct(frame, host, a[0])?;
            Ok(Outcome::Exit(exit::SELFDESTRUCT))
        }
        // Everything else is inlined by the compiler; reaching here means an
        // opcode with no runtime form.
        _ => Err(HaltReason::UndefinedOpcode),
    }
}

/// CALLDATALOAD in code that runs once, past the inlined ones (see
/// `lower::environment`): `args[0]` holds the offset and receives the word. Charges no gas (CALLDATALOAD has none dynamic).
///
/// # Safety
/// `ctx` must be the running context and `args` must point to one readable
/// and writable word.
pub unsafe extern "C" fn cevm_calldataload(ctx: *mut JitContext<'_, '_>, args: *mut U256) -> u32 {
    guard(|| {
        // SAFETY: native code passes its own context and scratch area.
        let ctx = unsafe { &mut *ctx };
        // SAFETY: as above.
        let offset = unsafe { read_limbs(args) };
        // SAFETY: as above.
        unsafe { args.write(ops::calldataload(ctx.frame, offset)) };
        exit::CONTINUE
    })
}

/// CREATE and CREATE2; `a` as in [`run`].
#[inline(never)]
fn run_create(ctx: &mut JitContext<'_, '_>, opcode: u8, a: &[U256]) -> Result<Outcome, HaltReason> {
    let frame = &mut *ctx.frame;
    let host = &mut *ctx.host;
    let address = match opcode {
        op::CREATE => ops::create(frame, host, a[0], a[1], a[2])?,
        op::CREATE2 => ops::create2(frame, host, a[0], a[1], a[2], a[3])?,
        // Only the opcodes above are dispatched here.
        _ => return Err(HaltReason::UndefinedOpcode),
    };
    Ok(Outcome::Continue(Some(address)))
}

/// The CALL family: `a` holds the seven words of [`ops::CallOperands`]
/// (DELEGATECALL and STATICCALL with a zero value word), read in place.
/// Returns whether the callee succeeded. Its own function, with a frame of
/// a few words: the nested frame's native code and runtime calls recurse
/// below it, once per call depth, and each byte of native stack a deep
/// call chain holds per depth costs cache misses.
#[inline(never)]
fn run_call(ctx: &mut JitContext<'_, '_>, opcode: u8, a: &[U256]) -> Result<bool, HaltReason> {
    // Only the CALL family is dispatched here.
    let Some(kind) = ops::call_kind(opcode) else {
        return Err(HaltReason::UndefinedOpcode);
    };
    let Some(words) = a.first_chunk::<CALL_WORDS>() else {
        return Err(HaltReason::UndefinedOpcode);
    };
    // SAFETY: `CallOperands` is `repr(C)`, seven words in CALL's stack
    // order, as native code lays out every call's operands.
    let operands = unsafe { &*(words as *const [U256; CALL_WORDS]).cast::<ops::CallOperands>() };
    ops::call(ctx.frame, ctx.host, kind, operands)
}
