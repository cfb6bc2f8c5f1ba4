//! LOG0..LOG4.

use crate::frame::Frame;
use crate::gas;
use crate::host::Host;
use crate::ops::memory::len_u64;
use crate::result::HaltReason;
use alloy_primitives::{Bytes, Log, LogData, B256, U256};

/// The most topics a log can have (LOG4).
pub const MAX_TOPICS: usize = 4;

/// LOGn with `topics.len()` = n: charges memory expansion and 8 gas per data
/// byte (the topics' gas is static) and appends the log. More than four
/// topics is rejected as an undefined instruction.
pub fn log(
    frame: &mut Frame,
    host: &mut dyn Host,
    offset: U256,
    len: U256,
    topics: &[U256],
) -> Result<(), HaltReason> {
    if topics.len() > MAX_TOPICS {
        return Err(HaltReason::UndefinedOpcode);
    }
    let (off, len) = frame.memory.expand(&mut frame.gas, offset, len)?;
    frame.gas.charge(gas::log_data_cost(len_u64(len)))?;
    if frame.msg.is_static {
        return Err(HaltReason::StateChangeDuringStaticCall);
    }
    let data = Bytes::copy_from_slice(frame.memory.slice(off, len));
    let topics = topics.iter().map(|t| B256::from(*t)).collect();
    host.log(Log {
        address: frame.msg.address,
        data: LogData::new_unchecked(topics, data),
    });
    Ok(())
}
