//! System opcodes: the CALL family, CREATE/CREATE2, RETURN, REVERT and SELFDESTRUCT.

use crate::frame::{Frame, Stack};
use crate::gas;
use crate::host::Host;
use crate::message::{CallInputs, CallKind, CreateInputs, CreateScheme};
use crate::opcode::op;
use crate::ops::environment::{address_to_word, to_address};
use crate::ops::memory::len_u64;
use crate::result::{FrameResult, HaltReason};
use alloy_primitives::{Bytes, U256};

/// Gives the caller back what the child did not use and, if the child
/// succeeded, takes over its refund counter change.
fn absorb_child(frame: &mut Frame, result: &FrameResult) {
    frame.gas.remaining = frame.gas.remaining.saturating_add(result.gas_left);
    if result.status.is_success() {
        frame.gas.refunded += result.refund;
    }
}

/// Bytes `[offset, offset + len)` of memory, after charging its expansion.
fn read_memory(frame: &mut Frame, offset: U256, len: U256) -> Result<Bytes, HaltReason> {
    let (off, len) = frame.memory.expand(&mut frame.gas, offset, len)?;
    Ok(if len == 0 {
        Bytes::new()
    } else {
        Bytes::copy_from_slice(frame.memory.slice(off, len))
    })
}

/// The operands of a CALL-family instruction, in stack order (the top
/// first). DELEGATECALL and STATICCALL have no value operand: theirs is
/// zero here.
///
/// `repr(C)`: compiled code passes a CALL's seven operands in this layout
/// and the runtime reads them in place (a copy of seven words per frame,
/// read wide after compiled code stored them 8 bytes at a time, stalled).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallOperands {
    /// Gas requested for the callee.
    pub gas: U256,
    /// The account called (its low 20 bytes).
    pub to: U256,
    /// Value sent (CALL, CALLCODE).
    pub value: U256,
    /// Call data: offset in memory.
    pub in_offset: U256,
    /// Call data: length.
    pub in_len: U256,
    /// Where in memory the output goes.
    pub out_offset: U256,
    /// How many bytes of the output are copied there.
    pub out_len: U256,
}

impl CallOperands {
    /// Pops a `kind` instruction's operands off `stack` (DELEGATECALL and
    /// STATICCALL have no value operand).
    pub fn pop(kind: CallKind, stack: &mut Stack) -> Result<Self, HaltReason> {
        let (gas, to) = (stack.pop()?, stack.pop()?);
        let value = match kind {
            CallKind::Call | CallKind::CallCode => stack.pop()?,
            CallKind::DelegateCall | CallKind::StaticCall => U256::ZERO,
        };
        Ok(CallOperands {
            gas,
            to,
            value,
            in_offset: stack.pop()?,
            in_len: stack.pop()?,
            out_offset: stack.pop()?,
            out_len: stack.pop()?,
        })
    }
}

/// The CALL family member `opcode` is, if it is one.
pub fn call_kind(opcode: u8) -> Option<CallKind> {
    Some(match opcode {
        op::CALL => CallKind::Call,
        op::CALLCODE => CallKind::CallCode,
        op::DELEGATECALL => CallKind::DelegateCall,
        op::STATICCALL => CallKind::StaticCall,
        _ => return None,
    })
}

/// CALL, CALLCODE, DELEGATECALL and STATICCALL. `value` is ignored for
/// DELEGATECALL and STATICCALL. Charges memory expansion for both ranges,
/// the access and value-transfer extras, then passes on the requested gas,
/// from Tangerine Whistle capped at 63/64 of what is left (plus the 2300
/// stipend with a value); returns whether the callee succeeded (the
/// instruction pushes 1 or 0).
pub fn call(
    frame: &mut Frame,
    host: &mut dyn Host,
    kind: CallKind,
    operands: &CallOperands,
) -> Result<bool, HaltReason> {
    // Three steps, the first and last in functions of their own: the
    // nested frame runs below this function's frame on the native stack,
    // so only what lives across the call (the inputs and the output
    // range) is kept here, not the other two steps' temporaries.
    // Matched by reference: moving the inputs out of the `Result` would
    // copy them into a second slot of this frame.
    let prepared = prepare_call(frame, host, kind, operands);
    let (inputs, output_range) = match &prepared {
        Ok((inputs, output_range)) => (inputs, *output_range),
        Err(reason) => return Err(*reason),
    };
    let result = host.call(inputs);
    Ok(finish_call(frame, result, output_range))
}

