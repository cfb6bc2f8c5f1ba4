//! System opcodes: the CALL family, CREATE/CREATE2, RETURN, REVERT and SELFDESTRUCT.

use crate::frame::Frame;
use crate::gas;
use crate::host::Host;
use crate::message::{CallInputs, CallKind, CreateInputs, CreateScheme};
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

/// CALL, CALLCODE, DELEGATECALL and STATICCALL. Operands in stack order;
/// `value` is ignored for DELEGATECALL and STATICCALL (pass zero). Charges
/// memory expansion for both ranges, the access and value-transfer extras,
/// then passes on the requested gas, from Tangerine Whistle capped at 63/64
/// of what is left (plus the 2300 stipend with a value); pushes 1 on
/// success, 0 otherwise.
#[allow(clippy::too_many_arguments)]
pub fn call(
    frame: &mut Frame,
    host: &mut dyn Host,
    kind: CallKind,
    gas: U256,
    to: U256,
    value: U256,
    in_offset: U256,
    in_len: U256,
    out_offset: U256,
    out_len: U256,
) -> Result<U256, HaltReason> {
    let value = match kind {
        CallKind::Call | CallKind::CallCode => value,
        CallKind::DelegateCall | CallKind::StaticCall => U256::ZERO,
    };
    let has_value = !value.is_zero();
    if kind == CallKind::Call && has_value && frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    let (in_off, in_len) = frame.memory.expand(&mut frame.gas, in_offset, in_len)?;
    let (out_off, out_len) = frame.memory.expand(&mut frame.gas, out_offset, out_len)?;

    let to = to_address(to);
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
    let child_gas = gas::call_gas(spec, frame.gas.remaining, gas);
    frame.gas.charge(child_gas)?;
    let gas_limit = if has_value {
        child_gas + gas::CALL_STIPEND
    } else {
        child_gas
    };

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
    host.nested_frame_starts(frame.gas.remaining);
    let result = host.call(inputs);
    absorb_child(frame, &result);
    let copied = out_len.min(result.output.len());
    if copied > 0 {
        frame.memory.set(out_off, &result.output[..copied]);
    }
    let success = result.status.is_success();
    frame.return_data = result.output;
    Ok(U256::from(success as u8))
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
