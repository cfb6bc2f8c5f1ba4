//! Memory: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY and KECCAK256, through
//! [`cevm_runtime::ops::memory`] (which charges expansion and per-word gas).

use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::ops::memory as ops;
use cevm_runtime::HaltReason;

/// Executes the memory instruction `opcode`.
#[inline(always)]
pub(crate) fn execute(m: &mut Machine<'_>, opcode: u8) -> Result<Control, HaltReason> {
    let f = &mut m.frame;
    match opcode {
        op::MLOAD => {
            let offset = m.stack.pop()?;
            m.stack.push(ops::mload(f, offset)?)?;
        }
        op::MSTORE => {
            let (offset, value) = (m.stack.pop()?, m.stack.pop()?);
            ops::mstore(f, offset, value)?;
        }
        op::MSTORE8 => {
            let (offset, value) = (m.stack.pop()?, m.stack.pop()?);
            ops::mstore8(f, offset, value)?;
        }
        op::MSIZE => m.stack.push(ops::msize(f))?,
        op::MCOPY => {
            let (dst, src, len) = (m.stack.pop()?, m.stack.pop()?, m.stack.pop()?);
            ops::mcopy(f, dst, src, len)?;
        }
        op::KECCAK256 => {
            let (offset, len) = (m.stack.pop()?, m.stack.pop()?);
            m.stack.push(ops::keccak256_op(f, offset, len)?)?;
        }
        // Dispatch sends only this family here; anything else is treated as
        // undefined rather than panicking.
        _ => return Err(HaltReason::UndefinedOpcode),
    }
    Ok(Control::Continue)
}
