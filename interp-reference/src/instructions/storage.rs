//! Storage: SLOAD, SSTORE, TLOAD and TSTORE, through
//! [`cevm_runtime::ops::storage`] (cold/warm gas, SSTORE gas and refunds,
//! static-context checks).

use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::ops::storage as ops;
use cevm_runtime::{HaltReason, Host};

/// Executes the storage instruction `opcode`.
pub(crate) fn execute(
    m: &mut Machine<'_>,
    host: &mut dyn Host,
    opcode: u8,
) -> Result<Control, HaltReason> {
    let f = &mut m.frame;
    match opcode {
        op::SLOAD => {
            let key = m.stack.pop()?;
            m.stack.push(ops::sload(f, host, key)?)?;
        }
        op::SSTORE => {
            let (key, value) = (m.stack.pop()?, m.stack.pop()?);
            ops::sstore(f, host, key, value)?;
        }
        op::TLOAD => {
            let key = m.stack.pop()?;
            m.stack.push(ops::tload(f, host, key))?;
        }
        op::TSTORE => {
            let (key, value) = (m.stack.pop()?, m.stack.pop()?);
            ops::tstore(f, host, key, value)?;
        }
        // Dispatch sends only this family here; anything else is treated as
        // undefined rather than panicking.
        _ => return Err(HaltReason::UndefinedOpcode),
    }
    Ok(Control::Continue)
}
