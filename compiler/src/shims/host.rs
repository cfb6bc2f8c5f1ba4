//! The generic runtime call for every opcode compiled code does not inline:
//! operands are read from the frame's stack memory (native code writes its
//! SSA stack there first), the operation from `cevm_runtime::ops` runs, and
//! its result is written back in place of the operands.

use super::guard;
use crate::context::{exit, halt_code, JitContext};
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op};
use cevm_runtime::{ops, CallKind, HaltReason, U256};

/// What an operation did besides its stack result.
enum Outcome {
    /// Execution goes on; the operation pushed this value (if any).
    Continue(Option<U256>),
    /// The frame ends with this exit code (RETURN, REVERT, SELFDESTRUCT).
    Exit(u32),
}

/// Runs `opcode` on the stack of height `ctx.stack_len`; returns an exit code.
///
/// `gas_ahead` is the static gas native code already charged for the rest of
/// its block: it is given back while the operation runs, so that what the
/// operation sees (the CALL family's 63/64 rule, SSTORE's 2300-gas sentry)
/// is exact, and charged again afterwards.
///
/// # Safety
/// `ctx` must be the running context, whose `stack` points to the frame's
/// 1024-word stack and whose `stack_len` native code has just written.
pub unsafe extern "C" fn cevm_op(ctx: *mut JitContext<'_, '_>, opcode: u32, gas_ahead: u64) -> u32 {
    guard(|| {
        // SAFETY: native code passes its own context.
        let ctx = unsafe { &mut *ctx };
        let Ok(opcode) = u8::try_from(opcode) else {
            return halt_code(HaltReason::UndefinedOpcode);
        };
        let Some(info) = opcode::info_in(opcode, ctx.frame.spec) else {
            return halt_code(HaltReason::UndefinedOpcode);
        };
        let len = ctx.stack_len as usize;
        let inputs = info.inputs as usize;
        if len > STACK_LIMIT || len < inputs {
            return halt_code(HaltReason::StackUnderflow);
        }
        if len - inputs + info.outputs as usize > STACK_LIMIT {
            return halt_code(HaltReason::StackOverflow);
        }
        // SAFETY: native code wrote the `len` items below `stack_len` before
        // the call, the area holds STACK_LIMIT words, and nothing else refers
        // to it while the shim runs. Words above `len` may be uninitialised,
        // so only the items are viewed as a slice.
        let items = unsafe { std::slice::from_raw_parts(ctx.stack, len) };
        ctx.gas = ctx.gas.saturating_add(gas_ahead);
        ctx.gas_to_frame();
        let operands = Operands(items);
        let outcome = match opcode {
            op::CREATE
            | op::CREATE2
            | op::CALL
            | op::CALLCODE
            | op::DELEGATECALL
            | op::STATICCALL => run_nested(ctx, opcode, &operands),
            _ => run(ctx, opcode, &operands),
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
                    // SAFETY: checked above: len - inputs + outputs <= STACK_LIMIT.
                    unsafe { ctx.stack.add(len - inputs).write(v) };
                }
                exit::CONTINUE
            }
            Ok(Outcome::Exit(code)) => code,
            Err(reason) => halt_code(reason),
        }
    })
}

/// The stack items as operands: `a.get(0)` is the top. Read in place (no
/// copy of the seven words the largest opcode takes: this runs for every
/// runtime call).
struct Operands<'s>(&'s [U256]);

impl Operands<'_> {
    #[inline(always)]
    fn get(&self, i: usize) -> U256 {
        self.0[self.0.len() - 1 - i]
    }
}

