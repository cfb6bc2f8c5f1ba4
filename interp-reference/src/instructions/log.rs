//! LOG0..LOG4, through [`cevm_runtime::ops::log`]. The topic count is the
//! opcode's stack inputs (from the table) less offset and length.

use super::{Control, Machine};
use cevm_runtime::opcode::OpInfo;
use cevm_runtime::ops::log as ops;
use cevm_runtime::{HaltReason, Host, U256};

/// Executes the LOG instruction described by `info`.
pub(crate) fn execute(
    m: &mut Machine<'_>,
    host: &mut dyn Host,
    info: &OpInfo,
) -> Result<Control, HaltReason> {
    let (offset, len) = (m.stack.pop()?, m.stack.pop()?);
    let topic_count = (info.inputs as usize).saturating_sub(2);
    let mut topics = [U256::ZERO; ops::MAX_TOPICS];
    let topics = topics
        .get_mut(..topic_count)
        .ok_or(HaltReason::UndefinedOpcode)?;
    for topic in topics.iter_mut() {
        *topic = m.stack.pop()?;
    }
    ops::log(&mut m.frame, host, offset, len, topics)?;
    Ok(Control::Continue)
}
