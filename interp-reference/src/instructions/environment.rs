//! Environment: message, transaction and block fields, call data, code,
//! return data and other accounts, through [`cevm_runtime::ops::environment`].

use super::{Control, Machine};
use cevm_runtime::opcode::op;
use cevm_runtime::ops::environment as ops;
use cevm_runtime::{HaltReason, Host, U256};

/// Executes the environment instruction `opcode`.
pub(crate) fn execute(
    m: &mut Machine<'_>,
    host: &mut dyn Host,
    opcode: u8,
) -> Result<Control, HaltReason> {
    let f = &mut m.frame;
    let s = &mut m.stack;
    let pushed: Option<U256> = match opcode {
        op::ADDRESS => Some(ops::address(f)),
        op::BALANCE => {
            let address = s.pop()?;
            Some(ops::balance(f, host, address)?)
        }
        op::ORIGIN => Some(ops::origin(host)),
        op::CALLER => Some(ops::caller(f)),
        op::CALLVALUE => Some(ops::callvalue(f)),
        op::CALLDATALOAD => {
            let offset = s.pop()?;
            Some(ops::calldataload(f, offset))
        }
        op::CALLDATASIZE => Some(ops::calldatasize(f)),
        op::CALLDATACOPY => {
            let (mem_offset, data_offset, len) = (s.pop()?, s.pop()?, s.pop()?);
            ops::calldatacopy(f, mem_offset, data_offset, len)?;
            None
        }
        op::CODESIZE => Some(ops::codesize(f)),
        op::CODECOPY => {
            let (mem_offset, code_offset, len) = (s.pop()?, s.pop()?, s.pop()?);
            ops::codecopy(f, mem_offset, code_offset, len)?;
            None
        }
        op::GASPRICE => Some(ops::gasprice(host)),
        op::EXTCODESIZE => {
            let address = s.pop()?;
            Some(ops::extcodesize(f, host, address)?)
        }
        op::EXTCODECOPY => {
            let (address, mem_offset, code_offset, len) = (s.pop()?, s.pop()?, s.pop()?, s.pop()?);
            ops::extcodecopy(f, host, address, mem_offset, code_offset, len)?;
            None
        }
        op::RETURNDATASIZE => Some(ops::returndatasize(f)),
        op::RETURNDATACOPY => {
            let (mem_offset, data_offset, len) = (s.pop()?, s.pop()?, s.pop()?);
            ops::returndatacopy(f, mem_offset, data_offset, len)?;
            None
        }
        op::EXTCODEHASH => {
            let address = s.pop()?;
            Some(ops::extcodehash(f, host, address)?)
        }
        op::BLOCKHASH => {
            let number = s.pop()?;
            Some(ops::blockhash(host, number))
        }
        op::COINBASE => Some(ops::coinbase(host)),
        op::TIMESTAMP => Some(ops::timestamp(host)),
        op::NUMBER => Some(ops::number(host)),
        op::PREVRANDAO => Some(ops::prevrandao(host)),
        op::GASLIMIT => Some(ops::gaslimit(host)),
        op::CHAINID => Some(ops::chainid(host)),
        op::SELFBALANCE => Some(ops::selfbalance(f, host)),
        op::BASEFEE => Some(ops::basefee(host)),
        op::BLOBHASH => {
            let index = s.pop()?;
            Some(ops::blobhash(host, index))
        }
        op::BLOBBASEFEE => Some(ops::blobbasefee(host)),
        // Dispatch sends only this family here; anything else is treated as
        // undefined rather than panicking.
        _ => return Err(HaltReason::UndefinedOpcode),
    };
    if let Some(value) = pushed {
        s.push(value)?;
    }
    Ok(Control::Continue)
}