/// The first part of [`call`]: memory expansion, the gas and the callee's
/// inputs; tells the host the nested frame starts. Returns the inputs and
/// where in memory the output goes.
#[inline(never)]
fn prepare_call<'f>(
    frame: &'f mut Frame,
    host: &mut dyn Host,
    kind: CallKind,
    operands: &CallOperands,
) -> Result<(CallInputs<'f>, (usize, usize)), HaltReason> {
    let value = match kind {
        CallKind::Call | CallKind::CallCode => operands.value,
        CallKind::DelegateCall | CallKind::StaticCall => U256::ZERO,
    };
    let has_value = !value.is_zero();
    if kind == CallKind::Call && has_value && frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    let (in_off, in_len) =
        frame
            .memory
            .expand(&mut frame.gas, operands.in_offset, operands.in_len)?;
    let output_range =
        frame
            .memory
            .expand(&mut frame.gas, operands.out_offset, operands.out_len)?;

    let to = to_address(operands.to);
    let spec = frame.spec;
    let load = host.load_account_for_call(to);
    let creates_account = kind == CallKind::Call
        && gas::call_creates_account(spec, has_value, load.exists, load.is_empty);
    let extra = gas::call_extra_cost(
        spec,
        load.is_cold,
        load.delegation_is_cold,
        has_value,
        creates_account,
    );
    frame.gas.charge(extra)?;
    let child_gas = gas::call_gas(spec, frame.gas.remaining, operands.gas);
    frame.gas.charge(child_gas)?;
    let gas_limit = if has_value {
        child_gas + gas::CALL_STIPEND
    } else {
        child_gas
    };
    host.nested_frame_starts(frame.gas.remaining);

    // The callee reads its input in place: this frame's memory does not
    // change until the call returns.
    let input = frame.memory.slice(in_off, in_len);
    let msg = frame.msg;
    let (caller, target, apparent_value) = match kind {
        CallKind::Call => (msg.address, to, value),
        CallKind::StaticCall => (msg.address, to, U256::ZERO),
        CallKind::CallCode => (msg.address, msg.address, value),
        CallKind::DelegateCall => (msg.caller, msg.address, msg.value),
    };
    let inputs = CallInputs {
        kind,
        caller,
        target,
        code_address: to,
        value: apparent_value,
        input,
        gas_limit,
        is_static: msg.is_static || kind == CallKind::StaticCall,
    };
    Ok((inputs, output_range))
}

/// The last part of [`call`]: takes back the callee's unused gas (and its
/// refund if it succeeded), copies its output to `(offset, len)` in memory
/// (as much of it as fits) and keeps it as the return data. Returns
/// whether the callee succeeded.
#[inline(never)]
fn finish_call(frame: &mut Frame, result: FrameResult, (offset, len): (usize, usize)) -> bool {
    absorb_child(frame, &result);
    let copied = len.min(result.output.len());
    if copied > 0 {
        frame.memory.set(offset, &result.output[..copied]);
    }
    frame.return_data = result.output;
    result.status.is_success()
}

/// CREATE: pushes the new address, or zero on failure.
pub fn create(
    frame: &mut Frame,
    host: &mut dyn Host,
    value: U256,
    offset: U256,
    len: U256,
) -> Result<U256, HaltReason> {
    create_common(frame, host, value, offset, len, CreateScheme::Create)
}

/// CREATE2 (EIP-1014): like CREATE with a salted address; also pays for
/// hashing the init code.
pub fn create2(
    frame: &mut Frame,
    host: &mut dyn Host,
    value: U256,
    offset: U256,
    len: U256,
    salt: U256,
) -> Result<U256, HaltReason> {
    create_common(
        frame,
        host,
        value,
        offset,
        len,
        CreateScheme::Create2 { salt },
    )
}

fn create_common(
    frame: &mut Frame,
    host: &mut dyn Host,
    value: U256,
    offset: U256,
    len: U256,
    scheme: CreateScheme,
) -> Result<U256, HaltReason> {
    if frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    let spec = frame.spec;
    let (off, len) = frame.memory.expand(&mut frame.gas, offset, len)?;
    let mut cost = gas::initcode_cost(spec, len_u64(len));
    if let CreateScheme::Create2 { .. } = scheme {
        cost += gas::create2_hash_cost(len_u64(len));
    }
    frame.gas.charge(cost)?;
    if gas::max_initcode_size(spec).is_some_and(|max| len > max) {
        // EIP-3860: oversized init code is an exceptional halt.
        return Err(HaltReason::OutOfGas);
    }
    // The gas the child gets is not part of CREATE's cost in traces (as
    // geth reports it, unlike CALL's).
    host.nested_frame_starts(frame.gas.remaining);
    let child_gas = gas::create_gas(spec, frame.gas.remaining);
    frame.gas.charge(child_gas)?;
    let init_code = if len == 0 {
        Bytes::new()
    } else {
        Bytes::copy_from_slice(frame.memory.slice(off, len))
    };
    frame.return_data = Bytes::new();
    let (result, address) = host.create(CreateInputs {
        caller: frame.msg.address,
        scheme,
        value,
        init_code,
        gas_limit: child_gas,
    });
    absorb_child(frame, &result);
    match (result.status.is_success(), address) {
        (true, Some(address)) => Ok(address_to_word(address)),
        _ => {
            frame.return_data = result.output;
            Ok(U256::ZERO)
        }
    }
}

/// RETURN: the output bytes.
pub fn ret(frame: &mut Frame, offset: U256, len: U256) -> Result<Bytes, HaltReason> {
    read_memory(frame, offset, len)
}

/// REVERT: the revert data.
pub fn revert(frame: &mut Frame, offset: U256, len: U256) -> Result<Bytes, HaltReason> {
    read_memory(frame, offset, len)
}

/// SELFDESTRUCT: moves the balance to `beneficiary` and schedules the
/// account for deletion (from Cancun only if it was created in the same
/// transaction, EIP-6780); before London the first SELFDESTRUCT of an
/// account in a transaction earns a refund.
pub fn selfdestruct(
    frame: &mut Frame,
    host: &mut dyn Host,
    beneficiary: U256,
) -> Result<(), HaltReason> {
    if frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    let spec = frame.spec;
    let load = host.selfdestruct(frame.msg.address, to_address(beneficiary));
    let r = load.data;
    frame.gas.charge(gas::selfdestruct_cost(
        spec,
        load.is_cold,
        r.had_value,
        r.target_exists,
        r.target_is_empty,
    ))?;
    frame.gas.refunded += gas::selfdestruct_refund(spec, r.previously_destroyed);
    Ok(())
}