/// Dispatches to the operation; `a` holds the operands top first (the
/// caller checked that there are as many as the opcode takes). Not inlined:
/// its many arms make a large native stack frame, which the nested-frame
/// operations (`run_nested`), recursing once per call depth, should not carry.
#[inline(never)]
fn run(ctx: &mut JitContext<'_, '_>, opcode: u8, a: &Operands<'_>) -> Result<Outcome, HaltReason> {
    use Outcome::Continue as C;
    let frame = &mut *ctx.frame;
    let host = &mut *ctx.host;
    let some = |v: U256| Ok(C(Some(v)));
    let none = |r: Result<(), HaltReason>| r.map(|()| C(None));
    match opcode {
        op::KECCAK256 => some(ops::keccak256_op(frame, a.get(0), a.get(1))?),
        op::ADDRESS => some(ops::address(frame)),
        op::BALANCE => some(ops::balance(frame, host, a.get(0))?),
        op::ORIGIN => some(ops::origin(host)),
        op::CALLER => some(ops::caller(frame)),
        op::CALLVALUE => some(ops::callvalue(frame)),
        op::CALLDATALOAD => some(ops::calldataload(frame, a.get(0))),
        op::CALLDATASIZE => some(ops::calldatasize(frame)),
        op::CALLDATACOPY => none(ops::calldatacopy(frame, a.get(0), a.get(1), a.get(2))),
        op::CODESIZE => some(ops::codesize(frame)),
        op::CODECOPY => none(ops::codecopy(frame, a.get(0), a.get(1), a.get(2))),
        op::GASPRICE => some(ops::gasprice(host)),
        op::EXTCODESIZE => some(ops::extcodesize(frame, host, a.get(0))?),
        op::EXTCODECOPY => none(ops::extcodecopy(
            frame,
            host,
            a.get(0),
            a.get(1),
            a.get(2),
            a.get(3),
        )),
        op::RETURNDATASIZE => some(ops::returndatasize(frame)),
        op::RETURNDATACOPY => none(ops::returndatacopy(frame, a.get(0), a.get(1), a.get(2))),
        op::EXTCODEHASH => some(ops::extcodehash(frame, host, a.get(0))?),
        op::BLOCKHASH => some(ops::blockhash(host, a.get(0))),
        op::COINBASE => some(ops::coinbase(host)),
        op::TIMESTAMP => some(ops::timestamp(host)),
        op::NUMBER => some(ops::number(host)),
        op::PREVRANDAO => some(ops::prevrandao(host)),
        op::GASLIMIT => some(ops::gaslimit(host)),
        op::CHAINID => some(ops::chainid(host)),
        op::SELFBALANCE => some(ops::selfbalance(frame, host)),
        op::BASEFEE => some(ops::basefee(host)),
        op::BLOBHASH => some(ops::blobhash(host, a.get(0))),
        op::BLOBBASEFEE => some(ops::blobbasefee(host)),
        op::MLOAD => some(ops::mload(frame, a.get(0))?),
        op::MSTORE => none(ops::mstore(frame, a.get(0), a.get(1))),
        op::MSTORE8 => none(ops::mstore8(frame, a.get(0), a.get(1))),
        op::MSIZE => some(ops::msize(frame)),
        op::SLOAD => some(ops::sload(frame, host, a.get(0))?),
        op::SSTORE => none(ops::sstore(frame, host, a.get(0), a.get(1))),
        op::TLOAD => some(ops::tload(frame, host, a.get(0))),
        op::TSTORE => none(ops::tstore(frame, host, a.get(0), a.get(1))),
        op::MCOPY => none(ops::mcopy(frame, a.get(0), a.get(1), a.get(2))),
        op::LOG0..=op::LOG4 => {
            let n = (opcode - op::LOG0) as usize;
            let topics: [U256; 4] =
                std::array::from_fn(|i| if i < n { a.get(2 + i) } else { U256::ZERO });
            none(ops::log(frame, host, a.get(0), a.get(1), &topics[..n]))
        }
        op::RETURN => {
            ctx.output = ops::ret(frame, a.get(0), a.get(1))?;
            Ok(Outcome::Exit(exit::RETURN))
        }
        op::REVERT => {
            ctx.output = ops::revert(frame, a.get(0), a.get(1))?;
            Ok(Outcome::Exit(exit::REVERT))
        }
        op::SELFDESTRUCT => {
            ops::selfdestruct(frame, host, a.get(0))?;
            Ok(Outcome::Exit(exit::SELFDESTRUCT))
        }
        // Everything else is inlined by the compiler; reaching here means an
        // opcode with no runtime form.
        _ => Err(HaltReason::UndefinedOpcode),
    }
}

/// The operations that run a nested frame (CREATE, CREATE2 and the CALL
/// family); `a` as in [`run`].
#[inline(never)]
fn run_nested(
    ctx: &mut JitContext<'_, '_>,
    opcode: u8,
    a: &Operands<'_>,
) -> Result<Outcome, HaltReason> {
    let frame = &mut *ctx.frame;
    let host = &mut *ctx.host;
    let some = |v: U256| Ok(Outcome::Continue(Some(v)));
    match opcode {
        op::CREATE => some(ops::create(frame, host, a.get(0), a.get(1), a.get(2))?),
        op::CREATE2 => some(ops::create2(
            frame,
            host,
            a.get(0),
            a.get(1),
            a.get(2),
            a.get(3),
        )?),
        op::CALL | op::CALLCODE => some(ops::call(
            frame,
            host,
            if opcode == op::CALL {
                CallKind::Call
            } else {
                CallKind::CallCode
            },
            a.get(0),
            a.get(1),
            a.get(2),
            a.get(3),
            a.get(4),
            a.get(5),
            a.get(6),
        )?),
        op::DELEGATECALL => some(ops::call(
            frame,
            host,
            CallKind::DelegateCall,
            a.get(0),
            a.get(1),
            U256::ZERO,
            a.get(2),
            a.get(3),
            a.get(4),
            a.get(5),
        )?),
        op::STATICCALL => some(ops::call(
            frame,
            host,
            CallKind::StaticCall,
            a.get(0),
            a.get(1),
            U256::ZERO,
            a.get(2),
            a.get(3),
            a.get(4),
            a.get(5),
        )?),
        // Only the operations above are sent here.
        _ => Err(HaltReason::UndefinedOpcode),
    }
}
