//! Storage opcodes: SLOAD, SSTORE (per-fork schedules: Frontier, EIP-1283,
//! EIP-2200, EIP-2929, EIP-3529), TLOAD, TSTORE (EIP-1153).

use crate::frame::Frame;
use crate::gas;
use crate::host::Host;
use crate::result::HaltReason;
use alloy_primitives::U256;

/// SLOAD: charges the cold surcharge on first access in the transaction.
pub fn sload(frame: &mut Frame, host: &mut dyn Host, key: U256) -> Result<U256, HaltReason> {
    let load = host.sload(frame.msg.address, key);
    frame
        .gas
        .charge(gas::sload_surcharge(frame.spec, load.is_cold))?;
    Ok(load.data)
}

/// SSTORE: halts out-of-gas at or below the 2300-gas sentry (from
/// Istanbul), then writes and charges its whole gas (its static gas is
/// zero) under the fork's schedule and adjusts the refund counter.
pub fn sstore(
    frame: &mut Frame,
    host: &mut dyn Host,
    key: U256,
    value: U256,
) -> Result<(), HaltReason> {
    let spec = frame.spec;
    if gas::sstore_sentry_fails(spec, frame.gas.remaining) {
        return Err(HaltReason::OutOfGas);
    }
    if frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    let load = host.sstore(frame.msg.address, key, value);
    let r = load.data;
    frame.gas.charge(gas::sstore_cost(
        spec,
        r.original,
        r.present,
        r.new,
        load.is_cold,
    ))?;
    frame.gas.refunded += gas::sstore_refund(spec, r.original, r.present, r.new);
    Ok(())
}

/// TLOAD.
pub fn tload(frame: &Frame, host: &mut dyn Host, key: U256) -> U256 {
    host.tload(frame.msg.address, key)
}

/// TSTORE: forbidden in a static frame.
pub fn tstore(
    frame: &Frame,
    host: &mut dyn Host,
    key: U256,
    value: U256,
) -> Result<(), HaltReason> {
    if frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    host.tstore(frame.msg.address, key, value);
    Ok(())
}
