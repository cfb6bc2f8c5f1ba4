//! Control flow: STOP, JUMP, JUMPI, PC, GAS, JUMPDEST and INVALID.

use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::{HaltReason, Status, SuccessReason, U256};

/// Executes the control-flow instruction `opcode`.
#[inline(always)]
pub(crate) fn execute(m: &mut Machine<'_>, opcode: u8) -> Result<Control, HaltReason> {
    match opcode {
        op::STOP => Ok(Control::Exit(Status::Success(SuccessReason::Stop))),
        op::JUMP => {
            let dest = m.stack.pop()?;
            m.pc = jump_target(m, dest)?;
            Ok(Control::Jumped)
        }
        op::JUMPI => {
            let (dest, condition) = (m.stack.pop()?, m.stack.pop()?);
            if condition.is_zero() {
                Ok(Control::Continue)
            } else {
                m.pc = jump_target(m, dest)?;
                Ok(Control::Jumped)
            }
        }
        op::PC => {
            m.stack.push(U256::from(m.pc))?;
            Ok(Control::Continue)
        }
        op::GAS => {
            // GAS's own static gas has already been charged.
            m.stack.push(U256::from(m.frame.gas.remaining))?;
            Ok(Control::Continue)
        }
        op::JUMPDEST => Ok(Control::Continue),
        op::INVALID => Err(HaltReason::InvalidOpcode),
        // Dispatch sends only this family here; anything else is treated as
        // undefined rather than panicking.
        _ => Err(HaltReason::UndefinedOpcode),
    }
}

/// `dest` as a code offset if it is a JUMPDEST outside PUSH data.
fn jump_target(m: &Machine<'_>, dest: U256) -> Result<usize, HaltReason> {
    match usize::try_from(dest) {
        Ok(pc) if m.jumps.is_valid(pc) => Ok(pc),
        _ => Err(HaltReason::InvalidJump),
    }
}
