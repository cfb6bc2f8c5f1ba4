//! System: the CALL family, CREATE, CREATE2, RETURN, REVERT and
//! SELFDESTRUCT, through [`cevm_runtime::ops::system`]. Nested frames run
//! through the host, which re-enters an executor.

use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::ops::system as ops;
use cevm_runtime::{HaltReason, Host, Status, SuccessReason, U256};

/// Executes the system instruction `opcode`.
pub(crate) fn execute(
    m: &mut Machine<'_>,
    host: &mut dyn Host,
    opcode: u8,
) -> Result<Control, HaltReason> {
    let f = &mut m.frame;
    let s = &mut m.stack;
    match opcode {
        op::CALL | op::CALLCODE | op::DELEGATECALL | op::STATICCALL => {
            let kind = ops::call_kind(opcode).ok_or(HaltReason::UndefinedOpcode)?;
            let operands = ops::CallOperands::pop(kind, s)?;
            let ok = ops::call(f, host, kind, &operands)?;
            s.push(U256::from(ok))?;
        }
        op::CREATE => {
            let (value, offset, len) = (s.pop()?, s.pop()?, s.pop()?);
            s.push(ops::create(f, host, value, offset, len)?)?;
        }
        op::CREATE2 => {
            let (value, offset, len, salt) = (s.pop()?, s.pop()?, s.pop()?, s.pop()?);
            s.push(ops::create2(f, host, value, offset, len, salt)?)?;
        }
        op::RETURN => {
            let (offset, len) = (s.pop()?, s.pop()?);
            m.output = ops::ret(f, offset, len)?;
            return Ok(Control::Exit(Status::Success(SuccessReason::Return)));
        }
        op::REVERT => {
            let (offset, len) = (s.pop()?, s.pop()?);
            m.output = ops::revert(f, offset, len)?;
            return Ok(Control::Exit(Status::Revert));
        }
        op::SELFDESTRUCT => {
            let beneficiary = s.pop()?;
            ops::selfdestruct(f, host, beneficiary)?;
            return Ok(Control::Exit(Status::Success(SuccessReason::SelfDestruct)));
        }
        // Dispatch sends only this family here; anything else is treated as
        // undefined rather than panicking.
        _ => return Err(HaltReason::UndefinedOpcode),
    }
    Ok(Control::Continue)
}
